#!/bin/sh
# Install, from Debian's archive, what building and testing exo needs and this
# machine lacks. Quiet and quick when everything is there already.
set -eu

# libdw-dev: source lines in crash reports (host/srclines.c).
# libseccomp-dev: the VMM's jail (vmm/jail.c). clang and llvm: extensions
# (clang -target bpf, ext/). libclang-rt-dev (libFuzzer and the sanitizers'
# runtimes for clang): the fuzz harnesses of fuzz/ (scripts/fuzz.sh), which
# `make test` runs. gdb: the scenario test of `exo run --gdb`.
PACKAGES="gcc make cmake pkg-config libc6-dev linux-libc-dev libcriterion-dev libev-dev libelf-dev libdw-dev
libseccomp-dev clang llvm libclang-rt-dev gdb"

# The nested guest under QEMU's TCG (scripts/nested.sh), whose emulated AMD
# CPU has SVM: without a usable /dev/kvm the tests that boot the kernel run
# there, and with one `make test` still runs a subset there on hardware-KVM
# semantics (scripts/hw-subset.sh).
PACKAGES="$PACKAGES qemu-system-x86 busybox-static cpio"

if ! command -v dpkg-query >/dev/null 2>&1; then
	echo "setup: no dpkg-query: this is not a Debian-like system. Install by hand:" \
	     "$PACKAGES (names as in Debian 12)" >&2
	exit 1
fi

missing=""
for p in $PACKAGES; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" ||
		missing="$missing $p"
done

if [ -n "$missing" ]; then
	if [ "$(id -u)" -eq 0 ]; then
		sudo=""
	elif command -v sudo >/dev/null 2>&1; then
		sudo="sudo"
	else
		echo "setup: exo needs:$missing; you are not root and there is no sudo." \
		     "Ask an administrator to run: apt-get install$missing" >&2
		exit 1
	fi
	echo "setup: installing$missing"
	if ! $sudo apt-get update -qq ||
	   ! DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq \
		--no-install-recommends $missing >/dev/null; then
		echo "setup: apt-get could not install$missing; check the network and" \
		     "your apt sources, then run 'make' again" >&2
		exit 1
	fi
fi

if [ ! -e /dev/kvm ]; then
	echo "setup: note: /dev/kvm is missing: 'make run' and 'make test' boot the kernel in a" \
	     "nested guest under QEMU (scripts/nested.sh: slower); 'build/exo run' alone runs the" \
	     "hosted platform (no KVM; it says so), or the nested guest as" \
	     "'sh scripts/kvm-or-nested.sh build/exo run ...'. For KVM here, load kvm_intel," \
	     "kvm_amd or kvm_pvm, or use a machine with virtualization." >&2
fi
