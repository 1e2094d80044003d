/* SPDX-License-Identifier: MIT */
/* The descriptor table, generated from GC_OP_LIST: every op's descriptor
 * is defined in its family file as gc__op_desc_<name>. */
#include "graph/graph_impl.h"

#define GC_OP_EXTERN_(e, n, f) extern const struct gc_op_desc gc__op_desc_##n;
GC_OP_LIST(GC_OP_EXTERN_)
#undef GC_OP_EXTERN_

const struct gc_op_desc *const gc__op_descs[GC_OP_COUNT] = {
#define GC_OP_ENTRY_(e, n, f) [GC_OP_##e] = &gc__op_desc_##n,
    GC_OP_LIST(GC_OP_ENTRY_)
#undef GC_OP_ENTRY_
};
