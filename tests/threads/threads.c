/*
 * threads.c — the library's thread contract, tested (make check-threads).
 *
 *   threads [-t THREADS] [-n ITERATIONS] FIXTURES_DIR
 *
 * Every job below is first run alone, on the main thread; its result (every
 * byte it wrote, and every diagnostic) is kept. Then THREADS threads (default
 * 4) each run every job ITERATIONS times (default 3), each on objects of its
 * own — its own schema, registry, readers, validators, writers, builds — and
 * each result must equal the one run alone, byte for byte. Each thread starts
 * at a different job, so that different operations overlap. The jobs:
 *
 *   - validate each input (CSV, JSON, NDJSON, XML, xlsx, ods) with cleaning,
 *     and convert it through every writer (--to csv, json, ndjson, xml),
 *     every other run read ahead on a thread of its own;
 *   - export the schema (table-schema, json-schema);
 *   - build the national dataset from fixtures/build/ (dataset CSV, JSON
 *     and XML, rejects.csv, dataset.sqlite), once plain and once with disclosure control and
 *     the EES files.
 *
 * THREADS_DUMP=1 shows the start of each job's expected result.
 * Run plainly, under ThreadSanitizer (build/tsan/) and under helgrind: a data
 * race, a crash or any difference fails. Exit 0 when all agree.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tally/build.h"
#include "tally/clean.h"
#include "tally/dataset.h"
#include "tally/disclosure.h"
#include "tally/reader.h"
#include "tally/registry.h"
#include "tally/schema.h"
#include "tally/settle.h"
#include "tally/validate.h"
#include "tally/writer.h"
#include "tally/report.h"

static const char *dir;

/* ---- a job's result: bytes written to an in-memory stream --------------------------- */

struct result {
    char *buf;
    size_t len;
    FILE *f;
};

static void result_open(struct result *r)
{
    r->buf = NULL;
    r->len = 0;
    if (!(r->f = open_memstream(&r->buf, &r->len))) {
        perror("threads: open_memstream");
        exit(2);
    }
}

static void result_close(struct result *r)
{
    if (r->f && fclose(r->f) != 0) {
        perror("threads: fclose");
        exit(2);
    }
    r->f = NULL;
}

/* What a job's objects share: the thread's schema and registry, the result,
 * and the codes of the errors of the record being read (for the build). */
struct job_ctx {
    const struct tally_schema *schema;
    const struct tally_registry *registry;
    struct result *out;
    struct tally_sqlite *db;    /* a build's dataset.sqlite, or NULL */
    uint64_t codes_record;
    char codes[1024];
};

static void on_diag(void *p, const struct tally_diag *d)
{
    struct job_ctx *c = p;
    fprintf(c->out->f, "%s:%u:%u:%llu %s %s %s [%s|%s|%s|%s|%s]\n", d->file ? d->file : "-",
            d->line, d->column, (unsigned long long)d->record, tally_severity_name(d->severity),
            d->code, d->message, d->field ? d->field : "", d->value ? d->value : "",
            d->pointer ? d->pointer : "", d->xpath ? d->xpath : "", d->cell ? d->cell : "");
    if (c->db)
        tally_sqlite_diag(c->db, d);
    if (d->severity == TALLY_SEV_ERROR && d->record) {
        if (d->record != c->codes_record) {
            c->codes_record = d->record;
            c->codes[0] = '\0';
        }
        size_t n = strlen(c->codes);
        snprintf(c->codes + n, sizeof c->codes - n, "%s%s", n ? " " : "", d->code);
    }
}

static void failed(const char *what, const struct tally_error *err)
{
    fprintf(stderr, "threads: %s: %s\n", what, err ? err->message : "failed");
    exit(2);
}

/* ---- the jobs ------------------------------------------------------------------------ */

enum job_kind { JOB_READ, JOB_EXPORT, JOB_BUILD };

struct job {
    enum job_kind kind;
    const char *input;      /* JOB_READ: the file under dir */
    const char *writer;     /* JOB_READ: the writer, or NULL (validate only) */
    bool ahead;             /* JOB_READ: read ahead on a thread */
    const char *form;       /* JOB_EXPORT: "table-schema" or "json-schema" */
    bool publish;           /* JOB_BUILD: --disclosure and --publish ees */
    char *expected;         /* the result run alone */
    size_t expected_len;
};

