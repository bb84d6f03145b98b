/*
 * report/junit.c — JUnit XML, for CI systems that show test results:
 *
 *   <testsuites name="tally" tests=".." failures="..">
 *     <testsuite name="returns/kent.csv" tests="2" failures="1" errors="0" skipped="0">
 *       <testcase classname="returns/kent.csv" name="record 1"/>
 *       <testcase classname="returns/kent.csv" name="record 2">
 *         <failure type="found-le-went-missing" message="found (16) exceeds ...">
 *           returns/kent.csv:3:35: found (16) exceeds ...</failure>
 *         <system-out>returns/kent.csv:3:11: warning[authority-name]: ...</system-out>
 *       </testcase>
 *     </testsuite>
 *   </testsuites>
 *
 * One suite per input file, one test case per record, always named
 * "record N" (a passing record is an empty test case), a failure per error,
 * warnings and infos as system-out. Every record that cannot be accepted
 * fails: by its own errors, by a repeated key (settled after the last file),
 * by an error of its file (a header) that covers it, or by errors that
 * --max-errors kept out of the listing — the last two get one failure that
 * says so (the report's `rejected` call). Problems with a file as a whole (a
 * header, an unreadable file) are the test case "file"; those with no file
 * (coverage) are a suite named "tally". The totals are those of the suites.
 *
 * Diagnostics arrive in reading order but must be grouped by file and
 * record, so each is rendered to a temporary file as it comes, and only a
 * small index (file, record, where in the temporary file) is kept.
 */
#include <stdlib.h>
#include <string.h>

#include "core/grow.h"
#include "core/xmlout.h"
#include "report/reports.h"

enum entry_kind {
    FAILURE,                /* an error: a <failure> */
    REJECTED,               /* a record rejected with no error of its own listed: a
                               <failure> when its test case has no other */
    OUTPUT                  /* a warning or info: a line of <system-out> */
};

struct entry {
    size_t file;            /* index into names */
    uint64_t record;        /* 0: the file as a whole */
    enum entry_kind kind;
    long offset;            /* rendered element in tmp */
    size_t len;
    size_t seq;             /* arrival order, to keep it within a record */
};

struct junit_report {
    struct tally_report base;
    FILE *tmp;
    struct entry *entries;
    size_t n, cap;
    char **names;           /* file paths seen in diagnostics; NULL for "no file" */
    size_t nnames;
};

/* XML text or attribute value (core/xmlout.h); tab and LF are escaped in
 * element text too, so a message keeps its lines wherever it stands. */
static void xml(FILE *o, const char *s)
{
    tally_xml_cstring(o, s, true);
}

static int junit_open(struct tally_report **out, FILE *fp, struct tally_error *err)
{
    struct junit_report *r = calloc(1, sizeof *r);
    if (!r)
        return tally_error_set(err, TALLY_ENOMEM, "out of memory");
    if (!(r->tmp = tally_spool_open("JUnit", err))) {
        free(r);
        return err->status;
    }
    r->base.ops = &tally_junit_report;
    r->base.out = fp;
    *out = &r->base;
    return TALLY_OK;
}

static size_t name_index(struct junit_report *r, const char *file)
{
    for (size_t i = r->nnames; i-- > 0;)
        if ((!file && !r->names[i]) || (file && r->names[i] && strcmp(file, r->names[i]) == 0))
            return i;
    char **names = realloc(r->names, (r->nnames + 1) * sizeof *names);
    if (!names)
        return SIZE_MAX;
    r->names = names;
    r->names[r->nnames] = file ? strdup(file) : NULL;
    if (file && !r->names[r->nnames])
        return SIZE_MAX;
    return r->nnames++;
}

static void location(FILE *o, const struct tally_diag *d)
{
    xml(o, d->file ? d->file : "tally");
    if (d->line)
        fprintf(o, ":%u", d->line);
    if (d->line && d->column)
        fprintf(o, ":%u", d->column);
}

