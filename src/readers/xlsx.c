/*
 * readers/xlsx.c — the Excel workbook reader (.xlsx, Office Open XML).
 *
 *   kent.xlsx (a zip)
 *     _rels/.rels                      → the workbook part (xl/workbook.xml)
 *     xl/workbook.xml                  the sheets, in order, and the date system
 *     xl/_rels/workbook.xml.rels       → each sheet's part, the shared strings, the styles
 *     xl/sharedStrings.xml             texts cells refer to by number
 *     xl/styles.xml                    number formats: which cells show dates
 *     xl/worksheets/sheet1.xml         <sheetData><row r="7"><c r="C7" t="s"><v>3</v></c>...
 *
 * The first sheet (or --sheet NAME) is read with libxml2's xmlTextReader as
 * it is inflated, one row at a time; each row's cells go to the tabular core
 * (tabular.h), as a CSV row's do. A cell gives the value it shows: its
 * shared or inline text; a number as General format shows it ("42", never
 * "42.0"); a number formatted as a date as the ISO date (serial numbers
 * counted from 1900, or 1904 when the workbook says so); TRUE or FALSE; an
 * error ("#N/A") as written; a formula's last computed value. Merged cells
 * and cells that are formatted but empty are empty. Every location is the
 * sheet's row (line) and column, and diagnostics carry the cell ("Sheet1!C7").
 *
 * The shared strings are held (they are referred to by number from anywhere
 * in the sheet), at most XLSX_MAX_STRING_BYTES of them.
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/emit.h"
#include "core/grow.h"
#include "readers/readers.h"
#include "readers/workbook.h"
#include "tally/value.h"

#define XLSX_MAX_STRING_BYTES (64u << 20)   /* shared strings' text */
#define XLSX_MAX_STRINGS      (4u << 20)    /* shared strings */
#define XLSX_MAX_XFS          65536         /* cell formats in styles.xml */
#define XLSX_MAX_RELS         10000         /* relationships of one part */
#define XLSX_MAX_SHEETS       10000

enum { KIND_NUMBER = 0, KIND_DATE, KIND_DATETIME };

struct rel {
    char *id, *type, *target;
};

struct xlsx_reader {
    struct tally_reader base;
    struct wb wb;
    struct tab tab;
    bool tab_ready;
    char *sheet_name;               /* the sheet read */
    char *sheet_ref;                /* its name as a cell reference writes it */
    char *sheet_part;               /* "sheet \"Returns\"", for messages */
    bool date1904;

    char *strings;                  /* the shared strings, each NUL-terminated */
    size_t strings_len, strings_cap;
    size_t *string_at;              /* where each starts in strings */
    size_t nstrings, string_at_cap;

    unsigned char *xf_kind;         /* per cell format (s="N"): KIND_* */
    size_t nxf;

    struct wb_entry sheet;
    bool sheet_open;
    bool in_data;                   /* inside <sheetData> */
    bool reading_done;              /* </sheetData>, the end, or a problem */
    struct wb_row row;
    bool row_open, row_pending;
    uint32_t last_row;              /* the sheet row last read, 0 before the first */
    uint32_t last_col;              /* the column of the last cell of the row */

    /* The cell being read. */
    bool in_cell, in_v, in_is, in_t, in_rph;
    uint32_t col;
    char type[12];                  /* its t="..." */
    long style;                     /* its s="...", or -1 */
    char *text;                     /* its value's text so far */
    size_t text_len, text_cap;
    bool text_over;                 /* longer than a value may be */

    bool delivered;                 /* the last record handed out was made of row cells */
    bool ended;
};

/* ---- relationships, workbook, styles, shared strings ------------------------------------ */

static void free_rels(struct rel *rels, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(rels[i].id);
        free(rels[i].type);
        free(rels[i].target);
    }
    free(rels);
}

static bool is_element(xmlTextReaderPtr x, const char *local)
{
    const char *name = (const char *)xmlTextReaderConstLocalName(x);
    return xmlTextReaderNodeType(x) == XML_READER_TYPE_ELEMENT && name && strcmp(name, local) == 0;
}

static bool is_end(xmlTextReaderPtr x, const char *local)
{
    const char *name = (const char *)xmlTextReaderConstLocalName(x);
    return xmlTextReaderNodeType(x) == XML_READER_TYPE_END_ELEMENT && name && strcmp(name, local) == 0;
}

