/*
 * check_api.c — the library as a third party uses it: its version, and
 * (below) opening an input as the CLI does, from a path or from memory.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "suites.h"
#include "testutil.h"
#include "tally/registry.h"
#include "tally/schema.h"
#include "tally/source.h"
#include "tally/version.h"

START_TEST(test_version)
{
    char want[32];
    snprintf(want, sizeof want, "%d.%d.%d", TALLY_VERSION_MAJOR, TALLY_VERSION_MINOR,
             TALLY_VERSION_PATCH);
    ck_assert_str_eq(TALLY_VERSION_STRING, want);
    ck_assert_str_eq(tally_version_string(), want);
    ck_assert_int_eq(tally_version(), TALLY_VERSION_NUMBER);
    ck_assert_int_eq(TALLY_VERSION_NUMBER,
                     TALLY_VERSION_MAJOR * 10000 + TALLY_VERSION_MINOR * 100 + TALLY_VERSION_PATCH);
}
END_TEST

/* One diagnostic as a line; *out is malloc'd. */
static int asprintf_like(char **out, const struct tally_diag *d)
{
    const char *fmt = "%s:%u:%u %s[%s] %s\n";
    const char *file = d->file ? d->file : "-";
    int n = snprintf(NULL, 0, fmt, file, (unsigned)d->line, (unsigned)d->column,
                     tally_severity_name(d->severity), d->code, d->message);
    if (n < 0 || !(*out = malloc((size_t)n + 1)))
        return -1;
    return snprintf(*out, (size_t)n + 1, fmt, file, (unsigned)d->line, (unsigned)d->column,
                    tally_severity_name(d->severity), d->code, d->message);
}

/* Diagnostics as "FILE:LINE:COL severity[code] message", one a line, in order. */
struct lines {
    char *text;
    size_t len, cap;
    size_t n;
};

static void add_line(void *ctx, const struct tally_diag *d)
{
    struct lines *l = ctx;
    char *line = NULL;
    int n = asprintf_like(&line, d);
    ck_assert_int_gt(n, 0);
    if (l->len + (size_t)n + 1 > l->cap) {
        l->cap = (l->len + (size_t)n + 1) * 2;
        ck_assert_ptr_nonnull(l->text = realloc(l->text, l->cap));
    }
    memcpy(l->text + l->len, line, (size_t)n + 1);
    l->len += (size_t)n;
    l->n++;
    free(line);
}

static struct tally_schema *schema;
static struct tally_registry *registry;

static void setup(void)
{
    struct tally_error err;
    ck_assert_ptr_nonnull(schema = tally_schema_load_default(&err));
    ck_assert_ptr_nonnull(registry = tally_registry_load_default(&err));
}

static void teardown(void)
{
    tally_registry_free(registry);
    tally_schema_free(schema);
}

static struct tally_validate_options options(struct lines *l)
{
    return (struct tally_validate_options){.schema = schema, .registry = registry,
                                           .sink = {add_line, l}};
}

/* A CSV held in memory: the exact diagnostics, with line and column. */
START_TEST(test_buffer_exact)
{
    static const char csv[] =
        "authority_code,authority_name,period_start,period_end,submitted,cohort,in_care,"
        "went_missing,missing_incidents,found,not_found\n"
        "E10000016,Kent,2014-10-01,2015-09-30,2015-10-01T09:00:00+01:00,trafficked,31,9,22,7,2\n"
        /* in_care starts at column 69: 10 + 5 + 11 + 11 + 26 + 5 characters before it */
        "E10000016,Kent,2014-10-01,2015-09-30,2015-10-01T09:00:00+01:00,uasc,98O,188,410,135,53\n"
        /* ten fields: the line's 83 characters end before column 84 */
        "E10000016,Kent,2014-10-01,2015-09-30,2015-10-01T09:00:00+01:00,uasc,980,188,410,135\n";
    struct lines l = {0};
    struct tally_validate_options o = options(&l);
    struct tally_validate_totals t;
    struct tally_error err;
    ck_assert_int_eq(tally_validate_buffer(csv, sizeof csv - 1, "kent.csv", &o, &t, &err), TALLY_OK);
    ck_assert_str_eq(l.text,
        "kent.csv:3:69 error[type] in_care must be a whole number or one of x, c or z, not \"98O\"\n"
        "kent.csv:4:84 error[csv-ragged-row] the row has 10 fields but the header has 11\n");
    ck_assert_uint_eq(t.records, 3);
    ck_assert_uint_eq(t.errors, 2);
    ck_assert_uint_eq(t.warnings, 0);
    ck_assert_uint_eq(t.infos, 0);
    free(l.text);

    /* No name: "<memory>", and the reader chosen by content (CSV). */
    struct lines m = {0};
    o = options(&m);
    ck_assert_int_eq(tally_validate_buffer(csv, sizeof csv - 1, NULL, &o, &t, &err), TALLY_OK);
    ck_assert_str_eq(m.text,
        "<memory>:3:69 error[type] in_care must be a whole number or one of x, c or z, not \"98O\"\n"
        "<memory>:4:84 error[csv-ragged-row] the row has 10 fields but the header has 11\n");
    free(m.text);
}
END_TEST