/* Read one input, clean, validate and settle it, and write it with the
 * writer (when there is one); add its records to build (when there is one). */
static void read_one(struct job_ctx *c, const char *path, const char *writer, bool ahead,
                     struct tally_build *build)
{
    struct tally_error err;
    struct tally_diag_sink sink = {on_diag, c};
    struct tally_validator_options vo = {0};
    struct tally_validator *v = tally_validator_new(c->schema, c->registry, &vo, sink, &err);
    struct tally_cleaner *cl = v ? tally_cleaner_new(c->schema, c->registry, sink, &err) : NULL;
    struct tally_settler *st = cl ? tally_settler_new(c->schema, sink, &err) : NULL;
    if (!st || tally_settler_add_file(st, path, &err) != TALLY_OK)
        failed("validator", &err);
    struct tally_writer *w = NULL;
    if (writer) {
        const struct tally_writer_ops *wo = tally_writer_find(writer);
        if (!wo || wo->open(&w, c->out->f, c->schema, &err) != TALLY_OK)
            failed(writer, &err);
    }
    struct tally_input in;
    const struct tally_reader_ops *ops;
    const struct tally_file_kind *kind;
    if (tally_input_open(&in, path, &err) != TALLY_OK ||
        tally_reader_choose(&in, path, NULL, &ops, &kind, &err) != TALLY_OK || !ops)
        failed(path, &err);
    struct tally_reader_config cfg = {.schema = c->schema, .registry = c->registry, .sink = sink,
                                      .clean = true};
    struct tally_reader *r;
    int rc = ahead ? tally_read_ahead_open(&r, ops, &in, &cfg, &err) : ops->open(&r, &in, &cfg, &err);
    if (rc != TALLY_OK)
        failed(path, &err);
    struct tally_record *rec;
    c->codes_record = 0;
    while ((rc = r->ops->next(r, &rec, &err)) == TALLY_RECORD) {
        if (tally_cleaner_clean(cl, rec, &err) != TALLY_OK ||
            tally_validator_check(v, rec, &err) != TALLY_OK ||
            tally_settler_add(st, rec, NULL, &err) != TALLY_OK)
            failed(path, &err);
        if (w && w->ops->write(w, rec, &err) != TALLY_OK)
            failed(writer, &err);
        if (build && tally_build_add(build, rec, rec->index == c->codes_record ? c->codes : "",
                                     &err) != TALLY_OK)
            failed("build", &err);
    }
    if (rc != TALLY_DONE)
        fprintf(c->out->f, "stopped: %d %s\n", rc, err.message);
    if (tally_settler_finish(st, &err) != TALLY_OK)
        failed("settler", &err);
    r->ops->close(r);
    char hex[65];
    if (tally_input_sha256(&in, hex, &err) != TALLY_OK)
        failed("sha256", &err);
    fprintf(c->out->f, "sha256 %s\n", hex);
    tally_input_close(&in);
    if (w) {
        if (w->ops->finish(w, &err) != TALLY_OK)
            failed(writer, &err);
        w->ops->close(w);
    }
    tally_settler_free(st);
    tally_cleaner_free(cl);
    tally_validator_free(v);
}

static const char *const build_inputs[] = {
    "build/east-midlands.csv", "build/east-of-england.csv", "build/kent-resubmitted.json",
    "build/kent.csv", "build/scotland-and-ni.csv", "build/thurrock.ndjson", "build/wales.json",
};
#define NBUILD (sizeof build_inputs / sizeof *build_inputs)

/* Append the bytes of the file at path to out, and remove it. */
static void append_file(struct result *out, const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        perror(path);
        exit(2);
    }
    char buf[65536];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0)
        fwrite(buf, 1, n, out->f);
    fclose(f);
    remove(path);
}

