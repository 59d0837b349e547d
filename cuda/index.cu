/* CUDA gather and scatter by row index. Sums over repeated indices never use float atomics:
 * the k's are grouped by index with a stable radix sort (cub) and each output row is then
 * reduced by one block in a fixed order (seg_reduce.cuh), so one seed gives the same bits on
 * every run. Out-of-range indices are a caller bug on the GPU (the CPU backend reports them);
 * here they are skipped (gather reads give 0), never read or written out of bounds. */
#include <cub/device/device_radix_sort.cuh>
#include "scratch.cuh"
#include "seg_reduce.cuh"

__global__ void k_gather_rows(float *__restrict__ y, const float *__restrict__ x, const int32_t *__restrict__ idx,
                              int64_t KF, int64_t F, int64_t N) {
  for (int64_t i = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; i < KF; i += (int64_t)gridDim.x * blockDim.x) {
    const int32_t n = idx[i / F];
    y[i] = (n >= 0 && n < N) ? x[(int64_t)n * F + i % F] : 0.0f;
  }
}

/* Sort keys (idx, with out-of-range values mapped to N so they sort last) and values (k). */
__global__ void k_index_keys(uint32_t *__restrict__ keys, int32_t *__restrict__ vals,
                             const int32_t *__restrict__ idx, int64_t K, int64_t N) {
  for (int64_t k = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; k < K; k += (int64_t)gridDim.x * blockDim.x) {
    const int32_t n = idx[k];
    keys[k] = (n >= 0 && n < N) ? (uint32_t)n : (uint32_t)N;
    vals[k] = (int32_t)k;
  }
}

/* ptr[n] = first sorted position whose key is >= n, for n in [0, N] (binary search). */
__global__ void k_lower_bounds(int32_t *__restrict__ ptr, const uint32_t *__restrict__ keys, int64_t K, int64_t N) {
  for (int64_t n = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; n <= N; n += (int64_t)gridDim.x * blockDim.x) {
    int64_t lo = 0, hi = K;
    while (lo < hi) {
      const int64_t mid = (lo + hi) >> 1;
      if (keys[mid] < (uint32_t)n) lo = mid + 1;
      else hi = mid;
    }
    ptr[n] = (int32_t)lo;
  }
}

/* Number of k with idx[k] = n (integer atomics: exact and order-independent). */
__global__ void k_index_counts(int32_t *__restrict__ cnt, const int32_t *__restrict__ idx, int64_t K, int64_t N) {
  for (int64_t k = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; k < K; k += (int64_t)gridDim.x * blockDim.x) {
    const int32_t n = idx[k];
    if (n >= 0 && n < N) atomicAdd(&cnt[n], 1);
  }
}

/* dsrc[k, f] += d(y[idx[k], f]) / d(src[k, f]) * dy[idx[k], f]. */
template <int R>
__global__ void k_scatter_bwd(float *__restrict__ dsrc, const float *__restrict__ dy, const int32_t *__restrict__ arg,
                              const int32_t *__restrict__ cnt, const int32_t *__restrict__ idx, int64_t KF, int64_t F,
                              int64_t N) {
  for (int64_t i = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; i < KF; i += (int64_t)gridDim.x * blockDim.x) {
    const int64_t k = i / F, f = i % F;
    const int32_t n = idx[k];
    if (n < 0 || n >= N) continue;
    const int64_t o = (int64_t)n * F + f;
    if (R == KP_REDUCE_SUM) dsrc[i] += dy[o];
    else if (R == KP_REDUCE_MEAN) dsrc[i] += dy[o] / (float)cnt[n];
    else if (arg[o] == (int32_t)k) dsrc[i] += dy[o];
  }
}

/* Groups the positions k of idx [K] by value (stable): perm[K] lists the k's sorted by idx[k] (ascending k
 * within one value) and ptr[N+1] gives each value's range in perm. Out-of-range k's are left out. */
static kp_status group_by_index(kp_device dev, const int32_t *idx, int64_t K, int64_t N, KpScratch &perm,
                                KpScratch &ptr) {
  if (K > INT32_MAX || N >= INT32_MAX)
    return kp_fail(KP_ERR_UNSUPPORTED, "index ops: %lld indices into %lld rows exceed the 32-bit range", (long long)K,
                   (long long)N);
  KpScratch keys_in(dev), vals_in(dev), keys_out(dev), tmp(dev);
  KP_TRY(keys_in.alloc<uint32_t>(K));
  KP_TRY(vals_in.alloc<int32_t>(K));
  KP_TRY(keys_out.alloc<uint32_t>(K));
  KP_TRY(perm.alloc<int32_t>(K));
  KP_TRY(ptr.alloc<int32_t>(N + 1));
  k_index_keys<<<kp_cuda_blocks(K, 256), 256>>>(keys_in.as<uint32_t>(), vals_in.as<int32_t>(), idx, K, N);
  KP_CUDA_LAUNCH_CHECK("index keys");
  int end_bit = 1; /* keys lie in [0, N]: sort only the bits that can differ */
  while (end_bit < 32 && (1LL << end_bit) <= N) end_bit++;
  size_t tbytes = 0;
  KP_CUDA_TRY(cub::DeviceRadixSort::SortPairs(nullptr, tbytes, keys_in.as<uint32_t>(), keys_out.as<uint32_t>(),
                                              vals_in.as<int32_t>(), perm.as<int32_t>(), (int)K, 0, end_bit,
                                              (cudaStream_t)0));
  KP_TRY(tmp.alloc<char>((int64_t)tbytes));
  KP_CUDA_TRY(cub::DeviceRadixSort::SortPairs(tmp.ptr, tbytes, keys_in.as<uint32_t>(), keys_out.as<uint32_t>(),
                                              vals_in.as<int32_t>(), perm.as<int32_t>(), (int)K, 0, end_bit,
                                              (cudaStream_t)0));
  k_lower_bounds<<<kp_cuda_blocks(N + 1, 256), 256>>>(ptr.as<int32_t>(), keys_out.as<uint32_t>(), K, N);
  KP_CUDA_LAUNCH_CHECK("index bounds");
  return KP_OK;
}

