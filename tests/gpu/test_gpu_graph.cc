// CUDA index, segment and sparse graph ops against their CPU twins: the same random inputs and
// graphs on both devices (empty rows and segments, nnz = 0, repeated indices, several heads),
// GPU outputs in guarded buffers that start with the CPU output's contents (so += semantics are
// compared too), forward and backward. Sums of values on a 2^-10 grid are exact in f32 in any
// order, so where inputs are quantized the GPU must match bit for bit; integer outputs (arg)
// always match exactly. Repeated GPU runs must give the same bits (no float atomics).
#include <cmath>
#include <cstring>
#include <memory>
#include <random>
#include "core/backend.h"
#include "gpu_util.h"

using kpt::expect_same_bits;
using kpt::expect_same_run;
using kpt::gpu0;
using kpt::guard;
using kpt::Guarded;
using kpt::qrand;
using kpt::T;

namespace {

std::vector<int32_t> ints(const T &t) {
  std::vector<int32_t> v((size_t)t.numel());
  for (size_t i = 0; i < v.size(); i++) v[i] = ((const int32_t *)t.t.data)[i];
  return v;
}

/* Random indices in [0, n) hitting only rows with (row % 4 != 1), so some rows stay empty. */
T rand_idx(int64_t K, int64_t n, uint32_t seed, bool leave_holes = true) {
  std::mt19937 g(seed);
  std::uniform_int_distribution<int32_t> d(0, (int32_t)(n > 0 ? n - 1 : 0));
  std::vector<int32_t> v((size_t)K);
  for (auto &x : v) {
    do x = d(g);
    while (leave_holes && n > 2 && x % 4 == 1);
  }
  return T::i32({K}, v);
}

void expect_ints(Guarded &g, const T &c, const std::string &what) {
  EXPECT_TRUE(g.guards_intact()) << what << ": write outside the tensor";
  EXPECT_EQ(g.ivec(), ints(c)) << what;
}

/* A CSR adjacency on the host: row i has `deg` random source columns (repeats allowed); every 5th row
 * from row 2 is empty, and so is every row when ncols == 0. */
struct HostGraph {
  int64_t nrows = 0, ncols = 0;
  std::vector<int32_t> indptr, indices;
  int64_t nnz() const { return (int64_t)indices.size(); }
};

HostGraph rand_graph(int64_t nrows, int64_t ncols, int maxdeg, uint32_t seed) {
  HostGraph h;
  h.nrows = nrows;
  h.ncols = ncols;
  std::mt19937 g(seed);
  std::uniform_int_distribution<int> dd(0, maxdeg);
  std::uniform_int_distribution<int32_t> dc(0, (int32_t)(ncols > 0 ? ncols - 1 : 0));
  h.indptr.push_back(0);
  for (int64_t i = 0; i < nrows; i++) {
    int deg = (ncols == 0 || i % 5 == 2) ? 0 : dd(g);
    if (i == 0 && ncols > 0) deg = maxdeg; /* one row at the maximum degree (past a warp when maxdeg > 32) */
    for (int k = 0; k < deg; k++) h.indices.push_back(dc(g));
    h.indptr.push_back((int32_t)h.indices.size());
  }
  return h;
}

/* A kp_csr on one device, freed with the object. */
struct Csr {
  kp_csr g{};
  Csr(const HostGraph &h, kp_device dev) {
    if (kp_csr_init(&g, dev, h.nrows, h.ncols, h.indptr.data(), h.indices.empty() ? nullptr : h.indices.data()) !=
        KP_OK)
      throw std::runtime_error(kp_last_error());
  }
  Csr(const Csr &) = delete;
  Csr &operator=(const Csr &) = delete;
  ~Csr() { kp_csr_free(&g); }
};

const char *rname(kp_reduce r) { return kp_reduce_name(r); }

}  // namespace

/* ---------------------------------------------------------------------------------------- */

