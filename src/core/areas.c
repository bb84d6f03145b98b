/*
 * areas.c — the names of regions, nations and the UK (areas.h), from the
 * compiled-in schemas/areas.csv (columns code,name,level).
 */
#include <stdlib.h>
#include <string.h>

#include "core/grow.h"
#include "core/areas.h"
#include "core/csvtext.h"

extern const unsigned char tally_embedded_areas_csv[];
extern const size_t tally_embedded_areas_csv_len;

struct area {
    char *code, *name;
};

struct tally_areas {
    struct area *list;
    size_t n, cap;
};

static int add_row(void *ctx, const struct tally_csvtext_row *r)
{
    struct tally_areas *a = ctx;
    char **fields = r->fields;
    if (r->index == 0)
        return TALLY_OK;    /* the header */
    if (r->n < 2)
        return TALLY_EREGISTRY;
    if (tally_grow((void **)&a->list, &a->cap, a->n, sizeof *a->list, 16) != TALLY_OK)
        return TALLY_ENOMEM;
    struct area *e = &a->list[a->n];
    e->code = strdup(fields[0]);
    e->name = strdup(fields[1]);
    a->n++;
    return e->code && e->name ? TALLY_OK : TALLY_ENOMEM;
}

struct tally_areas *tally_areas_load_default(struct tally_error *err)
{
    struct tally_areas *a = calloc(1, sizeof *a);
    if (!a) {
        tally_error_set(err, TALLY_ENOMEM, "out of memory");
        return NULL;
    }
    int rc = tally_csvtext_rows((const char *)tally_embedded_areas_csv, tally_embedded_areas_csv_len,
                                add_row, a, err);
    if (rc != TALLY_OK) {
        if (rc == TALLY_EREGISTRY)
            tally_error_set(err, rc, "areas.csv: a row needs a code and a name");
        tally_areas_free(a);
        return NULL;
    }
    return a;
}

const char *tally_area_name(const struct tally_areas *a, const char *code)
{
    for (size_t i = 0; i < a->n; i++)
        if (strcmp(a->list[i].code, code) == 0)
            return a->list[i].name;
    return NULL;
}

void tally_areas_free(struct tally_areas *a)
{
    if (!a)
        return;
    for (size_t i = 0; i < a->n; i++) {
        free(a->list[i].code);
        free(a->list[i].name);
    }
    free(a->list);
    free(a);
}
