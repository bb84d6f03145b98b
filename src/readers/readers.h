/*
 * readers/readers.h — the reader implementations (internal). Each format
 * file defines one of these; registry.c lists them.
 */
#ifndef TALLY_READERS_H
#define TALLY_READERS_H

#include "tally/reader.h"

extern const struct tally_reader_ops tally_csv_reader;
extern const struct tally_reader_ops tally_json_reader;
extern const struct tally_reader_ops tally_ndjson_reader;
extern const struct tally_reader_ops tally_xml_reader;
extern const struct tally_reader_ops tally_xlsx_reader;
extern const struct tally_reader_ops tally_ods_reader;

/* libxml2's own start-up (xmlInitParser), once for the process: every reader
 * that uses libxml2 calls this before it does, since two threads must not
 * run that start-up at the same time. */
void tally_libxml2_init(void);

#endif
