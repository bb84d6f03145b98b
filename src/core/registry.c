/*
 * registry.c — the UK authority registry (registry.h): load it from CSV,
 * look codes up, and normalise authority names for comparison.
 *
 *     struct tally_error err;
 *     struct tally_registry *reg = tally_registry_load_default(&err);
 *     if (!reg)
 *         return err.status;             // err.message: "line 12: valid_from ..."
 *     const struct tally_authority *a = tally_registry_find(reg, "E10000021", 9);
 *     if (a && !tally_authority_in_force(a, period_end))
 *         ...                            // a->successors name what replaced it
 *     tally_registry_free(reg);
 *
 * Loading. libcsv parses the text in strict mode. Its callbacks do not say
 * where they are, so the loader feeds it one physical line at a time (the
 * line terminator as a call of its own) and counts lines itself. A record
 * can only start at the first byte of a call and only end on a terminator,
 * so the loader knows the line where each record starts: that is the line
 * its errors name (a strict-mode quote error names the line of the bad
 * byte). libcsv's trimming of spaces around unquoted
 * fields is turned off, so fields are exactly the bytes in the file and a
 * line of spaces is a (bad) record rather than a skipped blank line; blank
 * lines are skipped. A UTF-8 byte-order mark at the start is skipped.
 *
 * Each record is checked when it ends, and the first problem stops the load
 * with "line N: ..." in the error. After the last record, every successor
 * code must itself be in the registry, so a caller that follows successors
 * never meets a dangling code.
 *
 * Memory. Every string and successor array lives in one arena owned by the
 * registry; the authorities are one array in file order; a hash table of
 * indexes (open addressing, linear probing) finds a code in O(1).
 *
 * Names. tally_name_normalise reads a name as a sequence of words (runs of
 * ASCII letters and digits and bytes >= 0x80; '&' is the word "and";
 * everything else separates words), drops "council", "city of" and
 * "county of", and "city" or "county" before "council", folds ASCII case
 * and joins the words with one space.
 * The same word reader drives tally_names_match, which compares two names
 * byte by byte without allocating.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/csvtext.h"
#include "core/hash.h"
#include "tally/registry.h"
#include "tally/value.h"

/* The default registry, schemas/authorities.csv, written by tools/embed.sh. */
extern const unsigned char tally_embedded_authorities_csv[];
extern const size_t tally_embedded_authorities_csv_len;
/* Other names of authorities, schemas/aliases.csv (alias,code). */
extern const unsigned char tally_embedded_aliases_csv[];
extern const size_t tally_embedded_aliases_csv_len;

/* ---------------------------------------------------------------- arena */

struct arena_chunk {
    struct arena_chunk *next;   /* the chunk filled before this one */
    size_t size;                /* bytes in data */
    size_t used;                /* bytes of data handed out */
    max_align_t data[];         /* the memory itself, suitably aligned */
};

#define ARENA_CHUNK_BYTES 8192

/*
 * n bytes from the arena whose newest chunk is *head, aligned for any type.
 * NULL when out of memory (the arena is unchanged). Freed only all at once,
 * by arena_free.
 */
static void *arena_alloc(struct arena_chunk **head, size_t n)
{
    const size_t align = _Alignof(max_align_t);
    if (n > SIZE_MAX - align)
        return NULL;
    n = (n + align - 1) / align * align;
    struct arena_chunk *c = *head;
    if (!c || c->size - c->used < n) {
        size_t size = n > ARENA_CHUNK_BYTES ? n : ARENA_CHUNK_BYTES;
        if (size > SIZE_MAX - sizeof *c)
            return NULL;
        c = malloc(sizeof *c + size);
        if (!c)
            return NULL;
        c->next = *head;
        c->size = size;
        c->used = 0;
        *head = c;
    }
    void *p = (char *)c->data + c->used;
    c->used += n;
    return p;
}

static void arena_free(struct arena_chunk *head)
{
    while (head) {
        struct arena_chunk *next = head->next;
        free(head);
        head = next;
    }
}

