/*
 * report/spool.c — reports whose totals come first but are known last (JSON,
 * SARIF, HTML) write their diagnostics to a temporary file as they arrive,
 * and copy it into place at the end, so memory stays flat however many there
 * are.
 */
#include "report/reports.h"

FILE *tally_spool_open(const char *report, struct tally_error *err)
{
    FILE *spool = tmpfile();
    if (!spool)
        tally_error_set(err, TALLY_EIO, "cannot create a temporary file for the %s report", report);
    return spool;
}

int tally_spool_copy(FILE *spool, FILE *out, const char *report, struct tally_error *err)
{
    char buf[65536];
    size_t n;
    rewind(spool);
    while ((n = fread(buf, 1, sizeof buf, spool)) > 0)
        if (fwrite(buf, 1, n, out) != n)
            return tally_error_set(err, TALLY_EIO, "cannot write the %s report", report);
    if (ferror(spool))
        return tally_error_set(err, TALLY_EIO, "cannot read back the %s report's temporary file",
                               report);
    return TALLY_OK;
}
