#!/bin/sh
# Run a command where /dev/kvm has hardware-virtualization semantics, on a
# host that has none: a Linux guest under QEMU's TCG, whose emulated AMD CPU
# has SVM, loads kvm_amd and runs the command with this host's file system
# (9p, read-write) as its root. exo then reports `kvm-hw`.
#
#   scripts/nested.sh [--cpus N] [--mem SIZE] [--timeout SECONDS] -- COMMAND [ARGS...]
#
# The command runs in the current directory with PATH, HOME, CI and every
# EXO_* and CRITERION_* variable kept; its
# output comes back on QEMU's serial console and its exit status is this
# script's. 125 means the nested guest itself failed (no status came back).
#
# Everything comes from Debian's archive: qemu-system-x86, busybox-static and
# cpio are installed by scripts/setup.sh; the guest kernel is the one the
# package linux-image-amd64 depends on, fetched with `apt-get download` and
# unpacked (nothing is installed on the host) into the cache directory
# ($EXO_NESTED_CACHE, default ~/.cache/exo-nested). Give QEMU at least as many
# CPUs as the largest exo --cpus the command uses: with fewer, TCG's SVM
# locks the nested guest up (RCU stalls).
set -eu

cpus=4
mem=3G
limit=3600
while [ $# -gt 0 ]; do
	case "$1" in
	--cpus) cpus=$2; shift 2 ;;
	--mem) mem=$2; shift 2 ;;
	--timeout) limit=$2; shift 2 ;;
	--) shift; break ;;
	*) echo "nested.sh: unknown option '$1'; usage: nested.sh [--cpus N] [--mem SIZE] [--timeout S] -- COMMAND" >&2
	   exit 2 ;;
	esac
