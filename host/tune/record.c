/* SPDX-License-Identifier: MIT */
/* The tuning record: entries in memory, their JSON file (read, written atomically), the
 * source hashes that invalidate entries of a changed kernel.
 *
 * File layout:
 *   {"format": "gan-cl tuning record 1",
 *    "device": {"key", "name", "vendor_id", "type", "driver", "platform_version"},
 *    "entries": [{"kernel": "gemm", "shape": {"ta", "tb", "m", "n", "k", "batch"},
 *                 "layout": {"lda", "ldb", "ldc", "stride_a", "stride_b", "stride_c"} (the
 *                 descriptor it was measured with; absent in older records),
 *                 "outcome": "best"|"wrong"|..., "params": {"impl": "gemm_cpu", "GEMM_MR": 24, ...},
 *                 (CLBlast: {"impl": "clblast"} for its defaults, or with "Xgemm": {"MWG": 64, ...},
 *                  "XgemmDirect": {"WGD": 32, ...}, "GemmRoutine": {"XGEMM_MIN_INDIRECT_SIZE": 0}),
 *                 "median_s", "min_s", "gflops", "error", "default_s", "evals",
 *                 "source_hash": "hex", "date": "2024-..."}]}
 * Kernel "gemm" entries are a shape's candidates (one "best"); kernel "clblast" entries report
 * CLBlast alone per shape: its defaults' time (default_s) beside its best override's.
 * Entries of "kind": "op" are candidates of gan-cl's own other kernels (absent: a GEMM entry):
 *   {"kind": "op", "kernel": "sum_to", "shape": "sum_to (64,128,16,16)->(1,128,1,1)",
 *    "outcome", "params": {"RED_WG": 64, "RED_RWG": 16}, "median_s", "min_s", "error",
 *    "default_s", "evals", "source_hash" (cl/common.cl + the op's program), "date"}
 * (an older gan-cl skips them: their "shape" is not an object). */
#include <cjson/cJSON.h>
#include <clblast_c.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cl/cache.h"
#include "gancl/alloc.h"
#include "train/optim_impl.h"
#include "tune/tune_impl.h"

static const char *const outcome_names[GC_TUNE_OUTCOME_COUNT] = {
    "best", "wrong", "build_failed", "failed", "crashed", "hung", "pending"};

const char *gc__tune_outcome_name(enum gc_tune_outcome o)
{
    return o >= 0 && o < GC_TUNE_OUTCOME_COUNT ? outcome_names[o] : "?";
}

void gc__tune_record_init(struct gc_tune_record *r, const struct gc_device_info *info)
{
    memset(r, 0, sizeof *r);
    if (!info) return;
    gc_device_key(info, r->key, sizeof r->key);
    snprintf(r->name, sizeof r->name, "%s", info->name);
    snprintf(r->driver, sizeof r->driver, "%s", info->driver_version);
    snprintf(r->platform_version, sizeof r->platform_version, "%s", info->platform_version);
    r->vendor_id = info->vendor_id;
    r->type = info->type;
}

void gc__tune_record_free(struct gc_tune_record *r)
{
    if (!r) return;
    gc_free(r->e);
    r->e = NULL;
    r->n = r->cap = 0;
}

gc_status gc__tune_record_add(struct gc_tune_record *r, const struct gc_tune_entry *e)
{
    if (r->n == r->cap) {
        int cap = r->cap ? 2 * r->cap : 32;
        struct gc_tune_entry *ne = gc_realloc(r->e, sizeof *ne * (size_t)cap);
        if (!ne) return gc_error(GC_NOMEM, "tuning record: out of host memory");
        r->e = ne;
        r->cap = cap;
    }
    r->e[r->n++] = *e;
    return GC_OK;
}

void gc__tune_shape_of(const struct gc_gemm_desc *d, struct gc_tune_shape *s)
{
    *s = (struct gc_tune_shape){d->ta, d->tb, d->m, d->n, d->k, d->batch > 1 ? d->batch : 1};
}

void gc__tune_layout_of(const struct gc_gemm_desc *d, struct gc_tune_layout *l)
{
    bool batched = d->batch > 1;
    *l = (struct gc_tune_layout){d->lda, d->ldb, d->ldc, batched ? d->stride_a : 0,
                                 batched ? d->stride_b : 0, batched ? d->stride_c : 0};
}

