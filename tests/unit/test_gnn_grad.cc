// GNN layers and models against double-precision references written from PyG's definitions
// (edge lists, self loops removed then added, gcn_norm over target in-degrees, mean over
// incoming edges, per-head attention softmax): forward values, backward vs central finite
// differences for the input and every parameter, accumulation, dropout masks, errors.
#include <map>
#include "kprca/gnn.h"
#include "testutil.h"

using namespace kpt;
using Vec = std::vector<double>;
using PMap = std::map<std::string, Vec>;

namespace {

/* ---- graphs ---------------------------------------------------------------------------- */

struct Graph {
  int n = 0;
  std::vector<int> src, dst; /* edge k: src[k] -> dst[k] */
  Vec w;                     /* edge weights, empty: none */
  std::vector<int32_t> ptr;  /* graph_ptr, empty: one graph */
};

struct EdgeList {
  std::vector<int> src, dst;
  Vec w;
};

/* The edges in kprca's CSR order: by destination, stable. */
EdgeList by_dst(const Graph &g) {
  EdgeList e;
  for (int i = 0; i < g.n; i++)
    for (size_t k = 0; k < g.src.size(); k++)
      if (g.dst[k] == i) e.src.push_back(g.src[k]), e.dst.push_back(i), e.w.push_back(g.w.empty() ? 1.0 : g.w[k]);
  return e;
}

/* PyG's add_remaining_self_loops / remove + add: per destination, the non-loop edges, then its loop (weight of the
 * last given loop, else 1). Ordered as kprca's adj_loop, which the dropout masks index. */
EdgeList with_loops(const Graph &g) {
  EdgeList e, b = by_dst(g);
  for (int i = 0; i < g.n; i++) {
    double lw = 1.0;
    for (size_t k = 0; k < b.src.size(); k++) {
      if (b.dst[k] != i) continue;
      if (b.src[k] == i) {
        lw = b.w[k];
        continue;
      }
      e.src.push_back(b.src[k]), e.dst.push_back(i), e.w.push_back(b.w[k]);
    }
    e.src.push_back(i), e.dst.push_back(i), e.w.push_back(lw);
  }
  return e;
}

/* A directed graph on 8 nodes: node 7 isolated, node 6 only sends, node 2 has a self loop. */
Graph small_graph(bool weighted) {
  Graph g;
  g.n = 8;
  int e[][2] = {{0, 1}, {1, 0}, {1, 2}, {2, 3}, {3, 1}, {4, 1}, {0, 4}, {2, 2}, {5, 3}, {3, 5}, {6, 5}, {4, 0}};
  for (auto &p : e) g.src.push_back(p[0]), g.dst.push_back(p[1]);
  if (weighted) g.w = rand_d(g.src.size(), 77, 0.5, 2.0);
  return g;
}

/* Three graphs in one batch: nodes 0-2, 3-6, and a lone node 7. */
Graph batch_graph() {
  Graph g;
  g.n = 8;
  int e[][2] = {{0, 1}, {1, 0}, {2, 1}, {1, 2}, {3, 4}, {4, 5}, {5, 3}, {6, 5}, {4, 3}};
  for (auto &p : e) g.src.push_back(p[0]), g.dst.push_back(p[1]);
  g.ptr = {0, 3, 7, 8};
  return g;
}

struct Gg {
  kp_gnn_graph g{};
  Gg(const Graph &G, unsigned flags) {
    EdgeList e = by_dst(G);
    std::vector<int32_t> ip(G.n + 1, 0), ix(e.src.begin(), e.src.end());
    for (int d : e.dst) ip[d + 1]++;
    for (int i = 0; i < G.n; i++) ip[i + 1] += ip[i];
    std::vector<float> w(e.w.begin(), e.w.end());
    kp_status s = kp_gnn_graph_init(&g, kp_cpu(), G.n, ip.data(), ix.data(), G.w.empty() ? nullptr : w.data(),
                                    G.ptr.empty() ? 0 : (int64_t)G.ptr.size() - 1, G.ptr.empty() ? nullptr : G.ptr.data(),
                                    flags);
    if (s != KP_OK) throw std::runtime_error(kp_last_error());
  }
  ~Gg() { kp_gnn_graph_free(&g); }
};

/* ---- double references --------------------------------------------------------------------- */

/* y [n, out] = x [n, in] W^T (+ b) */
Vec linear(const Vec &x, const Vec &W, const Vec *b, int n, int in, int out) {
  Vec y((size_t)n * out, 0.0);
  for (int i = 0; i < n; i++)
    for (int o = 0; o < out; o++) {
      double s = b ? (*b)[o] : 0.0;
      for (int k = 0; k < in; k++) s += x[(size_t)i * in + k] * W[(size_t)o * in + k];
      y[(size_t)i * out + o] = s;
    }
  return y;
}

void add_bias(Vec &y, const Vec &b) {
  for (size_t i = 0; i < y.size(); i++) y[i] += b[i % b.size()];
}

Vec dropout_ref(const Vec &x, float p, uint64_t seed, uint64_t offset) {
  Vec y(x.size());
  for (size_t i = 0; i < x.size(); i++)
    y[i] = kp_philox_uniform(seed, offset, i) >= p ? x[i] / (1.0 - (double)p) : 0.0;
  return y;
}

const Vec &param(const PMap &pm, const std::string &pre, const char *name) { return pm.at(pre + name); }
bool has_param(const PMap &pm, const std::string &pre, const char *name) { return pm.count(pre + name) > 0; }

Vec gcn_ref(const Graph &g, const Vec &x, const PMap &pm, const std::string &pre, const kp_conv_opts &o) {
  int n = g.n, in = (int)o.in_dim, out = (int)o.out_dim;
  EdgeList e = o.normalize && o.add_self_loops ? with_loops(g) : by_dst(g);
  Vec w = e.w;
  if (o.normalize) {
    Vec deg(n, 0.0);
    for (size_t k = 0; k < w.size(); k++) deg[e.dst[k]] += w[k];
    for (size_t k = 0; k < w.size(); k++) {
      double a = deg[e.src[k]] > 0 ? 1 / std::sqrt(deg[e.src[k]]) : 0, b = deg[e.dst[k]] > 0 ? 1 / std::sqrt(deg[e.dst[k]]) : 0;
      w[k] = a * w[k] * b;
    }
  }
  Vec xw = linear(x, param(pm, pre, "lin.weight"), nullptr, n, in, out), y((size_t)n * out, 0.0);
  for (size_t k = 0; k < w.size(); k++)
    for (int c = 0; c < out; c++) y[(size_t)e.dst[k] * out + c] += w[k] * xw[(size_t)e.src[k] * out + c];
  if (has_param(pm, pre, "bias")) add_bias(y, param(pm, pre, "bias"));
  return y;
}

Vec sage_ref(const Graph &g, const Vec &x, const PMap &pm, const std::string &pre, const kp_conv_opts &o) {
  int n = g.n, in = (int)o.in_dim, out = (int)o.out_dim;
  Vec agg((size_t)n * in, 0.0), cnt(n, 0.0);
  for (size_t k = 0; k < g.src.size(); k++) {
    cnt[g.dst[k]] += 1;
    for (int c = 0; c < in; c++) agg[(size_t)g.dst[k] * in + c] += x[(size_t)g.src[k] * in + c];
  }
  for (int i = 0; i < n; i++)
    for (int c = 0; c < in; c++) agg[(size_t)i * in + c] /= cnt[i] > 0 ? cnt[i] : 1.0;
  const Vec *b = has_param(pm, pre, "lin_l.bias") ? &param(pm, pre, "lin_l.bias") : nullptr;
  Vec y = linear(agg, param(pm, pre, "lin_l.weight"), b, n, in, out);
  if (has_param(pm, pre, "lin_r.weight")) {
    Vec r = linear(x, param(pm, pre, "lin_r.weight"), nullptr, n, in, out);
    for (size_t i = 0; i < y.size(); i++) y[i] += r[i];
  }
  return y;
}

/* drop: attention dropout applied with (seed, offset) over [E, H] in adjacency order */
Vec gat_ref(const Graph &g, const Vec &x, const PMap &pm, const std::string &pre, const kp_conv_opts &o, bool drop,
            uint64_t seed, uint64_t offset) {
  int n = g.n, in = (int)o.in_dim, H = o.heads, C = (int)o.out_dim, HC = H * C;
  Vec h = linear(x, param(pm, pre, "lin.weight"), nullptr, n, in, HC);
  const Vec &as = param(pm, pre, "att_src"), &ad = param(pm, pre, "att_dst");
  Vec ss((size_t)n * H, 0.0), sd((size_t)n * H, 0.0);
  for (int i = 0; i < n; i++)
    for (int hh = 0; hh < H; hh++)
      for (int c = 0; c < C; c++) {
        ss[(size_t)i * H + hh] += h[(size_t)i * HC + hh * C + c] * as[hh * C + c];
        sd[(size_t)i * H + hh] += h[(size_t)i * HC + hh * C + c] * ad[hh * C + c];
      }
  EdgeList e = o.add_self_loops ? with_loops(g) : by_dst(g);
  size_t E = e.src.size();
  Vec alpha(E * H);
  for (size_t k = 0; k < E; k++)
    for (int hh = 0; hh < H; hh++) {
      double s = ss[(size_t)e.src[k] * H + hh] + sd[(size_t)e.dst[k] * H + hh];
      alpha[k * H + hh] = s > 0 ? s : o.negative_slope * s;
    }
  for (int i = 0; i < n; i++)
    for (int hh = 0; hh < H; hh++) {
      double m = -1e300, z = 0;
      for (size_t k = 0; k < E; k++)
        if (e.dst[k] == i) m = std::max(m, alpha[k * H + hh]);
      for (size_t k = 0; k < E; k++)
        if (e.dst[k] == i) z += std::exp(alpha[k * H + hh] - m);
      for (size_t k = 0; k < E; k++)
        if (e.dst[k] == i) alpha[k * H + hh] = std::exp(alpha[k * H + hh] - m) / z;
    }
  if (drop) alpha = dropout_ref(alpha, o.attn_dropout, seed, offset);
  Vec out((size_t)n * HC, 0.0);
  for (size_t k = 0; k < E; k++)
    for (int hh = 0; hh < H; hh++)
      for (int c = 0; c < C; c++)
        out[(size_t)e.dst[k] * HC + hh * C + c] += alpha[k * H + hh] * h[(size_t)e.src[k] * HC + hh * C + c];
  Vec y;
  if (o.concat) {
    y = out;
  } else {
    y.assign((size_t)n * C, 0.0);
    for (int i = 0; i < n; i++)
      for (int hh = 0; hh < H; hh++)
        for (int c = 0; c < C; c++) y[(size_t)i * C + c] += out[(size_t)i * HC + hh * C + c] / H;
  }
  int oc = (int)(y.size() / n);
  if (has_param(pm, pre, "res.weight")) {
    Vec r = linear(x, param(pm, pre, "res.weight"), nullptr, n, in, oc);
    for (size_t i = 0; i < y.size(); i++) y[i] += r[i];
  }
  if (has_param(pm, pre, "bias")) add_bias(y, param(pm, pre, "bias"));
  return y;
}

Vec conv_ref(const Graph &g, const Vec &x, const PMap &pm, const std::string &pre, const kp_conv &c) {
  switch (c.o.type) {
    case KP_CONV_GCN:
      return gcn_ref(g, x, pm, pre, c.o);
    case KP_CONV_SAGE:
      return sage_ref(g, x, pm, pre, c.o);
    case KP_CONV_GAT:
      return gat_ref(g, x, pm, pre, c.o, c.dropped, c.drop_seed, c.drop_offset);
  }
  return {};
}

Vec act_vec(const Vec &z, kp_act act, float alpha) {
  Vec a(z.size());
  for (size_t i = 0; i < z.size(); i++) a[i] = act_ref(act, z[i], alpha);
  return a;
}

Vec head_ref(const Graph &g, const Vec &x, const PMap &pm, const kp_head &h) {
  int G = (int)g.ptr.size() - 1, F = (int)h.dims[0];
  Vec cur((size_t)G * F, 0.0);
  for (int k = 0; k < G; k++)
    for (int f = 0; f < F; f++) {
      double s = 0, m = -1e300;
      for (int i = g.ptr[k]; i < g.ptr[k + 1]; i++) s += x[(size_t)i * F + f], m = std::max(m, x[(size_t)i * F + f]);
      int cnt = g.ptr[k + 1] - g.ptr[k];
      cur[(size_t)k * F + f] = cnt == 0 ? 0 : h.readout == KP_REDUCE_SUM ? s : h.readout == KP_REDUCE_MEAN ? s / cnt : m;
    }
  for (int l = 0; l < h.layers; l++) {
    if (h.dropped[l]) cur = dropout_ref(cur, h.dropout, h.drop_seed, h.drop_offset[l]);
    std::string pre = "head." + std::to_string(l) + ".";
    Vec b = param(pm, pre, "bias");
    cur = linear(cur, param(pm, pre, "weight"), &b, G, (int)h.dims[l], (int)h.dims[l + 1]);
    if (l < h.layers - 1) cur = act_vec(cur, h.act, h.act_alpha);
  }
  return cur;
}

/* The whole model's logits, replaying the dropout masks at the offsets its last forward used. */
Vec model_ref(const Graph &g, const Vec &x, const PMap &pm, const kp_gnn &m) {
  Vec cur = x;
  for (int l = 0; l < m.num_convs; l++) {
    if (m.dropped[l]) cur = dropout_ref(cur, l ? m.cfg.dropout : m.cfg.input_dropout, m.fwd_seed, m.drop_at[l]);
    Vec z = conv_ref(g, cur, pm, "convs." + std::to_string(l) + ".", m.convs[l]);
    if (m.cfg.task == KP_GNN_NODE && l == m.num_convs - 1) return z;
    cur = act_vec(z, m.cfg.act, m.cfg.act_alpha);
  }
  return head_ref(g, cur, pm, m.head);
}

/* F.cross_entropy with class weights and ignore_index -100 */
double ce_ref(const Vec &logits, const std::vector<int32_t> &t, const Vec &cw, int C) {
  double num = 0, den = 0;
  for (size_t i = 0; i < t.size(); i++) {
    if (t[i] == KP_GNN_IGNORE) continue;
    double m = -1e300, z = 0;
    for (int c = 0; c < C; c++) m = std::max(m, logits[i * C + c]);
    for (int c = 0; c < C; c++) z += std::exp(logits[i * C + c] - m);
    double wt = cw.empty() ? 1.0 : cw[t[i]];
    num += wt * (std::log(z) + m - logits[i * C + t[i]]);
    den += wt;
  }
  return num / den;
}

/* ---- parameter helpers ------------------------------------------------------------------- */

PMap read_params(const kp_params *p) {
  PMap pm;
  for (int i = 0; i < p->count; i++) {
    std::vector<float> v((size_t)p->items[i].numel);
    if (kp_params_get(p, i, false, v.data(), (int64_t)v.size()) != KP_OK) throw std::runtime_error(kp_last_error());
    pm[p->items[i].name] = dvec(v);
  }
  return pm;
}

std::vector<float> grad_of(const kp_params *p, int i) {
  std::vector<float> v((size_t)p->items[i].numel);
  if (kp_params_get(p, i, true, v.data(), (int64_t)v.size()) != KP_OK) throw std::runtime_error(kp_last_error());
  return v;
}

/* Random values for every parameter (bias included, so it matters), seeded. */
void randomize(kp_params *p, uint32_t seed, float scale = 0.6f) {
  for (int i = 0; i < p->count; i++) {
    auto v = uniform((size_t)p->items[i].numel, seed + 31 * i, -scale, scale);
    if (kp_params_set(p, i, v.data(), (int64_t)v.size()) != KP_OK) throw std::runtime_error(kp_last_error());
  }
}

std::vector<float> host(const kp_tensor *t) {
  std::vector<float> v((size_t)kp_tensor_numel(t));
  kp_tensor h = kp_tensor_wrap(v.data(), KP_F32, kp_cpu(), t->ndim, t->shape);
  if (kp_tensor_copy(&h, t) != KP_OK) throw std::runtime_error(kp_last_error());
  return v;
}

/* Checks dx (at every coordinate) and every parameter gradient against central differences of the scalar
 * L(x, params) in double. */
void check_fd(const kp_params *p, const Vec &x, const std::vector<float> *dx, const PMap &pm,
              const std::function<double(const Vec &, const PMap &)> &L, double rtol = 1e-4, double atol = 1e-5) {
  if (dx) {
    SCOPED_TRACE("input gradient");
    FD fd = fd_sampled(x, [&](const Vec &v) { return L(v, pm); });
    std::vector<float> sel;
    for (size_t i : fd.at) sel.push_back((*dx)[i]);
    KP_EXPECT_CLOSE(sel, fd.g, rtol, atol);
  }
  for (int i = 0; i < p->count; i++) {
    std::string name = p->items[i].name;
    SCOPED_TRACE("gradient of " + name);
    PMap q = pm;
    FD fd = fd_sampled(pm.at(name), [&](const Vec &v) {
      q[name] = v;
      return L(x, q);
    });
    auto got = grad_of(p, i);
    KP_EXPECT_CLOSE(got, fd.g, rtol, atol);
  }
}

/* Runs bwd(dx) twice: into zeros (result g1, dx1), then into random g0 / dx0, expecting g0 + g1 and dx0 + dx1. */
void check_accumulates(kp_params *p, const std::vector<int64_t> &xshape, const std::function<kp_status(kp_tensor *)> &bwd) {
  SCOPED_TRACE("backward accumulates");
  T dx1(KP_F32, xshape);
  ASSERT_EQ(kp_params_zero_grad(p), KP_OK);
  KP_ASSERT_OK(bwd(&dx1));
  auto g1 = host(&p->grad);
  auto g0 = uniform(g1.size(), 999, -1, 1);
  kp_tensor hg = kp_tensor_wrap(g0.data(), KP_F32, kp_cpu(), 1, p->grad.shape);
  KP_ASSERT_OK(kp_tensor_copy(&p->grad, &hg));
  T dx = rand_f32(xshape, 998);
  auto dx0 = dx.vec();
  KP_ASSERT_OK(bwd(&dx));
  Vec wg(g1.size()), wx(dx0.size());
  for (size_t i = 0; i < g1.size(); i++) wg[i] = (double)g0[i] + g1[i];
  for (size_t i = 0; i < dx0.size(); i++) wx[i] = (double)dx0[i] + dx1.vec()[i];
  KP_EXPECT_CLOSE(host(&p->grad), wg, 1e-6, 1e-6);
  KP_EXPECT_CLOSE(dx.vec(), wx, 1e-6, 1e-6);
}

/* ---- one layer ---------------------------------------------------------------------------- */

void conv_case(const kp_conv_opts &o, const Graph &G, bool training = false, uint32_t seed = 1) {
  SCOPED_TRACE(std::string(kp_conv_type_name(o.type)) + " in " + std::to_string(o.in_dim) + " out " +
               std::to_string(o.out_dim) + " heads " + std::to_string(o.heads) + (o.concat ? " concat" : " mean"));
  kp_params P;
  kp_params_init(&P, kp_cpu());
  kp_conv c;
  KP_ASSERT_OK(kp_conv_init(&c, &P, "", &o));
  KP_ASSERT_OK(kp_params_alloc(&P));
  randomize(&P, seed);
  Gg gg(G, kp_conv_graph_flags(&o));
  int64_t n = G.n;
  T x = rand_f32({n, o.in_dim}, seed + 5), y(KP_F32, {n, c.out_cols});
  uint64_t off = 40;
  KP_ASSERT_OK(kp_conv_fwd(&c, &P, &gg.g, &x, &y, training, 1234, &off));
  if (training && o.attn_dropout > 0) {
    EXPECT_TRUE(c.dropped);
    EXPECT_EQ(off, 40 + kp_philox_blocks((uint64_t)kp_tensor_numel(&c.alpha)));
  }
  PMap pm = read_params(&P);
  Vec xd = x.dvec();
  auto f = [&](const Vec &xv, const PMap &q) { return conv_ref(G, xv, q, "", c); };
  KP_EXPECT_CLOSE(y.vec(), f(xd, pm), 1e-5, 1e-6);
  Vec dy = rand_d((size_t)n * c.out_cols, seed + 9);
  T tdy = tensor({n, c.out_cols}, dy);
  T dx(KP_F32, {n, o.in_dim});
  KP_ASSERT_OK(kp_params_zero_grad(&P));
  KP_ASSERT_OK(kp_conv_bwd(&c, &P, &gg.g, &x, &tdy, &dx));
  auto dxv = dx.vec();
  check_fd(&P, xd, &dxv, pm, [&](const Vec &xv, const PMap &q) { return dot(dy, f(xv, q)); });
  check_accumulates(&P, {n, o.in_dim}, [&](kp_tensor *g) { return kp_conv_bwd(&c, &P, &gg.g, &x, &tdy, g); });
  kp_conv_free(&c);
  kp_params_free(&P);
}

kp_conv_opts opts(kp_conv_type t, int64_t in, int64_t out) { return kp_conv_defaults(t, in, out); }

}  // namespace

