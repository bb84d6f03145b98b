/*
 * check_csv.c — the CSV reader: records, every field's line and column, and
 * every CSV diagnostic with its exact location.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "suites.h"
#include "tally/status.h"
#include "testutil.h"

#define H "authority_code,authority_name,period_start,period_end,cohort,in_care,went_missing," \
          "missing_incidents,found,not_found"
/* Columns of R: code 1, name 11, start 28, end 39, cohort 50, in_care 61,
 * went_missing 64, incidents 67, found 70, not_found 73. */
#define R "E10000021,Northamptonshire,2014-10-01,2015-09-30,trafficked,42,15,41,12,3"
#define R_FIELDS "|authority_code=E10000021@%u:1|authority_name=Northamptonshire@%u:11" \
                 "|period_start=2014-10-01@%u:28|period_end=2015-09-30@%u:39" \
                 "|cohort=trafficked@%u:50|in_care=42@%u:61|went_missing=15@%u:64" \
                 "|missing_incidents=41@%u:67|found=12@%u:70|not_found=3@%u:73"

static char *expect_r(unsigned line)
{
    static char buf[512];
    int n = snprintf(buf, sizeof buf, "%u:1", line);
    snprintf(buf + n, sizeof buf - (size_t)n, R_FIELDS, line, line, line, line, line, line, line,
             line, line, line);
    return buf;
}

START_TEST(test_basic_record_and_locations)
{
    struct collected c;
    collect_str("csv", H "\n" R "\n" R "\n", false, &c);
    ck_assert_int_eq(c.status, TALLY_DONE);
    ck_assert_uint_eq(c.nrecords, 2);
    ck_assert_str_eq(c.records[0], expect_r(2));
    ck_assert_str_eq(c.records[1], expect_r(3));
    ck_assert_uint_eq(c.ndiags, 0);
    collected_free(&c);
}
END_TEST

START_TEST(test_bom_crlf_and_no_final_newline)
{
    struct collected c;
    collect_str("csv", "\xEF\xBB\xBF" H "\r\n" R "\r\n" R, false, &c);
    ck_assert_uint_eq(c.nrecords, 2);
    ck_assert_str_eq(c.records[0], expect_r(2));
    ck_assert_str_eq(c.records[1], expect_r(3));
    ck_assert_uint_eq(c.ndiags, 0);
    collected_free(&c);
}
END_TEST

START_TEST(test_header_case_spaces_and_order)
{
    struct collected c;
    collect_str("csv", " NOT_FOUND ,Found,missing_incidents,went_missing,in_care,cohort,period_end,"
                "period_start,authority_code\n3,12,41,15,42,trafficked,2015-09-30,2014-10-01,E10000021\n",
                true, &c);
    ck_assert_uint_eq(c.nrecords, 1);
    ck_assert_str_eq(c.records[0], "2:1|authority_code=E10000021@2:48|period_start=2014-10-01@2:37"
                     "|period_end=2015-09-30@2:26|cohort=trafficked@2:15|in_care=42@2:12"
                     "|went_missing=15@2:9|missing_incidents=41@2:6|found=12@2:3|not_found=3@2:1");
    ck_assert_uint_eq(c.ndiags, 0);
    collected_free(&c);
}
END_TEST

START_TEST(test_quoted_newline_and_doubled_quote)
{
    struct collected c;
    /* The name spans lines 2-3; the next row is line 4. */
    collect_str("csv", H "\n"
                "E10000021,\"North\nampton \"\"shire\"\"\",2014-10-01,2015-09-30,trafficked,42,15,41,12,3\n"
                R "\n", false, &c);
    ck_assert_uint_eq(c.nrecords, 2);
    ck_assert_str_eq(c.records[0], "2:1|authority_code=E10000021@2:1"
                     "|authority_name=North\nampton \"shire\"@2:11|period_start=2014-10-01@3:19"
                     "|period_end=2015-09-30@3:30|cohort=trafficked@3:41|in_care=42@3:52"
                     "|went_missing=15@3:55|missing_incidents=41@3:58|found=12@3:61|not_found=3@3:64");
    ck_assert_str_eq(c.records[1], expect_r(4));
    collected_free(&c);
}
END_TEST

