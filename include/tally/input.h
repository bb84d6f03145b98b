/*
 * input.h — a buffered input file that readers pull bytes from.
 *
 * Readers never read a whole file: they consume buf[pos..len) and call
 * tally_input_fill for more, which keeps the unread tail and appends one
 * fixed-size read. "-" is standard input. An input may also be bytes held in
 * memory (tally_input_open_memory): then it is whole from the start.
 */
#ifndef TALLY_INPUT_H
#define TALLY_INPUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tally/status.h"

#ifdef __cplusplus
extern "C" {
#endif

#define TALLY_INPUT_CHUNK 65536  /* bytes per read(2) */

struct tally_input {
    int fd;                 /* -1 for an input in memory */
    bool close_fd;          /* false for standard input and memory */
    char *name;             /* path as given ("<stdin>" for standard input); owned */
    unsigned char *buf;     /* owned */
    size_t cap;             /* bytes allocated in buf */
    size_t pos;             /* first unread byte */
    size_t len;             /* bytes held in buf */
    uint64_t base;          /* file offset of buf[0] */
    bool eof;               /* the last fill read nothing more */
    void *sha256;           /* running SHA-256 of every byte read (nettle's sha256_ctx) */
};

/*
 * Open path ("-": standard input) for reading. Fails with TALLY_EIO and a
 * message such as "cannot open \"x.csv\": No such file or directory" or
 * "\"returns\" is a directory". On success, call tally_input_close.
 */
int tally_input_open(struct tally_input *in, const char *path, struct tally_error *err);

/*
 * An input over len bytes of data, copied (the caller keeps data), named name
 * in diagnostics and records ("<memory>" when name is NULL). It is at end of
 * file from the start: every byte is held and already hashed. Fails only with
 * TALLY_ENOMEM. On success, call tally_input_close.
 */
int tally_input_open_memory(struct tally_input *in, const void *data, size_t len, const char *name,
                            struct tally_error *err);

/*
 * Move the unread bytes to the front of buf and read up to TALLY_INPUT_CHUNK
 * more. Sets eof when the file has no more. Fails with TALLY_EIO.
 */
int tally_input_fill(struct tally_input *in, struct tally_error *err);

/* Ensure at least n unread bytes are held (fewer only at end of file). */
int tally_input_want(struct tally_input *in, size_t n, struct tally_error *err);

/* File offset of the next unread byte. */
static inline uint64_t tally_input_offset(const struct tally_input *in)
{
    return in->base + in->pos;
}

/*
 * Read whatever is left of the file (so a reader that stopped early still
 * counts the whole file) and write its SHA-256 as 64 lowercase hex digits plus
 * NUL into hex. Call once, after the last read.
 */
int tally_input_sha256(struct tally_input *in, char hex[65], struct tally_error *err);

void tally_input_close(struct tally_input *in);

#ifdef __cplusplus
}
#endif

#endif
