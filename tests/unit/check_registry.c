/*
 * check_registry.c — unit tests of the authority registry (registry.h):
 * the shipped schemas/authorities.csv and its embedded copy, lookups and
 * dates in force, name normalisation, the exact error of each kind of broken
 * registry, and loads of mangled registries that must fail cleanly.
 *
 * Run from the repository root (the real registry is read from schemas/).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "suites.h"
#include "tally/registry.h"
#include "tally/value.h"

#define REGISTRY_PATH "schemas/authorities.csv"
#define HEADER "code,name,country_code,region_code,valid_from,valid_to,dfe_code,successors\n"
#define ROW_HARTLEPOOL "E06000001,Hartlepool,E92000001,E12000001,2009-01-01,,805,\n"
#define ROW_MIDDLESBROUGH "E06000002,Middlesbrough,E92000001,E12000001,2009-01-01,,806,\n"

/* The whole of a file, NUL-terminated; *len is its size. Fails the test when unreadable. */
static char *read_whole(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    ck_assert_msg(f != NULL, "cannot open %s (run from the repository root)", path);
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap);
    ck_assert_ptr_nonnull(buf);
    size_t got;
    while ((got = fread(buf + n, 1, cap - n - 1, f)) > 0) {
        n += got;
        if (cap - n - 1 == 0) {
            cap *= 2;
            buf = realloc(buf, cap);
            ck_assert_ptr_nonnull(buf);
        }
    }
    ck_assert(!ferror(f));
    fclose(f);
    buf[n] = '\0';
    *len = n;
    return buf;
}

static struct tally_registry *load_real(void)
{
    size_t len;
    char *text = read_whole(REGISTRY_PATH, &len);
    struct tally_error err = {0};
    struct tally_registry *reg = tally_registry_load(text, len, &err);
    free(text);
    ck_assert_msg(reg != NULL, "%s: %s", REGISTRY_PATH, err.message);
    return reg;
}

static int64_t day(int y, unsigned m, unsigned d)
{
    return tally_days_from_civil(y, m, d);
}

static const struct tally_authority *find(const struct tally_registry *reg, const char *code)
{
    return tally_registry_find(reg, code, strlen(code));
}

/* Loading text must fail with exactly this status and message. */
static void assert_load_fails(const char *text, size_t len, enum tally_status status,
                              const char *message)
{
    struct tally_error err = {0};
    struct tally_registry *reg = tally_registry_load(text, len, &err);
    if (reg)
        tally_registry_free(reg);
    ck_assert_msg(reg == NULL, "loaded, expected \"%s\"", message);
    ck_assert_int_eq(err.status, status);
    ck_assert_str_eq(err.message, message);
}

static void assert_broken(const char *text, const char *message)
{
    assert_load_fails(text, strlen(text), TALLY_EREGISTRY, message);
}

static struct tally_registry *load_ok(const char *text, size_t len)
{
    struct tally_error err = {0};
    struct tally_registry *reg = tally_registry_load(text, len, &err);
    ck_assert_msg(reg != NULL, "%s", err.message);
    return reg;
}

/* ------------------------------------------------------ the real registry */

START_TEST(test_real_count_and_order)
{
    struct tally_registry *reg = load_real();
    ck_assert_uint_eq(tally_registry_count(reg), 249);

    const struct tally_authority *a = tally_registry_at(reg, 0);
    ck_assert_ptr_nonnull(a);
    ck_assert_str_eq(a->code, "E06000001");
    ck_assert_str_eq(a->name, "Hartlepool");
    ck_assert_str_eq(a->country_code, "E92000001");
    ck_assert_str_eq(a->region_code, "E12000001");
    ck_assert_int_eq(a->valid_from, day(2009, 1, 1));
    ck_assert(a->valid_to == TALLY_NO_END_DATE);
    ck_assert_str_eq(a->dfe_code, "805");
    ck_assert_uint_eq(a->nsuccessors, 0);
    ck_assert_str_eq(a->norm_name, "hartlepool");
    ck_assert_ptr_eq(find(reg, "E06000001"), a);

    a = tally_registry_at(reg, 248);
    ck_assert_ptr_nonnull(a);
    ck_assert_str_eq(a->code, "W06000024");
    ck_assert_str_eq(a->name, "Merthyr Tydfil");
    ck_assert_str_eq(a->region_code, "");
    ck_assert_str_eq(a->dfe_code, "");
    ck_assert_ptr_null(tally_registry_at(reg, 249));

    /* every authority is found by its own code, at its own place */
    for (size_t i = 0; i < 249; i++) {
        const struct tally_authority *b = tally_registry_at(reg, i);
        ck_assert_ptr_eq(find(reg, b->code), b);
    }
    tally_registry_free(reg);
}
END_TEST

