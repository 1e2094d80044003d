/* SPDX-License-Identifier: MIT */
/* The training loop: batches from the loader thread (seeded shuffle per epoch), critic and
 * generator phases, log.csv, sample grids, checkpoints (atomic, with the data
 * position and every random counter, so --resume reproduces an uninterrupted
 * run bit for bit), a progress line, and the report page. */
#include "train_run.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "app.h"
#include "cl/cache.h"
#include "gancl/alloc.h"
#include "gancl/dataset.h"
#include "gancl/idx.h"
#include "gancl/image.h"
#include "gancl/loader.h"
#include "eval_frame.h"
#include "report.h"
#include "run_common.h"
#include "train_eval.h"

struct loop {
    struct gc_train_opts *o;
    struct gc_gan *m;
    struct gc_device *dev;
    struct gc_dataset *ds;
    struct gc_loader *loader; /* started at the first batch, from (epoch, pos) */
    struct gc_app_fid *fid;   /* --eval-every, else NULL */
    double last_fid;          /* < 0: none yet */
    int64_t epoch, pos;  /* position in the data after the last batch taken */
    int64_t step;        /* generator updates done */
    float *batch;
    char dir[1024];
    FILE *log;
    double t_start, t_data, t_compute, t_eval;
    int64_t steps_total;
};

static double now_s(void)
{
    return gc_app_now();
}

/* The next batch in [-1, 1], padded to the model's size (28 -> 32). The
 * loader keeps the order this loop always had (permutation seed * 1000003 +
 * epoch, last partial batch dropped), so old checkpoints resume the same. */
static gc_status next_batch(struct loop *L)
{
    const struct gc_gan_config *c = &L->o->cfg;
    double t0 = now_s();
    gc_status s = GC_OK;
    if (!L->loader) {
        struct gc_loader_opts lo = {.batch = c->batch, .threads = 1, .prefetch = 4,
                                    .seed = c->seed, .shuffle = true, .epoch = L->epoch,
                                    .pos = L->pos};
        s = gc_loader_create(&L->loader, L->ds, &lo);
    }
    struct gc_batch b;
    if (s == GC_OK) s = gc_loader_next(L->loader, &b);
    if (s == GC_OK) {
        memcpy(L->batch, b.a, sizeof(float) * (size_t)b.n * (size_t)b.c * (size_t)b.h * (size_t)b.w);
        L->epoch = b.epoch;
        L->pos = b.pos;
    }
    L->t_data += now_s() - t0;
    return s;
}

static gc_status make_dirs(struct loop *L)
{
    return gc_app_make_run_dirs(L->dir);
}

static void write_options(struct loop *L)
{
    char p[1200];
    snprintf(p, sizeof p, "%s/options.txt", L->dir);
    FILE *f = fopen(p, "w");
    if (!f) return;
    const struct gc_gan_config *c = &L->o->cfg;
    struct gc_gan_config d;
    gc_gan_preset(c->model, &d);
    /* "*" marks a value that differs from the preset's default */
#define OPT(fmt, name, v, dv) fprintf(f, "%-12s " fmt "%s\n", name, v, (v) != (dv) ? " *" : "")
    fprintf(f, "%-12s %s\n%-12s %s\n", "model", c->model, "data", L->o->data);
    fprintf(f, "%-12s %s\n", "device", gc_device_get_info(L->dev)->name);
    OPT("%d", "batch", c->batch, d.batch);
    OPT("%g", "lr", c->lr, d.lr);
    OPT("%g", "beta1", c->beta1, d.beta1);
    OPT("%g", "beta2", c->beta2, d.beta2);
    OPT("%d", "n_critic", c->n_critic, d.n_critic);
    OPT("%d", "nz", c->nz, d.nz);
    OPT("%d", "ngf", c->ngf, d.ngf);
    OPT("%d", "ndf", c->ndf, d.ndf);
    OPT("%" PRIu64, "seed", c->seed, d.seed);
    OPT("%d", "nc", c->channels, gc_app_data_is_fmnist(L->o->data) ? 1 : 3);
    OPT("%ld", "steps", L->o->steps, 3000L);
    OPT("%ld", "eval_every", L->o->eval_every, 0L);
    OPT("%ld", "eval_n", L->o->eval_n, (long)GC_TRAIN_EVAL_N);
#undef OPT
    fclose(f);
}

