/*
 * input.c — buffered, chunked reading of one input file (input.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <nettle/sha2.h>

#include "tally/input.h"

/* "cannot open/read PATH: why", with strerror_r: strerror's buffer may be
 * shared between threads. */
static int io_error(struct tally_error *err, const char *what, const char *path, int e)
{
    char why[256];
    if (strerror_r(e, why, sizeof why) != 0)
        snprintf(why, sizeof why, "error %d", e);
    return tally_error_set(err, TALLY_EIO, "cannot %s \"%s\": %s", what, path, why);
}

int tally_input_open(struct tally_input *in, const char *path, struct tally_error *err)
{
    memset(in, 0, sizeof *in);
    in->fd = -1;
    if (strcmp(path, "-") == 0) {
        in->fd = STDIN_FILENO;
    } else {
        in->fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (in->fd < 0)
            return io_error(err, "open", path, errno);
        in->close_fd = true;
    }
    struct stat st;
    if (fstat(in->fd, &st) == 0 && S_ISDIR(st.st_mode)) {
        tally_input_close(in);
        return tally_error_set(err, TALLY_EIO, "\"%s\" is a directory, not a file", path);
    }
    in->cap = 2 * TALLY_INPUT_CHUNK;
    in->buf = malloc(in->cap);
    in->name = strdup(in->close_fd ? path : "<stdin>");
    struct sha256_ctx *sha = malloc(sizeof *sha);
    in->sha256 = sha;
    if (sha)
        sha256_init(sha);
    if (!in->buf || !in->name || !sha) {
        tally_input_close(in);
        return tally_error_set(err, TALLY_ENOMEM, "out of memory");
    }
    return TALLY_OK;
}

int tally_input_open_memory(struct tally_input *in, const void *data, size_t len, const char *name,
                            struct tally_error *err)
{
    memset(in, 0, sizeof *in);
    in->fd = -1;
    in->cap = len ? len : 1;
    in->buf = malloc(in->cap);
    in->name = strdup(name ? name : "<memory>");
    struct sha256_ctx *sha = malloc(sizeof *sha);
    in->sha256 = sha;
    if (!in->buf || !in->name || !sha) {
        tally_input_close(in);
        return tally_error_set(err, TALLY_ENOMEM, "out of memory");
    }
    if (len)
        memcpy(in->buf, data, len);
    in->len = len;
    in->eof = true;
    sha256_init(sha);
    sha256_update(sha, len, in->buf);
    return TALLY_OK;
}

int tally_input_fill(struct tally_input *in, struct tally_error *err)
{
    if (in->pos > 0) {
        memmove(in->buf, in->buf + in->pos, in->len - in->pos);
        in->len -= in->pos;
        in->base += in->pos;
        in->pos = 0;
    }
    if (in->fd < 0) {       /* in memory: all of it is held already */
        in->eof = true;
        return TALLY_OK;
    }
    if (in->cap - in->len < TALLY_INPUT_CHUNK) {
        size_t cap = in->cap * 2;
        unsigned char *buf = realloc(in->buf, cap);
        if (!buf)
            return tally_error_set(err, TALLY_ENOMEM, "out of memory");
        in->buf = buf;
        in->cap = cap;
    }
    for (;;) {
        ssize_t n = read(in->fd, in->buf + in->len, TALLY_INPUT_CHUNK);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return io_error(err, "read", in->name, errno);
        if (n == 0)
            in->eof = true;
        else
            sha256_update(in->sha256, (size_t)n, in->buf + in->len);
        in->len += (size_t)n;
        return TALLY_OK;
    }
}

int tally_input_want(struct tally_input *in, size_t n, struct tally_error *err)
{
    while (in->len - in->pos < n && !in->eof) {
        int rc = tally_input_fill(in, err);
        if (rc != TALLY_OK)
            return rc;
    }
    return TALLY_OK;
}

int tally_input_sha256(struct tally_input *in, char hex[65], struct tally_error *err)
{
    while (!in->eof) {
        in->pos = in->len;      /* the rest is only hashed */
        int rc = tally_input_fill(in, err);
        if (rc)
            return rc;
    }
    unsigned char md[SHA256_DIGEST_SIZE];
    sha256_digest(in->sha256, sizeof md, md);
    for (unsigned i = 0; i < sizeof md; i++)
        snprintf(hex + 2 * i, 3, "%02x", md[i]);
    hex[64] = '\0';
    return TALLY_OK;
}

void tally_input_close(struct tally_input *in)
{
    free(in->sha256);
    if (in->close_fd && in->fd >= 0)
        close(in->fd);
    free(in->buf);
    free(in->name);
    memset(in, 0, sizeof *in);
    in->fd = -1;
}
