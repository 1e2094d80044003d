/* SPDX-License-Identifier: MIT */
/* safetensors reader and writer (format and rules in gancl/safetensors.h).
 * JSON goes through cJSON; everything cJSON does not check (UTF-8, duplicate
 * keys, integer ranges, the tiling of the data section) is checked here. */
#include "gancl/safetensors.h"

#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

#include "fileio.h"
#include "gancl/alloc.h"

static const struct {
    const char *name;
    size_t size;
} dtypes[] = {
#define GC_ST_DTYPE_ROW_(name, size) {#name, size},
    GC_ST_DTYPE_LIST(GC_ST_DTYPE_ROW_)
#undef GC_ST_DTYPE_ROW_
};

const char *gc_st_dtype_name(enum gc_st_dtype dt)
{
    return (unsigned)dt < GC_ST_DTYPE_COUNT ? dtypes[dt].name : NULL;
}

size_t gc_st_dtype_size(enum gc_st_dtype dt)
{
    return (unsigned)dt < GC_ST_DTYPE_COUNT ? dtypes[dt].size : 0;
}

struct gc_safetensors {
    unsigned char *buf; /* the whole file */
    size_t len;
    const unsigned char *data; /* start of the data section */
    int n, n_meta;
    struct gc_st_tensor *t;                /* by data offset */
    const struct gc_st_tensor **byname;    /* sorted by name */
    struct gc_st_meta *meta;
    char *strings; /* names, keys and values, NUL-separated */
    char *file;    /* for messages */
};

static int host_is_le(void)
{
    const uint16_t one = 1;
    unsigned char b;
    memcpy(&b, &one, 1);
    return b == 1;
}

