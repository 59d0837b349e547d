// Row-wise and pointwise ops on the CPU against double references and central finite differences:
// the five activations, Philox dropout (gradient and mask statistics), masked softmax, layernorm.
#include <cmath>
#include <functional>
#include "testutil.h"

using kpt::act_ref;
using kpt::check_grad;
using kpt::has;
using kpt::numel;
using kpt::rand_d;
using kpt::shape_str;
using kpt::T;
using kpt::tensor;

namespace {

using Vec = std::vector<double>;
using Shape = std::vector<int64_t>;

const std::vector<Shape> kShapes = {{1}, {1, 1}, {7}, {3, 5}, {2, 3, 4}};

}  // namespace

// ---------------------------------------------------------------- activations

TEST(GradActivation, AllActivationsForwardAndBackward) {
  struct Case {
    kp_act act;
    float alpha;
  };
  const Case cases[] = {{KP_ACT_NONE, 0.f}, {KP_ACT_RELU, 0.f}, {KP_ACT_LEAKY_RELU, 0.2f}, {KP_ACT_ELU, 1.0f},
                        {KP_ACT_ELU, 0.5f}, {KP_ACT_GELU, 0.f}, {KP_ACT_TANH, 0.f}};
  uint32_t seed = 1;
  for (const Case &c : cases)
    for (const Shape &shape : kShapes) {
      std::string what = std::string(kp_act_name(c.act)) + " alpha=" + std::to_string(c.alpha) + " " + shape_str(shape);
      SCOPED_TRACE(what);
      int64_t n = numel(shape);
      // [-3, 3] reaches the tails; the gap keeps finite differences off the kinks at 0.
      Vec x = rand_d(n, seed++, -3, 3, 0.05), dy = rand_d(n, seed++);
      auto ref = [&](const Vec &v) {
        Vec y(v.size());
        for (size_t i = 0; i < v.size(); i++) y[i] = act_ref(c.act, v[i], c.alpha);
        return y;
      };
      T X = tensor(shape, x), Y(KP_F32, shape), DY = tensor(shape, dy);
      KP_ASSERT_OK(kp_act_fwd(&Y, &X, c.act, c.alpha));
      KP_EXPECT_CLOSE(Y.vec(), ref(x), 1e-5, 1e-6);
      check_grad(
          "dx " + what, shape, x, [&](const Vec &v) { return kpt::dot(dy, ref(v)); },
          [&](kp_tensor *g) { return kp_act_bwd(g, &DY, &X, c.act, c.alpha); });
      KP_ASSERT_OK(kp_act_fwd(&X, &X, c.act, c.alpha));  // in place
      EXPECT_EQ(X.vec(), Y.vec());
    }
}

TEST(GradActivation, LargeInputsUseTheSameMath) {
  const int64_t n = 50000;  // above the OpenMP threshold
  T X = kpt::rand_f32({n}, 9, -4.f, 4.f), Y(KP_F32, {n}), DX(KP_F32, {n});
  T DY = T::f32({n}, std::vector<float>(n, 1.f));
  auto x = X.dvec();
  KP_ASSERT_OK(kp_act_fwd(&Y, &X, KP_ACT_GELU, 0.f));
  KP_ASSERT_OK(kp_act_bwd(&DX, &DY, &X, KP_ACT_TANH, 0.f));
  Vec y(n), d(n);
  for (int64_t i = 0; i < n; i++) {
    y[i] = act_ref(KP_ACT_GELU, x[i], 0);
    d[i] = 1 - std::tanh(x[i]) * std::tanh(x[i]);
  }
  KP_EXPECT_CLOSE(Y.vec(), y, 1e-5, 1e-6);
  KP_EXPECT_CLOSE(DX.vec(), d, 1e-5, 1e-6);
}

TEST(GradActivation, RejectsUnknownActivation) {
  T X(KP_F32, {3}), Y(KP_F32, {3});
  EXPECT_EQ(kp_act_fwd(&Y, &X, (kp_act)17, 0.f), KP_ERR_INVALID);
  EXPECT_TRUE(has(kp_last_error(), "act_fwd")) << kp_last_error();
}

// ---------------------------------------------------------------- dropout

namespace {
bool kept(float p, uint64_t seed, uint64_t offset, int64_t i) {
  return kp_philox_uniform(seed, offset, (uint64_t)i) >= p;
}
}  // namespace

