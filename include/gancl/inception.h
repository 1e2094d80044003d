/* SPDX-License-Identifier: MIT */
/* The `inception` feature network of `gan-cl eval`: Inception-v3 as
 * pytorch-fid builds it for FID (pytorch_fid/inception.py, fid_inception_v3:
 * torchvision's Inception3 with 1008 classes, no aux head, and the blocks
 * FIDInceptionA/C/E_1/E_2 whose average pools use count_include_pad=False
 * and whose last block pools with a 3x3 stride-1 max pool), with weights from
 * a safetensors file the user provides (tools/convert_fid_inception.py makes
 * it from pytorch-fid's pt_inception-2015-12-05-6726825d.pth; tensor names
 * are the state_dict's, e.g. Conv2d_1a_3x3.conv.weight).
 *
 * Input: (N, C, H, W) in [0, 1], C = 1 (repeated to 3 channels, as gray
 * images are) or 3, any H, W. Then as pytorch-fid's InceptionV3 with
 * resize_input and normalize_input: bilinear resize to 299x299
 * (align_corners=False, no antialiasing), 2x - 1, the network with
 * BatchNorm in eval mode (eps 0.001), adaptive average pool:
 *   features (N, 2048)           FID, KID, precision/recall
 *   logits (N, 1008)             fc(features) = features W^T + b
 *   logits_unbiased (N, 1008)    features W^T: torch-fidelity's input to
 *                                the Inception Score (all 1008 classes, no
 *                                bias, as the original TF IS code). */
#ifndef GANCL_INCEPTION_H
#define GANCL_INCEPTION_H

#include "gancl/device.h"
#include "gancl/graph.h"
#include "gancl/status.h"

#define GC_INCEPTION_SIZE 299
#define GC_INCEPTION_FEATURES 2048
#define GC_INCEPTION_CLASSES 1008

struct gc_inception;

/* A network for batches of `batch` images of (channels, h, w), channels 1
 * or 3. Weights are zero until gc_inception_load. */
gc_status gc_inception_create(struct gc_device *dev, int batch, int channels, int h, int w,
                              struct gc_inception **out);
void gc_inception_destroy(struct gc_inception *m);
int gc_inception_batch(const struct gc_inception *m);
/* Its parameters (conv weights, BatchNorm weight/bias/running stats, fc),
 * named as pytorch-fid's state_dict. */
struct gc_param_group *gc_inception_params(struct gc_inception *m);
/* Reads every parameter from a safetensors file (F32/F16/BF16; extra tensors
 * such as num_batches_tracked are ignored). A missing tensor or a wrong
 * shape fails naming the file and the tensor, leaving the weights as they
 * were. */
gc_status gc_inception_load(struct gc_inception *m, const char *path);
/* One batch: x (batch, channels, h, w) -> features (batch, 2048), logits and
 * logits_unbiased (batch, 1008); any output may be NULL. */
gc_status gc_inception_forward(struct gc_inception *m, const float *x, float *features,
                               float *logits, float *logits_unbiased);
/* n images (any n): whole batches, the last one padded with copies of
 * image 0. */
gc_status gc_inception_run(struct gc_inception *m, const float *x, int64_t n, float *features,
                           float *logits_unbiased);

#endif
