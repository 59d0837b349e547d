/* CPU activations: the shared math of src/core/ewmath.h applied element by element, with one
 * loop per common activation so that the compiler vectorises it. ELU, GAT's activation, has
 * its own branch-free expm1 and exp for x <= 0 (libm's expm1f / expf are scalar calls and took most
 * of a GAT epoch): within 2 ulp of the exact values, subnormal exp flushed to 0 (test_cpu_activation). */
#include <stdint.h>
#include <string.h>
#include "core/ewmath.h"
#include "cpu/cpu.h"

#define KP_ACT_PAR 16384 /* elements below which a loop stays on one thread */

/* c ? a : b through bit masks: GCC does not if-convert a select whose arms hold floating-point work (it could trap),
 * and a loop with a branch does not vectorise. */
static inline float select_f(bool c, float a, float b) {
  uint32_t ua, ub, m = 0u - (uint32_t)c;
  memcpy(&ua, &a, sizeof ua);
  memcpy(&ub, &b, sizeof ub);
  uint32_t r = (ua & m) | (ub & ~m);
  float f;
  memcpy(&f, &r, sizeof f);
  return f;
}

/* For x <= 0 (clamped at ln(FLT_MIN) = -87.33654, where 2^k stays normal): x = k ln2 + r with |r| <= ln2 / 2, *s = 2^k and *em = expm1(r)
 * by its Taylor series to r^9 (remainder below 2^-30 relative). */
static inline void exp_parts(float x, float *s, float *em) {
  float xc = select_f(x < -87.33654f, -87.33654f, select_f(x == x, x, 0.0f)); /* NaN: 0 here, restored by the caller */
  float k = (xc * 1.44269504088896341f + 12582912.0f) - 12582912.0f; /* round to nearest */
  float r = (xc - k * 0.693145751953125f) - k * 1.42860682030941723212e-6f;
  float q = 1.0f / 362880.0f;
  q = q * r + 1.0f / 40320.0f;
  q = q * r + 1.0f / 5040.0f;
  q = q * r + 1.0f / 720.0f;
  q = q * r + 1.0f / 120.0f;
  q = q * r + 1.0f / 24.0f;
  q = q * r + 1.0f / 6.0f;
  q = q * r + 0.5f;
  *em = r + r * r * q;
  int32_t e = ((int32_t)k + 127) << 23;
  memcpy(s, &e, sizeof *s);
}

/* expm1(x) = 2^k expm1(r) + (2^k - 1) for x <= 0; NaN passes through. */
static inline float expm1_nonpos(float x) {
  float s, em;
  exp_parts(x, &s, &em);
  return select_f(x != x, x, s * em + (s - 1.0f));
}

/* exp(x) = 2^k + 2^k expm1(r) for x <= 0, flushed to 0 below ln(FLT_MIN) (where exp is subnormal); NaN passes through. */
static inline float exp_nonpos(float x) {
  float s, em;
  exp_parts(x, &s, &em);
  return select_f(x != x, x, select_f(x < -87.33654f, 0.0f, s + s * em));
}

kp_status kp_cpu_act_fwd(kp_tensor *y, const kp_tensor *x, kp_act act, float alpha) {
  int64_t n = kp_tensor_numel(x);
  const float *px = x->data;
  float *py = y->data; /* may alias px */
  switch (act) {
    case KP_ACT_ELU:
#pragma omp parallel for if (n > KP_ACT_PAR)
      for (int64_t i = 0; i < n; i++) { /* both sides computed, then selected: no branch, so it vectorises */
        float v = px[i], e = alpha * expm1_nonpos(select_f(v > 0.0f, 0.0f, v));
        py[i] = select_f(v > 0.0f, v, e);
      }
      break;
    case KP_ACT_RELU:
#pragma omp parallel for if (n > KP_ACT_PAR)
      for (int64_t i = 0; i < n; i++) py[i] = px[i] > 0.0f ? px[i] : 0.0f;
      break;
    case KP_ACT_LEAKY_RELU:
#pragma omp parallel for if (n > KP_ACT_PAR)
      for (int64_t i = 0; i < n; i++) {
        float v = px[i];
        py[i] = select_f(v > 0.0f, v, alpha * v);
      }
      break;
    default:
#pragma omp parallel for if (n > KP_ACT_PAR)
      for (int64_t i = 0; i < n; i++) py[i] = kp_act_apply(act, px[i], alpha);
  }
  return KP_OK;
}

kp_status kp_cpu_act_bwd(kp_tensor *dx, const kp_tensor *dy, const kp_tensor *x, kp_act act, float alpha) {
  int64_t n = kp_tensor_numel(x);
  const float *px = x->data, *g = dy->data;
  float *pdx = dx->data;
  switch (act) {
    case KP_ACT_ELU:
#pragma omp parallel for if (n > KP_ACT_PAR)
      for (int64_t i = 0; i < n; i++) {
        float v = px[i], e = alpha * exp_nonpos(select_f(v > 0.0f, 0.0f, v));
        pdx[i] += select_f(v > 0.0f, 1.0f, e) * g[i];
      }
      break;
    case KP_ACT_RELU:
#pragma omp parallel for if (n > KP_ACT_PAR)
      for (int64_t i = 0; i < n; i++) pdx[i] += (px[i] > 0.0f ? 1.0f : 0.0f) * g[i];
      break;
    case KP_ACT_LEAKY_RELU:
#pragma omp parallel for if (n > KP_ACT_PAR)
      for (int64_t i = 0; i < n; i++) pdx[i] += (px[i] > 0.0f ? 1.0f : alpha) * g[i];
      break;
    default:
#pragma omp parallel for if (n > KP_ACT_PAR)
      for (int64_t i = 0; i < n; i++) pdx[i] += kp_act_grad(act, px[i], alpha) * g[i];
  }
  return KP_OK;
}