static void run_build(struct job_ctx *c, bool publish)
{
    struct tally_error err;
    /* dataset.sqlite, in a file of this job's own */
    char dbpath[64];
    snprintf(dbpath, sizeof dbpath, "/tmp/tally-threads-%ld-%p.sqlite", (long)getpid(), (void *)c);
    struct tally_sqlite *db = tally_sqlite_open(dbpath, &err);
    if (!db)
        failed("sqlite", &err);
    c->db = db;
    struct tally_diag_sink sink = {on_diag, c};
    struct tally_build_options bo = {.outlier_factor = 2.0, .outlier_min = 10};
    struct tally_build *b = tally_build_new(c->schema, c->registry, &bo, sink, &err);
    if (!b)
        failed("build", &err);
    char paths[NBUILD][512];
    const char *files[NBUILD];
    for (size_t i = 0; i < NBUILD; i++) {
        snprintf(paths[i], sizeof paths[i], "%s/%s", dir, build_inputs[i]);
        files[i] = paths[i];
        tally_build_add_file(b, paths[i]);
        read_one(c, paths[i], NULL, false, b);
    }
    if (tally_build_finish(b, &err) != TALLY_OK)
        failed("build finish", &err);
    if (publish) {
        struct tally_disclosure_audit audit;
        if (tally_build_disclose(b, c->schema, sink, &audit, &err) != TALLY_OK)
            failed("disclose", &err);
        fprintf(c->out->f, "audit passed: %d\n", audit.passed);
        tally_disclosure_audit_fini(&audit);
    }
    for (enum tally_fate f = 0; f < 4; f++)
        fprintf(c->out->f, "fate %d: %llu\n", (int)f,
                (unsigned long long)tally_build_fate_count(b, f));
    if (tally_dataset_csv(c->out->f, b, &err) != TALLY_OK ||
        tally_dataset_json(c->out->f, b, &err) != TALLY_OK ||
        tally_dataset_xml(c->out->f, b, c->schema, &err) != TALLY_OK ||
        tally_rejects_csv(c->out->f, b, c->schema, files, &err) != TALLY_OK)
        failed("dataset", &err);
    struct tally_dataset_input rf[NBUILD];
    for (size_t i = 0; i < NBUILD; i++)
        rf[i] = (struct tally_dataset_input){files[i], "csv", "0", 1, 0, 0};
    const char *meta[] = {"tool", "tally", NULL};
    if (tally_sqlite_finish(db, b, c->schema, rf, NBUILD, meta, &err) != TALLY_OK)
        failed("sqlite", &err);
    c->db = NULL;
    append_file(c->out, dbpath);
    if (publish) {
        fprintf(c->out->f, "ees check: %zu\n", tally_ees_check(b, sink));
        struct tally_ees_result res = {0};
        if (tally_ees_write(c->out->f, c->out->f, b, c->schema, c->registry, &res, &err) != TALLY_OK)
            failed("ees", &err);
        fprintf(c->out->f, "ees rows %llu, left out %zu\n", (unsigned long long)res.rows,
                res.nleft_out);
        tally_ees_result_fini(&res);
    }
    tally_build_free(b);
}

/* Run job j on objects of its own; the result, malloc'd, into *buf. */
static void run_job(const struct job *j, char **buf, size_t *len)
{
    struct tally_error err;
    struct result out;
    result_open(&out);
    /* The thread's own schema and registry, loaded here (loading is part of
     * what runs concurrently). */
    struct tally_schema *schema = tally_schema_load_default(&err);
    if (!schema)
        failed("schema", &err);
    struct tally_registry *registry = tally_registry_load_default(&err);
    if (!registry)
        failed("registry", &err);
    struct job_ctx c = {.schema = schema, .registry = registry, .out = &out};
    char path[512];
    switch (j->kind) {
    case JOB_READ:
        snprintf(path, sizeof path, "%s/%s", dir, j->input);
        read_one(&c, path, j->writer, j->ahead, NULL);
        break;
    case JOB_EXPORT: {
        int rc = strcmp(j->form, "table-schema") == 0
                     ? tally_schema_export_table_schema(schema, out.f, &err)
                     : tally_schema_export_json_schema(schema, out.f, &err);
        if (rc != TALLY_OK)
            failed(j->form, &err);
        break;
    }
    case JOB_BUILD:
        run_build(&c, j->publish);
        break;
    }
    result_close(&out);
    tally_registry_free(registry);
    tally_schema_free(schema);
    *buf = out.buf;
    *len = out.len;
}

static struct job jobs[64];
static size_t njobs;
static int iterations = 3;
static int nthreads = 4;

