/*
 * report/text.c — the text report: one line per diagnostic in the form
 * compilers use, so editors and CI logs can jump to it,
 *
 *   returns/northants.csv:3:35: error[found-le-went-missing]: found (16) exceeds ...
 *   returns/kent.xlsx:7:3: error[type]: Sheet1!C7: in_care must be a whole number ...
 *
 * then the files skipped under input directories, and one summary line
 * (neither with --quiet):
 *
 *   2 files skipped: README.md (not a return: ...), medway.xlsx (an Excel workbook: ...)
 *   2 files, 40 records: 1 error, 2 warnings, 0 infos
 *
 * and, in a run without --clean that --clean would change, one line more:
 *
 *   12 values could be repaired with --clean
 *
 * A diagnostic is always one line: in file names and messages, a line break
 * is written \n, a carriage return \r, a tab \t, any other control character
 * (C0, DEL, C1) or line separator as \xHH or \uHHHH, and a byte that is not
 * UTF-8 as \xHH. A backslash stays as it is (messages about JSON escapes
 * quote them); the JSON report holds every text exactly.
 */
#include <stdlib.h>
#include <string.h>

#include "core/utf8.h"
#include "report/reports.h"
#include "tally/disclosure.h"

/* s as one line of text, escaped as the comment above says. */
static void one_line(FILE *out, const char *s)
{
    size_t len = s ? strlen(s) : 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        const char *why;
        int n;
        switch (c) {
        case '\n': fputs("\\n", out); continue;
        case '\r': fputs("\\r", out); continue;
        case '\t': fputs("\\t", out); continue;
        }
        if (c < 0x20 || c == 0x7F) {
            fprintf(out, "\\x%02X", c);
        } else if (c < 0x80) {
            putc(c, out);
        } else if ((n = tally_utf8_seq((const unsigned char *)s + i, len - i, &why)) > 0) {
            /* C1 controls (U+0080..U+009F), and U+2028, U+2029: line breaks to some */
            if (n == 2 && c == 0xC2 && (unsigned char)s[i + 1] < 0xA0)
                fprintf(out, "\\u%04X", (unsigned char)s[i + 1]);
            else if (n == 3 && c == 0xE2 && (unsigned char)s[i + 1] == 0x80 &&
                     ((unsigned char)s[i + 2] == 0xA8 || (unsigned char)s[i + 2] == 0xA9))
                fprintf(out, "\\u%04X", 0x2000 + ((unsigned char)s[i + 2] & 0x3F));
            else
                fwrite(s + i, 1, (size_t)n, out);
            i += (size_t)n - 1;
        } else {
            fprintf(out, "\\x%02X", c);
        }
    }
}

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
    one_line(out, d->file ? d->file : "tally");
    if (d->line) {
        fprintf(out, ":%u", d->line);
        if (d->column)
            fprintf(out, ":%u", d->column);
    }
    fprintf(out, ": %s[", tally_severity_name(d->severity));
    one_line(out, d->code);
    fputs("]: ", out);
    if (d->cell) {
        one_line(out, d->cell);
        fputs(": ", out);
    }
    one_line(out, d->message);
    putc('\n', out);
    return TALLY_OK;
}

static const char *plural(uint64_t n, const char *one, const char *many)
{
    return n == 1 ? one : many;
}

