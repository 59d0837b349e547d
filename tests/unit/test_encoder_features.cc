// Encoder node features (text_encoder.h) with the tiny random BERT of tests/fixtures/bert/tiny plus the fixture
// vocabulary: embeddings equal kp_bert_embed (mean pooling, L2-normalised) of each text run alone, distinct texts
// are encoded once (counters), class probabilities are the softmax of the head's logits, and the incident graphs
// and the case graph built with the encoder hold exactly those embeddings (recomputed here from the templates and
// from the masked fault lines, labelled or predicted) next to the unchanged count/time/severity columns.
#include <sys/stat.h>
#include <unistd.h>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <set>
#include <string>
#include <vector>
#include "testutil.h"
#include "kprca/bert.h"
#include "kprca/case_graph.h"
#include "kprca/incident_graph.h"
#include "kprca/incident_window.h"
#include "kprca/text_encoder.h"
#include "kprca/wordpiece.h"

namespace {

namespace fs = std::filesystem;
const std::string kSrc = KPRCA_SOURCE_DIR;

struct Fixture {
  std::string root, model, corpus;
  kp_incident_dir *d = nullptr;
};

Fixture &fx() {
  static Fixture f = [] {
    Fixture k;
    char tmpl[] = "/tmp/kprca-encfeat-XXXXXX";
    if (!mkdtemp(tmpl)) throw std::runtime_error("mkdtemp");
    k.root = tmpl;
    k.model = k.root + "/model";
    fs::create_directories(k.model);
    fs::copy_file(kSrc + "/tests/fixtures/bert/tiny/config.json", k.model + "/config.json");
    fs::copy_file(kSrc + "/tests/fixtures/bert/tiny/model.safetensors", k.model + "/model.safetensors");
    fs::copy_file(kSrc + "/tests/fixtures/lines/vocab.txt", k.model + "/vocab.txt");
    k.corpus = k.root + "/corpus";
    kp_synth_config cfg = kp_synth_config_default();
    cfg.incidents = 10, cfg.seed = 5;
    if (kp_synth_write_dir(&cfg, k.corpus.c_str(), false, nullptr, nullptr, nullptr) != KP_OK ||
        kp_incident_open(k.corpus.c_str(), nullptr, &k.d) != KP_OK)
      throw std::runtime_error(kp_last_error());
    return k;
  }();
  return f;
}

struct Cleanup : ::testing::Environment {
  void TearDown() override {
    Fixture &f = fx();
    kp_incident_dir_free(f.d);
    f.d = nullptr;
    if (f.root.rfind("/tmp/kprca-encfeat-", 0) == 0) fs::remove_all(f.root);
  }
};
::testing::Environment *const cleanup_env = ::testing::AddGlobalTestEnvironment(new Cleanup);

// The reference: the fixture model run on one text at a time (no padding), mean pooling, L2 norm; and its logits.
struct Ref {
  kp_bert m{};
  kp_wordpiece *wp = nullptr;
  kp_wp_buf buf{};
  int H = 0, C = 0;
  Ref() {
    kp_hf_bert *h = nullptr;
    if (kp_hf_bert_open(fx().model.c_str(), &h) != KP_OK || kp_bert_from_hf(&m, h, 0, kp_cpu(), 0) != KP_OK ||
        kp_wordpiece_load_dir(fx().model.c_str(), &wp) != KP_OK)
      throw std::runtime_error(kp_last_error());
    kp_hf_bert_close(h);
    H = m.cfg.hidden_size, C = m.cfg.num_labels;
  }
  ~Ref() {
    kp_bert_free(&m);
    kp_wordpiece_free(wp);
    kp_wp_buf_free(&buf);
  }
  // max_len 64: the fixture's max_position_embeddings, where the encoder caps its default of 256
  std::vector<float> embed(const std::string &t, std::vector<float> *probs = nullptr) {
    if (kp_wordpiece_encode(wp, t.data(), t.size(), 64, &buf) != KP_OK) throw std::runtime_error(kp_last_error());
    kp_bert_batch b{1, buf.n, buf.ids, nullptr, nullptr};
    std::vector<float> e(H);
    if (kp_bert_embed(&m, &b, KP_BERT_POOL_MEAN, true, e.data()) != KP_OK) throw std::runtime_error(kp_last_error());
    if (probs) {
      std::vector<float> z(C);
      int64_t sh[2] = {1, C};
      kp_tensor host = kp_tensor_wrap(z.data(), KP_F32, kp_cpu(), 2, sh);
      if (kp_tensor_copy(&host, &m.logits) != KP_OK) throw std::runtime_error(kp_last_error());
      double mx = *std::max_element(z.begin(), z.end()), sum = 0;
      for (float v : z) sum += std::exp(v - mx);
      probs->resize(C);
      for (int c = 0; c < C; c++) (*probs)[c] = (float)(std::exp(z[c] - mx) / sum);
    }
    return e;
  }
};

struct Enc {
  kp_text_encoder *e = nullptr;
  explicit Enc(int64_t batch = 0) {
    if (kp_text_encoder_open(fx().model.c_str(), 0, batch, &e) != KP_OK) throw std::runtime_error(kp_last_error());
  }
  ~Enc() { kp_text_encoder_free(e); }
};

void expect_near_rows(const float *a, const std::vector<float> &b, double tol, const std::string &what) {
  double worst = 0;
  for (size_t j = 0; j < b.size(); j++) worst = std::max(worst, (double)std::fabs(a[j] - b[j]));
  EXPECT_LE(worst, tol) << what;
}

const std::vector<std::string> kTexts = {
    "kernel: task blocked for more than 120 seconds",
    "usb 1-1: new high-speed USB device number <*> using xhci_hcd",
    "NVRM: Xid (PCI:<*>): 79, GPU has fallen off the bus.",
    "kernel: task blocked for more than 120 seconds",  // repeat
    "a",
    "Out of memory: Killed process <*> (python) total-vm:<*>, anon-rss:<*>",
    "usb 1-1: new high-speed USB device number <*> using xhci_hcd",  // repeat
    "BUG: unable to handle page fault for address: <*> #PF: supervisor read access in kernel mode"};

}  // namespace

