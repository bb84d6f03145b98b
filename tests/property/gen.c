/*
 * gen.c — random returns for the "nothing lost" property test (check.sh).
 *
 *   gen SEED AUTHORITIES_CSV DIR
 *
 * writes a random set of returns into DIR/returns/ (CSV, JSON with flat and
 * nested submissions, NDJSON) and what should become of every record in
 * DIR/truth.csv, one line per record a reader will hand out:
 *
 *   file,line,expect,group,authority_code,period_start,period_end,cohort,
 *   in_care,went_missing,missing_incidents,found,not_found
 *
 * expect is one of
 *   accepted    a valid record whose key nobody else uses
 *   rejected    a record with a defect (its values are not given)
 *   superseded  an earlier submission of a key that a later one replaced
 *   latest      that later submission: accepted
 *   duplicate   one of a group of identical records: exactly one is accepted
 *   conflict    one of a group of different records with no submitted time
 *               to choose between them: all rejected
 * and group ties the records of one key together. Values are given as the
 * dataset must show them (numbers, or a symbol such as "c").
 *
 * Keys repeat across files in every way the rule of src/core/settle.h
 * tells apart: resubmissions (the latest wins), resubmissions whose latest
 * is itself rejected (the earlier ones are still superseded, identical or
 * not), a rejected submission followed by a valid one, a record without a
 * submitted time beside a rejected one (accepted), two submissions at the
 * same latest time with different values (the earlier superseded, the latest
 * in conflict; or one a local time hours from the other, so neither is
 * certainly later), identical records, and different ones with no time
 * (conflict). Some submitted times are local (no offset): a warning, and
 * known to within 14 hours, so 10 days apart still decide.
 * A rejected record in such a group has a defect that leaves its key and
 * submitted time readable (a bad count, a broken rule), so it takes part.
 *
 * Odd seeds give counts of a few children (in_care below 14), so that many
 * fall in the range disclosure control suppresses; even seeds up to 3,000.
 *
 * Defects, one per defective record, chosen at random: a count that is not a
 * count (12.5, -1, forty, 1,204, true), a count above the maximum, each rule
 * of severity error broken (a warning rule broken is a valid record's lot), an unknown authority code, a code of the wrong shape, a missing
 * required field, a cohort not in the list, an impossible date, invalid UTF-8,
 * a NUL byte, a ragged CSV row, a stray quote, an unterminated quote (last
 * row of a CSV file), a JSON syntax error (a missing colon: the NDJSON line,
 * or the last element of a JSON array, is one broken record; elsewhere an
 * invalid escape, which rejects the record and reading goes on), an encoding
 * error or an invalid escape inside a nested submission (every cohort of it
 * is rejected). Keys are never shared between scenarios, so each record's
 * fate follows from its own scenario alone.
 */
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* ---- randomness ----------------------------------------------------------------- */

static uint64_t rng;

static uint64_t next(void)     /* xorshift64* */
{
    rng ^= rng >> 12;
    rng ^= rng << 25;
    rng ^= rng >> 27;
    return rng * 2685821657736338717ull;
}

static unsigned pick(unsigned n)  /* 0 .. n-1 */
{
    return (unsigned)(next() % n);
}

static bool chance(unsigned percent)
{
    return pick(100) < percent;
}

/* ---- the registry: authorities in force for both periods ------------------------- */

struct authority {
    char code[16];
    char name[128];
};

static struct authority *auths;
static size_t nauths;

/* Split one CSV line (RFC 4180 quotes, no newlines inside) into at most max fields. */
static size_t split_csv(char *line, char **fields, size_t max)
{
    size_t n = 0;
    char *w = line, *r = line;
    while (n < max) {
        fields[n++] = w;
        bool quoted = *r == '"';
        if (quoted)
            r++;
        for (;;) {
            if (quoted && r[0] == '"' && r[1] == '"') {
                *w++ = '"';
                r += 2;
            } else if (quoted && r[0] == '"') {
                quoted = false;
                r++;
            } else if (!quoted && (*r == ',' || *r == '\0' || *r == '\n' || *r == '\r')) {
                break;
            } else {
                *w++ = *r++;
            }
        }
        char c = *r;
        *w++ = '\0';
        if (c != ',')
            break;
        r++;
    }
    return n;
}

