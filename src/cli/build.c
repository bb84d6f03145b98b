/*
 * cli/build.c — tally build [OPTIONS] -o DIR FILE|DIR...
 *
 * Builds the national dataset (doc/dataset-format.md) from every return given: files, and
 * directories walked for returns (.csv .json .ndjson .jsonl .xml .xlsx .xlsm .ods). Inputs are
 * sorted by path, so the order on the command line never changes a byte of
 * the output.
 *
 * DIR is tally's (cli/outdir.c): a build refuses a DIR that is, holds, or
 * lies inside an input, and one that holds anything but a previous build
 * (--force builds there all the same, and keeps what tally did not write).
 * Everything is written into a fresh directory that mkdtemp makes beside DIR
 * (".DIR.tally-XXXXXX"), and swapped in only at the very end — atomically,
 * with renameat2(RENAME_EXCHANGE). A build that fails or is killed leaves DIR
 * exactly as it was.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <nettle/sha2.h>

#include "cli/cli.h"
#include "tally/build.h"
#include "tally/dataset.h"
#include "tally/disclosure.h"

static const char usage[] =
    "usage: tally build [OPTIONS] -o DIR FILE|DIR...\n"
    "\n"
    "Build the national dataset from every return given (directories are walked\n"
    "for .csv, .json, .ndjson, .jsonl, .xml, .xlsx, .xlsm and .ods files) and\n"
    "write into DIR:\n"
    "dataset.csv, dataset.json, dataset.xml, dataset.sqlite, rejects.csv,\n"
    "report.json, report.html and manifest.json. DIR is replaced only when the build\n"
    "is complete. DIR must not be, hold or lie inside an input, and must be new,\n"
    "empty or a previous build: tally never deletes a file it did not write.\n"
    "\n"
    "  -o, --output DIR       where the dataset goes (required)\n"
    "  --period START/END     the period every return must cover\n"
    "  --previous FILE        last published dataset.csv: add each count's previous\n"
    "                         value and change, and warn when a count changes a lot\n"
    "  --outlier-factor F     ... by more than F times (default 3)\n"
    "  --outlier-min N        ... and by at least N (default 10)\n"
    "  --population FILE      children aged 0 to 17 per area and year (CSV:\n"
    "                         area_code,year,population): add rates per 10,000\n"
    "  --timestamp            record the build time in manifest.json\n"
    "  --disclosure           disclosure control: counts of 1 to 5 (the schema's\n"
    "                         policy) and what would give them away published as c;\n"
    "                         a build whose audit finds a cell it can narrow down\n"
    "                         exits 1 and publishes nothing\n"
    "  --publish ees          also write DIR/ees/NAME.csv and NAME.meta.csv in DfE's\n"
    "                         explore-education-statistics format (implies --disclosure)\n"
    "  --no-disclosure        publish without disclosure control (recorded in manifest.json)\n"
    "  --force                build into DIR even though it holds files tally did not\n"
    "                         write (they are kept, never deleted)\n"
    "  --exclude GLOB         leave out what a DIR holds that matches GLOB (a name, or\n"
    "                         with a /, a path below DIR); repeatable\n"
    "  --clean                repair what can be repaired without guessing\n"
    "  --schema FILE          use this schema instead of the built-in one\n"
    "  --registry FILE        use this authority registry instead of the built-in one\n"
    "  --format FMT           read inputs as csv, json, ndjson, xml, xlsx or ods\n"
    "                         (default: by extension, then by content)\n"
    "  --delimiter C          CSV field delimiter (default: a comma, or the one the\n"
    "                         header shows; \\t for tab)\n"
    "  --sheet NAME           the workbook sheet to read (default: the first)\n"
    "  --report FMT           text (default), json, junit, github, sarif or html,\n"
    "                         on standard error (report.json and report.html are\n"
    "                         always written)\n"
    "  --report-file FILE     write the report named just before to FILE\n"
    "  --max-errors N         stop detailing after N errors (counts stay exact; the\n"
    "                         report.json and report.html in DIR are complete)\n"
    "  --fail-on LEVEL        error (default) or warning\n"
    "  -q, --quiet            errors only, no summary\n"
    "  --progress, --no-progress   the progress line on standard error\n"
    "  -h, --help             this help\n"
    "\n"
    "Exit status: 0 no errors; 1 some records had errors (the dataset is still\n"
    "built from the others), or the disclosure audit failed or EES cannot name a\n"
    "period (then nothing is published); 2 usage error, unreadable input, or the\n"
    "build failed.\n"
    "\n"
    "Example:\n"
    "  tally build -o national/2015 --period 2014-10-01/2015-09-30 returns/\n";

/* ---- writing ------------------------------------------------------------------- */

