// Dataset splits: stratification within one item per class, groups never leak across splits,
// time order respected, the same seed gives the same split, class-count tables.
#include <algorithm>
#include <cmath>
#include <map>
#include <set>
#include "kprca/split.h"
#include "testutil.h"

namespace {
/* Labels with classes of very different sizes, in shuffled order, with arbitrary label values. */
std::vector<int32_t> uneven_labels() {
  const int32_t values[] = {7, -3, 0, 1000, 42, 5, 9};
  const int sizes[] = {1, 2, 7, 10, 33, 100, 1001};
  std::vector<int32_t> l;
  for (int k = 0; k < 7; k++) l.insert(l.end(), sizes[k], values[k]);
  std::mt19937 g(1);
  std::shuffle(l.begin(), l.end(), g);
  return l;
}
std::vector<int8_t> run_stratified(const std::vector<int32_t> &l, double v, double t, uint64_t seed) {
  std::vector<int8_t> s(l.size(), -7);
  KP_EXPECT_OK(kp_split_stratified(l.data(), (int64_t)l.size(), v, t, seed, s.data()));
  return s;
}
}  // namespace

TEST(Split, StratifiedWithinOneItemPerClass) {
  auto l = uneven_labels();
  for (auto [v, t] : {std::pair{0.1, 0.2}, {0.15, 0.15}, {0.0, 0.5}, {0.3, 0.0}, {0.0, 0.0}, {0.5, 0.5}}) {
    auto s = run_stratified(l, v, t, 42);
    std::map<int32_t, std::array<int64_t, 3>> cnt;
    std::map<int32_t, int64_t> total;
    for (size_t i = 0; i < l.size(); i++) {
      ASSERT_GE(s[i], 0);
      ASSERT_LE(s[i], 2);
      cnt[l[i]][s[i]]++;
      total[l[i]]++;
    }
    for (auto &[lab, c] : cnt) {
      double n = (double)total[lab];
      EXPECT_LE(std::fabs(c[1] - n * v), 1.0) << "label " << lab << " val";
      EXPECT_LE(std::fabs(c[2] - n * t), 1.0) << "label " << lab << " test";
      // val is round(n*v) unless test's share leaves less room (fractions summing to 1)
      EXPECT_EQ(c[1], std::min<int64_t>(std::llround(n * v), (int64_t)n - c[2])) << "label " << lab;
      EXPECT_EQ(c[2], std::llround(n * t)) << "label " << lab;
    }
  }
}

TEST(Split, StratifiedIsDeterministicAndSeedDependent) {
  auto l = uneven_labels();
  auto a = run_stratified(l, 0.1, 0.2, 7), b = run_stratified(l, 0.1, 0.2, 7), c = run_stratified(l, 0.1, 0.2, 8);
  EXPECT_EQ(a, b);
  EXPECT_NE(a, c);
  // a class's split depends only on its own members and the seed: adding items of other classes
  // in front does not move it
  std::vector<int32_t> l2(50, 12345);
  l2.insert(l2.end(), l.begin(), l.end());
  auto d = run_stratified(l2, 0.1, 0.2, 7);
  EXPECT_EQ(std::vector<int8_t>(d.begin() + 50, d.end()), a);
  // the shuffle is real: the test items of the big class are not simply its first ones
  std::vector<int8_t> big;
  for (size_t i = 0; i < l.size(); i++)
    if (l[i] == 9) big.push_back(a[i]);
  EXPECT_FALSE(std::is_sorted(big.begin(), big.end(), std::greater<int8_t>()));
}

TEST(Split, RejectsBadFractions) {
  std::vector<int32_t> l(10, 0);
  std::vector<int8_t> s(10);
  EXPECT_EQ(kp_split_stratified(l.data(), 10, 0.6, 0.5, 1, s.data()), KP_ERR_INVALID);
  EXPECT_NE(std::string(kp_last_error()).find("split_stratified"), std::string::npos);
  EXPECT_EQ(kp_split_stratified(l.data(), 10, -0.1, 0.5, 1, s.data()), KP_ERR_INVALID);
  EXPECT_EQ(kp_split_stratified(l.data(), 10, NAN, 0.5, 1, s.data()), KP_ERR_INVALID);
  EXPECT_EQ(kp_split_group(l.data(), nullptr, 10, 0.5, 0.6, 1, s.data()), KP_ERR_INVALID);
  std::vector<double> t(10, 0);
  EXPECT_EQ(kp_split_time(t.data(), nullptr, 10, 1.5, 0, s.data()), KP_ERR_INVALID);
  t[3] = NAN;
  EXPECT_EQ(kp_split_time(t.data(), nullptr, 10, 0.1, 0.1, s.data()), KP_ERR_INVALID);
  EXPECT_NE(std::string(kp_last_error()).find("time[3] is NaN"), std::string::npos);
  KP_EXPECT_OK(kp_split_stratified(nullptr, 0, 0.1, 0.1, 1, nullptr));  // empty is fine
}

