/*
 * export.c — the schema in use, in forms other tools read (schema.h), so an
 * authority can check a return with its own tools before sending it:
 *
 *   Table Schema   the fields, types, constraints and primary key, without
 *                  tally's additions (rules, nested paths); the statistical
 *                  symbols are listed in missingValues, so Table Schema tools
 *                  accept them where tally does; each field's aliases and
 *                  default as extra properties (which Table Schema allows)
 *   JSON Schema    (2020-12) the nested JSON shape of doc/return-format.md §2 — a submission,
 *                  an array of them, or flat records — built from each field's
 *                  "json" path
 *
 * Both are built as cJSON trees and printed once.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "tally/schema.h"

/*
 * Building a cJSON tree, every allocation checked. cJSON returns NULL (or
 * false) when it runs out of memory, and its Add functions accept NULL
 * quietly: unchecked, a failed allocation leaves a tree with a member
 * missing, printed as if whole (`schema --export json-schema` exited 0 with
 * half a schema). So every node is made and attached through a `tree`, which
 * notes the first failure; the tree is printed only when nothing failed.
 */
struct tree {
    bool failed;
};

/* Attach item to obj under key (obj an object) or append it (key NULL: obj an
 * array). Takes item: on failure it is freed. Returns item, or NULL. */
static cJSON *attach(struct tree *t, cJSON *obj, const char *key, cJSON *item)
{
    bool ok = item && obj && (key ? cJSON_AddItemToObject(obj, key, item)
                                  : cJSON_AddItemToArray(obj, item));
    if (!ok) {
        cJSON_Delete(item);
        t->failed = true;
        return NULL;
    }
    return item;
}

static cJSON *add_string(struct tree *t, cJSON *obj, const char *key, const char *value)
{
    return attach(t, obj, key, cJSON_CreateString(value));
}

static cJSON *add_number(struct tree *t, cJSON *obj, const char *key, double value)
{
    return attach(t, obj, key, cJSON_CreateNumber(value));
}

static cJSON *add_object(struct tree *t, cJSON *obj, const char *key)
{
    return attach(t, obj, key, cJSON_CreateObject());
}

static cJSON *add_array(struct tree *t, cJSON *obj, const char *key)
{
    return attach(t, obj, key, cJSON_CreateArray());
}

/* Print the tree (and free it) when it was built whole. */
static int print(struct tree *t, FILE *out, cJSON *root, struct tally_error *err)
{
    char *text = root && !t->failed ? cJSON_Print(root) : NULL;
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
    struct tree t = {false};
    cJSON *root = cJSON_CreateObject();
    if (!root)
        return tally_error_set(err, TALLY_ENOMEM, "out of memory");
    add_string(&t, root, "name", s->name);
    if (s->title)
        add_string(&t, root, "title", s->title);
    cJSON *fields = add_array(&t, root, "fields");
    cJSON *missing = add_array(&t, root, "missingValues");
    for (size_t i = 0; i < s->nmissing; i++)
        add_string(&t, missing, NULL, s->missing_values[i]);
    /* The symbols of every field, each once, after the missing values. */
    for (size_t i = 0; i < s->nfields; i++)
        for (const char *sym = s->fields[i].symbols; sym && *sym; sym++) {
            bool seen = false;
            for (size_t j = 0; j <= i && !seen; j++) {
                const char *earlier = s->fields[j].symbols;
                const char *at = earlier ? strchr(earlier, *sym) : NULL;
                seen = at && (j < i || at < sym);
            }
            char text[2] = {*sym, '\0'};
            if (!seen)
                add_string(&t, missing, NULL, text);
        }
    for (size_t i = 0; i < s->nfields; i++) {
        const struct tally_field_def *f = &s->fields[i];
        cJSON *o = add_object(&t, fields, NULL);
        add_string(&t, o, "name", f->name);
        if (f->title)
            add_string(&t, o, "title", f->title);
        add_string(&t, o, "type", tally_type_name(f->type));
        if (f->required || f->has_minimum || f->has_maximum || f->max_length || f->pattern ||
            f->n_enum) {
            cJSON *c = add_object(&t, o, "constraints");
            if (f->required)
                attach(&t, c, "required", cJSON_CreateBool(true));
            if (f->has_minimum)
                add_number(&t, c, "minimum", (double)f->minimum);
            if (f->has_maximum)
                add_number(&t, c, "maximum", (double)f->maximum);
            if (f->max_length)
                add_number(&t, c, "maxLength", (double)f->max_length);
            if (f->pattern)
                add_string(&t, c, "pattern", f->pattern);
            if (f->n_enum) {
                cJSON *e = add_array(&t, c, "enum");
                for (size_t k = 0; k < f->n_enum; k++)
                    add_string(&t, e, NULL, f->enum_values[k]);
            }
        }
        /* Not Table Schema words, but properties it allows: what a table's
         * header may call the field, and its value when the table has no column. */
        if (f->naliases) {
            cJSON *a = add_array(&t, o, "aliases");
            for (size_t k = 0; k < f->naliases; k++)
                add_string(&t, a, NULL, f->aliases[k]);
        }
        if (f->default_value)
            add_string(&t, o, "default", f->default_value);
    }
    cJSON *pk = add_array(&t, root, "primaryKey");
    for (size_t k = 0; k < s->npk; k++)
        add_string(&t, pk, NULL, s->fields[s->primary_key[k]].name);
    return print(&t, out, root, err);
}

