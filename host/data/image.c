/* SPDX-License-Identifier: MIT */
/* Image decoding: PNG through libpng, JPEG through libjpeg(-turbo), then
 * channel conversion (rules in gancl/image.h). Files are read whole and go
 * through the same from-memory path the fuzzers exercise.
 *
 * Both libraries report errors by longjmp. Each decoder keeps everything it
 * allocates in a context struct owned by its caller, and the function that
 * calls setjmp touches only that struct, so after a longjmp the caller frees
 * what is there: no leak, no indeterminate locals. */
#include "gancl/image.h"

#include <setjmp.h>
#include <stdio.h>
#include <string.h>

#include <jpeglib.h>
#include <jerror.h>
#include <png.h>

#include "fileio.h"
#include "gancl/alloc.h"

/* Decoder outcomes before they become a gc_status with a message. */
enum { DEC_OK, DEC_ERROR, DEC_LIMIT, DEC_NOMEM, DEC_UNSUPPORTED };

static gc_status dec_status(int r, const char *name, const char *what, const char *msg, int w,
                            int h, int64_t max_pixels)
{
    switch (r) {
    case DEC_OK:
        return GC_OK;
    case DEC_LIMIT:
        return gc_error(GC_LIMIT, "%s: %dx%d %s exceeds the limit of %lld pixels", name, w, h,
                        what, (long long)max_pixels);
    case DEC_NOMEM:
        return gc_error(GC_NOMEM, "%s: out of memory decoding %dx%d %s", name, w, h, what);
    case DEC_UNSUPPORTED:
        return gc_error(GC_UNSUPPORTED, "%s: %s: %s", name, what, msg);
    default:
        return gc_error(GC_FORMAT, "%s: bad %s: %s", name, what, msg);
    }
}

/* ---- PNG ---------------------------------------------------------------- */

struct png_ctx {
    const unsigned char *p;
    size_t len, pos;
    char msg[256];
    int w, h, c;
    uint8_t *pixels;
    png_bytep *rows;
};

static void png_on_error(png_structp png, png_const_charp msg)
{
    struct png_ctx *c = png_get_error_ptr(png);
    snprintf(c->msg, sizeof c->msg, "%s", msg);
    png_longjmp(png, 1);
}

static void png_on_warning(png_structp png, png_const_charp msg)
{
    (void)png;
    (void)msg; /* ancillary-chunk trouble: the pixels are still good */
}

static void png_on_read(png_structp png, png_bytep out, size_t n)
{
    struct png_ctx *c = png_get_io_ptr(png);
    if (n > c->len - c->pos) png_error(png, "unexpected end of file (truncated)");
    memcpy(out, c->p + c->pos, n);
    c->pos += n;
}

static png_voidp png_on_malloc(png_structp png, png_alloc_size_t n)
{
    (void)png;
    return gc_malloc(n);
}

static void png_on_free(png_structp png, png_voidp p)
{
    (void)png;
    gc_free(p);
}

/* Everything libpng touches happens here, between setjmp and return. */
static int png_run(struct png_ctx *c, png_structp png, png_infop info, int64_t max_pixels)
{
    if (setjmp(png_jmpbuf(png))) return DEC_ERROR;
    png_set_read_fn(png, c, png_on_read);
    /* Our own pixel limit decides; libpng's per-side default (1e6) would not
     * stop a 1e6 x 1e6 bomb anyway. */
    png_set_user_limits(png, 0x7fffffff, 0x7fffffff);
    /* Bound the number of cached text/sPLT chunks (chunk sizes: see
     * png_chunks_fit). */
    png_set_chunk_cache_max(png, 1000);
#ifdef FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION
    /* let the fuzzer past checksums it cannot forge (tools/fuzz builds only) */
    png_set_crc_action(png, PNG_CRC_QUIET_USE, PNG_CRC_QUIET_USE);
    png_set_option(png, PNG_IGNORE_ADLER32, PNG_OPTION_ON);
#endif
    png_read_info(png, info);
    c->w = (int)png_get_image_width(png, info);
    c->h = (int)png_get_image_height(png, info);
    if ((int64_t)c->w * c->h > max_pixels) return DEC_LIMIT;
    png_set_expand(png); /* palette -> RGB, grey < 8 bits -> 8, tRNS -> alpha */
    png_set_scale_16(png);
    png_set_interlace_handling(png);
    png_read_update_info(png, info);
    c->c = png_get_channels(png, info);
    if (png_get_bit_depth(png, info) != 8 || c->c < 1 || c->c > 4 ||
        png_get_rowbytes(png, info) != (size_t)c->w * (size_t)c->c)
        png_error(png, "unexpected pixel layout after expansion");
    size_t stride = (size_t)c->w * (size_t)c->c;
    c->pixels = gc_malloc(stride * (size_t)c->h);
    c->rows = gc_malloc((size_t)c->h * sizeof *c->rows);
    if (!c->pixels || !c->rows) return DEC_NOMEM;
    for (int y = 0; y < c->h; y++) c->rows[y] = c->pixels + (size_t)y * stride;
    png_read_image(png, c->rows);
    png_read_end(png, NULL); /* reaches IEND: a file cut after the pixels is caught too */
    return DEC_OK;
}

