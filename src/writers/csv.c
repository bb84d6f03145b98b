/*
 * writers/csv.c — the CSV writer: a header of the schema's field names, then
 * one row per record, fields in the schema's order (doc/return-format.md §1), RFC 4180
 * quoting (a value is quoted when it holds a comma, a quote, CR, LF, or
 * starts or ends with a space), LF line ends, UTF-8 without a BOM.
 */
#include <stdlib.h>
#include <string.h>

#include "core/grow.h"
#include "core/csvtext.h"
#include "writers/writers.h"

struct csv_writer {
    struct tally_writer base;
    char *line;             /* one row, written with a single fwrite */
    size_t cap, len;
};

static int put(struct csv_writer *w, const char *s, size_t n)
{
    if (tally_grow_bytes(&w->line, &w->cap, w->len + n, 256) != TALLY_OK)
        return TALLY_ENOMEM;
    memcpy(w->line + w->len, s, n);
    w->len += n;
    return TALLY_OK;
}

static int put_value(struct csv_writer *w, const char *s, size_t n)
{
    if (!tally_csv_needs_quotes(s, n))     /* core/csvtext.h: one rule for every CSV */
        return put(w, s, n);
    int rc = put(w, "\"", 1);
    for (size_t i = 0; rc == TALLY_OK && i < n; i++)
        rc = s[i] == '"' ? put(w, "\"\"", 2) : put(w, s + i, 1);
    return rc ? rc : put(w, "\"", 1);
}

static int flush_line(struct csv_writer *w, struct tally_error *err)
{
    int rc = put(w, "\n", 1);
    if (rc)
        return tally_error_set(err, TALLY_ENOMEM, "out of memory");
    if (fwrite(w->line, 1, w->len, w->base.out) != w->len)
        return tally_error_set(err, TALLY_EIO, "cannot write the CSV output");
    w->len = 0;
    return TALLY_OK;
}

static int csv_open(struct tally_writer **out, FILE *fp, const struct tally_schema *schema,
                    struct tally_error *err)
{
    struct csv_writer *w = calloc(1, sizeof *w);
    if (!w)
        return tally_error_set(err, TALLY_ENOMEM, "out of memory");
    w->base.ops = &tally_csv_writer;
    w->base.out = fp;
    w->base.schema = schema;
    int rc = TALLY_OK;
    for (size_t i = 0; rc == TALLY_OK && i < schema->nfields; i++) {
        if (i)
            rc = put(w, ",", 1);
        if (rc == TALLY_OK)
            rc = put_value(w, schema->fields[i].name, strlen(schema->fields[i].name));
    }
    rc = rc ? tally_error_set(err, TALLY_ENOMEM, "out of memory") : flush_line(w, err);
    if (rc) {
        free(w->line);
        free(w);
        return rc;
    }
    *out = &w->base;
    return TALLY_OK;
}

static int csv_write(struct tally_writer *tw, const struct tally_record *rec, struct tally_error *err)
{
    struct csv_writer *w = (struct csv_writer *)tw;
    int rc = TALLY_OK;
    for (size_t i = 0; rc == TALLY_OK && i < rec->nfields; i++) {
        size_t n;
        const char *s = tally_field_output(&rec->fields[i], &n);
        if (i)
            rc = put(w, ",", 1);
        if (rc == TALLY_OK && s)
            rc = put_value(w, s, n);
    }
    return rc ? tally_error_set(err, TALLY_ENOMEM, "out of memory") : flush_line(w, err);
}

static int csv_finish(struct tally_writer *tw, struct tally_error *err)
{
    (void)tw;
    (void)err;
    return TALLY_OK;
}

static void csv_close(struct tally_writer *tw)
{
    struct csv_writer *w = (struct csv_writer *)tw;
    if (w) {
        free(w->line);
        free(w);
    }
}

const struct tally_writer_ops tally_csv_writer = {
    .name = "csv",
    .extension = ".csv",
    .open = csv_open,
    .write = csv_write,
    .finish = csv_finish,
    .close = csv_close,
};
