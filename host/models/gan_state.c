/* SPDX-License-Identifier: MIT */
/* Checkpoints of a GAN: parameters under their reference names
 * ("netG.main.0.weight"), optimizer moments ("optim.netG.exp_avg"), step
 * counts and random-stream counters, and the configuration as JSON in
 * __metadata__ so loading needs no architecture flags. safetensors files,
 * written atomically by gc_safetensors_save. */
#include <cjson/cJSON.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gancl/alloc.h"
#include "gancl/safetensors.h"
#include "graph/graph_impl.h"
#include "models/gan_impl.h"

#define MAX_ENTRIES 128
#define FORMAT "gan-cl-gan-1"

struct writer {
    struct gc_st_tensor t[MAX_ENTRIES];
    char *names[MAX_ENTRIES];
    float *bufs[MAX_ENTRIES];
    int n;
    struct gc_st_meta meta[64];
    char *meta_vals[64];
    int n_meta;
};

static void writer_free(struct writer *w)
{
    for (int i = 0; i < w->n; i++) {
        gc_free(w->names[i]);
        gc_free(w->bufs[i]);
    }
    for (int i = 0; i < w->n_meta; i++) gc_free(w->meta_vals[i]);
}

static float *add_tensor(struct writer *w, const char *name, int ndim, const int64_t *shape)
{
    if (w->n == MAX_ENTRIES) return NULL;
    int64_t n = 1;
    for (int d = 0; d < ndim; d++) n *= shape[d];
    float *buf = gc_malloc(sizeof(float) * (size_t)(n ? n : 1));
    char *nm = gc_strdup(name);
    if (!buf || !nm) {
        gc_free(buf);
        gc_free(nm);
        return NULL;
    }
    struct gc_st_tensor *t = &w->t[w->n];
    t->name = nm;
    t->dtype = GC_ST_F32;
    t->ndim = ndim;
    for (int d = 0; d < ndim; d++) t->shape[d] = shape[d];
    t->data = buf;
    t->nbytes = sizeof(float) * (size_t)n;
    w->names[w->n] = nm;
    w->bufs[w->n++] = buf;
    return buf;
}

static gc_status add_meta(struct writer *w, const char *key, const char *value)
{
    if (w->n_meta == 64) return gc_error(GC_LIMIT, "checkpoint: too much metadata");
    char *v = gc_strdup(value);
    if (!v) return gc_error(GC_NOMEM, "checkpoint: out of host memory");
    w->meta[w->n_meta] = (struct gc_st_meta){key, v};
    w->meta_vals[w->n_meta++] = v;
    return GC_OK;
}

static gc_status add_group(struct writer *w, struct gc_param_group *grp, struct gc_optim *o)
{
    char name[256];
    for (int i = 0; i < gc_param_group_count(grp); i++) {
        struct gc_tensor *p = gc_param_group_at(grp, i);
        snprintf(name, sizeof name, "%s.%s", gc_param_group_name(grp), gc_tensor_name(p));
        float *buf = add_tensor(w, name, p->ndim, p->shape);
        if (!buf) return gc_error(GC_NOMEM, "checkpoint: out of host memory");
        gc_status s = gc_param_read(p, buf);
        if (s != GC_OK) return s;
    }
    int64_t flat[1] = {gc_param_group_numel(grp)};
    for (int i = 0; i < (o ? gc_optim_state_count(o) : 0); i++) {
        snprintf(name, sizeof name, "optim.%s.%s", gc_param_group_name(grp),
                 gc_optim_state_name(o, i));
        float *buf = add_tensor(w, name, 1, flat);
        if (!buf) return gc_error(GC_NOMEM, "checkpoint: out of host memory");
        gc_status s = gc_optim_state_read(o, i, buf);
        if (s != GC_OK) return s;
    }
    return GC_OK;
}

static char *config_json(const struct gc_gan_config *c)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "model", c->model);
    cJSON_AddNumberToObject(o, "loss", c->loss);
    cJSON_AddNumberToObject(o, "image_size", c->image_size);
    cJSON_AddNumberToObject(o, "channels", c->channels);
    cJSON_AddNumberToObject(o, "nz", c->nz);
    cJSON_AddNumberToObject(o, "ngf", c->ngf);
    cJSON_AddNumberToObject(o, "ndf", c->ndf);
    cJSON_AddNumberToObject(o, "batch", c->batch);
    cJSON_AddNumberToObject(o, "n_critic", c->n_critic);
    cJSON_AddBoolToObject(o, "critic_bn", c->critic_bn);
    cJSON_AddBoolToObject(o, "critic_ln", c->critic_ln);
    cJSON_AddNumberToObject(o, "optim", c->optim);
    cJSON_AddNumberToObject(o, "lr", c->lr);
    cJSON_AddNumberToObject(o, "beta1", c->beta1);
    cJSON_AddNumberToObject(o, "beta2", c->beta2);
    cJSON_AddNumberToObject(o, "gp_lambda", c->gp_lambda);
    cJSON_AddNumberToObject(o, "clip", c->clip);
    char seed[32];
    snprintf(seed, sizeof seed, "%" PRIu64, c->seed);
    cJSON_AddStringToObject(o, "seed", seed);
    char *text = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    return text;
}

