/*
 * build.c — the national dataset (build.h, doc/dataset-format.md §1).
 *
 * Records are kept compactly (their canonical texts in one arena) as they are
 * added; a record with an error is rejected at once. tally_build_finish then:
 *
 *   1. fates      every group of records that share a key is settled by
 *                 core/settle.c (settle.h gives the rule) — the same module,
 *                 fed the same records, as `tally validate` uses — so the
 *                 build rejects exactly what validate calls an error;
 *   2. coverage   one `coverage` info per authority in force on a period's
 *                 last day that has no accepted record for that period;
 *   3. outliers   `change-outlier` warnings against --previous;
 *   4. aggregate  per period and cohort: every accepted authority, and every
 *                 English region, nation and the UK with authorities in force
 *                 on the period's last day, sums of numeric values ("x" when
 *                 none is numeric), the ratios, reporting/expected, complete;
 *   5. attach     with --previous, each row's previous period (its _previous
 *                 and _change cells are worked out when asked for, after
 *                 disclosure control, so a change is c whenever a side is);
 *                 with --population, each row's children (its rates, the same).
 *
 * Everything is sorted, so the same records give the same rows in the same
 * order, whatever order the files came in.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/grow.h"
#include "core/arena.h"
#include "core/areas.h"
#include "core/csvtext.h"
#include "core/emit.h"
#include "core/hash.h"
#include "core/population.h"
#include "tally/build.h"

struct previous_row {
    char *area_code, *cohort;
    int64_t period_end;
    bool is_authority;
    bool complete;          /* its "complete" column: every authority in force, no gaps */
    char **measures;        /* per integer field of the schema (by field index), or NULL */
    char **ratios;          /* per schema ratio, or NULL */
};

struct tally_build {
    const struct tally_schema *schema;
    const struct tally_registry *registry;
    struct tally_build_options opts;
    struct tally_diag_sink sink;
    struct tally_areas *areas;
    struct tally_arena arena;       /* everything kept until the build is freed */

    const char **files;
    size_t nfiles, files_cap;
    uint64_t (*file_fates)[TALLY_FATE_COUNT];

    struct tally_build_record *recs;
    size_t nrecs, recs_cap;
    struct tally_settler *settler;  /* repeated keys (core/settle.c) */
    uint32_t *settle_ids;           /* per record: its id in the settler */
    size_t settle_ids_cap;

    struct previous_row *prev;
    size_t nprev, prev_cap;
    bool has_previous;              /* --previous: the dataset gains _previous and _change */
    const struct previous_row **row_prev;   /* per row: its previous period's row, or NULL */

    struct tally_population *population;    /* --population: the dataset gains _per_10000 */
    int64_t *row_pop;               /* per row: its area's children, or 0 */
    size_t *rate_measures;          /* measures given a rate: those of the schema's ratios */
    size_t nrates;

    struct tally_dataset_row *rows;
    size_t nrows, rows_cap;
    const char **columns;

    size_t *measure_fields;         /* the schema's integer fields */
    size_t nmeasures;
    uint64_t fates[TALLY_FATE_COUNT];
    uint64_t missing_authorities;
    int role[TALLY_ROLE_COUNT];

    struct tally_period_coverage *coverage;     /* per period, in row order */
    size_t ncoverage;
};

static int set_columns(struct tally_build *b);

static char *keep(struct tally_build *b, const char *s)
{
    return s ? tally_arena_strndup(&b->arena, s, strlen(s)) : NULL;
}

struct tally_build *tally_build_new(const struct tally_schema *schema,
                                    const struct tally_registry *registry,
                                    const struct tally_build_options *opts,
                                    struct tally_diag_sink sink, struct tally_error *err)
{
    static const enum tally_role needed[] = {TALLY_ROLE_AUTHORITY_CODE, TALLY_ROLE_PERIOD_START,
                                             TALLY_ROLE_PERIOD_END, TALLY_ROLE_COHORT};
    for (size_t i = 0; i < sizeof needed / sizeof needed[0]; i++)
        if (schema->role[needed[i]] < 0) {
            tally_error_set(err, TALLY_ESCHEMA, "the schema's roles must name the authority "
                            "code, period start and end, and cohort fields to build a dataset");
            return NULL;
        }
    struct tally_build *b = calloc(1, sizeof *b);
    if (!b) {
        tally_error_set(err, TALLY_ENOMEM, "out of memory");
        return NULL;
    }
    b->schema = schema;
    b->registry = registry;
    b->opts = *opts;
    b->sink = sink;
    memcpy(b->role, schema->role, sizeof b->role);
    b->measure_fields = calloc(schema->nfields, sizeof *b->measure_fields);
    b->areas = tally_areas_load_default(err);
    if (!b->measure_fields || !b->areas) {
        bool areas_loaded = b->areas != NULL;   /* else err says why already */
        tally_build_free(b);
        if (areas_loaded)
            tally_error_set(err, TALLY_ENOMEM, "out of memory");
        return NULL;
    }
    if (!(b->settler = tally_settler_new(schema, sink, err))) {   /* err says why */
        tally_build_free(b);
        return NULL;
    }
    for (size_t i = 0; i < schema->nfields; i++)
        if (schema->fields[i].type == TALLY_TYPE_INTEGER)
            b->measure_fields[b->nmeasures++] = i;
    /* The counts a rate per 10,000 is given for (--population): those the
     * schema's ratios are made of, in schema order. */
    b->rate_measures = calloc(b->nmeasures + 1, sizeof *b->rate_measures);
    if (!b->rate_measures) {
        tally_build_free(b);
        tally_error_set(err, TALLY_ENOMEM, "out of memory");
        return NULL;
    }
    for (size_t m = 0; m < b->nmeasures; m++)
        for (size_t k = 0; k < schema->nratios; k++)
            if (schema->ratios[k].numerator == b->measure_fields[m] ||
                schema->ratios[k].denominator == b->measure_fields[m]) {
                b->rate_measures[b->nrates++] = m;
                break;
            }

    if (set_columns(b) != TALLY_OK) {
        tally_build_free(b);
        tally_error_set(err, TALLY_ENOMEM, "out of memory");
        return NULL;
    }
    return b;
}

/* "<a><b>" in the arena. */
static const char *column_name(struct tally_build *b, const char *a, const char *suffix)
{
    size_t n = strlen(a), k = strlen(suffix);
    char *s = tally_arena_alloc(&b->arena, n + k + 1);
    if (s) {
        memcpy(s, a, n);
        memcpy(s + n, suffix, k + 1);
    }
    return s;
}

/*
 * The dataset's columns: the periods, cohort and area; the counts; the
 * ratios; reporting, expected, complete; then with --previous, per count and
 * per ratio, _previous and _change; then with --population, per rate measure,
 * _per_10000. Called again when --previous or --population is loaded.
 */
static int set_columns(struct tally_build *b)
{
    const struct tally_schema *schema = b->schema;
    size_t ncols = 8 + b->nmeasures + schema->nratios + 3 +
                   (b->has_previous ? 2 * (b->nmeasures + schema->nratios) : 0) +
                   (b->population ? b->nrates : 0);
    b->columns = tally_arena_alloc(&b->arena, (ncols + 1) * sizeof *b->columns);
    if (!b->columns)
        return TALLY_ENOMEM;
    size_t c = 0;
    b->columns[c++] = schema->fields[b->role[TALLY_ROLE_PERIOD_START]].name;
    b->columns[c++] = schema->fields[b->role[TALLY_ROLE_PERIOD_END]].name;
    b->columns[c++] = schema->fields[b->role[TALLY_ROLE_COHORT]].name;
    static const char *const area_cols[] = {"geographic_level", "area_code", "area_name",
                                            "country_code", "region_code"};
    for (size_t i = 0; i < 5; i++)
        b->columns[c++] = area_cols[i];
    for (size_t i = 0; i < b->nmeasures; i++)
        b->columns[c++] = schema->fields[b->measure_fields[i]].name;
    for (size_t i = 0; i < schema->nratios; i++)
        b->columns[c++] = schema->ratios[i].name;
    b->columns[c++] = "authorities_reporting";
    b->columns[c++] = "authorities_expected";
    b->columns[c++] = "complete";
    if (b->has_previous) {
        for (size_t i = 0; i < b->nmeasures + schema->nratios; i++) {
            const char *name = i < b->nmeasures ? schema->fields[b->measure_fields[i]].name
                                                : schema->ratios[i - b->nmeasures].name;
            if (!(b->columns[c++] = column_name(b, name, "_previous")) ||
                !(b->columns[c++] = column_name(b, name, "_change")))
                return TALLY_ENOMEM;
        }
    }
    if (b->population)
        for (size_t i = 0; i < b->nrates; i++)
            if (!(b->columns[c++] = column_name(
                      b, schema->fields[b->measure_fields[b->rate_measures[i]]].name,
                      "_per_10000")))
                return TALLY_ENOMEM;
    b->columns[c] = NULL;
    return TALLY_OK;
}