/* A NUL-terminated copy of len bytes in the arena, or NULL. */
static char *arena_strndup(struct arena_chunk **head, const char *s, size_t len)
{
    if (len == SIZE_MAX)
        return NULL;
    char *p = arena_alloc(head, len + 1);
    if (p) {
        if (len)
            memcpy(p, s, len);
        p[len] = '\0';
    }
    return p;
}

/* ------------------------------------------------------------- registry */

struct alias {
    const char *norm;               /* the alias, normalised like a name (arena) */
    const struct tally_authority *a;/* the authority it names */
};

struct tally_registry {
    struct alias *aliases;          /* schemas/aliases.csv, those whose code is here */
    size_t naliases;
    struct tally_authority *auths;  /* in file order; count of them */
    unsigned *lines;                /* lines[i]: the CSV line auths[i] came from */
    size_t count;                   /* authorities loaded */
    size_t cap;                     /* room in auths and lines */
    struct tally_index index;       /* codes: index into auths + 1 (core/hash.h) */
    struct arena_chunk *arena;      /* every string and successor array */
};

void tally_registry_free(struct tally_registry *reg)
{
    if (!reg)
        return;
    arena_free(reg->arena);
    free(reg->aliases);
    free(reg->auths);
    free(reg->lines);
    tally_index_free(&reg->index);
    free(reg);
}

/* FNV-1a over the code's bytes. */
/* An authority's code sought in the index. */
struct code_key {
    const struct tally_registry *reg;
    const char *code;
    size_t len;
};

static bool same_code(const void *ctx, size_t ref)
{
    const struct code_key *k = ctx;
    const char *c = k->reg->auths[ref - 1].code;
    return strlen(c) == k->len && memcmp(c, k->code, k->len) == 0;
}

static uint64_t code_hash(const void *ctx, size_t ref)
{
    const char *c = ((const struct tally_registry *)ctx)->auths[ref - 1].code;
    return tally_hash_bytes(c, strlen(c));
}

/* The index slot that holds code (len bytes), or the free slot where it would go. */
static size_t find_slot(const struct tally_registry *reg, const char *code, size_t len)
{
    struct code_key k = {reg, code, len};
    return tally_index_slot(&reg->index, tally_hash_bytes(code, len), same_code, &k);
}

/* Make room for one more authority. false when out of memory. */
static bool reserve_one(struct tally_registry *reg)
{
    if (tally_index_reserve(&reg->index, code_hash, reg) != TALLY_OK)
        return false;
    if (reg->count < reg->cap)
        return true;
    size_t cap = reg->cap ? reg->cap * 2 : 256;
    if (cap > SIZE_MAX / sizeof *reg->auths)
        return false;
    struct tally_authority *auths = realloc(reg->auths, cap * sizeof *auths);
    if (!auths)
        return false;
    reg->auths = auths;
    unsigned *lines = realloc(reg->lines, cap * sizeof *lines);
    if (!lines)
        return false;
    reg->lines = lines;
    reg->cap = cap;
    return true;
}

const struct tally_authority *tally_registry_find(const struct tally_registry *reg,
                                                  const char *code, size_t len)
{
    if (!reg || !reg->index.nslots || (!code && len))
        return NULL;
    size_t slot = reg->index.slots[find_slot(reg, code ? code : "", len)];
    return slot ? &reg->auths[slot - 1] : NULL;
}

size_t tally_registry_count(const struct tally_registry *reg)
{
    return reg ? reg->count : 0;
}

const struct tally_authority *tally_registry_at(const struct tally_registry *reg, size_t i)
{
    return reg && i < reg->count ? &reg->auths[i] : NULL;
}

bool tally_authority_in_force(const struct tally_authority *a, int64_t day)
{
    return a && a->valid_from <= day && day <= a->valid_to;
}

/* ---------------------------------------------------------------- names */

/* One word of a name: bytes of the name, or the literal "and" for '&'. */
struct word {
    const char *s;
    size_t len;     /* at least 1 */
};

static bool is_word_byte(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c >= 0x80;
}

static unsigned char fold(unsigned char c)
{
    return c >= 'A' && c <= 'Z' ? (unsigned char)(c - 'A' + 'a') : c;
}

