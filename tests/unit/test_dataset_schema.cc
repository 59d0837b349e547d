// Graph ("kprca.graph") and line ("kprca.lines") datasets: round trips, a file written by h5py,
// every corrupted field rejected with a message naming file, dataset and position, atomic saves,
// and (when KPRCA_CORA_H5 points at it) Cora as converted by scripts/planetoid_to_h5.py.
#include <cmath>
#include <fstream>
#include <functional>
#include <set>
#include "h5util.h"
#include "kprca/graph_data.h"
#include "kprca/lines_data.h"

using kpt::msg_has;
using kpt::TmpDir;

namespace {

/* The datasets of a small graph file, editable before writing; empty vectors are not written. */
struct GraphFile {
  std::string format = "kprca.graph", task = "node";
  int64_t version = 1;
  int64_t N = 5, F = 3;
  std::vector<float> x;
  std::vector<int32_t> indptr, indices, y, graph_y;
  std::vector<float> edge_weight;
  std::vector<int8_t> train, val, test, flag, graph_split;
  std::vector<int64_t> graph_ptr;
  std::vector<std::string> names = {"a", "b", "c"};
  std::set<std::string> omit;          // datasets or attributes to leave out
  std::function<void(kp_h5 *)> extra;  // writes anything else (e.g. a dataset of another type)

  static GraphFile node() {  // undirected 0-1, 1-2, 3-4
    GraphFile g;
    for (int i = 0; i < 15; i++) g.x.push_back((float)i / 4);
    g.indptr = {0, 1, 3, 4, 5, 6};
    g.indices = {1, 0, 2, 1, 4, 3};
    g.edge_weight = {1, 2, 3, 4, 5, 6};
    g.y = {0, 1, 2, 1, -1};
    g.train = {1, 0, 0, 0, 0};
    g.val = {0, 1, 0, 0, 0};
    g.test = {0, 0, 1, 1, 0};
    g.flag = {0, 1, 0, 0, 1};
    return g;
  }
  static GraphFile graphs() {  // graph 0: nodes 0-1, graph 1: nodes 2-4 (a 3-cycle), graph 2: node 5
    GraphFile g;
    g.task = "graph";
    g.N = 6;
    g.F = 2;
    for (int i = 0; i < 12; i++) g.x.push_back((float)(i % 5));
    g.indptr = {0, 1, 2, 3, 4, 5, 5};
    g.indices = {1, 0, 4, 2, 3};
    g.edge_weight = {2, 2, 1, 1, 1};
    g.graph_ptr = {0, 2, 5, 6};
    g.graph_y = {0, 2, 1};
    g.graph_split = {0, 1, 2};
    g.flag = {1, 0, 0, 1, 0, 0};
    return g;
  }
  bool keep(const char *k) const { return !omit.count(k); }
  void write(const std::string &path) const {
    kp_h5 *h;
    ASSERT_EQ(kp_h5_create(path.c_str(), &h), KP_OK) << kp_last_error();
    if (keep("format")) KP_ASSERT_OK(kp_h5_set_attr_str(h, "/", "format", format.c_str()));
    if (keep("version")) KP_ASSERT_OK(kp_h5_set_attr_int(h, "/", "version", version));
    if (keep("task")) KP_ASSERT_OK(kp_h5_set_attr_str(h, "/", "task", task.c_str()));
    if (keep("x")) KP_ASSERT_OK(kpt::h5_put2(h, "x", N, F, x));
    if (keep("indptr")) KP_ASSERT_OK(kpt::h5_put(h, "indptr", indptr));
    if (keep("indices")) KP_ASSERT_OK(kpt::h5_put(h, "indices", indices));
    if (keep("labels/names")) KP_ASSERT_OK(kpt::h5_put_strings(h, "labels/names", names));
    auto opt = [&](const char *k, auto &v) {
      if (!v.empty() && keep(k)) KP_ASSERT_OK(kpt::h5_put(h, k, v));
    };
    opt("edge_weight", edge_weight);
    opt("y", y);
    opt("train_mask", train);
    opt("val_mask", val);
    opt("test_mask", test);
    opt("node_flag", flag);
    opt("graph_ptr", graph_ptr);
    opt("graph_y", graph_y);
    opt("graph_split", graph_split);
    if (extra) extra(h);
    KP_ASSERT_OK(kp_h5_commit(h));
  }
};

struct BadCase {
  const char *what;
  std::function<void(GraphFile &)> edit;
  std::vector<std::string> expect;  // parts of the message
};

void expect_rejected(const GraphFile &base, const std::vector<BadCase> &cases) {
  TmpDir dir;
  for (auto &c : cases) {
    SCOPED_TRACE(c.what);
    GraphFile g = base;
    c.edit(g);
    std::string p = dir / "bad.h5";
    g.write(p);
    kp_graph_data d;
    EXPECT_EQ(kp_graph_data_load(p.c_str(), &d), KP_ERR_FORMAT);
    std::vector<std::string> parts = c.expect;
    parts.push_back(p);
    EXPECT_TRUE(msg_has(parts));
    EXPECT_EQ(d.x, nullptr);  // left empty
    EXPECT_EQ(d.num_nodes, 0);
  }
}

template <class T>
std::vector<T> vec(const T *p, int64_t n) {
  return p ? std::vector<T>(p, p + n) : std::vector<T>{};
}

}  // namespace

