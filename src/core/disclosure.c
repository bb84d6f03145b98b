/*
 * disclosure.c — statistical disclosure control (disclosure.h, doc/dataset-format.md §4).
 *
 * A table (struct tally_sdc) is a set of cells with their true values and
 * the linear relations between them that anyone reading the published table
 * knows: sums, and the schema's rules. A suppressed cell's interval is what
 * an attacker can tell about it from everything published: the minimum and
 * maximum of the cell over every assignment of the suppressed cells that
 * satisfies the relations and every cell's bounds — two linear programs,
 * solved with GLPK's simplex method, rounded inwards to whole numbers. The
 * final audit confirms each optimum in exact rational arithmetic
 * (glp_exact), so floating point never decides that a cell is safe.
 *
 * The LP is built once per table (a column per cell, a row per relation) and
 * kept: a published cell is a column fixed at its value, a suppressed one
 * runs between its bounds; suppressing a cell only frees its column, and
 * each new LP starts from the last optimal basis.
 *
 * tally_build_disclose maps a build onto tables, one per period and cohort
 * (no relation links two periods or two cohorts: the counts of children are
 * not additive over periods, a child may be in both cohorts, and no row sums
 * the cohorts — a schema that published such a total would need its relation
 * added here):
 *
 *   cells      every count that holds a number, at every level; symbols (x,
 *              an authority's own c, z) are not numbers and are in no sum
 *   sums       area = sum of its authorities that gave a number, for the UK,
 *              each nation and each English region (region -> nation -> UK
 *              follow from these)
 *   rules      the schema's error rules that are linear (tally_expr_linear),
 *              within each authority's row, where every count they name is a
 *              number; warnings are not used: an accepted record may break one
 *   bounds     an authority's count lies within its field's minimum and
 *              maximum; an area's is at least 0
 *
 * The attacker is assumed to know which authorities gave numbers (the rows
 * say which gave x), the policy (protected measures and range), the schema's
 * rules, and every published figure; not which c cells are primary.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <glpk.h>

#include "core/emit.h"
#include "core/grow.h"
#include "core/jsonout.h"
#include "tally/disclosure.h"
#include "tally/expr.h"

/* ---- one table ------------------------------------------------------------------ */

struct sdc_cell {
    int64_t value, minimum, maximum;    /* maximum TALLY_SDC_NO_BOUND: none; minimum INT64_MIN: none */
    unsigned rank;
    unsigned char mark;                 /* enum tally_sdc_mark */
};

struct sdc_relation {
    size_t first, n;        /* terms[first .. first + n) */
    bool equality;
    int64_t rhs;
};

struct tally_sdc {
    struct sdc_cell *cells;
    size_t ncells, cells_cap;
    struct sdc_relation *rels;
    size_t nrels, rels_cap;
    size_t *term_cell;
    int64_t *term_coef;
    size_t nterms, terms_cap, coef_cap;
    glp_prob *lp;           /* built by lp_ready; NULL after cells or relations change */
    size_t *cell_rels;      /* with lp: the relations of cell c are
                               cell_rels[rel_start[c] .. rel_start[c + 1]) */
    size_t *rel_start;
    size_t objective;       /* the column (1-based) whose objective coefficient is 1, or 0 */
    uint64_t lps;
};

struct tally_sdc *tally_sdc_new(void)
{
    return calloc(1, sizeof(struct tally_sdc));
}

static void drop_lp(struct tally_sdc *t)
{
    if (t->lp)
        glp_delete_prob(t->lp);
    t->lp = NULL;
    free(t->cell_rels);
    free(t->rel_start);
    t->cell_rels = t->rel_start = NULL;
    t->objective = 0;
}

void tally_sdc_free(struct tally_sdc *t)
{
    if (!t)
        return;
    drop_lp(t);
    free(t->cells);
    free(t->rels);
    free(t->term_cell);
    free(t->term_coef);
    free(t);
}

long tally_sdc_cell(struct tally_sdc *t, int64_t value, int64_t minimum, int64_t maximum,
                    unsigned rank)
{
    if (tally_grow((void **)&t->cells, &t->cells_cap, t->ncells, sizeof *t->cells, 64) != TALLY_OK)
        return -1;
    drop_lp(t);
    t->cells[t->ncells] = (struct sdc_cell){value, minimum, maximum, rank, TALLY_SDC_NONE};
    return (long)t->ncells++;
}

int tally_sdc_relation(struct tally_sdc *t, const size_t *cells, const int64_t *coef, size_t n,
                       bool equality, int64_t rhs)
{
    for (size_t i = 0; i < n; i++) {
        if (cells[i] >= t->ncells || coef[i] == 0)
            return TALLY_EINVAL;
        for (size_t j = 0; j < i; j++)
            if (cells[j] == cells[i])
                return TALLY_EINVAL;
    }
    if (tally_grow((void **)&t->rels, &t->rels_cap, t->nrels, sizeof *t->rels, 64) != TALLY_OK)
        return TALLY_ENOMEM;
    for (size_t i = 0; i < n; i++) {
        if (tally_grow((void **)&t->term_cell, &t->terms_cap, t->nterms + i, sizeof *t->term_cell,
                       256) != TALLY_OK ||
            tally_grow((void **)&t->term_coef, &t->coef_cap, t->nterms + i, sizeof *t->term_coef,
                       256) != TALLY_OK)
            return TALLY_ENOMEM;
        t->term_cell[t->nterms + i] = cells[i];
        t->term_coef[t->nterms + i] = coef[i];
    }
    drop_lp(t);
    t->rels[t->nrels++] = (struct sdc_relation){t->nterms, n, equality, rhs};
    t->nterms += n;
    return TALLY_OK;
}

