#!/bin/sh
# docs/abi.md cannot drift from include/exo/: every system call defined there
# (SYS_name = N in an enum) must have a row `| `SYS_name` | N |` in the doc,
# and every error code the doc names (E_NAME) must exist in <exo/error.h>.
#   scripts/check-abi-doc.sh [SOURCE_DIR]
# Exit 0 when they agree, 1 with one line per disagreement, 2 on bad input.
set -eu
src=${1:-$(cd "$(dirname "$0")/.." && pwd)}
doc=$src/docs/abi.md
inc=$src/include/exo
for f in "$doc" "$inc/syscall.h" "$inc/error.h"; do
	[ -r "$f" ] || { echo "check-abi-doc: cannot read $f; give the source directory" >&2; exit 2; }
done

# "SYS_name N" for each enum entry with an explicit number, in every header.
calls=$(cat "$inc"/*.h | sed -n 's/^[[:space:]]*\(SYS_[A-Za-z0-9_]*\)[[:space:]]*=[[:space:]]*\([0-9][0-9]*\).*/\1 \2/p')
[ -n "$calls" ] || { echo "check-abi-doc: no SYS_name = N found in $inc" >&2; exit 2; }
errors=$(sed -n 's/^[[:space:]]*\(E_[A-Z0-9_]*\)[[:space:]]*=.*/\1/p' "$inc/error.h")

bad=0
n=0
while read -r name num; do
	n=$((n + 1))
	if ! grep -q "^| \`$name\` | $num |" "$doc"; then
		echo "docs/abi.md: no row for $name (number $num); add '| \`$name\` | $num | arguments | returns | errors |'"
		bad=1
	fi
done <<END
$calls
END
for e in $(grep -ow 'E_[A-Z][A-Z0-9_]*' "$doc" | sort -u); do
	if ! echo "$errors" | grep -qx "$e"; then
		echo "docs/abi.md: names $e, which <exo/error.h> does not define"
		bad=1
	fi
done
[ $bad -eq 0 ] && echo "docs/abi.md: all $n system calls documented, every error name defined"
exit $bad
