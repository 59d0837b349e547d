/* Lazily created cuBLAS / cuBLASLt handles, one pair per device (see blas.cuh). */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include "blas.cuh"

#define KP_BLAS_MAX_DEVICES 64
#define KP_LT_WORKSPACE (32u << 20) /* 32 MiB: what cuBLASLt recommends for Hopper */

static pthread_mutex_t blas_mu = PTHREAD_MUTEX_INITIALIZER;
static kp_blas *blas_of[KP_BLAS_MAX_DEVICES];

static bool tf32_requested(void) {
  const char *e = getenv("KPRCA_CUDA_TF32");
  return e && strcmp(e, "") != 0 && strcmp(e, "0") != 0;
}

/* Creates the handles of the current device `index` into *b; on failure releases what it made. */
static kp_status blas_create(int index, kp_blas *b) {
  memset(b, 0, sizeof *b);
  b->tf32 = tf32_requested();
  b->ws_bytes = KP_LT_WORKSPACE;
  kp_status s = KP_OK;
  cublasStatus_t bs = cublasCreate(&b->h);
  if (bs != CUBLAS_STATUS_SUCCESS) {
    b->h = NULL;
    return kp_fail(KP_ERR_DEVICE, "cuda:%d: cublasCreate failed: %s (%d)", index, cublasGetStatusString(bs), (int)bs);
  }
  bs = cublasSetMathMode(b->h, b->tf32 ? CUBLAS_TF32_TENSOR_OP_MATH : CUBLAS_DEFAULT_MATH);
  if (bs == CUBLAS_STATUS_SUCCESS) bs = cublasLtCreate(&b->lt);
  if (bs != CUBLAS_STATUS_SUCCESS) {
    s = kp_fail(KP_ERR_DEVICE, "cuda:%d: cublasSetMathMode/cublasLtCreate failed: %s (%d)", index,
                cublasGetStatusString(bs), (int)bs);
  } else {
    cudaError_t ce = cudaMalloc(&b->ws, b->ws_bytes);
    if (ce != cudaSuccess) {
      cudaGetLastError();
      b->ws = NULL;
      s = kp_fail(ce == cudaErrorMemoryAllocation ? KP_ERR_NOMEM : KP_ERR_DEVICE,
                  "cuda:%d: cudaMalloc of the %zu-byte cuBLASLt workspace failed: %s", index, b->ws_bytes,
                  cudaGetErrorString(ce));
    }
  }
  if (s != KP_OK) {
    if (b->lt) cublasLtDestroy(b->lt);
    cublasDestroy(b->h);
    memset(b, 0, sizeof *b);
  }
  return s;
}

kp_status kp_cuda_blas(int index, kp_blas **out) {
  *out = NULL;
  if (index < 0 || index >= KP_BLAS_MAX_DEVICES)
    return kp_fail(KP_ERR_NO_DEVICE, "cuda:%d: device index out of range for cuBLAS handles", index);
  pthread_mutex_lock(&blas_mu);
  kp_status s = KP_OK;
  if (!blas_of[index]) {
    kp_blas *b = (kp_blas *)malloc(sizeof *b);
    if (!b) {
      s = kp_fail(KP_ERR_NOMEM, "cuda:%d: out of host memory for cuBLAS handles", index);
    } else if ((s = blas_create(index, b)) != KP_OK) {
      free(b);
    } else {
      blas_of[index] = b;
    }
  }
  *out = blas_of[index];
  pthread_mutex_unlock(&blas_mu);
  return s;
}
