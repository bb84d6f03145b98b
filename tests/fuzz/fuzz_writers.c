/*
 * fuzz_writers.c — libFuzzer target, differential: records decoded from the
 * fuzz bytes are written through every writer (csv, json, ndjson, xml), the
 * bytes read back with tally's own reader for that format, and every value
 * compared with what the writer was given (tally_field_output). Aborts on
 * any difference: a value lost, changed, or a record more or fewer.
 *
 * The records are what the validator hands a writer: per schema field,
 * missing, a count (digits), a valid text (no surrounding blanks), or an
 * invalid value (any text; the writer writes it trimmed). Texts are valid
 * UTF-8 (the readers, rightly, repair or refuse anything else: a writer is
 * never given invalid UTF-8, which the readers replace on the way in), and
 * free of the characters XML 1.0 cannot carry at all (C0 controls but tab, LF
 * and CR; U+FFFE, U+FFFF), which the readers never let through either.
 *
 * Input: a sequence of records; per field one byte picks the kind (low two
 * bits) and, for counts and texts, the length (the rest); the text's bytes
 * follow, each mapped into the allowed characters.
 */
#define _GNU_SOURCE     /* memfd_create */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "fuzz.h"
#include "tally/reader.h"
#include "tally/writer.h"

#define MAX_RECORDS 8
#define MAX_PIECE 8     /* bytes of the longest of pieces[] ("&amp;": 5), rounded up */

/* Characters a text is made of: ASCII letters, digits, punctuation, the
 * blanks and line ends, and a few multi-byte ones (2-, 3- and 4-byte UTF-8). */
static const char *const pieces[] = {
    "a", "Z", "0", "9", " ", "\t", "\n", "\r", "\r\n", ",", "\"", "'", "<", ">", "&", "]]>",
    "\\", "/", "{", "}", "[", "]", ":", "-", "+", ".", "#", ";", "=", "?", "%", "x",
    "\xC3\xA9", "\xE2\x82\xAC", "\xF0\x9F\x98\x80", "\xEF\xBF\xBD", "\xC2\xA0", "&amp;", "\x7F",
    "null", "true", "1e5", "-0", "@", "$", "`",
};
#define NPIECES (sizeof pieces / sizeof *pieces)

struct rec_text {
    char *text;
    size_t len;
};

static struct tally_record recs[MAX_RECORDS];
static size_t nrecs;

static void free_records(void)
{
    for (size_t r = 0; r < nrecs; r++) {
        for (size_t i = 0; i < recs[r].nfields; i++)
            free((char *)recs[r].fields[i].text);
        free(recs[r].fields);
    }
    nrecs = 0;
}

static const char *given(const struct tally_field *f, size_t *n, bool token, char *buf);

/* Decode records from the fuzz bytes. */
static void decode(const uint8_t *data, size_t size)
{
    const struct tally_schema *s = fuzz_schema();
    size_t p = 0;
    while (p < size && nrecs < MAX_RECORDS) {
        struct tally_record *rec = &recs[nrecs++];
        memset(rec, 0, sizeof *rec);
        rec->file = "fuzz";
        rec->index = nrecs;
        rec->nfields = s->nfields;
        rec->fields = calloc(s->nfields, sizeof *rec->fields);
        if (!rec->fields)
            abort();
        for (size_t i = 0; i < s->nfields; i++) {
            struct tally_field *f = &rec->fields[i];
            uint8_t b = p < size ? data[p++] : 0;
            int kind = b & 3;
            size_t want = b >> 2;
            char *t = malloc(want * MAX_PIECE + 24);
            if (!t)
                abort();
            size_t n = 0;
            if (kind == 0) {
                free(t);
                f->value.kind = TALLY_MISSING;
                continue;
            } else if (kind == 1) {
                n = (size_t)snprintf(t, 24, "%llu", (unsigned long long)(want * 7919u % 100000u));
                f->value.kind = TALLY_NUMBER;
            } else {
                for (size_t k = 0; k < want && p < size; k++) {
                    const char *c = pieces[data[p++] % NPIECES];
                    size_t cl = strlen(c);
                    if (cl > MAX_PIECE)
                        abort();    /* MAX_PIECE is out of date */
                    memcpy(t + n, c, cl);
                    n += cl;
                }
                t[n] = '\0';
                if (kind == 2) {
                    /* valid text: no surrounding blanks, not empty */
                    const char *q = t;
                    size_t m = n;
                    tally_trim(&q, &m);
                    memmove(t, q, m);
                    n = m;
                    t[n] = '\0';
                    if (n == 0) {
                        free(t);
                        f->value.kind = TALLY_MISSING;
                        continue;
                    }
                    f->value.kind = TALLY_TEXT;
                } else {
                    f->value.kind = TALLY_INVALID;
                }
            }
            t[n] = '\0';
            f->text = t;
            f->len = n;
            if (f->value.kind != TALLY_INVALID) {
                f->value.text = t;
                f->value.len = n;
            }
        }
        /* A record with neither authority code nor name is not one to the
         * CSV reader, by design: a row of empty cells is skipped (spreadsheets
         * export them), and a row whose counts are the sums of the rows above
         * is a totals row (README, "Returns as authorities send them"). Give
         * it a name. */
        size_t n0, n1;
        int code = s->role[TALLY_ROLE_AUTHORITY_CODE], name = s->role[TALLY_ROLE_AUTHORITY_NAME];
        bool unnamed = (code < 0 || !given(&rec->fields[code], &n0, false, NULL)) &&
                       (name < 0 || !given(&rec->fields[name], &n1, false, NULL));
        if (unnamed && name >= 0) {
            struct tally_field *f = &rec->fields[name];
            free((char *)f->text);
            f->text = f->value.text = strdup("x");
            if (!f->text)
                abort();
            f->len = f->value.len = 1;
            f->value.kind = TALLY_TEXT;
        }
    }
}

