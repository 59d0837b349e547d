// Neighbour sampling: sampled edges exist, fan-outs are min(fanout, in-degree) without duplicates,
// seeds come first in batch order and new nodes in order of discovery, -1 gives the exact k-hop
// in-neighbourhood, draws are uniform over neighbours and over k-subsets, results depend only on
// (seed, stream), buffers are reused safely, and bad arguments give messages.
#include <map>
#include <set>
#include "kprca/sampler.h"
#include "testutil.h"

namespace {
struct Csr {
  int64_t n = 0;
  std::vector<int32_t> indptr{0}, indices;
  void add_row(const std::vector<int32_t> &srcs) {
    indices.insert(indices.end(), srcs.begin(), srcs.end());
    indptr.push_back((int32_t)indices.size());
    n++;
  }
};

/* n nodes, in-degree uniform in [0, max_deg], distinct sources per row (self loops allowed). */
Csr random_graph(int64_t n, int max_deg, uint32_t seed) {
  std::mt19937 g(seed);
  Csr c;
  std::vector<int32_t> all(n);
  std::iota(all.begin(), all.end(), 0);
  for (int64_t i = 0; i < n; i++) {
    int d = (int)(g() % (uint32_t)(max_deg + 1));
    std::shuffle(all.begin(), all.end(), g);
    c.add_row(std::vector<int32_t>(all.begin(), all.begin() + d));
  }
  return c;
}

struct Sampler {
  kp_sampler s{};
  kp_subgraph g{};
  Sampler(const Csr &c, std::vector<int64_t> f) {
    if (kp_sampler_init(&s, c.n, c.indptr.data(), c.indices.data(), f.data(), (int)f.size()) != KP_OK)
      throw std::runtime_error(kp_last_error());
  }
  ~Sampler() {
    kp_sampler_free(&s);
    kp_subgraph_free(&g);
  }
  kp_status run(const std::vector<int32_t> &seeds, uint64_t seed, uint64_t stream) {
    return kp_sampler_sample(&s, seeds.data(), (int64_t)seeds.size(), seed, stream, &g);
  }
};

struct Flat { /* a subgraph's contents, for comparisons */
  std::vector<int32_t> n_id, indptr, indices, e_id;
  std::vector<int64_t> hop_ptr;
  bool operator==(const Flat &o) const {
    return n_id == o.n_id && indptr == o.indptr && indices == o.indices && e_id == o.e_id && hop_ptr == o.hop_ptr;
  }
};
Flat flat(const kp_subgraph &g) {
  Flat f;
  f.n_id.assign(g.n_id, g.n_id + g.num_nodes);
  f.indptr.assign(g.indptr, g.indptr + g.num_nodes + 1);
  f.indices.assign(g.indices, g.indices + g.num_edges);
  f.e_id.assign(g.e_id, g.e_id + g.num_edges);
  f.hop_ptr.assign(g.hop_ptr, g.hop_ptr + g.num_hops + 2);
  return f;
}

std::vector<int32_t> distinct_seeds(int64_t n, int k, uint32_t seed) {
  std::vector<int32_t> v(n);
  std::iota(v.begin(), v.end(), 0);
  std::mt19937 g(seed);
  std::shuffle(v.begin(), v.end(), g);
  v.resize(k);
  return v;
}

/* Every structural property of a sample of c with fan-outs f from seeds. */
void check_subgraph(const Csr &c, const std::vector<int64_t> &f, const std::vector<int32_t> &seeds,
                    const kp_subgraph &g) {
  const int L = (int)f.size();
  ASSERT_EQ(g.num_seeds, (int64_t)seeds.size());
  ASSERT_EQ(g.num_hops, L);
  for (size_t i = 0; i < seeds.size(); i++) ASSERT_EQ(g.n_id[i], seeds[i]) << "seed " << i;
  std::set<int32_t> ids(g.n_id, g.n_id + g.num_nodes);
  ASSERT_EQ((int64_t)ids.size(), g.num_nodes) << "n_id has repeats";
  ASSERT_EQ(g.hop_ptr[0], 0);
  ASSERT_EQ(g.hop_ptr[1], g.num_seeds);
  ASSERT_EQ(g.hop_ptr[L + 1], g.num_nodes);
  ASSERT_EQ(g.indptr[0], 0);
  ASSERT_EQ(g.indptr[g.num_nodes], g.num_edges);
  int64_t discovered = g.num_seeds;
  for (int h = 0; h <= L; h++) {
    for (int64_t t = g.hop_ptr[h]; t < g.hop_ptr[h + 1]; t++) {
      int32_t v = g.n_id[t];
      int64_t deg = c.indptr[v + 1] - c.indptr[v];
      int64_t want = h == L ? 0 : (f[h] < 0 || f[h] >= deg) ? deg : f[h];
      ASSERT_EQ(g.indptr[t + 1] - g.indptr[t], want) << "row " << t << " (node " << v << ", hop " << h << ")";
      std::set<int32_t> srcs;
      for (int32_t e = g.indptr[t]; e < g.indptr[t + 1]; e++) {
        int32_t p = g.e_id[e], l = g.indices[e];
        ASSERT_GE(p, c.indptr[v]) << "edge " << e << " is not an edge into node " << v;
        ASSERT_LT(p, c.indptr[v + 1]) << "edge " << e << " is not an edge into node " << v;
        if (e > g.indptr[t]) ASSERT_GT(p, g.e_id[e - 1]) << "row " << t << " not in CSR order";
        ASSERT_GE(l, 0);
        ASSERT_LT(l, g.num_nodes);
        ASSERT_EQ(g.n_id[l], c.indices[p]) << "edge " << e << ": source does not match the original edge";
        ASSERT_TRUE(srcs.insert(l).second) << "row " << t << " repeats source " << l;
        if (l >= discovered) { /* first appearance: must be the next node in discovery order, of hop h+1 */
          ASSERT_EQ(l, discovered) << "edge " << e;
          ASSERT_GE(l, g.hop_ptr[h + 1]);
          ASSERT_LT(l, g.hop_ptr[h + 2]);
          discovered++;
        }
      }
    }
  }
  ASSERT_EQ(discovered, g.num_nodes) << "nodes never reached by an edge";
}
}  // namespace

