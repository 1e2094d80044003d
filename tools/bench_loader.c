/* SPDX-License-Identifier: MIT */
/* gc-bench-loader: how fast the loader delivers batches with the consumer
 * doing nothing, i.e. the ceiling a training step must stay below to never
 * wait for data (issue 5):
 *   dcgan32   Fashion-MNIST train split, batch 64, 28 -> 32 zero padding
 *   cyclegan  a CycleGAN layout of 256x256 JPEGs (written by this tool into a
 *             temp folder), resize_and_crop 286 -> 256 + flip, batch 1, A and B
 * for 1 and 2 decoding threads. Prints batches/s, the wait and decode time.
 *   gc-bench-loader [SECONDS]      (default 3 s per row) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <jpeglib.h>

#include "gancl/dataset.h"
#include "gancl/loader.h"

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* A photo-like 256x256 JPEG: smooth gradients, a few edges, mild noise (so
 * the entropy decoder does real work), quality 90 as typical datasets. */
static int write_jpeg(const char *path, int seed)
{
    FILE *f = fopen(path, "wb");
    if (!f) return -1;
    struct jpeg_compress_struct c;
    struct jpeg_error_mgr err;
    c.err = jpeg_std_error(&err);
    jpeg_create_compress(&c);
    jpeg_stdio_dest(&c, f);
    c.image_width = c.image_height = 256;
    c.input_components = 3;
    c.in_color_space = JCS_RGB;
    jpeg_set_defaults(&c);
    jpeg_set_quality(&c, 90, TRUE);
    jpeg_start_compress(&c, TRUE);
    unsigned char row[256 * 3];
    unsigned s = 12345u + (unsigned)seed * 7919u;
    for (int y = 0; y < 256; y++) {
        for (int x = 0; x < 256; x++) {
            s = s * 1103515245u + 12345u;
            int n = (int)((s >> 16) & 15) - 8, edge = ((x + seed * 9) / 37 + y / 29) % 2 ? 40 : 0;
            row[3 * x + 0] = (unsigned char)((x + seed * 13 + n + edge) & 255);
            row[3 * x + 1] = (unsigned char)((y + n + 2 * edge) & 255);
            row[3 * x + 2] = (unsigned char)(((x + y) / 2 + n) & 255);
        }
        JSAMPROW r = row;
        jpeg_write_scanlines(&c, &r, 1);
    }
    jpeg_finish_compress(&c);
    jpeg_destroy_compress(&c);
    return fclose(f);
}

static int bench(const char *label, const struct gc_dataset *ds, int batch, int threads, double secs)
{
    struct gc_loader_opts lo = {.batch = batch, .threads = threads, .seed = 1, .shuffle = true};
    struct gc_loader *l;
    if (gc_loader_create(&l, ds, &lo) != GC_OK) {
        fprintf(stderr, "gc-bench-loader: %s\n", gc_last_error());
        return 1;
    }
    struct gc_batch b;
    if (gc_loader_next(l, &b) != GC_OK) goto fail; /* warm-up: first batch, threads started */
    struct gc_loader_stats s0, s1;
    gc_loader_stats(l, &s0);
    double t0 = now_s();
    int64_t n = 0;
    while (now_s() - t0 < secs) {
        if (gc_loader_next(l, &b) != GC_OK) goto fail;
        n++;
    }
    double dt = now_s() - t0;
    gc_loader_stats(l, &s1);
    printf("%-9s batch %3d  threads %d  %8.1f batches/s  %9.1f items/s  decode %.2f ms/batch  "
           "consumer waited %.0f%%\n",
           label, batch, threads, (double)n / dt, (double)n * batch / dt,
           1e3 * (s1.decode_s - s0.decode_s) / (double)(s1.batches - s0.batches),
           100.0 * (s1.wait_s - s0.wait_s) / dt);
    gc_loader_destroy(l);
    return 0;
fail:
    fprintf(stderr, "gc-bench-loader: %s\n", gc_last_error());
    gc_loader_destroy(l);
    return 1;
}

int main(int argc, char **argv)
{
    double secs = argc > 1 ? atof(argv[1]) : 3.0;
    int rc = 0;
    struct gc_dataset_opts o = {.spec = "fashion-mnist"};
    gc_transform_default(&o.transform);
    o.transform.preprocess = GC_PRE_NONE;
    o.transform.no_flip = true;
    o.transform.channels = 1;
    o.transform.pad = 2;
    struct gc_dataset *ds;
    if (gc_dataset_open(&ds, &o) != GC_OK) {
        fprintf(stderr, "gc-bench-loader: %s\n", gc_last_error());
        return 1;
    }
    for (int t = 1; t <= 2; t++) rc |= bench("dcgan32", ds, 64, t, secs);
    gc_dataset_destroy(ds);

    char dir[] = "/tmp/gc-bench-loader-XXXXXX", p[256];
    if (!mkdtemp(dir)) return 1;
    for (int d = 0; d < 2; d++) {
        snprintf(p, sizeof p, "%s/train%c", dir, "AB"[d]);
        mkdir(p, 0755);
        for (int i = 0; i < 16; i++) {
            snprintf(p, sizeof p, "%s/train%c/%03d.jpg", dir, "AB"[d], i);
            if (write_jpeg(p, d * 16 + i) != 0) rc = 1;
        }
    }
    struct gc_dataset_opts c = {.spec = dir};
    gc_transform_default(&c.transform); /* resize_and_crop 286 -> 256, flip, RGB */
    if (rc == 0 && gc_dataset_open(&ds, &c) == GC_OK) {
        for (int t = 1; t <= 2; t++) rc |= bench("cyclegan", ds, 1, t, secs);
        gc_dataset_destroy(ds);
    } else {
        fprintf(stderr, "gc-bench-loader: %s\n", gc_last_error());
        rc = 1;
    }
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0) rc = 1;
    return rc;
}
