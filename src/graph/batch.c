/* Mini-batches of small graphs: concatenate the chosen graphs, renumber their nodes, write
 * graph_ptr. Edges of a graph stay inside it (the dataset validator checks this), so a batch is a
 * copy of node ranges with one shift per graph. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kprca/graph_batch.h"

static kp_status resize(void **p, int64_t n, size_t elem) {
  void *q = realloc(*p, (size_t)(n > 0 ? n : 1) * elem);
  if (!q) return kp_fail(KP_ERR_NOMEM, "graph batch: out of host memory for %lld items", (long long)n);
  *p = q;
  return KP_OK;
}

/* The capacity to grow to when need exceeds cap (0: no growth needed). */
static int64_t new_cap(int64_t cap, int64_t need) {
  if (need <= cap) return 0;
  return need > 2 * cap ? need : 2 * cap;
}

kp_status kp_graph_batch_gather(kp_graph_batch *b, const kp_graph_data *d, const int32_t *ids, int64_t n) {
  if (d->task != KP_TASK_GRAPH || !d->graph_ptr)
    return kp_fail(KP_ERR_INVALID, "graph batch: the dataset is not a graph-classification dataset");
  if (n < 1) return kp_fail(KP_ERR_INVALID, "graph batch: %lld graphs, need at least 1", (long long)n);
  int64_t F = d->num_features, nodes = 0, edges = 0;
  for (int64_t k = 0; k < n; k++) {
    int32_t g = ids[k];
    if (g < 0 || g >= d->num_graphs)
      return kp_fail(KP_ERR_INVALID, "graph batch: graph id %d outside [0, %lld)", g, (long long)d->num_graphs);
    int32_t a = d->graph_ptr[g], z = d->graph_ptr[g + 1];
    nodes += z - a;
    edges += d->indptr[z] - d->indptr[a];
  }
  if (nodes > INT32_MAX || edges > INT32_MAX)
    return kp_fail(KP_ERR_INVALID, "graph batch: %lld nodes / %lld edges exceed int32", (long long)nodes,
                   (long long)edges);
  int64_t c;
  if (!d->edge_weight) { /* a batch of an unweighted dataset passes no weights */
    free(b->edge_weight);
    b->edge_weight = NULL;
  }
  if ((c = new_cap(b->cap_graphs, n + 1))) {
    KP_TRY(resize((void **)&b->graph_ptr, c, sizeof(int32_t)));
    KP_TRY(resize((void **)&b->y, c, sizeof(int32_t)));
    KP_TRY(resize((void **)&b->ids, c, sizeof(int32_t)));
    b->cap_graphs = c;
  }
  if ((c = new_cap(b->cap_nodes, nodes + 1))) {
    KP_TRY(resize((void **)&b->indptr, c, sizeof(int32_t)));
    KP_TRY(resize((void **)&b->x, c * (F ? F : 1), sizeof(float)));
    b->cap_nodes = c;
  }
  if ((c = new_cap(b->cap_edges, edges + 1)) || (d->edge_weight && !b->edge_weight)) {
    if (!c) c = b->cap_edges;
    KP_TRY(resize((void **)&b->indices, c, sizeof(int32_t)));
    if (d->edge_weight) KP_TRY(resize((void **)&b->edge_weight, c, sizeof(float)));
    b->cap_edges = c;
  }
  int64_t nb = 0, eb = 0;
  b->graph_ptr[0] = 0;
  b->indptr[0] = 0;
  for (int64_t k = 0; k < n; k++) {
    int32_t g = ids[k], a = d->graph_ptr[g], z = d->graph_ptr[g + 1];
    int32_t e0 = d->indptr[a], e1 = d->indptr[z];
    int32_t shift = (int32_t)nb - a;
    if (F) memcpy(b->x + nb * F, d->x + (int64_t)a * F, sizeof(float) * (size_t)((z - a) * F));
    for (int32_t i = a; i < z; i++) b->indptr[nb + (i - a) + 1] = (int32_t)eb + (d->indptr[i + 1] - e0);
    for (int32_t e = e0; e < e1; e++) b->indices[eb + (e - e0)] = d->indices[e] + shift;
    if (d->edge_weight) memcpy(b->edge_weight + eb, d->edge_weight + e0, sizeof(float) * (size_t)(e1 - e0));
    nb += z - a;
    eb += e1 - e0;
    b->graph_ptr[k + 1] = (int32_t)nb;
    b->y[k] = d->graph_y[g];
    b->ids[k] = g;
  }
  b->num_graphs = n;
  b->num_nodes = nb;
  b->num_edges = eb;
  b->num_features = F;
  return KP_OK;
}

void kp_graph_batch_free(kp_graph_batch *b) {
  if (!b) return;
  free(b->x), free(b->indptr), free(b->indices), free(b->edge_weight), free(b->graph_ptr), free(b->y), free(b->ids);
  memset(b, 0, sizeof *b);
}

kp_status kp_graph_batch_upload(const kp_graph_batch *b, kp_device dev, unsigned flags, kp_gnn_graph *g, kp_tensor *x,
                                kp_tensor *y) {
  int64_t sx[2] = {b->num_nodes, b->num_features}, sy[1] = {b->num_graphs};
  memset(x, 0, sizeof *x);
  memset(y, 0, sizeof *y);
  KP_TRY(kp_gnn_graph_init(g, dev, b->num_nodes, b->indptr, b->indices, b->edge_weight, b->num_graphs, b->graph_ptr,
                           flags));
  kp_tensor hx = kp_tensor_wrap(b->x, KP_F32, kp_cpu(), 2, sx), hy = kp_tensor_wrap(b->y, KP_I32, kp_cpu(), 1, sy);
  if (dev.type == KP_DEV_CPU) {
    *x = hx;
    *y = hy;
    return KP_OK;
  }
  kp_status s = kp_tensor_alloc(x, KP_F32, dev, 2, sx);
  if (s == KP_OK) s = kp_tensor_copy(x, &hx);
  if (s == KP_OK) s = kp_tensor_alloc(y, KP_I32, dev, 1, sy);
  if (s == KP_OK) s = kp_tensor_copy(y, &hy);
  if (s != KP_OK) {
    kp_gnn_graph_free(g);
    kp_tensor_free(x);
    kp_tensor_free(y);
  }
  return s;
}
