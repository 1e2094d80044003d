/* SPDX-License-Identifier: MIT */
/* CLBlast parameter sets: validity, defaults, applying them (see clblast.h). The state of what
 * is in effect is process-global and keyed by cl_device_id, as CLBlast's own database cache
 * is: two gc_devices of one physical device share it. */
#include "cl/clblast.h"

#include <clblast_c.h>
#include <pthread.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#define MAX_DEVICES 8
#define MAX_INDIRECT_SIZE 1048576 /* its cube must fit 64 bits */

const char *const gc__clb_xgemm_names[GC_CLB_XGEMM_COUNT] = {
    "GEMMK", "KREG", "KWG", "KWI", "MDIMA", "MDIMC", "MWG", "NDIMB",
    "NDIMC", "NWG",  "SA",  "SB",  "STRM",  "STRN",  "VWM", "VWN"};
const char *const gc__clb_direct_names[GC_CLB_DIRECT_COUNT] = {
    "KWID", "MDIMAD", "MDIMCD", "NDIMBD", "NDIMCD", "PADA", "PADB", "VWMD", "VWND", "WGD"};
static const char *const routine_names[1] = {"XGEMM_MIN_INDIRECT_SIZE"};

struct state {
    cl_device_id id;
    bool overridden;                  /* cur differs from CLBlast's untouched database */
    struct gc_clblast_params def, cur; /* def: read before the first override */
};

static struct state states[MAX_DEVICES];
static int n_states;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

/* ---- validity ---- */

static bool is_vector_width(int v) { return v == 1 || v == 2 || v == 4 || v == 8 || v == 16; }
static bool multiple(int a, int b) { return b > 0 && a % b == 0; }
static bool bit(int v) { return v == 0 || v == 1; }

static gc_status bad(const char *kernel, const char *rule)
{
    return gc_error(GC_INVALID_ARG, "CLBlast %s parameters: %s", kernel, rule);
}

static gc_status check_xgemm(const struct gc_device_info *info, const int *x)
{
    for (int i = 0; i < GC_CLB_XGEMM_COUNT; i++)
        if (x[i] < 0 || x[i] > 4096) return bad("Xgemm", "value out of range");
    if (!bit(x[GC_CLB_GEMMK]) || !bit(x[GC_CLB_SA]) || !bit(x[GC_CLB_SB]) || !bit(x[GC_CLB_STRM]) ||
        !bit(x[GC_CLB_STRN]))
        return bad("Xgemm", "GEMMK, SA, SB, STRM, STRN must be 0 or 1");
    if (!is_vector_width(x[GC_CLB_VWM]) || !is_vector_width(x[GC_CLB_VWN]))
        return bad("Xgemm", "VWM and VWN must be 1, 2, 4, 8 or 16");
    int mdimc = x[GC_CLB_MDIMC], ndimc = x[GC_CLB_NDIMC], kwg = x[GC_CLB_KWG];
    if (!multiple(kwg, x[GC_CLB_KWI])) return bad("Xgemm", "KWG % KWI != 0 (K loop unrolling)");
    if (!multiple(x[GC_CLB_MWG], mdimc * x[GC_CLB_VWM]) || !multiple(x[GC_CLB_NWG], ndimc * x[GC_CLB_VWN]))
        return bad("Xgemm", "MWG % (MDIMC*VWM) or NWG % (NDIMC*VWN) != 0 (work per item)");
    if (!multiple(x[GC_CLB_MWG], x[GC_CLB_MDIMA] * x[GC_CLB_VWM]) ||
        !multiple(x[GC_CLB_NWG], x[GC_CLB_NDIMB] * x[GC_CLB_VWN]))
        return bad("Xgemm", "MWG % (MDIMA*VWM) or NWG % (NDIMB*VWN) != 0 (loads per item)");
    if (x[GC_CLB_GEMMK] == 0) {
        /* KDIMA = MDIMC*NDIMC/MDIMA threads reshape the A tile; KWG must be a multiple. */
        if (!multiple(mdimc * ndimc, x[GC_CLB_MDIMA]) || !multiple(mdimc * ndimc, x[GC_CLB_NDIMB]) ||
            !multiple(kwg, mdimc * ndimc / x[GC_CLB_MDIMA]) || !multiple(kwg, mdimc * ndimc / x[GC_CLB_NDIMB]))
            return bad("Xgemm", "KWG not a multiple of KDIMA / KDIMB");
        if (x[GC_CLB_KREG] != 1) return bad("Xgemm", "KREG must be 1 with GEMMK=0");
    } else {
        /* Kernel 1 (2D register tiling) uses neither local memory nor the reshaped tiles. */
        if (!multiple(x[GC_CLB_KREG], x[GC_CLB_VWN])) return bad("Xgemm", "KREG % VWN != 0 (GEMMK=1)");
        if (x[GC_CLB_MDIMA] != mdimc || x[GC_CLB_NDIMB] != ndimc || x[GC_CLB_SA] || x[GC_CLB_SB] ||
            x[GC_CLB_STRM] || x[GC_CLB_STRN] || kwg != 1 || x[GC_CLB_KWI] != 1)
            return bad("Xgemm", "GEMMK=1 needs MDIMA=MDIMC, NDIMB=NDIMC, KWG=KWI=1, SA=SB=STRM=STRN=0");
    }
    if ((size_t)mdimc * (size_t)ndimc > info->max_work_group)
        return bad("Xgemm", "MDIMC*NDIMC above the device's work-group size");
    uint64_t local = 4ull * (uint64_t)kwg *
                     ((uint64_t)x[GC_CLB_SA] * (uint64_t)x[GC_CLB_MWG] + (uint64_t)x[GC_CLB_SB] * (uint64_t)x[GC_CLB_NWG]);
    if (local > info->local_mem) return bad("Xgemm", "4*KWG*(SA*MWG + SB*NWG) above local memory");
    return GC_OK;
}

