/*
 * build-two.c — build the national dataset from two returns with libtally,
 * and print what became of their records and the dataset's UK rows.
 *
 *   cc build-two.c $(pkg-config --cflags --libs tally) -o build-two
 *   ./build-two kent.csv wales.json
 *
 * The order of calls: load the schema and registry; make a validator and a
 * build; for each file, tell the build, then open it (tally_source_open
 * chooses its reader as `tally build` does) and give each record to the
 * validator and then to the build; finish the build; read its rows.
 * Diagnostics go to standard error here; the counts and rows to standard output.
 */
#include <stdio.h>
#include <string.h>

#include <tally/build.h>
#include <tally/source.h>

static void to_stderr(void *ctx, const struct tally_diag *d)
{
    (void)ctx;
    fprintf(stderr, "%s:%u:%u: %s[%s]: %s\n", d->file ? d->file : "build", (unsigned)d->line,
            (unsigned)d->column, tally_severity_name(d->severity), d->code, d->message);
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: build-two FILE FILE\n");
        return 2;
    }
    struct tally_error err;
    struct tally_diag_sink sink = {to_stderr, NULL};
    struct tally_schema *schema = tally_schema_load_default(&err);
    struct tally_registry *registry = schema ? tally_registry_load_default(&err) : NULL;
    struct tally_validator_options vo = {0};    /* no --period */
    struct tally_build_options bo = {.outlier_factor = 3, .outlier_min = 10}; /* tally's defaults */
    struct tally_validator *v = registry ? tally_validator_new(schema, registry, &vo, sink, &err) : NULL;
    struct tally_build *b = v ? tally_build_new(schema, registry, &bo, sink, &err) : NULL;
    int rc = b ? TALLY_OK : err.status;
    for (int i = 1; rc == TALLY_OK && i < argc; i++) {
        struct tally_source_options so = {.reader = {.schema = schema, .registry = registry,
                                                     .sink = sink}};
        struct tally_source *src = NULL;
        struct tally_record *rec;
        if (tally_build_add_file(b, argv[i]) == SIZE_MAX)
            rc = tally_error_set(&err, TALLY_ENOMEM, "out of memory");
        else
            rc = tally_source_open(&src, argv[i], &so, &err);
        while (rc == TALLY_OK && (rc = tally_source_next(src, &rec, &err)) == TALLY_RECORD)
            if ((rc = tally_validator_check(v, rec, &err)) == TALLY_OK)
                rc = tally_build_add(b, rec, NULL, &err);   /* decides its fate at finish */
        if (rc == TALLY_DONE)
            rc = TALLY_OK;
        tally_source_close(src);
    }
    if (rc == TALLY_OK)
        rc = tally_build_finish(b, &err);
    if (rc == TALLY_OK) {
        for (int k = 0; k < TALLY_FATE_COUNT; k++)
            printf("%s: %llu\n", tally_fate_name((enum tally_fate)k),
                   (unsigned long long)tally_build_fate_count(b, (enum tally_fate)k));
        const char *const *columns = tally_build_columns(b);    /* NULL-terminated */
        for (size_t c = 0; columns[c]; c++)
            printf("%s%s", c ? "," : "", columns[c]);
        printf("\n");
        for (size_t i = 0; i < tally_build_nrows(b); i++) {
            const struct tally_dataset_row *row = tally_build_row_at(b, i);
            if (strcmp(row->level, "uk") != 0)
                continue;
            char buf[24];
            for (size_t c = 0; columns[c]; c++)
                printf("%s%s", c ? "," : "", tally_build_cell(b, row, c, buf));
            printf("\n");
        }
    } else {
        fprintf(stderr, "build-two: %s\n", err.message);
    }
    tally_build_free(b);
    tally_validator_free(v);
    tally_registry_free(registry);
    tally_schema_free(schema);
    return rc == TALLY_OK ? 0 : 2;
}
