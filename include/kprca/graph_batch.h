/* Mini-batches of small graphs from a graph-classification dataset (graph_data.h, task graph):
 * the chosen graphs are concatenated in the given order, their nodes renumbered from 0, and a
 * graph_ptr written for the readout, ready for kp_gnn_graph_init. Host buffers grow to the
 * largest batch seen and are reused, so a training loop allocates nothing once warmed up. */
#ifndef KPRCA_GRAPH_BATCH_H
#define KPRCA_GRAPH_BATCH_H
#include <stdint.h>

#include "kprca/gnn.h"
#include "kprca/graph_data.h"
#ifdef __cplusplus
extern "C" {
#endif

typedef struct kp_graph_batch {
  int64_t num_graphs, num_nodes, num_edges, num_features;
  float *x;           /* [num_nodes * num_features] */
  int32_t *indptr;    /* [num_nodes + 1] */
  int32_t *indices;   /* [num_edges], renumbered into the batch */
  float *edge_weight; /* [num_edges] or NULL when the dataset has none */
  int32_t *graph_ptr; /* [num_graphs + 1] */
  int32_t *y;         /* [num_graphs]: the graphs' labels */
  int32_t *ids;       /* [num_graphs]: the dataset index of each graph */
  int64_t cap_nodes, cap_edges, cap_graphs;
} kp_graph_batch;

/** Fills b with graphs ids[0..n) of d (task graph), in that order; n >= 1. */
kp_status kp_graph_batch_gather(kp_graph_batch *b, const kp_graph_data *d, const int32_t *ids, int64_t n);
/** Frees b's buffers and clears it; NULL is fine. */
void kp_graph_batch_free(kp_graph_batch *b);
/** Builds the batch's graph on dev (flags: KP_GRAPH_* the model needs) and its features x [nodes, F] and labels
 *  y i32 [graphs] there (on the CPU x and y wrap b's buffers: b must outlive them). Free with kp_gnn_graph_free and
 *  kp_tensor_free. */
kp_status kp_graph_batch_upload(const kp_graph_batch *b, kp_device dev, unsigned flags, kp_gnn_graph *g, kp_tensor *x,
                                kp_tensor *y);

#ifdef __cplusplus
}
#endif
#endif