TEST(Sampler, HandWorkedFullNeighbourhood) {
  // row i = sources into i; expected result worked by hand following PyG's order.
  Csr c;
  for (auto r : std::vector<std::vector<int32_t>>{{1, 2}, {2, 3}, {0}, {4}, {}, {0}}) c.add_row(r);
  Sampler s(c, {-1, -1});
  KP_ASSERT_OK(s.run({3, 0}, 1, 0));
  Flat f = flat(s.g);
  EXPECT_EQ(f.n_id, (std::vector<int32_t>{3, 0, 4, 1, 2}));
  EXPECT_EQ(f.indptr, (std::vector<int32_t>{0, 1, 3, 3, 5, 6}));
  EXPECT_EQ(f.indices, (std::vector<int32_t>{2, 3, 4, 4, 0, 1}));
  EXPECT_EQ(f.e_id, (std::vector<int32_t>{5, 0, 1, 2, 3, 4}));
  EXPECT_EQ(f.hop_ptr, (std::vector<int64_t>{0, 2, 5, 5}));
}

TEST(Sampler, RandomGraphsKeepEveryProperty) {
  for (uint32_t gs = 1; gs <= 4; gs++) {
    Csr c = random_graph(400, 30, gs);
    for (auto f : std::vector<std::vector<int64_t>>{{5, 3}, {10}, {25, 10, 2}, {0, 4}, {3, -1}, {40, 40}}) {
      Sampler s(c, f);
      for (uint64_t stream = 0; stream < 5; stream++) {
        auto seeds = distinct_seeds(c.n, 1 + (int)(stream * 13 % 60), gs * 100 + (uint32_t)stream);
        KP_ASSERT_OK(s.run(seeds, 42, stream));
        SCOPED_TRACE("graph " + std::to_string(gs) + " stream " + std::to_string(stream));
        check_subgraph(c, f, seeds, s.g);
        if (HasFatalFailure()) return;
      }
    }
  }
}

