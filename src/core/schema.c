/*
 * schema.c — loading a schema file (schema.h).
 *
 * The file is JSON in the shape of schemas/missing-from-care.schema.json:
 *
 *   {"name": ..., "version": ..., "missingValues": [""],
 *    "fields": [{"name", "type", "symbols", "constraints": {...}, "json", "xml",
 *                "aliases": [...], "default": ...}, ...],
 *    "primaryKey": [...], "roles": {...}, "rules": [{"id", "severity", "assert", "message"}],
 *    "rows": {"totals": [...], "aggregates": {"field", "values": [...]}}}
 *
 * Every problem is reported with where it is ("fields[3] (\"in_care\"): ...")
 * so that whoever writes a schema can fix it without reading C. Unknown keys
 * are errors where a typo would silently weaken a check (constraints, rules).
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cjson/cJSON.h>

#include "tally/expr.h"
#include "core/pattern.h"
#include "core/textpos.h"
#include "tally/schema.h"

extern const unsigned char tally_embedded_missing_from_care_schema_json[];
extern const size_t tally_embedded_missing_from_care_schema_json_len;

static const char *const role_names[TALLY_ROLE_COUNT] = {
    "authority_code", "authority_name", "period_start", "period_end", "submitted", "cohort",
};

/* Is key one of the NULL-terminated names? */
static bool known_key(const char *key, const char *const *names)
{
    for (; *names; names++)
        if (strcmp(key, *names) == 0)
            return true;
    return false;
}

/* Fail with "<where>: unknown key \"k\"" for the first key of obj not in names. */
static int check_keys(const cJSON *obj, const char *const *names, const char *where,
                      struct tally_error *err)
{
    const cJSON *item;
    cJSON_ArrayForEach(item, obj) {
        if (!known_key(item->string, names))
            return tally_error_set(err, TALLY_ESCHEMA, "%s: unknown key \"%s\"", where, item->string);
    }
    return TALLY_OK;
}

/* A copy of obj[key] when it is a string; NULL (and *bad) when it is another
 * type; NULL (and *nomem) when the copy cannot be made. */
static char *opt_string(const cJSON *obj, const char *key, bool *bad, bool *nomem)
{
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(obj, key);
    if (!item || cJSON_IsNull(item))
        return NULL;
    if (!cJSON_IsString(item)) {
        *bad = true;
        return NULL;
    }
    char *copy = strdup(item->valuestring);
    if (!copy)
        *nomem = true;
    return copy;
}

/* A JSON number that is an exact integer in int64 range. */
static bool get_int(const cJSON *item, int64_t *out)
{
    if (!cJSON_IsNumber(item))
        return false;
    double d = item->valuedouble;
    if (!(d >= -9007199254740992.0 && d <= 9007199254740992.0) || d != (double)(int64_t)d)
        return false;
    *out = (int64_t)d;
    return true;
}

/* Fill a string list (array of strings) from item. */
static int string_list(const cJSON *item, char ***out, size_t *n, const char *where,
                       struct tally_error *err)
{
    if (!cJSON_IsArray(item))
        return tally_error_set(err, TALLY_ESCHEMA, "%s: expected an array of strings", where);
    size_t count = (size_t)cJSON_GetArraySize(item);
    char **list = calloc(count ? count : 1, sizeof *list);
    if (!list)
        return tally_error_set(err, TALLY_ENOMEM, "out of memory");
    *out = list;
    *n = 0;
    const cJSON *e;
    cJSON_ArrayForEach(e, item) {
        if (!cJSON_IsString(e))
            return tally_error_set(err, TALLY_ESCHEMA, "%s: expected an array of strings", where);
        if (!(list[(*n)++] = strdup(e->valuestring)))
            return tally_error_set(err, TALLY_ENOMEM, "out of memory");
    }
    return TALLY_OK;
}

static int load_constraints(struct tally_field_def *f, const cJSON *c, const char *where,
                            struct tally_error *err)
{
    static const char *const keys[] = {"required", "minimum", "maximum", "pattern", "enum",
                                       "maxLength", NULL};
    char w[160];
    snprintf(w, sizeof w, "%s: constraints", where);
    if (!cJSON_IsObject(c))
        return tally_error_set(err, TALLY_ESCHEMA, "%s: expected an object", w);
    int rc = check_keys(c, keys, w, err);
    if (rc)
        return rc;
    const cJSON *item;
    if ((item = cJSON_GetObjectItemCaseSensitive(c, "required"))) {
        if (!cJSON_IsBool(item))
            return tally_error_set(err, TALLY_ESCHEMA, "%s: required must be true or false", w);
        f->required = cJSON_IsTrue(item);
    }
    if ((item = cJSON_GetObjectItemCaseSensitive(c, "minimum"))) {
        if (f->type != TALLY_TYPE_INTEGER || !get_int(item, &f->minimum))
            return tally_error_set(err, TALLY_ESCHEMA, "%s: minimum must be an integer, on an integer field", w);
        f->has_minimum = true;
    }
    if ((item = cJSON_GetObjectItemCaseSensitive(c, "maximum"))) {
        if (f->type != TALLY_TYPE_INTEGER || !get_int(item, &f->maximum))
            return tally_error_set(err, TALLY_ESCHEMA, "%s: maximum must be an integer, on an integer field", w);
        f->has_maximum = true;
    }
    if (f->has_minimum && f->has_maximum && f->minimum > f->maximum)
        return tally_error_set(err, TALLY_ESCHEMA, "%s: minimum is greater than maximum", w);
    if ((item = cJSON_GetObjectItemCaseSensitive(c, "maxLength"))) {
        int64_t n;
        if (!get_int(item, &n) || n < 1)
            return tally_error_set(err, TALLY_ESCHEMA, "%s: maxLength must be a positive integer", w);
        f->max_length = (size_t)n;
    }
    if ((item = cJSON_GetObjectItemCaseSensitive(c, "pattern"))) {
        if (!cJSON_IsString(item) || f->type != TALLY_TYPE_STRING)
            return tally_error_set(err, TALLY_ESCHEMA, "%s: pattern must be a string, on a string field", w);
        if (!(f->pattern = strdup(item->valuestring)))
            return tally_error_set(err, TALLY_ENOMEM, "out of memory");
        char why[160];
        if (!(f->regex = tally_pattern_compile(f->pattern, why, sizeof why)))
            return tally_error_set(err, strcmp(why, "out of memory") == 0 ? TALLY_ENOMEM
                                                                          : TALLY_ESCHEMA,
                                   "%s: pattern \"%s\": %s", w, f->pattern, why);
    }
    if ((item = cJSON_GetObjectItemCaseSensitive(c, "enum"))) {
        char we[180];
        snprintf(we, sizeof we, "%s: enum", w);
        if (f->type != TALLY_TYPE_STRING)
            return tally_error_set(err, TALLY_ESCHEMA, "%s: only string fields may have an enum", we);
        rc = string_list(item, &f->enum_values, &f->n_enum, we, err);
        if (rc)
            return rc;
        if (f->n_enum == 0)
            return tally_error_set(err, TALLY_ESCHEMA, "%s: must not be empty", we);
    }
    return TALLY_OK;
}