bool gc__tune_shape_eq(const struct gc_tune_shape *a, const struct gc_tune_shape *b)
{
    return a->ta == b->ta && a->tb == b->tb && a->m == b->m && a->n == b->n && a->k == b->k &&
           a->batch == b->batch;
}

bool gc__tune_config_eq(const struct gc_gemm_config *a, const struct gc_gemm_config *b)
{
    if (a->impl != b->impl) return false;
    if (a->impl == GC_GEMM_CLBLAST)
        return a->clblast_strided_batched == b->clblast_strided_batched && gc__clblast_params_eq(&a->clb, &b->clb);
    for (int i = 0; i < gc__gemm_tunable_count; i++) {
        const struct gc_gemm_tunable *t = &gc__gemm_tunables[i];
        if (t->impl != a->impl) continue;
        if (*gc__gemm_tunable_field((struct gc_gemm_config *)a, t) !=
            *gc__gemm_tunable_field((struct gc_gemm_config *)b, t))
            return false;
    }
    return true;
}

/* Entries of kernel "gemm" (the shape's candidates); "clblast" entries only report. */
static bool is_gemm(const struct gc_tune_entry *e) { return !e->is_op && !strcmp(e->kernel, "gemm"); }

bool gc__tune_op_tunables(const char *kernel, const struct gc_tunable **t, int *n,
                          unsigned *untuned, const char **program)
{
    for (int k = GC_OPTIM_SGD; k <= GC_OPTIM_RMSPROP; k++)
        if (!strcmp(kernel, gc__optim_kernel_name((enum gc_optim_kind)k))) {
            *t = gc__optim_tunables;
            *n = GC_OPTIM_TUNABLES;
            *untuned = 0;
            *program = "optim";
            return true;
        }
    for (int op = 0; op < GC_OP_COUNT; op++) {
        const struct gc_op_desc *d = gc__op_descs[op];
        if (strcmp(d->name, kernel) || !gc__op_tunable(d)) continue;
        *t = d->tunables;
        *n = d->n_tunables;
        *untuned = d->untuned;
        *program = d->program;
        return true;
    }
    return false;
}

uint64_t gc__tune_op_source_hash(const char *kernel)
{
    const struct gc_tunable *t;
    int n;
    unsigned untuned;
    const char *program = NULL;
    uint64_t h = gc__fnv1a64(GC_TUNE_FORMAT, strlen(GC_TUNE_FORMAT), GC_FNV_INIT);
    if (!gc__tune_op_tunables(kernel, &t, &n, &untuned, &program)) return 0;
    const char *progs[2] = {"common", program};
    for (int i = 0; i < 2; i++) {
        size_t len = 0;
        const char *src = gc__kernel_source_find(progs[i], &len);
        if (src) h = gc__fnv1a64(src, len, h);
    }
    return h;
}

int gc__tune_record_find_op(const struct gc_tune_record *r, const char *key, const int *tv)
{
    for (int i = 0; i < r->n; i++)
        if (r->e[i].is_op && !strcmp(r->e[i].key, key) && !memcmp(r->e[i].tv, tv, sizeof r->e[i].tv))
            return i;
    return -1;
}

int gc__tune_record_best_op(const struct gc_tune_record *r, const char *key)
{
    for (int i = 0; i < r->n; i++)
        if (r->e[i].is_op && r->e[i].outcome == GC_TUNE_BEST && !strcmp(r->e[i].key, key) &&
            gc__tune_entry_current(&r->e[i]))
            return i;
    return -1;
}

void gc__tune_op_params_str(const char *kernel, const int *tv, char *buf, size_t size)
{
    const struct gc_tunable *t;
    int n = 0;
    unsigned untuned;
    const char *program;
    size_t len = 0;
    buf[0] = '\0';
    if (!gc__tune_op_tunables(kernel, &t, &n, &untuned, &program)) return;
    for (int i = 0; i < n && len < size; i++)
        if (!(untuned >> i & 1))
            len += (size_t)snprintf(buf + len, size - len, "%s%s=%d", len ? " " : "", t[i].name, tv[i]);
}

