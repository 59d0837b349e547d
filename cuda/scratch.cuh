/* Pooled scratch memory for one op call: taken from kp_pool_alloc, given back when the
 * holder goes out of scope (work on the default stream is ordered, so a later op that
 * gets the same block runs after the kernels that used it here). */
#ifndef KPRCA_CUDA_SCRATCH_CUH
#define KPRCA_CUDA_SCRATCH_CUH
#include "common.cuh"

struct KpScratch {
  kp_device dev;
  void *ptr = nullptr;
  size_t bytes = 0;
  explicit KpScratch(kp_device d) : dev(d) {}
  KpScratch(const KpScratch &) = delete;
  KpScratch &operator=(const KpScratch &) = delete;
  ~KpScratch() { kp_pool_free(dev, ptr); }
  /* n elements of T (a fresh block; any earlier block is released first) */
  template <class T>
  kp_status alloc(int64_t n) {
    kp_pool_free(dev, ptr);
    ptr = nullptr;
    bytes = (size_t)(n > 0 ? n : 0) * sizeof(T);
    return kp_pool_alloc(dev, bytes, &ptr);
  }
  template <class T>
  T *as() const { return (T *)ptr; }
};

#endif
