/*
 * readers/ods.c — the OpenDocument spreadsheet reader (.ods: LibreOffice,
 * and Excel's "OpenDocument Spreadsheet").
 *
 *   kent.ods (a zip)
 *     mimetype        application/vnd.oasis.opendocument.spreadsheet
 *     content.xml     <table:table table:name="Sheet1">
 *                       <table:table-row table:number-rows-repeated="2">
 *                         <table:table-cell office:value-type="float" office:value="42"
 *                                           table:number-columns-repeated="3">
 *                           <text:p>42</text:p>
 *
 * content.xml is read with libxml2's xmlTextReader as it is inflated; the
 * first sheet (or --sheet NAME; the others are skipped unparsed) is read one
 * row at a time, and each row's cells go to the tabular core (tabular.h), as
 * a CSV row's do. A cell gives the value it shows: a number's value as
 * General format shows it ("42"), a date's office:date-value (its date, when
 * the time is midnight), TRUE or FALSE, or its text (paragraphs joined by a
 * line break; <text:s/> spaces and tabs as written; annotations left out).
 * Cells under a merged cell and formatted but empty cells are empty. Rows
 * and cells repeated (number-rows-repeated, number-columns-repeated) count as
 * that many; the empty rows LibreOffice repeats to the end of a sheet cost
 * nothing. Every location is the sheet's row (line) and column, and
 * diagnostics carry the cell ("Sheet1!C7").
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/emit.h"
#include "readers/readers.h"
#include "readers/workbook.h"

#define ODS_MIME "application/vnd.oasis.opendocument.spreadsheet"

struct ods_reader {
    struct tally_reader base;
    struct wb wb;
    struct tab tab;
    bool tab_ready;
    struct wb_entry content;
    bool content_open;

    char *sheet_ref;                /* the sheet read, as a cell reference writes it */
    char *sheet_part;               /* "sheet \"Returns\"", for messages */
    char names[600];                /* the sheets passed over, for a --sheet not found */
    size_t names_len;
    bool in_table;                  /* inside the sheet read */
    bool reading_done;

    /* Rows. */
    struct wb_row row;
    bool row_open;
    uint32_t next_row;              /* the sheet row the next <table-row> starts at */
    uint32_t row_repeat;            /* the row being read stands for this many */
    uint32_t pending;               /* repetitions of a finished row still to hand over */
    uint32_t next_col;              /* the column the next cell starts at */

    /* The cell being read. */
    bool node_ready;                /* the reader stands on a node not yet looked at */
    bool in_cell, in_annotation, covered;
    uint32_t cell_col, cell_repeat;
    char *value;                    /* its office:value (or date, boolean), when typed */
    int paragraphs;                 /* <text:p>s begun */
    char *text;
    size_t text_len, text_cap;
    bool text_over;

    bool ended;
};

/* ---- cells ----------------------------------------------------------------------------- */

static bool add_text(struct ods_reader *or, const char *s, size_t n)
{
    if (or->text_len + n > TALLY_MAX_VALUE_BYTES) {
        or->text_over = true;
        return true;
    }
    if (or->text_len + n + 1 > or->text_cap) {
        size_t c = or->text_cap ? or->text_cap : 256;
        while (c < or->text_len + n + 1)
            c *= 2;
        char *p = realloc(or->text, c);
        if (!p)
            return false;
        or->text = p;
        or->text_cap = c;
    }
    memcpy(or->text + or->text_len, s, n);
    or->text_len += n;
    or->text[or->text_len] = '\0';
    return true;
}

static uint32_t repeat_of(xmlTextReaderPtr x, const char *attr, uint32_t max)
{
    char *v = wb_attr(x, attr);
    unsigned long n = 1;
    if (v) {
        char *end;
        n = strtoul(v, &end, 10);
        if (end == v || *end || n == 0)
            n = 1;
    }
    xmlFree(v);
    return n > max ? max : (uint32_t)n;
}

/* The cell has ended: its value as shown, into the row, once per repetition. */
static int end_cell(struct ods_reader *or, struct tally_error *err)
{
    or->in_cell = false;
    const char *t = or->text ? or->text : "";
    size_t n = or->text_len;
    bool bad = false;
    if (or->covered) {
        t = "", n = 0;
    } else if (or->text_over) {
        struct tally_loc loc = {or->row.line, or->cell_col, 0};
        uint64_t record = or->tab.header_done ? or->base.records + 1 : 0;
        tally_emit_at(&or->base.cfg.sink, NULL, or->base.in->name, &loc, record, NULL, NULL,
                      TALLY_PATH_CELL, or->sheet_ref, TALLY_SEV_ERROR, TALLY_CODE_LIMIT,
                      "value longer than %d bytes", TALLY_MAX_VALUE_BYTES);
        or->row.errors++;
        t = "", n = 0, bad = true;
    } else if (or->value) {
        t = or->value;
        n = strlen(t);
    }
    int rc = TALLY_OK;
    for (uint32_t k = 0; (n || bad) && k < or->cell_repeat && or->cell_col + k <= WB_MAX_COLUMNS; k++)
        if (wb_row_cell(&or->row, or->cell_col + k, t, n, bad) != TALLY_OK) {
            rc = tally_error_set(err, TALLY_ENOMEM, "out of memory");
            break;
        }
    xmlFree(or->value);     /* t may point into it: freed only now */
    or->value = NULL;
    return rc;
}

