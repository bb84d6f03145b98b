/*
 * readers/csv.c — the CSV reader, on libcsv.
 *
 *   struct tally_input in;                  tally_input_open(&in, "returns.csv", &err);
 *   struct tally_reader *r;                 csv_reader_ops.open(&r, &in, &cfg, &err);
 *   while ((rc = r->ops->next(r, &rec, &err)) == TALLY_RECORD) ...;
 *
 * libcsv parses; this file tells where each value is. libcsv does not track
 * lines or columns, and calls back only when a field or row ends. So the
 * input is fed to csv_parse one segment at a time, each segment ending just
 * after a byte that can end a field or a row (delimiter, quote, CR, LF): every
 * callback is then caused by the last byte of a segment, and the first byte of
 * a segment that follows a callback is where the next field starts. The same
 * scan checks UTF-8, finds NUL bytes, counts lines and characters, and stops
 * any value at 64 KiB before libcsv buffers more.
 *
 * Quirks handled here: a leading UTF-8 BOM is dropped (and a UTF-16 BOM is an
 * `encoding` error); CRLF is one line end; blank rows (nothing, or only empty
 * cells) are warnings, not records; libcsv's strict mode finds stray quotes,
 * after which the rest of the line is skipped and parsing starts afresh.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <csv.h>

#include "core/csvtext.h"
#include "core/grow.h"
#include "core/arena.h"
#include "core/emit.h"
#include "core/textpos.h"
#include "core/utf8.h"
#include "tally/reader.h"
#include "readers/readers.h"
#include "readers/tabular.h"

struct csv_reader {
    struct tally_reader base;
    struct csv_parser parser;
    struct tally_arena arena;       /* cell texts of the current row */
    struct tab tab;                 /* the header, and rows into records (tabular.h) */

    /* The row being assembled. */
    struct tab_cell *cells;
    size_t ncells, cells_cap;
    size_t nfields_seen;            /* cells in the row, stored or not */
    struct tally_loc extra_loc;     /* first cell beyond the header's width */
    struct tally_loc row_loc;       /* where the row starts */
    struct tally_loc end_loc;       /* the byte that ended the row */
    struct tally_loc field_loc;     /* where the current field starts */
    bool row_begun;                 /* a byte of the current row has been read */
    bool at_field_start;            /* the next byte starts a field */
    bool row_ready;                 /* libcsv ended a row: it is in cells */
    unsigned row_errors;            /* errors found while reading the row */
    bool row_encoding_reported;     /* one `encoding` diagnostic per row is enough */
    bool cell_bad;                  /* the current field holds an encoding error */
    const char *row_broken;         /* code of a syntax or limit error: skip to LF */
    bool skipping;                  /* discarding input up to the next LF */

    /* Where the next unread byte is. */
    struct tally_loc pos;
    bool prev_cr;                   /* the byte before pos was CR */
    struct tally_loc seg_loc;       /* position of the current segment's last byte */
    bool plain_row;                 /* libcsv has a whole plain row (see plain_row) */
    struct tally_loc next_field;    /* then: where its next field starts */

    enum {
        ENC_ASCII = 0,              /* no byte above 0x7F yet */
        ENC_UTF8,                   /* the first one began valid UTF-8 */
        ENC_1252,                   /* it was not UTF-8 but windows-1252 text */
    } enc;                          /* decided at the first non-ASCII byte */
    bool convert;                   /* ENC_1252 under --clean: cells converted to UTF-8 */
    bool delimiter_given;           /* --delimiter: no detection */
    bool started;                   /* BOM checked */
    bool finished;                  /* csv_fini done */
    bool fatal;                     /* stop: nothing more can be read */
    bool delivered;                 /* the last call returned a record made of cells */
    unsigned char cls[256];         /* 0: a plain ASCII byte; else special, NUL, or non-ASCII */
};

static int no_space(unsigned char c)
{
    (void)c;
    return 0;   /* keep spaces: " 42" is not 42 unless --clean says so */
}

static int parser_init(struct csv_reader *cr)
{
    if (csv_init(&cr->parser, CSV_STRICT | CSV_STRICT_FINI | CSV_APPEND_NULL) != 0)
        return TALLY_ENOMEM;
    csv_set_delim(&cr->parser, (unsigned char)cr->base.cfg.delimiter);
    csv_set_space_func(&cr->parser, no_space);
    return TALLY_OK;
}

