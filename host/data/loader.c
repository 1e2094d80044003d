/* SPDX-License-Identifier: MIT */
/* The loader (see gancl/loader.h). A ring of `prefetch` slots; batch number
 * q lives in slot q % prefetch. A worker claims the next batch number under
 * the lock only while its slot is free, copies the batch's item indices from
 * the current epoch order (so the order array is only touched under the
 * lock and only one epoch order is ever needed), decodes outside the lock
 * and marks the slot ready. The consumer takes batch numbers in sequence, so
 * delivery order never depends on which worker finished first. */
#include "gancl/loader.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "gancl/alloc.h"

enum { SLOT_FREE, SLOT_BUSY, SLOT_READY };

struct slot {
    int state;
    int64_t seq, epoch, pos;
    int64_t *index;
    float *a, *b;
    gc_status status;
    char msg[512];
};

struct gc_loader {
    const struct gc_dataset *ds;
    struct gc_loader_opts o;
    int c, h, w, ndom;
    size_t item;            /* floats per item */
    int64_t n;              /* dataset size */
    int64_t *order;         /* permutation of `epoch` */
    int64_t epoch, pos;     /* next batch to claim starts here */
    int64_t claimed, taken; /* batch numbers: next to claim, next to hand out */
    bool holding;           /* the consumer holds batch taken - 1 */
    gc_status failed;       /* sticky error seen by the consumer */
    char failed_msg[512];
    bool stop;
    struct slot *slots;
    pthread_t *threads;
    int nthreads;
    pthread_mutex_t mu;
    pthread_cond_t space, ready;
    double wait_s, decode_s;
    int64_t delivered;
};

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static void epoch_order(struct gc_loader *l)
{
    if (l->o.shuffle) {
        gc_dataset_permutation(l->order, l->n, l->o.seed * 1000003u + (uint64_t)l->epoch);
    } else {
        for (int64_t i = 0; i < l->n; i++) l->order[i] = i;
    }
}

/* Under the lock: the next batch's indices into slot s. */
static void claim(struct gc_loader *l, struct slot *s)
{
    if (l->pos + l->o.batch > l->n) { /* drop the last partial batch */
        l->epoch++;
        l->pos = 0;
        epoch_order(l);
    }
    s->seq = l->claimed++;
    s->epoch = l->epoch;
    memcpy(s->index, l->order + l->pos, sizeof(int64_t) * (size_t)l->o.batch);
    l->pos += l->o.batch;
    s->pos = l->pos;
    s->state = SLOT_BUSY;
}

static void fill(struct gc_loader *l, struct slot *s)
{
    s->status = GC_OK;
    s->msg[0] = 0;
    for (int i = 0; i < l->o.batch && s->status == GC_OK; i++) {
        s->status = gc_dataset_get(l->ds, s->index[i], l->o.seed, s->epoch,
                                   s->a + (size_t)i * l->item,
                                   s->b ? s->b + (size_t)i * l->item : NULL);
        if (s->status != GC_OK) snprintf(s->msg, sizeof s->msg, "%s", gc_last_error());
    }
}

static void *worker(void *arg)
{
    struct gc_loader *l = arg;
    pthread_mutex_lock(&l->mu);
    while (!l->stop) {
        struct slot *s = &l->slots[l->claimed % l->o.prefetch];
        if (s->state != SLOT_FREE) { /* batch claimed - prefetch is still queued or held */
            pthread_cond_wait(&l->space, &l->mu);
            continue;
        }
        claim(l, s);
        pthread_mutex_unlock(&l->mu);
        double t0 = now_s();
        fill(l, s);
        double dt = now_s() - t0;
        pthread_mutex_lock(&l->mu);
        l->decode_s += dt;
        s->state = SLOT_READY;
        pthread_cond_broadcast(&l->ready);
    }
    pthread_mutex_unlock(&l->mu);
    return NULL;
}

gc_status gc_loader_next(struct gc_loader *l, struct gc_batch *out)
{
    pthread_mutex_lock(&l->mu);
    if (l->holding) {
        l->slots[(l->taken - 1) % l->o.prefetch].state = SLOT_FREE;
        l->holding = false;
        pthread_cond_broadcast(&l->space);
    }
    if (l->failed != GC_OK) {
        gc_status f = l->failed;
        pthread_mutex_unlock(&l->mu);
        return gc_error(f, "%s", l->failed_msg);
    }
    struct slot *s = &l->slots[l->taken % l->o.prefetch];
    double t0 = now_s();
    while (!(s->state == SLOT_READY && s->seq == l->taken)) pthread_cond_wait(&l->ready, &l->mu);
    l->wait_s += now_s() - t0;
    l->taken++;
    l->holding = true;
    if (s->status != GC_OK) {
        l->failed = s->status;
        snprintf(l->failed_msg, sizeof l->failed_msg, "%s", s->msg);
        pthread_mutex_unlock(&l->mu);
        return gc_error(s->status, "%s", s->msg);
    }
    l->delivered++;
    *out = (struct gc_batch){s->a, s->b, l->o.batch, l->c, l->h, l->w, s->epoch, s->pos, s->index};
    pthread_mutex_unlock(&l->mu);
    return GC_OK;
}

