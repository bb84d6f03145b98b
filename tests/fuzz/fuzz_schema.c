/*
 * fuzz_schema.c — libFuzzer target: the schema loader (tally_schema_load),
 * on any bytes. A schema that loads is then exported both ways, which walks
 * every part of it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct tally_error err;
    struct tally_schema *s = tally_schema_load((const char *)data, size, &err);
    if (!s) {
        if (strnlen(err.message, sizeof err.message) == sizeof err.message)
            abort();
        return 0;
    }
    FILE *null = fopen("/dev/null", "w");
    if (null) {
        tally_schema_export_table_schema(s, null, &err);
        tally_schema_export_json_schema(s, null, &err);
        fclose(null);
    }
    for (size_t i = 0; i < s->nfields; i++)
        if (tally_schema_field_index(s, s->fields[i].name, strlen(s->fields[i].name)) < 0)
            abort();
    tally_schema_free(s);
    return 0;
}
