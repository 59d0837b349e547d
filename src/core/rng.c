/* Host-side Philox streams and device fills that draw the same numbers on every backend. */
#include <math.h>
#include "core/backend.h"

kp_rng kp_rng_make(uint64_t seed) { return (kp_rng){seed, 0}; }

uint32_t kp_rng_u32(kp_rng *r) {
  uint32_t x = kp_philox_u32(r->seed, r->offset, 0);
  r->offset++;
  return x;
}

float kp_rng_uniform(kp_rng *r) {
  float u = kp_philox_uniform(r->seed, r->offset, 0);
  r->offset++;
  return u;
}

float kp_rng_normal(kp_rng *r) {
  /* u1 in (0, 1] so log is finite */
  float u1 = 1.0f - kp_philox_uniform(r->seed, r->offset, 0);
  float u2 = kp_philox_uniform(r->seed, r->offset, 1);
  r->offset++;
  return sqrtf(-2.0f * logf(u1)) * cosf(6.28318530717958647692f * u2);
}

uint64_t kp_rng_below(kp_rng *r, uint64_t n) {
  if (n <= 1) return 0;
  /* rejection sampling on 64 random bits */
  uint64_t limit = UINT64_MAX - UINT64_MAX % n;
  for (;;) {
    uint64_t x = ((uint64_t)kp_philox_u32(r->seed, r->offset, 0) << 32) | kp_philox_u32(r->seed, r->offset, 1);
    r->offset++;
    if (x < limit) return x % n;
  }
}

void kp_rng_shuffle_i32(kp_rng *r, int32_t *a, int64_t n) {
  for (int64_t i = n - 1; i > 0; i--) {
    int64_t j = (int64_t)kp_rng_below(r, (uint64_t)i + 1);
    int32_t t = a[i];
    a[i] = a[j];
    a[j] = t;
  }
}

kp_status kp_rng_fill_uniform(kp_tensor *t, kp_rng *r, float lo, float hi) {
  const kp_backend *b;
  KP_TRY(kp_backend_for(t->device, &b));
  if (t->dtype != KP_F32) return kp_fail(KP_ERR_INVALID, "rng_fill_uniform: tensor must be f32");
  int64_t n = kp_tensor_numel(t);
  if (n) KP_TRY(b->fill_uniform(t, r->seed, r->offset, lo, hi));
  r->offset += kp_philox_blocks((uint64_t)n);
  return KP_OK;
}

kp_status kp_rng_fill_normal(kp_tensor *t, kp_rng *r, float mean, float std) {
  const kp_backend *b;
  KP_TRY(kp_backend_for(t->device, &b));
  if (t->dtype != KP_F32) return kp_fail(KP_ERR_INVALID, "rng_fill_normal: tensor must be f32");
  int64_t n = kp_tensor_numel(t);
  if (n) KP_TRY(b->fill_normal(t, r->seed, r->offset, mean, std));
  r->offset += kp_philox_blocks(2 * (uint64_t)n);
  return KP_OK;
}
