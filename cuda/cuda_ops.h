/* The CUDA backend: same op names and semantics as src/cpu/ (see include/kprca/ for the
   contracts). Declarations have C linkage so the C dispatch table can hold them. */
#ifndef KPRCA_CUDA_OPS_H
#define KPRCA_CUDA_OPS_H
#include "core/backend.h"
#ifdef __cplusplus
extern "C" {
#endif

/* memory.cu */
kp_status kp_cuda_raw_alloc(int index, size_t bytes, void **ptr);
void kp_cuda_raw_free(int index, void *ptr);
kp_status kp_cuda_copy(void *dst, kp_device ddev, const void *src, kp_device sdev, size_t bytes);
kp_status kp_cuda_sync(int index);
kp_status kp_cuda_fill(kp_tensor *t, double v);
kp_status kp_cuda_cast(kp_tensor *dst, const kp_tensor *src);
kp_status kp_cuda_fill_uniform(kp_tensor *t, uint64_t seed, uint64_t offset, float lo, float hi);
kp_status kp_cuda_fill_normal(kp_tensor *t, uint64_t seed, uint64_t offset, float mean, float std);

/* matmul.cu */
kp_status kp_cuda_matmul(kp_tensor *c, const kp_tensor *a, const kp_tensor *b, bool ta, bool tb, float alpha, float beta);
kp_status kp_cuda_bmm(kp_tensor *c, const kp_tensor *a, const kp_tensor *b, bool ta, bool tb, float alpha, float beta);
kp_status kp_cuda_linear_fwd(kp_tensor *y, kp_tensor *pre, const kp_tensor *x, const kp_tensor *w, const kp_tensor *b, kp_act act, float alpha);

/* elementwise.cu */
kp_status kp_cuda_bias_add_fwd(kp_tensor *y, const kp_tensor *x, const kp_tensor *b);
kp_status kp_cuda_bias_add_bwd(kp_tensor *dx, kp_tensor *db, const kp_tensor *dy);
kp_status kp_cuda_add_fwd(kp_tensor *y, const kp_tensor *a, const kp_tensor *b);
kp_status kp_cuda_axpy(kp_tensor *y, float alpha, const kp_tensor *x);
kp_status kp_cuda_scale(kp_tensor *x, float alpha);

/* activation.cu */
kp_status kp_cuda_act_fwd(kp_tensor *y, const kp_tensor *x, kp_act act, float alpha);
kp_status kp_cuda_act_bwd(kp_tensor *dx, const kp_tensor *dy, const kp_tensor *x, kp_act act, float alpha);

/* dropout.cu */
kp_status kp_cuda_dropout_fwd(kp_tensor *y, const kp_tensor *x, float p, uint64_t seed, uint64_t offset);
kp_status kp_cuda_dropout_bwd(kp_tensor *dx, const kp_tensor *dy, float p, uint64_t seed, uint64_t offset);

/* softmax.cu */
kp_status kp_cuda_softmax_fwd(kp_tensor *y, const kp_tensor *x, const kp_tensor *mask, float scale);
kp_status kp_cuda_softmax_bwd(kp_tensor *dx, const kp_tensor *dy, const kp_tensor *y, float scale);

/* layernorm.cu */
kp_status kp_cuda_layernorm_fwd(kp_tensor *y, kp_tensor *mean, kp_tensor *rstd, const kp_tensor *x, const kp_tensor *gamma, const kp_tensor *beta, float eps);
kp_status kp_cuda_layernorm_bwd(kp_tensor *dx, kp_tensor *dgamma, kp_tensor *dbeta, const kp_tensor *dy, const kp_tensor *x, const kp_tensor *mean, const kp_tensor *rstd, const kp_tensor *gamma);

/* index.cu */
kp_status kp_cuda_gather_fwd(kp_tensor *y, const kp_tensor *x, const kp_tensor *idx);
kp_status kp_cuda_gather_bwd(kp_tensor *dx, const kp_tensor *dy, const kp_tensor *idx);
kp_status kp_cuda_scatter_fwd(kp_tensor *y, kp_tensor *arg, const kp_tensor *src, const kp_tensor *idx, kp_reduce r);
kp_status kp_cuda_scatter_bwd(kp_tensor *dsrc, const kp_tensor *dy, const kp_tensor *arg, const kp_tensor *idx, kp_reduce r);

/* segment.cu */
kp_status kp_cuda_segment_fwd(kp_tensor *y, kp_tensor *arg, const kp_tensor *x, const kp_tensor *ptr, kp_reduce r);
kp_status kp_cuda_segment_bwd(kp_tensor *dx, const kp_tensor *dy, const kp_tensor *arg, const kp_tensor *ptr, kp_reduce r);

/* sparse.cu */
kp_status kp_cuda_spmm_fwd(kp_tensor *y, const kp_csr *g, const kp_tensor *w, const kp_tensor *x, kp_reduce r);
kp_status kp_cuda_spmm_bwd(kp_tensor *dx, kp_tensor *dw, const kp_tensor *dy, const kp_csr *g, const kp_tensor *w, const kp_tensor *x, kp_reduce r);
kp_status kp_cuda_sddmm_fwd(kp_tensor *out, const kp_csr *g, const kp_tensor *a, const kp_tensor *b);
kp_status kp_cuda_sddmm_bwd(kp_tensor *da, kp_tensor *db, const kp_tensor *dout, const kp_csr *g, const kp_tensor *a, const kp_tensor *b);
kp_status kp_cuda_edge_softmax_fwd(kp_tensor *out, const kp_csr *g, const kp_tensor *scores);
kp_status kp_cuda_edge_softmax_bwd(kp_tensor *dscores, const kp_tensor *dout, const kp_csr *g, const kp_tensor *out);
void kp_cuda_csr_release(kp_csr *g);

/* loss.cu */
kp_status kp_cuda_cross_entropy_fwd(kp_tensor *loss, kp_tensor *probs, const kp_tensor *logits, const kp_tensor *targets, const kp_tensor *weights, float ls, int ignore_index);
kp_status kp_cuda_cross_entropy_bwd(kp_tensor *dlogits, const kp_tensor *probs, const kp_tensor *targets, const kp_tensor *weights, float ls, int ignore_index, float dloss);
kp_status kp_cuda_bce_logits_fwd(kp_tensor *loss, const kp_tensor *logits, const kp_tensor *targets, const kp_tensor *pos_weight);
kp_status kp_cuda_bce_logits_bwd(kp_tensor *dlogits, const kp_tensor *logits, const kp_tensor *targets, const kp_tensor *pos_weight, float dloss);

/* optim.cu */
kp_status kp_cuda_adam_step(kp_tensor *param, const kp_tensor *grad, kp_tensor *m, kp_tensor *v, const kp_adam_hparams *h, int64_t step);
kp_status kp_cuda_sgd_step(kp_tensor *param, const kp_tensor *grad, kp_tensor *buf, const kp_sgd_hparams *h, int64_t step);
kp_status kp_cuda_sumsq(const kp_tensor *x, double *out);

#ifdef __cplusplus
}
#endif
#endif
