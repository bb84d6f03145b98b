/*
 * check_xml.c — the XML reader and writer, and the XSD: records, every value's
 * line, column and XPath, every XML diagnostic with its location, the safety
 * rules of doc/return-format.md §2, XML (DOCTYPE, external entities, entity expansion, network),
 * the XSD agreeing with the table schema, and the writer's output validating
 * against the XSD and reading back as the records it was made from.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <libxml/parser.h>
#include <libxml/xmlschemas.h>
#include <libxml/xpath.h>
#include <libxml/xpathInternals.h>

#include "suites.h"
#include "tally/reader.h"
#include "tally/registry.h"
#include "tally/schema.h"
#include "tally/status.h"
#include "tally/validate.h"
#include "tally/writer.h"
#include "testutil.h"

extern const unsigned char tally_embedded_missing_from_care_xsd[];
extern const size_t tally_embedded_missing_from_care_xsd_len;

/* ---- helpers ------------------------------------------------------------------ */

/* A whole file, NUL-terminated; *len its size. Caller frees. */
static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    ck_assert_msg(f != NULL, "cannot open %s", path);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc((size_t)n + 1);
    ck_assert_int_eq((long)fread(buf, 1, (size_t)n, f), n);
    buf[n] = '\0';
    fclose(f);
    if (len)
        *len = (size_t)n;
    return buf;
}

/* "field=text|field=text..." of a collected record, without positions and
 * paths, and without empty values (an empty CSV cell and an absent element
 * are both missing). */
static void values_only(const char *rec, char *out, size_t size)
{
    size_t o = 0;
    const char *p = strchr(rec, '|');
    while (p && o + 1 < size) {
        const char *at = strchr(p + 1, '@');
        const char *next = strchr(p + 1, '|');
        const char *end = at && (!next || at < next) ? at : next ? next : p + strlen(p);
        if (end[-1] != '=')
            o += (size_t)snprintf(out + o, size - o, "%.*s|", (int)(end - p - 1), p + 1);
        p = next;
    }
    if (o < size)
        out[o] = '\0';
}

/* What a run of the XML reader gives, with record-level detail that the
 * shared collect() does not keep. */
#define RUN_MAX 64
struct run {
    char *diags[RUN_MAX];       /* "L:C code record=N" */
    size_t ndiags;
    char *recs[RUN_MAX];        /* "N path errors=E inherited=CODE" */
    size_t nrecs;
    char *values[RUN_MAX];      /* "field=text|..." per record */
    int status;
};

static void run_diag(void *ctx, const struct tally_diag *d)
{
    struct run *r = ctx;
    if (r->ndiags == RUN_MAX)
        return;
    char buf[512];
    snprintf(buf, sizeof buf, "%u:%u %s record=%llu%s%s", d->line, d->column, d->code,
             (unsigned long long)d->record, d->field ? " field=" : "", d->field ? d->field : "");
    r->diags[r->ndiags++] = strdup(buf);
}

/* Read text with the XML reader and schema (NULL: the default one); with
 * validate, through the validator too. */
static void run_xml(const char *text, size_t len, const struct tally_schema *schema, bool validate,
                    struct run *r)
{
    memset(r, 0, sizeof *r);
    char path[] = "/tmp/tally-xml-XXXXXX";
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq((long)write(fd, text, len), (long)len);
    close(fd);
    struct tally_error err;
    struct tally_schema *own = NULL;
    if (!schema)
        schema = own = tally_schema_load_default(&err);
    struct tally_registry *reg = tally_registry_load_default(&err);
    struct tally_diag_sink sink = {run_diag, r};
    struct tally_validator_options vo = {0};
    struct tally_validator *v = tally_validator_new(schema, reg, &vo, sink, &err);
    struct tally_input in;
    ck_assert_int_eq(tally_input_open(&in, path, &err), TALLY_OK);
    struct tally_reader_config cfg = {.schema = schema, .sink = sink};
    struct tally_reader *rd;
    const struct tally_reader_ops *ops = tally_reader_find("xml");
    ck_assert_int_eq(ops->open(&rd, &in, &cfg, &err), TALLY_OK);
    struct tally_record *rec;
    while ((r->status = ops->next(rd, &rec, &err)) == TALLY_RECORD) {
        if (validate)
            ck_assert_int_eq(tally_validator_check(v, rec, &err), TALLY_OK);
        if (r->nrecs == RUN_MAX)
            continue;
        char buf[1024];
        snprintf(buf, sizeof buf, "%llu %s errors=%u inherited=%s", (unsigned long long)rec->index,
                 rec->path ? rec->path : "-", rec->errors, rec->inherited ? rec->inherited : "-");
        r->recs[r->nrecs] = strdup(buf);
        size_t o = 0;
        for (size_t i = 0; i < rec->nfields && o < sizeof buf; i++)
            if (rec->fields[i].text)
                o += (size_t)snprintf(buf + o, sizeof buf - o, "%s=%s|", schema->fields[i].name,
                                      rec->fields[i].text);
        buf[o < sizeof buf ? o : sizeof buf - 1] = '\0';
        r->values[r->nrecs++] = strdup(buf);
    }
    ops->close(rd);
    tally_input_close(&in);
    tally_validator_free(v);
    tally_registry_free(reg);
    tally_schema_free(own);
    unlink(path);
}

static void run_free(struct run *r)
{
    for (size_t i = 0; i < r->ndiags; i++)
        free(r->diags[i]);
    for (size_t i = 0; i < r->nrecs; i++) {
        free(r->recs[i]);
        free(r->values[i]);
    }
}

/* Every diagnostic of c, one per line, for failure messages. */
static const char *all_diags(const struct collected *c)
{
    static char buf[8192];
    size_t o = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < c->ndiags && o < sizeof buf; i++)
        o += (size_t)snprintf(buf + o, sizeof buf - o, "\n  %s", c->diags[i]);
    return buf;
}

#define EXPECT_DIAGS(c, ...)                                                              \
    do {                                                                                  \
        const char *const want_[] = {__VA_ARGS__};                                        \
        size_t n_ = sizeof want_ / sizeof want_[0];                                       \
        ck_assert_msg((c).ndiags == n_, "%zu diagnostics, expected %zu:%s", (c).ndiags, n_, \
                      all_diags(&(c)));                                                   \
        for (size_t i_ = 0; i_ < n_; i_++)                                                \
            ck_assert_str_eq((c).diags[i_], want_[i_]);                                   \
    } while (0)

#define COUNTS "<in_care>5</in_care><went_missing>1</went_missing>" \
               "<missing_incidents>1</missing_incidents><found>1</found><not_found>0</not_found>"
#define HEAD "<authority><code>E10000021</code></authority>" \
             "<period><start>2014-10-01</start><end>2015-09-30</end></period>"

/* A return in the shape of doc/return-format.md §2 (XML). */
static const char spec_example[] =
    "<returns>\n"
    "  <return>\n"
    "    <authority><code>E10000021</code><name>Northamptonshire</name></authority>\n"
    "    <period><start>2014-10-01</start><end>2015-09-30</end></period>\n"
    "    <submitted>2015-11-02T10:00:00Z</submitted>\n"
    "    <cohort type=\"trafficked\">\n"
    "      <in_care>42</in_care><went_missing>15</went_missing><missing_incidents>41</missing_incidents>\n"
    "      <found>12</found><not_found>3</not_found>\n"
    "    </cohort>\n"
    "    <cohort type=\"uasc\">\n"
    "      <in_care>38</in_care><went_missing>c</went_missing><missing_incidents>c</missing_incidents>\n"
    "      <found>c</found><not_found>c</not_found>\n"
    "    </cohort>\n"
    "  </return>\n"
    "</returns>\n";

/* ---- records, positions, paths ------------------------------------------------- */