static gc_status add_counters(struct writer *w, const struct gc_gan *m)
{
    char v[4][32];
    snprintf(v[0], sizeof v[0], "%" PRId64, gc_optim_steps(m->od));
    snprintf(v[1], sizeof v[1], "%" PRId64, gc_optim_steps(m->og));
    snprintf(v[2], sizeof v[2], "%" PRIu64, gc_plan_rng_counter(m->d_plan));
    snprintf(v[3], sizeof v[3], "%" PRIu64, gc_plan_rng_counter(m->g_plan));
    static const char *keys[4] = {"optim.netD.steps", "optim.netG.steps", "rng.d_plan",
                                  "rng.g_plan"};
    gc_status s = GC_OK;
    for (int i = 0; i < 4 && s == GC_OK; i++) s = add_meta(w, keys[i], v[i]);
    return s;
}

gc_status gc_gan_save(struct gc_gan *m, const char *path, int n_meta, const char *const *keys,
                      const char *const *values)
{
    struct writer w;
    memset(&w, 0, sizeof w);
    char *cfg = config_json(&m->cfg);
    gc_status s = cfg ? add_meta(&w, "config", cfg) : gc_error(GC_NOMEM, "checkpoint: JSON");
    cJSON_free(cfg);
    if (s == GC_OK) s = add_meta(&w, "format", FORMAT);
    if (s == GC_OK) s = add_counters(&w, m);
    for (int i = 0; i < n_meta && s == GC_OK; i++) s = add_meta(&w, keys[i], values[i]);
    if (s == GC_OK) s = add_group(&w, m->G.group, m->og);
    if (s == GC_OK) s = add_group(&w, m->D.group, m->od);
    if (s == GC_OK) s = add_group(&w, m->G.buffers, NULL);
    if (s == GC_OK) s = add_group(&w, m->D.buffers, NULL);
    if (s == GC_OK) s = gc_safetensors_save(path, w.t, w.n, w.meta, w.n_meta);
    writer_free(&w);
    return s;
}

static gc_status load_group(struct gc_safetensors *st, struct gc_param_group *grp,
                            struct gc_optim *o, const char *path)
{
    char name[256];
    gc_status s = GC_OK;
    for (int i = 0; i < gc_param_group_count(grp) && s == GC_OK; i++) {
        struct gc_tensor *p = gc_param_group_at(grp, i);
        snprintf(name, sizeof name, "%s.%s", gc_param_group_name(grp), gc_tensor_name(p));
        float *buf = gc_malloc(sizeof(float) * (size_t)p->numel);
        s = buf ? gc_safetensors_read_f32(st, name, buf, p->ndim, p->shape)
                : gc_error(GC_NOMEM, "checkpoint: out of host memory");
        if (s == GC_OK) s = gc_param_write(p, buf);
        gc_free(buf);
    }
    int64_t flat[1] = {gc_param_group_numel(grp)};
    float *buf = gc_malloc(sizeof(float) * (size_t)flat[0]);
    for (int i = 0; i < (o ? gc_optim_state_count(o) : 0) && s == GC_OK; i++) {
        snprintf(name, sizeof name, "optim.%s.%s", gc_param_group_name(grp),
                 gc_optim_state_name(o, i));
        s = buf ? gc_safetensors_read_f32(st, name, buf, 1, flat)
                : gc_error(GC_NOMEM, "checkpoint: out of host memory");
        if (s == GC_OK) s = gc_optim_state_write(o, i, buf);
    }
    gc_free(buf);
    return s == GC_OK ? s : gc_error_context(s, "%s", path);
}

static gc_status meta_u64(struct gc_safetensors *st, const char *key, const char *path,
                          uint64_t *out)
{
    const char *v = gc_safetensors_meta_get(st, key);
    char *end = NULL;
    if (v) *out = strtoull(v, &end, 10);
    if (!v || !*v || *end)
        return gc_error(GC_FORMAT, "%s: checkpoint metadata '%s' missing or not a number", path,
                        key);
    return GC_OK;
}

static gc_status restore_counters(struct gc_safetensors *st, struct gc_gan *m, const char *path)
{
    uint64_t v[4];
    static const char *keys[4] = {"optim.netD.steps", "optim.netG.steps", "rng.d_plan",
                                  "rng.g_plan"};
    for (int i = 0; i < 4; i++) {
        gc_status s = meta_u64(st, keys[i], path, &v[i]);
        if (s != GC_OK) return s;
    }
    gc_optim_set_steps(m->od, (int64_t)v[0]);
    gc_optim_set_steps(m->og, (int64_t)v[1]);
    gc_plan_set_rng_counter(m->d_plan, v[2]);
    gc_plan_set_rng_counter(m->g_plan, v[3]);
    return GC_OK;
}

