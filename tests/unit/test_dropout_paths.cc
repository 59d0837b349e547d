// The CPU dropout's two paths, the AVX2 intrinsics kernel (src/cpu/dropout_avx2.c) and the portable
// loop (src/cpu/dropout.c), against each other and against the per-element definition, bit for bit:
// every size 1..300 (short last groups, partial last blocks), offsets whose counters carry into the high
// word, p in {0.1, 0.5, 0.9}, dense / bag-of-words / -0, inf, NaN inputs, forward out of place and in
// place, backward on a y holding -0.0; sparse groups with every count of non-zero blocks (the AVX2 forward
// lists the blocks of groups with few of them); and the multi-chunk (OpenMP) sizes.
#include "dropout_inputs.h"
#include <cmath>
#include <cstring>
#include <limits>
#include "cpu/dropout_impl.h"
#include "testutil.h"

namespace {

using dropout_test::bits;
// kind 0 dense, 1 ~1% non-zeros, 2 a mix with -0, +0, inf and (negative) NaN
std::vector<float> input(int64_t n, int kind, uint32_t seed) {
  return dropout_test::input(n, kind, seed, -std::numeric_limits<float>::quiet_NaN());
}

struct Case {
  std::vector<float> x, y0;
  int64_t n;
  float p;
  uint64_t seed, offset;
};

// The definition: forward y = kept ? x * s : 0; backward y += kept ? x * s : 0 (y unchanged where dropped).
std::vector<float> reference(const Case &c, bool bwd) {
  float s = 1.0f / (1.0f - c.p);
  std::vector<float> y = bwd ? c.y0 : std::vector<float>(c.n);
  for (int64_t i = 0; i < c.n; i++) {
    bool keep = kp_philox_uniform(c.seed, c.offset, (uint64_t)i) >= c.p;
    if (bwd) {
      if (keep) y[i] += c.x[i] * s;
    } else {
      y[i] = keep ? c.x[i] * s : 0.0f;
    }
  }
  return y;
}

// Runs path on case c (forward out of place, forward in place, backward) and compares with want.
void check_path(const Case &c, kp_drop_path path, const std::vector<float> &fwd, const std::vector<float> &bwd,
                const std::string &what) {
  SCOPED_TRACE(what + (path == KP_DROP_AVX2 ? " avx2" : " portable"));
  std::vector<float> y(c.n, 7.f), xin = c.x, g = c.y0;
  KP_ASSERT_OK(kp_cpu_dropout_run(y.data(), c.x.data(), c.n, c.p, c.seed, c.offset, false, path));
  KP_ASSERT_OK(kp_cpu_dropout_run(xin.data(), xin.data(), c.n, c.p, c.seed, c.offset, false, path));
  KP_ASSERT_OK(kp_cpu_dropout_run(g.data(), c.x.data(), c.n, c.p, c.seed, c.offset, true, path));
  for (int64_t i = 0; i < c.n; i++) {
    ASSERT_EQ(bits(y[i]), bits(fwd[i])) << "forward element " << i << ": " << y[i] << " vs " << fwd[i];
    ASSERT_EQ(bits(xin[i]), bits(fwd[i])) << "in-place forward element " << i;
    ASSERT_EQ(bits(g[i]), bits(bwd[i])) << "backward element " << i << ": " << g[i] << " vs " << bwd[i];
  }
}

void check_both(const Case &c, const std::string &what) {
  std::vector<float> fwd = reference(c, false), bwd = reference(c, true);
  check_path(c, KP_DROP_PORTABLE, fwd, bwd, what);
  if (kp_cpu_dropout_has_avx2()) check_path(c, KP_DROP_AVX2, fwd, bwd, what);
}

}  // namespace

TEST(DropoutPaths, AllSmallSizesOffsetsAndP) {
  if (!kp_cpu_dropout_has_avx2()) std::printf("no AVX2 on this CPU: the portable path only\n");
  const uint64_t offsets[] = {0, (1ull << 32) - 70, (1ull << 32) - 1, (7ull << 32) - 33};
  uint32_t rs = 1;
  for (int64_t n = 1; n <= 300; n++)
    for (float p : {0.1f, 0.5f, 0.9f})
      for (uint64_t off : offsets) {
        int kind = (int)(rs % 3);
        Case c{input(n, kind, rs), input(n, 2, rs + 7), n, p, 0xC0FFEE00ull * rs + 3, off};
        rs++;
        check_both(c, "n=" + std::to_string(n) + " p=" + std::to_string(p) + " offset=" + std::to_string(off) +
                          " kind=" + std::to_string(kind));
        if (HasFatalFailure()) return;
      }
}

// Groups of 16 blocks with k = 0..16 non-zero blocks, in shuffled orders: both sides of the AVX2 forward's
// list/dense choice, list flushes across groups, and a list left over at the end.
TEST(DropoutPaths, SparseGroupsWithEveryCountOfNonZeroBlocks) {
  std::mt19937 g(5);
  for (int64_t n : {64 * 17 + 0, 64 * 17 + 5, 64 * 40 + 63}) {
    std::vector<float> x(n, 0.f);
    for (int64_t grp = 0; grp * 64 < n; grp++) {
      int k = (int)(grp % 17);
      std::vector<int> blocks(16);
      std::iota(blocks.begin(), blocks.end(), 0);
      std::shuffle(blocks.begin(), blocks.end(), g);
      for (int b = 0; b < k; b++) {
        int64_t i = grp * 64 + 4 * blocks[b] + (int64_t)(g() % 4);
        if (i < n) x[i] = (g() % 2 ? 1.5f : -0.25f);
      }
    }
    for (float p : {0.1f, 0.5f, 0.9f}) {
      Case c{x, input(n, 2, (uint32_t)n), n, p, 42, (1ull << 32) - 100};
      check_both(c, "sparse n=" + std::to_string(n) + " p=" + std::to_string(p));
      if (HasFatalFailure()) return;
    }
  }
}

// Sizes above the one-thread limit (several OpenMP chunks, the last one short).
TEST(DropoutPaths, LargeSizesAcrossChunks) {
  for (int64_t n : {65537, 200003})
    for (int kind = 0; kind < 3; kind++) {
      Case c{input(n, kind, (uint32_t)(n + kind)), input(n, 2, 9), n, 0.5f, 0xDEADBEEFull, 123456789};
      check_both(c, "n=" + std::to_string(n) + " kind=" + std::to_string(kind));
      if (HasFatalFailure()) return;
    }
}

TEST(DropoutPaths, ZeroPIsIdentityOrAdd) {
  std::vector<float> x = input(100, 2, 3), y(100, 7.f), d = input(100, 0, 4), want = d;
  for (int i = 0; i < 100; i++) want[i] += x[i];
  KP_ASSERT_OK(kp_cpu_dropout_run(y.data(), x.data(), 100, 0.0f, 1, 0, false, KP_DROP_AUTO));
  KP_ASSERT_OK(kp_cpu_dropout_run(d.data(), x.data(), 100, 0.0f, 1, 0, true, KP_DROP_AUTO));
  for (int i = 0; i < 100; i++) {
    ASSERT_EQ(bits(y[i]), bits(x[i])) << i;
    ASSERT_EQ(bits(d[i]), bits(want[i])) << i;
  }
}
