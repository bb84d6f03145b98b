/*
 * readers/xmlenc.c — an XML file's bytes as UTF-8 text; see xmlenc.h.
 *
 * Why here and not in libxml2: libxml2 2.9 decodes other encodings itself,
 * but reports bytes it cannot convert to the process-wide error handler
 * (which prints to stderr) rather than to the parser's own, and gives no
 * byte offset. So the reader decodes first and hands libxml2 UTF-8, with the
 * declared encoding ignored (XML_PARSE_IGNORE_ENC): libxml2 still parses the
 * declaration, and reports it when malformed.
 *
 * How the encoding is found (XML 1.0 appendix F): the first four bytes give
 * a byte order mark or the family the XML declaration is written in (UTF-8
 * and the 8-bit encodings, UTF-16, UTF-32, EBCDIC); the declaration, read in
 * that family, names the encoding. A byte order mark and a declaration that
 * disagree are an error, not a guess: UTF-8 bytes read as ISO-8859-1 (or the
 * reverse) give other letters, and nothing in the file says which is meant.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "core/utf8.h"
#include "readers/xmlenc.h"

#define NO_ICONV ((iconv_t)-1)

void tally_xmlenc_init(struct tally_xmlenc *e)
{
    memset(e, 0, sizeof *e);
    e->cd = e->probe = NO_ICONV;
}

void tally_xmlenc_fini(struct tally_xmlenc *e)
{
    if (e->cd != NO_ICONV)
        iconv_close(e->cd);
    if (e->probe != NO_ICONV)
        iconv_close(e->probe);
    e->cd = e->probe = NO_ICONV;
}

static void stop(struct tally_xmlenc *e, uint64_t offset, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void stop(struct tally_xmlenc *e, uint64_t offset, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e->stop_msg, sizeof e->stop_msg, fmt, ap);
    va_end(ap);
    e->stop = "encoding";
    e->stop_offset = offset;
}

/* ---- the XML declaration ------------------------------------------------------- */

static bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Past S? at *i; false when the text ends first. */
static bool skip_space(const char *t, size_t n, size_t *i)
{
    while (*i < n && is_space(t[*i]))
        (*i)++;
    return *i < n;
}

/*
 * At *i: S name S? '=' S? quoted-value. The value's bounds into *v, *vn.
 * Returns 1 when it is there, 0 when the text there is something else, -1
 * when the text ends first.
 */
static int attribute(const char *t, size_t n, size_t *i, const char *name, size_t *v, size_t *vn)
{
    size_t j = *i, k = strlen(name);
    if (!skip_space(t, n, &j))
        return -1;
    if (j == *i)
        return 0;       /* S is required before each pseudo-attribute */
    if (n - j < k)
        return strncmp(t + j, name, n - j) == 0 ? -1 : 0;
    if (memcmp(t + j, name, k) != 0)
        return 0;
    j += k;
    if (!skip_space(t, n, &j))
        return -1;
    if (t[j] != '=')
        return 0;
    j++;
    if (!skip_space(t, n, &j))
        return -1;
    char q = t[j];
    if (q != '"' && q != '\'')
        return 0;
    const char *end = memchr(t + j + 1, q, n - j - 1);
    if (!end)
        return -1;
    *v = j + 1;
    *vn = (size_t)(end - (t + j + 1));
    *i = (size_t)(end - t) + 1;
    return 1;
}

