/* CPU activations: the shared math of src/core/ewmath.h applied element by element. */
#include "core/ewmath.h"
#include "cpu/cpu.h"

kp_status kp_cpu_act_fwd(kp_tensor *y, const kp_tensor *x, kp_act act, float alpha) {
  int64_t n = kp_tensor_numel(x);
  const float *px = x->data;
  float *py = y->data; /* may alias px */
#pragma omp parallel for if (n > 16384)
  for (int64_t i = 0; i < n; i++) py[i] = kp_act_apply(act, px[i], alpha);
  return KP_OK;
}

kp_status kp_cpu_act_bwd(kp_tensor *dx, const kp_tensor *dy, const kp_tensor *x, kp_act act, float alpha) {
  int64_t n = kp_tensor_numel(x);
  const float *px = x->data, *g = dy->data;
  float *pdx = dx->data;
#pragma omp parallel for if (n > 16384)
  for (int64_t i = 0; i < n; i++) pdx[i] += kp_act_grad(act, px[i], alpha) * g[i];
  return KP_OK;
}
