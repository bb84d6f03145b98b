/*
 * report/html.c — the HTML report (doc/diagnostics.md, Reports): one self-contained page that a
 * data officer can open from disk, with no network and no other file.
 *
 *   tally validate --report html --report-file report.html returns/NAME.csv
 *   tally build -o national returns/        (writes national/report.html)
 *
 * The page holds, in order:
 *   - a summary: files, records, errors, warnings, infos, valid or not, and a
 *     notice when --max-errors stopped the details;
 *   - for tally build, the fate of every record read (they add up), then per
 *     period and cohort three charts drawn from the dataset rows: the
 *     authorities with the most children in care (went_missing stacked as
 *     found and not_found), the UK, nations and regions as a table, and who
 *     reported (one square per expected authority);
 *   - every detailed diagnostic as one table row;
 *   - the files read.
 *
 * Everything is static HTML, inline CSS and inline SVG, readable with scripts
 * off. One small inline script adds filters (severity, code, file) and
 * sortable columns; a Content-Security-Policy allows only that script and
 * that style sheet, by hash, and nothing from the network. The URL fragment
 * can preset a view, e.g. report.html#severity=error&sort=code (the browser
 * tests use this).
 *
 * Like report/json.c, the diagnostics are streamed to a temporary file as they
 * arrive and copied into the page at the end, so memory stays flat however
 * many there are; only the distinct codes and files are kept, for the filters.
 * Nothing in the page depends on the time or the machine: the same run gives
 * the same bytes.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <nettle/base64.h>
#include <nettle/sha2.h>

#include "core/grow.h"
#include "core/htmlout.h"
#include "report/reports.h"
#include "tally/build.h"
#include "tally/disclosure.h"

#define TOP_AUTHORITIES 10      /* authorities in the "most children in care" chart */
#define CHART_WIDTH 960         /* width of every SVG chart, in CSS pixels */

/* ---- the page's fixed parts ----------------------------------------------------- */

static const char page_style[] =
    ":root{--fg:#1f2328;--muted:#57606a;--line:#d8dee4;--soft:#f6f8fa;--err:#b42318;"
    "--warn:#b54708;--info:#6e7781;--ok:#1a7f37;--care:#d5dbe1;--found:#4f7fb0;"
    "--notfound:#c2410c;--cov:#2f6690}\n"
    "*{box-sizing:border-box}\n"
    "body{margin:0;color:var(--fg);background:#fff;font:15px/1.5 system-ui,-apple-system,"
    "\"Segoe UI\",Roboto,\"Liberation Sans\",\"DejaVu Sans\",Arial,sans-serif}\n"
    "main{max-width:1240px;margin:0 auto;padding:24px 32px 56px}\n"
    "h1{font-size:26px;line-height:1.25;margin:2px 0 8px}\n"
    "h2{font-size:19px;margin:36px 0 12px;padding-bottom:6px;border-bottom:1px solid var(--line)}\n"
    "h3{font-size:17px;margin:28px 0 4px}\n"
    "h4{font-size:14px;margin:18px 0 6px;color:var(--muted)}\n"
    ".kicker,.sub{color:var(--muted);font-size:13px;margin:0}\n"
    ".verdict{display:inline-block;margin:4px 0;padding:3px 12px;border-radius:4px;font-weight:600}\n"
    ".verdict.ok{background:#e7f3ea;color:var(--ok)}\n"
    ".verdict.bad{background:#fcebe9;color:var(--err)}\n"
    ".stats{display:flex;flex-wrap:wrap;gap:12px;margin:18px 0 8px}\n"
    ".stat{min-width:140px;padding:10px 16px;border:1px solid var(--line);border-radius:6px;"
    "background:var(--soft)}\n"
    ".stat .label{display:block;font-size:13px;color:var(--muted)}\n"
    ".stat .value{font-size:26px;font-weight:600;font-variant-numeric:tabular-nums}\n"
    ".stat.errors .value{color:var(--err)}\n"
    ".stat.warnings .value{color:var(--warn)}\n"
    ".stat.infos .value{color:var(--info)}\n"
    ".notice{margin:12px 0;padding:8px 12px;border-left:4px solid var(--warn);background:#fdf6e9}\n"
    ".equation{font-size:16px;margin:6px 0}\n"
    ".good{color:var(--ok);font-weight:600}\n"
    ".bad{color:var(--err);font-weight:600}\n"
    ".note{color:var(--muted);font-size:13px;margin:4px 0}\n"
    "table{width:100%;border-collapse:collapse;font-size:13.5px}\n"
    "th,td{padding:5px 8px;text-align:left;vertical-align:top;border-bottom:1px solid var(--line)}\n"
    "th{background:var(--soft);font-weight:600;white-space:nowrap}\n"
    "#diags th{position:sticky;top:0}\n"
    ".num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}\n"
    "tr.sub td:first-child{padding-left:24px}\n"
    "tr.total td{font-weight:600}\n"
    ".mono,td.val,td.loc{font-family:ui-monospace,\"DejaVu Sans Mono\",\"Liberation Mono\",monospace;"
    "font-size:12.5px}\n"
    "td.val,td.loc,td.file,td.msg{overflow-wrap:anywhere}\n"
    "td.val{min-width:100px;white-space:pre-wrap}\n"
    "td.file{min-width:140px}\n"
    "td.loc{min-width:110px}\n"
    "td.msg{min-width:220px}\n"
    "#diags td.mono{white-space:nowrap}\n"
    "#diags th[data-col=path]{white-space:normal}\n"
    "nav{margin:14px 0 0;font-size:14px}\n"
    "nav a{color:var(--cov);margin-right:16px}\n"
    ".sev{display:inline-block;padding:0 6px;border-radius:3px;color:#fff;font-size:12px;font-weight:600}\n"
    ".sev-error .sev{background:var(--err)}\n"
    ".sev-warning .sev{background:var(--warn)}\n"
    ".sev-info .sev{background:var(--info)}\n"
    ".sym{font-style:italic;text-decoration:underline dotted #8c959f}\n"
    ".na{color:var(--muted)}\n"
    ".controls{display:flex;flex-wrap:wrap;gap:16px;align-items:flex-end;margin:8px 0 12px}\n"
    ".controls label{font-size:13px;color:var(--muted)}\n"
    ".controls select{display:block;max-width:380px;padding:3px 6px;font:inherit;color:var(--fg)}\n"
    ".controls .shown{font-size:13px;color:var(--muted);padding-bottom:5px}\n"
    "th button{all:unset;cursor:pointer}\n"
    "th button:focus-visible{outline:2px solid var(--cov)}\n"
    "th button::after{content:\" \\2195\";color:#8c959f}\n"
    "th[aria-sort=ascending] button::after{content:\" \\25B2\";color:var(--fg)}\n"
    "th[aria-sort=descending] button::after{content:\" \\25BC\";color:var(--fg)}\n"
    ".legend{display:flex;flex-wrap:wrap;gap:18px;margin:4px 0;padding:0;list-style:none;"
    "font-size:13px;color:var(--muted)}\n"
    ".swatch{display:inline-block;width:12px;height:12px;margin-right:6px;vertical-align:-1px;"
    "border-radius:2px}\n"
    ".sw-care{background:var(--care)}\n"
    ".sw-found{background:var(--found)}\n"
    ".sw-notfound{background:var(--notfound)}\n"
    ".sw-missing{background:#8c959f}\n"
    ".sw-yes{background:var(--cov)}\n"
    ".sw-no{border:1px solid #8c959f}\n"
    ".sw-accepted{background:var(--ok)}\n"
    ".sw-rejected{background:var(--err)}\n"
    ".sw-superseded{background:var(--warn)}\n"
    ".sw-duplicate{background:#8c959f}\n"
    "svg{display:block;max-width:100%;height:auto}\n"
    "svg.fates-bar{width:100%;height:22px}\n"
    "svg text{font-size:12.5px;fill:var(--fg);font-variant-numeric:tabular-nums}\n"
    "svg .head{fill:var(--muted);font-weight:600}\n"
    "svg .strong{font-weight:600}\n"
    ".bar-in-care{fill:var(--care)}\n"
    ".bar-found{fill:var(--found)}\n"
    ".bar-not-found{fill:var(--notfound)}\n"
    ".bar-went-missing{fill:#8c959f}\n"
    ".cov-yes{fill:var(--cov)}\n"
    ".cov-no{fill:#fff;stroke:#8c959f}\n"
    ".cov-rejected{fill:var(--err)}\n"
    ".cov-partial{stroke:#e8a317;stroke-width:2;stroke-dasharray:2 1}\n"
    ".sw-partial{border:2px dashed #e8a317}\n"
    "details.behind{margin:10px 0}\n"
    "details.behind summary{cursor:pointer;color:var(--cov);font-size:14px}\n"

    ".fate-accepted{fill:var(--ok)}\n"
    ".fate-rejected{fill:var(--err)}\n"
    ".fate-superseded{fill:var(--warn)}\n"
    ".fate-duplicate{fill:#8c959f}\n"
    "section.cohort{margin-top:8px;padding-top:4px;border-top:1px dashed var(--line)}\n";

/* Filters and sorting; a fragment such as #severity=error&code=type&file=PATH&sort=code-desc
 * presets them. Sets data-ready on <html> when it ran to the end (the tests look). */
