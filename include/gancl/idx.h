/* SPDX-License-Identifier: MIT */
/* IDX files (the MNIST / Fashion-MNIST container) and the Fashion-MNIST data
 * set built on them.
 *
 * IDX layout (big-endian): 0x00 0x00 TYPE NDIM, then NDIM u32 sizes, then
 * prod(sizes) elements. Only TYPE 0x08 (unsigned byte) is read: it is what
 * every MNIST-family file uses. Files may be raw or gzip-compressed (detected
 * from the content, not the name). The header is checked against the real
 * (decompressed) length: a header that promises more or fewer bytes than the
 * file holds is GC_FORMAT with the file named in gc_last_error(). Memory is
 * grown as data actually arrives, so a lying header cannot make the reader
 * allocate more than the file really contains. */
#ifndef GANCL_IDX_H
#define GANCL_IDX_H

#include <stddef.h>
#include <stdint.h>

#include "gancl/status.h"

#define GC_IDX_MAX_DIMS 4
/* Refuse files whose payload would exceed this many bytes (GC_LIMIT). */
#define GC_IDX_MAX_BYTES ((size_t)1 << 32)

struct gc_idx {
    int ndim;                       /* 1..GC_IDX_MAX_DIMS */
    int64_t dims[GC_IDX_MAX_DIMS];  /* e.g. images (N, H, W), labels (N) */
    uint8_t *data;                  /* prod(dims) bytes, row-major; gc_malloc'd */
    size_t size;                    /* prod(dims) */
};

/* Reads `path` (raw or .gz). expect_ndim: required number of dimensions (3
 * for images, 1 for labels), or 0 for any. On failure *out is untouched. */
gc_status gc_idx_read(struct gc_idx *out, const char *path, int expect_ndim);
/* The same from memory (raw or gzip); `name` is used in error messages. */
gc_status gc_idx_decode(struct gc_idx *out, const void *buf, size_t len, const char *name,
                        int expect_ndim);
/* Frees the data and zeroes *idx; NULL and a zeroed struct are no-ops. */
void gc_idx_free(struct gc_idx *idx);

/* ---- Fashion-MNIST ------------------------------------------------------ */

/* Debian's dataset-fashion-mnist installs here. */
#define GC_FMNIST_DEFAULT_DIR "/usr/share/datasets/fashion-mnist"
#define GC_FMNIST_CLASSES 10
#define GC_FMNIST_SIZE 28

enum gc_fmnist_split { GC_FMNIST_TRAIN, GC_FMNIST_TEST };

/* A loaded split: images (n, 28, 28) u8 in [0, 255], labels (n) in 0..9. */
struct gc_fmnist {
    int64_t n;
    int h, w;
    uint8_t *images;
    uint8_t *labels;
};

/* Loads {train,t10k}-{images-idx3,labels-idx1}-ubyte[.gz] from `dir` (NULL =
 * $GANCL_FMNIST_DIR if set, else GC_FMNIST_DEFAULT_DIR; the .gz name is tried first). class_filter: -1 keeps
 * every image, 0..9 keeps only that class (in file order). Image and label
 * counts must agree and labels must be 0..9 (GC_FORMAT otherwise). */
gc_status gc_fmnist_load(struct gc_fmnist *out, const char *dir, enum gc_fmnist_split split,
                         int class_filter);
void gc_fmnist_free(struct gc_fmnist *ds);

/* Parses a class given by index ("7") or by name, case-insensitive, with
 * '-', '_', ' ' and '/' ignored: "sneaker", "ankle-boot", "ankle_boot",
 * "Ankle boot", "t-shirt", "tshirt/top", "top". GC_INVALID_ARG if unknown. */
gc_status gc_fmnist_class_parse(const char *text, int *cls);
/* "T-shirt/top", "Trouser", ... "Ankle boot"; NULL outside 0..9. */
const char *gc_fmnist_class_name(int cls);

/* Converts images [first, first + count) to float, (count, 1, 28 + 2*pad,
 * 28 + 2*pad), written to `out`. The [0, 255] image is first zero-padded
 * (black) by `pad` pixels on each side, then scaled as torchvision's
 * ToTensor() + Normalize(0.5, 0.5) does: (v / 255 - 0.5) / 0.5, so the border
 * is exactly -1 and the range is [-1, 1]. pad = 2 gives the 32x32 input of
 * DCGAN-style models (torchvision Pad(2) before ToTensor). */
void gc_fmnist_to_float(float *out, const struct gc_fmnist *ds, int64_t first, int64_t count,
                        int pad);

#endif
