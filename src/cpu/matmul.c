/* CPU matrix products through OpenBLAS sgemm (row-major), with the zero-size cases done by hand. */
#include <cblas.h>
#include "cpu/cpu.h"

/* c [M,N] = alpha op(a) op(b) + beta c, with op(a) [M,K]; a, b, c contiguous row-major. */
static void gemm(float *c, const float *a, const float *b, int64_t M, int64_t N, int64_t K, bool ta, bool tb,
                 float alpha, float beta) {
  if (M == 0 || N == 0) return;
  if (K == 0) { /* empty sum: c = beta c (beta == 0 overwrites, as BLAS does) */
    int64_t n = M * N;
    for (int64_t i = 0; i < n; i++) c[i] = beta == 0.0f ? 0.0f : beta * c[i];
    return;
  }
  int lda = (int)(ta ? M : K), ldb = (int)(tb ? K : N);
  cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans, (int)M, (int)N, (int)K,
              alpha, a, lda, b, ldb, beta, c, (int)N);
}

/* Shapes M, N, K of op(a) op(b) from the last two dimensions, and a check that they fit BLAS's int. */
static kp_status dims(const char *op, const kp_tensor *a, const kp_tensor *b, bool ta, bool tb, int64_t *M, int64_t *N,
                      int64_t *K) {
  int o = a->ndim - 2;
  *M = ta ? a->shape[o + 1] : a->shape[o];
  *K = ta ? a->shape[o] : a->shape[o + 1];
  *N = tb ? b->shape[o] : b->shape[o + 1];
  if (*M > INT32_MAX || *N > INT32_MAX || *K > INT32_MAX)
    return kp_fail(KP_ERR_INVALID, "%s: a dimension exceeds BLAS's int range (M=%lld N=%lld K=%lld)", op, (long long)*M,
                   (long long)*N, (long long)*K);
  return KP_OK;
}

kp_status kp_cpu_matmul(kp_tensor *c, const kp_tensor *a, const kp_tensor *b, bool ta, bool tb, float alpha,
                        float beta) {
  int64_t M, N, K;
  KP_TRY(dims("matmul", a, b, ta, tb, &M, &N, &K));
  gemm(c->data, a->data, b->data, M, N, K, ta, tb, alpha, beta);
  return KP_OK;
}

/* Below this many multiply-adds per batch element, the elements are spread over the OpenMP threads (each sgemm
 * single-threaded: OpenBLAS's OpenMP build runs one thread inside a parallel region); above it, each sgemm is
 * multithreaded by OpenBLAS. Attention's many small [T, d] x [d, T] products would otherwise pay one fork/join
 * each. */
#define KP_BMM_SPLIT_MAX (1 << 22)

/* One sgemm per batch element. */
kp_status kp_cpu_bmm(kp_tensor *c, const kp_tensor *a, const kp_tensor *b, bool ta, bool tb, float alpha, float beta) {
  int64_t M, N, K;
  KP_TRY(dims("bmm", a, b, ta, tb, &M, &N, &K));
  const float *pa = a->data, *pb = b->data;
  float *pc = c->data;
  int64_t nb = a->shape[0];
  if (nb > 1 && M * N * K < KP_BMM_SPLIT_MAX) {
#pragma omp parallel for schedule(static)
    for (int64_t i = 0; i < nb; i++)
      gemm(pc + i * M * N, pa + i * M * K, pb + i * K * N, M, N, K, ta, tb, alpha, beta);
    return KP_OK;
  }
  for (int64_t i = 0; i < nb; i++)
    gemm(pc + i * M * N, pa + i * M * K, pb + i * K * N, M, N, K, ta, tb, alpha, beta);
  return KP_OK;
}
