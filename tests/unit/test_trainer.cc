// kprca-train's engine (trainer.h): determinism (same seed, same weights bit for bit; another seed
// differs), resume from a checkpoint ends bit-identical to an uninterrupted run, early stopping and
// restore of the best weights, first-layer weight decay, graph mini-batches, learning on small
// synthetic datasets, and the config/data errors.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "h5util.h"
#include "kprca/kprca.h"
#include "testutil.h"

namespace {

using kpt::TmpDir;

// A node-classification dataset: a stochastic block model of n nodes in c classes with noisy class features;
// 30% train, 20% val, the rest test (masks).
void write_node_dataset(const std::string &path, int n = 240, int c = 3, int f = 8, uint64_t seed = 5) {
  kp_rng r = kp_rng_make(seed);
  std::vector<int32_t> y(n);
  std::vector<int8_t> tr(n), va(n), te(n);
  std::vector<float> centre(c * f), x((size_t)n * f);
  for (auto &v : centre) v = kp_rng_normal(&r);
  for (int i = 0; i < n; i++) {
    y[i] = (int32_t)kp_rng_below(&r, c);
    float u = kp_rng_uniform(&r);
    tr[i] = u < 0.3f, va[i] = u >= 0.3f && u < 0.5f, te[i] = u >= 0.5f;
    for (int j = 0; j < f; j++) x[(size_t)i * f + j] = 0.4f * centre[y[i] * f + j] + kp_rng_normal(&r);
  }
  std::vector<std::vector<int32_t>> in(n);
  for (int i = 0; i < n; i++)
    for (int j = i + 1; j < n; j++) {
      double p = y[i] == y[j] ? 6.0 * c / n : 1.0 * c / n;
      if (kp_rng_uniform(&r) < p) in[i].push_back(j), in[j].push_back(i);
    }
  std::vector<int32_t> indptr(n + 1, 0), indices;
  for (int i = 0; i < n; i++) {
    for (int s : in[i]) indices.push_back(s);
    indptr[i + 1] = (int32_t)indices.size();
  }
  std::vector<std::string> names;
  for (int k = 0; k < c; k++) names.push_back("cause_" + std::to_string(k));
  std::vector<const char *> np;
  for (auto &s : names) np.push_back(s.c_str());
  kp_graph_data g{};
  g.task = KP_TASK_NODE;
  g.num_nodes = n, g.num_features = f, g.num_edges = (int64_t)indices.size();
  g.x = x.data(), g.indptr = indptr.data(), g.indices = indices.data(), g.y = y.data();
  g.train_mask = tr.data(), g.val_mask = va.data(), g.test_mask = te.data();
  ASSERT_EQ(kp_strings_copy(&g.label_names, c, np.data()), KP_OK);
  EXPECT_EQ(kp_graph_data_save(path.c_str(), &g), KP_OK) << kp_last_error();
  kp_strings_free(&g.label_names);
}

// A graph-classification dataset: G small graphs (4..9 nodes, a path plus random chords), class k shifts the
// features of a "root-cause" node; graph_split 70/15/15 by position; optional edge weights.
void write_graph_dataset(const std::string &path, int G = 90, int c = 3, int f = 6, bool weights = false) {
  kp_rng r = kp_rng_make(11);
  std::vector<int32_t> gp{0}, gy(G), indptr{0}, indices;
  std::vector<int8_t> gs(G);
  std::vector<float> x, w;
  for (int g = 0; g < G; g++) {
    int nn = 4 + (int)kp_rng_below(&r, 6), base = gp.back();
    gy[g] = g % c;
    gs[g] = g % 20 < 14 ? 0 : g % 20 < 17 ? 1 : 2;
    for (int i = 0; i < nn; i++) {
      for (int j = 0; j < f; j++) x.push_back(0.5f * kp_rng_normal(&r) + (i == 0 && j == gy[g] ? 2.0f : 0.0f));
      std::vector<int32_t> src;
      if (i > 0) src.push_back(base + i - 1);
      if (i + 1 < nn) src.push_back(base + i + 1);
      if (i > 1 && kp_rng_uniform(&r) < 0.3f) src.push_back(base);
      for (int s : src) indices.push_back(s), w.push_back(0.5f + kp_rng_uniform(&r));
      indptr.push_back((int32_t)indices.size());
    }
    gp.push_back(base + nn);
  }
  std::vector<const char *> names{"oom", "gpu_xid", "nfs_hang", "ecc", "lockup"};
  kp_graph_data d{};
  d.task = KP_TASK_GRAPH;
  d.num_nodes = gp.back(), d.num_features = f, d.num_edges = (int64_t)indices.size(), d.num_graphs = G;
  d.x = x.data(), d.indptr = indptr.data(), d.indices = indices.data();
  d.edge_weight = weights ? w.data() : nullptr;
  d.graph_ptr = gp.data(), d.graph_y = gy.data(), d.graph_split = gs.data();
  ASSERT_EQ(kp_strings_copy(&d.label_names, c, names.data()), KP_OK);
  EXPECT_EQ(kp_graph_data_save(path.c_str(), &d), KP_OK) << kp_last_error();
  kp_strings_free(&d.label_names);
}

struct Cfg {
  kp_config *c = nullptr;
  Cfg(const std::string &data, const std::string &out, std::vector<std::string> kv) {
    if (kp_config_new(&c) != KP_OK) throw std::runtime_error(kp_last_error());
    kv.insert(kv.begin(), {"data.path=" + data, "output.dir=" + out, "train.progress=none", "device=cpu"});
    for (auto &s : kv)
      if (kp_config_override(c, s.c_str(), "test") != KP_OK) throw std::runtime_error(kp_last_error());
    if (kp_config_finish(c) != KP_OK) throw std::runtime_error(kp_last_error());
  }
  ~Cfg() { kp_config_free(c); }
};

struct Trainer {
  kp_trainer *t = nullptr;
  kp_status s;
  explicit Trainer(const Cfg &c) { s = kp_trainer_create(c.c, &t); }
  ~Trainer() { kp_trainer_free(t); }
  std::vector<float> weights() const {
    const kp_params *p = kp_trainer_params(t);
    const float *d = (const float *)p->data.data;
    return std::vector<float>(d, d + p->total);
  }
};

bool same_bits(const std::vector<float> &a, const std::vector<float> &b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0;
}

const std::vector<std::string> kGat = {
    "model.name=gat",         "model.task=graph",     "model.hidden=8",       "model.heads=2",      "model.dropout=0.3",
    "model.attn_dropout=0.3", "model.activation=elu", "model.head_layers=2",  "data.batch_size=16", "optim.lr=0.01",
    "train.epochs=10",        "train.patience=3",     "train.monitor=val_acc"};

std::vector<float> train_weights(const std::string &data, const std::string &out, std::vector<std::string> kv) {
  Cfg c(data, out, kv);
  Trainer t(c);
  EXPECT_EQ(t.s, KP_OK) << kp_last_error();
  if (t.s != KP_OK) return {};
  kp_fit_result r;
  EXPECT_EQ(kp_trainer_fit(t.t, nullptr, &r), KP_OK) << kp_last_error();
  return t.weights();
}

TEST(Trainer, SameSeedSameWeightsNodeGcn) {
  TmpDir d;
  write_node_dataset(d / "n.h5");
  std::vector<std::string> kv = {"model.name=gcn", "model.hidden=8",          "train.epochs=15",
                                 "train.seed=4",   "optim.weight_decay=5e-4", "optim.weight_decay_scope=first_layer"};
  auto a = train_weights(d / "n.h5", d.path, kv), b = train_weights(d / "n.h5", d.path, kv);
  ASSERT_FALSE(a.empty());
  EXPECT_TRUE(same_bits(a, b));
  kv.push_back("train.seed=5");
  auto c = train_weights(d / "n.h5", d.path, kv);
  EXPECT_FALSE(same_bits(a, c));
}

TEST(Trainer, SameSeedSameWeightsGraphGatShuffled) {
  TmpDir d;
  write_graph_dataset(d / "g.h5");
  auto a = train_weights(d / "g.h5", d.path, kGat), b = train_weights(d / "g.h5", d.path, kGat);
  ASSERT_FALSE(a.empty());
  EXPECT_TRUE(same_bits(a, b));
  auto kv = kGat;
  kv.push_back("train.seed=1");
  EXPECT_FALSE(same_bits(a, train_weights(d / "g.h5", d.path, kv)));
  kv = kGat; /* only the data order differs: the weights still differ */
  kv.push_back("data.shuffle=false");
  EXPECT_FALSE(same_bits(a, train_weights(d / "g.h5", d.path, kv)));
}

// Train 10 epochs in one go, and 5 + a resume from the checkpoint to 10: the same weights, bit for bit.
void check_resume(const std::string &data, const std::vector<std::string> &kv) {
  TmpDir d;
  auto full = train_weights(data, d.path, kv);
  ASSERT_FALSE(full.empty());
  std::string ck = d / "half.h5";
  {
    Cfg c(data, d.path, kv);
    Trainer t(c);
    ASSERT_EQ(t.s, KP_OK) << kp_last_error();
    kp_fit_opts o{};
    o.stop_after_epoch = 5;
    kp_fit_result r;
    ASSERT_EQ(kp_trainer_fit(t.t, &o, &r), KP_OK) << kp_last_error();
    EXPECT_TRUE(r.interrupted);
    EXPECT_EQ(r.epochs_run, 5);
    ASSERT_EQ(kp_trainer_save_checkpoint(t.t, ck.c_str(), false), KP_OK) << kp_last_error();
  }
  Cfg c(data, d.path, kv);
  Trainer t(c);
  ASSERT_EQ(t.s, KP_OK) << kp_last_error();
  bool finished = true;
  ASSERT_EQ(kp_trainer_load_checkpoint(t.t, ck.c_str(), &finished), KP_OK) << kp_last_error();
  EXPECT_FALSE(finished);
  EXPECT_EQ(kp_trainer_epoch(t.t), 5);
  kp_fit_result r;
  ASSERT_EQ(kp_trainer_fit(t.t, nullptr, &r), KP_OK) << kp_last_error();
  EXPECT_FALSE(r.interrupted);
  EXPECT_TRUE(same_bits(full, t.weights()));
}

TEST(Trainer, ResumeIsBitIdenticalGraphGat) {
  TmpDir d;
  write_graph_dataset(d / "g.h5", 90, 3, 6, true);
  auto kv = kGat;
  kv.push_back("optim.schedule=cosine");
  kv.push_back("optim.warmup_steps=4");
  kv.push_back("optim.clip_norm=1.0");
  kv.push_back("train.restore_best=false"); /* the last epoch's weights: every epoch after the resume counts */
  check_resume(d / "g.h5", kv);
}

TEST(Trainer, ResumeIsBitIdenticalNodeSageSgd) {
  TmpDir d;
  write_node_dataset(d / "n.h5");
  check_resume(d / "n.h5", {"model.name=sage", "model.hidden=8", "optim.name=sgd", "optim.momentum=0.9",
                            "optim.lr=0.05", "train.epochs=10", "train.class_weights=balanced"});
}

TEST(Trainer, ResumeIsBitIdenticalNodeSageSampled) {
  TmpDir d;
  write_node_dataset(d / "n.h5");
  check_resume(d / "n.h5", {"model.name=sage", "model.hidden=8", "data.fanouts=[4,3]", "data.batch_size=16",
                            "train.epochs=10", "train.restore_best=false"});
}

TEST(Trainer, NeighbourSamplingLearnsAndIsSeeded) {
  TmpDir d;
  write_node_dataset(d / "n.h5");
  std::vector<std::string> kv = {"model.name=sage", "model.hidden=16", "data.fanouts=[5,5]", "data.batch_size=16",
                                 "train.epochs=30"};
  Cfg c(d / "n.h5", d.path, kv);
  Trainer t(c);
  ASSERT_EQ(t.s, KP_OK) << kp_last_error();
  kp_trainer_info in;
  kp_trainer_describe(t.t, &in);
  EXPECT_EQ(in.batches_per_epoch, (in.split_counts[0] + 15) / 16);
  kp_fit_result r;
  ASSERT_EQ(kp_trainer_fit(t.t, nullptr, &r), KP_OK) << kp_last_error();
  kp_split_eval e;
  ASSERT_EQ(kp_trainer_evaluate(t.t, KP_SPLIT_TEST, &e), KP_OK);
  EXPECT_GT(e.metrics.accuracy, 0.75) << "chance is 1/3";
  kp_split_eval_free(&e);
  EXPECT_TRUE(same_bits(t.weights(), train_weights(d / "n.h5", d.path, kv)));
  kv.push_back("data.fanouts=[2,2]"); /* other neighbourhoods, other weights */
  EXPECT_FALSE(same_bits(t.weights(), train_weights(d / "n.h5", d.path, kv)));
}

TEST(Trainer, EarlyStopRestoresBestWeights) {
  TmpDir d;
  write_node_dataset(d / "n.h5");
  /* a learning rate far too high makes the val loss bounce, so patience runs out */
  Cfg c(d / "n.h5", d.path,
        {"model.name=gcn", "model.hidden=16", "optim.lr=0.5", "train.epochs=200", "train.patience=3",
         "train.eval_every=2"});
  Trainer t(c);
  ASSERT_EQ(t.s, KP_OK) << kp_last_error();
  kp_fit_result r;
  ASSERT_EQ(kp_trainer_fit(t.t, nullptr, &r), KP_OK) << kp_last_error();
  ASSERT_TRUE(r.early_stopped);
  EXPECT_LT(r.epochs_run, 200);
  EXPECT_EQ(r.epochs_run - r.best_epoch, 3 * 2); /* three evaluations, two epochs apart, without improvement */
  kp_split_eval v;
  ASSERT_EQ(kp_trainer_evaluate(t.t, KP_SPLIT_VAL, &v), KP_OK) << kp_last_error();
  EXPECT_EQ(v.loss, r.best_metric); /* the weights are those of the best epoch */
  kp_split_eval_free(&v);
}

TEST(Trainer, LearnsNodeAndGraphTasks) {
  TmpDir d;
  write_node_dataset(d / "n.h5");
  write_graph_dataset(d / "g.h5");
  {
    Cfg c(d / "n.h5", d.path, {"model.name=gcn", "model.hidden=16", "train.epochs=60"});
    Trainer t(c);
    ASSERT_EQ(t.s, KP_OK) << kp_last_error();
    kp_fit_result r;
    ASSERT_EQ(kp_trainer_fit(t.t, nullptr, &r), KP_OK) << kp_last_error();
    kp_split_eval e;
    ASSERT_EQ(kp_trainer_evaluate(t.t, KP_SPLIT_TEST, &e), KP_OK);
    EXPECT_GT(e.metrics.accuracy, 0.8) << "chance is 1/3";
    kp_split_eval_free(&e);
  }
  auto kv = kGat;
  kv.push_back("train.epochs=40");
  kv.push_back("train.patience=0");
  Cfg c(d / "g.h5", d.path, kv);
  Trainer t(c);
  ASSERT_EQ(t.s, KP_OK) << kp_last_error();
  kp_fit_result r;
  ASSERT_EQ(kp_trainer_fit(t.t, nullptr, &r), KP_OK) << kp_last_error();
  kp_split_eval e;
  ASSERT_EQ(kp_trainer_evaluate(t.t, KP_SPLIT_TEST, &e), KP_OK);
  EXPECT_GT(e.metrics.accuracy, 0.8) << "chance is 1/3";
  EXPECT_EQ(e.n, 12); /* graphs 17, 18, 19 of every 20 */
  kp_split_eval_free(&e);
}

TEST(Trainer, FractionSplitIsStratifiedAndSeeded) {
  TmpDir d;
  write_graph_dataset(d / "g.h5");
  auto split_of = [&](const char *seed) {
    Cfg c(d / "g.h5", d.path, {"model.task=graph", "data.split=[0.6,0.2,0.2]", seed});
    Trainer t(c);
    EXPECT_EQ(t.s, KP_OK) << kp_last_error();
    int64_t n = 0;
    const int8_t *s = kp_trainer_split(t.t, &n);
    return std::vector<int8_t>(s, s + n);
  };
  auto a = split_of("train.seed=1"), b = split_of("train.seed=1"), c = split_of("train.seed=2");
  EXPECT_EQ(a, b);
  EXPECT_NE(a, c);
  int counts[3] = {0, 0, 0};
  for (int8_t s : a) counts[s]++;
  EXPECT_EQ(counts[0], 54);
  EXPECT_EQ(counts[1], 18);
  EXPECT_EQ(counts[2], 18);
}

TEST(Optimizer, FirstLayerWeightDecayTouchesOnlyTheFirstLayer) {
  kp_gnn_config mc = kp_gnn_config_default(KP_GNN_NODE, KP_CONV_GCN, 5, 3);
  kp_gnn m;
  ASSERT_EQ(kp_gnn_init(&m, &mc, kp_cpu()), KP_OK) << kp_last_error();
  kp_rng r = kp_rng_make(1);
  ASSERT_EQ(kp_gnn_reset_parameters(&m, &r), KP_OK);
  for (int i = 0; i < m.params.count; i++) { /* non-zero biases too */
    kp_tensor v = kp_params_value(&m.params, i);
    for (int64_t k = 0; k < v.shape[0] && m.params.items[i].ndim == 1; k++) ((float *)v.data)[k] = 0.5f;
  }
  std::vector<float> before((float *)m.params.data.data, (float *)m.params.data.data + m.params.total);
  kp_optimizer_opts o{};
  o.kind = KP_OPT_ADAM, o.beta1 = 0.9f, o.beta2 = 0.999f, o.eps = 1e-8f, o.weight_decay = 0.1f;
  o.decay_prefix = "convs.0.";
  kp_optimizer opt;
  ASSERT_EQ(kp_optimizer_init(&opt, &m.params, &o), KP_OK) << kp_last_error();
  ASSERT_EQ(kp_params_zero_grad(&m.params), KP_OK);
  ASSERT_EQ(kp_optimizer_step(&opt, &m.params, 0.01f, nullptr), KP_OK); /* gradient 0: only decay moves weights */
  const float *after = (const float *)m.params.data.data;
  for (int i = 0; i < m.params.count; i++) {
    const kp_param &e = m.params.items[i];
    bool first = std::string(e.name).rfind("convs.0.", 0) == 0;
    int changed = 0;
    for (int64_t k = 0; k < e.numel; k++) changed += after[e.offset + k] != before[e.offset + k];
    if (first)
      EXPECT_EQ(changed, e.numel) << e.name;
    else
      EXPECT_EQ(changed, 0) << e.name;
  }
  kp_optimizer_free(&opt);
  o.decay_prefix = "nope.";
  EXPECT_EQ(kp_optimizer_init(&opt, &m.params, &o), KP_ERR_INVALID);
  kp_gnn_free(&m);
}

/* optim.weight_decay_scope: weights — AdamW decays every entry but biases and LayerNorm (transformers' Trainer),
 * also within a name prefix; entries of either kind interleave in a BERT table, so the runs alternate. */
TEST(Optimizer, WeightsScopeSkipsBiasesAndLayerNorm) {
  const char *names[] = {"embeddings.word_embeddings.weight", "embeddings.LayerNorm.weight", "embeddings.LayerNorm.bias",
                         "encoder.layer.0.dense.weight", "encoder.layer.0.dense.bias", "encoder.layer.0.LayerNorm.weight",
                         "classifier.weight", "classifier.bias"};
  kp_params p;
  kp_params_init(&p, kp_cpu());
  for (const char *n : names) {
    int64_t shape[2] = {3, 5};
    bool vec = std::string(n).find("bias") != std::string::npos || std::string(n).find("LayerNorm") != std::string::npos;
    ASSERT_EQ(kp_params_add(&p, n, vec ? 1 : 2, vec ? shape + 1 : shape, KP_INIT_ONES, 0.0f, nullptr), KP_OK);
  }
  ASSERT_EQ(kp_params_alloc(&p), KP_OK) << kp_last_error();
  for (const char *prefix : {(const char *)nullptr, "encoder."}) {
    kp_rng r = kp_rng_make(1);
    ASSERT_EQ(kp_params_init_values(&p, &r), KP_OK) << kp_last_error(); /* all ones */
    ASSERT_EQ(kp_params_zero_grad(&p), KP_OK);
    kp_optimizer_opts o{};
    o.kind = KP_OPT_ADAMW, o.beta1 = 0.9f, o.beta2 = 0.999f, o.eps = 1e-8f, o.weight_decay = 0.1f;
    o.decay_prefix = prefix;
    o.decay_skip_bias_norm = true;
    kp_optimizer opt;
    ASSERT_EQ(kp_optimizer_init(&opt, &p, &o), KP_OK) << kp_last_error();
    ASSERT_EQ(kp_optimizer_step(&opt, &p, 0.01f, nullptr), KP_OK); /* gradient 0: only decay moves weights */
    const float *w = (const float *)p.data.data;
    for (int i = 0; i < p.count; i++) {
      std::string n = p.items[i].name;
      bool decayed = n.find("bias") == std::string::npos && n.find("LayerNorm") == std::string::npos &&
                     (!prefix || n.rfind(prefix, 0) == 0);
      for (int64_t k = 0; k < p.items[i].numel; k++) {
        if (decayed)
          ASSERT_NEAR(w[p.items[i].offset + k], 0.999f, 1e-6f) << n << " prefix " << (prefix ? prefix : "-");
        else
          ASSERT_EQ(w[p.items[i].offset + k], 1.0f) << n << " prefix " << (prefix ? prefix : "-");
      }
    }
    kp_optimizer_free(&opt);
  }
  kp_params_free(&p);
}

TEST(GraphBatch, ConcatenatesAndRenumbers) {
  TmpDir d;
  write_graph_dataset(d / "g.h5", 10, 3, 2, true);
  kp_graph_data g{};
  ASSERT_EQ(kp_graph_data_load((d / "g.h5").c_str(), &g), KP_OK) << kp_last_error();
  int32_t ids[3] = {7, 2, 5};
  kp_graph_batch b{};
  ASSERT_EQ(kp_graph_batch_gather(&b, &g, ids, 3), KP_OK) << kp_last_error();
  ASSERT_EQ(b.num_graphs, 3);
  int64_t node = 0, edge = 0;
  for (int k = 0; k < 3; k++) {
    int32_t a = g.graph_ptr[ids[k]], z = g.graph_ptr[ids[k] + 1];
    EXPECT_EQ(b.graph_ptr[k], node);
    EXPECT_EQ(b.y[k], g.graph_y[ids[k]]);
    for (int32_t i = a; i < z; i++, node++) {
      EXPECT_EQ(b.x[node * 2], g.x[(int64_t)i * 2]);
      ASSERT_EQ(b.indptr[node + 1] - b.indptr[node], g.indptr[i + 1] - g.indptr[i]);
      for (int32_t e = g.indptr[i]; e < g.indptr[i + 1]; e++, edge++) {
        EXPECT_EQ(b.indices[edge], g.indices[e] - a + b.graph_ptr[k]);
        EXPECT_EQ(b.edge_weight[edge], g.edge_weight[e]);
      }
    }
  }
  EXPECT_EQ(b.graph_ptr[3], node);
  EXPECT_EQ(b.num_nodes, node);
  EXPECT_EQ(b.num_edges, edge);
  int32_t bad = 10;
  EXPECT_EQ(kp_graph_batch_gather(&b, &g, &bad, 1), KP_ERR_INVALID);
  kp_graph_batch_free(&b);
  kp_graph_data_free(&g);
}

TEST(Trainer, ConfigAndDataErrors) {
  TmpDir d;
  write_node_dataset(d / "n.h5");
  write_graph_dataset(d / "g.h5");
  auto err = [&](const std::string &data, std::vector<std::string> kv, kp_status want, const char *part) {
    Cfg c(data, d.path, kv);
    Trainer t(c);
    EXPECT_EQ(t.s, want) << kp_last_error();
    EXPECT_TRUE(kpt::has(kp_last_error(), part)) << kp_last_error();
  };
  err(d / "g.h5", {}, KP_ERR_INVALID, "model.task is 'node'");
  err(d / "n.h5", {"model.task=graph"}, KP_ERR_INVALID, "model.task is 'graph'");
  err(d / "n.h5", {"model.name=mlp"}, KP_ERR_UNSUPPORTED, "mlp");
  err(d / "missing.h5", {}, KP_ERR_IO, "missing.h5");
  err(d / "n.h5", {"train.class_weights=[1,2]"}, KP_ERR_INVALID, "class_weights");
  err(d / "n.h5", {"optim.schedule=linear", "optim.warmup_steps=500", "train.epochs=10"}, KP_ERR_INVALID, "warmup");
  /* a checkpoint of another model shape */
  std::string ck = d / "ck.h5";
  {
    Cfg c(d / "n.h5", d.path, {"model.hidden=8", "train.epochs=1"});
    Trainer t(c);
    ASSERT_EQ(t.s, KP_OK) << kp_last_error();
    ASSERT_EQ(kp_trainer_save_checkpoint(t.t, ck.c_str(), false), KP_OK) << kp_last_error();
  }
  Cfg c(d / "n.h5", d.path, {"model.hidden=16", "train.epochs=1"});
  Trainer t(c);
  ASSERT_EQ(t.s, KP_OK);
  EXPECT_EQ(kp_trainer_load_checkpoint(t.t, ck.c_str(), nullptr), KP_ERR_INVALID);
  EXPECT_TRUE(kpt::has(kp_last_error(), "does not match")) << kp_last_error();
}

std::string progress_text(kp_progress_mode mode, int log_every, int epochs) {
  FILE *f = tmpfile();
  kp_progress p;
  kp_progress_init(&p, mode, f, log_every, "val_acc");
  for (int e = 1; e <= epochs; e++) {
    kp_epoch_log l{};
    l.epoch = e, l.epochs = epochs, l.train_loss = 1.0 / e, l.time_s = 0.5, l.items_per_s = 100;
    l.evaluated = true, l.val_accuracy = 0.5 + 0.01 * e;
    kp_progress_epoch(&p, &l);
  }
  kp_progress_end(&p);
  std::string s(4096, 0);
  rewind(f);
  s.resize(fread(&s[0], 1, s.size(), f));
  fclose(f);
  return s;
}

TEST(Progress, LinesEveryNEpochsBarRedrawnInPlace) {
  std::string lines = progress_text(KP_PROGRESS_LINES, 5, 12);
  /* epoch 1 (the first shown), 5, 10 and the last */
  EXPECT_EQ(std::count(lines.begin(), lines.end(), '\n'), 4) << lines;
  EXPECT_TRUE(kpt::has(lines, "epoch 10/12")) << lines;
  EXPECT_FALSE(kpt::has(lines, "epoch 11/12")) << lines;
  std::string bar = progress_text(KP_PROGRESS_BAR, 5, 12);
  EXPECT_EQ(std::count(bar.begin(), bar.end(), '\r'), 12);
  EXPECT_EQ(std::count(bar.begin(), bar.end(), '\n'), 1); /* one line, ended once */
  EXPECT_TRUE(kpt::has(bar, "val_acc 0.6200")) << bar;
  EXPECT_TRUE(kpt::has(bar, "ETA")) << bar;
  EXPECT_EQ(progress_text(KP_PROGRESS_NONE, 1, 3), "");
  EXPECT_EQ(kp_progress_mode_for("auto", nullptr), KP_PROGRESS_NONE);
  FILE *f = tmpfile();
  EXPECT_EQ(kp_progress_mode_for("auto", f), KP_PROGRESS_LINES); /* not a terminal */
  fclose(f);
}

TEST(RunDir, NeverReusesADirectory) {
  TmpDir d;
  char a[4096], b[4096], latest[4096];
  ASSERT_EQ(kp_rundir_create(d.path.c_str(), "gat", a, sizeof a), KP_OK) << kp_last_error();
  ASSERT_EQ(kp_rundir_create(d.path.c_str(), "gat", b, sizeof b), KP_OK) << kp_last_error();
  EXPECT_STRNE(a, b);
  EXPECT_EQ(kp_rundir_latest(d.path.c_str(), "gat", latest, sizeof latest), KP_ERR_IO); /* no checkpoints yet */
  ASSERT_EQ(kp_mkdirs((std::string(a) + "/checkpoints").c_str()), KP_OK);
  FILE *f = fopen((std::string(a) + "/checkpoints/latest").c_str(), "w");
  fputs("epoch-000001.h5\n", f);
  fclose(f);
  ASSERT_EQ(kp_rundir_latest(d.path.c_str(), "gat", latest, sizeof latest), KP_OK) << kp_last_error();
  EXPECT_STREQ(latest, a);
}

TEST(Report, EpochLineHasTheLoggedMetrics) {
  Cfg c("x.h5", "out", {"eval.metrics=[accuracy,weighted_recall]"});
  kp_metrics m{};
  m.accuracy = 0.75, m.weighted_recall = 0.5, m.macro_f1 = 0.25;
  kp_epoch_log l{};
  l.epoch = 3, l.step = 30, l.lr = 0.01, l.train_loss = 1.5, l.evaluated = true, l.val_loss = 1.25;
  l.val_accuracy = 0.75, l.val_macro_f1 = 0.25, l.val = &m, l.best_epoch = 2;
  char *j = kp_epoch_log_json(&l, c.c);
  ASSERT_NE(j, nullptr);
  std::string s(j);
  free(j);
  for (const char *k :
       {"\"epoch\":3", "\"step\":30", "\"lr\":0.01", "\"train_loss\":1.5", "\"val_loss\":1.25", "\"val_accuracy\":0.75",
        "\"val_macro_f1\":0.25", "\"val_weighted_recall\":0.5", "\"best_epoch\":2", "\"time_s\":"})
    EXPECT_TRUE(kpt::has(s, k)) << k << " in " << s;
  EXPECT_EQ(s.find('\n'), std::string::npos);
}

}  // namespace
