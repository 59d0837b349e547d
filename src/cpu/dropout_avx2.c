/* The AVX2 dropout kernel: the same masks as the portable loop in dropout.c, bit for bit.
 *
 * Philox runs on 8 blocks per __m256i (word c of 8 blocks in one vector): _mm256_mul_epu32 gives the
 * 32x32->64 products of the even lanes, a second one on the vector shifted by 32 those of the odd
 * lanes, and two blends put the high and low halves back into lanes. A dense step covers 16 blocks
 * (64 elements, two independent vector sets to hide the multiply latency); the lanes hold the
 * blocks in the order 0 2 4 6 | 1 3 5 7, so that the in-lane 4x4 transpose of the four word
 * vectors gives the words directly in element order (blocks 0 1, 2 3, 4 5, 6 7), with no
 * cross-lane permute. Keep iff (word >> 8) >= thr is one shift and one signed compare (both sides
 * are below 2^31). The forward output is andnot(drop, x * s); the backward keeps y where dropped
 * (a blend, not y + 0, so that y = -0.0 stays -0.0).
 *
 * Forward on sparse inputs: a group of 64 all +0.0 inputs is written as zeros; a group with only
 * a few non-zero blocks puts those on a list that is drawn 8 blocks at a time, as dropout.c does. */
#include "cpu/dropout_impl.h"

#if KP_DROP_AVX2_BUILT
#include <immintrin.h>
#include <string.h>

#if defined(__clang__)
#pragma clang attribute push(__attribute__((target("avx2"))), apply_to = function)
#else
#pragma GCC push_options
#pragma GCC target("avx2")
#endif

#define KP_DROP_SPARSE_MAX 6 /* a forward group with at most this many non-zero blocks goes on the list */

#define INLINE static inline __attribute__((always_inline))

/* hi and lo 32 bits of a[k] * m for the 8 lanes k (m holds one constant in every lane). */
INLINE void mulhilo8(__m256i a, __m256i m, __m256i *hi, __m256i *lo) {
  __m256i pe = _mm256_mul_epu32(a, m);                        /* lanes 0 2 4 6, 64-bit products */
  __m256i po = _mm256_mul_epu32(_mm256_srli_epi64(a, 32), m); /* lanes 1 3 5 7 */
  *hi = _mm256_blend_epi32(_mm256_srli_epi64(pe, 32), po, 0xAA);
  *lo = _mm256_blend_epi32(pe, _mm256_slli_epi64(po, 32), 0xAA);
}

/* Philox4x32-10 of nv sets of 8 blocks with counters (lo[v], hi[v]) per lane; words into x[v][0..3].
 * The rounds of kp_philox4x32_10; the first has x2 = x3 = 0, so its second product is 0. */
INLINE void philox_sets(const kp_drop_job *j, int nv, const __m256i *lo, const __m256i *hi, __m256i x[][4]) {
  const __m256i m0 = _mm256_set1_epi32((int)0xD2511F53u), m1 = _mm256_set1_epi32((int)0xCD9E8D57u);
  __m256i k0 = _mm256_set1_epi32((int)j->key[0][0]), k1 = _mm256_set1_epi32((int)j->key[0][1]);
  for (int v = 0; v < nv; v++) {
    __m256i h0, l0;
    mulhilo8(lo[v], m0, &h0, &l0);
    x[v][0] = _mm256_xor_si256(hi[v], k0);
    x[v][1] = _mm256_setzero_si256();
    x[v][2] = _mm256_xor_si256(h0, k1);
    x[v][3] = l0;
  }
  for (int r = 1; r < 10; r++) {
    k0 = _mm256_set1_epi32((int)j->key[r][0]);
    k1 = _mm256_set1_epi32((int)j->key[r][1]);
    for (int v = 0; v < nv; v++) {
      __m256i h0, l0, h1, l1;
      mulhilo8(x[v][0], m0, &h0, &l0);
      mulhilo8(x[v][2], m1, &h1, &l1);
      x[v][0] = _mm256_xor_si256(_mm256_xor_si256(h1, x[v][1]), k0);
      x[v][1] = l1;
      x[v][2] = _mm256_xor_si256(_mm256_xor_si256(h0, x[v][3]), k1);
      x[v][3] = l0;
    }
  }
}

/* Counters c + perm[k] of the 8 lanes, split into low and high words (the carry goes into the high). */
INLINE void counters(uint64_t c, __m256i perm, __m256i *lo, __m256i *hi) {
  const __m256i sign = _mm256_set1_epi32((int)0x80000000u);
  __m256i l = _mm256_add_epi32(_mm256_set1_epi32((int)(uint32_t)c), perm);
  __m256i carry = _mm256_cmpgt_epi32(_mm256_xor_si256(perm, sign), _mm256_xor_si256(l, sign)); /* l < perm: -1 */
  *lo = l;
  *hi = _mm256_sub_epi32(_mm256_set1_epi32((int)(uint32_t)(c >> 32)), carry);
}

typedef struct drop_ctx {
  const kp_drop_job *j;
  __m256 s;
  __m256i thr, perm;
  int64_t blk[8]; /* forward: listed non-zero blocks of sparse groups, not yet drawn */
  int m;
} drop_ctx;

