/* Segment pooling over batched graphs: nodes of graph g are rows ptr[g] .. ptr[g+1]-1. */
#ifndef KPRCA_SEGMENT_H
#define KPRCA_SEGMENT_H
#include "kprca/reduce.h"
#include "kprca/tensor.h"
#ifdef __cplusplus
extern "C" {
#endif

/** y [G, F] = reduce of x [N, F] rows within each segment of ptr (i32 [G+1], non-decreasing, ptr[0] = 0, ptr[G] = N).
 *  Empty segments give 0. arg: i32 [G, F] receiving the winning row for MAX (-1 if empty), else NULL. */
kp_status kp_segment_fwd(kp_tensor *y, kp_tensor *arg, const kp_tensor *x, const kp_tensor *ptr, kp_reduce r);
/** dx [N, F] += gradient of kp_segment_fwd. */
kp_status kp_segment_bwd(kp_tensor *dx, const kp_tensor *dy, const kp_tensor *arg, const kp_tensor *ptr,
                         kp_reduce r);

#ifdef __cplusplus
}
#endif
#endif