/* ---- libcsv callbacks ---------------------------------------------------- */

/* A copy of windows-1252 text s[0..len) as UTF-8, in the arena; *out_len its length. */
static char *from_1252(struct tally_arena *a, const void *data, size_t len, size_t *out_len)
{
    const unsigned char *s = data;
    size_t n = 0;
    char tmp[3];
    for (size_t i = 0; i < len; i++)
        n += s[i] < 0x80 ? 1 : (size_t)tally_cp1252_utf8(s[i], tmp);
    char *out = tally_arena_alloc(a, n + 1), *o = out;
    if (!out)
        return NULL;
    for (size_t i = 0; i < len; i++)
        if (s[i] < 0x80)
            *o++ = (char)s[i];
        else
            o += tally_cp1252_utf8(s[i], o);
    *o = '\0';
    *out_len = n;
    return out;
}

static void on_field(void *data, size_t len, void *ctx)
{
    struct csv_reader *cr = ctx;
    if (cr->plain_row) {    /* each field is its text, then a delimiter */
        cr->field_loc = cr->next_field;
        cr->next_field.column += (uint32_t)len + 1;
        cr->next_field.offset += len + 1;
    }
    cr->at_field_start = true;
    size_t width = tab_width(&cr->tab);
    size_t limit = cr->tab.header_done ? width + 1 : TALLY_MAX_COLUMNS + 1;
    size_t n = cr->nfields_seen++;
    bool bad = cr->cell_bad;
    cr->cell_bad = false;
    if (cr->tab.header_done && n == width)
        cr->extra_loc = cr->field_loc;
    if (n >= limit)
        return;     /* counted, not kept: the row is ragged or too wide */
    if (tally_grow((void **)&cr->cells, &cr->cells_cap, cr->ncells, sizeof *cr->cells, 16) != TALLY_OK) {
        cr->fatal = true;
        return;
    }
    char *text = cr->convert && !bad ? from_1252(&cr->arena, data, data ? len : 0, &len)
                                     : tally_arena_strndup(&cr->arena, data ? data : "", data ? len : 0);
    if (!text) {
        cr->fatal = true;
        return;
    }
    cr->cells[cr->ncells++] = (struct tab_cell){text, data ? len : 0, cr->field_loc, bad};
}

static void on_row(int c, void *ctx)
{
    struct csv_reader *cr = ctx;
    (void)c;
    cr->row_ready = true;
    cr->row_begun = false;
    cr->at_field_start = true;
    cr->end_loc = cr->seg_loc;
}

/* ---- positions ------------------------------------------------------------ */

/* Move pos over one character of n bytes whose first byte is b (core/textpos.h). */
static inline void step(struct csv_reader *cr, unsigned char b, size_t n)
{
    tally_loc_step(&cr->pos, &cr->prev_cr, b, n);
}

static void row_error(struct csv_reader *cr, const struct tally_loc *loc, const char *code,
                      const char *fmt, ...) TALLY_PRINTF(4, 5);

/* An error in the row being read; counted on the record it will become. */
static void row_error(struct csv_reader *cr, const struct tally_loc *loc, const char *code,
                      const char *fmt, ...)
{
    uint64_t record = cr->tab.header_done ? cr->base.records + 1 : 0;
    va_list ap;
    va_start(ap, fmt);
    tally_emit_atv(&cr->base.cfg.sink, NULL, cr->base.in->name, loc, record, NULL, NULL,
                   TALLY_PATH_NONE, NULL, TALLY_SEV_ERROR, code, fmt, ap);
    va_end(ap);
    cr->row_errors++;
}

