/*
 * population.c — the --population file (population.h): read with the shared
 * in-memory CSV reader (csvtext.h), which gives each field's line and column;
 * the rows kept sorted by area and year for lookup.
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/arena.h"
#include "core/csvtext.h"
#include "core/emit.h"
#include "core/grow.h"
#include "core/population.h"
#include "core/utf8.h"
#include "tally/build.h"
#include "tally/value.h"

/* One row: an area's children in a year. */
struct population_row {
    const char *area_code;
    int64_t year, children;
};

struct tally_population {
    struct tally_arena arena;       /* the file's name and the codes */
    const char *file;
    struct population_row *rows;    /* sorted by area and year */
    size_t n, cap;
};

/* The header names of the three columns (compared ignoring case): tally's own,
 * then the spellings of ONS mid-year estimates and similar tables. */
static const char *const area_names[] = {"area_code", "code", "geography_code", "ladcode",
                                         "la_code", NULL};
static const char *const year_names[] = {"year", "mid_year", "time_period", NULL};
static const char *const count_names[] = {"population", "children", "obs_value", NULL};

static bool named(const char *s, const char *const *names)
{
    for (size_t i = 0; names[i]; i++)
        if (strcasecmp(s, names[i]) == 0)
            return true;
    return false;
}

static int cmp_row(const void *pa, const void *pb)
{
    const struct population_row *a = pa, *b = pb;
    int d = strcmp(a->area_code, b->area_code);
    return d ? d : (a->year > b->year) - (a->year < b->year);
}

/* A row and its line: sorted by area, year, then line. */
struct row_line {
    struct population_row p;
    uint32_t line;
};

static int cmp_row_line(const void *pa, const void *pb)
{
    const struct row_line *a = pa, *b = pb;
    int d = cmp_row(&a->p, &b->p);
    return d ? d : (a->line > b->line) - (a->line < b->line);
}

/* The reading's state (borrowed, but pop and lines). */
struct reading {
    struct tally_population *pop;
    const struct tally_registry *reg;
    const struct tally_areas *areas;
    const struct tally_diag_sink *sink;
    int col[3];             /* the area, year and count columns; -1 before the header */
    size_t ncells;          /* the header's */
    bool header_bad;        /* the first row is not a header */
    uint32_t header_line;   /* its line, once read */
    uint32_t *lines;        /* per kept row: its line, for repeats */
    size_t lines_cap;
};

static void diag(const struct reading *r, const struct tally_loc *at, const char *field,
                 const char *value, const char *code, const char *fmt, ...) TALLY_PRINTF(6, 7);

static void diag(const struct reading *r, const struct tally_loc *at, const char *field,
                 const char *value, const char *code, const char *fmt, ...)
{
    struct tally_loc loc = {.line = at->line, .column = at->column};
    va_list ap;
    va_start(ap, fmt);
    tally_emit_atv(r->sink, NULL, r->pop->file, &loc, 0, field, value, TALLY_PATH_NONE, NULL,
                   TALLY_SEV_ERROR, code, fmt, ap);
    va_end(ap);
}

static int header(struct reading *r, char **fields, const struct tally_loc *locs, size_t n)
{
    const char *const *names[] = {area_names, year_names, count_names};
    r->header_line = locs[0].line;
    for (size_t i = 0; i < n; i++)
        for (int w = 0; w < 3; w++)
            if (r->col[w] < 0 && named(fields[i], names[w]))
                r->col[w] = (int)i;
    if (r->col[0] < 0 || r->col[1] < 0 || r->col[2] < 0) {
        r->header_bad = true;
        return TALLY_EINVAL;
    }
    r->ncells = n;
    return TALLY_OK;
}