static bool sha256_file(const char *path, char hex[65], uint64_t *bytes)
{
    FILE *f = fopen(path, "rb");
    struct sha256_ctx ctx;
    unsigned char buf[65536], md[SHA256_DIGEST_SIZE];
    size_t n;
    sha256_init(&ctx);
    *bytes = 0;
    while (f && (n = fread(buf, 1, sizeof buf, f)) > 0) {
        sha256_update(&ctx, n, buf);
        *bytes += n;
    }
    bool ok = f && !ferror(f);
    sha256_digest(&ctx, sizeof md, md);
    for (unsigned i = 0; ok && i < sizeof md; i++)
        snprintf(hex + 2 * i, 3, "%02x", md[i]);
    if (f)
        fclose(f);
    return ok;
}

typedef int (*write_fn)(FILE *out, const struct tally_build *b, const struct tally_schema *s,
                        const char *const *files, struct tally_error *err);

static int w_csv(FILE *o, const struct tally_build *b, const struct tally_schema *s,
                 const char *const *f, struct tally_error *e)
{
    (void)s, (void)f;
    return tally_dataset_csv(o, b, e);
}

static int w_json(FILE *o, const struct tally_build *b, const struct tally_schema *s,
                  const char *const *f, struct tally_error *e)
{
    (void)s, (void)f;
    return tally_dataset_json(o, b, e);
}

static int w_xml(FILE *o, const struct tally_build *b, const struct tally_schema *s,
                 const char *const *f, struct tally_error *e)
{
    (void)f;
    return tally_dataset_xml(o, b, s, e);
}

static int w_rejects(FILE *o, const struct tally_build *b, const struct tally_schema *s,
                     const char *const *f, struct tally_error *e)
{
    return tally_rejects_csv(o, b, s, f, e);
}

static const struct {
    const char *name;
    write_fn write;
} outputs[] = {
    {"dataset.csv", w_csv},
    {"dataset.json", w_json},
    {"dataset.xml", w_xml},
    {"rejects.csv", w_rejects},
};

/* The files of the finished directory, in manifest order. */
static const char *const manifest_outputs[] = {"dataset.csv", "dataset.json", "dataset.xml",
                                               "dataset.sqlite", "rejects.csv", "report.json",
                                               "report.html", TALLY_BUILD_MARKER,
                                               NULL};

static bool write_file(const char *dir, const char *name, write_fn fn, const struct tally_build *b,
                       const struct tally_schema *s, const char *const *files)
{
    char *path = cli_join(dir, name);
    FILE *f = path ? fopen(path, "w") : NULL;
    struct tally_error err;
    bool ok = f && fn(f, b, s, files, &err) == TALLY_OK;
    if (f && !ok)
        cli_error("%s", err.message);
    if (f && fclose(f) != 0 && ok) {
        cli_error("cannot write \"%s\": %s", path, strerror(errno));
        ok = false;
    }
    if (!f)
        cli_error("cannot write \"%s\": %s", path ? path : name, strerror(errno));
    free(path);
    return ok;
}

struct manifest_info {
    const char *schema_name, *schema_version;
    const struct tally_report_file *files;
    size_t nfiles;
    const struct tally_build *build;
    bool timestamp;
    bool controlled;                /* the dataset outputs are disclosure-controlled */
    const char *disclosure;         /* the audit as JSON (tally_disclosure_json) */
    const char *const *published;   /* files of --publish, NULL-terminated, or NULL */
    const struct tally_report_skipped *skipped;     /* files under the inputs not read */
    size_t nskipped;
};

