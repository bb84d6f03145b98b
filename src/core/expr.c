/*
 * expr.c — the rule language (expr.h): a compiler from an assertion's text to
 * a flat postfix program, and the small stack machine that runs the program
 * once per record.
 *
 *   struct tally_error err;
 *   struct tally_expr *e = tally_expr_compile("found + not_found == went_missing",
 *                                             schema->fields, schema->nfields, &err);
 *   if (!e)
 *       ...err.message is e.g. "unknown field \"fund\" at column 1"...
 *   switch (tally_expr_eval(e, rec)) {
 *   case TALLY_EXPR_FALSE:   ...report the rule's message...
 *   case TALLY_EXPR_SKIPPED: ...count a skip...
 *   case TALLY_EXPR_TRUE:    break;
 *   }
 *   tally_expr_free(e);
 *
 * The compiler is a recursive-descent parser with one function per precedence
 * level, lowest first: or, and, not, comparison (non-associative), + -, *,
 * unary -, primary. It checks types as it goes and emits ops in postfix order,
 * so "found + not_found == went_missing" becomes
 *
 *   FIELD found, FIELD not_found, ADD, FIELD went_missing, EQ
 *
 * There is no tree. The compiler tracks how deep the evaluation stack gets and
 * rejects a program that needs more than EXPR_MAX_STACK slots, so evaluation
 * runs on a fixed array on the C stack and never allocates. Nesting (brackets,
 * unary operators, function arguments) is bounded too, which bounds the
 * parser's own recursion on hostile input.
 *
 * Evaluation first checks every field the expression names: if any is not
 * usable (missing, invalid, a symbol) or the validator flagged it in error,
 * the rule is skipped. Then the ops run in one loop. Both operands of "and"
 * and "or" are always evaluated: nothing has side effects, and an overflow
 * anywhere skips the rule, so the outcome never depends on evaluation order.
 *
 * Columns in error messages are 1-based and count characters (UTF-8 code
 * points), as struct tally_loc does.
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tally/expr.h"
#include "tally/status.h"
#include "tally/value.h"

#define EXPR_MAX_SOURCE 4096    /* bytes of source text */
#define EXPR_MAX_STACK 64       /* evaluation stack slots */
#define EXPR_MAX_NEST 64        /* brackets, unary operators and calls, nested */
#define EXPR_MAX_ARGS 2         /* the most arguments any function takes */

/* The types of the language. T_ERR marks a failed parse, never a value. */
enum etype { T_ERR = 0, T_INT, T_DATE, T_DATETIME, T_TEXT, T_BOOL };

static const char *const type_names[] = {
    [T_ERR] = "error", [T_INT] = "integer", [T_DATE] = "date",
    [T_DATETIME] = "datetime", [T_TEXT] = "text", [T_BOOL] = "boolean",
};

enum opcode {
    OP_INT,         /* push u.n (integer and date literals) */
    OP_TEXT,        /* push the text literal u.text */
    OP_NUM_FIELD,   /* push fields[u.field].value.number (integer, date, datetime) */
    OP_TEXT_FIELD,  /* push fields[u.field].value.text and .len */
    OP_NEG,         /* a -> -a */
    OP_ADD,         /* a b -> a + b */
    OP_SUB,         /* a b -> a - b */
    OP_MUL,         /* a b -> a * b */
    OP_DAYS,        /* a b -> b - a: days(a, b) */
    OP_LT, OP_LE, OP_GT, OP_GE, OP_EQ, OP_NE,   /* a b -> a OP b, on numbers */
    OP_TEXT_EQ,     /* a b -> a == b, on text */
    OP_TEXT_NE,     /* a b -> a != b, on text */
    OP_AND,         /* a b -> a and b */
    OP_OR,          /* a b -> a or b */
    OP_NOT          /* a -> not a */
};

struct op {
    enum opcode code;
    union {
        int64_t n;                                  /* OP_INT */
        size_t field;                               /* OP_*_FIELD: schema field index */
        struct { const char *p; size_t len; } text; /* OP_TEXT: points into the pool */
    } u;
};

struct tally_expr {
    struct op *ops;             /* the program, postfix */
    size_t nops;
    size_t *fields;             /* distinct field indexes, in order of first use */
    enum tally_kind *kinds;     /* kinds[i]: the value kind fields[i] must hold */
    size_t nfields;
    char *pool;                 /* text literals, unescaped; NULL when there are none */
};

/* One slot of the evaluation stack: a number (integers, dates, datetimes,
 * booleans as 0/1) or a piece of text. */
struct slot {
    int64_t n;
    const char *p;
    size_t len;
};

/* ---- evaluation --------------------------------------------------------- */

static bool text_equal(const struct slot *a, const struct slot *b)
{
    return a->len == b->len && (a->len == 0 || memcmp(a->p, b->p, a->len) == 0);
}

