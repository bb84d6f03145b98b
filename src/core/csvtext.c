/*
 * csvtext.c — a CSV in memory, row by row, on libcsv (csvtext.h).
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <csv.h>

#include "core/csvtext.h"
#include "core/grow.h"
#include "core/textpos.h"
#include "core/utf8.h"

struct state {
    int (*row)(void *ctx, const struct tally_csvtext_row *r);
    void *ctx;
    char *buf;              /* the current row's fields, each NUL-terminated */
    size_t buflen, bufcap;
    size_t *off, *lens;     /* per field: its offset in buf, its length */
    char **ptrs;            /* per field: buf + off, made when the row ends */
    size_t off_cap, lens_cap, ptrs_cap;
    size_t n;
    size_t index;
    struct tally_textpos pos;
    unsigned row_line;      /* the line the current row began on */
    bool in_row;
    int status;             /* first failure: stop calling back */
};

static void on_field(void *data, size_t len, void *p)
{
    struct state *st = p;
    if (st->status)
        return;
    if (tally_grow((void **)&st->off, &st->off_cap, st->n, sizeof *st->off, 16) != TALLY_OK ||
        tally_grow((void **)&st->lens, &st->lens_cap, st->n, sizeof *st->lens, 16) != TALLY_OK ||
        tally_grow((void **)&st->ptrs, &st->ptrs_cap, st->n, sizeof *st->ptrs, 16) != TALLY_OK ||
        len >= SIZE_MAX - st->buflen ||
        tally_grow_bytes(&st->buf, &st->bufcap, st->buflen + len + 1, 256) != TALLY_OK) {
        st->status = TALLY_ENOMEM;
        return;
    }
    if (len)
        memcpy(st->buf + st->buflen, data, len);
    st->buf[st->buflen + len] = '\0';
    st->off[st->n] = st->buflen;
    st->lens[st->n++] = len;
    st->buflen += len + 1;
}

static void on_row(int c, void *p)
{
    struct state *st = p;
    (void)c;
    st->in_row = false;
    if (!st->status) {
        for (size_t i = 0; i < st->n; i++)
            st->ptrs[i] = st->buf + st->off[i];
        struct tally_csvtext_row r = {st->ptrs, st->lens, st->n, st->index++, st->row_line};
        st->status = st->row(st->ctx, &r);
    }
    st->n = 0;
    st->buflen = 0;
}

/* libcsv trims spaces around unquoted fields unless told that no byte is a space. */
static int no_space(unsigned char c)
{
    (void)c;
    return 0;
}

/* Why libcsv stopped (status st) at the line `line`, into err. */
static int csv_failed(int st, unsigned line, size_t field, bool at_end, struct tally_error *err)
{
    if (st == CSV_ENOMEM || st == CSV_ETOOBIG)
        return tally_error_set(err, TALLY_ENOMEM, "out of memory");
    if (st != CSV_EPARSE)
        return tally_error_set(err, TALLY_EINVAL, "line %u: %s", line, csv_strerror(st));
    if (at_end)
        return tally_error_set(err, TALLY_EINVAL, "line %u: unterminated quoted field", line);
    return tally_error_set(err, TALLY_EINVAL, "line %u: stray quote in field %zu", line, field);
}

int tally_csvtext_rows(const char *text, size_t len,
                       int (*row)(void *ctx, const struct tally_csvtext_row *r), void *ctx,
                       struct tally_error *err)
{
    return tally_csvtext_read(text, len, NULL, row, ctx, err);
}

