// Sparse first-layer input (bag-of-words x kept as CSR): the CSR ops against the dense ones (bit-identical dropout
// masks and values, products and weight gradients within rounding), and GCN / GAT models run with the sparse input
// attached against the same models on the dense path (outputs, every parameter gradient, dx, dropout stream).
#include <cstring>
#include "kprca/gnn.h"
#include "testutil.h"

using namespace kpt;

namespace {

/* A random x [n, f] with about density non-zeros, row 3 empty (when n > 3) and every 5th column all zero. */
std::vector<float> sparse_x(int64_t n, int64_t f, double density, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  std::vector<float> x((size_t)(n * f), 0.0f);
  for (int64_t i = 0; i < n; i++)
    for (int64_t j = 0; j < f; j++)
      if (i != 3 && j % 5 != 0 && u(rng) < density) x[(size_t)(i * f + j)] = (float)(u(rng) * 2.0 - 0.5);
  return x;
}

/* The CSR pattern of x (columns ascending) and its values x0. */
struct Pattern {
  kp_csr g{};
  T x0;
  Pattern(const std::vector<float> &x, int64_t n, int64_t f) {
    std::vector<int32_t> ip(1, 0), ix;
    std::vector<float> v;
    for (int64_t i = 0; i < n; i++) {
      for (int64_t j = 0; j < f; j++)
        if (x[(size_t)(i * f + j)] != 0.0f) ix.push_back((int32_t)j), v.push_back(x[(size_t)(i * f + j)]);
      ip.push_back((int32_t)ix.size());
    }
    if (kp_csr_init(&g, kp_cpu(), n, f, ip.data(), ix.data()) != KP_OK) throw std::runtime_error(kp_last_error());
    x0 = T::f32({(int64_t)v.size()}, v);
  }
  ~Pattern() { kp_csr_free(&g); }
};

/* max |a - b| <= tol * max |b| (normwise relative), with the worst element named. */
void expect_close(const std::string &what, const std::vector<float> &a, const std::vector<float> &b, double tol) {
  ASSERT_EQ(a.size(), b.size()) << what;
  double scale = 0.0, worst = 0.0;
  size_t at = 0;
  for (float v : b) scale = std::max(scale, (double)std::fabs(v));
  for (size_t i = 0; i < a.size(); i++) {
    double d = std::fabs((double)a[i] - (double)b[i]);
    if (d > worst) worst = d, at = i;
  }
  EXPECT_LE(worst, tol * std::max(scale, 1e-30)) << what << ": element " << at << " is " << a[at] << ", expected "
                                                 << b[at] << " (scale " << scale << ")";
}

bool same_bits(float a, float b) { return std::memcmp(&a, &b, sizeof a) == 0; }

class SparseOps : public ::testing::TestWithParam<float> {};

TEST_P(SparseOps, DropoutLinearAndWeightGradientMatchDense) {
  const float p = GetParam();
  for (double density : {0.08, 0.6}) { /* 0.6: runs of several entries in one Philox block */
  SCOPED_TRACE("density " + std::to_string(density));
  const int64_t n = 41, f = 67, m = 12;
  const uint64_t seed = 1234567, offset = 77;
  std::vector<float> xv = sparse_x(n, f, density, 5);
  T x = T::f32({n, f}, xv);
  Pattern pat(xv, n, f);
  ASSERT_GT(pat.g.nnz, 0);
  // the dense path: dropout, then x W^T, then dW += dy^T x
  T xd(KP_F32, {n, f});
  KP_ASSERT_OK(kp_dropout_fwd(&xd, &x, p, seed, offset));
  T v(KP_F32, {pat.g.nnz});
  KP_ASSERT_OK(kp_csr_dropout(&v, &pat.g, &pat.x0, p, seed, offset));
  const int32_t *ip = (const int32_t *)pat.g.indptr.data, *ix = (const int32_t *)pat.g.indices.data;
  int64_t kept = 0, stored = 0;
  for (int64_t i = 0; i < n; i++)
    for (int32_t e = ip[i]; e < ip[i + 1]; e++) {
      float want = xd.f()[i * f + ix[e]];
      EXPECT_TRUE(same_bits(v.f()[e], want)) << "entry " << e << " (" << i << ", " << ix[e] << "): " << v.f()[e]
                                             << " vs dense " << want;
      kept += v.f()[e] != 0.0f;
    }
  for (int64_t k = 0; k < n * f; k++) stored += xd.f()[k] != 0.0f;
  EXPECT_EQ(kept, stored) << "the dense dropout kept a value outside x's pattern";
  if (p > 0.0f) {
    EXPECT_LT(kept, pat.g.nnz) << "p = " << p << " dropped nothing";
    EXPECT_GT(kept, 0);
  }

  T w = rand_f32({m, f}, 9);
  T y(KP_F32, {n, m}), yd(KP_F32, {n, m}), wt(KP_F32, {f, m});
  KP_ASSERT_OK(kp_csr_linear_fwd(&y, &wt, &pat.g, &v, &w));
  KP_ASSERT_OK(kp_linear_fwd(&yd, nullptr, &xd, &w, nullptr, KP_ACT_NONE, 0.0f));
  expect_close("y", y.vec(), yd.vec(), 1e-5);
  for (int64_t j = 0; j < m; j++) EXPECT_EQ(y.f()[3 * m + j], 0.0f) << "the empty row 3";

  T dy = rand_f32({n, m}, 11);
  T dw = rand_f32({m, f}, 13), dwd = T::f32({m, f}, dw.vec()); /* accumulation onto a non-zero start */
  KP_ASSERT_OK(kp_csr_linear_bwd(&dw, &dy, &pat.g, &v));
  KP_ASSERT_OK(kp_linear_bwd(nullptr, &dwd, nullptr, &dy, nullptr, &xd, &w, KP_ACT_NONE, 0.0f));
  expect_close("dw", dw.vec(), dwd.vec(), 1e-5);
  T dw0 = rand_f32({m, f}, 13);
  for (int64_t o = 0; o < m; o++)
    for (int64_t j = 0; j < f; j += 5) EXPECT_EQ(dw.f()[o * f + j], dw0.f()[o * f + j]) << "all-zero column " << j;
  }
}

INSTANTIATE_TEST_SUITE_P(P, SparseOps, ::testing::Values(0.0f, 0.5f));

TEST(SparseOps, ChecksShapes) {
  std::vector<float> xv = sparse_x(6, 10, 0.3, 1);
  T x = T::f32({6, 10}, xv);
  Pattern pat(xv, 6, 10);
  T v(KP_F32, {pat.g.nnz + 1}), w(KP_F32, {4, 9}), wt(KP_F32, {10, 4}), y(KP_F32, {6, 4});
  EXPECT_EQ(kp_csr_dropout(&v, &pat.g, &pat.x0, 0.5f, 1, 0), KP_ERR_INVALID);
  T v2(KP_F32, {pat.g.nnz});
  EXPECT_EQ(kp_csr_dropout(&v2, &pat.g, &pat.x0, 1.0f, 1, 0), KP_ERR_INVALID);
  KP_EXPECT_OK(kp_csr_dropout(&v2, &pat.g, &pat.x0, 0.3f, 1, 0));
  EXPECT_EQ(kp_csr_linear_fwd(&y, &wt, &pat.g, &v2, &w), KP_ERR_INVALID) << "w has 9 columns, x 10";
  EXPECT_TRUE(kp_csr_linear_supported(kp_cpu()));
}

/* ---- models ---------------------------------------------------------------------------------- */

struct Graph {
  kp_gnn_graph g{};
  Graph(int64_t n, unsigned flags, uint32_t seed) {
    std::mt19937 rng(seed);
    std::vector<int32_t> ip(1, 0), ix;
    for (int64_t i = 0; i < n; i++) {
      int deg = (int)(rng() % 4);
      for (int d = 0; d < deg; d++) ix.push_back((int32_t)(rng() % n));
      ip.push_back((int32_t)ix.size());
    }
    if (kp_gnn_graph_init(&g, kp_cpu(), n, ip.data(), ix.data(), nullptr, 0, nullptr, flags) != KP_OK)
      throw std::runtime_error(kp_last_error());
  }
  ~Graph() { kp_gnn_graph_free(&g); }
};

struct Model {
  kp_gnn m{};
  explicit Model(const kp_gnn_config &c) {
    if (kp_gnn_init(&m, &c, kp_cpu()) != KP_OK) throw std::runtime_error(kp_last_error());
    kp_rng r = kp_rng_make(42);
    if (kp_gnn_reset_parameters(&m, &r) != KP_OK) throw std::runtime_error(kp_last_error());
    m.drop_seed = 99;
    m.drop_offset = 5;
  }
  ~Model() { kp_gnn_free(&m); }
  std::vector<float> grad() const {
    std::vector<float> v((size_t)m.params.total);
    std::memcpy(v.data(), m.params.grad.data, v.size() * sizeof(float));
    return v;
  }
};

struct ModelCase {
  kp_conv_type conv;
  float p;
  bool want_dx;
};

class SparseModel : public ::testing::TestWithParam<ModelCase> {};

TEST_P(SparseModel, MatchesTheDensePath) {
  const ModelCase mc = GetParam();
  const int64_t n = 57, f = 83, classes = 5;
  kp_gnn_config cfg = kp_gnn_config_default(KP_GNN_NODE, mc.conv, f, classes);
  cfg.input_dropout = mc.p;
  cfg.dropout = 0.5f;
  Graph G(n, kp_gnn_graph_flags(&cfg), 3);
  std::vector<float> xv = sparse_x(n, f, 0.05, 8);
  T x = T::f32({n, f}, xv);
  std::vector<int32_t> tv((size_t)n);
  for (int64_t i = 0; i < n; i++) tv[(size_t)i] = i % 4 == 1 ? KP_GNN_IGNORE : (int32_t)(i * 7 % classes);
  T targets = T::i32({n}, tv);

  Model dense(cfg), sparse(cfg);
  bool used = false;
  KP_ASSERT_OK(kp_gnn_attach_sparse_input(&sparse.m, &x, 0.10, &used));
  ASSERT_TRUE(used);
  for (int step = 0; step < 2; step++) {
    KP_ASSERT_OK(kp_gnn_forward(&dense.m, &G.g, &x, true));
    KP_ASSERT_OK(kp_gnn_forward(&sparse.m, &G.g, &x, true));
    ASSERT_TRUE(sparse.m.convs[0].sparse_in != nullptr);
    EXPECT_EQ(sparse.m.drop_offset, dense.m.drop_offset) << "the dropout stream advanced differently";
    if (mc.p > 0.0f) { /* layer 0's masked values, bit for bit */
      const kp_csr &a = sparse.m.sx.pattern;
      const int32_t *ip = (const int32_t *)a.indptr.data, *ix = (const int32_t *)a.indices.data;
      const float *sv = (const float *)sparse.m.sx.values.data, *dv = (const float *)dense.m.xin[0].data;
      for (int64_t i = 0; i < n; i++)
        for (int32_t e = ip[i]; e < ip[i + 1]; e++)
          ASSERT_TRUE(same_bits(sv[e], dv[i * f + ix[e]])) << "step " << step << " entry (" << i << ", " << ix[e] << ")";
    }
    expect_close("logits", std::vector<float>((float *)sparse.m.logits.data, (float *)sparse.m.logits.data + n * classes),
                 std::vector<float>((float *)dense.m.logits.data, (float *)dense.m.logits.data + n * classes), 1e-5);
    float ld = 0, ls = 0;
    KP_ASSERT_OK(kp_gnn_loss(&dense.m, &targets, nullptr, &ld));
    KP_ASSERT_OK(kp_gnn_loss(&sparse.m, &targets, nullptr, &ls));
    EXPECT_NEAR(ls, ld, 1e-5 * std::fabs(ld));
    T dxd(KP_F32, {n, f}), dxs(KP_F32, {n, f});
    KP_ASSERT_OK(kp_tensor_fill(&dense.m.params.grad, 0.0));
    KP_ASSERT_OK(kp_tensor_fill(&sparse.m.params.grad, 0.0));
    KP_ASSERT_OK(kp_gnn_backward(&dense.m, &targets, nullptr, mc.want_dx ? &dxd : nullptr));
    KP_ASSERT_OK(kp_gnn_backward(&sparse.m, &targets, nullptr, mc.want_dx ? &dxs : nullptr));
    /* every parameter's gradient, one at a time so a failure names it */
    for (int i = 0; i < sparse.m.params.count; i++) {
      kp_tensor gs = kp_params_grad(&sparse.m.params, i), gd = kp_params_grad(&dense.m.params, i);
      int64_t k = kp_tensor_numel(&gs);
      expect_close(std::string("grad ") + sparse.m.params.items[i].name,
                   std::vector<float>((float *)gs.data, (float *)gs.data + k),
                   std::vector<float>((float *)gd.data, (float *)gd.data + k), 1e-5);
    }
    if (mc.want_dx) expect_close("dx", dxs.vec(), dxd.vec(), 1e-5);
  }
  /* evaluation (no dropout) also runs sparse, and a different x tensor runs dense */
  KP_ASSERT_OK(kp_gnn_forward(&dense.m, &G.g, &x, false));
  KP_ASSERT_OK(kp_gnn_forward(&sparse.m, &G.g, &x, false));
  expect_close("eval logits", std::vector<float>((float *)sparse.m.logits.data, (float *)sparse.m.logits.data + n * classes),
               std::vector<float>((float *)dense.m.logits.data, (float *)dense.m.logits.data + n * classes), 1e-5);
  T x2 = T::f32({n, f}, xv);
  KP_ASSERT_OK(kp_gnn_forward(&sparse.m, &G.g, &x2, true));
  EXPECT_TRUE(sparse.m.convs[0].sparse_in == nullptr);
}

INSTANTIATE_TEST_SUITE_P(Gcn, SparseModel,
                         ::testing::Values(ModelCase{KP_CONV_GCN, 0.0f, false}, ModelCase{KP_CONV_GCN, 0.5f, false},
                                           ModelCase{KP_CONV_GCN, 0.5f, true}));
INSTANTIATE_TEST_SUITE_P(Gat, SparseModel,
                         ::testing::Values(ModelCase{KP_CONV_GAT, 0.0f, false}, ModelCase{KP_CONV_GAT, 0.6f, false},
                                           ModelCase{KP_CONV_GAT, 0.6f, true}));

TEST(SparseModelAttach, RefusesDenseInputsAndLayersThatCannotUseIt) {
  const int64_t n = 20, f = 30;
  std::vector<float> xv = sparse_x(n, f, 0.5, 2);
  T x = T::f32({n, f}, xv);
  bool used = true;
  kp_gnn_config cfg = kp_gnn_config_default(KP_GNN_NODE, KP_CONV_GCN, f, 3);
  {
    Model m(cfg);
    KP_ASSERT_OK(kp_gnn_attach_sparse_input(&m.m, &x, 0.10, &used));
    EXPECT_FALSE(used) << "40% non-zeros is not sparse";
    KP_ASSERT_OK(kp_gnn_attach_sparse_input(&m.m, &x, 0.9, &used));
    EXPECT_TRUE(used);
  }
  cfg.hidden = 64; /* wider than the input: GCN aggregates x first */
  {
    Model m(cfg);
    KP_ASSERT_OK(kp_gnn_attach_sparse_input(&m.m, &x, 0.9, &used));
    EXPECT_FALSE(used);
  }
  kp_gnn_config rc = kp_gnn_config_default(KP_GNN_NODE, KP_CONV_GAT, f, 3);
  rc.residual = true; /* res(x) reads the dense x */
  {
    Model m(rc);
    KP_ASSERT_OK(kp_gnn_attach_sparse_input(&m.m, &x, 0.9, &used));
    EXPECT_FALSE(used);
  }
  kp_gnn_config sc = kp_gnn_config_default(KP_GNN_NODE, KP_CONV_SAGE, f, 3);
  {
    Model m(sc);
    KP_ASSERT_OK(kp_gnn_attach_sparse_input(&m.m, &x, 0.9, &used));
    EXPECT_FALSE(used);
  }
}

}  // namespace