/* Is the word lit (lower case ASCII), ignoring ASCII case? */
static bool word_is(const struct word *w, const char *lit)
{
    size_t n = strlen(lit);
    if (w->len != n)
        return false;
    for (size_t i = 0; i < n; i++)
        if (fold((unsigned char)w->s[i]) != (unsigned char)lit[i])
            return false;
    return true;
}

/* The next word of s at or after *pos; false at the end. */
static bool scan_word(const char *s, size_t len, size_t *pos, struct word *w)
{
    size_t i = *pos;
    while (i < len && s[i] != '&' && !is_word_byte((unsigned char)s[i]))
        i++;
    if (i == len) {
        *pos = i;
        return false;
    }
    if (s[i] == '&') {
        w->s = "and";
        w->len = 3;
        i++;
    } else {
        size_t start = i;
        while (i < len && is_word_byte((unsigned char)s[i]))
            i++;
        w->s = s + start;
        w->len = i - start;
    }
    *pos = i;
    return true;
}

/* Is the word after *pos `lit`? When it is and skip is set, move past it. */
static bool followed_by(const char *s, size_t len, size_t *pos, const char *lit, bool skip)
{
    size_t after = *pos;
    struct word next;
    if (!scan_word(s, len, &after, &next) || !word_is(&next, lit))
        return false;
    if (skip)
        *pos = after;
    return true;
}

/*
 * The next word that normalisation keeps; false at the end. Dropped:
 * "council"; "city", "county" or "borough" followed by "of" (dropped too) or
 * by "council" ("Leeds City Council" is Leeds, "Caerphilly County Borough
 * Council" is Caerphilly); "county" before "borough"; and "London", "Royal" or
 * "Metropolitan" before "Borough of" ("London Borough of Barnet" is Barnet).
 */
static bool next_word(const char *s, size_t len, size_t *pos, struct word *w)
{
    while (scan_word(s, len, pos, w)) {
        if (word_is(w, "council"))
            continue;
        if (word_is(w, "london") || word_is(w, "royal") || word_is(w, "metropolitan")) {
            size_t at = *pos;
            if (followed_by(s, len, &at, "borough", true) && followed_by(s, len, &at, "of", true)) {
                *pos = at;
                continue;
            }
        }
        if (word_is(w, "city") || word_is(w, "county") || word_is(w, "borough")) {
            if (followed_by(s, len, pos, "of", true))
                continue;
            if (followed_by(s, len, pos, "council", false))
                continue;
            if (word_is(w, "county") && followed_by(s, len, pos, "borough", false))
                continue;
        }
        return true;
    }
    return false;
}

/* Reads a name's normalised form one byte at a time. Zero-initialise, then set s and len. */
struct norm_reader {
    const char *s;      /* the name */
    size_t len;         /* bytes in s */
    size_t pos;         /* where the next word is looked for */
    struct word w;      /* the word being read */
    size_t off;         /* bytes of w already read */
    bool started;       /* has a word been read? (the next one is preceded by a space) */
};

/* The next byte of the normalised name, or -1 at its end (and on every later call). */
static int norm_getc(struct norm_reader *r)
{
    if (r->off < r->w.len)
        return fold((unsigned char)r->w.s[r->off++]);
    if (!next_word(r->s, r->len, &r->pos, &r->w)) {
        r->w.len = r->off = 0;
        return -1;
    }
    r->off = 0;
    if (r->started)
        return ' ';
    r->started = true;
    return fold((unsigned char)r->w.s[r->off++]);
}

size_t tally_name_normalise(const char *name, size_t len, char *out, size_t outlen)
{
    struct norm_reader r = {.s = name ? name : "", .len = name ? len : 0};
    size_t n = 0;
    int c;
    while ((c = norm_getc(&r)) >= 0) {
        if (n + 1 < outlen)
            out[n] = (char)c;
        n++;
    }
    if (outlen)
        out[n < outlen ? n : outlen - 1] = '\0';
    return n;
}