int tally_csvtext_read(const char *text, size_t len, const struct tally_csvtext_opts *opts,
                       int (*row)(void *ctx, const struct tally_csvtext_row *r), void *ctx,
                       struct tally_error *err)
{
    static const struct tally_csvtext_opts defaults = {0};
    const struct tally_csvtext_opts *o = opts ? opts : &defaults;
    struct state st = {.row = row, .ctx = ctx};
    struct csv_parser p;
    if (csv_init(&p, o->lenient ? 0 : CSV_STRICT | CSV_STRICT_FINI) != 0)
        return tally_error_set(err, TALLY_ENOMEM, "out of memory");
    csv_set_space_func(&p, no_space);
    if (o->delimiter)
        csv_set_delim(&p, (unsigned char)o->delimiter);
    if (!text)
        len = 0;
    size_t at = len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0 ? 3 : 0;
    tally_textpos_init(&st.pos, at);
    int rc = TALLY_OK;
    /* Fed a line's bytes, then its terminator, so that each row knows the
     * line it begins on and a parse error the line it is on. */
    while (at < len && !st.status && rc == TALLY_OK) {
        size_t end = at;
        while (end < len && text[end] != '\n' && text[end] != '\r')
            end++;
        size_t n = end < len ? end + 1 - at : end - at;
        if (end > at && !st.in_row) {
            st.in_row = true;
            st.row_line = st.pos.line;
        }
        if (csv_parse(&p, text + at, n, on_field, on_row, &st) != n && !st.status)
            rc = csv_failed(csv_error(&p), st.pos.line, st.n + 1, false, err);
        if (end < len)
            tally_textpos_newline(&st.pos, (unsigned char)text[end], end);
        at += n;
    }
    if (rc == TALLY_OK && !st.status && !o->partial &&
        csv_fini(&p, on_field, on_row, &st) != 0 && !st.status)
        rc = csv_failed(csv_error(&p), st.row_line, 0, true, err);
    csv_free(&p);
    free(st.buf);
    free(st.off);
    free(st.lens);
    free(st.ptrs);
    if (st.status == TALLY_ENOMEM)
        return tally_error_set(err, TALLY_ENOMEM, "out of memory");
    return st.status ? st.status : rc;
}

bool tally_csv_needs_quotes(const char *s, size_t n)
{
    if (n && (s[0] == ' ' || s[n - 1] == ' ' || s[0] == '\t' || s[n - 1] == '\t'))
        return true;
    for (size_t i = 0; i < n; i++)
        if (s[i] == ',' || s[i] == '"' || s[i] == '\r' || s[i] == '\n')
            return true;
    return false;
}

void tally_csv_value(FILE *out, const char *s)
{
    size_t n = strlen(s);
    if (!tally_csv_needs_quotes(s, n)) {
        fwrite(s, 1, n, out);
        return;
    }
    putc('"', out);
    for (; *s; s++) {
        if (*s == '"')
            putc('"', out);
        putc(*s, out);
    }
    putc('"', out);
}

/* ---- tally_csvtext_rows_at: the same, with each field's place --------------------- */

/*
 * libcsv is fed one byte at a time, so the byte that makes it call back is
 * known, and a struct tally_textpos follows the same bytes. A field starts at
 * the first byte fed after the previous field ended (after its comma), or,
 * at the start of a row, at the first byte that is not a line end (libcsv
 * skips those: blank lines, and the LF of a CRLF).
 */
struct at_state {
    int (*row)(void *ctx, char **fields, const size_t *lens, const struct tally_loc *locs,
               size_t n);
    void *ctx;
    char **fields;          /* owned, each malloc'd, n of them */
    size_t *lens;
    struct tally_loc *locs;
    size_t n, cap;
    struct tally_textpos tp;
    bool pending;           /* the next byte starts a field (unless a line end between rows) */
    bool in_row;            /* a field of this row has started */
    struct tally_loc start; /* where the field being read starts */
    bool quoted;            /* ... and whether it starts with a quote */
    struct tally_textpos row_tp;    /* the count where the row being read starts */
    size_t row_off;
    int status;             /* first failure: stop calling back */
};

static void drop_fields(struct at_state *st)
{
    for (size_t i = 0; i < st->n; i++)
        free(st->fields[i]);
    st->n = 0;
}

static void on_field_at(void *data, size_t len, void *p)
{
    struct at_state *st = p;
    st->pending = true;
    if (st->status)
        return;
    size_t cap = st->cap;
    char *f = malloc(len + 1);
    if (!f || tally_grow((void **)&st->fields, &cap, st->n, sizeof *st->fields, 8) ||
        (cap = st->cap, tally_grow((void **)&st->lens, &cap, st->n, sizeof *st->lens, 8)) ||
        (cap = st->cap, tally_grow((void **)&st->locs, &cap, st->n, sizeof *st->locs, 8))) {
        free(f);
        st->status = TALLY_ENOMEM;
        return;
    }
    st->cap = cap;
    if (len)
        memcpy(f, data, len);
    f[len] = '\0';
    st->fields[st->n] = f;
    st->lens[st->n] = len;
    st->locs[st->n++] = st->start;
}

static void on_row_at(int c, void *p)
{
    struct at_state *st = p;
    (void)c;
    st->pending = true;
    st->in_row = false;
    if (!st->status && st->n)
        st->status = st->row(st->ctx, st->fields, st->lens, st->locs, st->n);
    drop_fields(st);
}

/* Byte i has been consumed: count it. *cont is how many continuation bytes of
 * a character already counted follow. */
