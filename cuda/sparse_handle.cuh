/* cuSPARSE for the CUDA backend: one library handle per GPU, created on first use (thread-safe),
 * and the mapping of cuSPARSE status codes to kp_status values with a message. */
#ifndef KPRCA_CUDA_SPARSE_HANDLE_CUH
#define KPRCA_CUDA_SPARSE_HANDLE_CUH
#include <cusparse.h>
#include "common.cuh"

/* The cuSPARSE handle of GPU `index` (creating it on first use); the handle runs on the default stream. */
kp_status kp_cusparse_handle(int index, cusparseHandle_t *out);
/* Turns a failed cuSPARSE call into a kp_status (ALLOC_FAILED -> NOMEM, NOT_SUPPORTED -> UNSUPPORTED,
 * anything else -> DEVICE) with "file:line: call failed: NAME (description)". */
kp_status kp_cusparse_fail(cusparseStatus_t st, const char *call, const char *file, int line);

#define KP_CUSPARSE_TRY(call)                                                    \
  do {                                                                           \
    cusparseStatus_t kp_cs_ = (call);                                            \
    if (kp_cs_ != CUSPARSE_STATUS_SUCCESS) return kp_cusparse_fail(kp_cs_, #call, __FILE__, __LINE__); \
  } while (0)

#endif