static const char page_script[] =
    "(function () {\n"
    "  'use strict';\n"
    "  var table = document.getElementById('diags');\n"
    "  if (table) {\n"
    "    var body = table.tBodies[0];\n"
    "    var rows = Array.prototype.slice.call(body.rows);\n"
    "    var heads = Array.prototype.slice.call(table.tHead.rows[0].cells);\n"
    "    var selects = Array.prototype.slice.call(document.querySelectorAll('select[data-filter]'));\n"
    "    var shown = document.getElementById('diags-shown');\n"
    "    var collator = new Intl.Collator(undefined, {numeric: true, sensitivity: 'base'});\n"
    "    var filter = function () {\n"
    "      var n = 0;\n"
    "      rows.forEach(function (r) {\n"
    "        var ok = selects.every(function (s) {\n"
    "          return s.value === '' || r.getAttribute('data-' + s.getAttribute('data-filter')) === s.value;\n"
    "        });\n"
    "        r.hidden = !ok;\n"
    "        if (ok) n++;\n"
    "      });\n"
    "      shown.textContent = String(n);\n"
    "    };\n"
    "    var sort = function (col, desc) {\n"
    "      var keyed = rows.map(function (r, i) {\n"
    "        var c = r.cells[col];\n"
    "        return {r: r, i: i, k: c.hasAttribute('data-k') ? c.getAttribute('data-k') : c.textContent};\n"
    "      });\n"
    "      keyed.sort(function (a, b) {\n"
    "        return (desc ? -1 : 1) * collator.compare(a.k, b.k) || a.i - b.i;\n"
    "      });\n"
    "      var frag = document.createDocumentFragment();\n"
    "      keyed.forEach(function (x) { frag.appendChild(x.r); });\n"
    "      body.appendChild(frag);\n"
    "      heads.forEach(function (h, i) {\n"
    "        if (i === col) h.setAttribute('aria-sort', desc ? 'descending' : 'ascending');\n"
    "        else h.removeAttribute('aria-sort');\n"
    "      });\n"
    "    };\n"
    "    selects.forEach(function (s) { s.addEventListener('change', filter); });\n"
    "    heads.forEach(function (h, i) {\n"
    "      var b = document.createElement('button');\n"
    "      b.type = 'button';\n"
    "      b.textContent = h.textContent;\n"
    "      b.title = 'Sort by ' + h.textContent;\n"
    "      h.textContent = '';\n"
    "      h.appendChild(b);\n"
    "      b.addEventListener('click', function () {\n"
    "        sort(i, h.getAttribute('aria-sort') === 'ascending');\n"
    "      });\n"
    "    });\n"
    "    var keys = {severity: 'sev', code: 'code', file: 'f'};\n"
    "    location.hash.replace(/^#/, '').split('&').forEach(function (part) {\n"
    "      var eq = part.indexOf('='), name, value;\n"
    "      if (eq < 0) return;\n"
    "      try {\n"
    "        name = decodeURIComponent(part.slice(0, eq));\n"
    "        value = decodeURIComponent(part.slice(eq + 1));\n"
    "      } catch (e) {\n"
    "        return;\n"
    "      }\n"
    "      if (name === 'sort') {\n"
    "        var desc = /-desc$/.test(value), col = value.replace(/-desc$/, '');\n"
    "        heads.forEach(function (h, i) {\n"
    "          if (h.getAttribute('data-col') === col) sort(i, desc);\n"
    "        });\n"
    "        return;\n"
    "      }\n"
    "      selects.forEach(function (s) {\n"
    "        if (s.getAttribute('data-filter') !== keys[name]) return;\n"
    "        Array.prototype.forEach.call(s.options, function (o) {\n"
    "          if (o.value === value || o.getAttribute('data-name') === value) s.value = o.value;\n"
    "        });\n"
    "      });\n"
    "    });\n"
    "    filter();\n"
    "    document.getElementById('diag-controls').hidden = false;\n"
    "  }\n"
    "  document.documentElement.setAttribute('data-ready', 'yes');\n"
    "})();\n";

/* ---- state --------------------------------------------------------------------- */

/* A distinct code or file seen in the diagnostics, with how many. */
struct seen {
    char *text;             /* owned; NULL for "no file" */
    uint64_t n;
};

struct seen_set {
    struct seen *v;
    size_t n, cap;
    size_t last;            /* the index found last time: diagnostics come in runs */
};

struct html_report {
    struct tally_report base;
    FILE *tmp;              /* the diagnostics table's rows, in arrival order */
    uint64_t ndiags;
    uint64_t by_severity[3];
    struct seen_set codes, files;
    bool oom;               /* a filter list could not grow: finish fails */
};

static bool same_text(const char *a, const char *b)
{
    return a == b || (a && b && strcmp(a, b) == 0);
}

/* The index of text in set, added with a count of 0 when new; SIZE_MAX when
 * out of memory. */
static size_t seen_index(struct seen_set *set, const char *text)
{
    if (set->last < set->n && same_text(set->v[set->last].text, text))
        return set->last;
    for (size_t i = 0; i < set->n; i++)
        if (same_text(set->v[i].text, text))
            return set->last = i;
    if (tally_grow((void **)&set->v, &set->cap, set->n, sizeof *set->v, 16) != TALLY_OK)
        return SIZE_MAX;
    char *copy = NULL;
    if (text && !(copy = strdup(text)))
        return SIZE_MAX;
    set->v[set->n] = (struct seen){copy, 0};
    return set->last = set->n++;
}

static void seen_free(struct seen_set *set)
{
    for (size_t i = 0; i < set->n; i++)
        free(set->v[i].text);
    free(set->v);
}

/* ---- small writers ----------------------------------------------------------------- */

static void put_uint(FILE *o, uint64_t n)
{
    fprintf(o, "%llu", (unsigned long long)n);
}

/* A number as people read it: 1,094. */
static void put_grouped(FILE *o, uint64_t n)
{
    char digits[24];
    int len = snprintf(digits, sizeof digits, "%llu", (unsigned long long)n);
    for (int i = 0; i < len; i++) {
        if (i > 0 && (len - i) % 3 == 0)
            putc(',', o);
        putc(digits[i], o);
    }
}

static const char *plural(uint64_t n, const char *one, const char *many)
{
    return n == 1 ? one : many;
}

/* A count cell of the dataset: a number, or the statistical symbol it is. */
static bool count_value(const char *text, uint64_t *n)
{
    size_t len = text ? strlen(text) : 0;
    if (len == 0 || len > 18 || strspn(text, "0123456789") != len)
        return false;
    *n = strtoull(text, NULL, 10);
    return true;
}

static const char *symbol_meaning(const char *sym)
{
    if (strcmp(sym, "x") == 0)
        return "x: not held or not available";
    if (strcmp(sym, "c") == 0)
        return "c: withheld to protect individuals";
    if (strcmp(sym, "z") == 0)
        return "z: not applicable";
    return "a statistical symbol, not a number";
}

/* A dataset value in HTML: "1,094", a symbol marked as such, or a dash for empty. */
static void put_measure(FILE *o, const char *text)
{
    uint64_t n;
    if (count_value(text, &n)) {
        put_grouped(o, n);
    } else if (!text || !*text) {
        fputs("<span class=\"na\" title=\"cannot be computed\">\xE2\x80\x93</span>", o);
    } else if (strspn(text, "0123456789.") == strlen(text)) {
        tally_html_cstring(o, text);    /* a ratio such as 35.7 */
    } else {
        fputs("<abbr class=\"sym\" title=\"", o);
        tally_html_cstring(o, symbol_meaning(text));
        fputs("\">", o);
        tally_html_cstring(o, text);
        fputs("</abbr>", o);
    }
}

/* The same inside SVG text: a <tspan> for a symbol. */
static void put_svg_measure(FILE *o, const char *text)
{
    uint64_t n;
    if (count_value(text, &n)) {
        put_grouped(o, n);
    } else if (!text || !*text) {
        fputs("\xE2\x80\x93", o);
    } else {
        fputs("<tspan class=\"sym\">", o);
        tally_html_cstring(o, text);
        fputs("<title>", o);
        tally_html_cstring(o, symbol_meaning(text));
        fputs("</title></tspan>", o);
    }
}

/* At most max characters of a UTF-8 name, then an ellipsis. */
static void put_short(FILE *o, const char *s, size_t max)
{
    size_t len = strlen(s), chars = 0, i = 0;
    while (i < len && chars < max) {
        i++;
        while (i < len && ((unsigned char)s[i] & 0xC0) == 0x80)
            i++;
        chars++;
    }
    tally_html_string(o, s, i);
    if (i < len)
        fputs("\xE2\x80\xA6", o);
}

/* A file path, JSON Pointer or XPath, with a line break allowed after each '/'. */
static void put_path(FILE *o, const char *s)
{
    for (const char *slash; s && (slash = strchr(s, '/')); s = slash + 1) {
        tally_html_string(o, s, (size_t)(slash - s));
        fputs(slash[1] ? "/<wbr>" : "/", o);
    }
    tally_html_cstring(o, s);
}

/* 'sha256-BASE64' of text, for the Content-Security-Policy. */
static void put_csp_hash(FILE *o, const char *text)
{
    struct sha256_ctx ctx;
    uint8_t md[SHA256_DIGEST_SIZE];
    char b64[BASE64_ENCODE_RAW_LENGTH(SHA256_DIGEST_SIZE) + 1];
    sha256_init(&ctx);
    sha256_update(&ctx, strlen(text), (const uint8_t *)text);
    sha256_digest(&ctx, sizeof md, md);
    base64_encode_raw(b64, sizeof md, md);
    b64[sizeof b64 - 1] = '\0';
    fprintf(o, "'sha256-%s'", b64);
}

/* ---- the report interface -------------------------------------------------------- */

static int html_open(struct tally_report **out, FILE *fp, struct tally_error *err)
{
    struct html_report *r = calloc(1, sizeof *r);
    if (!r)
        return tally_error_set(err, TALLY_ENOMEM, "out of memory");
    if (!(r->tmp = tally_spool_open("HTML", err))) {
        free(r);
        return err->status;
    }
    r->base.ops = &tally_html_report;
    r->base.out = fp;
    *out = &r->base;
    return TALLY_OK;
}