/* libpng allocates (and clears) the length a chunk header claims before it
 * reads the data, and png_set_chunk_malloc_max does not stop it in 1.6.39:
 * fuzz_png found a 45-byte file costing 2 GB. No chunk can be longer than
 * what is left of the file, so walk the lengths first. */
static gc_status png_chunks_fit(const unsigned char *p, size_t len, const char *name)
{
    size_t at = 8;
    while (len - at >= 8) {
        size_t n = (size_t)p[at] << 24 | (size_t)p[at + 1] << 16 | (size_t)p[at + 2] << 8 | p[at + 3];
        if (n > 0x7fffffff || n > len - at - 8)
            return gc_error(GC_FORMAT, "%s: bad PNG: chunk at byte %zu claims %zu bytes, the file "
                                       "has %zu left (truncated or corrupt)",
                            name, at, n, len - at - 8);
        if (memcmp(p + at + 4, "IEND", 4) == 0 || n + 12 > len - at) break;
        at += n + 12;
    }
    return GC_OK; /* a cut CRC or header: libpng reports it */
}

static gc_status decode_png(struct gc_image *out, const unsigned char *buf, size_t len,
                            const char *name, int64_t max_pixels)
{
    gc_status fit = png_chunks_fit(buf, len, name);
    if (fit != GC_OK) return fit;
    struct png_ctx c = {.p = buf, .len = len};
    png_structp png = png_create_read_struct_2(PNG_LIBPNG_VER_STRING, &c, png_on_error,
                                               png_on_warning, NULL, png_on_malloc, png_on_free);
    png_infop info = png ? png_create_info_struct(png) : NULL;
    if (!info) {
        png_destroy_read_struct(png ? &png : NULL, NULL, NULL);
        return gc_error(GC_NOMEM, "%s: cannot create a PNG decoder", name);
    }
    int r = png_run(&c, png, info, max_pixels);
    png_destroy_read_struct(&png, &info, NULL);
    gc_free(c.rows);
    if (r != DEC_OK) {
        gc_free(c.pixels);
        return dec_status(r, name, "PNG", c.msg, c.w, c.h, max_pixels);
    }
    *out = (struct gc_image){.w = c.w, .h = c.h, .c = c.c, .data = c.pixels};
    return GC_OK;
}

/* ---- JPEG --------------------------------------------------------------- */

/* A progressive file may hold any number of scans; past this it is an
 * attack on decode time, not a photo (libjpeg-turbo's fuzzers use 500). */
#define JPEG_MAX_SCANS 500

struct jpg_ctx {
    struct jpeg_decompress_struct d;
    struct jpeg_error_mgr err;
    struct jpeg_progress_mgr progress;
    jmp_buf jb;
    char msg[JMSG_LENGTH_MAX + 64];
    int w, h, c;
    uint8_t *pixels;
};

static void jpg_on_error(j_common_ptr cinfo)
{
    struct jpg_ctx *c = (struct jpg_ctx *)cinfo->client_data;
    cinfo->err->format_message(cinfo, c->msg);
    longjmp(c->jb, 1);
}