void tally_build_free(struct tally_build *b)
{
    if (!b)
        return;
    tally_areas_free(b->areas);
    tally_settler_free(b->settler);
    free(b->settle_ids);
    free(b->rate_measures);
    free(b->row_prev);
    free(b->row_pop);
    tally_population_free(b->population);
    tally_arena_fini(&b->arena);
    free(b->files);
    free(b->file_fates);
    free(b->recs);
    free(b->prev);
    free(b->rows);
    free(b->measure_fields);
    free(b->coverage);
    free(b);
}

size_t tally_build_add_file(struct tally_build *b, const char *path)
{
    if (b->nfiles == b->files_cap) {
        size_t cap = b->files_cap ? b->files_cap * 2 : 16;
        const char **f = realloc(b->files, cap * sizeof *f);
        uint64_t(*ff)[TALLY_FATE_COUNT] = realloc(b->file_fates, cap * sizeof *ff);
        if (f)
            b->files = f;
        if (ff)
            b->file_fates = ff;
        if (!f || !ff)
            return SIZE_MAX;
        b->files_cap = cap;
    }
    if (tally_settler_add_file(b->settler, path, NULL) != TALLY_OK)
        return SIZE_MAX;
    b->files[b->nfiles] = path;
    memset(b->file_fates[b->nfiles], 0, sizeof b->file_fates[0]);
    return b->nfiles++;
}

int tally_build_add(struct tally_build *b, const struct tally_record *rec, const char *codes,
                    struct tally_error *err)
{
    const struct tally_schema *s = b->schema;
    if (tally_grow((void **)&b->recs, &b->recs_cap, b->nrecs, sizeof *b->recs, 256) != TALLY_OK ||
        tally_grow((void **)&b->settle_ids, &b->settle_ids_cap, b->nrecs, sizeof *b->settle_ids,
                   256) != TALLY_OK)
        return tally_error_set(err, TALLY_ENOMEM, "out of memory");
    if (tally_settler_add(b->settler, rec, &b->settle_ids[b->nrecs], err) != TALLY_OK)
        return TALLY_ENOMEM;
    struct tally_build_record *r = &b->recs[b->nrecs];
    *r = (struct tally_build_record){
        .file = b->nfiles - 1,
        .index = rec->index,
        .loc = rec->loc,
        .path = keep(b, rec->path),
        .path_kind = rec->path ? rec->path_kind : TALLY_PATH_NONE,
        .values = tally_arena_alloc(&b->arena, s->nfields * sizeof *r->values),
        .kinds = tally_arena_alloc(&b->arena, s->nfields * sizeof *r->kinds),
        .numbers = tally_arena_alloc(&b->arena, s->nfields * sizeof *r->numbers),
    };
    if (!r->values || !r->kinds || !r->numbers || (rec->path && !r->path))
        return tally_error_set(err, TALLY_ENOMEM, "out of memory");
    for (size_t i = 0; i < s->nfields; i++) {
        size_t len;
        const char *t = tally_field_output(&rec->fields[i], &len);
        r->values[i] = t ? tally_arena_strndup(&b->arena, t, len) : NULL;
        if (t && !r->values[i])
            return tally_error_set(err, TALLY_ENOMEM, "out of memory");
        r->kinds[i] = rec->fields[i].value.kind;
        r->numbers[i] = rec->fields[i].value.number;
    }
    if (rec->errors || rec->inherited) {
        r->fate = TALLY_FATE_REJECTED;
        r->codes = keep(b, codes && *codes ? codes : rec->inherited ? rec->inherited : "error");
        if (!r->codes)
            return tally_error_set(err, TALLY_ENOMEM, "out of memory");
    }
    b->nrecs++;
    return TALLY_OK;
}

/* ---- 1: fates (core/settle.c) ------------------------------------------------- */

static void record_diag(struct tally_build *b, struct tally_build_record *r,
                        enum tally_severity sev, const char *code, const char *fmt, ...)
    TALLY_PRINTF(5, 6);

static void record_diag(struct tally_build *b, struct tally_build_record *r,
                        enum tally_severity sev, const char *code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    tally_emit_atv(&b->sink, NULL, b->files[r->file], &r->loc, r->index, NULL, NULL,
                   r->path_kind, r->path, sev, code, fmt, ap);
    va_end(ap);
}

/* Add a text (NULL: empty) as one piece to a hash (core/hash.h). */
static void hash_text(struct tally_hasher *hs, const char *text)
{
    tally_hasher_add(hs, text ? text : "", text ? strlen(text) : 0);
}

/*
 * Settle every group of records that share a key (core/settle.c, the same
 * judgement validate makes), then take each record's fate from it.
 */
static int settle_fates(struct tally_build *b, struct tally_error *err)
{
    int rc = tally_settler_finish(b->settler, err);
    if (rc != TALLY_OK)
        return rc;
    for (size_t i = 0; i < b->nrecs; i++) {
        struct tally_build_record *r = &b->recs[i];
        bool conflict;
        enum tally_fate fate = tally_settler_fate(b->settler, b->settle_ids[i], &conflict);
        if (r->fate != TALLY_FATE_REJECTED) {   /* rejected at once keeps its codes */
            r->fate = fate;
            r->codes = fate == TALLY_FATE_DUPLICATE ? "duplicate"
                       : fate == TALLY_FATE_SUPERSEDED ? "superseded"
                       : conflict ? "conflict" : NULL;
        }
        b->fates[r->fate]++;
        b->file_fates[r->file][r->fate]++;
    }
    return TALLY_OK;
}

/* ---- periods ---------------------------------------------------------------------- */

struct period {
    const char *start, *end;    /* texts */
    int64_t end_day;
};

static int cmp_period(const void *a, const void *b)
{
    const struct period *x = a, *y = b;
    int d = strcmp(x->start, y->start);
    return d ? d : strcmp(x->end, y->end);
}

static uint64_t period_hash(const struct period *q)
{
    struct tally_hasher hs;
    tally_hasher_init(&hs, 0);
    hash_text(&hs, q->start);
    hash_text(&hs, q->end);
    return tally_hasher_finish(&hs).lo;
}

/* The periods found so far (p, refs index + 1) and the one sought. */
struct period_set {
    const struct period *p;
    const struct period *sought;
};

static bool same_period(const void *ctx, size_t ref)
{
    const struct period_set *ps = ctx;
    return cmp_period(&ps->p[ref - 1], ps->sought) == 0;
}

static uint64_t rehash_period(const void *ctx, size_t ref)
{
    return period_hash(&((const struct period_set *)ctx)->p[ref - 1]);
}

/* The distinct periods of accepted records, sorted. Caller frees. The
 * records' periods are told apart with a hash table (core/hash.h); only the
 * distinct ones (a few per year) are sorted. */
