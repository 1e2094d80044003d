/* SPDX-License-Identifier: MIT */
/* End-to-end training through the gan-cl executable at tiny sizes: every
 * preset trains a few steps with finite losses and writes a checkpoint;
 * --resume reproduces an uninterrupted run bit for bit; Ctrl-C (SIGINT)
 * saves, exits 130 and the run resumes. */
#include <signal.h>
#include <stdbool.h>
#include <stdarg.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "gancl/cyclegan.h"
#include "gancl/image.h"
#include "gancl/safetensors.h"
#include "harness.h"

/* Small enough for CI on 2 cores, big enough to exercise every layer. */
#define TINY "--ngf 8 --ndf 8 --batch 8 --log-every 1 --sample-every 1000 --checkpoint-every 1000"

static const char *bin(void)
{
    const char *b = getenv("GANCL_BIN");
    if (!b) fail_msg("GANCL_BIN is not set (meson sets it to the gan-cl executable)");
    return b ? b : "gan-cl";
}

static char tmp_root[256];

static void run_ok(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));
static void run_ok(const char *fmt, ...)
{
    char cmd[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    int rc = system(cmd);
    if (rc != 0) fail_msg("command failed (%d): %s", rc, cmd);
}

/* The loss columns (step,epoch,d_loss,g_loss) of log.csv, one string. */
static void read_losses(const char *dir, char *out, size_t size)
{
    char path[512], line[512];
    snprintf(path, sizeof path, "%s/log.csv", dir);
    FILE *f = fopen(path, "r");
    if (!f) fail_msg("%s missing", path);
    out[0] = '\0';
    while (fgets(line, sizeof line, f)) {
        int commas = 0;
        for (char *p = line; *p; p++)
            if (*p == ',' && ++commas == 4) *p = '\0';
        strncat(out, line, size - strlen(out) - 2);
        strcat(out, "\n");
    }
    fclose(f);
}

static void assert_finite_losses(const char *losses)
{
    const char *p = strchr(losses, '\n'); /* skip the header */
    int rows = 0;
    while (p && p[1]) {
        long step, epoch;
        double d, g;
        if (sscanf(p + 1, "%ld,%ld,%lf,%lf", &step, &epoch, &d, &g) != 4) fail_msg("bad row");
        if (!(d == d) || !(g == g) || d > 1e30 || d < -1e30) fail_msg("loss not finite: %s", p);
        rows++;
        p = strchr(p + 1, '\n');
    }
    assert_true(rows >= 2);
}

/* The loss columns of log.csv, whatever their number (all but the last 3:
 * lr and the two timings). */
static void read_losses_all(const char *dir, char *out, size_t size)
{
    char path[512], line[1024];
    snprintf(path, sizeof path, "%s/log.csv", dir);
    FILE *f = fopen(path, "r");
    if (!f) fail_msg("%s missing", path);
    out[0] = '\0';
    while (fgets(line, sizeof line, f)) {
        for (int k = 0; k < 3; k++) {
            char *c = strrchr(line, ',');
            if (c) *c = '\0';
        }
        strncat(out, line, size - strlen(out) - 2);
        strcat(out, "\n");
    }
    fclose(f);
}

/* Whether a file contains a string. */
static bool file_has(const char *path, const char *what)
{
    static char buf[1 << 18];
    FILE *f = fopen(path, "r");
    if (!f) fail_msg("%s missing", path);
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    buf[n] = '\0';
    fclose(f);
    return strstr(buf, what) != NULL;
}

/* extra: options given to every run (also on --resume); runs go to
 * <tmp>/<model><tag>-full and -resumed. */
static void check_model_with(const char *model, const char *tag, const char *extra)
{
    char a[512], b[512], la[8192], lb[8192], ck[600];
    snprintf(a, sizeof a, "%s/%s%s-full", tmp_root, model, tag);
    snprintf(b, sizeof b, "%s/%s%s-resumed", tmp_root, model, tag);
    run_ok("%s train --model %s " TINY " %s --device pocl --steps 4 --run %s 2>/dev/null", bin(),
           model, extra, a);
    run_ok("%s train --model %s " TINY " %s --device pocl --steps 2 --run %s 2>/dev/null", bin(),
           model, extra, b);
    run_ok("%s train --resume %s --steps 4 " TINY " %s --device pocl 2>/dev/null", bin(), b, extra);
    read_losses(a, la, sizeof la);
    read_losses(b, lb, sizeof lb);
    assert_finite_losses(la);
    printf("# %s losses:\n%s", model, la);
    assert_string_equal(la, lb); /* bit for bit: %.9g round-trips every float exactly */
    snprintf(ck, sizeof ck, "%s/checkpoints/latest.safetensors", a);
    struct stat st;
    assert_int_equal(stat(ck, &st), 0);
}

static void check_model(const char *model)
{
    check_model_with(model, "", "");
}

/* The last column (fid_fmnist) of log.csv's rows, one line each. */
static void read_fid(const char *dir, char *out, size_t size)
{
    char path[512], line[512];
    snprintf(path, sizeof path, "%s/log.csv", dir);
    FILE *f = fopen(path, "r");
    if (!f) fail_msg("%s missing", path);
    out[0] = '\0';
    while (fgets(line, sizeof line, f)) {
        strncat(out, strrchr(line, ',') + 1, size - strlen(out) - 1);
    }
    fclose(f);
}

/* --eval-every 2: FID (fmnist) on steps 2 and 4 only; the losses are the
 * bits of a run without evaluation (it draws from no training stream), a
 * resumed run reproduces losses and FIDs, and the report draws the curve. */
static void test_eval_every(void **state)
{
    (void)state;
    char plain[512], la[8192], lp[8192], fa[1024], fb[1024], page[600];
    check_model_with("dcgan32", "-eval", "--eval-every 2 --eval-n 50");
    snprintf(plain, sizeof plain, "%s/dcgan32-plain", tmp_root);
    run_ok("%s train " TINY " --device pocl --steps 4 --run %s 2>/dev/null", bin(), plain);
    read_losses(plain, lp, sizeof lp);
    snprintf(plain, sizeof plain, "%s/dcgan32-eval-full", tmp_root);
    read_losses(plain, la, sizeof la);
    assert_string_equal(la, lp);
    read_fid(plain, fa, sizeof fa);
    snprintf(plain, sizeof plain, "%s/dcgan32-eval-resumed", tmp_root);
    read_fid(plain, fb, sizeof fb);
    printf("# fid_fmnist column:\n%s", fa);
    assert_string_equal(fa, fb);
    double f2, f4;
    if (sscanf(fa, "fid_fmnist\n\n%lf\n\n%lf\n", &f2, &f4) != 2)
        fail_msg("expected FID on steps 2 and 4 only: %s", fa);
    assert_true(f2 > 0 && f2 < 1e4 && f4 > 0 && f4 < 1e4);
    snprintf(page, sizeof page, "%s/dcgan32-eval-full/index.html", tmp_root);
    assert_true(file_has(page, "FID (fmnist features"));
    assert_true(file_has(page, "<h2>Epochs</h2>"));
    /* gan-cl report rewrites the page from the folder alone */
    assert_int_equal(remove(page), 0);
    run_ok("%s report %s/dcgan32-eval-full >/dev/null", bin(), tmp_root);
    assert_true(file_has(page, "<title>gan-cl: dcgan32</title>"));
    assert_true(file_has(page, "<h2>d_loss</h2>"));
    char cmd[700];
    snprintf(cmd, sizeof cmd, "%s report %s/no-such-run 2>/dev/null", bin(), tmp_root);
    int rc = system(cmd);
    assert_true(WIFEXITED(rc) && WEXITSTATUS(rc) == 1);
}

/* --data DIR: a nested folder of 40x30 RGB images, Resize + CenterCrop to
 * 32x32, 3 channels by default; --resume finds the folder in the checkpoint
 * (no --data) and continues bit for bit; eval takes the folder as --real. */
static void test_folder(void **state)
{
    (void)state;
    char dir[512], a[512], b[512], la[8192], lb[8192], path[600];
    snprintf(dir, sizeof dir, "%s/images", tmp_root);
    snprintf(path, sizeof path, "%s/nested", dir);
    assert_int_equal(mkdir(dir, 0755), 0);
    assert_int_equal(mkdir(path, 0755), 0);
    static uint8_t px[40 * 30 * 3];
    for (int i = 0; i < 16; i++) {
        for (int k = 0; k < 40 * 30 * 3; k++) px[k] = (uint8_t)((k * (i + 3) + (k / 120) * 7) & 255);
        snprintf(path, sizeof path, "%s/%s%02d.png", dir, i % 3 ? "" : "nested/", i);
        gc_assert_ok(gc_image_write_png(path, &(struct gc_image){40, 30, 3, px}));
    }
    snprintf(a, sizeof a, "%s/folder-full", tmp_root);
    snprintf(b, sizeof b, "%s/folder-resumed", tmp_root);
    run_ok("%s train " TINY " --batch 4 --data %s --device pocl --steps 4 --run %s 2>/dev/null",
           bin(), dir, a);
    run_ok("%s train " TINY " --batch 4 --data %s --device pocl --steps 2 --run %s 2>/dev/null",
           bin(), dir, b);
    run_ok("%s train --resume %s --steps 4 " TINY " --batch 4 --device pocl 2>/dev/null", bin(), b);
    read_losses(a, la, sizeof la);
    read_losses(b, lb, sizeof lb);
    assert_finite_losses(la);
    assert_string_equal(la, lb);
    snprintf(path, sizeof path, "%s/options.txt", a);
    assert_true(file_has(path, "nc           3\n"));
    run_ok("%s eval --real %s --fake %s --n 16 --device pocl 2>/dev/null | grep -q 'FID (fmnist)'",
           bin(), dir, a);
}

static void test_dcgan32(void **state)
{
    (void)state;
    check_model("dcgan32");
}

static void test_wgan32(void **state)
{
    (void)state;
    check_model("wgan32");
}

static void test_wgangp32(void **state)
{
    (void)state;
    check_model("wgangp32");
}

/* CycleGAN at 32 px, 1 channel, narrow networks: both generators, both
 * discriminators, pools, identity loss; resume must be bit-exact too. */
#define CG_TINY "--model cyclegan64 --input_nc 1 --output_nc 1 --crop_size 32 --ngf 4 --ndf 4 " \
                "--log-every 1 --sample-every 3 --checkpoint-every 1000 --pool_size 2 --device pocl"

static void test_cyclegan(void **state)
{
    (void)state;
    char a[512], b[512], la[16384], lb[16384];
    snprintf(a, sizeof a, "%s/cyclegan-full", tmp_root);
    snprintf(b, sizeof b, "%s/cyclegan-resumed", tmp_root);
    run_ok("%s train " CG_TINY " --steps 6 --run %s 2>/dev/null", bin(), a);
    run_ok("%s train " CG_TINY " --steps 3 --run %s 2>/dev/null", bin(), b);
    run_ok("%s train " CG_TINY " --resume %s --steps 6 2>/dev/null", bin(), b);
    read_losses_all(a, la, sizeof la);
    read_losses_all(b, lb, sizeof lb);
    printf("# cyclegan losses:\n%s", la);
    assert_true(strstr(la, "6,0,") != NULL);
    assert_string_equal(la, lb);
    char png[600];
    snprintf(png, sizeof png, "%s/samples/step_000006.png", a);
    struct stat st;
    assert_int_equal(stat(png, &st), 0);
    snprintf(png, sizeof png, "%s/index.html", a); /* the report reads CycleGAN's columns too */
    assert_true(file_has(png, "<th>cycle_A (mean)</th>"));
}

/* Every column of every data row of a CycleGAN log.csv is finite; returns
 * the number of rows. */
static int assert_finite_rows(const char *losses)
{
    int rows = 0;
    for (const char *p = strchr(losses, '\n'); p && p[1]; p = strchr(p + 1, '\n'), rows++)
        for (const char *q = p + 1; *q && *q != '\n';) {
            char *end;
            double v = strtod(q, &end);
            if (end == q || !isfinite(v) || fabs(v) > 1e30) fail_msg("not finite: %.80s", p + 1);
            q = *end == ',' ? end + 1 : end;
        }
    return rows;
}

/* The reference's model options in one run, to keep CI short: U-Net
 * generators with dropout, per-pixel discriminators, batch norm (running
 * statistics checkpointed), WGAN-GP with the penalty applied to both
 * discriminators (its interpolation draws and the dropout masks resume from
 * the checkpointed random counters), orthogonal init. The resumed run names
 * none of the architecture options: they come from the checkpoint. */
#define CG_OPTS "--model cyclegan64 --input_nc 1 --output_nc 1 --crop_size 128 --ngf 2 --ndf 4 " \
                "--netG unet_128 --netD pixel --norm batch --gan_mode wgangp --use_dropout "      \
                "--init_type orthogonal --init_gain 0.5 --pool_size 2"
#define CG_RUN "--log-every 1 --sample-every 1000 --checkpoint-every 1000 --device pocl"

static void test_cyclegan_options(void **state)
{
    (void)state;
    char a[512], b[512], la[16384], lb[16384], p[600];
    snprintf(a, sizeof a, "%s/cg-options-full", tmp_root);
    snprintf(b, sizeof b, "%s/cg-options-resumed", tmp_root);
    run_ok("%s train " CG_OPTS " " CG_RUN " --steps 4 --run %s 2>/dev/null", bin(), a);
    run_ok("%s train " CG_OPTS " " CG_RUN " --steps 2 --run %s 2>/dev/null", bin(), b);
    run_ok("%s train --model cyclegan64 --resume %s " CG_RUN " --steps 4 2>/dev/null", bin(), b);
    read_losses_all(a, la, sizeof la);
    read_losses_all(b, lb, sizeof lb);
    printf("# cyclegan unet_128/pixel/batch/wgangp/dropout/orthogonal losses:\n%s", la);
    assert_int_equal(assert_finite_rows(la), 4);
    assert_string_equal(la, lb);
    /* the penalties are logged and part of D's loss: nonzero for both D */
    double v[12];
    assert_int_equal(sscanf(strstr(la, "\n1,0,") + 1,
                            "%lf,%lf,%lf,%lf,%lf,%lf,%lf,%lf,%lf,%lf,%lf,%lf", &v[0], &v[1], &v[2],
                            &v[3], &v[4], &v[5], &v[6], &v[7], &v[8], &v[9], &v[10], &v[11]),
                     12);
    assert_true(v[10] > 0 && v[11] > 0);
    snprintf(p, sizeof p, "%s/options.txt", a);
    assert_true(file_has(p, "netG               unet_128 *\n"));
    assert_true(file_has(p, "netD               pixel *\n"));
    assert_true(file_has(p, "norm               batch *\n"));
    assert_true(file_has(p, "gan_mode           wgangp *\n"));
    assert_true(file_has(p, "use_dropout        1 *\n"));
    assert_true(file_has(p, "init_type          orthogonal *\n"));
    assert_true(file_has(p, "init_gain          0.5 *\n"));
    assert_true(file_has(p, "lambda_gp          10\n"));
    assert_true(file_has(p, "n_layers_D         3\n"));
    snprintf(p, sizeof p, "%s/checkpoints/latest.safetensors", a);
    struct gc_safetensors *st;
    assert_int_equal(gc_safetensors_load(&st, p), GC_OK);
    const char *cfg = gc_safetensors_meta_get(st, "config");
    assert_non_null(cfg);
    static const char *const stored[] = {"\"netG\":\"unet_128\"", "\"netD\":\"pixel\"",
                                         "\"norm\":\"batch\"", "\"gan_mode\":\"wgangp\"",
                                         "\"init_type\":\"orthogonal\"", "\"use_dropout\":true"};
    for (size_t i = 0; i < sizeof stored / sizeof stored[0]; i++)
        if (!strstr(cfg, stored[i])) fail_msg("checkpoint config lacks %s: %s", stored[i], cfg);
    assert_non_null(gc_safetensors_find(st, "netG_A.buffers.model.model.1.model.2.running_mean"));
    assert_non_null(gc_safetensors_meta_get(st, "rng.da_plan"));
    gc_safetensors_destroy(st);
}

/* The other choices, two steps each with finite losses: ResNet-9 with a
 * 2-layer PatchGAN, no norm, vanilla GAN loss, xavier; U-Net 256 with the
 * basic PatchGAN, instance norm, kaiming. */
static void test_cyclegan_variants(void **state)
{
    (void)state;
    static const char *const variants[] = {
        "--netG resnet_9blocks --netD n_layers --n_layers_D 2 --norm none --gan_mode vanilla "
        "--init_type xavier --init_gain 1 --crop_size 32 --ngf 2 --ndf 4",
        "--netG unet_256 --netD basic --norm instance --gan_mode lsgan --init_type kaiming "
        "--crop_size 256 --ngf 1 --ndf 2",
    };
    for (int i = 0; i < 2; i++) {
        char dir[512], l[8192];
        snprintf(dir, sizeof dir, "%s/cg-variant-%d", tmp_root, i);
        run_ok("%s train --model cyclegan64 --input_nc 1 --output_nc 1 --pool_size 1 %s " CG_RUN
               " --steps 2 --run %s 2>/dev/null",
               bin(), variants[i], dir);
        read_losses_all(dir, l, sizeof l);
        printf("# cyclegan %s:\n%s", variants[i], l);
        assert_int_equal(assert_finite_rows(l), 2);
    }
}

/* init_type as the reference's init_weights, checked on netG_A's
 * model.4 conv (16, 8, 3, 3) and model.5 batch norm of a fresh model:
 * sample std within 10% (1152 draws: ~5 standard errors) of
 * normal: gain; xavier_normal: gain sqrt(2 / (fan_in + fan_out));
 * kaiming_normal (fan_in, a = 0): sqrt(2 / fan_in); orthogonal: rows
 * orthonormal times gain (W W^T = gain^2 I to 1e-4; std gain sqrt(16 / 1152)). Batch-norm weights
 * N(1, gain) and conv biases 0 whatever the type. */
static void init_stats(const float *x, int n, double *mean, double *sd)
{
    double s = 0, q = 0;
    for (int i = 0; i < n; i++) s += x[i], q += (double)x[i] * x[i];
    *mean = s / n;
    *sd = sqrt(q / n - *mean * *mean);
}

static void test_cyclegan_init(void **state)
{
    (void)state;
    struct gc_device *dev;
    char note[256], path[600];
    assert_int_equal(gc_device_open("pocl", NULL, &dev, note, sizeof note), GC_OK);
    static const char *const types[] = {"normal", "xavier", "kaiming", "orthogonal"};
    const double fan_in = 8 * 9, fan_out = 16 * 9, gain = 0.05;
    const double want[] = {gain, gain * sqrt(2 / (fan_in + fan_out)), sqrt(2 / fan_in),
                           gain * sqrt(16.0 / (16 * 72))}; /* orthogonal: rows of norm gain */
    for (int t = 0; t < 4; t++) {
        struct gc_cyclegan_config c;
        struct gc_cyclegan *m;
        assert_int_equal(gc_cyclegan_preset("cyclegan64", &c), GC_OK);
        c.input_nc = c.output_nc = 1, c.size = 32, c.ngf = c.ndf = 8, c.norm = GC_CG_NORM_BATCH;
        c.init_type = (enum gc_cg_init)gc_cyclegan_option_parse("init_type", types[t]);
        c.init_gain = (float)gain;
        assert_int_equal(gc_cyclegan_create(dev, &c, &m), GC_OK);
        snprintf(path, sizeof path, "%s/init-%s.safetensors", tmp_root, types[t]);
        assert_int_equal(gc_cyclegan_save(m, path, 0, NULL, NULL), GC_OK);
        gc_cyclegan_destroy(m);
        static float w[16 * 72], gamma[16], bias[1];
        int64_t ws[4] = {16, 8, 3, 3}, gs[1] = {16}, bs[1] = {1};
        struct gc_safetensors *st;
        assert_int_equal(gc_safetensors_load(&st, path), GC_OK);
        assert_int_equal(gc_safetensors_read_f32(st, "netG_A.model.4.weight", w, 4, ws), GC_OK);
        assert_int_equal(gc_safetensors_read_f32(st, "netG_A.model.5.weight", gamma, 1, gs), GC_OK);
        assert_int_equal(gc_safetensors_read_f32(st, "netG_A.model.23.bias", bias, 1, bs), GC_OK);
        assert_null(gc_safetensors_find(st, "netG_A.model.4.bias")); /* batch norm: no bias */
        gc_safetensors_destroy(st);
        double mean, sd, gm, gsd;
        init_stats(w, 16 * 72, &mean, &sd);
        init_stats(gamma, 16, &gm, &gsd);
        printf("# init %-10s conv std %.5f (want %.5f), bn weight mean %.4f\n", types[t], sd,
               want[t], gm);
        assert_true(bias[0] == 0.0f);
        assert_true(fabs(gm - 1) < 4 * gain && gsd < 3 * gain);
        assert_true(fabs(sd / want[t] - 1) < 0.1 && fabs(mean) < 0.2 * want[t]);
        if (t < 3) continue;
        for (int i = 0; i < 16; i++)
            for (int j = 0; j < 16; j++) {
                double d = 0;
                for (int k = 0; k < 72; k++) d += (double)w[i * 72 + k] * w[j * 72 + k];
                assert_true(fabs(d / (gain * gain) - (i == j)) < 1e-4);
            }
    }
    gc_device_destroy(dev);
}

/* `--model cyclegan64 --help` is the CycleGAN help (it was DCGAN's): every
 * model option with its default; an unknown choice is a usage error. */
static void test_cyclegan_help(void **state)
{
    (void)state;
    char out[600], cmd[1400];
    snprintf(out, sizeof out, "%s/cg-help.txt", tmp_root);
    run_ok("%s train --model cyclegan64 --help > %s", bin(), out);
    static const char *const want[] = {
        "--netG resnet_6blocks|resnet_9blocks|unet_128|unet_256", "--netD basic|n_layers|pixel",
        "--norm instance|batch|none", "--gan_mode lsgan|vanilla|wgangp", "default lsgan",
        "--init_type normal|xavier|kaiming|orthogonal", "--init_gain X", "default 0.02",
        "--no_dropout", "--use_dropout", "--lambda_gp X", "--n_layers_D N", "--pool_size N",
        "--lambda_identity", "--max_dataset_size"};
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++)
        if (!file_has(out, want[i])) fail_msg("help lacks '%s'", want[i]);
    assert_false(file_has(out, "--nz N"));
    run_ok("%s train --model=cyclegan128 --help > %s", bin(), out);
    assert_true(file_has(out, "--netD basic|n_layers|pixel"));
    snprintf(cmd, sizeof cmd, "%s train --model cyclegan64 --netG unet_64 > %s 2>&1", bin(), out);
    int rc = system(cmd);
    assert_true(WIFEXITED(rc) && WEXITSTATUS(rc) == 2);
    assert_true(file_has(out, "--netG unet_64: choose one of resnet_6blocks|"));
}