void gc_loader_stats(struct gc_loader *l, struct gc_loader_stats *out)
{
    pthread_mutex_lock(&l->mu);
    *out = (struct gc_loader_stats){l->wait_s, l->decode_s, l->delivered};
    pthread_mutex_unlock(&l->mu);
}

static void free_all(struct gc_loader *l)
{
    for (int i = 0; l->slots && i < l->o.prefetch; i++) {
        gc_free(l->slots[i].index);
        gc_free(l->slots[i].a);
        gc_free(l->slots[i].b);
    }
    gc_free(l->slots);
    gc_free(l->threads);
    gc_free(l->order);
    gc_free(l);
}

void gc_loader_destroy(struct gc_loader *l)
{
    if (!l) return;
    pthread_mutex_lock(&l->mu);
    l->stop = true;
    pthread_cond_broadcast(&l->space);
    pthread_mutex_unlock(&l->mu);
    for (int i = 0; i < l->nthreads; i++) pthread_join(l->threads[i], NULL);
    pthread_cond_destroy(&l->space);
    pthread_cond_destroy(&l->ready);
    pthread_mutex_destroy(&l->mu);
    free_all(l);
}

gc_status gc_loader_create(struct gc_loader **out, const struct gc_dataset *ds,
                           const struct gc_loader_opts *opts)
{
    GC_ASSERT(out && ds && opts);
    int64_t n = gc_dataset_size(ds);
    if (opts->batch < 1 || opts->batch > n)
        return gc_error(GC_INVALID_ARG, "batch %d: the dataset has %lld items", opts->batch,
                        (long long)n);
    if (opts->threads < 1 || opts->threads > 256 || opts->prefetch < 0 || opts->prefetch > 1024 ||
        opts->epoch < 0 || opts->pos < 0 || opts->pos > n)
        return gc_error(GC_INVALID_ARG, "loader: threads %d, prefetch %d, epoch %lld, pos %lld out of range",
                        opts->threads, opts->prefetch, (long long)opts->epoch, (long long)opts->pos);
    struct gc_loader *l = gc_calloc(1, sizeof *l);
    if (!l) return gc_error(GC_NOMEM, "loader: out of host memory");
    l->ds = ds;
    l->o = *opts;
    if (l->o.prefetch == 0) l->o.prefetch = 2 * opts->threads + 1;
    gc_dataset_shape(ds, &l->c, &l->h, &l->w);
    l->ndom = gc_dataset_domains(ds);
    l->item = (size_t)l->c * (size_t)l->h * (size_t)l->w;
    l->n = n;
    l->epoch = opts->epoch;
    l->pos = opts->pos;
    l->order = gc_malloc(sizeof(int64_t) * (size_t)n);
    l->slots = gc_calloc((size_t)l->o.prefetch, sizeof *l->slots);
    l->threads = gc_calloc((size_t)opts->threads, sizeof *l->threads);
    bool ok = l->order && l->slots && l->threads;
    size_t bytes = sizeof(float) * l->item * (size_t)opts->batch;
    for (int i = 0; ok && i < l->o.prefetch; i++) {
        struct slot *s = &l->slots[i];
        s->index = gc_malloc(sizeof(int64_t) * (size_t)opts->batch);
        s->a = gc_malloc(bytes);
        s->b = l->ndom == 2 ? gc_malloc(bytes) : NULL;
        ok = s->index && s->a && (l->ndom == 1 || s->b);
    }
    if (!ok) {
        free_all(l);
        return gc_error(GC_NOMEM, "loader: out of host memory for %d batches of %zu bytes",
                        l->o.prefetch, bytes);
    }
    epoch_order(l);
    pthread_mutex_init(&l->mu, NULL);
    pthread_cond_init(&l->space, NULL);
    pthread_cond_init(&l->ready, NULL);
    for (int i = 0; i < opts->threads; i++) {
        if (pthread_create(&l->threads[i], NULL, worker, l) != 0) {
            gc_loader_destroy(l);
            return gc_error(GC_UNSUPPORTED, "loader: cannot start thread %d", i + 1);
        }
        l->nthreads++;
    }
    *out = l;
    return GC_OK;
}
