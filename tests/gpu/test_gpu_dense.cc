// CUDA dense ops against their CPU twins: the same random inputs on both devices, GPU outputs
// in guarded buffers that start with the CPU output's contents (so += semantics are compared
// too), forward and backward, with a per-op error bound (exact where the op is exact).
#include <cmath>
#include <cstring>
#include <memory>
#include "core/backend.h" /* kp_cuda_backend(), used by gpu_util.h */
#include "core/ewmath.h"
#include "gpu_util.h"

using kpt::bytes_of;
using kpt::expect_same_bits;
using kpt::gpu0;
using kpt::guard;
using kpt::Guarded;
using kpt::numel;
using kpt::qrand;
using kpt::shape_of;
using kpt::shape_str;
using kpt::T;

namespace {

std::string str(const kp_tensor *t) {
  char b[96];
  return kp_tensor_str(t, b, sizeof b);
}

}  // namespace

/* ---------------------------------------------------------------------------------------- */

/* A CPU tensor of dtype dt holding the values v (converted as the CPU cast converts them). */
static T typed(kp_dtype dt, const std::vector<double> &v) {
  T t(dt, {(int64_t)v.size()});
  for (size_t i = 0; i < v.size(); i++) {
    switch (dt) {
      case KP_F32: ((float *)t.t.data)[i] = (float)v[i]; break;
      case KP_BF16: ((uint16_t *)t.t.data)[i] = kp_f32_to_bf16((float)v[i]); break;
      case KP_F16: ((uint16_t *)t.t.data)[i] = kp_f32_to_f16((float)v[i]); break;
      case KP_I32: ((int32_t *)t.t.data)[i] = (int32_t)v[i]; break;
      case KP_I64: ((int64_t *)t.t.data)[i] = (int64_t)v[i]; break;
    }
  }
  return t;
}

TEST(GpuOp, fill_cast) {
  KP_REQUIRE_GPU();
  const kp_dtype dts[] = {KP_F32, KP_BF16, KP_F16, KP_I32, KP_I64};
  /* fill: every dtype, odd sizes, values that round differently in bf16 / f16 */
  for (kp_dtype dt : dts)
    for (int64_t n : {1, 7, 1000, 4099})
      for (double v : {1.5, -3.25e-3, 70000.0, 123456789.0, 0.0}) {
        T c = typed(dt, std::vector<double>((size_t)n, 9.0));
        auto g = guard(c);
        KP_ASSERT_OK(kp_tensor_fill(&c, v));
        KP_ASSERT_OK(kp_tensor_fill(&g->t, v));
        KP_GPU_SYNC();
        expect_same_bits(*g, c, "fill " + str(&c.t) + " with " + std::to_string(v));
      }
  /* cast: all 25 pairs. Base values are safe for every pair (in range of every type); wide
   * values only where the source is f32/i32/i64 (they exceed f16's range but fit i32); float
   * specials (NaN, inf, overflow, subnormals) only between float types; i64 beyond 2^53 only
   * into floats and i64 (double rounding on the way to f32 must agree). */
  std::vector<double> base = {0.0, -0.0, 1.0, -1.0, 0.5, 2.5, -2.5, 3.5, 3.14159265, 1e-3, -7.77e-5, 6e-8,
                              1.0 + 1.0 / 256, 1.0 + 3.0 / 512, 255.5, -1024.75, 2049.0, 65504.0, -60000.5};
  for (double v : kpt::uniform(200, 11, -30000.f, 30000.f)) base.push_back(v);
  for (double v : kpt::uniform(100, 12, -2.f, 2.f)) base.push_back(v);
  const std::vector<double> wide = {123456789.0, -987654321.0, 16777217.0, 16777219.0, 2147483520.0, -2147483648.0,
                                    100000.5, -65520.0, 65520.0};
  const std::vector<double> specials = {NAN, INFINITY, -INFINITY, 1e38, -3e38, 70000.0, 65519.0, 1e-8, 5.96e-8,
                                        2.98e-8, 1e-40, -1e-45};
  auto is_float = [](kp_dtype d) { return d == KP_F32 || d == KP_BF16 || d == KP_F16; };
  for (kp_dtype sd : dts)
    for (kp_dtype dd : dts) {
      std::vector<double> v = base;
      if (sd == KP_F32 || sd == KP_I32 || sd == KP_I64) v.insert(v.end(), wide.begin(), wide.end());
      if (is_float(sd) && is_float(dd)) v.insert(v.end(), specials.begin(), specials.end());
      T src = typed(sd, v);
      if (sd == KP_I64 && dd != KP_I32) { /* exact 64-bit values, not via double */
        int64_t big[] = {(1LL << 53) + 1, -(1LL << 40) - 3, (1LL << 62) + 12345, -(1LL << 53) + 1, INT64_MIN + 1};
        T s2(KP_I64, {(int64_t)v.size() + 5});
        std::memcpy(s2.t.data, src.t.data, v.size() * 8);
        std::memcpy((int64_t *)s2.t.data + v.size(), big, sizeof big);
        src = std::move(s2);
      }
      T dst = typed(dd, std::vector<double>((size_t)src.numel(), 7.0));
      auto g = guard(dst);
      T gsrc = src.to(gpu0());
      KP_ASSERT_OK(kp_tensor_cast(&dst, &src));
      KP_ASSERT_OK(kp_tensor_cast(&g->t, &gsrc));
      KP_GPU_SYNC();
      expect_same_bits(*g, dst, std::string("cast ") + kp_dtype_name(sd) + " -> " + kp_dtype_name(dd));
    }
  /* zero-size tensors: nothing to do, nothing written */
  T e(KP_F32, {0, 3});
  auto ge = guard(e);
  KP_EXPECT_OK(kp_tensor_fill(&ge->t, 1.0));
  Guarded gei(KP_I32, {0, 3});
  KP_EXPECT_OK(kp_tensor_cast(&gei.t, &ge->t));
  KP_GPU_SYNC();
  EXPECT_TRUE(ge->guards_intact());
  EXPECT_TRUE(gei.guards_intact());
}

