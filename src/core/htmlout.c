/*
 * htmlout.c — HTML text escaping (htmlout.h).
 *
 * One escaper serves both element content and attribute values, so a value
 * written anywhere in a page can never end the element or the attribute it is
 * in, whatever bytes it holds.
 */
#include <string.h>

#include "core/htmlout.h"
#include "core/utf8.h"

#define REPLACEMENT "\xEF\xBF\xBD"     /* U+FFFD in UTF-8 */

/* The replacement for an ASCII byte, or NULL when it is copied as is. */
static const char *ascii_escape(unsigned char c)
{
    switch (c) {
    case '&':  return "&amp;";
    case '<':  return "&lt;";
    case '>':  return "&gt;";
    case '"':  return "&quot;";
    case '\'': return "&#39;";
    case '\t': case '\n': case '\r':
        return NULL;
    default:
        return c < 0x20 || c == 0x7F ? REPLACEMENT : NULL;
    }
}

void tally_html_string(FILE *out, const char *s, size_t len)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t run = 0;     /* start of the bytes not yet written, which need no escape */
    for (size_t i = 0; i < len;) {
        const char *rep;
        size_t n = 1;
        if (u[i] < 0x80) {
            rep = ascii_escape(u[i]);
        } else {
            const char *why;
            int k = tally_utf8_seq(u + i, len - i, &why);
            if (k > 0) {
                n = (size_t)k;
                /* C1 controls, U+0080..U+009F, are C2 80..C2 9F. */
                rep = k == 2 && u[i] == 0xC2 && u[i + 1] < 0xA0 ? REPLACEMENT : NULL;
            } else {
                rep = REPLACEMENT;  /* an invalid or truncated byte */
            }
        }
        if (rep) {
            fwrite(s + run, 1, i - run, out);
            fputs(rep, out);
            run = i + n;
        }
        i += n;
    }
    fwrite(s + run, 1, len - run, out);
}

void tally_html_cstring(FILE *out, const char *s)
{
    if (s)
        tally_html_string(out, s, strlen(s));
}
