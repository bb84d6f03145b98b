/*
 * validate.c — checking records against the schema and the registry
 * (validate.h).
 *
 * One pass per record, in this order, each step skipping what an earlier one
 * already found broken so that one mistake gives one diagnostic:
 *
 *   1. values      parse every field's text by its type (required, type)
 *   2. constraints minimum, maximum, pattern, enum, maxLength (constraint)
 *   3. registry    authority-unknown, authority-not-valid, authority-name
 *   4. period      period-unexpected, when --period is given
 *   5. rules       the schema's assertions, each evaluated or skipped
 *
 * Records that share a primary key are settled afterwards, across every file
 * of a run, by core/settle.c (settle.h), which validate and build share.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/emit.h"
#include "core/pattern.h"
#include "tally/expr.h"
#include "tally/validate.h"
#include "tally/writer.h"

/* The last text a field's pattern matched (a cache; len 0: none). */
struct last_match {
    size_t len;
    char text[24];
};

struct tally_validator {
    const struct tally_schema *schema;
    const struct tally_registry *registry;
    struct tally_validator_options opts;
    struct tally_diag_sink sink;
    struct tally_validator_stats stats;
    struct last_match *last_match; /* per field */
    struct tally_matcher *matcher; /* for the fields' patterns */
    bool nomem;                 /* a check ran out of memory (a pattern had no answer):
                                   the record's tally_validator_check fails with TALLY_ENOMEM */
};

struct tally_validator *tally_validator_new(const struct tally_schema *schema,
                                            const struct tally_registry *registry,
                                            const struct tally_validator_options *opts,
                                            struct tally_diag_sink sink,
                                            struct tally_error *err)
{
    struct tally_validator *v = calloc(1, sizeof *v);
    if (v && (!(v->last_match = calloc(schema->nfields ? schema->nfields : 1,
                                       sizeof *v->last_match)) ||
              !(v->matcher = tally_matcher_new()))) {
        free(v->last_match);
        free(v);
        v = NULL;
    }
    if (!v) {
        tally_error_set(err, TALLY_ENOMEM, "out of memory");
        return NULL;
    }
    v->schema = schema;
    v->registry = registry;
    if (opts)
        v->opts = *opts;
    v->sink = sink;
    return v;
}

void tally_validator_free(struct tally_validator *v)
{
    if (v) {
        free(v->last_match);
        tally_matcher_free(v->matcher);
        free(v);
    }
}

const struct tally_validator_stats *tally_validator_stats(const struct tally_validator *v)
{
    return &v->stats;
}

/* ---- 1 and 2: values and constraints ------------------------------------ */

static bool is_missing(const struct tally_schema *s, const char *text, size_t len)
{
    if (!text)
        return true;
    if (len == 0 && s->nmissing && s->missing_values[0][0] == '\0')
        return true;    /* the usual missing value: empty */
    for (size_t i = 0; i < s->nmissing; i++)
        if (s->missing_values[i][0] == (len ? text[0] : '\0') &&
            strlen(s->missing_values[i]) == len && memcmp(s->missing_values[i], text, len) == 0)
            return true;
    return false;
}

static size_t utf8_chars(const char *s, size_t len)
{
    size_t n = 0;
    for (size_t i = 0; i < len; i++)
        n += ((unsigned char)s[i] & 0xC0) != 0x80;
    return n;
}

/* Describe the symbols a field allows, for messages: "x, c or z". */
static void symbol_list(const char *symbols, char *buf, size_t size)
{
    size_t n = strlen(symbols), o = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < n && o + 8 < size; i++)
        o += (size_t)snprintf(buf + o, size - o, "%s%c", i == 0 ? "" : i + 1 == n ? " or " : ", ",
                              symbols[i]);
}

