/* SPDX-License-Identifier: MIT */
/* Datasets (see gancl/dataset.h): spec parsing, the CycleGAN / pix2pix
 * layouts, recursive image listing, and per-item decoding + preprocessing
 * with randomness keyed by (seed, epoch, index). */
#include "gancl/dataset.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "data/transform.h"
#include "gancl/alloc.h"
#include "gancl/idx.h"
#include "gancl/image.h"
#include "gancl/philox.h"

enum { DOM_FMNIST, DOM_FILES };

struct domain {
    int kind;
    struct gc_fmnist fm;
    char **paths;
    int64_t n, cap;
};

struct gc_dataset {
    struct gc_dataset_opts o;
    struct gc_transform t;
    bool aligned;
    int ndom;
    struct domain dom[2];
    int64_t n;
    int c, h, w;
};

static const char *const pre_names[] = {"resize_and_crop", "crop", "scale_width",
                                        "scale_width_and_crop", "none", "resize_center_crop"};
#define N_PRE ((int)(sizeof pre_names / sizeof *pre_names))

void gc_transform_default(struct gc_transform *t)
{
    *t = (struct gc_transform){GC_PRE_RESIZE_AND_CROP, 286, 256, false, 3, 0};
}

gc_status gc_preprocess_parse(const char *text, enum gc_preprocess *out)
{
    for (int i = 0; i < N_PRE; i++) {
        if (strcmp(text, pre_names[i]) == 0) {
            *out = (enum gc_preprocess)i;
            return GC_OK;
        }
    }
    return gc_error(GC_INVALID_ARG,
                    "--preprocess %s: expected resize_and_crop, crop, scale_width, "
                    "scale_width_and_crop, none or resize_center_crop",
                    text);
}

const char *gc_preprocess_name(enum gc_preprocess p)
{
    return (int)p >= 0 && (int)p < N_PRE ? pre_names[p] : "?";
}