static int load_symbols(struct tally_field_def *f, const cJSON *item, const char *where,
                        struct tally_error *err)
{
    if (f->type != TALLY_TYPE_INTEGER)
        return tally_error_set(err, TALLY_ESCHEMA, "%s: symbols are only for integer fields", where);
    if (!cJSON_IsArray(item))
        return tally_error_set(err, TALLY_ESCHEMA, "%s: symbols must be an array of one-letter strings", where);
    int n = cJSON_GetArraySize(item);
    if (!(f->symbols = calloc((size_t)n + 1, 1)))
        return tally_error_set(err, TALLY_ENOMEM, "out of memory");
    int i = 0;
    const cJSON *e;
    cJSON_ArrayForEach(e, item) {
        const char *s = cJSON_GetStringValue(e);
        if (!s || strlen(s) != 1 || !((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= 'A' && s[0] <= 'Z')))
            return tally_error_set(err, TALLY_ESCHEMA, "%s: symbols must be an array of one-letter strings", where);
        f->symbols[i++] = s[0];
    }
    return TALLY_OK;
}

/*
 * Parse a nested path ("cohorts[].found" with sep '.', "cohort[]/@type" with
 * sep '/') into p, and the name before "[]" into *array (checked against an
 * earlier field's). Every segment must be non-empty; only the first may carry
 * "[]"; an attribute ("@name") may only be last.
 */
static int parse_path(const char *text, char sep, struct tally_path *p, char **array,
                      const char *where, struct tally_error *err)
{
    size_t n = 1;
    for (const char *c = text; *c; c++)
        n += *c == sep;
    if (!(p->segs = calloc(n, sizeof *p->segs)))
        return tally_error_set(err, TALLY_ENOMEM, "out of memory");
    const char *start = text;
    for (size_t i = 0; i < n; i++) {
        const char *end = strchr(start, sep);
        size_t len = end ? (size_t)(end - start) : strlen(start);
        bool is_array = len > 2 && start[len - 2] == '[' && start[len - 1] == ']';
        if (is_array && (i != 0 || n == 1))
            return tally_error_set(err, TALLY_ESCHEMA, "%s: \"%s\": only the first part of a "
                                   "path may be an array, and it needs a field after it", where, text);
        if (is_array) {
            len -= 2;
            if (*array && (strlen(*array) != len || strncmp(*array, start, len) != 0))
                return tally_error_set(err, TALLY_ESCHEMA, "%s: \"%s\": every record field must "
                                       "be in the same array (\"%s[]\")", where, text, *array);
            if (!*array && !(*array = strndup(start, len)))
                return tally_error_set(err, TALLY_ENOMEM, "out of memory");
            p->in_record = true;
            start = end + 1;
            continue;
        }
        if (len == 0 || memchr(start, '[', len) || (start[0] == '@' && (end || sep != '/')))
            return tally_error_set(err, TALLY_ESCHEMA, "%s: \"%s\" is not a valid path", where, text);
        if (!(p->segs[p->nsegs++] = strndup(start, len)))
            return tally_error_set(err, TALLY_ENOMEM, "out of memory");
        start = end ? end + 1 : start + len;
    }
    return TALLY_OK;
}

static void free_path(struct tally_path *p)
{
    for (size_t i = 0; i < p->nsegs; i++)
        free(p->segs[i]);
    free(p->segs);
}

/* "default": a string the field's type accepts, used when a table has no column for it. */
static int load_default(struct tally_field_def *f, const cJSON *item, const char *where,
                        struct tally_error *err)
{
    const char *v = cJSON_GetStringValue(item);
    int64_t n;
    char sym;
    bool ok = v && *v;
    if (ok && f->type == TALLY_TYPE_DATE)
        ok = tally_parse_date(v, strlen(v), &n);
    else if (ok && f->type == TALLY_TYPE_DATETIME)
        ok = tally_parse_datetime(v, strlen(v), &n);
    else if (ok && f->type == TALLY_TYPE_INTEGER)
        ok = tally_parse_count(v, strlen(v), f->symbols, &n, &sym) != TALLY_COUNT_BAD;
    for (size_t k = 0; ok && k < f->n_enum && strcmp(f->enum_values[k], v) != 0; k++)
        ok = k + 1 < f->n_enum;
    if (!ok)
        return tally_error_set(err, TALLY_ESCHEMA, "%s: default must be a string holding a "
                               "valid value of the field", where);
    if (!(f->default_value = strdup(v)))
        return tally_error_set(err, TALLY_ENOMEM, "out of memory");
    return TALLY_OK;
}

static int load_field(struct tally_schema *s, size_t i, const cJSON *obj, struct tally_error *err)
{
    static const char *const keys[] = {"name", "title", "description", "type", "format", "example",
                                       "constraints", "symbols", "json", "xml", "rdfType",
                                       "aliases", "default", NULL};
    struct tally_field_def *f = &s->fields[i];
    char where[128];
    snprintf(where, sizeof where, "fields[%zu]", i);
    if (!cJSON_IsObject(obj))
        return tally_error_set(err, TALLY_ESCHEMA, "%s: expected an object", where);
    const char *name = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(obj, "name"));
    if (!name || !*name)
        return tally_error_set(err, TALLY_ESCHEMA, "%s: a field needs a \"name\"", where);
    for (const char *p = name; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || *p == '_' ||
              (p > name && *p >= '0' && *p <= '9')))
            return tally_error_set(err, TALLY_ESCHEMA,
                                   "%s: name \"%s\" must be letters, digits and _ (not starting with a digit)",
                                   where, name);
    snprintf(where, sizeof where, "fields[%zu] (\"%.60s\")", i, name);
    if (!(f->name = strdup(name)))
        return tally_error_set(err, TALLY_ENOMEM, "out of memory");
    for (size_t j = 0; j < i; j++)
        if (strcmp(s->fields[j].name, name) == 0)
            return tally_error_set(err, TALLY_ESCHEMA, "%s: a field of that name already exists", where);
    int rc = check_keys(obj, keys, where, err);
    if (rc)
        return rc;

    const char *type = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(obj, "type"));
    if (!type)
        type = "string";    /* Table Schema's default */
    enum tally_type t = TALLY_TYPE_STRING;
    while (t <= TALLY_TYPE_DATETIME && strcmp(type, tally_type_name(t)) != 0)
        t++;
    if (t > TALLY_TYPE_DATETIME)
        return tally_error_set(err, TALLY_ESCHEMA,
                               "%s: unknown type \"%s\" (expected string, integer, date or datetime)",
                               where, type);
    f->type = t;

    bool bad = false, nomem = false;
    f->title = opt_string(obj, "title", &bad, &nomem);
    f->description = opt_string(obj, "description", &bad, &nomem);
    f->json_path = opt_string(obj, "json", &bad, &nomem);
    f->xml_path = opt_string(obj, "xml", &bad, &nomem);
    if (nomem)
        return tally_error_set(err, TALLY_ENOMEM, "out of memory");
    if (bad)
        return tally_error_set(err, TALLY_ESCHEMA, "%s: title, description, json and xml must be strings", where);
    char w[200];
    snprintf(w, sizeof w, "%s: json", where);
    if (f->json_path && (rc = parse_path(f->json_path, '.', &f->json, &s->json_records, w, err)))
        return rc;
    snprintf(w, sizeof w, "%s: xml", where);
    if (f->xml_path && (rc = parse_path(f->xml_path, '/', &f->xml, &s->xml_records, w, err)))
        return rc;
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(obj, "symbols");
    if (item && (rc = load_symbols(f, item, where, err)))
        return rc;
    item = cJSON_GetObjectItemCaseSensitive(obj, "constraints");
    if (item && (rc = load_constraints(f, item, where, err)))
        return rc;
    if ((item = cJSON_GetObjectItemCaseSensitive(obj, "aliases"))) {
        snprintf(w, sizeof w, "%s: aliases", where);
        if ((rc = string_list(item, &f->aliases, &f->naliases, w, err)))
            return rc;
        for (size_t k = 0; k < f->naliases; k++)
            if (tally_header_normalise(f->aliases[k], strlen(f->aliases[k]), NULL, 0) == 0)
                return tally_error_set(err, TALLY_ESCHEMA, "%s: an alias needs a letter or "
                                       "digit", w);
    }
    if ((item = cJSON_GetObjectItemCaseSensitive(obj, "default")))
        return load_default(f, item, where, err);
    return TALLY_OK;
}

