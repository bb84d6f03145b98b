/*
 * settle.c — records that share a primary key, within a file and across
 * files (settle.h): the one implementation that validate and build share.
 *
 * Each record that takes part leaves a 48-byte entry in a dense array, in the
 * order added: 96 bits of a hash of its key, 64 bits of a hash of its other
 * values (all but `submitted`), its submitted time, whether it has errors,
 * its file, record index, line and column, and a link to the next record of
 * its key. A JSON Pointer or XPath is kept as its shape with the digits taken
 * out ("/returns/return[#]/cohort[#]", interned once) and up to two numbers:
 * 12 bytes more. A hash table of 4-byte slots finds each key's first entry.
 *
 * When a record repeats a key, it is linked in after the key's first entry
 * (so a group's links run first, newest, ..., second: reversed at the end),
 * and, the first time, the group is noted with the key's text (the only text
 * kept, and only for keys that repeat). tally_settler_finish takes the groups
 * in the order of their first records and applies the rule of settle.h.
 *
 * Two of a million different keys share 96 bits of hash with odds of about
 * 1 in 10^17, and two different records of one key share 64 bits of values
 * hash with odds of 1 in 10^19: validate and build decide alike either way,
 * since both decide here.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/emit.h"
#include "core/grow.h"
#include "core/hash.h"
#include "tally/settle.h"

#define NO_TIME INT64_MIN
#define MAX_ENTRIES (UINT32_MAX - 1)    /* ids are uint32; UINT32_MAX is NONE */

/* entry.file: the file index, with two flags and the fate above it. */
#define FILE_MASK   0x1FFFFFFFu         /* 2^29 files */
#define HAS_ERRORS  0x80000000u
#define FATE_SHIFT  29
#define FATE_MASK   (3u << FATE_SHIFT)

struct entry {                  /* 48 bytes: 32-bit words, so no padding */
    uint32_t key[3];            /* the key's hash: its low 64 bits, then its top 32 */
    uint32_t values[2];         /* hash of every other field but `submitted` */
    uint32_t submitted[2];      /* seconds since the epoch times 2, plus 1 for a
                                   local time (no offset), or NO_TIME */
    uint32_t link;              /* next record of the key (index + 1), 0: none */
    uint32_t file;              /* file index | HAS_ERRORS | fate << FATE_SHIFT */
    uint32_t record;            /* 1-based record index in its file (saturates) */
    uint32_t line;              /* where the record starts; 0 if unknown */
    uint32_t column;
};

struct path_ref {               /* a record's JSON Pointer or XPath */
    uint32_t shape;             /* index + 1 into shapes; 0: no path */
    uint32_t n[2];              /* the numbers taken out of it, in order */
};

struct shape {
    char *text;                 /* the path with each number replaced by '\1' */
    enum tally_path_kind kind;
    unsigned numbers;           /* how many '\1' (0..2) */
};

struct group {
    uint32_t first;             /* index of the key's first entry */
    uint32_t key_text;          /* offset of the key's text in key_texts */
};

struct tally_settler {
    const struct tally_schema *schema;
    struct tally_diag_sink sink;
    int submitted_field;        /* schema index of `submitted`, or -1 */
    const char **files;         /* borrowed paths */
    size_t nfiles, files_cap;

    struct entry *entries;      /* dense, in the order added */
    size_t n, cap;
    struct path_ref *paths;     /* parallel to entries once any record has a path */
    size_t paths_cap;

    uint32_t *slots;            /* open addressing, 0 = free; see slot_tag() */
    size_t nslots;              /* at most 2^slot_bits */
    unsigned slot_bits;

    struct shape *shapes;       /* interned path shapes */
    size_t nshapes, shapes_cap;
    uint32_t *shape_slots;      /* index + 1 into shapes, 0 = free */
    uint32_t last_shape;        /* the shape of the last path kept (index + 1) */
    size_t nshape_slots;

    struct group *groups;
    size_t ngroups, groups_cap;
    char *key_texts;            /* NUL-terminated texts, end to end */
    size_t key_texts_len, key_texts_cap;

    bool finished;
    bool nomem;                 /* a diagnostic's path could not be rebuilt */
};

