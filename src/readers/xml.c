/*
 * readers/xml.c — the XML reader, on libxml2's xmlTextReader, checked against
 * schemas/missing-from-care.xsd while it streams.
 *
 *   <returns>                                  or a single <return> root
 *     <return>                                 a submission
 *       <authority><code>E10000021</code>...   fields of every record in it
 *       <cohort type="uasc">...</cohort>       one record each
 *
 * The element names come from the schema (its "xml" root and submission
 * names, and each field's parsed "xml" path), not from this file. Each record
 * element is one record; it inherits the submission's fields. Paths are
 * XPaths: /returns/return[3]/cohort[1]/found, /returns/return[3]/authority/code.
 *
 * Two readers look at every byte, one after the other:
 *
 * 1. A small scanner in the libxml2 input callback (feed) hands libxml2 the
 *    file piece by piece. It checks UTF-8 and NUL bytes, stops at a DOCTYPE
 *    before libxml2 sees it (so no DTD is parsed, no entity declared, nothing
 *    fetched), stops at a value or markup longer than 64 KiB and at elements
 *    nested deeper than 64, and notes where every start tag, end tag and text
 *    starts: libxml2 keeps no columns, and its line numbers are those of its
 *    parser, which runs ahead of the reader.
 * 2. libxml2 parses what it is given, validates it against the XSD as it goes
 *    (the XSD is compiled from the copy embedded in the library), and the
 *    reader walks the nodes. The k-th element the reader meets is the k-th
 *    start tag the scanner saw, which gives each value its line and column.
 *
 * Pieces are shorter than xmlTextReader's 512-byte parse chunk and end after
 * every record's start and end tags, so each piece is parsed in one go and
 * the reader has met a record's start (and finished the record) before
 * libxml2 sees a byte after it: a fatal syntax error never takes a record
 * with it; the record it falls in comes out as far as it was read.
 *
 * Diagnostics: libxml2's parser errors are `xml-syntax` (with line and
 * column); the first fatal one ends the file. XSD errors are `xml-schema`,
 * located at the tag or text they concern (found from libxml2's byte count
 * when it raises the error), and attributed to the innermost record or
 * submission that holds what they concern: a record's error counts on that
 * record; a submission's (an <authority> missing, an unknown element between
 * its parts) on each of its records read after it; others on no record. Such
 * a record carries `inherited` = "xml-schema", so the validator does not add
 * `required` errors for what the XSD already reported missing. XSD errors
 * about a value (a count "12.5", an empty count, a code that fails its
 * pattern) are not reported: the validator reports the same value as `type`,
 * `constraint` or `required`, once, at the value.
 *
 * Values are read as the XSD reads them (xs:token): white space collapsed.
 * A value's column is that of its first non-blank character (an attribute's:
 * its opening quote); an empty value is located at its element's '<'.
 *
 * libxml2 2.9 crashes when an xmlTextReader error handler relays a parser
 * error while an XSD is plugged in (it passes the plug's data as the parser
 * context), so no reader-level handler is set: XSD errors come through our
 * own validation context, and parser errors through libxml2's thread-local
 * structured error handler, which is set for the duration of each call to
 * open, next and close, and then put back. libxml2 never prints.
 *
 * With a schema other than missing-from-care (--schema), the XSD does not
 * describe the document, so it is not used; the reader then reports elements
 * the schema's paths do not place as `xml-schema` errors itself.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/globals.h>
#include <libxml/parser.h>
#include <libxml/xmlerror.h>
#include <libxml/xmlreader.h>
#include <libxml/xmlschemas.h>

#include "core/grow.h"
#include "core/arena.h"
#include "core/emit.h"
#include "core/utf8.h"
#include "readers/readers.h"

extern const unsigned char tally_embedded_missing_from_care_xsd[];
extern const size_t tally_embedded_missing_from_care_xsd_len;

#define XSD_SCHEMA_NAME "missing-from-care"     /* the schema the embedded XSD describes */

#define MAX_DEPTH  64       /* deeper nesting is a `limit` error */
#define PIECE      511      /* bytes per piece: below xmlTextReader's 512-byte chunk */
#define LOOKAHEAD  16       /* bytes kept beyond a piece, for "<!DOCTYPE" and UTF-8 */
#define MAX_ATTRS  4        /* attribute positions kept per start tag */

#if LIBXML_VERSION >= 21200
typedef const xmlError *xml_error_ptr;
#else
typedef xmlErrorPtr xml_error_ptr;
#endif

/* ---- small queues ----------------------------------------------------------- */

/* A FIFO of fixed-size items, grown by doubling. */
struct queue {
    unsigned char *items;
    size_t size;            /* bytes per item */
    size_t cap, head, count;
};

static void *queue_at(const struct queue *q, size_t i)
{
    return q->items + ((q->head + i) & (q->cap - 1)) * q->size;
}

/* A new item at the back (zeroed), or NULL when out of memory. */
static void *queue_push(struct queue *q)
{
    if (q->count == q->cap) {
        size_t cap = q->cap ? q->cap * 2 : 64;
        unsigned char *items = malloc(cap * q->size);
        if (!items)
            return NULL;
        for (size_t i = 0; i < q->count; i++)
            memcpy(items + i * q->size, queue_at(q, i), q->size);
        free(q->items);
        q->items = items;
        q->cap = cap;
        q->head = 0;
    }
    void *p = queue_at(q, q->count++);
    memset(p, 0, q->size);
    return p;
}

static void queue_drop(struct queue *q, size_t n)
{
    q->head = (q->head + n) & (q->cap - 1);
    q->count -= n;
}

/* ---- what the scanner notes ------------------------------------------------- */

/* One start tag. The k-th one is the k-th element the reader meets. */
struct elem_pos {
    uint64_t seq;                   /* 1-based start-tag number */
    struct tally_loc tag;           /* its '<' */
    struct tally_loc content;       /* first non-blank character of its text; line 0: none */
    unsigned nattrs;
    struct {
        uint32_t hash;              /* of the attribute's name */
        struct tally_loc loc;       /* its value's opening quote */
    } attrs[MAX_ATTRS];
};

enum mark_kind { MARK_START, MARK_END, MARK_TEXT };

/* A construct an XSD error can be raised at, kept until libxml2 is past it. */
struct mark {
    uint64_t start, end;            /* bytes [start, end) of the file */
    struct tally_loc loc;           /* where a diagnostic about it points */
    uint64_t seq;                   /* the element it opens or closes; text: the element it is in */
    uint64_t parent;                /* the element that element is in; 0: none */
    enum mark_kind kind;
};

/* A diagnostic waiting to be attributed to a record, a submission or the file. */
struct pending {
    uint64_t seq;                   /* the element it concerns; 0: the document */
    enum tally_severity sev;
    const char *code;
    struct tally_loc loc;
    char msg[400];
};

enum scan_state {
    S_TEXT,                         /* character data (or space outside the root) */
    S_TAG,                          /* inside a start or end tag */
    S_ATTVAL,                       /* inside a quoted attribute value */
    S_COMMENT,                      /* <!-- ... --> */
    S_PI,                           /* <? ... ?> */
    S_CDATA,                        /* <![CDATA[ ... ]]> */
    S_DECL                          /* another <! ... > (an error for libxml2) */
};

struct scan {
    enum scan_state st;
    struct tally_loc pos;           /* position of the next byte */
    bool prev_cr;                   /* the byte before pos was CR */
    bool any_markup;                /* a '<' has been seen */
    unsigned skip;                  /* bytes of a construct's opening still to pass over */

    uint64_t start;                 /* offset of the current construct (or text run) */
    struct tally_loc loc;           /* and its position */
    bool blank;                     /* the text run (or CDATA) is blank so far */
    struct tally_loc text_loc;      /* its first non-blank character */

    bool end_tag;                   /* the tag is an end tag */
    bool have_name;                 /* the element name has been read */
    bool in_token;                  /* inside a name */
    bool slash;                     /* the last non-blank byte in the tag was '/' */
    uint32_t hash;                  /* of the name being read */
    uint32_t name_hash;             /* of the element name */
    size_t name_len, tok_len;
    unsigned char quote;            /* the attribute value's quote */
    uint64_t attval_start;
    struct elem_pos cur;            /* the start tag being read */
    unsigned run;                   /* '-' or ']' in a row; PI: the last byte was '?' */