static gc_status open_log(struct loop *L, bool append)
{
    char p[1200];
    snprintf(p, sizeof p, "%s/log.csv", L->dir);
    L->log = fopen(p, append ? "a" : "w");
    if (!L->log) return gc_error(GC_IO, "%s: cannot open for writing", p);
    if (!append) fprintf(L->log, "step,epoch,d_loss,g_loss,lr,data_s,compute_s,fid_fmnist\n");
    return GC_OK;
}

static gc_status save_checkpoint(struct loop *L, bool keep_copy)
{
    char path[1200], v[3][32];
    snprintf(v[0], sizeof v[0], "%" PRId64, L->step);
    snprintf(v[1], sizeof v[1], "%" PRId64, L->epoch);
    snprintf(v[2], sizeof v[2], "%" PRId64, L->pos);
    const char *keys[4] = {"train.step", "train.epoch", "train.pos", "train.data"};
    const char *vals[4] = {v[0], v[1], v[2], L->o->data};
    snprintf(path, sizeof path, "%s/checkpoints/latest.safetensors", L->dir);
    gc_status s = gc_gan_save(L->m, path, 4, keys, vals);
    if (s == GC_OK && keep_copy) {
        snprintf(path, sizeof path, "%s/checkpoints/step_%06" PRId64 ".safetensors", L->dir,
                 L->step);
        s = gc_gan_save(L->m, path, 4, keys, vals);
    }
    return s;
}

static gc_status resume(struct loop *L)
{
    char path[1200], v[64];
    snprintf(path, sizeof path, "%s/checkpoints/latest.safetensors", L->dir);
    gc_status s = gc_gan_load(L->m, path);
    int64_t *fields[3] = {&L->step, &L->epoch, &L->pos};
    const char *keys[3] = {"train.step", "train.epoch", "train.pos"};
    for (int i = 0; i < 3 && s == GC_OK; i++) {
        s = gc_gan_meta_read(path, keys[i], v, sizeof v);
        char *end;
        *fields[i] = strtoll(v, &end, 10);
        if (s == GC_OK && (!*v || *end)) s = gc_error(GC_FORMAT, "%s: no %s", path, keys[i]);
    }
    return s;
}

static gc_status save_samples(struct loop *L)
{
    const struct gc_gan_config *c = &L->o->cfg;
    int64_t per = (int64_t)c->channels * c->image_size * c->image_size;
    float *x = gc_malloc(sizeof(float) * (size_t)(64 * per));
    if (!x) return gc_error(GC_NOMEM, "samples: out of host memory");
    gc_status s = gc_gan_sample_fixed(L->m, x);
    char p[1200];
    snprintf(p, sizeof p, "%s/samples/step_%06" PRId64 ".png", L->dir, L->step);
    if (s == GC_OK) s = gc_image_save_grid(p, x, 64, c->channels, c->image_size, c->image_size, 8, 2);
    snprintf(p, sizeof p, "%s/samples/latest.png", L->dir);
    if (s == GC_OK) s = gc_image_save_grid(p, x, 64, c->channels, c->image_size, c->image_size, 8, 2);
    gc_free(x);
    return s;
}

static void progress(struct loop *L, float dl, float gl, bool tty)
{
    double el = now_s() - L->t_start, rate = (double)(L->step - L->steps_total) / (el > 0 ? el : 1);
    (void)rate;
    double sps = L->step > 0 ? (double)L->step / (el > 0 ? el : 1) : 0;
    long total = L->o->steps;
    double eta = sps > 0 ? (double)(total - L->step) / sps : 0;
    fprintf(stderr, "%sstep %" PRId64 "/%ld  epoch %" PRId64 "  %.2f steps/s  ETA %02d:%02d:%02d  "
                    "D %.4f  G %.4f",
            tty ? "\r" : "", L->step, total, L->epoch, sps, (int)eta / 3600, (int)eta / 60 % 60,
            (int)eta % 60, dl, gl);
    if (L->last_fid >= 0) fprintf(stderr, "  FID(fmnist) %.2f", L->last_fid);
    fputs(tty ? "   " : "\n", stderr);
}

static gc_status one_step(struct loop *L)
{
    double t0 = now_s();
    gc_status s = GC_OK;
    for (int k = 0; k < L->o->cfg.n_critic && s == GC_OK; k++) {
        s = next_batch(L);
        if (s != GC_OK) break;
        double t1 = now_s();
        s = gc_gan_d_step(L->m, L->batch);
        L->t_compute += now_s() - t1;
    }
    double t1 = now_s();
    if (s == GC_OK) s = gc_gan_g_step(L->m);
    L->t_compute += now_s() - t1;
    (void)t0;
    L->step++;
    return s;
}

