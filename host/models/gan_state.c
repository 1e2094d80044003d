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
#include "models/state_io.h"

#define FORMAT "gan-cl-gan-1"

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

gc_status gc_gan_save(struct gc_gan *m, const char *path, int n_meta, const char *const *keys,
                      const char *const *values)
{
    struct gc_state_writer w;
    gc__sw_init(&w);
    char *cfg = config_json(&m->cfg);
    gc_status s = cfg ? gc__sw_meta(&w, "config", cfg) : gc_error(GC_NOMEM, "checkpoint: JSON");
    cJSON_free(cfg);
    if (s == GC_OK) s = gc__sw_meta(&w, "format", FORMAT);
    if (s == GC_OK) s = gc__sw_meta_u64(&w, "rng.d_plan", gc_plan_rng_counter(m->d_plan));
    if (s == GC_OK) s = gc__sw_meta_u64(&w, "rng.g_plan", gc_plan_rng_counter(m->g_plan));
    for (int i = 0; i < n_meta && s == GC_OK; i++) s = gc__sw_meta(&w, keys[i], values[i]);
    if (s == GC_OK) s = gc__sw_group(&w, m->G.group, m->og);
    if (s == GC_OK) s = gc__sw_group(&w, m->D.group, m->od);
    if (s == GC_OK) s = gc__sw_group(&w, m->G.buffers, NULL);
    if (s == GC_OK) s = gc__sw_group(&w, m->D.buffers, NULL);
    if (s == GC_OK) s = gc__sw_save(&w, path);
    gc__sw_free(&w);
    return s;
}

static gc_status restore_counters(struct gc_safetensors *st, struct gc_gan *m, const char *path)
{
    uint64_t d, g;
    gc_status s = gc__sr_meta_u64(st, "rng.d_plan", path, &d);
    if (s == GC_OK) s = gc__sr_meta_u64(st, "rng.g_plan", path, &g);
    if (s == GC_OK) {
        gc_plan_set_rng_counter(m->d_plan, d);
        gc_plan_set_rng_counter(m->g_plan, g);
    }
    return s;
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
    return gc__sr_open(path, FORMAT, st);
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
    if (s == GC_OK) s = gc__sr_group(st, m->G.group, m->og, path);
    if (s == GC_OK) s = gc__sr_group(st, m->D.group, m->od, path);
    if (s == GC_OK) s = gc__sr_group(st, m->G.buffers, NULL, path);
    if (s == GC_OK) s = gc__sr_group(st, m->D.buffers, NULL, path);
    if (s == GC_OK) s = restore_counters(st, m, path);
    gc_safetensors_destroy(st);
    return s;
}