START_TEST(test_real_in_force_2015)
{
    struct tally_registry *reg = load_real();
    size_t n = 0;
    for (size_t i = 0; i < tally_registry_count(reg); i++)
        n += tally_authority_in_force(tally_registry_at(reg, i), day(2015, 9, 30));
    ck_assert_uint_eq(n, 217);
    tally_registry_free(reg);
}
END_TEST

START_TEST(test_northamptonshire)
{
    struct tally_registry *reg = load_real();
    const struct tally_authority *a = find(reg, "E10000021");
    ck_assert_ptr_nonnull(a);
    ck_assert_str_eq(a->name, "Northamptonshire");
    ck_assert_int_eq(a->valid_to, day(2021, 3, 31));
    ck_assert(tally_authority_in_force(a, day(2021, 3, 31)));
    ck_assert(!tally_authority_in_force(a, day(2021, 4, 1)));
    ck_assert_uint_eq(a->nsuccessors, 2);
    ck_assert_str_eq(a->successors[0], "E06000061");
    ck_assert_str_eq(a->successors[1], "E06000062");

    const struct tally_authority *north = find(reg, "E06000061");
    ck_assert_ptr_nonnull(north);
    ck_assert_str_eq(north->name, "North Northamptonshire");
    ck_assert(!tally_authority_in_force(north, day(2021, 3, 31)));
    ck_assert(tally_authority_in_force(north, day(2021, 4, 1)));
    ck_assert(north->valid_to == TALLY_NO_END_DATE);
    ck_assert(tally_authority_in_force(north, INT64_MAX));

    const struct tally_authority *west = find(reg, "E06000062");
    ck_assert_ptr_nonnull(west);
    ck_assert_str_eq(west->name, "West Northamptonshire");
    ck_assert(tally_authority_in_force(west, day(2021, 4, 1)));
    tally_registry_free(reg);
}
END_TEST

START_TEST(test_powys)
{
    struct tally_registry *reg = load_real();
    const struct tally_authority *old = find(reg, "W06000007");
    const struct tally_authority *now = find(reg, "W06000023");
    ck_assert_ptr_nonnull(old);
    ck_assert_ptr_nonnull(now);
    ck_assert_str_eq(old->name, "Powys");
    ck_assert_str_eq(now->name, "Powys");
    ck_assert(tally_authority_in_force(old, day(2009, 5, 31)));
    ck_assert(!tally_authority_in_force(old, day(2009, 6, 1)));
    ck_assert(!tally_authority_in_force(now, day(2009, 5, 31)));
    ck_assert(tally_authority_in_force(now, day(2009, 6, 1)));
    ck_assert(tally_authority_in_force(old, day(1996, 4, 1)));
    ck_assert(!tally_authority_in_force(old, day(1996, 3, 31)));
    ck_assert_uint_eq(old->nsuccessors, 1);
    ck_assert_str_eq(old->successors[0], "W06000023");
    ck_assert_uint_eq(now->nsuccessors, 0);
    tally_registry_free(reg);
}
END_TEST

START_TEST(test_find_unknown)
{
    struct tally_registry *reg = load_real();
    ck_assert_ptr_null(find(reg, "E99999999"));
    ck_assert_ptr_null(find(reg, ""));
    ck_assert_ptr_null(find(reg, "e10000021"));         /* codes are exact */
    ck_assert_ptr_null(find(reg, "E1000002"));          /* a prefix of a code */
    ck_assert_ptr_null(find(reg, "E10000021 "));
    ck_assert_ptr_null(tally_registry_find(reg, NULL, 0));
    /* the length counts, not a NUL */
    const struct tally_authority *a = tally_registry_find(reg, "E10000021xyz", 9);
    ck_assert_ptr_nonnull(a);
    ck_assert_str_eq(a->code, "E10000021");
    tally_registry_free(reg);
}
END_TEST

