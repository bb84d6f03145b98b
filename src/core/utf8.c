/*
 * utf8.c — UTF-8 validation per the Unicode Standard, table 3-7.
 */
#include "core/utf8.h"

int tally_utf8_seq(const unsigned char *s, size_t avail, const char **why)
{
    unsigned c = s[0];
    int n;
    unsigned lo = 0x80, hi = 0xBF;      /* allowed range of the second byte */
    if (c < 0x80)
        return 1;
    if (c < 0xC0) {
        *why = "unexpected continuation byte";
        return 0;
    }
    if (c < 0xC2) {
        *why = "overlong encoding";
        return 0;
    }
    if (c < 0xE0) {
        n = 2;
    } else if (c < 0xF0) {
        n = 3;
        if (c == 0xE0)
            lo = 0xA0;
        else if (c == 0xED)
            hi = 0x9F;
    } else if (c < 0xF5) {
        n = 4;
        if (c == 0xF0)
            lo = 0x90;
        else if (c == 0xF4)
            hi = 0x8F;
    } else {
        *why = "invalid byte";
        return 0;
    }
    for (int i = 1; i < n; i++) {
        if ((size_t)i >= avail)
            return -1;
        unsigned b = s[i];
        if (b < 0x80 || b > 0xBF) {
            *why = "truncated sequence";
            return 0;
        }
        if (i == 1 && (b < lo || b > hi)) {
            *why = c == 0xED ? "UTF-16 surrogate" : c == 0xF4 ? "code point beyond U+10FFFF"
                                                               : "overlong encoding";
            return 0;
        }
    }
    return n;
}
