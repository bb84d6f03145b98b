/*
 * arena.c — the per-record bump allocator (arena.h).
 */
#include <stdalign.h>
#include <stdlib.h>
#include <string.h>

#include "core/arena.h"

#define BLOCK_MIN 8192

struct tally_arena_block {
    struct tally_arena_block *next;
    size_t size;            /* bytes in data */
    size_t used;
    alignas(max_align_t) unsigned char data[];
};

void *tally_arena_alloc(struct tally_arena *a, size_t n)
{
    const size_t align = alignof(max_align_t);
    n = (n + align - 1) & ~(align - 1);
    struct tally_arena_block *b = a->head;
    if (!b || b->size - b->used < n) {
        /* Reuse a spare block when it is big enough, else make one. */
        struct tally_arena_block **pp = &a->spare;
        while (*pp && (*pp)->size < n)
            pp = &(*pp)->next;
        if (*pp) {
            b = *pp;
            *pp = b->next;
        } else {
            size_t size = n > BLOCK_MIN ? n : BLOCK_MIN;
            b = malloc(sizeof *b + size);
            if (!b)
                return NULL;
            b->size = size;
        }
        b->used = 0;
        b->next = a->head;
        a->head = b;
    }
    void *p = b->data + b->used;
    b->used += n;
    return p;
}

char *tally_arena_strndup(struct tally_arena *a, const char *s, size_t len)
{
    char *p = tally_arena_alloc(a, len + 1);
    if (p) {
        if (len)
            memcpy(p, s, len);
        p[len] = '\0';
    }
    return p;
}

void tally_arena_reset(struct tally_arena *a)
{
    while (a->head) {
        struct tally_arena_block *b = a->head;
        a->head = b->next;
        b->next = a->spare;
        a->spare = b;
    }
}

static void free_list(struct tally_arena_block *b)
{
    while (b) {
        struct tally_arena_block *next = b->next;
        free(b);
        b = next;
    }
}

void tally_arena_fini(struct tally_arena *a)
{
    free_list(a->head);
    free_list(a->spare);
    a->head = a->spare = NULL;
}
