/*
 * writers/ees.c — the national dataset in DfE's open data format for
 * explore-education-statistics (EES), for `tally build --publish ees`
 * (dataset.h, doc/dataset-format.md §7):
 *
 *   DIR/ees/missing_from_care.csv        the data: one row per period, area
 *                                        and cohort
 *   DIR/ees/missing_from_care.meta.csv   what each filter and indicator is
 *
 * The rules followed are DfE's (analysts' guide, "Open data standards") as
 * its screener (eesyscreener) checks them; tests/ees/check.py checks every
 * one of them on our output. In short:
 *
 *   time          time_period and time_identifier from the period's days
 *                 (tally_ees_time); one kind of period per file
 *   geography     National rows (UK and each nation: country_code and
 *                 country_name), Regional rows (England's regions, with
 *                 England's country columns), Local authority rows (English
 *                 authorities: new_la_code, la_name, old_la_code — DfE's
 *                 three-digit number, "x" for the few it has none for — and
 *                 their region's columns); columns that do not apply to a
 *                 level are blank, as EES requires. Authorities of Wales,
 *                 Scotland and Northern Ireland are left out (EES's local
 *                 authority lookup is England's) and listed in the reports.
 *   filter        the cohort, its items labelled as the schema says, with
 *                 filter_default (cohorts overlap, so there is no Total)
 *   indicators    as the schema's "ees" section lists them, snake_case with
 *                 their unit (in_care_count, went_missing_percent); never a
 *                 blank: a count is a number or a symbol (x, c, z); a
 *                 percentage that cannot be computed is z when its
 *                 denominator is a published 0 (not applicable) and x
 *                 otherwise (not available); with --previous and
 *                 --population, each indicator's previous value, change
 *                 and rate per 10,000 (indicators_of)
 */
#include <stdlib.h>
#include <string.h>

#include "core/csvtext.h"
#include "core/emit.h"
#include "core/grow.h"
#include "tally/dataset.h"

/* ---- time ------------------------------------------------------------------------ */

enum ees_group {
    G_FINANCIAL_YEAR = 1, G_ACADEMIC_YEAR, G_CALENDAR_YEAR, G_TAX_YEAR, G_FINANCIAL_QUARTER,
    G_FINANCIAL_HALF, G_MONTH, G_REPORTING_YEAR
};

static const char *const months[12] = {"January", "February", "March", "April", "May", "June",
                                       "July", "August", "September", "October", "November",
                                       "December"};

static bool ymd(const char *s, int *y, int *m, int *d)
{
    int64_t days;
    if (!s || strlen(s) != 10 || !tally_parse_date(s, 10, &days))
        return false;
    *y = atoi(s);
    *m = atoi(s + 5);
    *d = atoi(s + 8);
    return true;
}

