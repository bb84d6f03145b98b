/*
 * report/spool.c — reports whose totals come first but are known last (JSON,
 * SARIF, HTML) write their diagnostics to a temporary file as they arrive,
 * and copy it into place at the end, so memory stays flat however many there
 * are.
 */
#include "report/reports.h"

int tally_spool_copy(FILE *spool, FILE *out)
{
    char buf[65536];
    size_t n;
    rewind(spool);
    while ((n = fread(buf, 1, sizeof buf, spool)) > 0)
        if (fwrite(buf, 1, n, out) != n)
            return TALLY_EIO;
    return ferror(spool) ? TALLY_EIO : TALLY_OK;
}
