/* SPDX-License-Identifier: MIT */
/* On-disk program-binary cache (see cache.h) and the atomic file writer it
 * shares with everything else that writes files. */
#include "cl/cache.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "gancl/alloc.h"

#define CACHE_MAGIC "GCPROG01" /* bump with any change of the layout below */
#define CACHE_MAX_KEY (1u << 20)
#define CACHE_MAX_BIN (1ull << 31)

uint64_t gc__fnv1a64(const void *data, size_t n, uint64_t h)
{
    const unsigned char *p = data;
    for (size_t i = 0; i < n; i++) {
        h ^= p[i];
        h *= 0x100000001b3ull;
    }
    return h;
}

bool gc__cache_enabled(void)
{
    const char *v = getenv("GANCL_NO_CACHE");
    return !(v && *v && strcmp(v, "0") != 0);
}

gc_status gc_cache_root(char *buf, size_t size)
{
    const char *xdg = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");
    int n;
    if (xdg && *xdg) n = snprintf(buf, size, "%s/gan-cl", xdg);
    else if (home && *home) n = snprintf(buf, size, "%s/.cache/gan-cl", home);
    else return gc_error(GC_NOT_FOUND, "neither XDG_CACHE_HOME nor HOME is set");
    if (n < 0 || (size_t)n >= size) return gc_error(GC_INVALID_ARG, "cache path too long");
    return GC_OK;
}

gc_status gc_mkdirs(const char *path)
{
    char tmp[4096];
    size_t n = strlen(path);
    if (n >= sizeof tmp) return gc_error(GC_INVALID_ARG, "%s: path too long", path);
    memcpy(tmp, path, n + 1);
    for (char *p = tmp + 1; *p; p++) {
        if (*p != '/') continue;
        *p = '\0';
        if (mkdir(tmp, 0755) != 0 && errno != EEXIST)
            return gc_error(GC_IO, "%s: cannot create folder: %s", tmp, strerror(errno));
        *p = '/';
    }
    if (mkdir(tmp, 0755) != 0 && errno != EEXIST)
        return gc_error(GC_IO, "%s: cannot create folder: %s", tmp, strerror(errno));
    return GC_OK;
}

static void fsync_parent(const char *path)
{
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", path);
    char *slash = strrchr(dir, '/');
    if (slash == dir) slash[1] = '\0';
    else if (slash) *slash = '\0';
    else snprintf(dir, sizeof dir, ".");
    int fd = open(dir, O_RDONLY | O_DIRECTORY);
    if (fd >= 0) {
        fsync(fd);
        close(fd);
    }
}

gc_status gc_write_file_atomic(const char *path, const void *data, size_t size)
{
    char tmp[4200];
    snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid());
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0) return gc_error(GC_IO, "%s: cannot create: %s", tmp, strerror(errno));
    const unsigned char *p = data;
    size_t left = size;
    while (left > 0) {
        ssize_t w = write(fd, p, left);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) {
            int e = errno;
            close(fd);
            unlink(tmp);
            return gc_error(GC_IO, "%s: write failed: %s", path, strerror(e));
        }
        p += w;
        left -= (size_t)w;
    }
    if (fsync(fd) != 0 || close(fd) != 0) {
        int e = errno;
        unlink(tmp);
        return gc_error(GC_IO, "%s: cannot flush: %s", path, strerror(e));
    }
    if (rename(tmp, path) != 0) {
        int e = errno;
        unlink(tmp);
        return gc_error(GC_IO, "%s: cannot rename into place: %s", path, strerror(e));
    }
    fsync_parent(path);
    return GC_OK;
}

static gc_status entry_path(const char *key, char *buf, size_t size)
{
    char root[4000];
    gc_status s = gc_cache_root(root, sizeof root);
    if (s != GC_OK) return s;
    uint64_t h = gc__fnv1a64(key, strlen(key), GC_FNV_INIT);
    snprintf(buf, size, "%s/programs/%016llx.bin", root, (unsigned long long)h);
    return GC_OK;
}

static gc_status read_whole(const char *path, unsigned char **data, size_t *size)
{
    FILE *f = fopen(path, "rb");
    if (!f) return GC_NOT_FOUND;
    struct stat st;
    if (fstat(fileno(f), &st) != 0 || st.st_size < 0 || (uint64_t)st.st_size > CACHE_MAX_BIN) {
        fclose(f);
        return GC_FORMAT;
    }
    *size = (size_t)st.st_size;
    *data = gc_malloc(*size);
    if (!*data) {
        fclose(f);
        return gc_error(GC_NOMEM, "%s: out of host memory", path);
    }
    size_t got = fread(*data, 1, *size, f);
    fclose(f);
    if (got != *size) {
        gc_free(*data);
        return GC_FORMAT;
    }
    return GC_OK;
}