const char *tally_fate_name(enum tally_fate fate)
{
    static const char *const names[] = {"accepted", "rejected", "superseded", "duplicate"};
    return fate < TALLY_FATE_COUNT ? names[fate] : "?";
}

static void put_i64(uint32_t w[2], int64_t v)
{
    uint64_t u;
    memcpy(&u, &v, sizeof u);
    w[0] = (uint32_t)u;
    w[1] = (uint32_t)(u >> 32);
}

static int64_t get_i64(const uint32_t w[2])
{
    uint64_t u = (uint64_t)w[1] << 32 | w[0];
    int64_t v;
    memcpy(&v, &u, sizeof v);
    return v;
}

struct tally_settler *tally_settler_new(const struct tally_schema *schema,
                                        struct tally_diag_sink sink, struct tally_error *err)
{
    struct tally_settler *s = calloc(1, sizeof *s);
    if (!s) {
        tally_error_set(err, TALLY_ENOMEM, "out of memory");
        return NULL;
    }
    s->schema = schema;
    s->sink = sink;
    s->submitted_field = schema->role[TALLY_ROLE_SUBMITTED];
    return s;
}

void tally_settler_free(struct tally_settler *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->nshapes; i++)
        free(s->shapes[i].text);
    free(s->shapes);
    free(s->shape_slots);
    free(s->files);
    free(s->entries);
    free(s->paths);
    free(s->slots);
    free(s->groups);
    free(s->key_texts);
    free(s);
}

int tally_settler_add_file(struct tally_settler *s, const char *path, struct tally_error *err)
{
    if (s->nfiles > FILE_MASK ||
        tally_grow((void **)&s->files, &s->files_cap, s->nfiles, sizeof *s->files, 16) != TALLY_OK)
        return tally_error_set(err, TALLY_ENOMEM, "out of memory");
    s->files[s->nfiles++] = path;
    return TALLY_OK;
}

/* ---- hashing a record ---------------------------------------------------- */

/*
 * Hash fields[which[0..n)] (or, with which NULL, every field but skip) as
 * length-prefixed pieces laid end to end, so ("ab","c") and ("a","bc")
 * differ. One pass of the hash over a stack buffer; long records fall back
 * to hashing piece by piece.
 */
static struct tally_hash128 hash_pieces(const struct tally_record *rec, const size_t *which,
                                        size_t n, int skip, uint64_t seed)
{
    unsigned char buf[1024];
    size_t o = 0;
    bool fits = true;
    for (size_t k = 0; k < n && fits; k++) {
        size_t i = which ? which[k] : k, len;
        if ((int)i == skip)
            continue;
        const char *t = tally_field_output(&rec->fields[i], &len);
        uint32_t l32 = (uint32_t)len;
        if (o + sizeof l32 + len > sizeof buf) {
            fits = false;
            break;
        }
        memcpy(buf + o, &l32, sizeof l32);
        if (len)
            memcpy(buf + o + sizeof l32, t, len);
        o += sizeof l32 + len;
    }
    if (fits)
        return tally_hash128(buf, o, seed);
    struct tally_hasher h;
    tally_hasher_init(&h, seed);
    for (size_t k = 0; k < n; k++) {
        size_t i = which ? which[k] : k, len;
        if ((int)i == skip)
            continue;
        const char *t = tally_field_output(&rec->fields[i], &len);
        tally_hasher_add(&h, t ? t : "", len);
    }
    return tally_hasher_finish(&h);
}

/* Can the record say which key it is for? One without errors always can; one
 * with errors only when every field of its key holds a valid value. */
static bool takes_part(const struct tally_schema *sc, const struct tally_record *rec, bool errors)
{
    if (sc->npk == 0)
        return false;
    for (size_t k = 0; errors && k < sc->npk; k++) {
        const struct tally_field *f = &rec->fields[sc->primary_key[k]];
        if (f->error || f->bad || !tally_value_usable(&f->value))
            return false;
    }
    return true;
}

/* ---- the key table --------------------------------------------------------- */