START_TEST(test_spec_example_positions_and_xpaths)
{
    struct collected c;
    collect_str("xml", spec_example, true, &c);
    ck_assert_int_eq(c.status, TALLY_DONE);
    EXPECT_DIAGS(c);
    ck_assert_uint_eq(c.nrecords, 2);
    ck_assert_str_eq(c.records[0],
                     "6:5|authority_code=E10000021@3:16 /returns/return[1]/authority/code"
                     "|authority_name=Northamptonshire@3:38 /returns/return[1]/authority/name"
                     "|period_start=2014-10-01@4:13 /returns/return[1]/period/start"
                     "|period_end=2015-09-30@4:38 /returns/return[1]/period/end"
                     "|submitted=2015-11-02T10:00:00Z@5:5 /returns/return[1]/submitted"
                     "|cohort=trafficked@6:13 /returns/return[1]/cohort[1]/@type"
                     "|in_care=42@7:7 /returns/return[1]/cohort[1]/in_care"
                     "|went_missing=15@7:28 /returns/return[1]/cohort[1]/went_missing"
                     "|missing_incidents=41@7:59 /returns/return[1]/cohort[1]/missing_incidents"
                     "|found=12@8:7 /returns/return[1]/cohort[1]/found"
                     "|not_found=3@8:24 /returns/return[1]/cohort[1]/not_found");
    ck_assert_str_eq(c.records[1],
                     "10:5|authority_code=E10000021@3:16 /returns/return[1]/authority/code"
                     "|authority_name=Northamptonshire@3:38 /returns/return[1]/authority/name"
                     "|period_start=2014-10-01@4:13 /returns/return[1]/period/start"
                     "|period_end=2015-09-30@4:38 /returns/return[1]/period/end"
                     "|submitted=2015-11-02T10:00:00Z@5:5 /returns/return[1]/submitted"
                     "|cohort=uasc@10:13 /returns/return[1]/cohort[2]/@type"
                     "|in_care=38@11:7 /returns/return[1]/cohort[2]/in_care"
                     "|went_missing=c@11:28 /returns/return[1]/cohort[2]/went_missing"
                     "|missing_incidents=c@11:58 /returns/return[1]/cohort[2]/missing_incidents"
                     "|found=c@12:7 /returns/return[1]/cohort[2]/found"
                     "|not_found=c@12:23 /returns/return[1]/cohort[2]/not_found");
    collected_free(&c);

    struct run r;
    run_xml(spec_example, sizeof spec_example - 1, NULL, true, &r);
    ck_assert_uint_eq(r.nrecs, 2);
    ck_assert_str_eq(r.recs[0], "1 /returns/return[1]/cohort[1] errors=0 inherited=-");
    ck_assert_str_eq(r.recs[1], "2 /returns/return[1]/cohort[2] errors=0 inherited=-");
    run_free(&r);
}
END_TEST

/* fixtures/xml/valid.xml holds what fixtures/csv/valid.csv holds. */
START_TEST(test_same_records_as_csv)
{
    size_t xlen, clen;
    char *xml = slurp("fixtures/xml/valid.xml", &xlen);
    char *csv = slurp("fixtures/csv/valid.csv", &clen);
    struct collected x, c;
    collect("xml", xml, xlen, true, &x);
    collect("csv", csv, clen, true, &c);
    EXPECT_DIAGS(x);
    EXPECT_DIAGS(c);
    ck_assert_uint_eq(x.nrecords, 10);
    ck_assert_uint_eq(x.nrecords, c.nrecords);
    for (size_t i = 0; i < x.nrecords; i++) {
        char a[2048], b[2048];
        values_only(x.records[i], a, sizeof a);
        values_only(c.records[i], b, sizeof b);
        ck_assert_str_eq(a, b);
    }
    collected_free(&x);
    collected_free(&c);
    free(xml);
    free(csv);
}
END_TEST

START_TEST(test_single_return_root)
{
    struct collected c;
    collect_str("xml", "<?xml version=\"1.0\"?>\n<return>" HEAD "\n<cohort type=\"uasc\">" COUNTS
                "</cohort></return>\n", true, &c);
    EXPECT_DIAGS(c);
    ck_assert_uint_eq(c.nrecords, 1);
    ck_assert_str_eq(c.records[0],
                     "3:1|authority_code=E10000021@2:20 /return/authority/code"
                     "|period_start=2014-10-01@2:62 /return/period/start"
                     "|period_end=2015-09-30@2:87 /return/period/end"
                     "|cohort=uasc@3:9 /return/cohort[1]/@type"
                     "|in_care=5@3:21 /return/cohort[1]/in_care"
                     "|went_missing=1@3:41 /return/cohort[1]/went_missing"
                     "|missing_incidents=1@3:71 /return/cohort[1]/missing_incidents"
                     "|found=1@3:111 /return/cohort[1]/found"
                     "|not_found=0@3:127 /return/cohort[1]/not_found");
    collected_free(&c);
}
END_TEST

/* Values are read as the XSD reads tokens; columns count characters; an
 * empty value sits at its element; CDATA and character references count. */
START_TEST(test_values_whitespace_entities_and_columns)
{
    struct collected c;
    collect_str("xml", "<returns><return>\n"
                "<authority><code> E10000021\n</code><name>  Ynys  M\xC3\xB4n\n  &amp; co </name>"
                "</authority>\n"
                "<period><start><![CDATA[2014-10-01]]></start><end>2015-09-30</end></period>\n"
                "<cohort type=' uasc '><in_care>&#53;</in_care><went_missing/><missing_incidents>"
                "</missing_incidents><found>1</found><not_found>0</not_found></cohort>\n"
                "</return></returns>\n", false, &c);
    EXPECT_DIAGS(c);
    ck_assert_uint_eq(c.nrecords, 1);
    ck_assert_str_eq(c.records[0],
                     "6:1|authority_code=E10000021@2:12 /returns/return[1]/authority/code"
                     "|authority_name=Ynys M\xC3\xB4n & co@3:8 /returns/return[1]/authority/name"
                     "|period_start=2014-10-01@5:9 /returns/return[1]/period/start"
                     "|period_end=2015-09-30@5:46 /returns/return[1]/period/end"
                     "|cohort=uasc@6:9 /returns/return[1]/cohort[1]/@type"
                     "|in_care=5@6:23 /returns/return[1]/cohort[1]/in_care"
                     "|went_missing=@6:47 /returns/return[1]/cohort[1]/went_missing"
                     "|missing_incidents=@6:62 /returns/return[1]/cohort[1]/missing_incidents"
                     "|found=1@6:101 /returns/return[1]/cohort[1]/found"
                     "|not_found=0@6:117 /returns/return[1]/cohort[1]/not_found");
    collected_free(&c);

    /* Through the validator: an empty count is `required` (once), not also xml-schema. */
    collect_str("xml", "<return>" HEAD "<cohort type=\"uasc\"><in_care>5</in_care><went_missing/>"
                "<missing_incidents>1</missing_incidents><found>1</found><not_found>0</not_found>"
                "</cohort></return>", true, &c);
    EXPECT_DIAGS(c, "1:157 error[required] went_missing is required but empty "
                    "@/return/cohort[1]/went_missing");
    collected_free(&c);
}
END_TEST

START_TEST(test_absent_optional_fields_and_many_returns)
{
    struct run r;
    static const char text[] =
        "<returns>"
        "<return>" HEAD "<cohort type=\"uasc\">" COUNTS "</cohort><cohort type=\"trafficked\">"
        COUNTS "</cohort></return>"
        "<return><authority><code>E10000016</code><name>Kent</name></authority>"
        "<period><start>2014-10-01</start><end>2015-09-30</end></period>"
        "<submitted>2015-10-28T09:30:00+01:00</submitted>"
        "<cohort type=\"uasc\">" COUNTS "</cohort></return>"
        "</returns>";
    run_xml(text, sizeof text - 1, NULL, true, &r);
    ck_assert_uint_eq(r.ndiags, 0);
    ck_assert_uint_eq(r.nrecs, 3);
    ck_assert_str_eq(r.recs[0], "1 /returns/return[1]/cohort[1] errors=0 inherited=-");
    ck_assert_str_eq(r.recs[1], "2 /returns/return[1]/cohort[2] errors=0 inherited=-");
    ck_assert_str_eq(r.recs[2], "3 /returns/return[2]/cohort[1] errors=0 inherited=-");
    ck_assert_str_eq(r.values[0], "authority_code=E10000021|period_start=2014-10-01|"
                     "period_end=2015-09-30|cohort=uasc|in_care=5|went_missing=1|"
                     "missing_incidents=1|found=1|not_found=0|");
    ck_assert_str_eq(r.values[2], "authority_code=E10000016|authority_name=Kent|"
                     "period_start=2014-10-01|period_end=2015-09-30|"
                     "submitted=2015-10-28T09:30:00+01:00|cohort=uasc|in_care=5|went_missing=1|"
                     "missing_incidents=1|found=1|not_found=0|");
    run_free(&r);
}
END_TEST