bool tally_names_match(const char *a, size_t alen, const char *b, size_t blen)
{
    if (a && b && alen == blen && memcmp(a, b, alen) == 0)
        return true;    /* the usual case: the registry's own spelling */
    struct norm_reader ra = {.s = a ? a : "", .len = a ? alen : 0};
    struct norm_reader rb = {.s = b ? b : "", .len = b ? blen : 0};
    for (;;) {
        int ca = norm_getc(&ra), cb = norm_getc(&rb);
        if (ca != cb)
            return false;
        if (ca < 0)
            return true;
    }
}

/* -------------------------------------------------------------- loading */

enum column {
    COL_CODE,
    COL_NAME,
    COL_COUNTRY,
    COL_REGION,
    COL_FROM,
    COL_TO,
    COL_DFE,
    COL_SUCCESSORS,
    NCOLUMNS
};

static const char *const column_names[NCOLUMNS] = {
    "code", "name", "country_code", "region_code", "valid_from", "valid_to", "dfe_code",
    "successors",
};

/* Everything the row callback shares while one registry loads. */
struct loader {
    struct tally_registry *reg;     /* being built; freed by the caller on failure */
    struct tally_error *err;        /* filled on the first problem */
    bool failed;                    /* a problem was found: ignore the rest */
    unsigned record_line;           /* line where the current record began */
    enum column col_at[NCOLUMNS];   /* from the header: column at each position */
    bool seen[NCOLUMNS];            /* header: columns named so far */
};

/* Record a problem with the current record: "line N: " and the message. */
#if defined(__GNUC__)
__attribute__((format(printf, 2, 3)))
#endif
static void fail(struct loader *ld, const char *fmt, ...)
{
    char msg[sizeof ld->err->message];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    tally_error_set(ld->err, TALLY_EREGISTRY, "line %u: %s", ld->record_line, msg);
    ld->failed = true;
}

static void fail_nomem(struct loader *ld)
{
    tally_error_set(ld->err, TALLY_ENOMEM, "out of memory");
    ld->failed = true;
}

#define EXCERPT_MAX 40

/*
 * Text of a field fit to quote in a message: at most EXCERPT_MAX bytes (cut
 * at a UTF-8 character boundary, then "..."), control bytes shown as '?'.
 */
static const char *excerpt(const char *s, size_t len, char out[EXCERPT_MAX + 4])
{
    size_t n = len;
    if (n > EXCERPT_MAX) {
        n = EXCERPT_MAX;
        while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
            n--;
    }
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        out[i] = c < 0x20 || c == 0x7F ? '?' : (char)c;
    }
    strcpy(out + n, n < len ? "..." : "");
    return out;
}

/* A header field at position i names a column: map it, or fail on an unknown or repeated name. */
static void header_field(struct loader *ld, const char *s, size_t len, size_t i)
{
    char ex[EXCERPT_MAX + 4];
    for (int c = 0; c < NCOLUMNS; c++) {
        if (strlen(column_names[c]) != len || memcmp(column_names[c], s, len) != 0)
            continue;
        if (ld->seen[c]) {
            fail(ld, "duplicate column \"%s\"", column_names[c]);
        } else {
            ld->seen[c] = true;
            ld->col_at[i] = (enum column)c;     /* i < NCOLUMNS: the names are distinct */
        }
        return;
    }
    fail(ld, "unknown column \"%s\"", excerpt(s, len, ex));
}

/* The header has ended: every column must be named. */
static void header_end(struct loader *ld)
{
    for (int c = 0; c < NCOLUMNS; c++) {
        if (!ld->seen[c]) {
            fail(ld, "missing column \"%s\"", column_names[c]);
            return;
        }
    }
}

/*
 * Split the successors field on ';' into a's successors, in the arena.
 * false after failing the load (an empty code, or out of memory).
 */
static bool parse_successors(struct loader *ld, struct tally_authority *a, const char *s,
                             size_t len)
{
    a->nsuccessors = 0;
    a->successors = NULL;
    if (len == 0)
        return true;
    size_t n = 1;
    for (size_t i = 0; i < len; i++)
        n += s[i] == ';';
    a->successors = arena_alloc(&ld->reg->arena, n * sizeof *a->successors);
    if (!a->successors) {
        fail_nomem(ld);
        return false;
    }
    for (size_t start = 0, i = 0; i <= len; i++) {
        if (i < len && s[i] != ';')
            continue;
        if (i == start) {
            char ex[EXCERPT_MAX + 4];
            fail(ld, "successors \"%s\" has an empty code", excerpt(s, len, ex));
            return false;
        }
        char *code = arena_strndup(&ld->reg->arena, s + start, i - start);
        if (!code) {
            fail_nomem(ld);
            return false;
        }
        a->successors[a->nsuccessors++] = code;
        start = i + 1;
    }
    return true;
}