START_TEST(test_default_is_the_file)
{
    struct tally_error err = {0};
    struct tally_registry *def = tally_registry_load_default(&err);
    ck_assert_msg(def != NULL, "%s", err.message);
    struct tally_registry *file = load_real();
    ck_assert_uint_eq(tally_registry_count(def), tally_registry_count(file));
    for (size_t i = 0; i < tally_registry_count(file); i++) {
        const struct tally_authority *a = tally_registry_at(def, i);
        const struct tally_authority *b = tally_registry_at(file, i);
        ck_assert_str_eq(a->code, b->code);
        ck_assert_str_eq(a->name, b->name);
        ck_assert_str_eq(a->norm_name, b->norm_name);
        ck_assert_int_eq(a->valid_from, b->valid_from);
        ck_assert_int_eq(a->valid_to, b->valid_to);
        ck_assert_uint_eq(a->nsuccessors, b->nsuccessors);
        for (size_t j = 0; j < a->nsuccessors; j++)
            ck_assert_str_eq(a->successors[j], b->successors[j]);
    }
    tally_registry_free(def);
    tally_registry_free(file);
}
END_TEST

START_TEST(test_real_norm_names)
{
    struct tally_registry *reg = load_real();
    const struct tally_authority *hull = find(reg, "E06000010");
    ck_assert_str_eq(hull->name, "Kingston upon Hull, City of");
    ck_assert_str_eq(hull->norm_name, "kingston upon hull");
    const struct tally_authority *hereford = find(reg, "E06000019");
    ck_assert_str_eq(hereford->norm_name, "herefordshire");
    ck_assert(tally_names_match(hereford->name, strlen(hereford->name), "Herefordshire", 13));
    ck_assert_str_eq(find(reg, "E06000023")->norm_name, "bristol");
    ck_assert_str_eq(find(reg, "S12000036")->norm_name, "edinburgh");
    ck_assert_str_eq(find(reg, "E06000004")->norm_name, "stockton on tees");
    tally_registry_free(reg);
}
END_TEST

/* --------------------------------------------------------- small registries */

START_TEST(test_load_small)
{
    /* columns in another order, quoted fields, CR LF, no final line end, a BOM */
    const char text[] =
        "\xEF\xBB\xBFsuccessors,valid_to,valid_from,dfe_code,region_code,country_code,name,code\r\n"
        "E2;E3,2021-03-31,2009-01-01,928,E12000004,E92000001,\"Shire, County of\",E1\r\n"
        ",,2021-04-01,940,E12000004,E92000001,\"North \"\"Shire\"\"\",E2\r\n"
        ",,2021-04-01,,,E92000001,West Shire & Co,E3";
    struct tally_registry *reg = load_ok(text, sizeof text - 1);
    ck_assert_uint_eq(tally_registry_count(reg), 3);
    const struct tally_authority *a = tally_registry_at(reg, 0);
    ck_assert_str_eq(a->code, "E1");
    ck_assert_str_eq(a->name, "Shire, County of");
    ck_assert_str_eq(a->norm_name, "shire");
    ck_assert_str_eq(a->dfe_code, "928");
    ck_assert_int_eq(a->valid_from, day(2009, 1, 1));
    ck_assert_int_eq(a->valid_to, day(2021, 3, 31));
    ck_assert_uint_eq(a->nsuccessors, 2);
    ck_assert_str_eq(a->successors[0], "E2");
    ck_assert_str_eq(a->successors[1], "E3");
    ck_assert_str_eq(tally_registry_at(reg, 1)->name, "North \"Shire\"");
    ck_assert_str_eq(tally_registry_at(reg, 1)->norm_name, "north shire");
    const struct tally_authority *c = find(reg, "E3");
    ck_assert_ptr_eq(c, tally_registry_at(reg, 2));
    ck_assert_str_eq(c->name, "West Shire & Co");
    ck_assert_str_eq(c->norm_name, "west shire and co");
    ck_assert_str_eq(c->dfe_code, "");
    ck_assert_str_eq(c->region_code, "");
    tally_registry_free(reg);
}
END_TEST