size_t tally_sdc_ncells(const struct tally_sdc *t)
{
    return t->ncells;
}

enum tally_sdc_mark tally_sdc_marked(const struct tally_sdc *t, size_t cell)
{
    return (enum tally_sdc_mark)t->cells[cell].mark;
}

uint64_t tally_sdc_lps(const struct tally_sdc *t)
{
    return t->lps;
}

/* A cell's column bounds: fixed at its value when published, its own bounds when not. */
static void set_bounds(struct tally_sdc *t, size_t c)
{
    const struct sdc_cell *x = &t->cells[c];
    int col = (int)c + 1;
    if (x->mark == TALLY_SDC_NONE)
        glp_set_col_bnds(t->lp, col, GLP_FX, (double)x->value, (double)x->value);
    else if (x->minimum == INT64_MIN && x->maximum == TALLY_SDC_NO_BOUND)
        glp_set_col_bnds(t->lp, col, GLP_FR, 0, 0);
    else if (x->minimum == INT64_MIN)
        glp_set_col_bnds(t->lp, col, GLP_UP, 0, (double)x->maximum);
    else if (x->maximum == TALLY_SDC_NO_BOUND)
        glp_set_col_bnds(t->lp, col, GLP_LO, (double)x->minimum, 0);
    else if (x->minimum == x->maximum)
        glp_set_col_bnds(t->lp, col, GLP_FX, (double)x->minimum, (double)x->maximum);
    else
        glp_set_col_bnds(t->lp, col, GLP_DB, (double)x->minimum, (double)x->maximum);
}

void tally_sdc_suppress(struct tally_sdc *t, size_t cell, enum tally_sdc_mark mark)
{
    t->cells[cell].mark = (unsigned char)mark;
    if (t->lp)
        set_bounds(t, cell);
}

/* Build the LP (and each cell's list of relations) if it is not built. */
static int lp_ready(struct tally_sdc *t)
{
    if (t->lp)
        return TALLY_OK;
    if (t->ncells > (size_t)INT32_MAX - 1 || t->nrels > (size_t)INT32_MAX - 1 ||
        t->nterms > (size_t)INT32_MAX - 1)
        return TALLY_ENOMEM;
    t->rel_start = calloc(t->ncells + 2, sizeof *t->rel_start);
    t->cell_rels = malloc((t->nterms + 1) * sizeof *t->cell_rels);
    int *ia = malloc((t->nterms + 1) * sizeof *ia), *ja = malloc((t->nterms + 1) * sizeof *ja);
    double *ar = malloc((t->nterms + 1) * sizeof *ar);
    if (!t->rel_start || !t->cell_rels || !ia || !ja || !ar) {
        free(ia);
        free(ja);
        free(ar);
        drop_lp(t);
        return TALLY_ENOMEM;
    }
    /* each cell's relations, by a counting sort of the terms */
    for (size_t k = 0; k < t->nterms; k++)
        t->rel_start[t->term_cell[k] + 2]++;
    for (size_t c = 0; c < t->ncells; c++)
        t->rel_start[c + 2] += t->rel_start[c + 1];
    for (size_t r = 0; r < t->nrels; r++)
        for (size_t k = t->rels[r].first; k < t->rels[r].first + t->rels[r].n; k++)
            t->cell_rels[t->rel_start[t->term_cell[k] + 1]++] = r;

    t->lp = glp_create_prob();
    glp_set_obj_dir(t->lp, GLP_MIN);
    if (t->ncells)
        glp_add_cols(t->lp, (int)t->ncells);
    if (t->nrels)
        glp_add_rows(t->lp, (int)t->nrels);
    for (size_t c = 0; c < t->ncells; c++)
        set_bounds(t, c);
    for (size_t r = 0; r < t->nrels; r++) {
        const struct sdc_relation *rel = &t->rels[r];
        if (rel->equality)
            glp_set_row_bnds(t->lp, (int)r + 1, GLP_FX, (double)rel->rhs, (double)rel->rhs);
        else
            glp_set_row_bnds(t->lp, (int)r + 1, GLP_UP, 0, (double)rel->rhs);
        for (size_t k = rel->first; k < rel->first + rel->n; k++) {
            ia[k + 1] = (int)r + 1;
            ja[k + 1] = (int)t->term_cell[k] + 1;
            ar[k + 1] = (double)t->term_coef[k];
        }
    }
    if (t->nterms)
        glp_load_matrix(t->lp, (int)t->nterms, ia, ja, ar);
    free(ia);
    free(ja);
    free(ar);
    return TALLY_OK;
}

/* Solve the LP in its current direction. *value: the optimum; *unbounded
 * when there is none. TALLY_EINVAL when it has no feasible point. */
static int solve(struct tally_sdc *t, bool exact, double *value, bool *unbounded,
                 struct tally_error *err)
{
    glp_smcp parm;
    glp_init_smcp(&parm);
    parm.msg_lev = GLP_MSG_OFF;
    parm.presolve = GLP_OFF;    /* keep the basis between solves */
    t->lps++;
    int rc = glp_simplex(t->lp, &parm);
    if (rc == GLP_EBADB || rc == GLP_ESING || rc == GLP_ECOND) {
        glp_std_basis(t->lp);   /* the kept basis went bad: start afresh */
        rc = glp_simplex(t->lp, &parm);
    }
    if (rc == 0 && exact && glp_get_status(t->lp) == GLP_OPT)
        rc = glp_exact(t->lp, &parm);
    if (rc != 0)
        return tally_error_set(err, TALLY_EINVAL, "disclosure audit: the linear program could "
                               "not be solved (GLPK code %d)", rc);
    switch (glp_get_status(t->lp)) {
    case GLP_OPT:
        *value = glp_get_obj_val(t->lp);
        *unbounded = false;
        return TALLY_OK;
    case GLP_UNBND:
        *unbounded = true;
        return TALLY_OK;
    default:
        return tally_error_set(err, TALLY_EINVAL, "disclosure audit: the published figures "
                               "contradict their own sums and rules (no feasible point)");
    }
}

