/*
 * check_json.c — the JSON and NDJSON readers: shapes, JSON Pointers, lines
 * and columns of values, and every JSON diagnostic with its location.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <unistd.h>

#include "readers/readers.h"
#include "suites.h"
#include "tally/status.h"
#include "testutil.h"

#define SUB(code, cohorts)                                                             \
    "{\"authority\": {\"code\": \"" code "\"}, \"period\": {\"start\": \"2014-10-01\", " \
    "\"end\": \"2015-09-30\"}, \"cohorts\": [" cohorts "]}"
#define COHORT "{\"cohort\": \"uasc\", \"in_care\": 5, \"went_missing\": 1, " \
               "\"missing_incidents\": 1, \"found\": 1, \"not_found\": 0}"

START_TEST(test_spec_example)
{
    struct collected c;
    collect_str("json",
                "{\n"
                "  \"authority\": {\"code\": \"E10000021\", \"name\": \"Northamptonshire\"},\n"
                "  \"period\": {\"start\": \"2014-10-01\", \"end\": \"2015-09-30\"},\n"
                "  \"submitted\": \"2015-11-02T10:00:00Z\",\n"
                "  \"cohorts\": [\n"
                "    {\"cohort\": \"trafficked\", \"in_care\": 42, \"went_missing\": 15, "
                "\"missing_incidents\": 41, \"found\": 12, \"not_found\": 3},\n"
                "    {\"cohort\": \"uasc\", \"in_care\": 38, \"went_missing\": \"c\", "
                "\"missing_incidents\": \"c\", \"found\": \"c\", \"not_found\": \"c\"}\n"
                "  ]\n"
                "}\n", true, &c);
    ck_assert_int_eq(c.status, TALLY_DONE);
    ck_assert_uint_eq(c.ndiags, 0);
    ck_assert_uint_eq(c.nrecords, 2);
    ck_assert_str_eq(c.records[0],
                     "6:5|authority_code=E10000021@2:25 /authority/code"
                     "|authority_name=Northamptonshire@2:46 /authority/name"
                     "|period_start=2014-10-01@3:23 /period/start|period_end=2015-09-30@3:44 /period/end"
                     "|submitted=2015-11-02T10:00:00Z@4:16 /submitted"
                     "|cohort=trafficked@6:16 /cohorts/0/cohort|in_care=42@6:41 /cohorts/0/in_care"
                     "|went_missing=15@6:61 /cohorts/0/went_missing"
                     "|missing_incidents=41@6:86 /cohorts/0/missing_incidents"
                     "|found=12@6:99 /cohorts/0/found|not_found=3@6:116 /cohorts/0/not_found");
    ck_assert_ptr_nonnull(strstr(c.records[1], "|went_missing=c@7:55 /cohorts/1/went_missing|"));
    collected_free(&c);
}
END_TEST

START_TEST(test_array_of_submissions_and_flat_records)
{
    struct collected c;
    collect_str("json", "[" SUB("E10000021", COHORT) ",\n"
                "{\"authority_code\": \"E10000016\", \"period_start\": \"2014-10-01\", "
                "\"period_end\": \"2015-09-30\", \"cohort\": \"uasc\", \"in_care\": \"5\", "
                "\"went_missing\": 1, \"missing_incidents\": 1, \"found\": 1, \"not_found\": 7}]",
                true, &c);
    ck_assert_uint_eq(c.nrecords, 2);
    ck_assert_ptr_nonnull(strstr(c.records[0], "|authority_code=E10000021@1:25 /0/authority/code|"));
    ck_assert_ptr_nonnull(strstr(c.records[0], "|in_care=5@1:137 /0/cohorts/0/in_care|"));
    ck_assert_ptr_nonnull(strstr(c.records[1], "|authority_code=E10000016@2:20 /1/authority_code|"));
    ck_assert_ptr_nonnull(strstr(c.records[1], "|in_care=5@2:120 /1/in_care|"));
    ck_assert_uint_eq(c.ndiags, 2);
    ck_assert_str_eq(c.diags[0], "2:193 error[not-found-le-went-missing] not_found (7) exceeds "
                     "went_missing (1) for cohort uasc @/1/not_found");
    ck_assert_str_eq(c.diags[1], "2:177 error[found-plus-not-found] found (1) + not_found (7) is "
                     "not went_missing (1) for cohort uasc @/1/found");
    collected_free(&c);
}
END_TEST

START_TEST(test_ndjson_lines)
{
    struct collected c;
    collect_str("ndjson", SUB("E10000021", COHORT "," COHORT) "\n\n"
                "{\"authority_code\": \"E99999999\", \"period_start\": \"2014-10-01\", "
                "\"period_end\": \"2015-09-30\", \"cohort\": \"uasc\", \"in_care\": 1, "
                "\"went_missing\": 0, \"missing_incidents\": 0, \"found\": 0, \"not_found\": 0}\n",
                true, &c);
    ck_assert_uint_eq(c.nrecords, 3);
    ck_assert_uint_eq(c.ndiags, 2);
    /* Repeated keys are settled after the last record (settle.h). */
    ck_assert_str_eq(c.diags[0], "3:20 error[authority-unknown] E99999999 is not an authority "
                     "code in the registry @/authority_code");
    ck_assert_str_eq(c.diags[1], "1:210 info[duplicate] the record for E10000021, 2014-10-01, "
                     "2015-09-30, uasc is identical to the one at FILE:1; it is kept once "
                     "@/cohorts/1");
    collected_free(&c);
}
END_TEST

