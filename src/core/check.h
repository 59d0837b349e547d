/* Argument checks shared by the op dispatchers: each failure names the op, the argument
 * and what was expected, e.g. "layernorm_fwd: gamma is f32[7]@cpu, expected [8]". */
#ifndef KPRCA_CORE_CHECK_H
#define KPRCA_CORE_CHECK_H
#include "core/backend.h"
#ifdef __cplusplus
extern "C" {
#endif

/** t is non-NULL, of dtype dt, on dev, with data unless it is empty. */
kp_status kp_check(const char *op, const char *name, const kp_tensor *t, kp_dtype dt, kp_device dev);
/** As kp_check, and t has exactly numel elements. */
kp_status kp_check_numel(const char *op, const char *name, const kp_tensor *t, kp_dtype dt, kp_device dev,
                         int64_t numel);
/** As kp_check, and t has ndim dims equal to shape (-1 matches any size). */
kp_status kp_check_shape(const char *op, const char *name, const kp_tensor *t, kp_dtype dt, kp_device dev, int ndim,
                         const int64_t *shape);
/** a and b have the same shape. */
kp_status kp_check_same_shape(const char *op, const char *na, const kp_tensor *a, const char *nb,
                              const kp_tensor *b);
/* Fetch the backend for dev and make sure it implements `field`. */
#define KP_GET_BACKEND(op, dev, field, bvar)                                                        \
  const kp_backend *bvar = NULL;                                                                    \
  do {                                                                                              \
    kp_status kp_gb_s_ = kp_backend_for((dev), &bvar);                                              \
    if (kp_gb_s_ != KP_OK) return kp_fail_context(kp_gb_s_, "%s", op);                              \
    if (!bvar->field) return kp_fail(KP_ERR_UNSUPPORTED, "%s: not implemented on the %s backend", op, \
                                     bvar->name);                                                   \
  } while (0)

#ifdef __cplusplus
}
#endif
#endif
