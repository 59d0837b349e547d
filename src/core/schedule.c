/* Learning-rate schedules (Hugging Face get_{constant,linear,cosine}_schedule_with_warmup). */
#include <math.h>
#include <string.h>
#include "kprca/schedule.h"

kp_status kp_lr_schedule_check(const kp_lr_schedule *s) {
  if (!(s->base_lr > 0.0f)) return kp_fail(KP_ERR_INVALID, "lr schedule: base lr = %g, must be > 0", (double)s->base_lr);
  if (s->warmup_steps < 0) return kp_fail(KP_ERR_INVALID, "lr schedule: warmup_steps must be >= 0");
  if (s->kind != KP_LR_CONSTANT && s->total_steps < s->warmup_steps)
    return kp_fail(KP_ERR_INVALID, "lr schedule: total_steps (%lld) < warmup_steps (%lld)", (long long)s->total_steps,
                   (long long)s->warmup_steps);
  if ((int)s->kind < 0 || s->kind > KP_LR_COSINE) return kp_fail(KP_ERR_INVALID, "lr schedule: unknown kind");
  return KP_OK;
}

float kp_lr_at(const kp_lr_schedule *s, int64_t step) {
  double f;
  if (step < s->warmup_steps) {
    f = (double)step / (double)(s->warmup_steps > 1 ? s->warmup_steps : 1);
  } else if (s->kind == KP_LR_CONSTANT) {
    f = 1.0;
  } else {
    int64_t span = s->total_steps - s->warmup_steps;
    double progress = (double)(step - s->warmup_steps) / (double)(span > 1 ? span : 1);
    if (s->kind == KP_LR_LINEAR)
      f = fmax(0.0, (double)(s->total_steps - step) / (double)(span > 1 ? span : 1));
    else
      f = fmax(0.0, 0.5 * (1.0 + cos(M_PI * progress)));
  }
  return (float)(s->base_lr * f);
}

kp_status kp_lr_kind_parse(const char *name, kp_lr_kind *out) {
  if (name && strcmp(name, "constant") == 0) *out = KP_LR_CONSTANT;
  else if (name && strcmp(name, "linear") == 0) *out = KP_LR_LINEAR;
  else if (name && strcmp(name, "cosine") == 0) *out = KP_LR_COSINE;
  else return kp_fail(KP_ERR_INVALID, "lr schedule '%s': allowed values are constant, linear, cosine", name ? name : "");
  return KP_OK;
}
