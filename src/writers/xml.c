/*
 * writers/xml.c — the XML writer: the shape of doc/return-format.md §2 (XML), valid against
 * schemas/missing-from-care.xsd.
 *
 *   <?xml version="1.0" encoding="UTF-8"?>
 *   <returns>
 *     <return>
 *       <authority>
 *         <code>E10000021</code>
 *         ...
 *       <cohort type="trafficked">
 *         <in_care>42</in_care>
 *         ...
 *
 * Element names and nesting come from the schema (its "xml" root, submission
 * and record names, each field's "xml" path), fields in the schema's order.
 * Consecutive records whose submission fields (authority, period, submitted:
 * every field outside the record element) write the same text share one
 * submission element. A field without a value is left out, so an absent
 * optional field is omitted (and reading the output back gives "absent").
 *
 * Text is UTF-8, escaped by core/xmlout.h: &, <, >, " and ' everywhere, CR
 * (and tab and LF in attributes) as character references so that parsing
 * gives them back; a byte sequence XML 1.0 cannot hold (a control character,
 * invalid UTF-8, U+FFFE, U+FFFF) becomes U+FFFD: the output is always
 * well-formed.
 */
#include <stdlib.h>
#include <string.h>

#include "core/grow.h"
#include "core/xmlout.h"
#include "writers/writers.h"

struct xml_writer {
    struct tally_writer base;
    char *buf;                  /* output not yet written: one submission part or record */
    size_t len, cap;
    bool in_submission;         /* a submission element is open */
    char **key;                 /* its submission fields' texts (NULL: absent), by field index */
    size_t *key_len;
    size_t *key_cap;
};

static int put(struct xml_writer *w, const char *s, size_t n)
{
    if (tally_grow_bytes(&w->buf, &w->cap, w->len + n, 1024) != TALLY_OK)
        return TALLY_ENOMEM;
    memcpy(w->buf + w->len, s, n);
    w->len += n;
    return TALLY_OK;
}

static int puts_(struct xml_writer *w, const char *s)
{
    return put(w, s, strlen(s));
}

static int indent(struct xml_writer *w, size_t level)
{
    static const char spaces[] = "                                ";
    size_t n = 2 * level;
    return put(w, spaces, n < sizeof spaces - 1 ? n : sizeof spaces - 1);
}

static int put_cb(void *w, const char *s, size_t n)
{
    return put(w, s, n);
}

/* s (n bytes) as XML character data or attribute text (core/xmlout.h). */
static int put_escaped(struct xml_writer *w, const char *s, size_t n, bool attribute)
{
    return tally_xml_escape(s, n, attribute, put_cb, w);
}

static int flush(struct xml_writer *w, struct tally_error *err)
{
    if (w->len && fwrite(w->buf, 1, w->len, w->base.out) != w->len)
        return tally_error_set(err, TALLY_EIO, "cannot write the XML output");
    w->len = 0;
    return TALLY_OK;
}

static bool is_attribute(const struct tally_path *p, size_t i)
{
    return p->segs[i][0] == '@';
}

/*
 * Write the fields of one scope (the submission's or the record's) below its
 * element, which is open at `level` (its attributes already written): each
 * field's element inside the containers its path names, opening and closing
 * containers as consecutive fields need them. Attributes of containers go in
 * their start tags.
 */
/* "</name>" on its own line, at an indent level. */
static int close_container(struct xml_writer *w, size_t level, const char *name)
{
    int rc = indent(w, level);
    if (rc == TALLY_OK)
        rc = puts_(w, "</");
    if (rc == TALLY_OK)
        rc = puts_(w, name);
    if (rc == TALLY_OK)
        rc = puts_(w, ">\n");
    return rc;
}