TEST(GpuOp, gather) {
  KP_REQUIRE_GPU();
  struct Case {
    int64_t N, F, K;
  };
  for (Case c : {Case{7, 5, 12}, Case{50, 33, 200}, Case{3, 1, 0}, Case{1, 64, 40}, Case{1000, 3, 5},
                 Case{6, 70, 300}}) {
    std::string what = "N=" + std::to_string(c.N) + " F=" + std::to_string(c.F) + " K=" + std::to_string(c.K);
    T x = qrand({c.N, c.F}, 1), idx = rand_idx(c.K, c.N, 2, false);
    T xg = x.to(gpu0()), idxg = idx.to(gpu0());
    /* forward: a copy, exact */
    T y = qrand({c.K, c.F}, 3);
    auto gy = guard(y);
    KP_ASSERT_OK(kp_gather_fwd(&y, &x, &idx));
    KP_ASSERT_OK(kp_gather_fwd(&gy->t, &xg, &idxg));
    KP_GPU_SYNC();
    expect_same_bits(*gy, y, "gather_fwd " + what);
    /* backward on the 2^-10 grid: exact, accumulating into dx */
    T dy = qrand({c.K, c.F}, 4), dx = qrand({c.N, c.F}, 5);
    T dyg = dy.to(gpu0());
    auto gdx = guard(dx);
    KP_ASSERT_OK(kp_gather_bwd(&dx, &dy, &idx));
    KP_ASSERT_OK(kp_gather_bwd(&gdx->t, &dyg, &idxg));
    KP_GPU_SYNC();
    expect_same_bits(*gdx, dx, "gather_bwd " + what);
    /* backward on arbitrary floats: close to the CPU, and the same bits on a second GPU run */
    T dy2 = kpt::rand_f32({c.K, c.F}, 6), dx2 = kpt::rand_f32({c.N, c.F}, 7);
    T dy2g = dy2.to(gpu0());
    auto a = guard(dx2), b = guard(dx2);
    KP_ASSERT_OK(kp_gather_bwd(&a->t, &dy2g, &idxg));
    KP_ASSERT_OK(kp_gather_bwd(&b->t, &dy2g, &idxg));
    KP_ASSERT_OK(kp_gather_bwd(&dx2, &dy2, &idx));
    KP_GPU_SYNC();
    KP_EXPECT_GPU_MATCH(*a, dx2.vec(), 1e-5, 1e-6 * (1 + c.K));
    expect_same_run(*a, *b, "gather_bwd " + what);
  }
}

TEST(GpuOp, embedding) {
  KP_REQUIRE_GPU();
  const int64_t V = 97, D = 48, B = 4, L = 33;
  T table = qrand({V, D}, 10);
  std::vector<int32_t> ids((size_t)(B * L));
  std::mt19937 g(11);
  for (auto &v : ids) v = (int32_t)(g() % 20); /* few distinct ids: many repeats, most rows untouched */
  ids[0] = V - 1;
  T id = T::i32({B, L}, ids);
  T tg = table.to(gpu0()), idg = id.to(gpu0());
  T y = qrand({B, L, D}, 12);
  auto gy = guard(y);
  KP_ASSERT_OK(kp_embedding_fwd(&y, &id, &table));
  KP_ASSERT_OK(kp_embedding_fwd(&gy->t, &idg, &tg));
  KP_GPU_SYNC();
  expect_same_bits(*gy, y, "embedding_fwd");
  T dy = qrand({B, L, D}, 13), dt = qrand({V, D}, 14);
  T dyg = dy.to(gpu0());
  auto gdt = guard(dt);
  KP_ASSERT_OK(kp_embedding_bwd(&dt, &dy, &id));
  KP_ASSERT_OK(kp_embedding_bwd(&gdt->t, &dyg, &idg));
  KP_GPU_SYNC();
  expect_same_bits(*gdt, dt, "embedding_bwd");
}

