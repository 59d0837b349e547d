/* The trainer's optimizer: torch.optim's Adam, AdamW and SGD over one flat buffer, with weight
 * decay on a chosen set of entries, and global-norm clipping. The update of each element depends
 * only on that element, so the buffer is stepped in runs of neighbouring entries that share a decay
 * setting (one run when every entry is decayed) with the same results as one call. */
#include "kprca/optimizer.h"

#include <stdlib.h>
#include <string.h>

#include "kprca/optim.h"

kp_status kp_opt_kind_parse(const char *name, kp_opt_kind *out) {
  if (!strcmp(name, "adam"))
    *out = KP_OPT_ADAM;
  else if (!strcmp(name, "adamw"))
    *out = KP_OPT_ADAMW;
  else if (!strcmp(name, "sgd"))
    *out = KP_OPT_SGD;
  else
    return kp_fail(KP_ERR_INVALID, "optimizer '%s': allowed values are adam, adamw, sgd", name);
  return KP_OK;
}

/* Biases and LayerNorm parameters: the entries transformers' Trainer leaves out of weight decay. */
static bool bias_or_norm(const char *name) {
  size_t n = strlen(name);
  return (n >= 4 && !strcmp(name + n - 4, "bias")) || strstr(name, "LayerNorm");
}

/* o->decay[i] for each entry: the prefix (NULL: all) minus, if asked, biases and LayerNorm. */
static kp_status decay_table(kp_optimizer *o, const kp_params *p, const kp_optimizer_opts *opts) {
  o->decay = malloc((size_t)(p->count > 0 ? p->count : 1));
  if (!o->decay) return kp_fail(KP_ERR_NOMEM, "optimizer: out of memory");
  const char *prefix = opts->weight_decay > 0.0f ? opts->decay_prefix : NULL;
  size_t n = prefix ? strlen(prefix) : 0;
  bool any = false;
  for (int i = 0; i < p->count; i++) {
    bool in = !prefix || !strncmp(p->items[i].name, prefix, n);
    any |= in;
    o->decay[i] = in && !(opts->decay_skip_bias_norm && bias_or_norm(p->items[i].name));
  }
  if (prefix && !any) return kp_fail(KP_ERR_INVALID, "optimizer: no parameter is named %s*", prefix);
  return KP_OK;
}

kp_status kp_optimizer_init(kp_optimizer *o, const kp_params *p, const kp_optimizer_opts *opts) {
  memset(o, 0, sizeof *o);
  o->o = *opts;
  o->o.decay_prefix = NULL; /* not kept: the caller's string */
  int64_t n = p->total;
  kp_status s = decay_table(o, p, opts);
  if (s == KP_OK) s = kp_tensor_zeros(&o->m, KP_F32, p->device, 1, &n);
  if (s == KP_OK && opts->kind != KP_OPT_SGD) s = kp_tensor_zeros(&o->v, KP_F32, p->device, 1, &n);
  if (s != KP_OK) kp_optimizer_free(o);
  return s;
}

void kp_optimizer_free(kp_optimizer *o) {
  if (!o) return;
  kp_tensor_free(&o->m);
  kp_tensor_free(&o->v);
  free(o->decay);
  o->decay = NULL;
}

static kp_tensor range_of(const kp_tensor *t, int64_t a, int64_t b) {
  int64_t n = b - a;
  return kp_tensor_wrap((float *)t->data + a, KP_F32, t->device, 1, &n);
}

/* Steps floats [a, b) with weight decay wd. */
static kp_status step_range(kp_optimizer *o, kp_params *p, int64_t a, int64_t b, float lr, float wd) {
  if (b <= a) return KP_OK;
  kp_tensor w = range_of(&p->data, a, b), g = range_of(&p->grad, a, b), m = range_of(&o->m, a, b);
  if (o->o.kind == KP_OPT_SGD) {
    kp_sgd_hparams h = {
        .lr = lr, .momentum = o->o.momentum, .dampening = 0.0f, .weight_decay = wd, .nesterov = o->o.nesterov};
    return kp_sgd_step(&w, &g, &m, &h, o->step);
  }
  kp_tensor v = range_of(&o->v, a, b);
  kp_adam_hparams h = {.lr = lr,
                       .beta1 = o->o.beta1,
                       .beta2 = o->o.beta2,
                       .eps = o->o.eps,
                       .weight_decay = wd,
                       .decoupled = o->o.kind == KP_OPT_ADAMW};
  return kp_adam_step(&w, &g, &m, &v, &h, o->step);
}

kp_status kp_optimizer_step(kp_optimizer *o, kp_params *p, float lr, float *grad_norm) {
  float norm = 0.0f;
  if (o->o.clip_norm > 0.0f) {
    kp_tensor *grads[1] = {&p->grad};
    KP_TRY(kp_clip_grad_norm(grads, 1, o->o.clip_norm, &norm));
  }
  if (grad_norm) *grad_norm = norm;
  o->step++;
  /* runs of neighbouring entries with the same decay; the first starts at 0, the last ends at total
   * (alignment gaps between entries go with the run before them: their gradients are 0) */
  int64_t a = 0;
  for (int i = 0; i < p->count; i++) {
    if (i + 1 < p->count && o->decay[i + 1] == o->decay[i]) continue;
    int64_t b = i + 1 < p->count ? p->items[i + 1].offset : p->total;
    KP_TRY(step_range(o, p, a, b, lr, o->decay[i] ? o->o.weight_decay : 0.0f));
    a = b;
  }
  return KP_OK;
}
