/*
 * fuzz_xlsx.c — libFuzzer target: the xlsx workbook reader (readers/xlsx.c over
 * readers/workbook.c: the zip, its limits, the XML), driven through the cleaner
 * and the validator with the default schema and registry (fuzz_common.c).
 */
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_read("xlsx", data, size);
    return 0;
}
