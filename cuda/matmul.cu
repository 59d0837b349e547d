/* CUDA matrix products. matmul / bmm: cuBLAS sgemm on row-major data through the usual swap
 * (row-major C = op(A) op(B) is column-major C^T = op(B)^T op(A)^T). linear_fwd: one cuBLASLt
 * matmul with the BIAS epilogue writing x @ w^T + b, then the activation in its own pass.
 * cuBLASLt's GELU epilogue is not used: it is the tanh approximation, and kprca's GELU is the
 * exact erf form. Precision: exact fp32 unless KPRCA_CUDA_TF32=1 (see blas.cuh). */
#include <limits.h>
#include "blas.cuh"

/* c = beta c over n elements, with beta == 0 writing zeros (as BLAS does): the K == 0 product. */
__global__ void scale_c_k(float *c, int64_t n, float beta) {
  for (int64_t i = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; i < n; i += (int64_t)blockDim.x * gridDim.x)
    c[i] = beta == 0.0f ? 0.0f : beta * c[i];
}

/* M, N, K of op(a) op(b) from the last two dimensions, checked against cuBLAS's int. */
static kp_status mm_dims(const char *op, const kp_tensor *a, const kp_tensor *b, bool ta, bool tb, int64_t *M,
                         int64_t *N, int64_t *K) {
  int o = a->ndim - 2;
  *M = ta ? a->shape[o + 1] : a->shape[o];
  *K = ta ? a->shape[o] : a->shape[o + 1];
  *N = tb ? b->shape[o] : b->shape[o + 1];
  if (*M > INT_MAX || *N > INT_MAX || *K > INT_MAX)
    return kp_fail(KP_ERR_INVALID, "%s: a dimension exceeds cuBLAS's int range (M=%lld N=%lld K=%lld)", op,
                   (long long)*M, (long long)*N, (long long)*K);
  return KP_OK;
}

/* Row-major c[i] = alpha op(a[i]) op(b[i]) + beta c[i] for i < batch, with M, N, K > 0. */
static kp_status gemm(kp_blas *bl, float *c, const float *a, const float *b, int64_t M, int64_t N, int64_t K, bool ta,
                      bool tb, float alpha, float beta, int64_t batch) {
  cublasOperation_t opa = ta ? CUBLAS_OP_T : CUBLAS_OP_N, opb = tb ? CUBLAS_OP_T : CUBLAS_OP_N;
  int m = (int)M, n = (int)N, k = (int)K;
  int lda = ta ? m : k, ldb = tb ? k : n;
  if (batch == 1) {
    KP_CUBLAS_TRY(cublasSgemm(bl->h, opb, opa, n, m, k, &alpha, b, ldb, a, lda, &beta, c, n));
  } else {
    KP_CUBLAS_TRY(cublasSgemmStridedBatched(bl->h, opb, opa, n, m, k, &alpha, b, ldb, (long long)K * N, a, lda,
                                            (long long)M * K, &beta, c, n, (long long)M * N, (int)batch));
  }
  return KP_OK;
}

/* Shared body of matmul and bmm (batch 1 for matmul). */
static kp_status mm(const char *op, kp_tensor *c, const kp_tensor *a, const kp_tensor *b, bool ta, bool tb, float alpha,
                    float beta, int64_t batch) {
  int64_t M, N, K;
  KP_TRY(mm_dims(op, a, b, ta, tb, &M, &N, &K));
  if (batch > INT_MAX) return kp_fail(KP_ERR_INVALID, "%s: batch %lld exceeds cuBLAS's int range", op, (long long)batch);
  if (batch == 0 || M == 0 || N == 0) return KP_OK;
  KP_CUDA_SET_DEVICE(c);
  if (K == 0) { /* an empty sum: c = beta c */
    int64_t n = batch * M * N;
    scale_c_k<<<kp_cuda_blocks(n, 256), 256>>>((float *)c->data, n, beta);
    KP_CUDA_LAUNCH_CHECK(op);
    return KP_OK;
  }
  kp_blas *bl;
  KP_TRY(kp_cuda_blas(c->device.index, &bl));
  return gemm(bl, (float *)c->data, (const float *)a->data, (const float *)b->data, M, N, K, ta, tb, alpha, beta, batch);
}