static struct period *periods_of(const struct tally_build *b, size_t *n)
{
    size_t ps = (size_t)b->role[TALLY_ROLE_PERIOD_START], pe = (size_t)b->role[TALLY_ROLE_PERIOD_END];
    size_t u = 0;
    struct period *p = malloc((b->nrecs ? b->nrecs : 1) * sizeof *p);
    struct tally_index seen = {0};
    if (!p)
        return NULL;
    for (size_t i = 0; i < b->nrecs; i++) {
        const struct tally_build_record *r = &b->recs[i];
        if (r->fate != TALLY_FATE_ACCEPTED)
            continue;
        struct period q = {r->values[ps], r->values[pe], r->numbers[pe]};
        struct period_set set = {p, &q};
        if (tally_index_reserve(&seen, rehash_period, &set) != TALLY_OK) {
            free(p);
            tally_index_free(&seen);
            return NULL;
        }
        size_t at = tally_index_slot(&seen, period_hash(&q), same_period, &set);
        if (!seen.slots[at]) {
            p[u] = q;
            tally_index_put(&seen, at, ++u);
        }
    }
    tally_index_free(&seen);
    if (u)
        qsort(p, u, sizeof *p, cmp_period);
    *n = u;
    return p;
}

/* ---- 3: change outliers ------------------------------------------------------------- */

static int cmp_area_cohort(const struct previous_row *p, const char *area, const char *cohort)
{
    int d = strcmp(p->area_code, area);
    return d ? d : strcmp(p->cohort, cohort);
}

static int cmp_previous(const void *pa, const void *pb)
{
    const struct previous_row *a = pa, *b = pb;
    int d = cmp_area_cohort(a, b->area_code, b->cohort);
    return d ? d : (a->period_end > b->period_end) - (a->period_end < b->period_end);
}

static void outliers(struct tally_build *b)
{
    size_t code = (size_t)b->role[TALLY_ROLE_AUTHORITY_CODE];
    size_t cohort = (size_t)b->role[TALLY_ROLE_COHORT];
    size_t pe = (size_t)b->role[TALLY_ROLE_PERIOD_END];
    for (size_t i = 0; i < b->nrecs; i++) {
        struct tally_build_record *r = &b->recs[i];
        if (r->fate != TALLY_FATE_ACCEPTED)
            continue;
        /* The latest earlier (or same) period of this authority and cohort:
         * the previous rows are sorted by area, cohort and period end. */
        size_t from = 0, to = b->nprev;
        while (from < to) {
            size_t mid = from + (to - from) / 2;
            if (cmp_area_cohort(&b->prev[mid], r->values[code], r->values[cohort]) < 0)
                from = mid + 1;
            else
                to = mid;
        }
        const struct previous_row *best = NULL;
        for (size_t k = from; k < b->nprev &&
                            cmp_area_cohort(&b->prev[k], r->values[code], r->values[cohort]) == 0 &&
                            b->prev[k].period_end <= r->numbers[pe]; k++)
            if (b->prev[k].is_authority)
                best = &b->prev[k];
        if (!best)
            continue;
        for (size_t m = 0; m < b->nmeasures; m++) {
            size_t f = b->measure_fields[m];
            const char *old = best->measures[f];
            int64_t o, n = r->numbers[f];
            char sym;
            if (r->kinds[f] != TALLY_NUMBER || !old ||
                tally_parse_count(old, strlen(old), NULL, &o, &sym) != TALLY_COUNT_OK)
                continue;
            int64_t hi = n > o ? n : o, lo = n > o ? o : n;
            bool big = lo == 0 ? hi > 0 : (double)hi / (double)lo > b->opts.outlier_factor;
            if (!big || hi - lo < b->opts.outlier_min)
                continue;
            char day[11];
            tally_format_date(best->period_end, day);
            record_diag(b, r, TALLY_SEV_WARNING, "change-outlier", "%s of %s for cohort %s "
                        "changed from %lld (period ending %s) to %lld, more than %g times",
                        b->schema->fields[f].name, r->values[code], r->values[cohort],
                        (long long)o, day, (long long)n, b->opts.outlier_factor);
        }
    }
}

/* ---- the previous dataset --------------------------------------------------------- */

struct prev_loader {
    struct tally_build *b;
    int *colmap;            /* column → field index, or -1; -2 area_code, -3 level, -4 cohort,
                               -5 period_end, -6 complete */
    size_t ncols;
    const char *problem;
};

/* The header: which column is which. */
static int prev_header(struct prev_loader *pl, const struct tally_csvtext_row *r)
{
    struct tally_build *b = pl->b;
    if (!(pl->colmap = malloc((r->n ? r->n : 1) * sizeof *pl->colmap)))
        return TALLY_ENOMEM;
    pl->ncols = r->n;
    for (size_t c = 0; c < r->n; c++) {
        const char *s = r->fields[c];
        size_t len = r->lens[c];
        int v = -1;
        if (len == 9 && memcmp(s, "area_code", 9) == 0)
            v = -2;
        else if (len == 16 && memcmp(s, "geographic_level", 16) == 0)
            v = -3;
        else if (strlen(b->columns[2]) == len && memcmp(s, b->columns[2], len) == 0)
            v = -4;
        else if (strlen(b->columns[1]) == len && memcmp(s, b->columns[1], len) == 0)
            v = -5;
        else if (len == 8 && memcmp(s, "complete", 8) == 0)
            v = -6;
        else {
            int f = tally_schema_field_index(b->schema, s, len);
            if (f >= 0 && b->schema->fields[f].type == TALLY_TYPE_INTEGER)
                v = f;
            for (size_t k = 0; v == -1 && k < b->schema->nratios; k++)
                if (strlen(b->schema->ratios[k].name) == len &&
                    memcmp(s, b->schema->ratios[k].name, len) == 0)
                    v = (int)(b->schema->nfields + k);
        }
        pl->colmap[c] = v;
    }
    return TALLY_OK;
}

/* One row of the previous dataset.csv (core/csvtext.h): an authority's row is kept. */
static int prev_row(void *ctx, const struct tally_csvtext_row *r)
{
    struct prev_loader *pl = ctx;
    struct tally_build *b = pl->b;
    if (r->index == 0)
        return prev_header(pl, r);
    size_t nf = b->schema->nfields, nr = b->schema->nratios + 1;
    char **m = tally_arena_alloc(&b->arena, nf * sizeof *m);
    char **q = tally_arena_alloc(&b->arena, nr * sizeof *q);
    if (!m || !q)
        return TALLY_ENOMEM;
    memset(m, 0, nf * sizeof *m);
    memset(q, 0, nr * sizeof *q);
    struct previous_row cur = {.measures = m, .ratios = q};
    for (size_t c = 0; c < r->n && c < pl->ncols; c++) {
        const char *s = r->fields[c];
        size_t len = r->lens[c];
        int v = pl->colmap[c];
        if (v == -1)
            continue;
        if (v == -3) {
            cur.is_authority = len == 9 && memcmp(s, "authority", 9) == 0;
            continue;
        }
        if (v == -6) {
            cur.complete = len == 4 && memcmp(s, "true", 4) == 0;
            continue;
        }
        if (v == -5) {
            if (!tally_parse_date(s, len, &cur.period_end))
                pl->problem = "a period end that is not a date";
            continue;
        }
        char *copy = tally_arena_strndup(&b->arena, s, len);
        if (!copy)
            return TALLY_ENOMEM;
        if (v == -2)
            cur.area_code = copy;
        else if (v == -4)
            cur.cohort = copy;
        else if ((size_t)v >= nf)
            cur.ratios[(size_t)v - nf] = copy;
        else
            cur.measures[v] = copy;
    }
    if (cur.area_code && cur.cohort) {
        if (tally_grow((void **)&b->prev, &b->prev_cap, b->nprev, sizeof *b->prev, 256) != TALLY_OK)
            return TALLY_ENOMEM;
        b->prev[b->nprev++] = cur;
    }
    return TALLY_OK;
}