/* tools/convert_cyclegan_pth.py on a reference UnetGenerator(1, 1, 7, ngf 1,
 * batch norm) state_dict with random weights and running statistics, then
 * `gan-cl translate --raw`, against PyTorch's eval-mode output
 * (tools/gen_cyclegan_fixtures.py). 1e-4 on [-1, 1]: float32 through 16
 * layers differs by ~1e-6; a wrong layer, name or skip moves outputs O(0.1). */
#define GOLDEN_TOL 1e-4f

static void test_cyclegan_converted_golden(void **state)
{
    (void)state;
    const char *root = getenv("GANCL_SOURCE_ROOT"), *fx = getenv("GANCL_FIXTURES");
    if (!root || !fx) fail_msg("GANCL_SOURCE_ROOT / GANCL_FIXTURES unset (run through meson test)");
    const char *py = getenv("GANCL_PYTHON");
    if (!py || !*py) py = "python3";
    char ck[600], out[600], raw[700], exp[600];
    snprintf(ck, sizeof ck, "%s/unet128.safetensors", tmp_root);
    snprintf(out, sizeof out, "%s/unet128-out", tmp_root);
    run_ok("'%s' '%s/tools/convert_cyclegan_pth.py' '%s/cyclegan_unet128/G_A.safetensors' "
           "--out '%s' --crop_size 128 > /dev/null",
           py, root, fx, ck);
    run_ok("%s translate --checkpoint %s --in %s/cyclegan_unet128/input.png --out %s --raw "
           "--device pocl > /dev/null",
           bin(), ck, fx, out);
    snprintf(raw, sizeof raw, "%s/input_fake.safetensors", out);
    snprintf(exp, sizeof exp, "%s/cyclegan_unet128/expected.safetensors", fx);
    static float ours[128 * 128], want[128 * 128];
    int64_t shape[3] = {1, 128, 128};
    struct gc_safetensors *a, *b;
    assert_int_equal(gc_safetensors_load(&a, raw), GC_OK);
    assert_int_equal(gc_safetensors_load(&b, exp), GC_OK);
    assert_int_equal(gc_safetensors_read_f32(a, "fake", ours, 3, shape), GC_OK);
    assert_int_equal(gc_safetensors_read_f32(b, "fake", want, 3, shape), GC_OK);
    gc_safetensors_destroy(a);
    gc_safetensors_destroy(b);
    float worst = 0;
    int live = 0;
    for (int i = 0; i < 128 * 128; i++) {
        worst = fmaxf(worst, fabsf(ours[i] - want[i]));
        live += fabsf(want[i]) < 0.95f;
    }
    printf("# unet_128 converted: max |gan-cl - PyTorch| = %.3g, %d of %d outputs unsaturated\n",
           worst, live, 128 * 128);
    assert_true(live > 128 * 128 / 2);
    assert_true(worst <= GOLDEN_TOL);
}

