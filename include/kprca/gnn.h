/* Graph neural networks with PyTorch Geometric's semantics: GCNConv, SAGEConv (mean) and
 * GATConv layers, readout + MLP head, and node / graph classification models built from them.
 * Every layer has an explicit forward that saves what its backward needs (in buffers that are
 * allocated on the first call and reused while the graph does not grow) and a backward that
 * ACCUMULATES parameter gradients into the params' flat gradient buffer and input gradients
 * into dx (NULL: not needed). All math goes through the op API, so layers run on any backend.
 *
 * Graphs are CSR adjacencies whose row i lists the SOURCES of the edges into node i (PyG's
 * flow source_to_target: messages travel from edge_index[0] to edge_index[1]). */
#ifndef KPRCA_GNN_H
#define KPRCA_GNN_H
#include <stdbool.h>
#include <stdint.h>
#include "kprca/activation.h"
#include "kprca/params.h"
#include "kprca/reduce.h"
#include "kprca/sparse.h"
#include "kprca/tensor.h"
#ifdef __cplusplus
extern "C" {
#endif

/* ---- Graphs ---------------------------------------------------------------------------- */

/* What kp_gnn_graph_init prepares besides the CSR as given. */
enum {
  KP_GRAPH_SELF_LOOPS = 1, /* adj_loop: PyG's remove-then-add / add_remaining_self_loops */
  KP_GRAPH_GCN_NORM = 2,   /* gcn_norm weights for adj (and adj_loop when built) */
  KP_GRAPH_STAR = 4        /* star: per-node dot products (GAT attention scores) */
};

typedef struct kp_gnn_graph {
  int64_t num_nodes;
  int64_t num_graphs; /* G when graph_ptr is given (batched small graphs), else 0 */
  unsigned flags;     /* KP_GRAPH_* that were built */
  kp_device device;
  kp_csr adj;            /* the edges as given (SAGEConv; GCN/GAT without self loops) */
  kp_tensor weight;      /* f32 [nnz(adj)]: given edge weights (empty when none were given) */
  kp_csr adj_loop;       /* the given edges minus self loops, then one self loop per node, last in its row */
  kp_tensor norm;        /* f32 [nnz(adj)]: gcn_norm without self loops: d^-1/2[src] w d^-1/2[dst] */
  kp_tensor loop_norm;   /* f32 [nnz(adj_loop)]: gcn_norm of adj_loop (PyG's default GCNConv); a self loop
                            weighs 1, or the weight of a given self loop of that node (the last one) */
  kp_csr star;           /* num_nodes rows, 1 column, one edge per row */
  kp_tensor graph_ptr;   /* i32 [G+1]: graph g owns nodes graph_ptr[g] .. graph_ptr[g+1]-1 */
} kp_gnn_graph;

/** Builds a graph on dev from host arrays: indptr [N+1] / indices [nnz] (row i = sources into i, duplicates kept
 *  as PyG keeps them), edge_weight [nnz] or NULL, graph_ptr [G+1] or NULL (num_graphs ignored then), and what
 *  flags asks for. Degrees for gcn_norm are weighted in-degrees (the target's), as PyG computes them. */
kp_status kp_gnn_graph_init(kp_gnn_graph *g, kp_device dev, int64_t num_nodes, const int32_t *indptr,
                            const int32_t *indices, const float *edge_weight, int64_t num_graphs,
                            const int32_t *graph_ptr, unsigned flags);
/** Frees everything in g. */
void kp_gnn_graph_free(kp_gnn_graph *g);

/* ---- Workspace -------------------------------------------------------------------------- */

/* One device allocation that holds a layer's saved activations and scratch; it grows when a
 * larger graph arrives and is reused otherwise (no allocation per step after the first). */
typedef struct kp_arena {
  kp_tensor buf;
  int64_t n_planned, e_planned, g_planned; /* sizes the current views were made for (-1: none) */
} kp_arena;

/* ---- Convolutions --------------------------------------------------------------------- */

typedef enum kp_conv_type { KP_CONV_GCN = 0, KP_CONV_SAGE = 1, KP_CONV_GAT = 2 } kp_conv_type;

typedef struct kp_conv_opts {
  kp_conv_type type;
  int64_t in_dim;
  int64_t out_dim;      /* GAT: per head */
  int heads;            /* GAT: number of heads (>= 1) */
  bool concat;          /* GAT: concatenate heads (true) or average them */
  float negative_slope; /* GAT: LeakyReLU slope of the attention scores (PyG 0.2) */
  float attn_dropout;   /* GAT: dropout on the normalised attention coefficients, training only */
  bool add_self_loops;  /* GCN and GAT (PyG: true) */
  bool normalize;       /* GCN: symmetric normalisation (true); false needs add_self_loops false, as in PyG */
  bool root_weight;     /* SAGE: add lin_r(x_i) (true) */
  bool residual;        /* GAT: add res(x), a Linear without bias (PyG 2.5+, default false) */
  bool bias;            /* all: learnable bias (true) */
} kp_conv_opts;

/** PyG's defaults for a layer of the given type. */
kp_conv_opts kp_conv_defaults(kp_conv_type type, int64_t in_dim, int64_t out_dim);
/** "gcn", "sage" or "gat". */
const char *kp_conv_type_name(kp_conv_type t);
/** Graph parts (KP_GRAPH_*) a layer with these options needs. */
unsigned kp_conv_graph_flags(const kp_conv_opts *o);

/* A node model's input x [N, F] kept also as its non-zero pattern (CSR, built once) when it is sparse (bag of
 * words): layer 0's input dropout and input linear then touch only the non-zeros (kp_gnn_attach_sparse_input). */
typedef struct kp_sparse_input {
  const kp_tensor *x; /* the dense x it mirrors; forwards on this very tensor use the sparse path */
  kp_csr pattern;     /* N rows, F columns: x's non-zeros, columns ascending per row */
  kp_tensor x_values; /* f32 [nnz]: x's entries (copied once) */
  kp_tensor values;   /* f32 [nnz]: x's entries after the last forward's input dropout */
  kp_tensor wt;       /* f32 [F, M]: scratch for layer 0's W^T (M = its linear's width) */
} kp_sparse_input;

typedef struct kp_conv {
  kp_conv_opts o;
  int64_t out_cols; /* output width: heads * out_dim when concat, else out_dim */
  /* entries in the params table, -1 when absent */
  int p_lin;     /* GCN "lin.weight" [out, in]; GAT "lin.weight" [H*C, in]; SAGE "lin_l.weight" [out, in] */
  int p_lin_r;   /* SAGE "lin_r.weight" [out, in] */
  int p_bias;    /* "bias" [out_cols]; SAGE "lin_l.bias" [out] */
  int p_att_src; /* GAT "att_src" [1, H, C] */
  int p_att_dst; /* GAT "att_dst" [1, H, C] */
  int p_res;     /* GAT "res.weight" [out_cols, in] */
  bool transform_first; /* GCN/SAGE: apply the linear map before aggregating (cheaper when out < in) */
  /* saved by the forward for the backward (views into arena) */
  kp_arena arena;
  kp_tensor h, dh;         /* [N, lin width]: x W^T (or the aggregated x, for aggregate-first) */
  kp_tensor sc_src, sc_dst, dsc_src, dsc_dst; /* GAT [N, H]: per-node attention terms */
  kp_tensor e, alpha, alpha_drop, ge1, ge2;   /* GAT [E, H]: raw scores, softmax, after dropout, scratch */
  kp_tensor agg, dagg;     /* GAT mean over heads: [N, H*C] before averaging */
  kp_tensor head_ptr;      /* GAT mean: i32 [N+1], i * H */
  bool dropped;            /* GAT: attention dropout was applied in the last forward */
  uint64_t drop_seed, drop_offset;
  const kp_sparse_input *sparse_in; /* GCN/GAT input linear: its x as CSR (set by kp_gnn per forward; NULL: dense) */
} kp_conv;

/** Declares the layer's parameters in p under prefix ("convs.0"; "" for none), with PyG's names and init rules. */
kp_status kp_conv_init(kp_conv *c, kp_params *p, const char *prefix, const kp_conv_opts *o);
/** Frees the layer's saved buffers (its parameters live in the table). */
void kp_conv_free(kp_conv *c);
/** y [N, out_cols] = conv(x [N, in_dim]) on g. training enables attention dropout drawn from (seed, *offset);
 *  *offset advances past the draws used (offset may be NULL when nothing is drawn). */
kp_status kp_conv_fwd(kp_conv *c, const kp_params *p, const kp_gnn_graph *g, const kp_tensor *x, kp_tensor *y,
                      bool training, uint64_t seed, uint64_t *offset);
/** Backward of the last kp_conv_fwd (same g and x): parameter gradients += into p->grad; dx += (NULL: skip). */
kp_status kp_conv_bwd(kp_conv *c, kp_params *p, const kp_gnn_graph *g, const kp_tensor *x, const kp_tensor *dy,
                      kp_tensor *dx);

/* ---- Readout and MLP head --------------------------------------------------------------- */

#define KP_HEAD_MAX_LAYERS 8

/* Graph readout (global sum/mean/max pool over graph_ptr) followed by an MLP: Linear layers
 * "head.{l}.weight"/"head.{l}.bias" with act + dropout between them; the last has no act. */
typedef struct kp_head {
  kp_reduce readout;
  int layers;
  int64_t dims[KP_HEAD_MAX_LAYERS + 1]; /* dims[0] = pooled width, dims[layers] = classes */
  kp_act act;
  float act_alpha, dropout;
  int p_w[KP_HEAD_MAX_LAYERS], p_b[KP_HEAD_MAX_LAYERS];
  kp_arena arena;
  kp_tensor pooled, dpooled, arg;                   /* [G, dims[0]]; arg i32 for max */
  kp_tensor in[KP_HEAD_MAX_LAYERS];                  /* input of layer l (after dropout) */
  kp_tensor pre[KP_HEAD_MAX_LAYERS], out[KP_HEAD_MAX_LAYERS]; /* x W^T + b and act of it */
  kp_tensor din[KP_HEAD_MAX_LAYERS], dout[KP_HEAD_MAX_LAYERS];
  bool dropped[KP_HEAD_MAX_LAYERS];
  uint64_t drop_seed, drop_offset[KP_HEAD_MAX_LAYERS];
} kp_head;

/** Declares "head.{l}.*" (torch.nn.Linear init) for dims in -> hidden ... -> classes (layers >= 1). */
kp_status kp_head_init(kp_head *h, kp_params *p, const char *prefix, kp_reduce readout, int layers, int64_t in_dim,
                       int64_t hidden, int64_t classes, kp_act act, float act_alpha, float dropout);
void kp_head_free(kp_head *h);
/** y [G, classes] = MLP(readout(x [N, in] over g->graph_ptr)); dropout before each Linear when training. */
kp_status kp_head_fwd(kp_head *h, const kp_params *p, const kp_gnn_graph *g, const kp_tensor *x, kp_tensor *y,
                      bool training, uint64_t seed, uint64_t *offset);
/** Backward of the last kp_head_fwd: gradients += into p->grad and dx (may be NULL). */
kp_status kp_head_bwd(kp_head *h, kp_params *p, const kp_gnn_graph *g, const kp_tensor *x, const kp_tensor *dy,
                      kp_tensor *dx);

/* ---- Models ----------------------------------------------------------------------------- */

typedef enum kp_gnn_task {
  KP_GNN_NODE = 0, /* node classification: the last conv outputs the classes */
  KP_GNN_GRAPH = 1 /* graph classification: convs, readout over graph_ptr, MLP head */
} kp_gnn_task;

#define KP_GNN_MAX_LAYERS 16
#define KP_GNN_IGNORE (-100) /* target value skipped by the loss (nodes outside the training mask) */

typedef struct kp_gnn_config {
  kp_gnn_task task;
  kp_conv_type conv;
  int64_t in_dim, hidden, num_classes; /* hidden: per head for GAT */
  int num_layers;                      /* conv layers, 1 .. KP_GNN_MAX_LAYERS */
  int heads;                           /* GAT heads of the hidden layers (concatenated) */
  int out_heads;                       /* GAT heads of the output layer of a node model (averaged) */
  float input_dropout;                 /* on x before the first conv (training only) */
  float dropout;                       /* on the input of every later conv and of every head Linear */
  float attn_dropout;                  /* GAT attention dropout */
  kp_act act;                          /* between layers (relu for GCN/SAGE, elu for GAT in PyG's examples) */
  float act_alpha;                     /* LeakyReLU slope / ELU alpha */
  float negative_slope;                /* GAT attention LeakyReLU */
  bool bias, add_self_loops, normalize, root_weight, residual;
  kp_reduce readout; /* graph task */
  int head_layers;   /* graph task: Linear layers of the head, 1 .. KP_HEAD_MAX_LAYERS */
  int64_t head_hidden;
} kp_gnn_config;

/** Defaults in the spirit of PyG's examples: 2 layers, hidden 16 (GAT: 8 x 8 heads), dropout 0.5 (GAT 0.6),
 *  relu (GAT elu), mean readout and a 1-layer head. */
kp_gnn_config kp_gnn_config_default(kp_gnn_task task, kp_conv_type conv, int64_t in_dim, int64_t num_classes);
/** Checks ranges and combinations; the message names the field. */
kp_status kp_gnn_config_check(const kp_gnn_config *c);

typedef struct kp_gnn {
  kp_gnn_config cfg;
  kp_params params;
  int num_convs;
  kp_conv convs[KP_GNN_MAX_LAYERS];
  kp_head head; /* graph task */
  uint64_t drop_seed, drop_offset; /* dropout stream: each dropout call uses (seed, offset) and advances offset */
  /* activations (views into arena) */
  kp_arena arena;
  kp_tensor xin[KP_GNN_MAX_LAYERS], z[KP_GNN_MAX_LAYERS], act[KP_GNN_MAX_LAYERS]; /* conv input, output, act(output) */
  kp_tensor dxin[KP_GNN_MAX_LAYERS], dz[KP_GNN_MAX_LAYERS], dact[KP_GNN_MAX_LAYERS];
  bool dropped[KP_GNN_MAX_LAYERS];
  uint64_t drop_at[KP_GNN_MAX_LAYERS], fwd_seed;
  kp_tensor logits, dlogits, probs, loss; /* [rows, classes]; loss f32 [1] */
  const kp_gnn_graph *fwd_graph;          /* graph and input of the last forward */
  const kp_tensor *fwd_x;
  kp_sparse_input sx; /* layer 0's sparse input, when attached (sx_ready) */
  bool sx_ready;
} kp_gnn;

/* Inputs at most this dense get a sparse layer 0 from the trainer (Cora: 1.3% non-zeros). */
#define KP_GNN_SPARSE_INPUT_DENSITY 0.10

/** Builds the model (parameters declared, allocated and zero) on dev. */
kp_status kp_gnn_init(kp_gnn *m, const kp_gnn_config *cfg, kp_device dev);
void kp_gnn_free(kp_gnn *m);
/** Initialises every parameter as PyG does (glorot / torch Linear / zeros) from r. */
kp_status kp_gnn_reset_parameters(kp_gnn *m, kp_rng *r);
/** Graph parts (KP_GRAPH_*) the model's layers need. */
unsigned kp_gnn_graph_flags(const kp_gnn_config *cfg);
/** Keeps x [N, in_dim] also as CSR when at most max_density of it is non-zero, x is on the CPU, its backend has
 *  kp_csr_linear and layer 0 can use it (GCN transforming first, GAT without residual): forwards on this very
 *  tensor then run layer 0's input dropout (the dense path's masks) and input linear on the non-zeros only. x must
 *  outlive the model unchanged (its values are copied here once); *used (may be NULL) tells whether it was attached. */
kp_status kp_gnn_attach_sparse_input(kp_gnn *m, const kp_tensor *x, double max_density, bool *used);
/** m->logits [N or G, classes] = model(x [N, in_dim]) on g; training enables every dropout. x and g must stay
 *  alive and unchanged until the backward. */
kp_status kp_gnn_forward(kp_gnn *m, const kp_gnn_graph *g, const kp_tensor *x, bool training);
/** Cross-entropy (mean over targets != KP_GNN_IGNORE) of the last forward's logits: targets i32 [rows],
 *  class_weights f32 [classes] or NULL; *loss (may be NULL) receives its value (a device sync). */
kp_status kp_gnn_loss(kp_gnn *m, const kp_tensor *targets, const kp_tensor *class_weights, float *loss);
/** Backward from the last kp_gnn_loss (same targets and weights): gradients += into m->params.grad; dx += (NULL: skip). */
kp_status kp_gnn_backward(kp_gnn *m, const kp_tensor *targets, const kp_tensor *class_weights, kp_tensor *dx);
/** Backward from a given dlogits [rows, classes] (a custom loss): gradients += into m->params.grad and dx. */
kp_status kp_gnn_backward_from(kp_gnn *m, const kp_tensor *dlogits, kp_tensor *dx);

#ifdef __cplusplus
}
#endif
#endif