/* The 64 outputs at y from inputs xv (8 vectors) for the 16 blocks from counter c on. */
INLINE void dense_group(drop_ctx *t, const __m256 xv[8], float *y, uint64_t c) {
  __m256i lo[2], hi[2], w[2][4];
  counters(c, t->perm, &lo[0], &hi[0]);
  counters(c + 8, t->perm, &lo[1], &hi[1]);
  philox_sets(t->j, 2, lo, hi, w);
  for (int v = 0; v < 2; v++) {
    __m256i t0 = _mm256_unpacklo_epi32(w[v][0], w[v][1]), t1 = _mm256_unpackhi_epi32(w[v][0], w[v][1]);
    __m256i t2 = _mm256_unpacklo_epi32(w[v][2], w[v][3]), t3 = _mm256_unpackhi_epi32(w[v][2], w[v][3]);
    __m256i e[4] = {_mm256_unpacklo_epi64(t0, t2), _mm256_unpackhi_epi64(t0, t2), _mm256_unpacklo_epi64(t1, t3),
                    _mm256_unpackhi_epi64(t1, t3)};
    for (int q = 0; q < 4; q++) {
      __m256 drop = _mm256_castsi256_ps(_mm256_cmpgt_epi32(t->thr, _mm256_srli_epi32(e[q], 8)));
      __m256 v8 = _mm256_mul_ps(xv[4 * v + q], t->s);
      float *yq = y + 32 * v + 8 * q;
      if (t->j->bwd) {
        __m256 yo = _mm256_loadu_ps(yq);
        _mm256_storeu_ps(yq, _mm256_blendv_ps(_mm256_add_ps(yo, v8), yo, drop));
      } else {
        _mm256_storeu_ps(yq, _mm256_andnot_ps(drop, v8));
      }
    }
  }
}

/* Draws the listed blocks (all whole, forward) and writes their outputs; empties the list. */
static void flush_list(drop_ctx *t) {
  if (!t->m) return;
  const kp_drop_job *j = t->j;
  uint32_t l[8], h[8], w[4][8];
  for (int k = 0; k < 8; k++) {
    uint64_t c = j->offset + (uint64_t)t->blk[k < t->m ? k : 0];
    l[k] = (uint32_t)c;
    h[k] = (uint32_t)(c >> 32);
  }
  __m256i lo = _mm256_loadu_si256((const __m256i *)l), hi = _mm256_loadu_si256((const __m256i *)h), x[1][4];
  philox_sets(j, 1, &lo, &hi, x);
  for (int c = 0; c < 4; c++) _mm256_storeu_si256((__m256i *)w[c], x[0][c]);
  for (int k = 0; k < t->m; k++) {
    int64_t i0 = 4 * t->blk[k];
    for (int c = 0; c < 4; c++) j->y[i0 + c] = (w[c][k] >> 8) >= j->thr ? j->x[i0 + c] * j->s : 0.0f;
  }
  t->m = 0;
}

/* One group of 16 blocks from block b on (its 64 inputs at x, outputs at y; sparse: may use the list). */
INLINE void group(drop_ctx *t, const float *x, float *y, int64_t b, bool sparse) {
  __m256 xv[8];
  for (int i = 0; i < 8; i++) xv[i] = _mm256_loadu_ps(x + 8 * i);
  if (!t->j->bwd) {
    const __m256i zero = _mm256_setzero_si256();
    uint64_t zm = 0; /* bit i: input i is +0.0 */
    for (int i = 0; i < 8; i++)
      zm |= (uint64_t)(uint32_t)_mm256_movemask_ps(_mm256_castsi256_ps(_mm256_cmpeq_epi32(_mm256_castps_si256(xv[i]), zero)))
            << (8 * i);
    if (zm == ~0ull) {
      if (y != x)
        for (int i = 0; i < 8; i++) _mm256_storeu_ps(y + 8 * i, _mm256_setzero_ps());
      return;
    }
    uint64_t live = ~(zm & zm >> 1 & zm >> 2 & zm >> 3) & 0x1111111111111111ull; /* bit 4k: block k has a non-zero */
    if (sparse && __builtin_popcountll(live) <= KP_DROP_SPARSE_MAX) {
      if (y != x)
        for (int i = 0; i < 8; i++) _mm256_storeu_ps(y + 8 * i, _mm256_setzero_ps());
      for (; live; live &= live - 1) {
        t->blk[t->m++] = b + __builtin_ctzll(live) / 4;
        if (t->m == 8) flush_list(t);
      }
      return;
    }
  }
  dense_group(t, xv, y, t->j->offset + (uint64_t)b);
}

bool kp_cpu_dropout_has_avx2(void) {
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx2");
}

void kp_cpu_dropout_blocks_avx2(const kp_drop_job *j, int64_t b0, int64_t b1) {
  drop_ctx t = {.j = j, .s = _mm256_set1_ps(j->s), .thr = _mm256_set1_epi32((int)j->thr),
                .perm = _mm256_setr_epi32(0, 2, 4, 6, 1, 3, 5, 7), .m = 0};
  int64_t b = b0;
  for (; b + KP_DROP_GROUP <= b1 && 4 * (b + KP_DROP_GROUP) <= j->n; b += KP_DROP_GROUP)
    group(&t, j->x + 4 * b, j->y + 4 * b, b, true);
  flush_list(&t);
  if (b < b1) { /* the last, short group: through zero-padded copies */
    int64_t e = 4 * b, cnt = (4 * b1 < j->n ? 4 * b1 : j->n) - e;
    float xs[64] = {0}, ys[64];
    memcpy(xs, j->x + e, sizeof(float) * (size_t)cnt);
    if (j->bwd) memcpy(ys, j->y + e, sizeof(float) * (size_t)cnt);
    group(&t, xs, ys, b, false);
    memcpy(j->y + e, ys, sizeof(float) * (size_t)cnt);
  }
}

#if defined(__clang__)
#pragma clang attribute pop
#else
#pragma GCC pop_options
#endif

#else /* no AVX2 kernel in this build */

bool kp_cpu_dropout_has_avx2(void) { return false; }

#endif
