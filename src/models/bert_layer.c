/* One post-LN BERT encoder layer, forward and backward, as transformers' BertLayer computes it:
 *   q, k, v = x Wq^T + bq, ...            split into heads [B*heads, T, d] (a row gather)
 *   probs   = softmax(q k^T / sqrt(d))    masked keys get 0 (HF adds the dtype's min: the same result
 *                                         whenever a row keeps one key, which kp_bert_forward checks)
 *   ctx     = dropout(probs) v            merged back to [B*T, H] (the inverse gather)
 *   ln1     = LayerNorm(dropout(ctx Wo^T + bo) + x)
 *   out     = LayerNorm(dropout(gelu(ln1 Win^T + bin) Wout^T + bout) + ln1)
 * The backward regenerates dropout masks from (seed, offset) instead of storing them; the dropped probabilities and
 * the GELU output live in buffers shared by all layers, so the backward recomputes them. */
#include <math.h>
#include "models/bert_internal.h"

/* A [rows, cols] view of t (which must hold rows * cols elements). */
static kp_tensor as2(const kp_tensor *t, int64_t rows, int64_t cols) {
  int64_t s[2] = {rows, cols};
  return kp_tensor_wrap(t->data, t->dtype, t->device, 2, s);
}

static kp_status zero(kp_tensor *t) { return kp_tensor_fill(t, 0.0); }

/* Head split and merge: y = x's rows permuted by idx, both seen as [rows, d]. */
static kp_status permute(kp_tensor *y, const kp_tensor *x, const kp_tensor *idx, int64_t d) {
  int64_t rows = kp_tensor_numel(x) / d;
  kp_tensor x2 = as2(x, rows, d), y2 = as2(y, rows, d);
  return kp_gather_fwd(&y2, &x2, idx);
}

/* y = dropout(y) in place when on, recording the offset. */
static kp_status drop(kp_bert *m, kp_tensor *y, const kp_tensor *x, bool on, float p, uint64_t *at) {
  if (!on) return y == x ? KP_OK : kp_tensor_copy(y, x);
  *at = m->drop_offset;
  KP_TRY(kp_dropout_fwd(y, x, p, m->fwd_seed, m->drop_offset));
  m->drop_offset += kp_philox_blocks((uint64_t)kp_tensor_numel(x));
  return KP_OK;
}

kp_status kp_bert_layer_fwd(kp_bert *m, int l, const kp_tensor *x) {
  kp_bert_layer *L = &m->layers[l];
  const kp_params *p = &m->params;
  const int64_t d = m->cfg.hidden_size / m->cfg.num_attention_heads;
  const float scale = 1.0f / sqrtf((float)d);
  kp_tensor w, b;
#define LIN(y, pre, in, pw, pb, act)                                 \
  do {                                                               \
    w = kp_pv(p, pw);                                                \
    b = kp_pv(p, pb);                                                \
    KP_TRY(kp_linear_fwd(y, pre, in, &w, &b, act, 0.0f));            \
  } while (0)
  LIN(&L->q, NULL, x, L->p_q, L->p_qb, KP_ACT_NONE);
  LIN(&L->k, NULL, x, L->p_k, L->p_kb, KP_ACT_NONE);
  LIN(&L->v, NULL, x, L->p_v, L->p_vb, KP_ACT_NONE);
  KP_TRY(permute(&L->qh, &L->q, &m->split_idx, d));
  KP_TRY(permute(&L->kh, &L->k, &m->split_idx, d));
  KP_TRY(permute(&L->vh, &L->v, &m->split_idx, d));
  KP_TRY(kp_bmm(&L->probs, &L->qh, &L->kh, false, true, 1.0f, 0.0f));
  KP_TRY(kp_softmax_fwd(&L->probs, &L->probs, &m->mask, scale));
  const kp_tensor *pd = &L->probs;
  if (m->drop_a) {
    KP_TRY(drop(m, &L->probs_drop, &L->probs, true, m->attn_dropout, &L->drop_attn));
    pd = &L->probs_drop;
  }
  KP_TRY(kp_bmm(&L->ctxh, pd, &L->vh, false, false, 1.0f, 0.0f));
  KP_TRY(permute(&L->ctx, &L->ctxh, &m->merge_idx, d));
  LIN(&L->res1, NULL, &L->ctx, L->p_ao, L->p_aob, KP_ACT_NONE);
  KP_TRY(drop(m, &L->res1, &L->res1, m->drop_h, m->hidden_dropout, &L->drop_h1));
  KP_TRY(kp_add_fwd(&L->res1, &L->res1, x));
  kp_tensor g = kp_pv(p, L->p_ln1), be = kp_pv(p, L->p_ln1b);
  KP_TRY(kp_layernorm_fwd(&L->ln1, &L->mean1, &L->rstd1, &L->res1, &g, &be, m->cfg.layer_norm_eps));
  LIN(&L->act, &L->pre, &L->ln1, L->p_in, L->p_inb, KP_ACT_GELU);
  LIN(&L->res2, NULL, &L->act, L->p_out, L->p_outb, KP_ACT_NONE);
  KP_TRY(drop(m, &L->res2, &L->res2, m->drop_h, m->hidden_dropout, &L->drop_h2));
  KP_TRY(kp_add_fwd(&L->res2, &L->res2, &L->ln1));
  g = kp_pv(p, L->p_ln2);
  be = kp_pv(p, L->p_ln2b);
  KP_TRY(kp_layernorm_fwd(&L->out, &L->mean2, &L->rstd2, &L->res2, &g, &be, m->cfg.layer_norm_eps));
#undef LIN
  return KP_OK;
}

