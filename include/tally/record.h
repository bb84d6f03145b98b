/*
 * record.h — one record: one authority, one period, one cohort.
 *
 * A reader fills a record's fields with the text it found and where it found
 * it; the validator then parses each text into a value (value.h). Fields are
 * indexed by the schema's field index, so every stage looks a field up by
 * position, never by name. All text is borrowed from the reader, valid until
 * the reader's next call to next() or close().
 */
#ifndef TALLY_RECORD_H
#define TALLY_RECORD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tally/value.h"

#ifdef __cplusplus
extern "C" {
#endif

/* A position in an input file. Lines and columns are 1-based; 0 means none. */
struct tally_loc {
    uint32_t line;
    uint32_t column;        /* characters (not bytes) from the line's start */
    uint64_t offset;        /* bytes from the start of the file */
};

enum tally_path_kind {
    TALLY_PATH_NONE = 0,    /* CSV: line and column say it all */
    TALLY_PATH_POINTER,     /* JSON: paths are JSON Pointers */
    TALLY_PATH_XPATH,       /* XML: paths are XPaths */
    TALLY_PATH_CELL         /* spreadsheets: the path is the sheet's name as a cell
                               reference writes it ("Sheet1", "'My sheet'"); the
                               location's line and column give the cell */
};

/* The longest path of kind TALLY_PATH_CELL (a quoted sheet name), in bytes:
 * spreadsheet readers refuse a sheet whose name would be longer. */
#define TALLY_MAX_SHEET_REF 512

struct tally_field {
    const char *text;       /* the text as read (NUL-terminated); NULL when absent */
    size_t len;             /* bytes in text */
    struct tally_loc loc;   /* where the value starts (a quoted CSV value: its quote) */
    const char *path;       /* JSON Pointer or XPath of the value, or NULL */
    struct tally_value value; /* set by the validator */
    bool error;             /* the validator found this field in error */
    bool bad;               /* the reader already reported this value (a JSON true
                               where a count belongs): the validator leaves it
                               INVALID without a second diagnostic */
};

struct tally_record {
    const char *file;       /* input path as given */
    uint64_t index;         /* 1-based index of the record in its file */
    struct tally_loc loc;   /* where the record starts */
    const char *path;       /* JSON Pointer or XPath of the record, or NULL */
    enum tally_path_kind path_kind;
    size_t nfields;         /* the schema's field count */
    struct tally_field *fields; /* nfields slots, by schema field index */
    unsigned errors;        /* error diagnostics raised for this record so far */
    unsigned warnings;      /* warning diagnostics raised for this record so far */
    const char *inherited;  /* code of a file-level error that rejects every record
                               (e.g. "csv-header-missing"), or NULL */
};

/* Narrow s[0..*len) to leave out spaces and tabs at either end. */
void tally_trim(const char **s, size_t *len);

/*
 * The text a field stands for once validated — what writers emit: the parsed
 * value's canonical text when there is one (a count without leading zeros,
 * the registry's authority name, trimmed text), else the text as read with
 * surrounding spaces trimmed. *len receives its length; NULL (len 0) for a
 * missing value. Borrowed like the field's text.
 */
const char *tally_field_output(const struct tally_field *f, size_t *len);

#ifdef __cplusplus
}
#endif

#endif
