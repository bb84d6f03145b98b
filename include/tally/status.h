/*
 * status.h — the result codes every tally library call returns.
 *
 * Data problems are never statuses: they are diagnostics (diag.h), and the
 * run goes on. A status other than TALLY_OK means the call could not do its
 * job at all (out of memory, an I/O failure, an unusable schema). The numbers
 * are stable and never reused.
 *
 * Threads: the library keeps no process-wide mutable state. Two threads may
 * each run any library operation on their own objects at the same time; an
 * object (schema, registry, reader, validator, writer, build, report...) is
 * not shared between threads without the caller's own locking. When a thread
 * that ran a disclosure audit ends, it calls tally_disclosure_thread_end()
 * (GLPK keeps an environment per thread). Tested: tests/threads/threads.c.
 */
#ifndef TALLY_STATUS_H
#define TALLY_STATUS_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

enum tally_status {
    TALLY_OK        = 0,   /* success */
    TALLY_ENOMEM    = 1,   /* an allocation failed */
    TALLY_EIO       = 2,   /* a read or a write failed, or a file cannot be opened */
    TALLY_ESCHEMA   = 3,   /* the schema file is unusable */
    TALLY_EREGISTRY = 4,   /* the authority registry is unusable */
    TALLY_EINVAL    = 5,   /* an argument is out of range (a bad option value) */
    TALLY_EFORMAT   = 6,   /* an unknown format name */

    TALLY_RECORD    = 100, /* reader next(): a record is ready */
    TALLY_DONE      = 101  /* reader next(): no more records */
};

/*
 * What went wrong when a call returns a failing status: filled by the callee,
 * read by the caller. message is a complete sentence fragment without the
 * program name, e.g. "schema: field 3 (\"in_care\"): unknown type \"count\"".
 */
struct tally_error {
    enum tally_status status;
    char message[512];
};

/* Fill err (when not NULL) and return status. printf-style. */
int tally_error_set(struct tally_error *err, enum tally_status status, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

/* A short constant description of a status, e.g. "out of memory". */
const char *tally_status_str(int status);

#ifdef __cplusplus
}
#endif

#endif