/* Check that every {name} in a message template names a field. */
static int check_template(const struct tally_schema *s, const char *tmpl, const char *where,
                          struct tally_error *err)
{
    for (const char *p = strchr(tmpl, '{'); p; p = strchr(p + 1, '{')) {
        const char *end = strchr(p, '}');
        if (!end)
            return tally_error_set(err, TALLY_ESCHEMA, "%s: message: \"{\" without \"}\"", where);
        if (tally_schema_field_index(s, p + 1, (size_t)(end - p - 1)) < 0)
            return tally_error_set(err, TALLY_ESCHEMA, "%s: message: unknown field \"%.*s\"", where,
                                   (int)(end - p - 1), p + 1);
    }
    return TALLY_OK;
}

static int load_rule(struct tally_schema *s, size_t i, const cJSON *obj, struct tally_error *err)
{
    static const char *const keys[] = {"id", "severity", "assert", "message", "description", NULL};
    struct tally_rule *r = &s->rules[i];
    char where[128];
    snprintf(where, sizeof where, "rules[%zu]", i);
    if (!cJSON_IsObject(obj))
        return tally_error_set(err, TALLY_ESCHEMA, "%s: expected an object", where);
    const char *id = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(obj, "id"));
    if (!id || !*id)
        return tally_error_set(err, TALLY_ESCHEMA, "%s: a rule needs an \"id\"", where);
    snprintf(where, sizeof where, "rules[%zu] (\"%.60s\")", i, id);
    if (!(r->id = strdup(id)))
        return tally_error_set(err, TALLY_ENOMEM, "out of memory");
    for (size_t j = 0; j < i; j++)
        if (strcmp(s->rules[j].id, id) == 0)
            return tally_error_set(err, TALLY_ESCHEMA, "%s: a rule with that id already exists", where);
    int rc = check_keys(obj, keys, where, err);
    if (rc)
        return rc;
    const char *sev = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(obj, "severity"));
    if (!sev)
        sev = "error";
    if (strcmp(sev, "error") == 0)
        r->severity = TALLY_SEV_ERROR;
    else if (strcmp(sev, "warning") == 0)
        r->severity = TALLY_SEV_WARNING;
    else
        return tally_error_set(err, TALLY_ESCHEMA, "%s: severity \"%s\" is not error or warning", where, sev);
    const char *assert_src = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(obj, "assert"));
    const char *message = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(obj, "message"));
    if (!assert_src)
        return tally_error_set(err, TALLY_ESCHEMA, "%s: a rule needs an \"assert\" string", where);
    if (!message)
        return tally_error_set(err, TALLY_ESCHEMA, "%s: a rule needs a \"message\" string", where);
    if (!(r->assert_src = strdup(assert_src)) || !(r->message = strdup(message)))
        return tally_error_set(err, TALLY_ENOMEM, "out of memory");
    if ((rc = check_template(s, message, where, err)))
        return rc;
    struct tally_error e2;
    r->expr = tally_expr_compile(assert_src, s->fields, s->nfields, &e2);
    if (!r->expr)
        return tally_error_set(err, e2.status == TALLY_ENOMEM ? TALLY_ENOMEM : TALLY_ESCHEMA,
                               "%s: assert: %s", where, e2.message);
    return TALLY_OK;
}

static int load_primary_key(struct tally_schema *s, const cJSON *item, struct tally_error *err)
{
    if (!item)
        return TALLY_OK;
    char **names = NULL;
    size_t n = 0;
    int rc;
    if (cJSON_IsString(item)) {     /* Table Schema allows a single name */
        if (!(names = calloc(1, sizeof *names)) || !(names[0] = strdup(item->valuestring)))
            rc = tally_error_set(err, TALLY_ENOMEM, "out of memory");
        else
            rc = TALLY_OK, n = 1;
    } else {
        rc = string_list(item, &names, &n, "primaryKey", err);
    }
    if (rc == TALLY_OK && !(s->primary_key = calloc(n ? n : 1, sizeof *s->primary_key)))
        rc = tally_error_set(err, TALLY_ENOMEM, "out of memory");
    for (size_t i = 0; rc == TALLY_OK && i < n; i++) {
        int idx = tally_schema_field_index(s, names[i], strlen(names[i]));
        if (idx < 0)
            rc = tally_error_set(err, TALLY_ESCHEMA, "primaryKey: unknown field \"%s\"", names[i]);
        else
            s->primary_key[s->npk++] = (size_t)idx;
    }
    for (size_t i = 0; names && i < n; i++)
        free(names[i]);
    free(names);
    return rc;
}

static int load_roles(struct tally_schema *s, const cJSON *item, struct tally_error *err)
{
    for (int r = 0; r < TALLY_ROLE_COUNT; r++)
        s->role[r] = -1;
    if (!item)
        return TALLY_OK;
    if (!cJSON_IsObject(item))
        return tally_error_set(err, TALLY_ESCHEMA, "roles: expected an object");
    const cJSON *e;
    cJSON_ArrayForEach(e, item) {
        int r = 0;
        while (r < TALLY_ROLE_COUNT && strcmp(e->string, role_names[r]) != 0)
            r++;
        if (r == TALLY_ROLE_COUNT)
            return tally_error_set(err, TALLY_ESCHEMA, "roles: unknown role \"%s\"", e->string);
        const char *name = cJSON_GetStringValue(e);
        int idx = name ? tally_schema_field_index(s, name, strlen(name)) : -1;
        if (idx < 0)
            return tally_error_set(err, TALLY_ESCHEMA, "roles: %s: unknown field \"%s\"", e->string,
                                   name ? name : "");
        s->role[r] = idx;
    }
    static const enum tally_type want[TALLY_ROLE_COUNT] = {
        TALLY_TYPE_STRING, TALLY_TYPE_STRING, TALLY_TYPE_DATE, TALLY_TYPE_DATE,
        TALLY_TYPE_DATETIME, TALLY_TYPE_STRING,
    };
    for (int r = 0; r < TALLY_ROLE_COUNT; r++)
        if (s->role[r] >= 0 && s->fields[s->role[r]].type != want[r])
            return tally_error_set(err, TALLY_ESCHEMA, "roles: %s: field \"%s\" has the wrong type",
                                   role_names[r], s->fields[s->role[r]].name);
    return TALLY_OK;
}

