/*
 * report/sarif.c — SARIF 2.1.0, the static-analysis exchange format that code
 * hosts (GitHub code scanning among them) read:
 *
 *   {"version": "2.1.0", "$schema": "...sarif-2.1.0.json",
 *    "runs": [{"tool": {"driver": {"name": "tally", "version": "...",
 *                                  "rules": [{"id": "found-le-went-missing", ...}]}},
 *              "results": [{"ruleId": ..., "level": "error", "message": {"text": ...},
 *                           "locations": [{"physicalLocation": {
 *                               "artifactLocation": {"uri": "returns/kent.csv"},
 *                               "region": {"startLine": 3, "startColumn": 35}}}]}],
 *              "properties": {... the counts, and whether details were truncated}}]}
 *
 * A spreadsheet's cell reference ("Sheet1!C7") is the result's logical
 * location (fullyQualifiedName) and also "cell" in its property bag.
 *
 * One rule per code: every built-in code and every rule of the schema, in a
 * fixed order, so ruleIds and rule indexes are stable. Levels: error → error,
 * warning → warning, info → note. Results are streamed to a temporary file.
 *
 * An artifact's uri is a URI reference as RFC 3986 writes one: a relative
 * path stays a relative reference, an absolute one becomes a file: URI, and
 * every byte but the unreserved characters, the sub-delimiters, '@' and '/'
 * is percent-encoded ("Leeds return, FINAL v2 (1)#.csv" is
 * "Leeds%20return,%20FINAL%20v2%20(1)%23.csv"; ':' too, which in a first
 * segment would read as a scheme).
 */
#include <stdlib.h>
#include <string.h>

#include "core/jsonout.h"
#include "report/reports.h"
#include "tally/schema.h"
#include "tally/version.h"

/* path as a URI reference (see the top), as a JSON string. */
static void uri(FILE *o, const char *path)
{
    static const char keep[] = "-._~!$&'()*+,;=@/";
    putc('"', o);
    if (path[0] == '/')
        fputs("file://", o);
    for (const unsigned char *p = (const unsigned char *)path; *p; p++)
        if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
            strchr(keep, *p))
            putc(*p, o);
        else
            fprintf(o, "%%%02X", *p);
    putc('"', o);
}

struct sarif_report {
    struct tally_report base;
    FILE *tmp;
    uint64_t n;
};

static int sarif_open(struct tally_report **out, FILE *fp, struct tally_error *err)
{
    struct sarif_report *r = calloc(1, sizeof *r);
    if (!r)
        return tally_error_set(err, TALLY_ENOMEM, "out of memory");
    if (!(r->tmp = tally_spool_open("SARIF", err))) {
        free(r);
        return err->status;
    }
    r->base.ops = &tally_sarif_report;
    r->base.out = fp;
    *out = &r->base;
    return TALLY_OK;
}

static int sarif_diag(struct tally_report *tr, const struct tally_diag *d)
{
    static const char *const levels[] = {"error", "warning", "note"};
    struct sarif_report *r = (struct sarif_report *)tr;
    FILE *o = r->tmp;
    fputs(r->n++ ? ",\n        {\"ruleId\": " : "\n        {\"ruleId\": ", o);
    tally_json_cstring(o, d->code);
    fprintf(o, ", \"level\": \"%s\", \"message\": {\"text\": ", levels[d->severity]);
    tally_json_cstring(o, d->message);
    fputs("}", o);
    if (d->file) {
        fputs(", \"locations\": [{\"physicalLocation\": {\"artifactLocation\": {\"uri\": ", o);
        uri(o, d->file);
        fputs("}", o);
        if (d->line) {
            fprintf(o, ", \"region\": {\"startLine\": %u", d->line);
            if (d->column)
                fprintf(o, ", \"startColumn\": %u", d->column);
            fputs("}", o);
        }
        fputs("}", o);
        if (d->pointer || d->xpath || d->cell) {
            fputs(", \"logicalLocations\": [{\"fullyQualifiedName\": ", o);
            tally_json_cstring(o, d->pointer ? d->pointer : d->xpath ? d->xpath : d->cell);
            fputs("}]", o);
        }
        fputs("}]", o);
    }
    if (d->record || d->field || d->value || d->cell) {
        fputs(", \"properties\": {\"record\": ", o);
        tally_json_uint(o, d->record, d->record != 0);
        fputs(", \"field\": ", o);
        tally_json_cstring(o, d->field);
        fputs(", \"value\": ", o);
        tally_json_cstring(o, d->value);
        if (d->cell) {
            fputs(", \"cell\": ", o);
            tally_json_cstring(o, d->cell);
        }
        fputs("}", o);
    }
    putc('}', o);
    return ferror(o) ? TALLY_EIO : TALLY_OK;
}

