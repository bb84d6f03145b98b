#!/bin/sh
# run.sh TALLY — the reference in doc/ says what tally does.
#
#   - every example return, doc/examples/return.{csv,json,ndjson,xml,xlsx,ods},
#     is valid (exit 0, no diagnostic at all) and holds the same records:
#     `tally convert --to csv` of each gives doc/examples/return.csv byte for
#     byte, which is itself in canonical form; return.xml is valid against
#     schemas/missing-from-care.xsd (xmllint);
#   - a fenced block after `<!-- file: PATH -->` in doc/*.md is PATH's text,
#     byte for byte, so what the documents show is the files tested here;
#   - a fenced block after `<!-- header: FILE -->` in doc/dataset-format.md is
#     the first line of FILE in a build from the example returns, and one after
#     `<!-- columns: TABLE -->` the columns of that table of dataset.sqlite;
#   - doc/diagnostics.md has a section "### `CODE`" for every code tally knows
#     (the rules of `tally validate --report sarif`: the built-in codes and the
#     shipped schema's rule ids), none for a code tally does not know, and each
#     section's "Severity: **S**" is the code's default severity there, and
#     shows an example line of that code.
# Prints one line per failure and "doc: N passed, N failed".
set -u
tally=$1
case $tally in /*) ;; *) tally=$(pwd)/$tally ;; esac
work=$(mktemp -d "${TMPDIR:-/tmp}/tally-doc.XXXXXX")
trap 'rm -rf "$work"' EXIT INT TERM
passed=0
failed=0
ok() { passed=$((passed + 1)); }
bad() { failed=$((failed + 1)); echo "FAIL $*"; }

ex=doc/examples
# ---- the example returns --------------------------------------------------------
if "$tally" convert $ex/return.csv --to csv > "$work/canon.csv" 2> /dev/null &&
    cmp -s "$work/canon.csv" $ex/return.csv; then ok; else bad "$ex/return.csv is not in canonical form"; fi
for f in $ex/return.csv $ex/return.json $ex/return.ndjson $ex/return.xml $ex/return.xlsx \
         $ex/return.ods; do
    "$tally" validate --no-progress --report json "$f" > "$work/out" 2>&1
    st=$?
    if [ $st -eq 0 ] && jq -e '.stats.records == 4 and .stats.errors == 0 and .stats.warnings == 0
            and .stats.infos == 0 and .diagnostics == []' "$work/out" > /dev/null 2>&1; then
        ok
    else
        bad "$f: validate exit $st:"; sed -n 1,10p "$work/out"
    fi
    if "$tally" convert "$f" --to csv > "$work/csv" 2> /dev/null && cmp -s "$work/csv" $ex/return.csv; then
        ok
    else
        bad "$f: convert --to csv differs from $ex/return.csv"; diff "$work/csv" $ex/return.csv | sed -n 1,10p
    fi
done
if xmllint --noout --schema schemas/missing-from-care.xsd $ex/return.xml > "$work/out" 2>&1; then
    ok
else
    bad "$ex/return.xml is not valid against the XSD:"; sed -n 1,10p "$work/out"
fi

# ---- blocks that must be a file's text ------------------------------------------
# block DOC MARKER: the fenced block right after the line "<!-- MARKER -->".
block() {
    awk -v m="<!-- $2 -->" '
        $0 == m { want = 1; next }
        want == 1 && /^```/ { want = 2; next }
        want == 2 && /^```/ { exit }
        want == 2 { print }
        want == 1 && !/^```/ { exit }' "$1"
}
for doc in doc/*.md; do
    grep -o '^<!-- file: [^ ]* -->$' "$doc" | sed 's/^<!-- file: //; s/ -->$//' > "$work/files"
    while read -r path; do
        block "$doc" "file: $path" > "$work/block"
        if [ -s "$work/block" ] && cmp -s "$work/block" "$path"; then
            ok
        else
            bad "$doc: the block marked file: $path is not that file:"; diff "$work/block" "$path" | sed -n 1,10p
        fi
    done < "$work/files"
done

# ---- the dataset's columns --------------------------------------------------------
if "$tally" build -q --no-progress -o "$work/ds" $ex/return.csv > /dev/null 2>&1; then
    ok
else
    bad "tally build from $ex/return.csv failed"
fi
d=doc/dataset-format.md
for file in dataset.csv rejects.csv ees/missing_from_care.csv ees/missing_from_care.meta.csv; do
    case $file in
    ees/*) [ -d "$work/ees" ] || "$tally" build -q --no-progress --publish ees -o "$work/ees" \
               $ex/return.csv > /dev/null 2>&1
           head -n 1 "$work/ees/$file" > "$work/want" ;;
    *)     head -n 1 "$work/ds/$file" > "$work/want" ;;
    esac
    block $d "header: $file" > "$work/block"
    if [ -s "$work/want" ] && cmp -s "$work/block" "$work/want"; then
        ok
    else
        bad "$d: the header of $file is not the one tally writes:"; diff "$work/block" "$work/want"
    fi
done
tables=$(sqlite3 "$work/ds/dataset.sqlite" "select name from sqlite_master where type='table' order by name")
[ -n "$tables" ] || bad "dataset.sqlite has no tables"
for t in $tables; do
    sqlite3 "$work/ds/dataset.sqlite" "select name from pragma_table_info('$t')" | paste -sd, > "$work/want"
    block $d "columns: $t" > "$work/block"
    if cmp -s "$work/block" "$work/want"; then
        ok
    else
        bad "$d: the columns of table $t are not the ones tally writes:"; diff "$work/block" "$work/want"
    fi
done
documented=$(grep -o '^<!-- columns: [a-z_]* -->$' $d | sed 's/^<!-- columns: //; s/ -->$//' | sort)
if [ "$documented" = "$(printf '%s\n' $tables | sort)" ]; then
    ok
else
    bad "$d documents the tables: $(echo $documented); tally writes: $(echo $tables)"
fi

# ---- every diagnostic code, and only those -----------------------------------------
d=doc/diagnostics.md
"$tally" validate --report sarif $ex/return.csv 2> /dev/null |
    jq -r '.runs[0].tool.driver.rules[] | .id + " " + .defaultConfiguration.level' |
    sed 's/ note$/ info/' | sort > "$work/known"
[ "$(wc -l < "$work/known")" -ge 40 ] || bad "tally lists only $(wc -l < "$work/known") rules in SARIF"
awk '
    /^### `[^`]*`$/ { if (code != "") print code " " sev; code = substr($0, 6, length($0) - 6); sev = "none"; next }
    /^## / { if (code != "") print code " " sev; code = "" }
    code != "" && sev == "none" && /^Severity: \*\*[a-z]+\*\*/ {
        match($0, /\*\*[a-z]+\*\*/); sev = substr($0, RSTART + 2, RLENGTH - 4) }
    END { if (code != "") print code " " sev }' $d | sort > "$work/documented"
