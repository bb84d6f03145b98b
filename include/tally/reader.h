/*
 * reader.h — the reader interface: one implementation per input format.
 *
 * A reader is a pull parser. next() returns TALLY_RECORD with a record
 * (borrowed until the following next() or close()), TALLY_DONE at the end of
 * the input, or a failing status (I/O, out of memory) that ends the file.
 * Problems in the data are diagnostics sent to the configured sink; the
 * record they belong to comes back with errors > 0 and the run goes on.
 *
 * Each format registers one static const struct tally_reader_ops in the
 * table in src/readers/registry.c; nothing else knows the formats by name.
 */
#ifndef TALLY_READER_H
#define TALLY_READER_H

#include "tally/diag.h"
#include "tally/input.h"
#include "tally/record.h"
#include "tally/schema.h"
#include "tally/status.h"

#ifdef __cplusplus
extern "C" {
#endif

#define TALLY_MAX_VALUE_BYTES  65536   /* a longer value is a `limit` error */
#define TALLY_MAX_COLUMNS      4096    /* a wider CSV header is a `limit` error */

struct tally_registry;

struct tally_reader_config {
    const struct tally_schema *schema;  /* borrowed */
    const struct tally_registry *registry; /* borrowed, or NULL: tables (CSV, spreadsheets)
                                           use it to tell rows of abolished authorities */
    struct tally_diag_sink sink;
    char delimiter;                     /* CSV field delimiter; 0 means ',' */
    bool clean;                         /* --clean: repair what the format allows (an empty
                                           trailing CSV column, windows-1252 text) and say so */
    const char *sheet;                  /* --sheet: the workbook sheet to read; NULL: the first */
};

struct tally_reader;

struct tally_reader_ops {
    const char *name;               /* --format name: "csv", "json", ... */
    const char *const *extensions;  /* file name endings, NULL-terminated: ".csv" */
    /* Create a reader over in (borrowed; must outlive the reader). */
    int (*open)(struct tally_reader **out, struct tally_input *in,
                const struct tally_reader_config *cfg, struct tally_error *err);
    /* TALLY_RECORD, TALLY_DONE, or a failing status. */
    int (*next)(struct tally_reader *r, struct tally_record **rec, struct tally_error *err);
    /* Free the reader (not the input). */
    void (*close)(struct tally_reader *r);
};

/* What every reader embeds as its first member. */
struct tally_reader {
    const struct tally_reader_ops *ops;
    struct tally_input *in;
    struct tally_reader_config cfg;
    uint64_t records;       /* records returned so far */
};

/* The reader for a --format name, or NULL. */
const struct tally_reader_ops *tally_reader_find(const char *name);

/* The reader whose extension ends path, or NULL. */
const struct tally_reader_ops *tally_reader_for_path(const char *path);

/* Guess from content: the first non-space byte '<' is XML, '{' or '[' JSON,
 * anything else CSV. Reads (and keeps) the first bytes of in. Never NULL when
 * it returns TALLY_OK. */
int tally_reader_sniff(struct tally_input *in, const struct tally_reader_ops **ops,
                       struct tally_error *err);

/*
 * Open the reader `ops` over in, running it on a thread of its own a few
 * batches of records ahead of the caller (readers/ahead.c). The reader this
 * returns behaves exactly as ops' would: the same records, the same
 * diagnostics in the same order between them, the same final status. Until
 * it is closed, in belongs to it: read its offset with
 * tally_read_ahead_offset, and hash it after close.
 */
int tally_read_ahead_open(struct tally_reader **out, const struct tally_reader_ops *ops,
                          struct tally_input *in, const struct tally_reader_config *cfg,
                          struct tally_error *err);

/* Bytes of the input read when the record last returned was handed over. */
uint64_t tally_read_ahead_offset(const struct tally_reader *r);

/* All readers, NULL-terminated, for --help. */
const struct tally_reader_ops *const *tally_readers(void);

/*
 * A kind of file people send instead of a return — a workbook, a Word
 * document, a PDF, an archive — known by its first bytes (readers/magic.c).
 */
struct tally_file_kind {
    const char *name;       /* "xlsx", "ods", "docx", "xls", "pdf", "zip", ... */
    const char *reader;     /* the --format name of the reader that reads it, or NULL */
    const char *what;       /* "an Excel workbook" */
    const char *advice;     /* what to do: "save it as CSV UTF-8 and give tally the .csv file" */
};

#define TALLY_FILE_KIND_BYTES 8             /* enough to tell most kinds ... */
#define TALLY_FILE_KIND_ZIP_BYTES 65536     /* ... and this much of a zip archive */

/* How many of a file's first bytes tally_file_kind needs, given the first
 * TALLY_FILE_KIND_BYTES (or fewer, in a shorter file) in buf[0..len). */
size_t tally_file_kind_bytes(const unsigned char *buf, size_t len);

/* The kind of the file whose first bytes are buf[0..len), or NULL when it is
 * none of them (it may be a return). path (may be NULL) only tells a Word
 * 97-2003 .doc from an Excel .xls. The result is static. */
const struct tally_file_kind *tally_file_kind(const unsigned char *buf, size_t len,
                                              const char *path);

/* Is reader (a --format name) the reader of one of the kinds above (xlsx, ods)? */
bool tally_file_kind_reader(const char *reader);

/*
 * Choose the reader for in, whose path is path: by its first bytes when they
 * say what it is (a file of a kind above is never read as text, whatever its
 * name or --format says: it is read by the kind's reader when tally has one,
 * or by a workbook reader that its name or --format asks for, which tells a
 * damaged or locked workbook from others), then by format (the --format name,
 * or NULL), then by path's ending, then by content (tally_reader_sniff). Reads (and keeps) the first bytes of in. On TALLY_OK,
 * *ops is the reader — or NULL, with *kind set, for a file that is not a
 * return tally can read. Fails only with TALLY_EIO (reading) or TALLY_EFORMAT.
 */
int tally_reader_choose(struct tally_input *in, const char *path, const char *format,
                        const struct tally_reader_ops **ops, const struct tally_file_kind **kind,
                        struct tally_error *err);

/* The endings of the files a directory walk reads, from every reader's
 * extensions: ".csv, .json, .ndjson, .jsonl and .xml" (and so on). Caller
 * frees; NULL when out of memory. */
char *tally_reader_endings(void);

#ifdef __cplusplus
}
#endif

#endif
