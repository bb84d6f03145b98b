/*
 * value.c — parsing counts, dates and datetimes (value.h).
 *
 * Hand-written, without sscanf or strtol: these run once per field on the hot
 * path, and they must reject exactly what doc/return-format.md §1 rejects ("42.0", "+42",
 * " 42", "2015-9-30", "2015-02-29").
 */
#include <string.h>

#include "tally/value.h"

enum tally_count_parse tally_parse_count(const char *s, size_t len, const char *symbols,
                                         int64_t *out, char *symbol)
{
    if (len == 1 && symbols && s[0] != '\0' && strchr(symbols, s[0])) {
        *symbol = s[0];
        return TALLY_COUNT_SYMBOL;
    }
    if (len == 0)
        return TALLY_COUNT_BAD;
    int64_t n = 0;
    bool too_big = false;
    for (size_t i = 0; i < len; i++) {
        unsigned d = (unsigned char)s[i] - '0';
        if (d > 9)
            return TALLY_COUNT_BAD;
        if (!too_big && (n > (INT64_MAX - (int64_t)d) / 10))
            too_big = true;
        if (!too_big)
            n = n * 10 + (int64_t)d;
    }
    if (too_big)
        return TALLY_COUNT_TOO_BIG;
    *out = n;
    return TALLY_COUNT_OK;
}

const char *tally_type_name(enum tally_type type)
{
    switch (type) {
    case TALLY_TYPE_STRING:   return "string";
    case TALLY_TYPE_INTEGER:  return "integer";
    case TALLY_TYPE_DATE:     return "date";
    case TALLY_TYPE_DATETIME: return "datetime";
    }
    return "string";
}

/* Howard Hinnant's days_from_civil: exact for every proleptic Gregorian date. */
int64_t tally_days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    const int64_t era = (y >= 0 ? y : y - 399) / 400;
    const unsigned yoe = (unsigned)(y - era * 400);
    const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

void tally_civil_from_days(int64_t z, int *y, unsigned *m, unsigned *d)
{
    z += 719468;
    const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    const unsigned doe = (unsigned)(z - era * 146097);
    const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    const int64_t yy = (int64_t)yoe + era * 400;
    const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const unsigned mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = (int)(yy + (*m <= 2));
}

void tally_format_date(int64_t days, char buf[11])
{
    int y;
    unsigned m, d;
    tally_civil_from_days(days, &y, &m, &d);
    unsigned yy = y < 0 ? 0 : (unsigned)y % 10000;
    buf[0] = (char)('0' + yy / 1000);
    buf[1] = (char)('0' + yy / 100 % 10);
    buf[2] = (char)('0' + yy / 10 % 10);
    buf[3] = (char)('0' + yy % 10);
    buf[4] = '-';
    buf[5] = (char)('0' + m / 10);
    buf[6] = (char)('0' + m % 10);
    buf[7] = '-';
    buf[8] = (char)('0' + d / 10);
    buf[9] = (char)('0' + d % 10);
    buf[10] = '\0';
}

/* Parse exactly n ASCII digits at s. */
static bool digits(const char *s, size_t n, unsigned *out)
{
    unsigned v = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned c = (unsigned char)s[i] - '0';
        if (c > 9)
            return false;
        v = v * 10 + c;
    }
    *out = v;
    return true;
}

static bool is_leap(unsigned y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static unsigned month_days(unsigned y, unsigned m)
{
    static const unsigned days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return m == 2 && is_leap(y) ? 29 : days[m - 1];
}

/* YYYY-MM-DD at s (exactly 10 bytes available). */
static bool parse_ymd(const char *s, int64_t *days)
{
    unsigned y, m, d;
    if (!digits(s, 4, &y) || s[4] != '-' || !digits(s + 5, 2, &m) || s[7] != '-' ||
        !digits(s + 8, 2, &d))
        return false;
    if (y < 1000 || m < 1 || m > 12 || d < 1 || d > month_days(y, m))
        return false;
    *days = tally_days_from_civil(y, m, d);
    return true;
}

bool tally_parse_date(const char *s, size_t len, int64_t *days)
{
    return len == 10 && parse_ymd(s, days);
}

/* YYYY-MM-DDThh:mm:ss[.fff] and, with an offset, Z or +hh:mm; without,
 * nothing more. */
static bool parse_datetime(const char *s, size_t len, bool with_offset, int64_t *seconds)
{
    int64_t days;
    unsigned hh, mm, ss;
    if (len < 19 || !parse_ymd(s, &days) || (s[10] != 'T' && s[10] != 't') ||
        !digits(s + 11, 2, &hh) || s[13] != ':' || !digits(s + 14, 2, &mm) || s[16] != ':' ||
        !digits(s + 17, 2, &ss))
        return false;
    if (hh > 23 || mm > 59 || ss > 60)
        return false;
    size_t i = 19;
    if (i < len && s[i] == '.') {   /* a fraction of a second: dropped */
        i++;
        size_t start = i;
        while (i < len && s[i] >= '0' && s[i] <= '9')
            i++;
        if (i == start)
            return false;
    }
    int64_t offset = 0;
    if (!with_offset) {
        if (i != len)
            return false;
    } else if (i < len && (s[i] == 'Z' || s[i] == 'z')) {
        i++;
    } else if (i < len && (s[i] == '+' || s[i] == '-')) {
        unsigned oh, om;
        if (len - i != 6 || !digits(s + i + 1, 2, &oh) || s[i + 3] != ':' ||
            !digits(s + i + 4, 2, &om) || oh > 23 || om > 59)
            return false;
        offset = (int64_t)(oh * 3600 + om * 60) * (s[i] == '-' ? -1 : 1);
        i += 6;
    } else {
        return false;               /* a datetime must say its offset */
    }
    if (i != len)
        return false;
    *seconds = days * 86400 + hh * 3600 + mm * 60 + ss - offset;
    return true;
}

bool tally_parse_datetime(const char *s, size_t len, int64_t *seconds)
{
    return parse_datetime(s, len, true, seconds);
}

bool tally_parse_local_datetime(const char *s, size_t len, int64_t *seconds)
{
    return parse_datetime(s, len, false, seconds);
}