int tally_xmlenc_declared(const char *t, size_t n, char *name, size_t size, size_t *end)
{
    static const char open[] = "<?xml";
    name[0] = '\0';
    if (n < sizeof open) /* "<?xml" and one more character */
        return n >= 1 && strncmp(t, open, n) == 0 ? -1 : 0;
    if (memcmp(t, open, 5) != 0 || !is_space(t[5]))
        return 0;
    size_t i = 5, v, vn;
    int r = attribute(t, n, &i, "version", &v, &vn);
    if (r <= 0)
        return r;
    r = attribute(t, n, &i, "encoding", &v, &vn);
    if (r < 0)
        return -1;
    if (r == 0) {
        /* No encoding: the declaration must still end, or libxml2 reports it. */
        return memchr(t + i, '>', n - i) ? 0 : -1;
    }
    /* EncName ::= [A-Za-z] ([A-Za-z0-9._] | '-')* */
    bool ok = vn > 0 && vn < size &&
              ((t[v] >= 'A' && t[v] <= 'Z') || (t[v] >= 'a' && t[v] <= 'z'));
    for (size_t k = 1; ok && k < vn; k++) {
        char c = t[v + k];
        ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
             c == '.' || c == '_' || c == '-';
    }
    if (!ok)
        return 0;       /* not an encoding name: libxml2 reports the declaration */
    memcpy(name, t + v, vn);
    name[vn] = '\0';
    *end = i;
    return 1;
}

/* ---- choosing the encoding --------------------------------------------------- */

static bool named(const char *name, const char *const *names)
{
    for (; *names; names++)
        if (strcasecmp(name, *names) == 0)
            return true;
    return false;
}

static const char *const utf8_names[] = {"UTF-8", "UTF8", NULL};
static const char *const wide_names[] = {"UTF-16", "UTF16", "UTF-16LE", "UTF-16BE", "UCS-2", "UCS2",
                                         "UTF-32", "UTF32", "UTF-32LE", "UTF-32BE", "UCS-4",
                                         "UCS4", "ISO-10646-UCS-2", "ISO-10646-UCS-4", NULL};

/* The families the first four bytes tell apart. */
struct family {
    const char *name;           /* the iconv name of the family (and of the file, when fixed) */
    size_t bom;                 /* bytes of byte order mark */
    const char *const *fits;    /* declared names that agree with it; NULL: any */
};

static const char *const fits_utf16le[] = {"UTF-16", "UTF16", "UTF-16LE", NULL};
static const char *const fits_utf16be[] = {"UTF-16", "UTF16", "UTF-16BE", NULL};
static const char *const fits_utf32le[] = {"UTF-32", "UTF32", "UTF-32LE", "UCS-4", "UCS4",
                                           "ISO-10646-UCS-4", NULL};
static const char *const fits_utf32be[] = {"UTF-32", "UTF32", "UTF-32BE", "UCS-4", "UCS4",
                                           "ISO-10646-UCS-4", NULL};

static struct family detect(const unsigned char *p, size_t n)
{
    static const struct {
        unsigned char bytes[4];
        size_t len;
        struct family f;
    } marks[] = {
        {{0x00, 0x00, 0xFE, 0xFF}, 4, {"UTF-32BE", 4, fits_utf32be}},
        {{0xFF, 0xFE, 0x00, 0x00}, 4, {"UTF-32LE", 4, fits_utf32le}},
        {{0xEF, 0xBB, 0xBF, 0x00}, 3, {"UTF-8", 3, utf8_names}},
        {{0xFE, 0xFF, 0x00, 0x00}, 2, {"UTF-16BE", 2, fits_utf16be}},
        {{0xFF, 0xFE, 0x00, 0x00}, 2, {"UTF-16LE", 2, fits_utf16le}},
        {{0x00, 0x00, 0x00, 0x3C}, 4, {"UTF-32BE", 0, fits_utf32be}},
        {{0x3C, 0x00, 0x00, 0x00}, 4, {"UTF-32LE", 0, fits_utf32le}},
        {{0x00, 0x3C, 0x00, 0x3F}, 4, {"UTF-16BE", 0, fits_utf16be}},
        {{0x3C, 0x00, 0x3F, 0x00}, 4, {"UTF-16LE", 0, fits_utf16le}},
        {{0x4C, 0x6F, 0xA7, 0x94}, 4, {"IBM037", 0, NULL}},
    };
    for (size_t i = 0; i < sizeof marks / sizeof marks[0]; i++)
        if (n >= marks[i].len && memcmp(p, marks[i].bytes, marks[i].len) == 0)
            return marks[i].f;
    return (struct family){"UTF-8", 0, NULL};
}

