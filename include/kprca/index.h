/* Row gather and scatter by index: embedding lookup, node selection, message scatter.
 * Index tensors are i32; every index must lie in range (checked on the CPU; on the GPU an
 * out-of-range index is a caller bug). Backward functions accumulate (+=). */
#ifndef KPRCA_INDEX_H
#define KPRCA_INDEX_H
#include "kprca/reduce.h"
#include "kprca/tensor.h"
#ifdef __cplusplus
extern "C" {
#endif

/** Embedding lookup y[..., :] = table[ids[...], :]: ids i32 of any shape, table [V, D], y [ids..., D]. */
kp_status kp_embedding_fwd(kp_tensor *y, const kp_tensor *ids, const kp_tensor *table);
/** dtable[ids[n], :] += dy[n, :] (scatter-add; repeated ids accumulate). */
kp_status kp_embedding_bwd(kp_tensor *dtable, const kp_tensor *dy, const kp_tensor *ids);
/** y[k, :] = x[idx[k], :] with x [N, F], idx i32 [K], y [K, F]. */
kp_status kp_gather_fwd(kp_tensor *y, const kp_tensor *x, const kp_tensor *idx);
/** dx[idx[k], :] += dy[k, :]. */
kp_status kp_gather_bwd(kp_tensor *dx, const kp_tensor *dy, const kp_tensor *idx);
/** y [N, F] = reduce over {k : idx[k] = n} of src[k, :] (torch_scatter semantics; rows hit by no k are 0).
 *  arg: i32 [N, F] receiving the winning k for MAX (-1 where empty), else NULL; ties go to the smallest k. */
kp_status kp_scatter_fwd(kp_tensor *y, kp_tensor *arg, const kp_tensor *src, const kp_tensor *idx, kp_reduce r);
/** dsrc [K, F] += gradient of kp_scatter_fwd (needs the forward's arg for MAX, and idx). */
kp_status kp_scatter_bwd(kp_tensor *dsrc, const kp_tensor *dy, const kp_tensor *arg, const kp_tensor *idx,
                         kp_reduce r);

#ifdef __cplusplus
}
#endif
#endif
