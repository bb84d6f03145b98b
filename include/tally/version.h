/*
 * version.h — which tally this is.
 *
 * The macros say which version a program was compiled against; the functions
 * say which library it is linked with. A program that cares compares them:
 *
 *     if (tally_version() / 100 != TALLY_VERSION_NUMBER / 100)
 *         ... compiled against one minor version, linked with another ...
 *
 * This file is the only place the version is written: the CLI (`tally
 * --version`), the reports that name their tool (SARIF), the build's manifest
 * and the pkg-config file (`make install`) all take it from here.
 */
#ifndef TALLY_VERSION_H
#define TALLY_VERSION_H

#ifdef __cplusplus
extern "C" {
#endif

#define TALLY_VERSION_MAJOR 0
#define TALLY_VERSION_MINOR 1
#define TALLY_VERSION_PATCH 0
#define TALLY_VERSION_STR_(x) #x
#define TALLY_VERSION_XSTR_(x) TALLY_VERSION_STR_(x)
#define TALLY_VERSION_STRING TALLY_VERSION_XSTR_(TALLY_VERSION_MAJOR) "." \
    TALLY_VERSION_XSTR_(TALLY_VERSION_MINOR) "." TALLY_VERSION_XSTR_(TALLY_VERSION_PATCH)

/* MAJOR * 10000 + MINOR * 100 + PATCH: 0.1.0 is 100. */
#define TALLY_VERSION_NUMBER \
    (TALLY_VERSION_MAJOR * 10000 + TALLY_VERSION_MINOR * 100 + TALLY_VERSION_PATCH)

/* The linked library's TALLY_VERSION_NUMBER. */
int tally_version(void);

/* The linked library's TALLY_VERSION_STRING ("0.1.0"); static. */
const char *tally_version_string(void);

#ifdef __cplusplus
}
#endif

#endif