TEST(GpuOp, random_fill) {
  KP_REQUIRE_GPU();
  for (int64_t n : {1, 3, 4, 5, 1000, 4099})
    for (uint64_t seed : {0ull, 42ull, 0x123456789abcdefull}) {
      SCOPED_TRACE("n=" + std::to_string(n) + " seed=" + std::to_string(seed));
      kp_rng rc = kp_rng_make(seed), rg = kp_rng_make(seed);
      rc.offset = rg.offset = seed == 42 ? (1ull << 33) + 5 : 7; /* counters above 32 bits too */
      T u = kpt::rand_f32({n}, 1), nrm = kpt::rand_f32({n}, 2);
      auto gu = guard(u), gn = guard(nrm);
      KP_ASSERT_OK(kp_rng_fill_uniform(&u, &rc, -0.75f, 2.5f));
      KP_ASSERT_OK(kp_rng_fill_uniform(&gu->t, &rg, -0.75f, 2.5f));
      KP_ASSERT_OK(kp_rng_fill_normal(&nrm, &rc, 0.5f, 2.0f));
      KP_ASSERT_OK(kp_rng_fill_normal(&gn->t, &rg, 0.5f, 2.0f));
      KP_GPU_SYNC();
      EXPECT_EQ(rc.offset, rg.offset);
      expect_same_bits(*gu, u, "uniform fill");  // integer Philox and one product and sum: exact
      /* Box-Muller goes through logf / cosf / sqrtf: CUDA's and libm's differ in the last bits */
      KP_EXPECT_GPU_MATCH(*gn, nrm.vec(), 1e-5, 1e-5);
      for (float x : gu->vec()) {
        EXPECT_GE(x, -0.75f);
        EXPECT_LT(x, 2.5f);
      }
    }
}

/* ---------------------------------------------------------------------------------------- */