TEST(GradDropout, ForwardAndBackwardOnTheFixedMask) {
  const float ps[] = {0.1f, 0.5f, 0.8f};
  uint32_t seed = 40;
  for (float p : ps)
    for (const Shape &shape : kShapes) {
      std::string what = "p=" + std::to_string(p) + " " + shape_str(shape);
      SCOPED_TRACE(what);
      int64_t n = numel(shape);
      const uint64_t s = 1234 + seed, off = 77;
      Vec x = rand_d(n, seed++), dy = rand_d(n, seed++);
      // The mask is a fixed function of (seed, offset, i), so the op is linear in x.
      auto ref = [&](const Vec &v) {
        Vec y(v.size());
        for (int64_t i = 0; i < n; i++) y[i] = kept(p, s, off, i) ? v[i] / (1.0 - p) : 0.0;
        return y;
      };
      T X = tensor(shape, x), Y(KP_F32, shape), DY = tensor(shape, dy);
      KP_ASSERT_OK(kp_dropout_fwd(&Y, &X, p, s, off));
      KP_EXPECT_CLOSE(Y.vec(), ref(x), 1e-6, 1e-7);
      check_grad(
          "dx " + what, shape, x, [&](const Vec &v) { return kpt::dot(dy, ref(v)); },
          [&](kp_tensor *g) { return kp_dropout_bwd(g, &DY, p, s, off); });
      KP_ASSERT_OK(kp_dropout_fwd(&X, &X, p, s, off));  // in place
      EXPECT_EQ(X.vec(), Y.vec());
    }
}

TEST(GradDropout, DroppedFractionMatchesP) {
  const int64_t n = 100000;
  T X = T::f32({n}, std::vector<float>(n, 1.f)), Y(KP_F32, {n});
  for (float p : {0.1f, 0.3f, 0.5f, 0.9f}) {
    SCOPED_TRACE("p=" + std::to_string(p));
    KP_ASSERT_OK(kp_dropout_fwd(&Y, &X, p, 2024, 5));
    auto y = Y.vec();
    int64_t zeros = 0;
    float scale = 1.f / (1.f - p);
    for (float v : y) {
      if (v == 0.f)
        zeros++;
      else
        EXPECT_EQ(v, scale);
    }
    // Binomial(n, p): 6 standard deviations is a bound a correct mask essentially never crosses.
    double frac = (double)zeros / n, sd = std::sqrt(p * (1.0 - p) / n);
    EXPECT_NEAR(frac, p, 6 * sd);
    // The mean of the output stays about 1: inverted dropout preserves the expectation.
    double mean = 0;
    for (float v : y) mean += v;
    EXPECT_NEAR(mean / n, 1.0, 6 * sd * scale);
  }
}

TEST(GradDropout, MaskDependsOnlyOnSeedOffsetAndIndex) {
  const int64_t n = 4096;
  const float p = 0.5f;
  T X = T::f32({n}, std::vector<float>(n, 1.f)), A(KP_F32, {n}), B(KP_F32, {n}), C(KP_F32, {n}), D(KP_F32, {n});
  KP_ASSERT_OK(kp_dropout_fwd(&A, &X, p, 7, 100));
  KP_ASSERT_OK(kp_dropout_fwd(&B, &X, p, 7, 100));
  EXPECT_EQ(A.vec(), B.vec()) << "same seed and offset must give the same mask";
  KP_ASSERT_OK(kp_dropout_fwd(&C, &X, p, 7, 100 + kp_philox_blocks(n)));
  KP_ASSERT_OK(kp_dropout_fwd(&D, &X, p, 8, 100));
  auto a = A.vec(), c = C.vec(), d = D.vec();
  int64_t diff_off = 0, diff_seed = 0;
  for (int64_t i = 0; i < n; i++) {
    diff_off += (a[i] == 0) != (c[i] == 0);
    diff_seed += (a[i] == 0) != (d[i] == 0);
  }
  // Independent masks with p = 1/2 disagree on about half of the elements.
  EXPECT_GT(diff_off, n / 3) << "the next offset must give a fresh mask";
  EXPECT_GT(diff_seed, n / 3) << "another seed must give a fresh mask";
  // Counter-based: one offset block further on is the same stream shifted by 4 draws.
  T E(KP_F32, {n});
  KP_ASSERT_OK(kp_dropout_fwd(&E, &X, p, 7, 101));
  auto e = E.vec();
  for (int64_t i = 0; i + 4 < n; i++) ASSERT_EQ(e[i], a[i + 4]) << "element " << i;
  // The backward regenerates the forward's mask.
  T DX(KP_F32, {n});
  KP_ASSERT_OK(kp_dropout_bwd(&DX, &X, p, 7, 100));
  EXPECT_EQ(DX.vec(), a);
}

