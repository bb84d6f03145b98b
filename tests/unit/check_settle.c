/*
 * check_settle.c — records that share a primary key (core/settle.c): each
 * clause of the rule in settle.h, with the exact diagnostics, through the
 * CSV, JSON and XML readers and the validator, as `tally validate` runs them.
 * (Across files, and the fates a build takes from it: check_build.c and the
 * golden cases settle-*.)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "suites.h"
#include "testutil.h"

#define H "authority_code,authority_name,period_start,period_end,submitted,cohort,in_care," \
          "went_missing,missing_incidents,found,not_found\n"
#define KENT "E10000016,,2014-10-01,2015-09-30,"
#define NORTHANTS "E10000021,,2014-10-01,2015-09-30,"
#define K_UASC "the record for E10000016, 2014-10-01, 2015-09-30, uasc"
#define N_UASC "the record for E10000021, 2014-10-01, 2015-09-30, uasc"

/* The CSV text (after the header) gives exactly the diagnostics `want`. */
static void settle(const char *rows, const char *const *want)
{
    expect_csv_diags(H, rows, want);
}

#define SETTLE(rows, ...) settle(rows, (const char *const[]){__VA_ARGS__, NULL})

/* Rule 1: the same values (the registry's name stands in for an empty one,
 * and `submitted` does not count): the first is kept. */
START_TEST(test_identical)
{
    SETTLE(NORTHANTS "2015-11-02T10:00:00Z,uasc,5,1,1,1,0\n"
           "E10000021,Northamptonshire,2014-10-01,2015-09-30,2015-11-03T10:00:00Z,uasc,5,1,1,1,0\n"
           NORTHANTS ",uasc,5,1,1,1,0\n",
           "3:1 info[duplicate] " N_UASC " is identical to the one at FILE:2; it is kept once",
           "4:1 info[duplicate] " N_UASC " is identical to the one at FILE:2; it is kept once");
    /* A record whose only error is its submitted time has the same figures:
     * the other is kept, and nothing replaced is published. */
    SETTLE(KENT "2015-10-01T09:00:00Z,uasc,10,1,1,1,0\n"
           KENT "yesterday,uasc,10,1,1,1,0\n",
           "3:34 error[type] submitted must be a date and time written YYYY-MM-DDThh:mm:ssZ (or "
           "with an offset such as +01:00), not \"yesterday\"");
}
END_TEST

/* Rule 2: every record timed, the latest wins; the earlier are superseded. */
START_TEST(test_latest_wins)
{
    SETTLE(NORTHANTS "2015-11-02T10:00:00Z,uasc,5,1,1,1,0\n"
           "E10000021,Northamptonshire,2014-10-01,2015-09-30,2015-11-03T10:00:00Z,uasc,5,1,1,1,0\n"
           NORTHANTS "2015-12-01T10:00:00Z,uasc,6,1,1,1,0\n"
           NORTHANTS "2015-11-20T10:00:00Z,uasc,7,1,1,1,0\n",
           "2:1 warning[superseded] " N_UASC " is superseded by the one at FILE:4, submitted "
           "2015-12-01T10:00:00Z",
           "3:1 warning[superseded] " N_UASC " is superseded by the one at FILE:4, submitted "
           "2015-12-01T10:00:00Z",
           "5:1 warning[superseded] " N_UASC " is superseded by the one at FILE:4, submitted "
           "2015-12-01T10:00:00Z");
    /* Times compare in UTC: 09:00+01:00 is before 08:30Z. */
    SETTLE(KENT "2015-10-01T08:30:00Z,uasc,10,1,1,1,0\n"
           KENT "2015-10-01T09:00:00+01:00,uasc,11,1,1,1,0\n",
           "3:1 warning[superseded] " K_UASC " is superseded by the one at FILE:2, submitted "
           "2015-10-01T08:30:00Z");
    /* Two latest alike: one kept, the other a duplicate. */
    SETTLE(KENT "2015-10-01T00:00:00Z,uasc,10,1,1,1,0\n"
           KENT "2015-11-01T00:00:00Z,uasc,12,2,2,2,0\n"
           KENT "2015-11-01T00:00:00Z,uasc,12,2,2,2,0\n",
           "2:1 warning[superseded] " K_UASC " is superseded by the one at FILE:3, submitted "
           "2015-11-01T00:00:00Z",
           "4:1 info[duplicate] " K_UASC " is identical to the one at FILE:3; it is kept once");
}
END_TEST

