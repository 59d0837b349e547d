/* Argument checks for the op dispatchers. */
#include <stdio.h>
#include "core/check.h"

static const char *dev_name(kp_device d, char *buf, size_t n) { return kp_device_str(d, buf, n); }

kp_status kp_check(const char *op, const char *name, const kp_tensor *t, kp_dtype dt, kp_device dev) {
  char a[64], b[32];
  if (!t) return kp_fail(KP_ERR_INVALID, "%s: %s is NULL", op, name);
  if (t->ndim < 0 || t->ndim > KP_MAX_DIMS) return kp_fail(KP_ERR_INVALID, "%s: %s has %d dims", op, name, t->ndim);
  if (t->dtype != dt)
    return kp_fail(KP_ERR_INVALID, "%s: %s is %s, expected dtype %s", op, name, kp_tensor_str(t, a, sizeof a),
                   kp_dtype_name(dt));
  if (!kp_device_eq(t->device, dev))
    return kp_fail(KP_ERR_INVALID, "%s: %s is %s, expected device %s", op, name, kp_tensor_str(t, a, sizeof a),
                   dev_name(dev, b, sizeof b));
  if (!t->data && kp_tensor_numel(t) > 0) return kp_fail(KP_ERR_INVALID, "%s: %s has no data", op, name);
  return KP_OK;
}

kp_status kp_check_numel(const char *op, const char *name, const kp_tensor *t, kp_dtype dt, kp_device dev,
                         int64_t numel) {
  KP_TRY(kp_check(op, name, t, dt, dev));
  char a[64];
  if (kp_tensor_numel(t) != numel)
    return kp_fail(KP_ERR_INVALID, "%s: %s is %s, expected %lld elements", op, name, kp_tensor_str(t, a, sizeof a),
                   (long long)numel);
  return KP_OK;
}

kp_status kp_check_shape(const char *op, const char *name, const kp_tensor *t, kp_dtype dt, kp_device dev, int ndim,
                         const int64_t *shape) {
  KP_TRY(kp_check(op, name, t, dt, dev));
  bool ok = t->ndim == ndim;
  for (int i = 0; ok && i < ndim; i++)
    if (shape[i] >= 0 && t->shape[i] != shape[i]) ok = false;
  if (!ok) {
    char a[64], e[96];
    int k = snprintf(e, sizeof e, "[");
    for (int i = 0; i < ndim && k < (int)sizeof e; i++)
      k += shape[i] >= 0 ? snprintf(e + k, sizeof e - k, "%s%lld", i ? "," : "", (long long)shape[i])
                         : snprintf(e + k, sizeof e - k, "%s*", i ? "," : "");
    if (k < (int)sizeof e) snprintf(e + k, sizeof e - k, "]");
    return kp_fail(KP_ERR_INVALID, "%s: %s is %s, expected shape %s", op, name, kp_tensor_str(t, a, sizeof a), e);
  }
  return KP_OK;
}

kp_status kp_check_same_shape(const char *op, const char *na, const kp_tensor *a, const char *nb,
                              const kp_tensor *b) {
  bool ok = a->ndim == b->ndim;
  for (int i = 0; ok && i < a->ndim; i++)
    if (a->shape[i] != b->shape[i]) ok = false;
  if (!ok) {
    char sa[64], sb[64];
    return kp_fail(KP_ERR_INVALID, "%s: %s is %s but %s is %s (shapes must match)", op, na,
                   kp_tensor_str(a, sa, sizeof sa), nb, kp_tensor_str(b, sb, sizeof sb));
  }
  return KP_OK;
}