START_TEST(test_count_types)
{
    struct collected c;
    collect_str("json", SUB("E10000021", "{\"cohort\": \"uasc\", \"in_care\": 12.5, "
                "\"went_missing\": true, \"missing_incidents\": -1, \"found\": null, "
                "\"not_found\": [], \"x\": 1}"), true, &c);
    ck_assert_uint_eq(c.nrecords, 1);
    ck_assert_uint_eq(c.ndiags, 6);
    ck_assert_str_eq(c.diags[0], "1:221 warning[json-shape] unknown key \"x\" is ignored @/cohorts/0/x");
    ck_assert_str_eq(c.diags[1], "1:158 error[type] went_missing must be a whole number or a "
                     "string holding a count, not true @/cohorts/0/went_missing");
    ck_assert_str_eq(c.diags[2], "1:217 error[type] not_found must be a whole number or a string "
                     "holding a count, not an array @/cohorts/0/not_found");
    ck_assert_str_eq(c.diags[3], "1:136 error[type] in_care must be a whole number or one of x, c "
                     "or z, not \"12.5\" @/cohorts/0/in_care");
    ck_assert_str_eq(c.diags[4], "1:185 error[type] missing_incidents must be a whole number or "
                     "one of x, c or z, not \"-1\" @/cohorts/0/missing_incidents");
    ck_assert_str_eq(c.diags[5], "1:198 error[required] found is required but absent @/cohorts/0/found");
    collected_free(&c);
}
END_TEST

START_TEST(test_syntax_and_shape_errors)
{
    struct collected c;
    /* A missing comma inside the second element: a structural error. That
     * element is one rejected record, and the rest of the file is not read
     * (the third element is never guessed at). */
    collect_str("json", "[" SUB("E10000021", COHORT) ",\n"
                "{\"authority\": {\"code\": \"E10000016\"} \"period\": 1},\n"
                SUB("E10000016", COHORT) "]", true, &c);
    ck_assert_uint_eq(c.nrecords, 2);
    ck_assert_uint_eq(c.ndiags, 1);
    ck_assert_str_eq(c.diags[0], "2:37 error[json-syntax] expected \",\" or \"}\" after a member, "
                     "found a string; the rest of the file is not read @/1");
    collected_free(&c);

    collect_str("json", "{\"authority\": {\"code\": \"E10000021\"}, \"cohorts\": {}}", true, &c);
    ck_assert_uint_eq(c.nrecords, 1);
    ck_assert_str_eq(c.diags[0], "1:49 error[json-shape] \"cohorts\" must be a non-empty array of "
                     "cohorts objects @/cohorts");
    collected_free(&c);

    collect_str("json", "{\"authority\": \"Kent\", \"cohorts\": [3]}", true, &c);
    ck_assert_uint_eq(c.nrecords, 1);
    ck_assert_uint_eq(c.ndiags, 2);
    ck_assert_str_eq(c.diags[0], "1:15 error[json-shape] expected an object at /authority "
                     "@/authority");
    ck_assert_str_eq(c.diags[1], "1:35 error[json-shape] each element of \"cohorts\" must be an "
                     "object, not a number @/cohorts/0");
    collected_free(&c);

    /* Valid JSON of the wrong shape: json-shape for that element alone. */
    collect_str("json", "[1, " SUB("E10000016", COHORT) "]", true, &c);
    ck_assert_uint_eq(c.nrecords, 2);
    ck_assert_uint_eq(c.ndiags, 1);
    ck_assert_str_eq(c.diags[0], "1:2 error[json-shape] expected a submission object or a flat "
                     "record object, found a number @/0");
    collected_free(&c);

    collect_str("json", "{\"found\": 1, \"found\": 2}", true, &c);
    ck_assert_str_eq(c.diags[0], "1:14 error[json-shape] key \"found\" appears twice in the same "
                     "object @/found");
    collected_free(&c);
}
END_TEST