static int write_scope(struct xml_writer *w, const struct tally_record *rec, bool in_record,
                       size_t level)
{
    const struct tally_schema *s = w->base.schema;
    const struct tally_path *open = NULL;   /* the path whose containers are open */
    size_t nopen = 0;                       /* how many of its segments are open */
    int rc = TALLY_OK;
    for (size_t f = 0; rc == TALLY_OK && f < s->nfields; f++) {
        const struct tally_path *p = &s->fields[f].xml;
        if (!p->segs || !p->nsegs || p->in_record != in_record || is_attribute(p, p->nsegs - 1))
            continue;
        size_t n;
        const char *v = tally_field_output(&rec->fields[f], &n);
        if (!v)
            continue;
        size_t want = p->nsegs - 1;         /* containers this field needs */
        size_t same = 0;
        while (same < nopen && same < want && strcmp(open->segs[same], p->segs[same]) == 0)
            same++;
        while (rc == TALLY_OK && nopen > same) {
            nopen--;
            rc = close_container(w, level + 1 + nopen, open->segs[nopen]);
        }
        for (; rc == TALLY_OK && nopen < want; nopen++) {
            rc = indent(w, level + 1 + nopen);
            if (rc == TALLY_OK)
                rc = puts_(w, "<");
            if (rc == TALLY_OK)
                rc = puts_(w, p->segs[nopen]);
            /* attributes of this container: fields whose path ends "<container>/@name" */
            for (size_t a = 0; rc == TALLY_OK && a < s->nfields; a++) {
                const struct tally_path *q = &s->fields[a].xml;
                if (!q->segs || q->in_record != in_record || q->nsegs != nopen + 2 ||
                    !is_attribute(q, nopen + 1))
                    continue;
                size_t i = 0;
                while (i <= nopen && strcmp(q->segs[i], p->segs[i]) == 0)
                    i++;
                size_t an;
                const char *av = tally_field_output(&rec->fields[a], &an);
                if (i <= nopen || !av)
                    continue;
                rc = puts_(w, " ");
                if (rc == TALLY_OK)
                    rc = puts_(w, q->segs[nopen + 1] + 1);
                if (rc == TALLY_OK)
                    rc = puts_(w, "=\"");
                if (rc == TALLY_OK)
                    rc = put_escaped(w, av, an, true);
                if (rc == TALLY_OK)
                    rc = puts_(w, "\"");
            }
            if (rc == TALLY_OK)
                rc = puts_(w, ">\n");
        }
        open = p;
        const char *leaf = p->segs[p->nsegs - 1];
        if (rc == TALLY_OK)
            rc = indent(w, level + 1 + nopen);
        if (rc == TALLY_OK)
            rc = puts_(w, "<");
        if (rc == TALLY_OK)
            rc = puts_(w, leaf);
        if (rc == TALLY_OK)
            rc = puts_(w, ">");
        if (rc == TALLY_OK)
            rc = put_escaped(w, v, n, false);
        if (rc == TALLY_OK)
            rc = puts_(w, "</");
        if (rc == TALLY_OK)
            rc = puts_(w, leaf);
        if (rc == TALLY_OK)
            rc = puts_(w, ">\n");
    }
    while (rc == TALLY_OK && nopen > 0) {
        nopen--;
        rc = close_container(w, level + 1 + nopen, open->segs[nopen]);
    }
    return rc;
}

/* "<name" plus the scope's own attributes (fields whose path is "@attr"), then ">\n". */
static int start_tag(struct xml_writer *w, const struct tally_record *rec, const char *name,
                     bool in_record, size_t level)
{
    const struct tally_schema *s = w->base.schema;
    int rc = indent(w, level);
    if (rc == TALLY_OK)
        rc = puts_(w, "<");
    if (rc == TALLY_OK)
        rc = puts_(w, name);
    for (size_t f = 0; rc == TALLY_OK && f < s->nfields; f++) {
        const struct tally_path *p = &s->fields[f].xml;
        if (!p->segs || p->nsegs != 1 || p->in_record != in_record || !is_attribute(p, 0))
            continue;
        size_t n;
        const char *v = tally_field_output(&rec->fields[f], &n);
        if (!v)
            continue;
        rc = puts_(w, " ");
        if (rc == TALLY_OK)
            rc = puts_(w, p->segs[0] + 1);
        if (rc == TALLY_OK)
            rc = puts_(w, "=\"");
        if (rc == TALLY_OK)
            rc = put_escaped(w, v, n, true);
        if (rc == TALLY_OK)
            rc = puts_(w, "\"");
    }
    return rc ? rc : puts_(w, ">\n");
}

static int end_tag(struct xml_writer *w, const char *name, size_t level)
{
    int rc = indent(w, level);
    if (rc == TALLY_OK)
        rc = puts_(w, "</");
    if (rc == TALLY_OK)
        rc = puts_(w, name);
    return rc ? rc : puts_(w, ">\n");
}

/* Do rec's submission fields write what the open submission's did? */
static bool same_submission(const struct xml_writer *w, const struct tally_record *rec)
{
    const struct tally_schema *s = w->base.schema;
    for (size_t f = 0; f < s->nfields; f++) {
        if (s->fields[f].xml.in_record || !s->fields[f].xml.segs)
            continue;
        size_t n;
        const char *v = tally_field_output(&rec->fields[f], &n);
        if ((v == NULL) != (w->key[f] == NULL) || (v && (n != w->key_len[f] ||
                                                         memcmp(v, w->key[f], n) != 0)))
            return false;
    }
    return true;
}

