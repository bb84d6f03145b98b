/*
 * bench/gen.c — a deterministic generator of returns for the benchmark.
 *
 *   bench-gen [-n N] [--defective] [--registry FILE] csv|json|ndjson|xml
 *
 * writes N records (default 1000) to standard output in the given format.
 * The same N gives the same records, byte for byte, in every format, on every
 * machine: the values come from a fixed-seed splitmix64, not from rand().
 *
 * Records are realistic and valid:
 *
 *   - periods are consecutive quarters from 2010-01-01 (Q1 2010, Q2 2010, ...);
 *   - for each quarter, every authority of the registry (schemas/authorities.csv,
 *     read at run time) in force on the quarter's last day, in registry order,
 *     with the registry's own name;
 *   - two records per authority and quarter, one per cohort (trafficked,
 *     uasc): one submission in JSON, NDJSON and XML;
 *
 * so every primary key (authority_code, period_start, period_end, cohort) is
 * distinct: ~400 keys per quarter, a million records is ~2,400 quarters.
 * Counts satisfy every rule of schemas/missing-from-care.schema.json
 * (found + not_found == went_missing <= in_care, went_missing <=
 * missing_incidents <= 3 * went_missing, ...). Some records use the symbols of
 * official statistics: ~3% suppress the four missing counts as c, ~1% have
 * in_care x, ~0.5% are z throughout.
 *
 * --defective damages ~1% of the records, one kind of defect at a time, in
 * rotation, the same in every format: a rule broken (found + not_found !=
 * went_missing; went_missing > in_care), a count that is not a count (12.5),
 * a required count missing (empty cell, JSON null, empty element), an unknown
 * cohort, an authority code that fails the pattern, an unknown authority, an
 * impossible date. The last three belong to the submission, so they damage
 * both of its records.
 *
 * Output goes through one large stdio buffer; the generator is not what the
 * benchmark measures, but a million records should take a second, not a minute.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_AUTH 1024
#define FIELD 256

struct authority {
    char code[16];
    char name[FIELD];
    char valid_from[16];    /* YYYY-MM-DD */
    char valid_to[16];      /* YYYY-MM-DD, or "" when still in force */
};

static struct authority auth[MAX_AUTH];
static size_t nauth;

enum format { CSV, JSON, NDJSON, XML };

/* ---- the registry ------------------------------------------------------- */

/* Split one CSV line (RFC 4180 quoting; no line breaks inside values, which
 * the registry does not have) into at most max fields of FIELD bytes. */
static size_t split_csv(const char *line, char fields[][FIELD], size_t max)
{
    size_t n = 0;
    const char *p = line;
    for (;;) {
        if (n == max)
            return n;
        char *out = fields[n];
        size_t len = 0;
        if (*p == '"') {
            for (p++; *p; p++) {
                if (*p == '"') {
                    if (p[1] == '"') {
                        p++;
                    } else {
                        p++;
                        break;
                    }
                }
                if (len + 1 < FIELD)
                    out[len++] = *p;
            }
        }
        for (; *p && *p != ',' && *p != '\n' && *p != '\r'; p++)
            if (len + 1 < FIELD)
                out[len++] = *p;
        out[len] = '\0';
        n++;
        if (*p != ',')
            return n;
        p++;
    }
}

static int column(char header[][FIELD], size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(header[i], name) == 0)
            return (int)i;
    return -1;
}

static int load_registry(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        fprintf(stderr, "bench-gen: %s: %s\n", path, strerror(errno));
        return -1;
    }
    char line[4096];
    static char fields[16][FIELD];
    if (!fgets(line, sizeof line, f)) {
        fprintf(stderr, "bench-gen: %s: empty\n", path);
        fclose(f);
        return -1;
    }
    size_t nh = split_csv(line, fields, 16);
    int c_code = column(fields, nh, "code"), c_name = column(fields, nh, "name");
    int c_from = column(fields, nh, "valid_from"), c_to = column(fields, nh, "valid_to");
    if (c_code < 0 || c_name < 0 || c_from < 0 || c_to < 0) {
        fprintf(stderr, "bench-gen: %s: needs columns code, name, valid_from, valid_to\n", path);
        fclose(f);
        return -1;
    }
    while (fgets(line, sizeof line, f) && nauth < MAX_AUTH) {
        size_t n = split_csv(line, fields, 16);
        if (n < nh || fields[c_code][0] == '\0')
            continue;
        struct authority *a = &auth[nauth++];
        snprintf(a->code, sizeof a->code, "%s", fields[c_code]);
        snprintf(a->name, sizeof a->name, "%s", fields[c_name]);
        snprintf(a->valid_from, sizeof a->valid_from, "%s", fields[c_from]);
        snprintf(a->valid_to, sizeof a->valid_to, "%s", fields[c_to]);
    }
    fclose(f);
    if (nauth == 0) {
        fprintf(stderr, "bench-gen: %s: no authorities\n", path);
        return -1;
    }
    return 0;
}

