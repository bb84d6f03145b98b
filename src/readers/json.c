/*
 * readers/json.c — the JSON and NDJSON readers: one strict, streaming
 * RFC 8259 parser decides every value and where it is.
 *
 *   struct tally_reader *r;               tally_json_reader.open(&r, &in, &cfg, &err);
 *   while ((rc = r->ops->next(r, &rec, &err)) == TALLY_RECORD) ...;
 *
 * Accepted, in the same places (doc/return-format.md §2, JSON): a submission object
 *
 *   {"authority": {"code": ..., "name": ...}, "period": {"start": ..., "end": ...},
 *    "submitted": ..., "cohorts": [{"cohort": ..., "in_care": ..., ...}, ...]}
 *
 * whose every element of "cohorts" is one record, or a flat record object whose
 * keys are the field names. A .json file holds one such object or an array of
 * them; an NDJSON file (.ndjson, .jsonl) holds one per line. Where each field
 * sits comes from the schema's "json" paths, not from this file.
 *
 * How it reads. The parser pulls bytes from the input (tally_input_fill) and
 * reads one element at a time — the document's one value, one element of a
 * top-level array, or one NDJSON line — into a small tree in an arena
 * (struct jnode): strings decoded, numbers kept as written ("12.5" and "1e3"
 * reach the validator as typed and fail as counts there), and with every value
 * and key the line and column where it starts, counted as the bytes go by
 * (core/textpos.h). Nothing reads the bytes a second time, so no second
 * scanner can disagree with it: a value is exactly where the parser found it.
 * The records are then made from the tree. A top-level array is never held
 * whole: memory is bounded by one element (TALLY_MAX_ELEMENT_BYTES of input,
 * TALLY_MAX_ELEMENT_NODES values), never by the file. No state is shared
 * between readers (the read-ahead thread runs one).
 *
 * What it accepts is RFC 8259, nothing more: numbers by the grammar
 * -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?; in strings the escapes
 * \" \\ \/ \b \f \n \r \t and \uXXXX (four hex digits; a surrogate pair for a
 * character above U+FFFF, never half of one), no raw control character
 * U+0000 to U+001F, valid UTF-8 only; white space only space, tab, LF and CR;
 * the literals true, false and null exactly. A leading UTF-8 byte order mark
 * is dropped; a UTF-16 one is an `encoding` error.
 *
 * Errors, and where reading goes on (the README's "JSON" section says this
 * for users):
 *
 *  - A value error cannot change where any token ends: a number token (the
 *    longest run of 0-9 + - . e E) outside the grammar, a bad escape, half a
 *    surrogate pair, a raw control character, invalid UTF-8 or a NUL byte
 *    inside a string. It is reported at the value, with its JSON Pointer;
 *    every record of the element is rejected (carrying the error's code), and
 *    reading goes on. At most one diagnostic per value, and one `encoding`
 *    diagnostic per element.
 *  - A structural error is anything else (an unexpected byte or token, a
 *    missing comma or colon, a form feed between members, a value not closed).
 *    The element it occurs in is one rejected record. In a .json file the rest
 *    of the file is not read; in NDJSON, reading resumes at the next line (a
 *    raw LF cannot be inside a JSON string, so where a line ends is certain).
 *    Nothing resynchronises by guessing.
 *  - json-depth (deeper than 64) and limit (an element over
 *    TALLY_MAX_ELEMENT_BYTES or TALLY_MAX_ELEMENT_NODES) make the element one
 *    rejected record; the rest of it is still parsed strictly to find its end,
 *    and reading goes on.
 *  - A well-formed element that is not an object is json-shape for that
 *    element alone; repeated keys are errors, unknown keys warnings.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/arena.h"
#include "core/emit.h"
#include "core/grow.h"
#include "core/hash.h"
#include "core/textpos.h"
#include "core/utf8.h"
#include "readers/readers.h"

#define TALLY_MAX_ELEMENT_BYTES (16u << 20) /* one submission or NDJSON line */
#define TALLY_MAX_ELEMENT_NODES (1u << 19)  /* keys and values in one element */
#define TALLY_MAX_JSON_DEPTH 64
#define TALLY_MAX_NESTING (1u << 24)        /* levels tracked past json-depth to find the end */

/* ---- the element tree ---------------------------------------------------------- */

enum jtype { J_NULL, J_FALSE, J_TRUE, J_NUMBER, J_STRING, J_ARRAY, J_OBJECT };

#define JF_BAD     1u   /* a value error in it was reported; its text is as written */
#define JF_NUL     2u   /* a string holding \u0000 */
#define JF_LONG    4u   /* longer than TALLY_MAX_VALUE_BYTES: text holds only its start */
#define JF_KEY_BAD 8u   /* its key had an error (reported): the member matches nothing */

/* One value of the element, in the tree arena. */
struct jnode {
    struct jnode *next;         /* the next member or element of its parent */
    struct jnode *child;        /* an object's first member, an array's first element */
    const char *key;            /* a member's key, decoded, NUL-terminated; NULL in an array */
    const char *text;           /* a string decoded, a number as written; NUL-terminated */
    uint32_t key_len;
    uint32_t len;               /* bytes in text */
    uint8_t type;               /* enum jtype */
    uint8_t flags;              /* JF_* */
    struct tally_loc loc;       /* where the value starts */
    struct tally_loc key_loc;   /* where its key starts (a member) */
};

/* An open object or array, while it is being read. */
struct frame {
    struct jnode *node;         /* the container; NULL when the tree is not built */
    struct jnode **tail;        /* where its next child is linked */
    struct jnode *last;         /* its last child: the one being read */
    uint64_t count;             /* its children so far */
};

/* A growing byte string (never truncated). */
struct strbuf {
    char *s;
    size_t len, cap;
};

/*
 * A key the schema's "json" paths name, at one place in the shape: a small
 * tree made once per reader. The element's object has "authority" (with
 * "code" and "name" below it), "period", "submitted" and "cohorts"; a record
 * object has "cohort", "in_care", ... Reading an object's members against
 * it checks their keys and finds the fields' values in one pass.
 */
struct pkey {
    const char *name;           /* borrowed from the schema */
    size_t len;
    int field;                  /* the field whose path ends here, or -1 */
    bool records;               /* the array of records ("cohorts") */
    struct pkey *child;         /* the keys below it */
    struct pkey *next;          /* the next key at the same place */
};

struct json_reader {
    struct tally_reader base;
    bool ndjson;
    struct tally_arena arena;       /* per record: field paths */
    struct tally_record rec;
    struct tally_field *fields;

    /* From the schema, made once. */
    char **suffix;                  /* per field: its JSON path as a pointer ("/authority/code") */
    size_t *suffix_len;
    char *records_suffix;           /* "/cohorts" */
    size_t records_suffix_len;
    struct tally_arena fixed;       /* the pkey trees */
    struct pkey root_keys;          /* the keys of an element's object (children of this) */
    struct pkey rec_keys;           /* the keys of a record object */
    const struct jnode **root_vals; /* per field outside the records: its value in the element */
    const char **root_paths;        /*   and its pointer (in the tree arena) */
    const struct jnode **rec_vals;  /* per field in the records: its value in the record */

    /* Where the reading is. */
    struct tally_textpos tp;        /* lines and columns of the bytes consumed */
    enum {
        STATE_START,                /* nothing read yet */
        STATE_ARRAY,                /* inside the top-level array */
        STATE_END,                  /* at the document's one value */
        STATE_TRAILER,              /* after the value: only space may follow */
        STATE_LINES                 /* NDJSON: one value per line */
    } state;
    bool top_array;                 /* the file is one array of elements */
    bool finished;
    bool nomem;                     /* an allocation failed while parsing */
    int io_rc;                      /* a read that failed while describing a byte (err set) */
    uint64_t index;                 /* elements begun so far */

    /* The element being parsed. */
    bool in_element;
    uint64_t elem_start;            /* byte offset of its first byte */
    struct tally_loc elem_loc;
    int elem_first;                 /* its first byte */
    char prefix[24];                /* its JSON Pointer: "/3" in an array, "" else */
    size_t prefix_len;
    struct tally_arena tree;        /* its nodes and texts */
    struct jnode *root;
    size_t nnodes;
    struct frame frames[TALLY_MAX_JSON_DEPTH];  /* the open containers being built */
    size_t depth;                   /* open containers (all, built or not) */
    uint64_t *kinds;                /* bit per open container: 1 = object */
    size_t kinds_cap;               /* words in kinds */
    bool building;                  /* nodes are made (not after json-depth or limit) */
    bool syntax_end;                /* a structural error: stop reading the element */
    bool encoding_reported;         /* one `encoding` diagnostic per element */
    const char *broken;             /* code of an error that makes it one rejected record */
    const char *taint;              /* code of a value error every record of it carries */
    unsigned element_errors;        /* errors found in it, for its first record */
    struct strbuf sb;               /* a string or number being assembled */
    struct strbuf pb;               /* JSON Pointers */

    /* The element's records. */
    bool have_element;
    const struct jnode *records;    /* the "cohorts" member, or NULL for a flat record */
    const struct jnode *next_record;
    uint64_t record_index;
    bool flat_pending;              /* a flat record not yet delivered */
    bool broken_pending;            /* deliver one rejected record */
};

/* ---- small helpers -------------------------------------------------------------- */

static int sb_room(struct strbuf *b, size_t n)
{
    if (n >= SIZE_MAX - b->len)
        return TALLY_ENOMEM;
    return tally_grow_bytes(&b->s, &b->cap, b->len + n + 1, 256);
}

static int sb_put(struct strbuf *b, const void *p, size_t n)
{
    if (sb_room(b, n) != TALLY_OK)
        return TALLY_ENOMEM;
    memcpy(b->s + b->len, p, n);
    b->len += n;
    b->s[b->len] = '\0';
    return TALLY_OK;
}

/* Append "/" and key as a JSON Pointer reference token (RFC 6901: ~ is ~0, / is ~1). */
static int sb_key(struct strbuf *b, const char *key, size_t len)
{
    if (sb_put(b, "/", 1) != TALLY_OK)
        return TALLY_ENOMEM;
    if (!memchr(key, '~', len) && !memchr(key, '/', len))
        return sb_put(b, key, len);
    for (size_t i = 0; i < len; i++) {
        const char *t = key[i] == '~' ? "~0" : key[i] == '/' ? "~1" : NULL;
        if (t ? sb_put(b, t, 2) : sb_put(b, key + i, 1))
            return TALLY_ENOMEM;
    }
    return TALLY_OK;
}