static void load_authorities(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        perror(path);
        exit(2);
    }
    char line[1024];
    bool header = true;
    while (fgets(line, sizeof line, f)) {
        char *v[8];
        if (header || split_csv(line, v, 8) < 6) {
            header = false;
            continue;
        }
        /* in force on 2014-10-01 and still in force: valid for both periods */
        if (strcmp(v[4], "2014-10-01") > 0 || v[5][0] != '\0')
            continue;
        auths = realloc(auths, (nauths + 1) * sizeof *auths);
        snprintf(auths[nauths].code, sizeof auths[nauths].code, "%s", v[0]);
        snprintf(auths[nauths].name, sizeof auths[nauths].name, "%s", v[1]);
        nauths++;
    }
    fclose(f);
    if (nauths == 0) {
        fprintf(stderr, "gen: no authorities in %s\n", path);
        exit(2);
    }
}

/* ---- records ------------------------------------------------------------------------ */

enum { F_CODE, F_NAME, F_START, F_END, F_SUBMITTED, F_COHORT, F_IN_CARE, F_WENT, F_INCIDENTS,
       F_FOUND, F_NOT_FOUND, NF };

static const char *const names[NF] = {"authority_code", "authority_name", "period_start",
                                      "period_end", "submitted", "cohort", "in_care",
                                      "went_missing", "missing_incidents", "found", "not_found"};
static const char *const periods[2][2] = {{"2014-10-01", "2015-09-30"},
                                          {"2015-10-01", "2016-09-30"}};
static const char *const cohorts[2] = {"trafficked", "uasc"};

enum defect {
    D_NONE = 0,
    D_COUNT_TEXT,       /* 12.5, -1, forty, 1,204 */
    D_COUNT_BIG,        /* above the maximum */
    D_RULE,             /* one of the schema's rules broken */
    D_UNKNOWN_CODE,     /* E99999xxx: the right shape, not in the registry */
    D_BAD_CODE,         /* the wrong shape */
    D_MISSING,          /* a required field empty */
    D_COHORT,           /* not one of the cohorts */
    D_DATE,             /* 2015-02-30 */
    D_UTF8,             /* an invalid byte in the name */
    D_NUL,              /* a NUL byte in the name */
    D_RAGGED,           /* CSV: one field too many */
    D_QUOTE,            /* CSV: a quote inside an unquoted value */
    D_UNTERMINATED,     /* CSV: an unterminated quote (last row only) */
    D_SYNTAX,           /* JSON: a missing colon (NDJSON, or the last element of a
                           JSON array: the rest is not read), else a bad escape */
    D_JSON_BOOL,        /* JSON: a count that is true */
    ND
};

struct rec {
    char v[NF][64];     /* texts as written; "" = absent / empty */
    bool has_submitted;
    enum defect defect;
    bool keep_key;      /* its defect must leave key and submitted readable */
    const char *expect;
    unsigned group;
    bool used;          /* written to a file already */
};

static struct rec *recs;
static size_t nrecs, caprecs;
static unsigned char *key_used;     /* [auth][period][cohort] */
static unsigned groups;

static struct rec *new_rec(void)
{
    if (nrecs == caprecs) {
        caprecs = caprecs ? 2 * caprecs : 256;
        recs = realloc(recs, caprecs * sizeof *recs);
    }
    struct rec *r = &recs[nrecs++];
    memset(r, 0, sizeof *r);
    return r;
}

/* A free key, or false when none is left. */
static bool free_key(size_t *a, unsigned *p, unsigned *c)
{
    for (int tries = 0; tries < 64; tries++) {
        *a = pick((unsigned)nauths);
        *p = pick(2);
        *c = pick(2);
        unsigned char *u = &key_used[(*a * 2 + *p) * 2 + *c];
        if (!*u) {
            *u = 1;
            return true;
        }
    }
    return false;
}

static bool small_counts;   /* odd seeds: counts of a few children, for disclosure control */

/* Valid counts that satisfy every rule; some become symbols. */
static void valid_counts(struct rec *r)
{
    int64_t in_care = pick(5) == 0 ? 0 : pick(small_counts ? 14 : 3000);
    int64_t went = in_care ? pick((unsigned)in_care + 1) : 0;
    int64_t found = went ? pick((unsigned)went + 1) : 0;
    int64_t not_found = went - found;
    int64_t inc = went ? went + pick((unsigned)(went * 4) + 1) : 0;
    if (went && chance(3))
        inc = 100 * went + 1 + pick(10);    /* incidents-plausible: a warning, still accepted */
    int64_t n[5] = {in_care, went, inc, found, not_found};
    for (int i = 0; i < 5; i++) {
        if (chance(4))
            snprintf(r->v[F_IN_CARE + i], sizeof r->v[0], "%c", "xcz"[pick(3)]);
        else
            snprintf(r->v[F_IN_CARE + i], sizeof r->v[0], "%" PRId64, n[i]);
    }
}

