/*
 * check_schema.c — loading the shipped schema, and every kind of broken
 * schema with its exact message.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "suites.h"
#include "tally/schema.h"

START_TEST(test_default_schema)
{
    struct tally_error err;
    struct tally_schema *s = tally_schema_load_default(&err);
    ck_assert_ptr_nonnull(s);
    ck_assert_str_eq(s->name, "missing-from-care");
    ck_assert_uint_eq(s->nfields, 11);
    static const char *const order[] = {"authority_code", "authority_name", "period_start",
                                        "period_end", "submitted", "cohort", "in_care",
                                        "went_missing", "missing_incidents", "found", "not_found"};
    for (size_t i = 0; i < 11; i++)
        ck_assert_str_eq(s->fields[i].name, order[i]);
    ck_assert_uint_eq(s->nrules, 9);
    ck_assert_str_eq(s->rules[0].id, "period-order");
    ck_assert_str_eq(s->rules[8].id, "incidents-plausible");
    ck_assert_int_eq(s->rules[1].severity, TALLY_SEV_WARNING);
    ck_assert_uint_eq(s->npk, 4);
    ck_assert_uint_eq(s->primary_key[3], 5);
    ck_assert_int_eq(s->role[TALLY_ROLE_PERIOD_END], 3);
    const struct tally_field_def *f = &s->fields[6];
    ck_assert(f->required && f->has_minimum && f->has_maximum);
    ck_assert_int_eq(f->maximum, 1000000);
    ck_assert_str_eq(f->symbols, "xcz");
    ck_assert_str_eq(f->json_path, "cohorts[].in_care");
    /* Nested paths, parsed. */
    ck_assert_str_eq(s->json_records, "cohorts");
    ck_assert_str_eq(s->xml_records, "cohort");
    ck_assert_str_eq(s->xml_root, "returns");
    ck_assert_str_eq(s->xml_submission, "return");
    ck_assert(f->json.in_record && f->xml.in_record);
    ck_assert_uint_eq(f->json.nsegs, 1);
    ck_assert_str_eq(f->json.segs[0], "in_care");
    ck_assert(!s->fields[0].json.in_record);
    ck_assert_uint_eq(s->fields[0].json.nsegs, 2);
    ck_assert_str_eq(s->fields[0].json.segs[0], "authority");
    ck_assert_str_eq(s->fields[0].xml.segs[1], "code");
    ck_assert_str_eq(s->fields[5].xml.segs[0], "@type");
    ck_assert_str_eq(s->fields[5].json.segs[0], "cohort");
    ck_assert_int_eq(tally_schema_match_column(s, " In_Care ", 9), 6);
    ck_assert_int_eq(tally_schema_match_column(s, "in_car", 6), -1);
    ck_assert_int_eq(tally_schema_field_index(s, "In_care", 7), -1);
    tally_schema_free(s);
}
END_TEST

/* Load text; expect failure with exactly `want`. */
static void broken(const char *text, const char *want)
{
    struct tally_error err = {0};
    struct tally_schema *s = tally_schema_load(text, strlen(text), &err);
    ck_assert_msg(s == NULL, "schema accepted: %s", text);
    ck_assert_int_eq(err.status, TALLY_ESCHEMA);
    ck_assert_str_eq(err.message, want);
}

#define F1 "{\"name\":\"n\",\"type\":\"integer\"}"

