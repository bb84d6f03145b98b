/*
 * dataset.h — writing the outputs of a build (SPEC §8): the dataset as CSV,
 * JSON and XML, the records not accepted, and the SQLite database.
 *
 * Each writes to a stream (or, for SQLite, a path) the caller owns, and
 * returns TALLY_OK or TALLY_EIO/TALLY_ENOMEM with err set. Output depends only
 * on the build, never on the time or the order of inputs.
 */
#ifndef TALLY_DATASET_H
#define TALLY_DATASET_H

#include <stdio.h>

#include "tally/build.h"
#include "tally/diag.h"
#include "tally/report.h"

int tally_dataset_csv(FILE *out, const struct tally_build *b, struct tally_error *err);
int tally_dataset_json(FILE *out, const struct tally_build *b, struct tally_error *err);
int tally_dataset_xml(FILE *out, const struct tally_build *b, const struct tally_schema *schema,
                      struct tally_error *err);

/* rejects.csv: every record not accepted — fate, codes, where it came from,
 * and its values — in input order. files[i] names file index i. */
int tally_rejects_csv(FILE *out, const struct tally_build *b, const struct tally_schema *schema,
                      const char *const *files, struct tally_error *err);

/* dataset.sqlite: opened at the start of a build so diagnostics stream into
 * it; finished with the dataset, the records and the inputs. */
struct tally_sqlite;

struct tally_sqlite *tally_sqlite_open(const char *path, struct tally_error *err);

/* Store one diagnostic (every one, whatever --max-errors says). */
int tally_sqlite_diag(struct tally_sqlite *db, const struct tally_diag *d);

/* Store the dataset, every record with its provenance and fate, the input
 * files (with sha256 and counts) and the build's metadata (name/value pairs,
 * NULL-terminated), then close. The database is complete only after this. */
int tally_sqlite_finish(struct tally_sqlite *db, const struct tally_build *b,
                        const struct tally_schema *schema, const struct tally_report_file *files,
                        size_t nfiles, const char *const *meta, struct tally_error *err);

/* Free without finishing (after a failure). */
void tally_sqlite_close(struct tally_sqlite *db);

#endif
