/*
 * readers/xml.c — the XML reader, on libxml2's SAX2 push parser.
 *
 *   <returns>                                  or a single <return> root
 *     <return>                                 a submission
 *       <authority><code>E10000021</code>...   fields of every record in it
 *       <cohort type="uasc">...</cohort>       one record each
 *
 * The element names come from the schema (its "xml" root and submission
 * names, and each field's "xml" path), not from this file. Each record
 * element is one record; it inherits the submission's fields. Paths are
 * XPaths: /returns/return[3]/cohort[1]/found, /returns/return[3]/authority/code.
 *
 * One parser decides everything. The file's bytes go through xmlenc.c, which
 * decodes them from the encoding the file declares (or its byte order mark)
 * into UTF-8 and stops at bytes that are not valid in it; the UTF-8 text goes
 * to libxml2's push parser (xmlParseChunk) in pieces of PIECE bytes, whatever
 * the markup; libxml2 calls back for each start tag, end tag and run of text.
 * Values are the text libxml2 hands over, read as the XSD reads them
 * (xs:token: white space collapsed). Nothing else looks at the bytes.
 *
 * Positions are libxml2's: the line and column of its parser when it calls
 * back. At a start tag libxml2 stands on the tag's closing '>' (or "/>");
 * the element's own position, its '<', is found by looking back in libxml2's
 * decoded input to that '<' (a start tag holds no other '<') and counting the
 * characters between; an attribute's position is the first character of its
 * name, found the same way. When the tag spans lines, the column comes from
 * the last line break before it, or from the last place libxml2's locator was
 * read (an "anchor": every tag callback and the end of every piece), which
 * libxml2 keeps in its buffer (it discards only text more than 80 bytes
 * before where it stood when a piece arrived). Two things libxml2 2.9 counts
 * in bytes rather than characters are corrected: the text of a CDATA section
 * and the name in an end tag. Whether this libxml2 does so is tested at
 * open, on a short document. Columns count characters of the decoded text.
 * tests/unit/check_xmlgen.c proves these positions on generated documents in
 * every encoding, split into pieces of every size, and tests/fuzz/fuzz_xml.c
 * that pieces of any size give the same records, values and positions.
 *
 * A value is located at its element's '<' (an attribute's value: at its
 * name), a record at its record element's '<'.
 *
 * The structure check (xmlshape.c) follows the shape made from the schema,
 * which for the built-in schema is schemas/missing-from-care.xsd's content
 * model: elements in their order, each as often as allowed, attributes, no
 * text between elements. An element the schema does not know is an
 * `xml-schema` warning and is skipped with everything in it, as an unknown
 * CSV column or JSON key is: its record is kept. An element out of order or
 * repeated, text where only elements belong, an element inside a value, a
 * submission without records, are `xml-schema` errors. A required element
 * that is absent is reported once, by the validator, as `required`; a bad
 * value too (`type`, `constraint`). A document in a namespace is one error
 * that says to remove it. A check inside a record counts on that record; one
 * about a submission's own part on each of its records read after it.
 *
 * Safety: no DTD is read. The SAX internalSubset callback stops the parser
 * when a DOCTYPE's name has been read, before any declaration in it, so no
 * entity is declared or expanded and no external subset or entity fetched
 * (XML_PARSE_NONET besides; no NOENT, DTDLOAD or DTDATTR). Errors come
 * through this parser's own handler (the SAX serror): nothing process-wide
 * is set (but libxml2's own start-up, once, as it requires), and two threads
 * may read two files at once.
 *
 * libxml2 calls back while it parses a piece, and a piece may hold many
 * records; the caller pulls them one at a time. So records and diagnostics
 * wait, copied into an arena (readers/copy.c), until next() hands them over
 * in the order they came: the caller sees each record's diagnostics just
 * before the record, as if the parser had stopped there. Memory stays
 * bounded by what one piece can hold.
 *
 * A syntax error (`xml-syntax`), an encoding error, an element nested deeper
 * than 64 or markup longer than 64 KiB ends the file: the records before it
 * count; the record it falls in comes out with the values read whole before
 * it, rejected. A value longer than 64 KiB is a `limit` error on its field,
 * and reading goes on.
 *
 * Two habits of libxml2's push parser are allowed for, so that how the text
 * is cut into pieces changes nothing: it reads an open CDATA section a few
 * hundred bytes per call (parse() calls again until it stops moving), and
 * it holds back what it has not seen the end of (at bad bytes, it is made to
 * read that first, and an error it finds there comes before them).
 */
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/parserInternals.h>
#include <libxml/xmlerror.h>

#include "core/arena.h"
#include "core/emit.h"
#include "core/grow.h"
#include "core/textpos.h"
#include "readers/copy.h"
#include "readers/readers.h"
#include "readers/xml.h"
#include "readers/xmlenc.h"
#include "readers/xmlshape.h"

#define PIECE      32768    /* bytes of UTF-8 given to libxml2 at a time */
#define MAX_DEPTH  64       /* deeper nesting is a `limit` error */
#define NAME_SHOWN 80       /* an element name longer than this is cut short in messages */

static const char xsi_ns[] = "http://www.w3.org/2001/XMLSchema-instance";

#if LIBXML_VERSION >= 21200
typedef const xmlError *xml_error_ptr;
#else
typedef xmlErrorPtr xml_error_ptr;
#endif

/* An element tally knows, open. */
struct frame {
    const struct tally_xs_node *node;
    size_t path_len;            /* its XPath is xr->xpath[0..path_len) */
    size_t last;                /* 1 + the index of the latest child seen in order; 0: none */
    uint32_t *counts;           /* per child of node: how many have come */
    struct tally_loc loc;       /* its '<' */
    bool text_said;             /* text in it has been reported */
};

/* What waits for next(): a record and the diagnostics before it; or
 * diagnostics alone (those of one piece, after its last record); or, last,
 * the end. */
struct item {
    size_t from, to;            /* in diags */
    enum { ITEM_RECORD, ITEM_DIAGS, ITEM_END } kind;
    struct tally_record rec;
};

struct xml_reader {
    struct tally_reader base;
    struct tally_xs xs;
    const xmlChar **names;      /* per shape node: its name in the parser's dictionary */
    size_t *name_len;           /* per shape node: its name's length */
    bool *name_ascii;           /* per shape node: its name is ASCII */
    char **suffix;              /* per field: its XPath below its scope ("/authority/code") */
    size_t *suffix_len;
    xmlParserCtxtPtr ctxt;
    struct tally_xmlenc enc;
    char *piece;
    size_t piece_max;           /* bytes per piece */
    unsigned piece_seed;        /* nonzero: pieces of random sizes up to piece_max (tests) */
    uint64_t text_bytes;        /* decoded bytes given to libxml2 */

    /* Positions (see the top of this file). */
    uint64_t anchor_at;         /* offset in the decoded text of the anchor */
    uint32_t anchor_line, anchor_col;
    int corr_line;              /* on libxml2's line corr_line, its column is corr too large */
    uint32_t corr;
    bool fix_cdata, fix_end_tag;
    uint64_t fallbacks;         /* positions not found by looking back (never, say the tests) */

    /* Open elements. */
    struct frame frames[MAX_DEPTH + 1];
    uint32_t *counts;           /* (MAX_DEPTH + 1) * xs.max_kids */
    unsigned nframes;           /* frames in use: the known elements open */
    unsigned depth;             /* every element open */
    unsigned skip;              /* > 0: this many elements deep in one being skipped */
    char *xpath;
    size_t xpath_len, xpath_cap;
    bool root_known;

    /* The open submission. */
    uint64_t nsub;
    bool in_sub;
    bool sub_has_record;
    const char *sub_inherited;  /* an error in its own part: its later records inherit it */
    struct tally_arena sub_arena;
    struct tally_field *sub_fields;
    char *sub_path;
    size_t sub_path_len;