/* FID (fmnist) of the current generator; its time is neither data nor compute. */
static gc_status evaluate(struct loop *L, char *cell, size_t size)
{
    double fid, t0 = now_s();
    gc_status s = gc_app_fid_run(L->fid, L->m, &fid);
    L->t_eval += now_s() - t0;
    if (s == GC_OK) snprintf(cell, size, "%.6f", fid), L->last_fid = fid;
    return s;
}

static gc_status loop_body(struct loop *L)
{
    bool tty = isatty(STDERR_FILENO);
    gc_status s = GC_OK;
    float dl = 0, gl = 0;
    long stop = L->o->steps;
    while (s == GC_OK && L->step < stop && !*L->o->interrupted) {
        if (L->o->epochs > 0 && L->epoch >= L->o->epochs) break;
        s = one_step(L);
        bool eval_now = L->fid && L->step % L->o->eval_every == 0;
        bool log_now = L->step % L->o->log_every == 0 || L->step == stop || eval_now;
        char fid[32] = "";
        if (s == GC_OK && eval_now) s = evaluate(L, fid, sizeof fid);
        if (s == GC_OK && log_now) {
            s = gc_gan_losses(L->m, &dl, &gl);
            if (!(dl == dl) || !(gl == gl)) s = gc_error(GC_FORMAT, "training diverged: a loss is NaN at step %" PRId64, L->step);
            fprintf(L->log, "%" PRId64 ",%" PRId64 ",%.9g,%.9g,%g,%.3f,%.3f,%s\n", L->step,
                    L->epoch, dl, gl, L->o->cfg.lr, L->t_data, L->t_compute, fid);
            fflush(L->log);
            if (tty || L->step % (L->o->log_every * 10) == 0 || eval_now) progress(L, dl, gl, tty);
        }
        if (s == GC_OK && (L->step % L->o->sample_every == 0 || L->step == stop)) {
            s = save_samples(L);
            if (s == GC_OK) gc_report_write(L->dir, L->o->cfg.model);
        }
        if (s == GC_OK && L->step % L->o->ckpt_every == 0) s = save_checkpoint(L, true);
    }
    if (tty) fputc('\n', stderr);
    return s;
}

static gc_status print_memory(struct loop *L)
{
    struct gc_gan_memory mem;
    gc_gan_memory(L->m, &mem);
    int64_t total = mem.param_bytes + mem.grad_bytes + mem.moment_bytes + mem.arena_bytes;
    fprintf(stderr,
            "gan-cl: device memory: parameters %.1f MiB, gradients %.1f MiB, optimizer moments "
            "%.1f MiB, activation arenas %.1f MiB; total %.1f MiB of %.1f GiB\n",
            mem.param_bytes / 1048576.0, mem.grad_bytes / 1048576.0, mem.moment_bytes / 1048576.0,
            mem.arena_bytes / 1048576.0, total / 1048576.0,
            (double)gc_device_get_info(L->dev)->global_mem / (1 << 30));
    if ((uint64_t)total > gc_device_get_info(L->dev)->global_mem)
        return gc_error(GC_DEVICE_NOMEM,
                        "%s needs %.1f MiB of device memory, %s has %.1f MiB: use a smaller "
                        "--batch or another --device",
                        L->o->cfg.model, total / 1048576.0, gc_device_get_info(L->dev)->name,
                        (double)gc_device_get_info(L->dev)->global_mem / 1048576.0);
    return GC_OK;
}

/* Fashion-MNIST: 28x28 zero-padded to the model's size, as always. A folder
 * (searched recursively): PyTorch's DCGAN example, Resize(size) +
 * CenterCrop(size) (bilinear), no flip; --nc channels (grey by luminance). */
static gc_status open_data(struct loop *L)
{
    const struct gc_train_opts *o = L->o;
    struct gc_dataset_opts dopt = {.spec = o->data, .layout = GC_LAYOUT_SINGLE};
    gc_transform_default(&dopt.transform);
    dopt.transform.no_flip = true;
    dopt.transform.channels = o->cfg.channels;
    if (gc_app_data_is_fmnist(o->data)) {
        dopt.transform.preprocess = GC_PRE_NONE; /* 28x28 stays, then zero-padded to the model */
        dopt.transform.pad = (o->cfg.image_size - GC_FMNIST_SIZE) / 2;
    } else {
        dopt.transform.preprocess = GC_PRE_RESIZE_CENTER_CROP;
        dopt.transform.crop_size = o->cfg.image_size;
    }
    gc_status s = gc_dataset_open(&L->ds, &dopt);
    if (s == GC_OK && gc_dataset_size(L->ds) < o->cfg.batch)
        s = gc_error(GC_INVALID_ARG, "%s has %lld images, fewer than one batch of %d", o->data,
                     (long long)gc_dataset_size(L->ds), o->cfg.batch);
    return s;
}

