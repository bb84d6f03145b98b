/*
 * fuzz_xml.c — libFuzzer target: the xml reader, driven through the cleaner and
 * the validator with the default schema and registry (fuzz_common.c); then
 * read again with libxml2 given the text in small pieces of random sizes,
 * which must change nothing: the same records, values, positions and
 * diagnostics, whatever the piece boundaries split (but for the message and
 * place of an xml-syntax error: how and where libxml2 noticed the break).
 */
#define _GNU_SOURCE     /* memfd_create */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "fuzz.h"
#include "readers/xml.h"
#include "tally/reader.h"

struct trace {
    char *p;
    size_t n, cap;
};

static void put(struct trace *t, const char *s)
{
    size_t k = s ? strlen(s) : 1;
    if (t->n + k + 2 > t->cap) {
        t->cap = (t->n + k + 2) * 2;
        if (!(t->p = realloc(t->p, t->cap)))
            abort();
    }
    memcpy(t->p + t->n, s ? s : "-", k);
    t->n += k;
    t->p[t->n++] = '|';
}

static void put_num(struct trace *t, unsigned long long v)
{
    char buf[32];
    snprintf(buf, sizeof buf, "%llu", v);
    put(t, buf);
}

static void on_diag(void *ctx, const struct tally_diag *d)
{
    struct trace *t = ctx;
    put_num(t, d->severity);
    put(t, d->code);
    /* How and where libxml2 notices some breaks (a literal or CDATA section
     * never closed) depends on how much text it holds, and so on the
     * pieces: an xml-syntax error's message and place are libxml2's; and a
     * DOCTYPE's start may be gone from its text after a long literal in it.
     * Everything else must not change. */
    bool syntax = strcmp(d->code, "xml-syntax") == 0;
    if (!syntax)
        put(t, d->message);
    if (!syntax && strcmp(d->code, "xml-dtd") != 0) {
        put_num(t, d->line);
        put_num(t, d->column);
    }
    put_num(t, d->record);
    put(t, d->xpath);
}

/* Everything the reader gives for data, pieces of `piece` bytes (0: the usual). */
static void trace(const uint8_t *data, size_t size, size_t piece, unsigned seed, struct trace *t)
{
    int fd = memfd_create("fuzz-xml", 0);
    if (fd < 0 || write(fd, data, size) != (ssize_t)size)
        abort();
    char path[64];
    snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    struct tally_error err;
    struct tally_input in;
    if (tally_input_open(&in, path, &err) != TALLY_OK)
        abort();
    struct tally_reader_config cfg = {.schema = fuzz_schema(), .sink = {on_diag, t}};
    struct tally_reader *r;
    if (tally_xml_open_with(&r, &in, &cfg, piece, seed, &err) != TALLY_OK)
        abort();
    struct tally_record *rec;
    int rc;
    while ((rc = r->ops->next(r, &rec, &err)) == TALLY_RECORD) {
        put_num(t, rec->index);
        put_num(t, rec->loc.line);
        put_num(t, rec->loc.column);
        put(t, rec->path);
        put_num(t, rec->errors);
        put_num(t, rec->warnings);
        put(t, rec->inherited);
        for (size_t i = 0; i < rec->nfields; i++) {
            const struct tally_field *f = &rec->fields[i];
            put(t, f->text);
            put_num(t, f->loc.line);
            put_num(t, f->loc.column);
            put(t, f->path);
            put_num(t, f->bad);
        }
    }
    put_num(t, (unsigned long long)rc);
    if (tally_xml_position_fallbacks(r) != 0)
        abort();    /* every position found in libxml2's text */
    r->ops->close(r);
    tally_input_close(&in);
    close(fd);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_read("xml", data, size);

    struct trace whole = {0}, pieces = {0};
    trace(data, size, 0, 0, &whole);
    unsigned seed = 1;
    for (size_t i = 0; i < size; i++)
        seed = seed * 31 + data[i];
    trace(data, size, 1 + seed % 13, seed | 1, &pieces);
    if (whole.n != pieces.n || memcmp(whole.p, pieces.p, whole.n) != 0) {
        fprintf(stderr, "fuzz_xml: read in pieces, the input gives something else:\n%.*s\n%.*s\n",
                (int)whole.n, whole.p, (int)pieces.n, pieces.p);
        abort();
    }
    free(whole.p);
    free(pieces.p);
    return 0;
}