// Element i is kept iff its uniform draw is >= p, ties included: with p equal to draw 5, element 5 is kept.
TEST(GradDropout, KeepsExactlyTheDrawsAtOrAboveP) {
  const int64_t n = 64;
  const float p = kp_philox_uniform(3, 9, 5);
  ASSERT_GT(p, 0.f);
  T X = T::f32({n}, std::vector<float>(n, 1.f)), Y(KP_F32, {n});
  KP_ASSERT_OK(kp_dropout_fwd(&Y, &X, p, 3, 9));
  auto y = Y.vec();
  EXPECT_NE(y[5], 0.f);
  for (int64_t i = 0; i < n; i++) EXPECT_EQ(y[i] != 0.f, kp_philox_uniform(3, 9, (uint64_t)i) >= p) << "element " << i;
}

TEST(GradDropout, ZeroPIsIdentity) {
  T X = kpt::rand_f32({3, 7}, 3), Y(KP_F32, {3, 7}), DX = kpt::rand_f32({3, 7}, 4), DY = kpt::rand_f32({3, 7}, 5);
  KP_ASSERT_OK(kp_dropout_fwd(&Y, &X, 0.f, 1, 0));
  EXPECT_EQ(Y.vec(), X.vec());
  auto dx0 = DX.vec(), dy = DY.vec();
  KP_ASSERT_OK(kp_dropout_bwd(&DX, &DY, 0.f, 1, 0));
  auto dx = DX.vec();
  for (size_t i = 0; i < dx.size(); i++) EXPECT_EQ(dx[i], dx0[i] + dy[i]);
}

TEST(GradDropout, RejectsPOutsideZeroOne) {
  T X(KP_F32, {4}), Y(KP_F32, {4});
  for (float p : {1.f, 1.5f, -0.1f, NAN}) {
    SCOPED_TRACE("p=" + std::to_string(p));
    EXPECT_EQ(kp_dropout_fwd(&Y, &X, p, 1, 0), KP_ERR_INVALID);
    EXPECT_TRUE(has(kp_last_error(), "dropout_fwd")) << kp_last_error();
    EXPECT_EQ(kp_dropout_bwd(&Y, &X, p, 1, 0), KP_ERR_INVALID);
    EXPECT_TRUE(has(kp_last_error(), "dropout_bwd")) << kp_last_error();
  }
}

// ---------------------------------------------------------------- softmax

namespace {
// softmax(scale x) over rows of length L; mask [B, L] (empty: none), row r uses mask row r / (rows / B).
Vec softmax_ref(const Vec &x, int64_t L, const std::vector<int32_t> &mask, double scale) {
  int64_t R = (int64_t)x.size() / L, B = (int64_t)mask.size() / L;
  Vec y(x.size(), 0.0);
  for (int64_t r = 0; r < R; r++) {
    const int32_t *m = B ? &mask[(r / (R / B)) * L] : nullptr;
    double mx = -INFINITY, s = 0;
    for (int64_t j = 0; j < L; j++)
      if (!m || m[j]) mx = std::max(mx, scale * x[r * L + j]);
    if (mx == -INFINITY) continue;
    for (int64_t j = 0; j < L; j++)
      if (!m || m[j]) s += std::exp(scale * x[r * L + j] - mx);
    for (int64_t j = 0; j < L; j++)
      if (!m || m[j]) y[r * L + j] = std::exp(scale * x[r * L + j] - mx) / s;
  }
  return y;
}
}  // namespace

