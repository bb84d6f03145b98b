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
    /* A value that is not valid: the text as read, without surrounding spaces,
     * so that writing a return never loses what was in it. */
    const char *s = f->text;
    size_t n = f->len;
    tally_trim(&s, &n);
    *len = n;
    return s;
}

void tally_trim(const char **s, size_t *len)
{
    while (*len && (**s == ' ' || **s == '\t'))
        (*s)++, (*len)--;
    while (*len && ((*s)[*len - 1] == ' ' || (*s)[*len - 1] == '\t'))
        (*len)--;
}