/* ---- diagnostics -------------------------------------------------------------- */

START_TEST(test_malformed)
{
    size_t len;
    char *text = slurp("fixtures/xml/malformed.xml", &len);
    struct collected c;
    collect("xml", text, len, true, &c);
    /* libxml2 points just past the end tag it cannot match. */
    EXPECT_DIAGS(c, "12:46 error[xml-syntax] Opening and ending tag mismatch: not_found line 12 "
                    "and not_fund; the rest of the file is not read @/returns/return[1]/cohort[2]");
    ck_assert_uint_eq(c.nrecords, 2);
    collected_free(&c);

    /* The record the error falls in comes out, counted and rejected; the one
     * before it is untouched; nothing after it is read. */
    struct run r;
    run_xml(text, len, NULL, true, &r);
    ck_assert_uint_eq(r.nrecs, 2);
    ck_assert_str_eq(r.recs[0], "1 /returns/return[1]/cohort[1] errors=0 inherited=-");
    ck_assert_str_eq(r.recs[1], "2 /returns/return[1]/cohort[2] errors=1 inherited=xml-syntax");
    run_free(&r);
    free(text);

    collect_str("xml", "<returns>\n  <return foo=bar>\n", false, &c);
    EXPECT_DIAGS(c, "2:15 error[xml-syntax] AttValue: \" or ' expected; the rest of the file is "
                    "not read");
    collected_free(&c);

    collect_str("xml", "<return>" HEAD "<cohort type=\"uasc\">" COUNTS "</cohort></return>\n"
                "<return/>\n", false, &c);
    EXPECT_DIAGS(c, "2:1 error[xml-syntax] Extra content at the end of the document; the rest "
                    "of the file is not read");
    ck_assert_uint_eq(c.nrecords, 1);
    collected_free(&c);

    collect_str("xml", "<returns><return>" HEAD "<cohort type=\"uasc\">" COUNTS, false, &c);
    EXPECT_DIAGS(c, "1:276 error[xml-syntax] the file ends before <cohort> (line 1, column 126) "
                    "is closed: it is incomplete @/returns/return[1]/cohort[1]");
    ck_assert_uint_eq(c.nrecords, 1);
    collected_free(&c);
}
END_TEST

START_TEST(test_schema_violations)
{
    size_t len;
    char *text = slurp("fixtures/xml/schema-violation.xml", &len);
    struct collected c;
    collect("xml", text, len, true, &c);
    /* An unknown element is a warning and skipped; one out of order an
     * error; an absent <authority> is its absent code, `required`. */
    EXPECT_DIAGS(c,
                 "8:24 warning[xml-schema] unknown element <notes> in <cohort> is ignored "
                 "@/returns/return[1]/cohort[1]/notes",
                 "11:68 error[xml-schema] <went_missing> is out of order: in <cohort> it comes "
                 "before <missing_incidents> @/returns/return[1]/cohort[2]/went_missing",
                 "15:7 error[type] in_care must be a whole number or one of x, c or z, not "
                 "\"12.5\" @/returns/return[1]/cohort[3]/in_care",
                 "21:5 error[required] authority_code is required but absent "
                 "@/returns/return[2]/cohort[1]");
    ck_assert_uint_eq(c.nrecords, 4);
    collected_free(&c);

    /* Each error counts on the record it is in; the warning rejects nothing. */
    struct run r;
    run_xml(text, len, NULL, true, &r);
    ck_assert_uint_eq(r.nrecs, 4);
    ck_assert_str_eq(r.recs[0], "1 /returns/return[1]/cohort[1] errors=0 inherited=-");
    ck_assert_str_eq(r.recs[1], "2 /returns/return[1]/cohort[2] errors=1 inherited=-");
    ck_assert_str_eq(r.recs[2], "3 /returns/return[1]/cohort[3] errors=1 inherited=-");
    ck_assert_str_eq(r.recs[3], "4 /returns/return[2]/cohort[1] errors=1 inherited=-");
    /* The record with the unknown element keeps every value; the misplaced
     * element is still read: nothing is lost. */
    ck_assert_str_eq(r.values[0], "authority_code=E10000021|authority_name=Northamptonshire|"
                     "period_start=2014-10-01|period_end=2015-09-30|cohort=trafficked|in_care=42|"
                     "went_missing=15|missing_incidents=41|found=12|not_found=3|");
    ck_assert_ptr_nonnull(strstr(r.values[1], "missing_incidents=9|"));
    ck_assert_ptr_nonnull(strstr(r.values[1], "went_missing=3|"));
    ck_assert_str_eq(r.diags[3], "21:5 required record=4 field=authority_code");
    run_free(&r);
    free(text);
}
END_TEST

/* One mistake, one diagnostic: what the XSD reports, the validator does not
 * repeat, and a bad value is reported by the validator alone. */
START_TEST(test_one_diagnostic_per_mistake)
{
    struct collected c;
    /* <found> absent: `required`, as for an empty CSV cell; the XSD's "not
     * expected" about the next field is not repeated. */
    collect_str("xml", "<return>" HEAD "<cohort type=\"uasc\"><in_care>5</in_care><went_missing>0"
                "</went_missing><missing_incidents>0</missing_incidents><not_found>0</not_found>"
                "</cohort></return>", true, &c);
    EXPECT_DIAGS(c, "1:117 error[required] found is required but absent @/return/cohort[1]");
    collected_free(&c);
    /* Absent at the end of the cohort: "Missing child element(s)", the same. */
    collect_str("xml", "<return>" HEAD "<cohort type=\"uasc\"><in_care>5</in_care><went_missing>0"
                "</went_missing><missing_incidents>0</missing_incidents><found>0</found>"
                "</cohort></return>", true, &c);
    EXPECT_DIAGS(c, "1:117 error[required] not_found is required but absent @/return/cohort[1]");
    collected_free(&c);

    /* The type attribute absent: `required`, like the others. */
    collect_str("xml", "<return>" HEAD "\n<cohort>" COUNTS "</cohort></return>", true, &c);
    EXPECT_DIAGS(c, "2:1 error[required] cohort is required but absent @/return/cohort[1]");
    collected_free(&c);

    /* Bad values: the validator's diagnostics only. */
    collect_str("xml", "<return><authority><code>E1000002</code></authority><period><start>"
                "2014-10-01</start><end>2015-02-30</end></period><submitted>noon</submitted>"
                "<cohort type=\"Uasc\"><in_care>12.5</in_care><went_missing>+1</went_missing>"
                "<missing_incidents>1000001</missing_incidents><found></found><not_found>0"
                "</not_found></cohort></return>", true, &c);
    EXPECT_DIAGS(c,
                 "1:20 error[constraint] authority_code \"E1000002\" does not match the pattern "
                 "^[ENSW][0-9]{8}$ @/return/authority/code",
                 "1:86 error[type] period_end must be a date written YYYY-MM-DD, not "
                 "\"2015-02-30\": there is no such day (February 2015 has 28 days) @/return/period/end",
                 "1:116 error[type] submitted must be a date and time written YYYY-MM-DDThh:mm:ssZ "
                 "(or with an offset such as +01:00), not \"noon\" @/return/submitted",
                 "1:151 error[constraint] cohort \"Uasc\" is not one of trafficked or uasc "
                 "@/return/cohort[1]/@type",
                 "1:163 error[type] in_care must be a whole number or one of x, c or z, not "
                 "\"12.5\" @/return/cohort[1]/in_care",
                 "1:186 error[type] went_missing must be a whole number or one of x, c or z, not "
                 "\"+1\" @/return/cohort[1]/went_missing",
                 "1:217 error[constraint] missing_incidents (1000001) is above the maximum 1000000 "
                 "@/return/cohort[1]/missing_incidents",
                 "1:263 error[required] found is required but empty @/return/cohort[1]/found");
    collected_free(&c);
}
END_TEST

