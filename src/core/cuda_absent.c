/* Built only when the CUDA backend is not compiled: no CUDA devices, ever. */
#include "core/backend.h"

const kp_backend *kp_cuda_backend(void) { return NULL; }
int kp_cuda_probe_count(void) { return 0; }
const char *kp_cuda_probe_reason(void) { return "this build has no CUDA backend (configured with KPRCA_CUDA=OFF or no toolkit)"; }
kp_status kp_cuda_probe_info(int index, char *buf, size_t n) {
  (void)buf;
  (void)n;
  return kp_fail(KP_ERR_NO_DEVICE, "cuda:%d: this build has no CUDA backend", index);
}
const char *kp_cuda_build_info(void) { return "CUDA: not compiled"; }
