/*
 * jsonout.c — JSON string escaping and scalars (jsonout.h).
 */
#include <string.h>

#include "core/jsonout.h"
#include "core/utf8.h"

typedef void put_fn(void *ctx, const char *s, size_t n);

/* s[0..len) as a JSON string with its quotes, handed to put in runs. */
static void escape(const char *s, size_t len, put_fn *put, void *ctx)
{
    static const char hex[] = "0123456789abcdef";
    put(ctx, "\"", 1);
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
            put(ctx, s + run, i - run);
            run = i + 1;
            put(ctx, "\\ufffd", 6);
            continue;
        }
        if (c >= 0x20 && c != '"' && c != '\\')
            continue;
        put(ctx, s + run, i - run);
        run = i + 1;
        switch (c) {
        case '"':  put(ctx, "\\\"", 2); break;
        case '\\': put(ctx, "\\\\", 2); break;
        case '\n': put(ctx, "\\n", 2); break;
        case '\r': put(ctx, "\\r", 2); break;
        case '\t': put(ctx, "\\t", 2); break;
        default: {
            char u[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
            put(ctx, u, sizeof u);
        }
        }
    }
    put(ctx, s + run, len - run);
    put(ctx, "\"", 1);
}

static void put_file(void *ctx, const char *s, size_t n)
{
    if (n)
        fwrite(s, 1, n, ctx);
}

static void put_buf(void *ctx, const char *s, size_t n)
{
    tally_outbuf_write(ctx, s, n);
}

void tally_json_string(FILE *out, const char *s, size_t len)
{
    escape(s, len, put_file, out);
}

void tally_json_string_buf(struct tally_outbuf *out, const char *s, size_t len)
{
    escape(s, len, put_buf, out);
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