static void fill(struct rec *r, size_t a, unsigned p, unsigned c)
{
    snprintf(r->v[F_CODE], sizeof r->v[0], "%s", auths[a].code);
    if (!chance(20))
        snprintf(r->v[F_NAME], sizeof r->v[0], "%.63s", auths[a].name);
    snprintf(r->v[F_START], sizeof r->v[0], "%s", periods[p][0]);
    snprintf(r->v[F_END], sizeof r->v[0], "%s", periods[p][1]);
    snprintf(r->v[F_COHORT], sizeof r->v[0], "%s", cohorts[c]);
    valid_counts(r);
}

/* A submitted time; local: without an offset (a datetime-no-offset warning;
 * known to within 14 hours, which the 10 days between resubmissions leave
 * certain). */
static void put_submitted(struct rec *r, unsigned day, unsigned hour, bool local)
{
    snprintf(r->v[F_SUBMITTED], sizeof r->v[0], "2016-%02u-%02uT%02u:00:00%s", 1 + day / 28,
             1 + day % 28, hour, local ? "" : "Z");
    r->has_submitted = true;
}

/* One time in seven local: chosen from the time itself, not drawn, so the
 * random sequence — and every other value of a seed's returns — is what it
 * was before local times were added. */
static void set_submitted(struct rec *r, unsigned day, unsigned hour)
{
    put_submitted(r, day, hour, (day * 24 + hour) % 7 == 3);
}

/* Make r defective in one of the ways its file's format can hold. */
static void add_defect(struct rec *r, char format, bool last_row)
{
    enum defect d;
    for (;;) {
        d = (enum defect)(1 + pick(ND - 1));
        if ((d == D_RAGGED || d == D_QUOTE) && format != 'c')
            continue;
        if (d == D_UNTERMINATED && !(format == 'c' && last_row))
            continue;
        if ((d == D_SYNTAX || d == D_JSON_BOOL) && format == 'c')
            continue;
        if (r->keep_key && d != D_COUNT_TEXT && d != D_COUNT_BIG && d != D_RULE && d != D_JSON_BOOL)
            continue;
        break;
    }
    r->defect = d;
    int count = F_IN_CARE + (int)pick(5);
    static const char *const bad_counts[] = {"12.5", "-1", "forty", "1,204", "+3", "0x10"};
    switch (d) {
    case D_COUNT_TEXT:
        snprintf(r->v[count], sizeof r->v[0], "%s", bad_counts[pick(6)]);
        break;
    case D_COUNT_BIG:
        snprintf(r->v[count], sizeof r->v[0], "%s", pick(2) ? "1000001" : "99999999999999999999999");
        break;
    case D_RULE:
        /* numbers everywhere, then one rule broken */
        snprintf(r->v[F_IN_CARE], sizeof r->v[0], "50");
        snprintf(r->v[F_WENT], sizeof r->v[0], "10");
        snprintf(r->v[F_INCIDENTS], sizeof r->v[0], "20");
        snprintf(r->v[F_FOUND], sizeof r->v[0], "6");
        snprintf(r->v[F_NOT_FOUND], sizeof r->v[0], "4");
        switch (pick(r->keep_key ? 5 : 6)) {    /* the rules of severity error */
        case 0: snprintf(r->v[F_WENT], sizeof r->v[0], "60"); break;          /* went > in_care */
        case 1: snprintf(r->v[F_FOUND], sizeof r->v[0], "11"); break;         /* found > went */
        case 2: snprintf(r->v[F_NOT_FOUND], sizeof r->v[0], "5"); break;      /* sum broken */
        case 3: snprintf(r->v[F_INCIDENTS], sizeof r->v[0], "9"); break;      /* incidents < went */
        case 4:                                                               /* incidents, none went */
            snprintf(r->v[F_WENT], sizeof r->v[0], "0");
            snprintf(r->v[F_FOUND], sizeof r->v[0], "0");
            snprintf(r->v[F_NOT_FOUND], sizeof r->v[0], "0");
            break;
        default:                                                              /* period order */
            snprintf(r->v[F_START], sizeof r->v[0], "%s", r->v[F_END]);
            snprintf(r->v[F_END], sizeof r->v[0], "2014-09-30");
            break;
        }
        break;
    case D_UNKNOWN_CODE:
        snprintf(r->v[F_CODE], sizeof r->v[0], "E99999%03u", pick(1000));
        break;
    case D_BAD_CODE:
        snprintf(r->v[F_CODE], sizeof r->v[0], "%s", pick(2) ? "X123" : "E1000001");
        break;
    case D_MISSING: {
        static const int req[] = {F_CODE, F_START, F_END, F_COHORT, F_IN_CARE, F_WENT, F_FOUND};
        r->v[req[pick(7)]][0] = '\0';
        break;
    }
    case D_COHORT:
        snprintf(r->v[F_COHORT], sizeof r->v[0], "%s", pick(2) ? "both" : "UASC children");
        break;
    case D_DATE:
        snprintf(r->v[pick(2) ? F_START : F_END], sizeof r->v[0], "%s",
                 pick(2) ? "2015-02-30" : "30/09/2015");
        break;
    case D_UTF8:
        snprintf(r->v[F_NAME], sizeof r->v[0], "Ab%sc", pick(2) ? "\xff" : "\xc0\xaf");
        break;
    case D_NUL:
        /* written by the file writers: a NUL inside the name */
        snprintf(r->v[F_NAME], sizeof r->v[0], "Nul");
        break;
    default:
        break;      /* the writers do the rest */
    }
}

