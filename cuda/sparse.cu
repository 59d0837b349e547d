/* CUDA sparse graph ops on a CSR whose rows are destination nodes (see include/kprca/sparse.h).
 * SpMM with one head goes to cuSPARSE (CSR_ALG2, row-major dense matrices; A not transposed,
 * which cuSPARSE documents as deterministic), with the descriptors, a ones vector for
 * unweighted graphs and the external buffer cached in g->backend_cache. Everything else is a
 * warp-per-row (or per-column, or per-edge) kernel with a fixed summation order: backward
 * passes walk the transpose arrays (t_indptr, t_rows, t_edge), so every output row is owned
 * by one warp and no float atomics are needed. */
#include <string.h>
#include "warp.cuh"
#include "scratch.cuh"
#include "sparse_handle.cuh"

/* ------------------------------------------------------------------------------------------ */
/* Kernels                                                                                    */
/* ------------------------------------------------------------------------------------------ */

#define KP_SP_THREADS 256 /* 8 warps per block */

__device__ __forceinline__ int64_t kp_warp_id() { return (blockIdx.x * (int64_t)blockDim.x + threadIdx.x) >> 5; }
__device__ __forceinline__ int64_t kp_warp_count() { return ((int64_t)gridDim.x * blockDim.x) >> 5; }

/* y[i, f] (+)= reduce_{p in row i} w[p, h(f)] * x[indices[p], f]; one warp per row, lanes over features. */
__global__ void k_spmm_rows(float *__restrict__ y, const int32_t *__restrict__ indptr,
                            const int32_t *__restrict__ indices, const float *__restrict__ w, int64_t H,
                            const float *__restrict__ x, int64_t nrows, int64_t F, int64_t D, bool mean,
                            bool accumulate) {
  const int lane = threadIdx.x & 31;
  for (int64_t i = kp_warp_id(); i < nrows; i += kp_warp_count()) {
    const int64_t s = indptr[i], e = indptr[i + 1];
    for (int64_t f = lane; f < F; f += 32) {
      const int64_t h = f / D;
      float acc = 0.0f;
      for (int64_t p = s; p < e; p++) acc += (w ? w[p * H + h] : 1.0f) * x[(int64_t)indices[p] * F + f];
      if (mean && e > s) acc /= (float)(e - s);
      y[i * F + f] = accumulate ? y[i * F + f] + acc : acc;
    }
  }
}

/* dx[j, f] += sum over the edges p of column j of w[edge, h(f)] (/ deg(row) for MEAN) * dy[row, f]: A^T dy,
 * one warp per column through the transpose arrays (edges of a column in row order). */
__global__ void k_spmm_cols(float *__restrict__ dx, const int32_t *__restrict__ t_indptr,
                            const int32_t *__restrict__ t_rows, const int32_t *__restrict__ t_edge,
                            const int32_t *__restrict__ indptr, const float *__restrict__ w, int64_t H,
                            const float *__restrict__ dy, int64_t ncols, int64_t F, int64_t D, bool mean) {
  const int lane = threadIdx.x & 31;
  for (int64_t j = kp_warp_id(); j < ncols; j += kp_warp_count()) {
    const int64_t s = t_indptr[j], e = t_indptr[j + 1];
    if (e == s) continue;
    for (int64_t f = lane; f < F; f += 32) {
      const int64_t h = f / D;
      float acc = 0.0f;
      for (int64_t p = s; p < e; p++) {
        const int64_t i = t_rows[p];
        float c = w ? w[(int64_t)t_edge[p] * H + h] : 1.0f;
        if (mean) c /= (float)(indptr[i + 1] - indptr[i]);
        acc += c * dy[i * F + f];
      }
      dx[j * F + f] += acc;
    }
  }
}

/* out[e, h] (+)= <A[rows[e], h, :], B[indices[e], h, :]> (/ deg(row) for MEAN): one warp per edge. Heads of
 * D <= 16 features (D a power of two) share a warp, 32 / D heads at a time; wider heads loop over lanes. */