/* The start of p (n bytes, in family f) as UTF-8 in out, as far as it
 * decodes; (size_t)-1 when iconv cannot be opened (out of memory). */
static size_t decode_start(const char *family, const unsigned char *p, size_t n, char *out,
                           size_t cap)
{
    iconv_t cd = iconv_open("UTF-8", family);
    if (cd == NO_ICONV)
        return errno == EINVAL ? 0 : (size_t)-1;
    char *ip = (char *)p, *op = out;
    size_t il = n, ol = cap;
    iconv(cd, &ip, &il, &op, &ol);
    iconv_close(cd);
    return cap - ol;
}

/* Find the encoding; false when the file cannot be read as XML text
 * (e->stop) or memory runs out (*nomem). */
static bool sniff(struct tally_xmlenc *e, struct tally_input *in, bool *nomem)
{
    const unsigned char *p = in->buf + in->pos;
    size_t n = in->len - in->pos;
    struct family f = detect(p, n);
    bool eight_bit = strcmp(f.name, "UTF-8") == 0 && f.bom == 0;

    char text[TALLY_XMLENC_SNIFF];
    size_t tn;
    if (strcmp(f.name, "UTF-8") == 0) {
        tn = n - f.bom < sizeof text ? n - f.bom : sizeof text;
        memcpy(text, p + f.bom, tn);
    } else {
        tn = decode_start(f.name, p + f.bom, n - f.bom, text, sizeof text);
        if (tn == (size_t)-1)
            return !(*nomem = true);
    }
    char declared[64];
    size_t dn = 0;
    int d = tally_xmlenc_declared(text, tn, declared, sizeof declared, &dn);
    if (d < 0 && n >= TALLY_XMLENC_SNIFF) {
        stop(e, 0, "the XML declaration is longer than %d bytes, so its encoding cannot be "
             "read; the file is not read", TALLY_XMLENC_SNIFF);
        return false;
    }
    /* An unterminated declaration at the end of a short file: libxml2 says so. */
    const char *name = f.name;
    if (d == 1) {
        if (f.bom && !named(declared, f.fits)) {
            stop(e, 0, "the file starts with a %s byte order mark but declares "
                 "encoding=\"%s\"; save it again in one encoding; the file is not read",
                 strcmp(f.name, "UTF-8") == 0 ? "UTF-8" : f.name, declared);
            return false;
        }
        if (f.fits && !f.bom && !named(declared, f.fits)) {
            stop(e, 0, "the file is written in %s but declares encoding=\"%s\"; the file is not "
                 "read", f.name, declared);
            return false;
        }
        if (eight_bit && named(declared, wide_names)) {
            stop(e, 0, "the file declares encoding=\"%s\" but is written with 8-bit bytes (it "
                 "has no byte order mark); save it again in one encoding; the file is not read",
                 declared);
            return false;
        }
        if (!f.fits)
            name = declared;    /* an 8-bit encoding or an EBCDIC one: as declared */
    } else if (strcmp(f.name, "IBM037") == 0) {
        stop(e, 0, "the file looks like EBCDIC but declares no encoding; the file is not read");
        return false;
    }

    snprintf(e->name, sizeof e->name, "%s", name);
    e->declared = d == 1;
    if (named(name, utf8_names)) {
        e->cd = NO_ICONV;
    } else {
        e->cd = iconv_open("UTF-8", name);
        e->probe = e->cd == NO_ICONV ? NO_ICONV : iconv_open("UTF-8", name);
        if ((e->cd == NO_ICONV || e->probe == NO_ICONV) && errno != EINVAL)
            return !(*nomem = true);
        if (e->cd == NO_ICONV || e->probe == NO_ICONV) {
            stop(e, 0, "the file declares encoding=\"%s\", which tally cannot read (save it as "
                 "UTF-8); the file is not read", name);
            return false;
        }
        if (eight_bit) {
            /* The declaration was read as ASCII: it must read the same in
             * the encoding it declares (which rules out EBCDIC, UTF-7, ...). */
            char back[TALLY_XMLENC_SNIFF];
            size_t bn = decode_start(name, p, dn, back, sizeof back);
            if (bn == (size_t)-1)
                return !(*nomem = true);
            if (bn != dn || memcmp(back, text, dn) != 0) {
                stop(e, 0, "the file declares encoding=\"%s\", but its XML declaration is not "
                     "written in it; the file is not read", name);
                return false;
            }
        }
    }
    in->pos += f.bom;
    e->sniffed = true;
    return true;
}