int tally_build_load_previous(struct tally_build *b, const char *csv, size_t len,
                              struct tally_error *err)
{
    struct prev_loader pl = {.b = b};
    int rc = tally_csvtext_rows(csv, len, prev_row, &pl, err);
    bool has[4] = {false};
    for (size_t i = 0; i < pl.ncols; i++)
        if (pl.colmap[i] <= -2 && pl.colmap[i] >= -5)
            has[-pl.colmap[i] - 2] = true;
    free(pl.colmap);
    if (rc == TALLY_ENOMEM)
        return tally_error_set(err, TALLY_ENOMEM, "out of memory");
    if (rc != TALLY_OK) {   /* not CSV: csvtext said where */
        char msg[sizeof err->message] = "";
        if (err)
            memcpy(msg, err->message, sizeof msg);
        return tally_error_set(err, TALLY_EINVAL, "--previous: not valid CSV: %s", msg);
    }
    if (!has[0] || !has[1] || !has[2] || !has[3])
        return tally_error_set(err, TALLY_EINVAL, "--previous: not a dataset.csv (it needs the "
                               "columns geographic_level, area_code, %s and %s)", b->columns[2],
                               b->columns[1]);
    if (pl.problem)
        return tally_error_set(err, TALLY_EINVAL, "--previous: %s", pl.problem);
    if (b->nprev)
        qsort(b->prev, b->nprev, sizeof *b->prev, cmp_previous);
    b->has_previous = true;
    return set_columns(b) == TALLY_OK ? TALLY_OK
                                      : tally_error_set(err, TALLY_ENOMEM, "out of memory");
}

size_t tally_build_previous_unprotected(const struct tally_build *b, char *example, size_t size)
{
    const struct tally_disclosure_policy *pol = &b->schema->disclosure;
    size_t n = 0;
    for (size_t i = 0; i < b->nprev; i++)
        for (size_t m = 0; m < b->nmeasures; m++) {
            size_t f = b->measure_fields[m];
            const char *v = b->prev[i].measures[f];
            int64_t x;
            char sym;
            if (!pol->protect || !pol->protect[f] || !v ||
                tally_parse_count(v, strlen(v), NULL, &x, &sym) != TALLY_COUNT_OK ||
                x < pol->minimum || x > pol->maximum)
                continue;
            if (n++ == 0 && size)
                snprintf(example, size, "%s of %s for cohort %s is %s", b->schema->fields[f].name,
                         b->prev[i].area_code, b->prev[i].cohort, v);
        }
    return n;
}

/* ---- --population (core/population.c) ------------------------------------------------ */

int tally_build_load_population(struct tally_build *b, const char *path, const char *text,
                                size_t len, struct tally_error *err)
{
    struct tally_population *pop;
    int rc = tally_population_load(path, text, len, b->registry, b->areas, &b->sink, &pop, err);
    if (rc != TALLY_OK)
        return rc;
    tally_population_free(b->population);
    b->population = pop;
    return set_columns(b) == TALLY_OK ? TALLY_OK
                                      : tally_error_set(err, TALLY_ENOMEM, "out of memory");
}

/* ---- 2 and 4: coverage and aggregation ------------------------------------------- */

struct sum {
    int64_t total;
    bool numeric;           /* some contribution was a number */
    bool gap;               /* some contribution was a symbol or missing */
    unsigned numbers, symbols;  /* contributions that were numbers, symbols (or missing) */
};

/* What is added up for one row: per schema field, and per ratio whether some
 * authority gave a number for one of its counts and a symbol for the other. */
struct acc {
    struct sum *sums;       /* per schema field */
    bool *mixed;            /* per schema ratio */
};

/* The areas above authorities, from the registry: regions, nations, the UK. */
struct area {
    const char *code;
    const char *level;
    unsigned expected, reporting;   /* for the period and cohort at hand */
    struct acc acc;
};

static void acc_clear(const struct tally_build *b, struct acc *a)
{
    memset(a->sums, 0, b->schema->nfields * sizeof *a->sums);
    memset(a->mixed, 0, (b->schema->nratios + 1) * sizeof *a->mixed);
}

static bool acc_alloc(struct tally_build *b, struct acc *a)
{
    a->sums = tally_arena_alloc(&b->arena, b->schema->nfields * sizeof *a->sums);
    a->mixed = tally_arena_alloc(&b->arena, (b->schema->nratios + 1) * sizeof *a->mixed);
    return a->sums && a->mixed;
}

static char *format_count(struct tally_build *b, const struct sum *s)
{
    char buf[32];
    if (!s->numeric)
        return keep(b, "x");
    snprintf(buf, sizeof buf, "%lld", (long long)s->total);
    return keep(b, buf);
}

bool tally_format_percent(int64_t num, int64_t den, char *buf, size_t size)
{
    return tally_format_rate(num, den, 100, buf, size);
}

bool tally_format_rate(int64_t num, int64_t den, int64_t per, char *buf, size_t size)
{
    if (num < 0 || den <= 0 || per <= 0 || per > 1000000 || size < 32)
        return false;
    /* floor(10 per num / den + 1/2), exactly: tenths, half up */
    __int128 q = ((__int128)20 * per * num + den) / (2 * (__int128)den);
    if (q / 10 > INT64_MAX)
        return false;
    snprintf(buf, size, "%lld.%lld", (long long)(q / 10), (long long)(q % 10));
    return true;
}

/* A decimal with one place ("35.7", "0.0"), in tenths; false for anything else. */
static bool parse_tenths(const char *s, int64_t *tenths)
{
    size_t n = strlen(s), digits = strspn(s, "0123456789");
    if (digits == 0 || digits > 15 || n != digits + 2 || s[digits] != '.' ||
        s[digits + 1] < '0' || s[digits + 1] > '9')
        return false;
    int64_t v = 0;
    for (size_t i = 0; i < digits; i++)
        v = v * 10 + (s[i] - '0');
    *tenths = v * 10 + (s[digits + 1] - '0');
    return true;
}

bool tally_format_change(const char *current, const char *previous, bool decimal,
                         const char *suppressed, char *buf, size_t size)
{
    int64_t a, b;
    char sym;
    bool numbers = decimal ? parse_tenths(current, &a) && parse_tenths(previous, &b)
                           : tally_parse_count(current, strlen(current), NULL, &a, &sym) ==
                                 TALLY_COUNT_OK &&
                             tally_parse_count(previous, strlen(previous), NULL, &b, &sym) ==
                                 TALLY_COUNT_OK;
    if (size < 32)
        return false;
    if (!numbers) {
        bool hidden = suppressed && *suppressed &&
                      (strcmp(current, suppressed) == 0 || strcmp(previous, suppressed) == 0);
        snprintf(buf, size, "%s", hidden ? suppressed : decimal ? "" : "x");
        return true;
    }
    int64_t d = a - b;     /* both in 0..INT64_MAX: no overflow */
    if (!decimal)
        snprintf(buf, size, "%lld", (long long)d);
    else
        snprintf(buf, size, "%s%lld.%lld", d < 0 ? "-" : "", (long long)(d < 0 ? -d : d) / 10,
                 (long long)(d < 0 ? -d : d) % 10);
    return true;
}

/*
 * 100 × num / den to one decimal, rounded half up; "" when it cannot be said:
 * no authority gave numbers for both; some authority gave a number for one
 * count and a symbol for the other (mixed: the two totals would stand on
 * different authorities); or den is 0. Authorities that gave symbols for both
 * counts stand behind neither total, so they do not stop the ratio: the
 * ratio is over the authorities that gave numbers (doc/dataset-format.md §1).
 */
static char *format_ratio(struct tally_build *b, const struct sum *num, const struct sum *den,
                          bool mixed)
{
    char buf[48];
    if (!num->numeric || !den->numeric || mixed ||
        !tally_format_percent(num->total, den->total, buf, sizeof buf))
        return keep(b, "");
    return keep(b, buf);
}

