/*
 * sdc_check.c — an independent check of tally build --disclosure, from the
 * published dataset alone (and the truth, to know which cells must be
 * protected).
 *
 *   sdc_check PUBLISHED.csv TRUE.csv
 *
 * PUBLISHED.csv is dataset.csv of a --disclosure build; TRUE.csv is
 * dataset.csv of the same inputs without it. Nothing of tally's code is used:
 * the CSV is read here, the relations an attacker knows are written down here
 * from the shipped schema and doc/dataset-format.md §4 (not derived from tally's schema
 * parser), and each interval is computed with GLPK here:
 *
 *   1. the two tables have the same rows; every published number is the true
 *      one; every x and z is where it was; every true count of 1 to 5 is c
 *      (primary suppression), and so is a percentage computed from a c count;
 *   2. per period and cohort, an LP whose unknowns are the c cells that hold
 *      a number in truth (the attacker knows which authorities gave numbers:
 *      the rows say x), with these relations: each region, nation and the UK
 *      is the sum of its authorities' numbers; in each authority's row,
 *      found + not_found = went_missing, went_missing <= in_care,
 *      found <= went_missing, not_found <= went_missing,
 *      missing_incidents >= went_missing (where all are numbers); every count
 *      at least 0, an authority's at most 1,000,000;
 *   3. for every cell of 1 to 5, its minimum and maximum, in exact arithmetic
 *      (glp_exact), rounded inwards: upper - lower must be at least 5.
 *
 * Prints one line per failure and a summary; exits 1 on any failure, 2 on
 * bad input.
 */
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <glpk.h>

#define MAXF 32
#define WIDTH 5
#define LOW 1
#define HIGH 5

enum { IN_CARE, WENT, INCIDENTS, FOUND, NOT_FOUND, NM };
static const char *const measure_names[NM] = {"in_care", "went_missing", "missing_incidents",
                                              "found", "not_found"};

struct row {
    char *f[MAXF];
    size_t n;
};

struct table {
    struct row *rows;
    size_t n, cap;
    int col_level, col_area, col_country, col_region, col_period_start, col_period_end, col_cohort,
        col_pct, col_m[NM];
};

/* One CSV record (RFC 4180, quoted fields may hold commas, quotes and line
 * breaks) from f; false at the end. Fields are malloc'd. */
static bool read_record(FILE *f, struct row *r)
{
    int c = getc(f);
    if (c == EOF)
        return false;
    r->n = 0;
    char *buf = NULL;
    size_t len = 0, cap = 0;
    bool quoted = false, in_quotes = false;
    for (;; c = getc(f)) {
        if (len + 2 > cap) {
            cap = cap ? 2 * cap : 64;
            buf = realloc(buf, cap);
            if (!buf)
                exit(2);
        }
        if (in_quotes) {
            if (c == EOF) {
                fprintf(stderr, "sdc_check: unterminated quote\n");
                exit(2);
            }
            if (c == '"') {
                int d = getc(f);
                if (d == '"') {
                    buf[len++] = '"';
                    continue;
                }
                in_quotes = false;
                ungetc(d, f);
                continue;
            }
            buf[len++] = (char)c;
            continue;
        }
        if (c == '"' && len == 0 && !quoted) {
            quoted = in_quotes = true;
            continue;
        }
        if (c == ',' || c == '\n' || c == EOF) {
            buf[len] = '\0';
            if (r->n == MAXF) {
                fprintf(stderr, "sdc_check: too many fields\n");
                exit(2);
            }
            r->f[r->n++] = buf;
            buf = NULL;
            len = cap = 0;
            quoted = false;
            if (c != ',')
                return true;
            continue;
        }
        if (c == '\r')
            continue;
        buf[len++] = (char)c;
    }
}

static int column(const struct row *h, const char *name)
{
    for (size_t i = 0; i < h->n; i++)
        if (strcmp(h->f[i], name) == 0)
            return (int)i;
    fprintf(stderr, "sdc_check: no column %s\n", name);
    exit(2);
}

