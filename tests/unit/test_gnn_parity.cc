// Parity with PyTorch Geometric: tests/fixtures/gnn/*.json hold PyG's outputs and gradients
// (written once by scripts/golden/gnn_parity.py) for GCNConv, SAGEConv, GATConv and whole
// node / graph classification models on small fixed graphs. kprca loads the same parameters
// by their state_dict names and must reproduce outputs, the loss and every gradient within
// 1e-5 relative (plus 1e-6 absolute for values near 0).
#include <cjson/cJSON.h>
#include <fstream>
#include <set>
#include <sstream>
#include "kprca/gnn.h"
#include "testutil.h"

using namespace kpt;

namespace {

constexpr double kRtol = 1e-5, kAtol = 1e-6;

struct Json {
  cJSON *root = nullptr;
  explicit Json(const std::string &name) {
    std::string path = std::string(KPRCA_SOURCE_DIR) + "/tests/fixtures/gnn/" + name + ".json";
    std::ifstream f(path);
    if (!f) throw std::runtime_error("cannot open " + path);
    std::stringstream ss;
    ss << f.rdbuf();
    root = cJSON_Parse(ss.str().c_str());
    if (!root) throw std::runtime_error("bad JSON in " + path);
  }
  ~Json() { cJSON_Delete(root); }
  Json(const Json &) = delete;
  Json &operator=(const Json &) = delete;
};

const cJSON *get(const cJSON *o, const char *key) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
  if (!v) throw std::runtime_error(std::string("fixture lacks '") + key + "'");
  return v;
}
bool has_key(const cJSON *o, const char *key) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
  return v && !cJSON_IsNull(v);
}
int64_t get_int(const cJSON *o, const char *key, int64_t dflt) {
  return has_key(o, key) ? (int64_t)get(o, key)->valuedouble : dflt;
}
bool get_bool(const cJSON *o, const char *key, bool dflt) {
  return has_key(o, key) ? cJSON_IsTrue(get(o, key)) : dflt;
}
std::string get_str(const cJSON *o, const char *key) { return get(o, key)->valuestring; }

std::vector<double> numbers(const cJSON *arr) {
  std::vector<double> v;
  const cJSON *it;
  cJSON_ArrayForEach(it, arr) v.push_back(it->valuedouble);
  return v;
}

struct Tensor {
  std::vector<int64_t> shape;
  std::vector<double> data;
};
Tensor tensor_of(const cJSON *t) {
  Tensor r;
  for (double d : numbers(get(t, "shape"))) r.shape.push_back((int64_t)d);
  r.data = numbers(get(t, "data"));
  return r;
}

/* The fixture's graph (edge_index [2, E] of source -> target) as a kprca graph, CSR rows = targets. */
struct FixtureGraph {
  kp_gnn_graph g{};
  FixtureGraph(const cJSON *root, unsigned flags) {
    int64_t n = get_int(root, "num_nodes", 0);
    const cJSON *ei = get(root, "edge_index");
    auto src = numbers(cJSON_GetArrayItem(ei, 0)), dst = numbers(cJSON_GetArrayItem(ei, 1));
    std::vector<double> w;
    if (has_key(root, "edge_weight")) w = numbers(get(root, "edge_weight"));
    std::vector<int32_t> ip(n + 1, 0), ix;
    std::vector<float> wf;
    for (int64_t i = 0; i < n; i++)
      for (size_t k = 0; k < src.size(); k++)
        if ((int64_t)dst[k] == i) {
          ix.push_back((int32_t)src[k]);
          if (!w.empty()) wf.push_back((float)w[k]);
          ip[i + 1]++;
        }
    for (int64_t i = 0; i < n; i++) ip[i + 1] += ip[i];
    std::vector<int32_t> ptr;
    if (has_key(root, "graph_ptr"))
      for (double d : numbers(get(root, "graph_ptr"))) ptr.push_back((int32_t)d);
    kp_status s = kp_gnn_graph_init(&g, kp_cpu(), n, ip.data(), ix.data(), w.empty() ? nullptr : wf.data(),
                                    ptr.empty() ? 0 : (int64_t)ptr.size() - 1, ptr.empty() ? nullptr : ptr.data(),
                                    flags);
    if (s != KP_OK) throw std::runtime_error(kp_last_error());
  }
  ~FixtureGraph() { kp_gnn_graph_free(&g); }
};

kp_conv_type conv_type(const std::string &s) {
  if (s == "gcn") return KP_CONV_GCN;
  if (s == "sage") return KP_CONV_SAGE;
  if (s == "gat") return KP_CONV_GAT;
  throw std::runtime_error("unknown conv " + s);
}

