/* SPDX-License-Identifier: MIT */
/* IDX reader: header validation against the real (decompressed) length, for
 * files (zlib gzopen/gzread, which also reads raw files transparently) and
 * for memory (raw, or gzip through inflate; the fuzzing entry point). Both
 * feed the same parser through a small byte-source interface. */
#include "gancl/idx.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "gancl/alloc.h"

/* A stream of bytes. read() returns the count read (short only at the end)
 * or -1 with a message in err. */
struct src {
    long (*read)(struct src *s, void *buf, size_t n);
    const char *name;
    char err[160];
};

/* ---- parser ------------------------------------------------------------- */

static gc_status read_payload(struct src *s, size_t expect, uint8_t **out)
{
    size_t cap = expect < ((size_t)1 << 20) ? expect : ((size_t)1 << 20), got = 0;
    uint8_t *buf = gc_malloc(cap ? cap : 1);
    if (!buf) return gc_error(GC_NOMEM, "%s: cannot allocate %zu bytes", s->name, cap);
    for (;;) {
        long r = s->read(s, buf + got, cap - got);
        if (r < 0) {
            gc_free(buf);
            return gc_error(GC_FORMAT, "%s: %s", s->name, s->err);
        }
        got += (size_t)r;
        if (got < cap) break; /* end of data */
        if (cap == expect) break;
        /* Grow only as data actually arrives: a lying header costs nothing. */
        size_t ncap = cap > expect / 2 ? expect : cap * 2;
        uint8_t *nb = gc_realloc(buf, ncap);
        if (!nb) {
            gc_free(buf);
            return gc_error(GC_NOMEM, "%s: cannot allocate %zu bytes", s->name, ncap);
        }
        buf = nb;
        cap = ncap;
    }
    uint8_t extra;
    long r = got == expect ? s->read(s, &extra, 1) : 0;
    if (r < 0) {
        gc_free(buf);
        return gc_error(GC_FORMAT, "%s: %s", s->name, s->err);
    }
    if (got != expect || r != 0) {
        gc_free(buf);
        if (got != expect)
            return gc_error(GC_FORMAT,
                            "%s: header says %zu bytes of data but the file holds only %zu%s%s",
                            s->name, expect, got, s->err[0] ? ": " : "", s->err);
        return gc_error(GC_FORMAT, "%s: header says %zu bytes of data but the file holds more",
                        s->name, expect);
    }
    *out = buf;
    return GC_OK;
}

