/*
 * clean.c — `--clean` (clean.h).
 *
 * For each field whose text is not already valid for its type and
 * constraints, try the repairs that fit its type on the text without
 * surrounding spaces; keep the result only if it is valid. A value that no
 * repair makes valid is left exactly as it was, for the validator to report.
 * Then fill a missing authority code from the name, and derive a missing
 * count where the schema says how. Every change is a `repaired` info.
 */
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/arena.h"
#include "core/pattern.h"
#include "core/emit.h"
#include "tally/clean.h"

struct tally_cleaner {
    const struct tally_schema *schema;
    const struct tally_registry *registry;
    struct tally_diag_sink sink;
    struct tally_arena arena;   /* repaired texts of the current record */
    struct tally_field *saved;  /* tally_cleaner_count: the record's fields as they were */
    uint64_t repairs;
    struct tally_matcher *matcher; /* for the fields' patterns */
    bool nomem;             /* a pattern had no answer (out of memory): the record fails */
};

struct tally_cleaner *tally_cleaner_new(const struct tally_schema *schema,
                                        const struct tally_registry *registry,
                                        struct tally_diag_sink sink, struct tally_error *err)
{
    struct tally_cleaner *c = calloc(1, sizeof *c);
    if (!c) {
        tally_error_set(err, TALLY_ENOMEM, "out of memory");
        return NULL;
    }
    c->schema = schema;
    c->registry = registry;
    c->sink = sink;
    if (!(c->matcher = tally_matcher_new()) ||
        !(c->saved = calloc(schema->nfields ? schema->nfields : 1, sizeof *c->saved))) {
        tally_error_set(err, TALLY_ENOMEM, "out of memory");
        tally_cleaner_free(c);
        return NULL;
    }
    return c;
}

void tally_cleaner_free(struct tally_cleaner *c)
{
    if (!c)
        return;
    free(c->saved);
    tally_arena_fini(&c->arena);
    tally_matcher_free(c->matcher);
    free(c);
}

uint64_t tally_cleaner_repairs(const struct tally_cleaner *c)
{
    return c->repairs;
}

/* ---- is a text valid as it stands? ---------------------------------------------------- */

static bool valid(struct tally_cleaner *c, const struct tally_field_def *def, const char *s,
                  size_t len)
{
    int64_t n, d;
    char sym;
    switch (def->type) {
    case TALLY_TYPE_INTEGER:
        switch (tally_parse_count(s, len, def->symbols, &n, &sym)) {
        case TALLY_COUNT_SYMBOL:
            return true;
        case TALLY_COUNT_OK:
            return !(def->has_minimum && n < def->minimum) && !(def->has_maximum && n > def->maximum);
        default:
            return false;
        }
    case TALLY_TYPE_DATE:
        return tally_parse_date(s, len, &d);
    case TALLY_TYPE_DATETIME:   /* a local time is valid, with a warning */
        return tally_parse_datetime(s, len, &d) || tally_parse_local_datetime(s, len, &d);
    case TALLY_TYPE_STRING:
        break;
    }
    if (def->n_enum) {
        size_t k = 0;
        while (k < def->n_enum && !(strlen(def->enum_values[k]) == len &&
                                    memcmp(def->enum_values[k], s, len) == 0))
            k++;
        if (k == def->n_enum)
            return false;
    }
    if (def->regex) {
        int match = tally_pattern_test(def->regex, c->matcher, s, len);
        if (match < 0)
            c->nomem = true;    /* no answer: the record fails, nothing is guessed */
        if (match != 1)
            return false;
    }
    return true;
}

/* ---- repairs, each from a trimmed text into buf; false when it does not apply ---------- */

static bool is_space_at(const char *s, size_t len, size_t i, size_t *w)
{
    if (s[i] == ' ' || s[i] == '\t') {
        *w = 1;
        return true;
    }
    if (i + 1 < len && (unsigned char)s[i] == 0xC2 && (unsigned char)s[i + 1] == 0xA0) {
        *w = 2;     /* a no-break space */
        return true;
    }
    return false;
}