TEST(TextEncoder, EmbeddingsEqualBertEmbedOfEachTextAlone) {
  Ref ref;
  Enc enc(3);  // batches of 3 texts of different lengths: padding must not change a row
  ASSERT_EQ(kp_text_encoder_dim(enc.e), ref.H);
  EXPECT_EQ(kp_text_encoder_classes(enc.e), 3);
  std::vector<const char *> p;
  for (auto &t : kTexts) p.push_back(t.c_str());
  std::vector<float> out(kTexts.size() * ref.H);
  KP_ASSERT_OK(kp_text_encoder_embed(enc.e, (int64_t)p.size(), p.data(), out.data()));
  for (size_t i = 0; i < kTexts.size(); i++) {
    std::vector<float> want = ref.embed(kTexts[i]);
    expect_near_rows(out.data() + i * ref.H, want, 2e-5, kTexts[i]);
    double n2 = 0;
    for (int j = 0; j < ref.H; j++) n2 += (double)out[i * ref.H + j] * out[i * ref.H + j];
    EXPECT_NEAR(n2, 1.0, 1e-5);
  }
  // texts that differ get different rows (the rows really depend on the text)
  EXPECT_GT(std::fabs(out[0] - out[ref.H]) + std::fabs(out[1] - out[ref.H + 1]), 1e-4);
}

TEST(TextEncoder, DistinctTextsAreEncodedOnce) {
  Ref ref;
  Enc enc(4);
  std::vector<const char *> p;
  for (auto &t : kTexts) p.push_back(t.c_str());
  std::set<std::string> distinct(kTexts.begin(), kTexts.end());
  std::vector<float> a(kTexts.size() * ref.H), b(a.size());
  KP_ASSERT_OK(kp_text_encoder_embed(enc.e, (int64_t)p.size(), p.data(), a.data()));
  kp_text_encoder_stats s = kp_text_encoder_get_stats(enc.e);
  EXPECT_EQ(s.requested, (int64_t)kTexts.size());
  EXPECT_EQ(s.encoded, (int64_t)distinct.size());
  EXPECT_EQ(s.batches, ((int64_t)distinct.size() + 3) / 4);
  EXPECT_GT(s.tokens, 0);
  EXPECT_GE(s.padded, s.tokens);
  // the same texts again, in another order, and through classify: nothing new is encoded
  std::vector<const char *> q(p.rbegin(), p.rend());
  KP_ASSERT_OK(kp_text_encoder_embed(enc.e, (int64_t)q.size(), q.data(), b.data()));
  std::vector<float> probs(kTexts.size() * 3);
  KP_ASSERT_OK(kp_text_encoder_classify(enc.e, (int64_t)p.size(), p.data(), probs.data()));
  s = kp_text_encoder_get_stats(enc.e);
  EXPECT_EQ(s.encoded, (int64_t)distinct.size());
  EXPECT_EQ(s.requested, 3 * (int64_t)kTexts.size());
  size_t n = kTexts.size();
  for (size_t i = 0; i < n; i++)
    for (int j = 0; j < ref.H; j++) ASSERT_EQ(a[i * ref.H + j], b[(n - 1 - i) * ref.H + j]);
  const char *fresh = "a text not seen before";
  KP_ASSERT_OK(kp_text_encoder_embed(enc.e, 1, &fresh, b.data()));
  EXPECT_EQ(kp_text_encoder_get_stats(enc.e).encoded, (int64_t)distinct.size() + 1);
}