static int json_int(const cJSON *o, const char *k, int def)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    return cJSON_IsNumber(v) ? v->valueint : def;
}

static double json_num(const cJSON *o, const char *k)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    return cJSON_IsNumber(v) ? v->valuedouble : 0.0;
}

static gc_status parse_config(const char *text, const char *path, struct gc_gan_config *c)
{
    cJSON *o = text ? cJSON_Parse(text) : NULL;
    const cJSON *model = cJSON_GetObjectItemCaseSensitive(o, "model");
    const cJSON *seed = cJSON_GetObjectItemCaseSensitive(o, "seed");
    if (!cJSON_IsObject(o) || !cJSON_IsString(model) || !cJSON_IsString(seed)) {
        cJSON_Delete(o);
        return gc_error(GC_FORMAT, "%s: no valid gan-cl model configuration in the metadata",
                        path);
    }
    memset(c, 0, sizeof *c);
    snprintf(c->model, sizeof c->model, "%s", model->valuestring);
    c->loss = (enum gc_gan_loss)json_int(o, "loss", 0);
    c->image_size = json_int(o, "image_size", 0);
    c->channels = json_int(o, "channels", 0);
    c->nz = json_int(o, "nz", 0);
    c->ngf = json_int(o, "ngf", 0);
    c->ndf = json_int(o, "ndf", 0);
    c->batch = json_int(o, "batch", 0);
    c->n_critic = json_int(o, "n_critic", 1);
    c->critic_bn = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o, "critic_bn"));
    c->critic_ln = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o, "critic_ln"));
    c->optim = (enum gc_optim_kind)json_int(o, "optim", 0);
    c->lr = (float)json_num(o, "lr");
    c->beta1 = (float)json_num(o, "beta1");
    c->beta2 = (float)json_num(o, "beta2");
    c->gp_lambda = (float)json_num(o, "gp_lambda");
    c->clip = (float)json_num(o, "clip");
    c->seed = strtoull(seed->valuestring, NULL, 10);
    cJSON_Delete(o);
    return GC_OK;
}

static gc_status open_checkpoint(const char *path, struct gc_safetensors **st)
{
    gc_status s = gc_safetensors_load(st, path);
    if (s != GC_OK) return s;
    const char *fmt = gc_safetensors_meta_get(*st, "format");
    if (!fmt || strcmp(fmt, FORMAT) != 0) {
        gc_safetensors_destroy(*st);
        return gc_error(GC_FORMAT, "%s: not a gan-cl GAN checkpoint (format '%s')", path,
                        fmt ? fmt : "none");
    }
    return GC_OK;
}

gc_status gc_gan_config_read(const char *path, struct gc_gan_config *cfg)
{
    struct gc_safetensors *st;
    gc_status s = open_checkpoint(path, &st);
    if (s != GC_OK) return s;
    s = parse_config(gc_safetensors_meta_get(st, "config"), path, cfg);
    gc_safetensors_destroy(st);
    return s;
}

gc_status gc_gan_meta_read(const char *path, const char *key, char *buf, size_t size)
{
    struct gc_safetensors *st;
    gc_status s = open_checkpoint(path, &st);
    if (s != GC_OK) return s;
    const char *v = gc_safetensors_meta_get(st, key);
    snprintf(buf, size, "%s", v ? v : "");
    gc_safetensors_destroy(st);
    return GC_OK;
}

gc_status gc_gan_load(struct gc_gan *m, const char *path)
{
    struct gc_safetensors *st;
    gc_status s = open_checkpoint(path, &st);
    if (s != GC_OK) return s;
    struct gc_gan_config c;
    s = parse_config(gc_safetensors_meta_get(st, "config"), path, &c);
    if (s == GC_OK && (c.image_size != m->cfg.image_size || c.channels != m->cfg.channels ||
                       c.nz != m->cfg.nz || c.ngf != m->cfg.ngf || c.ndf != m->cfg.ndf ||
                       c.loss != m->cfg.loss || c.optim != m->cfg.optim))
        s = gc_error(GC_FORMAT, "%s: checkpoint of '%s' does not match the model being built",
                     path, c.model);
    if (s == GC_OK) s = load_group(st, m->G.group, m->og, path);
    if (s == GC_OK) s = load_group(st, m->D.group, m->od, path);
    if (s == GC_OK) s = load_group(st, m->G.buffers, NULL, path);
    if (s == GC_OK) s = load_group(st, m->D.buffers, NULL, path);
    if (s == GC_OK) s = restore_counters(st, m, path);
    gc_safetensors_destroy(st);
    return s;
}
