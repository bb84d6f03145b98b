/*
 * cli/convert.c — tally convert [OPTIONS] FILE --to FMT [-o OUT]
 *
 * Rewrites a return in another format (or normalises it in the same one):
 * fields in the schema's order, values trimmed, the registry's authority
 * names. Every record is written, even one with errors, so nothing is lost;
 * the diagnostics go to standard error and the exit status says whether the
 * data has errors. With -o, the output appears only when complete (written
 * beside OUT, then renamed over it) — unless OUT is a device or a FIFO
 * (/dev/stdout, a pipe), which is written in place and never replaced.
 */
#include <errno.h>
#include <stdio_ext.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli.h"

static const char usage[] =
    "usage: tally convert [OPTIONS] FILE --to FMT [-o OUT]\n"
    "\n"
    "Rewrite a return in another format (or the same one, normalised): fields in\n"
    "the schema's order, values trimmed, authority names as in the registry.\n"
    "Problems are reported on standard error; every record is written all the same.\n"
    "\n"
    "  --to FMT             output format: csv, json, ndjson or xml\n"
    "  -o, --output OUT     write to OUT (default: standard output)\n"
    "  --clean              write the repaired values (each repair is an info\n"
    "                       diagnostic `repaired`)\n"
    "  --schema FILE        use this schema instead of the built-in one\n"
    "  --registry FILE      use this authority registry instead of the built-in one\n"
    "  --format FMT         read the input as csv, json, ndjson or xml (default: by\n"
    "                       extension, then by content)\n"
    "  --delimiter C        CSV input field delimiter (default ,)\n"
    "  --report FMT         text (default), json, junit, github, sarif or html,\n"
    "                       on standard error\n"
    "  --report-file FILE   write the report named just before to FILE\n"
    "  --max-errors N       stop detailing after N errors\n"
    "  --fail-on LEVEL      error (default) or warning\n"
    "  -q, --quiet          errors only, no summary line\n"
    "  --progress, --no-progress   the progress line on standard error\n"
    "  -h, --help           this help\n"
    "\n"
    "Examples:\n"
    "  tally convert returns/kent.csv --to json -o kent.json\n"
    "  tally convert returns/cardiff.xml --to csv\n";

static int write_record(void *ctx, struct tally_record *rec, struct tally_error *err)
{
    struct tally_writer *w = ctx;
    return w->ops->write(w, rec, err);
}

int cmd_convert(int argc, char **argv)
{
    struct cli_options o;
    unsigned allowed = OPT_SCHEMA | OPT_REGISTRY | OPT_FORMAT | OPT_DELIMITER | OPT_REPORT |
                       OPT_MAX_ERRORS | OPT_FAIL_ON | OPT_QUIET | OPT_TO | OPT_OUTPUT | OPT_PROGRESS | OPT_CLEAN;
    int status = EXIT_TROUBLE;
    if (!cli_parse(argc, argv, "convert", allowed, &o))
        goto out;
    if (o.help) {
        fputs(usage, stdout);
        status = EXIT_OK;
        goto out;
    }
    if (o.nfiles != 1 || !o.to) {
        cli_error("convert: needs one input FILE and --to FMT (see tally convert --help)");
        goto out;
    }

    struct session s = {.settle = true};
    if (!session_open(&s, &o, stderr)) {
        session_close(&s);
        goto out;
    }
    FILE *fp = stdout;
    char *tmp = NULL;
    struct stat st;
    bool in_place = o.output && stat(o.output, &st) == 0 && !S_ISREG(st.st_mode) &&
                    !S_ISDIR(st.st_mode);
    if (in_place && !(fp = fopen(o.output, "w"))) {
        cli_error("cannot write \"%s\": %s", o.output, strerror(errno));
        session_close(&s);
        goto out;
    }
    if (o.output && !in_place) {
        size_t n = strlen(o.output) + 32;
        tmp = malloc(n);
        if (tmp)
            snprintf(tmp, n, "%s.tally-%ld.tmp", o.output, (long)getpid());
        if (!tmp || !(fp = fopen(tmp, "w"))) {
            cli_error("cannot write \"%s\": %s", o.output, tmp ? strerror(errno) : "out of memory");
            free(tmp);
            session_close(&s);
            goto out;
        }
    }
    /* One thread writes: no lock per call. A bigger buffer: fewer writes. */
    __fsetlocking(fp, FSETLOCKING_BYCALLER);
    setvbuf(fp, NULL, _IOFBF, 1 << 16);
    struct tally_error err;
    struct tally_writer *w = NULL;
    const struct tally_writer_ops *wops = tally_writer_find(o.to);
    /* An input that cannot be opened is reported (as an io error) before any
     * output is started. */
    struct tally_input probe;
    bool readable = tally_input_open(&probe, o.files[0], &err) == TALLY_OK;
    if (readable)
        tally_input_close(&probe);
    else
        session_run_file(&s, o.files[0], NULL, NULL);
    bool ok = readable && wops->open(&w, fp, s.schema, &err) == TALLY_OK;
    if (ok) {
        session_run_file(&s, o.files[0], write_record, w);
        ok = wops->finish(w, &err) == TALLY_OK;
        wops->close(w);
    }
    if (!ok && readable)
        cli_error("%s", err.message);
    if (fflush(fp) != 0 || ferror(fp)) {
        cli_error("cannot write %s: %s", o.output ? o.output : "standard output", strerror(errno));
        ok = false;
    }
    if (o.output) {
        if (fclose(fp) != 0) {
            cli_error("cannot write \"%s\": %s", o.output, strerror(errno));
            ok = false;
        }
        if (tmp && ok && !s.trouble && rename(tmp, o.output) != 0) {
            cli_error("cannot write \"%s\": %s", o.output, strerror(errno));
            ok = false;
        }
        if (tmp && (!ok || s.trouble))
            remove(tmp);
        free(tmp);
    }
    session_settle(&s);
    status = session_close(&s);
    if (!ok)
        status = EXIT_TROUBLE;
out:
    free(o.files);
    return status;
}
