// Dropout masks bit for bit: the CPU kernel (blocked Philox, zero-block skipping, OpenMP) must give exactly
// the outputs of the per-element definition y[i] = uniform(seed, offset, i) >= p ? x[i] * s : 0, for dense
// and sparse inputs, signed zeros, inf and NaN, odd tails, counters that carry into the high word, serial
// and parallel sizes, in place; and some mask bits are pinned as literals so that the stream itself (the
// counter -> element mapping CPU and CUDA share) cannot drift.
#include "dropout_inputs.h"
#include <cmath>
#include <cstring>
#include <limits>
#include "testutil.h"

using kpt::T;

namespace {

bool kept(float p, uint64_t seed, uint64_t offset, int64_t i) {
  return kp_philox_uniform(seed, offset, (uint64_t)i) >= p;
}

using dropout_test::bits;
using dropout_test::input;

void expect_bits(const std::vector<float> &got, const std::vector<float> &want, const std::string &what) {
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < got.size(); i++)
    ASSERT_EQ(bits(got[i]), bits(want[i])) << what << " element " << i << ": " << got[i] << " vs " << want[i];
}

}  // namespace

TEST(DropoutBits, ForwardEqualsThePerElementDefinition) {
  const int64_t sizes[] = {1, 3, 4, 5, 63, 64, 65, 1001, 70001};
  const uint64_t offsets[] = {0, 12345, (1ull << 32) - 3};
  uint32_t seed = 1;
  for (int64_t n : sizes)
    for (float p : {0.1f, 0.5f, 0.6f})
      for (uint64_t off : offsets)
        for (int kind = 0; kind < 3; kind++) {
          std::string what = "n=" + std::to_string(n) + " p=" + std::to_string(p) + " offset=" + std::to_string(off) +
                             " kind=" + std::to_string(kind);
          SCOPED_TRACE(what);
          const uint64_t s = 0x9E3779B97F4A7C15ull + seed;
          std::vector<float> x = input(n, kind, seed++), want(n);
          float sc = 1.0f / (1.0f - p);
          for (int64_t i = 0; i < n; i++) want[i] = kept(p, s, off, i) ? x[i] * sc : 0.0f;
          T X = T::f32({n}, x), Y(KP_F32, {n});
          // garbage in y first: every element must be written
          std::fill(Y.f(), Y.f() + n, 7.f);
          KP_ASSERT_OK(kp_dropout_fwd(&Y, &X, p, s, off));
          expect_bits(Y.vec(), want, "out of place");
          KP_ASSERT_OK(kp_dropout_fwd(&X, &X, p, s, off));
          expect_bits(X.vec(), want, "in place");
        }
}

TEST(DropoutBits, BackwardAccumulatesOnTheSameMask) {
  uint32_t seed = 100;
  for (int64_t n : {5, 64, 1003, 50001})
    for (int kind = 0; kind < 3; kind++) {
      SCOPED_TRACE("n=" + std::to_string(n) + " kind=" + std::to_string(kind));
      const float p = 0.6f, sc = 1.0f / (1.0f - p);
      const uint64_t s = 77 + seed, off = 5;
      std::vector<float> g = input(n, kind, seed++), d0 = input(n, 2, seed++), want = d0;
      for (int64_t i = 0; i < n; i++)
        if (kept(p, s, off, i)) want[i] += g[i] * sc;
      T G = T::f32({n}, g), D = T::f32({n}, d0);
      KP_ASSERT_OK(kp_dropout_bwd(&D, &G, p, s, off));
      expect_bits(D.vec(), want, "dx");
    }
}

// Literal mask bits recorded from the per-element definition: bit i of word w is element 64 w + i kept.
TEST(DropoutBits, PinnedMaskBits) {
  struct Pin {
    uint64_t seed, offset;
    float p;
    uint64_t words[2];
    int64_t kept_of_100k;
  };
  const Pin pins[] = {
      {0x0ull, 0x0ull, 0.5f, {0x74A9DB5E574F505Eull, 0xFA87C9CEEECE968Dull}, 50161},
      {0x2Aull, 0x7ull, 0.6f, {0x706CB4956400A440ull, 0x7690C0D42E210162ull}, 40066},
      {0xDEADBEEFCAFEull, 0xFFFFFFF6ull, 0.1f, {0xF7FF733FFFFDAFFFull, 0xFFE6EFFFFFFF3FFFull}, 90056},
  };
  for (const Pin &pin : pins) {
    const int64_t n = 100000;
    T X = T::f32({n}, std::vector<float>(n, 1.f)), Y(KP_F32, {n});
    KP_ASSERT_OK(kp_dropout_fwd(&Y, &X, pin.p, pin.seed, pin.offset));
    auto y = Y.vec();
    uint64_t w[2] = {0, 0};
    for (int i = 0; i < 128; i++)
      if (y[i] != 0.f) w[i / 64] |= 1ull << (i % 64);
    int64_t k = 0;
    for (float v : y) k += v != 0.f;
    EXPECT_EQ(w[0], pin.words[0]) << "seed " << pin.seed << " offset " << pin.offset;
    EXPECT_EQ(w[1], pin.words[1]) << "seed " << pin.seed << " offset " << pin.offset;
    EXPECT_EQ(k, pin.kept_of_100k) << "seed " << pin.seed << " offset " << pin.offset;
  }
}