cut -d' ' -f1 "$work/known" > "$work/known-codes"
cut -d' ' -f1 "$work/documented" > "$work/documented-codes"
for c in $(comm -23 "$work/known-codes" "$work/documented-codes"); do bad "$d has no section for $c"; done
for c in $(comm -13 "$work/known-codes" "$work/documented-codes"); do bad "$d documents $c, which tally does not have"; done
if [ -z "$(uniq -d "$work/documented-codes")" ]; then ok; else bad "$d: sections twice: $(uniq -d "$work/documented-codes")"; fi
join "$work/known" "$work/documented" | while read -r code want got; do
    [ "$want" = "$got" ] || echo "FAIL $d: $code is $want in tally, \"$got\" in the document"
done > "$work/sev"
if [ -s "$work/sev" ]; then
    failed=$((failed + $(wc -l < "$work/sev"))); cat "$work/sev"
else
    ok
fi

# Each code's section shows an example line of that code, and of no other.
awk '
    function done() { if (code != "" && !seen) print "FAIL " FILENAME ": no example line for " code }
    /^### `[^`]*`$/ { done(); code = substr($0, 6, length($0) - 6); seen = 0; next }
    /^## / { done(); code = "" }
    code != "" && (match($0, /(error|warning|info)\[[a-z-]+\]: /) || match($0, /"code":"[a-z-]+"/)) {
        t = substr($0, RSTART, RLENGTH); sub(/^[a-z]+\[/, "", t); sub(/\]: $/, "", t)
        sub(/^"code":"/, "", t); sub(/"$/, "", t)
        if (t == code) seen = 1; else print "FAIL " FILENAME ": the section of " code " shows an example of " t
    }
    END { done() }' $d > "$work/examples"
if [ -s "$work/examples" ]; then
    failed=$((failed + $(wc -l < "$work/examples"))); cat "$work/examples"
else
    ok
fi

echo "doc: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