TEST(Sampler, LargeFanoutsUseMarks) {
  // fan-outs above 32 take the marked-bytes path of Floyd's algorithm
  Csr c = random_graph(300, 120, 11);
  std::vector<int64_t> f{50, 33};
  Sampler s(c, f);
  for (uint64_t stream = 0; stream < 4; stream++) {
    auto seeds = distinct_seeds(c.n, 20, 7 + (uint32_t)stream);
    KP_ASSERT_OK(s.run(seeds, 3, stream));
    check_subgraph(c, f, seeds, s.g);
    if (HasFatalFailure()) return;
  }
}

TEST(Sampler, AllGivesExactKHopInNeighbourhood) {
  Csr c = random_graph(300, 4, 9);
  auto seeds = distinct_seeds(c.n, 5, 3);
  for (int L = 1; L <= 3; L++) {
    std::vector<int64_t> f(L, KP_SAMPLER_ALL);
    Sampler s(c, f);
    KP_ASSERT_OK(s.run(seeds, 7, 0));
    check_subgraph(c, f, seeds, s.g);
    // reference: breadth-first over incoming edges, L levels
    std::set<int32_t> reach(seeds.begin(), seeds.end());
    std::vector<int32_t> frontier = seeds;
    int64_t edges = 0;
    for (int h = 0; h < L; h++) {
      std::vector<int32_t> next;
      for (int32_t v : frontier) {
        edges += c.indptr[v + 1] - c.indptr[v];
        for (int32_t p = c.indptr[v]; p < c.indptr[v + 1]; p++)
          if (reach.insert(c.indices[p]).second) next.push_back(c.indices[p]);
      }
      frontier = next;
    }
    std::set<int32_t> got(s.g.n_id, s.g.n_id + s.g.num_nodes);
    EXPECT_EQ(got, reach) << L << " hops";
    EXPECT_EQ(s.g.num_edges, edges) << L << " hops";
  }
}

TEST(Sampler, SameSeedSameResultOtherwiseDifferent) {
  Csr c = random_graph(500, 25, 5);
  std::vector<int64_t> f{5, 5};
  auto seeds = distinct_seeds(c.n, 50, 1);
  Sampler a(c, f), b(c, f);
  KP_ASSERT_OK(a.run(seeds, 42, 3));
  Flat first = flat(a.g);
  // b's buffers first hold a bigger batch, then a smaller one: reuse must not leak into the result
  KP_ASSERT_OK(b.run(distinct_seeds(c.n, 300, 2), 1, 1));
  KP_ASSERT_OK(b.run(distinct_seeds(c.n, 2, 3), 1, 2));
  KP_ASSERT_OK(b.run(seeds, 42, 3));
  EXPECT_TRUE(flat(b.g) == first);
  KP_ASSERT_OK(a.run(seeds, 42, 3));
  EXPECT_TRUE(flat(a.g) == first);
  KP_ASSERT_OK(a.run(seeds, 43, 3));
  EXPECT_FALSE(flat(a.g) == first) << "another seed gave the same subgraph";
  KP_ASSERT_OK(a.run(seeds, 42, 4));
  EXPECT_FALSE(flat(a.g) == first) << "another stream gave the same subgraph";
  KP_ASSERT_OK(a.run(seeds, 42 + (1ull << 32), 3));
  EXPECT_FALSE(flat(a.g) == first) << "the seed's high word is ignored";
  KP_ASSERT_OK(a.run(seeds, 42, 3 + (1ull << 32)));
  EXPECT_FALSE(flat(a.g) == first) << "the stream's high word is ignored";
}