/* ---- decoding ---------------------------------------------------------------- */

#define ONES  0x0101010101010101ULL
#define HIGHS 0x8080808080808080ULL

/* A word of 8 ASCII bytes with no NUL and no CR. */
static bool plain_word(const unsigned char *p)
{
    uint64_t w;
    memcpy(&w, p, 8);
    uint64_t cr = w ^ (ONES * '\r');
    return ((w | ((w - ONES) & ~w) | ((cr - ONES) & ~cr)) & HIGHS) == 0;
}

/*
 * UTF-8 in, checked, into out. Stops (e->stop) at an invalid sequence or a
 * NUL; CR LF and CR become LF. Returns the bytes written.
 */
static size_t from_utf8(struct tally_xmlenc *e, struct tally_input *in, unsigned char *out,
                        size_t cap)
{
    const unsigned char *p = in->buf + in->pos;
    size_t avail = in->len - in->pos, i = 0, o = 0;
    while (i < avail && o + 4 <= cap) {
        if (!e->cr && i + 8 <= avail && o + 8 <= cap && plain_word(p + i)) {
            memcpy(out + o, p + i, 8);
            i += 8;
            o += 8;
            continue;
        }
        unsigned char c = p[i];
        if (c == '\n' && e->cr) {
            e->cr = false;
            i++;
            continue;
        }
        e->cr = c == '\r';
        if (c == '\r') {
            out[o++] = '\n';
            i++;
            continue;
        }
        if (c == 0) {
            stop(e, tally_input_offset(in) + i, "NUL byte at byte offset %llu; the rest of the "
                 "file is not read", (unsigned long long)(tally_input_offset(in) + i));
            break;
        }
        if (c < 0x80) {
            out[o++] = c;
            i++;
            continue;
        }
        const char *why = NULL;
        int m = tally_utf8_seq(p + i, avail - i, &why);
        if (m < 0 && !in->eof)
            break;      /* the rest of the sequence is not read yet */
        if (m <= 0) {
            uint64_t at = tally_input_offset(in) + i;
            stop(e, at, "invalid UTF-8 (%s, byte 0x%02X) at byte offset %llu; the rest of the "
                 "file is not read%s", why ? why : "truncated sequence", c,
                 (unsigned long long)at, !e->declared
                 ? " (if the file is not UTF-8, its XML declaration must say so: "
                   "<?xml version=\"1.0\" encoding=\"...\"?>)" : "");
            break;
        }
        memcpy(out + o, p + i, (size_t)m);
        o += (size_t)m;
        i += (size_t)m;
    }
    in->pos += i;
    return o;
}

/* The file offset of the character that gave the output byte at `at` of a
 * conversion of raw (n bytes, starting at file offset base). */
static uint64_t source_of(struct tally_xmlenc *e, const char *raw, size_t n, uint64_t base,
                          size_t at)
{
    char buf[256];
    char *ip = (char *)raw;
    size_t il = n;
    iconv(e->probe, NULL, NULL, NULL, NULL);
    while (at > 0) {
        char *op = buf;
        size_t ol = at < sizeof buf ? at : sizeof buf;
        size_t want = ol;
        iconv(e->probe, &ip, &il, &op, &ol);
        if (ol == want)
            break;      /* no progress: cannot happen for text that converted before */
        at -= want - ol;
    }
    return base + (n - il);
}

