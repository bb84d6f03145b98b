/*
 * fuzz_expr.c — libFuzzer target: the rule language.
 *
 * The input is an expression, a NUL byte, then bytes that choose a value for
 * every field of the default schema: a kind (missing, invalid, symbol,
 * number, text, date, datetime — any kind, whatever the field's type, since
 * tally_expr_eval must check) and a number or a piece of text. The expression
 * is compiled against the schema's fields and, when it compiles, evaluated on
 * that record.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "tally/expr.h"

/* Pull n bytes from the value stream as a little-endian number (0 when dry). */
static uint64_t take(const uint8_t **p, const uint8_t *end, size_t n)
{
    uint64_t v = 0;
    for (size_t i = 0; i < n && *p < end; i++, (*p)++)
        v |= (uint64_t)**p << (8 * i);
    return v;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const struct tally_schema *schema = fuzz_schema();
    const uint8_t *nul = memchr(data, 0, size);
    size_t srclen = nul ? (size_t)(nul - data) : size;
    char *src = malloc(srclen + 1);
    if (!src)
        return 0;
    memcpy(src, data, srclen);
    src[srclen] = '\0';

    struct tally_error err;
    struct tally_expr *e = tally_expr_compile(src, schema->fields, schema->nfields, &err);
    if (!e) {
        if (err.status != TALLY_ESCHEMA && err.status != TALLY_ENOMEM)
            abort();
        if (strlen(err.message) >= sizeof err.message)
            abort();
        free(src);
        return 0;
    }
    size_t nnamed;
    const size_t *named = tally_expr_fields(e, &nnamed);
    for (size_t i = 0; i < nnamed; i++)
        if (named[i] >= schema->nfields)
            abort();

    const uint8_t *p = nul ? nul + 1 : data + size, *end = data + size;
    struct tally_field fields[64];
    size_t n = schema->nfields < 64 ? schema->nfields : 64;
    memset(fields, 0, sizeof fields);
    for (size_t i = 0; i < n; i++) {
        struct tally_value *v = &fields[i].value;
        uint8_t k = (uint8_t)take(&p, end, 1);
        v->kind = (enum tally_kind)(k % 7);
        fields[i].error = k & 0x80;
        v->number = (int64_t)take(&p, end, 8);
        size_t len = (size_t)take(&p, end, 1) % 16;
        if (len > (size_t)(end - p))
            len = (size_t)(end - p);
        v->text = v->kind == TALLY_MISSING ? NULL : (const char *)p;
        v->len = v->kind == TALLY_MISSING ? 0 : len;
        v->symbol = "xcz"[k % 3];
        p += len;
        fields[i].text = v->text;
        fields[i].len = v->len;
    }
    struct tally_record rec = {.file = "fuzz", .index = 1, .nfields = n, .fields = fields};
    enum tally_expr_result r = tally_expr_eval(e, &rec);
    if (r != TALLY_EXPR_FALSE && r != TALLY_EXPR_TRUE && r != TALLY_EXPR_SKIPPED)
        abort();
    tally_expr_free(e);
    free(src);
    return 0;
}
