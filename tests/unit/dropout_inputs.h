// Inputs shared by the dropout tests (test_dropout_bits.cc, test_dropout_paths.cc).
#pragma once
#include <cstdint>
#include <cstring>
#include <limits>
#include <random>
#include <vector>

namespace dropout_test {

// The bit pattern of v (tells -0 from +0 and NaNs apart).
inline uint32_t bits(float v) {
  uint32_t u;
  std::memcpy(&u, &v, sizeof u);
  return u;
}

// n values in [-2, 2): kind 0 dense, 1 ~1% non-zeros (a bag-of-words row), 2 a mix with -0, +0, inf and nan.
inline std::vector<float> input(int64_t n, int kind, uint32_t seed,
                                float nan = std::numeric_limits<float>::quiet_NaN()) {
  std::mt19937 g(seed);
  std::uniform_real_distribution<float> u(-2.f, 2.f);
  std::vector<float> x(n);
  for (int64_t i = 0; i < n; i++) {
    float v = u(g);
    if (kind == 1) v = (g() % 100 == 0) ? v : 0.f;
    if (kind == 2) {
      uint32_t k = g() % 8;
      v = k == 0 ? -0.f : k == 1 ? 0.f : k == 2 ? std::numeric_limits<float>::infinity() : k == 3 ? nan : v;
    }
    x[i] = v;
  }
  return x;
}

}  // namespace dropout_test