/* Round an optimum inwards to a whole number: up for a lower end, down for an upper. */
static int64_t whole(double v, bool up)
{
    /* Within a billionth of a whole number is that number: an optimum of these
     * problems (coefficients of 1, -1 and small integers; whole values) is a
     * whole number or a fraction with a small denominator, never that close to
     * one without being it. Rounding the wrong way could only narrow an
     * interval, never widen it. */
    double tol = 1e-9 * (fabs(v) > 1 ? fabs(v) : 1);
    double r = up ? ceil(v - tol) : floor(v + tol);
    if (r >= 9.2e18)
        return TALLY_SDC_NO_BOUND - 1;
    if (r <= -9.2e18)
        return INT64_MIN + 1;
    return (int64_t)r;
}

/* One end of a cell's interval: its maximum (upper) or minimum, rounded inwards. */
static int interval_end(struct tally_sdc *t, size_t cell, bool upper, bool exact, int64_t *end,
                        struct tally_error *err)
{
    int rc = lp_ready(t);
    if (rc)
        return tally_error_set(err, rc, "out of memory");
    if (t->objective != cell + 1) {
        if (t->objective)
            glp_set_obj_coef(t->lp, (int)t->objective, 0);
        t->objective = cell + 1;
        glp_set_obj_coef(t->lp, (int)t->objective, 1);
    }
    double v;
    bool unbounded;
    glp_set_obj_dir(t->lp, upper ? GLP_MAX : GLP_MIN);
    if ((rc = solve(t, exact, &v, &unbounded, err)))
        return rc;
    *end = unbounded ? (upper ? TALLY_SDC_NO_BOUND : INT64_MIN) : whole(v, !upper);
    return TALLY_OK;
}

int tally_sdc_interval(struct tally_sdc *t, size_t cell, bool exact, int64_t *lower,
                       int64_t *upper, struct tally_error *err)
{
    int rc = interval_end(t, cell, true, exact, upper, err);
    if (!rc)
        rc = interval_end(t, cell, false, exact, lower, err);
    if (!rc && *lower > *upper)     /* rounding inwards crossed: only the true value fits */
        *lower = *upper = t->cells[cell].value;
    return rc;
}

static bool wide_enough(int64_t lower, int64_t upper, int64_t width)
{
    if (upper == TALLY_SDC_NO_BOUND || lower == INT64_MIN)
        return true;
    return upper - lower >= width;
}

/*
 * The complement problem (after Fischetti and Salazar's model of secondary
 * suppression): to widen a primary cell p's interval, find a table y that
 * satisfies every relation and bound, with y_p at least `target` (or at most
 * it), and that departs from the published values as cheaply as possible:
 *
 *   minimise   sum over published cells i of cost_i * (dp_i + dm_i)
 *   subject to every relation, on y
 *              y_i - dp_i + dm_i = value_i       for every cell
 *              minimum_i <= y_i <= maximum_i, dp_i >= 0, dm_i >= 0
 *              y_p >= target   (or y_p <= target)
 *
 * Suppressed cells cost nothing to move. The published cells that y moves are
 * the complements: once they are suppressed too, y is a table an attacker
 * cannot rule out, so p can reach the target. The cost of a cell says which
 * to prefer:
 *
 *   cost_i = (1 + 2 rank_i) * (3 if value_i is 0, else 1) + value_i / (1 + V)
 *
 * (V the table's largest value): a cell at authority level before a region's,
 * a nation's or the UK's; a non-zero before a zero (a 0 is worth publishing);
 * and among equals the smaller value. Moving one cell by d costs d * cost_i,
 * so the cheapest y moves few, cheap cells.
 *
 * Columns: y_1..y_n, dp_1..dp_n, dm_1..dm_n; rows: the relations, then one
 * link row per cell.
 */
