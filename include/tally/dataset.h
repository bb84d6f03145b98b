/*
 * dataset.h — writing the outputs of a build (doc/dataset-format.md): the dataset as CSV,
 * JSON and XML, the records not accepted, and the SQLite database.
 *
 * Each writes to a stream (or, for SQLite, a path) the caller owns, and
 * returns TALLY_OK or TALLY_EIO/TALLY_ENOMEM with err set. Output depends only
 * on the build, never on the time or the order of inputs.
 */
#ifndef TALLY_DATASET_H
#define TALLY_DATASET_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "tally/build.h"
#include "tally/diag.h"
#include "tally/registry.h"

#ifdef __cplusplus
extern "C" {
#endif

int tally_dataset_csv(FILE *out, const struct tally_build *b, struct tally_error *err);
int tally_dataset_json(FILE *out, const struct tally_build *b, struct tally_error *err);
int tally_dataset_xml(FILE *out, const struct tally_build *b, const struct tally_schema *schema,
                      struct tally_error *err);

/*
 * DfE's explore-education-statistics (EES) open data format (--publish ees):
 * one data file and its metadata file.
 *
 * EES's name for a period: time_period ("201415", "2015") and time_identifier
 * ("Financial year"), from its first and last days: April-March a Financial
 * year, September-August an Academic year, January-December a Calendar year,
 * 6 April-5 April a Tax year, a financial quarter or half, a calendar month,
 * and any other twelve-month window a Reporting year named by its end year.
 * group: EES's list the identifier is on; one file holds one list's periods.
 * false when EES has no name for it.
 */
struct tally_ees_time {
    char period[8];         /* "201415" or "2015" */
    const char *identifier; /* static text */
    int group;
};
bool tally_ees_time(const char *period_start, const char *period_end, struct tally_ees_time *out);

/* Check that EES can name every period of the build, in one file: a
 * `publish-period` error to sink for each period it cannot (or that clashes
 * with another). Returns how many. */
size_t tally_ees_check(const struct tally_build *b, struct tally_diag_sink sink);

/* What tally_ees_write wrote. */
struct tally_ees_result {
    uint64_t rows;          /* data rows */
    const char **left_out;  /* authorities left out (outside England: EES's local
                               authority lookups are England's), "CODE NAME",
                               distinct, sorted; owned (free with tally_ees_result_fini) */
    size_t nleft_out;
};

/* Write the data file and the metadata file of the build's rows (already
 * disclosure-controlled when that was asked for). The schema must have an
 * "ees" section; reg gives each English authority's DfE number (old_la_code).
 * Call tally_ees_check first. TALLY_EIO, TALLY_ENOMEM, TALLY_ESCHEMA. */
int tally_ees_write(FILE *data, FILE *meta, const struct tally_build *b,
                    const struct tally_schema *schema, const struct tally_registry *reg,
                    struct tally_ees_result *result, struct tally_error *err);
void tally_ees_result_fini(struct tally_ees_result *result);

/* rejects.csv: every record not accepted — fate, codes, where it came from,
 * and its values — in input order. files[i] names file index i. */
int tally_rejects_csv(FILE *out, const struct tally_build *b, const struct tally_schema *schema,
                      const char *const *files, struct tally_error *err);

/* dataset.sqlite: opened at the start of a build so diagnostics stream into
 * it; finished with the dataset, the records and the inputs. */
struct tally_sqlite;

/* One input file of a build, as dataset.sqlite's files and records tables
 * describe it. */
struct tally_dataset_input {
    const char *path;       /* as given */
    const char *format;     /* its reader's name, or NULL when it could not be read */
    const char *sha256;     /* hex, or NULL */
    uint64_t records, errors, warnings;
};

struct tally_sqlite *tally_sqlite_open(const char *path, struct tally_error *err);

/* Store one diagnostic (every one, whatever --max-errors says). */
int tally_sqlite_diag(struct tally_sqlite *db, const struct tally_diag *d);

/* Store the dataset, every record with its provenance and fate, the input
 * files (with sha256 and counts) and the build's metadata (name/value pairs,
 * NULL-terminated), then close. The database is complete only after this. */
int tally_sqlite_finish(struct tally_sqlite *db, const struct tally_build *b,
                        const struct tally_schema *schema, const struct tally_dataset_input *files,
                        size_t nfiles, const char *const *meta, struct tally_error *err);

/* Free without finishing (after a failure). */
void tally_sqlite_close(struct tally_sqlite *db);

#ifdef __cplusplus
}
#endif

#endif