/* ---- GCN ------------------------------------------------------------------------------------- */

TEST(GnnGrad, GcnDefaultSelfLoopsTransformFirst) { conv_case(opts(KP_CONV_GCN, 6, 4), small_graph(false)); }
TEST(GnnGrad, GcnAggregateFirst) { conv_case(opts(KP_CONV_GCN, 3, 5), small_graph(false), false, 2); }
TEST(GnnGrad, GcnWeightedEdgesKeepGivenLoopWeight) { conv_case(opts(KP_CONV_GCN, 5, 4), small_graph(true), false, 3); }
TEST(GnnGrad, GcnWithoutSelfLoopsZeroDegree) {
  auto o = opts(KP_CONV_GCN, 4, 4);
  o.add_self_loops = false;
  conv_case(o, small_graph(true), false, 4);
}
TEST(GnnGrad, GcnUnnormalisedNoBias) {
  auto o = opts(KP_CONV_GCN, 4, 3);
  o.add_self_loops = false;
  o.normalize = false;
  o.bias = false;
  conv_case(o, small_graph(true), false, 5);
  conv_case(o, small_graph(false), false, 6);
}

/* ---- SAGE ------------------------------------------------------------------------------------ */

TEST(GnnGrad, SageMeanAggregateFirst) { conv_case(opts(KP_CONV_SAGE, 3, 5), small_graph(false), false, 7); }
TEST(GnnGrad, SageMeanTransformFirst) { conv_case(opts(KP_CONV_SAGE, 6, 4), small_graph(false), false, 8); }
TEST(GnnGrad, SageNoRootWeightNoBias) {
  auto o = opts(KP_CONV_SAGE, 4, 4);
  o.root_weight = false;
  o.bias = false;
  conv_case(o, small_graph(false), false, 9);
}

