// Dataset builders over a small synthetic corpus (synth, 60 incidents, seed 3): incident event graphs,
// the case-similarity graph, kNN, hashed TF-IDF, the incident window, and kprca-prep build --kind lines
// (run as a tool, loaded back): invariants that a wrong builder breaks.
#include <sys/stat.h>
#include <unistd.h>
#include <cmath>
#include <cstdlib>
#include <map>
#include <set>
#include <string>
#include <vector>
#include "testutil.h"
#include "kprca/case_graph.h"
#include "kprca/incident_graph.h"
#include "kprca/incident_window.h"
#include "kprca/tfidf.h"

namespace {

struct Corpus {
  std::string dir;
  kp_incident_dir *d = nullptr;
};

Corpus &corpus() {
  static Corpus c = [] {
    Corpus k;
    char tmpl[] = "/tmp/kprca-igraph-XXXXXX";
    if (!mkdtemp(tmpl)) throw std::runtime_error("mkdtemp");
    k.dir = std::string(tmpl) + "/corpus";
    kp_synth_config cfg = kp_synth_config_default();
    cfg.incidents = 60, cfg.seed = 3;
    if (kp_synth_write_dir(&cfg, k.dir.c_str(), false, nullptr, nullptr, nullptr) != KP_OK ||
        kp_incident_open(k.dir.c_str(), nullptr, &k.d) != KP_OK)
      throw std::runtime_error(kp_last_error());
    return k;
  }();
  return c;
}

// Window event lines of incident i, their root flags.
void window_lines(const kp_incident_dir *d, int64_t i, double w, int64_t *lines, int64_t *roots) {
  kp_incident_log l;
  kp_incident_times t;
  ASSERT_EQ(kp_incident_load_timed(d, i, &l, &t), KP_OK) << kp_last_error();
  *lines = *roots = 0;
  for (int64_t k = 0; k < l.log->n; k++)
    if (kp_incident_is_event(&l.log->rec[k]) && l.log->rec[k].msg_len && kp_incident_in_window(&t, k, w))
      ++*lines, *roots += l.root[k];
  kp_incident_times_free(&t);
  kp_incident_log_clear(&l);
}

// Removes the corpus folder after the last test.
struct Cleanup : ::testing::Environment {
  void TearDown() override {
    Corpus &c = corpus();
    kp_incident_dir_free(c.d);
    c.d = nullptr;
    std::string root = c.dir.substr(0, c.dir.rfind('/'));
    if (root.rfind("/tmp/kprca-igraph-", 0) == 0) std::system(("rm -rf '" + root + "'").c_str());
  }
};
::testing::Environment *const cleanup_env = ::testing::AddGlobalTestEnvironment(new Cleanup);

}  // namespace

TEST(Tfidf, TermsRowsAndIdf) {
  kp_terms a{}, b{};
  KP_ASSERT_OK(kp_terms_add_text(&a, "EXT4-fs error (device <*>): ext4_find_entry", 40, 64));
  KP_ASSERT_OK(kp_terms_add_text(&b, "ext4-FS ERROR <*> 123 device ext4_find_entry", 44, 64));
  // words: ext4, fs, error, device, ext4_find_entry -> 5 words + 4 bigrams; numbers and <*> are no words
  EXPECT_EQ(a.n, 9);
  EXPECT_EQ(b.n, 9);
  std::multiset<uint32_t> ua(a.b, a.b + 3), ub(b.b, b.b + 3);  // ext4, fs, error: case-blind
  EXPECT_EQ(ua, ub);
  kp_idf f;
  KP_ASSERT_OK(kp_idf_init(&f, 64));
  kp_idf_add_doc(&f, &a);
  kp_idf_add_doc(&f, &a);
  kp_terms c{};
  KP_ASSERT_OK(kp_terms_add_text(&c, "nfs server not responding", 25, 64));
  kp_idf_add_doc(&f, &c);
  std::vector<float> w(64), row(64);
  kp_idf_weights(&f, w.data());
  EXPECT_NEAR(w[a.b[0]], std::log(4.0 / 3.0) + 1, 1e-6);  // in 2 of 3 documents, counted once per document
  EXPECT_NEAR(w[c.b[0]], std::log(4.0 / 2.0) + 1, 1e-6);
  kp_tfidf_row(&a, w.data(), 64, row.data());
  double ss = 0;
  for (float v : row) ss += (double)v * v;
  EXPECT_NEAR(ss, 1.0, 1e-5);
  kp_terms e{};
  kp_tfidf_row(&e, w.data(), 64, row.data());
  for (float v : row) EXPECT_EQ(v, 0.0f);
  kp_terms_free(&a), kp_terms_free(&b), kp_terms_free(&c);
  kp_idf_free(&f);
}