static uint64_t mix(uint64_t *s) /* splitmix64 */
{
    uint64_t z = (*s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

void gc_dataset_permutation(int64_t *order, int64_t n, uint64_t seed)
{
    uint64_t s = seed;
    for (int64_t i = 0; i < n; i++) order[i] = i;
    for (int64_t i = n - 1; i > 0; i--) {
        int64_t j = (int64_t)(mix(&s) % (uint64_t)(i + 1)), t = order[i];
        order[i] = order[j];
        order[j] = t;
    }
}

/* ---- listing ------------------------------------------------------------ */

static bool is_image_name(const char *name)
{
    const char *dot = strrchr(name, '.');
    return dot && (strcasecmp(dot, ".png") == 0 || strcasecmp(dot, ".jpg") == 0 ||
                   strcasecmp(dot, ".jpeg") == 0);
}

static gc_status push(struct domain *d, const char *path)
{
    if (d->n == d->cap) {
        int64_t cap = d->cap ? 2 * d->cap : 64;
        char **p = gc_realloc(d->paths, sizeof(char *) * (size_t)cap);
        if (!p) return gc_error(GC_NOMEM, "%s: out of host memory", path);
        d->paths = p;
        d->cap = cap;
    }
    if (!(d->paths[d->n] = gc_strdup(path))) return gc_error(GC_NOMEM, "%s: out of host memory", path);
    d->n++;
    return GC_OK;
}

static gc_status walk(struct domain *d, const char *dir, int depth)
{
    if (depth > 64) return gc_error(GC_LIMIT, "%s: folders nested deeper than 64", dir);
    DIR *dh = opendir(dir);
    if (!dh) {
        int e = errno;
        return gc_error(e == ENOENT ? GC_NOT_FOUND : GC_IO, "%s: %s", dir, strerror(e));
    }
    gc_status s = GC_OK;
    size_t dl = strlen(dir);
    struct dirent *de;
    while (s == GC_OK && (de = readdir(dh))) {
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0) continue;
        size_t len = dl + 1 + strlen(de->d_name) + 1;
        char *p = gc_malloc(len);
        if (!p) {
            s = gc_error(GC_NOMEM, "%s: out of host memory", dir);
            break;
        }
        snprintf(p, len, "%s%s%s", dir, dl && dir[dl - 1] == '/' ? "" : "/", de->d_name);
        struct stat ls, st;
        if (lstat(p, &ls) == 0 && S_ISDIR(ls.st_mode)) {
            s = walk(d, p, depth + 1); /* symlinked folders are not followed (os.walk) */
        } else if (is_image_name(de->d_name) && stat(p, &st) == 0 && S_ISREG(st.st_mode)) {
            s = push(d, p);
        }
        gc_free(p);
    }
    closedir(dh);
    return s;
}

static int cmp_path(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static gc_status list_folder(struct domain *d, const char *dir)
{
    struct stat st;
    if (stat(dir, &st) != 0) {
        int e = errno;
        return gc_error(e == ENOENT ? GC_NOT_FOUND : GC_IO, "%s: %s", dir,
                        e == ENOENT ? "no such folder" : strerror(e));
    }
    if (!S_ISDIR(st.st_mode)) return gc_error(GC_INVALID_ARG, "%s: not a folder", dir);
    d->kind = DOM_FILES;
    gc_status s = walk(d, dir, 0);
    if (s != GC_OK) return s;
    if (d->n == 0)
        return gc_error(GC_NOT_FOUND, "%s: no images (.png, .jpg, .jpeg, searched recursively)", dir);
    qsort(d->paths, (size_t)d->n, sizeof(char *), cmp_path);
    return GC_OK;
}

static void domain_free(struct domain *d)
{
    for (int64_t i = 0; i < d->n && d->paths; i++) gc_free(d->paths[i]);
    gc_free(d->paths);
    gc_fmnist_free(&d->fm);
    memset(d, 0, sizeof *d);
}

/* --max_dataset_size: the reference keeps the first N sorted paths. */
static void keep_prefix(struct domain *d, int64_t n)
{
    for (int64_t i = n; i < d->n && d->paths; i++) gc_free(d->paths[i]);
    if (d->n > n) d->n = n;
}

/* One domain: fashion-mnist[:class] or a folder (used as is). `len` bytes of `spec`. */
static gc_status open_domain(struct domain *d, const char *spec, size_t len,
                             const struct gc_dataset_opts *o)
{
    char buf[4096];
    if (len >= sizeof buf) return gc_error(GC_INVALID_ARG, "--data: spec longer than %zu bytes", sizeof buf);
    memcpy(buf, spec, len);
    buf[len] = 0;
    if (strcmp(buf, "fashion-mnist") == 0 || strncmp(buf, "fashion-mnist:", 14) == 0) {
        int cls = -1;
        gc_status s = buf[13] == ':' ? gc_fmnist_class_parse(buf + 14, &cls) : GC_OK;
        bool test = o->phase && strcmp(o->phase, "test") == 0;
        if (s == GC_OK)
            s = gc_fmnist_load(&d->fm, o->fmnist_dir, test ? GC_FMNIST_TEST : GC_FMNIST_TRAIN, cls);
        if (s == GC_OK && d->fm.n == 0) s = gc_error(GC_NOT_FOUND, "%s: no images", buf);
        d->kind = DOM_FMNIST;
        d->n = d->fm.n;
        return s;
    }
    return list_folder(d, buf);
}

static bool is_dir(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

static gc_status open_layout(struct gc_dataset *ds, const struct gc_dataset_opts *o)
{
    const char *spec = o->spec, *bar = strchr(spec, '|');
    const char *phase = o->phase ? o->phase : "train";
    char a[4096], b[4096];
    if (bar) { /* "A|B": two domains */
        ds->ndom = 2;
        gc_status s = open_domain(&ds->dom[0], spec, (size_t)(bar - spec), o);
        return s == GC_OK ? open_domain(&ds->dom[1], bar + 1, strlen(bar + 1), o) : s;
    }
    if (strcmp(spec, "fashion-mnist") == 0 || strncmp(spec, "fashion-mnist:", 14) == 0 ||
        o->layout == GC_LAYOUT_SINGLE) {
        ds->ndom = 1;
        return open_domain(&ds->dom[0], spec, strlen(spec), o);
    }
    snprintf(a, sizeof a, "%s/%sA", spec, phase);
    snprintf(b, sizeof b, "%s/%sB", spec, phase);
    enum gc_layout lay = o->layout;
    if (lay == GC_LAYOUT_AUTO) lay = is_dir(a) && is_dir(b) ? GC_LAYOUT_UNALIGNED : GC_LAYOUT_SINGLE;
    if (lay == GC_LAYOUT_UNALIGNED) {
        ds->ndom = 2;
        gc_status s = list_folder(&ds->dom[0], a);
        return s == GC_OK ? list_folder(&ds->dom[1], b) : s;
    }
    ds->ndom = 1;
    if (lay == GC_LAYOUT_ALIGNED) {
        ds->aligned = true;
        snprintf(a, sizeof a, "%s/%s", spec, phase);
        return list_folder(&ds->dom[0], a);
    }
    return list_folder(&ds->dom[0], spec);
}

/* ---- items -------------------------------------------------------------- */

/* Domain d's image i as decoded 8-bit pixels (Fashion-MNIST: a view, no copy;
 * *owned tells whether to free). Aligned: the whole A|B image. */
static gc_status load_raw(const struct gc_dataset *ds, int d, int64_t i, struct gc_image *img,
                          bool *owned)
{
    const struct domain *dm = &ds->dom[d];
    if (dm->kind == DOM_FMNIST) {
        *img = (struct gc_image){dm->fm.w, dm->fm.h, 1,
                                 dm->fm.images + (size_t)i * (size_t)(dm->fm.w * dm->fm.h)};
        *owned = false;
        if (ds->t.channels == 1) return GC_OK;
        *owned = true;
        return gc_image_convert(img, &(struct gc_image){img->w, img->h, 1, img->data}, ds->t.channels);
    }
    *owned = true;
    return gc_image_load(img, dm->paths[i], ds->t.channels, ds->o.max_pixels);
}

static const char *item_name(const struct gc_dataset *ds, int d, int64_t i, char *buf, size_t n)
{
    if (ds->dom[d].kind == DOM_FILES) return ds->dom[d].paths[i];
    snprintf(buf, n, "fashion-mnist image %lld", (long long)i);
    return buf;
}

/* left (half = 0) or right part of an aligned image, as a copy */
static gc_status half_of(struct gc_image *out, const struct gc_image *ab, int half, const char *name)
{
    int w2 = ab->w / 2, x0 = half ? w2 : 0, w = half ? ab->w - w2 : w2, c = ab->c;
    if (w2 < 1) return gc_error(GC_INVALID_ARG, "%s: %d pixels wide, too narrow for A|B", name, ab->w);
    uint8_t *p = gc_malloc((size_t)w * (size_t)ab->h * (size_t)c);
    if (!p) return gc_error(GC_NOMEM, "%s: out of host memory", name);
    for (int y = 0; y < ab->h; y++)
        memcpy(p + (size_t)y * (size_t)w * (size_t)c,
               ab->data + ((size_t)y * (size_t)ab->w + (size_t)x0) * (size_t)c, (size_t)w * (size_t)c);
    *out = (struct gc_image){w, ab->h, c, p};
    return GC_OK;
}

static void draw(const struct gc_dataset *ds, int64_t index, uint64_t seed, int64_t epoch,
                 uint32_t stream, uint32_t r[4])
{
    uint32_t ctr[4] = {(uint32_t)index, (uint32_t)((uint64_t)index >> 32), (uint32_t)epoch, stream};
    uint32_t key[2] = {(uint32_t)seed, (uint32_t)(seed >> 32)};
    (void)ds;
    gc_philox4x32(ctr, key, r);
}

/* transform `img` with draws r and write floats; checks the shape */
static gc_status finish(const struct gc_dataset *ds, const struct gc_image *img,
                        const struct gc__xf_params *p, const char *name, float *out)
{
    struct gc_image o;
    gc_status s = gc__xf_apply(&o, img, &ds->t, p, name);
    if (s != GC_OK) return s;
    if (o.w + 2 * ds->t.pad != ds->w || o.h + 2 * ds->t.pad != ds->h) {
        s = gc_error(GC_FORMAT,
                     "%s: %dx%d after --preprocess %s, the dataset's first image gives %dx%d "
                     "(images of different sizes need a crop mode to be batched)",
                     name, o.w, o.h, gc_preprocess_name(ds->t.preprocess), ds->w - 2 * ds->t.pad,
                     ds->h - 2 * ds->t.pad);
    } else {
        gc__xf_to_float(out, &o, ds->t.pad);
    }
    gc_image_free(&o);
    return s;
}

static gc_status get_one(const struct gc_dataset *ds, int d, int64_t i, const uint32_t r[4], float *out)
{
    struct gc_image img;
    bool owned;
    char nb[64];
    const char *name = item_name(ds, d, i, nb, sizeof nb);
    gc_status s = load_raw(ds, d, i, &img, &owned);
    if (s != GC_OK) return s;
    struct gc__xf_params p;
    gc__xf_draw(&ds->t, img.w, img.h, r, &p);
    s = finish(ds, &img, &p, name, out);
    if (owned) gc_image_free(&img);
    return s;
}

static gc_status get_aligned(const struct gc_dataset *ds, int64_t i, const uint32_t r[4], float *a,
                             float *b)
{
    const char *name = ds->dom[0].paths[i];
    struct gc_image ab, h[2] = {{0}, {0}};
    bool owned;
    gc_status s = load_raw(ds, 0, i, &ab, &owned);
    if (s != GC_OK) return s;
    s = half_of(&h[0], &ab, 0, name);
    if (s == GC_OK) s = half_of(&h[1], &ab, 1, name);
    gc_image_free(&ab);
    if (s == GC_OK) { /* one get_params for both halves, from A's size */
        struct gc__xf_params p;
        gc__xf_draw(&ds->t, h[0].w, h[0].h, r, &p);
        int ia = ds->o.b_to_a ? 1 : 0;
        s = finish(ds, &h[ia], &p, name, a);
        if (s == GC_OK && b) s = finish(ds, &h[1 - ia], &p, name, b);
    }
    gc_image_free(&h[0]);
    gc_image_free(&h[1]);
    return s;
}

gc_status gc_dataset_get(const struct gc_dataset *ds, int64_t index, uint64_t seed, int64_t epoch,
                         float *a, float *b)
{
    GC_ASSERT(ds && index >= 0 && index < ds->n && a);
    uint32_t r[4];
    draw(ds, index, seed, epoch, 0, r);
    if (ds->aligned) return get_aligned(ds, index % ds->dom[0].n, r, a, b);
    int da = ds->ndom == 2 && ds->o.b_to_a ? 1 : 0, db = 1 - da;
    gc_status s = get_one(ds, da, index % ds->dom[da].n, r, a);
    if (s != GC_OK || ds->ndom == 1 || !b) return s;
    int64_t ib = index % ds->dom[db].n;
    if (!ds->o.serial) { /* UnalignedDataset: random.randint(0, B_size - 1) */
        uint32_t q[4];
        draw(ds, index, seed, epoch, 2, q);
        ib = (int64_t)((((uint64_t)q[0] << 32) | q[1]) % (uint64_t)ds->dom[db].n);
    }
    draw(ds, index, seed, epoch, 1, r);
    return get_one(ds, db, ib, r, b);
}

/* ---- open --------------------------------------------------------------- */

static gc_status check_transform(const struct gc_transform *t)
{
    if (t->channels != 1 && t->channels != 3)
        return gc_error(GC_INVALID_ARG, "--input_nc %d: 1 or 3 channels", t->channels);
    if (t->pad < 0 || t->pad > 4096) return gc_error(GC_INVALID_ARG, "pad %d out of range", t->pad);
    bool crop = t->preprocess == GC_PRE_RESIZE_AND_CROP || t->preprocess == GC_PRE_CROP ||
                t->preprocess == GC_PRE_SCALE_WIDTH_AND_CROP ||
                t->preprocess == GC_PRE_RESIZE_CENTER_CROP;
    bool load = t->preprocess != GC_PRE_CROP && t->preprocess != GC_PRE_NONE &&
                t->preprocess != GC_PRE_RESIZE_CENTER_CROP;
    if ((int)t->preprocess < 0 || (int)t->preprocess >= N_PRE)
        return gc_error(GC_INVALID_ARG, "unknown --preprocess");
    if ((crop || t->preprocess == GC_PRE_SCALE_WIDTH) && (t->crop_size < 1 || t->crop_size > 65536))
        return gc_error(GC_INVALID_ARG, "--crop_size %d out of range", t->crop_size);
    if (load && (t->load_size < 1 || t->load_size > 65536))
        return gc_error(GC_INVALID_ARG, "--load_size %d out of range", t->load_size);
    if (crop && load && t->load_size < t->crop_size)
        return gc_error(GC_INVALID_ARG, "--load_size %d is smaller than --crop_size %d", t->load_size,
                        t->crop_size);
    return GC_OK;
}

/* The item shape, from domain A's first image (or the fixed crop size). */
static gc_status item_shape(struct gc_dataset *ds)
{
    struct gc_image img;
    bool owned;
    char nb[64];
    const char *name = item_name(ds, 0, 0, nb, sizeof nb);
    gc_status s = load_raw(ds, 0, 0, &img, &owned);
    if (s != GC_OK) return s;
    int w = img.w, h = img.h, ow, oh;
    if (ds->aligned) w /= 2;
    if (owned) gc_image_free(&img);
    if (w < 1) return gc_error(GC_INVALID_ARG, "%s: too narrow for A|B", name);
    s = gc__xf_out_size(&ds->t, w, h, &ow, &oh, name);
    ds->c = ds->t.channels;
    ds->w = ow + 2 * ds->t.pad;
    ds->h = oh + 2 * ds->t.pad;
    return s;
}

gc_status gc_dataset_open(struct gc_dataset **out, const struct gc_dataset_opts *opts)
{
    GC_ASSERT(out && opts);
    if (!opts->spec || !*opts->spec) return gc_error(GC_INVALID_ARG, "--data: empty");
    if (opts->phase && strcmp(opts->phase, "train") != 0 && strcmp(opts->phase, "test") != 0)
        return gc_error(GC_INVALID_ARG, "--phase %s: train or test", opts->phase);
    gc_status s = check_transform(&opts->transform);
    if (s != GC_OK) return s;
    struct gc_dataset *ds = gc_calloc(1, sizeof *ds);
    if (!ds) return gc_error(GC_NOMEM, "dataset: out of host memory");
    ds->o = *opts;
    ds->o.spec = ds->o.phase = ds->o.fmnist_dir = NULL; /* not kept: the caller owns them */
    ds->t = opts->transform;
    s = open_layout(ds, opts);
    for (int d = 0; d < ds->ndom && opts->max_size > 0; d++) keep_prefix(&ds->dom[d], opts->max_size);
    if (s == GC_OK) {
        ds->n = ds->dom[0].n;
        if (ds->ndom == 2 && ds->dom[1].n > ds->n) ds->n = ds->dom[1].n;
        s = item_shape(ds);
    }
    if (s == GC_OK && ds->ndom == 2) { /* B must batch with A */
        struct gc_dataset tmp = *ds;
        tmp.dom[0] = ds->dom[1];
        s = item_shape(&tmp);
        if (s == GC_OK && (tmp.w != ds->w || tmp.h != ds->h))
            s = gc_error(GC_FORMAT, "%s: domain B gives %dx%d items, domain A %dx%d: use a crop mode",
                         opts->spec, tmp.w, tmp.h, ds->w, ds->h);
    }
    if (s != GC_OK) {
        gc_dataset_destroy(ds);
        return s;
    }
    *out = ds;
    return GC_OK;
}

gc_status gc_transform_image(const struct gc_transform *t, const struct gc_image *img, float *out,
                             const char *name)
{
    GC_ASSERT(t && img && img->data && out);
    gc_status s = check_transform(t);
    if (s != GC_OK) return s;
    struct gc__xf_params p;
    gc__xf_draw(t, img->w, img->h, (const uint32_t[4]){0, 0, 0, 0}, &p);
    p.flip = false;
    struct gc_image o;
    s = gc__xf_apply(&o, img, t, &p, name);
    if (s != GC_OK) return s;
    gc__xf_to_float(out, &o, t->pad);
    gc_image_free(&o);
    return GC_OK;
}

void gc_dataset_destroy(struct gc_dataset *ds)
{
    if (!ds) return;
    domain_free(&ds->dom[0]);
    domain_free(&ds->dom[1]);
    gc_free(ds);
}

int64_t gc_dataset_size(const struct gc_dataset *ds)
{
    return ds->n;
}

int gc_dataset_domains(const struct gc_dataset *ds)
{
    return ds->aligned ? 2 : ds->ndom;
}

int64_t gc_dataset_domain_size(const struct gc_dataset *ds, int domain)
{
    if (ds->aligned) return ds->dom[0].n;
    return domain >= 0 && domain < ds->ndom ? ds->dom[domain].n : 0;
}

void gc_dataset_shape(const struct gc_dataset *ds, int *c, int *h, int *w)
{
    *c = ds->c;
    *h = ds->h;
    *w = ds->w;
}

const char *gc_dataset_path(const struct gc_dataset *ds, int domain, int64_t i)
{
    if (ds->aligned) domain = 0;
    if (domain < 0 || domain >= ds->ndom || ds->dom[domain].kind != DOM_FILES || i < 0 ||
        i >= ds->dom[domain].n)
        return NULL;
    return ds->dom[domain].paths[i];
}
