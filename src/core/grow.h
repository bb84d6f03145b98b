/*
 * grow.h — room for one more element in a growing array, or for more bytes
 * in a growing buffer (internal).
 *
 *   if (tally_grow((void **)&list, &cap, n, sizeof *list, 16) != TALLY_OK)
 *       return TALLY_ENOMEM;
 *   list[n++] = item;
 */
#ifndef TALLY_GROW_H
#define TALLY_GROW_H

#include <stdint.h>
#include <stdlib.h>

#include "tally/status.h"

/* Make *array (of *cap elements of size elem) hold at least n + 1: doubled,
 * or `first` the first time. On failure the array is left as it was. */
static inline int tally_grow(void **array, size_t *cap, size_t n, size_t elem, size_t first)
{
    if (n < *cap)
        return TALLY_OK;
    size_t want = *cap ? *cap * 2 : first;
    if (want <= n || want > SIZE_MAX / elem)
        return TALLY_ENOMEM;
    void *p = realloc(*array, want * elem);
    if (!p)
        return TALLY_ENOMEM;
    *array = p;
    *cap = want;
    return TALLY_OK;
}

/* Make *buf (of *cap bytes) hold at least need bytes: *cap (or `first` the
 * first time) doubled until it does. On failure the buffer is left as it was.
 * For text that grows by pieces (a value, a row, a path). */
static inline int tally_grow_bytes(char **buf, size_t *cap, size_t need, size_t first)
{
    if (need <= *cap)
        return TALLY_OK;
    size_t want = *cap ? *cap : first;
    while (want < need) {
        if (want > SIZE_MAX / 2)
            return TALLY_ENOMEM;
        want *= 2;
    }
    char *p = realloc(*buf, want);
    if (!p)
        return TALLY_ENOMEM;
    *buf = p;
    *cap = want;
    return TALLY_OK;
}

#endif
