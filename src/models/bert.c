/* BERT model setup: parameters declared with HF's names, loading from a checkpoint, and the arena plan
 * (saved activations, backward scratch and the index tables of a [B, T] batch). */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "models/bert_internal.h"

static int find(const kp_params *p, const char *fmt, int l) {
  char name[KP_PARAM_NAME_MAX];
  snprintf(name, sizeof name, fmt, l);
  return kp_params_find(p, name);
}

static void find_layer(kp_bert *m, int l) {
  const kp_params *p = &m->params;
  kp_bert_layer *L = &m->layers[l];
  L->p_q = find(p, "encoder.layer.%d.attention.self.query.weight", l);
  L->p_qb = find(p, "encoder.layer.%d.attention.self.query.bias", l);
  L->p_k = find(p, "encoder.layer.%d.attention.self.key.weight", l);
  L->p_kb = find(p, "encoder.layer.%d.attention.self.key.bias", l);
  L->p_v = find(p, "encoder.layer.%d.attention.self.value.weight", l);
  L->p_vb = find(p, "encoder.layer.%d.attention.self.value.bias", l);
  L->p_ao = find(p, "encoder.layer.%d.attention.output.dense.weight", l);
  L->p_aob = find(p, "encoder.layer.%d.attention.output.dense.bias", l);
  L->p_ln1 = find(p, "encoder.layer.%d.attention.output.LayerNorm.weight", l);
  L->p_ln1b = find(p, "encoder.layer.%d.attention.output.LayerNorm.bias", l);
  L->p_in = find(p, "encoder.layer.%d.intermediate.dense.weight", l);
  L->p_inb = find(p, "encoder.layer.%d.intermediate.dense.bias", l);
  L->p_out = find(p, "encoder.layer.%d.output.dense.weight", l);
  L->p_outb = find(p, "encoder.layer.%d.output.dense.bias", l);
  L->p_ln2 = find(p, "encoder.layer.%d.output.LayerNorm.weight", l);
  L->p_ln2b = find(p, "encoder.layer.%d.output.LayerNorm.bias", l);
}

kp_status kp_bert_init(kp_bert *m, const kp_bert_config *cfg, unsigned parts, kp_device dev) {
  memset(m, 0, sizeof *m);
  kp_params_init(&m->params, dev);
  kp_arena_init(&m->arena);
  KP_TRY(kp_bert_config_check(cfg, "bert"));
  if ((parts & KP_BERT_CLASSIFIER) && !(parts & KP_BERT_POOLER))
    return kp_fail(KP_ERR_INVALID, "bert: the classifier reads the pooler's output: declare KP_BERT_POOLER too");
  if (cfg->num_hidden_layers > KP_BERT_MAX_LAYERS)
    return kp_fail(KP_ERR_INVALID, "bert: num_hidden_layers = %d, at most %d are supported", cfg->num_hidden_layers,
                   KP_BERT_MAX_LAYERS);
  m->cfg = *cfg;
  m->cfg.id2label = NULL;
  if (!(parts & KP_BERT_CLASSIFIER)) m->cfg.num_labels = 0;
  m->parts = parts;
  m->hidden_dropout = cfg->hidden_dropout_prob;
  m->attn_dropout = cfg->attention_probs_dropout_prob;
  m->classifier_dropout = cfg->hidden_dropout_prob;
  kp_status s = kp_bert_declare(&m->params, &m->cfg, parts);
  if (s == KP_OK) s = kp_params_alloc(&m->params);
  if (s != KP_OK) {
    kp_bert_free(m);
    return s;
  }
  const kp_params *p = &m->params;
  m->p_word = kp_params_find(p, "embeddings.word_embeddings.weight");
  m->p_pos = kp_params_find(p, "embeddings.position_embeddings.weight");
  m->p_type = kp_params_find(p, "embeddings.token_type_embeddings.weight");
  m->p_eln = kp_params_find(p, "embeddings.LayerNorm.weight");
  m->p_elnb = kp_params_find(p, "embeddings.LayerNorm.bias");
  m->p_pool = kp_params_find(p, "pooler.dense.weight");
  m->p_poolb = kp_params_find(p, "pooler.dense.bias");
  m->p_cls = kp_params_find(p, "classifier.weight");
  m->p_clsb = kp_params_find(p, "classifier.bias");
  for (int l = 0; l < cfg->num_hidden_layers; l++) find_layer(m, l);
  m->B = m->T = -1;
  return KP_OK;
}

