/*
 * readers/magic.c — what a file is, by its first bytes, when it is one of the
 * things people send instead of a return: a workbook, a Word document, a
 * PDF, an archive (reader.h, tally_file_kind).
 *
 * One table, checked in order. A kind with a reader (an Excel workbook, an
 * OpenDocument spreadsheet) is read by it once that reader is registered
 * (readers/registry.c); until then, and for every other kind, a file named on
 * the command line is a `format` error that says what it is and what to do,
 * and one found in a directory is listed as skipped with the same words.
 *
 * Zip-based documents are told apart by the names of the members in the
 * archive's local headers ("word/document.xml": a Word document; "xl/...": an
 * Excel workbook), or by the OpenDocument "mimetype" member, which is stored
 * first and uncompressed: both sit in the first few KiB of such a file.
 */
#include <string.h>
#include <strings.h>

#include "tally/reader.h"

enum magic {
    ZIP,        /* PK\3\4 (or an empty archive, PK\5\6) */
    OLE2,       /* D0 CF 11 E0 A1 B1 1A E1: Office 97-2003 */
    PDF,        /* %PDF- */
    GZIP        /* 1F 8B */
};

struct kind_rule {
    enum magic magic;
    const char *member;     /* ZIP: a member name starting with this, or NULL */
    const char *mimetype;   /* ZIP: the OpenDocument mimetype, or NULL */
    const char *ending;     /* a file name ending that picks this kind, or NULL */
    struct tally_file_kind kind;
};

#define SAVE_AS_CSV "save it as CSV UTF-8 and give tally the .csv file"
#define NOT_A_RETURN "tally reads returns as CSV, JSON, NDJSON or XML; put the figures in a " \
                     "spreadsheet and save it as CSV UTF-8"

static const struct kind_rule rules[] = {
    {ZIP, "xl/", NULL, NULL, {"xlsx", "xlsx", "an Excel workbook", SAVE_AS_CSV}},
    {ZIP, NULL, "application/vnd.oasis.opendocument.spreadsheet", NULL,
     {"ods", "ods", "an OpenDocument spreadsheet",
      "save it as Text CSV in UTF-8 and give tally the .csv file"}},
    {ZIP, "word/", NULL, NULL, {"docx", NULL, "a Word document", NOT_A_RETURN}},
    {ZIP, NULL, "application/vnd.oasis.opendocument.text", NULL,
     {"odt", NULL, "an OpenDocument text document", NOT_A_RETURN}},
    {ZIP, "ppt/", NULL, NULL, {"pptx", NULL, "a PowerPoint presentation", NOT_A_RETURN}},
    {ZIP, NULL, NULL, NULL,
     {"zip", NULL, "a zip archive", "unzip it and give tally the returns inside"}},
    {OLE2, NULL, NULL, ".doc", {"doc", NULL, "a Word 97-2003 document", NOT_A_RETURN}},
    {OLE2, NULL, NULL, NULL, {"xls", NULL, "an Excel 97-2003 workbook", SAVE_AS_CSV}},
    {PDF, NULL, NULL, NULL,
     {"pdf", NULL, "a PDF document",
      "tally cannot take figures from a PDF; ask for the return as CSV, JSON, NDJSON or XML"}},
    {GZIP, NULL, NULL, NULL,
     {"gzip", NULL, "a gzip-compressed file", "decompress it (gunzip) and give tally the return inside"}},
};

static unsigned le16(const unsigned char *p)
{
    return (unsigned)p[0] | (unsigned)p[1] << 8;
}

static bool has_magic(enum magic m, const unsigned char *b, size_t n)
{
    switch (m) {
    case ZIP:
        return n >= 4 && b[0] == 'P' && b[1] == 'K' &&
               ((b[2] == 3 && b[3] == 4) || (b[2] == 5 && b[3] == 6));
    case OLE2:
        return n >= 8 && memcmp(b, "\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1", 8) == 0;
    case PDF:
        return n >= 5 && memcmp(b, "%PDF-", 5) == 0;
    case GZIP:
        return n >= 2 && b[0] == 0x1F && b[1] == 0x8B;
    }
    return false;
}

/* Does a local header in b[0..n) name a member starting with prefix, or (mimetype)
 * is the "mimetype" member, stored, exactly that text? */
static bool zip_has(const unsigned char *b, size_t n, const char *prefix, const char *mimetype)
{
    size_t plen = prefix ? strlen(prefix) : 0, mlen = mimetype ? strlen(mimetype) : 0;
    for (size_t i = 0; i + 30 <= n; i++) {
        if (b[i] != 'P' || b[i + 1] != 'K' || b[i + 2] != 3 || b[i + 3] != 4)
            continue;
        size_t name_len = le16(b + i + 26), extra_len = le16(b + i + 28);
        const unsigned char *name = b + i + 30;
        if (i + 30 + name_len > n)
            break;
        if (prefix && name_len >= plen && memcmp(name, prefix, plen) == 0)
            return true;
        if (mimetype && name_len == 8 && memcmp(name, "mimetype", 8) == 0 &&
            le16(b + i + 8) == 0 /* stored */ && i + 30 + name_len + extra_len + mlen <= n &&
            memcmp(name + name_len + extra_len, mimetype, mlen) == 0)
            return true;
    }
    return false;
}

static bool ends_with(const char *path, const char *ending)
{
    size_t n = path ? strlen(path) : 0, k = strlen(ending);
    return n > k && strcasecmp(path + n - k, ending) == 0;
}

const struct tally_file_kind *tally_file_kind(const unsigned char *buf, size_t len,
                                              const char *path)
{
    for (size_t i = 0; i < sizeof rules / sizeof rules[0]; i++) {
        const struct kind_rule *r = &rules[i];
        if (!has_magic(r->magic, buf, len))
            continue;
        if ((r->member || r->mimetype) && !zip_has(buf, len, r->member, r->mimetype))
            continue;
        if (r->ending && !ends_with(path, r->ending))
            continue;
        return &r->kind;
    }
    return NULL;
}

size_t tally_file_kind_bytes(const unsigned char *buf, size_t len)
{
    return has_magic(ZIP, buf, len) ? TALLY_FILE_KIND_ZIP_BYTES : TALLY_FILE_KIND_BYTES;
}

bool tally_file_kind_reader(const char *reader)
{
    for (size_t i = 0; i < sizeof rules / sizeof rules[0]; i++)
        if (rules[i].kind.reader && strcmp(rules[i].kind.reader, reader) == 0)
            return true;
    return false;
}