/* The same tiny run on rusticl agrees with PoCL: both OpenCL compilers give
 * the same training, up to float rounding amplified over 2 steps. A wrong
 * kernel (index, barrier, uninitialised memory) moves losses by O(1). */
#define PORTABILITY_RTOL 2e-3
#define PORTABILITY_ATOL 1e-4

static void compare_rows(const char *a, const char *b, const char *what)
{
    char ra[512], rb[512];
    const char *pa = strchr(a, '\n'), *pb = strchr(b, '\n'); /* skip headers */
    int rows = 0;
    while (pa && pb && pa[1] && pb[1]) {
        sscanf(pa + 1, "%511[^\n]", ra);
        sscanf(pb + 1, "%511[^\n]", rb);
        char *sa = ra, *sb = rb, *ea, *eb;
        for (int col = 0;; col++) {
            double va = strtod(sa, &ea), vb = strtod(sb, &eb);
            if (ea == sa || eb == sb) break;
            if (col >= 2 && !(fabs(va - vb) <= PORTABILITY_ATOL + PORTABILITY_RTOL * fabs(vb)))
                fail_msg("%s: column %d of row %d: pocl %.9g vs rusticl %.9g", what, col, rows,
                         vb, va);
            if (*ea != ',' || *eb != ',') break;
            sa = ea + 1, sb = eb + 1;
        }
        rows++;
        pa = strchr(pa + 1, '\n'), pb = strchr(pb + 1, '\n');
    }
    assert_true(rows >= 2);
}