void kp_bert_free(kp_bert *m) {
  if (!m) return;
  kp_arena_free(&m->arena);
  kp_params_free(&m->params);
  m->have_fwd = m->have_loss = false;
}

kp_status kp_bert_from_hf(kp_bert *m, const kp_hf_bert *h, int num_labels, kp_device dev, uint64_t seed) {
  kp_bert_config c = *kp_hf_bert_config(h);
  c.id2label = NULL;
  unsigned file = kp_hf_bert_parts(h), skip = 0;
  int file_labels = 0;
  if (file & KP_BERT_CLASSIFIER) file_labels = (int)kp_hf_bert_tensor(h, "classifier.weight")->shape[0];
  if (num_labels > 0) {
    c.num_labels = num_labels;
    if (file_labels != num_labels) skip = KP_BERT_CLASSIFIER;
  } else {
    c.num_labels = file_labels;
  }
  unsigned parts = KP_BERT_POOLER | (c.num_labels > 0 ? KP_BERT_CLASSIFIER : 0);
  KP_TRY(kp_bert_init(m, &c, parts, dev));
  kp_rng r = kp_rng_make(seed);
  kp_status s = kp_params_init_values(&m->params, &r);
  if (s == KP_OK) s = kp_hf_bert_load_params(h, &m->params, skip, NULL);
  if (s != KP_OK) kp_bert_free(m);
  return s;
}

/* Host index tables of a [B, T] batch with nh heads, uploaded into the arena's i32 tensors. */
static kp_status upload_tables(kp_bert *m, int64_t B, int64_t T) {
  const int64_t nh = m->cfg.num_attention_heads, N = B * T;
  int32_t *h = malloc((size_t)(N * nh) * sizeof *h);
  if (!h) return kp_fail(KP_ERR_NOMEM, "bert: out of memory for the index tables of a [%lld, %lld] batch",
                         (long long)B, (long long)T);
  kp_status s = KP_OK;
  kp_tensor ht;
  /* split: head row (b, head, t) reads row (b, t, head) of q seen as [N * nh, d]; merge is the inverse */
  for (int64_t b = 0; b < B; b++)
    for (int64_t j = 0; j < nh; j++)
      for (int64_t t = 0; t < T; t++) h[(b * nh + j) * T + t] = (int32_t)((b * T + t) * nh + j);
  ht = kp_tensor_wrap(h, KP_I32, kp_cpu(), 1, m->split_idx.shape);
  s = kp_tensor_copy(&m->split_idx, &ht);
  for (int64_t b = 0; b < B && s == KP_OK; b++)
    for (int64_t t = 0; t < T; t++)
      for (int64_t j = 0; j < nh; j++) h[(b * T + t) * nh + j] = (int32_t)((b * nh + j) * T + t);
  ht = kp_tensor_wrap(h, KP_I32, kp_cpu(), 1, m->merge_idx.shape);
  if (s == KP_OK) s = kp_tensor_copy(&m->merge_idx, &ht);
  for (int64_t i = 0; i < N; i++) h[i] = (int32_t)(i % T);
  ht = kp_tensor_wrap(h, KP_I32, kp_cpu(), 1, m->pos_ids.shape);
  if (s == KP_OK) s = kp_tensor_copy(&m->pos_ids, &ht);
  for (int64_t b = 0; b < B; b++) h[b] = (int32_t)(b * T);
  ht = kp_tensor_wrap(h, KP_I32, kp_cpu(), 1, m->cls_idx.shape);
  if (s == KP_OK) s = kp_tensor_copy(&m->cls_idx, &ht);
  free(h);
  return s;
}

/* Layer l's tensors. Those the backward does not read (q, k, v before the head split, ctxh before the merge) or
 * recomputes (the GELU output, the dropped probabilities) live once, in layer 0's entries (shared = true), and the
 * other layers point at them (finish_layer). */
