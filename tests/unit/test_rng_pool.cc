// Philox known answers (Random123's kat_vectors), stream properties, and the caching pool.
#include "testutil.h"
#include "core/backend.h"

using kpt::T;

static kp_u32x4 philox(uint32_t c0, uint32_t c1, uint32_t c2, uint32_t c3, uint32_t k0, uint32_t k1) {
  kp_u32x4 c = {{c0, c1, c2, c3}};
  return kp_philox4x32_10(c, k0, k1);
}

TEST(Rng, PhiloxKnownAnswers) {
  kp_u32x4 r = philox(0, 0, 0, 0, 0, 0);
  EXPECT_EQ(r.v[0], 0x6627e8d5u);
  EXPECT_EQ(r.v[1], 0xe169c58du);
  EXPECT_EQ(r.v[2], 0xbc57ac4cu);
  EXPECT_EQ(r.v[3], 0x9b00dbd8u);
  r = philox(0xffffffffu, 0xffffffffu, 0xffffffffu, 0xffffffffu, 0xffffffffu, 0xffffffffu);
  EXPECT_EQ(r.v[0], 0x408f276du);
  EXPECT_EQ(r.v[1], 0x41c83b0eu);
  EXPECT_EQ(r.v[2], 0xa20bc7c6u);
  EXPECT_EQ(r.v[3], 0x6d5451fdu);
  r = philox(0x243f6a88u, 0x85a308d3u, 0x13198a2eu, 0x03707344u, 0xa4093822u, 0x299f31d0u);
  EXPECT_EQ(r.v[0], 0xd16cfe09u);
  EXPECT_EQ(r.v[1], 0x94fdccebu);
  EXPECT_EQ(r.v[2], 0x5001e420u);
  EXPECT_EQ(r.v[3], 0x24126ea1u);
}

TEST(Rng, StreamLayoutIsCounterPlusWord) {
  // draw i of (seed, offset) is word i % 4 of block offset + i / 4
  uint64_t seed = 0x1234567890abcdefULL;
  for (uint64_t i = 0; i < 16; i++) {
    kp_u32x4 b = philox((uint32_t)(5 + i / 4), 0, 0, 0, (uint32_t)seed, (uint32_t)(seed >> 32));
    EXPECT_EQ(kp_philox_u32(seed, 5, i), b.v[i % 4]);
  }
  EXPECT_EQ(kp_philox_u32(seed, 5, 4), kp_philox_u32(seed, 6, 0));
}

TEST(Rng, UniformAndNormalMoments) {
  const int n = 200000;
  double s = 0, s2 = 0, mn = 1, mx = 0;
  for (int i = 0; i < n; i++) {
    double u = kp_philox_uniform(42, 0, (uint64_t)i);
    s += u;
    s2 += u * u;
    mn = std::min(mn, u);
    mx = std::max(mx, u);
  }
  EXPECT_GE(mn, 0.0);
  EXPECT_LT(mx, 1.0);
  EXPECT_NEAR(s / n, 0.5, 0.005);
  EXPECT_NEAR(s2 / n - (s / n) * (s / n), 1.0 / 12, 0.002);
  s = s2 = 0;
  for (int i = 0; i < n; i++) {
    double z = kp_philox_normal(7, 3, (uint64_t)i);
    ASSERT_TRUE(std::isfinite(z));
    s += z;
    s2 += z * z;
  }
  EXPECT_NEAR(s / n, 0.0, 0.01);
  EXPECT_NEAR(s2 / n, 1.0, 0.02);
}

TEST(Rng, TensorFillsMatchTheStreamAndAdvanceIt) {
  kp_rng r = kp_rng_make(99);
  T a(KP_F32, {3, 5});
  KP_ASSERT_OK(kp_rng_fill_uniform(&a, &r, -2.0f, 2.0f));
  EXPECT_EQ(r.offset, 4u);  // 15 draws use 4 blocks
  for (int i = 0; i < 15; i++) EXPECT_FLOAT_EQ(a.f()[i], -2.0f + 4.0f * kp_philox_uniform(99, 0, (uint64_t)i));
  T b(KP_F32, {7});
  KP_ASSERT_OK(kp_rng_fill_normal(&b, &r, 1.0f, 0.5f));
  EXPECT_EQ(r.offset, 4u + 4u);  // 14 draws
  for (int i = 0; i < 7; i++) EXPECT_FLOAT_EQ(b.f()[i], 1.0f + 0.5f * kp_philox_normal(99, 4, (uint64_t)i));
  T c(KP_I32, {2});
  EXPECT_EQ(kp_rng_fill_uniform(&c, &r, 0, 1), KP_ERR_INVALID);
}