START_TEST(test_depth)
{
    char text[400];
    size_t o = 0;
    text[o++] = '[';
    for (int i = 0; i < 70; i++)
        text[o++] = '[';
    for (int i = 0; i < 70; i++)
        text[o++] = ']';
    text[o++] = ']';
    text[o] = '\0';
    struct collected c;
    collect_str("json", text, true, &c);
    ck_assert_uint_eq(c.nrecords, 1);
    ck_assert_str_eq(c.diags[0], "1:65 error[json-depth] JSON nested deeper than 64 levels @/0");
    collected_free(&c);
}
END_TEST

START_TEST(test_files_that_are_not_returns)
{
    struct collected c;
    collect_str("json", "", true, &c);
    ck_assert_str_eq(c.diags[0], "0:0 error[format] the file is empty: a JSON return needs at "
                     "least one submission");
    collected_free(&c);
    /* A blank file: no line either (the property test found 1:1, then a line
     * past the end). */
    collect_str("json", "\n\n  ", true, &c);
    ck_assert_str_eq(c.diags[0], "0:0 error[format] the file is empty: a JSON return needs at "
                     "least one submission");
    collected_free(&c);
    /* Bytes that are not text where a value starts: `encoding`, not json-syntax. */
    collect("json", "\xff\xfe[\0]\0", 6, true, &c);
    ck_assert_uint_eq(c.ndiags, 1);
    ck_assert_str_eq(c.diags[0], "1:1 error[encoding] the file is UTF-16 (byte order mark 0xFFFE "
                     "at byte offset 0); save it as UTF-8");
    collected_free(&c);
    collect("json", "\n\0[]", 4, true, &c);
    ck_assert_str_eq(c.diags[0], "2:1 error[encoding] NUL byte at byte offset 1; the rest of the "
                     "file is not read");
    collected_free(&c);
    collect_str("json", "  \xc0\xaf[]", true, &c);
    ck_assert_str_eq(c.diags[0], "1:3 error[encoding] invalid UTF-8 (overlong encoding, byte 0xC0) "
                     "at byte offset 2; the rest of the file is not read");
    collected_free(&c);
    collect_str("json", " [ ] ", true, &c);
    ck_assert_str_eq(c.diags[0], "1:5 warning[format] the file holds an empty array: no records");
    collected_free(&c);
    collect_str("json", SUB("E10000021", COHORT) " x", true, &c);
    ck_assert_uint_eq(c.nrecords, 1);
    ck_assert_str_eq(c.diags[0], "1:212 error[json-syntax] unexpected text after the end of the "
                     "JSON value");
    collected_free(&c);
    collect_str("json", "[" SUB("E10000021", COHORT), true, &c);
    ck_assert_uint_eq(c.nrecords, 1);
    ck_assert_str_eq(c.diags[0], "1:212 error[json-syntax] the array is not closed before the "
                     "end of the file");
    collected_free(&c);
    collect_str("json", "[" SUB("E10000021", COHORT) ",\n {\"found\": [1,", true, &c);
    ck_assert_uint_eq(c.nrecords, 2);   /* the element cut short is one rejected record */
    ck_assert_str_eq(c.diags[0], "2:2 error[json-syntax] the object starting here is not closed "
                     "before the end of the file @/1");
    collected_free(&c);
}
END_TEST

START_TEST(test_encoding)
{
    struct collected c;
    collect_str("json", "[{\"authority_name\": \"Ynys M\xF4n\"}]", false, &c);
    ck_assert_uint_eq(c.nrecords, 1);
    ck_assert_str_eq(c.diags[0], "1:28 error[encoding] invalid UTF-8 (truncated sequence, byte "
                     "0xF4) at byte offset 27 @/0/authority_name");
    collected_free(&c);
    collect_str("json", "[{\"authority_name\": \"A\\u0000B\"}]", false, &c);
    ck_assert_str_eq(c.diags[0], "1:21 error[encoding] authority_name holds a NUL character "
                     "(\\u0000) @/0/authority_name");
    collected_free(&c);
    /* The bytes an `encoding` error is about are reported once: the value they
     * are in is not checked again (it was: a constraint error quoting them). */
    collect_str("json", "[" SUB("E10000016", "{\"cohort\": \"uasc\xff\", \"in_care\": 5, "
                "\"went_missing\": 1, \"missing_incidents\": 1, \"found\": 1, \"not_found\": 0}")
                "]", true, &c);
    ck_assert_uint_eq(c.ndiags, 1);
    ck_assert_str_eq(c.diags[0], "1:123 error[encoding] invalid UTF-8 (invalid byte, byte 0xFF) "
                     "at byte offset 122 @/0/cohorts/0/cohort");
    collected_free(&c);
}
END_TEST

