#!/bin/sh
# A picture of `exo trace` on IPC ping-pong, rendered offline.
#
#   scripts/trace-screenshot.sh [BUILD_DIR] [OUT.png]
#
# ui.perfetto.dev needs the internet and no Perfetto UI is packaged in Debian
# or npm. Chromium (Debian) carries a trace viewer of its own for the same
# Chrome trace-event JSON: the DevTools Performance panel, which its
# remote-debugging port serves. trace_screenshot.py loads the trace there in
# headless Chromium and saves the kernel and thread tracks, zoomed to 1.6 ms
# in the middle of the run. Chromium is installed on demand, here only: not
# by setup.sh, not in CI.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
build=${1:-$here/../build}
out=${2:-$PWD/trace-pingpong.png}

if ! command -v chromium >/dev/null; then
	echo "trace-screenshot: installing chromium (Debian) for the headless browser" >&2
	DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends chromium >&2
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT INT TERM
"$build/exo" trace -o "$work/pingpong.json" "$build/programs/l4test" pingpong >&2
python3 "$here/trace_screenshot.py" "$work/pingpong.json" "$out"
echo "trace-screenshot: $out" >&2