static void rule(FILE *o, bool first, const char *id, const char *text, enum tally_severity sev)
{
    static const char *const levels[] = {"error", "warning", "note"};
    fputs(first ? "\n            {\"id\": " : ",\n            {\"id\": ", o);
    tally_json_cstring(o, id);
    fputs(", \"shortDescription\": {\"text\": ", o);
    tally_json_cstring(o, text);
    fprintf(o, "}, \"defaultConfiguration\": {\"level\": \"%s\"}}", levels[sev]);
}

static int sarif_finish(struct tally_report *tr, const struct tally_report_summary *s,
                        const struct tally_report_file *files, size_t nfiles,
                        struct tally_error *err)
{
    struct sarif_report *r = (struct sarif_report *)tr;
    FILE *o = tr->out;
    (void)files, (void)nfiles;
    fputs("{\n  \"version\": \"2.1.0\",\n  \"$schema\": "
          "\"https://json.schemastore.org/sarif-2.1.0.json\",\n  \"runs\": [\n    {\n"
          "      \"tool\": {\n        \"driver\": {\n          \"name\": \"tally\",\n"
          "          \"version\": \"" TALLY_VERSION_STRING "\",\n          \"rules\": [", o);
    bool first = true;
    for (const struct tally_code_info *c = tally_codes(); c->code; c++) {
        rule(o, first, c->code, c->description, c->severity);
        first = false;
    }
    for (size_t i = 0; s->schema && i < s->schema->nrules; i++) {
        static const char say[] = "Rule of schema %s: %s";
        const char *assert_src = s->schema->rules[i].assert_src;
        size_t size = sizeof say + strlen(s->schema->name) + strlen(assert_src);
        char *text = malloc(size);     /* the whole rule, however long */
        if (!text)
            return tally_error_set(err, TALLY_ENOMEM, "out of memory");
        snprintf(text, size, say, s->schema->name, assert_src);
        rule(o, false, s->schema->rules[i].id, text, s->schema->rules[i].severity);
        free(text);
    }
    fputs("\n          ]\n        }\n      },\n      \"results\": [", o);
    if (tally_spool_copy(r->tmp, o, "SARIF", err) != TALLY_OK)
        return TALLY_EIO;
    fprintf(o, "%s],\n      \"properties\": {\"truncated\": %s, \"files\": %llu, \"records\": %llu, "
            "\"errors\": %llu, \"warnings\": %llu, \"infos\": %llu}\n    }\n  ]\n}\n",
            r->n ? "\n      " : "", s->truncated ? "true" : "false",
            (unsigned long long)s->files, (unsigned long long)s->records,
            (unsigned long long)s->errors, (unsigned long long)s->warnings,
            (unsigned long long)s->infos);
    return TALLY_OK;
}

static void sarif_close(struct tally_report *tr)
{
    struct sarif_report *r = (struct sarif_report *)tr;
    if (r->tmp)
        fclose(r->tmp);
    free(r);
}

const struct tally_report_ops tally_sarif_report = {
    .name = "sarif",
    .open = sarif_open,
    .diag = sarif_diag,
    .finish = sarif_finish,
    .close = sarif_close,
};
