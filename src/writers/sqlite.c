/*
 * writers/sqlite.c — dataset.sqlite (dataset.h).
 *
 * Tables:
 *   dataset      the rows of dataset.csv; counts are INTEGER (a symbol stays
 *                TEXT), ratios REAL, NULL when empty, or the symbol "c" as TEXT,
 *                complete 0/1
 *   cells        the dataset long: one row per area, period, cohort and count,
 *                with the authorities behind it (gave a number, gave a symbol,
 *                sent nothing accepted) and whether it was suppressed (primary,
 *                secondary) by --disclosure
 *   records      every record read, with its fate, the codes that decided it,
 *                and its provenance: file, file sha256, line, column, record
 *                index, JSON Pointer or XPath; then the record's fields
 *   diagnostics  every diagnostic of the build, as in the JSON report
 *   files        every input file: format, sha256, counts per fate
 *   build        name/value metadata (tool and schema versions, ...)
 *
 * Diagnostics stream in while the build runs; the rest is written at the end
 * in one transaction. Nothing time-dependent is stored unless the caller puts
 * it in the metadata, so the same build gives the same database.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "tally/dataset.h"

struct tally_sqlite {
    sqlite3 *db;
    sqlite3_stmt *diag;
    bool failed;
};

static int fail(struct tally_sqlite *s, struct tally_error *err, const char *what)
{
    return tally_error_set(err, TALLY_EIO, "dataset.sqlite: %s: %s", what,
                           s && s->db ? sqlite3_errmsg(s->db) : "cannot open");
}

static int exec(struct tally_sqlite *s, const char *sql, struct tally_error *err)
{
    return sqlite3_exec(s->db, sql, NULL, NULL, NULL) == SQLITE_OK ? TALLY_OK : fail(s, err, sql);
}

struct tally_sqlite *tally_sqlite_open(const char *path, struct tally_error *err)
{
    /* Threads may each write a database of their own at once only when SQLite
     * was built thread-safe (Debian's is: serialized). */
    if (!sqlite3_threadsafe()) {
        tally_error_set(err, TALLY_EINVAL, "SQLite was built without thread support");
        return NULL;
    }
    struct tally_sqlite *s = calloc(1, sizeof *s);
    if (!s) {
        tally_error_set(err, TALLY_ENOMEM, "out of memory");
        return NULL;
    }
    remove(path);
    if (sqlite3_open_v2(path, &s->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) != SQLITE_OK ||
        exec(s, "PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF; BEGIN;"
                "CREATE TABLE diagnostics (severity TEXT, code TEXT, message TEXT, file TEXT, "
                "line INTEGER, \"column\" INTEGER, record INTEGER, field TEXT, value TEXT, "
                "pointer TEXT, xpath TEXT);", err) != TALLY_OK ||
        sqlite3_prepare_v2(s->db, "INSERT INTO diagnostics VALUES (?,?,?,?,?,?,?,?,?,?,?)", -1,
                           &s->diag, NULL) != SQLITE_OK) {
        fail(s, err, "cannot create");
        tally_sqlite_close(s);
        return NULL;
    }
    return s;
}

/* The binds return SQLite's result: a text is copied (SQLITE_TRANSIENT), and
 * when that copy fails the parameter is left NULL, so a caller that went on to
 * step would store a NULL in place of the value. Callers OR the results
 * together and do not step unless all are SQLITE_OK. */
static int bind_text(sqlite3_stmt *st, int i, const char *v)
{
    return v ? sqlite3_bind_text(st, i, v, -1, SQLITE_TRANSIENT) : sqlite3_bind_null(st, i);
}

/* A text that outlives the statement (the build's own strings): bound without
 * a copy, so without an allocation per value. */
static int bind_static(sqlite3_stmt *st, int i, const char *v)
{
    return v ? sqlite3_bind_text(st, i, v, -1, SQLITE_STATIC) : sqlite3_bind_null(st, i);
}

static int bind_uint(sqlite3_stmt *st, int i, uint64_t v, bool has)
{
    return has ? sqlite3_bind_int64(st, i, (sqlite3_int64)v) : sqlite3_bind_null(st, i);
}

int tally_sqlite_diag(struct tally_sqlite *s, const struct tally_diag *d)
{
    sqlite3_stmt *st = s->diag;
    int b = bind_text(st, 1, tally_severity_name(d->severity));
    b |= bind_text(st, 2, d->code);
    b |= bind_text(st, 3, d->message);
    b |= bind_text(st, 4, d->file);
    b |= bind_uint(st, 5, d->line, d->line != 0);
    b |= bind_uint(st, 6, d->column, d->column != 0);
    b |= bind_uint(st, 7, d->record, d->record != 0);
    b |= bind_text(st, 8, d->field);
    b |= bind_text(st, 9, d->value);
    b |= bind_text(st, 10, d->pointer);
    b |= bind_text(st, 11, d->xpath);
    bool ok = b == SQLITE_OK && sqlite3_step(st) == SQLITE_DONE;
    sqlite3_reset(st);
    if (!ok)
        s->failed = true;
    return ok ? TALLY_OK : TALLY_EIO;
}