/* A byte that cannot be part of valid UTF-8 text, or a NUL. */
static void encoding_error(struct csv_reader *cr, const char *why, unsigned char byte)
{
    cr->cell_bad = true;    /* its value is not checked further: one mistake, one diagnostic */
    if (cr->row_encoding_reported)
        return;
    cr->row_encoding_reported = true;
    char as1252[4];
    int n = tally_cp1252_utf8(byte, as1252);
    as1252[n > 0 ? n : 0] = '\0';
    if (byte == 0)
        row_error(cr, &cr->pos, TALLY_CODE_ENCODING, "NUL byte at byte offset %llu",
                  (unsigned long long)cr->pos.offset);
    else if (cr->enc == ENC_1252 && n > 0)
        row_error(cr, &cr->pos, TALLY_CODE_ENCODING, "invalid UTF-8 (%s, byte 0x%02X) at byte "
                  "offset %llu: the file looks like windows-1252 text (the encoding of Excel's "
                  "plain \"CSV\"), where the byte is %s%s%s; save it as \"CSV UTF-8\", or let "
                  "--clean convert it", why ? why : "truncated sequence", byte,
                  (unsigned long long)cr->pos.offset,
                  byte == 0xA0 ? "a no-break space" : byte == 0xAD ? "a soft hyphen" : "\"",
                  byte == 0xA0 || byte == 0xAD ? "" : as1252,
                  byte == 0xA0 || byte == 0xAD ? "" : "\"");
    else
        row_error(cr, &cr->pos, TALLY_CODE_ENCODING, "invalid UTF-8 (%s, byte 0x%02X) at byte "
                  "offset %llu", why, byte, (unsigned long long)cr->pos.offset);
}

/*
 * A non-ASCII character starting at p (avail bytes): how many bytes it takes,
 * or 0 when more input is needed first. The first non-ASCII byte of the file
 * decides its encoding: UTF-8 when it begins valid UTF-8, else windows-1252
 * when it is a character there (then, under --clean, the file's text is
 * converted; without it, each row holding such bytes is an `encoding` error
 * that says so). In a windows-1252 file, bytes that read as UTF-8 mean the
 * file mixes the two: an error, never a guess.
 */
static size_t non_ascii(struct csv_reader *cr, const unsigned char *p, size_t avail, bool eof)
{
    const char *why = NULL;
    char out[3];
    int n = tally_utf8_seq(p, avail, &why);
    if (n < 0 && !eof)
        return 0;                   /* finish the character after the next read */
    if (cr->enc == ENC_ASCII) {
        cr->enc = n > 0 || tally_cp1252_utf8(p[0], out) == 0 ? ENC_UTF8 : ENC_1252;
        if (cr->enc == ENC_1252 && cr->base.cfg.clean) {
            int k = tally_cp1252_utf8(p[0], out);
            cr->convert = true;
            tally_emit_at(&cr->base.cfg.sink, NULL, cr->base.in->name, &cr->pos, 0, NULL, NULL,
                          TALLY_PATH_NONE, NULL, TALLY_SEV_INFO, TALLY_CODE_REPAIRED,
                          "the file is not UTF-8 but windows-1252 text (its first such byte, "
                          "0x%02X, is \"%.*s\"); it is read converted to UTF-8", p[0], k, out);
        }
    }
    if (cr->convert) {
        if (n > 1) {
            cr->cell_bad = true;
            if (!cr->row_encoding_reported)
                row_error(cr, &cr->pos, TALLY_CODE_ENCODING, "the file mixes windows-1252 and "
                          "UTF-8 text: the bytes at byte offset %llu read as \"%.*s\" in UTF-8 "
                          "but as other characters in windows-1252, and tally does not guess "
                          "which is meant", (unsigned long long)cr->pos.offset, n, (const char *)p);
            cr->row_encoding_reported = true;
            return (size_t)n;
        }
        if (tally_cp1252_utf8(p[0], out) == 0)
            encoding_error(cr, "a byte windows-1252 does not define", p[0]);
        return 1;
    }
    if (n <= 0) {
        encoding_error(cr, why ? why : "truncated sequence", p[0]);
        return 1;
    }
    return (size_t)n;
}

static bool is_special(const struct csv_reader *cr, unsigned char c)
{
    return c == (unsigned char)cr->base.cfg.delimiter || c == '"' || c == '\r' || c == '\n';
}

/*
 * Scan forward from buf[pos] to the end of the next segment: just after the
 * next special byte, or the end of the buffered data. Checks encoding and
 * moves cr->pos as it goes. Returns the segment's length; 0 means more input
 * is needed first (a multi-byte character is cut by the buffer's end).
 */
