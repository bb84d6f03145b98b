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
    /* The last datetime-no-offset warning's value: a submission's time that
     * every cohort of it shares (JSON, XML) is warned about once. */
    char *no_offset_file;
    struct tally_loc no_offset_at;
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
        free(v->no_offset_file);
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

/* The day period_end's text names, read directly (its own check may not
 * have run yet); false when it is not a date. */
static bool period_end_day(const struct tally_validator *v, const struct tally_record *rec,
                           int64_t *day)
{
    int ei = v->schema->role[TALLY_ROLE_PERIOD_END];
    if (ei < 0 || !rec->fields[ei].text || rec->fields[ei].bad)
        return false;
    const char *t = rec->fields[ei].text;
    size_t n = rec->fields[ei].len;
    tally_trim(&t, &n);
    return tally_parse_date(t, n, day);
}

/* "Kent (E10000016)", "Kent (E10000016), Kent (E99999999)" for up to n authorities. */
static void list_authorities(const struct tally_authority *const *a, size_t n, char *buf,
                             size_t size)
{
    size_t o = 0;
    buf[0] = '\0';
    for (size_t k = 0; k < n && o < size - 1; k++)
        o += (size_t)snprintf(buf + o, size - o, "%s%s (%s)", k ? ", " : "", a[k]->name,
                              a[k]->code);
}

/*
 * For an authority code that fails its pattern but is all digits: "; it is
 * DfE's local authority number for Kent (E10000016) ..." — or "" when no
 * authority has that number.
 */
/* The hints below run only for a value in error: kept out of line (cold), so
 * the checks of valid values stay as small as they were. */
#if defined(__GNUC__)
#define COLD __attribute__((noinline, cold))
#else
#define COLD
#endif

