/* Shared pieces of the BERT model files: the per-layer forward and backward and the arena plan. */
#ifndef KPRCA_MODELS_BERT_INTERNAL_H
#define KPRCA_MODELS_BERT_INTERNAL_H
#include "kprca/bert.h"
#include "kprca/kprca.h"
#include "models/gnn_internal.h"

/** Lays out the arena for batch size B, length T and mode (training keeps every layer's activations and the
 *  backward scratch; inference shares one set of layer buffers) and uploads the index tables. */
kp_status kp_bert_plan(kp_bert *m, int64_t B, int64_t T, bool training);
/** Encoder layer l: L->out = layer(x [N, H]); x may alias L->out (inference: buffers are shared). */
kp_status kp_bert_layer_fwd(kp_bert *m, int l, const kp_tensor *x);
/** Backward of layer l from dout [N, H] (its output's gradient): parameter gradients += , dx = the gradient of x (as
 *  forwarded; overwritten). dx must not alias dout. */
kp_status kp_bert_layer_bwd(kp_bert *m, int l, const kp_tensor *x, const kp_tensor *dout, kp_tensor *dx);

#endif
