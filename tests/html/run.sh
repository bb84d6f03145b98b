#!/bin/sh
# run.sh TALLY [GEN] — the HTML report, checked in a real browser (headless Chromium).
#
# Makes, from the fixtures, a validate report (with the JSON report of the same
# run beside it), a build report (with its report.json and dataset.csv), and a
# page from a return full of hostile text. Opens each page in headless Chromium
# and checks the DOM as rendered, after the page's script ran, for exact facts
# taken from the JSON report and from dataset.csv, never from the page itself:
#   - as many diagnostic rows as the JSON report has diagnostics; the summary's
#     numbers and verdict; the fate counts of a build;
#   - no console message at all (no uncaught error, no CSP refusal) and the
#     script ran to its end (<html data-ready="yes">);
#   - the filters work: #severity=error, #code=..., #file=... in the URL preset
#     them, and the rows left visible are exactly those of the JSON report;
#     #sort=code puts the smallest code first, #sort=code-desc the largest;
#   - with scripts off, every row and chart is there and nothing is hidden;
#   - the build's charts: bars (<rect class="bar-...">) per authority as
#     dataset.csv says, symbols shown as symbols, one table row per UK, nation
#     and region row, one coverage square per expected authority;
#   - text is escaped: hostile values stay text, invalid UTF-8 becomes U+FFFD,
#     and the page references nothing outside itself.
# Then it proves the checks can fail: broken copies of the pages (a row
# removed, a summary number changed, a bar removed, the script altered, the
# script throwing with its policy removed) must each fail at least one check.
#
# A build with --disclosure: the audit on the page is report.json's, and the
# suppressed cells are shown as c. The coverage grid: one labelled square per
# authority in force (tooltip and aria-label), Wales, Scotland and Northern
# Ireland each on their own lines, rejected returns drawn apart from "sent
# nothing", authorities that sent one cohort only flagged, low-coverage
# periods warned about, and who stands behind each figure.
#
# Builds of several periods (fixtures/series, and builds GEN — tests/property/gen.c —
# makes): a trend chart per cohort of in_care and of went_missing_pct for the UK
# and each nation, every number of dataset.csv a point with its value, every
# symbol listed under the chart and never drawn, each period's coverage under
# it; England's regions compared in the latest period, each with its coverage.
#
# Screenshots are left in $ARTEFACTS (default build/artefacts/) as
# html-validate.png, html-build.png, html-disclosure.png and html-trends.png. CHROMIUM names the browser (default
# chromium); TALLY_WRAPPER (e.g. "valgrind -q ...") prefixes every run of tally.
# Prints "html: N passed, N failed"; exits non-zero on any failure, and when
# Chromium is not installed.
set -u
bin=$1
case $bin in /*) ;; *) bin=$(pwd)/$bin ;; esac
gen=${2:-}      # tests/property/gen.c: generated builds of several periods
case $gen in /*|'') ;; *) gen=$(pwd)/$gen ;; esac
CHROMIUM=${CHROMIUM:-chromium}
ARTEFACTS=${ARTEFACTS:-build/artefacts}

if ! command -v "$CHROMIUM" > /dev/null 2>&1; then
    echo "html: FAIL: $CHROMIUM is not installed; the HTML report is tested in headless Chromium" \
         "(install it with: make deps, or apt-get install chromium)"
    echo "html: 0 passed, 1 failed"
    exit 1
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/tally-html.XXXXXX")
trap 'rm -rf "$work"' EXIT INT TERM
mkdir -p "$work/home" "$ARTEFACTS"

passed=0
failed=0
quiet=0     # 1 while checking a page that is broken on purpose

ok() { passed=$((passed + 1)); }
bad() {
    failed=$((failed + 1))
    [ "$quiet" = 1 ] || echo "FAIL $*"
}
# expect WHAT EXPECTED ACTUAL
expect() {
    if [ "$2" = "$3" ]; then ok; else bad "$1: expected \"$2\", got \"$3\""; fi
}

tally() {
    ${TALLY_WRAPPER:-} "$bin" "$@"
}

# browse URL DOM LOG [FLAG...]: Chromium's rendered DOM (after scripts ran) into DOM,
# its log (console messages included) into LOG.
browse() {
    url=$1 dom=$2 log=$3
    shift 3
    profile=$(mktemp -d "$work/profile.XXXXXX")
    HOME=$work/home timeout 120 "$CHROMIUM" --headless --no-sandbox --disable-gpu --disable-quic \
        --no-first-run --disable-background-networking --disable-component-update --disable-sync \
        --user-data-dir="$profile" --enable-logging=stderr --v=0 "$@" --dump-dom "$url" \
        > "$dom" 2> "$log"
    status=$?
    rm -rf "$profile"
    [ $status -eq 0 ] || bad "chromium exited with status $status on $url"
}

# screenshot PAGE PNG
screenshot() {
    profile=$(mktemp -d "$work/profile.XXXXXX")
    rm -f "$2"
    HOME=$work/home timeout 120 "$CHROMIUM" --headless --no-sandbox --disable-gpu --disable-quic \
        --no-first-run --disable-background-networking --disable-component-update --disable-sync \
        --user-data-dir="$profile" --hide-scrollbars --window-size=1280,2000 \
        --screenshot="$2" "file://$1" > /dev/null 2>&1
    rm -rf "$profile"
    if [ -s "$2" ] && [ "$(head -c 4 "$2" | tail -c 3)" = PNG ]; then
        ok
    else
        bad "no screenshot of $1 in $2"
    fi
}

# ---- facts from the DOM --------------------------------------------------------------

count() {   # count PATTERN FILE: occurrences of a fixed string
    grep -o -F -- "$1" "$2" | wc -l | tr -d ' '
}
rows() {    # the diagnostic rows' opening tags, one per line
    grep -o '<tr class="sev-[a-z]*" data-sev=[^>]*>' "$1"
}
visible_rows() {
    rows "$1" | grep -v -c ' hidden=""'
}
by_id() {   # by_id ID FILE: the text of the element with that id, thousands separators dropped
    sed -n "s/.*id=\"$1\">\([^<]*\)<.*/\1/p" "$2" | head -n 1 | tr -d ,
}
console_messages() {
    grep -c -E 'CONSOLE|Uncaught|Refused to' "$1"
}

