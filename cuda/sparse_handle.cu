/* cuSPARSE handles, one per GPU, created lazily under a lock and kept for the process's life
 * (cuSPARSE calls may share a handle across host threads; all kprca work uses the default stream). */
#include <pthread.h>
#include "sparse_handle.cuh"

#define KP_CUSPARSE_MAX_DEVICES 64

static pthread_mutex_t handles_mu = PTHREAD_MUTEX_INITIALIZER;
static cusparseHandle_t handles[KP_CUSPARSE_MAX_DEVICES];

kp_status kp_cusparse_fail(cusparseStatus_t st, const char *call, const char *file, int line) {
  kp_status s = st == CUSPARSE_STATUS_ALLOC_FAILED    ? KP_ERR_NOMEM
                : st == CUSPARSE_STATUS_NOT_SUPPORTED ? KP_ERR_UNSUPPORTED
                                                      : KP_ERR_DEVICE;
  return kp_fail(s, "%s:%d: %s failed: %s (%s)", file, line, call, cusparseGetErrorName(st),
                 cusparseGetErrorString(st));
}

kp_status kp_cusparse_handle(int index, cusparseHandle_t *out) {
  if (index < 0 || index >= KP_CUSPARSE_MAX_DEVICES)
    return kp_fail(KP_ERR_NO_DEVICE, "cusparse: cuda:%d is beyond the %d supported GPUs", index,
                   KP_CUSPARSE_MAX_DEVICES);
  pthread_mutex_lock(&handles_mu);
  kp_status s = KP_OK;
  if (!handles[index]) {
    cudaError_t ce = cudaSetDevice(index);
    cusparseStatus_t cs = CUSPARSE_STATUS_SUCCESS;
    if (ce != cudaSuccess)
      s = kp_fail(KP_ERR_DEVICE, "cusparse: cudaSetDevice(%d) failed: %s", index, cudaGetErrorString(ce));
    else if ((cs = cusparseCreate(&handles[index])) != CUSPARSE_STATUS_SUCCESS) {
      handles[index] = NULL;
      s = kp_cusparse_fail(cs, "cusparseCreate", __FILE__, __LINE__);
    }
  }
  *out = handles[index];
  pthread_mutex_unlock(&handles_mu);
  return s;
}