static int add_entry(struct junit_report *r, const struct tally_diag *d, enum entry_kind kind)
{
    if (tally_grow((void **)&r->entries, &r->cap, r->n, sizeof *r->entries, 256) != TALLY_OK)
        return TALLY_ENOMEM;
    size_t file = name_index(r, d->file);
    if (file == SIZE_MAX)
        return TALLY_ENOMEM;
    FILE *o = r->tmp;
    long at = ftell(o);
    if (kind != OUTPUT) {
        fputs("\n      <failure type=\"", o);
        xml(o, d->code);
        fputs("\" message=\"", o);
        xml(o, d->message);
        fputs("\">", o);
        location(o, d);
        fputs(": ", o);
        xml(o, d->message);
        if (d->pointer || d->xpath || d->cell) {
            fputs(" (", o);
            xml(o, d->pointer ? d->pointer : d->xpath ? d->xpath : d->cell);
            fputs(")", o);
        }
        fputs("</failure>", o);
    } else {
        location(o, d);
        fprintf(o, ": %s[", tally_severity_name(d->severity));
        xml(o, d->code);
        fputs("]: ", o);
        xml(o, d->message);
        fputs("&#10;", o);
    }
    r->entries[r->n] = (struct entry){file, d->record, kind, at, (size_t)(ftell(o) - at), r->n};
    r->n++;
    return ferror(o) ? TALLY_EIO : TALLY_OK;
}

static int junit_diag(struct tally_report *tr, const struct tally_diag *d)
{
    return add_entry((struct junit_report *)tr, d,
                     d->severity == TALLY_SEV_ERROR ? FAILURE : OUTPUT);
}

static int junit_rejected(struct tally_report *tr, const struct tally_diag *d)
{
    return add_entry((struct junit_report *)tr, d, REJECTED);
}

static int by_place(const void *pa, const void *pb)
{
    const struct entry *a = pa, *b = pb;
    if (a->file != b->file)
        return a->file < b->file ? -1 : 1;
    if (a->record != b->record)
        return a->record < b->record ? -1 : 1;
    return a->seq < b->seq ? -1 : a->seq > b->seq;
}

static void copy(FILE *o, FILE *tmp, const struct entry *e)
{
    char buf[4096];
    fseek(tmp, e->offset, SEEK_SET);
    for (size_t left = e->len; left;) {
        size_t n = fread(buf, 1, left < sizeof buf ? left : sizeof buf, tmp);
        if (n == 0)
            break;
        fwrite(buf, 1, n, o);
        left -= n;
    }
}

/* Does the test case of e[0..n) fail? */
static bool fails(const struct entry *e, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (e[i].kind != OUTPUT)
            return true;
    return false;
}

/* One test case: its failures (or else the note that it was rejected), then
 * its warnings and infos as system-out. */
static void testcase(FILE *o, FILE *tmp, const char *classname, const char *name,
                     const struct entry *e, size_t n)
{
    fputs("\n    <testcase classname=\"", o);
    xml(o, classname);
    fputs("\" name=\"", o);
    xml(o, name);
    fputs("\"", o);
    if (n == 0) {
        fputs("/>", o);
        return;
    }
    putc('>', o);
    bool failure = false, out = false;
    for (size_t i = 0; i < n; i++)
        if (e[i].kind == FAILURE) {
            copy(o, tmp, &e[i]);
            failure = true;
        }
    for (size_t i = 0; i < n && !failure; i++)
        if (e[i].kind == REJECTED) {
            copy(o, tmp, &e[i]);    /* one says it */
            break;
        }
    for (size_t i = 0; i < n; i++)
        if (e[i].kind == OUTPUT) {
            fputs(out ? "" : "\n      <system-out>", o);
            out = true;
            copy(o, tmp, &e[i]);
        }
    if (out)
        fputs("</system-out>", o);
    fputs("\n    </testcase>", o);
}

/*
 * A suite: the file-level case (if any), then one case per record, from 1
 * to the file's record count (or the highest record a diagnostic names).
 * Counts its test cases and failures into *tests and *failures; writes it
 * only when o is not NULL.
 */