/* One table row per diagnostic; cells in the order of the table's head. */
static int html_diag(struct tally_report *tr, const struct tally_diag *d)
{
    struct html_report *r = (struct html_report *)tr;
    FILE *o = r->tmp;
    size_t code = seen_index(&r->codes, d->code), file = seen_index(&r->files, d->file);
    if (code == SIZE_MAX || file == SIZE_MAX) {
        r->oom = true;
        return TALLY_ENOMEM;
    }
    r->codes.v[code].n++;
    r->files.v[file].n++;
    unsigned sev = (unsigned)d->severity < 3 ? (unsigned)d->severity : 2;
    r->by_severity[sev]++;
    r->ndiags++;
    const char *sev_name = tally_severity_name(d->severity);
    fprintf(o, "<tr class=\"sev-%s\" data-sev=\"%s\" data-code=\"", sev_name, sev_name);
    tally_html_cstring(o, d->code);
    fprintf(o, "\" data-f=\"%zu\"><td data-k=\"%u\"><span class=\"sev\">%s</span></td><td class=\"mono\">",
            file, sev, sev_name);
    tally_html_cstring(o, d->code);
    fputs("</td><td class=\"file\">", o);
    put_path(o, d->file);
    fputs("</td><td class=\"num\">", o);
    if (d->line)
        fprintf(o, "%u", d->line);
    if (d->line && d->column)
        fprintf(o, ":%u", d->column);
    fputs("</td><td class=\"num\">", o);
    if (d->record)
        put_uint(o, d->record);
    fputs("</td><td>", o);
    tally_html_cstring(o, d->field);
    fputs("</td><td class=\"val\">", o);
    tally_html_cstring(o, d->value);
    fputs("</td><td class=\"msg\">", o);
    tally_html_cstring(o, d->message);
    fputs("</td><td class=\"loc\">", o);
    put_path(o, d->pointer ? d->pointer : d->xpath ? d->xpath : d->cell);
    fputs("</td></tr>\n", o);
    return ferror(o) ? TALLY_EIO : TALLY_OK;
}

/* ---- page parts ---------------------------------------------------------------------- */

static void page_head(FILE *o, const struct tally_report_summary *s)
{
    fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
          "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
          "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src ", o);
    put_csp_hash(o, page_style);
    fputs("; script-src ", o);
    put_csp_hash(o, page_script);
    fputs("; img-src data:\">\n<title>", o);
    fputs(s->build ? "tally: national dataset build report" : "tally: validation report", o);
    fputs("</title>\n<style>", o);
    fputs(page_style, o);
    fputs("</style>\n</head>\n<body>\n<main>\n", o);
}

static void stat_box(FILE *o, const char *id, const char *label, uint64_t n)
{
    fprintf(o, "<div class=\"stat %s\"><span class=\"label\">%s</span>"
            "<span class=\"value\" id=\"stat-%s\">", id, label, id);
    put_grouped(o, n);
    fputs("</span></div>\n", o);
}

/* The top: what was checked, valid or not, the counts, and the truncation notice. */
static void summary(FILE *o, const struct tally_report_summary *s)
{
    fputs("<header>\n<p class=\"kicker\">tally", o);
    if (s->schema_name) {
        fputs(" \xC2\xB7 schema ", o);
        tally_html_cstring(o, s->schema_name);
        if (s->schema_version) {
            putc(' ', o);
            tally_html_cstring(o, s->schema_version);
        }
    }
    fprintf(o, "</p>\n<h1>%s</h1>\n", s->build ? "National dataset build" : "Validation report");
    if (s->errors == 0)
        fputs("<p class=\"verdict ok\" id=\"verdict\" data-valid=\"true\">Valid: no errors</p>\n", o);
    else {
        fputs("<p class=\"verdict bad\" id=\"verdict\" data-valid=\"false\">Not valid: ", o);
        put_grouped(o, s->errors);
        fprintf(o, " %s</p>\n", plural(s->errors, "error", "errors"));
    }
    fputs("</header>\n<section class=\"stats\" aria-label=\"Summary\">\n", o);
    stat_box(o, "files", "Files", s->files);
    stat_box(o, "records", "Records", s->records);
    stat_box(o, "errors", "Errors", s->errors);
    stat_box(o, "warnings", "Warnings", s->warnings);
    stat_box(o, "infos", "Infos", s->infos);
    fputs("</section>\n", o);
    if (s->truncated) {
        fputs("<p class=\"notice\" id=\"truncated\"><strong>Details stopped after ", o);
        put_grouped(o, s->max_errors);
        fprintf(o, " %s</strong> (--max-errors): the table below lists only the first "
                "diagnostics. The counts above are complete.</p>\n",
                plural(s->max_errors, "error", "errors"));
    }
    const struct tally_build *ds = report_dataset(s);
    for (size_t p = 0; ds && p < tally_build_nperiods(ds); p++) {
        const struct tally_period_coverage *pc = tally_build_period_at(ds, p);
        if (!pc->low)
            continue;
        fputs("<p class=\"notice period-low\"><strong>Few authorities reported for ", o);
        tally_html_cstring(o, pc->start);
        fputs(" to ", o);
        tally_html_cstring(o, pc->end);
        fprintf(o, ":</strong> %u of %u (under %d%%); its national figures stand on those "
                "few.</p>\n", pc->reporting, pc->expected, TALLY_COVERAGE_LOW_PERCENT);
    }
    if (s->quiet)
        fputs("<p class=\"note\">--quiet: only errors are listed below.</p>\n", o);
    fputs("<nav aria-label=\"Contents\">", o);
    if (s->build)
        fputs("<a href=\"#fates\">Records</a><a href=\"#disclosure\">Disclosure control</a>", o);
    if (report_dataset(s))
        fputs("<a href=\"#dataset\">National dataset</a>", o);
    fputs("<a href=\"#diagnostics\">Diagnostics</a><a href=\"#files\">Files</a></nav>\n", o);
}

static const char *const fate_names[TALLY_FATE_COUNT] = {"accepted", "rejected", "superseded",
                                                         "duplicate"};
static const char *const fate_titles[TALLY_FATE_COUNT] = {"Accepted", "Rejected", "Superseded",
                                                          "Duplicate"};

/* Records read = accepted + rejected + superseded + duplicate, as text and one stacked bar. */
static void fates(FILE *o, const struct tally_report_summary *s)
{
    uint64_t read = 0;
    for (int k = 0; k < TALLY_FATE_COUNT; k++)
        read += s->build->fates[k];
    fputs("<section id=\"fates\">\n<h2>Records</h2>\n<p class=\"equation\"><strong id=\"fate-read\">", o);
    put_grouped(o, read);
    fputs("</strong> read", o);
    for (int k = 0; k < TALLY_FATE_COUNT; k++) {
        fprintf(o, " %s <strong id=\"fate-%s\">", k ? "+" : "=", fate_names[k]);
        put_grouped(o, s->build->fates[k]);
        fprintf(o, "</strong> %s", fate_names[k]);
    }
    if (read == s->records)
        fputs(" <span class=\"good\" id=\"fate-balance\">\xE2\x9C\x93 adds up</span></p>\n", o);
    else {
        fputs(" <span class=\"bad\" id=\"fate-balance\">does not add up to the ", o);
        put_grouped(o, s->records);
        fprintf(o, " %s read</span></p>\n", plural(s->records, "record", "records"));
    }
    const double width = CHART_WIDTH;
    double x = 0;
    fprintf(o, "<svg class=\"fates-bar\" viewBox=\"0 0 %d 22\" preserveAspectRatio=\"none\" "
            "role=\"img\" aria-label=\"Records by fate\">\n", CHART_WIDTH);
    for (int k = 0; read && k < TALLY_FATE_COUNT; k++) {
        if (!s->build->fates[k])
            continue;
        double w = width * (double)s->build->fates[k] / (double)read;
        fprintf(o, "<rect class=\"fate fate-%s\" x=\"%.1f\" y=\"0\" width=\"%.1f\" height=\"22\">"
                "<title>%s: ", fate_names[k], x, w, fate_names[k]);
        put_grouped(o, s->build->fates[k]);
        fputs("</title></rect>\n", o);
        x += w;
    }
    fputs("</svg>\n<ul class=\"legend\">", o);
    for (int k = 0; k < TALLY_FATE_COUNT; k++) {
        fprintf(o, "<li><span class=\"swatch sw-%s\"></span>%s ", fate_names[k], fate_names[k]);
        put_grouped(o, s->build->fates[k]);
        fputs("</li>", o);
    }
    fputs("</ul>\n<p class=\"note\"><strong id=\"authorities-missing\">", o);
    put_grouped(o, s->build->authorities_missing);
    fprintf(o, "</strong> expected %s sent nothing for a period (each is a <code>coverage</code> "
            "info below).</p>\n</section>\n",
            plural(s->build->authorities_missing, "authority", "authorities"));
}

/* The disclosure control of a build: the audit, or that there was none; and
 * what --publish wrote and left out. */