/* matmul / bmm forward and backward on one shape; batch 0 means the 2-D matmul. */
static void check_mm(int64_t batch, int64_t M, int64_t N, int64_t K, bool ta, bool tb, float alpha, float beta,
                     uint32_t seed) {
  SCOPED_TRACE("batch=" + std::to_string(batch) + " M=" + std::to_string(M) + " N=" + std::to_string(N) +
               " K=" + std::to_string(K) + " ta=" + std::to_string(ta) + " tb=" + std::to_string(tb) +
               " beta=" + std::to_string(beta));
  auto shp = [&](int64_t r, int64_t c) {
    return batch ? std::vector<int64_t>{batch, r, c} : std::vector<int64_t>{r, c};
  };
  T a = kpt::rand_f32(ta ? shp(K, M) : shp(M, K), seed), b = kpt::rand_f32(tb ? shp(N, K) : shp(K, N), seed + 1);
  T c = kpt::rand_f32(shp(M, N), seed + 2), dc = kpt::rand_f32(shp(M, N), seed + 3);
  T da = kpt::rand_f32(shape_of(&a.t), seed + 4), db = kpt::rand_f32(shape_of(&b.t), seed + 5);
  T ga = a.to(gpu0()), gb = b.to(gpu0()), gdc = dc.to(gpu0());
  auto gc = guard(c), gda = guard(da), gdb = guard(db);
  auto fwd = batch ? kp_bmm : kp_matmul;
  auto bwd = batch ? kp_bmm_bwd : kp_matmul_bwd;
  KP_ASSERT_OK(fwd(&c, &a, &b, ta, tb, alpha, beta));
  KP_ASSERT_OK(fwd(&gc->t, &ga, &gb, ta, tb, alpha, beta));
  KP_ASSERT_OK(bwd(&da, &db, &dc, &a, &b, ta, tb, alpha));
  KP_ASSERT_OK(bwd(&gda->t, &gdb->t, &gdc, &ga, &gb, ta, tb, alpha));
  KP_GPU_SYNC();
  /* exact fp32 on both sides, different summation orders: TF32 (~1e-3) would fail this */
  KP_EXPECT_GPU_MATCH(*gc, c.vec(), 1e-4, 5e-5);
  KP_EXPECT_GPU_MATCH(*gda, da.vec(), 1e-4, 5e-5);
  KP_EXPECT_GPU_MATCH(*gdb, db.vec(), 1e-4, 5e-5);
}

TEST(GpuOp, matmul) {
  KP_REQUIRE_GPU();
  struct { int64_t M, N, K; } shapes[] = {{1, 1, 1}, {1, 7, 5}, {33, 17, 65}, {64, 128, 96}, {5, 3, 130}, {4, 6, 0}, {0, 5, 3}};
  uint32_t seed = 100;
  for (auto s : shapes)
    for (int t = 0; t < 4; t++)
      for (float beta : {0.0f, 1.0f, -0.5f}) check_mm(0, s.M, s.N, s.K, t & 1, t & 2, 0.7f, beta, seed += 10);
}

TEST(GpuOp, bmm) {
  KP_REQUIRE_GPU();
  struct { int64_t B, M, N, K; } shapes[] = {{1, 3, 5, 7}, {3, 1, 1, 1}, {4, 33, 17, 40}, {2, 64, 64, 31}, {3, 4, 5, 0}, {0, 3, 3, 3}};
  uint32_t seed = 500;
  for (auto s : shapes)
    for (int t = 0; t < 4; t++)
      for (float beta : {0.0f, 1.0f}) check_mm(s.B, s.M, s.N, s.K, t & 1, t & 2, 1.3f, beta, seed += 10);
}

