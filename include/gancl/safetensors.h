/* SPDX-License-Identifier: MIT */
/* safetensors files: the checkpoint format of gan-cl (and of the PyTorch
 * ecosystem), read and written.
 *
 * Layout: u64 little-endian header length N, N bytes of JSON (an object:
 * "__metadata__" -> {string: string}, and per tensor name -> {"dtype",
 * "shape", "data_offsets": [begin, end]} relative to the data section), then
 * the raw little-endian tensor data.
 *
 * The reader follows the rules of the reference (Rust) implementation used by
 * Python's `safetensors` package, and is stricter where that one is silent:
 *   - 8 + N <= file size and N <= GC_ST_MAX_HEADER (100 MB);
 *   - the header is valid UTF-8 JSON, starts with '{', is an object, and may
 *     be followed only by spaces; duplicate keys are rejected;
 *   - dtype is one of enum gc_st_dtype's names; shape holds non-negative
 *     integers; prod(shape) * dtype size == end - begin (no overflow);
 *   - sorted by begin, the tensors tile the data section exactly: the first
 *     starts at 0, each starts where the previous ended (no overlap, no gap),
 *     and the last ends at the end of the file;
 *   - __metadata__ values are strings.
 * Anything else is GC_FORMAT with the file named in gc_last_error().
 *
 * The writer sorts tensors as the Python package does (larger dtype first,
 * then by name, so every tensor is aligned to its element size), pads the
 * header with spaces to a multiple of 8 bytes, and writes atomically (temp
 * file in the same folder, fsync, rename, fsync of the folder): a writer
 * killed at any moment leaves the previous file intact.
 *
 * Data are little-endian in the file and used as-is: the host must be
 * little-endian (checked; GC_UNSUPPORTED otherwise). */
#ifndef GANCL_SAFETENSORS_H
#define GANCL_SAFETENSORS_H

#include <stddef.h>
#include <stdint.h>

#include "gancl/status.h"

#define GC_ST_MAX_HEADER ((uint64_t)100000000)
#define GC_ST_MAX_DIMS 8

/* X(NAME, bytes per element), in the order the Python package sorts them. */
#define GC_ST_DTYPE_LIST(X)                                                                        \
    X(BOOL, 1)                                                                                     \
    X(U8, 1)                                                                                       \
    X(I8, 1)                                                                                       \
    X(F8_E5M2, 1)                                                                                  \
    X(F8_E4M3, 1)                                                                                  \
    X(I16, 2)                                                                                      \
    X(U16, 2)                                                                                      \
    X(F16, 2)                                                                                      \
    X(BF16, 2)                                                                                     \
    X(I32, 4)                                                                                      \
    X(U32, 4)                                                                                      \
    X(F32, 4)                                                                                      \
    X(F64, 8)                                                                                      \
    X(I64, 8)                                                                                      \
    X(U64, 8)

enum gc_st_dtype {
#define GC_ST_DTYPE_ENUM_(name, size) GC_ST_##name,
    GC_ST_DTYPE_LIST(GC_ST_DTYPE_ENUM_)
#undef GC_ST_DTYPE_ENUM_
        GC_ST_DTYPE_COUNT
};

/* "F32", ...; NULL for a value outside the list. */
const char *gc_st_dtype_name(enum gc_st_dtype dt);
/* Bytes per element; 0 for a value outside the list. */
size_t gc_st_dtype_size(enum gc_st_dtype dt);

/* One tensor: in a loaded file every pointer is owned by the file object;
 * for the writer they are the caller's. */
struct gc_st_tensor {
    const char *name;
    enum gc_st_dtype dtype;
    int ndim; /* 0 (a scalar) .. GC_ST_MAX_DIMS */
    int64_t shape[GC_ST_MAX_DIMS];
    const void *data; /* little-endian elements, row-major */
    size_t nbytes;    /* prod(shape) * gc_st_dtype_size(dtype) */
};

struct gc_st_meta {
    const char *key;
    const char *value;
};

/* ---- reading ------------------------------------------------------------ */

struct gc_safetensors;

/* Loads and validates a whole file. On failure *out is untouched. */
gc_status gc_safetensors_load(struct gc_safetensors **out, const char *path);
/* The same from memory (the bytes are copied); `name` names it in errors. */
gc_status gc_safetensors_parse(struct gc_safetensors **out, const void *buf, size_t len,
                               const char *name);
void gc_safetensors_destroy(struct gc_safetensors *st);

/* Tensors in file order (by data offset). */
int gc_safetensors_count(const struct gc_safetensors *st);
const struct gc_st_tensor *gc_safetensors_tensor(const struct gc_safetensors *st, int i);
/* NULL when absent. */
const struct gc_st_tensor *gc_safetensors_find(const struct gc_safetensors *st, const char *name);

/* Metadata in file order; value lookup returns NULL when absent. */
int gc_safetensors_meta_count(const struct gc_safetensors *st);
const struct gc_st_meta *gc_safetensors_meta(const struct gc_safetensors *st, int i);
const char *gc_safetensors_meta_get(const struct gc_safetensors *st, const char *key);

/* Copies tensor `name` into dst as float32, converting from F32, F16 or BF16.
 * The tensor must have exactly `ndim` dimensions equal to `shape` (the
 * checkpoint-loading check): GC_NOT_FOUND if absent, GC_FORMAT on a shape or
 * dtype mismatch, naming the file and the tensor. */
gc_status gc_safetensors_read_f32(const struct gc_safetensors *st, const char *name, float *dst,
                                  int ndim, const int64_t *shape);

/* ---- writing ------------------------------------------------------------ */

/* Writes `n` tensors and `n_meta` metadata pairs to `path` atomically.
 * Names must be unique, non-empty and not "__metadata__", metadata keys
 * unique; each tensor's nbytes must equal prod(shape) * dtype size
 * (GC_INVALID_ARG otherwise; nothing is written). */
gc_status gc_safetensors_save(const char *path, const struct gc_st_tensor *tensors, int n,
                              const struct gc_st_meta *meta, int n_meta);

#endif