static int in_force(const struct authority *a, const char *date)
{
    return strcmp(a->valid_from, date) <= 0 &&
           (a->valid_to[0] == '\0' || strcmp(date, a->valid_to) <= 0);
}

/* ---- values ------------------------------------------------------------- */

static uint64_t rng_state = 0x7a11e55eedULL;

static uint64_t next_random(void)
{
    uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static unsigned below(unsigned n)   /* 0 .. n-1 */
{
    return n ? (unsigned)(next_random() % n) : 0;
}

/* Defects, in rotation. The first three belong to the submission. */
enum defect {
    D_NONE = -1,
    D_CODE_PATTERN, /* authority code E1000002: fails ^[ENSW][0-9]{8}$ */
    D_CODE_UNKNOWN, /* E10999999: no such authority */
    D_DATE,         /* period_end 2015-02-30 style: not a date */
    D_SUM,          /* found + not_found != went_missing */
    D_OVER,         /* went_missing > in_care */
    D_TYPE,         /* in_care 12.5 */
    D_REQUIRED,     /* not_found missing */
    D_COHORT,       /* cohort "adults" */
    D_KINDS
};

#define NCOUNTS 5
static const char *const count_names[NCOUNTS] = {
    "in_care", "went_missing", "missing_incidents", "found", "not_found"};

struct record {
    const struct authority *a;
    const char *code;           /* may be damaged */
    char start[16], end[16], submitted[32];
    const char *cohort;
    char counts[NCOUNTS][16];   /* "" = missing */
    int quoted[NCOUNTS];        /* JSON: write as a string ("c", "12.5" stays a number) */
};

static void make_counts(struct record *r, int uasc)
{
    unsigned in_care, went, incidents, found, not_found;
    /* Most authorities have a few trafficked children and tens of UASC;
     * a few (Kent, Thurrock, Croydon) have hundreds. */
    if (below(40) == 0)
        in_care = 100 + below(uasc ? 900 : 150);
    else
        in_care = uasc ? below(120) : below(25);
    went = in_care ? below(in_care * 3 / 10 + 2) : 0;
    if (went > in_care)
        went = in_care;
    not_found = went ? below(went / 3 + 1) : 0;
    found = went - not_found;
    incidents = went ? went + below(2 * went + 1) : 0;

    unsigned v[NCOUNTS] = {in_care, went, incidents, found, not_found};
    for (int i = 0; i < NCOUNTS; i++) {
        snprintf(r->counts[i], sizeof r->counts[i], "%u", v[i]);
        r->quoted[i] = 0;
    }
    unsigned s = below(1000);
    if (s < 30) {                       /* suppressed: small numbers withheld */
        for (int i = 1; i < NCOUNTS; i++) {
            strcpy(r->counts[i], "c");
            r->quoted[i] = 1;
        }
    } else if (s < 40) {                /* in_care not held */
        strcpy(r->counts[0], "x");
        r->quoted[0] = 1;
    } else if (s < 45) {                /* not applicable */
        for (int i = 0; i < NCOUNTS; i++) {
            strcpy(r->counts[i], "z");
            r->quoted[i] = 1;
        }
    }
}

static void damage_record(struct record *r, enum defect d)
{
    switch (d) {
    case D_SUM:
        for (int i = 0; i < NCOUNTS; i++) {      /* numbers, so the rule is evaluated */
            snprintf(r->counts[i], sizeof r->counts[i], "%d", (int[]){40, 10, 20, 8, 1}[i]);
            r->quoted[i] = 0;
        }
        break;
    case D_OVER:
        for (int i = 0; i < NCOUNTS; i++) {
            snprintf(r->counts[i], sizeof r->counts[i], "%d", (int[]){5, 9, 12, 6, 3}[i]);
            r->quoted[i] = 0;
        }
        break;
    case D_TYPE:
        strcpy(r->counts[0], "12.5");
        r->quoted[0] = 0;
        break;
    case D_REQUIRED:
        r->counts[4][0] = '\0';
        break;
    case D_COHORT:
        r->cohort = "adults";
        break;
    default:
        break;
    }
}

/* ---- writers ------------------------------------------------------------ */

static void put_csv_text(const char *s)
{
    if (strpbrk(s, ",\"\r\n")) {
        putchar('"');
        for (; *s; s++) {
            if (*s == '"')
                putchar('"');
            putchar(*s);
        }
        putchar('"');
    } else {
        fputs(s, stdout);
    }
}

static void put_json_text(const char *s)
{
    putchar('"');
    for (; *s; s++) {
        if (*s == '"' || *s == '\\')
            putchar('\\');
        putchar(*s);
    }
    putchar('"');
}

static void put_xml_text(const char *s)
{
    for (; *s; s++) {
        switch (*s) {
        case '&': fputs("&amp;", stdout); break;
        case '<': fputs("&lt;", stdout); break;
        case '>': fputs("&gt;", stdout); break;
        case '"': fputs("&quot;", stdout); break;
        default: putchar(*s);
        }
    }
}

static void put_json_count(const struct record *r, int i)
{
    if (r->counts[i][0] == '\0')
        fputs("null", stdout);
    else if (r->quoted[i])
        put_json_text(r->counts[i]);
    else
        fputs(r->counts[i], stdout);
}

static void csv_record(const struct record *r)
{
    fputs(r->code, stdout);
    putchar(',');
    put_csv_text(r->a->name);
    printf(",%s,%s,%s,%s", r->start, r->end, r->submitted, r->cohort);
    for (int i = 0; i < NCOUNTS; i++)
        printf(",%s", r->counts[i]);
    putchar('\n');
}

/* A submission: one or two records of the same authority and period. */
static void json_submission(const struct record *r, int n, enum format f, int first)
{
    if (f == JSON)
        fputs(first ? "\n" : ",\n", stdout);
    fputs("{\"authority\": {\"code\": ", stdout);
    put_json_text(r[0].code);
    fputs(", \"name\": ", stdout);
    put_json_text(r[0].a->name);
    printf("}, \"period\": {\"start\": \"%s\", \"end\": \"%s\"}, \"submitted\": \"%s\", \"cohorts\": [",
           r[0].start, r[0].end, r[0].submitted);
    for (int k = 0; k < n; k++) {
        fputs(k ? ", {\"cohort\": " : "{\"cohort\": ", stdout);
        put_json_text(r[k].cohort);
        for (int i = 0; i < NCOUNTS; i++) {
            printf(", \"%s\": ", count_names[i]);
            put_json_count(&r[k], i);
        }
        putchar('}');
    }
    fputs("]}", stdout);
    if (f == NDJSON)
        putchar('\n');
}

static void xml_submission(const struct record *r, int n)
{
    fputs("  <return>\n    <authority><code>", stdout);
    put_xml_text(r[0].code);
    fputs("</code><name>", stdout);
    put_xml_text(r[0].a->name);
    printf("</name></authority>\n    <period><start>%s</start><end>%s</end></period>\n"
           "    <submitted>%s</submitted>\n",
           r[0].start, r[0].end, r[0].submitted);
    for (int k = 0; k < n; k++) {
        fputs("    <cohort type=\"", stdout);
        put_xml_text(r[k].cohort);
        fputs("\">\n      ", stdout);
        for (int i = 0; i < NCOUNTS; i++) {
            printf("<%s>", count_names[i]);
            put_xml_text(r[k].counts[i]);
            printf("</%s>", count_names[i]);
        }
        fputs("\n    </cohort>\n", stdout);
    }
    fputs("  </return>\n", stdout);
}

static void emit(const struct record *r, int n, enum format f, uint64_t submission)
{
    switch (f) {
    case CSV:
        for (int k = 0; k < n; k++)
            csv_record(&r[k]);
        break;
    case JSON:
    case NDJSON:
        json_submission(r, n, f, submission == 0);
        break;
    case XML:
        xml_submission(r, n);
        break;
    }
}

/* ---- main --------------------------------------------------------------- */

static void usage(void)
{
    fputs("usage: bench-gen [-n N] [--defective] [--registry FILE] csv|json|ndjson|xml\n", stderr);
    exit(2);
}

int main(int argc, char **argv)
{
    uint64_t n = 1000;
    int defective = 0;
    const char *registry = "schemas/authorities.csv";
    const char *fmt = NULL;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "-n") == 0 && i + 1 < argc) {
            char *end;
            errno = 0;
            n = strtoull(argv[++i], &end, 10);
            if (errno || *end)
                usage();
        } else if (strcmp(argv[i], "--defective") == 0) {
            defective = 1;
        } else if (strcmp(argv[i], "--registry") == 0 && i + 1 < argc) {
            registry = argv[++i];
        } else if (argv[i][0] != '-' && !fmt) {
            fmt = argv[i];
        } else {
            usage();
        }
    }
    if (!fmt)
        usage();
    enum format f;
    if (strcmp(fmt, "csv") == 0)
        f = CSV;
    else if (strcmp(fmt, "json") == 0)
        f = JSON;
    else if (strcmp(fmt, "ndjson") == 0)
        f = NDJSON;
    else if (strcmp(fmt, "xml") == 0)
        f = XML;
    else
        usage();
    if (load_registry(registry) != 0)
        return 2;

    static char buf[1 << 20];
    setvbuf(stdout, buf, _IOFBF, sizeof buf);

    switch (f) {
    case CSV:
        fputs("authority_code,authority_name,period_start,period_end,submitted,cohort,"
              "in_care,went_missing,missing_incidents,found,not_found\n", stdout);
        break;
    case JSON:
        putchar('[');
        break;
    case NDJSON:
        break;
    case XML:
        fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<returns>\n", stdout);
        break;
    }

    static const char *const q_start[4] = {"01-01", "04-01", "07-01", "10-01"};
    static const char *const q_end[4] = {"03-31", "06-30", "09-30", "12-31"};
    uint64_t written = 0, submission = 0;
    unsigned kind = 0;
    for (unsigned quarter = 0; written < n; quarter++) {
        unsigned year = 2010 + quarter / 4, q = quarter % 4;
        if (year > 9999) {
            fputs("bench-gen: N too large: periods would pass the year 9999\n", stderr);
            return 2;
        }
        char start[16], end[16], submitted[32];
        snprintf(start, sizeof start, "%04u-%s", year, q_start[q]);
        snprintf(end, sizeof end, "%04u-%s", year, q_end[q]);
        /* Submitted on the 15th of the month after the quarter. */
        snprintf(submitted, sizeof submitted, "%04u-%02u-15T10:00:00Z",
                 q == 3 ? year + 1 : year, q == 3 ? 1 : 3 * q + 4);
        size_t in_quarter = 0;
        for (size_t i = 0; i < nauth && written < n; i++) {
            if (!in_force(&auth[i], end))
                continue;
            in_quarter++;
            struct record r[2];
            int nr = (n - written >= 2) ? 2 : 1;
            enum defect d = D_NONE;
            /* One submission in 64 is damaged: ~1% of the records. */
            if (defective && submission % 64 == 32)
                d = (enum defect)(kind++ % D_KINDS);
            for (int k = 0; k < nr; k++) {
                r[k].a = &auth[i];
                r[k].code = auth[i].code;
                memcpy(r[k].start, start, sizeof start);
                memcpy(r[k].end, end, sizeof end);
                memcpy(r[k].submitted, submitted, sizeof r[k].submitted);
                r[k].cohort = k ? "uasc" : "trafficked";
                make_counts(&r[k], k);
                if (d == D_CODE_PATTERN)
                    r[k].code = "E1000002";
                else if (d == D_CODE_UNKNOWN)
                    r[k].code = "E10999999";
                else if (d == D_DATE)
                    snprintf(r[k].end, sizeof r[k].end, "%04u-02-30", year);
                else if (d != D_NONE && k == 0)
                    damage_record(&r[k], d);
            }
            emit(r, nr, f, submission);
            written += (uint64_t)nr;
            submission++;
        }
        if (in_quarter == 0) {
            fprintf(stderr, "bench-gen: no authority in force on %s\n", end);
            return 2;
        }
    }

    switch (f) {
    case CSV:
    case NDJSON:
        break;
    case JSON:
        fputs("\n]\n", stdout);
        break;
    case XML:
        fputs("</returns>\n", stdout);
        break;
    }
    if (fflush(stdout) != 0 || ferror(stdout)) {
        fprintf(stderr, "bench-gen: write error: %s\n", strerror(errno));
        return 2;
    }
    return 0;
}