/* Which outputs hold only the (disclosure-controlled) dataset: the others
 * hold the returns' own values (dataset.sqlite's records, rejects.csv, the
 * reports' diagnostics) and are for the collator, not for publication. */
static bool dataset_only(const char *name)
{
    return strncmp(name, "dataset.", 8) == 0 ? strcmp(name, "dataset.sqlite") != 0
                                             : strncmp(name, "ees/", 4) == 0;
}

static bool write_manifest(const char *dir, const struct manifest_info *m)
{
    char *path = cli_join(dir, "manifest.json");
    FILE *o = path ? fopen(path, "w") : NULL;
    if (!o) {
        cli_error("cannot write manifest.json: %s", strerror(errno));
        free(path);
        return false;
    }
    fprintf(o, "{\n  \"tool\": {\"name\": \"tally\", \"version\": \"%s\"},\n  \"schema\": {\"name\": ",
            TALLY_VERSION);
    tally_report_json_string(o, m->schema_name);
    fputs(", \"version\": ", o);
    tally_report_json_string(o, m->schema_version);
    fputs("},\n", o);
    if (m->timestamp) {
        char when[32];
        time_t now = time(NULL);
        struct tm tm;
        strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&now, &tm));
        fprintf(o, "  \"built_at\": \"%s\",\n", when);
    }
    fputs("  \"inputs\": [", o);
    for (size_t i = 0; i < m->nfiles; i++) {
        fputs(i ? ",\n    " : "\n    ", o);
        tally_report_json_file(o, &m->files[i]);     /* as report.json lists it */
        for (int k = 0; k < TALLY_FATE_COUNT; k++)
            fprintf(o, ", \"%s\": %llu", tally_fate_name(k),
                    (unsigned long long)tally_build_file_fate_count(m->build, i, k));
        putc('}', o);
    }
    fputs(m->nfiles ? "\n  ],\n  \"skipped\": [" : "],\n  \"skipped\": [", o);
    for (size_t i = 0; i < m->nskipped; i++) {
        fputs(i ? ",\n    " : "\n    ", o);
        tally_report_json_skipped(o, &m->skipped[i]);
    }
    fputs(m->nskipped ? "\n  ],\n  \"outputs\": [" : "],\n  \"outputs\": [", o);
    bool ok = true;
    const char *names[sizeof manifest_outputs / sizeof manifest_outputs[0] + 2];
    size_t n = 0;
    for (size_t i = 0; manifest_outputs[i]; i++)
        names[n++] = manifest_outputs[i];
    for (size_t i = 0; m->published && m->published[i] && i < 2; i++)
        names[n++] = m->published[i];
    for (size_t i = 0; i < n; i++) {
        const char *name = names[i];
        char *p = cli_join(dir, name), hex[65] = "";
        uint64_t bytes = 0;
        if (!p || !sha256_file(p, hex, &bytes)) {
            cli_error("cannot read back %s", name);
            ok = false;
        }
        free(p);
        fprintf(o, "%s\n    {\"path\": \"%s\", \"sha256\": \"%s\", \"bytes\": %llu, "
                "\"disclosure_controlled\": %s}", i ? "," : "", name, hex,
                (unsigned long long)bytes, m->controlled && dataset_only(name) ? "true" : "false");
    }
    fprintf(o, "\n  ],\n  \"disclosure\": %s\n}\n", m->disclosure);
    if (fclose(o) != 0 || !ok) {
        if (ok)
            cli_error("cannot write manifest.json: %s", strerror(errno));
        ok = false;
    }
    free(path);
    return ok;
}

/* ---- the command ------------------------------------------------------------------ */

struct build_run {
    struct session *session;
    struct tally_build *build;
    struct tally_sqlite *db;
};

static void tap(void *ctx, const struct tally_diag *d)
{
    struct build_run *run = ctx;
    if (run->db)
        tally_sqlite_diag(run->db, d);
}

static int keep_record(void *ctx, struct tally_record *rec, struct tally_error *err)
{
    struct build_run *run = ctx;
    return tally_build_add(run->build, rec, session_codes(run->session, rec), err);
}

