// Gradient tests for SpMM (sum/mean, no / shared / per-head edge weights), SDDMM and edge softmax on
// CPU CSR graphs with empty rows, self loops, repeated edges, nnz = 0 and rectangular shapes; CSR errors.
#include <algorithm>
#include <cstring>
#include <numeric>
#include "testutil.h"

using kpt::T;
using Vec = std::vector<double>;
using IVec = std::vector<int32_t>;

namespace {

const double kFwdRtol = 1e-5, kFwdAtol = 1e-5;

// ---- graphs ----
struct Graph {
  const char *name;
  int64_t nrows, ncols;
  IVec indptr, indices;
  int64_t nnz() const { return indptr.back(); }
  int32_t row_of(int64_t e) const {
    return (int32_t)(std::upper_bound(indptr.begin(), indptr.end(), (int32_t)e) - indptr.begin() - 1);
  }
};

// Dense random graph large enough for the parallel loops; some rows empty, some columns unused.
Graph big_graph() {
  Graph g{"big", 70, 60, {0}, {}};
  std::mt19937 r(42);
  for (int i = 0; i < 70; i++) {
    int deg = i % 9 == 4 ? 0 : 4 + (int)(r() % 12);
    for (int k = 0; k < deg; k++) g.indices.push_back((int32_t)(r() % 55));
    g.indptr.push_back((int32_t)g.indices.size());
  }
  return g;
}

const std::vector<Graph> &graphs() {
  static const std::vector<Graph> gs = {
      // row 0 has a self loop, row 1 is empty, row 2 repeats edge 2->4 and has a self loop
      {"mixed", 5, 5, {0, 3, 3, 6, 7, 11}, {1, 0, 3, 4, 4, 2, 0, 1, 2, 3, 0}},
      {"wide", 4, 6, {0, 2, 2, 5, 9}, {5, 2, 0, 0, 3, 1, 4, 5, 2}},
      {"tall", 6, 3, {0, 0, 1, 5, 5, 6, 6}, {2, 0, 1, 2, 1, 0}},
      {"no_edges", 3, 2, {0, 0, 0, 0}, {}},
      big_graph(),
  };
  return gs;
}

struct Csr {
  kp_csr g{};
  explicit Csr(const Graph &gr) {
    if (kp_csr_init(&g, kp_cpu(), gr.nrows, gr.ncols, gr.indptr.data(), gr.indices.data()) != KP_OK)
      throw std::runtime_error(kp_last_error());
  }
  ~Csr() { kp_csr_free(&g); }
  Csr(const Csr &) = delete;
  Csr &operator=(const Csr &) = delete;
};

// ---- double references ----
// w empty = all ones; otherwise [nnz * H].
Vec ref_spmm(const Graph &g, const Vec &w, const Vec &x, int64_t H, int64_t D, kp_reduce r) {
  int64_t F = H * D;
  Vec y(g.nrows * F, 0.0);
  for (int64_t i = 0; i < g.nrows; i++) {
    int32_t deg = g.indptr[i + 1] - g.indptr[i];
    double sc = r == KP_REDUCE_MEAN && deg > 0 ? 1.0 / deg : 1.0;
    for (int32_t e = g.indptr[i]; e < g.indptr[i + 1]; e++)
      for (int64_t h = 0; h < H; h++) {
        double we = w.empty() ? 1.0 : w[e * H + h];
        for (int64_t d = 0; d < D; d++) y[i * F + h * D + d] += sc * we * x[g.indices[e] * F + h * D + d];
      }
  }
  return y;
}

Vec ref_sddmm(const Graph &g, const Vec &a, const Vec &b, int64_t H, int64_t D) {
  int64_t F = H * D;
  Vec out(g.nnz() * H, 0.0);
  for (int64_t i = 0; i < g.nrows; i++)
    for (int32_t e = g.indptr[i]; e < g.indptr[i + 1]; e++)
      for (int64_t h = 0; h < H; h++)
        for (int64_t d = 0; d < D; d++) out[e * H + h] += a[i * F + h * D + d] * b[g.indices[e] * F + h * D + d];
  return out;
}

Vec ref_edge_softmax(const Graph &g, const Vec &s, int64_t H) {
  Vec out(s.size());
  for (int64_t i = 0; i < g.nrows; i++)
    for (int64_t h = 0; h < H; h++) {
      double m = -INFINITY, sum = 0;
      for (int32_t e = g.indptr[i]; e < g.indptr[i + 1]; e++) m = std::max(m, s[e * H + h]);
      for (int32_t e = g.indptr[i]; e < g.indptr[i + 1]; e++) sum += std::exp(s[e * H + h] - m);
      for (int32_t e = g.indptr[i]; e < g.indptr[i + 1]; e++) out[e * H + h] = std::exp(s[e * H + h] - m) / sum;
    }
  return out;
}

// Edge tensor of H heads: [nnz] when flat, else [nnz, H].
std::vector<int64_t> edge_shape(const Graph &g, int64_t H, bool flat) {
  return flat ? std::vector<int64_t>{g.nnz()} : std::vector<int64_t>{g.nnz(), H};
}

}  // namespace