static void disclosure(FILE *o, const struct tally_report_summary *s)
{
    const struct tally_disclosure_audit *a = s->build ? s->build->disclosure : NULL;
    fputs("<section id=\"disclosure\">\n<h2>Disclosure control</h2>\n", o);
    if (!a) {
        fprintf(o, "<p class=\"notice\" id=\"disclosure-none\" data-controlled=\"false\">"
                "<strong>Not disclosure-controlled%s.</strong> Counts of one or two children are "
                "published as they are: this dataset is for the collator. Build with "
                "<code>--disclosure</code> (or <code>--publish ees</code>) to publish it.</p>\n",
                s->build && s->build->disclosure_waived ? " (--no-disclosure)" : "");
    } else {
        if (a->passed)
            fprintf(o, "<p class=\"verdict ok\" id=\"disclosure-verdict\" data-passed=\"true\">"
                    "Audit passed: no suppressed count can be narrowed down to an interval "
                    "narrower than %lld</p>\n", (long long)a->width);
        else {
            fputs("<p class=\"verdict bad\" id=\"disclosure-verdict\" data-passed=\"false\">"
                  "Audit failed: ", o);
            put_grouped(o, a->unsafe_total);
            fprintf(o, " suppressed %s can be narrowed down too far; nothing was published</p>\n",
                    plural(a->unsafe_total, "count", "counts"));
        }
        fprintf(o, "<p>Protected counts of %lld to %lld children are published as "
                "<abbr class=\"sym\">", (long long)a->minimum, (long long)a->maximum);
        tally_html_cstring(o, a->symbol);
        fputs("</abbr>, and so is every percentage computed from one.</p>\n<table class=\"sdc\">"
              "\n<thead><tr><th>Step</th><th class=\"num\">Counts</th><th class=\"num\">"
              "Percentages</th></tr></thead>\n<tbody>\n<tr><td>1. Primary: protected counts in "
              "the range</td><td class=\"num\" id=\"sdc-primary\">", o);
        put_grouped(o, a->primary);
        fputs("</td><td class=\"num\" id=\"sdc-primary-pct\">", o);
        put_grouped(o, a->primary_ratios);
        fputs("</td></tr>\n<tr><td>2. Secondary: so that none of them can be worked out</td>"
              "<td class=\"num\" id=\"sdc-secondary\">", o);
        put_grouped(o, a->secondary);
        fputs("</td><td class=\"num\" id=\"sdc-secondary-pct\">", o);
        put_grouped(o, a->secondary_ratios);
        fputs("</td></tr>\n</tbody>\n</table>\n<p>Narrowest interval: ", o);
        if (a->has_narrowest && report_dataset(s)) {
            const struct tally_disclosure_cell *c = &a->narrowest;
            if (c->upper == TALLY_SDC_NO_BOUND)
                fprintf(o, "<strong id=\"sdc-narrowest\">%lld or more</strong> (no upper bound)",
                        (long long)c->lower);
            else
                fprintf(o, "<strong id=\"sdc-narrowest\">%lld to %lld</strong> (width "
                        "<span id=\"sdc-narrowest-width\">%lld</span>)", (long long)c->lower,
                        (long long)c->upper, (long long)(c->upper - c->lower));
            const struct tally_dataset_row *row = tally_build_row_at(report_dataset(s), c->row);
            fputs(", for <code>", o);
            tally_html_cstring(o, a->schema->fields[tally_build_measure_field(report_dataset(s),
                                                                               c->measure)].name);
            fputs("</code> of ", o);
            tally_html_cstring(o, row->area_name);
            fputs(" (", o);
            tally_html_cstring(o, row->area_code);
            fputs("), cohort ", o);
            tally_html_cstring(o, row->cohort);
            fputs(", ", o);
            tally_html_cstring(o, row->period_start);
            fputs(" to ", o);
            tally_html_cstring(o, row->period_end);
        } else {
            fputs("none: no count needed suppressing", o);
        }
        fprintf(o, ".</p>\n<p class=\"note\">How it is checked: for every count suppressed in "
                "step 1, two linear programs find the smallest and largest value it could take "
                "given every published figure, that each area is the sum of its authorities, "
                "the schema's rules within a row, and that counts are not negative (%llu "
                "%s in %llu %s, %llu linear %s; the %llu %s within 2 of "
                "the criterion confirmed in exact arithmetic). Every interval must be at least "
                "%lld wide.</p>\n",
                (unsigned long long)a->relations, plural(a->relations, "relation", "relations"),
                (unsigned long long)a->tables, plural(a->tables, "table", "tables"),
                (unsigned long long)a->lps, plural(a->lps, "program", "programs"),
                (unsigned long long)a->exact, plural(a->exact, "interval", "intervals"),
                (long long)a->width);
    }
    const struct tally_build_publication *p = s->build ? s->build->publication : NULL;
    if (p) {
        fputs("<h3>Published</h3>\n<p id=\"publication\"><code>", o);
        tally_html_cstring(o, p->data_file);
        fputs("</code> (", o);
        put_grouped(o, p->rows);
        fputs(" rows) and <code>", o);
        tally_html_cstring(o, p->meta_file);
        fputs("</code>.</p>\n", o);
        if (p->nleft_out) {
            fprintf(o, "<details><summary>%zu %s left out: EES's local authorities are England's"
                    "</summary>\n<ul class=\"left-out\">", p->nleft_out,
                    p->nleft_out == 1 ? "authority" : "authorities");
            for (size_t i = 0; i < p->nleft_out; i++) {
                fputs("<li>", o);
                tally_html_cstring(o, p->left_out[i]);
                fputs("</li>", o);
            }
            fputs("</ul></details>\n", o);
        }
    }
    fputs("</section>\n", o);
}

/* The files read, with their fates in a build. */
/* The files under the input directories that were not read, and why. */
static void skipped_table(FILE *o, const struct tally_report_summary *s)
{
    if (!s->nskipped)
        return;
    fputs("<h3 id=\"skipped\">", o);
    put_grouped(o, s->nskipped);
    fprintf(o, " %s not read</h3>\n<table class=\"files skipped\">\n<thead><tr><th>File</th>"
            "<th>Why it was not read</th></tr></thead>\n<tbody>\n",
            plural(s->nskipped, "file", "files"));
    for (size_t i = 0; i < s->nskipped; i++) {
        fputs("<tr><td class=\"file\">", o);
        put_path(o, s->skipped[i].path);
        fputs("</td><td>", o);
        tally_html_cstring(o, s->skipped[i].reason);
        fputs("</td></tr>\n", o);
    }
    fputs("</tbody>\n</table>\n", o);
}

static void files_table(FILE *o, const struct tally_report_summary *s,
                        const struct tally_report_file *files, size_t nfiles)
{
    fputs("<section id=\"files\">\n<h2>Files</h2>\n", o);
    if (nfiles == 0) {
        fputs("<p>No files were read.</p>\n", o);
        skipped_table(o, s);
        fputs("</section>\n", o);
        return;
    }
    fputs("<table class=\"files\">\n<thead><tr><th>File</th><th>Format</th><th class=\"num\">Records</th>"
          "<th class=\"num\">Errors</th><th class=\"num\">Warnings</th>", o);
    if (report_dataset(s))
        for (int k = 0; k < TALLY_FATE_COUNT; k++)
            fprintf(o, "<th class=\"num\">%s</th>", fate_titles[k]);
    fputs("<th>SHA-256</th></tr></thead>\n<tbody>\n", o);
    for (size_t i = 0; i < nfiles; i++) {
        const struct tally_report_file *f = &files[i];
        fputs("<tr><td class=\"file\">", o);
        put_path(o, f->path);
        fputs("</td><td>", o);
        if (f->format)
            tally_html_cstring(o, f->format);
        else
            fputs("<span class=\"bad\">unreadable</span>", o);
        fputs("</td><td class=\"num\">", o);
        put_grouped(o, f->records);
        fputs("</td><td class=\"num\">", o);
        put_grouped(o, f->errors);
        fputs("</td><td class=\"num\">", o);
        put_grouped(o, f->warnings);
        fputs("</td>", o);
        if (report_dataset(s))
            for (int k = 0; k < TALLY_FATE_COUNT; k++) {
                fputs("<td class=\"num\">", o);
                put_grouped(o, tally_build_file_fate_count(report_dataset(s), i, (enum tally_fate)k));
                fputs("</td>", o);
            }
        fputs("<td class=\"mono\"", o);
        if (f->sha256) {
            fputs(" title=\"", o);
            tally_html_cstring(o, f->sha256);
            fputs("\">", o);
            tally_html_string(o, f->sha256, strnlen(f->sha256, 12));
            fputs("\xE2\x80\xA6", o);
        } else {
            putc('>', o);
        }
        fputs("</td></tr>\n", o);
    }
    fputs("</tbody>\n</table>\n", o);
    skipped_table(o, s);
    fputs("</section>\n", o);
}

/* ---- the dataset charts (tally build) ----------------------------------------------- */

/* The dataset columns the charts use; -1 when the schema has no such column. */
struct columns {
    long in_care, went_missing, found, not_found, pct;
};

static long column_index(const struct tally_build *b, const char *name)
{
    const char *const *cols = tally_build_columns(b);
    for (long i = 0; cols && cols[i]; i++)
        if (strcmp(cols[i], name) == 0)
            return i;
    return -1;
}

/* A row's cell, or "" when the column is absent. buf as for tally_build_cell. */
static const char *cell(const struct tally_build *b, const struct tally_dataset_row *row, long col,
                        char buf[24])
{
    return col < 0 ? "" : tally_build_cell(b, row, (size_t)col, buf);
}

static bool same_group(const struct tally_dataset_row *a, const struct tally_dataset_row *b)
{
    return strcmp(a->period_start, b->period_start) == 0 &&
           strcmp(a->period_end, b->period_end) == 0 && strcmp(a->cohort, b->cohort) == 0;
}

static bool level_is(const struct tally_dataset_row *row, const char *level)
{
    return strcmp(row->level, level) == 0;
}

/* An authority ranked by children in care: numbers first, largest first, then by code. */
struct ranked {
    const struct tally_dataset_row *row;
    bool numeric;
    uint64_t in_care;
};

static int by_in_care(const void *pa, const void *pb)
{
    const struct ranked *a = pa, *b = pb;
    if (a->numeric != b->numeric)
        return a->numeric ? -1 : 1;
    if (a->numeric && a->in_care != b->in_care)
        return a->in_care > b->in_care ? -1 : 1;
    return strcmp(a->row->area_code, b->row->area_code);
}

/* A horizontal bar segment; nothing when w is not positive. */
static void bar(FILE *o, const char *cls, double x, double y, double w, double h, const char *what,
                const char *value)
{
    if (w <= 0)
        return;
    fprintf(o, "<rect class=\"%s\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\"><title>%s: ",
            cls, x, y, w, h, what);
    tally_html_cstring(o, value);
    fputs("</title></rect>\n", o);
}

/*
 * The authorities with the most children in care: per authority a light bar
 * for in_care and, over it from the left, went_missing split into found and
 * not_found (or one grey segment when those are symbols), on one scale; the
 * numbers in columns to the right, symbols shown as symbols.
 */
