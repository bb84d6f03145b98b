/*
 * xmlout.c — escaping text for XML 1.0 (xmlout.h).
 */
#include <string.h>

#include "core/utf8.h"
#include "core/xmlout.h"

#define REPLACEMENT "\xEF\xBF\xBD"  /* U+FFFD */

int tally_xml_escape(const char *s, size_t len, bool attribute, tally_xml_put_fn *put, void *ctx)
{
    int rc = 0;
    size_t i = 0, plain = 0;    /* s[plain..i) needs no escape: written in one go */
    while (i < len) {
        unsigned char c = (unsigned char)s[i];
        const char *rep = NULL;
        size_t k = 1;
        switch (c) {
        case '&': rep = "&amp;"; break;
        case '<': rep = "&lt;"; break;
        case '>': rep = "&gt;"; break;
        case '"': rep = "&quot;"; break;
        case '\'': rep = "&apos;"; break;
        case '\r': rep = "&#13;"; break;
        case '\n': rep = attribute ? "&#10;" : NULL; break;
        case '\t': rep = attribute ? "&#9;" : NULL; break;
        default:
            if (c < 0x20) {
                rep = REPLACEMENT;
            } else if (c >= 0x80) {
                const char *why;
                int m = tally_utf8_seq((const unsigned char *)s + i, len - i, &why);
                if (m <= 0)
                    rep = REPLACEMENT;  /* invalid: this byte, then go on */
                else if (m == 3 && c == 0xEF && (unsigned char)s[i + 1] == 0xBF &&
                         (unsigned char)s[i + 2] >= 0xBE)
                    rep = REPLACEMENT, k = 3;   /* U+FFFE, U+FFFF: not Chars */
                else
                    k = (size_t)m;
            }
        }
        if (rep) {
            if ((rc = put(ctx, s + plain, i - plain)) != 0 || (rc = put(ctx, rep, strlen(rep))) != 0)
                return rc;
            plain = i + k;
        }
        i += k;
    }
    return put(ctx, s + plain, i - plain);
}

static int put_file(void *ctx, const char *s, size_t n)
{
    if (n)
        fwrite(s, 1, n, ctx);
    return 0;
}

void tally_xml_cstring(FILE *out, const char *s, bool attribute)
{
    if (s)
        tally_xml_escape(s, strlen(s), attribute, put_file, out);
}
