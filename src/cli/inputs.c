/*
 * cli/inputs.c — the input files of a run: files as given, and directories
 * walked for returns (the endings of the reader table: .csv, .json, .ndjson,
 * .jsonl, .xml, .xlsx, .xlsm, .ods), sorted by path so the order on the
 * command line never changes a result. Every other entry under a directory is
 * listed as skipped, with the reason, for the reports and the manifest:
 * nothing is left out without a trace — also what --exclude leaves out (a
 * directory once, not what is in it).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/grow.h"
#include "cli/cli.h"

/* ---- inputs ------------------------------------------------------------------- */

static bool push_path(struct cli_paths *p, char *path)
{
    if (!path)
        return false;
    if (!cli_grow((void **)&p->v, &p->cap, p->n, sizeof *p->v, 64)) {
        free(path);
        return false;
    }
    p->v[p->n++] = path;
    return true;
}

/* A return, by its name: a reader takes files with that ending. */
static bool wanted(const char *name)
{
    return tally_reader_for_path(name) != NULL;
}

/* Note path as skipped, for reason (printf-style). Takes path. */
static bool skip(struct cli_paths *p, char *path, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static bool skip(struct cli_paths *p, char *path, const char *fmt, ...)
{
    char reason[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(reason, sizeof reason, fmt, ap);
    va_end(ap);
    char *copy = strdup(reason);
    if (!copy || !cli_grow((void **)&p->skipped, &p->skipped_cap, p->nskipped,
                            sizeof *p->skipped, 16)) {
        free(copy);
        free(path);
        return false;
    }
    p->skipped[p->nskipped++] = (struct tally_report_skipped){path, copy};
    return true;
}

/* Why a regular file that is not named like a return is not read: what it
 * is, when its first bytes say (a workbook, a document, an archive). */
static bool skip_file(struct cli_paths *p, char *path)
{
    unsigned char buf[TALLY_FILE_KIND_ZIP_BYTES];
    size_t n = 0;
    int fd = open(path, O_RDONLY | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
    struct stat st;
    if (fd >= 0 && fstat(fd, &st) == 0 && S_ISREG(st.st_mode)) {
        ssize_t got;
        while (n < sizeof buf && (got = read(fd, buf + n, sizeof buf - n)) > 0)
            n += (size_t)got;
    }
    if (fd >= 0)
        close(fd);
    const struct tally_file_kind *k = tally_file_kind(buf, n, path);
    const struct tally_reader_ops *r = k && k->reader ? tally_reader_find(k->reader) : NULL;
    if (r)      /* tally reads it, but a walk goes by the name */
        return skip(p, path, "%s, but not named like one: name it %s to have it read", k->what,
                    r->extensions[0]);
    if (k)
        return skip(p, path, "%s: %s", k->what, k->advice);
    char *endings = tally_reader_endings();
    if (!endings) {
        free(path);
        return false;
    }
    bool ok = skip(p, path, "not a return: tally reads %s files", endings);
    free(endings);
    return ok;
}

/* What a special file is, for the reason it is skipped. */
static const char *special(const struct stat *st)
{
    return S_ISFIFO(st->st_mode) ? "a FIFO" : S_ISSOCK(st->st_mode) ? "a socket"
           : S_ISCHR(st->st_mode) || S_ISBLK(st->st_mode) ? "a device" : "not a regular file";
}

char *cli_join(const char *dir, const char *name)
{
    size_t n = strlen(dir);
    bool slash = n && dir[n - 1] == '/';
    char *p = malloc(n + strlen(name) + 2);
    if (p)
        sprintf(p, "%s%s%s", dir, slash ? "" : "/", name);
    return p;
}

/* Is a walked entry (lst: its lstat) a file to read? Regular files and
 * symlinks to them (a dangling one too, so that opening it reports the
 * problem); never a FIFO, socket or device, whose open could block forever. */
static bool is_file(const char *path, const struct stat *lst)
{
    struct stat st;
    if (S_ISREG(lst->st_mode))
        return true;
    return S_ISLNK(lst->st_mode) && (stat(path, &st) != 0 || S_ISREG(st.st_mode));
}

/* The --exclude pattern that leaves out the entry `name` at rel (its path
 * relative to the directory given), or NULL. A pattern with a '/' is matched
 * against rel ('*' matching '/' too: "*\/old" is any folder old below the
 * top); one without, against the name, at any depth ("archive", "*.bak"). */
static const char *excluded(const struct cli_options *o, const char *rel, const char *name)
{
    for (size_t i = 0; i < o->nexcludes; i++) {
        const char *pat = o->excludes[i];
        if (fnmatch(pat, strchr(pat, '/') ? rel : name, 0) == 0)
            return pat;
    }
    return NULL;
}

/* Add the returns under dir (recursively); note every other entry as skipped:
 * what --exclude matches (a directory is not searched), hidden entries (not
 * searched), links to directories (not followed), FIFOs, sockets and devices
 * (never opened: their open could block forever), and files not named like a
 * return. rel: where dir's entries' paths start below the directory given.
 * Prints and returns false on failure. */
static bool walk(const struct cli_options *o, const char *dir, size_t rel,
                 struct cli_paths *out)
{
    DIR *d = opendir(dir);
    if (!d) {
        cli_error("cannot read directory \"%s\": %s", dir, strerror(errno));
        return false;
    }
    bool ok = true;
    struct dirent *e;
    while (ok && (e = readdir(d))) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        char *path = cli_join(dir, e->d_name);
        struct stat st, target;
        if (!path || lstat(path, &st) != 0) {
            cli_error("cannot read \"%s\": %s", path ? path : e->d_name, strerror(errno));
            free(path);
            ok = false;
            continue;
        }
        bool link_to_dir = S_ISLNK(st.st_mode) && stat(path, &target) == 0 && S_ISDIR(target.st_mode);
        bool walked = false;
        const char *pat = excluded(o, path + rel, e->d_name);
        if (pat)
            ok = skip(out, path, "excluded by --exclude %s", pat);
        else if (e->d_name[0] == '.')
            ok = skip(out, path, S_ISDIR(st.st_mode) ? "a hidden directory: not searched"
                                                     : "a hidden file: not read");
        else if (S_ISDIR(st.st_mode)) {
            ok = walk(o, path, rel, out);   /* prints its own failures */
            walked = true;
            free(path);
        } else if (link_to_dir)
            ok = skip(out, path, "a link to a directory: not followed");
        else if (!S_ISREG(st.st_mode) && !S_ISLNK(st.st_mode))
            ok = skip(out, path, "%s: not read", special(&st));
        else if (!wanted(e->d_name))
            ok = skip_file(out, path);
        else if (is_file(path, &st))
            ok = push_path(out, path);
        else
            ok = skip(out, path, "a link to %s: not read", special(&target));
        if (!ok && !walked)
            cli_error("out of memory");
    }
    closedir(d);
    return ok;
}

static int by_skipped_path(const void *a, const void *b)
{
    return strcmp(((const struct tally_report_skipped *)a)->path,
                  ((const struct tally_report_skipped *)b)->path);
}

static int by_path(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Expand the command line's files and directories into a sorted, unique list. */
bool cli_collect_inputs(const struct cli_options *o, bool sort, struct cli_paths *out)
{
    char **args = o->files;
    size_t n = o->nfiles;
    for (size_t i = 0; i < n; i++) {
        struct stat st;
        size_t first = out->n;
        if (strcmp(args[i], "-") != 0 && stat(args[i], &st) == 0 && S_ISDIR(st.st_mode)) {
            size_t len = strlen(args[i]);
            if (!cli_grow((void **)&out->walked, &out->walked_cap, out->nwalked,
                          sizeof *out->walked, 4)) {
                cli_error("out of memory");
                return false;
            }
            out->walked[out->nwalked++] = args[i];
            /* cli_join adds a '/' unless the directory ends with one. */
            if (!walk(o, args[i], len + (len && args[i][len - 1] != '/'), out))
                return false;
            if (out->n - first > 1)     /* a directory's returns, in path order */
                qsort(out->v + first, out->n - first, sizeof *out->v, by_path);
        } else if (!push_path(out, strdup(args[i]))) {
            cli_error("out of memory");
            return false;
        }
    }
    if (sort && out->n)
        qsort(out->v, out->n, sizeof *out->v, by_path);
    /* A file named twice is read once (at its first place). */
    size_t u = 0;
    for (size_t i = 0; i < out->n; i++) {
        size_t k = 0;
        while (k < u && strcmp(out->v[k], out->v[i]) != 0)
            k++;
        if (k < u)
            free(out->v[i]);
        else
            out->v[u++] = out->v[i];
    }
    out->n = u;
    if (out->nskipped > 1)
        qsort(out->skipped, out->nskipped, sizeof *out->skipped, by_skipped_path);
    return true;
}

void cli_paths_free(struct cli_paths *p)
{
    for (size_t i = 0; i < p->n; i++)
        free(p->v[i]);
    for (size_t i = 0; i < p->nskipped; i++) {
        free((char *)p->skipped[i].path);
        free((char *)p->skipped[i].reason);
    }
    free(p->v);
    free(p->skipped);
    free(p->walked);
    memset(p, 0, sizeof *p);
}
