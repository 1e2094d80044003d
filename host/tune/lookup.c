/* SPDX-License-Identifier: MIT */
/* Records in use: gc_tune_load finds the record that applies to a device (its own, the same
 * device under another driver, the same vendor and type), keeps the valid GEMM choices in a
 * small table keyed by the OpenCL device id, and gc__tune_lookup_gemm answers the GEMM
 * default path from it. Also the tuner's shape recording, export and import.
 *
 * The table is process-global and written only by load/unload/install, which the app calls
 * before any step runs (not concurrently with GEMMs). Keyed by cl_device_id rather than by
 * the gc_device pointer: a record describes the physical device, so a device reopened at
 * another address keeps it, and a freed gc_device can never lend its record to another. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cl/cache.h"
#include "gancl/alloc.h"
#include "tune/lookup.h"
#include "tune/tune_impl.h"

#define MAX_LOADED 8

struct choice {
    struct gc_tune_shape s;
    struct gc_tune_layout layout;
    struct gc_gemm_config cfg;
};

/* A kind "op" choice: the values for one shape key (in the kernel's tunables' order). */
struct op_choice {
    char key[GC_SHAPE_KEY_MAX];
    int tv[GC_MAX_TUNABLES];
};

struct loaded {
    cl_device_id id;
    bool enabled;
    struct choice *c;
    int n;
    struct op_choice *oc;
    int n_oc;
};

static struct loaded table[MAX_LOADED];
static int n_table;

static struct {
    bool on;
    cl_device_id id;
    struct gc_gemm_desc *d;
    int n, cap;
} rec;

static void note_desc(const struct gc_gemm_desc *d)
{
    struct gc_tune_shape s, t;
    gc__tune_shape_of(d, &s);
    for (int i = 0; i < rec.n; i++) {
        gc__tune_shape_of(&rec.d[i], &t);
        if (gc__tune_shape_eq(&s, &t)) return;
    }
    if (rec.n == rec.cap) {
        int cap = rec.cap ? 2 * rec.cap : 32;
        struct gc_gemm_desc *nd = gc_realloc(rec.d, sizeof *nd * (size_t)cap);
        if (!nd) return; /* a shape missed is a shape left at its default */
        rec.d = nd;
        rec.cap = cap;
    }
    rec.d[rec.n++] = *d;
}

bool gc__tune_lookup_gemm(const struct gc_device *dev, const struct gc_gemm_desc *d,
                          struct gc_gemm_config *cfg)
{
    if (rec.on && rec.id == dev->id) note_desc(d);
    for (int i = 0; i < n_table; i++) {
        if (table[i].id != dev->id || !table[i].enabled) continue;
        int64_t batch = d->batch > 1 ? d->batch : 1;
        for (const struct choice *c = table[i].c, *end = c + table[i].n; c < end; c++)
            if (c->s.m == d->m && c->s.n == d->n && c->s.k == d->k && c->s.batch == batch &&
                c->s.ta == d->ta && c->s.tb == d->tb) {
                *cfg = c->cfg;
                return true;
            }
        return false;
    }
    return false;
}

bool gc__tune_loaded_choice(const struct gc_device *dev, int i, struct gc_tune_shape *shape,
                            struct gc_tune_layout *layout, struct gc_gemm_config *cfg)
{
    for (int t = 0; t < n_table; t++) {
        if (table[t].id != dev->id) continue;
        if (i < 0 || i >= table[t].n) return false;
        *shape = table[t].c[i].s;
        *layout = table[t].c[i].layout;
        *cfg = table[t].c[i].cfg;
        return true;
    }
    return false;
}

/* The kernel uses noted while the tuner records ops (plans and optimizers being created). */
static struct {
    bool on;
    cl_device_id id;
    struct gc_tune_op *ops;
    int n, cap;
} oprec;

static void note_op(const struct gc_tune_op *op)
{
    for (int i = 0; i < oprec.n; i++)
        if (!strcmp(oprec.ops[i].key, op->key)) return;
    if (oprec.n == oprec.cap) {
        int cap = oprec.cap ? 2 * oprec.cap : 64;
        struct gc_tune_op *n = gc_realloc(oprec.ops, sizeof *n * (size_t)cap);
        if (!n) return; /* a use missed keeps its defaults */
        oprec.ops = n;
        oprec.cap = cap;
    }
    oprec.ops[oprec.n++] = *op;
}

