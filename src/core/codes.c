/*
 * codes.c — the built-in diagnostic codes of doc/diagnostics.md and what each means
 * (diag.h). Reports that describe their rules (SARIF) and the manual use it.
 */
#include <stddef.h>

#include "tally/diag.h"

static const struct tally_code_info codes[] = {
    {TALLY_CODE_IO, TALLY_SEV_ERROR, "A file cannot be opened or read."},
    {TALLY_CODE_ENCODING, TALLY_SEV_ERROR, "Bytes that are not UTF-8 text, or a NUL byte."},
    {TALLY_CODE_FORMAT, TALLY_SEV_ERROR, "The file is not a return: empty, or without a header or records."},
    {TALLY_CODE_LIMIT, TALLY_SEV_ERROR, "A value, row or submission beyond tally's limits (64 KiB a value)."},
    {TALLY_CODE_CSV_SYNTAX, TALLY_SEV_ERROR, "Broken CSV quoting."},
    {TALLY_CODE_CSV_HEADER_MISSING, TALLY_SEV_ERROR, "A required column is not in the header."},
    {TALLY_CODE_CSV_HEADER_DUPLICATE, TALLY_SEV_ERROR, "A column appears twice in the header."},
    {TALLY_CODE_CSV_HEADER_UNKNOWN, TALLY_SEV_WARNING, "A column that is not a field of the schema; it is ignored."},
    {TALLY_CODE_CSV_RAGGED_ROW, TALLY_SEV_ERROR, "A row with more or fewer cells than the header."},
    {TALLY_CODE_CSV_BLANK_ROW, TALLY_SEV_WARNING, "A blank row; it is ignored (blank rows at the end of a file are one info)."},
    {TALLY_CODE_CSV_HEADER_ALIAS, TALLY_SEV_INFO, "A column named otherwise than its field (another case or spacing, or an alias the schema lists); it is read as that field."},
    {TALLY_CODE_CSV_TITLE_ROW, TALLY_SEV_INFO, "Rows above the header (a title); they are skipped."},
    {TALLY_CODE_CSV_DELIMITER, TALLY_SEV_INFO, "The delimiter found from the header when it is not a comma (a warning when it can only be suggested)."},
    {TALLY_CODE_FIELD_DEFAULT, TALLY_SEV_INFO, "A field without a column in the file; every record takes the schema's default."},
    {TALLY_CODE_TOTALS_ROW, TALLY_SEV_WARNING, "A totals row (Total, England, a sum of the rows above); it is not a record."},
    {TALLY_CODE_AGGREGATE_ROW, TALLY_SEV_INFO, "A row the schema declares an aggregate (national, regional); it is not a record."},
    {TALLY_CODE_ABOLISHED_ROW, TALLY_SEV_INFO, "A row of an authority no longer in force, holding no number (only x or z); it is not a record."},
    {TALLY_CODE_JSON_SYNTAX, TALLY_SEV_ERROR, "Text that is not valid JSON."},
    {TALLY_CODE_JSON_SHAPE, TALLY_SEV_ERROR, "Valid JSON in an unexpected structure (unknown keys are warnings)."},
    {TALLY_CODE_JSON_DEPTH, TALLY_SEV_ERROR, "JSON nested deeper than 64 levels."},
    {TALLY_CODE_XML_SYNTAX, TALLY_SEV_ERROR, "Text that is not well-formed XML."},
    {TALLY_CODE_XML_DTD, TALLY_SEV_ERROR, "An XML document with a DOCTYPE; DTDs and entities are never processed."},
    {TALLY_CODE_XML_SCHEMA, TALLY_SEV_ERROR, "XML that does not follow the return's XSD (unknown elements and attributes are warnings)."},
    {TALLY_CODE_REQUIRED, TALLY_SEV_ERROR, "A required field is missing or empty."},
    {TALLY_CODE_TYPE, TALLY_SEV_ERROR, "A value that is not of the field's type (a count, a date, ...)."},
    {TALLY_CODE_DATETIME_NO_OFFSET, TALLY_SEV_WARNING, "A date and time without an offset (a case system's local time): known only to within 14 hours, it decides which submission is later only when that is certain."},
    {TALLY_CODE_CONSTRAINT, TALLY_SEV_ERROR, "A value outside the field's constraints (range, pattern, list)."},
    {TALLY_CODE_AUTHORITY_UNKNOWN, TALLY_SEV_ERROR, "An authority code that is not in the registry."},
    {TALLY_CODE_AUTHORITY_NOT_VALID, TALLY_SEV_ERROR, "An authority not in force on the period's last day."},
    {TALLY_CODE_AUTHORITY_NAME, TALLY_SEV_WARNING, "A name that differs from the registry's; the registry's is used."},
    {TALLY_CODE_PERIOD_UNEXPECTED, TALLY_SEV_ERROR, "A period other than the one every return must cover."},
    {TALLY_CODE_DUPLICATE, TALLY_SEV_INFO, "An identical record seen again; it is kept once."},
    {TALLY_CODE_SUPERSEDED, TALLY_SEV_WARNING, "An older submission replaced by a newer one."},
    {TALLY_CODE_CONFLICT, TALLY_SEV_ERROR, "The same key with different values and no way to choose."},
    {TALLY_CODE_CHANGE_OUTLIER, TALLY_SEV_WARNING, "A count that changed a lot since the previous dataset."},
    {TALLY_CODE_COVERAGE, TALLY_SEV_INFO, "An authority in force that sent nothing."},
    {TALLY_CODE_COVERAGE_LOW, TALLY_SEV_WARNING, "A period for which fewer than half the authorities in force sent an accepted return: its totals stand on few of them."},
    {TALLY_CODE_DISCLOSURE_UNSAFE, TALLY_SEV_ERROR, "tally build --disclosure: a suppressed cell that the published figures narrow down to an interval narrower than the suppressed range; nothing is published."},
    {TALLY_CODE_PUBLISH_PERIOD, TALLY_SEV_ERROR, "tally build --publish ees: a period EES cannot name, or periods it cannot hold in one file; nothing is published."},
    {TALLY_CODE_REPAIRED, TALLY_SEV_INFO, "A value repaired by --clean."},
    {TALLY_CODE_POPULATION, TALLY_SEV_WARNING, "tally build --population: areas with rows but no population for the period's end year; their rates per 10,000 are x."},
    {NULL, TALLY_SEV_ERROR, NULL},
};

const struct tally_code_info *tally_codes(void)
{
    return codes;
}
