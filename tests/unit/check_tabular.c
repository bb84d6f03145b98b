/*
 * check_tabular.c — the tabular core (readers/tabular.c) through the CSV
 * reader: header finding and matching, rows that are not records, blank rows,
 * ragged rows, defaults, aggregates; and what the CSV reader adds: the
 * delimiter found from the header, windows-1252 text.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "readers/tabular.h"
#include "suites.h"
#include "tally/schema.h"
#include "testutil.h"

#define H "authority_code,authority_name,period_start,period_end,cohort,in_care,went_missing," \
          "missing_incidents,found,not_found"
#define KENT "E10000016,Kent,2014-10-01,2015-09-30,uasc,985,190,400,137,53"
#define MEDWAY "E06000035,Medway,2014-10-01,2015-09-30,uasc,12,3,5,3,0"

static void run(const char *text, const struct collect_options *o, struct collected *c)
{
    collect_with("csv", text, strlen(text), o, c);
}

START_TEST(test_is_header)
{
    struct tally_error err;
    struct tally_schema *s = tally_schema_load_default(&err);
    ck_assert_ptr_nonnull(s);
    struct tab_cell cells[5] = {
        {"LA code", 7, {0, 0, 0}, false}, {"Start date", 10, {0, 0, 0}, false},
        {"End date", 8, {0, 0, 0}, false}, {"Cohort", 6, {0, 0, 0}, false},
        {"in_care", 7, {0, 0, 0}, false},
    };
    /* 9 required fields without a default: 5 named is enough, 4 is not. */
    ck_assert(tab_is_header(s, cells, 5));
    ck_assert(!tab_is_header(s, cells, 4));
    /* A field named twice counts once. */
    struct tab_cell twice[5] = {cells[0], cells[0], cells[1], cells[2], cells[3]};
    ck_assert(!tab_is_header(s, twice, 5));
    struct tab_cell title = {"Children missing from care, 2015", 32, {0, 0, 0}, false};
    ck_assert(!tab_is_header(s, &title, 1));
    tally_schema_free(s);
}
END_TEST

START_TEST(test_title_rows)
{
    struct collected c;
    struct collect_options o = {0};
    run("Kent: return,,\n\n" H "\n" KENT "\n", &o, &c);
    ck_assert_uint_eq(c.nrecords, 1);
    ck_assert_str_eq(c.diags[0], "1:1 info[csv-title-row] lines 1 to 2, above the header, are "
                     "skipped (a title, starting \"Kent: return\")");
    ck_assert_uint_eq(c.ndiags, 1);
    ck_assert(strncmp(c.records[0], "4:1|authority_code=E10000016@4:1|", 33) == 0);
    collected_free(&c);
}
END_TEST

START_TEST(test_no_header_found)
{
    /* Eleven rows, none a header: the first is taken for it, as it always was,
     * and the ten held after it come out as records, in order. */
    char text[2048] = "a,b,c\n";
    for (int i = 0; i < 10; i++)
        strcat(text, "1,2,3\n");
    struct collected c;
    struct collect_options o = {0};
    run(text, &o, &c);
    ck_assert_uint_eq(c.total, 10);
    ck_assert(strncmp(c.records[0], "2:1", 3) == 0);
    ck_assert(strncmp(c.records[9], "11:1", 4) == 0);
    ck_assert_str_eq(c.diags[0], "1:1 warning[csv-header-unknown] unknown column \"a\" is ignored");
    ck_assert_str_eq(c.diags[3], "1:1 error[csv-header-missing] required column \"authority_code\" "
                     "is missing from the header; the file's records cannot be accepted");
    collected_free(&c);
}
END_TEST

START_TEST(test_aliases)
{
    struct collected c;
    struct collect_options o = {.validate = true};
    run("LA Code,authority-name,PERIOD START,period_end,cohort,Number in care,went_missing,"
        "missing_incidents,found,not_found\n" KENT "\n", &o, &c);
    ck_assert_uint_eq(c.nrecords, 1);
    ck_assert_uint_eq(c.ndiags, 4);
    ck_assert_str_eq(c.diags[0], "1:1 info[csv-header-alias] column \"LA Code\" is read as authority_code");
    ck_assert_str_eq(c.diags[1], "1:9 info[csv-header-alias] column \"authority-name\" is read as "
                     "authority_name");
    ck_assert_str_eq(c.diags[2], "1:24 info[csv-header-alias] column \"PERIOD START\" is read as "
                     "period_start");
    ck_assert_str_eq(c.diags[3], "1:55 info[csv-header-alias] column \"Number in care\" is read as "
                     "in_care");
    collected_free(&c);
    /* The same field by its name and an alias: one column twice. */
    run("authority_code,LA code,period_start,period_end,cohort,in_care,went_missing,"
        "missing_incidents,found,not_found\n" KENT "\n", &o, &c);
    ck_assert_str_eq(c.diags[0], "1:16 error[csv-header-duplicate] column \"authority_code\" appears "
                     "twice (first at column 1); the file's records cannot be accepted");
    collected_free(&c);
}
END_TEST

