/*
 * diag.h — diagnostics: what is wrong with the data, and where.
 *
 * Readers and the validator never print: they hand each diagnostic to a sink,
 * a function the caller supplies, the moment it is found (so diagnostics are
 * streamed, never held). The sink copies what it keeps: every pointer in a
 * struct tally_diag is borrowed for the duration of the call only.
 */
#ifndef TALLY_DIAG_H
#define TALLY_DIAG_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

enum tally_severity {
    TALLY_SEV_ERROR = 0,    /* the record (or file) cannot be accepted */
    TALLY_SEV_WARNING = 1,  /* suspicious, but accepted */
    TALLY_SEV_INFO = 2      /* for the record: a repair, a duplicate, coverage */
};

/* The built-in diagnostic codes of doc/diagnostics.md. A rule's code is its id. */
#define TALLY_CODE_IO                   "io"
#define TALLY_CODE_ENCODING             "encoding"
#define TALLY_CODE_FORMAT               "format"
#define TALLY_CODE_LIMIT                "limit"
#define TALLY_CODE_CSV_SYNTAX           "csv-syntax"
#define TALLY_CODE_CSV_HEADER_MISSING   "csv-header-missing"
#define TALLY_CODE_CSV_HEADER_DUPLICATE "csv-header-duplicate"
#define TALLY_CODE_CSV_HEADER_UNKNOWN   "csv-header-unknown"
#define TALLY_CODE_CSV_RAGGED_ROW       "csv-ragged-row"
#define TALLY_CODE_CSV_BLANK_ROW        "csv-blank-row"
#define TALLY_CODE_CSV_HEADER_ALIAS     "csv-header-alias"
#define TALLY_CODE_CSV_TITLE_ROW        "csv-title-row"
#define TALLY_CODE_CSV_DELIMITER        "csv-delimiter"
#define TALLY_CODE_FIELD_DEFAULT        "field-default"
#define TALLY_CODE_TOTALS_ROW           "totals-row"
#define TALLY_CODE_AGGREGATE_ROW        "aggregate-row"
#define TALLY_CODE_ABOLISHED_ROW        "abolished-row"
#define TALLY_CODE_REQUIRED             "required"
#define TALLY_CODE_TYPE                 "type"
#define TALLY_CODE_CONSTRAINT           "constraint"
#define TALLY_CODE_AUTHORITY_UNKNOWN    "authority-unknown"
#define TALLY_CODE_AUTHORITY_NOT_VALID  "authority-not-valid"
#define TALLY_CODE_AUTHORITY_NAME       "authority-name"
#define TALLY_CODE_PERIOD_UNEXPECTED    "period-unexpected"
#define TALLY_CODE_DUPLICATE            "duplicate"
#define TALLY_CODE_SUPERSEDED           "superseded"
#define TALLY_CODE_CONFLICT             "conflict"
#define TALLY_CODE_DATETIME_NO_OFFSET   "datetime-no-offset"
#define TALLY_CODE_JSON_SYNTAX          "json-syntax"
#define TALLY_CODE_JSON_SHAPE           "json-shape"
#define TALLY_CODE_JSON_DEPTH           "json-depth"
#define TALLY_CODE_XML_SYNTAX           "xml-syntax"
#define TALLY_CODE_XML_DTD              "xml-dtd"
#define TALLY_CODE_XML_SCHEMA           "xml-schema"
#define TALLY_CODE_CHANGE_OUTLIER       "change-outlier"
#define TALLY_CODE_COVERAGE             "coverage"
#define TALLY_CODE_COVERAGE_LOW         "coverage-low"
#define TALLY_CODE_DISCLOSURE_UNSAFE    "disclosure-unsafe"
#define TALLY_CODE_PUBLISH_PERIOD       "publish-period"
#define TALLY_CODE_REPAIRED             "repaired"
#define TALLY_CODE_POPULATION           "population"

struct tally_diag {
    enum tally_severity severity;
    const char *code;       /* stable code: one of the above or a rule id */
    const char *message;    /* one line, no trailing newline */
    const char *file;       /* input path as given, or NULL */
    uint32_t line;          /* 1-based; 0 when the format or case has none */
    uint32_t column;        /* 1-based character column; 0 when none */
    uint64_t record;        /* 1-based record index in the file; 0 when none */
    const char *field;      /* schema field name, or NULL */
    const char *value;      /* the offending value as text (NUL-terminated), or NULL */
    const char *pointer;    /* JSON Pointer of the value, or NULL */
    const char *xpath;      /* XPath of the value, or NULL */
    const char *cell;       /* spreadsheet cell reference ("Sheet1!C7", "'My sheet'!7:7"
                               for a whole row), or NULL */
};

/* Where diagnostics go. emit must not fail; it copies what it keeps. */
struct tally_diag_sink {
    void (*emit)(void *ctx, const struct tally_diag *diag);
    void *ctx;
};

/* A built-in code with its usual severity and a one-line description. */
struct tally_code_info {
    const char *code;
    enum tally_severity severity;
    const char *description;
};

/* Every built-in code, in a fixed order, ending with a NULL code. */
const struct tally_code_info *tally_codes(void);

/* The lowercase name of a severity: "error", "warning", "info". */
const char *tally_severity_name(enum tally_severity sev);

#ifdef __cplusplus
}
#endif

#endif