TEST(GraphData, NodeTaskRoundTrip) {
  TmpDir dir;
  GraphFile f = GraphFile::node();
  std::string p1 = dir / "written_by_test.h5";
  f.write(p1);
  kp_graph_data g;
  KP_ASSERT_OK(kp_graph_data_load(p1.c_str(), &g));
  EXPECT_EQ(g.task, KP_TASK_NODE);
  EXPECT_EQ(g.num_nodes, 5);
  EXPECT_EQ(g.num_features, 3);
  EXPECT_EQ(g.num_edges, 6);
  EXPECT_EQ(g.num_graphs, 0);
  EXPECT_EQ(vec(g.x, 15), f.x);
  EXPECT_EQ(vec(g.indptr, 6), f.indptr);
  EXPECT_EQ(vec(g.indices, 6), f.indices);
  EXPECT_EQ(vec(g.edge_weight, 6), f.edge_weight);
  EXPECT_EQ(vec(g.y, 5), f.y);
  EXPECT_EQ(vec(g.train_mask, 5), f.train);
  EXPECT_EQ(vec(g.val_mask, 5), f.val);
  EXPECT_EQ(vec(g.test_mask, 5), f.test);
  EXPECT_EQ(vec(g.node_flag, 5), f.flag);
  EXPECT_EQ(g.graph_ptr, nullptr);
  ASSERT_EQ(g.label_names.n, 3);
  EXPECT_STREQ(g.label_names.s[2], "c");
  // save what was loaded, load it again: identical
  std::string p2 = dir / "saved.h5";
  KP_ASSERT_OK(kp_graph_data_save(p2.c_str(), &g));
  kp_graph_data g2;
  KP_ASSERT_OK(kp_graph_data_load(p2.c_str(), &g2));
  EXPECT_EQ(vec(g2.x, 15), f.x);
  EXPECT_EQ(vec(g2.indices, 6), f.indices);
  EXPECT_EQ(vec(g2.edge_weight, 6), f.edge_weight);
  EXPECT_EQ(vec(g2.y, 5), f.y);
  EXPECT_EQ(vec(g2.test_mask, 5), f.test);
  EXPECT_EQ(vec(g2.node_flag, 5), f.flag);
  EXPECT_STREQ(g2.label_names.s[0], "a");
  // attributes as documented
  kp_h5 *h;
  KP_ASSERT_OK(kp_h5_open(p2.c_str(), &h));
  char *task = nullptr;
  KP_ASSERT_OK(kp_h5_get_attr_str(h, "/", "task", &task));
  EXPECT_STREQ(task, "node");
  free(task);
  KP_EXPECT_OK(kp_h5_check_format(h, "kprca.graph", 1, nullptr));
  kp_h5_close(h);
  kp_graph_data_free(&g);
  kp_graph_data_free(&g2);
  kp_graph_data_free(&g2);  // twice is fine
  // optional arrays may be absent
  GraphFile m = GraphFile::node();
  m.edge_weight.clear();
  m.val.clear();
  m.test.clear();
  m.flag.clear();
  m.write(p1);
  KP_ASSERT_OK(kp_graph_data_load(p1.c_str(), &g));
  EXPECT_EQ(g.edge_weight, nullptr);
  EXPECT_EQ(g.val_mask, nullptr);
  EXPECT_NE(g.train_mask, nullptr);
  kp_graph_data_free(&g);
}

