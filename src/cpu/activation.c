/* CPU activations: the shared math of src/core/ewmath.h applied element by element, with one
 * loop per common activation so that the compiler vectorises it. ELU, GAT's activation, has
 * its own branch-free expm1 and exp for x <= 0 (libm's expm1f / expf are scalar calls and took most
 * of a GAT epoch): within 2 ulp of the exact values, subnormal exp flushed to 0 (test_cpu_activation). GELU (BERT's
 * exact, erf-based one) has its own branch-free erf: within 2 ulp of libm's erff over every float (test_cpu_gelu),
 * where erff was a scalar call that took a tenth of a MiniLM fine-tuning step. */
#include <stdint.h>
#include <string.h>
#include "core/ewmath.h"
#include "cpu/cpu.h"
#include "cpu/vmath.h"

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

/* |x| with the sign of s, and |x|, through the sign bit (vectorises; no libm call). */
static inline float copysign_bits(float mag, float sgn) {
  uint32_t a, b;
  memcpy(&a, &mag, sizeof a);
  memcpy(&b, &sgn, sizeof b);
  a = (a & 0x7fffffffu) | (b & 0x80000000u);
  memcpy(&mag, &a, sizeof mag);
  return mag;
}
static inline float fabs_bits(float x) { return copysign_bits(x, 0.0f); }

/* erf(x), branch-free: for |x| < 1.25, x + x Q(x^2) (Q: degree-7 Chebyshev fit of erf(x)/x - 1); above,
 * 1 - exp(-x^2) R(1/x) (R: degree-8 Chebyshev fit of erfc(x) exp(x^2) over 1/x in [1/4, 1/1.25], in the centred
 * variable t), with |x| clamped at 4 where erf rounds to 1. Both arms are computed and one selected. Within 2 ulp
 * of erff and 2.2 ulp of the exact value over every float; erf(+-0) = +-0, erf(+-inf) = +-1, NaN passes through. */
static inline float erf_nobranch(float x) {
  const float a = fabs_bits(x), s = a * a;
  float q = -7.629189318e-06f;
  q = q * s + 1.042495075e-04f;
  q = q * s + -8.346330324e-04f;
  q = q * s + 5.209747541e-03f;
  q = q * s + -2.686065500e-02f;
  q = q * s + 1.128368590e-01f;
  q = q * s + -3.761263114e-01f;
  q = q * s + 1.283791662e-01f;
  const float small = a + a * q;
  const float ac = select_f(a < 1.25f, 1.25f, select_f(a > 4.0f, 4.0f, a)); /* NaN: 4, restored below */
  const float t = (1.0f / ac) * (1.0f / 0.275f) - (0.525f / 0.275f);
  float r = -1.333084182e-06f;
  r = r * t + -8.647409316e-07f;
  r = r * t + 2.637575672e-05f;
  r = r * t + -1.241426182e-04f;
  r = r * t + 3.100066511e-04f;
  r = r * t + 5.988083914e-04f;
  r = r * t + -1.388361071e-02f;
  r = r * t + 1.149379259e-01f;
  r = r * t + 2.659597488e-01f;
  const float large = 1.0f - exp_nonpos(-ac * ac) * r;
  return select_f(x != x, x, copysign_bits(select_f(a < 1.25f, small, large), x));
}

float kp_cpu_erf(float x) { return erf_nobranch(x); }

/* kp_gelu and kp_gelu_grad (src/core/ewmath.h) with erf_nobranch and exp_nonpos for erff and expf. */
static inline float gelu_nobranch(float x) { return 0.5f * x * (1.0f + erf_nobranch(x * KP_SQRT1_2)); }
static inline float gelu_grad_nobranch(float x) {
  return 0.5f * (1.0f + erf_nobranch(x * KP_SQRT1_2)) + x * KP_INV_SQRT_2PI * exp_nonpos(-0.5f * x * x);
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
    case KP_ACT_GELU:
#pragma omp parallel for if (n > KP_ACT_PAR)
      for (int64_t i = 0; i < n; i++) py[i] = gelu_nobranch(px[i]);
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
    case KP_ACT_GELU:
#pragma omp parallel for if (n > KP_ACT_PAR)
      for (int64_t i = 0; i < n; i++) pdx[i] += gelu_grad_nobranch(px[i]) * g[i];
      break;
    default:
#pragma omp parallel for if (n > KP_ACT_PAR)
      for (int64_t i = 0; i < n; i++) pdx[i] += kp_act_grad(act, px[i], alpha) * g[i];
  }
  return KP_OK;
}
