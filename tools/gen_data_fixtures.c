/* SPDX-License-Identifier: MIT */
/* Writes the data-layer fixtures under tests/fixtures/data/:
 *   - PNG files in every colour type, bit depth, palette/tRNS and interlace
 *     variant, and JPEG files (baseline, progressive, 4:2:0, grey), whose
 *     pixels are known functions of (x, y, c) that tests/test_image.c checks;
 *   - small IDX files (raw and .gz) and a safetensors file with F16/BF16;
 *   - bad/: the broken-file corpus every reader must reject cleanly
 *     (truncated, bad CRC, empty, absurd sizes, lying headers, ...).
 * Usage: gen-data-fixtures OUTDIR   (OUTDIR = tests/fixtures/data)
 * The output is committed; rerun after changing this file. Output is
 * deterministic for a given libpng/libjpeg/zlib. Keep the pixel formulas
 * in sync with tests/test_image.c (the tests fail loudly if they drift). */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <jpeglib.h>
#include <png.h>
#include <zlib.h>

#define W 13
#define H 11
#define JW 32
#define JH 24

static const char *outdir;

/* ---- the pixel functions (mirrored in tests/test_image.c) --------------- */

static int f8(int x, int y, int c)
{
    return (x * 7 + y * 13 + c * 71 + 5) & 255;
}

static int f16(int x, int y, int c)
{
    int v = f8(x, y, c) * 257 + (x * 3 + y + c) % 201 - 100;
    return v < 0 ? 0 : v > 65535 ? 65535 : v;
}

static int low(int bits, int x, int y)
{
    return (x + 2 * y) % (1 << bits);
}

static int pal_n(int bits)
{
    return bits == 8 ? 200 : 1 << bits;
}

static int pal_index(int bits, int x, int y)
{
    return (x + 3 * y) % pal_n(bits);
}

static void pal_rgb(int i, int rgb[3])
{
    rgb[0] = i, rgb[1] = 255 - i, rgb[2] = (i * 37) & 255;
}

static int pal_alpha(int i) /* tRNS covers the first 16 entries */
{
    return i < 16 ? 255 - 2 * i : 255;
}

/* smooth, so JPEG at high quality stays within a few levels */
static int jpg_px(int x, int y, int c)
{
    return c == 0 ? 40 + 5 * x : c == 1 ? 30 + 7 * y : 200 - 3 * x - 2 * y;
}

/* ---- output helpers ----------------------------------------------------- */

struct buf {
    unsigned char *p;
    size_t n, cap;
};

static void die(const char *what)
{
    fprintf(stderr, "gen-data-fixtures: %s\n", what);
    exit(1);
}

static void buf_put(struct buf *b, const void *p, size_t n)
{
    if (b->n + n > b->cap) {
        b->cap = (b->n + n) * 2;
        b->p = realloc(b->p, b->cap);
        if (!b->p) die("out of memory");
    }
    memcpy(b->p + b->n, p, n);
    b->n += n;
}

static void save(const char *name, const void *p, size_t n)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", outdir, name);
    FILE *f = fopen(path, "wb");
    if (!f || (n && fwrite(p, 1, n, f) != n) || fclose(f) != 0) die(path);
}

/* ---- PNG ---------------------------------------------------------------- */

static void png_to_buf(png_structp png, png_bytep p, size_t n)
{
    buf_put(png_get_io_ptr(png), p, n);
}

static void png_flush_nop(png_structp png)
{
    (void)png;
}

enum trns { NO_TRNS, TRNS };

