/*
 * writers/json.c — the JSON and NDJSON writers.
 *
 * json: an array of submissions in the nested shape of doc/return-format.md §2 (JSON). Consecutive
 * records whose submission-level fields (authority, period, submitted) are
 * the same go into one submission, one element of "cohorts" each. Where each
 * field goes comes from the schema's "json" paths.
 *
 * ndjson: one flat record object per line, keys the field names in the
 * schema's order — what line-oriented tools (jq, Miller) read best.
 *
 * Counts are JSON integers; symbols and anything that is not a valid count
 * are strings, so nothing in a return is lost. Missing values are left out.
 */
#include <stdlib.h>
#include <string.h>

#include "core/grow.h"
#include "core/jsonout.h"
#include "writers/writers.h"

/*
 * Where each field goes is the same for every record, so it is worked out
 * once, at open, into a plan: the members of the submission object and of a
 * record object, in pre-order. A member is a field's value or an object whose
 * members follow it, up to `end`.
 */
struct member {
    char *key;              /* the member's name as JSON, then ": " (and "{" for an object) */
    int field;              /* the field written here, or -1 for an object */
    size_t end;             /* an object: one past its last member */
};

struct plan {
    struct member *m;
    size_t n, cap;
};

struct json_writer {
    struct tally_writer base;
    bool flat;              /* ndjson */
    bool open_submission;   /* a submission's "cohorts" array is open */
    uint64_t submissions;
    char *last;             /* the open submission's key: its fields' texts */
    size_t last_len, last_cap;
    struct plan plan[2];    /* json: the members of a submission [0] and of a record [1] */
    char *key;              /* the record's submission key, built here (see submission_key) */
    size_t key_cap;
    struct tally_outbuf ob; /* everything goes through this, to base.out */
};

static void write_value(struct tally_outbuf *out, const struct tally_field *f)
{
    size_t n;
    const char *s = tally_field_output(f, &n);
    if (f->value.kind == TALLY_NUMBER)
        tally_outbuf_write(out, s, n);
    else
        tally_json_string_buf(out, s, n);
}

static bool present(const struct tally_field *f)
{
    size_t n;
    return tally_field_output(f, &n) != NULL;
}

static int plan_push(struct plan *pl, const char *name, int field)
{
    if (tally_grow((void **)&pl->m, &pl->cap, pl->n, sizeof *pl->m, 8) != TALLY_OK)
        return TALLY_ENOMEM;
    char *key = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&key, &len);
    if (!f)
        return TALLY_ENOMEM;
    tally_json_cstring(f, name);
    fputs(field < 0 ? ": {" : ": ", f);
    /* A memory stream that ran out of memory may still close with 0, and
     * leave key NULL or short: ask it, and check key. */
    bool failed = ferror(f) != 0;
    if (fclose(f) != 0 || failed || !key) {
        free(key);
        return TALLY_ENOMEM;
    }
    pl->m[pl->n] = (struct member){.key = key, .field = field, .end = pl->n + 1};
    pl->n++;
    return TALLY_OK;
}

/*
 * Plan the fields picked by in_record (submission-level or record-level) as
 * members of an object, nesting by their path segments from `depth` on.
 * Only fields whose segments [0, depth) equal prefix's are planned here.
 */
static int plan_members(struct plan *pl, const struct tally_schema *s, bool in_record,
                        const struct tally_path *prefix, size_t depth)
{
    for (size_t i = 0; i < s->nfields; i++) {
        const struct tally_path *p = &s->fields[i].json;
        if (!p->segs || p->in_record != in_record || p->nsegs <= depth)
            continue;
        bool match = true;
        for (size_t d = 0; d < depth && match; d++)
            match = strcmp(p->segs[d], prefix->segs[d]) == 0;
        if (!match)
            continue;
        /* Only the first field with this segment at this depth writes it. */
        bool seen = false;
        for (size_t j = 0; j < i && !seen; j++) {
            const struct tally_path *q = &s->fields[j].json;
            if (!q->segs || q->in_record != in_record || q->nsegs <= depth)
                continue;
            bool same = strcmp(q->segs[depth], p->segs[depth]) == 0;
            for (size_t d = 0; d < depth && same; d++)
                same = strcmp(q->segs[d], prefix->segs[d]) == 0;
            seen = same;
        }
        if (seen)
            continue;
        bool leaf = p->nsegs == depth + 1;
        if (plan_push(pl, p->segs[depth], leaf ? (int)i : -1) != TALLY_OK)
            return TALLY_ENOMEM;
        if (leaf)
            continue;
        size_t self = pl->n - 1;
        if (plan_members(pl, s, in_record, p, depth + 1) != TALLY_OK)
            return TALLY_ENOMEM;
        pl->m[self].end = pl->n;
    }
    return TALLY_OK;
}

