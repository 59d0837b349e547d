/* Fused GATConv attention (PyG semantics) on a CSR whose rows are destinations and whose
 * indices are sources: per-node terms s_src = <h_n, att_src>, s_dst = <h_n, att_dst> per head,
 * edge scores LeakyReLU(s_src[source] + s_dst[destination]), softmax over each row's edges,
 * attention dropout, and the weighted sum of the sources' h, heads concatenated or averaged.
 * The same values as the composition of sddmm, gather, add, act, edge softmax, dropout, spmm
 * and segment mean that src/models/gat.c falls back to where a backend has no fused entry
 * (the CPU backend has one); the dropout mask is kp_dropout_fwd's over alpha [E, H]. */
#ifndef KPRCA_GAT_ATTENTION_H
#define KPRCA_GAT_ATTENTION_H
#include <stdbool.h>
#include <stdint.h>
#include "kprca/sparse.h"
#include "kprca/tensor.h"
#ifdef __cplusplus
extern "C" {
#endif

/* Settings, saved state and scratch of one fused attention (H heads of C features, N nodes, E edges). */
typedef struct kp_gat_attn {
  bool concat;              /* heads concatenated (y [N, H*C]) or averaged (y [N, C]) */
  float negative_slope;     /* LeakyReLU slope of the scores (PyG 0.2) */
  float p;                  /* attention dropout probability in [0, 1); 0: none (evaluation) */
  uint64_t seed, offset;    /* dropout stream: the mask of kp_dropout_fwd(alpha_drop, alpha, p, seed, offset) */
  kp_tensor s_src, s_dst;   /* f32 [N, H]: per-node terms, written by the forward, read by the backward */
  kp_tensor alpha;          /* f32 [E, H]: softmax of the scores, written by the forward */
  kp_tensor alpha_drop;     /* f32 [E, H]: alpha after dropout (used only when p > 0) */
  kp_tensor ds_src, ds_dst; /* f32 [N, H]: backward scratch (gradients of the per-node terms) */
  kp_tensor dscore;         /* f32 [E, H]: backward scratch (gradient of the raw edge scores) */
} kp_gat_attn;

/** True when the backend of device d has the fused GAT attention (else compose it from the generic ops). */
bool kp_gat_attn_fused(kp_device d);
/** y = GAT attention of h [N, H*C] on g (N x N) with att_src, att_dst (H*C values each); fills a's saved state. */
kp_status kp_gat_attn_fwd(kp_tensor *y, kp_gat_attn *a, const kp_csr *g, const kp_tensor *h, const kp_tensor *att_src,
                          const kp_tensor *att_dst);
/** Backward of the last kp_gat_attn_fwd with a: dh = dL/dh (overwritten); datt_src, datt_dst += their gradients. */
kp_status kp_gat_attn_bwd(kp_tensor *dh, kp_tensor *datt_src, kp_tensor *datt_dst, kp_gat_attn *a, const kp_tensor *dy,
                          const kp_csr *g, const kp_tensor *h, const kp_tensor *att_src, const kp_tensor *att_dst);

#ifdef __cplusplus
}
#endif
#endif
