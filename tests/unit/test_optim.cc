// Optimizer steps (Adam, AdamW, SGD variants) vs double references over several steps,
// global-norm clipping and the deterministic sum of squares.
#include <cmath>
#include "testutil.h"

using kpt::T;

namespace {

// torch.optim.Adam / AdamW in double, one step over all elements.
void adam_ref(std::vector<double> &p, const std::vector<double> &g, std::vector<double> &m, std::vector<double> &v,
              const kp_adam_hparams &h, int step) {
  const double b1 = h.beta1, b2 = h.beta2, lr = h.lr, wd = h.weight_decay;
  const double bc1 = 1 - std::pow(b1, step), bc2 = 1 - std::pow(b2, step);
  for (size_t i = 0; i < p.size(); i++) {
    double gi = g[i];
    if (h.decoupled)
      p[i] *= 1 - lr * wd;
    else
      gi += wd * p[i];
    m[i] = b1 * m[i] + (1 - b1) * gi;
    v[i] = b2 * v[i] + (1 - b2) * gi * gi;
    p[i] -= lr * (m[i] / bc1) / (std::sqrt(v[i] / bc2) + h.eps);
  }
}

// torch.optim.SGD in double.
void sgd_ref(std::vector<double> &p, const std::vector<double> &g, std::vector<double> &buf, const kp_sgd_hparams &h,
             int step) {
  for (size_t i = 0; i < p.size(); i++) {
    double gi = g[i] + h.weight_decay * p[i];
    if (h.momentum != 0) {
      buf[i] = step == 1 ? gi : h.momentum * buf[i] + (1 - h.dampening) * gi;
      gi = h.nesterov ? gi + h.momentum * buf[i] : buf[i];
    }
    p[i] -= h.lr * gi;
  }
}

// Runs 5 Adam steps with fresh random gradients each step, comparing with the reference after each.
void check_adam(const kp_adam_hparams &h, int64_t n, uint32_t seed) {
  SCOPED_TRACE("n=" + std::to_string(n) + " wd=" + std::to_string(h.weight_decay) +
               " decoupled=" + std::to_string(h.decoupled));
  T p = kpt::rand_f32({n}, seed), m(KP_F32, {n}), v(KP_F32, {n});
  std::vector<double> pr = p.dvec(), mr(n, 0.0), vr(n, 0.0);
  for (int step = 1; step <= 5; step++) {
    T g = kpt::rand_f32({n}, seed + 10 * step, -2.f, 2.f);
    KP_ASSERT_OK(kp_adam_step(&p, &g, &m, &v, &h, step));
    adam_ref(pr, g.dvec(), mr, vr, h, step);
    KP_EXPECT_CLOSE(p.vec(), pr, 1e-5, 1e-7);
    KP_EXPECT_CLOSE(m.vec(), mr, 1e-5, 1e-7);
    KP_EXPECT_CLOSE(v.vec(), vr, 1e-5, 1e-9);
  }
}

void check_sgd(const kp_sgd_hparams &h, int64_t n, uint32_t seed) {
  SCOPED_TRACE("momentum=" + std::to_string(h.momentum) + " dampening=" + std::to_string(h.dampening) +
               " wd=" + std::to_string(h.weight_decay) + " nesterov=" + std::to_string(h.nesterov));
  T p = kpt::rand_f32({n}, seed), buf = kpt::rand_f32({n}, seed + 1);  // junk buf: step 1 must overwrite it
  std::vector<double> pr = p.dvec(), br(n, 0.0);
  for (int step = 1; step <= 5; step++) {
    T g = kpt::rand_f32({n}, seed + 10 * step, -2.f, 2.f);
    KP_ASSERT_OK(kp_sgd_step(&p, &g, h.momentum != 0 ? &buf : nullptr, &h, step));
    sgd_ref(pr, g.dvec(), br, h, step);
    // atol: f32 rounding of O(1) operands that cancel (momentum * buf against g) is ~1e-7 per step
    KP_EXPECT_CLOSE(p.vec(), pr, 1e-5, 1e-6);
    if (h.momentum != 0) KP_EXPECT_CLOSE(buf.vec(), br, 1e-5, 1e-6);
  }
}

}  // namespace

