/*
 * settle.h — settling records that share a primary key, within a file and
 * across files: the one judgement that `tally validate` and `tally build`
 * both make (doc/return-format.md §4).
 *
 *   s = tally_settler_new(schema, sink, &err);
 *   for each file:   tally_settler_add_file(s, path, &err);
 *     for each validated record: tally_settler_add(s, rec, &id, &err);
 *   tally_settler_finish(s, &err);          duplicate, superseded, conflict
 *   fate = tally_settler_fate(s, id);        (a build asks; validate need not)
 *
 * The settler streams: per record it keeps a fixed 48 bytes (and 12 more for
 * a JSON Pointer or XPath) — hashes of the key and of the other values, the
 * submitted time, whether the record has errors, and where it was — never
 * the record. The decisions and their diagnostics come out of finish, group
 * by group in the order each group's first record was added, and within a
 * group record by record.
 *
 * The rule, for the records of one key (a record with an error in a key
 * field takes no part: it cannot say which key it is for):
 *
 *   0. a record with errors is rejected, and keeps its own errors; it counts
 *      only as a later submission: when every record without errors has a
 *      submitted time and one with errors was submitted after all of them,
 *      they are all `superseded` (warning) by it — figures an authority has
 *      replaced are never published — and nothing is accepted;
 *   otherwise the records without errors are settled among themselves:
 *   1. the same values (apart from `submitted`): the first is accepted, the
 *      others are `duplicate` (info);
 *   2. otherwise, when every one has a submitted time, the latest time
 *      decides: those submitted earlier are `superseded` (warning); of those
 *      submitted at the latest time, if they all have the same values, the
 *      first is accepted and the others `duplicate`; if not, each is a
 *      `conflict` (error);
 *   3. otherwise (some record has no submitted time, or an invalid one, so
 *      nothing says which came last): each is a `conflict` (error).
 *
 * A submitted time without an offset (TALLY_LOCAL_DATETIME) is known only to
 * within TALLY_LOCAL_TIME_WINDOW either side: "after" and "latest" above mean
 * certainly after — one record's earliest possible instant after the other's
 * latest. In rule 2 the records not certainly before the latest one are the
 * candidates: identical, the first is accepted; otherwise each is a conflict.
 */
#ifndef TALLY_SETTLE_H
#define TALLY_SETTLE_H

#include <stdbool.h>
#include <stdint.h>

#include "tally/diag.h"
#include "tally/record.h"
#include "tally/schema.h"
#include "tally/status.h"

#ifdef __cplusplus
extern "C" {
#endif

enum tally_fate {
    TALLY_FATE_ACCEPTED = 0,
    TALLY_FATE_REJECTED,    /* an error in the record, or a conflict */
    TALLY_FATE_SUPERSEDED,  /* a later submission of the same key replaced it */
    TALLY_FATE_DUPLICATE,   /* an identical record was kept instead */
    TALLY_FATE_COUNT
};

/* "accepted", "rejected", "superseded", "duplicate". */
const char *tally_fate_name(enum tally_fate fate);

/* The id of a record that takes no part in settling (an error in its key). */
#define TALLY_SETTLE_NONE UINT32_MAX

struct tally_settler;

/* schema is borrowed and must outlive the settler. Diagnostics go to sink.
 * Caller frees with tally_settler_free. */
struct tally_settler *tally_settler_new(const struct tally_schema *schema,
                                        struct tally_diag_sink sink, struct tally_error *err);

/* The records added next come from the file at path (borrowed: it must
 * outlive the settler; diagnostics name it). Fails only with TALLY_ENOMEM. */
int tally_settler_add_file(struct tally_settler *s, const char *path, struct tally_error *err);

/*
 * Note a validated record of the current file: its errors must all have been
 * counted (rec->errors) and its values parsed. *id (may be NULL) receives the
 * record's id for tally_settler_fate, or TALLY_SETTLE_NONE when it takes no
 * part. Fails only with TALLY_ENOMEM.
 */
int tally_settler_add(struct tally_settler *s, const struct tally_record *rec, uint32_t *id,
                      struct tally_error *err);

/* Settle every group and send its diagnostics to the sink. Call once, after
 * the last record. Fails only with TALLY_ENOMEM. */
int tally_settler_finish(struct tally_settler *s, struct tally_error *err);

/*
 * After finish: what became of record id. *conflict (may be NULL) is set
 * when a rejection is settling's (a `conflict`), not the record's own errors.
 */
enum tally_fate tally_settler_fate(const struct tally_settler *s, uint32_t id, bool *conflict);

void tally_settler_free(struct tally_settler *s);

#ifdef __cplusplus
}
#endif

#endif
