/*
 * export.c — the schema in use, in forms other tools read (schema.h), so an
 * authority can check a return with its own tools before sending it:
 *
 *   Table Schema   the fields, types, constraints and primary key, without
 *                  tally's additions (rules, nested paths); the statistical
 *                  symbols are listed in missingValues, so Table Schema tools
 *                  accept them where tally does; each field's aliases and
 *                  default as extra properties (which Table Schema allows)
 *   JSON Schema    (2020-12) the nested JSON shape of SPEC §3 — a submission,
 *                  an array of them, or flat records — built from each field's
 *                  "json" path
 *
 * Both are built as cJSON trees and printed once.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "tally/schema.h"

static int print(FILE *out, cJSON *root, struct tally_error *err)
{
    char *text = root ? cJSON_Print(root) : NULL;
    cJSON_Delete(root);
    if (!text)
        return tally_error_set(err, TALLY_ENOMEM, "out of memory");
    fputs(text, out);
    fputc('\n', out);
    free(text);
    return ferror(out) ? tally_error_set(err, TALLY_EIO, "cannot write the export") : TALLY_OK;
}

int tally_schema_export_table_schema(const struct tally_schema *s, FILE *out,
                                     struct tally_error *err)
{
    cJSON *root = cJSON_CreateObject();
    cJSON_AddStringToObject(root, "name", s->name);
    if (s->title)
        cJSON_AddStringToObject(root, "title", s->title);
    cJSON *fields = cJSON_AddArrayToObject(root, "fields");
    cJSON *missing = cJSON_AddArrayToObject(root, "missingValues");
    for (size_t i = 0; i < s->nmissing; i++)
        cJSON_AddItemToArray(missing, cJSON_CreateString(s->missing_values[i]));
    char seen[64] = "";
    for (size_t i = 0; i < s->nfields; i++) {
        const struct tally_field_def *f = &s->fields[i];
        cJSON *o = cJSON_CreateObject();
        cJSON_AddItemToArray(fields, o);
        cJSON_AddStringToObject(o, "name", f->name);
        if (f->title)
            cJSON_AddStringToObject(o, "title", f->title);
        cJSON_AddStringToObject(o, "type", tally_type_name(f->type));
        cJSON *c = cJSON_CreateObject();
        if (f->required)
            cJSON_AddBoolToObject(c, "required", true);
        if (f->has_minimum)
            cJSON_AddNumberToObject(c, "minimum", (double)f->minimum);
        if (f->has_maximum)
            cJSON_AddNumberToObject(c, "maximum", (double)f->maximum);
        if (f->max_length)
            cJSON_AddNumberToObject(c, "maxLength", (double)f->max_length);
        if (f->pattern)
            cJSON_AddStringToObject(c, "pattern", f->pattern);
        if (f->n_enum) {
            cJSON *e = cJSON_AddArrayToObject(c, "enum");
            for (size_t k = 0; k < f->n_enum; k++)
                cJSON_AddItemToArray(e, cJSON_CreateString(f->enum_values[k]));
        }
        if (c->child)
            cJSON_AddItemToObject(o, "constraints", c);
        else
            cJSON_Delete(c);
        /* Not Table Schema words, but properties it allows: what a table's
         * header may call the field, and its value when the table has no column. */
        if (f->naliases) {
            cJSON *a = cJSON_AddArrayToObject(o, "aliases");
            for (size_t k = 0; k < f->naliases; k++)
                cJSON_AddItemToArray(a, cJSON_CreateString(f->aliases[k]));
        }
        if (f->default_value)
            cJSON_AddStringToObject(o, "default", f->default_value);
        for (const char *sym = f->symbols; sym && *sym; sym++)
            if (!strchr(seen, *sym) && strlen(seen) + 1 < sizeof seen) {
                char t[2] = {*sym, 0};
                strcat(seen, t);
                cJSON_AddItemToArray(missing, cJSON_CreateString(t));
            }
    }
    cJSON *pk = cJSON_AddArrayToObject(root, "primaryKey");
    for (size_t k = 0; k < s->npk; k++)
        cJSON_AddItemToArray(pk, cJSON_CreateString(s->fields[s->primary_key[k]].name));
    return print(out, root, err);
}

/* The JSON Schema of one field's value. */
static cJSON *value_schema(const struct tally_field_def *f)
{
    cJSON *v = cJSON_CreateObject();
    if (f->title)
        cJSON_AddStringToObject(v, "description", f->title);
    switch (f->type) {
    case TALLY_TYPE_INTEGER: {
        cJSON *any = cJSON_AddArrayToObject(v, "oneOf");
        cJSON *n = cJSON_CreateObject();
        cJSON_AddStringToObject(n, "type", "integer");
        if (f->has_minimum)
            cJSON_AddNumberToObject(n, "minimum", (double)f->minimum);
        if (f->has_maximum)
            cJSON_AddNumberToObject(n, "maximum", (double)f->maximum);
        cJSON_AddItemToArray(any, n);
        /* Or a string holding a count's text, or a symbol. */
        char pattern[64];
        if (f->symbols && *f->symbols)
            snprintf(pattern, sizeof pattern, "^([0-9]+|[%.26s])$", f->symbols);
        else
            snprintf(pattern, sizeof pattern, "^[0-9]+$");
        cJSON *t = cJSON_CreateObject();
        cJSON_AddStringToObject(t, "type", "string");
        cJSON_AddStringToObject(t, "pattern", pattern);
        cJSON_AddItemToArray(any, t);
        break;
    }
    case TALLY_TYPE_DATE:
        cJSON_AddStringToObject(v, "type", "string");
        cJSON_AddStringToObject(v, "format", "date");
        cJSON_AddStringToObject(v, "pattern", "^[0-9]{4}-[0-9]{2}-[0-9]{2}$");
        break;
    case TALLY_TYPE_DATETIME:
        cJSON_AddStringToObject(v, "type", "string");
        cJSON_AddStringToObject(v, "format", "date-time");
        break;
    case TALLY_TYPE_STRING:
        cJSON_AddStringToObject(v, "type", "string");
        if (f->pattern)
            cJSON_AddStringToObject(v, "pattern", f->pattern);
        if (f->max_length)
            cJSON_AddNumberToObject(v, "maxLength", (double)f->max_length);
        if (f->n_enum) {
            cJSON *e = cJSON_AddArrayToObject(v, "enum");
            for (size_t k = 0; k < f->n_enum; k++)
                cJSON_AddItemToArray(e, cJSON_CreateString(f->enum_values[k]));
        }
        break;
    }
    return v;
}