/* ---- GAT ------------------------------------------------------------------------------------- */

TEST(GnnGrad, GatOneHead) { conv_case(opts(KP_CONV_GAT, 5, 4), small_graph(false), false, 10); }
TEST(GnnGrad, GatTwoHeadsConcat) {
  auto o = opts(KP_CONV_GAT, 5, 3);
  o.heads = 2;
  conv_case(o, small_graph(false), false, 11);
}
TEST(GnnGrad, GatThreeHeadsMean) {
  auto o = opts(KP_CONV_GAT, 4, 3);
  o.heads = 3;
  o.concat = false;
  conv_case(o, small_graph(false), false, 12);
}
TEST(GnnGrad, GatNoSelfLoopsEmptyRowsResidual) {
  auto o = opts(KP_CONV_GAT, 4, 2);
  o.heads = 2;
  o.add_self_loops = false;
  o.residual = true;
  conv_case(o, small_graph(false), false, 13);
  o.concat = false;
  conv_case(o, small_graph(false), false, 14);
}
TEST(GnnGrad, GatAttentionDropoutInTraining) {
  auto o = opts(KP_CONV_GAT, 4, 3);
  o.heads = 2;
  o.attn_dropout = 0.4f;
  conv_case(o, small_graph(false), true, 15);
  o.concat = false;
  o.negative_slope = 0.1f;
  conv_case(o, small_graph(false), true, 16);
}
TEST(GnnGrad, GatEvalModeIgnoresAttentionDropout) {
  auto o = opts(KP_CONV_GAT, 4, 3);
  o.heads = 2;
  o.attn_dropout = 0.5f;
  conv_case(o, small_graph(false), false, 17); /* reference without dropout */
}

