/*
 * fuzz_common.c — see fuzz.h.
 */
#define _GNU_SOURCE     /* memfd_create */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "fuzz.h"
#include "tally/clean.h"
#include "tally/reader.h"
#include "tally/settle.h"
#include "tally/validate.h"

static struct tally_schema *schema;
static struct tally_registry *registry;

static void die(const char *what, const struct tally_error *err)
{
    fprintf(stderr, "fuzz: %s: %s\n", what, err ? err->message : "failed");
    abort();
}

const struct tally_schema *fuzz_schema(void)
{
    struct tally_error err;
    if (!schema && !(schema = tally_schema_load_default(&err)))
        die("default schema", &err);
    return schema;
}

const struct tally_registry *fuzz_registry(void)
{
    struct tally_error err;
    if (!registry && !(registry = tally_registry_load_default(&err)))
        die("default registry", &err);
    return registry;
}

/* A sink that reads every string a diagnostic carries (ASan checks them). */
static volatile size_t touched;

static void touch(const char *s)
{
    if (s)
        touched += strlen(s);
}

static void on_diag(void *ctx, const struct tally_diag *d)
{
    (void)ctx;
    if (!d->code || !d->message)
        abort();
    if (d->severity != TALLY_SEV_ERROR && d->severity != TALLY_SEV_WARNING &&
        d->severity != TALLY_SEV_INFO)
        abort();
    touch(d->code);
    touch(d->message);
    touch(d->file);
    touch(d->field);
    touch(d->value);
    touch(d->pointer);
    touch(d->xpath);
    touch(d->cell);
}

static void touch_record(const struct tally_record *rec)
{
    if (rec->nfields != schema->nfields)
        abort();
    touch(rec->file);
    touch(rec->path);
    touch(rec->inherited);
    for (size_t i = 0; i < rec->nfields; i++) {
        const struct tally_field *f = &rec->fields[i];
        if (f->text) {
            /* len bytes, then the NUL the header promises */
            if (f->text[f->len] != '\0')
                abort();
            for (size_t k = 0; k < f->len; k++)
                touched += (unsigned char)f->text[k];
        }
        touch(f->path);
        size_t n;
        const char *out = tally_field_output(f, &n);
        for (size_t k = 0; out && k < n; k++)
            touched += (unsigned char)out[k];
    }
}

static void run(const char *reader, const char *path, bool clean)
{
    struct tally_error err;
    const struct tally_reader_ops *ops = tally_reader_find(reader);
    if (!ops)
        die(reader, NULL);
    struct tally_diag_sink sink = {on_diag, NULL};
    /* One validator and one cleaner for the whole run (building the cleaner's
     * name index per input would halve the speed); a settler per input, to
     * settle its repeated keys at the end, as `tally validate` does. */
    static struct tally_validator *v;
    static struct tally_cleaner *cleaner;
    struct tally_validator_options vo = {0};
    if (!v && !(v = tally_validator_new(schema, registry, &vo, sink, &err)))
        die("validator", &err);
    if (!cleaner && !(cleaner = tally_cleaner_new(schema, registry, sink, &err)))
        die("cleaner", &err);
    struct tally_settler *settler = tally_settler_new(schema, sink, &err);
    if (!settler || tally_settler_add_file(settler, path, &err) != TALLY_OK)
        die("settler", &err);
    struct tally_cleaner *c = clean ? cleaner : NULL;
    struct tally_input in;
    if (tally_input_open(&in, path, &err) != TALLY_OK)
        die("open", &err);
    struct tally_reader_config cfg = {.schema = schema, .registry = registry, .sink = sink,
                                      .clean = clean};
    struct tally_reader *r;
    if (ops->open(&r, &in, &cfg, &err) == TALLY_OK) {
        struct tally_record *rec;
        int rc;
        while ((rc = ops->next(r, &rec, &err)) == TALLY_RECORD) {
            if (c && tally_cleaner_clean(c, rec, &err) != TALLY_OK)
                break;
            if (tally_validator_check(v, rec, &err) != TALLY_OK)
                break;
            if (tally_settler_add(settler, rec, NULL, &err) != TALLY_OK)
                die("settler", &err);
            touch_record(rec);
        }
        if (tally_settler_finish(settler, &err) != TALLY_OK)
            die("settler", &err);
        if (rc == TALLY_OK || (rc > TALLY_EFORMAT && rc != TALLY_DONE))
            abort();    /* next() returned something the interface does not allow */
        char hex[65];
        if (rc == TALLY_DONE && tally_input_sha256(&in, hex, &err) != TALLY_OK)
            die("sha256", &err);
        ops->close(r);
    }
    tally_settler_free(settler);
    tally_input_close(&in);
}

void fuzz_read(const char *reader, const uint8_t *data, size_t size)
{
    fuzz_schema();
    fuzz_registry();
    int fd = memfd_create("fuzz-input", 0);
    if (fd < 0)
        die("memfd_create", NULL);
    for (size_t done = 0; done < size;) {
        ssize_t n = write(fd, data + done, size - done);
        if (n <= 0)
            die("write", NULL);
        done += (size_t)n;
    }
    char path[64];
    snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    run(reader, path, true);
    run(reader, path, false);
    close(fd);
}
