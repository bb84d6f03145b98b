#!/bin/sh
# run.sh TALLY GEN — tally build --publish ees against DfE's screener rules.
#
# tests/ees/check.py encodes every rule of DfE's EES screener (eesyscreener)
# that can be checked without R, each function named after the screener's.
# This runs it on the EES files of:
#   - the bundled fixtures (fixtures/build: one Reporting year, four nations);
#   - 217 returns in the shape of Heading back to harm (tests/harm/gen.py);
#   - generated multi-period builds (tests/property/gen.c: two Reporting
#     years, random authorities, rejects and resubmissions), several seeds;
#   - two financial years, and two quarters of one (written here);
# and checks that tally refuses what EES cannot hold: periods of two kinds in
# one build, a period EES has no name for (exit 1, nothing published, the
# periods named). Then it proves the checker can fail: broken copies of a
# good pair of files must each fail it.
# Prints "ees: N passed, N failed".
set -u
tally=$1
gen=$2
case $tally in /*) ;; *) tally=$(pwd)/$tally ;; esac
case $gen in /*) ;; *) gen=$(pwd)/$gen ;; esac
root=$(pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/tally-ees.XXXXXX")
trap 'rm -rf "$work"' EXIT INT TERM
passed=0
failed=0
ok() { passed=$((passed + 1)); }
bad() { failed=$((failed + 1)); echo "FAIL $*"; }
check="python3 $root/tests/ees/check.py"

# screen NAME DIR: the EES files in DIR/ees must pass every check
screen() {
    if $check "$2/ees/missing_from_care.csv" "$2/ees/missing_from_care.meta.csv" > "$work/screen.out"; then
        ok
    else
        bad "$1: the EES files fail the screener's rules:"
        grep '^FAIL' "$work/screen.out" | sed -n 1,10p
    fi
    # no blank indicator or filter cell, whatever the checker allows
    if awk -F, 'NR == 1 { for (i = 11; i <= NF; i++) want[i] = 1; next }
                { for (i in want) if ($i == "") { print FILENAME ": line " NR ": column " i " blank"; exit 1 } }' \
            "$2/ees/missing_from_care.csv"; then ok; else bad "$1: a blank cell"; fi
}

# publish NAME ARGS...: a build with --publish ees; exit 0 or 1 (records rejected)
publish() {
    name=$1
    shift
    "$tally" build -q --no-progress --publish ees "$@" > "$work/build.out" 2>&1
    status=$?
    if [ $status -le 1 ] && [ -f "$work/$name/ees/missing_from_care.csv" ]; then
        ok
    else
        bad "$name: tally build --publish ees exited $status:"
        sed -n 1,10p "$work/build.out"
    fi
}

publish fixtures -o "$work/fixtures" fixtures/build
screen fixtures "$work/fixtures"

python3 tests/harm/gen.py "$work/harm-returns" > /dev/null
publish harm -o "$work/harm" "$work/harm-returns"
screen harm "$work/harm"
# the paper's rate, as EES will show it: 28.3 for trafficked children in the UK
rate=$(awk -F, '$3 == "National" && $4 == "K02000001" && $11 == "Trafficked or suspected trafficked" { print $14 }' \
    "$work/harm/ees/missing_from_care.csv")
if [ "$rate" = "28.3" ]; then ok; else bad "harm: the UK trafficked rate is \"$rate\", not 28.3"; fi

for seed in 1 2 3 4 5 6; do
    rm -rf "$work/gen"
    "$gen" $seed schemas/authorities.csv "$work/gen" || bad "the generator failed (seed $seed)"
    publish "gen/out" -o "$work/gen/out" "$work/gen/returns"
    screen "seed $seed" "$work/gen/out"
    periods=$(cut -d, -f1,2 "$work/gen/out/ees/missing_from_care.csv" | sort -u | grep -vc time_period)
    if [ "$periods" = 2 ]; then ok; else bad "seed $seed: $periods time periods, not 2"; fi
done

# Two financial years, and two quarters of one.
cat > "$work/fy.csv" <<'CSV'
authority_code,period_start,period_end,cohort,in_care,went_missing,missing_incidents,found,not_found
E10000016,2014-04-01,2015-03-31,uasc,900,170,400,120,50
E10000016,2015-04-01,2016-03-31,uasc,985,190,412,137,53
E06000016,2015-04-01,2016-03-31,trafficked,30,12,20,10,2
CSV
publish fy -o "$work/fy" "$work/fy.csv"
screen "financial years" "$work/fy"
ids=$(cut -d, -f1,2 "$work/fy/ees/missing_from_care.csv" | sort -u | grep -v time_period | tr '\n' ' ')
if [ "$ids" = "201415,Financial year 201516,Financial year " ]; then ok; else bad "financial years: $ids"; fi
sed -e 's/2014-04-01,2015-03-31/2015-04-01,2015-06-30/' -e 's/2015-04-01,2016-03-31/2015-07-01,2015-09-30/' \
    "$work/fy.csv" > "$work/q.csv"
publish q -o "$work/q" "$work/q.csv"
screen quarters "$work/q"
ids=$(cut -d, -f1,2 "$work/q/ees/missing_from_care.csv" | sort -u | grep -v time_period | tr '\n' ' ')
if [ "$ids" = "201516,Financial year Q1 201516,Financial year Q2 " ]; then ok; else bad "quarters: $ids"; fi

# A financial year and a reporting year: EES cannot hold both in one file.
cat "$work/fy.csv" > "$work/mixed.csv"
echo "E06000016,2014-10-01,2015-09-30,uasc,20,4,6,3,1" >> "$work/mixed.csv"
"$tally" build -q --no-progress --publish ees -o "$work/mixed" "$work/mixed.csv" > "$work/mixed.out" 2>&1
status=$?
if [ $status = 1 ] && [ ! -e "$work/mixed" ] && grep -q 'error\[publish-period\]: EES cannot hold the period' "$work/mixed.out"; then
    ok
else
    bad "mixed periods: exit $status, or something published, or no publish-period error:"
    sed -n 1,5p "$work/mixed.out"
fi
# A period EES has no name for.
echo "E06000016,2015-01-15,2015-06-30,uasc,20,4,6,3,1" > "$work/odd.csv.body"
(head -1 "$work/fy.csv"; cat "$work/odd.csv.body") > "$work/odd.csv"
"$tally" build -q --no-progress --publish ees -o "$work/odd" "$work/odd.csv" > "$work/odd.out" 2>&1
status=$?
if [ $status = 1 ] && [ ! -e "$work/odd" ] && grep -q 'EES cannot name the period 2015-01-15 to 2015-06-30' "$work/odd.out"; then
    ok
else
    bad "a period EES cannot name: exit $status:"
    sed -n 1,5p "$work/odd.out"
fi

# ---- the checker must fail broken files -----------------------------------------------
d=$work/fixtures/ees/missing_from_care.csv
m=$work/fixtures/ees/missing_from_care.meta.csv
# broken WHAT CHECK DATA META: check.py must FAIL (or WARN, for a warning rule) at CHECK
broken() {
    mkdir -p "$work/broken"
    cp "$3" "$work/broken/missing_from_care.csv"
    cp "$4" "$work/broken/missing_from_care.meta.csv"
    $check "$work/broken/missing_from_care.csv" "$work/broken/missing_from_care.meta.csv" > "$work/broken.out"
    if grep -q "^\(FAIL\|WARNING\) $2" "$work/broken.out"; then ok; else bad "self-test: check.py missed $1 ($2)"; fi
}
sed '2s/,[^,]*$/,/' "$d" > "$work/b1.csv"
broken "a blank indicator" "ind_invalid_entry_null" "$work/b1.csv" "$m"
sed 's/,North East,/,North-East,/' "$d" > "$work/b2.csv"
broken "a region misspelt" "geog_region_combos" "$work/b2.csv" "$m"
sed '2s/^2015,Reporting year/20145,Reporting year/' "$d" > "$work/b3.csv"
broken "a 5-digit time period" "time_period_num" "$work/b3.csv" "$m"
sed '3s/Reporting year/Financial year/' "$d" > "$work/b4.csv"
broken "mixed time identifiers" "time_id_mix" "$work/b4.csv" "$m"
sed '2s/,National,K02000001,United Kingdom,,,,,,/,National,K02000001,United Kingdom,E12000001,North East,,,,/' "$d" > "$work/b5.csv"
broken "a region on a national row" "geog_overcompleted_cols" "$work/b5.csv" "$m"
(cat "$d"; sed -n 2p "$d") > "$work/b6.csv"
broken "a duplicate row" "general_dupes" "$work/b6.csv" "$m"
sed 's/,805,/,806,/' "$d" > "$work/b7.csv"
broken "a wrong DfE number" "geog_la_combos" "$work/b7.csv" "$m"
sed 's/^in_care_count,Indicator,Children looked after/in_care_count,Indicator,Missing incidents/' "$m" > "$work/b8.meta.csv"
broken "a label used twice" "meta_dupe_label" "$d" "$work/b8.meta.csv"
sed 's/,%,1,,,$/,percent,1,,,/' "$m" > "$work/b9.meta.csv"
broken "a unit EES does not know" "meta_ind_unit_validation" "$d" "$work/b9.meta.csv"
sed 's/,Trafficked or suspected trafficked$/,Total/' "$m" > "$work/b10.meta.csv"
broken "a filter default not in the data" "filter_defaults" "$d" "$work/b10.meta.csv"
sed '1s/in_care_count/In care count/' "$d" > "$work/b11.csv"
broken "a column name with spaces" "col_names_spaces" "$work/b11.csv" "$m"
sed '2s/,c,/,:,/' "$d" > "$work/b12.csv"
broken "a legacy symbol" "ind_invalid_entry" "$work/b12.csv" "$m"
grep -v '^cohort,' "$m" > "$work/b13.meta.csv"
broken "the filter missing from the metadata" "cross_data_to_meta" "$d" "$work/b13.meta.csv"

echo "ees: $passed passed, $failed failed"
[ $failed -eq 0 ]