int gc__tune_record_find(const struct gc_tune_record *r, const struct gc_tune_shape *s,
                         const struct gc_gemm_config *cfg)
{
    for (int i = 0; i < r->n; i++)
        if (is_gemm(&r->e[i]) && gc__tune_shape_eq(&r->e[i].shape, s) && gc__tune_config_eq(&r->e[i].cfg, cfg))
            return i;
    return -1;
}

int gc__tune_record_best(const struct gc_tune_record *r, const struct gc_tune_shape *s)
{
    for (int i = 0; i < r->n; i++)
        if (is_gemm(&r->e[i]) && r->e[i].outcome == GC_TUNE_BEST && gc__tune_shape_eq(&r->e[i].shape, s) &&
            gc__tune_entry_current(&r->e[i]))
            return i;
    return -1;
}

int gc__tune_record_clblast(const struct gc_tune_record *r, const struct gc_tune_shape *s)
{
    for (int i = 0; i < r->n; i++)
        if (!strcmp(r->e[i].kernel, "clblast") && gc__tune_shape_eq(&r->e[i].shape, s) &&
            gc__tune_entry_current(&r->e[i]))
            return i;
    return -1;
}

uint64_t gc__tune_source_hash(enum gc_gemm_impl impl)
{
    uint64_t h = gc__fnv1a64(GC_TUNE_FORMAT, strlen(GC_TUNE_FORMAT), GC_FNV_INIT);
    if (impl == GC_GEMM_CLBLAST) {
        char v[64];
        int n = snprintf(v, sizeof v, "clblast %d.%d.%d", CLBLAST_VERSION_MAJOR,
                         CLBLAST_VERSION_MINOR, CLBLAST_VERSION_PATCH);
        return gc__fnv1a64(v, (size_t)n, h);
    }
    size_t n = 0;
    const char *src = gc__kernel_source_find("common", &n);
    if (src) h = gc__fnv1a64(src, n, h);
    src = gc__kernel_source_find(impl == GC_GEMM_OWN_THIN ? "gemm_thin" : "gemm", &n);
    if (src) h = gc__fnv1a64(src, n, h);
    return h;
}

bool gc__tune_entry_current(const struct gc_tune_entry *e)
{
    if (e->is_op) return e->source_hash == gc__tune_op_source_hash(e->kernel);
    return e->source_hash == gc__tune_source_hash(e->cfg.impl);
}

static void clblast_str(const struct gc_clblast_params *p, char *buf, size_t size)
{
    size_t len = 0;
    bool indirect = p->min_indirect == GC_CLB_FORCE_INDIRECT, direct = p->min_indirect >= GC_CLB_FORCE_DIRECT;
    if (!indirect && !direct) len += (size_t)snprintf(buf, size, " MIN_INDIRECT=%d", p->min_indirect);
    else len += (size_t)snprintf(buf, size, " %s", direct ? "direct" : "indirect");
    /* The kernel a forced path never runs keeps the device defaults: not shown. */
    for (int i = 0; i < GC_CLB_XGEMM_COUNT && !direct && len < size; i++)
        len += (size_t)snprintf(buf + len, size - len, " %s=%d", gc__clb_xgemm_names[i], p->xgemm[i]);
    for (int i = 0; i < GC_CLB_DIRECT_COUNT && !indirect && len < size; i++)
        len += (size_t)snprintf(buf + len, size - len, " %s=%d", gc__clb_direct_names[i], p->direct[i]);
}

void gc__tune_config_str(const struct gc_gemm_config *cfg, char *buf, size_t size)
{
    size_t len = (size_t)snprintf(buf, size, "%s", gc__gemm_impl_name(cfg->impl));
    if (cfg->impl == GC_GEMM_CLBLAST && cfg->clb.set && len < size) clblast_str(&cfg->clb, buf + len, size - len);
    for (int i = 0; i < gc__gemm_tunable_count && len < size; i++) {
        const struct gc_gemm_tunable *t = &gc__gemm_tunables[i];
        if (t->impl != cfg->impl) continue;
        len += (size_t)snprintf(buf + len, size - len, " %s=%d", t->name + 5,
                                *gc__gemm_tunable_field((struct gc_gemm_config *)cfg, t));
    }
}

