/*
 * readers/xmlenc.h — an XML file's bytes as UTF-8 text, in the encoding the
 * file declares (internal; the XML reader's first stage).
 *
 * The encoding is taken from a byte order mark or the XML declaration, as
 * XML 1.0 (section 4.3.3 and appendix F) says, and the bytes are decoded
 * with iconv (UTF-8 is checked here, without iconv). What comes out is UTF-8
 * with every line break as one LF (XML 1.0 section 2.11: CR LF and a lone CR
 * are read as LF), no byte order mark and no NUL. Bytes that are not valid in
 * the encoding stop the text, with the byte offset of the first bad byte.
 *
 *   struct tally_xmlenc e;
 *   tally_xmlenc_init(&e);
 *   while (tally_xmlenc_read(&e, in, buf, sizeof buf, &n, &err) == TALLY_OK && n)
 *       ...n bytes of UTF-8 in buf...
 *   e.stop: why the text ended early (NULL at the end of the file)
 *   tally_xmlenc_fini(&e);
 */
#ifndef TALLY_XMLENC_H
#define TALLY_XMLENC_H

#include <iconv.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tally/input.h"
#include "tally/status.h"

#define TALLY_XMLENC_SNIFF 4096   /* the XML declaration must end within this many bytes */

struct tally_xmlenc {
    bool sniffed;           /* the encoding is known */
    char name[64];          /* the encoding read: as declared, or "UTF-8", "UTF-16LE", ... */
    bool declared;          /* the XML declaration names an encoding */
    iconv_t cd;             /* to UTF-8; (iconv_t)-1: the file is UTF-8, checked here */
    iconv_t probe;          /* a second one, to find the byte a NUL came from */
    bool cr;                /* the last character given out was a CR (given as LF) */
    bool end;               /* the whole file has been given out */
    /* Why the text stopped before the end of the file: a bad byte (code
     * "encoding"), or NULL. offset: the file offset of the first bad byte. */
    const char *stop;
    uint64_t stop_offset;
    char stop_msg[256];
};

void tally_xmlenc_init(struct tally_xmlenc *e);

/*
 * Up to cap bytes (cap >= 64) of UTF-8 text into out; *n the count. 0 bytes
 * with e->end or e->stop set: nothing more. Text before a bad byte is given
 * out first; the next call then gives 0 bytes with e->stop set. Fails only
 * when the file cannot be read (TALLY_EIO) or memory runs out.
 */
int tally_xmlenc_read(struct tally_xmlenc *e, struct tally_input *in, char *out, size_t cap,
                      size_t *n, struct tally_error *err);

void tally_xmlenc_fini(struct tally_xmlenc *e);

/*
 * The encoding declared by an XML declaration at the start of text (ASCII,
 * n bytes), copied into name (size bytes); *end: the offset just past its
 * value's closing quote. Returns 1 when one is declared, 0 when there is no
 * declaration or it declares none (or is malformed: libxml2 then reports
 * it), -1 when a declaration starts but does not end within n.
 */
int tally_xmlenc_declared(const char *text, size_t n, char *name, size_t size, size_t *end);

#endif
