/*
 * readers/xmlshape.c — the XML shape of a schema; see xmlshape.h.
 */
#include <stdlib.h>
#include <string.h>

#include "core/grow.h"
#include "readers/xmlshape.h"

static struct tally_xs_node *new_node(struct tally_xs *xs, enum tally_xs_kind kind,
                                      const char *name, bool in_record)
{
    struct tally_xs_node *n = calloc(1, sizeof *n);
    if (!n)
        return NULL;
    struct tally_xs_node **nodes = realloc(xs->nodes, (xs->nnodes + 1) * sizeof *nodes);
    if (!nodes) {
        free(n);
        return NULL;
    }
    xs->nodes = nodes;
    n->kind = kind;
    n->id = xs->nnodes;
    n->name = name;
    n->in_record = in_record;
    n->field = -1;
    xs->nodes[xs->nnodes++] = n;
    return n;
}

static bool add_kid(struct tally_xs_node *parent, struct tally_xs_node *kid)
{
    struct tally_xs_node **kids = realloc(parent->kids, (parent->nkids + 1) * sizeof *kids);
    if (!kids)
        return false;
    parent->kids = kids;
    kid->index = parent->nkids;
    parent->kids[parent->nkids++] = kid;
    return true;
}

static struct tally_xs_node *kid_named(const struct tally_xs_node *parent, const char *name)
{
    for (size_t i = 0; i < parent->nkids; i++)
        if (strcmp(parent->kids[i]->name, name) == 0)
            return parent->kids[i];
    return NULL;
}

/* Place field f of s under scope; its elements become required when it is. */
static int place(struct tally_xs *xs, struct tally_xs_node *scope, const struct tally_schema *s,
                 size_t f, struct tally_error *err)
{
    const struct tally_field_def *def = &s->fields[f];
    const struct tally_path *p = &def->xml;
    struct tally_xs_node *node = scope;
    for (size_t i = 0; i < p->nsegs; i++) {
        const char *seg = p->segs[i];
        if (seg[0] == '@') {    /* the schema loader allows '@' only last */
            for (size_t k = 0; k < node->nattrs; k++)
                if (strcmp(node->attrs[k].name, seg + 1) == 0)
                    return tally_error_set(err, TALLY_ESCHEMA, "fields %s and %s have the same "
                                           "XML place \"%s\"", s->fields[node->attrs[k].field].name,
                                           def->name, def->xml_path);
            struct tally_xs_attr *attrs = realloc(node->attrs, (node->nattrs + 1) * sizeof *attrs);
            if (!attrs)
                return tally_error_set(err, TALLY_ENOMEM, "out of memory");
            node->attrs = attrs;
            node->attrs[node->nattrs++] = (struct tally_xs_attr){seg + 1, f};
            return TALLY_OK;
        }
        struct tally_xs_node *kid = kid_named(node, seg);
        if (!kid) {
            if (node == xs->submission && s->xml_records && strcmp(seg, s->xml_records) == 0)
                return tally_error_set(err, TALLY_ESCHEMA, "field %s: its XML place \"%s\" is "
                                       "the record element's name", def->name, def->xml_path);
            kid = new_node(xs, TALLY_XS_ELEMENT, seg, node->in_record);
            if (!kid || !add_kid(node, kid))
                return tally_error_set(err, TALLY_ENOMEM, "out of memory");
        }
        if (def->required)
            kid->required = true;
        if (i + 1 == p->nsegs) {
            if (kid->field >= 0 || kid->nkids)
                return tally_error_set(err, TALLY_ESCHEMA, "field %s: its XML place \"%s\" is "
                                       "taken by another field", def->name, def->xml_path);
            kid->field = (int)f;
        } else if (kid->field >= 0 && p->segs[i + 1][0] != '@') {
            return tally_error_set(err, TALLY_ESCHEMA, "field %s: its XML place \"%s\" is inside "
                                   "field %s's element", def->name, def->xml_path,
                                   s->fields[kid->field].name);
        }
        node = kid;
    }
    return TALLY_OK;
}

int tally_xs_build(struct tally_xs *xs, const struct tally_schema *s, struct tally_error *err)
{
    memset(xs, 0, sizeof *xs);
    int rc = TALLY_ENOMEM;
    if (!s->xml_submission || !s->xml_records) {
        rc = tally_error_set(err, TALLY_EFORMAT, "the schema \"%s\" gives no XML shape (\"xml\" "
                             "paths), so XML returns cannot be read", s->name);
        goto fail;
    }
    if (s->xml_root) {
        if (!(xs->root = new_node(xs, TALLY_XS_ROOT, s->xml_root, false)))
            goto nomem;
    }
    if (!(xs->submission = new_node(xs, TALLY_XS_SUBMISSION, s->xml_submission, false)) ||
        !(xs->record = new_node(xs, TALLY_XS_RECORD, s->xml_records, true)))
        goto nomem;
    xs->submission->repeats = true;
    xs->record->required = xs->record->repeats = true;
    if (xs->root && !add_kid(xs->root, xs->submission))
        goto nomem;
    for (size_t f = 0; f < s->nfields; f++) {
        const struct tally_path *p = &s->fields[f].xml;
        if (!p->segs || !p->nsegs)
            continue;
        struct tally_xs_node *scope = p->in_record ? xs->record : xs->submission;
        if (p->in_record && !kid_named(xs->submission, xs->record->name) &&
            !add_kid(xs->submission, xs->record))
            goto nomem;
        if ((rc = place(xs, scope, s, f, err)) != TALLY_OK)
            goto fail;
    }
    if (!kid_named(xs->submission, xs->record->name)) {
        rc = tally_error_set(err, TALLY_EFORMAT, "the schema \"%s\" places no field in its XML "
                             "record element <%s>", s->name, s->xml_records);
        goto fail;
    }
    for (size_t i = 0; i < xs->nnodes; i++)
        if (xs->nodes[i]->nkids > xs->max_kids)
            xs->max_kids = xs->nodes[i]->nkids;
    return TALLY_OK;
nomem:
    rc = tally_error_set(err, TALLY_ENOMEM, "out of memory");
fail:
    tally_xs_free(xs);
    return rc;
}

void tally_xs_free(struct tally_xs *xs)
{
    for (size_t i = 0; i < xs->nnodes; i++) {
        free(xs->nodes[i]->kids);
        free(xs->nodes[i]->attrs);
        free(xs->nodes[i]);
    }
    free(xs->nodes);
    memset(xs, 0, sizeof *xs);
}
