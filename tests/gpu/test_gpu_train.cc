// CUDA losses, optimizer steps and gradient clipping against their CPU twins: the same random
// inputs on both devices, GPU outputs in guarded buffers that start with the CPU output's
// contents (so += semantics are compared too), with per-op error bounds. The loss and the sum
// of squares are reduced deterministically on the GPU: two runs must give the same bits.
#include <cmath>
#include <cstring>
#include <memory>
#include <random>
#include "core/backend.h"
#include "gpu_util.h"

using kpt::expect_same_run;
using kpt::gpu0;
using kpt::guard;
using kpt::Guarded;
using kpt::T;

namespace {

/* Targets in [0, C), a fraction of them replaced by ignore_index. */
T rand_targets(int64_t N, int64_t C, int ignore_index, double ignored, uint32_t seed) {
  std::mt19937 g(seed);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  std::vector<int32_t> v((size_t)N);
  for (auto &t : v) t = u(g) < ignored ? ignore_index : (int32_t)(g() % (uint32_t)C);
  return T::i32({N}, v);
}

}  // namespace

TEST(GpuOp, cross_entropy) {
  KP_REQUIRE_GPU();
  struct Case {
    int64_t N, C;
    bool weighted;
    float ls;
    int ignore;
    double ignored;
  };
  uint32_t seed = 1;
  for (Case c : {Case{16, 5, false, 0.0f, -100, 0.2}, Case{33, 40, true, 0.1f, -100, 0.3},
                 Case{7, 3, true, 0.0f, 2, 0.0} /* ignore_index is a real class */, Case{5, 4, false, 0.2f, -1, 1.0},
                 Case{200, 1000, true, 0.05f, -100, 0.1}, Case{1, 1, false, 0.0f, -100, 0.0},
                 Case{0, 6, true, 0.1f, -100, 0.0}, Case{3000, 2, false, 0.0f, -100, 0.05}}) {
    std::string what = "N=" + std::to_string(c.N) + " C=" + std::to_string(c.C) + " w=" + std::to_string(c.weighted) +
                       " ls=" + std::to_string(c.ls) + " ignore=" + std::to_string(c.ignore);
    T logits = kpt::rand_f32({c.N, c.C}, seed++, -6.f, 6.f);
    T tg = rand_targets(c.N, c.C, c.ignore, c.ignored, seed++);
    T w = kpt::rand_f32({c.C}, seed++, 0.2f, 2.f);
    T lg = logits.to(gpu0()), tgg = tg.to(gpu0()), wg = w.to(gpu0());
    const kp_tensor *wp = c.weighted ? &w.t : nullptr, *wgp = c.weighted ? &wg.t : nullptr;
    T loss = kpt::rand_f32({1}, seed++), probs = kpt::rand_f32({c.N, c.C}, seed++);
    auto gloss = guard(loss), gloss2 = guard(loss), gprobs = guard(probs);
    KP_ASSERT_OK(kp_cross_entropy_fwd(&loss, &probs, &logits, &tg, wp, c.ls, c.ignore));
    KP_ASSERT_OK(kp_cross_entropy_fwd(&gloss->t, &gprobs->t, &lg, &tgg, wgp, c.ls, c.ignore));
    KP_ASSERT_OK(kp_cross_entropy_fwd(&gloss2->t, &gprobs->t, &lg, &tgg, wgp, c.ls, c.ignore));
    KP_GPU_SYNC();
    KP_EXPECT_GPU_MATCH(*gloss, loss.vec(), 1e-5, 1e-6);
    KP_EXPECT_GPU_MATCH(*gprobs, probs.vec(), 1e-5, 1e-8);
    expect_same_run(*gloss, *gloss2, "cross_entropy_fwd " + what);
    if (c.ignored >= 1.0) EXPECT_EQ(gloss->vec()[0], 0.0f) << "every target ignored: the loss is 0";
    /* backward from the CPU's probs into a pre-filled gradient */
    T dl = kpt::rand_f32({c.N, c.C}, seed++);
    T pg = probs.to(gpu0());
    auto gdl = guard(dl);
    KP_ASSERT_OK(kp_cross_entropy_bwd(&dl, &probs, &tg, wp, c.ls, c.ignore, 1.7f));
    KP_ASSERT_OK(kp_cross_entropy_bwd(&gdl->t, &pg, &tgg, wgp, c.ls, c.ignore, 1.7f));
    KP_GPU_SYNC();
    KP_EXPECT_GPU_MATCH(*gdl, dl.vec(), 1e-5, 1e-7);
  }
}