/* Layout: magic[8] | u32 key_len | key | u64 bin_len | bin | u64 fnv(bin). */
static gc_status parse_entry(const unsigned char *d, size_t n, const char *key, size_t *bin_off,
                             size_t *bin_len)
{
    size_t klen = strlen(key);
    uint32_t kl;
    uint64_t bl, sum;
    if (n < 8 + 4 || memcmp(d, CACHE_MAGIC, 8) != 0) return GC_FORMAT;
    memcpy(&kl, d + 8, 4);
    if (kl != klen || n < 12 + (size_t)kl + 8 || memcmp(d + 12, key, klen) != 0) return GC_FORMAT;
    memcpy(&bl, d + 12 + kl, 8);
    if (bl == 0 || bl > n || n != 12 + (size_t)kl + 8 + bl + 8) return GC_FORMAT;
    *bin_off = 12 + (size_t)kl + 8;
    *bin_len = (size_t)bl;
    memcpy(&sum, d + *bin_off + bl, 8);
    return sum == gc__fnv1a64(d + *bin_off, (size_t)bl, GC_FNV_INIT) ? GC_OK : GC_FORMAT;
}

gc_status gc__cache_load(const char *key, unsigned char **bin, size_t *size)
{
    char path[4200];
    gc_status s = entry_path(key, path, sizeof path);
    if (s != GC_OK) return GC_NOT_FOUND;
    unsigned char *d = NULL;
    size_t n = 0, off = 0, len = 0;
    s = read_whole(path, &d, &n);
    if (s != GC_OK) return s;
    s = parse_entry(d, n, key, &off, &len);
    if (s == GC_OK) {
        memmove(d, d + off, len);
        *bin = d;
        *size = len;
        return GC_OK;
    }
    gc_free(d);
    return s;
}

gc_status gc__cache_store(const char *key, const unsigned char *bin, size_t size)
{
    char path[4200];
    gc_status s = entry_path(key, path, sizeof path);
    if (s != GC_OK) return s;
    char *slash = strrchr(path, '/');
    *slash = '\0';
    s = gc_mkdirs(path);
    *slash = '/';
    if (s != GC_OK) return s;
    uint32_t kl = (uint32_t)strlen(key);
    uint64_t bl = size, sum = gc__fnv1a64(bin, size, GC_FNV_INIT);
    size_t total = 12 + kl + 8 + size + 8;
    unsigned char *d = gc_malloc(total);
    if (!d) return gc_error(GC_NOMEM, "program cache: out of host memory");
    memcpy(d, CACHE_MAGIC, 8);
    memcpy(d + 8, &kl, 4);
    memcpy(d + 12, key, kl);
    memcpy(d + 12 + kl, &bl, 8);
    memcpy(d + 20 + kl, bin, size);
    memcpy(d + 20 + kl + size, &sum, 8);
    s = gc_write_file_atomic(path, d, total);
    gc_free(d);
    return s;
}

/* Calls fn on every regular file of <root>/programs. */
static gc_status walk_programs(void (*fn)(const char *path, const struct stat *st, void *u),
                               void *u)
{
    char root[4000], dir[4100], path[4400];
    gc_status s = gc_cache_root(root, sizeof root);
    if (s != GC_OK) return s;
    snprintf(dir, sizeof dir, "%s/programs", root);
    DIR *d = opendir(dir);
    if (!d) return GC_OK; /* no cache yet */
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        struct stat st;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        if (stat(path, &st) == 0 && S_ISREG(st.st_mode)) fn(path, &st, u);
    }
    closedir(d);
    return GC_OK;
}

static void count_file(const char *path, const struct stat *st, void *u)
{
    (void)path;
    struct gc_cache_usage *c = u;
    c->files++;
    c->bytes += st->st_size;
}

gc_status gc_cache_usage(struct gc_cache_usage *out)
{
    memset(out, 0, sizeof *out);
    return walk_programs(count_file, out);
}

static void remove_file(const char *path, const struct stat *st, void *u)
{
    (void)st;
    if (unlink(path) == 0) (*(int64_t *)u)++;
}

gc_status gc_cache_clear(int64_t *removed)
{
    *removed = 0;
    return walk_programs(remove_file, removed);
}