START_TEST(test_load_not_nul_terminated)
{
    /* the text ends at len: what follows is not read */
    const char text[] = HEADER ROW_HARTLEPOOL "E06000002,Middlesbrough,garbage\"";
    struct tally_registry *reg =
        load_ok(text, strlen(HEADER ROW_HARTLEPOOL));
    ck_assert_uint_eq(tally_registry_count(reg), 1);
    tally_registry_free(reg);
}
END_TEST

START_TEST(test_load_many)
{
    /* enough authorities to grow the table several times */
    size_t cap = 3000 * 64 + sizeof HEADER, n = 0;
    char *text = malloc(cap);
    ck_assert_ptr_nonnull(text);
    n += (size_t)snprintf(text + n, cap - n, "%s", HEADER);
    for (int i = 0; i < 3000; i++)
        n += (size_t)snprintf(text + n, cap - n, "X%05d,Place %d,E92000001,,2009-01-01,,,\n", i, i);
    struct tally_registry *reg = load_ok(text, n);
    ck_assert_uint_eq(tally_registry_count(reg), 3000);
    for (int i = 0; i < 3000; i++) {
        char code[16];
        snprintf(code, sizeof code, "X%05d", i);
        const struct tally_authority *a = find(reg, code);
        ck_assert_ptr_eq(a, tally_registry_at(reg, (size_t)i));
    }
    ck_assert_ptr_null(find(reg, "X03000"));
    tally_registry_free(reg);
    free(text);
}
END_TEST

START_TEST(test_broken_empty)
{
    assert_load_fails("", 0, TALLY_EREGISTRY, "registry has no authorities");
    assert_load_fails(NULL, 0, TALLY_EREGISTRY, "registry has no authorities");
    assert_broken("\n\r\n\n", "registry has no authorities");
    assert_broken(HEADER, "registry has no authorities");
    assert_broken(HEADER "\n\n", "registry has no authorities");
}
END_TEST

START_TEST(test_broken_header)
{
    assert_broken("code,name,country_code,region_code,valid_from,valid_to,successors\n" ROW_HARTLEPOOL,
                  "line 1: missing column \"dfe_code\"");
    assert_broken("\n\ncode,name\n", "line 3: missing column \"country_code\"");
    assert_broken("code,name,country,region_code,valid_from,valid_to,dfe_code,successors\n",
                  "line 1: unknown column \"country\"");
    assert_broken("code,Name,country_code,region_code,valid_from,valid_to,dfe_code,successors\n",
                  "line 1: unknown column \"Name\"");
    assert_broken("code, name,country_code,region_code,valid_from,valid_to,dfe_code,successors\n",
                  "line 1: unknown column \" name\"");
    assert_broken("code,name,country_code,region_code,valid_from,valid_to,dfe_code,successors,\n",
                  "line 1: unknown column \"\"");
    assert_broken("code,name,code,region_code,valid_from,valid_to,dfe_code,successors\n",
                  "line 1: duplicate column \"code\"");
    assert_broken("code,name,country_code,region_code,valid_from,valid_to,dfe_code,successors,name\n",
                  "line 1: duplicate column \"name\"");
}
END_TEST

START_TEST(test_broken_dates)
{
    assert_broken(HEADER ROW_HARTLEPOOL
                  "E06000002,Middlesbrough,E92000001,E12000001,2009-13-01,,806,\n",
                  "line 3: valid_from \"2009-13-01\" is not a date");
    assert_broken(HEADER "E06000002,Middlesbrough,E92000001,E12000001,,,806,\n",
                  "line 2: valid_from \"\" is not a date");
    assert_broken(HEADER "E06000002,Middlesbrough,E92000001,E12000001,2009-01-01,2021-02-29,806,\n",
                  "line 2: valid_to \"2021-02-29\" is not a date");
    assert_broken(HEADER "E06000002,Middlesbrough,E92000001,E12000001,2009-01-01, 2021-02-28,806,\n",
                  "line 2: valid_to \" 2021-02-28\" is not a date");
    assert_broken(HEADER ROW_HARTLEPOOL ROW_MIDDLESBROUGH
                  "E06000003,Redcar,E92000001,E12000001,2010-01-01,2009-12-31,807,\n",
                  "line 4: valid_to \"2009-12-31\" is before valid_from \"2010-01-01\"");
    /* a one-day authority is fine */
    const char one_day[] = HEADER "E1,One Day,E92000001,,2010-01-01,2010-01-01,,\n";
    struct tally_registry *reg = load_ok(one_day, sizeof one_day - 1);
    ck_assert(tally_authority_in_force(tally_registry_at(reg, 0), day(2010, 1, 1)));
    ck_assert(!tally_authority_in_force(tally_registry_at(reg, 0), day(2010, 1, 2)));
    tally_registry_free(reg);
}
END_TEST