/* "ratios": [{"name", "numerator", "denominator", "title"}] */
static int load_ratios(struct tally_schema *s, const cJSON *ratios, struct tally_error *err)
{
    static const char *const rkeys[] = {"name", "numerator", "denominator", "title", NULL};
    if (!ratios)
        return TALLY_OK;
    if (!cJSON_IsArray(ratios))
        return tally_error_set(err, TALLY_ESCHEMA, "dataset: ratios: expected an array");
    size_t n = (size_t)cJSON_GetArraySize(ratios);
    if (n && !(s->ratios = calloc(n, sizeof *s->ratios)))
        return tally_error_set(err, TALLY_ENOMEM, "out of memory");
    const cJSON *r;
    int rc;
    cJSON_ArrayForEach(r, ratios) {
        char where[64];
        snprintf(where, sizeof where, "dataset: ratios[%zu]", s->nratios);
        if (!cJSON_IsObject(r))
            return tally_error_set(err, TALLY_ESCHEMA, "%s: expected an object", where);
        if ((rc = check_keys(r, rkeys, where, err)))
            return rc;
        struct tally_ratio *ratio = &s->ratios[s->nratios++];
        const char *name = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(r, "name"));
        if (!name || !(ratio->name = strdup(name)))
            return tally_error_set(err, name ? TALLY_ENOMEM : TALLY_ESCHEMA, "%s: %s", where,
                                   name ? "out of memory" : "a ratio needs a \"name\"");
        const char *parts[2] = {"numerator", "denominator"};
        size_t *idx[2] = {&ratio->numerator, &ratio->denominator};
        for (int k = 0; k < 2; k++) {
            const char *f = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(r, parts[k]));
            int i = f ? tally_schema_field_index(s, f, strlen(f)) : -1;
            if (i < 0 || s->fields[i].type != TALLY_TYPE_INTEGER)
                return tally_error_set(err, TALLY_ESCHEMA, "%s: %s must name an integer field",
                                       where, parts[k]);
            *idx[k] = (size_t)i;
        }
    }
    return TALLY_OK;
}

/*
 * "disclosure": {"measures": ["in_care", ...], "range": [1, 5], "symbol": "c"};
 * every key optional (defaults: every integer field, 1 to 5, "c"). The symbol
 * must be one every protected field accepts, so a suppressed cell reads back
 * as a valid count of the schema.
 */
static int load_disclosure(struct tally_schema *s, const cJSON *d, struct tally_error *err)
{
    static const char *const keys[] = {"measures", "range", "symbol", "title", NULL};
    struct tally_disclosure_policy *p = &s->disclosure;
    if (!(p->protect = calloc(s->nfields + 1, sizeof *p->protect)))
        return tally_error_set(err, TALLY_ENOMEM, "out of memory");
    p->minimum = 1;
    p->maximum = 5;
    const char *symbol = "c";
    const cJSON *measures = NULL, *range = NULL;
    int rc;
    if (d) {
        if (!cJSON_IsObject(d))
            return tally_error_set(err, TALLY_ESCHEMA, "dataset: disclosure: expected an object");
        if ((rc = check_keys(d, keys, "dataset: disclosure", err)))
            return rc;
        measures = cJSON_GetObjectItemCaseSensitive(d, "measures");
        range = cJSON_GetObjectItemCaseSensitive(d, "range");
        const cJSON *sym = cJSON_GetObjectItemCaseSensitive(d, "symbol");
        if (sym && !(cJSON_IsString(sym) && strlen(sym->valuestring) == 1))
            return tally_error_set(err, TALLY_ESCHEMA, "dataset: disclosure: symbol must be a "
                                   "one-letter statistical symbol");
        if (sym)
            symbol = sym->valuestring;
    }
    if (measures) {
        if (!cJSON_IsArray(measures) || cJSON_GetArraySize(measures) == 0)
            return tally_error_set(err, TALLY_ESCHEMA, "dataset: disclosure: measures must be "
                                   "a non-empty list of integer fields");
        const cJSON *m;
        cJSON_ArrayForEach(m, measures) {
            const char *f = cJSON_GetStringValue(m);
            int i = f ? tally_schema_field_index(s, f, strlen(f)) : -1;
            if (i < 0 || s->fields[i].type != TALLY_TYPE_INTEGER)
                return tally_error_set(err, TALLY_ESCHEMA, "dataset: disclosure: measures: "
                                       "\"%s\" is not an integer field", f ? f : "?");
            p->protect[i] = true;
        }
    } else {
        for (size_t i = 0; i < s->nfields; i++)
            p->protect[i] = s->fields[i].type == TALLY_TYPE_INTEGER;
    }
    if (range) {
        int64_t lo, hi;
        if (!cJSON_IsArray(range) || cJSON_GetArraySize(range) != 2 ||
            !get_int(cJSON_GetArrayItem(range, 0), &lo) ||
            !get_int(cJSON_GetArrayItem(range, 1), &hi) || lo < 1 || hi < lo || hi > 1000000)
            return tally_error_set(err, TALLY_ESCHEMA, "dataset: disclosure: range must be "
                                   "[MIN, MAX] with 1 <= MIN <= MAX <= 1000000 (0 is always "
                                   "published)");
        p->minimum = lo;
        p->maximum = hi;
    }
    /* Declared: the symbol must be one the protected fields accept. By default
     * (nothing declared) only the fields that accept it are protected. */
    for (size_t i = 0; i < s->nfields; i++) {
        bool accepts = s->fields[i].symbols && strchr(s->fields[i].symbols, symbol[0]);
        if (p->protect[i] && !accepts && measures)
            return tally_error_set(err, TALLY_ESCHEMA, "dataset: disclosure: symbol \"%s\" is "
                                   "not one of field \"%s\"'s symbols", symbol, s->fields[i].name);
        p->protect[i] = p->protect[i] && accepts;
    }
    if (!(p->symbol = strdup(symbol)))
        return tally_error_set(err, TALLY_ENOMEM, "out of memory");
    return TALLY_OK;
}

/* A copy of obj[key] as a string that must be there (or may be absent when
 * optional: then ""). Fails with "<where>: <key> ...". */
static int ees_string(const cJSON *obj, const char *key, bool optional, size_t max_chars,
                      char **out, const char *where, struct tally_error *err)
{
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(obj, key);
    const char *v = cJSON_GetStringValue(item);
    if (!item && optional)
        v = "";
    if (!v || (!optional && !*v))
        return tally_error_set(err, TALLY_ESCHEMA, "%s: %s must be a%s string", where, key,
                               optional ? "" : " non-empty");
    size_t chars = 0;
    for (const char *c = v; *c; c++)
        chars += ((unsigned char)*c & 0xC0) != 0x80;
    if (chars > max_chars)
        return tally_error_set(err, TALLY_ESCHEMA, "%s: %s is longer than %zu characters (EES's "
                               "limit)", where, key, max_chars);
    if (strspn(v, " ") || (*v && v[strlen(v) - 1] == ' '))
        return tally_error_set(err, TALLY_ESCHEMA, "%s: %s must not start or end with a space",
                               where, key);
    return (*out = strdup(v)) ? TALLY_OK : tally_error_set(err, TALLY_ENOMEM, "out of memory");
}

/* An EES column name: snake_case (a-z, 0-9, _), starting with a letter, at most 50 characters. */
static bool ees_name_ok(const char *n)
{
    size_t len = strlen(n);
    return len && len <= 50 && n[0] >= 'a' && n[0] <= 'z' &&
           strspn(n, "abcdefghijklmnopqrstuvwxyz0123456789_") == len;
}

/*
 * "ees": {"filter": {"field", "name", "label", "hint", "default", "items": {value: label}},
 *         "indicators": [{"column", "name", "label", "grouping", "unit", "dp"}]}
 * Checked against DfE's open data standards where a schema could break them
 * (names, units, decimal places, lengths), so `--publish ees` cannot write a
 * file the screener would refuse for a reason the schema decides.
 */
