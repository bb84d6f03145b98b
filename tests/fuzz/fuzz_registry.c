/*
 * fuzz_registry.c — libFuzzer target: the authority registry loader
 * (tally_registry_load), on any bytes. A registry that loads is then looked
 * up by every code and name it holds.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct tally_error err;
    struct tally_registry *reg = tally_registry_load((const char *)data, size, &err);
    if (!reg) {
        if (strnlen(err.message, sizeof err.message) == sizeof err.message)
            abort();
        return 0;
    }
    for (size_t i = 0; i < tally_registry_count(reg); i++) {
        const struct tally_authority *a = tally_registry_at(reg, i);
        if (tally_registry_find(reg, a->code, strlen(a->code)) == NULL)
            abort();
        char buf[256];
        tally_name_normalise(a->name, strlen(a->name), buf, sizeof buf);
        (void)tally_names_match(a->name, strlen(a->name), buf, strlen(buf));
        (void)tally_authority_in_force(a, a->valid_from);
        for (size_t k = 0; k < a->nsuccessors; k++)
            (void)strlen(a->successors[k]);
    }
    tally_registry_free(reg);
    return 0;
}