/* Rule 2, the latest disagree: the earlier are still superseded (replaced
 * figures are never published); the latest conflict. */
START_TEST(test_latest_conflict)
{
    SETTLE(KENT "2015-10-01T00:00:00Z,uasc,10,1,1,1,0\n"
           KENT "2015-11-01T00:00:00Z,uasc,12,2,2,2,0\n"
           KENT "2015-11-01T00:00:00Z,uasc,13,2,2,2,0\n",
           "2:1 warning[superseded] " K_UASC " is superseded by the one at FILE:3, submitted "
           "2015-11-01T00:00:00Z, which conflicts with another submitted then: no record for "
           "this key is accepted",
           "3:1 error[conflict] " K_UASC " conflicts with the one at FILE:4, submitted at the "
           "same time (2015-11-01T00:00:00Z) with different values; no record for this key is "
           "accepted",
           "4:1 error[conflict] " K_UASC " conflicts with the one at FILE:3, submitted at the "
           "same time (2015-11-01T00:00:00Z) with different values; no record for this key is "
           "accepted");
}
END_TEST

/* A later submission supersedes the earlier ones even when it is rejected
 * itself (issue 13's Kent: not_found 54 where 53 adds up). */
START_TEST(test_rejected_supersedes)
{
    SETTLE(KENT "2015-10-01T09:00:00+01:00,uasc,980,188,410,135,53\n"
           KENT "2015-10-28T09:30:00Z,uasc,985,190,412,137,54\n",
           "3:72 error[found-plus-not-found] found (137) + not_found (54) is not went_missing "
           "(190) for cohort uasc",
           "2:1 warning[superseded] " K_UASC " is superseded by the one at FILE:3, submitted "
           "2015-10-28T09:30:00Z, which was rejected: no record for this key is accepted");
    /* Identical figures, both replaced by a later rejected submission. */
    SETTLE(KENT "2015-10-01T00:00:00Z,uasc,10,1,1,1,0\n"
           KENT "2015-10-02T00:00:00Z,uasc,10,1,1,1,0\n"
           KENT "2015-10-03T00:00:00Z,uasc,10,2,2,1,0\n",
           "4:67 error[found-plus-not-found] found (1) + not_found (0) is not went_missing (2) "
           "for cohort uasc",
           "2:1 warning[superseded] " K_UASC " is superseded by the one at FILE:4, submitted "
           "2015-10-03T00:00:00Z, which was rejected: no record for this key is accepted",
           "3:1 warning[superseded] " K_UASC " is superseded by the one at FILE:4, submitted "
           "2015-10-03T00:00:00Z, which was rejected: no record for this key is accepted");
    /* The figures sent again after the rejected one stand. */
    SETTLE(KENT "2015-10-01T00:00:00Z,uasc,10,1,1,1,0\n"
           KENT "2015-10-03T00:00:00Z,uasc,10,2,2,1,0\n"
           KENT "2015-10-05T00:00:00Z,uasc,10,1,1,1,0\n",
           "3:67 error[found-plus-not-found] found (1) + not_found (0) is not went_missing (2) "
           "for cohort uasc",
           "4:1 info[duplicate] " K_UASC " is identical to the one at FILE:2; it is kept once");
    /* An earlier rejected one changes nothing. */
    SETTLE(KENT "2015-10-01T09:00:00+01:00,uasc,980,188,410,135,54\n"
           KENT "2015-10-28T09:30:00Z,uasc,985,190,412,137,53\n",
           "2:77 error[found-plus-not-found] found (135) + not_found (54) is not went_missing "
           "(188) for cohort uasc");
}
END_TEST

/* Rule 3: no submitted time to order them: every record without errors is a
 * conflict — A, B, A too. */
