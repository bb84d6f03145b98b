/*
 * cli/session.c — one run of tally over its input files.
 *
 *   file → tally_input → reader (by --format, extension or content)
 *        → each record → validator → writer (convert) ;
 *   every diagnostic → sink: counted, then detailed to each report unless
 *   --max-errors has stopped the details.
 */
#include <errno.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"

#define MAX_CONFIG_BYTES (64u << 20)    /* a schema or registry file larger than this is refused */

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Read a whole configuration file (schema, registry). Caller frees. */
static char *read_config(const char *path, size_t *len, const char *what)
{
    struct tally_input in;
    struct tally_error err;
    if (tally_input_open(&in, path, &err) != TALLY_OK) {
        cli_error("%s: %s", what, err.message);
        return NULL;
    }
    while (!in.eof && in.len <= MAX_CONFIG_BYTES)
        if (tally_input_fill(&in, &err) != TALLY_OK) {
            cli_error("%s: %s", what, err.message);
            tally_input_close(&in);
            return NULL;
        }
    char *text = NULL;
    if (in.len > MAX_CONFIG_BYTES)
        cli_error("%s: \"%s\" is larger than %u MiB", what, path, MAX_CONFIG_BYTES >> 20);
    else if (!(text = malloc(in.len + 1)))
        cli_error("out of memory");
    else {
        memcpy(text, in.buf, in.len);
        text[in.len] = '\0';
        *len = in.len;
    }
    tally_input_close(&in);
    return text;
}

bool cli_load_schema(const struct cli_options *o, struct tally_schema **schema)
{
    struct tally_error err;
    if (!o->schema_path) {
        *schema = tally_schema_load_default(&err);
    } else {
        size_t len;
        char *text = read_config(o->schema_path, &len, "schema");
        if (!text)
            return false;
        *schema = tally_schema_load(text, len, &err);
        free(text);
    }
    if (!*schema)
        cli_error("schema %s: %s", o->schema_path ? o->schema_path : "(built in)", err.message);
    return *schema != NULL;
}

bool cli_load_registry(const struct cli_options *o, struct tally_registry **registry)
{
    struct tally_error err;
    if (!o->registry_path) {
        *registry = tally_registry_load_default(&err);
    } else {
        size_t len;
        char *text = read_config(o->registry_path, &len, "registry");
        if (!text)
            return false;
        *registry = tally_registry_load(text, len, &err);
        free(text);
    }
    if (!*registry)
        cli_error("registry %s: %s", o->registry_path ? o->registry_path : "(built in)",
                  err.message);
    return *registry != NULL;
}

/* Remember an error's code against the record it is about: every distinct
 * code, however many (the codes column of rejects.csv lists them all). Out of
 * memory, the reports cannot say the record's whole story: exit 2. */
static void note_code(struct session *s, const struct tally_diag *d)
{
    if (d->severity != TALLY_SEV_ERROR || d->record == 0)
        return;
    if (d->record != s->codes_record) {
        s->codes_record = d->record;
        s->codes_len = 0;
        if (s->codes)
            s->codes[0] = '\0';
    }
    size_t n = strlen(d->code), have = s->codes_len;
    for (const char *p = have ? strstr(s->codes, d->code) : NULL; p; p = strstr(p + 1, d->code))
        if ((p == s->codes || p[-1] == ' ') && (p[n] == ' ' || p[n] == '\0'))
            return;     /* already noted */
    size_t need = have + (have != 0) + n + 1;
    if (need > s->codes_cap) {
        char *grown = need <= SIZE_MAX / 2 ? realloc(s->codes, 2 * need) : NULL;
        if (!grown) {
            s->report_failed = true;
            return;
        }
        s->codes = grown;
        s->codes_cap = 2 * need;
    }
    if (have)
        s->codes[have++] = ' ';
    memcpy(s->codes + have, d->code, n + 1);
    s->codes_len = have + n;
}

const char *session_codes(const struct session *s, const struct tally_record *rec)
{
    return rec->index == s->codes_record && s->codes ? s->codes : "";
}

/* The file a diagnostic is about: usually the one being read; after the
 * files (a build's repeated keys), any of them. NULL when none. */
static struct tally_report_file *file_of(struct session *s, const char *path)
{
    if (!path || s->nfiles == 0)
        return NULL;
    for (size_t i = s->nfiles; i-- > 0;)
        if (s->files[i].path == path || strcmp(s->files[i].path, path) == 0)
            return &s->files[i];
    return NULL;
}