static void load(const char *path, struct table *t)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        perror(path);
        exit(2);
    }
    struct row h;
    if (!read_record(f, &h)) {
        fprintf(stderr, "sdc_check: %s is empty\n", path);
        exit(2);
    }
    memset(t, 0, sizeof *t);
    t->col_level = column(&h, "geographic_level");
    t->col_area = column(&h, "area_code");
    t->col_country = column(&h, "country_code");
    t->col_region = column(&h, "region_code");
    t->col_period_start = column(&h, "period_start");
    t->col_period_end = column(&h, "period_end");
    t->col_cohort = column(&h, "cohort");
    t->col_pct = column(&h, "went_missing_pct");
    for (int m = 0; m < NM; m++)
        t->col_m[m] = column(&h, measure_names[m]);
    struct row r;
    while (read_record(f, &r)) {
        if (r.n != h.n) {
            fprintf(stderr, "sdc_check: %s: a row of %zu fields, not %zu\n", path, r.n, h.n);
            exit(2);
        }
        if (t->n == t->cap) {
            t->cap = t->cap ? 2 * t->cap : 256;
            t->rows = realloc(t->rows, t->cap * sizeof *t->rows);
        }
        t->rows[t->n++] = r;
    }
    fclose(f);
}

static bool number(const char *s, int64_t *v)
{
    if (!*s || strspn(s, "0123456789") != strlen(s))
        return false;
    *v = strtoll(s, NULL, 10);
    return true;
}

static long failures;

