/* Test helpers: host tensors that free themselves, seeded random data, central finite
 * differences in double precision, and closeness checks with a named worst element. */
#ifndef KPRCA_TESTS_TESTUTIL_H
#define KPRCA_TESTS_TESTUTIL_H
#include <gtest/gtest.h>
#include <cmath>
#include <functional>
#include <memory>
#include <random>
#include <sstream>
#include <string>
#include <vector>
#include "kprca/kprca.h"

namespace kpt {

/* Fails the test with kprca's message when a call does not return KP_OK. */
#define KP_ASSERT_OK(expr)                                                          \
  do {                                                                              \
    kp_status kpt_s_ = (expr);                                                      \
    ASSERT_EQ(kpt_s_, KP_OK) << #expr << " -> " << kp_last_error();                 \
  } while (0)
#define KP_EXPECT_OK(expr)                                                          \
  do {                                                                              \
    kp_status kpt_s_ = (expr);                                                      \
    EXPECT_EQ(kpt_s_, KP_OK) << #expr << " -> " << kp_last_error();                 \
  } while (0)

/* An owned tensor on a device (CPU by default). */
struct T {
  kp_tensor t{};
  T() = default;
  T(kp_dtype dt, std::vector<int64_t> shape, kp_device dev = kp_cpu()) {
    if (kp_tensor_zeros(&t, dt, dev, (int)shape.size(), shape.data()) != KP_OK)
      throw std::runtime_error(std::string("alloc: ") + kp_last_error());
  }
  /* f32 CPU tensor holding v */
  static T f32(std::vector<int64_t> shape, const std::vector<float> &v) {
    T r(KP_F32, shape);
    if ((int64_t)v.size() != r.numel()) throw std::runtime_error("T::f32: size mismatch");
    std::copy(v.begin(), v.end(), r.f());
    return r;
  }
  static T i32(std::vector<int64_t> shape, const std::vector<int32_t> &v) {
    T r(KP_I32, shape);
    if ((int64_t)v.size() != r.numel()) throw std::runtime_error("T::i32: size mismatch");
    std::copy(v.begin(), v.end(), r.i());
    return r;
  }
  T(const T &) = delete;
  T &operator=(const T &) = delete;
  T(T &&o) noexcept : t(o.t) { o.t = kp_tensor{}; }
  T &operator=(T &&o) noexcept {
    if (this != std::addressof(o)) {
      kp_tensor_free(&t);
      t = o.t;
      o.t = kp_tensor{};
    }
    return *this;
  }
  ~T() { kp_tensor_free(&t); }
  kp_tensor *operator&() { return &t; }
  const kp_tensor *operator&() const { return &t; }
  kp_tensor *p() { return &t; }
  float *f() { return (float *)t.data; }
  int32_t *i() { return (int32_t *)t.data; }
  int64_t numel() const { return kp_tensor_numel(&t); }
  std::vector<float> vec() const { /* host copy of an f32 tensor on any device */
    std::vector<float> v((size_t)numel());
    kp_tensor h = kp_tensor_wrap(v.data(), KP_F32, kp_cpu(), t.ndim, t.shape);
    if (kp_tensor_copy(&h, &t) != KP_OK) throw std::runtime_error(kp_last_error());
    return v;
  }
  std::vector<double> dvec() const {
    auto v = vec();
    return std::vector<double>(v.begin(), v.end());
  }
  /* a copy of this tensor on dev */
  T to(kp_device dev) const {
    T r(t.dtype, std::vector<int64_t>(t.shape, t.shape + t.ndim), dev);
    if (kp_tensor_copy(&r.t, &t) != KP_OK) throw std::runtime_error(kp_last_error());
    return r;
  }
};

/* Seeded uniform values in [lo, hi), optionally kept away from |x| < gap (kinks of relu etc.). */
inline std::vector<float> uniform(size_t n, uint32_t seed, float lo = -1.f, float hi = 1.f, float gap = 0.f) {
  std::mt19937 g(seed);
  std::uniform_real_distribution<float> d(lo, hi);
  std::vector<float> v(n);
  for (auto &x : v) {
    do x = d(g);
    while (gap > 0 && std::fabs(x) < gap);
  }
  return v;
}

inline T rand_f32(std::vector<int64_t> shape, uint32_t seed, float lo = -1.f, float hi = 1.f, float gap = 0.f) {
  size_t n = 1;
  for (auto s : shape) n *= (size_t)s;
  return T::f32(shape, uniform(n, seed, lo, hi, gap));
}

/* Central finite differences of a scalar function of x, in double: (f(x+h e_i) - f(x-h e_i)) / 2h. */
inline std::vector<double> fd_grad(const std::vector<double> &x, const std::function<double(const std::vector<double> &)> &f,
                                   double h = 1e-6) {
  std::vector<double> g(x.size()), xp = x;
  for (size_t i = 0; i < x.size(); i++) {
    xp[i] = x[i] + h;
    double fp = f(xp);
    xp[i] = x[i] - h;
    double fm = f(xp);
    xp[i] = x[i];
    g[i] = (fp - fm) / (2 * h);
  }
  return g;
}

inline double dot(const std::vector<double> &a, const std::vector<double> &b) {
  double s = 0;
  for (size_t i = 0; i < a.size(); i++) s += a[i] * b[i];
  return s;
}

/* Largest |a - e| / (atol + rtol |e|); <= 1 means every element is close. */
inline double error_ratio(const std::vector<float> &a, const std::vector<double> &e, double rtol, double atol,
                          size_t *worst = nullptr) {
  double r = 0;
  size_t w = 0;
  for (size_t i = 0; i < a.size(); i++) {
    double q = std::fabs((double)a[i] - e[i]) / (atol + rtol * std::fabs(e[i]));
    if (!(q <= r)) {
      r = q;
      w = i;
    }
  }
  if (worst) *worst = w;
  return r;
}

/* Asserts a is elementwise close to e, naming the worst element. */
#define KP_EXPECT_CLOSE(a, e, rtol, atol)                                                                   \
  do {                                                                                                      \
    auto kpt_a_ = (a);                                                                                      \
    auto kpt_e_ = (e);                                                                                      \
    ASSERT_EQ(kpt_a_.size(), kpt_e_.size()) << "size mismatch: " #a " vs " #e;                              \
    size_t kpt_w_ = 0;                                                                                      \
    double kpt_r_ = kpt::error_ratio(kpt_a_, std::vector<double>(kpt_e_.begin(), kpt_e_.end()), rtol, atol, \
                                     &kpt_w_);                                                              \
    EXPECT_LE(kpt_r_, 1.0) << #a " vs " #e ": worst element " << kpt_w_ << ": " << kpt_a_[kpt_w_]           \
                           << " vs expected " << kpt_e_[kpt_w_];                                            \
  } while (0)

}  // namespace kpt
#endif
