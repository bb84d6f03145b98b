/*
 * textpos.h — lines and columns as editors count them (internal).
 *
 * doc/diagnostics.md: lines and columns are 1-based; a column is the position of a
 * character (a UTF-8 code point) in its line; a line ends at LF, at CRLF or
 * at a lone CR. A reader that consumes its bytes in order keeps one struct
 * tally_textpos and tells it only what changes the count — each line end,
 * and each character of more than one byte. Every other byte is one column,
 * so a run of ASCII costs nothing, and the place of any offset on the
 * current line is worked out only when a value or a diagnostic needs it:
 *
 *   struct tally_textpos tp;
 *   tally_textpos_init(&tp, 0);
 *   ... consumed the LF at offset 41:        tally_textpos_newline(&tp, '\n', 41);
 *   ... consumed a 3-byte character:         tally_textpos_wide(&tp, 3);
 *   struct tally_loc at = tally_textpos_at(&tp, 57);   (57: on the current line)
 *
 * A byte that is not valid UTF-8 counts as one character, as editors show
 * it (one replacement character).
 */
#ifndef TALLY_TEXTPOS_H
#define TALLY_TEXTPOS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tally/record.h"

struct tally_textpos {
    uint32_t line;          /* the current line, 1-based */
    uint64_t line_start;    /* byte offset of its first character */
    uint64_t wide;          /* bytes of the line so far beyond each character's first */
    uint64_t after_cr;      /* offset just past the last CR: an LF there ends no new line */
};

/* Line 1 starts at byte offset start (3 after a UTF-8 byte order mark). */
static inline void tally_textpos_init(struct tally_textpos *tp, uint64_t start)
{
    tp->line = 1;
    tp->line_start = start;
    tp->wide = 0;
    tp->after_cr = UINT64_MAX;
}

/* The byte b (CR or LF) at offset off has been consumed. */
static inline void tally_textpos_newline(struct tally_textpos *tp, unsigned char b, uint64_t off)
{
    tp->line_start = off + 1;
    tp->wide = 0;
    if (b == '\n' && off == tp->after_cr)
        return;                 /* the LF of a CRLF: the CR ended the line */
    if (b == '\r')
        tp->after_cr = off + 1;
    if (tp->line < UINT32_MAX)
        tp->line++;
}

/* A character of n bytes (n >= 2) has been consumed. */
static inline void tally_textpos_wide(struct tally_textpos *tp, size_t n)
{
    tp->wide += n - 1;
}

/* Where the byte at offset off is: off must lie on the current line, at or
 * after every character reported so far. */
static inline struct tally_loc tally_textpos_at(const struct tally_textpos *tp, uint64_t off)
{
    uint64_t column = off - tp->line_start - tp->wide + 1;
    return (struct tally_loc){tp->line, column > UINT32_MAX ? UINT32_MAX : (uint32_t)column, off};
}

/*
 * The same count kept eagerly, for a reader that wants the place of every
 * byte as it goes (the CSV reader): pos moved over one character of n bytes
 * whose first byte is b; *after_cr says the character before was a CR. LF,
 * CR LF and a lone CR each end one line, as tally_textpos_newline counts.
 */
static inline void tally_loc_step(struct tally_loc *pos, bool *after_cr, unsigned char b, size_t n)
{
    pos->offset += n;
    if (b == '\n' || b == '\r') {
        if (!(b == '\n' && *after_cr)) {   /* not the LF of a CR LF */
            if (pos->line < UINT32_MAX)
                pos->line++;
            pos->column = 1;
        }
        *after_cr = b == '\r';
    } else {
        if (pos->column < UINT32_MAX)
            pos->column++;
        *after_cr = false;
    }
}

#endif