static void *worker(void *arg)
{
    size_t t = (size_t)arg;
    long bad = 0;
    for (int it = 0; it < iterations; it++) {
        for (size_t k = 0; k < njobs; k++) {
            const struct job *j = &jobs[(k + t * 5 + (size_t)it) % njobs];
            char *buf;
            size_t len;
            run_job(j, &buf, &len);
            if (len != j->expected_len || memcmp(buf, j->expected, len) != 0) {
                fprintf(stderr, "FAIL thread %zu, iteration %d: %s %s%s differs from the "
                        "single-threaded run (%zu bytes, not %zu)\n", t, it,
                        j->kind == JOB_READ ? j->input : j->kind == JOB_EXPORT ? "export" : "build",
                        j->writer ? j->writer : j->form ? j->form : "",
                        j->publish ? " --disclosure --publish ees" : "", len, j->expected_len);
                bad++;
            }
            free(buf);
        }
    }
    /* The thread's GLPK environment (the disclosure audit's), as the contract asks. */
    tally_disclosure_thread_end();
    return (void *)bad;
}

int main(int argc, char **argv)
{
    int i = 1;
    for (; i + 1 < argc && argv[i][0] == '-'; i += 2) {
        if (strcmp(argv[i], "-t") == 0)
            nthreads = atoi(argv[i + 1]);
        else if (strcmp(argv[i], "-n") == 0)
            iterations = atoi(argv[i + 1]);
        else
            break;
    }
    if (i != argc - 1 || nthreads < 1 || nthreads > 64 || iterations < 1) {
        fprintf(stderr, "usage: threads [-t THREADS] [-n ITERATIONS] FIXTURES_DIR\n");
        return 2;
    }
    dir = argv[i];
    static const char *const inputs[] = {
        "build/kent.csv", "build/wales.json", "build/thurrock.ndjson", "xml/valid.xml",
        "workbooks/kent.xlsx", "workbooks/errors.xlsx", "workbooks/libreoffice/kent.ods",
        "messy/messy.csv",
    };
    size_t w = 0;
    for (size_t k = 0; k < sizeof inputs / sizeof *inputs; k++) {
        jobs[njobs++] = (struct job){JOB_READ, inputs[k], NULL, k % 2 == 1, NULL, false, NULL, 0};
        for (const struct tally_writer_ops *const *wo = tally_writers(); *wo; wo++, w++)
            jobs[njobs++] = (struct job){JOB_READ, inputs[k], (*wo)->name, w % 2 == 0, NULL, false,
                                         NULL, 0};
    }
    jobs[njobs++] = (struct job){.kind = JOB_EXPORT, .form = "table-schema"};
    jobs[njobs++] = (struct job){.kind = JOB_EXPORT, .form = "json-schema"};
    jobs[njobs++] = (struct job){.kind = JOB_BUILD, .publish = false};
    jobs[njobs++] = (struct job){.kind = JOB_BUILD, .publish = true};

    /* Each job alone, on this thread: the expected results. */
    for (size_t k = 0; k < njobs; k++) {
        run_job(&jobs[k], &jobs[k].expected, &jobs[k].expected_len);
        if (getenv("THREADS_DUMP"))
            fprintf(stderr, "job %zu: %zu bytes\n%.*s\n", k, jobs[k].expected_len,
                    (int)(jobs[k].expected_len < 400 ? jobs[k].expected_len : 400), jobs[k].expected);
        if (jobs[k].expected_len == 0) {
            fprintf(stderr, "threads: job %zu wrote nothing\n", k);
            return 2;
        }
    }

    pthread_t th[64];
    for (int t = 0; t < nthreads; t++)
        if (pthread_create(&th[t], NULL, worker, (void *)(size_t)t) != 0) {
            fprintf(stderr, "threads: cannot start a thread\n");
            return 2;
        }
    long bad = 0;
    for (int t = 0; t < nthreads; t++) {
        void *r;
        pthread_join(th[t], &r);
        bad += (long)r;
    }
    for (size_t k = 0; k < njobs; k++)
        free(jobs[k].expected);
    tally_disclosure_thread_end();
    printf("threads: %d threads x %d iterations x %zu jobs (validate, convert --to every "
           "writer, schema exports, build, build --disclosure --publish ees): %ld differences\n",
           nthreads, iterations, njobs, bad);
    return bad ? 1 : 0;
}
