// Dense ops on the CPU against double references and central finite differences: matmul (all
// transposes, alpha/beta, zero sizes), bmm, the linear layer, bias add, residual add, axpy, scale.
#include <cmath>
#include <functional>
#include "testutil.h"

using kpt::act_ref;
using kpt::check_grad;
using kpt::numel;
using kpt::rand_d;
using kpt::T;
using kpt::tensor;

namespace {

using Vec = std::vector<double>;

// alpha op(a) op(b) for op(a) [M,K], op(b) [K,N], in double.
Vec mm_ref(const Vec &a, const Vec &b, int64_t M, int64_t N, int64_t K, bool ta, bool tb, double alpha) {
  Vec c((size_t)(M * N), 0.0);
  for (int64_t i = 0; i < M; i++)
    for (int64_t j = 0; j < N; j++) {
      double s = 0;
      for (int64_t k = 0; k < K; k++) s += (ta ? a[k * M + i] : a[i * K + k]) * (tb ? b[j * K + k] : b[k * N + j]);
      c[i * N + j] = alpha * s;
    }
  return c;
}

struct MNK {
  int64_t M, N, K;
};
const MNK kShapes[] = {{1, 1, 1}, {3, 4, 5}, {6, 1, 7}, {1, 5, 2}, {9, 3, 1}, {4, 4, 17}};

std::vector<int64_t> a_shape(MNK s, bool ta) {
  return ta ? std::vector<int64_t>{s.K, s.M} : std::vector<int64_t>{s.M, s.K};
}
std::vector<int64_t> b_shape(MNK s, bool tb) {
  return tb ? std::vector<int64_t>{s.N, s.K} : std::vector<int64_t>{s.K, s.N};
}
std::string tag(MNK s, bool ta, bool tb) {
  return "M=" + std::to_string(s.M) + " N=" + std::to_string(s.N) + " K=" + std::to_string(s.K) + (ta ? " aT" : "") +
         (tb ? " bT" : "");
}

// Column sums of a row-major [n / C, C] array, in double.
Vec colsum(const Vec &v, int64_t C) {
  Vec s(C, 0.0);
  for (size_t i = 0; i < v.size(); i++) s[i % C] += v[i];
  return s;
}

}  // namespace

TEST(GradMatmul, ForwardAllTransposesWithAlphaBeta) {
  const float ab[][2] = {{1.f, 0.f}, {0.7f, -1.3f}, {-2.f, 1.f}};
  uint32_t seed = 1;
  for (MNK s : kShapes)
    for (int t = 0; t < 4; t++)
      for (auto &p : ab) {
        bool ta = t & 1, tb = t & 2;
        SCOPED_TRACE(tag(s, ta, tb) + " alpha=" + std::to_string(p[0]) + " beta=" + std::to_string(p[1]));
        Vec a = rand_d(s.M * s.K, seed++), b = rand_d(s.K * s.N, seed++), c0 = rand_d(s.M * s.N, seed++);
        T A = tensor(a_shape(s, ta), a), B = tensor(b_shape(s, tb), b), C = tensor({s.M, s.N}, c0);
        KP_ASSERT_OK(kp_matmul(&C, &A, &B, ta, tb, p[0], p[1]));
        Vec want = mm_ref(a, b, s.M, s.N, s.K, ta, tb, p[0]);
        for (size_t i = 0; i < want.size(); i++) want[i] += (double)p[1] * c0[i];
        KP_EXPECT_CLOSE(C.vec(), want, 1e-5, 2e-6);
      }
}