static gc_status check_direct(const struct gc_device_info *info, const int *d)
{
    for (int i = 0; i < GC_CLB_DIRECT_COUNT; i++)
        if (d[i] < 0 || d[i] > 4096) return bad("XgemmDirect", "value out of range");
    if (!bit(d[GC_CLB_PADA]) || !bit(d[GC_CLB_PADB])) return bad("XgemmDirect", "PADA, PADB must be 0 or 1");
    if (!is_vector_width(d[GC_CLB_VWMD]) || !is_vector_width(d[GC_CLB_VWND]))
        return bad("XgemmDirect", "VWMD and VWND must be 1, 2, 4, 8 or 16");
    int wgd = d[GC_CLB_WGD], mc = d[GC_CLB_MDIMCD], nc = d[GC_CLB_NDIMCD];
    if (!multiple(wgd, d[GC_CLB_KWID])) return bad("XgemmDirect", "WGD % KWID != 0");
    if (!multiple(wgd, mc * d[GC_CLB_VWMD]) || !multiple(wgd, nc * d[GC_CLB_VWND]) ||
        !multiple(wgd, d[GC_CLB_MDIMAD] * d[GC_CLB_VWMD]) || !multiple(wgd, d[GC_CLB_NDIMBD] * d[GC_CLB_VWND]))
        return bad("XgemmDirect", "WGD not a multiple of M/NDIMCD*VWM/ND or M/NDIMA/BD*VWM/ND");
    if (!multiple(mc * nc, d[GC_CLB_MDIMAD]) || !multiple(mc * nc, d[GC_CLB_NDIMBD]) ||
        !multiple(wgd, mc * nc / d[GC_CLB_MDIMAD]) || !multiple(wgd, mc * nc / d[GC_CLB_NDIMBD]))
        return bad("XgemmDirect", "WGD not a multiple of KDIMAD / KDIMBD");
    if ((size_t)mc * (size_t)nc > info->max_work_group)
        return bad("XgemmDirect", "MDIMCD*NDIMCD above the device's work-group size");
    uint64_t local = 4ull * (uint64_t)wgd * (uint64_t)(2 * wgd + d[GC_CLB_PADA] + d[GC_CLB_PADB]);
    if (local > info->local_mem) return bad("XgemmDirect", "4*WGD*(2*WGD + PADA + PADB) above local memory");
    return GC_OK;
}

gc_status gc__clblast_params_check(const struct gc_device_info *info, const struct gc_clblast_params *p)
{
    if (!p->set) return GC_OK;
    /* Both kernels are compiled into the routine's one program, whichever path a shape takes. */
    gc_status s = check_xgemm(info, p->xgemm);
    if (s == GC_OK) s = check_direct(info, p->direct);
    if (s == GC_OK && (p->min_indirect < 0 || p->min_indirect > MAX_INDIRECT_SIZE))
        s = bad("GemmRoutine", "XGEMM_MIN_INDIRECT_SIZE out of range");
    return s;
}

bool gc__clblast_params_eq(const struct gc_clblast_params *a, const struct gc_clblast_params *b)
{
    if (a->set != b->set) return false;
    return !a->set || (!memcmp(a->xgemm, b->xgemm, sizeof a->xgemm) &&
                       !memcmp(a->direct, b->direct, sizeof a->direct) && a->min_indirect == b->min_indirect);
}

bool gc__clblast_params_direct(const struct gc_clblast_params *p, int64_t m, int64_t n, int64_t k)
{
    unsigned long long t = (unsigned long long)p->min_indirect;
    return (unsigned long long)m * (unsigned long long)n * (unsigned long long)k < t * t * t;
}

/* ---- state ---- */

static gc_status clblast_status(const struct gc_device *dev, int st, const char *what)
{
    return gc_error(GC_CLBLAST, "%s on %s: %s", what, dev->info.name, gc__clblast_error_name(st));
}

