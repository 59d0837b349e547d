// The CPU activation loops: ELU's own expm1 (forward) and exp (backward) within 2 ulp of the exact values over
// the whole negative range (a subnormal exp may flush to 0), special values (0, -0, -inf, NaN, tiny, huge), and the other activations equal to the
// shared element-wise definition in src/core/ewmath.h bit for bit.
#include <cmath>
#include <cstring>
#include <limits>
#include "testutil.h"

using kpt::T;

namespace {

// Distance in units in the last place of want (as a float) between got and want.
double ulps(float got, double want) {
  if ((double)got == want) return 0;  // also infinities
  double ulp = std::ldexp(1.0, std::max(std::ilogb((float)want), -126) - 23);
  return std::fabs((double)got - want) / ulp;
}

std::vector<float> sweep() {
  std::vector<float> x;
  for (float v = -120.f; v < 4.f; v += 0.000731f) x.push_back(v);
  for (float v = -1e-3f; v < 1e-3f; v += 1.7e-7f) x.push_back(v);
  for (float v : {0.f, -0.f, -1e-30f, 1e-30f, -1e-8f, -0.34657359f, -0.34657360f, -29.99f, -30.f, -30.01f, -87.f, -104.f,
                  -std::numeric_limits<float>::infinity(), std::numeric_limits<float>::infinity(), -3.4e38f, 3.4e38f})
    x.push_back(v);
  return x;
}

}  // namespace

TEST(CpuActivation, EluWithin2UlpForwardAndBackward) {
  std::vector<float> x = sweep();
  int64_t n = (int64_t)x.size();
  for (float alpha : {1.0f, 0.5f}) {
    T X = T::f32({n}, x), Y(KP_F32, {n}), G = T::f32({n}, std::vector<float>(n, 1.f)), D(KP_F32, {n});
    KP_ASSERT_OK(kp_act_fwd(&Y, &X, KP_ACT_ELU, alpha));
    KP_ASSERT_OK(kp_act_bwd(&D, &G, &X, KP_ACT_ELU, alpha));
    auto y = Y.vec(), d = D.vec();
    double worst_f = 0, worst_b = 0;
    for (int64_t i = 0; i < n; i++) {
      double v = x[i];
      double yf = v > 0 ? v : (double)alpha * std::expm1(v), df = v > 0 ? 1.0 : (double)alpha * std::exp(v);
      // the reference rounded to float first, as alpha * expm1f(x) would be
      double ef = ulps(y[i], (double)(float)yf), eb = ulps(d[i], (double)(float)df);
      ASSERT_LE(ef, 2.0) << "elu(" << x[i] << ") = " << y[i] << ", exact " << yf;
      if (std::fabs(df) < std::numeric_limits<float>::min() && std::fabs(d[i] - df) <= std::numeric_limits<float>::min())
        eb = 0;  // a subnormal exp flushed to 0
      worst_f = std::max(worst_f, ef), worst_b = std::max(worst_b, eb);
      ASSERT_LE(eb, 2.0) << "elu'(" << x[i] << ") = " << d[i] << ", exact " << df;
    }
    std::printf("alpha %g: worst forward %.2f ulp, backward %.2f ulp over %lld points\n", alpha, worst_f, worst_b,
                (long long)n);
  }
  // NaN propagates, as libm's expm1f does
  T X = T::f32({2}, {std::numeric_limits<float>::quiet_NaN(), -1.f}), Y(KP_F32, {2});
  KP_ASSERT_OK(kp_act_fwd(&Y, &X, KP_ACT_ELU, 1.f));
  EXPECT_TRUE(std::isnan(Y.vec()[0]));
}

TEST(CpuActivation, OtherActivationsMatchTheSharedDefinitionBitForBit) {
  std::vector<float> x = sweep();
  for (size_t i = 0; i < x.size(); i += 50) x[i] = std::numeric_limits<float>::quiet_NaN();
  int64_t n = (int64_t)x.size();
  std::mt19937 gen(5);
  std::uniform_real_distribution<float> u(-3.f, 3.f);
  std::vector<float> g(n), d0(n);
  for (int64_t i = 0; i < n; i++) g[i] = u(gen), d0[i] = u(gen);
  struct Case {
    kp_act act;
    float alpha;
    float (*f)(float, float);
    float (*df)(float, float);
  };
  const Case cases[] = {
      {KP_ACT_RELU, 0.f, [](float v, float) { return v > 0.0f ? v : 0.0f; }, [](float v, float) { return v > 0.0f ? 1.0f : 0.0f; }},
      {KP_ACT_LEAKY_RELU, 0.2f, [](float v, float a) { return v > 0.0f ? v : a * v; },
       [](float v, float a) { return v > 0.0f ? 1.0f : a; }},
      {KP_ACT_TANH, 0.f, [](float v, float) { return std::tanh(v); },
       [](float v, float) { float t = std::tanh(v); return 1.0f - t * t; }},
  };
  for (const Case &c : cases) {
    SCOPED_TRACE(kp_act_name(c.act));
    T X = T::f32({n}, x), Y(KP_F32, {n}), G = T::f32({n}, g), D = T::f32({n}, d0);
    KP_ASSERT_OK(kp_act_fwd(&Y, &X, c.act, c.alpha));
    KP_ASSERT_OK(kp_act_bwd(&D, &G, &X, c.act, c.alpha));
    auto y = Y.vec(), d = D.vec();
    for (int64_t i = 0; i < n; i++) {
      float wy = c.f(x[i], c.alpha), wd = d0[i] + c.df(x[i], c.alpha) * g[i];
      ASSERT_EQ(std::memcmp(&y[i], &wy, 4), 0) << x[i] << ": " << y[i] << " vs " << wy;
      ASSERT_EQ(std::memcmp(&d[i], &wd, 4), 0) << x[i] << ": " << d[i] << " vs " << wd;
    }
  }
}
