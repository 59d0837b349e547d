/* An optimizer over a model's flat parameter buffer (params.h): Adam, AdamW or SGD with
 * torch.optim's rules, weight decay on every entry, on the entries of one name prefix (the first GNN
 * layer, as Kipf & Welling's GCN code) and/or on all but biases and LayerNorm (transformers' Trainer),
 * and global-norm gradient clipping. Its state
 * (moments, step count) mirrors the params layout, so a checkpoint saves it as one table. */
#ifndef KPRCA_OPTIMIZER_H
#define KPRCA_OPTIMIZER_H
#include <stdbool.h>
#include <stdint.h>

#include "kprca/params.h"
#include "kprca/status.h"
#ifdef __cplusplus
extern "C" {
#endif

typedef enum kp_opt_kind { KP_OPT_ADAM = 0, KP_OPT_ADAMW = 1, KP_OPT_SGD = 2 } kp_opt_kind;

typedef struct kp_optimizer_opts {
  kp_opt_kind kind;
  float beta1, beta2, eps;  /* adam, adamw */
  float momentum;           /* sgd */
  bool nesterov;            /* sgd */
  float weight_decay;       /* adam/sgd: L2 added to the gradient; adamw: decoupled */
  const char *decay_prefix; /* NULL: decay every entry; else only entries whose name starts with it ("convs.0.") */
  bool decay_skip_bias_norm; /* no decay on biases and LayerNorm (names ending in "bias" or holding "LayerNorm") */
  float clip_norm;          /* > 0: clip the global gradient norm to this before each step */
} kp_optimizer_opts;

typedef struct kp_optimizer {
  kp_optimizer_opts o;
  uint8_t *decay;                 /* per params entry: 1 if it gets weight decay */
  kp_tensor m, v;                 /* f32 [params total]: Adam moments; SGD uses m as its momentum buffer */
  int64_t step;                   /* steps taken so far */
} kp_optimizer;

/** Parses "adam", "adamw" or "sgd". */
kp_status kp_opt_kind_parse(const char *name, kp_opt_kind *out);
/** Sets up the optimizer for p (moments zeroed, step 0); the decay prefix must name at least one entry. */
kp_status kp_optimizer_init(kp_optimizer *o, const kp_params *p, const kp_optimizer_opts *opts);
/** Frees the moment buffers and the decay table. */
void kp_optimizer_free(kp_optimizer *o);
/** One step at learning rate lr from p->grad (clipped first when clip_norm > 0); *grad_norm (may be NULL) gets the
 *  norm before clipping (0 when clipping is off: computing it costs a pass). */
kp_status kp_optimizer_step(kp_optimizer *o, kp_params *p, float lr, float *grad_norm);

#ifdef __cplusplus
}
#endif
#endif
