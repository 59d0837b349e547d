/* Deterministic segment reductions on the GPU, shared by segment pooling and by scatter /
 * gather-backward (whose positions are the k's grouped by index). Segment g covers positions
 * ptr[g] .. ptr[g+1]-1; position p reads row perm[p] of x (row p when perm is NULL). One block
 * owns a segment: 32 features x 8 row groups, each group summing its rows in order, then the
 * 8 partials combined in a fixed order. No atomics, so every run gives the same bits. */
#ifndef KPRCA_CUDA_SEG_REDUCE_CUH
#define KPRCA_CUDA_SEG_REDUCE_CUH
#include <math.h>
#include "common.cuh"

#define KP_SEG_GROUPS 8
#define KP_SEG_THREADS (32 * KP_SEG_GROUPS)

namespace {

/* y[g, f] (+)= reduce_{p in segment g} x[row(p), f]; arg[g, f] = winning row for MAX (-1 when empty; ties to
 * the smallest row, which is the earliest position since rows ascend within a segment). Empty segments give 0
 * (MEAN divides by the segment size). With accumulate, empty segments are left untouched. */
template <int R>
__global__ void kp_seg_reduce_kernel(float *__restrict__ y, int32_t *__restrict__ arg, const float *__restrict__ x,
                                     const int32_t *__restrict__ ptr, const int32_t *__restrict__ perm, int64_t G,
                                     int64_t F, int64_t npos, bool accumulate) {
  __shared__ float sv[KP_SEG_GROUPS][32];
  __shared__ int32_t sa[KP_SEG_GROUPS][32];
  const int tx = threadIdx.x & 31, ty = threadIdx.x >> 5;
  for (int64_t g = blockIdx.x; g < G; g += gridDim.x) {
    int64_t s = ptr[g], e = ptr[g + 1];
    s = s < 0 ? 0 : (s > npos ? npos : s); /* a bad ptr is a caller bug: stay in bounds */
    e = e < s ? s : (e > npos ? npos : e);
    if (accumulate && e == s) continue; /* uniform over the block */
    for (int64_t f0 = 0; f0 < F; f0 += 32) {
      const int64_t f = f0 + tx;
      float v = 0.0f;
      int32_t a = -1;
      if (f < F) {
        for (int64_t p = s + ty; p < e; p += KP_SEG_GROUPS) {
          const int64_t row = perm ? (int64_t)perm[p] : p;
          const float xv = x[row * F + f];
          if (R == KP_REDUCE_MAX) {
            if (a < 0 || xv > v) {
              v = xv;
              a = (int32_t)row;
            }
          } else {
            v += xv;
          }
        }
      }
      sv[ty][tx] = v;
      sa[ty][tx] = a;
      __syncthreads();
      if (ty == 0 && f < F) {
        float t = sv[0][tx];
        int32_t ta = sa[0][tx];
        for (int j = 1; j < KP_SEG_GROUPS; j++) {
          if (R == KP_REDUCE_MAX) {
            const float u = sv[j][tx];
            const int32_t ua = sa[j][tx];
            if (ua >= 0 && (ta < 0 || u > t || (u == t && ua < ta))) {
              t = u;
              ta = ua;
            }
          } else {
            t += sv[j][tx];
          }
        }
        float out = t;
        if (R == KP_REDUCE_MEAN && e > s) out = t / (float)(e - s);
        if (R == KP_REDUCE_MAX) {
          if (ta < 0) out = 0.0f;
          if (arg) arg[g * F + f] = ta;
        }
        y[g * F + f] = accumulate ? y[g * F + f] + out : out;
      }
      __syncthreads();
    }
  }
}

}  // namespace

/* Launches kp_seg_reduce_kernel for reduction r over G segments of F features. */
static inline kp_status kp_seg_reduce(float *y, int32_t *arg, const float *x, const int32_t *ptr, const int32_t *perm,
                                      int64_t G, int64_t F, int64_t npos, kp_reduce r, bool accumulate) {
  if (G <= 0 || F <= 0) return KP_OK;
  const unsigned blocks = (unsigned)(G < 65535LL * 4 ? G : 65535LL * 4);
  switch (r) {
    case KP_REDUCE_SUM:
      kp_seg_reduce_kernel<KP_REDUCE_SUM><<<blocks, KP_SEG_THREADS>>>(y, arg, x, ptr, perm, G, F, npos, accumulate);
      break;
    case KP_REDUCE_MEAN:
      kp_seg_reduce_kernel<KP_REDUCE_MEAN><<<blocks, KP_SEG_THREADS>>>(y, arg, x, ptr, perm, G, F, npos, accumulate);
      break;
    case KP_REDUCE_MAX:
      kp_seg_reduce_kernel<KP_REDUCE_MAX><<<blocks, KP_SEG_THREADS>>>(y, arg, x, ptr, perm, G, F, npos, accumulate);
      break;
  }
  KP_CUDA_LAUNCH_CHECK("segment reduce");
  return KP_OK;
}

#endif