done
[ $# -gt 0 ] || { echo "nested.sh: no command given; usage: nested.sh [--cpus N] -- COMMAND" >&2; exit 2; }

cache=${EXO_NESTED_CACHE:-${HOME:-/root}/.cache/exo-nested}
mkdir -p "$cache"

die() { echo "nested.sh: $*" >&2; exit 125; }

for t in qemu-system-x86_64 busybox cpio gzip; do
	command -v $t >/dev/null 2>&1 ||
		die "$t is missing: run 'sh scripts/setup.sh' (it installs qemu-system-x86, busybox-static and cpio)"
done

# The guest kernel: the version linux-image-amd64 names, unpacked once.
kver=$(cat "$cache/kver" 2>/dev/null || true)
if [ -z "$kver" ] || [ ! -f "$cache/$kver/vmlinuz" ]; then
	pkg=$(apt-cache depends linux-image-amd64 2>/dev/null |
	      sed -n 's/^ *Depends: \(linux-image-[0-9].*\)$/\1/p' | head -1)
	[ -n "$pkg" ] || die "apt-cache cannot name the kernel package of linux-image-amd64; run 'apt-get update'"
	kver=${pkg#linux-image-}
	work=$(mktemp -d "$cache/get.XXXXXX")
	( cd "$work" && apt-get download "$pkg" >/dev/null 2>&1 ) ||
		{ rm -rf "$work"; die "apt-get download $pkg failed; check apt's sources and network"; }
	dpkg-deb -x "$work"/*.deb "$work/root" || { rm -rf "$work"; die "dpkg-deb could not unpack $pkg"; }
	mkdir -p "$cache/$kver"
	cp "$work/root/boot/vmlinuz-$kver" "$cache/$kver/vmlinuz"
	rm -rf "$cache/$kver/modules"
	mv "$work/root/lib/modules/$kver" "$cache/$kver/modules"
	rm -rf "$work"
	echo "$kver" > "$cache/kver"
fi
kdir=$cache/$kver

# The initramfs: busybox, the modules in load order, and init (below).
mods="virt/lib/irqbypass arch/x86/kvm/kvm drivers/crypto/ccp/ccp arch/x86/kvm/kvm-amd
      drivers/virtio/virtio_ring drivers/virtio/virtio drivers/virtio/virtio_pci_modern_dev
      drivers/virtio/virtio_pci_legacy_dev drivers/virtio/virtio_pci fs/netfs/netfs
      fs/fscache/fscache net/9p/9pnet net/9p/9pnet_virtio fs/9p/9p"
initrd=$kdir/initrd.gz
here=$(cd "$(dirname "$0")" && pwd)
if [ ! -f "$initrd" ] || [ "$here/nested-init" -nt "$initrd" ]; then
	root=$(mktemp -d "$cache/initrd.XXXXXX")
	mkdir -p "$root/bin" "$root/mod" "$root/proc" "$root/sys" "$root/dev" "$root/host"
	cp "$(command -v busybox)" "$root/bin/busybox"
	ln -s busybox "$root/bin/sh"
	n=0
	for m in $mods; do
		n=$((n + 1))
		src=$kdir/modules/kernel/$m.ko
		[ -f "$src" ] || src=$src.xz
		[ -f "$src" ] || die "module $m is not in $kver"
		cp "$src" "$root/mod/$(printf %02d $n)-$(basename "$src")"
	done
	cp "$here/nested-init" "$root/init"
	chmod 755 "$root/init"
	( cd "$root" && find . | cpio -o -H newc 2>/dev/null | gzip -1 ) > "$initrd.tmp"
	mv "$initrd.tmp" "$initrd"
	rm -rf "$root"
fi

# The command, as a script the guest runs in the host's file system.
run=$(mktemp -d "$cache/run.XXXXXX")
trap 'rm -rf "$run"' EXIT INT TERM
{
	echo "cd '$(pwd)' || exit 125"
	echo "export PATH='$PATH' HOME='${HOME:-/root}' CI='${CI:-}' EXO_IN_NESTED=1"
	# exo's and Criterion's own settings go along (EXO_NESTED aside).
	env | grep -E '^(EXO_|CRITERION_)[A-Z_]*=' | grep -v '^EXO_NESTED=' |
		sed "s/'/'\\\\''/g; s/^\([^=]*\)=\(.*\)$/export \1='\2'/"
	printf 'exec'
	for a in "$@"; do
		printf " '%s'" "$(printf %s "$a" | sed "s/'/'\\\\''/g")"
	done
	echo
} > "$run/cmd"
pwd > "$run/cwd"
# The guest's /tmp is its own; the /tmp directories of the command's
# arguments are bound from the host's (nested-init), as the current
# directory's is. A path directly in /tmp, or in a directory of it that does
# not exist here, cannot be: say so, since what is written there is lost.
: > "$run/tmpdirs"
for a in "$@"; do
	case "$a" in
	/tmp/?*)
		top=${a#/tmp/}
		top=${top%%/*}
		if [ "/tmp/$top" != "$a" ] && [ -d "/tmp/$top" ]; then
			echo "$top" >> "$run/tmpdirs"
		else
			echo "nested.sh: '$a' is in this host's /tmp but not in a directory of it that exists: the nested guest has a /tmp of its own, so it will not find or keep that file here" >&2
		fi
		;;
	esac
done

timeout -k 10 "$limit" qemu-system-x86_64 -accel tcg,thread=${EXO_NESTED_TCG_THREAD:-single} -cpu max \
	-smp "$cpus" -m "$mem" -nodefaults -display none -no-reboot \
	-serial stdio -monitor none \
	-kernel "$kdir/vmlinuz" -initrd "$initrd" \
	-append "console=ttyS0 quiet loglevel=4 panic=-1 exo.run=$run" \
	-virtfs local,path=/,mount_tag=hostroot,security_model=passthrough,multidevs=remap,id=hostroot \
	</dev/null || true

[ -f "$run/status" ] || die "the nested guest ended without the command's status (see its console above)"
exit "$(cat "$run/status")"