/* Tell report i that record d->record of d->file cannot be accepted although
 * no error detailed to it is about that record (reports with a test case per
 * record: JUnit). Once per record in a row. */
static void note_rejected(struct session *s, size_t i, const struct tally_diag *d)
{
    struct tally_report *r = s->reports[i].report;
    if (!r->ops->rejected || (s->reports[i].noted_record == d->record &&
                              s->reports[i].noted_file == d->file))
        return;
    s->reports[i].noted_record = d->record;
    s->reports[i].noted_file = d->file;
    if (r->ops->rejected(r, d) != TALLY_OK)
        s->report_failed = true;    /* a record that cannot be accepted, not marked so */
}

/*
 * The diagnostic sink: count it, then detail it to each report — unless
 * --max-errors has stopped the listing, or --quiet keeps all but errors out
 * of it. A report archived in a build's DIR (complete) is given everything.
 */
static void emit(void *ctx, const struct tally_diag *d)
{
    struct session *s = ctx;
    struct tally_report_file *f = file_of(s, d->file);
    note_code(s, d);
    if (s->tap)
        s->tap(s->tap_ctx, d);
    switch (d->severity) {
    case TALLY_SEV_ERROR:
        s->errors++;
        if (f)
            f->errors++;
        break;
    case TALLY_SEV_WARNING:
        s->warnings++;
        if (f)
            f->warnings++;
        break;
    case TALLY_SEV_INFO:
        s->infos++;
        break;
    }
    bool error = d->severity == TALLY_SEV_ERROR;
    if (!s->truncated && s->opts->has_max_errors && s->detailed_errors >= s->opts->max_errors &&
        (error || s->opts->max_errors == 0))
        s->truncated = true;
    bool listed = !s->truncated && (error || !s->opts->quiet);
    if (listed && error)
        s->detailed_errors++;
    for (size_t i = 0; i < s->nreports; i++) {
        bool show = listed || s->reports[i].complete;
        if (s->reports[i].no_infos && d->severity == TALLY_SEV_INFO)
            show = false;
        if (show && s->reports[i].report->ops->diag(s->reports[i].report, d) != TALLY_OK)
            s->report_failed = true;    /* it could not keep this one: incomplete */
        if (!error || !d->record)
            continue;
        if (show) {
            s->reports[i].detailed_record = d->record;
            s->reports[i].detailed_file = d->file;
        } else {
            struct tally_diag why = *d;
            char msg[128];
            snprintf(msg, sizeof msg, "cannot be accepted (%s); not listed: details stopped after "
                     "%llu %s (--max-errors)", d->code, (unsigned long long)s->opts->max_errors,
                     s->opts->max_errors == 1 ? "error" : "errors");
            why.message = msg;
            note_rejected(s, i, &why);
        }
    }
}

/* After a record: tell the reports that want it when the record cannot be
 * accepted and no detailed error is about it (it inherits a file's error). */
static void record_done(struct session *s, const char *path, const struct tally_record *rec)
{
    if (!rec->errors && !rec->inherited)
        return;
    char *code = NULL, *msg = NULL;
    struct tally_diag d = {.severity = TALLY_SEV_ERROR, .file = path, .line = rec->loc.line,
                           .column = rec->loc.column, .record = rec->index};
    for (size_t i = 0; i < s->nreports; i++) {
        if (!s->reports[i].report->ops->rejected ||
            (s->reports[i].detailed_record == rec->index && s->reports[i].detailed_file == path))
            continue;
        if (!code) {    /* the record's first error code, else the one it inherits */
            static const char say[] = "cannot be accepted: the %s error reported for its file or "
                                      "submission covers it";
            const char *codes = session_codes(s, rec);
            size_t n = strcspn(codes, " ");
            if (!n) {
                codes = rec->inherited ? rec->inherited : "error";
                n = strlen(codes);
            }
            code = malloc(n + 1);
            msg = malloc(n + sizeof say);
            if (!code || !msg) {
                s->report_failed = true;
                break;
            }
            memcpy(code, codes, n);
            code[n] = '\0';
            snprintf(msg, n + sizeof say, say, code);
            d.code = code;
            d.message = msg;
        }
        note_rejected(s, i, &d);
    }
    free(code);
    free(msg);
}

void session_emit(void *session, const struct tally_diag *d)
{
    emit(session, d);
}

