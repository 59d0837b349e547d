// Gradient tests for embedding, gather, scatter (sum/mean/max) and segment pooling on the CPU:
// f32 forward vs a double reference, backward vs central differences, accumulation, index errors.
#include <algorithm>
#include <numeric>
#include "testutil.h"

using kpt::T;
using Vec = std::vector<double>;
using IVec = std::vector<int32_t>;

namespace {

const double kFwdRtol = 1e-5, kFwdAtol = 1e-6;

IVec rand_idx(size_t K, int32_t N, uint32_t seed) {
  std::mt19937 g(seed);
  std::uniform_int_distribution<int32_t> d(0, N - 1);
  IVec v(K);
  for (auto &x : v) x = d(g);
  return v;
}

// ---- double references ----
Vec ref_gather(const Vec &x, int64_t F, const IVec &idx) {
  Vec y(idx.size() * F);
  for (size_t k = 0; k < idx.size(); k++)
    for (int64_t f = 0; f < F; f++) y[k * F + f] = x[idx[k] * F + f];
  return y;
}

Vec ref_scatter(const Vec &src, int64_t F, const IVec &idx, int64_t N, kp_reduce r, IVec *arg = nullptr) {
  Vec y(N * F, 0.0);
  IVec a(N * F, -1);
  std::vector<int> cnt(N, 0);
  for (size_t k = 0; k < idx.size(); k++) {
    cnt[idx[k]]++;
    for (int64_t f = 0; f < F; f++) {
      size_t o = idx[k] * F + f;
      double v = src[k * F + f];
      if (r == KP_REDUCE_MAX) {
        if (a[o] < 0 || v > y[o]) y[o] = v, a[o] = (int32_t)k;
      } else {
        y[o] += v;
      }
    }
  }
  if (r == KP_REDUCE_MEAN)
    for (int64_t n = 0; n < N; n++)
      for (int64_t f = 0; f < F; f++) y[n * F + f] /= std::max(cnt[n], 1);
  if (arg) *arg = a;
  return y;
}

Vec ref_segment(const Vec &x, int64_t F, const IVec &ptr, kp_reduce r, IVec *arg = nullptr) {
  int64_t G = (int64_t)ptr.size() - 1;
  Vec y(G * F, 0.0);
  IVec a(G * F, -1);
  for (int64_t g = 0; g < G; g++)
    for (int64_t f = 0; f < F; f++) {
      double s = 0;
      for (int32_t i = ptr[g]; i < ptr[g + 1]; i++) {
        double v = x[i * F + f];
        if (r == KP_REDUCE_MAX) {
          if (a[g * F + f] < 0 || v > s) s = v, a[g * F + f] = i;
        } else {
          s += v;
        }
      }
      if (r == KP_REDUCE_MEAN && ptr[g + 1] > ptr[g]) s /= ptr[g + 1] - ptr[g];
      y[g * F + f] = s;
    }
  if (arg) *arg = a;
  return y;
}

// Values in each column distinct by at least 0.05 (no max ties, FD steps never cross a kink).
T tie_free(int64_t rows, int64_t F, uint32_t seed) {
  std::mt19937 g(seed);
  std::vector<float> v(rows * F);
  std::vector<int> perm(rows);
  for (int64_t f = 0; f < F; f++) {
    std::iota(perm.begin(), perm.end(), 0);
    std::shuffle(perm.begin(), perm.end(), g);
    for (int64_t k = 0; k < rows; k++) v[k * F + f] = 0.05f * (perm[k] - rows / 2.0f) + 0.01f;
  }
  return T::f32({rows, F}, v);
}

}  // namespace

// ---------------- embedding ----------------

TEST(GradEmbedding, OneDimIdsWithRepeats) {
  const int64_t V = 7, D = 5;
  IVec ids = {3, 0, 3, 6, 1, 3, 0, 2, 6};
  const int64_t n = (int64_t)ids.size();
  T table = kpt::rand_f32({V, D}, 1);
  T tids = T::i32({n}, ids);
  T y(KP_F32, {n, D});
  KP_ASSERT_OK(kp_embedding_fwd(&y, &tids, &table));
  auto ref = [&](const Vec &tb) { return ref_gather(tb, D, ids); };
  KP_EXPECT_CLOSE(y.vec(), ref(table.dvec()), kFwdRtol, kFwdAtol);
  T dy = kpt::rand_f32({n, D}, 2);
  kpt::FD fd = kpt::fd_loss(table.dvec(), dy.dvec(), ref);
  // row 3 appears three times: its gradient is the sum of three dy rows, not one
  EXPECT_NEAR(fd.g[3 * D], dy.f()[0 * D] + dy.f()[2 * D] + dy.f()[5 * D], 1e-6);
  kpt::check_backward("dtable", {V, D}, fd, [&](kp_tensor *g) { return kp_embedding_bwd(g, &dy, &tids); }, 3);
}

