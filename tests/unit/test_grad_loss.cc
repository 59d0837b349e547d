// Cross-entropy and BCE-with-logits: forward vs a double reference, backward vs central
// finite differences, accumulation, hand-derived values and target validation.
#include <cmath>
#include <string>
#include "testutil.h"

using kpt::T;

namespace {

constexpr int kIgnore = -100;

// Double reference of F.cross_entropy(..., weight, ignore_index, label_smoothing, reduction='mean');
// 0 when every row is ignored.
double ce_ref(const std::vector<double> &x, const std::vector<int> &y, const std::vector<double> *w, double ls,
              int ign, int n, int c) {
  double num = 0, den = 0;
  for (int i = 0; i < n; i++) {
    if (y[i] == ign) continue;
    double mx = x[i * c];
    for (int k = 1; k < c; k++) mx = std::max(mx, x[i * c + k]);
    double s = 0;
    for (int k = 0; k < c; k++) s += std::exp(x[i * c + k] - mx);
    double lse = mx + std::log(s);
    double wy = w ? (*w)[y[i]] : 1.0;
    double smooth = 0;
    for (int k = 0; k < c; k++) smooth += (w ? (*w)[k] : 1.0) * (lse - x[i * c + k]);
    num += (1 - ls) * wy * (lse - x[i * c + y[i]]) + ls / c * smooth;
    den += wy;
  }
  return den > 0 ? num / den : 0.0;
}

std::vector<double> softmax_ref(const std::vector<double> &x, int n, int c) {
  std::vector<double> p(x.size());
  for (int i = 0; i < n; i++) {
    double mx = x[i * c], s = 0;
    for (int k = 1; k < c; k++) mx = std::max(mx, x[i * c + k]);
    for (int k = 0; k < c; k++) s += std::exp(x[i * c + k] - mx);
    for (int k = 0; k < c; k++) p[i * c + k] = std::exp(x[i * c + k] - mx) / s;
  }
  return p;
}

// log(1 + e^z), stable in double.
double softplus(double z) { return std::max(z, 0.0) + std::log1p(std::exp(-std::fabs(z))); }

// Double reference of binary_cross_entropy_with_logits(x, t, pos_weight, reduction='mean').
double bce_ref(const std::vector<double> &x, const std::vector<double> &t, const std::vector<double> *pw, int c) {
  double s = 0;
  for (size_t i = 0; i < x.size(); i++) {
    double w = pw ? (*pw)[i % c] : 1.0;
    s += w * t[i] * softplus(-x[i]) + (1 - t[i]) * softplus(x[i]);
  }
  return x.empty() ? 0.0 : s / (double)x.size();
}

std::vector<double> add(const std::vector<float> &a, const std::vector<double> &b) {
  std::vector<double> r(a.size());
  for (size_t i = 0; i < a.size(); i++) r[i] = a[i] + b[i];
  return r;
}

struct CeCase {
  int n, c;
  bool weighted;
  float ls;
  int ign;         // ignore_index
  int n_ignored;   // how many rows get target == ign
};

std::string name(const CeCase &k) {
  return "N=" + std::to_string(k.n) + " C=" + std::to_string(k.c) + " weighted=" + std::to_string(k.weighted) +
         " ls=" + std::to_string(k.ls) + " ign=" + std::to_string(k.ign) + " ignored=" + std::to_string(k.n_ignored);
}

// Forward vs reference, FD gradient, and accumulation for one configuration.
void check_ce(const CeCase &k, uint32_t seed) {
  SCOPED_TRACE(name(k));
  const int n = k.n, c = k.c;
  T logits = kpt::rand_f32({n, c}, seed, -3.f, 3.f);
  std::mt19937 g(seed + 1);
  std::vector<int32_t> yv(n);
  for (int i = 0; i < n; i++) {
    do yv[i] = (int32_t)(g() % (uint32_t)c);
    while (yv[i] == k.ign);  // the ignored rows are chosen below
  }
  for (int i = 0; i < k.n_ignored; i++) yv[(size_t)(i * 7 + 3) % (size_t)n] = k.ign;
  T targets = T::i32({n}, yv);
  T weights = kpt::rand_f32({c}, seed + 2, 0.2f, 2.f);
  const kp_tensor *wp = k.weighted ? &weights : nullptr;
  std::vector<double> wd = weights.dvec();
  const std::vector<double> *wref = k.weighted ? &wd : nullptr;
  std::vector<int> y(yv.begin(), yv.end());

  T loss(KP_F32, {1}), probs(KP_F32, {n, c});
  KP_ASSERT_OK(kp_cross_entropy_fwd(&loss, &probs, &logits, &targets, wp, k.ls, k.ign));
  std::vector<double> x = logits.dvec();
  double ref = ce_ref(x, y, wref, k.ls, k.ign, n, c);
  KP_EXPECT_CLOSE(loss.vec(), std::vector<double>{ref}, 1e-5, 1e-6);
  KP_EXPECT_CLOSE(probs.vec(), softmax_ref(x, n, c), 1e-5, 1e-7);

  const double dloss = 0.7 + 0.1 * (seed % 5);
  auto fd = kpt::fd_grad(x, [&](const std::vector<double> &xx) { return dloss * ce_ref(xx, y, wref, k.ls, k.ign, n, c); });
  T dx(KP_F32, {n, c});
  KP_ASSERT_OK(kp_cross_entropy_bwd(&dx, &probs, &targets, wp, k.ls, k.ign, (float)dloss));
  KP_EXPECT_CLOSE(dx.vec(), fd, 1e-4, 2e-6);
  for (int i = 0; i < n; i++)
    if (y[i] == k.ign)
      for (int j = 0; j < c; j++) EXPECT_EQ(dx.f()[i * c + j], 0.0f) << "ignored row " << i;

  T acc = kpt::rand_f32({n, c}, seed + 3);
  std::vector<float> g0 = acc.vec();
  KP_ASSERT_OK(kp_cross_entropy_bwd(&acc, &probs, &targets, wp, k.ls, k.ign, (float)dloss));
  KP_EXPECT_CLOSE(acc.vec(), add(g0, fd), 1e-4, 2e-6);
}

}  // namespace