static void trim(const char **s, size_t *len)
{
    size_t w;
    while (*len && is_space_at(*s, *len, 0, &w))
        *s += w, *len -= w;
    for (;;) {
        if (*len && ((*s)[*len - 1] == ' ' || (*s)[*len - 1] == '\t'))
            (*len)--;
        else if (*len >= 2 && (unsigned char)(*s)[*len - 2] == 0xC2 &&
                 (unsigned char)(*s)[*len - 1] == 0xA0)
            *len -= 2;
        else
            break;
    }
}

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* "1,204", "1 204" (a space or no-break space), "1,204.0", "42.0" → digits. */
static bool repair_number(const char *s, size_t len, char *buf, size_t size, const char **why)
{
    size_t i = 0, o = 0, group = 0, sep_w = 0;
    char sep = 0;
    bool separated = false;
    while (i < len && is_digit(s[i]) && o + 1 < size) {
        buf[o++] = s[i++];
        group++;
        size_t w;
        if (i < len && (s[i] == ',' || is_space_at(s, len, i, &w))) {
            char this = s[i] == ',' ? ',' : ' ';
            size_t this_w = s[i] == ',' ? 1 : w;
            if ((sep && this != sep) || (!separated && group > 3) || (separated && group != 3))
                return false;
            sep = this;
            sep_w = this_w;
            separated = true;
            group = 0;
            i += sep_w;
            if (i == len || !is_digit(s[i]))
                return false;
        }
    }
    if (o == 0 || (separated && group != 3))
        return false;
    bool fraction = false;
    if (i < len && s[i] == '.') {
        i++;
        size_t zeros = 0;
        while (i < len && s[i] == '0')
            i++, zeros++;
        if (zeros == 0)
            return false;
        fraction = true;
    }
    if (i != len || (!separated && !fraction))
        return false;
    buf[o] = '\0';
    *why = separated && fraction ? "thousands separator and zero fraction"
           : separated           ? "thousands separator"
                                 : "zero fraction";
    return true;
}

/* Does s[0..len) read "hh:mm" or "hh:mm:ss" (a spreadsheet's time of day)? */
static bool is_time(const char *s, size_t len)
{
    return (len == 5 || (len == 8 && s[5] == ':' && is_digit(s[6]) && is_digit(s[7]))) &&
           is_digit(s[0]) && is_digit(s[1]) && s[2] == ':' && is_digit(s[3]) && is_digit(s[4]);
}

/* "30/09/2015", "1/10/2014" (also with - or .), the UK's day-first order;
 * "2015-09-30T00:00:00" or "2015-09-30 10:00" → the date; and a day-first
 * date with a time, as spreadsheets export dates ("30/09/2015 00:00"). */
static bool repair_date(const char *s, size_t len, char *buf, size_t size, const char **why)
{
    int64_t days;
    if (len > 10 && (s[10] == 'T' || s[10] == ' ') && len >= 16 && is_digit(s[11]) &&
        is_digit(s[12]) && s[13] == ':' && tally_parse_date(s, 10, &days)) {
        snprintf(buf, size, "%.10s", s);
        *why = "time part dropped";
        return true;
    }
    const char *sp = memchr(s, ' ', len);
    if (sp && sp > s && is_time(sp + 1, len - (size_t)(sp + 1 - s))) {
        if (!repair_date(s, (size_t)(sp - s), buf, size, why) || strcmp(*why, "day-first date") != 0)
            return false;
        *why = "day-first date, time part dropped";
        return true;
    }
    unsigned part[3] = {0, 0, 0};
    size_t digits[3] = {0, 0, 0}, i = 0;
    char sep = 0;
    for (int p = 0; p < 3; p++) {
        while (i < len && is_digit(s[i]) && digits[p] < 4)
            part[p] = part[p] * 10 + (unsigned)(s[i++] - '0'), digits[p]++;
        if (p < 2) {
            if (i >= len || (s[i] != '/' && s[i] != '-' && s[i] != '.') || (sep && s[i] != sep))
                return false;
            sep = s[i++];
        }
    }
    if (i != len || digits[0] < 1 || digits[0] > 2 || digits[1] < 1 || digits[1] > 2 ||
        digits[2] != 4)
        return false;
    snprintf(buf, size, "%04u-%02u-%02u", part[2] % 10000, part[1] % 100, part[0] % 100);
    *why = "day-first date";
    return tally_parse_date(buf, strlen(buf), &days);
}