TEST(GradMatmul, BackwardMatchesFiniteDifferences) {
  uint32_t seed = 100;
  const float alpha = 0.7f;
  for (MNK s : kShapes)
    for (int t = 0; t < 4; t++) {
      bool ta = t & 1, tb = t & 2;
      Vec a = rand_d(s.M * s.K, seed++), b = rand_d(s.K * s.N, seed++), dc = rand_d(s.M * s.N, seed++);
      T A = tensor(a_shape(s, ta), a), B = tensor(b_shape(s, tb), b), DC = tensor({s.M, s.N}, dc);
      check_grad(
          "da " + tag(s, ta, tb), a_shape(s, ta), a,
          [&](const Vec &x) { return kpt::dot(dc, mm_ref(x, b, s.M, s.N, s.K, ta, tb, alpha)); },
          [&](kp_tensor *g) { return kp_matmul_bwd(g, nullptr, &DC, &A, &B, ta, tb, alpha); });
      check_grad(
          "db " + tag(s, ta, tb), b_shape(s, tb), b,
          [&](const Vec &x) { return kpt::dot(dc, mm_ref(a, x, s.M, s.N, s.K, ta, tb, alpha)); },
          [&](kp_tensor *g) { return kp_matmul_bwd(nullptr, g, &DC, &A, &B, ta, tb, alpha); });
      // Both gradients in one call equal the separate ones.
      T da1(KP_F32, a_shape(s, ta)), db1(KP_F32, b_shape(s, tb)), da2(KP_F32, a_shape(s, ta)),
          db2(KP_F32, b_shape(s, tb));
      KP_ASSERT_OK(kp_matmul_bwd(&da1, &db1, &DC, &A, &B, ta, tb, alpha));
      KP_ASSERT_OK(kp_matmul_bwd(&da2, nullptr, &DC, &A, &B, ta, tb, alpha));
      KP_ASSERT_OK(kp_matmul_bwd(nullptr, &db2, &DC, &A, &B, ta, tb, alpha));
      EXPECT_EQ(da1.vec(), da2.vec());
      EXPECT_EQ(db1.vec(), db2.vec());
    }
}

TEST(GradMatmul, ZeroSizeDimensions) {
  // K == 0: the product is an empty sum, so c = beta c; beta == 0 overwrites even NaN.
  T A(KP_F32, {3, 0}), B(KP_F32, {0, 2});
  T C = T::f32({3, 2}, {1, 2, 3, 4, 5, 6});
  KP_ASSERT_OK(kp_matmul(&C, &A, &B, false, false, 2.f, 0.5f));
  EXPECT_EQ(C.vec(), (std::vector<float>{0.5f, 1, 1.5f, 2, 2.5f, 3}));
  T N = T::f32({3, 2}, std::vector<float>(6, NAN));
  KP_ASSERT_OK(kp_matmul(&N, &A, &B, false, false, 1.f, 0.f));
  EXPECT_EQ(N.vec(), std::vector<float>(6, 0.f));
  // M == 0 and N == 0: nothing to write, and the call succeeds for every transpose.
  for (int t = 0; t < 4; t++) {
    bool ta = t & 1, tb = t & 2;
    T A0(KP_F32, ta ? std::vector<int64_t>{4, 0} : std::vector<int64_t>{0, 4});
    T B0 = kpt::rand_f32(tb ? std::vector<int64_t>{3, 4} : std::vector<int64_t>{4, 3}, 7);
    T C0(KP_F32, {0, 3});
    KP_EXPECT_OK(kp_matmul(&C0, &A0, &B0, ta, tb, 1.f, 1.f));
    T A1 = kpt::rand_f32(ta ? std::vector<int64_t>{4, 2} : std::vector<int64_t>{2, 4}, 8);
    T B1(KP_F32, tb ? std::vector<int64_t>{0, 4} : std::vector<int64_t>{4, 0});
    T C1(KP_F32, {2, 0});
    KP_EXPECT_OK(kp_matmul(&C1, &A1, &B1, ta, tb, 1.f, 1.f));
  }
  // Backward with M == 0: db += a^T dc is an empty sum, so db keeps its values.
  T A2(KP_F32, {0, 4}), B2 = kpt::rand_f32({4, 3}, 9), DC(KP_F32, {0, 3}), DA(KP_F32, {0, 4});
  T DB = T::f32({4, 3}, kpt::uniform(12, 10));
  auto before = DB.vec();
  KP_ASSERT_OK(kp_matmul_bwd(&DA, &DB, &DC, &A2, &B2, false, false, 1.f));
  EXPECT_EQ(DB.vec(), before);
  // Batched, K == 0.
  T A3(KP_F32, {2, 3, 0}), B3(KP_F32, {2, 0, 2});
  T C3 = T::f32({2, 3, 2}, std::vector<float>(12, 4.f));
  KP_ASSERT_OK(kp_bmm(&C3, &A3, &B3, false, false, 1.f, -0.25f));
  EXPECT_EQ(C3.vec(), std::vector<float>(12, -1.f));
}

TEST(GradMatmul, RejectsMismatchedInnerDimensions) {
  T A(KP_F32, {2, 3}), B(KP_F32, {4, 5}), C(KP_F32, {2, 5});
  EXPECT_EQ(kp_matmul(&C, &A, &B, false, false, 1.f, 0.f), KP_ERR_INVALID);
  EXPECT_NE(std::string(kp_last_error()).find("matmul"), std::string::npos) << kp_last_error();
}

