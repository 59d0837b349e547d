/* CPU entries for a sparse input matrix times a dense Linear weight (kprca/sparse.h: kp_csr_dropout,
 * kp_csr_linear_fwd, kp_csr_linear_bwd). Declared here rather than in cpu.h, next to their one file. */
#ifndef KPRCA_CPU_SPARSE_LINEAR_H
#define KPRCA_CPU_SPARSE_LINEAR_H
#include "core/backend.h"

kp_status kp_cpu_csr_dropout(kp_tensor *v, const kp_csr *g, const kp_tensor *x0, float p, uint64_t seed,
                             uint64_t offset);
kp_status kp_cpu_csr_linear_fwd(kp_tensor *y, kp_tensor *wt, const kp_csr *g, const kp_tensor *v, const kp_tensor *w);
kp_status kp_cpu_csr_linear_bwd(kp_tensor *dw, const kp_tensor *dy, const kp_csr *g, const kp_tensor *v);

#endif