START_TEST(test_unknown_root_and_namespace)
{
    struct collected c;
    collect_str("xml", "<submissions><return/></submissions>", false, &c);
    EXPECT_DIAGS(c, "1:1 error[xml-schema] the root element is <submissions>, not <returns> or "
                    "<return>; the file is not read");
    ck_assert_uint_eq(c.nrecords, 0);
    collected_free(&c);

    collect_str("xml", "<returns xmlns=\"urn:returns\"><return>" HEAD "<cohort type=\"uasc\">"
                COUNTS "</cohort></return></returns>", false, &c);
    EXPECT_DIAGS(c, "1:1 error[xml-schema] the root element <returns> is in the namespace "
                    "\"urn:returns\": tally's returns have no namespace (remove "
                    "xmlns=\"urn:returns\"); the file is not read");
    ck_assert_uint_eq(c.nrecords, 0);
    collected_free(&c);

    collect_str("xml", "<r:returns xmlns:r=\"urn:returns\"><r:return/></r:returns>", false, &c);
    EXPECT_DIAGS(c, "1:1 error[xml-schema] the root element <r:returns> is in the namespace "
                    "\"urn:returns\": tally's returns have no namespace (write <returns> without "
                    "the prefix r: and remove xmlns:r=\"urn:returns\"); the file is not read");
    ck_assert_uint_eq(c.nrecords, 0);
    collected_free(&c);
}
END_TEST

START_TEST(test_empty_and_no_records)
{
    struct collected c;
    collect_str("xml", "", false, &c);
    EXPECT_DIAGS(c, "0:0 error[format] the file is empty: an XML return needs a root element");
    collected_free(&c);
    collect_str("xml", "  \n", false, &c);
    EXPECT_DIAGS(c, "0:0 error[format] the file holds no XML element");
    collected_free(&c);
    collect_str("xml", "<?xml version=\"1.0\"?>\n<returns/>\n", false, &c);
    EXPECT_DIAGS(c, "1:1 warning[format] the file holds no records");
    collected_free(&c);
}
END_TEST

/* ---- safety ------------------------------------------------------------------- */

START_TEST(test_doctype_is_rejected)
{
    struct collected c;
    collect_str("xml", "<?xml version=\"1.0\"?>\n<!-- a return -->\n<!DOCTYPE returns>\n"
                "<returns/>\n", false, &c);
    EXPECT_DIAGS(c, "3:1 error[xml-dtd] the document has a DOCTYPE: tally reads no DTD and expands "
                    "no entity, so the file is not read (remove the DOCTYPE)");
    ck_assert_uint_eq(c.total, 0);
    collected_free(&c);

    /* A DOCTYPE broken before its name is read (a literal never closed) is a
     * DOCTYPE all the same; so is one with no blank after "<!DOCTYPE". */
    collect_str("xml", "<?xml version=\"1.0\"?>\n <!DOCTYPE returns SYSTEM \"http://x.invalid/>\n"
                "<returns/>\n", false, &c);
    EXPECT_DIAGS(c, "2:2 error[xml-dtd] the document has a DOCTYPE: tally reads no DTD and expands "
                    "no entity, so the file is not read (remove the DOCTYPE)");
    collected_free(&c);
    collect_str("xml", "<!DOCTYPEreturns>\n<returns/>\n", false, &c);
    EXPECT_DIAGS(c, "1:1 error[xml-dtd] the document has a DOCTYPE: tally reads no DTD and expands "
                    "no entity, so the file is not read (remove the DOCTYPE)");
    collected_free(&c);
}
END_TEST

START_TEST(test_xxe_reads_nothing)
{
    size_t len;
    char *text = slurp("fixtures/xml/xxe.xml", &len);
    struct collected c;
    collect("xml", text, len, true, &c);
    EXPECT_DIAGS(c, "2:1 error[xml-dtd] the document has a DOCTYPE: tally reads no DTD and expands "
                    "no entity, so the file is not read (remove the DOCTYPE)");
    ck_assert_uint_eq(c.total, 0);
    /* Whatever /etc/passwd holds appears in no output. */
    char *passwd = slurp("/etc/passwd", NULL);
    char first[64];
    snprintf(first, sizeof first, "%.*s", (int)strcspn(passwd, "\n"), passwd);
    for (size_t i = 0; i < c.ndiags; i++)
        ck_assert_ptr_null(strstr(c.diags[i], first));
    free(passwd);
    collected_free(&c);
    free(text);
}
END_TEST

START_TEST(test_billion_laughs_is_quick)
{
    size_t len;
    char *text = slurp("fixtures/xml/billion-laughs.xml", &len);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    struct collected c;
    collect("xml", text, len, true, &c);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    ck_assert_msg(secs < 2.0, "took %.2f s", secs);
    EXPECT_DIAGS(c, "2:1 error[xml-dtd] the document has a DOCTYPE: tally reads no DTD and expands "
                    "no entity, so the file is not read (remove the DOCTYPE)");
    ck_assert_uint_eq(c.total, 0);
    collected_free(&c);
    free(text);
}
END_TEST

static int loads;

static xmlParserInputPtr counting_loader(const char *url, const char *id, xmlParserCtxtPtr ctxt)
{
    (void)url;
    (void)id;
    (void)ctxt;
    loads++;
    return NULL;
}

/* No external DTD is fetched: libxml2's entity loader is never asked. */
START_TEST(test_external_dtd_not_fetched)
{
    /* Nothing is loaded: no external subset, no external entity, no
     * parameter entity; the parser stops at the DOCTYPE's name, before its
     * internal subset (a declaration there that is not one is never seen:
     * the one diagnostic is xml-dtd). The last file is UTF-16: its bytes hold
     * no "<!DOCTYPE" that a scan of the bytes would find. */
    static const char *const files[] = {"fixtures/xml/external-dtd.xml", "fixtures/xml/xxe.xml",
                                        "fixtures/xml/billion-laughs.xml",
                                        "fixtures/xml/parameter-entity.xml",
                                        "fixtures/xml/doctype-utf16.xml"};
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        size_t len;
        char *text = slurp(files[i], &len);
        for (size_t k = 0; i == 4 && k + 7 <= len; k++)
            ck_assert_msg(memcmp(text + k, "DOCTYPE", 7) != 0, "an 8-bit DOCTYPE in %s", files[i]);
        xmlExternalEntityLoader old = xmlGetExternalEntityLoader();
        xmlSetExternalEntityLoader(counting_loader);
        loads = 0;
        struct collected c;
        collect("xml", text, len, true, &c);
        xmlSetExternalEntityLoader(old);
        ck_assert_int_eq(loads, 0);
        EXPECT_DIAGS(c, "2:1 error[xml-dtd] the document has a DOCTYPE: tally reads no DTD and "
                        "expands no entity, so the file is not read (remove the DOCTYPE)");
        ck_assert_uint_eq(c.total, 0);
        collected_free(&c);
        free(text);
    }
}
END_TEST

START_TEST(test_encoding_errors)
{
    struct collected c;
    static const char latin1[] = "<return>" HEAD "<cohort type=\"uasc\">" COUNTS "</cohort>"
                                 "\n<cohort type=\"trafficked\"><in_care>5</in_care><!-- caf\xE9 -->";
    collect("xml", latin1, sizeof latin1 - 1, false, &c);
    EXPECT_DIAGS(c, "2:55 error[encoding] invalid UTF-8 (truncated sequence, byte 0xE9) at byte "
                    "offset 330; the rest of the file is not read (if the file is not UTF-8, its "
                    "XML declaration must say so: <?xml version=\"1.0\" encoding=\"...\"?>) "
                    "@/return/cohort[2]");
    ck_assert_uint_eq(c.nrecords, 2);
    collected_free(&c);

    static const char nul[] = "<returns>\n<return>\0</return></returns>";
    collect("xml", nul, sizeof nul - 1, false, &c);
    EXPECT_DIAGS(c, "2:9 error[encoding] NUL byte at byte offset 18; the rest of the file is not read");
    collected_free(&c);

    /* UTF-16 with a byte order mark is read; a NUL character in it is an
     * encoding error at its byte offset. */
    static const char utf16[] = "\xFF\xFE<\0r\0e\0t\0u\0r\0n\0s\0/\0>\0\n\0\0\0";
    collect("xml", utf16, sizeof utf16 - 1, false, &c);
    EXPECT_DIAGS(c, "2:1 error[encoding] NUL character (U+0000) at byte offset 24; the rest of the "
                    "file is not read");
    collected_free(&c);

    /* A UTF-8 byte order mark is not a column; it and a declaration of
     * another encoding contradict each other. */
    collect_str("xml", "\xEF\xBB\xBF<return>\n<period/></return>", false, &c);
    EXPECT_DIAGS(c, "1:1 error[xml-schema] <return> holds no <cohort>: a return needs at least one "
                    "@/return");
    collected_free(&c);
    collect_str("xml", "\xEF\xBB\xBF<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?>\n<return>"
                "<authority><code>E10000021</code><name>Ynys M\xC3\xB4n</name></authority>"
                "</return>", false, &c);
    EXPECT_DIAGS(c, "1:1 error[encoding] the file starts with a UTF-8 byte order mark but declares "
                    "encoding=\"ISO-8859-1\"; save it again in one encoding; the file is not read");
    ck_assert_uint_eq(c.total, 0);
    collected_free(&c);
}
END_TEST

