/*
 * build.h — the national dataset (doc/dataset-format.md).
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
#include <stddef.h>
#include <stdint.h>

#include "tally/diag.h"
#include "tally/record.h"
#include "tally/registry.h"
#include "tally/schema.h"
#include "tally/settle.h"
#include "tally/status.h"

#ifdef __cplusplus
extern "C" {
#endif

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

/* Where an authority row's figures come from (areas: always REPORTED). */
enum tally_row_source {
    TALLY_ROW_REPORTED = 0, /* an accepted record */
    TALLY_ROW_REJECTED,     /* none accepted, but the authority sent one that was not
                               (rejected, or superseded by one that was rejected) */
    TALLY_ROW_NOTHING       /* the authority sent nothing for this period and cohort */
};

/* A cell's disclosure control (tally_build_disclose). */
enum tally_sdc_mark {
    TALLY_SDC_NONE = 0,     /* published as computed */
    TALLY_SDC_PRIMARY,      /* a protected count in the suppressed range, or a ratio of one */
    TALLY_SDC_SECONDARY     /* suppressed so that no primary cell can be recovered */
};

/* One row of the dataset. Counts are text: a number, or "x" when no
 * accepted authority gave a number. Every authority in force on the period's
 * last day has a row for every cohort, whether it reported or not. */