/* ---- writing ---------------------------------------------------------------------- */

struct out {
    FILE *f;
    const char *name;   /* file name in returns/ */
    unsigned line;      /* the line being written (1-based) */
    FILE *truth;
};

static void truth(struct out *o, unsigned line, const char *expect, const struct rec *r)
{
    fprintf(o->truth, "%s,%u,%s,%u", o->name, line, expect, r ? r->group : 0);
    for (int i = 0; i < NF; i++) {
        if (i == F_NAME || i == F_SUBMITTED)
            continue;
        const char *v = r && strcmp(expect, "rejected") != 0 && strcmp(expect, "conflict") != 0
                            ? r->v[i] : "";
        fprintf(o->truth, ",%s", v);
    }
    fputc('\n', o->truth);
}

static void put_nul_name(FILE *f, const char *name)
{
    fputs(name, f);
    fputc('\0', f);
    fputs("x", f);
}

/* CSV: a header in a random column order, one row per record. */
static void write_csv(struct out *o, struct rec **rs, size_t n)
{
    int order[NF];
    for (int i = 0; i < NF; i++)
        order[i] = i;
    for (int i = NF - 1; i > 0; i--) {
        int j = (int)pick((unsigned)i + 1), t = order[i];
        order[i] = order[j];
        order[j] = t;
    }
    for (int i = 0; i < NF; i++)
        fprintf(o->f, "%s%s", i ? "," : "", names[order[i]]);
    fputc('\n', o->f);
    o->line = 2;
    for (size_t k = 0; k < n; k++) {
        struct rec *r = rs[k];
        for (int i = 0; i < NF; i++) {
            int fi = order[i];
            const char *v = r->v[fi];
            if (i)
                fputc(',', o->f);
            if (r->defect == D_NUL && fi == F_NAME) {
                put_nul_name(o->f, v);
            } else if (r->defect == D_QUOTE && fi == F_CODE) {
                fprintf(o->f, "%.3s\"%s", v, v + 3);
            } else if (r->defect == D_UNTERMINATED && i == NF - 1) {
                fprintf(o->f, "\"%s", v);
            } else if (strpbrk(v, ",\"") || (v[0] == ' ')) {
                fputc('"', o->f);
                for (const char *p = v; *p; p++) {
                    if (*p == '"')
                        fputc('"', o->f);
                    fputc(*p, o->f);
                }
                fputc('"', o->f);
            } else {
                fputs(v, o->f);
            }
        }
        if (r->defect == D_RAGGED)
            fputs(",extra", o->f);
        fputs(pick(10) ? "\n" : "\r\n", o->f);
        truth(o, o->line, r->expect, r);
        o->line++;
    }
}

static bool is_count(int i)
{
    return i >= F_IN_CARE;
}

