/*
 * check_disclosure.c — disclosure control: the audit's intervals on hand-made
 * tables (one suppressed cell in a sum must fail), secondary suppression's
 * choices, the schema's linear rules as relations, and a build made safe.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "suites.h"
#include "tally/disclosure.h"
#include "tally/reader.h"
#include "tally/validate.h"

/* A table of cells (value, rank) and sums: total = the others. */
static struct tally_sdc *sum_table(const int64_t *values, size_t n, size_t *total)
{
    struct tally_sdc *t = tally_sdc_new();
    ck_assert_ptr_nonnull(t);
    size_t cells[16];
    int64_t coef[16];
    int64_t sum = 0;
    for (size_t i = 0; i < n; i++) {
        cells[i] = (size_t)tally_sdc_cell(t, values[i], 0, 1000000, 0);
        coef[i] = 1;
        sum += values[i];
    }
    *total = (size_t)tally_sdc_cell(t, sum, 0, TALLY_SDC_NO_BOUND, 1);
    cells[n] = *total;
    coef[n] = -1;
    ck_assert_int_eq(tally_sdc_relation(t, cells, coef, n + 1, true, 0), TALLY_OK);
    return t;
}

START_TEST(test_one_suppressed_cell_in_a_sum)
{
    /* a + b = total, with a (3) suppressed and b and the total published:
     * a = total - b, exactly. The audit must say so. */
    size_t total;
    struct tally_sdc *t = sum_table((const int64_t[]){3, 7}, 2, &total);
    struct tally_error err;
    int64_t lo, hi;
    tally_sdc_suppress(t, 0, TALLY_SDC_PRIMARY);
    ck_assert_int_eq(tally_sdc_interval(t, 0, false, &lo, &hi, &err), TALLY_OK);
    ck_assert_int_eq(lo, 3);
    ck_assert_int_eq(hi, 3);
    ck_assert_int_eq(tally_sdc_interval(t, 0, true, &lo, &hi, &err), TALLY_OK);
    ck_assert_int_eq(lo, 3);
    ck_assert_int_eq(hi, 3);
    /* b suppressed too: a is anywhere from 0 to 10 */
    tally_sdc_suppress(t, 1, TALLY_SDC_SECONDARY);
    ck_assert_int_eq(tally_sdc_interval(t, 0, true, &lo, &hi, &err), TALLY_OK);
    ck_assert_int_eq(lo, 0);
    ck_assert_int_eq(hi, 10);
    /* the total suppressed instead (b published): a is only bounded by its maximum */
    tally_sdc_suppress(t, 1, TALLY_SDC_NONE);
    tally_sdc_suppress(t, total, TALLY_SDC_SECONDARY);
    ck_assert_int_eq(tally_sdc_interval(t, 0, false, &lo, &hi, &err), TALLY_OK);
    ck_assert_int_eq(lo, 0);
    ck_assert_int_eq(hi, 1000000);
    tally_sdc_free(t);
}
END_TEST