TEST(GpuOp, bce_logits) {
  KP_REQUIRE_GPU();
  struct Case {
    std::vector<int64_t> shape;
    bool pos_weight, hard;
  };
  uint32_t seed = 100;
  for (const Case &c : {Case{{37}, false, false}, Case{{16, 5}, true, true}, Case{{300, 33}, true, false},
                        Case{{0, 4}, true, false}, Case{{2, 3, 70}, false, true}, Case{{50000}, false, false}}) {
    T x = kpt::rand_f32(c.shape, seed++, -8.f, 8.f);
    const int64_t n = x.numel(), C = c.shape.back();
    for (int64_t i = 0; i < n; i += 7) x.f()[i] *= 6.0f; /* |x| up to 48: log(1 + exp(x)) must not overflow */
    T y = kpt::rand_f32(c.shape, seed++, 0.f, 1.f);
    if (c.hard)
      for (int64_t i = 0; i < n; i++) y.f()[i] = y.f()[i] < 0.5f ? 0.0f : 1.0f;
    T pw = kpt::rand_f32({C}, seed++, 0.5f, 3.f);
    T xg = x.to(gpu0()), yg = y.to(gpu0()), pwg = pw.to(gpu0());
    const kp_tensor *pp = c.pos_weight ? &pw.t : nullptr, *pgp = c.pos_weight ? &pwg.t : nullptr;
    std::string what = "n=" + std::to_string(n) + " pos_weight=" + std::to_string(c.pos_weight);
    T loss = kpt::rand_f32({1}, seed++);
    auto gloss = guard(loss), gloss2 = guard(loss);
    KP_ASSERT_OK(kp_bce_logits_fwd(&loss, &x, &y, pp));
    KP_ASSERT_OK(kp_bce_logits_fwd(&gloss->t, &xg, &yg, pgp));
    KP_ASSERT_OK(kp_bce_logits_fwd(&gloss2->t, &xg, &yg, pgp));
    KP_GPU_SYNC();
    KP_EXPECT_GPU_MATCH(*gloss, loss.vec(), 1e-5, 1e-7);
    expect_same_run(*gloss, *gloss2, "bce_logits_fwd " + what);
    T dl = kpt::rand_f32(c.shape, seed++);
    auto gdl = guard(dl);
    KP_ASSERT_OK(kp_bce_logits_bwd(&dl, &x, &y, pp, 0.6f));
    KP_ASSERT_OK(kp_bce_logits_bwd(&gdl->t, &xg, &yg, pgp, 0.6f));
    KP_GPU_SYNC();
    KP_EXPECT_GPU_MATCH(*gdl, dl.vec(), 1e-5, 1e-8);
  }
}

TEST(GpuOp, adam) {
  KP_REQUIRE_GPU();
  uint32_t seed = 200;
  for (int64_t n : {1, 1000, 100003})
    for (bool decoupled : {false, true})
      for (float wd : {0.0f, 0.01f}) {
        kp_adam_hparams h{1e-3f, 0.9f, 0.999f, 1e-8f, wd, decoupled};
        std::string what = "n=" + std::to_string(n) + (decoupled ? " AdamW" : " Adam") + " wd=" + std::to_string(wd);
        T p = kpt::rand_f32({n}, seed++), m(KP_F32, {n}), v(KP_F32, {n});
        auto gp = guard(p), gm = guard(m), gv = guard(v);
        for (int64_t step = 1; step <= 5; step++) {
          T g = kpt::rand_f32({n}, seed++, -2.f, 2.f);
          for (int64_t i = 0; i < n; i += 11) g.f()[i] *= 1e-4f; /* small gradients: eps matters */
          T gg = g.to(gpu0());
          KP_ASSERT_OK(kp_adam_step(&p, &g, &m, &v, &h, step));
          KP_ASSERT_OK(kp_adam_step(&gp->t, &gg, &gm->t, &gv->t, &h, step));
          KP_GPU_SYNC();
          SCOPED_TRACE(what + " step " + std::to_string(step));
          KP_EXPECT_GPU_MATCH(*gp, p.vec(), 1e-6, 1e-7);
          KP_EXPECT_GPU_MATCH(*gm, m.vec(), 1e-6, 1e-9);
          KP_EXPECT_GPU_MATCH(*gv, v.vec(), 1e-6, 1e-12);
        }
      }
}