extern "C" kp_status kp_cuda_matmul(kp_tensor *c, const kp_tensor *a, const kp_tensor *b, bool ta, bool tb, float alpha,
                                    float beta) {
  return mm("matmul", c, a, b, ta, tb, alpha, beta, 1);
}

extern "C" kp_status kp_cuda_bmm(kp_tensor *c, const kp_tensor *a, const kp_tensor *b, bool ta, bool tb, float alpha,
                                 float beta) {
  return mm("bmm", c, a, b, ta, tb, alpha, beta, a->shape[0]);
}

/* cuBLASLt descriptors of one call, released on every path out. */
struct lt_plan {
  cublasLtMatmulDesc_t op = nullptr;
  cublasLtMatrixLayout_t a = nullptr, b = nullptr, d = nullptr;
  cublasLtMatmulPreference_t pref = nullptr;
  ~lt_plan() {
    if (pref) cublasLtMatmulPreferenceDestroy(pref);
    if (d) cublasLtMatrixLayoutDestroy(d);
    if (b) cublasLtMatrixLayoutDestroy(b);
    if (a) cublasLtMatrixLayoutDestroy(a);
    if (op) cublasLtMatmulDescDestroy(op);
  }
};

/* Largest power of two (<= 256) dividing the address: tells the heuristic what it may assume. */
static uint32_t ptr_align(const void *p) {
  uint32_t al = 256;
  while (al > 4 && ((uintptr_t)p % al) != 0) al >>= 1;
  return al;
}

/* z [R,M] = x [R,K] @ w[M,K]^T (+ bias [M]) in one cuBLASLt call. In column-major terms
 * z^T [M,R] = op_T(w as [K,M]) @ (x as [K,R]), and the bias runs along z^T's rows, as the
 * BIAS epilogue wants. Sets *done = false (nothing launched) when cuBLASLt offers no algorithm. */
