/*
 * jsongen.c — see jsongen.h.
 */
#define _GNU_SOURCE     /* memfd_create */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "jsongen.h"
#include "tally/reader.h"

/* ---- randomness ------------------------------------------------------------------- */

struct rng {
    uint64_t s;
};

static uint64_t next(struct rng *r)    /* splitmix64 */
{
    uint64_t z = (r->s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static unsigned pick(struct rng *r, unsigned n)
{
    return (unsigned)(next(r) % n);
}

static bool chance(struct rng *r, unsigned percent)
{
    return pick(r, 100) < percent;
}

/* ---- text that grows --------------------------------------------------------------- */

struct text {
    char *s;
    size_t len, cap;
    bool nomem;
};

static void text_put(struct text *t, const void *p, size_t n)
{
    if (t->len + n + 1 > t->cap) {
        size_t cap = t->cap ? t->cap : 64;
        while (cap < t->len + n + 1)
            cap *= 2;
        char *s = realloc(t->s, cap);
        if (!s) {
            t->nomem = true;
            return;
        }
        t->s = s;
        t->cap = cap;
    }
    memcpy(t->s + t->len, p, n);
    t->len += n;
    t->s[t->len] = '\0';
}

static void text_str(struct text *t, const char *s)
{
    text_put(t, s, strlen(s));
}

/* A JSON Pointer reference token: "/" and key with ~ as ~0 and / as ~1. */
static void text_token(struct text *t, const char *key, size_t len)
{
    text_put(t, "/", 1);
    for (size_t i = 0; i < len; i++)
        if (key[i] == '~')
            text_put(t, "~0", 2);
        else if (key[i] == '/')
            text_put(t, "~1", 2);
        else
            text_put(t, key + i, 1);
}

static char *dup_n(const char *s, size_t n)
{
    char *p = malloc(n + 1);
    if (p) {
        memcpy(p, s, n);
        p[n] = '\0';
    }
    return p;
}

/* ---- the output, with the generator's own count of lines and columns ---------------- */

struct out {
    unsigned char *b, *ws;
    size_t len, cap;
    uint32_t line, col;         /* of the next byte */
    bool after_cr;
    bool nomem;
};

static void out_put(struct out *o, const void *p, size_t n, bool ws)
{
    if (o->len + n + 1 > o->cap) {
        size_t cap = o->cap ? o->cap * 2 : 4096;
        while (cap < o->len + n + 1)
            cap *= 2;
        unsigned char *b = realloc(o->b, cap), *w = b ? realloc(o->ws, cap) : NULL;
        if (b)
            o->b = b;
        if (!b || !w) {
            o->nomem = true;
            return;
        }
        o->ws = w;
        o->cap = cap;
    }
    const unsigned char *c = p;
    for (size_t i = 0; i < n; i++) {
        o->b[o->len] = c[i];
        o->ws[o->len++] = ws;
        if (c[i] == '\n') {
            if (!o->after_cr)
                o->line++;
            o->col = 1;
            o->after_cr = false;
        } else if (c[i] == '\r') {
            o->line++;
            o->col = 1;
            o->after_cr = true;
        } else {
            if ((c[i] & 0xC0) != 0x80)
                o->col++;
            o->after_cr = false;
        }
    }
}

static void out_str(struct out *o, const char *s)
{
    out_put(o, s, strlen(s), false);
}

/* ---- the shape, from the schema's JSON paths ---------------------------------------- */

#define MAX_KIDS 32

struct tnode {
    const char *name;
    int field;                  /* a leaf: the field; else -1 */
    bool records;               /* the records array */
    struct tnode *kids[MAX_KIDS];
    size_t nkids;
};

static struct tnode *tnode_new(const char *name)
{
    struct tnode *t = calloc(1, sizeof *t);
    if (t) {
        t->name = name;
        t->field = -1;
    }
    return t;
}

static void tnode_free(struct tnode *t)
{
    if (!t)
        return;
    for (size_t i = 0; i < t->nkids; i++)
        tnode_free(t->kids[i]);
    free(t);
}

/* Add the path segs[0..n) under t, ending in field (-1: the records array). */
static int tnode_add(struct tnode *t, char *const *segs, size_t n, int field)
{
    for (size_t i = 0; i < n; i++) {
        struct tnode *k = NULL;
        for (size_t j = 0; j < t->nkids && !k; j++)
            if (strcmp(t->kids[j]->name, segs[i]) == 0)
                k = t->kids[j];
        if (!k) {
            if (t->nkids == MAX_KIDS || !(k = tnode_new(segs[i])))
                return -1;
            t->kids[t->nkids++] = k;
        }
        t = k;
    }
    if (field < 0)
        t->records = true;
    else
        t->field = field;
    return 0;
}

/* ---- the generator ------------------------------------------------------------------ */

struct gen {
    struct rng r;
    struct out o;
    const struct tally_schema *s;
    bool ndjson;
    unsigned uniq;              /* for unknown keys that never repeat */
    struct tnode *root, *rec;   /* the element's shape, a record's shape */
    struct jg_doc *d;
    bool nomem;
};

/* Random legal white space (no LF inside an NDJSON line). */
static void space(struct gen *g)
{
    static const char *const json_ws[] = {"", "", "", "", " ", "\t", "\n", "\r\n  ", "\r\t", "  \n\t"};
    static const char *const line_ws[] = {"", "", "", "", " ", "\t", "  ", "\r ", " \t "};
    const char *w = g->ndjson ? line_ws[pick(&g->r, 9)] : json_ws[pick(&g->r, 10)];
    out_put(&g->o, w, strlen(w), true);
}

/* UTF-8 of code point cp into p; returns its length. */
static size_t utf8(uint32_t cp, char *p)
{
    if (cp < 0x80) {
        p[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        p[0] = (char)(0xC0 | cp >> 6);
        p[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        p[0] = (char)(0xE0 | cp >> 12);
        p[1] = (char)(0x80 | (cp >> 6 & 0x3F));
        p[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    p[0] = (char)(0xF0 | cp >> 18);
    p[1] = (char)(0x80 | (cp >> 12 & 0x3F));
    p[2] = (char)(0x80 | (cp >> 6 & 0x3F));
    p[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

/* The code point at s (valid UTF-8), its length in *n. */
static uint32_t decode(const unsigned char *s, size_t *n)
{
    if (s[0] < 0x80) {
        *n = 1;
        return s[0];
    }
    if (s[0] < 0xE0) {
        *n = 2;
        return (uint32_t)(s[0] & 0x1F) << 6 | (s[1] & 0x3F);
    }
    if (s[0] < 0xF0) {
        *n = 3;
        return (uint32_t)(s[0] & 0x0F) << 12 | (uint32_t)(s[1] & 0x3F) << 6 | (s[2] & 0x3F);
    }
    *n = 4;
    return (uint32_t)(s[0] & 0x07) << 18 | (uint32_t)(s[1] & 0x3F) << 12 |
           (uint32_t)(s[2] & 0x3F) << 6 | (s[3] & 0x3F);
}

/* Random text of up to 12 characters of every kind JSON strings hold (not NUL,
 * which tally refuses to carry, and no surrogate, which is not a character). */
static void gen_text(struct gen *g, struct text *t)
{
    static const uint32_t special[] = {'"', '\\', '/', '\n', '\t', '\r', 0x01, 0x1F, 0x08, 0x0C,
                                       0x7F, '~'};
    static const uint32_t bmp[] = {0xE9, 0xFC, 0xF4, 0x20AC, 0x2028, 0x2029, 0xFEFF, 0xFFFD,
                                   0xFFFF, 0xE000, 0xA0, 0x800, 0x7FF, 0xD7FF};
    static const uint32_t astral[] = {0x1F600, 0x10000, 0x10FFFF, 0x1D11E, 0x1F1EC};
    static const char plain[] = "abcdefghijklmnopqrstuvwxyz0123456789 -_.,'";
    unsigned n = pick(&g->r, 13);
    for (unsigned i = 0; i < n; i++) {
        unsigned roll = pick(&g->r, 100);
        uint32_t cp = roll < 60   ? (uint32_t)plain[pick(&g->r, sizeof plain - 1)]
                      : roll < 75 ? special[pick(&g->r, sizeof special / sizeof *special)]
                      : roll < 90 ? bmp[pick(&g->r, sizeof bmp / sizeof *bmp)]
                                  : astral[pick(&g->r, sizeof astral / sizeof *astral)];
        char u[4];
        text_put(t, u, utf8(cp, u));
    }
}

/* Write text as a JSON string, each character raw or escaped at random. */
static void put_jstring(struct gen *g, const char *text, size_t len)
{
    static const char hexl[] = "0123456789abcdef", hexu[] = "0123456789ABCDEF";
    out_str(&g->o, "\"");
    for (size_t i = 0; i < len;) {
        size_t n;
        uint32_t cp = decode((const unsigned char *)text + i, &n);
        const char *shortesc = cp == '"' ? "\\\"" : cp == '\\' ? "\\\\" : cp == '/' ? "\\/"
                               : cp == '\b' ? "\\b" : cp == '\f' ? "\\f" : cp == '\n' ? "\\n"
                               : cp == '\r' ? "\\r" : cp == '\t' ? "\\t" : NULL;
        bool must = cp < 0x20 || cp == '"' || cp == '\\';
        unsigned how = must ? 1 + pick(&g->r, 2) : chance(&g->r, 15) ? 1 + pick(&g->r, 2) : 0;
        if (how == 2 && !shortesc)
            how = 1;
        if (how == 0) {
            out_put(&g->o, text + i, n, false);
        } else if (how == 2) {
            out_str(&g->o, shortesc);
        } else {
            const char *hex = pick(&g->r, 2) ? hexl : hexu;
            uint32_t units[2] = {cp, 0};
            int nu = 1;
            if (cp >= 0x10000) {
                units[0] = 0xD800 + ((cp - 0x10000) >> 10);
                units[1] = 0xDC00 + ((cp - 0x10000) & 0x3FF);
                nu = 2;
            }
            for (int u = 0; u < nu; u++) {
                char e[7] = {'\\', 'u', hex[units[u] >> 12 & 15], hex[units[u] >> 8 & 15],
                             hex[units[u] >> 4 & 15], hex[units[u] & 15], 0};
                out_str(&g->o, e);
            }
        }
        i += n;
    }
    out_str(&g->o, "\"");
}

/* A random number token by RFC 8259's grammar. */
static void gen_number(struct gen *g, struct text *t)
{
    if (chance(&g->r, 20))
        text_str(t, "-");
    if (chance(&g->r, 20)) {
        text_str(t, "0");
    } else {
        char d = (char)('1' + pick(&g->r, 9));
        text_put(t, &d, 1);
        for (unsigned n = pick(&g->r, 6); n; n--) {
            d = (char)('0' + pick(&g->r, 10));
            text_put(t, &d, 1);
        }
    }
    if (chance(&g->r, 15)) {
        text_str(t, ".");
        for (unsigned n = 1 + pick(&g->r, 4); n; n--) {
            char d = (char)('0' + pick(&g->r, 10));
            text_put(t, &d, 1);
        }
    }
    if (chance(&g->r, 10)) {
        text_str(t, pick(&g->r, 2) ? "e" : "E");
        if (chance(&g->r, 60))
            text_str(t, pick(&g->r, 2) ? "+" : "-");
        for (unsigned n = 1 + pick(&g->r, 3); n; n--) {
            char d = (char)('0' + pick(&g->r, 10));
            text_put(t, &d, 1);
        }
    }
}

/* Any JSON value, for an unknown key (nothing in it is read). */
static void put_any(struct gen *g, int depth)
{
    unsigned roll = pick(&g->r, depth < 3 ? 8 : 5);
    struct text t = {0};
    switch (roll) {
    case 0: case 1:
        gen_text(g, &t);
        put_jstring(g, t.s ? t.s : "", t.len);
        break;
    case 2:
        gen_number(g, &t);
        out_str(&g->o, t.s);
        break;
    case 3:
        out_str(&g->o, "true");
        break;
    case 4:
        out_str(&g->o, pick(&g->r, 2) ? "false" : "null");
        break;
    case 5: case 6: {
        out_str(&g->o, "[");
        unsigned n = pick(&g->r, 4);
        for (unsigned i = 0; i < n; i++) {
            space(g);
            put_any(g, depth + 1);
            space(g);
            if (i + 1 < n)
                out_str(&g->o, ",");
        }
        if (!n)
            space(g);
        out_str(&g->o, "]");
        break;
    }
    default: {
        out_str(&g->o, "{");
        unsigned n = pick(&g->r, 4);
        for (unsigned i = 0; i < n; i++) {
            char key[32];
            snprintf(key, sizeof key, "k%u", i);
            space(g);
            put_jstring(g, key, strlen(key));
            space(g);
            out_str(&g->o, ":");
            space(g);
            put_any(g, depth + 1);
            space(g);
            if (i + 1 < n)
                out_str(&g->o, ",");
        }
        if (!n)
            space(g);
        out_str(&g->o, "}");
        break;
    }
    }
    free(t.s);
}

static void add_warning(struct gen *g, const char *pointer, uint32_t line, uint32_t col)
{
    struct jg_doc *d = g->d;
    struct jg_warning *w = realloc(d->warns, (d->nwarns + 1) * sizeof *w);
    char *p = strdup(pointer);
    if (!w || !p) {
        free(p);
        if (w)
            d->warns = w;
        g->nomem = true;
        return;
    }
    d->warns = w;
    w[d->nwarns++] = (struct jg_warning){p, line, col};
}

/* An unknown member (no field's path names its key) of the object at ptr. */
static void put_unknown(struct gen *g, const char *ptr)
{
    static const char *const tails[] = {"", "", "", "~", "/", "~1", "\xC3\xA9", " x", "\xF0\x9F\x98\x80"};
    char key[64];
    snprintf(key, sizeof key, "x%u%s", g->uniq++, tails[pick(&g->r, 9)]);
    struct text p = {0};
    text_str(&p, ptr);
    text_token(&p, key, strlen(key));
    add_warning(g, p.s ? p.s : "", g->o.line, g->o.col);
    free(p.s);
    put_jstring(g, key, strlen(key));
    space(g);
    out_str(&g->o, ":");
    space(g);
    put_any(g, 0);
}

/* The value of field f at pointer path: its expected reading goes into v. */
static void put_value(struct gen *g, int f, struct jg_value *v, const char *path)
{
    struct text t = {0};
    bool integer = g->s->fields[f].type == TALLY_TYPE_INTEGER;
    v->line = g->o.line;
    v->column = g->o.col;
    v->path = strdup(path);
    unsigned roll = pick(&g->r, 100);
    if (roll < 8) {
        out_str(&g->o, "null");
        v->kind = JG_NULL;
    } else if (roll < 11) {
        const char *b = pick(&g->r, 2) ? "true" : "false";
        out_str(&g->o, b);
        text_str(&t, b);
    } else if (roll < 13) {
        bool obj = pick(&g->r, 2);
        out_str(&g->o, obj ? "{" : "[");
        space(g);
        out_str(&g->o, obj ? "}" : "]");
        text_str(&t, obj ? "an object" : "an array");
    } else if (integer && roll < 60) {
        gen_number(g, &t);
        out_str(&g->o, t.s);
    } else {
        gen_text(g, &t);
        put_jstring(g, t.s ? t.s : "", t.len);
    }
    if (v->kind != JG_NULL) {
        v->kind = JG_TEXT;
        v->text = t.s ? t.s : strdup("");
        v->len = t.len;
    } else {
        free(t.s);
    }
    if (!v->path || (v->kind == JG_TEXT && !v->text) || t.nomem)
        g->nomem = true;
}

/* Shuffle n ints. */
static void shuffle(struct gen *g, int *a, size_t n)
{
    for (size_t i = n; i > 1; i--) {
        size_t j = pick(&g->r, (unsigned)i);
        int x = a[i - 1];
        a[i - 1] = a[j];
        a[j] = x;
    }
}

struct element {
    struct jg_value *rootv;     /* the submission's fields outside the records */
    struct jg_value **recv;     /* each record's own fields */
    struct jg_record *recs;     /* where each record is */
    size_t nrecs;
    const char *prefix;
    bool flat;                  /* a flat record: all its fields are in recv[0] */
};

static void put_records(struct gen *g, struct element *e, const char *ptr);

/*
 * The object for shape t at pointer ptr: its known members (a field's
 * value, an object further down a path, the records array), some left out,
 * some unknown ones, in random order. vals: where the fields' readings go.
 */
static void put_object(struct gen *g, const struct tnode *t, const char *ptr,
                       struct jg_value *vals, struct element *e)
{
    int order[MAX_KIDS + 4];
    size_t n = 0;
    for (size_t i = 0; i < t->nkids; i++)
        if (t->kids[i]->records || t->kids[i]->nkids || !chance(&g->r, 10))
            order[n++] = (int)i;
    for (unsigned u = pick(&g->r, 100) < 70 ? 0 : 1 + pick(&g->r, 2); u; u--)
        order[n++] = -1;
    shuffle(g, order, n);
    out_str(&g->o, "{");
    if (!n)
        space(g);
    for (size_t i = 0; i < n; i++) {
        space(g);
        if (order[i] < 0) {
            put_unknown(g, ptr);
        } else {
            const struct tnode *k = t->kids[order[i]];
            struct text p = {0};
            text_str(&p, ptr);
            text_token(&p, k->name, strlen(k->name));
            put_jstring(g, k->name, strlen(k->name));
            space(g);
            out_str(&g->o, ":");
            space(g);
            if (k->records)
                put_records(g, e, p.s);
            else if (k->nkids)
                put_object(g, k, p.s, vals, e);
            else
                put_value(g, k->field, &vals[k->field], p.s);
            if (p.nomem)
                g->nomem = true;
            free(p.s);
        }
        space(g);
        if (i + 1 < n)
            out_str(&g->o, ",");
    }
    out_str(&g->o, "}");
}

static void put_records(struct gen *g, struct element *e, const char *ptr)
{
    size_t n = 1 + pick(&g->r, 4), nf = g->s->nfields;
    e->recv = calloc(n, sizeof *e->recv);
    e->recs = calloc(n, sizeof *e->recs);
    if (!e->recv || !e->recs) {
        g->nomem = true;
        return;
    }
    e->nrecs = n;
    out_str(&g->o, "[");
    for (size_t i = 0; i < n; i++) {
        char tok[32];
        struct text p = {0};
        snprintf(tok, sizeof tok, "/%zu", i);
        text_str(&p, ptr);
        text_str(&p, tok);
        space(g);
        if (!(e->recv[i] = calloc(nf, sizeof **e->recv))) {
            g->nomem = true;
            free(p.s);
            return;
        }
        e->recs[i].path = p.s;
        e->recs[i].line = g->o.line;
        e->recs[i].column = g->o.col;
        put_object(g, g->rec, p.s ? p.s : "", e->recv[i], e);
        space(g);
        if (i + 1 < n)
            out_str(&g->o, ",");
    }
    out_str(&g->o, "]");
}

/* Move the finished element's records into the document. */
static void take_records(struct gen *g, struct element *e)
{
    struct jg_doc *d = g->d;
    struct jg_record *r = realloc(d->recs, (d->nrecs + e->nrecs) * sizeof *r);
    if (!r) {
        g->nomem = true;
        return;
    }
    d->recs = r;
    for (size_t i = 0; i < e->nrecs; i++) {
        struct jg_record *rec = &d->recs[d->nrecs++];
        *rec = e->recs[i];
        e->recs[i].path = NULL;
        rec->fields = calloc(d->nfields, sizeof *rec->fields);
        if (!rec->fields) {
            g->nomem = true;
            return;
        }
        for (size_t f = 0; f < d->nfields; f++) {
            bool own = e->flat || g->s->fields[f].json.in_record;
            struct jg_value *src = own ? &e->recv[i][f] : &e->rootv[f];
            rec->fields[f] = *src;
            if (src->text && !(rec->fields[f].text = dup_n(src->text, src->len)))
                g->nomem = true;
            if (src->path && !(rec->fields[f].path = strdup(src->path)))
                g->nomem = true;
        }
    }
}

static void free_values(struct jg_value *v, size_t n)
{
    for (size_t i = 0; v && i < n; i++) {
        free(v[i].text);
        free(v[i].path);
    }
    free(v);
}

/* A flat record object whose keys are the field names (some in capitals, one
 * with a space before it: columns are matched as in CSV headers). */
static void put_flat(struct gen *g, struct element *e)
{
    size_t nf = g->s->nfields;
    int order[256];
    size_t n = 0;
    struct jg_value *vals = calloc(nf, sizeof *vals);
    e->recv = calloc(1, sizeof *e->recv);
    e->recs = calloc(1, sizeof *e->recs);
    if (!vals || !e->recv || !e->recs || nf > 200) {
        free(vals);
        g->nomem = true;
        return;
    }
    e->recv[0] = vals;
    e->nrecs = 1;
    e->recs[0].path = strdup(e->prefix);
    e->recs[0].line = g->o.line;
    e->recs[0].column = g->o.col;
    for (size_t f = 0; f < nf; f++)
        if (!chance(&g->r, 10))
            order[n++] = (int)f;
    for (unsigned u = chance(&g->r, 70) ? 0 : 1 + pick(&g->r, 2); u; u--)
        order[n++] = -1;
    shuffle(g, order, n);
    out_str(&g->o, "{");
    if (!n)
        space(g);
    for (size_t i = 0; i < n; i++) {
        space(g);
        if (order[i] < 0) {
            put_unknown(g, e->prefix);
        } else {
            struct text key = {0}, p = {0};
            unsigned style = pick(&g->r, 20);
            text_str(&key, style == 0 ? " " : "");
            for (const char *c = g->s->fields[order[i]].name; *c; c++) {
                char ch = style == 1 && *c >= 'a' && *c <= 'z' ? (char)(*c - 32) : *c;
                text_put(&key, &ch, 1);
            }
            text_str(&p, e->prefix);
            text_token(&p, key.s, key.len);
            put_jstring(g, key.s, key.len);
            space(g);
            out_str(&g->o, ":");
            space(g);
            put_value(g, order[i], &vals[order[i]], p.s ? p.s : "");
            if (key.nomem || p.nomem)
                g->nomem = true;
            free(key.s);
            free(p.s);
        }
        space(g);
        if (i + 1 < n)
            out_str(&g->o, ",");
    }
    out_str(&g->o, "}");
}

/* One element: a nested submission or a flat record, at pointer prefix. */
static void put_element(struct gen *g, const char *prefix)
{
    size_t nf = g->s->nfields;
    struct element e = {.prefix = prefix};
    if (g->s->json_records && chance(&g->r, 70)) {
        if (!(e.rootv = calloc(nf, sizeof *e.rootv))) {
            g->nomem = true;
            return;
        }
        put_object(g, g->root, prefix, e.rootv, &e);
    } else {
        e.flat = true;
        put_flat(g, &e);
    }
    if (!g->nomem)
        take_records(g, &e);
    free_values(e.rootv, nf);
    for (size_t i = 0; i < e.nrecs; i++) {
        free_values(e.recv ? e.recv[i] : NULL, nf);
        free(e.recs ? e.recs[i].path : NULL);
    }
    free(e.recv);
    free(e.recs);
}

int jg_generate(struct jg_doc *d, const struct tally_schema *s, uint64_t seed)
{
    memset(d, 0, sizeof *d);
    d->nfields = s->nfields;
    struct gen g = {.r = {seed}, .o = {.line = 1, .col = 1}, .s = s, .d = d};
    g.root = tnode_new("");
    g.rec = tnode_new("");
    if (!g.root || !g.rec)
        g.nomem = true;
    if (s->json_records && g.root && tnode_add(g.root, &s->json_records, 1, -1))
        g.nomem = true;
    for (size_t f = 0; f < s->nfields && !g.nomem; f++) {
        const struct tally_path *p = &s->fields[f].json;
        if (p->segs && tnode_add(p->in_record ? g.rec : g.root, p->segs, p->nsegs, (int)f))
            g.nomem = true;
    }
    unsigned form = pick(&g.r, 3);     /* one value, an array of them, NDJSON */
    g.ndjson = d->ndjson = form == 2;
    if (chance(&g.r, 10)) {             /* a byte order mark: dropped, not a column */
        out_put(&g.o, "\xEF\xBB\xBF", 3, false);
        g.o.col = 1;
    }
    unsigned n = 1 + pick(&g.r, 5);
    if (form == 0) {
        space(&g);
        put_element(&g, "");
        space(&g);
    } else if (form == 1) {
        space(&g);
        out_str(&g.o, "[");
        for (unsigned i = 0; i < n && !g.nomem; i++) {
            char prefix[32];
            snprintf(prefix, sizeof prefix, "/%u", i);
            space(&g);
            put_element(&g, prefix);
            space(&g);
            if (i + 1 < n)
                out_str(&g.o, ",");
        }
        out_str(&g.o, "]");
        space(&g);
    } else {
        for (unsigned i = 0; i < n && !g.nomem; i++) {
            while (chance(&g.r, 10)) {  /* blank lines */
                const char *blank = chance(&g.r, 50) ? "\n" : " \r\n";
                out_put(&g.o, blank, strlen(blank), true);
            }
            space(&g);
            put_element(&g, "");
            space(&g);
            if (i + 1 < n || chance(&g.r, 80)) {
                const char *end = chance(&g.r, 80) ? "\n" : "\r\n";
                out_put(&g.o, end, strlen(end), true);
            }
        }
    }
    tnode_free(g.root);
    tnode_free(g.rec);
    d->bytes = g.o.b;
    d->ws = g.o.ws;
    d->len = g.o.len;
    if (g.nomem || g.o.nomem || !d->bytes) {
        jg_doc_free(d);
        return -1;
    }
    return 0;
}

static void free_records(struct jg_record *recs, size_t n, size_t nfields)
{
    for (size_t i = 0; recs && i < n; i++) {
        free_values(recs[i].fields, nfields);
        free(recs[i].path);
    }
    free(recs);
}

static void free_warnings(struct jg_warning *w, size_t n)
{
    for (size_t i = 0; w && i < n; i++)
        free(w[i].pointer);
    free(w);
}

void jg_doc_free(struct jg_doc *d)
{
    free(d->bytes);
    free(d->ws);
    free_records(d->recs, d->nrecs, d->nfields);
    free_warnings(d->warns, d->nwarns);
    memset(d, 0, sizeof *d);
}

/* ---- reading back ------------------------------------------------------------------- */

static bool json_error_code(const char *code)
{
    return !strcmp(code, "json-syntax") || !strcmp(code, "json-shape") ||
           !strcmp(code, "json-depth") || !strcmp(code, "encoding") || !strcmp(code, "limit");
}

static void on_diag(void *ctx, const struct tally_diag *d)
{
    struct jg_result *r = ctx;
    if (d->severity == TALLY_SEV_WARNING && !strcmp(d->code, "json-shape") &&
        !strncmp(d->message, "unknown key", 11)) {
        struct jg_warning *w = realloc(r->warns, (r->nwarns + 1) * sizeof *w);
        if (!w)
            abort();
        r->warns = w;
        w[r->nwarns++] = (struct jg_warning){strdup(d->pointer ? d->pointer : "(none)"), d->line,
                                             d->column};
    } else if (d->severity == TALLY_SEV_ERROR && json_error_code(d->code)) {
        if (!r->errors++)
            snprintf(r->first_error, sizeof r->first_error, "%u:%u %s: %s", d->line, d->column,
                     d->code, d->message);
    }
}

int jg_read(const struct tally_schema *s, bool ndjson, const unsigned char *bytes, size_t len,
            struct jg_result *r)
{
    memset(r, 0, sizeof *r);
    r->nfields = s->nfields;
    int fd = memfd_create("jsongen", 0);
    if (fd < 0) {
        snprintf(r->first_error, sizeof r->first_error, "memfd_create failed");
        return -1;
    }
    for (size_t done = 0; done < len;) {
        ssize_t k = write(fd, bytes + done, len - done);
        if (k <= 0) {
            close(fd);
            snprintf(r->first_error, sizeof r->first_error, "write failed");
            return -1;
        }
        done += (size_t)k;
    }
    char path[64];
    snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    struct tally_error err;
    struct tally_input in;
    const struct tally_reader_ops *ops = tally_reader_find(ndjson ? "ndjson" : "json");
    struct tally_reader_config cfg = {.schema = s, .sink = {on_diag, r}};
    struct tally_reader *rd;
    if (!ops || tally_input_open(&in, path, &err) != TALLY_OK) {
        close(fd);
        snprintf(r->first_error, sizeof r->first_error, "cannot open the input");
        return -1;
    }
    if (ops->open(&rd, &in, &cfg, &err) != TALLY_OK) {
        tally_input_close(&in);
        close(fd);
        snprintf(r->first_error, sizeof r->first_error, "%s", err.message);
        return -1;
    }
    struct tally_record *rec;
    while ((r->status = ops->next(rd, &rec, &err)) == TALLY_RECORD) {
        struct jg_record *recs = realloc(r->recs, (r->nrecs + 1) * sizeof *recs);
        if (!recs)
            abort();
        r->recs = recs;
        struct jg_record *x = &recs[r->nrecs++];
        x->path = rec->path ? strdup(rec->path) : NULL;
        x->line = rec->loc.line;
        x->column = rec->loc.column;
        if (!(x->fields = calloc(s->nfields, sizeof *x->fields)))
            abort();
        for (size_t f = 0; f < s->nfields; f++) {
            const struct tally_field *fld = &rec->fields[f];
            struct jg_value *v = &x->fields[f];
            v->kind = fld->text ? JG_TEXT : fld->path ? JG_NULL : JG_ABSENT;
            v->text = fld->text ? dup_n(fld->text, fld->len) : NULL;
            v->len = fld->len;
            v->path = fld->path ? strdup(fld->path) : NULL;
            v->line = fld->loc.line;
            v->column = fld->loc.column;
        }
    }
    ops->close(rd);
    tally_input_close(&in);
    close(fd);
    if (r->status != TALLY_DONE) {
        snprintf(r->first_error, sizeof r->first_error, "next() failed: %.400s", err.message);
        return -1;
    }
    return 0;
}

void jg_result_free(struct jg_result *r)
{
    free_records(r->recs, r->nrecs, r->nfields);
    free_warnings(r->warns, r->nwarns);
    memset(r, 0, sizeof *r);
}

/* ---- comparing ---------------------------------------------------------------------- */

static int by_place(const void *a, const void *b)
{
    const struct jg_warning *x = a, *y = b;
    if (x->line != y->line)
        return x->line < y->line ? -1 : 1;
    if (x->column != y->column)
        return x->column < y->column ? -1 : 1;
    return strcmp(x->pointer, y->pointer);
}

bool jg_same(const struct jg_doc *d, const struct jg_result *r, bool where, char *why,
             size_t size)
{
    if (r->errors) {
        snprintf(why, size, "an error: %s", r->first_error);
        return false;
    }
    if (r->nrecs != d->nrecs) {
        snprintf(why, size, "%zu records read, %zu written", r->nrecs, d->nrecs);
        return false;
    }
    for (size_t i = 0; i < d->nrecs; i++) {
        const struct jg_record *w = &d->recs[i], *g = &r->recs[i];
        if (where && (strcmp(w->path, g->path ? g->path : "") || w->line != g->line ||
                      w->column != g->column)) {
            snprintf(why, size, "record %zu: at %u:%u %s, written at %u:%u %s", i + 1, g->line,
                     g->column, g->path ? g->path : "(none)", w->line, w->column, w->path);
            return false;
        }
        for (size_t f = 0; f < d->nfields; f++) {
            const struct jg_value *wv = &w->fields[f], *gv = &g->fields[f];
            if (wv->kind != gv->kind ||
                (wv->kind == JG_TEXT && (wv->len != gv->len || memcmp(wv->text, gv->text, wv->len)))) {
                snprintf(why, size, "record %zu field %zu: read %s\"%.*s\", written %s\"%.*s\"",
                         i + 1, f, gv->kind == JG_TEXT ? "" : gv->kind == JG_NULL ? "null " : "absent ",
                         (int)(gv->len > 60 ? 60 : gv->len), gv->text ? gv->text : "",
                         wv->kind == JG_TEXT ? "" : wv->kind == JG_NULL ? "null " : "absent ",
                         (int)(wv->len > 60 ? 60 : wv->len), wv->text ? wv->text : "");
                return false;
            }
            if (where && wv->kind != JG_ABSENT &&
                (wv->line != gv->line || wv->column != gv->column || strcmp(wv->path, gv->path))) {
                snprintf(why, size, "record %zu field %zu: at %u:%u %s, written at %u:%u %s",
                         i + 1, f, gv->line, gv->column, gv->path, wv->line, wv->column, wv->path);
                return false;
            }
        }
    }
    if (!where)
        return true;
    if (r->nwarns != d->nwarns) {
        snprintf(why, size, "%zu unknown-key warnings, %zu unknown keys written", r->nwarns,
                 d->nwarns);
        return false;
    }
    struct jg_warning *a = malloc((d->nwarns + 1) * sizeof *a), *b = malloc((d->nwarns + 1) * sizeof *b);
    if (!a || !b)
        abort();
    if (d->nwarns) {
        memcpy(a, d->warns, d->nwarns * sizeof *a);
        memcpy(b, r->warns, d->nwarns * sizeof *b);
    }
    qsort(a, d->nwarns, sizeof *a, by_place);
    qsort(b, d->nwarns, sizeof *b, by_place);
    bool same = true;
    for (size_t i = 0; i < d->nwarns && same; i++)
        if (by_place(&a[i], &b[i])) {
            snprintf(why, size, "unknown key warned at %u:%u %s, written at %u:%u %s", b[i].line,
                     b[i].column, b[i].pointer, a[i].line, a[i].column, a[i].pointer);
            same = false;
        }
    free(a);
    free(b);
    return same;
}

/* ---- damage -------------------------------------------------------------------------- */

size_t jg_damage(const struct jg_doc *d, uint64_t choice, unsigned char *out, bool *must_error,
                 char *what, size_t size)
{
    /* Control bytes that are not JSON white space, and bytes that are never
     * UTF-8 text on their own. */
    static const unsigned char ctl[] = {0x00, 0x01, 0x02, 0x07, 0x08, 0x0B, 0x0C, 0x0E, 0x1B, 0x1F};
    struct rng r = {choice};
    unsigned kind = pick(&r, 5);
    size_t pos = pick(&r, (unsigned)d->len + 1);
    unsigned char b = 0;
    *must_error = kind <= 2;
    if (kind == 4) {        /* delete white space between tokens */
        size_t nws = 0;
        for (size_t i = 0; i < d->len; i++)
            nws += d->ws[i];
        if (nws) {
            size_t k = pick(&r, (unsigned)nws), i = 0;
            for (;; i++)
                if (d->ws[i] && !k--)
                    break;
            memcpy(out, d->bytes, i);
            memcpy(out + i, d->bytes + i + 1, d->len - i - 1);
            snprintf(what, size, "deleted white space 0x%02X at byte %zu", d->bytes[i], i);
            return d->len - 1;
        }
        kind = 3;
    }
    if (kind == 2) {        /* replace an ASCII byte */
        size_t tries = 0;
        while (pos >= d->len || d->bytes[pos] >= 0x80) {
            pos = pick(&r, (unsigned)d->len);
            if (++tries > 1000 || !d->len) {
                kind = 0;
                pos = 0;
                break;
            }
        }
        if (kind == 2) {
            b = pick(&r, 2) ? ctl[pick(&r, sizeof ctl)] : (unsigned char)(0x80 + pick(&r, 128));
            memcpy(out, d->bytes, d->len);
            snprintf(what, size, "replaced 0x%02X at byte %zu with 0x%02X", out[pos], pos, b);
            out[pos] = b;
            return d->len;
        }
    }
    if (kind == 0)
        b = ctl[pick(&r, sizeof ctl)];
    else if (kind == 1)
        b = (unsigned char)(0x80 + pick(&r, 128));
    else
        b = "\t\n\r"[pick(&r, 3)];
    memcpy(out, d->bytes, pos);
    out[pos] = b;
    memcpy(out + pos + 1, d->bytes + pos, d->len - pos);
    snprintf(what, size, "inserted 0x%02X at byte %zu", b, pos);
    return d->len + 1;
}
