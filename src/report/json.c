/*
 * report/json.c — the JSON report of doc/diagnostics.md (Reports):
 *
 *   {"valid": false, "truncated": false,
 *    "schema": {"name": "missing-from-care", "version": "1.0.0"},
 *    "stats": {"files", "records", "errors", "warnings", "infos",
 *              "rules_evaluated", "rules_skipped"},
 *    "build": {...fates...}, "periods": [...coverage...], "disclosure": {...},
 *    "publication": {...},                              (tally build only)
 *    "files": [{"path", "format", "sha256", "records", "errors", "warnings"}],
 *    "skipped": [{"path", "reason"}],      files under input directories not read
 *    "diagnostics": [{"severity", "code", "message", "file", "line", "column",
 *                     "record", "field", "value", "pointer", "xpath", "cell"}]}
 *
 * The totals come first but are known last, so diagnostics are streamed to a
 * temporary file as they arrive and copied in at the end: memory stays flat
 * however many there are.
 */
#include <stdlib.h>

#include "core/jsonout.h"
#include "report/reports.h"
#include "tally/build.h"
#include "tally/disclosure.h"

struct json_report {
    struct tally_report base;
    FILE *tmp;              /* the diagnostics array's body */
    uint64_t ndiags;
};

static int json_open(struct tally_report **out, FILE *fp, struct tally_error *err)
{
    struct json_report *r = calloc(1, sizeof *r);
    if (!r)
        return tally_error_set(err, TALLY_ENOMEM, "out of memory");
    if (!(r->tmp = tally_spool_open("JSON", err))) {
        free(r);
        return err->status;
    }
    r->base.ops = &tally_json_report;
    r->base.out = fp;
    *out = &r->base;
    return TALLY_OK;
}

static int json_diag(struct tally_report *tr, const struct tally_diag *d)
{
    struct json_report *r = (struct json_report *)tr;
    FILE *o = r->tmp;
    fputs(r->ndiags++ ? ",\n    {" : "\n    {", o);
    fputs("\"severity\": ", o);
    tally_json_cstring(o, tally_severity_name(d->severity));
    fputs(", \"code\": ", o);
    tally_json_cstring(o, d->code);
    fputs(", \"message\": ", o);
    tally_json_cstring(o, d->message);
    fputs(", \"file\": ", o);
    tally_json_cstring(o, d->file);
    fputs(", \"line\": ", o);
    tally_json_uint(o, d->line, d->line != 0);
    fputs(", \"column\": ", o);
    tally_json_uint(o, d->column, d->column != 0);
    fputs(", \"record\": ", o);
    tally_json_uint(o, d->record, d->record != 0);
    fputs(", \"field\": ", o);
    tally_json_cstring(o, d->field);
    fputs(", \"value\": ", o);
    tally_json_cstring(o, d->value);
    fputs(", \"pointer\": ", o);
    tally_json_cstring(o, d->pointer);
    fputs(", \"xpath\": ", o);
    tally_json_cstring(o, d->xpath);
    fputs(", \"cell\": ", o);
    tally_json_cstring(o, d->cell);
    putc('}', o);
    return ferror(o) ? TALLY_EIO : TALLY_OK;
}

/* Per period: authorities expected and reporting, and whether that is low. */
static void coverage_json(FILE *o, const struct tally_report_summary *s)
{
    if (!report_dataset(s))
        return;
    size_t n = tally_build_nperiods(report_dataset(s));
    fputs("\n  \"periods\": [", o);
    for (size_t i = 0; i < n; i++) {
        const struct tally_period_coverage *p = tally_build_period_at(report_dataset(s), i);
        fputs(i ? ",\n    {\"period_start\": " : "\n    {\"period_start\": ", o);
        tally_json_cstring(o, p->start);
        fputs(", \"period_end\": ", o);
        tally_json_cstring(o, p->end);
        fprintf(o, ", \"authorities_expected\": %u, \"authorities_reporting\": %u, "
                "\"coverage_low\": %s}", p->expected, p->reporting, p->low ? "true" : "false");
    }
    fputs(n ? "\n  ]," : "],", o);
}