static kp_status lt_linear(kp_blas *bl, float *z, const float *x, const float *w, const float *bias, int64_t R,
                           int64_t M, int64_t K, bool *done) {
  *done = false;
  lt_plan p;
  cublasComputeType_t ct = bl->tf32 ? CUBLAS_COMPUTE_32F_FAST_TF32 : CUBLAS_COMPUTE_32F;
  KP_CUBLAS_TRY(cublasLtMatmulDescCreate(&p.op, ct, CUDA_R_32F));
  int32_t ta = CUBLAS_OP_T, tb = CUBLAS_OP_N;
  KP_CUBLAS_TRY(cublasLtMatmulDescSetAttribute(p.op, CUBLASLT_MATMUL_DESC_TRANSA, &ta, sizeof ta));
  KP_CUBLAS_TRY(cublasLtMatmulDescSetAttribute(p.op, CUBLASLT_MATMUL_DESC_TRANSB, &tb, sizeof tb));
  uint32_t epi = bias ? CUBLASLT_EPILOGUE_BIAS : CUBLASLT_EPILOGUE_DEFAULT;
  KP_CUBLAS_TRY(cublasLtMatmulDescSetAttribute(p.op, CUBLASLT_MATMUL_DESC_EPILOGUE, &epi, sizeof epi));
  if (bias) KP_CUBLAS_TRY(cublasLtMatmulDescSetAttribute(p.op, CUBLASLT_MATMUL_DESC_BIAS_POINTER, &bias, sizeof bias));
  KP_CUBLAS_TRY(cublasLtMatrixLayoutCreate(&p.a, CUDA_R_32F, (uint64_t)K, (uint64_t)M, K));
  KP_CUBLAS_TRY(cublasLtMatrixLayoutCreate(&p.b, CUDA_R_32F, (uint64_t)K, (uint64_t)R, K));
  KP_CUBLAS_TRY(cublasLtMatrixLayoutCreate(&p.d, CUDA_R_32F, (uint64_t)M, (uint64_t)R, M));
  KP_CUBLAS_TRY(cublasLtMatmulPreferenceCreate(&p.pref));
  uint64_t ws = bl->ws_bytes;
  uint32_t al_a = ptr_align(w), al_b = ptr_align(x), al_d = ptr_align(z);
  KP_CUBLAS_TRY(cublasLtMatmulPreferenceSetAttribute(p.pref, CUBLASLT_MATMUL_PREF_MAX_WORKSPACE_BYTES, &ws, sizeof ws));
  KP_CUBLAS_TRY(cublasLtMatmulPreferenceSetAttribute(p.pref, CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_A_BYTES, &al_a, sizeof al_a));
  KP_CUBLAS_TRY(cublasLtMatmulPreferenceSetAttribute(p.pref, CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_B_BYTES, &al_b, sizeof al_b));
  KP_CUBLAS_TRY(cublasLtMatmulPreferenceSetAttribute(p.pref, CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_C_BYTES, &al_d, sizeof al_d));
  KP_CUBLAS_TRY(cublasLtMatmulPreferenceSetAttribute(p.pref, CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_D_BYTES, &al_d, sizeof al_d));
  cublasLtMatmulHeuristicResult_t res;
  int nres = 0;
  cublasStatus_t hs = cublasLtMatmulAlgoGetHeuristic(bl->lt, p.op, p.a, p.b, p.d, p.d, p.pref, 1, &res, &nres);
  if (hs != CUBLAS_STATUS_SUCCESS || nres < 1) return KP_OK; /* no algorithm: the caller falls back */
  float one = 1.0f, zero = 0.0f;
  cublasStatus_t ms = cublasLtMatmul(bl->lt, p.op, &one, w, p.a, x, p.b, &zero, z, p.d, z, p.d, &res.algo, bl->ws,
                                     bl->ws_bytes, 0);
  if (ms == CUBLAS_STATUS_NOT_SUPPORTED) return KP_OK;
  KP_CUBLAS_TRY(ms);
  *done = true;
  return KP_OK;
}

extern "C" kp_status kp_cuda_linear_fwd(kp_tensor *y, kp_tensor *pre, const kp_tensor *x, const kp_tensor *w,
                                        const kp_tensor *b, kp_act act, float alpha) {
  int64_t R = kp_tensor_rows(y), K = kp_tensor_cols(x), M = w->shape[0]; /* rows of y: defined when K == 0 */
  if (R == 0 || M == 0) return KP_OK;
  if (R > INT_MAX || M > INT_MAX || K > INT_MAX)
    return kp_fail(KP_ERR_INVALID, "linear_fwd: a dimension exceeds cuBLAS's int range (rows=%lld out=%lld in=%lld)",
                   (long long)R, (long long)M, (long long)K);
  KP_CUDA_SET_DEVICE(x);
  kp_tensor *z = act == KP_ACT_NONE ? y : pre; /* receives x @ w^T + b */
  if (K == 0) { /* an empty product: z = b (or 0) */
    KP_TRY(kp_cuda_fill(z, 0.0));
    if (b) KP_TRY(kp_cuda_bias_add_fwd(z, z, b));
  } else {
    kp_blas *bl;
    KP_TRY(kp_cuda_blas(x->device.index, &bl));
    bool done = false;
    KP_TRY(lt_linear(bl, (float *)z->data, (const float *)x->data, (const float *)w->data,
                     b ? (const float *)b->data : NULL, R, M, K, &done));
    if (!done) { /* cuBLASLt had no algorithm for this shape/alignment: sgemm, then the bias */
      KP_TRY(gemm(bl, (float *)z->data, (const float *)x->data, (const float *)w->data, R, M, K, false, true, 1.0f,
                  0.0f, 1));
      if (b) KP_TRY(kp_cuda_bias_add_fwd(z, z, b));
    }
  }
  if (act != KP_ACT_NONE) KP_TRY(kp_cuda_act_fwd(y, pre, act, alpha));
  return KP_OK;
}
