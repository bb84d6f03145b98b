/*
 * readers/tabular.c — rows of cells in, records out: the part of reading a
 * table that does not depend on its format (tabular.h). csv.c, xlsx.c and
 * ods.c find rows and cells; this file finds the header, maps its columns to
 * the schema's fields, tells the rows that are not records from those that
 * are, and makes the records.
 *
 * Every decision here is written down in tabular.h and in the README (the
 * section for data officers); none of them drops a row without saying so.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/emit.h"
#include "core/grow.h"
#include "readers/tabular.h"
#include "tally/registry.h"

struct tab_held {
    bool blank;             /* a run of blank rows, not a row */
    uint64_t count;         /* blank: rows in the run */
    struct tally_loc loc;   /* blank: where the run starts */
    struct tab_row row;     /* a row: its cells and texts live in t->hold */
};

static const struct tally_schema *schema_of(const struct tab *t)
{
    return t->r->cfg.schema;
}

static void diag(struct tab *t, struct tally_record *rec, const struct tally_loc *loc,
                 uint64_t record, const char *field, const char *value, enum tally_severity sev,
                 const char *code, const char *fmt, ...) TALLY_PRINTF(9, 10);

static void diag(struct tab *t, struct tally_record *rec, const struct tally_loc *loc,
                 uint64_t record, const char *field, const char *value, enum tally_severity sev,
                 const char *code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    tally_emit_atv(&t->r->cfg.sink, rec, t->r->in->name, loc, record, field, value, t->kind,
                   t->kind == TALLY_PATH_CELL ? t->opt.sheet_ref : NULL, sev, code, fmt, ap);
    va_end(ap);
}

int tab_init(struct tab *t, struct tally_reader *r, const struct tab_options *opt,
             struct tally_error *err)
{
    const struct tally_schema *s = r->cfg.schema;
    memset(t, 0, sizeof *t);
    t->r = r;
    t->opt = *opt;
    t->kind = opt->sheet ? TALLY_PATH_CELL : TALLY_PATH_NONE;
    size_t n = s->nfields ? s->nfields : 1;
    t->fields = calloc(n, sizeof *t->fields);
    t->sums = calloc(n, sizeof *t->sums);
    t->sum_lost = calloc(n, sizeof *t->sum_lost);
    t->col_of = malloc(n * sizeof *t->col_of);
    size_t nl = s->ntotals_labels ? s->ntotals_labels : 1;
    t->label_len = malloc(nl * sizeof *t->label_len);
    t->digit_labels = malloc(nl * sizeof *t->digit_labels);
    t->counts = malloc(n * sizeof *t->counts);
    t->defaulted = malloc(n * sizeof *t->defaulted);
    if (!t->fields || !t->sums || !t->sum_lost || !t->col_of || !t->label_len ||
        !t->digit_labels || !t->counts || !t->defaulted) {
        tab_fini(t);
        return tally_error_set(err, TALLY_ENOMEM, "out of memory");
    }
    for (size_t f = 0; f < s->nfields; f++) {
        t->col_of[f] = -1;
        if (s->fields[f].type == TALLY_TYPE_INTEGER)
            t->counts[t->ncounts++] = f;
    }
    for (size_t i = 0; i < s->ntotals_labels; i++) {
        t->label_len[i] = strlen(s->totals_labels[i]);
        if (strpbrk(s->totals_labels[i], "0123456789"))
            t->digit_labels[t->ndigit_labels++] = i;
    }
    t->code_col = t->name_col = t->end_col = -1;
    t->rec.file = r->in->name;
    t->rec.nfields = s->nfields;
    t->rec.fields = t->fields;
    t->rec.path_kind = t->kind;
    t->rec.path = t->kind == TALLY_PATH_CELL ? opt->sheet_ref : NULL;
    return TALLY_OK;
}

void tab_fini(struct tab *t)
{
    free(t->fields);
    free(t->sums);
    free(t->sum_lost);
    free(t->col_of);
    free(t->label_len);
    free(t->digit_labels);
    free(t->counts);
    free(t->defaulted);
    t->label_len = t->digit_labels = t->counts = t->defaulted = NULL;
    free(t->colmap);
    free(t->held);
    tally_arena_fini(&t->hold);
    t->fields = NULL;
    t->sums = NULL;
    t->sum_lost = NULL;
    t->col_of = t->colmap = NULL;
    t->held = NULL;
}

