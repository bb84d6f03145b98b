/*
 * disclosure.h — statistical disclosure control of the national dataset
 * (doc/dataset-format.md §4, `tally build --disclosure`).
 *
 * Two layers:
 *
 *   tally_sdc_*            one table: cells with their true values, the linear
 *                          relations an attacker knows between them, which are
 *                          suppressed; the interval a suppressed cell could take
 *                          given every published cell (two linear programs,
 *                          GLPK); secondary suppression until every primary
 *                          cell's interval is wide enough.
 *   tally_build_disclose   the build's rows as such tables, one per period and
 *                          cohort: the policy of the schema (dataset.disclosure),
 *                          sums authority -> region -> nation -> UK, the
 *                          schema's linear rules within an authority's row;
 *                          then the audit, and "c" written into the rows.
 *
 *   struct tally_disclosure_audit audit;
 *   if (tally_build_disclose(build, schema, &audit, &err) != TALLY_OK)
 *       ...failure (out of memory, a table that contradicts itself)...
 *   if (!audit.passed)
 *       ...publish nothing: some primary cell could be narrowed down...
 *   tally_disclosure_audit_fini(&audit);
 *
 * GLPK: every problem is created, solved and deleted by the calling thread,
 * with its messages off (msg_lev GLP_MSG_OFF per call; glp_term_out, which is
 * per thread, is never touched). GLPK keeps an environment per thread
 * (thread-local storage in Debian's build) from its first use until
 * glp_free_env(); the library never calls that, as it would free every GLPK
 * object of the thread, so the CLI calls it when it ends. GLPK aborts the
 * process on out-of-memory or an invalid call, with no error return: the
 * problems built here are valid by construction (no duplicate matrix entry,
 * finite bounds in order).
 */
#ifndef TALLY_DISCLOSURE_H
#define TALLY_DISCLOSURE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "tally/build.h"
#include "tally/diag.h"
#include "tally/schema.h"
#include "tally/status.h"

