/*
 * check_html.c — the HTML report: text escaping (invalid UTF-8, controls,
 * markup) and the page a validate run gets, without a browser (tests/html/
 * checks the page in one).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/htmlout.h"
#include "suites.h"
#include "testutil.h"
#include "tally/report.h"

#define FFFD "\xEF\xBF\xBD"

static void check_escape(const char *in, size_t len, const char *want)
{
    char *got = written(tally_html_string, in, len);
    ck_assert_str_eq(got, want);
    free(got);
}

#define ESC(lit, want) check_escape(lit, sizeof lit - 1, want)

START_TEST(test_markup)
{
    ESC("plain text", "plain text");
    ESC("", "");
    ESC("a<b>&c\"d'e", "a&lt;b&gt;&amp;c&quot;d&#39;e");
    ESC("</script><script>alert(1)</script>",
        "&lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt;");
    ESC("&amp;", "&amp;amp;");
}
END_TEST

START_TEST(test_utf8)
{
    ESC("caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80", "caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80");
    ESC("Kent\xFF\xFE", "Kent" FFFD FFFD);                 /* invalid bytes */
    ESC("\x80x", FFFD "x");                                 /* a lone continuation byte */
    ESC("ab\xE2\x82", "ab" FFFD FFFD);                      /* truncated at the end */
    ESC("\xE2\x82<", FFFD FFFD "&lt;");                     /* truncated before markup */
    ESC("\xC0\xAF", FFFD FFFD);                             /* overlong '/' */
    ESC("\xED\xA0\x80", FFFD FFFD FFFD);                    /* a UTF-16 surrogate */
    ESC("\xF4\x90\x80\x80", FFFD FFFD FFFD FFFD);           /* beyond U+10FFFF */
}
END_TEST

START_TEST(test_controls)
{
    ESC("a\tb\nc\rd", "a\tb\nc\rd");
    ESC("a\x01" "b\x1F" "c\x7F", "a" FFFD "b" FFFD "c" FFFD);
    ESC("\xC2\x85\xC2\x9F\xC2\xA0", FFFD FFFD "\xC2\xA0");  /* C1 controls; NBSP kept */
    char nul[] = {'a', '\0', 'b'};
    check_escape(nul, 3, "a" FFFD "b");
    char *none = written(tally_html_string, "", 0);
    free(none);
    FILE *f = tmpfile();
    tally_html_cstring(f, NULL);
    ck_assert_int_eq(ftell(f), 0);
    fclose(f);
}
END_TEST

/* A page for one hostile diagnostic, and the summary given. */
static char *page(const struct tally_report_summary *s)
{
    char *buf = NULL;
    size_t size = 0;
    FILE *out = open_memstream(&buf, &size);
    const struct tally_report_ops *ops = tally_report_find("html");
    ck_assert_ptr_nonnull(ops);
    struct tally_report *r;
    struct tally_error err;
    ck_assert_int_eq(ops->open(&r, out, &err), TALLY_OK);
    struct tally_diag d = {
        .severity = TALLY_SEV_ERROR, .code = "type", .message = "in_care is \"<b>\"",
        .file = "r\xFF<.csv", .line = 3, .column = 49, .record = 2, .field = "in_care",
        .value = "<b>&", .pointer = "/0/in_care",
    };
    ck_assert_int_eq(ops->diag(r, &d), TALLY_OK);
    d.severity = TALLY_SEV_WARNING;
    d.code = "authority-name";
    ck_assert_int_eq(ops->diag(r, &d), TALLY_OK);
    struct tally_report_file file = {"r\xFF<.csv", "csv", NULL, 5, 1, 1};
    ck_assert_int_eq(ops->finish(r, s, &file, 1, &err), TALLY_OK);
    ops->close(r);
    fclose(out);
    return buf;
}

static size_t occurrences(const char *hay, const char *needle)
{
    size_t n = 0;
    for (const char *p = strstr(hay, needle); p; p = strstr(p + 1, needle))
        n++;
    return n;
}

START_TEST(test_page)
{
    struct tally_report_summary s = {
        .schema_name = "missing-from-care", .schema_version = "1.0.0",
        .files = 1, .records = 5, .errors = 7, .warnings = 1,
    };
    char *html = page(&s);
    ck_assert(strncmp(html, "<!DOCTYPE html>\n", 16) == 0);
    ck_assert_uint_eq(occurrences(html, "<tr class=\"sev-"), 2);
    ck_assert_uint_eq(occurrences(html, "<b>"), 0);
    ck_assert_uint_eq(occurrences(html, "<td class=\"val\">&lt;b&gt;&amp;</td>"), 2);
    /* 2 rows, the filter option (its name and its text), the files table */
    ck_assert_uint_eq(occurrences(html, "r" FFFD "&lt;.csv"), 5);
    ck_assert_ptr_nonnull(strstr(html, "id=\"stat-errors\">7<"));
    ck_assert_ptr_nonnull(strstr(html, "data-valid=\"false\">Not valid: 7 errors<"));
    ck_assert_ptr_null(strstr(html, "id=\"truncated\""));
    ck_assert_ptr_nonnull(strstr(html, "<option value=\"error\">error (1)</option>"));
    ck_assert_ptr_nonnull(strstr(html, "<option value=\"info\">info (0)</option>"));
    ck_assert_ptr_null(strstr(html, "id=\"dataset\""));
    ck_assert(strcmp(html + strlen(html) - 16, "</body>\n</html>\n") == 0);
    free(html);

    s.truncated = true;
    s.max_errors = 1;
    html = page(&s);
    ck_assert_ptr_nonnull(strstr(html, "id=\"truncated\"><strong>Details stopped after 1 error</strong>"));
    free(html);
}
END_TEST

Suite *html_suite(void)
{
    Suite *s = suite_create("html");
    TCase *tc = tcase_create("html");
    tcase_add_test(tc, test_markup);
    tcase_add_test(tc, test_utf8);
    tcase_add_test(tc, test_controls);
    tcase_add_test(tc, test_page);
    suite_add_tcase(s, tc);
    return s;
}