static void check_string(struct tally_validator *v, struct tally_record *rec, size_t i)
{
    const struct tally_field_def *def = &v->schema->fields[i];
    struct tally_field *f = &rec->fields[i];
    struct tally_value *val = &f->value;
    const char *s = f->text;
    size_t n = f->len;
    tally_trim(&s, &n);
    val->kind = TALLY_TEXT;
    val->text = s;
    val->len = n;
    if (def->max_length && utf8_chars(f->text, f->len) > def->max_length) {
        f->error = true;
        tally_emit_field(&v->sink, v->schema, rec, i, TALLY_SEV_ERROR, TALLY_CODE_CONSTRAINT,
                         "%s is longer than %zu characters", def->name, def->max_length);
        return;
    }
    /* Consecutive records mostly repeat a code: a text that matched last
     * time for this field matches again without running the pattern. */
    struct last_match *last = &v->last_match[i];
    bool known = def->regex && f->len < sizeof last->text && last->len == f->len &&
                 memcmp(last->text, f->text, f->len) == 0;
    int match = def->regex && !known ? tally_pattern_test(def->regex, v->matcher, f->text, f->len)
                                     : 1;
    if (match < 0) {
        v->nomem = true;    /* no answer, which is not "no match" */
        return;
    }
    if (def->regex && !known && match == 1 && f->len < sizeof last->text) {
        memcpy(last->text, f->text, f->len);
        last->len = f->len;
    }
    if (match == 0) {
        f->error = true;
        tally_emit_field(&v->sink, v->schema, rec, i, TALLY_SEV_ERROR, TALLY_CODE_CONSTRAINT,
                         "%s \"%s\" does not match the pattern %s", def->name, f->text,
                         def->pattern);
        return;
    }
    if (def->n_enum) {
        for (size_t k = 0; k < def->n_enum; k++)
            if (strlen(def->enum_values[k]) == f->len && memcmp(def->enum_values[k], f->text, f->len) == 0)
                return;
        char list[256];
        size_t o = 0;
        list[0] = '\0';
        for (size_t k = 0; k < def->n_enum && o < sizeof list - 1; k++)
            o += (size_t)snprintf(list + o, sizeof list - o, "%s%s", k == 0 ? "" :
                                  k + 1 == def->n_enum ? " or " : ", ", def->enum_values[k]);
        f->error = true;
        tally_emit_field(&v->sink, v->schema, rec, i, TALLY_SEV_ERROR, TALLY_CODE_CONSTRAINT,
                         "%s \"%s\" is not one of %s", def->name, f->text, list);
    }
}

static void check_integer(struct tally_validator *v, struct tally_record *rec, size_t i)
{
    const struct tally_field_def *def = &v->schema->fields[i];
    struct tally_field *f = &rec->fields[i];
    struct tally_value *val = &f->value;
    int64_t n = 0;
    char sym = 0;
    switch (tally_parse_count(f->text, f->len, def->symbols, &n, &sym)) {
    case TALLY_COUNT_SYMBOL:
        val->kind = TALLY_SYMBOL;
        val->symbol = sym;
        val->text = f->text;
        val->len = 1;
        return;
    case TALLY_COUNT_BAD: {
        char syms[64] = "";
        if (def->symbols && *def->symbols)
            symbol_list(def->symbols, syms, sizeof syms);
        val->kind = TALLY_INVALID;
        f->error = true;
        tally_emit_field(&v->sink, v->schema, rec, i, TALLY_SEV_ERROR, TALLY_CODE_TYPE,
                         "%s must be a whole number%s%s, not \"%s\"", def->name,
                         *syms ? " or one of " : "", syms, f->text);
        return;
    }
    case TALLY_COUNT_TOO_BIG:
        val->kind = TALLY_INVALID;
        f->error = true;
        tally_emit_field(&v->sink, v->schema, rec, i, TALLY_SEV_ERROR, TALLY_CODE_CONSTRAINT,
                         "%s (%s) is above the maximum %lld", def->name, f->text,
                         def->has_maximum ? (long long)def->maximum : (long long)INT64_MAX);
        return;
    case TALLY_COUNT_OK:
        break;
    }
    /* Canonical text: the digits without leading zeros, a suffix of the text. */
    size_t skip = 0;
    while (skip + 1 < f->len && f->text[skip] == '0')
        skip++;
    val->kind = TALLY_NUMBER;
    val->number = n;
    val->text = f->text + skip;
    val->len = f->len - skip;
    if (def->has_minimum && n < def->minimum) {
        f->error = true;
        tally_emit_field(&v->sink, v->schema, rec, i, TALLY_SEV_ERROR, TALLY_CODE_CONSTRAINT,
                         "%s (%lld) is below the minimum %lld", def->name, (long long)n,
                         (long long)def->minimum);
    } else if (def->has_maximum && n > def->maximum) {
        f->error = true;
        tally_emit_field(&v->sink, v->schema, rec, i, TALLY_SEV_ERROR, TALLY_CODE_CONSTRAINT,
                         "%s (%lld) is above the maximum %lld", def->name, (long long)n,
                         (long long)def->maximum);
    }
}