static struct tally_dataset_row *new_row(struct tally_build *b)
{
    if (tally_grow((void **)&b->rows, &b->rows_cap, b->nrows, sizeof *b->rows, 256) != TALLY_OK)
        return NULL;
    struct tally_dataset_row *row = &b->rows[b->nrows];
    size_t nm = b->nmeasures + 1, nr = b->schema->nratios + 1;
    *row = (struct tally_dataset_row){0};
    row->measures = tally_arena_alloc(&b->arena, nm * sizeof *row->measures);
    row->ratios = tally_arena_alloc(&b->arena, nr * sizeof *row->ratios);
    row->numbers = tally_arena_alloc(&b->arena, nm * sizeof *row->numbers);
    row->symbols = tally_arena_alloc(&b->arena, nm * sizeof *row->symbols);
    row->sdc = tally_arena_alloc(&b->arena, nm);
    row->ratio_sdc = tally_arena_alloc(&b->arena, nr);
    if (!row->measures || !row->ratios || !row->numbers || !row->symbols || !row->sdc ||
        !row->ratio_sdc)
        return NULL;
    memset(row->sdc, 0, nm);
    memset(row->ratio_sdc, 0, nr);
    b->nrows++;
    return row;
}

static void add_to(struct acc *a, const struct tally_build *b, const struct tally_build_record *r)
{
    for (size_t m = 0; m < b->nmeasures; m++) {
        size_t f = b->measure_fields[m];
        struct sum *s = &a->sums[f];
        if (r->kinds[f] == TALLY_NUMBER) {
            s->total += r->numbers[f];
            s->numeric = true;
            s->numbers++;
        } else {
            s->gap = true;
            s->symbols++;
        }
    }
    for (size_t k = 0; k < b->schema->nratios; k++) {
        const struct tally_ratio *q = &b->schema->ratios[k];
        if ((r->kinds[q->numerator] == TALLY_NUMBER) != (r->kinds[q->denominator] == TALLY_NUMBER))
            a->mixed[k] = true;
    }
}

static bool has_gap(const struct tally_build *b, const struct sum *sums)
{
    for (size_t m = 0; m < b->nmeasures; m++)
        if (sums[b->measure_fields[m]].gap)
            return true;
    return false;
}

/* Fill a row's counts (aggregated, unless `own` gives an authority's texts) and ratios. */
static bool fill_counts(struct tally_build *b, struct tally_dataset_row *row,
                        const struct acc *a, const struct tally_build_record *own)
{
    for (size_t m = 0; m < b->nmeasures; m++) {
        size_t f = b->measure_fields[m];
        row->measures[m] = own ? (char *)(own->values[f] ? own->values[f] : "")
                               : format_count(b, &a->sums[f]);
        row->numbers[m] = a->sums[f].numbers;
        row->symbols[m] = a->sums[f].symbols;
        if (!row->measures[m])
            return false;
    }
    for (size_t k = 0; k < b->schema->nratios; k++) {
        const struct tally_ratio *r = &b->schema->ratios[k];
        if (!(row->ratios[k] = format_ratio(b, &a->sums[r->numerator], &a->sums[r->denominator],
                                            a->mixed[k])))
            return false;
    }
    return true;
}

static const char *const levels[] = {"uk", "country", "region", "authority"};

static int level_rank(const char *level)
{
    for (int i = 0; i < 4; i++)
        if (strcmp(level, levels[i]) == 0)
            return i;
    return 4;
}

static int cmp_rows(const void *pa, const void *pb)
{
    const struct tally_dataset_row *x = pa, *y = pb;
    int d = strcmp(x->period_start, y->period_start);
    if (!d)
        d = strcmp(x->period_end, y->period_end);
    if (!d)
        d = strcmp(x->cohort, y->cohort);
    if (!d)
        d = level_rank(x->level) - level_rank(y->level);
    if (!d)
        d = strcmp(x->area_code, y->area_code);
    return d;
}

static struct area *find_area(struct area *areas, size_t n, const char *code)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(areas[i].code, code) == 0)
            return &areas[i];
    return NULL;
}

/* Regions, nations and the UK, from the registry's authorities. */
static struct area *list_areas(struct tally_build *b, size_t *n)
{
    size_t nauth = tally_registry_count(b->registry);
    struct area *areas = calloc(2 * nauth + 1, sizeof *areas);
    if (!areas)
        return NULL;
    size_t k = 0;
    areas[k++] = (struct area){.code = TALLY_UK_CODE, .level = "uk"};
    for (size_t i = 0; i < nauth; i++) {
        const struct tally_authority *a = tally_registry_at(b->registry, i);
        if (!find_area(areas, k, a->country_code))
            areas[k++] = (struct area){.code = a->country_code, .level = "country"};
        if (*a->region_code && !find_area(areas, k, a->region_code))
            areas[k++] = (struct area){.code = a->region_code, .level = "region"};
    }
    for (size_t i = 0; i < k; i++)
        if (!acc_alloc(b, &areas[i].acc)) {
            free(areas);
            return NULL;
        }
    *n = k;
    return areas;
}

/* The areas an authority counts towards: its region (England), nation, the UK. */
static size_t areas_of(struct area *areas, size_t n, const struct tally_authority *a,
                       struct area *out[3])
{
    size_t k = 0;
    if (*a->region_code)
        out[k++] = find_area(areas, n, a->region_code);
    out[k++] = find_area(areas, n, a->country_code);
    out[k++] = &areas[0];
    return k;
}

/* One period's facts about each registry authority, per cohort. */
struct period_view {
    const struct period *p;
    size_t nauth, ncohorts;
    bool *in_force;         /* [auth] */
    size_t *accepted;       /* [cohort * nauth + auth]: record index + 1, or 0 */
    bool *not_accepted;     /* [cohort * nauth + auth]: it sent a record that was not accepted */
    unsigned *cohorts_sent; /* [auth]: cohorts with an accepted record */
    const size_t *others;   /* accepted records without a registry entry, for this period */
    size_t nothers;
};

/* An authority's row in one cohort: its accepted record's values, or x. */
static int authority_row(struct tally_build *b, const struct period_view *v, const char *cohort,
                         const struct tally_authority *auth, const struct tally_build_record *r,
                         enum tally_row_source source, struct acc *own)
{
    size_t code = (size_t)b->role[TALLY_ROLE_AUTHORITY_CODE];
    struct tally_dataset_row *row = new_row(b);
    if (!row)
        return TALLY_ENOMEM;
    acc_clear(b, own);
    if (r)
        add_to(own, b, r);
    row->period_start = v->p->start;
    row->period_end = v->p->end;
    row->cohort = cohort;
    row->level = "authority";
    row->area_code = auth ? auth->code : r->values[code];
    row->area_name = auth ? auth->name : r->values[code];
    row->country_code = auth ? auth->country_code : "";
    row->region_code = auth ? auth->region_code : "";
    row->reporting = r ? 1 : 0;
    row->expected = 1;
    row->source = source;
    row->complete = r && !has_gap(b, own->sums);
    if (r)
        return fill_counts(b, row, own, r) ? TALLY_OK : TALLY_ENOMEM;
    for (size_t m = 0; m < b->nmeasures; m++) {
        row->measures[m] = "x";
        row->numbers[m] = row->symbols[m] = 0;
    }
    for (size_t k = 0; k < b->schema->nratios; k++)
        row->ratios[k] = "";
    return TALLY_OK;
}

/* Rows for one period and cohort (index c): every authority in force, then
 * every area with authorities expected (areas[].expected set by the caller). */