TEST(GradEmbedding, TwoDimIds) {
  const int64_t V = 6, D = 4, B = 3, S = 4;
  IVec ids = {5, 1, 1, 0, 2, 5, 5, 4, 0, 0, 3, 1};
  T table = kpt::rand_f32({V, D}, 4);
  T tids = T::i32({B, S}, ids);
  T y(KP_F32, {B, S, D});
  KP_ASSERT_OK(kp_embedding_fwd(&y, &tids, &table));
  auto ref = [&](const Vec &tb) { return ref_gather(tb, D, ids); };
  KP_EXPECT_CLOSE(y.vec(), ref(table.dvec()), kFwdRtol, kFwdAtol);
  T dy = kpt::rand_f32({B, S, D}, 5);
  kpt::FD fd = kpt::fd_loss(table.dvec(), dy.dvec(), ref);
  kpt::check_backward("dtable", {V, D}, fd, [&](kp_tensor *g) { return kp_embedding_bwd(g, &dy, &tids); }, 6);
}

TEST(GradEmbedding, BadIdNamesTheOp) {
  T table = kpt::rand_f32({4, 3}, 7);
  T tids = T::i32({2, 2}, {0, 1, 4, 2});
  T y(KP_F32, {2, 2, 3});
  EXPECT_EQ(kp_embedding_fwd(&y, &tids, &table), KP_ERR_INVALID);
  std::string m = kp_last_error();
  EXPECT_TRUE(kpt::has(m, "embedding_fwd") && kpt::has(m, "idx[2] = 4") && kpt::has(m, "[0, 4)")) << m;
  T neg = T::i32({2, 2}, {0, -1, 1, 2});
  T dt(KP_F32, {4, 3});
  EXPECT_EQ(kp_embedding_bwd(&dt, &y, &neg), KP_ERR_INVALID);
  m = kp_last_error();
  EXPECT_TRUE(kpt::has(m, "embedding_bwd") && kpt::has(m, "idx[1] = -1")) << m;
  for (float v : dt.vec()) EXPECT_EQ(v, 0.0f);  // nothing written on failure
}

// ---------------- gather ----------------

struct GatherCase {
  int64_t N, F, K;
};
std::ostream &operator<<(std::ostream &o, const GatherCase &c) { return o << "N=" << c.N << " F=" << c.F << " K=" << c.K; }

class GradGather : public ::testing::TestWithParam<GatherCase> {};

TEST_P(GradGather, ForwardBackward) {
  auto c = GetParam();
  uint32_t seed = (uint32_t)(c.N * 131 + c.F * 17 + c.K);
  IVec idx = rand_idx(c.K, (int32_t)c.N, seed);
  if (c.K >= 2) idx[c.K - 1] = idx[0];  // at least one repeat
  T x = kpt::rand_f32({c.N, c.F}, seed + 1);
  T ti = T::i32({c.K}, idx);
  T y(KP_F32, {c.K, c.F});
  KP_ASSERT_OK(kp_gather_fwd(&y, &x, &ti));
  auto ref = [&](const Vec &xv) { return ref_gather(xv, c.F, idx); };
  KP_EXPECT_CLOSE(y.vec(), ref(x.dvec()), kFwdRtol, kFwdAtol);
  T dy = kpt::rand_f32({c.K, c.F}, seed + 2);
  kpt::FD fd = kpt::fd_loss(x.dvec(), dy.dvec(), ref);
  kpt::check_backward("dx", {c.N, c.F}, fd, [&](kp_tensor *g) { return kp_gather_bwd(g, &dy, &ti); }, seed + 3);
}

// (40, 64, 520) crosses the parallel threshold; F = 40 leaves a partial column block.
INSTANTIATE_TEST_SUITE_P(Grad, GradGather,
                         ::testing::Values(GatherCase{6, 3, 10}, GatherCase{5, 40, 7}, GatherCase{3, 5, 1},
                                           GatherCase{4, 2, 0}, GatherCase{40, 64, 520}));

