/* SPDX-License-Identifier: MIT */
/* The loader: background threads decode and preprocess dataset items into a
 * ring of host batches ahead of the training step.
 *
 * Order: batches follow (epoch, pos). Each epoch visits the items in the
 * order gc_dataset_permutation(seed * 1000003 + epoch) (identity when
 * !shuffle), batch after batch; a last partial batch is dropped (the epoch
 * advances when fewer than `batch` items remain). Which items a batch holds
 * and their random crops/flips are decided from (seed, epoch, pos) alone, so
 * the batches are the same for any number of threads and any timing; a run
 * restarted at a saved (epoch, pos) continues exactly where it stopped.
 *
 * Errors: a failed item (unreadable or corrupt file) fails its batch; the
 * consumer gets the status and the message (naming the file) from
 * gc_loader_next() when it reaches that batch, and from every call after. */
#ifndef GANCL_LOADER_H
#define GANCL_LOADER_H

#include <stdbool.h>
#include <stdint.h>

#include "gancl/dataset.h"
#include "gancl/status.h"

struct gc_loader_opts {
    int batch;        /* items per batch (>= 1, <= dataset size) */
    int threads;      /* decoding threads, >= 1 */
    int prefetch;     /* batches in the ring (ready or being filled), >= 1; 0: 2 * threads + 1 */
    uint64_t seed;
    bool shuffle;     /* false: items in dataset order (--serial_batches) */
    int64_t epoch;    /* where to start: the (epoch, pos) of a checkpoint, or 0, 0 */
    int64_t pos;
};

/* A batch, valid until the next gc_loader_next() or gc_loader_destroy(). */
struct gc_batch {
    const float *a;        /* (n, c, h, w) */
    const float *b;        /* (n, c, h, w), NULL for one domain */
    int n, c, h, w;
    int64_t epoch;         /* the epoch it belongs to */
    int64_t pos;           /* position after it in that epoch (what to save to resume) */
    const int64_t *index;  /* (n) dataset indices */
};

struct gc_loader_stats {
    double wait_s;      /* the consumer blocked in gc_loader_next */
    double decode_s;    /* worker time decoding + preprocessing, summed over threads */
    int64_t batches;    /* delivered */
};

struct gc_loader;

/* Starts the threads. `ds` must outlive the loader. */
gc_status gc_loader_create(struct gc_loader **out, const struct gc_dataset *ds,
                           const struct gc_loader_opts *opts);
/* Waits for the next batch (releasing the previous one). */
gc_status gc_loader_next(struct gc_loader *l, struct gc_batch *out);
void gc_loader_stats(struct gc_loader *l, struct gc_loader_stats *out);
/* Stops and joins the threads (a batch being decoded is finished first) and
 * frees everything. NULL is a no-op. */
void gc_loader_destroy(struct gc_loader *l);

#endif
