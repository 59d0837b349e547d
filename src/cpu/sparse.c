/* CPU sparse ops (stubs: to be implemented). */
#include "cpu/cpu.h"

kp_status kp_cpu_spmm_fwd(kp_tensor *y, const kp_csr *g, const kp_tensor *w, const kp_tensor *x, kp_reduce r) {
  return kp_fail(KP_ERR_UNSUPPORTED, "%s: not implemented yet on the cpu backend", "spmm_fwd");
}

kp_status kp_cpu_spmm_bwd(kp_tensor *dx, kp_tensor *dw, const kp_tensor *dy, const kp_csr *g, const kp_tensor *w, const kp_tensor *x, kp_reduce r) {
  return kp_fail(KP_ERR_UNSUPPORTED, "%s: not implemented yet on the cpu backend", "spmm_bwd");
}

kp_status kp_cpu_sddmm_fwd(kp_tensor *out, const kp_csr *g, const kp_tensor *a, const kp_tensor *b) {
  return kp_fail(KP_ERR_UNSUPPORTED, "%s: not implemented yet on the cpu backend", "sddmm_fwd");
}

kp_status kp_cpu_sddmm_bwd(kp_tensor *da, kp_tensor *db, const kp_tensor *dout, const kp_csr *g, const kp_tensor *a, const kp_tensor *b) {
  return kp_fail(KP_ERR_UNSUPPORTED, "%s: not implemented yet on the cpu backend", "sddmm_bwd");
}

kp_status kp_cpu_edge_softmax_fwd(kp_tensor *out, const kp_csr *g, const kp_tensor *scores) {
  return kp_fail(KP_ERR_UNSUPPORTED, "%s: not implemented yet on the cpu backend", "edge_softmax_fwd");
}

kp_status kp_cpu_edge_softmax_bwd(kp_tensor *dscores, const kp_tensor *dout, const kp_csr *g, const kp_tensor *out) {
  return kp_fail(KP_ERR_UNSUPPORTED, "%s: not implemented yet on the cpu backend", "edge_softmax_bwd");
}