START_TEST(test_protect_chooses_complements)
{
    /* a = 2 is primary; b = 0, c = 9, d = 30 published; the total published.
     * The order: authorities before totals, a non-zero before a zero, the
     * smaller first: c (9) makes a's interval 0 to 11, wide enough. */
    size_t total;
    struct tally_sdc *t = sum_table((const int64_t[]){2, 0, 9, 30}, 4, &total);
    struct tally_error err;
    uint64_t added;
    tally_sdc_suppress(t, 0, TALLY_SDC_PRIMARY);
    ck_assert_int_eq(tally_sdc_protect(t, 5, &added, &err), TALLY_OK);
    ck_assert_uint_eq(added, 1);
    ck_assert_int_eq(tally_sdc_marked(t, 2), TALLY_SDC_SECONDARY);
    ck_assert_int_eq(tally_sdc_marked(t, 1), TALLY_SDC_NONE);
    ck_assert_int_eq(tally_sdc_marked(t, 3), TALLY_SDC_NONE);
    ck_assert_int_eq(tally_sdc_marked(t, total), TALLY_SDC_NONE);
    int64_t lo, hi;
    ck_assert_int_eq(tally_sdc_interval(t, 0, true, &lo, &hi, &err), TALLY_OK);
    ck_assert_int_eq(lo, 0);
    ck_assert_int_eq(hi, 11);
    tally_sdc_free(t);

    /* a, b and c are 1 each, all primary: suppressed together they are each 0
     * to 3, too narrow. The zero d is tried first (an authority before a total)
     * but adds no room; the total goes, and then each is only bounded by its
     * maximum. */
    t = sum_table((const int64_t[]){1, 1, 1, 0}, 4, &total);
    for (size_t i = 0; i < 3; i++)
        tally_sdc_suppress(t, i, TALLY_SDC_PRIMARY);
    ck_assert_int_eq(tally_sdc_protect(t, 5, &added, &err), TALLY_OK);
    ck_assert_uint_eq(added, 1);
    ck_assert_int_eq(tally_sdc_marked(t, 3), TALLY_SDC_NONE);
    ck_assert_int_eq(tally_sdc_marked(t, total), TALLY_SDC_SECONDARY);
    for (size_t i = 0; i < 3; i++) {
        ck_assert_int_eq(tally_sdc_interval(t, i, true, &lo, &hi, &err), TALLY_OK);
        ck_assert_int_ge(hi - lo, 5);
    }
    tally_sdc_free(t);
}
END_TEST

START_TEST(test_nothing_left_to_suppress)
{
    /* a single cell equal to a published... nothing: a = total with both in
     * range and both primary: a = total, each anywhere in 0..max: safe. But a
     * cell alone in a relation fixed by a constant cannot be saved. */
    struct tally_sdc *t = tally_sdc_new();
    long a = tally_sdc_cell(t, 4, 0, 1000000, 0);
    size_t cells[1] = {(size_t)a};
    int64_t coef[1] = {1};
    ck_assert_int_eq(tally_sdc_relation(t, cells, coef, 1, true, 4), TALLY_OK);
    tally_sdc_suppress(t, (size_t)a, TALLY_SDC_PRIMARY);
    struct tally_error err;
    uint64_t added;
    ck_assert_int_eq(tally_sdc_protect(t, 5, &added, &err), TALLY_OK);
    ck_assert_uint_eq(added, 0);
    int64_t lo, hi;
    ck_assert_int_eq(tally_sdc_interval(t, (size_t)a, true, &lo, &hi, &err), TALLY_OK);
    ck_assert_int_eq(lo, 4);
    ck_assert_int_eq(hi, 4);
    /* a relation that contradicts the values is a failure, not an answer */
    long b = tally_sdc_cell(t, 7, 0, 10, 0);
    cells[0] = (size_t)b;
    ck_assert_int_eq(tally_sdc_relation(t, cells, coef, 1, false, 6), TALLY_OK);
    ck_assert_int_eq(tally_sdc_interval(t, (size_t)a, false, &lo, &hi, &err), TALLY_EINVAL);
    /* a relation naming a cell twice, or a coefficient of 0, is refused */
    size_t twice[2] = {(size_t)a, (size_t)a};
    int64_t ones[2] = {1, 1}, zero[1] = {0};
    ck_assert_int_eq(tally_sdc_relation(t, twice, ones, 2, true, 0), TALLY_EINVAL);
    ck_assert_int_eq(tally_sdc_relation(t, cells, zero, 1, true, 0), TALLY_EINVAL);
    tally_sdc_free(t);
}
END_TEST