static gc_status setup(struct loop *L)
{
    struct gc_train_opts *o = L->o;
    char note[512];
    gc_status s = gc_device_open(o->device, NULL, &L->dev, note, sizeof note);
    if (s != GC_OK) return s;
    if (*note) fprintf(stderr, "gan-cl: %s\n", note);
    fprintf(stderr, "gan-cl: device %s (%s)\n", gc_device_get_info(L->dev)->name,
            gc_device_get_info(L->dev)->platform_name);
    gc_app_tune_load(L->dev);
    s = open_data(L);
    if (s == GC_OK && o->eval_every > 0) {
        double t0 = now_s();
        s = gc_app_fid_create(L->dev, L->ds, gc_app_data_is_fmnist(o->data), &o->cfg, o->eval_n,
                              &L->fid);
        if (s == GC_OK)
            fprintf(stderr, "gan-cl: FID (fmnist) every %ld steps on %ld images; real features "
                            "in %.1f s\n",
                    o->eval_every, o->eval_n, now_s() - t0);
    }
    if (s != GC_OK) return s;
    L->batch = gc_malloc(sizeof(float) * (size_t)o->cfg.batch * (size_t)o->cfg.channels *
                         (size_t)o->cfg.image_size * (size_t)o->cfg.image_size);
    if (!L->batch) return gc_error(GC_NOMEM, "training: out of host memory");
    s = gc_gan_create(L->dev, &o->cfg, &L->m);
    if (s == GC_OK) s = print_memory(L);
    return s;
}

static void run_dir_name(struct loop *L)
{
    gc_app_run_dir(L->o->cfg.model, L->o->run_dir, L->o->resume, L->dir, sizeof L->dir);
}

static void teardown(struct loop *L)
{
    if (L->log) fclose(L->log);
    gc_app_fid_destroy(L->fid);
    gc_gan_destroy(L->m);
    gc_device_destroy(L->dev);
    gc_loader_destroy(L->loader);
    gc_dataset_destroy(L->ds);
    gc_free(L->batch);
}

int gc_train_run(struct gc_train_opts *o)
{
    struct loop L = {.o = o, .last_fid = -1};
    run_dir_name(&L);
    if (o->resume) { /* the checkpoint's configuration wins over flags */
        char path[1200];
        snprintf(path, sizeof path, "%s/checkpoints/latest.safetensors", L.dir);
        struct gc_gan_config saved;
        static char data[4096];
        gc_status s = gc_gan_config_read(path, &saved);
        if (s == GC_OK) s = gc_gan_meta_read(path, "train.data", data, sizeof data);
        if (s != GC_OK) return gc_app_fail(s);
        o->cfg = saved;
        if (*data) o->data = data; /* the run's data, not the --data default */
    }
    gc_status s = setup(&L);
    if (s == GC_OK) s = make_dirs(&L);
    if (s == GC_OK && o->resume) s = resume(&L);
    if (s == GC_OK) s = open_log(&L, o->resume != NULL);
    if (s == GC_OK && !o->resume) write_options(&L);
    if (s != GC_OK) {
        teardown(&L);
        return gc_app_fail(s);
    }
    fprintf(stderr, "gan-cl: training %s in %s from step %" PRId64 "\n", o->cfg.model, L.dir,
            L.step);
    L.t_start = now_s();
    L.steps_total = L.step;
    s = loop_body(&L);
    /* After a failed step the parameters may be half-updated: keep the last
     * checkpoint as it is. */
    if (s == GC_OK) s = save_checkpoint(&L, false);
    int rc = GC_EXIT_OK;
    if (s != GC_OK) rc = gc_app_fail(s);
    else if (*o->interrupted) {
        fprintf(stderr, "gan-cl: interrupted at step %" PRId64 "; checkpoint saved. Resume with:\n"
                        "  gan-cl train --resume %s\n", L.step, L.dir);
        rc = GC_EXIT_INTERRUPTED;
    } else {
        fprintf(stderr, "gan-cl: done: %" PRId64 " steps; samples in %s/samples, report %s/index.html\n",
                L.step, L.dir, L.dir);
        if (L.fid) fprintf(stderr, "gan-cl: FID (fmnist) evaluations took %.1f s\n", L.t_eval);
    }
    teardown(&L);
    return rc;
}
