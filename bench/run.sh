#!/bin/sh
# bench/run.sh — the benchmark of issue 8: tally against the tools a user would
# otherwise reach for (Miller, jq, xmllint) and against parse-only floors written
# with tally's own libraries (libcsv, libxml2's xmlTextReader and its SAX2 push
# parser, with and without its XSD validator plugged in), in one run on one
# machine. `make bench` builds what it needs and runs this from the top directory.
#
#   1. installs its peers from Debian when missing (miller jq libxml2-utils
#      hyperfine time);
#   2. generates N = 100,000 and 1,000,000 valid records in every format (CSV,
#      JSON array, NDJSON, XML) and a CSV with 1% defective records, into
#      build/bench/data/ (kept between runs: the generator is deterministic);
#   3. checks that a small generated return validates with 0 errors in every
#      format, that ~1% of the defective one's records have errors, and that
#      the Miller filter keeps every valid record;
#   4. times every command with hyperfine (median of BENCH_RUNS runs after
#      BENCH_WARMUP warm-up runs; output to /dev/null) and takes its peak RSS
#      from /usr/bin/time -v wrapped around the same runs;
#   5. writes build/bench/results.md (the table, the machine, the date, the
#      commands, the PASS/FAIL lines against the issue's targets) and prints it.
#
# Environment: TALLY (build/tally), BENCH_BIN (build/bench/bin: bench-gen,
# floor-csv, floor-xml, floor-sax), BENCH_OUT (build/bench), BENCH_SIZES ("100000 1000000"),
# BENCH_RUNS (5), BENCH_WARMUP (1). BENCH_REPORT_ONLY=1 skips 1-4 and writes
# the table again from the last run's measurements (build/bench/raw/). The targets are judged at 1,000,000 records;
# linearity and RSS flatness compare 100,000 with 1,000,000.
set -eu

cd "$(dirname "$0")/.."

TALLY=${TALLY:-build/tally}
BIN=${BENCH_BIN:-build/bench/bin}
OUT=${BENCH_OUT:-build/bench}
SIZES=${BENCH_SIZES:-100000 1000000}
RUNS=${BENCH_RUNS:-5}
WARMUP=${BENCH_WARMUP:-1}
XSD=schemas/missing-from-care.xsd
REGISTRY=schemas/authorities.csv

# Every rule of schemas/missing-from-care.schema.json as one Miller filter
# expression. Like tally, a rule that names a value that is not a number (a
# symbol x/c/z, empty, 12.5) or not a date is not evaluated for that record.
MLR_RULES='(is_error(strptime($period_start, "%Y-%m-%d")) || is_error(strptime($period_end, "%Y-%m-%d"))
 || ($period_start < $period_end
     && strptime($period_end, "%Y-%m-%d") - strptime($period_start, "%Y-%m-%d") <= 366 * 86400))
 && (!is_int($in_care) || !is_int($went_missing) || $went_missing <= $in_care)
 && (!is_int($found) || !is_int($went_missing) || $found <= $went_missing)
 && (!is_int($not_found) || !is_int($went_missing) || $not_found <= $went_missing)
 && (!is_int($found) || !is_int($not_found) || !is_int($went_missing) || $found + $not_found == $went_missing)
 && (!is_int($missing_incidents) || !is_int($went_missing) || $missing_incidents >= $went_missing)
 && (!is_int($missing_incidents) || !is_int($went_missing) || $missing_incidents == 0 || $went_missing > 0)
 && (!is_int($missing_incidents) || !is_int($went_missing) || $missing_incidents <= 100 * $went_missing)'
# period-order and period-length (first three lines), missing-le-in-care,
# found-le-went-missing, not-found-le-went-missing, found-plus-not-found,
# incidents-ge-went-missing, incidents-need-children, incidents-plausible.
# One line, so that it fits in a command line and a table row.
MLR_RULES=$(printf '%s' "$MLR_RULES" | tr '\n' ' ' | tr -s ' ')