START_TEST(test_multibyte_characters_are_one_column)
{
    struct collected c;
    collect_str("csv", H "\nW06000001,Ynys Môn,2014-10-01,2015-09-30,uasc,1,0,0,0,0\n", false, &c);
    ck_assert_uint_eq(c.nrecords, 1);
    /* "Ynys Môn" is 8 characters (9 bytes): period_start starts at column 20. */
    ck_assert_ptr_nonnull(strstr(c.records[0], "|period_start=2014-10-01@2:20|"));
    collected_free(&c);
}
END_TEST

START_TEST(test_blank_rows)
{
    struct collected c;
    collect_str("csv", H "\n\n" R "\n,,,,,,,,,\n  \r\n" R "\n", false, &c);
    ck_assert_uint_eq(c.nrecords, 2);
    ck_assert_str_eq(c.records[0], expect_r(3));
    ck_assert_str_eq(c.records[1], expect_r(6));
    /* A run of blank rows is one warning; lines 4 (empty cells) and 5 (spaces). */
    ck_assert_uint_eq(c.ndiags, 2);
    ck_assert_str_eq(c.diags[0], "2:1 warning[csv-blank-row] blank row ignored");
    ck_assert_str_eq(c.diags[1], "4:1 warning[csv-blank-row] 2 blank rows ignored (lines 4 to 5)");
    collected_free(&c);
}
END_TEST

START_TEST(test_header_unknown_duplicate_missing)
{
    struct collected c;
    collect_str("csv", "authority_code,notes,Cohort,period_start,period_end,cohort,in_care,"
                "went_missing,missing_incidents,found,,x\n"
                "E10000021,hi,trafficked,2014-10-01,2015-09-30,trafficked,42,15,41,12,,\n", true, &c);
    ck_assert_uint_eq(c.ndiags, 5);
    ck_assert_str_eq(c.diags[0], "1:16 warning[csv-header-unknown] unknown column \"notes\" is ignored");
    ck_assert_str_eq(c.diags[1], "1:53 error[csv-header-duplicate] column \"cohort\" appears twice "
                     "(first at column 22); the file's records cannot be accepted");
    ck_assert_str_eq(c.diags[2], "1:105 warning[csv-header-unknown] column without a name is ignored");
    ck_assert_str_eq(c.diags[3], "1:106 warning[csv-header-unknown] unknown column \"x\" is ignored");
    ck_assert_str_eq(c.diags[4], "1:1 error[csv-header-missing] required column \"not_found\" is "
                     "missing from the header; the file's records cannot be accepted");
    /* The record is still read (and counted), with no `required` noise. */
    ck_assert_uint_eq(c.nrecords, 1);
    collected_free(&c);
}
END_TEST

START_TEST(test_ragged_rows)
{
    struct collected c;
    collect_str("csv", H "\n" R ",extra,more\n"
                "E10000021,Northamptonshire,2014-10-01,2015-09-30,trafficked,42,15,41,12\n", true, &c);
    ck_assert_uint_eq(c.nrecords, 2);
    ck_assert_uint_eq(c.ndiags, 2);
    /* Too many: at the first extra value. Too few: where the missing one would start. */
    ck_assert_str_eq(c.diags[0], "2:75 error[csv-ragged-row] the row has 12 fields but the header "
                     "has 10 (is there a comma in a value? A value that holds one must be in double "
                     "quotes)");
    ck_assert_str_eq(c.diags[1], "3:72 error[csv-ragged-row] the row has 9 fields but the header has 10");
    collected_free(&c);
}
END_TEST

START_TEST(test_stray_quote_then_recovery)
{
    struct collected c;
    collect_str("csv", H "\n"
                "E10000021,North\"ants,2014-10-01,2015-09-30,trafficked,42,15,41,12,3\n"
                "E10000021,\"Northants\"x,2014-10-01,2015-09-30,trafficked,42,15,41,12,3\n"
                R "\n", true, &c);
    ck_assert_uint_eq(c.nrecords, 3);
    ck_assert_uint_eq(c.ndiags, 2);
    ck_assert_str_eq(c.diags[0], "2:16 error[csv-syntax] quote inside an unquoted value (quote the "
                     "whole value and double the quote); the rest of the line is skipped");
    ck_assert_str_eq(c.diags[1], "3:22 error[csv-syntax] unexpected text after a closing quote (a "
                     "quote inside a quoted value must be doubled); the rest of the line is skipped");
    ck_assert_str_eq(c.records[2], expect_r(4));
    collected_free(&c);
}
END_TEST

