/* Inverted dropout with masks drawn from Philox: element i is kept when
 * kp_philox_uniform(seed, offset, i) >= p, so the backward regenerates the mask instead of
 * storing it, and the CPU and the GPU drop the same elements. */
#ifndef KPRCA_DROPOUT_H
#define KPRCA_DROPOUT_H
#include <stdint.h>
#include "kprca/tensor.h"
#ifdef __cplusplus
extern "C" {
#endif

/** y = keep_i ? x / (1 - p) : 0, with 0 <= p < 1 (p == 0 copies); y may alias x. Uses kp_philox_blocks(numel) blocks from offset. */
kp_status kp_dropout_fwd(kp_tensor *y, const kp_tensor *x, float p, uint64_t seed, uint64_t offset);
/** dx += keep_i ? dy / (1 - p) : 0 with the same (p, seed, offset) as the forward. */
kp_status kp_dropout_bwd(kp_tensor *dx, const kp_tensor *dy, float p, uint64_t seed, uint64_t offset);

#ifdef __cplusplus
}
#endif
#endif
