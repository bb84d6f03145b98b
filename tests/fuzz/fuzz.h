/*
 * fuzz.h — what the libFuzzer targets in tests/fuzz/ share.
 *
 * Each target is one small file defining LLVMFuzzerTestOneInput; this header
 * and fuzz_common.c give them the default schema and registry (loaded once)
 * and a driver that runs a whole input through reader → cleaner → validator.
 * `make fuzz` builds every target into build/fuzz/ and runs each one.
 */
#ifndef TALLY_FUZZ_H
#define TALLY_FUZZ_H

#include <stddef.h>
#include <stdint.h>

#include "tally/registry.h"
#include "tally/schema.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The default schema and registry, loaded on first use; never freed. */
const struct tally_schema *fuzz_schema(void);
const struct tally_registry *fuzz_registry(void);

/*
 * Write data to an in-memory file and read it with the reader called
 * `reader` ("csv", "json", ...), cleaning and validating every record, the
 * way `tally validate --clean` does; then again without cleaning. Touches
 * every byte a record or diagnostic hands out, so ASan sees any bad pointer.
 */
void fuzz_read(const char *reader, const uint8_t *data, size_t size);

#endif