/* A JSON value: counts that are numbers as numbers (a symbol or bad count as a string). */
static void json_value(FILE *f, const struct rec *r, int i)
{
    const char *v = r->v[i];
    if (r->defect == D_JSON_BOOL && i == F_FOUND) {
        fputs("true", f);
        return;
    }
    bool number = is_count(i) && v[0] >= '0' && v[0] <= '9' && strspn(v, "0123456789") == strlen(v);
    if (number && strlen(v) < 16 && pick(5)) {
        fputs(v, f);
        return;
    }
    fputc('"', f);
    if (r->defect == D_NUL && i == F_NAME)
        put_nul_name(f, v);
    else
        for (const char *p = v; *p; p++) {
            if (*p == '"' || *p == '\\')
                fputc('\\', f);
            fputc(*p, f);
        }
    fputc('"', f);
}

/* One flat record object on one line. A D_SYNTAX defect is a missing colon
 * when structural (a syntax error that rejects the NDJSON line, or ends a JSON
 * file), else an invalid escape \q in its cohort (an error in that value:
 * the record is rejected and reading goes on). */
static void json_flat(FILE *f, const struct rec *r, bool structural)
{
    fputc('{', f);
    bool first = true;
    for (int i = 0; i < NF; i++) {
        if (!r->v[i][0] && (i != F_NAME || r->defect != D_NUL))
            continue;   /* absent */
        bool syntax = r->defect == D_SYNTAX && i == F_COHORT;
        fprintf(f, "%s\"%s\"%s", first ? "" : ",", names[i], syntax && structural ? " " : ":");
        if (syntax && !structural)
            fprintf(f, "\"\\q%s\"", r->v[i]);
        else
            json_value(f, r, i);
        first = false;
    }
    fputc('}', f);
}

/* A nested submission of the records rs (same authority and period), one
 * cohort a line. An element-level defect (invalid UTF-8 in the name, or an
 * invalid escape \q in it) makes every cohort rejected. */
static void json_nested(struct out *o, struct rec **rs, size_t n, int element_defect)
{
    struct rec *a = rs[0];
    fprintf(o->f, "{\"authority\":{\"code\":\"%s\"", a->v[F_CODE]);
    if (element_defect == D_UTF8)
        fputs(",\"name\":\"Bad\xff name\"", o->f);
    else if (element_defect == D_SYNTAX)
        fputs(",\"name\":\"Bad\\q name\"", o->f);
    else if (a->v[F_NAME][0])
        fprintf(o->f, ",\"name\":\"%s\"", a->v[F_NAME]);
    fprintf(o->f, "},\"period\":{\"start\":\"%s\",\"end\":\"%s\"},\"cohorts\":[\n",
            a->v[F_START], a->v[F_END]);
    o->line++;
    for (size_t k = 0; k < n; k++) {
        struct rec *r = rs[k];
        fprintf(o->f, "{\"cohort\":\"%s\"", r->v[F_COHORT]);
        for (int i = F_IN_CARE; i < NF; i++) {
            fprintf(o->f, ",\"%s\":", names[i]);
            json_value(o->f, r, i);
        }
        fprintf(o->f, "}%s\n", k + 1 < n ? "," : "");
        if (element_defect)
            truth(o, o->line, "rejected", r);
        else if (!element_defect)
            truth(o, o->line, r->expect, r);
        o->line++;
    }
    fputs("]}", o->f);
}

/* JSON: an array, one element a line or a nested submission over several. */
static void write_json(struct out *o, struct rec **rs, size_t n)
{
    fputs("[\n", o->f);
    o->line = 2;
    for (size_t k = 0; k < n;) {
        /* solo valid records of one authority and period can share a submission */
        size_t m = 1;
        bool solo = strcmp(rs[k]->expect, "accepted") == 0 && !rs[k]->has_submitted;
        while (solo && k + m < n && m < 2 && strcmp(rs[k + m]->expect, "accepted") == 0 &&
               !rs[k + m]->has_submitted &&
               strcmp(rs[k + m]->v[F_CODE], rs[k]->v[F_CODE]) == 0 &&
               strcmp(rs[k + m]->v[F_START], rs[k]->v[F_START]) == 0)
            m++;
        if (k) {
            fputs(",\n", o->f);
            o->line++;
        }
        if (solo && (m > 1 || chance(30))) {
            json_nested(o, rs + k, m, chance(15) ? (pick(2) ? D_UTF8 : D_SYNTAX) : 0);
        } else {
            json_flat(o->f, rs[k], k + 1 == n);
            truth(o, o->line, rs[k]->defect == D_SYNTAX ? "rejected" : rs[k]->expect, rs[k]);
        }
        k += m;
    }
    fputs("\n]\n", o->f);
}