static void check_field(struct tally_validator *v, struct tally_record *rec, size_t i)
{
    const struct tally_field_def *def = &v->schema->fields[i];
    struct tally_field *f = &rec->fields[i];
    struct tally_value *val = &f->value;
    memset(val, 0, sizeof *val);
    f->error = false;
    if (f->bad) {
        val->kind = TALLY_INVALID;
        val->text = f->text;
        val->len = f->len;
        f->error = true;
        return;
    }
    if (is_missing(v->schema, f->text, f->len)) {
        val->kind = TALLY_MISSING;
        if (def->required && !rec->inherited) {
            f->error = true;
            tally_emit_field(&v->sink, v->schema, rec, i, TALLY_SEV_ERROR, TALLY_CODE_REQUIRED,
                             "%s is required but %s", def->name, f->text ? "empty" : "absent");
        }
        return;
    }
    switch (def->type) {
    case TALLY_TYPE_STRING:
        check_string(v, rec, i);
        return;
    case TALLY_TYPE_INTEGER:
        check_integer(v, rec, i);
        return;
    case TALLY_TYPE_DATE:
        if (tally_parse_date(f->text, f->len, &val->number)) {
            val->kind = TALLY_DATE;
        } else {
            val->kind = TALLY_INVALID;
            f->error = true;
            tally_emit_field(&v->sink, v->schema, rec, i, TALLY_SEV_ERROR, TALLY_CODE_TYPE,
                             "%s must be a date written YYYY-MM-DD, not \"%s\"", def->name, f->text);
        }
        break;
    case TALLY_TYPE_DATETIME:
        if (tally_parse_datetime(f->text, f->len, &val->number)) {
            val->kind = TALLY_DATETIME;
        } else {
            val->kind = TALLY_INVALID;
            f->error = true;
            tally_emit_field(&v->sink, v->schema, rec, i, TALLY_SEV_ERROR, TALLY_CODE_TYPE,
                             "%s must be a date and time written YYYY-MM-DDThh:mm:ssZ (or with an "
                             "offset such as +01:00), not \"%s\"", def->name, f->text);
        }
        break;
    }
    if (val->kind != TALLY_MISSING) {
        val->text = f->text;
        val->len = f->len;
    }
}

/* ---- 3 and 4: the registry and the period ------------------------------- */

static const struct tally_value *role_value(const struct tally_validator *v,
                                            const struct tally_record *rec, enum tally_role role)
{
    int i = v->schema->role[role];
    if (i < 0 || rec->fields[i].error || !tally_value_usable(&rec->fields[i].value))
        return NULL;
    return &rec->fields[i].value;
}

/* "E06000061 (North Northamptonshire), E06000062 (West Northamptonshire)" */
static void describe_successors(const struct tally_registry *reg, const struct tally_authority *a,
                                char *buf, size_t size)
{
    size_t o = 0;
    buf[0] = '\0';
    for (size_t k = 0; k < a->nsuccessors && o < size - 1; k++) {
        const struct tally_authority *s = tally_registry_find(reg, a->successors[k],
                                                              strlen(a->successors[k]));
        o += (size_t)snprintf(buf + o, size - o, "%s%s%s%s%s", k ? ", " : "", a->successors[k],
                              s ? " (" : "", s ? s->name : "", s ? ")" : "");
    }
}

static void check_registry(struct tally_validator *v, struct tally_record *rec)
{
    const struct tally_value *code = role_value(v, rec, TALLY_ROLE_AUTHORITY_CODE);
    if (!v->registry || !code)
        return;
    size_t ci = (size_t)v->schema->role[TALLY_ROLE_AUTHORITY_CODE];
    const struct tally_authority *a = tally_registry_find(v->registry, code->text, code->len);
    if (!a) {
        rec->fields[ci].error = true;
        tally_emit_field(&v->sink, v->schema, rec, ci, TALLY_SEV_ERROR, TALLY_CODE_AUTHORITY_UNKNOWN,
                         "%.*s is not an authority code in the registry", (int)code->len, code->text);
        return;
    }
    const struct tally_value *end = role_value(v, rec, TALLY_ROLE_PERIOD_END);
    if (end && !tally_authority_in_force(a, end->number)) {
        char day[11], when[11], succ[512];
        tally_format_date(end->number, day);
        rec->fields[ci].error = true;
        if (end->number < a->valid_from) {
            tally_format_date(a->valid_from, when);
            tally_emit_field(&v->sink, v->schema, rec, ci, TALLY_SEV_ERROR,
                             TALLY_CODE_AUTHORITY_NOT_VALID,
                             "%s (%s) was not yet in force on %s: it starts on %s", a->code,
                             a->name, day, when);
        } else {
            tally_format_date(a->valid_to, when);
            describe_successors(v->registry, a, succ, sizeof succ);
            tally_emit_field(&v->sink, v->schema, rec, ci, TALLY_SEV_ERROR,
                             TALLY_CODE_AUTHORITY_NOT_VALID,
                             "%s (%s) was no longer in force on %s: it ended on %s%s%s", a->code,
                             a->name, day, when, *succ ? "; succeeded by " : "", succ);
        }
    }
    int ni = v->schema->role[TALLY_ROLE_AUTHORITY_NAME];
    if (ni < 0 || rec->fields[ni].error)
        return;
    struct tally_value *name = &rec->fields[ni].value;
    if (name->kind == TALLY_TEXT && !tally_names_match(name->text, name->len, a->name, strlen(a->name)))
        tally_emit_field(&v->sink, v->schema, rec, (size_t)ni, TALLY_SEV_WARNING,
                         TALLY_CODE_AUTHORITY_NAME,
                         "authority_name \"%.*s\" differs from the registry's \"%s\" for %s; "
                         "the registry's name is used", (int)name->len, name->text, a->name, a->code);
    /* Outputs carry the registry's name. */
    name->kind = TALLY_TEXT;
    name->text = a->name;
    name->len = strlen(a->name);
}