/* A typed cell's value as shown, from its attributes; NULL for text. Caller xmlFrees. */
static char *typed_value(xmlTextReaderPtr x)
{
    char *type = wb_attr(x, "value-type"), *v = NULL;
    if (!type)
        return NULL;
    if (strcmp(type, "float") == 0 || strcmp(type, "percentage") == 0 ||
        strcmp(type, "currency") == 0) {
        char *raw = wb_attr(x, "value");
        if (raw) {
            char buf[64];
            wb_number(raw, buf, sizeof buf);
            xmlFree(raw);
            v = (char *)xmlStrdup((const xmlChar *)buf);
        }
    } else if (strcmp(type, "date") == 0) {
        v = wb_attr(x, "date-value");
        if (v && strlen(v) >= 19 && strncmp(v + 10, "T00:00:00", 9) == 0 &&
            (v[19] == '\0' || (v[19] == '.' && strspn(v + 20, "0") == strlen(v + 20))))
            v[10] = '\0';   /* a date at midnight: the date */
    } else if (strcmp(type, "boolean") == 0) {
        char *b = wb_attr(x, "boolean-value");
        if (b)
            v = (char *)xmlStrdup((const xmlChar *)(strcmp(b, "true") == 0 ? "TRUE" : "FALSE"));
        xmlFree(b);
    }   /* string, time (shown as its text), or none */
    xmlFree(type);
    return v;
}

/* ---- the content ------------------------------------------------------------------------ */

/* A <table:table>: read it, or skip it and remember its name. */
static int table_start(struct ods_reader *or, struct tally_error *err)
{
    xmlTextReaderPtr x = or->content.xml;
    char *name = wb_attr(x, "name");
    const char *want = or->base.cfg.sheet;
    if (want && (!name || strcasecmp(name, want) != 0)) {
        if (or->names_len < sizeof or->names - 80)
            or->names_len += (size_t)snprintf(or->names + or->names_len,
                                              sizeof or->names - or->names_len, "%s\"%.60s\"",
                                              or->names_len ? ", " : "", name ? name : "");
        xmlFree(name);
        /* Past the whole sheet, unparsed for cells: the reader then stands on
         * the node after it, which the next round looks at first. */
        or->node_ready = wb_xml_next(&or->content) == 1;
        if (!or->node_ready && !or->wb.failed)
            or->reading_done = true;
        return TALLY_OK;
    }
    const char *n = name ? name : "Sheet1";
    bool too_long;
    if (!(or->sheet_ref = wb_sheet_ref(n, &too_long))) {
        xmlFree(name);
        if (!too_long)
            return tally_error_set(err, TALLY_ENOMEM, "out of memory");
        wb_fail(&or->wb, TALLY_CODE_LIMIT, "the sheet's name is longer than %d bytes",
                TALLY_MAX_SHEET_REF);
        return TALLY_OK;
    }
    or->sheet_part = malloc(strlen(n) + 16);
    if (or->sheet_part)
        sprintf(or->sheet_part, "sheet \"%s\"", n);
    xmlFree(name);
    if (!or->sheet_part)
        return tally_error_set(err, TALLY_ENOMEM, "out of memory");
    struct tab_options opts = {
        .sheet = true,
        .sheet_ref = or->sheet_ref,
        .row_word = "row",
        .msg_empty = "the sheet is empty: a return needs a header row",
        .msg_only_blank = "the sheet has no header row, only empty rows",
    };
    int rc = tab_init(&or->tab, &or->base, &opts, err);
    or->tab_ready = rc == TALLY_OK;
    or->in_table = !xmlTextReaderIsEmptyElement(x);
    or->reading_done = !or->in_table;
    or->next_row = 1;
    return rc;
}