TEST(TextEncoder, ClassifyGivesTheHeadsSoftmax) {
  Ref ref;
  Enc enc;
  std::vector<const char *> p;
  for (auto &t : kTexts) p.push_back(t.c_str());
  std::vector<float> probs(kTexts.size() * 3);
  KP_ASSERT_OK(kp_text_encoder_classify(enc.e, (int64_t)p.size(), p.data(), probs.data()));
  for (size_t i = 0; i < kTexts.size(); i++) {
    std::vector<float> want;
    ref.embed(kTexts[i], &want);
    expect_near_rows(probs.data() + i * 3, want, 2e-5, kTexts[i]);
  }
  EXPECT_STREQ(kp_text_encoder_label(enc.e, 0), "LABEL_0");
}

TEST(TextEncoder, BadPathsNameThePath) {
  kp_text_encoder *e = nullptr;
  EXPECT_NE(kp_text_encoder_open("/nonexistent/model", 0, 0, &e), KP_OK);
  EXPECT_NE(std::string(kp_last_error()).find("/nonexistent/model"), std::string::npos) << kp_last_error();
  EXPECT_EQ(e, nullptr);
  std::string empty = fx().root + "/empty";
  fs::create_directories(empty);  // neither a HF directory nor a run
  EXPECT_NE(kp_text_encoder_open(empty.c_str(), 0, 0, &e), KP_OK);
  EXPECT_NE(std::string(kp_last_error()).find(empty), std::string::npos) << kp_last_error();
}

TEST(EncoderFeatures, IncidentGraphNodesHoldTheirTemplatesEmbedding) {
  Ref ref;
  Enc enc;
  kp_incident_graph_options o = kp_incident_graph_defaults();
  kp_incident_graphs tf{}, ig{};
  KP_ASSERT_OK(kp_incident_graphs_build(fx().d, &o, &tf));
  o.encoder = enc.e;
  KP_ASSERT_OK(kp_incident_graphs_build(fx().d, &o, &ig));
  const kp_graph_data &g = ig.g, &t = tf.g;
  int64_t H = ref.H, Fx = H + KP_INCIDENT_GRAPH_EXTRA, Ft = t.num_features;
  ASSERT_EQ(g.num_features, Fx);
  ASSERT_EQ(g.num_nodes, t.num_nodes);
  ASSERT_EQ(g.num_edges, t.num_edges);
  ASSERT_EQ(ig.templates.n, tf.templates.n);
  kp_text_encoder_stats st = kp_text_encoder_get_stats(enc.e);
  EXPECT_EQ(st.encoded, ig.templates.n);  // each template once, however many nodes use it
  EXPECT_LT(ig.templates.n, g.num_nodes);
  std::vector<std::vector<float>> want(ig.templates.n);
  for (int64_t k = 0; k < ig.templates.n; k++) want[k] = ref.embed(ig.templates.s[k]);
  for (int64_t v = 0; v < g.num_nodes; v++) {
    ASSERT_EQ(ig.node_template[v], tf.node_template[v]);
    expect_near_rows(g.x + v * Fx, want[ig.node_template[v]], 2e-5, "node " + std::to_string(v));
    for (int j = 0; j < KP_INCIDENT_GRAPH_EXTRA; j++)
      ASSERT_EQ(g.x[v * Fx + H + j], t.x[v * Ft + (Ft - KP_INCIDENT_GRAPH_EXTRA) + j]) << v << " " << j;
    ASSERT_EQ(g.node_flag[v], t.node_flag[v]);
  }
  // saved with its feature source
  std::string path = fx().root + "/ig.h5";
  KP_ASSERT_OK(kp_incident_graphs_save(path.c_str(), &ig));
  kp_h5 *h = nullptr;
  KP_ASSERT_OK(kp_h5_open(path.c_str(), &h));
  char *src = nullptr;
  int64_t tw = 0;
  KP_EXPECT_OK(kp_h5_get_attr_str(h, "/", "node_features", &src));
  KP_EXPECT_OK(kp_h5_get_attr_int(h, "/", "text_features", &tw));
  EXPECT_EQ(tw, H);
  EXPECT_EQ(std::string(src ? src : "").rfind("encoder: bert 2 layers, hidden 32", 0), 0u) << (src ? src : "");
  free(src);
  kp_h5_close(h);
  kp_incident_graphs_free(&tf);
  kp_incident_graphs_free(&ig);
}