/*
 * Run expr's program against rec. Returns TALLY_EXPR_SKIPPED when a named
 * field is out of rec's range, not of the kind its schema type parses to (this
 * covers "not usable": MISSING, INVALID and SYMBOL never match), or flagged in
 * error, and when integer arithmetic overflows. Never allocates.
 */
enum tally_expr_result tally_expr_eval(const struct tally_expr *expr,
                                       const struct tally_record *rec)
{
    if (!expr || !rec)
        return TALLY_EXPR_SKIPPED;
    for (size_t i = 0; i < expr->nfields; i++) {
        size_t f = expr->fields[i];
        if (f >= rec->nfields)
            return TALLY_EXPR_SKIPPED;
        const struct tally_field *field = &rec->fields[f];
        if (field->error || !tally_value_usable(&field->value) ||
            field->value.kind != expr->kinds[i])
            return TALLY_EXPR_SKIPPED;
    }

    struct slot st[EXPR_MAX_STACK];
    size_t sp = 0;              /* st[sp - 1] is the top; the compiler proved sp fits */
    for (const struct op *op = expr->ops, *end = op + expr->nops; op < end; op++) {
        switch (op->code) {
        case OP_INT:
            st[sp++].n = op->u.n;
            continue;
        case OP_TEXT:
            st[sp].p = op->u.text.p;
            st[sp++].len = op->u.text.len;
            continue;
        case OP_NUM_FIELD:
            st[sp++].n = rec->fields[op->u.field].value.number;
            continue;
        case OP_TEXT_FIELD:
            st[sp].p = rec->fields[op->u.field].value.text;
            st[sp++].len = rec->fields[op->u.field].value.len;
            continue;
        case OP_NEG:
            if (__builtin_sub_overflow((int64_t)0, st[sp - 1].n, &st[sp - 1].n))
                return TALLY_EXPR_SKIPPED;
            continue;
        case OP_NOT:
            st[sp - 1].n = !st[sp - 1].n;
            continue;
        default:
            break;
        }
        /* A binary op: a is the left operand and takes the result, b the right. */
        sp--;
        struct slot *a = &st[sp - 1];
        const struct slot *b = &st[sp];
        switch (op->code) {
        case OP_ADD:
            if (__builtin_add_overflow(a->n, b->n, &a->n))
                return TALLY_EXPR_SKIPPED;
            break;
        case OP_SUB:
            if (__builtin_sub_overflow(a->n, b->n, &a->n))
                return TALLY_EXPR_SKIPPED;
            break;
        case OP_MUL:
            if (__builtin_mul_overflow(a->n, b->n, &a->n))
                return TALLY_EXPR_SKIPPED;
            break;
        case OP_DAYS:
            if (__builtin_sub_overflow(b->n, a->n, &a->n))
                return TALLY_EXPR_SKIPPED;
            break;
        case OP_LT: a->n = a->n < b->n; break;
        case OP_LE: a->n = a->n <= b->n; break;
        case OP_GT: a->n = a->n > b->n; break;
        case OP_GE: a->n = a->n >= b->n; break;
        case OP_EQ: a->n = a->n == b->n; break;
        case OP_NE: a->n = a->n != b->n; break;
        case OP_TEXT_EQ: a->n = text_equal(a, b); break;
        case OP_TEXT_NE: a->n = !text_equal(a, b); break;
        case OP_AND: a->n = a->n && b->n; break;
        case OP_OR: a->n = a->n || b->n; break;
        default: break;     /* the pushes and unary ops continued above */
        }
    }
    return st[0].n ? TALLY_EXPR_TRUE : TALLY_EXPR_FALSE;
}

const size_t *tally_expr_fields(const struct tally_expr *expr, size_t *count)
{
    if (count)
        *count = expr ? expr->nfields : 0;
    return expr ? expr->fields : NULL;
}

void tally_expr_free(struct tally_expr *expr)
{
    if (!expr)
        return;
    free(expr->ops);
    free(expr->fields);
    free(expr->kinds);
    free(expr->pool);
    free(expr);
}

/* ---- lexing ------------------------------------------------------------- */

enum tok {
    TK_END, TK_INT, TK_DATE, TK_TEXT, TK_IDENT,
    TK_AND, TK_OR, TK_NOT,
    TK_PLUS, TK_MINUS, TK_STAR,
    TK_LT, TK_LE, TK_GT, TK_GE, TK_EQ, TK_NE,
    TK_LPAREN, TK_RPAREN, TK_COMMA
};

struct token {
    enum tok kind;
    size_t start;               /* byte offset in the source */
    size_t len;                 /* bytes of source */
    int64_t n;                  /* TK_INT: the value; TK_DATE: days since 1970-01-01 */
    const char *text;           /* TK_TEXT: unescaped, in the pool */
    size_t text_len;
};

