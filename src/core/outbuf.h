/*
 * outbuf.h — a writer's own output buffer (internal).
 *
 * A writer that emits a record as many small pieces (a key, a quote, a
 * count) appends them here, inline, and the buffer goes to its FILE in one
 * fwrite when full: one stdio call per 64 KiB instead of dozens per record.
 * Write errors show on the FILE (ferror) after tally_outbuf_flush.
 */
#ifndef TALLY_OUTBUF_H
#define TALLY_OUTBUF_H

#include <stdio.h>
#include <string.h>

struct tally_outbuf {
    FILE *out;
    size_t len;
    char buf[1 << 16];
};

static inline void tally_outbuf_flush(struct tally_outbuf *b)
{
    if (b->len)
        fwrite(b->buf, 1, b->len, b->out);
    b->len = 0;
}

static inline void tally_outbuf_write(struct tally_outbuf *b, const char *s, size_t n)
{
    if (n > sizeof b->buf - b->len) {
        tally_outbuf_flush(b);
        if (n > sizeof b->buf) {
            fwrite(s, 1, n, b->out);
            return;
        }
    }
    memcpy(b->buf + b->len, s, n);
    b->len += n;
}

static inline void tally_outbuf_puts(struct tally_outbuf *b, const char *s)
{
    tally_outbuf_write(b, s, strlen(s));
}

#endif