// Expected case-graph row: the normalised mean of the reference embeddings of incident i's masked event lines
// that pass keep(root flag, in window, masked text).
std::vector<float> case_row(Ref &ref, int64_t i, double window_s, bool predicted) {
  kp_masker *mask = nullptr;
  if (kp_build_masker_new(&mask) != KP_OK) throw std::runtime_error(kp_last_error());
  kp_incident_log l;
  kp_incident_times t;
  if (kp_incident_load_timed(fx().d, i, &l, &t) != KP_OK) throw std::runtime_error(kp_last_error());
  std::vector<double> acc(ref.H, 0.0);
  for (int64_t k = 0; k < l.log->n; k++) {
    const kp_klog_record *r = &l.log->rec[k];
    if (!kp_incident_is_event(r) || !r->msg_len) continue;
    if (predicted ? !kp_incident_in_window(&t, k, window_s) : !l.root[k]) continue;
    const char *m;
    size_t n;
    if (kp_masker_apply(mask, r->msg, r->msg_len, &m, &n) != KP_OK) throw std::runtime_error(kp_last_error());
    std::vector<float> probs;
    std::vector<float> e = ref.embed(std::string(m, n), &probs);
    if (predicted && std::max_element(probs.begin(), probs.end()) == probs.begin()) continue;  // class 0: ordinary
    for (int h = 0; h < ref.H; h++) acc[h] += e[h];
  }
  kp_incident_times_free(&t);
  kp_incident_log_clear(&l);
  kp_masker_free(mask);
  double ss = 0;
  for (double v : acc) ss += v * v;
  std::vector<float> row(ref.H + 1);
  for (int h = 0; h < ref.H; h++) row[h] = ss > 0 ? (float)(acc[h] / std::sqrt(ss)) : 0.0f;
  row[ref.H] = ss > 0 ? 0.0f : 1.0f;
  return row;
}

TEST(EncoderFeatures, CaseGraphRowsAreMeanEmbeddingsOfFaultLines) {
  Ref ref;
  for (bool predicted : {false, true}) {
    Enc enc;
    kp_case_graph_options o = kp_case_graph_defaults();
    o.k = 4, o.encoder = enc.e, o.fault_predicted = predicted, o.window_s = 120;
    kp_graph_data g{};
    KP_ASSERT_OK(kp_case_graph_build(fx().d, &o, &g));
    int64_t Fx = ref.H + 1;
    ASSERT_EQ(g.num_features, Fx);
    ASSERT_EQ(g.num_nodes, fx().d->n);
    int64_t nofault = 0;
    for (int64_t i = 0; i < g.num_nodes; i++) {
      std::vector<float> want = case_row(ref, i, o.window_s, predicted);
      expect_near_rows(g.x + i * Fx, want, 3e-5, (predicted ? "predicted, incident " : "labels, incident ") + std::to_string(i));
      nofault += want[ref.H] > 0;
      // every edge joins a node to a neighbour with the cosine of their rows as weight
      for (int32_t e = g.indptr[i]; e < g.indptr[i + 1]; e++) {
        double dot = 0;
        for (int64_t j = 0; j < Fx; j++) dot += (double)g.x[i * Fx + j] * g.x[(int64_t)g.indices[e] * Fx + j];
        EXPECT_NEAR(g.edge_weight[e], dot, 1e-5);
      }
    }
    if (!predicted) EXPECT_LT(nofault, g.num_nodes / 2);  // most synthetic incidents have root-cause lines
    kp_text_encoder_stats st = kp_text_encoder_get_stats(enc.e);
    EXPECT_LT(st.encoded, st.requested);  // repeated lines were encoded once
    kp_graph_data_free(&g);
  }
}

TEST(EncoderFeatures, PredictedFaultLinesNeedAClassifierHead) {
  kp_case_graph_options o = kp_case_graph_defaults();
  o.k = 4, o.fault_predicted = true;
  kp_graph_data g{};
  EXPECT_EQ(kp_case_graph_build(fx().d, &o, &g), KP_ERR_INVALID);  // no encoder at all
  EXPECT_NE(std::string(kp_last_error()).find("encoder"), std::string::npos) << kp_last_error();
}