static int load_ees(struct tally_schema *s, const cJSON *e, struct tally_error *err)
{
    static const char *const keys[] = {"filter", "indicators", NULL};
    static const char *const fkeys[] = {"field", "name", "label", "hint", "default", "items", NULL};
    static const char *const ikeys[] = {"column", "name", "label", "grouping", "unit", "dp", NULL};
    static const char *const units[] = {"", "%", "pp", "\xC2\xA3", "\xC2\xA3m", "numberstring", NULL};
    struct tally_ees_spec *x = &s->ees;
    x->filter_field = -1;
    if (!e)
        return TALLY_OK;
    int rc;
    if (!cJSON_IsObject(e))
        return tally_error_set(err, TALLY_ESCHEMA, "dataset: ees: expected an object");
    if ((rc = check_keys(e, keys, "dataset: ees", err)))
        return rc;
    x->present = true;
    const cJSON *f = cJSON_GetObjectItemCaseSensitive(e, "filter");
    if (f) {
        const char *where = "dataset: ees: filter";
        if (!cJSON_IsObject(f))
            return tally_error_set(err, TALLY_ESCHEMA, "%s: expected an object", where);
        if ((rc = check_keys(f, fkeys, where, err)))
            return rc;
        const char *field = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(f, "field"));
        int idx = field ? tally_schema_field_index(s, field, strlen(field)) : -1;
        if (idx < 0 || idx != s->role[TALLY_ROLE_COHORT])
            return tally_error_set(err, TALLY_ESCHEMA, "%s: field must name the cohort field",
                                   where);
        x->filter_field = idx;
        char *dflt = NULL;
        if ((rc = ees_string(f, "name", false, 50, &x->filter_name, where, err)) ||
            (rc = ees_string(f, "label", false, 100, &x->filter_label, where, err)) ||
            (rc = ees_string(f, "hint", true, 200, &x->filter_hint, where, err)) ||
            (rc = ees_string(f, "default", false, 120, &dflt, where, err)))
            return rc;
        if (!ees_name_ok(x->filter_name)) {
            free(dflt);
            return tally_error_set(err, TALLY_ESCHEMA, "%s: name must be snake_case", where);
        }
        const cJSON *items = cJSON_GetObjectItemCaseSensitive(f, "items");
        const struct tally_field_def *fd = &s->fields[idx];
        size_t n = items && cJSON_IsObject(items) ? (size_t)cJSON_GetArraySize(items) : 0;
        if (!n || (fd->n_enum && n != fd->n_enum)) {
            free(dflt);
            return tally_error_set(err, TALLY_ESCHEMA, "%s: items must give a label to each of "
                                   "the field's values", where);
        }
        x->item_values = calloc(n, sizeof *x->item_values);
        x->item_labels = calloc(n, sizeof *x->item_labels);
        if (!x->item_values || !x->item_labels) {
            free(dflt);
            return tally_error_set(err, TALLY_ENOMEM, "out of memory");
        }
        const cJSON *it;
        bool found = false;
        cJSON_ArrayForEach(it, items) {
            size_t k = 0;
            while (k < fd->n_enum && strcmp(fd->enum_values[k], it->string) != 0)
                k++;
            if (fd->n_enum && k == fd->n_enum)
                rc = tally_error_set(err, TALLY_ESCHEMA, "%s: items: \"%s\" is not one of the "
                                     "field's values", where, it->string);
            if (!rc && !(x->item_values[x->nitems] = strdup(it->string)))
                rc = tally_error_set(err, TALLY_ENOMEM, "out of memory");
            x->nitems++;
            if (!rc)
                rc = ees_string(items, it->string, false, 120, &x->item_labels[x->nitems - 1],
                                "dataset: ees: filter: items", err);
            for (size_t j = 0; !rc && j + 1 < x->nitems; j++)
                if (strcmp(x->item_labels[j], x->item_labels[x->nitems - 1]) == 0)
                    rc = tally_error_set(err, TALLY_ESCHEMA, "%s: items: two values have the "
                                         "label \"%s\"", where, x->item_labels[j]);
            if (!rc && strcmp(it->string, dflt) == 0) {
                found = true;
                x->default_item = x->nitems - 1;
            }
            if (rc)
                break;
        }
        if (!rc && !found)
            rc = tally_error_set(err, TALLY_ESCHEMA, "%s: default \"%s\" is not one of the items",
                                 where, dflt);
        free(dflt);
        if (rc)
            return rc;
    }
    const cJSON *inds = cJSON_GetObjectItemCaseSensitive(e, "indicators");
    if (!cJSON_IsArray(inds) || cJSON_GetArraySize(inds) == 0)
        return tally_error_set(err, TALLY_ESCHEMA, "dataset: ees: indicators must be a "
                               "non-empty array");
    size_t n = (size_t)cJSON_GetArraySize(inds);
    if (!(x->indicators = calloc(n, sizeof *x->indicators)))
        return tally_error_set(err, TALLY_ENOMEM, "out of memory");
    const cJSON *in;
    cJSON_ArrayForEach(in, inds) {
        char where[64];
        snprintf(where, sizeof where, "dataset: ees: indicators[%zu]", x->nindicators);
        struct tally_ees_indicator *ind = &x->indicators[x->nindicators++];
        if (!cJSON_IsObject(in))
            return tally_error_set(err, TALLY_ESCHEMA, "%s: expected an object", where);
        if ((rc = check_keys(in, ikeys, where, err)) ||
            (rc = ees_string(in, "column", false, 200, &ind->column, where, err)) ||
            (rc = ees_string(in, "name", false, 50, &ind->name, where, err)) ||
            (rc = ees_string(in, "label", false, 100, &ind->label, where, err)) ||
            (rc = ees_string(in, "grouping", true, 100, &ind->grouping, where, err)) ||
            (rc = ees_string(in, "unit", true, 20, &ind->unit, where, err)))
            return rc;
        int fi = tally_schema_field_index(s, ind->column, strlen(ind->column));
        bool known = (fi >= 0 && s->fields[fi].type == TALLY_TYPE_INTEGER) ||
                     strcmp(ind->column, "authorities_reporting") == 0 ||
                     strcmp(ind->column, "authorities_expected") == 0;
        for (size_t k = 0; !known && k < s->nratios; k++)
            known = strcmp(ind->column, s->ratios[k].name) == 0;
        if (!known)
            return tally_error_set(err, TALLY_ESCHEMA, "%s: column \"%s\" is not a count, a "
                                   "ratio, authorities_reporting or authorities_expected",
                                   where, ind->column);
        if (!ees_name_ok(ind->name))
            return tally_error_set(err, TALLY_ESCHEMA, "%s: name \"%s\" must be snake_case "
                                   "(a-z, 0-9, _), start with a letter, at most 50 characters",
                                   where, ind->name);
        if (x->filter_name && strcmp(ind->name, x->filter_name) == 0)
            return tally_error_set(err, TALLY_ESCHEMA, "%s: name \"%s\" is the filter's",
                                   where, ind->name);
        size_t u = 0;
        while (units[u] && strcmp(units[u], ind->unit) != 0)
            u++;
        if (!units[u])
            return tally_error_set(err, TALLY_ESCHEMA, "%s: unit must be empty, %%, pp, \xC2\xA3, "
                                   "\xC2\xA3m or numberstring", where);
        int64_t dp = 0;
        const cJSON *dpi = cJSON_GetObjectItemCaseSensitive(in, "dp");
        if (!dpi || !get_int(dpi, &dp) || dp < 0 || dp > 10)
            return tally_error_set(err, TALLY_ESCHEMA, "%s: dp must be a whole number of "
                                   "decimal places, 0 to 10", where);
        ind->dp = (int)dp;
        for (size_t k = 0; k + 1 < x->nindicators; k++) {
            if (strcmp(x->indicators[k].name, ind->name) == 0)
                return tally_error_set(err, TALLY_ESCHEMA, "%s: name \"%s\" is used twice",
                                       where, ind->name);
            if (strcmp(x->indicators[k].label, ind->label) == 0 ||
                (x->filter_label && strcmp(ind->label, x->filter_label) == 0))
                return tally_error_set(err, TALLY_ESCHEMA, "%s: label \"%s\" is used twice",
                                       where, ind->label);
        }
    }
    return TALLY_OK;
}

