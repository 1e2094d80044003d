/* SPDX-License-Identifier: MIT */
/* The --device selector. Pure logic over device records so it can be tested
 * against synthetic tables (see tests/test_device.c). */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "gancl/device.h"

static bool contains_ci(const char *hay, const char *needle)
{
    size_t n = strlen(needle);
    if (n == 0) return true;
    for (; *hay; hay++) {
        size_t i = 0;
        while (i < n && hay[i] &&
               tolower((unsigned char)hay[i]) == tolower((unsigned char)needle[i]))
            i++;
        if (i == n) return true;
    }
    return false;
}

/* llvmpipe-style software rasterisers claim GPU-like capabilities but are
 * slower than the CPU device: never the default. */
static bool is_software(const struct gc_device_info *d)
{
    return contains_ci(d->name, "llvmpipe") || contains_ci(d->name, "swiftshader");
}

static double device_score(const struct gc_device_info *d)
{
    return (double)d->compute_units * (double)(d->clock_mhz ? d->clock_mhz : 1);
}

struct vendor_key {
    const char *word;
    uint32_t id, alt_id; /* alt: CPU-side PCI id (e.g. AMD CPUs are 0x1022) */
    const char *vendor_substr;
};

static const struct vendor_key vendors[] = {
    {"intel", GC_VENDOR_INTEL, GC_VENDOR_INTEL, "intel"},
    {"amd", GC_VENDOR_AMD, 0x1022u, "amd"},
    {"nvidia", GC_VENDOR_NVIDIA, GC_VENDOR_NVIDIA, "nvidia"},
    {"apple", GC_VENDOR_APPLE, GC_VENDOR_APPLE, "apple"},
    {"arm", GC_VENDOR_ARM, GC_VENDOR_ARM, "arm"},
    {"qualcomm", GC_VENDOR_QUALCOMM, GC_VENDOR_QUALCOMM, "qualcomm"},
};

/* Vendor id *or* vendor string: PoCL on an AMD CPU reports Intel's id 0x8086
 * with vendor "AuthenticAMD", so a CPU matches both. */
static bool vendor_matches(const struct gc_device_info *d, const struct vendor_key *v)
{
    if (d->vendor_id == v->id || d->vendor_id == v->alt_id) return true;
    if (strcmp(v->word, "arm") == 0) return strncmp(d->vendor, "ARM", 3) == 0;
    return contains_ci(d->vendor, v->vendor_substr);
}

/* Best (highest score, non-software first) device accepted by `want`. */
static int best_of(const struct gc_device_info *devs, int n, enum gc_device_type type,
                   const struct vendor_key *v)
{
    int best = -1;
    for (int i = 0; i < n; i++) {
        if (devs[i].type != type || (v && !vendor_matches(&devs[i], v))) continue;
        if (best < 0 || (is_software(&devs[best]) && !is_software(&devs[i])) ||
            (is_software(&devs[best]) == is_software(&devs[i]) &&
             device_score(&devs[i]) > device_score(&devs[best])))
            best = i;
    }
    return best;
}

static int select_default(const struct gc_device_info *devs, int n)
{
    int g = best_of(devs, n, GC_DEVICE_GPU, NULL);
    if (g >= 0 && !is_software(&devs[g])) return g;
    int c = best_of(devs, n, GC_DEVICE_CPU, NULL);
    if (c >= 0) return c;
    if (g >= 0) return g;
    return n > 0 ? 0 : -1;
}

static int select_vendor(const struct gc_device_info *devs, int n, const struct vendor_key *v,
                         char *note, size_t note_size)
{
    int g = best_of(devs, n, GC_DEVICE_GPU, v);
    if (g >= 0) return g;
    int a = best_of(devs, n, GC_DEVICE_ACCELERATOR, v);
    if (a >= 0) return a;
    int c = best_of(devs, n, GC_DEVICE_CPU, v);
    if (c >= 0 && note)
        snprintf(note, note_size,
                 "--device %s: no %s GPU found; using the CPU device '%s' (vendor '%s', id "
                 "0x%04x)",
                 v->word, v->word, devs[c].name, devs[c].vendor, devs[c].vendor_id);
    return c;
}

static bool all_digits(const char *s)
{
    if (!*s) return false;
    for (; *s; s++)
        if (!isdigit((unsigned char)*s)) return false;
    return true;
}

static int select_keyword(const struct gc_device_info *devs, int n, const char *sel, char *note,
                          size_t note_size)
{
    for (size_t i = 0; i < sizeof vendors / sizeof vendors[0]; i++)
        if (strcasecmp(sel, vendors[i].word) == 0)
            return select_vendor(devs, n, &vendors[i], note, note_size);
    if (strcasecmp(sel, "cpu") == 0) return best_of(devs, n, GC_DEVICE_CPU, NULL);
    if (strcasecmp(sel, "gpu") == 0) return best_of(devs, n, GC_DEVICE_GPU, NULL);
    const char *plat = strcasecmp(sel, "pocl") == 0      ? "Portable Computing Language"
                       : strcasecmp(sel, "rusticl") == 0 ? "rusticl"
                                                         : NULL;
    if (plat) {
        for (int i = 0; i < n; i++)
            if (contains_ci(devs[i].platform_name, plat) ||
                (strcasecmp(sel, "pocl") == 0 && contains_ci(devs[i].platform_version, "pocl")))
                return i;
        return -1;
    }
    return -2; /* not a keyword */
}

static int select_index(const struct gc_device_info *devs, int n, const char *sel)
{
    int p, d;
    char tail;
    if (sscanf(sel, "%d:%d%c", &p, &d, &tail) == 2) {
        for (int i = 0; i < n; i++)
            if (devs[i].platform_index == p && devs[i].device_index == d) return i;
        return -1;
    }
    if (all_digits(sel)) {
        long v = strtol(sel, NULL, 10);
        return v >= 0 && v < n ? (int)v : -1;
    }
    return -2;
}

static gc_status no_match(const struct gc_device_info *devs, int n, const char *sel)
{
    char list[4096];
    int off = 0;
    for (int i = 0; i < n && off < (int)sizeof list - 1; i++)
        off += snprintf(list + off, sizeof list - (size_t)off, "\n  %d (%d:%d) %s [%s, %s]", i,
                        devs[i].platform_index, devs[i].device_index, devs[i].name,
                        gc_device_type_name(devs[i].type), devs[i].platform_name);
    if (n == 0)
        return gc_error(GC_NO_DEVICE,
                        "no OpenCL device matches '%s': no OpenCL devices are present (is an "
                        "OpenCL driver such as pocl-opencl-icd installed?)",
                        sel && *sel ? sel : "(default)");
    return gc_error(GC_NO_DEVICE, "no OpenCL device matches '%s'; devices present:%s", sel, list);
}

gc_status gc_device_select(const struct gc_device_info *devs, int n, const char *sel, int *index,
                           char *note, size_t note_size)
{
    if (note && note_size) note[0] = '\0';
    int i;
    if (!sel || !*sel) {
        i = select_default(devs, n);
    } else {
        i = select_index(devs, n, sel);
        if (i == -2) i = select_keyword(devs, n, sel, note, note_size);
        if (i == -2) {
            i = -1;
            for (int k = 0; k < n && i < 0; k++)
                if (contains_ci(devs[k].name, sel)) i = k;
        }
    }
    if (i < 0) return no_match(devs, n, sel);
    *index = i;
    return GC_OK;
}