# ---- facts from the JSON report (one diagnostic a line, as tally writes it) ----------

json_stat() {   # json_stat NAME FILE
    sed -n "s/.*\"stats\": {.*\"$1\": \([0-9]*\).*/\1/p" "$2" | head -n 1
}
json_build() {
    sed -n "s/.*\"build\": {.*\"$1\": \([0-9]*\).*/\1/p" "$2" | head -n 1
}
json_diags() {  # json_diags FILE [KEY VALUE]: how many diagnostics (with "KEY": "VALUE")
    if [ $# -eq 1 ]; then
        grep -c '^    {"severity": ' "$1"
    else
        grep '^    {"severity": ' "$1" | grep -c -F "\"$2\": \"$3\""
    fi
}
json_codes() {
    grep '^    {"severity": ' "$1" | sed 's/.*"code": "\([^"]*\)".*/\1/' | LC_ALL=C sort -u
}

# ---- the checks every page gets ---------------------------------------------------------

# check_page NAME PAGE JSON: summary, rows, console, filters, sorting, scripts off.
check_page() {
    name=$1 page=$2 json=$3
    dom=$work/dom.html log=$work/log.txt
    browse "file://$page" "$dom" "$log"
    expect "$name: console messages" 0 "$(console_messages "$log")"
    expect "$name: script ran to the end" 1 "$(count '<html lang="en" data-ready="yes">' "$dom")"
    total=$(json_diags "$json")
    expect "$name: diagnostic rows" "$total" "$(rows "$dom" | wc -l | tr -d ' ')"
    expect "$name: rows shown" "$total" "$(visible_rows "$dom")"
    expect "$name: shown count" "$total" "$(by_id diags-shown "$dom")"
    for stat in files records errors warnings infos; do
        expect "$name: summary $stat" "$(json_stat $stat "$json")" "$(by_id stat-$stat "$dom")"
    done
    valid=$(sed -n 's/^  "valid": \([a-z]*\),$/\1/p' "$json")
    expect "$name: verdict" "$valid" "$(sed -n 's/.*id="verdict" data-valid="\([a-z]*\)".*/\1/p' "$dom")"
    truncated=$(sed -n 's/^  "truncated": \([a-z]*\),$/\1/p' "$json")
    expect "$name: truncation notice" "$([ "$truncated" = true ] && echo 1 || echo 0)" \
        "$(count 'id="truncated"' "$dom")"
    expect "$name: filters shown" 0 "$(count 'id="diag-controls" hidden' "$dom")"
    expect "$name: no external reference" 0 \
        "$(grep -c -i -E 'https?:|src=|url\(|@import|href="[^#]' "$page")"
    expect "$name: valid UTF-8" ok "$(iconv -f UTF-8 -t UTF-8 "$page" > /dev/null 2>&1 && echo ok)"
    # A page broken on purpose (self-test) has failed already: spare the other runs.
    [ "$quiet" = 1 ] && [ "$failed" -gt 0 ] && return

    for sev in error warning info; do
        browse "file://$page#severity=$sev" "$dom" "$log"
        want=$(json_diags "$json" severity $sev)
        expect "$name: #severity=$sev rows" "$want" "$(visible_rows "$dom")"
        expect "$name: #severity=$sev count" "$want" "$(by_id diags-shown "$dom")"
        expect "$name: #severity=$sev console" 0 "$(console_messages "$log")"
    done
    code=$(json_codes "$json" | tail -n 1)
    browse "file://$page#code=$code" "$dom" "$log"
    expect "$name: #code=$code rows" "$(json_diags "$json" code "$code")" "$(visible_rows "$dom")"
    # The file of the first error; then its errors only.
    file=$(grep '^    {"severity": "error"' "$json" | sed 's/.*"file": "\([^"]*\)".*/\1/' | head -n 1)
    browse "file://$page#file=$file" "$dom" "$log"
    expect "$name: #file=... rows" "$(json_diags "$json" file "$file")" "$(visible_rows "$dom")"
    browse "file://$page#file=$file&severity=error" "$dom" "$log"
    expect "$name: #file=...&severity=error rows" \
        "$(grep '^    {"severity": "error"' "$json" | grep -c -F "\"file\": \"$file\"")" \
        "$(visible_rows "$dom")"

    browse "file://$page#sort=code" "$dom" "$log"
    first=$(rows "$dom" | head -n 1 | sed 's/.*data-code="\([^"]*\)".*/\1/')
    expect "$name: #sort=code first row" "$(json_codes "$json" | head -n 1)" "$first"
    expect "$name: #sort=code marked" 1 "$(count 'data-col="code" aria-sort="ascending"' "$dom")"
    browse "file://$page#sort=code-desc" "$dom" "$log"
    first=$(rows "$dom" | head -n 1 | sed 's/.*data-code="\([^"]*\)".*/\1/')
    expect "$name: #sort=code-desc first row" "$code" "$first"

    # Scripts off: what a browser shows when the page's script never runs (Chromium's
    # --dump-dom itself needs scripts, so the copy has its script element left out).
    without_script "$page" > "$work/noscript.html"
    browse "file://$work/noscript.html#severity=error" "$dom" "$log"
    expect "$name: scripts off, the script is gone" 0 "$(count '<script' "$dom")"
    expect "$name: scripts off, rows" "$total" "$(rows "$dom" | wc -l | tr -d ' ')"
    expect "$name: scripts off, rows shown" "$total" "$(visible_rows "$dom")"
    expect "$name: scripts off, filters hidden" 1 "$(count 'id="diag-controls" hidden' "$dom")"
    expect "$name: scripts off, summary errors" "$(json_stat errors "$json")" \
        "$(by_id stat-errors "$dom")"
}

# The page without its script element (the only line that starts with <script>).
without_script() {
    awk '/^<script>/ { skip = 1 } !skip { print } /^<\/script>$/ { skip = 0 }' "$1"
}

# check_charts NAME PAGE JSON CSV: the build's fates and charts against report.json and dataset.csv.
check_charts() {
    name=$1 page=$2 json=$3 csv=$4
    dom=$work/dom.html log=$work/log.txt
    browse "file://$page" "$dom" "$log"
    for fate in read accepted rejected superseded duplicate; do
        expect "$name: fate $fate" "$(json_build $fate "$json")" "$(by_id fate-$fate "$dom")"
    done
    expect "$name: fates add up" 1 "$(count 'id="fate-balance">✓ adds up' "$dom")"
    nonzero=0
    for fate in accepted rejected superseded duplicate; do
        [ "$(json_build $fate "$json")" != 0 ] && nonzero=$((nonzero + 1))
    done
    expect "$name: fate bars" "$nonzero" "$(count '<rect class="fate fate-' "$dom")"
    expect "$name: authorities missing" "$(json_build authorities_missing "$json")" \
        "$(by_id authorities-missing "$dom")"

    # What dataset.csv says the charts must show (every cohort here has at most 10
    # authorities, so all are in the top chart).
    facts=$(awk -F, '
        NR == 1 { for (i = 1; i <= NF; i++) col[$i] = i; next }
        function num(v) { return v ~ /^[0-9]+$/ }
        function sym(v) { return v != "" && !num(v) }
        {
            group = $col["period_start"] " " $col["period_end"] " " $col["cohort"]
            if ($col["geographic_level"] == "uk") {
                groups++
                yes += $col["authorities_reporting"]
                no += $col["authorities_expected"] - $col["authorities_reporting"]
            }
            if ($col["geographic_level"] != "authority") { areas++; next }
            if ($col["authorities_reporting"] != 1) next    # the top chart: those that reported
            per[group]++
            care = $col["in_care"]; wm = $col["went_missing"]
            f = $col["found"]; nf = $col["not_found"]
            auth++
            if (num(care) && care > 0) in_care++
            if (num(f) && num(nf)) { if (f > 0) found++; if (nf > 0) not_found++ }
            else if (num(wm) && wm > 0) went_missing++
            syms += sym(care) + sym(wm) + sym(f) + sym(nf)
        }
        END {
            big = 0
            for (g in per) if (per[g] > 10) big++
            printf "%d %d %d %d %d %d %d %d %d %d %d\n", groups, auth, in_care, found, not_found,
                went_missing, syms, areas, yes, no, big
        }' "$csv")
    set -- $facts
    expect "$name: fixture has at most 10 authorities per cohort" 0 "${11}"
    expect "$name: cohort sections" "$1" "$(count '<section class="cohort"' "$dom")"
    expect "$name: top chart rows" "$2" "$(count '<g class="top-row"' "$dom")"
    expect "$name: in_care bars" "$3" "$(count '<rect class="bar-in-care"' "$dom")"
    expect "$name: found bars" "$4" "$(count '<rect class="bar-found"' "$dom")"
    expect "$name: not_found bars" "$5" "$(count '<rect class="bar-not-found"' "$dom")"
    expect "$name: went_missing bars" "$6" "$(count '<rect class="bar-went-missing"' "$dom")"
    expect "$name: symbols in the top chart" "$7" "$(count '<tspan class="sym">' "$dom")"
    expect "$name: area table rows" "$8" "$(count '<tr class="area-row' "$dom")"
    expect "$name: coverage squares, reported" "$9" "$(count '<rect class="cov-yes' "$dom")"
    # not reported: sent nothing, or sent what was not accepted (rejects.csv, and no row reported)
    db=$(dirname "$csv")/dataset.sqlite
    rejected=$(sqlite3 "$db" "SELECT count(DISTINCT d.row) FROM records r JOIN dataset d
        ON d.area_code = r.authority_code AND d.cohort = r.cohort AND d.period_start = r.period_start
        AND d.period_end = r.period_end WHERE r.fate = 'rejected'
        AND d.geographic_level = 'authority' AND d.authorities_reporting = 0")
    expect "$name: coverage squares, rejected" "$rejected" "$(count '<rect class="cov-rejected' "$dom")"
    expect "$name: coverage squares, sent nothing" "$((${10} - rejected))" "$(count '<rect class="cov-no' "$dom")"
    # every square names its authority, to the eye (a tooltip) and to a screen reader
    nauth=$(awk -F, 'NR > 1 && $4 == "authority"' "$csv" | wc -l | tr -d ' ')
    expect "$name: squares with a label" "$nauth" "$(grep -o '<rect class="cov-[^>]*role="img" aria-label="[^"]*): [^"]*"><title>' "$dom" | wc -l | tr -d ' ')"
    expect "$name: squares' label and tooltip agree" 0 "$(grep -o '<rect class="cov-[^>]*>' "$dom" | \
        sed -n 's/.*aria-label="\([^"]*\)".*/\1/p' | sort > "$work/labels"; \
        grep -o '<rect class="cov-[^>]*><title>[^<]*</title>' "$dom" | sed 's/.*<title>//; s/<\/title>//' | sort | \
        diff - "$work/labels" | grep -c '^[<>]')"
    sqlite3 -list "$db" "SELECT 'aria-label=\"' || area_name || ' (' || area_code || '): '
                         FROM dataset WHERE geographic_level = 'authority'" |
        sed "s/&/\&amp;/g; s/'/\&#39;/g" | sort > "$work/want-labels"
    grep -o 'aria-label="[^"]*): ' "$dom" | sort > "$work/got-labels"
    expect "$name: each authority's square, by name" 0 "$(diff "$work/want-labels" "$work/got-labels" | grep -c '^[<>]')"
    # Wales, Scotland and Northern Ireland as themselves: each nation's line holds its own authorities
    for nation in W92000004:W06 S92000003:S12 N92000002:N09; do
        code=${nation%%:*} prefix=${nation#*:}
        line=$(sed -n "/<g class=\"cov-area\" data-area=\"$code\"/,/<\/g>/p" "$dom")
        want=$(sqlite3 "$db" "SELECT count(*) FROM dataset WHERE geographic_level = 'authority'
                              AND country_code = '$code'")
        expect "$name: $code's line, its squares" "$want" "$(printf '%s\n' "$line" | grep -o 'data-area="'"$prefix"'[0-9]*" role="img"' | wc -l | tr -d ' ')"
        expect "$name: $code's line, no other nation's" 0 "$(printf '%s\n' "$line" | grep -o 'data-area="[A-Z][0-9]*" role="img"' | grep -vc "\"$prefix")"
    done
    # an authority that sent some of the period's cohorts but not all is flagged, in each cohort
    partial=$(sqlite3 "$db" "SELECT coalesce(sum(n), 0) FROM (SELECT count(*) AS n,
        sum(authorities_reporting) AS r FROM dataset WHERE geographic_level = 'authority'
        GROUP BY period_start, period_end, area_code HAVING r > 0 AND r < count(*))")
    expect "$name: squares flagged as one cohort only" "$partial" "$(count ' cov-partial"' "$dom")"
    # a period where under half the authorities reported is flagged
    low=$(sed -n 's/.*"coverage_low": true.*/x/p' "$json" | wc -l | tr -d ' ')
    expect "$name: low-coverage periods flagged at the top" "$low" "$(count 'class="notice period-low"' "$dom")"
    expect "$name: low-coverage periods flagged per cohort" "$((low * $1 / $(grep -c '^    {"period_start": ' "$json")))" \
        "$(count 'class="notice coverage-low"' "$dom")"
    # who stands behind each figure: five counts per UK, nation and region row
    expect "$name: authorities behind each figure, rows" "$((${8} * 5))" "$(count '<tr class="behind-row"' "$dom")"
    expect "$name: coverage lines" "$(awk -F, 'NR > 1 && $4 == "region"' "$csv" | wc -l | tr -d ' ')" \
        "$(count '<g class="cov-area" data-area="E12' "$dom")"
    # One figure of each kind, read off the page: the UK's in_care and reporting per cohort.
    awk -F, 'NR > 1 && $4 == "uk" { print $3, $9, $15, $16 }' "$csv" > "$work/uk.txt"
    while read -r cohort in_care reporting expected; do
        section=$(sed -n "/<section class=\"cohort\" data-cohort=\"$cohort\">/,/<\/section>/p" "$dom")
        expect "$name: $cohort UK in care" "$in_care" "$(printf '%s\n' "$section" |
            sed -n 's/.*data-area="K02000001"><td>United Kingdom<\/td><td class="num">\([0-9,]*\)<.*/\1/p' |
            tr -d ,)"
        expect "$name: $cohort UK reporting" "$reporting of $expected" "$(printf '%s\n' "$section" |
            sed -n 's/.*data-area="K02000001">.*<td class="num">\([0-9]* of [0-9]*\)<\/td>.*/\1/p')"
    done < "$work/uk.txt"
    expect "$name: Kent named in the coverage view" 2 "$(count '<title>Kent (E10000016): sent a return</title>' "$dom")"
}