START_TEST(test_limits)
{
    /* A value longer than 64 KiB. */
    size_t big = 70000, cap = big + 1024;
    char *text = malloc(cap);
    size_t o = (size_t)snprintf(text, cap, "<return>" HEAD "\n<cohort type=\"uasc\"><in_care>");
    memset(text + o, '7', big);
    o += big;
    o += (size_t)snprintf(text + o, cap - o, "</in_care></cohort></return>");
    struct run r;
    run_xml(text, o, NULL, true, &r);
    /* The value is a `limit` error and is not read; the fields after it,
     * absent, are `required`; reading goes on after it. */
    ck_assert_uint_eq(r.ndiags, 5);
    ck_assert_str_eq(r.diags[0], "2:21 limit record=1");
    ck_assert_str_eq(r.diags[1], "2:1 required record=1 field=went_missing");
    ck_assert_uint_eq(r.nrecs, 1);
    ck_assert_str_eq(r.recs[0], "1 /return/cohort[1] errors=5 inherited=-");
    ck_assert_ptr_null(strstr(r.values[0], "in_care="));
    run_free(&r);
    free(text);

    /* Elements nested deeper than 64 levels. */
    char deep[2048];
    o = (size_t)snprintf(deep, sizeof deep, "<returns>\n");
    for (int i = 0; i < 70; i++)
        o += (size_t)snprintf(deep + o, sizeof deep - o, "<a>");
    struct collected c;
    collect("xml", deep, o, false, &c);
    EXPECT_DIAGS(c, "2:1 warning[xml-schema] unknown element <a> in <returns> is ignored "
                    "@/returns/a",
                 "2:190 error[limit] elements nested deeper than 64 levels; the rest of the "
                 "file is not read");
    collected_free(&c);
}
END_TEST

/* Many records: reads end inside values; memory stays flat; the last
 * record's error is placed exactly. */
START_TEST(test_many_records)
{
    size_t n = 20000, cap = n * 240 + 1024;
    char *text = malloc(cap);
    size_t o = (size_t)snprintf(text, cap, "<returns>\n<return>" HEAD "\n");
    for (size_t i = 0; i < n; i++)
        o += (size_t)snprintf(text + o, cap - o, "<cohort type=\"%s\"><in_care>%zu</in_care>"
                              "<went_missing>0</went_missing><missing_incidents>0"
                              "</missing_incidents><found>0</found><not_found>0</not_found>"
                              "</cohort>\n", i % 2 ? "uasc" : "trafficked", i);
    o += (size_t)snprintf(text + o, cap - o, "<cohort type=\"uasc\"><in_care>1</in_care><bogus/>"
                          "</cohort>\n</return></returns>\n");
    struct collected c;
    collect("xml", text, o, false, &c);
    ck_assert_int_eq(c.status, TALLY_DONE);
    ck_assert_uint_eq(c.total, n + 1);
    char want[256];
    snprintf(want, sizeof want, "%zu:41 warning[xml-schema] unknown element <bogus> in <cohort> "
             "is ignored @/returns/return[1]/cohort[%zu]/bogus", n + 3, n + 1);
    EXPECT_DIAGS(c, want);
    ck_assert_str_eq(c.records[63], "66:1|authority_code=E10000021@2:20 /returns/return[1]/authority/code"
                     "|period_start=2014-10-01@2:62 /returns/return[1]/period/start"
                     "|period_end=2015-09-30@2:87 /returns/return[1]/period/end"
                     "|cohort=uasc@66:9 /returns/return[1]/cohort[64]/@type"
                     "|in_care=63@66:21 /returns/return[1]/cohort[64]/in_care"
                     "|went_missing=0@66:42 /returns/return[1]/cohort[64]/went_missing"
                     "|missing_incidents=0@66:72 /returns/return[1]/cohort[64]/missing_incidents"
                     "|found=0@66:112 /returns/return[1]/cohort[64]/found"
                     "|not_found=0@66:128 /returns/return[1]/cohort[64]/not_found");
    collected_free(&c);
    free(text);
}
END_TEST

/* Another schema: the structure check is made from it as from the built-in
 * one; elements its paths do not place are warnings. */
START_TEST(test_other_schema_without_xsd)
{
    size_t len;
    char *json = slurp("schemas/missing-from-care.schema.json", &len);
    char *name = strstr(json, "\"missing-from-care\"");
    ck_assert_ptr_nonnull(name);
    memcpy(name + 1, "missing-from-kare", 17);
    struct tally_error err;
    struct tally_schema *schema = tally_schema_load(json, len, &err);
    ck_assert_msg(schema != NULL, "%s", err.message);
    static const char text[] = "<returns><return>" HEAD "<cohort type=\"uasc\">" COUNTS
                               "<notes>x</notes></cohort></return><extra/></returns>";
    struct run r;
    run_xml(text, sizeof text - 1, schema, true, &r);
    ck_assert_uint_eq(r.ndiags, 2);
    ck_assert_str_eq(r.diags[0], "1:276 xml-schema record=1");
    ck_assert_str_eq(r.diags[1], "1:310 xml-schema record=0");
    ck_assert_uint_eq(r.nrecs, 1);
    ck_assert_str_eq(r.recs[0], "1 /returns/return[1]/cohort[1] errors=0 inherited=-");
    run_free(&r);
    tally_schema_free(schema);
    free(json);
}
END_TEST

START_TEST(test_registered)
{
    ck_assert_ptr_eq(tally_reader_find("xml"), tally_reader_for_path("returns/Kent.XML"));
    ck_assert_str_eq(tally_reader_find("xml")->name, "xml");
    ck_assert_ptr_nonnull(tally_writer_find("xml"));
    ck_assert_str_eq(tally_writer_find("xml")->extension, ".xml");
}
END_TEST

/* ---- the XSD agrees with the table schema ---------------------------------------- */