TEST(GradCrossEntropy, MatchesReferenceAndFiniteDifferences) {
  const CeCase cases[] = {
      {1, 2, false, 0.0f, kIgnore, 0},  {1, 2, true, 0.1f, kIgnore, 0},  {5, 3, false, 0.0f, kIgnore, 0},
      {5, 3, true, 0.0f, kIgnore, 1},   {5, 3, false, 0.1f, kIgnore, 2}, {5, 3, true, 0.1f, kIgnore, 2},
      {17, 10, true, 0.1f, kIgnore, 3}, {17, 10, false, 0.0f, 4, 3},     {33, 7, true, 0.1f, 0, 5},
      {64, 2, true, 0.0f, kIgnore, 9},  {40, 50, false, 0.1f, kIgnore, 0}, {8, 5, true, 1.0f, kIgnore, 1},
  };
  uint32_t seed = 100;
  for (const auto &k : cases) check_ce(k, seed += 11);
}

TEST(GradCrossEntropy, AllIgnoredGivesZeroLossAndGradient) {
  for (float ls : {0.0f, 0.1f}) {
    for (bool weighted : {false, true}) {
      T logits = kpt::rand_f32({4, 3}, 7, -2.f, 2.f);
      T targets = T::i32({4}, {kIgnore, kIgnore, kIgnore, kIgnore});
      T weights = kpt::rand_f32({3}, 8, 0.5f, 2.f);
      const kp_tensor *wp = weighted ? &weights : nullptr;
      T loss = T::f32({1}, {123.f}), probs(KP_F32, {4, 3});
      KP_ASSERT_OK(kp_cross_entropy_fwd(&loss, &probs, &logits, &targets, wp, ls, kIgnore));
      EXPECT_EQ(loss.f()[0], 0.0f);
      T dx = kpt::rand_f32({4, 3}, 9);
      std::vector<float> g0 = dx.vec();
      KP_ASSERT_OK(kp_cross_entropy_bwd(&dx, &probs, &targets, wp, ls, kIgnore, 1.0f));
      EXPECT_EQ(dx.vec(), g0);
    }
  }
}

