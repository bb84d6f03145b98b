/*
 * validate-buffer.c — validate a return held in memory with libtally.
 *
 * A program that receives a return as bytes (an upload, a database blob)
 * checks it without writing it to a file. Here the bytes come from the file
 * named on the command line, read into memory first, to stand for them.
 *
 *   cc validate-buffer.c $(pkg-config --cflags --libs tally) -o validate-buffer
 *   ./validate-buffer kent.csv
 *
 * Prints each diagnostic as `tally validate` does (FILE:LINE:COL: severity[code]:
 * message) and exits 0 (no errors), 1 (errors in the data) or 2 (trouble).
 */
#include <stdio.h>
#include <stdlib.h>

#include <tally/registry.h>
#include <tally/schema.h>
#include <tally/source.h>
#include <tally/version.h>

/* Called once per diagnostic, in order; d and its strings are only lent. */
static void print(void *ctx, const struct tally_diag *d)
{
    (void)ctx;
    printf("%s", d->file);
    if (d->line)
        printf(d->column ? ":%u:%u" : ":%u", (unsigned)d->line, (unsigned)d->column);
    printf(": %s[%s]: ", tally_severity_name(d->severity), d->code);
    if (d->cell)                        /* a workbook's cell, "Sheet1!C7" */
        printf("%s: ", d->cell);
    printf("%s\n", d->message);
}

int main(int argc, char **argv)
{
    if (argc != 2 || tally_version() / 100 != TALLY_VERSION_NUMBER / 100) {
        fprintf(stderr, "usage: validate-buffer FILE (built for tally %s, linked with %s)\n",
                TALLY_VERSION_STRING, tally_version_string());
        return 2;
    }
    /* The bytes: any buffer will do. */
    char *data = NULL;
    size_t len = 0, cap = 0, n = 1;
    FILE *fp = fopen(argv[1], "rb");
    while (fp && n > 0 && (len < cap || (data = realloc(data, cap = 2 * cap + 4096))))
        len += n = fread(data + len, 1, cap - len, fp);
    if (!fp || !data || ferror(fp)) {
        fprintf(stderr, "validate-buffer: cannot read %s\n", argv[1]);
        return 2;
    }
    fclose(fp);

    /* The built-in schema and authority registry, as the tally command uses. */
    struct tally_error err;
    struct tally_schema *schema = tally_schema_load_default(&err);
    struct tally_registry *registry = schema ? tally_registry_load_default(&err) : NULL;
    if (!registry) {
        fprintf(stderr, "validate-buffer: %s\n", err.message);
        tally_schema_free(schema);
        return 2;
    }

    /* The name stands where a path would (in diagnostics) and its ending
     * chooses the reader unless the bytes say what they are: a .csv is read
     * as CSV, a workbook as a workbook whatever its name. */
    struct tally_validate_options o = {.schema = schema, .registry = registry,
                                       .sink = {print, NULL}};
    struct tally_validate_totals totals;
    int rc = tally_validate_buffer(data, len, argv[1], &o, &totals, &err);
    if (rc != TALLY_OK)
        fprintf(stderr, "validate-buffer: %s\n", err.message);
    else
        printf("records %llu, errors %llu, warnings %llu, infos %llu\n",
               (unsigned long long)totals.records, (unsigned long long)totals.errors,
               (unsigned long long)totals.warnings, (unsigned long long)totals.infos);
    tally_registry_free(registry);
    tally_schema_free(schema);
    free(data);     /* tally copied what it needed */
    return rc != TALLY_OK ? 2 : totals.errors ? 1 : 0;
}