static int on_row(void *ctx, char **fields, const size_t *lens, const struct tally_loc *locs,
                  size_t n)
{
    struct reading *r = ctx;
    if (!r->header_line)
        return header(r, fields, locs, n);
    if (n != r->ncells) {
        struct tally_loc row = {.line = locs[0].line, .column = 1};
        diag(r, &row, NULL, NULL, TALLY_CODE_CSV_RAGGED_ROW,
             "%zu cells where the header has %zu; the row is not used", n, r->ncells);
        return TALLY_OK;
    }
    size_t a = (size_t)r->col[0], y = (size_t)r->col[1], c = (size_t)r->col[2];
    const char *code = fields[a], *year = fields[y], *count = fields[c];
    bool good = true;
    if (lens[a] == 0) {
        diag(r, &locs[a], "area_code", code, TALLY_CODE_AUTHORITY_UNKNOWN,
             "not an area code; the row is not used");
        good = false;
    } else if (!tally_registry_find(r->reg, code, lens[a]) && !tally_area_name(r->areas, code)) {
        diag(r, &locs[a], "area_code", code, TALLY_CODE_AUTHORITY_UNKNOWN,
             "\"%s\" is not an authority, region, nation or UK code of the registry; the row "
             "is not used", code);
        good = false;
    }
    int64_t yv = 0, cv = 0;
    char sym;
    if (lens[y] != 4 || tally_parse_count(year, 4, NULL, &yv, &sym) != TALLY_COUNT_OK ||
        yv < 1000) {
        diag(r, &locs[y], "year", year, TALLY_CODE_TYPE,
             "not a year (four digits, the year the period ends in); the row is not used");
        good = false;
    }
    if (tally_parse_count(count, lens[c], NULL, &cv, &sym) != TALLY_COUNT_OK) {
        bool negative = lens[c] > 1 && count[0] == '-' &&
                        strspn(count + 1, "0123456789") == lens[c] - 1;
        diag(r, &locs[c], "population", count, negative ? TALLY_CODE_CONSTRAINT : TALLY_CODE_TYPE,
             negative ? "a negative population; the row is not used"
                      : "not a number of children (digits only); the row is not used");
        good = false;
    } else if (cv == 0) {
        diag(r, &locs[c], "population", count, TALLY_CODE_CONSTRAINT,
             "a population of 0: no rate can be given; the row is not used");
        good = false;
    }
    if (!good)
        return TALLY_OK;
    struct tally_population *pop = r->pop;
    char *kept = tally_arena_strndup(&pop->arena, code, lens[a]);
    size_t lines_cap = r->lines_cap;
    if (!kept || tally_grow((void **)&pop->rows, &pop->cap, pop->n, sizeof *pop->rows, 256) ||
        tally_grow((void **)&r->lines, &lines_cap, pop->n, sizeof *r->lines, 256))
        return TALLY_ENOMEM;
    r->lines_cap = lines_cap;
    r->lines[pop->n] = locs[0].line;
    pop->rows[pop->n++] = (struct population_row){.area_code = kept, .year = yv, .children = cv};
    return TALLY_OK;
}

static int on_bad(void *ctx, const struct tally_loc *at, const char *what)
{
    struct reading *r = ctx;
    if (!r->header_line) {      /* the header itself */
        r->header_bad = true;
        r->header_line = at->line;
        return TALLY_EINVAL;
    }
    diag(r, at, NULL, NULL, TALLY_CODE_CSV_SYNTAX, "%s; the row is not used", what);
    return TALLY_OK;
}

/* Repeats of an area and year: the same number is kept once; different
 * numbers are a conflict, and neither is used. Sorted by area, year and line,
 * so the first is the earliest. */