/* Gradient of a dropout's input into scratch, or gy itself when the forward did not drop. The backward of inverted
 * dropout is the same masked scaling as its forward (the same Philox draws from (seed, at)), so it is run as a
 * forward that overwrites scratch: no zero-fill pass. */
static kp_status undrop(kp_bert *m, kp_tensor *scratch, const kp_tensor *gy, bool on, float p, uint64_t at,
                        const kp_tensor **gx) {
  *gx = gy;
  if (!on) return KP_OK;
  KP_TRY(kp_dropout_fwd(scratch, gy, p, m->fwd_seed, at));
  *gx = scratch;
  return KP_OK;
}

/* Backward of y = x W^T + b (parameter pw, bias pb), all [rows, features] and contiguous: dx = g W (beta 0:
 * overwritten, no zero-fill pass; beta 1: accumulated), dW += g^T x, db += column sums of g. The same products in
 * the same order as kp_linear_bwd, without its temporaries. */
static kp_status lin_bwd(kp_bert *m, kp_tensor *dx, float beta, const kp_tensor *g, const kp_tensor *x, int pw,
                         int pb) {
  kp_params *p = &m->params;
  kp_tensor w = kp_pv(p, pw), gw = kp_pg(p, pw), gb = kp_pg(p, pb);
  const int64_t R = kp_tensor_rows(g);
  kp_tensor g2 = as2(g, R, w.shape[0]), x2 = as2(x, R, w.shape[1]);
  if (dx) {
    kp_tensor dx2 = as2(dx, R, w.shape[1]);
    KP_TRY(kp_matmul(&dx2, &g2, &w, false, false, 1.0f, beta));
  }
  KP_TRY(kp_matmul(&gw, &g2, &x2, true, false, 1.0f, 1.0f));
  return kp_bias_add_bwd(NULL, &gb, g);
}

