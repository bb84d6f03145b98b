/*
 * report/registry.c — the table of report formats, looked up by --report name.
 */
#include <string.h>

#include "report/reports.h"

static const struct tally_report_ops *const reports[] = {
    &tally_text_report,
    &tally_json_report,
    &tally_html_report,
    &tally_junit_report,
    &tally_github_report,
    &tally_sarif_report,
    NULL,
};

const struct tally_report_ops *const *tally_reports(void)
{
    return reports;
}

const struct tally_report_ops *tally_report_find(const char *name)
{
    for (size_t i = 0; reports[i]; i++)
        if (strcmp(reports[i]->name, name) == 0)
            return reports[i];
    return NULL;
}
