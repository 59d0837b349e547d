/* CPU inverted dropout: the keep mask is regenerated from Philox (seed, offset, i), never stored.
 * Element i is kept when word i%4 of block offset + i/4, as a uniform in [0, 1), is >= p; one
 * Philox block serves four elements.
 *
 * Speed without changing one bit: the uniform >= p test is the equivalent integer test
 * (u >> 8) >= ceil(p * 2^24). On CPUs with AVX2 the blocks go through the intrinsics kernel of
 * dropout_avx2.c (picked at run time); elsewhere through this file's portable loop, where Philox
 * runs on KP_DROP_LANES blocks at a time in structure-of-arrays form so that the compiler turns the
 * ten rounds into vector multiplies. Both draw groups of consecutive blocks and apply the mask in
 * element order with a vector loop (dense path). In the forward, a block of four +0.0 inputs gives
 * +0.0 whatever its mask says, so its Philox block is skipped: a bag-of-words input (Cora: ~1%
 * non-zeros) draws only the blocks that hold a non-zero, listed a few at a time. */
#include <math.h>
#include <string.h>
#include "cpu/cpu.h"
#include "cpu/dropout_impl.h"
#include "kprca/rng.h"

#define KP_DROP_LANES KP_DROP_GROUP /* Philox blocks computed together */
#define KP_DROP_PAR 65536           /* elements below which the loop stays on one thread */
#define KP_DROP_CHUNK 4096          /* blocks per OpenMP work item (a multiple of KP_DROP_LANES) */

#if defined(__GNUC__) && !defined(__clang__) && (defined(__x86_64__) || defined(__i386__))
#define KP_DROP_CLONES __attribute__((target_clones("avx2", "default")))
#else
#define KP_DROP_CLONES
#endif

void kp_cpu_philox_keys(uint64_t seed, uint32_t key[10][2]) {
  uint32_t k0 = (uint32_t)seed, k1 = (uint32_t)(seed >> 32);
  for (int r = 0; r < 10; r++, k0 += 0x9E3779B9u, k1 += 0xBB67AE85u) key[r][0] = k0, key[r][1] = k1;
}

/* Words w[0..3][k] of the Philox block at counter ctr[k] under the round keys, for all lanes k:
 * the same rounds as kp_philox4x32_10. */
KP_DROP_CLONES
void kp_cpu_philox_lanes(const uint32_t key[10][2], const uint64_t ctr[KP_DROP_LANES], uint32_t w[4][KP_DROP_LANES]) {
  uint32_t x0[KP_DROP_LANES], x1[KP_DROP_LANES], x2[KP_DROP_LANES], x3[KP_DROP_LANES];
  for (int k = 0; k < KP_DROP_LANES; k++) {
    x0[k] = (uint32_t)ctr[k];
    x1[k] = (uint32_t)(ctr[k] >> 32);
    x2[k] = 0;
    x3[k] = 0;
  }
  for (int r = 0; r < 10; r++) {
    uint32_t k0 = key[r][0], k1 = key[r][1];
    for (int k = 0; k < KP_DROP_LANES; k++) {
      uint64_t p0 = (uint64_t)0xD2511F53u * x0[k], p1 = (uint64_t)0xCD9E8D57u * x2[k];
      uint32_t n0 = (uint32_t)(p1 >> 32) ^ x1[k] ^ k0, n2 = (uint32_t)(p0 >> 32) ^ x3[k] ^ k1;
      x0[k] = n0;
      x1[k] = (uint32_t)p1;
      x2[k] = n2;
      x3[k] = (uint32_t)p0;
    }
  }
  memcpy(w[0], x0, sizeof x0);
  memcpy(w[1], x1, sizeof x1);
  memcpy(w[2], x2, sizeof x2);
  memcpy(w[3], x3, sizeof x3);
}

/* The integer form of "uniform(u) >= p": (u >> 8) * 2^-24 >= p  <=>  (u >> 8) >= ceil(p * 2^24). */
static uint32_t keep_threshold(float p) { return (uint32_t)ceil((double)p * 16777216.0); }

/* Dense path: the 4 * KP_DROP_LANES (whole) elements of the blocks from b on, in one vector loop. */
KP_DROP_CLONES
static void apply_dense(const kp_drop_job *j, int64_t b) {
  uint64_t ctr[KP_DROP_LANES];
  uint32_t w[4][KP_DROP_LANES], e[4 * KP_DROP_LANES];
  for (int k = 0; k < KP_DROP_LANES; k++) ctr[k] = j->offset + (uint64_t)(b + k);
  kp_cpu_philox_lanes((const uint32_t(*)[2])j->key, ctr, w);
  for (int k = 0; k < KP_DROP_LANES; k++)
    for (int c = 0; c < 4; c++) e[4 * k + c] = w[c][k];
  const float *x = j->x + 4 * b;
  float *y = j->y + 4 * b, s = j->s;
  uint32_t thr = j->thr;
  if (j->bwd) {
    for (int i = 0; i < 4 * KP_DROP_LANES; i++) {
      float v = x[i] * s, yo = y[i], ya = yo + v;
      y[i] = (e[i] >> 8) >= thr ? ya : yo;
    }
  } else {
    for (int i = 0; i < 4 * KP_DROP_LANES; i++) {
      float v = x[i] * s;
      y[i] = (e[i] >> 8) >= thr ? v : 0.0f;
    }
  }
}