static int rows_for(struct tally_build *b, const struct period_view *v, size_t c,
                    const char *cohort, struct area *areas, size_t nareas)
{
    size_t ch = (size_t)b->role[TALLY_ROLE_COHORT];
    for (size_t i = 0; i < nareas; i++) {
        areas[i].reporting = 0;
        acc_clear(b, &areas[i].acc);
    }
    struct acc own;
    if (!acc_alloc(b, &own))
        return TALLY_ENOMEM;
    int rc = TALLY_OK;
    for (size_t a = 0; a < v->nauth && rc == TALLY_OK; a++) {
        if (!v->in_force[a])
            continue;
        const struct tally_authority *auth = tally_registry_at(b->registry, a);
        size_t at = v->accepted[c * v->nauth + a];
        const struct tally_build_record *r = at ? &b->recs[at - 1] : NULL;
        enum tally_row_source source = r ? TALLY_ROW_REPORTED
                                       : v->not_accepted[c * v->nauth + a] ? TALLY_ROW_REJECTED
                                       : TALLY_ROW_NOTHING;
        rc = authority_row(b, v, cohort, auth, r, source, &own);
        if (rc == TALLY_OK) {
            b->rows[b->nrows - 1].partial = v->cohorts_sent[a] > 0 &&
                                            v->cohorts_sent[a] < v->ncohorts;
            struct area *in[3];
            size_t n = r ? areas_of(areas, nareas, auth, in) : 0;
            for (size_t k = 0; k < n; k++) {
                in[k]->reporting++;
                add_to(&in[k]->acc, b, r);
            }
        }
    }
    /* Accepted records of authorities the registry does not know (a build
     * cannot make them, the validator rejects unknown codes; kept for safety):
     * their own rows, in no area. */
    for (size_t i = 0; i < v->nothers && rc == TALLY_OK; i++) {
        const struct tally_build_record *r = &b->recs[v->others[i]];
        if (strcmp(r->values[ch], cohort) == 0)
            rc = authority_row(b, v, cohort, NULL, r, TALLY_ROW_REPORTED, &own);
    }
    for (size_t i = 0; i < nareas && rc == TALLY_OK; i++) {
        struct area *a = &areas[i];
        if (a->expected == 0)
            continue;
        struct tally_dataset_row *row = new_row(b);
        if (!row)
            return TALLY_ENOMEM;
        bool region = strcmp(a->level, "region") == 0, country = strcmp(a->level, "country") == 0;
        const char *name = tally_area_name(b->areas, a->code);
        row->period_start = v->p->start;
        row->period_end = v->p->end;
        row->cohort = cohort;
        row->level = a->level;
        row->area_code = a->code;
        row->area_name = name ? name : a->code;
        /* A region's nation: England's, the only nation with regions. */
        row->country_code = country ? a->code : region ? "E92000001" : "";
        row->region_code = region ? a->code : "";
        row->reporting = a->reporting;
        row->expected = a->expected;
        row->source = TALLY_ROW_REPORTED;
        row->complete = a->reporting == a->expected && !has_gap(b, a->acc.sums);
        if (!fill_counts(b, row, &a->acc, NULL))
            rc = TALLY_ENOMEM;
    }
    return rc;
}

/* Records (of fate `accepted` or not) bucketed by period, a counting sort:
 * bucket[start[p] .. start[p + 1]) are period p's, in record order. */
static int bucket_by_period(const struct tally_build *b, const size_t *rec_period, size_t np,
                            bool accepted, size_t **start_out, size_t **bucket_out)
{
    size_t *start = calloc(np + 2, sizeof *start);
    size_t *bucket = malloc((b->nrecs + 1) * sizeof *bucket);
    if (!start || !bucket) {
        free(start);
        free(bucket);
        return TALLY_ENOMEM;
    }
    for (size_t i = 0; i < b->nrecs; i++)
        if ((b->recs[i].fate == TALLY_FATE_ACCEPTED) == accepted && rec_period[i] < np)
            start[rec_period[i] + 1]++;
    for (size_t p = 0; p < np; p++)
        start[p + 1] += start[p];
    for (size_t i = 0, *fill = start; i < b->nrecs; i++)
        if ((b->recs[i].fate == TALLY_FATE_ACCEPTED) == accepted && rec_period[i] < np)
            bucket[fill[rec_period[i]]++] = i;
    /* fill[] advanced each start to the next period's: shift back. */
    for (size_t p = np; p > 0; p--)
        start[p] = start[p - 1];
    start[0] = 0;
    *start_out = start;
    *bucket_out = bucket;
    return TALLY_OK;
}

/*
 * Coverage and aggregation, period by period: which authorities were
 * expected (in force on the period's last day), which sent nothing, and the
 * rows for every cohort.
 */
static int coverage_and_rows(struct tally_build *b, const struct period *periods, size_t np)
{
    const struct tally_schema *s = b->schema;
    size_t code = (size_t)b->role[TALLY_ROLE_AUTHORITY_CODE];
    size_t ch = (size_t)b->role[TALLY_ROLE_COHORT];
    const struct tally_field_def *cdef = &s->fields[ch];
    size_t nauth = tally_registry_count(b->registry);
    size_t nareas = 0;
    struct area *areas = list_areas(b, &nareas);
    const struct tally_authority **recs_auth = calloc(b->nrecs + 1, sizeof *recs_auth);
    size_t *recs_period = calloc(b->nrecs + 1, sizeof *recs_period);
    size_t *recs_cohort = calloc(b->nrecs + 1, sizeof *recs_cohort);
    const char **cohorts = calloc(cdef->n_enum + b->nrecs + 1, sizeof *cohorts);
    size_t *others = malloc((b->nrecs + 1) * sizeof *others);
    b->coverage = calloc(np + 1, sizeof *b->coverage);
    int rc = areas && recs_auth && recs_period && recs_cohort && cohorts && others && b->coverage
                 ? TALLY_OK : TALLY_ENOMEM;

    size_t ncohorts = 0;
    for (size_t i = 0; rc == TALLY_OK && i < cdef->n_enum; i++)
        cohorts[ncohorts++] = cdef->enum_values[i];
    /* Every record's authority, period and cohort: accepted ones make the rows;
     * the others tell "rejected" from "sent nothing". */
    for (size_t i = 0; rc == TALLY_OK && i < b->nrecs; i++) {
        const struct tally_build_record *r = &b->recs[i];
        const char *c = r->values[code], *st = r->values[b->role[TALLY_ROLE_PERIOD_START]],
                   *en = r->values[b->role[TALLY_ROLE_PERIOD_END]], *co = r->values[ch];
        recs_period[i] = recs_cohort[i] = SIZE_MAX;
        if (r->fate == TALLY_FATE_DUPLICATE || !c || !st || !en || !co)
            continue;
        recs_auth[i] = tally_registry_find(b->registry, c, strlen(c));
        struct period key = {st, en, 0};
        const struct period *found = bsearch(&key, periods, np, sizeof *periods, cmp_period);
        recs_period[i] = found ? (size_t)(found - periods) : SIZE_MAX;
        size_t k = 0;
        while (k < ncohorts && strcmp(cohorts[k], co) != 0)
            k++;
        if (k == ncohorts && cdef->n_enum == 0 && r->fate == TALLY_FATE_ACCEPTED)
            cohorts[ncohorts++] = co;
        recs_cohort[i] = k < ncohorts ? k : SIZE_MAX;
    }
    size_t *start = NULL, *bucket = NULL, *nstart = NULL, *nbucket = NULL;
    if (rc == TALLY_OK)
        rc = bucket_by_period(b, recs_period, np, true, &start, &bucket);
    if (rc == TALLY_OK)
        rc = bucket_by_period(b, recs_period, np, false, &nstart, &nbucket);
    struct period_view v = {.nauth = nauth, .ncohorts = ncohorts, .others = others};
    v.in_force = calloc(nauth + 1, sizeof *v.in_force);
    v.accepted = calloc(ncohorts * nauth + 1, sizeof *v.accepted);
    v.not_accepted = calloc(ncohorts * nauth + 1, sizeof *v.not_accepted);
    v.cohorts_sent = calloc(nauth + 1, sizeof *v.cohorts_sent);
    if (rc == TALLY_OK && (!v.in_force || !v.accepted || !v.not_accepted || !v.cohorts_sent))
        rc = TALLY_ENOMEM;
    const struct tally_authority *first = nauth ? tally_registry_at(b->registry, 0) : NULL;
    for (size_t p = 0; rc == TALLY_OK && p < np; p++) {
        size_t first_row = b->nrows;
        v.p = &periods[p];
        memset(v.accepted, 0, ncohorts * nauth * sizeof *v.accepted);
        memset(v.not_accepted, 0, ncohorts * nauth * sizeof *v.not_accepted);
        memset(v.cohorts_sent, 0, nauth * sizeof *v.cohorts_sent);
        v.nothers = 0;
        for (size_t k = start[p]; k < start[p + 1]; k++) {
            size_t i = bucket[k];
            if (!recs_auth[i]) {
                others[v.nothers++] = i;
                continue;
            }
            size_t a = (size_t)(recs_auth[i] - first);
            if (recs_cohort[i] < ncohorts && !v.accepted[recs_cohort[i] * nauth + a]) {
                v.accepted[recs_cohort[i] * nauth + a] = i + 1;
                v.cohorts_sent[a]++;
            }
        }
        for (size_t k = nstart[p]; k < nstart[p + 1]; k++) {
            size_t i = nbucket[k];
            if (recs_auth[i] && recs_cohort[i] < ncohorts)
                v.not_accepted[recs_cohort[i] * nauth + (size_t)(recs_auth[i] - first)] = true;
        }
        for (size_t i = 0; i < nareas; i++)
            areas[i].expected = 0;
        struct tally_period_coverage *cov = &b->coverage[b->ncoverage++];
        *cov = (struct tally_period_coverage){periods[p].start, periods[p].end, 0, 0, false};
        for (size_t a = 0; a < nauth; a++) {
            const struct tally_authority *auth = tally_registry_at(b->registry, a);
            v.in_force[a] = tally_authority_in_force(auth, periods[p].end_day);
            if (!v.in_force[a])
                continue;
            struct area *in[3];
            size_t n = areas_of(areas, nareas, auth, in);
            for (size_t k = 0; k < n; k++)
                in[k]->expected++;
            cov->expected++;
            if (v.cohorts_sent[a]) {
                cov->reporting++;
                continue;
            }
            b->missing_authorities++;
            tally_emit_at(&b->sink, NULL, NULL, NULL, 0, NULL, NULL, TALLY_PATH_NONE, NULL,
                          TALLY_SEV_INFO, "coverage", "no accepted return from %s (%s) for %s "
                          "to %s", auth->code, auth->name, periods[p].start, periods[p].end);
        }
        /* Under half the authorities: every report warns that this period's
         * totals stand on few of them. */
        cov->low = (uint64_t)cov->reporting * 100 < (uint64_t)cov->expected * TALLY_COVERAGE_LOW_PERCENT;
        if (cov->low)
            tally_emit_at(&b->sink, NULL, NULL, NULL, 0, NULL, NULL, TALLY_PATH_NONE, NULL,
                          TALLY_SEV_WARNING, TALLY_CODE_COVERAGE_LOW, "only %u of the %u "
                          "authorities in force on %s sent an accepted return for %s to %s "
                          "(under %d%%): its national, nation and region figures stand on few "
                          "authorities", cov->reporting, cov->expected, periods[p].end,
                          periods[p].start, periods[p].end, TALLY_COVERAGE_LOW_PERCENT);
        for (size_t c = 0; rc == TALLY_OK && c < ncohorts; c++)
            rc = rows_for(b, &v, c, cohorts[c], areas, nareas);
        /* Rows come period by period, in period order: sorting each period's
         * is sorting them all (cmp_rows orders by period first). */
        if (rc == TALLY_OK && b->nrows - first_row > 1)
            qsort(b->rows + first_row, b->nrows - first_row, sizeof *b->rows, cmp_rows);
    }
    free(start);
    free(bucket);
    free(nstart);
    free(nbucket);
    free(v.in_force);
    free(v.accepted);
    free(v.not_accepted);
    free(v.cohorts_sent);
    free(areas);
    free(recs_auth);
    free(recs_period);
    free(recs_cohort);
    free(cohorts);
    free(others);
    return rc;
}