# check_trends NAME PAGE CSV: a build of several periods. Per cohort, a trend chart of
# in_care and one of went_missing_pct for the UK and each nation: every value of
# dataset.csv that is a number is a point (its period and value as dataset.csv says),
# every other one is listed under its chart, never drawn; under each period, the
# UK's authorities reporting of those in force. Then England's regions in the latest
# period: one row each, a bar when in_care is a number above 0, its coverage.
check_trends() {
    name=$1 page=$2 csv=$3
    dom=$work/dom.html log=$work/log.txt
    browse "file://$page" "$dom" "$log"
    expect "$name: trends, console messages" 0 "$(console_messages "$log")"
    expect "$name: trends, script ran to the end" 1 "$(count '<html lang="en" data-ready="yes">' "$dom")"
    expect "$name: trends, no external reference" 0 \
        "$(grep -c -i -E 'https?:|src=|url\(|@import|href="[^#]' "$page")"
    periods=$(awk -F, 'NR > 1 { print $2 }' "$csv" | sort -u | wc -l | tr -d ' ')
    cohorts=$(awk -F, 'NR > 1 { print $3 }' "$csv" | sort -u | wc -l | tr -d ' ')
    if [ "$periods" -lt 2 ]; then
        expect "$name: no trend section for one period" 0 "$(count 'id="trends"' "$dom")"
        return
    fi
    expect "$name: trend charts" "$((cohorts * 2))" "$(count '<svg class="trend"' "$dom")"
    expect "$name: trend charts labelled" "$((cohorts * 2))" \
        "$(grep -c -E '<svg class="trend" id="([^"]*)"[^>]*role="img" aria-labelledby="\1-t \1-d"' "$dom")"
    expect "$name: trend titles" "$((cohorts * 2))" "$(count '<title id="trend-' "$dom")"
    # what dataset.csv says: cohort|measure|area|period|value|point or gap
    awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) col[$i] = i; next }
        $col["geographic_level"] == "uk" || $col["geographic_level"] == "country" {
            c = $col["in_care"]; p = $col["went_missing_pct"]
            print $col["cohort"] "|in_care|" $col["area_code"] "|" $col["period_end"] "|" c "|" (c ~ /^[0-9]+$/ ? "pt" : "gap")
            print $col["cohort"] "|went_missing_pct|" $col["area_code"] "|" $col["period_end"] "|" p "|" (p ~ /^[0-9]+\.[0-9]$/ ? "pt" : "gap")
        }' "$csv" | LC_ALL=C sort > "$work/want-trend"
    # what the page shows
    awk '
        /<section class="trend-cohort" data-cohort="/ { sub(/.*data-cohort="/, ""); sub(/".*/, ""); cohort = $0; next }
        /<svg class="trend" / { m = $0; sub(/.*data-measure="/, "", m); sub(/".*/, "", m); measure = m }
        /<g class="series" data-area="/ { a = $0; sub(/.*data-area="/, "", a); sub(/".*/, "", a); area = a }
        /<circle class="pt"/ {
            line = $0
            while (match(line, /<circle class="pt"[^>]*>/)) {
                t = substr(line, RSTART, RLENGTH); line = substr(line, RSTART + RLENGTH)
                p = t; sub(/.*data-period="/, "", p); sub(/".*/, "", p)
                v = t; sub(/.*data-value="/, "", v); sub(/".*/, "", v)
                print cohort "|" measure "|" area "|" p "|" v "|pt"
            }
        }
        /<li class="gap"/ {
            t = $0
            g = t; sub(/.*data-area="/, "", g); sub(/".*/, "", g)
            p = t; sub(/.*data-period="/, "", p); sub(/".*/, "", p)
            v = t; sub(/.*data-value="/, "", v); sub(/".*/, "", v)
            print cohort "|" measure "|" g "|" p "|" v "|gap"
        }' "$dom" | LC_ALL=C sort > "$work/got-trend"
    expect "$name: every trend value as dataset.csv says (points and gaps)" 0 \
        "$(diff "$work/want-trend" "$work/got-trend" | grep -c '^[<>]')"
    expect "$name: trend values checked" "$(wc -l < "$work/want-trend" | tr -d ' ')" \
        "$(wc -l < "$work/got-trend" | tr -d ' ')"
    # the coverage under each period of each chart: the UK row's
    awk -F, 'NR > 1 && $4 == "uk" { for (k = 0; k < 2; k++) print $2 "|" $15 " of " $16 " reporting" }' "$csv" |
        LC_ALL=C sort > "$work/want-cov"
    sed -n 's/.*<text class="cov-label head" data-period="\([^"]*\)"[^>]*>\([^<]*\)<.*/\1|\2/p' "$dom" |
        LC_ALL=C sort > "$work/got-cov"
    expect "$name: coverage under each period" 0 "$(diff "$work/want-cov" "$work/got-cov" | grep -c '^[<>]')"
    expect "$name: coverage labels" "$((periods * cohorts * 2))" "$(wc -l < "$work/got-cov" | tr -d ' ')"
    # England's regions in the latest period
    last=$(awk -F, 'NR > 1 { print $2 }' "$csv" | sort | tail -n 1)
    awk -F, -v last="$last" 'NR > 1 && $4 == "region" && $2 == last { print $5 "|" $15 " of " $16 }' "$csv" |
        LC_ALL=C sort > "$work/want-reg"
    sed -n '/<g class="region-row"/,/<\/g>/p' "$dom" | awk '
        /<g class="region-row" data-area="/ { a = $0; sub(/.*data-area="/, "", a); sub(/".*/, "", a) }
        /<text class="reg-cov"/ { c = $0; sub(/.*<text class="reg-cov"[^>]*>/, "", c); sub(/<.*/, "", c); print a "|" c }' |
        LC_ALL=C sort > "$work/got-reg"
    expect "$name: regions compared, with their coverage" 0 "$(diff "$work/want-reg" "$work/got-reg" | grep -c '^[<>]')"
    expect "$name: region rows" "$(wc -l < "$work/want-reg" | tr -d ' ')" "$(count '<g class="region-row"' "$dom")"
    expect "$name: region bars" \
        "$(awk -F, -v last="$last" 'NR > 1 && $4 == "region" && $2 == last && $9 ~ /^[0-9]+$/ && $9 > 0' "$csv" | wc -l | tr -d ' ')" \
        "$(count '<rect class="reg-bar"' "$dom")"
}

# check_disclosure NAME PAGE JSON CSV: the audit on the page is report.json's, and every
# suppressed count of the UK, nations and regions is shown as the symbol.
check_disclosure() {
    name=$1 page=$2 json=$3 csv=$4
    dom=$work/dom.html log=$work/log.txt
    browse "file://$page" "$dom" "$log"
    expect "$name: audit verdict" "$(jq -r .disclosure.passed "$json")" \
        "$(sed -n 's/.*id="disclosure-verdict" data-passed="\([a-z]*\)".*/\1/p' "$dom")"
    expect "$name: primary counts" "$(jq .disclosure.primary.counts "$json")" "$(by_id sdc-primary "$dom")"
    expect "$name: primary percentages" "$(jq .disclosure.primary.percentages "$json")" "$(by_id sdc-primary-pct "$dom")"
    expect "$name: secondary counts" "$(jq .disclosure.secondary.counts "$json")" "$(by_id sdc-secondary "$dom")"
    expect "$name: secondary percentages" "$(jq .disclosure.secondary.percentages "$json")" "$(by_id sdc-secondary-pct "$dom")"
    expect "$name: narrowest interval" "$(jq .disclosure.narrowest.width "$json")" "$(by_id sdc-narrowest-width "$dom")"
    expect "$name: not said to be uncontrolled" 0 "$(count 'id="disclosure-none"' "$dom")"
    # the areas tables show in_care, went_missing, the percentage, found and not_found
    want=$(awk -F, 'NR > 1 && $4 != "authority" { for (i = 9; i <= 14; i++) if (i != 11 && $i == "c") n++ } END { print n + 0 }' "$csv")
    expect "$name: suppressed cells shown as c in the areas tables" "$want" \
        "$(sed -n '/<table class="areas">/,/<\/table>/p' "$dom" | grep -o '<abbr class="sym" title="c: withheld to protect individuals">c</abbr>' | wc -l | tr -d ' ')"
}

# ---- the pages ------------------------------------------------------------------------

# A validate report and its JSON twin, from one run.
tally validate --report html --report-file "$work/validate.html" \
    --report json --report-file "$work/validate.json" fixtures/csv/codes/*.csv > /dev/null 2>&1
expect "validate: exit status" 1 $?
check_page validate "$work/validate.html" "$work/validate.json"
screenshot "$work/validate.html" "$ARTEFACTS/html-validate.png"

# A build.
tally build -o "$work/national" fixtures/build > /dev/null 2>&1
expect "build: exit status" 1 $?
check_page build "$work/national/report.html" "$work/national/report.json"
check_charts build "$work/national/report.html" "$work/national/report.json" \
    "$work/national/dataset.csv"
screenshot "$work/national/report.html" "$ARTEFACTS/html-build.png"
browse "file://$work/national/report.html" "$work/dom.html" "$work/log.txt"
expect "build: said not to be disclosure-controlled" 1 "$(count 'id="disclosure-none" data-controlled="false"' "$work/dom.html")"

# A build with disclosure control.
tally build --disclosure -o "$work/sdc" fixtures/build > /dev/null 2>&1
expect "sdc build: exit status" 1 $?
check_charts sdc "$work/sdc/report.html" "$work/sdc/report.json" "$work/sdc/dataset.csv"
check_disclosure sdc "$work/sdc/report.html" "$work/sdc/report.json" "$work/sdc/dataset.csv"
screenshot "$work/sdc/report.html" "$ARTEFACTS/html-disclosure.png"

# Several periods: the trend charts. The bundled two years (with a suppressed
# count), under disclosure control too, and generated builds of two periods.
tally build -o "$work/series" fixtures/series/2015 fixtures/series/2016 > /dev/null 2>&1
expect "series build: exit status" 0 $?
check_trends series "$work/series/report.html" "$work/series/dataset.csv"
screenshot "$work/series/report.html" "$ARTEFACTS/html-trends.png"
tally build --disclosure -o "$work/series-sdc" fixtures/series/2015 fixtures/series/2016 > /dev/null 2>&1
expect "series sdc build: exit status" 0 $?
check_trends series-sdc "$work/series-sdc/report.html" "$work/series-sdc/dataset.csv"
check_trends one-period "$work/national/report.html" "$work/national/dataset.csv"
if [ -n "${gen:-}" ]; then
    for seed in 3 11; do
        rm -rf "$work/gen"
        "$gen" $seed schemas/authorities.csv "$work/gen" > /dev/null || bad "the generator failed (seed $seed)"
        tally build -o "$work/gen/out" "$work/gen/returns" > /dev/null 2>&1
        check_trends "generated (seed $seed)" "$work/gen/out/report.html" "$work/gen/out/dataset.csv"
    done
else
    bad "no generator given: the generated multi-period builds were not checked"
fi

# Hostile text: markup, quotes, ampersands and invalid UTF-8 in values and names.
cat > "$work/hostile.csv" <<'CSV'
authority_code,authority_name,period_start,period_end,cohort,in_care,went_missing,missing_incidents,found,not_found
E10000016,"<b id=""injected"">Kent</b> & 'co' ""q""",2014-10-01,2015-09-30,uasc,<i>9</i>,</td></tr></table><script>alert(1)</script>,3,1,0
CSV
# A file name that is not UTF-8: shown with U+FFFD in its place.
odd=$(printf '%s/odd-\377\376-<&>.csv' "$work")
printf 'authority_code,in_care\n' > "$odd"
tally validate --report html --report-file "$work/hostile.html" \
    --report json --report-file "$work/hostile.json" "$work/hostile.csv" "$odd" > /dev/null 2>&1
check_page hostile "$work/hostile.html" "$work/hostile.json"
dom=$work/dom.html
browse "file://$work/hostile.html" "$dom" "$work/log.txt"
expect "hostile: no injected element" 0 "$(count '<b id="injected"' "$dom")"
expect "hostile: no injected script" 1 "$(grep -c '<script' "$work/hostile.html")"
# In the value and in the message of the authority-name warning.
expect "hostile: markup kept as text" 2 \
    "$(count "&lt;b id=\"injected\"&gt;Kent&lt;/b&gt; &amp; 'co' \"q\"" "$dom")"
expect "hostile: script kept as text" 2 "$(count '&lt;script&gt;alert(1)&lt;/script&gt;' "$dom")"
expect "hostile: invalid UTF-8 shown as U+FFFD" 1 "$(grep -c -F \
    "<option value=\"1\" data-name=\"$work/odd-$(printf '\357\277\275\357\277\275')-&lt;&amp;&gt;.csv\">" \
    "$dom")"

# ---- self-test: broken pages must fail -------------------------------------------------

# broken WHAT CHECK...: run the checks on a broken page; they must fail.
broken() {
    what=$1
    shift
    n=$( (quiet=1 failed=0; "$@" > /dev/null 2>&1; echo $failed) | tail -n 1)
    if [ "${n:-0}" -gt 0 ]; then
        ok
    else
        bad "self-test: the checks passed a page with $what"
    fi
}
v=$work/validate.html vj=$work/validate.json
b=$work/national/report.html bj=$work/national/report.json bc=$work/national/dataset.csv

sed '0,/<tr class="sev-/{/<tr class="sev-/d}' "$v" > "$work/b1.html"
broken "a diagnostic row removed" check_page b1 "$work/b1.html" "$vj"

sed 's/id="stat-errors">[0-9]*</id="stat-errors">0</' "$v" > "$work/b2.html"
broken "a summary number changed" check_page b2 "$work/b2.html" "$vj"

sed "s/  'use strict';/  'use strict'; var unused = 1;/" "$v" > "$work/b3.html"
broken "its script altered (the policy refuses it)" check_page b3 "$work/b3.html" "$vj"

sed -e 's/<meta http-equiv="Content-Security-Policy"[^>]*>//' \
    -e "s/  'use strict';/  'use strict'; undefinedFunction();/" "$v" > "$work/b4.html"
broken "a script that throws" check_page b4 "$work/b4.html" "$vj"

sed '0,/<rect class="bar-found"/{s/<rect class="bar-found"/<rect class="bar-lost"/}' "$b" > "$work/b5.html"
broken "a bar removed" check_charts b5 "$work/b5.html" "$bj" "$bc"

sed 's/<rect class="cov-no\([^>]*\)><title>[^<]*<\/title><\/rect>//' "$b" > "$work/b6.html"
broken "coverage squares removed" check_charts b6 "$work/b6.html" "$bj" "$bc"

sed '0,/role="img" aria-label="[^"]*"><title>/{s/role="img" aria-label="[^"]*"><title>/><title>/}' "$b" > "$work/b7.html"
broken "a square without its label" check_charts b7 "$work/b7.html" "$bj" "$bc"

sed '0,/<rect class="cov-rejected/{s/<rect class="cov-rejected/<rect class="cov-no/}' "$b" > "$work/b8.html"
broken "a rejected return drawn as sent nothing" check_charts b8 "$work/b8.html" "$bj" "$bc"

sed 's/ cov-partial"/"/' "$b" > "$work/b9.html"
broken "one-cohort authorities not flagged" check_charts b9 "$work/b9.html" "$bj" "$bc"

t=$work/series/report.html tc=$work/series/dataset.csv
sed '0,/<circle class="pt"/{s/data-value="\([0-9]*\)"/data-value="\19"/}' "$t" > "$work/b11.html"
broken "a trend point with another value" check_trends b11 "$work/b11.html" "$tc"
sed '0,/<li class="gap"/{/<li class="gap"/d}' "$t" > "$work/b12.html"
broken "a value that is not a number left unsaid" check_trends b12 "$work/b12.html" "$tc"
sed '0,/<text class="reg-cov"/{s/\(<text class="reg-cov"[^>]*>\)[0-9]*/\199/}' "$t" > "$work/b13.html"
broken "a region's coverage changed" check_trends b13 "$work/b13.html" "$tc"
sed '0,/class="cov-label head"/{s/\(class="cov-label head"[^>]*>\)[0-9]*/\199/}' "$t" > "$work/b14.html"
broken "a period's coverage changed" check_trends b14 "$work/b14.html" "$tc"

s=$work/sdc/report.html sj=$work/sdc/report.json sc=$work/sdc/dataset.csv
sed 's/id="sdc-secondary">[0-9]*</id="sdc-secondary">0</' "$s" > "$work/b10.html"
broken "an audit count changed" check_disclosure b10 "$work/b10.html" "$sj" "$sc"

echo "html: $passed passed, $failed failed"
[ $failed -eq 0 ]
