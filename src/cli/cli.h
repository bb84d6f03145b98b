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

#include "tally/build.h"
#include "tally/clean.h"
#include "tally/reader.h"
#include "tally/registry.h"
#include "tally/report.h"
#include "tally/schema.h"
#include "tally/settle.h"
#include "tally/source.h"
#include "tally/validate.h"
#include "tally/version.h"
#include "tally/writer.h"

#define TALLY_VERSION TALLY_VERSION_STRING

enum { EXIT_OK = 0, EXIT_DATA = 1, EXIT_TROUBLE = 2 };

#define CLI_MAX_REPORTS 8

/* Which options a command accepts (bits). */
enum {
    OPT_SCHEMA = 1 << 0, OPT_REGISTRY = 1 << 1, OPT_FORMAT = 1 << 2, OPT_DELIMITER = 1 << 3,
    OPT_REPORT = 1 << 4, OPT_MAX_ERRORS = 1 << 5, OPT_FAIL_ON = 1 << 6, OPT_PERIOD = 1 << 7,
    OPT_QUIET = 1 << 8, OPT_TO = 1 << 9, OPT_OUTPUT = 1 << 10, OPT_EXPORT = 1 << 11,
    OPT_BUILD = 1 << 12,    /* --previous, --outlier-factor, --outlier-min, --timestamp,
                               --disclosure, --no-disclosure, --publish */
    OPT_PROGRESS = 1 << 13, /* --progress, --no-progress */
    OPT_CLEAN = 1 << 14,    /* --clean */
    OPT_BOM = 1 << 15,      /* --bom */
    OPT_EXCLUDE = 1 << 16,  /* --exclude GLOB */
};

struct cli_report {
    const char *format;     /* --report NAME */
    const char *file;       /* the --report-file that follows it, or NULL */
    bool no_infos;          /* leave out info diagnostics (build's text report) */
    bool complete;          /* every diagnostic, whatever --max-errors and --quiet
                               say (report.json and report.html in a build's DIR) */
};

