/* CPU inverted dropout: the keep mask is regenerated from Philox (seed, offset, i), never stored.
 * Element i is kept when word i%4 of block offset + i/4, as a uniform in [0, 1), is >= p; one
 * Philox block serves four elements. */
#include <string.h>
#include "cpu/cpu.h"
#include "kprca/rng.h"

kp_status kp_cpu_dropout_fwd(kp_tensor *y, const kp_tensor *x, float p, uint64_t seed, uint64_t offset) {
  int64_t n = kp_tensor_numel(x), nb = (n + 3) / 4;
  const float *px = x->data;
  float *py = y->data; /* may alias px */
  if (p == 0.0f) {
    if (py != px) memcpy(py, px, (size_t)n * sizeof(float));
    return KP_OK;
  }
  float s = 1.0f / (1.0f - p);
#pragma omp parallel for if (n > 8192)
  for (int64_t b = 0; b < nb; b++) {
    kp_u32x4 r = kp_philox_block(seed, offset + (uint64_t)b);
    int64_t end = 4 * b + 4 < n ? 4 * b + 4 : n;
    for (int64_t i = 4 * b; i < end; i++) py[i] = kp_u32_to_uniform(r.v[i & 3]) >= p ? px[i] * s : 0.0f;
  }
  return KP_OK;
}

kp_status kp_cpu_dropout_bwd(kp_tensor *dx, const kp_tensor *dy, float p, uint64_t seed, uint64_t offset) {
  int64_t n = kp_tensor_numel(dy), nb = (n + 3) / 4;
  const float *g = dy->data;
  float *pdx = dx->data;
  if (p == 0.0f) return kp_cpu_axpy(dx, 1.0f, dy);
  float s = 1.0f / (1.0f - p);
#pragma omp parallel for if (n > 8192)
  for (int64_t b = 0; b < nb; b++) {
    kp_u32x4 r = kp_philox_block(seed, offset + (uint64_t)b);
    int64_t end = 4 * b + 4 < n ? 4 * b + 4 : n;
    for (int64_t i = 4 * b; i < end; i++)
      if (kp_u32_to_uniform(r.v[i & 3]) >= p) pdx[i] += g[i] * s;
  }
  return KP_OK;
}
