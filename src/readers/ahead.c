/*
 * readers/ahead.c — read ahead: any reader, on a second thread.
 *
 * Reading a return (parsing CSV, JSON or XML and finding where every value
 * is) and checking it (the validator, the writers) each take about half the
 * time, and the machine has more than one core. tally_read_ahead_open runs a
 * format's reader on a thread of its own, a few batches of records ahead of
 * the caller, and is itself a reader: the caller's loop does not change.
 *
 *   producer thread                       caller (next)
 *   ---------------                       -------------
 *   inner->next()  -> copy the record  |  take a full batch
 *   its diagnostics -> copied, kept     |  replay each record's diagnostics
 *     with the record they came before  |    into the real sink, in order,
 *   batch full: hand it over            |    then return the record
 *
 * Nothing the caller sees changes: the diagnostics reach the sink in the
 * same order, between the same records, as the inner reader would have sent
 * them with no thread at all; a failing status ends the records where it did.
 * Memory is bounded: NBATCH batches of at most BATCH_RECORDS records or
 * about BATCH_BYTES of copied text. A batch always takes at least one record,
 * but not all of the diagnostics before it: when they alone fill a batch (a
 * JSON submission with a million unknown keys), the batch is handed over with
 * them and no record, from inside the inner reader's next().
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "core/arena.h"
#include "core/grow.h"
#include "readers/copy.h"
#include "readers/readers.h"

#define NBATCH 4
#define BATCH_RECORDS 128
#define BATCH_BYTES (1u << 20)

/* One record and the diagnostics sent before it; or diagnostics alone; or,
 * last, the end. */
struct item {
    size_t diag_from, diag_to;  /* in the batch's diags */
    enum { ITEM_RECORD, ITEM_DIAGS, ITEM_END } kind;
    struct tally_record rec;    /* ITEM_RECORD */
};

struct batch {
    struct tally_arena arena;   /* copied text and field arrays */
    size_t bytes;               /* copied into arena */
    struct tally_diag *diags;
    size_t ndiags, diags_cap;
    struct item *items;         /* BATCH_RECORDS of them, allocated at open */
    size_t nitems;
    int status;                 /* of the end item: TALLY_DONE or a failure */
    struct tally_error err;
    uint64_t offset;            /* input bytes read when it was handed over */
};

struct ahead {
    struct tally_reader base;
    struct tally_reader *inner;
    struct batch batch[NBATCH];

    /* The producer's side: the batch it fills (only it touches these). */
    size_t fill;
    size_t pending_from;        /* its diagnostics not yet in an item start here */
    bool nomem;                 /* a diagnostic could not be copied */
    bool discard;               /* the caller stopped while the producer was inside next() */
    bool threaded;              /* the producer runs (not open): capture may hand over */

    /* The caller's side. */
    size_t take;                /* the batch being read, while reading */
    size_t next_item;           /* in it */
    bool taking;
    bool ended;
    uint64_t offset;

    /* Shared, under lock. */
    pthread_mutex_t lock;
    pthread_cond_t changed;
    size_t full;                /* batches handed over and not yet given back */
    bool stop;                  /* the caller closes: stop reading */
    atomic_bool stopping;       /* the same, for the producer between records */
    bool started;
    pthread_t thread;
};

/* ---- copying (producer) ------------------------------------------------------- */

static bool hand_over(struct ahead *a, bool last);
static struct item *new_item(struct batch *b, size_t diag_from);

/* The inner reader's sink: keep a copy of the diagnostic in the batch being
 * filled; when diagnostics have filled it, hand it over without a record. */
static void capture(void *ctx, const struct tally_diag *d)
{
    struct ahead *a = ctx;
    if (a->discard)
        return;
    struct batch *b = &a->batch[a->fill];
    if (a->threaded && b->bytes >= BATCH_BYTES && b->ndiags > a->pending_from) {
        struct item *it = new_item(b, a->pending_from);
        it->kind = ITEM_DIAGS;
        it->diag_to = b->ndiags;
        if (!hand_over(a, false)) {
            a->discard = true;
            return;
        }
        b = &a->batch[a->fill];
    }
    if (tally_grow((void **)&b->diags, &b->diags_cap, b->ndiags, sizeof *b->diags, 16) !=
        TALLY_OK) {
        a->nomem = true;
        return;
    }
    if (!tally_copy_diag(&b->arena, &b->diags[b->ndiags], d, &b->bytes)) {
        a->nomem = true;
        return;
    }
    b->ndiags++;
}

