/* Element-wise math shared by the CPU and CUDA backends: one definition of each
 * activation, its derivative, and the f32 <-> bf16 / f16 conversions. */
#ifndef KPRCA_CORE_EWMATH_H
#define KPRCA_CORE_EWMATH_H
#include <math.h>
#include <stdint.h>
#include <string.h>
#include "kprca/activation.h"
#include "kprca/hd.h"

#define KP_SQRT1_2 0.70710678118654752440f
#define KP_INV_SQRT_2PI 0.39894228040143267794f

static inline KP_HD float kp_gelu(float x) { return 0.5f * x * (1.0f + erff(x * KP_SQRT1_2)); }
/* d/dx [x Phi(x)] = Phi(x) + x phi(x) */
static inline KP_HD float kp_gelu_grad(float x) {
  return 0.5f * (1.0f + erff(x * KP_SQRT1_2)) + x * KP_INV_SQRT_2PI * expf(-0.5f * x * x);
}

static inline KP_HD float kp_act_apply(kp_act act, float x, float alpha) {
  switch (act) {
    case KP_ACT_RELU: return x > 0.0f ? x : 0.0f;
    case KP_ACT_LEAKY_RELU: return x > 0.0f ? x : alpha * x;
    case KP_ACT_ELU: return x > 0.0f ? x : alpha * expm1f(x);
    case KP_ACT_GELU: return kp_gelu(x);
    case KP_ACT_TANH: return tanhf(x);
    case KP_ACT_NONE: break;
  }
  return x;
}

/* Derivative at the input x (PyTorch's convention at the kink: relu'(0) = 0). */
static inline KP_HD float kp_act_grad(kp_act act, float x, float alpha) {
  switch (act) {
    case KP_ACT_RELU: return x > 0.0f ? 1.0f : 0.0f;
    case KP_ACT_LEAKY_RELU: return x > 0.0f ? 1.0f : alpha;
    case KP_ACT_ELU: return x > 0.0f ? 1.0f : alpha * expf(x);
    case KP_ACT_GELU: return kp_gelu_grad(x);
    case KP_ACT_TANH: {
      float t = tanhf(x);
      return 1.0f - t * t;
    }
    case KP_ACT_NONE: break;
  }
  return 1.0f;
}

static inline KP_HD uint32_t kp_f32_bits(float f) {
  uint32_t u;
  memcpy(&u, &f, 4);
  return u;
}
static inline KP_HD float kp_bits_f32(uint32_t u) {
  float f;
  memcpy(&f, &u, 4);
  return f;
}

/* bf16: the top 16 bits of an f32, rounded to nearest even; NaN stays NaN. */
static inline KP_HD uint16_t kp_f32_to_bf16(float f) {
  uint32_t u = kp_f32_bits(f);
  if ((u & 0x7fffffffu) > 0x7f800000u) return (uint16_t)((u >> 16) | 0x40);
  u += 0x7fffu + ((u >> 16) & 1u);
  return (uint16_t)(u >> 16);
}
static inline KP_HD float kp_bf16_to_f32(uint16_t h) { return kp_bits_f32((uint32_t)h << 16); }

/* IEEE half, round to nearest even, with subnormals, infinities and NaN. */
static inline KP_HD uint16_t kp_f32_to_f16(float f) {
  uint32_t u = kp_f32_bits(f);
  uint32_t sign = (u >> 16) & 0x8000u;
  uint32_t a = u & 0x7fffffffu;
  if (a > 0x7f800000u) return (uint16_t)(sign | 0x7e00u);   /* NaN */
  if (a >= 0x477ff000u) return (uint16_t)(sign | 0x7c00u);  /* overflow (>= 65520) -> inf */
  if (a < 0x38800000u) {                                    /* result is subnormal or zero */
    if (a < 0x33000000u) return (uint16_t)sign;              /* < 2^-25 rounds to 0 */
    uint32_t e = a >> 23, m = (a & 0x7fffffu) | 0x800000u;
    uint32_t shift = 126 - e;                                /* 14 + (113 - e) */
    uint32_t r = m >> shift, rem = m & ((1u << shift) - 1), half = 1u << (shift - 1);
    if (rem > half || (rem == half && (r & 1u))) r++;
    return (uint16_t)(sign | r);
  }
  uint32_t r = ((a >> 13) - (112u << 10));
  uint32_t rem = a & 0x1fffu;
  if (rem > 0x1000u || (rem == 0x1000u && (r & 1u))) r++;
  return (uint16_t)(sign | r);
}
static inline KP_HD float kp_f16_to_f32(uint16_t h) {
  uint32_t sign = (uint32_t)(h & 0x8000u) << 16;
  uint32_t e = (h >> 10) & 0x1fu, m = h & 0x3ffu;
  if (e == 0) {
    if (m == 0) return kp_bits_f32(sign);
    float f = (float)m * (1.0f / 16777216.0f); /* m * 2^-24 */
    return sign ? -f : f;
  }
  if (e == 31) return kp_bits_f32(sign | 0x7f800000u | (m << 13));
  return kp_bits_f32(sign | ((e + 112u) << 23) | (m << 13));
}

#endif