// ---------------- SpMM ----------------

enum WKind { W_NONE, W_FLAT, W_HEADS };
struct SpmmCase {
  int graph;
  WKind wk;
  int64_t H, D;
  kp_reduce r;
};
std::ostream &operator<<(std::ostream &o, const SpmmCase &c) {
  static const char *wn[] = {"w=NULL", "w=[nnz]", "w=[nnz,H]"};
  return o << graphs()[c.graph].name << " " << wn[c.wk] << " H=" << c.H << " D=" << c.D << " "
           << kp_reduce_name(c.r);
}

std::vector<SpmmCase> spmm_cases() {
  std::vector<SpmmCase> v;
  for (int g = 0; g < (int)graphs().size(); g++) {
    bool big = !strcmp(graphs()[g].name, "big");
    for (kp_reduce r : {KP_REDUCE_SUM, KP_REDUCE_MEAN}) {
      v.push_back({g, W_NONE, 1, big ? 64 : 3, r});
      v.push_back({g, W_FLAT, 1, big ? 64 : 5, r});
      for (int64_t H = 2; H <= 4; H++) v.push_back({g, W_HEADS, H, big ? 64 / H : 3, r});
    }
  }
  return v;
}

class GradSpmm : public ::testing::TestWithParam<SpmmCase> {};

TEST_P(GradSpmm, ForwardBackward) {
  auto c = GetParam();
  const Graph &gr = graphs()[c.graph];
  Csr csr(gr);
  int64_t F = c.H * c.D;
  uint32_t seed = (uint32_t)(c.graph * 1000 + c.wk * 100 + c.H * 10 + c.D + (int)c.r * 7);
  T x = kpt::rand_f32({gr.ncols, F}, seed);
  T w = c.wk == W_NONE ? T() : kpt::rand_f32(edge_shape(gr, c.H, c.wk == W_FLAT), seed + 1);
  const kp_tensor *pw = c.wk == W_NONE ? nullptr : &w;
  T y = kpt::rand_f32({gr.nrows, F}, seed + 2);  // stale values must be overwritten
  KP_ASSERT_OK(kp_spmm_fwd(&y, &csr.g, pw, &x, c.r));
  Vec wv = c.wk == W_NONE ? Vec() : w.dvec(), xv = x.dvec();
  KP_EXPECT_CLOSE(y.vec(), ref_spmm(gr, wv, xv, c.H, c.D, c.r), kFwdRtol, kFwdAtol);
  for (int64_t i = 0; i < gr.nrows; i++)  // empty rows are exactly zero
    if (gr.indptr[i] == gr.indptr[i + 1])
      for (int64_t f = 0; f < F; f++) ASSERT_EQ(y.f()[i * F + f], 0.0f) << "row " << i;

  T dy = kpt::rand_f32({gr.nrows, F}, seed + 3);
  Vec dyv = dy.dvec();
  kpt::FD fdx = kpt::fd_loss(xv, dyv, [&](const Vec &xx) { return ref_spmm(gr, wv, xx, c.H, c.D, c.r); });
  kpt::check_backward("dx", {gr.ncols, F}, fdx,
                      [&](kp_tensor *g) { return kp_spmm_bwd(g, nullptr, &dy, &csr.g, pw, &x, c.r); }, seed + 4);
  if (c.wk != W_NONE) {
    kpt::FD fdw = kpt::fd_loss(wv, dyv, [&](const Vec &ww) { return ref_spmm(gr, ww, xv, c.H, c.D, c.r); });
    kpt::check_backward("dw", kpt::shape_of(&w), fdw,
                        [&](kp_tensor *g) { return kp_spmm_bwd(nullptr, g, &dy, &csr.g, pw, &x, c.r); }, seed + 5);
  }
}

