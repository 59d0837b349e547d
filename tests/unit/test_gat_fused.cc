// The fused GAT attention (kp_gat_attn_fwd / _bwd) against the composition of generic ops that
// src/models/gat.c runs where a backend has no fused entry: sddmm on a star graph, gathers, add,
// LeakyReLU, edge softmax, dropout, spmm and a segment mean over heads. Random graphs with isolated
// nodes, multi-edges, self loops and rows of one edge; 1 and 4 heads; concat and mean; training with
// attention dropout and evaluation. Outputs and every gradient agree within 1e-5 (relative to the
// tensor's largest element) and the dropout masks are identical.
#include <cstring>
#include "core/backend.h"
#include "testutil.h"

using kpt::T;

namespace {

struct Graph {
  int64_t n;
  std::vector<int32_t> indptr, indices;
  int64_t nnz() const { return indptr.back(); }
};

// Row i = sources of the edges into i. Node 1 is isolated (no edges in or out), row 2 holds one edge,
// row 3 repeats an edge (3 <- 0 twice) and has a self loop; other rows draw deg 0..maxdeg random sources
// among nodes != 1.
Graph random_graph(int64_t n, int maxdeg, uint32_t seed) {
  std::mt19937 r(seed);
  Graph g{n, {0}, {}};
  for (int64_t i = 0; i < n; i++) {
    if (i == 1) {
    } else if (i == 2) {
      g.indices.push_back(0);
    } else if (i == 3) {
      for (int32_t s : {0, 3, 0, 4}) g.indices.push_back(s);
    } else {
      int deg = (int)(r() % (unsigned)(maxdeg + 1));
      for (int k = 0; k < deg; k++) {
        int32_t s;
        do s = (int32_t)(r() % (uint32_t)n);
        while (s == 1);
        g.indices.push_back(s);
      }
    }
    g.indptr.push_back((int32_t)g.indices.size());
  }
  return g;
}

struct Csr {
  kp_csr g{};
  Csr(int64_t nr, int64_t nc, const std::vector<int32_t> &ip, const std::vector<int32_t> &ix) {
    if (kp_csr_init(&g, kp_cpu(), nr, nc, ip.data(), ix.data()) != KP_OK) throw std::runtime_error(kp_last_error());
  }
  ~Csr() { kp_csr_free(&g); }
  Csr(const Csr &) = delete;
  Csr &operator=(const Csr &) = delete;
};

struct Case {
  int64_t H, C;
  bool concat;
  float p; // attention dropout; 0: evaluation
};

std::string name_of(const Case &c, const char *graph) {
  return std::string(graph) + " H=" + std::to_string(c.H) + " C=" + std::to_string(c.C) +
         (c.concat ? " concat" : " mean") + " p=" + std::to_string(c.p);
}

// max |a - b| over max(1e-30, max |b|): a norm-wise relative error
double rel_err(const std::vector<float> &a, const std::vector<float> &b) {
  double m = 1e-30, d = 0;
  for (size_t i = 0; i < b.size(); i++) {
    m = std::max(m, (double)std::fabs(b[i]));
    d = std::max(d, (double)std::fabs(a[i] - b[i]));
  }
  return d / m;
}

const uint64_t kSeed = 1234, kOffset = 77;
const float kSlope = 0.2f;

// The composition (gat.c's fallback): forward outputs y, alpha, alpha after dropout; backward dh and the attention
// gradients (accumulated into das / dad).
struct Composed {
  T y, alpha, alpha_drop, dh, das, dad;
};

Composed run_composed(const Case &c, const Graph &gr, kp_csr *a, const T &h, const T &as, const T &ad, const T &dy,
                      const std::vector<float> &das0, const std::vector<float> &dad0) {
  int64_t N = gr.n, E = gr.nnz(), H = c.H, F = c.H * c.C;
  std::vector<int32_t> sip(N + 1), six(N, 0), hp(N + 1);
  for (int64_t i = 0; i <= N; i++) sip[i] = (int32_t)i, hp[i] = (int32_t)(i * H);
  Csr star(N, 1, sip, six);
  Composed r;
  r.y = T(KP_F32, {N, c.concat ? F : c.C});
  r.alpha = T(KP_F32, {E, H});
  r.alpha_drop = T(KP_F32, {E, H});
  T ss(KP_F32, {N, H}), sd(KP_F32, {N, H}), e(KP_F32, {E, H}), agg(KP_F32, {N, F}), head_ptr = T::i32({N + 1}, hp);
  kp_tensor asr, adr;
  int64_t rs[2] = {1, F};
  kp_tensor_view(&asr, &as.t, 2, rs);
  kp_tensor_view(&adr, &ad.t, 2, rs);
  bool drop = c.p > 0;
  EXPECT_EQ(kp_sddmm_fwd(&ss, &star.g, &h, &asr), KP_OK) << kp_last_error();
  EXPECT_EQ(kp_sddmm_fwd(&sd, &star.g, &h, &adr), KP_OK) << kp_last_error();
  EXPECT_EQ(kp_gather_fwd(&e, &ss, &a->indices), KP_OK) << kp_last_error();
  EXPECT_EQ(kp_gather_fwd(&r.alpha, &sd, &a->rows), KP_OK) << kp_last_error();
  EXPECT_EQ(kp_add_fwd(&e, &e, &r.alpha), KP_OK) << kp_last_error();
  EXPECT_EQ(kp_act_fwd(&r.alpha_drop, &e, KP_ACT_LEAKY_RELU, kSlope), KP_OK) << kp_last_error();
  EXPECT_EQ(kp_edge_softmax_fwd(&r.alpha, a, &r.alpha_drop), KP_OK) << kp_last_error();
  if (drop) EXPECT_EQ(kp_dropout_fwd(&r.alpha_drop, &r.alpha, c.p, kSeed, kOffset), KP_OK) << kp_last_error();
  const kp_tensor *A = drop ? &r.alpha_drop.t : &r.alpha.t;
  kp_tensor aggv, daggv;
  int64_t hv[2] = {N * H, c.C};
  if (c.concat) {
    EXPECT_EQ(kp_spmm_fwd(&r.y, a, A, &h, KP_REDUCE_SUM), KP_OK) << kp_last_error();
  } else {
    EXPECT_EQ(kp_spmm_fwd(&agg, a, A, &h, KP_REDUCE_SUM), KP_OK) << kp_last_error();
    kp_tensor_view(&aggv, &agg.t, 2, hv);
    EXPECT_EQ(kp_segment_fwd(&r.y, NULL, &aggv, &head_ptr, KP_REDUCE_MEAN), KP_OK) << kp_last_error();
  }
  // backward
  T dagg(KP_F32, {N, F}), ge1(KP_F32, {E, H}), ge2(KP_F32, {E, H}), ge3(KP_F32, {E, H}), ge4(KP_F32, {E, H});
  T dss(KP_F32, {N, H}), dsd(KP_F32, {N, H});
  r.dh = T(KP_F32, {N, F});
  r.das = T::f32({1, c.H, c.C}, das0);
  r.dad = T::f32({1, c.H, c.C}, dad0);
  const kp_tensor *dout = &dy.t;
  if (!c.concat) {
    kp_tensor_view(&daggv, &dagg.t, 2, hv);
    EXPECT_EQ(kp_segment_bwd(&daggv, &dy, NULL, &head_ptr, KP_REDUCE_MEAN), KP_OK) << kp_last_error();
    dout = &dagg.t;
  }
  EXPECT_EQ(kp_spmm_bwd(&r.dh, &ge1, dout, a, A, &h, KP_REDUCE_SUM), KP_OK) << kp_last_error();
  kp_tensor *cur = ge1.p();
  if (drop) {
    EXPECT_EQ(kp_dropout_bwd(&ge2, &ge1, c.p, kSeed, kOffset), KP_OK) << kp_last_error();
    cur = ge2.p();
  }
  EXPECT_EQ(kp_edge_softmax_bwd(&ge3, cur, a, &r.alpha), KP_OK) << kp_last_error();
  EXPECT_EQ(kp_act_bwd(&ge4, &ge3, &e, KP_ACT_LEAKY_RELU, kSlope), KP_OK) << kp_last_error();
  EXPECT_EQ(kp_gather_bwd(&dss, &ge4, &a->indices), KP_OK) << kp_last_error();
  EXPECT_EQ(kp_gather_bwd(&dsd, &ge4, &a->rows), KP_OK) << kp_last_error();
  kp_tensor dasr, dadr;
  kp_tensor_view(&dasr, &r.das.t, 2, rs);
  kp_tensor_view(&dadr, &r.dad.t, 2, rs);
  EXPECT_EQ(kp_sddmm_bwd(&r.dh, &dasr, &dss, &star.g, &h, &asr), KP_OK) << kp_last_error();
  EXPECT_EQ(kp_sddmm_bwd(&r.dh, &dadr, &dsd, &star.g, &h, &adr), KP_OK) << kp_last_error();
  return r;
}

void check_case(const Case &c, const Graph &gr, const char *gname, uint32_t seed) {
  SCOPED_TRACE(name_of(c, gname));
  int64_t N = gr.n, E = gr.nnz(), H = c.H, F = c.H * c.C, Y = c.concat ? F : c.C;
  Csr a(N, N, gr.indptr, gr.indices);
  T h = kpt::rand_f32({N, F}, seed, -1.5f, 1.5f), as = kpt::rand_f32({1, H, c.C}, seed + 1),
    ad = kpt::rand_f32({1, H, c.C}, seed + 2), dy = kpt::rand_f32({N, Y}, seed + 3);
  std::vector<float> das0 = kpt::uniform((size_t)F, seed + 4), dad0 = kpt::uniform((size_t)F, seed + 5);
  Composed ref = run_composed(c, gr, &a.g, h, as, ad, dy, das0, dad0);
  // fused; the scratch starts with garbage to show that nothing reads it before writing
  T y(KP_F32, {N, Y}), dh = kpt::rand_f32({N, F}, seed + 6), das = T::f32({1, H, c.C}, das0),
                       dad = T::f32({1, H, c.C}, dad0);
  T ss = kpt::rand_f32({N, H}, 7), sd = kpt::rand_f32({N, H}, 8), al = kpt::rand_f32({E, H}, 9),
    ald = kpt::rand_f32({E, H}, 10), dss = kpt::rand_f32({N, H}, 11), dsd = kpt::rand_f32({N, H}, 12),
    dsc = kpt::rand_f32({E, H}, 13);
  kp_gat_attn at{};
  at.concat = c.concat;
  at.negative_slope = kSlope;
  at.p = c.p;
  at.seed = kSeed;
  at.offset = kOffset;
  at.s_src = ss.t, at.s_dst = sd.t, at.alpha = al.t, at.alpha_drop = ald.t;
  at.ds_src = dss.t, at.ds_dst = dsd.t, at.dscore = dsc.t;
  KP_ASSERT_OK(kp_gat_attn_fwd(&y, &at, &a.g, &h, &as, &ad));
  KP_ASSERT_OK(kp_gat_attn_bwd(&dh, &das, &dad, &at, &dy, &a.g, &h, &as, &ad));
  const double tol = 1e-5;
  EXPECT_LE(rel_err(y.vec(), ref.y.vec()), tol) << "y";
  EXPECT_LE(rel_err(al.vec(), ref.alpha.vec()), tol) << "alpha";
  EXPECT_LE(rel_err(dh.vec(), ref.dh.vec()), tol) << "dh";
  EXPECT_LE(rel_err(das.vec(), ref.das.vec()), tol) << "datt_src";
  EXPECT_LE(rel_err(dad.vec(), ref.dad.vec()), tol) << "datt_dst";
  if (c.p > 0) {
    // the same mask: an element is dropped in one exactly where it is dropped in the other
    auto f = ald.vec(), r = ref.alpha_drop.vec();
    int64_t dropped = 0;
    for (size_t k = 0; k < f.size(); k++) {
      ASSERT_EQ(f[k] == 0.0f, r[k] == 0.0f) << "mask differs at element " << k;
      dropped += r[k] == 0.0f;
    }
    if (E > 8) EXPECT_GT(dropped, 0);
    EXPECT_LE(rel_err(f, r), tol) << "alpha_drop";
  }
  // the per-node terms are saved: s_src / s_dst are <h_n, att>
  auto hv = h.vec(), asv = as.vec(), ssv = ss.vec();
  for (int64_t n = 0; n < N; n += 7)
    for (int64_t hh = 0; hh < H; hh++) {
      double s = 0;
      for (int64_t k = 0; k < c.C; k++) s += (double)hv[n * F + hh * c.C + k] * asv[hh * c.C + k];
      EXPECT_NEAR(ssv[n * H + hh], s, 1e-5 * (1 + std::fabs(s)));
    }
}

const std::vector<Case> &cases() {
  static const std::vector<Case> cs = {
      {1, 5, true, 0.0f},  {1, 5, false, 0.0f}, {4, 3, true, 0.0f},  {4, 3, false, 0.0f},
      {1, 6, true, 0.3f},  {4, 8, true, 0.3f},  {4, 8, false, 0.3f}, {4, 16, true, 0.1f},
  };
  return cs;
}

TEST(GatFused, CpuBackendHasTheFusedEntries) {
  EXPECT_TRUE(kp_gat_attn_fused(kp_cpu()));
  EXPECT_TRUE(kp_backend_supports(kp_cpu_backend(), "gat_attn_fwd"));
  EXPECT_TRUE(kp_backend_supports(kp_cpu_backend(), "gat_attn_bwd"));
}

TEST(GatFused, MatchesCompositionOnSmallGraphs) {
  Graph g = random_graph(23, 4, 5);
  uint32_t s = 100;
  for (const Case &c : cases()) check_case(c, g, "small", s += 10);
}

// Large enough for the parallel loops of both paths.
TEST(GatFused, MatchesCompositionOnLargeGraphs) {
  Graph g = random_graph(700, 9, 6);
  uint32_t s = 300;
  for (const Case &c : cases()) check_case(c, g, "large", s += 10);
}

TEST(GatFused, NoEdges) {
  Graph g{5, {0, 0, 0, 0, 0, 0}, {}};
  check_case({4, 3, false, 0.0f}, g, "empty", 900);
  check_case({2, 3, true, 0.5f}, g, "empty", 910);
}

TEST(GatFused, RejectsBadShapes) {
  Graph gr = random_graph(6, 3, 7);
  Csr a(6, 6, gr.indptr, gr.indices);
  int64_t E = gr.nnz();
  T h(KP_F32, {6, 8}), as(KP_F32, {1, 2, 4}), ad(KP_F32, {1, 2, 4}), y(KP_F32, {6, 8}), ss(KP_F32, {6, 2}),
      sd(KP_F32, {6, 2}), al(KP_F32, {E, 2}), bad(KP_F32, {6, 3}), ymean(KP_F32, {6, 4});
  kp_gat_attn at{};
  at.concat = true;
  at.s_src = ss.t, at.s_dst = sd.t, at.alpha = al.t;
  KP_EXPECT_OK(kp_gat_attn_fwd(&y, &at, &a.g, &h, &as, &ad));
  EXPECT_EQ(kp_gat_attn_fwd(&ymean, &at, &a.g, &h, &as, &ad), KP_ERR_INVALID);  // concat wants [N, H*C]
  EXPECT_EQ(kp_gat_attn_fwd(&y, &at, &a.g, &bad, &as, &ad), KP_ERR_INVALID);    // 3 features, 2 heads
  at.p = 0.5f;  // dropout without an alpha_drop buffer
  EXPECT_EQ(kp_gat_attn_fwd(&y, &at, &a.g, &h, &as, &ad), KP_ERR_INVALID);
  EXPECT_TRUE(kpt::has(kp_last_error(), "alpha_drop")) << kp_last_error();
  at.p = 1.0f;
  EXPECT_EQ(kp_gat_attn_fwd(&y, &at, &a.g, &h, &as, &ad), KP_ERR_INVALID);
  at.p = 0.0f;
  at.concat = false;
  KP_EXPECT_OK(kp_gat_attn_fwd(&ymean, &at, &a.g, &h, &as, &ad));
  Csr rect(6, 5, {0, 0, 0, 0, 0, 0, 0}, {});
  EXPECT_EQ(kp_gat_attn_fwd(&ymean, &at, &rect.g, &h, &as, &ad), KP_ERR_INVALID);
  // backward without its scratch
  T dh(KP_F32, {6, 8});
  EXPECT_EQ(kp_gat_attn_bwd(&dh, &as, &ad, &at, &ymean, &a.g, &h, &as, &ad), KP_ERR_INVALID);
  EXPECT_TRUE(kpt::has(kp_last_error(), "ds_src")) << kp_last_error();
}

}  // namespace
