/*
 * report/github.c — GitHub Actions workflow commands, one per diagnostic:
 *
 *   ::error file=returns/kent.csv,line=3,col=35,title=found-le-went-missing::found (16) exceeds ...
 *
 * (::warning for warnings, ::notice for infos), so a workflow run shows each
 * problem on the offending line of the pull request. Escaping follows the
 * workflow-command rules: in the message, % CR LF become %25 %0D %0A; in a
 * property, : and , also become %3A and %2C.
 *
 * tally_report_markdown_summary writes the Markdown table the CLI appends to
 * $GITHUB_STEP_SUMMARY.
 */
#include <stdlib.h>

#include "report/reports.h"

static void escape(FILE *out, const char *s, bool property)
{
    for (; s && *s; s++) {
        switch (*s) {
        case '%': fputs("%25", out); break;
        case '\r': fputs("%0D", out); break;
        case '\n': fputs("%0A", out); break;
        case ':': fputs(property ? "%3A" : ":", out); break;
        case ',': fputs(property ? "%2C" : ",", out); break;
        default: putc(*s, out);
        }
    }
}

static int github_open(struct tally_report **out, FILE *fp, struct tally_error *err)
{
    struct tally_report *r = calloc(1, sizeof *r);
    if (!r)
        return tally_error_set(err, TALLY_ENOMEM, "out of memory");
    r->ops = &tally_github_report;
    r->out = fp;
    *out = r;
    return TALLY_OK;
}

static int github_diag(struct tally_report *r, const struct tally_diag *d)
{
    static const char *const command[] = {"error", "warning", "notice"};
    FILE *o = r->out;
    fprintf(o, "::%s ", command[d->severity]);
    if (d->file) {
        fputs("file=", o);
        escape(o, d->file, true);
        if (d->line)
            fprintf(o, ",line=%u", d->line);
        if (d->column)
            fprintf(o, ",col=%u", d->column);
        putc(',', o);
    }
    fputs("title=", o);
    escape(o, d->code, true);
    fputs("::", o);
    if (d->cell) {
        escape(o, d->cell, false);
        fputs(": ", o);
    }
    escape(o, d->message, false);
    putc('\n', o);
    return TALLY_OK;
}

static int github_finish(struct tally_report *r, const struct tally_report_summary *s,
                         const struct tally_report_file *files, size_t nfiles,
                         struct tally_error *err)
{
    (void)files, (void)nfiles, (void)err;
    if (s->truncated)
        fprintf(r->out, "::warning title=tally::details stopped after %llu error%s (--max-errors); "
                "the counts are complete\n", (unsigned long long)s->max_errors,
                s->max_errors == 1 ? "" : "s");
    if (s->quiet)       /* errors only, no summary: as in the text report */
        return TALLY_OK;
    if (s->nskipped) {
        fprintf(r->out, "::notice title=tally::%zu file%s skipped:", s->nskipped,
                s->nskipped == 1 ? "" : "s");
        for (size_t i = 0; i < s->nskipped; i++) {
            fputs(i ? ", " : " ", r->out);
            escape(r->out, s->skipped[i].path, false);
            fputs(" (", r->out);
            escape(r->out, s->skipped[i].reason, false);
            putc(')', r->out);
        }
        putc('\n', r->out);
    }
    fprintf(r->out, "::notice title=tally::%llu file%s, %llu record%s: %llu error%s, %llu "
            "warning%s, %llu info%s\n", (unsigned long long)s->files, s->files == 1 ? "" : "s",
            (unsigned long long)s->records, s->records == 1 ? "" : "s",
            (unsigned long long)s->errors, s->errors == 1 ? "" : "s",
            (unsigned long long)s->warnings, s->warnings == 1 ? "" : "s",
            (unsigned long long)s->infos, s->infos == 1 ? "" : "s");
    return TALLY_OK;
}

static void github_close(struct tally_report *r)
{
    free(r);
}

/* A Markdown cell: | and line breaks would break the table. */
static void md_cell(FILE *out, const char *s)
{
    for (; s && *s; s++)
        if (*s == '|')
            fputs("\\|", out);
        else if (*s == '\n' || *s == '\r')
            putc(' ', out);
        else
            putc(*s, out);
}

void tally_report_markdown_summary(FILE *out, const struct tally_report_summary *s,
                                   const struct tally_report_file *files, size_t nfiles)
{
    fprintf(out, "### tally: %s\n\n", s->errors ? "the returns have errors" : "the returns are valid");
    fprintf(out, "%llu file%s, %llu record%s: **%llu error%s**, %llu warning%s, %llu info%s%s\n\n",
            (unsigned long long)s->files, s->files == 1 ? "" : "s",
            (unsigned long long)s->records, s->records == 1 ? "" : "s",
            (unsigned long long)s->errors, s->errors == 1 ? "" : "s",
            (unsigned long long)s->warnings, s->warnings == 1 ? "" : "s",
            (unsigned long long)s->infos, s->infos == 1 ? "" : "s",
            s->truncated ? " (details truncated by --max-errors)" : "");
    fputs("| file | format | records | errors | warnings |\n|---|---|---:|---:|---:|\n", out);
    for (size_t i = 0; i < nfiles; i++) {
        fputs("| ", out);
        md_cell(out, files[i].path);
        fputs(" | ", out);
        md_cell(out, files[i].format ? files[i].format : "-");
        fprintf(out, " | %llu | %llu | %llu |\n", (unsigned long long)files[i].records,
                (unsigned long long)files[i].errors, (unsigned long long)files[i].warnings);
    }
    if (s->build) {
        fprintf(out, "\nBuild: %llu read = %llu accepted + %llu rejected + %llu superseded + "
                "%llu duplicate; %llu %s sent nothing.\n",
                (unsigned long long)s->records, (unsigned long long)s->build->fates[0],
                (unsigned long long)s->build->fates[1], (unsigned long long)s->build->fates[2],
                (unsigned long long)s->build->fates[3], (unsigned long long)s->build->authorities_missing,
                s->build->authorities_missing == 1 ? "authority" : "authorities");
    }
}

const struct tally_report_ops tally_github_report = {
    .name = "github",
    .open = github_open,
    .diag = github_diag,
    .finish = github_finish,
    .close = github_close,
};