/* "dataset": {"ratios": [...], "disclosure": {...}, "ees": {...}} */
static int load_dataset(struct tally_schema *s, const cJSON *ds, struct tally_error *err)
{
    static const char *const keys[] = {"ratios", "disclosure", "ees", NULL};
    int rc;
    if (ds && !cJSON_IsObject(ds))
        return tally_error_set(err, TALLY_ESCHEMA, "dataset: expected an object");
    if (ds && (rc = check_keys(ds, keys, "dataset", err)))
        return rc;
    const cJSON *none = NULL;
    if ((rc = load_ratios(s, ds ? cJSON_GetObjectItemCaseSensitive(ds, "ratios") : none, err)) ||
        (rc = load_disclosure(s, ds ? cJSON_GetObjectItemCaseSensitive(ds, "disclosure") : none,
                              err)))
        return rc;
    return load_ees(s, ds ? cJSON_GetObjectItemCaseSensitive(ds, "ees") : none, err);
}

static int add_spelling(struct tally_schema *s, int field, const char *spelling,
                        const char *canonical, struct tally_error *err)
{
    struct tally_spelling *sp = realloc(s->spellings, (s->nspellings + 1) * sizeof *sp);
    if (!sp)
        return tally_error_set(err, TALLY_ENOMEM, "out of memory");
    s->spellings = sp;
    sp = &s->spellings[s->nspellings];
    sp->field = field;
    sp->spelling = strdup(spelling);
    sp->canonical = strdup(canonical);
    s->nspellings++;
    return sp->spelling && sp->canonical ? TALLY_OK : tally_error_set(err, TALLY_ENOMEM, "out of memory");
}

/* {"canonical": ["spelling", ...], ...} for one field (or -1: symbols). */
static int load_spellings(struct tally_schema *s, const cJSON *map, int field, const char *where,
                          struct tally_error *err)
{
    if (!cJSON_IsObject(map))
        return tally_error_set(err, TALLY_ESCHEMA, "%s: expected an object of lists", where);
    const cJSON *canon;
    cJSON_ArrayForEach(canon, map) {
        if (field >= 0 && s->fields[field].n_enum) {
            size_t k = 0;
            while (k < s->fields[field].n_enum && strcmp(s->fields[field].enum_values[k], canon->string))
                k++;
            if (k == s->fields[field].n_enum)
                return tally_error_set(err, TALLY_ESCHEMA, "%s: \"%s\" is not one of the field's "
                                       "values", where, canon->string);
        }
        if (!cJSON_IsArray(canon))
            return tally_error_set(err, TALLY_ESCHEMA, "%s: %s: expected a list of spellings",
                                   where, canon->string);
        const cJSON *sp;
        cJSON_ArrayForEach(sp, canon) {
            if (!cJSON_IsString(sp) || !*sp->valuestring)
                return tally_error_set(err, TALLY_ESCHEMA, "%s: %s: spellings must be non-empty "
                                       "strings", where, canon->string);
            int rc = add_spelling(s, field, sp->valuestring, canon->string, err);
            if (rc)
                return rc;
        }
    }
    return TALLY_OK;
}

/* "cleaning": {"symbols": {...}, "values": {"field": {...}}, "derive": [...]} */
static int load_cleaning(struct tally_schema *s, const cJSON *c, struct tally_error *err)
{
    static const char *const keys[] = {"symbols", "values", "derive", NULL};
    static const char *const dkeys[] = {"field", "total", "minus", NULL};
    if (!c)
        return TALLY_OK;
    if (!cJSON_IsObject(c))
        return tally_error_set(err, TALLY_ESCHEMA, "cleaning: expected an object");
    int rc = check_keys(c, keys, "cleaning", err);
    const cJSON *item;
    if (!rc && (item = cJSON_GetObjectItemCaseSensitive(c, "symbols"))) {
        rc = load_spellings(s, item, -1, "cleaning: symbols", err);
        for (size_t i = 0; !rc && i < s->nspellings; i++)
            if (strlen(s->spellings[i].canonical) != 1)
                rc = tally_error_set(err, TALLY_ESCHEMA, "cleaning: symbols: \"%s\" is not a "
                                     "one-letter symbol", s->spellings[i].canonical);
    }
    if (!rc && (item = cJSON_GetObjectItemCaseSensitive(c, "values"))) {
        if (!cJSON_IsObject(item))
            return tally_error_set(err, TALLY_ESCHEMA, "cleaning: values: expected an object");
        const cJSON *f;
        cJSON_ArrayForEach(f, item) {
            int idx = tally_schema_field_index(s, f->string, strlen(f->string));
            char where[128];
            snprintf(where, sizeof where, "cleaning: values: %.60s", f->string);
            if (idx < 0 || s->fields[idx].type != TALLY_TYPE_STRING)
                return tally_error_set(err, TALLY_ESCHEMA, "%s: not a string field", where);
            if ((rc = load_spellings(s, f, idx, where, err)))
                return rc;
        }
    }
    if (!rc && (item = cJSON_GetObjectItemCaseSensitive(c, "derive"))) {
        if (!cJSON_IsArray(item))
            return tally_error_set(err, TALLY_ESCHEMA, "cleaning: derive: expected an array");
        size_t n = (size_t)cJSON_GetArraySize(item);
        if (n && !(s->derivations = calloc(n, sizeof *s->derivations)))
            return tally_error_set(err, TALLY_ENOMEM, "out of memory");
        const cJSON *d;
        cJSON_ArrayForEach(d, item) {
            char where[64];
            snprintf(where, sizeof where, "cleaning: derive[%zu]", s->nderivations);
            if (!cJSON_IsObject(d))
                return tally_error_set(err, TALLY_ESCHEMA, "%s: expected an object", where);
            if ((rc = check_keys(d, dkeys, where, err)))
                return rc;
            size_t *idx[3] = {&s->derivations[s->nderivations].field,
                              &s->derivations[s->nderivations].total,
                              &s->derivations[s->nderivations].minus};
            for (int k = 0; k < 3; k++) {
                const char *f = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(d, dkeys[k]));
                int i = f ? tally_schema_field_index(s, f, strlen(f)) : -1;
                if (i < 0 || s->fields[i].type != TALLY_TYPE_INTEGER)
                    return tally_error_set(err, TALLY_ESCHEMA, "%s: %s must name an integer field",
                                           where, dkeys[k]);
                *idx[k] = (size_t)i;
            }
            s->nderivations++;
        }
    }
    return rc;
}