TEST(GpuOp, scatter) {
  KP_REQUIRE_GPU();
  struct Case {
    int64_t K, N, F;
  };
  for (kp_reduce r : {KP_REDUCE_SUM, KP_REDUCE_MEAN, KP_REDUCE_MAX})
    for (Case c : {Case{40, 10, 7}, Case{0, 5, 3}, Case{300, 4, 33}, Case{25, 30, 1}, Case{500, 9, 64}}) {
      std::string what = std::string(rname(r)) + " K=" + std::to_string(c.K) + " N=" + std::to_string(c.N) +
                         " F=" + std::to_string(c.F);
      /* a coarse grid for max makes ties common: they must go to the smallest k on both devices */
      T src = r == KP_REDUCE_MAX ? qrand({c.K, c.F}, 20, 0.25f) : qrand({c.K, c.F}, 20);
      T idx = rand_idx(c.K, c.N, 21);
      T srcg = src.to(gpu0()), idxg = idx.to(gpu0());
      T y = qrand({c.N, c.F}, 22), arg(KP_I32, {c.N, c.F});
      for (int64_t i = 0; i < arg.numel(); i++) arg.i()[i] = (int32_t)(i % 7) - 3;
      auto gy = guard(y);
      auto garg = guard(arg);
      kp_tensor *ap = r == KP_REDUCE_MAX ? &arg.t : nullptr, *gap = r == KP_REDUCE_MAX ? &garg->t : nullptr;
      KP_ASSERT_OK(kp_scatter_fwd(&y, ap, &src, &idx, r));
      KP_ASSERT_OK(kp_scatter_fwd(&gy->t, gap, &srcg, &idxg, r));
      KP_GPU_SYNC();
      if (r == KP_REDUCE_MEAN) KP_EXPECT_GPU_MATCH(*gy, y.vec(), 1e-6, 1e-7); /* a division of an exact sum */
      else expect_same_bits(*gy, y, "scatter_fwd " + what);
      if (r == KP_REDUCE_MAX) expect_ints(*garg, arg, "scatter_fwd arg " + what);
      /* backward from the CPU's arg, accumulating into dsrc */
      T dy = qrand({c.N, c.F}, 23), dsrc = qrand({c.K, c.F}, 24);
      T dyg = dy.to(gpu0()), argg = arg.to(gpu0());
      auto gds = guard(dsrc);
      KP_ASSERT_OK(kp_scatter_bwd(&dsrc, &dy, r == KP_REDUCE_MAX ? &arg.t : nullptr, &idx, r));
      KP_ASSERT_OK(kp_scatter_bwd(&gds->t, &dyg, r == KP_REDUCE_MAX ? &argg.t : nullptr, &idxg, r));
      KP_GPU_SYNC();
      KP_EXPECT_GPU_MATCH(*gds, dsrc.vec(), 1e-6, 1e-7);
      /* arbitrary floats: close, and repeatable bit for bit */
      if (r != KP_REDUCE_MAX && c.K > 0) {
        T s2 = kpt::rand_f32({c.K, c.F}, 25), y2 = kpt::rand_f32({c.N, c.F}, 26);
        T s2g = s2.to(gpu0());
        auto a = guard(y2), b = guard(y2);
        KP_ASSERT_OK(kp_scatter_fwd(&a->t, nullptr, &s2g, &idxg, r));
        KP_ASSERT_OK(kp_scatter_fwd(&b->t, nullptr, &s2g, &idxg, r));
        KP_ASSERT_OK(kp_scatter_fwd(&y2, nullptr, &s2, &idx, r));
        KP_GPU_SYNC();
        KP_EXPECT_GPU_MATCH(*a, y2.vec(), 1e-5, 1e-6 * (1 + c.K));
        expect_same_run(*a, *b, "scatter_fwd " + what);
      }
    }
}