kp_act act_of(const std::string &s) {
  if (s == "relu") return KP_ACT_RELU;
  if (s == "elu") return KP_ACT_ELU;
  if (s == "tanh") return KP_ACT_TANH;
  throw std::runtime_error("unknown act " + s);
}

kp_reduce reduce_of(const std::string &s) {
  if (s == "sum") return KP_REDUCE_SUM;
  if (s == "mean") return KP_REDUCE_MEAN;
  if (s == "max") return KP_REDUCE_MAX;
  throw std::runtime_error("unknown readout " + s);
}

/* Loads every fixture parameter into p by name; the two name sets must be equal. */
void load_params(kp_params *p, const cJSON *params) {
  std::set<std::string> ours, theirs;
  for (int i = 0; i < p->count; i++) ours.insert(p->items[i].name);
  const cJSON *it;
  cJSON_ArrayForEach(it, params) theirs.insert(it->string);
  ASSERT_EQ(ours, theirs) << "kprca's parameter names differ from PyG's state_dict keys";
  cJSON_ArrayForEach(it, params) {
    Tensor t = tensor_of(it);
    int i = kp_params_find(p, it->string);
    ASSERT_EQ(kpt::shape_of(&p->data).size(), 1u);
    EXPECT_EQ(std::vector<int64_t>(p->items[i].shape, p->items[i].shape + p->items[i].ndim), t.shape)
        << it->string;
    std::vector<float> v(t.data.begin(), t.data.end());
    KP_ASSERT_OK(kp_params_set(p, i, v.data(), (int64_t)v.size()));
  }
}

/* Compares every parameter gradient with the fixture's grads. */
void check_param_grads(const kp_params *p, const cJSON *grads) {
  for (int i = 0; i < p->count; i++) {
    SCOPED_TRACE(std::string("gradient of ") + p->items[i].name);
    Tensor want = tensor_of(get(grads, p->items[i].name));
    std::vector<float> got((size_t)p->items[i].numel);
    KP_ASSERT_OK(kp_params_get(p, i, true, got.data(), (int64_t)got.size()));
    KP_EXPECT_CLOSE(got, want.data, kRtol, kAtol);
  }
}

std::vector<float> host(const kp_tensor *t) {
  std::vector<float> v((size_t)kp_tensor_numel(t));
  kp_tensor h = kp_tensor_wrap(v.data(), KP_F32, kp_cpu(), t->ndim, t->shape);
  if (kp_tensor_copy(&h, t) != KP_OK) throw std::runtime_error(kp_last_error());
  return v;
}

T tensor_f32(const Tensor &t) { return T::f32(t.shape, std::vector<float>(t.data.begin(), t.data.end())); }

void run_conv(const std::string &name) {
  Json j(name);
  const cJSON *o = get(j.root, "options");
  kp_conv_opts opts = kp_conv_defaults(conv_type(get_str(o, "conv")), get_int(o, "in", 0), get_int(o, "out", 0));
  opts.heads = (int)get_int(o, "heads", 1);
  opts.concat = get_bool(o, "concat", true);
  opts.add_self_loops = get_bool(o, "add_self_loops", true);
  opts.normalize = get_bool(o, "normalize", true);
  if (has_key(o, "negative_slope")) opts.negative_slope = (float)get(o, "negative_slope")->valuedouble;
  kp_params P;
  kp_params_init(&P, kp_cpu());
  kp_conv c;
  KP_ASSERT_OK(kp_conv_init(&c, &P, "", &opts));
  KP_ASSERT_OK(kp_params_alloc(&P));
  load_params(&P, get(j.root, "params"));
  FixtureGraph fg(j.root, kp_conv_graph_flags(&opts));
  Tensor xt = tensor_of(get(j.root, "x")), yt = tensor_of(get(j.root, "output")), dyt = tensor_of(get(j.root, "dy"));
  T x = tensor_f32(xt), y(KP_F32, yt.shape), dy = tensor_f32(dyt), dx(KP_F32, xt.shape);
  KP_ASSERT_OK(kp_conv_fwd(&c, &P, &fg.g, &x, &y, false, 0, nullptr));
  {
    SCOPED_TRACE("output");
    KP_EXPECT_CLOSE(y.vec(), yt.data, kRtol, kAtol);
  }
  KP_ASSERT_OK(kp_params_zero_grad(&P));
  KP_ASSERT_OK(kp_conv_bwd(&c, &P, &fg.g, &x, &dy, &dx));
  {
    SCOPED_TRACE("gradient of x");
    KP_EXPECT_CLOSE(dx.vec(), tensor_of(get(get(j.root, "grads"), "x")).data, kRtol, kAtol);
  }
  check_param_grads(&P, get(j.root, "grads"));
  kp_conv_free(&c);
  kp_params_free(&P);
}