static glp_prob *complement_lp(const struct tally_sdc *t)
{
    size_t n = t->ncells, nnz = t->nterms + 3 * n;
    int *ia = malloc((nnz + 1) * sizeof *ia), *ja = malloc((nnz + 1) * sizeof *ja);
    double *ar = malloc((nnz + 1) * sizeof *ar);
    if (!ia || !ja || !ar || 3 * n > (size_t)INT32_MAX - 1 || nnz > (size_t)INT32_MAX - 1) {
        free(ia);
        free(ja);
        free(ar);
        return NULL;
    }
    glp_prob *lp = glp_create_prob();
    glp_set_obj_dir(lp, GLP_MIN);
    glp_add_cols(lp, (int)(3 * n));
    glp_add_rows(lp, (int)(t->nrels + n));
    size_t k = 0;
    for (size_t r = 0; r < t->nrels; r++) {
        const struct sdc_relation *rel = &t->rels[r];
        if (rel->equality)
            glp_set_row_bnds(lp, (int)r + 1, GLP_FX, (double)rel->rhs, (double)rel->rhs);
        else
            glp_set_row_bnds(lp, (int)r + 1, GLP_UP, 0, (double)rel->rhs);
        for (size_t j = rel->first; j < rel->first + rel->n; j++) {
            k++;
            ia[k] = (int)r + 1;
            ja[k] = (int)t->term_cell[j] + 1;
            ar[k] = (double)t->term_coef[j];
        }
    }
    for (size_t c = 0; c < n; c++) {
        const struct sdc_cell *x = &t->cells[c];
        int row = (int)(t->nrels + c) + 1, y = (int)c + 1, dp = (int)(n + c) + 1,
            dm = (int)(2 * n + c) + 1;
        glp_set_row_bnds(lp, row, GLP_FX, (double)x->value, (double)x->value);
        k++, ia[k] = row, ja[k] = y, ar[k] = 1;
        k++, ia[k] = row, ja[k] = dp, ar[k] = -1;
        k++, ia[k] = row, ja[k] = dm, ar[k] = 1;
        glp_set_col_bnds(lp, dp, GLP_LO, 0, 0);
        glp_set_col_bnds(lp, dm, GLP_LO, 0, 0);
    }
    glp_load_matrix(lp, (int)k, ia, ja, ar);
    free(ia);
    free(ja);
    free(ar);
    return lp;
}

/* y_c's bounds: the cell's own, narrowed to [lo, hi] when given. */
static void complement_bounds(glp_prob *lp, const struct sdc_cell *x, size_t c, double lo,
                              bool has_lo, double hi, bool has_hi)
{
    double l = x->minimum == INT64_MIN ? 0 : (double)x->minimum;
    double u = x->maximum == TALLY_SDC_NO_BOUND ? 0 : (double)x->maximum;
    bool hl = x->minimum != INT64_MIN, hu = x->maximum != TALLY_SDC_NO_BOUND;
    if (has_lo && (!hl || lo > l))
        l = lo, hl = true;
    if (has_hi && (!hu || hi < u))
        u = hi, hu = true;
    int type = hl && hu ? (l == u ? GLP_FX : GLP_DB) : hl ? GLP_LO : hu ? GLP_UP : GLP_FR;
    glp_set_col_bnds(lp, (int)c + 1, type, l, u);
}

/* Solve the complement problem for p pushed to target (up: y_p >= target).
 * *found: it has a solution; then the published cells it moves are marked. */
static int complement(struct tally_sdc *t, glp_prob *lp, size_t p, int64_t target, bool up,
                      bool *found, uint64_t *added, struct tally_error *err)
{
    size_t n = t->ncells;
    const struct sdc_cell *px = &t->cells[p];
    *found = false;
    if ((up && px->maximum != TALLY_SDC_NO_BOUND && target > px->maximum) ||
        (!up && px->minimum != INT64_MIN && target < px->minimum))
        return TALLY_OK;    /* beyond what the cell can ever be */
    int64_t vmax = 1;
    for (size_t c = 0; c < n; c++)
        if (t->cells[c].value > vmax)
            vmax = t->cells[c].value;
    for (size_t c = 0; c < n; c++) {
        const struct sdc_cell *x = &t->cells[c];
        double cost = x->mark != TALLY_SDC_NONE ? 0
                    : (1.0 + 2.0 * x->rank) * (x->value == 0 ? 3.0 : 1.0) +
                      (double)x->value / (1.0 + (double)vmax);
        glp_set_obj_coef(lp, (int)(n + c) + 1, cost);
        glp_set_obj_coef(lp, (int)(2 * n + c) + 1, cost);
        complement_bounds(lp, x, c, 0, false, 0, false);
    }
    complement_bounds(lp, &t->cells[p], p, (double)target, up, (double)target, !up);
    glp_smcp parm;
    glp_init_smcp(&parm);
    parm.msg_lev = GLP_MSG_OFF;
    parm.presolve = GLP_OFF;
    t->lps++;
    int rc = glp_simplex(lp, &parm);
    if (rc == GLP_EBADB || rc == GLP_ESING || rc == GLP_ECOND) {
        glp_std_basis(lp);
        rc = glp_simplex(lp, &parm);
    }
    if (rc != 0)
        return tally_error_set(err, TALLY_EINVAL, "disclosure: the complement problem could "
                               "not be solved (GLPK code %d)", rc);
    *found = glp_get_status(lp) == GLP_OPT;
    for (size_t c = 0; *found && c < n; c++) {
        if (t->cells[c].mark != TALLY_SDC_NONE)
            continue;
        double moved = glp_get_col_prim(lp, (int)(n + c) + 1) +
                       glp_get_col_prim(lp, (int)(2 * n + c) + 1);
        if (moved > 1e-7) {
            tally_sdc_suppress(t, c, TALLY_SDC_SECONDARY);
            (*added)++;
        }
    }
    return TALLY_OK;
}