/*
 * A slot holds, in its low slot_bits bits, the index of a key's first entry
 * plus one, and in the bits above, a tag taken from the key's hash. The index
 * fits: there are fewer keys than slots, and slot_bits is the width of
 * nslots. A probe reads an entry only when the tag matches, so a miss rarely
 * leaves the slot array. The table grows by half (not double) so that it
 * stays between 1/2 and 3/4 full; a key's first slot is its hash scaled to
 * nslots (multiply, shift).
 */
static uint32_t slot_tag(const struct entry *e, unsigned bits)
{
    return e->key[2] << bits;
}

static uint32_t slot_index_mask(unsigned bits)
{
    return ((uint32_t)1 << bits) - 1;
}

static size_t home_slot(const struct entry *e, size_t nslots)
{
    return (size_t)(((uint64_t)e->key[0] * nslots) >> 32);
}

/* Room for one more entry, and for one more key in the slots. */
static int grow(struct tally_settler *s)
{
    if (s->n >= MAX_ENTRIES)
        return TALLY_ENOMEM;
    if (s->n == s->cap) {
        size_t cap = s->cap < 1024 ? 1024 : s->cap + s->cap / 4;
        struct entry *e = realloc(s->entries, cap * sizeof *e);
        if (!e)
            return TALLY_ENOMEM;
        s->entries = e;
        s->cap = cap;
    }
    if (s->paths && s->paths_cap < s->cap) {
        struct path_ref *p = realloc(s->paths, s->cap * sizeof *p);
        if (!p)
            return TALLY_ENOMEM;
        s->paths = p;
        s->paths_cap = s->cap;
    }
    if ((s->n + 1) * 4 <= s->nslots * 3)
        return TALLY_OK;
    size_t n = s->nslots ? s->nslots + s->nslots / 2 : 2048;
    unsigned bits = 11;
    while (((size_t)1 << bits) < n)
        bits++;
    if (bits > 31)
        return TALLY_ENOMEM;
    uint32_t *slots = calloc(n, sizeof *slots);
    if (!slots)
        return TALLY_ENOMEM;
    uint32_t mask = slot_index_mask(s->slot_bits);
    for (size_t i = 0; i < s->nslots; i++) {
        if (!s->slots[i])
            continue;
        uint32_t first = (s->slots[i] & mask) - 1;
        size_t j = home_slot(&s->entries[first], n);
        while (slots[j])
            j = j + 1 == n ? 0 : j + 1;
        slots[j] = slot_tag(&s->entries[first], bits) | (first + 1);
    }
    free(s->slots);
    s->slots = slots;
    s->nslots = n;
    s->slot_bits = bits;
    return TALLY_OK;
}

/* ---- paths ---------------------------------------------------------------- */

static uint64_t text_hash(const char *t, size_t len)
{
    return tally_hash128(t, len, 0x7061u).lo;
}

/* The index + 1 of the interned shape (text[0..len), kind), 0 when out of memory. */
static uint32_t intern_shape(struct tally_settler *s, const char *text, size_t len,
                             enum tally_path_kind kind, unsigned numbers)
{
    if ((s->nshapes + 1) * 2 > s->nshape_slots) {
        size_t n = s->nshape_slots ? 2 * s->nshape_slots : 16;
        uint32_t *slots = calloc(n, sizeof *slots);
        if (!slots)
            return 0;
        for (size_t i = 0; i < s->nshapes; i++) {
            size_t j = text_hash(s->shapes[i].text, strlen(s->shapes[i].text)) & (n - 1);
            while (slots[j])
                j = (j + 1) & (n - 1);
            slots[j] = (uint32_t)i + 1;
        }
        free(s->shape_slots);
        s->shape_slots = slots;
        s->nshape_slots = n;
    }
    size_t j = text_hash(text, len) & (s->nshape_slots - 1);
    for (; s->shape_slots[j]; j = (j + 1) & (s->nshape_slots - 1)) {
        const struct shape *sh = &s->shapes[s->shape_slots[j] - 1];
        if (sh->kind == kind && strlen(sh->text) == len && memcmp(sh->text, text, len) == 0)
            return s->shape_slots[j];
    }
    if (s->nshapes >= UINT32_MAX - 1 ||
        tally_grow((void **)&s->shapes, &s->shapes_cap, s->nshapes, sizeof *s->shapes, 8) != TALLY_OK)
        return 0;
    char *copy = malloc(len + 1);
    if (!copy)
        return 0;
    memcpy(copy, text, len);
    copy[len] = '\0';
    s->shapes[s->nshapes] = (struct shape){copy, kind, numbers};
    s->shape_slots[j] = (uint32_t)++s->nshapes;
    return s->shape_slots[j];
}