static void test_rusticl_agrees(void **state)
{
    (void)state;
    static const char *models[] = {"dcgan32", "wgangp32"};
    for (int i = 0; i < 2; i++) {
        char a[512], b[512], la[8192], lb[8192];
        snprintf(a, sizeof a, "%s/%s-pocl", tmp_root, models[i]);
        snprintf(b, sizeof b, "%s/%s-rusticl", tmp_root, models[i]);
        run_ok("%s train --model %s " TINY " --device pocl --steps 2 --run %s 2>/dev/null", bin(),
               models[i], a);
        run_ok("RUSTICL_ENABLE=llvmpipe %s train --model %s " TINY
               " --device rusticl --steps 2 --run %s 2>/dev/null",
               bin(), models[i], b);
        read_losses(a, la, sizeof la);
        read_losses(b, lb, sizeof lb);
        compare_rows(lb, la, models[i]);
    }
    char a[512], b[512], la[16384], lb[16384];
    snprintf(a, sizeof a, "%s/cg-pocl", tmp_root);
    snprintf(b, sizeof b, "%s/cg-rusticl", tmp_root);
    run_ok("%s train " CG_TINY " --steps 2 --run %s 2>/dev/null", bin(), a);
    /* CG_TINY names --device pocl; a later --device wins in getopt */
    run_ok("RUSTICL_ENABLE=llvmpipe %s train " CG_TINY " --device rusticl --steps 2 --run %s-r "
           "2>/dev/null",
           bin(), b);
    char br[600];
    snprintf(br, sizeof br, "%s-r", b);
    read_losses_all(a, la, sizeof la);
    read_losses_all(br, lb, sizeof lb);
    compare_rows(lb, la, "cyclegan");
    /* the model options' kernels (concat, dropout, batch norm, the penalty's
     * double backprop) too */
    snprintf(a, sizeof a, "%s/cg-options-pocl", tmp_root);
    snprintf(b, sizeof b, "%s/cg-options-rusticl", tmp_root);
    run_ok("%s train " CG_OPTS " " CG_RUN " --steps 2 --run %s 2>/dev/null", bin(), a);
    run_ok("RUSTICL_ENABLE=llvmpipe %s train " CG_OPTS " " CG_RUN " --device rusticl --steps 2 "
           "--run %s 2>/dev/null",
           bin(), b);
    read_losses_all(a, la, sizeof la);
    read_losses_all(b, lb, sizeof lb);
    compare_rows(lb, la, "cyclegan options");
}

