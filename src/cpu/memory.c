/* CPU memory, copies, fills, casts and random fills. */
#include <stdlib.h>
#include <string.h>
#include "core/ewmath.h"
#include "cpu/cpu.h"

kp_status kp_cpu_raw_alloc(int index, size_t bytes, void **ptr) {
  (void)index;
  size_t n = (bytes + 63) & ~(size_t)63;
  *ptr = aligned_alloc(64, n ? n : 64);
  if (!*ptr) return kp_fail(KP_ERR_NOMEM, "cpu: cannot allocate %zu bytes", bytes);
  return KP_OK;
}

void kp_cpu_raw_free(int index, void *ptr) {
  (void)index;
  free(ptr);
}

kp_status kp_cpu_copy(void *dst, kp_device ddev, const void *src, kp_device sdev, size_t bytes) {
  if (ddev.type != KP_DEV_CPU || sdev.type != KP_DEV_CPU)
    return kp_fail(KP_ERR_INTERNAL, "cpu copy: called with a non-CPU device");
  memmove(dst, src, bytes);
  return KP_OK;
}

kp_status kp_cpu_sync(int index) {
  (void)index;
  return KP_OK;
}

kp_status kp_cpu_fill(kp_tensor *t, double v) {
  int64_t n = kp_tensor_numel(t);
  switch (t->dtype) {
    case KP_F32: {
      float *p = t->data, f = (float)v;
      for (int64_t i = 0; i < n; i++) p[i] = f;
      break;
    }
    case KP_BF16: {
      uint16_t *p = t->data, h = kp_f32_to_bf16((float)v);
      for (int64_t i = 0; i < n; i++) p[i] = h;
      break;
    }
    case KP_F16: {
      uint16_t *p = t->data, h = kp_f32_to_f16((float)v);
      for (int64_t i = 0; i < n; i++) p[i] = h;
      break;
    }
    case KP_I32: {
      int32_t *p = t->data, x = (int32_t)v;
      for (int64_t i = 0; i < n; i++) p[i] = x;
      break;
    }
    case KP_I64: {
      int64_t *p = t->data, x = (int64_t)v;
      for (int64_t i = 0; i < n; i++) p[i] = x;
      break;
    }
  }
  return KP_OK;
}

/* Element i of t as f32 / written from f32 (i32 and i64 go through double to stay exact). */
static double load(const kp_tensor *t, int64_t i) {
  switch (t->dtype) {
    case KP_F32: return ((const float *)t->data)[i];
    case KP_BF16: return kp_bf16_to_f32(((const uint16_t *)t->data)[i]);
    case KP_F16: return kp_f16_to_f32(((const uint16_t *)t->data)[i]);
    case KP_I32: return ((const int32_t *)t->data)[i];
    case KP_I64: return (double)((const int64_t *)t->data)[i];
  }
  return 0;
}

static void store(kp_tensor *t, int64_t i, double v) {
  switch (t->dtype) {
    case KP_F32: ((float *)t->data)[i] = (float)v; break;
    case KP_BF16: ((uint16_t *)t->data)[i] = kp_f32_to_bf16((float)v); break;
    case KP_F16: ((uint16_t *)t->data)[i] = kp_f32_to_f16((float)v); break;
    case KP_I32: ((int32_t *)t->data)[i] = (int32_t)v; break;
    case KP_I64: ((int64_t *)t->data)[i] = (int64_t)v; break;
  }
}

kp_status kp_cpu_cast(kp_tensor *dst, const kp_tensor *src) {
  int64_t n = kp_tensor_numel(src);
  if (dst->dtype == KP_I64 && src->dtype == KP_I64) {
    memmove(dst->data, src->data, (size_t)n * 8);
    return KP_OK;
  }
#pragma omp parallel for if (n > 65536)
  for (int64_t i = 0; i < n; i++) store(dst, i, load(src, i));
  return KP_OK;
}

kp_status kp_cpu_fill_uniform(kp_tensor *t, uint64_t seed, uint64_t offset, float lo, float hi) {
  float *p = t->data;
  int64_t n = kp_tensor_numel(t);
#pragma omp parallel for if (n > 65536)
  for (int64_t i = 0; i < n; i++) p[i] = lo + (hi - lo) * kp_philox_uniform(seed, offset, (uint64_t)i);
  return KP_OK;
}

kp_status kp_cpu_fill_normal(kp_tensor *t, uint64_t seed, uint64_t offset, float mean, float std) {
  float *p = t->data;
  int64_t n = kp_tensor_numel(t);
#pragma omp parallel for if (n > 65536)
  for (int64_t i = 0; i < n; i++) p[i] = mean + std * kp_philox_normal(seed, offset, (uint64_t)i);
  return KP_OK;
}