static int content_node(struct ods_reader *or, struct tally_error *err)
{
    xmlTextReaderPtr x = or->content.xml;
    int type = xmlTextReaderNodeType(x);
    const char *name = (const char *)xmlTextReaderConstLocalName(x);
    bool start = type == XML_READER_TYPE_ELEMENT, end = type == XML_READER_TYPE_END_ELEMENT;
    bool empty = start && xmlTextReaderIsEmptyElement(x);
    if (!or->in_table) {
        return start && name && strcmp(name, "table") == 0 ? table_start(or, err) : TALLY_OK;
    }
    if (!start && !end) {
        if (or->in_cell && !or->in_annotation && !or->covered &&
            (type == XML_READER_TYPE_TEXT || type == XML_READER_TYPE_CDATA ||
             type == XML_READER_TYPE_SIGNIFICANT_WHITESPACE)) {
            const char *v = (const char *)xmlTextReaderConstValue(x);
            if (v && !add_text(or, v, strlen(v)))
                return tally_error_set(err, TALLY_ENOMEM, "out of memory");
        }
        return TALLY_OK;
    }
    if (!name)
        return TALLY_OK;
    if (strcmp(name, "table") == 0 && end) {
        or->in_table = false;
        or->reading_done = true;
    } else if (strcmp(name, "table-row") == 0 && start) {
        or->row_repeat = repeat_of(x, "number-rows-repeated", WB_MAX_ROWS);
        if (or->next_row > WB_MAX_ROWS) {
            wb_fail(&or->wb, TALLY_CODE_LIMIT, "the OpenDocument spreadsheet's %s has more than "
                    "%d rows; the rest is not read", or->sheet_part, WB_MAX_ROWS);
            return TALLY_OK;
        }
        wb_row_start(&or->row, or->next_row,
                     or->tab.header_done ? or->tab.ncols : TALLY_MAX_COLUMNS + 1);
        or->next_col = 1;
        or->row_open = !empty;
        if (empty)
            or->pending = or->row_repeat;
    } else if (strcmp(name, "table-row") == 0 && end && or->row_open) {
        or->row_open = false;
        or->pending = or->row_repeat;
    } else if ((strcmp(name, "table-cell") == 0 || strcmp(name, "covered-table-cell") == 0) &&
               start && or->row_open) {
        or->cell_col = or->next_col;
        or->cell_repeat = repeat_of(x, "number-columns-repeated", WB_MAX_COLUMNS);
        or->next_col = or->cell_col + or->cell_repeat > WB_MAX_COLUMNS + 1
                           ? WB_MAX_COLUMNS + 1 : or->cell_col + or->cell_repeat;
        /* A merged cell's hidden part is empty, whatever it holds. */
        or->covered = name[0] == 'c';
        or->value = or->covered ? NULL : typed_value(x);
        or->text_len = 0;
        or->text_over = false;
        or->paragraphs = 0;
        or->in_annotation = false;
        or->in_cell = true;
        if (empty)
            return end_cell(or, err);
    } else if ((strcmp(name, "table-cell") == 0 || strcmp(name, "covered-table-cell") == 0) &&
               end && or->in_cell) {
        return end_cell(or, err);
    } else if (or->in_cell) {
        if (strcmp(name, "annotation") == 0) {
            or->in_annotation = start && !empty;
        } else if (or->in_annotation) {
            /* a comment's text is not the cell's */
        } else if (strcmp(name, "p") == 0 && start) {
            if (or->paragraphs++ && !add_text(or, "\n", 1))
                return tally_error_set(err, TALLY_ENOMEM, "out of memory");
        } else if (strcmp(name, "s") == 0 && start) {
            uint32_t c = repeat_of(x, "c", TALLY_MAX_VALUE_BYTES + 1);
            for (uint32_t k = 0; k < c && !or->text_over; k++)
                if (!add_text(or, " ", 1))
                    return tally_error_set(err, TALLY_ENOMEM, "out of memory");
        } else if (strcmp(name, "tab") == 0 && start) {
            if (!add_text(or, "\t", 1))
                return tally_error_set(err, TALLY_ENOMEM, "out of memory");
        } else if (strcmp(name, "line-break") == 0 && start) {
            if (!add_text(or, "\n", 1))
                return tally_error_set(err, TALLY_ENOMEM, "out of memory");
        }
    }
    return TALLY_OK;
}

/* Hand over one repetition of the finished row: a record, or nothing. */
static int give_row(struct ods_reader *or, struct tally_record **out, struct tally_error *err)
{
    struct tab_row view = wb_row_view(&or->row);
    bool blank = view.nseen == 0 && !view.errors && !view.broken;
    if (blank) {
        /* Empty rows, however many are repeated, are one run. */
        struct tally_loc loc = {or->next_row, 0, 0};
        or->next_row += or->pending;
        or->pending = 0;
        return tab_blank(&or->tab, &loc, loc.line ? or->next_row - loc.line : 0) == TALLY_OK
                   ? TALLY_OK : tally_error_set(err, TALLY_ENOMEM, "out of memory");
    }
    if (or->next_row > WB_MAX_ROWS) {
        wb_fail(&or->wb, TALLY_CODE_LIMIT, "the OpenDocument spreadsheet's %s has more than %d "
                "rows; the rest is not read", or->sheet_part, WB_MAX_ROWS);
        or->pending = 0;
        return TALLY_OK;
    }
    /* A repeated row with values: each repetition at its own row. */
    or->row.line = or->next_row;
    for (size_t i = 0; i < or->row.ncells; i++)
        or->row.cells[i].loc.line = or->next_row;
    view = wb_row_view(&or->row);
    or->next_row++;
    or->pending--;
    return tab_row(&or->tab, &view, out, err);
}