/* libjpeg only warns about damaged data and fills in grey; we refuse it.
 * Benign warnings (unknown JFIF/Adobe versions, stray bytes between
 * markers, a bad ICC marker) still pass. */
static void jpg_on_message(j_common_ptr cinfo, int level)
{
    if (level >= 0) return;
    switch (cinfo->err->msg_code) {
    case JWRN_JPEG_EOF:
    case JWRN_HIT_MARKER:
    case JWRN_HUFF_BAD_CODE:
    case JWRN_ARITH_BAD_CODE:
    case JWRN_MUST_RESYNC:
    case JWRN_NOT_SEQUENTIAL:
    case JWRN_BOGUS_PROGRESSION:
        jpg_on_error(cinfo);
        break;
    default:
        break;
    }
}

static void jpg_on_progress(j_common_ptr cinfo)
{
    struct jpg_ctx *c = (struct jpg_ctx *)cinfo->client_data;
    if (c->d.input_scan_number > JPEG_MAX_SCANS) {
        snprintf(c->msg, sizeof c->msg, "more than %d scans", JPEG_MAX_SCANS);
        longjmp(c->jb, 1);
    }
}

static int jpg_run(struct jpg_ctx *c, const unsigned char *buf, size_t len, int64_t max_pixels)
{
    if (setjmp(c->jb)) return DEC_ERROR;
    jpeg_create_decompress(&c->d);
    c->d.client_data = c;
    c->d.progress = &c->progress;
    jpeg_mem_src(&c->d, buf, (unsigned long)len);
    jpeg_read_header(&c->d, TRUE);
    c->w = (int)c->d.image_width;
    c->h = (int)c->d.image_height;
    if ((int64_t)c->w * c->h > max_pixels) return DEC_LIMIT;
    switch (c->d.jpeg_color_space) {
    case JCS_GRAYSCALE:
        c->d.out_color_space = JCS_GRAYSCALE;
        break;
    case JCS_YCbCr:
    case JCS_RGB:
        c->d.out_color_space = JCS_RGB;
        break;
    case JCS_CMYK:
    case JCS_YCCK:
        snprintf(c->msg, sizeof c->msg, "CMYK/YCCK colour is not supported (convert to RGB)");
        return DEC_UNSUPPORTED;
    default:
        snprintf(c->msg, sizeof c->msg, "unknown colour space with %d components",
                 c->d.num_components);
        return DEC_ERROR;
    }
    jpeg_start_decompress(&c->d);
    c->c = c->d.output_components;
    if ((int)c->d.output_width != c->w || (int)c->d.output_height != c->h ||
        (c->c != 1 && c->c != 3)) {
        snprintf(c->msg, sizeof c->msg, "unexpected output layout");
        return DEC_ERROR;
    }
    size_t stride = (size_t)c->w * (size_t)c->c;
    if (!(c->pixels = gc_malloc(stride * (size_t)c->h))) return DEC_NOMEM;
    while (c->d.output_scanline < c->d.output_height) {
        JSAMPROW row = c->pixels + (size_t)c->d.output_scanline * stride;
        if (jpeg_read_scanlines(&c->d, &row, 1) != 1) {
            snprintf(c->msg, sizeof c->msg, "decoder made no progress");
            return DEC_ERROR;
        }
    }
    jpeg_finish_decompress(&c->d); /* reads to EOI: a cut file warns, and we refuse */
    return DEC_OK;
}

static gc_status decode_jpeg(struct gc_image *out, const unsigned char *buf, size_t len,
                             const char *name, int64_t max_pixels)
{
    struct jpg_ctx *c = gc_calloc(1, sizeof *c); /* jmp_buf and libjpeg state: keep off the stack */
    if (!c) return gc_error(GC_NOMEM, "%s: cannot create a JPEG decoder", name);
    c->d.err = jpeg_std_error(&c->err);
    c->err.error_exit = jpg_on_error;
    c->err.emit_message = jpg_on_message;
    c->progress.progress_monitor = jpg_on_progress;
    c->d.client_data = c;
    int r = jpg_run(c, buf, len, max_pixels);
    jpeg_destroy_decompress(&c->d);
    gc_status s = GC_OK;
    if (r == DEC_OK)
        *out = (struct gc_image){.w = c->w, .h = c->h, .c = c->c, .data = c->pixels};
    else {
        gc_free(c->pixels);
        s = dec_status(r, name, "JPEG", c->msg, c->w, c->h, max_pixels);
    }
    gc_free(c);
    return s;
}