/* Applies the masks of the listed blocks blk[0..m). */
static void apply_lanes(const kp_drop_job *j, const int64_t *blk, int m) {
  uint64_t ctr[KP_DROP_LANES];
  uint32_t w[4][KP_DROP_LANES];
  for (int k = 0; k < KP_DROP_LANES; k++) ctr[k] = j->offset + (uint64_t)blk[k < m ? k : 0];
  kp_cpu_philox_lanes((const uint32_t(*)[2])j->key, ctr, w);
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
static bool zero_block(const kp_drop_job *j, int64_t b) {
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
static bool zero_group(const kp_drop_job *j, int64_t b) {
  uint32_t u[4 * KP_DROP_LANES], any = 0;
  memcpy(u, j->x + 4 * b, sizeof u);
  for (int k = 0; k < 4 * KP_DROP_LANES; k++) any |= u[k];
  return any == 0;
}

/* Bit k set: whole block b + k (k < KP_DROP_LANES) has all inputs +0.0. */
static uint32_t zero_blocks(const kp_drop_job *j, int64_t b) {
  uint32_t u[4 * KP_DROP_LANES], bits = 0;
  memcpy(u, j->x + 4 * b, sizeof u);
  for (int k = 0; k < KP_DROP_LANES; k++) bits |= (uint32_t)((u[4 * k] | u[4 * k + 1] | u[4 * k + 2] | u[4 * k + 3]) == 0) << k;
  return bits;
}

/* Blocks [b0, b1) on the portable path: whole groups without an all-zero block (all of them in the
 * backward) take the dense path; in the forward, all-zero groups are written directly and the
 * non-zero blocks of the others are listed KP_DROP_LANES at a time. */
static void run_blocks(const kp_drop_job *j, int64_t b0, int64_t b1) {
  int64_t blk[KP_DROP_LANES];
  int m = 0;
  for (int64_t g = b0; g < b1; g += KP_DROP_LANES) {
    int64_t ge = g + KP_DROP_LANES < b1 ? g + KP_DROP_LANES : b1;
    bool whole = ge - g == KP_DROP_LANES && 4 * ge <= j->n;
    if (whole && !j->bwd && zero_group(j, g)) {
      if (j->y != j->x) memset(j->y + 4 * g, 0, sizeof(float) * 4 * KP_DROP_LANES);
      continue;
    }
    uint32_t zero = whole && !j->bwd ? zero_blocks(j, g) : 0;
    if (whole && zero == 0) {
      apply_dense(j, g);
      continue;
    }
    for (int64_t b = g; b < ge; b++) {
      if (!j->bwd && (whole ? (zero >> (b - g) & 1) : zero_block(j, b))) {
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

static void run_chunk(const kp_drop_job *j, bool avx2, int64_t b0, int64_t b1) {
#if KP_DROP_AVX2_BUILT
  if (avx2) {
    kp_cpu_dropout_blocks_avx2(j, b0, b1);
    return;
  }
#endif
  run_blocks(j, b0, b1);
}

kp_status kp_cpu_dropout_run(float *y, const float *x, int64_t n, float p, uint64_t seed, uint64_t offset, bool bwd,
                             kp_drop_path path) {
  static int has_avx2 = -1; /* same answer from every thread: a benign race */
  if (n <= 0) return KP_OK;
  if (p == 0.0f) {
    if (bwd)
      for (int64_t i = 0; i < n; i++) y[i] += x[i];
    else if (y != x)
      memcpy(y, x, (size_t)n * sizeof(float));
    return KP_OK;
  }
  if (has_avx2 < 0) has_avx2 = kp_cpu_dropout_has_avx2();
  if (path == KP_DROP_AVX2 && !has_avx2) return kp_fail(KP_ERR_INVALID, "dropout: this CPU has no AVX2");
  bool avx2 = path == KP_DROP_AVX2 || (path == KP_DROP_AUTO && has_avx2);
  kp_drop_job j = {x, y, n, 1.0f / (1.0f - p), keep_threshold(p), offset, {{0}}, bwd};
  kp_cpu_philox_keys(seed, j.key);
  int64_t nb = (n + 3) / 4;
  if (n <= KP_DROP_PAR) {
    run_chunk(&j, avx2, 0, nb);
    return KP_OK;
  }
  int64_t nchunks = (nb + KP_DROP_CHUNK - 1) / KP_DROP_CHUNK;
#pragma omp parallel for schedule(dynamic, 1)
  for (int64_t c = 0; c < nchunks; c++) {
    int64_t b0 = c * KP_DROP_CHUNK, b1 = b0 + KP_DROP_CHUNK < nb ? b0 + KP_DROP_CHUNK : nb;
    run_chunk(&j, avx2, b0, b1);
  }
  return KP_OK;
}

kp_status kp_cpu_dropout_fwd(kp_tensor *y, const kp_tensor *x, float p, uint64_t seed, uint64_t offset) {
  return kp_cpu_dropout_run(y->data, x->data, kp_tensor_numel(x), p, seed, offset, false, KP_DROP_AUTO);
}

kp_status kp_cpu_dropout_bwd(kp_tensor *dx, const kp_tensor *dy, float p, uint64_t seed, uint64_t offset) {
  if (p == 0.0f) return kp_cpu_axpy(dx, 1.0f, dy);
  return kp_cpu_dropout_run(dx->data, dy->data, kp_tensor_numel(dy), p, seed, offset, true, KP_DROP_AUTO);
}
