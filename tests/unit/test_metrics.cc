// Classification and ranking metrics against scikit-learn: tests/fixtures/metrics/*.json hold
// sklearn's numbers and classification_report text for seeded predictions (written once by
// scripts/golden/sklearn_metrics.py). Every number must agree within 1e-12 and the report
// byte for byte. Further cases by hand: the confusion table, the JSON keys, the tie rule of
// Acc@k / MRR, and the errors (out-of-range labels, empty input, single-class AUC).
#include <cjson/cJSON.h>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include "kprca/metrics.h"
#include "testutil.h"

namespace {

constexpr double kTol = 1e-12;

std::string fixture_dir() { return std::string(KPRCA_SOURCE_DIR) + "/tests/fixtures/metrics"; }

struct Json {
  cJSON *root = nullptr;
  explicit Json(const std::string &text) {
    root = cJSON_Parse(text.c_str());
    if (!root) throw std::runtime_error("bad JSON: " + text.substr(0, 200));
  }
  ~Json() { cJSON_Delete(root); }
  Json(const Json &) = delete;
  Json &operator=(const Json &) = delete;
};

std::string read_text(const std::string &path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) throw std::runtime_error("cannot open " + path);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

const cJSON *get(const cJSON *o, const char *key) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
  if (!v) throw std::runtime_error(std::string("JSON lacks '") + key + "'");
  return v;
}
double num(const cJSON *o, const char *key) { return get(o, key)->valuedouble; }
template <class T>
std::vector<T> list(const cJSON *arr) {
  std::vector<T> v;
  const cJSON *it;
  cJSON_ArrayForEach(it, arr) v.push_back((T)it->valuedouble);
  return v;
}

/* A malloc'd string from the library, freed at scope end. */
struct Text {
  char *p;
  explicit Text(char *s) : p(s) {}
  ~Text() { free(p); }
  std::string str() const { return p ? std::string(p) : std::string("<NULL: ") + kp_last_error() + ">"; }
};

/* kp_metrics freed at scope end. */
struct Metrics {
  kp_metrics m{};
  ~Metrics() { kp_metrics_free(&m); }
};

std::vector<std::string> case_names() {
  std::vector<std::string> v;
  for (const auto &e : std::filesystem::directory_iterator(fixture_dir()))
    if (e.path().extension() == ".json") v.push_back(e.path().stem().string());
  std::sort(v.begin(), v.end());
  return v;
}

class SklearnCase : public ::testing::TestWithParam<std::string> {};

TEST(SklearnFixtures, AllCasesPresent) {
  auto names = case_names();
  EXPECT_GE(names.size(), 10u);
  for (const char *want : {"binary", "five_class_empty", "never_predicted", "perfect", "all_wrong", "name_lengths",
                           "panic_14", "binary_ties_unlabelled"})
    EXPECT_NE(std::find(names.begin(), names.end(), want), names.end()) << want;
}