struct parser {
    const char *src;
    size_t len;                 /* bytes in src */
    size_t pos;                 /* where the lexer goes on */
    struct token tok;           /* the current token */
    const struct tally_field_def *defs;
    size_t ndefs;
    struct tally_error *err;
    bool failed;                /* err is filled; unwind */
    struct tally_expr *out;     /* the program being built */
    size_t ops_cap, fields_cap;
    size_t pool_used;           /* bytes of out->pool in use */
    size_t depth;               /* stack depth after the ops emitted so far */
    unsigned nest;              /* current nesting */
};

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static bool is_ident_start(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

static bool is_ident_char(char c)
{
    return is_ident_start(c) || is_digit(c);
}

static bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* The 1-based character column of byte offset off: UTF-8 continuation bytes
 * do not start a character. */
static size_t column(const struct parser *p, size_t off)
{
    size_t col = 1;
    for (size_t i = 0; i < off && i < p->len; i++)
        if (((unsigned char)p->src[i] & 0xC0) != 0x80)
            col++;
    return col;
}

#if defined(__GNUC__)
#define EXPR_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define EXPR_PRINTF(f, a)
#endif

/* Record the first compile error (TALLY_ESCHEMA), without a column. Later
 * errors are ignored: the first one is what the author needs. */
static void fail(struct parser *p, const char *fmt, ...) EXPR_PRINTF(2, 3);
static void fail(struct parser *p, const char *fmt, ...)
{
    if (p->failed)
        return;
    char msg[sizeof p->err->message];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    p->failed = true;
    tally_error_set(p->err, TALLY_ESCHEMA, "%s", msg);
}

/* As fail, with " at column N" for byte offset off appended. */
static void fail_at(struct parser *p, size_t off, const char *fmt, ...) EXPR_PRINTF(3, 4);
static void fail_at(struct parser *p, size_t off, const char *fmt, ...)
{
    if (p->failed)
        return;
    char msg[sizeof p->err->message];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    p->failed = true;
    tally_error_set(p->err, TALLY_ESCHEMA, "%s at column %zu", msg, column(p, off));
}

static void fail_nomem(struct parser *p)
{
    if (p->failed)
        return;
    p->failed = true;
    tally_error_set(p->err, TALLY_ENOMEM, "out of memory");
}

/* Does s (n bytes available) start with exactly DDDD-DD-DD? */
static bool date_shape(const char *s, size_t n)
{
    static const char shape[] = "dddd-dd-dd";
    if (n < 10)
        return false;
    for (size_t i = 0; i < 10; i++)
        if (shape[i] == 'd' ? !is_digit(s[i]) : s[i] != '-')
            return false;
    return true;
}

/* Lex a number or a date at p->pos (a digit) into t. */
static bool lex_number(struct parser *p, struct token *t)
{
    const char *s = p->src + t->start;
    size_t avail = p->len - t->start;
    if (date_shape(s, avail)) {
        size_t n = 10;
        while (n < avail && (is_ident_char(s[n]) || s[n] == '-'))
            n++;
        if (n != 10 || !tally_parse_date(s, 10, &t->n)) {
            fail_at(p, t->start, "invalid date \"%.*s\"", (int)(n > 40 ? 40 : n), s);
            return false;
        }
        t->kind = TK_DATE;
        t->len = 10;
        return true;
    }
    size_t n = 0;
    int64_t v = 0;
    bool too_big = false;
    for (; n < avail && is_digit(s[n]); n++) {
        if (!too_big && (__builtin_mul_overflow(v, 10, &v) ||
                         __builtin_add_overflow(v, s[n] - '0', &v)))
            too_big = true;
    }
    if (too_big) {
        fail_at(p, t->start, "integer %.*s%s is too large", (int)(n > 40 ? 40 : n), s,
                n > 40 ? "..." : "");
        return false;
    }
    t->kind = TK_INT;
    t->len = n;
    t->n = v;
    return true;
}

/* Lex a 'text' literal at p->pos (the quote) into t, unescaping '' into the
 * pool, which has room for the whole source. */
static bool lex_text(struct parser *p, struct token *t)
{
    const char *s = p->src;
    char *dst = p->out->pool + p->pool_used;
    size_t n = 0;
    size_t i = t->start + 1;
    for (;;) {
        if (i >= p->len) {
            fail_at(p, t->start, "unterminated text");
            return false;
        }
        if (s[i] == '\'') {
            if (i + 1 < p->len && s[i + 1] == '\'') {
                dst[n++] = '\'';
                i += 2;
                continue;
            }
            i++;
            break;
        }
        dst[n++] = s[i++];
    }
    t->kind = TK_TEXT;
    t->len = i - t->start;
    t->text = dst;
    t->text_len = n;
    p->pool_used += n;
    return true;
}

/* Lex the next token into p->tok. Returns false (err filled) on a lexical
 * error. */
static bool advance(struct parser *p)
{
    if (p->failed)
        return false;
    const char *s = p->src;
    size_t i = p->pos;
    while (i < p->len && is_space(s[i]))
        i++;
    struct token *t = &p->tok;
    t->start = i;
    t->len = 1;
    if (i >= p->len) {
        t->kind = TK_END;
        t->len = 0;
        p->pos = i;
        return true;
    }
    char c = s[i];
    char next = i + 1 < p->len ? s[i + 1] : '\0';
    if (is_digit(c)) {
        if (!lex_number(p, t))
            return false;
    } else if (c == '\'') {
        if (!lex_text(p, t))
            return false;
    } else if (is_ident_start(c)) {
        size_t n = 1;
        while (i + n < p->len && is_ident_char(s[i + n]))
            n++;
        t->len = n;
        t->kind = TK_IDENT;
        if (n == 3 && memcmp(s + i, "and", 3) == 0)
            t->kind = TK_AND;
        else if (n == 2 && memcmp(s + i, "or", 2) == 0)
            t->kind = TK_OR;
        else if (n == 3 && memcmp(s + i, "not", 3) == 0)
            t->kind = TK_NOT;
    } else {
        switch (c) {
        case '+': t->kind = TK_PLUS; break;
        case '-': t->kind = TK_MINUS; break;
        case '*': t->kind = TK_STAR; break;
        case '(': t->kind = TK_LPAREN; break;
        case ')': t->kind = TK_RPAREN; break;
        case ',': t->kind = TK_COMMA; break;
        case '<':
            t->kind = next == '=' ? TK_LE : TK_LT;
            t->len = next == '=' ? 2 : 1;
            break;
        case '>':
            t->kind = next == '=' ? TK_GE : TK_GT;
            t->len = next == '=' ? 2 : 1;
            break;
        case '=':
            if (next != '=') {
                fail_at(p, i, "unexpected \"=\" (compare with \"==\")");
                return false;
            }
            t->kind = TK_EQ;
            t->len = 2;
            break;
        case '!':
            if (next != '=') {
                fail_at(p, i, "unexpected \"!\" (negate with \"not\")");
                return false;
            }
            t->kind = TK_NE;
            t->len = 2;
            break;
        case '"':
            fail_at(p, i, "unexpected '\"' (write text in single quotes: 'uasc')");
            return false;
        default:
            if (c > ' ' && c < 0x7f)
                fail_at(p, i, "unexpected character \"%c\"", c);
            else
                fail_at(p, i, "unexpected byte 0x%02X", (unsigned char)c);
            return false;
        }
    }
    p->pos = i + t->len;
    return true;
}

/* ---- code generation ---------------------------------------------------- */

/* How an op changes the stack depth. */
static int stack_effect(enum opcode code)
{
    switch (code) {
    case OP_INT: case OP_TEXT: case OP_NUM_FIELD: case OP_TEXT_FIELD:
        return 1;
    case OP_NEG: case OP_NOT:
        return 0;
    default:
        return -1;
    }
}

/*
 * Append an op to the program and track the stack depth; `at` is the byte
 * offset to blame when the program grows too deep. Returns the new op for the
 * caller to fill in, or NULL (err filled).
 */
static struct op *emit(struct parser *p, enum opcode code, size_t at)
{
    if (p->failed)
        return NULL;
    struct tally_expr *e = p->out;
    int effect = stack_effect(code);
    p->depth = effect < 0 ? p->depth - 1 : p->depth + (size_t)effect;
    if (p->depth > EXPR_MAX_STACK) {
        fail_at(p, at, "expression too complex (needs more than %d stack slots)",
                EXPR_MAX_STACK);
        return NULL;
    }
    if (e->nops == p->ops_cap) {
        size_t cap = p->ops_cap ? 2 * p->ops_cap : 16;
        struct op *ops = realloc(e->ops, cap * sizeof *ops);
        if (!ops) {
            fail_nomem(p);
            return NULL;
        }
        e->ops = ops;
        p->ops_cap = cap;
    }
    struct op *op = &e->ops[e->nops++];
    memset(op, 0, sizeof *op);
    op->code = code;
    return op;
}

/* Remember that the program reads field f, which must hold a value of kind. */
static bool note_field(struct parser *p, size_t f, enum tally_kind kind)
{
    struct tally_expr *e = p->out;
    for (size_t i = 0; i < e->nfields; i++)
        if (e->fields[i] == f)
            return true;
    if (e->nfields == p->fields_cap) {
        size_t cap = p->fields_cap ? 2 * p->fields_cap : 4;
        size_t *fields = realloc(e->fields, cap * sizeof *fields);
        if (!fields) {
            fail_nomem(p);
            return false;
        }
        e->fields = fields;
        enum tally_kind *kinds = realloc(e->kinds, cap * sizeof *kinds);
        if (!kinds) {
            fail_nomem(p);
            return false;
        }
        e->kinds = kinds;
        p->fields_cap = cap;
    }
    e->fields[e->nfields] = f;
    e->kinds[e->nfields] = kind;
    e->nfields++;
    return true;
}

/* Enter one level of nesting at byte offset at; false (err filled) when too
 * deep. The caller leaves with p->nest--. */
static bool enter(struct parser *p, size_t at)
{
    if (++p->nest > EXPR_MAX_NEST) {
        fail_at(p, at, "expression nested too deeply (more than %d levels)", EXPR_MAX_NEST);
        return false;
    }
    return true;
}

/* ---- parsing ------------------------------------------------------------ */

struct function {
    const char *name;
    size_t nargs;
    enum etype args[EXPR_MAX_ARGS];
    enum etype result;
    enum opcode op;             /* runs after the arguments are pushed in order */
};

static const struct function functions[] = {
    {"days", 2, {T_DATE, T_DATE}, T_INT, OP_DAYS},  /* days(a, b) = b - a */
};

static enum etype parse_or(struct parser *p);

/* Fail with "unexpected ..." naming the current token. */
static enum etype unexpected(struct parser *p)
{
    const struct token *t = &p->tok;
    if (t->kind == TK_END)
        fail(p, "unexpected end of expression");
    else if (t->kind == TK_TEXT)
        fail_at(p, t->start, "unexpected text");
    else
        fail_at(p, t->start, "unexpected \"%.*s\"", (int)(t->len > 40 ? 40 : t->len),
                p->src + t->start);
    return T_ERR;
}

/* The field whose name is src[start, start+len), or -1. */
static long find_field(const struct parser *p, size_t start, size_t len)
{
    for (size_t i = 0; i < p->ndefs; i++) {
        const char *name = p->defs[i].name;
        if (name && strlen(name) == len && memcmp(name, p->src + start, len) == 0)
            return (long)i;
    }
    return -1;
}

/* A call: the current token is the function's name, and '(' follows. */
static enum etype parse_call(struct parser *p)
{
    size_t name_at = p->tok.start, name_len = p->tok.len;
    const struct function *fn = NULL;
    for (size_t i = 0; i < sizeof functions / sizeof functions[0]; i++)
        if (strlen(functions[i].name) == name_len &&
            memcmp(functions[i].name, p->src + name_at, name_len) == 0)
            fn = &functions[i];
    if (!fn) {
        fail_at(p, name_at, "unknown function \"%.*s\"", (int)name_len, p->src + name_at);
        return T_ERR;
    }
    if (!advance(p) || !advance(p))     /* the name, then '(' */
        return T_ERR;
    size_t nargs = 0;
    size_t arg_at[EXPR_MAX_ARGS];
    enum etype arg_type[EXPR_MAX_ARGS];
    if (p->tok.kind != TK_RPAREN) {
        for (;;) {
            size_t at = p->tok.start;
            if (!enter(p, at))
                return T_ERR;
            enum etype t = parse_or(p);
            p->nest--;
            if (t == T_ERR)
                return T_ERR;
            if (nargs < EXPR_MAX_ARGS) {
                arg_at[nargs] = at;
                arg_type[nargs] = t;
            }
            nargs++;
            if (p->tok.kind != TK_COMMA)
                break;
            if (!advance(p))
                return T_ERR;
        }
    }
    if (p->tok.kind != TK_RPAREN) {
        fail_at(p, p->tok.start, "expected \",\" or \")\"");
        return T_ERR;
    }
    if (nargs != fn->nargs) {
        fail_at(p, name_at, "%s() takes %zu argument%s, not %zu", fn->name, fn->nargs,
                fn->nargs == 1 ? "" : "s", nargs);
        return T_ERR;
    }
    for (size_t i = 0; i < nargs; i++) {
        if (arg_type[i] != fn->args[i]) {
            fail_at(p, arg_at[i], "argument %zu of %s() is %s, not %s", i + 1, fn->name,
                    type_names[arg_type[i]], type_names[fn->args[i]]);
            return T_ERR;
        }
    }
    if (!emit(p, fn->op, name_at) || !advance(p))
        return T_ERR;
    return fn->result;
}

/* primary := integer | date | 'text' | field | function '(' args ')' | '(' or ')' */
static enum etype parse_primary(struct parser *p)
{
    const struct token t = p->tok;
    struct op *op;
    switch (t.kind) {
    case TK_INT:
    case TK_DATE:
        if (!(op = emit(p, OP_INT, t.start)))
            return T_ERR;
        op->u.n = t.n;
        return advance(p) ? (t.kind == TK_INT ? T_INT : T_DATE) : T_ERR;
    case TK_TEXT:
        if (!(op = emit(p, OP_TEXT, t.start)))
            return T_ERR;
        op->u.text.p = t.text;
        op->u.text.len = t.text_len;
        return advance(p) ? T_TEXT : T_ERR;
    case TK_LPAREN: {
        if (!enter(p, t.start) || !advance(p))
            return T_ERR;
        enum etype r = parse_or(p);
        p->nest--;
        if (r == T_ERR)
            return T_ERR;
        if (p->tok.kind != TK_RPAREN) {
            fail_at(p, p->tok.start, "expected \")\"");
            return T_ERR;
        }
        return advance(p) ? r : T_ERR;
    }
    case TK_IDENT: {
        size_t i = p->pos;          /* a call if '(' follows, spaces aside */
        while (i < p->len && is_space(p->src[i]))
            i++;
        if (i < p->len && p->src[i] == '(')
            return parse_call(p);
        long f = find_field(p, t.start, t.len);
        if (f < 0) {
            fail_at(p, t.start, "unknown field \"%.*s\"", (int)t.len, p->src + t.start);
            return T_ERR;
        }
        enum etype type;
        enum tally_kind kind;
        switch (p->defs[f].type) {
        case TALLY_TYPE_INTEGER:  type = T_INT;      kind = TALLY_NUMBER;   break;
        case TALLY_TYPE_DATE:     type = T_DATE;     kind = TALLY_DATE;     break;
        case TALLY_TYPE_DATETIME: type = T_DATETIME; kind = TALLY_DATETIME; break;
        case TALLY_TYPE_STRING:   type = T_TEXT;     kind = TALLY_TEXT;     break;
        default:
            fail_at(p, t.start, "field \"%.*s\" has no usable type", (int)t.len,
                    p->src + t.start);
            return T_ERR;
        }
        if (!(op = emit(p, type == T_TEXT ? OP_TEXT_FIELD : OP_NUM_FIELD, t.start)))
            return T_ERR;
        op->u.field = (size_t)f;
        if (!note_field(p, (size_t)f, kind))
            return T_ERR;
        return advance(p) ? type : T_ERR;
    }
    default:
        return unexpected(p);
    }
}

/*
 * A prefix operator: sym operand, where the operand is this rule again or
 * `next` (one nesting level each, so the depth limit holds), of type `want`.
 */
static enum etype parse_prefix(struct parser *p, enum tok tok, enum etype (*next)(struct parser *),
                               enum etype want, enum opcode op, const char *sym)
{
    if (p->tok.kind != tok)
        return next(p);
    size_t at = p->tok.start;
    if (!enter(p, at) || !advance(p))
        return T_ERR;
    enum etype t = parse_prefix(p, tok, next, want, op, sym);
    p->nest--;
    if (t == T_ERR)
        return T_ERR;
    if (t != want) {
        fail_at(p, at, "cannot apply \"%s\" to %s", sym, type_names[t]);
        return T_ERR;
    }
    return emit(p, op, at) ? want : T_ERR;
}

/* unary := '-' unary | primary */
static enum etype parse_unary(struct parser *p)
{
    return parse_prefix(p, TK_MINUS, parse_primary, T_INT, OP_NEG, "-");
}

/*
 * The integer operators: check that both operands are integers and emit code.
 * Subtracting dates gets its own message, since days() is what the author
 * wants.
 */
static bool arith(struct parser *p, enum tok kind, size_t at, enum etype l, enum etype r)
{
    static const struct { enum tok tok; const char *name; enum opcode op; } ops[] = {
        {TK_PLUS, "+", OP_ADD}, {TK_MINUS, "-", OP_SUB}, {TK_STAR, "*", OP_MUL},
    };
    size_t i = 0;
    while (ops[i].tok != kind)
        i++;
    if (l == T_INT && r == T_INT)
        return emit(p, ops[i].op, at) != NULL;
    if (kind == TK_MINUS && l == T_DATE && r == T_DATE)
        fail_at(p, at, "cannot subtract dates (use days(a, b))");
    else
        fail_at(p, at, "cannot apply \"%s\" to %s and %s", ops[i].name, type_names[l],
                type_names[r]);
    return false;
}

/* mul := unary ('*' unary)* */
static enum etype parse_mul(struct parser *p)
{
    enum etype l = parse_unary(p);
    while (l != T_ERR && p->tok.kind == TK_STAR) {
        size_t at = p->tok.start;
        if (!advance(p))
            return T_ERR;
        enum etype r = parse_unary(p);
        if (r == T_ERR || !arith(p, TK_STAR, at, l, r))
            return T_ERR;
    }
    return l;
}

/* add := mul (('+' | '-') mul)* */
static enum etype parse_add(struct parser *p)
{
    enum etype l = parse_mul(p);
    while (l != T_ERR && (p->tok.kind == TK_PLUS || p->tok.kind == TK_MINUS)) {
        enum tok kind = p->tok.kind;
        size_t at = p->tok.start;
        if (!advance(p))
            return T_ERR;
        enum etype r = parse_mul(p);
        if (r == T_ERR || !arith(p, kind, at, l, r))
            return T_ERR;
    }
    return l;
}

static bool is_comparison(enum tok kind)
{
    return kind >= TK_LT && kind <= TK_NE;
}

/* cmp := add (('<' | '<=' | '>' | '>=' | '==' | '!=') add)?, not chained */
static enum etype parse_cmp(struct parser *p)
{
    enum etype l = parse_add(p);
    if (l == T_ERR || !is_comparison(p->tok.kind))
        return l;
    const struct token optok = p->tok;
    if (!advance(p))
        return T_ERR;
    enum etype r = parse_add(p);
    if (r == T_ERR)
        return T_ERR;
    const char *name = p->src + optok.start;
    int name_len = (int)optok.len;
    if (l != r || l == T_BOOL) {
        fail_at(p, optok.start, "cannot compare %s with %s", type_names[l], type_names[r]);
        return T_ERR;
    }
    enum opcode code;
    if (l == T_TEXT) {
        if (optok.kind != TK_EQ && optok.kind != TK_NE) {
            fail_at(p, optok.start, "cannot apply \"%.*s\" to text (only == and !=)",
                    name_len, name);
            return T_ERR;
        }
        code = optok.kind == TK_EQ ? OP_TEXT_EQ : OP_TEXT_NE;
    } else {
        switch (optok.kind) {
        case TK_LT: code = OP_LT; break;
        case TK_LE: code = OP_LE; break;
        case TK_GT: code = OP_GT; break;
        case TK_GE: code = OP_GE; break;
        case TK_EQ: code = OP_EQ; break;
        default:    code = OP_NE; break;
        }
    }
    if (!emit(p, code, optok.start))
        return T_ERR;
    if (is_comparison(p->tok.kind)) {
        fail_at(p, p->tok.start, "comparisons cannot be chained (use \"and\")");
        return T_ERR;
    }
    return T_BOOL;
}

/* not := 'not' not | cmp */
static enum etype parse_not(struct parser *p)
{
    return parse_prefix(p, TK_NOT, parse_cmp, T_BOOL, OP_NOT, "not");
}

/* One left-associative boolean level: operand (op operand)*. */
static enum etype parse_logic(struct parser *p, enum tok kind, const char *name,
                              enum opcode code, enum etype (*operand)(struct parser *))
{
    enum etype l = operand(p);
    while (l != T_ERR && p->tok.kind == kind) {
        size_t at = p->tok.start;
        if (!advance(p))
            return T_ERR;
        enum etype r = operand(p);
        if (r == T_ERR)
            return T_ERR;
        if (l != T_BOOL || r != T_BOOL) {
            fail_at(p, at, "cannot apply \"%s\" to %s and %s", name, type_names[l],
                    type_names[r]);
            return T_ERR;
        }
        if (!emit(p, code, at))
            return T_ERR;
    }
    return l;
}

/* and := not ('and' not)* */
static enum etype parse_and(struct parser *p)
{
    return parse_logic(p, TK_AND, "and", OP_AND, parse_not);
}

/* or := and ('or' and)* */
static enum etype parse_or(struct parser *p)
{
    return parse_logic(p, TK_OR, "or", OP_OR, parse_and);
}

/*
 * Compile src (NUL-terminated; NULL reads as empty) against fields. Returns
 * the program, or NULL with err filled: TALLY_ESCHEMA and a message for any
 * error in the text, TALLY_ENOMEM when an allocation fails. Never reads past
 * the first EXPR_MAX_SOURCE + 1 bytes of src.
 */
struct tally_expr *tally_expr_compile(const char *src, const struct tally_field_def *fields,
                                      size_t nfields, struct tally_error *err)
{
    if (!src)
        src = "";
    size_t len = strnlen(src, EXPR_MAX_SOURCE + 1);
    if (len > EXPR_MAX_SOURCE) {
        tally_error_set(err, TALLY_ESCHEMA, "expression longer than %d bytes",
                        EXPR_MAX_SOURCE);
        return NULL;
    }
    struct tally_expr *e = calloc(1, sizeof *e);
    char *pool = malloc(len + 1);
    if (!e || !pool) {
        free(e);
        free(pool);
        tally_error_set(err, TALLY_ENOMEM, "out of memory");
        return NULL;
    }
    e->pool = pool;
    struct parser p = {
        .src = src, .len = len, .defs = fields, .ndefs = fields ? nfields : 0,
        .err = err, .out = e,
    };
    if (advance(&p)) {
        if (p.tok.kind == TK_END) {
            fail(&p, "empty expression");
        } else {
            enum etype t = parse_or(&p);
            if (t != T_ERR && p.tok.kind != TK_END)
                unexpected(&p);
            else if (t != T_ERR && t != T_BOOL)
                fail(&p, "expression is %s, not boolean", type_names[t]);
        }
    }
    if (p.failed) {
        tally_expr_free(e);
        return NULL;
    }
    if (p.pool_used == 0) {
        free(e->pool);
        e->pool = NULL;
    }
    return e;
}

/* ---- linear forms (the disclosure audit's relations) ------------------------------ */

/* One slot of the symbolic stack: a linear form, or a run of constraints
 * out[first .. first + n) (a comparison, or several joined by "and"). */
struct lin_slot {
    bool is_constraints;
    struct tally_linear form;   /* the form: terms and constant (equality unused) */
    size_t first, n;
};

static bool lin_add_term(struct tally_linear *f, size_t field, int64_t coef)
{
    for (size_t i = 0; i < f->nterms; i++)
        if (f->field[i] == field) {
            if (__builtin_add_overflow(f->coef[i], coef, &f->coef[i]))
                return false;
            if (f->coef[i] == 0) {      /* a - a: the term cancels */
                f->nterms--;
                f->field[i] = f->field[f->nterms];
                f->coef[i] = f->coef[f->nterms];
            }
            return true;
        }
    if (coef == 0)
        return true;
    if (f->nterms == TALLY_LINEAR_MAX_TERMS)
        return false;
    f->field[f->nterms] = field;
    f->coef[f->nterms++] = coef;
    return true;
}

/* a += k * b */
static bool lin_axpy(struct tally_linear *a, int64_t k, const struct tally_linear *b)
{
    int64_t c;
    if (__builtin_mul_overflow(k, b->constant, &c) ||
        __builtin_add_overflow(a->constant, c, &a->constant))
        return false;
    for (size_t i = 0; i < b->nterms; i++)
        if (__builtin_mul_overflow(k, b->coef[i], &c) || !lin_add_term(a, b->field[i], c))
            return false;
    return true;
}

size_t tally_expr_linear(const struct tally_expr *e, struct tally_linear *out, size_t max)
{
    struct lin_slot stack[EXPR_MAX_STACK];
    size_t sp = 0, nout = 0;
    for (size_t i = 0; i < e->nops; i++) {
        const struct op *op = &e->ops[i];
        struct lin_slot *a = sp >= 2 ? &stack[sp - 2] : NULL, *b = sp >= 1 ? &stack[sp - 1] : NULL;
        switch (op->code) {
        case OP_INT:
            if (sp == EXPR_MAX_STACK)
                return 0;
            stack[sp++] = (struct lin_slot){.form = {.constant = op->u.n}};
            break;
        case OP_NUM_FIELD: {
            size_t k = 0;
            while (k < e->nfields && e->fields[k] != op->u.field)
                k++;
            if (k == e->nfields || e->kinds[k] != TALLY_NUMBER || sp == EXPR_MAX_STACK)
                return 0;       /* a date or datetime field */
            stack[sp] = (struct lin_slot){0};
            lin_add_term(&stack[sp++].form, op->u.field, 1);
            break;
        }
        case OP_NEG: {
            if (!b || b->is_constraints)
                return 0;
            struct tally_linear f = {0};
            if (!lin_axpy(&f, -1, &b->form))
                return 0;
            b->form = f;
            break;
        }
        case OP_ADD:
        case OP_SUB:
            if (!a || a->is_constraints || b->is_constraints ||
                !lin_axpy(&a->form, op->code == OP_ADD ? 1 : -1, &b->form))
                return 0;
            sp--;
            break;
        case OP_MUL: {
            if (!a || a->is_constraints || b->is_constraints)
                return 0;
            const struct tally_linear *k = a->form.nterms == 0 ? &a->form : &b->form;
            const struct tally_linear *f = k == &a->form ? &b->form : &a->form;
            if (k->nterms != 0)
                return 0;       /* a product of two fields */
            struct tally_linear r = {0};
            if (!lin_axpy(&r, k->constant, f))
                return 0;
            a->form = r;
            sp--;
            break;
        }
        case OP_LT: case OP_LE: case OP_GT: case OP_GE: case OP_EQ: {
            if (!a || a->is_constraints || b->is_constraints || nout == max)
                return 0;
            /* l OP r as one form: l - r <= 0, r - l <= 0, or l - r == 0; a
             * strict inequality on integers gains 1 */
            struct tally_linear c = {0};
            bool flip = op->code == OP_GT || op->code == OP_GE;
            if (!lin_axpy(&c, 1, flip ? &b->form : &a->form) ||
                !lin_axpy(&c, -1, flip ? &a->form : &b->form))
                return 0;
            if ((op->code == OP_LT || op->code == OP_GT) &&
                __builtin_add_overflow(c.constant, 1, &c.constant))
                return 0;
            c.equality = op->code == OP_EQ;
            out[nout] = c;
            *a = (struct lin_slot){.is_constraints = true, .first = nout++, .n = 1};
            sp--;
            break;
        }
        case OP_AND:
            /* the operands' constraints were written one after the other */
            if (!a || !a->is_constraints || !b->is_constraints || a->first + a->n != b->first)
                return 0;
            a->n += b->n;
            sp--;
            break;
        default:
            return 0;           /* or, not, !=, text, days() */
        }
    }
    if (sp != 1 || !stack[0].is_constraints)
        return 0;
    /* a comparison of constants alone says nothing about the fields */
    size_t n = 0;
    for (size_t i = 0; i < nout; i++)
        if (out[i].nterms)
            out[n++] = out[i];
    return n;
}