static bool lookup_key(const struct gc_device *dev, const char *key, int *tv)
{
    for (int i = 0; i < n_table; i++) {
        if (table[i].id != dev->id || !table[i].enabled) continue;
        for (int k = 0; k < table[i].n_oc; k++)
            if (!strcmp(table[i].oc[k].key, key)) {
                memcpy(tv, table[i].oc[k].tv, sizeof table[i].oc[k].tv);
                return true;
            }
        return false;
    }
    return false;
}

bool gc__tune_lookup_op(const struct gc_device *dev, const struct gc_tensor *t, const char *key,
                        int *tv)
{
    if (oprec.on && oprec.id == dev->id) {
        struct gc_tune_op op = {.op = t->op, .p = t->p, .n_in = t->n_in};
        snprintf(op.kernel, sizeof op.kernel, "%s", gc__op_descs[t->op]->name);
        snprintf(op.key, sizeof op.key, "%s", key);
        for (int i = 0; i < t->n_in; i++) {
            op.ndim[i] = t->in[i]->ndim;
            memcpy(op.shape[i], t->in[i]->shape, sizeof op.shape[i]);
            op.param[i] = t->in[i]->op == GC_OP_PARAM;
        }
        note_op(&op);
    }
    return lookup_key(dev, key, tv);
}

void gc__tune_optim_key(const char *kernel, int64_t n, char *buf, size_t size)
{
    snprintf(buf, size, "%s n=%lld", kernel, (long long)n);
}

bool gc__tune_lookup_optim(const struct gc_device *dev, const char *kernel, int64_t n, int *tv)
{
    char key[GC_SHAPE_KEY_MAX];
    gc__tune_optim_key(kernel, n, key, sizeof key);
    if (oprec.on && oprec.id == dev->id) {
        struct gc_tune_op op = {.op = GC_OP_COUNT, .n_in = 1, .ndim = {1}, .shape = {{n}}};
        snprintf(op.kernel, sizeof op.kernel, "%s", kernel);
        snprintf(op.key, sizeof op.key, "%s", key);
        note_op(&op);
    }
    return lookup_key(dev, key, tv);
}

void gc__tune_op_recording_start(struct gc_device *dev)
{
    gc_free(oprec.ops);
    memset(&oprec, 0, sizeof oprec);
    oprec.id = dev->id;
    oprec.on = true;
}

void gc__tune_op_recording_stop(struct gc_tune_op **ops, int *n)
{
    *ops = oprec.ops;
    *n = oprec.n;
    memset(&oprec, 0, sizeof oprec);
}

int gc__tune_loaded_ops(const struct gc_device *dev)
{
    for (int i = 0; i < n_table; i++)
        if (table[i].id == dev->id) return table[i].n_oc;
    return 0;
}

void gc__tune_recording_start(struct gc_device *dev)
{
    gc_free(rec.d);
    rec.d = NULL;
    rec.n = rec.cap = 0;
    rec.id = dev->id;
    rec.on = true;
}

void gc__tune_recording_stop(struct gc_gemm_desc **descs, int *n)
{
    rec.on = false;
    *descs = rec.d;
    *n = rec.n;
    rec.d = NULL;
    rec.n = rec.cap = 0;
}

static struct loaded *slot_of(const struct gc_device *dev)
{
    for (int i = 0; i < n_table; i++)
        if (table[i].id == dev->id) return &table[i];
    return NULL;
}

void gc_tune_unload(struct gc_device *dev)
{
    struct loaded *l = dev ? slot_of(dev) : NULL;
    if (!l) return;
    gc_free(l->c);
    gc_free(l->oc);
    *l = table[--n_table];
    memset(&table[n_table], 0, sizeof table[n_table]);
}

void gc__tune_set_enabled(struct gc_device *dev, bool on)
{
    struct loaded *l = slot_of(dev);
    if (l) l->enabled = on;
}

/* An op choice this device can run: every work-group size (a tunable named *_WG) within its
 * limit (a record borrowed from another device may ask for more); the kernels' own limits
 * were checked when the entry was measured. */
static bool op_valid(const struct gc_device_info *info, const struct gc_tune_entry *e)
{
    const struct gc_tunable *t;
    int n;
    unsigned untuned;
    const char *program;
    if (!gc__tune_op_tunables(e->kernel, &t, &n, &untuned, &program)) return false;
    for (int i = 0; i < n; i++) {
        size_t len = strlen(t[i].name);
        if (e->tv[i] < 1 || (len > 3 && !strcmp(t[i].name + len - 3, "_WG") &&
                             (size_t)e->tv[i] > info->max_work_group))
            return false;
    }
    return true;
}