INSTANTIATE_TEST_SUITE_P(Grad, GradSpmm, ::testing::ValuesIn(spmm_cases()));

TEST(GradSpmmMisc, BothGradientsAtOnceAreDeterministic) {
  Graph gr = big_graph();
  Csr csr(gr);
  const int64_t H = 4, F = 64;
  T x = kpt::rand_f32({gr.ncols, F}, 11), w = kpt::rand_f32({gr.nnz(), H}, 12), dy = kpt::rand_f32({gr.nrows, F}, 13);
  T dx1(KP_F32, {gr.ncols, F}), dw1(KP_F32, {gr.nnz(), H}), dx2(KP_F32, {gr.ncols, F}), dw2(KP_F32, {gr.nnz(), H});
  T dxa(KP_F32, {gr.ncols, F}), dwa(KP_F32, {gr.nnz(), H});
  KP_ASSERT_OK(kp_spmm_bwd(&dx1, &dw1, &dy, &csr.g, &w, &x, KP_REDUCE_MEAN));
  KP_ASSERT_OK(kp_spmm_bwd(&dx2, &dw2, &dy, &csr.g, &w, &x, KP_REDUCE_MEAN));
  KP_ASSERT_OK(kp_spmm_bwd(&dxa, nullptr, &dy, &csr.g, &w, &x, KP_REDUCE_MEAN));
  KP_ASSERT_OK(kp_spmm_bwd(nullptr, &dwa, &dy, &csr.g, &w, &x, KP_REDUCE_MEAN));
  EXPECT_EQ(dx1.vec(), dx2.vec());
  EXPECT_EQ(dw1.vec(), dw2.vec());
  EXPECT_EQ(dx1.vec(), dxa.vec());
  EXPECT_EQ(dw1.vec(), dwa.vec());
}

TEST(GradSpmmMisc, MaxIsRefused) {
  Csr csr(graphs()[0]);
  T x(KP_F32, {5, 2}), y(KP_F32, {5, 2});
  EXPECT_EQ(kp_spmm_fwd(&y, &csr.g, nullptr, &x, KP_REDUCE_MAX), KP_ERR_INVALID);
  EXPECT_TRUE(kpt::has(kp_last_error(), "spmm_fwd")) << kp_last_error();
}

// ---------------- SDDMM ----------------

struct SddmmCase {
  int graph;
  int64_t H, D;
  bool flat;  // out as [nnz] (H = 1 only)
};
std::ostream &operator<<(std::ostream &o, const SddmmCase &c) {
  return o << graphs()[c.graph].name << " H=" << c.H << " D=" << c.D << (c.flat ? " out=[nnz]" : " out=[nnz,H]");
}

std::vector<SddmmCase> sddmm_cases() {
  std::vector<SddmmCase> v;
  for (int g = 0; g < (int)graphs().size(); g++) {
    bool big = !strcmp(graphs()[g].name, "big");
    v.push_back({g, 1, big ? 64 : 4, true});
    v.push_back({g, 1, 3, false});
    v.push_back({g, 3, big ? 21 : 2, false});
    v.push_back({g, 4, big ? 16 : 3, false});
  }
  return v;
}

class GradSddmm : public ::testing::TestWithParam<SddmmCase> {};

