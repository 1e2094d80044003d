// SPDX-License-Identifier: MIT
// Prefix of every gan-cl program: shared macros and inline helpers only, no
// kernels (each program would otherwise carry a copy). OpenCL C 1.2; nothing
// here may rely on one implementation's leniency (both PoCL and rusticl
// compile every program in CI).

// Element offsets arrive as separate arguments so a tensor can live anywhere
// inside a planned arena: kernels take (buffer, offset) pairs.
#define GC_AT(buf, off) ((buf) + (off))
