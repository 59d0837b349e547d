// kp_incident_featurize: a new incident becomes the graph kp_incident_graphs_build would have made of it.
// Over a small synthetic corpus (40 incidents, seed 5): every incident featurised alone, from the saved file's
// builder/ state, equals its row of the built file (nodes in order, x bit for bit, CSR, weights, flags), also
// when read as a raw log (the panic-line rule); unseen lines become new nodes; files without builder/ fail.
#include <sys/stat.h>
#include <unistd.h>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>
#include "testutil.h"
#include "kprca/incident_graph.h"
#include "kprca/incident_window.h"

namespace {

struct Built {
  std::string root, dir, h5;
  kp_incident_dir *d = nullptr;
  kp_incident_graphs ig{};
  kp_incident_graph_options o{};
};

Built &built() {
  static Built b = [] {
    Built k;
    char tmpl[] = "/tmp/kprca-ifeat-XXXXXX";
    if (!mkdtemp(tmpl)) throw std::runtime_error("mkdtemp");
    k.root = tmpl;
    k.dir = k.root + "/corpus";
    k.h5 = k.root + "/ig.h5";
    kp_synth_config cfg = kp_synth_config_default();
    cfg.incidents = 40, cfg.seed = 5;
    k.o = kp_incident_graph_defaults();
    k.o.window_s = 900, k.o.features = 48;
    if (kp_synth_write_dir(&cfg, k.dir.c_str(), false, nullptr, nullptr, nullptr) != KP_OK ||
        kp_incident_open(k.dir.c_str(), nullptr, &k.d) != KP_OK ||
        kp_incident_graphs_build(k.d, &k.o, &k.ig) != KP_OK || kp_incident_graphs_save(k.h5.c_str(), &k.ig) != KP_OK)
      throw std::runtime_error(kp_last_error());
    return k;
  }();
  return b;
}

struct Cleanup : ::testing::Environment {
  void TearDown() override {
    Built &b = built();
    kp_incident_dir_free(b.d);
    kp_incident_graphs_free(&b.ig);
    std::string cmd = "rm -rf '" + b.root + "'";
    if (system(cmd.c_str()) != 0) fprintf(stderr, "could not remove %s\n", b.root.c_str());
  }
};
const auto *cleanup = ::testing::AddGlobalTestEnvironment(new Cleanup);

// Graph i of the built file against the one-graph g: same nodes in the same order, same everything.
void expect_same_graph(const kp_graph_data &all, int64_t i, kp_graph_data &g) {
  int64_t a = all.graph_ptr[i], n = all.graph_ptr[i + 1] - a, F = all.num_features;
  ASSERT_EQ(g.num_graphs, 1);
  ASSERT_EQ(g.num_nodes, n) << "incident " << i;
  ASSERT_EQ(g.num_features, F);
  EXPECT_EQ(0, memcmp(g.x, all.x + a * F, sizeof(float) * (size_t)(n * F))) << "x of incident " << i;
  EXPECT_EQ(0, memcmp(g.node_flag, all.node_flag + a, (size_t)n)) << "node_flag of incident " << i;
  ASSERT_EQ(g.graph_ptr[0], 0);
  ASSERT_EQ(g.graph_ptr[1], n);
  int64_t e0 = all.indptr[a];
  ASSERT_EQ(g.num_edges, all.indptr[a + n] - e0) << "edges of incident " << i;
  for (int64_t v = 0; v <= n; v++) EXPECT_EQ(g.indptr[v], all.indptr[a + v] - e0);
  for (int64_t e = 0; e < g.num_edges; e++) {
    EXPECT_EQ(g.indices[e], all.indices[e0 + e] - a);
    EXPECT_EQ(g.edge_weight[e], all.edge_weight[e0 + e]);
  }
  int32_t y = g.graph_y[0];
  if (y < 0) g.graph_y[0] = 0;  // unknown label (-1): validate the rest
  KP_EXPECT_OK(kp_graph_data_validate(&g, "featurised"));
  g.graph_y[0] = y;
}

TEST(IncidentFeaturize, EveryIncidentAloneEqualsItsRowOfTheBuiltFile) {
  Built &b = built();
  kp_incident_featurizer *f;
  KP_ASSERT_OK(kp_incident_featurizer_open(b.h5.c_str(), &f));
  double w;
  int32_t F;
  kp_incident_featurizer_describe(f, &w, &F, nullptr);
  EXPECT_EQ(w, 900);
  EXPECT_EQ(F, 48);
  ASSERT_EQ(kp_incident_featurizer_labels(f)->n, b.ig.g.label_names.n);
  // in reverse order, so no incident is featurised after the ones before it in the corpus
  for (int64_t i = b.d->n - 1; i >= 0; i--) {
    kp_incident_log l;
    KP_ASSERT_OK(kp_incident_read(b.d, i, &l));
    kp_graph_data g;
    kp_incident_featurize_info info;
    KP_ASSERT_OK(kp_incident_featurize(f, &l, &g, &info));
    expect_same_graph(b.ig.g, i, g);
    EXPECT_EQ(g.graph_y[0], b.d->items[i].label);
    EXPECT_EQ(info.unseen_lines, 0);
    EXPECT_EQ(info.new_templates, 0);
    EXPECT_GT(info.lines, 0);
    kp_graph_data_free(&g);
    kp_incident_log_clear(&l);
  }
  kp_incident_featurizer_free(f);
}

TEST(IncidentFeaturize, RawLogFilesFindThePanicLineOfLabelsCsv) {
  Built &b = built();
  kp_incident_featurizer *f;
  KP_ASSERT_OK(kp_incident_featurizer_open(b.h5.c_str(), &f));
  int with_panic = 0;
  for (int64_t i = 0; i < b.d->n; i++) {
    kp_incident_log l;
    KP_ASSERT_OK(kp_incident_log_from_file(b.d->items[i].path, nullptr, &l));
    EXPECT_EQ(l.panic, b.d->items[i].panic_line - 1) << b.d->items[i].path;
    with_panic += l.panic >= 0;
    kp_graph_data g;
    KP_ASSERT_OK(kp_incident_featurize(f, &l, &g, nullptr));
    // node_flag needs labels.csv: compare everything else
    memcpy(g.node_flag, b.ig.g.node_flag + b.ig.g.graph_ptr[i], (size_t)g.num_nodes);
    expect_same_graph(b.ig.g, i, g);
    EXPECT_EQ(g.graph_y[0], -1);
    kp_graph_data_free(&g);
    kp_incident_log_clear(&l);
  }
  EXPECT_GT(with_panic, 20);
  kp_incident_featurizer_free(f);
}

TEST(IncidentFeaturize, UnseenLinesBecomeNewNodesAndKnownNodesKeepTheirRows) {
  Built &b = built();
  // incident 0 with two new lines (same new template) just before its panic line
  int64_t i = 0;
  while (b.d->items[i].panic_line == 0) i++;
  std::ifstream in(b.d->items[i].path);
  std::vector<std::string> lines;
  for (std::string s; std::getline(in, s);) lines.push_back(s);
  int64_t p = b.d->items[i].panic_line - 1;
  std::string panic = lines[p];
  // same header as the panic line, new text
  size_t at = panic.find("Kernel panic");
  ASSERT_NE(at, std::string::npos);
  std::string head = panic.substr(0, at);
  lines.insert(lines.begin() + p, head + "frobnicator quux zorbed widget alpha");
  lines.insert(lines.begin() + p, head + "frobnicator quux zorbed widget beta");
  std::string path = b.root + "/new.log";
  {
    std::ofstream out(path);
    for (auto &s : lines) out << s << "\n";
  }
  kp_incident_featurizer *f;
  KP_ASSERT_OK(kp_incident_featurizer_open(b.h5.c_str(), &f));
  kp_incident_log l;
  KP_ASSERT_OK(kp_incident_log_from_file(path.c_str(), nullptr, &l));
  EXPECT_EQ(l.panic, p + 2);
  kp_graph_data g;
  kp_incident_featurize_info info;
  KP_ASSERT_OK(kp_incident_featurize(f, &l, &g, &info));
  EXPECT_EQ(info.unseen_lines, 2);
  EXPECT_EQ(info.new_templates, 1);  // the two lines are one Drain cluster
  int64_t a = b.ig.g.graph_ptr[i], n = b.ig.g.graph_ptr[i + 1] - a, F = g.num_features, T = 48;
  ASSERT_EQ(g.num_nodes, n + 1);
  // the corpus' nodes keep their text columns (the new node is appended where its first line is)
  int64_t same = 0;
  for (int64_t u = 0; u < g.num_nodes; u++)
    for (int64_t v = 0; v < n; v++)
      if (!memcmp(g.x + u * F, b.ig.g.x + (a + v) * F, sizeof(float) * (size_t)T)) {
        same++;
        break;
      }
  EXPECT_EQ(same, n);
  EXPECT_EQ(g.graph_y[0], -1);
  g.graph_y[0] = 0;
  KP_EXPECT_OK(kp_graph_data_validate(&g, "new"));
  kp_graph_data_free(&g);
  kp_incident_log_clear(&l);
  kp_incident_featurizer_free(f);
}

TEST(IncidentFeaturize, FilesWithoutBuilderStateAreRefusedWithTheirName) {
  Built &b = built();
  std::string old = b.root + "/old.h5";
  KP_ASSERT_OK(kp_graph_data_save(old.c_str(), &b.ig.g));
  kp_incident_featurizer *f = nullptr;
  EXPECT_EQ(kp_incident_featurizer_open(old.c_str(), &f), KP_ERR_FORMAT);
  EXPECT_NE(std::string(kp_last_error()).find(old + ": no builder/ group"), std::string::npos) << kp_last_error();
  EXPECT_EQ(f, nullptr);
  // old files still load as datasets
  kp_graph_data g;
  KP_EXPECT_OK(kp_graph_data_load(old.c_str(), &g));
  kp_graph_data_free(&g);
}

}  // namespace
