/* CUDA bias add (with a deterministic column-sum backward), residual add, axpy and scale.
 * Products and sums are rounded separately (no fused multiply-add), as on the CPU. */
#include "common.cuh"

#define KP_GRID_LOOP(i, n) \
  for (int64_t i = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; i < (n); i += (int64_t)blockDim.x * gridDim.x)

__global__ void bias_add_k(float *y, const float *x, const float *b, int64_t n, int64_t C) {
  KP_GRID_LOOP(i, n) y[i] = x[i] + b[i % C];
}

extern "C" kp_status kp_cuda_bias_add_fwd(kp_tensor *y, const kp_tensor *x, const kp_tensor *b) {
  int64_t n = kp_tensor_numel(x), C = kp_tensor_cols(x);
  if (n == 0) return KP_OK;
  KP_CUDA_SET_DEVICE(x);
  bias_add_k<<<kp_cuda_blocks(n, 256), 256>>>((float *)y->data, (const float *)x->data, (const float *)b->data, n, C);
  KP_CUDA_LAUNCH_CHECK("bias_add_fwd");
  return KP_OK;
}

/* Column sums in two deterministic stages. Stage 1: block (bx, by) of 32 x 8 threads sums
 * columns [32 bx, 32 bx + 32) over the row tile by: thread (tx, ty) walks rows ty, ty + 8, ...
 * of the tile, then the 8 partials of a column are added in ty order into part[by, col].
 * Stage 2: each column adds its tile partials in tile order. The layout depends only on
 * the shape, so the result is the same on every run. */
#define KP_COL_TILE 32
#define KP_ROW_THREADS 8

__global__ void colsum_partial_k(const float *g, int64_t R, int64_t C, int64_t rows_per_tile, float *part) {
  __shared__ float sh[KP_ROW_THREADS][KP_COL_TILE + 1];
  int64_t j = (int64_t)blockIdx.x * KP_COL_TILE + threadIdx.x;
  int64_t r0 = (int64_t)blockIdx.y * rows_per_tile, r1 = min(R, r0 + rows_per_tile);
  float acc = 0.0f;
  if (j < C)
    for (int64_t r = r0 + threadIdx.y; r < r1; r += KP_ROW_THREADS) acc += g[r * C + j];
  sh[threadIdx.y][threadIdx.x] = acc;
  __syncthreads();
  if (threadIdx.y == 0 && j < C) {
    float s = 0.0f;
    for (int k = 0; k < KP_ROW_THREADS; k++) s += sh[k][threadIdx.x];
    part[(int64_t)blockIdx.y * C + j] = s;
  }
}

__global__ void colsum_final_k(const float *part, int64_t tiles, int64_t C, float *db) {
  KP_GRID_LOOP(j, C) {
    float s = 0.0f;
    for (int64_t t = 0; t < tiles; t++) s += part[t * C + j];
    db[j] += s;
  }
}

__global__ void axpy_k(float *y, float alpha, const float *x, int64_t n) {
  KP_GRID_LOOP(i, n) y[i] = __fadd_rn(y[i], __fmul_rn(alpha, x[i]));
}

extern "C" kp_status kp_cuda_bias_add_bwd(kp_tensor *dx, kp_tensor *db, const kp_tensor *dy) {
  int64_t n = kp_tensor_numel(dy), R = kp_tensor_rows(dy), C = kp_tensor_cols(dy);
  if (n == 0) return KP_OK;
  KP_CUDA_SET_DEVICE(dy);
  if (dx) {
    axpy_k<<<kp_cuda_blocks(n, 256), 256>>>((float *)dx->data, 1.0f, (const float *)dy->data, n);
    KP_CUDA_LAUNCH_CHECK("bias_add_bwd");
  }
  if (!db) return KP_OK;
  /* at least 256 rows per tile, at most 256 tiles */
  int64_t tiles = (R + 255) / 256;
  if (tiles > 256) tiles = 256;
  int64_t rows_per_tile = (R + tiles - 1) / tiles;
  float *part = NULL;
  KP_TRY(kp_pool_alloc(dy->device, (size_t)(tiles * C) * sizeof(float), (void **)&part));
  dim3 grid((unsigned)((C + KP_COL_TILE - 1) / KP_COL_TILE), (unsigned)tiles), block(KP_COL_TILE, KP_ROW_THREADS);
  colsum_partial_k<<<grid, block>>>((const float *)dy->data, R, C, rows_per_tile, part);
  colsum_final_k<<<kp_cuda_blocks(C, 256), 256>>>(part, tiles, C, (float *)db->data);
  cudaError_t e = cudaGetLastError();
  kp_pool_free(dy->device, part); /* later users of the block queue behind these kernels on the same stream */
  if (e != cudaSuccess) return kp_fail(KP_ERR_DEVICE, "bias_add_bwd: kernel launch failed: %s", cudaGetErrorString(e));
  return KP_OK;
}

__global__ void add_k(float *y, const float *a, const float *b, int64_t n) {
  KP_GRID_LOOP(i, n) y[i] = a[i] + b[i];
}

extern "C" kp_status kp_cuda_add_fwd(kp_tensor *y, const kp_tensor *a, const kp_tensor *b) {
  int64_t n = kp_tensor_numel(a);
  if (n == 0) return KP_OK;
  KP_CUDA_SET_DEVICE(a);
  add_k<<<kp_cuda_blocks(n, 256), 256>>>((float *)y->data, (const float *)a->data, (const float *)b->data, n);
  KP_CUDA_LAUNCH_CHECK("add_fwd");
  return KP_OK;
}

extern "C" kp_status kp_cuda_axpy(kp_tensor *y, float alpha, const kp_tensor *x) {
  int64_t n = kp_tensor_numel(x);
  if (n == 0) return KP_OK;
  KP_CUDA_SET_DEVICE(x);
  axpy_k<<<kp_cuda_blocks(n, 256), 256>>>((float *)y->data, alpha, (const float *)x->data, n);
  KP_CUDA_LAUNCH_CHECK("axpy");
  return KP_OK;
}

__global__ void scale_k(float *x, float alpha, int64_t n) {
  KP_GRID_LOOP(i, n) x[i] *= alpha;
}

extern "C" kp_status kp_cuda_scale(kp_tensor *x, float alpha) {
  int64_t n = kp_tensor_numel(x);
  if (n == 0) return KP_OK;
  KP_CUDA_SET_DEVICE(x);
  scale_k<<<kp_cuda_blocks(n, 256), 256>>>((float *)x->data, alpha, n);
  KP_CUDA_LAUNCH_CHECK("scale");
  return KP_OK;
}