/* Start "CREATE TABLE name (fixed" for create_table to finish. NULL when out
 * of memory (create_table says so). */
static sqlite3_str *table_start(struct tally_sqlite *s, const char *head)
{
    sqlite3_str *sql = sqlite3_str_new(s->db);
    sqlite3_str_appendall(sql, head);
    return sql;
}

/* Append one column definition, the name quoted as an identifier (%w doubles
 * any '"'), so a name of any length or spelling is one column. */
static void table_column(sqlite3_str *sql, const char *name, const char *type)
{
    sqlite3_str_appendf(sql, ", \"%w\" %s", name, type);
}

/* Finish the CREATE TABLE begun by table_start (consumes sql), run it, and
 * prepare "INSERT INTO table VALUES (?,...)" with ncols parameters. Both texts
 * are built by SQLite's string builder: no fixed buffer, no length limit. */
static int create_table(struct tally_sqlite *s, sqlite3_str *sql, const char *table, size_t ncols,
                        sqlite3_stmt **st, struct tally_error *err)
{
    *st = NULL;
    sqlite3_str_appendall(sql, ")");
    char *create = sqlite3_str_finish(sql);
    sqlite3_str *ins = sqlite3_str_new(s->db);
    sqlite3_str_appendf(ins, "INSERT INTO \"%w\" VALUES (?", table);
    for (size_t i = 1; i < ncols; i++)
        sqlite3_str_appendall(ins, ",?");
    sqlite3_str_appendall(ins, ")");
    char *insert = sqlite3_str_finish(ins);
    int rc;
    if (!create || !insert)
        rc = tally_error_set(err, TALLY_ENOMEM, "out of memory");
    else if (exec(s, create, err) != TALLY_OK ||
             sqlite3_prepare_v2(s->db, insert, -1, st, NULL) != SQLITE_OK)
        rc = fail(s, err, table);
    else
        rc = TALLY_OK;
    sqlite3_free(create);
    sqlite3_free(insert);
    return rc;
}

static int write_dataset(struct tally_sqlite *s, const struct tally_build *b,
                         struct tally_error *err)
{
    const char *const *cols = tally_build_columns(b);
    sqlite3_str *create = table_start(s, "CREATE TABLE dataset (row INTEGER PRIMARY KEY");
    size_t ncols = 0;
    for (; cols[ncols]; ncols++) {
        static const char *const types[] = {"TEXT", "", "REAL", "INTEGER", "INTEGER", ""};
        table_column(create, cols[ncols], types[tally_build_column_kind(b, ncols)]);
    }
    sqlite3_stmt *st;
    int rc = create_table(s, create, "dataset", ncols + 1, &st, err);
    if (rc != TALLY_OK)
        return rc;
    for (size_t i = 0; i < tally_build_nrows(b) && rc == TALLY_OK; i++) {
        const struct tally_dataset_row *r = tally_build_row_at(b, i);
        int bound = sqlite3_bind_int64(st, 1, (sqlite3_int64)i + 1);
        for (size_t c = 0; c < ncols; c++) {
            char buf[24];
            const char *v = tally_build_cell(b, r, c, buf);
            int64_t n;
            char sym;
            int at = (int)c + 2;
            switch (tally_build_column_kind(b, c)) {
            case TALLY_COLUMN_CHANGE:   /* negative: -n of the count n */
                if (*v == '-' && tally_parse_count(v + 1, strlen(v + 1), NULL, &n, &sym) ==
                                     TALLY_COUNT_OK) {
                    bound |= sqlite3_bind_int64(st, at, -n);
                    break;
                }
                /* fall through */
            case TALLY_COLUMN_COUNT:
            case TALLY_COLUMN_INTEGER:
                if (tally_parse_count(v, strlen(v), NULL, &n, &sym) == TALLY_COUNT_OK)
                    bound |= sqlite3_bind_int64(st, at, n);
                else    /* a symbol: the build's text (buf, which is reused, is copied) */
                    bound |= v == buf ? bind_text(st, at, v) : bind_static(st, at, v);
                break;
            case TALLY_COLUMN_RATIO:    /* REAL, NULL when empty, a symbol ("c") as TEXT */
                if (!*v)
                    bound |= sqlite3_bind_null(st, at);
                else if (v[*v == '-'] &&
                         strspn(v + (*v == '-'), "0123456789.") == strlen(v + (*v == '-')))
                    bound |= sqlite3_bind_double(st, at, strtod(v, NULL));
                else
                    bound |= v == buf ? bind_text(st, at, v) : bind_static(st, at, v);
                break;
            case TALLY_COLUMN_BOOLEAN:
                bound |= sqlite3_bind_int(st, at, strcmp(v, "true") == 0);
                break;
            case TALLY_COLUMN_TEXT:
                bound |= v == buf ? bind_text(st, at, v) : bind_static(st, at, v);
                break;
            }
        }
        if (bound != SQLITE_OK || sqlite3_step(st) != SQLITE_DONE)
            rc = fail(s, err, "dataset");
        sqlite3_reset(st);
    }
    sqlite3_finalize(st);
    return rc;
}