TEST_P(GradSddmm, ForwardBackward) {
  auto c = GetParam();
  const Graph &gr = graphs()[c.graph];
  Csr csr(gr);
  int64_t F = c.H * c.D;
  uint32_t seed = (uint32_t)(c.graph * 1000 + c.H * 10 + c.D + c.flat * 500 + 3);
  T a = kpt::rand_f32({gr.nrows, F}, seed), b = kpt::rand_f32({gr.ncols, F}, seed + 1);
  auto es = edge_shape(gr, c.H, c.flat);
  T out = kpt::rand_f32(es, seed + 2);
  KP_ASSERT_OK(kp_sddmm_fwd(&out, &csr.g, &a, &b));
  Vec av = a.dvec(), bv = b.dvec();
  KP_EXPECT_CLOSE(out.vec(), ref_sddmm(gr, av, bv, c.H, c.D), kFwdRtol, kFwdAtol);
  T dout = kpt::rand_f32(es, seed + 3);
  Vec dv = dout.dvec();
  kpt::FD fda = kpt::fd_loss(av, dv, [&](const Vec &aa) { return ref_sddmm(gr, aa, bv, c.H, c.D); });
  kpt::check_backward("da", {gr.nrows, F}, fda,
                      [&](kp_tensor *g) { return kp_sddmm_bwd(g, nullptr, &dout, &csr.g, &a, &b); }, seed + 4);
  kpt::FD fdb = kpt::fd_loss(bv, dv, [&](const Vec &bb) { return ref_sddmm(gr, av, bb, c.H, c.D); });
  kpt::check_backward("db", {gr.ncols, F}, fdb,
                      [&](kp_tensor *g) { return kp_sddmm_bwd(nullptr, g, &dout, &csr.g, &a, &b); }, seed + 5);
}

INSTANTIATE_TEST_SUITE_P(Grad, GradSddmm, ::testing::ValuesIn(sddmm_cases()));

// ---------------- edge softmax ----------------

struct SoftmaxCase {
  int graph;
  int64_t H;
  bool flat;
};
std::ostream &operator<<(std::ostream &o, const SoftmaxCase &c) {
  return o << graphs()[c.graph].name << " H=" << c.H << (c.flat ? " [nnz]" : " [nnz,H]");
}

std::vector<SoftmaxCase> softmax_cases() {
  std::vector<SoftmaxCase> v;
  for (int g = 0; g < (int)graphs().size(); g++) {
    v.push_back({g, 1, true});
    v.push_back({g, 3, false});
  }
  return v;
}

class GradEdgeSoftmax : public ::testing::TestWithParam<SoftmaxCase> {};

TEST_P(GradEdgeSoftmax, ForwardBackward) {
  auto c = GetParam();
  const Graph &gr = graphs()[c.graph];
  Csr csr(gr);
  uint32_t seed = (uint32_t)(c.graph * 100 + c.H + 9);
  auto es = edge_shape(gr, c.H, c.flat);
  T s = kpt::rand_f32(es, seed, -3.f, 3.f);
  T out(KP_F32, es);
  KP_ASSERT_OK(kp_edge_softmax_fwd(&out, &csr.g, &s));
  Vec sv = s.dvec();
  KP_EXPECT_CLOSE(out.vec(), ref_edge_softmax(gr, sv, c.H), kFwdRtol, 1e-7);
  for (int64_t i = 0; i < gr.nrows; i++)  // each non-empty row sums to 1 per head
    for (int64_t h = 0; h < c.H && gr.indptr[i + 1] > gr.indptr[i]; h++) {
      double sum = 0;
      for (int32_t e = gr.indptr[i]; e < gr.indptr[i + 1]; e++) sum += out.f()[e * c.H + h];
      EXPECT_NEAR(sum, 1.0, 1e-6) << "row " << i << " head " << h;
    }
  // shifting all scores by a large constant changes nothing (max-shifted, no overflow)
  T shifted = T::f32(es, std::vector<float>(s.f(), s.f() + s.numel()));
  for (int64_t k = 0; k < shifted.numel(); k++) shifted.f()[k] += 200.f;
  T out2(KP_F32, es);
  KP_ASSERT_OK(kp_edge_softmax_fwd(&out2, &csr.g, &shifted));
  KP_EXPECT_CLOSE(out2.vec(), out.dvec(), 1e-4, 1e-6);

  T dout = kpt::rand_f32(es, seed + 1);
  kpt::FD fd = kpt::fd_loss(sv, dout.dvec(), [&](const Vec &ss) { return ref_edge_softmax(gr, ss, c.H); });
  kpt::check_backward("dscores", es, fd, [&](kp_tensor *g) { return kp_edge_softmax_bwd(g, &dout, &csr.g, &out); },
                      seed + 2);
}

