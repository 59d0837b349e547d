/* A BERT encoder with transformers' BertForSequenceClassification semantics: word + position + token-type
 * embeddings, LayerNorm, dropout; post-LN encoder layers (multi-head self-attention with an additive padding
 * mask, attention-probability dropout, output dense + dropout + residual + LayerNorm; intermediate dense with
 * exact GELU, output dense + dropout + residual + LayerNorm); tanh pooler on [CLS]; dropout + linear classifier;
 * cross-entropy. Parameters use HF's names (kp_bert_declare), so a checkpoint loads with kp_hf_bert_load_params.
 *
 * Batches are [B, T] with a per-batch T (dynamic padding). The forward saves what the backward needs in one
 * arena that grows when B or T grows and is reused otherwise; the backward ACCUMULATES into params.grad. All math
 * goes through the op API, so the model runs on any backend its parameters live on. Dropout masks come from
 * Philox at (drop_seed, drop_offset); the offset advances with every dropout call. */
#ifndef KPRCA_BERT_H
#define KPRCA_BERT_H
#include <stdbool.h>
#include <stdint.h>
#include "kprca/gnn.h" /* kp_arena */
#include "kprca/hf_bert.h"
#include "kprca/params.h"
#include "kprca/tensor.h"
#ifdef __cplusplus
extern "C" {
#endif

#define KP_BERT_IGNORE (-100) /* label skipped by the loss, as in transformers */

/* One batch in host memory, row-major [B, T]. */
typedef struct kp_bert_batch {
  int64_t B, T;
  const int32_t *input_ids;      /* [B*T], each in [0, vocab_size) */
  const int32_t *attention_mask; /* [B*T] of 0/1 (1 = real token) or NULL (all 1); every row needs a 1 */
  const int32_t *token_type_ids; /* [B*T] in [0, type_vocab_size) or NULL (all 0) */
} kp_bert_batch;

/* Saved activations of one encoder layer (views into the model's arena); N = B*T rows, H hidden, I intermediate,
 * BH = B * heads. */
typedef struct kp_bert_layer {
  /* parameter entries */
  int p_q, p_qb, p_k, p_kb, p_v, p_vb, p_ao, p_aob, p_ln1, p_ln1b, p_in, p_inb, p_out, p_outb, p_ln2, p_ln2b;
  kp_tensor q, k, v;          /* [N, H] projections */
  kp_tensor qh, kh, vh;       /* [BH, T, d] per-head copies */
  kp_tensor probs, probs_drop; /* [BH, T, T] softmax, after dropout (probs_drop = probs without dropout) */
  kp_tensor ctxh, ctx;        /* [BH, T, d] probs @ v, merged back to [N, H] */
  kp_tensor res1, mean1, rstd1, ln1; /* [N, H] dropout(ctx Wo^T + bo) + x; LayerNorm stats [N]; output [N, H] */
  kp_tensor pre, act;         /* [N, I] intermediate before / after GELU */
  kp_tensor res2, mean2, rstd2, out; /* [N, H] dropout(act Wout^T + bout) + ln1; stats; layer output [N, H] */
  uint64_t drop_attn, drop_h1, drop_h2; /* dropout offsets of the last training forward */
} kp_bert_layer;

#define KP_BERT_MAX_LAYERS 48

typedef struct kp_bert {
  kp_bert_config cfg; /* id2label not kept (NULL) */
  unsigned parts;     /* KP_BERT_POOLER | KP_BERT_CLASSIFIER declared */
  float hidden_dropout, attn_dropout, classifier_dropout; /* from cfg; classifier_dropout = hidden_dropout_prob */
  kp_params params;
  kp_bert_layer layers[KP_BERT_MAX_LAYERS];
  int p_word, p_pos, p_type, p_eln, p_elnb, p_pool, p_poolb, p_cls, p_clsb;
  uint64_t drop_seed, drop_offset;
  uint64_t fwd_seed;            /* drop_seed of the last forward */
  bool drop_h, drop_a, drop_c;  /* which dropouts the last forward applied */
  /* batch on the device and index tables (rebuilt when B or T changes) */
  int64_t B, T;
  bool training;   /* the last forward saved everything for a backward */
  bool have_fwd, have_loss;
  kp_arena arena;
  kp_tensor ids, types, mask, pos_ids, labels; /* i32 [N], [N], [B, T], [N], [B] */
  kp_tensor split_idx, merge_idx, cls_idx;     /* i32 [BH*T], [N*heads], [B] */
  kp_tensor emb, emb_mean, emb_rstd, emb_ln, emb_out; /* [N, H] sum of embeddings, stats, LayerNorm, after dropout */
  uint64_t drop_emb, drop_cls;
  kp_tensor cls, pool_pre, pooled, pooled_drop; /* [B, H] */
  kp_tensor logits, probs, dlogits, loss;       /* [B, C]; loss f32 [1] */
  /* backward scratch */
  kp_tensor g_x0, g_x1;                             /* [N, H] gradients of a layer's output and input */
  kp_tensor g_a, g_b, g_c, g_d, g_e, g_q, g_k, g_v; /* [N, H] */
  kp_tensor g_inter;                                /* [N, I] */
  kp_tensor g_p1, g_p2;                             /* [BH, T, T] */
  kp_tensor g_pool, g_pool2, g_cls;                 /* [B, H] */
} kp_bert;

/** Builds the model on dev: the embeddings and encoder always, plus the parts (KP_BERT_POOLER, KP_BERT_CLASSIFIER;
 *  the classifier needs the pooler and cfg->num_labels >= 1). Parameters are declared and allocated (zero). */
kp_status kp_bert_init(kp_bert *m, const kp_bert_config *cfg, unsigned parts, kp_device dev);
/** Frees everything in m. */
void kp_bert_free(kp_bert *m);
/** Builds a classifier from a checkpoint: num_labels > 0 sets the head's classes (else the checkpoint's); every
 *  parameter is first initialised from seed (kp_bert_declare's rules), then filled from the checkpoint, except a
 *  classifier head the file lacks or whose class count differs, which keeps its fresh values. */
kp_status kp_bert_from_hf(kp_bert *m, const kp_hf_bert *h, int num_labels, kp_device dev, uint64_t seed);
/** Runs the encoder (and pooler + classifier when declared) on a batch: m->layers[L-1].out is the last hidden state
 *  [B*T, H], m->logits [B, C]. training enables every dropout and keeps what kp_bert_backward needs; without it the
 *  layers share one set of buffers (less memory) and no backward is possible. */
kp_status kp_bert_forward(kp_bert *m, const kp_bert_batch *batch, bool training);
/** Cross-entropy (mean over labels != KP_BERT_IGNORE, weighted by class_weights f32 [C] or NULL) of the last
 *  forward's logits against host labels [B]; *loss (may be NULL) receives the value. */
kp_status kp_bert_loss(kp_bert *m, const int32_t *labels, const kp_tensor *class_weights, float *loss);
/** Backward from the last kp_bert_loss (same class_weights): gradients += into m->params.grad. */
kp_status kp_bert_backward(kp_bert *m, const kp_tensor *class_weights);
/** Backward of the last training forward from dlogits [B, C] (a custom loss): gradients += into m->params.grad. */
kp_status kp_bert_backward_from(kp_bert *m, const kp_tensor *dlogits);
/** Backward of the last training forward from a gradient of the last hidden state [B*T, H] (plus dlogits [B, C]
 *  when not NULL): gradients += into m->params.grad. */
kp_status kp_bert_backward_hidden(kp_bert *m, const kp_tensor *dhidden, const kp_tensor *dlogits);

/* Sentence embeddings. */
typedef enum kp_bert_pool {
  KP_BERT_POOL_CLS = 0,    /* last hidden state at [CLS] (position 0) */
  KP_BERT_POOL_POOLER = 1, /* the tanh pooler's output (needs KP_BERT_POOLER) */
  KP_BERT_POOL_MEAN = 2    /* mean of the last hidden state over tokens with mask 1 (sentence-transformers) */
} kp_bert_pool;

/** Inference forward (no dropout) and pooling: out receives B rows of hidden_size host floats; normalize divides
 *  each row by max(||row||_2, 1e-12) (all-MiniLM-L6-v2's Normalize module). */
kp_status kp_bert_embed(kp_bert *m, const kp_bert_batch *batch, kp_bert_pool pool, bool normalize, float *out);

#ifdef __cplusplus
}
#endif
#endif