static void suite(FILE *o, FILE *tmp, const char *name, uint64_t records, const struct entry *e,
                  size_t n, const struct tally_report_summary *s, uint64_t *tests,
                  uint64_t *failures)
{
    bool file_case = n && e[0].record == 0;
    uint64_t last = n && e[n - 1].record > records ? e[n - 1].record : records;
    uint64_t t = last + file_case, f = 0;
    for (size_t i = 0; i < n;) {
        size_t j = i;
        while (j < n && e[j].record == e[i].record)
            j++;
        f += fails(e + i, j - i);
        i = j;
    }
    *tests += t;
    *failures += f;
    if (!o)
        return;
    fputs("\n  <testsuite name=\"", o);
    xml(o, name);
    fprintf(o, "\" tests=\"%llu\" failures=\"%llu\" errors=\"0\" skipped=\"0\">",
            (unsigned long long)t, (unsigned long long)f);
    if (s->truncated)
        fprintf(o, "\n    <properties><property name=\"truncated\" value=\"details stopped after %llu "
                "error%s (--max-errors)\"/></properties>", (unsigned long long)s->max_errors,
                s->max_errors == 1 ? "" : "s");
    size_t i = 0;
    if (file_case) {
        size_t j = i;
        while (j < n && e[j].record == 0)
            j++;
        testcase(o, tmp, name, "file", e, j);
        i = j;
    }
    for (uint64_t rec = 1; rec <= last; rec++) {
        size_t j = i;
        while (j < n && e[j].record == rec)
            j++;
        char label[32];
        snprintf(label, sizeof label, "record %llu", (unsigned long long)rec);
        testcase(o, tmp, name, label, e + i, j - i);
        i = j;
    }
    fputs("\n  </testsuite>", o);
}

/* Every suite, in input order, then those of diagnostics about no input file;
 * written to o, or (o NULL) only counted. */
static void suites(struct junit_report *r, FILE *o, const size_t *order,
                   const struct tally_report_summary *s, const struct tally_report_file *files,
                   size_t nfiles, uint64_t *tests, uint64_t *failures)
{
    size_t i = 0;
    for (size_t f = 0; f < nfiles; f++) {
        size_t j = i;
        while (j < r->n && r->entries[j].file == f)
            j++;
        suite(o, r->tmp, files[f].path, files[f].records, r->entries + i, j - i, s, tests, failures);
        i = j;
    }
    while (i < r->n) {
        size_t j = i;
        while (j < r->n && r->entries[j].file == r->entries[i].file)
            j++;
        size_t k = 0;
        while (k < r->nnames && order[k] != r->entries[i].file)
            k++;
        suite(o, r->tmp, k < r->nnames && r->names[k] ? r->names[k] : "tally", 0, r->entries + i,
              j - i, s, tests, failures);
        i = j;
    }
}

static int junit_finish(struct tally_report *tr, const struct tally_report_summary *s,
                        const struct tally_report_file *files, size_t nfiles,
                        struct tally_error *err)
{
    struct junit_report *r = (struct junit_report *)tr;
    FILE *o = tr->out;
    /* Group by file in input order: names seen in diagnostics map onto files. */
    size_t *order = calloc(r->nnames + 1, sizeof *order);
    if (!order)
        return tally_error_set(err, TALLY_ENOMEM, "out of memory");
    for (size_t k = 0; k < r->nnames; k++) {
        order[k] = nfiles + k;  /* files not among the inputs come after them */
        for (size_t i = 0; r->names[k] && i < nfiles; i++)
            if (strcmp(r->names[k], files[i].path) == 0) {
                order[k] = i;
                break;
            }
    }
    for (size_t i = 0; i < r->n; i++)
        r->entries[i].file = order[r->entries[i].file];
    if (r->n)
        qsort(r->entries, r->n, sizeof *r->entries, by_place);
    /* The totals are the suites': counted first, then written. */
    uint64_t tests = 0, failures = 0;
    suites(r, NULL, order, s, files, nfiles, &tests, &failures);
    fprintf(o, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"tally\" tests=\"%llu\" "
            "failures=\"%llu\">", (unsigned long long)tests, (unsigned long long)failures);
    uint64_t t2 = 0, f2 = 0;
    suites(r, o, order, s, files, nfiles, &t2, &f2);
    fputs("\n</testsuites>\n", o);
    free(order);
    return ferror(r->tmp) ? tally_error_set(err, TALLY_EIO, "cannot read back the JUnit report's "
                                            "temporary file") : TALLY_OK;
}

static void junit_close(struct tally_report *tr)
{
    struct junit_report *r = (struct junit_report *)tr;
    if (r->tmp)
        fclose(r->tmp);
    for (size_t i = 0; i < r->nnames; i++)
        free(r->names[i]);
    free(r->names);
    free(r->entries);
    free(r);
}

const struct tally_report_ops tally_junit_report = {
    .name = "junit",
    .open = junit_open,
    .diag = junit_diag,
    .rejected = junit_rejected,
    .finish = junit_finish,
    .close = junit_close,
};
