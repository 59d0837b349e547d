/* Tensors: a typed, shaped, contiguous (row-major) block of memory on one device.
 * A kp_tensor is a small value; memory comes from the device's pool (kp_tensor_alloc)
 * or from the caller (kp_tensor_wrap, which never frees). */
#ifndef KPRCA_TENSOR_H
#define KPRCA_TENSOR_H
#include <stdbool.h>
#include <stdint.h>
#include "kprca/device.h"
#include "kprca/dtype.h"
#include "kprca/status.h"
#ifdef __cplusplus
extern "C" {
#endif

#define KP_MAX_DIMS 4

typedef struct kp_tensor {
  void *data;
  kp_dtype dtype;
  kp_device device;
  int ndim;
  int64_t shape[KP_MAX_DIMS];
  bool owned; /* data came from kp_tensor_alloc and is returned by kp_tensor_free */
} kp_tensor;

/** Allocates an uninitialised tensor from dev's pool; shape has ndim (1..4) non-negative sizes. */
kp_status kp_tensor_alloc(kp_tensor *t, kp_dtype dt, kp_device dev, int ndim, const int64_t *shape);
/** As kp_tensor_alloc, then sets every element to zero. */
kp_status kp_tensor_zeros(kp_tensor *t, kp_dtype dt, kp_device dev, int ndim, const int64_t *shape);
/** Returns an owned tensor's memory to its pool and clears t (no-op for wrapped or empty tensors). */
void kp_tensor_free(kp_tensor *t);
/** A non-owning tensor over caller memory. */
kp_tensor kp_tensor_wrap(void *data, kp_dtype dt, kp_device dev, int ndim, const int64_t *shape);
/** A non-owning view of t with a new shape of the same element count. */
kp_status kp_tensor_view(kp_tensor *view, const kp_tensor *t, int ndim, const int64_t *shape);
/** Number of elements. */
int64_t kp_tensor_numel(const kp_tensor *t);
/** Number of bytes. */
size_t kp_tensor_nbytes(const kp_tensor *t);
/** Size of the last dimension (1 for a 0-d tensor). */
int64_t kp_tensor_cols(const kp_tensor *t);
/** numel / cols: the number of rows when t is seen as a matrix over its last dimension. */
int64_t kp_tensor_rows(const kp_tensor *t);
/** Writes "f32[2,3]@cpu" into buf and returns buf. */
const char *kp_tensor_str(const kp_tensor *t, char *buf, size_t n);
/** Copies src into dst (same dtype and element count; any devices). */
kp_status kp_tensor_copy(kp_tensor *dst, const kp_tensor *src);
/** Sets every element of t to v (converted to t's dtype). */
kp_status kp_tensor_fill(kp_tensor *t, double v);
/** Converts src into dst elementwise (same device and element count; f32/bf16/f16/i32/i64, round-to-nearest-even). */
kp_status kp_tensor_cast(kp_tensor *dst, const kp_tensor *src);

#ifdef __cplusplus
}
#endif
#endif