/* Writes a W x H PNG whose samples follow the functions above. */
static struct buf make_png(int type, int bits, int interlace, enum trns trns)
{
    struct buf b = {0};
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
    png_infop info = png_create_info_struct(png);
    if (!png || !info || setjmp(png_jmpbuf(png))) die("libpng failed");
    png_set_write_fn(png, &b, png_to_buf, png_flush_nop);
    png_set_IHDR(png, info, W, H, bits, type,
                 interlace ? PNG_INTERLACE_ADAM7 : PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT,
                 PNG_FILTER_TYPE_DEFAULT);
    if (type == PNG_COLOR_TYPE_PALETTE) {
        png_color pal[256];
        png_byte alpha[16];
        for (int i = 0; i < pal_n(bits); i++) {
            int rgb[3];
            pal_rgb(i, rgb);
            pal[i] = (png_color){(png_byte)rgb[0], (png_byte)rgb[1], (png_byte)rgb[2]};
        }
        png_set_PLTE(png, info, pal, pal_n(bits));
        int na = pal_n(bits) < 16 ? pal_n(bits) : 16;
        for (int i = 0; i < na; i++) alpha[i] = (png_byte)pal_alpha(i);
        if (trns) png_set_tRNS(png, info, alpha, na, NULL);
    } else if (trns) {
        /* the colour at (8, 3) becomes transparent */
        png_color_16 t = {0};
        t.gray = (png_uint_16)f8(8, 3, 0);
        t.red = (png_uint_16)f8(8, 3, 0), t.green = (png_uint_16)f8(8, 3, 1);
        t.blue = (png_uint_16)f8(8, 3, 2);
        png_set_tRNS(png, info, NULL, 0, &t);
    }
    png_write_info(png, info);
    if (bits < 8) png_set_packing(png);
    int ch = type == PNG_COLOR_TYPE_GRAY || type == PNG_COLOR_TYPE_PALETTE ? 1
             : type == PNG_COLOR_TYPE_GRAY_ALPHA                          ? 2
             : type == PNG_COLOR_TYPE_RGB                                 ? 3
                                                                          : 4;
    int bps = bits == 16 ? 2 : 1;
    static unsigned char px[H][W * 8];
    png_bytep rows[H];
    for (int y = 0; y < H; y++) {
        rows[y] = px[y];
        for (int x = 0; x < W; x++)
            for (int c = 0; c < ch; c++) {
                /* grey+alpha: the alpha sample uses channel index 3 */
                int cc = (ch == 2 && c == 1) ? 3 : c;
                unsigned char *o = &px[y][(x * ch + c) * bps];
                if (type == PNG_COLOR_TYPE_PALETTE)
                    o[0] = (unsigned char)pal_index(bits, x, y);
                else if (bits < 8)
                    o[0] = (unsigned char)low(bits, x, y);
                else if (bits == 8)
                    o[0] = (unsigned char)f8(x, y, cc);
                else
                    o[0] = (unsigned char)(f16(x, y, cc) >> 8), o[1] = (unsigned char)f16(x, y, cc);
            }
    }
    png_write_image(png, rows);
    png_write_end(png, NULL);
    png_destroy_write_struct(&png, &info);
    return b;
}

