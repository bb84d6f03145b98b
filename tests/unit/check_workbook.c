/*
 * check_workbook.c — the workbook readers (readers/xlsx.c, ods.c) and what they
 * share (readers/workbook.c): values as shown, cells and positions, paths,
 * sheet references, and the zip limits — those too large for a fixture are
 * tested here with lowered limits.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "readers/workbook.h"
#include "suites.h"
#include "tally/registry.h"
#include "testutil.h"

static void read_fixture(const char *reader, const char *path, const struct collect_options *o,
                         struct collected *c)
{
    size_t len;
    char *data = read_whole(path, &len);
    collect_with(reader, data, len, o, c);
    free(data);
}

START_TEST(test_resolve)
{
    static const char *const cases[][3] = {
        {"xl/workbook.xml", "worksheets/sheet1.xml", "xl/worksheets/sheet1.xml"},
        {"xl/workbook.xml", "/xl/worksheets/sheet2.xml", "xl/worksheets/sheet2.xml"},
        {"xl/workbook.xml", "./worksheets/../sharedStrings.xml", "xl/sharedStrings.xml"},
        {"", "xl/workbook.xml", "xl/workbook.xml"},
        {"xl/workbook.xml", "../docProps/app.xml", "docProps/app.xml"},
        {"xl/workbook.xml", "../../etc/passwd", NULL},
        {"xl/workbook.xml", "..", NULL},
        {"xl/workbook.xml", "/", NULL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        bool outside;
        char *p = wb_resolve(cases[i][0], cases[i][1], &outside);
        if (cases[i][2])
            ck_assert_str_eq(p, cases[i][2]);
        else
            ck_assert(!p && outside);
        free(p);
    }
}
END_TEST

START_TEST(test_sheet_ref)
{
    static const char *const cases[][2] = {
        {"Sheet1", "Sheet1"}, {"Return_2015", "Return_2015"}, {"My sheet", "'My sheet'"},
        {"It's", "'It''s'"}, {"AB12", "'AB12'"}, {"2015", "'2015'"}, {"Données", "'Données'"},
    };
    bool too_long;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *r = wb_sheet_ref(cases[i][0], &too_long);
        ck_assert_str_eq(r, cases[i][1]);
        ck_assert(!too_long);
        free(r);
    }
    char long_name[600];
    memset(long_name, 'a', sizeof long_name - 1);
    long_name[sizeof long_name - 1] = '\0';
    ck_assert_ptr_null(wb_sheet_ref(long_name, &too_long));
    ck_assert(too_long);
}
END_TEST

START_TEST(test_number)
{
    static const char *const cases[][2] = {
        {"42", "42"}, {"42.0", "42"}, {"4.2E1", "42"}, {"0.30000000000000004", "0.3"},
        {"-7", "-7"}, {"12345678901234567890", "12345678901234567890"}, {"1.5", "1.5"},
        {"forty", "forty"}, {"1e300", "1e+300"},
    };
    char buf[64];
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        wb_number(cases[i][0], buf, sizeof buf);
        ck_assert_str_eq(buf, cases[i][1]);
    }
}
END_TEST

START_TEST(test_xlsx_values_and_cells)
{
    struct collected c;
    struct collect_options o = {.validate = true};
    read_fixture("xlsx", "fixtures/workbooks/errors.xlsx", &o, &c);
    ck_assert_uint_eq(c.total, 6);
    /* Dates from date cells; counts from number cells; the text "forty" as it is;
     * a date cell with a time shown as a date: its date. Columns are the sheet's. */
    ck_assert_str_eq(c.records[0], "2:1|authority_code=E10000021@2:1|authority_name=Northamptonshire@2:2|"
                     "period_start=2014-10-01@2:3|period_end=2015-09-30@2:4|cohort=trafficked@2:5|"
                     "in_care=forty@2:6|went_missing=15@2:7|missing_incidents=41@2:8|found=12@2:9|"
                     "not_found=3@2:10");
    ck_assert(strstr(c.records[3], "|authority_code=886@5:1|"));
    ck_assert(strstr(c.records[4], "|period_end=2015-09-30@6:4|"));
    ck_assert(strstr(c.records[5], "|went_missing=2.5@7:7|"));
    ck_assert_str_eq(c.diags[0], "2:6 error[type] in_care must be a whole number or one of x, c "
                     "or z, not \"forty\" @Sheet1!F2");
    collected_free(&c);
}
END_TEST

START_TEST(test_xlsx_title_totals_empty)
{
    struct collected c;
    struct collect_options o = {.validate = true};
    read_fixture("xlsx", "fixtures/workbooks/kent.xlsx", &o, &c);
    ck_assert_uint_eq(c.total, 2);
    /* "985" typed as text and 190 as a number read alike. */
    ck_assert(strstr(c.records[1], "|in_care=985@5:6|went_missing=190@5:7|"));
    ck_assert_str_eq(c.diags[0], "1:0 info[csv-title-row] rows 1 to 2, above the header, are "
                     "skipped (a title, starting \"Kent County Council: children missing from "
                     "care, October 201...\") @Return!1:1");
    ck_assert_str_eq(c.diags[9], "6:1 warning[totals-row] a totals row (\"Total\"), not an "
                     "authority's record; it is not read @Return!A6");
    ck_assert_uint_eq(c.ndiags, 10);    /* rows 7 to 9, formatted but empty: nothing */
    collected_free(&c);
}
END_TEST