/* cells: the dataset long, one row per area, period, cohort and count, with
 * the authorities behind the figure. */
static int write_cells(struct tally_sqlite *s, const struct tally_build *b,
                       struct tally_error *err)
{
    static const char *const marks[] = {NULL, "primary", "secondary"};
    const char *const *cols = tally_build_columns(b);
    sqlite3_stmt *st;
    if (exec(s, "CREATE TABLE cells (row INTEGER REFERENCES dataset(row), period_start TEXT, "
                "period_end TEXT, cohort TEXT, geographic_level TEXT, area_code TEXT, "
                "measure TEXT, value, suppressed TEXT, gave_number INTEGER, gave_symbol INTEGER, "
                "sent_nothing_accepted INTEGER, authorities_expected INTEGER)", err) ||
        sqlite3_prepare_v2(s->db, "INSERT INTO cells VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)", -1, &st,
                           NULL) != SQLITE_OK)
        return fail(s, err, "cells");
    int rc = TALLY_OK;
    size_t nm = tally_build_nmeasures(b);
    for (size_t i = 0; i < tally_build_nrows(b) && rc == TALLY_OK; i++) {
        const struct tally_dataset_row *r = tally_build_row_at(b, i);
        for (size_t m = 0; m < nm && rc == TALLY_OK; m++) {
            const char *v = r->measures[m];
            int64_t n;
            char sym;
            int bound = sqlite3_bind_int64(st, 1, (sqlite3_int64)i + 1);
            bound |= bind_static(st, 2, r->period_start);
            bound |= bind_static(st, 3, r->period_end);
            bound |= bind_static(st, 4, r->cohort);
            bound |= bind_static(st, 5, r->level);
            bound |= bind_static(st, 6, r->area_code);
            bound |= bind_static(st, 7, cols[8 + m]);
            if (tally_parse_count(v, strlen(v), NULL, &n, &sym) == TALLY_COUNT_OK)
                bound |= sqlite3_bind_int64(st, 8, n);
            else
                bound |= bind_static(st, 8, v);
            bound |= bind_static(st, 9, r->sdc[m] < 3 ? marks[r->sdc[m]] : NULL);
            bound |= sqlite3_bind_int64(st, 10, r->numbers[m]);
            bound |= sqlite3_bind_int64(st, 11, r->symbols[m]);
            bound |= sqlite3_bind_int64(st, 12, (sqlite3_int64)r->expected - r->reporting);
            bound |= sqlite3_bind_int64(st, 13, r->expected);
            if (bound != SQLITE_OK || sqlite3_step(st) != SQLITE_DONE)
                rc = fail(s, err, "cells");
            sqlite3_reset(st);
        }
    }
    sqlite3_finalize(st);
    return rc;
}

static int write_records(struct tally_sqlite *s, const struct tally_build *b,
                         const struct tally_schema *schema, const struct tally_dataset_input *files,
                         struct tally_error *err)
{
    sqlite3_str *create = table_start(s, "CREATE TABLE records (file TEXT, file_sha256 TEXT, "
                                         "line INTEGER, \"column\" INTEGER, record INTEGER, "
                                         "pointer TEXT, xpath TEXT, fate TEXT, codes TEXT");
    for (size_t f = 0; f < schema->nfields; f++)
        table_column(create, schema->fields[f].name,
                     schema->fields[f].type == TALLY_TYPE_INTEGER ? "" : "TEXT");
    sqlite3_stmt *st;
    int rc = create_table(s, create, "records", 9 + schema->nfields, &st, err);
    if (rc != TALLY_OK)
        return rc;
    for (size_t i = 0; i < tally_build_nrecords(b) && rc == TALLY_OK; i++) {
        const struct tally_build_record *r = tally_build_record_at(b, i);
        int bound = bind_text(st, 1, files[r->file].path);
        bound |= bind_text(st, 2, files[r->file].sha256);
        bound |= bind_uint(st, 3, r->loc.line, r->loc.line != 0);
        bound |= bind_uint(st, 4, r->loc.column, r->loc.column != 0);
        bound |= sqlite3_bind_int64(st, 5, (sqlite3_int64)r->index);
        bound |= bind_text(st, 6, r->path_kind == TALLY_PATH_POINTER ? r->path : NULL);
        bound |= bind_text(st, 7, r->path_kind == TALLY_PATH_XPATH ? r->path : NULL);
        bound |= bind_text(st, 8, tally_fate_name(r->fate));
        bound |= bind_text(st, 9, r->codes);
        for (size_t f = 0; f < schema->nfields; f++) {
            if (r->kinds[f] == TALLY_NUMBER)
                bound |= sqlite3_bind_int64(st, (int)f + 10, r->numbers[f]);
            else
                bound |= bind_text(st, (int)f + 10, r->values[f]);
        }
        if (bound != SQLITE_OK || sqlite3_step(st) != SQLITE_DONE)
            rc = fail(s, err, "records");
        sqlite3_reset(st);
    }
    sqlite3_finalize(st);
    return rc;
}