TEST(OptimAdam, AdamAndAdamWMatchReferenceOverFiveSteps) {
  uint32_t seed = 1;
  for (int64_t n : {1, 37, 100000})  // the last one takes the OpenMP path
    for (float wd : {0.0f, 0.01f, 0.1f})
      for (bool dec : {false, true}) {
        kp_adam_hparams h{1e-3f, 0.9f, 0.999f, 1e-8f, wd, dec};
        check_adam(h, n, seed += 3);
      }
  kp_adam_hparams odd{0.05f, 0.5f, 0.9f, 1e-6f, 0.2f, true};  // large steps, different betas
  check_adam(odd, 64, 77);
}

TEST(OptimAdam, AdamWDiffersFromAdamOnlyWithWeightDecay) {
  for (float wd : {0.0f, 0.1f}) {
    T p1 = kpt::rand_f32({50}, 3), p2 = kpt::rand_f32({50}, 3);
    T m1(KP_F32, {50}), v1(KP_F32, {50}), m2(KP_F32, {50}), v2(KP_F32, {50});
    kp_adam_hparams adam{1e-2f, 0.9f, 0.999f, 1e-8f, wd, false}, adamw = adam;
    adamw.decoupled = true;
    for (int step = 1; step <= 3; step++) {
      T g = kpt::rand_f32({50}, 40 + step);
      KP_ASSERT_OK(kp_adam_step(&p1, &g, &m1, &v1, &adam, step));
      KP_ASSERT_OK(kp_adam_step(&p2, &g, &m2, &v2, &adamw, step));
    }
    double maxdiff = 0;
    for (int i = 0; i < 50; i++) maxdiff = std::max(maxdiff, (double)std::fabs(p1.f()[i] - p2.f()[i]));
    if (wd == 0.0f)
      EXPECT_EQ(maxdiff, 0.0);
    else
      EXPECT_GT(maxdiff, 1e-4);
  }
}

TEST(OptimAdam, FirstStepMovesEachParameterByLr) {
  // step 1 with no weight decay: mhat = g, vhat = g^2, so p moves by lr * sign(g) (up to eps)
  T p = T::f32({3}, {1.f, 1.f, 1.f}), g = T::f32({3}, {0.5f, -2.f, 1e-3f});
  T m(KP_F32, {3}), v(KP_F32, {3});
  kp_adam_hparams h{0.1f, 0.9f, 0.999f, 1e-8f, 0.f, false};
  KP_ASSERT_OK(kp_adam_step(&p, &g, &m, &v, &h, 1));
  KP_EXPECT_CLOSE(p.vec(), std::vector<double>({0.9, 1.1, 0.9}), 1e-5, 0);
}

TEST(OptimSgd, VariantsMatchReferenceOverFiveSteps) {
  const kp_sgd_hparams cases[] = {
      {0.1f, 0.0f, 0.0f, 0.0f, false},  // plain
      {0.1f, 0.0f, 0.0f, 0.05f, false}, // weight decay only
      {0.05f, 0.9f, 0.0f, 0.0f, false}, // momentum
      {0.05f, 0.9f, 0.3f, 0.0f, false}, // momentum + dampening
      {0.05f, 0.9f, 0.0f, 0.0f, true},  // nesterov
      {0.05f, 0.8f, 0.0f, 0.01f, true}, // nesterov + weight decay
      {0.05f, 0.5f, 0.1f, 0.02f, false},
  };
  uint32_t seed = 200;
  for (const auto &h : cases) {
    check_sgd(h, 41, seed += 5);
    check_sgd(h, 70000, seed += 5);
  }
}

TEST(OptimSgd, HandDerivedMomentum) {
  // p = 1, g = 1 every step, lr 0.1, momentum 0.5: buf 1, 1.5 -> p 0.9, 0.75;
  // nesterov steps by g + 0.5 buf = 1.5, 1.75 -> p 0.85, 0.675
  for (bool nesterov : {false, true}) {
    T p = T::f32({1}, {1.f}), g = T::f32({1}, {1.f}), buf(KP_F32, {1});
    kp_sgd_hparams h{0.1f, 0.5f, 0.f, 0.f, nesterov};
    KP_ASSERT_OK(kp_sgd_step(&p, &g, &buf, &h, 1));
    EXPECT_NEAR(p.f()[0], nesterov ? 0.85f : 0.9f, 1e-7);
    KP_ASSERT_OK(kp_sgd_step(&p, &g, &buf, &h, 2));
    EXPECT_NEAR(p.f()[0], nesterov ? 0.675f : 0.75f, 1e-7);
    EXPECT_NEAR(buf.f()[0], 1.5f, 1e-7);
  }
}

