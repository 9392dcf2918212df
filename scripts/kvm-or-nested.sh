#!/bin/sh
# Run a guest test command on this host's /dev/kvm when it has a usable one,
# and otherwise inside a nested guest under QEMU's TCG (scripts/nested.sh),
# where /dev/kvm has hardware-virtualization semantics. Used by CTest for the
# tests that boot the kernel, so `make test` means the same on every host.
#   EXO_NESTED=never   fail on a host without /dev/kvm instead
#   EXO_NESTED=always  use the nested guest even where /dev/kvm works
set -eu
here=$(cd "$(dirname "$0")" && pwd)
mode=${EXO_NESTED:-auto}
if [ "$mode" != always ] && [ -c /dev/kvm ] && [ -r /dev/kvm ] && [ -w /dev/kvm ]; then
	exec "$@"
fi
if [ "$mode" = never ]; then
	exec "$@"
fi
echo "kvm-or-nested: no usable /dev/kvm here; running '$*' in a nested guest (QEMU TCG, AMD SVM)" >&2
exec sh "$here/nested.sh" --cpus 4 -- "$@"