/* Only valid choices: BEST entries of the current kernel source whose config this device
 * accepts (a record borrowed from another device may ask for more local memory). */
gc_status gc__tune_install(struct gc_device *dev, const struct gc_tune_record *r)
{
    struct choice *c = gc_calloc((size_t)(r->n ? r->n : 1), sizeof *c);
    struct op_choice *oc = gc_calloc((size_t)(r->n ? r->n : 1), sizeof *oc);
    if (!c || !oc) {
        gc_free(c);
        gc_free(oc);
        return gc_error(GC_NOMEM, "tuning record: out of host memory");
    }
    int n = 0, n_oc = 0;
    for (int i = 0; i < r->n; i++) {
        const struct gc_tune_entry *e = &r->e[i];
        if (e->outcome != GC_TUNE_BEST || !gc__tune_entry_current(e)) continue;
        if (e->is_op && op_valid(&dev->info, e)) {
            snprintf(oc[n_oc].key, sizeof oc[n_oc].key, "%s", e->key);
            memcpy(oc[n_oc++].tv, e->tv, sizeof e->tv);
        }
        if (e->is_op || strcmp(e->kernel, "gemm") || gc__gemm_config_check(&dev->info, &e->cfg) != GC_OK)
            continue;
        c[n++] = (struct choice){e->shape, e->layout, e->cfg};
    }
    gc_clear_error();
    gc_tune_unload(dev);
    if (n_table == MAX_LOADED) {
        gc_free(c);
        gc_free(oc);
        return gc_error(GC_LIMIT, "tuning records loaded on %d devices at most", MAX_LOADED);
    }
    table[n_table++] = (struct loaded){dev->id, true, c, n, oc, n_oc};
    return GC_OK;
}

gc_status gc_tune_record_path(const struct gc_device_info *info, char *buf, size_t size)
{
    char root[2048], key[512];
    gc_status s = gc_cache_root(root, sizeof root);
    if (s != GC_OK) return s;
    gc_device_key(info, key, sizeof key);
    int n = snprintf(buf, size, "%s/tuning/%s.json", root, key);
    return n > 0 && (size_t)n < size ? GC_OK : gc_error(GC_INVALID_ARG, "tuning path too long");
}

static const char *base_name(const char *name)
{
    return strncmp(name, "pthread-", 8) == 0 ? name + 8 : name;
}

/* Fallback: the best other record in the tuning folder. 1 = same device, other driver;
 * 2 = same vendor id and type; 0 = none. */
static int find_fallback(const struct gc_device_info *info, char *path, size_t size,
                         struct gc_tune_record *out)
{
    char dir[2048], own[1024], p[3072];
    if (gc_tune_record_path(info, own, sizeof own) != GC_OK) return 0;
    snprintf(dir, sizeof dir, "%s", own);
    *strrchr(dir, '/') = '\0';
    DIR *dp = opendir(dir);
    int best = 0;
    for (struct dirent *de; dp && (de = readdir(dp));) {
        size_t len = strlen(de->d_name);
        if (len < 6 || strcmp(de->d_name + len - 5, ".json")) continue;
        snprintf(p, sizeof p, "%s/%s", dir, de->d_name);
        struct gc_tune_record r;
        if (!strcmp(p, own) || gc__tune_record_load(p, &r) != GC_OK) continue;
        int level = r.vendor_id != info->vendor_id || r.type != info->type ? 0
                    : !strcmp(base_name(r.name), base_name(info->name))  ? 1
                                                                          : 2;
        if (level && (!best || level < best)) {
            gc__tune_record_free(out);
            *out = r;
            best = level;
            snprintf(path, size, "%s", p);
        } else gc__tune_record_free(&r);
    }
    if (dp) closedir(dp);
    gc_clear_error();
    return best;
}

