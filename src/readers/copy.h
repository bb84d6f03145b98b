/*
 * readers/copy.h — copies of records and diagnostics that outlive the call
 * that made them (internal). A reader that runs ahead of its caller (the
 * read-ahead thread, the XML reader's push parser) keeps what it produced in
 * an arena until the caller takes it.
 */
#ifndef TALLY_COPY_H
#define TALLY_COPY_H

#include <stdbool.h>
#include <stddef.h>

#include "core/arena.h"
#include "tally/diag.h"
#include "tally/record.h"

/* d with each of its strings copied into a; false when out of memory.
 * *bytes grows by the bytes copied. */
bool tally_copy_diag(struct tally_arena *a, struct tally_diag *dst, const struct tally_diag *d,
                     size_t *bytes);

/* rec with its field array, texts and paths copied into a, in one block;
 * false when out of memory. *bytes grows by the bytes copied. */
bool tally_copy_record(struct tally_arena *a, struct tally_record *dst,
                       const struct tally_record *rec, size_t *bytes);

#endif