struct cli_options {
    const char *schema_path, *registry_path;
    const char *format;     /* --format */
    const char *sheet;      /* --sheet NAME: the workbook sheet to read */
    char delimiter;
    struct cli_report reports[CLI_MAX_REPORTS];
    size_t nreports;
    bool has_max_errors;
    uint64_t max_errors;
    bool fail_on_warning;
    bool has_period;
    int64_t period_start, period_end;
    bool quiet;
    bool clean;             /* --clean: repair what can be repaired, and say so */
    bool bom;               /* --bom: a CSV output starts with a UTF-8 byte order mark */
    const char *to, *output, *export_as;
    const char *previous;   /* --previous DATASET.csv */
    const char *population; /* --population FILE.csv */
    double outlier_factor;  /* --outlier-factor (default 3) */
    int64_t outlier_min;    /* --outlier-min (default 10) */
    bool timestamp;         /* --timestamp: the manifest records when the build ran */
    int disclosure;         /* --disclosure 1, --no-disclosure 0, default -1 (on with --publish) */
    const char *publish;    /* --publish FORMAT ("ees"), or NULL */
    bool force;             /* --force: build into a DIR holding what tally did not write */
    int progress;           /* --progress 1, --no-progress 0, default -1: when stderr is a terminal */
    char **files;
    size_t nfiles;
    char **excludes;        /* --exclude GLOB, in the order given: the tail of files[] */
    size_t nexcludes;
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

/* What a command does with each validated record: TALLY_OK to go on. */
typedef int (*session_each_fn)(void *ctx, struct tally_record *rec, struct tally_error *err);

/* A run over input files: counting, reports, exit status. */
struct session {
    const struct cli_options *opts;
    struct tally_schema *schema;
    struct tally_registry *registry;
    struct tally_validator *validator;
    struct tally_settler *settler;  /* repeated keys across the files (validate,
                                       convert); a build settles in its own */
    struct tally_cleaner *cleaner;  /* --clean, else NULL */
    struct tally_cleaner *dry;      /* without --clean: counts what it would repair */
    uint64_t repairable;            /* values --clean would have repaired */
    struct {
        struct tally_report *report;
        FILE *fp;
        bool close_fp;
        bool no_infos;
        bool complete;          /* see struct cli_report */
        /* The last record of the file being read that an error detailed to
         * this report was about, and the last told rejected (note_rejected). */
        uint64_t detailed_record, noted_record;
        const char *detailed_file, *noted_file;
    } reports[CLI_MAX_REPORTS];
    size_t nreports;
    struct tally_report_file *files;   /* one per file run, in order */
    size_t nfiles, files_cap;
    char **sha;             /* per file, owned */
    uint64_t records, errors, warnings, infos, detailed_errors;
    bool truncated;
    bool trouble;           /* an unreadable file or an internal failure: exit 2 */
    bool text_to_terminal;  /* a text report goes to standard output or error */
    bool report_failed;     /* a report could not keep a diagnostic (out of memory): exit 2 */
    bool settle;            /* settle repeated keys across the files (validate, convert) */
    /* Error codes of the record being read: its record index, and the codes. */
    uint64_t codes_record;
    char *codes;            /* owned; "a b c", codes_len bytes, NULL before the first */
    size_t codes_len, codes_cap;
    /* Files under the input directories that were not read (inputs.c). Borrowed. */
    const struct tally_report_skipped *skipped;
    size_t nskipped;
    /* The input directories walked, as given (inputs.c). Borrowed. */
    char *const *walked;
    size_t nwalked;
    /* Every diagnostic also goes here when set (build: into dataset.sqlite). */
    void (*tap)(void *ctx, const struct tally_diag *d);
    void *tap_ctx;
    /* The progress line: shown at all, when last drawn, bytes and records so far. */
    bool progress;
    double progress_start, progress_last;
    uint64_t progress_bytes;
    uint64_t progress_total;        /* bytes of all the inputs, 0: not known */
    /* tally build: what the reports say about fates and coverage. */
    bool build;
    struct tally_build_summary built;   /* fates, the build, the audit, --publish */
};

/* Set up from options; reports go to default_out unless --report-file. */
bool session_open(struct session *s, const struct cli_options *o, FILE *default_out);

/* The inputs the run will read, for the progress line's percentage and time
 * left: their total size, when every one is a regular file. */
void session_expect(struct session *s, char *const *paths, size_t n);

/* Send a diagnostic through the session: counted, detailed, tapped. A
 * struct tally_diag_sink's emit: ctx is the session. */
void session_emit(void *session, const struct tally_diag *d);

/* Read and validate every record of one file; hand each to `each` (may be
 * NULL). A failing `each` ends the file as trouble. */
void session_run_file(struct session *s, const char *path, session_each_fn each, void *ctx);

/* Settle the records that share a key, after the last file (settle.h): its
 * diagnostics go out through the session. A failure is trouble (exit 2). */
void session_settle(struct session *s);

/* The error codes raised for rec, space-separated ("" when none). */
const char *session_codes(const struct session *s, const struct tally_record *rec);

/* Write the reports; returns the exit status. Frees everything. */
int session_close(struct session *s);

/* The input files of a run (inputs.c). */
struct cli_paths {
    char **v;               /* owned */
    size_t n, cap;
    struct tally_report_skipped *skipped;   /* files under the directories not read,
                                               in path order; paths and reasons owned */
    size_t nskipped, skipped_cap;
    char **walked;          /* the directories walked, as given (borrowed strings) */
    size_t nwalked, walked_cap;
};

/* Files as given and directories walked for returns (each directory's in path
 * order), each file once; with sort, all in path order. What a walk does not
 * read goes to out->skipped, with the reason: also what an --exclude pattern
 * (o->excludes) matches, by fnmatch on the path relative to the directory
 * given or, for a pattern without '/', on the entry's name. Prints and
 * returns false on failure. */
bool cli_collect_inputs(const struct cli_options *o, bool sort, struct cli_paths *out);
void cli_paths_free(struct cli_paths *p);

/* dir + "/" + name, without doubling the slash. Caller frees; NULL when out of memory. */
char *cli_join(const char *dir, const char *name);

/* ---- a build's output directory (outdir.c) ---- */

/* The marker every build leaves in DIR: it lists the files the build wrote. */
#define TALLY_BUILD_MARKER ".tally-build"

/* A list of names (owned). */
struct cli_names {
    char **v;
    size_t n, cap;
};

struct outdir {
    char *given;            /* -o DIR as given, without trailing slashes; owned */
    char *real;             /* its real path (where it will be, when absent); owned */
    char *tmp;              /* the working directory beside it, once begun; owned */
    bool exists;
    bool foreign;           /* DIR holds what tally did not write (--force) */
    bool force;
    struct cli_names own;   /* the files of the previous build in DIR */
    struct cli_names wrote; /* the files of this build, as its marker lists them */
};

/* May DIR be built into (args: the inputs as given; inputs: as collected)?
 * Prints why not, and what to do, and returns false. Call outdir_free after. */
bool outdir_check(struct outdir *od, const char *dir, char *const *args, size_t nargs,
                  const struct cli_paths *inputs, bool force);

/* Create the working directory beside DIR (od->tmp). Prints and returns false. */
bool outdir_begin(struct outdir *od);

/* Write the marker into the working directory, listing every file in it and
 * manifest.json (written last). Prints and returns false. */
bool outdir_mark(struct outdir *od);

/* Put the working directory in DIR's place; of the old contents, delete what
 * the old build wrote. Prints and returns false (DIR is then as it was). */
bool outdir_commit(struct outdir *od);

/* Remove the working directory, if any (a failed build). */
void outdir_abandon(struct outdir *od);

/* Remove a directory of tally's own and everything in it (no link followed). */
bool outdir_remove(const char *path);

void outdir_free(struct outdir *od);

int cmd_validate(int argc, char **argv);
int cmd_convert(int argc, char **argv);
int cmd_schema(int argc, char **argv);
int cmd_build(int argc, char **argv);

#endif