static cJSON *object_schema(void)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "type", "object");
    cJSON_AddItemToObject(o, "properties", cJSON_CreateObject());
    cJSON_AddItemToObject(o, "required", cJSON_CreateArray());
    return o;
}

static void require(cJSON *obj, const char *name)
{
    cJSON *req = cJSON_GetObjectItemCaseSensitive(obj, "required");
    if (!req)
        return;     /* not an object schema (out of memory, or paths that clash) */
    for (cJSON *r = req->child; r; r = r->next)
        if (r->valuestring && strcmp(r->valuestring, name) == 0)
            return;
    cJSON_AddItemToArray(req, cJSON_CreateString(name));
}

/* Place field f at its path under obj, creating the objects on the way. A
 * path that runs through another field's value (paths that clash) is left
 * out rather than guessed at. */
static void place(cJSON *obj, const struct tally_field_def *f)
{
    const struct tally_path *p = &f->json;
    for (size_t i = 0; i + 1 < p->nsegs; i++) {
        cJSON *props = cJSON_GetObjectItemCaseSensitive(obj, "properties");
        if (!props)
            return;
        cJSON *next = cJSON_GetObjectItemCaseSensitive(props, p->segs[i]);
        if (!next) {
            next = object_schema();
            if (!next || !cJSON_AddItemToObject(props, p->segs[i], next)) {
                cJSON_Delete(next);
                return;
            }
        }
        if (f->required)
            require(obj, p->segs[i]);
        obj = next;
    }
    cJSON *props = cJSON_GetObjectItemCaseSensitive(obj, "properties");
    cJSON *v = props ? value_schema(f) : NULL;
    if (!v || !cJSON_AddItemToObject(props, p->segs[p->nsegs - 1], v)) {
        cJSON_Delete(v);
        return;
    }
    if (f->required)
        require(obj, p->segs[p->nsegs - 1]);
}

int tally_schema_export_json_schema(const struct tally_schema *s, FILE *out,
                                    struct tally_error *err)
{
    cJSON *root = cJSON_CreateObject();
    cJSON_AddStringToObject(root, "$schema", "https://json-schema.org/draft/2020-12/schema");
    cJSON_AddStringToObject(root, "title", s->title ? s->title : s->name);
    cJSON_AddStringToObject(root, "description", "A return: a submission, an array of "
                            "submissions or flat records, or one of them per line (NDJSON).");
    cJSON *defs = cJSON_CreateObject();
    cJSON *submission = object_schema(), *record = object_schema(), *flat = object_schema();
    if (s->json_records) {
        cJSON *arr = cJSON_CreateObject();
        cJSON_AddStringToObject(arr, "type", "array");
        cJSON_AddNumberToObject(arr, "minItems", 1);
        cJSON_AddItemToObject(arr, "items", record);
        cJSON_AddItemToObject(cJSON_GetObjectItemCaseSensitive(submission, "properties"),
                              s->json_records, arr);
        require(submission, s->json_records);
    } else {
        cJSON_Delete(record);
        record = NULL;
    }
    for (size_t i = 0; i < s->nfields; i++) {
        const struct tally_field_def *f = &s->fields[i];
        if (f->json.segs && f->json.nsegs)
            place(f->json.in_record && record ? record : submission, f);
        cJSON_AddItemToObject(cJSON_GetObjectItemCaseSensitive(flat, "properties"), f->name,
                              value_schema(f));
        if (f->required)
            require(flat, f->name);
    }
    cJSON_AddItemToObject(defs, "submission", submission);
    cJSON_AddItemToObject(defs, "flat_record", flat);
    cJSON *one = cJSON_CreateObject();
    cJSON *any = cJSON_AddArrayToObject(one, "anyOf");
    cJSON *ref = cJSON_CreateObject();
    cJSON_AddStringToObject(ref, "$ref", "#/$defs/submission");
    cJSON_AddItemToArray(any, ref);
    ref = cJSON_CreateObject();
    cJSON_AddStringToObject(ref, "$ref", "#/$defs/flat_record");
    cJSON_AddItemToArray(any, ref);
    cJSON *arr = cJSON_CreateObject();
    cJSON_AddStringToObject(arr, "type", "array");
    cJSON_AddItemToObject(arr, "items", cJSON_Duplicate(one, true));
    cJSON *top = cJSON_AddArrayToObject(root, "anyOf");
    cJSON_AddItemToArray(top, one);
    cJSON_AddItemToArray(top, arr);
    cJSON_AddItemToObject(root, "$defs", defs);
    return print(out, root, err);
}
