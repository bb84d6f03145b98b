/*
 * writers/dataset.c — the national dataset as CSV, JSON and XML, and
 * rejects.csv (dataset.h).
 *
 * One row model (struct tally_dataset_row, cells by tally_build_cell), three
 * renderings:
 *
 *   dataset.csv   the columns of doc/dataset-format.md §1, RFC 4180 quoting, LF line ends
 *   dataset.json  [{"period_start": "2014-10-01", ..., "in_care": 42,
 *                   "went_missing_pct": 35.7, "authorities_reporting": 1,
 *                   "complete": true}, ...]
 *                 counts are numbers ("x" stays a string), an empty ratio is null,
 *                 a suppressed one the string "c"
 *   dataset.xml   <dataset schema="..." version="..."><row><period_start>...</row></dataset>
 */
#include <stdlib.h>
#include <string.h>

#include "core/csvtext.h"
#include "core/jsonout.h"
#include "core/xmlout.h"
#include "tally/dataset.h"

static int done(FILE *out, const char *what, struct tally_error *err)
{
    return ferror(out) ? tally_error_set(err, TALLY_EIO, "cannot write %s", what) : TALLY_OK;
}

int tally_dataset_csv(FILE *out, const struct tally_build *b, struct tally_error *err)
{
    const char *const *cols = tally_build_columns(b);
    for (size_t c = 0; cols[c]; c++) {
        if (c)
            putc(',', out);
        tally_csv_value(out, cols[c]);
    }
    putc('\n', out);
    for (size_t i = 0; i < tally_build_nrows(b); i++) {
        const struct tally_dataset_row *r = tally_build_row_at(b, i);
        char buf[24];
        for (size_t c = 0; cols[c]; c++) {
            if (c)
                putc(',', out);
            tally_csv_value(out, tally_build_cell(b, r, c, buf));
        }
        putc('\n', out);
    }
    return done(out, "dataset.csv", err);
}

int tally_dataset_json(FILE *out, const struct tally_build *b, struct tally_error *err)
{
    const char *const *cols = tally_build_columns(b);
    fputs("[", out);
    for (size_t i = 0; i < tally_build_nrows(b); i++) {
        const struct tally_dataset_row *r = tally_build_row_at(b, i);
        fputs(i ? ",\n  {" : "\n  {", out);
        char buf[24];
        for (size_t c = 0; cols[c]; c++) {
            const char *v = tally_build_cell(b, r, c, buf);
            int64_t n;
            char sym;
            if (c)
                fputs(", ", out);
            tally_json_cstring(out, cols[c]);
            fputs(": ", out);
            switch (tally_build_column_kind(b, c)) {
            case TALLY_COLUMN_COUNT:
                if (tally_parse_count(v, strlen(v), NULL, &n, &sym) == TALLY_COUNT_OK)
                    fputs(v, out);
                else
                    tally_json_cstring(out, v);
                break;
            case TALLY_COLUMN_CHANGE:   /* a number, which may be negative, or a symbol */
                if (tally_parse_count(v + (*v == '-'), strlen(v + (*v == '-')), NULL, &n, &sym) ==
                    TALLY_COUNT_OK)
                    fputs(v, out);
                else
                    tally_json_cstring(out, v);
                break;
            case TALLY_COLUMN_RATIO:    /* a number, null when empty, a symbol as text; a
                                           change in percentage points may be negative */
                if (!*v)
                    fputs("null", out);
                else if (v[*v == '-'] && strspn(v + (*v == '-'), "0123456789.") == strlen(v + (*v == '-')))
                    fputs(v, out);
                else
                    tally_json_cstring(out, v);
                break;
            case TALLY_COLUMN_INTEGER:
            case TALLY_COLUMN_BOOLEAN:
                fputs(v, out);
                break;
            case TALLY_COLUMN_TEXT:
                tally_json_cstring(out, v);
                break;
            }
        }
        putc('}', out);
    }
    fputs(tally_build_nrows(b) ? "\n]\n" : "]\n", out);
    return done(out, "dataset.json", err);
}

int tally_dataset_xml(FILE *out, const struct tally_build *b, const struct tally_schema *schema,
                      struct tally_error *err)
{
    const char *const *cols = tally_build_columns(b);
    fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<dataset schema=\"", out);
    tally_xml_cstring(out, schema->name, true);
    fputs("\" version=\"", out);
    tally_xml_cstring(out, schema->version, true);
    fputs("\">\n", out);
    for (size_t i = 0; i < tally_build_nrows(b); i++) {
        const struct tally_dataset_row *r = tally_build_row_at(b, i);
        char buf[24];
        fputs("  <row>", out);
        for (size_t c = 0; cols[c]; c++) {
            const char *v = tally_build_cell(b, r, c, buf);
            if (!*v)
                continue;   /* an empty cell is an absent element */
            fprintf(out, "<%s>", cols[c]);
            tally_xml_cstring(out, v, false);
            fprintf(out, "</%s>", cols[c]);
        }
        fputs("</row>\n", out);
    }
    fputs("</dataset>\n", out);
    return done(out, "dataset.xml", err);
}

int tally_rejects_csv(FILE *out, const struct tally_build *b, const struct tally_schema *schema,
                      const char *const *files, struct tally_error *err)
{
    fputs("fate,codes,file,line,column,record,pointer,xpath", out);
    for (size_t f = 0; f < schema->nfields; f++) {
        putc(',', out);
        tally_csv_value(out, schema->fields[f].name);
    }
    putc('\n', out);
    for (size_t i = 0; i < tally_build_nrecords(b); i++) {
        const struct tally_build_record *r = tally_build_record_at(b, i);
        if (r->fate == TALLY_FATE_ACCEPTED)
            continue;
        fprintf(out, "%s,", tally_fate_name(r->fate));
        tally_csv_value(out, r->codes ? r->codes : "");
        putc(',', out);
        tally_csv_value(out, files[r->file]);
        if (r->loc.line)
            fprintf(out, ",%u,%u", r->loc.line, r->loc.column);
        else
            fputs(",,", out);
        fprintf(out, ",%llu,", (unsigned long long)r->index);
        tally_csv_value(out, r->path_kind == TALLY_PATH_POINTER && r->path ? r->path : "");
        putc(',', out);
        tally_csv_value(out, r->path_kind == TALLY_PATH_XPATH && r->path ? r->path : "");
        for (size_t f = 0; f < schema->nfields; f++) {
            putc(',', out);
            if (r->values[f])
                tally_csv_value(out, r->values[f]);
        }
        putc('\n', out);
    }
    return done(out, "rejects.csv", err);
}
