/* The CPU backend: plain C, OpenMP and OpenBLAS; the readable reference every CUDA op is
 * checked against. Each function has the public op's contract (include/kprca/), with
 * arguments already validated by src/core/ops/. */
#ifndef KPRCA_CPU_CPU_H
#define KPRCA_CPU_CPU_H
#include "core/backend.h"

/* memory.c */
kp_status kp_cpu_raw_alloc(int index, size_t bytes, void **ptr);
void kp_cpu_raw_free(int index, void *ptr);
kp_status kp_cpu_copy(void *dst, kp_device ddev, const void *src, kp_device sdev, size_t bytes);
kp_status kp_cpu_sync(int index);
kp_status kp_cpu_fill(kp_tensor *t, double v);
kp_status kp_cpu_cast(kp_tensor *dst, const kp_tensor *src);
kp_status kp_cpu_fill_uniform(kp_tensor *t, uint64_t seed, uint64_t offset, float lo, float hi);
kp_status kp_cpu_fill_normal(kp_tensor *t, uint64_t seed, uint64_t offset, float mean, float std);

/* matmul.c */
kp_status kp_cpu_matmul(kp_tensor *c, const kp_tensor *a, const kp_tensor *b, bool ta, bool tb, float alpha, float beta);
kp_status kp_cpu_bmm(kp_tensor *c, const kp_tensor *a, const kp_tensor *b, bool ta, bool tb, float alpha, float beta);

/* elementwise.c */
kp_status kp_cpu_bias_add_fwd(kp_tensor *y, const kp_tensor *x, const kp_tensor *b);
kp_status kp_cpu_bias_add_bwd(kp_tensor *dx, kp_tensor *db, const kp_tensor *dy);
kp_status kp_cpu_add_fwd(kp_tensor *y, const kp_tensor *a, const kp_tensor *b);
kp_status kp_cpu_axpy(kp_tensor *y, float alpha, const kp_tensor *x);
kp_status kp_cpu_scale(kp_tensor *x, float alpha);

/* activation.c */
kp_status kp_cpu_act_fwd(kp_tensor *y, const kp_tensor *x, kp_act act, float alpha);
kp_status kp_cpu_act_bwd(kp_tensor *dx, const kp_tensor *dy, const kp_tensor *x, kp_act act, float alpha);

/* dropout.c */
kp_status kp_cpu_dropout_fwd(kp_tensor *y, const kp_tensor *x, float p, uint64_t seed, uint64_t offset);
kp_status kp_cpu_dropout_bwd(kp_tensor *dx, const kp_tensor *dy, float p, uint64_t seed, uint64_t offset);

/* softmax.c */
kp_status kp_cpu_softmax_fwd(kp_tensor *y, const kp_tensor *x, const kp_tensor *mask, float scale);
kp_status kp_cpu_softmax_bwd(kp_tensor *dx, const kp_tensor *dy, const kp_tensor *y, float scale);

/* layernorm.c */
kp_status kp_cpu_layernorm_fwd(kp_tensor *y, kp_tensor *mean, kp_tensor *rstd, const kp_tensor *x, const kp_tensor *gamma, const kp_tensor *beta, float eps);
kp_status kp_cpu_layernorm_bwd(kp_tensor *dx, kp_tensor *dgamma, kp_tensor *dbeta, const kp_tensor *dy, const kp_tensor *x, const kp_tensor *mean, const kp_tensor *rstd, const kp_tensor *gamma);

/* index.c */
kp_status kp_cpu_gather_fwd(kp_tensor *y, const kp_tensor *x, const kp_tensor *idx);
kp_status kp_cpu_gather_bwd(kp_tensor *dx, const kp_tensor *dy, const kp_tensor *idx);
kp_status kp_cpu_scatter_fwd(kp_tensor *y, kp_tensor *arg, const kp_tensor *src, const kp_tensor *idx, kp_reduce r);
kp_status kp_cpu_scatter_bwd(kp_tensor *dsrc, const kp_tensor *dy, const kp_tensor *arg, const kp_tensor *idx, kp_reduce r);

/* segment.c */
kp_status kp_cpu_segment_fwd(kp_tensor *y, kp_tensor *arg, const kp_tensor *x, const kp_tensor *ptr, kp_reduce r);
kp_status kp_cpu_segment_bwd(kp_tensor *dx, const kp_tensor *dy, const kp_tensor *arg, const kp_tensor *ptr, kp_reduce r);

/* sparse.c */
kp_status kp_cpu_spmm_fwd(kp_tensor *y, const kp_csr *g, const kp_tensor *w, const kp_tensor *x, kp_reduce r);
kp_status kp_cpu_spmm_bwd(kp_tensor *dx, kp_tensor *dw, const kp_tensor *dy, const kp_csr *g, const kp_tensor *w, const kp_tensor *x, kp_reduce r);
kp_status kp_cpu_sddmm_fwd(kp_tensor *out, const kp_csr *g, const kp_tensor *a, const kp_tensor *b);
kp_status kp_cpu_sddmm_bwd(kp_tensor *da, kp_tensor *db, const kp_tensor *dout, const kp_csr *g, const kp_tensor *a, const kp_tensor *b);
kp_status kp_cpu_edge_softmax_fwd(kp_tensor *out, const kp_csr *g, const kp_tensor *scores);
kp_status kp_cpu_edge_softmax_bwd(kp_tensor *dscores, const kp_tensor *dout, const kp_csr *g, const kp_tensor *out);

/* gat_attention.c */
kp_status kp_cpu_gat_attn_fwd(kp_tensor *y, kp_gat_attn *a, const kp_csr *g, const kp_tensor *h, const kp_tensor *att_src, const kp_tensor *att_dst);
kp_status kp_cpu_gat_attn_bwd(kp_tensor *dh, kp_tensor *datt_src, kp_tensor *datt_dst, kp_gat_attn *a, const kp_tensor *dy, const kp_csr *g, const kp_tensor *h, const kp_tensor *att_src, const kp_tensor *att_dst);

/* loss.c */
kp_status kp_cpu_cross_entropy_fwd(kp_tensor *loss, kp_tensor *probs, const kp_tensor *logits, const kp_tensor *targets, const kp_tensor *weights, float ls, int ignore_index);
kp_status kp_cpu_cross_entropy_bwd(kp_tensor *dlogits, const kp_tensor *probs, const kp_tensor *targets, const kp_tensor *weights, float ls, int ignore_index, float dloss);
kp_status kp_cpu_bce_logits_fwd(kp_tensor *loss, const kp_tensor *logits, const kp_tensor *targets, const kp_tensor *pos_weight);
kp_status kp_cpu_bce_logits_bwd(kp_tensor *dlogits, const kp_tensor *logits, const kp_tensor *targets, const kp_tensor *pos_weight, float dloss);

/* optim.c */
kp_status kp_cpu_adam_step(kp_tensor *param, const kp_tensor *grad, kp_tensor *m, kp_tensor *v, const kp_adam_hparams *h, int64_t step);
kp_status kp_cpu_sgd_step(kp_tensor *param, const kp_tensor *grad, kp_tensor *buf, const kp_sgd_hparams *h, int64_t step);
kp_status kp_cpu_sumsq(const kp_tensor *x, double *out);

#endif