/* ---- 5: the previous period and the population of every row ----------------------- */

/* The previous dataset's row for an area and cohort: its latest period that
 * ended before `start` (the previous rows are sorted by area, cohort, end). */
static const struct previous_row *previous_of(const struct tally_build *b, const char *area,
                                              const char *cohort, int64_t start)
{
    size_t from = 0, to = b->nprev;
    while (from < to) {
        size_t mid = from + (to - from) / 2;
        if (cmp_area_cohort(&b->prev[mid], area, cohort) < 0)
            from = mid + 1;
        else
            to = mid;
    }
    const struct previous_row *best = NULL;
    for (size_t k = from; k < b->nprev && cmp_area_cohort(&b->prev[k], area, cohort) == 0 &&
                          b->prev[k].period_end < start; k++)
        best = &b->prev[k];
    return best;
}

/* The year of a YYYY-MM-DD date. */
static int64_t year_of(const char *date)
{
    return (date[0] - '0') * 1000 + (date[1] - '0') * 100 + (date[2] - '0') * 10 + (date[3] - '0');
}

static int cmp_text(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Whether a row's count m stands for its whole area: a number from every
 * authority in force there. Only then can it be given per 10,000 children. */
static bool whole_area_number(const struct tally_dataset_row *r, size_t m)
{
    int64_t n;
    char sym;
    return r->numbers[m] == r->expected && r->expected > 0 &&
           tally_parse_count(r->measures[m], strlen(r->measures[m]), NULL, &n, &sym) ==
               TALLY_COUNT_OK;
}

/* The areas (with the year) whose rates lack only a population: one warning.
 * (A row whose counts are x, or stand on only some of the area's
 * authorities, has no rate whatever the population file says.) */
static int warn_unpopulated(struct tally_build *b)
{
    char **missing = NULL;
    size_t n = 0, cap = 0;
    int rc = TALLY_OK;
    for (size_t i = 0; i < b->nrows && rc == TALLY_OK; i++) {
        const struct tally_dataset_row *r = &b->rows[i];
        bool wanted = false;
        for (size_t k = 0; k < b->nrates && !wanted; k++)
            wanted = whole_area_number(r, b->rate_measures[k]);
        if (b->row_pop[i] || !wanted)
            continue;
        size_t len = strlen(r->area_code) + 8;
        char *item = malloc(len);
        if (!item || tally_grow((void **)&missing, &cap, n, sizeof *missing, 64) != TALLY_OK) {
            free(item);
            rc = TALLY_ENOMEM;
            break;
        }
        snprintf(item, len, "%s (%.4s)", r->area_code, r->period_end);
        missing[n++] = item;
    }
    if (n > 1)
        qsort(missing, n, sizeof *missing, cmp_text);
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        if (k && strcmp(missing[k - 1], missing[i]) == 0)
            free(missing[i]);
        else
            missing[k++] = missing[i];
    }
    if (rc == TALLY_OK && k) {
        size_t len = 1;
        for (size_t i = 0; i < k; i++)
            len += strlen(missing[i]) + 2;
        char *list = malloc(len);
        if (!list)
            rc = TALLY_ENOMEM;
        else {
            char *at = list;
            for (size_t i = 0; i < k; i++)
                at += sprintf(at, "%s%s", i ? ", " : "", missing[i]);
            tally_emit_at(&b->sink, NULL, tally_population_file(b->population), NULL, 0, NULL,
                          NULL, TALLY_PATH_NONE, NULL, TALLY_SEV_WARNING, TALLY_CODE_POPULATION,
                          "no population for %zu %s, so no rate per 10,000 (x): %s", k,
                          k == 1 ? "area" : "areas", list);
            free(list);
        }
    }
    for (size_t i = 0; i < k; i++)
        free(missing[i]);
    free(missing);
    return rc;
}