static int json_finish(struct tally_report *tr, const struct tally_report_summary *s,
                       const struct tally_report_file *files, size_t nfiles,
                       struct tally_error *err)
{
    struct json_report *r = (struct json_report *)tr;
    FILE *o = tr->out;
    fprintf(o, "{\n  \"valid\": %s,\n  \"truncated\": %s,\n  \"schema\": {\"name\": ",
            s->errors == 0 ? "true" : "false", s->truncated ? "true" : "false");
    tally_json_cstring(o, s->schema_name);
    fputs(", \"version\": ", o);
    tally_json_cstring(o, s->schema_version);
    fprintf(o, "},\n  \"stats\": {\"files\": %llu, \"records\": %llu, \"errors\": %llu, "
            "\"warnings\": %llu, \"infos\": %llu, \"rules_evaluated\": %llu, "
            "\"rules_skipped\": %llu},",
            (unsigned long long)s->files, (unsigned long long)s->records,
            (unsigned long long)s->errors, (unsigned long long)s->warnings,
            (unsigned long long)s->infos, (unsigned long long)s->rules_evaluated,
            (unsigned long long)s->rules_skipped);
    if (s->build) {
        uint64_t read = s->build->fates[0] + s->build->fates[1] + s->build->fates[2] + s->build->fates[3];
        fprintf(o, "\n  \"build\": {\"read\": %llu, \"accepted\": %llu, \"rejected\": %llu, "
                "\"superseded\": %llu, \"duplicate\": %llu, \"balanced\": %s, "
                "\"authorities_missing\": %llu},",
                (unsigned long long)read, (unsigned long long)s->build->fates[0],
                (unsigned long long)s->build->fates[1], (unsigned long long)s->build->fates[2],
                (unsigned long long)s->build->fates[3], read == s->records ? "true" : "false",
                (unsigned long long)s->build->authorities_missing);
        coverage_json(o, s);
        fputs("\n  \"disclosure\": ", o);
        tally_disclosure_json(o, s->build->disclosure, s->build->dataset, s->build->disclosure_waived, 2);
        fputc(',', o);
        if (s->build->publication) {
            const struct tally_build_publication *p = s->build->publication;
            fputs("\n  \"publication\": {\"format\": ", o);
            tally_json_cstring(o, p->format);
            fputs(", \"data\": ", o);
            tally_json_cstring(o, p->data_file);
            fputs(", \"meta\": ", o);
            tally_json_cstring(o, p->meta_file);
            fprintf(o, ", \"rows\": %llu, \"left_out\": [", (unsigned long long)p->rows);
            for (size_t i = 0; i < p->nleft_out; i++) {
                fputs(i ? ", " : "", o);
                tally_json_cstring(o, p->left_out[i]);
            }
            fputs("]},", o);
        }
    }
    fputs("\n  \"files\": [", o);
    for (size_t i = 0; i < nfiles; i++) {
        fputs(i ? ",\n    " : "\n    ", o);
        tally_report_json_file(o, &files[i]);
        putc('}', o);
    }
    fputs(nfiles ? "\n  ],\n  \"skipped\": [" : "],\n  \"skipped\": [", o);
    for (size_t i = 0; i < s->nskipped; i++) {
        fputs(i ? ",\n    " : "\n    ", o);
        tally_report_json_skipped(o, &s->skipped[i]);
    }
    fputs(s->nskipped ? "\n  ],\n  \"diagnostics\": [" : "],\n  \"diagnostics\": [", o);
    if (tally_spool_copy(r->tmp, o, "JSON", err) != TALLY_OK)
        return TALLY_EIO;
    fputs(r->ndiags ? "\n  ]\n}\n" : "]\n}\n", o);
    return TALLY_OK;
}

static void json_close(struct tally_report *tr)
{
    struct json_report *r = (struct json_report *)tr;
    if (r->tmp)
        fclose(r->tmp);
    free(r);
}

const struct tally_report_ops tally_json_report = {
    .name = "json",
    .open = json_open,
    .diag = json_diag,
    .finish = json_finish,
    .close = json_close,
};

void tally_report_json_string(FILE *out, const char *s)
{
    tally_json_cstring(out, s);
}

/* before (punctuation and a key), then value as a JSON string or null. */
static void member(FILE *out, const char *before, const char *value)
{
    fputs(before, out);
    tally_json_cstring(out, value);
}

void tally_report_json_file(FILE *out, const struct tally_report_file *f)
{
    member(out, "{\"path\": ", f->path);
    member(out, ", \"format\": ", f->format);
    member(out, ", \"sha256\": ", f->sha256);
    fprintf(out, ", \"records\": %llu, \"errors\": %llu, \"warnings\": %llu",
            (unsigned long long)f->records, (unsigned long long)f->errors,
            (unsigned long long)f->warnings);
}

void tally_report_json_skipped(FILE *out, const struct tally_report_skipped *sk)
{
    member(out, "{\"path\": ", sk->path);
    member(out, ", \"reason\": ", sk->reason);
    putc('}', out);
}