bool session_open(struct session *s, const struct cli_options *o, FILE *default_out)
{
    bool settle = s->settle;
    memset(s, 0, sizeof *s);
    s->settle = settle;
    s->opts = o;
    s->progress = o->progress == 1 || (o->progress == -1 && isatty(STDERR_FILENO));
    s->progress_start = now();
    if (!cli_load_schema(o, &s->schema) || !cli_load_registry(o, &s->registry))
        return false;
    struct tally_error err;
    struct tally_validator_options vo = {
        .has_period = o->has_period,
        .period_start = o->period_start,
        .period_end = o->period_end,
    };
    struct tally_diag_sink sink = {emit, s};
    s->validator = tally_validator_new(s->schema, s->registry, &vo, sink, &err);
    if (s->validator && s->settle && !(s->settler = tally_settler_new(s->schema, sink, &err))) {
        cli_error("%s", err.message);
        return false;
    }
    struct tally_cleaner **c = o->clean ? &s->cleaner : &s->dry;
    if (s->validator && !(*c = tally_cleaner_new(s->schema, s->registry, sink, &err))) {
        cli_error("%s", err.message);
        return false;
    }
    if (!s->validator) {
        cli_error("out of memory");
        return false;
    }
    struct cli_report text = {.format = "text"};
    const struct cli_report *wanted = o->nreports ? o->reports : &text;
    size_t n = o->nreports ? o->nreports : 1;
    for (size_t i = 0; i < n; i++) {
        FILE *fp = default_out;
        if (wanted[i].file && !(fp = fopen(wanted[i].file, "w"))) {
            cli_error("cannot write the report to \"%s\": %s", wanted[i].file, strerror(errno));
            return false;
        }
        s->reports[i].fp = fp;
        s->reports[i].close_fp = wanted[i].file != NULL;
        s->text_to_terminal |= !wanted[i].file && strcmp(wanted[i].format, "text") == 0;
        s->reports[i].no_infos = wanted[i].no_infos;
        s->reports[i].complete = wanted[i].complete;
        s->nreports = i + 1;
        const struct tally_report_ops *ops = tally_report_find(wanted[i].format);
        if (ops->open(&s->reports[i].report, fp, &err) != TALLY_OK) {
            cli_error("%s", err.message);
            return false;
        }
    }
    return true;
}

/* A problem with the file itself (cannot open, cannot read): an `io` error. */
static void file_trouble(struct session *s, const char *path, const struct tally_error *err)
{
    struct tally_diag d = {
        .severity = TALLY_SEV_ERROR,
        .code = err->status == TALLY_EIO ? TALLY_CODE_IO : TALLY_CODE_FORMAT,
        .message = err->message,
        .file = path,
    };
    emit(s, &d);
    s->trouble = true;
    /* Exit status 2 always comes with a message where a person sees it: when
     * no text report is going to the terminal, say it on standard error too. */
    if (!s->text_to_terminal)
        cli_error("%s: %s", path, err->message);
}

void session_expect(struct session *s, char *const *paths, size_t n)
{
    uint64_t total = 0;
    for (size_t i = 0; i < n; i++) {
        struct stat st;
        if (strcmp(paths[i], "-") == 0 || stat(paths[i], &st) != 0 || !S_ISREG(st.st_mode)) {
            total = 0;      /* standard input, a FIFO: the size is not known */
            break;
        }
        total += (uint64_t)st.st_size;
    }
    s->progress_total = total;
}

/* Time left, roughly: "40 s", "12 min", "2 h 05 min". */
static void put_left(double secs)
{
    unsigned long long n = secs < 1 ? 1 : secs > 1e9 ? 1000000000ull : (unsigned long long)(secs + 0.5);
    if (n < 90)
        fprintf(stderr, "%llu s", n);
    else if (n < 90 * 60)
        fprintf(stderr, "%llu min", (n + 30) / 60);
    else
        fprintf(stderr, "%llu h %02llu min", n / 3600, n % 3600 / 60);
}

/* Redraw the progress line on standard error, at most four times a second:
 * MB and records read and the rate; when the inputs' size is known, the
 * share of it read, and once PROGRESS_SETTLED seconds have passed (an
 * estimate from the first moments swings wildly), the time left at the rate
 * so far. */
