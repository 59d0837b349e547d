// Learning-rate schedules vs Hugging Face's get_{constant,linear,cosine}_schedule_with_warmup
// (cosine with num_cycles = 0.5), the schedule checks and kind parsing.
#include <cmath>
#include <string>
#include "testutil.h"

namespace {

// The multiplier Hugging Face's LambdaLR lambdas return for current_step = step.
double hf_factor(kp_lr_kind kind, int64_t step, int64_t warmup, int64_t total) {
  if (step < warmup) return (double)step / (double)std::max<int64_t>(1, warmup);
  if (kind == KP_LR_CONSTANT) return 1.0;
  if (kind == KP_LR_LINEAR) return std::max(0.0, (double)(total - step) / (double)std::max<int64_t>(1, total - warmup));
  const double progress = (double)(step - warmup) / (double)std::max<int64_t>(1, total - warmup);
  const double num_cycles = 0.5;
  return std::max(0.0, 0.5 * (1.0 + std::cos(M_PI * num_cycles * 2.0 * progress)));
}

}  // namespace

TEST(Schedule, MatchesHuggingFaceFormulas) {
  const kp_lr_kind kinds[] = {KP_LR_CONSTANT, KP_LR_LINEAR, KP_LR_COSINE};
  const int64_t warmups[] = {0, 1, 10, 37};
  for (kp_lr_kind kind : kinds)
    for (int64_t w : warmups) {
      const int64_t total = w + 100;
      kp_lr_schedule s{kind, 3e-4f, w, total};
      ASSERT_EQ(kp_lr_schedule_check(&s), KP_OK) << kp_last_error();
      const int64_t steps[] = {0, w / 2, w, w + 1, (w + total) / 2, total - 1, total, total + 5};
      for (int64_t step : steps) {
        double expect = 3e-4 * hf_factor(kind, step, w, total);
        EXPECT_NEAR(kp_lr_at(&s, step), expect, 1e-6 * 3e-4 + 1e-6 * expect)
            << "kind " << kind << " warmup " << w << " step " << step;
      }
    }
}

TEST(Schedule, HandDerivedPoints) {
  // warmup 10, total 110, base 1e-3
  kp_lr_schedule lin{KP_LR_LINEAR, 1e-3f, 10, 110}, cosine{KP_LR_COSINE, 1e-3f, 10, 110},
      constant{KP_LR_CONSTANT, 1e-3f, 10, 0};
  for (auto *s : {&lin, &cosine, &constant}) {
    EXPECT_EQ(kp_lr_at(s, 0), 0.0f);
    EXPECT_NEAR(kp_lr_at(s, 5), 5e-4f, 1e-10);  // half-way up the ramp
    EXPECT_NEAR(kp_lr_at(s, 10), 1e-3f, 1e-10); // end of warmup: the full rate
  }
  EXPECT_NEAR(kp_lr_at(&lin, 60), 5e-4f, 1e-10);
  EXPECT_NEAR(kp_lr_at(&cosine, 60), 5e-4f, 1e-10);                          // cos(pi/2) = 0
  EXPECT_NEAR(kp_lr_at(&cosine, 35), 1e-3 * 0.5 * (1 + std::sqrt(0.5)), 1e-10); // cos(pi/4)
  EXPECT_NEAR(kp_lr_at(&lin, 35), 7.5e-4f, 1e-10);
  EXPECT_EQ(kp_lr_at(&lin, 110), 0.0f);
  EXPECT_NEAR(kp_lr_at(&cosine, 110), 0.0f, 1e-12);
  EXPECT_EQ(kp_lr_at(&lin, 500), 0.0f);  // clamped at 0 past the end
  EXPECT_NEAR(kp_lr_at(&constant, 10000), 1e-3f, 1e-10);
  kp_lr_schedule nowarm{KP_LR_LINEAR, 2e-5f, 0, 4};
  EXPECT_NEAR(kp_lr_at(&nowarm, 0), 2e-5f, 1e-12);
  EXPECT_NEAR(kp_lr_at(&nowarm, 1), 1.5e-5f, 1e-12);
}

TEST(Schedule, CheckRejectsBadSchedules) {
  auto rejects = [](kp_lr_schedule s, const char *needle) {
    EXPECT_EQ(kp_lr_schedule_check(&s), KP_ERR_INVALID) << needle;
    EXPECT_NE(std::string(kp_last_error()).find(needle), std::string::npos) << kp_last_error();
  };
  rejects({KP_LR_LINEAR, 0.f, 0, 10}, "base lr");
  rejects({KP_LR_LINEAR, -1e-3f, 0, 10}, "base lr");
  rejects({KP_LR_CONSTANT, NAN, 0, 10}, "base lr");
  rejects({KP_LR_COSINE, 1e-3f, -1, 10}, "warmup_steps");
  rejects({KP_LR_LINEAR, 1e-3f, 20, 10}, "total_steps (10) < warmup_steps (20)");
  rejects({KP_LR_COSINE, 1e-3f, 20, 10}, "total_steps");
  rejects({(kp_lr_kind)7, 1e-3f, 0, 10}, "unknown kind");
  kp_lr_schedule ok_constant{KP_LR_CONSTANT, 1e-3f, 20, 0};  // constant ignores total_steps
  EXPECT_EQ(kp_lr_schedule_check(&ok_constant), KP_OK) << kp_last_error();
  kp_lr_schedule ok_equal{KP_LR_COSINE, 1e-3f, 10, 10};
  EXPECT_EQ(kp_lr_schedule_check(&ok_equal), KP_OK) << kp_last_error();
}

TEST(Schedule, KindParse) {
  kp_lr_kind k = (kp_lr_kind)-1;
  KP_EXPECT_OK(kp_lr_kind_parse("constant", &k));
  EXPECT_EQ(k, KP_LR_CONSTANT);
  KP_EXPECT_OK(kp_lr_kind_parse("linear", &k));
  EXPECT_EQ(k, KP_LR_LINEAR);
  KP_EXPECT_OK(kp_lr_kind_parse("cosine", &k));
  EXPECT_EQ(k, KP_LR_COSINE);
  for (const char *bad : {"Cosine", "", "step", "linear "}) {
    k = KP_LR_LINEAR;
    EXPECT_EQ(kp_lr_kind_parse(bad, &k), KP_ERR_INVALID) << bad;
    EXPECT_EQ(k, KP_LR_LINEAR) << "output untouched on failure";
    std::string msg = kp_last_error();
    EXPECT_NE(msg.find("allowed values are constant, linear, cosine"), std::string::npos) << msg;
    EXPECT_NE(msg.find(std::string("'") + bad + "'"), std::string::npos) << msg;
  }
  EXPECT_EQ(kp_lr_kind_parse(nullptr, &k), KP_ERR_INVALID);
}
