/* The backend table: one struct of function pointers per device type (after ggml's
 * backends). Public ops in src/core/ops/ validate their arguments, then call the entry
 * of the tensors' device. Entries take the public op's arguments, already checked
 * (dtypes, devices, shapes); value checks that need the data (index ranges) are the
 * backend's. A NULL entry means "not supported here"; optional entries marked (opt) fall
 * back to a composition of required ones in src/core/ops/. */
#ifndef KPRCA_CORE_BACKEND_H
#define KPRCA_CORE_BACKEND_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "kprca/activation.h"
#include "kprca/device.h"
#include "kprca/dropout.h"
#include "kprca/elementwise.h"
#include "kprca/gat_attention.h"
#include "kprca/index.h"
#include "kprca/layernorm.h"
#include "kprca/loss.h"
#include "kprca/matmul.h"
#include "kprca/optim.h"
#include "kprca/pool.h"
#include "kprca/reduce.h"
#include "kprca/rng.h"
#include "kprca/schedule.h"
#include "kprca/segment.h"
#include "kprca/softmax.h"
#include "kprca/sparse.h"
#include "kprca/status.h"
#include "kprca/tensor.h"
#include "kprca/version.h"
#ifdef __cplusplus
extern "C" {
#endif

typedef struct kp_backend {
  const char *name;
  /* memory */
  kp_status (*raw_alloc)(int index, size_t bytes, void **ptr);
  void (*raw_free)(int index, void *ptr);
  /* bytes from src on sdev to dst on ddev; the CUDA backend handles every pair that involves a GPU */
  kp_status (*copy)(void *dst, kp_device ddev, const void *src, kp_device sdev, size_t bytes);
  kp_status (*sync)(int index);
  kp_status (*fill)(kp_tensor *t, double v);
  kp_status (*cast)(kp_tensor *dst, const kp_tensor *src);
  kp_status (*fill_uniform)(kp_tensor *t, uint64_t seed, uint64_t offset, float lo, float hi);
  kp_status (*fill_normal)(kp_tensor *t, uint64_t seed, uint64_t offset, float mean, float std);
  /* dense */
  kp_status (*matmul)(kp_tensor *c, const kp_tensor *a, const kp_tensor *b, bool ta, bool tb, float alpha, float beta);
  kp_status (*bmm)(kp_tensor *c, const kp_tensor *a, const kp_tensor *b, bool ta, bool tb, float alpha, float beta);
  kp_status (*linear_fwd)(kp_tensor *y, kp_tensor *pre, const kp_tensor *x, const kp_tensor *w, const kp_tensor *b,
                          kp_act act, float alpha); /* (opt) */
  kp_status (*bias_add_fwd)(kp_tensor *y, const kp_tensor *x, const kp_tensor *b);
  kp_status (*bias_add_bwd)(kp_tensor *dx, kp_tensor *db, const kp_tensor *dy); /* dx may be NULL */
  kp_status (*add_fwd)(kp_tensor *y, const kp_tensor *a, const kp_tensor *b);
  kp_status (*axpy)(kp_tensor *y, float alpha, const kp_tensor *x);
  kp_status (*scale)(kp_tensor *x, float alpha);
  kp_status (*act_fwd)(kp_tensor *y, const kp_tensor *x, kp_act act, float alpha);
  kp_status (*act_bwd)(kp_tensor *dx, const kp_tensor *dy, const kp_tensor *x, kp_act act, float alpha);
  kp_status (*dropout_fwd)(kp_tensor *y, const kp_tensor *x, float p, uint64_t seed, uint64_t offset);
  kp_status (*dropout_bwd)(kp_tensor *dx, const kp_tensor *dy, float p, uint64_t seed, uint64_t offset);
  kp_status (*softmax_fwd)(kp_tensor *y, const kp_tensor *x, const kp_tensor *mask, float scale);
  kp_status (*softmax_bwd)(kp_tensor *dx, const kp_tensor *dy, const kp_tensor *y, float scale);
  kp_status (*layernorm_fwd)(kp_tensor *y, kp_tensor *mean, kp_tensor *rstd, const kp_tensor *x,
                             const kp_tensor *gamma, const kp_tensor *beta, float eps);
  kp_status (*layernorm_bwd)(kp_tensor *dx, kp_tensor *dgamma, kp_tensor *dbeta, const kp_tensor *dy,
                             const kp_tensor *x, const kp_tensor *mean, const kp_tensor *rstd, const kp_tensor *gamma);
  /* index */
  kp_status (*gather_fwd)(kp_tensor *y, const kp_tensor *x, const kp_tensor *idx); /* x seen as [N, F], y [K, F] */
  kp_status (*gather_bwd)(kp_tensor *dx, const kp_tensor *dy, const kp_tensor *idx);
  kp_status (*scatter_fwd)(kp_tensor *y, kp_tensor *arg, const kp_tensor *src, const kp_tensor *idx, kp_reduce r);
  kp_status (*scatter_bwd)(kp_tensor *dsrc, const kp_tensor *dy, const kp_tensor *arg, const kp_tensor *idx, kp_reduce r);
  kp_status (*segment_fwd)(kp_tensor *y, kp_tensor *arg, const kp_tensor *x, const kp_tensor *ptr, kp_reduce r);
  kp_status (*segment_bwd)(kp_tensor *dx, const kp_tensor *dy, const kp_tensor *arg, const kp_tensor *ptr, kp_reduce r);
  /* sparse */
  kp_status (*spmm_fwd)(kp_tensor *y, const kp_csr *g, const kp_tensor *w, const kp_tensor *x, kp_reduce r);
  kp_status (*spmm_bwd)(kp_tensor *dx, kp_tensor *dw, const kp_tensor *dy, const kp_csr *g, const kp_tensor *w,
                        const kp_tensor *x, kp_reduce r);
  /* a sparse input X (CSR pattern, values) times a dense Linear weight (opt: NULL keeps the dense path) */
  kp_status (*csr_dropout)(kp_tensor *v, const kp_csr *g, const kp_tensor *x0, float p, uint64_t seed,
                           uint64_t offset);
  kp_status (*csr_linear_fwd)(kp_tensor *y, kp_tensor *wt, const kp_csr *g, const kp_tensor *v, const kp_tensor *w);
  kp_status (*csr_linear_bwd)(kp_tensor *dw, const kp_tensor *dy, const kp_csr *g, const kp_tensor *v);
  kp_status (*sddmm_fwd)(kp_tensor *out, const kp_csr *g, const kp_tensor *a, const kp_tensor *b);
  kp_status (*sddmm_bwd)(kp_tensor *da, kp_tensor *db, const kp_tensor *dout, const kp_csr *g, const kp_tensor *a,
                         const kp_tensor *b);
  kp_status (*edge_softmax_fwd)(kp_tensor *out, const kp_csr *g, const kp_tensor *scores);
  kp_status (*edge_softmax_bwd)(kp_tensor *dscores, const kp_tensor *dout, const kp_csr *g, const kp_tensor *out);
  void (*csr_release)(kp_csr *g); /* (opt) frees g->backend_cache */
  /* fused GAT attention (opt: NULL composes sddmm, gather, act, edge softmax, dropout, spmm in src/models/gat.c) */
  kp_status (*gat_attn_fwd)(kp_tensor *y, kp_gat_attn *a, const kp_csr *g, const kp_tensor *h,
                            const kp_tensor *att_src, const kp_tensor *att_dst);
  kp_status (*gat_attn_bwd)(kp_tensor *dh, kp_tensor *datt_src, kp_tensor *datt_dst, kp_gat_attn *a,
                            const kp_tensor *dy, const kp_csr *g, const kp_tensor *h, const kp_tensor *att_src,
                            const kp_tensor *att_dst);
  /* losses */
  kp_status (*cross_entropy_fwd)(kp_tensor *loss, kp_tensor *probs, const kp_tensor *logits, const kp_tensor *targets,
                                 const kp_tensor *weights, float ls, int ignore_index);
  kp_status (*cross_entropy_bwd)(kp_tensor *dlogits, const kp_tensor *probs, const kp_tensor *targets,
                                 const kp_tensor *weights, float ls, int ignore_index, float dloss);
  kp_status (*bce_logits_fwd)(kp_tensor *loss, const kp_tensor *logits, const kp_tensor *targets,
                              const kp_tensor *pos_weight);
  kp_status (*bce_logits_bwd)(kp_tensor *dlogits, const kp_tensor *logits, const kp_tensor *targets,
                              const kp_tensor *pos_weight, float dloss);
  /* optimizers */
  kp_status (*adam_step)(kp_tensor *param, const kp_tensor *grad, kp_tensor *m, kp_tensor *v,
                         const kp_adam_hparams *h, int64_t step);
  kp_status (*sgd_step)(kp_tensor *param, const kp_tensor *grad, kp_tensor *buf, const kp_sgd_hparams *h,
                        int64_t step);
  kp_status (*sumsq)(const kp_tensor *x, double *out);
} kp_backend;

/** The CPU backend (always present). */
const kp_backend *kp_cpu_backend(void);
/** The CUDA backend, or NULL when this build has none. */
const kp_backend *kp_cuda_backend(void);
/** Backend for device d; fails with KP_ERR_NO_DEVICE when d is not usable here. */
kp_status kp_backend_for(kp_device d, const kp_backend **out);
/** Names of the table's op entries with their offsets, for kp_backend_supports. */
bool kp_backend_supports(const kp_backend *b, const char *op);

/* CUDA device probing, implemented in cuda/device.cu or src/core/cuda_absent.c. */
int kp_cuda_probe_count(void);
const char *kp_cuda_probe_reason(void);
kp_status kp_cuda_probe_info(int index, char *buf, size_t n);
const char *kp_cuda_build_info(void);

#ifdef __cplusplus
}
#endif
#endif
