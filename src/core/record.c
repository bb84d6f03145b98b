/*
 * record.c — the text a field stands for once validated (record.h).
 */
#include "tally/record.h"

const char *tally_field_output(const struct tally_field *f, size_t *len)
{
    const struct tally_value *v = &f->value;
    if (v->kind != TALLY_MISSING && v->text) {
        *len = v->len;
        return v->text;
    }
    if (v->kind == TALLY_MISSING || !f->text) {
        *len = 0;
        return NULL;
    }
    /* Not validated: the text as read, without surrounding spaces. */
    const char *s = f->text;
    size_t n = f->len;
    while (n && (*s == ' ' || *s == '\t'))
        s++, n--;
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t'))
        n--;
    *len = n;
    return s;
}