TEST(Knn, MatchesBruteForce) {
  const int64_t n = 700, f = 9;  // more rows than one sgemm block
  const int32_t k = 5;
  std::vector<float> x(n * f);
  uint32_t s = 7;
  for (auto &v : x) s = s * 1664525u + 1013904223u, v = (float)((s >> 8) % 1000) / 1000.0f - 0.3f;
  for (int64_t i = 0; i < n; i++) {
    double ss = 0;
    for (int64_t j = 0; j < f; j++) ss += x[i * f + j] * x[i * f + j];
    for (int64_t j = 0; j < f; j++) x[i * f + j] = (float)(x[i * f + j] / std::sqrt(ss));
  }
  for (int64_t j = 0; j < f; j++) x[3 * f + j] = x[1 * f + j];  // a duplicate: a tie broken by index
  std::vector<int32_t> nbr(n * k);
  KP_ASSERT_OK(kp_knn_cosine(x.data(), n, f, k, nbr.data()));
  for (int64_t i = 0; i < n; i++) {
    std::vector<std::pair<double, int32_t>> all;
    for (int64_t j = 0; j < n; j++) {
      if (j == i) continue;
      double d = 0;
      for (int64_t q = 0; q < f; q++) d += (double)x[i * f + q] * x[j * f + q];
      all.push_back({-d, (int32_t)j});
    }
    std::sort(all.begin(), all.end());
    for (int32_t q = 0; q < k; q++) {
      if (nbr[i * k + q] == all[q].second) continue;
      // a different neighbour is fine only when its similarity ties within float rounding
      double d = 0;
      for (int64_t r = 0; r < f; r++) d += (double)x[i * f + r] * x[nbr[i * k + q] * f + r];
      EXPECT_NEAR(-d, all[q].first, 1e-5) << "row " << i << " rank " << q;
    }
  }
  EXPECT_EQ(nbr[1 * k], 3);  // its duplicate first
  EXPECT_EQ(nbr[3 * k], 1);
  EXPECT_NE(kp_knn_cosine(x.data(), 5, f, 5, nbr.data()), KP_OK);  // k must be < n
}

TEST(IncidentWindow, RelativeTimesEndAtThePanic) {
  auto &c = corpus();
  int checked = 0;
  for (int64_t i = 0; i < c.d->n; i++) {
    kp_incident_log l;
    kp_incident_times t;
    KP_ASSERT_OK(kp_incident_load_timed(c.d, i, &l, &t));
    if (l.panic >= 0) {
      EXPECT_EQ(t.ref, l.panic);
      checked++;
    }
    EXPECT_EQ(t.rel[t.ref], 0.0);
    EXPECT_TRUE(t.wall);  // synth writes syslog stamps
    for (int64_t k = 0; k < t.n; k++) ASSERT_FALSE(std::isnan(t.rel[k]));
    for (int64_t k = 1; k <= t.ref; k++) ASSERT_LE(t.rel[k - 1], t.rel[k] + 1.0) << "line " << k;  // 1 s stamps
    kp_incident_times_free(&t);
    kp_incident_log_clear(&l);
  }
  EXPECT_GT(checked, 40);
}