START_TEST(test_broken_schemas)
{
    broken("", "not valid JSON near line 1, column 1");
    broken("{\n  \"fields\": [,]\n}", "not valid JSON near line 2, column 14");
    /* lines as every reader counts them (core/textpos.h): a lone CR and CR LF
     * end one line each; a two-byte character is one column */
    broken("{\r  \"fields\": [,]\r}", "not valid JSON near line 2, column 14");
    broken("{\r\n\r\n  \"fields\": [,]\r\n}", "not valid JSON near line 3, column 14");
    broken("{\"n\":\"\xC3\xA9\",\"fields\": [,]}", "not valid JSON near line 1, column 21");
    broken("[]", "the schema must be a JSON object");
    broken("{\"fields\": []}", "the schema needs a non-empty \"fields\" array");
    broken("{\"feilds\": []}", "schema: unknown key \"feilds\"");
    broken("{\"fields\": [{\"type\":\"integer\"}]}", "fields[0]: a field needs a \"name\"");
    broken("{\"fields\": [{\"name\":\"n\",\"type\":\"count\"}]}",
           "fields[0] (\"n\"): unknown type \"count\" (expected string, integer, date or datetime)");
    broken("{\"fields\": [" F1 "," F1 "]}", "fields[1] (\"n\"): a field of that name already exists");
    broken("{\"fields\": [{\"name\":\"n\",\"type\":\"integer\",\"constraints\":{\"maximun\":3}}]}",
           "fields[0] (\"n\"): constraints: unknown key \"maximun\"");
    broken("{\"fields\": [{\"name\":\"n\",\"type\":\"integer\",\"constraints\":{\"minimum\":5,\"maximum\":3}}]}",
           "fields[0] (\"n\"): constraints: minimum is greater than maximum");
    broken("{\"fields\": [{\"name\":\"s\",\"constraints\":{\"pattern\":\"[a-\"}}]}",
           "fields[0] (\"s\"): constraints: pattern \"[a-\": missing terminating ] for character class at offset 3");
    broken("{\"fields\": [{\"name\":\"s\",\"symbols\":[\"x\"]}]}",
           "fields[0] (\"s\"): symbols are only for integer fields");
    broken("{\"fields\": [" F1 "], \"primaryKey\": [\"m\"]}", "primaryKey: unknown field \"m\"");
    broken("{\"fields\": [" F1 "], \"roles\": {\"period_end\": \"n\"}}",
           "roles: period_end: field \"n\" has the wrong type");
    broken("{\"fields\": [" F1 "], \"rules\": [{\"id\":\"r\",\"assert\":\"m > 0\",\"message\":\"x\"}]}",
           "rules[0] (\"r\"): assert: unknown field \"m\" at column 1");
    broken("{\"fields\": [" F1 "], \"rules\": [{\"id\":\"r\",\"assert\":\"n > 0\",\"message\":\"{m}\"}]}",
           "rules[0] (\"r\"): message: unknown field \"m\"");
    broken("{\"fields\": [" F1 "], \"rules\": [{\"id\":\"r\",\"severity\":\"fatal\",\"assert\":\"n > 0\","
           "\"message\":\"x\"}]}", "rules[0] (\"r\"): severity \"fatal\" is not error or warning");
    broken("{\"fields\": [" F1 "], \"rules\": [{\"id\":\"r\",\"assert\":\"n > 0\"}]}",
           "rules[0] (\"r\"): a rule needs a \"message\" string");
    broken("{\"fields\": [" F1 "], \"rules\": [{\"id\":\"r\",\"assert\":\"n > 0\",\"message\":\"a\"},"
           "{\"id\":\"r\",\"assert\":\"n > 1\",\"message\":\"b\"}]}",
           "rules[1] (\"r\"): a rule with that id already exists");
    broken("{\"fields\": [{\"name\":\"a\",\"json\":\"x[].a\"},{\"name\":\"b\",\"json\":\"y[].b\"}]}",
           "fields[1] (\"b\"): json: \"y[].b\": every record field must be in the same array (\"x[]\")");
    broken("{\"fields\": [{\"name\":\"a\",\"json\":\"x..a\"}]}",
           "fields[0] (\"a\"): json: \"x..a\" is not a valid path");
    broken("{\"fields\": [{\"name\":\"a\",\"xml\":\"r/@t/u\"}]}",
           "fields[0] (\"a\"): xml: \"r/@t/u\" is not a valid path");
    broken("{\"fields\": [{\"name\":\"a\",\"xml\":\"r/c[]/u\"}]}",
           "fields[0] (\"a\"): xml: \"r/c[]/u\": only the first part of a path may be an array, and it needs a field after it");
}
END_TEST

START_TEST(test_extra_rule_from_file)
{
    /* The shipped schema plus one rule, loaded from text: no rebuild needed. */
    FILE *f = fopen("schemas/missing-from-care.schema.json", "rb");
    ck_assert_ptr_nonnull(f);
    char *text = calloc(1, 65536);
    size_t n = fread(text, 1, 65535, f);
    fclose(f);
    char *rules = strstr(text, "\"rules\": [");
    ck_assert_ptr_nonnull(rules);
    static const char extra[] = "{\"id\": \"in-care-cap\", \"severity\": \"error\", "
                                "\"assert\": \"in_care <= 500\", \"message\": \"too many\"},";
    size_t at = (size_t)(rules - text) + strlen("\"rules\": [");
    memmove(text + at + strlen(extra), text + at, n - at + 1);
    memcpy(text + at, extra, strlen(extra));
    struct tally_error err;
    struct tally_schema *s = tally_schema_load(text, strlen(text), &err);
    ck_assert_ptr_nonnull(s);
    ck_assert_uint_eq(s->nrules, 10);
    ck_assert_str_eq(s->rules[0].id, "in-care-cap");
    tally_schema_free(s);
    free(text);
}
END_TEST

