/* SPDX-License-Identifier: MIT */
/* The CycleGAN object, shared by its phases (cyclegan.c) and state I/O
 * (cyclegan_state.c). */
#ifndef GANCL_MODELS_CYCLEGAN_IMPL_H
#define GANCL_MODELS_CYCLEGAN_IMPL_H

#include "gancl/cyclegan.h"
#include "gancl/graph.h"
#include "gancl/optim.h"
#include "models/cyclegan_nets.h"

/* The reference ImagePool: up to `size` past fakes; once full, each query
 * returns, with probability 1/2, a stored image (replacing it by the new one). */
struct gc_image_pool {
    int size, count;
    int64_t elems;
    float *images;
    uint64_t rng; /* splitmix64 state, checkpointed */
};

struct gc_cyclegan {
    struct gc_cyclegan_config cfg;
    struct gc_device *dev;
    struct gc_graph *g;
    struct gc_cg_net GA, GB, DA, DB;
    struct gc_optim *o_ga, *o_gb, *o_da, *o_db;
    struct gc_tensor *real_a, *real_b, *fake_b, *fake_a, *pool_b, *pool_a, *real_b2, *real_a2;
    struct gc_tensor *loss_g, *loss_da, *loss_db, *parts[6]; /* G_A G_B cyc_A cyc_B idt_A idt_B */
    struct gc_tensor *gp_a, *gp_b; /* wgangp penalties (a constant 0 otherwise) */
    struct gc_tensor *tr_in_a, *tr_in_b, *tr_ab, *tr_ba;
    struct gc_plan *g_plan, *da_plan, *db_plan, *ab_plan, *ba_plan;
    struct gc_image_pool pool_fake_a, pool_fake_b;
    float *host_fake, *host_pooled;
    float h_parts[6], h_da, h_db, h_gp_a, h_gp_b;
};

#endif
