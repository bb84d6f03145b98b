/*
 * fuzz_ndjson.c — libFuzzer target: the ndjson reader, driven through the cleaner and
 * the validator with the default schema and registry (fuzz_common.c).
 */
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_read("ndjson", data, size);
    return 0;
}