INSTANTIATE_TEST_SUITE_P(Grad, GradEdgeSoftmax, ::testing::ValuesIn(softmax_cases()));

TEST(GradEdgeSoftmaxMisc, InPlaceForward) {
  const Graph &gr = graphs()[0];
  Csr csr(gr);
  T s = kpt::rand_f32({gr.nnz(), 2}, 21, -3.f, 3.f);
  Vec want = ref_edge_softmax(gr, s.dvec(), 2);
  KP_ASSERT_OK(kp_edge_softmax_fwd(&s, &csr.g, &s));
  KP_EXPECT_CLOSE(s.vec(), want, kFwdRtol, 1e-7);
}

// ---------------- CSR construction ----------------

TEST(GradCsr, TransposeListsEachColumnsEdgesInRowOrder) {
  const Graph &gr = graphs()[0];
  Csr csr(gr);
  const int32_t *tp = (const int32_t *)csr.g.t_indptr.data, *tr = (const int32_t *)csr.g.t_rows.data,
                *te = (const int32_t *)csr.g.t_edge.data, *rows = (const int32_t *)csr.g.rows.data;
  ASSERT_EQ(csr.g.nnz, gr.nnz());
  for (int64_t e = 0; e < gr.nnz(); e++) EXPECT_EQ(rows[e], gr.row_of(e)) << "edge " << e;
  EXPECT_EQ(tp[0], 0);
  EXPECT_EQ(tp[gr.ncols], gr.nnz());
  for (int64_t j = 0; j < gr.ncols; j++)
    for (int32_t p = tp[j]; p < tp[j + 1]; p++) {
      EXPECT_EQ(gr.indices[te[p]], j);
      EXPECT_EQ(tr[p], gr.row_of(te[p]));
      if (p > tp[j]) EXPECT_LT(te[p - 1], te[p]);
    }
}

TEST(GradCsr, InitRejectsBadStructure) {
  kp_csr g;
  IVec ind = {0, 1, 2};
  IVec p1 = {1, 2, 3};
  EXPECT_EQ(kp_csr_init(&g, kp_cpu(), 2, 3, p1.data(), ind.data()), KP_ERR_INVALID);
  EXPECT_TRUE(kpt::has(kp_last_error(), "csr: indptr[0] = 1, expected 0")) << kp_last_error();
  IVec p2 = {0, 2, 1, 3};
  EXPECT_EQ(kp_csr_init(&g, kp_cpu(), 3, 3, p2.data(), ind.data()), KP_ERR_INVALID);
  EXPECT_TRUE(kpt::has(kp_last_error(), "csr: indptr decreases at row 1")) << kp_last_error();
  IVec p3 = {0, 1, 3};
  IVec big = {0, 3, 1};
  EXPECT_EQ(kp_csr_init(&g, kp_cpu(), 2, 3, p3.data(), big.data()), KP_ERR_INVALID);
  EXPECT_TRUE(kpt::has(kp_last_error(), "csr: edge 1 has column 3, outside [0, 3)")) << kp_last_error();
  IVec neg = {0, 1, -1};
  EXPECT_EQ(kp_csr_init(&g, kp_cpu(), 2, 3, p3.data(), neg.data()), KP_ERR_INVALID);
  EXPECT_TRUE(kpt::has(kp_last_error(), "csr: edge 2 has column -1")) << kp_last_error();
}