static int write_files(struct tally_sqlite *s, const struct tally_build *b,
                       const struct tally_dataset_input *files, size_t nfiles,
                       struct tally_error *err)
{
    sqlite3_stmt *st;
    if (exec(s, "CREATE TABLE files (path TEXT, format TEXT, sha256 TEXT, records INTEGER, "
                "errors INTEGER, warnings INTEGER, accepted INTEGER, rejected INTEGER, "
                "superseded INTEGER, duplicate INTEGER)", err) ||
        sqlite3_prepare_v2(s->db, "INSERT INTO files VALUES (?,?,?,?,?,?,?,?,?,?)", -1, &st,
                           NULL) != SQLITE_OK)
        return fail(s, err, "files");
    int rc = TALLY_OK;
    for (size_t i = 0; i < nfiles && rc == TALLY_OK; i++) {
        int bound = bind_text(st, 1, files[i].path);
        bound |= bind_text(st, 2, files[i].format);
        bound |= bind_text(st, 3, files[i].sha256);
        bound |= sqlite3_bind_int64(st, 4, (sqlite3_int64)files[i].records);
        bound |= sqlite3_bind_int64(st, 5, (sqlite3_int64)files[i].errors);
        bound |= sqlite3_bind_int64(st, 6, (sqlite3_int64)files[i].warnings);
        for (int f = 0; f < TALLY_FATE_COUNT; f++)
            bound |= sqlite3_bind_int64(st, 7 + f, (sqlite3_int64)tally_build_file_fate_count(b, i, f));
        if (bound != SQLITE_OK || sqlite3_step(st) != SQLITE_DONE)
            rc = fail(s, err, "files");
        sqlite3_reset(st);
    }
    sqlite3_finalize(st);
    return rc;
}

static int write_meta(struct tally_sqlite *s, const char *const *meta, struct tally_error *err)
{
    sqlite3_stmt *st;
    if (exec(s, "CREATE TABLE build (name TEXT PRIMARY KEY, value TEXT)", err) ||
        sqlite3_prepare_v2(s->db, "INSERT INTO build VALUES (?,?)", -1, &st, NULL) != SQLITE_OK)
        return fail(s, err, "build");
    int rc = TALLY_OK;
    for (size_t i = 0; meta && meta[i] && meta[i + 1] && rc == TALLY_OK; i += 2) {
        int bound = bind_text(st, 1, meta[i]);
        bound |= bind_text(st, 2, meta[i + 1]);
        if (bound != SQLITE_OK || sqlite3_step(st) != SQLITE_DONE)
            rc = fail(s, err, "build");
        sqlite3_reset(st);
    }
    sqlite3_finalize(st);
    return rc;
}

int tally_sqlite_finish(struct tally_sqlite *s, const struct tally_build *b,
                        const struct tally_schema *schema, const struct tally_dataset_input *files,
                        size_t nfiles, const char *const *meta, struct tally_error *err)
{
    int rc = s->failed ? fail(s, err, "diagnostics") : TALLY_OK;
    if (!rc)
        rc = write_dataset(s, b, err);
    if (!rc)
        rc = write_cells(s, b, err);
    if (!rc)
        rc = write_records(s, b, schema, files, err);
    if (!rc)
        rc = write_files(s, b, files, nfiles, err);
    if (!rc)
        rc = write_meta(s, meta, err);
    if (!rc)
        rc = exec(s, "COMMIT", err);
    sqlite3_finalize(s->diag);
    s->diag = NULL;
    if (sqlite3_close(s->db) != SQLITE_OK && !rc)
        rc = tally_error_set(err, TALLY_EIO, "dataset.sqlite: cannot close");
    s->db = NULL;
    free(s);
    return rc;
}

void tally_sqlite_close(struct tally_sqlite *s)
{
    if (!s)
        return;
    sqlite3_finalize(s->diag);
    sqlite3_close(s->db);
    free(s);
}