static void chart_top(FILE *o, const struct tally_build *b, const struct columns *c,
                      struct ranked *auth, size_t nauth)
{
    enum { LABEL = 214, X0 = 224, BAR = 380, ROW = 26, TOP = 26 };
    static const struct { int x; const char *head; } num_cols[] = {
        {660, "in care"}, {770, "went missing"}, {850, "found"}, {940, "not found"}};
    qsort(auth, nauth, sizeof *auth, by_in_care);
    size_t n = nauth < TOP_AUTHORITIES ? nauth : TOP_AUTHORITIES;
    if (n == nauth)
        fprintf(o, "<h4>Authorities that reported, by children in care (all %zu)</h4>\n", n);
    else
        fprintf(o, "<h4>The %zu authorities with the most children in care (of the %zu that "
                "reported)</h4>\n", n, nauth);
    if (c->in_care < 0 || n == 0) {
        fputs("<p class=\"note\">No authority to show.</p>\n", o);
        return;
    }
    fputs("<ul class=\"legend\"><li><span class=\"swatch sw-care\"></span>in care</li>"
          "<li><span class=\"swatch sw-found\"></span>went missing, found</li>"
          "<li><span class=\"swatch sw-notfound\"></span>went missing, not found</li>"
          "<li><span class=\"swatch sw-missing\"></span>went missing (found / not found "
          "not given)</li></ul>\n", o);
    uint64_t max = 1;
    for (size_t i = 0; i < n; i++)
        if (auth[i].numeric && auth[i].in_care > max)
            max = auth[i].in_care;
    int height = TOP + (int)n * ROW + 4;
    fprintf(o, "<svg class=\"chart-top\" viewBox=\"0 0 %d %d\" width=\"%d\" height=\"%d\" role=\"img\" "
            "aria-label=\"Authorities with the most children in care\">\n",
            CHART_WIDTH, height, CHART_WIDTH, height);
    for (size_t k = 0; k < sizeof num_cols / sizeof num_cols[0]; k++)
        fprintf(o, "<text class=\"head\" x=\"%d\" y=\"16\" text-anchor=\"end\">%s</text>\n",
                num_cols[k].x, num_cols[k].head);
    for (size_t i = 0; i < n; i++) {
        const struct tally_dataset_row *row = auth[i].row;
        char b1[24], b2[24], b3[24], b4[24];
        const char *vals[4] = {cell(b, row, c->in_care, b1), cell(b, row, c->went_missing, b2),
                               cell(b, row, c->found, b3), cell(b, row, c->not_found, b4)};
        double y = TOP + (double)i * ROW, scale = (double)BAR / (double)max;
        uint64_t care = 0, missing = 0, found = 0, not_found = 0;
        fputs("<g class=\"top-row\" data-area=\"", o);
        tally_html_cstring(o, row->area_code);
        fprintf(o, "\"><text x=\"%d\" y=\"%.1f\" text-anchor=\"end\"><title>", LABEL, y + 13);
        tally_html_cstring(o, row->area_name);
        fputs(" (", o);
        tally_html_cstring(o, row->area_code);
        fputs(")</title>", o);
        put_short(o, row->area_name, 30);
        fputs("</text>\n", o);
        if (count_value(vals[0], &care))
            bar(o, "bar-in-care", X0, y + 2, (double)care * scale, 16, "in care", vals[0]);
        if (count_value(vals[2], &found) && count_value(vals[3], &not_found)) {
            double wf = (double)found * scale, wn = (double)not_found * scale;
            if (wf > BAR)
                wf = BAR;
            if (wf + wn > BAR)
                wn = BAR - wf;
            bar(o, "bar-found", X0, y + 2, wf, 16, "went missing, found", vals[2]);
            bar(o, "bar-not-found", X0 + wf, y + 2, wn, 16, "went missing, not found", vals[3]);
        } else if (count_value(vals[1], &missing)) {
            double w = (double)missing * scale;
            bar(o, "bar-went-missing", X0, y + 2, w > BAR ? BAR : w, 16, "went missing", vals[1]);
        }
        for (size_t k = 0; k < 4; k++) {
            fprintf(o, "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\"%s>", num_cols[k].x, y + 14,
                    k == 0 ? " class=\"strong\"" : "");
            put_svg_measure(o, vals[k]);
            fputs("</text>", o);
        }
        fputs("\n</g>\n", o);
    }
    fputs("</svg>\n", o);
}

static void area_row(FILE *o, const struct tally_build *b, const struct columns *c,
                     const struct tally_dataset_row *row, const char *cls)
{
    char buf[24];
    const long cols[] = {c->in_care, c->went_missing, c->pct, c->found, c->not_found};
    fprintf(o, "<tr class=\"area-row %s\" data-level=\"%s\" data-area=\"", cls, row->level);
    tally_html_cstring(o, row->area_code);
    fputs("\"><td>", o);
    tally_html_cstring(o, row->area_name);
    fputs("</td>", o);
    for (size_t k = 0; k < sizeof cols / sizeof cols[0]; k++) {
        fputs("<td class=\"num\">", o);
        put_measure(o, cell(b, row, cols[k], buf));
        fputs("</td>", o);
    }
    fprintf(o, "<td class=\"num\">%u of %u</td><td>%s</td></tr>\n", row->reporting, row->expected,
            row->complete ? "yes" : "no");
}

/* The UK, each nation and, under it, its regions: the figures that matter most. */
static void areas_table(FILE *o, const struct tally_build *b, const struct columns *c,
                        const struct tally_dataset_row *const *rows, size_t n)
{
    fputs("<h4>The UK, nations and English regions</h4>\n<table class=\"areas\">\n<thead><tr>"
          "<th>Area</th><th class=\"num\">In care</th><th class=\"num\">Went missing</th>"
          "<th class=\"num\">% went missing</th><th class=\"num\">Found</th>"
          "<th class=\"num\">Not found</th><th class=\"num\">Authorities reporting</th>"
          "<th>Complete</th></tr></thead>\n<tbody>\n", o);
    for (size_t i = 0; i < n; i++)
        if (level_is(rows[i], "uk"))
            area_row(o, b, c, rows[i], "total");
    for (size_t i = 0; i < n; i++) {
        if (!level_is(rows[i], "country"))
            continue;
        area_row(o, b, c, rows[i], "nation");
        for (size_t j = 0; j < n; j++)
            if (level_is(rows[j], "region") && strcmp(rows[j]->country_code, rows[i]->area_code) == 0)
                area_row(o, b, c, rows[j], "sub");
    }
    fputs("</tbody>\n</table>\n", o);
}

/* The coverage grid's geometry. */
enum { COV_LABEL = 214, COV_X0 = 224, COV_SIZE = 10, COV_STEP = 13, COV_PER_LINE = 40,
       COV_COUNT_X = 760 };

/* What an authority's square says, in its tooltip and to a screen reader. */
static void square_text(FILE *o, const struct tally_dataset_row *a)
{
    tally_html_cstring(o, a->area_name);
    fputs(" (", o);
    tally_html_cstring(o, a->area_code);
    fputs("): ", o);
    fputs(a->source == TALLY_ROW_REPORTED ? "sent a return"
          : a->source == TALLY_ROW_REJECTED ? "sent a return that was not accepted"
          : "sent nothing", o);
    if (a->partial)
        fputs(a->source == TALLY_ROW_REPORTED ? "; only for this cohort of the period, not the other"
                                              : "; sent a return for another cohort of the period",
              o);
}

/*
 * Square k of a line whose top is y, for authority row a: filled when it
 * reported, filled red when what it sent was not accepted, outlined when it
 * sent nothing; a dashed orange edge when it sent some of the period's
 * cohorts but not all. Each names its authority (a tooltip, and a label for
 * screen readers).
 */
static void square(FILE *o, const struct tally_dataset_row *a, unsigned k, int y)
{
    int x = COV_X0 + (int)(k % COV_PER_LINE) * COV_STEP;
    y += (int)(k / COV_PER_LINE) * COV_STEP;
    const char *cls = a->source == TALLY_ROW_REPORTED ? "cov-yes"
                    : a->source == TALLY_ROW_REJECTED ? "cov-rejected" : "cov-no";
    /* drawn half a pixel in, so an outline stays sharp */
    fprintf(o, "<rect class=\"%s%s\" x=\"%d.5\" y=\"%d.5\" width=\"%d\" height=\"%d\" "
            "data-area=\"", cls, a->partial ? " cov-partial" : "", x, y, COV_SIZE - 1, COV_SIZE - 1);
    tally_html_cstring(o, a->area_code);
    fputs("\" role=\"img\" aria-label=\"", o);
    square_text(o, a);
    fputs("\"><title>", o);
    square_text(o, a);
    fputs("</title></rect>", o);
}

static bool has_regions(const struct tally_dataset_row *country,
                        const struct tally_dataset_row *const *rows, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (level_is(rows[i], "region") && strcmp(rows[i]->country_code, country->area_code) == 0)
            return true;
    return false;
}

/*
 * One line of the coverage grid at y: the area's name, a square per
 * authority in force in it (dataset order), and "N of M reporting"; without
 * squares, the name and the count only (a nation whose regions follow).
 * Writes nothing when o is NULL. Returns the next line's y.
 */
static int coverage_line(FILE *o, const struct tally_dataset_row *area,
                         const struct tally_dataset_row *const *rows, size_t n, int y,
                         bool squares)
{
    unsigned lines = squares && area->expected > COV_PER_LINE
                         ? (area->expected + COV_PER_LINE - 1) / COV_PER_LINE : 1;
    if (!o)
        return y + (int)lines * COV_STEP + 6;
    bool by_region = level_is(area, "region");
    fputs("<g class=\"cov-area\" data-area=\"", o);
    tally_html_cstring(o, area->area_code);
    fprintf(o, "\" data-reporting=\"%u\" data-expected=\"%u\">\n", area->reporting, area->expected);
    fprintf(o, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\"%s>", COV_LABEL, y + 10,
            squares ? "" : " class=\"strong\"");
    put_short(o, area->area_name, 30);
    fprintf(o, "</text><text x=\"%d\" y=\"%d\"%s>%u of %u reporting</text>\n",
            squares ? COV_COUNT_X : COV_X0, y + 10, squares ? "" : " class=\"strong\"",
            area->reporting, area->expected);
    unsigned k = 0;
    for (size_t i = 0; squares && i < n && k < area->expected; i++) {
        const struct tally_dataset_row *a = rows[i];
        if (level_is(a, "authority") &&
            strcmp(by_region ? a->region_code : a->country_code, area->area_code) == 0)
            square(o, a, k++, y);
    }
    fputs("\n</g>\n", o);
    return y + (int)lines * COV_STEP + 6;
}

/* Every line of the grid from y, in order: each nation, or the nation's
 * regions when it has them (England's). Writes nothing when o is NULL.
 * Returns the end. */
static int coverage_lines(FILE *o, const struct tally_dataset_row *const *rows, size_t n, int y)
{
    for (size_t i = 0; i < n; i++) {
        if (!level_is(rows[i], "country"))
            continue;
        bool split = has_regions(rows[i], rows, n);
        y = coverage_line(o, rows[i], rows, n, y, !split);
        for (size_t j = 0; split && j < n; j++)
            if (level_is(rows[j], "region") && strcmp(rows[j]->country_code, rows[i]->area_code) == 0)
                y = coverage_line(o, rows[j], rows, n, y, true);
    }
    return y;
}

