/* BERT forward (embeddings, encoder, pooler, classifier), cross-entropy and the backward that walks the same
 * steps in reverse, accumulating into the flat gradient buffer. */
#include "models/bert_internal.h"

/* Checks a host batch against the config; errors name the first bad element. */
static kp_status check_batch(const kp_bert *m, const kp_bert_batch *b) {
  const kp_bert_config *c = &m->cfg;
  if (!b || !b->input_ids) return kp_fail(KP_ERR_INVALID, "bert forward: a batch with input_ids is required");
  if (b->B < 1 || b->T < 1)
    return kp_fail(KP_ERR_INVALID, "bert forward: batch is [%lld, %lld], both sizes must be >= 1", (long long)b->B,
                   (long long)b->T);
  if (b->T > c->max_position_embeddings)
    return kp_fail(KP_ERR_INVALID, "bert forward: length %lld exceeds max_position_embeddings %d", (long long)b->T,
                   c->max_position_embeddings);
  for (int64_t r = 0; r < b->B; r++) {
    bool any = false;
    for (int64_t t = 0; t < b->T; t++) {
      int64_t i = r * b->T + t;
      int32_t id = b->input_ids[i];
      if (id < 0 || id >= c->vocab_size)
        return kp_fail(KP_ERR_INVALID, "bert forward: input_ids[%lld][%lld] = %d is outside [0, %d)", (long long)r,
                       (long long)t, id, c->vocab_size);
      if (b->token_type_ids && (b->token_type_ids[i] < 0 || b->token_type_ids[i] >= c->type_vocab_size))
        return kp_fail(KP_ERR_INVALID, "bert forward: token_type_ids[%lld][%lld] = %d is outside [0, %d)",
                       (long long)r, (long long)t, b->token_type_ids[i], c->type_vocab_size);
      int32_t mk = b->attention_mask ? b->attention_mask[i] : 1;
      if (mk != 0 && mk != 1)
        return kp_fail(KP_ERR_INVALID, "bert forward: attention_mask[%lld][%lld] = %d, must be 0 or 1", (long long)r,
                       (long long)t, mk);
      any |= mk == 1;
    }
    /* HF's additive mask would give such a row uniform attention over padding; a masked softmax gives zeros */
    if (!any) return kp_fail(KP_ERR_INVALID, "bert forward: attention_mask row %lld has no token", (long long)r);
  }
  return KP_OK;
}

static kp_status upload(kp_tensor *dst, const int32_t *src, int32_t fill) {
  if (!src) return kp_tensor_fill(dst, fill);
  kp_tensor h = kp_tensor_wrap((void *)src, KP_I32, kp_cpu(), dst->ndim, dst->shape);
  return kp_tensor_copy(dst, &h);
}

static kp_status dropout(kp_bert *m, kp_tensor *y, const kp_tensor *x, float p, uint64_t *at) {
  *at = m->drop_offset;
  KP_TRY(kp_dropout_fwd(y, x, p, m->fwd_seed, m->drop_offset));
  m->drop_offset += kp_philox_blocks((uint64_t)kp_tensor_numel(x));
  return KP_OK;
}

/* The input of layer l as its forward saw it. */
static const kp_tensor *layer_input(const kp_bert *m, int l) {
  if (l > 0) return &m->layers[l - 1].out;
  return m->drop_h ? &m->emb_out : &m->emb_ln;
}

