/*
 * testutil.c — see testutil.h.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tally/clean.h"
#include "tally/reader.h"
#include "tally/registry.h"
#include "tally/settle.h"
#include "tally/validate.h"
#include "testutil.h"

static void on_diag(void *ctx, const struct tally_diag *d)
{
    struct collected *c = ctx;
    if (c->ndiags == COLLECT_MAX)
        return;
    char buf[2048], msg[1024];
    const char *path = d->pointer ? d->pointer : d->xpath ? d->xpath : d->cell;
    /* The temporary file's name, where a message names it, reads FILE. */
    size_t o = 0, n = strlen(c->path);
    for (const char *m = d->message; *m && o + 5 < sizeof msg;)
        if (n && strncmp(m, c->path, n) == 0) {
            memcpy(msg + o, "FILE", 4);
            o += 4;
            m += n;
        } else {
            msg[o++] = *m++;
        }
    msg[o] = '\0';
    snprintf(buf, sizeof buf, "%u:%u %s[%s] %s%s%s", d->line, d->column,
             tally_severity_name(d->severity), d->code, msg, path ? " @" : "",
             path ? path : "");
    c->diags[c->ndiags++] = strdup(buf);
}

void collect(const char *reader, const char *text, size_t len, bool validate,
             struct collected *c)
{
    struct collect_options o = {.validate = validate};
    collect_with(reader, text, len, &o, c);
}

char *written(void (*write)(FILE *f, const char *s, size_t len), const char *s, size_t len)
{
    char *buf = NULL;
    size_t size = 0;
    FILE *f = open_memstream(&buf, &size);
    ck_assert_ptr_nonnull(f);
    write(f, s, len);
    fclose(f);
    return buf;
}

char *read_whole(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    ck_assert_ptr_nonnull(f);
    char *buf = NULL;
    size_t cap = 0, n = 0, k;
    do {
        if (n + 65536 > cap) {
            cap = cap ? cap * 2 : 65536;
            buf = realloc(buf, cap);
            ck_assert_ptr_nonnull(buf);
        }
        k = fread(buf + n, 1, cap - n, f);
        n += k;
    } while (k > 0);
    fclose(f);
    *len = n;
    return buf;
}

void collect_with(const char *reader, const char *text, size_t len,
                  const struct collect_options *opt, struct collected *c)
{
    const struct collect_options *o = opt;
    bool validate = o->validate;
    memset(c, 0, sizeof *c);
    char path[] = "/tmp/tally-unit-XXXXXX";
    int fd = mkstemp(path);
    snprintf(c->path, sizeof c->path, "%s", path);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq((long)write(fd, text, len), (long)len);
    close(fd);

    struct tally_error err;
    struct tally_schema *schema = o->schema_json ? tally_schema_load(o->schema_json,
                                                                     strlen(o->schema_json), &err)
                                                 : tally_schema_load_default(&err);
    struct tally_registry *reg = tally_registry_load_default(&err);
    ck_assert_ptr_nonnull(schema);
    ck_assert_ptr_nonnull(reg);
    struct tally_diag_sink sink = {on_diag, c};
    struct tally_validator_options vo = {0};
    struct tally_validator *v = tally_validator_new(schema, reg, &vo, sink, &err);
    struct tally_settler *settler = tally_settler_new(schema, sink, &err);
    ck_assert_ptr_nonnull(settler);
    ck_assert_int_eq(tally_settler_add_file(settler, path, &err), TALLY_OK);
    struct tally_input in;
    ck_assert_int_eq(tally_input_open(&in, path, &err), TALLY_OK);
    const struct tally_reader_ops *ops = tally_reader_find(reader);
    ck_assert_ptr_nonnull(ops);
    struct tally_reader_config cfg = {.schema = schema, .sink = sink, .clean = o->clean,
                                      .registry = o->registry ? reg : NULL, .sheet = o->sheet};
    struct tally_cleaner *cleaner = o->clean ? tally_cleaner_new(schema, reg, sink, &err) : NULL;
    struct tally_reader *r;
    ck_assert_int_eq(ops->open(&r, &in, &cfg, &err), TALLY_OK);
    struct tally_record *rec;
    while ((c->status = ops->next(r, &rec, &err)) == TALLY_RECORD) {
        if (cleaner)
            ck_assert_int_eq(tally_cleaner_clean(cleaner, rec, &err), TALLY_OK);
        char buf[2048];
        size_t at = (size_t)snprintf(buf, sizeof buf, "%u:%u", rec->loc.line, rec->loc.column);
        for (size_t i = 0; i < rec->nfields && at < sizeof buf; i++)
            if (rec->fields[i].text)
                at += (size_t)snprintf(buf + at, sizeof buf - at, "|%s=%s@%u:%u%s%s",
                                      schema->fields[i].name, rec->fields[i].text,
                                      rec->fields[i].loc.line, rec->fields[i].loc.column,
                                      rec->fields[i].path ? " " : "",
                                      rec->fields[i].path ? rec->fields[i].path : "");
        c->total++;
        if (c->nrecords < COLLECT_MAX)
            c->records[c->nrecords++] = strdup(buf);
        if (validate) {
            ck_assert_int_eq(tally_validator_check(v, rec, &err), TALLY_OK);
            ck_assert_int_eq(tally_settler_add(settler, rec, NULL, &err), TALLY_OK);
        }
    }
    if (validate)
        ck_assert_int_eq(tally_settler_finish(settler, &err), TALLY_OK);
    tally_settler_free(settler);
    ops->close(r);
    tally_cleaner_free(cleaner);
    tally_input_close(&in);
    tally_validator_free(v);
    tally_registry_free(reg);
    tally_schema_free(schema);
    unlink(path);
}

void collect_str(const char *reader, const char *text, bool validate, struct collected *c)
{
    collect(reader, text, strlen(text), validate, c);
}

void collected_free(struct collected *c)
{
    for (size_t i = 0; i < c->ndiags; i++)
        free(c->diags[i]);
    for (size_t i = 0; i < c->nrecords; i++)
        free(c->records[i]);
}

void expect_csv_diags(const char *head, const char *rows, const char *const *want)
{
    size_t hl = strlen(head), rl = strlen(rows);
    char *text = malloc(hl + rl + 1);
    ck_assert_ptr_nonnull(text);
    memcpy(text, head, hl);
    memcpy(text + hl, rows, rl + 1);
    struct collected c;
    collect_str("csv", text, true, &c);
    size_t n = 0;
    while (want[n])
        n++;
    for (size_t i = 0; i < c.ndiags && i < n; i++)
        ck_assert_str_eq(c.diags[i], want[i]);
    ck_assert_msg(c.ndiags == n, "%zu diagnostics, expected %zu; first: %s", c.ndiags, n,
                  c.ndiags ? c.diags[0] : "(none)");
    collected_free(&c);
    free(text);
}

void collect_sink(struct collected *c, struct tally_diag_sink *sink)
{
    sink->emit = on_diag;
    sink->ctx = c;
}
