#!/bin/sh
# check.sh TALLY GEN RUNS [FIRST_SEED] — the "nothing lost" property test.
#
# For each seed from FIRST_SEED (default 1) on, RUNS times: gen.c writes a
# random set of returns and the truth about every record in them (truth.csv);
# `tally build` builds the dataset; then, with sqlite3 over truth.csv,
# rejects.csv, dataset.csv and dataset.sqlite, and jq over report.json:
#
#   1. read = accepted + rejected + superseded + duplicate (report.json), and
#      read is the number of records written: none missed, none invented
#   2. rejects.csv holds exactly the rejected, superseded and duplicate records
#   3. every record written with a defect, or in conflict, is in rejects.csv as
#      rejected, at its file and line; every superseded one as superseded
#   4. of each group of identical records, all but one are duplicates
#   5. every record that must be accepted is not in rejects.csv, and has its
#      authority row in dataset.csv with exactly its values
#   6. every authority row of dataset.csv is such a record: none invented
#   7. each UK total is the sum of the accepted authority rows' numbers for
#      its period and cohort ("x" when none is a number)
#   8. no diagnostic points to a line past the end of its file
#
# and `tally validate` over the same returns (the CI gate) must judge as the
# build did (issue 13: one judgement, src/core/settle.c):
#
#   9. the same diagnostics — severity, code, message, file, line, column,
#      record, field, value, pointer — in the same order (the coverage and coverage-low
#      diagnostics only a build makes aside), and the same exit status
#  10. the records its JUnit report fails are exactly the records the build
#      rejects (rejects.csv, fate rejected)
#
# With SDC_CHECK (tests/property/sdc_check.c, the fifth argument), each set
# of returns is also built with --disclosure, and the published dataset.csv
# is checked against the plain one by that independent program: every count
# of 1 to 5 is c, nothing else changed, and no c cell can be narrowed down by
# linear programming to an interval narrower than 5. Its own checks are shown
# to fail on the first build that suppressed a cell: a copy of the published
# table with one secondary cell given back, and with one primary cell given
# back, must each fail.
#
# Prints one line per failing check (with the seed, to rerun it) and a summary.
set -u
tally=$1
gen=$2
runs=$3
seed=${4:-1}
sdc=${5:-}
case $tally in /*) ;; *) tally=$(pwd)/$tally ;; esac
case $sdc in /*|'') ;; *) sdc=$(pwd)/$sdc ;; esac
sdc_builds=0
sdc_primary=0
sdc_secondary=0
sdc_selftest=0
case $gen in /*) ;; *) gen=$(pwd)/$gen ;; esac
root=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/tally-property.XXXXXX")
trap 'rm -rf "$work"' EXIT INT TERM
failed=0
agreed=0
total_records=0
total_files=0
fates="0 0 0 0"

i=0
while [ $i -lt "$runs" ]; do
    s=$((seed + i))
    i=$((i + 1))
    d=$work/run
    rm -rf "$d"
    if ! "$gen" $s "$root/schemas/authorities.csv" "$d"; then
        echo "FAIL seed $s: the generator failed"
        failed=$((failed + 1))
        continue
    fi
    (cd "$d" && "$tally" build -q -o out returns > build.out 2>&1)
    status=$?
    if [ $status -gt 1 ] || [ ! -f "$d/out/report.json" ]; then
        echo "FAIL seed $s: tally build exited $status:"
        sed -n 1,10p "$d/build.out"
        failed=$((failed + 1))
        continue
    fi
    # The CI gate over the same returns.
    (cd "$d" && "$tally" validate --no-progress --report json --report-file v.json \
        --report junit --report-file v.xml returns > /dev/null 2>&1)
    vstatus=$?
    vout=""
    if [ $vstatus != $status ]; then
        vout="check 9: validate exited $vstatus, build $status"
    fi
    jq -c '.diagnostics[] | select(.code != "coverage" and .code != "coverage-low")' "$d/out/report.json" > "$d/b.diags"
    jq -c '.diagnostics[]' "$d/v.json" > "$d/v.diags"
    if ! cmp -s "$d/b.diags" "$d/v.diags"; then
        vout="$vout
check 9: validate's diagnostics differ from the build's (< build, > validate):
$(diff "$d/b.diags" "$d/v.diags" | sed -n 1,6p)"
    fi
    # JUnit: a failing test case is <testcase ... name="record N"> followed by a <failure>.
    awk '/<testcase / { if (match($0, /classname="[^"]*"/)) f = substr($0, RSTART + 11, RLENGTH - 12);
                        n = ""; if ($0 !~ /\/>$/ && match($0, /name="record [0-9]+"/)) n = substr($0, RSTART + 13, RLENGTH - 14); next }
         /<failure / { if (n != "") print f "," n; n = "" }' "$d/v.xml" | sort -u > "$d/v.failed"
    awk -F, 'NR > 1 && $1 == "rejected" { print $3 "," $6 }' "$d/out/rejects.csv" | sort -u > "$d/b.rejected"
    if ! cmp -s "$d/b.rejected" "$d/v.failed"; then
        vout="$vout
check 10: the records validate's JUnit fails are not those the build rejects (< build, > validate):
$(diff "$d/b.rejected" "$d/v.failed" | sed -n 1,6p)"
    fi
    if [ -n "$vout" ]; then
        echo "FAIL seed $s (validate against build):$vout"
        failed=$((failed + 1))
    else
        agreed=$((agreed + 1))
    fi
    # line counts of the inputs (a last line without a newline counts)
    for f in "$d"/returns/*; do
        printf '%s,%s\n' "returns/$(basename "$f")" "$(awk 'END { print NR }' "$f")"
    done > "$d/lines.csv"
    jq -r '.build | "\(.read),\(.accepted),\(.rejected),\(.superseded),\(.duplicate)"' \
        "$d/out/report.json" > "$d/build.csv"
    out=$(cd "$d" && sqlite3 -bail -batch 2>&1 <<'SQL'
.mode csv
.import truth.csv truth
.import out/rejects.csv rejects
.import out/dataset.csv dataset
CREATE TABLE lines (file TEXT, n INTEGER);
.import lines.csv lines
CREATE TABLE build (read INTEGER, accepted INTEGER, rejected INTEGER, superseded INTEGER, duplicate INTEGER);
.import build.csv build
ATTACH 'out/dataset.sqlite' AS db;
UPDATE truth SET file = 'returns/' || file;
.mode list
.separator " "
SELECT 'check 1: read ' || read || ' is not the sum of the fates' FROM build
 WHERE read != accepted + rejected + superseded + duplicate;
SELECT 'check 1: read ' || read || ', but ' || (SELECT count(*) FROM truth) || ' records were written'
  FROM build WHERE read != (SELECT count(*) FROM truth);
SELECT 'check 2: rejects.csv has ' || (SELECT count(*) FROM rejects) || ' rows, not '
       || (rejected + superseded + duplicate) FROM build
 WHERE (SELECT count(*) FROM rejects) != rejected + superseded + duplicate;
SELECT 'check 3: ' || t.expect || ' record at ' || t.file || ':' || t.line || ' is not in rejects.csv as '
       || CASE t.expect WHEN 'superseded' THEN 'superseded' ELSE 'rejected' END
  FROM truth t WHERE t.expect IN ('rejected', 'conflict', 'superseded') AND NOT EXISTS (
       SELECT 1 FROM rejects r WHERE r.file = t.file AND r.line = t.line
          AND r.fate = CASE t.expect WHEN 'superseded' THEN 'superseded' ELSE 'rejected' END
          AND (t.expect != 'conflict' OR r.codes = 'conflict'));
SELECT 'check 4: group ' || t.grp || ' of ' || count(*) || ' identical records has '
       || (SELECT count(*) FROM rejects r JOIN truth u ON r.file = u.file AND r.line = u.line
            WHERE u.grp = t.grp AND u.expect = 'duplicate' AND r.fate = 'duplicate') || ' duplicates'
  FROM truth t WHERE t.expect = 'duplicate' GROUP BY t.grp
HAVING count(*) - 1 != (SELECT count(*) FROM rejects r JOIN truth u ON r.file = u.file AND r.line = u.line
                         WHERE u.grp = t.grp AND u.expect = 'duplicate' AND r.fate = 'duplicate');
SELECT 'check 5: accepted record at ' || t.file || ':' || t.line || ' is in rejects.csv ('
       || r.fate || ' ' || r.codes || ')'
  FROM truth t JOIN rejects r ON r.file = t.file AND r.line = t.line
 WHERE t.expect IN ('accepted', 'latest');
SELECT 'check 5: ' || t.expect || ' record at ' || t.file || ':' || t.line || ' ('
       || t.authority_code || ' ' || t.period_start || ' ' || t.cohort || ') has no authority row with its values'
  FROM truth t WHERE t.expect IN ('accepted', 'latest', 'duplicate') AND NOT EXISTS (
       SELECT 1 FROM dataset a WHERE a.geographic_level = 'authority' AND a.area_code = t.authority_code
          AND a.period_start = t.period_start AND a.period_end = t.period_end AND a.cohort = t.cohort
          AND a.in_care = t.in_care AND a.went_missing = t.went_missing
          AND a.missing_incidents = t.missing_incidents AND a.found = t.found
          AND a.not_found = t.not_found);
SELECT 'check 6: authority row ' || a.area_code || ' ' || a.period_start || ' ' || a.cohort
       || ' is no accepted record''s'
  FROM dataset a WHERE a.geographic_level = 'authority' AND a.authorities_reporting = '1' AND NOT EXISTS (
       SELECT 1 FROM truth t WHERE t.expect IN ('accepted', 'latest', 'duplicate')
          AND a.area_code = t.authority_code AND a.period_start = t.period_start
          AND a.cohort = t.cohort);
SELECT 'check 6: ' || (SELECT count(*) FROM dataset WHERE geographic_level = 'authority'
                           AND authorities_reporting = '1')
       || ' authority rows that reported for ' || accepted || ' accepted records' FROM build
 WHERE accepted != (SELECT count(*) FROM dataset WHERE geographic_level = 'authority'
                     AND authorities_reporting = '1');
SELECT 'check 6: authority row ' || a.area_code || ' ' || a.period_start || ' ' || a.cohort
       || ' that did not report is not all x'
  FROM dataset a WHERE a.geographic_level = 'authority' AND a.authorities_reporting = '0'
   AND (a.in_care != 'x' OR a.went_missing != 'x' OR a.missing_incidents != 'x'
        OR a.found != 'x' OR a.not_found != 'x' OR a.complete != 'false');
CREATE TEMP VIEW measures AS
  SELECT 'in_care' AS m UNION ALL SELECT 'went_missing' UNION ALL SELECT 'missing_incidents'
  UNION ALL SELECT 'found' UNION ALL SELECT 'not_found';
CREATE TEMP VIEW cells AS
  SELECT geographic_level AS level, period_start AS p, cohort AS c, 'in_care' AS m, in_care AS v FROM dataset
  UNION ALL SELECT geographic_level, period_start, cohort, 'went_missing', went_missing FROM dataset
  UNION ALL SELECT geographic_level, period_start, cohort, 'missing_incidents', missing_incidents FROM dataset
  UNION ALL SELECT geographic_level, period_start, cohort, 'found', found FROM dataset
  UNION ALL SELECT geographic_level, period_start, cohort, 'not_found', not_found FROM dataset;
SELECT 'check 7: UK ' || u.m || ' for ' || u.p || ' ' || u.c || ' is ' || u.v || ', the authorities sum to '
       || s.total
  FROM cells u JOIN (SELECT p, c, m, CASE WHEN count(*) = 0 THEN 'x'
                                          ELSE CAST(sum(CAST(v AS INTEGER)) AS TEXT) END AS total
                       FROM cells WHERE level = 'authority' AND v GLOB '[0-9]*' GROUP BY p, c, m) s
    ON s.p = u.p AND s.c = u.c AND s.m = u.m
 WHERE u.level = 'uk' AND u.v != s.total;
SELECT 'check 7: UK ' || u.m || ' for ' || u.p || ' ' || u.c || ' is ' || u.v
       || ' with no authority giving a number'
  FROM cells u WHERE u.level = 'uk' AND u.v != 'x' AND NOT EXISTS (
       SELECT 1 FROM cells a WHERE a.level = 'authority' AND a.p = u.p AND a.c = u.c AND a.m = u.m
          AND a.v GLOB '[0-9]*');
SELECT 'check 8: ' || g.code || ' diagnostic at ' || g.file || ':' || g.line || ', past the '
       || l.n || ' lines of the file'
  FROM db.diagnostics g JOIN lines l ON l.file = g.file WHERE g.line > l.n;
SELECT 'check 8: diagnostic about ' || g.file || ', which is no input'
  FROM db.diagnostics g WHERE g.file IS NOT NULL AND g.file NOT IN (SELECT file FROM lines);
SQL
)
    if [ -n "$out" ]; then
        echo "FAIL seed $s (rerun: $gen $s schemas/authorities.csv DIR; tally build -o DIR/out DIR/returns):"
        echo "$out" | sed -n 1,20p
        failed=$((failed + 1))
    fi
    if [ -n "$sdc" ]; then
        (cd "$d" && "$tally" build -q --disclosure -o sdc returns > sdc.out 2>&1)
        status=$?
        if [ $status -gt 1 ] || [ ! -f "$d/sdc/dataset.csv" ]; then
            echo "FAIL seed $s: tally build --disclosure exited $status:"
            sed -n 1,10p "$d/sdc.out"
            failed=$((failed + 1))
        elif ! "$sdc" "$d/sdc/dataset.csv" "$d/out/dataset.csv" > "$d/sdc.check"; then
            echo "FAIL seed $s (rerun: ... tally build --disclosure; $sdc PUBLISHED TRUE):"
            sed -n 1,20p "$d/sdc.check"
            failed=$((failed + 1))
        else
            sdc_builds=$((sdc_builds + 1))
            set -- $(jq -r '.disclosure | "\(.primary.counts) \(.secondary.counts)"' "$d/sdc/report.json")
            sdc_primary=$((sdc_primary + $1))
            sdc_secondary=$((sdc_secondary + $2))
            # the checker must catch a cell given back, once
            if [ $sdc_selftest = 0 ] && [ "$2" -gt 0 ]; then
                sdc_selftest=1
                for kind in secondary primary; do
                    sqlite3 -csv "$d/sdc/dataset.sqlite" "SELECT c.row, c.measure FROM cells c
                        JOIN dataset d ON d.row = c.row WHERE c.suppressed = '$kind'
                        AND d.area_name NOT LIKE '%,%' ORDER BY c.row, c.measure LIMIT 1" > "$d/cell"
                    IFS=, read -r row measure < "$d/cell"
                    truth=$(sqlite3 "$d/out/dataset.sqlite" "SELECT value FROM cells
                        WHERE row = $row AND measure = '$measure'")
                    awk -F, -v row="$row" -v m="$measure" -v v="$truth" '
                        NR == 1 { for (i = 1; i <= NF; i++) if ($i == m) col = i }
                        NR == row + 1 && index($0, "\"") == 0 { $col = v }
                        { print }' OFS=, "$d/sdc/dataset.csv" > "$d/given-back.csv"
                    if "$sdc" "$d/given-back.csv" "$d/out/dataset.csv" > /dev/null; then
                        echo "FAIL seed $s: sdc_check passed a table with a $kind cell ($measure," \
                             "row $row) given back"
                        failed=$((failed + 1))
                    fi
                done
            fi
        fi
    fi
    total_records=$((total_records + $(($(wc -l < "$d/truth.csv") - 1))))
    total_files=$((total_files + $(ls "$d/returns" | wc -l)))
    set -- $fates $(tr ',' ' ' < "$d/build.csv")
    fates="$(($1 + $6)) $(($2 + $7)) $(($3 + $8)) $(($4 + $9))"
done
set -- $fates
echo "property: $runs builds from seed $seed: $total_files files, $total_records records" \
     "($1 accepted, $2 rejected, $3 superseded, $4 duplicate); validate agreed with $agreed;" \
     "$failed failed"
if [ -n "$sdc" ]; then
    echo "property: $sdc_builds --disclosure builds checked independently:" \
         "$sdc_primary cells suppressed as primary, $sdc_secondary as secondary"
    if [ $sdc_selftest = 0 ]; then
        echo "FAIL: no --disclosure build suppressed a secondary cell: the checker's self-test did not run"
        failed=$((failed + 1))
    fi
fi
[ $failed -eq 0 ]