TEST(GradBmm, ForwardAndBackwardAllTransposes) {
  const MNK shapes[] = {{1, 1, 1}, {3, 4, 5}, {2, 6, 3}};
  uint32_t seed = 300;
  const float alpha = -1.1f, beta = 0.4f;
  for (int64_t nb : {1, 3})
    for (MNK s : shapes)
      for (int t = 0; t < 4; t++) {
        bool ta = t & 1, tb = t & 2;
        std::string what = "batch=" + std::to_string(nb) + " " + tag(s, ta, tb);
        SCOPED_TRACE(what);
        auto as = a_shape(s, ta), bs = b_shape(s, tb);
        as.insert(as.begin(), nb);
        bs.insert(bs.begin(), nb);
        int64_t na = s.M * s.K, nbm = s.K * s.N, nc = s.M * s.N;
        Vec a = rand_d(nb * na, seed++), b = rand_d(nb * nbm, seed++), c0 = rand_d(nb * nc, seed++),
            dc = rand_d(nb * nc, seed++);
        // Reference: each batch element is an independent 2-D product.
        auto ref = [&](const Vec &av, const Vec &bv, double al) {
          Vec out;
          for (int64_t i = 0; i < nb; i++) {
            Vec ai(av.begin() + i * na, av.begin() + (i + 1) * na),
                bi(bv.begin() + i * nbm, bv.begin() + (i + 1) * nbm);
            Vec ci = mm_ref(ai, bi, s.M, s.N, s.K, ta, tb, al);
            out.insert(out.end(), ci.begin(), ci.end());
          }
          return out;
        };
        T A = tensor(as, a), B = tensor(bs, b), C = tensor({nb, s.M, s.N}, c0), DC = tensor({nb, s.M, s.N}, dc);
        KP_ASSERT_OK(kp_bmm(&C, &A, &B, ta, tb, alpha, beta));
        Vec want = ref(a, b, alpha);
        for (size_t i = 0; i < want.size(); i++) want[i] += (double)beta * c0[i];
        KP_EXPECT_CLOSE(C.vec(), want, 1e-5, 2e-6);
        check_grad(
            "da " + what, as, a, [&](const Vec &x) { return kpt::dot(dc, ref(x, b, alpha)); },
            [&](kp_tensor *g) { return kp_bmm_bwd(g, nullptr, &DC, &A, &B, ta, tb, alpha); });
        check_grad(
            "db " + what, bs, b, [&](const Vec &x) { return kpt::dot(dc, ref(a, x, alpha)); },
            [&](kp_tensor *g) { return kp_bmm_bwd(nullptr, g, &DC, &A, &B, ta, tb, alpha); });
      }
}