#define PROGRESS_SETTLED 2.0
static void progress(struct session *s, uint64_t file_bytes, bool force)
{
    double t = now();
    if (!s->progress || (!force && t - s->progress_last < 0.25))
        return;
    s->progress_last = t;
    uint64_t done = s->progress_bytes + file_bytes, total = s->progress_total;
    double mb = (double)done / 1e6, secs = t - s->progress_start;
    double rate = secs > 0 ? (double)done / secs : 0;
    fprintf(stderr, "\rtally: %.1f MB", mb);
    if (total)
        fprintf(stderr, " of %.1f MB (%llu%%)", (double)total / 1e6,
                (unsigned long long)(done >= total ? 100 : done * 100 / total));
    fprintf(stderr, ", %llu %s, %.1f MB/s", (unsigned long long)s->records,
            s->records == 1 ? "record" : "records", rate / 1e6);
    if (total && done < total && secs >= PROGRESS_SETTLED && rate > 0) {
        fputs(", ", stderr);
        put_left((double)(total - done) / rate);
        fputs(" left", stderr);
    }
    fputs("\033[K", stderr);  /* clear what a longer line left */
    fflush(stderr);
}

/*
 * Read ahead on a second thread (source.h) for a regular file of 1 MiB or
 * more: below that a thread is not worth starting. TALLY_READ_AHEAD=0 turns it
 * off, =1 on for every input (the tests run both ways and compare).
 */
static enum tally_read_ahead read_ahead(void)
{
    const char *env = getenv("TALLY_READ_AHEAD");
    if (env && *env)
        return strcmp(env, "0") != 0 ? TALLY_READ_AHEAD_ON : TALLY_READ_AHEAD_OFF;
    return TALLY_READ_AHEAD_AUTO;
}

/* A file read to its end: its SHA-256 (reading what is left of it). */
static void finish_file(struct session *s, struct tally_report_file *f, const char *path,
                        struct tally_source *src)
{
    char hex[65];
    struct tally_error err;
    if (tally_source_sha256(src, hex, &err) == TALLY_OK && !(s->sha[s->nfiles - 1] = strdup(hex)))
        tally_error_set(&err, TALLY_ENOMEM, "out of memory");
    if (s->sha[s->nfiles - 1])
        f->sha256 = s->sha[s->nfiles - 1];
    else
        file_trouble(s, path, &err);
}

void session_run_file(struct session *s, const char *path, session_each_fn each, void *ctx)
{
    if (s->nfiles == s->files_cap) {
        size_t cap = s->files_cap ? s->files_cap * 2 : 16;
        struct tally_report_file *files = realloc(s->files, cap * sizeof *files);
        char **sha = files ? realloc(s->sha, cap * sizeof *sha) : NULL;
        if (files)
            s->files = files;
        if (!files || !sha) {
            struct tally_error err;
            tally_error_set(&err, TALLY_ENOMEM, "out of memory");
            file_trouble(s, path, &err);
            return;
        }
        s->sha = sha;
        s->files_cap = cap;
    }
    s->sha[s->nfiles] = NULL;
    for (size_t i = 0; i < s->nreports; i++)
        s->reports[i].detailed_record = s->reports[i].noted_record = 0;
    struct tally_report_file *f = &s->files[s->nfiles++];
    *f = (struct tally_report_file){.path = path};
    struct tally_source_options so = {
        .format = s->opts->format,
        .read_ahead = read_ahead(),
        .reader = {
            .schema = s->schema,
            .registry = s->registry,
            .sink = {emit, s},
            .delimiter = s->opts->delimiter,
            .clean = s->opts->clean,
            .sheet = s->opts->sheet,
        },
    };
    struct tally_source *src;
    struct tally_error err;
    if (tally_source_open(&src, path, &so, &err) != TALLY_OK) {
        file_trouble(s, path, &err);
        return;
    }
    if (!(f->format = tally_source_format(src))) {
        /* a workbook, a document, an archive: its error is sent; never read as text */
        finish_file(s, f, path, src);
        tally_source_close(src);
        return;
    }
    if (s->settler && tally_settler_add_file(s->settler, path, &err) != TALLY_OK) {
        tally_source_close(src);
        file_trouble(s, path, &err);
        return;
    }
    struct tally_record *rec;
    int rc;
    while ((rc = tally_source_next(src, &rec, &err)) == TALLY_RECORD) {
        f->records++;
        s->records++;
        if ((s->records & 1023) == 0)
            progress(s, tally_source_offset(src), false);
        if (s->cleaner && tally_cleaner_clean(s->cleaner, rec, &err) != TALLY_OK)
            break;
        if (tally_validator_check(s->validator, rec, &err) != TALLY_OK)
            break;
        /* Without --clean: what it would repair (only a value in error can be). */
        uint64_t n;
        if (s->dry && rec->errors) {
            if (tally_cleaner_count(s->dry, rec, &n, &err) != TALLY_OK)
                break;
            s->repairable += n;
        }
        if (s->settler && tally_settler_add(s->settler, rec, NULL, &err) != TALLY_OK)
            break;
        record_done(s, path, rec);
        if (each && each(ctx, rec, &err) != TALLY_OK)
            break;
    }
    if (rc == TALLY_RECORD || rc != TALLY_DONE)
        file_trouble(s, path, &err);
    else
        finish_file(s, f, path, src);
    s->progress_bytes += tally_source_offset(src);
    tally_source_close(src);
}

