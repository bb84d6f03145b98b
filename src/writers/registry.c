/*
 * writers/registry.c — the table of writers, looked up by --to name.
 */
#include <string.h>

#include "writers/writers.h"

static const struct tally_writer_ops *const writers[] = {
    &tally_csv_writer,
    &tally_json_writer,
    &tally_ndjson_writer,
    &tally_xml_writer,
    NULL,
};

const struct tally_writer_ops *const *tally_writers(void)
{
    return writers;
}

const struct tally_writer_ops *tally_writer_find(const char *name)
{
    for (size_t i = 0; writers[i]; i++)
        if (strcmp(writers[i]->name, name) == 0)
            return writers[i];
    return NULL;
}
