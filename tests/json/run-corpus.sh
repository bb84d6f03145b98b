#!/bin/sh
# run-corpus.sh TALLY — the JSON grammar corpus (tests/json/corpus/), built
# from RFC 8259's grammar: numbers, strings, escapes, surrogates, white space,
# structure, and NDJSON lines.
#
#   accept/NNN-name.json|.ndjson   valid JSON: tally must report no error about
#                                  the JSON itself (json-syntax, json-depth,
#                                  encoding, limit); json-shape, type and other
#                                  errors about what the values mean are fine
#   reject/NNN-name.json|.ndjson   not JSON: the first such error must be the one
#   reject/NNN-name.expect         written here, "LINE:COLUMN CODE" (a line ends at
#                                  LF, CRLF or a lone CR; a column is a character)
#
# Adding a case is adding a file (and its .expect). Prints one line per wrong
# verdict and a count; exit status 1 when any verdict is wrong.
set -u
tally=$1
case $tally in /*) ;; *) tally=$(pwd)/$tally ;; esac
cd "$(dirname "$0")/corpus" || exit 2

# The first error about the JSON itself, as "LINE:COLUMN CODE", or nothing
# (from the text report: "FILE:LINE:COLUMN: error[CODE]: message").
first_error() {
    "$tally" validate --no-progress "$1" 2>/dev/null |
        sed -n 's/^[^:]*:\([0-9]*:[0-9]*\): error\[\(json-syntax\|json-depth\|encoding\|limit\)\]: .*/\1 \2/p' |
        head -n 1
}

passed=0
failed=0
for f in accept/*.json accept/*.ndjson; do
    [ -f "$f" ] || continue
    got=$(first_error "$f")
    if [ -n "$got" ]; then
        echo "FAIL $f: valid JSON, but tally reports $got"
        failed=$((failed + 1))
    else
        passed=$((passed + 1))
    fi
done
for f in reject/*.json reject/*.ndjson; do
    [ -f "$f" ] || continue
    want=$(cat "${f%.*}.expect")
    got=$(first_error "$f")
    if [ "$got" != "$want" ]; then
        echo "FAIL $f: want $want, got ${got:-no error}"
        failed=$((failed + 1))
    else
        passed=$((passed + 1))
    fi
done
echo "json corpus: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