TEST_P(SklearnCase, MatchesScikitLearn) {
  Json fx(read_text(fixture_dir() + "/" + GetParam() + ".json"));
  const cJSON *sk = get(fx.root, "sklearn");
  ASSERT_TRUE(cJSON_IsString(get(get(fx.root, "versions"), "sklearn")));
  const int64_t C = (int64_t)num(fx.root, "num_classes");
  auto yt = list<int32_t>(get(fx.root, "y_true")), yp = list<int32_t>(get(fx.root, "y_pred"));
  ASSERT_EQ(yt.size(), yp.size());
  std::vector<std::string> name_store;
  std::vector<const char *> names;
  const cJSON *jn = get(fx.root, "names");
  if (cJSON_IsArray(jn)) {
    const cJSON *it;
    cJSON_ArrayForEach(it, jn) name_store.push_back(it->valuestring);
    for (auto &s : name_store) names.push_back(s.c_str());
  } else {
    for (int64_t c = 0; c < C; c++) name_store.push_back(std::to_string(c));
  }
  const char *const *np = names.empty() ? nullptr : names.data();

  Metrics M;
  kp_metrics &m = M.m;
  KP_ASSERT_OK(kp_metrics_compute(yt.data(), yp.data(), (int64_t)yt.size(), C, &m));
  int64_t labelled = std::count_if(yt.begin(), yt.end(), [](int32_t v) { return v >= 0; });
  EXPECT_EQ(m.n, labelled);
  EXPECT_EQ(m.num_classes, C);

  auto cm = get(sk, "confusion_matrix");
  for (int64_t r = 0; r < C; r++) {
    auto row = list<int64_t>(cJSON_GetArrayItem(cm, (int)r));
    for (int64_t c = 0; c < C; c++) EXPECT_EQ(m.confusion[r * C + c], row[c]) << "confusion[" << r << "][" << c << "]";
  }
  auto P = list<double>(get(sk, "precision")), R = list<double>(get(sk, "recall")), F = list<double>(get(sk, "f1"));
  auto S = list<int64_t>(get(sk, "support"));
  for (int64_t c = 0; c < C; c++) {
    EXPECT_NEAR(m.per_class[c].precision, P[c], kTol) << "precision of class " << c;
    EXPECT_NEAR(m.per_class[c].recall, R[c], kTol) << "recall of class " << c;
    EXPECT_NEAR(m.per_class[c].f1, F[c], kTol) << "f1 of class " << c;
    EXPECT_EQ(m.per_class[c].support, S[c]) << "support of class " << c;
  }
  const std::pair<const char *, double> scalars[] = {
      {"accuracy", m.accuracy},
      {"balanced_accuracy", m.balanced_accuracy},
      {"macro_precision", m.macro_precision},
      {"macro_recall", m.macro_recall},
      {"macro_f1", m.macro_f1},
      {"micro_precision", m.micro_precision},
      {"micro_recall", m.micro_recall},
      {"micro_f1", m.micro_f1},
      {"weighted_precision", m.weighted_precision},
      {"weighted_recall", m.weighted_recall},
      {"weighted_f1", m.weighted_f1}};
  for (auto &[key, v] : scalars) EXPECT_NEAR(v, num(sk, key), kTol) << key;

  for (int digits : {2, 4}) {
    Text rep(kp_metrics_report(&m, np, digits));
    std::string want = get(sk, ("report_" + std::to_string(digits)).c_str())->valuestring;
    EXPECT_EQ(rep.str(), want) << "classification_report, digits " << digits;
  }

  // JSON: exactly the documented keys, the same numbers, per_class keyed by name
  Text js(kp_metrics_json(&m, np));
  ASSERT_NE(js.p, nullptr) << kp_last_error();
  Json j(js.p);
  std::set<std::string> keys, want_keys = {"n", "labels", "per_class", "confusion_matrix"};
  for (auto &[key, v] : scalars) want_keys.insert(key);
  const cJSON *it;
  cJSON_ArrayForEach(it, j.root) keys.insert(it->string);
  EXPECT_EQ(keys, want_keys);
  EXPECT_EQ(num(j.root, "n"), (double)m.n);
  for (auto &[key, v] : scalars) EXPECT_EQ(num(j.root, key), v) << key << " in JSON";
  const cJSON *labels = get(j.root, "labels"), *per = get(j.root, "per_class");
  ASSERT_EQ(cJSON_GetArraySize(labels), (int)C);
  for (int64_t c = 0; c < C; c++) {
    EXPECT_EQ(std::string(cJSON_GetArrayItem(labels, (int)c)->valuestring), name_store[c]);
    const cJSON *pc = get(per, name_store[c].c_str());
    EXPECT_EQ(num(pc, "precision"), m.per_class[c].precision);
    EXPECT_EQ(num(pc, "recall"), m.per_class[c].recall);
    EXPECT_EQ(num(pc, "f1"), m.per_class[c].f1);
    EXPECT_EQ(num(pc, "support"), (double)m.per_class[c].support);
    auto row = list<int64_t>(cJSON_GetArrayItem(get(j.root, "confusion_matrix"), (int)c));
    ASSERT_EQ((int64_t)row.size(), C);
    for (int64_t k = 0; k < C; k++) EXPECT_EQ(row[k], m.confusion[c * C + k]);
  }

  if (cJSON_HasObjectItem(fx.root, "binary_scores")) {
    auto s = list<float>(get(fx.root, "binary_scores"));
    double auc = -1, ap = -1;
    KP_EXPECT_OK(kp_roc_auc(s.data(), yt.data(), (int64_t)yt.size(), &auc));
    KP_EXPECT_OK(kp_average_precision(s.data(), yt.data(), (int64_t)yt.size(), &ap));
    EXPECT_NEAR(auc, num(sk, "roc_auc"), kTol);
    EXPECT_NEAR(ap, num(sk, "average_precision"), kTol);
  }
  if (cJSON_HasObjectItem(fx.root, "scores")) {
    auto s = list<float>(get(fx.root, "scores"));
    ASSERT_EQ((int64_t)s.size(), (int64_t)yt.size() * C);
    const cJSON *topk = get(sk, "top_k_accuracy");
    int checked = 0;
    cJSON_ArrayForEach(it, topk) {
      int k = std::stoi(it->string);
      double acc = -1;
      KP_EXPECT_OK(kp_topk_accuracy(s.data(), yt.data(), (int64_t)yt.size(), C, k, &acc));
      EXPECT_NEAR(acc, it->valuedouble, kTol) << "Acc@" << k;
      checked++;
    }
    EXPECT_GE(checked, 2);
    double mrr = -1;
    KP_EXPECT_OK(kp_mrr(s.data(), yt.data(), (int64_t)yt.size(), C, &mrr));
    EXPECT_NEAR(mrr, num(sk, "mrr"), kTol);
  }
}