/* ---- the reader ---------------------------------------------------------------------- */

static int ods_next(struct tally_reader *r, struct tally_record **out, struct tally_error *err)
{
    struct ods_reader *or = (struct ods_reader *)r;
    int rc = TALLY_OK;
    if (!or->content_open)
        return TALLY_DONE;
    for (;;) {
        if (or->tab_ready && (rc = tab_held(&or->tab, out, err)) != TALLY_DONE)
            return rc;
        if (or->tab_ready && or->tab.fatal)
            return TALLY_DONE;
        if (or->pending && !or->wb.failed) {
            rc = give_row(or, out, err);
            if (rc != TALLY_OK)
                return rc;
            continue;
        }
        if (or->reading_done || or->wb.failed)
            break;
        int got = 1;
        if (or->node_ready)
            or->node_ready = false;     /* the node after a sheet passed over */
        else
            got = wb_xml_read(&or->content);
        if (or->wb.nomem)
            return tally_error_set(err, TALLY_ENOMEM, "out of memory");
        if (got == 1)
            rc = content_node(or, err);
        else
            or->reading_done = true;
        if (rc != TALLY_OK)
            return rc;
    }
    if (or->wb.nomem)
        return tally_error_set(err, TALLY_ENOMEM, "out of memory");
    if (or->ended)
        return TALLY_DONE;
    or->ended = true;
    if (!or->tab_ready) {
        if (or->base.cfg.sheet)
            wb_fail(&or->wb, TALLY_CODE_FORMAT, "the OpenDocument spreadsheet has no sheet named "
                    "\"%.100s\"; its sheets are %s", or->base.cfg.sheet,
                    or->names_len ? or->names : "none");
        else
            wb_fail(&or->wb, TALLY_CODE_FORMAT, "the OpenDocument spreadsheet has no sheet");
        return TALLY_DONE;
    }
    if ((rc = tab_end(&or->tab, err)))
        return rc;
    if ((rc = tab_held(&or->tab, out, err)) != TALLY_DONE)
        return rc;
    if (!or->wb.failed)
        tab_finish(&or->tab);
    return TALLY_DONE;
}

static void ods_close(struct tally_reader *r)
{
    struct ods_reader *or = (struct ods_reader *)r;
    if (!or)
        return;
    if (or->content_open)
        wb_entry_close(&or->content);
    wb_close(&or->wb);
    tab_fini(&or->tab);
    wb_row_fini(&or->row);
    xmlFree(or->value);
    free(or->sheet_ref);
    free(or->sheet_part);
    free(or->text);
    free(or);
}

static int ods_open(struct tally_reader **out, struct tally_input *in,
                    const struct tally_reader_config *cfg, struct tally_error *err)
{
    struct ods_reader *or = calloc(1, sizeof *or);
    if (!or)
        return tally_error_set(err, TALLY_ENOMEM, "out of memory");
    or->base.ops = &tally_ods_reader;
    or->base.in = in;
    or->base.cfg = *cfg;
    tally_libxml2_init();
    int rc = wb_open(&or->wb, &or->base, "OpenDocument spreadsheet", NULL, err);
    if (rc == TALLY_OK && !or->wb.failed) {
        char mime[128];
        long n = wb_read_small(&or->wb, "mimetype", mime, sizeof mime);
        if (n >= 0 && strcmp(mime, ODS_MIME) != 0)
            wb_fail(&or->wb, TALLY_CODE_FORMAT, "the file is an OpenDocument file of another kind "
                    "(%.60s), not a spreadsheet", mime);
        else
            or->content_open = wb_entry_open(&or->wb, "content.xml", "content", &or->content);
    }
    if (rc == TALLY_OK && or->wb.nomem)
        rc = tally_error_set(err, TALLY_ENOMEM, "out of memory");
    if (rc != TALLY_OK) {
        ods_close(&or->base);
        return rc;
    }
    *out = &or->base;
    return TALLY_OK;
}

static const char *const ods_extensions[] = {".ods", NULL};

const struct tally_reader_ops tally_ods_reader = {
    .name = "ods",
    .extensions = ods_extensions,
    .open = ods_open,
    .next = ods_next,
    .close = ods_close,
};
