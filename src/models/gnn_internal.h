/* Shared helpers of the GNN layers: workspace planning in an arena, named parameter views. */
#ifndef KPRCA_MODELS_GNN_INTERNAL_H
#define KPRCA_MODELS_GNN_INTERNAL_H
#include <stdbool.h>
#include "kprca/gnn.h"
#include "kprca/kprca.h"

/* A pass over a layer's buffer list: tensors are laid out in the arena in order; when the arena
 * is too small, kp_plan_end grows it and asks for a second pass. */
typedef struct kp_plan {
  kp_arena *a;
  int64_t need; /* floats used so far */
} kp_plan;

void kp_arena_init(kp_arena *a);
void kp_arena_free(kp_arena *a);
/** True when the arena's views were made for these sizes. */
bool kp_arena_ready(const kp_arena *a, int64_t n, int64_t e, int64_t g);
/** Starts a pass for a graph on dev (an arena on another device is released first). */
void kp_plan_begin(kp_plan *pl, kp_arena *a, kp_device dev);
/** The next tensor of the plan: [d0] (d1 < 0) or [d0, d1], f32 or i32. */
void kp_plan_take(kp_plan *pl, kp_tensor *t, kp_dtype dt, int64_t d0, int64_t d1);
/** Ends a pass; when the arena had to grow, *again is set and the caller repeats the pass. On success with
 *  !*again, records (n, e, g) as the planned sizes. */
kp_status kp_plan_end(kp_plan *pl, bool *again, int64_t n, int64_t e, int64_t g);

/** A parameter's value or gradient view; an empty tensor for index -1. */
static inline kp_tensor kp_pv(const kp_params *p, int i) {
  kp_tensor t = {0};
  return i >= 0 ? kp_params_value(p, i) : t;
}
static inline kp_tensor kp_pg(const kp_params *p, int i) {
  kp_tensor t = {0};
  return i >= 0 ? kp_params_grad(p, i) : t;
}
/** "prefix.name" (or "name" for an empty prefix) into buf. */
const char *kp_param_name(char *buf, size_t n, const char *prefix, const char *name);

/* Per-layer entry points behind kp_conv_fwd / kp_conv_bwd. */
/** The input linear of GCN and GAT, h = x W^T (no bias): on c->sparse_in's CSR values when set, else dense. */
kp_status kp_conv_in_linear_fwd(const kp_conv *c, kp_tensor *h, const kp_tensor *x, const kp_tensor *W);
/** Its backward: dW += dh^T x (from the CSR when set), dx += dh W (dense; NULL: skip). */
kp_status kp_conv_in_linear_bwd(const kp_conv *c, kp_tensor *dx, kp_tensor *dW, const kp_tensor *dh,
                                const kp_tensor *x, const kp_tensor *W);
/** Sizes the h / dh workspace shared by GCN and SAGE for graph g. */
kp_status kp_conv_plan_hidden(kp_conv *c, const kp_gnn_graph *g);
kp_status kp_gcn_init(kp_conv *c, kp_params *p, const char *prefix);
kp_status kp_gcn_fwd(kp_conv *c, const kp_params *p, const kp_gnn_graph *g, const kp_tensor *x, kp_tensor *y);
kp_status kp_gcn_bwd(kp_conv *c, kp_params *p, const kp_gnn_graph *g, const kp_tensor *x, const kp_tensor *dy,
                     kp_tensor *dx);
kp_status kp_sage_init(kp_conv *c, kp_params *p, const char *prefix);
kp_status kp_sage_fwd(kp_conv *c, const kp_params *p, const kp_gnn_graph *g, const kp_tensor *x, kp_tensor *y);
kp_status kp_sage_bwd(kp_conv *c, kp_params *p, const kp_gnn_graph *g, const kp_tensor *x, const kp_tensor *dy,
                      kp_tensor *dx);
kp_status kp_gat_init(kp_conv *c, kp_params *p, const char *prefix);
kp_status kp_gat_fwd(kp_conv *c, const kp_params *p, const kp_gnn_graph *g, const kp_tensor *x, kp_tensor *y,
                     bool training, uint64_t seed, uint64_t *offset);
kp_status kp_gat_bwd(kp_conv *c, kp_params *p, const kp_gnn_graph *g, const kp_tensor *x, const kp_tensor *dy,
                     kp_tensor *dx);

#endif
