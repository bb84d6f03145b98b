/*
 * clean.h — `--clean`: repairing what can be repaired without guessing.
 *
 * The cleaner sits between a reader and the validator. It rewrites a
 * record's field texts in place (the new texts live until the next call) and
 * reports every repair as an `info` diagnostic with code `repaired`, the
 * field's location, the value before (as the diagnostic's value) and after
 * (in the message). It never changes a value that is already valid, never
 * uses the rules' arithmetic except the schema's declared derivations, and
 * never turns an error into something else: what it cannot repair is left for
 * the validator to report.
 *
 * Repairs: surrounding spaces (and no-break spaces); thousands separators and
 * a zero fraction in counts; other spellings of the symbols and of a field's
 * values (listed in the schema's "cleaning"), and their case; the case of a
 * code (a pattern that matches once upper-cased); day-first dates
 * (30/09/2015, also with a time: "30/09/2015 00:00") and ISO dates with a
 * time part; an authority code given as DfE's local authority number ("886")
 * or as an old code with exactly one successor in force on the period's last
 * day; a missing authority code from an unambiguous name (or a known alias)
 * in force on that day; and a missing count derived from two others when the
 * schema says how. A record whose row is ragged is left alone.
 */
#ifndef TALLY_CLEAN_H
#define TALLY_CLEAN_H

#include "tally/diag.h"
#include "tally/record.h"
#include "tally/registry.h"
#include "tally/schema.h"
#include "tally/status.h"

#ifdef __cplusplus
extern "C" {
#endif

struct tally_cleaner;

/* schema and registry are borrowed (registry may be NULL: no name lookups).
 * Caller frees with tally_cleaner_free. */
struct tally_cleaner *tally_cleaner_new(const struct tally_schema *schema,
                                        const struct tally_registry *registry,
                                        struct tally_diag_sink sink, struct tally_error *err);

/* Repair rec in place. Fails only with TALLY_ENOMEM. */
int tally_cleaner_clean(struct tally_cleaner *c, struct tally_record *rec, struct tally_error *err);

/*
 * How many repairs tally_cleaner_clean would make to rec, without making
 * them or reporting anything: rec is left exactly as it was (so a run
 * without --clean can say "N values could be repaired with --clean" from the
 * cleaner itself). Fails only with TALLY_ENOMEM.
 */
int tally_cleaner_count(struct tally_cleaner *c, struct tally_record *rec, uint64_t *n,
                        struct tally_error *err);

/* Repairs made so far. */
uint64_t tally_cleaner_repairs(const struct tally_cleaner *c);

void tally_cleaner_free(struct tally_cleaner *c);

#ifdef __cplusplus
}
#endif

#endif