TEST(GpuOp, linear) {
  KP_REQUIRE_GPU();
  const kp_act acts[] = {KP_ACT_NONE, KP_ACT_RELU, KP_ACT_LEAKY_RELU, KP_ACT_ELU, KP_ACT_GELU, KP_ACT_TANH};
  struct { std::vector<int64_t> lead; int64_t K, M; } shapes[] = {
      {{1}, 1, 1}, {{1}, 33, 17}, {{2, 3}, 64, 96}, {{37}, 130, 5}, {{5}, 8, 33}, {{0}, 5, 3}};
  uint32_t seed = 900;
  for (auto &s : shapes)
    for (kp_act act : acts)
      for (bool bias : {true, false}) {
        SCOPED_TRACE(std::string("act=") + kp_act_name(act) + " bias=" + std::to_string(bias) + " K=" +
                     std::to_string(s.K) + " M=" + std::to_string(s.M) + " rows=" + std::to_string(s.lead[0]));
        float alpha = act == KP_ACT_LEAKY_RELU ? 0.2f : 0.9f;
        seed += 10;
        std::vector<int64_t> xs = s.lead, ys = s.lead;
        xs.push_back(s.K);
        ys.push_back(s.M);
        T x = kpt::rand_f32(xs, seed), w = kpt::rand_f32({s.M, s.K}, seed + 1), b = kpt::rand_f32({s.M}, seed + 2, -2, 2);
        T y = kpt::rand_f32(ys, seed + 3), pre = kpt::rand_f32(ys, seed + 4), dy = kpt::rand_f32(ys, seed + 5);
        T dx = kpt::rand_f32(xs, seed + 6), dw = kpt::rand_f32({s.M, s.K}, seed + 7), db = kpt::rand_f32({s.M}, seed + 8);
        T gx = x.to(gpu0()), gw = w.to(gpu0()), gbias = b.to(gpu0()), gdy = dy.to(gpu0());
        auto gy = guard(y), gpre = guard(pre);
        const kp_tensor *pb = bias ? &b.t : nullptr, *gpb = bias ? &gbias.t : nullptr;
        KP_ASSERT_OK(kp_linear_fwd(&y, &pre, &x, &w, pb, act, alpha));
        KP_ASSERT_OK(kp_linear_fwd(&gy->t, &gpre->t, &gx, &gw, gpb, act, alpha));
        KP_GPU_SYNC();
        KP_EXPECT_GPU_MATCH(*gy, y.vec(), 1e-4, 5e-5);
        if (act != KP_ACT_NONE) KP_EXPECT_GPU_MATCH(*gpre, pre.vec(), 1e-4, 5e-5);
        else EXPECT_TRUE(gpre->guards_intact());
        /* backward from the CPU's pre on both sides, so relu's kink cannot split them */
        T gpre_cpu = pre.to(gpu0());
        auto gdx = guard(dx), gdw = guard(dw), gdb = guard(db);
        KP_ASSERT_OK(kp_linear_bwd(&dx, &dw, bias ? &db.t : nullptr, &dy, &pre, &x, &w, act, alpha));
        KP_ASSERT_OK(kp_linear_bwd(&gdx->t, &gdw->t, bias ? &gdb->t : nullptr, &gdy, &gpre_cpu, &gx, &gw, act, alpha));
        KP_GPU_SYNC();
        KP_EXPECT_GPU_MATCH(*gdx, dx.vec(), 1e-4, 5e-5);
        KP_EXPECT_GPU_MATCH(*gdw, dw.vec(), 1e-4, 5e-5);
        KP_EXPECT_GPU_MATCH(*gdb, db.vec(), 1e-4, 5e-5);
      }
}

/* ---------------------------------------------------------------------------------------- */

TEST(GpuOp, bias_add) {
  KP_REQUIRE_GPU();
  std::vector<std::vector<int64_t>> shapes = {{1, 1}, {1, 37}, {5, 1}, {300, 33}, {3, 4, 65}, {600, 70}, {70000, 3}, {0, 4}};
  uint32_t seed = 1300;
  for (auto &s : shapes) {
    SCOPED_TRACE("shape " + shape_str(s));
    seed += 10;
    int64_t C = s.back();
    T x = kpt::rand_f32(s, seed), b = kpt::rand_f32({C}, seed + 1), y = kpt::rand_f32(s, seed + 2);
    T gx = x.to(gpu0()), gb = b.to(gpu0());
    auto gy = guard(y), ginplace = guard(x);
    KP_ASSERT_OK(kp_bias_add_fwd(&y, &x, &b));
    KP_ASSERT_OK(kp_bias_add_fwd(&gy->t, &gx, &gb));
    KP_ASSERT_OK(kp_bias_add_fwd(&ginplace->t, &ginplace->t, &gb)); /* y aliases x */
    KP_GPU_SYNC();
    KP_EXPECT_GPU_MATCH(*gy, y.vec(), 1e-6, 1e-7);
    KP_EXPECT_GPU_MATCH(*ginplace, y.vec(), 1e-6, 1e-7);
    /* backward: dy on a 2^-10 grid makes the column sums exact in any order, so the
     * deterministic two-stage GPU reduction must give the CPU's value up to the last += */
    T dy = qrand(s, seed + 3), dx = kpt::rand_f32(s, seed + 4), db = kpt::rand_f32({C}, seed + 5);
    T gdy = dy.to(gpu0());
    auto gdx = guard(dx), gdb = guard(db);
    KP_ASSERT_OK(kp_bias_add_bwd(&dx, &db, &dy));
    KP_ASSERT_OK(kp_bias_add_bwd(&gdx->t, &gdb->t, &gdy));
    KP_GPU_SYNC();
    KP_EXPECT_GPU_MATCH(*gdx, dx.vec(), 1e-6, 1e-7);
    KP_EXPECT_GPU_MATCH(*gdb, db.vec(), 1e-6, 1e-6);
    /* db alone, on non-grid values: rounding differs with the order, within fp32 sums */
    T dy2 = kpt::rand_f32(s, seed + 6), db2 = kpt::rand_f32({C}, seed + 7);
    T gdy2 = dy2.to(gpu0());
    auto gdb2 = guard(db2);
    KP_ASSERT_OK(kp_bias_add_bwd(nullptr, &db2, &dy2));
    KP_ASSERT_OK(kp_bias_add_bwd(nullptr, &gdb2->t, &gdy2));
    KP_GPU_SYNC();
    double rows = (double)kp_tensor_rows(&dy2.t);
    KP_EXPECT_GPU_MATCH(*gdb2, db2.vec(), 1e-5, 2e-7 * (rows + 10));
    /* the GPU reduction is deterministic: a second run gives the same bits */
    auto gdb3 = guard(db2), gdb4 = guard(db2);
    KP_ASSERT_OK(kp_bias_add_bwd(nullptr, &gdb3->t, &gdy2));
    KP_ASSERT_OK(kp_bias_add_bwd(nullptr, &gdb4->t, &gdy2));
    KP_GPU_SYNC();
    EXPECT_EQ(bytes_of(&gdb3->t), bytes_of(&gdb4->t));
  }
}

