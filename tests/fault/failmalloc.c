/*
 * failmalloc.c — an allocator that fails on purpose, for fault injection.
 *
 * Built as a shared library and preloaded (LD_PRELOAD) into tally, it counts
 * every malloc, calloc, realloc, aligned allocation and strdup-by-malloc in
 * the process (tally, libxml2, SQLite, OpenSSL, libc) and makes exactly one
 * of them fail, as a full memory would: it returns NULL with errno ENOMEM.
 *
 *   TALLY_FAIL_ALLOC=N        fail the Nth allocation (1-based); 0 or unset:
 *                             fail none, only count
 *   TALLY_FAIL_ALLOC_LOG=F    append one line to F: "failed N LIBRARY" (who
 *                             asked) when the failure happened, and
 *                             "allocations N" (the total) when the process
 *                             exits normally (and "reads N" with
 *                             TALLY_FAIL_READ)
 *   TALLY_FAIL_ALLOC_TRAP=1   raise SIGTRAP at the failing allocation, so
 *                             that gdb shows who asked for it
 *   TALLY_FAIL_ALLOC_BACKTRACE=1  print a raw backtrace (for addr2line) on
 *                             standard error at the failing allocation, and
 *                             on SIGSEGV, SIGBUS or SIGABRT
 *   TALLY_FAIL_ALLOC_SPARE=L  a comma-separated list of library names (e.g.
 *                             "libxml2"): allocations called from them are
 *                             neither counted nor failed. For libraries that
 *                             do not survive a failed allocation themselves
 *                             (see run.sh).
 *   TALLY_FAIL_READ=N         make the Nth read(2) (through libc's read) fail
 *                             with EIO: a read error in the middle of an input
 *
 * tests/fault/run.sh runs a command once for every N from 1 to the total a
 * clean run makes, and checks that each run ends cleanly. Every allocation
 * goes through glibc's own __libc_* functions; nothing here allocates (the
 * backtrace option loads libgcc once, at start, uncounted).
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <execinfo.h>
#include <signal.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

extern void *__libc_malloc(size_t size);
extern void *__libc_calloc(size_t n, size_t size);
extern void *__libc_realloc(void *p, size_t size);
extern void *__libc_memalign(size_t align, size_t size);
extern void __libc_free(void *p);

static unsigned long long count;    /* allocations so far */
static unsigned long long fail_at;  /* the one to fail; 0: none */
static int ready;                   /* the environment has been read */
static const char *spare;           /* TALLY_FAIL_ALLOC_SPARE */
static int setting_up;              /* the shim's own allocations: not counted */
static unsigned long long reads;    /* read(2) calls so far */
static unsigned long long read_fail_at; /* the one to fail; 0: none */

static void init(void)
{
    if (ready)
        return;
    ready = 1;
    const char *n = getenv("TALLY_FAIL_ALLOC");
    fail_at = n ? strtoull(n, NULL, 10) : 0;
    spare = getenv("TALLY_FAIL_ALLOC_SPARE");
    n = getenv("TALLY_FAIL_READ");
    read_fail_at = n ? strtoull(n, NULL, 10) : 0;
}

static void log_line(const char *what, unsigned long long n, const char *where)
{
    const char *path = getenv("TALLY_FAIL_ALLOC_LOG");
    if (!path || !*path)
        return;
    char line[256];
    int len = snprintf(line, sizeof line, "%s %llu%s%s\n", what, n, where ? " " : "",
                       where ? where : "");
    int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
    if (fd >= 0) {
        if (write(fd, line, (size_t)len) < 0) {
            /* nothing to be done: the log is only a hint for run.sh */
        }
        close(fd);
    }
}

/* Is the code at address `caller` in one of the spared libraries? */
static int spared(const void *caller)
{
    Dl_info info;
    if (!spare || !dladdr(caller, &info) || !info.dli_fname)
        return 0;
    const char *base = strrchr(info.dli_fname, '/');
    base = base ? base + 1 : info.dli_fname;
    for (const char *p = spare; *p;) {
        size_t n = strcspn(p, ",");
        if (n && strncmp(base, p, n) == 0)
            return 1;
        p += n + (p[n] == ',');
    }
    return 0;
}

/* Count one allocation asked for from `caller`; true when it is the one to fail. */
static int should_fail(const void *caller)
{
    init();
    if (setting_up || spared(caller))
        return 0;
    if (++count != fail_at)
        return 0;
    Dl_info info;
    const char *who = dladdr(caller, &info) && info.dli_fname ? info.dli_fname : "?";
    const char *base = strrchr(who, '/');
    log_line("failed", count, base ? base + 1 : who);
    if (getenv("TALLY_FAIL_ALLOC_BACKTRACE")) {
        void *frames[64];
        static const char what[] = "failmalloc: the failing allocation:\n";
        if (write(STDERR_FILENO, what, sizeof what - 1) < 0) {
            /* only a debugging aid */
        }
        backtrace_symbols_fd(frames, backtrace(frames, 64), STDERR_FILENO);
    }
    if (getenv("TALLY_FAIL_ALLOC_TRAP"))
        raise(SIGTRAP);
    errno = ENOMEM;
    return 1;
}

void *malloc(size_t size)
{
    return should_fail(__builtin_return_address(0)) ? NULL : __libc_malloc(size);
}

void *calloc(size_t n, size_t size)
{
    return should_fail(__builtin_return_address(0)) ? NULL : __libc_calloc(n, size);
}

void *realloc(void *p, size_t size)
{
    if (p && size == 0) {       /* a free, not an allocation */
        __libc_free(p);
        return NULL;
    }
    return should_fail(__builtin_return_address(0)) ? NULL : __libc_realloc(p, size);
}

void free(void *p)
{
    __libc_free(p);
}

void *memalign(size_t align, size_t size)
{
    return should_fail(__builtin_return_address(0)) ? NULL : __libc_memalign(align, size);
}

void *aligned_alloc(size_t align, size_t size)
{
    return should_fail(__builtin_return_address(0)) ? NULL : __libc_memalign(align, size);
}

int posix_memalign(void **out, size_t align, size_t size)
{
    if (should_fail(__builtin_return_address(0)))
        return ENOMEM;
    void *p = __libc_memalign(align, size);
    if (!p)
        return ENOMEM;
    *out = p;
    return 0;
}

ssize_t read(int fd, void *buf, size_t n)
{
    init();
    if (read_fail_at && ++reads == read_fail_at) {
        log_line("failed read", reads, NULL);
        errno = EIO;
        return -1;
    }
    return syscall(SYS_read, fd, buf, n);
}

static void crashed(int sig)
{
    void *frames[64];
    int n = backtrace(frames, 64);
    backtrace_symbols_fd(frames, n, STDERR_FILENO);
    signal(sig, SIG_DFL);
    raise(sig);
}

__attribute__((constructor)) static void setup(void)
{
    if (getenv("TALLY_FAIL_ALLOC_BACKTRACE")) {
        void *warm[1];
        setting_up = 1;
        backtrace(warm, 1);     /* loads libgcc now, not in the handler */
        setting_up = 0;
        signal(SIGSEGV, crashed);
        signal(SIGBUS, crashed);
        signal(SIGABRT, crashed);
    }
}

__attribute__((destructor)) static void report(void)
{
    log_line("allocations", count, NULL);
    if (read_fail_at)
        log_line("reads", reads, NULL);
}