static xmlXPathObjectPtr query(xmlXPathContextPtr ctx, xmlNodePtr at, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

static xmlXPathObjectPtr query(xmlXPathContextPtr ctx, xmlNodePtr at, const char *fmt, ...)
{
    char expr[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(expr, sizeof expr, fmt, ap);
    va_end(ap);
    ctx->node = at;
    xmlXPathObjectPtr o = xmlXPathEvalExpression((const xmlChar *)expr, ctx);
    ck_assert_msg(o != NULL, "bad XPath %s", expr);
    return o;
}

/* The one node expr finds from at, or NULL. */
static xmlNodePtr one(xmlXPathContextPtr ctx, xmlNodePtr at, const char *fmt, const char *arg)
{
    xmlXPathObjectPtr o = query(ctx, at, fmt, arg);
    xmlNodePtr n = NULL;
    if (o->nodesetval && o->nodesetval->nodeNr == 1)
        n = o->nodesetval->nodeTab[0];
    xmlXPathFreeObject(o);
    return n;
}

/* An attribute's value (static buffer), or "" when absent. */
static const char *attr(xmlNodePtr n, const char *name)
{
    static char buf[256];
    xmlChar *v = xmlGetProp(n, (const xmlChar *)name);
    snprintf(buf, sizeof buf, "%s", v ? (const char *)v : "");
    xmlFree(v);
    return buf;
}

/* The complex type of an element declaration: inline, or named by @type. */
static xmlNodePtr complex_type_of(xmlXPathContextPtr ctx, xmlNodePtr decl)
{
    xmlNodePtr t = one(ctx, decl, "xs:complexType%s", "");
    if (!t && *attr(decl, "type"))
        t = one(ctx, xmlDocGetRootElement(decl->doc), "/xs:schema/xs:complexType[@name='%s']",
                attr(decl, "type"));
    return t;
}

/* The values of a facet (xs:enumeration, xs:pattern ...) under node, joined by '|'. */
static void facet_values(xmlXPathContextPtr ctx, xmlNodePtr n, const char *facet, char *out,
                         size_t size)
{
    xmlXPathObjectPtr o = query(ctx, n, ".//xs:%s", facet);
    size_t off = 0;
    out[0] = '\0';
    for (int i = 0; o->nodesetval && i < o->nodesetval->nodeNr && off < size; i++)
        off += (size_t)snprintf(out + off, size - off, "%s%s", i ? "|" : "",
                                attr(o->nodesetval->nodeTab[i], "value"));
    xmlXPathFreeObject(o);
}

/* A named simple type and, through unions, every member type, as one list. */
static size_t simple_types(xmlXPathContextPtr ctx, const char *name, xmlNodePtr *out, size_t max)
{
    xmlNodePtr t = one(ctx, NULL, "/xs:schema/xs:simpleType[@name='%s']", name);
    ck_assert_msg(t != NULL, "XSD: no simple type %s", name);
    size_t n = 0;
    out[n++] = t;
    xmlNodePtr u = one(ctx, t, "xs:union%s", "");
    if (u) {
        char members[256];
        snprintf(members, sizeof members, "%s", attr(u, "memberTypes"));
        for (char *tok = strtok(members, " "); tok && n < max; tok = strtok(NULL, " "))
            n += simple_types(ctx, tok, out + n, max - n);
    }
    return n;
}

static void ignore_error(void *ctx, xmlErrorPtr e)
{
    (void)ctx;
    (void)e;
}

static bool base_is(xmlXPathContextPtr ctx, xmlNodePtr t, const char *base)
{
    xmlNodePtr r = one(ctx, t, "xs:restriction%s", "");
    return r && strcmp(attr(r, "base"), base) == 0;
}

START_TEST(test_xsd_agrees_with_schema)
{
    struct tally_error err;
    struct tally_schema *s = tally_schema_load_default(&err);
    xmlDocPtr doc = xmlReadMemory((const char *)tally_embedded_missing_from_care_xsd,
                                  (int)tally_embedded_missing_from_care_xsd_len, "xsd", NULL,
                                  XML_PARSE_NONET);
    ck_assert_ptr_nonnull(doc);
    xmlXPathContextPtr ctx = xmlXPathNewContext(doc);
    xmlXPathRegisterNs(ctx, (const xmlChar *)"xs", (const xmlChar *)"http://www.w3.org/2001/XMLSchema");

    /* The root, the submission and the record element. */
    xmlNodePtr root = one(ctx, NULL, "/xs:schema/xs:element[@name='%s']", s->xml_root);
    xmlNodePtr sub = one(ctx, NULL, "/xs:schema/xs:element[@name='%s']", s->xml_submission);
    ck_assert_msg(root && sub, "XSD: no global <%s> or <%s>", s->xml_root, s->xml_submission);
    ck_assert_ptr_nonnull(one(ctx, complex_type_of(ctx, root), "xs:sequence/xs:element[@name='%s']",
                              s->xml_submission));
    xmlNodePtr sub_type = complex_type_of(ctx, sub);
    ck_assert_ptr_nonnull(sub_type);
    xmlNodePtr rec_decl = one(ctx, sub_type, "xs:sequence/xs:element[@name='%s']", s->xml_records);
    ck_assert_msg(rec_decl != NULL, "XSD: no <%s> in <%s>", s->xml_records, s->xml_submission);
    ck_assert_str_eq(attr(rec_decl, "maxOccurs"), "unbounded");
    xmlNodePtr rec_type = complex_type_of(ctx, rec_decl);

    size_t leaves = 0;
    for (size_t f = 0; f < s->nfields; f++) {
        const struct tally_field_def *d = &s->fields[f];
        const struct tally_path *p = &d->xml;
        ck_assert_msg(p->segs && p->nsegs, "%s has no XML path", d->name);
        /* Walk the path: containers, then the element or attribute. */
        xmlNodePtr type = p->in_record ? rec_type : sub_type, decl = NULL;
        bool required = true;
        for (size_t i = 0; i < p->nsegs; i++) {
            const char *seg = p->segs[i];
            decl = seg[0] == '@' ? one(ctx, type, "xs:attribute[@name='%s']", seg + 1)
                                 : one(ctx, type, "xs:sequence/xs:element[@name='%s']", seg);
            ck_assert_msg(decl != NULL, "%s: XSD has no %s at %s", d->name, seg, d->xml_path);
            required = required && (seg[0] == '@' ? strcmp(attr(decl, "use"), "required") == 0
                                                  : strcmp(attr(decl, "minOccurs"), "0") != 0);
            if (i + 1 < p->nsegs)
                type = complex_type_of(ctx, decl);
        }
        ck_assert_msg(required == d->required, "%s: required %d in the schema, %d in the XSD",
                      d->name, d->required, required);
        leaves++;

        /* Its type, with every member of a union. */
        xmlNodePtr types[8];
        size_t nt = simple_types(ctx, attr(decl, "type"), types, 8);
        char buf[512];
        /* An empty value: a member type of length 0, or a token type that
         * no facet keeps from being empty. */
        bool found_base = false, empty_ok = false;
        for (size_t i = 0; i < nt; i++) {
            facet_values(ctx, types[i], "length", buf, sizeof buf);
            empty_ok = empty_ok || strcmp(buf, "0") == 0;
            char facets[512];
            facet_values(ctx, types[i], "*[@value and not(self::xs:maxLength)]", facets,
                         sizeof facets);
            empty_ok = empty_ok || (base_is(ctx, types[i], "xs:token") && !*facets);
        }
        ck_assert_msg(empty_ok == !d->required, "%s: an empty value is %s by the XSD", d->name,
                      empty_ok ? "allowed" : "refused");
        switch (d->type) {
        case TALLY_TYPE_INTEGER: {
            char symbols[16] = "";
            for (size_t i = 0; i < nt; i++) {
                if (base_is(ctx, types[i], "xs:nonNegativeInteger")) {
                    found_base = true;
                    facet_values(ctx, types[i], "minInclusive", buf, sizeof buf);
                    ck_assert_int_eq(atoll(buf), d->minimum);
                    facet_values(ctx, types[i], "maxInclusive", buf, sizeof buf);
                    ck_assert_int_eq(atoll(buf), d->maximum);
                    facet_values(ctx, types[i], "pattern", buf, sizeof buf);
                    ck_assert_str_eq(buf, "[0-9]+");
                } else if (base_is(ctx, types[i], "xs:token")) {
                    facet_values(ctx, types[i], "enumeration", buf, sizeof buf);
                    for (char *t = strtok(buf, "|"); t; t = strtok(NULL, "|"))
                        strncat(symbols, t, sizeof symbols - strlen(symbols) - 1);
                }
            }
            ck_assert_msg(found_base, "%s: no xs:nonNegativeInteger in its XSD type", d->name);
            ck_assert_str_eq(symbols, d->symbols ? d->symbols : "");
            break;
        }
        case TALLY_TYPE_DATE:
        case TALLY_TYPE_DATETIME: {
            const char *base = d->type == TALLY_TYPE_DATE ? "xs:date" : "xs:dateTime";
            for (size_t i = 0; i < nt; i++)
                found_base = found_base || base_is(ctx, types[i], base);
            ck_assert_msg(found_base, "%s: its XSD type is not based on %s", d->name, base);
            break;
        }
        case TALLY_TYPE_STRING:
            ck_assert_msg(base_is(ctx, types[0], "xs:token"), "%s: not an xs:token", d->name);
            facet_values(ctx, types[0], "pattern", buf, sizeof buf);
            if (d->pattern) {
                /* Table Schema anchors its pattern; XSD patterns are anchored. */
                char want[256];
                snprintf(want, sizeof want, "%s", d->pattern + (d->pattern[0] == '^'));
                size_t n = strlen(want);
                if (n && want[n - 1] == '$')
                    want[n - 1] = '\0';
                ck_assert_str_eq(buf, want);
            } else {
                ck_assert_str_eq(buf, "");
            }
            facet_values(ctx, types[0], "enumeration", buf, sizeof buf);
            char want[256] = "";
            for (size_t i = 0; i < d->n_enum; i++)
                snprintf(want + strlen(want), sizeof want - strlen(want), "%s%s", i ? "|" : "",
                         d->enum_values[i]);
            ck_assert_str_eq(buf, want);
            facet_values(ctx, types[0], "maxLength", buf, sizeof buf);
            ck_assert_int_eq(atoll(buf), (long long)d->max_length);
            break;
        }
    }

    /* And the other way: every value the XSD declares is a field of the schema. */
    xmlXPathObjectPtr o = query(ctx, NULL, "//xs:element[@type and not(/xs:schema/xs:complexType"
                                "/@name = @type)] | //xs:attribute");
    ck_assert_uint_eq((size_t)o->nodesetval->nodeNr, leaves);
    xmlXPathFreeObject(o);

    xmlXPathFreeContext(ctx);
    xmlFreeDoc(doc);
    tally_schema_free(s);
}
END_TEST

/* The XSD and the validator accept and refuse the same values. */
START_TEST(test_xsd_and_validator_agree_on_values)
{
    static const struct {
        const char *field;      /* schema field */
        const char *value;
        bool valid;
    } cases[] = {
        {"in_care", "0", true}, {"in_care", "1000000", true}, {"in_care", "1000001", false},
        {"in_care", "x", true}, {"in_care", "c", true}, {"in_care", "z", true},
        {"in_care", "y", false}, {"in_care", "12.5", false}, {"in_care", "+5", false},
        {"in_care", "-1", false}, {"in_care", "1,204", false}, {"in_care", "", false},
        {"in_care", " 42 ", true}, {"in_care", "007", true},
        {"authority_code", "E10000021", true}, {"authority_code", "E1000002", false},
        {"authority_code", "e10000021", false}, {"authority_code", "", false},
        {"period_end", "2015-09-30", true}, {"period_end", "2015-02-30", false},
        {"period_end", "30/09/2015", false}, {"period_end", "2015-09-30Z", false},
        {"period_end", "0999-09-30", false},
        {"submitted", "2015-11-02T10:00:00Z", true}, {"submitted", "2015-11-02T10:00:00+01:00", true},
        {"submitted", "2015-11-02T10:00:00.5Z", true}, {"submitted", "2015-11-02T10:00:00", false},
        {"submitted", "2015-11-02", false}, {"submitted", "", true},
        {"cohort", "trafficked", true}, {"cohort", "uasc", true}, {"cohort", "UASC", false},
        {"cohort", "", false},
        {"authority_name", "", true}, {"authority_name", "Northamptonshire", true},
    };
    xmlSchemaParserCtxtPtr pc = xmlSchemaNewMemParserCtxt(
        (const char *)tally_embedded_missing_from_care_xsd,
        (int)tally_embedded_missing_from_care_xsd_len);
    xmlSchemaPtr xsd = xmlSchemaParse(pc);
    ck_assert_ptr_nonnull(xsd);
    xmlSchemaValidCtxtPtr vc = xmlSchemaNewValidCtxt(xsd);
    xmlSchemaSetValidStructuredErrors(vc, ignore_error, NULL);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0] + 2; i++) {
        const char *field, *value;
        bool valid;
        char longname[256];
        if (i < sizeof cases / sizeof cases[0]) {
            field = cases[i].field;
            value = cases[i].value;
            valid = cases[i].valid;
        } else {                /* maxLength 200: 200 characters pass, 201 do not */
            size_t n = i == sizeof cases / sizeof cases[0] ? 200 : 201;
            memset(longname, 'n', n);
            longname[n] = '\0';
            field = "authority_name";
            value = longname;
            valid = n == 200;
        }
#define V(f, dflt) (strcmp(field, f) == 0 ? value : dflt)
        char text[2048];
        snprintf(text, sizeof text,
                 "<return><authority><code>%s</code><name>%s</name></authority>"
                 "<period><start>2014-10-01</start><end>%s</end></period>"
                 "<submitted>%s</submitted><cohort type=\"%s\"><in_care>%s</in_care>"
                 "<went_missing>0</went_missing><missing_incidents>0</missing_incidents>"
                 "<found>0</found><not_found>0</not_found></cohort></return>",
                 V("authority_code", "E10000021"), V("authority_name", ""),
                 V("period_end", "2015-09-30"), V("submitted", "2015-11-02T10:00:00Z"),
                 V("cohort", "uasc"), V("in_care", "5"));
#undef V
        xmlDocPtr doc = xmlReadMemory(text, (int)strlen(text), "case", NULL, XML_PARSE_NONET);
        ck_assert_ptr_nonnull(doc);
        bool xsd_valid = xmlSchemaValidateDoc(vc, doc) == 0;
        xmlFreeDoc(doc);
        ck_assert_msg(xsd_valid == valid, "XSD: %s \"%s\" should be %s", field, value,
                      valid ? "valid" : "invalid");

        /* The validator, on the same document read by the XML reader. */
        struct run r;
        run_xml(text, strlen(text), NULL, true, &r);
        size_t errors = 0;
        char want[64];
        snprintf(want, sizeof want, " field=%s", field);
        for (size_t k = 0; k < r.ndiags; k++)
            if (strstr(r.diags[k], want) && !strstr(r.diags[k], "authority-name"))
                errors++;
        ck_assert_msg((errors == 0) == valid, "validator: %s \"%s\" should be %s (%zu diagnostics)",
                      field, value, valid ? "valid" : "invalid", errors);
        ck_assert_msg(errors <= 1, "%s \"%s\": %zu diagnostics", field, value, errors);
        run_free(&r);
    }
    xmlSchemaFreeValidCtxt(vc);
    xmlSchemaFree(xsd);
    xmlSchemaFreeParserCtxt(pc);
}
END_TEST

