/*
 * jsonout.c — JSON string escaping and scalars (jsonout.h).
 */
#include <string.h>

#include "core/jsonout.h"
#include "core/utf8.h"

void tally_json_string(FILE *out, const char *s, size_t len)
{
    static const char hex[] = "0123456789abcdef";
    putc('"', out);
    size_t run = 0;     /* bytes that need no escape, written in one go */
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x80) {
            /* Keep valid UTF-8; an invalid byte becomes U+FFFD. */
            const char *why;
            int n = tally_utf8_seq((const unsigned char *)s + i, len - i, &why);
            if (n > 0) {
                i += (size_t)n - 1;
                continue;
            }
            fwrite(s + run, 1, i - run, out);
            run = i + 1;
            fputs("\\ufffd", out);
            continue;
        }
        if (c >= 0x20 && c != '"' && c != '\\')
            continue;
        fwrite(s + run, 1, i - run, out);
        run = i + 1;
        switch (c) {
        case '"':  fputs("\\\"", out); break;
        case '\\': fputs("\\\\", out); break;
        case '\n': fputs("\\n", out); break;
        case '\r': fputs("\\r", out); break;
        case '\t': fputs("\\t", out); break;
        default:
            fputs("\\u00", out);
            putc(hex[c >> 4], out);
            putc(hex[c & 15], out);
        }
    }
    fwrite(s + run, 1, len - run, out);
    putc('"', out);
}

void tally_json_cstring(FILE *out, const char *s)
{
    if (s)
        tally_json_string(out, s, strlen(s));
    else
        fputs("null", out);
}

void tally_json_uint(FILE *out, uint64_t n, int has)
{
    if (has)
        fprintf(out, "%llu", (unsigned long long)n);
    else
        fputs("null", out);
}
