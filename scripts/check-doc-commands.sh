#!/bin/sh
# What a newcomer types from the docs, run: docs/programs.md's block that
# builds a program out of the tree, applied to libos/tutorial/pager.c in a
# scratch directory, then the result run on the hosted platform (its checks
# must hold); every option `exo run --help` lists must be in docs/run.md's
# table; and exo run, stat, trace and bench --help name every boot option
# they take.
#   scripts/check-doc-commands.sh SOURCE_DIR BUILD_DIR
# Exit 0 when they agree, 1 with what does not, 2 on bad input, 77 (skip)
# for the run alone where this host refuses the hosted platform.
set -u
src=${1:?usage: check-doc-commands.sh SOURCE_DIR BUILD_DIR}
build=${2:?usage: check-doc-commands.sh SOURCE_DIR BUILD_DIR}
doc=$src/docs/programs.md
for f in "$doc" "$src/docs/run.md" "$src/host/cli.h" "$build/exo" "$build/libos/liblibos.a"; do
	[ -r "$f" ] || { echo "check-doc-commands: cannot read $f" >&2; exit 2; }
done
bad=0

# The options of `exo run --help` (lines "  --name ...") against run.md's rows.
for o in $("$build/exo" run --help | sed -n 's/^  \(--[a-z0-9-]*\).*/\1/p'); do
	grep -q "^| \`$o[ \`]" "$src/docs/run.md" ||
		{ echo "docs/run.md: no row for $o, which 'exo run --help' lists"; bad=1; }
done

# The boot options every booting command takes (CLI_BOOT_OPTIONS of
# host/cli.h) must be named in each one's --help.
boot_opts=$(sed -n '/define CLI_BOOT_OPTIONS/,/^$/s/.*{ "\([a-z0-9-]*\)",.*/\1/p' "$src/host/cli.h")
[ -n "$boot_opts" ] || { echo "check-doc-commands: no CLI_BOOT_OPTIONS in $src/host/cli.h" >&2; exit 2; }
for c in run stat trace bench; do
	help=$("$build/exo" "$c" --help)
	for o in $boot_opts; do
		printf '%s\n' "$help" | grep -qE -- "--$o([^a-z0-9-]|\$)" ||
			{ echo "exo $c --help: no --$o, which it takes (CLI_BOOT_OPTIONS)"; bad=1; }
	done
done

# The first sh block after "**Out of the tree**", its EXO= line left out:
# EXO is a directory that looks like the repository with its build.
block=$(sed -n '/^\*\*Out of the tree\*\*/,$p' "$doc" |
	sed -n '/^```sh$/,/^```$/{/^```/d;p}' | sed '/^EXO=/d')
[ -n "$block" ] || { echo "docs/programs.md: no sh block after **Out of the tree**"; exit 1; }
scratch=$(mktemp -d "${TMPDIR:-/tmp}/exo-doc.XXXXXX") || exit 2
trap 'rm -rf "$scratch"' EXIT
mkdir "$scratch/exo" "$scratch/mine"
for d in include libos; do ln -s "$src/$d" "$scratch/exo/$d"; done
ln -s "$build" "$scratch/exo/build"
cp "$src/libos/tutorial/pager.c" "$scratch/mine/mypager.c"
# Build with the block's commands; the run line is run below, on hosted.
build_cmds=$(printf '%s\n' "$block" | sed '/\$EXO\/build\/exo /d')
if ! (cd "$scratch/mine" && EXO=$scratch/exo && export EXO && eval "$build_cmds"); then
	echo "docs/programs.md: the out-of-tree build failed:"
	printf '%s\n' "$build_cmds"
	exit 1
fi
printf '%s\n' "$block" | grep -q '^\$EXO/build/exo run \./mypager$' ||
	{ echo "docs/programs.md: the block does not end by running ./mypager"; bad=1; }
"$build/tests/hosted_probe" hosted >/dev/null 2>&1
st=$?
if [ "$st" -ne 0 ]; then
	echo "check-doc-commands: the hosted platform is refused here; built, not run"
	[ "$bad" -eq 0 ] && exit 77
	exit 1
fi
out=$(cd "$scratch/mine" && "$build/exo" run --platform hosted ./mypager 2>&1)
st=$?
if [ "$st" -ne 0 ] || ! printf '%s\n' "$out" | grep -q '^tut-pager: every check held$'; then
	echo "the out-of-tree pager: exit $st, output:"
	printf '%s\n' "$out"
	bad=1
fi
exit "$bad"