TEST(Sampler, GoldenDraws) {
  // Pins the documented Philox stream: a change to the draws changes every experiment's batches.
  Csr c;
  std::vector<int32_t> row(20);
  std::iota(row.begin(), row.end(), 1);
  c.add_row(row);
  for (int i = 0; i < 20; i++) c.add_row({});
  Sampler s(c, {4});
  KP_ASSERT_OK(s.run({0}, 12345, 6789));
  std::vector<int32_t> got(s.g.n_id + 1, s.g.n_id + s.g.num_nodes);
  // computed independently below from the documented counter layout with Floyd's algorithm
  std::vector<int32_t> want;
  {
    uint32_t k0 = 12345u, k1 = 0u ^ 0x53414D50u;
    uint32_t j = 0;
    auto u32 = [&]() {
      kp_u32x4 ctr{{j / 4, 0u, 6789u, 0u}};
      uint32_t w = kp_philox4x32_10(ctr, k0, k1).v[j % 4];
      j++;
      return w;
    };
    auto below = [&](uint32_t n) {
      for (;;) {
        uint64_t m = (uint64_t)u32() * n;
        if ((uint32_t)m >= (uint32_t)(-n) % n) return (int32_t)(m >> 32);
      }
    };
    std::set<int32_t> chosen;
    for (int32_t i = 16; i < 20; i++) {
      int32_t r = below((uint32_t)i + 1);
      if (!chosen.insert(r).second) chosen.insert(r = i);
    }
    for (int32_t r : chosen) want.push_back(r + 1);
  }
  EXPECT_EQ(got, want);
}

TEST(Sampler, UniformOverNeighboursAndSubsets) {
  // node 0 has in-degree 20 (sources 1..20); fan-out 5; 4000 batches
  Csr c;
  std::vector<int32_t> row(20);
  std::iota(row.begin(), row.end(), 1);
  c.add_row(row);
  for (int i = 0; i < 20; i++) c.add_row({});
  {
    Sampler s(c, {5});
    std::vector<double> cnt(20, 0);
    const int draws = 4000;
    for (int b = 0; b < draws; b++) {
      KP_ASSERT_OK(s.run({0}, 2024, (uint64_t)b));
      ASSERT_EQ(s.g.num_edges, 5);
      for (int64_t e = 0; e < s.g.num_edges; e++) cnt[s.g.e_id[e]]++;
    }
    double expect = draws * 5.0 / 20.0, chi2 = 0;
    for (double x : cnt) chi2 += (x - expect) * (x - expect) / expect;
    EXPECT_LT(chi2, 60.0) << "19 degrees of freedom; P(chi2 > 60) ~ 4e-6";
  }
  {
    // the marked path: 40 of 80 neighbours, 2000 batches
    Csr d;
    std::vector<int32_t> r(80);
    std::iota(r.begin(), r.end(), 1);
    d.add_row(r);
    for (int i = 0; i < 80; i++) d.add_row({});
    Sampler s(d, {40});
    std::vector<double> cnt(80, 0);
    const int draws = 2000;
    for (int b = 0; b < draws; b++) {
      KP_ASSERT_OK(s.run({0}, 5, (uint64_t)b));
      ASSERT_EQ(s.g.num_edges, 40);
      for (int64_t e = 0; e < s.g.num_edges; e++) cnt[s.g.e_id[e]]++;
    }
    double expect = draws * 40.0 / 80.0, chi2 = 0;
    for (double x : cnt) chi2 += (x - expect) * (x - expect) / expect;
    EXPECT_LT(chi2, 140.0) << "79 degrees of freedom; P(chi2 > 140) ~ 1e-5";
  }
  {
    // every 3-subset of 6 neighbours is equally likely (20 subsets, 6000 draws)
    Csr d;
    d.add_row({1, 2, 3, 4, 5, 6});
    for (int i = 0; i < 6; i++) d.add_row({});
    Sampler s(d, {3});
    std::map<std::vector<int32_t>, double> cnt;
    const int draws = 6000;
    for (int b = 0; b < draws; b++) {
      KP_ASSERT_OK(s.run({0}, 99, (uint64_t)b));
      cnt[std::vector<int32_t>(s.g.e_id, s.g.e_id + 3)]++;
    }
    ASSERT_EQ(cnt.size(), 20u);
    double expect = draws / 20.0, chi2 = 0;
    for (auto &[k, x] : cnt) chi2 += (x - expect) * (x - expect) / expect;
    EXPECT_LT(chi2, 60.0);
  }
}

