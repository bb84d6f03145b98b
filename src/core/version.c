/*
 * version.c — the linked library's version (version.h).
 */
#include "tally/version.h"

int tally_version(void)
{
    return TALLY_VERSION_NUMBER;
}

const char *tally_version_string(void)
{
    return TALLY_VERSION_STRING;
}