TEST(GpuOp, add) {
  KP_REQUIRE_GPU();
  std::vector<std::vector<int64_t>> shapes = {{1}, {31}, {3, 5, 7}, {1025, 3}, {0}};
  uint32_t seed = 1700;
  for (auto &s : shapes) {
    SCOPED_TRACE("shape " + shape_str(s));
    seed += 10;
    T a = kpt::rand_f32(s, seed), b = kpt::rand_f32(s, seed + 1), y = kpt::rand_f32(s, seed + 2);
    T ga = a.to(gpu0()), gb = b.to(gpu0());
    auto gy = guard(y), galias = guard(a);
    KP_ASSERT_OK(kp_add_fwd(&y, &a, &b));
    KP_ASSERT_OK(kp_add_fwd(&gy->t, &ga, &gb));
    KP_ASSERT_OK(kp_add_fwd(&galias->t, &galias->t, &gb)); /* y aliases a */
    KP_GPU_SYNC();
    expect_same_bits(*gy, y, "add_fwd"); /* one rounded sum per element */
    expect_same_bits(*galias, y, "add_fwd in place");
    T dy = kpt::rand_f32(s, seed + 3), da = kpt::rand_f32(s, seed + 4), db = kpt::rand_f32(s, seed + 5);
    T gdy = dy.to(gpu0());
    auto gda = guard(da), gdb = guard(db);
    KP_ASSERT_OK(kp_add_bwd(&da, &db, &dy));
    KP_ASSERT_OK(kp_add_bwd(&gda->t, &gdb->t, &gdy));
    KP_GPU_SYNC();
    KP_EXPECT_GPU_MATCH(*gda, da.vec(), 1e-6, 1e-7);
    KP_EXPECT_GPU_MATCH(*gdb, db.vec(), 1e-6, 1e-7);
  }
}

TEST(GpuOp, axpy_scale) {
  KP_REQUIRE_GPU();
  std::vector<std::vector<int64_t>> shapes = {{1}, {31}, {3, 5, 7}, {4097}, {0, 2}};
  uint32_t seed = 2100;
  for (auto &s : shapes)
    for (float alpha : {-0.37f, 1.0f, 0.0f, 3.25f}) {
      SCOPED_TRACE("shape " + shape_str(s) + " alpha=" + std::to_string(alpha));
      seed += 10;
      T x = kpt::rand_f32(s, seed), y = kpt::rand_f32(s, seed + 1), z = kpt::rand_f32(s, seed + 2);
      T gx = x.to(gpu0());
      auto gy = guard(y), gz = guard(z);
      KP_ASSERT_OK(kp_axpy(&y, alpha, &x));
      KP_ASSERT_OK(kp_axpy(&gy->t, alpha, &gx));
      KP_ASSERT_OK(kp_scale(&z, alpha));
      KP_ASSERT_OK(kp_scale(&gz->t, alpha));
      KP_GPU_SYNC();
      KP_EXPECT_GPU_MATCH(*gy, y.vec(), 1e-6, 1e-7);
      KP_EXPECT_GPU_MATCH(*gz, z.vec(), 1e-6, 1e-7);
    }
}

