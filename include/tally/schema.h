/*
 * schema.h — the declarative description of a return: its fields, their
 * types and constraints, where each sits in the nested formats, the primary
 * key, and the consistency rules.
 *
 * Loaded from a JSON file (schemas/missing-from-care.schema.json is the
 * default, compiled into the binary) that follows Frictionless Table Schema
 * where Table Schema has a word for it. A new return type is a new schema
 * file, not new C code.
 */
#ifndef TALLY_SCHEMA_H
#define TALLY_SCHEMA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "tally/diag.h"
#include "tally/status.h"
#include "tally/value.h"

#ifdef __cplusplus
extern "C" {
#endif

struct tally_pattern;   /* a compiled `pattern` constraint (internal) */

struct tally_expr;

/*
 * Where a field sits in a nested shape, parsed from its "json" or "xml" path.
 * JSON "cohorts[].found" → in_record, segs {"found"}; "authority.code" → segs
 * {"authority", "code"}. XML "cohort[]/@type" → in_record, segs {"@type"}.
 * The part before "[]" names the array (JSON) or repeated element (XML) that
 * holds one record each; it is the same for every field (schema.h: records).
 */
struct tally_path {
    bool in_record;         /* inside the repeated record element */
    char **segs;            /* NULL when the field has no place in this shape */
    size_t nsegs;
};

struct tally_field_def {
    char *name;             /* the field's name, also its CSV column name */
    char *title;            /* human title, or NULL */
    char *description;      /* or NULL */
    enum tally_type type;
    bool required;          /* constraints.required */
    bool has_minimum, has_maximum;
    int64_t minimum, maximum;   /* constraints.minimum / maximum (integers) */
    size_t max_length;      /* constraints.maxLength in characters; 0 = none */
    char *pattern;          /* constraints.pattern (POSIX ERE, anchored as written), or NULL */
    struct tally_pattern *regex; /* compiled pattern (core/pattern.h), or NULL */
    char **enum_values;     /* constraints.enum, or NULL */
    size_t n_enum;
    char *symbols;          /* statistical symbols allowed, e.g. "xcz"; NULL for none */
    char *json_path;        /* place in the nested JSON shape, e.g. "cohorts[].found" */
    char *xml_path;         /* place in the XML shape, e.g. "cohort[]/found" or "cohort[]/@type" */
    struct tally_path json; /* json_path, parsed */
    struct tally_path xml;  /* xml_path, parsed */
    char **aliases;         /* other column names for the field ("LA code"), or NULL */
    size_t naliases;
    char *default_value;    /* "default": the value of a record whose file has no
                               column for the field (CSV, spreadsheets), or NULL */
};

enum tally_role {           /* fields the validator and build treat specially */
    TALLY_ROLE_AUTHORITY_CODE = 0,
    TALLY_ROLE_AUTHORITY_NAME,
    TALLY_ROLE_PERIOD_START,
    TALLY_ROLE_PERIOD_END,
    TALLY_ROLE_SUBMITTED,
    TALLY_ROLE_COHORT,
    TALLY_ROLE_COUNT
};

struct tally_rule {
    char *id;               /* stable id, used as the diagnostic code */
    enum tally_severity severity;
    char *assert_src;       /* the expression as written */
    char *message;          /* template; {field} quotes a field's value */
    struct tally_expr *expr;    /* compiled assertion */
};

/* --clean: other spellings of a symbol or of a field's value (schema "cleaning"). */
struct tally_spelling {
    int field;              /* field index, or -1 for a symbol of any count */
    char *spelling;         /* as written in returns, matched ignoring ASCII case */
    char *canonical;        /* the symbol ("x") or the field's value ("uasc") */
};

/* --clean: a missing field derived from two others: field = total - minus. */
struct tally_derivation {
    size_t field, total, minus;
};

/* A percentage column of the national dataset: 100 × numerator / denominator. */
struct tally_ratio {
    char *name;             /* column name, e.g. "went_missing_pct" */
    size_t numerator;       /* field indexes (integer fields) */
    size_t denominator;
};

/*
 * Disclosure control of the national dataset (dataset.disclosure; doc/dataset-format.md §4):
 * which counts are protected, the range of values suppressed (inclusive), and
 * the symbol published in their place. Defaults when the schema says nothing:
 * every integer field, 1 to 5, "c".
 */
struct tally_disclosure_policy {
    bool *protect;          /* per schema field: a protected count */
    int64_t minimum, maximum;   /* values suppressed: minimum..maximum (0 is published) */
    char *symbol;           /* e.g. "c"; one of the protected fields' symbols */
};

/* One indicator of the EES data file (dataset.ees.indicators[]). */
struct tally_ees_indicator {
    char *column;           /* a dataset column: a count, a ratio, authorities_reporting
                               or authorities_expected */
    char *name;             /* EES column name, snake_case with its unit: in_care_count */
    char *label;            /* what EES users see */
    char *grouping;         /* indicator_grouping, or "" */
    char *unit;             /* "", "%", "pp", "£", "£m" or "numberstring" */
    int dp;                 /* indicator_dp */
};

/* DfE's explore-education-statistics open data format (dataset.ees). */
struct tally_ees_spec {
    bool present;           /* the schema has an "ees" section */
    int filter_field;       /* the field that is EES's filter (the cohort), or -1 */
    char *filter_name;      /* its column name in the EES file */
    char *filter_label, *filter_hint;
    char **item_values;     /* the field's values ... */
    char **item_labels;     /* ... and the filter items EES shows for them */
    size_t nitems;
    size_t default_item;    /* index of filter_default */
    struct tally_ees_indicator *indicators;
    size_t nindicators;
};

struct tally_schema {
    char *name;             /* e.g. "missing-from-care" */
    char *title;
    char *version;          /* e.g. "1.0.0" */
    struct tally_field_def *fields;
    size_t nfields;
    size_t *primary_key;    /* field indexes */
    size_t npk;
    char **missing_values;  /* texts read as missing (Table Schema missingValues) */
    size_t nmissing;
    struct tally_rule *rules;
    size_t nrules;
    int role[TALLY_ROLE_COUNT];  /* field index of each role, or -1 */
    char *json_records;     /* the JSON array holding records ("cohorts"), or NULL */
    char *xml_records;      /* the XML element holding one record ("cohort"), or NULL */
    char *xml_root;         /* the XML root holding submissions ("returns"), or NULL */
    char *xml_submission;   /* the XML submission element ("return"), or NULL */
    struct tally_ratio *ratios; /* dataset.ratios */
    size_t nratios;
    struct tally_spelling *spellings;   /* cleaning.symbols and cleaning.values */
    size_t nspellings;
    struct tally_derivation *derivations; /* cleaning.derive */
    size_t nderivations;
    /* "rows": rows of a table (CSV, spreadsheet) that are not records. */
    char **totals_labels;   /* rows.totals: a row whose code or name reads one of
                               these ("Total", "England") is a totals row */
    size_t ntotals_labels;
    int aggregate_field;    /* rows.aggregates.field: its index, or -1 */
    char **aggregate_values;/* rows.aggregates.values: a row whose aggregate_field
                               reads one of these ("National") is an aggregate */
    size_t naggregate_values;
    struct tally_disclosure_policy disclosure;  /* dataset.disclosure, or the defaults */
    struct tally_ees_spec ees;                  /* dataset.ees */
};

/*
 * Load a schema from JSON text (len bytes; need not be NUL-terminated).
 * Returns NULL on failure with err->message naming the problem, e.g.
 * "rules[2] (\"found-le\"): assert: unknown field \"fund\" at column 1".
 * Caller frees with tally_schema_free.
 */
struct tally_schema *tally_schema_load(const char *json, size_t len, struct tally_error *err);

/* Load the default schema compiled into the library. */
struct tally_schema *tally_schema_load_default(struct tally_error *err);

void tally_schema_free(struct tally_schema *schema);

/* The schema as a Frictionless Table Schema, or as a JSON Schema (2020-12) of
 * the nested JSON shape, written to out. TALLY_EIO when out fails. */
int tally_schema_export_table_schema(const struct tally_schema *schema, FILE *out,
                                     struct tally_error *err);
int tally_schema_export_json_schema(const struct tally_schema *schema, FILE *out,
                                    struct tally_error *err);

/* Index of the field called name (exact, len bytes), or -1. */
int tally_schema_field_index(const struct tally_schema *schema, const char *name, size_t len);

/* Index of the field whose name matches case-insensitively after trimming
 * spaces (doc/return-format.md §2), or -1. */
int tally_schema_match_column(const struct tally_schema *schema, const char *name, size_t len);

/*
 * The field a column header names, or -1: its name as tally_schema_match_column
 * reads it (*exact set true), or else — *exact false — its name or one of its
 * aliases once case, spaces, underscores and hyphens are ignored on both sides
 * ("Authority Code", "LA code"). The schema loader refuses two fields that
 * would both match one header, so the answer is never a choice.
 */
int tally_schema_match_header(const struct tally_schema *schema, const char *name, size_t len,
                              bool *exact);

/*
 * Write the form headers are compared in: ASCII letters lower-cased, spaces,
 * tabs, no-break spaces, '_' and '-' left out. At most outlen-1 bytes plus
 * NUL; returns the length needed.
 */
size_t tally_header_normalise(const char *name, size_t len, char *out, size_t outlen);

#ifdef __cplusplus
}
#endif

#endif