static void check_period(struct tally_validator *v, struct tally_record *rec)
{
    const struct tally_value *start = role_value(v, rec, TALLY_ROLE_PERIOD_START);
    const struct tally_value *end = role_value(v, rec, TALLY_ROLE_PERIOD_END);
    if (!v->opts.has_period || !start || !end)
        return;
    if (start->number == v->opts.period_start && end->number == v->opts.period_end)
        return;
    char ws[11], we[11];
    tally_format_date(v->opts.period_start, ws);
    tally_format_date(v->opts.period_end, we);
    tally_emit_field(&v->sink, v->schema, rec, (size_t)v->schema->role[TALLY_ROLE_PERIOD_START],
                     TALLY_SEV_ERROR, TALLY_CODE_PERIOD_UNEXPECTED,
                     "the period %.*s to %.*s is not the expected period %s to %s",
                     (int)start->len, start->text, (int)end->len, end->text, ws, we);
}

/* ---- 5: rules ------------------------------------------------------------ */

/* Expand {field} in a rule's message with the fields' values. */
static void expand_template(const struct tally_schema *s, const struct tally_record *rec,
                            const char *tmpl, char *out, size_t size)
{
    size_t o = 0;
    for (const char *p = tmpl; *p && o + 1 < size;) {
        const char *end;
        int idx;
        if (*p == '{' && (end = strchr(p, '}')) &&
            (idx = tally_schema_field_index(s, p + 1, (size_t)(end - p - 1))) >= 0) {
            size_t len;
            const char *text = tally_field_output(&rec->fields[idx], &len);
            if (!text)
                text = "missing", len = 7;
            o += (size_t)snprintf(out + o, size - o, "%.*s", (int)len, text);
            p = end + 1;
        } else {
            out[o++] = *p++;
        }
    }
    out[o < size ? o : size - 1] = '\0';
}

static void check_rules(struct tally_validator *v, struct tally_record *rec)
{
    for (size_t r = 0; r < v->schema->nrules; r++) {
        const struct tally_rule *rule = &v->schema->rules[r];
        enum tally_expr_result res = tally_expr_eval(rule->expr, rec);
        if (res == TALLY_EXPR_SKIPPED) {
            v->stats.rules_skipped++;
            continue;
        }
        v->stats.rules_evaluated++;
        if (res == TALLY_EXPR_TRUE)
            continue;
        char msg[1024];
        expand_template(v->schema, rec, rule->message, msg, sizeof msg);
        size_t n;
        const size_t *fields = tally_expr_fields(rule->expr, &n);
        if (n)
            tally_emit_field(&v->sink, v->schema, rec, fields[0], rule->severity, rule->id, "%s", msg);
        else
            tally_emit_record(&v->sink, rec, rule->severity, rule->id, "%s", msg);
    }
}

int tally_validator_check(struct tally_validator *v, struct tally_record *rec,
                          struct tally_error *err)
{
    for (size_t i = 0; i < v->schema->nfields; i++)
        check_field(v, rec, i);
    if (v->nomem) {
        v->nomem = false;
        return tally_error_set(err, TALLY_ENOMEM, "out of memory");
    }
    check_registry(v, rec);
    check_period(v, rec);
    check_rules(v, rec);
    return TALLY_OK;
}