/* Read a .rels part: its relationships (external ones left out). */
static int read_rels(struct xlsx_reader *xr, const char *path, struct rel **out, size_t *n,
                     struct tally_error *err)
{
    struct wb_entry e;
    *out = NULL;
    *n = 0;
    size_t cap = 0;
    if (!wb_entry_open(&xr->wb, path, "relationships", &e))
        return TALLY_OK;
    int rc = TALLY_OK;
    while (rc == TALLY_OK && wb_xml_read(&e) == 1) {
        if (!is_element(e.xml, "Relationship"))
            continue;
        char *mode = wb_attr(e.xml, "TargetMode");
        bool external = mode && strcasecmp(mode, "External") == 0;
        xmlFree(mode);
        if (external)
            continue;
        if (*n >= XLSX_MAX_RELS) {
            wb_fail(&xr->wb, TALLY_CODE_LIMIT, "the Excel workbook has more than %d "
                    "relationships in one part; the file is not read", XLSX_MAX_RELS);
            break;
        }
        char *id = wb_attr(e.xml, "Id"), *type = wb_attr(e.xml, "Type");
        char *target = wb_attr(e.xml, "Target");
        if (id && type && target &&
            tally_grow((void **)out, &cap, *n, sizeof **out, 8) == TALLY_OK) {
            struct rel r = {strdup(id), strdup(type), strdup(target)};
            (*out)[(*n)++] = r;
            if (!r.id || !r.type || !r.target)
                rc = tally_error_set(err, TALLY_ENOMEM, "out of memory");
        } else if (id && type && target) {
            rc = tally_error_set(err, TALLY_ENOMEM, "out of memory");
        }
        xmlFree(id);
        xmlFree(type);
        xmlFree(target);
    }
    wb_entry_close(&e);
    return rc;
}

/* The target of the first relationship whose type ends with suffix, or NULL. */
static const char *rel_of_type(const struct rel *rels, size_t n, const char *suffix)
{
    size_t k = strlen(suffix);
    for (size_t i = 0; i < n; i++) {
        size_t t = strlen(rels[i].type);
        if (t >= k && strcmp(rels[i].type + t - k, suffix) == 0)
            return rels[i].target;
    }
    return NULL;
}

/* "xl/workbook.xml" → "xl/_rels/workbook.xml.rels". Caller frees. */
static char *rels_path(const char *part)
{
    const char *slash = strrchr(part, '/');
    size_t dir = slash ? (size_t)(slash - part) + 1 : 0;
    char *p = malloc(strlen(part) + 12);
    if (p)
        sprintf(p, "%.*s_rels/%s.rels", (int)dir, part, part + dir);
    return p;
}

/* Classify a number format code: does it show a date, a date and a time? */
static int format_kind(const char *code)
{
    bool date = false, time = false;
    for (const char *p = code; *p; p++) {
        char c = (char)(*p | 0x20);
        if (*p == '"') {                    /* literal text */
            while (p[1] && p[1] != '"')
                p++;
            if (p[1])
                p++;
        } else if (*p == '\\' || *p == '_' || *p == '*') {
            if (p[1])
                p++;                        /* an escaped or padding character */
        } else if (*p == '[') {             /* a colour, a condition, or elapsed time */
            const char *q = p + 1;
            char e = (char)(*q | 0x20);
            if (e == 'h' || e == 'm' || e == 's')
                time = true;
            while (*q && *q != ']')
                q++;
            p = *q ? q : q - 1;
        } else if (c == 'd' || c == 'y') {
            date = true;
        } else if (c == 'h' || c == 's') {
            time = true;
        }
    }
    return date ? (time ? KIND_DATETIME : KIND_DATE) : KIND_NUMBER;
}

/* The built-in number formats Excel does not write out (ECMA-376 §18.8.30). */
static int builtin_kind(long id)
{
    if ((id >= 14 && id <= 17) || (id >= 27 && id <= 31) || (id >= 34 && id <= 36) ||
        (id >= 50 && id <= 58))
        return KIND_DATE;
    return id == 22 ? KIND_DATETIME : KIND_NUMBER;
}

static long attr_long(xmlTextReaderPtr x, const char *name, long dflt)
{
    char *v = wb_attr(x, name);
    long n = dflt;
    if (v) {
        char *end;
        long k = strtol(v, &end, 10);
        if (end != v && *end == '\0' && k >= 0)
            n = k;
    }
    xmlFree(v);
    return n;
}

