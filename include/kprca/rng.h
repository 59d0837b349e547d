/* Counter-based random numbers: Philox4x32-10 (Salmon et al., SC'11). A value depends
 * only on (seed, counter), so the CPU and the GPU draw the same stream, any element can
 * be drawn independently, and a run resumed from (seed, offset) continues exactly. */
#ifndef KPRCA_RNG_H
#define KPRCA_RNG_H
#include <math.h>
#include <stdint.h>
#include "kprca/hd.h"
#include "kprca/status.h"
#include "kprca/tensor.h"
#ifdef __cplusplus
extern "C" {
#endif

typedef struct kp_u32x4 {
  uint32_t v[4];
} kp_u32x4;

static inline KP_HD uint32_t kp_mulhilo32_(uint32_t a, uint32_t b, uint32_t *hi) {
  uint64_t p = (uint64_t)a * (uint64_t)b;
  *hi = (uint32_t)(p >> 32);
  return (uint32_t)p;
}

/** Philox4x32 with 10 rounds: the 4-word block for counter ctr under key (k0, k1). */
static inline KP_HD kp_u32x4 kp_philox4x32_10(kp_u32x4 ctr, uint32_t k0, uint32_t k1) {
  for (int r = 0; r < 10; r++) {
    uint32_t hi0, hi1;
    uint32_t lo0 = kp_mulhilo32_(0xD2511F53u, ctr.v[0], &hi0);
    uint32_t lo1 = kp_mulhilo32_(0xCD9E8D57u, ctr.v[2], &hi1);
    kp_u32x4 n;
    n.v[0] = hi1 ^ ctr.v[1] ^ k0;
    n.v[1] = lo1;
    n.v[2] = hi0 ^ ctr.v[3] ^ k1;
    n.v[3] = lo0;
    ctr = n;
    k0 += 0x9E3779B9u;
    k1 += 0xBB67AE85u;
  }
  return ctr;
}

/** The 4-word Philox block at counter c of stream seed (draws 4c .. 4c+3 of offset 0). */
static inline KP_HD kp_u32x4 kp_philox_block(uint64_t seed, uint64_t c) {
  kp_u32x4 ctr;
  ctr.v[0] = (uint32_t)c;
  ctr.v[1] = (uint32_t)(c >> 32);
  ctr.v[2] = 0;
  ctr.v[3] = 0;
  return kp_philox4x32_10(ctr, (uint32_t)seed, (uint32_t)(seed >> 32));
}

/** Raw 32-bit draw number i of stream (seed, offset): word i%4 of the block at counter offset + i/4. */
static inline KP_HD uint32_t kp_philox_u32(uint64_t seed, uint64_t offset, uint64_t i) {
  return kp_philox_block(seed, offset + (i >> 2)).v[i & 3];
}

/** A uniform float in [0, 1) with 24 random bits from one 32-bit draw. */
static inline KP_HD float kp_u32_to_uniform(uint32_t u) { return (float)(u >> 8) * (1.0f / 16777216.0f); }

/** Uniform float in [0, 1) with 24 random bits, from draw i of stream (seed, offset). */
static inline KP_HD float kp_philox_uniform(uint64_t seed, uint64_t offset, uint64_t i) {
  return kp_u32_to_uniform(kp_philox_u32(seed, offset, i));
}

/** Standard normal number i of stream (seed, offset): Box-Muller on uniform draws 2i and 2i+1. */
static inline KP_HD float kp_philox_normal(uint64_t seed, uint64_t offset, uint64_t i) {
  float u1 = 1.0f - kp_philox_uniform(seed, offset, 2 * i); /* (0, 1]: log is finite */
  float u2 = kp_philox_uniform(seed, offset, 2 * i + 1);
  return sqrtf(-2.0f * logf(u1)) * cosf(6.28318530717958647692f * u2);
}

/** Blocks of 4 draws consumed by n draws: advance an offset by this after using draws 0..n-1. */
static inline KP_HD uint64_t kp_philox_blocks(uint64_t n) { return (n + 3) >> 2; }

/* A host-side stream for data order, sampling and initialisation. */
typedef struct kp_rng {
  uint64_t seed;
  uint64_t offset; /* next unused Philox block */
} kp_rng;

/** A stream for seed starting at offset 0. */
kp_rng kp_rng_make(uint64_t seed);
/** Next 32 random bits (uses one Philox block per call). */
uint32_t kp_rng_u32(kp_rng *r);
/** Next uniform float in [0, 1). */
float kp_rng_uniform(kp_rng *r);
/** Next standard normal (Box-Muller on one Philox block). */
float kp_rng_normal(kp_rng *r);
/** Uniform integer in [0, n) without modulo bias; n >= 1. */
uint64_t kp_rng_below(kp_rng *r, uint64_t n);
/** Fisher-Yates shuffle of n int32 values. */
void kp_rng_shuffle_i32(kp_rng *r, int32_t *a, int64_t n);
/** Fills f32 tensor t (any device) with U[lo, hi): element i uses draw i of (r->seed, r->offset); advances r. */
kp_status kp_rng_fill_uniform(kp_tensor *t, kp_rng *r, float lo, float hi);
/** Fills f32 tensor t (any device) with N(mean, std^2), Box-Muller over draws 2i, 2i+1; advances r. */
kp_status kp_rng_fill_normal(kp_tensor *t, kp_rng *r, float mean, float std);

#ifdef __cplusplus
}
#endif
#endif