struct tally_dataset_row {
    const char *period_start, *period_end, *cohort;
    const char *level;      /* "uk", "country", "region", "authority" */
    const char *area_code, *area_name, *country_code, *region_code;
    char **measures;        /* one per integer field of the schema, in schema order */
    char **ratios;          /* one per schema ratio: "12.5", or "" */
    unsigned reporting, expected;
    bool complete;
    enum tally_row_source source;   /* authority rows: reported, rejected or nothing */
    bool partial;           /* authority rows: it sent an accepted record for some of the
                               period's cohorts but not for all of them */
    unsigned *numbers;      /* per measure: accepted authorities that gave a number */
    unsigned *symbols;      /* per measure: accepted authorities that gave a symbol */
    unsigned char *sdc;     /* per measure: enum tally_sdc_mark */
    unsigned char *ratio_sdc;   /* per ratio: enum tally_sdc_mark */
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
 * when it is not a dataset. The dataset then gains, per count and per ratio,
 * <name>_previous (the value of the same area and cohort in the previous
 * dataset's latest period that ended before the row's period starts; x, or
 * "" for a ratio, when there is none) and <name>_change (tally_format_change).
 */
int tally_build_load_previous(struct tally_build *b, const char *csv, size_t len,
                              struct tally_error *err);

/*
 * How many counts of the previous dataset the schema's disclosure policy
 * would suppress (a protected count in its range, such as 3) that it
 * publishes; the first is described in example. A build under disclosure
 * control must not republish them as _previous values.
 */
size_t tally_build_previous_unprotected(const struct tally_build *b, char *example, size_t size);

/*
 * Load --population: CSV text (path names it in diagnostics and is copied)
 * with a header naming an area code, a year and a number of children (aged
 * 0 to 17): area_code,year,population (or ONS spellings: geography_code,
 * mid_year, obs_value ...). Call before finish. Each row that cannot be used
 * is an error diagnostic at its line and column (a code that is not an
 * authority, region, nation or the UK; a year that is not four digits; a
 * population that is not a number, negative or 0; an area and year given
 * twice with different numbers — neither is used); the same row given twice
 * is an info, kept once. Fails (TALLY_EINVAL, with a message) only when the
 * text is not UTF-8, is empty, or has no such header. The dataset then gains
 * <count>_per_10000 for each count of the schema's ratios.
 */
int tally_build_load_population(struct tally_build *b, const char *path, const char *text,
                                size_t len, struct tally_error *err);

/*
 * Decide fates (duplicate, superseded, conflict diagnostics), report
 * coverage and change outliers, and aggregate.
 */
int tally_build_finish(struct tally_build *b, struct tally_error *err);

/* Every record, in the order added. Borrowed. */
size_t tally_build_nrecords(const struct tally_build *b);
const struct tally_build_record *tally_build_record_at(const struct tally_build *b, size_t i);

/* Dataset rows, sorted (doc/dataset-format.md §1). Borrowed. */
size_t tally_build_nrows(const struct tally_build *b);
const struct tally_dataset_row *tally_build_row_at(const struct tally_build *b, size_t i);

/* The dataset's column names, in order; NULL-terminated. Borrowed. */
const char *const *tally_build_columns(const struct tally_build *b);

enum tally_column_kind {
    TALLY_COLUMN_TEXT,      /* periods, cohort, level, codes, names */
    TALLY_COLUMN_COUNT,     /* a number, or a symbol such as "x" */
    TALLY_COLUMN_RATIO,     /* a decimal such as "35.7", or "" */
    TALLY_COLUMN_INTEGER,   /* authorities_reporting, authorities_expected */
    TALLY_COLUMN_BOOLEAN,   /* complete: "true" or "false" */
    TALLY_COLUMN_CHANGE     /* --previous: a count's change, "-12" or a symbol ("x", "c") */
};

enum tally_column_kind tally_build_column_kind(const struct tally_build *b, size_t column);

/* The text of a row's cell in column `column`. buf (24 bytes) holds it when
 * it has to be formatted; otherwise the text is borrowed from the build. */
const char *tally_build_cell(const struct tally_build *b, const struct tally_dataset_row *row,
                             size_t column, char buf[24]);

/*
 * 100 × num / den to one decimal place, rounded half up (6.25 → "6.3"), into
 * buf (at least 32 bytes). num ≥ 0 and den > 0; returns false otherwise.
 */
bool tally_format_percent(int64_t num, int64_t den, char *buf, size_t size);

/*
 * per × num / den to one decimal place, rounded half up, into buf (at least
 * 32 bytes): tally_format_rate(7, 4000, 10000, ...) is "17.5" (per 10,000).
 * num ≥ 0, den > 0 and 0 < per ≤ 1,000,000; returns false otherwise.
 */
bool tally_format_rate(int64_t num, int64_t den, int64_t per, char *buf, size_t size);

/*
 * The change from previous to current into buf (at least 32 bytes): counts
 * ("412" − "398" = "14"), or with decimal one-decimal figures in tenths
 * ("35.7" − "36.0" = "-0.3", percentage points). When either side is not a
 * number: the suppression symbol if either side is it (a change must never
 * give a suppressed figure away), else "x" (counts) or "" (decimals).
 */
bool tally_format_change(const char *current, const char *previous, bool decimal,
                         const char *suppressed, char *buf, size_t size);

/* A period whose coverage is low: fewer than half the authorities in force on
 * its last day sent an accepted record (any cohort). Its totals are warned
 * about (`coverage-low`) in every report. */
#define TALLY_COVERAGE_LOW_PERCENT 50

/* The periods of the dataset, in row order, with how many authorities were
 * expected and reported (any cohort) and whether that is low. Borrowed. */
struct tally_period_coverage {
    const char *start, *end;
    unsigned expected, reporting;
    bool low;
};
size_t tally_build_nperiods(const struct tally_build *b);
const struct tally_period_coverage *tally_build_period_at(const struct tally_build *b, size_t i);

/* Mutable access to a row, for disclosure control (disclosure.h). */
struct tally_dataset_row *tally_build_row_mut(struct tally_build *b, size_t i);

/* The schema's integer fields that are the rows' measures: measure m is field
 * tally_build_measure_field(b, m). */
size_t tally_build_nmeasures(const struct tally_build *b);
size_t tally_build_measure_field(const struct tally_build *b, size_t m);

/* Records per fate; coverage: authorities expected and reporting over all periods. */
uint64_t tally_build_fate_count(const struct tally_build *b, enum tally_fate fate);
uint64_t tally_build_file_fate_count(const struct tally_build *b, size_t file, enum tally_fate fate);
uint64_t tally_build_missing_authorities(const struct tally_build *b);

void tally_build_free(struct tally_build *b);

/* tally build --publish: what was published, in which format. */
struct tally_build_publication {
    const char *format;         /* "ees" */
    const char *data_file, *meta_file;  /* paths inside the output directory */
    uint64_t rows;              /* rows of the data file */
    const char *const *left_out;    /* authorities left out ("CODE NAME"), borrowed */
    size_t nleft_out;
};

struct tally_disclosure_audit;

/* What a build tells its reports (tally_report_summary.build); all borrowed. */
struct tally_build_summary {
    uint64_t fates[4];          /* records per fate, as enum tally_fate */
    uint64_t authorities_missing;   /* authorities in force that sent nothing */
    const struct tally_build *dataset;  /* the finished build (rows for charts) */
    /* the disclosure audit when the outputs are disclosure-controlled (NULL
     * when not); waived: --no-disclosure was said */
    const struct tally_disclosure_audit *disclosure;
    bool disclosure_waived;
    const struct tally_build_publication *publication;  /* --publish, or NULL */
};

#ifdef __cplusplus
}
#endif

#endif