kp_status kp_bert_forward(kp_bert *m, const kp_bert_batch *b, bool training) {
  m->have_fwd = m->have_loss = false;
  KP_TRY(check_batch(m, b));
  KP_TRY(kp_bert_plan(m, b->B, b->T, training));
  m->B = b->B;
  m->T = b->T;
  m->training = training;
  m->fwd_seed = m->drop_seed;
  m->drop_h = training && m->hidden_dropout > 0.0f;
  m->drop_a = training && m->attn_dropout > 0.0f;
  m->drop_c = training && m->classifier_dropout > 0.0f;
  KP_TRY(upload(&m->ids, b->input_ids, 0));
  KP_TRY(upload(&m->types, b->token_type_ids, 0));
  KP_TRY(upload(&m->mask, b->attention_mask, 1));
  /* embeddings: word + token type, + position (HF's order), LayerNorm, dropout */
  const kp_params *p = &m->params;
  kp_tensor t = kp_pv(p, m->p_word);
  KP_TRY(kp_embedding_fwd(&m->emb, &m->ids, &t));
  t = kp_pv(p, m->p_type);
  KP_TRY(kp_embedding_fwd(&m->emb_ln, &m->types, &t));
  KP_TRY(kp_add_fwd(&m->emb, &m->emb, &m->emb_ln));
  t = kp_pv(p, m->p_pos);
  KP_TRY(kp_embedding_fwd(&m->emb_ln, &m->pos_ids, &t));
  KP_TRY(kp_add_fwd(&m->emb, &m->emb, &m->emb_ln));
  kp_tensor g = kp_pv(p, m->p_eln), be = kp_pv(p, m->p_elnb);
  KP_TRY(kp_layernorm_fwd(&m->emb_ln, &m->emb_mean, &m->emb_rstd, &m->emb, &g, &be, m->cfg.layer_norm_eps));
  if (m->drop_h) KP_TRY(dropout(m, &m->emb_out, &m->emb_ln, m->hidden_dropout, &m->drop_emb));
  for (int l = 0; l < m->cfg.num_hidden_layers; l++) KP_TRY(kp_bert_layer_fwd(m, l, layer_input(m, l)));
  /* pooler on [CLS], classifier */
  if (m->parts & KP_BERT_POOLER) {
    const kp_tensor *last = &m->layers[m->cfg.num_hidden_layers - 1].out;
    KP_TRY(kp_gather_fwd(&m->cls, last, &m->cls_idx));
    kp_tensor w = kp_pv(p, m->p_pool), bias = kp_pv(p, m->p_poolb);
    KP_TRY(kp_linear_fwd(&m->pooled, &m->pool_pre, &m->cls, &w, &bias, KP_ACT_TANH, 0.0f));
  }
  if (m->parts & KP_BERT_CLASSIFIER) {
    const kp_tensor *in = &m->pooled;
    if (m->drop_c) {
      KP_TRY(dropout(m, &m->pooled_drop, &m->pooled, m->classifier_dropout, &m->drop_cls));
      in = &m->pooled_drop;
    }
    kp_tensor w = kp_pv(p, m->p_cls), bias = kp_pv(p, m->p_clsb);
    KP_TRY(kp_linear_fwd(&m->logits, NULL, in, &w, &bias, KP_ACT_NONE, 0.0f));
  }
  m->have_fwd = true;
  return KP_OK;
}

kp_status kp_bert_loss(kp_bert *m, const int32_t *labels, const kp_tensor *class_weights, float *loss) {
  m->have_loss = false;
  if (!m->have_fwd) return kp_fail(KP_ERR_INVALID, "bert loss: no forward was run");
  if (!(m->parts & KP_BERT_CLASSIFIER)) return kp_fail(KP_ERR_INVALID, "bert loss: the model has no classifier");
  if (!labels) return kp_fail(KP_ERR_INVALID, "bert loss: labels are required");
  for (int64_t i = 0; i < m->B; i++)
    if (labels[i] != KP_BERT_IGNORE && (labels[i] < 0 || labels[i] >= m->cfg.num_labels))
      return kp_fail(KP_ERR_INVALID, "bert loss: labels[%lld] = %d is outside [0, %d)", (long long)i, labels[i],
                     m->cfg.num_labels);
  KP_TRY(upload(&m->labels, labels, 0));
  KP_TRY(kp_cross_entropy_fwd(&m->loss, &m->probs, &m->logits, &m->labels, class_weights, 0.0f, KP_BERT_IGNORE));
  m->have_loss = true;
  if (!loss) return KP_OK;
  int64_t one = 1;
  kp_tensor h = kp_tensor_wrap(loss, KP_F32, kp_cpu(), 1, &one);
  return kp_tensor_copy(&h, &m->loss);
}

kp_status kp_bert_backward(kp_bert *m, const kp_tensor *class_weights) {
  if (!m->have_loss) return kp_fail(KP_ERR_INVALID, "bert backward: no loss was computed after the last forward");
  KP_TRY(kp_tensor_fill(&m->dlogits, 0.0));
  KP_TRY(kp_cross_entropy_bwd(&m->dlogits, &m->probs, &m->labels, class_weights, 0.0f, KP_BERT_IGNORE, 1.0f));
  return kp_bert_backward_hidden(m, NULL, &m->dlogits);
}

