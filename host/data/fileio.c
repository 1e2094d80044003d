/* SPDX-License-Identifier: MIT */
/* Whole-file reads with a size cap and atomic writes (see fileio.h). */
#include "fileio.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "gancl/alloc.h"

gc_status gc__read_file(const char *path, size_t max_bytes, unsigned char **buf, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        int e = errno;
        return gc_error(e == ENOENT ? GC_NOT_FOUND : GC_IO, "%s: %s", path, strerror(e));
    }
    gc_status s = GC_OK;
    unsigned char *data = NULL;
    struct stat st;
    if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode)) {
        s = gc_error(GC_IO, "%s: not a regular file", path);
        goto done;
    }
    if ((unsigned long long)st.st_size > max_bytes) {
        s = gc_error(GC_LIMIT, "%s: file is %lld bytes, more than the limit of %zu", path,
                     (long long)st.st_size, max_bytes);
        goto done;
    }
    size_t n = (size_t)st.st_size;
    data = gc_malloc(n + 1);
    if (!data) {
        s = gc_error(GC_NOMEM, "%s: cannot allocate %zu bytes", path, n + 1);
        goto done;
    }
    if (n && fread(data, 1, n, f) != n) {
        s = gc_error(GC_IO, "%s: short read", path);
        gc_free(data);
        data = NULL;
        goto done;
    }
    data[n] = 0;
    *buf = data;
    *len = n;
done:
    fclose(f);
    return s;
}

/* fsync the folder holding `path`, so the rename itself survives a crash. */
static gc_status fsync_parent(const char *path)
{
    const char *slash = strrchr(path, '/');
    char *dir;
    if (!slash) {
        dir = gc_strdup(".");
    } else {
        size_t n = slash == path ? 1 : (size_t)(slash - path);
        dir = gc_malloc(n + 1);
        if (dir) {
            memcpy(dir, path, n);
            dir[n] = 0;
        }
    }
    if (!dir) return gc_error(GC_NOMEM, "%s: out of memory", path);
    gc_status s = GC_OK;
    int fd = open(dir, O_RDONLY | O_DIRECTORY);
    if (fd < 0 || fsync(fd) != 0)
        s = gc_error(GC_IO, "%s: fsync of folder %s: %s", path, dir, strerror(errno));
    if (fd >= 0) close(fd);
    gc_free(dir);
    return s;
}

gc_status gc__atomic_open(struct gc__atomic_file *a, const char *path)
{
    static const char suffix[] = ".tmp.XXXXXX";
    size_t n = strlen(path);
    char *tmp = gc_malloc(n + sizeof suffix);
    char *final = gc_strdup(path);
    if (!tmp || !final) {
        gc_free(tmp);
        gc_free(final);
        return gc_error(GC_NOMEM, "%s: out of memory", path);
    }
    memcpy(tmp, path, n);
    memcpy(tmp + n, suffix, sizeof suffix);
    int fd = mkstemp(tmp);
    if (fd < 0) {
        gc_status s = gc_error(GC_IO, "%s: cannot create temp file: %s", path, strerror(errno));
        gc_free(tmp);
        gc_free(final);
        return s;
    }
    /* mkstemp makes 0600; a checkpoint or sample should be readable like any file. */
    (void)fchmod(fd, 0644);
    FILE *f = fdopen(fd, "wb");
    if (!f) {
        gc_status s = gc_error(GC_IO, "%s: %s", tmp, strerror(errno));
        close(fd);
        unlink(tmp);
        gc_free(tmp);
        gc_free(final);
        return s;
    }
    a->f = f;
    a->path = final;
    a->tmp = tmp;
    return GC_OK;
}

static void release(struct gc__atomic_file *a)
{
    gc_free(a->path);
    gc_free(a->tmp);
    a->f = NULL;
    a->path = a->tmp = NULL;
}

void gc__atomic_abort(struct gc__atomic_file *a)
{
    if (!a || !a->tmp) return;
    if (a->f) fclose(a->f);
    unlink(a->tmp);
    release(a);
}

gc_status gc__atomic_commit(struct gc__atomic_file *a)
{
    gc_status s = GC_OK;
    if (fflush(a->f) != 0 || ferror(a->f)) {
        s = gc_error(GC_IO, "%s: write failed: %s", a->tmp, strerror(errno));
    } else if (fsync(fileno(a->f)) != 0) {
        s = gc_error(GC_IO, "%s: fsync failed: %s", a->tmp, strerror(errno));
    }
    int rc = fclose(a->f);
    a->f = NULL;
    if (s == GC_OK && rc != 0) s = gc_error(GC_IO, "%s: close failed: %s", a->tmp, strerror(errno));
    if (s == GC_OK && rename(a->tmp, a->path) != 0)
        s = gc_error(GC_IO, "%s: rename from %s failed: %s", a->path, a->tmp, strerror(errno));
    if (s != GC_OK) {
        unlink(a->tmp);
        release(a);
        return s;
    }
    s = fsync_parent(a->path);
    release(a);
    return s;
}
