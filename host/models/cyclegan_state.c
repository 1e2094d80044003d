/* SPDX-License-Identifier: MIT */
/* CycleGAN checkpoints: the four networks under the reference names
 * (netG_A.model.1.weight ...), their Adam moments and steps, both image
 * pools with their random state, and the configuration as JSON. */
#include <cjson/cJSON.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gancl/alloc.h"
#include "models/cyclegan_impl.h"
#include "models/state_io.h"

#define FORMAT "gan-cl-cyclegan-1"

#define CG_FIELDS(X)                                                                               \
    X(input_nc) X(output_nc) X(size) X(ngf) X(ndf) X(n_blocks) X(n_layers_D) X(pool_size)         \
    X(n_epochs) X(n_epochs_decay)
#define CG_FLOATS(X) X(lr) X(beta1) X(beta2) X(lambda_A) X(lambda_B) X(lambda_identity)

static char *config_json(const struct gc_cyclegan_config *c)
{
    cJSON *o = cJSON_CreateObject();
    char seed[32];
    cJSON_AddStringToObject(o, "model", c->model);
#define ADD_(f) cJSON_AddNumberToObject(o, #f, c->f);
    CG_FIELDS(ADD_)
    CG_FLOATS(ADD_)
#undef ADD_
    snprintf(seed, sizeof seed, "%" PRIu64, c->seed);
    cJSON_AddStringToObject(o, "seed", seed);
    char *text = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    return text;
}

static gc_status parse_config(const char *text, const char *path, struct gc_cyclegan_config *c)
{
    cJSON *o = text ? cJSON_Parse(text) : NULL;
    const cJSON *model = cJSON_GetObjectItemCaseSensitive(o, "model");
    const cJSON *seed = cJSON_GetObjectItemCaseSensitive(o, "seed");
    bool ok = cJSON_IsObject(o) && cJSON_IsString(model) && cJSON_IsString(seed);
    memset(c, 0, sizeof *c);
#define GET_(f)                                                                                    \
    {                                                                                              \
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, #f);                                  \
        ok = ok && cJSON_IsNumber(v);                                                              \
        if (ok) c->f = (__typeof__(c->f))v->valuedouble;                                          \
    }
    CG_FIELDS(GET_)
    CG_FLOATS(GET_)
#undef GET_
    if (ok) {
        snprintf(c->model, sizeof c->model, "%s", model->valuestring);
        c->seed = strtoull(seed->valuestring, NULL, 10);
    }
    cJSON_Delete(o);
    return ok ? GC_OK : gc_error(GC_FORMAT, "%s: no valid CycleGAN configuration", path);
}

static gc_status save_pool(struct gc_state_writer *w, const struct gc_image_pool *p,
                           const char *name)
{
    char key[64];
    int64_t shape[2] = {p->count ? p->count : 1, p->elems};
    gc_status s = GC_OK;
    if (p->count) s = gc__sw_tensor(w, name, 2, shape, p->images);
    snprintf(key, sizeof key, "%s.count", name);
    if (s == GC_OK) s = gc__sw_meta_u64(w, key, (uint64_t)p->count);
    snprintf(key, sizeof key, "%s.rng", name);
    if (s == GC_OK) s = gc__sw_meta_u64(w, key, p->rng);
    return s;
}

gc_status gc_cyclegan_save(struct gc_cyclegan *m, const char *path, int n_meta,
                           const char *const *keys, const char *const *values)
{
    struct gc_state_writer w;
    gc__sw_init(&w);
    char *cfg = config_json(&m->cfg);
    gc_status s = cfg ? gc__sw_meta(&w, "config", cfg) : gc_error(GC_NOMEM, "checkpoint: JSON");
    cJSON_free(cfg);
    if (s == GC_OK) s = gc__sw_meta(&w, "format", FORMAT);
    for (int i = 0; i < n_meta && s == GC_OK; i++) s = gc__sw_meta(&w, keys[i], values[i]);
    struct gc_cg_net *nets[4] = {&m->GA, &m->GB, &m->DA, &m->DB};
    struct gc_optim *opts[4] = {m->o_ga, m->o_gb, m->o_da, m->o_db};
    for (int i = 0; i < 4 && s == GC_OK; i++) s = gc__sw_group(&w, nets[i]->group, opts[i]);
    if (s == GC_OK) s = save_pool(&w, &m->pool_fake_a, "pool.fake_A");
    if (s == GC_OK) s = save_pool(&w, &m->pool_fake_b, "pool.fake_B");
    if (s == GC_OK) s = gc__sw_save(&w, path);
    gc__sw_free(&w);
    return s;
}

static gc_status load_pool(struct gc_safetensors *st, struct gc_image_pool *p, const char *name,
                           const char *path)
{
    char key[64];
    uint64_t count, rng;
    snprintf(key, sizeof key, "%s.count", name);
    gc_status s = gc__sr_meta_u64(st, key, path, &count);
    snprintf(key, sizeof key, "%s.rng", name);
    if (s == GC_OK) s = gc__sr_meta_u64(st, key, path, &rng);
    if (s == GC_OK && count > (uint64_t)p->size)
        s = gc_error(GC_FORMAT, "%s: %s holds %" PRIu64 " images, the pool %d", path, name, count,
                     p->size);
    int64_t shape[2] = {(int64_t)count, p->elems};
    if (s == GC_OK && count) s = gc_safetensors_read_f32(st, name, p->images, 2, shape);
    if (s == GC_OK) {
        p->count = (int)count;
        p->rng = rng;
    }
    return s;
}

gc_status gc_cyclegan_config_read(const char *path, struct gc_cyclegan_config *cfg)
{
    struct gc_safetensors *st;
    gc_status s = gc__sr_open(path, FORMAT, &st);
    if (s != GC_OK) return s;
    s = parse_config(gc_safetensors_meta_get(st, "config"), path, cfg);
    gc_safetensors_destroy(st);
    return s;
}

gc_status gc_cyclegan_load(struct gc_cyclegan *m, const char *path)
{
    struct gc_safetensors *st;
    gc_status s = gc__sr_open(path, FORMAT, &st);
    if (s != GC_OK) return s;
    struct gc_cg_net *nets[4] = {&m->GA, &m->GB, &m->DA, &m->DB};
    struct gc_optim *opts[4] = {m->o_ga, m->o_gb, m->o_da, m->o_db};
    for (int i = 0; i < 4 && s == GC_OK; i++) s = gc__sr_group(st, nets[i]->group, opts[i], path);
    if (s == GC_OK) s = load_pool(st, &m->pool_fake_a, "pool.fake_A", path);
    if (s == GC_OK) s = load_pool(st, &m->pool_fake_b, "pool.fake_B", path);
    gc_safetensors_destroy(st);
    return s;
}

gc_status gc_cyclegan_load_weights(struct gc_cyclegan *m, const char *path)
{
    struct gc_safetensors *st;
    gc_status s = gc__sr_open(path, FORMAT, &st);
    if (s != GC_OK) return s;
    struct gc_cg_net *nets[4] = {&m->GA, &m->GB, &m->DA, &m->DB};
    for (int i = 0; i < 4 && s == GC_OK; i++) s = gc__sr_group(st, nets[i]->group, NULL, path);
    gc_safetensors_destroy(st);
    return s;
}
