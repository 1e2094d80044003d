/* SPDX-License-Identifier: MIT */
/* CycleGAN checkpoints: the four networks under the reference names
 * (netG_A.model.1.weight ...), their batch-norm statistics
 * (netG_A.buffers.model.2.running_mean ...), Adam moments and steps, both
 * image pools with their random state, the plans' random counters (dropout,
 * the penalty's interpolation) and the configuration as JSON. Checkpoints
 * from before netG/netD/norm/gan_mode/init_type were stored read as the
 * reference defaults (ResNet from n_blocks, basic, instance, lsgan, normal). */
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
    X(input_nc) X(output_nc) X(size) X(ngf) X(ndf) X(n_layers_D) X(pool_size) X(n_epochs)         \
    X(n_epochs_decay)
#define CG_FLOATS(X) X(lr) X(beta1) X(beta2) X(lambda_A) X(lambda_B) X(lambda_identity)
/* Added later: optional when reading (older checkpoints), with defaults. */
#define CG_ENUMS(X) X(netG) X(netD) X(norm) X(gan_mode) X(init_type)

static char *config_json(const struct gc_cyclegan_config *c)
{
    cJSON *o = cJSON_CreateObject();
    char seed[32];
    cJSON_AddStringToObject(o, "model", c->model);
#define ADD_(f) cJSON_AddNumberToObject(o, #f, c->f);
    CG_FIELDS(ADD_)
    CG_FLOATS(ADD_)
#undef ADD_
#define ADD_(f) cJSON_AddStringToObject(o, #f, gc_cyclegan_option_name(#f, (int)c->f));
    CG_ENUMS(ADD_)
#undef ADD_
    cJSON_AddNumberToObject(o, "init_gain", c->init_gain);
    cJSON_AddNumberToObject(o, "lambda_gp", c->lambda_gp);
    cJSON_AddBoolToObject(o, "use_dropout", c->use_dropout);
    snprintf(seed, sizeof seed, "%" PRIu64, c->seed);
    cJSON_AddStringToObject(o, "seed", seed);
    char *text = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    return text;
}

/* The fields added with the reference's model options; absent in older
 * checkpoints, which were ResNets (n_blocks) with the defaults. */
static bool parse_later_fields(const cJSON *o, struct gc_cyclegan_config *c)
{
    const cJSON *nb = cJSON_GetObjectItemCaseSensitive(o, "n_blocks");
    c->netG = cJSON_IsNumber(nb) && nb->valueint == 9 ? GC_CG_RESNET_9BLOCKS : GC_CG_RESNET_6BLOCKS;
    c->init_gain = 0.02f;
    c->lambda_gp = 10;
    bool ok = true;
#define GET_(f)                                                                                    \
    {                                                                                              \
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, #f);                                  \
        int e = cJSON_IsString(v) ? gc_cyclegan_option_parse(#f, v->valuestring) : 0;             \
        ok = ok && (!v || e >= 0);                                                                 \
        if (v && e >= 0) c->f = (__typeof__(c->f))e;                                              \
    }
    CG_ENUMS(GET_)
#undef GET_
    const cJSON *gain = cJSON_GetObjectItemCaseSensitive(o, "init_gain");
    const cJSON *lgp = cJSON_GetObjectItemCaseSensitive(o, "lambda_gp");
    const cJSON *drop = cJSON_GetObjectItemCaseSensitive(o, "use_dropout");
    if (cJSON_IsNumber(gain)) c->init_gain = (float)gain->valuedouble;
    if (cJSON_IsNumber(lgp)) c->lambda_gp = (float)lgp->valuedouble;
    c->use_dropout = cJSON_IsTrue(drop);
    return ok && (!gain || cJSON_IsNumber(gain)) && (!lgp || cJSON_IsNumber(lgp)) &&
           (!drop || cJSON_IsBool(drop));
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
    if (ok) ok = parse_later_fields(o, c);
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

static const char *const plan_keys[3] = {"rng.g_plan", "rng.da_plan", "rng.db_plan"};

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
    for (int i = 0; i < 4 && s == GC_OK; i++) s = gc__sw_group(&w, nets[i]->buffers, NULL);
    struct gc_plan *plans[3] = {m->g_plan, m->da_plan, m->db_plan};
    for (int i = 0; i < 3 && s == GC_OK; i++)
        s = gc__sw_meta_u64(&w, plan_keys[i], gc_plan_rng_counter(plans[i]));
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

/* Random counters: absent in checkpoints from before the plans drew numbers
 * (their runs had no dropout or penalty, so 0 is as good as any). */
static gc_status load_counters(struct gc_safetensors *st, struct gc_cyclegan *m, const char *path)
{
    struct gc_plan *plans[3] = {m->g_plan, m->da_plan, m->db_plan};
    gc_status s = GC_OK;
    for (int i = 0; i < 3 && s == GC_OK; i++) {
        uint64_t v = 0;
        if (gc_safetensors_meta_get(st, plan_keys[i]))
            s = gc__sr_meta_u64(st, plan_keys[i], path, &v);
        if (s == GC_OK) gc_plan_set_rng_counter(plans[i], v);
    }
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
    for (int i = 0; i < 4 && s == GC_OK; i++) s = gc__sr_group(st, nets[i]->buffers, NULL, path);
    if (s == GC_OK) s = load_counters(st, m, path);
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
    for (int i = 0; i < 4 && s == GC_OK; i++) s = gc__sr_group(st, nets[i]->buffers, NULL, path);
    gc_safetensors_destroy(st);
    return s;
}

gc_status gc_cyclegan_load_generator(struct gc_cyclegan *m, const char *path, bool a_to_b)
{
    struct gc_safetensors *st;
    gc_status s = gc__sr_open(path, FORMAT, &st);
    if (s != GC_OK) return s;
    const struct gc_cg_net *net = a_to_b ? &m->GA : &m->GB;
    char first[256];
    snprintf(first, sizeof first, "%s.%s", gc_param_group_name(net->group),
             gc_tensor_name(gc_param_group_at(net->group, 0)));
    if (!gc_safetensors_find(st, first)) {
        gc_safetensors_destroy(st);
        return gc_error(GC_NOT_FOUND, "%s holds no %s (a checkpoint converted from one "
                        "generator translates only in its direction: --direction %s)", path,
                        gc_param_group_name(net->group), a_to_b ? "BtoA" : "AtoB");
    }
    s = gc__sr_group(st, net->group, NULL, path);
    if (s == GC_OK) s = gc__sr_group(st, net->buffers, NULL, path);
    gc_safetensors_destroy(st);
    return s;
}
