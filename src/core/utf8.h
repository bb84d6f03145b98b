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

/*
 * The UTF-8 bytes of the windows-1252 character b (0x80 to 0xFF; its
 * printable part from 0xA0 is ISO-8859-1's) into out; returns how many (2 or
 * 3), or 0 for the five bytes windows-1252 leaves undefined (0x81, 0x8D,
 * 0x8F, 0x90, 0x9D).
 */
int tally_cp1252_utf8(unsigned char b, char out[3]);

#endif