/* A data record has ended: check it and add it to the registry. */
static void record_end(struct loader *ld, const struct tally_csvtext_row *r)
{
    struct tally_registry *reg = ld->reg;
    char ex[EXCERPT_MAX + 4], ex2[EXCERPT_MAX + 4];
    if (r->n != NCOLUMNS) {
        fail(ld, "expected %d fields, found %zu", NCOLUMNS, r->n);
        return;
    }
    const char *f[NCOLUMNS];
    size_t len[NCOLUMNS];
    for (size_t i = 0; i < NCOLUMNS; i++) {
        enum column c = ld->col_at[i];
        f[c] = r->fields[i];
        len[c] = r->lens[i];
    }
    for (int c = 0; c < NCOLUMNS; c++) {
        if (memchr(f[c], '\0', len[c])) {
            fail(ld, "%s contains a NUL byte", column_names[c]);
            return;
        }
    }
    if (len[COL_CODE] == 0) {
        fail(ld, "code is empty");
        return;
    }
    if (len[COL_NAME] == 0) {
        fail(ld, "name is empty");
        return;
    }
    if (!reserve_one(reg)) {
        fail_nomem(ld);
        return;
    }
    size_t slot = find_slot(reg, f[COL_CODE], len[COL_CODE]);
    if (reg->index.slots[slot]) {
        fail(ld, "duplicate code \"%s\" (first on line %u)", excerpt(f[COL_CODE], len[COL_CODE], ex),
             reg->lines[reg->index.slots[slot] - 1]);
        return;
    }

    struct tally_authority a;
    if (!tally_parse_date(f[COL_FROM], len[COL_FROM], &a.valid_from)) {
        fail(ld, "valid_from \"%s\" is not a date", excerpt(f[COL_FROM], len[COL_FROM], ex));
        return;
    }
    if (len[COL_TO] == 0) {
        a.valid_to = TALLY_NO_END_DATE;
    } else if (!tally_parse_date(f[COL_TO], len[COL_TO], &a.valid_to)) {
        fail(ld, "valid_to \"%s\" is not a date", excerpt(f[COL_TO], len[COL_TO], ex));
        return;
    } else if (a.valid_to < a.valid_from) {
        fail(ld, "valid_to \"%s\" is before valid_from \"%s\"",
             excerpt(f[COL_TO], len[COL_TO], ex), excerpt(f[COL_FROM], len[COL_FROM], ex2));
        return;
    }
    if (!parse_successors(ld, &a, f[COL_SUCCESSORS], len[COL_SUCCESSORS]))
        return;

    struct arena_chunk **arena = &reg->arena;
    size_t normlen = tally_name_normalise(f[COL_NAME], len[COL_NAME], NULL, 0);
    a.code = arena_strndup(arena, f[COL_CODE], len[COL_CODE]);
    a.name = arena_strndup(arena, f[COL_NAME], len[COL_NAME]);
    a.country_code = arena_strndup(arena, f[COL_COUNTRY], len[COL_COUNTRY]);
    a.region_code = arena_strndup(arena, f[COL_REGION], len[COL_REGION]);
    a.dfe_code = arena_strndup(arena, f[COL_DFE], len[COL_DFE]);
    a.norm_name = arena_alloc(arena, normlen + 1);
    if (!a.code || !a.name || !a.country_code || !a.region_code || !a.dfe_code || !a.norm_name) {
        fail_nomem(ld);
        return;
    }
    tally_name_normalise(f[COL_NAME], len[COL_NAME], a.norm_name, normlen + 1);

    reg->auths[reg->count] = a;
    reg->lines[reg->count] = ld->record_line;
    reg->count++;
    tally_index_put(&reg->index, slot, reg->count);
}