/* ---- the writer ------------------------------------------------------------------ */

/* Read csv_path, validate every record (writers write validated records), and
 * write it with the XML writer.
 * Returns the XML (caller frees); *expect gets one "field=text|..." line per
 * record, of what the writer was given (caller frees). */
static char *csv_to_xml(const char *csv_path, char **expect)
{
    struct tally_error err;
    struct tally_schema *schema = tally_schema_load_default(&err);
    struct tally_registry *reg = tally_registry_load_default(&err);
    struct tally_diag_sink sink = {NULL, NULL};
    struct tally_validator *v = tally_validator_new(schema, reg, NULL, sink, &err);
    char *xml = NULL, *exp = NULL;
    size_t xml_len = 0, exp_len = 0;
    FILE *out = open_memstream(&xml, &xml_len);
    FILE *ex = open_memstream(&exp, &exp_len);
    const struct tally_writer_ops *wops = tally_writer_find("xml");
    struct tally_writer *w;
    ck_assert_int_eq(wops->open(&w, out, schema, &err), TALLY_OK);
    struct tally_input in;
    ck_assert_int_eq(tally_input_open(&in, csv_path, &err), TALLY_OK);
    struct tally_reader_config cfg = {.schema = schema, .sink = sink};
    struct tally_reader *r;
    const struct tally_reader_ops *rops = tally_reader_find("csv");
    ck_assert_int_eq(rops->open(&r, &in, &cfg, &err), TALLY_OK);
    struct tally_record *rec;
    while (rops->next(r, &rec, &err) == TALLY_RECORD) {
        ck_assert_int_eq(tally_validator_check(v, rec, &err), TALLY_OK);
        ck_assert_int_eq(wops->write(w, rec, &err), TALLY_OK);
        for (size_t i = 0; i < rec->nfields; i++) {
            size_t n;
            const char *t = tally_field_output(&rec->fields[i], &n);
            if (t)
                fprintf(ex, "%s=%.*s|", schema->fields[i].name, (int)n, t);
        }
        fputc('\n', ex);
    }
    ck_assert_int_eq(wops->finish(w, &err), TALLY_OK);
    wops->close(w);
    rops->close(r);
    tally_input_close(&in);
    fclose(out);
    fclose(ex);
    tally_validator_free(v);
    tally_registry_free(reg);
    tally_schema_free(schema);
    *expect = exp;
    return xml;
}

