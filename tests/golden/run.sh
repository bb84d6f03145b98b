#!/bin/sh
# run.sh TALLY [CASE...] — the golden CLI tests.
#
# A case is a directory under tests/golden/cases/ holding:
#   cmd      one shell command line, run from the repository root; `tally` is the
#            binary under test (`tally-hooks`: the same with its test-only fault
#            hooks, TALLY_TEST_*); $OUT is an empty scratch directory
#   stdout   the exact expected standard output   (absent: must be empty)
#   stderr   the exact expected standard error    (absent: must be empty)
#   status   the expected exit status             (absent: 0)
#   out/     when present, $OUT must hold exactly these files, byte for byte
# Adding a case needs no C. TALLY_WRAPPER (e.g. "valgrind -q ...") prefixes
# every run of tally. Prints one line per failure and "N passed, N failed".
set -u
bin=$1
shift
case $bin in /*) ;; *) bin=$(pwd)/$bin ;; esac
root=$(pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/tally-golden.XXXXXX")
trap 'rm -rf "$work"' EXIT INT TERM
mkdir -p "$work/bin"
cat > "$work/bin/tally" <<WRAP
#!/bin/sh
exec ${TALLY_WRAPPER:-} "$bin" "\$@"
WRAP
# tally-hooks: the same CLI with its test-only fault hooks (make's
# build/tally-hooks, beside TALLY), for the cases that set TALLY_TEST_*.
cat > "$work/bin/tally-hooks" <<WRAP
#!/bin/sh
exec ${TALLY_WRAPPER:-} "${bin%/*}/tally-hooks" "\$@"
WRAP
chmod +x "$work/bin/tally" "$work/bin/tally-hooks"

if [ $# -eq 0 ]; then
    set -- "$root"/tests/golden/cases/*/
fi
passed=0
failed=0
for dir in "$@"; do
    dir=${dir%/}
    name=$(basename "$dir")
    OUT="$work/out-$name"
    rm -rf "$OUT" && mkdir -p "$OUT"
    export OUT
    (cd "$root" && PATH="$work/bin:$PATH" sh -c "$(cat "$dir/cmd")" \
        > "$work/stdout" 2> "$work/stderr" < /dev/null)
    status=$?
    expected_status=0
    [ -f "$dir/status" ] && expected_status=$(cat "$dir/status")
    ok=1
    for stream in stdout stderr; do
        expected="$dir/$stream"
        [ -f "$expected" ] || expected=/dev/null
        if ! cmp -s "$expected" "$work/$stream"; then
            echo "FAIL $name: $stream differs:"
            diff -u "$expected" "$work/$stream" | sed -n '3,40p'
            ok=0
        fi
    done
    if [ "$status" != "$expected_status" ]; then
        echo "FAIL $name: exit status $status, expected $expected_status"
        ok=0
    fi
    if [ -d "$dir/out" ] && ! diff -r "$dir/out" "$OUT" > "$work/outdiff" 2>&1; then
        echo "FAIL $name: output files differ:"
        sed -n '1,40p' "$work/outdiff"
        ok=0
    fi
    if [ $ok = 1 ]; then passed=$((passed + 1)); else failed=$((failed + 1)); fi
done
echo "golden: $passed passed, $failed failed"
[ $failed -eq 0 ]