static size_t scan_segment(struct csv_reader *cr, const unsigned char *p, size_t avail, bool eof)
{
    const unsigned char *cls = cr->cls;
    size_t i = 0;
    while (i < avail) {
        /* A run of plain ASCII characters moves the position in one step. */
        size_t run = i;
        while (i < avail && !cls[p[i]])
            i++;
        if (i > run) {
            cr->pos.column += (uint32_t)(i - run);
            cr->pos.offset += i - run;
            cr->prev_cr = false;
        }
        if (i == avail)
            break;
        unsigned char c = p[i];
        if (c < 0x80) {
            if (c == 0)
                encoding_error(cr, NULL, 0);
            cr->seg_loc = cr->pos;
            step(cr, c, 1);
            i++;
            if (c != 0)
                break;      /* a delimiter, quote or line end */
            continue;
        }
        size_t n = non_ascii(cr, p + i, avail - i, eof);
        if (n == 0)
            return i;
        cr->seg_loc = cr->pos;
        step(cr, c, n);
        i += n;
    }
    return i;
}

/* Recompute where byte k of a segment starting at `from` is (bytes_are_chars:
 * a windows-1252 file, where every byte is a character). */
static struct tally_loc loc_within(struct tally_loc from, bool prev_cr, const unsigned char *p,
                                   size_t k, bool bytes_are_chars)
{
    for (size_t i = 0; i < k; i++) {
        if (!bytes_are_chars && (p[i] & 0xC0) == 0x80) {
            from.offset++;      /* a continuation byte: no character of its own */
            prev_cr = false;
        } else {
            tally_loc_step(&from, &prev_cr, p[i], 1);
        }
    }
    return from;
}

/* Start discarding input up to the next line end after a syntax or limit error. */
static int break_row(struct csv_reader *cr, const char *code)
{
    cr->row_broken = code;
    cr->skipping = true;
    csv_free(&cr->parser);
    return parser_init(cr);
}

/* Discard bytes of a broken row up to and including the next line end: an
 * LF, or a CR (the LF of a CR LF then comes as the end of no row). A lone CR
 * ends a line here as everywhere else (core/textpos.h). */
static void skip_line(struct csv_reader *cr)
{
    struct tally_input *in = cr->base.in;
    const unsigned char *p = in->buf + in->pos;
    size_t avail = in->len - in->pos;
    const unsigned char *lf = NULL;
    for (size_t i = 0; i < avail && !lf; i++)
        if (p[i] == '\n' || p[i] == '\r')
            lf = p + i;
    size_t n = lf ? (size_t)(lf - p) + 1 : avail;
    for (size_t i = 0; i < n; i++)
        if ((p[i] & 0xC0) != 0x80 || p[i] == '\n' || cr->enc == ENC_1252)
            step(cr, p[i], 1);
        else
            cr->pos.offset++;
    in->pos += n;
    if (lf) {
        cr->skipping = false;
        cr->row_ready = true;
        cr->row_begun = false;
        cr->at_field_start = true;
    }
}

/*
 * The length of the row at p, through its LF, when it is plain: all of it in
 * the buffer, shorter than a value may be, and no byte in it but the
 * delimiter and the LF special (no quote, CR, NUL or non-ASCII byte). Each
 * field of a plain row is its text, so where it starts follows from the
 * lengths before it: libcsv can take the whole row at once. 0 otherwise.
 */
static size_t plain_row(const struct csv_reader *cr, const unsigned char *p, size_t avail)
{
    size_t max = avail < TALLY_MAX_VALUE_BYTES ? avail : TALLY_MAX_VALUE_BYTES;
    const unsigned char *lf = memchr(p, '\n', max);
    if (!lf)
        return 0;
    size_t n = (size_t)(lf - p);
    unsigned char delim = (unsigned char)cr->base.cfg.delimiter;
    for (size_t i = 0; i < n; i++)
        if (cr->cls[p[i]] && p[i] != delim)
            return 0;
    return n + 1;
}

