/* Learning-rate schedules with Hugging Face's semantics (get_*_schedule_with_warmup). */
#ifndef KPRCA_SCHEDULE_H
#define KPRCA_SCHEDULE_H
#include <stdint.h>
#include "kprca/status.h"
#ifdef __cplusplus
extern "C" {
#endif

typedef enum kp_lr_kind { KP_LR_CONSTANT = 0, KP_LR_LINEAR = 1, KP_LR_COSINE = 2 } kp_lr_kind;

typedef struct kp_lr_schedule {
  kp_lr_kind kind;
  float base_lr;
  int64_t warmup_steps; /* linear ramp from 0 over these steps (0: none) */
  int64_t total_steps;  /* LINEAR / COSINE decay reaches 0 here */
} kp_lr_schedule;

/** Checks the schedule (base_lr > 0, warmup >= 0, total >= warmup for decays). */
kp_status kp_lr_schedule_check(const kp_lr_schedule *s);
/** Learning rate for 0-based optimizer step `step`. */
float kp_lr_at(const kp_lr_schedule *s, int64_t step);
/** Parses "constant", "linear" or "cosine". */
kp_status kp_lr_kind_parse(const char *name, kp_lr_kind *out);

#ifdef __cplusplus
}
#endif
#endif