/* Read --previous into the build. */
static bool load_previous(struct tally_build *b, const char *path)
{
    struct tally_input in;
    struct tally_error err;
    if (tally_input_open(&in, path, &err) != TALLY_OK) {
        cli_error("--previous: %s", err.message);
        return false;
    }
    bool ok = true;
    while (ok && !in.eof)
        ok = tally_input_fill(&in, &err) == TALLY_OK;
    if (ok && tally_build_load_previous(b, (const char *)in.buf, in.len, &err) != TALLY_OK)
        ok = false;
    if (!ok)
        cli_error("%s", err.message);
    tally_input_close(&in);
    return ok;
}

/* Read --population into the build: its rows' problems are diagnostics. */
static bool load_population(struct tally_build *b, const char *path)
{
    struct tally_input in;
    struct tally_error err;
    if (tally_input_open(&in, path, &err) != TALLY_OK) {
        cli_error("--population: %s", err.message);
        return false;
    }
    bool ok = true;
    while (ok && !in.eof)
        ok = tally_input_fill(&in, &err) == TALLY_OK;
    if (ok && tally_build_load_population(b, path, (const char *)in.buf, in.len, &err) != TALLY_OK)
        ok = false;
    if (!ok)
        cli_error("%s", err.message);
    tally_input_close(&in);
    return ok;
}

/* DIR/ees/NAME.csv and NAME.meta.csv: the schema's name, lower case, - as _. */
static char *ees_name(const char *schema_name, const char *suffix)
{
    size_t n = strlen(schema_name);
    char *name = malloc(4 + n + strlen(suffix) + 1);
    if (!name)
        return NULL;
    strcpy(name, "ees/");
    for (size_t i = 0; i < n; i++) {
        char c = schema_name[i];
        if (c >= 'A' && c <= 'Z')
            c = (char)(c - 'A' + 'a');
        else if (c == '-')
            c = '_';
        else if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) {
            free(name);
            return NULL;
        }
        name[4 + i] = c;
    }
    strcpy(name + 4 + n, suffix);
    return name;
}

/* Write the EES data and metadata files into tmp/ees/. */
static bool write_ees(const char *tmp, const struct tally_build *b, const struct tally_schema *s,
                      const struct tally_registry *reg, char *names[2],
                      struct tally_ees_result *res)
{
    char *dir = cli_join(tmp, "ees");
    char *data = names[0] ? cli_join(tmp, names[0]) : NULL;
    char *meta = names[1] ? cli_join(tmp, names[1]) : NULL;
    FILE *fd = NULL, *fm = NULL;
    bool ok = dir && data && meta && (mkdir(dir, 0755) == 0 || errno == EEXIST);
    if (ok && (!(fd = fopen(data, "w")) || !(fm = fopen(meta, "w")))) {
        cli_error("cannot write \"%s\": %s", fd ? meta : data, strerror(errno));
        ok = false;
    } else if (!ok) {
        cli_error("cannot create \"%s\": %s", dir ? dir : "ees", strerror(errno));
    }
    struct tally_error err;
    if (ok && tally_ees_write(fd, fm, b, s, reg, res, &err) != TALLY_OK) {
        cli_error("%s", err.message);
        ok = false;
    }
    if (fd && fclose(fd) != 0 && ok) {
        cli_error("cannot write \"%s\": %s", data, strerror(errno));
        ok = false;
    }
    if (fm && fclose(fm) != 0 && ok) {
        cli_error("cannot write \"%s\": %s", meta, strerror(errno));
        ok = false;
    }
    free(dir);
    free(data);
    free(meta);
    return ok;
}