/* One row of the registry's CSV (core/csvtext.h): the header, then records. */
static int on_row(void *data, const struct tally_csvtext_row *r)
{
    struct loader *ld = data;
    ld->record_line = r->line;
    if (r->index == 0) {
        for (size_t i = 0; i < r->n && !ld->failed; i++)
            header_field(ld, r->fields[i], r->lens[i], i);
        if (!ld->failed)
            header_end(ld);
    } else {
        record_end(ld, r);
    }
    return ld->failed ? ld->err && ld->err->status ? (int)ld->err->status : TALLY_EREGISTRY
                      : TALLY_OK;
}

/* Every successor must be an authority of the registry. */
static void check_successors(struct loader *ld)
{
    const struct tally_registry *reg = ld->reg;
    for (size_t i = 0; i < reg->count; i++) {
        const struct tally_authority *a = &reg->auths[i];
        for (size_t j = 0; j < a->nsuccessors; j++) {
            const char *s = a->successors[j];
            if (!tally_registry_find(reg, s, strlen(s))) {
                char ex[EXCERPT_MAX + 4];
                ld->record_line = reg->lines[i];
                fail(ld, "successor \"%s\" is not in the registry", excerpt(s, strlen(s), ex));
                return;
            }
        }
    }
}

/* One row of aliases.csv: an alias of an authority of this registry is kept. */
static int add_alias(void *ctx, const struct tally_csvtext_row *r)
{
    struct tally_registry *reg = ctx;
    char **fields = r->fields;
    const size_t *lens = r->lens;
    if (r->index == 0)
        return TALLY_OK;    /* the header */
    if (r->n < 2)
        return TALLY_EREGISTRY;
    const struct tally_authority *a = tally_registry_find(reg, fields[1], lens[1]);
    if (!a)
        return TALLY_OK;    /* a registry of its own (--registry) may not hold it */
    struct alias *al = realloc(reg->aliases, (reg->naliases + 1) * sizeof *al);
    if (!al)
        return TALLY_ENOMEM;
    reg->aliases = al;
    size_t nl = tally_name_normalise(fields[0], lens[0], NULL, 0);
    char *norm = arena_alloc(&reg->arena, nl + 1);
    if (!norm)
        return TALLY_ENOMEM;
    tally_name_normalise(fields[0], lens[0], norm, nl + 1);
    al[reg->naliases++] = (struct alias){norm, a};
    return TALLY_OK;
}

struct tally_registry *tally_registry_load(const char *csv, size_t len, struct tally_error *err)
{
    struct tally_registry *reg = calloc(1, sizeof *reg);
    if (!reg) {
        tally_error_set(err, TALLY_ENOMEM, "out of memory");
        return NULL;
    }
    struct loader ld = {.reg = reg, .err = err, .record_line = 1};
    int rc = tally_csvtext_rows(csv, len, on_row, &ld, err);
    if (rc == TALLY_EINVAL && err) {   /* not CSV: "line N: ...", a registry's problem */
        char msg[sizeof err->message];
        memcpy(msg, err->message, sizeof msg);
        tally_error_set(err, TALLY_EREGISTRY, "%s", msg);
    }
    ld.failed = rc != TALLY_OK;

    if (!ld.failed && reg->count == 0) {
        tally_error_set(err, TALLY_EREGISTRY, "registry has no authorities");
        ld.failed = true;
    }
    if (!ld.failed)
        check_successors(&ld);
    if (!ld.failed) {
        rc = tally_csvtext_rows((const char *)tally_embedded_aliases_csv,
                                tally_embedded_aliases_csv_len, add_alias, reg, err);
        if (rc == TALLY_EREGISTRY)
            tally_error_set(err, rc, "aliases.csv: a row needs an alias and a code");
        else if (rc == TALLY_ENOMEM)
            tally_error_set(err, rc, "out of memory");
        ld.failed = rc != TALLY_OK;
    }
    if (ld.failed) {
        tally_registry_free(reg);
        return NULL;
    }
    return reg;
}

