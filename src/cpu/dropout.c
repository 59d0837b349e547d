/* CPU inverted dropout: the keep mask is regenerated from Philox (seed, offset, i), never stored.
 * Element i is kept when word i%4 of block offset + i/4, as a uniform in [0, 1), is >= p; one
 * Philox block serves four elements.
 *
 * Speed without changing one bit: Philox runs on KP_DROP_LANES blocks at a time in
 * structure-of-arrays form, so the compiler turns the ten rounds into vector multiplies (with an
 * AVX2 clone picked at run time where the CPU has it); the uniform >= p test becomes the
 * equivalent integer test (u >> 8) >= ceil(p * 2^24). In the forward, a block of four +0.0 inputs
 * gives +0.0 whatever its mask says, so its Philox block is skipped: a bag-of-words input (Cora:
 * ~1% non-zeros) draws only the blocks that hold a non-zero. */
#include <math.h>
#include <string.h>
#include "cpu/cpu.h"
#include "kprca/rng.h"

#define KP_DROP_LANES 16 /* Philox blocks computed together */
#define KP_DROP_PAR 8192 /* elements below which the loop stays on one thread */
#define KP_DROP_CHUNK 4096 /* blocks per OpenMP work item */

#if defined(__GNUC__) && !defined(__clang__) && (defined(__x86_64__) || defined(__i386__))
#define KP_DROP_CLONES __attribute__((target_clones("avx2", "default")))
#else
#define KP_DROP_CLONES
#endif

/* Words w[0..3][k] of the Philox block at counter ctr[k] under key (seed), for all lanes k:
 * the same rounds as kp_philox4x32_10. */
KP_DROP_CLONES
static void philox_lanes(uint64_t seed, const uint64_t ctr[KP_DROP_LANES], uint32_t w[4][KP_DROP_LANES]) {
  uint32_t x0[KP_DROP_LANES], x1[KP_DROP_LANES], x2[KP_DROP_LANES], x3[KP_DROP_LANES];
  for (int k = 0; k < KP_DROP_LANES; k++) {
    x0[k] = (uint32_t)ctr[k];
    x1[k] = (uint32_t)(ctr[k] >> 32);
    x2[k] = 0;
    x3[k] = 0;
  }
  uint32_t k0 = (uint32_t)seed, k1 = (uint32_t)(seed >> 32);
  for (int r = 0; r < 10; r++) {
    for (int k = 0; k < KP_DROP_LANES; k++) {
      uint64_t p0 = (uint64_t)0xD2511F53u * x0[k], p1 = (uint64_t)0xCD9E8D57u * x2[k];
      uint32_t n0 = (uint32_t)(p1 >> 32) ^ x1[k] ^ k0, n2 = (uint32_t)(p0 >> 32) ^ x3[k] ^ k1;
      x0[k] = n0;
      x1[k] = (uint32_t)p1;
      x2[k] = n2;
      x3[k] = (uint32_t)p0;
    }
    k0 += 0x9E3779B9u;
    k1 += 0xBB67AE85u;
  }
  memcpy(w[0], x0, sizeof x0);
  memcpy(w[1], x1, sizeof x1);
  memcpy(w[2], x2, sizeof x2);
  memcpy(w[3], x3, sizeof x3);
}

/* The integer form of "uniform(u) >= p": (u >> 8) * 2^-24 >= p  <=>  (u >> 8) >= ceil(p * 2^24). */
static uint32_t keep_threshold(float p) { return (uint32_t)ceil((double)p * 16777216.0); }

typedef struct drop_job {
  const float *x;
  float *y;
  int64_t n;
  float s;
  uint32_t thr;
  uint64_t seed, offset;
  bool bwd; /* y += kept ? x * s : 0 instead of y = kept ? x * s : 0 */
} drop_job;

/* Applies the masks of the listed blocks blk[0..m). */
static void apply_lanes(const drop_job *j, const int64_t *blk, int m) {
  uint64_t ctr[KP_DROP_LANES];
  uint32_t w[4][KP_DROP_LANES];
  for (int k = 0; k < KP_DROP_LANES; k++) ctr[k] = j->offset + (uint64_t)blk[k < m ? k : 0];
  philox_lanes(j->seed, ctr, w);
  for (int k = 0; k < m; k++) {
    int64_t i0 = 4 * blk[k], cnt = j->n - i0 < 4 ? j->n - i0 : 4;
    for (int64_t c = 0; c < cnt; c++) {
      bool keep = (w[c][k] >> 8) >= j->thr;
      float v = j->x[i0 + c] * j->s;
      if (j->bwd) {
        if (keep) j->y[i0 + c] += v;
      } else {
        j->y[i0 + c] = keep ? v : 0.0f;
      }
    }
  }
}