/* A spelling from the schema's "cleaning" (field, or -1 for symbols), ignoring case. */
static const char *spelling(const struct tally_schema *s, int field, const char *t, size_t len)
{
    for (size_t i = 0; i < s->nspellings; i++) {
        const struct tally_spelling *sp = &s->spellings[i];
        if (sp->field == field && strlen(sp->spelling) == len &&
            strncasecmp(sp->spelling, t, len) == 0)
            return sp->canonical;
    }
    return NULL;
}

static bool repair_string(const struct tally_schema *s, size_t f, const char *t, size_t len,
                          char *buf, size_t size, const char **why)
{
    const struct tally_field_def *def = &s->fields[f];
    for (size_t k = 0; k < def->n_enum; k++)
        if (strlen(def->enum_values[k]) == len && strncasecmp(def->enum_values[k], t, len) == 0) {
            snprintf(buf, size, "%s", def->enum_values[k]);
            *why = "case";
            return true;
        }
    const char *canon = spelling(s, (int)f, t, len);
    if (canon) {
        snprintf(buf, size, "%s", canon);
        *why = "another spelling";
        return true;
    }
    if (def->regex && len < size) {
        for (size_t i = 0; i < len; i++)
            buf[i] = t[i] >= 'a' && t[i] <= 'z' ? (char)(t[i] - 'a' + 'A') : t[i];
        buf[len] = '\0';
        *why = "case";
        return memcmp(buf, t, len) != 0;
    }
    return false;
}

/* ---- the record ------------------------------------------------------------------------- */

static int set_text(struct tally_cleaner *c, struct tally_field *f, const char *text)
{
    char *copy = tally_arena_strndup(&c->arena, text, strlen(text));
    if (!copy)
        return TALLY_ENOMEM;
    f->text = copy;
    f->len = strlen(copy);
    c->repairs++;
    return TALLY_OK;
}

static int repair_field(struct tally_cleaner *c, struct tally_record *rec, size_t i)
{
    const struct tally_field_def *def = &c->schema->fields[i];
    struct tally_field *f = &rec->fields[i];
    if (!f->text || f->bad || valid(c, def, f->text, f->len))
        return TALLY_OK;
    const char *t = f->text;
    size_t len = f->len;
    trim(&t, &len);
    if (len == 0)
        return TALLY_OK;    /* only spaces: missing, not repairable */
    char buf[128];
    const char *why = NULL;
    bool trimmed = len != f->len;
    if (trimmed && len < sizeof buf && valid(c, def, t, len)) {
        memcpy(buf, t, len);
        buf[len] = '\0';
        why = "surrounding spaces";
    } else {
        bool ok = false;
        switch (def->type) {
        case TALLY_TYPE_INTEGER: {
            const char *sym = spelling(c->schema, -1, t, len);
            if (sym && def->symbols && strchr(def->symbols, sym[0])) {
                snprintf(buf, sizeof buf, "%s", sym);
                why = "symbol spelling";
                ok = true;
            } else {
                ok = repair_number(t, len, buf, sizeof buf, &why);
            }
            break;
        }
        case TALLY_TYPE_DATE:
            ok = repair_date(t, len, buf, sizeof buf, &why);
            break;
        case TALLY_TYPE_STRING:
            ok = repair_string(c->schema, i, t, len, buf, sizeof buf, &why);
            break;
        case TALLY_TYPE_DATETIME:
            break;
        }
        if (!ok || !valid(c, def, buf, strlen(buf)))
            return TALLY_OK;    /* no repair makes it valid: leave it for the validator */
    }
    char before[160];
    snprintf(before, sizeof before, "%.*s", (int)(f->len < 120 ? f->len : 120), f->text);
    tally_emit_field(&c->sink, c->schema, rec, i, TALLY_SEV_INFO, TALLY_CODE_REPAIRED,
                     "%s \"%s\" repaired to \"%s\" (%s%s)", def->name, before, buf,
                     trimmed && strcmp(why, "surrounding spaces") != 0 ? "surrounding spaces, " : "",
                     why);
    return set_text(c, f, buf);
}