static void plan_free(struct plan *pl)
{
    for (size_t k = 0; k < pl->n; k++)
        free(pl->m[k].key);
    free(pl->m);
}

/* Is a field among members [from, to) present in rec? */
static bool any_present(const struct member *m, size_t from, size_t to,
                        const struct tally_record *rec)
{
    for (size_t k = from; k < to; k++)
        if (m[k].field >= 0 && present(&rec->fields[m[k].field]))
            return true;
    return false;
}

/* Write members [from, to) of a plan; an object only when something in it is present. */
static void write_members(struct tally_outbuf *out, const struct member *m, size_t from,
                          size_t to, const struct tally_record *rec, bool *first)
{
    for (size_t k = from; k < to;) {
        const struct member *e = &m[k];
        bool leaf = e->field >= 0;
        if (leaf ? present(&rec->fields[e->field]) : any_present(m, k + 1, e->end, rec)) {
            tally_outbuf_puts(out, *first ? "" : ", ");
            *first = false;
            tally_outbuf_puts(out, e->key);
            if (leaf) {
                write_value(out, &rec->fields[e->field]);
            } else {
                bool inner = true;
                write_members(out, m, k + 1, e->end, rec, &inner);
                tally_outbuf_puts(out, "}");
            }
        }
        k = leaf ? k + 1 : e->end;
    }
}

/* The submission a record belongs to, in w->key: its submission-level
 * fields' texts, each ended by 0x1F. */
static int submission_key(struct json_writer *w, const struct tally_record *rec, size_t *len)
{
    const struct tally_schema *s = w->base.schema;
    size_t need = 0;
    for (size_t i = 0; i < s->nfields; i++)
        if (s->fields[i].json.segs && !s->fields[i].json.in_record) {
            size_t n;
            tally_field_output(&rec->fields[i], &n);
            need += n + 1;
        }
    if (need + 1 > w->key_cap) {
        char *k = realloc(w->key, need + 1);
        if (!k)
            return TALLY_ENOMEM;
        w->key = k;
        w->key_cap = need + 1;
    }
    size_t o = 0;
    for (size_t i = 0; i < s->nfields; i++)
        if (s->fields[i].json.segs && !s->fields[i].json.in_record) {
            size_t n;
            const char *t = tally_field_output(&rec->fields[i], &n);
            if (n)
                memcpy(w->key + o, t, n);
            o += n;
            w->key[o++] = '\x1f';
        }
    *len = o;
    return TALLY_OK;
}

static void json_close(struct tally_writer *tw);

static int json_open(struct tally_writer **out, FILE *fp, const struct tally_schema *schema,
                     struct tally_error *err)
{
    struct json_writer *w = calloc(1, sizeof *w);
    if (!w)
        return tally_error_set(err, TALLY_ENOMEM, "out of memory");
    w->base.ops = &tally_json_writer;
    w->base.out = fp;
    w->base.schema = schema;
    w->ob.out = fp;
    static const struct tally_path none = {0};
    if (plan_members(&w->plan[0], schema, false, &none, 0) != TALLY_OK ||
        plan_members(&w->plan[1], schema, true, &none, 0) != TALLY_OK) {
        json_close(&w->base);
        return tally_error_set(err, TALLY_ENOMEM, "out of memory");
    }
    tally_outbuf_puts(&w->ob, "[");
    *out = &w->base;
    return TALLY_OK;
}