/* "rows": {"totals": ["Total", ...], "aggregates": {"field": "level", "values": [...]}} */
static int load_rows(struct tally_schema *s, const cJSON *rows, struct tally_error *err)
{
    static const char *const keys[] = {"totals", "aggregates", NULL};
    static const char *const akeys[] = {"field", "values", NULL};
    if (!rows)
        return TALLY_OK;
    if (!cJSON_IsObject(rows))
        return tally_error_set(err, TALLY_ESCHEMA, "rows: expected an object");
    int rc = check_keys(rows, keys, "rows", err);
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(rows, "totals");
    if (!rc && item)
        rc = string_list(item, &s->totals_labels, &s->ntotals_labels, "rows: totals", err);
    item = cJSON_GetObjectItemCaseSensitive(rows, "aggregates");
    if (rc || !item)
        return rc;
    if (!cJSON_IsObject(item))
        return tally_error_set(err, TALLY_ESCHEMA, "rows: aggregates: expected an object");
    if ((rc = check_keys(item, akeys, "rows: aggregates", err)))
        return rc;
    const char *f = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(item, "field"));
    s->aggregate_field = f ? tally_schema_field_index(s, f, strlen(f)) : -1;
    if (s->aggregate_field < 0 || s->fields[s->aggregate_field].type != TALLY_TYPE_STRING)
        return tally_error_set(err, TALLY_ESCHEMA, "rows: aggregates: field must name a string field");
    const cJSON *values = cJSON_GetObjectItemCaseSensitive(item, "values");
    if (!values)
        return tally_error_set(err, TALLY_ESCHEMA, "rows: aggregates: needs \"values\"");
    return string_list(values, &s->aggregate_values, &s->naggregate_values,
                       "rows: aggregates: values", err);
}

static bool headers_alike(const char *a, size_t alen, const char *b, size_t blen);

/* Name k of field f: 0 its name, then its aliases. */
static const char *header_name(const struct tally_field_def *f, size_t k)
{
    return k ? f->aliases[k - 1] : f->name;
}

/* One header may name at most one field: no two fields' names or aliases read alike. */
static int check_headers(const struct tally_schema *s, struct tally_error *err)
{
    for (size_t i = 0; i < s->nfields; i++)
        for (size_t a = 0; a <= s->fields[i].naliases; a++)
            for (size_t j = i + 1; j < s->nfields; j++)
                for (size_t b = 0; b <= s->fields[j].naliases; b++) {
                    const char *x = header_name(&s->fields[i], a), *y = header_name(&s->fields[j], b);
                    if (headers_alike(x, strlen(x), y, strlen(y)))
                        return tally_error_set(err, TALLY_ESCHEMA, "fields[%zu] (\"%.60s\"): "
                                               "\"%.60s\" and \"%.60s\" of field \"%.60s\" would "
                                               "name the same column", i, s->fields[i].name, x, y,
                                               s->fields[j].name);
                }
    return TALLY_OK;
}

static int load(struct tally_schema *s, const cJSON *root, struct tally_error *err)
{
    static const char *const keys[] = {"$schema", "profile", "name", "title", "version",
                                       "description", "missingValues", "fields", "primaryKey",
                                       "roles", "rules", "xml", "dataset", "cleaning", "rows", NULL};
    if (!cJSON_IsObject(root))
        return tally_error_set(err, TALLY_ESCHEMA, "the schema must be a JSON object");
    int rc = check_keys(root, keys, "schema", err);
    if (rc)
        return rc;
    bool bad = false, nomem = false;
    s->name = opt_string(root, "name", &bad, &nomem);
    s->title = opt_string(root, "title", &bad, &nomem);
    s->version = opt_string(root, "version", &bad, &nomem);
    if (nomem)
        return tally_error_set(err, TALLY_ENOMEM, "out of memory");
    if (bad)
        return tally_error_set(err, TALLY_ESCHEMA, "name, title and version must be strings");
    if (!s->name && !(s->name = strdup("unnamed")))
        return tally_error_set(err, TALLY_ENOMEM, "out of memory");
    if (!s->version && !(s->version = strdup("0")))
        return tally_error_set(err, TALLY_ENOMEM, "out of memory");

    const cJSON *xml = cJSON_GetObjectItemCaseSensitive(root, "xml");
    if (xml) {
        static const char *const xkeys[] = {"root", "submission", NULL};
        if (!cJSON_IsObject(xml))
            return tally_error_set(err, TALLY_ESCHEMA, "xml: expected an object");
        if ((rc = check_keys(xml, xkeys, "xml", err)))
            return rc;
        s->xml_root = opt_string(xml, "root", &bad, &nomem);
        s->xml_submission = opt_string(xml, "submission", &bad, &nomem);
        if (nomem)
            return tally_error_set(err, TALLY_ENOMEM, "out of memory");
        if (bad || !s->xml_root || !s->xml_submission)
            return tally_error_set(err, TALLY_ESCHEMA, "xml: needs \"root\" and \"submission\" element names");
    }

    const cJSON *mv = cJSON_GetObjectItemCaseSensitive(root, "missingValues");
    if (mv) {
        if ((rc = string_list(mv, &s->missing_values, &s->nmissing, "missingValues", err)))
            return rc;
    } else {
        if (!(s->missing_values = calloc(1, sizeof *s->missing_values)) ||
            !(s->missing_values[0] = strdup("")))
            return tally_error_set(err, TALLY_ENOMEM, "out of memory");
        s->nmissing = 1;
    }

    const cJSON *fields = cJSON_GetObjectItemCaseSensitive(root, "fields");
    if (!cJSON_IsArray(fields) || cJSON_GetArraySize(fields) == 0)
        return tally_error_set(err, TALLY_ESCHEMA, "the schema needs a non-empty \"fields\" array");
    size_t n = (size_t)cJSON_GetArraySize(fields);
    if (!(s->fields = calloc(n, sizeof *s->fields)))
        return tally_error_set(err, TALLY_ENOMEM, "out of memory");
    const cJSON *e;
    cJSON_ArrayForEach(e, fields) {
        s->nfields++;
        if ((rc = load_field(s, s->nfields - 1, e, err)))
            return rc;
    }
    if ((rc = load_primary_key(s, cJSON_GetObjectItemCaseSensitive(root, "primaryKey"), err)))
        return rc;
    if ((rc = load_roles(s, cJSON_GetObjectItemCaseSensitive(root, "roles"), err)))
        return rc;
    if ((rc = load_dataset(s, cJSON_GetObjectItemCaseSensitive(root, "dataset"), err)))
        return rc;
    if ((rc = load_cleaning(s, cJSON_GetObjectItemCaseSensitive(root, "cleaning"), err)))
        return rc;
    s->aggregate_field = -1;
    if ((rc = load_rows(s, cJSON_GetObjectItemCaseSensitive(root, "rows"), err)))
        return rc;
    if ((rc = check_headers(s, err)))
        return rc;

    const cJSON *rules = cJSON_GetObjectItemCaseSensitive(root, "rules");
    if (rules) {
        if (!cJSON_IsArray(rules))
            return tally_error_set(err, TALLY_ESCHEMA, "rules: expected an array");
        n = (size_t)cJSON_GetArraySize(rules);
        if (n && !(s->rules = calloc(n, sizeof *s->rules)))
            return tally_error_set(err, TALLY_ENOMEM, "out of memory");
        cJSON_ArrayForEach(e, rules) {
            s->nrules++;
            if ((rc = load_rule(s, s->nrules - 1, e, err)))
                return rc;
        }
    }
    return TALLY_OK;
}

