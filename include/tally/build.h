/*
 * build.h — the national dataset (SPEC §8).
 *
 * Feed every validated record of every return to tally_build_add, in a fixed
 * order (the CLI sorts its inputs), then call tally_build_finish. It decides
 * each record's fate — accepted, rejected, superseded or duplicate, exactly
 * one each, by the rule of settle.h (the one validate applies too) — and
 * aggregates the accepted records through the registry as it stood on each
 * period's last day: authority → English region → nation → UK.
 *
 *   b = tally_build_new(schema, registry, &opts, sink, &err);
 *   for each record: tally_validator_check(v, rec); tally_build_add(b, rec, file, codes);
 *   tally_build_finish(b, &err);
 *   tally_build_records(b) ... tally_build_rows(b) ...
 */
#ifndef TALLY_BUILD_H
#define TALLY_BUILD_H

#include <stdbool.h>
#include <stdint.h>

#include "tally/diag.h"
#include "tally/record.h"
#include "tally/registry.h"
#include "tally/schema.h"
#include "tally/settle.h"
#include "tally/status.h"

struct tally_build_options {
    double outlier_factor;  /* --outlier-factor: warn when a count changes by more than this */
    int64_t outlier_min;    /* --outlier-min: ... and by at least this much */
};

/* A record as the build keeps it: its values as text, and where it came from. */
struct tally_build_record {
    size_t file;            /* index of its file, in the order files were added */
    uint64_t index;         /* 1-based record index in the file */
    struct tally_loc loc;   /* where it starts */
    const char *path;       /* JSON Pointer or XPath of the record, or NULL */
    enum tally_path_kind path_kind;
    const char **values;    /* per schema field: canonical text, NULL when missing */
    enum tally_kind *kinds; /* per schema field: the validated kind */
    int64_t *numbers;       /* per schema field: the number (counts, dates) */
    enum tally_fate fate;
    char *codes;            /* space-separated codes that decided a non-accepted fate */
};

/* One row of the dataset. Counts are text: a number, or "x" when no
 * accepted authority gave a number. */
struct tally_dataset_row {
    const char *period_start, *period_end, *cohort;
    const char *level;      /* "uk", "country", "region", "authority" */
    const char *area_code, *area_name, *country_code, *region_code;
    char **measures;        /* one per integer field of the schema, in schema order */
    char **ratios;          /* one per schema ratio: "12.5", or "" */
    unsigned reporting, expected;
    bool complete;
};

struct tally_build;

/* schema and registry are borrowed and must outlive the build. */
struct tally_build *tally_build_new(const struct tally_schema *schema,
                                    const struct tally_registry *registry,
                                    const struct tally_build_options *opts,
                                    struct tally_diag_sink sink, struct tally_error *err);

/*
 * Start a new input file (its path is borrowed and must outlive the build).
 * Returns its index.
 */
size_t tally_build_add_file(struct tally_build *b, const char *path);

/*
 * Keep a validated record of the current file. A record with errors is
 * rejected now, with `codes` (space-separated, may be NULL) as the reason.
 */
int tally_build_add(struct tally_build *b, const struct tally_record *rec, const char *codes,
                    struct tally_error *err);

/*
 * Load the previously published dataset (CSV text of dataset.csv) for
 * change checks. Call before finish. Fails with TALLY_EINVAL and a message
 * when it is not a dataset.
 */
int tally_build_load_previous(struct tally_build *b, const char *csv, size_t len,
                              struct tally_error *err);

/*
 * Decide fates (duplicate, superseded, conflict diagnostics), report
 * coverage and change outliers, and aggregate.
 */
int tally_build_finish(struct tally_build *b, struct tally_error *err);

/* Every record, in the order added. Borrowed. */
size_t tally_build_nrecords(const struct tally_build *b);
const struct tally_build_record *tally_build_record_at(const struct tally_build *b, size_t i);

/* Dataset rows, sorted (SPEC §8). Borrowed. */
size_t tally_build_nrows(const struct tally_build *b);
const struct tally_dataset_row *tally_build_row_at(const struct tally_build *b, size_t i);

/* The dataset's column names, in order; NULL-terminated. Borrowed. */
const char *const *tally_build_columns(const struct tally_build *b);

enum tally_column_kind {
    TALLY_COLUMN_TEXT,      /* periods, cohort, level, codes, names */
    TALLY_COLUMN_COUNT,     /* a number, or a symbol such as "x" */
    TALLY_COLUMN_RATIO,     /* a decimal such as "35.7", or "" */
    TALLY_COLUMN_INTEGER,   /* authorities_reporting, authorities_expected */
    TALLY_COLUMN_BOOLEAN    /* complete: "true" or "false" */
};

enum tally_column_kind tally_build_column_kind(const struct tally_build *b, size_t column);

/* The text of a row's cell in column `column`. buf (24 bytes) holds it when
 * it has to be formatted; otherwise the text is borrowed from the build. */
const char *tally_build_cell(const struct tally_build *b, const struct tally_dataset_row *row,
                             size_t column, char buf[24]);

/* Records per fate; coverage: authorities expected and reporting over all periods. */
uint64_t tally_build_fate_count(const struct tally_build *b, enum tally_fate fate);
uint64_t tally_build_file_fate_count(const struct tally_build *b, size_t file, enum tally_fate fate);
uint64_t tally_build_missing_authorities(const struct tally_build *b);

void tally_build_free(struct tally_build *b);

#endif
