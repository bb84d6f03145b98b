/*
 * jsonout.h — writing JSON text to a FILE (internal; the JSON report and the
 * JSON writers share it). Output is UTF-8 with only the escapes JSON needs.
 */
#ifndef TALLY_JSONOUT_H
#define TALLY_JSONOUT_H

#include <stdint.h>
#include <stdio.h>

#include "core/outbuf.h"

/* s[0..len) as a JSON string, with its quotes. */
void tally_json_string(FILE *out, const char *s, size_t len);

/* The same, into a writer's buffer. */
void tally_json_string_buf(struct tally_outbuf *out, const char *s, size_t len);

/* A NUL-terminated string, or null when s is NULL. */
void tally_json_cstring(FILE *out, const char *s);

/* An unsigned number, or null when has is false. */
void tally_json_uint(FILE *out, uint64_t n, int has);

#endif