int tally_sdc_protect(struct tally_sdc *t, int64_t width, uint64_t *added,
                      struct tally_error *err)
{
    *added = 0;
    int rc = lp_ready(t);
    if (rc)
        return tally_error_set(err, rc, "out of memory");
    glp_prob *cp = NULL;
    /* authorities' cells first: protecting them often protects the totals */
    for (unsigned rank = 0; rank < 4 && rc == TALLY_OK; rank++)
        for (size_t p = 0; p < t->ncells && rc == TALLY_OK; p++) {
            const struct sdc_cell *x = &t->cells[p];
            if (x->mark != TALLY_SDC_PRIMARY || (x->rank != rank && !(rank == 3 && x->rank > 3)))
                continue;
            for (int round = 0; round < 4 && rc == TALLY_OK; round++) {
                int64_t lo, hi;
                if ((rc = tally_sdc_interval(t, p, false, &lo, &hi, err)))
                    break;
                if (wide_enough(lo, hi, width))
                    break;
                if (!cp && !(cp = complement_lp(t))) {
                    rc = tally_error_set(err, TALLY_ENOMEM, "out of memory");
                    break;
                }
                /* Up from the lowest value it can take; else down from the
                 * highest. Suppressing more only widens: either is enough. */
                bool found = false;
                uint64_t before = *added;
                if (lo <= INT64_MAX - width &&
                    (rc = complement(t, cp, p, lo + width, true, &found, added, err)))
                    break;
                if (!found && hi >= INT64_MIN + width &&
                    (rc = complement(t, cp, p, hi - width, false, &found, added, err)))
                    break;
                if (!found || *added == before)
                    break;      /* nothing can be hidden to protect it: the audit will say so */
            }
        }
    if (cp)
        glp_delete_prob(cp);
    return rc;
}

/* ---- the build's tables ------------------------------------------------------------ */

/* A linear constraint of a rule, over the build's measures. */
struct rule_relation {
    struct tally_linear lin;
    size_t measure[TALLY_LINEAR_MAX_TERMS];     /* lin.field[i] as a measure index */
};

size_t tally_disclosure_linear_rules(const struct tally_schema *s, const char **ids, size_t max)
{
    size_t n = 0;
    for (size_t r = 0; r < s->nrules && n < max; r++) {
        struct tally_linear lin[8];
        if (s->rules[r].severity == TALLY_SEV_ERROR &&
            tally_expr_linear(s->rules[r].expr, lin, sizeof lin / sizeof lin[0]) > 0)
            ids[n++] = s->rules[r].id;
    }
    return n;
}

/* The rules' linear constraints whose fields are all measures of the build. */
static int rule_relations(const struct tally_build *b, const struct tally_schema *s,
                          struct rule_relation **out, size_t *nout, const char ***ids)
{
    size_t nm = tally_build_nmeasures(b), cap = 0, n = 0, nids = 0;
    struct rule_relation *rr = NULL;
    *ids = calloc(s->nrules + 1, sizeof **ids);
    if (!*ids)
        return TALLY_ENOMEM;
    for (size_t r = 0; r < s->nrules; r++) {
        struct tally_linear lin[8];
        if (s->rules[r].severity != TALLY_SEV_ERROR)
            continue;
        size_t k = tally_expr_linear(s->rules[r].expr, lin, sizeof lin / sizeof lin[0]);
        bool used = false;
        for (size_t i = 0; i < k; i++) {
            struct rule_relation x = {.lin = lin[i]};
            bool all = true;
            for (size_t j = 0; j < lin[i].nterms && all; j++) {
                size_t m = 0;
                while (m < nm && tally_build_measure_field(b, m) != lin[i].field[j])
                    m++;
                all = m < nm;
                x.measure[j] = m;
            }
            if (!all)
                continue;
            if (tally_grow((void **)&rr, &cap, n, sizeof *rr, 8) != TALLY_OK) {
                free(rr);
                return TALLY_ENOMEM;
            }
            rr[n++] = x;
            used = true;
        }
        if (used)
            (*ids)[nids++] = s->rules[r].id;
    }
    *out = rr;
    *nout = n;
    return TALLY_OK;
}

static unsigned level_rank(const char *level)
{
    return strcmp(level, "authority") == 0 ? 0 : strcmp(level, "region") == 0 ? 1
         : strcmp(level, "country") == 0 ? 2 : 3;
}

/* Does authority row a count towards area row x? */
static bool member(const struct tally_dataset_row *a, const struct tally_dataset_row *x)
{
    if (strcmp(x->level, "uk") == 0)
        return *a->country_code != '\0';
    if (strcmp(x->level, "country") == 0)
        return strcmp(a->country_code, x->area_code) == 0;
    return strcmp(x->level, "region") == 0 && strcmp(a->region_code, x->area_code) == 0;
}

static bool same_table(const struct tally_dataset_row *a, const struct tally_dataset_row *b)
{
    return strcmp(a->period_start, b->period_start) == 0 &&
           strcmp(a->period_end, b->period_end) == 0 && strcmp(a->cohort, b->cohort) == 0;
}

struct table_ctx {
    struct tally_build *b;
    const struct tally_schema *s;
    const struct rule_relation *rules;
    size_t nrules;
    size_t nm;
    struct tally_disclosure_audit *audit;
};

static bool unbounded(const struct tally_disclosure_cell *c)
{
    return c->upper == TALLY_SDC_NO_BOUND || c->lower == INT64_MIN;
}

/* Keep the narrowest interval (the first of equals) and the unsafe ones. */
static void note_interval(struct tally_disclosure_audit *a, size_t row, size_t m, int64_t lo,
                          int64_t hi)
{
    struct tally_disclosure_cell c = {row, m, lo, hi};
    const struct tally_disclosure_cell *n = &a->narrowest;
    if (!a->has_narrowest || (!unbounded(&c) && (unbounded(n) || hi - lo < n->upper - n->lower))) {
        a->narrowest = c;
        a->has_narrowest = true;
    }
    if (!wide_enough(lo, hi, a->width)) {
        if (a->nunsafe < TALLY_DISCLOSURE_MAX_UNSAFE)
            a->unsafe[a->nunsafe++] = c;
        a->unsafe_total++;
        a->passed = false;
    }
}

