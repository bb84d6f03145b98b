/*
 * emit.c — filling and sending diagnostics (emit.h).
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "core/emit.h"

/* "Sheet1!C7" for a cell (column 0: "Sheet1!7:7", the row) into buf. */
static const char *cell_ref(const char *sheet, const struct tally_loc *loc, char *buf, size_t size)
{
    if (!sheet || !loc || !loc->line || strlen(sheet) > TALLY_MAX_SHEET_REF)
        return NULL;
    char letters[8];
    size_t n = 0;
    for (uint32_t c = loc->column; c > 0 && n < sizeof letters; c = (c - 1) / 26)
        letters[n++] = (char)('A' + (c - 1) % 26);
    size_t o = (size_t)snprintf(buf, size, "%s!", sheet);
    while (n > 0)
        buf[o++] = letters[--n];
    if (loc->column)
        snprintf(buf + o, size - o, "%u", loc->line);
    else
        snprintf(buf + o, size - o, "%u:%u", loc->line, loc->line);
    return buf;
}

static void send(const struct tally_diag_sink *sink, struct tally_record *rec, const char *file,
                 const struct tally_loc *loc, uint64_t record, const char *field,
                 const char *value, enum tally_path_kind kind, const char *path,
                 enum tally_severity sev, const char *code, const char *fmt, va_list ap)
{
    char message[1024], cell[TALLY_MAX_SHEET_REF + 32];
    vsnprintf(message, sizeof message, fmt, ap);
    struct tally_diag d = {
        .severity = sev,
        .code = code,
        .message = message,
        .file = file,
        .line = loc ? loc->line : 0,
        .column = loc ? loc->column : 0,
        .record = record,
        .field = field,
        .value = value,
        .pointer = kind == TALLY_PATH_POINTER ? path : NULL,
        .xpath = kind == TALLY_PATH_XPATH ? path : NULL,
        .cell = kind == TALLY_PATH_CELL ? cell_ref(path, loc, cell, sizeof cell) : NULL,
    };
    if (rec) {
        if (sev == TALLY_SEV_ERROR)
            rec->errors++;
        else if (sev == TALLY_SEV_WARNING)
            rec->warnings++;
    }
    if (sink && sink->emit)
        sink->emit(sink->ctx, &d);
}

void tally_emit_at(const struct tally_diag_sink *sink, struct tally_record *rec, const char *file,
                   const struct tally_loc *loc, uint64_t record, const char *field,
                   const char *value, enum tally_path_kind kind, const char *path,
                   enum tally_severity sev, const char *code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    send(sink, rec, file, loc, record, field, value, kind, path, sev, code, fmt, ap);
    va_end(ap);
}

void tally_emit_atv(const struct tally_diag_sink *sink, struct tally_record *rec, const char *file,
                    const struct tally_loc *loc, uint64_t record, const char *field,
                    const char *value, enum tally_path_kind kind, const char *path,
                    enum tally_severity sev, const char *code, const char *fmt, va_list ap)
{
    send(sink, rec, file, loc, record, field, value, kind, path, sev, code, fmt, ap);
}

void tally_emit_field(const struct tally_diag_sink *sink, const struct tally_schema *schema,
                      struct tally_record *rec, size_t field, enum tally_severity sev,
                      const char *code, const char *fmt, ...)
{
    const struct tally_field *f = &rec->fields[field];
    const struct tally_loc *loc = f->loc.line ? &f->loc : &rec->loc;
    const char *path = f->path ? f->path : rec->path;
    va_list ap;
    va_start(ap, fmt);
    send(sink, rec, rec->file, loc, rec->index, schema->fields[field].name, f->text,
         rec->path_kind, path, sev, code, fmt, ap);
    va_end(ap);
}

void tally_emit_record(const struct tally_diag_sink *sink, struct tally_record *rec,
                       enum tally_severity sev, const char *code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    send(sink, rec, rec->file, &rec->loc, rec->index, NULL, NULL, rec->path_kind, rec->path, sev,
         code, fmt, ap);
    va_end(ap);
}
