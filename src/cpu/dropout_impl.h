/* Internals of the CPU dropout (dropout.c, dropout_avx2.c): the job both paths run, and the entry
 * that lets a test pick the path, so the AVX2 kernel can be checked against the portable one. */
#ifndef KPRCA_CPU_DROPOUT_IMPL_H
#define KPRCA_CPU_DROPOUT_IMPL_H
#include <stdbool.h>
#include <stdint.h>
#include "kprca/status.h"
#ifdef __cplusplus
extern "C" {
#endif

#define KP_DROP_GROUP 16 /* Philox blocks (64 elements) one dense step covers */

#if (defined(__GNUC__) || defined(__clang__)) && defined(__x86_64__)
#define KP_DROP_AVX2_BUILT 1 /* dropout_avx2.c holds the AVX2 kernel */
#else
#define KP_DROP_AVX2_BUILT 0
#endif

typedef struct kp_drop_job {
  const float *x;
  float *y; /* may alias x in the forward */
  int64_t n;
  float s;      /* 1 / (1 - p) */
  uint32_t thr; /* keep iff (word >> 8) >= thr, thr = ceil(p * 2^24) */
  uint64_t offset;
  uint32_t key[10][2]; /* the Philox round keys of the seed */
  bool bwd;            /* y += kept ? x * s : y instead of y = kept ? x * s : 0 */
} kp_drop_job;

typedef enum kp_drop_path { KP_DROP_AUTO = 0, KP_DROP_PORTABLE, KP_DROP_AVX2 } kp_drop_path;

/* The ten Philox4x32-10 round keys of seed (key[r] = seed's halves plus r times the Weyl constants). */
void kp_cpu_philox_keys(uint64_t seed, uint32_t key[10][2]);

/* Words w[0..3][k] of the Philox4x32-10 blocks at counters ctr[k], KP_DROP_GROUP lanes at a time (portable,
 * structure-of-arrays code that the compiler vectorises). */
void kp_cpu_philox_lanes(const uint32_t key[10][2], const uint64_t ctr[KP_DROP_GROUP], uint32_t w[4][KP_DROP_GROUP]);

/* True when this CPU runs the AVX2 kernel. */
bool kp_cpu_dropout_has_avx2(void);

/* Blocks [b0, b1) of job j with AVX2 intrinsics (call only where kp_cpu_dropout_has_avx2()). */
void kp_cpu_dropout_blocks_avx2(const kp_drop_job *j, int64_t b0, int64_t b1);

/* Dropout of n floats on path (AUTO: AVX2 where the CPU has it): forward y = kept ? x * s : 0, or
 * with bwd the backward y += kept ? x * s : 0; 0 <= p < 1. The outputs do not depend on the path. */
kp_status kp_cpu_dropout_run(float *y, const float *x, int64_t n, float p, uint64_t seed, uint64_t offset, bool bwd,
                             kp_drop_path path);

#ifdef __cplusplus
}
#endif
#endif