START_TEST(test_export_with_clashing_paths)
{
    /* Found by fuzz_schema: "x" a value and "x.y" under it. The export leaves
     * the clashing field out instead of crashing. */
    static const char text[] = "{\"fields\": [{\"name\":\"a\",\"json\":\"x\"},"
                               "{\"name\":\"b\",\"json\":\"x.y\",\"constraints\":{\"required\":true}}]}";
    struct tally_error err;
    struct tally_schema *s = tally_schema_load(text, strlen(text), &err);
    ck_assert_ptr_nonnull(s);
    FILE *out = tmpfile();
    ck_assert_int_eq(tally_schema_export_json_schema(s, out, &err), TALLY_OK);
    ck_assert_int_eq(tally_schema_export_table_schema(s, out, &err), TALLY_OK);
    ck_assert_int_gt(ftell(out), 0);
    fclose(out);
    tally_schema_free(s);
}
END_TEST

START_TEST(test_headers_and_aliases)
{
    struct tally_error err;
    struct tally_schema *s = tally_schema_load_default(&err);
    bool exact;
    ck_assert_int_eq(tally_schema_match_header(s, " In_Care ", 9, &exact), 6);
    ck_assert(exact);
    ck_assert_int_eq(tally_schema_match_header(s, "In Care", 7, &exact), 6);
    ck_assert(!exact);
    ck_assert_int_eq(tally_schema_match_header(s, "AUTHORITY-CODE", 14, &exact), 0);
    ck_assert_int_eq(tally_schema_match_header(s, "la\xc2\xa0" "code", 8, &exact), 0);   /* a no-break space */
    ck_assert_int_eq(tally_schema_match_header(s, "Number of children looked after", 31, &exact), 6);
    ck_assert_int_eq(tally_schema_match_header(s, "in_car", 6, &exact), -1);
    ck_assert_int_eq(tally_schema_match_header(s, " - _ ", 5, &exact), -1);
    char norm[32];
    ck_assert_uint_eq(tally_header_normalise("LA Code-2", 9, norm, sizeof norm), 7);
    ck_assert_str_eq(norm, "lacode2");
    tally_schema_free(s);
}
END_TEST

START_TEST(test_broken_aliases_defaults_rows)
{
    broken("{\"fields\": [{\"name\": \"a\", \"aliases\": [\"B c\"]}, {\"name\": \"b_c\"}]}",
           "fields[0] (\"a\"): \"B c\" and \"b_c\" of field \"b_c\" would name the same column");
    broken("{\"fields\": [{\"name\": \"a\", \"aliases\": [\" - \"]}]}",
           "fields[0] (\"a\"): aliases: an alias needs a letter or digit");
    broken("{\"fields\": [{\"name\": \"d\", \"type\": \"date\", \"default\": \"2015-09-31\"}]}",
           "fields[0] (\"d\"): default must be a string holding a valid value of the field");
    broken("{\"fields\": [{\"name\": \"c\", \"constraints\": {\"enum\": [\"x\"]}, \"default\": \"y\"}]}",
           "fields[0] (\"c\"): default must be a string holding a valid value of the field");
    broken("{\"fields\": [{\"name\": \"n\", \"type\": \"integer\"}], \"rows\": {\"aggregates\": "
           "{\"field\": \"n\", \"values\": [\"x\"]}}}",
           "rows: aggregates: field must name a string field");
    broken("{\"fields\": [{\"name\": \"a\"}], \"rows\": {\"subtotals\": []}}",
           "rows: unknown key \"subtotals\"");
}
END_TEST

Suite *schema_suite(void)
{
    Suite *s = suite_create("schema");
    TCase *tc = tcase_create("load");
    tcase_add_test(tc, test_default_schema);
    tcase_add_test(tc, test_broken_schemas);
    tcase_add_test(tc, test_extra_rule_from_file);
    tcase_add_test(tc, test_export_with_clashing_paths);
    tcase_add_test(tc, test_headers_and_aliases);
    tcase_add_test(tc, test_broken_aliases_defaults_rows);
    suite_add_tcase(s, tc);
    return s;
}