static void png_good(void)
{
    static const struct {
        const char *name;
        int type, bits, interlace;
        enum trns trns;
    } t[] = {
        {"png_g1.png", PNG_COLOR_TYPE_GRAY, 1, 0, NO_TRNS},
        {"png_g2.png", PNG_COLOR_TYPE_GRAY, 2, 0, NO_TRNS},
        {"png_g4.png", PNG_COLOR_TYPE_GRAY, 4, 0, NO_TRNS},
        {"png_g8.png", PNG_COLOR_TYPE_GRAY, 8, 0, NO_TRNS},
        {"png_g16.png", PNG_COLOR_TYPE_GRAY, 16, 0, NO_TRNS},
        {"png_g8_trns.png", PNG_COLOR_TYPE_GRAY, 8, 0, TRNS},
        {"png_ga8.png", PNG_COLOR_TYPE_GRAY_ALPHA, 8, 0, NO_TRNS},
        {"png_ga16.png", PNG_COLOR_TYPE_GRAY_ALPHA, 16, 0, NO_TRNS},
        {"png_rgb8.png", PNG_COLOR_TYPE_RGB, 8, 0, NO_TRNS},
        {"png_rgb16.png", PNG_COLOR_TYPE_RGB, 16, 0, NO_TRNS},
        {"png_rgb8_trns.png", PNG_COLOR_TYPE_RGB, 8, 0, TRNS},
        {"png_rgba8.png", PNG_COLOR_TYPE_RGB_ALPHA, 8, 0, NO_TRNS},
        {"png_rgba16.png", PNG_COLOR_TYPE_RGB_ALPHA, 16, 0, NO_TRNS},
        {"png_pal1.png", PNG_COLOR_TYPE_PALETTE, 1, 0, NO_TRNS},
        {"png_pal2.png", PNG_COLOR_TYPE_PALETTE, 2, 0, NO_TRNS},
        {"png_pal4.png", PNG_COLOR_TYPE_PALETTE, 4, 0, NO_TRNS},
        {"png_pal8.png", PNG_COLOR_TYPE_PALETTE, 8, 0, NO_TRNS},
        {"png_pal8_trns.png", PNG_COLOR_TYPE_PALETTE, 8, 0, TRNS},
        {"png_pal4_trns.png", PNG_COLOR_TYPE_PALETTE, 4, 0, TRNS},
        {"png_g2_adam7.png", PNG_COLOR_TYPE_GRAY, 2, 1, NO_TRNS},
        {"png_rgb8_adam7.png", PNG_COLOR_TYPE_RGB, 8, 1, NO_TRNS},
        {"png_rgba16_adam7.png", PNG_COLOR_TYPE_RGB_ALPHA, 16, 1, NO_TRNS},
        {"png_pal8_trns_adam7.png", PNG_COLOR_TYPE_PALETTE, 8, 1, TRNS},
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        struct buf b = make_png(t[i].type, t[i].bits, t[i].interlace, t[i].trns);
        save(t[i].name, b.p, b.n);
        free(b.p);
    }
}

static void put_be32(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char)(v >> 24), p[1] = (unsigned char)(v >> 16);
    p[2] = (unsigned char)(v >> 8), p[3] = (unsigned char)v;
}

/* Rewrites IHDR fields and its CRC (IHDR data at 16..28, CRC at 29). */
static void patch_ihdr(unsigned char *p, uint32_t w, uint32_t h, int type)
{
    put_be32(p + 16, w);
    put_be32(p + 20, h);
    if (type >= 0) p[25] = (unsigned char)type;
    put_be32(p + 29, (uint32_t)crc32(0, p + 12, 17));
}

/* Offset of the first IDAT chunk's length field. */
static size_t find_chunk(const struct buf *b, const char *type)
{
    for (size_t i = 8; i + 8 <= b->n;) {
        uint32_t len = (uint32_t)b->p[i] << 24 | b->p[i + 1] << 16 | b->p[i + 2] << 8 | b->p[i + 3];
        if (memcmp(b->p + i + 4, type, 4) == 0) return i;
        i += 12 + len;
    }
    die("chunk not found");
    return 0;
}