/* Feed one segment to libcsv (or a whole plain row). */
static int feed(struct csv_reader *cr, struct tally_error *err)
{
    struct tally_input *in = cr->base.in;
    const unsigned char *p = in->buf + in->pos;
    size_t avail = in->len - in->pos;

    if (cr->skipping) {
        skip_line(cr);
        return TALLY_OK;
    }
    if (cr->at_field_start) {
        unsigned char c = p[0];
        if (!cr->row_begun && (c == '\r' || c == '\n')) {
            /* A line end outside any row: the LF of a CRLF, or a blank line. */
            if (!(c == '\n' && cr->prev_cr)) {
                struct tally_loc loc = {cr->pos.line, 1, cr->pos.offset};
                if (tab_blank(&cr->tab, &loc, 1) != TALLY_OK)
                    return tally_error_set(err, TALLY_ENOMEM, "out of memory");
            }
            step(cr, c, 1);
            in->pos++;
            return TALLY_OK;
        }
        cr->field_loc = cr->pos;
        cr->at_field_start = false;
        if (!cr->row_begun) {
            cr->row_begun = true;
            cr->row_loc = cr->pos;
            size_t n = plain_row(cr, p, avail);
            if (n) {
                cr->plain_row = true;
                cr->next_field = cr->pos;
                cr->seg_loc = cr->pos;          /* the LF that ends the row */
                cr->seg_loc.column += (uint32_t)(n - 1);
                cr->seg_loc.offset += n - 1;
                size_t done = csv_parse(&cr->parser, p, n, on_field, on_row, cr);
                cr->plain_row = false;
                if (cr->fatal || done < n)     /* no quote: only memory can fail */
                    return tally_error_set(err, TALLY_ENOMEM, "out of memory");
                cr->pos = (struct tally_loc){cr->pos.line + 1, 1, cr->pos.offset + n};
                cr->prev_cr = false;
                in->pos += n;
                return TALLY_OK;
            }
        }
    }

    struct tally_loc start = cr->pos;
    bool start_cr = cr->prev_cr;
    size_t n = scan_segment(cr, p, avail, in->eof);
    if (n == 0)
        return tally_input_fill(in, err);

    /* A value may not grow past the limit; libcsv would buffer it all. */
    size_t value_end = n - (is_special(cr, p[n - 1]) ? 1 : 0);
    if (cr->pos.offset - (n - value_end) - cr->field_loc.offset > TALLY_MAX_VALUE_BYTES) {
        row_error(cr, &cr->field_loc, TALLY_CODE_LIMIT, "value longer than %d bytes; the rest "
                  "of the line is skipped", TALLY_MAX_VALUE_BYTES);
        in->pos += n;
        return break_row(cr, TALLY_CODE_LIMIT) == TALLY_OK
                   ? TALLY_OK : tally_error_set(err, TALLY_ENOMEM, "out of memory");
    }

    size_t done = csv_parse(&cr->parser, p, n, on_field, on_row, cr);
    if (cr->fatal)
        return tally_error_set(err, TALLY_ENOMEM, "out of memory");
    if (done < n) {
        if (csv_error(&cr->parser) != CSV_EPARSE)
            return tally_error_set(err, TALLY_ENOMEM, "out of memory");
        struct tally_loc at = loc_within(start, start_cr, p, done, cr->enc == ENC_1252);
        unsigned char bad = p[done];
        if (bad == '"')
            row_error(cr, &at, TALLY_CODE_CSV_SYNTAX, "quote inside an unquoted value (quote "
                      "the whole value and double the quote); the rest of the line is skipped");
        else
            row_error(cr, &at, TALLY_CODE_CSV_SYNTAX, "unexpected text after a closing quote (a "
                      "quote inside a quoted value must be doubled); the rest of the line is "
                      "skipped");
        /* Resume skipping at the bad byte, which may itself be the LF. */
        cr->pos = at;
        cr->prev_cr = done > 0 && p[done - 1] == '\r';
        in->pos += done;
        return break_row(cr, TALLY_CODE_CSV_SYNTAX) == TALLY_OK
                   ? TALLY_OK : tally_error_set(err, TALLY_ENOMEM, "out of memory");
    }
    in->pos += n;
    return TALLY_OK;
}

/* ---- rows ----------------------------------------------------------------- */

static void reset_row(struct csv_reader *cr)
{
    tally_arena_reset(&cr->arena);
    cr->ncells = cr->nfields_seen = 0;
    cr->row_ready = false;
    cr->row_errors = 0;
    cr->row_encoding_reported = false;
    cr->cell_bad = false;
    cr->row_broken = NULL;
}

