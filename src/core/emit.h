/*
 * emit.h — building diagnostics inside the library (internal).
 *
 * Readers and the validator describe a problem once, with printf-style
 * text, and these functions fill in the location from the record and field,
 * count the diagnostic on the record, and hand it to the sink.
 */
#ifndef TALLY_EMIT_H
#define TALLY_EMIT_H

#include <stdarg.h>

#include "tally/diag.h"
#include "tally/record.h"
#include "tally/schema.h"

#if defined(__GNUC__)
#define TALLY_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define TALLY_PRINTF(a, b)
#endif

/*
 * A diagnostic at an explicit place. rec may be NULL (a file-level problem);
 * when given, its error/warning count goes up. field, value and path may be
 * NULL.
 */
void tally_emit_at(const struct tally_diag_sink *sink, struct tally_record *rec, const char *file,
                   const struct tally_loc *loc, uint64_t record, const char *field,
                   const char *value, enum tally_path_kind kind, const char *path,
                   enum tally_severity sev, const char *code, const char *fmt, ...)
    TALLY_PRINTF(12, 13);

/* The same, with the message's arguments as a va_list. */
void tally_emit_atv(const struct tally_diag_sink *sink, struct tally_record *rec, const char *file,
                    const struct tally_loc *loc, uint64_t record, const char *field,
                    const char *value, enum tally_path_kind kind, const char *path,
                    enum tally_severity sev, const char *code, const char *fmt, va_list ap)
    TALLY_PRINTF(12, 0);

/*
 * A diagnostic about field `field` (a schema index) of rec: located at the
 * field's value when it has one, else at the record; the value is the
 * field's text.
 */
void tally_emit_field(const struct tally_diag_sink *sink, const struct tally_schema *schema,
                      struct tally_record *rec, size_t field, enum tally_severity sev,
                      const char *code, const char *fmt, ...) TALLY_PRINTF(7, 8);

/* A diagnostic about the record as a whole, located where it starts. */
void tally_emit_record(const struct tally_diag_sink *sink, struct tally_record *rec,
                       enum tally_severity sev, const char *code, const char *fmt, ...)
    TALLY_PRINTF(5, 6);

#endif