START_TEST(test_ods_repeats_covered_annotations)
{
    struct collected c;
    struct collect_options o = {.validate = true, .sheet = "Return"};
    read_fixture("ods", "fixtures/workbooks/kent.ods", &o, &c);
    ck_assert_uint_eq(c.total, 3);
    /* The comment on in_care is not its value; a number shown "5.00" is 5. */
    ck_assert(strstr(c.records[0], "|in_care=5@4:6|"));
    ck_assert(strstr(c.records[1], "|in_care=985@5:6|"));
    /* One cell repeated three times fills three columns. */
    ck_assert(strstr(c.records[2], "|in_care=0@6:6|went_missing=0@6:7|missing_incidents=0@6:8|"));
    ck_assert_uint_eq(c.ndiags, 1);     /* the title; the repeated empty rows say nothing */
    collected_free(&c);
}
END_TEST

/* Read every entry's XML to the end under limits; the diagnostics it gives. */
static void read_limited(const char *path, const struct wb_limits *limits, const char *entry,
                         struct collected *c)
{
    memset(c, 0, sizeof *c);
    struct tally_error err;
    struct tally_input in;
    ck_assert_int_eq(tally_input_open(&in, path, &err), TALLY_OK);
    struct tally_reader r = {.in = &in};
    collect_sink(c, &r.cfg.sink);
    struct wb w;
    ck_assert_int_eq(wb_open(&w, &r, "Excel workbook", limits, &err), TALLY_OK);
    struct wb_entry e;
    if (!w.failed && wb_entry_open(&w, entry, "sheet", &e)) {
        while (wb_xml_read(&e) == 1)
            ;
        wb_entry_close(&e);
    }
    wb_close(&w);
    tally_input_close(&in);
}

START_TEST(test_limits)
{
    struct collected c;
    struct wb_limits lim = wb_default_limits;
    /* 50 entries, 40 allowed. */
    lim.entries = 40;
    read_limited("fixtures/workbooks/hostile/fifty-entries.xlsx", &lim, "xl/worksheets/sheet1.xml", &c);
    ck_assert_uint_eq(c.ndiags, 1);
    ck_assert_str_eq(c.diags[0], "0:0 error[limit] the Excel workbook's zip has 50 entries, more "
                     "than 40; the file is not read");
    collected_free(&c);
    /* One entry inflating past its limit (counted as inflated, whatever it declares). */
    lim = wb_default_limits;
    lim.entry_bytes = 100000;
    lim.ratio_from = UINT64_MAX;
    read_limited("fixtures/workbooks/hostile/big-sheet.xlsx", &lim, "xl/worksheets/sheet1.xml", &c);
    ck_assert_uint_eq(c.ndiags, 1);
    ck_assert_str_eq(c.diags[0], "0:0 error[limit] the Excel workbook's sheet declares 469096 "
                     "bytes, more than 100000 bytes; the file is not read");
    collected_free(&c);
    /* Every entry read together past the workbook's limit. */
    lim = wb_default_limits;
    lim.total_bytes = 50000;
    lim.ratio_from = UINT64_MAX;
    read_limited("fixtures/workbooks/hostile/big-sheet.xlsx", &lim, "xl/worksheets/sheet1.xml", &c);
    ck_assert_uint_eq(c.ndiags, 1);
    ck_assert_str_eq(c.diags[0], "0:0 error[limit] the Excel workbook's sheet takes the workbook "
                     "past 50000 bytes inflated; the file is not read further");
    collected_free(&c);
    /* The ratio, past a lowered threshold. */
    lim = wb_default_limits;
    lim.ratio = 3;
    lim.ratio_from = 10000;
    read_limited("fixtures/workbooks/hostile/big-sheet.xlsx", &lim, "xl/worksheets/sheet1.xml", &c);
    ck_assert_uint_eq(c.ndiags, 1);
    ck_assert_str_eq(c.diags[0], "0:0 error[limit] the Excel workbook's sheet inflates more than "
                     "3 times its compressed size (a zip bomb?); the file is not read further");
    collected_free(&c);
}
END_TEST

Suite *workbook_suite(void)
{
    Suite *s = suite_create("workbook");
    TCase *t = tcase_create("workbook");
    tcase_add_test(t, test_resolve);
    tcase_add_test(t, test_sheet_ref);
    tcase_add_test(t, test_number);
    tcase_add_test(t, test_xlsx_values_and_cells);
    tcase_add_test(t, test_xlsx_title_totals_empty);
    tcase_add_test(t, test_ods_repeats_covered_annotations);
    tcase_add_test(t, test_limits);
    suite_add_tcase(s, t);
    return s;
}