/* Hand the row libcsv ended to the tabular core. */
static int take_row(struct csv_reader *cr, struct tally_record **out, struct tally_error *err)
{
    struct tab_row row = {
        .cells = cr->cells, .ncells = cr->ncells, .nseen = cr->nfields_seen,
        .loc = cr->row_loc, .end = cr->end_loc, .extra = cr->extra_loc,
        .errors = cr->row_errors, .broken = cr->row_broken,
    };
    return tab_row(&cr->tab, &row, out, err);
}

/* ---- the delimiter --------------------------------------------------------- */

/*
 * When no --delimiter is given, the first lines of the file (at most
 * TAB_MAX_TITLE_ROWS + 1 of them, within the first read) are parsed by libcsv
 * once per candidate delimiter, and each row is asked whether it is a header
 * (tab_is_header). A comma that finds one wins, silently. Otherwise, when
 * exactly one of ';', tab and '|' finds one, the file is read with it and an
 * info says so. When none does but a candidate splits the first row into
 * more cells (three or more) than a comma does, a warning suggests it, and
 * the file is read with commas, as it always was. Only the choice of
 * delimiter comes from this trial: every value and position still comes
 * from the one parse that reads the file.
 */
struct trial {
    const struct tally_schema *schema;
    struct tab_cell *cells;         /* the row's cells (texts borrowed from csvtext) */
    size_t cap;
    size_t rows;                    /* rows ended so far */
    size_t first_width;             /* cells of the first row that was not blank */
    long header_row;                /* index of the first header row, or -1 */
    uint32_t header_line;
    bool nomem;
};

static int trial_row(void *ctx, const struct tally_csvtext_row *r)
{
    struct trial *t = ctx;
    size_t n = r->n < TALLY_MAX_COLUMNS ? r->n : TALLY_MAX_COLUMNS;
    if (n > t->cap) {
        struct tab_cell *c = realloc(t->cells, n * sizeof *c);
        if (!c) {
            t->nomem = true;
            return TALLY_ENOMEM;
        }
        t->cells = c;
        t->cap = n;
    }
    bool blank = true;
    for (size_t i = 0; i < n; i++) {
        t->cells[i] = (struct tab_cell){r->fields[i], r->lens[i], {0, 0, 0}, false};
        blank = blank && r->lens[i] == 0;
    }
    if (!blank && !t->first_width)
        t->first_width = n;
    if (!blank && t->header_row < 0 && tab_is_header(t->schema, t->cells, n)) {
        t->header_row = (long)t->rows;
        t->header_line = r->line;
    }
    t->rows++;
    return TALLY_OK;
}

/* Parse p[0..n) (whole lines, or the whole file when eof) with delimiter d
 * into t, through the shared loader (core/csvtext.h): its lines are counted as
 * the reader counts them. */
static void trial_parse(struct trial *t, const unsigned char *p, size_t n, char d, bool eof)
{
    struct tally_csvtext_opts o = {.delimiter = d, .lenient = true, .partial = !eof};
    if (tally_csvtext_read((const char *)p, n, &o, trial_row, t, NULL) == TALLY_ENOMEM)
        t->nomem = true;
}

static const char *delimiter_name(char d)
{
    return d == '\t' ? "tabs" : d == ';' ? "semicolons (;)" : d == '|' ? "bars (|)" : "commas";
}

static const char *delimiter_option(char d)
{
    return d == '\t' ? "--delimiter tab" : d == ';' ? "--delimiter ';'" : "--delimiter '|'";
}

/* What a row with too many fields most likely holds, for its error. */
static const char *ragged_hint(char delimiter)
{
    switch (delimiter) {
    case ',':
        return "is there a comma in a value? A value that holds one must be in double quotes";
    case ';':
        return "is there a semicolon in a value? A value that holds one must be in double quotes";
    case '\t':
        return "is there a tab in a value? A value that holds one must be in double quotes";
    default:
        return "is there a delimiter in a value? A value that holds one must be in double quotes";
    }
}