/* styles.xml: which cell formats (cellXfs) show dates. */
static int read_styles(struct xlsx_reader *xr, const char *path, struct tally_error *err)
{
    struct wb_entry e;
    if (!wb_entry_open(&xr->wb, path, "styles", &e))
        return TALLY_OK;
    struct { long id; int kind; } custom[512];
    size_t ncustom = 0, cap = 0;
    bool in_xfs = false;
    int rc = TALLY_OK;
    while (rc == TALLY_OK && wb_xml_read(&e) == 1) {
        if (is_element(e.xml, "numFmt") && ncustom < sizeof custom / sizeof custom[0]) {
            char *code = wb_attr(e.xml, "formatCode");
            custom[ncustom].id = attr_long(e.xml, "numFmtId", -1);
            custom[ncustom].kind = code ? format_kind(code) : KIND_NUMBER;
            ncustom++;
            xmlFree(code);
        } else if (is_element(e.xml, "cellXfs")) {
            in_xfs = !xmlTextReaderIsEmptyElement(e.xml);
        } else if (is_end(e.xml, "cellXfs")) {
            in_xfs = false;
        } else if (in_xfs && is_element(e.xml, "xf")) {
            if (xr->nxf >= XLSX_MAX_XFS) {
                wb_fail(&xr->wb, TALLY_CODE_LIMIT, "the Excel workbook has more than %d cell "
                        "formats; the file is not read", XLSX_MAX_XFS);
                break;
            }
            long id = attr_long(e.xml, "numFmtId", 0);
            int kind = builtin_kind(id);
            for (size_t i = 0; i < ncustom; i++)
                if (custom[i].id == id)
                    kind = custom[i].kind;
            if (tally_grow((void **)&xr->xf_kind, &cap, xr->nxf, 1, 64) != TALLY_OK)
                rc = tally_error_set(err, TALLY_ENOMEM, "out of memory");
            else
                xr->xf_kind[xr->nxf++] = (unsigned char)kind;
        }
    }
    wb_entry_close(&e);
    return rc;
}

/* Append bytes to the text of the string or cell being read. */
static bool add_text(char **buf, size_t *len, size_t *cap, const char *s, size_t n)
{
    if (*len + n + 1 > *cap) {
        size_t c = *cap ? *cap : 256;
        while (c < *len + n + 1)
            c *= 2;
        char *p = realloc(*buf, c);
        if (!p)
            return false;
        *buf = p;
        *cap = c;
    }
    memcpy(*buf + *len, s, n);
    *len += n;
    (*buf)[*len] = '\0';
    return true;
}

static bool is_text_node(xmlTextReaderPtr x)
{
    int t = xmlTextReaderNodeType(x);
    return t == XML_READER_TYPE_TEXT || t == XML_READER_TYPE_CDATA ||
           t == XML_READER_TYPE_SIGNIFICANT_WHITESPACE || t == XML_READER_TYPE_WHITESPACE;
}

/* The shared string being read has ended: keep it (NUL-terminated). */
static int end_string(struct xlsx_reader *xr, size_t start, struct tally_error *err)
{
    if (xr->nstrings >= XLSX_MAX_STRINGS || xr->strings_len > XLSX_MAX_STRING_BYTES) {
        wb_fail(&xr->wb, TALLY_CODE_LIMIT, "the Excel workbook's shared strings hold more than "
                "%u MiB or %u strings; the file is not read", XLSX_MAX_STRING_BYTES >> 20,
                XLSX_MAX_STRINGS);
        return TALLY_OK;
    }
    if (!add_text(&xr->strings, &xr->strings_len, &xr->strings_cap, "\0", 1) ||
        tally_grow((void **)&xr->string_at, &xr->string_at_cap, xr->nstrings,
                   sizeof *xr->string_at, 256) != TALLY_OK)
        return tally_error_set(err, TALLY_ENOMEM, "out of memory");
    xr->string_at[xr->nstrings++] = start;
    return TALLY_OK;
}

