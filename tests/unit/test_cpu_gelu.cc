// The CPU GELU's branch-free erf (src/cpu/activation.c): within 2 ulp of libm's erff (and 2.5 ulp of the exact
// erf) over a dense sweep of floats, every float around its branch cut (1.25) and clamp (4), special values; and
// GELU forward/backward equal to the erff-based definition of src/core/ewmath.h up to that erf difference.
#include <cmath>
#include <cstring>
#include <limits>
#include "core/ewmath.h"
#include "cpu/vmath.h"
#include "testutil.h"

using kpt::T;

namespace {

double ulps(float got, double want) {
  if ((double)got == want) return 0;
  double ulp = std::ldexp(1.0, std::max(std::ilogb((float)want), -126) - 23);
  return std::fabs((double)got - want) / ulp;
}

float from_bits(uint32_t b) {
  float f;
  std::memcpy(&f, &b, 4);
  return f;
}

uint32_t to_bits(float f) {
  uint32_t b;
  std::memcpy(&b, &f, 4);
  return b;
}

void check(float x, double *worst_f, double *worst_e) {
  float y = kp_cpu_erf(x);
  double ef = ulps(y, (double)std::erf(x)), ee = ulps(y, std::erf((double)x));
  ASSERT_LE(ef, 2.0) << "erf(" << x << ") = " << y << ", erff " << std::erf(x);
  ASSERT_LE(ee, 2.5) << "erf(" << x << ") = " << y << ", exact " << std::erf((double)x);
  ASSERT_EQ(kp_cpu_erf(-x), -y) << "erf is odd at " << x;
  *worst_f = std::max(*worst_f, ef), *worst_e = std::max(*worst_e, ee);
}

}  // namespace

TEST(CpuGelu, ErfWithin2UlpOfErffOverADenseSweep) {
  double wf = 0, we = 0;
  const uint32_t top = to_bits(5.0f);
  for (uint32_t b = 0; b < top; b += 61) {  // every 61st float in [0, 5]: all binades, ~18M points
    check(from_bits(b), &wf, &we);
    if (HasFatalFailure()) return;
  }
  for (float c : {1.25f, 4.0f, 1.0f, 0.5f})  // every float within 2^17 ulp of the cut, the clamp, and a few more
    for (uint32_t b = to_bits(c) - (1u << 17); b < to_bits(c) + (1u << 17); b++) {
      check(from_bits(b), &wf, &we);
      if (HasFatalFailure()) return;
    }
  std::printf("erf: worst %.2f ulp vs erff, %.2f ulp vs exact\n", wf, we);
  const float inf = std::numeric_limits<float>::infinity();
  EXPECT_EQ(kp_cpu_erf(inf), 1.0f);
  EXPECT_EQ(kp_cpu_erf(-inf), -1.0f);
  EXPECT_EQ(kp_cpu_erf(3.4e38f), 1.0f);
  EXPECT_TRUE(std::isnan(kp_cpu_erf(std::numeric_limits<float>::quiet_NaN())));
  EXPECT_TRUE(std::signbit(kp_cpu_erf(-0.0f)));
  EXPECT_EQ(kp_cpu_erf(1e-40f), std::erf(1e-40f));  // subnormal: 2/sqrt(pi) x, as erff
}

// GELU(x) = x/2 (1 + erf(x/sqrt2)): an erf within 2 ulp (of a value below 1: 2^-23 absolute) moves the result by at
// most |x|/2 * 2^-23, plus the rounding of the rest of the formula (a few ulp of the result). Same for the gradient,
// whose exp term (exp_nonpos, 2 ulp) adds |x| / sqrt(2 pi) exp(-x^2/2) * 2^-22.
TEST(CpuGelu, ForwardAndBackwardMatchTheErffDefinition) {
  std::vector<float> x;
  for (float v = -12.f; v < 12.f; v += 0.000913f) x.push_back(v);
  for (float v = -1e-3f; v < 1e-3f; v += 3.1e-7f) x.push_back(v);
  for (float v : {0.f, -0.f, 1e-30f, -1e-30f, 1e-40f, 100.f, -100.f, 3.4e38f, -3.4e38f}) x.push_back(v);
  int64_t n = (int64_t)x.size();
  std::mt19937 gen(7);
  std::uniform_real_distribution<float> u(-3.f, 3.f);
  std::vector<float> g(n), d0(n);
  for (int64_t i = 0; i < n; i++) g[i] = u(gen), d0[i] = u(gen);
  T X = T::f32({n}, x), Y(KP_F32, {n}), G = T::f32({n}, g), D = T::f32({n}, d0);
  KP_ASSERT_OK(kp_act_fwd(&Y, &X, KP_ACT_GELU, 0.f));
  KP_ASSERT_OK(kp_act_bwd(&D, &G, &X, KP_ACT_GELU, 0.f));
  auto y = Y.vec(), d = D.vec();
  for (int64_t i = 0; i < n; i++) {
    float v = x[i], wy = kp_gelu(v), wg = kp_gelu_grad(v), wd = d0[i] + wg * g[i];
    double tol = 0.5 * std::fabs((double)v) * 0x1p-23 + 4 * std::ldexp(1.0, std::ilogb(std::max(std::fabs(wy), 1e-37f)) - 23);
    ASSERT_LE(std::fabs((double)y[i] - wy), tol) << "gelu(" << v << ") = " << y[i] << " vs " << wy;
    double tg = 0.5 * 0x1p-23 + std::fabs((double)v) * 0.4 * std::exp(-0.5 * (double)v * v) * 0x1p-22 +
                4 * std::ldexp(1.0, std::ilogb(std::max(std::fabs(wg), 1e-37f)) - 23);
    // d = d0 + grad * g: the gradient's difference scaled by |g|, plus the rounding of the sum
    double td = tg * std::fabs(g[i]) + 2 * std::ldexp(1.0, std::ilogb(std::max(std::fabs(wd), 1e-37f)) - 23);
    ASSERT_LE(std::fabs((double)d[i] - wd), td) << "gelu'(" << v << "): " << d[i] << " vs " << wd;
  }
  // NaN in, NaN out (forward and backward), as the erff definition gives
  T Xn = T::f32({1}, {std::numeric_limits<float>::quiet_NaN()}), Yn(KP_F32, {1}), Dn = T::f32({1}, {0.f}),
    Gn = T::f32({1}, {1.f});
  KP_ASSERT_OK(kp_act_fwd(&Yn, &Xn, KP_ACT_GELU, 0.f));
  KP_ASSERT_OK(kp_act_bwd(&Dn, &Gn, &Xn, KP_ACT_GELU, 0.f));
  EXPECT_TRUE(std::isnan(Yn.vec()[0]));
  EXPECT_TRUE(std::isnan(Dn.vec()[0]));
}
