/*
 * readers/tabular.h — what the CSV and spreadsheet readers share: rows of
 * cells in, records out (internal).
 *
 * A format's reader finds the rows and cells of its file (csv.c with libcsv,
 * xlsx.c and ods.c in the workbook's XML) and hands each row to the tabular
 * core, which decides what the row is and makes records:
 *
 *   the header     the first row that names enough of the schema's fields
 *                  (tab_is_header); rows above it are a title, skipped with
 *                  one `csv-title-row` info. Columns are matched to fields by
 *                  name, ignoring case, spaces, underscores and hyphens, or by
 *                  an alias the schema lists (one `csv-header-alias` info per
 *                  such column); a field without a column takes the schema's
 *                  default (one `field-default` info).
 *   blank rows     a run of them in the middle is one `csv-blank-row` warning;
 *                  at the end of a CSV file, one info; in a sheet, silent.
 *   not records    an aggregate row the schema declares (`aggregate-row`
 *                  info), a row of an authority no longer in force holding no
 *                  number (`abolished-row` info), a totals row (`totals-row`
 *                  warning). Each is reported; none is a record.
 *   records        one per other row; a ragged CSV row is one
 *                  `csv-ragged-row` error and nothing else.
 *
 *   struct tab t;                    tab_init(&t, &reader->base, &opts, &err);
 *   for each row:                    rc = tab_row(&t, &row, &rec, &err);
 *                                    (TALLY_RECORD: hand rec out)
 *   before reading another row:      rc = tab_held(&t, &rec, &err);
 *                                    (TALLY_RECORD: hand rec out; TALLY_DONE: read on)
 *   at the end:                      tab_end(&t, &err); drain tab_held; tab_finish(&t);
 *
 * While the header is looked for, rows are copied and held (at most
 * TAB_MAX_TITLE_ROWS of them, TAB_MAX_HOLD_BYTES of text): when none of them
 * is a header, the first is taken for it, as it always was, and tab_held
 * gives the others out as records. A record's texts are borrowed: from the
 * row passed to tab_row (valid while the format keeps it), or from the held
 * copy (valid until the next call to tab_held).
 */
#ifndef TALLY_READERS_TABULAR_H
#define TALLY_READERS_TABULAR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"
#include "tally/reader.h"

#define TAB_MAX_TITLE_ROWS  10          /* rows held while the header is looked for */
#define TAB_MAX_HOLD_BYTES  (1u << 20)  /* text held while the header is looked for */

struct tab_cell {
    const char *text;       /* NUL-terminated; UTF-8 unless bad */
    size_t len;             /* bytes in text */
    struct tally_loc loc;   /* where the value starts (a quoted CSV value: its quote) */
    bool bad;               /* holds bytes that are not text (already reported) */
};

struct tab_row {
    const struct tab_cell *cells;   /* cells[0..ncells) */
    size_t ncells;          /* cells kept: a format may stop keeping them one past
                               the header's width (tab_width) */
    size_t nseen;           /* cells the row has, kept or not */
    struct tally_loc loc;   /* where the row starts */
    struct tally_loc end;   /* where it ends (a short CSV row: where a cell is missing) */
    struct tally_loc extra; /* its first cell past the header's width, if any */
    unsigned errors;        /* errors the format already reported in the row */
    const char *broken;     /* code of an error that made the row unreadable
                               (csv-syntax, limit), or NULL */
};

struct tab_options {
    bool sheet;             /* a spreadsheet: a short row is padded with empty cells
                               (not ragged), a value past the header's width is a
                               warning, blank rows before the header or at the end
                               are silent */
    const char *sheet_ref;  /* sheet: its name as a cell reference writes it
                               (record paths of kind TALLY_PATH_CELL), borrowed */
    const char *row_word;   /* how messages name a row: "line" (CSV) or "row" */
    const char *msg_empty;  /* the `format` error of a file (sheet) without a row */
    const char *msg_only_blank; /* ... of one with blank rows only */
    const char *ragged_hint;/* CSV: what a row with too many fields most likely means */
};