__global__ void k_edge_dot(float *__restrict__ out, const int32_t *__restrict__ rows,
                           const int32_t *__restrict__ indices, const int32_t *__restrict__ indptr,
                           const float *__restrict__ A, const float *__restrict__ B, int64_t nnz, int64_t H,
                           int64_t D, bool mean, bool accumulate) {
  const int lane = threadIdx.x & 31;
  const int64_t F = H * D;
  const bool packed = D > 0 && D <= 16 && (D & (D - 1)) == 0;
  for (int64_t e = kp_warp_id(); e < nnz; e += kp_warp_count()) {
    const int64_t i = rows[e], j = indices[e];
    const float deg = mean ? (float)(indptr[i + 1] - indptr[i]) : 1.0f;
    const float *a = A + i * F, *b = B + j * F;
    if (packed) {
      const int64_t per = 32 / D;
      for (int64_t h0 = 0; h0 < H; h0 += per) {
        const int64_t h = h0 + lane / D, d = lane % D;
        float part = h < H ? a[h * D + d] * b[h * D + d] : 0.0f;
        for (int o = (int)D / 2; o > 0; o >>= 1) part += __shfl_xor_sync(0xffffffffu, part, o);
        if (d == 0 && h < H) {
          const float v = mean ? part / deg : part;
          out[e * H + h] = accumulate ? out[e * H + h] + v : v;
        }
      }
    } else {
      for (int64_t h = 0; h < H; h++) {
        float part = 0.0f;
        for (int64_t d = lane; d < D; d += 32) part += a[h * D + d] * b[h * D + d];
        part = kp_warp_sum(part);
        if (lane == 0) {
          const float v = mean ? part / deg : part;
          out[e * H + h] = accumulate ? out[e * H + h] + v : v;
        }
      }
    }
  }
}

/* out[p, h] = softmax over the edges p of row i of scores[p, h] (max-shifted); one warp per row. out may alias
 * scores (as on the CPU): each element is read before the lane that owns it overwrites it. */
__global__ void k_edge_softmax_fwd(float *out, const float *sc,
                                   const int32_t *__restrict__ indptr, int64_t nrows, int64_t H) {
  const int lane = threadIdx.x & 31;
  for (int64_t i = kp_warp_id(); i < nrows; i += kp_warp_count()) {
    const int64_t s = indptr[i], e = indptr[i + 1];
    if (e == s) continue;
    for (int64_t h = 0; h < H; h++) {
      float m = -INFINITY;
      for (int64_t p = s + lane; p < e; p += 32) m = fmaxf(m, sc[p * H + h]);
      m = kp_warp_max(m);
      float z = 0.0f;
      for (int64_t p = s + lane; p < e; p += 32) z += expf(sc[p * H + h] - m);
      z = kp_warp_sum(z);
      for (int64_t p = s + lane; p < e; p += 32) out[p * H + h] = expf(sc[p * H + h] - m) / z;
    }
  }
}

/* ds[p, h] += out[p, h] * (dout[p, h] - sum_{p' in row} dout[p', h] out[p', h]); one warp per row. */
__global__ void k_edge_softmax_bwd(float *__restrict__ ds, const float *__restrict__ dout,
                                   const float *__restrict__ out, const int32_t *__restrict__ indptr, int64_t nrows,
                                   int64_t H) {
  const int lane = threadIdx.x & 31;
  for (int64_t i = kp_warp_id(); i < nrows; i += kp_warp_count()) {
    const int64_t s = indptr[i], e = indptr[i + 1];
    if (e == s) continue;
    for (int64_t h = 0; h < H; h++) {
      float dot = 0.0f;
      for (int64_t p = s + lane; p < e; p += 32) dot += dout[p * H + h] * out[p * H + h];
      dot = kp_warp_sum(dot);
      for (int64_t p = s + lane; p < e; p += 32) ds[p * H + h] += out[p * H + h] * (dout[p * H + h] - dot);
    }
  }
}

/* y[i, :] /= deg(i) for rows with edges (MEAN after a cuSPARSE sum). */
__global__ void k_rows_div_deg(float *__restrict__ y, const int32_t *__restrict__ indptr, int64_t n, int64_t F) {
  for (int64_t t = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; t < n; t += (int64_t)gridDim.x * blockDim.x) {
    const int64_t i = t / F;
    const int32_t deg = indptr[i + 1] - indptr[i];
    if (deg > 0) y[t] /= (float)deg;
  }
}

__global__ void k_fill_ones(float *__restrict__ v, int64_t n) {
  for (int64_t t = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; t < n; t += (int64_t)gridDim.x * blockDim.x)
    v[t] = 1.0f;
}

static unsigned warp_blocks(int64_t nwarps) { return kp_cuda_blocks(nwarps * 32, KP_SP_THREADS); }

/* ------------------------------------------------------------------------------------------ */
/* The cuSPARSE cache of a graph                                                              */
/* ------------------------------------------------------------------------------------------ */

#define KP_SPMM_SLOTS 4 /* dense descriptor pairs kept per graph, one per feature width F */

struct SpmmDense {
  int64_t F;
  cusparseDnMatDescr_t x, y;
};