static COLD void dfe_hint(const struct tally_validator *v, const struct tally_record *rec,
                          const char *s, size_t n, char *buf, size_t size)
{
    buf[0] = '\0';
    for (size_t i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9')
            return;
    const struct tally_authority *a[4];
    int64_t day;
    size_t k = period_end_day(v, rec, &day)
                   ? tally_registry_find_dfe(v->registry, s, n, day, a, 4) : 0;
    if (k == 0)
        k = tally_registry_find_dfe(v->registry, s, n, INT64_MIN, a, 4);
    if (k == 0 || n == 0)
        return;
    char list[400];
    list_authorities(a, k < 4 ? k : 4, list, sizeof list);
    if (k == 1)
        snprintf(buf, size, ": it is DfE's local authority number for %s; write %s, or let "
                 "--clean replace it", list, a[0]->code);
    else
        snprintf(buf, size, ": it is DfE's local authority number of %s", list);
}

/* A value that fails its field's pattern: a constraint error, which names
 * the authority a DfE number stands for. */
static COLD void report_pattern(struct tally_validator *v, struct tally_record *rec, size_t i,
                                const char *s, size_t n)
{
    const struct tally_field_def *def = &v->schema->fields[i];
    const struct tally_field *f = &rec->fields[i];
    char hint[512] = "";
    if ((int)i == v->schema->role[TALLY_ROLE_AUTHORITY_CODE] && v->registry)
        dfe_hint(v, rec, s, n, hint, sizeof hint);
    if (*hint)
        tally_emit_field(&v->sink, v->schema, rec, i, TALLY_SEV_ERROR, TALLY_CODE_CONSTRAINT,
                         "%s \"%s\" is not a GSS code%s", def->name, f->text, hint);
    else
        tally_emit_field(&v->sink, v->schema, rec, i, TALLY_SEV_ERROR, TALLY_CODE_CONSTRAINT,
                         "%s \"%s\" does not match the pattern %s", def->name, f->text,
                         def->pattern);
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
        report_pattern(v, rec, i, s, n);
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

/* Was the very value f holds (the same place in the same file) warned about
 * as a local time already? Notes it when not. */
static bool warned_no_offset(struct tally_validator *v, const struct tally_record *rec,
                             const struct tally_field *f)
{
    if (f->loc.line == 0 || !rec->file)
        return false;
    if (v->no_offset_file && strcmp(v->no_offset_file, rec->file) == 0) {
        if (v->no_offset_at.line == f->loc.line && v->no_offset_at.column == f->loc.column)
            return true;
    } else {
        char *copy = strdup(rec->file);
        if (!copy)      /* the next is warned about again: no harm */
            return false;
        free(v->no_offset_file);
        v->no_offset_file = copy;
    }
    v->no_offset_at = f->loc;
    return false;
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
        /* "-" means nil or negligible in some UK tables, not available in
         * others: only the schema's cleaning section can say which. */
        if (f->len == 1 && f->text[0] == '-')
            tally_emit_field(&v->sink, v->schema, rec, i, TALLY_SEV_ERROR, TALLY_CODE_TYPE,
                             "%s is \"-\", which some tables use for nil or negligible: the "
                             "schema does not say what it means here (write the number%s%s, or "
                             "declare \"-\" in the schema's cleaning symbols)", def->name,
                             *syms ? " or one of " : "", syms);
        else
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

static const char *const month_names[12] = {
    "January", "February", "March", "April", "May", "June", "July", "August", "September",
    "October", "November", "December",
};

/* Why a text that is not a date is not one, when a data officer would be
 * puzzled: written YYYY-MM-DD but no such day, or a spreadsheet's serial
 * number. "" otherwise. */
static COLD void date_hint(const char *s, size_t n, char *buf, size_t size)
{
    buf[0] = '\0';
    bool digits = n > 0 && n <= 6;
    for (size_t i = 0; i < n && digits; i++)
        digits = s[i] >= '0' && s[i] <= '9';
    if (digits) {
        long serial = strtol(s, NULL, 10);
        if (serial < 61 || serial > 2958465)
            return;
        char d1900[11], d1904[11];
        tally_format_date(serial - 25569, d1900);       /* 1899-12-30 + serial */
        tally_format_date(serial - 24107, d1904);       /* 1904-01-01 + serial */
        snprintf(buf, size, ": it may be a spreadsheet's serial number for a day (%.*s is %s "
                 "counted from 1900, as Excel for Windows counts, or %s counted from 1904, as old "
                 "Excel for Mac did); tally cannot tell which, so format the column as dates "
                 "before saving", (int)n, s, d1900, d1904);
        return;
    }
    if (n != 10 || s[4] != '-' || s[7] != '-')
        return;
    for (size_t i = 0; i < 10; i++)
        if (i != 4 && i != 7 && (s[i] < '0' || s[i] > '9'))
            return;
    int year = atoi(s), month = atoi(s + 5), day = atoi(s + 8);
    if (month < 1 || month > 12) {
        snprintf(buf, size, ": there is no month %d", month);
        return;
    }
    static const int days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    int in_month = days[month - 1] + (month == 2 && leap);
    if (day < 1 || day > in_month)
        snprintf(buf, size, ": there is no such day (%s %d has %d days)", month_names[month - 1],
                 year, in_month);
}

/* For a missing authority code beside a name: what the name stands for. */
static COLD void name_hint(const struct tally_validator *v, const struct tally_record *rec,
                           char *buf, size_t size)
{
    buf[0] = '\0';
    int ni = v->schema->role[TALLY_ROLE_AUTHORITY_NAME];
    int64_t day;
    if (!v->registry || ni < 0 || !rec->fields[ni].text || rec->fields[ni].bad ||
        !period_end_day(v, rec, &day))
        return;
    const char *t = rec->fields[ni].text;
    size_t n = rec->fields[ni].len;
    tally_trim(&t, &n);
    if (!n)
        return;
    const struct tally_authority *a[4];
    size_t k = tally_registry_resolve_name(v->registry, t, n, day, a, 4);
    char when[11], list[400];
    tally_format_date(day, when);
    list_authorities(a, k < 4 ? k : 4, list, sizeof list);
    if (k == 0)
        snprintf(buf, size, "; %s \"%.*s\" names no authority in force on %s",
                 v->schema->fields[ni].name, (int)n, t, when);
    else if (k == 1)
        snprintf(buf, size, "; %s \"%.*s\" is %s, which --clean fills in",
                 v->schema->fields[ni].name, (int)n, t, list);
    else
        snprintf(buf, size, "; %s \"%.*s\" names %zu authorities in force on %s: %s%s",
                 v->schema->fields[ni].name, (int)n, t, k, when, list, k > 4 ? ", ..." : "");
}

/* A required value missing: said with what the name beside a missing code stands for. */
static COLD void report_required(struct tally_validator *v, struct tally_record *rec, size_t i)
{
    const struct tally_field_def *def = &v->schema->fields[i];
    char hint[512] = "";
    if ((int)i == v->schema->role[TALLY_ROLE_AUTHORITY_CODE])
        name_hint(v, rec, hint, sizeof hint);
    tally_emit_field(&v->sink, v->schema, rec, i, TALLY_SEV_ERROR, TALLY_CODE_REQUIRED,
                     "%s is required but %s%s", def->name, rec->fields[i].text ? "empty" : "absent",
                     hint);
}

/* A value that is not a date: said with why, when a data officer would wonder. */
static COLD void report_date(struct tally_validator *v, struct tally_record *rec, size_t i)
{
    const struct tally_field *f = &rec->fields[i];
    char hint[400];
    date_hint(f->text, f->len, hint, sizeof hint);
    tally_emit_field(&v->sink, v->schema, rec, i, TALLY_SEV_ERROR, TALLY_CODE_TYPE,
                     "%s must be a date written YYYY-MM-DD, not \"%s\"%s",
                     v->schema->fields[i].name, f->text, hint);
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
            report_required(v, rec, i);
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
            report_date(v, rec, i);
        }
        break;
    case TALLY_TYPE_DATETIME:
        if (tally_parse_datetime(f->text, f->len, &val->number)) {
            val->kind = TALLY_DATETIME;
        } else if (tally_parse_local_datetime(f->text, f->len, &val->number)) {
            /* A case system's local time: usable, but only to within 14 hours
             * (settle.h says what that means for which submission is later). */
            val->kind = TALLY_LOCAL_DATETIME;
            if (!warned_no_offset(v, rec, f))
                tally_emit_field(&v->sink, v->schema, rec, i, TALLY_SEV_WARNING,
                                 TALLY_CODE_DATETIME_NO_OFFSET,
                                 "%s \"%s\" has no offset (Z or +01:00), so it is known only to "
                                 "within 14 hours: it decides which submission is later only "
                                 "when that is certain", def->name, f->text);
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
            const struct tally_authority *heir[2];
            bool one = tally_registry_heirs(v->registry, a, end->number, heir, 2) == 1;
            tally_emit_field(&v->sink, v->schema, rec, ci, TALLY_SEV_ERROR,
                             TALLY_CODE_AUTHORITY_NOT_VALID,
                             "%s (%s) was no longer in force on %s: it ended on %s%s%s%s%s%s",
                             a->code, a->name, day, when, *succ ? "; succeeded by " : "", succ,
                             one ? "; --clean replaces it with " : "", one ? heir[0]->code : "",
                             one ? ", in force on that day" : "");
        }
    }
    int ni = v->schema->role[TALLY_ROLE_AUTHORITY_NAME];
    if (ni < 0 || rec->fields[ni].error)
        return;
    struct tally_value *name = &rec->fields[ni].value;
    if (name->kind == TALLY_TEXT && !tally_names_match(name->text, name->len, a->name, strlen(a->name)) &&
        !tally_registry_is_alias(v->registry, name->text, name->len, a)) {
        /* Say what the name stands for instead, if anything. */
        const struct tally_authority *other[4];
        size_t k = tally_registry_resolve_name(v->registry, name->text, name->len,
                                               end ? end->number : INT64_MIN, other, 4);
        char what[512];
        if (k == 0) {
            snprintf(what, sizeof what, ", and names no authority");
        } else {
            char list[400];
            list_authorities(other, k < 4 ? k : 4, list, sizeof list);
            snprintf(what, sizeof what, ", and is the name of %s%s", list, k > 4 ? ", ..." : "");
        }
        tally_emit_field(&v->sink, v->schema, rec, (size_t)ni, TALLY_SEV_WARNING,
                         TALLY_CODE_AUTHORITY_NAME,
                         "authority_name \"%.*s\" differs from the registry's \"%s\" for %s%s; "
                         "the registry's name is used", (int)name->len, name->text, a->name,
                         a->code, what);
    }
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