START_TEST(test_broken_duplicate)
{
    assert_broken(HEADER ROW_HARTLEPOOL ROW_MIDDLESBROUGH
                  "E06000001,Hartlepool again,E92000001,E12000001,2009-01-01,,805,\n",
                  "line 4: duplicate code \"E06000001\" (first on line 2)");
}
END_TEST

START_TEST(test_broken_quotes)
{
    assert_broken(HEADER ROW_HARTLEPOOL "E06000002,\"Middlesbrough,E92000001,E12000001,2009-01-01,,806,\n",
                  "line 3: unterminated quoted field");
    assert_broken(HEADER "E06000002,\"Middles\"brough,E92000001,E12000001,2009-01-01,,806,\n",
                  "line 2: stray quote in field 2");
    assert_broken(HEADER "E06000002,Middles\"brough\",E92000001,E12000001,2009-01-01,,806,\n",
                  "line 2: stray quote in field 2");
    assert_broken("code,\"name\" ,country_code\n", "line 1: stray quote in field 2");
}
END_TEST

START_TEST(test_broken_rows)
{
    assert_broken(HEADER "E06000002,Middlesbrough,E92000001,E12000001,2009-01-01,,806\n",
                  "line 2: expected 8 fields, found 7");
    assert_broken(HEADER "E06000002,Middlesbrough,E92000001,E12000001,2009-01-01,,806,,\n",
                  "line 2: expected 8 fields, found 9");
    assert_broken(HEADER ROW_HARTLEPOOL "   \n", "line 3: expected 8 fields, found 1");
    assert_broken(HEADER ",Middlesbrough,E92000001,E12000001,2009-01-01,,806,\n",
                  "line 2: code is empty");
    assert_broken(HEADER "E06000002,,E92000001,E12000001,2009-01-01,,806,\n",
                  "line 2: name is empty");
    assert_broken(HEADER "E1,Old,E92000001,,2009-01-01,2010-01-01,,E2;;E3\n",
                  "line 2: successors \"E2;;E3\" has an empty code");
    assert_broken(HEADER "E1,Old,E92000001,,2009-01-01,2010-01-01,,E2;\n",
                  "line 2: successors \"E2;\" has an empty code");
    assert_broken(HEADER ROW_HARTLEPOOL "E1,Old,E92000001,,2009-01-01,2010-01-01,,E06000001;E2\n"
                  ROW_MIDDLESBROUGH,
                  "line 3: successor \"E2\" is not in the registry");
    const char nul[] = HEADER "E06000002,Middles\0brough,E92000001,E12000001,2009-01-01,,806,\n";
    assert_load_fails(nul, sizeof nul - 1, TALLY_EREGISTRY, "line 2: name contains a NUL byte");
}
END_TEST

START_TEST(test_broken_long_field)
{
    /* a long or unprintable field is cut short in the message */
    assert_broken(HEADER "E1,A,E92000001,,2009-01-01\t0123456789012345678901234567890123456789,,,\n",
                  "line 2: valid_from \"2009-01-01?01234567890123456789012345678...\" is not a date");
}
END_TEST