static void png_bad(void)
{
    struct buf b = make_png(PNG_COLOR_TYPE_RGB, 8, 0, NO_TRNS);
    size_t idat = find_chunk(&b, "IDAT"), iend = find_chunk(&b, "IEND");
    save("bad/png_zero.png", "", 0);
    save("bad/png_signature_only.png", b.p, 8);
    save("bad/png_truncated.png", b.p, idat + 8 + (iend - idat) / 2);
    save("bad/png_truncated_before_iend.png", b.p, iend);
    unsigned char *c = malloc(b.n);
    if (!c) die("out of memory");
    memcpy(c, b.p, b.n);
    c[30] ^= 0x55; /* IHDR CRC */
    save("bad/png_bad_crc.png", c, b.n);
    memcpy(c, b.p, b.n);
    c[idat + 8 + 5] ^= 0x55; /* IDAT data, CRC now wrong */
    save("bad/png_bad_idat_crc.png", c, b.n);
    memcpy(c, b.p, b.n);
    patch_ihdr(c, 100000, 100000, -1); /* 1e10 pixels: a bomb */
    save("bad/png_huge_dims.png", c, b.n);
    memcpy(c, b.p, b.n);
    patch_ihdr(c, 0x7fffffff, 1, -1);
    save("bad/png_huge_width.png", c, b.n);
    memcpy(c, b.p, b.n);
    patch_ihdr(c, 0, H, -1);
    save("bad/png_width_zero.png", c, b.n);
    memcpy(c, b.p, b.n);
    patch_ihdr(c, W, H, 5); /* no such colour type */
    save("bad/png_bad_color_type.png", c, b.n);
    memcpy(c, b.p, b.n);
    /* IDAT payload replaced by garbage with a valid CRC: zlib must fail */
    uint32_t len = (uint32_t)c[idat] << 24 | c[idat + 1] << 16 | c[idat + 2] << 8 | c[idat + 3];
    for (uint32_t i = 0; i < len; i++) c[idat + 8 + i] = (unsigned char)(i * 151 + 7);
    put_be32(c + idat + 8 + len, (uint32_t)crc32(0, c + idat + 4, len + 4));
    save("bad/png_bad_zlib.png", c, b.n);
    save("bad/png_not_png.png", "this is not a picture\n", 22);
    /* a valid IHDR, then an ancillary chunk claiming ~2 GB in a 45-byte file */
    static const unsigned char huge_chunk[12] = {0x7c, 0, 0, 6, 's', 'P', 'L', 'T', 0x25, 0x11, 0x49, 0x44};
    memcpy(c, b.p, 33);
    memcpy(c + 33, huge_chunk, sizeof huge_chunk);
    save("bad/png_huge_chunk.png", c, 33 + sizeof huge_chunk);
    free(c);
    free(b.p);
}

/* ---- JPEG --------------------------------------------------------------- */

enum jkind { J_RGB, J_GREY, J_CMYK };

static struct buf make_jpeg(enum jkind kind, int progressive, int subsample, int quality)
{
    struct jpeg_compress_struct ci;
    struct jpeg_error_mgr err;
    unsigned char *mem = NULL;
    unsigned long memlen = 0;
    ci.err = jpeg_std_error(&err); /* the default error handler exits: fine for a tool */
    jpeg_create_compress(&ci);
    jpeg_mem_dest(&ci, &mem, &memlen);
    ci.image_width = JW;
    ci.image_height = JH;
    ci.input_components = kind == J_GREY ? 1 : kind == J_CMYK ? 4 : 3;
    ci.in_color_space = kind == J_GREY ? JCS_GRAYSCALE : kind == J_CMYK ? JCS_CMYK : JCS_RGB;
    jpeg_set_defaults(&ci);
    jpeg_set_quality(&ci, quality, TRUE);
    if (kind == J_RGB && !subsample) {
        for (int i = 0; i < 3; i++) ci.comp_info[i].h_samp_factor = ci.comp_info[i].v_samp_factor = 1;
    }
    if (progressive) jpeg_simple_progression(&ci);
    jpeg_start_compress(&ci, TRUE);
    unsigned char row[JW * 4];
    while (ci.next_scanline < JH) {
        int y = (int)ci.next_scanline;
        for (int x = 0; x < JW; x++)
            for (int c = 0; c < ci.input_components; c++)
                row[x * ci.input_components + c] =
                    (unsigned char)(kind == J_GREY ? jpg_px(x, y, 0) : c < 3 ? jpg_px(x, y, c) : 9);
        JSAMPROW r = row;
        jpeg_write_scanlines(&ci, &r, 1);
    }
    jpeg_finish_compress(&ci);
    jpeg_destroy_compress(&ci);
    struct buf b = {0};
    buf_put(&b, mem, memlen);
    free(mem);
    return b;
}