/*
 * Keep a record's path as its shape and numbers: each run of digits that is
 * a number as written (no leading zero) below 2^32 becomes '\1', up to two;
 * a path with more, or with a '\1' of its own, is its own shape.
 */
static int keep_path(struct tally_settler *s, size_t at, const char *path,
                     enum tally_path_kind kind)
{
    if (!s->paths) {
        if (!(s->paths = calloc(s->cap, sizeof *s->paths)))
            return TALLY_ENOMEM;
        s->paths_cap = s->cap;
    }
    struct path_ref *ref = &s->paths[at];
    *ref = (struct path_ref){0};
    if (!path)
        return TALLY_OK;
    size_t len = strlen(path);
    char small[256];
    char *shape = len < sizeof small ? small : malloc(len + 1);
    if (!shape)
        return TALLY_ENOMEM;
    size_t o = 0;
    unsigned numbers = 0;
    bool plain = !memchr(path, '\1', len);
    for (size_t i = 0; plain && i < len;) {
        if (path[i] < '0' || path[i] > '9') {
            shape[o++] = path[i++];
            continue;
        }
        size_t j = i;
        uint64_t v = 0;
        while (j < len && path[j] >= '0' && path[j] <= '9' && v <= UINT32_MAX)
            v = v * 10 + (uint64_t)(path[j++] - '0');
        if (numbers == 2 || v > UINT32_MAX || (path[i] == '0' && j - i > 1) ||
            (j < len && path[j] >= '0' && path[j] <= '9')) {
            plain = false;
            break;
        }
        ref->n[numbers++] = (uint32_t)v;
        shape[o++] = '\1';
        i = j;
    }
    if (!plain) {
        numbers = 0;
        ref->n[0] = ref->n[1] = 0;
    }
    /* Consecutive records mostly share a shape: the last one is tried first. */
    const struct shape *last = s->last_shape ? &s->shapes[s->last_shape - 1] : NULL;
    if (plain && last && last->kind == kind && last->numbers == numbers &&
        strlen(last->text) == o && memcmp(last->text, shape, o) == 0)
        ref->shape = s->last_shape;
    else if (plain)
        ref->shape = s->last_shape = intern_shape(s, shape, o, kind, numbers);
    else
        ref->shape = intern_shape(s, path, len, kind, 0);
    if (shape != small)
        free(shape);
    return ref->shape ? TALLY_OK : TALLY_ENOMEM;
}

/* The path of entry i (NULL when it has none): the shape itself, or its
 * numbers put back into *buf (the caller frees it). NULL too when out of
 * memory, with *nomem set. */
static const char *path_of(const struct tally_settler *s, size_t i, char **buf,
                           enum tally_path_kind *kind, bool *nomem)
{
    *kind = TALLY_PATH_NONE;
    *buf = NULL;
    if (!s->paths || !s->paths[i].shape)
        return NULL;
    const struct path_ref *ref = &s->paths[i];
    const struct shape *sh = &s->shapes[ref->shape - 1];
    *kind = sh->kind;
    if (sh->numbers == 0)
        return sh->text;
    size_t size = strlen(sh->text) + 2 * 10 + 1, o = 0;
    if (!(*buf = malloc(size))) {
        *nomem = true;
        return NULL;
    }
    unsigned k = 0;
    for (const char *p = sh->text; *p; p++)
        if (*p == '\1')
            o += (size_t)snprintf(*buf + o, size - o, "%u", ref->n[k++]);
        else
            (*buf)[o++] = *p;
    (*buf)[o] = '\0';
    return *buf;
}

/* ---- adding records --------------------------------------------------------- */