/* SIGINT during training: the step finishes, a checkpoint is written, exit
 * status 130, and --resume continues from it. */
static void test_interrupt(void **state)
{
    (void)state;
    char dir[512], log[600];
    snprintf(dir, sizeof dir, "%s/interrupted", tmp_root);
    snprintf(log, sizeof log, "%s/log.csv", dir);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        if (!freopen("/dev/null", "w", stderr)) _exit(126);
        execl(bin(), "gan-cl", "train", "--ngf", "8", "--ndf", "8", "--batch", "8",
              "--log-every", "1", "--device", "pocl", "--steps", "100000", "--run", dir,
              (char *)NULL);
        _exit(127);
    }
    for (int i = 0; i < 1200; i++) { /* until the first logged step, at most 120 s */
        struct stat st;
        if (stat(log, &st) == 0 && st.st_size > 60) break;
        nanosleep(&(struct timespec){0, 100000000}, NULL);
    }
    kill(pid, SIGINT);
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 130);
    run_ok("%s train --resume %s --steps 1 --device pocl 2>/dev/null || "
           "test -f %s/checkpoints/latest.safetensors",
           bin(), dir, dir);
}

static int setup(void **state)
{
    (void)state;
    snprintf(tmp_root, sizeof tmp_root, "/tmp/gancl-models-%ld", (long)getpid());
    return mkdir(tmp_root, 0755);
}

static int teardown(void **state)
{
    (void)state;
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf %s", tmp_root);
    return system(cmd) == 0 ? 0 : -1;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dcgan32),
        cmocka_unit_test(test_wgan32),
        cmocka_unit_test(test_wgangp32),
        cmocka_unit_test(test_eval_every),
        cmocka_unit_test(test_folder),
        cmocka_unit_test(test_cyclegan),
        cmocka_unit_test(test_cyclegan_options),
        cmocka_unit_test(test_cyclegan_variants),
        cmocka_unit_test(test_cyclegan_help),
        cmocka_unit_test(test_cyclegan_init),
        cmocka_unit_test(test_cyclegan_converted_golden),
        cmocka_unit_test(test_rusticl_agrees),
        cmocka_unit_test(test_interrupt),
    };
    return cmocka_run_group_tests_name("models", tests, setup, teardown);
}
