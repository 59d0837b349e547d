/* Sentence embeddings from the encoder: [CLS] hidden state, the tanh pooler, or the masked mean of the last
 * hidden state (sentence-transformers' Pooling(mean) + Normalize, as all-MiniLM-L6-v2 uses them). */
#include <math.h>
#include <stdlib.h>
#include "models/bert_internal.h"

/* Masked mean on the device: token rows scatter into their sentence's row, padding into an extra row B. */
static kp_status mean_pool(kp_bert *m, const kp_bert_batch *b, kp_tensor *host_out) {
  const int64_t B = b->B, T = b->T, N = B * T, H = m->cfg.hidden_size;
  kp_device dev = m->params.device;
  int32_t *seg = malloc((size_t)N * sizeof *seg);
  if (!seg) return kp_fail(KP_ERR_NOMEM, "bert embed: out of memory");
  for (int64_t i = 0; i < N; i++) seg[i] = (int32_t)(!b->attention_mask || b->attention_mask[i] ? i / T : B);
  kp_tensor idx = {0}, y = {0};
  int64_t sy[2] = {B + 1, H};
  kp_tensor hs = kp_tensor_wrap(seg, KP_I32, kp_cpu(), 1, &N);
  kp_status s = kp_tensor_alloc(&idx, KP_I32, dev, 1, &N);
  if (s == KP_OK) s = kp_tensor_copy(&idx, &hs);
  if (s == KP_OK) s = kp_tensor_alloc(&y, KP_F32, dev, 2, sy);
  if (s == KP_OK) s = kp_scatter_fwd(&y, NULL, &m->layers[m->cfg.num_hidden_layers - 1].out, &idx, KP_REDUCE_MEAN);
  if (s == KP_OK) {
    kp_tensor first = kp_tensor_wrap(y.data, KP_F32, dev, 2, host_out->shape); /* rows 0 .. B-1 */
    s = kp_tensor_copy(host_out, &first);
  }
  kp_tensor_free(&idx);
  kp_tensor_free(&y);
  free(seg);
  return s;
}

kp_status kp_bert_embed(kp_bert *m, const kp_bert_batch *b, kp_bert_pool pool, bool normalize, float *out) {
  if (!out) return kp_fail(KP_ERR_INVALID, "bert embed: out is required");
  if (pool == KP_BERT_POOL_POOLER && !(m->parts & KP_BERT_POOLER))
    return kp_fail(KP_ERR_INVALID, "bert embed: pooler pooling needs a model with a pooler");
  if (pool != KP_BERT_POOL_CLS && pool != KP_BERT_POOL_POOLER && pool != KP_BERT_POOL_MEAN)
    return kp_fail(KP_ERR_INVALID, "bert embed: unknown pooling %d", (int)pool);
  KP_TRY(kp_bert_forward(m, b, false));
  const int64_t B = b->B, H = m->cfg.hidden_size;
  int64_t sh[2] = {B, H};
  kp_tensor h = kp_tensor_wrap(out, KP_F32, kp_cpu(), 2, sh);
  if (pool == KP_BERT_POOL_MEAN) {
    KP_TRY(mean_pool(m, b, &h));
  } else if (pool == KP_BERT_POOL_POOLER) {
    KP_TRY(kp_tensor_copy(&h, &m->pooled));
  } else {
    KP_TRY(kp_gather_fwd(&m->cls, &m->layers[m->cfg.num_hidden_layers - 1].out, &m->cls_idx));
    KP_TRY(kp_tensor_copy(&h, &m->cls));
  }
  if (normalize)
    for (int64_t r = 0; r < B; r++) {
      float *row = out + r * H;
      double ss = 0.0;
      for (int64_t j = 0; j < H; j++) ss += (double)row[j] * row[j];
      float inv = (float)(1.0 / fmax(sqrt(ss), 1e-12));
      for (int64_t j = 0; j < H; j++) row[j] *= inv;
    }
  return KP_OK;
}
