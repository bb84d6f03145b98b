#!/bin/sh
# examples.sh BUILD — the programs in examples/ as a third party builds them:
# `make install` into a temporary PREFIX, then each example compiled with only
# `pkg-config --cflags --libs tally` (PKG_CONFIG_PATH at the installed
# tally.pc: no -I or -L into this tree), run on fixtures, and its output and
# exit status compared byte for byte with examples/expected/. Each output is
# also checked against the tally command's own for the same files.
set -eu
build=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "check-examples: $*" >&2; exit 1; }

make -s install PREFIX="$tmp/usr" >/dev/null
export PKG_CONFIG_PATH="$tmp/usr/lib/pkgconfig"
flags=$(pkg-config --cflags --libs tally)
case "$flags" in *"$tmp/usr/include"*"$tmp/usr/lib"*) ;; *) fail "pkg-config gives $flags" ;; esac
for src in examples/*.c; do
    name=$(basename "$src" .c)
    # shellcheck disable=SC2086
    ${CC:-cc} -std=c11 -Wall -Wextra -Werror -o "$tmp/$name" "$src" $flags ||
        fail "$src does not build against the installed package"
done

# run NAME EXPECTED ARGS...: stdout and the exit status, as examples/expected/EXPECTED.
n=0
run() {
    name=$1 expected=examples/expected/$2.out
    shift 2
    set +e
    "$tmp/$name" "$@" > "$tmp/out" 2> "$tmp/err"
    echo "exit $?" >> "$tmp/out"
    set -e
    cmp -s "$expected" "$tmp/out" || { diff -u "$expected" "$tmp/out"; fail "$name $*: not as $expected"; }
    n=$((n + 1))
}
run validate-buffer validate-buffer-kent fixtures/returns/kent.csv
run validate-buffer validate-buffer-messy fixtures/messy/messy.csv
run validate-buffer validate-buffer-errors-xlsx fixtures/workbooks/errors.xlsx
run build-two build-two fixtures/build/kent.csv fixtures/build/wales.json

# The same diagnostics as `tally validate`, the same UK rows as `tally build`.
for f in fixtures/messy/messy.csv fixtures/workbooks/errors.xlsx fixtures/build/wales.json; do
    "$tmp/validate-buffer" "$f" | grep "^$f:" > "$tmp/lib" || true
    "$build/tally" validate "$f" | grep "^$f:" > "$tmp/cli" || true
    [ -s "$tmp/cli" ] || fail "$f: tally validate found nothing to compare"
    cmp -s "$tmp/lib" "$tmp/cli" || { diff -u "$tmp/cli" "$tmp/lib"; fail "$f: not tally validate's diagnostics"; }
done
"$tmp/build-two" fixtures/build/kent.csv fixtures/build/wales.json 2>/dev/null | sed -n '5,$p' > "$tmp/lib"
"$build/tally" build -q -o "$tmp/n" fixtures/build/kent.csv fixtures/build/wales.json 2>/dev/null || true
{ head -1 "$tmp/n/dataset.csv"; grep ',uk,' "$tmp/n/dataset.csv"; } > "$tmp/cli"
cmp -s "$tmp/lib" "$tmp/cli" || { diff -u "$tmp/cli" "$tmp/lib"; fail "build-two: not tally build's UK rows"; }
echo "check-examples: $(ls examples/*.c | wc -l) examples built from the installed package, $n runs as expected, all as the tally command"