/* sharedStrings.xml: every <si>'s text (its <t>s, not the phonetic <rPh>s). */
static int read_strings(struct xlsx_reader *xr, const char *path, struct tally_error *err)
{
    struct wb_entry e;
    if (!wb_entry_open(&xr->wb, path, "shared strings", &e))
        return TALLY_OK;
    bool in_si = false, in_t = false, in_rph = false;
    size_t start = 0;
    int rc = TALLY_OK;
    while (rc == TALLY_OK && !xr->wb.failed && wb_xml_read(&e) == 1) {
        xmlTextReaderPtr x = e.xml;
        if (is_element(x, "si")) {
            start = xr->strings_len;
            in_si = !xmlTextReaderIsEmptyElement(x);
            in_t = in_rph = false;
            if (!in_si)
                rc = end_string(xr, start, err);
        } else if (is_end(x, "si") && in_si) {
            in_si = false;
            rc = end_string(xr, start, err);
        } else if (in_si && is_element(x, "rPh")) {
            in_rph = !xmlTextReaderIsEmptyElement(x);
        } else if (is_end(x, "rPh")) {
            in_rph = false;
        } else if (in_si && is_element(x, "t")) {
            in_t = !xmlTextReaderIsEmptyElement(x);
        } else if (is_end(x, "t")) {
            in_t = false;
        } else if (in_si && in_t && !in_rph && is_text_node(x)) {
            const char *v = (const char *)xmlTextReaderConstValue(x);
            if (xr->strings_len > XLSX_MAX_STRING_BYTES)
                rc = end_string(xr, start, err);    /* reports the limit */
            else if (v && !add_text(&xr->strings, &xr->strings_len, &xr->strings_cap, v, strlen(v)))
                rc = tally_error_set(err, TALLY_ENOMEM, "out of memory");
        }
    }
    wb_entry_close(&e);
    return rc;
}

struct sheet_entry {
    char *name, *rid;
};

