/* SPDX-License-Identifier: MIT */
/* LD_PRELOAD shim for sanitizer runs: OpenCL implementations dlclose their
 * driver and kernel modules at exit, after which LeakSanitizer cannot name
 * the module of a leak it finds there ("<unknown module>") and suppressions
 * cannot match it. Keeping modules loaded lets tools/lsan.supp attribute
 * those leaks to their libraries, while our own allocations stay checked. */
int dlclose(void *handle);

int dlclose(void *handle)
{
    (void)handle;
    return 0;
}
