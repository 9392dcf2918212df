#!/bin/sh
# The README's five-minute tour, run for real: prints each command as the
# README shows it ($ build/exo ...), then its output, after a line naming the
# commit and the host, so that the samples in README.md are refreshed from a
# run and never typed. Run from the repository root after `make`; where the
# host has no usable /dev/kvm, inside the nested guest:
#   sh scripts/kvm-or-nested.sh sh scripts/tour.sh > tour.txt
set -u
cd "$(dirname "$0")/.."
exo=build/exo
[ -x "$exo" ] || { echo "tour.sh: no $exo: run 'make' first" >&2; exit 2; }
scratch=${TMPDIR:-/tmp}/exo-tour.$$
mkdir -p "$scratch" || exit 2
echo "tour: commit $(git rev-parse --short HEAD 2>/dev/null || echo unknown)," \
     "host $(uname -n), $(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //'), $(date -u +%F)"
top=$(pwd)
# run ARGS...: show "$ build/exo ARGS" and run it in the scratch directory.
run() {
	echo "\$ build/exo $*"
	(cd "$scratch" && "$top/$exo" "$@") 2>&1
	echo "(exit $?)"
	echo
}
run run --stats hello
run trace -o pingpong.json l4test pingpong
run stat l4test pingpong
run bench ipc --iterations 200
rm -rf "$scratch"