/* ---- readout + head --------------------------------------------------------------------------- */

TEST(GnnGrad, HeadReadoutsAndMlp) {
  Graph G = batch_graph();
  for (kp_reduce r : {KP_REDUCE_SUM, KP_REDUCE_MEAN, KP_REDUCE_MAX})
    for (int layers : {1, 2}) {
      SCOPED_TRACE(std::string("readout ") + kp_reduce_name(r) + ", layers " + std::to_string(layers));
      kp_params P;
      kp_params_init(&P, kp_cpu());
      kp_head h;
      KP_ASSERT_OK(kp_head_init(&h, &P, "head", r, layers, 5, 4, 3, KP_ACT_TANH, 0.0f, 0.3f));
      KP_ASSERT_OK(kp_params_alloc(&P));
      randomize(&P, 20 + layers);
      Gg gg(G, 0);
      T x = rand_f32({8, 5}, 21), y(KP_F32, {3, 3});
      uint64_t off = 0;
      bool training = layers == 2; /* dropout on the 2-layer head */
      KP_ASSERT_OK(kp_head_fwd(&h, &P, &gg.g, &x, &y, training, 99, &off));
      EXPECT_EQ(off > 0, training);
      PMap pm = read_params(&P);
      auto f = [&](const Vec &xv, const PMap &q) { return head_ref(G, xv, q, h); };
      KP_EXPECT_CLOSE(y.vec(), f(x.dvec(), pm), 1e-5, 1e-6);
      Vec dy = rand_d(9, 22);
      T tdy = tensor({3, 3}, dy), dx(KP_F32, {8, 5});
      KP_ASSERT_OK(kp_params_zero_grad(&P));
      KP_ASSERT_OK(kp_head_bwd(&h, &P, &gg.g, &x, &tdy, &dx));
      auto dxv = dx.vec();
      check_fd(&P, x.dvec(), &dxv, pm, [&](const Vec &xv, const PMap &q) { return dot(dy, f(xv, q)); });
      check_accumulates(&P, {8, 5}, [&](kp_tensor *g) { return kp_head_bwd(&h, &P, &gg.g, &x, &tdy, g); });
      kp_head_free(&h);
      kp_params_free(&P);
    }
}