/* ---- small helpers ----------------------------------------------------------------- */

static bool blank_text(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (s[i] != ' ' && s[i] != '\t')
            return false;
    return true;
}

static bool blank_cell(const struct tab_cell *c)
{
    return blank_text(c->text, c->len);
}

/* Nothing, or only empty cells, and nothing the format found wrong with it. */
static bool blank_row(const struct tab_row *row)
{
    if (row->broken || row->errors || row->nseen != row->ncells)
        return false;
    for (size_t i = 0; i < row->ncells; i++)
        if (!blank_cell(&row->cells[i]))
            return false;
    return true;
}

/* The row's cell in column col, or NULL (no such column, or a short row). */
static const struct tab_cell *cell_at(const struct tab_row *row, int col)
{
    return col >= 0 && (size_t)col < row->ncells ? &row->cells[col] : NULL;
}

static void trim(const char **s, size_t *len)
{
    while (*len && (**s == ' ' || **s == '\t'))
        (*s)++, (*len)--;
    while (*len && ((*s)[*len - 1] == ' ' || (*s)[*len - 1] == '\t'))
        (*len)--;
}

/* Does the cell's text, trimmed (and a trailing ':' or '.' dropped), equal
 * one of list[0..n) ignoring ASCII case? */
static bool reads_one_of(const struct tab_cell *c, char *const *list, size_t n)
{
    if (!c)
        return false;
    const char *s = c->text;
    size_t len = c->len;
    trim(&s, &len);
    while (len && (s[len - 1] == ':' || s[len - 1] == '.'))
        len--;
    for (size_t i = 0; len && i < n; i++)
        if (strlen(list[i]) == len && strncasecmp(list[i], s, len) == 0)
            return true;
    return false;
}

static bool has_digit(const struct tab_cell *c)
{
    for (size_t i = 0; c && i < c->len; i++)
        if (c->text[i] >= '0' && c->text[i] <= '9')
            return true;
    return false;
}

/* A short quotation of a cell for messages: at most 60 bytes, cut at a character. */
static int quote_len(const struct tab_cell *c)
{
    size_t n = c->len;
    if (n > 60) {
        n = 60;
        while (n > 0 && ((unsigned char)c->text[n] & 0xC0) == 0x80)
            n--;
    }
    return (int)n;
}

/* "..." when quote_len cut the cell, else "". */
static const char *quote_more(const struct tab_cell *c)
{
    return c && (size_t)quote_len(c) < c->len ? "..." : "";
}

/* ---- blank rows ---------------------------------------------------------------------- */

/* Report the run of blank rows before the row about to be read. */
static void flush_blanks(struct tab *t)
{
    if (!t->blanks)
        return;
    struct tally_loc loc = {t->blank_at.line, t->opt.sheet ? 0 : 1, t->blank_at.offset};
    if (t->blanks == 1)
        diag(t, NULL, &loc, 0, NULL, NULL, TALLY_SEV_WARNING, TALLY_CODE_CSV_BLANK_ROW,
             "blank row ignored");
    else
        diag(t, NULL, &loc, 0, NULL, NULL, TALLY_SEV_WARNING, TALLY_CODE_CSV_BLANK_ROW,
             "%llu blank rows ignored (%ss %u to %llu)", (unsigned long long)t->blanks,
             t->opt.row_word, loc.line, (unsigned long long)loc.line + t->blanks - 1);
    t->blanks = 0;
}

/* Keep room for one more held item. */
static struct tab_held *new_held(struct tab *t)
{
    if (tally_grow((void **)&t->held, &t->held_cap, t->nheld, sizeof *t->held, 8) != TALLY_OK)
        return NULL;
    struct tab_held *h = &t->held[t->nheld++];
    memset(h, 0, sizeof *h);
    return h;
}

int tab_blank(struct tab *t, const struct tally_loc *loc, uint64_t count)
{
    t->nonempty = true;
    if (!t->header_done) {
        /* Before the header: held in order with the rows (a run merges). */
        struct tab_held *h = t->nheld && t->held[t->nheld - 1].blank ? &t->held[t->nheld - 1] : NULL;
        if (!h) {
            if (!(h = new_held(t)))
                return TALLY_ENOMEM;
            h->blank = true;
            h->loc = *loc;
        }
        h->count += count;
        return TALLY_OK;
    }
    if (t->blanks == 0)
        t->blank_at = *loc;
    t->blanks += count;
    return TALLY_OK;
}