    /* The open record. */
    bool in_rec;
    uint64_t rec_in_sub;        /* records in the open submission so far */
    struct tally_arena rec_arena;
    struct tally_record rec;
    size_t rec_path_len;
    struct tally_field *fields;

    /* The open value (a field's element). */
    int leaf;                   /* its field, or -1 */
    bool leaf_in_rec;
    struct tally_loc leaf_loc;
    char *val;
    size_t val_len, val_cap;
    bool val_long;

    /* What waits for next(). */
    struct tally_diag_sink capture;
    struct tally_arena out;
    size_t out_bytes;
    struct tally_diag *diags;
    size_t ndiags, diags_cap, pending_from;
    struct item *items;
    size_t nitems, items_cap, taken;

    /* How it ends. */
    bool stopped;               /* the reader stopped libxml2 (stop_code says why) */
    const char *stop_code;
    struct tally_loc stop_loc;
    char stop_msg[600];
    bool fatal;                 /* libxml2 reported a fatal error */
    int fatal_code;
    bool fatal_rest_markup;     /* ... when what was left unparsed holds a '<' */
    bool fatal_doctype;         /* ... inside a DOCTYPE, which starts here: */
    struct tally_loc doctype_loc;
    struct tally_loc fatal_loc;
    char fatal_msg[600];
    bool terminating;           /* the end of the input has been given to libxml2 */
    struct tally_loc text_end;  /* ... which is here */
    bool complained;            /* an error has been reported */
    bool finished;              /* the END item has been queued */
    bool oom;
};

static void stop_parser(struct xml_reader *xr, const char *code, const struct tally_loc *loc,
                        const char *fmt, ...) TALLY_PRINTF(4, 5);
static void say(struct xml_reader *xr, struct tally_record *rec, const struct tally_loc *loc,
                const char *path, enum tally_severity sev, const char *code, const char *fmt, ...)
    TALLY_PRINTF(7, 8);