struct tally_registry *tally_registry_load_default(struct tally_error *err)
{
    return tally_registry_load((const char *)tally_embedded_authorities_csv,
                               tally_embedded_authorities_csv_len, err);
}

/* ------------------------------------------------------- successors, DfE numbers, names */

#define HEIR_DEPTH 16   /* successors followed at most this deep (the registry has 3) */

static void heirs_of(const struct tally_registry *reg, const struct tally_authority *a,
                     int64_t day, unsigned depth, const struct tally_authority **out, size_t max,
                     size_t *n)
{
    for (size_t k = 0; k < a->nsuccessors && depth < HEIR_DEPTH; k++) {
        const struct tally_authority *s = tally_registry_find(reg, a->successors[k],
                                                              strlen(a->successors[k]));
        if (!s)
            continue;
        if (tally_authority_in_force(s, day)) {
            size_t i = 0;
            while (i < *n && i < max && out[i] != s)
                i++;
            if (i < *n && i < max)
                continue;       /* reached twice (two paths to one successor) */
            if (*n < max)
                out[*n] = s;
            (*n)++;
        } else if (s->valid_to < day) {
            heirs_of(reg, s, day, depth + 1, out, max, n);
        }
    }
}

size_t tally_registry_heirs(const struct tally_registry *reg, const struct tally_authority *a,
                            int64_t day, const struct tally_authority **out, size_t max)
{
    const struct tally_authority *found[64];
    size_t n = 0;
    if (!reg || !a)
        return 0;
    heirs_of(reg, a, day, 0, found, 64, &n);
    for (size_t i = 0; i < n && i < max && i < 64; i++)
        out[i] = found[i];
    return n;
}

size_t tally_registry_find_dfe(const struct tally_registry *reg, const char *text, size_t len,
                               int64_t day, const struct tally_authority **out, size_t max)
{
    size_t n = 0;
    for (size_t i = 0; reg && len && i < reg->count; i++) {
        const struct tally_authority *a = &reg->auths[i];
        if (strlen(a->dfe_code) != len || memcmp(a->dfe_code, text, len) != 0 ||
            (day != INT64_MIN && !tally_authority_in_force(a, day)))
            continue;
        if (n < max)
            out[n] = a;
        n++;
    }
    return n;
}

/* Does the normalised alias equal the name, normalised as it is read? */
static bool alias_is(const char *norm, const char *name, size_t len)
{
    struct norm_reader r = {.s = name, .len = len};
    for (size_t i = 0;; i++) {
        int c = norm_getc(&r);
        if (c < 0)
            return norm[i] == '\0';
        if ((unsigned char)norm[i] != c)
            return false;
    }
}

bool tally_registry_is_alias(const struct tally_registry *reg, const char *name, size_t len,
                             const struct tally_authority *a)
{
    for (size_t i = 0; reg && i < reg->naliases; i++)
        if (reg->aliases[i].a == a && alias_is(reg->aliases[i].norm, name, len))
            return true;
    return false;
}

static void add_found(const struct tally_authority *a, const struct tally_authority **out,
                      size_t max, size_t *n)
{
    for (size_t i = 0; i < *n && i < max; i++)
        if (out[i] == a)
            return;
    if (*n >= max) {
        (*n)++;         /* counted, not kept; may count one twice past max: "more than max" */
        return;
    }
    out[(*n)++] = a;
}

size_t tally_registry_resolve_name(const struct tally_registry *reg, const char *name,
                                   size_t len, int64_t day, const struct tally_authority **out,
                                   size_t max)
{
    size_t n = 0;
    for (size_t i = 0; reg && i < reg->count; i++) {
        const struct tally_authority *a = &reg->auths[i];
        if ((day == INT64_MIN || tally_authority_in_force(a, day)) &&
            tally_names_match(name, len, a->name, strlen(a->name)))
            add_found(a, out, max, &n);
    }
    for (size_t i = 0; reg && i < reg->naliases; i++) {
        const struct tally_authority *a = reg->aliases[i].a;
        if ((day == INT64_MIN || tally_authority_in_force(a, day)) &&
            alias_is(reg->aliases[i].norm, name, len))
            add_found(a, out, max, &n);
    }
    return n;
}
