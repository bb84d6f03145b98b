/*
 * writer.h — the writer interface: one implementation per output format.
 *
 * begin → write per record → finish. Writers emit the schema's fields in the
 * schema's order. They write validated records: a field's parsed value when
 * it has one (registry name, trimmed text), else its text as read, so that
 * converting never loses what was in a return.
 *
 * Each format registers one static const struct tally_writer_ops in the
 * table in src/writers/registry.c.
 */
#ifndef TALLY_WRITER_H
#define TALLY_WRITER_H

#include <stdio.h>

#include "tally/record.h"
#include "tally/schema.h"
#include "tally/status.h"

#ifdef __cplusplus
extern "C" {
#endif

struct tally_writer;

struct tally_writer_ops {
    const char *name;           /* --to name: "csv", "json", ... */
    const char *extension;      /* for output file names: ".csv" */
    /* Start writing to out (borrowed; the caller closes it). */
    int (*open)(struct tally_writer **w, FILE *out, const struct tally_schema *schema,
                struct tally_error *err);
    int (*write)(struct tally_writer *w, const struct tally_record *rec, struct tally_error *err);
    /* Write any trailer; the output is complete after this. */
    int (*finish)(struct tally_writer *w, struct tally_error *err);
    void (*close)(struct tally_writer *w);
};

/* What every writer embeds as its first member. */
struct tally_writer {
    const struct tally_writer_ops *ops;
    FILE *out;
    const struct tally_schema *schema;
};

const struct tally_writer_ops *tally_writer_find(const char *name);
const struct tally_writer_ops *const *tally_writers(void);

#ifdef __cplusplus
}
#endif

#endif
