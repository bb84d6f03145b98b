/*
 * readers/source.c — an input opened the way the tally command opens it
 * (source.h): input (from a path or memory) → reader chosen by its bytes,
 * the format asked for, its name or its content → read ahead or not → the
 * SHA-256 of every byte. cli/session.c reads every file through it; so does
 * tally_validate_file/_buffer below, which adds the validator and settling
 * for a caller that only wants the diagnostics.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "tally/clean.h"
#include "tally/settle.h"
#include "tally/source.h"

#define READ_AHEAD_MIN_BYTES (1 << 20)  /* below this a thread is not worth starting */

struct tally_source {
    struct tally_input in;
    struct tally_reader *reader;    /* NULL: not a return (the error is sent), or closed */
    const struct tally_reader_ops *ops;
    bool ahead;
};

static bool want_ahead(const struct tally_input *in, enum tally_read_ahead mode)
{
    if (mode != TALLY_READ_AHEAD_AUTO)
        return mode == TALLY_READ_AHEAD_ON;
    struct stat st;
    return in->fd >= 0 && fstat(in->fd, &st) == 0 && S_ISREG(st.st_mode) &&
           st.st_size >= READ_AHEAD_MIN_BYTES;
}

/* A workbook, a document, an archive: never read as text; say so to the sink. */
static int not_a_return(const struct tally_file_kind *kind, const char *name,
                        const struct tally_diag_sink *sink, struct tally_error *err)
{
    static const char fmt[] = "the file is %s, not a return: %s";
    int n = snprintf(NULL, 0, fmt, kind->what, kind->advice);
    char *msg = n < 0 ? NULL : malloc((size_t)n + 1);
    if (!msg)
        return tally_error_set(err, TALLY_ENOMEM, "out of memory");
    snprintf(msg, (size_t)n + 1, fmt, kind->what, kind->advice);
    struct tally_diag d = {.severity = TALLY_SEV_ERROR, .code = TALLY_CODE_FORMAT,
                           .message = msg, .file = name};
    if (sink->emit)
        sink->emit(sink->ctx, &d);
    free(msg);
    return TALLY_OK;
}

/* Choose and open the reader over s->in, whose name (path, or the memory's
 * name) is name. On failure, s->in is closed and s freed. */
static int start(struct tally_source *s, const char *name, const struct tally_source_options *o,
                 struct tally_error *err)
{
    const struct tally_file_kind *kind;
    int rc = tally_reader_choose(&s->in, name, o->format, &s->ops, &kind, err);
    if (rc == TALLY_OK && !s->ops)
        rc = not_a_return(kind, name, &o->reader.sink, err);
    else if (rc == TALLY_OK) {
        s->ahead = want_ahead(&s->in, o->read_ahead);
        rc = s->ahead ? tally_read_ahead_open(&s->reader, s->ops, &s->in, &o->reader, err)
                      : s->ops->open(&s->reader, &s->in, &o->reader, err);
    }
    if (rc != TALLY_OK) {
        tally_input_close(&s->in);
        free(s);
    }
    return rc;
}

int tally_source_open(struct tally_source **out, const char *path,
                      const struct tally_source_options *o, struct tally_error *err)
{
    *out = NULL;
    struct tally_source *s = calloc(1, sizeof *s);
    if (!s)
        return tally_error_set(err, TALLY_ENOMEM, "out of memory");
    int rc = tally_input_open(&s->in, path, err);
    if (rc != TALLY_OK) {
        free(s);
        return rc;
    }
    if ((rc = start(s, path, o, err)) == TALLY_OK)
        *out = s;
    return rc;
}

int tally_source_open_memory(struct tally_source **out, const void *data, size_t len,
                             const char *name, const struct tally_source_options *o,
                             struct tally_error *err)
{
    *out = NULL;
    struct tally_source *s = calloc(1, sizeof *s);
    if (!s)
        return tally_error_set(err, TALLY_ENOMEM, "out of memory");
    int rc = tally_input_open_memory(&s->in, data, len, name, err);
    if (rc != TALLY_OK) {
        free(s);
        return rc;
    }
    if ((rc = start(s, s->in.name, o, err)) == TALLY_OK)
        *out = s;
    return rc;
}