TEST(GradCrossEntropy, HandDerivedValues) {
  const double ln2 = std::log(2.0), ln43 = std::log(4.0 / 3.0);
  T loss(KP_F32, {1});
  {  // logits [0, 0], target 0: -log(1/2) = ln 2; gradient p - onehot = [-1/2, 1/2]
    T logits = T::f32({1, 2}, {0.f, 0.f});
    T y = T::i32({1}, {0});
    T probs(KP_F32, {1, 2});
    KP_ASSERT_OK(kp_cross_entropy_fwd(&loss, &probs, &logits, &y, nullptr, 0.f, kIgnore));
    EXPECT_NEAR(loss.f()[0], ln2, 1e-7);
    KP_ASSERT_OK(kp_cross_entropy_fwd(&loss, &probs, &logits, &y, nullptr, 0.1f, kIgnore));
    EXPECT_NEAR(loss.f()[0], ln2, 1e-7);  // every -log p_c is ln 2, smoothing changes nothing
    T dx(KP_F32, {1, 2});
    KP_ASSERT_OK(kp_cross_entropy_bwd(&dx, &probs, &y, nullptr, 0.f, kIgnore, 1.f));
    KP_EXPECT_CLOSE(dx.vec(), std::vector<double>({-0.5, 0.5}), 0, 1e-7);
  }
  {  // rows [0,0]->0 and [0, ln 3]->1 with weights [1, 2]: (ln 2 + 2 ln(4/3)) / 3; mean without weights
    T logits = T::f32({2, 2}, {0.f, 0.f, 0.f, (float)std::log(3.0)});
    T y = T::i32({2}, {0, 1});
    T w = T::f32({2}, {1.f, 2.f});
    T probs(KP_F32, {2, 2});
    KP_ASSERT_OK(kp_cross_entropy_fwd(&loss, &probs, &logits, &y, &w, 0.f, kIgnore));
    EXPECT_NEAR(loss.f()[0], (ln2 + 2 * ln43) / 3, 1e-7);
    KP_ASSERT_OK(kp_cross_entropy_fwd(&loss, &probs, &logits, &y, nullptr, 0.f, kIgnore));
    EXPECT_NEAR(loss.f()[0], (ln2 + ln43) / 2, 1e-7);
    EXPECT_NEAR(probs.f()[3], 0.75f, 1e-7);
    // label smoothing 0.2 on row 2 only (row 1 ignored): 0.8 ln(4/3) + 0.1 (ln 4 + ln(4/3))
    T y2 = T::i32({2}, {kIgnore, 1});
    KP_ASSERT_OK(kp_cross_entropy_fwd(&loss, &probs, &logits, &y2, nullptr, 0.2f, kIgnore));
    EXPECT_NEAR(loss.f()[0], 0.8 * ln43 + 0.1 * (std::log(4.0) + ln43), 1e-6);
  }
  {  // huge logits stay finite: [1000, 0] target 1 -> loss 1000
    T logits = T::f32({1, 2}, {1000.f, 0.f});
    T y = T::i32({1}, {1});
    T probs(KP_F32, {1, 2});
    KP_ASSERT_OK(kp_cross_entropy_fwd(&loss, &probs, &logits, &y, nullptr, 0.f, kIgnore));
    EXPECT_NEAR(loss.f()[0], 1000.0, 1e-3);
    EXPECT_EQ(probs.f()[0], 1.0f);
    EXPECT_EQ(probs.f()[1], 0.0f);
  }
}