static void take_layer(kp_plan *pl, kp_bert_layer *L, int64_t B, int64_t T, const kp_bert_config *c, bool attn_drop,
                       bool shared) {
  const int64_t N = B * T, H = c->hidden_size, I = c->intermediate_size, nh = c->num_attention_heads;
  const int64_t sN = shared ? N : 0;
  kp_plan_take(pl, &L->q, KP_F32, sN, H);
  kp_plan_take(pl, &L->k, KP_F32, sN, H);
  kp_plan_take(pl, &L->v, KP_F32, sN, H);
  kp_plan_take(pl, &L->qh, KP_F32, N, H);
  kp_plan_take(pl, &L->kh, KP_F32, N, H);
  kp_plan_take(pl, &L->vh, KP_F32, N, H);
  kp_plan_take(pl, &L->probs, KP_F32, B * nh * T, T);
  kp_plan_take(pl, &L->probs_drop, KP_F32, attn_drop && shared ? B * nh * T : 0, T);
  kp_plan_take(pl, &L->ctxh, KP_F32, sN, H);
  kp_plan_take(pl, &L->ctx, KP_F32, N, H);
  kp_plan_take(pl, &L->res1, KP_F32, N, H);
  kp_plan_take(pl, &L->mean1, KP_F32, N, -1);
  kp_plan_take(pl, &L->rstd1, KP_F32, N, -1);
  kp_plan_take(pl, &L->ln1, KP_F32, N, H);
  kp_plan_take(pl, &L->pre, KP_F32, N, I);
  kp_plan_take(pl, &L->act, KP_F32, sN, I);
  kp_plan_take(pl, &L->res2, KP_F32, N, H);
  kp_plan_take(pl, &L->mean2, KP_F32, N, -1);
  kp_plan_take(pl, &L->rstd2, KP_F32, N, -1);
  kp_plan_take(pl, &L->out, KP_F32, N, H);
}

/* Layer l's views of layer 0's shared tensors, and the attention tensors seen as [B*heads, T, d] and
 * [B*heads, T, T]. */
static void finish_layer(kp_bert_layer *L, const kp_bert_layer *L0, int64_t B, int64_t T, const kp_bert_config *c,
                         bool attn_drop) {
  const int64_t N = B * T, H = c->hidden_size, I = c->intermediate_size, nh = c->num_attention_heads;
  int64_t hs[3] = {B * nh, T, H / nh}, ps[3] = {B * nh, T, T}, ns[2] = {N, H}, is[2] = {N, I};
  kp_device dev = L0->qh.device;
  L->q = kp_tensor_wrap(L0->q.data, KP_F32, dev, 2, ns);
  L->k = kp_tensor_wrap(L0->k.data, KP_F32, dev, 2, ns);
  L->v = kp_tensor_wrap(L0->v.data, KP_F32, dev, 2, ns);
  L->act = kp_tensor_wrap(L0->act.data, KP_F32, dev, 2, is);
  L->ctxh = kp_tensor_wrap(L0->ctxh.data, KP_F32, dev, 3, hs);
  kp_tensor *heads[3] = {&L->qh, &L->kh, &L->vh};
  for (int i = 0; i < 3; i++) *heads[i] = kp_tensor_wrap(heads[i]->data, KP_F32, dev, 3, hs);
  L->probs = kp_tensor_wrap(L->probs.data, KP_F32, dev, 3, ps);
  if (attn_drop) L->probs_drop = kp_tensor_wrap(L0->probs_drop.data, KP_F32, dev, 3, ps);
}