TEST(GpuOp, activation) {
  KP_REQUIRE_GPU();
  const kp_act acts[] = {KP_ACT_NONE, KP_ACT_RELU, KP_ACT_LEAKY_RELU, KP_ACT_ELU, KP_ACT_GELU, KP_ACT_TANH};
  std::vector<std::vector<int64_t>> shapes = {{1}, {33}, {4, 257}, {2, 3, 1000}, {0, 5}};
  uint32_t seed = 2500;
  for (auto &s : shapes)
    for (kp_act act : acts)
      for (float alpha : {0.2f, 1.0f}) {
        SCOPED_TRACE(std::string("act=") + kp_act_name(act) + " alpha=" + std::to_string(alpha) + " shape " +
                     shape_str(s));
        seed += 10;
        T x = kpt::rand_f32(s, seed, -4.f, 4.f, 1e-3f), y = kpt::rand_f32(s, seed + 1);
        T gx = x.to(gpu0());
        auto gy = guard(y), gin = guard(x);
        KP_ASSERT_OK(kp_act_fwd(&y, &x, act, alpha));
        KP_ASSERT_OK(kp_act_fwd(&gy->t, &gx, act, alpha));
        KP_ASSERT_OK(kp_act_fwd(&gin->t, &gin->t, act, alpha)); /* in place */
        KP_GPU_SYNC();
        /* erff / expm1f / tanhf: CUDA and libm agree to a few ulp */
        KP_EXPECT_GPU_MATCH(*gy, y.vec(), 1e-5, 1e-7);
        KP_EXPECT_GPU_MATCH(*gin, y.vec(), 1e-5, 1e-7);
        T dy = kpt::rand_f32(s, seed + 2), dx = kpt::rand_f32(s, seed + 3);
        T gdy = dy.to(gpu0());
        auto gdx = guard(dx);
        KP_ASSERT_OK(kp_act_bwd(&dx, &dy, &x, act, alpha));
        KP_ASSERT_OK(kp_act_bwd(&gdx->t, &gdy, &gx, act, alpha));
        KP_GPU_SYNC();
        KP_EXPECT_GPU_MATCH(*gdx, dx.vec(), 1e-5, 1e-6);
      }
}

TEST(GpuOp, dropout) {
  KP_REQUIRE_GPU();
  struct { uint64_t seed, offset; } streams[] = {{1, 0}, {0xdeadbeefcafef00dull, 3}, {7, (1ull << 33) + 5}};
  uint32_t seed = 2900;
  for (int64_t n : {1, 3, 4, 5, 1023, 4097})
    for (float p : {0.0f, 0.1f, 0.5f, 0.9f})
      for (auto st : streams) {
        SCOPED_TRACE("n=" + std::to_string(n) + " p=" + std::to_string(p) + " seed=" + std::to_string(st.seed) +
                     " offset=" + std::to_string(st.offset));
        seed += 10;
        T x = kpt::rand_f32({n}, seed, -1.f, 1.f, 1e-3f), y = kpt::rand_f32({n}, seed + 1);
        T gx = x.to(gpu0());
        auto gy = guard(y), gin = guard(x);
        KP_ASSERT_OK(kp_dropout_fwd(&y, &x, p, st.seed, st.offset));
        KP_ASSERT_OK(kp_dropout_fwd(&gy->t, &gx, p, st.seed, st.offset));
        KP_ASSERT_OK(kp_dropout_fwd(&gin->t, &gin->t, p, st.seed, st.offset)); /* in place */
        KP_GPU_SYNC();
        /* the same Philox draws and one rounded product: the same mask and the same bits */
        expect_same_bits(*gy, y, "dropout_fwd");
        expect_same_bits(*gin, y, "dropout_fwd in place");
        auto gv = gy->vec();
        int64_t kept = 0, first_diff = -1;
        for (int64_t i = 0; i < n; i++) {
          if ((gv[i] == 0.0f) != (y.f()[i] == 0.0f) && first_diff < 0) first_diff = i;
          kept += gv[i] != 0.0f;
        }
        EXPECT_EQ(first_diff, -1) << "the GPU's keep mask differs from the CPU's (first at this element)";
        if (p == 0.0f) EXPECT_EQ(kept, n);
        T dy = kpt::rand_f32({n}, seed + 2), dx = kpt::rand_f32({n}, seed + 3), dx0 = kpt::rand_f32({n}, seed + 3);
        T gdy = dy.to(gpu0());
        auto gdx = guard(dx);
        KP_ASSERT_OK(kp_dropout_bwd(&dx, &dy, p, st.seed, st.offset));
        KP_ASSERT_OK(kp_dropout_bwd(&gdx->t, &gdy, p, st.seed, st.offset));
        KP_GPU_SYNC();
        expect_same_bits(*gdx, dx, "dropout_bwd");
        auto gdv = gdx->vec();
        first_diff = -1;
        for (int64_t i = 0; i < n && first_diff < 0; i++) /* dropped in the forward <=> untouched in the backward */
          if ((gv[i] == 0.0f) != (gdv[i] == dx0.f()[i])) first_diff = i;
        EXPECT_EQ(first_diff, -1) << "the backward's mask differs from the forward's (first at this element)";
      }
}