void gc__tune_shape_str(const struct gc_tune_shape *s, char *buf, size_t size)
{
    snprintf(buf, size, "%c%c %lldx%lldx%lld b%lld", s->ta ? 'T' : 'N', s->tb ? 'T' : 'N',
             (long long)s->m, (long long)s->n, (long long)s->k, (long long)s->batch);
}

void gc__tune_now_iso(char *buf, size_t size)
{
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* ---- JSON ---- */

static cJSON *int_object(int n, const char *const *names, const int *values)
{
    cJSON *o = cJSON_CreateObject();
    for (int i = 0; i < n; i++) cJSON_AddNumberToObject(o, names[i], values[i]);
    return o;
}

static cJSON *config_json(const struct gc_gemm_config *cfg)
{
    cJSON *p = cJSON_CreateObject();
    cJSON_AddStringToObject(p, "impl", gc__gemm_impl_name(cfg->impl));
    if (cfg->impl == GC_GEMM_CLBLAST && cfg->clb.set) {
        /* Named as CLBlastOverrideParameters takes them: kernel -> {parameter: value}. */
        static const char *const routine[] = {"XGEMM_MIN_INDIRECT_SIZE"};
        cJSON_AddItemToObject(p, "Xgemm", int_object(GC_CLB_XGEMM_COUNT, gc__clb_xgemm_names, cfg->clb.xgemm));
        cJSON_AddItemToObject(p, "XgemmDirect",
                              int_object(GC_CLB_DIRECT_COUNT, gc__clb_direct_names, cfg->clb.direct));
        cJSON_AddItemToObject(p, "GemmRoutine", int_object(1, routine, &cfg->clb.min_indirect));
    }
    for (int i = 0; i < gc__gemm_tunable_count; i++) {
        const struct gc_gemm_tunable *t = &gc__gemm_tunables[i];
        if (t->impl == cfg->impl)
            cJSON_AddNumberToObject(p, t->name, *gc__gemm_tunable_field((struct gc_gemm_config *)cfg, t));
    }
    return p;
}

/* Kind "op": the shape key string and the tunables by name. */
static cJSON *op_entry_json(const struct gc_tune_entry *e)
{
    cJSON *o = cJSON_CreateObject(), *p = cJSON_CreateObject();
    const struct gc_tunable *t;
    int n = 0;
    unsigned untuned;
    const char *program;
    char hash[24];
    cJSON_AddStringToObject(o, "kind", "op");
    cJSON_AddStringToObject(o, "kernel", e->kernel);
    cJSON_AddStringToObject(o, "shape", e->key);
    cJSON_AddStringToObject(o, "outcome", gc__tune_outcome_name(e->outcome));
    if (gc__tune_op_tunables(e->kernel, &t, &n, &untuned, &program))
        for (int i = 0; i < n; i++) cJSON_AddNumberToObject(p, t[i].name, e->tv[i]);
    cJSON_AddItemToObject(o, "params", p);
    cJSON_AddNumberToObject(o, "median_s", e->median_s);
    cJSON_AddNumberToObject(o, "min_s", e->min_s);
    cJSON_AddNumberToObject(o, "error", e->error);
    cJSON_AddNumberToObject(o, "default_s", e->default_s);
    cJSON_AddNumberToObject(o, "evals", e->evals);
    snprintf(hash, sizeof hash, "%016llx", (unsigned long long)e->source_hash);
    cJSON_AddStringToObject(o, "source_hash", hash);
    cJSON_AddStringToObject(o, "date", e->date);
    return o;
}

static cJSON *entry_json(const struct gc_tune_entry *e)
{
    if (e->is_op) return op_entry_json(e);
    cJSON *o = cJSON_CreateObject(), *s = cJSON_CreateObject();
    char hash[24];
    cJSON_AddStringToObject(o, "kernel", e->kernel);
    cJSON_AddBoolToObject(s, "ta", e->shape.ta);
    cJSON_AddBoolToObject(s, "tb", e->shape.tb);
    cJSON_AddNumberToObject(s, "m", (double)e->shape.m);
    cJSON_AddNumberToObject(s, "n", (double)e->shape.n);
    cJSON_AddNumberToObject(s, "k", (double)e->shape.k);
    cJSON_AddNumberToObject(s, "batch", (double)e->shape.batch);
    cJSON_AddItemToObject(o, "shape", s);
    if (e->layout.ldc > 0) {
        const struct gc_tune_layout *l = &e->layout;
        cJSON *y = cJSON_CreateObject();
        cJSON_AddNumberToObject(y, "lda", (double)l->lda);
        cJSON_AddNumberToObject(y, "ldb", (double)l->ldb);
        cJSON_AddNumberToObject(y, "ldc", (double)l->ldc);
        cJSON_AddNumberToObject(y, "stride_a", (double)l->stride_a);
        cJSON_AddNumberToObject(y, "stride_b", (double)l->stride_b);
        cJSON_AddNumberToObject(y, "stride_c", (double)l->stride_c);
        cJSON_AddItemToObject(o, "layout", y);
    }
    cJSON_AddStringToObject(o, "outcome", gc__tune_outcome_name(e->outcome));
    cJSON_AddItemToObject(o, "params", config_json(&e->cfg));
    cJSON_AddNumberToObject(o, "median_s", e->median_s);
    cJSON_AddNumberToObject(o, "min_s", e->min_s);
    cJSON_AddNumberToObject(o, "gflops", e->gflops);
    cJSON_AddNumberToObject(o, "error", e->error);
    cJSON_AddNumberToObject(o, "default_s", e->default_s);
    cJSON_AddNumberToObject(o, "evals", e->evals);
    snprintf(hash, sizeof hash, "%016llx", (unsigned long long)e->source_hash);
    cJSON_AddStringToObject(o, "source_hash", hash);
    cJSON_AddStringToObject(o, "date", e->date);
    return o;
}

gc_status gc__tune_record_save(const char *path, const struct gc_tune_record *r)
{
    cJSON *root = cJSON_CreateObject(), *dev = cJSON_CreateObject(), *arr = cJSON_CreateArray();
    cJSON_AddStringToObject(root, "format", GC_TUNE_FORMAT);
    cJSON_AddStringToObject(dev, "key", r->key);
    cJSON_AddStringToObject(dev, "name", r->name);
    cJSON_AddNumberToObject(dev, "vendor_id", r->vendor_id);
    cJSON_AddStringToObject(dev, "type", gc_device_type_name(r->type));
    cJSON_AddStringToObject(dev, "driver", r->driver);
    cJSON_AddStringToObject(dev, "platform_version", r->platform_version);
    cJSON_AddItemToObject(root, "device", dev);
    for (int i = 0; i < r->n; i++) cJSON_AddItemToArray(arr, entry_json(&r->e[i]));
    cJSON_AddItemToObject(root, "entries", arr);
    char *text = cJSON_Print(root);
    cJSON_Delete(root);
    if (!text) return gc_error(GC_NOMEM, "tuning record: out of host memory");
    gc_status s = gc_write_file_atomic(path, text, strlen(text));
    cJSON_free(text);
    return s;
}

static double num(const cJSON *o, const char *name, double def)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);
    return cJSON_IsNumber(v) ? v->valuedouble : def;
}

