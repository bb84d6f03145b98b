/*
 * cli/grow.h — room for one more element in a growing array, for the CLI.
 *
 * The CLI is a client of libtally like any other: it includes only the
 * public headers (include/tally/) and its own, never the library's internals
 * (src/core/ and the rest), so it keeps this one small helper of its own
 * (the library's is core/grow.h, which is not installed).
 *
 *   if (!cli_grow((void **)&list, &cap, n, sizeof *list, 16))
 *       ... out of memory ...
 *   list[n++] = item;
 */
#ifndef TALLY_CLI_GROW_H
#define TALLY_CLI_GROW_H

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>

/* Make *array (of *cap elements of size elem) hold at least n + 1: doubled,
 * or `first` the first time. false (the array as it was) when out of memory. */
static inline bool cli_grow(void **array, size_t *cap, size_t n, size_t elem, size_t first)
{
    if (n < *cap)
        return true;
    size_t want = *cap ? *cap * 2 : first;
    if (want <= n || want > SIZE_MAX / elem)
        return false;
    void *p = realloc(*array, want * elem);
    if (!p)
        return false;
    *array = p;
    *cap = want;
    return true;
}

#endif
