/* Graph preparation on the host, uploaded once: self loops as PyG adds them, gcn_norm
 * weights, the star graph for per-node attention scores, and graph_ptr for readouts. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "kprca/gnn.h"

static kp_status upload(kp_tensor *t, kp_device dev, kp_dtype dt, const void *src, int64_t n) {
  KP_TRY(kp_tensor_alloc(t, dt, dev, 1, &n));
  if (n == 0) return KP_OK;
  kp_tensor h = kp_tensor_wrap((void *)src, dt, kp_cpu(), 1, &n);
  return kp_tensor_copy(t, &h);
}

/* gcn_norm: norm[e] = d^-1/2[src] * w[e] * d^-1/2[dst], d = weighted in-degree (over the target index, as PyG's
 * scatter over col), 0 where the degree is 0. */
static kp_status upload_norm(kp_tensor *t, kp_device dev, int64_t n, const int32_t *ip, const int32_t *ix,
                             const float *w) {
  int64_t nnz = ip[n];
  float *dinv = malloc(sizeof(float) * (size_t)(n ? n : 1)), *nv = malloc(sizeof(float) * (size_t)(nnz ? nnz : 1));
  if (!dinv || !nv) {
    free(dinv), free(nv);
    return kp_fail(KP_ERR_NOMEM, "gnn graph: out of host memory for %lld edges", (long long)nnz);
  }
  for (int64_t i = 0; i < n; i++) {
    float d = 0.0f; /* summed in float, in edge order, like PyG's scatter-add */
    for (int32_t e = ip[i]; e < ip[i + 1]; e++) d += w ? w[e] : 1.0f;
    float r = powf(d, -0.5f);
    dinv[i] = isinf(r) ? 0.0f : r;
  }
  for (int64_t i = 0; i < n; i++)
    for (int32_t e = ip[i]; e < ip[i + 1]; e++) nv[e] = dinv[ix[e]] * (w ? w[e] : 1.0f) * dinv[i];
  kp_status s = upload(t, dev, KP_F32, nv, nnz);
  free(dinv), free(nv);
  return s;
}

/* add_remaining_self_loops: the edges without self loops, then node i's loop at the end of row i, weighing the
 * given loop's weight (the last, if several) or 1. */
static kp_status build_loops(kp_gnn_graph *g, const int32_t *ip, const int32_t *ix, const float *w, bool norm) {
  int64_t n = g->num_nodes, cap = ip[n] + n;
  int32_t *lp = malloc(sizeof(int32_t) * (size_t)(n + 1)), *li = malloc(sizeof(int32_t) * (size_t)(cap ? cap : 1));
  float *lw = malloc(sizeof(float) * (size_t)(cap ? cap : 1));
  kp_status s = KP_OK;
  if (!lp || !li || !lw) {
    s = kp_fail(KP_ERR_NOMEM, "gnn graph: out of host memory for self loops");
    goto done;
  }
  int64_t m = 0;
  lp[0] = 0;
  for (int64_t i = 0; i < n; i++) {
    float loop_w = 1.0f;
    for (int32_t e = ip[i]; e < ip[i + 1]; e++) {
      if (ix[e] == i) {
        if (w) loop_w = w[e];
        continue;
      }
      li[m] = ix[e];
      lw[m++] = w ? w[e] : 1.0f;
    }
    li[m] = (int32_t)i;
    lw[m++] = loop_w;
    lp[i + 1] = (int32_t)m;
  }
  if ((s = kp_csr_init(&g->adj_loop, g->device, n, n, lp, li)) != KP_OK) goto done;
  if (norm) s = upload_norm(&g->loop_norm, g->device, n, lp, li, lw);
done:
  free(lp), free(li), free(lw);
  return s;
}