/* The device's state, created with the database defaults on first use (lock held). */
static gc_status state_of(struct gc_device *dev, struct state **out)
{
    for (int i = 0; i < n_states; i++)
        if (states[i].id == dev->id) {
            *out = &states[i];
            return GC_OK;
        }
    if (n_states == MAX_DEVICES) return gc_error(GC_LIMIT, "CLBlast parameters: %d devices at most", MAX_DEVICES);
    struct state s = {.id = dev->id, .def = {.set = true}};
    int st = gc__clblast_retrieve(dev->id, "Xgemm", GC_CLB_XGEMM_COUNT, gc__clb_xgemm_names, s.def.xgemm);
    if (st == 0)
        st = gc__clblast_retrieve(dev->id, "XgemmDirect", GC_CLB_DIRECT_COUNT, gc__clb_direct_names, s.def.direct);
    if (st == 0) st = gc__clblast_retrieve(dev->id, "GemmRoutine", 1, routine_names, &s.def.min_indirect);
    if (st != 0) return clblast_status(dev, st, "reading CLBlast's SGEMM parameters");
    s.cur = s.def;
    states[n_states] = s;
    *out = &states[n_states++];
    return GC_OK;
}

gc_status gc__clblast_defaults(struct gc_device *dev, struct gc_clblast_params *p)
{
    pthread_mutex_lock(&lock);
    struct state *s;
    gc_status st = state_of(dev, &s);
    if (st == GC_OK) *p = s->def;
    pthread_mutex_unlock(&lock);
    return st;
}

static gc_status override(struct gc_device *dev, const char *kernel, int n, const char *const *names,
                          const int *values)
{
    size_t v[GC_CLB_XGEMM_COUNT];
    for (int i = 0; i < n; i++) v[i] = (size_t)values[i];
    int st = CLBlastOverrideParameters(dev->id, kernel, CLBlastPrecisionSingle, (size_t)n,
                                       (const char **)names, v);
    return st == CLBlastSuccess ? GC_OK : clblast_status(dev, st, "CLBlastOverrideParameters");
}

/* Lock held. A kernel that failed to switch leaves cur describing it as it was. */
static gc_status apply(struct gc_device *dev, struct state *s, const struct gc_clblast_params *want)
{
    gc_status st = GC_OK;
    if (memcmp(s->cur.xgemm, want->xgemm, sizeof want->xgemm) &&
        (st = override(dev, "Xgemm", GC_CLB_XGEMM_COUNT, gc__clb_xgemm_names, want->xgemm)) == GC_OK)
        memcpy(s->cur.xgemm, want->xgemm, sizeof want->xgemm);
    if (st == GC_OK && memcmp(s->cur.direct, want->direct, sizeof want->direct) &&
        (st = override(dev, "XgemmDirect", GC_CLB_DIRECT_COUNT, gc__clb_direct_names, want->direct)) == GC_OK)
        memcpy(s->cur.direct, want->direct, sizeof want->direct);
    if (st == GC_OK && s->cur.min_indirect != want->min_indirect &&
        (st = override(dev, "GemmRoutine", 1, routine_names, &want->min_indirect)) == GC_OK)
        s->cur.min_indirect = want->min_indirect;
    s->overridden = s->overridden || st == GC_OK;
    return st;
}

gc_status gc__clblast_begin(struct gc_device *dev, const struct gc_clblast_params *p)
{
    pthread_mutex_lock(&lock);
    struct state *s = NULL;
    gc_status st = GC_OK;
    bool any = p->set;
    for (int i = 0; !any && i < n_states; i++) any = states[i].id == dev->id && states[i].overridden;
    /* A device never overridden needs nothing for its defaults (and no database read). */
    if (any) st = state_of(dev, &s);
    if (st == GC_OK && s) st = apply(dev, s, p->set ? p : &s->def);
    if (st != GC_OK) pthread_mutex_unlock(&lock);
    return st;
}

void gc__clblast_end(void) { pthread_mutex_unlock(&lock); }

void gc__clblast_in_effect(const struct gc_device *dev, struct gc_clblast_params *p)
{
    pthread_mutex_lock(&lock);
    memset(p, 0, sizeof *p);
    for (int i = 0; i < n_states; i++)
        if (states[i].id == dev->id && states[i].overridden) *p = states[i].cur;
    pthread_mutex_unlock(&lock);
}

static double clock_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

gc_status gc__clblast_switch_cost(struct gc_device *dev, const struct gc_clblast_params *a,
                                  const struct gc_clblast_params *b, double *seconds)
{
    enum { ROUNDS = 4 };
    double t = 0;
    gc_status st = GC_OK;
    for (int i = 0; i < 2 * ROUNDS + 1 && st == GC_OK; i++) {
        double t0 = clock_s();
        st = gc__clblast_begin(dev, i % 2 ? b : a);
        if (st == GC_OK) gc__clblast_end();
        if (i > 0) t += clock_s() - t0; /* the first only puts a in place */
    }
    *seconds = t / (2 * ROUNDS);
    return st;
}
