/*
 * fuzz_csv.c — libFuzzer target: the csv reader, driven through the cleaner and
 * the validator with the default schema and registry (fuzz_common.c).
 */
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_read("csv", data, size);
    return 0;
}