TEST(GradLinear, ForwardAndBackwardWithActivationsAndBias) {
  struct Case {
    std::vector<int64_t> xshape;
    int64_t M;
  };
  const Case cases[] = {{{1, 1}, 1}, {{5, 4}, 3}, {{2, 3, 6}, 5}, {{7}, 2}};
  const kp_act acts[] = {KP_ACT_NONE, KP_ACT_RELU, KP_ACT_GELU};
  uint32_t seed = 500;
  for (const Case &cs : cases)
    for (kp_act act : acts)
      for (bool has_b : {false, true}) {
        int64_t K = cs.xshape.back(), R = numel(cs.xshape) / K, M = cs.M;
        std::vector<int64_t> yshape = cs.xshape;
        yshape.back() = M;
        std::string what = std::string(kp_act_name(act)) + (has_b ? " bias" : " no-bias") + " R=" + std::to_string(R) +
                           " K=" + std::to_string(K) + " M=" + std::to_string(M);
        SCOPED_TRACE(what);
        // pre = x w^T + b in double
        auto pre_ref = [&](const Vec &x, const Vec &w, const Vec &b) {
          Vec p = mm_ref(x, w, R, M, K, false, true, 1.0);
          if (has_b)
            for (int64_t r = 0; r < R; r++)
              for (int64_t j = 0; j < M; j++) p[r * M + j] += b[j];
          return p;
        };
        // Draw inputs whose pre-activations stay away from relu's kink at 0 (deterministic retry).
        Vec x, w, b, dy;
        for (;;) {
          x = rand_d(R * K, seed++), w = rand_d(M * K, seed++), b = has_b ? rand_d(M, seed++) : Vec(M, 0.0);
          Vec p = pre_ref(x, w, b);
          bool ok = true;
          for (double v : p) ok = ok && std::fabs(v) > 1e-3;
          if (ok || act != KP_ACT_RELU) break;
        }
        dy = rand_d(R * M, seed++);
        const double alpha = 0.0;
        auto y_ref = [&](const Vec &xv, const Vec &wv, const Vec &bv) {
          Vec p = pre_ref(xv, wv, bv);
          for (double &v : p) v = act_ref(act, v, alpha);
          return p;
        };
        T X = tensor(cs.xshape, x), W = tensor({M, K}, w), B = tensor({M}, b), Y(KP_F32, yshape), P(KP_F32, yshape);
        const kp_tensor *bp = has_b ? &B : nullptr;
        KP_ASSERT_OK(kp_linear_fwd(&Y, &P, &X, &W, bp, act, (float)alpha));
        KP_EXPECT_CLOSE(Y.vec(), y_ref(x, w, b), 1e-5, 2e-6);
        if (act != KP_ACT_NONE) KP_EXPECT_CLOSE(P.vec(), pre_ref(x, w, b), 1e-5, 2e-6);
        T DY = tensor(yshape, dy);
        const kp_tensor *pp = act != KP_ACT_NONE ? &P : nullptr;
        check_grad(
            "dx " + what, cs.xshape, x, [&](const Vec &v) { return kpt::dot(dy, y_ref(v, w, b)); },
            [&](kp_tensor *g) { return kp_linear_bwd(g, nullptr, nullptr, &DY, pp, &X, &W, act, alpha); });
        check_grad(
            "dw " + what, {M, K}, w, [&](const Vec &v) { return kpt::dot(dy, y_ref(x, v, b)); },
            [&](kp_tensor *g) { return kp_linear_bwd(nullptr, g, nullptr, &DY, pp, &X, &W, act, alpha); });
        if (has_b)
          check_grad(
              "db " + what, {M}, b, [&](const Vec &v) { return kpt::dot(dy, y_ref(x, w, v)); },
              [&](kp_tensor *g) { return kp_linear_bwd(nullptr, nullptr, g, &DY, pp, &X, &W, act, alpha); });
      }
}

TEST(GradLinear, ActivationNeedsPre) {
  T X = kpt::rand_f32({2, 3}, 1), W = kpt::rand_f32({4, 3}, 2), Y(KP_F32, {2, 4});
  EXPECT_EQ(kp_linear_fwd(&Y, nullptr, &X, &W, nullptr, KP_ACT_GELU, 0.f), KP_ERR_INVALID);
  EXPECT_NE(std::string(kp_last_error()).find("linear_fwd"), std::string::npos) << kp_last_error();
}

TEST(GradBiasAdd, ForwardBackwardAndAliasing) {
  const std::vector<std::vector<int64_t>> shapes = {{1}, {1, 1}, {5, 3}, {2, 3, 20}, {4, 33}};
  uint32_t seed = 700;
  for (auto &shape : shapes) {
    int64_t C = shape.back(), n = numel(shape);
    SCOPED_TRACE("numel=" + std::to_string(n) + " C=" + std::to_string(C));
    Vec x = rand_d(n, seed++), b = rand_d(C, seed++), dy = rand_d(n, seed++);
    auto ref = [&](const Vec &xv, const Vec &bv) {
      Vec y(xv);
      for (int64_t i = 0; i < n; i++) y[i] += bv[i % C];
      return y;
    };
    T X = tensor(shape, x), B = tensor({C}, b), Y(KP_F32, shape), DY = tensor(shape, dy);
    KP_ASSERT_OK(kp_bias_add_fwd(&Y, &X, &B));
    KP_EXPECT_CLOSE(Y.vec(), ref(x, b), 1e-6, 1e-7);
    KP_ASSERT_OK(kp_bias_add_fwd(&X, &X, &B));  // in place
    EXPECT_EQ(X.vec(), Y.vec());
    check_grad(
        "dx", shape, x, [&](const Vec &v) { return kpt::dot(dy, ref(v, b)); },
        [&](kp_tensor *g) { return kp_bias_add_bwd(g, nullptr, &DY); });
    check_grad(
        "db", {C}, b, [&](const Vec &v) { return kpt::dot(dy, ref(x, v)); },
        [&](kp_tensor *g) { return kp_bias_add_bwd(nullptr, g, &DY); });
    T dx(KP_F32, shape), db(KP_F32, {C});  // both at once
    KP_ASSERT_OK(kp_bias_add_bwd(&dx, &db, &DY));
    EXPECT_EQ(dx.vec(), DY.vec());
    KP_EXPECT_CLOSE(db.vec(), Vec(colsum(dy, C)), 1e-6, 1e-6);
  }
}

