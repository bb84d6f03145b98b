/*
 * areas.h — names of the areas above authorities: English regions (E12),
 * nations and the UK (internal; from schemas/areas.csv, compiled in).
 */
#ifndef TALLY_AREAS_H
#define TALLY_AREAS_H

#include "tally/status.h"

#define TALLY_UK_CODE "K02000001"

struct tally_areas;

/* Load the compiled-in areas. NULL with err on failure. */
struct tally_areas *tally_areas_load_default(struct tally_error *err);

/* The name of an area code, or NULL when unknown. Borrowed. */
const char *tally_area_name(const struct tally_areas *areas, const char *code);

void tally_areas_free(struct tally_areas *areas);

#endif