START_TEST(test_unterminated_quote_at_eof)
{
    struct collected c;
    collect_str("csv", H "\n" R "\nE10000021,\"Northants,2014-10-01\n", true, &c);
    ck_assert_uint_eq(c.nrecords, 2);
    ck_assert_uint_eq(c.ndiags, 1);
    ck_assert_str_eq(c.diags[0], "3:11 error[csv-syntax] quoted value is not closed before the end of the file");
    collected_free(&c);
}
END_TEST

START_TEST(test_encoding_errors)
{
    struct collected c;
    /* Latin-1 é (0xE9) in the name, then a NUL in the next row's name. */
    static const char text[] = H "\nE10000021,Northampt\xE9,2014-10-01,2015-09-30,trafficked,42,15,41,12,3\n"
                               "E10000021,North\0,2014-10-01,2015-09-30,uasc,42,15,41,12,3\n";
    collect("csv", text, sizeof text - 1, false, &c);
    ck_assert_uint_eq(c.nrecords, 2);
    ck_assert_uint_eq(c.ndiags, 2);
    /* The file's first byte past ASCII is no UTF-8 but windows-1252 é: said so. */
    ck_assert_str_eq(c.diags[0], "2:20 error[encoding] invalid UTF-8 (truncated sequence, byte 0xE9) "
                     "at byte offset 135: the file looks like windows-1252 text (the encoding of "
                     "Excel's plain \"CSV\"), where the byte is \"\xc3\xa9\"; save it as \"CSV "
                     "UTF-8\", or let --clean convert it");
    ck_assert_str_eq(c.diags[1], "3:16 error[encoding] NUL byte at byte offset 199");
    collected_free(&c);
}
END_TEST