static int utf8_valid(const unsigned char *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        unsigned c = s[i];
        size_t k;
        uint32_t cp;
        if (c < 0x80) {
            i++;
            continue;
        } else if ((c & 0xe0) == 0xc0) {
            k = 1, cp = c & 0x1f;
        } else if ((c & 0xf0) == 0xe0) {
            k = 2, cp = c & 0x0f;
        } else if ((c & 0xf8) == 0xf0) {
            k = 3, cp = c & 0x07;
        } else {
            return 0;
        }
        if (n - i <= k) return 0;
        for (size_t j = 1; j <= k; j++) {
            if ((s[i + j] & 0xc0) != 0x80) return 0;
            cp = cp << 6 | (s[i + j] & 0x3f);
        }
        /* overlong forms, surrogates, beyond U+10FFFF */
        if ((k == 1 && cp < 0x80) || (k == 2 && cp < 0x800) || (k == 3 && cp < 0x10000) ||
            (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
            return 0;
        i += k + 1;
    }
    return 1;
}

/* ---- reading ------------------------------------------------------------ */

#define MAX_EXACT_INT 9007199254740992.0 /* 2^53: beyond it doubles skip integers */

static int get_uint(const cJSON *j, uint64_t *v)
{
    if (!cJSON_IsNumber(j)) return 0;
    double d = j->valuedouble;
    if (!(d >= 0 && d <= MAX_EXACT_INT) || d != (double)(uint64_t)d) return 0;
    *v = (uint64_t)d;
    return 1;
}

static int cmp_offset(const void *a, const void *b)
{
    const struct gc_st_tensor *x = a, *y = b;
    const unsigned char *xa = x->data, *ya = y->data;
    if (xa != ya) return xa < ya ? -1 : 1;
    if (x->nbytes != y->nbytes) return x->nbytes < y->nbytes ? -1 : 1;
    return strcmp(x->name, y->name);
}

static int cmp_name(const void *a, const void *b)
{
    const struct gc_st_tensor *const *x = a, *const *y = b;
    return strcmp((*x)->name, (*y)->name);
}

static int cmp_meta(const void *a, const void *b)
{
    const struct gc_st_meta *x = a, *y = b;
    return strcmp(x->key, y->key);
}

/* Fills one tensor from its JSON entry; data holds the begin offset for now
 * (cast to a pointer from `base`), nbytes the byte count. */
static gc_status parse_tensor(struct gc_st_tensor *t, const cJSON *e, const char *file,
                              const unsigned char *base, size_t data_len)
{
    const char *nm = t->name;
    if (!cJSON_IsObject(e)) return gc_error(GC_FORMAT, "%s: tensor '%s' is not an object", file, nm);
    const cJSON *dt = cJSON_GetObjectItemCaseSensitive(e, "dtype");
    const cJSON *sh = cJSON_GetObjectItemCaseSensitive(e, "shape");
    const cJSON *off = cJSON_GetObjectItemCaseSensitive(e, "data_offsets");
    if (!cJSON_IsString(dt) || !cJSON_IsArray(sh) || !cJSON_IsArray(off))
        return gc_error(GC_FORMAT, "%s: tensor '%s' needs dtype, shape and data_offsets", file, nm);
    int d = 0;
    while (d < GC_ST_DTYPE_COUNT && strcmp(dtypes[d].name, dt->valuestring) != 0) d++;
    if (d == GC_ST_DTYPE_COUNT)
        return gc_error(GC_FORMAT, "%s: tensor '%s' has unknown dtype '%.32s'", file, nm,
                        dt->valuestring);
    t->dtype = (enum gc_st_dtype)d;
    int ndim = cJSON_GetArraySize(sh);
    if (ndim > GC_ST_MAX_DIMS)
        return gc_error(GC_FORMAT, "%s: tensor '%s' has %d dimensions (at most %d)", file, nm,
                        ndim, GC_ST_MAX_DIMS);
    t->ndim = ndim;
    uint64_t bytes = dtypes[d].size, v;
    int i = 0;
    for (const cJSON *s = sh->child; s; s = s->next, i++) {
        if (!get_uint(s, &v))
            return gc_error(GC_FORMAT, "%s: tensor '%s' has a shape entry that is not a size", file,
                            nm);
        t->shape[i] = (int64_t)v;
        if (v && bytes > UINT64_MAX / v)
            return gc_error(GC_FORMAT, "%s: tensor '%s' shape overflows", file, nm);
        bytes *= v;
    }
    uint64_t b, en;
    if (cJSON_GetArraySize(off) != 2 || !get_uint(off->child, &b) ||
        !get_uint(off->child->next, &en) || en < b)
        return gc_error(GC_FORMAT, "%s: tensor '%s' has invalid data_offsets", file, nm);
    if (en > data_len)
        return gc_error(GC_FORMAT,
                        "%s: tensor '%s' data_offsets [%llu, %llu] outside the %zu-byte data", file,
                        nm, (unsigned long long)b, (unsigned long long)en, data_len);
    if (en - b != bytes)
        return gc_error(GC_FORMAT,
                        "%s: tensor '%s': shape and dtype give %llu bytes but data_offsets span "
                        "%llu",
                        file, nm, (unsigned long long)bytes, (unsigned long long)(en - b));
    t->data = base + b;
    t->nbytes = (size_t)bytes;
    return GC_OK;
}

/* Checks that the tensors (sorted by offset) tile [0, data_len) exactly. */
static gc_status check_tiling(const struct gc_safetensors *st, const char *file, size_t data_len)
{
    size_t at = 0;
    for (int i = 0; i < st->n; i++) {
        const struct gc_st_tensor *t = &st->t[i];
        size_t b = (size_t)((const unsigned char *)t->data - st->data);
        if (b < at)
            return gc_error(GC_FORMAT, "%s: tensor '%s' overlaps tensor '%s'", file, t->name,
                            st->t[i - 1].name);
        if (b > at)
            return gc_error(GC_FORMAT, "%s: %zu-byte gap in the data before tensor '%s'", file,
                            b - at, t->name);
        at = b + t->nbytes;
    }
    if (at != data_len)
        return gc_error(GC_FORMAT, "%s: the tensors cover %zu bytes of the %zu-byte data section",
                        file, at, data_len);
    return GC_OK;
}

/* Counts entries and string bytes, rejecting what is not an object. */
static gc_status size_header(const cJSON *root, const cJSON *meta, const char *file, int *n,
                             int *n_meta, size_t *strbytes)
{
    *n = *n_meta = 0;
    *strbytes = 0;
    for (const cJSON *e = root->child; e; e = e->next) {
        if (e == meta) continue;
        (*n)++;
        *strbytes += strlen(e->string) + 1;
    }
    if (!meta) return GC_OK;
    if (!cJSON_IsObject(meta)) return gc_error(GC_FORMAT, "%s: __metadata__ is not an object", file);
    for (const cJSON *e = meta->child; e; e = e->next) {
        if (!cJSON_IsString(e))
            return gc_error(GC_FORMAT, "%s: __metadata__ value of '%s' is not a string", file,
                            e->string);
        (*n_meta)++;
        *strbytes += strlen(e->string) + strlen(e->valuestring) + 2;
    }
    return GC_OK;
}

static gc_status fill(struct gc_safetensors *st, const cJSON *root, const cJSON *meta,
                      const char *file, size_t data_len)
{
    char *sp = st->strings;
    int i = 0;
    for (const cJSON *e = root->child; e; e = e->next) {
        if (e == meta) continue;
        size_t k = strlen(e->string) + 1;
        st->t[i].name = memcpy(sp, e->string, k);
        sp += k;
        gc_status s = parse_tensor(&st->t[i], e, file, st->data, data_len);
        if (s != GC_OK) return s;
        i++;
    }
    i = 0;
    for (const cJSON *e = meta ? meta->child : NULL; e; e = e->next, i++) {
        size_t k = strlen(e->string) + 1, v = strlen(e->valuestring) + 1;
        st->meta[i].key = memcpy(sp, e->string, k);
        st->meta[i].value = memcpy(sp + k, e->valuestring, v);
        sp += k + v;
    }
    qsort(st->t, (size_t)st->n, sizeof *st->t, cmp_offset);
    for (i = 0; i < st->n; i++) st->byname[i] = &st->t[i];
    qsort(st->byname, (size_t)st->n, sizeof *st->byname, cmp_name);
    for (i = 1; i < st->n; i++)
        if (strcmp(st->byname[i - 1]->name, st->byname[i]->name) == 0)
            return gc_error(GC_FORMAT, "%s: tensor '%s' appears twice", file, st->byname[i]->name);
    if (st->n_meta > 1) {
        struct gc_st_meta *sorted = gc_malloc((size_t)st->n_meta * sizeof *sorted);
        if (!sorted) return gc_error(GC_NOMEM, "%s: out of memory", file);
        memcpy(sorted, st->meta, (size_t)st->n_meta * sizeof *sorted);
        qsort(sorted, (size_t)st->n_meta, sizeof *sorted, cmp_meta);
        gc_status s = GC_OK;
        for (i = 1; i < st->n_meta && s == GC_OK; i++)
            if (strcmp(sorted[i - 1].key, sorted[i].key) == 0)
                s = gc_error(GC_FORMAT, "%s: __metadata__ key '%s' appears twice", file,
                             sorted[i].key);
        gc_free(sorted);
        if (s != GC_OK) return s;
    }
    return check_tiling(st, file, data_len);
}

static gc_status parse_json(struct gc_safetensors *st, const char *file, size_t hlen)
{
    const char *h = (const char *)st->buf + 8;
    if (hlen == 0 || h[0] != '{')
        return gc_error(GC_FORMAT, "%s: header does not start with '{'", file);
    if (memchr(h, 0, hlen) || !utf8_valid((const unsigned char *)h, hlen))
        return gc_error(GC_FORMAT, "%s: header is not valid UTF-8 text", file);
    const char *end = NULL;
    cJSON *root = cJSON_ParseWithLengthOpts(h, hlen, &end, 0);
    if (!root) return gc_error(GC_FORMAT, "%s: header is not valid JSON", file);
    gc_status s = GC_OK;
    for (const char *p = end; p < h + hlen && s == GC_OK; p++)
        if (*p != ' ' && *p != '\t' && *p != '\n' && *p != '\r')
            s = gc_error(GC_FORMAT, "%s: header has trailing bytes after the JSON", file);
    if (s == GC_OK && !cJSON_IsObject(root))
        s = gc_error(GC_FORMAT, "%s: header is not a JSON object", file);
    const cJSON *meta = s == GC_OK ? cJSON_GetObjectItemCaseSensitive(root, "__metadata__") : NULL;
    size_t strbytes = 0;
    if (s == GC_OK) s = size_header(root, meta, file, &st->n, &st->n_meta, &strbytes);
    if (s == GC_OK) {
        st->t = gc_calloc((size_t)st->n + 1, sizeof *st->t);
        st->byname = gc_calloc((size_t)st->n + 1, sizeof *st->byname);
        st->meta = gc_calloc((size_t)st->n_meta + 1, sizeof *st->meta);
        st->strings = gc_malloc(strbytes + 1);
        if (!st->t || !st->byname || !st->meta || !st->strings)
            s = gc_error(GC_NOMEM, "%s: out of memory", file);
    }
    if (s == GC_OK) s = fill(st, root, meta, file, st->len - 8 - hlen);
    cJSON_Delete(root);
    return s;
}

/* Takes ownership of buf (gc_malloc'd, len bytes) whatever happens. */
static gc_status parse_owned(struct gc_safetensors **out, unsigned char *buf, size_t len,
                             const char *file)
{
    if (!host_is_le()) {
        gc_free(buf);
        return gc_error(GC_UNSUPPORTED, "%s: safetensors needs a little-endian host", file);
    }
    struct gc_safetensors *st = gc_calloc(1, sizeof *st);
    if (!st) {
        gc_free(buf);
        return gc_error(GC_NOMEM, "%s: out of memory", file);
    }
    st->buf = buf;
    st->len = len;
    st->file = gc_strdup(file);
    if (!st->file) {
        gc_safetensors_destroy(st);
        return gc_error(GC_NOMEM, "%s: out of memory", file);
    }
    gc_status s = GC_OK;
    uint64_t hlen = 0;
    if (len < 8) {
        s = gc_error(GC_FORMAT, "%s: %zu bytes, too short for a safetensors file", file, len);
    } else {
        for (int i = 7; i >= 0; i--) hlen = hlen << 8 | buf[i];
        if (hlen > GC_ST_MAX_HEADER)
            s = gc_error(GC_FORMAT, "%s: header length %llu exceeds the %llu-byte limit", file,
                         (unsigned long long)hlen, (unsigned long long)GC_ST_MAX_HEADER);
        else if (hlen > len - 8)
            s = gc_error(GC_FORMAT, "%s: header length %llu is longer than the file (%zu bytes)",
                         file, (unsigned long long)hlen, len);
    }
    if (s == GC_OK) {
        st->data = buf + 8 + hlen;
        s = parse_json(st, file, (size_t)hlen);
    }
    if (s != GC_OK) {
        gc_safetensors_destroy(st);
        return s;
    }
    *out = st;
    return GC_OK;
}

gc_status gc_safetensors_load(struct gc_safetensors **out, const char *path)
{
    unsigned char *buf;
    size_t len;
    gc_status s = gc__read_file(path, SIZE_MAX / 2, &buf, &len);
    if (s != GC_OK) return s;
    return parse_owned(out, buf, len, path);
}

gc_status gc_safetensors_parse(struct gc_safetensors **out, const void *buf, size_t len,
                               const char *name)
{
    if (!name) name = "<memory>";
    unsigned char *copy = gc_malloc(len ? len : 1);
    if (!copy) return gc_error(GC_NOMEM, "%s: cannot allocate %zu bytes", name, len);
    if (len) memcpy(copy, buf, len);
    return parse_owned(out, copy, len, name);
}

void gc_safetensors_destroy(struct gc_safetensors *st)
{
    if (!st) return;
    gc_free(st->buf);
    gc_free(st->t);
    gc_free(st->byname);
    gc_free(st->meta);
    gc_free(st->strings);
    gc_free(st->file);
    gc_free(st);
}

int gc_safetensors_count(const struct gc_safetensors *st)
{
    return st->n;
}

const struct gc_st_tensor *gc_safetensors_tensor(const struct gc_safetensors *st, int i)
{
    return i >= 0 && i < st->n ? &st->t[i] : NULL;
}

const struct gc_st_tensor *gc_safetensors_find(const struct gc_safetensors *st, const char *name)
{
    struct gc_st_tensor key = {.name = name};
    const struct gc_st_tensor *kp = &key;
    const struct gc_st_tensor **hit =
        bsearch(&kp, st->byname, (size_t)st->n, sizeof *st->byname, cmp_name);
    return hit ? *hit : NULL;
}

int gc_safetensors_meta_count(const struct gc_safetensors *st)
{
    return st->n_meta;
}

const struct gc_st_meta *gc_safetensors_meta(const struct gc_safetensors *st, int i)
{
    return i >= 0 && i < st->n_meta ? &st->meta[i] : NULL;
}

const char *gc_safetensors_meta_get(const struct gc_safetensors *st, const char *key)
{
    for (int i = 0; i < st->n_meta; i++)
        if (strcmp(st->meta[i].key, key) == 0) return st->meta[i].value;
    return NULL;
}

static float half_to_float(uint16_t h)
{
    uint32_t sign = (uint32_t)(h & 0x8000) << 16, exp = (h >> 10) & 0x1f, man = h & 0x3ff, bits;
    if (exp == 0x1f) {
        bits = sign | 0x7f800000u | man << 13; /* inf, nan */
    } else if (exp) {
        bits = sign | (exp + 112) << 23 | man << 13;
    } else if (man) { /* subnormal: normalise */
        int e = -1;
        do {
            man <<= 1;
            e++;
        } while (!(man & 0x400));
        bits = sign | (uint32_t)(112 - e) << 23 | (man & 0x3ff) << 13;
    } else {
        bits = sign;
    }
    float f;
    memcpy(&f, &bits, 4);
    return f;
}

gc_status gc_safetensors_read_f32(const struct gc_safetensors *st, const char *name, float *dst,
                                  int ndim, const int64_t *shape)
{
    const struct gc_st_tensor *t = gc_safetensors_find(st, name);
    if (!t) return gc_error(GC_NOT_FOUND, "%s: no tensor '%s'", st->file, name);
    int same = t->ndim == ndim;
    for (int i = 0; same && i < ndim; i++) same = t->shape[i] == shape[i];
    if (!same) return gc_error(GC_FORMAT, "%s: tensor '%s' has another shape than expected",
                               st->file, name);
    size_t n = t->nbytes / dtypes[t->dtype].size;
    const unsigned char *p = t->data;
    switch (t->dtype) {
    case GC_ST_F32:
        if (n) memcpy(dst, p, n * 4);
        break;
    case GC_ST_F16:
    case GC_ST_BF16:
        for (size_t i = 0; i < n; i++) {
            uint16_t v = (uint16_t)(p[2 * i] | p[2 * i + 1] << 8);
            if (t->dtype == GC_ST_F16) {
                dst[i] = half_to_float(v);
            } else {
                uint32_t bits = (uint32_t)v << 16;
                memcpy(&dst[i], &bits, 4);
            }
        }
        break;
    default:
        return gc_error(GC_FORMAT, "%s: tensor '%s' is %s, not a float type", st->file, name,
                        dtypes[t->dtype].name);
    }
    return GC_OK;
}

/* ---- writing ------------------------------------------------------------ */

/* Sort order of the Python package: larger dtype (enum order) first, then name. */
static int cmp_write(const void *a, const void *b)
{
    const struct gc_st_tensor *const *x = a, *const *y = b;
    if ((*x)->dtype != (*y)->dtype) return (*x)->dtype > (*y)->dtype ? -1 : 1;
    return strcmp((*x)->name, (*y)->name);
}

static int cmp_meta_ptr(const void *a, const void *b)
{
    const struct gc_st_meta *const *x = a, *const *y = b;
    return strcmp((*x)->key, (*y)->key);
}

static int text_ok(const char *s)
{
    return s && utf8_valid((const unsigned char *)s, strlen(s));
}

static gc_status check_tensor(const struct gc_st_tensor *t, const char *path)
{
    if (!text_ok(t->name) || !t->name[0] || strcmp(t->name, "__metadata__") == 0)
        return gc_error(GC_INVALID_ARG, "%s: invalid tensor name", path);
    if ((unsigned)t->dtype >= GC_ST_DTYPE_COUNT || t->ndim < 0 || t->ndim > GC_ST_MAX_DIMS)
        return gc_error(GC_INVALID_ARG, "%s: tensor '%s': bad dtype or ndim", path, t->name);
    uint64_t bytes = dtypes[t->dtype].size;
    for (int i = 0; i < t->ndim; i++) {
        uint64_t v = (uint64_t)t->shape[i];
        if (t->shape[i] < 0 || (double)t->shape[i] > MAX_EXACT_INT ||
            (v && bytes > UINT64_MAX / v))
            return gc_error(GC_INVALID_ARG, "%s: tensor '%s': bad shape", path, t->name);
        bytes *= v;
    }
    if (bytes != t->nbytes || (bytes && !t->data))
        return gc_error(GC_INVALID_ARG, "%s: tensor '%s': %zu bytes given, shape needs %llu", path,
                        t->name, t->nbytes, (unsigned long long)bytes);
    return GC_OK;
}

/* Validates the inputs and fills `order` with the tensors in file order. */
static gc_status check_inputs(const char *path, const struct gc_st_tensor *tensors, int n,
                              const struct gc_st_meta *meta, int n_meta,
                              const struct gc_st_tensor **order, const struct gc_st_meta **mo)
{
    for (int i = 0; i < n; i++) {
        gc_status s = check_tensor(&tensors[i], path);
        if (s != GC_OK) return s;
        order[i] = &tensors[i];
    }
    qsort(order, (size_t)n, sizeof *order, cmp_name);
    for (int i = 1; i < n; i++)
        if (strcmp(order[i - 1]->name, order[i]->name) == 0)
            return gc_error(GC_INVALID_ARG, "%s: tensor '%s' given twice", path, order[i]->name);
    qsort(order, (size_t)n, sizeof *order, cmp_write);
    for (int i = 0; i < n_meta; i++) {
        if (!text_ok(meta[i].key) || !text_ok(meta[i].value))
            return gc_error(GC_INVALID_ARG, "%s: metadata %d is not UTF-8 text", path, i);
        mo[i] = &meta[i];
    }
    qsort(mo, (size_t)n_meta, sizeof *mo, cmp_meta_ptr);
    for (int i = 1; i < n_meta; i++)
        if (strcmp(mo[i - 1]->key, mo[i]->key) == 0)
            return gc_error(GC_INVALID_ARG, "%s: metadata key '%s' given twice", path, mo[i]->key);
    return GC_OK;
}

/* The JSON header for tensors in `order`; NULL when out of memory. */
static char *build_header(const struct gc_st_tensor *const *order, int n,
                          const struct gc_st_meta *const *mo, int n_meta)
{
    cJSON *root = cJSON_CreateObject(), *m = NULL;
    int ok = root != NULL;
    if (ok && n_meta) {
        ok = (m = cJSON_AddObjectToObject(root, "__metadata__")) != NULL;
        for (int i = 0; ok && i < n_meta; i++)
            ok = cJSON_AddStringToObject(m, mo[i]->key, mo[i]->value) != NULL;
    }
    size_t at = 0;
    for (int i = 0; ok && i < n; i++) {
        const struct gc_st_tensor *t = order[i];
        cJSON *e = cJSON_AddObjectToObject(root, t->name);
        cJSON *sh = e ? cJSON_AddArrayToObject(e, "shape") : NULL;
        ok = e && cJSON_AddStringToObject(e, "dtype", dtypes[t->dtype].name) && sh;
        for (int d = 0; ok && d < t->ndim; d++)
            ok = cJSON_AddItemToArray(sh, cJSON_CreateNumber((double)t->shape[d]));
        cJSON *off = ok ? cJSON_AddArrayToObject(e, "data_offsets") : NULL;
        ok = off && cJSON_AddItemToArray(off, cJSON_CreateNumber((double)at)) &&
             cJSON_AddItemToArray(off, cJSON_CreateNumber((double)(at + t->nbytes)));
        at += t->nbytes;
    }
    char *json = ok ? cJSON_PrintUnformatted(root) : NULL;
    cJSON_Delete(root);
    return json;
}

static gc_status write_file(const char *path, const char *json,
                            const struct gc_st_tensor *const *order, int n)
{
    size_t jlen = strlen(json), pad = (8 - jlen % 8) % 8;
    uint64_t hlen = jlen + pad;
    unsigned char le[8];
    for (int i = 0; i < 8; i++) le[i] = (unsigned char)(hlen >> (8 * i));
    struct gc__atomic_file a;
    gc_status s = gc__atomic_open(&a, path);
    if (s != GC_OK) return s;
    int ok = fwrite(le, 1, 8, a.f) == 8 && fwrite(json, 1, jlen, a.f) == jlen;
    for (size_t i = 0; ok && i < pad; i++) ok = fputc(' ', a.f) != EOF;
    for (int i = 0; ok && i < n; i++)
        ok = !order[i]->nbytes || fwrite(order[i]->data, 1, order[i]->nbytes, a.f) ==
                                      order[i]->nbytes;
    if (!ok) {
        gc_status e = gc_error(GC_IO, "%s: write failed", path);
        gc__atomic_abort(&a);
        return e;
    }
    return gc__atomic_commit(&a);
}

gc_status gc_safetensors_save(const char *path, const struct gc_st_tensor *tensors, int n,
                              const struct gc_st_meta *meta, int n_meta)
{
    if (!path || n < 0 || n_meta < 0 || (n && !tensors) || (n_meta && !meta))
        return gc_error(GC_INVALID_ARG, "gc_safetensors_save: invalid arguments");
    if (!host_is_le())
        return gc_error(GC_UNSUPPORTED, "%s: safetensors needs a little-endian host", path);
    const struct gc_st_tensor **order = gc_malloc(((size_t)n + 1) * sizeof *order);
    const struct gc_st_meta **mo = gc_malloc(((size_t)n_meta + 1) * sizeof *mo);
    gc_status s = GC_OK;
    if (!order || !mo) s = gc_error(GC_NOMEM, "%s: out of memory", path);
    if (s == GC_OK) s = check_inputs(path, tensors, n, meta, n_meta, order, mo);
    char *json = NULL;
    if (s == GC_OK && !(json = build_header(order, n, mo, n_meta)))
        s = gc_error(GC_NOMEM, "%s: out of memory building the header", path);
    if (s == GC_OK) s = write_file(path, json, order, n);
    cJSON_free(json);
    gc_free(order);
    gc_free(mo);
    return s;
}
