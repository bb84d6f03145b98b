/*
 * readers/registry.c — the table of readers, and choosing one for a file:
 * by its first bytes when they say it is a workbook, a document or an archive
 * (readers/magic.c), else by --format name, by file name ending, or by the
 * first bytes of text.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "readers/readers.h"

static const struct tally_reader_ops *const readers[] = {
    &tally_csv_reader,
    &tally_json_reader,
    &tally_ndjson_reader,
    &tally_xml_reader,
    &tally_xlsx_reader,
    &tally_ods_reader,
    NULL,
};

const struct tally_reader_ops *const *tally_readers(void)
{
    return readers;
}

const struct tally_reader_ops *tally_reader_find(const char *name)
{
    for (size_t i = 0; readers[i]; i++)
        if (strcmp(readers[i]->name, name) == 0)
            return readers[i];
    return NULL;
}

const struct tally_reader_ops *tally_reader_for_path(const char *path)
{
    size_t n = strlen(path);
    for (size_t i = 0; readers[i]; i++)
        for (const char *const *e = readers[i]->extensions; *e; e++) {
            size_t k = strlen(*e);
            if (n > k && strcasecmp(path + n - k, *e) == 0)
                return readers[i];
        }
    return NULL;
}

int tally_reader_sniff(struct tally_input *in, const struct tally_reader_ops **ops,
                       struct tally_error *err)
{
    int rc = tally_input_want(in, 512, err);
    if (rc)
        return rc;
    const unsigned char *p = in->buf + in->pos, *end = in->buf + in->len;
    if (end - p >= 3 && p[0] == 0xEF && p[1] == 0xBB && p[2] == 0xBF)
        p += 3;
    while (p < end && (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n'))
        p++;
    const char *name = "csv";
    if (p < end && *p == '<')
        name = "xml";
    else if (p < end && (*p == '{' || *p == '['))
        name = "json";
    *ops = tally_reader_find(name);
    if (!*ops)
        return tally_error_set(err, TALLY_EFORMAT, "\"%s\" looks like %s, which this build of "
                               "tally cannot read yet", in->name, name);
    return TALLY_OK;
}

int tally_reader_choose(struct tally_input *in, const char *path, const char *format,
                        const struct tally_reader_ops **ops, const struct tally_file_kind **kind,
                        struct tally_error *err)
{
    *ops = NULL;
    *kind = NULL;
    int rc = tally_input_want(in, TALLY_FILE_KIND_BYTES, err);
    size_t need = rc ? 0 : tally_file_kind_bytes(in->buf + in->pos, in->len - in->pos);
    if (!rc && need > TALLY_FILE_KIND_BYTES)
        rc = tally_input_want(in, need, err);
    if (rc)
        return rc;
    const struct tally_file_kind *k = tally_file_kind(in->buf + in->pos, in->len - in->pos, path);
    const struct tally_reader_ops *named = format ? tally_reader_find(format)
                                                  : tally_reader_for_path(path);
    if (format && !named)
        return tally_error_set(err, TALLY_EFORMAT, "unknown format \"%s\"", format);
    if (k) {
        /* The kind's reader; else a workbook reader the name (or --format)
         * asks for, which tells a damaged or locked workbook best; never a
         * reader of text. */
        if (!(k->reader && (*ops = tally_reader_find(k->reader))) &&
            !(named && tally_file_kind_reader(named->name) && (*ops = named)))
            *kind = k;
        return TALLY_OK;
    }
    if (!(*ops = named))
        return tally_reader_sniff(in, ops, err);
    return TALLY_OK;
}

char *tally_reader_endings(void)
{
    size_t n = 0, bytes = 1;
    for (size_t i = 0; readers[i]; i++)
        for (const char *const *e = readers[i]->extensions; *e; e++, n++)
            bytes += strlen(*e) + strlen(" and ");     /* at most this between two */
    char *buf = malloc(bytes);
    if (!buf)
        return NULL;
    size_t o = 0, k = 0;
    buf[0] = '\0';
    for (size_t i = 0; readers[i]; i++)
        for (const char *const *e = readers[i]->extensions; *e; e++, k++)
            o += (size_t)snprintf(buf + o, bytes - o, "%s%s",
                                  k == 0 ? "" : k + 1 == n ? " and " : ", ", *e);
    return buf;
}