/* Who reported and who did not: one square per authority in force, per nation,
 * or per English region where the nation has regions. */
static void coverage(FILE *o, const struct tally_dataset_row *const *rows, size_t n)
{
    fputs("<h4>Who reported</h4>\n<ul class=\"legend\"><li><span class=\"swatch sw-yes\"></span>"
          "sent a return</li><li><span class=\"swatch sw-rejected\"></span>sent a return that "
          "was not accepted</li><li><span class=\"swatch sw-no\"></span>expected, sent nothing"
          "</li><li><span class=\"swatch sw-partial\"></span>sent some of the period's cohorts, "
          "not all</li></ul>\n", o);
    int height = coverage_lines(NULL, rows, n, 4);
    fprintf(o, "<svg class=\"coverage\" viewBox=\"0 0 %d %d\" width=\"%d\" height=\"%d\" "
            "role=\"group\" aria-label=\"Who reported: one square per authority in force\">\n",
            CHART_WIDTH, height, CHART_WIDTH, height);
    coverage_lines(o, rows, n, 4);
    fputs("</svg>\n", o);
}

/* How many authorities stand behind each count of the UK, the nations and
 * the regions: how many gave a number, how many a symbol, how many sent
 * nothing (or nothing accepted). Collapsed; no script needed. */
static void behind_table(FILE *o, const struct tally_build *b,
                         const struct tally_dataset_row *const *rows, size_t n)
{
    const char *const *cols = tally_build_columns(b);
    size_t nm = tally_build_nmeasures(b);
    fputs("<details class=\"behind\"><summary>Authorities behind each figure</summary>\n"
          "<table class=\"behind\">\n<thead><tr><th>Area</th><th>Count</th>"
          "<th class=\"num\">Value</th><th class=\"num\">Gave a number</th>"
          "<th class=\"num\">Gave a symbol</th><th class=\"num\">Sent nothing accepted</th>"
          "<th class=\"num\">Authorities in force</th></tr></thead>\n<tbody>\n", o);
    for (size_t i = 0; i < n; i++) {
        const struct tally_dataset_row *r = rows[i];
        if (level_is(r, "authority"))
            continue;
        for (size_t m = 0; m < nm; m++) {
            fputs("<tr class=\"behind-row\" data-area=\"", o);
            tally_html_cstring(o, r->area_code);
            fputs("\" data-measure=\"", o);
            tally_html_cstring(o, cols[8 + m]);
            fputs("\"><td>", o);
            tally_html_cstring(o, r->area_name);
            fputs("</td><td><code>", o);
            tally_html_cstring(o, cols[8 + m]);
            fputs("</code></td><td class=\"num\">", o);
            put_measure(o, r->measures[m]);
            fprintf(o, "</td><td class=\"num\">%u</td><td class=\"num\">%u</td>"
                    "<td class=\"num\">%u</td><td class=\"num\">%u</td></tr>\n", r->numbers[m],
                    r->symbols[m], r->expected - r->reporting, r->expected);
        }
    }
    fputs("</tbody>\n</table>\n</details>\n", o);
}

static const char *cohort_title(const char *cohort)
{
    if (strcmp(cohort, "trafficked") == 0)
        return "Children identified as trafficked or suspected trafficked";
    if (strcmp(cohort, "uasc") == 0)
        return "Unaccompanied asylum-seeking children";
    return NULL;
}

/* One period and cohort: rows[0..n) are its rows, in dataset order. */
static int cohort_section(FILE *o, const struct tally_build *b, const struct columns *c,
                          const struct tally_dataset_row *const *rows, size_t n)
{
    const struct tally_dataset_row *first = rows[0];
    const char *title = cohort_title(first->cohort);
    fputs("<section class=\"cohort\" data-cohort=\"", o);
    tally_html_cstring(o, first->cohort);
    fputs("\">\n<h3>", o);
    tally_html_cstring(o, title ? title : first->cohort);
    fputs("</h3>\n<p class=\"sub\">cohort <code>", o);
    tally_html_cstring(o, first->cohort);
    fputs("</code> \xC2\xB7 ", o);
    tally_html_cstring(o, first->period_start);
    fputs(" to ", o);
    tally_html_cstring(o, first->period_end);
    fputs("</p>\n", o);
    /* the top chart ranks the authorities that reported */
    size_t nauth = 0;
    for (size_t i = 0; i < n; i++)
        nauth += level_is(rows[i], "authority") && rows[i]->reporting;
    struct ranked *auth = malloc((nauth ? nauth : 1) * sizeof *auth);
    if (!auth)
        return TALLY_ENOMEM;
    nauth = 0;
    for (size_t i = 0; i < n; i++) {
        if (!level_is(rows[i], "authority") || !rows[i]->reporting)
            continue;
        char buf[24];
        struct ranked *r = &auth[nauth++];
        r->row = rows[i];
        r->in_care = 0;
        r->numeric = count_value(cell(b, rows[i], c->in_care, buf), &r->in_care);
    }
    for (size_t p = 0; p < tally_build_nperiods(b); p++) {
        const struct tally_period_coverage *pc = tally_build_period_at(b, p);
        if (pc->low && strcmp(pc->start, first->period_start) == 0 &&
            strcmp(pc->end, first->period_end) == 0)
            fprintf(o, "<p class=\"notice coverage-low\"><strong>Few authorities reported:</strong>"
                    " only %u of the %u authorities in force sent an accepted return for this "
                    "period (under %d%%). The UK, nation and region figures below stand on "
                    "those few.</p>\n", pc->reporting, pc->expected, TALLY_COVERAGE_LOW_PERCENT);
    }
    chart_top(o, b, c, auth, nauth);
    free(auth);
    areas_table(o, b, c, rows, n);
    behind_table(o, b, rows, n);
    coverage(o, rows, n);
    fputs("</section>\n", o);
    return TALLY_OK;
}

/* ---- trends over several periods (tally build with more than one period) ------------- */

static const char *const series_colours[] = {"#24292f", "#0969da", "#bf3989", "#1a7f37",
                                             "#9a6700", "#8250df", "#cf222e", "#57606a"};
#define NCOLOURS (sizeof series_colours / sizeof series_colours[0])

/* The row of an area in a period and cohort, or NULL. */
static const struct tally_dataset_row *row_of(const struct tally_dataset_row *const *rows,
                                              size_t n, const struct tally_period_coverage *p,
                                              const char *cohort, const char *area)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(rows[i]->area_code, area) == 0 && strcmp(rows[i]->cohort, cohort) == 0 &&
            strcmp(rows[i]->period_start, p->start) == 0 && strcmp(rows[i]->period_end, p->end) == 0)
            return rows[i];
    return NULL;
}

/* A value as a number: a count, or a one-decimal ratio (in tenths when tenths). */
static bool chart_value(const char *text, bool tenths, double *v)
{
    uint64_t n;
    if (!tenths)
        return count_value(text, &n) && (*v = (double)n, true);
    size_t len = text ? strlen(text) : 0, digits = len ? strspn(text, "0123456789") : 0;
    if (!len || digits == 0 || digits + 2 != len || text[digits] != '.')
        return false;
    *v = strtod(text, NULL);
    return true;
}

/* A round top for an axis: 1, 2 or 5 times a power of ten, at least max. */
static double axis_top(double max)
{
    double step = 1;
    while (step * 10 <= max)
        step *= 10;
    for (int k = 0; k < 3; k++) {
        static const double m[] = {1, 2, 5};
        if (m[k] * step >= max)
            return m[k] * step;
    }
    return 10 * step;
}

static void put_axis_number(FILE *o, double v, bool tenths)
{
    if (tenths)
        fprintf(o, "%.1f%%", v);
    else
        put_grouped(o, (uint64_t)(v + 0.5));
}

/*
 * One line per area (the UK and each nation) across the periods, for a count
 * or the went-missing rate. A value that is a symbol is not drawn (the line
 * breaks there) and is marked on the axis as the symbol. Under each period:
 * how many of the authorities in force reported, for the UK.
 */