static kp_status build_star(kp_gnn_graph *g) {
  int64_t n = g->num_nodes;
  int32_t *sp = malloc(sizeof(int32_t) * (size_t)(n + 1)), *si = calloc((size_t)(n ? n : 1), sizeof(int32_t));
  kp_status s;
  if (!sp || !si) {
    s = kp_fail(KP_ERR_NOMEM, "gnn graph: out of host memory");
  } else {
    for (int64_t i = 0; i <= n; i++) sp[i] = (int32_t)i;
    s = kp_csr_init(&g->star, g->device, n, 1, sp, si);
  }
  free(sp), free(si);
  return s;
}

static kp_status check_ptr(const int32_t *ptr, int64_t G, int64_t n) {
  if (G < 1) return kp_fail(KP_ERR_INVALID, "gnn graph: graph_ptr given with %lld graphs", (long long)G);
  if (ptr[0] != 0) return kp_fail(KP_ERR_INVALID, "gnn graph: graph_ptr[0] = %d, expected 0", ptr[0]);
  for (int64_t k = 0; k < G; k++)
    if (ptr[k + 1] < ptr[k])
      return kp_fail(KP_ERR_INVALID, "gnn graph: graph_ptr decreases at graph %lld (%d -> %d)", (long long)k, ptr[k],
                     ptr[k + 1]);
  if (ptr[G] != n)
    return kp_fail(KP_ERR_INVALID, "gnn graph: graph_ptr[%lld] = %d, expected the node count %lld", (long long)G,
                   ptr[G], (long long)n);
  return KP_OK;
}

kp_status kp_gnn_graph_init(kp_gnn_graph *g, kp_device dev, int64_t num_nodes, const int32_t *indptr,
                            const int32_t *indices, const float *edge_weight, int64_t num_graphs,
                            const int32_t *graph_ptr, unsigned flags) {
  memset(g, 0, sizeof *g);
  g->device = dev;
  g->num_nodes = num_nodes;
  kp_status s = kp_csr_init(&g->adj, dev, num_nodes, num_nodes, indptr, indices);
  if (s != KP_OK) return kp_fail_context(s, "gnn graph");
  int64_t nnz = g->adj.nnz;
  if (edge_weight) {
    for (int64_t e = 0; e < nnz; e++)
      if (!isfinite(edge_weight[e])) {
        s = kp_fail(KP_ERR_INVALID, "gnn graph: edge_weight[%lld] is not finite", (long long)e);
        goto fail;
      }
    if ((s = upload(&g->weight, dev, KP_F32, edge_weight, nnz)) != KP_OK) goto fail;
  }
  if (graph_ptr) {
    if ((s = check_ptr(graph_ptr, num_graphs, num_nodes)) != KP_OK) goto fail;
    g->num_graphs = num_graphs;
    if ((s = upload(&g->graph_ptr, dev, KP_I32, graph_ptr, num_graphs + 1)) != KP_OK) goto fail;
  }
  if ((flags & KP_GRAPH_GCN_NORM) &&
      (s = upload_norm(&g->norm, dev, num_nodes, indptr, indices, edge_weight)) != KP_OK)
    goto fail;
  if ((flags & KP_GRAPH_SELF_LOOPS) &&
      (s = build_loops(g, indptr, indices, edge_weight, flags & KP_GRAPH_GCN_NORM)) != KP_OK)
    goto fail;
  if ((flags & KP_GRAPH_STAR) && (s = build_star(g)) != KP_OK) goto fail;
  g->flags = flags;
  return KP_OK;
fail:
  kp_gnn_graph_free(g);
  return s;
}

void kp_gnn_graph_free(kp_gnn_graph *g) {
  if (!g) return;
  kp_csr_free(&g->adj);
  kp_csr_free(&g->adj_loop);
  kp_csr_free(&g->star);
  kp_tensor_free(&g->weight);
  kp_tensor_free(&g->norm);
  kp_tensor_free(&g->loop_norm);
  kp_tensor_free(&g->graph_ptr);
  memset(g, 0, sizeof *g);
}