START_TEST(test_no_order)
{
    SETTLE(KENT ",uasc,10,1,1,1,0\n"
           KENT ",uasc,11,1,1,1,0\n"
           KENT ",uasc,10,1,1,1,0\n",
           "2:1 error[conflict] " K_UASC " conflicts with the one at FILE:3 and others: different "
           "values and no later submitted time to choose between them; all 3 are rejected",
           "3:1 error[conflict] " K_UASC " conflicts with the one at FILE:2 and others: different "
           "values and no later submitted time to choose between them; all 3 are rejected",
           "4:1 error[conflict] " K_UASC " conflicts with the one at FILE:2 and others: different "
           "values and no later submitted time to choose between them; all 3 are rejected");
    /* A rejected record never makes another a conflict: nothing orders them,
     * and the valid one is accepted. */
    SETTLE(KENT ",uasc,10,1,1,1,0\n"
           KENT ",uasc,10,2,2,1,0\n",
           "3:47 error[found-plus-not-found] found (1) + not_found (0) is not went_missing (2) "
           "for cohort uasc");
    SETTLE(KENT ",uasc,10,1,1,1,0\n"
           KENT "2015-11-01T00:00:00Z,uasc,10,2,2,1,0\n",
           "3:67 error[found-plus-not-found] found (1) + not_found (0) is not went_missing (2) "
           "for cohort uasc");
    /* One of two timed is not enough. */
    SETTLE(KENT ",uasc,10,1,1,1,0\n"
           KENT "2015-11-01T00:00:00Z,uasc,12,2,2,2,0\n",
           "2:1 error[conflict] " K_UASC " conflicts with the one at FILE:3: different values and "
           "no later submitted time to choose between them; all 2 are rejected",
           "3:1 error[conflict] " K_UASC " conflicts with the one at FILE:2: different values and "
           "no later submitted time to choose between them; all 2 are rejected");
}
END_TEST

/* A record with an error in its key cannot say which key it is for: it takes
 * no part, however late. */
START_TEST(test_key_in_error)
{
    SETTLE("E99999999,,2014-10-01,2015-09-30,2015-12-01T00:00:00Z,uasc,10,1,1,1,0\n"
           "E99999999,,2014-10-01,2015-09-30,2015-10-01T00:00:00Z,uasc,11,1,1,1,0\n",
           "2:1 error[authority-unknown] E99999999 is not an authority code in the registry",
           "3:1 error[authority-unknown] E99999999 is not an authority code in the registry");
    SETTLE(KENT "2015-10-01T00:00:00Z,uasc,10,1,1,1,0\n"
           KENT "2015-12-01T00:00:00Z,both,11,1,1,1,0\n",
           "3:55 error[constraint] cohort \"both\" is not one of trafficked or uasc");
}
END_TEST

/* JSON Pointers and XPaths are kept by shape and numbers, and come back whole. */
START_TEST(test_paths)
{
    struct collected c;
    collect_str("xml", "<returns>"
                "<return><authority><code>E10000016</code></authority>"
                "<period><start>2014-10-01</start><end>2015-09-30</end></period>"
                "<cohort type=\"uasc\"><in_care>1</in_care><went_missing>0</went_missing>"
                "<missing_incidents>0</missing_incidents><found>0</found><not_found>0</not_found>"
                "</cohort></return>\n"
                "<return><authority><code>E10000016</code></authority>"
                "<period><start>2014-10-01</start><end>2015-09-30</end></period>"
                "<cohort type=\"trafficked\"><in_care>1</in_care><went_missing>0</went_missing>"
                "<missing_incidents>0</missing_incidents><found>0</found><not_found>0</not_found>"
                "</cohort>"
                "<cohort type=\"uasc\"><in_care>1</in_care><went_missing>0</went_missing>"
                "<missing_incidents>0</missing_incidents><found>0</found><not_found>0</not_found>"
                "</cohort></return></returns>\n", true, &c);
    ck_assert_uint_eq(c.ndiags, 1);
    ck_assert_str_eq(c.diags[0], "2:282 info[duplicate] " K_UASC " is identical to the one at "
                     "FILE:1; it is kept once @/returns/return[2]/cohort[2]");
    collected_free(&c);
}
END_TEST