/* NDJSON: a break in the structure rejects its line only; reading resumes at
 * the next line. */
START_TEST(test_ndjson_recovery)
{
    struct collected c;
    collect_str("ndjson", "{\"cohort\": \"uasc\"}\n"
                "{\"cohort\" \"uasc\"}\n"
                "{\"cohort\": \"trafficked\", \"in_care\": 4}\n", false, &c);
    ck_assert_int_eq(c.status, TALLY_DONE);
    ck_assert_uint_eq(c.nrecords, 3);
    ck_assert_uint_eq(c.ndiags, 1);
    ck_assert_str_eq(c.diags[0], "2:11 error[json-syntax] expected \":\" after the key, found a "
                     "string; the rest of the line is skipped");
    ck_assert_str_eq(c.records[1], "2:1");     /* one rejected record, no fields */
    ck_assert_str_eq(c.records[2], "3:1|cohort=trafficked@3:12 /cohort|in_care=4@3:37 /in_care");
    collected_free(&c);
}
END_TEST

/* An error inside a value rejects every record of its submission, the value
 * kept as written; reading goes on with the next element. */
START_TEST(test_value_error_rejects_the_element)
{
    struct collected c;
    collect_str("json", "[" SUB("E1000001\\q6", COHORT "," COHORT) ", " SUB("E10000016", COHORT) "]",
                false, &c);
    ck_assert_int_eq(c.status, TALLY_DONE);
    ck_assert_uint_eq(c.nrecords, 3);
    ck_assert_uint_eq(c.ndiags, 1);
    ck_assert_str_eq(c.diags[0], "1:34 error[json-syntax] invalid escape \\q in a string (JSON has "
                     "\\\" \\\\ \\/ \\b \\f \\n \\r \\t and \\uXXXX) @/0/authority/code");
    ck_assert_ptr_nonnull(strstr(c.records[0], "|authority_code=E1000001\\q6@1:25 /0/authority/code|"));
    collected_free(&c);
    /* inherited by both cohorts of the first submission: they come out rejected */
    collect_str("json", "[" SUB("E1000001\\q6", COHORT "," COHORT) ", " SUB("E10000016", COHORT) "]",
                true, &c);
    ck_assert_uint_eq(c.nrecords, 3);
    ck_assert_uint_eq(c.ndiags, 1);     /* nothing else: the validator leaves the bad value alone */
    collected_free(&c);
}
END_TEST

/* The pointer of every diagnostic, kept whole (the collected lines of
 * testutil stop at 1 KiB). */
struct pointers {
    char *last;
    size_t n;
};

static void keep_pointer(void *ctx, const struct tally_diag *d)
{
    struct pointers *p = ctx;
    free(p->last);
    p->last = d->pointer ? strdup(d->pointer) : NULL;
    p->n++;
}

/* Keys are decoded before they are matched; JSON Pointers escape ~ and / and
 * are never cut short (they were, at 511 bytes). */