void session_settle(struct session *s)
{
    struct tally_error err;
    if (s->settler && tally_settler_finish(s->settler, &err) != TALLY_OK) {
        cli_error("%s", err.message);
        s->trouble = true;
    }
}

int session_close(struct session *s)
{
    if (s->progress && s->progress_last > 0)
        fputs("\r\033[K", stderr);   /* clear the progress line */
    int status = EXIT_OK;
    if (s->errors || (s->opts->fail_on_warning && s->warnings))
        status = EXIT_DATA;
    if (s->trouble)
        status = EXIT_TROUBLE;
    if (s->report_failed) {
        cli_error("out of memory: a report could not keep every diagnostic");
        status = EXIT_TROUBLE;
    }
    const struct tally_validator_stats *vs = s->validator ? tally_validator_stats(s->validator) : NULL;
    struct tally_report_summary sum = {
        .schema_name = s->schema ? s->schema->name : NULL,
        .schema_version = s->schema ? s->schema->version : NULL,
        .schema = s->schema,
        .files = s->nfiles,
        .records = s->records,
        .errors = s->errors,
        .warnings = s->warnings,
        .infos = s->infos,
        .repairable = s->repairable,
        .rules_evaluated = vs ? vs->rules_evaluated : 0,
        .rules_skipped = vs ? vs->rules_skipped : 0,
        .truncated = s->truncated,
        .max_errors = s->opts->max_errors,
        .quiet = s->opts->quiet,
        .skipped = s->skipped,
        .nskipped = s->nskipped,
        .walked = s->walked,
        .nwalked = s->nwalked,
        .build = s->build ? &s->built : NULL,
    };
    /* A report archived in a build's DIR was given everything. */
    struct tally_report_summary complete = sum;
    complete.truncated = complete.quiet = false;
    /* In a GitHub Actions job, a --report github run also writes a summary. */
    const char *step_summary = getenv("GITHUB_STEP_SUMMARY");
    bool github = false;
    for (size_t i = 0; i < s->nreports; i++)
        github |= s->reports[i].report && s->reports[i].report->ops == tally_report_find("github");
    /* A run that closes before its first file failed before it began (a bad
     * --previous): its error is printed, and a summary of nothing would only
     * mislead. The reports are closed unwritten. */
    bool begun = s->nfiles > 0;
    if (!begun)
        status = EXIT_TROUBLE;
    if (begun && github && step_summary && *step_summary) {
        FILE *md = fopen(step_summary, "a");
        if (md) {
            tally_report_markdown_summary(md, &sum, s->files, s->nfiles);
            if (fclose(md) != 0)
                md = NULL;
        }
        if (!md) {
            cli_error("cannot append to $GITHUB_STEP_SUMMARY (%s): %s", step_summary, strerror(errno));
            status = EXIT_TROUBLE;
        }
    }
    for (size_t i = 0; i < s->nreports; i++) {
        struct tally_error err;
        struct tally_report *r = s->reports[i].report;
        if (r && begun &&
            r->ops->finish(r, s->reports[i].complete ? &complete : &sum, s->files, s->nfiles,
                           &err) != TALLY_OK) {
            cli_error("%s", err.message);
            status = EXIT_TROUBLE;
        }
        if (r)
            r->ops->close(r);
        FILE *fp = s->reports[i].fp;
        if (fp && (fflush(fp) != 0 || ferror(fp))) {
            cli_error("cannot write the report: %s", strerror(errno));
            status = EXIT_TROUBLE;
        }
        if (s->reports[i].close_fp && fclose(fp) != 0) {
            cli_error("cannot write the report: %s", strerror(errno));
            status = EXIT_TROUBLE;
        }
    }
    for (size_t i = 0; i < s->nfiles; i++)
        free(s->sha[i]);
    free(s->sha);
    free(s->files);
    free(s->codes);
    tally_validator_free(s->validator);
    tally_settler_free(s->settler);
    tally_cleaner_free(s->cleaner);
    tally_cleaner_free(s->dry);
    tally_registry_free(s->registry);
    tally_schema_free(s->schema);
    return status;
}
