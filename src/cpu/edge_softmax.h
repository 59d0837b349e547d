/* The second half of a row's edge softmax for one head, shared by the edge-softmax op (sparse.c) and the
 * fused GAT attention (gat_attention.c) so that both give the same bits: given the row's max m of head h,
 * out[e][h] = exp(in[e][h] - m) / sum over the row's edges, summed in edge order. out may alias in. */
#ifndef KPRCA_CPU_EDGE_SOFTMAX_H
#define KPRCA_CPU_EDGE_SOFTMAX_H
#include <math.h>
#include <stdint.h>

static inline void kp_cpu_softmax_edges(const float *in, float *out, int32_t e0, int32_t e1, int64_t H, int64_t h,
                                        float m) {
  float sum = 0.0f;
  for (int32_t e = e0; e < e1; e++) {
    float v = expf(in[(int64_t)e * H + h] - m);
    out[(int64_t)e * H + h] = v;
    sum += v;
  }
  float inv = 1.0f / sum;
  for (int32_t e = e0; e < e1; e++) out[(int64_t)e * H + h] *= inv;
}
#endif