static void jpeg_files(void)
{
    static const struct {
        const char *name;
        enum jkind kind;
        int progressive, subsample, quality;
    } t[] = {
        {"jpg_rgb_baseline.jpg", J_RGB, 0, 0, 100},
        {"jpg_rgb_progressive.jpg", J_RGB, 1, 0, 100},
        {"jpg_rgb_420.jpg", J_RGB, 0, 1, 95},
        {"jpg_grey.jpg", J_GREY, 0, 0, 100},
        {"jpg_grey_progressive.jpg", J_GREY, 1, 0, 100},
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        struct buf b = make_jpeg(t[i].kind, t[i].progressive, t[i].subsample, t[i].quality);
        save(t[i].name, b.p, b.n);
        free(b.p);
    }
    struct buf b = make_jpeg(J_CMYK, 0, 0, 90);
    save("bad/jpg_cmyk.jpg", b.p, b.n);
    free(b.p);

    b = make_jpeg(J_RGB, 0, 1, 90);
    save("bad/jpg_zero.jpg", "", 0);
    save("bad/jpg_soi_only.jpg", b.p, 3);
    save("bad/jpg_truncated_header.jpg", b.p, 100);
    save("bad/jpg_truncated_scan.jpg", b.p, b.n * 6 / 10);
    size_t sof = 0;
    for (size_t i = 2; i + 9 < b.n; i++)
        if (b.p[i] == 0xff && b.p[i + 1] == 0xc0) {
            sof = i;
            break;
        }
    if (!sof) die("no SOF0");
    /* SOF0: FF C0 len(2) precision(1) height(2) width(2) */
    b.p[sof + 5] = 60000 >> 8, b.p[sof + 6] = 60000 & 255;
    b.p[sof + 7] = 60000 >> 8, b.p[sof + 8] = 60000 & 255;
    save("bad/jpg_huge_dims.jpg", b.p, b.n);
    free(b.p);
    b = make_jpeg(J_RGB, 1, 1, 90);
    save("bad/jpg_progressive_truncated.jpg", b.p, b.n / 2);
    free(b.p);
}

/* ---- IDX ---------------------------------------------------------------- */

/* images (n, 4, 5) u8 with value (i * 20 + y * 5 + x) & 255 */
static struct buf make_idx(uint32_t said_n, int real_n)
{
    struct buf b = {0};
    unsigned char hdr[16] = {0, 0, 8, 3};
    put_be32(hdr + 4, said_n);
    put_be32(hdr + 8, 4);
    put_be32(hdr + 12, 5);
    buf_put(&b, hdr, 16);
    for (int i = 0; i < real_n; i++)
        for (int k = 0; k < 20; k++) {
            unsigned char v = (unsigned char)((i * 20 + k) & 255);
            buf_put(&b, &v, 1);
        }
    return b;
}

static struct buf gzip_buf(const struct buf *in)
{
    struct buf out = {0};
    z_stream zs = {0};
    if (deflateInit2(&zs, 9, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY) != Z_OK)
        die("zlib");
    out.cap = deflateBound(&zs, (uLong)in->n) + 64;
    out.p = malloc(out.cap);
    if (!out.p) die("out of memory");
    zs.next_in = in->p;
    zs.avail_in = (uInt)in->n;
    zs.next_out = out.p;
    zs.avail_out = (uInt)out.cap;
    if (deflate(&zs, Z_FINISH) != Z_STREAM_END) die("deflate");
    out.n = zs.total_out;
    deflateEnd(&zs);
    /* zlib writes OS = 3 (Unix) and mtime 0: deterministic */
    return out;
}