static bool xsd_valid(const char *xml)
{
    xmlSchemaParserCtxtPtr pc = xmlSchemaNewMemParserCtxt(
        (const char *)tally_embedded_missing_from_care_xsd,
        (int)tally_embedded_missing_from_care_xsd_len);
    xmlSchemaPtr xsd = xmlSchemaParse(pc);
    xmlSchemaValidCtxtPtr vc = xmlSchemaNewValidCtxt(xsd);
    xmlSchemaSetValidStructuredErrors(vc, ignore_error, NULL);
    xmlDocPtr doc = xmlReadMemory(xml, (int)strlen(xml), "out", NULL, XML_PARSE_NONET);
    bool ok = doc && xmlSchemaValidateDoc(vc, doc) == 0;
    xmlFreeDoc(doc);
    xmlSchemaFreeValidCtxt(vc);
    xmlSchemaFree(xsd);
    xmlSchemaFreeParserCtxt(pc);
    return ok;
}

START_TEST(test_writer_output_is_valid_and_grouped)
{
    char *expect;
    char *xml = csv_to_xml("fixtures/csv/valid.csv", &expect);
    ck_assert_msg(xsd_valid(xml), "not valid against the XSD:\n%s", xml);
    /* Six submissions (one per authority), ten records. */
    size_t returns = 0, cohorts = 0;
    for (const char *p = xml; (p = strstr(p, "<return>")); p++)
        returns++;
    for (const char *p = xml; (p = strstr(p, "<cohort ")); p++)
        cohorts++;
    ck_assert_uint_eq(returns, 6);
    ck_assert_uint_eq(cohorts, 10);
    ck_assert_ptr_nonnull(strstr(xml,
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        "<returns>\n"
        "  <return>\n"
        "    <authority>\n"
        "      <code>E10000021</code>\n"
        "      <name>Northamptonshire</name>\n"
        "    </authority>\n"
        "    <period>\n"
        "      <start>2014-10-01</start>\n"
        "      <end>2015-09-30</end>\n"
        "    </period>\n"
        "    <submitted>2015-11-02T10:00:00Z</submitted>\n"
        "    <cohort type=\"trafficked\">\n"
        "      <in_care>42</in_care>\n"
        "      <went_missing>15</went_missing>\n"
        "      <missing_incidents>41</missing_incidents>\n"
        "      <found>12</found>\n"
        "      <not_found>3</not_found>\n"
        "    </cohort>\n"
        "    <cohort type=\"uasc\">\n"));
    /* Thurrock has no submitted time: the element is left out. */
    ck_assert_ptr_nonnull(strstr(xml, "      <end>2015-09-30</end>\n    </period>\n"
                                      "    <cohort type=\"trafficked\">\n      <in_care>57<"));
    ck_assert_ptr_nonnull(strstr(xml, "  </return>\n</returns>\n"));
    free(xml);
    free(expect);
}
END_TEST

/* CSV → XML → records gives the records the CSV held. */
START_TEST(test_round_trip)
{
    char *expect;
    char *xml = csv_to_xml("fixtures/csv/valid.csv", &expect);
    struct run r;
    run_xml(xml, strlen(xml), NULL, true, &r);
    ck_assert_uint_eq(r.ndiags, 0);
    ck_assert_uint_eq(r.nrecs, 10);
    const char *line = expect;
    for (size_t i = 0; i < r.nrecs; i++) {
        size_t n = strcspn(line, "\n");
        ck_assert_int_eq((int)strlen(r.values[i]), (int)n);
        ck_assert_msg(strncmp(r.values[i], line, n) == 0, "record %zu:\n  %s\n  %.*s", i + 1,
                      r.values[i], (int)n, line);
        line += n + 1;
    }
    run_free(&r);
    free(xml);
    free(expect);
}
END_TEST

START_TEST(test_writer_escapes)
{
    char path[] = "/tmp/tally-xmlw-XXXXXX";
    int fd = mkstemp(path);
    /* A code the registry does not know, so the names stay as written. */
    static const char csv[] =
        "authority_code,authority_name,period_start,period_end,cohort,in_care,went_missing,"
        "missing_incidents,found,not_found\n"
        "E99999999,\"A & B <\"\"x\"\"> 'y'\",2014-10-01,2015-09-30,uasc,1,0,0,0,0\n"
        "E99999999,\"C\x01" "D\",2014-10-01,2015-09-30,trafficked,1,0,0,0,0\n";
    ck_assert_int_eq((long)write(fd, csv, sizeof csv - 1), (long)(sizeof csv - 1));
    close(fd);
    char *expect;
    char *xml = csv_to_xml(path, &expect);
    unlink(path);
    ck_assert_ptr_nonnull(strstr(xml, "<name>A &amp; B &lt;&quot;x&quot;&gt; &apos;y&apos;</name>"));
    /* A control character cannot be XML: it becomes U+FFFD. */
    ck_assert_ptr_nonnull(strstr(xml, "<name>C\xEF\xBF\xBD" "D</name>"));
    struct run r;
    run_xml(xml, strlen(xml), NULL, false, &r);
    ck_assert_uint_eq(r.ndiags, 0);
    ck_assert_uint_eq(r.nrecs, 2);
    ck_assert_ptr_nonnull(strstr(r.values[0], "authority_name=A & B <\"x\"> 'y'|"));
    run_free(&r);
    free(xml);
    free(expect);
}
END_TEST

START_TEST(test_writer_no_records)
{
    char path[] = "/tmp/tally-xmlw-XXXXXX";
    int fd = mkstemp(path);
    static const char csv[] = "authority_code,period_start,period_end,cohort,in_care,went_missing,"
                              "missing_incidents,found,not_found\n";
    ck_assert_int_eq((long)write(fd, csv, sizeof csv - 1), (long)(sizeof csv - 1));
    close(fd);
    char *expect;
    char *xml = csv_to_xml(path, &expect);
    unlink(path);
    ck_assert_str_eq(xml, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<returns>\n</returns>\n");
    ck_assert(xsd_valid(xml));
    free(xml);
    free(expect);
}
END_TEST

Suite *xml_suite(void)
{
    Suite *s = suite_create("xml");
    TCase *tc = tcase_create("reader");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_spec_example_positions_and_xpaths);
    tcase_add_test(tc, test_same_records_as_csv);
    tcase_add_test(tc, test_single_return_root);
    tcase_add_test(tc, test_values_whitespace_entities_and_columns);
    tcase_add_test(tc, test_absent_optional_fields_and_many_returns);
    tcase_add_test(tc, test_malformed);
    tcase_add_test(tc, test_schema_violations);
    tcase_add_test(tc, test_one_diagnostic_per_mistake);
    tcase_add_test(tc, test_unknown_root_and_namespace);
    tcase_add_test(tc, test_empty_and_no_records);
    tcase_add_test(tc, test_doctype_is_rejected);
    tcase_add_test(tc, test_xxe_reads_nothing);
    tcase_add_test(tc, test_billion_laughs_is_quick);
    tcase_add_test(tc, test_external_dtd_not_fetched);
    tcase_add_test(tc, test_encoding_errors);
    tcase_add_test(tc, test_limits);
    tcase_add_test(tc, test_many_records);
    tcase_add_test(tc, test_other_schema_without_xsd);
    tcase_add_test(tc, test_registered);
    suite_add_tcase(s, tc);
    TCase *tx = tcase_create("xsd");
    tcase_add_test(tx, test_xsd_agrees_with_schema);
    tcase_add_test(tx, test_xsd_and_validator_agree_on_values);
    suite_add_tcase(s, tx);
    TCase *tw = tcase_create("writer");
    tcase_add_test(tw, test_writer_output_is_valid_and_grouped);
    tcase_add_test(tw, test_round_trip);
    tcase_add_test(tw, test_writer_escapes);
    tcase_add_test(tw, test_writer_no_records);
    suite_add_tcase(s, tw);
    return s;
}