struct KpCsrCache {
  int dev;
  cusparseSpMatDescr_t A; /* nrows x ncols, values swapped in per call (w or ones) */
  float *ones;            /* [nnz] of 1.0f for unweighted graphs */
  void *buf;              /* SpMM external buffer, grown to the largest size asked for */
  size_t buf_cap;
  SpmmDense dense[KP_SPMM_SLOTS];
  int next_slot;
  bool no_cusparse; /* cuSPARSE said NOT_SUPPORTED once: the warp kernel serves this graph */
};

static void dense_destroy(SpmmDense *d) {
  if (d->x) cusparseDestroyDnMat(d->x);
  if (d->y) cusparseDestroyDnMat(d->y);
  d->x = d->y = NULL;
  d->F = 0;
}

extern "C" void kp_cuda_csr_release(kp_csr *g) {
  KpCsrCache *c = (KpCsrCache *)g->backend_cache;
  if (!c) return;
  cudaSetDevice(c->dev);
  for (int s = 0; s < KP_SPMM_SLOTS; s++) dense_destroy(&c->dense[s]);
  if (c->A) cusparseDestroySpMat(c->A);
  kp_device d = kp_cuda(c->dev);
  kp_pool_free(d, c->ones);
  kp_pool_free(d, c->buf);
  kp_pool_free(kp_cpu(), c);
  g->backend_cache = NULL;
}

/* Fills a fresh cache: the ones vector and the CSR descriptor. */
static kp_status cache_init(KpCsrCache *c, const kp_csr *g) {
  kp_device d = g->device;
  KP_TRY(kp_pool_alloc(d, (size_t)g->nnz * sizeof(float), (void **)&c->ones));
  k_fill_ones<<<kp_cuda_blocks(g->nnz, 256), 256>>>(c->ones, g->nnz);
  KP_CUDA_LAUNCH_CHECK("spmm ones");
  KP_CUSPARSE_TRY(cusparseCreateCsr(&c->A, g->nrows, g->ncols, g->nnz, g->indptr.data, g->indices.data, c->ones,
                                    CUSPARSE_INDEX_32I, CUSPARSE_INDEX_32I, CUSPARSE_INDEX_BASE_ZERO, CUDA_R_32F));
  return KP_OK;
}

/* The graph's cache, created on first use (a failed creation leaves no cache behind). */
static kp_status csr_cache(const kp_csr *gc, KpCsrCache **out) {
  kp_csr *g = (kp_csr *)gc; /* the cache is backend state, not part of the graph's value */
  if (!g->backend_cache) {
    void *mem = NULL;
    KP_TRY(kp_pool_alloc(kp_cpu(), sizeof(KpCsrCache), &mem));
    memset(mem, 0, sizeof(KpCsrCache));
    KpCsrCache *c = (KpCsrCache *)mem;
    c->dev = g->device.index;
    g->backend_cache = c;
    kp_status s = cache_init(c, g);
    if (s != KP_OK) {
      kp_cuda_csr_release(g);
      return s;
    }
  }
  *out = (KpCsrCache *)g->backend_cache;
  return KP_OK;
}

/* Makes slot d's descriptors for width F (pointed at x and y) and grows the shared buffer to fit. */
static kp_status dense_make(KpCsrCache *c, const kp_csr *g, int64_t F, float *x, float *y, cusparseHandle_t h,
                            SpmmDense *d) {
  KP_CUSPARSE_TRY(cusparseCreateDnMat(&d->x, g->ncols, F, F, x, CUDA_R_32F, CUSPARSE_ORDER_ROW));
  KP_CUSPARSE_TRY(cusparseCreateDnMat(&d->y, g->nrows, F, F, y, CUDA_R_32F, CUSPARSE_ORDER_ROW));
  const float alpha = 1.0f, beta = 0.0f;
  size_t need = 0;
  KP_CUSPARSE_TRY(cusparseSpMM_bufferSize(h, CUSPARSE_OPERATION_NON_TRANSPOSE, CUSPARSE_OPERATION_NON_TRANSPOSE,
                                          &alpha, c->A, d->x, &beta, d->y, CUDA_R_32F, CUSPARSE_SPMM_CSR_ALG2,
                                          &need));
  if (need > c->buf_cap || !c->buf) {
    kp_pool_free(kp_cuda(c->dev), c->buf);
    c->buf = NULL;
    c->buf_cap = 0;
    KP_TRY(kp_pool_alloc(kp_cuda(c->dev), need, &c->buf));
    c->buf_cap = need;
  }
  d->F = F; /* only a complete slot is ever found again */
  return KP_OK;
}

