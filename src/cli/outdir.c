/*
 * cli/outdir.c — the output directory of `tally build -o DIR`: whether DIR
 * may be built into, the working directory beside it, and the swap.
 *
 * tally never deletes or replaces a file it did not write:
 *
 *   - DIR must not be an input, hold an input, or lie inside an input
 *     directory (compared by device and inode, so links and ".." do not
 *     matter). Nothing overrides this.
 *   - DIR must not be a symbolic link: tally follows no link it did not make.
 *   - An existing DIR must be empty or a previous tally build: every build
 *     holds a marker, MARKER, that lists every file the build wrote, and a
 *     previous build is a directory holding only those files (a build made
 *     before the marker existed is recognised by its eight files). --force
 *     builds into any other directory: what tally did not write is moved into
 *     the new DIR beside the outputs (or, where a name is taken, kept in the
 *     old directory, which is then left beside DIR and named).
 *
 * The build is written into a working directory that mkdtemp(3) creates
 * beside DIR (".DIR.tally-XXXXXX", mode 0700 until the swap, so nobody else
 * can put anything in it), and swapped in at the very end with
 * renameat2(RENAME_EXCHANGE), or put in place with RENAME_NOREPLACE when DIR
 * does not exist: a build that fails or is killed leaves DIR as it was. The
 * old contents then sit at the working directory's name; of them, tally
 * deletes only the files its marker lists, through a descriptor of that
 * directory (no path is resolved again, no link is followed).
 */
#define _GNU_SOURCE     /* renameat2, RENAME_EXCHANGE, RENAME_NOREPLACE */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/grow.h"
#include "cli/cli.h"

#define MARKER_MAX (1 << 20)        /* a marker longer than this is not tally's */
#define MARKER_HEADER "tally build output"

/* The files of a build made before the marker: a directory of exactly these
 * is a previous build too. */
static const char *const legacy[] = {"dataset.csv", "dataset.json", "dataset.xml",
                                     "dataset.sqlite", "rejects.csv", "report.json",
                                     "report.html", "manifest.json", NULL};

/* ---- names ------------------------------------------------------------------- */

static bool names_add(struct cli_names *l, const char *s, size_t len)
{
    char *copy = malloc(len + 1);
    if (!copy || !cli_grow((void **)&l->v, &l->cap, l->n, sizeof *l->v, 16)) {
        free(copy);
        return false;
    }
    memcpy(copy, s, len);
    copy[len] = '\0';
    l->v[l->n++] = copy;
    return true;
}

static bool names_has(const struct cli_names *l, const char *s)
{
    for (size_t i = 0; i < l->n; i++)
        if (strcmp(l->v[i], s) == 0)
            return true;
    return false;
}

/* Is s a directory on the way to a listed file ("ees" for "ees/x.csv")? */
static bool names_has_dir(const struct cli_names *l, const char *s)
{
    size_t n = strlen(s);
    for (size_t i = 0; i < l->n; i++)
        if (strncmp(l->v[i], s, n) == 0 && l->v[i][n] == '/')
            return true;
    return false;
}

static void names_free(struct cli_names *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->v[i]);
    free(l->v);
    memset(l, 0, sizeof *l);
}

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* ---- reading a directory without following links ---------------------------- */

/*
 * Every entry under the directory open as fd, depth first, as paths relative
 * to it ("ees/x.csv"), each with its lstat: visit(ctx, rel, st) returns false
 * to stop (then so does this). Closes fd. Sets *nomem on a failed allocation
 * and *ioerr on an unreadable directory.
 */
typedef bool (*visit_fn)(void *ctx, const char *rel, const struct stat *st);

static bool walk_fd(int fd, const char *prefix, visit_fn visit, void *ctx, bool *trouble)
{
    DIR *d = fdopendir(fd);
    if (!d) {
        close(fd);
        *trouble = true;
        return false;
    }
    bool go = true;
    struct dirent *e;
    while (go && (e = readdir(d))) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        size_t plen = strlen(prefix), nlen = strlen(e->d_name);
        char *rel = malloc(plen + nlen + 2);
        struct stat st;
        if (!rel) {
            *trouble = true;
            go = false;
            break;
        }
        snprintf(rel, plen + nlen + 2, "%s%s%s", prefix, plen ? "/" : "", e->d_name);
        if (fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0) {
            *trouble = true;
            go = false;
        } else {
            go = visit(ctx, rel, &st);
            if (go && S_ISDIR(st.st_mode)) {
                int sub = openat(dirfd(d), e->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                go = sub >= 0 ? walk_fd(sub, rel, visit, ctx, trouble) : (*trouble = true, false);
            }
        }
        free(rel);
    }
    closedir(d);
    return go;
}