/* Write "/" and the decimal i into buf (at least 22 bytes); returns its length. */
static size_t index_token(char *buf, uint64_t i)
{
    char digits[24], *d = digits + sizeof digits;
    size_t n = 0;
    do {
        *--d = (char)('0' + i % 10);
        n++;
    } while (i /= 10);
    buf[0] = '/';
    memcpy(buf + 1, d, n);
    buf[n + 1] = '\0';
    return n + 1;
}

static int sb_index(struct strbuf *b, uint64_t i)
{
    char tok[24];
    return sb_put(b, tok, index_token(tok, i));
}

/* strcmp(a, b) == 0 for the short names of a return, without a call. */
static bool same_name(const char *a, const char *b)
{
    while (*a && *a == *b) {
        a++;
        b++;
    }
    return *a == *b;
}

/* The member of obj named name, or NULL. */
static const struct jnode *member_named(const struct jnode *obj, const char *name)
{
    for (const struct jnode *m = obj->child; m; m = m->next)
        if (!(m->flags & JF_KEY_BAD) && same_name(m->key, name))
            return m;
    return NULL;
}

static const char *json_kind(const struct jnode *v)
{
    switch (v->type) {
    case J_NULL: return "null";
    case J_FALSE: return "false";
    case J_TRUE: return "true";
    case J_NUMBER: return "a number";
    case J_STRING: return "a string";
    case J_ARRAY: return "an array";
    default: return "an object";
    }
}

/* ---- reading bytes ---------------------------------------------------------------- */

static inline uint64_t offset_of(const struct json_reader *jr)
{
    return tally_input_offset(jr->base.in);
}

/* Where the next unread byte is. */
static inline struct tally_loc here(const struct json_reader *jr)
{
    return tally_textpos_at(&jr->tp, offset_of(jr));
}

static void too_big(struct json_reader *jr);

/* More input (in->eof when there is none), checking the element's size. */
static int fill(struct json_reader *jr, struct tally_error *err)
{
    if (jr->in_element && jr->building && offset_of(jr) - jr->elem_start > TALLY_MAX_ELEMENT_BYTES)
        too_big(jr);
    return tally_input_fill(jr->base.in, err);
}

/* At least n unread bytes held (fewer only at the end of the input). */
static int want(struct json_reader *jr, size_t n, struct tally_error *err)
{
    return tally_input_want(jr->base.in, n, err);
}

/*
 * Skip JSON white space (space, tab, CR, and LF except in NDJSON, where an LF
 * ends the line and is left for the caller). *c is the next byte, -1 at the
 * end of the input.
 */
static int skip_ws(struct json_reader *jr, int *c, struct tally_error *err)
{
    struct tally_input *in = jr->base.in;
    for (;;) {
        const unsigned char *b = in->buf;
        size_t i = in->pos, n = in->len;
        for (; i < n; i++) {
            unsigned char x = b[i];
            if (x == ' ' || x == '\t')
                continue;
            if (x == '\r' || (x == '\n' && !jr->ndjson)) {
                tally_textpos_newline(&jr->tp, x, in->base + i);
                continue;
            }
            in->pos = i;
            *c = x;
            return TALLY_OK;
        }
        in->pos = i;
        if (in->eof) {
            *c = -1;
            return TALLY_OK;
        }
        int rc = fill(jr, err);
        if (rc)
            return rc;
    }
}

/* NDJSON: skip the rest of the line, its LF included. */
static int skip_line(struct json_reader *jr, struct tally_error *err)
{
    struct tally_input *in = jr->base.in;
    for (;;) {
        const unsigned char *b = in->buf;
        for (size_t i = in->pos; i < in->len; i++) {
            if (b[i] == '\r' || b[i] == '\n')
                tally_textpos_newline(&jr->tp, b[i], in->base + i);
            if (b[i] == '\n') {
                in->pos = i + 1;
                return TALLY_OK;
            }
        }
        in->pos = in->len;
        if (in->eof)
            return TALLY_OK;
        int rc = tally_input_fill(in, err);
        if (rc)
            return rc;
    }
}

/* ---- diagnostics ------------------------------------------------------------------- */

/*
 * The JSON Pointer of the value at nesting level `level` of the element
 * being parsed (0: the element itself), in jr->pb; NULL when it is the whole
 * document (""), or when memory ran out (jr->nomem). Without the tree (after
 * json-depth or limit) the element's pointer is all there is.
 */
static const char *pointer_at(struct json_reader *jr, size_t level)
{
    struct strbuf *b = &jr->pb;
    b->len = 0;
    if (sb_put(b, jr->prefix, strlen(jr->prefix)) != TALLY_OK) {
        jr->nomem = true;
        return NULL;
    }
    for (size_t k = 0; jr->building && k < level; k++) {
        const struct frame *f = &jr->frames[k];
        const struct jnode *child = f->last;
        int rc = f->node->type == J_OBJECT ? sb_key(b, child->key, child->key_len)
                                           : sb_index(b, f->count - 1);
        if (rc != TALLY_OK) {
            jr->nomem = true;
            return NULL;
        }
    }
    return b->len ? b->s : NULL;
}

/* The end of a structural error's message: where reading goes on. */
static const char *stop_suffix(const struct json_reader *jr)
{
    return jr->ndjson ? "; the rest of the line is skipped" : "; the rest of the file is not read";
}

static void element_diag(struct json_reader *jr, const struct tally_loc *loc, const char *pointer,
                         const char *code, const char *fmt, ...) TALLY_PRINTF(5, 6);

/* An error in the element being read; it counts on the element's first record. */
static void element_diag(struct json_reader *jr, const struct tally_loc *loc, const char *pointer,
                         const char *code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    tally_emit_atv(&jr->base.cfg.sink, NULL, jr->base.in->name, loc, jr->base.records + 1, NULL,
                   NULL, pointer ? TALLY_PATH_POINTER : TALLY_PATH_NONE, pointer,
                   TALLY_SEV_ERROR, code, fmt, ap);
    va_end(ap);
    jr->element_errors++;
}

/* Stop making the tree: the element is one rejected record from now on. */
static void stop_building(struct json_reader *jr, const char *code)
{
    if (!jr->broken)
        jr->broken = code;
    jr->building = false;
    jr->root = NULL;
    jr->nnodes = 0;
    memset(jr->frames, 0, sizeof jr->frames);
    tally_arena_reset(&jr->tree);
}

static void too_big(struct json_reader *jr)
{
    element_diag(jr, &jr->elem_loc, jr->prefix[0] ? jr->prefix : NULL, TALLY_CODE_LIMIT,
                 "a submission longer than %u bytes is not read", TALLY_MAX_ELEMENT_BYTES);
    stop_building(jr, TALLY_CODE_LIMIT);
}

static void syntax_stop(struct json_reader *jr, const char *code, const struct tally_loc *loc,
                        const char *suffix, const char *fmt, ...) TALLY_PRINTF(5, 6);

/*
 * A structural error at loc in the element being read: it is one rejected
 * record, and reading stops (the caller ends the file, or skips the NDJSON
 * line). The pointer is that of the innermost open container.
 */