/* True when the (up to four) inputs of block b are all +0.0: the forward's output is +0.0 there. */
static bool zero_block(const drop_job *j, int64_t b) {
  int64_t i0 = 4 * b, cnt = j->n - i0 < 4 ? j->n - i0 : 4;
  uint32_t any = 0;
  for (int64_t c = 0; c < cnt; c++) {
    uint32_t u;
    memcpy(&u, j->x + i0 + c, sizeof u);
    any |= u;
  }
  return any == 0;
}

/* True when the 4 * KP_DROP_LANES inputs from block b on are all +0.0 (one vectorisable pass). */
static bool zero_group(const drop_job *j, int64_t b) {
  uint32_t u[4 * KP_DROP_LANES], any = 0;
  memcpy(u, j->x + 4 * b, sizeof u);
  for (int k = 0; k < 4 * KP_DROP_LANES; k++) any |= u[k];
  return any == 0;
}

/* Blocks [b0, b1): listed KP_DROP_LANES at a time; in the forward, all-zero blocks (and whole groups of them) are
 * written directly. */
static void run_blocks(const drop_job *j, int64_t b0, int64_t b1) {
  int64_t blk[KP_DROP_LANES];
  int m = 0;
  for (int64_t g = b0; g < b1; g += KP_DROP_LANES) {
    int64_t ge = g + KP_DROP_LANES < b1 ? g + KP_DROP_LANES : b1;
    if (!j->bwd && ge - g == KP_DROP_LANES && 4 * ge <= j->n && zero_group(j, g)) {
      if (j->y != j->x) memset(j->y + 4 * g, 0, sizeof(float) * 4 * KP_DROP_LANES);
      continue;
    }
    for (int64_t b = g; b < ge; b++) {
      if (!j->bwd && zero_block(j, b)) {
        if (j->y != j->x) {
          int64_t i0 = 4 * b, cnt = j->n - i0 < 4 ? j->n - i0 : 4;
          memset(j->y + i0, 0, sizeof(float) * (size_t)cnt);
        }
        continue;
      }
      blk[m++] = b;
      if (m == KP_DROP_LANES) apply_lanes(j, blk, m), m = 0;
    }
  }
  if (m) apply_lanes(j, blk, m);
}

static void run(const drop_job *j) {
  int64_t nb = (j->n + 3) / 4, nchunks = (nb + KP_DROP_CHUNK - 1) / KP_DROP_CHUNK;
#pragma omp parallel for schedule(dynamic, 1) if (j->n > KP_DROP_PAR)
  for (int64_t c = 0; c < nchunks; c++) {
    int64_t b0 = c * KP_DROP_CHUNK, b1 = b0 + KP_DROP_CHUNK < nb ? b0 + KP_DROP_CHUNK : nb;
    run_blocks(j, b0, b1);
  }
}

kp_status kp_cpu_dropout_fwd(kp_tensor *y, const kp_tensor *x, float p, uint64_t seed, uint64_t offset) {
  int64_t n = kp_tensor_numel(x);
  const float *px = x->data;
  float *py = y->data; /* may alias px */
  if (p == 0.0f) {
    if (py != px) memcpy(py, px, (size_t)n * sizeof(float));
    return KP_OK;
  }
  drop_job j = {px, py, n, 1.0f / (1.0f - p), keep_threshold(p), seed, offset, false};
  run(&j);
  return KP_OK;
}

kp_status kp_cpu_dropout_bwd(kp_tensor *dx, const kp_tensor *dy, float p, uint64_t seed, uint64_t offset) {
  if (p == 0.0f) return kp_cpu_axpy(dx, 1.0f, dy);
  drop_job j = {dy->data, dx->data, kp_tensor_numel(dy), 1.0f / (1.0f - p), keep_threshold(p), seed, offset, true};
  run(&j);
  return KP_OK;
}