/* ---------------------------------------------------------------------------------------- */

TEST(GpuOp, softmax) {
  KP_REQUIRE_GPU();
  struct Case {
    std::vector<int64_t> shape;
    int64_t mask_rows; /* 0: no mask */
  } cases[] = {{{1, 1}, 0}, {{3, 1}, 0}, {{3, 1}, 3}, {{2, 5}, 0}, {{4, 33}, 4}, {{4, 33}, 1}, {{2, 3, 130}, 2},
               {{6, 600}, 3}, {{6, 600}, 0}, {{40, 2}, 5}, {{0, 4}, 0}};
  uint32_t seed = 3300;
  for (auto &c : cases)
    for (float scale : {1.0f, 0.125f}) {
      SCOPED_TRACE("shape " + shape_str(c.shape) + " mask rows " + std::to_string(c.mask_rows) +
                   " scale=" + std::to_string(scale));
      seed += 10;
      int64_t L = c.shape.back(), R = numel(c.shape) / (L ? L : 1);
      T x = kpt::rand_f32(c.shape, seed, -6.f, 6.f), y = kpt::rand_f32(c.shape, seed + 1);
      T mask;
      std::vector<bool> row_dead((size_t)R, false);
      if (c.mask_rows) {
        std::vector<int32_t> m((size_t)(c.mask_rows * L));
        std::mt19937 g(seed + 2);
        for (auto &v : m) v = (int32_t)(g() % 3 != 0); /* about a third padded */
        if (c.mask_rows > 1) {
          for (int64_t j = 0; j < L; j++) m[(size_t)j] = 0;               /* row 0: fully masked */
          for (int64_t j = 0; j < L; j++) m[(size_t)(L + j)] = j == L - 1; /* row 1: one position */
        }
        mask = T::i32({c.mask_rows, L}, m);
        int64_t per = R / c.mask_rows;
        for (int64_t r = 0; r < R; r++) {
          bool any = false;
          for (int64_t j = 0; j < L; j++) any |= m[(size_t)((r / per) * L + j)] != 0;
          row_dead[(size_t)r] = !any;
        }
      }
      T gx = x.to(gpu0());
      T gmask = c.mask_rows ? mask.to(gpu0()) : T();
      const kp_tensor *pm = c.mask_rows ? &mask.t : nullptr, *gpm = c.mask_rows ? &gmask.t : nullptr;
      auto gy = guard(y), gin = guard(x);
      KP_ASSERT_OK(kp_softmax_fwd(&y, &x, pm, scale));
      KP_ASSERT_OK(kp_softmax_fwd(&gy->t, &gx, gpm, scale));
      KP_ASSERT_OK(kp_softmax_fwd(&gin->t, &gin->t, gpm, scale)); /* in place */
      KP_GPU_SYNC();
      KP_EXPECT_GPU_MATCH(*gy, y.vec(), 1e-5, 1e-7);
      KP_EXPECT_GPU_MATCH(*gin, y.vec(), 1e-5, 1e-7);
      auto gv = gy->vec();
      for (int64_t r = 0; r < R; r++) { /* rows sum to 1, or are all zero when fully masked */
        double s = 0;
        for (int64_t j = 0; j < L; j++) {
          EXPECT_FALSE(std::isnan(gv[(size_t)(r * L + j)]));
          s += gv[(size_t)(r * L + j)];
        }
        EXPECT_NEAR(s, row_dead[(size_t)r] ? 0.0 : 1.0, 1e-5) << "row " << r;
      }
      /* backward from the CPU's y on both sides */
      T dy = kpt::rand_f32(c.shape, seed + 3), dx = kpt::rand_f32(c.shape, seed + 4);
      T gdy = dy.to(gpu0()), gycpu = y.to(gpu0());
      auto gdx = guard(dx);
      KP_ASSERT_OK(kp_softmax_bwd(&dx, &dy, &y, scale));
      KP_ASSERT_OK(kp_softmax_bwd(&gdx->t, &gdy, &gycpu, scale));
      KP_GPU_SYNC();
      KP_EXPECT_GPU_MATCH(*gdx, dx.vec(), 1e-5, 1e-6);
    }
}

