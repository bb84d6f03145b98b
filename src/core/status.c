/*
 * status.c — result codes and the error struct (status.h), severity names.
 */
#include <stdarg.h>
#include <stdio.h>

#include "tally/diag.h"
#include "tally/status.h"

int tally_error_set(struct tally_error *err, enum tally_status status, const char *fmt, ...)
{
    if (err) {
        va_list ap;
        err->status = status;
        va_start(ap, fmt);
        vsnprintf(err->message, sizeof err->message, fmt, ap);
        va_end(ap);
    }
    return status;
}

const char *tally_status_str(int status)
{
    switch (status) {
    case TALLY_OK:        return "success";
    case TALLY_ENOMEM:    return "out of memory";
    case TALLY_EIO:       return "input/output error";
    case TALLY_ESCHEMA:   return "invalid schema";
    case TALLY_EREGISTRY: return "invalid registry";
    case TALLY_EINVAL:    return "invalid argument";
    case TALLY_EFORMAT:   return "unknown format";
    case TALLY_RECORD:    return "record";
    case TALLY_DONE:      return "done";
    }
    return "unknown status";
}

const char *tally_severity_name(enum tally_severity sev)
{
    switch (sev) {
    case TALLY_SEV_ERROR:   return "error";
    case TALLY_SEV_WARNING: return "warning";
    case TALLY_SEV_INFO:    return "info";
    }
    return "error";
}