TEST(Split, GroupsNeverLeakAndAreStratified) {
  // 600 incidents of 1..40 lines each; the incident's category is the majority of its lines' values
  std::mt19937 g(3);
  std::vector<int32_t> group, strat;
  std::map<int32_t, int32_t> category;
  for (int inc = 0; inc < 600; inc++) {
    int32_t id = inc * 37 % 1001 - 300;  // arbitrary, unordered ids
    int32_t cat = inc % 4 == 0 ? 0 : inc % 4 == 1 ? 1 : (inc % 7 == 0 ? 2 : 3);
    category[id] = cat;
    int n = 1 + (int)(g() % 40);
    for (int k = 0; k < n; k++) {
      group.push_back(id);
      // a minority of lines carries another value; the majority is the category
      strat.push_back(k % 3 == 2 && n > 2 ? 99 : cat);
    }
  }
  // interleave the lines of different incidents
  std::vector<size_t> perm(group.size());
  for (size_t i = 0; i < perm.size(); i++) perm[i] = i;
  std::shuffle(perm.begin(), perm.end(), g);
  std::vector<int32_t> G(perm.size()), S(perm.size());
  for (size_t i = 0; i < perm.size(); i++) G[i] = group[perm[i]], S[i] = strat[perm[i]];
  int64_t n = (int64_t)G.size();
  std::vector<int8_t> s(n), s2(n), s3(n);
  KP_ASSERT_OK(kp_split_group(G.data(), S.data(), n, 0.1, 0.2, 11, s.data()));
  KP_ASSERT_OK(kp_split_group(G.data(), S.data(), n, 0.1, 0.2, 11, s2.data()));
  KP_ASSERT_OK(kp_split_group(G.data(), S.data(), n, 0.1, 0.2, 12, s3.data()));
  EXPECT_EQ(s, s2);
  EXPECT_NE(s, s3);
  std::map<int32_t, int8_t> where;
  for (int64_t i = 0; i < n; i++) {
    auto [it, fresh] = where.emplace(G[i], s[i]);
    ASSERT_EQ(it->second, s[i]) << "incident " << G[i] << " sits in two splits";
  }
  // per category: groups in val/test within one of their share
  std::map<int32_t, std::array<int64_t, 3>> cnt;
  std::map<int32_t, int64_t> tot;
  for (auto &[id, sp] : where) cnt[category[id]][sp]++, tot[category[id]]++;
  ASSERT_EQ(cnt.size(), 4u);
  for (auto &[cat, c] : cnt) {
    EXPECT_LE(std::fabs(c[1] - 0.1 * tot[cat]), 1.0) << "category " << cat;
    EXPECT_LE(std::fabs(c[2] - 0.2 * tot[cat]), 1.0) << "category " << cat;
  }
  // without strata: one stratum over all groups
  KP_ASSERT_OK(kp_split_group(G.data(), nullptr, n, 0.1, 0.2, 11, s.data()));
  where.clear();
  for (int64_t i = 0; i < n; i++) {
    auto [it, fresh] = where.emplace(G[i], s[i]);
    ASSERT_EQ(it->second, s[i]);
  }
  int64_t ntest = 0;
  for (auto &[id, sp] : where) ntest += sp == 2;
  EXPECT_EQ(ntest, 120);
}

TEST(Split, TimeSplitRespectsOrder) {
  std::mt19937 g(5);
  int64_t n = 1001;
  std::vector<double> t(n);
  for (auto &x : t) x = (double)(g() % 300);  // many ties
  std::vector<int8_t> s(n);
  KP_ASSERT_OK(kp_split_time(t.data(), nullptr, n, 0.1, 0.2, s.data()));
  double max_train = -1, min_val = 1e9, max_val = -1, min_test = 1e9;
  int64_t c[3] = {0, 0, 0};
  for (int64_t i = 0; i < n; i++) {
    c[s[i]]++;
    if (s[i] == 0) max_train = std::max(max_train, t[i]);
    if (s[i] == 1) min_val = std::min(min_val, t[i]), max_val = std::max(max_val, t[i]);
    if (s[i] == 2) min_test = std::min(min_test, t[i]);
  }
  EXPECT_LE(max_train, min_val);
  EXPECT_LE(max_val, min_test);
  EXPECT_EQ(c[1], 100);
  EXPECT_EQ(c[2], 200);
  EXPECT_EQ(c[0], 701);
  // ties are broken by position: equal times keep their order across a boundary
  std::vector<double> same(10, 5.0);
  std::vector<int8_t> ss(10);
  KP_ASSERT_OK(kp_split_time(same.data(), nullptr, 10, 0.2, 0.3, ss.data()));
  EXPECT_EQ(ss, (std::vector<int8_t>{0, 0, 0, 0, 0, 1, 1, 2, 2, 2}));
}