TEST(GradGatherErrors, OutOfRangeIndex) {
  T x = kpt::rand_f32({5, 2}, 8);
  T ti = T::i32({4}, {0, 4, 9, 1});
  T y(KP_F32, {4, 2});
  EXPECT_EQ(kp_gather_fwd(&y, &x, &ti), KP_ERR_INVALID);
  std::string m = kp_last_error();
  EXPECT_TRUE(kpt::has(m, "gather_fwd") && kpt::has(m, "idx[2] = 9") && kpt::has(m, "[0, 5)")) << m;
  T tn = T::i32({4}, {0, 1, 2, -3});
  T dx(KP_F32, {5, 2});
  EXPECT_EQ(kp_gather_bwd(&dx, &y, &tn), KP_ERR_INVALID);
  m = kp_last_error();
  EXPECT_TRUE(kpt::has(m, "gather_bwd") && kpt::has(m, "idx[3] = -3")) << m;
}

// ---------------- scatter ----------------

struct ScatterCase {
  int64_t K, F, N;
  kp_reduce r;
};
std::ostream &operator<<(std::ostream &o, const ScatterCase &c) {
  return o << kp_reduce_name(c.r) << " K=" << c.K << " F=" << c.F << " N=" << c.N;
}

class GradScatter : public ::testing::TestWithParam<ScatterCase> {};

TEST_P(GradScatter, ForwardBackward) {
  auto c = GetParam();
  uint32_t seed = (uint32_t)(c.K * 7 + c.F * 3 + c.N * 11 + (int)c.r);
  // rows 0 and N-1 are never hit (empty rows give 0 / arg -1)
  IVec idx = rand_idx(c.K, (int32_t)c.N - 2, seed);
  for (auto &v : idx) v += 1;
  T src = c.r == KP_REDUCE_MAX ? tie_free(c.K, c.F, seed + 1) : kpt::rand_f32({c.K, c.F}, seed + 1);
  T ti = T::i32({c.K}, idx);
  T y = kpt::rand_f32({c.N, c.F}, seed + 2);  // garbage in y must be overwritten
  T arg = T::i32({c.N, c.F}, IVec(c.N * c.F, 77));
  kp_tensor *parg = c.r == KP_REDUCE_MAX ? &arg : nullptr;
  KP_ASSERT_OK(kp_scatter_fwd(&y, parg, &src, &ti, c.r));
  IVec want_arg;
  auto ref = [&](const Vec &s) { return ref_scatter(s, c.F, idx, c.N, c.r); };
  Vec want = ref_scatter(src.dvec(), c.F, idx, c.N, c.r, &want_arg);
  KP_EXPECT_CLOSE(y.vec(), want, kFwdRtol, kFwdAtol);
  for (int64_t f = 0; f < c.F; f++) {
    EXPECT_EQ(y.f()[f], 0.0f);
    EXPECT_EQ(y.f()[(c.N - 1) * c.F + f], 0.0f);
  }
  if (c.r == KP_REDUCE_MAX)
    for (int64_t i = 0; i < c.N * c.F; i++) ASSERT_EQ(arg.i()[i], want_arg[i]) << "arg element " << i;
  T dy = kpt::rand_f32({c.N, c.F}, seed + 3);
  kpt::FD fd = kpt::fd_loss(src.dvec(), dy.dvec(), ref);
  kpt::check_backward("dsrc", {c.K, c.F}, fd, [&](kp_tensor *g) { return kp_scatter_bwd(g, &dy, parg, &ti, c.r); },
                      seed + 4);
}

INSTANTIATE_TEST_SUITE_P(
    Grad, GradScatter,
    ::testing::Values(ScatterCase{9, 3, 6, KP_REDUCE_SUM}, ScatterCase{9, 3, 6, KP_REDUCE_MEAN},
                      ScatterCase{9, 3, 6, KP_REDUCE_MAX}, ScatterCase{12, 20, 5, KP_REDUCE_SUM},
                      ScatterCase{12, 20, 5, KP_REDUCE_MEAN}, ScatterCase{12, 20, 5, KP_REDUCE_MAX},
                      ScatterCase{600, 64, 30, KP_REDUCE_SUM}, ScatterCase{600, 64, 30, KP_REDUCE_MEAN},
                      ScatterCase{600, 64, 30, KP_REDUCE_MAX}, ScatterCase{0, 4, 3, KP_REDUCE_MAX}));

