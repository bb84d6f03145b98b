/*
 * readers/workbook.h — what the .xlsx and .ods readers share (internal): the
 * workbook as hostile zip input, libxml2 readers over its entries, and the
 * cells of a sheet row handed to the tabular core.
 *
 *   struct wb wb;
 *   wb_open(&wb, &reader->base, "Excel workbook", &err);  reads the file, opens the zip
 *   struct wb_entry e;
 *   if (wb_entry_open(&wb, "xl/workbook.xml", &e)) {      missing, encrypted, too big: a diagnostic
 *       xmlTextReaderPtr x = wb_xml(&e);                  streamed; no DTD, no network
 *       while (wb_xml_read(&e) == 1) ...;                 0 at the end; -1 after a diagnostic
 *       wb_entry_close(&e);
 *   }
 *   wb_close(&wb);
 *
 * The workbook file is read whole into memory (it is compressed; at most
 * WB_MAX_BYTES) and handed to libzip; every entry is inflated as it is
 * parsed, never held whole, and the bytes really inflated are counted against
 * the limits below — the sizes a zip declares are not trusted. Each limit
 * passed is a `limit` error, each other problem (not a zip, an entry
 * missing, encrypted or twice, a path leaving the workbook, XML that is not
 * well-formed or has a DOCTYPE) a `format` error; either ends the file.
 */
#ifndef TALLY_READERS_WORKBOOK_H
#define TALLY_READERS_WORKBOOK_H

#include <stdbool.h>
#include <stdint.h>

#include <libxml/xmlreader.h>
#include <zip.h>

#include "core/arena.h"
#include "readers/tabular.h"

#define WB_MAX_BYTES        (64u << 20)     /* the workbook file */
#define WB_MAX_ENTRIES      10000           /* entries in its zip */
#define WB_MAX_NAME         1024            /* bytes in an entry's name */
#define WB_MAX_ENTRY_BYTES  (1ull << 30)    /* one entry, inflated */
#define WB_MAX_TOTAL_BYTES  (2ull << 30)    /* every entry read, inflated */
#define WB_MAX_RATIO        200             /* inflated : compressed, once past WB_RATIO_FROM */
#define WB_RATIO_FROM       (1u << 20)
#define WB_MAX_ROWS         1048576         /* a sheet's rows (Excel's and LibreOffice's limit) */
#define WB_MAX_COLUMNS      16384           /* a sheet's columns (column XFD) */

/* The limits a workbook is read under (wb_default_limits: the WB_MAX_ values). */
struct wb_limits {
    uint64_t entries;               /* entries in the zip */
    uint64_t entry_bytes;           /* one entry, inflated */
    uint64_t total_bytes;           /* every entry read, inflated */
    uint64_t ratio;                 /* inflated : compressed ... */
    uint64_t ratio_from;            /* ... once an entry has inflated this many bytes */
};

extern const struct wb_limits wb_default_limits;

struct wb {
    struct tally_reader *r;         /* the reader: sink, input */
    struct wb_limits limits;
    const char *what;               /* "Excel workbook", "OpenDocument spreadsheet" */
    zip_source_t *src;
    zip_t *zip;
    uint64_t inflated;              /* bytes inflated from every entry so far */
    bool failed;                    /* a diagnostic ended the workbook */
    bool nomem;                     /* libzip or libxml2 ran out of memory: the reader
                                       fails with TALLY_ENOMEM (no diagnostic is made
                                       of it: a damaged zip and no memory are told apart) */
};

struct wb_entry {
    struct wb *wb;
    const char *part;               /* what it is, for messages ("sheet \"Sheet1\""); borrowed */
    zip_file_t *file;
    uint64_t comp_size;             /* as the zip declares it */
    uint64_t inflated;              /* bytes inflated from this entry */
    xmlTextReaderPtr xml;
    char carry[9];                  /* the last bytes read, for a DOCTYPE across reads */
    size_t ncarry;
    const char *stop;               /* why reading stopped (a limit, a DOCTYPE), or NULL */
    bool nomem;                     /* it stopped because memory ran out */
    const char *stop_code;
    char why[96];                   /* the words of a limit passed */
    char xml_error[256];            /* libxml2's first error, or "" */
    int xml_line;
};

