/*
 * readers/workbook.c — a workbook as hostile zip input, for xlsx.c and ods.c
 * (workbook.h).
 *
 * libzip opens the archive from memory; the entries are checked once, at
 * open: their number, their names (no NUL, not too long, none twice — two
 * entries of one name would let two readers see two workbooks), and later,
 * as each is opened, its encryption, its compression method and its declared
 * size. While an entry is read, the bytes libzip really inflates are counted:
 * past WB_MAX_ENTRY_BYTES for the entry, WB_MAX_TOTAL_BYTES for the workbook,
 * or WB_MAX_RATIO times its compressed size (a zip bomb), reading stops with
 * a `limit` error. The same read callback stops at a DOCTYPE before libxml2
 * sees it, so no DTD is read and no entity declared; libxml2 is also told
 * never to use the network.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libxml/parser.h>
#include <libxml/xmlerror.h>

#include "core/emit.h"
#include "core/grow.h"
#include "readers/workbook.h"

const struct wb_limits wb_default_limits = {
    WB_MAX_ENTRIES, WB_MAX_ENTRY_BYTES, WB_MAX_TOTAL_BYTES, WB_MAX_RATIO, WB_RATIO_FROM,
};

/* "1 GiB", "64 KiB", "300 bytes": a limit in words. */
static const char *bytes_words(uint64_t n, char *buf, size_t size)
{
    if (n >= (1u << 30) && n % (1u << 30) == 0)
        snprintf(buf, size, "%llu GiB", (unsigned long long)(n >> 30));
    else if (n >= (1u << 20) && n % (1u << 20) == 0)
        snprintf(buf, size, "%llu MiB", (unsigned long long)(n >> 20));
    else
        snprintf(buf, size, "%llu bytes", (unsigned long long)n);
    return buf;
}

void wb_fail(struct wb *w, const char *code, const char *fmt, ...)
{
    if (w->failed || w->nomem)
        return;     /* one problem ends the workbook: one diagnostic (none for want of memory) */
    w->failed = true;
    va_list ap;
    va_start(ap, fmt);
    tally_emit_atv(&w->r->cfg.sink, NULL, w->r->in->name, NULL, 0, NULL, NULL, TALLY_PATH_NONE,
                   NULL, TALLY_SEV_ERROR, code, fmt, ap);
    va_end(ap);
}

/* Is a libzip error a want of memory (its own, or zlib's Z_MEM_ERROR)? */
static bool is_nomem(zip_error_t *ze)
{
    int code = zip_error_code_zip(ze);
    return code == ZIP_ER_MEMORY || (code == ZIP_ER_ZLIB && zip_error_code_system(ze) == -4);
}

/* After a libzip call on the archive failed: was it for want of memory?
 * (Then w->nomem, and no diagnostic is due: the file may be fine.) */
static bool zip_nomem(struct wb *w)
{
    if (is_nomem(zip_get_error(w->zip)))
        w->nomem = true;
    return w->nomem;
}

