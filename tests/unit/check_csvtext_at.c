/*
 * check_csvtext_at.c — unit tests of the in-memory CSV reader's places
 * (core/csvtext.h, tally_csvtext_rows_at): the line and column of each field
 * (quoted, with doubled quotes, after CRLF, after a quoted line break, after
 * multi-byte UTF-8), its byte offset, and text that is not CSV — where it is
 * reported and where reading goes on. Every expected place is counted by
 * hand in the comments.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "suites.h"
#include "core/csvtext.h"

/* What was read: one string per field, "L:C@OFFSET=value" (rows end with
 * "|"), and one per bad text, "!L:C@OFFSET what". */
struct seen {
    char out[2048];
    size_t len;
};

static void put(struct seen *s, const char *text)
{
    size_t n = strlen(text);
    ck_assert_uint_lt(s->len + n, sizeof s->out);
    memcpy(s->out + s->len, text, n + 1);
    s->len += n;
}

static int on_row(void *ctx, char **fields, const size_t *lens, const struct tally_loc *locs,
                  size_t n)
{
    struct seen *s = ctx;
    char item[256];
    for (size_t i = 0; i < n; i++) {
        ck_assert_uint_eq(strlen(fields[i]), lens[i]);
        snprintf(item, sizeof item, "%u:%u@%llu=%s ", (unsigned)locs[i].line,
                 (unsigned)locs[i].column, (unsigned long long)locs[i].offset, fields[i]);
        put(s, item);
    }
    put(s, "| ");
    return 0;
}

static int on_bad(void *ctx, const struct tally_loc *at, const char *what)
{
    struct seen *s = ctx;
    char item[256];
    snprintf(item, sizeof item, "!%u:%u@%llu %.20s| ", (unsigned)at->line, (unsigned)at->column,
             (unsigned long long)at->offset, what);
    put(s, item);
    return 0;
}

static const char *read_at(const char *text, struct seen *s, int want)
{
    struct tally_error err = {0};
    s->len = 0;
    s->out[0] = '\0';
    ck_assert_int_eq(tally_csvtext_rows_at(text, strlen(text), on_row, on_bad, s, &err), want);
    return s->out;
}

START_TEST(test_places)
{
    /* line 1: a@0 1:1; "b,c"@2 1:3; d@8 1:9; CR LF at 9, 10.
     * line 2 from 11: "x""y"@11 2:1 (6 bytes); é@18 2:8 (2 bytes); "p<LF>q"@21 2:10,
     *   its LF at 23 starts line 3 at 24: q 3:1, the quote 3:2, the comma 3:3; z@27 3:4.
     * line 4 from 29: U+1F600 (4 bytes)@29 4:1; w@34 4:3 (the comma 4:2).
     * line 5 (36): blank. line 6 from 37: k@37 6:1; the empty field at the end, @39 6:3. */
    static const char text[] = "a,\"b,c\",d\r\n\"x\"\"y\",\xC3\xA9,\"p\nq\",z\n"
                               "\xF0\x9F\x98\x80,w\n\nk,";
    struct seen s;
    ck_assert_str_eq(read_at(text, &s, TALLY_OK),
                     "1:1@0=a 1:3@2=b,c 1:9@8=d | "
                     "2:1@11=x\"y 2:8@18=\xC3\xA9 2:10@21=p\nq 3:4@27=z | "
                     "4:1@29=\xF0\x9F\x98\x80 4:3@34=w | "
                     "6:1@37=k 6:3@39= | ");
}
END_TEST

START_TEST(test_line_ends)
{
    /* A lone CR ends a line; CRLF is one line end; a quoted CRLF is one too.
     * 1: a@0; CR@1. 2: b@2; CR LF 3,4. 3: "c<CR><LF>d"@5 3:1 (c@6, CR LF 7,8) — line 4
     * from 9: d 4:1, the quote@10 4:2, the comma@11 4:3, e@12 4:4. */
    struct seen s;
    ck_assert_str_eq(read_at("a\rb\r\n\"c\r\nd\",e", &s, TALLY_OK),
                     "1:1@0=a | 2:1@2=b | 3:1@5=c\r\nd 4:4@12=e | ");
}
END_TEST

START_TEST(test_not_csv)
{
    /* An unclosed quote at 2:1 (offset 4) runs to the end: reported at its
     * quote, and reading goes on at line 3 (offset 15), "c,d" at 3:1. */
    struct seen s;
    ck_assert_str_eq(read_at("a,b\n\"un,closed\nc,d\n", &s, TALLY_OK),
                     "1:1@0=a 1:3@2=b | !2:1@4 a quote that is not | 3:1@15=c 3:3@17=d | ");
    /* Text after a closing quote: x,"a"b — the b at offset 5, 1:6; the row is
     * dropped (c@7, LF@8), line 2 is read. A quote inside an unquoted value:
     * é"c — é at 9 and 10, the quote at offset 11, 2:2; line 3 from 16. */
    ck_assert_str_eq(read_at("x,\"a\"b,c\n\xC3\xA9\"c,d\ny,z\n", &s, TALLY_OK),
                     "!1:6@5 text after a closing| !2:2@11 a quote inside an un| "
                     "3:1@16=y 3:3@18=z | ");
    /* A quoted line break before the fault: the row began on line 1, the
     * fault (after the closing quote, at offset 7) is on line 2; reading goes
     * on at line 3. */
    ck_assert_str_eq(read_at("\"a\nb\"c,d\ne\n", &s, TALLY_OK), "!2:3@5 text after a closing| "
                     "3:1@9=e | ");
    /* Without bad: an error naming the place. */
    struct tally_error err = {0};
    ck_assert_int_eq(tally_csvtext_rows_at("a\n\"b\"c\n", 7, on_row, NULL, &s, &err),
                     TALLY_EINVAL);
    ck_assert_str_eq(err.message, "line 2, column 4: not valid CSV: text after a closing quote "
                     "(a quote inside a quoted value is written twice)");
}
END_TEST

static int stop_at_second(void *ctx, char **fields, const size_t *lens,
                          const struct tally_loc *locs, size_t n)
{
    (void)fields, (void)lens, (void)locs, (void)n;
    return ++*(int *)ctx == 2 ? TALLY_EINVAL : 0;
}

START_TEST(test_wide_and_stop)
{
    /* No limit on the number of fields: 100 of them, the last at column 199. */
    char text[256];
    size_t n = 0;
    for (int i = 0; i < 100; i++)
        n += (size_t)sprintf(text + n, "%s%d", i ? "," : "", i % 10);
    struct seen s;
    read_at(text, &s, TALLY_OK);
    ck_assert_ptr_nonnull(strstr(s.out, " 1:199@198=9 | "));
    /* A row's status stops the reading. */
    int rows = 0;
    struct tally_error err = {0};
    ck_assert_int_eq(tally_csvtext_rows_at("a\nb\nc\n", 6, stop_at_second, NULL, &rows, &err),
                     TALLY_EINVAL);
    ck_assert_int_eq(rows, 2);
}
END_TEST

Suite *csvtext_at_suite(void)
{
    Suite *s = suite_create("csvtext_at");
    TCase *tc = tcase_create("places");
    tcase_add_test(tc, test_places);
    tcase_add_test(tc, test_line_ends);
    tcase_add_test(tc, test_not_csv);
    tcase_add_test(tc, test_wide_and_stop);
    suite_add_tcase(s, tc);
    return s;
}
