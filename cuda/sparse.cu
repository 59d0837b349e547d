/* CUDA sparse ops (stubs: to be implemented). */
#include "common.cuh"

extern "C" kp_status kp_cuda_spmm_fwd(kp_tensor *y, const kp_csr *g, const kp_tensor *w, const kp_tensor *x, kp_reduce r) {
  return kp_fail(KP_ERR_UNSUPPORTED, "%s: not implemented yet on the cuda backend", "spmm_fwd");
}

extern "C" kp_status kp_cuda_spmm_bwd(kp_tensor *dx, kp_tensor *dw, const kp_tensor *dy, const kp_csr *g, const kp_tensor *w, const kp_tensor *x, kp_reduce r) {
  return kp_fail(KP_ERR_UNSUPPORTED, "%s: not implemented yet on the cuda backend", "spmm_bwd");
}

extern "C" kp_status kp_cuda_sddmm_fwd(kp_tensor *out, const kp_csr *g, const kp_tensor *a, const kp_tensor *b) {
  return kp_fail(KP_ERR_UNSUPPORTED, "%s: not implemented yet on the cuda backend", "sddmm_fwd");
}

extern "C" kp_status kp_cuda_sddmm_bwd(kp_tensor *da, kp_tensor *db, const kp_tensor *dout, const kp_csr *g, const kp_tensor *a, const kp_tensor *b) {
  return kp_fail(KP_ERR_UNSUPPORTED, "%s: not implemented yet on the cuda backend", "sddmm_bwd");
}

extern "C" kp_status kp_cuda_edge_softmax_fwd(kp_tensor *out, const kp_csr *g, const kp_tensor *scores) {
  return kp_fail(KP_ERR_UNSUPPORTED, "%s: not implemented yet on the cuda backend", "edge_softmax_fwd");
}

extern "C" kp_status kp_cuda_edge_softmax_bwd(kp_tensor *dscores, const kp_tensor *dout, const kp_csr *g, const kp_tensor *out) {
  return kp_fail(KP_ERR_UNSUPPORTED, "%s: not implemented yet on the cuda backend", "edge_softmax_bwd");
}

extern "C" void kp_cuda_csr_release(kp_csr *g) {}