const char *tally_source_format(const struct tally_source *s)
{
    return s->ops ? s->ops->name : NULL;
}

int tally_source_next(struct tally_source *s, struct tally_record **rec, struct tally_error *err)
{
    if (!s->reader)
        return TALLY_DONE;
    return s->reader->ops->next(s->reader, rec, err);
}

uint64_t tally_source_offset(const struct tally_source *s)
{
    return s->reader && s->ahead ? tally_read_ahead_offset(s->reader) : tally_input_offset(&s->in);
}

/* Close the reader first: a reader ahead gives the input back. */
static void stop(struct tally_source *s)
{
    if (s->reader)
        s->reader->ops->close(s->reader);
    s->reader = NULL;
}

int tally_source_sha256(struct tally_source *s, char hex[65], struct tally_error *err)
{
    stop(s);
    return tally_input_sha256(&s->in, hex, err);
}

void tally_source_close(struct tally_source *s)
{
    if (!s)
        return;
    stop(s);
    tally_input_close(&s->in);
    free(s);
}

/* ---- validating one input: what `tally validate FILE` does with it ---- */

struct counting {
    struct tally_diag_sink sink;    /* the caller's */
    struct tally_validate_totals *totals;
};

static void count(void *ctx, const struct tally_diag *d)
{
    struct counting *c = ctx;
    if (d->severity == TALLY_SEV_ERROR)
        c->totals->errors++;
    else if (d->severity == TALLY_SEV_WARNING)
        c->totals->warnings++;
    else
        c->totals->infos++;
    if (c->sink.emit)
        c->sink.emit(c->sink.ctx, d);
}

static int validate(const char *path, const void *data, size_t len, const char *name,
                    const struct tally_validate_options *o, struct tally_validate_totals *totals,
                    struct tally_error *err)
{
    *totals = (struct tally_validate_totals){0};
    struct counting c = {o->sink, totals};
    struct tally_diag_sink sink = {count, &c};
    struct tally_source_options so = {
        .format = o->format,
        .reader = {.schema = o->schema, .registry = o->registry, .sink = sink,
                   .delimiter = o->delimiter, .clean = o->clean, .sheet = o->sheet},
    };
    struct tally_validator *v = tally_validator_new(o->schema, o->registry, &o->validator, sink, err);
    struct tally_settler *settler = v ? tally_settler_new(o->schema, sink, err) : NULL;
    struct tally_cleaner *cleaner = NULL;
    if (settler && o->clean)
        cleaner = tally_cleaner_new(o->schema, o->registry, sink, err);
    struct tally_source *s = NULL;
    int rc = TALLY_OK;
    if (!v || !settler || (o->clean && !cleaner))
        rc = err->status;
    else
        rc = path ? tally_source_open(&s, path, &so, err)
                  : tally_source_open_memory(&s, data, len, name, &so, err);
    /* The settler borrows the file's name: the caller's path, or the source's copy. */
    if (rc == TALLY_OK && s->reader)
        rc = tally_settler_add_file(settler, path ? path : s->in.name, err);
    struct tally_record *rec;
    while (rc == TALLY_OK && (rc = tally_source_next(s, &rec, err)) == TALLY_RECORD) {
        totals->records++;
        if ((cleaner && (rc = tally_cleaner_clean(cleaner, rec, err)) != TALLY_OK) ||
            (rc = tally_validator_check(v, rec, err)) != TALLY_OK ||
            (rc = tally_settler_add(settler, rec, NULL, err)) != TALLY_OK)
            break;
    }
    if (rc == TALLY_DONE)
        rc = tally_settler_finish(settler, err);
    tally_settler_free(settler);
    tally_cleaner_free(cleaner);
    tally_validator_free(v);
    tally_source_close(s);
    return rc;
}

int tally_validate_file(const char *path, const struct tally_validate_options *o,
                        struct tally_validate_totals *totals, struct tally_error *err)
{
    return validate(path, NULL, 0, NULL, o, totals, err);
}

int tally_validate_buffer(const void *data, size_t len, const char *name,
                          const struct tally_validate_options *o,
                          struct tally_validate_totals *totals, struct tally_error *err)
{
    return validate(NULL, data, len, name, o, totals, err);
}