/* The JSON Schema of one field's value, or NULL (t->failed) when out of memory. */
static cJSON *value_schema(struct tree *t, const struct tally_field_def *f)
{
    cJSON *v = cJSON_CreateObject();
    if (!v) {
        t->failed = true;
        return NULL;
    }
    if (f->title)
        add_string(t, v, "description", f->title);
    switch (f->type) {
    case TALLY_TYPE_INTEGER: {
        cJSON *any = add_array(t, v, "oneOf");
        cJSON *n = add_object(t, any, NULL);
        add_string(t, n, "type", "integer");
        if (f->has_minimum)
            add_number(t, n, "minimum", (double)f->minimum);
        if (f->has_maximum)
            add_number(t, n, "maximum", (double)f->maximum);
        /* Or a string holding a count's text, or a symbol. */
        size_t nsym = f->symbols ? strlen(f->symbols) : 0;
        char *pattern = malloc(sizeof "^([0-9]+|[])$" + nsym);
        if (pattern) {
            if (nsym)
                sprintf(pattern, "^([0-9]+|[%s])$", f->symbols);
            else
                strcpy(pattern, "^[0-9]+$");
        }
        cJSON *str = add_object(t, any, NULL);
        add_string(t, str, "type", "string");
        if (pattern)
            add_string(t, str, "pattern", pattern);
        else
            t->failed = true;
        free(pattern);
        break;
    }
    case TALLY_TYPE_DATE:
        add_string(t, v, "type", "string");
        add_string(t, v, "format", "date");
        add_string(t, v, "pattern", "^[0-9]{4}-[0-9]{2}-[0-9]{2}$");
        break;
    case TALLY_TYPE_DATETIME:
        add_string(t, v, "type", "string");
        add_string(t, v, "format", "date-time");
        break;
    case TALLY_TYPE_STRING:
        add_string(t, v, "type", "string");
        if (f->pattern)
            add_string(t, v, "pattern", f->pattern);
        if (f->max_length)
            add_number(t, v, "maxLength", (double)f->max_length);
        if (f->n_enum) {
            cJSON *e = add_array(t, v, "enum");
            for (size_t k = 0; k < f->n_enum; k++)
                add_string(t, e, NULL, f->enum_values[k]);
        }
        break;
    }
    return v;
}