static void write_ndjson(struct out *o, struct rec **rs, size_t n)
{
    o->line = 1;
    for (size_t k = 0; k < n; k++) {
        json_flat(o->f, rs[k], true);
        fputs("\n", o->f);
        truth(o, o->line, rs[k]->defect == D_SYNTAX ? "rejected" : rs[k]->expect, rs[k]);
        o->line++;
    }
}

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: gen SEED AUTHORITIES_CSV DIR\n");
        return 2;
    }
    rng = strtoull(argv[1], NULL, 10) * 0x9E3779B97F4A7C15ull + 1;
    small_counts = strtoull(argv[1], NULL, 10) % 2 == 1;
    load_authorities(argv[2]);
    key_used = calloc(nauths * 4, 1);
    char path[4096];
    snprintf(path, sizeof path, "%s/returns", argv[3]);
    mkdir(argv[3], 0755);
    if (mkdir(path, 0755) != 0) {
        perror(path);
        return 2;
    }

    /* The files, each with a format. */
    unsigned nfiles = 2 + pick(9);
    char formats[16];
    for (unsigned i = 0; i < nfiles; i++)
        formats[i] = "cjn"[pick(3)];
    /* Records: scenario by scenario, each given the files it goes to. */
    unsigned *file_of = NULL;
    size_t cap_file_of = 0;
    unsigned want = 20 + pick(180);
    while (nrecs < want) {
        size_t a;
        unsigned p, c;
        if (!free_key(&a, &p, &c))
            break;
        unsigned s = pick(100);
        size_t first = nrecs;
        if (s < 40) {                           /* one valid record */
            struct rec *r = new_rec();
            fill(r, a, p, c);
            if (chance(20))
                set_submitted(r, pick(200), pick(24));
            r->expect = "accepted";
        } else if (s < 62) {                    /* one defective record */
            struct rec *r = new_rec();
            fill(r, a, p, c);
            r->expect = "rejected";
            r->defect = D_COUNT_TEXT;           /* format-specific defect chosen below */
        } else if (s < 72 && nfiles > 1) {      /* resubmissions: the latest wins */
            unsigned k = 2 + pick(2), day = pick(100);
            groups++;
            for (unsigned i = 0; i < k; i++) {
                struct rec *r = new_rec();
                fill(r, a, p, c);
                set_submitted(r, day + 10 * i, pick(24));
                snprintf(r->v[F_IN_CARE], sizeof r->v[0], "%u", 3001 + i);  /* surely different */
                r->expect = i + 1 < k ? "superseded" : "latest";
                r->group = groups;
            }
        } else if (s < 78 && nfiles > 1) {      /* the latest resubmission is rejected: it still
                                                   supersedes, and nothing is accepted (the
                                                   earlier ones identical or not) */
            unsigned k = 2 + pick(2), day = pick(100);
            bool identical = chance(40);
            struct rec proto;
            memset(&proto, 0, sizeof proto);
            fill(&proto, a, p, c);
            groups++;
            for (unsigned i = 0; i < k; i++) {
                struct rec *r = new_rec();
                if (identical && i + 1 < k)
                    *r = proto;
                else
                    fill(r, a, p, c);
                set_submitted(r, day + 10 * i, pick(24));
                if (!identical || i + 1 == k)
                    snprintf(r->v[F_IN_CARE], sizeof r->v[0], "%u", 3001 + i);
                r->expect = i + 1 < k ? "superseded" : "rejected";
                r->keep_key = i + 1 == k;
                r->group = groups;
            }
        } else if (s < 82 && nfiles > 1) {      /* a rejected submission, then a valid later one */
            unsigned day = pick(100);
            groups++;
            for (unsigned i = 0; i < 2; i++) {
                struct rec *r = new_rec();
                fill(r, a, p, c);
                set_submitted(r, day + 10 * i, pick(24));
                snprintf(r->v[F_IN_CARE], sizeof r->v[0], "%u", 3001 + i);
                r->expect = i == 0 ? "rejected" : "latest";
                r->keep_key = i == 0;
                r->group = groups;
            }
        } else if (s < 86 && nfiles > 1) {      /* no time says which came last: beside a rejected
                                                   submission, a valid one is accepted */
            groups++;
            for (unsigned i = 0; i < 2; i++) {
                struct rec *r = new_rec();
                fill(r, a, p, c);
                if (i == 1 && chance(50))
                    set_submitted(r, pick(200), pick(24));
                snprintf(r->v[F_IN_CARE], sizeof r->v[0], "%u", 3001 + i);
                r->expect = i == 0 ? "accepted" : "rejected";
                r->keep_key = i == 1;
                r->group = groups;
            }
        } else if (s < 90 && nfiles > 1) {      /* two different at the latest time: the earlier
                                                   is superseded, the latest two conflict — also
                                                   when the last is a local time up to 5 hours
                                                   off (which came later is not certain) */
            unsigned day = pick(100), hour = pick(24);
            groups++;
            for (unsigned i = 0; i < 3; i++) {
                struct rec *r = new_rec();
                fill(r, a, p, c);
                if (i == 2 && day % 2)  /* as above: nothing drawn */
                    put_submitted(r, day + 10, hour + (23 - hour < day % 6 ? 23 - hour : day % 6),
                                  true);
                else
                    set_submitted(r, i == 0 ? day : day + 10, i == 0 ? pick(24) : hour);
                snprintf(r->v[F_IN_CARE], sizeof r->v[0], "%u", 3001 + i);
                r->expect = i == 0 ? "superseded" : "conflict";
                r->group = groups;
            }
        } else if (s < 95 && nfiles > 1) {      /* identical records */
            unsigned k = 2 + pick(2);
            groups++;
            struct rec proto;
            memset(&proto, 0, sizeof proto);
            fill(&proto, a, p, c);
            if (chance(50))
                set_submitted(&proto, pick(200), pick(24));
            for (unsigned i = 0; i < k; i++) {
                struct rec *r = new_rec();
                *r = proto;
                r->expect = "duplicate";
                r->group = groups;
            }
        } else if (nfiles > 1) {                /* different, no time to choose: conflict */
            groups++;
            for (unsigned i = 0; i < 2; i++) {
                struct rec *r = new_rec();
                fill(r, a, p, c);
                snprintf(r->v[F_IN_CARE], sizeof r->v[0], "%u", 3001 + i);  /* surely different */
                r->expect = "conflict";
                r->group = groups;
            }
        }
        /* files: the records of a group go to different files */
        if (nrecs > cap_file_of) {
            cap_file_of = 2 * nrecs;
            file_of = realloc(file_of, cap_file_of * sizeof *file_of);
        }
        unsigned base = pick(nfiles);
        for (size_t i = first; i < nrecs; i++)
            file_of[i] = (base + (unsigned)(i - first)) % nfiles;
    }

    /* Write each file: its records in order; defects fitting its format. */
    snprintf(path, sizeof path, "%s/truth.csv", argv[3]);
    FILE *tf = fopen(path, "w");
    fputs("file,line,expect,grp,authority_code,period_start,period_end,cohort,in_care,"
          "went_missing,missing_incidents,found,not_found\n", tf);
    struct rec **rs = malloc((nrecs + 1) * sizeof *rs);
    for (unsigned fi = 0; fi < nfiles; fi++) {
        size_t n = 0;
        for (size_t i = 0; i < nrecs; i++)
            if (file_of[i] == fi)
                rs[n++] = &recs[i];
        char name[64];
        static const char *const ext[] = {"csv", "json", "ndjson"};
        int e = formats[fi] == 'c' ? 0 : formats[fi] == 'j' ? 1 : 2;
        snprintf(name, sizeof name, "%03u.%s", fi, ext[e]);
        for (size_t k = 0; k < n; k++)
            if (strcmp(rs[k]->expect, "rejected") == 0)
                add_defect(rs[k], formats[fi], k + 1 == n);
        snprintf(path, sizeof path, "%s/returns/%s", argv[3], name);
        struct out o = {fopen(path, "wb"), name, 1, tf};
        if (!o.f) {
            perror(path);
            return 2;
        }
        if (formats[fi] == 'c')
            write_csv(&o, rs, n);
        else if (formats[fi] == 'j')
            write_json(&o, rs, n);
        else
            write_ndjson(&o, rs, n);
        fclose(o.f);
    }
    fclose(tf);
    free(rs);
    free(file_of);
    free(recs);
    free(key_used);
    free(auths);
    return 0;
}