TEST(GradCrossEntropy, RejectsOutOfRangeTargets) {
  T logits = kpt::rand_f32({4, 3}, 1);
  T probs(KP_F32, {4, 3}), loss(KP_F32, {1}), dx(KP_F32, {4, 3});
  for (int bad : {3, -1, 7}) {
    T y = T::i32({4}, {0, 2, bad, 1});
    EXPECT_EQ(kp_cross_entropy_fwd(&loss, &probs, &logits, &y, nullptr, 0.f, kIgnore), KP_ERR_INVALID);
    std::string msg = kp_last_error();
    EXPECT_NE(msg.find("cross_entropy_fwd"), std::string::npos) << msg;
    EXPECT_NE(msg.find("targets[2] = " + std::to_string(bad)), std::string::npos) << msg;
    EXPECT_EQ(kp_cross_entropy_bwd(&dx, &probs, &y, nullptr, 0.f, kIgnore, 1.f), KP_ERR_INVALID);
    msg = kp_last_error();
    EXPECT_NE(msg.find("cross_entropy_bwd"), std::string::npos) << msg;
    EXPECT_NE(msg.find("targets[2]"), std::string::npos) << msg;
  }
  for (int j = 0; j < 12; j++) EXPECT_EQ(dx.f()[j], 0.0f);  // nothing written on failure
  // -1 is accepted when it is the ignore_index
  T y = T::i32({4}, {0, 2, -1, 1});
  KP_EXPECT_OK(kp_cross_entropy_fwd(&loss, &probs, &logits, &y, nullptr, 0.f, -1));
}

namespace {

// BCE forward vs reference, FD gradient and accumulation for one shape.
void check_bce(std::vector<int64_t> shape, bool with_pw, bool soft, uint32_t seed, float lo = -4.f, float hi = 4.f) {
  SCOPED_TRACE("shape rank " + std::to_string(shape.size()) + " last " + std::to_string(shape.back()) +
               " pw=" + std::to_string(with_pw) + " soft=" + std::to_string(soft));
  const int c = (int)shape.back();
  T x = kpt::rand_f32(shape, seed, lo, hi);
  T t = kpt::rand_f32(shape, seed + 1, 0.f, 1.f);
  if (!soft)
    for (int64_t i = 0; i < t.numel(); i++) t.f()[i] = t.f()[i] < 0.5f ? 0.f : 1.f;
  T pw = kpt::rand_f32({c}, seed + 2, 0.5f, 3.f);
  const kp_tensor *pwp = with_pw ? &pw : nullptr;
  std::vector<double> pwd = pw.dvec(), td = t.dvec(), xd = x.dvec();
  const std::vector<double> *pwr = with_pw ? &pwd : nullptr;

  T loss(KP_F32, {1});
  KP_ASSERT_OK(kp_bce_logits_fwd(&loss, &x, &t, pwp));
  KP_EXPECT_CLOSE(loss.vec(), std::vector<double>{bce_ref(xd, td, pwr, c)}, 1e-5, 1e-7);

  const double dloss = 1.3;
  auto fd = kpt::fd_grad(xd, [&](const std::vector<double> &xx) { return dloss * bce_ref(xx, td, pwr, c); });
  T dx(KP_F32, shape);
  KP_ASSERT_OK(kp_bce_logits_bwd(&dx, &x, &t, pwp, (float)dloss));
  KP_EXPECT_CLOSE(dx.vec(), fd, 1e-4, 1e-6);
  T acc = kpt::rand_f32(shape, seed + 3);
  std::vector<float> g0 = acc.vec();
  KP_ASSERT_OK(kp_bce_logits_bwd(&acc, &x, &t, pwp, (float)dloss));
  KP_EXPECT_CLOSE(acc.vec(), add(g0, fd), 1e-4, 1e-6);
}

}  // namespace

