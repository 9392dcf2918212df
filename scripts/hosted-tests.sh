#!/bin/sh
# The hosted platform's suites, natively on this host (no KVM, no nested
# guest): test_hosted, then the guest scenario and slice suites with
# EXO_PLATFORM=hosted (or ptrace: PLATFORM). Exit 77 (CTest: skipped) only
# where this host refuses what the platform is made of (tests/hosted/probe.c
# says which).
# Usage: hosted-tests.sh BUILD_DIR [hosted|ptrace]
set -u
build=${1:?usage: hosted-tests.sh BUILD_DIR [hosted|ptrace]}
platform=${2:-hosted}
case $platform in
hosted|ptrace) ;;
*) echo "hosted-tests.sh: platform '$platform': write hosted or ptrace" >&2; exit 2 ;;
esac

"$build/tests/hosted_probe" "$platform"
st=$?
[ "$st" -eq 0 ] || exit "$st"
export EXO_PLATFORM=$platform
fail=0
"$build/tests/test_hosted" || fail=1
CRITERION_JOBS=${CRITERION_JOBS:-2} "$build/tests/test_scenario" || fail=1
# Proportions of real time: one boot at a time (as the slice test on kvm).
"$build/tests/test_slice" --jobs 1 || fail=1
exit "$fail"
