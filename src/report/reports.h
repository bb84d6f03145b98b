/*
 * report/reports.h — the report implementations (internal); registry.c lists them.
 */
#ifndef TALLY_REPORTS_H
#define TALLY_REPORTS_H

#include "tally/build.h"
#include "tally/report.h"

/* The finished build of a build's report, or NULL (validate, convert). */
static inline const struct tally_build *report_dataset(const struct tally_report_summary *s)
{
    return s->build ? s->build->dataset : NULL;
}

extern const struct tally_report_ops tally_text_report;
extern const struct tally_report_ops tally_json_report;
extern const struct tally_report_ops tally_html_report;
extern const struct tally_report_ops tally_junit_report;
extern const struct tally_report_ops tally_github_report;
extern const struct tally_report_ops tally_sarif_report;

/* A report's spool: a temporary file for its rendered diagnostics. NULL,
 * with err set (TALLY_EIO), when none can be made; report names it. */
FILE *tally_spool_open(const char *report, struct tally_error *err);

/* Copy a spool to out, from its start. TALLY_EIO, with err saying which of
 * reading the spool and writing out failed. */
int tally_spool_copy(FILE *spool, FILE *out, const char *report, struct tally_error *err);

#endif