START_TEST(test_keys_and_pointers)
{
    struct collected c;
    collect_str("json", "{\"in\\u005fcare\": 3, \"a/b~c\": 1}", false, &c);
    ck_assert_uint_eq(c.nrecords, 1);
    ck_assert_str_eq(c.records[0], "1:1|in_care=3@1:18 /in_care");
    ck_assert_uint_eq(c.ndiags, 1);
    ck_assert_str_eq(c.diags[0], "1:21 warning[json-shape] unknown key \"a/b~c\" is ignored @/a~1b~0c");
    collected_free(&c);

    char text[3100], path[] = "/tmp/tally-unit-XXXXXX";
    size_t o = (size_t)snprintf(text, sizeof text, "[{\"authority\": {\"");
    for (int i = 0; i < 1500; i++)
        text[o++] = i % 2 ? '/' : 'k';
    o += (size_t)snprintf(text + o, sizeof text - o, "\": 1}, \"cohorts\": [{}]}]");
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq((long)write(fd, text, o), (long)o);
    close(fd);
    struct tally_error err;
    struct tally_schema *schema = tally_schema_load_default(&err);
    ck_assert_ptr_nonnull(schema);
    struct pointers p = {0};
    struct tally_reader_config cfg = {.schema = schema, .sink = {keep_pointer, &p}};
    struct tally_input in;
    struct tally_reader *r;
    struct tally_record *rec;
    ck_assert_int_eq(tally_input_open(&in, path, &err), TALLY_OK);
    ck_assert_int_eq(tally_json_reader.open(&r, &in, &cfg, &err), TALLY_OK);
    ck_assert_int_eq(tally_json_reader.next(r, &rec, &err), TALLY_RECORD);
    ck_assert_uint_eq(p.n, 1);
    ck_assert_uint_eq(strlen(p.last), strlen("/0/authority/") + 750 + 750 * 2);
    ck_assert(strncmp(p.last, "/0/authority/k~1k~1", 19) == 0);
    tally_json_reader.close(r);
    tally_input_close(&in);
    tally_schema_free(schema);
    free(p.last);
    unlink(path);
}
END_TEST

/* Lines end at LF, CRLF or a lone CR; a column is a character; a UTF-8 byte
 * order mark takes no column. */
START_TEST(test_lines_and_columns)
{
    struct collected c;
    collect_str("json", "\xEF\xBB\xBF{\"authority_name\": \"Ynys M\xC3\xB4n\", \"cohort\":\r"
                "\"uasc\",\r\n\"in_care\": \"\xF0\x9F\x98\x80\",\n\t\"found\": \"x\"}", false, &c);
    ck_assert_uint_eq(c.nrecords, 1);
    ck_assert_str_eq(c.records[0], "1:1|authority_name=Ynys M\xC3\xB4n@1:20 /authority_name"
                     "|cohort=uasc@2:1 /cohort|in_care=\xF0\x9F\x98\x80@3:12 /in_care"
                     "|found=x@4:11 /found");
    collected_free(&c);
}
END_TEST

/* Past json-depth the element is still read to its end, strictly; the next
 * element is read as usual. */
START_TEST(test_depth_then_next_element)
{
    char text[400];
    size_t o = 0;
    text[o++] = '[';
    for (int i = 0; i < 70; i++)
        text[o++] = '[';
    for (int i = 0; i < 70; i++)
        text[o++] = ']';
    o += (size_t)snprintf(text + o, sizeof text - o, ", {\"cohort\": \"uasc\"}]");
    struct collected c;
    collect_str("json", text, false, &c);
    ck_assert_uint_eq(c.nrecords, 2);
    ck_assert_uint_eq(c.ndiags, 1);
    ck_assert_str_eq(c.diags[0], "1:65 error[json-depth] JSON nested deeper than 64 levels @/0");
    ck_assert_str_eq(c.records[1], "1:144|cohort=uasc@1:155 /1/cohort");
    collected_free(&c);
    /* a mismatched bracket past the limit is still a break in the structure */
    text[100] = '}';
    collect_str("json", text, false, &c);
    ck_assert_uint_eq(c.nrecords, 1);
    ck_assert_uint_eq(c.ndiags, 2);
    ck_assert_str_eq(c.diags[1], "1:101 error[json-syntax] expected \",\" or \"]\" after an "
                     "element, found \"}\"; the rest of the file is not read @/0");
    collected_free(&c);
}
END_TEST

Suite *json_suite(void)
{
    Suite *s = suite_create("json");
    TCase *tc = tcase_create("reader");
    tcase_add_test(tc, test_spec_example);
    tcase_add_test(tc, test_array_of_submissions_and_flat_records);
    tcase_add_test(tc, test_ndjson_lines);
    tcase_add_test(tc, test_count_types);
    tcase_add_test(tc, test_syntax_and_shape_errors);
    tcase_add_test(tc, test_depth);
    tcase_add_test(tc, test_files_that_are_not_returns);
    tcase_add_test(tc, test_encoding);
    tcase_add_test(tc, test_ndjson_recovery);
    tcase_add_test(tc, test_value_error_rejects_the_element);
    tcase_add_test(tc, test_keys_and_pointers);
    tcase_add_test(tc, test_lines_and_columns);
    tcase_add_test(tc, test_depth_then_next_element);
    suite_add_tcase(s, tc);
    return s;
}