/* ---- the header ----------------------------------------------------------------------- */

bool tab_is_header(const struct tally_schema *s, const struct tab_cell *cells, size_t n)
{
    size_t required = 0, named = 0;
    for (size_t f = 0; f < s->nfields; f++)
        required += s->fields[f].required && !s->fields[f].default_value;
    size_t need = (required + 1) / 2;
    if (need == 0)
        need = 1;
    uint64_t seen[8] = {0};     /* fields named so far (the first 512) */
    for (size_t i = 0; i < n && named < need; i++) {
        bool exact;
        int f = tally_schema_match_header(s, cells[i].text, cells[i].len, &exact);
        if (f < 0 || (f < 512 && (seen[f / 64] >> (f % 64) & 1)))
            continue;
        if (f < 512)
            seen[f / 64] |= (uint64_t)1 << (f % 64);
        named++;
    }
    return named >= need;
}

static void header_diag(struct tab *t, const struct tally_loc *loc, enum tally_severity sev,
                        const char *code, const char *fmt, ...) TALLY_PRINTF(5, 6);

/* A problem with the header; an error is inherited by every record. */
static void header_diag(struct tab *t, const struct tally_loc *loc, enum tally_severity sev,
                        const char *code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    tally_emit_atv(&t->r->cfg.sink, NULL, t->r->in->name, loc, 0, NULL, NULL, t->kind,
                   t->kind == TALLY_PATH_CELL ? t->opt.sheet_ref : NULL, sev, code, fmt, ap);
    va_end(ap);
    if (sev == TALLY_SEV_ERROR && !t->file_error)
        t->file_error = code;
}

/* Map the header's columns to the schema's fields (doc/return-format.md §2, CSV). */
static int settle_header(struct tab *t, const struct tab_row *row, struct tally_error *err)
{
    const struct tally_schema *s = schema_of(t);
    t->header_done = true;
    if (row->nseen > TALLY_MAX_COLUMNS) {
        header_diag(t, &row->loc, TALLY_SEV_ERROR, TALLY_CODE_LIMIT,
                    "the header has more than %d columns; the file is not read", TALLY_MAX_COLUMNS);
        t->fatal = true;
        return TALLY_OK;
    }
    if (row->broken) {
        header_diag(t, &row->loc, TALLY_SEV_ERROR, TALLY_CODE_FORMAT,
                    "the header row cannot be read; the file is not read");
        t->fatal = true;
        return TALLY_OK;
    }
    t->ncols = row->ncells;
    t->colmap = malloc((t->ncols ? t->ncols : 1) * sizeof *t->colmap);
    if (!t->colmap)
        return tally_error_set(err, TALLY_ENOMEM, "out of memory");
    for (size_t i = 0; i < t->ncols; i++) {
        const struct tab_cell *c = &row->cells[i];
        bool exact;
        int f = tally_schema_match_header(s, c->text, c->len, &exact);
        t->colmap[i] = -1;
        if (f < 0) {
            if (blank_cell(c) && t->r->cfg.clean && !t->opt.sheet && i + 1 == t->ncols && i > 0)
                header_diag(t, &c->loc, TALLY_SEV_INFO, TALLY_CODE_REPAIRED,
                            "an empty last column is ignored (a trailing delimiter)");
            else if (blank_cell(c))
                header_diag(t, &c->loc, TALLY_SEV_WARNING, TALLY_CODE_CSV_HEADER_UNKNOWN,
                            "column without a name is ignored");
            else
                header_diag(t, &c->loc, TALLY_SEV_WARNING, TALLY_CODE_CSV_HEADER_UNKNOWN,
                            "unknown column \"%s\" is ignored", c->text);
            continue;
        }
        if (t->col_of[f] >= 0) {
            header_diag(t, &c->loc, TALLY_SEV_ERROR, TALLY_CODE_CSV_HEADER_DUPLICATE,
                        "column \"%s\" appears twice (first at column %u); the file's records "
                        "cannot be accepted", s->fields[f].name,
                        (unsigned)row->cells[t->col_of[f]].loc.column);
            continue;
        }
        t->colmap[i] = f;
        t->col_of[f] = (int)i;
        if (!exact)
            header_diag(t, &c->loc, TALLY_SEV_INFO, TALLY_CODE_CSV_HEADER_ALIAS,
                        "column \"%.*s\" is read as %s", quote_len(c), c->text, s->fields[f].name);
    }
    for (size_t f = 0; f < s->nfields; f++) {
        const struct tally_field_def *d = &s->fields[f];
        if (t->col_of[f] >= 0)
            continue;
        if (d->default_value)
            t->defaulted[t->ndefaulted++] = f;
        if (d->default_value)
            header_diag(t, &row->loc, TALLY_SEV_INFO, TALLY_CODE_FIELD_DEFAULT,
                        "no column for %s: every record takes the schema's default, \"%s\"",
                        d->name, d->default_value);
        else if (d->required)
            header_diag(t, &row->loc, TALLY_SEV_ERROR, TALLY_CODE_CSV_HEADER_MISSING,
                        "required column \"%s\" is missing from the header; the file's records "
                        "cannot be accepted", d->name);
    }
    int roles[3] = {s->role[TALLY_ROLE_AUTHORITY_CODE], s->role[TALLY_ROLE_AUTHORITY_NAME],
                    s->role[TALLY_ROLE_PERIOD_END]};
    t->code_col = roles[0] >= 0 ? t->col_of[roles[0]] : -1;
    t->name_col = roles[1] >= 0 ? t->col_of[roles[1]] : -1;
    t->end_col = roles[2] >= 0 ? t->col_of[roles[2]] : -1;
    t->header_loc = row->loc;
    return TALLY_OK;
}