static int attach(struct tally_build *b)
{
    if (b->has_previous) {
        if (!(b->row_prev = calloc(b->nrows + 1, sizeof *b->row_prev)))
            return TALLY_ENOMEM;
        for (size_t i = 0; i < b->nrows; i++) {
            const struct tally_dataset_row *r = &b->rows[i];
            int64_t start = 0;
            if (tally_parse_date(r->period_start, strlen(r->period_start), &start))
                b->row_prev[i] = previous_of(b, r->area_code, r->cohort, start);
        }
    }
    if (b->population) {
        if (!(b->row_pop = calloc(b->nrows + 1, sizeof *b->row_pop)))
            return TALLY_ENOMEM;
        for (size_t i = 0; i < b->nrows; i++)
            b->row_pop[i] = tally_population_of(b->population, b->rows[i].area_code,
                                                year_of(b->rows[i].period_end));
        return warn_unpopulated(b);
    }
    return TALLY_OK;
}

int tally_build_finish(struct tally_build *b, struct tally_error *err)
{
    int rc = settle_fates(b, err);
    if (rc)
        return rc;
    size_t np = 0;
    struct period *periods = periods_of(b, &np);
    if (!periods)
        return tally_error_set(err, TALLY_ENOMEM, "out of memory");
    outliers(b);
    rc = coverage_and_rows(b, periods, np);
    free(periods);
    if (rc == TALLY_OK)
        rc = attach(b);
    return rc ? tally_error_set(err, TALLY_ENOMEM, "out of memory") : TALLY_OK;
}

size_t tally_build_nrecords(const struct tally_build *b)
{
    return b->nrecs;
}

const struct tally_build_record *tally_build_record_at(const struct tally_build *b, size_t i)
{
    return &b->recs[i];
}

size_t tally_build_nrows(const struct tally_build *b)
{
    return b->nrows;
}

const struct tally_dataset_row *tally_build_row_at(const struct tally_build *b, size_t i)
{
    return &b->rows[i];
}

const char *const *tally_build_columns(const struct tally_build *b)
{
    return b->columns;
}

enum tally_column_kind tally_build_column_kind(const struct tally_build *b, size_t c)
{
    if (c < 8)
        return TALLY_COLUMN_TEXT;
    c -= 8;
    if (c < b->nmeasures)
        return TALLY_COLUMN_COUNT;
    c -= b->nmeasures;
    if (c < b->schema->nratios)
        return TALLY_COLUMN_RATIO;
    c -= b->schema->nratios;
    if (c < 3)
        return c < 2 ? TALLY_COLUMN_INTEGER : TALLY_COLUMN_BOOLEAN;
    c -= 3;
    size_t nprev = b->has_previous ? 2 * (b->nmeasures + b->schema->nratios) : 0;
    if (c < nprev) {
        bool count = c / 2 < b->nmeasures, change = c % 2 == 1;
        return count ? (change ? TALLY_COLUMN_CHANGE : TALLY_COLUMN_COUNT) : TALLY_COLUMN_RATIO;
    }
    return TALLY_COLUMN_RATIO;  /* a rate per 10,000 */
}

/* The suppression symbol of the schema's disclosure policy ("c"). */
static const char *suppressed_symbol(const struct tally_build *b)
{
    return b->schema->disclosure.symbol ? b->schema->disclosure.symbol : "c";
}

/* A --previous column (c counts from the first of them) of row i. */
static const char *previous_cell(const struct tally_build *b, const struct tally_dataset_row *r,
                                 size_t i, size_t c, char buf[24])
{
    size_t k = c / 2;
    bool count = k < b->nmeasures;
    const struct previous_row *p = i < b->nrows ? b->row_prev[i] : NULL;
    const char *old = !p ? NULL : count ? p->measures[b->measure_fields[k]]
                                        : p->ratios[k - b->nmeasures];
    if (!old || !*old)
        old = count ? "x" : "";
    if (c % 2 == 0)
        return old;
    const char *now = count ? r->measures[k] : r->ratios[k - b->nmeasures];
    /* An area's change compares like with like: both figures stand on every
     * authority in force there. Otherwise it would measure who reported. */
    if (strcmp(r->level, "authority") != 0 && p) {
        bool whole = p->complete;
        if (count)
            whole = whole && r->numbers[k] == r->expected;
        else {
            const struct tally_ratio *q = &b->schema->ratios[k - b->nmeasures];
            for (size_t m = 0; m < b->nmeasures; m++)
                if (b->measure_fields[m] == q->numerator || b->measure_fields[m] == q->denominator)
                    whole = whole && r->numbers[m] == r->expected;
        }
        if (!whole) {
            bool hidden = strcmp(now, suppressed_symbol(b)) == 0 ||
                          strcmp(old, suppressed_symbol(b)) == 0;
            return hidden ? suppressed_symbol(b) : count ? "x" : "";
        }
    }
    char out[32];
    tally_format_change(now, old, !count, suppressed_symbol(b), out, sizeof out);
    size_t n = strlen(out);
    if (n >= 24)    /* cannot be: a difference of two int64 counts is at most 20 */
        return "x";
    memcpy(buf, out, n + 1);
    return buf;
}

static bool whole_area_number(const struct tally_dataset_row *r, size_t m);

/* A --population column of row i: the count per 10,000 children. */
static const char *rate_cell(const struct tally_build *b, const struct tally_dataset_row *r,
                             size_t i, size_t c, char buf[24])
{
    size_t m = b->rate_measures[c];
    const char *v = r->measures[m];
    int64_t n;
    char sym, out[32];
    if (strcmp(v, suppressed_symbol(b)) == 0)
        return suppressed_symbol(b);
    /* a number for the whole area: every authority in force gave one */
    int64_t children = i < b->nrows ? b->row_pop[i] : 0;
    if (!children || !whole_area_number(r, m) ||
        tally_parse_count(v, strlen(v), NULL, &n, &sym) != TALLY_COUNT_OK ||
        !tally_format_rate(n, children, 10000, out, sizeof out) || strlen(out) >= 24)
        return "x";
    memcpy(buf, out, strlen(out) + 1);
    return buf;
}

const char *tally_build_cell(const struct tally_build *b, const struct tally_dataset_row *r,
                             size_t c, char buf[24])
{
    const char *fixed[] = {r->period_start, r->period_end, r->cohort, r->level, r->area_code,
                           r->area_name, r->country_code, r->region_code};
    if (c < 8)
        return fixed[c];
    c -= 8;
    if (c < b->nmeasures)
        return r->measures[c];
    c -= b->nmeasures;
    if (c < b->schema->nratios)
        return r->ratios[c];
    c -= b->schema->nratios;
    if (c == 2)
        return r->complete ? "true" : "false";
    if (c < 2) {
        snprintf(buf, 24, "%u", c == 0 ? r->reporting : r->expected);
        return buf;
    }
    c -= 3;
    /* rows outside b->rows (a copy) have no previous period or population */
    size_t i = r >= b->rows && r < b->rows + b->nrows ? (size_t)(r - b->rows) : SIZE_MAX;
    size_t nprev = b->has_previous ? 2 * (b->nmeasures + b->schema->nratios) : 0;
    if (c < nprev)
        return previous_cell(b, r, i, c, buf);
    return rate_cell(b, r, i, c - nprev, buf);
}

struct tally_dataset_row *tally_build_row_mut(struct tally_build *b, size_t i)
{
    return &b->rows[i];
}

size_t tally_build_nmeasures(const struct tally_build *b)
{
    return b->nmeasures;
}

size_t tally_build_measure_field(const struct tally_build *b, size_t m)
{
    return b->measure_fields[m];
}

size_t tally_build_nperiods(const struct tally_build *b)
{
    return b->ncoverage;
}

const struct tally_period_coverage *tally_build_period_at(const struct tally_build *b, size_t i)
{
    return &b->coverage[i];
}

uint64_t tally_build_fate_count(const struct tally_build *b, enum tally_fate fate)
{
    return b->fates[fate];
}

uint64_t tally_build_file_fate_count(const struct tally_build *b, size_t file, enum tally_fate fate)
{
    return file < b->nfiles ? b->file_fates[file][fate] : 0;
}

uint64_t tally_build_missing_authorities(const struct tally_build *b)
{
    return b->missing_authorities;
}