START_TEST(test_rules_within_a_row)
{
    /* One authority's row: in_care 10 published, went_missing 3 and found 3
     * suppressed, not_found 0 published; found + not_found == went_missing and
     * went_missing <= in_care: went_missing is anywhere from 0 to 10. */
    struct tally_sdc *t = tally_sdc_new();
    long ic = tally_sdc_cell(t, 10, 0, 1000000, 0), wm = tally_sdc_cell(t, 3, 0, 1000000, 0),
         fd = tally_sdc_cell(t, 3, 0, 1000000, 0), nf = tally_sdc_cell(t, 0, 0, 1000000, 0);
    size_t r1[3] = {(size_t)fd, (size_t)nf, (size_t)wm};
    int64_t c1[3] = {1, 1, -1};
    size_t r2[2] = {(size_t)wm, (size_t)ic};
    int64_t c2[2] = {1, -1};
    ck_assert_int_eq(tally_sdc_relation(t, r1, c1, 3, true, 0), TALLY_OK);
    ck_assert_int_eq(tally_sdc_relation(t, r2, c2, 2, false, 0), TALLY_OK);
    tally_sdc_suppress(t, (size_t)wm, TALLY_SDC_PRIMARY);
    tally_sdc_suppress(t, (size_t)fd, TALLY_SDC_PRIMARY);
    struct tally_error err;
    int64_t lo, hi;
    ck_assert_int_eq(tally_sdc_interval(t, (size_t)wm, true, &lo, &hi, &err), TALLY_OK);
    ck_assert_int_eq(lo, 0);
    ck_assert_int_eq(hi, 10);
    /* with in_care 4, the interval is 0 to 4: too narrow for a range of 1 to 5 */
    tally_sdc_free(t);
}
END_TEST

START_TEST(test_linear_rules_of_the_schema)
{
    struct tally_error err;
    struct tally_schema *s = tally_schema_load_default(&err);
    ck_assert_ptr_nonnull(s);
    const char *ids[16];
    size_t n = tally_disclosure_linear_rules(s, ids, 16);
    /* the error rules over counts that are linear: not period-order (dates),
     * not incidents-need-children ("or"), not the warnings */
    ck_assert_uint_eq(n, 5);
    ck_assert_str_eq(ids[0], "missing-le-in-care");
    ck_assert_str_eq(ids[1], "found-le-went-missing");
    ck_assert_str_eq(ids[2], "not-found-le-went-missing");
    ck_assert_str_eq(ids[3], "found-plus-not-found");
    ck_assert_str_eq(ids[4], "incidents-ge-went-missing");
    /* the default policy */
    ck_assert_int_eq(s->disclosure.minimum, 1);
    ck_assert_int_eq(s->disclosure.maximum, 5);
    ck_assert_str_eq(s->disclosure.symbol, "c");
    tally_schema_free(s);
}
END_TEST

#define H "authority_code,period_start,period_end,cohort,in_care,went_missing," \
          "missing_incidents,found,not_found\n"

static void sink_count(void *ctx, const struct tally_diag *d)
{
    if (strcmp(d->code, "disclosure-unsafe") == 0)
        (*(int *)ctx)++;
}