/* ---- rows that are not records -------------------------------------------------------- */

/* Digits of a count as a totals row writes it ("1,204", " 42 "); false otherwise. */
static bool total_number(const struct tab_cell *c, int64_t *n)
{
    *n = 0;
    size_t digits = 0;
    for (size_t i = 0; i < c->len; i++) {
        char ch = c->text[i];
        if (ch == ',' || ch == ' ')
            continue;
        if (ch < '0' || ch > '9' || ++digits > 18)
            return false;
        *n = *n * 10 + (ch - '0');
    }
    return digits > 0;
}

/* Is every count of the row the sum of its column over the records above
 * (at least one count compared, and not every sum 0)? */
static bool sums_above(const struct tab *t, const struct tab_row *row)
{
    bool compared = false, nonzero = false;
    for (size_t k = 0; k < t->ncounts; k++) {
        size_t f = t->counts[k];
        const struct tab_cell *c = cell_at(row, t->col_of[f]);
        int64_t n;
        if (!c || blank_cell(c))
            return false;   /* a total leaves no count out */
        if (!total_number(c, &n))
            continue;       /* a symbol, or words: not compared */
        if (t->sum_lost[f] || n != t->sums[f])
            return false;
        compared = true;
        nonzero |= n != 0;
    }
    return compared && nonzero;
}

/* Add a record's plain counts to the column sums. */
static void add_sums(struct tab *t, const struct tab_row *row)
{
    for (size_t k = 0; k < t->ncounts; k++) {
        size_t f = t->counts[k];
        const struct tab_cell *c = cell_at(row, t->col_of[f]);
        if (!c || !c->len || c->len > 18)
            continue;
        int64_t n = 0;
        size_t i = 0;
        while (i < c->len && c->text[i] >= '0' && c->text[i] <= '9')
            n = n * 10 + (c->text[i++] - '0');
        if (i != c->len)
            continue;
        if (t->sums[f] > INT64_MAX - n)
            t->sum_lost[f] = true;
        else
            t->sums[f] += n;
    }
    t->summed++;
}

/* "North East (E12000001)", from the row's name and code cells, for messages. */
static void describe_area(const struct tab *t, const struct tab_row *row, char *buf, size_t size)
{
    const struct tab_cell *code = cell_at(row, t->code_col), *name = cell_at(row, t->name_col);
    bool has_code = code && !blank_cell(code), has_name = name && !blank_cell(name);
    if (has_name && has_code)
        snprintf(buf, size, "%.*s (%.*s)", quote_len(name), name->text, quote_len(code), code->text);
    else if (has_name || has_code)
        snprintf(buf, size, "%.*s", quote_len(has_name ? name : code),
                 has_name ? name->text : code->text);
    else
        snprintf(buf, size, "no name or code");
}