START_TEST(test_line_numbers)
{
    /* blank lines, a quoted field over three lines, CR LF and lone CR endings */
    assert_broken(HEADER "\n" ROW_HARTLEPOOL
                  "E06000002,\"Middles\nbrough\n\",E92000001,E12000001,2009-01-01,,806,\n"
                  "E06000003,Redcar,E92000001,E12000001,2009-01-01,x,807,\n",
                  "line 7: valid_to \"x\" is not a date");
    assert_broken(HEADER "E06000002,\"Middles\nbrough\",E92000001,E12000001,2009-31-01,,806,\n",
                  "line 2: valid_from \"2009-31-01\" is not a date");
    assert_broken("code,name,country_code,region_code,valid_from,valid_to,dfe_code,successors\r\n"
                  "E1,A,E92000001,,2009-01-01,,,\r\n\r\n"
                  "E2,B,E92000001,,2009-01-01,,,\r\n"
                  "E1,C,E92000001,,2009-01-01,,,\r\n",
                  "line 5: duplicate code \"E1\" (first on line 2)");
    assert_broken("code,name,country_code,region_code,valid_from,valid_to,dfe_code,successors\r"
                  "E1,A,E92000001,,2009-01-01,,,\r"
                  "E1,C,E92000001,,2009-01-01,,,\r",
                  "line 3: duplicate code \"E1\" (first on line 2)");
    assert_broken(HEADER ROW_HARTLEPOOL "E06000002,Middlesbrough,E92000001,E12000001,2009-01-01,,806,\"x",
                  "line 3: unterminated quoted field");
}
END_TEST

/* --------------------------------------------------------------- names */

/* tally_name_normalise of s, into a static buffer. */
static const char *norm(const char *s)
{
    static char buf[256];
    size_t n = tally_name_normalise(s, strlen(s), buf, sizeof buf);
    ck_assert_uint_eq(n, strlen(buf));
    return buf;
}

static bool match(const char *a, const char *b)
{
    return tally_names_match(a, strlen(a), b, strlen(b));
}

START_TEST(test_normalise)
{
    ck_assert_str_eq(norm("Kingston upon Hull, City of"), "kingston upon hull");
    ck_assert_str_eq(norm("Kingston upon Hull City Council"), "kingston upon hull");
    ck_assert_str_eq(norm("City of Edinburgh"), "edinburgh");
    ck_assert_str_eq(norm("Bristol, City of"), "bristol");
    ck_assert_str_eq(norm("Herefordshire, County of"), "herefordshire");
    ck_assert_str_eq(norm("Brighton & Hove"), "brighton and hove");
    ck_assert_str_eq(norm("Brighton&Hove"), "brighton and hove");
    ck_assert_str_eq(norm("Brighton and Hove"), "brighton and hove");
    ck_assert_str_eq(norm("Ynys Môn"), "ynys môn");
    ck_assert_str_eq(norm("YNYS MÔN"), "ynys mÔn");            /* only ASCII folds */
    ck_assert_str_eq(norm("  St. Helens  "), "st helens");
    ck_assert_str_eq(norm("Stockton-on-Tees"), "stockton on tees");
    ck_assert_str_eq(norm("King's Lynn\tand\r\nWest Norfolk"), "king s lynn and west norfolk");
    ck_assert_str_eq(norm("CITY OF LONDON"), "london");
    ck_assert_str_eq(norm("County Durham"), "county durham");     /* "county" without "of" */
    ck_assert_str_eq(norm("Durham County Council"), "durham");
    ck_assert_str_eq(norm("Leeds City Council"), "leeds");
    ck_assert_str_eq(norm("Cornwall Council"), "cornwall");
    ck_assert_str_eq(norm("City"), "city");
    ck_assert_str_eq(norm("Vale of Glamorgan"), "vale of glamorgan");
    ck_assert_str_eq(norm("Councillors of the City"), "councillors of the city");
    ck_assert_str_eq(norm("Cityof Bath"), "cityof bath");
    ck_assert_str_eq(norm("City, of... Bath"), "bath");
    ck_assert_str_eq(norm("County Council of Bath"), "of bath");
    ck_assert_str_eq(norm("Council"), "");
    ck_assert_str_eq(norm(""), "");
    ck_assert_str_eq(norm("&"), "and");
    ck_assert_str_eq(norm("A1 (North)"), "a1 north");
}
END_TEST

START_TEST(test_normalise_truncates)
{
    char buf[8];
    memset(buf, 'x', sizeof buf);
    ck_assert_uint_eq(tally_name_normalise("Brighton & Hove", 15, buf, sizeof buf), 17);
    ck_assert_str_eq(buf, "brighto");
    ck_assert_uint_eq(tally_name_normalise("Brighton & Hove", 15, NULL, 0), 17);
    memset(buf, 'x', sizeof buf);
    ck_assert_uint_eq(tally_name_normalise("Brighton & Hove", 15, buf, 1), 17);
    ck_assert_str_eq(buf, "");
    ck_assert_int_eq(buf[1], 'x');
    memset(buf, 'x', sizeof buf);
    ck_assert_uint_eq(tally_name_normalise("Bristol, City of", 16, buf, 8), 7);
    ck_assert_str_eq(buf, "bristol");
    /* only len bytes are read */
    ck_assert_uint_eq(tally_name_normalise("Hove Council", 4, buf, sizeof buf), 4);
    ck_assert_str_eq(buf, "hove");
}
END_TEST