static const char *str(const cJSON *o, const char *name)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);
    return cJSON_IsString(v) ? v->valuestring : "";
}

static bool parse_ints(const cJSON *o, int n, const char *const *names, int *values)
{
    for (int i = 0; i < n; i++) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, names[i]);
        if (!cJSON_IsNumber(v)) return false;
        values[i] = v->valueint;
    }
    return true;
}

/* CLBlast parameters are optional (absent: its defaults) but complete when present. */
static bool parse_clblast(const cJSON *p, struct gc_clblast_params *c)
{
    static const char *const routine[] = {"XGEMM_MIN_INDIRECT_SIZE"};
    const cJSON *x = cJSON_GetObjectItemCaseSensitive(p, "Xgemm");
    if (!x) return true;
    c->set = true;
    return parse_ints(x, GC_CLB_XGEMM_COUNT, gc__clb_xgemm_names, c->xgemm) &&
           parse_ints(cJSON_GetObjectItemCaseSensitive(p, "XgemmDirect"), GC_CLB_DIRECT_COUNT,
                      gc__clb_direct_names, c->direct) &&
           parse_ints(cJSON_GetObjectItemCaseSensitive(p, "GemmRoutine"), 1, routine, &c->min_indirect);
}

static bool parse_config(const cJSON *p, struct gc_gemm_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    const char *impl = str(p, "impl");
    int k = 0;
    while (k < GC_GEMM_IMPL_COUNT && strcmp(impl, gc__gemm_impl_name((enum gc_gemm_impl)k))) k++;
    if (k == GC_GEMM_IMPL_COUNT) return false;
    cfg->impl = (enum gc_gemm_impl)k;
    if (cfg->impl == GC_GEMM_CLBLAST && !parse_clblast(p, &cfg->clb)) return false;
    for (int i = 0; i < gc__gemm_tunable_count; i++) {
        const struct gc_gemm_tunable *t = &gc__gemm_tunables[i];
        if (t->impl != cfg->impl) continue;
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(p, t->name);
        if (!cJSON_IsNumber(v)) return false;
        *gc__gemm_tunable_field(cfg, t) = v->valueint;
    }
    return true;
}