class IncidentGraphs : public ::testing::Test {
 protected:
  static kp_incident_graphs ig;
  static kp_incident_graph_options o;
  static void SetUpTestSuite() {
    o = kp_incident_graph_defaults();
    o.window_s = 600, o.features = 32;
    ASSERT_EQ(kp_incident_graphs_build(corpus().d, &o, &ig), KP_OK) << kp_last_error();
  }
  static void TearDownTestSuite() { kp_incident_graphs_free(&ig); }
};
kp_incident_graphs IncidentGraphs::ig;
kp_incident_graph_options IncidentGraphs::o;

TEST_F(IncidentGraphs, ShapesLabelsAndCountsMatchTheLogs) {
  auto &c = corpus();
  const kp_graph_data &g = ig.g;
  ASSERT_EQ(g.num_graphs, c.d->n);
  EXPECT_EQ(g.num_features, 32 + KP_INCIDENT_GRAPH_EXTRA);
  KP_EXPECT_OK(kp_graph_data_validate(&g, "built"));
  int64_t total = 0;
  for (int64_t i = 0; i < g.num_graphs; i++) {
    EXPECT_EQ(g.graph_y[i], c.d->items[i].label);
    int64_t lines, roots;
    window_lines(c.d, i, o.window_s, &lines, &roots);
    // sum of node counts (log1p stored) = window lines; a flagged node exists iff a root line is in the window
    double cnt = 0;
    int flagged = 0;
    std::set<int32_t> tpl;
    for (int32_t v = g.graph_ptr[i]; v < g.graph_ptr[i + 1]; v++) {
      cnt += std::expm1((double)g.x[(int64_t)v * g.num_features + 32]);
      flagged += g.node_flag[v];
      EXPECT_TRUE(tpl.insert(ig.node_template[v]).second) << "a template twice in graph " << i;
      EXPECT_LE(g.x[(int64_t)v * g.num_features + 33], g.x[(int64_t)v * g.num_features + 34]);  // first <= last
    }
    if (lines > 0) EXPECT_NEAR(cnt, (double)lines, 1e-3 * lines) << "graph " << i;
    EXPECT_EQ(flagged > 0, roots > 0) << "graph " << i;
    EXPECT_LE(flagged, roots);
    total += lines;
    // succession counts: at most one per consecutive pair of lines, all inside the graph
    double wsum = 0;
    for (int32_t v = g.graph_ptr[i]; v < g.graph_ptr[i + 1]; v++)
      for (int32_t e = g.indptr[v]; e < g.indptr[v + 1]; e++) {
        EXPECT_GE(g.indices[e], g.graph_ptr[i]);
        EXPECT_LT(g.indices[e], g.graph_ptr[i + 1]);
        EXPECT_NE(g.indices[e], v);  // no self loops
        wsum += g.edge_weight[e];
      }
    EXPECT_LE(wsum, (double)(lines > 0 ? lines - 1 : 0));
    if (g.graph_ptr[i + 1] - g.graph_ptr[i] > 1) EXPECT_GT(wsum, 0);
  }
  EXPECT_EQ(ig.lines, total);
}