TEST(GradSoftmax, ForwardAndBackwardWithAndWithoutMask) {
  struct Case {
    Shape shape;
    std::vector<int32_t> mask;  // [B, L] flattened; empty for none
    float scale;
  };
  const Case cases[] = {
      {{1, 1}, {}, 1.f},
      {{4, 1}, {}, 0.5f},  // length-1 rows: y = 1, zero gradient
      {{7}, {}, 1.f},
      {{3, 5}, {}, 0.37f},
      {{2, 3, 6}, {}, -1.5f},                               // negative scale flips the order
      {{3, 5}, {1, 1, 0, 1, 0}, 1.f},                       // one mask row for all rows
      {{2, 3, 4}, {1, 1, 1, 0, 0, 1, 1, 1}, 0.125f},        // B = 2: rows 0-2 and 3-5 differ
      {{6, 4}, {1, 0, 1, 1, 0, 0, 0, 0, 0, 1, 0, 0}, 2.f},  // B = 3, the middle group fully masked
      {{2, 1}, {0, 1}, 1.f},                                // a length-1 row, masked
  };
  uint32_t seed = 60;
  for (const Case &c : cases) {
    int64_t L = c.shape.back(), n = numel(c.shape);
    std::string what = shape_str(c.shape) + " scale=" + std::to_string(c.scale) + (c.mask.empty() ? "" : " masked");
    SCOPED_TRACE(what);
    Vec x = rand_d(n, seed++, -2, 2), dy = rand_d(n, seed++);
    T X = tensor(c.shape, x), Y(KP_F32, c.shape), DY = tensor(c.shape, dy);
    T M = c.mask.empty() ? T() : T::i32({(int64_t)c.mask.size() / L, L}, c.mask);
    const kp_tensor *mp = c.mask.empty() ? nullptr : &M;
    KP_ASSERT_OK(kp_softmax_fwd(&Y, &X, mp, c.scale));
    Vec want = softmax_ref(x, L, c.mask, c.scale);
    KP_EXPECT_CLOSE(Y.vec(), want, 1e-5, 1e-7);
    // The mask is fixed, so it is part of the function whose gradient the backward gives.
    check_grad(
        "dx " + what, c.shape, x, [&](const Vec &v) { return kpt::dot(dy, softmax_ref(v, L, c.mask, c.scale)); },
        [&](kp_tensor *g) { return kp_softmax_bwd(g, &DY, &Y, c.scale); });
    // Masked positions and fully masked rows are exactly zero, forward and backward.
    T DX(KP_F32, c.shape);
    KP_ASSERT_OK(kp_softmax_bwd(&DX, &DY, &Y, c.scale));
    auto y = Y.vec(), dx = DX.vec();
    for (int64_t i = 0; i < n; i++)
      if (want[i] == 0.0) {
        EXPECT_EQ(y[i], 0.f) << "element " << i;
        EXPECT_EQ(dx[i], 0.f) << "element " << i;
      }
    KP_ASSERT_OK(kp_softmax_fwd(&X, &X, mp, c.scale));  // in place
    EXPECT_EQ(X.vec(), y);
  }
}

TEST(GradSoftmax, StableForLargeLogits) {
  // exp(1000) overflows f32; subtracting the row maximum keeps the result exact.
  T X = T::f32({2, 3}, {1000.f, 999.f, 998.f, -1000.f, -1001.f, -1002.f}), Y(KP_F32, {2, 3});
  KP_ASSERT_OK(kp_softmax_fwd(&Y, &X, nullptr, 1.f));
  Vec want = softmax_ref(X.dvec(), 3, {}, 1.0);
  KP_EXPECT_CLOSE(Y.vec(), want, 1e-6, 1e-7);
  // A masked huge value does not take part in the maximum.
  T M = T::i32({1, 3}, {0, 1, 1});
  T X2 = T::f32({1, 3}, {1e30f, 0.f, 1.f}), Y2(KP_F32, {1, 3});
  KP_ASSERT_OK(kp_softmax_fwd(&Y2, &X2, &M, 1.f));
  KP_EXPECT_CLOSE(Y2.vec(), (Vec{0.0, 1 / (1 + std::exp(1.0)), std::exp(1.0) / (1 + std::exp(1.0))}), 1e-6, 1e-7);
}

TEST(GradSoftmax, LargeRowsSumToOne) {
  const int64_t R = 300, L = 97;  // above the OpenMP threshold
  T X = kpt::rand_f32({R, L}, 12, -5.f, 5.f), Y(KP_F32, {R, L});
  KP_ASSERT_OK(kp_softmax_fwd(&Y, &X, nullptr, 0.7f));
  KP_EXPECT_CLOSE(Y.vec(), softmax_ref(X.dvec(), L, {}, 0.7), 1e-5, 1e-8);
}

TEST(GradSoftmax, RejectsMaskOfWrongShape) {
  T X(KP_F32, {6, 4}), Y(KP_F32, {6, 4});
  T M = T::i32({4, 4}, std::vector<int32_t>(16, 1));  // 4 does not divide 6
  EXPECT_EQ(kp_softmax_fwd(&Y, &X, &M, 1.f), KP_ERR_INVALID);
  EXPECT_TRUE(has(kp_last_error(), "softmax_fwd")) << kp_last_error();
}

