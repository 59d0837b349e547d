/* kprca-export --reference FILE: kprca's own forward pass (evaluation mode, CPU) on sample inputs, written as
 * safetensors next to those inputs, so that scripts/golden/export_roundtrip.py can run the exported model in
 * transformers / torch_geometric on exactly the same inputs and compare logits.
 *   BERT: the lines of --lines, WordPiece-encoded with the base tokenizer (data.max_seq_len tokens at most)
 *         and padded to the longest: input_ids, attention_mask (I64 [n, T]) and logits (F32 [n, C]).
 *   GNN:  the run's dataset (or --data): x as stored (F32 [N, F]; model.json says which feature transform
 *         the model expects), the CSR indptr / indices (I32; row i lists the sources of the edges into i),
 *         edge_weight (F32, when the dataset has it), graph_ptr (I32 [G+1], graph task) and logits. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli/export.h"
#include "kprca/graph_data.h"
#include "kprca/safetensors.h"
#include "kprca/wordpiece.h"

typedef struct lines {
  int64_t n, cap;
  char **s;
} lines;

static void lines_free(lines *l) {
  for (int64_t i = 0; i < l->n; i++) free(l->s[i]);
  free(l->s);
}

static kp_status read_lines(const char *path, lines *out) {
  FILE *f = fopen(path, "r");
  if (!f) return kp_fail(KP_ERR_IO, "%s: cannot open", path);
  char *buf = NULL;
  size_t cap = 0;
  ssize_t len;
  kp_status s = KP_OK;
  while (s == KP_OK && (len = getline(&buf, &cap, f)) >= 0) {
    while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == '\r')) buf[--len] = 0;
    if (out->n == out->cap) {
      int64_t nc = out->cap ? out->cap * 2 : 64;
      char **ns = realloc(out->s, sizeof *ns * (size_t)nc);
      if (!ns) s = kp_fail(KP_ERR_NOMEM, "%s: out of memory", path);
      else out->s = ns, out->cap = nc;
    }
    if (s == KP_OK && !(out->s[out->n] = strdup(buf))) s = kp_fail(KP_ERR_NOMEM, "%s: out of memory", path);
    if (s == KP_OK) out->n++;
  }
  free(buf);
  fclose(f);
  if (s == KP_OK && out->n == 0) s = kp_fail(KP_ERR_INVALID, "%s: no lines", path);
  return s;
}

static kp_status bert_reference(export_src *src, const char *lines_path, const char *path) {
  if (!lines_path) return kp_fail(KP_ERR_INVALID, "--reference for a BERT model needs --lines FILE (one text per line)");
  int32_t max_len = src->cfg ? (int32_t)kp_config_int(src->cfg, "data.max_seq_len") : 128;
  if (max_len > src->bert.cfg.max_position_embeddings) max_len = src->bert.cfg.max_position_embeddings;
  lines L = {0};
  kp_wordpiece *wp = NULL;
  kp_wp_batch tok = {0};
  int32_t *ids = NULL, *mask = NULL;
  int64_t *rows = NULL, *ids64 = NULL, *mask64 = NULL;
  float *logits = NULL;
  kp_status s = read_lines(lines_path, &L);
  if (s == KP_OK) s = kp_wordpiece_load_dir(src->base_dir, &wp);
  if (s == KP_OK) s = kp_wordpiece_encode_batch(wp, L.n, (const char *const *)L.s, max_len, 0, &tok);
  int64_t n = L.n, T = tok.max_length, C = src->bert.cfg.num_labels;
  if (s == KP_OK) {
    ids = malloc(sizeof *ids * (size_t)(n * T)), mask = malloc(sizeof *mask * (size_t)(n * T));
    ids64 = malloc(sizeof *ids64 * (size_t)(n * T)), mask64 = malloc(sizeof *mask64 * (size_t)(n * T));
    rows = malloc(sizeof *rows * (size_t)n), logits = malloc(sizeof *logits * (size_t)(n * C));
    if (!ids || !mask || !ids64 || !mask64 || !rows || !logits) s = kp_fail(KP_ERR_NOMEM, "reference: out of memory");
  }
  for (int64_t i = 0; s == KP_OK && i < n; i++) rows[i] = i;
  if (s == KP_OK) s = kp_wp_batch_pad(wp, &tok, n, rows, (int32_t)T, ids, mask, NULL);
  if (s == KP_OK) {
    kp_bert_batch bb = {n, T, ids, mask, NULL};
    s = kp_bert_forward(&src->bert, &bb, false);
  }
  if (s == KP_OK) {
    int64_t shape[2] = {n, C};
    kp_tensor host = kp_tensor_wrap(logits, KP_F32, kp_cpu(), 2, shape);
    s = kp_tensor_copy(&host, &src->bert.logits);
  }
  if (s == KP_OK) {
    for (int64_t i = 0; i < n * T; i++) ids64[i] = ids[i], mask64[i] = mask[i];
    int64_t sh_tok[2] = {n, T}, sh_log[2] = {n, C};
    kp_st_entry e[] = {{"input_ids", KP_ST_I64, 2, sh_tok, ids64},
                       {"attention_mask", KP_ST_I64, 2, sh_tok, mask64},
                       {"logits", KP_ST_F32, 2, sh_log, logits}};
    char ml[32];
    snprintf(ml, sizeof ml, "%d", (int)max_len);
    const char *meta[] = {"kind", "bert", "max_length", ml};
    s = kp_st_write(path, e, 3, meta, 2);
  }
  free(ids), free(mask), free(ids64), free(mask64), free(rows), free(logits);
  kp_wp_batch_free(&tok);
  kp_wordpiece_free(wp);
  lines_free(&L);
  return s;
}

static kp_status gnn_reference(export_src *src, const char *data_path, const char *path) {
  const kp_gnn_config *mc = &src->gnn.cfg;
  if (!data_path) data_path = src->cfg ? kp_config_string(src->cfg, "data.path") : NULL;
  if (!data_path) return kp_fail(KP_ERR_INVALID, "--reference for a GNN needs --data FILE.h5");
  kp_graph_data d = {0};
  kp_gnn_graph g = {0};
  float *x = NULL, *logits = NULL;
  bool graph = mc->task == KP_GNN_GRAPH, have_g = false;
  kp_status s = kp_graph_data_load(data_path, &d);
  if (s == KP_OK && d.num_features != mc->in_dim)
    s = kp_fail(KP_ERR_INVALID, "%s: %lld features per node, the model takes %lld", data_path,
                (long long)d.num_features, (long long)mc->in_dim);
  if (s == KP_OK && graph && !d.graph_ptr)
    s = kp_fail(KP_ERR_INVALID, "%s: no graph_ptr, and the model classifies graphs", data_path);
  int64_t N = d.num_nodes, F = d.num_features, rows = graph ? d.num_graphs : N, C = mc->num_classes;
  if (s == KP_OK) {
    x = malloc(sizeof *x * (size_t)(N * F)), logits = malloc(sizeof *logits * (size_t)(rows * C));
    if (!x || !logits) s = kp_fail(KP_ERR_NOMEM, "reference: out of memory");
  }
  if (s == KP_OK) {
    memcpy(x, d.x, sizeof *x * (size_t)(N * F));
    if (src->cfg && kp_config_bool(src->cfg, "data.normalize_features")) kp_graph_normalize_features(x, N, F);
    s = kp_gnn_graph_init(&g, kp_cpu(), N, d.indptr, d.indices, d.edge_weight, graph ? d.num_graphs : 0,
                          graph ? d.graph_ptr : NULL, kp_gnn_graph_flags(mc));
    have_g = s == KP_OK;
  }
  if (s == KP_OK) {
    int64_t shape[2] = {N, F};
    kp_tensor xt = kp_tensor_wrap(x, KP_F32, kp_cpu(), 2, shape);
    s = kp_gnn_forward(&src->gnn, &g, &xt, false);
    if (s == KP_OK) {
      int64_t ls[2] = {rows, C};
      kp_tensor host = kp_tensor_wrap(logits, KP_F32, kp_cpu(), 2, ls);
      s = kp_tensor_copy(&host, &src->gnn.logits);
    }
  }
  if (s == KP_OK) {
    int64_t sx[2] = {N, F}, sp[1] = {N + 1}, se[1] = {d.num_edges}, sg[1] = {d.num_graphs + 1}, sl[2] = {rows, C};
    kp_st_entry e[6];
    size_t k = 0;
    e[k++] = (kp_st_entry){"x", KP_ST_F32, 2, sx, d.x};
    e[k++] = (kp_st_entry){"indptr", KP_ST_I32, 1, sp, d.indptr};
    e[k++] = (kp_st_entry){"indices", KP_ST_I32, 1, se, d.indices};
    if (d.edge_weight) e[k++] = (kp_st_entry){"edge_weight", KP_ST_F32, 1, se, d.edge_weight};
    if (graph) e[k++] = (kp_st_entry){"graph_ptr", KP_ST_I32, 1, sg, d.graph_ptr};
    e[k++] = (kp_st_entry){"logits", KP_ST_F32, 2, sl, logits};
    const char *meta[] = {"kind", "gnn"};
    s = kp_st_write(path, e, k, meta, 1);
  }
  if (have_g) kp_gnn_graph_free(&g);
  free(x), free(logits);
  kp_graph_data_free(&d);
  return s;
}

kp_status export_reference(export_src *src, const char *lines_path, const char *data_path, const char *path) {
  return src->kind == EXPORT_BERT ? bert_reference(src, lines_path, path) : gnn_reference(src, data_path, path);
}