TEST(Split, TimeSplitMovesWholeGroups) {
  // 50 incidents; each one's lines span a time window; ordered by each incident's first line
  std::mt19937 g(9);
  std::vector<double> t;
  std::vector<int32_t> grp;
  std::map<int32_t, double> first;
  for (int inc = 0; inc < 50; inc++) {
    double start = (double)(g() % 100000);
    int32_t id = 1000 - inc;
    first[id] = start;
    for (int k = 0; k < 5 + inc % 7; k++) {
      t.push_back(start + k * 30.0);
      grp.push_back(id);
    }
  }
  std::vector<int8_t> s(t.size());
  KP_ASSERT_OK(kp_split_time(t.data(), grp.data(), (int64_t)t.size(), 0.2, 0.2, s.data()));
  std::map<int32_t, int8_t> where;
  for (size_t i = 0; i < t.size(); i++) {
    auto [it, fresh] = where.emplace(grp[i], s[i]);
    ASSERT_EQ(it->second, s[i]) << "incident " << grp[i] << " split across";
  }
  double max_first[3] = {-1, -1, -1}, min_first[3] = {1e18, 1e18, 1e18};
  int ng[3] = {0, 0, 0};
  for (auto &[id, sp] : where) {
    ng[sp]++;
    max_first[sp] = std::max(max_first[sp], first[id]);
    min_first[sp] = std::min(min_first[sp], first[id]);
  }
  EXPECT_EQ(ng[0], 30);
  EXPECT_EQ(ng[1], 10);
  EXPECT_EQ(ng[2], 10);
  EXPECT_LE(max_first[0], min_first[1]);
  EXPECT_LE(max_first[1], min_first[2]);
}

TEST(Split, CountsTableAndMasks) {
  std::vector<int32_t> l = {0, 0, 1, 2, 2, 2, -1, 1};
  std::vector<int8_t> s = {0, 1, 2, 0, 0, 2, 0, -1};
  std::vector<int64_t> c(9);
  KP_ASSERT_OK(kp_split_counts(l.data(), s.data(), 8, 3, c.data()));
  EXPECT_EQ(c, (std::vector<int64_t>{1, 1, 0, 0, 0, 1, 2, 0, 1}));
  char *buf = nullptr;
  size_t len = 0;
  FILE *f = open_memstream(&buf, &len);
  const char *names[] = {"normal", "oom-killer", "gpu-xid"};
  KP_ASSERT_OK(kp_split_print_counts(f, l.data(), s.data(), 8, names, 3));
  fclose(f);
  std::string out(buf, len);
  free(buf);
  EXPECT_NE(out.find("class      "), std::string::npos) << out;
  EXPECT_NE(out.find("train"), std::string::npos);
  EXPECT_NE(out.find("oom-killer         0         0         1         1\n"), std::string::npos) << out;
  EXPECT_NE(out.find("gpu-xid            2         0         1         3\n"), std::string::npos) << out;
  EXPECT_NE(out.find("total              3         1         2         6\n"), std::string::npos) << out;
  // without names: "class K" rows, never cut short
  f = open_memstream(&buf, &len);
  std::vector<int32_t> many(12);
  std::vector<int8_t> zero(12, 0);
  for (int i = 0; i < 12; i++) many[i] = i;
  KP_ASSERT_OK(kp_split_print_counts(f, many.data(), zero.data(), 12, nullptr, 12));
  fclose(f);
  out.assign(buf, len);
  free(buf);
  EXPECT_NE(out.find("class 0          1"), std::string::npos) << out;
  EXPECT_NE(out.find("class 11         1"), std::string::npos) << out;
  // bad values name the item
  l[4] = 3;
  EXPECT_EQ(kp_split_counts(l.data(), s.data(), 8, 3, c.data()), KP_ERR_INVALID);
  EXPECT_NE(std::string(kp_last_error()).find("label[4] = 3"), std::string::npos);
  l[4] = 2;
  s[5] = 4;
  EXPECT_EQ(kp_split_counts(l.data(), s.data(), 8, 3, c.data()), KP_ERR_INVALID);
  EXPECT_NE(std::string(kp_last_error()).find("split[5] = 4"), std::string::npos);
  std::vector<int8_t> tr(8), va(8), te(8);
  std::vector<int8_t> sp = {0, 1, 2, -1, 0, 2, 1, 0};
  kp_split_to_masks(sp.data(), 8, tr.data(), va.data(), te.data());
  EXPECT_EQ(tr, (std::vector<int8_t>{1, 0, 0, 0, 1, 0, 0, 1}));
  EXPECT_EQ(va, (std::vector<int8_t>{0, 1, 0, 0, 0, 0, 1, 0}));
  EXPECT_EQ(te, (std::vector<int8_t>{0, 0, 1, 0, 0, 1, 0, 0}));
}
