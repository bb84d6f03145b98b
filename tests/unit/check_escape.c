/*
 * check_escape.c — the one XML escaper (core/xmlout.h) and the one JSON
 * string escaper (core/jsonout.h) that every writer and report shares: exact
 * bytes for markup, line breaks, controls, invalid UTF-8 and the
 * noncharacters U+FFFE and U+FFFF.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/csvtext.h"
#include "core/jsonout.h"
#include "core/xmlout.h"
#include "suites.h"
#include "testutil.h"

#define FFFD "\xEF\xBF\xBD"

static void xml_text(FILE *f, const char *s, size_t len)
{
    (void)len;      /* the tests' strings hold no NUL: through the FILE form */
    tally_xml_cstring(f, s, false);
}

static void xml_attr(FILE *f, const char *s, size_t len)
{
    (void)len;
    tally_xml_cstring(f, s, true);
}

static void csv_value(FILE *f, const char *s, size_t len)
{
    (void)len;
    tally_csv_value(f, s);
}

static void check_xml(const char *in, size_t len, bool attribute, const char *want)
{
    char *got = written(attribute ? xml_attr : xml_text, in, len);
    ck_assert_str_eq(got, want);
    free(got);
}

#define TEXT(lit, want) check_xml(lit, sizeof lit - 1, false, want)
#define ATTR(lit, want) check_xml(lit, sizeof lit - 1, true, want)

START_TEST(test_xml_markup)
{
    TEXT("", "");
    TEXT("plain", "plain");
    TEXT("a&b<c>d\"e'f", "a&amp;b&lt;c&gt;d&quot;e&apos;f");
    ATTR("a&b<c>d\"e'f", "a&amp;b&lt;c&gt;d&quot;e&apos;f");
}
END_TEST

/* CR always a reference (a parser makes CR and CR LF into LF); tab and LF
 * references in attributes only (normalisation would make them spaces). */
START_TEST(test_xml_line_breaks)
{
    TEXT("a\rb\r\nc\td\ne", "a&#13;b&#13;\nc\td\ne");
    ATTR("a\rb\r\nc\td\ne", "a&#13;b&#13;&#10;c&#9;d&#10;e");
}
END_TEST

/* Not XML 1.0 Chars: C0 controls but tab, LF, CR; U+FFFE; U+FFFF; invalid
 * UTF-8. One U+FFFD per noncharacter, per byte of invalid UTF-8. DEL, C1
 * controls, U+FFFD and astral characters are Chars and stay. */
START_TEST(test_xml_not_chars)
{
    TEXT("a\x01" "b\x1F" "c", "a" FFFD "b" FFFD "c");
    TEXT("x\xEF\xBF\xBEy", "x" FFFD "y");
    TEXT("x\xEF\xBF\xBFy", "x" FFFD "y");
    ATTR("x\xEF\xBF\xBE\xEF\xBF\xBFy", "x" FFFD FFFD "y");
    TEXT("k\xFFnt", "k" FFFD "nt");
    TEXT("\xC0\xAF", FFFD FFFD);            /* overlong '/' */
    TEXT("\xED\xA0\x80", FFFD FFFD FFFD);   /* a UTF-16 surrogate */
    TEXT("end\xE2\x82", "end" FFFD FFFD);   /* truncated at the end */
    TEXT("\x7F\xC2\x85\xEF\xBF\xBD\xEF\xBF\xBD\xF0\x9F\x98\x80",
         "\x7F\xC2\x85\xEF\xBF\xBD\xEF\xBF\xBD\xF0\x9F\x98\x80");
    TEXT("\xEF\xBF\xBC", "\xEF\xBF\xBC");   /* U+FFFC is a Char */
}
END_TEST

static int put_fail_at_second(void *ctx, const char *s, size_t n)
{
    (void)s, (void)n;
    int *calls = ctx;
    return ++*calls == 2 ? 7 : 0;
}

/* A put that fails stops the escaping, and its status comes back. */
START_TEST(test_xml_put_error)
{
    int calls = 0;
    ck_assert_int_eq(tally_xml_escape("a&b&c", 5, false, put_fail_at_second, &calls), 7);
    ck_assert_int_eq(calls, 2);
}
END_TEST

#define JSON(lit, want) do { char *got_ = written(tally_json_string, lit, sizeof lit - 1); \
                             ck_assert_str_eq(got_, want); free(got_); } while (0)

START_TEST(test_json_invalid_utf8)
{
    JSON("k\xFFnt.csv", "\"k\\ufffdnt.csv\"");
    JSON("\"\\\n\r\t\x01", "\"\\\"\\\\\\n\\r\\t\\u0001\"");
    JSON("\xE2\x82\xAC", "\"\xE2\x82\xAC\"");
}
END_TEST

#define CSV(lit, want) do { char *got_ = written(csv_value, lit, sizeof lit - 1); \
                            ck_assert_str_eq(got_, want); \
                            free(got_); } while (0)

/* One quoting rule for dataset.csv, rejects.csv, EES and convert --to csv
 * (which calls tally_csv_needs_quotes): a tab at either end is quoted too. */
START_TEST(test_csv_quoting)
{
    CSV("plain", "plain");
    CSV("", "");
    CSV("a,b", "\"a,b\"");
    CSV("say \"hi\"", "\"say \"\"hi\"\"\"");
    CSV("a\rb", "\"a\rb\"");
    CSV("a\nb", "\"a\nb\"");
    CSV(" a", "\" a\"");
    CSV("a ", "\"a \"");
    CSV("\ta", "\"\ta\"");
    CSV("a\t", "\"a\t\"");
    CSV("a\tb", "a\tb");
    ck_assert(tally_csv_needs_quotes("a\t", 2));
    ck_assert(!tally_csv_needs_quotes("a\tb", 3));
}
END_TEST

Suite *escape_suite(void)
{
    Suite *s = suite_create("escape");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_xml_markup);
    tcase_add_test(tc, test_xml_line_breaks);
    tcase_add_test(tc, test_xml_not_chars);
    tcase_add_test(tc, test_xml_put_error);
    tcase_add_test(tc, test_json_invalid_utf8);
    tcase_add_test(tc, test_csv_quoting);
    suite_add_tcase(s, tc);
    return s;
}