kp_status kp_bert_plan(kp_bert *m, int64_t B, int64_t T, bool training) {
  const kp_bert_config *c = &m->cfg;
  const int64_t N = B * T, H = c->hidden_size, I = c->intermediate_size, nh = c->num_attention_heads;
  const int64_t C = m->cfg.num_labels > 0 ? m->cfg.num_labels : 1, nl = c->num_hidden_layers;
  const bool tr = training;
  if (kp_arena_ready(&m->arena, B, T, tr ? 1 : 0)) return KP_OK;
  for (;;) {
    kp_plan pl;
    bool again;
    kp_plan_begin(&pl, &m->arena, m->params.device);
    kp_plan_take(&pl, &m->ids, KP_I32, N, -1);
    kp_plan_take(&pl, &m->types, KP_I32, N, -1);
    kp_plan_take(&pl, &m->mask, KP_I32, B, T);
    kp_plan_take(&pl, &m->pos_ids, KP_I32, N, -1);
    kp_plan_take(&pl, &m->labels, KP_I32, B, -1);
    kp_plan_take(&pl, &m->split_idx, KP_I32, N * nh, -1);
    kp_plan_take(&pl, &m->merge_idx, KP_I32, N * nh, -1);
    kp_plan_take(&pl, &m->cls_idx, KP_I32, B, -1);
    kp_plan_take(&pl, &m->emb, KP_F32, N, H);
    kp_plan_take(&pl, &m->emb_mean, KP_F32, N, -1);
    kp_plan_take(&pl, &m->emb_rstd, KP_F32, N, -1);
    kp_plan_take(&pl, &m->emb_ln, KP_F32, N, H);
    kp_plan_take(&pl, &m->emb_out, KP_F32, tr ? N : 0, H);
    /* training keeps every layer; inference runs all layers in layer 0's buffers */
    for (int l = 0; l < (tr ? nl : 1); l++) take_layer(&pl, &m->layers[l], B, T, c, tr, l == 0);
    kp_plan_take(&pl, &m->cls, KP_F32, B, H);
    kp_plan_take(&pl, &m->pool_pre, KP_F32, B, H);
    kp_plan_take(&pl, &m->pooled, KP_F32, B, H);
    kp_plan_take(&pl, &m->pooled_drop, KP_F32, tr ? B : 0, H);
    kp_plan_take(&pl, &m->logits, KP_F32, B, C);
    kp_plan_take(&pl, &m->probs, KP_F32, B, C);
    kp_plan_take(&pl, &m->dlogits, KP_F32, B, C);
    kp_plan_take(&pl, &m->loss, KP_F32, 1, -1);
    const int64_t gN = tr ? N : 0, gB = tr ? B : 0;
    /* g_q, g_k, g_v, g_e and g_p2 are the shared q, k, v, ctxh and probs_drop (set below): the backward reads none
     * of those, and it has used the recomputed probs_drop before it writes g_p2 */
    kp_tensor *gh[6] = {&m->g_x0, &m->g_x1, &m->g_a, &m->g_b, &m->g_c, &m->g_d};
    for (int i = 0; i < 6; i++) kp_plan_take(&pl, gh[i], KP_F32, gN, H);
    kp_plan_take(&pl, &m->g_inter, KP_F32, gN, I);
    kp_plan_take(&pl, &m->g_p1, KP_F32, tr ? B * nh * T : 0, T);
    kp_plan_take(&pl, &m->g_pool, KP_F32, gB, H);
    kp_plan_take(&pl, &m->g_pool2, KP_F32, gB, H);
    kp_plan_take(&pl, &m->g_cls, KP_F32, gB, H);
    KP_TRY(kp_plan_end(&pl, &again, B, T, tr ? 1 : 0));
    if (!again) break;
    /* the arena grew: its old block sits in the pool's cache, where nothing else of its size will want it */
    kp_pool_trim(m->params.device);
  }
  kp_bert_layer *L0 = &m->layers[0];
  for (int l = 0; l < (tr ? nl : 1); l++) finish_layer(&m->layers[l], L0, B, T, c, tr);
  if (!tr) { /* the views of layer 0 (everything after its parameter entries) */
    size_t at = offsetof(kp_bert_layer, q);
    for (int l = 1; l < nl; l++) memcpy((char *)&m->layers[l] + at, (char *)L0 + at, sizeof(kp_bert_layer) - at);
  } else {
    int64_t hs[3] = {B * nh, T, H / nh}, ps[3] = {B * nh, T, T};
    const kp_tensor *src[4] = {&L0->q, &L0->k, &L0->v, &L0->ctxh};
    kp_tensor *g3[4] = {&m->g_q, &m->g_k, &m->g_v, &m->g_e};
    for (int i = 0; i < 4; i++) *g3[i] = kp_tensor_wrap(src[i]->data, KP_F32, src[i]->device, 3, hs);
    m->g_p1 = kp_tensor_wrap(m->g_p1.data, KP_F32, m->g_p1.device, 3, ps);
    m->g_p2 = kp_tensor_wrap(L0->probs_drop.data, KP_F32, L0->probs_drop.device, 3, ps);
  }
  return upload_tables(m, B, T);
}