static void idx_files(void)
{
    struct buf b = make_idx(7, 7), g = gzip_buf(&b);
    save("idx_images.idx", b.p, b.n);
    save("idx_images.idx.gz", g.p, g.n);
    unsigned char labels[8 + 7] = {0, 0, 8, 1, 0, 0, 0, 7, 9, 0, 0, 3, 0, 2, 7};
    save("idx_labels.idx", labels, sizeof labels);
    save("bad/idx_truncated.idx.gz", g.p, g.n / 2);
    g.p[g.n - 6] ^= 0x40; /* CRC-32 in the gzip trailer */
    save("bad/idx_bad_crc.idx.gz", g.p, g.n);
    free(g.p);
    free(b.p);

    b = make_idx(100, 10); /* header says 100 images, 10 present */
    save("bad/idx_header_lies.idx", b.p, b.n);
    g = gzip_buf(&b);
    save("bad/idx_header_lies.idx.gz", g.p, g.n);
    free(g.p);
    free(b.p);
    b = make_idx(10, 11);
    save("bad/idx_trailing_data.idx", b.p, b.n);
    b.p[0] = 0x12, b.p[1] = 0x34;
    save("bad/idx_bad_magic.idx", b.p, b.n);
    b.p[0] = 0, b.p[1] = 0, b.p[2] = 0x0d;
    save("bad/idx_bad_type.idx", b.p, b.n);
    b.p[2] = 8, b.p[3] = 0;
    save("bad/idx_zero_dims.idx", b.p, b.n);
    b.p[3] = 3;
    put_be32(b.p + 4, 0xffffffffu), put_be32(b.p + 8, 0xffffffffu), put_be32(b.p + 12, 0xffffffffu);
    save("bad/idx_huge_dims.idx", b.p, b.n);
    save("bad/idx_short_header.idx", b.p, 6);
    save("bad/idx_zero.idx", "", 0);
    static const unsigned char garbage[] = {0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3, 'n', 'o', 't',
                                            ' ',  'd',  'e', 'f', 'l', 'a', 't', 'e', 0, 0};
    save("bad/idx_garbage.idx.gz", garbage, sizeof garbage);
    free(b.p);
}

/* ---- safetensors -------------------------------------------------------- */

/* A file with header `json` (padded to 8) and `data_len` bytes of data. */
static void st_file(const char *name, const char *json, size_t data_len)
{
    struct buf b = {0};
    size_t n = strlen(json), pad = (8 - n % 8) % 8;
    uint64_t hl = n + pad;
    unsigned char le[8];
    for (int i = 0; i < 8; i++) le[i] = (unsigned char)(hl >> (8 * i));
    buf_put(&b, le, 8);
    buf_put(&b, json, n);
    for (size_t i = 0; i < pad; i++) buf_put(&b, " ", 1);
    for (size_t i = 0; i < data_len; i++) {
        unsigned char v = (unsigned char)(i * 17);
        buf_put(&b, &v, 1);
    }
    save(name, b.p, b.n);
    free(b.p);
}

static void st_raw(const char *name, uint64_t header_len, const char *rest)
{
    struct buf b = {0};
    unsigned char le[8];
    for (int i = 0; i < 8; i++) le[i] = (unsigned char)(header_len >> (8 * i));
    buf_put(&b, le, 8);
    buf_put(&b, rest, strlen(rest));
    save(name, b.p, b.n);
    free(b.p);
}