START_TEST(test_totals)
{
    struct collected c;
    struct collect_options o = {.validate = true};
    /* By label; a GSS code beside "England" is an authority's record, not a total. */
    run(H "\n" KENT "\n" MEDWAY "\nE10000016,England,2014-10-01,2015-09-30,trafficked,1,0,0,0,0\n"
        "Grand Total:,,,,,998,193,405,140,53\n", &o, &c);
    ck_assert_uint_eq(c.total, 3);
    ck_assert_str_eq(c.diags[0], "4:11 warning[authority-name] authority_name \"England\" differs "
                     "from the registry's \"Kent\" for E10000016, and names no authority; the "
                     "registry's name is used");
    ck_assert_str_eq(c.diags[1], "5:1 warning[totals-row] a totals row (\"Grand Total:\"), not an "
                     "authority's record; it is not read");
    collected_free(&c);
    /* By sum: only with two records above, no code and no name, and every count the sum. */
    run(H "\n" KENT "\n,,2014-10-01,2015-09-30,uasc,985,190,400,137,53\n", &o, &c);
    ck_assert_uint_eq(c.total, 2);
    collected_free(&c);
    run(H "\n" KENT "\n" MEDWAY "\n,,,,,997,193,405,140,53\n,,,,,997,193,405,140,54\n", &o, &c);
    ck_assert_uint_eq(c.total, 3);      /* the second "total" is off by one: a record */
    ck_assert_str_eq(c.diags[0], "4:1 warning[totals-row] a totals row (no authority code or name, "
                     "and every count is the sum of the 2 records above), not an authority's "
                     "record; it is not read");
    collected_free(&c);
}
END_TEST

START_TEST(test_blank_runs)
{
    struct collected c;
    struct collect_options o = {0};
    run(H "\n" KENT "\n\n,,,,,,,,,\n" MEDWAY "\n,,,,,,,,,\r\n\n  \n", &o, &c);
    ck_assert_uint_eq(c.total, 2);
    ck_assert_uint_eq(c.ndiags, 2);
    ck_assert_str_eq(c.diags[0], "3:1 warning[csv-blank-row] 2 blank rows ignored (lines 3 to 4)");
    ck_assert_str_eq(c.diags[1], "6:1 info[csv-blank-row] 3 blank rows at the end of the file are "
                     "ignored (lines 6 to 8)");
    collected_free(&c);
}
END_TEST

START_TEST(test_ragged_one_error)
{
    struct collected c;
    struct collect_options o = {.validate = true, .clean = true};
    run(H "\nE06000010,Kingston upon Hull, City of,2014-10-01,2015-09-30,uasc,12,3,5,3,0\n"
        "E06000010,Hull,2014-10-01,2015-09-30,uasc,12,3\n", &o, &c);
    ck_assert_uint_eq(c.total, 2);
    ck_assert_uint_eq(c.ndiags, 2);
    ck_assert_str_eq(c.diags[0], "2:75 error[csv-ragged-row] the row has 11 fields but the header "
                     "has 10 (is there a comma in a value? A value that holds one must be in double "
                     "quotes)");
    ck_assert_str_eq(c.diags[1], "3:47 error[csv-ragged-row] the row has 7 fields but the header has 10");
    collected_free(&c);
}
END_TEST

START_TEST(test_delimiter)
{
    struct collected c;
    struct collect_options o = {.validate = true};
    run("authority_code;authority_name;period_start;period_end;cohort;in_care;went_missing;"
        "missing_incidents;found;not_found\n"
        "E10000016;Kent;2014-10-01;2015-09-30;uasc;985;190;400;137;\"5,3\"\n", &o, &c);
    ck_assert_uint_eq(c.total, 1);
    ck_assert_str_eq(c.diags[0], "1:1 info[csv-delimiter] the values are separated by semicolons "
                     "(;), not commas (its header on line 1 reads so); the file is read that way, "
                     "as --delimiter ';' would say");
    /* Read with ';': the quoted "5,3" is one value, at its quote. */
    ck_assert_str_eq(c.diags[1], "2:59 error[type] not_found must be a whole number or one of x, "
                     "c or z, not \"5,3\"");
    collected_free(&c);
}
END_TEST

