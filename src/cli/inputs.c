/*
 * cli/inputs.c — the input files of a run: files as given, and directories
 * walked for returns (the extensions of the reader table: .csv, .json,
 * .ndjson, .jsonl, .xml, .xlsx, .xlsm, .ods), sorted by path so the order on
 * the command line never changes a result.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "core/grow.h"
#include "cli/cli.h"

/* ---- inputs ------------------------------------------------------------------- */

static bool push_path(struct cli_paths *p, char *path)
{
    if (!path)
        return false;
    if (tally_grow((void **)&p->v, &p->cap, p->n, sizeof *p->v, 64) != TALLY_OK) {
        free(path);
        return false;
    }
    p->v[p->n++] = path;
    return true;
}

/* A file some reader takes by its name's ending. */
static bool wanted(const char *name)
{
    return tally_reader_for_path(name) != NULL;
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

/* Add the returns under dir (recursively; hidden entries, symlinked
 * directories, FIFOs and devices are skipped). Prints and returns false on
 * failure. */
static bool walk(const char *dir, struct cli_paths *out)
{
    DIR *d = opendir(dir);
    if (!d) {
        cli_error("cannot read directory \"%s\": %s", dir, strerror(errno));
        return false;
    }
    bool ok = true;
    struct dirent *e;
    while (ok && (e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        char *path = cli_join(dir, e->d_name);
        struct stat st;
        if (!path || lstat(path, &st) != 0) {
            cli_error("cannot read \"%s\": %s", path ? path : e->d_name, strerror(errno));
            free(path);
            ok = false;
        } else if (S_ISDIR(st.st_mode)) {
            ok = walk(path, out);
            free(path);
        } else if (wanted(e->d_name) && is_file(path, &st)) {
            if (!(ok = push_path(out, path)))
                cli_error("out of memory");
        } else {
            free(path);
        }
    }
    closedir(d);
    return ok;
}

static int by_path(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Expand the command line's files and directories into a sorted, unique list. */
bool cli_collect_inputs(char **args, size_t n, bool sort, struct cli_paths *out)
{
    for (size_t i = 0; i < n; i++) {
        struct stat st;
        size_t first = out->n;
        if (strcmp(args[i], "-") != 0 && stat(args[i], &st) == 0 && S_ISDIR(st.st_mode)) {
            if (!walk(args[i], out))
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
    return true;
}

void cli_paths_free(struct cli_paths *p)
{
    for (size_t i = 0; i < p->n; i++)
        free(p->v[i]);
    free(p->v);
    p->v = NULL;
    p->n = p->cap = 0;
}