INSTANTIATE_TEST_SUITE_P(Fixtures, SklearnCase, ::testing::ValuesIn(case_names()),
                         [](const ::testing::TestParamInfo<std::string> &i) { return i.param; });

TEST(Metrics, ConfusionText) {
  // true: a a a b b long ; predicted: a b a b a a ; class "empty" has no items
  std::vector<int32_t> yt = {0, 0, 0, 1, 1, 2}, yp = {0, 1, 0, 1, 0, 0};
  const char *names[] = {"a", "bb", "a_very_long_class_name", "empty"};
  Metrics M;
  KP_ASSERT_OK(kp_metrics_compute(yt.data(), yp.data(), 6, 4, &M.m));
  Text t(kp_metrics_confusion_text(&M.m, names, 0));
  EXPECT_EQ(t.str(),
            "confusion matrix (rows: true class, columns: predicted class)\n"
            "                        a  bb  a_very_long~  empty\n"
            "                     a  2   1             0      0\n"
            "                    bb  1   1             0      0\n"
            "a_very_long_class_name  1   0             0      0\n"
            "                 empty  0   0             0      0\n");
  Text tn(kp_metrics_confusion_text(&M.m, names, 1));
  EXPECT_EQ(tn.str(),
            "confusion matrix, each row divided by its sum (rows: true class, columns: predicted class)\n"
            "                           a    bb  a_very_long~  empty\n"
            "                     a  0.67  0.33          0.00   0.00\n"
            "                    bb  0.50  0.50          0.00   0.00\n"
            "a_very_long_class_name  1.00  0.00          0.00   0.00\n"
            "                 empty     -     -             -      -\n");
  Text td(kp_metrics_confusion_text(&M.m, nullptr, 0)); // numbers as names
  EXPECT_NE(td.str().find("\n   0  1  2  3\n0  2  1  0  0\n"), std::string::npos) << td.str();
}