/* period_end's day, as the record now holds it; false when it is not a date. */
static bool period_end_of(const struct tally_cleaner *c, const struct tally_record *rec, int64_t *day)
{
    int ei = c->schema->role[TALLY_ROLE_PERIOD_END];
    if (ei < 0)
        return false;
    const struct tally_field *end = &rec->fields[ei];
    return end->text && !end->bad && tally_parse_date(end->text, end->len, day);
}

/* A missing authority code from a name (or a known alias) that stands for
 * exactly one authority in force on period_end. */
static int fill_code(struct tally_cleaner *c, struct tally_record *rec)
{
    const struct tally_schema *s = c->schema;
    int ci = s->role[TALLY_ROLE_AUTHORITY_CODE], ni = s->role[TALLY_ROLE_AUTHORITY_NAME];
    int64_t day;
    if (!c->registry || ci < 0 || ni < 0 || !period_end_of(c, rec, &day))
        return TALLY_OK;
    struct tally_field *code = &rec->fields[ci], *name = &rec->fields[ni];
    const char *t = code->text;
    size_t len = code->len;
    if (t)
        trim(&t, &len);
    if ((t && len) || code->bad || !name->text || name->bad)
        return TALLY_OK;
    const char *nt = name->text;
    size_t nlen = name->len;
    trim(&nt, &nlen);
    const struct tally_authority *found[2];
    if (!nlen || tally_registry_resolve_name(c->registry, nt, nlen, day, found, 2) != 1)
        return TALLY_OK;    /* unknown or ambiguous: stays a `required` error that says so */
    int ei = s->role[TALLY_ROLE_PERIOD_END];
    code->loc = name->loc;
    if (!code->path)
        code->path = name->path;
    if (set_text(c, code, found[0]->code) != TALLY_OK)
        return TALLY_ENOMEM;
    tally_emit_field(&c->sink, s, rec, (size_t)ci, TALLY_SEV_INFO, TALLY_CODE_REPAIRED,
                     "%s filled in as %s from %s \"%.*s\" (%s, in force on %.*s)",
                     s->fields[ci].name, found[0]->code, s->fields[ni].name, (int)nlen, nt,
                     found[0]->name, (int)rec->fields[ei].len, rec->fields[ei].text);
    return TALLY_OK;
}

static bool all_digits(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (!is_digit(s[i]))
            return false;
    return len > 0;
}

/*
 * The authority code in force on period_end for a code that is not one: a
 * DfE local authority number ("886") that only one authority in force had,
 * or a code that ended before period_end and has exactly one successor in
 * force on it (Gateshead's E08000020 became E08000037 on 2013-04-01).
 * Several successors (Northamptonshire's two) are left for the validator.
 */
static int renew_code(struct tally_cleaner *c, struct tally_record *rec)
{
    const struct tally_schema *s = c->schema;
    int ci = s->role[TALLY_ROLE_AUTHORITY_CODE];
    int64_t day;
    if (!c->registry || ci < 0 || !period_end_of(c, rec, &day))
        return TALLY_OK;
    struct tally_field *f = &rec->fields[ci];
    if (!f->text || f->bad)
        return TALLY_OK;
    const char *t = f->text;
    size_t len = f->len;
    trim(&t, &len);
    const struct tally_authority *to[2], *a = NULL;
    char why[256], end[11], ended[11];
    tally_format_date(day, end);
    if (all_digits(t, len) && !valid(c, &s->fields[ci], t, len)) {
        if (tally_registry_find_dfe(c->registry, t, len, day, to, 2) != 1)
            return TALLY_OK;
        snprintf(why, sizeof why, "DfE's local authority number %.*s is %s, in force on %s",
                 (int)len, t, to[0]->name, end);
    } else {
        a = tally_registry_find(c->registry, t, len);
        if (!a || a->valid_to >= day || tally_registry_heirs(c->registry, a, day, to, 2) != 1)
            return TALLY_OK;
        tally_format_date(a->valid_to, ended);
        snprintf(why, sizeof why, "%s, %s, ended on %s; its successor in force on %s is %s, %s",
                 a->code, a->name, ended, end, to[0]->code, to[0]->name);
    }
    char before[160];
    snprintf(before, sizeof before, "%.*s", (int)(f->len < 120 ? f->len : 120), f->text);
    tally_emit_field(&c->sink, s, rec, (size_t)ci, TALLY_SEV_INFO, TALLY_CODE_REPAIRED,
                     "%s \"%s\" repaired to \"%s\" (%s)", s->fields[ci].name, before,
                     to[0]->code, why);
    return set_text(c, f, to[0]->code);
}

