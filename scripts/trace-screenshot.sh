#!/bin/sh
# A picture of `exo trace` on IPC ping-pong, rendered offline.
#
#   scripts/trace-screenshot.sh [BUILD_DIR] [OUT.png]
#
# ui.perfetto.dev needs the internet, no Perfetto UI is packaged in Debian or
# npm, and Chromium 156 (Debian 12) no longer has chrome://tracing. The
# closest offline viewer of the same Chrome trace-event JSON is speedscope
# (npm, MIT, 1.1 MB), in headless Chromium. Both are fetched on demand, here
# only: not by setup.sh, not in CI. The kernel track of vCPU 0 is shown,
# zoomed to about 2 ms of the run: the general-path IPC crossings as slices.
# The JSON itself is what ui.perfetto.dev opens.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
build=${1:-/tmp/b-tr}
out=${2:-$PWD/perfetto-pingpong.png}
cache=${XDG_CACHE_HOME:-$HOME/.cache}/exo
viewer=speedscope@1.25.0

if ! command -v chromium >/dev/null; then
	echo "trace-screenshot: installing chromium (Debian) for the headless browser" >&2
	DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends chromium >&2
fi
if [ ! -f "$cache/speedscope/index.html" ]; then
	echo "trace-screenshot: fetching $viewer from npm into $cache" >&2
	mkdir -p "$cache/pack"
	(cd "$cache/pack" && npm pack --silent "$viewer" >/dev/null)
	tar -xzf "$cache"/pack/speedscope-*.tgz -C "$cache/pack"
	rm -rf "$cache/speedscope"
	mv "$cache/pack/package/dist/release" "$cache/speedscope"
	rm -rf "$cache/pack"
fi

work=$(mktemp -d)
server=
cleanup() {
	[ -n "$server" ] && kill "$server" 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT INT TERM

"$build/exo" trace -o "$work/pingpong.json" "$build/programs/l4test" pingpong >&2
ln -s "$cache/speedscope" "$work/speedscope"
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
# speedscope fetches the profile, which it will not do from file:, so serve both.
(cd "$work" && exec python3 -m http.server "$port" --bind 127.0.0.1 >/dev/null 2>&1) &
server=$!
sleep 1
python3 "$here/trace_screenshot.py" \
	"http://127.0.0.1:$port/speedscope/index.html#profileURL=http://127.0.0.1:$port/pingpong.json&title=exo%20trace%20l4test%20pingpong" \
	"$out"
echo "trace-screenshot: $out" >&2