/* One period and cohort: rows [lo, hi). */
static int disclose_table(struct table_ctx *x, size_t lo, size_t hi, struct tally_error *err)
{
    struct tally_build *b = x->b;
    const struct tally_disclosure_policy *pol = &x->s->disclosure;
    size_t nm = x->nm, nrows = hi - lo;
    long *cell = malloc((nrows * nm + 1) * sizeof *cell);
    struct tally_sdc *t = tally_sdc_new();
    size_t *terms = malloc((nrows + 1) * sizeof *terms);
    int64_t *coefs = malloc((nrows + 1) * sizeof *coefs);
    int rc = cell && t && terms && coefs ? TALLY_OK : TALLY_ENOMEM;
    if (rc) {
        tally_error_set(err, rc, "out of memory");
        goto out;
    }
    /* cells: every count that holds a number */
    for (size_t i = 0; i < nrows && !rc; i++) {
        const struct tally_dataset_row *row = tally_build_row_at(b, lo + i);
        bool authority = strcmp(row->level, "authority") == 0;
        for (size_t m = 0; m < nm && !rc; m++) {
            const struct tally_field_def *f = &x->s->fields[tally_build_measure_field(b, m)];
            const char *v = row->measures[m];
            int64_t n;
            char sym;
            cell[i * nm + m] = -1;
            if (tally_parse_count(v, strlen(v), NULL, &n, &sym) != TALLY_COUNT_OK)
                continue;
            int64_t min = f->has_minimum ? f->minimum : INT64_MIN;
            int64_t max = authority && f->has_maximum ? f->maximum : TALLY_SDC_NO_BOUND;
            if (!authority)
                min = min >= 0 ? 0 : INT64_MIN;
            if ((cell[i * nm + m] = tally_sdc_cell(t, n, min, max, level_rank(row->level))) < 0)
                rc = tally_error_set(err, TALLY_ENOMEM, "out of memory");
            x->audit->cells++;
        }
    }
    /* sums: each area is the sum of its authorities that gave a number */
    for (size_t i = 0; i < nrows && !rc; i++) {
        const struct tally_dataset_row *area = tally_build_row_at(b, lo + i);
        if (strcmp(area->level, "authority") == 0)
            continue;
        for (size_t m = 0; m < nm && !rc; m++) {
            if (cell[i * nm + m] < 0)
                continue;
            size_t n = 0;
            int64_t total = 0;
            terms[n] = (size_t)cell[i * nm + m];
            coefs[n++] = 1;
            for (size_t j = 0; j < nrows; j++) {
                const struct tally_dataset_row *a = tally_build_row_at(b, lo + j);
                if (strcmp(a->level, "authority") != 0 || cell[j * nm + m] < 0 || !member(a, area))
                    continue;
                int64_t v;
                char sym;
                tally_parse_count(a->measures[m], strlen(a->measures[m]), NULL, &v, &sym);
                total += v;
                terms[n] = (size_t)cell[j * nm + m];
                coefs[n++] = -1;
            }
            int64_t v;
            char sym;
            tally_parse_count(area->measures[m], strlen(area->measures[m]), NULL, &v, &sym);
            if (v != total)
                rc = tally_error_set(err, TALLY_EINVAL, "disclosure: %s of %s for %s %s is %lld, "
                                     "not the sum of its authorities (%lld)",
                                     x->s->fields[tally_build_measure_field(b, m)].name,
                                     area->area_code, area->period_end, area->cohort,
                                     (long long)v, (long long)total);
            else if ((rc = tally_sdc_relation(t, terms, coefs, n, true, 0)))
                tally_error_set(err, rc, "out of memory");
            else
                x->audit->relations++;
        }
    }
    /* rules: within each authority's row, where every count they name is a number */
    for (size_t i = 0; i < nrows && !rc; i++) {
        const struct tally_dataset_row *row = tally_build_row_at(b, lo + i);
        if (strcmp(row->level, "authority") != 0)
            continue;
        for (size_t r = 0; r < x->nrules && !rc; r++) {
            const struct rule_relation *rr = &x->rules[r];
            size_t n = 0;
            for (size_t j = 0; j < rr->lin.nterms; j++) {
                long c = cell[i * nm + rr->measure[j]];
                if (c < 0)
                    break;
                terms[n] = (size_t)c;
                coefs[n++] = rr->lin.coef[j];
            }
            if (n != rr->lin.nterms)
                continue;
            if ((rc = tally_sdc_relation(t, terms, coefs, n, rr->lin.equality, -rr->lin.constant)))
                tally_error_set(err, rc, rc == TALLY_ENOMEM ? "out of memory"
                                                            : "disclosure: a rule names a count twice");
            else
                x->audit->relations++;
        }
    }
    /* step 1: primary suppression */
    for (size_t i = 0; i < nrows && !rc; i++) {
        const struct tally_dataset_row *row = tally_build_row_at(b, lo + i);
        for (size_t m = 0; m < nm; m++) {
            long c = cell[i * nm + m];
            int64_t v;
            char sym;
            if (c < 0 || !pol->protect[tally_build_measure_field(b, m)])
                continue;
            tally_parse_count(row->measures[m], strlen(row->measures[m]), NULL, &v, &sym);
            if (v >= pol->minimum && v <= pol->maximum)
                tally_sdc_suppress(t, (size_t)c, TALLY_SDC_PRIMARY);
        }
    }
    /* step 2: secondary suppression */
    uint64_t added = 0;
    if (!rc)
        rc = tally_sdc_protect(t, x->audit->width, &added, err);
    /* the audit, in exact arithmetic */
    for (size_t i = 0; i < nrows && !rc; i++)
        for (size_t m = 0; m < nm && !rc; m++) {
            long c = cell[i * nm + m];
            int64_t l, u;
            if (c < 0 || tally_sdc_marked(t, (size_t)c) != TALLY_SDC_PRIMARY)
                continue;
            /* In floating point first; again in exact arithmetic when the
             * interval is within 2 of the criterion (an error in the last
             * digits could move each rounded end by one, never more: the
             * coefficients are 1, -1 and small integers, the values counts). */
            if (!(rc = tally_sdc_interval(t, (size_t)c, false, &l, &u, err)) &&
                !wide_enough(l, u, x->audit->width + 2)) {
                rc = tally_sdc_interval(t, (size_t)c, true, &l, &u, err);
                x->audit->exact++;
            }
            if (!rc)
                note_interval(x->audit, lo + i, m, l, u);
        }
    /* the symbol into the rows: counts, then the percentages computed from them */
    for (size_t i = 0; i < nrows && !rc; i++) {
        struct tally_dataset_row *row = tally_build_row_mut(b, lo + i);
        for (size_t m = 0; m < nm; m++) {
            long c = cell[i * nm + m];
            enum tally_sdc_mark mk = c < 0 ? TALLY_SDC_NONE : tally_sdc_marked(t, (size_t)c);
            row->sdc[m] = (unsigned char)mk;
            if (mk == TALLY_SDC_NONE)
                continue;
            row->measures[m] = pol->symbol;
            if (mk == TALLY_SDC_PRIMARY)
                x->audit->primary++;
            else
                x->audit->secondary++;
        }
        for (size_t k = 0; k < x->s->nratios; k++) {
            const struct tally_ratio *q = &x->s->ratios[k];
            size_t mn = 0, md = 0;
            while (mn < nm && tally_build_measure_field(b, mn) != q->numerator)
                mn++;
            while (md < nm && tally_build_measure_field(b, md) != q->denominator)
                md++;
            if (mn == nm || md == nm)
                continue;
            long cn = cell[i * nm + mn], cd = cell[i * nm + md];
            unsigned sn = row->sdc[mn], sd = row->sdc[md];
            if (cn < 0 || cd < 0 || (sn == TALLY_SDC_NONE && sd == TALLY_SDC_NONE))
                continue;   /* a symbol makes it "" whatever the values; or nothing hidden */
            /* Empty with both counts numbers: mixed symbols among the authorities
             * (public) when in_care > 0, or in_care 0 — which a "" would give
             * away when in_care is hidden. */
            if (!*row->ratios[k] && t->cells[cd].value > 0)
                continue;
            row->ratios[k] = pol->symbol;
            bool primary = sn == TALLY_SDC_PRIMARY || sd == TALLY_SDC_PRIMARY;
            row->ratio_sdc[k] = primary ? TALLY_SDC_PRIMARY : TALLY_SDC_SECONDARY;
            if (primary)
                x->audit->primary_ratios++;
            else
                x->audit->secondary_ratios++;
        }
    }
    x->audit->lps += t ? tally_sdc_lps(t) : 0;
out:
    free(cell);
    free(terms);
    free(coefs);
    tally_sdc_free(t);
    return rc;
}

