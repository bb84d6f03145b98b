/*
 * fuzz_xml.c — libFuzzer target: the xml reader, driven through the cleaner and
 * the validator with the default schema and registry (fuzz_common.c).
 */
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_read("xml", data, size);
    return 0;
}