TEST(GraphData, GraphTaskRoundTrip) {
  TmpDir dir;
  GraphFile f = GraphFile::graphs();
  std::string p1 = dir / "g.h5";
  f.write(p1);  // graph_ptr as int64
  kp_graph_data g;
  KP_ASSERT_OK(kp_graph_data_load(p1.c_str(), &g));
  EXPECT_EQ(g.task, KP_TASK_GRAPH);
  EXPECT_EQ(g.num_graphs, 3);
  EXPECT_EQ(vec(g.graph_ptr, 4), (std::vector<int32_t>{0, 2, 5, 6}));
  EXPECT_EQ(vec(g.graph_y, 3), f.graph_y);
  EXPECT_EQ(vec(g.graph_split, 3), f.graph_split);
  EXPECT_EQ(vec(g.node_flag, 6), f.flag);
  EXPECT_EQ(g.y, nullptr);
  EXPECT_EQ(g.train_mask, nullptr);
  std::string p2 = dir / "g2.h5";
  KP_ASSERT_OK(kp_graph_data_save(p2.c_str(), &g));
  kp_graph_data_free(&g);
  // saved graph_ptr is int64 on disk (as PyG's ptr)
  hid_t fh = H5Fopen(p2.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
  hid_t d = H5Dopen2(fh, "graph_ptr", H5P_DEFAULT);
  hid_t t = H5Dget_type(d);
  EXPECT_EQ(H5Tget_size(t), 8u);
  H5Tclose(t);
  H5Dclose(d);
  H5Fclose(fh);
  KP_ASSERT_OK(kp_graph_data_load(p2.c_str(), &g));
  EXPECT_EQ(vec(g.indices, 5), f.indices);
  EXPECT_EQ(vec(g.graph_y, 3), f.graph_y);
  kp_graph_data_free(&g);
  // graph_ptr stored as int32 reads too
  GraphFile f32 = GraphFile::graphs();
  f32.omit.insert("graph_ptr");
  f32.extra = [](kp_h5 *h) { KP_ASSERT_OK(kpt::h5_put(h, "graph_ptr", std::vector<int32_t>{0, 2, 5, 6})); };
  f32.write(p1);
  KP_ASSERT_OK(kp_graph_data_load(p1.c_str(), &g));
  EXPECT_EQ(vec(g.graph_ptr, 4), (std::vector<int32_t>{0, 2, 5, 6}));
  kp_graph_data_free(&g);
}

TEST(GraphData, ReadsWhatH5pyWrites) {
  // tests/fixtures/data/h5py_graph.h5 comes from scripts/golden/h5py_graph_fixture.py: float64 x,
  // int64 CSR and labels, numpy bool masks, label names from a list of str
  std::string p = std::string(KPRCA_SOURCE_DIR) + "/tests/fixtures/data/h5py_graph.h5";
  kp_graph_data g;
  KP_ASSERT_OK(kp_graph_data_load(p.c_str(), &g));
  EXPECT_EQ(g.num_nodes, 4);
  EXPECT_EQ(g.num_features, 2);
  EXPECT_EQ(vec(g.x, 8), (std::vector<float>{1, 0, 0.5f, 2, 0, 0, -3.25f, 1e-3f}));
  EXPECT_EQ(vec(g.indptr, 5), (std::vector<int32_t>{0, 1, 3, 4, 4}));
  EXPECT_EQ(vec(g.indices, 4), (std::vector<int32_t>{1, 0, 2, 1}));
  EXPECT_EQ(vec(g.y, 4), (std::vector<int32_t>{0, 1, 1, -1}));
  EXPECT_EQ(vec(g.train_mask, 4), (std::vector<int8_t>{1, 0, 0, 0}));
  EXPECT_EQ(vec(g.test_mask, 4), (std::vector<int8_t>{0, 0, 1, 0}));
  ASSERT_EQ(g.label_names.n, 2);
  EXPECT_STREQ(g.label_names.s[1], "fault \xe2\x86\x92 panic");
  kp_graph_data_free(&g);
}

TEST(GraphData, EveryCorruptNodeFieldIsRejected) {
  std::vector<BadCase> cases = {
      {"indptr decreasing",
       [](GraphFile &g) { g.indptr = {0, 2, 1, 4, 5, 6}; },
       {"dataset 'indptr' [2] = 1 is below [1] = 2"}},
      {"indptr[0] != 0", [](GraphFile &g) { g.indptr = {1, 1, 3, 4, 5, 6}; }, {"dataset 'indptr' [0] = 1, must be 0"}},
      {"indptr end != nnz",
       [](GraphFile &g) {
         g.indices.pop_back();
         g.edge_weight.clear();
       },
       {"dataset 'indptr' [5] = 6, must equal", "(5)"}},
      {"indptr length", [](GraphFile &g) { g.indptr.push_back(6); }, {"dataset 'indptr' has 7 entries, expected 6"}},
      {"indices >= N", [](GraphFile &g) { g.indices[3] = 9; }, {"dataset 'indices' [3] = 9 outside [0, 5)"}},
      {"indices < 0", [](GraphFile &g) { g.indices[0] = -1; }, {"dataset 'indices' [0] = -1 outside [0, 5)"}},
      {"indices beyond int32",
       [](GraphFile &g) {
         g.omit.insert("indices");
         g.extra = [](kp_h5 *h) {
           KP_ASSERT_OK(kpt::h5_put(h, "indices", std::vector<int64_t>{1, 0, 2, 1, 1LL << 33, 3}));
         };
       },
       {"dataset 'indices' [4] = 8589934592 does not fit in i32"}},
      {"indices missing", [](GraphFile &g) { g.omit.insert("indices"); }, {"dataset 'indices' missing"}},
      {"y >= classes", [](GraphFile &g) { g.y[2] = 3; }, {"dataset 'y' [2] = 3 outside [-1, 3)"}},
      {"y < -1", [](GraphFile &g) { g.y[4] = -2; }, {"dataset 'y' [4] = -2 outside [-1, 3)"}},
      {"y length", [](GraphFile &g) { g.y.pop_back(); }, {"dataset 'y' has 4 entries, expected 5"}},
      {"y missing", [](GraphFile &g) { g.omit.insert("y"); }, {"dataset 'y' missing"}},
      {"y as floats",
       [](GraphFile &g) {
         g.omit.insert("y");
         g.extra = [](kp_h5 *h) { KP_ASSERT_OK(kpt::h5_put(h, "y", std::vector<float>{0, 1, 2, 1, 0})); };
       },
       {"dataset 'y' holds floating-point values"}},
      {"mask value 2", [](GraphFile &g) { g.train[3] = 2; }, {"dataset 'train_mask' [3] = 2, must be 0 or 1"}},
      {"masks overlap", [](GraphFile &g) { g.val[0] = 1; }, {"node 0 is in both train_mask and val_mask"}},
      {"mask selects unlabelled node",
       [](GraphFile &g) { g.test[4] = 1; },
       {"'test_mask' [4] selects node 4 whose label y is -1"}},
      {"mask length", [](GraphFile &g) { g.val.push_back(0); }, {"dataset 'val_mask' has 6 entries, expected 5"}},
      {"node_flag value", [](GraphFile &g) { g.flag[1] = -1; }, {"dataset 'node_flag' [1] = -1, must be 0 or 1"}},
      {"x NaN", [](GraphFile &g) { g.x[5] = NAN; }, {"dataset 'x' [1, 2] = nan is not finite"}},
      {"x infinite", [](GraphFile &g) { g.x[0] = -INFINITY; }, {"dataset 'x' [0, 0] = -inf is not finite"}},
      {"x 1-D",
       [](GraphFile &g) {
         g.omit.insert("x");
         g.extra = [](kp_h5 *h) { KP_ASSERT_OK(kpt::h5_put(h, "x", std::vector<float>(15, 1))); };
       },
       {"dataset 'x' has 1 dimension(s), expected 2"}},
      {"x missing", [](GraphFile &g) { g.omit.insert("x"); }, {"dataset 'x' missing"}},
      {"edge_weight length",
       [](GraphFile &g) { g.edge_weight.pop_back(); },
       {"dataset 'edge_weight' has 5 entries, expected 6"}},
      {"edge_weight NaN",
       [](GraphFile &g) { g.edge_weight[4] = NAN; },
       {"dataset 'edge_weight' [4] = nan is not finite"}},
      {"names missing", [](GraphFile &g) { g.omit.insert("labels/names"); }, {"dataset 'labels/names' missing"}},
      {"names empty", [](GraphFile &g) { g.names.clear(); }, {"dataset 'labels/names' is empty"}},
      {"name empty", [](GraphFile &g) { g.names[1] = ""; }, {"dataset 'labels/names' [1] is an empty name"}},
      {"names repeat", [](GraphFile &g) { g.names[2] = "a"; }, {"names class \"a\" twice"}},
      {"names not strings",
       [](GraphFile &g) {
         g.omit.insert("labels/names");
         g.extra = [](kp_h5 *h) { KP_ASSERT_OK(kpt::h5_put(h, "labels/names", std::vector<int32_t>{1, 2, 3})); };
       },
       {"dataset 'labels/names' holds integers, expected strings"}},
      {"format",
       [](GraphFile &g) { g.format = "kprca.lines"; },
       {"'format' is \"kprca.lines\", expected \"kprca.graph\""}},
      {"format missing", [](GraphFile &g) { g.omit.insert("format"); }, {"attribute 'format' missing"}},
      {"version newer", [](GraphFile &g) { g.version = 2; }, {"kprca.graph version 2 is newer than this kprca reads"}},
      {"version 0", [](GraphFile &g) { g.version = 0; }, {"attribute 'version' = 0"}},
      {"version missing", [](GraphFile &g) { g.omit.insert("version"); }, {"attribute 'version' missing"}},
      {"task unknown",
       [](GraphFile &g) { g.task = "edge"; },
       {"attribute 'task' is \"edge\", expected \"node\" or \"graph\""}},
      {"task missing", [](GraphFile &g) { g.omit.insert("task"); }, {"attribute 'task' missing"}},
      {"graph_ptr in a node file",
       [](GraphFile &g) {
         g.graph_ptr = {0, 5};
       },
       {"task is \"node\" but graph_ptr"}},
  };
  expect_rejected(GraphFile::node(), cases);
}

TEST(GraphData, EveryCorruptGraphFieldIsRejected) {
  std::vector<BadCase> cases = {
      {"graph_ptr short of N",
       [](GraphFile &g) {
         g.graph_ptr = {0, 2, 5, 5};
       },
       {"dataset 'graph_ptr' [3] = 5, must equal the number of nodes (6)"}},
      {"graph_ptr beyond N",
       [](GraphFile &g) {
         g.graph_ptr = {0, 2, 5, 7};
       },
       {"dataset 'graph_ptr' [3] = 7, must equal"}},
      {"graph_ptr decreasing",
       [](GraphFile &g) {
         g.graph_ptr = {0, 3, 2, 6};
       },
       {"dataset 'graph_ptr' [2] = 2 is below [1] = 3"}},
      {"graph_ptr[0] != 0",
       [](GraphFile &g) {
         g.graph_ptr = {1, 2, 5, 6};
       },
       {"dataset 'graph_ptr' [0] = 1, must be 0"}},
      {"graph_ptr missing", [](GraphFile &g) { g.omit.insert("graph_ptr"); }, {"dataset 'graph_ptr' missing"}},
      {"graph_ptr beyond int32",
       [](GraphFile &g) { g.graph_ptr[3] = 1LL << 40; },
       {"dataset 'graph_ptr' [3] = 1099511627776 does not fit in i32"}},
      {"graph_y >= classes", [](GraphFile &g) { g.graph_y[1] = 3; }, {"dataset 'graph_y' [1] = 3 outside [0, 3)"}},
      {"graph_y unlabelled", [](GraphFile &g) { g.graph_y[0] = -1; }, {"dataset 'graph_y' [0] = -1 outside [0, 3)"}},
      {"graph_y length", [](GraphFile &g) { g.graph_y.pop_back(); }, {"dataset 'graph_y' has 2 entries, expected 3"}},
      {"graph_y missing", [](GraphFile &g) { g.omit.insert("graph_y"); }, {"dataset 'graph_y' missing"}},
      {"graph_split 3",
       [](GraphFile &g) { g.graph_split[2] = 3; },
       {"dataset 'graph_split' [2] = 3, must be 0 (train), 1 (val) or 2 (test)"}},
      {"edge across graphs",
       [](GraphFile &g) { g.indices[1] = 2; },
       {"dataset 'indices' [1] = 2 links node 1 of graph 0 to a node outside it (nodes 0..1)"}},
      {"node masks in a graph file",
       [](GraphFile &g) { g.train = {1, 0, 0, 0, 0, 0}; },
       {"task is \"graph\" but node masks"}},
      {"x rows != graph nodes",
       [](GraphFile &g) {
         g.graph_ptr = {0, 2, 5};
         g.graph_y = {0, 1};
         g.graph_split = {0, 0};
       },
       {"dataset 'graph_ptr' [2] = 5, must equal the number of nodes (6)"}},
  };
  expect_rejected(GraphFile::graphs(), cases);
}

TEST(GraphData, SaveValidatesAndNeverLeavesPartialFiles) {
  TmpDir dir;
  std::string p = dir / "g.h5";
  GraphFile::node().write(p);
  kp_graph_data g;
  KP_ASSERT_OK(kp_graph_data_load(p.c_str(), &g));
  std::string before;
  {
    std::ifstream f(p, std::ios::binary);
    before.assign(std::istreambuf_iterator<char>(f), {});
  }
  g.indices[2] = 77;  // corrupt in memory
  EXPECT_EQ(kp_graph_data_save(p.c_str(), &g), KP_ERR_FORMAT);
  EXPECT_TRUE(msg_has({p, "dataset 'indices' [2] = 77"}));
  std::string after;
  {
    std::ifstream f(p, std::ios::binary);
    after.assign(std::istreambuf_iterator<char>(f), {});
  }
  EXPECT_EQ(before, after);
  EXPECT_EQ(dir.list(), std::vector<std::string>{"g.h5"});
  std::string q = dir / "new.h5";
  EXPECT_EQ(kp_graph_data_save(q.c_str(), &g), KP_ERR_FORMAT);
  EXPECT_EQ(dir.list(), std::vector<std::string>{"g.h5"});
  g.indices[2] = 2;
  KP_EXPECT_OK(kp_graph_data_save(q.c_str(), &g));
  EXPECT_EQ(dir.list(), (std::vector<std::string>{"g.h5", "new.h5"}));
  kp_graph_data_free(&g);
  // a missing file
  std::string missing = dir / "nope.h5";
  EXPECT_EQ(kp_graph_data_load(missing.c_str(), &g), KP_ERR_IO);
  EXPECT_TRUE(msg_has({missing}));
}

// ---- lines ----------------------------------------------------------------------------------

namespace {
struct LinesFile {
  std::string format = "kprca.lines";
  std::vector<std::string> text = {"[  12.5] Out of memory: Killed process 4242 (java)",
                                   "NVRM: Xid (PCI:0000:3b:00): 79, GPU has fallen off the bus.",
                                   "EXT4-fs error (device sda1): \xc3\xa9t\xc3\xa9", ""};
  std::vector<int32_t> label = {1, 2, 0, 0}, incident = {0, 0, 1, -1};
  std::vector<int8_t> split = {0, 0, 2, 1};
  std::vector<std::string> names = {"normal", "oom", "gpu"};
  std::function<void(kp_h5 *)> extra;
  std::set<std::string> omit;
  void write(const std::string &path) const {
    kp_h5 *h;
    ASSERT_EQ(kp_h5_create(path.c_str(), &h), KP_OK) << kp_last_error();
    KP_ASSERT_OK(kp_h5_set_attr_str(h, "/", "format", format.c_str()));
    KP_ASSERT_OK(kp_h5_set_attr_int(h, "/", "version", 1));
    if (!omit.count("text")) KP_ASSERT_OK(kpt::h5_put_strings(h, "text", text));
    if (!omit.count("label")) KP_ASSERT_OK(kpt::h5_put(h, "label", label));
    if (!omit.count("incident")) KP_ASSERT_OK(kpt::h5_put(h, "incident", incident));
    if (!omit.count("split")) KP_ASSERT_OK(kpt::h5_put(h, "split", split));
    KP_ASSERT_OK(kpt::h5_put_strings(h, "labels/names", names));
    if (extra) extra(h);
    KP_ASSERT_OK(kp_h5_commit(h));
  }
};
}  // namespace

TEST(LinesData, RoundTrip) {
  TmpDir dir;
  LinesFile f;
  std::string p = dir / "lines.h5", q = dir / "again.h5";
  f.write(p);
  kp_lines_data d;
  KP_ASSERT_OK(kp_lines_data_load(p.c_str(), &d));
  ASSERT_EQ(d.n, 4);
  EXPECT_EQ(std::vector<std::string>(d.text.s, d.text.s + 4), f.text);
  EXPECT_EQ(vec(d.label, 4), f.label);
  EXPECT_EQ(vec(d.incident, 4), f.incident);
  EXPECT_EQ(vec(d.split, 4), f.split);
  EXPECT_STREQ(d.label_names.s[2], "gpu");
  KP_ASSERT_OK(kp_lines_data_save(q.c_str(), &d));
  kp_lines_data_free(&d);
  KP_ASSERT_OK(kp_lines_data_load(q.c_str(), &d));
  EXPECT_EQ(std::vector<std::string>(d.text.s, d.text.s + 4), f.text);
  EXPECT_EQ(vec(d.split, 4), f.split);
  kp_lines_data_free(&d);
  // a dataset built in memory from caller strings (each its own malloc)
  kp_lines_data m{};
  m.n = 2;
  m.text.n = 2;
  m.text.s = (char **)malloc(2 * sizeof(char *));
  m.text.s[0] = strdup("one");
  m.text.s[1] = strdup("two");
  m.label = (int32_t *)calloc(2, 4);
  m.incident = (int32_t *)calloc(2, 4);
  m.split = (int8_t *)calloc(2, 1);
  const char *nm[] = {"only"};
  KP_ASSERT_OK(kp_strings_copy(&m.label_names, 1, nm));
  KP_ASSERT_OK(kp_lines_data_save(q.c_str(), &m));
  kp_lines_data_free(&m);
  KP_ASSERT_OK(kp_lines_data_load(q.c_str(), &d));
  EXPECT_STREQ(d.text.s[1], "two");
  kp_lines_data_free(&d);
}

TEST(LinesData, EveryCorruptFieldIsRejected) {
  struct C {
    const char *what;
    std::function<void(LinesFile &)> edit;
    std::vector<std::string> expect;
  };
  std::vector<C> cases = {
      {"label >= classes", [](LinesFile &f) { f.label[1] = 3; }, {"dataset 'label' [1] = 3 outside [0, 3)"}},
      {"label < 0", [](LinesFile &f) { f.label[0] = -1; }, {"dataset 'label' [0] = -1 outside [0, 3)"}},
      {"split 3",
       [](LinesFile &f) { f.split[3] = 3; },
       {"dataset 'split' [3] = 3, must be 0 (train), 1 (val) or 2 (test)"}},
      {"incident -2", [](LinesFile &f) { f.incident[2] = -2; }, {"dataset 'incident' [2] = -2, must be >= 0 or -1"}},
      {"label length", [](LinesFile &f) { f.label.push_back(0); }, {"dataset 'label' has 5 entries, expected 4"}},
      {"split missing", [](LinesFile &f) { f.omit.insert("split"); }, {"dataset 'split' missing"}},
      {"text missing", [](LinesFile &f) { f.omit.insert("text"); }, {"dataset 'text' missing"}},
      {"text not strings",
       [](LinesFile &f) {
         f.omit.insert("text");
         f.extra = [](kp_h5 *h) { KP_ASSERT_OK(kpt::h5_put(h, "text", std::vector<int32_t>{1, 2, 3, 4})); };
       },
       {"dataset 'text' holds integers, expected strings"}},
      {"duplicate names",
       [](LinesFile &f) {
         f.names = {"x", "y", "x"};
       },
       {"names class \"x\" twice"}},
      {"graph file",
       [](LinesFile &f) { f.format = "kprca.graph"; },
       {"'format' is \"kprca.graph\", expected \"kprca.lines\""}},
  };
  TmpDir dir;
  for (auto &c : cases) {
    SCOPED_TRACE(c.what);
    LinesFile f;
    c.edit(f);
    std::string p = dir / "bad_lines.h5";
    f.write(p);
    kp_lines_data d;
    EXPECT_EQ(kp_lines_data_load(p.c_str(), &d), KP_ERR_FORMAT);
    std::vector<std::string> parts = c.expect;
    parts.push_back(p);
    EXPECT_TRUE(msg_has(parts));
    EXPECT_EQ(d.n, 0);
    EXPECT_EQ(d.label, nullptr);
  }
  // a graph file is not a lines file, and vice versa
  std::string g = dir / "g.h5";
  GraphFile::node().write(g);
  kp_lines_data d;
  EXPECT_EQ(kp_lines_data_load(g.c_str(), &d), KP_ERR_FORMAT);
  std::string l = dir / "l.h5";
  LinesFile().write(l);
  kp_graph_data gd;
  EXPECT_EQ(kp_graph_data_load(l.c_str(), &gd), KP_ERR_FORMAT);
  EXPECT_TRUE(msg_has({l, "expected \"kprca.graph\""}));
}

// ---- Cora, converted by scripts/planetoid_to_h5.py ------------------------------------------

TEST(GraphData, CoraFromPlanetoidScript) {
  const char *p = getenv("KPRCA_CORA_H5");
  if (!p || !*p)
    GTEST_SKIP() << "KPRCA_CORA_H5 is not set (make it with: python3 scripts/planetoid_to_h5.py --name cora "
                    "--dir ../shared/data/planetoid --out cora.h5, then KPRCA_CORA_H5=cora.h5)";
  if (access(p, R_OK) != 0) GTEST_SKIP() << "KPRCA_CORA_H5=" << p << " does not exist";
  kp_graph_data g;
  KP_ASSERT_OK(kp_graph_data_load(p, &g));
  EXPECT_EQ(g.task, KP_TASK_NODE);
  EXPECT_EQ(g.num_nodes, 2708);
  EXPECT_EQ(g.num_features, 1433);
  EXPECT_EQ(g.label_names.n, 7);
  EXPECT_EQ(g.num_edges, 10556);  // 5278 undirected edges, as PyG's Cora edge_index
  int64_t ntrain = 0, nval = 0, ntest = 0;
  std::vector<int> train_per_class(7);
  for (int64_t i = 0; i < g.num_nodes; i++) {
    ntrain += g.train_mask[i], nval += g.val_mask[i], ntest += g.test_mask[i];
    if (g.train_mask[i]) train_per_class[g.y[i]]++;
    EXPECT_EQ(g.train_mask[i], i < 140);
    EXPECT_EQ(g.val_mask[i], i >= 140 && i < 640);
    EXPECT_EQ(g.test_mask[i], i >= 1708);  // test.index holds 1708..2707
    ASSERT_GE(g.y[i], 0);
  }
  EXPECT_EQ(ntrain, 140);
  EXPECT_EQ(nval, 500);
  EXPECT_EQ(ntest, 1000);
  EXPECT_EQ(train_per_class, std::vector<int>(7, 20));  // 20 labelled nodes per class
  // undirected, no self loops, no duplicate entries (rows sorted strictly)
  std::set<std::pair<int, int>> e;
  for (int i = 0; i < g.num_nodes; i++)
    for (int k = g.indptr[i]; k < g.indptr[i + 1]; k++) {
      EXPECT_NE(g.indices[k], i);
      if (k > g.indptr[i]) EXPECT_LT(g.indices[k - 1], g.indices[k]);
      e.insert({i, g.indices[k]});
    }
  for (auto &[a, b] : e) EXPECT_TRUE(e.count({b, a})) << a << " -> " << b;
  // bag-of-words features are 0/1
  int64_t ones = 0;
  for (int64_t i = 0; i < g.num_nodes * g.num_features; i++) {
    ASSERT_TRUE(g.x[i] == 0.0f || g.x[i] == 1.0f);
    ones += g.x[i] == 1.0f;
  }
  EXPECT_EQ(ones, 49216);  // nonzeros of allx + tx in the Planetoid release
  kp_graph_data_free(&g);
}
