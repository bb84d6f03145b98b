/*
 * report.h — the report interface: one implementation per report format
 * (text, json, ...), each registered in src/report/registry.c.
 *
 * The caller counts diagnostics and decides which are detailed (--max-errors,
 * --quiet); a report only renders what it is given: each detailed diagnostic
 * as it is found, each record that cannot be accepted although no detailed
 * error is about it (for reports with a test case per record), and the
 * totals, the files read and the files skipped at the end.
 */
#ifndef TALLY_REPORT_H
#define TALLY_REPORT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "tally/diag.h"
#include "tally/status.h"

#ifdef __cplusplus
extern "C" {
#endif

struct tally_schema;
struct tally_build_summary;

struct tally_report_file {
    const char *path;       /* as given on the command line */
    const char *format;     /* reader name, or NULL when the file could not be read */
    const char *sha256;     /* hex, or NULL */
    uint64_t records, errors, warnings;
};

/* A file under an input directory that was not read, and why. */
struct tally_report_skipped {
    const char *path;       /* as found in the walk */
    const char *reason;     /* "not a return: tally reads .csv, ..." */
};

struct tally_report_summary {
    const char *schema_name, *schema_version;
    const struct tally_schema *schema;  /* borrowed; its rules name rule codes */
    uint64_t files, records, errors, warnings, infos;
    uint64_t rules_evaluated, rules_skipped;
    uint64_t repairable;    /* without --clean: values --clean would repair */
    bool truncated;         /* some diagnostics were counted but not detailed */
    uint64_t max_errors;    /* the --max-errors limit, when truncated */
    bool quiet;             /* --quiet: only errors were detailed, and no summary
                               line in the text and GitHub reports */
    const struct tally_report_skipped *skipped;    /* files not read, in path order */
    size_t nskipped;
    char *const *walked;    /* the input directories walked, as given */
    size_t nwalked;
    /* tally build only (NULL otherwise): what the build tells its reports
     * (tally/build.h), borrowed. */
    const struct tally_build_summary *build;
};

struct tally_report;

struct tally_report_ops {
    const char *name;       /* --report name */
    /* Start a report written to out (borrowed; the caller closes it). */
    int (*open)(struct tally_report **r, FILE *out, struct tally_error *err);
    /* A detailed diagnostic. */
    int (*diag)(struct tally_report *r, const struct tally_diag *d);
    /* A record that cannot be accepted although no error detailed to this
     * report is about it: it inherits a file's (or submission's) error, or
     * its errors were not detailed (--max-errors). d (an error, with file and
     * record) says which and why; it is not a diagnostic and is not counted.
     * May be called more than once for a record. NULL: not wanted. */
    int (*rejected)(struct tally_report *r, const struct tally_diag *d);
    /* Write the totals and everything held back; files[0..nfiles) in input order. */
    int (*finish)(struct tally_report *r, const struct tally_report_summary *s,
                  const struct tally_report_file *files, size_t nfiles, struct tally_error *err);
    void (*close)(struct tally_report *r);
};

struct tally_report {
    const struct tally_report_ops *ops;
    FILE *out;
};

const struct tally_report_ops *tally_report_find(const char *name);

/* A Markdown summary (totals, a table of files) for $GITHUB_STEP_SUMMARY. */
void tally_report_markdown_summary(FILE *out, const struct tally_report_summary *s,
                                   const struct tally_report_file *files, size_t nfiles);
const struct tally_report_ops *const *tally_reports(void);

/* s as a JSON string with its quotes, escaped exactly as report.json escapes
 * (invalid UTF-8 as U+FFFD, so the output is UTF-8), or null when s is NULL:
 * for a caller writing JSON of its own next to the reports (the build's
 * manifest.json), so one name is spelled the same in both. */
void tally_report_json_string(FILE *out, const char *s);

/* One input file as report.json's "files" lists it — {"path": ..., "format":
 * ..., "sha256": ..., "records": N, "errors": N, "warnings": N — left open
 * for the caller to add members (manifest.json adds its own) and close. */
void tally_report_json_file(FILE *out, const struct tally_report_file *f);

/* One skipped file as report.json's "skipped" lists it: {"path", "reason"}. */
void tally_report_json_skipped(FILE *out, const struct tally_report_skipped *sk);

#ifdef __cplusplus
}
#endif

#endif