TEST(Sampler, ZeroDegreeSeedsAndZeroFanout) {
  Csr c;
  c.add_row({});
  c.add_row({0});
  c.add_row({});
  Sampler s(c, {3, 3});
  KP_ASSERT_OK(s.run({2, 0}, 1, 0));
  EXPECT_EQ(s.g.num_nodes, 2);
  EXPECT_EQ(s.g.num_edges, 0);
  EXPECT_EQ(flat(s.g).indptr, (std::vector<int32_t>{0, 0, 0}));
  EXPECT_EQ(flat(s.g).hop_ptr, (std::vector<int64_t>{0, 2, 2, 2}));
  Sampler z(c, {0});
  KP_ASSERT_OK(z.run({1}, 1, 0));
  EXPECT_EQ(z.g.num_nodes, 1);
  EXPECT_EQ(z.g.num_edges, 0);
}

TEST(Sampler, SelfLoopsAndMultiEdges) {
  Csr c;
  c.add_row({0, 1, 1, 1}); /* self loop and a triple edge */
  c.add_row({});
  Sampler s(c, {3});
  for (uint64_t st = 0; st < 20; st++) {
    KP_ASSERT_OK(s.run({0}, 5, st));
    ASSERT_EQ(s.g.num_edges, 3);
    std::set<int32_t> eids(s.g.e_id, s.g.e_id + 3);
    EXPECT_EQ(eids.size(), 3u) << "an edge position drawn twice";
    EXPECT_LE(s.g.num_nodes, 2);
    for (int64_t e = 0; e < 3; e++) EXPECT_EQ(s.g.n_id[s.g.indices[e]], c.indices[s.g.e_id[e]]);
  }
}

TEST(Sampler, DuplicateSeedsAreAnErrorAndLeaveTheSamplerClean) {
  Csr c = random_graph(50, 6, 2);
  Sampler s(c, {2, 2});
  EXPECT_EQ(s.run({4, 7, 9, 7}, 1, 0), KP_ERR_INVALID);
  EXPECT_NE(std::string(kp_last_error()).find("seeds[3] repeats seeds[1] (node 7)"), std::string::npos)
      << kp_last_error();
  KP_ASSERT_OK(s.run({4, 7, 9}, 1, 0));
  Flat after = flat(s.g);
  Sampler fresh(c, {2, 2});
  KP_ASSERT_OK(fresh.run({4, 7, 9}, 1, 0));
  EXPECT_TRUE(after == flat(fresh.g));
}