/*
 * Thousands of distinct keys, so the key table grows twice, then a repeat of
 * every 70th: each repeat must still find its first sighting.  The codes are
 * the registry's authorities in force throughout 2010-2024.
 */
START_TEST(test_many_keys)
{
    FILE *reg = fopen("schemas/authorities.csv", "r");
    ck_assert_ptr_nonnull(reg);
    char codes[150][16], line[512];
    size_t ncodes = 0;
    while (ncodes < 150 && fgets(line, sizeof line, reg)) {
        char code[16], from[16];
        const char *to = NULL;
        if (sscanf(line, "%15[^,],%*[^,],%*[^,],%*[^,],%15[^,],", code, from) != 2 ||
            strcmp(from, "2010-04-01") > 0)
            continue;
        for (int commas = 0, i = 0; line[i]; i++)
            if (line[i] == ',' && ++commas == 5)
                to = line + i + 1;
        if (to && *to == ',')
            strcpy(codes[ncodes++], code);
    }
    fclose(reg);
    ck_assert_uint_ge(ncodes, 120); /* 137 today: over 3072 keys */

    size_t size = 1 << 20, o = 0, nrows = 0;
    static char rows[4200][96];
    char *text = malloc(size);
    ck_assert_ptr_nonnull(text);
    o += (size_t)snprintf(text, size, H);
    for (size_t c = 0; c < ncodes; c++)
        for (int year = 2010; year < 2024; year++)
            for (int cohort = 0; cohort < 2; cohort++)
                snprintf(rows[nrows++], sizeof rows[0], "%.15s,,%d-04-01,%d-03-31,,%s,5,1,1,1,0\n",
                         codes[c], year, year + 1, cohort ? "uasc" : "trafficked");
    for (size_t r = 0; r < nrows; r++)
        o += (size_t)snprintf(text + o, size - o, "%s", rows[r]);
    for (size_t r = 0; r < nrows; r += 70)
        o += (size_t)snprintf(text + o, size - o, "%s", rows[r]);
    ck_assert_uint_lt(o, size);

    struct collected c;
    collect_str("csv", text, true, &c);
    size_t repeats = (nrows + 69) / 70;
    ck_assert_uint_gt(nrows, 3072);
    ck_assert_uint_eq(c.total, nrows + repeats);
    ck_assert_uint_eq(c.ndiags, repeats);
    for (size_t d = 0; d < c.ndiags; d++) {
        size_t r = d * 70;
        char code[16], start[11], end[11], cohort[12], want[256];
        ck_assert_int_eq(sscanf(rows[r], "%15[^,],,%10[^,],%10[^,],,%11[^,]", code, start, end,
                                cohort), 4);
        snprintf(want, sizeof want, "%zu:1 info[duplicate] the record for %s, %s, %s, %s is "
                 "identical to the one at FILE:%zu; it is kept once",
                 nrows + d + 2, code, start, end, cohort, r + 2);
        ck_assert_str_eq(c.diags[d], want);
    }
    collected_free(&c);
    free(text);
}
END_TEST

/* A submitted time without an offset: a warning, and known only to within
 * 14 hours, so it decides which came later only when it is more than 14
 * hours from a time with an offset (28 from another local time). */
#define NO_OFFSET(line, t) line ":34 warning[datetime-no-offset] submitted \"" t "\" has no " \
    "offset (Z or +01:00), so it is known only to within 14 hours: it decides which " \
    "submission is later only when that is certain"
#define UNCERTAIN(line, other) line ":1 error[conflict] " K_UASC " conflicts with the one at " \
    "FILE:" other ": different values, and which was submitted later is not certain (a " \
    "submitted time without an offset is known only to within 14 hours); all 2 are rejected"