START_TEST(test_names_match)
{
    ck_assert(match("Brighton & Hove", "Brighton and Hove"));
    ck_assert(match("Kingston upon Hull, City of", "Kingston upon Hull City Council"));
    ck_assert(match("Kingston upon Hull, City of", "KINGSTON UPON HULL"));
    ck_assert(match("Herefordshire, County of", "Herefordshire"));
    ck_assert(match("City of Edinburgh", "Edinburgh"));
    ck_assert(match("Bristol, City of", "Bristol City Council"));
    ck_assert(match("Leeds", "Leeds City Council"));
    ck_assert(match("Ynys Môn", "ynys môn"));
    ck_assert(match("St Helens", "St. Helens"));
    ck_assert(match("", "Council"));
    ck_assert(!match("Ynys Môn", "Ynys Mon"));
    ck_assert(!match("Northamptonshire", "North Northamptonshire"));
    ck_assert(!match("Hull", "Kingston upon Hull"));
    ck_assert(!match("Bristol", "Bristol Road"));
    ck_assert(!match("Bristol", "Bristo"));
    ck_assert(!match("Brighton and Hove", "Brighton Hove"));
    ck_assert(tally_names_match("Bath Council", 4, "Bath", 4));
    ck_assert(tally_names_match(NULL, 0, "", 0));
}
END_TEST

/* ------------------------------------------------- mangled registries */

#define SMALL HEADER ROW_HARTLEPOOL \
    "E10000021,\"Northampton, shire\",E92000001,E12000004,2009-01-01,2021-03-31,928,E06000061;E06000062\n" \
    "E06000061,North Northamptonshire,E92000001,E12000004,2021-04-01,,940,\n" \
    "E06000062,West Northamptonshire,E92000001,E12000004,2021-04-01,,941,\n"

/* A load either succeeds or fails with a registry or memory error and a message. */
static void load_any(const char *text, size_t len)
{
    struct tally_error err = {0};
    struct tally_registry *reg = tally_registry_load(text, len, &err);
    if (reg) {
        ck_assert_uint_gt(tally_registry_count(reg), 0);
        tally_registry_free(reg);
    } else {
        ck_assert_int_eq(err.status, TALLY_EREGISTRY);
        ck_assert_uint_gt(strlen(err.message), 0);
    }
}

START_TEST(test_every_prefix)
{
    const char text[] = SMALL;
    for (size_t n = 0; n <= sizeof text - 1; n++) {
        char *copy = malloc(n ? n : 1);     /* exactly n bytes, so ASan sees overreads */
        ck_assert_ptr_nonnull(copy);
        memcpy(copy, text, n);
        load_any(copy, n);
        free(copy);
    }
}
END_TEST

START_TEST(test_mangled)
{
    static const char bytes[] = ",;\"\n\r\0 &-x0E";
    const char text[] = SMALL;
    size_t len = sizeof text - 1;
    char *copy = malloc(len + 8);
    ck_assert_ptr_nonnull(copy);
    unsigned long seed = 12345;
    for (int round = 0; round < 4000; round++) {
        memcpy(copy, text, len);
        size_t n = len;
        int edits = 1 + round % 4;
        for (int e = 0; e < edits; e++) {
            seed = seed * 6364136223846793005ul + 1442695040888963407ul;
            size_t at = (size_t)(seed >> 33) % n;
            unsigned r = (unsigned)(seed >> 17);
            switch (r % 3) {
            case 0: copy[at] = bytes[(r >> 2) % (sizeof bytes - 1)]; break;    /* replace */
            case 1: copy[at] = (char)(r >> 4); break;                          /* any byte */
            default: n = at + 1; break;                                        /* cut */
            }
        }
        load_any(copy, n);
    }
    free(copy);
}
END_TEST