/* ---- the marker ------------------------------------------------------------- */

/* Read the marker in the directory open as dirfd into own; false when there
 * is none, or it is not tally's. *nomem on a failed allocation. */
static bool read_marker(int dirfd, struct cli_names *own, bool *nomem)
{
    int fd = openat(dirfd, TALLY_BUILD_MARKER, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
    struct stat st;
    if (fd < 0)
        return false;
    char *text = NULL;
    bool ok = fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size < MARKER_MAX &&
              (text = malloc((size_t)st.st_size + 1));
    if (!text && ok)
        *nomem = true, ok = false;
    size_t n = 0;
    ssize_t got;
    while (ok && n < (size_t)st.st_size && (got = read(fd, text + n, (size_t)st.st_size - n)) > 0)
        n += (size_t)got;
    close(fd);
    if (ok) {
        text[n] = '\0';
        ok = strncmp(text, MARKER_HEADER "\n", strlen(MARKER_HEADER) + 1) == 0;
    }
    for (char *line = text, *end; ok && line && *line; line = end ? end + 1 : NULL) {
        end = strchr(line, '\n');
        size_t len = end ? (size_t)(end - line) : strlen(line);
        if (line == text || len == 0 || line[0] == '#')
            continue;   /* the header, blank lines, comments */
        if (!names_add(own, line, len))
            *nomem = true, ok = false;
    }
    free(text);
    if (!ok)
        names_free(own);
    return ok;
}

struct listing {
    struct cli_names *names;
    bool nomem;
};

/* Every entry but the marker: files as "ees/x.csv", directories as "ees/". */
static bool list_entry(void *ctx, const char *rel, const struct stat *st)
{
    struct listing *l = ctx;
    if (strcmp(rel, TALLY_BUILD_MARKER) == 0)
        return true;
    size_t n = strlen(rel);
    char *name = malloc(n + 2);
    if (name) {
        memcpy(name, rel, n);
        memcpy(name + n, S_ISDIR(st->st_mode) ? "/" : "", S_ISDIR(st->st_mode) ? 2 : 1);
    }
    if (!name || !names_add(l->names, name, strlen(name))) {
        free(name);
        l->nomem = true;
        return false;
    }
    free(name);
    return true;
}

/* Is a listed entry ("x.csv" or "ees/") one of own's? */
static bool owned(const struct cli_names *own, const char *entry)
{
    size_t n = strlen(entry);
    if (n && entry[n - 1] == '/') {
        char *dir = strndup(entry, n - 1);
        bool yes = dir && names_has_dir(own, dir);
        free(dir);
        return yes;
    }
    return names_has(own, entry);
}

/* ---- checking DIR ------------------------------------------------------------- */

struct id {
    dev_t dev;
    ino_t ino;
};

struct ids {
    struct id *v;
    char **paths;           /* borrowed, for messages */
    size_t n, cap, paths_cap;
};

static bool ids_add(struct ids *s, const struct stat *st, char *path)
{
    if (!cli_grow((void **)&s->v, &s->cap, s->n, sizeof *s->v, 64) ||
        !cli_grow((void **)&s->paths, &s->paths_cap, s->n, sizeof *s->paths, 64))
        return false;
    s->v[s->n] = (struct id){st->st_dev, st->st_ino};
    s->paths[s->n++] = path;
    return true;
}

static const char *ids_find(const struct ids *s, const struct stat *st)
{
    for (size_t i = 0; i < s->n; i++)
        if (s->v[i].dev == st->st_dev && s->v[i].ino == st->st_ino)
            return s->paths[i];
    return NULL;
}

/* The input of ids that `path` (a real path) is or lies inside, by device
 * and inode of path and each directory above it; NULL when none. */
static const char *inside(const char *path, const struct ids *ids, bool *nomem)
{
    char *p = strdup(path);
    if (!p) {
        *nomem = true;
        return NULL;
    }
    const char *hit = NULL;
    for (;;) {
        struct stat st;
        if (stat(p, &st) == 0 && (hit = ids_find(ids, &st)))
            break;
        char *slash = strrchr(p, '/');
        if (!slash || slash == p) {
            if (strcmp(p, "/") != 0 && stat("/", &st) == 0)
                hit = ids_find(ids, &st);
            break;
        }
        *slash = '\0';
    }
    free(p);
    return hit;
}

static const char why_inputs[] =
    "tally never writes among the returns it reads: give an output directory of its own "
    "(for example -o national)";

bool outdir_check(struct outdir *od, const char *dir, char *const *args, size_t nargs,
                  const struct cli_paths *inputs, bool force)
{
    memset(od, 0, sizeof *od);
    od->force = force;
    /* DIR without trailing slashes (lstat of "link/" would follow the link). */
    size_t len = strlen(dir);
    while (len > 1 && dir[len - 1] == '/')
        len--;
    char *given = strndup(dir, len);
    if (!given) {
        cli_error("out of memory");
        return false;
    }
    od->given = given;
    const char *base = strrchr(given, '/') ? strrchr(given, '/') + 1 : given;
    if (strcmp(base, ".") == 0 || strcmp(base, "..") == 0 || strcmp(given, "/") == 0) {
        cli_error("build: give the output directory by its name, not \"%s\"", dir);
        return false;
    }
    struct stat st;
    if (lstat(given, &st) == 0) {
        if (S_ISLNK(st.st_mode)) {
            cli_error("build: the output directory \"%s\" is a symbolic link: tally follows no "
                      "link it did not make; give the directory itself, or remove the link", dir);
            return false;
        }
        if (!S_ISDIR(st.st_mode)) {
            cli_error("build: \"%s\" exists and is not a directory: tally never replaces a file "
                      "it did not write; give a directory", dir);
            return false;
        }
        od->exists = true;
        od->real = realpath(given, NULL);
    } else if (errno == ENOENT) {
        /* Not there yet: where it will be. */
        char *parent = strndup(given, (size_t)(base - given));
        char *rp = parent && *parent ? realpath(parent, NULL) : parent ? realpath(".", NULL) : NULL;
        if (rp) {
            od->real = malloc(strlen(rp) + strlen(base) + 2);
            if (od->real)
                sprintf(od->real, "%s%s%s", rp, strcmp(rp, "/") == 0 ? "" : "/", base);
        } else if (parent && errno != ENOMEM) {
            cli_error("build: cannot create \"%s\": %s", dir, strerror(errno));
            free(parent);
            return false;
        }
        free(parent);
        free(rp);
    } else {
        cli_error("build: cannot use \"%s\": %s", dir, strerror(errno));
        return false;
    }
    if (!od->real) {
        if (errno == ENOMEM)
            cli_error("out of memory");
        else
            cli_error("build: cannot use \"%s\": %s", dir, strerror(errno));
        return false;
    }

    /* 1. Not an input, not holding one, not inside an input directory. */
    struct ids dirs = {0}, self = {0};
    bool nomem = false, ok = true;
    for (size_t i = 0; ok && i < nargs; i++)
        if (strcmp(args[i], "-") != 0 && stat(args[i], &st) == 0 && S_ISDIR(st.st_mode))
            nomem = !(ok = ids_add(&dirs, &st, args[i]));
    const char *hit = NULL;
    if (ok && (hit = inside(od->real, &dirs, &nomem))) {
        bool same = stat(od->real, &st) == 0 && ids_find(&dirs, &st) == hit;
        cli_error(same ? "build: the output directory \"%s\" is an input (\"%s\"): %s"
                       : "build: the output directory \"%s\" lies inside the input directory "
                         "\"%s\": %s", dir, hit, why_inputs);
        ok = false;
    }
    if (ok && od->exists && stat(od->real, &st) == 0)
        nomem = !(ok = ids_add(&self, &st, od->given));
    for (size_t i = 0; ok && od->exists && i < nargs; i++) {
        char *rp = strcmp(args[i], "-") != 0 ? realpath(args[i], NULL) : NULL;
        if (rp && inside(rp, &self, &nomem)) {
            cli_error("build: the output directory \"%s\" holds the input \"%s\": %s", dir,
                      args[i], why_inputs);
            ok = false;
        }
        free(rp);
    }
    for (size_t i = 0; ok && od->exists && i < inputs->n; i++) {
        char *rp = strcmp(inputs->v[i], "-") != 0 ? realpath(inputs->v[i], NULL) : NULL;
        if (!rp && errno == ENOMEM) {
            nomem = true;
            ok = false;
        } else if (rp && inside(rp, &self, &nomem)) {
            cli_error("build: the output directory \"%s\" holds the input \"%s\": %s", dir,
                      inputs->v[i], why_inputs);
            ok = false;
        }
        free(rp);
    }
    free(dirs.v);
    free(dirs.paths);
    free(self.v);
    free(self.paths);
    if (nomem)
        cli_error("out of memory");
    if (!ok || nomem)
        return false;

    /* 2. Empty, or a previous tally build — unless --force. */
    if (!od->exists)
        return true;
    int fd = open(od->real, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) {
        cli_error("build: cannot read \"%s\": %s", dir, strerror(errno));
        return false;
    }
    bool marked = read_marker(fd, &od->own, &nomem);
    struct cli_names found = {0};
    struct listing l = {&found, false};
    bool trouble = false;
    int fd2 = dup(fd);
    if (fd2 < 0 || !walk_fd(fd2, "", list_entry, &l, &trouble) || l.nomem) {
        if (l.nomem || nomem || errno == ENOMEM)
            cli_error("out of memory");
        else
            cli_error("build: cannot read \"%s\": %s", dir, strerror(errno));
        close(fd);
        names_free(&found);
        return false;
    }
    close(fd);
    if (nomem) {
        cli_error("out of memory");
        names_free(&found);
        return false;
    }
    if (!marked) {      /* a build from before the marker: its eight files, manifest.json among them */
        bool is_legacy = names_has(&found, "manifest.json");
        for (size_t i = 0; is_legacy && i < found.n; i++) {
            is_legacy = false;
            for (size_t k = 0; legacy[k] && !is_legacy; k++)
                is_legacy = strcmp(found.v[i], legacy[k]) == 0;
        }
        for (size_t k = 0; is_legacy && legacy[k]; k++)
            if (names_has(&found, legacy[k]) && !names_add(&od->own, legacy[k], strlen(legacy[k]))) {
                cli_error("out of memory");
                names_free(&found);
                return false;
            }
    }
    /* What is there that tally did not write (a directory's contents, once it
     * is named, are not named again). */
    struct cli_names foreign = {0};
    for (size_t i = 0; i < found.n; i++) {
        bool within = false;
        for (size_t k = 0; k < foreign.n && !within; k++) {
            size_t n = strlen(foreign.v[k]);
            within = foreign.v[k][n - 1] == '/' && strncmp(found.v[i], foreign.v[k], n) == 0;
        }
        if (!within && !owned(&od->own, found.v[i]) &&
            !names_add(&foreign, found.v[i], strlen(found.v[i]))) {
            cli_error("out of memory");
            names_free(&found);
            names_free(&foreign);
            return false;
        }
    }
    names_free(&found);
    ok = true;
    if (foreign.n && !force) {
        qsort(foreign.v, foreign.n, sizeof *foreign.v, by_name);
        size_t size = 64, o = 0;
        for (size_t i = 0; i < foreign.n && i < 3; i++)
            size += strlen(foreign.v[i]) + 4;
        char *list = malloc(size);
        if (!list) {
            cli_error("out of memory");
            names_free(&foreign);
            return false;
        }
        for (size_t i = 0; i < foreign.n && i < 3; i++)
            o += (size_t)snprintf(list + o, size - o, "%s\"%s\"", i ? ", " : "", foreign.v[i]);
        if (foreign.n > 3)
            snprintf(list + o, size - o, " and %zu more", foreign.n - 3);
        cli_error("build: the output directory \"%s\" holds %s, which tally did not write: a "
                  "build replaces its output directory, and tally never deletes what it did not "
                  "write. Give a new or empty directory, or --force to build into this one all "
                  "the same (what tally did not write is kept)", dir, list);
        free(list);
        ok = false;
    }
    od->foreign = foreign.n > 0;
    names_free(&foreign);
    return ok;
}

/* ---- the working directory and the swap -------------------------------------- */

/* Remove everything under the directory open as fd (closed here), then name
 * in parent: a working directory of tally's own. */
static bool remove_all(int parent, const char *name)
{
    int fd = openat(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return errno == ENOENT ? true : unlinkat(parent, name, 0) == 0;
    DIR *d = fdopendir(fd);
    if (!d) {
        close(fd);
        return false;
    }
    bool ok = true;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        struct stat st;
        if (fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0)
            ok = false;
        else if (S_ISDIR(st.st_mode))
            ok = remove_all(dirfd(d), e->d_name) && ok;
        else
            ok = unlinkat(dirfd(d), e->d_name, 0) == 0 && ok;
    }
    closedir(d);
    return unlinkat(parent, name, AT_REMOVEDIR) == 0 && ok;
}

bool outdir_remove(const char *path)
{
    return remove_all(AT_FDCWD, path);
}

bool outdir_begin(struct outdir *od)
{
    const char *slash = strrchr(od->real, '/');
    const char *base = slash + 1;
    size_t plen = slash == od->real ? 1 : (size_t)(slash - od->real);
    size_t n = plen + strlen(base) + 32;
    if (!(od->tmp = malloc(n))) {
        cli_error("out of memory");
        return false;
    }
    snprintf(od->tmp, n, "%.*s/.%.200s.tally-XXXXXX", (int)(slash == od->real ? 0 : plen),
             od->real, base);
    if (!mkdtemp(od->tmp)) {    /* mode 0700: nobody else can put anything in it */
        cli_error("cannot create a working directory beside \"%s\": %s", od->given, strerror(errno));
        free(od->tmp);
        od->tmp = NULL;
        return false;
    }
    return true;
}

bool outdir_mark(struct outdir *od)
{
    struct cli_names files = {0};
    struct listing l = {&files, false};
    bool trouble = false;
    int fd = open(od->tmp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    bool ok = fd >= 0 && walk_fd(fd, "", list_entry, &l, &trouble) && !l.nomem;
    /* Files only (directories follow from them), the manifest written next. */
    size_t k = 0;
    for (size_t i = 0; ok && i < files.n; i++) {
        size_t len = strlen(files.v[i]);
        if (len && files.v[i][len - 1] == '/')
            free(files.v[i]);
        else
            files.v[k++] = files.v[i];
    }
    if (ok)
        files.n = k;
    if (ok && !names_has(&files, "manifest.json"))
        ok = names_add(&files, "manifest.json", 13);
    if (ok && files.n > 1)
        qsort(files.v, files.n, sizeof *files.v, by_name);
    FILE *o = NULL;
    if (ok) {
        int mfd = -1;
        char *path = cli_join(od->tmp, TALLY_BUILD_MARKER);
        if (path)
            mfd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0666);
        free(path);
        if (mfd >= 0 && !(o = fdopen(mfd, "w")))
            close(mfd);
        ok = o != NULL;
    }
    if (o) {
        fputs(MARKER_HEADER "\n"
              "# This directory was written by `tally build`. The next build into it replaces\n"
              "# the files listed below, and nothing else: tally never deletes a file it did\n"
              "# not write. See manifest.json for what each is.\n", o);
        for (size_t i = 0; i < files.n; i++)
            fprintf(o, "%s\n", files.v[i]);
        ok = fclose(o) == 0 && ok;
    }
    if (!ok)
        cli_error("cannot write %s: %s", TALLY_BUILD_MARKER, l.nomem ? "out of memory" : strerror(errno));
    names_free(&od->wrote);
    od->wrote = files;      /* for outdir_commit's last look */
    return ok;
}

struct unlisted {
    const struct cli_names *wrote;
    const char *first;      /* a file the marker does not list */
    char buf[512];
};

static bool find_unlisted(void *ctx, const char *rel, const struct stat *st)
{
    struct unlisted *u = ctx;
    if (S_ISDIR(st->st_mode) || strcmp(rel, TALLY_BUILD_MARKER) == 0 || names_has(u->wrote, rel))
        return true;
    snprintf(u->buf, sizeof u->buf, "%s", rel);
    u->first = u->buf;
    return false;
}

/*
 * The old contents of DIR, now at `old`: delete the files tally wrote (those
 * od->own lists), and the directories they were in; with --force, move what
 * is left back into DIR beside the new build. Whatever remains stays in old,
 * which is then left, and named.
 */
static void clean_old(struct outdir *od, const char *old)
{
    int fd = open(old, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) {
        if (errno != ENOENT)
            cli_error("the old contents of \"%s\" are left in \"%s\"", od->given, old);
        return;
    }
    struct stat st;
    for (size_t i = 0; i < od->own.n; i++)
        if (fstatat(fd, od->own.v[i], &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(st.st_mode))
            unlinkat(fd, od->own.v[i], 0);
    if (fstatat(fd, TALLY_BUILD_MARKER, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(st.st_mode))
        unlinkat(fd, TALLY_BUILD_MARKER, 0);
    /* The directories of listed files, deepest first. */
    for (size_t i = od->own.n; i-- > 0;) {
        char *dir = strdup(od->own.v[i]), *slash;
        while (dir && (slash = strrchr(dir, '/'))) {
            *slash = '\0';
            unlinkat(fd, dir, AT_REMOVEDIR);
        }
        free(dir);
    }
    if (od->force) {    /* what tally did not write, back beside the new build */
        DIR *d = fdopendir(dup(fd));
        struct dirent *e;
        while (d && (e = readdir(d))) {
            if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
                continue;
            char *to = cli_join(od->real, e->d_name);
            if (to)
                renameat2(fd, e->d_name, AT_FDCWD, to, RENAME_NOREPLACE);
            free(to);
        }
        if (d)
            closedir(d);
    }
    close(fd);
    if (rmdir(old) != 0 && errno != ENOENT)
        cli_error(od->foreign ? "the old contents of \"%s\" are left in \"%s\": what tally did not "
                                "write, where the new build has a file of the same name"
                              : "the old contents of \"%s\" are left in \"%s\"", od->given, old);
}

bool outdir_commit(struct outdir *od)
{
    /* The marker must list every file, or the next build would refuse DIR
     * (or keep a file of ours as someone else's). */
    struct unlisted u = {.wrote = &od->wrote};
    bool trouble = false;
    int fd = open(od->tmp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0 || (!walk_fd(fd, "", find_unlisted, &u, &trouble) && !u.first)) {
        cli_error("cannot read the working directory \"%s\"", od->tmp);
        return false;
    }
    if (u.first) {
        cli_error("internal error: %s was written after %s; the build is not put in place",
                  u.first, TALLY_BUILD_MARKER);
        return false;
    }
    mode_t mask = umask(0);
    umask(mask);
    if (chmod(od->tmp, 0777 & ~mask) != 0) {
        cli_error("cannot use the working directory \"%s\": %s", od->tmp, strerror(errno));
        return false;
    }
    if (!od->exists) {
        int rc = renameat2(AT_FDCWD, od->tmp, AT_FDCWD, od->real, RENAME_NOREPLACE);
        if (rc != 0 && (errno == ENOSYS || errno == EINVAL)) {
            struct stat st;     /* no RENAME_NOREPLACE here: as near as rename(2) comes */
            rc = lstat(od->real, &st) == 0 ? (errno = EEXIST, -1) : rename(od->tmp, od->real);
        }
        if (rc != 0 && errno == EEXIST)
            cli_error("cannot create \"%s\": something of that name appeared while the build "
                      "ran, and tally replaces nothing it did not check", od->given);
        else if (rc != 0)
            cli_error("cannot create \"%s\": %s", od->given, strerror(errno));
        if (rc != 0)
            return false;
        free(od->tmp);
        od->tmp = NULL;
        return true;
    }
    if (renameat2(AT_FDCWD, od->tmp, AT_FDCWD, od->real, RENAME_EXCHANGE) == 0) {
        clean_old(od, od->tmp);     /* now the old contents */
        free(od->tmp);
        od->tmp = NULL;
        return true;
    }
    if (errno != ENOSYS && errno != EINVAL) {
        cli_error("cannot replace \"%s\": %s", od->given, strerror(errno));
        return false;
    }
    /* No atomic exchange on this file system: move the old one aside (onto an
     * empty directory of our own), then the new one in. */
    size_t n = strlen(od->tmp) + 8;
    char *old = malloc(n);
    if (!old) {
        cli_error("out of memory");
        return false;
    }
    memcpy(old, od->tmp, strlen(od->tmp) - 6);
    strcpy(old + strlen(od->tmp) - 6, "XXXXXX");
    if (!mkdtemp(old) || rename(od->real, old) != 0) {
        cli_error("cannot replace \"%s\": %s", od->given, strerror(errno));
        rmdir(old);
        free(old);
        return false;
    }
    if (rename(od->tmp, od->real) != 0) {
        cli_error("cannot replace \"%s\": %s", od->given, strerror(errno));
        rename(old, od->real);
        free(old);
        return false;
    }
    clean_old(od, old);
    free(old);
    free(od->tmp);
    od->tmp = NULL;
    return true;
}

void outdir_abandon(struct outdir *od)
{
    if (od->tmp)
        remove_all(AT_FDCWD, od->tmp);
    free(od->tmp);
    od->tmp = NULL;
}

void outdir_free(struct outdir *od)
{
    outdir_abandon(od);
    free(od->given);
    free(od->real);
    names_free(&od->own);
    names_free(&od->wrote);
}