#ifdef __cplusplus
extern "C" {
#endif

#define TALLY_SDC_NO_BOUND INT64_MAX  /* an interval's upper end when nothing bounds it */

/* ---- one table ------------------------------------------------------------------ */

struct tally_sdc;

/* An empty table. NULL when out of memory. Free with tally_sdc_free. */
struct tally_sdc *tally_sdc_new(void);
void tally_sdc_free(struct tally_sdc *t);

/*
 * Add a cell: its true value, the bounds every reader knows it lies in
 * (minimum, maximum; maximum TALLY_SDC_NO_BOUND for none), and its rank for
 * choosing complements (0 authority, 1 region, 2 nation, 3 UK: higher ranks
 * are suppressed last). Returns its index, or -1 when out of memory.
 */
long tally_sdc_cell(struct tally_sdc *t, int64_t value, int64_t minimum, int64_t maximum,
                    unsigned rank);

/*
 * Add a relation: sum of coef[i] * cell[i] == rhs (equality) or <= rhs.
 * The cells must be distinct. TALLY_ENOMEM or TALLY_EINVAL (a cell out of
 * range, twice, or a coefficient of 0).
 */
int tally_sdc_relation(struct tally_sdc *t, const size_t *cells, const int64_t *coef, size_t n,
                       bool equality, int64_t rhs);

/* Mark a cell (enum tally_sdc_mark of build.h); read it back. */
void tally_sdc_suppress(struct tally_sdc *t, size_t cell, enum tally_sdc_mark mark);
enum tally_sdc_mark tally_sdc_marked(const struct tally_sdc *t, size_t cell);
size_t tally_sdc_ncells(const struct tally_sdc *t);

/*
 * The interval [*lower, *upper] a cell could take given the values of every
 * unsuppressed cell, every relation and every cell's bounds: the minimum and
 * maximum of two linear programs, rounded inwards to whole numbers (counts
 * are whole). exact: confirm each optimum in exact rational arithmetic
 * (glp_exact) as well. TALLY_EINVAL when the relations contradict the values
 * (the table is not what it claims), TALLY_ENOMEM.
 */
int tally_sdc_interval(struct tally_sdc *t, size_t cell, bool exact, int64_t *lower,
                       int64_t *upper, struct tally_error *err);

/* How many linear programs the table has solved so far. */
uint64_t tally_sdc_lps(const struct tally_sdc *t);

/*
 * Secondary suppression: for each primary cell (authorities' first) whose
 * interval is narrower than width (upper - lower < width), solve the
 * complement problem: the cheapest way to move published cells so that the
 * cell could lie `width` above its lowest value (or below its highest), the
 * relations and bounds still holding; suppress the cells it moves, and look
 * again. Cheapest: an authority's cell before a region's, a nation's or the
 * UK's; a non-zero before a zero; the smaller value (disclosure.c gives the
 * costs). Suppressing a cell only ever widens intervals, so a cell once wide
 * enough stays so. Stops when every primary cell is wide enough, or when
 * nothing suppressible would widen one (the audit then fails). *added counts
 * the cells it suppressed.
 */
int tally_sdc_protect(struct tally_sdc *t, int64_t width, uint64_t *added,
                      struct tally_error *err);

/* ---- the build's tables ------------------------------------------------------------ */

struct tally_disclosure_cell {
    size_t row;             /* tally_build_row_at index */
    size_t measure;         /* measure index (tally_build_measure_field) */
    int64_t lower, upper;   /* the interval an attacker can tell; upper may be TALLY_SDC_NO_BOUND */
};

#define TALLY_DISCLOSURE_MAX_UNSAFE 20  /* unsafe cells listed; all are counted */

struct tally_disclosure_audit {
    const struct tally_schema *schema;  /* borrowed: the policy and the measures' names */
    bool passed;            /* every primary cell's interval is at least `width` wide */
    int64_t minimum, maximum;   /* the range suppressed */
    const char *symbol;     /* borrowed from the schema */
    int64_t width;          /* the interval width required: maximum - minimum + 1 */
    uint64_t tables;        /* period x cohort tables */
    uint64_t cells;         /* count cells that held a number */
    uint64_t primary;       /* step 1: protected counts in the range */
    uint64_t primary_ratios;    /* ... and the percentages computed from them */
    uint64_t secondary;     /* step 2: counts suppressed so no primary can be recovered */
    uint64_t secondary_ratios;  /* ... and the percentages computed from them */
    uint64_t relations;     /* linear relations the audit used (sums and rules) */
    uint64_t lps;           /* linear programs solved */
    uint64_t exact;         /* primary cells whose interval was confirmed in exact arithmetic */
    const char **rules;     /* ids of the schema rules used as relations, NULL-terminated;
                               the array is owned, the ids borrowed from the schema */
    bool has_narrowest;
    struct tally_disclosure_cell narrowest;     /* the primary cell with the narrowest interval */
    struct tally_disclosure_cell unsafe[TALLY_DISCLOSURE_MAX_UNSAFE];
    size_t nunsafe;         /* listed in unsafe[] */
    uint64_t unsafe_total;  /* primary cells whose interval is too narrow */
};

/*
 * Apply the schema's disclosure policy to a finished build: primary and
 * secondary suppression in every period and cohort, the audit (each primary
 * cell whose interval is too narrow is a `disclosure-unsafe` error to sink,
 * at most TALLY_DISCLOSURE_MAX_UNSAFE of them, then one that counts the
 * rest), and the symbol written into the rows' counts and percentages (row->sdc and
 * row->ratio_sdc say which and why). Fills *audit (even on failure, as far
 * as it got; release with tally_disclosure_audit_fini). TALLY_OK when the
 * audit ran — audit->passed says whether it passed; TALLY_ENOMEM, or
 * TALLY_EINVAL when a table contradicts its own relations.
 */
int tally_build_disclose(struct tally_build *b, const struct tally_schema *schema,
                         struct tally_diag_sink sink, struct tally_disclosure_audit *audit,
                         struct tally_error *err);

/* Free GLPK's environment of the calling thread (glp_free_env). Call only
 * when the thread holds no GLPK object: once per thread that ran
 * tally_build_disclose, at its end (the CLI does, once, at its end). */
void tally_disclosure_thread_end(void);

void tally_disclosure_audit_fini(struct tally_disclosure_audit *audit);

/* A cell in words, to out: "went_missing of Leicester (E06000016), cohort uasc,
 * 2014-10-01 to 2015-09-30". */
void tally_disclosure_cell_text(FILE *out, const struct tally_build *b,
                                const struct tally_schema *schema,
                                const struct tally_disclosure_cell *cell);

/*
 * The audit as one JSON object (indented by `indent` spaces after each line
 * break; no trailing newline), for report.json and manifest.json:
 * {"controlled": true, "passed": ..., "policy": {...}, "primary": {...}, ...}.
 * audit NULL: the outputs are not disclosure-controlled:
 * {"controlled": false, "waived": WAIVED} (waived: --no-disclosure was said).
 */
void tally_disclosure_json(FILE *out, const struct tally_disclosure_audit *audit,
                           const struct tally_build *b, bool waived, int indent);

/* The schema's error rules that are linear over its integer fields, as
 * relations: how many (each rule may give several constraints). */
size_t tally_disclosure_linear_rules(const struct tally_schema *schema, const char **ids,
                                     size_t max);

#ifdef __cplusplus
}
#endif

#endif