TEST(GpuOp, sgd) {
  KP_REQUIRE_GPU();
  uint32_t seed = 300;
  const kp_sgd_hparams cases[] = {
      {0.1f, 0.0f, 0.0f, 0.0f, false},   /* plain: no momentum buffer */
      {0.05f, 0.9f, 0.1f, 0.0f, false},  /* momentum with dampening */
      {0.05f, 0.9f, 0.0f, 0.01f, true},  /* nesterov with weight decay */
      {0.01f, 0.5f, 0.0f, 0.001f, false} /* momentum with weight decay */
  };
  for (const kp_sgd_hparams &h : cases)
    for (int64_t n : {3, 4099, 70001}) {
      std::string what = "n=" + std::to_string(n) + " momentum=" + std::to_string(h.momentum) +
                         " nesterov=" + std::to_string(h.nesterov);
      T p = kpt::rand_f32({n}, seed++), buf = kpt::rand_f32({n}, seed++); /* stale contents: step 1 overwrites */
      auto gp = guard(p), gbuf = guard(buf);
      const bool mom = h.momentum != 0.0f;
      for (int64_t step = 1; step <= 4; step++) {
        T g = kpt::rand_f32({n}, seed++);
        T gg = g.to(gpu0());
        KP_ASSERT_OK(kp_sgd_step(&p, &g, mom ? &buf.t : nullptr, &h, step));
        KP_ASSERT_OK(kp_sgd_step(&gp->t, &gg, mom ? &gbuf->t : nullptr, &h, step));
        KP_GPU_SYNC();
        SCOPED_TRACE(what + " step " + std::to_string(step));
        KP_EXPECT_GPU_MATCH(*gp, p.vec(), 1e-6, 1e-7);
        KP_EXPECT_GPU_MATCH(*gbuf, buf.vec(), 1e-6, 1e-7);
      }
    }
}

TEST(GpuOp, clip_grad_norm) {
  KP_REQUIRE_GPU();
  const std::vector<std::vector<int64_t>> shapes = {{1000}, {37, 3}, {0}, {100003}, {1}};
  std::vector<T> cg;
  uint32_t seed = 400;
  for (const auto &s : shapes) cg.push_back(kpt::rand_f32(s, seed++, -3.f, 3.f));
  /* sumsq alone: double accumulation close to the CPU's, the same bits on every GPU run */
  for (const T &c : cg) {
    T g = c.to(gpu0());
    double a = -1, b = -2, e = -3;
    KP_ASSERT_OK(kp_sumsq(&c, &e));
    KP_ASSERT_OK(kp_sumsq(&g, &a));
    KP_ASSERT_OK(kp_sumsq(&g, &b));
    EXPECT_NEAR(a, e, 1e-12 * (1.0 + e)) << "sumsq n=" << c.numel();
    EXPECT_EQ(0, std::memcmp(&a, &b, sizeof a)) << "sumsq n=" << c.numel() << ": two GPU runs differ";
  }
  for (float max_norm : {5.0f, 1e6f, 0.0f}) { /* scaling, no scaling (norm below), clipping off */
    std::vector<std::unique_ptr<Guarded>> gg;
    std::vector<T> cc;
    std::vector<kp_tensor *> cp, gp;
    for (const T &c : cg) {
      cc.push_back(c.to(kp_cpu()));
      gg.push_back(guard(c));
    }
    for (size_t i = 0; i < cc.size(); i++) {
      cp.push_back(&cc[i].t);
      gp.push_back(&gg[i]->t);
    }
    float cn = -1, gn = -2;
    KP_ASSERT_OK(kp_clip_grad_norm(cp.data(), (int)cp.size(), max_norm, &cn));
    KP_ASSERT_OK(kp_clip_grad_norm(gp.data(), (int)gp.size(), max_norm, &gn));
    KP_GPU_SYNC();
    EXPECT_NEAR(gn, cn, 1e-6 * cn) << "max_norm " << max_norm;
    for (size_t i = 0; i < cc.size(); i++) {
      SCOPED_TRACE("max_norm " + std::to_string(max_norm) + " tensor " + std::to_string(i));
      KP_EXPECT_GPU_MATCH(*gg[i], cc[i].vec(), 1e-6, 1e-7);
    }
  }
}