kp_status kp_bert_backward_from(kp_bert *m, const kp_tensor *dlogits) {
  if (!dlogits) return kp_fail(KP_ERR_INVALID, "bert backward: dlogits is required");
  return kp_bert_backward_hidden(m, NULL, dlogits);
}

kp_status kp_bert_backward_hidden(kp_bert *m, const kp_tensor *dhidden, const kp_tensor *dlogits) {
  if (!m->have_fwd || !m->training)
    return kp_fail(KP_ERR_INVALID, "bert backward: the last forward was not a training forward");
  if (dlogits && !(m->parts & KP_BERT_CLASSIFIER))
    return kp_fail(KP_ERR_INVALID, "bert backward: dlogits given but the model has no classifier");
  kp_params *p = &m->params;
  KP_TRY(kp_tensor_fill(&m->g_x0, 0.0));
  if (dhidden) KP_TRY(kp_axpy(&m->g_x0, 1.0f, dhidden));
  if (dlogits) {
    kp_tensor w = kp_pv(p, m->p_cls), gw = kp_pg(p, m->p_cls), gb = kp_pg(p, m->p_clsb);
    KP_TRY(kp_tensor_fill(&m->g_pool, 0.0));
    const kp_tensor *in = m->drop_c ? &m->pooled_drop : &m->pooled;
    KP_TRY(kp_linear_bwd(&m->g_pool, &gw, &gb, dlogits, NULL, in, &w, KP_ACT_NONE, 0.0f));
    const kp_tensor *gp = &m->g_pool;
    if (m->drop_c) {
      KP_TRY(kp_tensor_fill(&m->g_pool2, 0.0));
      KP_TRY(kp_dropout_bwd(&m->g_pool2, &m->g_pool, m->classifier_dropout, m->fwd_seed, m->drop_cls));
      gp = &m->g_pool2;
    }
    w = kp_pv(p, m->p_pool);
    gw = kp_pg(p, m->p_pool);
    gb = kp_pg(p, m->p_poolb);
    KP_TRY(kp_tensor_fill(&m->g_cls, 0.0));
    KP_TRY(kp_linear_bwd(&m->g_cls, &gw, &gb, gp, &m->pool_pre, &m->cls, &w, KP_ACT_TANH, 0.0f));
    KP_TRY(kp_gather_bwd(&m->g_x0, &m->g_cls, &m->cls_idx));
  }
  kp_tensor *gout = &m->g_x0, *gin = &m->g_x1;
  for (int l = m->cfg.num_hidden_layers - 1; l >= 0; l--) {
    KP_TRY(kp_bert_layer_bwd(m, l, layer_input(m, l), gout, gin));
    kp_tensor *tmp = gout;
    gout = gin;
    gin = tmp;
  }
  /* gout: gradient of the embeddings' output */
  const kp_tensor *gln = gout;
  if (m->drop_h) {
    KP_TRY(kp_tensor_fill(&m->g_a, 0.0));
    KP_TRY(kp_dropout_bwd(&m->g_a, gout, m->hidden_dropout, m->fwd_seed, m->drop_emb));
    gln = &m->g_a;
  }
  kp_tensor gamma = kp_pv(p, m->p_eln), gg = kp_pg(p, m->p_eln), gb = kp_pg(p, m->p_elnb);
  KP_TRY(kp_tensor_fill(&m->g_b, 0.0));
  KP_TRY(kp_layernorm_bwd(&m->g_b, &gg, &gb, gln, &m->emb, &m->emb_mean, &m->emb_rstd, &gamma));
  kp_tensor gt = kp_pg(p, m->p_word);
  KP_TRY(kp_embedding_bwd(&gt, &m->g_b, &m->ids));
  gt = kp_pg(p, m->p_pos);
  KP_TRY(kp_embedding_bwd(&gt, &m->g_b, &m->pos_ids));
  gt = kp_pg(p, m->p_type);
  KP_TRY(kp_embedding_bwd(&gt, &m->g_b, &m->types));
  return KP_OK;
}