START_TEST(test_utf8_classes)
{
    static const struct {
        const char *bytes;
        const char *why;
    } cases[] = {
        {"\xC0\xAF", "overlong encoding, byte 0xC0"},
        {"\xE0\x80\xAF", "overlong encoding, byte 0xE0"},
        {"\xED\xA0\x80", "UTF-16 surrogate, byte 0xED"},
        {"\xF4\x90\x80\x80", "code point beyond U+10FFFF, byte 0xF4"},
        {"\x80", "unexpected continuation byte, byte 0x80"},
        {"\xFF", "invalid byte, byte 0xFF"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char text[512], want[256];
        snprintf(text, sizeof text, H "\nE10000021,N%s,2014-10-01,2015-09-30,uasc,1,0,0,0,0\n",
                 cases[i].bytes);
        snprintf(want, sizeof want, "2:12 error[encoding] invalid UTF-8 (%s) at byte offset 127",
                 cases[i].why);
        struct collected c;
        collect_str("csv", text, false, &c);
        ck_assert_uint_eq(c.ndiags, 1);
        /* Every one of these bytes is a windows-1252 character: the message goes on to say so. */
        ck_assert_msg(strncmp(c.diags[0], want, strlen(want)) == 0 &&
                      strstr(c.diags[0], ": the file looks like windows-1252 text"),
                      "%s", c.diags[0]);
        collected_free(&c);
        /* After UTF-8 text (é), the same bytes are UTF-8 gone wrong: no windows-1252 hint. */
        snprintf(text, sizeof text, H "\nE10000021,\xc3\xa9%s,2014-10-01,2015-09-30,uasc,1,0,0,0,0\n",
                 cases[i].bytes);
        snprintf(want, sizeof want, "2:12 error[encoding] invalid UTF-8 (%s) at byte offset 128",
                 cases[i].why);
        collect_str("csv", text, false, &c);
        ck_assert_uint_eq(c.ndiags, 1);
        ck_assert_str_eq(c.diags[0], want);
        collected_free(&c);
    }
}
END_TEST

START_TEST(test_utf16_bom)
{
    struct collected c;
    collect("csv", "\xFF\xFE" "a\0,\0", 6, false, &c);
    ck_assert_uint_eq(c.nrecords, 0);
    ck_assert_uint_eq(c.ndiags, 1);
    ck_assert_str_eq(c.diags[0], "1:1 error[encoding] the file is UTF-16 (byte order mark 0xFFFE at "
                     "byte offset 0); save it as UTF-8");
    collected_free(&c);
}
END_TEST

START_TEST(test_value_limit)
{
    size_t big = 70000;
    size_t cap = big + 1024;
    char *text = malloc(cap);
    size_t o = (size_t)snprintf(text, cap, H "\nE10000021,");
    memset(text + o, 'n', big);
    o += big;
    o += (size_t)snprintf(text + o, cap - o, ",2014-10-01,2015-09-30,uasc,1,0,0,0,0\n" R "\n");
    struct collected c;
    collect("csv", text, o, true, &c);
    ck_assert_uint_eq(c.nrecords, 2);
    ck_assert_uint_eq(c.ndiags, 1);
    ck_assert_str_eq(c.diags[0], "2:11 error[limit] value longer than 65536 bytes; the rest of the "
                     "line is skipped");
    ck_assert_str_eq(c.records[1], expect_r(3));
    collected_free(&c);
    free(text);
}
END_TEST

START_TEST(test_empty_and_header_only)
{
    struct collected c;
    collect_str("csv", "", false, &c);
    ck_assert_uint_eq(c.ndiags, 1);
    ck_assert_str_eq(c.diags[0], "0:0 error[format] the file is empty: a CSV return needs a header "
                     "row");
    collected_free(&c);
    collect_str("csv", H "\n", false, &c);
    ck_assert_uint_eq(c.ndiags, 1);
    ck_assert_str_eq(c.diags[0], "1:1 warning[format] the file has a header but no records");
    collected_free(&c);
}
END_TEST

START_TEST(test_many_rows_across_read_boundaries)
{
    /* Enough rows that reads end inside values and inside "ô"; the last row
     * carries an encoding error whose line, column and offset must be exact. */
    size_t rows = 3000, cap = rows * 80 + 512;
    char *text = malloc(cap);
    size_t o = (size_t)snprintf(text, cap, H "\n");
    for (size_t i = 0; i < rows; i++)
        o += (size_t)snprintf(text + o, cap - o,
                              "W06000001,Ynys Môn,2014-10-01,2015-09-30,%s,%zu,0,0,0,0\n",
                              i % 2 ? "uasc" : "trafficked", i);
    size_t last = o;
    o += (size_t)snprintf(text + o, cap - o, "W06000001,Ynys M\xF4n,2014-10-01,2015-09-30,uasc,4,0,0,0,0\n");
    struct collected c;
    collect("csv", text, o, false, &c);
    ck_assert_int_eq(c.status, TALLY_DONE);
    ck_assert_uint_eq(c.total, rows + 1);
    ck_assert_uint_eq(c.ndiags, 1);
    char want[160];
    snprintf(want, sizeof want, "3002:17 error[encoding] invalid UTF-8 (truncated sequence, byte "
             "0xF4) at byte offset %zu", last + 16);
    ck_assert_str_eq(c.diags[0], want);
    ck_assert_str_eq(c.records[63], "65:1|authority_code=W06000001@65:1|authority_name=Ynys Môn@65:11"
                     "|period_start=2014-10-01@65:20|period_end=2015-09-30@65:31|cohort=uasc@65:42"
                     "|in_care=63@65:47|went_missing=0@65:50|missing_incidents=0@65:52|found=0@65:54"
                     "|not_found=0@65:56");
    collected_free(&c);
    free(text);
}
END_TEST

Suite *csv_suite(void)
{
    Suite *s = suite_create("csv");
    TCase *tc = tcase_create("reader");
    tcase_add_test(tc, test_basic_record_and_locations);
    tcase_add_test(tc, test_bom_crlf_and_no_final_newline);
    tcase_add_test(tc, test_header_case_spaces_and_order);
    tcase_add_test(tc, test_quoted_newline_and_doubled_quote);
    tcase_add_test(tc, test_multibyte_characters_are_one_column);
    tcase_add_test(tc, test_blank_rows);
    tcase_add_test(tc, test_header_unknown_duplicate_missing);
    tcase_add_test(tc, test_ragged_rows);
    tcase_add_test(tc, test_stray_quote_then_recovery);
    tcase_add_test(tc, test_unterminated_quote_at_eof);
    tcase_add_test(tc, test_encoding_errors);
    tcase_add_test(tc, test_utf8_classes);
    tcase_add_test(tc, test_utf16_bom);
    tcase_add_test(tc, test_value_limit);
    tcase_add_test(tc, test_empty_and_header_only);
    tcase_add_test(tc, test_many_rows_across_read_boundaries);
    suite_add_tcase(s, tc);
    return s;
}
