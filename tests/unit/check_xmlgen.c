/*
 * check_xmlgen.c — the XML reader on generated documents (fixed seeds, a few
 * seconds in all):
 *
 * - positions: every value's line, column and XPath, against positions this
 *   file computes from the text it wrote, in every encoding, with start tags
 *   split across lines and across the pieces given to libxml2 (pieces of 1,
 *   2, 3, 7 bytes, random sizes, the usual size), non-ASCII text, CDATA
 *   sections and unknown elements with non-ASCII names before them;
 * - round trip: the exact values written, whatever legal syntax (white
 *   space, character and entity references, CDATA, comments, processing
 *   instructions, attribute quotes, line breaks) and encoding was used; then
 *   with one byte damaged — a byte that is not allowed in the encoding or in
 *   XML — or the file cut short: every record read without an error has
 *   exactly the values written, never others;
 * - the structure check against libxml2's XSD validator (what `xmllint
 *   --noout --schema schemas/missing-from-care.xsd` runs, in process, and
 *   the xmllint program itself on the first documents): on thousands of
 *   random structures (elements missing, extra, out of order, repeated,
 *   attributes, text where it does not belong), tally finds an error exactly
 *   when the XSD rejects the document with its unknown elements and
 *   attributes taken out, and says nothing exactly when the XSD accepts the
 *   document as it is;
 * - two threads reading two files at once give what each gives alone.
 */
#include <iconv.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <libxml/parser.h>
#include <libxml/xmlschemas.h>

#include "readers/readers.h"
#include "readers/xml.h"
#include "suites.h"
#include "tally/reader.h"
#include "tally/registry.h"
#include "tally/schema.h"
#include "tally/validate.h"

/* ---- small tools ------------------------------------------------------------- */

/* Under valgrind (make check-valgrind: memory errors, not coverage) a tenth
 * of the documents, so that it takes a minute rather than eight. */
static int scaled(int n)
{
    const char *p = getenv("LD_PRELOAD");
    return p && strstr(p, "vgpreload") ? n / 10 : n;
}

static uint64_t rng;

static unsigned rnd(unsigned n)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return n ? (unsigned)(rng % n) : 0;
}

static bool chance(unsigned percent)
{
    return rnd(100) < percent;
}

struct sb {
    char *p;
    size_t n, cap;
};

static void sb_put(struct sb *b, const char *s, size_t n)
{
    if (b->n + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 1024;
        while (cap < b->n + n + 1)
            cap *= 2;
        b->p = realloc(b->p, cap);
        ck_assert_ptr_nonnull(b->p);
        b->cap = cap;
    }
    memcpy(b->p + b->n, s, n);
    b->n += n;
    b->p[b->n] = '\0';
}

static void sb_puts(struct sb *b, const char *s)
{
    sb_put(b, s, strlen(s));
}