struct tab_held;

struct tab {
    struct tally_reader *r;         /* the reader served: cfg, input name, record count */
    struct tab_options opt;
    enum tally_path_kind kind;      /* TALLY_PATH_NONE (CSV) or TALLY_PATH_CELL */
    struct tally_record rec;
    struct tally_field *fields;     /* rec.fields: one per schema field */

    /* The header. */
    bool header_done;
    int *colmap;                    /* column → schema field index, or -1 */
    size_t ncols;
    int *col_of;                    /* schema field → column, or -1 */
    const char *file_error;         /* code of a header error every record inherits */
    int code_col, name_col, end_col;/* columns of the authority code, name and period end */
    struct tally_loc header_loc;    /* where the header row starts */
    bool fatal;                     /* the header cannot be read: nothing more is */

    /* Rows held while the header is looked for (see above). */
    struct tab_held *held;
    size_t nheld, held_cap, held_next;
    size_t held_rows;               /* rows (not blank runs) among them */
    size_t held_bytes;
    struct tally_arena hold;        /* their cells and texts */
    bool replaying;                 /* tab_held is giving them out */
    bool release_hold;              /* the last held record went out: free on the next call */

    /* Blank rows not yet reported: a run of `blanks` rows from blank_at. */
    struct tally_loc blank_at;
    uint64_t blanks;

    /* Precomputed: the schema's integer fields; the fields a record takes
     * from their defaults (no column); the totals labels' lengths, and the
     * labels holding a digit. */
    size_t *counts, ncounts;
    size_t *defaulted, ndefaulted;
    size_t *label_len;
    size_t *digit_labels, ndigit_labels;

    /* Column sums of the records so far, for totals rows. */
    int64_t *sums;                  /* per schema field (integer fields only) */
    bool *sum_lost;                 /* the sum overflowed */
    uint64_t summed;                /* records added */

    bool nonempty;                  /* any row or blank row seen */
    bool trailing_reported;         /* --clean: a trailing empty CSV cell was reported */
    bool beyond_reported;           /* sheet: a value past the header was reported */
    bool ended;                     /* tab_end has run */
};

/* Set t up for reader r (borrowed; its cfg.schema and input name are used).
 * Fails only with TALLY_ENOMEM. */
int tab_init(struct tab *t, struct tally_reader *r, const struct tab_options *opt,
             struct tally_error *err);
void tab_fini(struct tab *t);

/* Columns of the header, once it is known (0 before). */
static inline size_t tab_width(const struct tab *t)
{
    return t->header_done ? t->ncols : 0;
}

/*
 * One row of the file. TALLY_RECORD with *out when the row is a record;
 * TALLY_OK when it was taken otherwise (the header, a blank, title, totals
 * or aggregate row, or held while the header is looked for); TALLY_ENOMEM.
 * The row and its texts need only live until the call returns — unless a
 * record comes back, which borrows them.
 */
int tab_row(struct tab *t, const struct tab_row *row, struct tally_record **out,
            struct tally_error *err);

/* count blank rows (nothing, or only empty cells) starting at loc, one a
 * line. TALLY_OK, or TALLY_ENOMEM (before the header, where they are held). */
int tab_blank(struct tab *t, const struct tally_loc *loc, uint64_t count);

/* The next held row that became a record: TALLY_RECORD with *out, TALLY_DONE
 * when there is none (read on), or TALLY_ENOMEM. */
int tab_held(struct tab *t, struct tally_record **out, struct tally_error *err);

/* The end of the file: settles a header still looked for (then drain
 * tab_held) and reports trailing blank rows. */
int tab_end(struct tab *t, struct tally_error *err);

/* After tab_end and the held records: a file without a header or records says so. */
void tab_finish(struct tab *t);

/* Does a row of these cells name enough of the schema's fields to be the
 * header: at least half (rounded up) of the required fields without a
 * default, and at least one field? */
bool tab_is_header(const struct tally_schema *s, const struct tab_cell *cells, size_t n);

#endif