// ---------------------------------------------------------------- layernorm

namespace {
// PyTorch LayerNorm over rows of length C in double: biased variance, eps inside the root.
Vec layernorm_ref(const Vec &x, const Vec &g, const Vec &b, int64_t C, double eps, Vec *mean = nullptr,
                  Vec *rstd = nullptr) {
  int64_t R = (int64_t)x.size() / C;
  Vec y(x.size());
  if (mean) mean->assign(R, 0);
  if (rstd) rstd->assign(R, 0);
  for (int64_t r = 0; r < R; r++) {
    double mu = 0, v = 0;
    for (int64_t j = 0; j < C; j++) mu += x[r * C + j];
    mu /= C;
    for (int64_t j = 0; j < C; j++) v += (x[r * C + j] - mu) * (x[r * C + j] - mu);
    double rs = 1 / std::sqrt(v / C + eps);
    for (int64_t j = 0; j < C; j++) y[r * C + j] = (x[r * C + j] - mu) * rs * g[j] + b[j];
    if (mean) (*mean)[r] = mu;
    if (rstd) (*rstd)[r] = rs;
  }
  return y;
}
}  // namespace

TEST(GradLayerNorm, ForwardAndBackward) {
  struct Case {
    Shape shape;
    double offset;  // added to every x: a large common mean breaks one-pass variance formulas
  };
  const Case cases[] = {{{1, 1}, 0},  {{3, 1}, 0},     {{4, 8}, 0},    {{2, 3, 16}, 0},
                        {{5, 37}, 0}, {{3, 24}, 1000}, {{2, 7}, -300}, {{1}, 0}};
  const double eps = 1e-5;
  uint32_t seed = 80;
  for (const Case &c : cases) {
    int64_t C = c.shape.back(), n = numel(c.shape), R = n / C;
    std::string what = shape_str(c.shape) + " offset=" + std::to_string(c.offset);
    SCOPED_TRACE(what);
    Vec x = rand_d(n, seed++), g = rand_d(C, seed++, 0.5, 1.5), b = rand_d(C, seed++), dy = rand_d(n, seed++);
    for (double &v : x) v = (double)(float)(v + c.offset);  // the inputs are f32 values
    T X = tensor(c.shape, x), G = tensor({C}, g), B = tensor({C}, b), Y(KP_F32, c.shape), DY = tensor(c.shape, dy);
    T Mean(KP_F32, {R}), Rstd(KP_F32, {R});
    KP_ASSERT_OK(kp_layernorm_fwd(&Y, &Mean, &Rstd, &X, &G, &B, (float)eps));
    Vec mean, rstd;
    Vec want = layernorm_ref(x, g, b, C, eps, &mean, &rstd);
    KP_EXPECT_CLOSE(Y.vec(), want, 1e-5, 2e-6);
    KP_EXPECT_CLOSE(Mean.vec(), mean, 1e-6, 1e-7);
    KP_EXPECT_CLOSE(Rstd.vec(), rstd, 1e-5, 0);
    if (C == 1) KP_EXPECT_CLOSE(Y.vec(), Vec(R, b[0]), 0, 1e-7);  // a single feature normalises to beta
    check_grad(
        "dx " + what, c.shape, x, [&](const Vec &v) { return kpt::dot(dy, layernorm_ref(v, g, b, C, eps)); },
        [&](kp_tensor *d) { return kp_layernorm_bwd(d, nullptr, nullptr, &DY, &X, &Mean, &Rstd, &G); });
    check_grad(
        "dgamma " + what, {C}, g, [&](const Vec &v) { return kpt::dot(dy, layernorm_ref(x, v, b, C, eps)); },
        [&](kp_tensor *d) { return kp_layernorm_bwd(nullptr, d, nullptr, &DY, &X, &Mean, &Rstd, &G); });
    check_grad(
        "dbeta " + what, {C}, b, [&](const Vec &v) { return kpt::dot(dy, layernorm_ref(x, g, v, C, eps)); },
        [&](kp_tensor *d) { return kp_layernorm_bwd(nullptr, nullptr, d, &DY, &X, &Mean, &Rstd, &G); });
    // All three at once equal the separate calls; the forward without statistics gives the same y.
    T dx1(KP_F32, c.shape), dg1(KP_F32, {C}), db1(KP_F32, {C}), dx2(KP_F32, c.shape), dg2(KP_F32, {C}),
        db2(KP_F32, {C});
    KP_ASSERT_OK(kp_layernorm_bwd(&dx1, &dg1, &db1, &DY, &X, &Mean, &Rstd, &G));
    KP_ASSERT_OK(kp_layernorm_bwd(&dx2, nullptr, nullptr, &DY, &X, &Mean, &Rstd, &G));
    KP_ASSERT_OK(kp_layernorm_bwd(nullptr, &dg2, &db2, &DY, &X, &Mean, &Rstd, &G));
    EXPECT_EQ(dx1.vec(), dx2.vec());
    EXPECT_EQ(dg1.vec(), dg2.vec());
    EXPECT_EQ(db1.vec(), db2.vec());
    T Y2(KP_F32, c.shape);
    KP_ASSERT_OK(kp_layernorm_fwd(&Y2, nullptr, nullptr, &X, &G, &B, (float)eps));
    EXPECT_EQ(Y2.vec(), Y.vec());
    KP_ASSERT_OK(kp_layernorm_fwd(&X, nullptr, nullptr, &X, &G, &B, (float)eps));  // in place
    EXPECT_EQ(X.vec(), Y.vec());
  }
}