/* The dense descriptors for width F (made on a miss, evicting round-robin), pointed at x and y. */
static kp_status dense_for(KpCsrCache *c, const kp_csr *g, int64_t F, float *x, float *y, cusparseHandle_t h,
                           SpmmDense **out) {
  for (int s = 0; s < KP_SPMM_SLOTS; s++) {
    SpmmDense *d = &c->dense[s];
    if (d->F == F && d->x && d->y) {
      KP_CUSPARSE_TRY(cusparseDnMatSetValues(d->x, x));
      KP_CUSPARSE_TRY(cusparseDnMatSetValues(d->y, y));
      *out = d;
      return KP_OK;
    }
  }
  SpmmDense *d = &c->dense[c->next_slot];
  c->next_slot = (c->next_slot + 1) % KP_SPMM_SLOTS;
  dense_destroy(d);
  kp_status s = dense_make(c, g, F, x, y, h, d);
  if (s != KP_OK) {
    dense_destroy(d);
    return s;
  }
  *out = d;
  return KP_OK;
}

/* y = A x through cuSPARSE (one head); KP_ERR_UNSUPPORTED when cuSPARSE declines the problem. */
static kp_status spmm_cusparse(float *y, const kp_csr *g, const float *w, const float *x, int64_t F) {
  KpCsrCache *c = NULL;
  KP_TRY(csr_cache(g, &c));
  if (c->no_cusparse) return KP_ERR_UNSUPPORTED;
  cusparseHandle_t h;
  KP_TRY(kp_cusparse_handle(g->device.index, &h));
  KP_CUSPARSE_TRY(cusparseSpMatSetValues(c->A, w ? (void *)w : (void *)c->ones));
  SpmmDense *d = NULL;
  KP_TRY(dense_for(c, g, F, (float *)x, y, h, &d));
  const float alpha = 1.0f, beta = 0.0f;
  KP_CUSPARSE_TRY(cusparseSpMM(h, CUSPARSE_OPERATION_NON_TRANSPOSE, CUSPARSE_OPERATION_NON_TRANSPOSE, &alpha, c->A,
                               d->x, &beta, d->y, CUDA_R_32F, CUSPARSE_SPMM_CSR_ALG2, c->buf));
  return KP_OK;
}

/* ------------------------------------------------------------------------------------------ */
/* Ops                                                                                        */
/* ------------------------------------------------------------------------------------------ */

static int64_t edge_heads(const kp_tensor *t) { return t && t->ndim == 2 ? t->shape[1] : 1; }

#define CI(t) ((const int32_t *)(t).data)
#define CF(t) ((const float *)(t)->data)

extern "C" kp_status kp_cuda_spmm_fwd(kp_tensor *y, const kp_csr *g, const kp_tensor *w, const kp_tensor *x,
                                      kp_reduce r) {
  const int64_t H = edge_heads(w), F = x->shape[1], D = H ? F / H : 0;
  if (g->nrows == 0 || F == 0) return KP_OK;
  KP_CUDA_TRY(cudaSetDevice(g->device.index));
  const bool mean = r == KP_REDUCE_MEAN;
  if (g->nnz == 0) { /* every row is empty */
    KP_CUDA_TRY(cudaMemsetAsync(y->data, 0, (size_t)(g->nrows * F) * sizeof(float), 0));
    return KP_OK;
  }
  if (H == 1) {
    kp_status s = spmm_cusparse((float *)y->data, g, w ? CF(w) : NULL, CF(x), F);
    if (s == KP_OK) {
      if (mean) {
        k_rows_div_deg<<<kp_cuda_blocks(g->nrows * F, 256), 256>>>((float *)y->data, CI(g->indptr), g->nrows * F, F);
        KP_CUDA_LAUNCH_CHECK("spmm_fwd mean");
      }
      return KP_OK;
    }
    if (s != KP_ERR_UNSUPPORTED) return s;
    if (g->backend_cache) ((KpCsrCache *)g->backend_cache)->no_cusparse = true; /* use the warp kernel */
    kp_clear_error();
  }
  k_spmm_rows<<<warp_blocks(g->nrows), KP_SP_THREADS>>>((float *)y->data, CI(g->indptr), CI(g->indices),
                                                        w ? CF(w) : NULL, H, CF(x), g->nrows, F, D, mean, false);
  KP_CUDA_LAUNCH_CHECK("spmm_fwd");
  return KP_OK;
}