/* Choose the delimiter from the first lines (see above); before any is parsed. */
static int detect_delimiter(struct csv_reader *cr, struct tally_error *err)
{
    struct tally_input *in = cr->base.in;
    int rc = tally_input_want(in, TALLY_INPUT_CHUNK, err);
    if (rc)
        return rc;
    const unsigned char *p = in->buf + in->pos;
    size_t n = in->len - in->pos, lines = 0, cut = 0;
    for (size_t i = 0; i < n && lines <= TAB_MAX_TITLE_ROWS; i++)
        if (p[i] == '\n' || (p[i] == '\r' && (i + 1 == n || p[i + 1] != '\n')))
            lines++, cut = i + 1;   /* LF, CR LF or a lone CR ends a line */
    bool whole = in->eof && lines <= TAB_MAX_TITLE_ROWS;
    if (whole)
        cut = n;
    static const char candidates[] = {',', ';', '\t', '|'};
    struct trial t[4];
    bool nomem = false;
    int found = -1, nfound = 0, wider = -1;
    for (int k = 0; k < 4; k++) {
        t[k] = (struct trial){.schema = cr->base.cfg.schema, .header_row = -1};
        trial_parse(&t[k], p, cut, candidates[k], whole);
        nomem |= t[k].nomem;
        if (k > 0 && t[k].header_row >= 0)
            found = k, nfound++;
        if (k > 0 && t[k].first_width >= 3 && t[k].first_width > t[0].first_width &&
            (wider < 0 || t[k].first_width > t[wider].first_width))
            wider = k;
    }
    struct tally_loc at = {1, 1, 0};
    if (nomem) {
        rc = tally_error_set(err, TALLY_ENOMEM, "out of memory");
    } else if (t[0].header_row >= 0) {
        /* commas, as the format says */
    } else if (nfound == 1) {
        char d = candidates[found];
        at.line = t[found].header_line;
        tally_emit_at(&cr->base.cfg.sink, NULL, in->name, &at, 0, NULL, NULL, TALLY_PATH_NONE,
                      NULL, TALLY_SEV_INFO, TALLY_CODE_CSV_DELIMITER,
                      "the values are separated by %s, not commas (its header on line %u reads "
                      "so); the file is read that way, as %s would say", delimiter_name(d),
                      at.line, delimiter_option(d));
        cr->base.cfg.delimiter = d;
        cr->cls[','] = 0;
        cr->cls[(unsigned char)d] = 1;
        csv_set_delim(&cr->parser, (unsigned char)d);
        cr->tab.opt.ragged_hint = ragged_hint(d);
    } else if (nfound > 1 || wider >= 0) {
        int k = nfound > 1 ? found : wider;
        char d = candidates[k];
        tally_emit_at(&cr->base.cfg.sink, NULL, in->name, &at, 0, NULL, NULL, TALLY_PATH_NONE,
                      NULL, TALLY_SEV_WARNING, TALLY_CODE_CSV_DELIMITER,
                      "the first row has %zu cells when split at %s, and %zu at commas: if its "
                      "values are separated by %s, try `%s`", t[k].first_width,
                      delimiter_name(d), t[0].first_width, delimiter_name(d), delimiter_option(d));
    }
    for (int k = 0; k < 4; k++)
        free(t[k].cells);
    return rc;
}