/* Find the workbook, choose the sheet, read its strings and styles, open it. */
static int prepare(struct xlsx_reader *xr, struct tally_error *err)
{
    struct wb *w = &xr->wb;
    struct rel *rels = NULL, *wrels = NULL;
    size_t nrels = 0, nwrels = 0, nsheets = 0, sheets_cap = 0;
    struct sheet_entry *sheets = NULL;
    char *book = NULL, *brels = NULL, *part = NULL, *extra = NULL;
    bool outside;
    int rc = TALLY_OK;

    /* The workbook part, from the package's relationships. */
    if (wb_has(w, "_rels/.rels")) {
        if ((rc = read_rels(xr, "_rels/.rels", &rels, &nrels, err)) || w->failed)
            goto out;
        const char *t = rel_of_type(rels, nrels, "/officeDocument");
        if (t && !(book = wb_resolve("", t, &outside))) {
            if (outside)
                wb_fail(w, TALLY_CODE_FORMAT, "the Excel workbook's workbook part path leaves the "
                        "workbook");
            else
                rc = tally_error_set(err, TALLY_ENOMEM, "out of memory");
            goto out;
        }
    }
    if (!book && !(book = strdup("xl/workbook.xml"))) {
        rc = tally_error_set(err, TALLY_ENOMEM, "out of memory");
        goto out;
    }

    /* Its sheets, in order, and its date system. */
    struct wb_entry e;
    if (!wb_entry_open(w, book, "workbook part", &e))
        goto out;
    while (rc == TALLY_OK && wb_xml_read(&e) == 1) {
        if (is_element(e.xml, "workbookPr")) {
            char *v = wb_attr(e.xml, "date1904");
            xr->date1904 = v && (strcmp(v, "1") == 0 || strcmp(v, "true") == 0);
            xmlFree(v);
        } else if (is_element(e.xml, "sheet") && nsheets < XLSX_MAX_SHEETS) {
            char *name = wb_attr(e.xml, "name"), *rid = wb_attr(e.xml, "id");
            if (name && rid &&
                tally_grow((void **)&sheets, &sheets_cap, nsheets, sizeof *sheets, 8) == TALLY_OK) {
                sheets[nsheets] = (struct sheet_entry){strdup(name), strdup(rid)};
                if (!sheets[nsheets].name || !sheets[nsheets].rid)
                    rc = tally_error_set(err, TALLY_ENOMEM, "out of memory");
                nsheets++;
            } else if (name && rid) {
                rc = tally_error_set(err, TALLY_ENOMEM, "out of memory");
            }
            xmlFree(name);
            xmlFree(rid);
        }
    }
    wb_entry_close(&e);
    if (rc || w->failed)
        goto out;
    if (nsheets == 0) {
        wb_fail(w, TALLY_CODE_FORMAT, "the Excel workbook has no sheet");
        goto out;
    }

    /* The sheet: --sheet NAME (ignoring case, as Excel does), or the first. */
    size_t pick = 0;
    if (xr->base.cfg.sheet) {
        while (pick < nsheets && strcasecmp(sheets[pick].name, xr->base.cfg.sheet) != 0)
            pick++;
        if (pick == nsheets) {
            char list[600];
            size_t o = 0;
            list[0] = '\0';
            for (size_t i = 0; i < nsheets && o < sizeof list - 80; i++)
                o += (size_t)snprintf(list + o, sizeof list - o, "%s\"%.60s\"", i ? ", " : "",
                                      sheets[i].name);
            wb_fail(w, TALLY_CODE_FORMAT, "the Excel workbook has no sheet named \"%.100s\"; its "
                    "sheets are %s%s", xr->base.cfg.sheet, list, o >= sizeof list - 80 ? ", ..." : "");
            goto out;
        }
    }
    if (!(xr->sheet_name = strdup(sheets[pick].name))) {
        rc = tally_error_set(err, TALLY_ENOMEM, "out of memory");
        goto out;
    }
    bool too_long;
    if (!(xr->sheet_ref = wb_sheet_ref(sheets[pick].name, &too_long))) {
        if (!too_long)
            rc = tally_error_set(err, TALLY_ENOMEM, "out of memory");
        else
            wb_fail(w, TALLY_CODE_LIMIT, "the sheet's name is longer than %d bytes",
                    TALLY_MAX_SHEET_REF);
        goto out;
    }
    if (!(xr->sheet_part = malloc(strlen(xr->sheet_name) + 16))) {
        rc = tally_error_set(err, TALLY_ENOMEM, "out of memory");
        goto out;
    }
    sprintf(xr->sheet_part, "sheet \"%s\"", xr->sheet_name);

    /* Where it is, and where the strings and styles are. */
    if (!(brels = rels_path(book))) {
        rc = tally_error_set(err, TALLY_ENOMEM, "out of memory");
        goto out;
    }
    if ((rc = read_rels(xr, brels, &wrels, &nwrels, err)) || w->failed)
        goto out;
    const char *target = NULL;
    for (size_t i = 0; i < nwrels && !target; i++)
        if (strcmp(wrels[i].id, sheets[pick].rid) == 0)
            target = wrels[i].target;
    if (!target || !(part = wb_resolve(book, target, &outside))) {
        if (target && !outside)
            rc = tally_error_set(err, TALLY_ENOMEM, "out of memory");
        else
            wb_fail(w, TALLY_CODE_FORMAT, "the Excel workbook does not say where its %s is%s",
                    xr->sheet_part, target ? " (its path leaves the workbook)" : "");
        goto out;
    }
    const char *strings = rel_of_type(wrels, nwrels, "/sharedStrings");
    if (strings) {
        if (!(extra = wb_resolve(book, strings, &outside))) {
            if (outside)
                wb_fail(w, TALLY_CODE_FORMAT, "the Excel workbook's shared strings path leaves the "
                        "workbook");
            else
                rc = tally_error_set(err, TALLY_ENOMEM, "out of memory");
            goto out;
        }
        if ((rc = read_strings(xr, extra, err)) || w->failed)
            goto out;
        free(extra);
        extra = NULL;
    }
    const char *styles = rel_of_type(wrels, nwrels, "/styles");
    if (styles) {
        if (!(extra = wb_resolve(book, styles, &outside))) {
            if (outside)
                wb_fail(w, TALLY_CODE_FORMAT, "the Excel workbook's styles path leaves the workbook");
            else
                rc = tally_error_set(err, TALLY_ENOMEM, "out of memory");
            goto out;
        }
        if ((rc = read_styles(xr, extra, err)) || w->failed)
            goto out;
    }
    xr->sheet_open = wb_entry_open(w, part, xr->sheet_part, &xr->sheet);
out:
    free_rels(rels, nrels);
    free_rels(wrels, nwrels);
    for (size_t i = 0; i < nsheets; i++) {
        free(sheets[i].name);
        free(sheets[i].rid);
    }
    free(sheets);
    free(book);
    free(brels);
    free(part);
    free(extra);
    return rc;
}

/* ---- cells ----------------------------------------------------------------------------- */

/* A problem with one cell: an error there, counted on the row. */
static void cell_error(struct xlsx_reader *xr, const char *code, const char *fmt, ...)
    TALLY_PRINTF(3, 4);