void run_model(const std::string &name) {
  Json j(name);
  const cJSON *mo = get(j.root, "model");
  kp_gnn_task task = get_str(mo, "task") == "node" ? KP_GNN_NODE : KP_GNN_GRAPH;
  kp_gnn_config cfg = kp_gnn_config_default(task, conv_type(get_str(mo, "conv")), get_int(mo, "in_dim", 0),
                                            get_int(mo, "num_classes", 0));
  cfg.hidden = get_int(mo, "hidden", 0);
  cfg.num_layers = (int)get_int(mo, "num_layers", 2);
  cfg.heads = (int)get_int(mo, "heads", 1);
  cfg.out_heads = (int)get_int(mo, "out_heads", 1);
  cfg.act = act_of(get_str(mo, "act"));
  cfg.input_dropout = cfg.dropout = cfg.attn_dropout = 0.0f;
  if (task == KP_GNN_GRAPH) {
    cfg.readout = reduce_of(get_str(mo, "readout"));
    cfg.head_layers = (int)get_int(mo, "head_layers", 1);
    cfg.head_hidden = get_int(mo, "head_hidden", 1);
  }
  kp_gnn m;
  KP_ASSERT_OK(kp_gnn_init(&m, &cfg, kp_cpu()));
  load_params(&m.params, get(j.root, "params"));
  FixtureGraph fg(j.root, kp_gnn_graph_flags(&cfg));
  Tensor xt = tensor_of(get(j.root, "x"));
  std::vector<int32_t> targets;
  for (double d : numbers(get(j.root, "targets"))) targets.push_back((int32_t)d);
  T x = tensor_f32(xt), dx(KP_F32, xt.shape), tt = T::i32({(int64_t)targets.size()}, targets);
  KP_ASSERT_OK(kp_gnn_forward(&m, &fg.g, &x, false));
  {
    SCOPED_TRACE("logits");
    KP_EXPECT_CLOSE(host(&m.logits), tensor_of(get(j.root, "output")).data, kRtol, kAtol);
  }
  float loss = 0;
  KP_ASSERT_OK(kp_gnn_loss(&m, &tt, nullptr, &loss));
  double want = get(j.root, "loss")->valuedouble;
  EXPECT_NEAR(loss, want, kRtol * std::fabs(want) + kAtol) << "cross-entropy loss";
  KP_ASSERT_OK(kp_params_zero_grad(&m.params));
  KP_ASSERT_OK(kp_gnn_backward(&m, &tt, nullptr, &dx));
  {
    SCOPED_TRACE("gradient of x");
    KP_EXPECT_CLOSE(dx.vec(), tensor_of(get(get(j.root, "grads"), "x")).data, kRtol, kAtol);
  }
  check_param_grads(&m.params, get(j.root, "grads"));
  kp_gnn_free(&m);
}

}  // namespace

class GnnParityConv : public ::testing::TestWithParam<const char *> {};
TEST_P(GnnParityConv, MatchesPyG) { run_conv(GetParam()); }
INSTANTIATE_TEST_SUITE_P(Fixtures, GnnParityConv,
                         ::testing::Values("gcn_conv", "gcn_conv_weighted", "gcn_conv_no_loops", "sage_conv",
                                           "sage_conv_widen", "gat_conv_concat", "gat_conv_mean",
                                           "gat_conv_slope_no_loops"));

class GnnParityModel : public ::testing::TestWithParam<const char *> {};
TEST_P(GnnParityModel, MatchesPyG) { run_model(GetParam()); }
INSTANTIATE_TEST_SUITE_P(Fixtures, GnnParityModel,
                         ::testing::Values("node_gcn", "node_sage", "node_gat", "graph_gcn_mean", "graph_gat_sum_mlp",
                                           "graph_sage_max"));

/* The fixtures come from PyG itself: each names the versions that wrote it. */
TEST(GnnParityFixtures, RecordTheirOrigin) {
  for (const char *n : {"gcn_conv", "node_gat", "graph_gcn_mean"}) {
    Json j(n);
    EXPECT_FALSE(get_str(j.root, "torch_geometric").empty()) << n;
    EXPECT_FALSE(get_str(j.root, "torch").empty()) << n;
  }
}
