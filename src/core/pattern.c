/*
 * pattern.c — whole-value pattern matching with PCRE2 (pattern.h).
 */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <stdio.h>

#include "core/pattern.h"

struct tally_pattern *tally_pattern_compile(const char *pattern, char *msg, size_t msgsize)
{
    int code;
    PCRE2_SIZE at;
    /* ANCHORED and ENDANCHORED: the whole value, as Table Schema says (a `$`
     * in the pattern could otherwise match before a final line feed). */
    pcre2_code *re = pcre2_compile((PCRE2_SPTR)pattern, PCRE2_ZERO_TERMINATED,
                                   PCRE2_UTF | PCRE2_ANCHORED | PCRE2_ENDANCHORED, &code, &at,
                                   NULL);
    if (!re) {
        PCRE2_UCHAR why[120];
        if (pcre2_get_error_message(code, why, sizeof why) < 0)
            snprintf((char *)why, sizeof why, "error %d", code);
        if (code == PCRE2_ERROR_NOMEMORY)
            snprintf(msg, msgsize, "out of memory");
        else
            snprintf(msg, msgsize, "%s at offset %zu", (const char *)why, (size_t)at);
    }
    return (struct tally_pattern *)re;
}

void tally_pattern_free(struct tally_pattern *p)
{
    pcre2_code_free((pcre2_code *)p);
}

struct tally_matcher *tally_matcher_new(void)
{
    /* One pair of offsets: the match itself. No pattern needs more to say yes. */
    return (struct tally_matcher *)pcre2_match_data_create(1, NULL);
}

void tally_matcher_free(struct tally_matcher *m)
{
    pcre2_match_data_free((pcre2_match_data *)m);
}

int tally_pattern_test(const struct tally_pattern *p, struct tally_matcher *m, const char *s,
                       size_t len)
{
    int rc = pcre2_match((const pcre2_code *)p, (PCRE2_SPTR)s, len, 0, 0,
                         (pcre2_match_data *)m, NULL);
    if (rc >= 0)
        return 1;   /* 0: a match, with more groups than offsets asked for */
    if (rc == PCRE2_ERROR_NOMATCH || rc == PCRE2_ERROR_PARTIAL)
        return 0;
    if (rc <= PCRE2_ERROR_UTF8_ERR1 && rc >= PCRE2_ERROR_UTF8_ERR21)
        return 0;   /* not UTF-8: it cannot be the text the pattern describes */
    return -1;      /* out of memory, or a match/depth limit: no answer */
}