TEST(GradScatterMax, TiesGoToSmallestK) {
  T src = T::f32({4, 2}, {1, 5, 3, 5, 3, 2, 3, 5});
  T ti = T::i32({4}, {0, 0, 0, 0});
  T y(KP_F32, {2, 2});
  T arg(KP_I32, {2, 2});
  KP_ASSERT_OK(kp_scatter_fwd(&y, &arg, &src, &ti, KP_REDUCE_MAX));
  EXPECT_EQ(y.vec(), (std::vector<float>{3, 5, 0, 0}));
  EXPECT_EQ(std::vector<int32_t>(arg.i(), arg.i() + 4), (IVec{1, 0, -1, -1}));
}

TEST(GradScatterErrors, OutOfRangeIndexAndBadArg) {
  T src = kpt::rand_f32({3, 2}, 9);
  T ti = T::i32({3}, {0, 3, 1});
  T y(KP_F32, {3, 2});
  T arg(KP_I32, {3, 2});
  for (kp_reduce r : {KP_REDUCE_SUM, KP_REDUCE_MEAN, KP_REDUCE_MAX}) {
    EXPECT_EQ(kp_scatter_fwd(&y, &arg, &src, &ti, r), KP_ERR_INVALID);
    std::string m = kp_last_error();
    EXPECT_TRUE(kpt::has(m, "scatter_fwd") && kpt::has(m, "idx[1] = 3") && kpt::has(m, "[0, 3)")) << m;
    EXPECT_EQ(kp_scatter_bwd(&src, &y, &arg, &ti, r), KP_ERR_INVALID);
    m = kp_last_error();
    EXPECT_TRUE(kpt::has(m, "scatter_bwd") && kpt::has(m, "idx[1] = 3")) << m;
  }
  // an arg that does not point at a source of its row is refused (it would break race-freedom)
  T good = T::i32({3}, {0, 2, 1});
  T bad_arg = T::i32({3, 2}, {0, 1, -1, -1, 1, 2});
  T ds(KP_F32, {3, 2});
  EXPECT_EQ(kp_scatter_bwd(&ds, &y, &bad_arg, &good, KP_REDUCE_MAX), KP_ERR_INVALID);
  EXPECT_TRUE(kpt::has(kp_last_error(), "scatter_bwd: arg[0, 1] = 1")) << kp_last_error();
}

// ---------------- segment ----------------

struct SegCase {
  IVec ptr;
  int64_t F;
  kp_reduce r;
};
std::ostream &operator<<(std::ostream &o, const SegCase &c) {
  return o << kp_reduce_name(c.r) << " G=" << c.ptr.size() - 1 << " N=" << c.ptr.back() << " F=" << c.F;
}

class GradSegment : public ::testing::TestWithParam<SegCase> {};

TEST_P(GradSegment, ForwardBackward) {
  auto c = GetParam();
  int64_t G = (int64_t)c.ptr.size() - 1, N = c.ptr.back(), F = c.F;
  uint32_t seed = (uint32_t)(N * 5 + G * 13 + F + (int)c.r);
  T x = c.r == KP_REDUCE_MAX ? tie_free(N, F, seed) : kpt::rand_f32({N, F}, seed);
  T tp = T::i32({G + 1}, c.ptr);
  T y = kpt::rand_f32({G, F}, seed + 1);
  T arg = T::i32({G, F}, IVec(G * F, 77));
  kp_tensor *parg = c.r == KP_REDUCE_MAX ? &arg : nullptr;
  KP_ASSERT_OK(kp_segment_fwd(&y, parg, &x, &tp, c.r));
  IVec want_arg;
  auto ref = [&](const Vec &xv) { return ref_segment(xv, F, c.ptr, c.r); };
  KP_EXPECT_CLOSE(y.vec(), ref_segment(x.dvec(), F, c.ptr, c.r, &want_arg), kFwdRtol, kFwdAtol);
  if (c.r == KP_REDUCE_MAX)
    for (int64_t i = 0; i < G * F; i++) ASSERT_EQ(arg.i()[i], want_arg[i]) << "arg element " << i;
  T dy = kpt::rand_f32({G, F}, seed + 2);
  kpt::FD fd = kpt::fd_loss(x.dvec(), dy.dvec(), ref);
  kpt::check_backward("dx", {N, F}, fd, [&](kp_tensor *g) { return kp_segment_bwd(g, &dy, parg, &tp, c.r); }, seed + 3);
}