extern "C" kp_status kp_cuda_spmm_bwd(kp_tensor *dx, kp_tensor *dw, const kp_tensor *dy, const kp_csr *g,
                                      const kp_tensor *w, const kp_tensor *x, kp_reduce r) {
  const int64_t H = edge_heads(w), F = x->shape[1], D = H ? F / H : 0;
  if (g->nnz == 0) return KP_OK; /* no edge, no gradient */
  KP_CUDA_TRY(cudaSetDevice(g->device.index));
  const bool mean = r == KP_REDUCE_MEAN;
  if (dx && F > 0) {
    k_spmm_cols<<<warp_blocks(g->ncols), KP_SP_THREADS>>>((float *)dx->data, CI(g->t_indptr), CI(g->t_rows),
                                                          CI(g->t_edge), CI(g->indptr), w ? CF(w) : NULL, H, CF(dy),
                                                          g->ncols, F, D, mean);
    KP_CUDA_LAUNCH_CHECK("spmm_bwd dx");
  }
  if (dw) {
    k_edge_dot<<<warp_blocks(g->nnz), KP_SP_THREADS>>>((float *)dw->data, CI(g->rows), CI(g->indices), CI(g->indptr),
                                                       CF(dy), CF(x), g->nnz, H, D, mean, true);
    KP_CUDA_LAUNCH_CHECK("spmm_bwd dw");
  }
  return KP_OK;
}

extern "C" kp_status kp_cuda_sddmm_fwd(kp_tensor *out, const kp_csr *g, const kp_tensor *a, const kp_tensor *b) {
  const int64_t H = edge_heads(out), F = a->shape[1], D = F / H;
  if (g->nnz == 0) return KP_OK;
  KP_CUDA_TRY(cudaSetDevice(g->device.index));
  k_edge_dot<<<warp_blocks(g->nnz), KP_SP_THREADS>>>((float *)out->data, CI(g->rows), CI(g->indices), CI(g->indptr),
                                                     CF(a), CF(b), g->nnz, H, D, false, false);
  KP_CUDA_LAUNCH_CHECK("sddmm_fwd");
  return KP_OK;
}

extern "C" kp_status kp_cuda_sddmm_bwd(kp_tensor *da, kp_tensor *db, const kp_tensor *dout, const kp_csr *g,
                                       const kp_tensor *a, const kp_tensor *b) {
  const int64_t H = edge_heads(dout), F = a->shape[1], D = F / H;
  if (g->nnz == 0 || F == 0) return KP_OK;
  KP_CUDA_TRY(cudaSetDevice(g->device.index));
  if (da) { /* da[i] += sum_{e in row i} dout[e] b[col(e)] */
    k_spmm_rows<<<warp_blocks(g->nrows), KP_SP_THREADS>>>((float *)da->data, CI(g->indptr), CI(g->indices), CF(dout),
                                                          H, CF(b), g->nrows, F, D, false, true);
    KP_CUDA_LAUNCH_CHECK("sddmm_bwd da");
  }
  if (db) { /* db[j] += sum_{e in column j} dout[e] a[row(e)] */
    k_spmm_cols<<<warp_blocks(g->ncols), KP_SP_THREADS>>>((float *)db->data, CI(g->t_indptr), CI(g->t_rows),
                                                          CI(g->t_edge), CI(g->indptr), CF(dout), H, CF(a), g->ncols,
                                                          F, D, false);
    KP_CUDA_LAUNCH_CHECK("sddmm_bwd db");
  }
  return KP_OK;
}

extern "C" kp_status kp_cuda_edge_softmax_fwd(kp_tensor *out, const kp_csr *g, const kp_tensor *scores) {
  if (g->nnz == 0) return KP_OK;
  KP_CUDA_TRY(cudaSetDevice(g->device.index));
  k_edge_softmax_fwd<<<warp_blocks(g->nrows), KP_SP_THREADS>>>((float *)out->data, CF(scores), CI(g->indptr),
                                                               g->nrows, edge_heads(scores));
  KP_CUDA_LAUNCH_CHECK("edge_softmax_fwd");
  return KP_OK;
}

extern "C" kp_status kp_cuda_edge_softmax_bwd(kp_tensor *dscores, const kp_tensor *dout, const kp_csr *g,
                                              const kp_tensor *out) {
  if (g->nnz == 0) return KP_OK;
  KP_CUDA_TRY(cudaSetDevice(g->device.index));
  k_edge_softmax_bwd<<<warp_blocks(g->nrows), KP_SP_THREADS>>>((float *)dscores->data, CF(dout), CF(out),
                                                               CI(g->indptr), g->nrows, edge_heads(out));
  KP_CUDA_LAUNCH_CHECK("edge_softmax_bwd");
  return KP_OK;
}