/* ---- models ------------------------------------------------------------------------------------ */

namespace {

/* Full model: forward (training with dropout), cross-entropy, backward vs FD of the reference loss. */
void model_case(const kp_gnn_config &cfg, const Graph &G, const std::vector<int32_t> &targets, const Vec &cw,
                uint32_t seed) {
  SCOPED_TRACE(std::string(kp_conv_type_name(cfg.conv)) + (cfg.task == KP_GNN_NODE ? " node" : " graph") +
               " model");
  kp_gnn m;
  KP_ASSERT_OK(kp_gnn_init(&m, &cfg, kp_cpu()));
  randomize(&m.params, seed, 0.5f);
  m.drop_seed = 4321;
  m.drop_offset = 7;
  Gg gg(G, kp_gnn_graph_flags(&cfg));
  T x = rand_f32({G.n, cfg.in_dim}, seed + 1);
  T tt = T::i32({(int64_t)targets.size()}, targets);
  T tw = cw.empty() ? T() : tensor({cfg.num_classes}, cw);
  const kp_tensor *pw = cw.empty() ? nullptr : &tw;
  KP_ASSERT_OK(kp_gnn_forward(&m, &gg.g, &x, true));
  EXPECT_GT(m.drop_offset, 7u) << "training dropout advances the offset";
  float loss = 0;
  KP_ASSERT_OK(kp_gnn_loss(&m, &tt, pw, &loss));
  PMap pm = read_params(&m.params);
  auto L = [&](const Vec &xv, const PMap &q) { return ce_ref(model_ref(G, xv, q, m), targets, cw, (int)cfg.num_classes); };
  KP_EXPECT_CLOSE(host(&m.logits), model_ref(G, x.dvec(), pm, m), 1e-5, 1e-6);
  EXPECT_NEAR(loss, L(x.dvec(), pm), 1e-5 * std::max(1.0, std::fabs(L(x.dvec(), pm))));
  T dx(KP_F32, {G.n, cfg.in_dim});
  KP_ASSERT_OK(kp_params_zero_grad(&m.params));
  KP_ASSERT_OK(kp_gnn_backward(&m, &tt, pw, &dx));
  auto dxv = dx.vec();
  check_fd(&m.params, x.dvec(), &dxv, pm, L, 2e-4, 2e-5);
  check_accumulates(&m.params, {G.n, cfg.in_dim}, [&](kp_tensor *g) { return kp_gnn_backward(&m, &tt, pw, g); });
  kp_gnn_free(&m);
}

}  // namespace