START_TEST(test_local_times)
{
    /* 15 hours after: certainly later. */
    SETTLE(KENT "2015-10-01T00:00:00Z,uasc,10,1,1,1,0\n"
           KENT "2015-10-01T15:00:00,uasc,11,1,1,1,0\n",
           NO_OFFSET("3", "2015-10-01T15:00:00"),
           "2:1 warning[superseded] " K_UASC " is superseded by the one at FILE:3, submitted "
           "2015-10-01T15:00:00 (no offset)");
    /* 14 hours after: perhaps not (UTC+14:00). */
    SETTLE(KENT "2015-10-01T00:00:00Z,uasc,10,1,1,1,0\n"
           KENT "2015-10-01T14:00:00,uasc,11,1,1,1,0\n",
           NO_OFFSET("3", "2015-10-01T14:00:00"), UNCERTAIN("2", "3"), UNCERTAIN("3", "2"));
    /* Earlier by more than 14 hours: certainly earlier, superseded. */
    SETTLE(KENT "2015-09-30T09:59:59,uasc,10,1,1,1,0\n"
           KENT "2015-10-01T00:00:00Z,uasc,11,1,1,1,0\n",
           NO_OFFSET("2", "2015-09-30T09:59:59"),
           "2:1 warning[superseded] " K_UASC " is superseded by the one at FILE:3, submitted "
           "2015-10-01T00:00:00Z");
    /* Two local times: 29 hours apart decide, 28 do not. */
    SETTLE(KENT "2015-10-01T00:00:00,uasc,10,1,1,1,0\n"
           KENT "2015-10-02T05:00:00,uasc,11,1,1,1,0\n",
           NO_OFFSET("2", "2015-10-01T00:00:00"), NO_OFFSET("3", "2015-10-02T05:00:00"),
           "2:1 warning[superseded] " K_UASC " is superseded by the one at FILE:3, submitted "
           "2015-10-02T05:00:00 (no offset)");
    SETTLE(KENT "2015-10-01T00:00:00,uasc,10,1,1,1,0\n"
           KENT "2015-10-02T04:00:00,uasc,11,1,1,1,0\n",
           NO_OFFSET("2", "2015-10-01T00:00:00"), NO_OFFSET("3", "2015-10-02T04:00:00"),
           UNCERTAIN("2", "3"), UNCERTAIN("3", "2"));
    /* The same values: kept once, whatever the order. */
    SETTLE(KENT "2015-10-01T00:00:00Z,uasc,10,1,1,1,0\n"
           KENT "2015-10-01T05:00:00,uasc,10,1,1,1,0\n",
           NO_OFFSET("3", "2015-10-01T05:00:00"),
           "3:1 info[duplicate] " K_UASC " is identical to the one at FILE:2; it is kept once");
    /* A rejected submission certainly later supersedes; one perhaps later does not. */
    SETTLE(KENT "2015-10-01T00:00:00Z,uasc,10,1,1,1,0\n"
           KENT "2015-10-03T00:00:00,uasc,10,2,2,1,0\n",
           NO_OFFSET("3", "2015-10-03T00:00:00"),
           "3:66 error[found-plus-not-found] found (1) + not_found (0) is not went_missing (2) "
           "for cohort uasc",
           "2:1 warning[superseded] " K_UASC " is superseded by the one at FILE:3, submitted "
           "2015-10-03T00:00:00 (no offset), which was rejected: no record for this key is "
           "accepted");
    SETTLE(KENT "2015-10-01T00:00:00Z,uasc,10,1,1,1,0\n"
           KENT "2015-10-01T10:00:00,uasc,10,2,2,1,0\n",
           NO_OFFSET("3", "2015-10-01T10:00:00"),
           "3:66 error[found-plus-not-found] found (1) + not_found (0) is not went_missing (2) "
           "for cohort uasc");
}
END_TEST

Suite *settle_suite(void)
{
    Suite *s = suite_create("settle");
    TCase *tc = tcase_create("rule");
    tcase_add_test(tc, test_identical);
    tcase_add_test(tc, test_latest_wins);
    tcase_add_test(tc, test_latest_conflict);
    tcase_add_test(tc, test_rejected_supersedes);
    tcase_add_test(tc, test_local_times);
    tcase_add_test(tc, test_no_order);
    tcase_add_test(tc, test_key_in_error);
    tcase_add_test(tc, test_paths);
    tcase_add_test(tc, test_many_keys);
    suite_add_tcase(s, tc);
    return s;
}