/* What a writer was given for field i of record r: NULL when nothing (missing,
 * or an invalid value that is all blanks: both are written as nothing). For
 * XML, whose every value is an xs:token (schemas/missing-from-care.xsd), the
 * value as XML defines it: white space (tab, LF, CR, space) collapsed — runs
 * to one space, none at either end — which is what the XML reader returns. */
static const char *given(const struct tally_field *f, size_t *n, bool token, char *buf)
{
    const char *s = tally_field_output(f, n);
    if (s && *n && token) {
        size_t m = 0;
        bool blank = false;
        for (size_t i = 0; i < *n; i++) {
            char c = s[i];
            if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
                blank = m > 0;
                continue;
            }
            if (blank)
                buf[m++] = ' ';
            blank = false;
            buf[m++] = c;
        }
        *n = m;
        s = buf;
    }
    return s && *n ? s : NULL;
}

static void differ(const char *writer, size_t r, size_t i, const char *a, size_t an,
                   const char *b, size_t bn, const char *bytes, size_t nbytes)
{
    fprintf(stderr, "fuzz_writers: %s: record %zu field %zu: given \"%.*s\" (%zu bytes), "
            "read back \"%.*s\" (%zu bytes)\n--- written:\n%.*s\n---\n", writer, r + 1, i,
            (int)an, a ? a : "", an, (int)bn, b ? b : "", bn, (int)nbytes, bytes);
    abort();
}

static void on_diag(void *ctx, const struct tally_diag *d)
{
    (void)ctx;
    (void)d;
}

static void roundtrip(const struct tally_writer_ops *wo)
{
    const struct tally_schema *s = fuzz_schema();
    struct tally_error err;
    char *bytes = NULL;
    size_t nbytes = 0;
    FILE *out = open_memstream(&bytes, &nbytes);
    struct tally_writer *w;
    if (!out || wo->open(&w, out, s, &err) != TALLY_OK)
        abort();
    for (size_t r = 0; r < nrecs; r++)
        if (wo->write(w, &recs[r], &err) != TALLY_OK)
            abort();
    if (wo->finish(w, &err) != TALLY_OK)
        abort();
    wo->close(w);
    if (fclose(out) != 0)
        abort();

    int fd = memfd_create("fuzz-writers", 0);
    if (fd < 0 || write(fd, bytes, nbytes) != (ssize_t)nbytes)
        abort();
    char path[64];
    snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    struct tally_input in;
    const struct tally_reader_ops *ro = tally_reader_find(wo->name);
    if (!ro || tally_input_open(&in, path, &err) != TALLY_OK)
        abort();
    struct tally_reader_config cfg = {.schema = s, .registry = fuzz_registry(),
                                      .sink = {on_diag, NULL}};
    struct tally_reader *rd;
    if (ro->open(&rd, &in, &cfg, &err) != TALLY_OK)
        abort();
    struct tally_record *rec;
    size_t r = 0;
    int rc;
    while ((rc = ro->next(rd, &rec, &err)) == TALLY_RECORD) {
        if (r >= nrecs) {
            fprintf(stderr, "fuzz_writers: %s: more records read back than written\n%.*s\n",
                    wo->name, (int)nbytes, bytes);
            abort();
        }
        for (size_t i = 0; i < s->nfields; i++) {
            size_t an, bn = rec->fields[i].len;
            char *buf = malloc(recs[r].fields[i].len + 1);
            if (!buf)
                abort();
            const char *a = given(&recs[r].fields[i], &an, strcmp(wo->name, "xml") == 0, buf);
            const char *b = rec->fields[i].text && bn ? rec->fields[i].text : NULL;
            if (!a != !b || (a && (an != bn || memcmp(a, b, an) != 0)))
                differ(wo->name, r, i, a, a ? an : 0, b, b ? bn : 0, bytes, nbytes);
            free(buf);
        }
        r++;
    }
    if (rc != TALLY_DONE || r != nrecs) {
        fprintf(stderr, "fuzz_writers: %s: read back %zu records of %zu (status %d: %s)\n%.*s\n",
                wo->name, r, nrecs, rc, rc == TALLY_DONE ? "" : err.message, (int)nbytes, bytes);
        abort();
    }
    ro->close(rd);
    tally_input_close(&in);
    close(fd);
    free(bytes);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_registry();
    decode(data, size);
    for (const struct tally_writer_ops *const *wo = tally_writers(); *wo; wo++)
        roundtrip(*wo);
    free_records();
    return 0;
}