    unsigned depth;                 /* open elements */
    uint64_t stack[MAX_DEPTH + 1];  /* their start-tag numbers */
    struct {
        char name[40];              /* its name (cut short if longer) */
        struct tally_loc loc;       /* its '<' */
    } open[MAX_DEPTH + 1];
    char name[40];                  /* the name of the tag being read */
    uint64_t seq;                   /* start tags so far */
    bool content_pending;           /* the newest element awaits its first text */

    const char *stop_code;          /* why the scanner stopped: the rest is not read */
    struct tally_loc stop_loc;
    char stop_msg[256];
    bool eof_sent;                  /* feed has told libxml2 the input ended */
};

/* ---- the reader's view -------------------------------------------------------- */

enum level_kind {
    L_OTHER,                        /* nothing of the schema's in or under it */
    L_ROOT,                         /* <returns> */
    L_SUBMISSION,                   /* <return> */
    L_RECORD,                       /* <cohort> */
    L_CONTAINER,                    /* on the way to fields: <authority> */
    L_LEAF                          /* a field's element: <code> */
};

struct level {
    enum level_kind kind;
    uint64_t seq;
    unsigned rel;                   /* depth below the submission or record element */
    bool in_record;                 /* fields here are record fields */
    uint64_t *mask;                 /* fields whose path runs through here */
};

struct xml_reader {
    struct tally_reader base;
    xmlTextReaderPtr xml;
    xmlSchemaPtr xsd;               /* NULL: the schema is not the XSD's */
    xmlSchemaValidCtxtPtr vctxt;

    struct scan scan;
    struct queue elems;             /* struct elem_pos, seen by the scanner, not yet by the reader */
    struct queue marks;             /* struct mark */
    struct pending *pend;           /* waiting diagnostics, in the order raised */
    size_t npend, pend_cap;
    uint32_t records_hash;          /* of the record element's name */
    size_t records_len;

    struct level levels[MAX_DEPTH + 1];
    uint64_t *masks;                /* (MAX_DEPTH + 1) * mask_words */
    size_t mask_words;
    uint64_t seen;                  /* elements the reader has met */
    bool root_known;                /* the root is the schema's root or submission */

    /* The open submission. */
    bool in_sub;
    uint64_t sub_seq;
    uint64_t sub_count;             /* submissions so far */
    uint64_t sub_records;           /* records in the open submission so far */
    const char *sub_inherited;      /* code of an error every later record in it inherits */
    char *sub_path;                 /* its XPath, in sub_arena */
    struct tally_arena sub_arena;   /* the submission's field texts and paths */
    struct tally_field *sub_fields; /* the submission's fields, by schema index */

    /* The open record. */
    bool in_rec;
    uint64_t rec_seq;
    struct tally_arena arena;       /* the record's field texts and paths */
    struct tally_record rec;
    struct tally_field *fields;     /* rec.fields */
    bool ready;                     /* rec is complete: return it */
    bool delivered;                 /* rec was returned; reset before reading on */

    /* The open field element. */
    int leaf_field;                 /* schema index, or -1 */
    bool leaf_in_rec;
    unsigned leaf_depth;
    uint64_t leaf_seq;
    bool leaf_loc_known;
    struct tally_loc leaf_content, leaf_tag;
    char *val;                      /* its text so far */
    size_t val_len, val_cap;
    bool val_too_long;

    /* How the file ended. */
    bool fatal_seen;                /* libxml2 reported a fatal error */
    bool fatal_real;                /* ... that is not a consequence of the scanner stopping */
    bool fatal_incomplete;          /* ... that the file ends inside an element */
    struct tally_loc fatal_loc;
    char fatal_msg[400];
    bool io_failed, oom;
    struct tally_error io_err;
    bool complained;                /* an XML error has been reported */
    bool finished;                  /* libxml2 is done: deliver what is left, then DONE */
    bool done;
};

/* FNV-1a, for names. */
static uint32_t hash_bytes(uint32_t h, const unsigned char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        h = (h ^ s[i]) * 16777619u;
    return h;
}

#define HASH_INIT 2166136261u

