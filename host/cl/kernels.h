/* SPDX-License-Identifier: MIT */
/* Declarations for the generated table of embedded OpenCL sources. */
#ifndef GANCL_KERNELS_H
#define GANCL_KERNELS_H
#include "cl/clrt.h"
extern const struct gc__kernel_source gc__kernel_sources[];
extern const int gc__kernel_source_count;
#endif
