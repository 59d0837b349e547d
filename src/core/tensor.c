/* Tensor allocation, views, copies, fills and casts. */
#include <stdio.h>
#include <string.h>
#include "core/backend.h"

int64_t kp_tensor_numel(const kp_tensor *t) {
  int64_t n = 1;
  for (int i = 0; i < t->ndim; i++) n *= t->shape[i];
  return n;
}

size_t kp_tensor_nbytes(const kp_tensor *t) { return (size_t)kp_tensor_numel(t) * kp_dtype_size(t->dtype); }

int64_t kp_tensor_cols(const kp_tensor *t) { return t->ndim ? t->shape[t->ndim - 1] : 1; }

int64_t kp_tensor_rows(const kp_tensor *t) {
  int64_t c = kp_tensor_cols(t);
  return c ? kp_tensor_numel(t) / c : 0;
}

const char *kp_tensor_str(const kp_tensor *t, char *buf, size_t n) {
  int k = snprintf(buf, n, "%s[", kp_dtype_name(t->dtype));
  for (int i = 0; i < t->ndim && k < (int)n; i++)
    k += snprintf(buf + k, n - k, "%s%lld", i ? "," : "", (long long)t->shape[i]);
  char d[32];
  if (k < (int)n) snprintf(buf + k, n - k, "]@%s", kp_device_str(t->device, d, sizeof d));
  return buf;
}

static kp_status set_shape(kp_tensor *t, int ndim, const int64_t *shape) {
  if (ndim < 0 || ndim > KP_MAX_DIMS)
    return kp_fail(KP_ERR_INVALID, "tensor: %d dimensions requested (0..%d allowed)", ndim, KP_MAX_DIMS);
  t->ndim = ndim;
  for (int i = 0; i < KP_MAX_DIMS; i++) t->shape[i] = i < ndim ? shape[i] : 0;
  for (int i = 0; i < ndim; i++)
    if (shape[i] < 0) return kp_fail(KP_ERR_INVALID, "tensor: dimension %d has negative size %lld", i, (long long)shape[i]);
  return KP_OK;
}

kp_status kp_tensor_alloc(kp_tensor *t, kp_dtype dt, kp_device dev, int ndim, const int64_t *shape) {
  memset(t, 0, sizeof *t);
  t->dtype = dt;
  t->device = dev;
  KP_TRY(set_shape(t, ndim, shape));
  void *p = NULL;
  KP_TRY(kp_pool_alloc(dev, kp_tensor_nbytes(t), &p));
  t->data = p;
  t->owned = true;
  return KP_OK;
}

kp_status kp_tensor_zeros(kp_tensor *t, kp_dtype dt, kp_device dev, int ndim, const int64_t *shape) {
  KP_TRY(kp_tensor_alloc(t, dt, dev, ndim, shape));
  kp_status s = kp_tensor_fill(t, 0.0);
  if (s != KP_OK) kp_tensor_free(t);
  return s;
}

void kp_tensor_free(kp_tensor *t) {
  if (!t) return;
  if (t->owned && t->data) kp_pool_free(t->device, t->data);
  memset(t, 0, sizeof *t);
}

kp_tensor kp_tensor_wrap(void *data, kp_dtype dt, kp_device dev, int ndim, const int64_t *shape) {
  kp_tensor t;
  memset(&t, 0, sizeof t);
  t.data = data;
  t.dtype = dt;
  t.device = dev;
  t.ndim = ndim < 0 ? 0 : (ndim > KP_MAX_DIMS ? KP_MAX_DIMS : ndim);
  for (int i = 0; i < t.ndim; i++) t.shape[i] = shape[i];
  return t;
}

kp_status kp_tensor_view(kp_tensor *view, const kp_tensor *t, int ndim, const int64_t *shape) {
  kp_tensor v = *t;
  v.owned = false;
  KP_TRY(set_shape(&v, ndim, shape));
  if (kp_tensor_numel(&v) != kp_tensor_numel(t)) {
    char a[64], b[64];
    return kp_fail(KP_ERR_INVALID, "tensor view: %s cannot be viewed as %s", kp_tensor_str(t, a, sizeof a),
                   kp_tensor_str(&v, b, sizeof b));
  }
  *view = v;
  return KP_OK;
}

kp_status kp_tensor_copy(kp_tensor *dst, const kp_tensor *src) {
  if (dst->dtype != src->dtype || kp_tensor_numel(dst) != kp_tensor_numel(src)) {
    char a[64], b[64];
    return kp_fail(KP_ERR_INVALID, "tensor copy: %s into %s needs the same dtype and element count",
                   kp_tensor_str(src, a, sizeof a), kp_tensor_str(dst, b, sizeof b));
  }
  size_t n = kp_tensor_nbytes(src);
  if (n == 0) return KP_OK;
  const kp_backend *b;
  kp_device via = dst->device.type == KP_DEV_CUDA ? dst->device : src->device;
  KP_TRY(kp_backend_for(via, &b));
  return b->copy(dst->data, dst->device, src->data, src->device, n);
}

kp_status kp_tensor_fill(kp_tensor *t, double v) {
  const kp_backend *b;
  KP_TRY(kp_backend_for(t->device, &b));
  if (kp_tensor_numel(t) == 0) return KP_OK;
  return b->fill(t, v);
}

kp_status kp_tensor_cast(kp_tensor *dst, const kp_tensor *src) {
  if (!kp_device_eq(dst->device, src->device) || kp_tensor_numel(dst) != kp_tensor_numel(src)) {
    char a[64], b[64];
    return kp_fail(KP_ERR_INVALID, "tensor cast: %s into %s needs the same device and element count",
                   kp_tensor_str(src, a, sizeof a), kp_tensor_str(dst, b, sizeof b));
  }
  const kp_backend *b;
  KP_TRY(kp_backend_for(src->device, &b));
  if (kp_tensor_numel(src) == 0) return KP_OK;
  return b->cast(dst, src);
}
