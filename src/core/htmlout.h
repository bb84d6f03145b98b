/*
 * htmlout.h — writing text into HTML to a FILE (internal; the HTML report
 * uses it). Output is valid UTF-8 that is safe both as element content and
 * inside a double- or single-quoted attribute value.
 */
#ifndef TALLY_HTMLOUT_H
#define TALLY_HTMLOUT_H

#include <stddef.h>
#include <stdio.h>

/*
 * s[0..len) escaped for HTML: & < > " ' become character references; bytes
 * that are not valid UTF-8, and control characters other than tab, line feed
 * and carriage return (C0, DEL, C1), become U+FFFD, one per offending byte
 * (per code point for C1 controls). Everything else is copied as is.
 */
void tally_html_string(FILE *out, const char *s, size_t len);

/* A NUL-terminated string; nothing when s is NULL. */
void tally_html_cstring(FILE *out, const char *s);

#endif
