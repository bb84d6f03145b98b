#!/bin/sh
# tests/ahead/helgrind.sh TALLY BENCH_GEN — valgrind's thread checker over
# reading ahead (src/readers/ahead.c): no data race, no lock misused, in a
# validate and a convert of every format, and in a convert whose output
# fails while the reading thread is still busy. Run from the repository root.
# HELGRIND_FORMATS (default: csv json ndjson xml) limits the input formats.
set -u
tally=$1 gen=$2
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
helgrind="valgrind -q --tool=helgrind --error-exitcode=99"
failures=0
runs=0
for fmt in ${HELGRIND_FORMATS:-csv json ndjson xml}; do
    "$gen" -n 3000 --defective "$fmt" > "$dir/in.$fmt" || exit 1
    for cmd in "validate --no-progress" "convert --no-progress --to $fmt" \
               "convert --no-progress --to json -o /dev/full"; do
        # The status a plain run gives (1: the input is defective; 2: /dev/full)
        # is the one the run under helgrind must give: a crash under it (a
        # signal, or valgrind's own status) fails, as a thread error does.
        # shellcheck disable=SC2086  # cmd is words
        TALLY_READ_AHEAD=1 "$tally" $cmd "$dir/in.$fmt" > /dev/null 2>&1
        expected=$?
        # shellcheck disable=SC2086
        TALLY_READ_AHEAD=1 $helgrind "$tally" $cmd "$dir/in.$fmt" > /dev/null 2> "$dir/err"
        status=$?
        runs=$((runs + 1))
        if [ "$status" -eq 99 ]; then
            echo "FAIL helgrind: tally $cmd in.$fmt"
            grep '^==' "$dir/err" | head -20
            failures=$((failures + 1))
        elif [ "$status" -ne "$expected" ] || [ "$expected" -gt 2 ]; then
            echo "FAIL helgrind: tally $cmd in.$fmt: exit status $status (plain run: $expected)"
            sed -n 1,20p "$dir/err"
            failures=$((failures + 1))
        fi
    done
done
[ "$failures" -eq 0 ] || exit 1
echo "helgrind: $runs runs reading ahead, no thread errors"