START_TEST(test_windows_1252)
{
    struct collected c;
    struct collect_options o = {.clean = true, .validate = true};
    run(H "\nW06000001,Ynys M\xf4n \x96 Anglesey,2014-10-01,2015-09-30,uasc,3,1,2,1,0\n", &o, &c);
    ck_assert_uint_eq(c.total, 1);
    ck_assert_str_eq(c.diags[0], "2:17 info[repaired] the file is not UTF-8 but windows-1252 text "
                     "(its first such byte, 0xF4, is \"\xc3\xb4\"); it is read converted to UTF-8");
    /* Converted: ô is two bytes, the en dash three; columns count characters. */
    ck_assert_ptr_nonnull(strstr(c.records[0], "|authority_name=Ynys M\xc3\xb4n \xe2\x80\x93 "
                                               "Anglesey@2:11|period_start=2014-10-01@2:31|"));
    collected_free(&c);
}
END_TEST

static const char *dfe_like =
    "{\"name\": \"t\", \"fields\": ["
    "{\"name\": \"authority_code\", \"aliases\": [\"New_geog_code\"], \"constraints\": {\"required\": true}},"
    "{\"name\": \"level\", \"aliases\": [\"geog_l\"]},"
    "{\"name\": \"period_start\", \"type\": \"date\", \"default\": \"2014-04-01\"},"
    "{\"name\": \"period_end\", \"type\": \"date\", \"default\": \"2015-03-31\"},"
    "{\"name\": \"cohort\", \"default\": \"all\"},"
    "{\"name\": \"n\", \"type\": \"integer\", \"symbols\": [\"x\", \"z\"]}],"
    "\"roles\": {\"authority_code\": \"authority_code\", \"period_end\": \"period_end\"},"
    "\"rows\": {\"aggregates\": {\"field\": \"level\", \"values\": [\"National\", \"Regional\"]}}}";

START_TEST(test_defaults_and_aggregates)
{
    struct collected c;
    struct collect_options o = {.schema_json = dfe_like, .registry = true};
    run("New_geog_code,geog_l,n\nE92000001,national,50\nE10000016,Local authority,48\n"
        "E10000006,Local authority,z\n", &o, &c);
    ck_assert_uint_eq(c.total, 2);
    ck_assert_uint_eq(c.ndiags, 6);
    ck_assert_str_eq(c.diags[2], "1:1 info[field-default] no column for period_start: every "
                     "record takes the schema's default, \"2014-04-01\"");
    ck_assert_str_eq(c.diags[5], "2:1 info[aggregate-row] an aggregate row (level \"national\": "
                     "E92000001), not an authority's record; it is not read");
    ck_assert_str_eq(c.records[0], "3:1|authority_code=E10000016@3:1|level=Local authority@3:11|"
                     "period_start=2014-04-01@3:0|period_end=2015-03-31@3:0|cohort=all@3:0|n=48@3:27");
    /* Cumbria was in force on 2015-03-31: its z row is a record. */
    ck_assert(strncmp(c.records[1], "4:1|authority_code=E10000006", 28) == 0);
    collected_free(&c);
}
END_TEST

START_TEST(test_abolished)
{
    struct collected c;
    struct collect_options o = {.registry = true, .validate = true};
    run(H "\nE10000006,Cumbria,2023-04-01,2024-03-31,uasc,z,z,[z],z,x\n"
        "E10000006,Cumbria,2023-04-01,2024-03-31,trafficked,z,z,z,z,1\n"
        "E08000020,Gateshead,2014-04-01,2015-03-31,uasc,z,z,z,z,z\n", &o, &c);
    /* Several successors and no number: not a record. One number: a record
     * (and an error). One successor: left for the validator and --clean. */
    ck_assert_uint_eq(c.total, 2);
    ck_assert_str_eq(c.diags[0], "2:1 info[abolished-row] E10000006 (Cumbria) ended on 2023-03-31, "
                     "before this period's end (2024-03-31), and its counts hold no number (only "
                     "z or x): not a record; it is not read");
    ck_assert(strncmp(c.diags[1], "3:1 error[authority-not-valid] E10000006 (Cumbria)", 50) == 0);
    ck_assert(strncmp(c.diags[2], "4:1 error[authority-not-valid] E08000020 (Gateshead)", 52) == 0);
    collected_free(&c);
}
END_TEST

Suite *tabular_suite(void)
{
    Suite *s = suite_create("tabular");
    TCase *t = tcase_create("rows");
    tcase_add_test(t, test_is_header);
    tcase_add_test(t, test_title_rows);
    tcase_add_test(t, test_no_header_found);
    tcase_add_test(t, test_aliases);
    tcase_add_test(t, test_totals);
    tcase_add_test(t, test_blank_runs);
    tcase_add_test(t, test_ragged_one_error);
    tcase_add_test(t, test_delimiter);
    tcase_add_test(t, test_windows_1252);
    tcase_add_test(t, test_defaults_and_aggregates);
    tcase_add_test(t, test_abolished);
    suite_add_tcase(s, t);
    return s;
}
