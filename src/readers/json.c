/*
 * readers/json.c — the JSON and NDJSON readers, on cJSON.
 *
 * Accepted, in the same places (SPEC §3): a submission object
 *
 *   {"authority": {"code": ..., "name": ...}, "period": {"start": ..., "end": ...},
 *    "submitted": ..., "cohorts": [{"cohort": ..., "in_care": ..., ...}, ...]}
 *
 * whose every element of "cohorts" is one record, or a flat record object whose
 * keys are the field names. A .json file holds one such object or an array of
 * them; an NDJSON file (.ndjson, .jsonl) holds one per line. Where each field
 * sits comes from the schema's "json" paths, not from this file.
 *
 * Streaming: a top-level array is never parsed whole. A small scanner (strings,
 * escapes, nesting depth) finds where each element ends, reading more input as
 * needed, and only that element is handed to cJSON; NDJSON is read line by
 * line. Memory is bounded by the largest submission, which is itself bounded
 * (TALLY_MAX_ELEMENT_BYTES).
 *
 * Positions: cJSON keeps none, so after an element parses, a second pass walks
 * its text alongside cJSON's tree and notes the line and column of every node
 * (and of every key, for warnings about unknown keys). A number's field text is
 * its token as written, so "12.5" and "1e3" reach the validator as they were
 * typed and fail as counts there.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "core/grow.h"
#include "core/arena.h"
#include "core/emit.h"
#include "core/hash.h"
#include "core/utf8.h"
#include "readers/readers.h"

#define TALLY_MAX_ELEMENT_BYTES (16u << 20) /* one submission or NDJSON line */
#define TALLY_MAX_JSON_DEPTH 64

/* Where a node of the current element starts. */
struct node_pos {
    const cJSON *node;
    struct tally_loc loc;   /* of the value */
    struct tally_loc key;   /* of its key, when it is an object member */
    size_t off, len;        /* the value's token in the element text */
};

struct json_reader {
    struct tally_reader base;
    bool ndjson;
    struct tally_arena arena;       /* per record: field texts and paths */
    struct tally_record rec;
    struct tally_field *fields;

    struct tally_loc pos;           /* position of in->buf[in->pos] */
    enum {
        STATE_START,                /* nothing read yet */
        STATE_ARRAY,                /* inside the top-level array */
        STATE_END,                  /* at the document's one value */
        STATE_TRAILER,              /* after the value: only space may follow */
        STATE_LINES                 /* NDJSON: one value per line */
    } state;
    bool top_array;                 /* the file is one array of elements */
    bool finished;
    uint64_t index;                 /* elements read so far (array index of the next) */

    /* The element being turned into records. */
    bool have_element;
    const char *text;               /* its bytes, in the input buffer */
    size_t text_len;
    bool text_plain;                /* ASCII on one line: a byte is a column */
    struct tally_loc text_loc;      /* where it starts */
    char prefix[32];                /* JSON Pointer prefix: "/3" in an array, "" else */
    cJSON *root;                    /* its tree, allocated in `tree` */
    struct tally_arena tree;
    struct node_pos *map;           /* sorted by node address */
    size_t nmap, map_cap;           /* the map's memory is kept from element to element */
    const cJSON *records;           /* the "cohorts" array, or NULL for a flat record */
    const cJSON *next_record;       /* next element of records to deliver */
    size_t record_index;            /* its index in records */
    bool flat_pending;              /* a flat record not yet delivered */
    bool broken_pending;            /* an unreadable element: deliver one rejected record */
    const char *broken_code;
    unsigned element_errors;        /* errors found in the element, for its first record */
    const char *taint;              /* an error in the element's bytes that every record
                                       from it carries (an encoding error), or NULL */
};

/* ---- diagnostics ----------------------------------------------------------- */

static void diag(struct json_reader *jr, const struct tally_loc *loc, const char *pointer,
                 enum tally_severity sev, const char *code, const char *fmt, ...)
    TALLY_PRINTF(6, 7);

/* A problem in the current element, counted on the record it becomes. */
static void diag(struct json_reader *jr, const struct tally_loc *loc, const char *pointer,
                 enum tally_severity sev, const char *code, const char *fmt, ...)
{
    /* It is about the next record to come out of this element. */
    va_list ap;
    va_start(ap, fmt);
    tally_emit_atv(&jr->base.cfg.sink, NULL, jr->base.in->name, loc, jr->base.records + 1, NULL,
                   NULL, pointer ? TALLY_PATH_POINTER : TALLY_PATH_NONE, pointer, sev, code, fmt,
                   ap);
    va_end(ap);
    if (sev == TALLY_SEV_ERROR)
        jr->element_errors++;
}