/* Every kind of input: a buffer named as the file gives exactly the file's
 * diagnostics, totals and SHA-256 — with and without reading ahead. */
START_TEST(test_buffer_as_file)
{
    static const char *const paths[] = {
        "fixtures/build/kent.csv", "fixtures/build/kent-resubmitted.json",
        "fixtures/build/thurrock.ndjson", "fixtures/build/wales.json",
        "fixtures/returns/east-midlands-and-east.csv", "fixtures/messy/messy.csv",
        "fixtures/messy/messy.json", "fixtures/xml/valid.xml", "fixtures/xml/malformed.xml",
        "fixtures/xml/schema-violation.xml", "fixtures/settle/a-b-a.csv",
        "fixtures/workbooks/kent.xlsx", "fixtures/workbooks/kent.ods",
        "fixtures/workbooks/errors.xlsx", "fixtures/not-returns/notes.docx",
        "fixtures/not-returns/guidance.pdf", "fixtures/not-returns/kent-return.csv",
    };
    size_t diags = 0;
    for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++) {
        size_t len;
        char *data = read_whole(paths[i], &len);
        ck_assert_ptr_nonnull(data);
        struct lines a = {0}, b = {0};
        struct tally_validate_options oa = options(&a), ob = options(&b);
        struct tally_validate_totals ta, tb;
        struct tally_error err;
        ck_assert_int_eq(tally_validate_file(paths[i], &oa, &ta, &err), TALLY_OK);
        ck_assert_int_eq(tally_validate_buffer(data, len, paths[i], &ob, &tb, &err), TALLY_OK);
        ck_assert_msg(a.n == b.n && (!a.n || strcmp(a.text, b.text) == 0),
                      "%s: file gives\n%s\nbuffer gives\n%s", paths[i], a.text, b.text);
        ck_assert_uint_eq(ta.records, tb.records);
        ck_assert_uint_eq(ta.errors, tb.errors);
        ck_assert_uint_eq(ta.warnings, tb.warnings);
        ck_assert_uint_eq(ta.infos, tb.infos);
        ck_assert_uint_eq(ta.errors + ta.warnings + ta.infos, a.n);
        diags += a.n;

        /* The source: the same reader, the same SHA-256, ahead or not. */
        char hex[2][65];
        const char *fmt[2];
        struct lines c[2] = {{0}, {0}};
        for (int k = 0; k < 2; k++) {
            struct tally_source_options so = {
                .read_ahead = k ? TALLY_READ_AHEAD_ON : TALLY_READ_AHEAD_OFF,
                .reader = {.schema = schema, .registry = registry, .sink = {add_line, &c[k]}}};
            struct tally_source *src;
            ck_assert_int_eq(k ? tally_source_open_memory(&src, data, len, paths[i], &so, &err)
                               : tally_source_open(&src, paths[i], &so, &err), TALLY_OK);
            fmt[k] = tally_source_format(src);
            struct tally_record *rec;
            int rc;
            while ((rc = tally_source_next(src, &rec, &err)) == TALLY_RECORD)
                ;
            ck_assert_int_eq(rc, TALLY_DONE);
            ck_assert_int_eq(tally_source_sha256(src, hex[k], &err), TALLY_OK);
            tally_source_close(src);
        }
        ck_assert_str_eq(hex[0], hex[1]);
        ck_assert_msg(fmt[0] == fmt[1], "%s: read as %s and %s", paths[i], fmt[0], fmt[1]);
        ck_assert_msg(c[0].n == c[1].n && (!c[0].n || strcmp(c[0].text, c[1].text) == 0),
                      "%s: the source read ahead from memory differs", paths[i]);
        free(c[0].text);
        free(c[1].text);
        free(a.text);
        free(b.text);
        free(data);
    }
    ck_assert_uint_gt(diags, 20);   /* the comparison compared something */
}
END_TEST