static void trend_chart(FILE *o, const struct tally_build *b, long col, bool tenths,
                        const char *id, const char *what,
                        const struct tally_dataset_row *const *rows, size_t n, const char *cohort,
                        const char *const *areas, size_t nareas)
{
    enum { L = 78, R = 200, T = 16, H = 220, BOTTOM = 52 };
    size_t np = tally_build_nperiods(b);
    double max = 0, v;
    char buf[24];
    size_t gaps = 0;
    for (size_t a = 0; a < nareas; a++)
        for (size_t p = 0; p < np; p++) {
            const struct tally_dataset_row *r = row_of(rows, n, tally_build_period_at(b, p),
                                                       cohort, areas[a]);
            if (r && chart_value(cell(b, r, col, buf), tenths, &v) && v > max)
                max = v;
        }
    double top = axis_top(max > 0 ? max : 1);
    if (tenths && top > 100)
        top = 100;
    int height = T + H + BOTTOM;
    double span = (double)(CHART_WIDTH - L - R);
    fprintf(o, "<svg class=\"trend\" id=\"%s\" data-measure=\"", id);
    tally_html_cstring(o, tally_build_columns(b)[col]);
    fprintf(o, "\" viewBox=\"0 0 %d %d\" width=\"%d\" height=\"%d\" role=\"img\" "
            "aria-labelledby=\"%s-t %s-d\">\n<title id=\"%s-t\">", CHART_WIDTH, height,
            CHART_WIDTH, height, id, id, id);
    tally_html_cstring(o, what);
    fprintf(o, ", the UK and each nation, by period</title>\n<desc id=\"%s-d\">One line per "
            "area; each point's title gives its value and how many authorities reported. A "
            "value that is not a number (x, c) is not drawn: the list under the chart gives "
            "it.</desc>\n", id);
    for (int k = 0; k <= 2; k++) {
        double y = T + H - (double)H * k / 2;
        fprintf(o, "<line x1=\"%d\" x2=\"%d\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"#d0d7de\"/>"
                "<text class=\"head\" x=\"%d\" y=\"%.1f\" text-anchor=\"end\">", L, CHART_WIDTH - R,
                y, y, L - 6, y + 4);
        put_axis_number(o, top * k / 2, tenths);
        fputs("</text>\n", o);
    }
    for (size_t p = 0; p < np; p++) {
        const struct tally_period_coverage *pc = tally_build_period_at(b, p);
        double x = L + (np > 1 ? span * (double)p / (double)(np - 1) : 0);
        const struct tally_dataset_row *uk = NULL;
        for (size_t a = 0; a < nareas && !uk; a++) {
            const struct tally_dataset_row *r = row_of(rows, n, pc, cohort, areas[a]);
            if (r && level_is(r, "uk"))
                uk = r;
        }
        fprintf(o, "<text class=\"period-label\" x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">"
                "to ", x, T + H + 18);
        tally_html_cstring(o, pc->end);
        fprintf(o, "</text><text class=\"cov-label head\" data-period=\"");
        tally_html_cstring(o, pc->end);
        fprintf(o, "\" x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">", x, T + H + 36);
        if (uk)
            fprintf(o, "%u of %u reporting", uk->reporting, uk->expected);
        else
            fprintf(o, "%u of %u reporting", pc->reporting, pc->expected);
        fputs("</text>\n", o);
    }
    for (size_t a = 0; a < nareas; a++) {
        const char *colour = series_colours[a % NCOLOURS];
        const char *name = areas[a];
        fputs("<g class=\"series\" data-area=\"", o);
        tally_html_cstring(o, areas[a]);
        fputs("\">\n<path fill=\"none\" stroke-width=\"2\" stroke=\"", o);
        fputs(colour, o);
        fputs("\" d=\"", o);
        bool pen = false;
        double lx = 0, ly = 0;
        bool drawn = false;
        for (size_t p = 0; p < np; p++) {
            const struct tally_dataset_row *r = row_of(rows, n, tally_build_period_at(b, p),
                                                       cohort, areas[a]);
            double x = L + (np > 1 ? span * (double)p / (double)(np - 1) : 0);
            if (r && chart_value(cell(b, r, col, buf), tenths, &v)) {
                double y = T + H - (double)H * (v > top ? top : v) / top;
                fprintf(o, "%s%.1f %.1f", pen ? " L" : drawn ? " M" : "M", x, y);
                pen = drawn = true;
                lx = x;
                ly = y;
            } else
                pen = false;
        }
        fputs("\"/>\n", o);
        for (size_t p = 0; p < np; p++) {
            const struct tally_period_coverage *pc = tally_build_period_at(b, p);
            const struct tally_dataset_row *r = row_of(rows, n, pc, cohort, areas[a]);
            if (!r)
                continue;
            name = r->area_name;
            const char *text = cell(b, r, col, buf);
            double x = L + (np > 1 ? span * (double)p / (double)(np - 1) : 0);
            if (!chart_value(text, tenths, &v)) {
                gaps++;
                continue;
            }
            fprintf(o, "<circle class=\"pt\" cx=\"%.1f\" cy=\"%.1f\" r=\"3.5\" fill=\"%s\" "
                    "data-period=\"", x, T + H - (double)H * (v > top ? top : v) / top, colour);
            tally_html_cstring(o, pc->end);
            fputs("\" data-value=\"", o);
            tally_html_cstring(o, text);
            fputs("\"><title>", o);
            tally_html_cstring(o, r->area_name);
            fputs(", ", o);
            tally_html_cstring(o, pc->start);
            fputs(" to ", o);
            tally_html_cstring(o, pc->end);
            fputs(": ", o);
            tally_html_cstring(o, text);
            fprintf(o, " (%u of %u authorities reporting)</title></circle>\n", r->reporting,
                    r->expected);
        }
        /* the legend, in the right margin */
        double ky = T + 8 + 18.0 * (double)a;
        fprintf(o, "<line x1=\"%d\" x2=\"%d\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"%s\" "
                "stroke-width=\"3\"/><text x=\"%d\" y=\"%.1f\">", CHART_WIDTH - R + 16,
                CHART_WIDTH - R + 36, ky, ky, colour, CHART_WIDTH - R + 42, ky + 4);
        put_short(o, name, 24);
        fputs("</text>\n", o);
        (void)lx, (void)ly, (void)drawn;
        fputs("</g>\n", o);
    }
    fputs("</svg>\n", o);
    if (!gaps)
        return;
    /* what is not drawn, and why */
    fputs("<p class=\"note\">Not drawn, not a number:</p>\n<ul class=\"gaps\">\n", o);
    for (size_t a = 0; a < nareas; a++)
        for (size_t p = 0; p < np; p++) {
            const struct tally_period_coverage *pc = tally_build_period_at(b, p);
            const struct tally_dataset_row *r = row_of(rows, n, pc, cohort, areas[a]);
            const char *text = r ? cell(b, r, col, buf) : NULL;
            if (!r || chart_value(text, tenths, &v))
                continue;
            fputs("<li class=\"gap\" data-area=\"", o);
            tally_html_cstring(o, r->area_code);
            fputs("\" data-period=\"", o);
            tally_html_cstring(o, pc->end);
            fputs("\" data-value=\"", o);
            tally_html_cstring(o, text);
            fputs("\">", o);
            tally_html_cstring(o, r->area_name);
            fputs(", period to ", o);
            tally_html_cstring(o, pc->end);
            fputs(": ", o);
            put_measure(o, text);
            fprintf(o, " (%u of %u authorities reporting)</li>\n", r->reporting, r->expected);
        }
    fputs("</ul>\n", o);
}

/* England's regions side by side in the latest period: in care, and the rate. */
static void regions_chart(FILE *o, const struct tally_build *b, const struct columns *c,
                          const struct tally_dataset_row *const *rows, size_t n,
                          const char *cohort, size_t ci)
{
    enum { LABEL = 214, X0 = 224, BAR = 420, ROW = 24, TOP = 24 };
    const struct tally_period_coverage *last = tally_build_period_at(b, tally_build_nperiods(b) - 1);
    size_t nreg = 0;
    double max = 1, v;
    char buf[24];
    for (size_t i = 0; i < n; i++)
        if (level_is(rows[i], "region") && strcmp(rows[i]->cohort, cohort) == 0 &&
            strcmp(rows[i]->period_end, last->end) == 0 &&
            strcmp(rows[i]->period_start, last->start) == 0) {
            nreg++;
            if (chart_value(cell(b, rows[i], c->in_care, buf), false, &v) && v > max)
                max = v;
        }
    fputs("<h4>England's regions, ", o);
    tally_html_cstring(o, last->start);
    fputs(" to ", o);
    tally_html_cstring(o, last->end);
    fputs("</h4>\n", o);
    if (nreg == 0 || c->in_care < 0) {
        fputs("<p class=\"note\">No region to compare.</p>\n", o);
        return;
    }
    fputs("<p class=\"note\">A region's figures stand only on its authorities that reported: "
          "how many of those in force did is given beside each.</p>\n", o);
    int height = TOP + (int)nreg * ROW + 4;
    fprintf(o, "<svg class=\"regions\" id=\"regions-%zu\" viewBox=\"0 0 %d %d\" width=\"%d\" "
            "height=\"%d\" role=\"img\" aria-labelledby=\"regions-%zu-t\">\n<title "
            "id=\"regions-%zu-t\">Children in care and the percentage who went missing, by "
            "English region, in the latest period</title>\n", ci, CHART_WIDTH, height,
            CHART_WIDTH, height, ci, ci);
    fprintf(o, "<text class=\"head\" x=\"%d\" y=\"16\" text-anchor=\"end\">in care</text>"
            "<text class=\"head\" x=\"%d\" y=\"16\" text-anchor=\"end\">%% went missing</text>"
            "<text class=\"head\" x=\"%d\" y=\"16\" text-anchor=\"end\">reporting</text>\n",
            X0 + BAR + 70, X0 + BAR + 180, CHART_WIDTH - 4);
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        const struct tally_dataset_row *r = rows[i];
        if (!level_is(r, "region") || strcmp(r->cohort, cohort) != 0 ||
            strcmp(r->period_end, last->end) != 0 || strcmp(r->period_start, last->start) != 0)
            continue;
        double y = TOP + (double)k++ * ROW;
        char b2[24];
        const char *care = cell(b, r, c->in_care, buf), *pct = cell(b, r, c->pct, b2);
        fputs("<g class=\"region-row\" data-area=\"", o);
        tally_html_cstring(o, r->area_code);
        fprintf(o, "\"><text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">", LABEL, y + 13);
        put_short(o, r->area_name, 30);
        fputs("</text>\n", o);
        if (chart_value(care, false, &v) && v > 0) {
            fprintf(o, "<rect class=\"reg-bar\" x=\"%d\" y=\"%.1f\" width=\"%.1f\" height=\"16\" "
                    "fill=\"#0969da\" data-value=\"", X0, y + 2, (double)BAR * v / max);
            tally_html_cstring(o, care);
            fputs("\"><title>", o);
            tally_html_cstring(o, r->area_name);
            fprintf(o, ": %s in care (%u of %u authorities reporting)</title></rect>\n", care,
                    r->reporting, r->expected);
        }
        fprintf(o, "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\" class=\"strong\">",
                X0 + BAR + 70, y + 14);
        put_svg_measure(o, care);
        fprintf(o, "</text><text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">", X0 + BAR + 180, y + 14);
        if (chart_value(pct, true, &v))
            tally_html_cstring(o, pct);
        else
            put_svg_measure(o, pct);
        fprintf(o, "</text><text class=\"reg-cov\" x=\"%d\" y=\"%.1f\" text-anchor=\"end\">"
                "%u of %u</text>\n</g>\n", CHART_WIDTH - 4, y + 14, r->reporting, r->expected);
    }
    fputs("</svg>\n", o);
}

/* With more than one period: per cohort, the trend of the UK and the nations
 * (children in care, and the percentage who went missing), and the regions
 * compared in the latest period. */
static int trends(FILE *o, const struct tally_build *b, const struct columns *c,
                  const struct tally_dataset_row *const *rows, size_t n)
{
    size_t np = tally_build_nperiods(b);
    if (np < 2 || n == 0)
        return TALLY_OK;
    const char **cohorts = malloc(n * sizeof *cohorts), **areas = malloc(n * sizeof *areas);
    if (!cohorts || !areas) {
        free(cohorts);
        free(areas);
        return TALLY_ENOMEM;
    }
    size_t ncoh = 0, nareas = 0;
    for (size_t i = 0; i < n; i++) {
        bool seen = false;
        for (size_t k = 0; k < ncoh && !seen; k++)
            seen = strcmp(cohorts[k], rows[i]->cohort) == 0;
        if (!seen)
            cohorts[ncoh++] = rows[i]->cohort;
        if (!level_is(rows[i], "uk") && !level_is(rows[i], "country"))
            continue;
        seen = false;
        for (size_t k = 0; k < nareas && !seen; k++)
            seen = strcmp(areas[k], rows[i]->area_code) == 0;
        if (!seen)
            areas[nareas++] = rows[i]->area_code;
    }
    /* the UK first, then the nations by code */
    for (size_t k = 1; k < nareas; k++)
        for (size_t j = k; j > 0; j--) {
            bool uk_j = strcmp(areas[j], "K02000001") == 0;
            if (!(uk_j || (strcmp(areas[j - 1], "K02000001") != 0 &&
                           strcmp(areas[j], areas[j - 1]) < 0)))
                break;
            const char *t = areas[j];
            areas[j] = areas[j - 1];
            areas[j - 1] = t;
        }
    fprintf(o, "<section id=\"trends\">\n<h2>Over time</h2>\n<p class=\"note\">%zu periods. "
            "Totals stand on the authorities that reported in each period, which may not be the "
            "same ones: the number reporting is under each period.</p>\n", np);
    for (size_t k = 0; k < ncoh; k++) {
        const char *title = cohort_title(cohorts[k]);
        char id[64];
        fputs("<section class=\"trend-cohort\" data-cohort=\"", o);
        tally_html_cstring(o, cohorts[k]);
        fputs("\">\n<h3>", o);
        tally_html_cstring(o, title ? title : cohorts[k]);
        fputs("</h3>\n", o);
        if (c->in_care >= 0) {
            fputs("<h4>Children in care</h4>\n", o);
            snprintf(id, sizeof id, "trend-%zu-in-care", k);
            trend_chart(o, b, c->in_care, false, id, "Children in care", rows, n, cohorts[k],
                        areas, nareas);
        }
        if (c->pct >= 0) {
            fputs("<h4>Percentage of children in care who went missing</h4>\n", o);
            snprintf(id, sizeof id, "trend-%zu-pct", k);
            trend_chart(o, b, c->pct, true, id, "Percentage of children in care who went missing",
                        rows, n, cohorts[k], areas, nareas);
        }
        regions_chart(o, b, c, rows, n, cohorts[k], k);
        fputs("</section>\n", o);
    }
    fputs("</section>\n", o);
    free(cohorts);
    free(areas);
    return TALLY_OK;
}

/* The national dataset: one section per period and cohort. */
static int dataset(FILE *o, const struct tally_build *b)
{
    struct columns c = {column_index(b, "in_care"), column_index(b, "went_missing"),
                        column_index(b, "found"), column_index(b, "not_found"),
                        column_index(b, "went_missing_pct")};
    size_t nrows = tally_build_nrows(b);
    fputs("<section id=\"dataset\">\n<h2>National dataset</h2>\n<p class=\"note\">Counts are sums of "
          "the accepted returns. Statistical symbols are shown as such, never as 0: "
          "<abbr class=\"sym\">x</abbr> not held, <abbr class=\"sym\">c</abbr> withheld, "
          "<abbr class=\"sym\">z</abbr> not applicable; an area is x when none of its returns "
          "gave a number.</p>\n", o);
    if (nrows == 0)
        fputs("<p>The dataset has no rows.</p>\n", o);
    const struct tally_dataset_row **rows = malloc((nrows ? nrows : 1) * sizeof *rows);
    if (!rows)
        return TALLY_ENOMEM;
    for (size_t i = 0; i < nrows; i++)
        rows[i] = tally_build_row_at(b, i);
    int rc = trends(o, b, &c, rows, nrows);
    for (size_t i = 0, j; rc == TALLY_OK && i < nrows; i = j) {
        for (j = i + 1; j < nrows && same_group(rows[i], rows[j]); j++)
            ;
        rc = cohort_section(o, b, &c, rows + i, j - i);
    }
    free(rows);
    fputs("</section>\n", o);
    return rc;
}

/* ---- the diagnostics table ------------------------------------------------------------ */

static int by_text(const void *pa, const void *pb)
{
    const struct seen *a = *(const struct seen *const *)pa, *b = *(const struct seen *const *)pb;
    if (!a->text || !b->text)
        return a->text ? -1 : b->text ? 1 : 0;
    return strcmp(a->text, b->text);
}

/* A <select> over a set, options sorted by text; value is the text or (files) the index. */
static int filter_select(FILE *o, const char *label, const char *key, struct seen_set *set,
                         bool by_index)
{
    const struct seen **order = malloc((set->n ? set->n : 1) * sizeof *order);
    if (!order)
        return TALLY_ENOMEM;
    for (size_t i = 0; i < set->n; i++)
        order[i] = &set->v[i];
    qsort(order, set->n, sizeof *order, by_text);
    fprintf(o, "<label>%s<select data-filter=\"%s\"><option value=\"\">all</option>", label, key);
    for (size_t i = 0; i < set->n; i++) {
        const struct seen *e = order[i];
        fputs("<option value=\"", o);
        if (by_index)
            fprintf(o, "%zu", (size_t)(e - set->v));
        else
            tally_html_cstring(o, e->text);
        fputs("\" data-name=\"", o);
        tally_html_cstring(o, e->text);
        fputs("\">", o);
        if (e->text)
            tally_html_cstring(o, e->text);
        else
            fputs("(no file)", o);
        fputs(" (", o);
        put_grouped(o, e->n);
        fputs(")</option>", o);
    }
    fputs("</select></label>\n", o);
    free(order);
    return TALLY_OK;
}

static int diagnostics(FILE *o, struct html_report *r, const struct tally_report_summary *s)
{
    static const char *const sev_names[3] = {"error", "warning", "info"};
    fputs("<section id=\"diagnostics\">\n<h2>Diagnostics (<span id=\"diags-total\">", o);
    put_grouped(o, r->ndiags);
    fputs("</span>)</h2>\n", o);
    if (r->ndiags == 0) {
        fprintf(o, "<p>%s</p>\n</section>\n", s->errors + s->warnings + s->infos
                                                  ? "No diagnostic is detailed."
                                                  : "No diagnostics: nothing to fix.");
        return TALLY_OK;
    }
    if (s->truncated)
        fputs("<p class=\"note\">Only the first diagnostics are listed (--max-errors); the counts at "
              "the top are complete.</p>\n", o);
    fputs("<div class=\"controls\" id=\"diag-controls\" hidden>\n<label>Severity<select "
          "data-filter=\"sev\"><option value=\"\">all</option>", o);
    for (int k = 0; k < 3; k++) {
        fprintf(o, "<option value=\"%s\">%s (", sev_names[k], sev_names[k]);
        put_grouped(o, r->by_severity[k]);
        fputs(")</option>", o);
    }
    fputs("</select></label>\n", o);
    if (filter_select(o, "Code", "code", &r->codes, false) != TALLY_OK ||
        filter_select(o, "File", "f", &r->files, true) != TALLY_OK)
        return TALLY_ENOMEM;
    fputs("<span class=\"shown\"><span id=\"diags-shown\">", o);
    put_grouped(o, r->ndiags);
    fputs("</span> shown \xC2\xB7 click a column heading to sort</span>\n</div>\n", o);
    fputs("<table id=\"diags\">\n<thead><tr><th data-col=\"severity\">Severity</th>"
          "<th data-col=\"code\">Code</th><th data-col=\"file\">File</th>"
          "<th data-col=\"line\" class=\"num\">Line:col</th><th data-col=\"record\" class=\"num\">"
          "Record</th><th data-col=\"field\">Field</th><th data-col=\"value\">Value</th>"
          "<th data-col=\"message\">Message</th><th data-col=\"path\">JSON Pointer / XPath</th>"
          "</tr></thead>\n<tbody>\n", o);
    if (tally_spool_copy(r->tmp, o, "HTML", NULL) != TALLY_OK)
        return TALLY_EIO;
    fputs("</tbody>\n</table>\n</section>\n", o);
    return TALLY_OK;
}

static int html_finish(struct tally_report *tr, const struct tally_report_summary *s,
                       const struct tally_report_file *files, size_t nfiles,
                       struct tally_error *err)
{
    struct html_report *r = (struct html_report *)tr;
    FILE *o = tr->out;
    if (r->oom)
        return tally_error_set(err, TALLY_ENOMEM, "out of memory");
    page_head(o, s);
    summary(o, s);
    if (s->build)
        fates(o, s);
    if (s->build)
        disclosure(o, s);
    int rc = report_dataset(s) ? dataset(o, report_dataset(s)) : TALLY_OK;
    if (rc == TALLY_OK)
        rc = diagnostics(o, r, s);
    if (rc == TALLY_OK)
        files_table(o, s, files, nfiles);
    if (rc == TALLY_EIO)
        return tally_error_set(err, rc, "cannot read back the HTML report's temporary file");
    if (rc != TALLY_OK)
        return tally_error_set(err, rc, "out of memory");
    fputs("</main>\n<script>", o);
    fputs(page_script, o);
    fputs("</script>\n</body>\n</html>\n", o);
    return TALLY_OK;
}

static void html_close(struct tally_report *tr)
{
    struct html_report *r = (struct html_report *)tr;
    if (r->tmp)
        fclose(r->tmp);
    seen_free(&r->codes);
    seen_free(&r->files);
    free(r);
}

const struct tally_report_ops tally_html_report = {
    .name = "html",
    .open = html_open,
    .diag = html_diag,
    .finish = html_finish,
    .close = html_close,
};