say() { printf '%s\n' "bench: $*" >&2; }
die() { say "$*"; exit 2; }

START=$(date +%s)
LOAD_START=$(cut -d ' ' -f 1-3 /proc/loadavg)
META=$OUT/raw/meta
RESULTS=$OUT/raw/results.tsv

if [ -z "${BENCH_REPORT_ONLY-}" ]; then

# ---- 1. peers ----------------------------------------------------------------
missing=
command -v mlr >/dev/null 2>&1 || missing="$missing miller"
command -v jq >/dev/null 2>&1 || missing="$missing jq"
command -v xmllint >/dev/null 2>&1 || missing="$missing libxml2-utils"
command -v hyperfine >/dev/null 2>&1 || missing="$missing hyperfine"
[ -x /usr/bin/time ] || missing="$missing time"
if [ -n "$missing" ]; then
    say "installing:$missing"
    sudo=
    [ "$(id -u)" -eq 0 ] || sudo=sudo
    $sudo apt-get update -qq
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing
fi
for p in "$TALLY" "$BIN/bench-gen" "$BIN/floor-csv" "$BIN/floor-xml" "$BIN/floor-sax"; do
    [ -x "$p" ] || die "$p is missing: run make bench"
done

mkdir -p "$OUT/data" "$OUT/check" "$OUT/raw"
# Measure one binary from start to end, whatever a concurrent `make` does to build/.
cp "$TALLY" "$OUT/tally.tmp" && mv "$OUT/tally.tmp" "$OUT/tally"
TALLY=$OUT/tally

# ---- 2. inputs ---------------------------------------------------------------
# gen FILE ARGS...: generate FILE unless it is newer than the generator and the registry.
gen() {
    f=$1
    shift
    if [ -f "$f" ] && [ "$f" -nt "$BIN/bench-gen" ] && [ "$f" -nt "$REGISTRY" ]; then
        return 0
    fi
    say "generating $f"
    "$BIN/bench-gen" --registry "$REGISTRY" "$@" > "$f.tmp"
    mv "$f.tmp" "$f"
}
for n in $SIZES; do
    for fmt in csv json ndjson xml; do
        gen "$OUT/data/valid-$n.$fmt" -n "$n" "$fmt"
    done
    gen "$OUT/data/defective-$n.csv" -n "$n" --defective csv
done

# ---- 3. sanity checks on a small return --------------------------------------
C=$OUT/check
for fmt in csv json ndjson xml; do
    "$BIN/bench-gen" --registry "$REGISTRY" -n 2000 "$fmt" > "$C/valid.$fmt"
    "$BIN/bench-gen" --registry "$REGISTRY" -n 2000 --defective "$fmt" > "$C/defective.$fmt"
    "$TALLY" validate --no-progress --report json --report-file "$C/valid-$fmt.json" "$C/valid.$fmt" \
        > /dev/null 2>&1 || die "the generated valid.$fmt does not validate: see $C/valid-$fmt.json"
    stats=$(jq -r '.stats | "\(.records) \(.errors) \(.warnings)"' "$C/valid-$fmt.json")
    [ "$stats" = "2000 0 0" ] || die "valid.$fmt: records, errors, warnings = $stats (want 2000 0 0)"
    "$TALLY" validate --no-progress --report json --report-file "$C/defective-$fmt.json" \
        "$C/defective.$fmt" > /dev/null 2>&1 && die "defective.$fmt validates"
    bad=$(jq '[.diagnostics[] | select(.severity == "error") | .record] | unique | length' \
        "$C/defective-$fmt.json")
    [ "$bad" -ge 10 ] && [ "$bad" -le 40 ] || die "defective.$fmt: $bad of 2000 records have errors (want ~1%)"
    say "check: valid.$fmt 2000 records, 0 errors; defective.$fmt $bad of 2000 records with errors"