static bool leap(int y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int month_days(int y, int m)
{
    static const int n[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return m == 2 && leap(y) ? 29 : n[m - 1];
}

/* Years are 1000-9999 (tally_parse_date), so these fit. */
static void six(struct tally_ees_time *t, int first_year)
{
    snprintf(t->period, sizeof t->period, "%04u%02u", (unsigned)first_year % 10000u,
             (unsigned)(first_year + 1) % 100u);
}

static void four(struct tally_ees_time *t, int year)
{
    snprintf(t->period, sizeof t->period, "%04u", (unsigned)year % 10000u);
}

bool tally_ees_time(const char *start, const char *end, struct tally_ees_time *t)
{
    int sy, sm, sd, ey, em, ed;
    if (!ymd(start, &sy, &sm, &sd) || !ymd(end, &ey, &em, &ed))
        return false;
    *t = (struct tally_ees_time){{0}, NULL, 0};
#define IS(a, b, c, d, e, f) (sm == (a) && sd == (b) && em == (c) && ed == (d) && ey == sy + (e) && (f))
    if (IS(4, 1, 3, 31, 1, true)) {
        six(t, sy);
        t->identifier = "Financial year";
        t->group = G_FINANCIAL_YEAR;
    } else if (IS(9, 1, 8, 31, 1, true)) {
        six(t, sy);
        t->identifier = "Academic year";
        t->group = G_ACADEMIC_YEAR;
    } else if (IS(1, 1, 12, 31, 0, true)) {
        four(t, sy);
        t->identifier = "Calendar year";
        t->group = G_CALENDAR_YEAR;
    } else if (IS(4, 6, 4, 5, 1, true)) {
        six(t, sy);
        t->identifier = "Tax year";
        t->group = G_TAX_YEAR;
    } else if (IS(4, 1, 6, 30, 0, true) || IS(7, 1, 9, 30, 0, true) || IS(10, 1, 12, 31, 0, true) ||
               IS(1, 1, 3, 31, 0, true)) {
        static const char *const q[4] = {"Financial year Q4", "Financial year Q1",
                                         "Financial year Q2", "Financial year Q3"};
        six(t, sm >= 4 ? sy : sy - 1);
        t->identifier = q[(sm - 1) / 3];
        t->group = G_FINANCIAL_QUARTER;
    } else if (IS(4, 1, 9, 30, 0, true) || IS(10, 1, 3, 31, 1, true)) {
        six(t, sy);
        t->identifier = sm == 4 ? "Part 1 (April to September)" : "Part 2 (October to March)";
        t->group = G_FINANCIAL_HALF;
    } else if (sd == 1 && ey == sy && em == sm && ed == month_days(sy, sm)) {
        four(t, sy);
        t->identifier = months[sm - 1];
        t->group = G_MONTH;
    } else {
        /* a twelve-month window: it ends the day before the same date a year on */
        char next[16];
        int64_t e, n;
        snprintf(next, sizeof next, "%04u-%02u-%02u", (unsigned)(sy + 1) % 10000u,
                 (unsigned)sm % 100u, (unsigned)sd % 100u);
        if (!tally_parse_date(end, 10, &e) || !tally_parse_date(next, strlen(next), &n) ||
            e + 1 != n)
            return false;
        four(t, ey);
        t->identifier = "Reporting year";
        t->group = G_REPORTING_YEAR;
    }
#undef IS
    return true;
}

size_t tally_ees_check(const struct tally_build *b, struct tally_diag_sink sink)
{
    size_t n = tally_build_nperiods(b), problems = 0;
    struct tally_ees_time first = {{0}, NULL, 0};
    const struct tally_period_coverage *first_p = NULL;
    for (size_t i = 0; i < n; i++) {
        const struct tally_period_coverage *p = tally_build_period_at(b, i);
        struct tally_ees_time t;
        if (!tally_ees_time(p->start, p->end, &t)) {
            problems++;
            tally_emit_at(&sink, NULL, NULL, NULL, 0, NULL, NULL, TALLY_PATH_NONE, NULL,
                          TALLY_SEV_ERROR, TALLY_CODE_PUBLISH_PERIOD, "EES cannot name the period "
                          "%s to %s: it is not a financial, academic, calendar or tax year, a "
                          "financial quarter or half, a calendar month, or a twelve-month window",
                          p->start, p->end);
            continue;
        }
        if (!first_p) {
            first = t;
            first_p = p;
            continue;
        }
        if (t.group != first.group) {
            problems++;
            tally_emit_at(&sink, NULL, NULL, NULL, 0, NULL, NULL, TALLY_PATH_NONE, NULL,
                          TALLY_SEV_ERROR, TALLY_CODE_PUBLISH_PERIOD, "EES cannot hold the period "
                          "%s to %s (%s %s) in one file with %s to %s (%s %s): conceptually "
                          "different periods go in different files", p->start, p->end,
                          t.identifier, t.period, first_p->start, first_p->end, first.identifier,
                          first.period);
            continue;
        }
        for (size_t j = 0; j < i; j++) {
            const struct tally_period_coverage *q = tally_build_period_at(b, j);
            struct tally_ees_time u;
            if (tally_ees_time(q->start, q->end, &u) && strcmp(u.period, t.period) == 0 &&
                strcmp(u.identifier, t.identifier) == 0) {
                problems++;
                tally_emit_at(&sink, NULL, NULL, NULL, 0, NULL, NULL, TALLY_PATH_NONE, NULL,
                              TALLY_SEV_ERROR, TALLY_CODE_PUBLISH_PERIOD, "EES would name both "
                              "%s to %s and %s to %s %s %s: its rows would clash", q->start,
                              q->end, p->start, p->end, t.identifier, t.period);
                break;
            }
        }
    }
    return problems;
}

/* ---- the files ------------------------------------------------------------------- */

#define ENGLAND "E92000001"

static const char *const geography_columns[] = {
    "time_period", "time_identifier", "geographic_level", "country_code", "country_name",
    "region_code", "region_name", "new_la_code", "la_name", "old_la_code", NULL};

/* The text of a dataset column of row, by name ("" when unknown). */
static const char *column_text(const struct tally_build *b, const struct tally_dataset_row *row,
                               const char *name, char buf[24])
{
    const char *const *cols = tally_build_columns(b);
    for (size_t c = 0; cols[c]; c++)
        if (strcmp(cols[c], name) == 0)
            return tally_build_cell(b, row, c, buf);
    return "";
}

/* The area names of a row's nation and region: England's rows only have regions. */
static const char *area_name_of(const struct tally_build *b, size_t lo, size_t hi,
                                const char *code)
{
    for (size_t i = lo; i < hi; i++) {
        const struct tally_dataset_row *r = tally_build_row_at(b, i);
        if (strcmp(r->level, "authority") != 0 && strcmp(r->area_code, code) == 0)
            return r->area_name;
    }
    return NULL;
}

static int cmp_text(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The indicator's value: never blank. */
static const char *indicator_value(const struct tally_build *b, const struct tally_schema *s,
                                   const struct tally_dataset_row *row,
                                   const struct tally_ees_indicator *ind, char buf[24])
{
    const char *v = column_text(b, row, ind->column, buf);
    if (*v)
        return v;
    /* an empty percentage: z when its denominator is a published 0 */
    for (size_t k = 0; k < s->nratios; k++)
        if (strcmp(s->ratios[k].name, ind->column) == 0) {
            char dbuf[24];
            const char *den = column_text(b, row, s->fields[s->ratios[k].denominator].name, dbuf);
            return strcmp(den, "0") == 0 ? "z" : "x";
        }
    return "x";
}

/* ---- indicators --------------------------------------------------------------------- */

static bool has_column(const struct tally_build *b, const char *name)
{
    const char *const *cols = tally_build_columns(b);
    for (size_t c = 0; cols[c]; c++)
        if (strcmp(cols[c], name) == 0)
            return true;
    return false;
}

static char *joined(const char *a, const char *b, const char *c)
{
    size_t n = strlen(a) + strlen(b) + strlen(c) + 1;
    char *s = malloc(n);
    if (s)
        snprintf(s, n, "%s%s%s", a, b, c);
    return s;
}

static void indicators_free(struct tally_ees_indicator *v, size_t n, size_t own_from)
{
    for (size_t i = own_from; i < n; i++) {
        free(v[i].column);
        free(v[i].name);
        free(v[i].label);
    }
    free(v);
}

/*
 * The schema's indicators, then those the build's extra columns give: with
 * --previous, for each count and percentage, its previous value and its
 * change (in_care_previous_count, in_care_change_count,
 * went_missing_previous_percent, went_missing_change_percentage_points, unit
 * pp); with --population, each count's rate (in_care_rate_per_10000). Names
 * keep the schema's unit last: the indicator's name less its last _word is
 * its stem. Entries from own_from on are allocated (their column, name and
 * label); grouping and unit are borrowed or literals.
 */
static struct tally_ees_indicator *indicators_of(const struct tally_build *b,
                                                 const struct tally_ees_spec *x, size_t *n,
                                                 size_t *own_from)
{
    struct tally_ees_indicator *v = calloc(4 * x->nindicators + 1, sizeof *v);
    if (!v)
        return NULL;
    memcpy(v, x->indicators, x->nindicators * sizeof *v);
    size_t k = x->nindicators;
    *own_from = k;
    for (int pass = 0; pass < 3; pass++)
        for (size_t i = 0; i < x->nindicators; i++) {
            const struct tally_ees_indicator *ind = &x->indicators[i];
            static const char *const suffix[] = {"_previous", "_change", "_per_10000"};
            char *column = joined(ind->column, suffix[pass], "");
            if (!column) {
                indicators_free(v, k, *own_from);
                return NULL;
            }
            if (!has_column(b, column)) {
                free(column);
                continue;
            }
            const char *us = strrchr(ind->name, '_');
            size_t stem = us ? (size_t)(us - ind->name) : strlen(ind->name);
            const char *unit = us ? us + 1 : "";
            bool percent = strcmp(ind->unit, "%") == 0;
            char *name = malloc(stem + 64), *label;
            if (name) {
                if (pass == 0)
                    snprintf(name, stem + 64, "%.*s_previous_%s", (int)stem, ind->name, unit);
                else if (pass == 1)
                    snprintf(name, stem + 64, "%.*s_change_%s", (int)stem, ind->name,
                             percent ? "percentage_points" : unit);
                else
                    snprintf(name, stem + 64, "%.*s_rate_per_10000", (int)stem, ind->name);
            }
            /* "Change in children looked after ...": the label's first letter lowered,
             * unless it starts an acronym (UK) */
            char lowered[2] = {ind->label[0], '\0'};
            if (lowered[0] >= 'A' && lowered[0] <= 'Z' &&
                !(ind->label[1] >= 'A' && ind->label[1] <= 'Z'))
                lowered[0] = (char)(lowered[0] - 'A' + 'a');
            if (pass == 0)
                label = joined(ind->label, ", previous period", "");
            else if (pass == 1) {
                char *rest = joined("Change in ", lowered, ind->label[0] ? ind->label + 1 : "");
                label = rest ? joined(rest, " since the previous period", "") : NULL;
                free(rest);
            } else
                label = joined(ind->label, " per 10,000 children", "");
            if (!name || !label) {
                free(column);
                free(name);
                free(label);
                indicators_free(v, k, *own_from);
                return NULL;
            }
            v[k++] = (struct tally_ees_indicator){
                .column = column, .name = name, .label = label, .grouping = ind->grouping,
                .unit = pass == 1 && percent ? "pp" : pass == 2 ? "" : ind->unit,
                .dp = pass == 2 ? 1 : ind->dp};
        }
    *n = k;
    return v;
}

int tally_ees_write(FILE *data, FILE *meta, const struct tally_build *b,
                    const struct tally_schema *s, const struct tally_registry *reg,
                    struct tally_ees_result *res, struct tally_error *err)
{
    const struct tally_ees_spec *x = &s->ees;
    *res = (struct tally_ees_result){0};
    if (!x->present || x->filter_field < 0)
        return tally_error_set(err, TALLY_ESCHEMA, "--publish ees: the schema has no \"ees\" "
                               "section with a filter (dataset.ees): EES needs its labels");
    size_t left_cap = 0;
    size_t nind = 0, own_from = 0;
    struct tally_ees_indicator *inds = indicators_of(b, x, &nind, &own_from);
    if (!inds)
        return tally_error_set(err, TALLY_ENOMEM, "out of memory");

    /* the metadata: the filter, then each indicator */
    fputs("col_name,col_type,label,indicator_grouping,indicator_unit,indicator_dp,filter_hint,"
          "filter_grouping_column,filter_default\n", meta);
    /* EES wants no metadata for a filter with a single item in the data */
    size_t nrows = tally_build_nrows(b);
    bool *seen = calloc(x->nitems + 1, sizeof *seen);
    if (!seen) {
        indicators_free(inds, nind, own_from);
        return tally_error_set(err, TALLY_ENOMEM, "out of memory");
    }
    size_t distinct = 0;
    for (size_t i = 0; i < nrows; i++) {
        const struct tally_dataset_row *row = tally_build_row_at(b, i);
        for (size_t k = 0; k < x->nitems; k++)
            if (strcmp(x->item_values[k], row->cohort) == 0 && !seen[k]) {
                seen[k] = true;
                distinct++;
            }
    }
    free(seen);
    if (distinct >= 2) {
        tally_csv_value(meta, x->filter_name);
        fputs(",Filter,", meta);
        tally_csv_value(meta, x->filter_label);
        fputs(",,,,", meta);
        tally_csv_value(meta, x->filter_hint);
        fputs(",,", meta);
        tally_csv_value(meta, x->item_labels[x->default_item]);
        putc('\n', meta);
    }
    for (size_t i = 0; i < nind; i++) {
        const struct tally_ees_indicator *ind = &inds[i];
        tally_csv_value(meta, ind->name);
        fputs(",Indicator,", meta);
        tally_csv_value(meta, ind->label);
        putc(',', meta);
        tally_csv_value(meta, ind->grouping);
        putc(',', meta);
        tally_csv_value(meta, ind->unit);
        fprintf(meta, ",%d,,,\n", ind->dp);
    }

    /* the data */
    for (size_t c = 0; geography_columns[c]; c++)
        fprintf(data, "%s%s", c ? "," : "", geography_columns[c]);
    fprintf(data, ",%s", x->filter_name);
    for (size_t i = 0; i < nind; i++)
        fprintf(data, ",%s", inds[i].name);
    putc('\n', data);
    int rc = TALLY_OK;
    for (size_t lo = 0, hi; lo < nrows && rc == TALLY_OK; lo = hi) {
        const struct tally_dataset_row *first = tally_build_row_at(b, lo);
        for (hi = lo + 1; hi < nrows; hi++) {
            const struct tally_dataset_row *r = tally_build_row_at(b, hi);
            if (strcmp(r->period_start, first->period_start) || strcmp(r->period_end, first->period_end))
                break;
        }
        struct tally_ees_time t;
        if (!tally_ees_time(first->period_start, first->period_end, &t)) {
            rc = tally_error_set(err, TALLY_EINVAL, "--publish ees: EES cannot name the period "
                                 "%s to %s", first->period_start, first->period_end);
            break;
        }
        const char *england = area_name_of(b, lo, hi, ENGLAND);
        for (size_t i = lo; i < hi && rc == TALLY_OK; i++) {
            const struct tally_dataset_row *row = tally_build_row_at(b, i);
            const char *level, *ccode, *cname, *rcode = "", *rname = "", *lcode = "", *lname = "",
                       *old = "";
            if (strcmp(row->level, "uk") == 0 || strcmp(row->level, "country") == 0) {
                level = "National";
                ccode = row->area_code;
                cname = row->area_name;
            } else if (strcmp(row->level, "region") == 0) {
                level = "Regional";
                ccode = ENGLAND;
                cname = england ? england : "England";
                rcode = row->area_code;
                rname = row->area_name;
            } else if (strcmp(row->country_code, ENGLAND) == 0) {
                const struct tally_authority *a =
                    tally_registry_find(reg, row->area_code, strlen(row->area_code));
                level = "Local authority";
                ccode = ENGLAND;
                cname = england ? england : "England";
                rcode = row->region_code;
                rname = area_name_of(b, lo, hi, row->region_code);
                if (!rname)
                    rname = "";
                lcode = row->area_code;
                lname = row->area_name;
                old = a && *a->dfe_code ? a->dfe_code : "x";
            } else {
                /* not England: listed, once */
                size_t len = strlen(row->area_code) + strlen(row->area_name) + 2;
                char *item = malloc(len);
                if (!item || tally_grow((void **)&res->left_out, &left_cap, res->nleft_out,
                                        sizeof *res->left_out, 32) != TALLY_OK) {
                    free(item);
                    rc = tally_error_set(err, TALLY_ENOMEM, "out of memory");
                    break;
                }
                snprintf(item, len, "%s %s", row->area_code, row->area_name);
                res->left_out[res->nleft_out++] = item;
                continue;
            }
            const char *cells[] = {t.period, t.identifier, level, ccode, cname, rcode, rname,
                                   lcode, lname, old};
            for (size_t c = 0; c < sizeof cells / sizeof cells[0]; c++) {
                if (c)
                    putc(',', data);
                tally_csv_value(data, cells[c]);
            }
            const char *item = row->cohort;
            for (size_t k = 0; k < x->nitems; k++)
                if (strcmp(x->item_values[k], row->cohort) == 0)
                    item = x->item_labels[k];
            putc(',', data);
            tally_csv_value(data, item);
            for (size_t k = 0; k < nind; k++) {
                char buf[24];
                putc(',', data);
                tally_csv_value(data, indicator_value(b, s, row, &inds[k], buf));
            }
            putc('\n', data);
            res->rows++;
        }
    }
    /* left out: distinct, sorted */
    if (res->nleft_out > 1)
        qsort(res->left_out, res->nleft_out, sizeof *res->left_out, cmp_text);
    size_t k = 0;
    for (size_t i = 0; i < res->nleft_out; i++) {
        if (k && strcmp(res->left_out[k - 1], res->left_out[i]) == 0)
            free((char *)res->left_out[i]);
        else
            res->left_out[k++] = res->left_out[i];
    }
    res->nleft_out = k;
    indicators_free(inds, nind, own_from);
    if (rc == TALLY_OK && (ferror(data) || ferror(meta)))
        rc = tally_error_set(err, TALLY_EIO, "cannot write the EES files");
    return rc;
}

void tally_ees_result_fini(struct tally_ees_result *res)
{
    for (size_t i = 0; i < res->nleft_out; i++)
        free((char *)res->left_out[i]);
    free(res->left_out);
    res->left_out = NULL;
    res->nleft_out = 0;
}
