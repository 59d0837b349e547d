/* Block-wide sums in double, in a fixed order (the same bits on every run). */
#ifndef KPRCA_CUDA_DREDUCE_CUH
#define KPRCA_CUDA_DREDUCE_CUH
#include "warp.cuh"

/* Sum of v over the block (blockDim.x a multiple of 32, at most 1024); the result is valid in
 * thread 0. `shared` must hold 32 doubles. Contains __syncthreads(): call from all threads. */
__device__ __forceinline__ double kp_block_sum_d(double v, double *shared) {
  int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, nwarps = blockDim.x >> 5;
  v = kp_warp_sum_d(v);
  __syncthreads();
  if (lane == 0) shared[warp] = v;
  __syncthreads();
  v = 0.0;
  if (warp == 0) {
    v = lane < nwarps ? shared[lane] : 0.0;
    v = kp_warp_sum_d(v);
  }
  return v;
}

/* One block sums n doubles of `part` (each thread strides, then kp_block_sum_d); result in thread 0. */
__device__ __forceinline__ double kp_block_sum_array_d(const double *part, int64_t n, double *shared) {
  double s = 0.0;
  for (int64_t i = threadIdx.x; i < n; i += blockDim.x) s += part[i];
  return kp_block_sum_d(s, shared);
}

#endif