TEST(OptimSumsq, MatchesDoubleSumAndIsReproducible) {
  for (int64_t n : {0, 1, 5, 1000, 200001}) {
    T x = kpt::rand_f32({n ? n : 1}, (uint32_t)n + 1, -3.f, 3.f);
    if (n == 0) x = T(KP_F32, {0});
    double ref = 0;
    for (int64_t i = 0; i < n; i++) ref += (double)x.f()[i] * x.f()[i];
    double s = -1, s2 = -2;
    KP_ASSERT_OK(kp_sumsq(&x, &s));
    KP_ASSERT_OK(kp_sumsq(&x, &s2));
    EXPECT_NEAR(s, ref, 1e-12 * (1 + ref)) << "n=" << n;
    EXPECT_EQ(s, s2) << "n=" << n;
  }
  // accumulated in double: 1e8 ones plus tiny terms are not lost the way an f32 sum would lose them
  T x(KP_F32, {3});
  x.f()[0] = 1e4f;  // 1e8
  x.f()[1] = x.f()[2] = 1e-2f;
  double s = 0;
  KP_ASSERT_OK(kp_sumsq(&x, &s));
  EXPECT_NEAR(s, 1e8 + 2 * (double)1e-2f * (double)1e-2f, 3e-8);
  EXPECT_GT(s, 1e8);
}

TEST(OptimClip, NormOverSeveralTensorsAndScalingAboveMax) {
  T a = kpt::rand_f32({3, 4}, 1, -2.f, 2.f), b = kpt::rand_f32({7}, 2, -2.f, 2.f), c = kpt::rand_f32({2, 2, 5}, 3);
  double ss = 0;
  for (T *t : {std::addressof(a), std::addressof(b), std::addressof(c)})
    for (int64_t i = 0; i < t->numel(); i++) ss += (double)t->f()[i] * t->f()[i];
  const double norm = std::sqrt(ss);
  kp_tensor *grads[3] = {&a, &b, &c};
  std::vector<float> a0 = a.vec(), b0 = b.vec(), c0 = c.vec();

  // max_norm above the norm: norm reported, nothing scaled
  float total = -1;
  KP_ASSERT_OK(kp_clip_grad_norm(grads, 3, (float)(norm * 1.5), &total));
  EXPECT_NEAR(total, norm, 1e-6 * norm);
  EXPECT_EQ(a.vec(), a0);
  EXPECT_EQ(b.vec(), b0);
  EXPECT_EQ(c.vec(), c0);
  // max_norm 0 disables clipping
  KP_ASSERT_OK(kp_clip_grad_norm(grads, 3, 0.f, &total));
  EXPECT_EQ(a.vec(), a0);

  // max_norm below the norm: every tensor scaled by the same factor, new norm == max_norm
  const float max_norm = (float)(norm / 3);
  KP_ASSERT_OK(kp_clip_grad_norm(grads, 3, max_norm, &total));
  EXPECT_NEAR(total, norm, 1e-6 * norm);
  const double coef = max_norm / (norm + 1e-6);
  auto scaled = [&](const std::vector<float> &v) {
    std::vector<double> r(v.size());
    for (size_t i = 0; i < v.size(); i++) r[i] = v[i] * coef;
    return r;
  };
  KP_EXPECT_CLOSE(a.vec(), scaled(a0), 1e-6, 0);
  KP_EXPECT_CLOSE(b.vec(), scaled(b0), 1e-6, 0);
  KP_EXPECT_CLOSE(c.vec(), scaled(c0), 1e-6, 0);
  float after = -1;
  KP_ASSERT_OK(kp_clip_grad_norm(grads, 3, 0.f, &after));
  EXPECT_NEAR(after, max_norm, 1e-5 * max_norm);
}