TEST(GnnModel, NodeGcnTwoLayersWithDropout) {
  auto cfg = kp_gnn_config_default(KP_GNN_NODE, KP_CONV_GCN, 5, 3);
  cfg.hidden = 6;
  cfg.act = KP_ACT_TANH; /* smooth, so finite differences never straddle a kink */
  model_case(cfg, small_graph(false), {0, 2, KP_GNN_IGNORE, 1, 1, KP_GNN_IGNORE, 2, 0}, {}, 30);
}

TEST(GnnModel, NodeGatThreeLayersClassWeights) {
  auto cfg = kp_gnn_config_default(KP_GNN_NODE, KP_CONV_GAT, 4, 3);
  cfg.num_layers = 3;
  cfg.hidden = 3;
  cfg.heads = 2;
  cfg.out_heads = 2;
  cfg.input_dropout = 0.2f;
  cfg.dropout = 0.3f;
  cfg.attn_dropout = 0.25f;
  model_case(cfg, small_graph(false), {1, 0, 2, 2, KP_GNN_IGNORE, 0, 1, 1}, {0.5, 2.0, 1.0}, 31);
}

TEST(GnnModel, NodeSageOneLayer) {
  auto cfg = kp_gnn_config_default(KP_GNN_NODE, KP_CONV_SAGE, 5, 4);
  cfg.num_layers = 1;
  model_case(cfg, small_graph(false), {3, 2, 1, 0, 0, 1, 2, 3}, {}, 32);
}

TEST(GnnModel, GraphSageMaxReadoutTwoLayerHead) {
  auto cfg = kp_gnn_config_default(KP_GNN_GRAPH, KP_CONV_SAGE, 4, 2);
  cfg.hidden = 5;
  cfg.act = KP_ACT_ELU;
  cfg.readout = KP_REDUCE_MAX;
  cfg.head_layers = 2;
  cfg.head_hidden = 4;
  model_case(cfg, batch_graph(), {1, 0, 1}, {}, 33);
}

TEST(GnnModel, GraphGcnMeanReadout) {
  auto cfg = kp_gnn_config_default(KP_GNN_GRAPH, KP_CONV_GCN, 4, 3);
  cfg.hidden = 5;
  cfg.act = KP_ACT_TANH;
  model_case(cfg, batch_graph(), {2, 0, 1}, {}, 34);
}

TEST(GnnModel, GraphGatSumReadout) {
  auto cfg = kp_gnn_config_default(KP_GNN_GRAPH, KP_CONV_GAT, 4, 2);
  cfg.hidden = 3;
  cfg.heads = 2;
  cfg.readout = KP_REDUCE_SUM;
  model_case(cfg, batch_graph(), {0, 1, 1}, {}, 35);
}

/* Eval mode draws nothing and is repeatable; the same (seed, offset) gives the same training output, and a new
 * offset a different one. Steps after the first allocate nothing from the system. */
TEST(GnnModel, DropoutStreamAndNoAllocationPerStep) {
  auto cfg = kp_gnn_config_default(KP_GNN_NODE, KP_CONV_GAT, 5, 3);
  cfg.hidden = 4;
  cfg.heads = 2;
  kp_gnn m;
  KP_ASSERT_OK(kp_gnn_init(&m, &cfg, kp_cpu()));
  kp_rng r = kp_rng_make(5);
  KP_ASSERT_OK(kp_gnn_reset_parameters(&m, &r));
  Graph G = small_graph(false);
  Gg gg(G, kp_gnn_graph_flags(&cfg));
  T x = rand_f32({8, 5}, 40);
  T tt = T::i32({8}, {0, 1, 2, 0, 1, 2, 0, 1});
  KP_ASSERT_OK(kp_gnn_forward(&m, &gg.g, &x, false));
  EXPECT_EQ(m.drop_offset, 0u);
  auto e1 = host(&m.logits);
  KP_ASSERT_OK(kp_gnn_forward(&m, &gg.g, &x, false));
  EXPECT_EQ(host(&m.logits), e1);
  KP_ASSERT_OK(kp_gnn_forward(&m, &gg.g, &x, true));
  auto t1 = host(&m.logits);
  uint64_t used = m.drop_offset;
  EXPECT_GT(used, 0u);
  m.drop_offset = 0;
  KP_ASSERT_OK(kp_gnn_forward(&m, &gg.g, &x, true));
  EXPECT_EQ(host(&m.logits), t1);
  EXPECT_EQ(m.drop_offset, used);
  KP_ASSERT_OK(kp_gnn_forward(&m, &gg.g, &x, true));
  EXPECT_NE(host(&m.logits), t1);
  EXPECT_NE(t1, e1);
  /* a training step, then more steps: no system allocation after the first */
  auto step = [&]() {
    KP_ASSERT_OK(kp_params_zero_grad(&m.params));
    KP_ASSERT_OK(kp_gnn_forward(&m, &gg.g, &x, true));
    KP_ASSERT_OK(kp_gnn_loss(&m, &tt, nullptr, nullptr));
    KP_ASSERT_OK(kp_gnn_backward(&m, &tt, nullptr, nullptr));
  };
  step();
  kp_pool_stats before, after;
  kp_pool_get_stats(kp_cpu(), &before);
  for (int i = 0; i < 3; i++) step();
  kp_pool_get_stats(kp_cpu(), &after);
  EXPECT_EQ(after.system_allocs, before.system_allocs);
  kp_gnn_free(&m);
}