TEST(GradBceLogits, MatchesReferenceAndFiniteDifferences) {
  uint32_t seed = 500;
  for (bool pw : {false, true})
    for (bool soft : {false, true}) {
      check_bce({1}, pw, soft, seed += 7);
      check_bce({7}, pw, soft, seed += 7);
      check_bce({4, 5}, pw, soft, seed += 7);
      check_bce({3, 2, 6}, pw, soft, seed += 7);
    }
  // large |x|: values near +-50 stay finite and correct
  check_bce({4, 8}, true, true, 900, -50.f, 50.f);
  check_bce({4, 8}, false, false, 901, 40.f, 50.f);
  check_bce({4, 8}, true, false, 902, -50.f, -40.f);
}

TEST(GradBceLogits, HandDerivedValues) {
  const double ln2 = std::log(2.0);
  T loss(KP_F32, {1});
  {  // x = 0: ln 2 for either target; pos_weight 3 triples the positive term
    T x = T::f32({1, 2}, {0.f, 0.f});
    T t = T::f32({1, 2}, {1.f, 0.f});
    T pw = T::f32({2}, {3.f, 3.f});
    KP_ASSERT_OK(kp_bce_logits_fwd(&loss, &x, &t, nullptr));
    EXPECT_NEAR(loss.f()[0], ln2, 1e-7);
    KP_ASSERT_OK(kp_bce_logits_fwd(&loss, &x, &t, &pw));
    EXPECT_NEAR(loss.f()[0], (3 * ln2 + ln2) / 2, 1e-6);
    // gradient ((pw y + 1 - y) s(0) - pw y) / 2: (3 * 0.5 - 3) / 2 for y = 1 and (1 * 0.5) / 2 for y = 0
    T dx(KP_F32, {1, 2});
    KP_ASSERT_OK(kp_bce_logits_bwd(&dx, &x, &t, &pw, 1.f));
    KP_EXPECT_CLOSE(dx.vec(), std::vector<double>({-0.75, 0.25}), 0, 1e-7);
  }
  {  // x = +-50: the losses are 50 (wrong side) or ~0 (right side); mean 25, gradients +-1/4 or 0
    T x = T::f32({4}, {50.f, 50.f, -50.f, -50.f});
    T t = T::f32({4}, {0.f, 1.f, 1.f, 0.f});
    KP_ASSERT_OK(kp_bce_logits_fwd(&loss, &x, &t, nullptr));
    EXPECT_TRUE(std::isfinite(loss.f()[0]));
    EXPECT_NEAR(loss.f()[0], 25.0, 1e-5);
    T dx(KP_F32, {4});
    KP_ASSERT_OK(kp_bce_logits_bwd(&dx, &x, &t, nullptr, 1.f));
    KP_EXPECT_CLOSE(dx.vec(), std::vector<double>({0.25, 0.0, -0.25, 0.0}), 0, 1e-7);
  }
  {  // x = +-1000: exp(1000) overflows even in double, the stable form gives (1000 + 0 + 1000 + 0) / 4
    T x = T::f32({4}, {1000.f, 1000.f, -1000.f, -1000.f});
    T t = T::f32({4}, {0.f, 1.f, 1.f, 0.f});
    KP_ASSERT_OK(kp_bce_logits_fwd(&loss, &x, &t, nullptr));
    EXPECT_NEAR(loss.f()[0], 500.0, 1e-4);
    T dx(KP_F32, {4});
    KP_ASSERT_OK(kp_bce_logits_bwd(&dx, &x, &t, nullptr, 1.f));
    KP_EXPECT_CLOSE(dx.vec(), std::vector<double>({0.25, 0.0, -0.25, 0.0}), 0, 1e-7);
  }
}