START_TEST(test_build_disclosed)
{
    /* East Midlands, uasc, the only English authorities that report:
     * Leicester 3 in care (in 1 to 5), Derby 40, Nottingham 12. Primary:
     * Leicester's in_care 3, Derby's not_found 5, and the region's, England's
     * and the UK's not_found (5 too: Derby's alone). Leicester's 3 is
     * 55 - 40 - 12: one more in_care goes, the cheaper, Nottingham's 12 (then
     * Leicester's is 0 to 9: Nottingham's went_missing 6 keeps its in_care at 6
     * or more). Derby's not_found is went_missing - found = 20 - 15 in its row,
     * and its found is 21 - 0 - 6 by every found total: its found and the three
     * found totals go (four cells; hiding its went_missing instead would need
     * the three went_missing totals as well, the same number, at a higher
     * value), and not_found is then 0 to 20. */
    static const char text[] =
        H "E06000016,2014-10-01,2015-09-30,uasc,3,0,0,0,0\n"
          "E06000015,2014-10-01,2015-09-30,uasc,40,20,30,15,5\n"
          "E06000018,2014-10-01,2015-09-30,uasc,12,6,9,6,0\n";
    struct tally_error err;
    struct tally_schema *schema = tally_schema_load_default(&err);
    struct tally_registry *reg = tally_registry_load_default(&err);
    int unsafe = 0;
    struct tally_diag_sink sink = {sink_count, &unsafe};
    struct tally_build_options bo = {.outlier_factor = 3, .outlier_min = 10};
    struct tally_validator_options vo = {0};
    struct tally_build *b = tally_build_new(schema, reg, &bo, sink, &err);
    struct tally_validator *v = tally_validator_new(schema, reg, &vo, sink, &err);
    char path[] = "/tmp/tally-disclosure-XXXXXX";
    int fd = mkstemp(path);
    ck_assert_int_eq((long)write(fd, text, strlen(text)), (long)strlen(text));
    close(fd);
    struct tally_input in;
    ck_assert_int_eq(tally_input_open(&in, path, &err), TALLY_OK);
    struct tally_reader_config cfg = {.schema = schema, .sink = sink};
    struct tally_reader *r;
    ck_assert_int_eq(tally_reader_find("csv")->open(&r, &in, &cfg, &err), TALLY_OK);
    tally_build_add_file(b, path);
    struct tally_record *rec;
    while (r->ops->next(r, &rec, &err) == TALLY_RECORD) {
        ck_assert_int_eq(tally_validator_check(v, rec, &err), TALLY_OK);
        ck_assert_int_eq(tally_build_add(b, rec, NULL, &err), TALLY_OK);
    }
    r->ops->close(r);
    tally_input_close(&in);
    unlink(path);
    ck_assert_int_eq(tally_build_finish(b, &err), TALLY_OK);
    struct tally_disclosure_audit audit;
    ck_assert_int_eq(tally_build_disclose(b, schema, sink, &audit, &err), TALLY_OK);
    ck_assert(audit.passed);
    ck_assert_int_eq(unsafe, 0);
    ck_assert_uint_eq(audit.tables, 2);
    ck_assert_uint_eq(audit.primary, 5);
    ck_assert_uint_eq(audit.secondary, 5);
    ck_assert_uint_eq(audit.primary_ratios, 1);     /* Leicester's 0.0 */
    ck_assert_uint_eq(audit.secondary_ratios, 1);   /* Nottingham's 50.0 */
    ck_assert(audit.has_narrowest);
    ck_assert_int_ge(audit.narrowest.upper - audit.narrowest.lower, 5);
    const char *leicester = NULL, *nottingham = NULL, *pct = NULL, *derby_found = NULL;
    for (size_t i = 0; i < tally_build_nrows(b); i++) {
        const struct tally_dataset_row *row = tally_build_row_at(b, i);
        if (strcmp(row->cohort, "uasc") != 0)
            continue;
        if (strcmp(row->area_code, "E06000016") == 0) {
            leicester = row->measures[0];
            pct = row->ratios[0];
            ck_assert_int_eq(row->sdc[0], TALLY_SDC_PRIMARY);
            ck_assert_str_eq(row->measures[1], "0");     /* 0 is published */
        }
        if (strcmp(row->area_code, "E06000018") == 0)
            nottingham = row->measures[0];
        if (strcmp(row->area_code, "E06000015") == 0) {
            derby_found = row->measures[3];
            ck_assert_str_eq(row->measures[4], "c");
            ck_assert_str_eq(row->ratios[0], "50.0");   /* 20 of 40: both published */
        }
    }
    ck_assert_str_eq(leicester, "c");
    ck_assert_str_eq(pct, "c");     /* 0 of 3: the percentage would give the 3 away */
    ck_assert_str_eq(nottingham, "c");
    ck_assert_str_eq(derby_found, "c");
    tally_disclosure_audit_fini(&audit);
    tally_validator_free(v);
    tally_build_free(b);
    tally_registry_free(reg);
    tally_schema_free(schema);
}
END_TEST

Suite *disclosure_suite(void)
{
    Suite *s = suite_create("disclosure");
    TCase *tc = tcase_create("disclosure");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_one_suppressed_cell_in_a_sum);
    tcase_add_test(tc, test_protect_chooses_complements);
    tcase_add_test(tc, test_nothing_left_to_suppress);
    tcase_add_test(tc, test_rules_within_a_row);
    tcase_add_test(tc, test_linear_rules_of_the_schema);
    tcase_add_test(tc, test_build_disclosed);
    suite_add_tcase(s, tc);
    return s;
}
