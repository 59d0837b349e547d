/* Helpers for the CUDA-vs-CPU tests: skip cleanly without a GPU, copy CPU tensors to the
 * GPU, output buffers with guard zones on both sides that catch out-of-bounds writes, and
 * bitwise comparisons of GPU outputs with the CPU's and with other GPU runs. */
#ifndef KPRCA_TESTS_GPU_UTIL_H
#define KPRCA_TESTS_GPU_UTIL_H
#include <cmath>
#include <cstring>
#include <memory>
#include "core/backend.h"
#include "testutil.h"

namespace kpt {

/* Skips the test, with the reason, when no CUDA device is usable. */
#define KP_REQUIRE_GPU()                                                                          \
  do {                                                                                            \
    if (kp_cuda_device_count() == 0) GTEST_SKIP() << "skipped: no GPU (" << kp_cuda_unavailable_reason() << ")"; \
  } while (0)

inline kp_device gpu0() { return kp_cuda(0); }

/* A GPU tensor of `shape` whose buffer is surrounded by `guard` bytes of a sentinel pattern
 * on each side; its contents start as a copy of `init` (a CPU tensor of the same dtype and
 * size) or as zeros. guards_intact() checks that no kernel wrote outside the tensor. */
struct Guarded {
  static constexpr size_t kGuard = 4096;
  static constexpr unsigned char kByte = 0xA5;
  void *base = nullptr;
  kp_tensor t{};
  size_t nbytes = 0;
  Guarded(kp_dtype dt, std::vector<int64_t> shape, const kp_tensor *init = nullptr) {
    t = kp_tensor_wrap(nullptr, dt, gpu0(), (int)shape.size(), shape.data());
    nbytes = kp_tensor_nbytes(&t);
    if (kp_pool_alloc(gpu0(), nbytes + 2 * kGuard, &base) != KP_OK) throw std::runtime_error(kp_last_error());
    std::vector<unsigned char> fill(nbytes + 2 * kGuard, kByte);
    if (init) {
      if (kp_tensor_nbytes(init) != nbytes) throw std::runtime_error("Guarded: init size mismatch");
      std::memcpy(fill.data() + kGuard, init->data, nbytes);
    } else {
      std::memset(fill.data() + kGuard, 0, nbytes);
    }
    if (kp_cuda_backend() == nullptr) throw std::runtime_error("no CUDA backend");
    /* raw bytes travel as bf16 pairs (sizes are even) */
    int64_t halves = (int64_t)(fill.size() / 2);
    kp_tensor d = kp_tensor_wrap(base, KP_BF16, gpu0(), 1, &halves);
    kp_tensor src = kp_tensor_wrap(fill.data(), KP_BF16, kp_cpu(), 1, &halves);
    if (kp_tensor_copy(&d, &src) != KP_OK) throw std::runtime_error(kp_last_error());
    t.data = (char *)base + kGuard;
  }
  Guarded(const Guarded &) = delete;
  Guarded &operator=(const Guarded &) = delete;
  ~Guarded() { kp_pool_free(gpu0(), base); }
  kp_tensor *operator&() { return &t; }
  /* true when both guard zones still hold the sentinel */
  bool guards_intact() const {
    std::vector<unsigned char> h(nbytes + 2 * kGuard);
    int64_t halves = (int64_t)(h.size() / 2);
    kp_tensor d = kp_tensor_wrap(base, KP_BF16, gpu0(), 1, &halves);
    kp_tensor dst = kp_tensor_wrap(h.data(), KP_BF16, kp_cpu(), 1, &halves);
    if (kp_tensor_copy(&dst, &d) != KP_OK) return false;
    for (size_t i = 0; i < kGuard; i++)
      if (h[i] != kByte || h[kGuard + nbytes + i] != kByte) return false;
    return true;
  }
  std::vector<float> vec() const {
    std::vector<float> v(nbytes / 4);
    kp_tensor h = kp_tensor_wrap(v.data(), KP_F32, kp_cpu(), t.ndim, t.shape);
    if (kp_tensor_copy(&h, &t) != KP_OK) throw std::runtime_error(kp_last_error());
    return v;
  }
  std::vector<int32_t> ivec() const {
    std::vector<int32_t> v(nbytes / 4);
    kp_tensor h = kp_tensor_wrap(v.data(), KP_I32, kp_cpu(), t.ndim, t.shape);
    if (kp_tensor_copy(&h, &t) != KP_OK) throw std::runtime_error(kp_last_error());
    return v;
  }
};

/* Waits for the GPU and fails the test, with kprca's message, on any asynchronous error (a failed kernel). */
#define KP_GPU_SYNC() KP_ASSERT_OK(kp_device_sync(kpt::gpu0()))

/* A guarded GPU tensor holding a copy of the CPU tensor c (same dtype, shape and contents). */
inline std::unique_ptr<Guarded> guard(const T &c) {
  return std::make_unique<Guarded>(c.t.dtype, shape_of(&c.t), &c.t);
}

/* Uniform f32 values in [lo, hi) rounded to multiples of `step`: with the default 2^-10, sums of them
 * are exact in f32 in any order. */
inline T qrand(std::vector<int64_t> shape, uint32_t seed, float step = 1.0f / 1024, float lo = -1.f, float hi = 1.f) {
  T t = rand_f32(shape, seed, lo, hi);
  for (int64_t i = 0; i < t.numel(); i++) t.f()[i] = std::round(t.f()[i] / step) * step;
  return t;
}

/* The raw bytes of a tensor on any device. */
inline std::vector<unsigned char> bytes_of(const kp_tensor *t) {
  std::vector<unsigned char> v(kp_tensor_nbytes(t));
  kp_tensor h = kp_tensor_wrap(v.data(), t->dtype, kp_cpu(), t->ndim, t->shape);
  if (kp_tensor_copy(&h, t) != KP_OK) throw std::runtime_error(kp_last_error());
  return v;
}

/* The GPU output is bitwise the CPU output (any dtype) and its guards are intact. */
inline void expect_same_bits(Guarded &g, const T &c, const std::string &what) {
  EXPECT_TRUE(g.guards_intact()) << what << ": write outside the tensor";
  auto a = bytes_of(&g.t), e = bytes_of(&c.t);
  ASSERT_EQ(a.size(), e.size()) << what;
  size_t es = kp_dtype_size(c.t.dtype);
  for (size_t i = 0; i < a.size(); i++)
    if (a[i] != e[i]) {
      size_t k = i / es;
      std::ostringstream vals; /* the values too, for f32 */
      if (c.t.dtype == KP_F32) {
        float ga, ca;
        std::memcpy(&ga, &a[k * 4], 4);
        std::memcpy(&ca, &e[k * 4], 4);
        vals << " = gpu " << ga << " vs cpu " << ca;
      }
      ADD_FAILURE() << what << ": element " << k << " differs (byte " << i % es << ": gpu " << (int)a[i]
                    << ", cpu " << (int)e[i] << ")" << vals.str();
      return;
    }
}

/* Two GPU f32 buffers hold the same bits (the op is deterministic). */
inline void expect_same_run(Guarded &a, Guarded &b, const std::string &what) {
  std::vector<float> x = a.vec(), y = b.vec();
  EXPECT_EQ(0, std::memcmp(x.data(), y.data(), x.size() * 4)) << what << ": two GPU runs differ";
}

/* Asserts the GPU output matches the CPU output within rtol/atol and its guards are intact. */
#define KP_EXPECT_GPU_MATCH(guarded, cpu_vec, rtol, atol)                          \
  do {                                                                             \
    EXPECT_TRUE((guarded).guards_intact()) << #guarded ": write outside the tensor"; \
    KP_EXPECT_CLOSE((guarded).vec(), (cpu_vec), rtol, atol);                       \
  } while (0)

}  // namespace kpt
#endif
