/* The driver of scripts/bench/dropout_bench.sh: CPU dropout speed through the public ops (kp_dropout_fwd,
 * kp_dropout_bwd), so that the same driver measures any build of src/cpu/dropout.c.
 *   dropout_bench LABEL [P] [REPS]
 * For n = 4096 (a small GNN activation, cache-resident) and n = 2^20 (4 MiB), on dense inputs and on
 * 1%-dense ones (a bag-of-words row: the forward skips all-zero blocks), it prints one line per case:
 *   LABEL n=... input=dense|1% fwd_ns_per_elem=... bwd_ns_per_elem=...
 * Times are the thread's CPU time (CLOCK_THREAD_CPUTIME_ID; run with OMP_NUM_THREADS=1), the best of REPS
 * (default 7) passes of enough calls to cover 2^24 elements, each call on a fresh counter offset. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include "kprca/kprca.h"

static double cpu_now(void) {
  struct timespec t;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static uint32_t lcg(uint32_t *s) { return *s = *s * 1664525u + 1013904223u; }

/* Best ns/element over reps passes of calls x n-element calls of the forward (bwd = 0) or backward. */
static double bench(kp_tensor *y, kp_tensor *x, int64_t n, float p, int bwd, int reps) {
  int64_t calls = ((int64_t)1 << 24) / n;
  double best = 1e30;
  uint64_t off = 0;
  for (int r = 0; r < reps; r++) {
    double t0 = cpu_now();
    for (int64_t c = 0; c < calls; c++, off += (uint64_t)(n + 3) / 4) {
      kp_status st = bwd ? kp_dropout_bwd(y, x, p, 0x5EEDull, off) : kp_dropout_fwd(y, x, p, 0x5EEDull, off);
      if (st != KP_OK) {
        fprintf(stderr, "dropout_bench: %s\n", kp_last_error());
        exit(1);
      }
    }
    double t = (cpu_now() - t0) * 1e9 / (double)(calls * n);
    if (t < best) best = t;
  }
  return best;
}

int main(int argc, char **argv) {
  const char *label = argc > 1 ? argv[1] : "kprca";
  float p = argc > 2 ? (float)atof(argv[2]) : 0.1f;
  int reps = argc > 3 ? atoi(argv[3]) : 7;
  const int64_t sizes[] = {4096, (int64_t)1 << 20};
  for (int si = 0; si < 2; si++)
    for (int dense = 1; dense >= 0; dense--) {
      int64_t n = sizes[si];
      kp_tensor x, y;
      if (kp_tensor_zeros(&x, KP_F32, kp_cpu(), 1, &n) != KP_OK || kp_tensor_zeros(&y, KP_F32, kp_cpu(), 1, &n) != KP_OK) {
        fprintf(stderr, "dropout_bench: %s\n", kp_last_error());
        return 1;
      }
      uint32_t s = 12345;
      float *px = x.data;
      for (int64_t i = 0; i < n; i++) {
        float v = (float)(lcg(&s) >> 8) * (1.0f / 16777216.0f) - 0.5f;
        px[i] = dense || lcg(&s) % 100 == 0 ? v : 0.0f;
      }
      double f = bench(&y, &x, n, p, 0, reps), b = bench(&y, &x, n, p, 1, reps);
      printf("%s n=%lld p=%g input=%s fwd_ns_per_elem=%.3f bwd_ns_per_elem=%.3f\n", label, (long long)n, (double)p,
             dense ? "dense" : "1%", f, b);
      kp_tensor_free(&x);
      kp_tensor_free(&y);
    }
  return 0;
}
