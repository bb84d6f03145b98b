/*
 * areas.c — the names of regions, nations and the UK (areas.h), read with
 * libcsv from the compiled-in schemas/areas.csv (columns code,name,level).
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <csv.h>

#include "core/areas.h"

extern const unsigned char tally_embedded_areas_csv[];
extern const size_t tally_embedded_areas_csv_len;

struct area {
    char *code, *name;
};

struct tally_areas {
    struct area *list;
    size_t n, cap;
    size_t col;             /* column of the field being read */
    size_t row;
    bool nomem;
};

static void on_field(void *data, size_t len, void *ctx)
{
    struct tally_areas *a = ctx;
    if (a->row == 0 || a->col > 1 || a->nomem) {
        a->col++;
        return;
    }
    if (a->col == 0) {
        if (a->n == a->cap) {
            size_t cap = a->cap ? a->cap * 2 : 16;
            struct area *l = realloc(a->list, cap * sizeof *l);
            if (!l) {
                a->nomem = true;
                return;
            }
            a->list = l;
            a->cap = cap;
        }
        a->list[a->n++] = (struct area){0};
    }
    char *s = strndup(data ? data : "", data ? len : 0);
    if (!s)
        a->nomem = true;
    else if (a->col == 0)
        a->list[a->n - 1].code = s;
    else
        a->list[a->n - 1].name = s;
    a->col++;
}

static void on_row(int c, void *ctx)
{
    struct tally_areas *a = ctx;
    (void)c;
    a->col = 0;
    a->row++;
}

struct tally_areas *tally_areas_load_default(struct tally_error *err)
{
    struct tally_areas *a = calloc(1, sizeof *a);
    struct csv_parser p;
    if (!a || csv_init(&p, CSV_STRICT | CSV_STRICT_FINI) != 0) {
        free(a);
        tally_error_set(err, TALLY_ENOMEM, "out of memory");
        return NULL;
    }
    size_t n = tally_embedded_areas_csv_len;
    bool ok = csv_parse(&p, tally_embedded_areas_csv, n, on_field, on_row, a) == n &&
              csv_fini(&p, on_field, on_row, a) == 0;
    csv_free(&p);
    for (size_t i = 0; ok && i < a->n; i++)
        ok = a->list[i].code && a->list[i].name;
    if (!ok || a->nomem) {
        tally_error_set(err, a->nomem ? TALLY_ENOMEM : TALLY_EREGISTRY,
                        a->nomem ? "out of memory" : "areas.csv: malformed");
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