void tally_disclosure_thread_end(void)
{
    glp_free_env();
}

/* Each unsafe cell as an error diagnostic, with the cell in words. */
static void report_unsafe(const struct tally_build *b, const struct tally_schema *s,
                          const struct tally_disclosure_audit *a, struct tally_diag_sink sink)
{
    for (size_t i = 0; i < a->nunsafe; i++) {
        const struct tally_disclosure_cell *c = &a->unsafe[i];
        const struct tally_dataset_row *row = tally_build_row_at(b, c->row);
        tally_emit_at(&sink, NULL, NULL, NULL, 0, NULL, NULL, TALLY_PATH_NONE, NULL,
                      TALLY_SEV_ERROR, TALLY_CODE_DISCLOSURE_UNSAFE, "%s of %s (%s), cohort %s, "
                      "%s to %s, suppressed as %s, can be narrowed down to %lld to %lld from the "
                      "published figures (an interval at least %lld wide is needed)",
                      s->fields[tally_build_measure_field(b, c->measure)].name, row->area_name,
                      row->area_code, row->cohort, row->period_start, row->period_end,
                      a->symbol, (long long)c->lower, (long long)c->upper, (long long)a->width);
    }
    if (a->unsafe_total > a->nunsafe)
        tally_emit_at(&sink, NULL, NULL, NULL, 0, NULL, NULL, TALLY_PATH_NONE, NULL,
                      TALLY_SEV_ERROR, TALLY_CODE_DISCLOSURE_UNSAFE, "and %llu more suppressed "
                      "cells can be narrowed down too far",
                      (unsigned long long)(a->unsafe_total - a->nunsafe));
}

int tally_build_disclose(struct tally_build *b, const struct tally_schema *s,
                         struct tally_diag_sink sink, struct tally_disclosure_audit *audit,
                         struct tally_error *err)
{
    const struct tally_disclosure_policy *pol = &s->disclosure;
    *audit = (struct tally_disclosure_audit){
        .schema = s,
        .passed = true,
        .minimum = pol->minimum,
        .maximum = pol->maximum,
        .symbol = pol->symbol,
        .width = pol->maximum - pol->minimum + 1,
    };
    struct table_ctx x = {.b = b, .s = s, .nm = tally_build_nmeasures(b), .audit = audit};
    struct rule_relation *rules = NULL;
    if (rule_relations(b, s, &rules, &x.nrules, &audit->rules) != TALLY_OK)
        return tally_error_set(err, TALLY_ENOMEM, "out of memory");
    x.rules = rules;
    int rc = TALLY_OK;
    size_t n = tally_build_nrows(b);
    for (size_t lo = 0, hi; lo < n && rc == TALLY_OK; lo = hi) {
        for (hi = lo + 1; hi < n && same_table(tally_build_row_at(b, lo), tally_build_row_at(b, hi));
             hi++)
            ;
        audit->tables++;
        rc = disclose_table(&x, lo, hi, err);
    }
    free(rules);
    if (rc)
        audit->passed = false;
    else
        report_unsafe(b, s, audit, sink);
    return rc;
}