extern "C" kp_status kp_cuda_gather_fwd(kp_tensor *y, const kp_tensor *x, const kp_tensor *idx) {
  const int64_t K = idx->shape[0], F = x->shape[1], N = x->shape[0];
  if (K == 0 || F == 0) return KP_OK;
  KP_CUDA_SET_DEVICE(x);
  k_gather_rows<<<kp_cuda_blocks(K * F, 256), 256>>>((float *)y->data, (const float *)x->data,
                                                     (const int32_t *)idx->data, K * F, F, N);
  KP_CUDA_LAUNCH_CHECK("gather_fwd");
  return KP_OK;
}

extern "C" kp_status kp_cuda_gather_bwd(kp_tensor *dx, const kp_tensor *dy, const kp_tensor *idx) {
  const int64_t K = idx->shape[0], F = dx->shape[1], N = dx->shape[0];
  if (K == 0 || F == 0 || N == 0) return KP_OK;
  KP_CUDA_SET_DEVICE(dx);
  KpScratch perm(dx->device), ptr(dx->device);
  KP_TRY(group_by_index(dx->device, (const int32_t *)idx->data, K, N, perm, ptr));
  /* dx[n] += sum of dy[k] over the k's of n, in ascending k */
  return kp_seg_reduce((float *)dx->data, NULL, (const float *)dy->data, ptr.as<int32_t>(), perm.as<int32_t>(), N, F,
                       K, KP_REDUCE_SUM, true);
}

extern "C" kp_status kp_cuda_scatter_fwd(kp_tensor *y, kp_tensor *arg, const kp_tensor *src, const kp_tensor *idx,
                                         kp_reduce r) {
  const int64_t K = src->shape[0], F = src->shape[1], N = y->shape[0];
  if (N == 0 || F == 0) return KP_OK;
  KP_CUDA_SET_DEVICE(src);
  int32_t *argp = r == KP_REDUCE_MAX && arg ? (int32_t *)arg->data : NULL;
  if (K == 0) { /* every row is empty: 0, and arg -1 (all bits set) */
    KP_CUDA_TRY(cudaMemsetAsync(y->data, 0, (size_t)(N * F) * sizeof(float), 0));
    if (argp) KP_CUDA_TRY(cudaMemsetAsync(argp, 0xFF, (size_t)(N * F) * sizeof(int32_t), 0));
    return KP_OK;
  }
  KpScratch perm(src->device), ptr(src->device);
  KP_TRY(group_by_index(src->device, (const int32_t *)idx->data, K, N, perm, ptr));
  return kp_seg_reduce((float *)y->data, argp, (const float *)src->data, ptr.as<int32_t>(), perm.as<int32_t>(), N, F,
                       K, r, false);
}

extern "C" kp_status kp_cuda_scatter_bwd(kp_tensor *dsrc, const kp_tensor *dy, const kp_tensor *arg,
                                         const kp_tensor *idx, kp_reduce r) {
  const int64_t K = dsrc->shape[0], F = dsrc->shape[1], N = dy->shape[0];
  if (K == 0 || F == 0 || N == 0) return KP_OK;
  KP_CUDA_SET_DEVICE(dsrc);
  const int32_t *ix = (const int32_t *)idx->data;
  float *ds = (float *)dsrc->data;
  const float *g = (const float *)dy->data;
  const unsigned blocks = kp_cuda_blocks(K * F, 256);
  if (r == KP_REDUCE_SUM) {
    k_scatter_bwd<KP_REDUCE_SUM><<<blocks, 256>>>(ds, g, NULL, NULL, ix, K * F, F, N);
  } else if (r == KP_REDUCE_MEAN) {
    KpScratch cnt(dsrc->device);
    KP_TRY(cnt.alloc<int32_t>(N));
    KP_CUDA_TRY(cudaMemsetAsync(cnt.ptr, 0, (size_t)N * sizeof(int32_t), 0));
    k_index_counts<<<kp_cuda_blocks(K, 256), 256>>>(cnt.as<int32_t>(), ix, K, N);
    KP_CUDA_LAUNCH_CHECK("scatter_bwd counts");
    k_scatter_bwd<KP_REDUCE_MEAN><<<blocks, 256>>>(ds, g, NULL, cnt.as<int32_t>(), ix, K * F, F, N);
  } else {
    if (!arg) return kp_fail(KP_ERR_INVALID, "scatter_bwd: arg is required for max");
    k_scatter_bwd<KP_REDUCE_MAX><<<blocks, 256>>>(ds, g, (const int32_t *)arg->data, NULL, ix, K * F, F, N);
  }
  KP_CUDA_LAUNCH_CHECK("scatter_bwd");
  return KP_OK;
}