static int run_build(struct cli_options *o, struct outdir *od, struct cli_paths *inputs,
                     bool *withheld)
{
    const char *tmp = od->tmp;
    struct session s = {.settle = false};
    struct build_run run = {.session = &s};
    struct tally_error err;
    char *report = cli_join(tmp, "report.json"), *dbpath = cli_join(tmp, "dataset.sqlite");
    char *html = cli_join(tmp, "report.html");
    if (!report || !dbpath || !html) {
        free(report);
        free(dbpath);
        free(html);
        cli_error("out of memory");
        return EXIT_TROUBLE;
    }
    /* The user's reports (text on standard error by default), plus report.json and
     * report.html (cmd_build leaves room for them). */
    if (o->nreports == 0)
        o->reports[o->nreports++] = (struct cli_report){.format = "text"};
    /* Coverage alone is ~200 infos: a text report lists errors and warnings, and
     * the infos are in report.json and dataset.sqlite. */
    for (size_t i = 0; i < o->nreports; i++)
        o->reports[i].no_infos = strcmp(o->reports[i].format, "text") == 0;
    /* What is archived in DIR is complete: --max-errors and --quiet are for
     * the listing on the terminal (or --report-file). */
    o->reports[o->nreports++] = (struct cli_report){.format = "json", .file = report, .complete = true};
    o->reports[o->nreports++] = (struct cli_report){.format = "html", .file = html, .complete = true};

    int status = EXIT_TROUBLE;
    char *schema_name = NULL, *schema_version = NULL;
    struct tally_disclosure_audit audit = {0};
    char *ees_files[2] = {NULL, NULL};
    struct tally_ees_result ees = {0};
    struct tally_build_publication publication;
    char *audit_json = NULL;
    if (!session_open(&s, o, stderr))
        goto done;
    s.skipped = inputs->skipped;
    s.nskipped = inputs->nskipped;
    s.walked = inputs->walked;
    s.nwalked = inputs->nwalked;
    session_expect(&s, inputs->v, inputs->n);
    schema_name = strdup(s.schema->name);
    schema_version = strdup(s.schema->version);
    if (!schema_name || !schema_version) {
        cli_error("out of memory");
        goto done;
    }
    struct tally_build_options bo = {.outlier_factor = o->outlier_factor,
                                     .outlier_min = o->outlier_min};
    struct tally_diag_sink sink = {session_emit, &s};
    if (!(run.build = tally_build_new(s.schema, s.registry, &bo, sink, &err)) ||
        !(run.db = tally_sqlite_open(dbpath, &err))) {
        cli_error("%s", err.message);
        goto done;
    }
    s.tap = tap;
    s.tap_ctx = &run;
    if (o->previous && !load_previous(run.build, o->previous))
        goto done;
    /* Under disclosure control the previous values are published again: they
     * must be the published (suppressed) ones. */
    char example[256];
    size_t unprotected;
    if (o->previous && (o->disclosure == 1 || (o->publish && o->disclosure != 0)) &&
        (unprotected = tally_build_previous_unprotected(run.build, example, sizeof example))) {
        cli_error("--previous %s publishes %zu %s that disclosure control suppresses (%s): "
                  "give the published dataset, built with --disclosure", o->previous,
                  unprotected, unprotected == 1 ? "count" : "counts", example);
        goto done;
    }
    if (o->population && !load_population(run.build, o->population))
        goto done;
    for (size_t i = 0; i < inputs->n; i++) {
        if (tally_build_add_file(run.build, inputs->v[i]) == SIZE_MAX) {
            cli_error("out of memory");
            goto done;
        }
        session_run_file(&s, inputs->v[i], keep_record, &run);
        /* Out of memory before the session could even note the file: its list
         * and the build's would no longer match (the outputs index both). */
        if (s.nfiles != i + 1)
            goto done;
    }
    if (tally_build_finish(run.build, &err) != TALLY_OK) {
        cli_error("%s", err.message);
        goto done;
    }
    /* Disclosure control (--disclosure, or --publish without --no-disclosure),
     * then what --publish needs: a failed audit or a period EES cannot name is
     * an error, and nothing is published. */
    bool disclose = o->disclosure == 1 || (o->publish && o->disclosure != 0);
    if (disclose) {
        if (tally_build_disclose(run.build, s.schema, sink, &audit, &err) != TALLY_OK) {
            cli_error("%s", err.message);
            goto done;
        }
        s.built.disclosure = &audit;
        *withheld = !audit.passed;
    }
    s.built.disclosure_waived = o->disclosure == 0;
    if (o->publish) {
        ees_files[0] = ees_name(s.schema->name, ".csv");
        ees_files[1] = ees_name(s.schema->name, ".meta.csv");
        if (!ees_files[0] || !ees_files[1]) {
            cli_error("--publish ees: the schema's name \"%s\" cannot name an EES file (letters, "
                      "digits, - and _ only)", s.schema->name);
            goto done;
        }
        if (!s.schema->ees.present || s.schema->ees.filter_field < 0) {
            cli_error("--publish ees: the schema \"%s\" has no dataset.ees section with a "
                      "filter: EES needs its labels", s.schema->name);
            goto done;
        }
        if (tally_ees_check(run.build, sink) > 0)
            *withheld = true;
    }
    if (*withheld) {
        /* Nothing is written: the reports say why. */
        tally_sqlite_close(run.db);
        run.db = NULL;
        s.tap = NULL;
        s.build = true;
        for (int k = 0; k < TALLY_FATE_COUNT; k++)
            s.built.fates[k] = tally_build_fate_count(run.build, k);
        s.built.authorities_missing = tally_build_missing_authorities(run.build);
        s.built.dataset = run.build;
        status = session_close(&s);
        s.schema = NULL;
        if (status == EXIT_OK)
            status = EXIT_DATA;
        goto done;
    }
#ifdef TALLY_TEST_HOOKS
    /* A test-only fault hook, only in build/tally-hooks (never the release
     * build/tally): the working directory disappears (another process removes
     * it) after the inputs are read, before the outputs are written. The golden
     * case fault-io-workdir-disappears uses it. */
    if (getenv("TALLY_TEST_REMOVE_WORKDIR"))
        outdir_remove(tmp);
#endif
    bool ok = true;
    for (size_t i = 0; ok && i < sizeof outputs / sizeof outputs[0]; i++)
        ok = write_file(tmp, outputs[i].name, outputs[i].write, run.build, s.schema,
                        (const char *const *)inputs->v);
    if (ok && o->publish) {
        ok = write_ees(tmp, run.build, s.schema, s.registry, ees_files, &ees);
        publication = (struct tally_build_publication){"ees", ees_files[0], ees_files[1],
                                                        ees.rows, ees.left_out, ees.nleft_out};
        s.built.publication = &publication;
    }
    const char *meta[] = {"tool", "tally", "tool_version", TALLY_VERSION, "schema",
                          s.schema->name, "schema_version", s.schema->version,
                          "disclosure_controlled", disclose ? "true" : "false", NULL};
    s.tap = NULL;
    if (ok) {
        /* The files as the dataset describes them (the session counted them). */
        struct tally_dataset_input *files = calloc(s.nfiles ? s.nfiles : 1, sizeof *files);
        for (size_t i = 0; files && i < s.nfiles; i++)
            files[i] = (struct tally_dataset_input){s.files[i].path, s.files[i].format,
                                                    s.files[i].sha256, s.files[i].records,
                                                    s.files[i].errors, s.files[i].warnings};
        if (!files) {
            cli_error("out of memory");
            ok = false;
        } else {
            if (tally_sqlite_finish(run.db, run.build, s.schema, files, s.nfiles, meta, &err) !=
                TALLY_OK) {
                cli_error("%s", err.message);
                ok = false;
            }
            run.db = NULL;  /* finished and freed, failed or not; otherwise `done` closes it */
        }
        free(files);
    }
    if (!ok)
        goto done;
    s.build = true;
    for (int k = 0; k < TALLY_FATE_COUNT; k++)
        s.built.fates[k] = tally_build_fate_count(run.build, k);
    s.built.authorities_missing = tally_build_missing_authorities(run.build);
    s.built.dataset = run.build;
    struct tally_report_file *files = malloc((s.nfiles ? s.nfiles : 1) * sizeof *files);
    size_t nfiles = s.nfiles;
    char **shas = calloc(nfiles + 1, sizeof *shas);
    bool copied = files && shas;
    for (size_t i = 0; copied && i < nfiles; i++) {
        files[i] = s.files[i];
        shas[i] = s.files[i].sha256 ? strdup(s.files[i].sha256) : NULL;
        files[i].sha256 = shas[i];
        copied = shas[i] || !s.files[i].sha256;
    }
    /* The audit as the manifest gives it, while the schema it names is here. */
    size_t audit_len = 0;
    FILE *aj = open_memstream(&audit_json, &audit_len);
    if (aj) {
        tally_disclosure_json(aj, disclose ? &audit : NULL, run.build, o->disclosure == 0, 2);
        if (fclose(aj) != 0) {
            free(audit_json);
            audit_json = NULL;
        }
    }
    copied = copied && audit_json;
    status = session_close(&s);
    s.schema = NULL;
    if (!copied) {
        cli_error("out of memory");
        status = EXIT_TROUBLE;
    } else if (status != EXIT_TROUBLE) {
        const char *published[] = {ees_files[0], ees_files[1], NULL};
        struct manifest_info m = {.schema_name = schema_name, .schema_version = schema_version,
                                  .files = files, .nfiles = nfiles, .build = run.build,
                                  .timestamp = o->timestamp, .controlled = disclose,
                                  .disclosure = audit_json,
                                  .published = o->publish ? published : NULL,
                                  .skipped = inputs->skipped, .nskipped = inputs->nskipped};
        /* The marker lists every file written, and the manifest, written last. */
        if (!outdir_mark(od) || !write_manifest(tmp, &m))
            status = EXIT_TROUBLE;
    }
    for (size_t i = 0; shas && i < nfiles; i++)
        free(shas[i]);
    free(shas);
    free(files);
done:
    if (s.schema)       /* not closed yet: something failed */
        session_close(&s);
    tally_sqlite_close(run.db);
    tally_build_free(run.build);
    tally_disclosure_audit_fini(&audit);
    free(audit_json);
    tally_ees_result_fini(&ees);
    free(ees_files[0]);
    free(ees_files[1]);
    free(schema_name);
    free(schema_version);
    free(report);
    free(html);
    free(dbpath);
    return status;
}