static void cell_error(struct xlsx_reader *xr, const char *code, const char *fmt, ...)
{
    struct tally_loc loc = {xr->row.line, xr->col, 0};
    uint64_t record = xr->tab.header_done ? xr->base.records + 1 : 0;
    va_list ap;
    va_start(ap, fmt);
    tally_emit_atv(&xr->base.cfg.sink, NULL, xr->base.in->name, &loc, record, NULL, NULL,
                   TALLY_PATH_CELL, xr->sheet_ref, TALLY_SEV_ERROR, code, fmt, ap);
    va_end(ap);
    xr->row.errors++;
}

/* A date serial number as the ISO date (and time) it shows; false when none. */
static bool serial_date(double serial, bool date1904, bool with_time, char *buf, size_t size)
{
    if (!(serial >= 0 && serial < 2958466))
        return false;
    double whole = floor(serial);
    long long days = (long long)whole;
    long secs = lround((serial - whole) * 86400.0);
    if (secs >= 86400)
        days++, secs -= 86400;
    if (date1904)
        days -= 24107;                      /* serial 0 is 1904-01-01 */
    else if (days == 60 || days == 0)
        return false;                       /* 1900-02-29 (Excel's phantom day), 1900-01-00 */
    else
        days -= days < 60 ? 25568 : 25569;  /* serial 1 is 1900-01-01 */
    char day[11];
    tally_format_date(days, day);
    if (with_time && secs)
        snprintf(buf, size, "%sT%02ld:%02ld:%02ld", day, secs / 3600, secs / 60 % 60, secs % 60);
    else
        snprintf(buf, size, "%s", day);
    return true;
}

/* The cell has ended: its value as shown, into the row. */
static int end_cell(struct xlsx_reader *xr, struct tally_error *err)
{
    xr->in_cell = false;
    if (xr->text_over) {
        cell_error(xr, TALLY_CODE_LIMIT, "value longer than %d bytes", TALLY_MAX_VALUE_BYTES);
        return wb_row_cell(&xr->row, xr->col, "", 0, true) == TALLY_OK
                   ? TALLY_OK : tally_error_set(err, TALLY_ENOMEM, "out of memory");
    }
    const char *t = xr->text ? xr->text : "";
    size_t n = xr->text_len;
    char buf[64];
    const char *type = xr->type;
    bool bad = false;
    if (strcmp(type, "s") == 0) {
        char *end;
        unsigned long i = strtoul(t, &end, 10);
        if (end == t || *end || i >= xr->nstrings) {
            cell_error(xr, TALLY_CODE_FORMAT, "the cell refers to shared string \"%.20s\", which "
                       "the workbook does not have", t);
            t = "", n = 0, bad = true;
        } else {
            t = xr->strings + xr->string_at[i];
            n = strlen(t);
            if (n > TALLY_MAX_VALUE_BYTES) {
                cell_error(xr, TALLY_CODE_LIMIT, "value longer than %d bytes", TALLY_MAX_VALUE_BYTES);
                t = "", n = 0, bad = true;
            }
        }
    } else if (strcmp(type, "b") == 0) {
        t = strcmp(t, "1") == 0 ? "TRUE" : strcmp(t, "0") == 0 ? "FALSE" : t;
        n = strlen(t);
    } else if (strcmp(type, "d") == 0) {
        if (n >= 19 && strncmp(t + 10, "T00:00:00", 9) == 0)
            n = 10;     /* an ISO date with a midnight time: the date */
    } else if (strcmp(type, "n") == 0 || type[0] == '\0') {
        int kind = xr->style >= 0 && (size_t)xr->style < xr->nxf ? xr->xf_kind[xr->style] : KIND_NUMBER;
        char *end;
        double d = strtod(t, &end);
        if (n && kind != KIND_NUMBER && end != t && *end == '\0' &&
            serial_date(d, xr->date1904, kind == KIND_DATETIME, buf, sizeof buf)) {
            t = buf;
        } else if (n) {
            wb_number(t, buf, sizeof buf);
            t = buf;
        }
        n = strlen(t);
    }   /* "str" (a formula's text), "inlineStr", "e" (#N/A): the text as it is */
    if (n == 0 && !bad)
        return TALLY_OK;    /* an empty cell adds nothing */
    return wb_row_cell(&xr->row, xr->col, t, n, bad) == TALLY_OK
               ? TALLY_OK : tally_error_set(err, TALLY_ENOMEM, "out of memory");
}