/* cJSON's parser records where the last parse failed in a variable of its
 * own (global_error, for cJSON_GetErrorPtr, which tally does not use), written
 * by every parse: two threads loading schemas at once would race on it. The
 * library's one process-wide lock (beside tally_libxml2_init's once); parsing
 * a schema takes microseconds. */
static pthread_mutex_t cjson_parse_lock = PTHREAD_MUTEX_INITIALIZER;

struct tally_schema *tally_schema_load(const char *json, size_t len, struct tally_error *err)
{
    const char *end = NULL;
    pthread_mutex_lock(&cjson_parse_lock);
    cJSON *root = cJSON_ParseWithLengthOpts(json, len, &end, false);
    pthread_mutex_unlock(&cjson_parse_lock);
    if (!root) {
        /* Say where the JSON broke, as line:column. */
        size_t off = end && end >= json && end <= json + len ? (size_t)(end - json) : 0;
        struct tally_textpos tp;    /* lines as every reader counts them: LF, CR LF, CR */
        tally_textpos_init(&tp, 0);
        for (size_t i = 0; i < off; i++) {
            unsigned char c = (unsigned char)json[i];
            if (c == '\n' || c == '\r')
                tally_textpos_newline(&tp, c, i);
            else if ((c & 0xC0) == 0x80)
                tally_textpos_wide(&tp, 2);     /* a continuation byte: no column of its own */
        }
        struct tally_loc at = tally_textpos_at(&tp, off);
        tally_error_set(err, TALLY_ESCHEMA, "not valid JSON near line %u, column %u", at.line,
                        at.column);
        return NULL;
    }
    struct tally_schema *s = calloc(1, sizeof *s);
    if (!s) {
        cJSON_Delete(root);
        tally_error_set(err, TALLY_ENOMEM, "out of memory");
        return NULL;
    }
    int rc = load(s, root, err);
    cJSON_Delete(root);
    if (rc != TALLY_OK) {
        tally_schema_free(s);
        return NULL;
    }
    return s;
}

struct tally_schema *tally_schema_load_default(struct tally_error *err)
{
    return tally_schema_load((const char *)tally_embedded_missing_from_care_schema_json,
                             tally_embedded_missing_from_care_schema_json_len, err);
}

static void free_list(char **list, size_t n)
{
    for (size_t i = 0; list && i < n; i++)
        free(list[i]);
    free(list);
}

void tally_schema_free(struct tally_schema *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->nfields; i++) {
        struct tally_field_def *f = &s->fields[i];
        free(f->name);
        free(f->title);
        free(f->description);
        free(f->pattern);
        if (f->regex) {
            tally_pattern_free(f->regex);
        }
        free_list(f->enum_values, f->n_enum);
        free(f->symbols);
        free(f->json_path);
        free(f->xml_path);
        free_path(&f->json);
        free_path(&f->xml);
        free_list(f->aliases, f->naliases);
        free(f->default_value);
    }
    for (size_t i = 0; i < s->nrules; i++) {
        struct tally_rule *r = &s->rules[i];
        free(r->id);
        free(r->assert_src);
        free(r->message);
        tally_expr_free(r->expr);
    }
    free(s->fields);
    free(s->rules);
    free(s->primary_key);
    free_list(s->missing_values, s->nmissing);
    free(s->name);
    free(s->title);
    free(s->version);
    free(s->json_records);
    free(s->xml_records);
    free(s->xml_root);
    free(s->xml_submission);
    for (size_t i = 0; i < s->nratios; i++)
        free(s->ratios[i].name);
    free(s->ratios);
    for (size_t i = 0; i < s->nspellings; i++) {
        free(s->spellings[i].spelling);
        free(s->spellings[i].canonical);
    }
    free(s->spellings);
    free(s->derivations);
    free_list(s->totals_labels, s->ntotals_labels);
    free_list(s->aggregate_values, s->naggregate_values);
    free(s->disclosure.protect);
    free(s->disclosure.symbol);
    struct tally_ees_spec *x = &s->ees;
    free(x->filter_name);
    free(x->filter_label);
    free(x->filter_hint);
    free_list(x->item_values, x->nitems);
    free_list(x->item_labels, x->nitems);
    for (size_t i = 0; i < x->nindicators; i++) {
        free(x->indicators[i].column);
        free(x->indicators[i].name);
        free(x->indicators[i].label);
        free(x->indicators[i].grouping);
        free(x->indicators[i].unit);
    }
    free(x->indicators);
    free(s);
}

int tally_schema_field_index(const struct tally_schema *s, const char *name, size_t len)
{
    for (size_t i = 0; i < s->nfields; i++)
        if (strlen(s->fields[i].name) == len && memcmp(s->fields[i].name, name, len) == 0)
            return (int)i;
    return -1;
}

int tally_schema_match_column(const struct tally_schema *s, const char *name, size_t len)
{
    while (len && (*name == ' ' || *name == '\t'))
        name++, len--;
    while (len && (name[len - 1] == ' ' || name[len - 1] == '\t'))
        len--;
    for (size_t i = 0; i < s->nfields; i++)
        if (strlen(s->fields[i].name) == len && strncasecmp(s->fields[i].name, name, len) == 0)
            return (int)i;
    return -1;
}

/* Is byte i of s a character headers are compared without (*w: its bytes)? */
static bool header_ignored(const char *s, size_t len, size_t i, size_t *w)
{
    *w = 1;
    if (s[i] == ' ' || s[i] == '\t' || s[i] == '_' || s[i] == '-')
        return true;
    *w = 2;
    return i + 1 < len && (unsigned char)s[i] == 0xC2 && (unsigned char)s[i + 1] == 0xA0;
}

size_t tally_header_normalise(const char *name, size_t len, char *out, size_t outlen)
{
    size_t n = 0, w;
    for (size_t i = 0; i < len; i += w) {
        if (header_ignored(name, len, i, &w))
            continue;
        w = 1;
        char c = name[i];
        if (c >= 'A' && c <= 'Z')
            c = (char)(c - 'A' + 'a');
        if (n + 1 < outlen)
            out[n] = c;
        n++;
    }
    if (outlen)
        out[n < outlen ? n : outlen - 1] = '\0';
    return n;
}

/* Do a and b read alike once normalised? Compared as they are read: no copy. */
static bool headers_alike(const char *a, size_t alen, const char *b, size_t blen)
{
    size_t i = 0, j = 0, w;
    for (;;) {
        while (i < alen && header_ignored(a, alen, i, &w))
            i += w;
        while (j < blen && header_ignored(b, blen, j, &w))
            j += w;
        if (i == alen || j == blen)
            return i == alen && j == blen;
        char ca = a[i++], cb = b[j++];
        if (ca >= 'A' && ca <= 'Z')
            ca = (char)(ca - 'A' + 'a');
        if (cb >= 'A' && cb <= 'Z')
            cb = (char)(cb - 'A' + 'a');
        if (ca != cb)
            return false;
    }
}

int tally_schema_match_header(const struct tally_schema *s, const char *name, size_t len,
                              bool *exact)
{
    int f = tally_schema_match_column(s, name, len);
    *exact = f >= 0;
    if (f >= 0 || tally_header_normalise(name, len, NULL, 0) == 0)
        return f;
    for (size_t i = 0; i < s->nfields; i++) {
        const struct tally_field_def *d = &s->fields[i];
        if (headers_alike(name, len, d->name, strlen(d->name)))
            return (int)i;
        for (size_t k = 0; k < d->naliases; k++)
            if (headers_alike(name, len, d->aliases[k], strlen(d->aliases[k])))
                return (int)i;
    }
    return -1;
}
