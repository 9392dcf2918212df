#!/bin/sh
# make test's look at hardware KVM on a host whose own /dev/kvm ran the
# scenario suite (a PVM host, say): a subset of it again in the nested guest
# under QEMU's TCG (scripts/nested.sh), where exo runs as kvm-hw, SYSCALL,
# SYSRET and all. On a host without a usable /dev/kvm the whole suite ran
# there already, and this says so and passes.
#   scripts/hw-subset.sh TEST_SCENARIO_BINARY
set -eu
here=$(cd "$(dirname "$0")" && pwd)
[ $# -eq 1 ] || { echo "usage: hw-subset.sh TEST_SCENARIO_BINARY" >&2; exit 2; }
if [ "${EXO_NESTED:-auto}" != never ] &&
   ! { [ -c /dev/kvm ] && [ -r /dev/kvm ] && [ -w /dev/kvm ]; }; then
	echo "hw-subset: no usable /dev/kvm here: the scenario suite ran on kvm-hw" \
	     "(the nested guest) already; nothing to add"
	exit 0
fi
if [ "${EXO_NESTED:-auto}" = never ]; then
	echo "hw-subset: EXO_NESTED=never: the kvm-hw subset is not run" >&2
	exit 0
fi
# Boots and crashes, every L4 case (l4test df failed there once), the
# exokernel's cases, the exits judge and the SMP shootdowns: the paths
# where hardware KVM differs from PVM (entry, exit, interrupts, exits).
# 125: the nested guest itself could not be had (no QEMU, no Debian kernel
# to fetch): that is this host's, not exo's, and is said, not failed.
set +e
EXO_NESTED=always sh "$here/kvm-or-nested.sh" "$1" \
	--filter '@(@(boot|l4|exo|smp)/*|bench/no_avoidable_exits*)'
status=$?
if [ "$status" -eq 125 ]; then
	echo "hw-subset: SKIPPED: the nested guest did not start (above); install" \
	     "qemu-system-x86, busybox-static and cpio (scripts/setup.sh does) and" \
	     "let apt-get download reach Debian's archive once" >&2
	exit 0
fi
exit "$status"
