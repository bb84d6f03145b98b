/*
 * csvtext.c — a small in-memory CSV, row by row, on libcsv (csvtext.h).
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <csv.h>

#include "core/csvtext.h"

struct state {
    int (*row)(void *ctx, unsigned line, char **fields, const size_t *lens, size_t n);
    void *ctx;
    char *fields[TALLY_CSVTEXT_MAX_FIELDS];
    size_t lens[TALLY_CSVTEXT_MAX_FIELDS];
    size_t n;
    unsigned line;
    int status;             /* first failure: stop calling back */
};

static void on_field(void *data, size_t len, void *p)
{
    struct state *st = p;
    if (st->status || st->n == TALLY_CSVTEXT_MAX_FIELDS)
        return;
    char *f = malloc(len + 1);
    if (!f) {
        st->status = TALLY_ENOMEM;
        return;
    }
    if (len)
        memcpy(f, data, len);
    f[len] = '\0';
    st->lens[st->n] = len;
    st->fields[st->n++] = f;
}

static void on_row(int c, void *p)
{
    struct state *st = p;
    (void)c;
    st->line++;
    if (!st->status)
        st->status = st->row(st->ctx, st->line, st->fields, st->lens, st->n);
    for (size_t i = 0; i < st->n; i++)
        free(st->fields[i]);
    st->n = 0;
}

static int no_space(unsigned char c)
{
    (void)c;
    return 0;
}

int tally_csvtext_rows(const char *text, size_t len,
                       int (*row)(void *ctx, unsigned line, char **fields, const size_t *lens,
                                  size_t n),
                       void *ctx, struct tally_error *err)
{
    struct state st = {.row = row, .ctx = ctx};
    struct csv_parser p;
    if (csv_init(&p, CSV_STRICT | CSV_STRICT_FINI) != 0)
        return tally_error_set(err, TALLY_ENOMEM, "out of memory");
    csv_set_space_func(&p, no_space);
    bool parsed = csv_parse(&p, text, len, on_field, on_row, &st) == len &&
                  csv_fini(&p, on_field, on_row, &st) == 0;
    bool nomem = csv_error(&p) == CSV_ENOMEM;
    csv_free(&p);
    for (size_t i = 0; i < st.n; i++)
        free(st.fields[i]);
    if (st.status)
        return st.status == TALLY_ENOMEM ? tally_error_set(err, TALLY_ENOMEM, "out of memory")
                                         : st.status;
    if (!parsed)
        return nomem ? tally_error_set(err, TALLY_ENOMEM, "out of memory")
                     : tally_error_set(err, TALLY_EINVAL, "line %u: not valid CSV", st.line + 1);
    return TALLY_OK;
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
