/*
 * arena.h — a bump allocator for memory that lives as long as one record.
 *
 * Readers copy each field's text into an arena and reset it when the next
 * record starts, so the hot path makes no malloc per field. Blocks are kept
 * across resets; memory is bounded by the largest record.
 */
#ifndef TALLY_ARENA_H
#define TALLY_ARENA_H

#include <stddef.h>

struct tally_arena_block;

struct tally_arena {
    struct tally_arena_block *head;  /* the block being filled */
    struct tally_arena_block *spare; /* blocks freed by a reset, for reuse */
};

#define TALLY_ARENA_INIT {NULL, NULL}

/* n bytes aligned for any type, or NULL when out of memory. Valid until the
 * next reset or fini. */
void *tally_arena_alloc(struct tally_arena *a, size_t n);

/* A NUL-terminated copy of s[0..len), or NULL when out of memory. */
char *tally_arena_strndup(struct tally_arena *a, const char *s, size_t len);

/* Forget every allocation; keep the memory for reuse. */
void tally_arena_reset(struct tally_arena *a);

/* Free everything. */
void tally_arena_fini(struct tally_arena *a);

#endif