TEST(GpuOp, segment) {
  KP_REQUIRE_GPU();
  /* segment sizes: empty ones, one of 1000 rows (several row groups per block), a lone empty graph */
  const std::vector<std::vector<int32_t>> sizes = {{3, 0, 5, 1, 0, 7}, {1000, 0, 2}, {0}, {}, {4, 4, 4, 4}};
  for (kp_reduce r : {KP_REDUCE_SUM, KP_REDUCE_MEAN, KP_REDUCE_MAX})
    for (int64_t F : {1, 5, 40})
      for (size_t si = 0; si < sizes.size(); si++) {
        std::vector<int32_t> ptr = {0};
        for (int32_t s : sizes[si]) ptr.push_back(ptr.back() + s);
        const int64_t Gs = (int64_t)ptr.size() - 1, N = ptr.back();
        std::string what = std::string(rname(r)) + " F=" + std::to_string(F) + " sizes#" + std::to_string(si);
        T x = r == KP_REDUCE_MAX ? qrand({N, F}, 30, 0.25f) : qrand({N, F}, 30);
        T p = T::i32({Gs + 1}, ptr);
        T xg = x.to(gpu0()), pg = p.to(gpu0());
        T y = qrand({Gs, F}, 31), arg(KP_I32, {Gs, F});
        for (int64_t i = 0; i < arg.numel(); i++) arg.i()[i] = 5;
        auto gy = guard(y);
        auto garg = guard(arg);
        KP_ASSERT_OK(kp_segment_fwd(&y, r == KP_REDUCE_MAX ? &arg.t : nullptr, &x, &p, r));
        KP_ASSERT_OK(kp_segment_fwd(&gy->t, r == KP_REDUCE_MAX ? &garg->t : nullptr, &xg, &pg, r));
        KP_GPU_SYNC();
        if (r == KP_REDUCE_MEAN) KP_EXPECT_GPU_MATCH(*gy, y.vec(), 1e-6, 1e-7);
        else expect_same_bits(*gy, y, "segment_fwd " + what);
        if (r == KP_REDUCE_MAX) expect_ints(*garg, arg, "segment_fwd arg " + what);
        T dy = qrand({Gs, F}, 32), dx = qrand({N, F}, 33);
        T dyg = dy.to(gpu0()), argg = arg.to(gpu0());
        auto gdx = guard(dx);
        KP_ASSERT_OK(kp_segment_bwd(&dx, &dy, r == KP_REDUCE_MAX ? &arg.t : nullptr, &p, r));
        KP_ASSERT_OK(kp_segment_bwd(&gdx->t, &dyg, r == KP_REDUCE_MAX ? &argg.t : nullptr, &pg, r));
        KP_GPU_SYNC();
        KP_EXPECT_GPU_MATCH(*gdx, dx.vec(), 1e-6, 1e-7);
        /* arbitrary floats: close to the CPU and repeatable */
        if (r != KP_REDUCE_MAX) {
          T x2 = kpt::rand_f32({N, F}, 34), y2 = kpt::rand_f32({Gs, F}, 35);
          T x2g = x2.to(gpu0());
          auto a = guard(y2), b = guard(y2);
          KP_ASSERT_OK(kp_segment_fwd(&a->t, nullptr, &x2g, &pg, r));
          KP_ASSERT_OK(kp_segment_fwd(&b->t, nullptr, &x2g, &pg, r));
          KP_ASSERT_OK(kp_segment_fwd(&y2, nullptr, &x2, &p, r));
          KP_GPU_SYNC();
          KP_EXPECT_GPU_MATCH(*a, y2.vec(), 1e-5, 2e-7 * (1 + N));
          expect_same_run(*a, *b, "segment_fwd " + what);
        }
      }
}

/* ---------------------------------------------------------------------------------------- */

namespace {

struct GraphCase {
  int64_t nrows, ncols;
  int maxdeg;
};
const GraphCase kGraphs[] = {{20, 15, 6}, {1, 1, 3}, {9, 4, 0}, {300, 200, 40}, {12, 0, 5}, {64, 64, 70}};

std::string gname(const GraphCase &c, const HostGraph &h) {
  return "graph " + std::to_string(c.nrows) + "x" + std::to_string(c.ncols) + " nnz=" + std::to_string(h.nnz());
}

}  // namespace