/* An aggregate row the schema declares (rows.aggregates). */
static bool aggregate_row(struct tab *t, const struct tab_row *row)
{
    const struct tally_schema *s = schema_of(t);
    if (s->aggregate_field < 0)
        return false;
    const struct tab_cell *c = cell_at(row, t->col_of[s->aggregate_field]);
    if (!reads_one_of(c, s->aggregate_values, s->naggregate_values))
        return false;
    char area[160];
    describe_area(t, row, area, sizeof area);
    diag(t, NULL, &row->loc, 0, NULL, NULL, TALLY_SEV_INFO, TALLY_CODE_AGGREGATE_ROW,
         "an aggregate row (%s \"%.*s\": %s), not an authority's record; it is not read",
         s->fields[s->aggregate_field].name, quote_len(c), c->text, area);
    return true;
}

/* Is the text z or x, or one of them in brackets ("[z]"), ignoring case? */
static bool no_number(const struct tab_cell *c, char *sym)
{
    const char *p = c->text;
    size_t n = c->len;
    trim(&p, &n);
    if (n == 3 && p[0] == '[' && p[2] == ']')
        p++, n = 1;
    if (n != 1 || !strchr("xXzZ", p[0]))
        return false;
    *sym = (char)(p[0] | 0x20);
    return true;
}

/*
 * A row of an authority that ended before the period's last day, whose
 * counts hold no number (only x or z: DfE's files keep abolished authorities
 * as rows of z), and that cannot be taken for its one successor: it is not a
 * record. A code with exactly one successor in force is left to the
 * validator and --clean, which name or repair it.
 */
static bool abolished_row(struct tab *t, const struct tab_row *row)
{
    const struct tally_schema *s = schema_of(t);
    const struct tally_registry *reg = t->r->cfg.registry;
    const struct tab_cell *code = cell_at(row, t->code_col);
    if (!reg || !code)
        return false;
    char sym = 0, seen[3] = "";
    size_t counts = 0;
    for (size_t k = 0; k < t->ncounts; k++) {
        const struct tab_cell *c = cell_at(row, t->col_of[t->counts[k]]);
        if (!c || !no_number(c, &sym))
            return false;
        if (!strchr(seen, sym) && strlen(seen) < 2)
            seen[strlen(seen)] = sym;
        counts++;
    }
    const char *cs = code->text, *es;
    size_t clen = code->len, elen;
    trim(&cs, &clen);
    const struct tally_authority *a = tally_registry_find(reg, cs, clen);
    int ei = s->role[TALLY_ROLE_PERIOD_END];
    const struct tab_cell *end = cell_at(row, t->end_col);
    if (end)
        es = end->text, elen = end->len;
    else if (ei >= 0 && t->col_of[ei] < 0 && s->fields[ei].default_value)
        es = s->fields[ei].default_value, elen = strlen(es);
    else
        return false;
    trim(&es, &elen);
    int64_t day;
    if (!counts || !a || !tally_parse_date(es, elen, &day) || a->valid_to >= day)
        return false;
    const struct tally_authority *heirs[2];
    if (tally_registry_heirs(reg, a, day, heirs, 2) == 1)
        return false;
    char ended[11], only[8];
    tally_format_date(a->valid_to, ended);
    if (seen[1])
        snprintf(only, sizeof only, "%c or %c", seen[0], seen[1]);
    else
        snprintf(only, sizeof only, "%c", seen[0]);
    diag(t, NULL, &row->loc, 0, NULL, NULL, TALLY_SEV_INFO, TALLY_CODE_ABOLISHED_ROW,
         "%s (%s) ended on %s, before this period's end (%.*s), and its counts hold no number "
         "(only %s): not a record; it is not read", a->code, a->name, ended, (int)elen, es, only);
    return true;
}