/* ---- conversion and entry points ---------------------------------------- */

static uint8_t luma(const uint8_t *p)
{
    return (uint8_t)((19595u * p[0] + 38470u * p[1] + 7471u * p[2] + 32768u) >> 16);
}

gc_status gc_image_convert(struct gc_image *out, const struct gc_image *in, int channels)
{
    if (!in || !in->data || in->c < 1 || in->c > 4 || channels < 1 || channels > 4 ||
        in->w < 0 || in->h < 0)
        return gc_error(GC_INVALID_ARG, "gc_image_convert: bad image or channel count %d",
                        channels);
    size_t np = (size_t)in->w * (size_t)in->h;
    uint8_t *d = gc_malloc(np * (size_t)channels + 1);
    if (!d) return gc_error(GC_NOMEM, "out of memory converting a %dx%d image", in->w, in->h);
    const int sc = in->c, colour = sc >= 3, alpha = sc == 2 || sc == 4;
    for (size_t i = 0; i < np; i++) {
        const uint8_t *s = in->data + i * (size_t)sc;
        uint8_t *o = d + i * (size_t)channels;
        uint8_t g = colour ? luma(s) : s[0], a = alpha ? s[sc - 1] : 255;
        if (channels <= 2) {
            o[0] = g;
        } else {
            o[0] = s[0];
            o[1] = colour ? s[1] : s[0];
            o[2] = colour ? s[2] : s[0];
        }
        if (channels == 2 || channels == 4) o[channels - 1] = a;
    }
    *out = (struct gc_image){.w = in->w, .h = in->h, .c = channels, .data = d};
    return GC_OK;
}

gc_status gc_image_decode(struct gc_image *out, const void *buf, size_t len, const char *name,
                          int channels, int64_t max_pixels)
{
    static const unsigned char png_sig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    const unsigned char *p = buf;
    if (!name) name = "<memory>";
    if (channels < 0 || channels > 4 || max_pixels < 0 || (len && !buf))
        return gc_error(GC_INVALID_ARG, "%s: bad channel count %d or limit", name, channels);
    if (max_pixels == 0) max_pixels = GC_IMAGE_MAX_PIXELS_DEFAULT;
    struct gc_image img;
    gc_status s;
    if (len >= 8 && memcmp(p, png_sig, 8) == 0)
        s = decode_png(&img, p, len, name, max_pixels);
    else if (len >= 3 && p[0] == 0xff && p[1] == 0xd8 && p[2] == 0xff)
        s = decode_jpeg(&img, p, len, name, max_pixels);
    else if (len == 0)
        return gc_error(GC_FORMAT, "%s: empty file", name);
    else
        return gc_error(GC_FORMAT, "%s: not a PNG or JPEG file", name);
    if (s != GC_OK || channels == 0 || channels == img.c) {
        if (s == GC_OK) *out = img;
        return s;
    }
    struct gc_image conv;
    s = gc_image_convert(&conv, &img, channels);
    gc_image_free(&img);
    if (s != GC_OK) return gc_error_context(s, "%s", name);
    *out = conv;
    return GC_OK;
}

gc_status gc_image_load(struct gc_image *out, const char *path, int channels, int64_t max_pixels)
{
    unsigned char *buf;
    size_t len;
    gc_status s = gc__read_file(path, GC_IMAGE_MAX_FILE_BYTES, &buf, &len);
    if (s != GC_OK) return s;
    s = gc_image_decode(out, buf, len, path, channels, max_pixels);
    gc_free(buf);
    return s;
}

void gc_image_free(struct gc_image *img)
{
    if (!img) return;
    gc_free(img->data);
    memset(img, 0, sizeof *img);
}