TEST(GpuOp, spmm) {
  KP_REQUIRE_GPU();
  uint32_t seed = 100;
  for (const GraphCase &gc : kGraphs) {
    HostGraph h = rand_graph(gc.nrows, gc.ncols, gc.maxdeg, seed++);
    Csr cg(h, kp_cpu()), gg(h, gpu0());
    const double atol = 1e-6 * (4 + gc.maxdeg);
    /* weights: none (cuSPARSE with the cached ones vector), [nnz] and [nnz, 1] (cuSPARSE), [nnz, H] (warp kernel).
     * The same GPU graph serves every width, so its cached descriptors are hit, missed and evicted. */
    struct W {
      int ndim;
      int64_t H, D;
    };
    for (W wc : {W{0, 1, 8}, W{1, 1, 33}, W{2, 1, 1}, W{2, 4, 3}, W{2, 2, 20}, W{0, 1, 64}, W{1, 1, 5}, W{0, 1, 8},
                 W{2, 8, 8}})
      for (kp_reduce r : {KP_REDUCE_SUM, KP_REDUCE_MEAN}) {
        const int64_t F = wc.H * wc.D, nnz = h.nnz();
        std::string what = gname(gc, h) + " " + rname(r) + " w" + std::to_string(wc.ndim) + " H=" +
                           std::to_string(wc.H) + " F=" + std::to_string(F);
        T w = wc.ndim == 2 ? kpt::rand_f32({nnz, wc.H}, seed++) : kpt::rand_f32({nnz}, seed++);
        T x = kpt::rand_f32({gc.ncols, F}, seed++);
        T wg = w.to(gpu0()), xg = x.to(gpu0());
        const kp_tensor *wp = wc.ndim ? &w.t : nullptr, *wgp = wc.ndim ? &wg.t : nullptr;
        T y = kpt::rand_f32({gc.nrows, F}, seed++);
        auto gy = guard(y), gy2 = guard(y);
        KP_ASSERT_OK(kp_spmm_fwd(&y, &cg.g, wp, &x, r));
        KP_ASSERT_OK(kp_spmm_fwd(&gy->t, &gg.g, wgp, &xg, r));
        KP_ASSERT_OK(kp_spmm_fwd(&gy2->t, &gg.g, wgp, &xg, r));
        KP_GPU_SYNC();
        KP_EXPECT_GPU_MATCH(*gy, y.vec(), 1e-5, atol);
        expect_same_run(*gy, *gy2, "spmm_fwd " + what);
        T dy = kpt::rand_f32({gc.nrows, F}, seed++), dx = kpt::rand_f32({gc.ncols, F}, seed++);
        T dw = wc.ndim == 2 ? kpt::rand_f32({nnz, wc.H}, seed++) : kpt::rand_f32({nnz}, seed++);
        T dyg = dy.to(gpu0());
        auto gdx = guard(dx), gdw = guard(dw);
        KP_ASSERT_OK(kp_spmm_bwd(&dx, wc.ndim ? &dw.t : nullptr, &dy, &cg.g, wp, &x, r));
        KP_ASSERT_OK(kp_spmm_bwd(&gdx->t, wc.ndim ? &gdw->t : nullptr, &dyg, &gg.g, wgp, &xg, r));
        KP_GPU_SYNC();
        KP_EXPECT_GPU_MATCH(*gdx, dx.vec(), 1e-5, atol);
        KP_EXPECT_GPU_MATCH(*gdw, dw.vec(), 1e-5, 1e-6 * (4 + wc.D));
      }
  }
}