/* A batch holds at most BATCH_RECORDS items: records, then perhaps diagnostics
 * alone or the end. (fill_batch stops at BATCH_RECORDS - 1 items, so that the
 * inner reader's next() always has room for one more.) */
static struct item *new_item(struct batch *b, size_t diag_from)
{
    struct item *it = &b->items[b->nitems++];
    *it = (struct item){.diag_from = diag_from};
    return it;
}

enum fill { FILL_FULL, FILL_END, FILL_STOPPED };

/* Read records into the batch being filled until it is full (FILL_FULL) or the
 * input ends (FILL_END). FILL_STOPPED: the caller left while a batch of
 * diagnostics alone was being handed over. */
static enum fill fill_batch(struct ahead *a)
{
    for (;;) {
        struct tally_record *rec = NULL;
        struct tally_error err;     /* set when rc is a failure; large: not cleared per record */
        int rc = a->inner->ops->next(a->inner, &rec, &err);
        if (a->discard)
            return FILL_STOPPED;
        struct batch *b = &a->batch[a->fill];   /* capture may have moved on to another */
        struct item *it = new_item(b, a->pending_from);
        if ((rc == TALLY_RECORD || rc == TALLY_DONE) &&
            (a->nomem || (rc == TALLY_RECORD && !tally_copy_record(&b->arena, &it->rec, rec, &b->bytes))))
            rc = tally_error_set(&err, TALLY_ENOMEM, "out of memory");
        it->diag_to = a->pending_from = b->ndiags;
        if (rc != TALLY_RECORD) {
            it->kind = ITEM_END;
            b->status = rc;
            if (rc != TALLY_DONE)
                b->err = err;
            return FILL_END;
        }
        if (b->nitems >= BATCH_RECORDS - 1 || b->bytes >= BATCH_BYTES ||
            atomic_load_explicit(&a->stopping, memory_order_relaxed))
            return FILL_FULL;
    }
}

static void reset_batch(struct batch *b)
{
    tally_arena_reset(&b->arena);
    b->bytes = 0;
    b->ndiags = b->nitems = 0;
}


/* Hand the batch being filled to the caller and, unless it was the last or
 * the caller is closing, start filling the next free one (waiting for one
 * when all are full). False when there is no next one to fill. */
static bool hand_over(struct ahead *a, bool last)
{
    pthread_mutex_lock(&a->lock);
    a->batch[a->fill].offset = tally_input_offset(a->base.in);
    a->full++;
    pthread_cond_broadcast(&a->changed);
    while (!last && !a->stop && a->full == NBATCH)
        pthread_cond_wait(&a->changed, &a->lock);
    bool stop = a->stop;
    pthread_mutex_unlock(&a->lock);
    if (last || stop)
        return false;
    a->fill = (a->fill + 1) % NBATCH;
    reset_batch(&a->batch[a->fill]);
    a->pending_from = 0;    /* the new batch's diagnostics start at 0 */
    return true;
}

static void *produce(void *arg)
{
    struct ahead *a = arg;
    for (;;) {
        enum fill f = fill_batch(a);
        if (f == FILL_STOPPED || !hand_over(a, f == FILL_END))
            return NULL;
    }
}

/* ---- the reader interface (caller) ---------------------------------------------- */

/* The next item, from the batch being read or, when it is done, the next
 * full one (waiting for it; giving the finished one back). */
static struct item *take_item(struct ahead *a, struct batch **bp)
{
    struct batch *b = &a->batch[a->take];
    if (!a->taking || a->next_item == b->nitems) {
        pthread_mutex_lock(&a->lock);
        if (a->taking) {    /* give the batch back */
            a->full--;
            a->take = (a->take + 1) % NBATCH;
            pthread_cond_broadcast(&a->changed);
        }
        while (a->full == 0)
            pthread_cond_wait(&a->changed, &a->lock);
        pthread_mutex_unlock(&a->lock);
        a->taking = true;
        a->next_item = 0;
        b = &a->batch[a->take];
        a->offset = b->offset;
    }
    *bp = b;
    return &b->items[a->next_item++];
}