/* "E10000016, 2014-10-01, 2015-09-30, uasc", kept for a key that repeats. */
static int keep_key_text(struct tally_settler *s, const struct tally_record *rec, uint32_t first)
{
    const struct tally_schema *sc = s->schema;
    size_t need = 1;
    for (size_t k = 0; k < sc->npk; k++) {
        size_t len;
        tally_field_output(&rec->fields[sc->primary_key[k]], &len);
        need += len + 2;
    }
    if (s->key_texts_len + need > UINT32_MAX ||
        tally_grow((void **)&s->groups, &s->groups_cap, s->ngroups, sizeof *s->groups, 16) != TALLY_OK)
        return TALLY_ENOMEM;
    while (s->key_texts_len + need > s->key_texts_cap) {
        size_t cap = s->key_texts_cap ? 2 * s->key_texts_cap : 1024;
        char *t = realloc(s->key_texts, cap);
        if (!t)
            return TALLY_ENOMEM;
        s->key_texts = t;
        s->key_texts_cap = cap;
    }
    char *o = s->key_texts + s->key_texts_len;
    for (size_t k = 0; k < sc->npk; k++) {
        size_t len;
        const char *t = tally_field_output(&rec->fields[sc->primary_key[k]], &len);
        if (k) {
            memcpy(o, ", ", 2);
            o += 2;
        }
        if (len)
            memcpy(o, t, len);
        o += len;
    }
    *o++ = '\0';
    s->groups[s->ngroups++] = (struct group){first, (uint32_t)s->key_texts_len};
    s->key_texts_len = (size_t)(o - s->key_texts);
    return TALLY_OK;
}

int tally_settler_add(struct tally_settler *s, const struct tally_record *rec, uint32_t *id,
                      struct tally_error *err)
{
    const struct tally_schema *sc = s->schema;
    bool errors = rec->errors > 0 || rec->inherited;
    if (id)
        *id = TALLY_SETTLE_NONE;
    if (s->nfiles == 0 || !takes_part(sc, rec, errors))
        return TALLY_OK;
    if (grow(s) != TALLY_OK)
        return tally_error_set(err, TALLY_ENOMEM, "out of memory");

    struct entry cur = {
        .file = (uint32_t)(s->nfiles - 1) | (errors ? HAS_ERRORS : 0),
        .record = rec->index > UINT32_MAX ? UINT32_MAX : (uint32_t)rec->index,
        .line = rec->loc.line,
        .column = rec->loc.column,
    };
    struct tally_hash128 key = hash_pieces(rec, sc->primary_key, sc->npk, -1, 0x7461u);
    uint64_t values = hash_pieces(rec, NULL, sc->nfields, s->submitted_field, 0x6c79u).lo;
    cur.key[0] = (uint32_t)key.lo;
    cur.key[1] = (uint32_t)(key.lo >> 32);
    cur.key[2] = (uint32_t)(key.hi >> 32);
    cur.values[0] = (uint32_t)values;
    cur.values[1] = (uint32_t)(values >> 32);
    const struct tally_field *sub = s->submitted_field >= 0 ? &rec->fields[s->submitted_field] : NULL;
    int64_t time = NO_TIME;
    if (sub && !sub->error && (sub->value.kind == TALLY_DATETIME ||
                               sub->value.kind == TALLY_LOCAL_DATETIME))
        time = sub->value.number * 2 + (sub->value.kind == TALLY_LOCAL_DATETIME);
    put_i64(cur.submitted, time);

    size_t at = s->n;
    if ((rec->path || s->paths) &&
        keep_path(s, at, rec->path_kind != TALLY_PATH_NONE ? rec->path : NULL, rec->path_kind) != TALLY_OK)
        return tally_error_set(err, TALLY_ENOMEM, "out of memory");

    uint32_t tag = slot_tag(&cur, s->slot_bits), mask = slot_index_mask(s->slot_bits);
    for (size_t j = home_slot(&cur, s->nslots);; j = j + 1 == s->nslots ? 0 : j + 1) {
        uint32_t slot = s->slots[j];
        if (!slot) {
            s->slots[j] = tag | (uint32_t)(at + 1);
            break;
        }
        struct entry *first = &s->entries[(slot & mask) - 1];
        if ((slot & ~mask) != tag || memcmp(first->key, cur.key, sizeof cur.key) != 0)
            continue;
        /* A repeat: linked in after the first; the group noted once. */
        if (!first->link && keep_key_text(s, rec, (slot & mask) - 1) != TALLY_OK)
            return tally_error_set(err, TALLY_ENOMEM, "out of memory");
        cur.link = first->link;
        first->link = (uint32_t)(at + 1);
        break;
    }
    s->entries[at] = cur;
    s->n++;
    if (id)
        *id = (uint32_t)at;
    return TALLY_OK;
}