/* Read the input whole and open it as a zip, under limits (NULL: the
 * defaults). TALLY_OK even when the file is not a workbook (then w->failed,
 * after the diagnostic); TALLY_ENOMEM, TALLY_EIO. */
int wb_open(struct wb *w, struct tally_reader *r, const char *what,
            const struct wb_limits *limits, struct tally_error *err);
void wb_close(struct wb *w);

/* Is there an entry of that name? */
bool wb_has(struct wb *w, const char *name);

/* Open the entry for XML reading. false (after a diagnostic naming `part`,
 * and w->failed) when it is missing, encrypted, compressed by a method other
 * than store and deflate, or declares more than the limits allow; false with
 * w->nomem when memory ran out. */
bool wb_entry_open(struct wb *w, const char *name, const char *part, struct wb_entry *e);

/* xmlTextReaderRead over the entry: 1 a node, 0 the end, -1 a problem,
 * reported (and w->failed), or out of memory (w->nomem, not reported). */
int wb_xml_read(struct wb_entry *e);

/* The same with xmlTextReaderNext: past the current element's subtree. */
int wb_xml_next(struct wb_entry *e);

/* The first size-1 bytes of a small entry, NUL-terminated, into buf; the
 * number read, or -1 when there is no such entry or it cannot be read. */
long wb_read_small(struct wb *w, const char *name, char *buf, size_t size);
void wb_entry_close(struct wb_entry *e);

/* A problem with the workbook itself: a `format` (or `limit`) error; ends it. */
void wb_fail(struct wb *w, const char *code, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

/* An attribute of the current element by local name (any namespace, or none),
 * or NULL. Caller frees with xmlFree. */
char *wb_attr(xmlTextReaderPtr x, const char *local);

/* The entry a relationship's Target names, relative to the part `from`
 * ("xl/workbook.xml" + "worksheets/sheet1.xml" → "xl/worksheets/sheet1.xml";
 * "/xl/x.xml" is from the root). NULL when it leaves the workbook ("../..";
 * *outside) or out of memory. Caller frees. */
char *wb_resolve(const char *from, const char *target, bool *outside);

/* The sheet's name as a cell reference writes it: Sheet1, 'My sheet', 'It''s'.
 * NULL when longer than TALLY_MAX_SHEET_REF (*too_long) or out of memory.
 * Caller frees. */
char *wb_sheet_ref(const char *name, bool *too_long);

/* A number's text as a spreadsheet shows it in General format: "42" for 42
 * or 42.0, "0.3" for 0.30000000000000004. Into buf. */
void wb_number(const char *text, char *buf, size_t size);

/*
 * The cells of one sheet row, as they arrive (columns from 1, increasing),
 * into the dense row the tabular core takes: the gaps are empty cells, and
 * cells past the last value are not kept. Texts live in `arena`, reset with
 * the row.
 */
struct wb_row {
    struct tally_arena arena;
    struct tab_cell *cells;
    size_t ncells, cap;             /* cells up to the last value (or kept) */
    size_t width;                   /* cells to keep at most: the header's width + 1
                                       once known, else TALLY_MAX_COLUMNS + 1 */
    size_t seen;                    /* columns up to the last value */
    uint32_t line;                  /* the sheet row */
    uint32_t extra_col;             /* the first value's column past width, or 0 */
    unsigned errors;                /* errors reported in the row */
    const char *broken;             /* an error that makes the row unreadable */
};

/* Start row `line`. */
void wb_row_start(struct wb_row *row, uint32_t line, size_t width);
/* A value at column col (1-based, after every earlier one). Empty values need
 * not be added. TALLY_ENOMEM. bad: already reported. */
int wb_row_cell(struct wb_row *row, uint32_t col, const char *text, size_t len, bool bad);
/* The row as the tabular core takes it. */
struct tab_row wb_row_view(const struct wb_row *row);
void wb_row_fini(struct wb_row *row);

#endif