// Inputs big enough for the OpenMP paths (FD would be too slow there): forward vs the double
// reference, backward vs the closed-form gradient checked by FD above, and bitwise repeatability.
TEST(GradCrossEntropy, LargeInputsMatchClosedFormGradient) {
  const int n = 700, c = 64;
  const double ls = 0.1, dloss = 0.5;
  T logits = kpt::rand_f32({n, c}, 31, -5.f, 5.f), weights = kpt::rand_f32({c}, 32, 0.2f, 2.f);
  std::vector<int32_t> yv(n);
  for (int i = 0; i < n; i++) yv[i] = i % 13 == 0 ? kIgnore : (i * 31) % c;
  T targets = T::i32({n}, yv);
  std::vector<int> y(yv.begin(), yv.end());
  std::vector<double> x = logits.dvec(), w = weights.dvec();
  T loss(KP_F32, {1}), probs(KP_F32, {n, c}), loss2(KP_F32, {1}), probs2(KP_F32, {n, c});
  KP_ASSERT_OK(kp_cross_entropy_fwd(&loss, &probs, &logits, &targets, &weights, (float)ls, kIgnore));
  KP_EXPECT_CLOSE(loss.vec(), std::vector<double>{ce_ref(x, y, &w, ls, kIgnore, n, c)}, 1e-5, 0);
  KP_ASSERT_OK(kp_cross_entropy_fwd(&loss2, &probs2, &logits, &targets, &weights, (float)ls, kIgnore));
  EXPECT_EQ(loss.f()[0], loss2.f()[0]);
  auto p = softmax_ref(x, n, c);
  double norm = 0, wsum = 0;
  for (int i = 0; i < n; i++) norm += y[i] == kIgnore ? 0 : w[y[i]];
  for (int k = 0; k < c; k++) wsum += w[k];
  std::vector<double> g(x.size(), 0.0);
  for (int i = 0; i < n; i++)
    if (y[i] != kIgnore)
      for (int k = 0; k < c; k++)
        g[i * c + k] = dloss / norm *
                       (p[i * c + k] * ((1 - ls) * w[y[i]] + ls / c * wsum) - (k == y[i] ? (1 - ls) * w[y[i]] : 0.0) -
                        ls / c * w[k]);
  T dx(KP_F32, {n, c});
  KP_ASSERT_OK(kp_cross_entropy_bwd(&dx, &probs, &targets, &weights, (float)ls, kIgnore, (float)dloss));
  KP_EXPECT_CLOSE(dx.vec(), g, 1e-4, 1e-9);
}

TEST(GradBceLogits, LargeInputsMatchClosedFormGradient) {
  const int rows = 300, c = 128;
  const double dloss = 2.0;
  T x = kpt::rand_f32({rows, c}, 41, -8.f, 8.f), t = kpt::rand_f32({rows, c}, 42, 0.f, 1.f);
  T pw = kpt::rand_f32({c}, 43, 0.5f, 4.f);
  std::vector<double> xd = x.dvec(), td = t.dvec(), pwd = pw.dvec();
  T loss(KP_F32, {1}), loss2(KP_F32, {1});
  KP_ASSERT_OK(kp_bce_logits_fwd(&loss, &x, &t, &pw));
  KP_EXPECT_CLOSE(loss.vec(), std::vector<double>{bce_ref(xd, td, &pwd, c)}, 1e-5, 0);
  KP_ASSERT_OK(kp_bce_logits_fwd(&loss2, &x, &t, &pw));
  EXPECT_EQ(loss.f()[0], loss2.f()[0]);
  std::vector<double> g(xd.size());
  for (size_t i = 0; i < g.size(); i++) {
    double s = 1 / (1 + std::exp(-xd[i])), pwy = pwd[i % c] * td[i];
    g[i] = dloss / (double)g.size() * ((pwy + 1 - td[i]) * s - pwy);
  }
  T dx(KP_F32, {rows, c});
  KP_ASSERT_OK(kp_bce_logits_bwd(&dx, &x, &t, &pw, (float)dloss));
  KP_EXPECT_CLOSE(dx.vec(), g, 1e-4, 1e-10);
}
