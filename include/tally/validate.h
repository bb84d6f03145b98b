/*
 * validate.h — the validator: checks one record at a time against the schema
 * and the registry.
 *
 * For each record: parse every field's text into a value (type), required,
 * constraints, the registry (authority-unknown, authority-not-valid,
 * authority-name), the period (--period), then the schema's rules.
 * Diagnostics go to the sink; rec->errors and rec->warnings count them.
 * Records that share a primary key are settled afterwards, across files, by
 * settle.h.
 */
#ifndef TALLY_VALIDATE_H
#define TALLY_VALIDATE_H

#include <stdbool.h>
#include <stdint.h>

#include "tally/diag.h"
#include "tally/record.h"
#include "tally/registry.h"
#include "tally/schema.h"
#include "tally/status.h"

#ifdef __cplusplus
extern "C" {
#endif

struct tally_validator_options {
    bool has_period;        /* --period given: every record must cover it */
    int64_t period_start;   /* days since 1970-01-01 */
    int64_t period_end;
};

struct tally_validator_stats {
    uint64_t rules_evaluated;
    uint64_t rules_skipped;
};

struct tally_validator;

/* schema and registry are borrowed and must outlive the validator; registry
 * may be NULL (no authority checks). Caller frees with tally_validator_free. */
struct tally_validator *tally_validator_new(const struct tally_schema *schema,
                                            const struct tally_registry *registry,
                                            const struct tally_validator_options *opts,
                                            struct tally_diag_sink sink,
                                            struct tally_error *err);

/* Check one record (fills its values). Fails only with TALLY_ENOMEM. */
int tally_validator_check(struct tally_validator *v, struct tally_record *rec,
                          struct tally_error *err);

const struct tally_validator_stats *tally_validator_stats(const struct tally_validator *v);

void tally_validator_free(struct tally_validator *v);

#ifdef __cplusplus
}
#endif

#endif
