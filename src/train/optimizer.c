/* The trainer's optimizer: torch.optim's Adam, AdamW and SGD over one flat buffer, with weight
 * decay on all entries or on one contiguous run of them, and global-norm clipping. The update of
 * each element depends only on that element, so the buffer is stepped in up to three ranges
 * (before, inside and after the decayed run) with the same results as one call. */
#include "kprca/optimizer.h"

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

/* The float range covered by the entries whose name starts with prefix; they must be contiguous in the table. */
static kp_status decay_range(const kp_params *p, const char *prefix, int64_t *begin, int64_t *end) {
  int first = -1, last = -1;
  size_t n = strlen(prefix);
  for (int i = 0; i < p->count; i++) {
    if (strncmp(p->items[i].name, prefix, n)) continue;
    if (first < 0)
      first = i;
    else if (last != i - 1)
      return kp_fail(KP_ERR_INVALID, "optimizer: the entries named %s* are not contiguous in the params table", prefix);
    last = i;
  }
  if (first < 0) return kp_fail(KP_ERR_INVALID, "optimizer: no parameter is named %s*", prefix);
  *begin = p->items[first].offset;
  *end = last + 1 < p->count ? p->items[last + 1].offset : p->total;
  return KP_OK;
}

kp_status kp_optimizer_init(kp_optimizer *o, const kp_params *p, const kp_optimizer_opts *opts) {
  memset(o, 0, sizeof *o);
  o->o = *opts;
  o->o.decay_prefix = NULL; /* not kept: the caller's string */
  o->decay_begin = 0;
  o->decay_end = p->total;
  if (opts->decay_prefix && opts->weight_decay > 0.0f)
    KP_TRY(decay_range(p, opts->decay_prefix, &o->decay_begin, &o->decay_end));
  int64_t n = p->total;
  KP_TRY(kp_tensor_zeros(&o->m, KP_F32, p->device, 1, &n));
  bool need_v = opts->kind != KP_OPT_SGD;
  kp_status s = need_v ? kp_tensor_zeros(&o->v, KP_F32, p->device, 1, &n) : KP_OK;
  if (s != KP_OK) kp_optimizer_free(o);
  return s;
}

void kp_optimizer_free(kp_optimizer *o) {
  if (!o) return;
  kp_tensor_free(&o->m);
  kp_tensor_free(&o->v);
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
  float wd = o->o.weight_decay;
  KP_TRY(step_range(o, p, 0, o->decay_begin, lr, 0.0f));
  KP_TRY(step_range(o, p, o->decay_begin, o->decay_end, lr, wd));
  return step_range(o, p, o->decay_end, p->total, lr, 0.0f);
}
