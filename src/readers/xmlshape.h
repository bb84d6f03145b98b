/*
 * readers/xmlshape.h — the XML shape of a schema: which element may hold
 * which, in what order, how often, with which attributes (internal; the XML
 * reader's structure check).
 *
 * It is made from the table schema alone — the root and submission names of
 * its "xml" object and each field's "xml" path — in the field order:
 *
 *   returns                       root: submissions, any number (0 or more)
 *     return                      submission: its children in the order their
 *       authority                   first field comes in the schema; an element
 *         code  name                is required (min 1) when a required field is
 *       period                      in or under it; the record element is
 *         start  end                required and repeats
 *       submitted
 *       cohort  @type             record: one or more
 *         in_care ... not_found
 *
 * For schemas/missing-from-care.schema.json this is exactly the content
 * model of schemas/missing-from-care.xsd (tests/unit/check_xml.c compares
 * the two on thousands of generated documents).
 */
#ifndef TALLY_XMLSHAPE_H
#define TALLY_XMLSHAPE_H

#include <stdbool.h>
#include <stddef.h>

#include "tally/schema.h"
#include "tally/status.h"

enum tally_xs_kind {
    TALLY_XS_ROOT,          /* <returns>: submissions */
    TALLY_XS_SUBMISSION,    /* <return> */
    TALLY_XS_RECORD,        /* <cohort>: one record */
    TALLY_XS_ELEMENT        /* any other: holds elements, or a field's text */
};

struct tally_xs_attr {
    const char *name;       /* without the '@' (borrowed from the schema) */
    size_t field;           /* the field it holds */
};

struct tally_xs_node {
    enum tally_xs_kind kind;
    size_t id;              /* 0..nnodes-1 */
    const char *name;       /* the element's name (borrowed from the schema) */
    bool in_record;         /* fields in and under it are the record's */
    int field;              /* the field its text holds, or -1 (then it holds elements) */
    bool required;          /* must be there (min 1), else min 0 */
    bool repeats;           /* may come any number of times (max unbounded), else max 1 */
    size_t index;           /* its place among its parent's children */
    struct tally_xs_node **kids;    /* the elements it holds, in the order they must come */
    size_t nkids;
    struct tally_xs_attr *attrs;
    size_t nattrs;
};

struct tally_xs {
    struct tally_xs_node *root;         /* NULL when the schema names no root */
    struct tally_xs_node *submission;
    struct tally_xs_node *record;
    struct tally_xs_node **nodes;       /* every node, by id */
    size_t nnodes;
    size_t max_kids;                    /* the most children any node has */
};

/* The shape of schema s (borrowed: it must outlive xs). Fails with
 * TALLY_ESCHEMA when its paths contradict each other, TALLY_ENOMEM. */
int tally_xs_build(struct tally_xs *xs, const struct tally_schema *s, struct tally_error *err);

void tally_xs_free(struct tally_xs *xs);

#endif