done
kept=$(mlr --icsv --ocsv filter "$MLR_RULES" "$C/valid.csv" | wc -l)
[ "$kept" -eq 2001 ] || die "the Miller filter keeps $((kept - 1)) of 2000 valid records"
kept=$(mlr --icsv --ocsv filter "$MLR_RULES" "$C/defective.csv" | wc -l)
say "check: the Miller filter keeps 2000 of 2000 valid records, $((kept - 1)) of 2000 defective ones"
xmllint --stream --noout --schema "$XSD" "$C/valid.xml" 2>/dev/null || die "valid.xml fails the XSD"

# ---- 4. measurements ---------------------------------------------------------
: > "$RESULTS"

# bench SIZE ID KIND PEER FLOOR INPUT LABEL COMMAND
#   KIND tally | peer | floor; PEER and FLOOR name the rows this one is compared
#   with ("-" for none). COMMAND is run by hyperfine through sh.
bench() {
    size=$1 id=$2 kind=$3 peer=$4 floor=$5 input=$6 label=$7 cmd=$8
    raw=$OUT/raw/$id-$size
    ignore=
    case $id in
        *defective*) ignore=-i ;;   # exit status 1: the data has errors
    esac
    say "$label, $size records"
    hyperfine --style basic --warmup "$WARMUP" --runs "$RUNS" $ignore \
        --export-json "$raw.json" --command-name "$label" \
        "/usr/bin/time -v -o $raw.time $cmd" >&2
    median=$(jq -r '.results[0].median' "$raw.json")
    rss=$(sed -n 's/^[[:space:]]*Maximum resident set size (kbytes): //p' "$raw.time")
    bytes=$(wc -c < "$input")
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' \
        "$size" "$id" "$kind" "$peer" "$floor" "$median" "$rss" "$bytes" "$label" "$cmd" >> "$RESULTS"
}

for n in $SIZES; do
    d=$OUT/data/valid-$n
    bench "$n" floor-csv floor - - "$d.csv" "floor: libcsv parse only" "$BIN/floor-csv $d.csv"
    bench "$n" floor-xml floor - - "$d.xml" "floor: xmlTextReader parse only" "$BIN/floor-xml $d.xml"
    bench "$n" floor-xml-xsd floor - - "$d.xml" "floor: xmlTextReader + XSD" \
        "$BIN/floor-xml --schema $XSD $d.xml"
    bench "$n" floor-sax floor - - "$d.xml" "floor: SAX2 push parser only" "$BIN/floor-sax $d.xml"
    bench "$n" floor-sax-xsd floor - - "$d.xml" "floor: SAX2 push + xmlSchemaSAXPlug" \
        "$BIN/floor-sax --schema $XSD $d.xml"
    bench "$n" mlr-filter peer - - "$d.csv" "mlr filter (9 rules), CSV" \
        "mlr --icsv --ocsv filter '$MLR_RULES' $d.csv"
    bench "$n" mlr-cat peer - - "$d.csv" "mlr --icsv --ojson cat" "mlr --icsv --ojson cat $d.csv"
    bench "$n" jq peer - - "$d.json" "jq -c '.[]', JSON array" "jq -c '.[]' $d.json"
    bench "$n" xmllint peer - - "$d.xml" "xmllint --stream --noout" "xmllint --stream --noout $d.xml"
    bench "$n" xmllint-xsd peer - - "$d.xml" "xmllint --stream --schema" \
        "xmllint --stream --noout --schema $XSD $d.xml"

    bench "$n" validate-csv tally mlr-filter floor-csv "$d.csv" "tally validate, CSV" \
        "$TALLY validate --no-progress $d.csv"
    bench "$n" validate-csv-defective tally - - "$OUT/data/defective-$n.csv" \
        "tally validate, CSV 1% defective" "$TALLY validate --no-progress $OUT/data/defective-$n.csv"
    bench "$n" validate-json tally jq - "$d.json" "tally validate, JSON array" \
        "$TALLY validate --no-progress $d.json"
    bench "$n" validate-ndjson tally - - "$d.ndjson" "tally validate, NDJSON" \
        "$TALLY validate --no-progress $d.ndjson"
    bench "$n" validate-xml tally xmllint-xsd floor-sax "$d.xml" "tally validate, XML" \
        "$TALLY validate --no-progress $d.xml"
    bench "$n" convert-csv-json tally mlr-cat floor-csv "$d.csv" "tally convert CSV→JSON" \
        "$TALLY convert --no-progress $d.csv --to json"
    bench "$n" convert-json-csv tally - - "$d.json" "tally convert JSON→CSV" \
        "$TALLY convert --no-progress $d.json --to csv"
    bench "$n" convert-xml-csv tally - floor-sax "$d.xml" "tally convert XML→CSV" \
        "$TALLY convert --no-progress $d.xml --to csv"
    bench "$n" build tally - - "$d.csv" "tally build, CSV" \
        "$TALLY build --no-progress -o $OUT/national-$n $d.csv"
