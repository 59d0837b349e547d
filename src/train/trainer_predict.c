/* Scoring graphs that are not the trainer's dataset (kprca-infer --incident): the same batch upload,
 * evaluation-mode forward and softmax as evaluation, on a graph-classification dataset of the same
 * feature width. */
#include <stdlib.h>
#include <string.h>

#include "kprca/softmax.h"
#include "train/trainer_internal.h"

kp_status kp_trainer_predict_graphs(kp_trainer *t, const kp_graph_data *d, float *probs) {
  if (t->task != KP_GNN_GRAPH || d->task != KP_TASK_GRAPH)
    return kp_fail(KP_ERR_INVALID, "predict: graphs need a graph-classification model and dataset");
  if (d->num_features != t->data.num_features)
    return kp_fail(KP_ERR_INVALID, "predict: the graphs have %lld features, the model %lld", (long long)d->num_features,
                   (long long)t->data.num_features);
  if (kp_config_bool(t->st.cfg, "data.normalize_features"))
    return kp_fail(KP_ERR_UNSUPPORTED, "predict: data.normalize_features uses the whole dataset's minimum; scoring "
                   "new graphs with it is not supported");
  int64_t G = d->num_graphs, C = t->num_classes;
  int32_t *ids = malloc(sizeof *ids * (size_t)(t->eval_batch > 0 ? t->eval_batch : 1));
  if (!ids) return kp_fail(KP_ERR_NOMEM, "predict: out of memory");
  kp_graph_batch b;
  memset(&b, 0, sizeof b);
  kp_status s = KP_OK;
  for (int64_t k0 = 0; k0 < G && s == KP_OK; k0 += t->eval_batch) {
    int64_t nb = G - k0 < t->eval_batch ? G - k0 : t->eval_batch;
    for (int64_t k = 0; k < nb; k++) ids[k] = (int32_t)(k0 + k);
    s = kp_graph_batch_gather(&b, d, ids, nb);
    kp_gnn_graph g;
    kp_tensor x, y;
    if (s == KP_OK) s = kp_graph_batch_upload(&b, t->st.dev, t->graph_flags, &g, &x, &y);
    if (s != KP_OK) break;
    s = kp_gnn_forward(&t->model, &g, &x, false);
    if (s == KP_OK) s = kp_softmax_fwd(&t->model.probs, &t->model.logits, NULL, 1.0f);
    if (s == KP_OK) {
      int64_t shape[2] = {nb, C};
      kp_tensor h = kp_tensor_wrap(probs + k0 * C, KP_F32, kp_cpu(), 2, shape);
      s = kp_tensor_copy(&h, &t->model.probs);
    }
    kp_gnn_graph_free(&g);
    kp_tensor_free(&x);
    kp_tensor_free(&y);
  }
  kp_graph_batch_free(&b);
  free(ids);
  return s;
}