TEST_F(IncidentGraphs, DeterministicSeedOnlyMovesTheSplitAndRoundTrips) {
  auto &c = corpus();
  kp_incident_graphs b, s;
  KP_ASSERT_OK(kp_incident_graphs_build(c.d, &o, &b));
  kp_incident_graph_options o2 = o;
  o2.seed = 99;
  KP_ASSERT_OK(kp_incident_graphs_build(c.d, &o2, &s));
  const kp_graph_data &g = ig.g;
  ASSERT_EQ(b.g.num_nodes, g.num_nodes);
  EXPECT_EQ(0, memcmp(b.g.x, g.x, sizeof(float) * g.num_nodes * g.num_features));
  EXPECT_EQ(0, memcmp(b.g.indices, g.indices, sizeof(int32_t) * g.num_edges));
  EXPECT_EQ(0, memcmp(b.g.graph_split, g.graph_split, g.num_graphs));
  EXPECT_EQ(0, memcmp(s.g.x, g.x, sizeof(float) * g.num_nodes * g.num_features));
  EXPECT_NE(0, memcmp(s.g.graph_split, g.graph_split, g.num_graphs));
  std::string path = c.dir + "/../ig.h5";
  KP_ASSERT_OK(kp_incident_graphs_save(path.c_str(), &ig));
  kp_graph_data r;
  KP_ASSERT_OK(kp_graph_data_load(path.c_str(), &r));
  EXPECT_EQ(r.task, KP_TASK_GRAPH);
  EXPECT_EQ(0, memcmp(r.x, g.x, sizeof(float) * g.num_nodes * g.num_features));
  EXPECT_EQ(0, memcmp(r.node_flag, g.node_flag, g.num_nodes));
  kp_graph_data_free(&r);
  kp_h5 *h;
  KP_ASSERT_OK(kp_h5_open(path.c_str(), &h));
  kp_strings t{};
  KP_ASSERT_OK(kp_h5_read_strings(h, "templates", &t));
  int64_t shape[2];
  int32_t *nt = nullptr;
  KP_ASSERT_OK(kp_h5_read(h, "node_template", KP_H5_I32, 1, shape, (void **)&nt));
  ASSERT_EQ(shape[0], g.num_nodes);
  std::set<std::string> distinct;
  for (int64_t k = 0; k < t.n; k++) distinct.insert(t.s[k]);
  EXPECT_EQ((int64_t)distinct.size(), t.n);
  for (int64_t v = 0; v < g.num_nodes; v++) ASSERT_TRUE(nt[v] >= 0 && nt[v] < t.n);
  free(nt);
  kp_strings_free(&t);
  kp_h5_close(h);
  kp_incident_graphs_free(&b);
  kp_incident_graphs_free(&s);
}

TEST(CaseGraph, SymmetricKnnMasksAndDeterminism) {
  auto &c = corpus();
  kp_case_graph_options o = kp_case_graph_defaults();
  o.k = 4, o.features = 64;
  kp_graph_data g, b;
  KP_ASSERT_OK(kp_case_graph_build(c.d, &o, &g));
  ASSERT_EQ(g.num_nodes, c.d->n);
  std::map<std::pair<int32_t, int32_t>, float> w;
  for (int32_t i = 0; i < g.num_nodes; i++) {
    EXPECT_GE(g.indptr[i + 1] - g.indptr[i], o.k);
    EXPECT_EQ(g.train_mask[i] + g.val_mask[i] + g.test_mask[i], 1);
    EXPECT_EQ(g.y[i], c.d->items[i].label);
    bool none = c.d->items[i].n_root == 0;
    EXPECT_EQ(g.x[(int64_t)i * g.num_features + 64], none ? 1.0f : 0.0f);
    for (int32_t e = g.indptr[i]; e < g.indptr[i + 1]; e++) {
      EXPECT_NE(g.indices[e], i);
      w[{g.indices[e], i}] = g.edge_weight[e];
    }
  }
  for (auto &kv : w) {
    auto it = w.find({kv.first.second, kv.first.first});
    ASSERT_NE(it, w.end()) << "edge " << kv.first.first << "->" << kv.first.second << " has no reverse";
    EXPECT_EQ(it->second, kv.second);
    EXPECT_GE(kv.second, -1e-6f);
    EXPECT_LE(kv.second, 1 + 1e-5f);
  }
  KP_ASSERT_OK(kp_case_graph_build(c.d, &o, &b));
  EXPECT_EQ(0, memcmp(b.indices, g.indices, sizeof(int32_t) * g.num_edges));
  EXPECT_EQ(0, memcmp(b.test_mask, g.test_mask, g.num_nodes));
  kp_graph_data_free(&b);
  o.k = 60;  // as many neighbours as incidents
  EXPECT_EQ(kp_case_graph_build(c.d, &o, &b), KP_ERR_INVALID);
  kp_graph_data_free(&g);
}

