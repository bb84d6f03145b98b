/*
 * registry.h — the UK authority registry: every authority code with its
 * name, nation, English region, the dates it was in force, and the codes
 * that succeeded it.
 *
 * Loaded from CSV (schemas/authorities.csv is the default, compiled in) with
 * columns code,name,country_code,region_code,valid_from,valid_to,dfe_code,
 * successors (successors separated by ';'). Read-only once loaded.
 */
#ifndef TALLY_REGISTRY_H
#define TALLY_REGISTRY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tally/status.h"

#ifdef __cplusplus
extern "C" {
#endif

#define TALLY_NO_END_DATE INT64_MAX   /* valid_to of an authority still in force */

struct tally_authority {
    char *code;             /* GSS code, e.g. "E10000021" */
    char *name;             /* registry name, e.g. "Northamptonshire" */
    char *country_code;     /* E92000001, W92000004, S92000003 or N92000002 */
    char *region_code;      /* E12 region for England, "" elsewhere */
    int64_t valid_from;     /* first day in force (days since 1970-01-01) */
    int64_t valid_to;       /* last day in force, or TALLY_NO_END_DATE */
    char *dfe_code;         /* DfE LA number, "" when none */
    char **successors;      /* codes that replaced this one; nsuccessors of them */
    size_t nsuccessors;
    char *norm_name;        /* name normalised by tally_name_normalise */
};

struct tally_registry;

/*
 * Load from CSV text (len bytes). Returns NULL on failure with err->message
 * naming the line and the problem, e.g. "line 12: valid_from \"2009-13-01\" is not a date".
 * Caller frees with tally_registry_free.
 */
struct tally_registry *tally_registry_load(const char *csv, size_t len, struct tally_error *err);
struct tally_registry *tally_registry_load_default(struct tally_error *err);
void tally_registry_free(struct tally_registry *reg);

/* The authority with this exact code (len bytes), or NULL. Borrowed. */
const struct tally_authority *tally_registry_find(const struct tally_registry *reg,
                                                  const char *code, size_t len);

/* Authorities in file order. */
size_t tally_registry_count(const struct tally_registry *reg);
const struct tally_authority *tally_registry_at(const struct tally_registry *reg, size_t i);

/* Was the authority in force on this day (days since 1970-01-01)? */
bool tally_authority_in_force(const struct tally_authority *a, int64_t day);

/*
 * The authorities that took over from a, in force on day: its successors,
 * or theirs when a successor itself ended before day (E10000022 → E06000048
 * → E06000057). Writes at most max of them to out (borrowed) and returns
 * how many there are in all; 0 when none is in force on day.
 */
size_t tally_registry_heirs(const struct tally_registry *reg, const struct tally_authority *a,
                            int64_t day, const struct tally_authority **out, size_t max);

/*
 * The authorities whose DfE local authority number is text[0..len) ("886"),
 * in force on day (or, with day INT64_MIN, any), at most max of them in out;
 * returns how many there are.
 */
size_t tally_registry_find_dfe(const struct tally_registry *reg, const char *text, size_t len,
                               int64_t day, const struct tally_authority **out, size_t max);

/*
 * The authorities in force on day (INT64_MIN: any day) that a name stands
 * for: the registry's own name (tally_names_match), or an alias listed in
 * schemas/aliases.csv (compiled in: "Northants", "Caerdydd"). Each counted
 * once; at most max in out; returns how many.
 */
size_t tally_registry_resolve_name(const struct tally_registry *reg, const char *name,
                                   size_t len, int64_t day, const struct tally_authority **out,
                                   size_t max);

/* Is the name an alias (schemas/aliases.csv) of authority a? */
bool tally_registry_is_alias(const struct tally_registry *reg, const char *name, size_t len,
                             const struct tally_authority *a);

/*
 * Normalise an authority name for comparison: ASCII case folded, "&" read
 * as "and", punctuation as space; dropped: "Council", "City of", "County of",
 * "Borough of", "London/Royal/Metropolitan Borough of", and "City", "County"
 * or "Borough" before "Council" ("Leeds City Council" is Leeds, "Caerphilly
 * County Borough Council" is Caerphilly); runs of space collapsed, ends
 * trimmed. Writes at most outlen-1 bytes plus NUL; returns the length it needed.
 */
size_t tally_name_normalise(const char *name, size_t len, char *out, size_t outlen);

/* Do two names match after normalisation? */
bool tally_names_match(const char *a, size_t alen, const char *b, size_t blen);

#ifdef __cplusplus
}
#endif

#endif