static void count_byte(struct tally_textpos *tp, const char *text, size_t len, size_t i,
                       size_t *cont)
{
    unsigned char c = (unsigned char)text[i];
    if (c == '\r' || c == '\n')
        tally_textpos_newline(tp, c, i);
    else if (*cont)
        --*cont;
    else if (c >= 0xC0) {
        const char *why;
        int n = tally_utf8_seq((const unsigned char *)text + i, len - i, &why);
        if (n >= 2) {
            tally_textpos_wide(tp, (size_t)n);
            *cont = (size_t)n - 1;
        }
    }
}

/* From offset i (on tp's current line) past the end of that line. */
static size_t skip_line(struct tally_textpos *tp, const char *text, size_t len, size_t i)
{
    size_t cont = 0;
    while (i < len && text[i] != '\r' && text[i] != '\n')
        count_byte(tp, text, len, i++, &cont);
    if (i < len)
        count_byte(tp, text, len, i++, &cont);
    if (i < len && text[i - 1] == '\r' && text[i] == '\n')
        count_byte(tp, text, len, i++, &cont);
    return i;
}

int tally_csvtext_rows_at(const char *text, size_t len,
                          int (*row)(void *ctx, char **fields, const size_t *lens,
                                     const struct tally_loc *locs, size_t n),
                          int (*bad)(void *ctx, const struct tally_loc *at, const char *what),
                          void *ctx, struct tally_error *err)
{
    struct at_state st = {.row = row, .ctx = ctx};
    tally_textpos_init(&st.tp, 0);
    size_t i = 0, cont = 0;
    int rc = TALLY_OK;
    while (rc == TALLY_OK) {
        struct csv_parser p;
        if (csv_init(&p, CSV_STRICT | CSV_STRICT_FINI) != 0) {
            rc = tally_error_set(err, TALLY_ENOMEM, "out of memory");
            break;
        }
        csv_set_space_func(&p, no_space);
        st.pending = true;
        st.in_row = false;
        cont = 0;
        bool failed = false;
        for (; i < len && !st.status; i++) {
            unsigned char c = (unsigned char)text[i];
            if (st.pending && (st.in_row || (c != '\r' && c != '\n'))) {
                st.start = tally_textpos_at(&st.tp, i);
                st.quoted = c == '"';
                if (!st.in_row) {
                    st.row_tp = st.tp;
                    st.row_off = i;
                    st.in_row = true;
                }
                st.pending = false;
            }
            if (csv_parse(&p, text + i, 1, on_field_at, on_row_at, &st) != 1) {
                failed = true;
                break;
            }
            count_byte(&st.tp, text, len, i, &cont);
        }
        if (!failed && !st.status) {
            if (st.pending && st.in_row)    /* an empty last field: "a," */
                st.start = tally_textpos_at(&st.tp, len);
            failed = csv_fini(&p, on_field_at, on_row_at, &st) != 0;
        }
        bool nomem = csv_error(&p) == CSV_ENOMEM || csv_error(&p) == CSV_ETOOBIG;
        csv_free(&p);
        if (st.status) {
            rc = st.status == TALLY_ENOMEM ? tally_error_set(err, TALLY_ENOMEM, "out of memory")
                                           : st.status;
            break;
        }
        if (!failed)
            break;
        if (nomem) {
            rc = tally_error_set(err, TALLY_ENOMEM, "out of memory");
            break;
        }
        /* Not CSV: where, and what. */
        bool at_end = i >= len;
        struct tally_loc at = at_end ? st.start : tally_textpos_at(&st.tp, i);
        const char *what = at_end ? "a quote that is not closed before the end of the file"
                           : st.quoted ? "text after a closing quote (a quote inside a quoted "
                                         "value is written twice)"
                                       : "a quote inside an unquoted value (quote the whole "
                                         "value, and write the quote twice)";
        if (!bad) {
            rc = tally_error_set(err, TALLY_EINVAL, "line %u, column %u: not valid CSV: %s",
                                 (unsigned)at.line, (unsigned)at.column, what);
            break;
        }
        drop_fields(&st);
        if ((rc = bad(ctx, &at, what)) != TALLY_OK)
            break;
        if (at_end) {   /* read again from the line after the one the row began on */
            st.tp = st.row_tp;
            i = st.row_off;
        }
        i = skip_line(&st.tp, text, len, i);
    }
    drop_fields(&st);
    free(st.fields);
    free(st.lens);
    free(st.locs);
    return rc;
}