/* {"type": "object", "properties": {}, "required": []}, or NULL (t->failed). */
static cJSON *object_schema(struct tree *t)
{
    cJSON *o = cJSON_CreateObject();
    if (!o) {
        t->failed = true;
        return NULL;
    }
    add_string(t, o, "type", "object");
    add_object(t, o, "properties");
    add_array(t, o, "required");
    return o;
}

static void require(struct tree *t, cJSON *obj, const char *name)
{
    cJSON *req = cJSON_GetObjectItemCaseSensitive(obj, "required");
    if (!req)
        return;     /* not an object schema (paths that clash) */
    for (cJSON *r = req->child; r; r = r->next)
        if (r->valuestring && strcmp(r->valuestring, name) == 0)
            return;
    add_string(t, req, NULL, name);
}

/* Place field f at its path under obj, creating the objects on the way. A
 * path that runs through another field's value (paths that clash) is left
 * out rather than guessed at. */
static void place(struct tree *t, cJSON *obj, const struct tally_field_def *f)
{
    const struct tally_path *p = &f->json;
    for (size_t i = 0; i + 1 < p->nsegs; i++) {
        cJSON *props = cJSON_GetObjectItemCaseSensitive(obj, "properties");
        if (!props)
            return;
        cJSON *next = cJSON_GetObjectItemCaseSensitive(props, p->segs[i]);
        if (!next && !(next = attach(t, props, p->segs[i], object_schema(t))))
            return;
        if (f->required)
            require(t, obj, p->segs[i]);
        obj = next;
    }
    cJSON *props = cJSON_GetObjectItemCaseSensitive(obj, "properties");
    if (!props)
        return;
    attach(t, props, p->segs[p->nsegs - 1], value_schema(t, f));
    if (f->required)
        require(t, obj, p->segs[p->nsegs - 1]);
}

int tally_schema_export_json_schema(const struct tally_schema *s, FILE *out,
                                    struct tally_error *err)
{
    struct tree t = {false};
    cJSON *root = cJSON_CreateObject();
    if (!root)
        return tally_error_set(err, TALLY_ENOMEM, "out of memory");
    add_string(&t, root, "$schema", "https://json-schema.org/draft/2020-12/schema");
    add_string(&t, root, "title", s->title ? s->title : s->name);
    add_string(&t, root, "description", "A return: a submission, an array of "
               "submissions or flat records, or one of them per line (NDJSON).");
    /* One submission or flat record, or an array of them. */
    cJSON *top = add_array(&t, root, "anyOf");
    cJSON *one = add_object(&t, top, NULL);
    cJSON *any = add_array(&t, one, "anyOf");
    add_string(&t, add_object(&t, any, NULL), "$ref", "#/$defs/submission");
    add_string(&t, add_object(&t, any, NULL), "$ref", "#/$defs/flat_record");
    cJSON *many = add_object(&t, top, NULL);
    add_string(&t, many, "type", "array");
    attach(&t, many, "items", one ? cJSON_Duplicate(one, true) : NULL);
    cJSON *defs = add_object(&t, root, "$defs");
    cJSON *submission = attach(&t, defs, "submission", object_schema(&t));
    cJSON *flat = attach(&t, defs, "flat_record", object_schema(&t));
    cJSON *record = NULL;
    if (s->json_records && submission) {
        cJSON *arr = attach(&t, cJSON_GetObjectItemCaseSensitive(submission, "properties"),
                            s->json_records, cJSON_CreateObject());
        add_string(&t, arr, "type", "array");
        add_number(&t, arr, "minItems", 1);
        record = attach(&t, arr, "items", object_schema(&t));
        require(&t, submission, s->json_records);
    }
    for (size_t i = 0; i < s->nfields && !t.failed; i++) {
        const struct tally_field_def *f = &s->fields[i];
        if (f->json.segs && f->json.nsegs)
            place(&t, f->json.in_record && record ? record : submission, f);
        attach(&t, cJSON_GetObjectItemCaseSensitive(flat, "properties"), f->name,
               value_schema(&t, f));
        if (f->required)
            require(&t, flat, f->name);
    }
    return print(&t, out, root, err);
}
