// Tensors, devices, dtype conversion and the error-as-value contract.
#include "testutil.h"
#include "core/ewmath.h"

using kpt::T;

TEST(Tensor, AllocZerosCopyAndShape) {
  T a(KP_F32, {2, 3});
  EXPECT_EQ(a.numel(), 6);
  EXPECT_EQ(kp_tensor_nbytes(&a), 24u);
  EXPECT_EQ(kp_tensor_rows(&a), 2);
  EXPECT_EQ(kp_tensor_cols(&a), 3);
  for (int i = 0; i < 6; i++) EXPECT_EQ(a.f()[i], 0.0f);
  KP_ASSERT_OK(kp_tensor_fill(&a, 2.5));
  T b(KP_F32, {6});
  KP_ASSERT_OK(kp_tensor_copy(&b, &a));
  for (int i = 0; i < 6; i++) EXPECT_EQ(b.f()[i], 2.5f);
  char buf[64];
  EXPECT_STREQ(kp_tensor_str(&a, buf, sizeof buf), "f32[2,3]@cpu");
}

TEST(Tensor, ViewRejectsWrongCount) {
  T a(KP_F32, {2, 3});
  kp_tensor v;
  int64_t ok[2] = {3, 2}, bad[2] = {4, 2};
  KP_EXPECT_OK(kp_tensor_view(&v, &a, 2, ok));
  EXPECT_EQ(v.data, a.t.data);
  EXPECT_FALSE(v.owned);
  EXPECT_EQ(kp_tensor_view(&v, &a, 2, bad), KP_ERR_INVALID);
  EXPECT_NE(std::string(kp_last_error()).find("cannot be viewed"), std::string::npos) << kp_last_error();
}

TEST(Tensor, CopyRejectsDtypeMismatchWithMessage) {
  T a(KP_F32, {4});
  T b(KP_I32, {4});
  EXPECT_EQ(kp_tensor_copy(&b, &a), KP_ERR_INVALID);
  EXPECT_NE(std::string(kp_last_error()).find("f32[4]@cpu"), std::string::npos) << kp_last_error();
}

TEST(Tensor, CastRoundTripsAndRoundsToNearestEven) {
  std::vector<float> v = {0.0f, 1.0f, -2.5f, 3.14159265f, 65504.0f, 1e-7f, -0.0f, 1.0f + 1.0f / 256.0f};
  T a = T::f32({8}, v);
  T h(KP_F16, {8}), b(KP_BF16, {8}), back(KP_F32, {8});
  KP_ASSERT_OK(kp_tensor_cast(&h, &a));
  KP_ASSERT_OK(kp_tensor_cast(&back, &h));
  EXPECT_EQ(back.f()[1], 1.0f);
  EXPECT_EQ(back.f()[2], -2.5f);
  EXPECT_NEAR(back.f()[3], 3.140625f, 1e-6);  // nearest half to pi
  EXPECT_EQ(back.f()[4], 65504.0f);
  EXPECT_NEAR(back.f()[5], 1.1920929e-07f, 1e-12);  // nearest subnormal: 2 * 2^-24
  KP_ASSERT_OK(kp_tensor_cast(&b, &a));
  KP_ASSERT_OK(kp_tensor_cast(&back, &b));
  EXPECT_EQ(back.f()[1], 1.0f);
  EXPECT_EQ(back.f()[7], 1.0f);  // 1 + 2^-8 is a tie in bf16: rounds to even (1.0)
  EXPECT_EQ(kp_f16_to_f32(kp_f32_to_f16(1e6f)), INFINITY);
  EXPECT_TRUE(std::isnan(kp_bf16_to_f32(kp_f32_to_bf16(NAN))));
}

TEST(Tensor, IntegerCastsAreExact) {
  T a = T::i32({3}, {-7, 0, 123456789});
  T l(KP_I64, {3}), back(KP_I32, {3});
  KP_ASSERT_OK(kp_tensor_cast(&l, &a));
  EXPECT_EQ(((int64_t *)l.t.data)[2], 123456789);
  KP_ASSERT_OK(kp_tensor_cast(&back, &l));
  EXPECT_EQ(back.i()[0], -7);
  EXPECT_EQ(back.i()[2], 123456789);
}

TEST(Device, ParseAndErrors) {
  kp_device d;
  KP_ASSERT_OK(kp_device_parse("cpu", &d));
  EXPECT_EQ(d.type, KP_DEV_CPU);
  KP_ASSERT_OK(kp_device_parse("auto", &d));
  if (kp_cuda_device_count() == 0) {
    EXPECT_EQ(d.type, KP_DEV_CPU);
    EXPECT_EQ(kp_device_parse("cuda", &d), KP_ERR_NO_DEVICE);
    EXPECT_NE(std::string(kp_last_error()).find("no CUDA device is usable"), std::string::npos) << kp_last_error();
    EXPECT_EQ(kp_device_parse("cuda:1", &d), KP_ERR_NO_DEVICE);
  } else {
    EXPECT_EQ(d.type, KP_DEV_CUDA);
  }
  EXPECT_EQ(kp_device_parse("gpu", &d), KP_ERR_INVALID);
  EXPECT_EQ(kp_device_parse("cuda:x", &d), KP_ERR_INVALID);
  EXPECT_EQ(kp_device_parse("cuda:", &d), KP_ERR_INVALID);
}

TEST(Device, CudaTensorWithoutGpuIsAnErrorNotACrash) {
  if (kp_cuda_device_count() > 0) GTEST_SKIP() << "a GPU is present";
  kp_tensor t;
  int64_t n = 4;
  EXPECT_EQ(kp_tensor_alloc(&t, KP_F32, kp_cuda(0), 1, &n), KP_ERR_NO_DEVICE);
  EXPECT_NE(std::string(kp_last_error()).find("cuda:0"), std::string::npos) << kp_last_error();
}

TEST(Status, ContextIsPrefixed) {
  kp_fail(KP_ERR_FORMAT, "bad byte at %d", 7);
  kp_fail_context(KP_ERR_FORMAT, "reading %s", "x.h5");
  EXPECT_STREQ(kp_last_error(), "reading x.h5: bad byte at 7");
  kp_clear_error();
  EXPECT_STREQ(kp_last_error(), "");
}