/* Normalise line breaks in out[0..n) in place; returns the new length. */
static size_t line_breaks(struct tally_xmlenc *e, unsigned char *out, size_t n)
{
    if (n == 0 || (!e->cr && !memchr(out, '\r', n)))
        return n;
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = out[i];
        if (c == '\n' && e->cr) {
            e->cr = false;
            continue;
        }
        e->cr = c == '\r';
        out[o++] = c == '\r' ? '\n' : c;
    }
    return o;
}

/* Through iconv into out; returns the bytes written. */
static size_t from_iconv(struct tally_xmlenc *e, struct tally_input *in, unsigned char *out,
                         size_t cap)
{
    char *start = (char *)in->buf + in->pos, *ip = start, *op = (char *)out;
    size_t il = in->len - in->pos, ol = cap;
    uint64_t base = tally_input_offset(in);
    size_t r = iconv(e->cd, &ip, &il, &op, &ol);
    int why = r == (size_t)-1 ? errno : 0;
    size_t used = (size_t)(ip - start), n = cap - ol;
    in->pos += used;
    if (why == EILSEQ || (why == EINVAL && in->eof)) {
        const unsigned char *b = (const unsigned char *)ip;
        char bytes[32] = "";
        for (size_t k = 0, m = 0; k < il && k < 4; k++)
            m += (size_t)snprintf(bytes + m, sizeof bytes - m, "%s0x%02X", k ? " " : "", b[k]);
        stop(e, base + used, why == EILSEQ
                 ? "bytes that are not valid %s (%s) at byte offset %llu; the rest of the file is not read"
                 : "the file ends inside a %s character (%s) at byte offset %llu",
             e->name, bytes, (unsigned long long)(base + used));
    } else if (why == 0 && in->eof && il == 0) {
        /* The end: a stateful encoding may have a last shift to write. */
        if (ol >= 16) {
            iconv(e->cd, NULL, NULL, &op, &ol);
            n = cap - ol;
        }
    }
    unsigned char *nul = memchr(out, 0, n);
    if (nul) {
        uint64_t at = source_of(e, start, used, base, (size_t)(nul - out));
        stop(e, at, "NUL character (U+0000) at byte offset %llu; the rest of the file is not read",
             (unsigned long long)at);
        n = (size_t)(nul - out);
    }
    return n;
}

int tally_xmlenc_read(struct tally_xmlenc *e, struct tally_input *in, char *out, size_t cap,
                      size_t *n, struct tally_error *err)
{
    *n = 0;
    if (e->stop || e->end)
        return TALLY_OK;
    int rc;
    if (!e->sniffed) {
        if ((rc = tally_input_want(in, TALLY_XMLENC_SNIFF, err)) != TALLY_OK)
            return rc;
        bool nomem = false;
        if (!sniff(e, in, &nomem))
            return nomem ? tally_error_set(err, TALLY_ENOMEM, "out of memory") : TALLY_OK;
    }
    while (*n == 0 && !e->stop) {
        if (in->len - in->pos < 8 && !in->eof &&
            (rc = tally_input_want(in, 8, err)) != TALLY_OK)
            return rc;
        if (in->pos == in->len && in->eof) {
            e->end = true;
            return TALLY_OK;
        }
        if (e->cd == NO_ICONV) {
            *n = from_utf8(e, in, (unsigned char *)out, cap);
        } else {
            *n = from_iconv(e, in, (unsigned char *)out, cap);
            *n = line_breaks(e, (unsigned char *)out, *n);
        }
        if (*n == 0 && !e->stop && in->len - in->pos >= 8)
            return tally_error_set(err, TALLY_EINVAL, "XML decoding made no progress");
    }
    return TALLY_OK;
}