TEST(Metrics, ConfusionTextNumberedWhenWide) {
  // 14 long names would make a table of about 190 characters: columns are numbered instead
  const char *names[] = {"benign", "oom_kill", "null_pointer_deref", "soft_lockup", "hung_task", "gpu_xid_error",
                         "ecc_memory", "nvme_timeout", "ext4_fs_error", "rcu_stall", "general_protection_fault",
                         "bad_page_state", "watchdog_hard_lockup", "mce"};
  std::vector<int32_t> yt, yp;
  for (int i = 0; i < 28; i++) yt.push_back(i % 14), yp.push_back(i % 14);
  yp[13] = 0; // one mce predicted benign
  Metrics M;
  KP_ASSERT_OK(kp_metrics_compute(yt.data(), yp.data(), 28, 14, &M.m));
  Text t(kp_metrics_confusion_text(&M.m, names, 0));
  std::string s = t.str();
  EXPECT_EQ(s.substr(0, s.find('\n') + 1),
            "confusion matrix (rows: true class, columns: predicted class by the rows' numbers)\n");
  EXPECT_NE(s.find("\n                               0   1   2   3   4   5   6   7   8   9  10  11  12  13\n"),
            std::string::npos)
      << s;
  EXPECT_NE(s.find("\n                     mce  13   1   0   0   0   0   0   0   0   0   0   0   0   0   1\n"),
            std::string::npos)
      << s;
  std::istringstream lines(s);
  for (std::string line; std::getline(lines, line);) EXPECT_LE(line.size(), 120u) << line;
}

TEST(Metrics, UnlabelledItemsAreSkipped) {
  std::vector<int32_t> yt = {0, -1, 1, -5, 1}, yp = {0, 7, 1, -2, 0}; // predictions of skipped items ignored
  Metrics M;
  KP_ASSERT_OK(kp_metrics_compute(yt.data(), yp.data(), 5, 2, &M.m));
  EXPECT_EQ(M.m.n, 3);
  EXPECT_DOUBLE_EQ(M.m.accuracy, 2.0 / 3.0);
}

TEST(Metrics, Errors) {
  Metrics M;
  std::vector<int32_t> yt = {0, 1, 2, 3}, yp = {0, 1, 1, 0};
  EXPECT_EQ(kp_metrics_compute(yt.data(), yp.data(), 4, 3, &M.m), KP_ERR_INVALID);
  EXPECT_NE(std::string(kp_last_error()).find("item 3 has y_true 3"), std::string::npos) << kp_last_error();
  EXPECT_EQ(M.m.confusion, nullptr); // nothing left allocated
  yt = {0, 1, 2, 0}, yp = {0, 1, -1, 0};
  EXPECT_EQ(kp_metrics_compute(yt.data(), yp.data(), 4, 3, &M.m), KP_ERR_INVALID);
  EXPECT_NE(std::string(kp_last_error()).find("item 2 has y_pred -1"), std::string::npos) << kp_last_error();
  EXPECT_EQ(kp_metrics_compute(yt.data(), yp.data(), 0, 3, &M.m), KP_ERR_INVALID); // n = 0, as sklearn
  yt = {-1, -1};
  EXPECT_EQ(kp_metrics_compute(yt.data(), yp.data(), 2, 3, &M.m), KP_ERR_INVALID); // nothing labelled
  EXPECT_EQ(kp_metrics_compute(yt.data(), yp.data(), 2, 0, &M.m), KP_ERR_INVALID);
  kp_metrics_free(&M.m);
  kp_metrics_free(nullptr);
  kp_metrics empty{};
  EXPECT_EQ(kp_metrics_report(&empty, nullptr, 2), nullptr);
  EXPECT_EQ(kp_metrics_json(&empty, nullptr), nullptr);
  EXPECT_EQ(kp_metrics_confusion_text(nullptr, nullptr, 0), nullptr);
}