gc_status gc_tune_load(struct gc_device *dev, char *line, size_t size)
{
    static const char *const how[] = {"this device and driver", "same device, driver '%s'",
                                      "same vendor and type, device '%s'"};
    const struct gc_device_info *info = &dev->info;
    char path[3072], what[512];
    struct gc_tune_record r = {0};
    gc_status s = gc_tune_record_path(info, path, sizeof path);
    if (s == GC_OK) s = gc__tune_record_load(path, &r);
    int level = 0;
    if (s == GC_NOT_FOUND) level = find_fallback(info, path, sizeof path, &r);
    else if (s != GC_OK) {
        snprintf(line, size, "tuning record unusable, using defaults: %s", gc_last_error());
        return s;
    }
    if (s != GC_OK && !level) {
        snprintf(line, size, "no tuning record for %s: run `gan-cl tune --device %d:%d` for "
                 "faster GEMMs", info->name, info->platform_index, info->device_index);
        return GC_NOT_FOUND;
    }
    s = gc__tune_install(dev, &r);
    snprintf(what, sizeof what, how[level], level == 1 ? r.driver : r.name);
    gc__tune_record_free(&r);
    if (s != GC_OK) return s;
    int n = slot_of(dev)->n, n_oc = slot_of(dev)->n_oc;
    snprintf(line, size, "tuning record %s: %d GEMM shape%s, %d kernel shape%s (%s)%s", path, n,
             n == 1 ? "" : "s", n_oc, n_oc == 1 ? "" : "s", what,
             n + n_oc ? "" : "; nothing current: run `gan-cl tune` again");
    return GC_OK;
}

gc_status gc_tune_record_counts(const struct gc_device_info *info, int *gemm_shapes,
                                int *kernel_shapes)
{
    char own[3072];
    struct gc_tune_record r;
    *gemm_shapes = *kernel_shapes = 0;
    gc_status s = gc_tune_record_path(info, own, sizeof own);
    if (s == GC_OK) s = gc__tune_record_load(own, &r);
    if (s != GC_OK) return s;
    for (int i = 0; i < r.n; i++) {
        const struct gc_tune_entry *e = &r.e[i];
        if (e->outcome != GC_TUNE_BEST || !gc__tune_entry_current(e)) continue;
        if (e->is_op) ++*kernel_shapes;
        else if (!strcmp(e->kernel, "gemm")) ++*gemm_shapes;
    }
    gc__tune_record_free(&r);
    return GC_OK;
}

gc_status gc_tune_export(const struct gc_device_info *info, const char *path)
{
    char own[3072];
    struct gc_tune_record r;
    gc_status s = gc_tune_record_path(info, own, sizeof own);
    if (s == GC_OK) s = gc__tune_record_load(own, &r);
    if (s != GC_OK) return gc_error_context(s, "export");
    s = gc__tune_record_save(path, &r);
    gc__tune_record_free(&r);
    return s;
}

gc_status gc_tune_import(const struct gc_device_info *info, const char *path, int *n)
{
    char own[3072], dir[3072];
    struct gc_tune_record in, r;
    *n = 0;
    gc_status s = gc_tune_record_path(info, own, sizeof own);
    if (s == GC_OK) s = gc__tune_record_load(path, &in);
    if (s != GC_OK) return s;
    if (gc__tune_record_load(own, &r) != GC_OK) gc__tune_record_init(&r, info);
    gc_clear_error();
    for (int i = 0; i < in.n && s == GC_OK; i++) {
        const struct gc_tune_entry *e = &in.e[i];
        if (e->outcome != GC_TUNE_BEST || !gc__tune_entry_current(e)) continue;
        if (e->is_op) { /* an imported key replaces the local one */
            if (!op_valid(info, e)) continue;
            for (int j; (j = gc__tune_record_best_op(&r, e->key)) >= 0;) r.e[j] = r.e[--r.n];
            s = gc__tune_record_add(&r, e);
            if (s == GC_OK) ++*n;
            continue;
        }
        if (gc__gemm_config_check(info, &e->cfg) != GC_OK) continue;
        bool report = !strcmp(e->kernel, "clblast"); /* CLBlast's report entry of the shape */
        for (int j; (j = report ? gc__tune_record_clblast(&r, &e->shape) : gc__tune_record_best(&r, &e->shape)) >= 0;)
            r.e[j] = r.e[--r.n];
        s = gc__tune_record_add(&r, e);
        if (s == GC_OK) ++*n;
    }
    gc_clear_error();
    snprintf(dir, sizeof dir, "%s", own);
    *strrchr(dir, '/') = '\0';
    if (s == GC_OK) s = gc_mkdirs(dir);
    if (s == GC_OK) s = gc__tune_record_save(own, &r);
    gc__tune_record_free(&in);
    gc__tune_record_free(&r);
    return s;
}
