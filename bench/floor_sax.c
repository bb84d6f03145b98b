/*
 * bench/floor_sax.c — the SAX2 push-parser floors: how fast libxml2's push
 * parser (what tally's XML reader is built on) goes through a file on this
 * machine, doing nothing with what it finds.
 *
 *   floor-sax [--schema XSD] FILE      prints "N elements"
 *
 * The file is read with read(2) in 64 KiB pieces and given to xmlParseChunk
 * in pieces of 32 KiB, as tally does; the parser options are tally's (no
 * network, the declared encoding ignored: these files are UTF-8). The SAX
 * handler only counts start tags. Without --schema this is the floor of any
 * reader built on the push parser. With --schema, libxml2's XSD validator is
 * plugged into the SAX stream (xmlSchemaSAXPlug): the floor of a reader that
 * checks the structure with libxml2's validator rather than natively.
 */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <libxml/parser.h>
#include <libxml/xmlschemas.h>

static unsigned long long elements;
static int errors;

static void on_start(void *ctx, const xmlChar *local, const xmlChar *prefix, const xmlChar *uri,
                     int nns, const xmlChar **ns, int nattrs, int ndefaulted,
                     const xmlChar **attrs)
{
    (void)ctx, (void)local, (void)prefix, (void)uri, (void)nns, (void)ns, (void)nattrs;
    (void)ndefaulted, (void)attrs;
    elements++;
}

static void on_error(void *ctx, xmlErrorPtr e)
{
    (void)ctx;
    if (e && e->level >= XML_ERR_ERROR)
        errors++;
}

int main(int argc, char **argv)
{
    const char *xsd = NULL, *file = NULL;
    if (argc == 2) {
        file = argv[1];
    } else if (argc == 4 && strcmp(argv[1], "--schema") == 0) {
        xsd = argv[2];
        file = argv[3];
    } else {
        fputs("usage: floor-sax [--schema XSD] FILE\n", stderr);
        return 2;
    }
    LIBXML_TEST_VERSION
    int fd = open(file, O_RDONLY);
    if (fd < 0) {
        perror(file);
        return 2;
    }
    xmlSAXHandler h;
    memset(&h, 0, sizeof h);
    h.initialized = XML_SAX2_MAGIC;
    h.startElementNs = on_start;
    h.serror = (xmlStructuredErrorFunc)on_error;
    xmlSAXHandlerPtr sax = &h;
    void *user = NULL;

    xmlSchemaPtr schema = NULL;
    xmlSchemaValidCtxtPtr vctxt = NULL;
    xmlSchemaSAXPlugPtr plug = NULL;
    if (xsd) {
        xmlSchemaParserCtxtPtr pc = xmlSchemaNewParserCtxt(xsd);
        schema = pc ? xmlSchemaParse(pc) : NULL;
        xmlSchemaFreeParserCtxt(pc);
        vctxt = schema ? xmlSchemaNewValidCtxt(schema) : NULL;
        if (!vctxt) {
            fprintf(stderr, "floor-sax: %s: cannot use this XSD\n", xsd);
            return 2;
        }
        xmlSchemaSetValidStructuredErrors(vctxt, (xmlStructuredErrorFunc)on_error, NULL);
        plug = xmlSchemaSAXPlug(vctxt, &sax, &user);
        if (!plug) {
            fprintf(stderr, "floor-sax: cannot plug the XSD into SAX\n");
            return 2;
        }
    }
    xmlParserCtxtPtr ctxt = xmlCreatePushParserCtxt(sax, user, NULL, 0, file);
    xmlCtxtUseOptions(ctxt, XML_PARSE_NONET | XML_PARSE_IGNORE_ENC);
    static char buf[65536];
    ssize_t n;
    int rc = 0;
    while (rc == 0 && (n = read(fd, buf, sizeof buf)) > 0)
        for (ssize_t o = 0; rc == 0 && o < n; o += 32768)
            rc = xmlParseChunk(ctxt, buf + o, (int)(n - o < 32768 ? n - o : 32768), 0);
    if (rc == 0)
        rc = xmlParseChunk(ctxt, NULL, 0, 1);
    int well_formed = ctxt->wellFormed;
    xmlFreeParserCtxt(ctxt);
    close(fd);
    if (plug)
        xmlSchemaSAXUnplug(plug);
    int valid = vctxt ? xmlSchemaIsValid(vctxt) : 1;
    if (vctxt)
        xmlSchemaFreeValidCtxt(vctxt);
    if (schema)
        xmlSchemaFree(schema);
    if (rc != 0 || !well_formed) {
        fprintf(stderr, "floor-sax: %s: not well-formed\n", file);
        return 1;
    }
    if (errors || valid != 1) {
        fprintf(stderr, "floor-sax: %s: not valid against %s\n", file, xsd);
        return 1;
    }
    printf("%llu elements\n", elements);
    return 0;
}