TEST(GpuOp, layernorm) {
  KP_REQUIRE_GPU();
  std::vector<std::vector<int64_t>> shapes = {{1, 1}, {1, 7}, {3, 33}, {5, 300}, {2, 3, 768}, {600, 40}, {0, 8}};
  uint32_t seed = 3700;
  for (auto &s : shapes)
    for (float offset : {0.0f, 30.0f}) { /* a large common offset tests the two-pass variance */
      SCOPED_TRACE("shape " + shape_str(s) + " offset=" + std::to_string(offset));
      seed += 10;
      int64_t C = s.back(), R = numel(s) / C;
      T x = kpt::rand_f32(s, seed, offset - 1.f, offset + 1.f), gamma = kpt::rand_f32({C}, seed + 1, 0.5f, 1.5f),
        beta = kpt::rand_f32({C}, seed + 2);
      T y = kpt::rand_f32(s, seed + 3), mean = kpt::rand_f32({R}, seed + 4), rstd = kpt::rand_f32({R}, seed + 5);
      T gx = x.to(gpu0()), gg = gamma.to(gpu0()), gbeta = beta.to(gpu0());
      auto gy = guard(y), gmean = guard(mean), grstd = guard(rstd), gin = guard(x);
      const float eps = 1e-5f;
      KP_ASSERT_OK(kp_layernorm_fwd(&y, &mean, &rstd, &x, &gamma, &beta, eps));
      KP_ASSERT_OK(kp_layernorm_fwd(&gy->t, &gmean->t, &grstd->t, &gx, &gg, &gbeta, eps));
      KP_ASSERT_OK(kp_layernorm_fwd(&gin->t, nullptr, nullptr, &gin->t, &gg, &gbeta, eps)); /* in place, inference */
      KP_GPU_SYNC();
      /* statistics in double on both sides: the same floats but for a rare last-bit tie */
      KP_EXPECT_GPU_MATCH(*gmean, mean.vec(), 1e-6, 1e-7);
      KP_EXPECT_GPU_MATCH(*grstd, rstd.vec(), 1e-6, 1e-7);
      KP_EXPECT_GPU_MATCH(*gy, y.vec(), 1e-5, 1e-5);
      KP_EXPECT_GPU_MATCH(*gin, y.vec(), 1e-5, 1e-5);
      /* backward from the CPU's statistics on both sides */
      T dy = kpt::rand_f32(s, seed + 6), dx = kpt::rand_f32(s, seed + 7), dg = kpt::rand_f32({C}, seed + 8),
        db = kpt::rand_f32({C}, seed + 9);
      T gdy = dy.to(gpu0()), gm = mean.to(gpu0()), grs = rstd.to(gpu0());
      auto gdx = guard(dx), gdg = guard(dg), gdb = guard(db);
      KP_ASSERT_OK(kp_layernorm_bwd(&dx, &dg, &db, &dy, &x, &mean, &rstd, &gamma));
      KP_ASSERT_OK(kp_layernorm_bwd(&gdx->t, &gdg->t, &gdb->t, &gdy, &gx, &gm, &grs, &gg));
      KP_GPU_SYNC();
      double tol_cols = 2e-7 * ((double)R + 10); /* fp32 column sums over R rows, in different orders */
      KP_EXPECT_GPU_MATCH(*gdx, dx.vec(), 1e-4, 2e-5);
      KP_EXPECT_GPU_MATCH(*gdg, dg.vec(), 1e-5, tol_cols);
      KP_EXPECT_GPU_MATCH(*gdb, db.vec(), 1e-5, tol_cols);
      /* each gradient alone (NULL for the others) gives the same values */
      T dg2 = kpt::rand_f32({C}, seed + 8);
      auto gdg2 = guard(dg2);
      KP_ASSERT_OK(kp_layernorm_bwd(nullptr, &gdg2->t, nullptr, &gdy, &gx, &gm, &grs, &gg));
      KP_GPU_SYNC();
      EXPECT_EQ(bytes_of(&gdg2->t), bytes_of(&gdg->t));
    }
}