/* Leading dimensions that hold the operands, batch strides that are not negative and C items
 * that do not overlap (a shared A or B, stride 0, is how the models batch their weights). */
static bool layout_valid(const struct gc_tune_shape *s, const struct gc_tune_layout *l)
{
    int64_t a_cols = s->ta ? s->m : s->k, b_cols = s->tb ? s->k : s->n;
    return l->lda >= a_cols && l->ldb >= b_cols && l->ldc >= s->n && l->lda > 0 && l->ldb > 0 &&
           l->stride_a >= 0 && l->stride_b >= 0 &&
           (s->batch == 1 || l->stride_c >= s->m * l->ldc);
}

static bool parse_outcome(const cJSON *o, struct gc_tune_entry *e)
{
    const char *oc = str(o, "outcome");
    int k = 0;
    while (k < GC_TUNE_OUTCOME_COUNT && strcmp(oc, outcome_names[k])) k++;
    e->outcome = (enum gc_tune_outcome)k;
    return k < GC_TUNE_OUTCOME_COUNT;
}

/* Kind "op": a kernel this gan-cl knows, every one of its tunables given. */
static bool parse_op_entry(const cJSON *o, struct gc_tune_entry *e)
{
    const struct gc_tunable *t;
    int n;
    unsigned untuned;
    const char *program;
    e->is_op = true;
    snprintf(e->kernel, sizeof e->kernel, "%s", str(o, "kernel"));
    snprintf(e->key, sizeof e->key, "%s", str(o, "shape"));
    const char *names[GC_MAX_TUNABLES];
    if (!e->key[0] || !gc__tune_op_tunables(e->kernel, &t, &n, &untuned, &program) ||
        !parse_outcome(o, e))
        return false;
    for (int i = 0; i < n; i++) names[i] = t[i].name;
    if (!parse_ints(cJSON_GetObjectItemCaseSensitive(o, "params"), n, names, e->tv)) return false;
    e->median_s = num(o, "median_s", 0);
    e->min_s = num(o, "min_s", 0);
    e->error = num(o, "error", 0);
    e->default_s = num(o, "default_s", 0);
    e->evals = (int)num(o, "evals", 0);
    e->source_hash = strtoull(str(o, "source_hash"), NULL, 16);
    snprintf(e->date, sizeof e->date, "%s", str(o, "date"));
    return true;
}

