// Failure prediction with lead time on constructed streams whose counts were worked out by hand
// (the comments give the reasoning), the edges of the definitions (alarm exactly at the region
// start, at the failure, score exactly at the threshold, no alarms, alarms everywhere, empty
// streams), the threshold sweep, and bad input.
#include <gtest/gtest.h>
#include <cmath>
#include <string>
#include <vector>
#include "kprca/leadtime.h"
#include "kprca/status.h"

namespace {

struct Stream {
  std::string name;
  std::vector<double> t, s;
  double failure, region;
};

const double kBenign = NAN;

// The worked example of docs/metrics.md.
std::vector<Stream> example() {
  return {
      // S0 failing at 100, region from 60: pre-region windows 10..50 quiet (TN); first alarm at 60,
      // exactly the region start, counts: TP with lead 100 - 60 = 40.
      {"s0", {10, 20, 50, 60, 70, 100}, {0.1, 0.2, 0.3, 0.7, 0.9, 0.95}, 100, 60},
      // S1 failing at 100, region from 80: an alarm at 30, before the region (FP); in the region the
      // first alarm is at 100, exactly the failure time: TP_LATE.
      {"s1", {30, 80, 90, 100, 110}, {0.6, 0.2, 0.4, 0.8, 0.9}, 100, 80},
      // S2 failing at 50, region from 20: window 10 quiet (TN); no alarm in the region: FN.
      {"s2", {10, 20, 40, 50, 60}, {0.1, 0.3, 0.45, 0.2, 0.1}, 50, 20},
      // S3 benign with two alarming windows: one FP, 2 false-alarm windows.
      {"s3", {0, 1, 2, 3, 4}, {0.1, 0.2, 0.55, 0.1, 0.6}, kBenign, NAN},
      // S4 benign and quiet: TN.
      {"s4", {0, 1, 2}, {0.1, 0.1, 0.1}, kBenign, NAN},
      // S5 failing at 200, region from 150, a single window scoring exactly the threshold at 170:
      // TP with lead 30; no window before the region, so no benign stretch.
      {"s5", {170}, {0.5}, 200, 150},
      // S6 failing with no windows at all: FN.
      {"s6", {}, {}, 300, 250},
  };
}

std::vector<kp_lt_stream> view(const std::vector<Stream> &v) {
  std::vector<kp_lt_stream> out;
  for (const Stream &s : v)
    out.push_back({s.name.c_str(), s.t.data(), s.s.data(), (int64_t)s.t.size(), s.failure, s.region});
  return out;
}

struct Result {
  kp_lt_result r{};
  ~Result() { kp_lt_result_free(&r); }
};

TEST(LeadTime, WorkedExample) {
  auto data = example();
  auto st = view(data);
  Result res;
  ASSERT_EQ(kp_leadtime_score(st.data(), (int64_t)st.size(), 0.5, &res.r), KP_OK) << kp_last_error();
  const kp_lt_result &r = res.r;
  EXPECT_EQ(r.tp, 2);
  EXPECT_EQ(r.tp_late, 1);
  EXPECT_EQ(r.fn, 2);
  EXPECT_EQ(r.fp, 2);
  EXPECT_EQ(r.tn, 3);
  EXPECT_EQ(r.benign_windows, 3 + 1 + 1 + 5 + 3);
  EXPECT_EQ(r.false_alarm_windows, 1 + 2);
  // Criterion 1: tp 3, fn 2, fp 2.  Criterion 2: tp 2, fn 3, fp 2.
  EXPECT_DOUBLE_EQ(r.precision[KP_LT_REGION], 3.0 / 5);
  EXPECT_DOUBLE_EQ(r.recall[KP_LT_REGION], 3.0 / 5);
  EXPECT_DOUBLE_EQ(r.f1[KP_LT_REGION], 6.0 / 10);
  EXPECT_DOUBLE_EQ(r.precision[KP_LT_BEFORE], 2.0 / 4);
  EXPECT_DOUBLE_EQ(r.recall[KP_LT_BEFORE], 2.0 / 5);
  EXPECT_DOUBLE_EQ(r.f1[KP_LT_BEFORE], 4.0 / 9);
  ASSERT_EQ(r.n_lead, 2);
  EXPECT_EQ(r.lead[0], 40.0);
  EXPECT_EQ(r.lead_stream[0], 0);
  EXPECT_EQ(r.lead[1], 30.0);
  EXPECT_EQ(r.lead_stream[1], 5);
  EXPECT_EQ(r.lead_min, 30.0);
  EXPECT_EQ(r.lead_median, 35.0);
  EXPECT_EQ(r.lead_mean, 35.0);
  EXPECT_EQ(r.lead_max, 40.0);
}

TEST(LeadTime, NoAlarms) {
  auto data = example();
  auto st = view(data);
  Result res;
  ASSERT_EQ(kp_leadtime_score(st.data(), (int64_t)st.size(), 2.0, &res.r), KP_OK);
  const kp_lt_result &r = res.r;
  EXPECT_EQ(r.tp + r.tp_late, 0);
  EXPECT_EQ(r.fn, 5);
  EXPECT_EQ(r.fp, 0);
  EXPECT_EQ(r.tn, 5);
  EXPECT_EQ(r.precision[0], 0.0);  // 0/0 is 0
  EXPECT_EQ(r.recall[1], 0.0);
  EXPECT_EQ(r.f1[1], 0.0);
  EXPECT_EQ(r.n_lead, 0);
  EXPECT_TRUE(std::isnan(r.lead_median));
  EXPECT_TRUE(std::isnan(r.lead_min));
}

TEST(LeadTime, AlarmsEverywhere) {
  auto data = example();
  auto st = view(data);
  Result res;
  ASSERT_EQ(kp_leadtime_score(st.data(), (int64_t)st.size(), -INFINITY, &res.r), KP_OK);
  const kp_lt_result &r = res.r;
  // Every region's first window alarms: s0 at 60 (lead 40), s1 at 80 (20), s2 at 20 (30), s5 at 170 (30).
  EXPECT_EQ(r.tp, 4);
  EXPECT_EQ(r.tp_late, 0);
  EXPECT_EQ(r.fn, 1);  // s6 has no windows
  EXPECT_EQ(r.fp, 5);
  EXPECT_EQ(r.tn, 0);
  EXPECT_EQ(r.false_alarm_windows, r.benign_windows);
  ASSERT_EQ(r.n_lead, 4);
  EXPECT_EQ(std::vector<double>(r.lead, r.lead + 4), (std::vector<double>{40, 20, 30, 30}));
  EXPECT_EQ(r.lead_median, 30.0);
  EXPECT_EQ(r.lead_mean, 30.0);
}

TEST(LeadTime, RegionStartingAtTheFailureCanOnlyBeLate) {
  std::vector<Stream> v = {{"x", {90, 100, 101}, {0.9, 0.9, 0.9}, 100, 100}};
  auto st = view(v);
  Result res;
  ASSERT_EQ(kp_leadtime_score(st.data(), 1, 0.5, &res.r), KP_OK);
  EXPECT_EQ(res.r.tp, 0);
  EXPECT_EQ(res.r.tp_late, 1);
  EXPECT_EQ(res.r.fp, 1);  // the window at 90 lies before the region
  EXPECT_EQ(res.r.recall[KP_LT_REGION], 1.0);
  EXPECT_EQ(res.r.recall[KP_LT_BEFORE], 0.0);
}

TEST(LeadTime, EmptyInputAndEmptyBenignStream) {
  Result a;
  ASSERT_EQ(kp_leadtime_score(nullptr, 0, 0.5, &a.r), KP_OK);
  EXPECT_EQ(a.r.tp + a.r.tp_late + a.r.fn + a.r.fp + a.r.tn, 0);
  std::vector<Stream> v = {{"", {}, {}, kBenign, NAN}};
  auto st = view(v);
  Result b;
  ASSERT_EQ(kp_leadtime_score(st.data(), 1, 0.5, &b.r), KP_OK);
  EXPECT_EQ(b.r.tn, 0);  // a stretch without windows is not counted
}

TEST(LeadTime, ThresholdsAreTheStretchMaxima) {
  auto data = example();
  auto st = view(data);
  double *thr = nullptr;
  int64_t nt = 0;
  ASSERT_EQ(kp_leadtime_thresholds(st.data(), (int64_t)st.size(), &thr, &nt), KP_OK);
  // s0: 0.3 / 0.9 / 0.95, s1: 0.6 / 0.4 / 0.9, s2: 0.1 / 0.45 / 0.2, s3: 0.6, s4: 0.1, s5: 0.5.
  EXPECT_EQ(std::vector<double>(thr, thr + nt), (std::vector<double>{0.95, 0.9, 0.6, 0.5, 0.45, 0.4, 0.3, 0.2, 0.1}));

  std::vector<kp_lt_result> rows(nt);
  ASSERT_EQ(kp_leadtime_sweep(st.data(), (int64_t)st.size(), thr, nt, rows.data()), KP_OK);
  // At 0.95 only s0's window at 100 alarms, and that is the failure time: late.
  EXPECT_EQ(rows[0].tp, 0);
  EXPECT_EQ(rows[0].tp_late, 1);
  EXPECT_EQ(rows[0].fn, 4);
  EXPECT_EQ(rows[0].fp, 0);
  // The row at 0.5 is the single-threshold result.
  Result single;
  ASSERT_EQ(kp_leadtime_score(st.data(), (int64_t)st.size(), 0.5, &single.r), KP_OK);
  EXPECT_EQ(rows[3].threshold, 0.5);
  EXPECT_EQ(rows[3].tp, single.r.tp);
  EXPECT_EQ(rows[3].fp, single.r.fp);
  EXPECT_EQ(rows[3].lead_median, single.r.lead_median);
  // Lowering the threshold never loses a detection nor a false alarm.
  for (int64_t j = 1; j < nt; j++) {
    EXPECT_GE(rows[j].tp + rows[j].tp_late, rows[j - 1].tp + rows[j - 1].tp_late) << j;
    EXPECT_GE(rows[j].fp, rows[j - 1].fp) << j;
    EXPECT_EQ(rows[j].tp + rows[j].tp_late + rows[j].fn, 5);
    EXPECT_EQ(rows[j].fp + rows[j].tn, 5);
  }
  // Between two breakpoints the counts do not change (0.55 lies between 0.6 and 0.5).
  Result mid;
  ASSERT_EQ(kp_leadtime_score(st.data(), (int64_t)st.size(), 0.55, &mid.r), KP_OK);
  EXPECT_EQ(mid.r.tp, rows[2].tp);
  EXPECT_EQ(mid.r.tp_late, rows[2].tp_late);
  EXPECT_EQ(mid.r.fp, rows[2].fp);
  for (auto &r : rows) kp_lt_result_free(&r);
  free(thr);
}

kp_status score_one(const Stream &s, double thr = 0.5) {
  kp_lt_stream v = {s.name.c_str(), s.t.data(), s.s.data(), (int64_t)s.t.size(), s.failure, s.region};
  Result r;
  return kp_leadtime_score(&v, 1, thr, &r.r);
}

TEST(LeadTime, BadInputIsAnError) {
  auto expect_error = [](const Stream &s, const char *needle) {
    EXPECT_EQ(score_one(s), KP_ERR_INVALID) << needle;
    std::string msg = kp_last_error();
    EXPECT_NE(msg.find(needle), std::string::npos) << msg;
    EXPECT_NE(msg.find(s.name), std::string::npos) << msg;  // names the stream
  };
  expect_error({"host7", {1, 3, 2}, {0, 0, 0}, kBenign, NAN}, "window 2 ends at 2");
  expect_error({"host7", {1, NAN}, {0, 0}, kBenign, NAN}, "non-finite end time");
  expect_error({"host7", {1, 2}, {0, NAN}, kBenign, NAN}, "NaN score");
  expect_error({"host7", {1, 2}, {0, 0}, 10, 20}, "after the failure");
  expect_error({"host7", {1, 2}, {0, 0}, 10, NAN}, "region start");
  expect_error({"host7", {1, 2}, {0, 0}, INFINITY, 0}, "infinite");
  Stream ok = {"ok", {1, 2}, {0, 1}, 10, 0};
  EXPECT_EQ(score_one(ok, NAN), KP_ERR_INVALID);
  EXPECT_EQ(kp_leadtime_score(nullptr, 0, 0.5, nullptr), KP_ERR_INVALID);
  kp_lt_result r;
  EXPECT_EQ(kp_leadtime_score(nullptr, 2, 0.5, &r), KP_ERR_INVALID);
  // Equal end times are allowed (windows of several lines ending together).
  EXPECT_EQ(score_one({"eq", {1, 1, 2}, {0, 0, 0}, kBenign, NAN}), KP_OK);
}

}  // namespace