/* "C7" → 3; 0 when not a cell reference. */
static uint32_t column_of(const char *ref)
{
    uint32_t col = 0;
    const char *p = ref;
    while (((*p | 0x20) >= 'a' && (*p | 0x20) <= 'z') && col <= WB_MAX_COLUMNS)
        col = col * 26 + (uint32_t)((*p++ | 0x20) - 'a' + 1);
    return p > ref && *p >= '0' && *p <= '9' && col <= WB_MAX_COLUMNS ? col : 0;
}

/* One node of the sheet. TALLY_OK, or a failure. */
static int sheet_node(struct xlsx_reader *xr, struct tally_error *err)
{
    xmlTextReaderPtr x = xr->sheet.xml;
    int type = xmlTextReaderNodeType(x);
    if (type != XML_READER_TYPE_ELEMENT && type != XML_READER_TYPE_END_ELEMENT) {
        if (xr->in_cell && (xr->in_v || (xr->in_is && xr->in_t && !xr->in_rph)) && is_text_node(x)) {
            const char *v = (const char *)xmlTextReaderConstValue(x);
            size_t n = v ? strlen(v) : 0;
            if (xr->text_len + n > TALLY_MAX_VALUE_BYTES)
                xr->text_over = true;
            else if (n && !add_text(&xr->text, &xr->text_len, &xr->text_cap, v, n))
                return tally_error_set(err, TALLY_ENOMEM, "out of memory");
        }
        return TALLY_OK;
    }
    const char *name = (const char *)xmlTextReaderConstLocalName(x);
    bool start = type == XML_READER_TYPE_ELEMENT, empty = start && xmlTextReaderIsEmptyElement(x);
    if (!name)
        return TALLY_OK;
    if (strcmp(name, "sheetData") == 0) {
        xr->in_data = start && !empty;
        xr->reading_done = !xr->in_data;
        return TALLY_OK;
    }
    if (!xr->in_data)
        return TALLY_OK;
    if (strcmp(name, "row") == 0 && start) {
        long r = attr_long(x, "r", (long)xr->last_row + 1);
        if (r <= (long)xr->last_row || r > WB_MAX_ROWS) {
            wb_fail(&xr->wb, TALLY_CODE_FORMAT, "the Excel workbook's %s is damaged: a row "
                    "numbered %ld follows row %u (rows out of order, or past the last a sheet "
                    "can have); the rest is not read", xr->sheet_part, r, xr->last_row);
            return TALLY_OK;
        }
        if (xr->last_row && (uint32_t)r > xr->last_row + 1) {
            struct tally_loc loc = {xr->last_row + 1, 0, 0};
            if (tab_blank(&xr->tab, &loc, (uint64_t)r - xr->last_row - 1) != TALLY_OK)
                return tally_error_set(err, TALLY_ENOMEM, "out of memory");
        }
        xr->last_row = (uint32_t)r;
        xr->last_col = 0;
        wb_row_start(&xr->row, (uint32_t)r, xr->tab.header_done ? xr->tab.ncols : TALLY_MAX_COLUMNS + 1);
        xr->row_open = !empty;
        xr->row_pending = empty;
    } else if (strcmp(name, "row") == 0) {
        xr->row_open = false;
        xr->row_pending = true;
    } else if (strcmp(name, "c") == 0 && start && xr->row_open) {
        char *ref = wb_attr(x, "r"), *t = wb_attr(x, "t");
        uint32_t col = ref ? column_of(ref) : xr->last_col + 1;
        xmlFree(ref);
        snprintf(xr->type, sizeof xr->type, "%s", t ? t : "");
        xmlFree(t);
        if (col == 0 || col <= xr->last_col || col > WB_MAX_COLUMNS) {
            wb_fail(&xr->wb, TALLY_CODE_FORMAT, "the Excel workbook's %s is damaged: a cell of "
                    "row %u is out of place; the rest is not read", xr->sheet_part, xr->row.line);
            return TALLY_OK;
        }
        xr->col = xr->last_col = col;
        xr->style = attr_long(x, "s", -1);
        xr->text_len = 0;
        xr->text_over = false;
        if (xr->text)
            xr->text[0] = '\0';
        xr->in_cell = !empty;
        xr->in_v = xr->in_is = xr->in_t = xr->in_rph = false;
    } else if (strcmp(name, "c") == 0 && xr->in_cell) {
        return end_cell(xr, err);
    } else if (xr->in_cell) {
        bool open = start && !empty;
        if (strcmp(name, "v") == 0)
            xr->in_v = open;
        else if (strcmp(name, "is") == 0)
            xr->in_is = open;
        else if (strcmp(name, "t") == 0)
            xr->in_t = open;
        else if (strcmp(name, "rPh") == 0)
            xr->in_rph = open;
    }
    return TALLY_OK;
}

