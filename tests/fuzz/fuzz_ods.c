/*
 * fuzz_ods.c — libFuzzer target: the ods workbook reader (readers/ods.c over
 * readers/workbook.c: the zip, its limits, the XML), driven through the cleaner
 * and the validator with the default schema and registry (fuzz_common.c).
 */
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_read("ods", data, size);
    return 0;
}
