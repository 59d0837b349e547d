/* Test helpers: host tensors that free themselves, seeded random data, central finite
 * differences in double precision, closeness checks with a named worst element, the
 * backward checks of the gradient-test method (FD at zero start, then accumulation), file bytes. */
#ifndef KPRCA_TESTS_TESTUTIL_H
#define KPRCA_TESTS_TESTUTIL_H
#include <gtest/gtest.h>
#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <memory>
#include <numeric>
#include <random>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>
#include "kprca/kprca.h"

namespace kpt {

/* A fresh folder under the test temp dir, removed with its contents at the end of the scope. */
struct TmpDir {
  std::string path;
  TmpDir() {
    std::string tmpl = ::testing::TempDir() + "kprca_test_XXXXXX";
    std::vector<char> b(tmpl.begin(), tmpl.end());
    b.push_back(0);
    if (!mkdtemp(b.data())) throw std::runtime_error("mkdtemp failed");
    path = b.data();
  }
  ~TmpDir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
  std::string operator/(const std::string &name) const { return path + "/" + name; }
  /* names of the entries in the folder, sorted */
  std::vector<std::string> list() const {
    std::vector<std::string> v;
    for (auto &e : std::filesystem::directory_iterator(path)) v.push_back(e.path().filename().string());
    std::sort(v.begin(), v.end());
    return v;
  }
};

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

/* The number of elements of a shape (1 for a scalar). */
inline int64_t numel(const std::vector<int64_t> &shape) {
  int64_t n = 1;
  for (auto s : shape) n *= s;
  return n;
}
inline std::vector<int64_t> shape_of(const kp_tensor *t) { return std::vector<int64_t>(t->shape, t->shape + t->ndim); }
inline std::string shape_str(const std::vector<int64_t> &s) { /* "[2,3]" */
  std::string r = "[";
  for (size_t i = 0; i < s.size(); i++) r += (i ? "," : "") + std::to_string(s[i]);
  return r + "]";
}
inline bool has(const std::string &s, const std::string &part) { return s.find(part) != std::string::npos; }
/* The bytes of a file ("" when it cannot be read). */
inline std::string slurp(const std::string &path) {
  std::ifstream f(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(f), {});
}

/* Double-precision helpers for the references: widen floats, seeded data, an f32 tensor from doubles. */
inline std::vector<double> dvec(const std::vector<float> &v) { return std::vector<double>(v.begin(), v.end()); }
inline std::vector<double> rand_d(size_t n, uint32_t seed, double lo = -1, double hi = 1, double gap = 0) {
  return dvec(uniform(n, seed, (float)lo, (float)hi, (float)gap));
}
inline T tensor(const std::vector<int64_t> &shape, const std::vector<double> &v) {
  return T::f32(shape, std::vector<float>(v.begin(), v.end()));
}

/* The activations of kprca/activation.h in double (exact GELU). */
inline double act_ref(kp_act act, double x, double alpha) {
  switch (act) {
    case KP_ACT_RELU:
      return x > 0 ? x : 0;
    case KP_ACT_LEAKY_RELU:
      return x > 0 ? x : alpha * x;
    case KP_ACT_ELU:
      return x > 0 ? x : alpha * std::expm1(x);
    case KP_ACT_GELU:
      return 0.5 * x * (1 + std::erf(x / std::sqrt(2.0)));
    case KP_ACT_TANH:
      return std::tanh(x);
    case KP_ACT_NONE:
      break;
  }
  return x;
}

inline double dot(const std::vector<double> &a, const std::vector<double> &b) {
  double s = 0;
  for (size_t i = 0; i < a.size(); i++) s += a[i] * b[i];
  return s;
}

/* Finite-difference gradient of a scalar function at some coordinates of its input. */
struct FD {
  std::vector<size_t> at;  // coordinates of x, ascending
  std::vector<double> g;   // dL/dx at those coordinates
};

/* Central differences (L(x+h e_i) - L(x-h e_i)) / 2h in double, at every coordinate of x or, when x has
 * more than max_coords, at max_coords of them drawn at random (the draw depends only on x.size()). */
inline FD fd_sampled(const std::vector<double> &x, const std::function<double(const std::vector<double> &)> &L,
                     size_t max_coords = SIZE_MAX, double h = 1e-6) {
  FD r;
  r.at.resize(x.size());
  std::iota(r.at.begin(), r.at.end(), 0);
  if (x.size() > max_coords) {
    std::mt19937 g((uint32_t)x.size());
    std::shuffle(r.at.begin(), r.at.end(), g);
    r.at.resize(max_coords);
    std::sort(r.at.begin(), r.at.end());
  }
  std::vector<double> xp = x;
  for (size_t i : r.at) {
    xp[i] = x[i] + h;
    double fp = L(xp);
    xp[i] = x[i] - h;
    double fm = L(xp);
    xp[i] = x[i];
    r.g.push_back((fp - fm) / (2 * h));
  }
  return r;
}

/* Central finite differences of a scalar function of x at every coordinate. */
inline std::vector<double> fd_grad(const std::vector<double> &x, const std::function<double(const std::vector<double> &)> &f,
                                   double h = 1e-6) {
  return fd_sampled(x, f, SIZE_MAX, h).g;
}

/* FD of L(x) = sum(dy * f(x)) at (at most) max_coords coordinates: each evaluation of f costs the whole op. */
inline FD fd_loss(const std::vector<double> &x, const std::vector<double> &dy,
                  const std::function<std::vector<double>(const std::vector<double> &)> &f, size_t max_coords = 400) {
  return fd_sampled(x, [&](const std::vector<double> &v) { return dot(dy, f(v)); }, max_coords);
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

/* Steps 3-4 of the gradient-test method for one gradient of the given shape: bwd(g) runs the kprca backward
 * accumulating into g. Into zeros it must match the finite differences fd (at fd.at); into a gradient
 * pre-filled with seeded g0 in [-2, 2) it must give g0 + the zero-start result. */
inline void check_backward(const std::string &what, const std::vector<int64_t> &shape, const FD &fd,
                           const std::function<kp_status(kp_tensor *)> &bwd, uint32_t seed, double rtol = 1e-4,
                           double atol = 1e-5) {
  SCOPED_TRACE(what);
  T g(KP_F32, shape);
  KP_ASSERT_OK(bwd(&g));
  auto got = g.vec();
  {
    SCOPED_TRACE("backward vs finite differences");
    std::vector<float> sel;
    for (size_t i : fd.at) sel.push_back(got[i]);
    KP_EXPECT_CLOSE(sel, fd.g, rtol, atol);
  }
  T acc = rand_f32(shape, seed, -2.f, 2.f);
  std::vector<double> want = acc.dvec();
  for (size_t i = 0; i < want.size(); i++) want[i] += got[i];
  KP_ASSERT_OK(bwd(&acc));
  SCOPED_TRACE("backward accumulates into a non-zero gradient");
  KP_EXPECT_CLOSE(acc.vec(), want, 1e-6, 1e-6);
}

/* Steps 2-4 for one input x of the given shape: L is the double loss as a function of x (the other inputs
 * fixed); the backward is checked against central differences at every coordinate of x. */
inline void check_grad(const std::string &what, const std::vector<int64_t> &shape, const std::vector<double> &x,
                       const std::function<double(const std::vector<double> &)> &L,
                       const std::function<kp_status(kp_tensor *)> &bwd, double rtol = 1e-4, double atol = 1e-5) {
  check_backward(what, shape, fd_sampled(x, L), bwd, 4242, rtol, atol);
}

}  // namespace kpt
#endif