static int ndjson_open(struct tally_writer **out, FILE *fp, const struct tally_schema *schema,
                       struct tally_error *err)
{
    struct json_writer *w = calloc(1, sizeof *w);
    if (!w)
        return tally_error_set(err, TALLY_ENOMEM, "out of memory");
    w->base.ops = &tally_ndjson_writer;
    w->base.out = fp;
    w->base.schema = schema;
    w->ob.out = fp;
    w->flat = true;
    *out = &w->base;
    return TALLY_OK;
}

/* The output so far has reached the FILE without an error? (A full buffer
 * goes out; the rest waits for the next record or finish.) */
static int write_error(struct json_writer *w, struct tally_error *err)
{
    if (w->ob.len > sizeof w->ob.buf / 2)
        tally_outbuf_flush(&w->ob);
    return ferror(w->base.out) ? tally_error_set(err, TALLY_EIO, "cannot write the %s output",
                                                 w->base.ops->name)
                               : TALLY_OK;
}

static int json_write(struct tally_writer *tw, const struct tally_record *rec,
                      struct tally_error *err)
{
    struct json_writer *w = (struct json_writer *)tw;
    const struct tally_schema *s = tw->schema;
    struct tally_outbuf *out = &w->ob;
    if (w->flat) {
        bool first = true;
        tally_outbuf_puts(out, "{");
        for (size_t i = 0; i < s->nfields; i++) {
            if (!present(&rec->fields[i]))
                continue;
            tally_outbuf_puts(out, first ? "" : ", ");
            first = false;
            tally_json_string_buf(out, s->fields[i].name, strlen(s->fields[i].name));
            tally_outbuf_puts(out, ": ");
            write_value(out, &rec->fields[i]);
        }
        tally_outbuf_puts(out, "}\n");
        return write_error(w, err);
    }
    size_t len;
    if (submission_key(w, rec, &len) != TALLY_OK)
        return tally_error_set(err, TALLY_ENOMEM, "out of memory");
    bool same = w->open_submission && len == w->last_len && memcmp(w->key, w->last, len) == 0;
    if (!same) {
        if (w->open_submission)
            tally_outbuf_puts(out, "\n    ]\n  }");
        tally_outbuf_puts(out, w->submissions++ ? ",\n  {\n    " : "\n  {\n    ");
        char *swap = w->last;   /* the record's key becomes the open submission's */
        size_t swap_cap = w->last_cap;
        w->last = w->key;
        w->last_cap = w->key_cap;
        w->last_len = len;
        w->key = swap;
        w->key_cap = swap_cap;
        /* The submission-level members, each on its own line. */
        bool first = true;
        write_members(out, w->plan[0].m, 0, w->plan[0].n, rec, &first);
        tally_outbuf_puts(out, first ? "" : ",\n    ");
        const char *records = s->json_records ? s->json_records : "records";
        tally_json_string_buf(out, records, strlen(records));
        tally_outbuf_puts(out, ": [\n      {");
        w->open_submission = true;
    } else {
        tally_outbuf_puts(out, ",\n      {");
    }
    bool first = true;
    write_members(out, w->plan[1].m, 0, w->plan[1].n, rec, &first);
    tally_outbuf_puts(out, "}");
    return write_error(w, err);
}

static int json_finish(struct tally_writer *tw, struct tally_error *err)
{
    struct json_writer *w = (struct json_writer *)tw;
    if (!w->flat)
        tally_outbuf_puts(&w->ob, w->open_submission ? "\n    ]\n  }\n]\n" : "]\n");
    tally_outbuf_flush(&w->ob);
    return write_error(w, err);
}

static void json_close(struct tally_writer *tw)
{
    struct json_writer *w = (struct json_writer *)tw;
    if (w) {
        free(w->last);
        free(w->key);
        plan_free(&w->plan[0]);
        plan_free(&w->plan[1]);
        free(w);
    }
}

const struct tally_writer_ops tally_json_writer = {
    .name = "json",
    .extension = ".json",
    .open = json_open,
    .write = json_write,
    .finish = json_finish,
    .close = json_close,
};

const struct tally_writer_ops tally_ndjson_writer = {
    .name = "ndjson",
    .extension = ".ndjson",
    .open = ndjson_open,
    .write = json_write,
    .finish = json_finish,
    .close = json_close,
};
