/*
 * report/text.c — the text report: one line per diagnostic in the form
 * compilers use, so editors and CI logs can jump to it,
 *
 *   returns/northants.csv:3:35: error[found-le-went-missing]: found (16) exceeds ...
 *   returns/kent.xlsx:7:3: error[type]: Sheet1!C7: in_care must be a whole number ...
 *
 * then one summary line (unless --quiet):
 *
 *   2 files, 40 records: 1 error, 2 warnings, 0 infos
 *
 * and, in a run without --clean that --clean would change, one line more:
 *
 *   12 values could be repaired with --clean
 */
#include <stdlib.h>

#include "report/reports.h"
#include "tally/disclosure.h"

static int text_open(struct tally_report **out, FILE *fp, struct tally_error *err)
{
    struct tally_report *r = calloc(1, sizeof *r);
    if (!r)
        return tally_error_set(err, TALLY_ENOMEM, "out of memory");
    r->ops = &tally_text_report;
    r->out = fp;
    *out = r;
    return TALLY_OK;
}

static int text_diag(struct tally_report *r, const struct tally_diag *d)
{
    FILE *out = r->out;
    fputs(d->file ? d->file : "tally", out);
    if (d->line) {
        fprintf(out, ":%u", d->line);
        if (d->column)
            fprintf(out, ":%u", d->column);
    }
    fprintf(out, ": %s[%s]: %s%s%s\n", tally_severity_name(d->severity), d->code,
            d->cell ? d->cell : "", d->cell ? ": " : "", d->message);
    return TALLY_OK;
}

static const char *plural(uint64_t n, const char *one, const char *many)
{
    return n == 1 ? one : many;
}

/* The disclosure audit and the publication, a line each. */
static void disclosure_lines(FILE *o, const struct tally_report_summary *s)
{
    const struct tally_disclosure_audit *a = s->disclosure;
    if (s->disclosure_waived)
        fputs("disclosure: none (--no-disclosure): the outputs are not disclosure-controlled\n", o);
    if (a) {
        fprintf(o, "disclosure: counts of %lld to %lld published as %s; %llu %s (and %llu %s) "
                "suppressed as primary, %llu %s (and %llu %s) as secondary; ",
                (long long)a->minimum, (long long)a->maximum, a->symbol,
                (unsigned long long)a->primary, plural(a->primary, "count", "counts"),
                (unsigned long long)a->primary_ratios,
                plural(a->primary_ratios, "percentage", "percentages"),
                (unsigned long long)a->secondary, plural(a->secondary, "count", "counts"),
                (unsigned long long)a->secondary_ratios,
                plural(a->secondary_ratios, "percentage", "percentages"));
        if (a->has_narrowest && s->dataset) {
            const struct tally_disclosure_cell *c = &a->narrowest;
            fputs("narrowest interval ", o);
            if (c->upper == TALLY_SDC_NO_BOUND)
                fprintf(o, "%lld or more (unbounded)", (long long)c->lower);
            else
                fprintf(o, "%lld to %lld (width %lld)", (long long)c->lower, (long long)c->upper,
                        (long long)(c->upper - c->lower));
            fputs(", ", o);
            tally_disclosure_cell_text(o, s->dataset, a->schema, c);
        } else {
            fputs("no cell needed suppressing", o);
        }
        if (a->passed)
            fprintf(o, "; audit passed: every interval at least %lld wide\n", (long long)a->width);
        else
            fprintf(o, "; audit FAILED: %llu %s narrower than %lld: nothing is published\n",
                    (unsigned long long)a->unsafe_total,
                    plural(a->unsafe_total, "interval", "intervals"), (long long)a->width);
    }
    const struct tally_report_publication *p = s->publication;
    if (p) {
        fprintf(o, "published: %s (%llu %s) and %s", p->data_file, (unsigned long long)p->rows,
                plural(p->rows, "row", "rows"), p->meta_file);
        if (p->nleft_out) {
            fprintf(o, "; left out, EES's local authorities being England's: %zu %s:",
                    p->nleft_out, p->nleft_out == 1 ? "authority" : "authorities");
            for (size_t i = 0; i < p->nleft_out; i++)
                fprintf(o, "%s %s", i ? "," : "", p->left_out[i]);
        }
        putc('\n', o);
    }
}

static int text_finish(struct tally_report *r, const struct tally_report_summary *s,
                       const struct tally_report_file *files, size_t nfiles,
                       struct tally_error *err)
{
    (void)files;
    (void)nfiles;
    (void)err;
    if (s->truncated)
        fprintf(r->out, "tally: details stopped after %llu %s (--max-errors); the counts below "
                "are complete\n", (unsigned long long)s->max_errors,
                plural(s->max_errors, "error", "errors"));
    if (s->build && !s->quiet)
        fprintf(r->out, "build: %llu records read = %llu accepted + %llu rejected + %llu "
                "superseded + %llu duplicate; %llu %s sent nothing\n",
                (unsigned long long)s->records, (unsigned long long)s->fates[0],
                (unsigned long long)s->fates[1], (unsigned long long)s->fates[2],
                (unsigned long long)s->fates[3], (unsigned long long)s->authorities_missing,
                plural(s->authorities_missing, "authority", "authorities"));
    if (s->build && !s->quiet)
        disclosure_lines(r->out, s);
    if (!s->quiet)
        fprintf(r->out, "%llu %s, %llu %s: %llu %s, %llu %s, %llu %s\n",
                (unsigned long long)s->files, plural(s->files, "file", "files"),
                (unsigned long long)s->records, plural(s->records, "record", "records"),
                (unsigned long long)s->errors, plural(s->errors, "error", "errors"),
                (unsigned long long)s->warnings, plural(s->warnings, "warning", "warnings"),
                (unsigned long long)s->infos, plural(s->infos, "info", "infos"));
    if (!s->quiet && s->repairable)
        fprintf(r->out, "%llu %s could be repaired with --clean\n",
                (unsigned long long)s->repairable, plural(s->repairable, "value", "values"));
    return TALLY_OK;
}

static void text_close(struct tally_report *r)
{
    free(r);
}

const struct tally_report_ops tally_text_report = {
    .name = "text",
    .open = text_open,
    .diag = text_diag,
    .finish = text_finish,
    .close = text_close,
};
