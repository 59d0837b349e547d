/* cuBLAS / cuBLASLt handles for the CUDA backend: one pair per device, created lazily on
 * first use (thread-safe) and kept for the life of the process, with a cuBLASLt workspace.
 *
 * Precision: by default matrix products compute in exact fp32 (CUBLAS_DEFAULT_MATH for
 * cuBLAS, CUBLAS_COMPUTE_32F for cuBLASLt), so they agree with the CPU's sgemm to fp32
 * rounding. Setting the environment variable KPRCA_CUDA_TF32=1 before the first GPU matrix
 * product lets both use TF32 tensor cores (faster; about 1e-3 relative error). */
#ifndef KPRCA_CUDA_BLAS_CUH
#define KPRCA_CUDA_BLAS_CUH
#include <cublasLt.h>
#include <cublas_v2.h>
#include "common.cuh"

struct kp_blas {
  cublasHandle_t h;
  cublasLtHandle_t lt;
  void *ws;        /* cuBLASLt workspace (device memory of this handle's GPU) */
  size_t ws_bytes;
  bool tf32;       /* TF32 tensor cores allowed (KPRCA_CUDA_TF32=1) */
};

/* The handles of CUDA device `index`, creating them on first use; the device must be current. */
kp_status kp_cuda_blas(int index, kp_blas **out);

/* A cuBLAS / cuBLASLt call that fails becomes a kp_status naming the call and the reason. */
#define KP_CUBLAS_TRY(call)                                                                        \
  do {                                                                                             \
    cublasStatus_t kp_bs_ = (call);                                                                \
    if (kp_bs_ != CUBLAS_STATUS_SUCCESS)                                                           \
      return kp_fail(kp_bs_ == CUBLAS_STATUS_ALLOC_FAILED ? KP_ERR_NOMEM : KP_ERR_DEVICE,          \
                     "%s:%d: %s failed: %s (%d)", __FILE__, __LINE__, #call,                        \
                     cublasGetStatusString(kp_bs_), (int)kp_bs_);                                  \
  } while (0)

#endif