static int ahead_next(struct tally_reader *r, struct tally_record **out, struct tally_error *err)
{
    struct ahead *a = (struct ahead *)r;
    if (a->ended)
        return tally_error_set(err, TALLY_EINVAL, "read past the end");
    const struct tally_diag_sink *sink = &a->base.cfg.sink;
    struct batch *b;
    struct item *it;
    do {
        it = take_item(a, &b);
        for (size_t i = it->diag_from; i < it->diag_to; i++)
            sink->emit(sink->ctx, &b->diags[i]);
    } while (it->kind == ITEM_DIAGS);
    if (it->kind == ITEM_END) {
        a->ended = true;
        if (b->status != TALLY_DONE)
            *err = b->err;
        return b->status;
    }
    a->base.records++;
    *out = &it->rec;
    return TALLY_RECORD;
}

static void ahead_close(struct tally_reader *r)
{
    struct ahead *a = (struct ahead *)r;
    if (!a)
        return;
    if (a->started) {
        atomic_store(&a->stopping, true);
        pthread_mutex_lock(&a->lock);
        a->stop = true;
        pthread_cond_broadcast(&a->changed);
        pthread_mutex_unlock(&a->lock);
        pthread_join(a->thread, NULL);
    }
    pthread_cond_destroy(&a->changed);
    pthread_mutex_destroy(&a->lock);
    if (a->inner)
        a->inner->ops->close(a->inner);
    for (size_t i = 0; i < NBATCH; i++) {
        tally_arena_fini(&a->batch[i].arena);
        free(a->batch[i].diags);
        free(a->batch[i].items);
    }
    free(a);
}

static const struct tally_reader_ops ahead_ops = {
    .name = "read-ahead",
    .next = ahead_next,
    .close = ahead_close,
};

int tally_read_ahead_open(struct tally_reader **out, const struct tally_reader_ops *ops,
                          struct tally_input *in, const struct tally_reader_config *cfg,
                          struct tally_error *err)
{
    struct ahead *a = calloc(1, sizeof *a);
    if (!a)
        return tally_error_set(err, TALLY_ENOMEM, "out of memory");
    if (pthread_mutex_init(&a->lock, NULL) != 0) {
        free(a);
        return tally_error_set(err, TALLY_ENOMEM, "out of memory");
    }
    if (pthread_cond_init(&a->changed, NULL) != 0) {
        pthread_mutex_destroy(&a->lock);
        free(a);
        return tally_error_set(err, TALLY_ENOMEM, "out of memory");
    }
    atomic_init(&a->stopping, false);
    for (size_t i = 0; i < NBATCH; i++)
        if (!(a->batch[i].items = malloc(BATCH_RECORDS * sizeof *a->batch[i].items))) {
            ahead_close(&a->base);
            return tally_error_set(err, TALLY_ENOMEM, "out of memory");
        }
    a->base.ops = &ahead_ops;
    a->base.in = in;
    a->base.cfg = *cfg;
    /* The inner reader's diagnostics, from open on, wait in the batches. */
    struct tally_reader_config inner = *cfg;
    inner.sink = (struct tally_diag_sink){capture, a};
    int rc = ops->open(&a->inner, in, &inner, err);
    if (rc != TALLY_OK) {
        /* What the reader said before it gave up is still said. */
        const struct batch *b = &a->batch[0];
        for (size_t i = 0; i < b->ndiags; i++)
            cfg->sink.emit(cfg->sink.ctx, &b->diags[i]);
        a->inner = NULL;
        ahead_close(&a->base);
        return rc;
    }
    a->threaded = true;
    if (pthread_create(&a->thread, NULL, produce, a) != 0) {
        ahead_close(&a->base);
        return tally_error_set(err, TALLY_ENOMEM, "cannot start a thread to read ahead");
    }
    a->started = true;
    *out = &a->base;
    return TALLY_OK;
}

uint64_t tally_read_ahead_offset(const struct tally_reader *r)
{
    return ((const struct ahead *)r)->offset;
}