// A size that takes the OpenMP path: the column sums equal the double sums and are bitwise repeatable.
TEST(GradBiasAdd, LargeColumnSumsAreAccurateAndDeterministic) {
  const int64_t R = 700, C = 97;
  T DY = kpt::rand_f32({R, C}, 11);
  auto dy = DY.dvec();
  Vec want(C, 0.0);
  for (int64_t r = 0; r < R; r++)
    for (int64_t j = 0; j < C; j++) want[j] += dy[r * C + j];
  T db1(KP_F32, {C}), db2(KP_F32, {C});
  KP_ASSERT_OK(kp_bias_add_bwd(nullptr, &db1, &DY));
  KP_ASSERT_OK(kp_bias_add_bwd(nullptr, &db2, &DY));
  KP_EXPECT_CLOSE(db1.vec(), want, 1e-5, 2e-5);
  EXPECT_EQ(db1.vec(), db2.vec());
}

TEST(GradBiasAdd, RejectsWrongBiasLength) {
  T X(KP_F32, {2, 3}), B(KP_F32, {4});
  EXPECT_EQ(kp_bias_add_fwd(&X, &X, &B), KP_ERR_INVALID);
  EXPECT_NE(std::string(kp_last_error()).find("bias_add_fwd"), std::string::npos) << kp_last_error();
}

TEST(GradAdd, ForwardBackwardAndAliasing) {
  const std::vector<std::vector<int64_t>> shapes = {{1}, {4, 5}, {2, 3, 7}, {300, 120}};
  uint32_t seed = 900;
  for (auto &shape : shapes) {
    int64_t n = numel(shape);
    SCOPED_TRACE("numel=" + std::to_string(n));
    Vec a = rand_d(n, seed++), b = rand_d(n, seed++), dy = rand_d(n, seed++);
    T A = tensor(shape, a), B = tensor(shape, b), Y(KP_F32, shape), DY = tensor(shape, dy);
    Vec want(n);
    for (int64_t i = 0; i < n; i++) want[i] = a[i] + b[i];
    KP_ASSERT_OK(kp_add_fwd(&Y, &A, &B));
    KP_EXPECT_CLOSE(Y.vec(), want, 1e-6, 1e-7);
    if (n < 1000) {  // the finite differences are quadratic in n
      check_grad(
          "da", shape, a,
          [&](const Vec &v) {
            Vec s(v);
            for (int64_t i = 0; i < n; i++) s[i] += b[i];
            return kpt::dot(dy, s);
          },
          [&](kp_tensor *g) { return kp_add_bwd(g, nullptr, &DY); });
      check_grad(
          "db", shape, b,
          [&](const Vec &v) {
            Vec s(v);
            for (int64_t i = 0; i < n; i++) s[i] += a[i];
            return kpt::dot(dy, s);
          },
          [&](kp_tensor *g) { return kp_add_bwd(nullptr, g, &DY); });
    }
    KP_ASSERT_OK(kp_add_fwd(&B, &A, &B));  // y aliases b
    EXPECT_EQ(B.vec(), Y.vec());
    KP_ASSERT_OK(kp_add_fwd(&A, &A, &A));  // y aliases both
    std::vector<float> twice(n);
    for (int64_t i = 0; i < n; i++) twice[i] = 2 * (float)a[i];
    EXPECT_EQ(A.vec(), twice);
  }
}

TEST(GradAxpyScale, MatchDoubleReference) {
  for (int64_t n : {1, 13, 100000}) {
    SCOPED_TRACE("n=" + std::to_string(n));
    Vec x = rand_d(n, 31), y = rand_d(n, 32);
    T X = tensor({n}, x), Y = tensor({n}, y);
    KP_ASSERT_OK(kp_axpy(&Y, -0.75f, &X));
    Vec want(n);
    for (int64_t i = 0; i < n; i++) want[i] = y[i] - 0.75 * x[i];
    KP_EXPECT_CLOSE(Y.vec(), want, 1e-6, 1e-7);
    KP_ASSERT_OK(kp_scale(&X, 3.5f));
    for (int64_t i = 0; i < n; i++) want[i] = 3.5 * x[i];
    KP_EXPECT_CLOSE(X.vec(), want, 1e-6, 1e-7);
  }
  T a(KP_F32, {3}), b(KP_F32, {4});
  EXPECT_EQ(kp_axpy(&a, 1.f, &b), KP_ERR_INVALID);
  EXPECT_NE(std::string(kp_last_error()).find("axpy"), std::string::npos) << kp_last_error();
}
