/*
 * cli/validate.c — tally validate [OPTIONS] FILE...
 *
 * Checks every record of every file and writes the report to standard output
 * (or --report-file). Exit status: 0 no errors, 1 errors in the data (or
 * warnings with --fail-on warning), 2 usage, unreadable input, bad schema.
 */
#include <stdlib.h>

#include "cli/cli.h"

static const char usage[] =
    "usage: tally validate [OPTIONS] FILE|DIR...\n"
    "\n"
    "Check returns against the schema and the authority registry, and report\n"
    "every problem with its file, line and column. FILE may be - (standard input);\n"
    "a DIR is searched for .csv, .json, .ndjson, .jsonl, .xml, .xlsx, .xlsm and .ods\n"
    "files (the others are listed as skipped). Records that share a key are judged\n"
    "across all the files exactly as tally build judges them.\n"
    "\n"
    "  --schema FILE        use this schema instead of the built-in one\n"
    "  --registry FILE      use this authority registry instead of the built-in one\n"
    "  --format FMT         read inputs as csv, json, ndjson, xml, xlsx or ods\n"
    "                       (default: by extension, then by content)\n"
    "  --delimiter C        CSV field delimiter (default: a comma, or the one the\n"
    "                       header shows; \\t for tab)\n"
    "  --sheet NAME         the workbook sheet to read (default: the first)\n"
    "  --exclude GLOB       leave out what a DIR holds that matches GLOB (a name, or\n"
    "                       with a /, a path below DIR); repeatable\n"
    "  --clean              repair what can be repaired without guessing (each repair\n"
    "                       is an info diagnostic `repaired`)\n"
    "  --period START/END   the period every record must cover, e.g. 2014-10-01/2015-09-30\n"
    "  --report FMT         text (default), json, junit, github, sarif or html;\n"
    "                       repeat --report (each with its --report-file) for several\n"
    "  --report-file FILE   write the report named just before to FILE\n"
    "  --max-errors N       stop detailing after N errors (counts stay exact)\n"
    "  --fail-on LEVEL      error (default) or warning: what makes the exit status 1\n"
    "  -q, --quiet          errors only, no summary\n"
    "  --progress, --no-progress   the progress line on standard error (default:\n"
    "                       when it is a terminal)\n"
    "  -h, --help           this help\n"
    "\n"
    "Exit status: 0 no errors; 1 the data has errors; 2 usage error, unreadable\n"
    "file, or invalid schema or registry.\n"
    "\n"
    "Examples:\n"
    "  tally validate returns/kent.csv\n"
    "  tally validate --report json --report-file report.json --report junit \\\n"
    "      --report-file junit.xml returns/*.csv\n";

int cmd_validate(int argc, char **argv)
{
    struct cli_options o;
    unsigned allowed = OPT_SCHEMA | OPT_REGISTRY | OPT_FORMAT | OPT_DELIMITER | OPT_REPORT |
                       OPT_MAX_ERRORS | OPT_FAIL_ON | OPT_PERIOD | OPT_QUIET | OPT_PROGRESS | OPT_CLEAN |
                       OPT_EXCLUDE;
    if (!cli_parse(argc, argv, "validate", allowed, &o)) {
        free(o.files);
        return EXIT_TROUBLE;
    }
    if (o.help) {
        fputs(usage, stdout);
        free(o.files);
        return EXIT_OK;
    }
    if (o.nfiles == 0) {
        cli_error("validate: no input files (see tally validate --help)");
        free(o.files);
        return EXIT_TROUBLE;
    }
    struct cli_paths inputs = {0};
    struct session s = {.settle = true};
    int status = EXIT_TROUBLE;
    if (!cli_collect_inputs(&o, true, &inputs)) {
        /* printed */
    } else if (inputs.n == 0) {
        cli_error("validate: no returns found in the inputs given");
    } else if (session_open(&s, &o, stdout)) {
        s.skipped = inputs.skipped;
        s.nskipped = inputs.nskipped;
        s.walked = inputs.walked;
        s.nwalked = inputs.nwalked;
        session_expect(&s, inputs.v, inputs.n);
        for (size_t i = 0; i < inputs.n; i++)
            session_run_file(&s, inputs.v[i], NULL, NULL);
        session_settle(&s);     /* repeated keys across every file, as build judges them */
        status = session_close(&s);
    } else {
        session_close(&s);
    }
    cli_paths_free(&inputs);
    free(o.files);
    return status;
}