/* ---- parameters --------------------------------------------------------------------------------- */

TEST(GnnParams, NamesShapesOffsetsAndInit) {
  auto cfg = kp_gnn_config_default(KP_GNN_GRAPH, KP_CONV_GAT, 10, 3);
  cfg.hidden = 4;
  cfg.heads = 2;
  cfg.head_layers = 2;
  cfg.head_hidden = 6;
  kp_gnn m;
  KP_ASSERT_OK(kp_gnn_init(&m, &cfg, kp_cpu()));
  const char *want[] = {"convs.0.lin.weight", "convs.0.att_src", "convs.0.att_dst", "convs.0.bias",
                        "convs.1.lin.weight", "convs.1.att_src", "convs.1.att_dst", "convs.1.bias",
                        "head.0.weight",      "head.0.bias",     "head.1.weight",   "head.1.bias"};
  ASSERT_EQ(m.params.count, 12);
  for (int i = 0; i < 12; i++) {
    EXPECT_STREQ(m.params.items[i].name, want[i]);
    EXPECT_EQ(kp_params_find(&m.params, want[i]), i);
    EXPECT_EQ(m.params.items[i].offset % KP_PARAM_ALIGN, 0);
    if (i) EXPECT_GE(m.params.items[i].offset, m.params.items[i - 1].offset + m.params.items[i - 1].numel);
  }
  EXPECT_EQ(kp_params_find(&m.params, "nope"), -1);
  const kp_param &att = m.params.items[1];
  EXPECT_EQ(att.ndim, 3);
  EXPECT_EQ(att.shape[0], 1);
  EXPECT_EQ(att.shape[1], 2);
  EXPECT_EQ(att.shape[2], 4);
  int64_t expect = 8 * 10 + 8 + 8 + 8 + 8 * 8 + 8 + 8 + 8 + 6 * 8 + 6 + 3 * 6 + 3;
  EXPECT_EQ(kp_params_numel(&m.params), expect);
  kp_rng r1 = kp_rng_make(11), r2 = kp_rng_make(11);
  KP_ASSERT_OK(kp_gnn_reset_parameters(&m, &r1));
  auto v1 = host(&m.params.data);
  KP_ASSERT_OK(kp_gnn_reset_parameters(&m, &r2));
  EXPECT_EQ(host(&m.params.data), v1) << "a seed fixes the initial values";
  PMap pm = read_params(&m.params);
  auto within = [&](const char *n, double bound) {
    double mx = 0;
    for (double v : pm[n]) mx = std::max(mx, std::fabs(v));
    EXPECT_LE(mx, bound) << n;
    EXPECT_GT(mx, 0.5 * bound) << n << " uses its range";
  };
  within("convs.0.lin.weight", std::sqrt(6.0 / (10 + 8)));
  within("convs.0.att_src", std::sqrt(6.0 / (2 + 4)));
  within("head.0.weight", 1 / std::sqrt(8.0));
  within("head.0.bias", 1 / std::sqrt(8.0));
  for (double v : pm["convs.1.bias"]) EXPECT_EQ(v, 0.0);
  /* the gaps between entries stay zero */
  std::vector<char> used((size_t)m.params.total, 0);
  for (int i = 0; i < m.params.count; i++)
    for (int64_t k = 0; k < m.params.items[i].numel; k++) used[(size_t)(m.params.items[i].offset + k)] = 1;
  for (size_t k = 0; k < v1.size(); k++)
    if (!used[k]) EXPECT_EQ(v1[k], 0.0f) << "gap " << k;
  kp_gnn_free(&m);
}

TEST(GnnParams, SageAndGcnNames) {
  for (auto conv : {KP_CONV_GCN, KP_CONV_SAGE}) {
    auto cfg = kp_gnn_config_default(KP_GNN_NODE, conv, 7, 3);
    kp_gnn m;
    KP_ASSERT_OK(kp_gnn_init(&m, &cfg, kp_cpu()));
    std::vector<std::string> names;
    for (int i = 0; i < m.params.count; i++) names.push_back(m.params.items[i].name);
    if (conv == KP_CONV_GCN)
      EXPECT_EQ(names, (std::vector<std::string>{"convs.0.lin.weight", "convs.0.bias", "convs.1.lin.weight",
                                                 "convs.1.bias"}));
    else
      EXPECT_EQ(names, (std::vector<std::string>{"convs.0.lin_l.weight", "convs.0.lin_l.bias", "convs.0.lin_r.weight",
                                                 "convs.1.lin_l.weight", "convs.1.lin_l.bias",
                                                 "convs.1.lin_r.weight"}));
    kp_gnn_free(&m);
  }
}

