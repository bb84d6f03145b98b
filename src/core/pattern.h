/*
 * pattern.h — a field's `pattern` constraint, compiled once (internal).
 *
 * Table Schema patterns match the whole value. They are compiled with PCRE2,
 * not POSIX regcomp/regexec: glibc's regexec allocates as it matches and,
 * when an allocation fails, answers "no match" — a valid code would then be
 * called invalid. PCRE2 tells the two apart (PCRE2_ERROR_NOMEMORY), so a
 * test here answers yes, no, or "no answer", never a wrong no.
 *
 * A compiled pattern is read-only and may be shared by threads; each thread
 * (each validator or cleaner) tests with a matcher of its own.
 */
#ifndef TALLY_PATTERN_H
#define TALLY_PATTERN_H

#include <stddef.h>

struct tally_pattern;
struct tally_matcher;

/* Compile pattern (UTF-8) to match whole values. NULL on failure, with the
 * reason in msg (NUL-terminated, cut to msgsize) — "out of memory" or
 * PCRE2's own words and the offset of the problem. Free with
 * tally_pattern_free. */
struct tally_pattern *tally_pattern_compile(const char *pattern, char *msg, size_t msgsize);

void tally_pattern_free(struct tally_pattern *p);

/* What a thread tests with; NULL when out of memory. */
struct tally_matcher *tally_matcher_new(void);

void tally_matcher_free(struct tally_matcher *m);

/* Does the whole of s[0..len) (UTF-8; may hold NUL bytes) match p? 1 yes,
 * 0 no, -1 no answer (out of memory, or a match limit reached). */
int tally_pattern_test(const struct tally_pattern *p, struct tally_matcher *m, const char *s,
                       size_t len);

#endif