void tally_disclosure_audit_fini(struct tally_disclosure_audit *audit)
{
    free(audit->rules);
    audit->rules = NULL;
}

/* ---- the audit in reports ---------------------------------------------------------- */

void tally_disclosure_cell_text(FILE *out, const struct tally_build *b,
                                const struct tally_schema *s,
                                const struct tally_disclosure_cell *c)
{
    const struct tally_dataset_row *row = tally_build_row_at(b, c->row);
    fprintf(out, "%s of %s (%s), cohort %s, %s to %s",
            s->fields[tally_build_measure_field(b, c->measure)].name, row->area_name,
            row->area_code, row->cohort, row->period_start, row->period_end);
}

static void json_int(FILE *out, int64_t n, bool has)
{
    if (has)
        fprintf(out, "%lld", (long long)n);
    else
        fputs("null", out);
}

static void json_cell(FILE *out, const struct tally_build *b, const struct tally_schema *s,
                      const struct tally_disclosure_cell *c)
{
    const struct tally_dataset_row *row = tally_build_row_at(b, c->row);
    fputs("{\"period_start\": ", out);
    tally_json_cstring(out, row->period_start);
    fputs(", \"period_end\": ", out);
    tally_json_cstring(out, row->period_end);
    fputs(", \"cohort\": ", out);
    tally_json_cstring(out, row->cohort);
    fputs(", \"geographic_level\": ", out);
    tally_json_cstring(out, row->level);
    fputs(", \"area_code\": ", out);
    tally_json_cstring(out, row->area_code);
    fputs(", \"area_name\": ", out);
    tally_json_cstring(out, row->area_name);
    fputs(", \"measure\": ", out);
    tally_json_cstring(out, s->fields[tally_build_measure_field(b, c->measure)].name);
    bool lo = c->lower != INT64_MIN, hi = c->upper != TALLY_SDC_NO_BOUND;
    fputs(", \"lower\": ", out);
    json_int(out, c->lower, lo);
    fputs(", \"upper\": ", out);
    json_int(out, c->upper, hi);
    fputs(", \"width\": ", out);
    json_int(out, c->upper - c->lower, lo && hi);
    putc('}', out);
}

void tally_disclosure_json(FILE *out, const struct tally_disclosure_audit *a,
                           const struct tally_build *b, bool waived, int indent)
{
    if (!a) {
        fprintf(out, "{\"controlled\": false, \"waived\": %s}", waived ? "true" : "false");
        return;
    }
    const struct tally_schema *s = a->schema;
    fprintf(out, "{\"controlled\": true, \"passed\": %s,\n%*s\"policy\": {\"measures\": [",
            a->passed ? "true" : "false", indent + 2, "");
    bool first = true;
    for (size_t i = 0; i < s->nfields; i++)
        if (s->disclosure.protect[i]) {
            fputs(first ? "" : ", ", out);
            tally_json_cstring(out, s->fields[i].name);
            first = false;
        }
    fprintf(out, "], \"range\": [%lld, %lld], \"symbol\": ", (long long)a->minimum,
            (long long)a->maximum);
    tally_json_cstring(out, a->symbol);
    fprintf(out, "},\n%*s\"criterion\": \"every primary cell's interval: upper - lower >= %lld\","
            "\n%*s\"tables\": %llu, \"cells\": %llu,\n%*s\"primary\": {\"counts\": %llu, "
            "\"percentages\": %llu},\n%*s\"secondary\": {\"counts\": %llu, \"percentages\": "
            "%llu},\n%*s\"relations\": %llu, \"rules\": [",
            indent + 2, "", (long long)a->width, indent + 2, "", (unsigned long long)a->tables,
            (unsigned long long)a->cells, indent + 2, "", (unsigned long long)a->primary,
            (unsigned long long)a->primary_ratios, indent + 2, "",
            (unsigned long long)a->secondary, (unsigned long long)a->secondary_ratios,
            indent + 2, "", (unsigned long long)a->relations);
    for (size_t i = 0; a->rules && a->rules[i]; i++) {
        fputs(i ? ", " : "", out);
        tally_json_cstring(out, a->rules[i]);
    }
    fprintf(out, "], \"linear_programs\": %llu, \"confirmed_exactly\": %llu,\n%*s\"narrowest\": ",
            (unsigned long long)a->lps, (unsigned long long)a->exact, indent + 2, "");
    if (a->has_narrowest)
        json_cell(out, b, s, &a->narrowest);
    else
        fputs("null", out);
    fprintf(out, ",\n%*s\"unsafe_total\": %llu, \"unsafe\": [", indent + 2, "",
            (unsigned long long)a->unsafe_total);
    for (size_t i = 0; i < a->nunsafe; i++) {
        fprintf(out, "%s\n%*s", i ? "," : "", indent + 4, "");
        json_cell(out, b, s, &a->unsafe[i]);
    }
    fputs("]}", out);
}