TEST(GnnParams, Errors) {
  kp_params P;
  kp_params_init(&P, kp_cpu());
  int64_t s[2] = {2, 3}, bad[2] = {2, 0};
  KP_ASSERT_OK(kp_params_add(&P, "a", 2, s, KP_INIT_ZEROS, 0, nullptr));
  EXPECT_EQ(kp_params_add(&P, "a", 2, s, KP_INIT_ZEROS, 0, nullptr), KP_ERR_INVALID);
  EXPECT_TRUE(has(kp_last_error(), "twice"));
  EXPECT_EQ(kp_params_add(&P, "b", 2, bad, KP_INIT_ZEROS, 0, nullptr), KP_ERR_INVALID);
  KP_ASSERT_OK(kp_params_alloc(&P));
  EXPECT_EQ(kp_params_add(&P, "c", 2, s, KP_INIT_ZEROS, 0, nullptr), KP_ERR_INVALID);
  float v[5] = {0};
  EXPECT_EQ(kp_params_set(&P, 0, v, 5), KP_ERR_INVALID);
  EXPECT_TRUE(has(kp_last_error(), "'a'"));
  kp_params_free(&P);
}

/* ---- errors ------------------------------------------------------------------------------------- */

TEST(GnnErrors, OptionsGraphsAndShapes) {
  kp_params P;
  kp_params_init(&P, kp_cpu());
  kp_conv c;
  auto o = opts(KP_CONV_GCN, 4, 3);
  o.normalize = false; /* with add_self_loops still true: PyG raises too */
  EXPECT_EQ(kp_conv_init(&c, &P, "convs.0", &o), KP_ERR_INVALID);
  EXPECT_TRUE(has(kp_last_error(), "add_self_loops")) << kp_last_error();
  auto og = opts(KP_CONV_GAT, 4, 3);
  og.heads = 0;
  EXPECT_EQ(kp_conv_init(&c, &P, "convs.0", &og), KP_ERR_INVALID);
  og.heads = 2;
  og.attn_dropout = 1.0f;
  EXPECT_EQ(kp_conv_init(&c, &P, "convs.0", &og), KP_ERR_INVALID);
  og.attn_dropout = 0.0f;
  KP_ASSERT_OK(kp_conv_init(&c, &P, "convs.0", &og));
  KP_ASSERT_OK(kp_params_alloc(&P));
  Graph G = small_graph(false);
  Gg plain(G, 0); /* no self loops or star graph built */
  T x = rand_f32({8, 4}, 1), y(KP_F32, {8, 6}), xbad = rand_f32({8, 5}, 2);
  uint64_t off = 0;
  EXPECT_EQ(kp_conv_fwd(&c, &P, &plain.g, &x, &y, false, 0, &off), KP_ERR_INVALID);
  EXPECT_TRUE(has(kp_last_error(), "lacks")) << kp_last_error();
  Gg full(G, kp_conv_graph_flags(&og));
  EXPECT_EQ(kp_conv_fwd(&c, &P, &full.g, &xbad, &y, false, 0, &off), KP_ERR_INVALID);
  EXPECT_TRUE(has(kp_last_error(), "x must be")) << kp_last_error();
  KP_EXPECT_OK(kp_conv_fwd(&c, &P, &full.g, &x, &y, false, 0, &off));
  kp_conv_free(&c);
  kp_params_free(&P);

  /* graphs: bad CSR and bad graph_ptr */
  kp_gnn_graph g;
  int32_t ip[3] = {0, 1, 2}, ix[2] = {1, 5}, ixok[2] = {1, 0}, ptr_bad[3] = {0, 3, 2};
  EXPECT_EQ(kp_gnn_graph_init(&g, kp_cpu(), 2, ip, ix, nullptr, 0, nullptr, 0), KP_ERR_INVALID);
  EXPECT_TRUE(has(kp_last_error(), "gnn graph")) << kp_last_error();
  EXPECT_EQ(kp_gnn_graph_init(&g, kp_cpu(), 2, ip, ixok, nullptr, 2, ptr_bad, 0), KP_ERR_INVALID);
  EXPECT_TRUE(has(kp_last_error(), "graph_ptr")) << kp_last_error();
  float wnan[2] = {1.0f, NAN};
  EXPECT_EQ(kp_gnn_graph_init(&g, kp_cpu(), 2, ip, ixok, wnan, 0, nullptr, 0), KP_ERR_INVALID);

  /* models: bad configs, graph task without graph_ptr, backward before forward */
  auto cfg = kp_gnn_config_default(KP_GNN_GRAPH, KP_CONV_SAGE, 4, 2);
  kp_gnn m;
  cfg.dropout = 1.0f;
  EXPECT_EQ(kp_gnn_init(&m, &cfg, kp_cpu()), KP_ERR_INVALID);
  EXPECT_TRUE(has(kp_last_error(), "dropout")) << kp_last_error();
  cfg.dropout = 0.5f;
  cfg.head_layers = 0;
  EXPECT_EQ(kp_gnn_init(&m, &cfg, kp_cpu()), KP_ERR_INVALID);
  EXPECT_TRUE(has(kp_last_error(), "head_layers")) << kp_last_error();
  cfg.head_layers = 1;
  KP_ASSERT_OK(kp_gnn_init(&m, &cfg, kp_cpu()));
  EXPECT_EQ(kp_gnn_backward_from(&m, &x, nullptr), KP_ERR_INVALID);
  Gg nobatch(G, 0);
  EXPECT_EQ(kp_gnn_forward(&m, &nobatch.g, &x, false), KP_ERR_INVALID);
  EXPECT_TRUE(has(kp_last_error(), "graph_ptr")) << kp_last_error();
  kp_gnn_free(&m);
}
