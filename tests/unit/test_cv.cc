// Cross-validation: fold assignment properties (each item tested once, stratification within one,
// groups never split, leave-one-group-out), fold splits, mean / sample std, and cv.json / cv.txt.
#include <cjson/cJSON.h>
#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "kprca/cv.h"
#include "kprca/split.h"
#include "testutil.h"

namespace {

std::vector<int32_t> labels(int64_t n, int C, uint64_t seed) {
  std::vector<int32_t> y(n);
  kp_rng r = kp_rng_make(seed);
  for (auto &v : y) v = (int32_t)kp_rng_below(&r, (uint64_t)C);
  return y;
}

std::vector<int32_t> assign(const std::vector<int32_t> &y, const int32_t *group, int k, bool strat, uint64_t seed,
                            int *nf) {
  std::vector<int32_t> f(y.size());
  EXPECT_EQ(kp_cv_assign(y.data(), group, (int64_t)y.size(), k, strat, seed, f.data(), nf), KP_OK) << kp_last_error();
  return f;
}

TEST(CvAssign, StratifiedEveryItemOnceClassesWithinOne) {
  for (int k : {2, 3, 5, 7}) {
    auto y = labels(103, 4, 11 + k);
    int nf = 0;
    auto f = assign(y, nullptr, k, true, 42, &nf);
    ASSERT_EQ(nf, k);
    std::vector<std::vector<int64_t>> per(4, std::vector<int64_t>(k, 0));
    std::vector<int64_t> size(k, 0);
    for (size_t i = 0; i < y.size(); i++) {
      ASSERT_GE(f[i], 0);
      ASSERT_LT(f[i], k);  // exactly one test fold per item
      per[y[i]][f[i]]++;
      size[f[i]]++;
    }
    for (int c = 0; c < 4; c++) {
      auto [lo, hi] = std::minmax_element(per[c].begin(), per[c].end());
      EXPECT_LE(*hi - *lo, 1) << "class " << c << " k " << k;
    }
    auto [lo, hi] = std::minmax_element(size.begin(), size.end());
    EXPECT_LE(*hi - *lo, 1) << "fold sizes, k " << k;
  }
}

TEST(CvAssign, UnlabelledItemsTakeNoPart) {
  std::vector<int32_t> y = {0, -1, 1, 0, -1, 1, 0, 1};
  int nf = 0;
  auto f = assign(y, nullptr, 2, true, 1, &nf);
  for (size_t i = 0; i < y.size(); i++) EXPECT_EQ(f[i] < 0, y[i] < 0) << i;
}

TEST(CvAssign, SeededDeterministicAndSeedMatters) {
  auto y = labels(200, 3, 5);
  int nf;
  auto a = assign(y, nullptr, 5, true, 7, &nf), b = assign(y, nullptr, 5, true, 7, &nf);
  auto c = assign(y, nullptr, 5, true, 8, &nf);
  EXPECT_EQ(a, b);
  EXPECT_NE(a, c);
}

TEST(CvAssign, GroupsNeverSplitAndBalanced) {
  // 60 groups of sizes 1..6, each group's items mostly one label
  std::vector<int32_t> y, g;
  kp_rng r = kp_rng_make(3);
  for (int gi = 0; gi < 60; gi++) {
    int sz = 1 + gi % 6, lab = (int)kp_rng_below(&r, 3);
    for (int j = 0; j < sz; j++) y.push_back(j == 3 ? (lab + 1) % 3 : lab), g.push_back(1000 - 7 * gi);
  }
  int nf = 0;
  auto f = assign(y, g.data(), 4, true, 9, &nf);
  ASSERT_EQ(nf, 4);
  std::map<int32_t, std::set<int32_t>> folds_of;
  std::vector<int64_t> size(4, 0);
  for (size_t i = 0; i < y.size(); i++) {
    ASSERT_GE(f[i], 0);
    folds_of[g[i]].insert(f[i]);
    size[f[i]]++;
  }
  for (auto &[gid, fs] : folds_of) EXPECT_EQ(fs.size(), 1u) << "group " << gid << " split across folds";
  auto [lo, hi] = std::minmax_element(size.begin(), size.end());
  EXPECT_LE(*hi - *lo, 6) << "greedy by size keeps folds within one group's size";
}

TEST(CvAssign, LeaveOneGroupOut) {
  std::vector<int32_t> y = {0, 1, 0, 1, 1, 0, 0}, g = {30, 10, 30, 20, 10, 40, 20};
  int nf = 0;
  auto f = assign(y, g.data(), KP_CV_LOGO, true, 1, &nf);
  ASSERT_EQ(nf, 4);  // one fold per distinct group, numbered by ascending group id
  std::vector<int32_t> want = {2, 0, 2, 1, 0, 3, 1};
  EXPECT_EQ(f, want);
}

TEST(CvAssign, BadValues) {
  std::vector<int32_t> y = {0, 1, 0}, f(3);
  int nf = 0;
  EXPECT_EQ(kp_cv_assign(y.data(), nullptr, 3, 1, true, 1, f.data(), &nf), KP_ERR_INVALID);
  EXPECT_EQ(kp_cv_assign(y.data(), nullptr, 3, 4, true, 1, f.data(), &nf), KP_ERR_INVALID);
  EXPECT_NE(std::string(kp_last_error()).find("only 3"), std::string::npos) << kp_last_error();
  EXPECT_EQ(kp_cv_assign(y.data(), nullptr, 3, KP_CV_LOGO, true, 1, f.data(), &nf), KP_ERR_INVALID);
  std::vector<int32_t> g = {5, 5, 5};
  EXPECT_EQ(kp_cv_assign(y.data(), g.data(), 3, 2, true, 1, f.data(), &nf), KP_ERR_INVALID);
}

TEST(CvDays, BucketsByUtcDay) {
  std::vector<double> t = {0, 86399.9, 86400, -1, 1.7e9};
  std::vector<int32_t> g(t.size());
  KP_ASSERT_OK(kp_cv_day_groups(t.data(), (int64_t)t.size(), g.data()));
  EXPECT_EQ(g, (std::vector<int32_t>{0, 0, 1, -1, 19675}));
  t.push_back(NAN);
  g.resize(t.size());
  EXPECT_EQ(kp_cv_day_groups(t.data(), (int64_t)t.size(), g.data()), KP_ERR_INVALID);
}

TEST(CvFoldSplit, TestIsTheFoldValCarvedFromTheRest) {
  auto y = labels(300, 3, 21);
  std::vector<int32_t> g(300);
  for (int i = 0; i < 300; i++) g[i] = i / 3;  // groups of three
  for (const int32_t *grp : {(const int32_t *)nullptr, (const int32_t *)g.data()}) {
    int nf;
    auto f = assign(y, grp, 3, true, 4, &nf);
    std::vector<int8_t> all_test(300, 0);
    for (int k = 0; k < 3; k++) {
      std::vector<int8_t> sp(300);
      KP_ASSERT_OK(kp_cv_fold_split(f.data(), y.data(), grp, 300, k, 0.2, true, 4, sp.data()));
      int64_t nval = 0, nrest = 0;
      std::map<int32_t, std::set<int>> splits_of;
      for (int i = 0; i < 300; i++) {
        EXPECT_EQ(sp[i] == KP_SPLIT_TEST, f[i] == k) << i;
        if (sp[i] == KP_SPLIT_TEST) all_test[i]++;
        if (f[i] != k) nrest++, nval += sp[i] == KP_SPLIT_VAL;
        splits_of[g[i]].insert(sp[i]);
      }
      EXPECT_NEAR((double)nval / (double)nrest, 0.2, 0.03);
      if (grp)
        for (auto &[gid, s] : splits_of) EXPECT_EQ(s.size(), 1u) << "group " << gid;
      std::vector<int8_t> again(300);
      KP_ASSERT_OK(kp_cv_fold_split(f.data(), y.data(), grp, 300, k, 0.2, true, 4, again.data()));
      EXPECT_EQ(sp, again);
    }
    for (int i = 0; i < 300; i++) EXPECT_EQ(all_test[i], 1) << i;
  }
}

TEST(CvStats, MeanAndSampleStd) {
  double v[] = {2, 4, 4, 4, 5, 5, 7, 9}, m, s;
  kp_cv_mean_std(v, 8, &m, &s);
  EXPECT_DOUBLE_EQ(m, 5.0);
  EXPECT_NEAR(s, std::sqrt(32.0 / 7.0), 1e-12);  // ddof = 1 (population std would be 2)
  kp_cv_mean_std(v, 1, &m, &s);
  EXPECT_EQ(m, 2.0);
  EXPECT_EQ(s, 0.0);
}

TEST(CvReport, JsonRowsMeanStd) {
  // fold 1: all right; fold 2: half right -> accuracy mean 0.75, std sqrt(0.125)
  std::vector<int32_t> t1 = {0, 1, 0, 1}, p1 = {0, 1, 0, 1}, t2 = {0, 1, 0, 1}, p2 = {0, 0, 0, 0};
  kp_metrics m[2] = {};
  KP_ASSERT_OK(kp_metrics_compute(t1.data(), p1.data(), 4, 2, &m[0]));
  KP_ASSERT_OK(kp_metrics_compute(t2.data(), p2.data(), 4, 2, &m[1]));
  kp_cv_fold f[2] = {{"fold-1", {8, 0, 4}, 4, &m[0]}, {"fold-2", {8, 0, 4}, 4, &m[1]}};
  const char *names[] = {"ok", "bad"};
  char *js = kp_cv_json(f, 2, names, "incident", true, "{\"seed\": 3}");
  ASSERT_NE(js, nullptr);
  cJSON *o = cJSON_Parse(js);
  ASSERT_NE(o, nullptr);
  EXPECT_EQ(cJSON_GetObjectItem(o, "folds")->valuedouble, 2);
  EXPECT_EQ(cJSON_GetObjectItem(o, "seed")->valuedouble, 3);
  EXPECT_STREQ(cJSON_GetObjectItem(o, "group_by")->valuestring, "incident");
  cJSON *rows = cJSON_GetObjectItem(o, "rows");
  ASSERT_EQ(cJSON_GetArraySize(rows), 2);
  for (int j = 0; j < 2; j++) {  // each row's test object is exactly kp_metrics_json of the fold
    char *want = kp_metrics_json(&m[j], names);
    cJSON *w = cJSON_Parse(want);
    EXPECT_TRUE(cJSON_Compare(cJSON_GetObjectItem(cJSON_GetArrayItem(rows, j), "test"), w, true));
    cJSON_Delete(w);
    free(want);
  }
  cJSON *mean = cJSON_GetObjectItem(o, "mean"), *sd = cJSON_GetObjectItem(o, "std");
  EXPECT_DOUBLE_EQ(cJSON_GetObjectItem(mean, "accuracy")->valuedouble, 0.75);
  EXPECT_NEAR(cJSON_GetObjectItem(sd, "accuracy")->valuedouble, std::sqrt(0.125), 1e-12);
  // fold 2: class ok has P 0.5, R 1, F1 2/3; class bad F1 0 -> per-class F1 means 5/6 and 1/2
  EXPECT_NEAR(cJSON_GetObjectItem(cJSON_GetObjectItem(cJSON_GetObjectItem(mean, "per_class"), "ok"), "f1")->valuedouble,
              (1.0 + 2.0 / 3.0) / 2, 1e-12);
  EXPECT_NEAR(cJSON_GetObjectItem(cJSON_GetObjectItem(cJSON_GetObjectItem(mean, "per_class"), "bad"), "f1")->valuedouble,
              0.5, 1e-12);
  for (const char *k : {"balanced_accuracy", "macro_precision", "macro_recall", "macro_f1", "micro_precision",
                        "micro_recall", "micro_f1", "weighted_precision", "weighted_recall", "weighted_f1"}) {
    EXPECT_NE(cJSON_GetObjectItem(mean, k), nullptr) << k;
    EXPECT_NE(cJSON_GetObjectItem(sd, k), nullptr) << k;
  }
  cJSON_Delete(o);
  free(js);
  char *txt = kp_cv_text(f, 2, names);
  ASSERT_NE(txt, nullptr);
  EXPECT_NE(std::string(txt).find("accuracy             0.7500 ± 0.3536"), std::string::npos) << txt;
  EXPECT_NE(std::string(txt).find("f1[bad]"), std::string::npos) << txt;
  free(txt);
  kp_metrics_free(&m[0]);
  kp_metrics_free(&m[1]);
}

}  // namespace