static bool parse_entry(const cJSON *o, struct gc_tune_entry *e)
{
    memset(e, 0, sizeof *e);
    if (!strcmp(str(o, "kind"), "op")) return parse_op_entry(o, e);
    const cJSON *s = cJSON_GetObjectItemCaseSensitive(o, "shape");
    if (!cJSON_IsObject(s) || !parse_config(cJSON_GetObjectItemCaseSensitive(o, "params"), &e->cfg))
        return false;
    snprintf(e->kernel, sizeof e->kernel, "%s", str(o, "kernel"));
    e->shape.ta = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(s, "ta"));
    e->shape.tb = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(s, "tb"));
    e->shape.m = (int64_t)num(s, "m", -1);
    e->shape.n = (int64_t)num(s, "n", -1);
    e->shape.k = (int64_t)num(s, "k", -1);
    e->shape.batch = (int64_t)num(s, "batch", -1);
    const cJSON *y = cJSON_GetObjectItemCaseSensitive(o, "layout");
    if (cJSON_IsObject(y))
        e->layout = (struct gc_tune_layout){(int64_t)num(y, "lda", 0), (int64_t)num(y, "ldb", 0),
                                            (int64_t)num(y, "ldc", 0), (int64_t)num(y, "stride_a", 0),
                                            (int64_t)num(y, "stride_b", 0),
                                            (int64_t)num(y, "stride_c", 0)};
    if (!layout_valid(&e->shape, &e->layout)) /* it never changes a result: dropped, not fatal */
        memset(&e->layout, 0, sizeof e->layout);
    const char *oc = str(o, "outcome");
    int k = 0;
    while (k < GC_TUNE_OUTCOME_COUNT && strcmp(oc, outcome_names[k])) k++;
    if (k == GC_TUNE_OUTCOME_COUNT || e->shape.m < 0 || e->shape.n < 0 || e->shape.k < 0 ||
        e->shape.batch < 1)
        return false;
    e->outcome = (enum gc_tune_outcome)k;
    e->median_s = num(o, "median_s", 0);
    e->min_s = num(o, "min_s", 0);
    e->gflops = num(o, "gflops", 0);
    e->error = num(o, "error", 0);
    e->default_s = num(o, "default_s", 0);
    e->evals = (int)num(o, "evals", 0);
    e->source_hash = strtoull(str(o, "source_hash"), NULL, 16);
    snprintf(e->date, sizeof e->date, "%s", str(o, "date"));
    return true;
}

static void parse_device(const cJSON *d, struct gc_tune_record *r)
{
    snprintf(r->key, sizeof r->key, "%s", str(d, "key"));
    snprintf(r->name, sizeof r->name, "%s", str(d, "name"));
    snprintf(r->driver, sizeof r->driver, "%s", str(d, "driver"));
    snprintf(r->platform_version, sizeof r->platform_version, "%s", str(d, "platform_version"));
    r->vendor_id = (uint32_t)num(d, "vendor_id", 0);
    const char *t = str(d, "type");
    r->type = GC_DEVICE_OTHER;
    for (int k = GC_DEVICE_CPU; k <= GC_DEVICE_OTHER; k++)
        if (!strcmp(t, gc_device_type_name((enum gc_device_type)k))) r->type = (enum gc_device_type)k;
}

static gc_status read_text(const char *path, char **out)
{
    FILE *f = fopen(path, "rb");
    if (!f) return gc_error(GC_NOT_FOUND, "%s: cannot open", path);
    fseek(f, 0, SEEK_END);
    long len = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *text = len >= 0 ? gc_malloc((size_t)len + 1) : NULL;
    size_t got = text ? fread(text, 1, (size_t)len, f) : 0;
    fclose(f);
    if (!text || got != (size_t)len) {
        gc_free(text);
        return gc_error(GC_IO, "%s: read failed", path);
    }
    text[len] = '\0';
    *out = text;
    return GC_OK;
}

/* Unparseable entries are skipped (a newer gan-cl may write kinds this one does not know). */
gc_status gc__tune_record_load(const char *path, struct gc_tune_record *r)
{
    char *text = NULL;
    gc_status s = read_text(path, &text);
    if (s != GC_OK) return s;
    cJSON *root = cJSON_Parse(text);
    gc_free(text);
    const cJSON *arr = cJSON_GetObjectItemCaseSensitive(root, "entries");
    if (!root || strcmp(str(root, "format"), GC_TUNE_FORMAT) || !cJSON_IsArray(arr)) {
        cJSON_Delete(root);
        return gc_error(GC_FORMAT, "%s: not a %s", path, GC_TUNE_FORMAT);
    }
    memset(r, 0, sizeof *r);
    parse_device(cJSON_GetObjectItemCaseSensitive(root, "device"), r);
    const cJSON *it;
    cJSON_ArrayForEach(it, arr)
    {
        struct gc_tune_entry e;
        if (parse_entry(it, &e) && (s = gc__tune_record_add(r, &e)) != GC_OK) break;
    }
    cJSON_Delete(root);
    if (s != GC_OK) gc__tune_record_free(r);
    return s;
}