/* The disclosure audit and the publication, a line each. */
static void disclosure_lines(FILE *o, const struct tally_report_summary *s)
{
    const struct tally_disclosure_audit *a = s->build ? s->build->disclosure : NULL;
    if (s->build && s->build->disclosure_waived)
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
        if (a->has_narrowest && report_dataset(s)) {
            const struct tally_disclosure_cell *c = &a->narrowest;
            fputs("narrowest interval ", o);
            if (c->upper == TALLY_SDC_NO_BOUND)
                fprintf(o, "%lld or more (unbounded)", (long long)c->lower);
            else
                fprintf(o, "%lld to %lld (width %lld)", (long long)c->lower, (long long)c->upper,
                        (long long)(c->upper - c->lower));
            fputs(", ", o);
            tally_disclosure_cell_text(o, report_dataset(s), a->schema, c);
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
    const struct tally_build_publication *p = s->build ? s->build->publication : NULL;
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

/* Does path lie under dir (a directory as given)? */
static bool under(const char *path, const char *dir)
{
    size_t n = strlen(dir);
    return strncmp(path, dir, n) == 0 && n && (dir[n - 1] == '/' || path[n] == '/');
}

/* What a walk read, a line per directory given: "returns: 12 files read", and
 * when they lie in more than one folder, how many in each (the first 8):
 * "returns: 12 files read (10 in returns, 2 in returns/archive/old)". A
 * folder is named by its files' paths up to their last '/'. */
struct folder {
    const char *path;       /* its files' path, up to len */
    size_t len;
    uint64_t n;             /* files read in it */
};

static int by_folder(const void *a, const void *b)
{
    const struct folder *x = a, *y = b;
    int c = memcmp(x->path, y->path, x->len < y->len ? x->len : y->len);
    return c ? c : (x->len > y->len) - (x->len < y->len);
}

static int walked_lines(FILE *o, const struct tally_report_summary *s,
                        const struct tally_report_file *files, size_t nfiles)
{
    enum { SHOWN = 8 };
    for (size_t d = 0; d < s->nwalked; d++) {
        const char *dir = s->walked[d];
        struct folder *folders = NULL;
        size_t nfolders = 0;
        uint64_t total = 0;
        for (size_t i = 0; i < nfiles; i++) {
            if (!under(files[i].path, dir))
                continue;
            total++;
            const char *slash = strrchr(files[i].path, '/');
            size_t len = (size_t)(slash - files[i].path), k = 0;
            while (k < nfolders && !(folders[k].len == len &&
                                     memcmp(folders[k].path, files[i].path, len) == 0))
                k++;
            if (k == nfolders) {
                void *grown = realloc(folders, (nfolders + 1) * sizeof *folders);
                if (!grown) {
                    free(folders);
                    return TALLY_ENOMEM;
                }
                folders = grown;
                folders[nfolders++] = (struct folder){files[i].path, len, 0};
            }
            folders[k].n++;
        }
        if (nfolders > 1)
            qsort(folders, nfolders, sizeof *folders, by_folder);
        one_line(o, dir);
        if (total == 0)
            fputs(": no files read", o);
        else
            fprintf(o, ": %llu %s read", (unsigned long long)total, plural(total, "file", "files"));
        for (size_t k = 0; nfolders > 1 && k < nfolders && k < SHOWN; k++) {
            fprintf(o, "%s%llu in ", k ? ", " : " (", (unsigned long long)folders[k].n);
            fprintf(o, "%.*s", (int)folders[k].len, folders[k].path);
        }
        if (nfolders > SHOWN)
            fprintf(o, " and %zu more %s", nfolders - SHOWN,
                    plural(nfolders - SHOWN, "folder", "folders"));
        fputs(nfolders > 1 ? ")\n" : "\n", o);
        free(folders);
    }
    return TALLY_OK;
}

static int text_finish(struct tally_report *r, const struct tally_report_summary *s,
                       const struct tally_report_file *files, size_t nfiles,
                       struct tally_error *err)
{
    if (s->truncated)
        fprintf(r->out, "tally: details stopped after %llu %s (--max-errors); the counts below "
                "are complete\n", (unsigned long long)s->max_errors,
                plural(s->max_errors, "error", "errors"));
    if (!s->quiet && walked_lines(r->out, s, files, nfiles) != TALLY_OK)
        return tally_error_set(err, TALLY_ENOMEM, "out of memory");
    if (s->nskipped && !s->quiet) {
        fprintf(r->out, "%zu %s skipped:", s->nskipped, plural(s->nskipped, "file", "files"));
        for (size_t i = 0; i < s->nskipped; i++) {
            fputs(i ? ", " : " ", r->out);
            one_line(r->out, s->skipped[i].path);
            fputs(" (", r->out);
            one_line(r->out, s->skipped[i].reason);
            putc(')', r->out);
        }
        putc('\n', r->out);
    }
    if (s->build && !s->quiet)
        fprintf(r->out, "build: %llu %s read = %llu accepted + %llu rejected + %llu "
                "superseded + %llu duplicate; %llu %s sent nothing\n",
                (unsigned long long)s->records, plural(s->records, "record", "records"),
                (unsigned long long)s->build->fates[0],
                (unsigned long long)s->build->fates[1], (unsigned long long)s->build->fates[2],
                (unsigned long long)s->build->fates[3], (unsigned long long)s->build->authorities_missing,
                plural(s->build->authorities_missing, "authority", "authorities"));
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