/* ---- settling ------------------------------------------------------------------ */

static bool has_errors(const struct entry *e)
{
    return e->file & HAS_ERRORS;
}

/* When e was submitted: between *lo and *hi seconds since the epoch, UTC (the
 * same for a time with an offset; 14 hours either side for a local time).
 * False when it has no time. */
static bool when(const struct entry *e, int64_t *lo, int64_t *hi)
{
    int64_t v = get_i64(e->submitted);
    if (v == NO_TIME)
        return false;
    int64_t local = v & 1, t = (v - local) / 2;
    *lo = t - (local ? TALLY_LOCAL_TIME_WINDOW : 0);
    *hi = t + (local ? TALLY_LOCAL_TIME_WINDOW : 0);
    return true;
}

static int64_t hi_of(const struct entry *e)
{
    int64_t lo, hi = NO_TIME;
    when(e, &lo, &hi);
    return hi;
}

static bool is_local(const struct entry *e)
{
    int64_t v = get_i64(e->submitted);
    return v != NO_TIME && (v & 1);
}

static bool same_values(const struct entry *a, const struct entry *b)
{
    return memcmp(a->values, b->values, sizeof a->values) == 0;
}

static void set_fate(struct entry *e, enum tally_fate fate)
{
    e->file = (e->file & ~FATE_MASK) | (uint32_t)fate << FATE_SHIFT;
}

/* "returns/kent.csv:3", or "returns/kent.json record 2" without a line. */
static void where(const struct tally_settler *s, const struct entry *e, char *buf, size_t size)
{
    const char *file = s->files[e->file & FILE_MASK];
    if (e->line)
        snprintf(buf, size, "%s:%u", file, e->line);
    else
        snprintf(buf, size, "%s record %u", file, e->record);
}

/* e's submitted time, in UTC as the times are compared: 2015-10-28T09:30:00Z;
 * a local time as written, and said: 2015-10-28T09:30:00 (no offset). */
static void format_time(const struct entry *e, char buf[40])
{
    int64_t v = get_i64(e->submitted), local = v & 1, t = (v - local) / 2;
    int64_t days = t >= 0 ? t / 86400 : -((-t + 86399) / 86400);
    int64_t secs = t - days * 86400;
    tally_format_date(days, buf);
    snprintf(buf + 10, 30, "T%02d:%02d:%02d%s", (int)(secs / 3600), (int)(secs / 60 % 60),
             (int)(secs % 60), local ? " (no offset)" : "Z");
}

static void diag(struct tally_settler *s, size_t i, enum tally_severity sev, const char *code,
                 const char *fmt, ...) TALLY_PRINTF(5, 6);

static void diag(struct tally_settler *s, size_t i, enum tally_severity sev, const char *code,
                 const char *fmt, ...)
{
    const struct entry *e = &s->entries[i];
    char *buf;
    enum tally_path_kind kind;
    const char *path = path_of(s, i, &buf, &kind, &s->nomem);
    struct tally_loc loc = {.line = e->line, .column = e->column};
    va_list ap;
    va_start(ap, fmt);
    tally_emit_atv(&s->sink, NULL, s->files[e->file & FILE_MASK], &loc, e->record, NULL, NULL,
                   kind, path, sev, code, fmt, ap);
    va_end(ap);
    free(buf);
}

/*
 * What happens to each member of one group, m[0..n) in the order added
 * (settle.h gives the rule). Only the records without errors (E) can be
 * accepted, duplicate, superseded or in conflict; a record with errors keeps
 * its own errors, and counts only as a later submission: when every record
 * of E has a submitted time and a rejected one was certainly submitted after
 * all of them, it replaced them all. A submitted time is an interval
 * (when(): a local time's is 28 hours wide): one record was certainly
 * submitted after another when its interval begins after the other's ends.
 * Diagnostics go out member by member. ok[] has room for n.
 */