static gc_status parse(struct gc_idx *out, struct src *s, int expect_ndim)
{
    uint8_t magic[4], dimb[4 * GC_IDX_MAX_DIMS];
    long r = s->read(s, magic, 4);
    if (r < 0) return gc_error(GC_FORMAT, "%s: %s", s->name, s->err);
    if (r < 4) return gc_error(GC_FORMAT, "%s: too short for an IDX header (%ld bytes)", s->name, r);
    if (magic[0] != 0 || magic[1] != 0)
        return gc_error(GC_FORMAT, "%s: not an IDX file (bad magic %02x %02x)", s->name, magic[0],
                        magic[1]);
    if (magic[2] != 0x08)
        return gc_error(GC_FORMAT, "%s: IDX element type 0x%02x not supported (only 0x08, u8)",
                        s->name, magic[2]);
    int ndim = magic[3];
    if (ndim < 1 || ndim > GC_IDX_MAX_DIMS)
        return gc_error(GC_FORMAT, "%s: IDX with %d dimensions not supported (1..%d)", s->name,
                        ndim, GC_IDX_MAX_DIMS);
    if (expect_ndim && ndim != expect_ndim)
        return gc_error(GC_FORMAT, "%s: IDX has %d dimensions, expected %d", s->name, ndim,
                        expect_ndim);
    r = s->read(s, dimb, (size_t)ndim * 4);
    if (r < 0) return gc_error(GC_FORMAT, "%s: %s", s->name, s->err);
    if (r < ndim * 4) return gc_error(GC_FORMAT, "%s: truncated IDX header", s->name);
    struct gc_idx idx = {.ndim = ndim};
    size_t total = 1;
    for (int i = 0; i < ndim; i++) {
        const uint8_t *b = dimb + 4 * i;
        uint32_t d = (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
        idx.dims[i] = d;
        if (d && total > GC_IDX_MAX_BYTES / d)
            return gc_error(GC_LIMIT, "%s: IDX sizes exceed the %zu-byte limit", s->name,
                            GC_IDX_MAX_BYTES);
        total *= d;
    }
    idx.size = total;
    gc_status st = read_payload(s, total, &idx.data);
    if (st != GC_OK) return st;
    *out = idx;
    return GC_OK;
}

/* ---- memory source ------------------------------------------------------ */

struct mem_src {
    struct src base;
    const uint8_t *p;
    size_t len, pos;
    int gz, zinit, zend;
    z_stream zs;
};

static voidpf z_alloc(voidpf opaque, uInt items, uInt size)
{
    (void)opaque;
    return gc_calloc(items, size);
}

static void z_free(voidpf opaque, voidpf p)
{
    (void)opaque;
    gc_free(p);
}

static long mem_read(struct src *base, void *buf, size_t n)
{
    struct mem_src *m = (struct mem_src *)base;
    if (!m->gz) {
        size_t k = m->len - m->pos < n ? m->len - m->pos : n;
        if (k) memcpy(buf, m->p + m->pos, k);
        m->pos += k;
        return (long)k;
    }
    size_t got = 0;
    while (got < n && !m->zend) {
        size_t chunk = n - got > (1u << 30) ? (1u << 30) : n - got;
        m->zs.next_out = (Bytef *)buf + got;
        m->zs.avail_out = (uInt)chunk;
        int rc = inflate(&m->zs, Z_NO_FLUSH);
        got += chunk - m->zs.avail_out;
        if (rc == Z_STREAM_END) {
            /* Another gzip member may follow (like gzread, read them all). */
            if (m->zs.avail_in >= 2 && m->zs.next_in[0] == 0x1f && m->zs.next_in[1] == 0x8b)
                inflateReset(&m->zs);
            else
                m->zend = 1;
        } else if (rc == Z_OK || rc == Z_BUF_ERROR) {
            /* Output room left but no input: the stream was cut short. */
            if (m->zs.avail_in == 0 && got < n) {
                snprintf(base->err, sizeof base->err, "gzip: unexpected end of compressed data");
                return -1;
            }
            if (rc == Z_BUF_ERROR) {
                snprintf(base->err, sizeof base->err, "gzip: stream makes no progress");
                return -1;
            }
        } else {
            snprintf(base->err, sizeof base->err, "gzip: %s",
                     m->zs.msg ? m->zs.msg : "corrupt data");
            return -1;
        }
    }
    return (long)got;
}

gc_status gc_idx_decode(struct gc_idx *out, const void *buf, size_t len, const char *name,
                        int expect_ndim)
{
    struct mem_src m = {.base = {.read = mem_read, .name = name ? name : "<memory>"},
                        .p = buf,
                        .len = len};
    if (len >= 2 && m.p[0] == 0x1f && m.p[1] == 0x8b) {
        m.gz = 1;
        m.zs.zalloc = z_alloc;
        m.zs.zfree = z_free;
        m.zs.next_in = (Bytef *)(uintptr_t)buf;
        m.zs.avail_in = len > UINT32_MAX ? UINT32_MAX : (uInt)len;
        if (inflateInit2(&m.zs, 16 + MAX_WBITS) != Z_OK)
            return gc_error(GC_NOMEM, "%s: cannot initialise zlib", m.base.name);
    }
    gc_status s = parse(out, &m.base, expect_ndim);
    if (m.gz) inflateEnd(&m.zs);
    return s;
}

/* ---- file source -------------------------------------------------------- */

struct file_src {
    struct src base;
    gzFile f;
};

static long file_read(struct src *base, void *buf, size_t n)
{
    struct file_src *fs = (struct file_src *)base;
    size_t got = 0;
    while (got < n) {
        unsigned chunk = n - got > (1u << 30) ? (1u << 30) : (unsigned)(n - got);
        int r = gzread(fs->f, (char *)buf + got, chunk);
        int errnum = Z_OK;
        const char *msg = gzerror(fs->f, &errnum);
        if (errnum != Z_OK) {
            /* zlib prefixes its message with "<fd:N>: "; the caller names the file */
            const char *tail = msg && strncmp(msg, "<fd:", 4) == 0 ? strstr(msg, ": ") : NULL;
            snprintf(base->err, sizeof base->err, "gzip: %s",
                     errnum == Z_ERRNO ? strerror(errno) : tail ? tail + 2 : msg);
            return -1;
        }
        if (r <= 0) break;
        got += (size_t)r;
    }
    return (long)got;
}

gc_status gc_idx_read(struct gc_idx *out, const char *path, int expect_ndim)
{
    int fd = open(path, O_RDONLY);
    if (fd < 0) {
        int e = errno;
        return gc_error(e == ENOENT ? GC_NOT_FOUND : GC_IO, "%s: %s", path, strerror(e));
    }
    struct file_src fs = {.base = {.read = file_read, .name = path}};
    fs.f = gzdopen(fd, "rb");
    if (!fs.f) {
        close(fd);
        return gc_error(GC_NOMEM, "%s: cannot open through zlib", path);
    }
    gzbuffer(fs.f, 1 << 17);
    gc_status s = parse(out, &fs.base, expect_ndim);
    gzclose_r(fs.f);
    return s;
}

void gc_idx_free(struct gc_idx *idx)
{
    if (!idx) return;
    gc_free(idx->data);
    memset(idx, 0, sizeof *idx);
}