static bool count_of(struct tally_cleaner *c, const struct tally_schema *s,
                     const struct tally_record *rec, size_t f, int64_t *n)
{
    const struct tally_field *fld = &rec->fields[f];
    char sym;
    return fld->text && !fld->bad &&
           tally_parse_count(fld->text, fld->len, NULL, n, &sym) == TALLY_COUNT_OK &&
           valid(c, &s->fields[f], fld->text, fld->len);
}

/* field = total - minus, when only field is missing. */
static int derive(struct tally_cleaner *c, struct tally_record *rec)
{
    const struct tally_schema *s = c->schema;
    for (size_t k = 0; k < s->nderivations; k++) {
        const struct tally_derivation *d = &s->derivations[k];
        struct tally_field *f = &rec->fields[d->field];
        const char *t = f->text;
        size_t len = f->len;
        if (t)
            trim(&t, &len);
        int64_t total, minus;
        if ((t && len) || f->bad || !count_of(c, s, rec, d->total, &total) ||
            !count_of(c, s, rec, d->minus, &minus) || total < minus)
            continue;
        char buf[32];
        snprintf(buf, sizeof buf, "%lld", (long long)(total - minus));
        if (set_text(c, f, buf) != TALLY_OK)
            return TALLY_ENOMEM;
        tally_emit_field(&c->sink, s, rec, d->field, TALLY_SEV_INFO, TALLY_CODE_REPAIRED,
                         "%s derived as %s - %s = %lld - %lld = %s", s->fields[d->field].name,
                         s->fields[d->total].name, s->fields[d->minus].name, (long long)total,
                         (long long)minus, buf);
    }
    return TALLY_OK;
}

int tally_cleaner_clean(struct tally_cleaner *c, struct tally_record *rec, struct tally_error *err)
{
    tally_arena_reset(&c->arena);
    c->nomem = false;
    if (rec->inherited && strcmp(rec->inherited, TALLY_CODE_CSV_RAGGED_ROW) == 0)
        return TALLY_OK;    /* its values are in the wrong columns: nothing to repair */
    for (size_t i = 0; i < c->schema->nfields; i++)
        if (repair_field(c, rec, i) != TALLY_OK)
            return tally_error_set(err, TALLY_ENOMEM, "out of memory");
    if (renew_code(c, rec) != TALLY_OK || fill_code(c, rec) != TALLY_OK ||
        derive(c, rec) != TALLY_OK || c->nomem)
        return tally_error_set(err, TALLY_ENOMEM, "out of memory");
    return TALLY_OK;
}

int tally_cleaner_count(struct tally_cleaner *c, struct tally_record *rec, uint64_t *n,
                        struct tally_error *err)
{
    size_t nf = c->schema->nfields;
    memcpy(c->saved, rec->fields, nf * sizeof *rec->fields);
    unsigned errors = rec->errors, warnings = rec->warnings;
    struct tally_diag_sink sink = c->sink;
    uint64_t before = c->repairs;
    c->sink = (struct tally_diag_sink){NULL, NULL};     /* nothing is said */
    int rc = tally_cleaner_clean(c, rec, err);
    c->sink = sink;
    *n = c->repairs - before;
    c->repairs = before;
    memcpy(rec->fields, c->saved, nf * sizeof *rec->fields);
    rec->errors = errors;
    rec->warnings = warnings;
    return rc;
}