static int remember_submission(struct xml_writer *w, const struct tally_record *rec)
{
    const struct tally_schema *s = w->base.schema;
    for (size_t f = 0; f < s->nfields; f++) {
        size_t n;
        const char *v = tally_field_output(&rec->fields[f], &n);
        if (s->fields[f].xml.in_record || !v) {
            free(w->key[f]);
            w->key[f] = NULL;
            w->key_cap[f] = 0;
            continue;
        }
        if (n + 1 > w->key_cap[f]) {
            char *k = realloc(w->key[f], n + 1);
            if (!k)
                return TALLY_ENOMEM;
            w->key[f] = k;
            w->key_cap[f] = n + 1;
        }
        memcpy(w->key[f], v, n);
        w->key[f][n] = '\0';
        w->key_len[f] = n;
    }
    return TALLY_OK;
}

static void xml_close(struct tally_writer *tw);

static int xml_open(struct tally_writer **out, FILE *fp, const struct tally_schema *schema,
                    struct tally_error *err)
{
    if (!schema->xml_root || !schema->xml_submission || !schema->xml_records)
        return tally_error_set(err, TALLY_EFORMAT, "the schema \"%s\" gives no XML shape "
                               "(\"xml\" paths), so records cannot be written as XML", schema->name);
    struct xml_writer *w = calloc(1, sizeof *w);
    if (!w)
        return tally_error_set(err, TALLY_ENOMEM, "out of memory");
    w->base.ops = &tally_xml_writer;
    w->base.out = fp;
    w->base.schema = schema;
    size_t n = schema->nfields ? schema->nfields : 1;
    w->key = calloc(n, sizeof *w->key);
    w->key_len = calloc(n, sizeof *w->key_len);
    w->key_cap = calloc(n, sizeof *w->key_cap);
    int rc = !w->key || !w->key_len || !w->key_cap ? TALLY_ENOMEM : TALLY_OK;
    if (rc == TALLY_OK)
        rc = puts_(w, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<");
    if (rc == TALLY_OK)
        rc = puts_(w, schema->xml_root);
    if (rc == TALLY_OK)
        rc = puts_(w, ">\n");
    rc = rc ? tally_error_set(err, TALLY_ENOMEM, "out of memory") : flush(w, err);
    if (rc) {
        xml_close(&w->base);
        return rc;
    }
    *out = &w->base;
    return TALLY_OK;
}

static int xml_write(struct tally_writer *tw, const struct tally_record *rec, struct tally_error *err)
{
    struct xml_writer *w = (struct xml_writer *)tw;
    const struct tally_schema *s = tw->schema;
    int rc = TALLY_OK;
    if (!w->in_submission || !same_submission(w, rec)) {
        if (w->in_submission)
            rc = end_tag(w, s->xml_submission, 1);
        if (rc == TALLY_OK)
            rc = remember_submission(w, rec);
        if (rc == TALLY_OK)
            rc = start_tag(w, rec, s->xml_submission, false, 1);
        if (rc == TALLY_OK)
            rc = write_scope(w, rec, false, 1);
        w->in_submission = rc == TALLY_OK;
    }
    if (rc == TALLY_OK)
        rc = start_tag(w, rec, s->xml_records, true, 2);
    if (rc == TALLY_OK)
        rc = write_scope(w, rec, true, 2);
    if (rc == TALLY_OK)
        rc = end_tag(w, s->xml_records, 2);
    return rc ? tally_error_set(err, TALLY_ENOMEM, "out of memory") : flush(w, err);
}

static int xml_finish(struct tally_writer *tw, struct tally_error *err)
{
    struct xml_writer *w = (struct xml_writer *)tw;
    int rc = TALLY_OK;
    if (w->in_submission)
        rc = end_tag(w, tw->schema->xml_submission, 1);
    w->in_submission = false;
    if (rc == TALLY_OK)
        rc = end_tag(w, tw->schema->xml_root, 0);
    return rc ? tally_error_set(err, TALLY_ENOMEM, "out of memory") : flush(w, err);
}

static void xml_close(struct tally_writer *tw)
{
    struct xml_writer *w = (struct xml_writer *)tw;
    if (!w)
        return;
    size_t n = tw->schema && tw->schema->nfields ? tw->schema->nfields : 1;
    for (size_t f = 0; w->key && f < n; f++)
        free(w->key[f]);
    free(w->key);
    free(w->key_len);
    free(w->key_cap);
    free(w->buf);
    free(w);
}

const struct tally_writer_ops tally_xml_writer = {
    .name = "xml",
    .extension = ".xml",
    .open = xml_open,
    .write = xml_write,
    .finish = xml_finish,
    .close = xml_close,
};
