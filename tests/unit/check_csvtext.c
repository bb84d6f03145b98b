/*
 * check_csvtext.c — the one in-memory CSV loader (core/csvtext.h) that the
 * registry, the areas and aliases tables and --previous share: every field
 * of a wide row, the line each row begins on (LF, CR LF, lone CR), a byte
 * order mark, and where text stops being CSV.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/csvtext.h"
#include "suites.h"

/* Each row as "LINE#INDEX:field|field|...\n", appended to a string. */
struct seen {
    char text[4096];
    size_t widest;
};

static int note_row(void *ctx, const struct tally_csvtext_row *r)
{
    struct seen *s = ctx;
    size_t o = strlen(s->text);
    o += (size_t)snprintf(s->text + o, sizeof s->text - o, "%u#%zu:", r->line, r->index);
    for (size_t i = 0; i < r->n && i < 4; i++)
        o += (size_t)snprintf(s->text + o, sizeof s->text - o, "%s%s", i ? "|" : "", r->fields[i]);
    snprintf(s->text + o, sizeof s->text - o, "\n");
    if (r->n > s->widest)
        s->widest = r->n;
    return TALLY_OK;
}

static int rows(const char *text, size_t len, struct seen *s, struct tally_error *err)
{
    memset(s, 0, sizeof *s);
    *err = (struct tally_error){0};
    return tally_csvtext_rows(text, len, note_row, s, err);
}

#define ROWS(lit, s, err) rows(lit, sizeof lit - 1, s, err)

/* LF, CR LF and a lone CR each end one line; a quoted line break is inside
 * its row, which keeps the line it began on; blank lines are no rows. */
START_TEST(test_lines)
{
    struct seen s;
    struct tally_error err;
    ck_assert_int_eq(ROWS("h1,h2\na,b\r\nc,d\re,\"f\ng\"\n\nx,y", &s, &err), TALLY_OK);
    ck_assert_str_eq(s.text, "1#0:h1|h2\n2#1:a|b\n3#2:c|d\n4#3:e|f\ng\n7#4:x|y\n");
}
END_TEST

/* A byte order mark is not part of the first field; spaces are kept. */
START_TEST(test_bom_and_spaces)
{
    struct seen s;
    struct tally_error err;
    ck_assert_int_eq(ROWS("\xEF\xBB\xBF" "code, name \n1,2\n", &s, &err), TALLY_OK);
    ck_assert_str_eq(s.text, "1#0:code| name \n2#1:1|2\n");
}
END_TEST

/* A row wider than 64 fields keeps all of them (the old loader cut at 64). */
START_TEST(test_wide_row)
{
    char text[1024] = "";
    for (int i = 0; i < 100; i++)
        snprintf(text + strlen(text), sizeof text - strlen(text), "%s%d", i ? "," : "", i);
    strcat(text, "\n");
    struct seen s;
    struct tally_error err;
    ck_assert_int_eq(rows(text, strlen(text), &s, &err), TALLY_OK);
    ck_assert_uint_eq(s.widest, 100);
}
END_TEST

START_TEST(test_not_csv)
{
    struct seen s;
    struct tally_error err;
    ck_assert_int_eq(ROWS("a,b\r\nc,\"d\"x,e\r\n", &s, &err), TALLY_EINVAL);
    ck_assert_str_eq(err.message, "line 2: stray quote in field 2");
    ck_assert_int_eq(ROWS("a,b\rc,d\r\"e\nf\n", &s, &err), TALLY_EINVAL);
    ck_assert_str_eq(err.message, "line 3: unterminated quoted field");
    ck_assert_str_eq(s.text, "1#0:a|b\n2#1:c|d\n");
}
END_TEST

static int stop_at_second(void *ctx, const struct tally_csvtext_row *r)
{
    (void)ctx;
    return r->index == 1 ? TALLY_EREGISTRY : TALLY_OK;
}

/* The row callback's status stops the reading and comes back as it is. */
START_TEST(test_row_status)
{
    struct tally_error err = {0};
    ck_assert_int_eq(tally_csvtext_rows("a\nb\nc\n", 6, stop_at_second, NULL, &err),
                     TALLY_EREGISTRY);
}
END_TEST

Suite *csvtext_suite(void)
{
    Suite *s = suite_create("csvtext");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_lines);
    tcase_add_test(tc, test_bom_and_spaces);
    tcase_add_test(tc, test_wide_row);
    tcase_add_test(tc, test_not_csv);
    tcase_add_test(tc, test_row_status);
    suite_add_tcase(s, tc);
    return s;
}
