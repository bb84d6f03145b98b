/*
 * population.h — the --population file: children per area and year
 * (internal; build.c gives rates per 10,000 from it; tally_build_load_population
 * in tally/build.h says what is read and what is an error).
 */
#ifndef TALLY_POPULATION_H
#define TALLY_POPULATION_H

#include <stddef.h>
#include <stdint.h>

#include "core/areas.h"
#include "tally/diag.h"
#include "tally/registry.h"
#include "tally/status.h"

struct tally_population;

/*
 * Read the CSV text (path names it in diagnostics; copied): each row that
 * cannot be used is an error to sink at its line and column, with its value
 * whole. A code must be one of reg or areas (both borrowed for the call).
 * On TALLY_OK, *out is the table (free with tally_population_free); fails
 * (TALLY_EINVAL with err) when the text is not UTF-8, is empty, or has no
 * header naming the three columns, or with TALLY_ENOMEM.
 */
int tally_population_load(const char *path, const char *text, size_t len,
                          const struct tally_registry *reg, const struct tally_areas *areas,
                          const struct tally_diag_sink *sink, struct tally_population **out,
                          struct tally_error *err);

/* An area's children in a year, or 0 when the file has none. */
int64_t tally_population_of(const struct tally_population *pop, const char *area, int64_t year);

/* The file's name, as given. Borrowed. */
const char *tally_population_file(const struct tally_population *pop);

void tally_population_free(struct tally_population *pop);

#endif