/* How a buffer's reader is chosen: magic bytes first, then the format asked
 * for, then the name's ending, then content. */
START_TEST(test_buffer_choice)
{
    static const struct { const char *path, *name, *format, *want; } cases[] = {
        {"fixtures/workbooks/kent.xlsx", "kent.bin", NULL, "xlsx"},     /* magic bytes */
        {"fixtures/workbooks/kent.xlsx", "kent.csv", "csv", "xlsx"},    /* never as text */
        {"fixtures/workbooks/kent.ods", NULL, NULL, "ods"},
        {"fixtures/build/thurrock.ndjson", "t.ndjson", NULL, "ndjson"}, /* by name */
        {"fixtures/build/thurrock.ndjson", "t.jsonl", NULL, "ndjson"},
        {"fixtures/build/wales.json", NULL, NULL, "json"},              /* by content */
        {"fixtures/xml/valid.xml", "valid", NULL, "xml"},
        {"fixtures/build/kent.csv", "kent.json", "csv", "csv"},         /* as asked */
        {"fixtures/not-returns/notes.docx", "notes.docx", NULL, NULL},  /* not a return */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        size_t len;
        char *data = read_whole(cases[i].path, &len);
        ck_assert_ptr_nonnull(data);
        struct lines l = {0};
        struct tally_source_options so = {.format = cases[i].format,
            .reader = {.schema = schema, .registry = registry, .sink = {add_line, &l}}};
        struct tally_source *src;
        struct tally_error err;
        ck_assert_int_eq(tally_source_open_memory(&src, data, len, cases[i].name, &so, &err), TALLY_OK);
        const char *got = tally_source_format(src);
        ck_assert_msg(cases[i].want ? got && strcmp(got, cases[i].want) == 0 : !got,
                      "%s as %s: read as %s", cases[i].path, cases[i].name, got);
        if (!cases[i].want)
            ck_assert_str_eq(l.text, "notes.docx:0:0 error[format] the file is a Word document, not "
                             "a return: tally reads returns as CSV, JSON, NDJSON or XML; put the "
                             "figures in a spreadsheet and save it as CSV UTF-8\n");
        tally_source_close(src);
        free(l.text);
        free(data);
    }
    struct tally_source_options so = {.format = "tsv", .reader = {.schema = schema}};
    struct tally_source *src = (struct tally_source *)&so;
    struct tally_error err;
    ck_assert_int_eq(tally_source_open_memory(&src, "a,b\n", 4, NULL, &so, &err), TALLY_EFORMAT);
    ck_assert_ptr_null(src);
    ck_assert_str_eq(err.message, "unknown format \"tsv\"");
    ck_assert_int_eq(tally_source_open(&src, "fixtures/none.csv", &so, &err), TALLY_EIO);
    ck_assert_str_eq(err.message, "cannot open \"fixtures/none.csv\": No such file or directory");
}
END_TEST

/* The endings a directory walk reads come from the reader table, whole. */
START_TEST(test_endings)
{
    char *e = tally_reader_endings();
    ck_assert_str_eq(e, ".csv, .json, .ndjson, .jsonl, .xml, .xlsx, .xlsm and .ods");
    free(e);
    size_t n = 0;
    for (const struct tally_reader_ops *const *r = tally_readers(); *r; r++)
        for (const char *const *x = (*r)->extensions; *x; x++, n++) {
            char name[64];
            snprintf(name, sizeof name, "returns/kent%s", *x);
            ck_assert_ptr_eq(tally_reader_for_path(name), *r);
        }
    ck_assert_uint_eq(n, 8);
}
END_TEST

Suite *api_suite(void)
{
    Suite *s = suite_create("api");
    TCase *tc = tcase_create("version");
    tcase_add_test(tc, test_version);
    suite_add_tcase(s, tc);
    tc = tcase_create("source");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_buffer_exact);
    tcase_add_test(tc, test_buffer_as_file);
    tcase_add_test(tc, test_buffer_choice);
    tcase_add_test(tc, test_endings);
    suite_add_tcase(s, tc);
    return s;
}
