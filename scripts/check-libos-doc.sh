#!/bin/sh
# docs/libos.md cannot drift from libos/lib/*.h: every function a header
# declares or defines at file scope, and every function-like macro, must have
# an entry in the doc, a line `- `SIGNATURE`: ...` whose signature is the
# header's (whitespace collapsed, `static inline` and attributes left out);
# every entry must name something a header declares; and every error code the
# doc names (E_NAME) must exist in <exo/error.h>.
#   scripts/check-libos-doc.sh [SOURCE_DIR]
# Exit 0 when they agree, 1 with one line per disagreement, 2 on bad input.
set -eu
src=${1:-$(cd "$(dirname "$0")/.." && pwd)}
doc=$src/docs/libos.md
lib=$src/libos/lib
errh=$src/include/exo/error.h
for f in "$doc" "$errh" "$lib/libos.h"; do
	[ -r "$f" ] || { echo "check-libos-doc: cannot read $f; give the source directory" >&2; exit 2; }
done

# One line per declaration: "header<TAB>name<TAB>signature". Comments and
# string literals go first; preprocessor lines give the function-like macros
# (NAME(args) with no space before the parenthesis); the rest is read as C
# statements at brace depth 0, each ended by ';' or '{', and the first
# identifier followed by '(' names the function (typedefs, function pointer
# variables and _Static_assert are not functions).
extract() {
	awk '
	function flush_stmt(s,    name, sig, i, d, c, rest) {
		gsub(/[ \t]+/, " ", s)
		sub(/^ /, "", s); sub(/ $/, "", s)
		if (s == "" || s ~ /^typedef /)
			return
		# __attribute__((...)), balanced
		while ((i = index(s, "__attribute__")) > 0) {
			rest = substr(s, i + 13); d = 0
			for (c = 1; c <= length(rest); c++) {
				ch = substr(rest, c, 1)
				if (ch == "(") d++
				else if (ch == ")") { d--; if (d == 0) break }
			}
			s = substr(s, 1, i - 1) substr(rest, c + 1)
		}
		s = " " s " "
		while (gsub(/ (static|inline|extern) /, " ", s))
			;
		gsub(/[ \t]+/, " ", s); sub(/^ /, "", s); sub(/ $/, "", s)
		if (!match(s, /[A-Za-z_][A-Za-z0-9_]* ?\(/))
			return
		name = substr(s, RSTART, RLENGTH)
		sub(/ ?\($/, "", name)
		if (name == "_Static_assert" || name == "sizeof")
			return
		rest = substr(s, RSTART + RLENGTH)
		if (rest ~ /^ ?\*/)
			return          # a pointer to a function: a variable
		sig = s
		gsub(/\( /, "(", sig); gsub(/ \)/, ")", sig); gsub(/\* /, "*", sig)
		print FILENAME "\t" name "\t" sig
	}
	FNR == 1 { incomment = 0; cont = 0; depth = 0; stmt = "" }
	{
		line = $0
		# Continuation of a preprocessor line: skipped.
		if (cont) { cont = line ~ /\\$/; next }
		# Comments and string or character literals out.
		out = ""
		while (line != "") {
			if (incomment) {
				i = index(line, "*/")
				if (i == 0) { line = ""; break }
				line = substr(line, i + 2); incomment = 0; out = out " "
				continue
			}
			if (!match(line, /\/\*|\/\/|"|'"'"'/)) { out = out line; break }
			out = out substr(line, 1, RSTART - 1)
			tok = substr(line, RSTART, RLENGTH)
			line = substr(line, RSTART + RLENGTH)
			if (tok == "/*") { incomment = 1; continue }
			if (tok == "//") { line = ""; break }
			# a literal: up to its closing quote, escapes skipped
			while (line != "") {
				ch = substr(line, 1, 1); line = substr(line, 2)
				if (ch == "\\") { line = substr(line, 2); continue }
				if (ch == tok) break
			}
			out = out tok tok
		}
		if (out ~ /^[ \t]*#/) {
			cont = out ~ /\\$/
			if (match(out, /^[ \t]*#[ \t]*define[ \t]+[A-Za-z_][A-Za-z0-9_]*\([^)]*\)/)) {
				m = substr(out, RSTART, RLENGTH)
				sub(/^[ \t]*#[ \t]*define[ \t]+/, "", m)
				name = m; sub(/\(.*/, "", name)
				gsub(/[ \t]+/, "", m); gsub(/,/, ", ", m)
				print FILENAME "\t" name "\t" m
			}
			next
		}
		for (c = 1; c <= length(out); c++) {
			ch = substr(out, c, 1)
			if (ch == "{") {
				if (depth == 0) flush_stmt(stmt)
				depth++; stmt = ""
			} else if (ch == "}") {
				depth--; stmt = ""
			} else if (depth == 0) {
				if (ch == ";") { flush_stmt(stmt); stmt = "" }
				else stmt = stmt ch
			}
		}
		if (depth == 0) stmt = stmt " "
	}
	' "$@"
}

decls=$(cd "$src" && extract libos/lib/*.h)
[ -n "$decls" ] || { echo "check-libos-doc: no declarations found in $lib/*.h" >&2; exit 2; }

# The doc's entries (`- `SIGNATURE`: ...` lines, named by the first
# identifier followed by '(') against the declarations, in one awk.
bad=0
n=$(printf '%s\n' "$decls" | wc -l | tr -d ' ')
printf '%s\n' "$decls" | awk -F '\t' '
	NR == FNR {
		if (!match($0, /^- `[^`]*`/))
			next
		sig = substr($0, 4, RLENGTH - 4)
		if (!match(sig, /[A-Za-z_][A-Za-z0-9_]*\(/))
			next
		name = substr(sig, RSTART, RLENGTH - 1)
		if (!(name in count)) { order[++ne] = name; first[name] = sig }
		count[name]++
		has[name, sig] = 1
		next
	}
	{
		declared[$2] = 1
		if (!($2 in count)) {
			printf "docs/libos.md: no entry for %s (%s); add %c- `%s`: what it does; returns; errors%c\n", $2, $1, 39, $3, 39
			bad = 1
		} else if (!(($2, $3) in has)) {
			printf "docs/libos.md: the entry for %s has %c%s%c, %s declares %c%s%c\n", $2, 39, first[$2], 39, $1, 39, $3, 39
			bad = 1
		}
	}
	END {
		for (i = 1; i <= ne; i++) {
			name = order[i]
			if (count[name] > 1) {
				printf "docs/libos.md: %d entries for %s; keep one\n", count[name], name
				bad = 1
			}
			if (!(name in declared)) {
				printf "docs/libos.md: has an entry for %s, which no header of libos/lib declares\n", name
				bad = 1
			}
		}
		exit bad
	}
' "$doc" - || bad=1
errors=$(sed -n 's/^[[:space:]]*\(E_[A-Z0-9_]*\)[[:space:]]*=.*/\1/p' "$errh")
for e in $(grep -ow 'E_[A-Z][A-Z0-9_]*' "$doc" | sort -u); do
	if ! printf '%s\n' "$errors" | grep -qx "$e"; then
		echo "docs/libos.md: names $e, which <exo/error.h> does not define"
		bad=1
	fi
done
[ $bad -eq 0 ] && echo "docs/libos.md: all $n functions and macros of libos/lib/*.h documented with their signatures, every entry declared, every error name defined"
exit $bad