static void fail(const struct table *t, size_t i, const char *what, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void fail(const struct table *t, size_t i, const char *what, const char *fmt, ...)
{
    const struct row *r = &t->rows[i];
    va_list ap;
    printf("sdc_check: %s %s %s %s %s: ", r->f[t->col_period_end], r->f[t->col_cohort],
           r->f[t->col_area], what, r->f[t->col_level]);
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    putchar('\n');
    failures++;
}

static bool member(const struct table *t, const struct row *a, const struct row *x)
{
    const char *level = x->f[t->col_level];
    if (strcmp(level, "uk") == 0)
        return *a->f[t->col_country] != '\0';
    if (strcmp(level, "country") == 0)
        return strcmp(a->f[t->col_country], x->f[t->col_area]) == 0;
    return strcmp(level, "region") == 0 && strcmp(a->f[t->col_region], x->f[t->col_area]) == 0;
}

static bool same_table(const struct table *t, size_t a, size_t b)
{
    const struct row *x = &t->rows[a], *y = &t->rows[b];
    return strcmp(x->f[t->col_period_start], y->f[t->col_period_start]) == 0 &&
           strcmp(x->f[t->col_period_end], y->f[t->col_period_end]) == 0 &&
           strcmp(x->f[t->col_cohort], y->f[t->col_cohort]) == 0;
}

struct lp {
    int *ia, *ja;
    double *ar;
    size_t n, cap;
    int rows;
};

static void add(struct lp *l, int row, int col, double v)
{
    if (l->n + 2 > l->cap) {
        l->cap = l->cap ? 2 * l->cap : 1024;
        l->ia = realloc(l->ia, l->cap * sizeof *l->ia);
        l->ja = realloc(l->ja, l->cap * sizeof *l->ja);
        l->ar = realloc(l->ar, l->cap * sizeof *l->ar);
    }
    l->n++;
    l->ia[l->n] = row;
    l->ja[l->n] = col;
    l->ar[l->n] = v;
}

/* One period and cohort: rows [lo, hi). */
static long check_table(const struct table *pub, const struct table *tru, size_t lo, size_t hi,
                        long *checked)
{
    size_t nr = hi - lo;
    /* var[i][m]: column of an unknown (published c, true number), 0 when none */
    int (*var)[NM] = calloc(nr, sizeof *var);
    int64_t (*known)[NM] = calloc(nr, sizeof *known);    /* published numbers */
    bool (*has)[NM] = calloc(nr, sizeof *has);            /* true number: in the sums */
    int ncols = 0;
    for (size_t i = 0; i < nr; i++)
        for (int m = 0; m < NM; m++) {
            const char *p = pub->rows[lo + i].f[pub->col_m[m]];
            int64_t tv;
            has[i][m] = number(tru->rows[lo + i].f[tru->col_m[m]], &tv);
            if (!has[i][m])
                continue;
            if (strcmp(p, "c") == 0)
                var[i][m] = ++ncols;
            else
                number(p, &known[i][m]);
        }
    glp_prob *P = glp_create_prob();
    struct lp l = {0};
    if (ncols)
        glp_add_cols(P, ncols);
    for (size_t i = 0; i < nr; i++) {
        bool authority = strcmp(pub->rows[lo + i].f[pub->col_level], "authority") == 0;
        for (int m = 0; m < NM; m++)
            if (var[i][m]) {
                if (authority)
                    glp_set_col_bnds(P, var[i][m], GLP_DB, 0, 1000000);
                else
                    glp_set_col_bnds(P, var[i][m], GLP_LO, 0, 0);
            }
    }
    /* sums: area - its authorities' numbers = 0, constants to the right */
    for (size_t i = 0; i < nr; i++) {
        const struct row *x = &pub->rows[lo + i];
        if (strcmp(x->f[pub->col_level], "authority") == 0)
            continue;
        for (int m = 0; m < NM; m++) {
            if (!has[i][m])
                continue;
            int row = ++l.rows;
            glp_add_rows(P, 1);
            double rhs = 0;
            if (var[i][m])
                add(&l, row, var[i][m], 1);
            else
                rhs -= (double)known[i][m];
            for (size_t j = 0; j < nr; j++) {
                const struct row *a = &pub->rows[lo + j];
                if (strcmp(a->f[pub->col_level], "authority") != 0 || !has[j][m] || !member(pub, a, x))
                    continue;
                if (var[j][m])
                    add(&l, row, var[j][m], -1);
                else
                    rhs += (double)known[j][m];
            }
            glp_set_row_bnds(P, row, GLP_FX, rhs, rhs);
        }
    }
    /* rules within an authority's row: sum coef * cell (== or <=) 0 */
    static const struct { int eq; int n; int m[3]; double c[3]; } rules[] = {
        {1, 3, {FOUND, NOT_FOUND, WENT}, {1, 1, -1}},
        {0, 2, {WENT, IN_CARE, 0}, {1, -1, 0}},
        {0, 2, {FOUND, WENT, 0}, {1, -1, 0}},
        {0, 2, {NOT_FOUND, WENT, 0}, {1, -1, 0}},
        {0, 2, {WENT, INCIDENTS, 0}, {1, -1, 0}},
    };
    for (size_t i = 0; i < nr; i++) {
        if (strcmp(pub->rows[lo + i].f[pub->col_level], "authority") != 0)
            continue;
        for (size_t k = 0; k < sizeof rules / sizeof rules[0]; k++) {
            bool all = true, any = false;
            for (int j = 0; j < rules[k].n; j++) {
                all = all && has[i][rules[k].m[j]];
                any = any || var[i][rules[k].m[j]];
            }
            if (!all || !any)
                continue;
            int row = ++l.rows;
            glp_add_rows(P, 1);
            double rhs = 0;
            for (int j = 0; j < rules[k].n; j++) {
                int m = rules[k].m[j];
                if (var[i][m])
                    add(&l, row, var[i][m], rules[k].c[j]);
                else
                    rhs -= rules[k].c[j] * (double)known[i][m];
            }
            glp_set_row_bnds(P, row, rules[k].eq ? GLP_FX : GLP_UP, rhs, rhs);
        }
    }
    if (l.n)
        glp_load_matrix(P, (int)l.n, l.ia, l.ja, l.ar);
    glp_smcp parm;
    glp_init_smcp(&parm);
    parm.msg_lev = GLP_MSG_OFF;
    long bad = 0;
    for (size_t i = 0; i < nr; i++)
        for (int m = 0; m < NM; m++) {
            int64_t tv;
            if (!number(tru->rows[lo + i].f[tru->col_m[m]], &tv) || tv < LOW || tv > HIGH)
                continue;
            if (!var[i][m])
                continue;   /* not c: reported by the pass over cells */
            (*checked)++;
            double ends[2];
            bool unbounded[2] = {false, false};
            for (int k = 0; k < 2; k++) {
                for (int c = 1; c <= ncols; c++)
                    glp_set_obj_coef(P, c, c == var[i][m] ? 1 : 0);
                glp_set_obj_dir(P, k ? GLP_MAX : GLP_MIN);
                if (glp_simplex(P, &parm) != 0 || glp_exact(P, &parm) != 0) {
                    fail(pub, lo + i, measure_names[m], "the LP could not be solved");
                    bad++;
                    continue;
                }
                int st = glp_get_status(P);
                if (st == GLP_UNBND)
                    unbounded[k] = true;
                else if (st != GLP_OPT) {
                    fail(pub, lo + i, measure_names[m], "the published table is infeasible");
                    bad++;
                } else
                    ends[k] = glp_get_obj_val(P);
            }
            if (unbounded[0] || unbounded[1])
                continue;
            double lower = ceil(ends[0] - 1e-9), upper = floor(ends[1] + 1e-9);
            if (upper - lower < WIDTH) {
                fail(pub, lo + i, measure_names[m], "true %lld, can be told to lie in %.0f to %.0f",
                     (long long)tv, lower, upper);
                bad++;
            }
        }
    glp_delete_prob(P);
    free(l.ia);
    free(l.ja);
    free(l.ar);
    free(var);
    free(known);
    free(has);
    return bad;
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: sdc_check PUBLISHED.csv TRUE.csv\n");
        return 2;
    }
    struct table pub, tru;
    load(argv[1], &pub);
    load(argv[2], &tru);
    if (pub.n != tru.n) {
        printf("sdc_check: %zu rows published, %zu true\n", pub.n, tru.n);
        return 1;
    }
    long cells = 0, primary = 0, checked = 0;
    for (size_t i = 0; i < pub.n; i++) {
        const struct row *p = &pub.rows[i], *t = &tru.rows[i];
        if (strcmp(p->f[pub.col_area], t->f[tru.col_area]) ||
            strcmp(p->f[pub.col_cohort], t->f[tru.col_cohort]) ||
            strcmp(p->f[pub.col_period_start], t->f[tru.col_period_start]) ||
            strcmp(p->f[pub.col_period_end], t->f[tru.col_period_end])) {
            printf("sdc_check: row %zu is not the same area, period and cohort\n", i + 2);
            return 1;
        }
        bool hidden_pct = false;
        for (int m = 0; m < NM; m++) {
            const char *pv = p->f[pub.col_m[m]], *tv = t->f[tru.col_m[m]];
            int64_t v;
            cells++;
            bool num = number(tv, &v);
            if (num && v >= LOW && v <= HIGH) {
                primary++;
                if (strcmp(pv, "c") != 0)
                    fail(&pub, i, measure_names[m], "true %lld, published \"%s\", not c",
                         (long long)v, pv);
            }
            if (num && strcmp(pv, "c") == 0)
                hidden_pct |= m == IN_CARE || m == WENT;
            else if (strcmp(pv, tv) != 0)
                fail(&pub, i, measure_names[m], "published \"%s\", true \"%s\"", pv, tv);
        }
        const char *pp = p->f[pub.col_pct], *tp = t->f[tru.col_pct];
        if (hidden_pct && *tp && strcmp(pp, "c") != 0)
            fail(&pub, i, "went_missing_pct", "published \"%s\" from a hidden count", pp);
        else if (!hidden_pct && strcmp(pp, tp) != 0)
            fail(&pub, i, "went_missing_pct", "published \"%s\", true \"%s\"", pp, tp);
    }
    for (size_t lo = 0, hi; lo < pub.n; lo = hi) {
        for (hi = lo + 1; hi < pub.n && same_table(&pub, lo, hi); hi++)
            ;
        check_table(&pub, &tru, lo, hi, &checked);
    }
    glp_free_env();
    printf("sdc_check: %ld cells, %ld of 1 to 5, %ld intervals checked; %ld failures\n", cells,
           primary, checked, failures);
    return failures ? 1 : 0;
}
