/*
 * value.h — the values a record's fields hold, and how text becomes one.
 *
 * A field's text is parsed into a struct tally_value according to the
 * field's type in the schema. Counts are non-negative integers or one of the
 * statistical symbols of UK official statistics (x not held, c withheld,
 * z not applicable). Dates are days since 1970-01-01; datetimes are seconds
 * since 1970-01-01T00:00:00Z. Nothing here allocates.
 */
#ifndef TALLY_VALUE_H
#define TALLY_VALUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

enum tally_type {
    TALLY_TYPE_STRING = 0,   /* free text */
    TALLY_TYPE_INTEGER,      /* a count: non-negative integer or a symbol */
    TALLY_TYPE_DATE,         /* YYYY-MM-DD */
    TALLY_TYPE_DATETIME      /* YYYY-MM-DDThh:mm:ss and Z or +hh:mm / -hh:mm */
};

enum tally_kind {
    TALLY_MISSING = 0,  /* absent, empty, or null */
    TALLY_INVALID,      /* present, but not a value of the field's type */
    TALLY_SYMBOL,       /* a statistical symbol: symbol is 'x', 'c' or 'z' */
    TALLY_NUMBER,       /* an integer: number */
    TALLY_TEXT,         /* text: text and len */
    TALLY_DATE,         /* number = days since 1970-01-01 */
    TALLY_DATETIME,     /* number = seconds since the epoch, UTC */
    TALLY_LOCAL_DATETIME /* a datetime without an offset (a case system's local
                            time): number = seconds since the epoch as if it
                            were UTC; the instant is within
                            TALLY_LOCAL_TIME_WINDOW of that */
};

/* How far a local time may be from UTC: offsets run from -12:00 to +14:00,
 * so the instant a local time names lies within 14 hours either side of the
 * same reading taken as UTC. */
#define TALLY_LOCAL_TIME_WINDOW (14 * 3600)

struct tally_value {
    enum tally_kind kind;
    char symbol;            /* TALLY_SYMBOL */
    int64_t number;         /* TALLY_NUMBER, TALLY_DATE, TALLY_DATETIME, TALLY_LOCAL_DATETIME */
    const char *text;       /* the value's text (all kinds but MISSING); borrowed */
    size_t len;             /* bytes in text */
};

/* Outcome of tally_parse_count. */
enum tally_count_parse {
    TALLY_COUNT_OK = 0,     /* *out holds the number */
    TALLY_COUNT_SYMBOL,     /* *symbol holds x, c or z */
    TALLY_COUNT_BAD,        /* not a count: "42.0", "+42", "-1", "1,204", "forty" */
    TALLY_COUNT_TOO_BIG     /* all digits, but beyond INT64_MAX */
};

/*
 * Parse a count: ASCII digits only (a leading zero is allowed: "007" is 7), or
 * exactly one of the symbols in `symbols` (a NUL-terminated list of letters,
 * e.g. "xcz"; NULL for none).
 */
enum tally_count_parse tally_parse_count(const char *s, size_t len, const char *symbols,
                                         int64_t *out, char *symbol);

/* Parse YYYY-MM-DD (a real calendar date, years 1000-9999) into days since
 * 1970-01-01. Returns false when s is not such a date. */
bool tally_parse_date(const char *s, size_t len, int64_t *days);

/* Parse YYYY-MM-DDThh:mm:ss followed by Z or ±hh:mm (seconds may carry a
 * fraction, which is dropped) into seconds since the epoch, UTC. */
bool tally_parse_datetime(const char *s, size_t len, int64_t *seconds);

/* The same without the offset (YYYY-MM-DDThh:mm:ss, a local time): seconds
 * since the epoch as if the time were UTC. False for a time with an offset. */
bool tally_parse_local_datetime(const char *s, size_t len, int64_t *seconds);

/* The schema's word for a type: "string", "integer", "date", "datetime". */
const char *tally_type_name(enum tally_type type);

/* Days since 1970-01-01 of a civil date, and back. */
int64_t tally_days_from_civil(int64_t y, unsigned m, unsigned d);
void tally_civil_from_days(int64_t days, int *y, unsigned *m, unsigned *d);

/* Write the date as YYYY-MM-DD plus NUL into buf (at least 11 bytes). */
void tally_format_date(int64_t days, char buf[11]);

/* Is the value usable in arithmetic and comparisons (a number, text or date)? */
static inline bool tally_value_usable(const struct tally_value *v)
{
    return v->kind >= TALLY_NUMBER;
}

#ifdef __cplusplus
}
#endif

#endif