TEST(GpuOp, sddmm) {
  KP_REQUIRE_GPU();
  uint32_t seed = 200;
  for (const GraphCase &gc : kGraphs) {
    HostGraph h = rand_graph(gc.nrows, gc.ncols, gc.maxdeg, seed++);
    Csr cg(h, kp_cpu()), gg(h, gpu0());
    /* heads of D = 8, 2, 16, 1 (several heads per warp), 40 and 5 (a warp loop per head); 1-D output */
    struct O {
      int ndim;
      int64_t H, D;
    };
    for (O oc : {O{1, 1, 7}, O{2, 1, 64}, O{2, 4, 8}, O{2, 16, 2}, O{2, 3, 16}, O{2, 5, 1}, O{2, 2, 40}, O{2, 3, 5}}) {
      const int64_t F = oc.H * oc.D, nnz = h.nnz();
      std::string what = gname(gc, h) + " H=" + std::to_string(oc.H) + " D=" + std::to_string(oc.D);
      T a = kpt::rand_f32({gc.nrows, F}, seed++), b = kpt::rand_f32({gc.ncols, F}, seed++);
      T ag = a.to(gpu0()), bg = b.to(gpu0());
      T out = oc.ndim == 2 ? kpt::rand_f32({nnz, oc.H}, seed++) : kpt::rand_f32({nnz}, seed++);
      auto gout = guard(out);
      KP_ASSERT_OK(kp_sddmm_fwd(&out, &cg.g, &a, &b));
      KP_ASSERT_OK(kp_sddmm_fwd(&gout->t, &gg.g, &ag, &bg));
      KP_GPU_SYNC();
      KP_EXPECT_GPU_MATCH(*gout, out.vec(), 1e-5, 1e-6 * (4 + oc.D));
      T dout = oc.ndim == 2 ? kpt::rand_f32({nnz, oc.H}, seed++) : kpt::rand_f32({nnz}, seed++);
      T da = kpt::rand_f32({gc.nrows, F}, seed++), db = kpt::rand_f32({gc.ncols, F}, seed++);
      T doutg = dout.to(gpu0());
      auto gda = guard(da), gdb = guard(db);
      KP_ASSERT_OK(kp_sddmm_bwd(&da, &db, &dout, &cg.g, &a, &b));
      KP_ASSERT_OK(kp_sddmm_bwd(&gda->t, &gdb->t, &doutg, &gg.g, &ag, &bg));
      KP_GPU_SYNC();
      KP_EXPECT_GPU_MATCH(*gda, da.vec(), 1e-5, 1e-6 * (4 + gc.maxdeg));
      KP_EXPECT_GPU_MATCH(*gdb, db.vec(), 1e-5, 1e-6 * (4 + gc.maxdeg));
      /* either gradient may be NULL */
      auto gda2 = guard(da);
      KP_ASSERT_OK(kp_sddmm_bwd(&gda2->t, nullptr, &doutg, &gg.g, &ag, &bg));
      KP_ASSERT_OK(kp_sddmm_bwd(nullptr, nullptr, &doutg, &gg.g, &ag, &bg));
      KP_GPU_SYNC();
      EXPECT_TRUE(gda2->guards_intact()) << what;
    }
  }
}

TEST(GpuOp, edge_softmax) {
  KP_REQUIRE_GPU();
  uint32_t seed = 300;
  for (const GraphCase &gc : kGraphs) {
    HostGraph h = rand_graph(gc.nrows, gc.ncols, gc.maxdeg, seed++);
    Csr cg(h, kp_cpu()), gg(h, gpu0());
    for (int64_t H : {0, 1, 3, 8}) { /* 0: a 1-D [nnz] tensor */
      const int64_t nnz = h.nnz();
      std::vector<int64_t> es = H ? std::vector<int64_t>{nnz, H} : std::vector<int64_t>{nnz};
      std::string what = gname(gc, h) + " H=" + std::to_string(H);
      /* wide scores: exp would overflow without the max shift */
      T s = kpt::rand_f32(es, seed++, -60.f, 60.f), out = kpt::rand_f32(es, seed++);
      T sg = s.to(gpu0());
      auto gout = guard(out);
      KP_ASSERT_OK(kp_edge_softmax_fwd(&out, &cg.g, &s));
      KP_ASSERT_OK(kp_edge_softmax_fwd(&gout->t, &gg.g, &sg));
      KP_GPU_SYNC();
      KP_EXPECT_GPU_MATCH(*gout, out.vec(), 1e-5, 1e-7);
      /* in place (out aliases scores), as the CPU allows */
      auto ginp = guard(s);
      KP_ASSERT_OK(kp_edge_softmax_fwd(&ginp->t, &gg.g, &ginp->t));
      KP_GPU_SYNC();
      KP_EXPECT_GPU_MATCH(*ginp, out.vec(), 1e-5, 1e-7);
      T dout = kpt::rand_f32(es, seed++), ds = kpt::rand_f32(es, seed++);
      T doutg = dout.to(gpu0()), outg = out.to(gpu0());
      auto gds = guard(ds);
      KP_ASSERT_OK(kp_edge_softmax_bwd(&ds, &dout, &cg.g, &out));
      KP_ASSERT_OK(kp_edge_softmax_bwd(&gds->t, &doutg, &gg.g, &outg));
      KP_GPU_SYNC();
      KP_EXPECT_GPU_MATCH(*gds, ds.vec(), 1e-5, 1e-6);
    }
  }
}