TEST(Rng, SameSeedSameSequenceAndUnbiasedBelow) {
  kp_rng a = kp_rng_make(5), b = kp_rng_make(5), c = kp_rng_make(6);
  bool differs = false;
  for (int i = 0; i < 100; i++) {
    uint32_t x = kp_rng_u32(&a);
    EXPECT_EQ(x, kp_rng_u32(&b));
    differs |= x != kp_rng_u32(&c);
  }
  EXPECT_TRUE(differs);
  int counts[3] = {0, 0, 0};
  kp_rng r = kp_rng_make(1);
  for (int i = 0; i < 30000; i++) counts[kp_rng_below(&r, 3)]++;
  for (int k = 0; k < 3; k++) EXPECT_NEAR(counts[k], 10000, 400);
  std::vector<int32_t> p(50);
  for (int i = 0; i < 50; i++) p[i] = i;
  kp_rng_shuffle_i32(&r, p.data(), 50);
  std::vector<int32_t> s = p;
  std::sort(s.begin(), s.end());
  for (int i = 0; i < 50; i++) EXPECT_EQ(s[i], i);
  EXPECT_NE(p, s);
}

TEST(Pool, ReusesFreedBlocksWithoutSystemAllocations) {
  kp_device cpu = kp_cpu();
  kp_pool_trim(cpu);
  kp_pool_stats s0, s1, s2;
  // a "training step": the same sequence of allocations and frees, repeated
  auto step = [&]() {
    T a(KP_F32, {128, 64}), b(KP_F32, {1000}), c(KP_I32, {33}), d(KP_F32, {0});
  };
  step();
  kp_pool_get_stats(cpu, &s0);
  for (int i = 0; i < 10; i++) step();
  kp_pool_get_stats(cpu, &s1);
  EXPECT_EQ(s1.system_allocs, s0.system_allocs) << "steps after the first must not allocate from the system";
  EXPECT_GE(s1.cache_hits, s0.cache_hits + 40);
  EXPECT_EQ(s1.bytes_in_use, s0.bytes_in_use);
  kp_pool_trim(cpu);
  kp_pool_get_stats(cpu, &s2);
  EXPECT_LE(s2.bytes_reserved, s1.bytes_reserved);
  EXPECT_EQ(s2.bytes_reserved, s2.bytes_in_use) << "after a trim only blocks in use stay reserved";
}

TEST(Pool, BlocksAreAlignedDistinctAndLargeEnough) {
  std::vector<void *> ptrs;
  size_t sizes[] = {0, 1, 255, 256, 257, 1000, 4096, 5000, 1 << 20, (1 << 20) + 3};
  for (size_t s : sizes) {
    void *p = nullptr;
    KP_ASSERT_OK(kp_pool_alloc(kp_cpu(), s, &p));
    ASSERT_NE(p, nullptr);
    EXPECT_EQ((uintptr_t)p % 64, 0u);
    memset(p, 0x5a, s);  // must be writable over its whole size (ASan/valgrind would catch overruns)
    for (void *q : ptrs) EXPECT_NE(p, q);
    ptrs.push_back(p);
  }
  kp_pool_stats st;
  kp_pool_get_stats(kp_cpu(), &st);
  EXPECT_GE(st.bytes_in_use, (uint64_t)((1 << 20) * 2));
  EXPECT_LE(st.bytes_in_use, (uint64_t)((1 << 20) * 2 * 1.25 + 65536));  // size classes waste at most 25%
  for (void *p : ptrs) kp_pool_free(kp_cpu(), p);
  kp_pool_free(kp_cpu(), nullptr);  // ignored
}

TEST(Backend, SupportsQueryAndMissingOps) {
  const kp_backend *cpu = kp_cpu_backend();
  EXPECT_TRUE(kp_backend_supports(cpu, "matmul"));
  EXPECT_TRUE(kp_backend_supports(cpu, "spmm_fwd"));
  EXPECT_FALSE(kp_backend_supports(cpu, "linear_fwd")) << "the CPU composes linear from matmul + bias + act";
  EXPECT_FALSE(kp_backend_supports(cpu, "no_such_op"));
  if (kp_cuda_backend()) EXPECT_TRUE(kp_backend_supports(kp_cuda_backend(), "linear_fwd"));
}