TEST(Sampler, BadArguments) {
  Csr c = random_graph(10, 3, 1);
  kp_sampler s{};
  auto init_err = [&](int64_t n, const int32_t *ip, const int32_t *ix, std::vector<int64_t> f, int L) {
    kp_status st = kp_sampler_init(&s, n, ip, ix, f.data(), L);
    kp_sampler_free(&s);
    return st == KP_OK ? std::string("OK") : std::string(kp_last_error());
  };
  auto has = [](const std::string &m, const char *w) { return m.find(w) != std::string::npos; };
  EXPECT_TRUE(has(init_err(c.n, c.indptr.data(), c.indices.data(), {-2}, 1), "fanouts[0] is -2")) << kp_last_error();
  EXPECT_TRUE(has(init_err(c.n, c.indptr.data(), c.indices.data(), {1}, 0), "0 layers"));
  EXPECT_TRUE(has(init_err(c.n, c.indptr.data(), c.indices.data(), std::vector<int64_t>(17, 1), 17), "17 layers"));
  EXPECT_TRUE(has(init_err(c.n, nullptr, c.indices.data(), {1}, 1), "indptr is NULL"));
  EXPECT_TRUE(has(init_err(-1, c.indptr.data(), c.indices.data(), {1}, 1), "-1 nodes"));
  auto ip = c.indptr;
  ip[0] = 1;
  EXPECT_TRUE(has(init_err(c.n, ip.data(), c.indices.data(), {1}, 1), "indptr[0] is 1"));
  ip = c.indptr;
  ip[5] = ip[4] - 1;
  EXPECT_TRUE(has(init_err(c.n, ip.data(), c.indices.data(), {1}, 1), "indptr decreases at row"));
  auto ix = c.indices;
  ASSERT_FALSE(ix.empty());
  ix.back() = 10;
  EXPECT_TRUE(has(init_err(c.n, c.indptr.data(), ix.data(), {1}, 1), "outside [0, 10)"));

  Sampler ok(c, {2});
  EXPECT_EQ(ok.run({3, 10}, 1, 0), KP_ERR_INVALID);
  EXPECT_TRUE(has(kp_last_error(), "seeds[1] is 10, outside [0, 10)")) << kp_last_error();
  EXPECT_EQ(ok.run({-1}, 1, 0), KP_ERR_INVALID);
  EXPECT_EQ(kp_sampler_sample(&ok.s, nullptr, 0, 1, 0, &ok.g), KP_ERR_INVALID);
  EXPECT_TRUE(has(kp_last_error(), "0 seeds")) << kp_last_error();
  kp_sampler blank{};
  int32_t one = 0;
  EXPECT_EQ(kp_sampler_sample(&blank, &one, 1, 1, 0, &ok.g), KP_ERR_INVALID);
  EXPECT_TRUE(has(kp_last_error(), "not initialised"));
}

TEST(Sampler, EpochOrderAndBatches) {
  std::vector<int8_t> mask{0, 1, 1, 0, 1, 0, 0, 1, 1, 1, 0, 1};
  std::vector<int32_t> nodes(mask.size());
  int64_t n = -1;
  kp_sampler_mask_nodes(mask.data(), (int64_t)mask.size(), nodes.data(), &n);
  ASSERT_EQ(n, 7);
  nodes.resize(n);
  EXPECT_EQ(nodes, (std::vector<int32_t>{1, 2, 4, 7, 8, 9, 11}));
  std::vector<int32_t> a(n), b(n), c(n);
  KP_ASSERT_OK(kp_sampler_epoch_order(nodes.data(), n, true, 3, 0, a.data()));
  KP_ASSERT_OK(kp_sampler_epoch_order(nodes.data(), n, true, 3, 0, b.data()));
  EXPECT_EQ(a, b);
  EXPECT_TRUE(std::is_permutation(a.begin(), a.end(), nodes.begin()));
  KP_ASSERT_OK(kp_sampler_epoch_order(nodes.data(), n, false, 3, 0, c.data()));
  EXPECT_EQ(c, nodes);
  int differ = 0;
  for (uint64_t ep = 1; ep < 6; ep++) {
    KP_ASSERT_OK(kp_sampler_epoch_order(nodes.data(), n, true, 3, ep, b.data()));
    EXPECT_TRUE(std::is_permutation(b.begin(), b.end(), nodes.begin()));
    differ += b != a;
  }
  EXPECT_GE(differ, 4) << "epochs reuse one order";
  c = nodes; /* in place */
  KP_ASSERT_OK(kp_sampler_epoch_order(c.data(), n, true, 3, 0, c.data()));
  EXPECT_EQ(c, a);
  EXPECT_EQ(kp_sampler_num_batches(7, 3, false), 3);
  EXPECT_EQ(kp_sampler_num_batches(7, 3, true), 2);
  EXPECT_EQ(kp_sampler_num_batches(6, 3, false), 2);
  EXPECT_EQ(kp_sampler_num_batches(0, 3, false), 0);
  EXPECT_EQ(kp_sampler_epoch_order(nodes.data(), n, true, 3, 1ull << 24, b.data()), KP_ERR_INVALID);
}