static void st_files(void)
{
    /* F16: 1, -2, 0.5, 65504, 2^-24 (subnormal); BF16: 1, -3.5 */
    {
        const char *json = "{\"__metadata__\":{\"k\":\"v\"},"
                           "\"h\":{\"dtype\":\"F16\",\"shape\":[5],\"data_offsets\":[0,10]},"
                           "\"b\":{\"dtype\":\"BF16\",\"shape\":[2],\"data_offsets\":[10,14]}}";
        static const unsigned char data[14] = {0x00, 0x3c, 0x00, 0xc0, 0x00, 0x38, 0xff,
                                               0x7b, 0x01, 0x00, 0x80, 0x3f, 0x60, 0xc0};
        struct buf b = {0};
        size_t n = strlen(json), pad = (8 - n % 8) % 8;
        unsigned char le[8] = {0};
        for (int i = 0; i < 8; i++) le[i] = (unsigned char)((n + pad) >> (8 * i));
        buf_put(&b, le, 8);
        buf_put(&b, json, n);
        for (size_t i = 0; i < pad; i++) buf_put(&b, " ", 1);
        buf_put(&b, data, sizeof data);
        save("st_half.safetensors", b.p, b.n);
        free(b.p);
    }
#define T(name, dt, shape, off) "\"" name "\":{\"dtype\":\"" dt "\",\"shape\":" shape ",\"data_offsets\":" off "}"
    save("bad/st_zero.safetensors", "", 0);
    save("bad/st_short.safetensors", "\x04\0\0\0\0", 5);
    st_raw("bad/st_header_longer_than_file.safetensors", 1000, "{\"a\":1}");
    st_raw("bad/st_header_len_huge.safetensors", UINT64_C(1) << 63, "{}");
    st_raw("bad/st_header_len_over_limit.safetensors", 200000000, "{}");
    st_file("bad/st_invalid_json.safetensors", "{" T("a", "F32", "[1]", "[0,4]"), 4);
    st_file("bad/st_not_object.safetensors", "[1,2,3]", 0);
    st_file("bad/st_array_after_brace.safetensors", "{\"a\":[1,2]}", 0);
    st_file("bad/st_bad_dtype.safetensors", "{" T("a", "F31", "[1]", "[0,4]") "}", 4);
    st_file("bad/st_dtype_not_string.safetensors", "{" T("a", "7", "[1]", "[0,4]") "}", 4);
    st_file("bad/st_shape_mismatch.safetensors", "{" T("a", "F32", "[2,3]", "[0,20]") "}", 20);
    st_file("bad/st_overlap.safetensors",
            "{" T("a", "F32", "[4]", "[0,16]") "," T("b", "F32", "[4]", "[8,24]") "}", 24);
    st_file("bad/st_out_of_range.safetensors", "{" T("a", "F32", "[100]", "[0,400]") "}", 16);
    st_file("bad/st_gap.safetensors",
            "{" T("a", "F32", "[2]", "[0,8]") "," T("b", "F32", "[2]", "[12,20]") "}", 20);
    st_file("bad/st_trailing_data.safetensors", "{" T("a", "F32", "[2]", "[0,8]") "}", 12);
    st_file("bad/st_negative_offset.safetensors", "{" T("a", "F32", "[2]", "[-4,4]") "}", 8);
    st_file("bad/st_reversed_offsets.safetensors", "{" T("a", "F32", "[0]", "[8,0]") "}", 8);
    st_file("bad/st_fractional_offset.safetensors", "{" T("a", "U8", "[4]", "[0.5,4.5]") "}", 5);
    st_file("bad/st_shape_overflow.safetensors",
            "{" T("a", "F32", "[1099511627776,1099511627776,1099511627776]", "[0,0]") "}", 0);
    st_file("bad/st_negative_shape.safetensors", "{" T("a", "U8", "[-1]", "[0,0]") "}", 0);
    st_file("bad/st_missing_offsets.safetensors", "{\"a\":{\"dtype\":\"F32\",\"shape\":[1]}}", 4);
    st_file("bad/st_metadata_not_string.safetensors",
            "{\"__metadata__\":{\"k\":1}," T("a", "U8", "[1]", "[0,1]") "}", 1);
    st_file("bad/st_duplicate_name.safetensors",
            "{" T("a", "U8", "[1]", "[0,1]") "," T("a", "U8", "[1]", "[1,2]") "}", 2);
    st_file("bad/st_bad_utf8.safetensors", "{" T("a\xff", "U8", "[1]", "[0,1]") "}", 1);
    st_file("bad/st_trailing_garbage.safetensors", "{" T("a", "U8", "[1]", "[0,1]") "}xyz", 1);
    st_file("bad/st_leading_space.safetensors", " {" T("a", "U8", "[1]", "[0,1]") "}", 1);
#undef T
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s OUTDIR   (tests/fixtures/data)\n", argv[0]);
        return 2;
    }
    outdir = argv[1];
    char bad[4096];
    snprintf(bad, sizeof bad, "%s/bad", outdir);
    if ((mkdir(outdir, 0755) != 0 && errno != EEXIST) || (mkdir(bad, 0755) != 0 && errno != EEXIST))
        die("cannot create the output folders");
    png_good();
    png_bad();
    jpeg_files();
    idx_files();
    st_files();
    return 0;
}
