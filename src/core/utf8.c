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

int tally_cp1252_utf8(unsigned char b, char out[3])
{
    /* 0x80 to 0x9F: the characters windows-1252 puts where ISO-8859-1 has controls. */
    static const unsigned short c1[32] = {
        0x20AC, 0, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021,
        0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0, 0x017D, 0,
        0, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014,
        0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0, 0x017E, 0x0178,
    };
    unsigned cp = b < 0x80 ? 0 : b < 0xA0 ? c1[b - 0x80] : b;
    if (cp == 0)
        return 0;
    if (cp < 0x800) {
        out[0] = (char)(0xC0 | cp >> 6);
        out[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    out[0] = (char)(0xE0 | cp >> 12);
    out[1] = (char)(0x80 | (cp >> 6 & 0x3F));
    out[2] = (char)(0x80 | (cp & 0x3F));
    return 3;
}
