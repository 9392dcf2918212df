#!/bin/sh
# The boot's ring-0 instructions to the first user instruction, exactly, and
# the functions they went to (exo run --step-boot), headed by the commit and
# the host: the block docs/run.md quotes, regenerated rather than edited.
#   scripts/boot-count.sh [BUILD_DIR [PROGRAM]]
# Needs a KVM that single-steps a vCPU: hardware KVM (on this project's PVM
# host, inside scripts/nested.sh). Exit status: exo run's.
set -eu
src=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$src/build}
prog=${2:-hello}
[ -x "$build/exo" ] || {
	echo "boot-count: no $build/exo; build first (cmake --build build) or give the build directory" >&2
	exit 2
}
commit=$(git -c safe.directory='*' -C "$src" rev-parse --short HEAD 2>/dev/null || echo unknown)
git -c safe.directory='*' -C "$src" diff --quiet HEAD 2>/dev/null || commit="$commit with changes"
cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)
echo "# scripts/boot-count.sh: commit $commit; $(uname -sr), $cpu"
echo "\$ build/exo run --step-boot $prog"
exec "$build/exo" run --step-boot "$prog" 2>&1
