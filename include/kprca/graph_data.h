/* Graph datasets in HDF5 (format "kprca.graph", version 1; docs/datasets.md "HDF5 datasets"):
 * node features x, a CSR adjacency, labels, and either node masks (task "node": one big graph
 * such as Cora or a case-similarity graph) or graph_ptr + graph_y (task "graph": a batch of
 * small graphs such as incident event graphs). Everything is validated on load and on save. */
#ifndef KPRCA_GRAPH_DATA_H
#define KPRCA_GRAPH_DATA_H
#include <stdint.h>
#include "kprca/h5.h"
#ifdef __cplusplus
extern "C" {
#endif

#define KP_GRAPH_FORMAT "kprca.graph"
#define KP_GRAPH_VERSION 1

typedef enum kp_graph_task {
  KP_TASK_NODE = 0, /* node classification: y per node, train/val/test masks */
  KP_TASK_GRAPH = 1 /* graph classification: graph_ptr, graph_y per graph */
} kp_graph_task;

/* A graph dataset in host memory. Optional arrays are NULL when absent. All memory is malloc'd
 * and released by kp_graph_data_free (label_names via kp_strings_free). */
typedef struct kp_graph_data {
  kp_graph_task task;
  int64_t num_nodes;      /* N */
  int64_t num_features;   /* F */
  int64_t num_edges;      /* E: CSR entries (an undirected edge counts twice) */
  int64_t num_graphs;     /* G (task graph; 0 for task node) */
  float *x;               /* [N*F] node features, row-major */
  int32_t *indptr;        /* [N+1] CSR: row i = the nodes that send messages to node i */
  int32_t *indices;       /* [E] source node of each entry, in [0, N) */
  float *edge_weight;     /* [E] optional (e.g. succession counts) */
  int32_t *y;             /* [N] node labels in [0, C) or -1 (unlabelled); required for task node, optional for graph */
  int8_t *train_mask;     /* [N] 0/1, task node, optional; the three masks are disjoint */
  int8_t *val_mask;       /* [N] */
  int8_t *test_mask;      /* [N] */
  int8_t *node_flag;      /* [N] optional 0/1 per node (incident graphs: the node carries root-cause evidence) */
  int32_t *graph_ptr;     /* [G+1] task graph: graph g owns nodes graph_ptr[g] .. graph_ptr[g+1]-1 */
  int32_t *graph_y;       /* [G] task graph: graph labels in [0, C) */
  int8_t *graph_split;    /* [G] optional: 0 train, 1 val, 2 test */
  kp_strings label_names; /* C class names (/labels/names); C >= 1, non-empty and distinct */
} kp_graph_data;

/** Checks every invariant (shapes, CSR, ranges, masks, graph_ptr, edges inside their graph, finite
 *  values); errors begin with where (a file name, say) and name the field and the position. */
kp_status kp_graph_data_validate(const kp_graph_data *g, const char *where);
/** Loads and validates path; on failure *g is left empty. */
kp_status kp_graph_data_load(const char *path, kp_graph_data *g);
/** Validates g and writes it atomically to path (an existing file is replaced only on success). */
kp_status kp_graph_data_save(const char *path, const kp_graph_data *g);
/** Validates g and writes it into h, a file being written (kp_h5_create), so that a caller can add
 *  datasets of its own (which readers ignore) before kp_h5_commit. */
kp_status kp_graph_data_write(kp_h5 *h, const kp_graph_data *g);
/** Frees every array and clears g; NULL is fine. */
void kp_graph_data_free(kp_graph_data *g);
/** PyG's NormalizeFeatures (data.normalize_features): shifts x [n, f] so its minimum is 0, then divides each row by
 *  its sum (rows summing below 1 are divided by 1). */
void kp_graph_normalize_features(float *x, int64_t n, int64_t f);
/** "node" or "graph". */
const char *kp_graph_task_name(kp_graph_task t);

#ifdef __cplusplus
}
#endif
#endif