int cmd_build(int argc, char **argv)
{
    struct cli_options o;
    unsigned allowed = OPT_SCHEMA | OPT_REGISTRY | OPT_FORMAT | OPT_DELIMITER | OPT_REPORT |
                       OPT_MAX_ERRORS | OPT_FAIL_ON | OPT_PERIOD | OPT_QUIET | OPT_OUTPUT |
                       OPT_BUILD | OPT_PROGRESS | OPT_CLEAN | OPT_EXCLUDE;
    int status = EXIT_TROUBLE;
    struct cli_paths inputs = {0};
    struct outdir od = {0};
    if (!cli_parse(argc, argv, "build", allowed, &o))
        goto out;
    if (o.help) {
        fputs(usage, stdout);
        status = EXIT_OK;
        goto out;
    }
    if (!o.output || o.nfiles == 0) {
        cli_error("build: needs -o DIR and at least one input (see tally build --help)");
        goto out;
    }
    /* The user's reports (text when none), report.json and report.html. */
    if ((o.nreports ? o.nreports : 1) + 2 > CLI_MAX_REPORTS) {
        cli_error("build: at most %d reports", CLI_MAX_REPORTS - 2);
        goto out;
    }
    if (!cli_collect_inputs(&o, true, &inputs))
        goto out;
    if (inputs.n == 0) {
        cli_error("build: no returns found in the inputs given");
        goto out;
    }
    if (!outdir_check(&od, o.output, o.files, o.nfiles, &inputs, o.force) || !outdir_begin(&od))
        goto out;
    bool withheld = false;
    status = run_build(&o, &od, &inputs, &withheld);
    tally_disclosure_thread_end();
    if (withheld) {
        outdir_abandon(&od);    /* a failed audit, or periods EES cannot name: publish nothing */
    } else if (status != EXIT_TROUBLE) {
#ifdef TALLY_TEST_HOOKS
        /* A test-only fault hook (build/tally-hooks only): die the hard way
         * just before the swap. The golden case build-killed-leaves-dir uses it. */
        if (getenv("TALLY_TEST_KILL_BEFORE_SWAP"))
            raise(SIGKILL);
#endif
        if (!outdir_commit(&od))
            status = EXIT_TROUBLE;
    }
out:
    outdir_free(&od);      /* a failed build's working directory goes too */
    cli_paths_free(&inputs);
    free(o.files);
    return status;
}