static void syntax_stop(struct json_reader *jr, const char *code, const struct tally_loc *loc,
                        const char *suffix, const char *fmt, ...)
{
    char message[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(message, sizeof message, fmt, ap);
    va_end(ap);
    const char *ptr = pointer_at(jr, jr->depth ? jr->depth - 1 : 0);
    element_diag(jr, loc, ptr, code, "%s%s", message, suffix);
    if (!jr->broken)
        jr->broken = code;
    jr->syntax_end = true;
}

static void value_error(struct json_reader *jr, struct jnode *node, bool key,
                        const struct tally_loc *loc, const char *code, const char *fmt, ...)
    TALLY_PRINTF(6, 7);

/*
 * A value error in node's value (its key when key): reported at loc with the
 * value's pointer (a key's: its object's), once per value; every record of
 * the element will carry it. Nothing is reported once the tree is no longer
 * built: the element is rejected whole, and said why.
 */
static void value_error(struct json_reader *jr, struct jnode *node, bool key,
                        const struct tally_loc *loc, const char *code, const char *fmt, ...)
{
    unsigned flag = key ? JF_KEY_BAD : JF_BAD;
    if (!jr->building || !node || (node->flags & flag))
        return;
    node->flags |= flag;
    char message[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(message, sizeof message, fmt, ap);
    va_end(ap);
    const char *ptr = pointer_at(jr, key ? jr->depth - 1 : jr->depth);
    element_diag(jr, loc, ptr, code, "%s", message);
    if (!jr->taint)
        jr->taint = code;
}

/* Invalid UTF-8 (why, first byte b) or a NUL (why NULL) inside a string at loc. */
static void encoding_in_string(struct json_reader *jr, struct jnode *node, bool key,
                               const struct tally_loc *loc, const char *why, unsigned char b)
{
    unsigned flag = key ? JF_KEY_BAD : JF_BAD;
    if (!jr->building || !node || (node->flags & flag))
        return;
    if (jr->encoding_reported) {
        node->flags |= flag;    /* its text is not text: not checked again */
        if (!jr->taint)
            jr->taint = TALLY_CODE_ENCODING;
        return;
    }
    jr->encoding_reported = true;
    if (why)
        value_error(jr, node, key, loc, TALLY_CODE_ENCODING,
                    "invalid UTF-8 (%s, byte 0x%02X) at byte offset %llu", why, b,
                    (unsigned long long)loc->offset);
    else
        value_error(jr, node, key, loc, TALLY_CODE_ENCODING, "NUL byte at byte offset %llu",
                    (unsigned long long)loc->offset);
}

/*
 * Describe the byte c at in->pos for a message ("\"x\"", "a form feed (byte
 * 0x0C), which is not JSON white space", "the end of the file"). Returns the
 * code the error has: `encoding` for a NUL or invalid UTF-8, else json-syntax.
 */
static const char *describe(struct json_reader *jr, int c, char *out, size_t size,
                            struct tally_error *err)
{
    struct tally_input *in = jr->base.in;
    if (c < 0) {
        snprintf(out, size, "the end of the file");
    } else if (c == '\n') {
        snprintf(out, size, "the end of the line");
    } else if (c == 0) {
        snprintf(out, size, "NUL byte at byte offset %llu", (unsigned long long)offset_of(jr));
        return TALLY_CODE_ENCODING;
    } else if (c == '"') {
        snprintf(out, size, "a string");
    } else if (c > 0x20 && c < 0x7F) {
        snprintf(out, size, "\"%c\"", c);
    } else if (c == 0x0C || c == 0x0B) {
        snprintf(out, size, "a %s (byte 0x%02X), which is not JSON white space",
                 c == 0x0C ? "form feed" : "vertical tab", c);
    } else if (c < 0x80) {
        snprintf(out, size, "a control character (byte 0x%02X)", c);
    } else {
        const char *why = NULL;
        int rc = want(jr, 4, err), n = 0;
        if (rc)
            jr->io_rc = rc;     /* the caller's caller returns it */
        else
            n = tally_utf8_seq(in->buf + in->pos, in->len - in->pos, &why);
        if (n <= 0) {
            snprintf(out, size, "invalid UTF-8 (%s, byte 0x%02X) at byte offset %llu",
                     why ? why : "truncated sequence", c, (unsigned long long)offset_of(jr));
            return TALLY_CODE_ENCODING;
        }
        const unsigned char *p = in->buf + in->pos;
        unsigned long cp = n == 2 ? (p[0] & 0x1Fu) : n == 3 ? (p[0] & 0x0Fu) : (p[0] & 0x07u);
        for (int k = 1; k < n; k++)
            cp = cp << 6 | (p[k] & 0x3Fu);
        snprintf(out, size, "the character U+%04lX%s", cp,
                 cp == 0xA0 || cp == 0xFEFF ? ", which is not JSON white space" : "");
    }
    return TALLY_CODE_JSON_SYNTAX;
}

/* ---- the parser ----------------------------------------------------------------------- */

/* Bytes that stand for themselves inside a string: U+0020 to U+007F but " and \. */
#define R8(n) [n] = 1, [n + 1] = 1, [n + 2] = 1, [n + 3] = 1, [n + 4] = 1, [n + 5] = 1, \
              [n + 6] = 1, [n + 7] = 1
static const unsigned char str_plain[256] = {
    [0x20] = 1, [0x21] = 1, [0x23] = 1, [0x24] = 1, [0x25] = 1, [0x26] = 1, [0x27] = 1,
    R8(0x28), R8(0x30), R8(0x38), R8(0x40), R8(0x48), R8(0x50),
    [0x58] = 1, [0x59] = 1, [0x5A] = 1, [0x5B] = 1, [0x5D] = 1, [0x5E] = 1, [0x5F] = 1,
    R8(0x60), R8(0x68), R8(0x70), R8(0x78),
};
#undef R8

/* Bytes of a number token: the longest run of them is one token. */
static const unsigned char num_char[256] = {
    ['0'] = 1, ['1'] = 1, ['2'] = 1, ['3'] = 1, ['4'] = 1, ['5'] = 1, ['6'] = 1, ['7'] = 1,
    ['8'] = 1, ['9'] = 1, ['+'] = 1, ['-'] = 1, ['.'] = 1, ['e'] = 1, ['E'] = 1,
};

static bool is_letter(int c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* A new node for the next child of the innermost open container (or the
 * root); *out is NULL when the tree is not being built. */
static int add_node(struct json_reader *jr, struct jnode **out)
{
    *out = NULL;
    if (!jr->building)
        return TALLY_OK;    /* (then jr->depth may be past the frames) */
    struct frame *f = jr->depth ? &jr->frames[jr->depth - 1] : NULL;
    if (f)
        f->count++;
    if (jr->nnodes == TALLY_MAX_ELEMENT_NODES) {
        element_diag(jr, &jr->elem_loc, jr->prefix[0] ? jr->prefix : NULL, TALLY_CODE_LIMIT,
                     "a submission with more than %u keys and values is not read",
                     TALLY_MAX_ELEMENT_NODES);
        stop_building(jr, TALLY_CODE_LIMIT);
        return TALLY_OK;
    }
    struct jnode *n = tally_arena_alloc(&jr->tree, sizeof *n);
    if (!n)
        return TALLY_ENOMEM;
    memset(n, 0, sizeof *n);
    jr->nnodes++;
    if (f) {
        *f->tail = n;
        f->tail = &n->next;
        f->last = n;
    } else {
        jr->root = n;
    }
    *out = n;
    return TALLY_OK;
}

/* Keep the decoded bytes of a string (up to the value limit; *total counts all). */
static int keep(struct json_reader *jr, const void *p, size_t n, size_t *total)
{
    *total += n;
    if (jr->sb.len >= TALLY_MAX_VALUE_BYTES + 1)
        return TALLY_OK;
    if (n > TALLY_MAX_VALUE_BYTES + 1 - jr->sb.len)
        n = TALLY_MAX_VALUE_BYTES + 1 - jr->sb.len;
    return sb_put(&jr->sb, p, n);
}

/* Store a string's text (len bytes at s, total in all) in node. */
static int store_string(struct json_reader *jr, struct jnode *node, bool key, const char *s,
                        size_t len, size_t total, bool nul, const struct tally_loc *at)
{
    if (len > TALLY_MAX_VALUE_BYTES)
        len = TALLY_MAX_VALUE_BYTES;
    char *t = tally_arena_strndup(&jr->tree, s, len);
    if (!t)
        return TALLY_ENOMEM;
    if (key) {
        node->key = t;
        node->key_len = (uint32_t)len;
        if (total > TALLY_MAX_VALUE_BYTES)
            value_error(jr, node, true, at, TALLY_CODE_LIMIT, "a key longer than %d bytes",
                        TALLY_MAX_VALUE_BYTES);
        else if (nul)
            value_error(jr, node, true, at, TALLY_CODE_ENCODING,
                        "a key holds a NUL character (\\u0000)");
    } else {
        node->type = J_STRING;
        node->text = t;
        node->len = (uint32_t)len;
        if (total > TALLY_MAX_VALUE_BYTES)
            node->flags |= JF_LONG;
        if (nul)
            node->flags |= JF_NUL;
    }
    return TALLY_OK;
}

static int hex4(const unsigned char *p, size_t avail)
{
    if (avail < 4)
        return -1;
    int v = 0;
    for (int k = 0; k < 4; k++) {
        int c = p[k], d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10
                        : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
        if (d < 0)
            return -1;
        v = v << 4 | d;
    }
    return v;
}

/*
 * The escape whose backslash is at in->pos (with up to 12 bytes held). A good
 * one is decoded into the string; a bad one is reported, and only its
 * backslash is consumed (kept as written): what follows is read as ordinary
 * characters of the string, which is where an escape ends in any reading.
 */
static int read_escape(struct json_reader *jr, struct jnode *node, bool key, bool *nul,
                       size_t *total)
{
    struct tally_input *in = jr->base.in;
    const unsigned char *b = in->buf + in->pos;
    size_t avail = in->len - in->pos;
    struct tally_loc at = here(jr);
    char out[4];
    size_t olen = 1, used = 2;
    if (avail < 2) {                /* the input ends here: the string is not closed */
        in->pos++;
        return keep(jr, "\\", 1, total);
    }
    switch (b[1]) {
    case '"': case '\\': case '/': out[0] = (char)b[1]; break;
    case 'b': out[0] = '\b'; break;
    case 'f': out[0] = '\f'; break;
    case 'n': out[0] = '\n'; break;
    case 'r': out[0] = '\r'; break;
    case 't': out[0] = '\t'; break;
    case 'u': {
        int cp = hex4(b + 2, avail - 2);
        if (cp < 0) {
            value_error(jr, node, key, &at, TALLY_CODE_JSON_SYNTAX,
                        "invalid escape in a string: \\u must be followed by four hexadecimal "
                        "digits");
            in->pos++;
            return keep(jr, "\\", 1, total);
        }
        used = 6;
        if (cp >= 0xD800 && cp <= 0xDBFF) {
            int lo = avail >= 12 && b[6] == '\\' && b[7] == 'u' ? hex4(b + 8, avail - 8) : -1;
            if (lo < 0xDC00 || lo > 0xDFFF) {
                value_error(jr, node, key, &at, TALLY_CODE_JSON_SYNTAX,
                            "\\u%.4s is the first half of a surrogate pair, but no second half "
                            "(\\uDC00 to \\uDFFF) follows it", (const char *)b + 2);
                in->pos += 6;
                return keep(jr, b, 6, total);
            }
            cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
            used = 12;
        } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
            value_error(jr, node, key, &at, TALLY_CODE_JSON_SYNTAX,
                        "\\u%.4s is the second half of a surrogate pair, with no first half "
                        "before it", (const char *)b + 2);
            in->pos += 6;
            return keep(jr, b, 6, total);
        }
        if (cp == 0)
            *nul = true;
        if (cp < 0x80) {
            out[0] = (char)cp;
        } else if (cp < 0x800) {
            out[0] = (char)(0xC0 | cp >> 6);
            out[1] = (char)(0x80 | (cp & 0x3F));
            olen = 2;
        } else if (cp < 0x10000) {
            out[0] = (char)(0xE0 | cp >> 12);
            out[1] = (char)(0x80 | (cp >> 6 & 0x3F));
            out[2] = (char)(0x80 | (cp & 0x3F));
            olen = 3;
        } else {
            out[0] = (char)(0xF0 | cp >> 18);
            out[1] = (char)(0x80 | (cp >> 12 & 0x3F));
            out[2] = (char)(0x80 | (cp >> 6 & 0x3F));
            out[3] = (char)(0x80 | (cp & 0x3F));
            olen = 4;
        }
        break;
    }
    default:
        if (b[1] > 0x20 && b[1] < 0x7F)
            value_error(jr, node, key, &at, TALLY_CODE_JSON_SYNTAX,
                        "invalid escape \\%c in a string (JSON has \\\" \\\\ \\/ \\b \\f \\n \\r "
                        "\\t and \\uXXXX)", b[1]);
        else
            value_error(jr, node, key, &at, TALLY_CODE_JSON_SYNTAX,
                        "invalid escape in a string: a backslash followed by byte 0x%02X", b[1]);
        in->pos++;
        return keep(jr, "\\", 1, total);
    }
    in->pos += used;
    return keep(jr, out, olen, total);
}

/* A string not closed where its line or the file ends. */
static void unclosed_string(struct json_reader *jr, const struct tally_loc *at, bool line)
{
    syntax_stop(jr, TALLY_CODE_JSON_SYNTAX, at, "", "the string starting here is not closed "
                "before the end of the %s", line ? "line" : "file");
}

/*
 * The string whose opening quote is at in->pos: node's value, or its key.
 * Anything that breaks the string's rules is a value error except its end
 * (the input's, or in NDJSON the line's), which is structural.
 */
static int read_string_slow(struct json_reader *jr, struct jnode *node, bool key,
                            struct tally_error *err)
{
    struct tally_input *in = jr->base.in;
    struct tally_loc at = here(jr);
    size_t total = 0;
    bool nul = false;
    int rc;
    jr->sb.len = 0;
    in->pos++;
    for (;;) {
        const unsigned char *b = in->buf;
        size_t i = in->pos, n = in->len, s = i;
        while (i < n && str_plain[b[i]])
            i++;
        in->pos = i;
        if (node && (rc = keep(jr, b + s, i - s, &total)))
            return rc;
        if (i == n) {
            if (in->eof) {
                unclosed_string(jr, &at, false);
                return TALLY_OK;
            }
            if ((rc = fill(jr, err)))
                return rc;
            if (!jr->building)
                node = NULL;
            continue;
        }
        unsigned char c = b[i];
        if (c == '"') {
            in->pos++;
            break;
        }
        if (c == '\\') {
            if ((rc = want(jr, 12, err)) || (rc = read_escape(jr, node, key, &nul, &total)))
                return rc;
            continue;
        }
        if (c < 0x20) {
            if (c == '\n' && jr->ndjson) {
                unclosed_string(jr, &at, true);
                return TALLY_OK;
            }
            struct tally_loc l = here(jr);
            static const char *const names[0x20] = {
                [0x08] = "\\b", [0x09] = "\\t", [0x0A] = "\\n", [0x0C] = "\\f", [0x0D] = "\\r",
            };
            char esc[8];
            snprintf(esc, sizeof esc, "\\u%04X", c);
            if (c == 0)
                encoding_in_string(jr, node, key, &l, NULL, 0);
            else
                value_error(jr, node, key, &l, TALLY_CODE_JSON_SYNTAX,
                            "byte 0x%02X (a control character) inside a string must be written "
                            "as the escape %s", c, names[c] ? names[c] : esc);
            if (c == '\r' || c == '\n')
                tally_textpos_newline(&jr->tp, c, offset_of(jr));
            in->pos++;
            if (node && (rc = keep(jr, &c, 1, &total)))
                return rc;
            continue;
        }
        /* c >= 0x80: one UTF-8 character, or one byte that is not text */
        if ((rc = want(jr, 4, err)))
            return rc;
        const char *why = NULL;
        int k = tally_utf8_seq(in->buf + in->pos, in->len - in->pos, &why);
        if (k <= 0) {
            struct tally_loc l = here(jr);
            encoding_in_string(jr, node, key, &l, why ? why : "truncated sequence", c);
            k = 1;
        } else {
            tally_textpos_wide(&jr->tp, (size_t)k);
        }
        if (node && (rc = keep(jr, in->buf + in->pos, (size_t)k, &total)))
            return rc;
        in->pos += (size_t)k;
    }
    return node && jr->building ? store_string(jr, node, key, jr->sb.s ? jr->sb.s : "", jr->sb.len,
                                               total, nul, &at)
                                : TALLY_OK;
}

static int read_string(struct json_reader *jr, struct jnode *node, bool key,
                       struct tally_error *err)
{
    /* Most strings are plain ASCII, held whole in the buffer: take them at once. */
    struct tally_input *in = jr->base.in;
    const unsigned char *b = in->buf;
    size_t start = in->pos + 1, i = start, n = in->len;
    while (i < n && str_plain[b[i]])
        i++;
    if (i < n && b[i] == '"' && i - start <= TALLY_MAX_VALUE_BYTES) {
        in->pos = i + 1;
        return node ? store_string(jr, node, key, (const char *)b + start, i - start, i - start,
                                   false, NULL)
                    : TALLY_OK;
    }
    return read_string_slow(jr, node, key, err);
}

/* The number grammar of RFC 8259 as a small automaton over a number token. */
enum { N_START, N_MINUS, N_ZERO, N_INT, N_DOT, N_FRAC, N_E, N_ESIGN, N_EXP, N_BAD };

/* Step the automaton over c; on a mistake, *why says what it is. */
static int num_step(int st, unsigned char c, const char **why, char *bad)
{
    bool digit = c >= '0' && c <= '9';
    switch (st) {
    case N_START:
        if (c == '-')
            return N_MINUS;
        if (digit)
            return c == '0' ? N_ZERO : N_INT;
        *why = c == '+' ? "it may not start with \"+\"" : "it must start with a digit or \"-\"";
        return N_BAD;
    case N_MINUS:
        if (digit)
            return c == '0' ? N_ZERO : N_INT;
        *why = "\"-\" must be followed by a digit";
        return N_BAD;
    case N_ZERO:
        if (digit) {
            *why = "leading zeros are not allowed";
            return N_BAD;
        }
        /* fall through */
    case N_INT:
        if (digit)
            return N_INT;
        if (c == '.')
            return N_DOT;
        if (c == 'e' || c == 'E')
            return N_E;
        break;
    case N_DOT:
        if (digit)
            return N_FRAC;
        *why = "a decimal point must be followed by a digit";
        return N_BAD;
    case N_FRAC:
        if (digit)
            return N_FRAC;
        if (c == 'e' || c == 'E')
            return N_E;
        break;
    case N_E:
    case N_ESIGN:
        if (digit)
            return N_EXP;
        if (st == N_E && (c == '+' || c == '-'))
            return N_ESIGN;
        *why = "an exponent must have digits";
        return N_BAD;
    case N_EXP:
        if (digit)
            return N_EXP;
        break;
    default:
        return N_BAD;
    }
    *why = "unexpected";
    *bad = (char)c;
    return N_BAD;
}

/* The automaton at the token's end: NULL when it is a number. */
static const char *num_end(int st)
{
    switch (st) {
    case N_ZERO: case N_INT: case N_FRAC: case N_EXP: return NULL;
    case N_MINUS: return "\"-\" must be followed by a digit";
    case N_DOT: return "a decimal point must be followed by a digit";
    default: return "an exponent must have digits";
    }
}

/* The number token at in->pos: node's value. */
static int read_number(struct json_reader *jr, struct jnode *node, struct tally_error *err)
{
    struct tally_input *in = jr->base.in;
    struct tally_loc at = here(jr);
    int st = N_START, rc;
    const char *why = NULL;
    char bad = 0;
    size_t total = 0, bad_at = 0;   /* bad_at: bytes of the token before an unexpected one */
    const unsigned char *b = in->buf;
    size_t s = in->pos, i = s, n = in->len;
    for (; i < n && num_char[b[i]]; i++)
        if (st != N_BAD && (st = num_step(st, b[i], &why, &bad)) == N_BAD)
            bad_at = i - s;
    const char *text = (const char *)b + s;
    size_t len = i - s;
    in->pos = i;
    if (i == n && !in->eof) {
        /* The token goes on past what is held: assemble it. */
        jr->sb.len = 0;
        if (node && (rc = keep(jr, text, len, &total)))
            return rc;
        for (;;) {
            if ((rc = fill(jr, err)))
                return rc;
            if (!jr->building)
                node = NULL;
            b = in->buf;
            s = i = in->pos;
            n = in->len;
            for (; i < n && num_char[b[i]]; i++)
                if (st != N_BAD && (st = num_step(st, b[i], &why, &bad)) == N_BAD)
                    bad_at = total + (i - s);
            in->pos = i;
            if (node && (rc = keep(jr, b + s, i - s, &total)))
                return rc;
            if (i < n || in->eof)
                break;
        }
        text = jr->sb.s ? jr->sb.s : "";
        len = jr->sb.len;
    } else {
        total = len;
    }
    if (!node)
        return TALLY_OK;
    if (st != N_BAD)
        why = num_end(st);
    node->type = J_NUMBER;
    if (total > TALLY_MAX_VALUE_BYTES) {
        node->flags |= JF_LONG;
        len = TALLY_MAX_VALUE_BYTES;
    }
    if (!(node->text = tally_arena_strndup(&jr->tree, text, len)))
        return TALLY_ENOMEM;
    node->len = (uint32_t)len;
    if (why) {
        int shown = len > 40 ? 40 : (int)len;
        if (bad && bad_at <= 40)
            value_error(jr, node, false, &at, TALLY_CODE_JSON_SYNTAX,
                        "\"%.*s%s\" is not a JSON number: unexpected \"%c\" after \"%.*s\"",
                        shown, text, len > 40 ? "..." : "", bad, (int)bad_at, text);
        else if (bad)
            value_error(jr, node, false, &at, TALLY_CODE_JSON_SYNTAX,
                        "\"%.*s...\" is not a JSON number: unexpected \"%c\" after its first %zu "
                        "characters", shown, text, bad, bad_at);
        else
            value_error(jr, node, false, &at, TALLY_CODE_JSON_SYNTAX,
                        "\"%.*s%s\" is not a JSON number: %s", shown, text,
                        len > 40 ? "..." : "", why);
    }
    return TALLY_OK;
}

/* The literal (true, false, null) whose first letter is at in->pos. Any
 * other word is a structural error. */
static int read_literal(struct json_reader *jr, struct jnode *node, struct tally_error *err)
{
    struct tally_input *in = jr->base.in;
    int rc = want(jr, 17, err);
    if (rc)
        return rc;
    const unsigned char *b = in->buf + in->pos;
    size_t avail = in->len - in->pos, k = 0;
    while (k < avail && k < 17 && is_letter(b[k]))
        k++;
    int type = k == 4 && !memcmp(b, "true", 4) ? J_TRUE : k == 5 && !memcmp(b, "false", 5)
               ? J_FALSE : k == 4 && !memcmp(b, "null", 4) ? J_NULL : -1;
    if (type < 0) {
        struct tally_loc at = here(jr);
        syntax_stop(jr, TALLY_CODE_JSON_SYNTAX, &at, stop_suffix(jr),
                    "\"%.*s%s\" is not a JSON value (the words JSON has are true, false and "
                    "null)", (int)(k > 16 ? 16 : k), (const char *)b, k > 16 ? "..." : "");
        return TALLY_OK;
    }
    if (node)
        node->type = (uint8_t)type;
    in->pos += k;
    return TALLY_OK;
}

/* Open an object or array (its first byte at in->pos) as node's value. */
static int push(struct json_reader *jr, struct jnode *node, bool object)
{
    size_t level = jr->depth + 1 + (jr->top_array ? 1 : 0);   /* the document's nesting */
    if (level > TALLY_MAX_JSON_DEPTH && jr->building) {
        struct tally_loc at = here(jr);
        element_diag(jr, &at, jr->prefix[0] ? jr->prefix : NULL, TALLY_CODE_JSON_DEPTH,
                     "JSON nested deeper than %d levels", TALLY_MAX_JSON_DEPTH);
        stop_building(jr, TALLY_CODE_JSON_DEPTH);
        node = NULL;
    }
    if (jr->depth == TALLY_MAX_NESTING) {
        struct tally_loc at = here(jr);
        syntax_stop(jr, TALLY_CODE_LIMIT, &at, stop_suffix(jr),
                    "JSON nested deeper than %u levels", TALLY_MAX_NESTING);
        return TALLY_OK;
    }
    size_t word = jr->depth / 64;
    if (word >= jr->kinds_cap) {
        size_t cap = jr->kinds_cap ? jr->kinds_cap * 2 : 4;
        uint64_t *k = realloc(jr->kinds, cap * sizeof *k);
        if (!k)
            return TALLY_ENOMEM;
        jr->kinds = k;
        jr->kinds_cap = cap;
    }
    uint64_t bit = (uint64_t)1 << (jr->depth % 64);
    jr->kinds[word] = object ? jr->kinds[word] | bit : jr->kinds[word] & ~bit;
    if (node) {
        node->type = object ? J_OBJECT : J_ARRAY;
        jr->frames[jr->depth] = (struct frame){.node = node, .tail = &node->child};
    }
    jr->depth++;
    jr->base.in->pos++;
    return TALLY_OK;
}

static bool top_is_object(const struct json_reader *jr)
{
    size_t d = jr->depth - 1;
    return jr->kinds[d / 64] >> (d % 64) & 1;
}

/* What the parser expects next. */
enum expect { E_VALUE, E_FIRST_VALUE, E_KEY, E_FIRST_KEY, E_COLON, E_AFTER };

/* A byte the parser did not expect: a structural error. */
static void unexpected(struct json_reader *jr, int c, enum expect e, struct tally_error *err)
{
    char what[160];
    struct tally_loc at = here(jr);
    const char *code = describe(jr, c, what, sizeof what, err);
    const char *suffix = stop_suffix(jr);
    if (strcmp(code, TALLY_CODE_ENCODING) == 0)
        syntax_stop(jr, code, &at, suffix, "%s", what);
    else if (e == E_VALUE || e == E_FIRST_VALUE)
        syntax_stop(jr, code, &at, suffix, "expected a value, found %s", what);
    else if (e == E_KEY || e == E_FIRST_KEY)
        syntax_stop(jr, code, &at, suffix, "expected a key (a string in double quotes), found %s",
                    what);
    else if (e == E_COLON)
        syntax_stop(jr, code, &at, suffix, "expected \":\" after the key, found %s", what);
    else if (top_is_object(jr))
        syntax_stop(jr, code, &at, suffix, "expected \",\" or \"}\" after a member, found %s",
                    what);
    else
        syntax_stop(jr, code, &at, suffix, "expected \",\" or \"]\" after an element, found %s",
                    what);
}

/*
 * Parse one element, its first byte at in->pos, into the tree (jr->root)
 * while jr->building. Errors in the data are diagnostics (see the top of the
 * file) and leave jr->broken, jr->taint or jr->syntax_end set; the return is
 * a failing status only for I/O and memory.
 */
static int parse_element(struct json_reader *jr, struct tally_error *err)
{
    struct tally_input *in = jr->base.in;
    enum expect e = E_VALUE;
    struct jnode *node = NULL;     /* an object's member, made at its key */
    int rc;
    for (;;) {
        if (e == E_AFTER && jr->depth == 0)
            return TALLY_OK;
        /* The next token: most often right here, or after one space. */
        int c;
        size_t i = in->pos;
        if (i < in->len && in->buf[i] == ' ')
            i++;
        if (i < in->len && in->buf[i] > ' ') {
            in->pos = i;
            c = in->buf[i];
        } else if ((rc = skip_ws(jr, &c, err))) {
            return rc;
        }
        if (c < 0 || c == '\n') {   /* an LF only in NDJSON: the end of the line */
            jr->depth = 0;
            syntax_stop(jr, TALLY_CODE_JSON_SYNTAX, &jr->elem_loc, "", "the %s starting here is "
                        "not closed before the end of the %s",
                        jr->elem_first == '{' ? "object" : "array", c < 0 ? "file" : "line");
            return TALLY_OK;
        }
        switch (e) {
        case E_FIRST_KEY:
            if (c == '}') {
                in->pos++;
                jr->depth--;
                e = E_AFTER;
                break;
            }
            /* fall through */
        case E_KEY:
            if (c != '"') {
                unexpected(jr, c, e, err);
                return TALLY_OK;
            }
            if ((rc = add_node(jr, &node)))
                return rc;
            if (node)
                node->key_loc = here(jr);
            if ((rc = read_string(jr, node, true, err)))
                return rc;
            if (jr->syntax_end)
                return TALLY_OK;
            e = E_COLON;
            break;
        case E_COLON:
            if (c != ':') {
                unexpected(jr, c, e, err);
                return TALLY_OK;
            }
            in->pos++;
            e = E_VALUE;
            break;
        case E_FIRST_VALUE:
            if (c == ']') {
                in->pos++;
                jr->depth--;
                e = E_AFTER;
                break;
            }
            /* fall through */
        case E_VALUE: {
            struct jnode *v = node;
            if (jr->depth == 0 || !top_is_object(jr)) {
                if ((rc = add_node(jr, &v)))
                    return rc;
            } else if (!jr->building) {
                v = NULL;
            }
            node = NULL;
            if (v)
                v->loc = here(jr);
            e = E_AFTER;
            if (c == '{' || c == '[') {
                if ((rc = push(jr, v, c == '{')))
                    return rc;
                e = c == '{' ? E_FIRST_KEY : E_FIRST_VALUE;
            } else if (c == '"') {
                rc = read_string(jr, v, false, err);
            } else if (num_char[c] && c != 'e' && c != 'E') {
                rc = read_number(jr, v, err);
            } else if (is_letter(c)) {
                rc = read_literal(jr, v, err);
            } else {
                unexpected(jr, c, E_VALUE, err);
                return TALLY_OK;
            }
            if (rc || jr->syntax_end)
                return rc;
            break;
        }
        case E_AFTER: {
            bool object = top_is_object(jr);
            if (c == ',') {
                in->pos++;
                e = object ? E_KEY : E_VALUE;
            } else if (c == (object ? '}' : ']')) {
                in->pos++;
                jr->depth--;
            } else {
                unexpected(jr, c, e, err);
                return TALLY_OK;
            }
            break;
        }
        }
    }
}

/* ---- the element's records --------------------------------------------------------- */

/* The key at `at` named as m's, or NULL. */
static const struct pkey *find_key(const struct pkey *at, const struct jnode *m)
{
    for (const struct pkey *k = at->child; k; k = k->next)
        if (k->len == m->key_len && memcmp(k->name, m->key, k->len) == 0)
            return k;
    return NULL;
}

/*
 * The keys of one object's members seen so far, to find a key used twice:
 * looked for among the earlier members while there are few (a record has a
 * handful), then in a hash set — so that an object with a million keys is
 * checked in linear time, not quadratic. Without memory for the set, the
 * search goes on among the earlier members: slower, still right. Members
 * whose key had an error take no part.
 */
#define KEYSET_SCAN 16

struct keyset {
    const struct jnode *obj;
    size_t n;                   /* members seen */
    struct tally_index index;   /* the members' nodes as references (core/hash.h) */
    bool nomem;
};

static bool same_key(const struct jnode *a, const struct jnode *b)
{
    return a->key_len == b->key_len && memcmp(a->key, b->key, a->key_len) == 0;
}

static const struct jnode *key_node(size_t ref)
{
    return (const struct jnode *)(uintptr_t)ref;
}

static bool same_key_ref(const void *ctx, size_t ref)
{
    return same_key(key_node(ref), ctx);
}

static uint64_t key_hash(const void *ctx, size_t ref)
{
    const struct jnode *m = key_node(ref);
    (void)ctx;
    return tally_hash_bytes(m->key, m->key_len);
}

/* Add m (the set has room); true when its key was there already. */
static bool keyset_add(struct keyset *ks, const struct jnode *m)
{
    size_t at = tally_index_slot(&ks->index, tally_hash_bytes(m->key, m->key_len), same_key_ref, m);
    if (ks->index.slots[at])
        return true;
    tally_index_put(&ks->index, at, (size_t)(uintptr_t)m);
    return false;
}

/* Room for one more key in the set (made from the earlier members the first time). */
static bool keyset_room(struct keyset *ks, const struct jnode *upto)
{
    if (ks->nomem)
        return false;
    bool first = ks->index.nslots == 0;
    if (tally_index_reserve(&ks->index, key_hash, NULL) != TALLY_OK) {
        ks->nomem = true;
        return false;
    }
    if (first)      /* 64 slots: the KEYSET_SCAN earlier members fill a quarter */
        for (const struct jnode *e = ks->obj->child; e != upto; e = e->next)
            if (!(e->flags & JF_KEY_BAD))
                keyset_add(ks, e);
    return true;
}

/* Is m's key (m: the next member of ks->obj) used by an earlier member? */
static bool keyset_repeat(struct keyset *ks, const struct jnode *m)
{
    bool repeat = false;
    if (ks->n >= KEYSET_SCAN && keyset_room(ks, m)) {
        repeat = keyset_add(ks, m);
    } else {
        for (const struct jnode *e = ks->obj->child; e != m && !repeat; e = e->next)
            repeat = !(e->flags & JF_KEY_BAD) && same_key(e, m);
    }
    ks->n++;
    return repeat;
}

/* jr->pb cut to len, plus "/" and m's key. NULL when memory ran out. */
static const char *member_pointer(struct json_reader *jr, size_t len, const struct jnode *m)
{
    jr->pb.len = len;
    if (sb_key(&jr->pb, m->key, m->key_len) != TALLY_OK) {
        jr->nomem = true;
        return NULL;
    }
    return jr->pb.s;
}

/* Put jr->pb back to len bytes. */
static void pointer_cut(struct json_reader *jr, size_t len)
{
    jr->pb.len = len;
    jr->pb.s[len] = '\0';
}

/*
 * m's key is used twice in its object (an error), or names no field (a
 * warning). rec: the record the object is (NULL: the element's object,
 * counted on its first record). jr->pb holds the object's pointer, ptr_len
 * bytes, and is left so.
 */
static void member_diag(struct json_reader *jr, struct tally_record *rec, const struct jnode *m,
                        size_t ptr_len, bool repeat)
{
    const char *ptr = member_pointer(jr, ptr_len, m);
    enum tally_path_kind kind = ptr ? TALLY_PATH_POINTER : TALLY_PATH_NONE;
    uint64_t index = rec ? rec->index : jr->base.records + 1;
    if (repeat) {
        tally_emit_at(&jr->base.cfg.sink, rec, jr->base.in->name, &m->key_loc, index, NULL, NULL,
                      kind, ptr, TALLY_SEV_ERROR, TALLY_CODE_JSON_SHAPE,
                      "key \"%s\" appears twice in the same object", m->key);
        if (!rec)
            jr->element_errors++;
    } else {
        tally_emit_at(&jr->base.cfg.sink, rec, jr->base.in->name, &m->key_loc, index, NULL, NULL,
                      kind, ptr, TALLY_SEV_WARNING, TALLY_CODE_JSON_SHAPE,
                      "unknown key \"%s\" is ignored", m->key);
    }
    pointer_cut(jr, ptr_len);
}

/*
 * Check the keys of obj, whose place in the shape is `at`: a key used twice
 * is an error, a key no field's path names a warning, and an object under a
 * known key is checked in turn. With assign, the value of each field whose
 * path ends here goes into vals[field] — of the first of a repeated key,
 * whose repeat is checked but not read — and jr->records is found. A
 * non-object where a path goes on is a json-shape error. rec: the record
 * obj is (NULL: the element's object, its problems counted on its first
 * record). jr->pb holds obj's pointer (ptr_len bytes) and is left so.
 */
static void walk_keys(struct json_reader *jr, struct tally_record *rec, const struct jnode *obj,
                      const struct pkey *at, const struct jnode **vals, bool assign,
                      size_t ptr_len)
{
    struct keyset ks = {.obj = obj};
    for (const struct jnode *m = obj->child; m; m = m->next) {
        if (m->flags & JF_KEY_BAD)
            continue;       /* reported where it was read */
        bool repeat = keyset_repeat(&ks, m);
        if (repeat)
            member_diag(jr, rec, m, ptr_len, true);
        const struct pkey *k = find_key(at, m);
        if (!k) {
            member_diag(jr, rec, m, ptr_len, false);
            continue;
        }
        bool take = assign && !repeat;
        if (take && k->field >= 0)
            vals[k->field] = m;
        if (take && k->records)
            jr->records = m;
        if (!k->child)
            continue;
        const char *ptr = member_pointer(jr, ptr_len, m);
        if (!ptr)
            break;
        if (m->type == J_OBJECT) {
            walk_keys(jr, rec, m, k, vals, take, jr->pb.len);
        } else if (take) {
            tally_emit_at(&jr->base.cfg.sink, rec, jr->base.in->name, &m->loc,
                          rec ? rec->index : jr->base.records + 1, NULL, NULL,
                          TALLY_PATH_POINTER, ptr, TALLY_SEV_ERROR, TALLY_CODE_JSON_SHAPE,
                          "expected an object at %s", ptr);
            if (!rec)
                jr->element_errors++;
        }
        pointer_cut(jr, ptr_len);
    }
    tally_index_free(&ks.index);
}

static void check_flat_keys(struct json_reader *jr, const struct jnode *obj, size_t ptr_len)
{
    const struct tally_schema *s = jr->base.cfg.schema;
    struct keyset ks = {.obj = obj};
    for (const struct jnode *m = obj->child; m; m = m->next) {
        if (m->flags & JF_KEY_BAD)
            continue;
        if (keyset_repeat(&ks, m))
            member_diag(jr, NULL, m, ptr_len, true);
        else if (tally_schema_match_column(s, m->key, m->key_len) < 0)
            member_diag(jr, NULL, m, ptr_len, false);
    }
    tally_index_free(&ks.index);
}

/* A path in arena a: base (len bytes), then field f's suffix. */
static const char *join(struct json_reader *jr, struct tally_arena *a, const char *base,
                        size_t len, size_t f)
{
    size_t n = jr->suffix_len[f];
    char *p = tally_arena_alloc(a, len + n + 1);
    if (p) {
        memcpy(p, base, len);
        memcpy(p + len, jr->suffix[f], n + 1);
    }
    return p;
}

/*
 * Set up the records of the element just parsed (its tree in jr->root): a
 * flat record, or the elements of its "cohorts". The fields outside the
 * records (authority, period) and the keys of the submission are found and
 * checked once here, for all its records.
 */
static int take_element(struct json_reader *jr)
{
    const struct tally_schema *s = jr->base.cfg.schema;
    const struct jnode *root = jr->root;
    jr->pb.len = 0;
    if (sb_put(&jr->pb, jr->prefix, jr->prefix_len) != TALLY_OK)
        return TALLY_ENOMEM;
    if (root->type != J_OBJECT) {
        element_diag(jr, &root->loc, jr->prefix[0] ? jr->prefix : "", TALLY_CODE_JSON_SHAPE,
                     "expected a submission object or a flat record object, found %s",
                     json_kind(root));
        jr->broken = TALLY_CODE_JSON_SHAPE;
        jr->broken_pending = true;
        return TALLY_OK;
    }
    if (!s->json_records || !member_named(root, s->json_records)) {
        check_flat_keys(jr, root, jr->prefix_len);
        jr->flat_pending = true;
        return jr->nomem ? TALLY_ENOMEM : TALLY_OK;
    }
    memset(jr->root_vals, 0, s->nfields * sizeof *jr->root_vals);
    jr->records = NULL;
    walk_keys(jr, NULL, root, &jr->root_keys, jr->root_vals, true, jr->prefix_len);
    if (jr->nomem)
        return TALLY_ENOMEM;
    for (size_t f = 0; f < s->nfields; f++)
        if (jr->root_vals[f] &&
            !(jr->root_paths[f] = join(jr, &jr->tree, jr->prefix, jr->prefix_len, f)))
            return TALLY_ENOMEM;
    const struct jnode *records = jr->records;
    if (records->type != J_ARRAY || !records->child) {
        const char *ptr = member_pointer(jr, jr->prefix_len, records);
        element_diag(jr, &records->loc, ptr, TALLY_CODE_JSON_SHAPE,
                     "\"%s\" must be a non-empty array of %s objects", s->json_records,
                     s->json_records);
        jr->broken = TALLY_CODE_JSON_SHAPE;
        jr->broken_pending = true;
        return TALLY_OK;
    }
    jr->records = records;
    jr->next_record = records->child;
    jr->record_index = 0;
    return TALLY_OK;
}

/* Start a record at node (NULL: the element) whose JSON Pointer is jr->pb. */
static int start_record(struct json_reader *jr, const struct jnode *node)
{
    memset(jr->fields, 0, jr->base.cfg.schema->nfields * sizeof *jr->fields);
    tally_arena_reset(&jr->arena);
    struct tally_record *rec = &jr->rec;
    rec->index = ++jr->base.records;
    rec->loc = node ? node->loc : jr->elem_loc;
    rec->path = tally_arena_strndup(&jr->arena, jr->pb.s ? jr->pb.s : "", jr->pb.len);
    rec->errors = jr->element_errors;   /* the element's problems count on its first record */
    jr->element_errors = 0;
    rec->warnings = 0;
    rec->inherited = jr->taint;         /* a value error rejects every record of the element */
    return rec->path ? TALLY_OK : TALLY_ENOMEM;
}

/* Fill field f of the record from JSON value v whose pointer is path
 * (borrowed: it lives as long as the record). */
static void set_field(struct json_reader *jr, size_t f, const struct jnode *v, const char *path)
{
    const struct tally_field_def *def = &jr->base.cfg.schema->fields[f];
    struct tally_field *fld = &jr->fields[f];
    fld->path = path;
    fld->loc = v->loc;
    if (v->type == J_NULL)
        return;     /* missing */
    if (v->type == J_STRING || v->type == J_NUMBER) {
        fld->text = v->text;    /* borrowed from the tree: it outlives the record */
        fld->len = v->len;
        if (v->flags & JF_BAD) {
            fld->bad = true;    /* reported where it was read */
        } else if (v->flags & JF_LONG) {
            tally_emit_at(&jr->base.cfg.sink, &jr->rec, jr->rec.file, &fld->loc, jr->rec.index,
                          def->name, NULL, TALLY_PATH_POINTER, fld->path, TALLY_SEV_ERROR,
                          TALLY_CODE_LIMIT, "%s is longer than %d bytes", def->name,
                          TALLY_MAX_VALUE_BYTES);
            fld->bad = true;
            fld->text = "";
            fld->len = 0;
        } else if (v->flags & JF_NUL) {
            tally_emit_at(&jr->base.cfg.sink, &jr->rec, jr->rec.file, &fld->loc, jr->rec.index,
                          def->name, fld->text, TALLY_PATH_POINTER, fld->path, TALLY_SEV_ERROR,
                          TALLY_CODE_ENCODING, "%s holds a NUL character (\\u0000)", def->name);
            fld->bad = true;
        }
    } else {
        fld->text = json_kind(v);
        fld->len = strlen(fld->text);
    }
    bool number_ok = def->type == TALLY_TYPE_INTEGER;
    if (fld->bad || v->type == J_STRING || (v->type == J_NUMBER && number_ok))
        return;
    fld->bad = true;
    tally_emit_at(&jr->base.cfg.sink, &jr->rec, jr->rec.file, &fld->loc, jr->rec.index, def->name,
                  fld->text, TALLY_PATH_POINTER, fld->path, TALLY_SEV_ERROR, TALLY_CODE_TYPE,
                  "%s must be %s, not %s", def->name,
                  number_ok ? "a whole number or a string holding a count" : "a string",
                  json_kind(v));
}

static int make_flat(struct json_reader *jr)
{
    const struct tally_schema *s = jr->base.cfg.schema;
    jr->pb.len = 0;
    if (sb_put(&jr->pb, jr->prefix, jr->prefix_len) != TALLY_OK ||
        start_record(jr, jr->root) != TALLY_OK)
        return TALLY_ENOMEM;
    for (const struct jnode *m = jr->root->child; m; m = m->next) {
        if (m->flags & JF_KEY_BAD)
            continue;
        int f = tally_schema_match_column(s, m->key, m->key_len);
        if (f < 0 || jr->fields[f].path)
            continue;   /* unknown (warned), or a repeat (an error already) */
        const char *ptr = member_pointer(jr, jr->prefix_len, m);
        const char *path = ptr ? tally_arena_strndup(&jr->arena, ptr, jr->pb.len) : NULL;
        if (!path)
            return TALLY_ENOMEM;
        set_field(jr, (size_t)f, m, path);
    }
    return TALLY_OK;
}

/*
 * The next record of "cohorts". Its keys are checked and its fields found
 * in one pass over its members (a key the schema names at the record's top
 * level says which field it fills; the first of a repeated key counts, as it
 * is reported); the fields outside it come from take_element.
 */
static int make_nested(struct json_reader *jr)
{
    const struct tally_schema *s = jr->base.cfg.schema;
    const struct jnode *item = jr->next_record;
    jr->next_record = item->next;
    /* The record's pointer: the element's, "/cohorts", its index. */
    jr->pb.len = 0;
    if (sb_put(&jr->pb, jr->prefix, jr->prefix_len) ||
        sb_put(&jr->pb, jr->records_suffix, jr->records_suffix_len) ||
        sb_index(&jr->pb, jr->record_index++) || start_record(jr, item))
        return TALLY_ENOMEM;
    struct tally_record *rec = &jr->rec;
    const char *base = rec->path;
    size_t base_len = jr->pb.len;
    if (item->type != J_OBJECT) {
        tally_emit_at(&jr->base.cfg.sink, rec, rec->file, &item->loc, rec->index, NULL, NULL,
                      TALLY_PATH_POINTER, base, TALLY_SEV_ERROR, TALLY_CODE_JSON_SHAPE,
                      "each element of \"%s\" must be an object, not %s", s->json_records,
                      json_kind(item));
        rec->inherited = TALLY_CODE_JSON_SHAPE;
        return TALLY_OK;
    }
    const struct jnode **vals = jr->rec_vals;
    memset(vals, 0, s->nfields * sizeof *vals);
    walk_keys(jr, rec, item, &jr->rec_keys, vals, true, base_len);
    if (jr->nomem)
        return TALLY_ENOMEM;
    for (size_t f = 0; f < s->nfields; f++) {
        const struct tally_path *p = &s->fields[f].json;
        if (!p->segs)
            continue;
        const struct jnode *v;
        const char *path;
        if (!p->in_record) {
            v = jr->root_vals[f];
            path = jr->root_paths[f];       /* in the tree: it outlives the record */
        } else {
            v = vals[f];
            if (v && !(path = join(jr, &jr->arena, base, base_len, f)))
                return TALLY_ENOMEM;
        }
        if (v)
            set_field(jr, f, v, path);
    }
    return TALLY_OK;
}

/* ---- the pull loop -------------------------------------------------------------------- */

static void file_error(struct json_reader *jr, const struct tally_loc *loc, const char *code,
                       const char *fmt, ...) TALLY_PRINTF(4, 5);

/* A problem outside any element that ends the file. */
static void file_error(struct json_reader *jr, const struct tally_loc *loc, const char *code,
                       const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    tally_emit_atv(&jr->base.cfg.sink, NULL, jr->base.in->name, loc, 0, NULL, NULL,
                   TALLY_PATH_NONE, NULL, TALLY_SEV_ERROR, code, fmt, ap);
    va_end(ap);
    jr->finished = true;
}

/* A byte between top-level elements that does not belong there. */
static void between_error(struct json_reader *jr, int c, const char *expected,
                          struct tally_error *err)
{
    char what[160];
    struct tally_loc at = here(jr);
    const char *code = describe(jr, c, what, sizeof what, err);
    if (strcmp(code, TALLY_CODE_ENCODING) == 0)
        file_error(jr, &at, code, "%s; the rest of the file is not read", what);
    else
        file_error(jr, &at, code, "%s, found %s; the rest of the file is not read", expected,
                   what);
}

/* Skip white space and, in NDJSON, blank lines. */
static int skip_blank(struct json_reader *jr, int *c, struct tally_error *err)
{
    struct tally_input *in = jr->base.in;
    for (;;) {
        int rc = skip_ws(jr, c, err);
        if (rc || *c != '\n')
            return rc;
        tally_textpos_newline(&jr->tp, '\n', offset_of(jr));
        in->pos++;
    }
}

/*
 * Move to the start of the next element: the document's one value, the next
 * element of the top-level array, or the next NDJSON line. Returns TALLY_OK
 * with *c the element's first byte, or with jr->finished set.
 */
static int seek_element(struct json_reader *jr, int *c, struct tally_error *err)
{
    struct tally_input *in = jr->base.in;
    int rc;
    switch (jr->state) {
    case STATE_START:
        if ((rc = want(jr, 4, err)))
            return rc;
        if (in->len - in->pos >= 3 && memcmp(in->buf + in->pos, "\xEF\xBB\xBF", 3) == 0) {
            in->pos += 3;
            tally_textpos_init(&jr->tp, offset_of(jr));
        } else if (in->len - in->pos >= 2) {
            const unsigned char *p = in->buf + in->pos;
            if ((p[0] == 0xFF && p[1] == 0xFE) || (p[0] == 0xFE && p[1] == 0xFF)) {
                struct tally_loc at = here(jr);
                file_error(jr, &at, TALLY_CODE_ENCODING, "the file is UTF-16 (byte order mark "
                           "0x%02X%02X at byte offset 0); save it as UTF-8", p[0], p[1]);
                return TALLY_OK;
            }
        }
        if ((rc = skip_blank(jr, c, err)))
            return rc;
        if (*c == -1) {
            /* About the whole file, at no line (an empty file has none; a blank
             * one's last line is no place either), as the CSV and XML readers say it. */
            file_error(jr, NULL, TALLY_CODE_FORMAT, "the file is empty: a JSON return needs at "
                       "least one submission");
            return TALLY_OK;
        }
        if (jr->ndjson) {
            jr->state = STATE_LINES;
            return TALLY_OK;
        }
        if (*c != '[') {
            jr->state = STATE_END;  /* one value, then nothing */
            return TALLY_OK;
        }
        in->pos++;
        jr->top_array = true;
        if ((rc = skip_ws(jr, c, err)))
            return rc;
        if (*c == ']') {
            in->pos++;
            struct tally_loc at = here(jr);
            tally_emit_at(&jr->base.cfg.sink, NULL, in->name, &at, 0, NULL, NULL,
                          TALLY_PATH_NONE, NULL, TALLY_SEV_WARNING, TALLY_CODE_FORMAT,
                          "the file holds an empty array: no records");
            jr->state = STATE_TRAILER;
            return seek_element(jr, c, err);
        }
        jr->state = STATE_ARRAY;
        if (*c == -1) {
            struct tally_loc at = here(jr);
            file_error(jr, &at, TALLY_CODE_JSON_SYNTAX, "the array is not closed before the end "
                       "of the file");
        }
        return TALLY_OK;
    case STATE_ARRAY:
        if ((rc = skip_ws(jr, c, err)))
            return rc;
        if (*c == ',') {
            in->pos++;
            if ((rc = skip_ws(jr, c, err)))
                return rc;
            if (*c == ']') {
                struct tally_loc at = here(jr);
                file_error(jr, &at, TALLY_CODE_JSON_SYNTAX, "expected a value after \",\", found "
                           "\"]\"; the rest of the file is not read");
            } else if (*c == -1) {
                struct tally_loc at = here(jr);
                file_error(jr, &at, TALLY_CODE_JSON_SYNTAX, "the array is not closed before the "
                           "end of the file");
            }
            return TALLY_OK;
        }
        if (*c == ']') {
            in->pos++;
            jr->state = STATE_TRAILER;
            return seek_element(jr, c, err);
        }
        if (*c == -1) {
            struct tally_loc at = here(jr);
            file_error(jr, &at, TALLY_CODE_JSON_SYNTAX, "the array is not closed before the end "
                       "of the file");
        } else {
            between_error(jr, *c, "expected \",\" or \"]\" after an array element", err);
        }
        return TALLY_OK;
    case STATE_END:
        jr->state = STATE_TRAILER;
        return seek_element(jr, c, err);
    case STATE_TRAILER:
        if ((rc = skip_ws(jr, c, err)))
            return rc;
        if (*c != -1) {
            struct tally_loc at = here(jr);
            file_error(jr, &at, TALLY_CODE_JSON_SYNTAX, "unexpected text after the end of the "
                       "JSON value");
        }
        jr->finished = true;
        return TALLY_OK;
    case STATE_LINES:
        if ((rc = skip_blank(jr, c, err)))
            return rc;
        if (*c == -1)
            jr->finished = true;
        return TALLY_OK;
    }
    return TALLY_OK;
}

/* Start the element whose first byte c is at in->pos. */
static void begin_element(struct json_reader *jr, int c)
{
    jr->in_element = true;
    jr->elem_start = offset_of(jr);
    jr->elem_loc = here(jr);
    jr->elem_first = c;
    jr->building = true;
    jr->syntax_end = false;
    jr->encoding_reported = false;
    jr->broken = NULL;
    jr->taint = NULL;
    jr->element_errors = 0;
    jr->root = NULL;
    jr->nnodes = 0;
    jr->depth = 0;
    tally_arena_reset(&jr->tree);
    if (jr->top_array)
        jr->prefix_len = index_token(jr->prefix, jr->index);
    else
        jr->prefix[jr->prefix_len = 0] = '\0';
    jr->index++;
}

/* Read the next element and set up its records. */
static int read_element(struct json_reader *jr, struct tally_error *err)
{
    struct tally_input *in = jr->base.in;
    int c, rc;
    if ((rc = seek_element(jr, &c, err)) || (rc = jr->io_rc) || jr->finished)
        return rc;
    /* A byte that is not text where an element starts: no element began. */
    if (c == 0 || c >= 0x80) {
        char what[160];
        struct tally_loc at = here(jr);
        const char *code = describe(jr, c, what, sizeof what, err);
        if (jr->io_rc)
            return jr->io_rc;
        if (strcmp(code, TALLY_CODE_ENCODING) == 0) {
            if (!jr->ndjson) {
                file_error(jr, &at, TALLY_CODE_ENCODING, "%s; the rest of the file is not read",
                           what);
                return TALLY_OK;
            }
            tally_emit_at(&jr->base.cfg.sink, NULL, in->name, &at, 0, NULL, NULL, TALLY_PATH_NONE,
                          NULL, TALLY_SEV_ERROR, TALLY_CODE_ENCODING,
                          "%s; the rest of the line is skipped", what);
            return skip_line(jr, err);
        }
    }
    begin_element(jr, c);
    rc = parse_element(jr, err);
    jr->in_element = false;
    if (rc == TALLY_ENOMEM)
        return tally_error_set(err, rc, "out of memory");
    if (rc || (rc = jr->io_rc))
        return rc;
    if (jr->nomem)
        return tally_error_set(err, TALLY_ENOMEM, "out of memory");
    if (jr->building && offset_of(jr) - jr->elem_start > TALLY_MAX_ELEMENT_BYTES)
        too_big(jr);
    if (jr->ndjson && !jr->syntax_end) {
        /* Only white space may follow the value on its line. */
        if ((rc = skip_ws(jr, &c, err)))
            return rc;
        if (c != '\n' && c != -1) {
            char what[160];
            struct tally_loc at = here(jr);
            const char *code = describe(jr, c, what, sizeof what, err);
            jr->depth = 0;
            syntax_stop(jr, code, &at, stop_suffix(jr), "expected the end of the line after the "
                        "JSON value, found %s", what);
        }
    }
    if (jr->io_rc)
        return jr->io_rc;
    if (jr->syntax_end) {
        if (!jr->ndjson)
            jr->finished = true;
        else if ((rc = skip_line(jr, err)))
            return rc;
    }
    jr->have_element = true;
    if (jr->broken) {
        jr->broken_pending = true;
        return TALLY_OK;
    }
    if ((rc = take_element(jr)))
        return tally_error_set(err, rc, "out of memory");
    return TALLY_OK;
}

static void drop_element(struct json_reader *jr)
{
    tally_arena_reset(&jr->tree);
    jr->root = NULL;
    jr->records = jr->next_record = NULL;
    jr->flat_pending = jr->broken_pending = false;
    jr->have_element = false;
}

static int json_next(struct tally_reader *r, struct tally_record **out, struct tally_error *err)
{
    struct json_reader *jr = (struct json_reader *)r;
    for (;;) {
        if (jr->have_element) {
            int rc;
            if (jr->broken_pending) {
                jr->broken_pending = false;
                jr->pb.len = 0;
                if (sb_put(&jr->pb, jr->prefix, strlen(jr->prefix)) != TALLY_OK ||
                    start_record(jr, NULL) != TALLY_OK)
                    return tally_error_set(err, TALLY_ENOMEM, "out of memory");
                jr->rec.inherited = jr->broken;
                *out = &jr->rec;
                return TALLY_RECORD;
            }
            if (jr->flat_pending) {
                jr->flat_pending = false;
                rc = make_flat(jr);
            } else if (jr->next_record) {
                rc = make_nested(jr);
            } else {
                drop_element(jr);
                continue;
            }
            if (rc)
                return tally_error_set(err, TALLY_ENOMEM, "out of memory");
            *out = &jr->rec;
            return TALLY_RECORD;
        }
        if (jr->finished)
            return TALLY_DONE;
        int rc = read_element(jr, err);
        if (rc)
            return rc;
    }
}

static void json_close(struct tally_reader *r)
{
    struct json_reader *jr = (struct json_reader *)r;
    if (!jr)
        return;
    if (jr->suffix)
        for (size_t f = 0; f < jr->base.cfg.schema->nfields; f++)
            free(jr->suffix[f]);
    free(jr->suffix);
    free(jr->suffix_len);
    free(jr->records_suffix);
    tally_arena_fini(&jr->fixed);
    free(jr->root_vals);
    free(jr->root_paths);
    free(jr->rec_vals);
    free(jr->kinds);
    free(jr->sb.s);
    free(jr->pb.s);
    tally_arena_fini(&jr->tree);
    tally_arena_fini(&jr->arena);
    free(jr->fields);
    free(jr);
}

/* Add a field's path (field -1: the records array) to the tree under top. */
static bool add_path(struct tally_arena *a, struct pkey *top, char *const *segs, size_t n,
                     int field)
{
    struct pkey *at = top;
    for (size_t i = 0; i < n; i++) {
        struct pkey **link = &at->child;
        while (*link && strcmp((*link)->name, segs[i]) != 0)
            link = &(*link)->next;
        if (!*link) {
            if (!(*link = tally_arena_alloc(a, sizeof **link)))
                return false;
            **link = (struct pkey){.name = segs[i], .len = strlen(segs[i]), .field = -1};
        }
        at = *link;
    }
    if (field < 0)
        at->records = true;
    else if (at->field < 0)
        at->field = field;
    return true;
}

/* A JSON path's segments as a pointer suffix ("/authority/code"), malloc'd. */
static char *path_suffix(const char *const *segs, size_t nsegs)
{
    struct strbuf b = {0};
    if (sb_put(&b, "", 0) != TALLY_OK)
        return NULL;
    for (size_t i = 0; i < nsegs; i++)
        if (sb_key(&b, segs[i], strlen(segs[i])) != TALLY_OK) {
            free(b.s);
            return NULL;
        }
    return b.s;
}

static int open_common(struct tally_reader **out, struct tally_input *in,
                       const struct tally_reader_config *cfg, struct tally_error *err, bool ndjson)
{
    const struct tally_schema *s = cfg->schema;
    struct json_reader *jr = calloc(1, sizeof *jr);
    if (!jr)
        return tally_error_set(err, TALLY_ENOMEM, "out of memory");
    jr->base.ops = ndjson ? &tally_ndjson_reader : &tally_json_reader;
    jr->base.in = in;
    jr->base.cfg = *cfg;
    size_t n = s->nfields;
    bool ok = (jr->fields = calloc(n, sizeof *jr->fields)) &&
              (jr->suffix = calloc(n, sizeof *jr->suffix)) &&
              (jr->suffix_len = calloc(n, sizeof *jr->suffix_len)) &&
              (jr->root_vals = calloc(n, sizeof *jr->root_vals)) &&
              (jr->root_paths = calloc(n, sizeof *jr->root_paths)) &&
              (jr->rec_vals = calloc(n, sizeof *jr->rec_vals));
    const char *records = s->json_records ? s->json_records : "";
    ok = ok && (jr->records_suffix = path_suffix(&records, 1));
    if (ok)
        jr->records_suffix_len = strlen(jr->records_suffix);
    if (ok && s->json_records)
        ok = add_path(&jr->fixed, &jr->root_keys, &s->json_records, 1, -1);
    for (size_t f = 0; ok && f < n; f++) {
        const struct tally_path *p = &s->fields[f].json;
        ok = (jr->suffix[f] = path_suffix((const char *const *)p->segs, p->nsegs)) != NULL;
        if (ok) {
            jr->suffix_len[f] = strlen(jr->suffix[f]);
            if (p->segs && p->nsegs)
                ok = add_path(&jr->fixed, p->in_record ? &jr->rec_keys : &jr->root_keys,
                              p->segs, p->nsegs, (int)f);
        }
    }
    if (!ok) {
        json_close(&jr->base);
        return tally_error_set(err, TALLY_ENOMEM, "out of memory");
    }
    jr->ndjson = ndjson;
    jr->rec.file = in->name;
    jr->rec.nfields = s->nfields;
    jr->rec.fields = jr->fields;
    jr->rec.path_kind = TALLY_PATH_POINTER;
    tally_textpos_init(&jr->tp, tally_input_offset(in));
    *out = &jr->base;
    return TALLY_OK;
}

static int json_open(struct tally_reader **out, struct tally_input *in,
                     const struct tally_reader_config *cfg, struct tally_error *err)
{
    return open_common(out, in, cfg, err, false);
}

static int ndjson_open(struct tally_reader **out, struct tally_input *in,
                       const struct tally_reader_config *cfg, struct tally_error *err)
{
    return open_common(out, in, cfg, err, true);
}

static const char *const json_extensions[] = {".json", NULL};
static const char *const ndjson_extensions[] = {".ndjson", ".jsonl", NULL};

const struct tally_reader_ops tally_json_reader = {
    .name = "json",
    .extensions = json_extensions,
    .open = json_open,
    .next = json_next,
    .close = json_close,
};

const struct tally_reader_ops tally_ndjson_reader = {
    .name = "ndjson",
    .extensions = ndjson_extensions,
    .open = ndjson_open,
    .next = json_next,
    .close = json_close,
};