// Above the OpenMP thresholds: the column sums for dgamma/dbeta are accurate and bitwise repeatable.
TEST(GradLayerNorm, LargeInputsAreAccurateAndDeterministic) {
  const int64_t R = 512, C = 96;
  T X = kpt::rand_f32({R, C}, 21, -3.f, 3.f), G = kpt::rand_f32({C}, 22, 0.5f, 1.5f), B = kpt::rand_f32({C}, 23);
  T DY = kpt::rand_f32({R, C}, 24), Y(KP_F32, {R, C}), Mean(KP_F32, {R}), Rstd(KP_F32, {R});
  KP_ASSERT_OK(kp_layernorm_fwd(&Y, &Mean, &Rstd, &X, &G, &B, 1e-5f));
  auto x = X.dvec(), g = G.dvec(), dy = DY.dvec();
  KP_EXPECT_CLOSE(Y.vec(), layernorm_ref(x, g, B.dvec(), C, 1e-5), 1e-5, 2e-6);
  // Reference parameter gradients: dgamma = sum_r dy xhat, dbeta = sum_r dy.
  Vec mean, rstd, dg(C, 0), db(C, 0);
  layernorm_ref(x, g, B.dvec(), C, 1e-5, &mean, &rstd);
  for (int64_t r = 0; r < R; r++)
    for (int64_t j = 0; j < C; j++) {
      dg[j] += dy[r * C + j] * (x[r * C + j] - mean[r]) * rstd[r];
      db[j] += dy[r * C + j];
    }
  T dg1(KP_F32, {C}), db1(KP_F32, {C}), dg2(KP_F32, {C}), db2(KP_F32, {C}), dx1(KP_F32, {R, C}), dx2(KP_F32, {R, C});
  KP_ASSERT_OK(kp_layernorm_bwd(&dx1, &dg1, &db1, &DY, &X, &Mean, &Rstd, &G));
  KP_ASSERT_OK(kp_layernorm_bwd(&dx2, &dg2, &db2, &DY, &X, &Mean, &Rstd, &G));
  KP_EXPECT_CLOSE(dg1.vec(), dg, 1e-4, 1e-4);
  KP_EXPECT_CLOSE(db1.vec(), db, 1e-4, 1e-4);
  EXPECT_EQ(dg1.vec(), dg2.vec());
  EXPECT_EQ(db1.vec(), db2.vec());
  EXPECT_EQ(dx1.vec(), dx2.vec());
}

TEST(GradLayerNorm, RejectsBadArguments) {
  T X(KP_F32, {2, 4}), Y(KP_F32, {2, 4}), G(KP_F32, {3}), B(KP_F32, {4}), G4(KP_F32, {4}), Mean(KP_F32, {2});
  EXPECT_EQ(kp_layernorm_fwd(&Y, nullptr, nullptr, &X, &G, &B, 1e-5f), KP_ERR_INVALID);
  EXPECT_TRUE(has(kp_last_error(), "layernorm_fwd")) << kp_last_error();
  EXPECT_EQ(kp_layernorm_fwd(&Y, &Mean, nullptr, &X, &G4, &B, 1e-5f), KP_ERR_INVALID);  // mean without rstd
  EXPECT_EQ(kp_layernorm_fwd(&Y, nullptr, nullptr, &X, &G4, &B, 0.f), KP_ERR_INVALID);  // eps must be > 0
}
