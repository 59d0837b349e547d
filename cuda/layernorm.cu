/* CUDA layer normalisation (PyTorch semantics, as src/cpu/layernorm.c): one block per row for
 * the forward and for dx; dgamma / dbeta are column sums done in two deterministic stages
 * (per-tile partials in pooled scratch, then a fixed-order sum per column), no atomics. */
#include <math.h>
#include "common.cuh"
#include "warp.cuh"

/* Block sum in double (blockDim.x a multiple of 32); every thread gets the result. */
__device__ __forceinline__ double block_sum_d(double v, double *shared) {
  int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, nwarps = blockDim.x >> 5;
  v = kp_warp_sum_d(v);
  __syncthreads();
  if (lane == 0) shared[warp] = v;
  __syncthreads();
  v = lane < nwarps ? shared[lane] : 0.0;
  return kp_warp_sum_d(v);
}

/* Threads per row block: C rounded up to a warp multiple, between 32 and 256. */
static int row_threads(int64_t C) {
  int64_t t = (C + 31) / 32 * 32;
  return (int)(t < 32 ? 32 : (t > 256 ? 256 : t));
}

static unsigned row_blocks(int64_t rows) { return (unsigned)(rows < (1 << 20) ? rows : (1 << 20)); }

/* Statistics in double with two passes, as on the CPU; y may alias x (the statistics are
 * complete, behind a barrier, before any element of the row is written). */
__global__ void ln_fwd_k(float *y, float *mean, float *rstd, const float *x, const float *gamma, const float *beta,
                         int64_t R, int64_t C, float eps) {
  __shared__ double sh[32];
  for (int64_t r = blockIdx.x; r < R; r += gridDim.x) {
    const float *xr = x + r * C;
    float *yr = y + r * C;
    double s = 0.0;
    for (int64_t j = threadIdx.x; j < C; j += blockDim.x) s += xr[j];
    double mu = block_sum_d(s, sh) / (double)C;
    double v = 0.0;
    for (int64_t j = threadIdx.x; j < C; j += blockDim.x) {
      double d = xr[j] - mu;
      v += d * d;
    }
    v = block_sum_d(v, sh);
    float m = (float)mu, rs = (float)(1.0 / sqrt(v / (double)C + (double)eps));
    for (int64_t j = threadIdx.x; j < C; j += blockDim.x)
      yr[j] = __fadd_rn(__fmul_rn(__fmul_rn(__fsub_rn(xr[j], m), rs), gamma[j]), beta[j]);
    if (threadIdx.x == 0) {
      if (mean) mean[r] = m;
      if (rstd) rstd[r] = rs;
    }
  }
}

extern "C" kp_status kp_cuda_layernorm_fwd(kp_tensor *y, kp_tensor *mean, kp_tensor *rstd, const kp_tensor *x,
                                           const kp_tensor *gamma, const kp_tensor *beta, float eps) {
  int64_t R = kp_tensor_rows(x), C = kp_tensor_cols(x);
  if (R == 0 || C == 0) return KP_OK;
  KP_CUDA_SET_DEVICE(x);
  ln_fwd_k<<<row_blocks(R), row_threads(C)>>>((float *)y->data, mean ? (float *)mean->data : NULL,
                                              rstd ? (float *)rstd->data : NULL, (const float *)x->data,
                                              (const float *)gamma->data, (const float *)beta->data, R, C, eps);
  KP_CUDA_LAUNCH_CHECK("layernorm_fwd");
  return KP_OK;
}

/* dx += rstd (g - mean(g) - xhat mean(g xhat)) with g = dy gamma and xhat = (x - mean) rstd. */
__global__ void ln_bwd_dx_k(float *dx, const float *dy, const float *x, const float *mean, const float *rstd,
                            const float *gamma, int64_t R, int64_t C) {
  __shared__ float sh[32];
  for (int64_t r = blockIdx.x; r < R; r += gridDim.x) {
    const float *xr = x + r * C, *gr = dy + r * C;
    float *dr = dx + r * C;
    float m = mean[r], rs = rstd[r], sg = 0.0f, sgx = 0.0f;
    for (int64_t j = threadIdx.x; j < C; j += blockDim.x) {
      float gj = gr[j] * gamma[j];
      sg += gj;
      sgx += gj * (xr[j] - m) * rs;
    }
    sg = kp_block_sum(sg, sh);
    sgx = kp_block_sum(sgx, sh);
    float mg = sg / (float)C, mgx = sgx / (float)C;
    for (int64_t j = threadIdx.x; j < C; j += blockDim.x)
      dr[j] += rs * (gr[j] * gamma[j] - mg - (xr[j] - m) * rs * mgx);
  }
}

#define KP_COL_TILE 32
#define KP_ROW_THREADS 8