TEST(LinesTool, SplitByIncidentCapsAndSeeds) {
  auto &c = corpus();
  std::string bin = std::string(KPRCA_BINARY_DIR) + "/bin/kprca-prep";
  if (access(bin.c_str(), X_OK) != 0) GTEST_SKIP() << bin << " not built";
  std::string out = c.dir + "/../", base = bin + " build --input " + c.dir + " --kind lines ";
  ASSERT_EQ(0, std::system((base + "--out " + out + "all.h5 > /dev/null").c_str()));
  ASSERT_EQ(0, std::system((base + "--out " + out + "cap.h5 --max-lines 5 --window-s 900 > /dev/null").c_str()));
  ASSERT_EQ(0, std::system((base + "--out " + out + "cap2.h5 --max-lines 5 --window-s 900 > /dev/null").c_str()));
  ASSERT_EQ(0, std::system((base + "--out " + out + "cap3.h5 --max-lines 5 --window-s 900 --seed 5 > /dev/null").c_str()));
  kp_lines_data all, cap, cap3;
  KP_ASSERT_OK(kp_lines_data_load((out + "all.h5").c_str(), &all));
  KP_ASSERT_OK(kp_lines_data_load((out + "cap.h5").c_str(), &cap));
  KP_ASSERT_OK(kp_lines_data_load((out + "cap3.h5").c_str(), &cap3));
  int64_t roots = 0;
  for (int64_t i = 0; i < c.d->n; i++) roots += c.d->items[i].n_root;
  int64_t lab1 = 0;
  std::map<int32_t, std::set<int>> splits;
  for (int64_t r = 0; r < all.n; r++) lab1 += all.label[r], splits[all.incident[r]].insert(all.split[r]);
  EXPECT_EQ(lab1, roots);  // window 0: every root-cause line, labelled 1
  for (auto &kv : splits) EXPECT_EQ(kv.second.size(), 1u) << "incident " << kv.first << " in two splits";
  EXPECT_EQ((int64_t)splits.size(), c.d->n);
  std::map<int32_t, int64_t> per, root_per;
  for (int64_t r = 0; r < cap.n; r++) per[cap.incident[r]]++, root_per[cap.incident[r]] += cap.label[r];
  for (int64_t i = 0; i < c.d->n; i++) {
    int64_t lines, rts;
    window_lines(c.d, i, 900, &lines, &rts);
    EXPECT_EQ(root_per[(int32_t)i], rts) << "every root-cause line in the window is kept";
    EXPECT_EQ(per[(int32_t)i], std::min(lines, std::max<int64_t>(5, rts))) << "incident " << i;
  }
  kp_lines_data cap2;  // same seed: the same dataset (HDF5 stamps object times, so not the same bytes)
  KP_ASSERT_OK(kp_lines_data_load((out + "cap2.h5").c_str(), &cap2));
  ASSERT_EQ(cap2.n, cap.n);
  for (int64_t r = 0; r < cap.n; r++) {
    ASSERT_STREQ(cap.text.s[r], cap2.text.s[r]);
    ASSERT_EQ(cap.label[r], cap2.label[r]);
    ASSERT_EQ(cap.incident[r], cap2.incident[r]);
    ASSERT_EQ(cap.split[r], cap2.split[r]);
  }
  kp_lines_data_free(&cap2);
  bool differ = cap3.n != cap.n;
  for (int64_t r = 0; !differ && r < cap.n; r++) differ = cap.split[r] != cap3.split[r] || strcmp(cap.text.s[r], cap3.text.s[r]);
  EXPECT_TRUE(differ);
  kp_lines_data_free(&all), kp_lines_data_free(&cap), kp_lines_data_free(&cap3);
}
