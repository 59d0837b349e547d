/* CUDA fills, casts and Philox random fills (stubs: to be implemented). */
#include "common.cuh"

extern "C" kp_status kp_cuda_fill(kp_tensor *t, double v) {
  return kp_fail(KP_ERR_UNSUPPORTED, "%s: not implemented yet on the cuda backend", "fill");
}
extern "C" kp_status kp_cuda_cast(kp_tensor *dst, const kp_tensor *src) {
  return kp_fail(KP_ERR_UNSUPPORTED, "%s: not implemented yet on the cuda backend", "cast");
}
extern "C" kp_status kp_cuda_fill_uniform(kp_tensor *t, uint64_t seed, uint64_t offset, float lo, float hi) {
  return kp_fail(KP_ERR_UNSUPPORTED, "%s: not implemented yet on the cuda backend", "fill_uniform");
}
extern "C" kp_status kp_cuda_fill_normal(kp_tensor *t, uint64_t seed, uint64_t offset, float mean, float std) {
  return kp_fail(KP_ERR_UNSUPPORTED, "%s: not implemented yet on the cuda backend", "fill_normal");
}