/* Move loc over n bytes of text. */
static void advance(struct tally_loc *loc, const char *p, size_t n)
{
    const char *end = p + n, *nl;
    loc->offset += n;
    if (n > 64)     /* long spans: to the last line end with memchr */
        while ((nl = memchr(p, '\n', (size_t)(end - p)))) {
            loc->line++;
            loc->column = 1;
            p = nl + 1;
        }
    for (; p < end; p++) {
        if (*p == '\n') {
            loc->line++;
            loc->column = 1;
        } else {    /* a column is a character: skip UTF-8 continuation bytes */
            loc->column += ((unsigned char)*p & 0xC0) != 0x80;
        }
    }
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

/* The member of obj named name, or NULL (cJSON_GetObjectItemCaseSensitive). */
static const cJSON *member_named(const cJSON *obj, const char *name)
{
    for (const cJSON *m = obj->child; m; m = m->next)
        if (m->string && same_name(m->string, name))
            return m;
    return NULL;
}

/* ---- finding an element's extent ------------------------------------------ */

enum extent {
    EXTENT_OK,              /* *len bytes from in->pos hold one complete value */
    EXTENT_EOF,             /* the input ended inside the value */
    EXTENT_LINE,            /* NDJSON: the line ended inside the value (*len: the line) */
    EXTENT_DEPTH,           /* nested deeper than the limit (at *bad) */
    EXTENT_TOO_BIG,         /* longer than TALLY_MAX_ELEMENT_BYTES */
    EXTENT_ENCODING,        /* invalid UTF-8 or a NUL (at *bad, with *why) */
    EXTENT_FAIL             /* a read failed: err is set */
};

/*
 * Scan the value starting at in->buf[in->pos] (an object or array) to its
 * end, reading more input as needed. Strings and escapes are skipped, brackets
 * counted; nothing else is checked here (cJSON does that). On EXTENT_DEPTH,
 * EXTENT_TOO_BIG and EXTENT_ENCODING the scan still runs to the value's end,
 * so that reading can go on after it; *len is then the bytes to skip.
 */
/* Bytes the extent scanner must look at: structure, quotes, escapes, line
 * ends, NUL and non-ASCII. */
static const bool extent_byte[256] = {
    [0] = true, ['\n'] = true, ['"'] = true, ['\\'] = true,
    ['{'] = true, ['}'] = true, ['['] = true, [']'] = true,
#define X8(n) [n] = true, [n + 1] = true, [n + 2] = true, [n + 3] = true, \
              [n + 4] = true, [n + 5] = true, [n + 6] = true, [n + 7] = true
#define X64(n) X8(n), X8(n + 8), X8(n + 16), X8(n + 24), X8(n + 32), X8(n + 40), X8(n + 48), \
               X8(n + 56)
    X64(0x80), X64(0xC0)
#undef X64
#undef X8
};

static enum extent find_extent(struct json_reader *jr, size_t *len, size_t *bad, const char **why,
                               struct tally_error *err)
{
    struct tally_input *in = jr->base.in;
    size_t i = 0, depth = jr->top_array ? 1 : 0;  /* the whole document's nesting */
    size_t base = depth;
    bool in_string = false, escape = false;
    enum extent result = EXTENT_OK;
    *bad = 0;
    jr->text_plain = true;
    for (;;) {
        if (in->pos + i >= in->len) {
            if (in->eof)
                return EXTENT_EOF;
            /* Past the size limit, keep only the scan state: drop what was read. */
            if (result == EXTENT_TOO_BIG && i > TALLY_INPUT_CHUNK) {
                advance(&jr->pos, (const char *)in->buf + in->pos, i);
                in->pos += i;
                *len = 0;
                i = 0;
            }
            if (tally_input_fill(in, err) != TALLY_OK)
                return EXTENT_FAIL;
            continue;
        }
        /* Most bytes matter to no one here: skip them in one tight loop. */
        const unsigned char *b = in->buf + in->pos;
        size_t avail = in->len - in->pos;
        if (!escape)
            while (i < avail && !extent_byte[b[i]])
                i++;
        if (i == avail)
            continue;
        unsigned char c = b[i];
        if (c >= 0x80 || c == '\n')
            jr->text_plain = false;
        if (c >= 0x80) {
            const char *w = NULL;
            int n = tally_utf8_seq(in->buf + in->pos + i, in->len - in->pos - i, &w);
            if (n < 0 && !in->eof) {
                if (tally_input_fill(in, err) != TALLY_OK)
                    return EXTENT_FAIL;
                continue;
            }
            if (n <= 0) {
                if (result == EXTENT_OK) {
                    result = EXTENT_ENCODING;
                    *bad = i;
                    *why = w ? w : "truncated sequence";
                }
                n = 1;
            }
            i += (size_t)n;
            continue;
        }
        i++;
        if (c == 0 && result == EXTENT_OK) {
            result = EXTENT_ENCODING;
            *bad = i - 1;
            *why = NULL;
        }
        if (in_string) {
            if (escape)
                escape = false;
            else if (c == '\\')
                escape = true;
            else if (c == '"')
                in_string = false;
        } else if (c == '"') {
            in_string = true;
        } else if (c == '{' || c == '[') {
            if (++depth > TALLY_MAX_JSON_DEPTH && result == EXTENT_OK) {
                result = EXTENT_DEPTH;
                *bad = i - 1;
            }
        } else if (c == '}' || c == ']') {
            if (depth > base && --depth == base) {
                *len = i;
                return result;
            }
        } else if (c == '\n' && jr->ndjson && depth > base) {
            *len = i;
            return EXTENT_LINE; /* an NDJSON value must end on its line */
        }
        if (i > TALLY_MAX_ELEMENT_BYTES && result == EXTENT_OK)
            result = EXTENT_TOO_BIG;
    }
}

/* cJSON's type tests, inline: they run for every node (cJSON.h documents
 * the type field; its own cJSON_Is* are calls into the library). */
static inline bool json_is(const cJSON *n, int type)
{
    return n && (n->type & 0xFF) == type;
}

/* ---- JSON Pointers ------------------------------------------------------------
 * Built for every field of every record, so without printf. */

/* Append the string s to the one of length o in buf, cutting at size. */
static size_t append(char *buf, size_t size, size_t o, const char *s)
{
    size_t n = strlen(s);
    if (o + 1 >= size)
        return o;
    if (n > size - 1 - o)
        n = size - 1 - o;
    memcpy(buf + o, s, n);
    buf[o + n] = '\0';
    return o + n;
}

/* Append "/" and the decimal index i. */
static size_t append_index(char *buf, size_t size, size_t o, uint64_t i)
{
    char digits[24], *d = digits + sizeof digits;
    *--d = '\0';
    do
        *--d = (char)('0' + i % 10);
    while (i /= 10);
    *--d = '/';
    return append(buf, size, o, d);
}

/* ptr = parent "/" key. */
static void member_pointer(char *ptr, size_t size, const char *parent, const char *key)
{
    size_t o = append(ptr, size, 0, parent);
    append(ptr, size, append(ptr, size, o, "/"), key);
}

/* ---- positions of the parsed element's nodes ------------------------------- */

static const bool json_space[256] = {[' '] = true, ['\t'] = true, ['\n'] = true, ['\r'] = true};

/* Bytes of a number or a literal (true, false, null) token. */
static const bool json_word[256] = {
    ['+'] = true, ['-'] = true, ['.'] = true, ['E'] = true,
    ['0'] = true, ['1'] = true, ['2'] = true, ['3'] = true, ['4'] = true,
    ['5'] = true, ['6'] = true, ['7'] = true, ['8'] = true, ['9'] = true,
    ['a'] = true, ['b'] = true, ['c'] = true, ['d'] = true, ['e'] = true, ['f'] = true,
    ['g'] = true, ['h'] = true, ['i'] = true, ['j'] = true, ['k'] = true, ['l'] = true,
    ['m'] = true, ['n'] = true, ['o'] = true, ['p'] = true, ['q'] = true, ['r'] = true,
    ['s'] = true, ['t'] = true, ['u'] = true, ['v'] = true, ['w'] = true, ['x'] = true,
    ['y'] = true, ['z'] = true,
};

struct walker {
    const char *text;
    bool plain;                     /* see json_reader.text_plain */
    size_t len, i;
    struct tally_loc loc;
    struct node_pos *map;
    size_t n, cap;
};

static void walk_to(struct walker *w, size_t target)
{
    if (target > w->len)
        target = w->len;
    if (w->plain) {
        w->loc.column += target - w->i;
        w->loc.offset += target - w->i;
    } else {
        advance(&w->loc, w->text + w->i, target - w->i);
    }
    w->i = target;
}

static void skip_ws(struct walker *w)
{
    size_t i = w->i;
    while (i < w->len && json_space[(unsigned char)w->text[i]])
        i++;
    if (i != w->i)
        walk_to(w, i);
}

/* One past the closing quote of the string whose opening quote is at i. */
static size_t string_end(const struct walker *w, size_t i)
{
    for (i++; i < w->len;) {
        const char *q = memchr(w->text + i, '"', w->len - i);
        if (!q)
            break;
        size_t at = (size_t)(q - w->text), backslashes = 0;
        while (at - backslashes > i && w->text[at - backslashes - 1] == '\\')
            backslashes++;
        if (backslashes % 2 == 0)
            return at + 1;      /* not escaped */
        i = at + 1;
    }
    return w->len;
}

/* Walk the value at w->i that cJSON parsed as node; record every node. */
static int walk(struct walker *w, const cJSON *node, const struct tally_loc *key)
{
    skip_ws(w);
    if (tally_grow((void **)&w->map, &w->cap, w->n, sizeof *w->map, 64) != TALLY_OK)
        return TALLY_ENOMEM;
    struct node_pos *np = &w->map[w->n++];
    *np = (struct node_pos){.node = node, .loc = w->loc, .off = w->i};
    if (key)
        np->key = *key;
    size_t self = w->n - 1;
    if (json_is(node, cJSON_Object) || json_is(node, cJSON_Array)) {
        walk_to(w, w->i + 1);
        for (const cJSON *child = node->child; child; child = child->next) {
            skip_ws(w);
            struct tally_loc kloc = w->loc;
            if (json_is(node, cJSON_Object)) {
                walk_to(w, string_end(w, w->i));
                skip_ws(w);
                walk_to(w, w->i + 1);      /* ':' */
            }
            int rc = walk(w, child, json_is(node, cJSON_Object) ? &kloc : NULL);
            if (rc)
                return rc;
            skip_ws(w);
            if (w->i < w->len && w->text[w->i] == ',')
                walk_to(w, w->i + 1);
        }
        skip_ws(w);
        walk_to(w, w->i + 1);
    } else if (json_is(node, cJSON_String)) {
        walk_to(w, string_end(w, w->i));
    } else {
        size_t i = w->i;
        while (i < w->len && json_word[(unsigned char)w->text[i]])
            i++;
        walk_to(w, i);
    }
    w->map[self].len = w->i - w->map[self].off;
    return TALLY_OK;
}

static int by_node(const void *a, const void *b)
{
    const cJSON *x = ((const struct node_pos *)a)->node, *y = ((const struct node_pos *)b)->node;
    return x < y ? -1 : x > y;
}

static const struct node_pos *find_pos(const struct json_reader *jr, const cJSON *node)
{
    struct node_pos key = {.node = node};
    return jr->nmap ? bsearch(&key, jr->map, jr->nmap, sizeof key, by_node) : NULL;
}

/* ---- elements ---------------------------------------------------------------- */

static void drop_element(struct json_reader *jr)
{
    tally_arena_reset(&jr->tree);
    jr->root = NULL;
    jr->nmap = 0;
    jr->records = jr->next_record = NULL;
    jr->flat_pending = jr->broken_pending = false;
    jr->have_element = false;
    if (jr->text_len) {
        struct tally_input *in = jr->base.in;
        if (jr->text_plain) {
            jr->pos.column += jr->text_len;
            jr->pos.offset += jr->text_len;
        } else {
            advance(&jr->pos, (const char *)in->buf + in->pos, jr->text_len);
        }
        in->pos += jr->text_len;
        jr->text_len = 0;
    }
}

/* Does any field's path (or the records array) start with this key at this depth? */
static bool known_key(const struct tally_schema *s, const char *const *prefix, size_t depth,
                      const char *key, bool in_record)
{
    if (!in_record && depth == 0 && s->json_records && same_name(key, s->json_records))
        return true;
    for (size_t f = 0; f < s->nfields; f++) {
        const struct tally_path *p = &s->fields[f].json;
        if (p->in_record != in_record || p->nsegs <= depth)
            continue;
        size_t d = 0;
        while (d < depth && same_name(p->segs[d], prefix[d]))
            d++;
        if (d == depth && same_name(p->segs[depth], key))
            return true;
    }
    return false;
}

/* Is m's key used by an earlier member of obj (at pointer)? Reports it when it is. */
/*
 * The keys of one object's members seen so far, to find a key used twice:
 * looked for among the earlier members while there are few (a record has a
 * handful), then in a hash set — so that an object with a million keys is
 * checked in linear time, not quadratic. Without memory for the set, the
 * search goes on among the earlier members: slower, still right.
 */
#define KEYSET_SCAN 16

struct keyset {
    const cJSON *obj;
    size_t n;                   /* members seen */
    const char **slot;          /* open addressing, NULL = free; at most half full */
    size_t cap;                 /* a power of two */
    bool nomem;
};

static size_t name_hash(const char *s)
{
    return (size_t)tally_hash128(s, strlen(s), 0).lo;
}

/* Add key; true when it was there already. */
static bool keyset_add(struct keyset *ks, const char *key)
{
    size_t j = name_hash(key) & (ks->cap - 1);
    for (; ks->slot[j]; j = (j + 1) & (ks->cap - 1))
        if (same_name(ks->slot[j], key))
            return true;
    ks->slot[j] = key;
    return false;
}

/* Room for one more key in the set (made from the earlier members the first time). */
static bool keyset_room(struct keyset *ks)
{
    if (ks->nomem)
        return false;
    if (ks->slot && (ks->n + 1) * 2 <= ks->cap)
        return true;
    size_t cap = ks->cap ? ks->cap * 2 : 4 * KEYSET_SCAN;
    const char **old = ks->slot;
    size_t old_cap = ks->cap;
    if (!(ks->slot = calloc(cap, sizeof *ks->slot))) {
        ks->slot = old;
        ks->nomem = true;
        return false;
    }
    ks->cap = cap;
    if (old) {
        for (size_t i = 0; i < old_cap; i++)
            if (old[i])
                keyset_add(ks, old[i]);
        free(old);
    } else {
        const cJSON *e = ks->obj->child;
        for (size_t i = 0; i < ks->n; i++, e = e->next)
            keyset_add(ks, e->string);
    }
    return true;
}

/* Is m's key (m: the next member of ks->obj) used by an earlier member? */
static bool keyset_repeat(struct keyset *ks, const cJSON *m)
{
    bool repeat = false;
    if (ks->n >= KEYSET_SCAN && keyset_room(ks)) {
        repeat = keyset_add(ks, m->string);
    } else {
        for (const cJSON *e = ks->obj->child; e != m && !repeat; e = e->next)
            repeat = same_name(e->string, m->string);
    }
    ks->n++;
    return repeat;
}

/* Is m's key used by an earlier member of the object (at pointer)? Reports it when it is. */
static bool repeated_key(struct json_reader *jr, struct keyset *ks, const cJSON *m,
                         const char *pointer)
{
    if (!keyset_repeat(ks, m))
        return false;
    const struct node_pos *np = find_pos(jr, m);
    char ptr[512];
    member_pointer(ptr, sizeof ptr, pointer, m->string);
    diag(jr, np ? &np->key : NULL, ptr, TALLY_SEV_ERROR, "json-shape",
         "key \"%s\" appears twice in the same object", m->string);
    return true;
}

/* Warn about members of obj that no field path names, and error on repeated keys. */
static void check_keys(struct json_reader *jr, const cJSON *obj, const char **prefix,
                       size_t depth, bool in_record, const char *pointer)
{
    const struct tally_schema *s = jr->base.cfg.schema;
    struct keyset ks = {.obj = obj};
    for (const cJSON *m = obj->child; m; m = m->next) {
        char ptr[512];
        repeated_key(jr, &ks, m, pointer);
        if (depth < 8 && known_key(s, prefix, depth, m->string, in_record)) {
            if (json_is(m, cJSON_Object)) {
                prefix[depth] = m->string;
                member_pointer(ptr, sizeof ptr, pointer, m->string);
                check_keys(jr, m, prefix, depth + 1, in_record, ptr);
            }
            continue;
        }
        const struct node_pos *np = find_pos(jr, m);
        member_pointer(ptr, sizeof ptr, pointer, m->string);
        diag(jr, np ? &np->key : NULL, ptr, TALLY_SEV_WARNING, "json-shape",
             "unknown key \"%s\" is ignored", m->string);
    }
    free(ks.slot);
}

static void check_flat_keys(struct json_reader *jr, const cJSON *obj)
{
    const struct tally_schema *s = jr->base.cfg.schema;
    struct keyset ks = {.obj = obj};
    for (const cJSON *m = obj->child; m; m = m->next) {
        if (repeated_key(jr, &ks, m, jr->prefix) ||
            tally_schema_match_column(s, m->string, strlen(m->string)) >= 0)
            continue;
        const struct node_pos *np = find_pos(jr, m);
        char ptr[512];
        member_pointer(ptr, sizeof ptr, jr->prefix, m->string);
        diag(jr, np ? &np->key : NULL, ptr, TALLY_SEV_WARNING, "json-shape",
             "unknown key \"%s\" is ignored", m->string);
    }
    free(ks.slot);
}

/* A cJSON parse failed at offset `at` of the element text. */
static void syntax_error(struct json_reader *jr, size_t at)
{
    struct tally_loc loc = jr->text_loc;
    advance(&loc, jr->text, at < jr->text_len ? at : jr->text_len);
    char near[16] = "end of input";
    if (at < jr->text_len) {
        unsigned char c = (unsigned char)jr->text[at];
        if (c >= 0x20 && c < 0x7F)
            snprintf(near, sizeof near, "\"%c\"", c);
        else
            snprintf(near, sizeof near, "byte 0x%02X", c);
    }
    diag(jr, &loc, jr->prefix[0] ? jr->prefix : NULL, TALLY_SEV_ERROR, "json-syntax",
         "invalid JSON at %s", near);
}

/*
 * cJSON's allocator hooks (process-wide: cJSON has no other kind), installed
 * by open_common. While a reader parses an element, cjson_arena is its tree
 * arena: the element's nodes and strings are bump-allocated there, freeing is
 * a no-op, and the whole tree goes at once when the element is dropped. At
 * any other time (the schema loader, say) they are plain malloc and free.
 *
 * cJSON returns NULL for a syntax error and for a failed allocation alike;
 * the hook notes the second, so that running out of memory is TALLY_ENOMEM,
 * not a `json-syntax` error in a valid file.
 */
static struct tally_arena *cjson_arena;
static bool cjson_nomem;

static void *cjson_malloc(size_t size)
{
    void *p = cjson_arena ? tally_arena_alloc(cjson_arena, size) : malloc(size);
    if (!p)
        cjson_nomem = true;
    return p;
}

static void cjson_free(void *p)
{
    if (!cjson_arena)
        free(p);
}

static cJSON *parse_in_arena(struct tally_arena *arena, const char *text, size_t len,
                             const char **end)
{
    cjson_nomem = false;
    cjson_arena = arena;
    cJSON *root = cJSON_ParseWithLengthOpts(text, len, end, false);
    cjson_arena = NULL;
    return root;
}

/*
 * Parse the element of len bytes at in->buf[in->pos] and set up its records.
 * Problems become diagnostics and, when no record can be read from it, one
 * rejected record so the element is still counted.
 */
static int take_element(struct json_reader *jr)
{
    const struct tally_schema *s = jr->base.cfg.schema;
    size_t len = jr->text_len;
    const char *end = NULL;
    jr->root = parse_in_arena(&jr->tree, jr->text, len, &end);
    if (!jr->root && cjson_nomem)
        return TALLY_ENOMEM;
    if (!jr->root) {
        syntax_error(jr, end && end >= jr->text ? (size_t)(end - jr->text) : 0);
        jr->broken_pending = true;
        jr->broken_code = "json-syntax";
        return TALLY_OK;
    }
    struct walker w = {.text = jr->text, .plain = jr->text_plain, .len = len, .loc = jr->text_loc,
                       .map = jr->map, .cap = jr->map_cap};
    int rc = walk(&w, jr->root, NULL);
    jr->map = w.map;
    jr->map_cap = w.cap;
    if (rc != TALLY_OK)
        return TALLY_ENOMEM;
    /* cJSON allocates nodes in the order walk visits them, so in an arena
     * block the map is sorted already. */
    size_t k = 1;
    while (k < w.n && w.map[k - 1].node < w.map[k].node)
        k++;
    if (k < w.n)
        qsort(w.map, w.n, sizeof *w.map, by_node);
    jr->nmap = w.n;

    if (!json_is(jr->root, cJSON_Object)) {
        diag(jr, &jr->text_loc, jr->prefix[0] ? jr->prefix : "", TALLY_SEV_ERROR, "json-shape",
             "expected a submission object or a flat record object, found %s",
             json_is(jr->root, cJSON_Array) ? "an array" : "a scalar");
        jr->broken_pending = true;
        jr->broken_code = "json-shape";
        return TALLY_OK;
    }
    const cJSON *records = s->json_records
                               ? cJSON_GetObjectItemCaseSensitive(jr->root, s->json_records)
                               : NULL;
    if (!records) {
        check_flat_keys(jr, jr->root);
        jr->flat_pending = true;
        return TALLY_OK;
    }
    const char *prefix[8];
    check_keys(jr, jr->root, prefix, 0, false, jr->prefix);
    const struct node_pos *np = find_pos(jr, records);
    char ptr[64];
    snprintf(ptr, sizeof ptr, "%s/%s", jr->prefix, s->json_records);
    if (!json_is(records, cJSON_Array) || !records->child) {
        diag(jr, np ? &np->loc : &jr->text_loc, ptr, TALLY_SEV_ERROR, "json-shape",
             "\"%s\" must be a non-empty array of %s objects", s->json_records,
             s->json_records);
        jr->broken_pending = true;
        jr->broken_code = "json-shape";
        return TALLY_OK;
    }
    jr->records = records;
    jr->next_record = records->child;
    jr->record_index = 0;
    return TALLY_OK;
}

/* ---- records ------------------------------------------------------------------ */

/* Follow a path's segments from obj; NULL when a step is missing. A step
 * through a non-object is reported once (json-shape) and also gives NULL. */
static const cJSON *follow(struct json_reader *jr, const cJSON *obj, const struct tally_path *p,
                           const char *base, char *ptr, size_t ptrsize, size_t *ptr_len)
{
    size_t o = append(ptr, ptrsize, 0, base);
    for (size_t i = 0; i < p->nsegs; i++) {
        if (!json_is(obj, cJSON_Object)) {
            if (obj && i > 0) {
                const struct node_pos *np = find_pos(jr, obj);
                diag(jr, np ? &np->loc : NULL, ptr, TALLY_SEV_ERROR, "json-shape",
                     "expected an object at %s", ptr);
            }
            return NULL;
        }
        obj = member_named(obj, p->segs[i]);
        o = append(ptr, ptrsize, append(ptr, ptrsize, o, "/"), p->segs[i]);
        if (!obj)
            return NULL;
    }
    *ptr_len = o;
    return obj;
}

static const char *json_kind(const cJSON *v)
{
    if (cJSON_IsBool(v))
        return json_is(v, cJSON_True) ? "true" : "false";
    if (json_is(v, cJSON_Object))
        return "an object";
    if (json_is(v, cJSON_Array))
        return "an array";
    if (json_is(v, cJSON_Number))
        return "a number";
    return "a string";
}

/* Does the string token (with its quotes) hold the escape \u0000? cJSON would
 * silently cut the string there. */
static bool has_nul_escape(const char *s, size_t n)
{
    for (size_t i = 0; i + 1 < n; i++) {
        if (s[i] != '\\')
            continue;
        if (s[i + 1] == 'u' && i + 5 < n && memcmp(s + i + 2, "0000", 4) == 0)
            return true;
        i++;    /* skip the escaped character */
    }
    return false;
}

/* Are the n bytes at s UTF-8 text without a NUL? */
static bool clean_text(const char *s, size_t n)
{
    const char *why;
    for (size_t i = 0; i < n;) {
        int k = s[i] ? tally_utf8_seq((const unsigned char *)s + i, n - i, &why) : 0;
        if (k <= 0)
            return false;
        i += (size_t)k;
    }
    return true;
}

/* Fill field f of the record from JSON value v found at ptr. */
static int set_field(struct json_reader *jr, size_t f, const cJSON *v, const char *ptr,
                     size_t ptr_len)
{
    const struct tally_field_def *def = &jr->base.cfg.schema->fields[f];
    struct tally_field *fld = &jr->fields[f];
    const struct node_pos *np = find_pos(jr, v);
    if (!(fld->path = tally_arena_strndup(&jr->arena, ptr, ptr_len)))
        return TALLY_ENOMEM;
    if (np)
        fld->loc = np->loc;
    if (json_is(v, cJSON_NULL))
        return TALLY_OK;    /* missing */
    const char *text;
    size_t len;
    if (json_is(v, cJSON_String)) {
        text = v->valuestring;
        /* Without a backslash, the string is its token less the quotes. */
        bool escaped = !np || np->len < 2 || jr->taint ||
                       memchr(jr->text + np->off, '\\', np->len);
        len = escaped ? strlen(text) : np->len - 2;
        if (jr->taint && np && !clean_text(jr->text + np->off, np->len)) {
            /* The bytes the element's `encoding` error is about: reported once, there. */
            fld->bad = true;
        } else if (np && escaped && has_nul_escape(jr->text + np->off, np->len)) {
            tally_emit_at(&jr->base.cfg.sink, &jr->rec, jr->rec.file, &fld->loc, jr->rec.index,
                          def->name, text, TALLY_PATH_POINTER, fld->path, TALLY_SEV_ERROR,
                          TALLY_CODE_ENCODING, "%s holds a NUL character (\\u0000)", def->name);
            fld->bad = true;
        } else if (len > TALLY_MAX_VALUE_BYTES) {
            tally_emit_at(&jr->base.cfg.sink, &jr->rec, jr->rec.file, &fld->loc, jr->rec.index,
                          def->name, NULL, TALLY_PATH_POINTER, fld->path, TALLY_SEV_ERROR,
                          TALLY_CODE_LIMIT, "%s is longer than %d bytes", def->name,
                          TALLY_MAX_VALUE_BYTES);
            fld->bad = true;
            len = 0;
        }
    } else if (np && !json_is(v, cJSON_Object) && !json_is(v, cJSON_Array)) {
        text = jr->text + np->off;  /* a number or literal, as written */
        len = np->len;
    } else {
        text = json_kind(v);
        len = strlen(text);
    }
    if (!(fld->text = tally_arena_strndup(&jr->arena, text, len)))
        return TALLY_ENOMEM;
    fld->len = len;
    bool number_ok = def->type == TALLY_TYPE_INTEGER;
    if (fld->bad)
        return TALLY_OK;
    if (!json_is(v, cJSON_String) && !(json_is(v, cJSON_Number) && number_ok)) {
        fld->bad = true;
        tally_emit_at(&jr->base.cfg.sink, &jr->rec, jr->rec.file, &fld->loc, jr->rec.index,
                      def->name, fld->text, TALLY_PATH_POINTER, fld->path, TALLY_SEV_ERROR,
                      TALLY_CODE_TYPE, "%s must be %s, not %s", def->name,
                      number_ok ? "a whole number or a string holding a count" : "a string",
                      json_kind(v));
    }
    return TALLY_OK;
}

/* Start a record at node (NULL: the element) with JSON Pointer path. Fails
 * only with TALLY_ENOMEM. */
static int start_record(struct json_reader *jr, const cJSON *node, const char *path)
{
    memset(jr->fields, 0, jr->base.cfg.schema->nfields * sizeof *jr->fields);
    tally_arena_reset(&jr->arena);
    struct tally_record *rec = &jr->rec;
    const struct node_pos *np = node ? find_pos(jr, node) : NULL;
    rec->index = ++jr->base.records;
    rec->loc = np ? np->loc : jr->text_loc;
    rec->path = tally_arena_strndup(&jr->arena, path, strlen(path));
    rec->errors = jr->element_errors;    /* the element's problems count on its first record */
    jr->element_errors = 0;
    if (jr->taint)
        rec->errors++;
    rec->warnings = 0;
    rec->inherited = NULL;
    return rec->path ? TALLY_OK : TALLY_ENOMEM;
}

static int make_flat(struct json_reader *jr)
{
    const struct tally_schema *s = jr->base.cfg.schema;
    if (start_record(jr, jr->root, jr->prefix) != TALLY_OK)
        return TALLY_ENOMEM;
    for (const cJSON *m = jr->root->child; m; m = m->next) {
        int f = tally_schema_match_column(s, m->string, strlen(m->string));
        if (f < 0 || jr->fields[f].path)
            continue;   /* unknown (warned), or a repeat (an error already) */
        char ptr[512];
        member_pointer(ptr, sizeof ptr, jr->prefix, m->string);
        if (set_field(jr, (size_t)f, m, ptr, strlen(ptr)) != TALLY_OK)
            return TALLY_ENOMEM;
    }
    return TALLY_OK;
}

static int make_nested(struct json_reader *jr)
{
    const struct tally_schema *s = jr->base.cfg.schema;
    const cJSON *item = jr->next_record;
    char base[128], ptr[512];
    member_pointer(base, sizeof base, jr->prefix, s->json_records);
    append_index(base, sizeof base, strlen(base), jr->record_index);
    jr->next_record = item->next;
    jr->record_index++;
    if (start_record(jr, item, base) != TALLY_OK)
        return TALLY_ENOMEM;
    if (!json_is(item, cJSON_Object)) {
        const struct node_pos *np = find_pos(jr, item);
        tally_emit_at(&jr->base.cfg.sink, &jr->rec, jr->rec.file, np ? &np->loc : NULL,
                      jr->rec.index, NULL, NULL, TALLY_PATH_POINTER, base, TALLY_SEV_ERROR,
                      "json-shape", "each element of \"%s\" must be an object, not %s",
                      s->json_records, json_kind(item));
        jr->rec.inherited = "json-shape";
        return TALLY_OK;
    }
    const char *prefix[8];
    check_keys(jr, item, prefix, 0, true, base);
    jr->rec.errors += jr->element_errors;
    jr->element_errors = 0;
    for (size_t f = 0; f < s->nfields; f++) {
        const struct tally_path *p = &s->fields[f].json;
        if (!p->segs)
            continue;
        size_t ptr_len = 0;
        const cJSON *v = follow(jr, p->in_record ? item : jr->root, p,
                                p->in_record ? base : jr->prefix, ptr, sizeof ptr, &ptr_len);
        if (v && set_field(jr, f, v, ptr, ptr_len) != TALLY_OK)
            return TALLY_ENOMEM;
    }
    jr->rec.errors += jr->element_errors;
    jr->element_errors = 0;
    return TALLY_OK;
}

/* ---- the pull loop ------------------------------------------------------------ */

static void skip_space(struct json_reader *jr)
{
    struct tally_input *in = jr->base.in;
    size_t i = in->pos;
    while (i < in->len && (in->buf[i] == ' ' || in->buf[i] == '\t' || in->buf[i] == '\r' ||
                           in->buf[i] == '\n'))
        i++;
    advance(&jr->pos, (const char *)in->buf + in->pos, i - in->pos);
    in->pos = i;
}

/* Skip whitespace, reading more as needed; false at end of input. */
static int next_byte(struct json_reader *jr, int *c, struct tally_error *err)
{
    struct tally_input *in = jr->base.in;
    for (;;) {
        skip_space(jr);
        if (in->pos < in->len) {
            *c = in->buf[in->pos];
            return TALLY_OK;
        }
        if (in->eof) {
            *c = -1;
            return TALLY_OK;
        }
        int rc = tally_input_fill(in, err);
        if (rc)
            return rc;
    }
}

static void file_error(struct json_reader *jr, const char *code, const char *fmt, ...)
    TALLY_PRINTF(3, 4);

/* A problem that ends the file: nothing after it can be read. */
static void file_error(struct json_reader *jr, const char *code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    tally_emit_atv(&jr->base.cfg.sink, NULL, jr->base.in->name, &jr->pos, 0, NULL, NULL,
                   TALLY_PATH_NONE, NULL, TALLY_SEV_ERROR, code, fmt, ap);
    va_end(ap);
    jr->finished = true;
}

/* Consume one byte that next_byte saw. */
static void take_byte(struct json_reader *jr)
{
    advance(&jr->pos, (const char *)jr->base.in->buf + jr->base.in->pos, 1);
    jr->base.in->pos++;
}

/*
 * Move to the start of the next element: the document's one value, the next
 * element of the top-level array, or the next NDJSON line. Returns TALLY_OK
 * with *c the element's first byte, or with finished set.
 */
static int seek_element(struct json_reader *jr, int *c, struct tally_error *err)
{
    int rc;
    switch (jr->state) {
    case STATE_START:
        if ((rc = tally_input_want(jr->base.in, 3, err)))
            return rc;
        if (jr->base.in->len - jr->base.in->pos >= 3 &&
            memcmp(jr->base.in->buf + jr->base.in->pos, "\xEF\xBB\xBF", 3) == 0) {
            jr->base.in->pos += 3;
            jr->pos.offset += 3;
        }
        if ((rc = next_byte(jr, c, err)))
            return rc;
        if (*c == -1) {
            /* About the whole file, at no line (an empty file has none; a blank
             * one's last line is no place either), as the CSV and XML readers say it. */
            jr->pos = (struct tally_loc){0, 0, 0};
            file_error(jr, TALLY_CODE_FORMAT, "the file is empty: a JSON return needs at least "
                       "one submission");
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
        take_byte(jr);
        jr->top_array = true;
        if ((rc = next_byte(jr, c, err)))
            return rc;
        if (*c == ']') {
            take_byte(jr);
            tally_emit_at(&jr->base.cfg.sink, NULL, jr->base.in->name, &jr->pos, 0, NULL, NULL,
                          TALLY_PATH_NONE, NULL, TALLY_SEV_WARNING, TALLY_CODE_FORMAT,
                          "the file holds an empty array: no records");
            jr->state = STATE_TRAILER;
            return seek_element(jr, c, err);
        }
        jr->state = STATE_ARRAY;
        return TALLY_OK;
    case STATE_ARRAY:
        if ((rc = next_byte(jr, c, err)))
            return rc;
        if (*c == ',') {
            take_byte(jr);
            return next_byte(jr, c, err);
        }
        if (*c == ']') {
            take_byte(jr);
            jr->state = STATE_TRAILER;
            return seek_element(jr, c, err);
        }
        file_error(jr, "json-syntax", *c == -1 ? "the array is not closed before the end of "
                   "the file" : "expected \",\" or \"]\" after an array element");
        return TALLY_OK;
    case STATE_END:
        jr->state = STATE_TRAILER;
        return seek_element(jr, c, err);
    case STATE_TRAILER:
        if ((rc = next_byte(jr, c, err)))
            return rc;
        if (*c != -1)
            file_error(jr, "json-syntax", "unexpected text after the end of the JSON value");
        jr->finished = true;
        return TALLY_OK;
    case STATE_LINES:
        if ((rc = next_byte(jr, c, err)))
            return rc;
        if (*c == -1)
            jr->finished = true;
        return TALLY_OK;
    }
    return TALLY_OK;
}

/* Start the element at in->buf[in->pos] (len bytes, from `start`). */
static void begin_element(struct json_reader *jr, size_t len, struct tally_loc start)
{
    jr->have_element = true;
    jr->text = (const char *)jr->base.in->buf + jr->base.in->pos;
    jr->text_len = len;
    jr->text_loc = start;
    jr->element_errors = 0;
    jr->taint = NULL;
    if (jr->top_array)
        append_index(jr->prefix, sizeof jr->prefix, 0, jr->index);
    else
        jr->prefix[0] = '\0';
    jr->index++;
}

/*
 * Where a value should start there is a byte that is not text at all: a
 * UTF-16 byte order mark, a NUL, or invalid UTF-8. Report it as an `encoding`
 * error that ends the file (SPEC §9), as the CSV and XML readers do, and
 * return true; false when the byte is text (a syntax error, then).
 */
static bool bad_start_byte(struct json_reader *jr, struct tally_error *err)
{
    struct tally_input *in = jr->base.in;
    if (tally_input_want(in, 4, err) != TALLY_OK)
        return false;
    const unsigned char *p = in->buf + in->pos;
    size_t n = in->len - in->pos;
    unsigned long long at = (unsigned long long)jr->pos.offset;
    const char *why = NULL;
    if (at == 0 && n >= 2 && ((p[0] == 0xFF && p[1] == 0xFE) || (p[0] == 0xFE && p[1] == 0xFF)))
        file_error(jr, TALLY_CODE_ENCODING, "the file is UTF-16 (byte order mark 0x%02X%02X at "
                   "byte offset 0); save it as UTF-8", p[0], p[1]);
    else if (n >= 1 && p[0] == 0)
        file_error(jr, TALLY_CODE_ENCODING, "NUL byte at byte offset %llu; the rest of the file "
                   "is not read", at);
    else if (n >= 1 && p[0] >= 0x80 && tally_utf8_seq(p, n, &why) <= 0)
        file_error(jr, TALLY_CODE_ENCODING, "invalid UTF-8 (%s, byte 0x%02X) at byte offset %llu; "
                   "the rest of the file is not read", why ? why : "truncated sequence", p[0], at);
    else
        return false;
    return true;
}

/* Read the next element and set up its records. */
static int read_element(struct json_reader *jr, struct tally_error *err)
{
    struct tally_input *in = jr->base.in;
    int c, rc;
    if ((rc = seek_element(jr, &c, err)) || jr->finished)
        return rc;
    if (c != '{' && c != '[') {
        if (!bad_start_byte(jr, err)) {
            char what[16] = "another byte";
            if (c >= 0x20 && c < 0x7F)
                snprintf(what, sizeof what, "\"%c\"", c);
            file_error(jr, "json-syntax", "expected a JSON object%s, found %s",
                       jr->ndjson ? " on each line" : " or array", what);
        }
        return TALLY_OK;
    }
    size_t len = 0, bad = 0;
    const char *why = NULL;
    struct tally_loc start = jr->pos;
    enum extent e = find_extent(jr, &len, &bad, &why, err);
    switch (e) {
    case EXTENT_FAIL:
        return err->status;
    case EXTENT_EOF:
        jr->pos = start;
        file_error(jr, "json-syntax", "%s starting here is not closed before the end of the file",
                   c == '{' ? "the object" : "the array");
        return TALLY_OK;
    case EXTENT_LINE:
        begin_element(jr, len, start);
        diag(jr, &start, NULL, TALLY_SEV_ERROR, "json-syntax", "%s starting here is not closed "
             "before the end of the line", c == '{' ? "the object" : "the array");
        jr->broken_pending = true;
        jr->broken_code = "json-syntax";
        return TALLY_OK;
    case EXTENT_OK:
        begin_element(jr, len, start);
        return take_element(jr) ? tally_error_set(err, TALLY_ENOMEM, "out of memory") : TALLY_OK;
    case EXTENT_ENCODING: {
        /* Read the element all the same; every record from it carries the error. */
        begin_element(jr, len, start);
        struct tally_loc at = start;
        advance(&at, jr->text, bad);
        const char *ptr = jr->top_array ? jr->prefix : NULL;
        if (why)
            tally_emit_at(&jr->base.cfg.sink, NULL, in->name, &at, 0, NULL, NULL,
                          ptr ? TALLY_PATH_POINTER : TALLY_PATH_NONE, ptr, TALLY_SEV_ERROR,
                          TALLY_CODE_ENCODING, "invalid UTF-8 (%s, byte 0x%02X) at byte offset %llu",
                          why, (unsigned char)jr->text[bad], (unsigned long long)at.offset);
        else
            tally_emit_at(&jr->base.cfg.sink, NULL, in->name, &at, 0, NULL, NULL,
                          ptr ? TALLY_PATH_POINTER : TALLY_PATH_NONE, ptr, TALLY_SEV_ERROR,
                          TALLY_CODE_ENCODING, "NUL byte at byte offset %llu",
                          (unsigned long long)at.offset);
        int r2 = take_element(jr);
        jr->taint = TALLY_CODE_ENCODING;
        return r2 ? tally_error_set(err, TALLY_ENOMEM, "out of memory") : TALLY_OK;
    }
    case EXTENT_DEPTH: {
        begin_element(jr, len, start);
        struct tally_loc at = start;
        advance(&at, jr->text, bad);
        diag(jr, &at, jr->top_array ? jr->prefix : NULL, TALLY_SEV_ERROR, "json-depth",
             "JSON nested deeper than %d levels", TALLY_MAX_JSON_DEPTH);
        jr->broken_pending = true;
        jr->broken_code = "json-depth";
        return TALLY_OK;
    }
    case EXTENT_TOO_BIG:
        begin_element(jr, len, start);
        diag(jr, &start, jr->top_array ? jr->prefix : NULL, TALLY_SEV_ERROR, TALLY_CODE_LIMIT,
             "a submission longer than %u bytes is not read", TALLY_MAX_ELEMENT_BYTES);
        jr->broken_pending = true;
        jr->broken_code = TALLY_CODE_LIMIT;
        return TALLY_OK;
    }
    return TALLY_OK;
}

static int json_next(struct tally_reader *r, struct tally_record **out, struct tally_error *err)
{
    struct json_reader *jr = (struct json_reader *)r;
    for (;;) {
        if (jr->have_element) {
            int rc = TALLY_OK;
            if (jr->broken_pending) {
                jr->broken_pending = false;
                if (start_record(jr, NULL, jr->prefix) != TALLY_OK)
                    return tally_error_set(err, TALLY_ENOMEM, "out of memory");
                jr->rec.inherited = jr->broken_code;
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

static int open_common(struct tally_reader **out, struct tally_input *in,
                       const struct tally_reader_config *cfg, struct tally_error *err, bool ndjson)
{
    static cJSON_Hooks hooks = {cjson_malloc, cjson_free};
    cJSON_InitHooks(&hooks);
    struct json_reader *jr = calloc(1, sizeof *jr);
    if (!jr || !(jr->fields = calloc(cfg->schema->nfields, sizeof *jr->fields))) {
        free(jr);
        return tally_error_set(err, TALLY_ENOMEM, "out of memory");
    }
    jr->base.ops = ndjson ? &tally_ndjson_reader : &tally_json_reader;
    jr->base.in = in;
    jr->base.cfg = *cfg;
    jr->ndjson = ndjson;
    jr->rec.file = in->name;
    jr->rec.nfields = cfg->schema->nfields;
    jr->rec.fields = jr->fields;
    jr->rec.path_kind = TALLY_PATH_POINTER;
    jr->pos = (struct tally_loc){1, 1, 0};
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

static void json_close(struct tally_reader *r)
{
    struct json_reader *jr = (struct json_reader *)r;
    if (!jr)
        return;
    free(jr->map);
    tally_arena_fini(&jr->tree);
    tally_arena_fini(&jr->arena);
    free(jr->fields);
    free(jr);
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