/* Stage 1: block (bx, by) of 32 x 8 threads sums dy xhat and dy over the rows of tile by for
 * columns [32 bx, 32 bx + 32); the 8 row-thread partials are added in order. Writes
 * part_g[by, col] and part_b[by, col]. */
__global__ void ln_cols_partial_k(const float *dy, const float *x, const float *mean, const float *rstd, int64_t R,
                                  int64_t C, int64_t rows_per_tile, float *part_g, float *part_b) {
  __shared__ float shg[KP_ROW_THREADS][KP_COL_TILE + 1], shb[KP_ROW_THREADS][KP_COL_TILE + 1];
  int64_t j = (int64_t)blockIdx.x * KP_COL_TILE + threadIdx.x;
  int64_t r0 = (int64_t)blockIdx.y * rows_per_tile, r1 = min(R, r0 + rows_per_tile);
  float ag = 0.0f, ab = 0.0f;
  if (j < C)
    for (int64_t r = r0 + threadIdx.y; r < r1; r += KP_ROW_THREADS) {
      float g = dy[r * C + j];
      ag += g * (x[r * C + j] - mean[r]) * rstd[r];
      ab += g;
    }
  shg[threadIdx.y][threadIdx.x] = ag;
  shb[threadIdx.y][threadIdx.x] = ab;
  __syncthreads();
  if (threadIdx.y == 0 && j < C) {
    float sg = 0.0f, sb = 0.0f;
    for (int k = 0; k < KP_ROW_THREADS; k++) {
      sg += shg[k][threadIdx.x];
      sb += shb[k][threadIdx.x];
    }
    part_g[(int64_t)blockIdx.y * C + j] = sg;
    part_b[(int64_t)blockIdx.y * C + j] = sb;
  }
}

/* Stage 2: dgamma[j] += sum over tiles of part_g[t, j] in tile order; dbeta likewise. */
__global__ void ln_cols_final_k(const float *part_g, const float *part_b, int64_t tiles, int64_t C, float *dgamma,
                                float *dbeta) {
  for (int64_t j = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; j < C; j += (int64_t)blockDim.x * gridDim.x) {
    float sg = 0.0f, sb = 0.0f;
    for (int64_t t = 0; t < tiles; t++) {
      sg += part_g[t * C + j];
      sb += part_b[t * C + j];
    }
    if (dgamma) dgamma[j] += sg;
    if (dbeta) dbeta[j] += sb;
  }
}

extern "C" kp_status kp_cuda_layernorm_bwd(kp_tensor *dx, kp_tensor *dgamma, kp_tensor *dbeta, const kp_tensor *dy,
                                           const kp_tensor *x, const kp_tensor *mean, const kp_tensor *rstd,
                                           const kp_tensor *gamma) {
  int64_t R = kp_tensor_rows(x), C = kp_tensor_cols(x);
  if (R == 0 || C == 0) return KP_OK;
  KP_CUDA_SET_DEVICE(x);
  const float *pdy = (const float *)dy->data, *px = (const float *)x->data, *pm = (const float *)mean->data,
              *prs = (const float *)rstd->data;
  if (dx) {
    ln_bwd_dx_k<<<row_blocks(R), row_threads(C)>>>((float *)dx->data, pdy, px, pm, prs, (const float *)gamma->data, R,
                                                   C);
    KP_CUDA_LAUNCH_CHECK("layernorm_bwd");
  }
  if (!dgamma && !dbeta) return KP_OK;
  int64_t tiles = (R + 255) / 256; /* at least 256 rows per tile, at most 256 tiles */
  if (tiles > 256) tiles = 256;
  int64_t rows_per_tile = (R + tiles - 1) / tiles;
  float *part = NULL;
  KP_TRY(kp_pool_alloc(x->device, (size_t)(2 * tiles * C) * sizeof(float), (void **)&part));
  dim3 grid((unsigned)((C + KP_COL_TILE - 1) / KP_COL_TILE), (unsigned)tiles), block(KP_COL_TILE, KP_ROW_THREADS);
  ln_cols_partial_k<<<grid, block>>>(pdy, px, pm, prs, R, C, rows_per_tile, part, part + tiles * C);
  ln_cols_final_k<<<kp_cuda_blocks(C, 256), 256>>>(part, part + tiles * C, tiles, C,
                                                   dgamma ? (float *)dgamma->data : NULL,
                                                   dbeta ? (float *)dbeta->data : NULL);
  cudaError_t e = cudaGetLastError();
  kp_pool_free(x->device, part); /* later users of the block queue behind these kernels on the same stream */
  if (e != cudaSuccess) return kp_fail(KP_ERR_DEVICE, "layernorm_bwd: kernel launch failed: %s", cudaGetErrorString(e));
  return KP_OK;
}