static bool is_blank(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* ---- libxml2 error handling --------------------------------------------------- */

static void on_xml_error(void *ctx, xml_error_ptr e);

static void ignore_generic(void *ctx, const char *msg, ...)
{
    (void)ctx;
    (void)msg;
}

/* libxml2's thread-local error handlers, replaced while this reader runs
 * (one call to open, next or close) and then put back. */
struct guard {
    xmlStructuredErrorFunc serror;
    void *sctx;
    xmlGenericErrorFunc gerror;
    void *gctx;
};

static void guard_on(struct xml_reader *xr, struct guard *g)
{
    g->serror = xmlStructuredError;
    g->sctx = xmlStructuredErrorContext;
    g->gerror = xmlGenericError;
    g->gctx = xmlGenericErrorContext;
    xmlSetStructuredErrorFunc(xr, (xmlStructuredErrorFunc)on_xml_error);
    xmlSetGenericErrorFunc(xr, ignore_generic);
}

static void guard_off(const struct guard *g)
{
    xmlSetStructuredErrorFunc(g->sctx, g->serror);
    xmlSetGenericErrorFunc(g->gctx, g->gerror);
}

/* An XSD error about a value rather than the shape: the validator reports it. */
static bool is_value_error(int code)
{
    switch (code) {
    case XML_SCHEMAV_VALUE:
    case XML_SCHEMAV_FACET:
    case XML_SCHEMAV_CVC_DATATYPE_VALID_1_2_1:
    case XML_SCHEMAV_CVC_DATATYPE_VALID_1_2_2:
    case XML_SCHEMAV_CVC_DATATYPE_VALID_1_2_3:
    case XML_SCHEMAV_CVC_FACET_VALID:
    case XML_SCHEMAV_CVC_LENGTH_VALID:
    case XML_SCHEMAV_CVC_MINLENGTH_VALID:
    case XML_SCHEMAV_CVC_MAXLENGTH_VALID:
    case XML_SCHEMAV_CVC_MININCLUSIVE_VALID:
    case XML_SCHEMAV_CVC_MAXINCLUSIVE_VALID:
    case XML_SCHEMAV_CVC_MINEXCLUSIVE_VALID:
    case XML_SCHEMAV_CVC_MAXEXCLUSIVE_VALID:
    case XML_SCHEMAV_CVC_TOTALDIGITS_VALID:
    case XML_SCHEMAV_CVC_FRACTIONDIGITS_VALID:
    case XML_SCHEMAV_CVC_PATTERN_VALID:
    case XML_SCHEMAV_CVC_ENUMERATION_VALID:
    case XML_SCHEMAV_CVC_ATTRIBUTE_3:
        return true;
    default:
        return false;
    }
}

/* libxml2's message without its trailing newline. */
static void copy_message(char *dst, size_t size, const char *msg)
{
    snprintf(dst, size, "%s", msg ? msg : "XML error");
    size_t n = strlen(dst);
    while (n && (dst[n - 1] == '\n' || dst[n - 1] == ' '))
        dst[--n] = '\0';
}

static struct pending *pend_push(struct xml_reader *xr)
{
    if (tally_grow((void **)&xr->pend, &xr->pend_cap, xr->npend, sizeof *xr->pend, 8) != TALLY_OK) {
        xr->oom = true;
        return NULL;
    }
    struct pending *p = &xr->pend[xr->npend++];
    memset(p, 0, sizeof *p);
    return p;
}

/*
 * The construct libxml2 is at when it raises an error, from its byte count d:
 * a tag containing d (d is at its '>' or just after it) or, for an error
 * about character content, the text starting at d. NULL when none is known.
 */
static const struct mark *find_mark(const struct xml_reader *xr, uint64_t d, bool text)
{
    for (size_t i = xr->marks.count; i-- > 0;) {
        const struct mark *m = queue_at(&xr->marks, i);
        if (text ? (m->kind == MARK_TEXT && m->start <= d && d <= m->end)
                 : (m->kind != MARK_TEXT && m->start < d && d <= m->end))
            return m;
        if (m->end < d)
            break;
    }
    return NULL;
}

static void on_xml_error(void *ctx, xml_error_ptr e)
{
    struct xml_reader *xr = ctx;
    if (!e || e->level == XML_ERR_NONE || xr->io_failed || xr->fatal_seen)
        return;
    uint64_t d = 0;
    if (xr->xml) {
        long c = xmlTextReaderByteConsumed(xr->xml);
        d = c > 0 ? (uint64_t)c : 0;
    }

    if (e->domain == XML_FROM_SCHEMASV) {
        if (is_value_error(e->code))
            return;
        struct pending *p = pend_push(xr);
        if (!p)
            return;
        p->sev = TALLY_SEV_ERROR;
        p->code = TALLY_CODE_XML_SCHEMA;
        copy_message(p->msg, sizeof p->msg, e->message);
        const struct mark *m = find_mark(xr, d, e->code == XML_SCHEMAV_CVC_COMPLEX_TYPE_2_3);
        if (m) {
            p->loc = m->loc;
            /* "This element is not expected" at a start tag is about the
             * content of the element it is in. */
            p->seq = m->kind == MARK_START && e->code == XML_SCHEMAV_ELEMENT_CONTENT ? m->parent
                                                                                   : m->seq;
        } else {
            p->loc = (struct tally_loc){(uint32_t)(e->line > 0 ? e->line : 0), 0, 0};
            p->seq = xr->scan.depth ? xr->scan.stack[xr->scan.depth - 1] : 0;
        }
        return;
    }

    if (e->level == XML_ERR_FATAL) {
        xr->fatal_seen = true;
        /* After the scanner stopped, libxml2 only complains that the input
         * ended early: the scanner's diagnostic says why. */
        xr->fatal_real = !xr->scan.eof_sent;
        xr->fatal_loc = (struct tally_loc){(uint32_t)(e->line > 0 ? e->line : 0),
                                           (uint32_t)(e->int2 > 0 ? e->int2 : 0), d};
        copy_message(xr->fatal_msg, sizeof xr->fatal_msg, e->message);
        const struct scan *s = &xr->scan;
        if (e->code == XML_ERR_DOCUMENT_END && s->eof_sent && !s->stop_code && s->depth &&
            d >= s->pos.offset) {
            /* libxml2's push parser calls a file that stops inside an
             * element "Extra content at the end of the document". */
            const char *name = s->open[s->depth - 1].name;
            const struct tally_loc *at = &s->open[s->depth - 1].loc;
            snprintf(xr->fatal_msg, sizeof xr->fatal_msg, "the file ends before <%s> (line %u, "
                     "column %u) is closed: it is incomplete", name, at->line, at->column);
            xr->fatal_incomplete = true;
        }
        return;
    }

    /* A parser error libxml2 recovers from (a namespace error), or a warning. */
    struct pending *p = pend_push(xr);
    if (!p)
        return;
    p->sev = e->level == XML_ERR_WARNING ? TALLY_SEV_WARNING : TALLY_SEV_ERROR;
    p->code = TALLY_CODE_XML_SYNTAX;
    copy_message(p->msg, sizeof p->msg, e->message);
    p->loc = (struct tally_loc){(uint32_t)(e->line > 0 ? e->line : 0),
                                (uint32_t)(e->int2 > 0 ? e->int2 : 0), d};
    const struct mark *m = find_mark(xr, d, false);
    p->seq = m ? m->seq : xr->scan.depth ? xr->scan.stack[xr->scan.depth - 1] : 0;
}

/* ---- the scanner ------------------------------------------------------------ */

static void scan_stop(struct xml_reader *xr, const char *code, const struct tally_loc *loc,
                      const char *fmt, ...) TALLY_PRINTF(4, 5);

/* Stop handing bytes to libxml2 before the current one. */
static void scan_stop(struct xml_reader *xr, const char *code, const struct tally_loc *loc,
                      const char *fmt, ...)
{
    struct scan *s = &xr->scan;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(s->stop_msg, sizeof s->stop_msg, fmt, ap);
    va_end(ap);
    s->stop_code = code;
    s->stop_loc = *loc;
}

static void push_mark(struct xml_reader *xr, enum mark_kind kind, uint64_t start, uint64_t end,
                      const struct tally_loc *loc, uint64_t seq, uint64_t parent)
{
    struct mark *m = queue_push(&xr->marks);
    if (!m) {
        xr->oom = true;
        return;
    }
    *m = (struct mark){start, end, *loc, seq, parent, kind};
}

/* The text run (or CDATA section) that ends here. */
static void end_text(struct xml_reader *xr)
{
    struct scan *s = &xr->scan;
    if (!s->blank)
        push_mark(xr, MARK_TEXT, s->start, s->pos.offset, &s->text_loc,
                  s->depth ? s->stack[s->depth - 1] : 0, 0);
    s->blank = true;
}

/* A character of text: note where an element's value starts. */
static void text_char(struct xml_reader *xr, unsigned char c)
{
    struct scan *s = &xr->scan;
    if (s->blank && !is_blank(c)) {
        s->blank = false;
        s->text_loc = s->pos;
        if (s->content_pending && xr->elems.count) {
            struct elem_pos *e = queue_at(&xr->elems, xr->elems.count - 1);
            e->content = s->pos;
            s->content_pending = false;
        }
    }
}

/* The '>' of a tag: record the element. Returns false to stop before it. */
static bool end_of_tag(struct xml_reader *xr)
{
    struct scan *s = &xr->scan;
    uint64_t end = s->pos.offset + 1;
    if (s->end_tag) {
        uint64_t seq = s->depth ? s->stack[s->depth - 1] : 0;
        uint64_t parent = s->depth > 1 ? s->stack[s->depth - 2] : 0;
        push_mark(xr, MARK_END, s->start, end, &s->loc, seq, parent);
        if (s->depth)
            s->depth--;
        s->content_pending = false;
        return true;
    }
    bool empty = s->slash;
    if (!empty && s->depth == MAX_DEPTH) {
        scan_stop(xr, TALLY_CODE_LIMIT, &s->loc, "elements nested deeper than %d levels; the "
                  "rest of the file is not read", MAX_DEPTH);
        return false;
    }
    struct elem_pos *e = queue_push(&xr->elems);
    if (!e) {
        xr->oom = true;
        return false;
    }
    *e = s->cur;
    e->seq = ++s->seq;
    e->tag = s->loc;
    push_mark(xr, MARK_START, s->start, end, &s->loc, e->seq, s->depth ? s->stack[s->depth - 1] : 0);
    s->content_pending = !empty;
    if (!empty) {
        memcpy(s->open[s->depth].name, s->name, sizeof s->name);
        s->open[s->depth].loc = s->loc;
        s->stack[s->depth++] = e->seq;
    }
    return true;
}

/*
 * One character (n bytes, first byte c, at p with avail bytes held) moves the
 * scanner. Returns 0 to go on, 1 when the piece must end after this
 * character, -1 to stop before it.
 */
static int scan_char(struct xml_reader *xr, const unsigned char *p, size_t avail, size_t n)
{
    struct scan *s = &xr->scan;
    unsigned char c = p[0];

    if (s->skip) {                  /* "!--", "![CDATA[", "?" or "/" after '<' */
        s->skip--;
        return 0;
    }
    if (s->st != S_TEXT && s->st != S_CDATA && s->st != S_ATTVAL &&
        s->pos.offset - s->start >= TALLY_MAX_VALUE_BYTES) {
        scan_stop(xr, TALLY_CODE_LIMIT, &s->loc, "markup longer than %d bytes; the rest of the "
                  "file is not read", TALLY_MAX_VALUE_BYTES);
        return -1;
    }

    switch (s->st) {
    case S_TEXT:
        if (c != '<') {
            if (s->pos.offset - s->start >= TALLY_MAX_VALUE_BYTES) {
                scan_stop(xr, TALLY_CODE_LIMIT, s->blank ? &s->loc : &s->text_loc, "value longer "
                          "than %d bytes; the rest of the file is not read", TALLY_MAX_VALUE_BYTES);
                return -1;
            }
            text_char(xr, c);
            return 0;
        }
        if (avail >= 9 && memcmp(p, "<!DOCTYPE", 9) == 0) {
            scan_stop(xr, TALLY_CODE_XML_DTD, &s->pos, "the document has a DOCTYPE: tally reads no DTD "
                      "and expands no entity, so the file is not read (remove the DOCTYPE)");
            return -1;
        }
        end_text(xr);
        s->any_markup = true;
        s->start = s->pos.offset;
        s->loc = s->pos;
        s->run = 0;
        if (avail >= 4 && memcmp(p, "<!--", 4) == 0) {
            s->st = S_COMMENT;
            s->skip = 3;
        } else if (avail >= 9 && memcmp(p, "<![CDATA[", 9) == 0) {
            s->st = S_CDATA;
            s->skip = 8;
            s->start = s->pos.offset + 9;
            s->blank = true;
        } else if (avail >= 2 && p[1] == '!') {
            s->st = S_DECL;
        } else if (avail >= 2 && p[1] == '?') {
            s->st = S_PI;
            s->skip = 1;
        } else {
            s->st = S_TAG;
            s->end_tag = avail >= 2 && p[1] == '/';
            s->skip = s->end_tag;
            s->have_name = s->in_token = s->slash = false;
            s->name_len = 0;
            s->name[0] = '\0';
            memset(&s->cur, 0, sizeof s->cur);
        }
        return 0;

    case S_TAG:
        if (c == '>' || c == '"' || c == '\'' || c == '=' || c == '/' || is_blank(c)) {
            if (s->in_token && !s->have_name) {     /* the first name is the element's */
                s->have_name = true;
                s->name_hash = s->hash;
                s->name_len = s->tok_len;
            }
            s->in_token = false;
        }
        if (c == '>') {
            if (!end_of_tag(xr))
                return -1;
            /* A record's start and end tags end a piece: the reader meets
             * them before libxml2 parses anything after them. */
            bool record_tag = s->name_len == xr->records_len && s->name_hash == xr->records_hash;
            s->st = S_TEXT;
            s->start = s->pos.offset + 1;
            s->loc = s->pos;
            s->loc.column++;
            s->loc.offset++;
            s->blank = true;
            return record_tag ? 1 : 0;
        }
        if (c == '"' || c == '\'') {
            if (s->have_name && s->cur.nattrs < MAX_ATTRS) {   /* hash: the attribute's name */
                s->cur.attrs[s->cur.nattrs].hash = s->hash;
                s->cur.attrs[s->cur.nattrs++].loc = s->pos;
            }
            s->slash = false;
            s->quote = c;
            s->attval_start = s->pos.offset;
            s->st = S_ATTVAL;
            return 0;
        }
        if (is_blank(c) || c == '=' || c == '/') {
            if (!is_blank(c))
                s->slash = c == '/';
            return 0;
        }
        s->slash = false;
        if (!s->in_token) {
            s->in_token = true;
            s->hash = HASH_INIT;
            s->tok_len = 0;
        }
        if (!s->have_name && s->tok_len + n < sizeof s->name) {
            memcpy(s->name + s->tok_len, p, n);
            s->name[s->tok_len + n] = '\0';
        }
        s->hash = hash_bytes(s->hash, p, n);
        s->tok_len += n;
        return 0;

    case S_ATTVAL:
        if (c == s->quote) {
            s->st = S_TAG;
            return 0;
        }
        if (s->pos.offset - s->attval_start > TALLY_MAX_VALUE_BYTES) {
            struct tally_loc at = s->cur.nattrs ? s->cur.attrs[s->cur.nattrs - 1].loc : s->loc;
            scan_stop(xr, TALLY_CODE_LIMIT, &at, "value longer than %d bytes; the rest of the file "
                      "is not read", TALLY_MAX_VALUE_BYTES);
            return -1;
        }
        return 0;

    case S_COMMENT:
        if (c == '>' && s->run >= 2) {
            s->st = S_TEXT;
            s->start = s->pos.offset + 1;
            s->blank = true;
            return 0;
        }
        s->run = c == '-' ? s->run + 1 : 0;
        return 0;

    case S_PI:
        if (c == '>' && s->run) {
            s->st = S_TEXT;
            s->start = s->pos.offset + 1;
            s->blank = true;
            return 0;
        }
        s->run = c == '?';
        return 0;

    case S_CDATA:
        if (c == '>' && s->run >= 2) {
            end_text(xr);
            s->st = S_TEXT;
            s->start = s->pos.offset + 1;
            return 0;
        }
        if (s->pos.offset - s->start >= TALLY_MAX_VALUE_BYTES) {
            scan_stop(xr, TALLY_CODE_LIMIT, &s->loc, "value longer than %d bytes; the rest of the "
                      "file is not read", TALLY_MAX_VALUE_BYTES);
            return -1;
        }
        s->run = c == ']' ? s->run + 1 : 0;
        if (c != ']')
            text_char(xr, c);
        return 0;

    case S_DECL:
        if (c == '>') {
            s->st = S_TEXT;
            s->start = s->pos.offset + 1;
            s->blank = true;
        }
        return 0;
    }
    return 0;
}

/* Move pos over one character of n bytes whose first byte is b. */
static void step(struct scan *s, unsigned char b, size_t n)
{
    s->pos.offset += n;
    if (b == '\n') {
        if (!s->prev_cr) {
            s->pos.line++;
            s->pos.column = 1;
        }
        s->prev_cr = false;
    } else if (b == '\r') {
        s->pos.line++;
        s->pos.column = 1;
        s->prev_cr = true;
    } else {
        s->pos.column++;
        s->prev_cr = false;
    }
}

/*
 * libxml2's input callback: up to len bytes of the file into out, checked
 * and noted by the scanner. Returns the count, 0 at the end (or after the
 * scanner stopped), -1 on an I/O failure (kept in io_err).
 */
static int feed(void *ctx, char *out, int len)
{
    struct xml_reader *xr = ctx;
    struct scan *s = &xr->scan;
    struct tally_input *in = xr->base.in;
    if (xr->io_failed || xr->oom)
        return -1;
    if (s->stop_code || len <= 0) {
        s->eof_sent = true;
        return 0;
    }
    if (tally_input_want(in, PIECE + LOOKAHEAD, &xr->io_err) != TALLY_OK) {
        xr->io_failed = true;
        return -1;
    }
    size_t max = (size_t)len < PIECE ? (size_t)len : PIECE;
    size_t n = 0;
    const unsigned char *from = in->buf + in->pos;   /* what is handed over, contiguous */
    while (n < max) {
        const unsigned char *p = in->buf + in->pos;
        size_t avail = in->len - in->pos;
        if (avail == 0)
            break;
        if (s->st == S_TEXT && !s->skip && s->pos.offset > 3) {
            /* The common case, fast: ASCII text up to the next '<'. */
            size_t lim = avail < max - n ? avail : max - n;
            uint64_t run = s->pos.offset - s->start;
            if (run + lim > TALLY_MAX_VALUE_BYTES)
                lim = run < TALLY_MAX_VALUE_BYTES ? (size_t)(TALLY_MAX_VALUE_BYTES - run) : 0;
            size_t i = 0;
            for (; i < lim; i++) {
                unsigned char b = p[i];
                if (b == '<' || b >= 0x80 || (b < 0x20 && b != '\t' && b != '\n'))
                    break;
                if (b == '\n') {
                    if (!s->prev_cr) {
                        s->pos.line++;
                        s->pos.column = 1;
                    }
                    s->prev_cr = false;
                } else {
                    if (s->blank && b != ' ' && b != '\t')
                        text_char(xr, b);
                    s->pos.column++;
                    s->prev_cr = false;
                }
                s->pos.offset++;
            }
            n += i;
            in->pos += i;
            if (i)
                continue;
        }
        if (s->st == S_TAG && s->in_token && !s->skip) {
            /* Fast too: the rest of a name in a tag. */
            size_t lim = avail < max - n ? avail : max - n;
            size_t i = 0;
            while (i < lim && ((unsigned)((p[i] | 0x20) - 'a') < 26u ||
                               (unsigned)(p[i] - '0') < 10u || p[i] == '_' || p[i] == '-' ||
                               p[i] == '.' || p[i] == ':'))
                i++;
            if (!s->have_name && s->tok_len + i < sizeof s->name) {
                memcpy(s->name + s->tok_len, p, i);
                s->name[s->tok_len + i] = '\0';
            }
            s->hash = hash_bytes(s->hash, p, i);
            s->tok_len += i;
            s->pos.column += (uint32_t)i;
            s->pos.offset += i;
            n += i;
            in->pos += i;
            if (i)
                continue;
        }
        unsigned char c = p[0];
        size_t k = 1;
        if (s->pos.offset == 0 && avail >= 2 &&
            ((c == 0xFF && p[1] == 0xFE) || (c == 0xFE && p[1] == 0xFF))) {
            scan_stop(xr, TALLY_CODE_ENCODING, &s->pos, "the file is UTF-16 (byte order mark "
                      "0x%02X%02X at byte offset 0); save it as UTF-8", c, p[1]);
            break;
        }
        if (c == 0) {
            scan_stop(xr, TALLY_CODE_ENCODING, &s->pos, "NUL byte at byte offset %llu; the rest "
                      "of the file is not read", (unsigned long long)s->pos.offset);
            break;
        }
        if (c >= 0x80) {
            const char *why = NULL;
            int m = tally_utf8_seq(p, avail, &why);
            if (m <= 0) {
                scan_stop(xr, TALLY_CODE_ENCODING, &s->pos, "invalid UTF-8 (%s, byte 0x%02X) at "
                          "byte offset %llu; the rest of the file is not read",
                          why ? why : "truncated sequence", c, (unsigned long long)s->pos.offset);
                break;
            }
            k = (size_t)m;
        }
        if (n + k > max)
            break;
        if (s->pos.offset == 0 && avail >= 3 && c == 0xEF && p[1] == 0xBB && p[2] == 0xBF) {
            n += 3;                     /* a UTF-8 BOM: passed on, but not a column */
            in->pos += 3;
            s->pos.offset = 3;
            s->start = 3;
            continue;
        }
        int r = scan_char(xr, p, avail, k);
        if (r < 0 || xr->oom)
            break;
        n += k;
        in->pos += k;
        step(s, c, k);
        if (r > 0)
            break;
    }
    if (xr->oom)
        return -1;
    memcpy(out, from, n);
    if (n == 0)
        s->eof_sent = true;
    return (int)n;
}

/* ---- the reader's state machine ------------------------------------------------ */

static const struct elem_pos no_pos;

/* What the scanner noted about element seq (the reader has just met it). */
static const struct elem_pos *elem_at(const struct xml_reader *xr, uint64_t seq)
{
    if (xr->elems.count == 0)
        return &no_pos;
    const struct elem_pos *first = queue_at(&xr->elems, 0);
    if (seq < first->seq || seq - first->seq >= xr->elems.count)
        return &no_pos;
    return queue_at(&xr->elems, (size_t)(seq - first->seq));
}

/* Forget the scanner's notes the reader no longer needs: elements before
 * seq, and constructs libxml2 has parsed past. */
static void forget(struct xml_reader *xr, uint64_t seq)
{
    size_t n = 0;
    while (n < xr->elems.count && ((const struct elem_pos *)queue_at(&xr->elems, n))->seq < seq)
        n++;
    queue_drop(&xr->elems, n);
    long c = xmlTextReaderByteConsumed(xr->xml);
    uint64_t d = c > 0 ? (uint64_t)c : 0;
    n = 0;
    while (n < xr->marks.count && ((const struct mark *)queue_at(&xr->marks, n))->end < d)
        n++;
    queue_drop(&xr->marks, n);
}

static uint64_t *mask_of(struct xml_reader *xr, unsigned depth)
{
    return xr->masks + (size_t)depth * xr->mask_words;
}

static bool mask_has(const uint64_t *m, size_t f)
{
    return m[f / 64] >> (f % 64) & 1;
}

/* The text of a value as the XSD reads it: white space collapsed. */
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

/* scope_path + "/" + segs[0..nsegs), in arena. */
static char *field_path(struct tally_arena *arena, const char *scope_path,
                        const struct tally_path *path)
{
    size_t n = strlen(scope_path);
    for (size_t i = 0; i < path->nsegs; i++)
        n += 1 + strlen(path->segs[i]);
    char *p = tally_arena_alloc(arena, n + 1);
    if (!p)
        return NULL;
    size_t o = strlen(scope_path);
    memcpy(p, scope_path, o);
    for (size_t i = 0; i < path->nsegs; i++) {
        size_t k = strlen(path->segs[i]);
        p[o++] = '/';
        memcpy(p + o, path->segs[i], k);
        o += k;
    }
    p[o] = '\0';
    return p;
}

/* Emit one pending diagnostic, against rec when given. */
static void emit_pending(struct xml_reader *xr, const struct pending *p, struct tally_record *rec,
                         const char *path)
{
    if (p->sev == TALLY_SEV_ERROR)
        xr->complained = true;
    tally_emit_at(&xr->base.cfg.sink, rec, xr->base.in->name, &p->loc, rec ? rec->index : 0, NULL,
                  NULL, TALLY_PATH_XPATH, path, p->sev, p->code, "%s", p->msg);
}

/*
 * Emit and drop the pending diagnostics about elements before `before`. One
 * inside the open submission concerns it: its later records inherit an
 * error. One before it concerns the document.
 */
static void settle_before(struct xml_reader *xr, uint64_t before)
{
    size_t kept = 0;
    for (size_t i = 0; i < xr->npend; i++) {
        struct pending *p = &xr->pend[i];
        if (p->seq >= before) {
            xr->pend[kept++] = *p;
            continue;
        }
        if (xr->in_sub && p->seq >= xr->sub_seq) {
            emit_pending(xr, p, NULL, xr->sub_path);
            if (p->sev == TALLY_SEV_ERROR && !xr->sub_inherited)
                xr->sub_inherited = p->code;
        } else {
            emit_pending(xr, p, NULL, NULL);
        }
    }
    xr->npend = kept;
}

/* The record field whose element is name[0..n), or -1. */
static int record_field_named(const struct xml_reader *xr, const char *name, size_t n)
{
    const struct tally_schema *s = xr->base.cfg.schema;
    for (size_t f = 0; f < s->nfields; f++) {
        const struct tally_path *path = &s->fields[f].xml;
        if (path->in_record && path->nsegs && strlen(path->segs[path->nsegs - 1]) == n &&
            memcmp(path->segs[path->nsegs - 1], name, n) == 0)
            return (int)f;
    }
    return -1;
}

/*
 * An XSD error that only says a record's field is absent — "Missing child
 * element(s). Expected is ( went_missing )." or, when later fields follow,
 * "This element is not expected. Expected is ( went_missing )." — where the
 * record indeed has no such field. The validator reports it as `required`,
 * as it does for an empty CSV cell, so the XSD's error is not repeated.
 */
static bool only_absent_field(const struct xml_reader *xr, const struct pending *p)
{
    static const char marker[] = "Expected is ( ";
    const char *name = strcmp(p->code, TALLY_CODE_XML_SCHEMA) == 0 ? strstr(p->msg, marker) : NULL;
    if (!name || (!strstr(p->msg, "Missing child element(s).") &&
                  !strstr(p->msg, "This element is not expected.")))
        return false;
    name += sizeof marker - 1;
    size_t n = strcspn(name, " ,)");
    if (strcmp(name + n, " ).") != 0)
        return false;   /* several alternatives: not simply one absent field */
    int f = record_field_named(xr, name, n);
    if (f < 0 || xr->rec.fields[f].text != NULL)
        return false;
    if (strstr(p->msg, "This element is not expected.")) {
        /* Only when what came instead is itself one of the record's fields:
         * an unknown element is a real shape error. */
        const char *el = strncmp(p->msg, "Element '", 9) == 0 ? p->msg + 9 : NULL;
        if (!el || record_field_named(xr, el, strcspn(el, "'")) < 0)
            return false;
    }
    return true;
}

/* Emit and drop those about elements lo..hi (a record's) against the record. */
static void settle_record(struct xml_reader *xr, uint64_t lo, uint64_t hi)
{
    size_t kept = 0;
    for (size_t i = 0; i < xr->npend; i++) {
        struct pending *p = &xr->pend[i];
        if (p->seq < lo || p->seq > hi) {
            xr->pend[kept++] = *p;
            continue;
        }
        if (only_absent_field(xr, p))
            continue;
        emit_pending(xr, p, &xr->rec, xr->rec.path);
        if (p->sev == TALLY_SEV_ERROR && !xr->rec.inherited)
            xr->rec.inherited = p->code;
    }
    xr->npend = kept;
}

/* A structural error the reader finds itself (no XSD in use). */
static void own_schema_error(struct xml_reader *xr, uint64_t seq, const struct tally_loc *loc,
                             const char *fmt, const char *name)
{
    struct pending *p = pend_push(xr);
    if (!p)
        return;
    p->seq = seq;
    p->sev = TALLY_SEV_ERROR;
    p->code = TALLY_CODE_XML_SCHEMA;
    p->loc = *loc;
    snprintf(p->msg, sizeof p->msg, fmt, name);
}

static void begin_submission(struct xml_reader *xr, uint64_t seq, const char *root)
{
    const struct tally_schema *s = xr->base.cfg.schema;
    settle_before(xr, seq);
    tally_arena_reset(&xr->sub_arena);
    memset(xr->sub_fields, 0, s->nfields * sizeof *xr->sub_fields);
    xr->in_sub = true;
    xr->sub_seq = seq;
    xr->sub_count++;
    xr->sub_records = 0;
    xr->sub_inherited = NULL;
    char buf[512];
    if (root)
        snprintf(buf, sizeof buf, "/%s/%s[%llu]", root, s->xml_submission,
                 (unsigned long long)xr->sub_count);
    else
        snprintf(buf, sizeof buf, "/%s", s->xml_submission);
    xr->sub_path = tally_arena_strndup(&xr->sub_arena, buf, strlen(buf));
    if (!xr->sub_path)
        xr->oom = true;
}

/* Store a field's value (text, n bytes) where its scope keeps it. */
static void set_field(struct xml_reader *xr, size_t f, bool in_record, const char *text, size_t n,
                      const struct tally_loc *loc)
{
    struct tally_arena *arena = in_record ? &xr->arena : &xr->sub_arena;
    struct tally_field *field = in_record ? &xr->fields[f] : &xr->sub_fields[f];
    if (field->text || field->path)
        return;         /* a second element for the same field: the XSD reports it */
    const struct tally_field_def *def = &xr->base.cfg.schema->fields[f];
    field->path = field_path(arena, in_record ? xr->rec.path : xr->sub_path, &def->xml);
    if (!field->path) {
        xr->oom = true;
        return;
    }
    if (!text)
        return;
    char *copy = tally_arena_strndup(arena, text, n);
    if (!copy) {
        xr->oom = true;
        return;
    }
    field->text = copy;
    field->len = collapse(copy, n);
    copy[field->len] = '\0';
    field->loc = *loc;
}

/* Read the attribute fields placed on the element just met (mask: the fields
 * whose path runs through it, rel: its depth below the scope element). */
static void read_attributes(struct xml_reader *xr, const uint64_t *mask, unsigned rel,
                            bool in_record, const struct elem_pos *ep)
{
    const struct tally_schema *s = xr->base.cfg.schema;
    for (size_t f = 0; f < s->nfields; f++) {
        const struct tally_path *path = &s->fields[f].xml;
        if (!mask_has(mask, f) || path->nsegs != rel + 1 || path->segs[rel][0] != '@')
            continue;
        const char *name = path->segs[rel] + 1;
        xmlChar *v = xmlTextReaderGetAttribute(xr->xml, (const xmlChar *)name);
        if (!v)
            continue;
        struct tally_loc loc = ep->tag;
        uint32_t h = hash_bytes(HASH_INIT, (const unsigned char *)name, strlen(name));
        for (unsigned i = 0; i < ep->nattrs; i++)
            if (ep->attrs[i].hash == h)
                loc = ep->attrs[i].loc;
        set_field(xr, f, in_record, (const char *)v, strlen((const char *)v), &loc);
        xmlFree(v);
    }
}

static void begin_record(struct xml_reader *xr, uint64_t seq, const struct elem_pos *ep,
                         const uint64_t *mask)
{
    const struct tally_schema *s = xr->base.cfg.schema;
    settle_before(xr, seq);
    tally_arena_reset(&xr->arena);
    memset(xr->fields, 0, s->nfields * sizeof *xr->fields);
    xr->in_rec = true;
    xr->rec_seq = seq;
    xr->sub_records++;
    struct tally_record *rec = &xr->rec;
    rec->index = xr->base.records + 1;
    rec->loc = ep->tag;
    rec->errors = rec->warnings = 0;
    rec->inherited = NULL;
    char buf[600];
    snprintf(buf, sizeof buf, "%s/%s[%llu]", xr->sub_path ? xr->sub_path : "", s->xml_records,
             (unsigned long long)xr->sub_records);
    rec->path = tally_arena_strndup(&xr->arena, buf, strlen(buf));
    if (!rec->path) {
        xr->oom = true;
        return;
    }
    read_attributes(xr, mask, 0, true, ep);
}

/* The record element ended (or the file did): make rec whole. Diagnostics
 * about elements rec_seq..last are the record's. */
static void finish_record(struct xml_reader *xr, uint64_t last)
{
    const struct tally_schema *s = xr->base.cfg.schema;
    struct tally_record *rec = &xr->rec;
    settle_before(xr, xr->rec_seq);
    settle_record(xr, xr->rec_seq, last);
    for (size_t f = 0; f < s->nfields; f++)
        if (!s->fields[f].xml.in_record)
            xr->fields[f] = xr->sub_fields[f];
    if (xr->sub_inherited) {
        rec->errors++;
        if (!rec->inherited)
            rec->inherited = xr->sub_inherited;
    }
    xr->base.records++;
    xr->in_rec = false;
    xr->ready = true;
}

/* The fields whose paths run through an element named name at depth rel
 * below its scope element, given those through its parent. */
static void narrow(const struct tally_schema *s, const uint64_t *parent, uint64_t *out,
                   size_t words, unsigned rel, const char *name, bool *leaf, int *leaf_field,
                   bool *container)
{
    memset(out, 0, words * sizeof *out);
    *leaf = *container = false;
    *leaf_field = -1;
    for (size_t f = 0; f < s->nfields; f++) {
        const struct tally_path *path = &s->fields[f].xml;
        if (!mask_has(parent, f) || path->nsegs < rel || strcmp(path->segs[rel - 1], name) != 0)
            continue;
        out[f / 64] |= (uint64_t)1 << (f % 64);
        if (path->nsegs == rel && *leaf_field < 0) {
            *leaf = true;
            *leaf_field = (int)f;
        } else if (path->nsegs > rel) {
            *container = true;
        }
    }
}

/* The fields of a scope (submission or record): all that have an XML path. */
static void scope_mask(const struct tally_schema *s, uint64_t *out, size_t words, bool in_record)
{
    memset(out, 0, words * sizeof *out);
    for (size_t f = 0; f < s->nfields; f++)
        if (s->fields[f].xml.segs && s->fields[f].xml.nsegs && s->fields[f].xml.in_record == in_record)
            out[f / 64] |= (uint64_t)1 << (f % 64);
}

static void end_element(struct xml_reader *xr, unsigned depth);

static void start_element(struct xml_reader *xr, unsigned depth)
{
    const struct tally_schema *s = xr->base.cfg.schema;
    uint64_t seq = ++xr->seen;
    const struct elem_pos *ep = elem_at(xr, seq);
    if (xr->leaf_field >= 0 && !xr->leaf_loc_known) {
        xr->leaf_content = elem_at(xr, xr->leaf_seq)->content;
        xr->leaf_loc_known = true;
    }
    struct elem_pos here = *ep;
    forget(xr, seq);
    ep = &here;

    const char *name = (const char *)xmlTextReaderConstLocalName(xr->xml);
    bool plain = xmlTextReaderConstNamespaceUri(xr->xml) == NULL && name;
    struct level *l = &xr->levels[depth];
    const struct level *up = depth ? &xr->levels[depth - 1] : NULL;
    *l = (struct level){L_OTHER, seq, 0, false, mask_of(xr, depth)};

    if (!up) {
        if (plain && s->xml_root && strcmp(name, s->xml_root) == 0) {
            l->kind = L_ROOT;
            xr->root_known = true;
        } else if (plain && strcmp(name, s->xml_submission) == 0) {
            l->kind = L_SUBMISSION;
            xr->root_known = true;
            begin_submission(xr, seq, NULL);
            scope_mask(s, l->mask, xr->mask_words, false);
            read_attributes(xr, l->mask, 0, false, ep);
        } else if (!xr->xsd) {
            own_schema_error(xr, seq, &ep->tag, "Element '%s': No matching global declaration "
                             "available for the validation root.", name ? name : "");
        }
    } else if (up->kind == L_ROOT) {
        if (plain && strcmp(name, s->xml_submission) == 0) {
            l->kind = L_SUBMISSION;
            begin_submission(xr, seq, s->xml_root);
            scope_mask(s, l->mask, xr->mask_words, false);
            read_attributes(xr, l->mask, 0, false, ep);
        }
    } else if (up->kind == L_SUBMISSION && plain && s->xml_records &&
               strcmp(name, s->xml_records) == 0) {
        l->kind = L_RECORD;
        l->in_record = true;
        scope_mask(s, l->mask, xr->mask_words, true);
        begin_record(xr, seq, ep, l->mask);
    } else if (plain && (up->kind == L_SUBMISSION || up->kind == L_RECORD ||
                         up->kind == L_CONTAINER)) {
        l->in_record = up->in_record;
        l->rel = up->kind == L_CONTAINER ? up->rel + 1 : 1;
        bool leaf, container;
        int f;
        narrow(s, up->mask, l->mask, xr->mask_words, l->rel, name, &leaf, &f, &container);
        if (leaf) {
            l->kind = L_LEAF;
            xr->leaf_field = f;
            xr->leaf_in_rec = l->in_record;
            xr->leaf_depth = depth;
            xr->leaf_seq = seq;
            xr->leaf_loc_known = false;
            xr->leaf_tag = ep->tag;
            xr->val_len = 0;
            xr->val_too_long = false;
        } else if (container) {
            l->kind = L_CONTAINER;
        }
        if (leaf || container)
            read_attributes(xr, l->mask, l->rel, l->in_record, ep);
    }
    if (l->kind == L_OTHER && up && !xr->xsd && up->kind != L_OTHER && up->kind != L_LEAF)
        own_schema_error(xr, up->seq, &ep->tag, "Element '%s': This element is not expected.",
                         name ? name : "");
    if (xmlTextReaderIsEmptyElement(xr->xml))
        end_element(xr, depth);
}

/* A field's element ended: its text becomes the field's value. */
static void end_leaf(struct xml_reader *xr)
{
    const struct tally_schema *s = xr->base.cfg.schema;
    size_t f = (size_t)xr->leaf_field;
    xr->leaf_field = -1;
    if (!xr->leaf_loc_known)
        xr->leaf_content = elem_at(xr, xr->leaf_seq)->content;
    if (xr->val_too_long) {
        set_field(xr, f, xr->leaf_in_rec, NULL, 0, &xr->leaf_tag);
        struct tally_field *field = xr->leaf_in_rec ? &xr->fields[f] : &xr->sub_fields[f];
        struct tally_loc loc = xr->leaf_content.line ? xr->leaf_content : xr->leaf_tag;
        struct tally_record *rec = xr->leaf_in_rec ? &xr->rec : NULL;
        tally_emit_at(&xr->base.cfg.sink, rec, xr->base.in->name, &loc, rec ? rec->index : 0,
                      s->fields[f].name, NULL, TALLY_PATH_XPATH, field->path, TALLY_SEV_ERROR,
                      TALLY_CODE_LIMIT, "%s is longer than %d bytes", s->fields[f].name,
                      TALLY_MAX_VALUE_BYTES);
        if (rec && !rec->inherited)
            rec->inherited = TALLY_CODE_LIMIT;
        else if (!rec && !xr->sub_inherited)
            xr->sub_inherited = TALLY_CODE_LIMIT;
        return;
    }
    char *v = xr->val ? xr->val : (char *)"";
    size_t n = collapse(v, xr->val_len);
    const struct tally_loc *loc = n && xr->leaf_content.line ? &xr->leaf_content : &xr->leaf_tag;
    set_field(xr, f, xr->leaf_in_rec, v, n, loc);
}

static void end_element(struct xml_reader *xr, unsigned depth)
{
    struct level *l = &xr->levels[depth];
    switch (l->kind) {
    case L_LEAF:
        if (xr->leaf_field >= 0 && xr->leaf_depth == depth)
            end_leaf(xr);
        break;
    case L_RECORD:
        finish_record(xr, xr->seen);
        break;
    case L_SUBMISSION:
        settle_before(xr, xr->seen + 1);   /* later elements' wait: libxml2 runs ahead */
        xr->in_sub = false;
        break;
    case L_ROOT:
        settle_before(xr, xr->seen + 1);
        break;
    default:
        break;
    }
    l->kind = L_OTHER;
}

static void append_text(struct xml_reader *xr, const char *t)
{
    if (!t || xr->val_too_long)
        return;
    size_t n = strlen(t);
    if (xr->val_len + n > TALLY_MAX_VALUE_BYTES) {
        xr->val_too_long = true;
        return;
    }
    if (xr->val_len + n + 1 > xr->val_cap) {
        size_t cap = xr->val_cap ? xr->val_cap : 256;
        while (cap < xr->val_len + n + 1)
            cap *= 2;
        char *v = realloc(xr->val, cap);
        if (!v) {
            xr->oom = true;
            return;
        }
        xr->val = v;
        xr->val_cap = cap;
    }
    memcpy(xr->val + xr->val_len, t, n + 1);
    xr->val_len += n;
}

static void on_node(struct xml_reader *xr)
{
    int depth = xmlTextReaderDepth(xr->xml);
    if (depth < 0 || depth > MAX_DEPTH)
        return;
    switch (xmlTextReaderNodeType(xr->xml)) {
    case XML_READER_TYPE_ELEMENT:
        start_element(xr, (unsigned)depth);
        break;
    case XML_READER_TYPE_END_ELEMENT:
        end_element(xr, (unsigned)depth);
        break;
    case XML_READER_TYPE_TEXT:
    case XML_READER_TYPE_CDATA:
    case XML_READER_TYPE_WHITESPACE:
    case XML_READER_TYPE_SIGNIFICANT_WHITESPACE:
        if (xr->leaf_field >= 0 && (unsigned)depth == xr->leaf_depth + 1)
            append_text(xr, (const char *)xmlTextReaderConstValue(xr->xml));
        break;
    default:
        break;
    }
}

/* ---- the end of the file ------------------------------------------------------ */

/* libxml2 has stopped: say why (once), deliver an open record as it is, and
 * settle every waiting diagnostic. */
static void finish_file(struct xml_reader *xr)
{
    struct scan *s = &xr->scan;
    const char *code = NULL;
    struct tally_loc loc = {0, 0, 0};
    char msg[512];
    if (!s->any_markup && !s->stop_code) {
        code = TALLY_CODE_FORMAT;
        snprintf(msg, sizeof msg, "%s", s->pos.offset == 0
                 ? "the file is empty: an XML return needs a root element"
                 : "the file holds no XML element");
    } else if (xr->fatal_seen && (xr->fatal_real || !s->stop_code)) {
        code = TALLY_CODE_XML_SYNTAX;
        loc = xr->fatal_loc;
        snprintf(msg, sizeof msg, "%s%s", xr->fatal_msg,
                 xr->fatal_incomplete ? "" : "; the rest of the file is not read");
    } else if (s->stop_code) {
        code = s->stop_code;
        loc = s->stop_loc;
        snprintf(msg, sizeof msg, "%s", s->stop_msg);
    }

    if (xr->in_rec) {
        /* The file ended inside a record: it comes out as far as it was read. */
        if (xr->leaf_field >= 0 && xr->leaf_in_rec)
            end_leaf(xr);
        finish_record(xr, UINT64_MAX);
        if (code) {
            tally_emit_at(&xr->base.cfg.sink, &xr->rec, xr->base.in->name, &loc, xr->rec.index,
                          NULL, NULL, TALLY_PATH_XPATH, xr->rec.path, TALLY_SEV_ERROR, code, "%s",
                          msg);
            xr->rec.inherited = code;
        }
        code = NULL;
    }
    settle_before(xr, UINT64_MAX);
    if (code)
        tally_emit_at(&xr->base.cfg.sink, NULL, xr->base.in->name, loc.line ? &loc : NULL, 0, NULL,
                      NULL, TALLY_PATH_NONE, NULL, TALLY_SEV_ERROR, code, "%s", msg);
    else if (xr->base.records == 0 && !xr->ready && xr->root_known && !xr->fatal_seen &&
             !xr->complained)
        tally_emit_at(&xr->base.cfg.sink, NULL, xr->base.in->name, &(struct tally_loc){1, 1, 0},
                      0, NULL, NULL, TALLY_PATH_NONE, NULL, TALLY_SEV_WARNING, TALLY_CODE_FORMAT,
                      "the file holds no records");
    xr->finished = true;
}

static int xml_next(struct tally_reader *r, struct tally_record **out, struct tally_error *err)
{
    struct xml_reader *xr = (struct xml_reader *)r;
    if (xr->delivered) {
        xr->delivered = false;
        xr->ready = false;
    }
    struct guard g;
    guard_on(xr, &g);       /* once per call: libxml2's globals are slow to reach */
    int status = TALLY_RECORD;
    while (!xr->ready) {
        if (xr->finished || xr->done) {
            xr->done = true;
            status = TALLY_DONE;
            break;
        }
        int rc = xmlTextReaderRead(xr->xml);
        if (xr->io_failed) {
            *err = xr->io_err;
            status = err->status ? (int)err->status : TALLY_EIO;
            break;
        }
        if (!xr->oom) {
            if (rc == 1)
                on_node(xr);
            else
                finish_file(xr);
        }
        if (xr->oom) {
            status = tally_error_set(err, TALLY_ENOMEM, "out of memory");
            break;
        }
    }
    guard_off(&g);
    if (status != TALLY_RECORD) {
        xr->done = true;
        return status;
    }
    xr->delivered = true;
    *out = &xr->rec;
    return TALLY_RECORD;
}

/* ---- open and close ------------------------------------------------------------ */

static void xml_close(struct tally_reader *r);

/* XSD compile errors: the embedded XSD is broken, which a unit test rules out. */
static void on_xsd_error(void *ctx, xml_error_ptr e)
{
    struct xml_reader *xr = ctx;
    if (e && e->level >= XML_ERR_ERROR && !xr->io_err.message[0])
        copy_message(xr->io_err.message, sizeof xr->io_err.message, e->message);
}

static int compile_xsd(struct xml_reader *xr, struct tally_error *err)
{
    xmlSchemaParserCtxtPtr pc = xmlSchemaNewMemParserCtxt(
        (const char *)tally_embedded_missing_from_care_xsd,
        (int)tally_embedded_missing_from_care_xsd_len);
    if (!pc)
        return tally_error_set(err, TALLY_ENOMEM, "out of memory");
    xmlSchemaSetParserStructuredErrors(pc, (xmlStructuredErrorFunc)on_xsd_error, xr);
    xr->xsd = xmlSchemaParse(pc);
    xmlSchemaFreeParserCtxt(pc);
    if (!xr->xsd)
        return tally_error_set(err, TALLY_ESCHEMA, "the built-in XSD cannot be compiled: %s",
                               xr->io_err.message[0] ? xr->io_err.message : "out of memory");
    xr->vctxt = xmlSchemaNewValidCtxt(xr->xsd);
    if (!xr->vctxt)
        return tally_error_set(err, TALLY_ENOMEM, "out of memory");
    xmlSchemaSetValidStructuredErrors(xr->vctxt, (xmlStructuredErrorFunc)on_xml_error, xr);
    return TALLY_OK;
}

static int xml_open(struct tally_reader **out, struct tally_input *in,
                    const struct tally_reader_config *cfg, struct tally_error *err)
{
    const struct tally_schema *s = cfg->schema;
    if (!s->xml_submission || !s->xml_records)
        return tally_error_set(err, TALLY_EFORMAT, "the schema \"%s\" gives no XML shape "
                               "(\"xml\" paths), so XML returns cannot be read", s->name);
    xmlInitParser();
    struct xml_reader *xr = calloc(1, sizeof *xr);
    if (!xr)
        return tally_error_set(err, TALLY_ENOMEM, "out of memory");
    xr->base.ops = &tally_xml_reader;
    xr->base.in = in;
    xr->base.cfg = *cfg;
    xr->elems.size = sizeof(struct elem_pos);
    xr->marks.size = sizeof(struct mark);
    xr->leaf_field = -1;
    xr->mask_words = (s->nfields + 63) / 64;
    xr->records_len = strlen(s->xml_records);
    xr->records_hash = hash_bytes(HASH_INIT, (const unsigned char *)s->xml_records, xr->records_len);
    xr->scan.pos = (struct tally_loc){1, 1, 0};
    xr->scan.blank = true;
    xr->scan.loc = xr->scan.pos;
    xr->fields = calloc(s->nfields ? s->nfields : 1, sizeof *xr->fields);
    xr->sub_fields = calloc(s->nfields ? s->nfields : 1, sizeof *xr->sub_fields);
    xr->masks = calloc((MAX_DEPTH + 1) * (xr->mask_words ? xr->mask_words : 1), sizeof *xr->masks);
    if (!xr->fields || !xr->sub_fields || !xr->masks || xr->mask_words > 8) {
        int rc = xr->mask_words > 8
                     ? tally_error_set(err, TALLY_EFORMAT, "the XML reader handles at most 512 fields")
                     : tally_error_set(err, TALLY_ENOMEM, "out of memory");
        xml_close(&xr->base);
        return rc;
    }
    xr->rec.file = in->name;
    xr->rec.nfields = s->nfields;
    xr->rec.fields = xr->fields;
    xr->rec.path_kind = TALLY_PATH_XPATH;

    struct guard g;
    guard_on(xr, &g);
    int rc = TALLY_OK;
    if (s->name && strcmp(s->name, XSD_SCHEMA_NAME) == 0)
        rc = compile_xsd(xr, err);
    if (rc == TALLY_OK) {
        /* No DTD loading, no entity substitution, no network; the encoding
         * is UTF-8 whatever the declaration says (the scanner checks it).
         * Not XML_PARSE_NOCDATA: with an XSD plugged in, libxml2 2.9 then
         * drops CDATA sections instead of passing them on as text. */
        xr->xml = xmlReaderForIO(feed, NULL, xr, NULL, NULL,
                                 XML_PARSE_NONET | XML_PARSE_IGNORE_ENC | XML_PARSE_COMPACT);
        if (!xr->xml)
            rc = xr->io_failed ? (*err = xr->io_err, TALLY_EIO)
                               : tally_error_set(err, TALLY_ENOMEM, "out of memory");
    }
    if (rc == TALLY_OK && xr->vctxt && xmlTextReaderSchemaValidateCtxt(xr->xml, xr->vctxt, 0) != 0)
        rc = tally_error_set(err, TALLY_ENOMEM, "cannot start XSD validation");
    guard_off(&g);
    if (rc != TALLY_OK) {
        xml_close(&xr->base);
        return rc;
    }
    *out = &xr->base;
    return TALLY_OK;
}

static void xml_close(struct tally_reader *r)
{
    struct xml_reader *xr = (struct xml_reader *)r;
    if (!xr)
        return;
    struct guard g;
    guard_on(xr, &g);
    if (xr->xml)
        xmlFreeTextReader(xr->xml);     /* before the validation context it uses */
    if (xr->vctxt)
        xmlSchemaFreeValidCtxt(xr->vctxt);
    if (xr->xsd)
        xmlSchemaFree(xr->xsd);
    guard_off(&g);
    tally_arena_fini(&xr->arena);
    tally_arena_fini(&xr->sub_arena);
    free(xr->elems.items);
    free(xr->marks.items);
    free(xr->pend);
    free(xr->val);
    free(xr->masks);
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