// Empty segments (2, 5, 6), a single-node segment (3), a leading empty one; a large case crossing the
// parallel threshold; G = 0 on zero rows.
IVec big_ptr() {
  IVec p = {0};
  for (int g = 0; g < 50; g++) p.push_back(p.back() + (g % 7 == 3 ? 0 : 1 + g % 11));
  return p;
}
const IVec kPtr = {0, 3, 3, 4, 8, 8, 8, 10};
const IVec kPtrLeadEmpty = {0, 0, 1, 5};
INSTANTIATE_TEST_SUITE_P(
    Grad, GradSegment,
    ::testing::Values(SegCase{kPtr, 3, KP_REDUCE_SUM}, SegCase{kPtr, 3, KP_REDUCE_MEAN},
                      SegCase{kPtr, 3, KP_REDUCE_MAX}, SegCase{kPtrLeadEmpty, 2, KP_REDUCE_SUM},
                      SegCase{kPtrLeadEmpty, 2, KP_REDUCE_MEAN}, SegCase{kPtrLeadEmpty, 2, KP_REDUCE_MAX},
                      SegCase{big_ptr(), 160, KP_REDUCE_SUM}, SegCase{big_ptr(), 160, KP_REDUCE_MEAN},
                      SegCase{big_ptr(), 160, KP_REDUCE_MAX}, SegCase{IVec{0}, 4, KP_REDUCE_MAX}));

TEST(GradSegmentMax, TiesGoToFirstRowAndEmptyIsMinusOne) {
  T x = T::f32({4, 2}, {1, 7, 4, 7, 4, 2, 9, 9});
  T tp = T::i32({4}, {0, 3, 3, 4});
  T y(KP_F32, {3, 2});
  T arg(KP_I32, {3, 2});
  KP_ASSERT_OK(kp_segment_fwd(&y, &arg, &x, &tp, KP_REDUCE_MAX));
  EXPECT_EQ(y.vec(), (std::vector<float>{4, 7, 0, 0, 9, 9}));
  EXPECT_EQ(std::vector<int32_t>(arg.i(), arg.i() + 6), (IVec{1, 0, -1, -1, 3, 3}));
}

TEST(GradSegmentErrors, BadPtrAndArg) {
  T x = kpt::rand_f32({5, 2}, 10);
  T y(KP_F32, {3, 2});
  T dx(KP_F32, {5, 2});
  struct Bad {
    IVec ptr;
    std::string msg;
  };
  for (const Bad &b : {Bad{{1, 2, 3, 5}, "ptr[0] = 1, expected 0"}, Bad{{0, 3, 2, 5}, "ptr decreases at segment 1"},
                       Bad{{0, 2, 3, 4}, "ptr[3] = 4, expected the row count 5"}}) {
    T tp = T::i32({4}, b.ptr);
    for (kp_reduce r : {KP_REDUCE_SUM, KP_REDUCE_MEAN}) {
      EXPECT_EQ(kp_segment_fwd(&y, nullptr, &x, &tp, r), KP_ERR_INVALID);
      EXPECT_TRUE(kpt::has(kp_last_error(), "segment_fwd: " + b.msg)) << kp_last_error();
      EXPECT_EQ(kp_segment_bwd(&dx, &y, nullptr, &tp, r), KP_ERR_INVALID);
      EXPECT_TRUE(kpt::has(kp_last_error(), "segment_bwd: " + b.msg)) << kp_last_error();
    }
  }
  T tp = T::i32({4}, {0, 2, 2, 5});
  T arg = T::i32({3, 2}, {0, 1, -1, -1, 4, 1});  // row 1 is not in segment 2
  EXPECT_EQ(kp_segment_bwd(&dx, &y, &arg, &tp, KP_REDUCE_MAX), KP_ERR_INVALID);
  EXPECT_TRUE(kpt::has(kp_last_error(), "segment_bwd: arg[2, 1] = 1")) << kp_last_error();
  for (float v : dx.vec()) EXPECT_EQ(v, 0.0f);
}