static int by_name(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Every entry's name: not too long, no NUL, not a path that climbs out, none twice. */
static int check_entries(struct wb *w, zip_int64_t n, struct tally_error *err)
{
    const char **names = malloc((size_t)(n ? n : 1) * sizeof *names);
    if (!names)
        return tally_error_set(err, TALLY_ENOMEM, "out of memory");
    for (zip_int64_t i = 0; i < n && !w->failed; i++) {
        zip_stat_t st;
        zip_error_clear(w->zip);
        const char *name = zip_get_name(w->zip, (zip_uint64_t)i, ZIP_FL_ENC_RAW);
        if (!name || zip_stat_index(w->zip, (zip_uint64_t)i, ZIP_FL_ENC_RAW, &st) != 0) {
            if (zip_nomem(w))
                break;
            wb_fail(w, TALLY_CODE_FORMAT, "the %s is damaged: entry %lld of its zip cannot be "
                    "read", w->what, (long long)i + 1);
            break;
        }
        if (strlen(name) > WB_MAX_NAME)
            wb_fail(w, TALLY_CODE_LIMIT, "the %s's zip has an entry name longer than %d bytes; "
                    "the file is not read", w->what, WB_MAX_NAME);
        names[i] = name;
    }
    if (!w->failed && n > 1) {
        qsort(names, (size_t)n, sizeof *names, by_name);
        for (zip_int64_t i = 1; i < n; i++)
            if (strcmp(names[i - 1], names[i]) == 0) {
                wb_fail(w, TALLY_CODE_FORMAT, "the %s's zip holds two entries named \"%.200s\": "
                        "which one is read would be a guess; the file is not read", w->what,
                        names[i]);
                break;
            }
    }
    free(names);
    return w->nomem ? tally_error_set(err, TALLY_ENOMEM, "out of memory") : TALLY_OK;
}

int wb_open(struct wb *w, struct tally_reader *r, const char *what,
            const struct wb_limits *limits, struct tally_error *err)
{
    memset(w, 0, sizeof *w);
    w->r = r;
    w->what = what;
    w->limits = limits ? *limits : wb_default_limits;
    struct tally_input *in = r->in;
    while (!in->eof && in->len - in->pos <= WB_MAX_BYTES) {
        int rc = tally_input_fill(in, err);
        if (rc)
            return rc;
    }
    const unsigned char *p = in->buf + in->pos;
    size_t n = in->len - in->pos;
    if (n > WB_MAX_BYTES) {
        wb_fail(w, TALLY_CODE_LIMIT, "the %s is larger than %u MiB; the file is not read", what,
                WB_MAX_BYTES >> 20);
        return TALLY_OK;
    }
    if (n == 0) {
        wb_fail(w, TALLY_CODE_FORMAT, "the file is empty, not an %s", what);
        return TALLY_OK;
    }
    zip_error_t ze;
    zip_error_init(&ze);
    /* libzip 1.7 reports some allocation failures inside zip_open as "not a
     * zip archive": a file that starts as a zip does is asked twice before
     * it is called damaged (a failure that lasts still is). */
    for (int attempt = 0; attempt < 2 && !w->zip; attempt++) {
        if (attempt)
            zip_error_fini(&ze), zip_error_init(&ze);
        if (!(w->src = zip_source_buffer_create(n ? (const void *)p : (const void *)"", n, 0, &ze))) {
            zip_error_fini(&ze);
            return tally_error_set(err, TALLY_ENOMEM, "out of memory");
        }
        w->zip = zip_open_from_source(w->src, ZIP_RDONLY | ZIP_CHECKCONS, &ze);
        if (!w->zip) {
            zip_source_free(w->src);
            w->src = NULL;
        }
        if (!w->zip && (is_nomem(&ze) || n < 4 || memcmp(p, "PK\3\4", 4) != 0))
            break;
    }
    if (!w->zip) {
        int code = zip_error_code_zip(&ze);
        char why[128];
        snprintf(why, sizeof why, "%s", zip_error_strerror(&ze));
        zip_error_fini(&ze);
        if (code == ZIP_ER_MEMORY || (code == ZIP_ER_ZLIB && strstr(why, "memory")))
            return tally_error_set(err, TALLY_ENOMEM, "out of memory");
        if (n >= 4 && memcmp(p, "\xD0\xCF\x11\xE0", 4) == 0)
            wb_fail(w, TALLY_CODE_FORMAT, "the file is not an %s but an older Office file (an "
                    "Excel 97-2003 .xls, or a workbook protected by a password): open it in "
                    "Excel, remove any password, and save it as .xlsx or as CSV UTF-8", what);
        else if (n < 4 || memcmp(p, "PK", 2) != 0)
            wb_fail(w, TALLY_CODE_FORMAT, "the file is not an %s (a workbook is a zip archive, "
                    "and this file is not one); check that it was saved as one", what);
        else if (code == ZIP_ER_EXISTS)
            wb_fail(w, TALLY_CODE_FORMAT, "the %s's zip holds two entries of the same name: "
                    "which one is read would be a guess; the file is not read", what);
        else if (code == ZIP_ER_INCONS)
            wb_fail(w, TALLY_CODE_FORMAT, "the %s is damaged: its zip's directory and entries "
                    "disagree; the file is not read", what);
        else
            wb_fail(w, TALLY_CODE_FORMAT, "the %s is damaged: its zip cannot be read (%s)", what,
                    why);
        return TALLY_OK;
    }
    zip_error_fini(&ze);
    zip_int64_t entries = zip_get_num_entries(w->zip, 0);
    if (entries > 0 && (uint64_t)entries > w->limits.entries) {
        wb_fail(w, TALLY_CODE_LIMIT, "the %s's zip has %lld entries, more than %llu; the file "
                "is not read", what, (long long)entries, (unsigned long long)w->limits.entries);
        return TALLY_OK;
    }
    return check_entries(w, entries < 0 ? 0 : entries, err);
}

void wb_close(struct wb *w)
{
    if (w->zip)
        zip_discard(w->zip);    /* frees the source too */
    else if (w->src)
        zip_source_free(w->src);
    w->zip = NULL;
    w->src = NULL;
}

bool wb_has(struct wb *w, const char *name)
{
    if (!w->zip)
        return false;
    zip_error_clear(w->zip);
    return zip_name_locate(w->zip, name, ZIP_FL_ENC_RAW) >= 0 || (zip_nomem(w), false);
}

/* ---- reading an entry ---------------------------------------------------------------- */

static void stop(struct wb_entry *e, const char *code, const char *why)
{
    if (!e->stop) {
        e->stop = why;
        e->stop_code = code;
    }
}

static bool has_doctype(const char *p, size_t n)
{
    for (const char *q = p; (q = memchr(q, '<', n - (size_t)(q - p))); q++)
        if (n - (size_t)(q - p) >= 9 && memcmp(q, "<!DOCTYPE", 9) == 0)
            return true;
    return false;
}

/* libxml2's input: inflate, count, check the limits, watch for a DOCTYPE. */
static int read_entry(void *ctx, char *buf, int len)
{
    struct wb_entry *e = ctx;
    char words[32];
    if (e->stop)
        return -1;
    zip_int64_t n = zip_fread(e->file, buf, (zip_uint64_t)len);
    if (n < 0 && is_nomem(zip_file_get_error(e->file))) {
        e->nomem = true;
        stop(e, TALLY_CODE_FORMAT, "ran out of memory");
        return -1;
    }
    if (n < 0) {
        stop(e, TALLY_CODE_FORMAT, "cannot be inflated (the zip is damaged or its checksum is wrong)");
        return -1;
    }
    const struct wb_limits *lim = &e->wb->limits;
    e->inflated += (uint64_t)n;
    e->wb->inflated += (uint64_t)n;
    if (e->inflated > lim->entry_bytes) {
        snprintf(e->why, sizeof e->why, "inflates to more than %s",
                 bytes_words(lim->entry_bytes, words, sizeof words));
        stop(e, TALLY_CODE_LIMIT, e->why);
        return -1;
    }
    if (e->wb->inflated > lim->total_bytes) {
        snprintf(e->why, sizeof e->why, "takes the workbook past %s inflated",
                 bytes_words(lim->total_bytes, words, sizeof words));
        stop(e, TALLY_CODE_LIMIT, e->why);
        return -1;
    }
    if (e->inflated > lim->ratio_from && e->inflated / (e->comp_size ? e->comp_size : 1) > lim->ratio) {
        snprintf(e->why, sizeof e->why, "inflates more than %llu times its compressed size (a "
                 "zip bomb?)", (unsigned long long)lim->ratio);
        stop(e, TALLY_CODE_LIMIT, e->why);
        return -1;
    }
    /* A DOCTYPE anywhere, even split across two reads. */
    char edge[16];
    size_t k = e->ncarry, m = n < 8 ? (size_t)n : 8;
    memcpy(edge, e->carry, k);
    memcpy(edge + k, buf, m);
    if (has_doctype(edge, k + m) || has_doctype(buf, (size_t)n)) {
        stop(e, TALLY_CODE_FORMAT, "has a DOCTYPE (tally reads no DTD and expands no entity)");
        return -1;
    }
    if (n >= 8) {
        memcpy(e->carry, buf + n - 8, 8);
        e->ncarry = 8;
    } else {
        size_t keep = k + m < 8 ? k + m : 8;
        memcpy(e->carry, edge + k + m - keep, keep);
        e->ncarry = keep;
    }
    return (int)n;
}

static int close_entry(void *ctx)
{
    (void)ctx;
    return 0;
}

static void on_xml_error(void *ctx, xmlErrorPtr error)
{
    struct wb_entry *e = ctx;
    if (!error || error->level < XML_ERR_ERROR || e->xml_error[0])
        return;
    snprintf(e->xml_error, sizeof e->xml_error, "%s", error->message ? error->message : "error");
    size_t n = strlen(e->xml_error);
    while (n && (e->xml_error[n - 1] == '\n' || e->xml_error[n - 1] == ' '))
        e->xml_error[--n] = '\0';
    e->xml_line = error->line;
}

bool wb_entry_open(struct wb *w, const char *name, const char *part, struct wb_entry *e)
{
    memset(e, 0, sizeof *e);
    e->wb = w;
    e->part = part;
    if (w->failed || w->nomem)
        return false;
    zip_error_clear(w->zip);
    zip_int64_t i = zip_name_locate(w->zip, name, ZIP_FL_ENC_RAW);
    zip_stat_t st;
    if (i < 0 || zip_stat_index(w->zip, (zip_uint64_t)i, 0, &st) != 0) {
        if (zip_nomem(w))
            return false;
        wb_fail(w, TALLY_CODE_FORMAT, "the %s has no %s (zip entry \"%.200s\"): it is damaged, "
                "or not a workbook", w->what, part, name);
        return false;
    }
    if ((st.valid & ZIP_STAT_ENCRYPTION_METHOD) && st.encryption_method != ZIP_EM_NONE) {
        wb_fail(w, TALLY_CODE_FORMAT, "the %s's %s is encrypted: save the workbook without a "
                "password", w->what, part);
        return false;
    }
    if ((st.valid & ZIP_STAT_COMP_METHOD) && st.comp_method != ZIP_CM_STORE &&
        st.comp_method != ZIP_CM_DEFLATE) {
        wb_fail(w, TALLY_CODE_FORMAT, "the %s's %s is compressed with zip method %u, which "
                "workbooks do not use; the file is not read", w->what, part, st.comp_method);
        return false;
    }
    if ((st.valid & ZIP_STAT_SIZE) && st.size > w->limits.entry_bytes) {
        char words[32];
        wb_fail(w, TALLY_CODE_LIMIT, "the %s's %s declares %llu bytes, more than %s; the file "
                "is not read", w->what, part, (unsigned long long)st.size,
                bytes_words(w->limits.entry_bytes, words, sizeof words));
        return false;
    }
    e->comp_size = (st.valid & ZIP_STAT_COMP_SIZE) ? st.comp_size : 0;
    if (!(e->file = zip_fopen_index(w->zip, (zip_uint64_t)i, 0))) {
        if (zip_nomem(w))
            return false;
        wb_fail(w, TALLY_CODE_FORMAT, "the %s's %s cannot be opened: the zip is damaged",
                w->what, part);
        return false;
    }
    e->xml = xmlReaderForIO(read_entry, close_entry, e, NULL, NULL,
                            XML_PARSE_NONET | XML_PARSE_COMPACT | XML_PARSE_NOERROR |
                            XML_PARSE_NOWARNING);
    if (!e->xml) {
        w->nomem = true;    /* libxml2 makes a reader unless memory runs out */
        zip_fclose(e->file);
        e->file = NULL;
        return false;
    }
    xmlTextReaderSetStructuredErrorHandler(e->xml, on_xml_error, e);
    return true;
}

static int xml_step(struct wb_entry *e, bool skip);

int wb_xml_read(struct wb_entry *e)
{
    return xml_step(e, false);
}

int wb_xml_next(struct wb_entry *e)
{
    return xml_step(e, true);
}

long wb_read_small(struct wb *w, const char *name, char *buf, size_t size)
{
    if (!w->zip)
        return -1;
    zip_error_clear(w->zip);
    zip_int64_t i = zip_name_locate(w->zip, name, ZIP_FL_ENC_RAW);
    zip_stat_t st;
    if (i < 0 || zip_stat_index(w->zip, (zip_uint64_t)i, 0, &st) != 0 ||
        ((st.valid & ZIP_STAT_ENCRYPTION_METHOD) && st.encryption_method != ZIP_EM_NONE)) {
        zip_nomem(w);
        return -1;
    }
    zip_file_t *f = zip_fopen_index(w->zip, (zip_uint64_t)i, 0);
    if (!f) {
        zip_nomem(w);
        return -1;
    }
    zip_int64_t n = zip_fread(f, buf, size - 1);
    if (n < 0 && is_nomem(zip_file_get_error(f)))
        w->nomem = true;
    zip_fclose(f);
    if (n < 0)
        return -1;
    buf[n] = '\0';
    return (long)n;
}

static int xml_step(struct wb_entry *e, bool skip)
{
    if (e->wb->failed || e->wb->nomem)
        return -1;
    int rc = skip ? xmlTextReaderNext(e->xml) : xmlTextReaderRead(e->xml);
    if (rc == 1 && xmlTextReaderNodeType(e->xml) == XML_READER_TYPE_DOCUMENT_TYPE)
        stop(e, TALLY_CODE_FORMAT, "has a DOCTYPE (tally reads no DTD and expands no entity)");
    else if (rc >= 0)
        return rc;
    if (e->nomem) {
        e->wb->nomem = true;
        return -1;
    }
    if (e->stop)
        wb_fail(e->wb, e->stop_code, "the %s's %s %s; the file is not read further", e->wb->what,
                e->part, e->stop);
    else if (e->xml_error[0])
        wb_fail(e->wb, TALLY_CODE_FORMAT, "the %s's %s is not well-formed XML (line %d: %s); "
                "the file is not read further", e->wb->what, e->part, e->xml_line, e->xml_error);
    else
        wb_fail(e->wb, TALLY_CODE_FORMAT, "the %s's %s cannot be read; the file is not read "
                "further", e->wb->what, e->part);
    return -1;
}

void wb_entry_close(struct wb_entry *e)
{
    if (e->xml)
        xmlFreeTextReader(e->xml);
    if (e->file)
        zip_fclose(e->file);
    e->xml = NULL;
    e->file = NULL;
}

/* ---- small things ---------------------------------------------------------------------- */

char *wb_attr(xmlTextReaderPtr x, const char *local)
{
    char *value = NULL;
    if (xmlTextReaderMoveToFirstAttribute(x) != 1)
        return NULL;
    do {
        const char *name = (const char *)xmlTextReaderConstLocalName(x);
        if (name && strcmp(name, local) == 0) {
            value = (char *)xmlTextReaderValue(x);
            break;
        }
    } while (xmlTextReaderMoveToNextAttribute(x) == 1);
    xmlTextReaderMoveToElement(x);
    return value;
}

char *wb_resolve(const char *from, const char *target, bool *outside)
{
    size_t fl = strlen(from), tl = strlen(target);
    char *path = malloc(fl + tl + 2);
    *outside = false;
    if (!path)
        return NULL;
    if (target[0] == '/') {
        memcpy(path, target + 1, tl);       /* from the root, NUL included */
    } else {
        const char *slash = strrchr(from, '/');
        size_t dir = slash ? (size_t)(slash - from) + 1 : 0;
        memcpy(path, from, dir);
        memcpy(path + dir, target, tl + 1);
    }
    /* Resolve "." and ".." segments in place; refuse to climb above the root. */
    char *out = path, *seg = path;
    size_t o = 0;
    while (*seg) {
        char *end = strchr(seg, '/');
        size_t n = end ? (size_t)(end - seg) : strlen(seg);
        if ((n == 1 && seg[0] == '.') || n == 0) {
            /* skip */
        } else if (n == 2 && seg[0] == '.' && seg[1] == '.') {
            if (o == 0) {
                free(path);
                *outside = true;
                return NULL;
            }
            while (o > 0 && out[o - 1] != '/')
                o--;
            if (o > 0)
                o--;    /* the slash before the segment dropped */
        } else {
            if (o > 0)
                out[o++] = '/';
            memmove(out + o, seg, n);
            o += n;
        }
        if (!end)
            break;
        seg = end + 1;
    }
    out[o] = '\0';
    if (o == 0) {
        free(path);
        *outside = true;
        return NULL;
    }
    return path;
}

char *wb_sheet_ref(const char *name, bool *too_long)
{
    *too_long = false;
    size_t n = strlen(name);
    bool plain = n > 0 && !(name[0] >= '0' && name[0] <= '9');
    for (size_t i = 0; i < n && plain; i++) {
        char c = name[i];
        plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                c == '_' || c == '.';
    }
    /* A name that reads as a cell ("AB12") must be quoted too. */
    size_t letters = 0;
    while (letters < n && ((name[letters] | 0x20) >= 'a' && (name[letters] | 0x20) <= 'z'))
        letters++;
    bool digits_after = letters < n;
    for (size_t i = letters; i < n; i++)
        digits_after &= name[i] >= '0' && name[i] <= '9';
    if (letters >= 1 && letters <= 3 && digits_after)
        plain = false;
    size_t quotes = 0;
    for (size_t i = 0; i < n; i++)
        quotes += name[i] == '\'';
    size_t len = plain ? n : n + quotes + 2;
    if (len > TALLY_MAX_SHEET_REF) {
        *too_long = true;
        return NULL;
    }
    char *ref = malloc(len + 1), *o = ref;
    if (!ref)
        return NULL;
    if (!plain)
        *o++ = '\'';
    for (size_t i = 0; i < n; i++) {
        if (name[i] == '\'' && !plain)
            *o++ = '\'';
        *o++ = name[i];
    }
    if (!plain)
        *o++ = '\'';
    *o = '\0';
    return ref;
}

void wb_number(const char *text, char *buf, size_t size)
{
    const char *p = text;
    while (*p == ' ')
        p++;
    size_t i = *p == '-' ? 1 : 0, digits = 0;
    while (p[i] >= '0' && p[i] <= '9')
        i++, digits++;
    if (digits && p[i] == '\0') {           /* an integer as written: exact, kept */
        snprintf(buf, size, "%s", p);
        return;
    }
    char *end;
    double d = strtod(p, &end);
    if (end == p || *end != '\0' || d != d) {
        snprintf(buf, size, "%s", text);    /* not a number: as it is */
        return;
    }
    if (d == (double)(long long)d && d > -1e15 && d < 1e15)
        snprintf(buf, size, "%lld", (long long)d);
    else
        snprintf(buf, size, "%.15g", d);
}

/* ---- rows ------------------------------------------------------------------------------ */

void wb_row_start(struct wb_row *row, uint32_t line, size_t width)
{
    tally_arena_reset(&row->arena);
    row->ncells = row->seen = 0;
    row->line = line;
    row->width = width;
    row->errors = 0;
    row->broken = NULL;
    row->extra_col = 0;
}

int wb_row_cell(struct wb_row *row, uint32_t col, const char *text, size_t len, bool bad)
{
    if (col <= row->seen)
        return TALLY_OK;    /* not after the last one: the reader checks order */
    row->seen = col;
    if (col > row->width) {
        if (!row->extra_col)
            row->extra_col = col;
        return TALLY_OK;    /* counted, not kept */
    }
    while (row->ncells < col) {
        if (tally_grow((void **)&row->cells, &row->cap, row->ncells, sizeof *row->cells, 16))
            return TALLY_ENOMEM;
        uint32_t c = (uint32_t)row->ncells + 1;
        row->cells[row->ncells++] = (struct tab_cell){"", 0, {row->line, c, 0}, false};
    }
    char *copy = tally_arena_strndup(&row->arena, text, len);
    if (!copy)
        return TALLY_ENOMEM;
    row->cells[col - 1] = (struct tab_cell){copy, len, {row->line, col, 0}, bad};
    return TALLY_OK;
}

struct tab_row wb_row_view(const struct wb_row *row)
{
    struct tally_loc loc = {row->line, 1, 0};
    struct tab_row v = {
        .cells = row->cells, .ncells = row->ncells, .nseen = row->seen, .loc = loc,
        .end = loc, .extra = {row->line, row->extra_col, 0},
        .errors = row->errors, .broken = row->broken,
    };
    return v;
}

void wb_row_fini(struct wb_row *row)
{
    tally_arena_fini(&row->arena);
    free(row->cells);
    row->cells = NULL;
}
