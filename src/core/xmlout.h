/*
 * xmlout.h — escaping text for XML 1.0 (internal; the XML writer, the
 * dataset's XML and the JUnit report share it, so every XML tally writes
 * follows one rule set).
 *
 * The rules: & < > " ' become &amp; &lt; &gt; &quot; &apos; everywhere, so
 * the text is safe as element content and inside a double- or single-quoted
 * attribute value. CR is always written &#13; (a parser turns a literal CR,
 * or CR LF, into LF: XML 1.0 §2.11). In an attribute, tab and LF are written
 * &#9; and &#10; too (attribute-value normalisation would turn them into
 * spaces: §3.3.3). A byte sequence that is not an XML 1.0 Char (§2.2) — a C0
 * control other than tab, LF and CR, invalid UTF-8 (overlong, surrogate,
 * truncated, beyond U+10FFFF), U+FFFE or U+FFFF — becomes U+FFFD, one per
 * offending sequence or byte: the output is always well-formed UTF-8 XML.
 * Everything else is copied as is.
 */
#ifndef TALLY_XMLOUT_H
#define TALLY_XMLOUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/* Where escaped text goes: put writes s[0..n) and returns 0, or an error
 * status that stops the escaping and is returned. */
typedef int tally_xml_put_fn(void *ctx, const char *s, size_t n);

/* s[0..len) escaped as above, as an attribute value when attribute (else
 * element content), handed to put in runs. */
int tally_xml_escape(const char *s, size_t len, bool attribute, tally_xml_put_fn *put, void *ctx);

/* The same to a FILE (write errors show on ferror); nothing when s is NULL. */
void tally_xml_cstring(FILE *out, const char *s, bool attribute);

#endif