static void settle_group(struct tally_settler *s, const char *key, const uint32_t *m, size_t n,
                         uint32_t *ok)
{
    struct entry *E = s->entries;
    char w[4200], t[40] = "";
    size_t ne = 0;
    bool same = true, timed = true;
    int64_t latest_lo = NO_TIME, latest_hi = NO_TIME, rejected_lo = NO_TIME;
    uint32_t rejected = UINT32_MAX;     /* the submission with errors that began latest */
    uint32_t latest = UINT32_MAX;       /* of E, the first that began latest */
    for (size_t k = 0; k < n; k++) {
        struct entry *e = &E[m[k]];
        int64_t lo, hi;
        bool has = when(e, &lo, &hi);
        if (has_errors(e)) {
            set_fate(e, TALLY_FATE_REJECTED);   /* its own errors say why */
            if (has && lo > rejected_lo)
                rejected_lo = lo, rejected = m[k];
            continue;
        }
        if (ne)
            same &= same_values(&E[ok[0]], e);
        ok[ne++] = m[k];
        timed &= has;
        if (has && lo > latest_lo)
            latest_lo = lo, latest = m[k];
        if (has && hi > latest_hi)
            latest_hi = hi;
    }
    if (ne == 0)
        return;

    /* A rejected submission certainly after every one of them: they were replaced. */
    if (timed && rejected != UINT32_MAX && rejected_lo > latest_hi) {
        where(s, &E[rejected], w, sizeof w);
        format_time(&E[rejected], t);
        for (size_t k = 0; k < ne; k++) {
            set_fate(&E[ok[k]], TALLY_FATE_SUPERSEDED);
            diag(s, ok[k], TALLY_SEV_WARNING, TALLY_CODE_SUPERSEDED,
                 "the record for %s is superseded by the one at %s, submitted %s, which was "
                 "rejected: no record for this key is accepted", key, w, t);
        }
        return;
    }

    /* Among themselves: identical (rule 1), by time (2), or in conflict (3).
     * By time, the candidates for the latest are those not certainly
     * submitted before `latest`; the others were, and are superseded by it. */
    bool by_time = !same && timed;
#define CANDIDATE(e) (!by_time || hi_of(e) >= latest_lo)
    uint32_t winner = UINT32_MAX, first_latest = UINT32_MAX;
    bool agree = true, exact = true;    /* exact: the candidates' times are all one instant */
    for (size_t k = 0; k < ne; k++) {
        if (!CANDIDATE(&E[ok[k]]))
            continue;
        exact &= !is_local(&E[ok[k]]);
        if (first_latest == UINT32_MAX)
            first_latest = ok[k];
        else
            agree &= same_values(&E[first_latest], &E[ok[k]]);
    }
    if (same || (by_time && agree))
        winner = first_latest;
    if (by_time)
        format_time(&E[latest], t);
    size_t nconflict = 0;
    for (size_t k = 0; k < ne; k++)
        nconflict += winner == UINT32_MAX && CANDIDATE(&E[ok[k]]);
    for (size_t k = 0; k < ne; k++) {
        uint32_t i = ok[k];
        struct entry *e = &E[i];
        if (i == winner) {
            set_fate(e, TALLY_FATE_ACCEPTED);
            continue;
        }
        if (!CANDIDATE(e)) {    /* rule 2: certainly submitted before the latest */
            set_fate(e, TALLY_FATE_SUPERSEDED);
            where(s, &E[latest], w, sizeof w);
            diag(s, i, TALLY_SEV_WARNING, TALLY_CODE_SUPERSEDED,
                 "the record for %s is superseded by the one at %s, submitted %s%s", key, w, t,
                 winner != UINT32_MAX ? ""
                 : exact ? ", which conflicts with another submitted then: no record for this "
                           "key is accepted"
                         : ", which conflicts with another that may have been submitted later: "
                           "no record for this key is accepted");
            continue;
        }
        if (winner != UINT32_MAX) {     /* the same values as the one accepted */
            set_fate(e, TALLY_FATE_DUPLICATE);
            where(s, &E[winner], w, sizeof w);
            diag(s, i, TALLY_SEV_INFO, TALLY_CODE_DUPLICATE,
                 "the record for %s is identical to the one at %s; it is kept once", key, w);
            continue;
        }
        /* A conflict; named: the first other record in conflict. */
        set_fate(e, TALLY_FATE_REJECTED);   /* without errors of its own: a conflict */
        uint32_t other = UINT32_MAX;
        for (size_t j = 0; j < ne && other == UINT32_MAX; j++)
            if (ok[j] != i && CANDIDATE(&E[ok[j]]))
                other = ok[j];
        where(s, &E[other], w, sizeof w);
        const char *others = nconflict > 2 ? " and others" : "";
        if (by_time && exact)
            diag(s, i, TALLY_SEV_ERROR, TALLY_CODE_CONFLICT,
                 "the record for %s conflicts with the one at %s%s, submitted at the same time "
                 "(%s) with different values; no record for this key is accepted", key, w,
                 others, t);
        else if (by_time)
            diag(s, i, TALLY_SEV_ERROR, TALLY_CODE_CONFLICT,
                 "the record for %s conflicts with the one at %s%s: different values, and which "
                 "was submitted later is not certain (a submitted time without an offset is "
                 "known only to within 14 hours); all %zu are rejected", key, w, others,
                 nconflict);
        else
            diag(s, i, TALLY_SEV_ERROR, TALLY_CODE_CONFLICT,
                 "the record for %s conflicts with the one at %s%s: different values and no "
                 "later submitted time to choose between them; all %zu are rejected", key, w,
                 others, nconflict);
    }
#undef CANDIDATE
}

