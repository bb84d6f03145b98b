/*
 * source.h — one input opened the way the tally command opens it, from a
 * path or from memory; and one call that validates it.
 *
 * A source is an input (input.h) with its reader (reader.h) chosen as `tally
 * validate` chooses it: by the first bytes when they say the input is a
 * workbook, a document or an archive (magic bytes), else by the format asked
 * for, else by the name's ending (.csv, .json, ...), else by content. It may
 * read ahead on a thread of its own (large files), and gives the SHA-256 of
 * every byte once read. The order of calls:
 *
 *     tally_source_open (or tally_source_open_memory)
 *     tally_source_next ... until TALLY_DONE (or a failure)
 *     tally_source_sha256          (optional)
 *     tally_source_close
 *
 * Or, to validate an input in one call, tally_validate_file /
 * tally_validate_buffer: the same diagnostics, in the same order, that
 * `tally validate FILE` reports for that one file (see examples/).
 *
 * Threads: a source, like every library object, belongs to one thread at a
 * time; two threads may each use their own.
 */
#ifndef TALLY_SOURCE_H
#define TALLY_SOURCE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tally/diag.h"
#include "tally/reader.h"
#include "tally/record.h"
#include "tally/registry.h"
#include "tally/schema.h"
#include "tally/status.h"
#include "tally/validate.h"

#ifdef __cplusplus
extern "C" {
#endif

enum tally_read_ahead {
    TALLY_READ_AHEAD_AUTO = 0,  /* for a regular file of 1 MiB or more (never for memory) */
    TALLY_READ_AHEAD_OFF,
    TALLY_READ_AHEAD_ON,        /* always: the result is the same, only the threads differ */
};

struct tally_source_options {
    const char *format;         /* a reader's name ("csv", "json", ...), or NULL: choose */
    enum tally_read_ahead read_ahead;
    struct tally_reader_config reader;  /* schema (required), registry, sink, delimiter,
                                           clean, sheet: as reader.h says */
};

struct tally_source;

/*
 * Open path ("-": standard input) and choose its reader. A file that is not
 * a return tally can read (a Word document, a PDF, an archive) is not a
 * failure: its `format` error goes to the sink now, and the source then has
 * no records (tally_source_format is NULL). Fails with TALLY_EIO (cannot open
 * or read), TALLY_EFORMAT (an unknown format asked for) or TALLY_ENOMEM.
 * o is copied; what it points to is borrowed and must outlive the source.
 */
int tally_source_open(struct tally_source **out, const char *path,
                      const struct tally_source_options *o, struct tally_error *err);

/*
 * The same over len bytes of data (copied: the caller keeps data), named
 * name (NULL: "<memory>") in diagnostics and records, where a path would be.
 * The name's ending chooses the reader when o->format is NULL and the bytes
 * do not say what they are, as a path's does. The same bytes under the same
 * name give the same records and diagnostics as a file would.
 */
int tally_source_open_memory(struct tally_source **out, const void *data, size_t len,
                             const char *name, const struct tally_source_options *o,
                             struct tally_error *err);

/* The reader's name ("csv", "xlsx", ...), or NULL for a file that is not a return. */
const char *tally_source_format(const struct tally_source *s);

/* TALLY_RECORD with *rec (borrowed until the next call or close), TALLY_DONE,
 * or a failing status (TALLY_EIO, TALLY_ENOMEM) that ends the input. */
int tally_source_next(struct tally_source *s, struct tally_record **rec, struct tally_error *err);

/* Bytes of the input read so far (for a progress line). */
uint64_t tally_source_offset(const struct tally_source *s);

/* After the last tally_source_next: read what is left and write the SHA-256
 * of the whole input as 64 lowercase hex digits and a NUL. */
int tally_source_sha256(struct tally_source *s, char hex[65], struct tally_error *err);

void tally_source_close(struct tally_source *s);

/* What tally_validate_file and tally_validate_buffer check against. */
struct tally_validate_options {
    const struct tally_schema *schema;      /* required; borrowed */
    const struct tally_registry *registry;  /* NULL: no authority checks; borrowed */
    struct tally_validator_options validator;   /* --period */
    const char *format;         /* NULL: choose, as tally_source_open does */
    char delimiter;             /* CSV; 0: ',' */
    bool clean;                 /* --clean: repair, each repair an info `repaired` */
    const char *sheet;          /* a workbook's sheet; NULL: the first */
    struct tally_diag_sink sink;    /* every diagnostic, in order */
};

/* What a validation found. */
struct tally_validate_totals {
    uint64_t records;
    uint64_t errors, warnings, infos;   /* diagnostics sent to the sink, by severity */
};

/*
 * Validate the input at path as `tally validate [--clean] FILE` does: every
 * record through the validator, repeated keys settled at the end; every
 * diagnostic to o->sink and counted in *totals. Problems in the data are
 * diagnostics, not failures: TALLY_OK means the input was read to its end
 * (totals->errors > 0 means it cannot be accepted). Fails, with a message,
 * when it could not be: TALLY_EIO, TALLY_EFORMAT, TALLY_ENOMEM.
 */
int tally_validate_file(const char *path, const struct tally_validate_options *o,
                        struct tally_validate_totals *totals, struct tally_error *err);

/* The same for len bytes held in memory, named name (see tally_source_open_memory). */
int tally_validate_buffer(const void *data, size_t len, const char *name,
                          const struct tally_validate_options *o,
                          struct tally_validate_totals *totals, struct tally_error *err);

#ifdef __cplusplus
}
#endif

#endif