done

{
    echo "commit='$(git describe --always --dirty 2>/dev/null || echo '?')'"
    echo "ELAPSED=$(( $(date +%s) - START ))"
    echo "LOAD_START='$LOAD_START'"
    echo "LOAD_END='$(cut -d ' ' -f 1-3 /proc/loadavg)'"
    echo "DATE='$(date -u '+%Y-%m-%d %H:%M UTC')'"
} > "$META"
fi  # BENCH_REPORT_ONLY

# ---- 5. the table and the targets --------------------------------------------
[ -f "$META" ] || die "no measurements in $OUT/raw: run make bench"
. "$META"
TALLY=$OUT/tally
CPU=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)
MEM=$(awk '/^MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo)
versions="tally $("$TALLY" --version 2>&1 | head -1 | sed 's/^tally //') at $commit; $(mlr --version); $(jq --version);"
versions="$versions xmllint (libxml2 $(xmllint --version 2>&1 | sed -n 's/.*using libxml version //p' | head -1));"
versions="$versions libcsv $(dpkg-query -W -f '${Version}' libcsv3 2>/dev/null || echo '?'); $(hyperfine --version)"

awk -F '\t' -v machine="$(nproc) CPUs ($CPU), $MEM RAM, $(uname -sr)" \
    -v date="$DATE" -v versions="$versions" \
    -v runs="$RUNS" -v warmup="$WARMUP" -v elapsed="$ELAPSED" -v mlr_rules="$MLR_RULES" \
    -v load="$LOAD_START at the start, $LOAD_END at the end" '
function commas(x,   s) {
    s = sprintf("%.0f", x)
    while (s ~ /[0-9][0-9][0-9][0-9]/) sub(/[0-9][0-9][0-9]([^0-9]|$)/, ",&", s)
    return s
}
# The per-record index of validate and convert: settling repeated keys
# (src/core/settle.c) keeps a 48-byte entry per record (60 for JSON, NDJSON and
# XML, whose record paths it keeps) in a dense array (grown by a quarter with
# realloc: only the n entries written are resident) and 4-byte slots (2048,
# grown by half while more than 3/4 full). The peak is the larger of the end
# state and the moment of the last growth, when the old slots still live
# beside the new.
function entry_bytes(id) { return id ~ /^(validate|convert)-csv/ ? 48 : 60 }
function keyindex(n, id,   slots, old, m, e) {
    e = entry_bytes(id)
    slots = 2048; old = 0
    while (n * 4 > slots * 3) { old = slots; slots += int(slots / 2) }
    m = int(old * 3 / 4)
    return (n * e + slots * 4 > m * e + (old + slots) * 4) ? n * e + slots * 4 : m * e + (old + slots) * 4
}
function indexed(id) { return id ~ /^(validate|convert)/ }
function rss_mb(s, id) { return rss[s, id] * 1024 / 1e6 }
function rss_ex(s, id) { return rss_mb(s, id) - keyindex(s, id) / 1e6 }
function verdict(ok) { return ok ? "PASS" : "FAIL" }
function check(ok, text) {
    line = sprintf("%s  %s", verdict(ok), text)
    checks[++nchecks] = line
}
{
    s = $1; id = $2
    if (!(s in seen)) { seen[s] = 1; sizes[++nsizes] = s }
    order[s, ++nrows[s]] = id
    kind[s, id] = $3; peer[s, id] = $4; floor[s, id] = $5; median[s, id] = $6
    rss[s, id] = $7; bytes[s, id] = $8; label[s, id] = $9; cmd[s, id] = $10
}
END {
    printf "# tally benchmark\n\n"
    printf "- machine: %s; load average (1, 5, 15 min) %s\n- date: %s\n- %s\n", machine, load, date, versions
    printf "- method: hyperfine, %d warm-up run(s) then the median of %d runs, output to /dev/null; ", warmup, runs
    printf "peak RSS from `/usr/bin/time -v` around the same runs; MB = 10^6 bytes of input; "
    printf "records/s counts records read. Whole run: %d min %d s.\n", elapsed / 60, elapsed % 60
    printf "- **× peer** = the peer'"'"'s median ÷ tally'"'"'s (above 1: tally is faster). "
    printf "**%% of floor** = the floor'"'"'s median ÷ tally'"'"'s: tally'"'"'s throughput as a share of "
    printf "the parse-only floor'"'"'s. RSS in brackets: without settling'"'"'s per-record index "
    printf "(48 bytes a record for CSV, 60 for JSON, NDJSON and XML, in a dense array, plus 4-byte slots at most 3/4 full).\n"
    for (k = 1; k <= nsizes; k++) {
        s = sizes[k]
        printf "\n## %s records\n\n", commas(s)
        printf "| command | input | median | MB/s | records/s | peak RSS | × peer | %% of floor |\n"
        printf "|---|---|--:|--:|--:|--:|---|---|\n"
        for (r = 1; r <= nrows[s]; r++) {
            id = order[s, r]
            t = median[s, id]
            mem = sprintf("%.1f MB", rss_mb(s, id))
            if (kind[s, id] == "tally" && indexed(id))
                mem = mem sprintf(" (%.1f)", rss_ex(s, id))
            p = peer[s, id]; f = floor[s, id]
            vp = (p != "-" && (s, p) in median) ? sprintf("%.2f× %s", median[s, p] / t, label[s, p]) : "—"
            vf = (f != "-" && (s, f) in median) ? sprintf("%.0f%% of %s", 100 * median[s, f] / t, f) : "—"
            nm = label[s, id]
            if (kind[s, id] == "tally") nm = "**" nm "**"
            printf "| %s | %.1f MB | %.3f s | %.1f | %s | %s | %s | %s |\n", nm, bytes[s, id] / 1e6, t,
                bytes[s, id] / 1e6 / t, commas(s / t), mem, vp, vf
        }
    }

    # The targets are judged at the largest size, growth from the smallest.
    big = sizes[nsizes]; small = sizes[1]
    if ((big, "validate-csv") in median) {
        m = "validate-csv"
        x = median[big, "mlr-filter"] / median[big, m]
        check(x >= 3, sprintf("validate CSV at least 3× faster than the Miller filter: %.2f×", x))
        x = median[big, "floor-csv"] / median[big, m]
        check(x >= 0.4, sprintf("validate CSV at least 40%% of the libcsv floor'"'"'s throughput: %.0f%%", 100 * x))
        x = median[big, "mlr-cat"] / median[big, "convert-csv-json"]
        check(x >= 4, sprintf("convert CSV→JSON at least 4× faster than mlr --icsv --ojson cat: %.2f×", x))
        x = median[big, "jq"] / median[big, "validate-json"]
        check(x >= 4, sprintf("validate JSON at least 4× faster than jq -c '"'"'.[]'"'"': %.2f×", x))
        check(rss_mb(big, "validate-json") < 50,
              sprintf("validate JSON peak RSS under 50 MB: %.1f MB (%.1f MB without the per-record index; jq %.0f MB)",
                      rss_mb(big, "validate-json"), rss_ex(big, "validate-json"), rss_mb(big, "jq")))
        x = median[big, "xmllint-xsd"] / median[big, "validate-xml"]
        check(x > 1, sprintf("validate XML faster than xmllint --stream --schema (issue 12): %.2f×", x))
        x = median[big, "floor-sax-xsd"] / median[big, "validate-xml"]
        y = median[big, "floor-sax-xsd"] / median[big, "floor-sax"]
        z = median[big, "validate-xml"] / median[big, "floor-sax"]
        check(x > 1, sprintf("(not in the issue) validate XML faster than the SAX2 + xmlSchemaSAXPlug floor: %.2f×; " \
                             "tally takes %.2f× the SAX2 parse-only floor, the XSD validator alone %.2f×", x, z, y))
        x = median[big, "validate-xml"] / median[big, "floor-xml"]
        check(x <= 1.5, sprintf("validate XML within 1.5× of the xmlTextReader floor (issue 8): %.2f× its time", x))
        for (r = 1; r <= nrows[big]; r++) if (kind[big, id = order[big, r]] == "tally" && indexed(id))
            check(rss_ex(big, id) < 20, sprintf("RSS under 20 MB at %s records, per-record index aside: %s: %.1f MB (%.1f MB with it)",
                                                commas(big), label[big, id], rss_ex(big, id), rss_mb(big, id)))
    }
    if (big > small && (big, "validate-csv") in median && (small, "validate-csv") in median) {
        grow = big / small
        for (r = 1; r <= nrows[big]; r++) if (kind[big, id = order[big, r]] == "tally" && indexed(id)) {
            a = rss_ex(small, id); b = rss_ex(big, id)
            check(b <= a * 1.1 && b >= a * 0.9,
                  sprintf("RSS flat within 10%%, %s vs %s records, per-record index aside: %s: %.1f vs %.1f MB (%+.0f%%)",
                          commas(small), commas(big), label[big, id], a, b, 100 * (b - a) / a))
        }
        for (r = 1; r <= nrows[big]; r++) if (kind[big, id = order[big, r]] == "tally") {
            x = median[big, id] / median[small, id]
            check(x <= 1.1 * grow, sprintf("linear, %g× the records ≤ %g× the time: %s: %.2f×",
                                           grow, 1.1 * grow, label[big, id], x))
        }
    }
    if (nchecks) {
        printf "\n## Targets (issue 8)\n\n"
        for (i = 1; i <= nchecks; i++) printf "    %s\n", checks[i]
    }
    printf "\n## Commands\n\n"
    printf "Inputs are `build/bench/data/valid-N.{csv,json,ndjson,xml}` and `defective-N.csv`, from "
    printf "`bench-gen -n N [--defective] FORMAT` (bench/gen.c). Each command below ran as "
    printf "`hyperfine --warmup %d --runs %d \"/usr/bin/time -v -o FILE COMMAND\"`; `MLR_RULES` is\n\n", warmup, runs
    printf "```\n%s\n```\n\n", mlr_rules
    s = sizes[nsizes]
    for (r = 1; r <= nrows[s]; r++) {
        id = order[s, r]; c = cmd[s, id]
        if (id == "mlr-filter") sub(/filter .*\)'"'"' /, "filter \"$MLR_RULES\" ", c)
        printf "- %s: `%s`\n", label[s, id], c
    }
}' "$RESULTS" > "$OUT/results.md"

rm -rf "$OUT"/national-*    # what tally build wrote: 1.6 GB at a million records
cat "$OUT/results.md"