static int settle_repeats(struct reading *r)
{
    struct tally_population *pop = r->pop;
    if (pop->n < 2)
        return TALLY_OK;
    struct row_line *v = malloc(pop->n * sizeof *v);
    if (!v)
        return TALLY_ENOMEM;
    for (size_t i = 0; i < pop->n; i++)
        v[i] = (struct row_line){pop->rows[i], r->lines[i]};
    qsort(v, pop->n, sizeof *v, cmp_row_line);
    size_t out = 0;
    for (size_t i = 0; i < pop->n;) {
        size_t j = i + 1;
        while (j < pop->n && cmp_row(&v[i].p, &v[j].p) == 0)
            j++;
        bool differ = false;
        for (size_t k = i + 1; k < j; k++)
            differ |= v[k].p.children != v[i].p.children;
        for (size_t k = i + 1; k < j; k++) {
            struct tally_loc loc = {.line = v[k].line, .column = 1};
            tally_emit_at(r->sink, NULL, pop->file, &loc, 0, NULL, NULL, TALLY_PATH_NONE, NULL,
                          differ ? TALLY_SEV_ERROR : TALLY_SEV_INFO,
                          differ ? TALLY_CODE_CONFLICT : TALLY_CODE_DUPLICATE,
                          differ ? "%s %lld again, with another number (first at line %u): "
                                   "neither is used"
                                 : "%s %lld again, with the same number (first at line %u): "
                                   "kept once",
                          v[i].p.area_code, (long long)v[i].p.year, v[i].line);
        }
        if (!differ)
            pop->rows[out++] = v[i].p;
        i = j;
    }
    pop->n = out;
    free(v);
    return TALLY_OK;
}

int tally_population_load(const char *path, const char *text, size_t len,
                          const struct tally_registry *reg, const struct tally_areas *areas,
                          const struct tally_diag_sink *sink, struct tally_population **out,
                          struct tally_error *err)
{
    *out = NULL;
    size_t at = 0;
    if (len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0)
        at = 3;     /* a byte order mark, as Excel writes */
    for (size_t i = at; i < len;) {
        const char *why = "a NUL byte";
        int n = text[i] ? tally_utf8_seq((const unsigned char *)text + i, len - i, &why) : 0;
        if (n <= 0)
            return tally_error_set(err, TALLY_EINVAL, "--population %s: not UTF-8 text (%s at "
                                   "byte %zu)", path, n < 0 ? "truncated sequence" : why, i + 1);
        i += (size_t)n;
    }
    struct tally_population *pop = calloc(1, sizeof *pop);
    if (!pop || !(pop->file = tally_arena_strndup(&pop->arena, path, strlen(path)))) {
        tally_population_free(pop);
        return tally_error_set(err, TALLY_ENOMEM, "out of memory");
    }
    struct reading r = {.pop = pop, .reg = reg, .areas = areas, .sink = sink,
                        .col = {-1, -1, -1}};
    struct tally_error csv_err = {0};
    int rc = tally_csvtext_rows_at(text + at, len - at, on_row, on_bad, &r, &csv_err);
    if (rc == TALLY_OK)
        rc = settle_repeats(&r);
    free(r.lines);
    if (!r.header_bad && rc == TALLY_OK && !r.header_line)
        tally_error_set(err, rc = TALLY_EINVAL, "--population %s: empty: it needs a header line "
                        "(area_code,year,population) and a row per area and year", path);
    else if (r.header_bad)
        tally_error_set(err, rc = TALLY_EINVAL, "--population %s: line %u is not a population "
                        "header: it needs the columns area_code, year and population", path,
                        (unsigned)r.header_line);
    else if (rc == TALLY_ENOMEM)
        tally_error_set(err, rc, "out of memory");
    else if (rc != TALLY_OK && err)
        *err = csv_err;
    if (rc != TALLY_OK) {
        tally_population_free(pop);
        return rc;
    }
    *out = pop;
    return TALLY_OK;
}

int64_t tally_population_of(const struct tally_population *pop, const char *area, int64_t year)
{
    struct population_row key = {.area_code = area, .year = year};
    const struct population_row *p =
        pop && pop->n ? bsearch(&key, pop->rows, pop->n, sizeof *pop->rows, cmp_row) : NULL;
    return p ? p->children : 0;
}

const char *tally_population_file(const struct tally_population *pop)
{
    return pop ? pop->file : NULL;
}

void tally_population_free(struct tally_population *pop)
{
    if (!pop)
        return;
    tally_arena_fini(&pop->arena);
    free(pop->rows);
    free(pop);
}