kp_status kp_bert_layer_bwd(kp_bert *m, int l, const kp_tensor *x, const kp_tensor *dout, kp_tensor *dx) {
  kp_bert_layer *L = &m->layers[l];
  kp_params *p = &m->params;
  const int64_t d = m->cfg.hidden_size / m->cfg.num_attention_heads;
  const float scale = 1.0f / sqrtf((float)d);
  kp_tensor gw, gb, gamma;
  const kp_tensor *gy;
#define LN_BWD(gx, gout, in, mean, rstd, pg, pb)                       \
  do {                                                                 \
    gamma = kp_pv(p, pg);                                              \
    gw = kp_pg(p, pg);                                                 \
    gb = kp_pg(p, pb);                                                 \
    KP_TRY(zero(gx));                                                  \
    KP_TRY(kp_layernorm_bwd(gx, &gw, &gb, gout, in, mean, rstd, &gamma)); \
  } while (0)
  /* out = LN2(res2); res2 = drop(act Wout^T + bout) + ln1. g_c: the gradient of res2, then (through the residual, with
   * the intermediate branch's added) of ln1 */
  LN_BWD(&m->g_c, dout, &L->res2, &L->mean2, &L->rstd2, L->p_ln2, L->p_ln2b);
  KP_TRY(undrop(m, &m->g_b, &m->g_c, m->drop_h, m->hidden_dropout, L->drop_h2, &gy));
  KP_TRY(kp_act_fwd(&L->act, &L->pre, KP_ACT_GELU, 0.0f)); /* act is shared by the layers: recompute it */
  KP_TRY(lin_bwd(m, &m->g_inter, 0.0f, gy, &L->act, L->p_out, L->p_outb));
  /* the GELU's input gradient goes into act, which nothing reads any more */
  KP_TRY(zero(&L->act));
  KP_TRY(kp_act_bwd(&L->act, &m->g_inter, &L->pre, KP_ACT_GELU, 0.0f));
  KP_TRY(lin_bwd(m, &m->g_c, 1.0f, &L->act, &L->ln1, L->p_in, L->p_inb));
  /* ln1 = LN1(res1); res1 = drop(ctx Wo^T + bo) + x: dx starts as the residual's share */
  LN_BWD(dx, &m->g_c, &L->res1, &L->mean1, &L->rstd1, L->p_ln1, L->p_ln1b);
  KP_TRY(undrop(m, &m->g_b, dx, m->drop_h, m->hidden_dropout, L->drop_h1, &gy));
  KP_TRY(lin_bwd(m, &m->g_d, 0.0f, gy, &L->ctx, L->p_ao, L->p_aob)); /* gy (maybe dx) is read before dx changes */
  /* ctx = merge(probs_drop @ vh): the merge's backward is the split (the inverse permutation), which overwrites */
  KP_TRY(permute(&m->g_e, &m->g_d, &m->split_idx, d));
  const kp_tensor *pd = &L->probs;
  if (m->drop_a) { /* probs_drop is shared by the layers: the same Philox draws give it back bit for bit */
    KP_TRY(kp_dropout_fwd(&L->probs_drop, &L->probs, m->attn_dropout, m->fwd_seed, L->drop_attn));
    pd = &L->probs_drop;
  }
  /* ctxh = pd vh: d pd = g_e vh^T, d vh = pd^T g_e (kp_bmm_bwd's products, written instead of accumulated) */
  KP_TRY(kp_bmm(&m->g_p1, &m->g_e, &L->vh, false, true, 1.0f, 0.0f));
  KP_TRY(kp_bmm(&m->g_v, pd, &m->g_e, true, false, 1.0f, 0.0f));
  /* probs_drop = drop(softmax(scale q k^T)) */
  kp_tensor *gprobs = &m->g_p1, *gscores = &m->g_p2;
  if (m->drop_a) { /* g_p2 is probs_drop's buffer, read for the last time above */
    KP_TRY(kp_dropout_fwd(&m->g_p2, &m->g_p1, m->attn_dropout, m->fwd_seed, L->drop_attn));
    gprobs = &m->g_p2;
    gscores = &m->g_p1;
  }
  KP_TRY(zero(gscores));
  KP_TRY(kp_softmax_bwd(gscores, gprobs, &L->probs, scale));
  /* scores = qh kh^T: d qh = g kh, d kh = g^T qh */
  KP_TRY(kp_bmm(&m->g_q, gscores, &L->kh, false, false, 1.0f, 0.0f));
  KP_TRY(kp_bmm(&m->g_k, gscores, &L->qh, true, false, 1.0f, 0.0f));
  /* split heads (backward: the merge) and the three projections of x */
  kp_tensor *gh[3] = {&m->g_q, &m->g_k, &m->g_v}, *gr[3] = {&m->g_a, &m->g_b, &m->g_c};
  const int pw[3] = {L->p_q, L->p_k, L->p_v}, pb[3] = {L->p_qb, L->p_kb, L->p_vb};
  for (int i = 0; i < 3; i++) {
    KP_TRY(permute(gr[i], gh[i], &m->merge_idx, d));
    KP_TRY(lin_bwd(m, dx, 1.0f, gr[i], x, pw[i], pb[i]));
  }
#undef LN_BWD
  return KP_OK;
}