static int by_first(const void *a, const void *b)
{
    const struct group *x = a, *y = b;
    return (x->first > y->first) - (x->first < y->first);
}

int tally_settler_finish(struct tally_settler *s, struct tally_error *err)
{
    if (s->finished)
        return TALLY_OK;
    s->finished = true;
    /* The groups in the order of their first records. */
    if (s->ngroups > 1)
        qsort(s->groups, s->ngroups, sizeof *s->groups, by_first);
    uint32_t *m = NULL, *latest = NULL;
    size_t cap = 0;
    int rc = TALLY_OK;
    for (size_t g = 0; g < s->ngroups && rc == TALLY_OK; g++) {
        size_t n = 0;
        for (uint32_t i = s->groups[g].first + 1; i; i = s->entries[i - 1].link) {
            if (n == cap) {
                size_t c = cap ? 2 * cap : 16;
                uint32_t *a = realloc(m, c * sizeof *a), *b = a ? realloc(latest, c * sizeof *b) : NULL;
                if (a)
                    m = a;
                if (b)
                    latest = b;
                if (!a || !b) {
                    rc = TALLY_ENOMEM;
                    break;
                }
                cap = c;
            }
            m[n++] = i - 1;
        }
        if (rc != TALLY_OK)
            break;
        /* The links run first, newest, ..., second: put them in the order added. */
        for (size_t a = 1, b = n - 1; a < b; a++, b--) {
            uint32_t x = m[a];
            m[a] = m[b];
            m[b] = x;
        }
        settle_group(s, s->key_texts + s->groups[g].key_text, m, n, latest);
    }
    free(m);
    free(latest);
    if (s->nomem)
        rc = TALLY_ENOMEM;
    return rc == TALLY_OK ? TALLY_OK : tally_error_set(err, TALLY_ENOMEM, "out of memory");
}

enum tally_fate tally_settler_fate(const struct tally_settler *s, uint32_t id, bool *conflict)
{
    if (conflict)
        *conflict = false;
    if (id == TALLY_SETTLE_NONE || id >= s->n)
        return TALLY_FATE_REJECTED;
    const struct entry *e = &s->entries[id];
    if (has_errors(e))
        return TALLY_FATE_REJECTED;
    /* Entries alone with their key keep fate 0: accepted. */
    enum tally_fate fate = (enum tally_fate)((e->file & FATE_MASK) >> FATE_SHIFT);
    if (conflict)
        *conflict = fate == TALLY_FATE_REJECTED;    /* no errors of its own */
    return fate;
}