/* ---- the reader ---------------------------------------------------------------------- */

static int xlsx_next(struct tally_reader *r, struct tally_record **out, struct tally_error *err)
{
    struct xlsx_reader *xr = (struct xlsx_reader *)r;
    int rc;
    if (xr->delivered) {
        xr->delivered = false;
        wb_row_start(&xr->row, 0, 0);
    }
    if (!xr->tab_ready)
        return TALLY_DONE;
    for (;;) {
        if ((rc = tab_held(&xr->tab, out, err)) != TALLY_DONE)
            return rc;
        if (xr->tab.fatal)
            return TALLY_DONE;
        if (xr->row_pending) {
            xr->row_pending = false;
            struct tab_row view = wb_row_view(&xr->row);
            rc = tab_row(&xr->tab, &view, out, err);
            if (rc == TALLY_RECORD)
                xr->delivered = true;
            if (rc != TALLY_OK)
                return rc;
            continue;
        }
        if (xr->reading_done || xr->wb.failed)
            break;
        int got = wb_xml_read(&xr->sheet);
        if (xr->wb.nomem)
            return tally_error_set(err, TALLY_ENOMEM, "out of memory");
        if (got == 1)
            rc = sheet_node(xr, err);
        else
            xr->reading_done = true;
        if (rc != TALLY_OK)
            return rc;
    }
    if (xr->wb.nomem)
        return tally_error_set(err, TALLY_ENOMEM, "out of memory");
    if (!xr->ended) {
        xr->ended = true;
        if ((rc = tab_end(&xr->tab, err)))
            return rc;
        if ((rc = tab_held(&xr->tab, out, err)) != TALLY_DONE)
            return rc;
        if (!xr->wb.failed)
            tab_finish(&xr->tab);
    }
    return TALLY_DONE;
}

static void xlsx_close(struct tally_reader *r)
{
    struct xlsx_reader *xr = (struct xlsx_reader *)r;
    if (!xr)
        return;
    if (xr->sheet_open)
        wb_entry_close(&xr->sheet);
    wb_close(&xr->wb);
    tab_fini(&xr->tab);
    wb_row_fini(&xr->row);
    free(xr->sheet_name);
    free(xr->sheet_ref);
    free(xr->sheet_part);
    free(xr->strings);
    free(xr->string_at);
    free(xr->xf_kind);
    free(xr->text);
    free(xr);
}

static int xlsx_open(struct tally_reader **out, struct tally_input *in,
                     const struct tally_reader_config *cfg, struct tally_error *err)
{
    struct xlsx_reader *xr = calloc(1, sizeof *xr);
    if (!xr)
        return tally_error_set(err, TALLY_ENOMEM, "out of memory");
    xr->base.ops = &tally_xlsx_reader;
    xr->base.in = in;
    xr->base.cfg = *cfg;
    tally_libxml2_init();
    int rc = wb_open(&xr->wb, &xr->base, "Excel workbook", NULL, err);
    if (rc == TALLY_OK && !xr->wb.failed)
        rc = prepare(xr, err);
    if (rc == TALLY_OK && xr->wb.nomem)
        rc = tally_error_set(err, TALLY_ENOMEM, "out of memory");
    if (rc == TALLY_OK && !xr->wb.failed && xr->sheet_open) {
        struct tab_options opts = {
            .sheet = true,
            .sheet_ref = xr->sheet_ref,
            .row_word = "row",
            .msg_empty = "the sheet is empty: a return needs a header row",
            .msg_only_blank = "the sheet has no header row, only empty rows",
        };
        rc = tab_init(&xr->tab, &xr->base, &opts, err);
        xr->tab_ready = rc == TALLY_OK;
    }
    if (rc != TALLY_OK) {
        xlsx_close(&xr->base);
        return rc;
    }
    *out = &xr->base;
    return TALLY_OK;
}

static const char *const xlsx_extensions[] = {".xlsx", ".xlsm", NULL};

const struct tally_reader_ops tally_xlsx_reader = {
    .name = "xlsx",
    .extensions = xlsx_extensions,
    .open = xlsx_open,
    .next = xlsx_next,
    .close = xlsx_close,
};
