/*
 * bench/floor_xml.c — the xmlTextReader parse-only floor: how fast libxml2's
 * streaming reader walks a file on this machine, doing nothing with it.
 *
 *   floor-xml [--schema XSD] FILE      prints "NODES nodes"
 *
 * The parser options are those of tally's XML reader (no network, compact
 * text nodes); no node is looked at. Without --schema this is the floor of
 * any reader built on xmlTextReader. With --schema the reader also validates
 * against the XSD as it streams (xmlTextReaderSchemaValidate), which is the
 * floor of any reader that checks an XSD with libxml2: what the validation
 * itself costs, apart from what tally does.
 */
#include <stdio.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/xmlreader.h>

static void quiet(void *ctx, const char *msg, ...)
{
    (void)ctx;
    (void)msg;
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
        fputs("usage: floor-xml [--schema XSD] FILE\n", stderr);
        return 2;
    }
    LIBXML_TEST_VERSION
    xmlSetGenericErrorFunc(NULL, quiet);
    xmlTextReaderPtr r = xmlReaderForFile(file, NULL, XML_PARSE_NONET | XML_PARSE_COMPACT);
    if (!r) {
        fprintf(stderr, "floor-xml: %s: cannot open\n", file);
        return 2;
    }
    if (xsd && xmlTextReaderSchemaValidate(r, xsd) != 0) {
        fprintf(stderr, "floor-xml: %s: cannot use this XSD\n", xsd);
        return 2;
    }
    unsigned long long nodes = 0;
    int rc;
    while ((rc = xmlTextReaderRead(r)) == 1)
        nodes++;
    int valid = xsd ? xmlTextReaderIsValid(r) : 1;
    xmlFreeTextReader(r);
    xmlCleanupParser();
    if (rc != 0) {
        fprintf(stderr, "floor-xml: %s: not well-formed\n", file);
        return 1;
    }
    if (valid != 1) {
        fprintf(stderr, "floor-xml: %s: not valid against %s\n", file, xsd);
        return 1;
    }
    printf("%llu nodes\n", nodes);
    return 0;
}
