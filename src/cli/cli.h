/*
 * cli/cli.h — the command line (internal to src/cli/, the only code that
 * prints or exits). main.c picks a command; options.c parses its options;
 * session.c runs files through reader → validator → (writer) and feeds the
 * reports; one file per command.
 */
#ifndef TALLY_CLI_H
#define TALLY_CLI_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "tally/reader.h"
#include "tally/registry.h"
#include "tally/report.h"
#include "tally/schema.h"
#include "tally/validate.h"
#include "tally/writer.h"

#define TALLY_VERSION "0.1.0"

enum { EXIT_OK = 0, EXIT_DATA = 1, EXIT_TROUBLE = 2 };

#define CLI_MAX_REPORTS 8

/* Which options a command accepts (bits). */
enum {
    OPT_SCHEMA = 1 << 0, OPT_REGISTRY = 1 << 1, OPT_FORMAT = 1 << 2, OPT_DELIMITER = 1 << 3,
    OPT_REPORT = 1 << 4, OPT_MAX_ERRORS = 1 << 5, OPT_FAIL_ON = 1 << 6, OPT_PERIOD = 1 << 7,
    OPT_QUIET = 1 << 8, OPT_TO = 1 << 9, OPT_OUTPUT = 1 << 10, OPT_EXPORT = 1 << 11,
};

struct cli_report {
    const char *format;     /* --report NAME */
    const char *file;       /* the --report-file that follows it, or NULL */
};

struct cli_options {
    const char *schema_path, *registry_path;
    const char *format;     /* --format */
    char delimiter;
    struct cli_report reports[CLI_MAX_REPORTS];
    size_t nreports;
    bool has_max_errors;
    uint64_t max_errors;
    bool fail_on_warning;
    bool has_period;
    int64_t period_start, period_end;
    bool quiet;
    const char *to, *output, *export_as;
    char **files;
    size_t nfiles;
    bool help;
};

/* Parse argv[0..argc) (after the command name). Prints a message and
 * returns false on a usage error. */
bool cli_parse(int argc, char **argv, const char *command, unsigned allowed,
               struct cli_options *o);

/* Print "tally: " and the message to standard error. */
void cli_error(const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 1, 2)))
#endif
    ;

/* Load --schema / --registry or the built-in ones. Prints and returns false on failure. */
bool cli_load_schema(const struct cli_options *o, struct tally_schema **schema);
bool cli_load_registry(const struct cli_options *o, struct tally_registry **registry);

/* A run over input files: counting, reports, exit status. */
struct session {
    const struct cli_options *opts;
    struct tally_schema *schema;
    struct tally_registry *registry;
    struct tally_validator *validator;
    struct {
        struct tally_report *report;
        FILE *fp;
        bool close_fp;
    } reports[CLI_MAX_REPORTS];
    size_t nreports;
    struct tally_report_file *files;
    size_t nfiles;
    char **sha;             /* per file, owned */
    uint64_t records, errors, warnings, infos, detailed_errors;
    bool truncated;
    bool trouble;           /* an unreadable file or an internal failure: exit 2 */
};

/* Set up from options; reports go to default_out unless --report-file. */
bool session_open(struct session *s, const struct cli_options *o, FILE *default_out);

/* Read, validate and (when w is not NULL) write every record of one file. */
void session_run_file(struct session *s, const char *path, struct tally_writer *w);

/* Write the reports; returns the exit status. Frees everything. */
int session_close(struct session *s);

int cmd_validate(int argc, char **argv);
int cmd_convert(int argc, char **argv);
int cmd_schema(int argc, char **argv);

#endif
