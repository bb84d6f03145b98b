/*
 * writers/writers.h — the writer implementations (internal). Each format
 * file defines one of these; registry.c lists them.
 */
#ifndef TALLY_WRITERS_H
#define TALLY_WRITERS_H

#include "tally/writer.h"

extern const struct tally_writer_ops tally_csv_writer;
extern const struct tally_writer_ops tally_json_writer;
extern const struct tally_writer_ops tally_ndjson_writer;
extern const struct tally_writer_ops tally_xml_writer;

#endif
