#!/bin/sh
# tests/ahead/run.sh TALLY BENCH_GEN — reading ahead on a second thread
# (src/readers/ahead.c) changes nothing a user can see.
#
# For returns of 30,000 records with ~1% defects in every format (2 to 9 MB:
# above the 1 MiB where tally reads ahead by itself), the text report, the
# JSON report, every converted output, the build's dataset and report, and
# every exit status must be byte for byte the same with TALLY_READ_AHEAD=0
# (no thread) and =1 (a thread). So must an early end: a convert whose output
# fails (/dev/full) while the thread is still reading. The golden tests are
# run a second time with TALLY_READ_AHEAD=1 as well (make check), for every
# small case. Run from the repository root.
set -u
tally=$1 gen=$2
dir=$(mktemp -d)
[ -n "${AHEAD_KEEP-}" ] || trap 'rm -rf "$dir"' EXIT
failures=0 checks=0

# run NAME CMD...: the command's stdout, stderr and status, in both modes.
run() {
    name=$1
    shift
    for mode in 0 1; do
        TALLY_READ_AHEAD=$mode "$@" > "$dir/$name.$mode.out" 2> "$dir/$name.$mode.err"
        echo "$?" > "$dir/$name.$mode.status"
    done
    for part in out err status; do
        checks=$((checks + 1))
        if ! cmp -s "$dir/$name.0.$part" "$dir/$name.1.$part"; then
            echo "FAIL $name: standard $part differs with and without reading ahead"
            diff "$dir/$name.0.$part" "$dir/$name.1.$part" | head -5
            failures=$((failures + 1))
        fi
    done
}

for fmt in csv json ndjson xml; do
    "$gen" -n 30000 --defective "$fmt" > "$dir/in.$fmt" || { echo "FAIL: bench-gen $fmt"; exit 1; }
    run "validate-$fmt" "$tally" validate --no-progress "$dir/in.$fmt"
    run "report-$fmt" "$tally" validate --no-progress --report json "$dir/in.$fmt"
    for to in csv json ndjson xml; do
        run "convert-$fmt-$to" "$tally" convert --no-progress --to "$to" "$dir/in.$fmt"
    done
    run "full-$fmt" "$tally" convert --no-progress --to json -o /dev/full "$dir/in.$fmt"
done
# Diagnostics that fill batches on their own: one submission with 30,000
# unknown keys (about 5 MB of warnings before its record).
awk 'BEGIN { printf "[{\"authority\": {\"code\": \"E06000001\"}, \"period\": {\"start\": "
             printf "\"2014-10-01\", \"end\": \"2015-09-30\"}, "
             for (i = 0; i < 30000; i++) printf "\"unknown_key_%d\": %d, ", i, i
             printf "\"cohorts\": [{\"cohort\": \"uasc\", \"in_care\": 5, \"went_missing\": 1, "
             printf "\"missing_incidents\": 1, \"found\": 1, \"not_found\": 0}]}]\n" }' > "$dir/keys.json"
run "unknown-keys" "$tally" validate --no-progress "$dir/keys.json"
grep -q 'unknown key "unknown_key_29999"' "$dir/unknown-keys.1.err" "$dir/unknown-keys.1.out" ||
    { echo "FAIL: the last unknown key was not reported"; failures=$((failures + 1)); }

# The defects must really be there, or the comparison proves little.
grep -q 'error\[' "$dir/validate-xml.1.out" || { echo "FAIL: no errors in the defective XML"; failures=$((failures + 1)); }
grep -q 'cannot write' "$dir/full-csv.1.err" || { echo "FAIL: convert to /dev/full did not fail"; failures=$((failures + 1)); }

for mode in 0 1; do
    TALLY_READ_AHEAD=$mode "$tally" build --no-progress -o "$dir/national.$mode" \
        "$dir/in.csv" "$dir/in.json" > /dev/null 2>&1
done
for f in dataset.csv rejects.csv report.json; do
    checks=$((checks + 1))
    cmp -s "$dir/national.0/$f" "$dir/national.1/$f" ||
        { echo "FAIL build: $f differs with and without reading ahead"; failures=$((failures + 1)); }
done

if [ "$failures" -ne 0 ]; then
    echo "ahead: $failures of $checks comparisons failed"
    exit 1
fi
echo "ahead: $checks comparisons, all the same with and without reading ahead"
