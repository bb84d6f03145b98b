/*
 * readers/copy.c — copies of records and diagnostics; see copy.h.
 */
#include <string.h>

#include "readers/copy.h"

static bool copy_into(struct tally_arena *a, const char **dst, const char *s, size_t *bytes)
{
    if (!s)
        return true;
    size_t n = strlen(s);
    *bytes += n + 1;
    return (*dst = tally_arena_strndup(a, s, n)) != NULL;
}

bool tally_copy_diag(struct tally_arena *a, struct tally_diag *c, const struct tally_diag *d,
                     size_t *bytes)
{
    *c = *d;
    c->code = c->message = c->file = c->field = c->value = c->pointer = c->xpath = NULL;
    c->cell = NULL;
    return copy_into(a, &c->code, d->code, bytes) && copy_into(a, &c->message, d->message, bytes) &&
           copy_into(a, &c->file, d->file, bytes) && copy_into(a, &c->field, d->field, bytes) &&
           copy_into(a, &c->value, d->value, bytes) &&
           copy_into(a, &c->pointer, d->pointer, bytes) && copy_into(a, &c->xpath, d->xpath, bytes) &&
           copy_into(a, &c->cell, d->cell, bytes);
}

/* Copy the n bytes of s and a NUL to p; the byte after the NUL. */
static char *put_str(char *p, const char *s, size_t n)
{
    memcpy(p, s, n);
    p[n] = '\0';
    return p + n + 1;
}

#define PATH_LENS 64    /* fields whose path lengths tally_copy_record remembers */

bool tally_copy_record(struct tally_arena *a, struct tally_record *dst,
                       const struct tally_record *rec, size_t *bytes)
{
    size_t n = rec->nfields, need = n * sizeof *rec->fields, lens[PATH_LENS];
    size_t rec_path = rec->path ? strlen(rec->path) : 0;
    need += rec->path ? rec_path + 1 : 0;
    for (size_t i = 0; i < n; i++) {
        const struct tally_field *f = &rec->fields[i];
        size_t len = f->path ? strlen(f->path) : 0;
        if (i < PATH_LENS)
            lens[i] = len;
        need += (f->text ? f->len + 1 : 0) + (f->path ? len + 1 : 0);
    }
    char *block = tally_arena_alloc(a, need + 1);
    if (!block)
        return false;
    *bytes += need;
    *dst = *rec;
    dst->fields = (struct tally_field *)block;
    memcpy(dst->fields, rec->fields, n * sizeof *rec->fields);
    char *p = block + n * sizeof *rec->fields;
    if (rec->path) {
        dst->path = p;
        p = put_str(p, rec->path, rec_path);
    }
    for (size_t i = 0; i < n; i++) {
        const struct tally_field *f = &rec->fields[i];
        struct tally_field *g = &dst->fields[i];
        if (f->text) {
            g->text = p;
            p = put_str(p, f->text, f->len);
        }
        if (f->path) {
            g->path = p;
            p = put_str(p, f->path, i < PATH_LENS ? lens[i] : strlen(f->path));
        }
    }
    return true;
}