static bool is_blank(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Characters (not continuation bytes) in p[0..n). */
static uint32_t chars(const xmlChar *p, size_t n)
{
    uint32_t k = 0;
    for (size_t i = 0; i < n; i++)
        k += (p[i] & 0xC0) != 0x80;
    return k;
}

/* ---- what waits for next() ------------------------------------------------------- */

/* The sink the reader emits into: a copy of each diagnostic waits in out. */
static void capture(void *ctx, const struct tally_diag *d)
{
    struct xml_reader *xr = ctx;
    if (xr->oom)
        return;
    if (d->severity == TALLY_SEV_ERROR)
        xr->complained = true;
    if (tally_grow((void **)&xr->diags, &xr->diags_cap, xr->ndiags, sizeof *xr->diags, 32) !=
            TALLY_OK ||
        !tally_copy_diag(&xr->out, &xr->diags[xr->ndiags], d, &xr->out_bytes)) {
        xr->oom = true;
        return;
    }
    xr->ndiags++;
}

static struct item *push_item(struct xml_reader *xr)
{
    if (tally_grow((void **)&xr->items, &xr->items_cap, xr->nitems, sizeof *xr->items, 64) !=
        TALLY_OK) {
        xr->oom = true;
        return NULL;
    }
    struct item *it = &xr->items[xr->nitems++];
    memset(it, 0, sizeof *it);
    it->from = xr->pending_from;
    it->to = xr->pending_from = xr->ndiags;
    return it;
}

static void say(struct xml_reader *xr, struct tally_record *rec, const struct tally_loc *loc,
                const char *path, enum tally_severity sev, const char *code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    tally_emit_atv(&xr->capture, rec, xr->base.in->name, loc && loc->line ? loc : NULL,
                   rec ? rec->index : 0, NULL, NULL, TALLY_PATH_XPATH, path, sev, code, fmt, ap);
    va_end(ap);
}

/* ---- positions ----------------------------------------------------------------- */

/* libxml2's locator now, in characters. */
static void here(const struct xml_reader *xr, uint32_t *line, uint32_t *col)
{
    const xmlParserInput *in = xr->ctxt->input;
    *line = in->line > 0 ? (uint32_t)in->line : 0;
    *col = in->col > 0 ? (uint32_t)in->col : 0;
    if (in->line == xr->corr_line && *col > xr->corr)
        *col -= xr->corr;
}

/* The offset in the decoded text of p, a pointer into libxml2's buffer. */
static uint64_t text_offset(const struct xml_reader *xr, const xmlChar *p)
{
    const xmlParserInput *in = xr->ctxt->input;
    return (uint64_t)in->consumed + (uint64_t)(p - in->base);
}

/* Remember where libxml2's locator is: a place later positions can count from. */
static void set_anchor(struct xml_reader *xr)
{
    xr->anchor_at = text_offset(xr, xr->ctxt->input->cur);
    here(xr, &xr->anchor_line, &xr->anchor_col);
}

/* The anchor in libxml2's buffer, or NULL when the buffer no longer holds it. */
static const xmlChar *anchor_ptr(const struct xml_reader *xr)
{
    const xmlParserInput *in = xr->ctxt->input;
    uint64_t first = in->consumed;
    if (xr->anchor_at < first || xr->anchor_at > text_offset(xr, in->cur))
        return NULL;
    return in->base + (xr->anchor_at - first);
}

/*
 * The position of p, a character in libxml2's buffer at or before where its
 * locator stands and after the anchor: from the locator when no line break
 * is between them, else from the line break before p, else from the anchor.
 */
static struct tally_loc pos_of(struct xml_reader *xr, const xmlChar *p)
{
    const xmlParserInput *in = xr->ctxt->input;
    const xmlChar *cur = in->cur;
    uint32_t line, col;
    here(xr, &line, &col);
    struct tally_loc loc = {line, col, 0};
    uint32_t breaks = 0;
    for (const xmlChar *q = p; q < cur; q++)
        breaks += *q == '\n';
    if (breaks == 0) {
        loc.column = col - chars(p, (size_t)(cur - p));
        return loc;
    }
    loc.line = line - breaks;
    const xmlChar *floor = anchor_ptr(xr);
    const xmlChar *q = p;
    while (q > in->base && q[-1] != '\n' && q != floor)
        q--;
    if (q > in->base && q[-1] == '\n') {
        loc.column = 1 + chars(q, (size_t)(p - q));
    } else if (q == floor && xr->anchor_line == loc.line) {
        loc.column = xr->anchor_col + chars(q, (size_t)(p - q));
    } else {
        xr->fallbacks++;    /* never, say the tests: the locator's own place then */
        loc = (struct tally_loc){line, col, 0};
    }
    return loc;
}

/* The '<' of the start tag libxml2 has just read (it stands at its end). */
static const xmlChar *tag_start(struct xml_reader *xr)
{
    const xmlParserInput *in = xr->ctxt->input;
    const xmlChar *floor = anchor_ptr(xr);
    const xmlChar *p = in->cur;
    while (p > in->base && *p != '<' && p != floor)
        p--;
    return *p == '<' ? p : NULL;
}

static struct tally_loc tag_pos(struct xml_reader *xr, const xmlChar *lt)
{
    if (lt) {
        /* Most tags are on one line: the column from the locator's, at once. */
        const xmlChar *cur = xr->ctxt->input->cur;
        size_t bytes = (size_t)(cur - lt), cont = 0;
        bool one_line = true;
        for (const xmlChar *q = lt; q < cur; q++) {
            one_line &= *q != '\n';
            cont += (*q & 0xC0) == 0x80;
        }
        if (one_line) {
            struct tally_loc loc = {0, 0, 0};
            here(xr, &loc.line, &loc.column);
            loc.column -= (uint32_t)(bytes - cont);
            return loc;
        }
        return pos_of(xr, lt);
    }
    xr->fallbacks++;
    struct tally_loc loc = {0, 0, 0};
    here(xr, &loc.line, &loc.column);
    return loc;
}

/* The first character of attribute prefix:local (prefix NULL: local alone)
 * in the start tag at lt, which libxml2 has read whole (so it is
 * well-formed), or NULL. */
static const xmlChar *attr_start(const xmlChar *lt, const xmlChar *end, const xmlChar *prefix,
                                 const xmlChar *local)
{
    size_t p = prefix ? strlen((const char *)prefix) : 0, l = strlen((const char *)local);
    size_t n = prefix ? p + 1 + l : l;
    const xmlChar *q = lt + 1;
    while (q < end && !is_blank(*q) && *q != '/' && *q != '>')
        q++;
    for (;;) {
        while (q < end && is_blank(*q))
            q++;
        if (q >= end || *q == '/' || *q == '>')
            return NULL;
        const xmlChar *at = q;
        while (q < end && !is_blank(*q) && *q != '=')
            q++;
        size_t len = (size_t)(q - at);
        while (q < end && *q != '"' && *q != '\'')
            q++;
        if (q >= end)
            return NULL;
        const xmlChar *close = memchr(q + 1, *q, (size_t)(end - q - 1));
        if (!close)
            return NULL;
        q = close + 1;
        if (len == n && (!prefix || (memcmp(at, prefix, p) == 0 && at[p] == ':')) &&
            memcmp(at + n - l, local, l) == 0)
            return at;
    }
}

/* libxml2 counted the bytes of text[0..n), not its characters, into its
 * column on line `line` (after the last line break in it). */
static void counted_bytes(struct xml_reader *xr, int line, const xmlChar *text, size_t n)
{
    size_t from = 0;
    int breaks = 0;
    for (size_t i = 0; i < n; i++)
        if (text[i] == '\n') {
            breaks++;
            from = i + 1;
        }
    uint32_t extra = (uint32_t)(n - from) - chars(text + from, n - from);
    if (extra == 0)
        return;     /* nothing miscounted (and a line break ends what was) */
    line += breaks;
    if (breaks || xr->corr_line != line) {
        xr->corr_line = line;
        xr->corr = 0;
    }
    xr->corr += extra;
}

/* ---- XPaths ---------------------------------------------------------------------- */

static bool xpath_add(struct xml_reader *xr, const char *name, size_t n, uint64_t index)
{
    char num[32];
    size_t k = 0;
    if (index) {    /* "[index]", without printf: once per record */
        char digits[24];
        size_t d = 0;
        for (uint64_t v = index; v; v /= 10)
            digits[d++] = (char)('0' + v % 10);
        num[k++] = '[';
        while (d)
            num[k++] = digits[--d];
        num[k++] = ']';
    }
    num[k] = '\0';
    size_t need = xr->xpath_len + 1 + n + k + 1;
    if (tally_grow_bytes(&xr->xpath, &xr->xpath_cap, need, 256) != TALLY_OK) {
        xr->oom = true;
        return false;
    }
    xr->xpath[xr->xpath_len++] = '/';
    memcpy(xr->xpath + xr->xpath_len, name, n);
    memcpy(xr->xpath + xr->xpath_len + n, num, k + 1);
    xr->xpath_len += n + k;
    return true;
}

/* The XPath of the element open at the top, then sep and name, in a copy
 * the caller frees (NULL when out of memory). */
static char *xpath_plus(struct xml_reader *xr, const char *sep, const char *name)
{
    size_t a = xr->xpath_len, b = strlen(sep), c = strlen(name);
    char *p = malloc(a + b + c + 1);
    if (!p) {
        xr->oom = true;
        return NULL;
    }
    memcpy(p, xr->xpath ? xr->xpath : "", a);
    memcpy(p + a, sep, b);
    memcpy(p + a + b, name, c + 1);
    return p;
}

/* ---- records and fields ------------------------------------------------------------ */

/* The text of a value as the XSD reads it (xs:token): white space collapsed. */
static size_t collapse(char *s, size_t n)
{
    size_t o = 0;
    bool space = false;
    for (size_t i = 0; i < n; i++) {
        if (is_blank((unsigned char)s[i])) {
            space = o > 0;
            continue;
        }
        if (space)
            s[o++] = ' ';
        space = false;
        s[o++] = s[i];
    }
    return o;
}

/* Store a field's value (text, n bytes; NULL: too long) where its scope keeps
 * it; a second element for the same field is an error already, and ignored. */
static struct tally_field *set_field(struct xml_reader *xr, size_t f, bool in_record,
                                     const char *text, size_t n, const struct tally_loc *loc)
{
    struct tally_arena *arena = in_record ? &xr->rec_arena : &xr->sub_arena;
    struct tally_field *field = in_record ? &xr->fields[f] : &xr->sub_fields[f];
    if (field->text || field->path || field->bad)
        return NULL;
    const char *scope = in_record ? xr->rec.path : xr->sub_path;
    if (!scope) {
        xr->oom = true;
        return NULL;
    }
    size_t a = in_record ? xr->rec_path_len : xr->sub_path_len, b = xr->suffix_len[f];
    char *path = tally_arena_alloc(arena, a + b + 1);
    if (!path) {
        xr->oom = true;
        return NULL;
    }
    memcpy(path, scope, a);
    memcpy(path + a, xr->suffix[f], b + 1);
    field->path = path;
    field->loc = *loc;
    if (!text) {
        field->bad = true;
        return field;
    }
    char *copy = tally_arena_strndup(arena, text, n);
    if (!copy) {
        xr->oom = true;
        return NULL;
    }
    field->len = collapse(copy, n);
    copy[field->len] = '\0';
    field->text = copy;
    return field;
}

static void begin_submission(struct xml_reader *xr)
{
    const struct tally_schema *s = xr->base.cfg.schema;
    tally_arena_reset(&xr->sub_arena);
    memset(xr->sub_fields, 0, s->nfields * sizeof *xr->sub_fields);
    xr->in_sub = true;
    xr->sub_has_record = false;
    xr->sub_inherited = NULL;
    xr->rec_in_sub = 0;
    xr->sub_path = tally_arena_strndup(&xr->sub_arena, xr->xpath, xr->xpath_len);
    xr->sub_path_len = xr->xpath_len;
    if (!xr->sub_path)
        xr->oom = true;
}

static void begin_record(struct xml_reader *xr, const struct tally_loc *loc)
{
    const struct tally_schema *s = xr->base.cfg.schema;
    tally_arena_reset(&xr->rec_arena);
    memset(xr->fields, 0, s->nfields * sizeof *xr->fields);
    xr->in_rec = true;
    xr->sub_has_record = true;
    struct tally_record *rec = &xr->rec;
    rec->index = xr->base.records + 1;
    rec->loc = *loc;
    rec->errors = rec->warnings = 0;
    rec->inherited = NULL;
    rec->path = tally_arena_strndup(&xr->rec_arena, xr->xpath, xr->xpath_len);
    xr->rec_path_len = xr->xpath_len;
    if (!rec->path)
        xr->oom = true;
}

/* The record element ended (or the file did): it waits for next(). */
static void finish_record(struct xml_reader *xr)
{
    const struct tally_schema *s = xr->base.cfg.schema;
    struct tally_record *rec = &xr->rec;
    for (size_t f = 0; f < s->nfields; f++)
        if (!s->fields[f].xml.in_record)
            xr->fields[f] = xr->sub_fields[f];
    if (xr->sub_inherited) {
        rec->errors++;
        if (!rec->inherited)
            rec->inherited = xr->sub_inherited;
    }
    xr->in_rec = false;
    xr->base.records++;
    struct item *it = push_item(xr);
    if (it && !tally_copy_record(&xr->out, &it->rec, rec, &xr->out_bytes))
        xr->oom = true;
}

/* The record a check inside the element at the top counts on, or NULL. */
static struct tally_record *scope_rec(struct xml_reader *xr)
{
    return xr->in_rec ? &xr->rec : NULL;
}

/* An error in the open submission's own part (not in a record): its later
 * records inherit it. */
static void sub_error(struct xml_reader *xr, const char *code)
{
    if (xr->in_sub && !xr->in_rec && !xr->sub_inherited)
        xr->sub_inherited = code;
}

/* ---- stopping ------------------------------------------------------------------- */

/* Stop libxml2 now; finish() says why. */
static void stop_parser(struct xml_reader *xr, const char *code, const struct tally_loc *loc,
                        const char *fmt, ...)
{
    if (xr->stopped)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(xr->stop_msg, sizeof xr->stop_msg, fmt, ap);
    va_end(ap);
    xr->stopped = true;
    xr->stop_code = code;
    xr->stop_loc = loc ? *loc : (struct tally_loc){0, 0, 0};
    xmlStopParser(xr->ctxt);
}

/* ---- the SAX callbacks ------------------------------------------------------------- */

/* A name for a message: cut short past NAME_SHOWN bytes. */
#define SHOWN(s) (int)(strlen((const char *)(s)) > NAME_SHOWN ? NAME_SHOWN : strlen((const char *)(s))), \
                 (const char *)(s), (strlen((const char *)(s)) > NAME_SHOWN ? "..." : "")

/* Read the attributes of a known element (attrs: libxml2's 5-tuples). */
static void read_attributes(struct xml_reader *xr, const struct tally_xs_node *node,
                            const xmlChar *lt, int nattrs, const xmlChar **attrs)
{
    const xmlChar *end = xr->ctxt->input->cur;
    for (int i = 0; i < nattrs; i++) {
        const xmlChar *local = attrs[5 * i], *prefix = attrs[5 * i + 1], *uri = attrs[5 * i + 2];
        const xmlChar *value = attrs[5 * i + 3], *vend = attrs[5 * i + 4];
        if (uri && strcmp((const char *)uri, xsi_ns) == 0 &&
            (strcmp((const char *)local, "noNamespaceSchemaLocation") == 0 ||
             strcmp((const char *)local, "schemaLocation") == 0))
            continue;   /* where the XSD is: the XSD allows it on any element */
        const struct tally_xs_attr *a = NULL;
        for (size_t k = 0; !uri && !prefix && k < node->nattrs; k++)
            if (strcmp(node->attrs[k].name, (const char *)local) == 0)
                a = &node->attrs[k];
        const xmlChar *at = lt ? attr_start(lt, end, prefix, local) : NULL;
        struct tally_loc loc = at ? pos_of(xr, at) : tag_pos(xr, at);
        if (!a) {
            char *name = xpath_plus(xr, "/@", prefix ? (const char *)prefix : "");
            char *path = name ? malloc(strlen(name) + strlen((const char *)local) + 2) : NULL;
            if (path)
                sprintf(path, "%s%s%s", name, prefix ? ":" : "", (const char *)local);
            say(xr, scope_rec(xr), &loc, path, TALLY_SEV_WARNING, TALLY_CODE_XML_SCHEMA,
                "unknown attribute %s%s%.*s%s on <%s> is ignored", prefix ? (const char *)prefix : "",
                prefix ? ":" : "", SHOWN(local), node->name);
            free(name);
            free(path);
            continue;
        }
        /* libxml2 hands an attribute's value over with every '&' it stood for
         * (&amp; or &#38;) written "&#38;", for a later reparse that is never
         * done here (no entity is substituted: see Safety above). No entity
         * can be declared, so each '&' in it starts a "&#38;": undo them. */
        size_t n = (size_t)(vend - value);
        char *amp = memchr(value, '&', n) ? malloc(n + 1) : NULL;
        if (amp) {
            size_t m = 0;
            for (size_t k = 0; k < n; k++) {
                amp[m++] = (char)value[k];
                if (value[k] == '&' && n - k >= 5 && memcmp(value + k, "&#38;", 5) == 0)
                    k += 4;
            }
            set_field(xr, a->field, node->in_record, amp, m, &loc);
            free(amp);
        } else if (memchr(value, '&', n)) {
            xr->oom = true;
        } else {
            set_field(xr, a->field, node->in_record, (const char *)value, n, &loc);
        }
    }
}

/* Skip the element just started, and everything in it. */
static void skip_element(struct xml_reader *xr)
{
    xr->skip = 1;
}

static void begin_value(struct xml_reader *xr, const struct tally_xs_node *node,
                        const struct tally_loc *loc, bool first)
{
    xr->leaf = first ? node->field : -1;
    xr->leaf_in_rec = node->in_record;
    xr->leaf_loc = *loc;
    xr->val_len = 0;
    xr->val_long = false;
}

static void end_value(struct xml_reader *xr)
{
    if (xr->leaf < 0)
        return;
    size_t f = (size_t)xr->leaf;
    xr->leaf = -1;
    const struct tally_schema *s = xr->base.cfg.schema;
    if (!xr->val_long) {
        set_field(xr, f, xr->leaf_in_rec, xr->val ? xr->val : "", xr->val_len, &xr->leaf_loc);
        return;
    }
    struct tally_field *field = set_field(xr, f, xr->leaf_in_rec, NULL, 0, &xr->leaf_loc);
    struct tally_record *rec = xr->leaf_in_rec ? &xr->rec : NULL;
    say(xr, rec, &xr->leaf_loc, field ? field->path : NULL, TALLY_SEV_ERROR, TALLY_CODE_LIMIT,
        "%s is longer than %d bytes", s->fields[f].name, TALLY_MAX_VALUE_BYTES);
    if (!rec)
        sub_error(xr, TALLY_CODE_LIMIT);
}

static void on_start(void *ctx, const xmlChar *local, const xmlChar *prefix, const xmlChar *uri,
                     int nns, const xmlChar **ns, int nattrs, int ndefaulted,
                     const xmlChar **attrs)
{
    (void)nns;
    (void)ns;
    (void)ndefaulted;
    struct xml_reader *xr = ctx;
    if (xr->stopped || xr->oom)
        return;
    if (xr->skip) {
        if (xr->depth == MAX_DEPTH) {
            struct tally_loc loc = tag_pos(xr, tag_start(xr));
            stop_parser(xr, TALLY_CODE_LIMIT, &loc, "elements nested deeper than %d levels; the "
                        "rest of the file is not read", MAX_DEPTH);
            return;
        }
        xr->depth++;
        xr->skip++;
        set_anchor(xr);
        return;
    }
    const xmlChar *lt = tag_start(xr);
    struct tally_loc loc = tag_pos(xr, lt);
    if (xr->depth == MAX_DEPTH) {
        stop_parser(xr, TALLY_CODE_LIMIT, &loc, "elements nested deeper than %d levels; the rest "
                    "of the file is not read", MAX_DEPTH);
        return;
    }
    xr->depth++;
    const char *name = (const char *)local;
    struct frame *up = xr->nframes ? &xr->frames[xr->nframes - 1] : NULL;
    const struct tally_xs_node *node = NULL;
    uint64_t index = 0;

    if (!up) {
        const struct tally_xs_node *want = NULL;
        if (xr->xs.root && local == xr->names[xr->xs.root->id])
            want = xr->xs.root;
        else if (local == xr->names[xr->xs.submission->id])
            want = xr->xs.submission;
        char roots[200];
        if (xr->xs.root)
            snprintf(roots, sizeof roots, "<%s> or <%s>", xr->xs.root->name, xr->xs.submission->name);
        else
            snprintf(roots, sizeof roots, "<%s>", xr->xs.submission->name);
        if (want && (uri || prefix)) {
            if (prefix)
                stop_parser(xr, TALLY_CODE_XML_SCHEMA, &loc, "the root element <%s:%s> is in the "
                            "namespace \"%s\": tally's returns have no namespace (write <%s> "
                            "without the prefix %s: and remove xmlns:%s=\"%s\"); the file is not read",
                            prefix, name, uri ? (const char *)uri : "", name, prefix, prefix,
                            uri ? (const char *)uri : "");
            else
                stop_parser(xr, TALLY_CODE_XML_SCHEMA, &loc, "the root element <%s> is in the "
                            "namespace \"%s\": tally's returns have no namespace (remove "
                            "xmlns=\"%s\"); the file is not read", name, uri, uri);
            return;
        }
        if (!want) {
            stop_parser(xr, TALLY_CODE_XML_SCHEMA, &loc, "the root element is <%s%s%.*s%s>, not %s; "
                        "the file is not read", prefix ? (const char *)prefix : "",
                        prefix ? ":" : "", SHOWN(local), roots);
            return;
        }
        node = want;
        xr->root_known = true;
    } else if (up->node->field >= 0) {
        /* Inside a value: nothing but text belongs there. */
        char *path = xpath_plus(xr, "/", name);
        say(xr, scope_rec(xr), &loc, path, TALLY_SEV_ERROR, TALLY_CODE_XML_SCHEMA,
            "<%s> holds an element <%s%s%.*s%s>: it must hold only its value", up->node->name,
            prefix ? (const char *)prefix : "", prefix ? ":" : "", SHOWN(local));
        free(path);
        sub_error(xr, TALLY_CODE_XML_SCHEMA);
        skip_element(xr);
        set_anchor(xr);
        return;
    } else {
        const struct tally_xs_node *p = up->node;
        for (size_t k = 0; k < p->nkids; k++)
            if (local == xr->names[p->kids[k]->id])
                node = p->kids[k];
        if (node && (uri || prefix)) {
            char *path = xpath_plus(xr, "/", name);
            say(xr, scope_rec(xr), &loc, path, TALLY_SEV_ERROR, TALLY_CODE_XML_SCHEMA,
                "<%s%s%s> is in the namespace \"%s\": tally's returns have no namespace (write "
                "<%s>%s%s%s)", prefix ? (const char *)prefix : "", prefix ? ":" : "", name,
                uri ? (const char *)uri : "", name, prefix ? " without the prefix " : "",
                prefix ? (const char *)prefix : "", prefix ? ":" : "");
            free(path);
            sub_error(xr, TALLY_CODE_XML_SCHEMA);
            skip_element(xr);
            set_anchor(xr);
            return;
        }
        if (!node) {
            char *path = xpath_plus(xr, "/", name);
            say(xr, scope_rec(xr), &loc, path, TALLY_SEV_WARNING, TALLY_CODE_XML_SCHEMA,
                "unknown element <%s%s%.*s%s> in <%s> is ignored", prefix ? (const char *)prefix : "",
                prefix ? ":" : "", SHOWN(local), p->name);
            free(path);
            skip_element(xr);
            set_anchor(xr);
            return;
        }
        size_t i = node->index;
        uint32_t seen = ++up->counts[i];
        if (up->last > i + 1) {
            char *path = xpath_plus(xr, "/", name);
            say(xr, scope_rec(xr), &loc, path, TALLY_SEV_ERROR, TALLY_CODE_XML_SCHEMA,
                "<%s> is out of order: in <%s> it comes before <%s>", name, p->name,
                p->kids[up->last - 1]->name);
            free(path);
            sub_error(xr, TALLY_CODE_XML_SCHEMA);
        } else if (up->last == i + 1 && !node->repeats) {
            char *path = xpath_plus(xr, "/", name);
            say(xr, scope_rec(xr), &loc, path, TALLY_SEV_ERROR, TALLY_CODE_XML_SCHEMA,
                "<%s> appears more than once in <%s>; the first is read", name, p->name);
            free(path);
            sub_error(xr, TALLY_CODE_XML_SCHEMA);
        } else {
            up->last = i + 1;
        }
        index = node->repeats || seen > 1 ? seen : 0;
    }

    /* A known element: open its frame. */
    struct frame *f = &xr->frames[xr->nframes++];
    f->node = node;
    f->last = 0;
    f->text_said = false;
    f->loc = loc;
    f->counts = xr->counts + (size_t)(xr->nframes - 1) * (xr->xs.max_kids ? xr->xs.max_kids : 1);
    memset(f->counts, 0, node->nkids * sizeof *f->counts);
    if (node->kind == TALLY_XS_SUBMISSION && !up)
        index = 0;      /* a single <return> root: "/return" */
    if (!xpath_add(xr, node->name, xr->name_len[node->id], index))
        return;
    f->path_len = xr->xpath_len;

    switch (node->kind) {
    case TALLY_XS_SUBMISSION:
        xr->nsub++;
        begin_submission(xr);
        break;
    case TALLY_XS_RECORD:
        begin_record(xr, &loc);
        break;
    default:
        break;
    }
    if (xr->oom)
        return;     /* a path could not be kept: nothing more is read */
    if (nattrs)
        read_attributes(xr, node, lt, nattrs, attrs);
    if (node->field >= 0)
        begin_value(xr, node, &loc, index <= 1);
    set_anchor(xr);
}

static void on_end(void *ctx, const xmlChar *local, const xmlChar *prefix, const xmlChar *uri)
{
    (void)uri;
    struct xml_reader *xr = ctx;
    if (xr->stopped || xr->oom)
        return;
    const xmlParserInput *in = xr->ctxt->input;
    bool ascii = !xr->skip && xr->nframes && xr->name_ascii[xr->frames[xr->nframes - 1].node->id];
    if (xr->fix_end_tag && !ascii && in->cur - in->base >= 2 &&
        !(in->cur[-1] == '>' && in->cur[-2] == '/')) {
        /* An end tag: libxml2 counted its name in bytes, unless a line break
         * came between the name and the '>'. */
        size_t n = strlen((const char *)local) + (prefix ? strlen((const char *)prefix) + 1 : 0);
        const xmlChar *q = in->cur - 1;
        bool broke = false;
        while (q > in->base && is_blank(q[-1]))
            broke |= *--q == '\n';
        if (!broke && q - in->base >= (ptrdiff_t)n)
            counted_bytes(xr, in->line, q - n, n);
    }
    if (xr->depth)
        xr->depth--;
    if (xr->skip) {
        xr->skip--;
        set_anchor(xr);
        return;
    }
    if (!xr->nframes)
        return;
    struct frame *f = &xr->frames[--xr->nframes];
    const struct tally_xs_node *node = f->node;
    if (node->field >= 0) {
        end_value(xr);
    } else if (node->kind == TALLY_XS_RECORD) {
        finish_record(xr);
    } else if (node->kind == TALLY_XS_SUBMISSION) {
        if (!xr->sub_has_record)
            say(xr, NULL, &f->loc, xr->sub_path, TALLY_SEV_ERROR, TALLY_CODE_XML_SCHEMA,
                "<%s> holds no <%s>: a return needs at least one", node->name, xr->xs.record->name);
        xr->in_sub = false;
    }
    xr->xpath_len = xr->nframes ? xr->frames[xr->nframes - 1].path_len : 0;
    if (xr->xpath)
        xr->xpath[xr->xpath_len] = '\0';
    set_anchor(xr);
}

static void on_text(struct xml_reader *xr, const xmlChar *text, int len, bool cdata)
{
    if (xr->stopped || xr->oom || xr->skip || !xr->nframes)
        return;
    struct frame *f = &xr->frames[xr->nframes - 1];
    size_t n = (size_t)len;
    if (f->node->field >= 0) {
        if (xr->leaf < 0 || xr->val_long || n == 0)
            return;
        if (xr->val_len + n > TALLY_MAX_VALUE_BYTES) {
            xr->val_long = true;
            return;
        }
        if (tally_grow_bytes(&xr->val, &xr->val_cap, xr->val_len + n, 256) != TALLY_OK) {
            xr->oom = true;
            return;
        }
        memcpy(xr->val + xr->val_len, text, n);
        xr->val_len += n;
        return;
    }
    if (f->text_said)
        return;
    size_t i = 0;
    while (!cdata && i < n && is_blank(text[i]))
        i++;
    if (!cdata && i == n)
        return;
    /* Text between elements: libxml2's XSD validator rejects it (a CDATA
     * section too, even blank), and so does tally. */
    f->text_said = true;
    struct tally_loc loc = f->loc;
    say(xr, scope_rec(xr), &loc, xr->xpath, TALLY_SEV_ERROR, TALLY_CODE_XML_SCHEMA,
        "<%s> holds text (\"%.*s%s\"): only elements belong in it", f->node->name,
        (int)(n - i > 40 ? 40 : n - i), (const char *)text + i, n - i > 40 ? "..." : "");
    sub_error(xr, TALLY_CODE_XML_SCHEMA);
}

static void on_characters(void *ctx, const xmlChar *text, int len)
{
    on_text(ctx, text, len, false);
}

static void on_cdata(void *ctx, const xmlChar *text, int len)
{
    struct xml_reader *xr = ctx;
    if (xr->fix_cdata && !xr->stopped)
        counted_bytes(xr, xr->ctxt->input->line, text, (size_t)len);
    on_text(xr, text, len, true);
}

/* The '<' of the DOCTYPE libxml2 is reading: the last "<!DOCTYPE" before
 * where it stands (followed by name, when known; with blanks between, or
 * none: libxml2 allows that too), or NULL. */
static const xmlChar *doctype_start(const struct xml_reader *xr, const xmlChar *name)
{
    const xmlParserInput *in = xr->ctxt->input;
    size_t n = name ? strlen((const char *)name) : 0;
    for (const xmlChar *p = in->cur; p >= in->base; p--) {
        if (in->cur - p < 9 || memcmp(p, "<!DOCTYPE", 9) != 0)
            continue;
        const xmlChar *q = p + 9;
        while (q < in->cur && is_blank(*q))
            q++;
        if (in->cur - q >= (ptrdiff_t)n && (!n || memcmp(q, name, n) == 0))
            return p;
    }
    return NULL;
}

/* Where the DOCTYPE starts, as well as can be told: libxml2 may have let go
 * of its start while reading a long literal in it, and its own place is
 * then the place. Not a value's position: no fallback is counted. */
static struct tally_loc doctype_pos(struct xml_reader *xr, const xmlChar *name)
{
    uint64_t fallbacks = xr->fallbacks;
    struct tally_loc loc = tag_pos(xr, doctype_start(xr, name));
    xr->fallbacks = fallbacks;
    return loc;
}

static const char doctype_msg[] = "the document has a DOCTYPE: tally reads no DTD and expands no "
                                  "entity, so the file is not read (remove the DOCTYPE)";

static void on_doctype(void *ctx, const xmlChar *name, const xmlChar *public_id,
                       const xmlChar *system_id)
{
    (void)public_id;
    (void)system_id;
    struct xml_reader *xr = ctx;
    struct tally_loc loc = doctype_pos(xr, name);
    stop_parser(xr, TALLY_CODE_XML_DTD, &loc, "%s", doctype_msg);
}

static void on_error(void *ctx, xml_error_ptr e)
{
    struct xml_reader *xr = ctx;
    if (!e || e->level == XML_ERR_NONE || xr->stopped || xr->fatal || xr->oom)
        return;
    struct tally_loc loc = {(uint32_t)(e->line > 0 ? e->line : 0),
                            (uint32_t)(e->int2 > 0 ? e->int2 : 0), 0};
    if (e->line == xr->corr_line && loc.column > xr->corr)
        loc.column -= xr->corr;
    char msg[sizeof xr->fatal_msg];
    snprintf(msg, sizeof msg, "%s", e->message ? e->message : "XML error");
    size_t n = strlen(msg);
    while (n && (msg[n - 1] == '\n' || msg[n - 1] == ' '))
        msg[--n] = '\0';
    if (e->level == XML_ERR_FATAL) {
        /* Broken inside a DOCTYPE (a literal never closed): a DOCTYPE all
         * the same (and whether libxml2 gets as far as its name depends on
         * how much text it holds). */
        xr->fatal_doctype = xr->ctxt->inSubset == 1;
        if (xr->fatal_doctype)
            xr->doctype_loc = doctype_pos(xr, NULL);
        const xmlParserInput *in = xr->ctxt->input;
        xr->fatal_rest_markup = in && in->cur && in->end > in->cur &&
                                memchr(in->cur, '<', (size_t)(in->end - in->cur));
        xr->fatal = true;
        xr->fatal_code = e->code;
        xr->fatal_loc = loc;
        memcpy(xr->fatal_msg, msg, n + 1);
        return;
    }
    /* An error libxml2 reads on after (a namespace not declared), or a warning. */
    bool warning = e->level == XML_ERR_WARNING;
    say(xr, scope_rec(xr), &loc, xr->xpath_len ? xr->xpath : NULL,
        warning ? TALLY_SEV_WARNING : TALLY_SEV_ERROR, TALLY_CODE_XML_SYNTAX, "%s", msg);
    if (!warning)
        sub_error(xr, TALLY_CODE_XML_SYNTAX);
}

/* ---- the end of the file ------------------------------------------------------------ */

/* Say why the file ended (code NULL: it ended well), deliver an open record
 * as it is, and queue the end. */
static void finish(struct xml_reader *xr, const char *code, const struct tally_loc *loc,
                   const char *msg)
{
    if (xr->finished)
        return;
    xr->leaf = -1;      /* a value not closed is not read */
    if (code && xr->in_rec) {
        struct tally_record *rec = &xr->rec;
        say(xr, rec, loc, rec->path, TALLY_SEV_ERROR, code, "%s", msg);
        if (!rec->inherited)
            rec->inherited = code;
        finish_record(xr);
    } else if (code) {
        say(xr, NULL, loc, NULL, TALLY_SEV_ERROR, code, "%s", msg);
    } else if (xr->base.records == 0 && xr->root_known && !xr->complained) {
        say(xr, NULL, &(struct tally_loc){1, 1, 0}, NULL, TALLY_SEV_WARNING, TALLY_CODE_FORMAT,
            "the file holds no records");
    }
    struct item *it = push_item(xr);
    if (it)
        it->kind = ITEM_END;
    xr->finished = true;
}

/* The position of the end of the text libxml2 holds: where bad bytes began. */
static struct tally_loc end_of_text(struct xml_reader *xr)
{
    const xmlParserInput *in = xr->ctxt->input;
    uint32_t line, col;
    here(xr, &line, &col);
    /* Counted on from the locator as every reader counts (core/textpos.h):
     * LF, CR LF and a lone CR end a line; offsets start at col - 1 so that the
     * locator's place is column col. */
    struct tally_textpos tp;
    tally_textpos_init(&tp, 0);
    tp.line = line;
    uint64_t off = col ? col - 1 : 0;
    for (const xmlChar *p = in->cur; p < in->end; p++, off++) {
        if (*p == '\n' || *p == '\r')
            tally_textpos_newline(&tp, *p, off);
        else if ((*p & 0xC0) == 0x80)
            tally_textpos_wide(&tp, 2);
    }
    struct tally_loc at = tally_textpos_at(&tp, off);
    at.offset = 0;
    return at;
}

/* libxml2 stopped, or was stopped: why, for finish(). */
static void end_of_parse(struct xml_reader *xr)
{
    char msg[1024];
    if (xr->stopped) {
        finish(xr, xr->stop_code, &xr->stop_loc, xr->stop_msg);
        return;
    }
    if (xr->fatal && xr->fatal_doctype) {
        finish(xr, TALLY_CODE_XML_DTD, &xr->doctype_loc, doctype_msg);
        return;
    }
    if (xr->fatal) {
        bool at_end = xr->terminating && xr->fatal_code == XML_ERR_DOCUMENT_END;
        if (!xr->root_known && (xr->fatal_code == XML_ERR_DOCUMENT_EMPTY ||
                                (at_end && !xr->fatal_rest_markup))) {
            finish(xr, TALLY_CODE_FORMAT, NULL, "the file holds no XML element");
            return;
        }
        /* Where libxml2 stands when it says so depends on how the text came
         * in pieces: the end of the text is the place. */
        if (!xr->root_known && at_end) {
            finish(xr, TALLY_CODE_XML_SYNTAX, &xr->text_end, "the file ends before its first "
                   "element is complete: it is incomplete");
            return;
        }
        if (at_end && xr->nframes) {
            /* libxml2's "Extra content at the end of the document": elements
             * are still open when the file ends. */
            const struct frame *f = &xr->frames[xr->nframes - 1];
            snprintf(msg, sizeof msg, "the file ends before <%s> (line %u, column %u) is closed: "
                     "it is incomplete", f->node->name, f->loc.line, f->loc.column);
            finish(xr, TALLY_CODE_XML_SYNTAX, &xr->text_end, msg);
            return;
        }
        snprintf(msg, sizeof msg, "%s; the rest of the file is not read", xr->fatal_msg);
        finish(xr, TALLY_CODE_XML_SYNTAX, &xr->fatal_loc, msg);
        return;
    }
    finish(xr, NULL, NULL, NULL);
}

/* Give libxml2 n bytes of text, and let it read all it can of what it
 * holds: it reads a CDATA section whose end it has not seen yet a few
 * hundred bytes per call, so what it has checked would otherwise depend on
 * how the text came in pieces. */
static void parse(struct xml_reader *xr, const char *text, size_t n)
{
    xmlParseChunk(xr->ctxt, text, (int)n, 0);
    for (;;) {
        if (xr->stopped || xr->fatal || xr->oom)
            return;
        uint64_t at = text_offset(xr, xr->ctxt->input->cur);
        xmlParseChunk(xr->ctxt, NULL, 0, 0);
        if (xr->stopped || xr->fatal || text_offset(xr, xr->ctxt->input->cur) == at)
            return;
    }
}

/* Give libxml2 the next piece of text; at the end of the text, the end. */
static int step(struct xml_reader *xr, struct tally_error *err)
{
    size_t max = xr->piece_max;
    if (xr->piece_seed) {
        xr->piece_seed = xr->piece_seed * 1103515245u + 12345u;
        max = 1 + (xr->piece_seed >> 8) % xr->piece_max;
    }
    size_t n;
    int rc = tally_xmlenc_read(&xr->enc, xr->base.in, xr->piece, max < 64 ? 64 : max, &n, err);
    if (rc != TALLY_OK)
        return rc;
    if (n > 0 && max < n) {
        /* Tests ask for pieces shorter than the decoder's least: give them
         * one by one, each ending after a whole character, as the decoder's
         * do (libxml2 2.9 takes a character cut in two for bad UTF-8). */
        for (size_t o = 0, k; o < n && !xr->stopped && !xr->fatal; o += k) {
            k = n - o < max ? n - o : max;
            while (o + k < n && ((unsigned char)xr->piece[o + k] & 0xC0) == 0x80)
                k++;
            parse(xr, xr->piece + o, k);
        }
    } else if (n > 0) {
        parse(xr, xr->piece, n);
    }
    xr->text_bytes += n;
    if (xr->oom)
        return TALLY_ENOMEM;
    if (xr->stopped || xr->fatal) {
        end_of_parse(xr);
        return TALLY_OK;
    }
    set_anchor(xr);
    const xmlParserInput *in = xr->ctxt->input;
    if (in->end - in->cur > TALLY_MAX_VALUE_BYTES) {
        /* libxml2 waits for the end of something longer than any value. */
        struct tally_loc loc = {0, 0, 0};
        here(xr, &loc.line, &loc.column);
        stop_parser(xr, TALLY_CODE_LIMIT, &loc, "markup longer than %d bytes; the rest of the file "
                    "is not read", TALLY_MAX_VALUE_BYTES);
        end_of_parse(xr);
        return TALLY_OK;
    }
    if (n > 0)
        return TALLY_OK;
    if (xr->enc.stop) {
        /* Bad bytes: where libxml2's text ends, which is where they begin.
         * libxml2 may hold back what it has not seen the end of (a tag, a
         * few hundred bytes of text) until more comes: it reads it now, so
         * an error in it is found as it would have been had the text come in
         * other pieces. An error it finds before the bad bytes comes first in
         * the file; one at them is about the text being cut short there. */
        struct tally_loc loc = xr->text_bytes ? end_of_text(xr) : (struct tally_loc){1, 1, 0};
        loc.offset = xr->enc.stop_offset;
        if (xr->text_bytes) {
            xmlParseChunk(xr->ctxt, NULL, 0, 1);
            if (xr->oom)
                return TALLY_ENOMEM;
            const struct tally_loc *f = &xr->fatal_loc;
            if (xr->stopped || (xr->fatal && (xr->fatal_doctype ||
                                              (xr->fatal_code != XML_ERR_DOCUMENT_END &&
                                               (f->line < loc.line || (f->line == loc.line &&
                                                                       f->column < loc.column)))))) {
                end_of_parse(xr);
                return TALLY_OK;
            }
            xr->fatal = false;
        }
        stop_parser(xr, xr->enc.stop, &loc, "%s", xr->enc.stop_msg);
        end_of_parse(xr);
        return TALLY_OK;
    }
    /* The end of the file. */
    if (xr->text_bytes == 0) {
        finish(xr, TALLY_CODE_FORMAT, NULL, "the file is empty: an XML return needs a root element");
        return TALLY_OK;
    }
    xr->terminating = true;
    xr->text_end = end_of_text(xr);
    xmlParseChunk(xr->ctxt, NULL, 0, 1);
    if (xr->oom)
        return TALLY_ENOMEM;
    end_of_parse(xr);
    return TALLY_OK;
}

static int xml_next(struct tally_reader *r, struct tally_record **out, struct tally_error *err)
{
    struct xml_reader *xr = (struct xml_reader *)r;
    const struct tally_diag_sink *sink = &xr->base.cfg.sink;
    for (;;) {
        if (xr->taken < xr->nitems) {
            struct item *it = &xr->items[xr->taken++];
            for (size_t i = it->from; i < it->to; i++)
                sink->emit(sink->ctx, &xr->diags[i]);
            if (it->kind == ITEM_DIAGS)
                continue;
            if (it->kind == ITEM_END) {
                xr->taken--;    /* the end stays the end */
                return TALLY_DONE;
            }
            *out = &it->rec;
            return TALLY_RECORD;
        }
        /* Everything handed over: start again with an empty queue. */
        tally_arena_reset(&xr->out);
        xr->out_bytes = 0;
        xr->ndiags = xr->pending_from = xr->nitems = xr->taken = 0;
        if (xr->finished)
            return tally_error_set(err, TALLY_EINVAL, "read past the end");
        int rc = step(xr, err);
        if (rc == TALLY_OK && xr->oom)
            rc = TALLY_ENOMEM;
        if (rc == TALLY_OK && xr->pending_from < xr->ndiags) {
            /* Said after the piece's last record: before whatever comes next. */
            struct item *it = push_item(xr);
            if (it)
                it->kind = ITEM_DIAGS;
        }
        if (rc != TALLY_OK) {
            /* What was said before the failure is still said. */
            for (size_t i = 0; i < xr->ndiags; i++)
                sink->emit(sink->ctx, &xr->diags[i]);
            xr->ndiags = 0;
            xr->finished = true;
            if (rc == TALLY_ENOMEM)
                tally_error_set(err, TALLY_ENOMEM, "out of memory");
            return rc;
        }
    }
}

/* ---- open and close -------------------------------------------------------------- */

static pthread_once_t libxml2_once = PTHREAD_ONCE_INIT;

static void init_libxml2(void)
{
    xmlInitParser();
}

void tally_libxml2_init(void)
{
    pthread_once(&libxml2_once, init_libxml2);
}

static xmlSAXHandler sax_handler(void)
{
    xmlSAXHandler h;
    memset(&h, 0, sizeof h);
    h.initialized = XML_SAX2_MAGIC;
    h.startElementNs = on_start;
    h.endElementNs = on_end;
    h.characters = on_characters;
    h.ignorableWhitespace = on_characters;
    h.cdataBlock = on_cdata;
    h.internalSubset = on_doctype;
    h.externalSubset = on_doctype;
    h.serror = (xmlStructuredErrorFunc)on_error;
    return h;
}

/* ---- the probe: does this libxml2 count some text in bytes? ---- */

struct probe {
    xmlParserCtxtPtr ctxt;
    int cols[2];
};

static void probe_start(void *ctx, const xmlChar *local, const xmlChar *prefix, const xmlChar *uri,
                        int nns, const xmlChar **ns, int nattrs, int ndefaulted,
                        const xmlChar **attrs)
{
    (void)prefix, (void)uri, (void)nns, (void)ns, (void)nattrs, (void)ndefaulted, (void)attrs;
    struct probe *p = ctx;
    if (strcmp((const char *)local, "a") == 0)
        p->cols[0] = p->ctxt->input->col;
    else if (strcmp((const char *)local, "b") == 0)
        p->cols[1] = p->ctxt->input->col;
}

static void probe_error(void *ctx, xml_error_ptr e)
{
    (void)ctx;
    (void)e;
}

/* In <r><![CDATA[é]]><a/><é></é><b/></r>, libxml2 stands on the '/' of <a/>
 * at column 19 and of <b/> at column 30, counting characters. */
static void probe_libxml2(struct xml_reader *xr)
{
    static const char doc[] = "<r><![CDATA[\xC3\xA9]]><a/><\xC3\xA9></\xC3\xA9><b/></r>";
    struct probe p = {0};
    xmlSAXHandler h;
    memset(&h, 0, sizeof h);
    h.initialized = XML_SAX2_MAGIC;
    h.startElementNs = probe_start;
    h.serror = (xmlStructuredErrorFunc)probe_error;
    p.ctxt = xmlCreatePushParserCtxt(&h, &p, NULL, 0, NULL);
    if (!p.ctxt)
        return;
    xmlCtxtUseOptions(p.ctxt, XML_PARSE_NONET);
    xmlParseChunk(p.ctxt, doc, (int)sizeof doc - 1, 1);
    xmlFreeParserCtxt(p.ctxt);
    xr->fix_cdata = p.cols[0] == 20;
    xr->fix_end_tag = p.cols[1] - p.cols[0] == 12;
}

static void xml_close(struct tally_reader *r);

int tally_xml_open_with(struct tally_reader **out, struct tally_input *in,
                        const struct tally_reader_config *cfg, size_t piece, unsigned seed,
                        struct tally_error *err)
{
    const struct tally_schema *s = cfg->schema;
    tally_libxml2_init();
    struct xml_reader *xr = calloc(1, sizeof *xr);
    if (!xr)
        return tally_error_set(err, TALLY_ENOMEM, "out of memory");
    xr->base.ops = &tally_xml_reader;
    xr->base.in = in;
    xr->base.cfg = *cfg;
    xr->capture = (struct tally_diag_sink){capture, xr};
    xr->leaf = -1;
    xr->piece_max = piece ? piece : PIECE;
    xr->piece_seed = seed;
    xr->corr_line = -1;
    xr->anchor_line = xr->anchor_col = 1;   /* the start of the text: libxml2's first place */
    tally_xmlenc_init(&xr->enc);
    int rc = tally_xs_build(&xr->xs, s, err);
    if (rc != TALLY_OK) {
        free(xr);
        return rc;
    }
    size_t nf = s->nfields ? s->nfields : 1;
    xr->names = calloc(xr->xs.nnodes, sizeof *xr->names);
    xr->name_len = calloc(xr->xs.nnodes, sizeof *xr->name_len);
    xr->name_ascii = calloc(xr->xs.nnodes, sizeof *xr->name_ascii);
    xr->suffix = calloc(nf, sizeof *xr->suffix);
    xr->suffix_len = calloc(nf, sizeof *xr->suffix_len);
    xr->fields = calloc(nf, sizeof *xr->fields);
    xr->sub_fields = calloc(nf, sizeof *xr->sub_fields);
    xr->counts = calloc((MAX_DEPTH + 1) * (xr->xs.max_kids ? xr->xs.max_kids : 1), sizeof *xr->counts);
    xr->piece = malloc(xr->piece_max < 64 ? 64 : xr->piece_max);
    if (!xr->names || !xr->name_len || !xr->name_ascii || !xr->suffix || !xr->suffix_len || !xr->fields || !xr->sub_fields || !xr->counts || !xr->piece)
        goto nomem;
    for (size_t f = 0; f < s->nfields; f++) {
        const struct tally_path *p = &s->fields[f].xml;
        size_t n = 1;
        for (size_t i = 0; p->segs && i < p->nsegs; i++)
            n += 1 + strlen(p->segs[i]);
        if (!(xr->suffix[f] = malloc(n)))
            goto nomem;
        size_t o = 0;
        for (size_t i = 0; p->segs && i < p->nsegs; i++)
            o += (size_t)sprintf(xr->suffix[f] + o, "/%s", p->segs[i]);
        xr->suffix[f][o] = '\0';
        xr->suffix_len[f] = o;
    }
    for (size_t i = 0; i < xr->xs.nnodes; i++) {
        const char *name = xr->xs.nodes[i]->name;
        xr->name_len[i] = strlen(name);
        xr->name_ascii[i] = true;
        for (const char *c = name; *c; c++)
            xr->name_ascii[i] &= (unsigned char)*c < 0x80;
    }
    xr->rec.file = in->name;
    xr->rec.nfields = s->nfields;
    xr->rec.fields = xr->fields;
    xr->rec.path_kind = TALLY_PATH_XPATH;

    probe_libxml2(xr);
    xmlSAXHandler h = sax_handler();
    xr->ctxt = xmlCreatePushParserCtxt(&h, xr, NULL, 0, NULL);
    if (!xr->ctxt)
        goto nomem;
    /* No network, no DTD loaded, no entity substituted; the text is UTF-8
     * whatever the declaration says (xmlenc.c decoded it). */
    xmlCtxtUseOptions(xr->ctxt, XML_PARSE_NONET | XML_PARSE_IGNORE_ENC);
    for (size_t i = 0; i < xr->xs.nnodes; i++)
        if (!(xr->names[i] = xmlDictLookup(xr->ctxt->dict, (const xmlChar *)xr->xs.nodes[i]->name, -1)))
            goto nomem;
    *out = &xr->base;
    return TALLY_OK;
nomem:
    xml_close(&xr->base);
    return tally_error_set(err, TALLY_ENOMEM, "out of memory");
}

uint64_t tally_xml_position_fallbacks(const struct tally_reader *r)
{
    return ((const struct xml_reader *)r)->fallbacks;
}

static int xml_open(struct tally_reader **out, struct tally_input *in,
                    const struct tally_reader_config *cfg, struct tally_error *err)
{
    return tally_xml_open_with(out, in, cfg, 0, 0, err);
}

static void xml_close(struct tally_reader *r)
{
    struct xml_reader *xr = (struct xml_reader *)r;
    if (!xr)
        return;
    if (xr->ctxt)
        xmlFreeParserCtxt(xr->ctxt);
    tally_xmlenc_fini(&xr->enc);
    const struct tally_schema *s = xr->base.cfg.schema;
    for (size_t f = 0; xr->suffix && f < s->nfields; f++)
        free(xr->suffix[f]);
    free(xr->suffix);
    free(xr->suffix_len);
    free(xr->names);
    free(xr->name_len);
    free(xr->name_ascii);
    tally_xs_free(&xr->xs);
    tally_arena_fini(&xr->rec_arena);
    tally_arena_fini(&xr->sub_arena);
    tally_arena_fini(&xr->out);
    free(xr->diags);
    free(xr->items);
    free(xr->val);
    free(xr->xpath);
    free(xr->counts);
    free(xr->piece);
    free(xr->fields);
    free(xr->sub_fields);
    free(xr);
}

static const char *const xml_extensions[] = {".xml", NULL};

const struct tally_reader_ops tally_xml_reader = {
    .name = "xml",
    .extensions = xml_extensions,
    .open = xml_open,
    .next = xml_next,
    .close = xml_close,
};