START_TEST(test_heirs_dfe_names)
{
    struct tally_error err;
    struct tally_registry *reg = tally_registry_load_default(&err);
    int64_t d2015, d2012, d2024;
    ck_assert(tally_parse_date("2015-03-31", 10, &d2015));
    ck_assert(tally_parse_date("2012-03-31", 10, &d2012));
    ck_assert(tally_parse_date("2024-03-31", 10, &d2024));
    const struct tally_authority *out[4];
    /* Northumberland county ended in 2009; its successor in 2013: followed through. */
    const struct tally_authority *a = tally_registry_find(reg, "E10000022", 9);
    ck_assert_uint_eq(tally_registry_heirs(reg, a, d2015, out, 4), 1);
    ck_assert_str_eq(out[0]->code, "E06000057");
    a = tally_registry_find(reg, "E10000006", 9);      /* Cumbria: two */
    ck_assert_uint_eq(tally_registry_heirs(reg, a, d2024, out, 4), 2);
    ck_assert_uint_eq(tally_registry_heirs(reg, a, d2015, out, 4), 0);  /* still in force */
    /* DfE's 390 is Gateshead's under both of its codes: the day chooses. */
    ck_assert_uint_eq(tally_registry_find_dfe(reg, "390", 3, d2015, out, 4), 1);
    ck_assert_str_eq(out[0]->code, "E08000037");
    ck_assert_uint_eq(tally_registry_find_dfe(reg, "390", 3, d2012, out, 4), 1);
    ck_assert_str_eq(out[0]->code, "E08000020");
    ck_assert_uint_eq(tally_registry_find_dfe(reg, "390", 3, INT64_MIN, out, 4), 2);
    ck_assert_uint_eq(tally_registry_find_dfe(reg, "99", 2, INT64_MIN, out, 4), 0);
    /* Names and aliases. */
    ck_assert_uint_eq(tally_registry_resolve_name(reg, "caerdydd", 8, d2015, out, 4), 1);
    ck_assert_str_eq(out[0]->code, "W06000015");
    ck_assert(tally_registry_is_alias(reg, "Northants", 9, tally_registry_find(reg, "E10000021", 9)));
    ck_assert(!tally_registry_is_alias(reg, "Northants", 9, tally_registry_find(reg, "E10000016", 9)));
    ck_assert_uint_eq(tally_registry_resolve_name(reg, "Gateshead Council", 17, INT64_MIN, out, 4), 2);
    ck_assert_uint_eq(tally_registry_resolve_name(reg, "Narnia", 6, d2015, out, 4), 0);
    tally_registry_free(reg);
}
END_TEST

Suite *registry_suite(void)
{
    Suite *s = suite_create("registry");

    TCase *real = tcase_create("real");
    tcase_add_test(real, test_real_count_and_order);
    tcase_add_test(real, test_real_in_force_2015);
    tcase_add_test(real, test_northamptonshire);
    tcase_add_test(real, test_powys);
    tcase_add_test(real, test_find_unknown);
    tcase_add_test(real, test_default_is_the_file);
    tcase_add_test(real, test_real_norm_names);
    tcase_add_test(real, test_heirs_dfe_names);
    suite_add_tcase(s, real);

    TCase *load = tcase_create("load");
    tcase_add_test(load, test_load_small);
    tcase_add_test(load, test_load_not_nul_terminated);
    tcase_add_test(load, test_load_many);
    tcase_add_test(load, test_broken_empty);
    tcase_add_test(load, test_broken_header);
    tcase_add_test(load, test_broken_dates);
    tcase_add_test(load, test_broken_duplicate);
    tcase_add_test(load, test_broken_quotes);
    tcase_add_test(load, test_broken_rows);
    tcase_add_test(load, test_broken_long_field);
    tcase_add_test(load, test_line_numbers);
    suite_add_tcase(s, load);

    TCase *names = tcase_create("names");
    tcase_add_test(names, test_normalise);
    tcase_add_test(names, test_normalise_truncates);
    tcase_add_test(names, test_names_match);
    suite_add_tcase(s, names);

    TCase *robust = tcase_create("robust");
    tcase_add_test(robust, test_every_prefix);
    tcase_add_test(robust, test_mangled);
    tcase_set_timeout(robust, 60);
    suite_add_tcase(s, robust);

    return s;
}