static char fold(char c)
{
    return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

/* Does the cell read one of the schema's totals labels (with_digit: only
 * those holding a digit)? As reads_one_of, with the lengths known. */
static bool is_label(const struct tab *t, const struct tab_cell *c, bool with_digit)
{
    const struct tally_schema *s = schema_of(t);
    size_t n = with_digit ? t->ndigit_labels : s->ntotals_labels;
    if (!c || !n)
        return false;
    const char *p = c->text;
    size_t len = c->len;
    trim(&p, &len);
    while (len && (p[len - 1] == ':' || p[len - 1] == '.'))
        len--;
    for (size_t k = 0; len && k < n; k++) {
        size_t i = with_digit ? t->digit_labels[k] : k;
        const char *l = s->totals_labels[i];
        if (t->label_len[i] == len && fold(l[0]) == fold(p[0]) &&
            fold(l[len - 1]) == fold(p[len - 1]) && strncasecmp(l, p, len) == 0)
            return true;
    }
    return false;
}

/* A totals row (tabular.h, README): by its label, or by its sums. */
static bool totals_row(struct tab *t, const struct tab_row *row)
{
    const struct tab_cell *code = cell_at(row, t->code_col), *name = cell_at(row, t->name_col);
    const struct tab_cell *first = row->ncells ? &row->cells[0] : NULL, *label = NULL;
    if (has_digit(code)) {
        /* A code with a digit is a totals row only by a label with digits
         * (E92000001): the usual case, an authority's code, costs this. */
        if (is_label(t, code, true))
            label = code;
    } else if (is_label(t, code, false)) {
        label = code;
    } else if (is_label(t, name, false)) {
        label = name;
    } else if (is_label(t, first, false)) {
        label = first;
    }
    if (label) {
        diag(t, NULL, &row->loc, 0, NULL, NULL, TALLY_SEV_WARNING, TALLY_CODE_TOTALS_ROW,
             "a totals row (\"%.*s\"), not an authority's record; it is not read",
             quote_len(label), label->text);
        return true;
    }
    if ((code && !blank_cell(code)) || (name && !blank_cell(name)) || t->summed < 2 ||
        !sums_above(t, row))
        return false;
    diag(t, NULL, &row->loc, 0, NULL, NULL, TALLY_SEV_WARNING, TALLY_CODE_TOTALS_ROW,
         "a totals row (no authority code or name, and every count is the sum of the %llu "
         "records above), not an authority's record; it is not read",
         (unsigned long long)t->summed);
    return true;
}

/* ---- records ----------------------------------------------------------------------------- */

static int make_record(struct tab *t, const struct tab_row *row, struct tally_record **out)
{
    const struct tally_schema *s = schema_of(t);
    bool sheet = t->opt.sheet;
    bool trailing = !sheet && t->r->cfg.clean && !row->broken && row->nseen == t->ncols + 1 &&
                    row->ncells > t->ncols && blank_cell(&row->cells[t->ncols]);
    bool ragged = !sheet && !row->broken && !trailing && row->nseen != t->ncols;
    if (!row->broken && !ragged && !row->errors &&
        (aggregate_row(t, row) || abolished_row(t, row) || totals_row(t, row)))
        return TALLY_OK;

    struct tally_record *rec = &t->rec;
    memset(t->fields, 0, s->nfields * sizeof *t->fields);
    rec->index = ++t->r->records;
    rec->loc = row->loc;
    rec->errors = row->errors;
    rec->warnings = 0;
    rec->inherited = row->broken ? row->broken : t->file_error;
    if (t->file_error)
        rec->errors++;
    for (size_t i = 0; i < t->ncols; i++) {
        int f = t->colmap[i];
        if (f < 0)
            continue;
        if (i < row->ncells) {
            const struct tab_cell *c = &row->cells[i];
            t->fields[f] = (struct tally_field){
                .text = c->text, .len = c->len, .loc = c->loc, .bad = c->bad || ragged,
            };
        } else if (sheet) {     /* a sheet's row ends at its last value: the rest is empty */
            t->fields[f] = (struct tally_field){
                .text = "", .loc = {row->loc.line, (uint32_t)i + 1, 0},
            };
        }
    }
    for (size_t k = 0; k < t->ndefaulted; k++) {
        size_t f = t->defaulted[k];
        t->fields[f] = (struct tally_field){
                .text = s->fields[f].default_value, .len = strlen(s->fields[f].default_value),
                .loc = {row->loc.line, 0, row->loc.offset},
            };
    }
    if (trailing) {
        /* One empty cell more than the header: a trailing delimiter. */
        if (!t->trailing_reported)
            diag(t, rec, &row->extra, rec->index, NULL, NULL, TALLY_SEV_INFO, TALLY_CODE_REPAIRED,
                 "an empty cell after the last column is ignored (a trailing delimiter; not "
                 "reported again for this file)");
        t->trailing_reported = true;
    } else if (ragged) {
        /* One error, and nothing else about the row: its values are in the wrong
         * columns, so each is marked already reported (bad). */
        const struct tally_loc *loc = row->nseen > t->ncols ? &row->extra : &row->end;
        bool wide = row->nseen > t->ncols && t->opt.ragged_hint;
        diag(t, rec, loc, rec->index, NULL, NULL, TALLY_SEV_ERROR, TALLY_CODE_CSV_RAGGED_ROW,
             "the row has %zu fields but the header has %zu%s%s%s", row->nseen, t->ncols,
             wide ? " (" : "", wide ? t->opt.ragged_hint : "", wide ? ")" : "");
        rec->inherited = TALLY_CODE_CSV_RAGGED_ROW;
    } else if (sheet && row->nseen > t->ncols && !t->beyond_reported) {
        /* A sheet's row ends at its last value: this one has a value past the header. */
        diag(t, rec, &row->extra, rec->index, NULL, NULL, TALLY_SEV_WARNING,
             TALLY_CODE_CSV_HEADER_UNKNOWN, "a value in a column without a header is ignored "
             "(not reported again for this sheet)");
        t->beyond_reported = true;
    }
    if (!ragged && !row->broken)
        add_sums(t, row);
    *out = rec;
    return TALLY_RECORD;
}

/* ---- rows held while the header is looked for -------------------------------------------- */

static void drop_held(struct tab *t)
{
    t->nheld = t->held_next = t->held_rows = t->held_bytes = 0;
    t->replaying = false;
    tally_arena_reset(&t->hold);
}

/* Copy a row into the hold. */
static int hold_row(struct tab *t, const struct tab_row *row)
{
    struct tab_held *h = new_held(t);
    struct tab_cell *cells = h ? tally_arena_alloc(&t->hold, (row->ncells + 1) * sizeof *cells) : NULL;
    if (!cells)
        return TALLY_ENOMEM;
    for (size_t i = 0; i < row->ncells; i++) {
        cells[i] = row->cells[i];
        if (!(cells[i].text = tally_arena_strndup(&t->hold, row->cells[i].text, row->cells[i].len)))
            return TALLY_ENOMEM;
        t->held_bytes += row->cells[i].len + sizeof *cells;
    }
    h->row = *row;
    h->row.cells = cells;
    t->held_rows++;
    return TALLY_OK;
}

/* Blank runs held before the header, when no title is reported: a CSV
 * file's are warnings, as in the middle; a sheet's are silent. */
static void held_blanks(struct tab *t, size_t upto)
{
    for (size_t i = 0; i < upto && !t->opt.sheet; i++)
        if (t->held[i].blank) {
            t->blank_at = t->held[i].loc;
            t->blanks = t->held[i].count;
            flush_blanks(t);
        }
}

/* The row at hand is the header: the rows held above it are a title. */
static int header_found(struct tab *t, const struct tab_row *row, struct tally_error *err)
{
    size_t first = 0;
    while (first < t->nheld && t->held[first].blank)
        first++;
    if (first < t->nheld) {
        const struct tab_held *h = &t->held[first];
        const struct tab_cell *c = NULL;
        for (size_t i = 0; i < h->row.ncells && !c; i++)
            if (!blank_cell(&h->row.cells[i]))
                c = &h->row.cells[i];
        struct tally_loc loc = {h->row.loc.line, t->opt.sheet ? 0 : 1, h->row.loc.offset};
        uint32_t last = row->loc.line - 1;
        if (last == loc.line)
            diag(t, NULL, &loc, 0, NULL, NULL, TALLY_SEV_INFO, TALLY_CODE_CSV_TITLE_ROW,
                 "%s %u, above the header, is skipped (a title: \"%.*s%s\")", t->opt.row_word,
                 loc.line, c ? quote_len(c) : 0, c ? c->text : "", quote_more(c));
        else
            diag(t, NULL, &loc, 0, NULL, NULL, TALLY_SEV_INFO, TALLY_CODE_CSV_TITLE_ROW,
                 "%ss %u to %u, above the header, are skipped (a title, starting \"%.*s%s\")",
                 t->opt.row_word, loc.line, last, c ? quote_len(c) : 0, c ? c->text : "",
                 quote_more(c));
    } else {
        held_blanks(t, t->nheld);
    }
    drop_held(t);
    return settle_header(t, row, err);
}

/* No row held is a header: the first one is taken for it, as it always was,
 * and the others are given out as records by tab_held. */
static int header_settled_late(struct tab *t, struct tally_error *err)
{
    size_t first = 0;
    while (first < t->nheld && t->held[first].blank)
        first++;
    held_blanks(t, first);
    if (first == t->nheld)
        return TALLY_OK;
    int rc = settle_header(t, &t->held[first].row, err);
    t->held_next = first + 1;
    t->replaying = true;
    return rc;
}

int tab_row(struct tab *t, const struct tab_row *row, struct tally_record **out,
            struct tally_error *err)
{
    t->nonempty = true;
    if (t->fatal)
        return TALLY_OK;
    if (blank_row(row))
        return tab_blank(t, &row->loc, 1) == TALLY_OK
                   ? TALLY_OK : tally_error_set(err, TALLY_ENOMEM, "out of memory");
    if (!t->header_done) {
        if (!row->broken && tab_is_header(schema_of(t), row->cells, row->ncells))
            return header_found(t, row, err);
        if (hold_row(t, row) != TALLY_OK)
            return tally_error_set(err, TALLY_ENOMEM, "out of memory");
        if (t->held_rows >= TAB_MAX_TITLE_ROWS || t->held_bytes >= TAB_MAX_HOLD_BYTES)
            return header_settled_late(t, err);
        return TALLY_OK;
    }
    flush_blanks(t);
    return make_record(t, row, out);
}

int tab_held(struct tab *t, struct tally_record **out, struct tally_error *err)
{
    if (t->release_hold) {
        t->release_hold = false;
        drop_held(t);
    }
    while (t->replaying && t->held_next < t->nheld && !t->fatal) {
        struct tab_held *h = &t->held[t->held_next++];
        if (h->blank) {
            if (tab_blank(t, &h->loc, h->count) != TALLY_OK)    /* after the header: cannot fail */
                return tally_error_set(err, TALLY_ENOMEM, "out of memory");
            continue;
        }
        flush_blanks(t);
        if (make_record(t, &h->row, out) == TALLY_RECORD) {
            t->release_hold = t->held_next == t->nheld;
            return TALLY_RECORD;
        }
    }
    if (t->replaying)
        drop_held(t);
    return TALLY_DONE;
}

int tab_end(struct tab *t, struct tally_error *err)
{
    if (t->ended)
        return TALLY_OK;
    t->ended = true;
    if (!t->header_done && !t->fatal)
        return header_settled_late(t, err);
    return TALLY_OK;
}

void tab_finish(struct tab *t)
{
    if (t->fatal)
        return;
    if (!t->header_done) {
        diag(t, NULL, NULL, 0, NULL, NULL, TALLY_SEV_ERROR, TALLY_CODE_FORMAT, "%s",
             t->nonempty ? t->opt.msg_only_blank : t->opt.msg_empty);
        return;
    }
    if (t->blanks && !t->opt.sheet) {
        struct tally_loc loc = {t->blank_at.line, 1, t->blank_at.offset};
        if (t->blanks == 1)
            diag(t, NULL, &loc, 0, NULL, NULL, TALLY_SEV_INFO, TALLY_CODE_CSV_BLANK_ROW,
                 "a blank row at the end of the file is ignored");
        else
            diag(t, NULL, &loc, 0, NULL, NULL, TALLY_SEV_INFO, TALLY_CODE_CSV_BLANK_ROW,
                 "%llu blank rows at the end of the file are ignored (lines %u to %llu)",
                 (unsigned long long)t->blanks, loc.line,
                 (unsigned long long)loc.line + t->blanks - 1);
    }
    t->blanks = 0;
    if (t->r->records == 0 && !t->file_error) {
        struct tally_loc loc = {t->header_loc.line, t->opt.sheet ? 0 : 1, t->header_loc.offset};
        diag(t, NULL, &loc, 0, NULL, NULL, TALLY_SEV_WARNING, TALLY_CODE_FORMAT,
             "the %s has a header but no records", t->opt.sheet ? "sheet" : "file");
    }
}