TEST(Ranking, BinaryErrorsAndEdges) {
  std::vector<float> s = {0.1f, 0.4f, 0.35f, 0.8f};
  std::vector<int32_t> y = {1, 1, 1, 1};
  double v = -1;
  EXPECT_EQ(kp_roc_auc(s.data(), y.data(), 4, &v), KP_ERR_INVALID); // one class only
  EXPECT_NE(std::string(kp_last_error()).find("only one class"), std::string::npos) << kp_last_error();
  KP_EXPECT_OK(kp_average_precision(s.data(), y.data(), 4, &v));
  EXPECT_EQ(v, 1.0); // all positive
  y = {0, 0, 0, 0};
  KP_EXPECT_OK(kp_average_precision(s.data(), y.data(), 4, &v));
  EXPECT_EQ(v, 0.0); // no positive: sklearn warns and gives 0
  y = {0, 0, 1, 1};
  KP_EXPECT_OK(kp_roc_auc(s.data(), y.data(), 4, &v));
  EXPECT_DOUBLE_EQ(v, 0.75); // sklearn's docstring example
  KP_EXPECT_OK(kp_average_precision(s.data(), y.data(), 4, &v));
  EXPECT_NEAR(v, 0.8333333333333333, 1e-15);
  y = {0, 2, 1, 1};
  EXPECT_EQ(kp_roc_auc(s.data(), y.data(), 4, &v), KP_ERR_INVALID);
  EXPECT_NE(std::string(kp_last_error()).find("item 1 has y 2"), std::string::npos) << kp_last_error();
  y = {0, 0, 1, 1}, s[2] = NAN;
  EXPECT_EQ(kp_roc_auc(s.data(), y.data(), 4, &v), KP_ERR_INVALID);
  EXPECT_EQ(kp_roc_auc(s.data(), y.data(), 0, &v), KP_ERR_INVALID);
}

TEST(Ranking, TieRuleAndErrors) {
  // all scores equal: the higher class index ranks first (sklearn's top_k_accuracy_score order)
  std::vector<float> s = {1, 1, 1, 1, 1, 1, 1, 1, 1};
  std::vector<int32_t> y = {2, 2, 1}; // ranks 1, 1, 2 (the lower-first rule would give 3, 3, 2)
  double v = -1;
  KP_EXPECT_OK(kp_topk_accuracy(s.data(), y.data(), 3, 3, 1, &v));
  EXPECT_DOUBLE_EQ(v, 2.0 / 3.0);
  KP_EXPECT_OK(kp_mrr(s.data(), y.data(), 3, 3, &v));
  EXPECT_DOUBLE_EQ(v, (1.0 + 1.0 + 1.0 / 2) / 3);
  // a strictly higher score always ranks first; k >= C is a hit for every row
  s = {0.1f, 0.7f, 0.2f, 0.5f, 0.3f, 0.2f};
  y = {2, 0};
  KP_EXPECT_OK(kp_topk_accuracy(s.data(), y.data(), 2, 3, 1, &v));
  EXPECT_EQ(v, 0.5);
  KP_EXPECT_OK(kp_topk_accuracy(s.data(), y.data(), 2, 3, 3, &v));
  EXPECT_EQ(v, 1.0);
  KP_EXPECT_OK(kp_mrr(s.data(), y.data(), 2, 3, &v));
  EXPECT_DOUBLE_EQ(v, (1.0 / 2 + 1.0) / 2);
  EXPECT_EQ(kp_topk_accuracy(s.data(), y.data(), 2, 3, 0, &v), KP_ERR_INVALID);
  y = {2, 3};
  EXPECT_EQ(kp_mrr(s.data(), y.data(), 2, 3, &v), KP_ERR_INVALID);
  EXPECT_NE(std::string(kp_last_error()).find("item 1 has y 3"), std::string::npos) << kp_last_error();
  y = {-1, -1};
  EXPECT_EQ(kp_mrr(s.data(), y.data(), 2, 3, &v), KP_ERR_INVALID);
}

} // namespace
