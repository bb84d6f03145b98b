/*
 * readers/xml.h — the XML reader's knobs for tests (internal). The reader
 * itself is tally_xml_reader (readers.h).
 */
#ifndef TALLY_READERS_XML_H
#define TALLY_READERS_XML_H

#include <stddef.h>
#include <stdint.h>

#include "tally/reader.h"

/*
 * Open the XML reader giving libxml2 pieces of `piece` bytes of text (0: the
 * usual size) or, with seed nonzero, of random sizes from 1 to piece, so
 * tests can split every tag and character at every place.
 */
int tally_xml_open_with(struct tally_reader **out, struct tally_input *in,
                        const struct tally_reader_config *cfg, size_t piece, unsigned seed,
                        struct tally_error *err);

/* How many positions the reader could not find by looking back in libxml2's
 * text and took from its locator instead (the tests require none). */
uint64_t tally_xml_position_fallbacks(const struct tally_reader *r);

#endif