static int csv_next(struct tally_reader *r, struct tally_record **out, struct tally_error *err)
{
    struct csv_reader *cr = (struct csv_reader *)r;
    struct tally_input *in = r->in;
    int rc;

    if (!cr->started) {
        cr->started = true;
        if ((rc = tally_input_want(in, 3, err)))
            return rc;
        const unsigned char *p = in->buf + in->pos;
        size_t n = in->len - in->pos;
        if (n >= 3 && p[0] == 0xEF && p[1] == 0xBB && p[2] == 0xBF) {
            in->pos += 3;
            cr->pos.offset = 3;
        } else if (n >= 2 && ((p[0] == 0xFF && p[1] == 0xFE) || (p[0] == 0xFE && p[1] == 0xFF))) {
            struct tally_loc loc = {1, 1, 0};
            tally_emit_at(&r->cfg.sink, NULL, in->name, &loc, 0, NULL, NULL, TALLY_PATH_NONE, NULL,
                          TALLY_SEV_ERROR, TALLY_CODE_ENCODING,
                          "the file is UTF-16 (byte order mark 0x%02X%02X at byte offset 0); "
                          "save it as UTF-8", p[0], p[1]);
            cr->fatal = true;
        }
        if (!cr->fatal && !cr->delimiter_given && (rc = detect_delimiter(cr, err)))
            return rc;
    }

    if (cr->delivered) {            /* the record handed out last time is done with */
        cr->delivered = false;
        reset_row(cr);
    }
    for (;;) {
        if ((rc = tab_held(&cr->tab, out, err)) != TALLY_DONE)
            return rc;
        if (cr->fatal || cr->tab.fatal)
            return TALLY_DONE;
        if (cr->row_ready) {
            rc = take_row(cr, out, err);
            if (rc == TALLY_RECORD) {
                cr->row_ready = false;
                cr->delivered = true;
                return TALLY_RECORD;
            }
            if (rc != TALLY_OK)
                return rc;
            reset_row(cr);
            continue;
        }
        if (in->pos == in->len) {
            if (!in->eof) {
                if ((rc = tally_input_fill(in, err)))
                    return rc;
                continue;
            }
            if (cr->finished)
                break;
            cr->finished = true;
            if (cr->skipping) {         /* a broken last row without a line end */
                cr->skipping = false;
                cr->row_ready = true;
                continue;
            }
            cr->seg_loc = cr->pos;
            if (csv_fini(&cr->parser, on_field, on_row, cr) != 0) {
                row_error(cr, &cr->field_loc, TALLY_CODE_CSV_SYNTAX,
                          "quoted value is not closed before the end of the file");
                cr->row_broken = TALLY_CODE_CSV_SYNTAX;
                cr->row_ready = true;
            }
            if (cr->fatal)
                return tally_error_set(err, TALLY_ENOMEM, "out of memory");
            continue;
        }
        if ((rc = feed(cr, err)))
            return rc;
    }

    /* End of file: a header still looked for is settled, its rows given out. */
    if (!cr->tab.ended) {
        if ((rc = tab_end(&cr->tab, err)))
            return rc;
        if ((rc = tab_held(&cr->tab, out, err)) != TALLY_DONE)
            return rc;
    }
    tab_finish(&cr->tab);
    cr->fatal = true;
    return TALLY_DONE;
}

static int csv_open(struct tally_reader **out, struct tally_input *in,
                    const struct tally_reader_config *cfg, struct tally_error *err)
{
    struct csv_reader *cr = calloc(1, sizeof *cr);
    if (!cr)
        return tally_error_set(err, TALLY_ENOMEM, "out of memory");
    cr->base.ops = &tally_csv_reader;
    cr->base.in = in;
    cr->base.cfg = *cfg;
    cr->delimiter_given = cr->base.cfg.delimiter != 0;
    if (!cr->base.cfg.delimiter)
        cr->base.cfg.delimiter = ',';
    struct tab_options opts = {
        .row_word = "line",
        .msg_empty = "the file is empty: a CSV return needs a header row",
        .msg_only_blank = "the file has no header row, only blank lines",
        .ragged_hint = ragged_hint(cr->base.cfg.delimiter),
    };
    if (tab_init(&cr->tab, &cr->base, &opts, err) != TALLY_OK) {
        free(cr);
        return err->status;
    }
    if (parser_init(cr) != TALLY_OK) {
        tab_fini(&cr->tab);
        free(cr);
        return tally_error_set(err, TALLY_ENOMEM, "out of memory");
    }
    cr->pos = (struct tally_loc){1, 1, 0};
    cr->at_field_start = true;
    cr->cls[(unsigned char)cr->base.cfg.delimiter] = 1;
    cr->cls['"'] = cr->cls['\r'] = cr->cls['\n'] = 1;
    cr->cls[0] = 2;
    for (int b = 0x80; b < 0x100; b++)
        cr->cls[b] = 3;
    *out = &cr->base;
    return TALLY_OK;
}

static void csv_close(struct tally_reader *r)
{
    struct csv_reader *cr = (struct csv_reader *)r;
    if (!cr)
        return;
    csv_free(&cr->parser);
    tally_arena_fini(&cr->arena);
    tab_fini(&cr->tab);
    free(cr->cells);
    free(cr);
}

static const char *const csv_extensions[] = {".csv", NULL};

const struct tally_reader_ops tally_csv_reader = {
    .name = "csv",
    .extensions = csv_extensions,
    .open = csv_open,
    .next = csv_next,
    .close = csv_close,
};
