#!/bin/sh
# Build the libFuzzer harnesses of fuzz/ (clang, ASan, UBSan) and run each
# for N seconds, starting from its seed corpus in fuzz/corpus/HARNESS.
#
#   scripts/fuzz.sh [--seconds N] [--build DIR] [--jobs J] [HARNESS...]
#
# Harnesses: elf layout bench_result trace baseline (default: all, one
# after the other). New inputs the fuzzer finds go to DIR/fuzz/corpus-HARNESS
# (the committed seeds are only read); a crash leaves its input as
# DIR/fuzz/crash-HARNESS-* and makes this script exit 1: add that input to
# fuzz/corpus/HARNESS with the fix. 2: bad usage or the build failed.
set -eu

seconds=20
build=build-fuzz
jobs=$(nproc 2>/dev/null || echo 2)
all="elf layout bench_result trace baseline"
while [ $# -gt 0 ]; do
	case "$1" in
	--seconds) seconds=$2; shift 2 ;;
	--build) build=$2; shift 2 ;;
	--jobs) jobs=$2; shift 2 ;;
	-h|--help) sed -n '2,12p' "$0"; exit 0 ;;
	-*) echo "fuzz.sh: unknown option '$1'; usage: fuzz.sh [--seconds N] [--build DIR] [HARNESS...]" >&2
	    exit 2 ;;
	*) break ;;
	esac
done
case "$seconds" in
''|*[!0-9]*|0) echo "fuzz.sh: --seconds wants a whole number of seconds above 0, not '$seconds'" >&2
	exit 2 ;;
esac
harnesses=${*:-$all}
for h in $harnesses; do
	case " $all " in
	*" $h "*) ;;
	*) echo "fuzz.sh: no harness '$h'; there are: $all" >&2; exit 2 ;;
	esac
done

top=$(cd "$(dirname "$0")/.." && pwd)
command -v clang >/dev/null 2>&1 ||
	{ echo "fuzz.sh: clang is missing: run 'sh scripts/setup.sh' (it installs clang and libclang-rt-14-dev)" >&2; exit 2; }
cmake -S "$top" -B "$build" -DCMAKE_C_COMPILER=clang -DCMAKE_BUILD_TYPE=RelWithDebInfo \
	-DEXO_FUZZ=ON >/dev/null || { echo "fuzz.sh: cmake could not configure $build" >&2; exit 2; }
targets=""
for h in $harnesses; do targets="$targets fuzz_$h"; done
# shellcheck disable=SC2086
cmake --build "$build" -j"$jobs" --target $targets >/dev/null ||
	{ echo "fuzz.sh: building$targets in $build failed (run cmake --build $build to see why)" >&2; exit 2; }

passed=0 failed=0
for h in $harnesses; do
	work="$build/fuzz/corpus-$h"
	log="$build/fuzz/$h.log"
	mkdir -p "$work"
	# -close_fd_mask=3: the code under test prints its refusals; libFuzzer
	# keeps its own output and the sanitizers' reports.
	if "$build/fuzz/fuzz_$h" -max_total_time="$seconds" -close_fd_mask=3 \
		-artifact_prefix="$build/fuzz/crash-$h-" -print_final_stats=1 \
		"$work" "$top/fuzz/corpus/$h" >"$log" 2>&1; then
		passed=$((passed + 1))
		verdict=ok
	else
		failed=$((failed + 1))
		verdict="FAILED (see $log and $build/fuzz/crash-$h-*)"
	fi
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
	secs=$(sed -n 's/^Done [0-9]* runs in \([0-9]*\) second.*/\1/p' "$log")
	echo "fuzz: $h: ${runs:-?} executions in ${secs:-?} s, corpus $(ls "$work" | wc -l) new inputs: $verdict"
	[ "$verdict" = ok ] || grep -E "ERROR:|runtime error|SUMMARY" "$log" | head -5 >&2
done
echo "fuzz: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
