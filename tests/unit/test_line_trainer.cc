// The line trainer (line_trainer.h) on the random tiny BERT of tests/fixtures/bert/tiny with the toy kernel.tsv of
// tests/fixtures/lines: learning (loss drops, test accuracy 1.0 on separable lines), length bucketing pads less
// than no bucketing and than fixed padding, same seed same weights, resume bit-identical (with gradient
// accumulation, class weights and warm-up + linear decay), candidates.csv, metrics.json keys, splits by incident
// for HDF5 lines, and the bad inputs (missing model directory, broken TSV, max_seq_len beyond the model, ...).
#include <gtest/gtest.h>
#include <cjson/cJSON.h>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>
#include "h5util.h"
#include "kprca/kprca.h"
#include "kprca/line_trainer.h"
#include "testutil.h"

namespace {

namespace fs = std::filesystem;
using kpt::TmpDir;

const std::string kSrc = KPRCA_SOURCE_DIR;

std::string slurp(const std::string &p) {
  std::ifstream f(p);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

// A model directory: the tiny random BERT's config.json and weights plus the fixture vocabulary.
std::string make_model(const TmpDir &d) {
  std::string m = d / "model";
  fs::create_directories(m);
  fs::copy_file(kSrc + "/tests/fixtures/bert/tiny/config.json", m + "/config.json");
  fs::copy_file(kSrc + "/tests/fixtures/bert/tiny/model.safetensors", m + "/model.safetensors");
  fs::copy_file(kSrc + "/tests/fixtures/lines/vocab.txt", m + "/vocab.txt");
  return m;
}

const std::string kTsv = kSrc + "/tests/fixtures/lines/kernel.tsv";

struct Cfg {
  kp_config *c = nullptr;
  kp_status s = KP_OK;
  Cfg(const std::string &model, const std::string &data, const std::string &out, std::vector<std::string> kv) {
    if (kp_config_new(&c) != KP_OK) throw std::runtime_error(kp_last_error());
    kv.insert(kv.begin(), {"model.name=bert", "model.path=" + model, "data.path=" + data, "output.dir=" + out,
                           "train.progress=none", "device=cpu", "data.batch_size=8", "data.max_seq_len=48",
                           "data.split=[0.75,0,0.25]", "optim.name=adamw", "optim.lr=0.002", "train.epochs=2",
                           "train.threads=1"});
    for (auto &x : kv)
      if ((s = kp_config_override(c, x.c_str(), "test")) != KP_OK) return;
    s = kp_config_finish(c);
  }
  ~Cfg() { kp_config_free(c); }
};

struct Trainer {
  kp_line_trainer *t = nullptr;
  kp_status s;
  explicit Trainer(const Cfg &c) { s = c.s != KP_OK ? c.s : kp_line_trainer_create(c.c, &t); }
  ~Trainer() { kp_line_trainer_free(t); }
  std::vector<float> weights() const {
    const kp_params *p = kp_line_trainer_params(t);
    const float *d = (const float *)p->data.data;
    return std::vector<float>(d, d + p->total);
  }
};

bool same_bits(const std::vector<float> &a, const std::vector<float> &b) {
  return a.size() == b.size() && !a.empty() && std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0;
}

std::vector<double> jsonl_losses(const std::string &path) {
  std::vector<double> v;
  std::ifstream f(path);
  std::string line;
  while (std::getline(f, line)) {
    cJSON *o = cJSON_Parse(line.c_str());
    if (!o) continue;
    cJSON *l = cJSON_GetObjectItem(o, "train_loss");
    if (cJSON_IsNumber(l)) v.push_back(l->valuedouble);
    cJSON_Delete(o);
  }
  return v;
}

TEST(LineTrainer, LearnsSeparableLines) {
  TmpDir d;
  std::string m = make_model(d);
  Cfg c(m, kTsv, d / "runs", {"train.epochs=12", "optim.schedule=linear", "optim.warmup_steps=4"});
  Trainer t(c);
  ASSERT_EQ(t.s, KP_OK) << kp_last_error();
  kp_line_trainer_info in;
  kp_line_trainer_describe(t.t, &in);
  EXPECT_EQ(in.num_lines, 128);
  EXPECT_EQ(in.num_classes, 2);
  EXPECT_EQ(in.split_counts[0], 96);
  EXPECT_EQ(in.split_counts[2], 32);
  EXPECT_EQ(in.steps_per_epoch, 12);
  fs::create_directories(d / "run");
  std::string run = d / "run";
  kp_fit_opts o{};
  o.run_dir = run.c_str();
  kp_fit_result r;
  KP_ASSERT_OK(kp_line_trainer_fit(t.t, &o, &r));
  auto losses = jsonl_losses(run + "/metrics.jsonl");
  ASSERT_EQ(losses.size(), 12u);
  EXPECT_LT(losses.back(), 0.25 * losses.front()) << losses.front() << " -> " << losses.back();
  kp_split_eval e;
  KP_ASSERT_OK(kp_line_trainer_evaluate(t.t, KP_SPLIT_TEST, &e));
  EXPECT_EQ(e.n, 32);
  EXPECT_DOUBLE_EQ(e.metrics.accuracy, 1.0);
  kp_split_eval_free(&e);
  EXPECT_GT(kp_line_trainer_step_time(t.t), 0.0);
}

TEST(LineTrainer, BucketingPadsLess) {
  TmpDir d;
  std::string m = make_model(d);
  Cfg cb(m, kTsv, d / "runs", {"data.bucket_size=4"}), cn(m, kTsv, d / "runs", {"data.bucket_size=0"});
  Trainer tb(cb), tn(cn);
  ASSERT_EQ(tb.s, KP_OK) << kp_last_error();
  ASSERT_EQ(tn.s, KP_OK) << kp_last_error();
  kp_line_pad_stats b, n, fixed;
  KP_ASSERT_OK(kp_line_trainer_pad_stats(tb.t, 0, &b));
  KP_ASSERT_OK(kp_line_trainer_pad_stats(tn.t, 0, &n));
  KP_ASSERT_OK(kp_line_trainer_pad_stats(tn.t, 48, &fixed));
  EXPECT_EQ(b.tokens, n.tokens); // the same lines
  EXPECT_EQ(b.batches, 12);
  EXPECT_LT(b.cells, n.cells);    // similar lengths share a batch
  EXPECT_LT(n.cells, fixed.cells); // a batch pads only to its longest line
  EXPECT_EQ(fixed.cells, 96 * 48);
  EXPECT_GT((double)b.tokens / (double)b.cells, 0.85);
}

TEST(LineTrainer, SameSeedSameWeights) {
  TmpDir d;
  std::string m = make_model(d);
  std::vector<float> w[3];
  for (int i = 0; i < 3; i++) {
    Cfg c(m, kTsv, d / "runs", {i == 2 ? "train.seed=1" : "train.seed=0"});
    Trainer t(c);
    ASSERT_EQ(t.s, KP_OK) << kp_last_error();
    kp_fit_result r;
    KP_ASSERT_OK(kp_line_trainer_fit(t.t, nullptr, &r));
    w[i] = t.weights();
  }
  EXPECT_TRUE(same_bits(w[0], w[1]));
  EXPECT_FALSE(same_bits(w[0], w[2]));
}

TEST(LineTrainer, ResumeIsBitIdentical) {
  TmpDir d;
  std::string m = make_model(d);
  std::vector<std::string> kv = {"train.epochs=4",         "optim.grad_accum=3",     "train.class_weights=balanced",
                                 "optim.schedule=linear",  "optim.warmup_steps=3",   "data.split=[0.6,0.2,0.2]",
                                 "train.monitor=val_loss", "train.restore_best=false", "optim.weight_decay=0.01"};
  std::vector<float> full;
  {
    Cfg c(m, kTsv, d / "runs", kv);
    Trainer t(c);
    ASSERT_EQ(t.s, KP_OK) << kp_last_error();
    kp_fit_result r;
    KP_ASSERT_OK(kp_line_trainer_fit(t.t, nullptr, &r));
    EXPECT_EQ(r.epochs_run, 4);
    full = t.weights();
  }
  std::string run = d / "run";
  fs::create_directories(run);
  {
    Cfg c(m, kTsv, d / "runs", kv);
    Trainer t(c);
    ASSERT_EQ(t.s, KP_OK) << kp_last_error();
    kp_fit_opts o{};
    o.run_dir = run.c_str();
    o.stop_after_epoch = 2;
    kp_fit_result r;
    KP_ASSERT_OK(kp_line_trainer_fit(t.t, &o, &r));
    EXPECT_TRUE(r.interrupted);
    EXPECT_FALSE(same_bits(t.weights(), full));
  }
  {
    Cfg c(m, kTsv, d / "runs", kv);
    Trainer t(c);
    ASSERT_EQ(t.s, KP_OK) << kp_last_error();
    char ck[4096];
    KP_ASSERT_OK(kp_ckpt_resolve(run.c_str(), ck, sizeof ck));
    bool fin = true;
    KP_ASSERT_OK(kp_line_trainer_load_checkpoint(t.t, ck, &fin));
    EXPECT_FALSE(fin);
    EXPECT_EQ(kp_line_trainer_epoch(t.t), 2);
    kp_fit_result r;
    KP_ASSERT_OK(kp_line_trainer_fit(t.t, nullptr, &r));
    EXPECT_EQ(r.epochs_run, 4);
    EXPECT_TRUE(same_bits(t.weights(), full));
  }
}

TEST(LineTrainer, GradAccumCountsSteps) {
  TmpDir d;
  std::string m = make_model(d);
  Cfg c(m, kTsv, d / "runs", {"optim.grad_accum=5"});
  Trainer t(c);
  ASSERT_EQ(t.s, KP_OK) << kp_last_error();
  kp_line_trainer_info in;
  kp_line_trainer_describe(t.t, &in);
  EXPECT_EQ(in.batches_per_epoch, 12);
  EXPECT_EQ(in.steps_per_epoch, 3); // 5 + 5 + 2 mini-batches
}

TEST(LineTrainer, LinesPerEpochDrawsAfreshEachEpoch) {
  TmpDir d;
  std::string m = make_model(d);
  Cfg c(m, kTsv, d / "runs", {"data.lines_per_epoch=40", "train.epochs=3"});
  Trainer t(c);
  ASSERT_EQ(t.s, KP_OK) << kp_last_error();
  kp_line_trainer_info in;
  kp_line_trainer_describe(t.t, &in);
  EXPECT_EQ(in.batches_per_epoch, 5);
  kp_line_pad_stats a, b;
  KP_ASSERT_OK(kp_line_trainer_pad_stats(t.t, 0, &a));
  EXPECT_EQ(a.batches, 5);
  kp_fit_opts o{};
  o.stop_after_epoch = 1;
  kp_fit_result r;
  KP_ASSERT_OK(kp_line_trainer_fit(t.t, &o, &r));
  KP_ASSERT_OK(kp_line_trainer_pad_stats(t.t, 0, &b)); // the next epoch's 40 lines
  EXPECT_NE(a.tokens, b.tokens);
}

std::vector<std::vector<std::string>> read_csv(const std::string &path) {
  std::vector<std::vector<std::string>> rows;
  kp_csv_reader *r = nullptr;
  if (kp_csv_open(path.c_str(), &r) != KP_OK) return rows;
  bool eof = false;
  while (kp_csv_next(r, &eof) == KP_OK && !eof) {
    std::vector<std::string> row;
    for (int i = 0; i < kp_csv_nfields(r); i++) {
      size_t len = 0;
      const char *f = kp_csv_get(r, i, &len);
      row.push_back(std::string(f ? f : "", len));
    }
    rows.push_back(row);
  }
  kp_csv_close(r);
  return rows;
}

TEST(LineTrainer, CandidatesAreOrdinaryLinesPredictedRootCause) {
  TmpDir d;
  std::string m = make_model(d);
  Cfg c(m, kTsv, d / "runs", {});
  Trainer t(c);
  ASSERT_EQ(t.s, KP_OK) << kp_last_error();
  // rows 0 (label 0), 3 (label 1), 1 and 2 (label 0) of kernel.tsv, scored by hand
  kp_split_eval e{};
  e.split = KP_SPLIT_TEST, e.n = 4, e.num_classes = 2;
  int32_t ids[4] = {0, 3, 1, 2}, yt[4] = {0, 1, 0, 0}, yp[4] = {1, 1, 0, 1};
  float pr[8] = {0.4f, 0.6f, 0.1f, 0.9f, 0.8f, 0.2f, 0.05f, 0.95f};
  e.ids = ids, e.y_true = yt, e.y_pred = yp, e.probs = pr;
  std::string path = d / "candidates.csv";
  KP_ASSERT_OK(kp_line_trainer_write_candidates(t.t, path.c_str(), &e, 1));
  auto rows = read_csv(path);
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[0], (std::vector<std::string>{"split", "id", "incident", "score", "pred", "text"}));
  EXPECT_EQ(rows[1][1], "2"); // highest score first
  EXPECT_EQ(rows[1][3], "0.950000");
  EXPECT_EQ(rows[1][4], "1");
  EXPECT_EQ(rows[1][5], "Memory: 7992K/1571K available, 41K data"); // quoted (commas) and read back whole
  EXPECT_EQ(rows[2][1], "0");
  EXPECT_EQ(rows[2][0], "test");
  EXPECT_EQ(rows[2][2], "-1");
}

TEST(LineTrainer, ReportWritesRunFiles) {
  TmpDir d;
  std::string m = make_model(d);
  Cfg c(m, kTsv, d / "runs", {"train.epochs=1", "data.split=[0.6,0.2,0.2]"});
  Trainer t(c);
  ASSERT_EQ(t.s, KP_OK) << kp_last_error();
  kp_fit_result r;
  KP_ASSERT_OK(kp_line_trainer_fit(t.t, nullptr, &r));
  std::string run = d.path;
  KP_ASSERT_OK(kp_line_trainer_report(t.t, run.c_str(), "{\"epochs_run\": 1}", nullptr));
  cJSON *o = cJSON_Parse(slurp(run + "/metrics.json").c_str());
  ASSERT_NE(o, nullptr);
  for (const char *sp : {"val", "test"}) {
    cJSON *s = cJSON_GetObjectItem(o, sp);
    ASSERT_TRUE(cJSON_IsObject(s)) << sp;
    for (const char *k : {"accuracy", "macro_f1", "weighted_f1", "loss", "f1"})
      EXPECT_TRUE(cJSON_IsNumber(cJSON_GetObjectItem(s, k))) << sp << "." << k;
  }
  EXPECT_TRUE(cJSON_IsNumber(cJSON_GetObjectItem(o, "epochs_run")));
  cJSON_Delete(o);
  auto pred = read_csv(run + "/predictions.csv");
  EXPECT_EQ(pred.size(), 1u + 25 + 25); // header, val and test: round(0.2 * 96) + round(0.2 * 32) lines each
  auto cand = read_csv(run + "/candidates.csv");
  ASSERT_GE(cand.size(), 1u);
  int64_t expect = 0;
  for (size_t i = 1; i < pred.size(); i++) expect += pred[i][2] == "0" && pred[i][3] != "0";
  EXPECT_EQ((int64_t)cand.size() - 1, expect);
  EXPECT_NE(slurp(run + "/report.txt").find("precision"), std::string::npos);
}

// An HDF5 lines file of 20 incidents x 6 lines; fractions split whole incidents, "file" keeps the stored split.
TEST(LineTrainer, HdfLinesSplitByIncident) {
  TmpDir d;
  std::string m = make_model(d);
  std::vector<std::string> text;
  std::vector<int32_t> label, inc;
  std::vector<int8_t> split;
  for (int i = 0; i < 20; i++)
    for (int j = 0; j < 6; j++) {
      text.push_back(j == 0 ? "Kernel panic - not syncing: Fatal exception" : "eth" + std::to_string(j) + ": link is up");
      label.push_back(j == 0 ? 1 : 0);
      inc.push_back(i);
      split.push_back((int8_t)(i < 14 ? 0 : i < 17 ? 1 : 2));
    }
  std::vector<const char *> tp;
  for (auto &s : text) tp.push_back(s.c_str());
  const char *names[] = {"ordinary", "root_cause"};
  kp_lines_data ld{};
  ld.n = (int64_t)text.size();
  ASSERT_EQ(kp_strings_copy(&ld.text, ld.n, tp.data()), KP_OK);
  ASSERT_EQ(kp_strings_copy(&ld.label_names, 2, names), KP_OK);
  ld.label = label.data(), ld.incident = inc.data(), ld.split = split.data();
  std::string h5 = d / "lines.h5";
  KP_ASSERT_OK(kp_lines_data_save(h5.c_str(), &ld));
  kp_strings_free(&ld.text);
  kp_strings_free(&ld.label_names);
  {
    Cfg c(m, h5, d / "runs", {"data.split=file"});
    Trainer t(c);
    ASSERT_EQ(t.s, KP_OK) << kp_last_error();
    kp_line_trainer_info in;
    kp_line_trainer_describe(t.t, &in);
    EXPECT_EQ(in.split_counts[0], 84);
    EXPECT_EQ(in.split_counts[1], 18);
    EXPECT_EQ(in.split_counts[2], 18);
    EXPECT_EQ(kp_line_trainer_labels(t.t)->n, 2);
  }
  Cfg c(m, h5, d / "runs", {"data.split=[0.5,0.25,0.25]"});
  Trainer t(c);
  ASSERT_EQ(t.s, KP_OK) << kp_last_error();
  kp_split_eval e[3];
  std::map<int32_t, std::set<int>> seen;
  for (int s = 0; s < 3; s++) {
    KP_ASSERT_OK(kp_line_trainer_evaluate(t.t, s, &e[s]));
    EXPECT_EQ(e[s].n % 6, 0);
    for (int64_t k = 0; k < e[s].n; k++) seen[inc[e[s].ids[k]]].insert(s);
    kp_split_eval_free(&e[s]);
  }
  EXPECT_EQ(seen.size(), 20u);
  for (auto &kv : seen) EXPECT_EQ(kv.second.size(), 1u) << "incident " << kv.first;
}

// One error line naming the problem, and no trainer.
void expect_error(const Cfg &c, kp_status want, const std::string &needle) {
  Trainer t(c);
  EXPECT_EQ(t.s, want) << kp_last_error();
  EXPECT_EQ(t.t, nullptr);
  std::string msg = kp_last_error();
  EXPECT_NE(msg.find(needle), std::string::npos) << msg;
  EXPECT_EQ(msg.find('\n'), std::string::npos) << msg;
}

TEST(LineTrainer, BadInputs) {
  TmpDir d;
  std::string m = make_model(d);
  expect_error(Cfg(d / "nope", kTsv, d / "runs", {}), KP_ERR_IO, "nope");
  std::string bad = d / "bad.tsv";
  std::ofstream(bad) << "0\teth0: link is up\n1 no tab here\n";
  expect_error(Cfg(m, bad, d / "runs", {}), KP_ERR_FORMAT, "bad.tsv:2");
  expect_error(Cfg(m, kTsv, d / "runs", {"data.max_seq_len=65"}), KP_ERR_INVALID, "max_position_embeddings = 64");
  expect_error(Cfg(m, kTsv, d / "runs", {"data.split=file"}), KP_ERR_INVALID, "data.split");
  expect_error(Cfg(m, kTsv, d / "runs", {"train.patience=2"}), KP_ERR_INVALID, "validation split");
  expect_error(Cfg(m, kTsv, d / "runs", {"train.class_weights=[1,2,3]"}), KP_ERR_INVALID, "3 values");
  Cfg nopath(m, kTsv, d / "runs", {"model.path=null"});
  EXPECT_EQ(nopath.s, KP_ERR_INVALID);
  EXPECT_NE(std::string(kp_last_error()).find("model.path"), std::string::npos) << kp_last_error();
  Cfg nobatch(m, kTsv, d / "runs", {"data.batch_size=0"});
  EXPECT_EQ(nobatch.s, KP_ERR_INVALID);
  Cfg accum(m, kTsv, d / "runs", {"model.name=gcn", "data.batch_size=0", "optim.grad_accum=2"});
  EXPECT_EQ(accum.s, KP_ERR_INVALID);
  EXPECT_NE(std::string(kp_last_error()).find("optim.grad_accum"), std::string::npos) << kp_last_error();
}

}  // namespace