static void sb_printf(struct sb *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void sb_printf(struct sb *b, const char *fmt, ...)
{
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    ck_assert_int_lt(n, (int)sizeof buf);
    sb_put(b, buf, (size_t)n);
}

/* Write n bytes to a new temporary file; its path into path (32 bytes). */
static void write_temp(char *path, const char *bytes, size_t n)
{
    strcpy(path, "/tmp/tally-xmlgen-XXXXXX");
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq((long)write(fd, bytes, n), (long)n);
    close(fd);
}

/* The line and column (characters; CR LF, CR and LF each end a line) of
 * byte `at` of UTF-8 text. */
static void line_col(const char *text, size_t at, unsigned *line, unsigned *col)
{
    *line = 1;
    *col = 1;
    for (size_t i = 0; i < at; i++) {
        unsigned char c = (unsigned char)text[i];
        if (c == '\r' && text[i + 1] == '\n')
            continue;
        if (c == '\n' || c == '\r') {
            (*line)++;
            *col = 1;
        } else if ((c & 0xC0) != 0x80) {
            (*col)++;
        }
    }
}

/* ---- encodings --------------------------------------------------------------- */

enum charset { CS_ASCII, CS_LATIN1, CS_CP1252, CS_UNICODE };

struct encoding {
    const char *iconv;          /* for iconv_open */
    const char *declared;       /* in the XML declaration; NULL: none */
    const char *bom;
    size_t bomlen;
    enum charset charset;
};

static const struct encoding encodings[] = {
    {"UTF-8", NULL, "", 0, CS_UNICODE},
    {"UTF-8", "UTF-8", "", 0, CS_UNICODE},
    {"UTF-8", "utf-8", "\xEF\xBB\xBF", 3, CS_UNICODE},
    {"UTF-16LE", NULL, "\xFF\xFE", 2, CS_UNICODE},
    {"UTF-16LE", "UTF-16", "\xFF\xFE", 2, CS_UNICODE},
    {"UTF-16BE", "UTF-16", "\xFE\xFF", 2, CS_UNICODE},
    {"UTF-32LE", "UTF-32", "\xFF\xFE\x00\x00", 4, CS_UNICODE},
    {"ISO-8859-1", "ISO-8859-1", "", 0, CS_LATIN1},
    {"ISO-8859-1", "latin1", "", 0, CS_LATIN1},
    {"WINDOWS-1252", "windows-1252", "", 0, CS_CP1252},
    {"US-ASCII", "US-ASCII", "", 0, CS_ASCII},
};
#define NENC (sizeof encodings / sizeof encodings[0])

/* The code point of the UTF-8 character at s (n bytes into *len). */
static unsigned code_point(const char *s, size_t *len)
{
    const unsigned char *u = (const unsigned char *)s;
    if (u[0] < 0x80) {
        *len = 1;
        return u[0];
    }
    if (u[0] < 0xE0) {
        *len = 2;
        return (u[0] & 0x1Fu) << 6 | (u[1] & 0x3Fu);
    }
    if (u[0] < 0xF0) {
        *len = 3;
        return (u[0] & 0x0Fu) << 12 | (u[1] & 0x3Fu) << 6 | (u[2] & 0x3Fu);
    }
    *len = 4;
    return (u[0] & 0x07u) << 18 | (u[1] & 0x3Fu) << 12 | (u[2] & 0x3Fu) << 6 | (u[3] & 0x3Fu);
}

/* Can the character be written as itself in cs? */
static bool fits(enum charset cs, unsigned cp)
{
    static const unsigned cp1252[] = {0x20AC, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021,
                                      0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0x017D, 0x2018,
                                      0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014, 0x02DC,
                                      0x2122, 0x0161, 0x203A, 0x0153, 0x017E, 0x0178};
    switch (cs) {
    case CS_ASCII:
        return cp < 0x80;
    case CS_LATIN1:
        return cp < 0x100;
    case CS_CP1252:
        if (cp < 0x80 || (cp >= 0xA0 && cp < 0x100))
            return true;
        for (size_t i = 0; i < sizeof cp1252 / sizeof cp1252[0]; i++)
            if (cp1252[i] == cp)
                return true;
        return false;
    default:
        return true;
    }
}

/* The UTF-8 document in encoding e, with its byte order mark. */
static char *encode(const struct encoding *e, const char *utf8, size_t n, size_t *out_len)
{
    size_t cap = e->bomlen + 4 * n + 16;
    char *out = malloc(cap);
    memcpy(out, e->bom, e->bomlen);
    iconv_t cd = iconv_open(e->iconv, "UTF-8");
    ck_assert(cd != (iconv_t)-1);
    char *ip = (char *)utf8, *op = out + e->bomlen;
    size_t il = n, ol = cap - e->bomlen;
    size_t r = iconv(cd, &ip, &il, &op, &ol);
    ck_assert_msg(r != (size_t)-1, "cannot write the document in %s", e->iconv);
    iconv_close(cd);
    *out_len = cap - ol;
    return out;
}

/* ---- generating documents ----------------------------------------------------- */

#define NFIELDS 11
enum { F_CODE, F_NAME, F_START, F_END, F_SUBMITTED, F_COHORT, F_IN_CARE, F_WENT, F_INCIDENTS,
       F_FOUND, F_NOT_FOUND };

struct expect_rec {
    char *values[NFIELDS];      /* expected text (collapsed); NULL: absent */
    size_t at[NFIELDS];         /* byte offset of its element's '<' (or attribute's name) */
    char *paths[NFIELDS];
    size_t rec_at;
};

struct gen {
    struct sb doc;              /* UTF-8 */
    const struct encoding *enc;
    const char *nl;             /* line break: "\n", "\r\n" or "\r" */
    struct expect_rec *recs;
    size_t nrecs;
    bool odd;                   /* unknown elements and attributes were written (warnings) */
};

static const char *const names_pool[] = {
    "Northamptonshire", "Ynys M\xC3\xB4n", "Kent & Medway", "egg\xC3\x85\xC2\xBF",
    "Bro Morgannwg \xE2\x80\x93 Vale", "\xE2\x82\xAC" "uro <city>", "St. Helen's \"town\"",
    "\xE6\x97\xA5\xE6\x9C\xAC\xE8\xAA\x9E", "\xC5\xB4recsam", "smile \xF0\x9F\x98\x80",
    "Ceredigion  and\tco", "a]]>b",
};

static void nl(struct gen *g)
{
    sb_puts(&g->doc, g->nl);
}

/* Legal white space: none, blanks, line breaks. */
static void space(struct gen *g, bool must)
{
    static const char *const sp[] = {" ", "  ", "\t", "\n", "\n  ", " \n\t "};
    unsigned n = must ? 1 + rnd(2) : rnd(3);
    for (unsigned i = 0; i < n; i++) {
        const char *s = sp[rnd(6)];
        for (; *s; s++) {
            if (*s == '\n')
                nl(g);
            else
                sb_put(&g->doc, s, 1);
        }
    }
}

/* Something between elements that is not an element tally knows. */
static void between(struct gen *g, bool unknown_ok)
{
    space(g, false);
    switch (rnd(12)) {
    case 0:
        sb_puts(&g->doc, g->enc->charset == CS_ASCII ? "<!-- note -->" : "<!-- note: Ynys M\xC3\xB4n -->");
        break;
    case 1:
        sb_puts(&g->doc, g->enc->charset == CS_ASCII ? "<?tally-note ok?>" : "<?tally-note v\xC3\xA9rifi\xC3\xA9?>");
        break;
    case 2:
        if (unknown_ok && g->enc->charset != CS_ASCII) {
            sb_puts(&g->doc, "<donn\xC3\xA9" "es a=\"1\">\xC3\xA9t\xC3\xA9<x/></donn\xC3\xA9" "es>");
            g->odd = true;
        }
        break;
    case 3:
        if (unknown_ok) {
            sb_puts(&g->doc, "<notes>checked by <b>J</b></notes>");
            g->odd = true;
        }
        break;
    default:
        break;
    }
    space(g, false);
}

/* One character c (UTF-8, n bytes) of a value as text content, or of an
 * attribute value quoted with q. */
static void put_char(struct gen *g, const char *c, size_t n, char q)
{
    size_t len;
    unsigned cp = code_point(c, &len);
    bool ok = fits(g->enc->charset, cp);
    if (cp == '&')
        sb_puts(&g->doc, chance(50) ? "&amp;" : "&#38;");
    else if (cp == '<')
        sb_puts(&g->doc, chance(50) ? "&lt;" : "&#x3C;");
    else if (cp == '>' && chance(50))
        sb_puts(&g->doc, "&gt;");
    else if (cp == (unsigned char)q)
        sb_puts(&g->doc, q == '"' ? "&quot;" : "&apos;");
    else if (q && (cp == '\t' || cp == '\n'))
        sb_printf(&g->doc, "&#%u;", cp);     /* literal ones would become spaces */
    else if (!ok || chance(8))
        sb_printf(&g->doc, chance(50) ? "&#%u;" : "&#x%X;", cp);
    else
        sb_put(&g->doc, c, n);
}

/* The text of a value, in random legal syntax. */
static void put_text(struct gen *g, const char *v)
{
    if (chance(30))
        space(g, false);
    size_t n = strlen(v);
    bool in_cdata = false;
    for (size_t i = 0; i < n;) {
        size_t len;
        unsigned cp = code_point(v + i, &len);
        bool ok = fits(g->enc->charset, cp);
        if (in_cdata && (!ok || (v[i] == '>' && i >= 2 && v[i - 1] == ']' && v[i - 2] == ']') ||
                         chance(10))) {
            sb_puts(&g->doc, "]]>");
            in_cdata = false;
        } else if (!in_cdata && ok && chance(10)) {
            sb_puts(&g->doc, "<![CDATA[");
            in_cdata = true;
        }
        if (!in_cdata && chance(4)) {
            bool ascii = g->enc->charset == CS_ASCII;
            sb_puts(&g->doc, chance(50) ? (ascii ? "<!--e-->" : "<!--\xC3\xA9-->")
                                        : (ascii ? "<?p e?>" : "<?p \xC3\xA9?>"));
        }
        if (in_cdata)
            sb_put(&g->doc, v + i, len);
        else if (v[i] == '>' && i >= 2 && v[i - 1] == ']' && v[i - 2] == ']')
            sb_puts(&g->doc, "&gt;");   /* "]]>" may not stand in text */
        else
            put_char(g, v + i, len, 0);
        i += len;
    }
    if (in_cdata)
        sb_puts(&g->doc, "]]>");
    if (chance(30))
        space(g, false);
}

/* The XSD's reading of text: white space collapsed. */
static char *collapsed(const char *v)
{
    char *c = malloc(strlen(v) + 1);
    size_t o = 0;
    bool sp = false;
    for (; *v; v++) {
        if (*v == ' ' || *v == '\t' || *v == '\n' || *v == '\r') {
            sp = o > 0;
            continue;
        }
        if (sp)
            c[o++] = ' ';
        sp = false;
        c[o++] = *v;
    }
    c[o] = '\0';
    return c;
}

/* <name>value</name>, expected at field f of rec. */
static void leaf(struct gen *g, struct expect_rec *rec, int f, const char *name, const char *value,
                 const char *scope)
{
    rec->at[f] = g->doc.n;
    rec->values[f] = collapsed(value);
    struct sb p = {0};
    sb_printf(&p, "%s/%s", scope, name);
    rec->paths[f] = p.p;
    sb_printf(&g->doc, "<%s", name);
    space(g, false);
    if (!*value && chance(50)) {
        sb_puts(&g->doc, "/>");
        return;
    }
    sb_puts(&g->doc, ">");
    put_text(g, value);
    sb_printf(&g->doc, "</%s", name);
    if (chance(20))
        space(g, false);
    sb_puts(&g->doc, ">");
}

static void put_attr(struct gen *g, const char *name, const char *value, bool plain)
{
    char q = chance(50) ? '"' : '\'';
    sb_puts(&g->doc, name);
    if (chance(30))
        space(g, false);
    sb_puts(&g->doc, "=");
    if (chance(30))
        space(g, false);
    sb_put(&g->doc, &q, 1);
    if (!plain && chance(20))
        sb_puts(&g->doc, " ");
    for (const char *c = value; *c;) {
        size_t len;
        code_point(c, &len);
        put_char(g, c, len, q);
        c += len;
    }
    if (!plain && chance(20))
        sb_puts(&g->doc, "&#32;");
    sb_put(&g->doc, &q, 1);
}

static char *count_text(void)
{
    static const char *const symbols[] = {"x", "c", "z"};
    char buf[32];
    if (chance(10))
        return strdup(symbols[rnd(3)]);
    snprintf(buf, sizeof buf, "%u", rnd(4) ? rnd(100) : rnd(1000001));
    return strdup(buf);
}

/* A document of random records in random legal syntax and encoding. */
static void generate(struct gen *g)
{
    memset(g, 0, sizeof *g);
    g->enc = &encodings[rnd(NENC)];
    static const char *const nls[] = {"\n", "\r\n", "\r"};
    g->nl = nls[rnd(3)];
    if (g->enc->declared) {
        char q = chance(50) ? '"' : '\'', r = chance(50) ? '"' : '\'';
        sb_printf(&g->doc, "<?xml version=%c1.0%c%sencoding=%c%s%c%s?>", q, q,
                  chance(30) ? "\t" : " ", r, g->enc->declared, r, chance(30) ? " " : "");
        nl(g);
    } else if (chance(50)) {
        sb_puts(&g->doc, "<?xml version=\"1.0\"?>");
        nl(g);
    }
    between(g, false);
    bool single = chance(20);
    unsigned nsub = single ? 1 : 1 + rnd(3);
    if (!single) {
        sb_puts(&g->doc, "<returns");
        if (chance(30)) {
            space(g, true);
            put_attr(g, "xmlns:xsi", "http://www.w3.org/2001/XMLSchema-instance", true);
            space(g, true);
            put_attr(g, "xsi:noNamespaceSchemaLocation", "missing-from-care.xsd", false);
        }
        space(g, false);
        sb_puts(&g->doc, ">");
    }
    for (unsigned s = 0; s < nsub; s++) {
        between(g, !single);
        char scope[64];
        if (single)
            snprintf(scope, sizeof scope, "/return");
        else
            snprintf(scope, sizeof scope, "/returns/return[%u]", s + 1);
        sb_puts(&g->doc, "<return");
        space(g, false);
        sb_puts(&g->doc, ">");
        struct expect_rec sub = {0};
        char as[96], ps[96];
        snprintf(as, sizeof as, "%s/authority", scope);
        snprintf(ps, sizeof ps, "%s/period", scope);
        between(g, true);
        sb_puts(&g->doc, "<authority>");
        between(g, true);
        leaf(g, &sub, F_CODE, "code", chance(80) ? "E10000021" : "W06000001", as);
        if (chance(70)) {
            between(g, true);
            leaf(g, &sub, F_NAME, "name", chance(10) ? "" : names_pool[rnd(sizeof names_pool / sizeof names_pool[0])], as);
        }
        between(g, true);
        sb_puts(&g->doc, "</authority>");
        between(g, true);
        sb_puts(&g->doc, "<period>");
        leaf(g, &sub, F_START, "start", "2014-10-01", ps);
        between(g, true);
        leaf(g, &sub, F_END, "end", "2015-09-30", ps);
        sb_puts(&g->doc, "</period>");
        if (chance(50)) {
            between(g, true);
            leaf(g, &sub, F_SUBMITTED, "submitted", "2015-11-02T10:00:00Z", scope);
        }
        unsigned ncoh = 1 + rnd(4);
        for (unsigned c = 0; c < ncoh; c++) {
            between(g, true);
            struct expect_rec *rec;
            g->recs = realloc(g->recs, (g->nrecs + 1) * sizeof *g->recs);
            rec = &g->recs[g->nrecs++];
            memset(rec, 0, sizeof *rec);
            for (int f = 0; f < F_COHORT; f++) {
                rec->values[f] = sub.values[f] ? strdup(sub.values[f]) : NULL;
                rec->paths[f] = sub.paths[f] ? strdup(sub.paths[f]) : NULL;
                rec->at[f] = sub.at[f];
            }
            char cs[128];
            snprintf(cs, sizeof cs, "%s/cohort[%u]", scope, c + 1);
            rec->rec_at = g->doc.n;
            sb_puts(&g->doc, "<cohort");
            space(g, true);
            rec->at[F_COHORT] = g->doc.n;
            const char *type = chance(50) ? "uasc" : "trafficked";
            rec->values[F_COHORT] = strdup(type);
            struct sb p = {0};
            sb_printf(&p, "%s/@type", cs);
            rec->paths[F_COHORT] = p.p;
            put_attr(g, "type", type, false);
            if (chance(20)) {
                space(g, true);
                put_attr(g, "note", "x", false);
                g->odd = true;
            }
            space(g, false);
            sb_puts(&g->doc, ">");
            static const char *const counts[] = {"in_care", "went_missing", "missing_incidents",
                                                 "found", "not_found"};
            for (int k = 0; k < 5; k++) {
                between(g, true);
                char *v = count_text();
                leaf(g, rec, F_IN_CARE + k, counts[k], v, cs);
                free(v);
            }
            between(g, true);
            sb_puts(&g->doc, "</cohort");
            space(g, false);
            sb_puts(&g->doc, ">");
        }
        for (int f = 0; f < NFIELDS; f++) {
            free(sub.values[f]);
            free(sub.paths[f]);
        }
        between(g, true);
        sb_puts(&g->doc, "</return>");
    }
    between(g, !single);
    if (!single)
        sb_puts(&g->doc, "</returns>");
    between(g, false);
    nl(g);
}

static void gen_free(struct gen *g)
{
    for (size_t i = 0; i < g->nrecs; i++)
        for (int f = 0; f < NFIELDS; f++) {
            free(g->recs[i].values[f]);
            free(g->recs[i].paths[f]);
        }
    free(g->recs);
    free(g->doc.p);
}

/* ---- reading ----------------------------------------------------------------- */

struct got {
    size_t errors, warnings;
    struct sb diags;            /* every diagnostic, for failure messages */
};

static void got_diag(void *ctx, const struct tally_diag *d)
{
    struct got *g = ctx;
    if (d->severity == TALLY_SEV_ERROR)
        g->errors++;
    else if (d->severity == TALLY_SEV_WARNING)
        g->warnings++;
    sb_printf(&g->diags, "\n  %u:%u %s %.200s", d->line, d->column, d->code, d->message);
}

typedef void (*on_record)(void *ctx, const struct tally_record *rec);

/* Read bytes (n) with the XML reader in pieces of `piece` bytes (seed: random
 * sizes); each record to fn. Returns the reader's last status. */
static int read_doc(const struct tally_schema *schema, const char *bytes, size_t n, size_t piece,
                    unsigned seed, struct got *got, on_record fn, void *ctx, uint64_t *fallbacks)
{
    char path[32];
    write_temp(path, bytes, n);
    struct tally_error err;
    struct tally_input in;
    ck_assert_int_eq(tally_input_open(&in, path, &err), TALLY_OK);
    struct tally_reader_config cfg = {.schema = schema, .sink = {got_diag, got}};
    struct tally_reader *rd;
    ck_assert_int_eq(tally_xml_open_with(&rd, &in, &cfg, piece, seed, &err), TALLY_OK);
    struct tally_record *rec;
    int rc;
    while ((rc = rd->ops->next(rd, &rec, &err)) == TALLY_RECORD)
        fn(ctx, rec);
    if (fallbacks)
        *fallbacks = tally_xml_position_fallbacks(rd);
    rd->ops->close(rd);
    tally_input_close(&in);
    unlink(path);
    return rc;
}

/* ---- positions and values --------------------------------------------------------- */

struct check {
    const struct gen *g;
    size_t next;                /* the record expected next */
    const char *how;            /* for failure messages */
    bool positions;             /* compare positions and paths too */
    bool damaged;               /* only records without errors must match */
    size_t matched;
};

static void check_record(void *ctx, const struct tally_record *rec)
{
    struct check *c = ctx;
    size_t i = c->next++;
    if (c->damaged && (rec->errors || rec->inherited))
        return;
    ck_assert_msg(i < c->g->nrecs, "%s: more records than written", c->how);
    const struct expect_rec *e = &c->g->recs[i];
    ck_assert_uint_eq(rec->index, i + 1);
    for (int f = 0; f < NFIELDS; f++) {
        const struct tally_field *fl = &rec->fields[f];
        if (!e->values[f]) {
            ck_assert_msg(fl->text == NULL, "%s: record %zu field %d: \"%s\", none was written",
                          c->how, i + 1, f, fl->text);
            continue;
        }
        ck_assert_msg(fl->text != NULL, "%s: record %zu field %d absent, \"%s\" was written",
                      c->how, i + 1, f, e->values[f]);
        ck_assert_msg(strcmp(fl->text, e->values[f]) == 0,
                      "%s: record %zu field %d: read \"%s\", written \"%s\"", c->how, i + 1, f,
                      fl->text, e->values[f]);
        ck_assert_uint_eq(fl->len, strlen(e->values[f]));
        if (!c->positions)
            continue;
        unsigned line, col;
        line_col(c->g->doc.p, e->at[f], &line, &col);
        ck_assert_msg(fl->loc.line == line && fl->loc.column == col,
                      "%s: record %zu field %d at %u:%u, expected %u:%u", c->how, i + 1, f,
                      fl->loc.line, fl->loc.column, line, col);
        ck_assert_str_eq(fl->path, e->paths[f]);
    }
    if (c->positions) {
        unsigned line, col;
        line_col(c->g->doc.p, e->rec_at, &line, &col);
        ck_assert_msg(rec->loc.line == line && rec->loc.column == col,
                      "%s: record %zu at %u:%u, expected %u:%u", c->how, i + 1, rec->loc.line,
                      rec->loc.column, line, col);
    }
    c->matched++;
}

/* Generated documents, every value and position, in pieces of every size. */
START_TEST(test_positions_and_values)
{
    struct tally_error err;
    struct tally_schema *schema = tally_schema_load_default(&err);
    ck_assert_ptr_nonnull(schema);
    rng = 0x9E3779B97F4A7C15ULL;
    size_t docs = 0, values = 0;
    int ndocs = scaled(400);
    for (int t = 0; t < ndocs; t++) {
        struct gen g;
        generate(&g);
        size_t n;
        char *bytes = encode(g.enc, g.doc.p, g.doc.n, &n);
        static const size_t pieces[] = {1, 2, 3, 7, 64, 0};
        for (size_t k = 0; k < 7; k++) {
            size_t piece = k < 6 ? pieces[k] : 300;
            unsigned seed = k == 6 ? 1 + (unsigned)t : 0;
            if ((piece == 1 || piece == 2) && t % 8)
                continue;       /* the slowest, on some documents */
            char how[160];
            snprintf(how, sizeof how, "document %d (%s%s%s, line breaks %s), pieces %s%zu", t,
                     g.enc->iconv, g.enc->declared ? " declared " : "",
                     g.enc->declared ? g.enc->declared : "", g.nl[0] == '\r' ?
                     (g.nl[1] ? "CR LF" : "CR") : "LF", seed ? "up to " : "", piece);
            struct got got = {0};
            struct check c = {&g, 0, how, true, false, 0};
            uint64_t fallbacks = 1;
            int rc = read_doc(schema, bytes, n, piece, seed, &got, check_record, &c, &fallbacks);
            ck_assert_msg(rc == TALLY_DONE, "%s: status %d", how, rc);
            ck_assert_msg(got.errors == 0, "%s: errors:%s\n%s", how, got.diags.p, g.doc.p);
            ck_assert_msg(g.odd || got.warnings == 0, "%s: warnings:%s", how, got.diags.p);
            ck_assert_msg(c.next == g.nrecs, "%s: %zu records, %zu written", how, c.next, g.nrecs);
            ck_assert_msg(fallbacks == 0, "%s: %llu positions not found by looking back in:\n%s",
                          how, (unsigned long long)fallbacks, g.doc.p);
            values += c.matched * NFIELDS;
            free(got.diags.p);
        }
        docs++;
        free(bytes);
        gen_free(&g);
    }
    ck_assert_uint_eq(docs, (size_t)ndocs);
    ck_assert_uint_gt(values, (size_t)ndocs * 25);
    tally_schema_free(schema);
}
END_TEST

/* ---- damage ------------------------------------------------------------------ */

/* Each document, damaged: a byte no encoding or XML allows where it lands
 * (a C0 control character; in UTF-16 and UTF-32 as a whole code unit, or a
 * lone surrogate; a byte invalid in UTF-8 or windows-1252), or the file cut
 * short. Every record read without an error has exactly the values written. */
START_TEST(test_damage_never_changes_values)
{
    struct tally_error err;
    struct tally_schema *schema = tally_schema_load_default(&err);
    rng = 0xD1B54A32D192ED03ULL;
    size_t damaged = 0, caught = 0, kept = 0;
    int ndocs = scaled(250);
    for (int t = 0; t < ndocs; t++) {
        struct gen g;
        generate(&g);
        size_t n;
        char *bytes = encode(g.enc, g.doc.p, g.doc.n, &n);
        for (int d = 0; d < 8; d++) {
            char *b = malloc(n + 8);
            size_t m = n, at = g.enc->bomlen + rnd((unsigned)(n - g.enc->bomlen));
            size_t unit = strncmp(g.enc->iconv, "UTF-16", 6) == 0 ? 2
                          : strncmp(g.enc->iconv, "UTF-32", 6) == 0 ? 4 : 1;
            at -= (at - g.enc->bomlen) % unit;
            memcpy(b, bytes, n);
            int kind = rnd(4);
            if (kind == 0) {
                m = at;     /* cut short */
            } else {
                unsigned char bad[4] = {0};
                static const unsigned char controls[] = {1, 2, 8, 0x0B, 0x0C, 0x0E, 0x1B, 0x1F};
                unsigned char c = controls[rnd(8)];
                if (unit == 1) {
                    bad[0] = kind == 3 ? (g.enc->charset == CS_CP1252 ? 0x81
                                          : g.enc->charset == CS_UNICODE ? 0xFF : c) : c;
                } else if (unit == 2) {
                    bool be = strcmp(g.enc->iconv, "UTF-16BE") == 0;
                    unsigned v = kind == 3 ? 0xDC00 + rnd(0x400) : c;
                    bad[be ? 0 : 1] = (unsigned char)(v >> 8);
                    bad[be ? 1 : 0] = (unsigned char)v;
                } else {
                    bad[0] = c;
                }
                if (kind == 1) {    /* inserted */
                    memmove(b + at + unit, b + at, n - at);
                    memcpy(b + at, bad, unit);
                    m = n + unit;
                } else {            /* in place of what was there */
                    memcpy(b + at, bad, unit);
                }
            }
            char how[128];
            snprintf(how, sizeof how, "document %d (%s), damage %d at byte %zu", t, g.enc->iconv,
                     kind, at);
            struct got got = {0};
            struct check c = {&g, 0, how, false, true, 0};
            read_doc(schema, b, m, 0, (unsigned)(t * 8 + d + 1) % 5 ? 0 : 7, &got, check_record, &c,
                     NULL);
            damaged++;
            if (got.errors) {
                caught++;
            } else {
                /* No error: the damage fell where the file may end (after
                 * the root): everything written is read. */
                ck_assert_msg(kind == 0, "%s: no error:%s", how, got.diags.p);
                ck_assert_msg(c.next == g.nrecs, "%s: no error but %zu of %zu records", how,
                              c.next, g.nrecs);
            }
            kept += c.matched;
            free(got.diags.p);
            free(b);
        }
        free(bytes);
        gen_free(&g);
    }
    ck_assert_uint_eq(damaged, (size_t)ndocs * 8);
    ck_assert_uint_gt(caught, (size_t)ndocs * 8 * 9 / 10);
    ck_assert_uint_gt(kept, (size_t)ndocs / 3);   /* records before the damage are read, and checked */
    tally_schema_free(schema);
}
END_TEST

/* ---- the structure check against the XSD -------------------------------------------- */

/* The XSD's content model, written out by hand from schemas/missing-from-care.xsd. */
static const struct {
    const char *name;
    const char *kids[6];        /* NULL-ended; none: a value */
    const char *attr;
} model[] = {
    {"returns", {"return", NULL}, NULL},
    {"return", {"authority", "period", "submitted", "cohort", NULL}, NULL},
    {"authority", {"code", "name", NULL}, NULL},
    {"period", {"start", "end", NULL}, NULL},
    {"cohort", {"in_care", "went_missing", "missing_incidents", "found", "not_found", NULL}, "type"},
};

static int model_of(const char *name)
{
    for (size_t i = 0; i < sizeof model / sizeof model[0]; i++)
        if (strcmp(model[i].name, name) == 0)
            return (int)i;
    return -1;
}

struct node {
    char *name;                 /* NULL: text */
    char *text;                 /* text, or NULL */
    bool cdata;
    char *attrs[4][2];
    int nattrs;
    struct node **kids;
    int nkids;
};

static struct node *new_el(const char *name)
{
    struct node *n = calloc(1, sizeof *n);
    n->name = strdup(name);
    return n;
}

static struct node *new_text(const char *text, bool cdata)
{
    struct node *n = calloc(1, sizeof *n);
    n->text = strdup(text);
    n->cdata = cdata;
    return n;
}

static void add(struct node *p, struct node *k, int at)
{
    p->kids = realloc(p->kids, (size_t)(p->nkids + 1) * sizeof *p->kids);
    if (at < 0 || at > p->nkids)
        at = p->nkids;
    memmove(p->kids + at + 1, p->kids + at, (size_t)(p->nkids - at) * sizeof *p->kids);
    p->kids[at] = k;
    p->nkids++;
}

static struct node *leaf_node(const char *name, const char *text)
{
    struct node *n = new_el(name);
    add(n, new_text(text, false), -1);
    return n;
}

static void free_node(struct node *n)
{
    for (int i = 0; i < n->nkids; i++)
        free_node(n->kids[i]);
    for (int i = 0; i < n->nattrs; i++) {
        free(n->attrs[i][0]);
        free(n->attrs[i][1]);
    }
    free(n->kids);
    free(n->name);
    free(n->text);
    free(n);
}

static struct node *copy_node(const struct node *n)
{
    struct node *c = n->name ? new_el(n->name) : new_text(n->text, n->cdata);
    for (int i = 0; i < n->nattrs; i++) {
        c->attrs[i][0] = strdup(n->attrs[i][0]);
        c->attrs[i][1] = strdup(n->attrs[i][1]);
    }
    c->nattrs = n->nattrs;
    for (int i = 0; i < n->nkids; i++)
        add(c, copy_node(n->kids[i]), -1);
    return c;
}

static void set_attr(struct node *n, const char *name, const char *value)
{
    if (n->nattrs == 4)
        return;
    for (int i = 0; i < n->nattrs; i++)
        if (strcmp(n->attrs[i][0], name) == 0)
            return;
    n->attrs[n->nattrs][0] = strdup(name);
    n->attrs[n->nattrs][1] = strdup(value);
    n->nattrs++;
}

/* A valid return: every value valid, the same counts for every cohort of a type. */
static struct node *valid_return(void)
{
    struct node *r = new_el("return");
    struct node *a = new_el("authority");
    add(a, leaf_node("code", "E10000021"), -1);
    if (chance(50))
        add(a, leaf_node("name", "Northamptonshire"), -1);
    add(r, a, -1);
    struct node *p = new_el("period");
    add(p, leaf_node("start", "2014-10-01"), -1);
    add(p, leaf_node("end", "2015-09-30"), -1);
    add(r, p, -1);
    if (chance(50))
        add(r, leaf_node("submitted", "2015-11-02T10:00:00Z"), -1);
    for (int i = 1 + (int)rnd(2); i > 0; i--) {
        struct node *c = new_el("cohort");
        set_attr(c, "type", chance(50) ? "uasc" : "trafficked");
        add(c, leaf_node("in_care", "5"), -1);
        add(c, leaf_node("went_missing", "1"), -1);
        add(c, leaf_node("missing_incidents", "1"), -1);
        add(c, leaf_node("found", "1"), -1);
        add(c, leaf_node("not_found", "0"), -1);
        add(r, c, -1);
    }
    return r;
}

/* Every element of the tree, in document order. */
static void elements(struct node *n, struct node *parent, struct node ***all, struct node ***parents,
                     int *count)
{
    if (!n->name)
        return;
    *all = realloc(*all, (size_t)(*count + 1) * sizeof **all);
    *parents = realloc(*parents, (size_t)(*count + 1) * sizeof **parents);
    (*all)[*count] = n;
    (*parents)[(*count)++] = parent;
    for (int i = 0; i < n->nkids; i++)
        elements(n->kids[i], n, all, parents, count);
}

static int index_in(const struct node *p, const struct node *k)
{
    for (int i = 0; i < p->nkids; i++)
        if (p->kids[i] == k)
            return i;
    return -1;
}

/* One random change to the structure. */
static void mutate(struct node **root)
{
    struct node **all = NULL, **parents = NULL;
    int count = 0;
    elements(*root, NULL, &all, &parents, &count);
    int i = (int)rnd((unsigned)count);
    struct node *n = all[i], *p = parents[i];
    static const char *const unknown[] = {"notes", "extra", "donn\xC3\xA9" "es", "return", "code",
                                          "cohort", "found", "authority"};
    switch (rnd(16)) {
    case 0: /* an element taken out */
        if (p) {
            int k = index_in(p, n);
            memmove(p->kids + k, p->kids + k + 1, (size_t)(p->nkids - k - 1) * sizeof *p->kids);
            p->nkids--;
            free_node(n);
        }
        break;
    case 1: /* an element twice */
        if (p)
            add(p, copy_node(n), index_in(p, n) + 1);
        break;
    case 2: /* two neighbours swapped */
        if (p && p->nkids > 1) {
            int k = (int)rnd((unsigned)p->nkids - 1);
            struct node *t = p->kids[k];
            p->kids[k] = p->kids[k + 1];
            p->kids[k + 1] = t;
        }
        break;
    case 3:
    case 4: { /* an element where it is not known (with something in it) */
        struct node *u = new_el(unknown[rnd(sizeof unknown / sizeof unknown[0])]);
        if (chance(50))
            add(u, leaf_node("in_care", "x"), -1);
        if (chance(50))
            add(u, new_text("text", false), -1);
        if (chance(30))
            set_attr(u, "a", "1");
        add(n, u, (int)rnd((unsigned)n->nkids + 1));
        break;
    }
    case 5: /* text between elements, or in a value */
        add(n, new_text(chance(50) ? "stray" : chance(50) ? " \n " : "&#160;", false),
            (int)rnd((unsigned)n->nkids + 1));
        break;
    case 6: /* a CDATA section */
        add(n, new_text(chance(50) ? " " : "", true), (int)rnd((unsigned)n->nkids + 1));
        break;
    case 7: /* an unknown attribute */
        set_attr(n, chance(50) ? "note" : "xml:lang", "en");
        break;
    case 8: /* the record's type taken out */
        if (strcmp(n->name, "cohort") == 0 && n->nattrs) {
            free(n->attrs[0][0]);
            free(n->attrs[0][1]);
            n->nattrs--;
            memmove(n->attrs, n->attrs + 1, (size_t)n->nattrs * sizeof n->attrs[0]);
        }
        break;
    case 9: /* a value emptied */
        if (model_of(n->name) < 0) {
            for (int k = 0; k < n->nkids; k++)
                free_node(n->kids[k]);
            n->nkids = 0;
        }
        break;
    case 10: /* another root */
        if (chance(20)) {
            free((*root)->name);
            (*root)->name = strdup(chance(50) ? "submissions" : "cohort");
        }
        break;
    case 11: /* every record of a return taken out */
        if (strcmp(n->name, "return") == 0)
            for (int k = n->nkids - 1; k >= 0; k--)
                if (n->kids[k]->name && strcmp(n->kids[k]->name, "cohort") == 0) {
                    free_node(n->kids[k]);
                    memmove(n->kids + k, n->kids + k + 1,
                            (size_t)(n->nkids - k - 1) * sizeof *n->kids);
                    n->nkids--;
                }
        break;
    case 12: /* a known element in a namespace */
        if (p) {
            struct node *u = leaf_node(chance(50) ? "x:found" : "x:code", "1");
            set_attr(u, "xmlns:x", "urn:x");
            add(n, u, (int)rnd((unsigned)n->nkids + 1));
        }
        break;
    case 13: /* where the XSD is: allowed */
        set_attr(*root, "xmlns:xsi", "http://www.w3.org/2001/XMLSchema-instance");
        set_attr(*root, "xsi:noNamespaceSchemaLocation", "missing-from-care.xsd");
        break;
    case 14: /* an element moved to the front of its parent */
        if (p) {
            int k = index_in(p, n);
            memmove(p->kids + 1, p->kids, (size_t)k * sizeof *p->kids);
            p->kids[0] = n;
        }
        break;
    default: /* white space */
        add(n, new_text("\n  ", false), (int)rnd((unsigned)n->nkids + 1));
        break;
    }
    free(all);
    free(parents);
}

static void put_escaped(struct sb *b, const char *s)
{
    for (; *s; s++) {
        if (*s == '<')
            sb_puts(b, "&lt;");
        else if (*s == '&' && strncmp(s, "&#160;", 6) != 0)
            sb_puts(b, "&amp;");
        else if (*s == '"')
            sb_puts(b, "&quot;");
        else
            sb_put(b, s, 1);
    }
}

static void serialize(const struct node *n, struct sb *b)
{
    if (!n->name) {
        if (n->cdata) {
            sb_printf(b, "<![CDATA[%s]]>", n->text);
            return;
        }
        put_escaped(b, n->text);
        return;
    }
    sb_printf(b, "<%s", n->name);
    for (int i = 0; i < n->nattrs; i++) {
        sb_printf(b, " %s=\"", n->attrs[i][0]);
        put_escaped(b, n->attrs[i][1]);
        sb_puts(b, "\"");
    }
    if (!n->nkids) {
        sb_puts(b, "/>");
        return;
    }
    sb_puts(b, ">");
    for (int i = 0; i < n->nkids; i++)
        serialize(n->kids[i], b);
    sb_printf(b, "</%s>", n->name);
}

/* The document as the XSD would see it with what tally skips taken out:
 * elements a container does not know (without a namespace prefix, or with
 * one and an unknown name) and attributes an element does not declare. */
static bool strip(struct node *n)
{
    bool any = false;
    int m = model_of(n->name);
    for (int i = n->nattrs - 1; i >= 0; i--) {
        const char *a = n->attrs[i][0];
        bool known = (m >= 0 && model[m].attr && strcmp(a, model[m].attr) == 0) ||
                     strncmp(a, "xmlns", 5) == 0 || strncmp(a, "xsi:", 4) == 0;
        if (!known) {
            free(n->attrs[i][0]);
            free(n->attrs[i][1]);
            memmove(n->attrs + i, n->attrs + i + 1, (size_t)(n->nattrs - i - 1) * sizeof n->attrs[0]);
            n->nattrs--;
            any = true;
        }
    }
    if (m < 0)
        return any;     /* a value: an element in it is an error, not skipped */
    for (int i = n->nkids - 1; i >= 0; i--) {
        struct node *k = n->kids[i];
        if (!k->name)
            continue;
        const char *local = strchr(k->name, ':') ? strchr(k->name, ':') + 1 : k->name;
        bool known = false;
        for (int j = 0; model[m].kids[j]; j++)
            known |= strcmp(model[m].kids[j], local) == 0;
        if (!known) {
            free_node(k);
            memmove(n->kids + i, n->kids + i + 1, (size_t)(n->nkids - i - 1) * sizeof *n->kids);
            n->nkids--;
            any = true;
            continue;
        }
        any |= strip(k);
    }
    return any;
}

static xmlSchemaPtr compile_xsd(void)
{
    xmlSchemaParserCtxtPtr pc = xmlSchemaNewParserCtxt("schemas/missing-from-care.xsd");
    ck_assert_ptr_nonnull(pc);
    xmlSchemaPtr xsd = xmlSchemaParse(pc);
    xmlSchemaFreeParserCtxt(pc);
    ck_assert_ptr_nonnull(xsd);
    return xsd;
}

static void quiet(void *ctx, xmlErrorPtr e)
{
    (void)ctx;
    (void)e;
}

/* libxml2's XSD validator on text: 1 valid, 0 not (or not well-formed). */
static int xsd_valid(xmlSchemaPtr xsd, const char *text)
{
    xmlDocPtr doc = xmlReadMemory(text, (int)strlen(text), "doc.xml", NULL,
                                  XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
    if (!doc)
        return 0;
    xmlSchemaValidCtxtPtr v = xmlSchemaNewValidCtxt(xsd);
    xmlSchemaSetValidStructuredErrors(v, (xmlStructuredErrorFunc)quiet, NULL);
    int rc = xmlSchemaValidateDoc(v, doc);
    xmlSchemaFreeValidCtxt(v);
    xmlFreeDoc(doc);
    return rc == 0;
}

/* The xmllint program on text: 1 valid, 0 not. */
static int xmllint_valid(const char *text)
{
    char path[32], cmd[160];
    write_temp(path, text, strlen(text));
    snprintf(cmd, sizeof cmd, "xmllint --noout --schema schemas/missing-from-care.xsd %s "
             ">/dev/null 2>&1", path);
    int rc = system(cmd);
    unlink(path);
    ck_assert_msg(rc != -1 && WIFEXITED(rc), "cannot run xmllint");
    return WEXITSTATUS(rc) == 0;
}

struct verdict {
    size_t errors, warnings, records;
    struct sb diags;
};

static void verdict_diag(void *ctx, const struct tally_diag *d)
{
    struct verdict *v = ctx;
    /* Warnings about the file having no records, or about a name the
     * registry spells otherwise, are not about the structure. */
    if (d->severity == TALLY_SEV_ERROR)
        v->errors++;
    else if (d->severity == TALLY_SEV_WARNING && strcmp(d->code, "format") != 0 &&
             strcmp(d->code, "authority-name") != 0)
        v->warnings++;
    sb_printf(&v->diags, "\n  %u:%u %s[%s] %.300s", d->line, d->column,
              d->severity == TALLY_SEV_ERROR ? "error" : "warning", d->code, d->message);
}

/* tally validate on text, without the check for repeated keys. */
static void tally_verdict(const struct tally_schema *schema, const struct tally_registry *reg,
                          const char *text, struct verdict *v)
{
    memset(v, 0, sizeof *v);
    char path[32];
    write_temp(path, text, strlen(text));
    struct tally_error err;
    struct tally_diag_sink sink = {verdict_diag, v};
    struct tally_validator_options vo = {0};
    struct tally_validator *val = tally_validator_new(schema, reg, &vo, sink, &err);
    ck_assert_ptr_nonnull(val);
    struct tally_input in;
    ck_assert_int_eq(tally_input_open(&in, path, &err), TALLY_OK);
    struct tally_reader_config cfg = {.schema = schema, .sink = sink};
    struct tally_reader *rd;
    ck_assert_int_eq(tally_xml_reader.open(&rd, &in, &cfg, &err), TALLY_OK);
    struct tally_record *rec;
    while (rd->ops->next(rd, &rec, &err) == TALLY_RECORD) {
        ck_assert_int_eq(tally_validator_check(val, rec, &err), TALLY_OK);
        v->records++;
    }
    rd->ops->close(rd);
    tally_input_close(&in);
    tally_validator_free(val);
    unlink(path);
}

START_TEST(test_structure_agrees_with_xsd)
{
    struct tally_error err;
    struct tally_schema *schema = tally_schema_load_default(&err);
    struct tally_registry *reg = tally_registry_load_default(&err);
    xmlSchemaPtr xsd = compile_xsd();
    rng = 0x2545F4914F6CDD1DULL;
    size_t valid = 0, invalid = 0, warned = 0, lint = 0;
    int ndocs = scaled(3000), nlint = scaled(120);
    for (int t = 0; t < ndocs; t++) {
        struct node *root;
        if (chance(25)) {
            root = valid_return();
        } else {
            root = new_el("returns");
            for (int i = (int)rnd(3); i >= 0; i--)
                add(root, valid_return(), -1);
        }
        for (int i = (int)rnd(4); i > 0; i--)
            mutate(&root);
        struct sb doc = {0}, stripped = {0};
        serialize(root, &doc);
        struct node *s = copy_node(root);
        bool any = strip(s);
        serialize(s, &stripped);
        int as_is = xsd_valid(xsd, doc.p), without = xsd_valid(xsd, stripped.p);
        if (t < nlint) {
            ck_assert_msg(xmllint_valid(doc.p) == as_is, "xmllint disagrees with libxml2 on %s",
                          doc.p);
            ck_assert_msg(xmllint_valid(stripped.p) == without,
                          "xmllint disagrees with libxml2 on %s", stripped.p);
            lint++;
        }
        struct verdict v;
        tally_verdict(schema, reg, doc.p, &v);
        ck_assert_msg((v.errors == 0) == (without == 1),
                      "document %d: tally %s errors, the XSD %s it without what tally skips:\n%s\n"
                      "without: %s\ntally:%s", t, v.errors ? "finds" : "finds no",
                      without ? "accepts" : "rejects", doc.p, stripped.p, v.diags.p);
        ck_assert_msg((v.errors == 0 && v.warnings == 0) == (as_is == 1),
                      "document %d: tally %s, the XSD %s it:\n%s\ntally:%s", t,
                      v.errors || v.warnings ? "complains" : "is silent",
                      as_is ? "accepts" : "rejects", doc.p, v.diags.p);
        ck_assert_msg(v.errors || (v.warnings > 0) == any,
                      "document %d: %zu warnings, %s skipped:\n%s\ntally:%s", t, v.warnings,
                      any ? "something" : "nothing", doc.p, v.diags.p);
        valid += without == 1;
        invalid += without != 1;
        warned += v.warnings > 0;
        free(v.diags.p);
        free(doc.p);
        free(stripped.p);
        free_node(s);
        free_node(root);
    }
    /* The generator reaches both verdicts, and warnings, often. */
    ck_assert_uint_gt(valid, (size_t)ndocs / 5);
    ck_assert_uint_gt(invalid, (size_t)ndocs / 3);
    ck_assert_uint_gt(warned, (size_t)ndocs / 10);
    ck_assert_uint_eq(lint, (size_t)nlint);
    xmlSchemaFree(xsd);
    tally_registry_free(reg);
    tally_schema_free(schema);
}
END_TEST

/* ---- two threads ---------------------------------------------------------------- */

struct job {
    const struct tally_schema *schema;
    const char *bytes;
    size_t n;
    struct sb out;
};

static void job_record(void *ctx, const struct tally_record *rec)
{
    struct sb *out = ctx;
    for (size_t f = 0; f < rec->nfields; f++)
        sb_printf(out, "%u:%u %s|", rec->fields[f].loc.line, rec->fields[f].loc.column,
                  rec->fields[f].text ? rec->fields[f].text : "-");
    sb_puts(out, "\n");
}

static void *run_job(void *arg)
{
    struct job *j = arg;
    for (int i = 0; i < 20; i++) {
        struct got got = {0};
        read_doc(j->schema, j->bytes, j->n, 0, 0, &got, job_record, &j->out, NULL);
        sb_puts(&j->out, got.diags.p ? got.diags.p : "");
        free(got.diags.p);
    }
    return NULL;
}

START_TEST(test_two_threads_at_once)
{
    struct tally_error err;
    struct tally_schema *schema = tally_schema_load_default(&err);
    rng = 7;
    struct gen g[2];
    char *bytes[2];
    size_t n[2];
    struct job jobs[2], alone[2];
    for (int k = 0; k < 2; k++) {
        do {
            generate(&g[k]);
            if (g[k].enc->charset != CS_UNICODE || g[k].nrecs < 3) {
                gen_free(&g[k]);
                continue;
            }
            break;
        } while (1);
        bytes[k] = encode(g[k].enc, g[k].doc.p, g[k].doc.n, &n[k]);
        alone[k] = (struct job){schema, bytes[k], n[k], {0}};
        run_job(&alone[k]);
        jobs[k] = (struct job){schema, bytes[k], n[k], {0}};
    }
    pthread_t th[2];
    for (int k = 0; k < 2; k++)
        ck_assert_int_eq(pthread_create(&th[k], NULL, run_job, &jobs[k]), 0);
    for (int k = 0; k < 2; k++)
        pthread_join(th[k], NULL);
    for (int k = 0; k < 2; k++) {
        ck_assert_str_eq(jobs[k].out.p, alone[k].out.p);
        free(jobs[k].out.p);
        free(alone[k].out.p);
        free(bytes[k]);
        gen_free(&g[k]);
    }
    tally_schema_free(schema);
}
END_TEST

Suite *xmlgen_suite(void)
{
    Suite *s = suite_create("xmlgen");
    TCase *tc = tcase_create("generated");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, test_positions_and_values);
    tcase_add_test(tc, test_damage_never_changes_values);
    tcase_add_test(tc, test_structure_agrees_with_xsd);
    tcase_add_test(tc, test_two_threads_at_once);
    suite_add_tcase(s, tc);
    return s;
}
