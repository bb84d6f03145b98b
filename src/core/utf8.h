/*
 * utf8.h — checking UTF-8 byte by byte (internal; every reader uses it).
 */
#ifndef TALLY_UTF8_H
#define TALLY_UTF8_H

#include <stddef.h>

/*
 * Length of the valid UTF-8 sequence starting at s (1 to 4), given avail
 * bytes. Returns 0 when the bytes are not valid UTF-8 (and *why names the
 * class of problem: "overlong encoding", "UTF-16 surrogate", "code point
 * beyond U+10FFFF", "truncated sequence", "unexpected continuation byte",
 * "invalid byte"), or -1 when the sequence may be valid but needs more bytes
 * than avail.
 */
int tally_utf8_seq(const unsigned char *s, size_t avail, const char **why);

#endif
