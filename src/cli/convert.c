/*
 * cli/convert.c — tally convert [OPTIONS] FILE --to FMT [-o OUT]
 *
 * Rewrites a return in another format (or normalises it in the same one):
 * fields in the schema's order, values trimmed, the registry's authority
 * names. Every record is written, even one with errors, so nothing is lost;
 * the diagnostics go to standard error and the exit status says whether the
 * data has errors. With -o, the output appears only when complete (written
 * to a file mkstemp makes beside OUT, then renamed over it) — unless OUT is a
 * device or a FIFO (/dev/stdout, a pipe), which is written in place and never
 * replaced. A symbolic link at OUT (to anything but a device or FIFO) is
 * refused: tally writes through no link it did not make.
 */
#include <errno.h>
#include <fcntl.h>
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
    "  --bom                start a CSV output with a UTF-8 byte order mark, so that\n"
    "                       Excel reads accented names right\n"
    "  --clean              write the repaired values (each repair is an info\n"
    "                       diagnostic `repaired`)\n"
    "  --schema FILE        use this schema instead of the built-in one\n"
    "  --registry FILE      use this authority registry instead of the built-in one\n"
    "  --format FMT         read inputs as csv, json, ndjson, xml, xlsx or ods\n"
    "                       (default: by extension, then by content)\n"
    "  --delimiter C        CSV field delimiter (default: a comma, or the one the\n"
    "                       header shows; \\t for tab)\n"
    "  --sheet NAME         the workbook sheet to read (default: the first)\n"
    "  --report FMT         text (default), json, junit, github, sarif or html,\n"
    "                       on standard error\n"
    "  --report-file FILE   write the report named just before to FILE\n"
    "  --max-errors N       stop detailing after N errors\n"
    "  --fail-on LEVEL      error (default) or warning\n"
    "  -q, --quiet          errors only, no summary\n"
    "  --progress, --no-progress   the progress line on standard error\n"
    "  -h, --help           this help\n"
    "\n"
    "Examples:\n"
    "  tally convert returns/kent.csv --to json -o kent.json\n"
    "  tally convert returns/cardiff.xml --to csv\n";

static const char link_refused[] =
    "\"%s\" is a symbolic link: tally writes its output only where there is no file or a "
    "regular file, and never through a link it did not make; give the file itself, or remove "
    "the link";

/*
 * Where convert -o OUT writes. A device or a FIFO (also through a link), and
 * anything under /dev/ (/dev/stdout), is written in place, never created or
 * replaced. Otherwise the
 * output goes to a new file that mkstemp makes beside OUT (".OUT.tally-XXXXXX":
 * no name anyone can guess and plant a link at), renamed over OUT when
 * complete (put_in_place); *tmp receives its name (caller frees). OUT itself
 * may be absent or a regular file: a link to anything else, or a directory,
 * is refused. Prints and returns NULL on failure.
 */
static FILE *open_output(const char *out, char **tmp)
{
    struct stat lst, st;
    bool exists = lstat(out, &lst) == 0;
    if (!exists && errno != ENOENT) {
        cli_error("cannot write \"%s\": %s", out, strerror(errno));
        return NULL;
    }
    /* /dev/stdout is a link to whatever standard output is: a file the shell
     * opened, too. Only the system makes names under /dev/. */
    bool dev = strncmp(out, "/dev/", 5) == 0;
    bool device = exists && stat(out, &st) == 0 && (dev || S_ISCHR(st.st_mode) || S_ISFIFO(st.st_mode));
    if (device) {
        int fd = open(out, O_WRONLY | O_NOCTTY | O_CLOEXEC);
        FILE *fp = NULL;
        if (fd >= 0 && (fstat(fd, &st) != 0 || (S_ISREG(st.st_mode) && !dev) ||
                        !(fp = fdopen(fd, "w")))) {
            close(fd);
            errno = EINVAL;
        }
        if (!fp)
            cli_error("cannot write \"%s\": %s", out, strerror(errno));
        return fp;
    }
    if (exists && S_ISLNK(lst.st_mode)) {
        cli_error(link_refused, out);
        return NULL;
    }
    if (exists && !S_ISREG(lst.st_mode)) {
        cli_error("cannot write \"%s\": %s", out, S_ISDIR(lst.st_mode) ? "it is a directory"
                                                                       : "it is not a regular file");
        return NULL;
    }
    const char *slash = strrchr(out, '/'), *base = slash ? slash + 1 : out;
    size_t dir = slash ? (size_t)(slash - out) + 1 : 0, n = dir + strlen(base) + 16;
    if (!(*tmp = malloc(n))) {
        cli_error("out of memory");
        return NULL;
    }
    snprintf(*tmp, n, "%.*s.%s.tally-XXXXXX", (int)dir, out, base);
    int fd = mkstemp(*tmp);     /* O_CREAT | O_EXCL: never an existing name, never a link */
    mode_t mask = umask(0);
    umask(mask);
    FILE *fp = NULL;
    if (fd >= 0 && (fchmod(fd, 0666 & ~mask) != 0 || !(fp = fdopen(fd, "w")))) {
        int e = errno;
        close(fd);
        unlink(*tmp);
        errno = e;
    }
    if (!fp) {
        cli_error("cannot write \"%s\": %s", out, strerror(errno));
        free(*tmp);
        *tmp = NULL;
    }
    return fp;
}

/* Rename the finished tmp over out — only when out is still absent or a
 * regular file (rename never follows a link, but a link is not replaced
 * either). Prints and returns false. */
static bool put_in_place(const char *tmp, const char *out)
{
    struct stat lst;
    if (lstat(out, &lst) == 0 && !S_ISREG(lst.st_mode)) {
        if (S_ISLNK(lst.st_mode))
            cli_error(link_refused, out);
        else
            cli_error("cannot write \"%s\": it is not a regular file", out);
        return false;
    }
    if (rename(tmp, out) != 0) {
        cli_error("cannot write \"%s\": %s", out, strerror(errno));
        return false;
    }
    return true;
}

static int write_record(void *ctx, struct tally_record *rec, struct tally_error *err)
{
    struct tally_writer *w = ctx;
    return w->ops->write(w, rec, err);
}

int cmd_convert(int argc, char **argv)
{
    struct cli_options o;
    unsigned allowed = OPT_SCHEMA | OPT_REGISTRY | OPT_FORMAT | OPT_DELIMITER | OPT_REPORT |
                       OPT_MAX_ERRORS | OPT_FAIL_ON | OPT_QUIET | OPT_TO | OPT_OUTPUT | OPT_PROGRESS | OPT_CLEAN |
                       OPT_BOM;
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
    if (o.bom && strcmp(o.to, "csv") != 0) {
        cli_error("convert: --bom is for --to csv (a byte order mark has no place in %s)", o.to);
        goto out;
    }

    FILE *fp = stdout;
    char *tmp = NULL;
    if (o.output && !(fp = open_output(o.output, &tmp)))
        goto out;
    struct session s = {.settle = true};
    if (!session_open(&s, &o, stderr)) {
        session_close(&s);
        if (o.output)
            fclose(fp);
        if (tmp)
            unlink(tmp);
        free(tmp);
        goto out;
    }
    session_expect(&s, o.files, 1);
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
    /* Excel takes a CSV file without a byte order mark for the Windows code
     * page; with one, for UTF-8. tally's readers drop it. */
    if (readable && o.bom)
        fputs("\xEF\xBB\xBF", fp);
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
        if (tmp && ok && !s.trouble && !put_in_place(tmp, o.output))
            ok = false;
        if (tmp && (!ok || s.trouble))
            unlink(tmp);
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
