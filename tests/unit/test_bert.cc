// BERT model against a double-precision reference written here from BertForSequenceClassification's
// definition (embeddings, post-LN layers with masked multi-head attention and exact GELU, tanh pooler,
// classifier, weighted cross-entropy with an ignored label, dropout masks regenerated from Philox):
// forward values, every parameter gradient vs central finite differences (with and without dropout),
// accumulation, determinism of dropout, arena reuse across batch shapes, embeddings, and errors.
#include <map>
#include "kprca/bert.h"
#include "testutil.h"

using namespace kpt;
using Vec = std::vector<double>;
using PMap = std::map<std::string, Vec>;

namespace {

kp_bert_config tiny_config() {
  kp_bert_config c;
  kp_bert_config_defaults(&c);
  c.vocab_size = 20;
  c.hidden_size = 8;
  c.num_hidden_layers = 2;
  c.num_attention_heads = 2;
  c.intermediate_size = 16;
  c.max_position_embeddings = 16;
  c.type_vocab_size = 2;
  c.num_labels = 3;
  c.layer_norm_eps = 1e-5f;
  return c;
}

struct Input {
  int64_t B = 3, T = 5;
  std::vector<int32_t> ids{2, 7, 7, 11, 3, 2, 19, 3, 0, 0, 2, 0, 0, 0, 0};
  std::vector<int32_t> mask{1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 1, 0, 0, 0, 0};
  std::vector<int32_t> types{0, 0, 0, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
  std::vector<int32_t> labels{2, KP_BERT_IGNORE, 0};
  std::vector<double> weights{0.5, 2.0, 1.25};
  kp_bert_batch batch() const { return {B, T, ids.data(), mask.data(), types.data()}; }
};

/* Dropout probabilities and the Philox stream the reference replays. */
struct Drop {
  double ph = 0, pa = 0, pc = 0;
  uint64_t seed = 0, off = 0;
  Vec apply(Vec x, double p) {
    if (p <= 0) return x;
    for (size_t i = 0; i < x.size(); i++) x[i] = kp_philox_uniform(seed, off, i) >= (float)p ? x[i] / (1 - p) : 0.0;
    off += kp_philox_blocks(x.size());
    return x;
  }
};

const Vec &P(const PMap &p, const std::string &n) { return p.at(n); }
std::string lname(int l, const char *rest) { return "encoder.layer." + std::to_string(l) + "." + rest; }

/* y [n, out] = x [n, in] W^T + b */
Vec lin(const Vec &x, const Vec &W, const Vec &b, int n, int in, int out) {
  Vec y((size_t)n * out);
  for (int r = 0; r < n; r++)
    for (int o = 0; o < out; o++) {
      double s = b[o];
      for (int k = 0; k < in; k++) s += x[r * in + k] * W[o * in + k];
      y[r * out + o] = s;
    }
  return y;
}

Vec layernorm(const Vec &x, const Vec &g, const Vec &b, int n, int C, double eps) {
  Vec y(x.size());
  for (int r = 0; r < n; r++) {
    double mu = 0, var = 0;
    for (int c = 0; c < C; c++) mu += x[r * C + c] / C;
    for (int c = 0; c < C; c++) var += (x[r * C + c] - mu) * (x[r * C + c] - mu) / C;
    for (int c = 0; c < C; c++) y[r * C + c] = (x[r * C + c] - mu) / std::sqrt(var + eps) * g[c] + b[c];
  }
  return y;
}

struct RefOut {
  Vec hidden, pooled, logits;
  double loss = 0;
};

RefOut reference(const kp_bert_config &c, const PMap &p, const Input &in, Drop d) {
  const int B = (int)in.B, T = (int)in.T, N = B * T, H = c.hidden_size, nh = c.num_attention_heads, dh = H / nh;
  const int I = c.intermediate_size, C = c.num_labels;
  const double eps = c.layer_norm_eps;
  Vec x((size_t)N * H);
  for (int n = 0; n < N; n++)
    for (int h = 0; h < H; h++)
      x[n * H + h] = P(p, "embeddings.word_embeddings.weight")[in.ids[n] * H + h] +
                     P(p, "embeddings.token_type_embeddings.weight")[in.types[n] * H + h] +
                     P(p, "embeddings.position_embeddings.weight")[(n % T) * H + h];
  x = layernorm(x, P(p, "embeddings.LayerNorm.weight"), P(p, "embeddings.LayerNorm.bias"), N, H, eps);
  x = d.apply(x, d.ph);
  for (int l = 0; l < c.num_hidden_layers; l++) {
    auto W = [&](const char *r) { return P(p, lname(l, r)); };
    Vec q = lin(x, W("attention.self.query.weight"), W("attention.self.query.bias"), N, H, H);
    Vec k = lin(x, W("attention.self.key.weight"), W("attention.self.key.bias"), N, H, H);
    Vec v = lin(x, W("attention.self.value.weight"), W("attention.self.value.bias"), N, H, H);
    Vec probs((size_t)B * nh * T * T, 0.0);
    for (int b = 0; b < B; b++)
      for (int h = 0; h < nh; h++)
        for (int i = 0; i < T; i++) {
          double *row = &probs[(((size_t)b * nh + h) * T + i) * T], mx = -1e300, sum = 0;
          for (int j = 0; j < T; j++) {
            if (!in.mask[b * T + j]) continue;
            double s = 0;
            for (int e = 0; e < dh; e++) s += q[(b * T + i) * H + h * dh + e] * k[(b * T + j) * H + h * dh + e];
            row[j] = s / std::sqrt((double)dh);
            mx = std::max(mx, row[j]);
          }
          for (int j = 0; j < T; j++) sum += row[j] = in.mask[b * T + j] ? std::exp(row[j] - mx) : 0.0;
          for (int j = 0; j < T; j++) row[j] /= sum;
        }
    probs = d.apply(probs, d.pa);
    Vec ctx((size_t)N * H, 0.0);
    for (int b = 0; b < B; b++)
      for (int h = 0; h < nh; h++)
        for (int i = 0; i < T; i++)
          for (int j = 0; j < T; j++)
            for (int e = 0; e < dh; e++)
              ctx[(b * T + i) * H + h * dh + e] +=
                  probs[(((size_t)b * nh + h) * T + i) * T + j] * v[(b * T + j) * H + h * dh + e];
    Vec a = d.apply(lin(ctx, W("attention.output.dense.weight"), W("attention.output.dense.bias"), N, H, H), d.ph);
    for (size_t i = 0; i < a.size(); i++) a[i] += x[i];
    Vec ln1 = layernorm(a, W("attention.output.LayerNorm.weight"), W("attention.output.LayerNorm.bias"), N, H, eps);
    Vec it = lin(ln1, W("intermediate.dense.weight"), W("intermediate.dense.bias"), N, H, I);
    for (double &z : it) z = act_ref(KP_ACT_GELU, z, 0);
    Vec o = d.apply(lin(it, W("output.dense.weight"), W("output.dense.bias"), N, I, H), d.ph);
    for (size_t i = 0; i < o.size(); i++) o[i] += ln1[i];
    x = layernorm(o, W("output.LayerNorm.weight"), W("output.LayerNorm.bias"), N, H, eps);
  }
  RefOut r;
  r.hidden = x;
  Vec cls((size_t)B * H);
  for (int b = 0; b < B; b++)
    for (int h = 0; h < H; h++) cls[b * H + h] = x[(b * T) * H + h];
  r.pooled = lin(cls, P(p, "pooler.dense.weight"), P(p, "pooler.dense.bias"), B, H, H);
  for (double &z : r.pooled) z = std::tanh(z);
  r.logits = lin(d.apply(r.pooled, d.pc), P(p, "classifier.weight"), P(p, "classifier.bias"), B, H, C);
  double num = 0, den = 0;
  for (int b = 0; b < B; b++) {
    int y = in.labels[b];
    if (y == KP_BERT_IGNORE) continue;
    double mx = -1e300, s = 0;
    for (int j = 0; j < C; j++) mx = std::max(mx, r.logits[b * C + j]);
    for (int j = 0; j < C; j++) s += std::exp(r.logits[b * C + j] - mx);
    num += in.weights[y] * (std::log(s) + mx - r.logits[b * C + y]);
    den += in.weights[y];
  }
  r.loss = num / den;
  return r;
}

/* A tiny model with every parameter drawn at random (biases non-zero, LayerNorm weights near 1). */
struct Model {
  kp_bert_config cfg = tiny_config();
  kp_bert m{};
  PMap p;
  explicit Model(uint32_t seed = 5) {
    if (kp_bert_init(&m, &cfg, KP_BERT_POOLER | KP_BERT_CLASSIFIER, kp_cpu()) != KP_OK)
      throw std::runtime_error(kp_last_error());
    for (int i = 0; i < m.params.count; i++) {
      const kp_param &e = m.params.items[i];
      std::string n = e.name;
      bool ln = has(n, "LayerNorm.weight"), bias = has(n, "bias") || has(n, "LayerNorm");
      Vec v = rand_d((size_t)e.numel, seed + (uint32_t)i, bias ? -0.2 : -0.5, bias ? 0.2 : 0.5);
      if (ln)
        for (double &z : v) z += 1.0;
      std::vector<float> f(v.begin(), v.end());
      p[n] = dvec(f);
      if (kp_params_set(&m.params, i, f.data(), e.numel) != KP_OK) throw std::runtime_error(kp_last_error());
    }
  }
  ~Model() { kp_bert_free(&m); }
  void dropouts(float h, float a, float c) {
    m.hidden_dropout = h;
    m.attn_dropout = a;
    m.classifier_dropout = c;
  }
  std::vector<float> grad(int i) const {
    std::vector<float> v((size_t)m.params.items[i].numel);
    kp_params_get(&m.params, i, true, v.data(), (int64_t)v.size());
    return v;
  }
  std::vector<float> all_grads() const {
    std::vector<float> v((size_t)m.params.total);
    kp_tensor h = kp_tensor_wrap(v.data(), KP_F32, kp_cpu(), 1, &m.params.total);
    kp_tensor_copy(&h, &m.params.grad);
    return v;
  }
};

std::vector<float> host(const kp_tensor *t) {
  std::vector<float> v((size_t)kp_tensor_numel(t));
  kp_tensor h = kp_tensor_wrap(v.data(), KP_F32, kp_cpu(), t->ndim, t->shape);
  kp_tensor_copy(&h, t);
  return v;
}

/* Forward + loss + backward (zeroed gradients first) of the model on in; returns the loss. */
float step(Model &M, const Input &in, bool training = true) {
  kp_bert_batch b = in.batch();
  T w = T::f32({3}, std::vector<float>(in.weights.begin(), in.weights.end()));
  float loss = 0;
  EXPECT_EQ(kp_bert_forward(&M.m, &b, training), KP_OK) << kp_last_error();
  EXPECT_EQ(kp_bert_loss(&M.m, in.labels.data(), &w, &loss), KP_OK) << kp_last_error();
  if (training) {
    EXPECT_EQ(kp_params_zero_grad(&M.m.params), KP_OK);
    EXPECT_EQ(kp_bert_backward(&M.m, &w), KP_OK) << kp_last_error();
  }
  return loss;
}

/* Every parameter gradient against central differences of the reference loss (sampled coordinates). */
void check_all_grads(Model &M, const Input &in, const Drop &d) {
  for (int i = 0; i < M.m.params.count; i++) {
    std::string n = M.m.params.items[i].name;
    SCOPED_TRACE(n);
    PMap q = M.p;
    FD fd = fd_sampled(M.p.at(n), [&](const Vec &v) {
      q[n] = v;
      return reference(M.cfg, q, in, d).loss;
    }, 24);
    auto g = M.grad(i);
    std::vector<float> sel;
    for (size_t k : fd.at) sel.push_back(g[k]);
    KP_EXPECT_CLOSE(sel, fd.g, 2e-3, 2e-5);
  }
}

}  // namespace

TEST(Bert, ForwardMatchesReference) {
  Model M;
  M.dropouts(0, 0, 0);
  Input in;
  RefOut r = reference(M.cfg, M.p, in, Drop{});
  float loss = step(M, in);
  KP_EXPECT_CLOSE(host(&M.m.logits), r.logits, 1e-4, 1e-5);
  KP_EXPECT_CLOSE(host(&M.m.layers[1].out), r.hidden, 1e-4, 1e-5);
  KP_EXPECT_CLOSE(std::vector<float>{loss}, Vec{r.loss}, 1e-5, 1e-6);
  /* the inference path (layers share buffers) gives the same logits */
  float loss2 = step(M, in, false);
  KP_EXPECT_CLOSE(host(&M.m.logits), r.logits, 1e-4, 1e-5);
  EXPECT_FLOAT_EQ(loss, loss2);
}

TEST(Bert, GradientsMatchFiniteDifferences) {
  Model M;
  M.dropouts(0, 0, 0);
  Input in;
  step(M, in);
  check_all_grads(M, in, Drop{});
}

TEST(Bert, GradientsWithDropoutMatchFiniteDifferences) {
  Model M;
  M.dropouts(0.2f, 0.15f, 0.25f);
  M.m.drop_seed = 77;
  M.m.drop_offset = 5;
  Input in;
  Drop d{0.2, 0.15, 0.25, 77, 5};
  RefOut r = reference(M.cfg, M.p, in, d);
  float loss = step(M, in);
  KP_EXPECT_CLOSE(host(&M.m.logits), r.logits, 1e-4, 1e-5);
  KP_EXPECT_CLOSE(std::vector<float>{loss}, Vec{r.loss}, 1e-5, 1e-6);
  /* the offset advanced past every mask: embeddings, 3 per layer, classifier */
  uint64_t N = 15, H = 8, att = 3 * 2 * 5 * 5;
  EXPECT_EQ(M.m.drop_offset, 5 + kp_philox_blocks(N * H) + 2 * (kp_philox_blocks(att) + 2 * kp_philox_blocks(N * H)) +
                                 kp_philox_blocks(3 * H));
  check_all_grads(M, in, d);
}

TEST(Bert, BackwardAccumulates) {
  Model M;
  M.dropouts(0.1f, 0.1f, 0.1f);
  Input in;
  step(M, in);
  auto g1 = M.all_grads();
  T w = T::f32({3}, std::vector<float>(in.weights.begin(), in.weights.end()));
  KP_ASSERT_OK(kp_bert_backward(&M.m, &w)); /* same forward, no zeroing: twice the gradient */
  auto g2 = M.all_grads();
  Vec want(g1.size());
  for (size_t i = 0; i < g1.size(); i++) want[i] = 2.0 * g1[i];
  KP_EXPECT_CLOSE(g2, want, 1e-6, 1e-7);
}

TEST(Bert, DropoutIsDeterministicPerSeed) {
  Input in;
  auto run = [&](uint64_t seed, std::vector<float> *logits) {
    Model M;
    M.m.drop_seed = seed;
    step(M, in);
    *logits = host(&M.m.logits);
    return M.all_grads();
  };
  std::vector<float> l1, l2, l3;
  auto g1 = run(9, &l1), g2 = run(9, &l2), g3 = run(10, &l3);
  EXPECT_EQ(l1, l2);
  EXPECT_EQ(g1, g2);
  EXPECT_NE(l1, l3);
  /* the next step draws new masks: same model, second step differs from the first */
  Model M;
  M.m.drop_seed = 9;
  step(M, in);
  auto a = host(&M.m.logits);
  step(M, in);
  EXPECT_NE(a, host(&M.m.logits));
  /* eval mode ignores the dropout probabilities */
  step(M, in, false);
  auto e1 = host(&M.m.logits);
  M.dropouts(0, 0, 0);
  step(M, in, false);
  EXPECT_EQ(e1, host(&M.m.logits));
}

TEST(Bert, ArenaFollowsBatchShapes) {
  Model M;
  M.dropouts(0, 0, 0);
  Input small, big;
  big.B = 2;
  big.T = 9;
  big.ids = {2, 4, 5, 6, 7, 8, 9, 10, 3, 2, 11, 3, 0, 0, 0, 0, 0, 0};
  big.mask = {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0};
  big.types.assign(18, 0);
  big.labels = {1, 2};
  step(M, small);
  auto l1 = host(&M.m.logits);
  auto g1 = M.all_grads();
  float lb = step(M, big); /* grows the arena */
  RefOut rb = reference(M.cfg, M.p, big, Drop{});
  KP_EXPECT_CLOSE(std::vector<float>{lb}, Vec{rb.loss}, 1e-5, 1e-6);
  step(M, small, false);
  step(M, small);
  EXPECT_EQ(l1, host(&M.m.logits));
  EXPECT_EQ(g1, M.all_grads());
}

TEST(Bert, Embeddings) {
  Model M;
  Input in;
  RefOut r = reference(M.cfg, M.p, in, Drop{});
  kp_bert_batch b = in.batch();
  const int H = 8, T = 5;
  std::vector<float> e(3 * H);
  Vec cls(3 * H), mean(3 * H, 0.0), unit(3 * H);
  for (int s = 0; s < 3; s++) {
    int n = 0;
    for (int t = 0; t < T; t++) n += in.mask[s * T + t];
    double ss = 0;
    for (int h = 0; h < H; h++) {
      cls[s * H + h] = r.hidden[s * T * H + h];
      for (int t = 0; t < T; t++)
        if (in.mask[s * T + t]) mean[s * H + h] += r.hidden[(s * T + t) * H + h] / n;
      ss += mean[s * H + h] * mean[s * H + h];
    }
    for (int h = 0; h < H; h++) unit[s * H + h] = mean[s * H + h] / std::sqrt(ss);
  }
  KP_ASSERT_OK(kp_bert_embed(&M.m, &b, KP_BERT_POOL_CLS, false, e.data()));
  KP_EXPECT_CLOSE(e, cls, 1e-4, 1e-5);
  KP_ASSERT_OK(kp_bert_embed(&M.m, &b, KP_BERT_POOL_POOLER, false, e.data()));
  KP_EXPECT_CLOSE(e, r.pooled, 1e-4, 1e-5);
  KP_ASSERT_OK(kp_bert_embed(&M.m, &b, KP_BERT_POOL_MEAN, false, e.data()));
  KP_EXPECT_CLOSE(e, mean, 1e-4, 1e-5);
  KP_ASSERT_OK(kp_bert_embed(&M.m, &b, KP_BERT_POOL_MEAN, true, e.data()));
  KP_EXPECT_CLOSE(e, unit, 1e-4, 1e-5);
}

TEST(Bert, Errors) {
  Model M;
  Input in;
  auto fails = [&](const Input &x, const char *part) {
    kp_bert_batch b = x.batch();
    EXPECT_NE(kp_bert_forward(&M.m, &b, true), KP_OK);
    EXPECT_TRUE(has(kp_last_error(), part)) << kp_last_error();
  };
  Input bad = in;
  bad.ids[7] = 20;
  fails(bad, "input_ids[1][2] = 20 is outside [0, 20)");
  bad = in;
  bad.types[1] = 2;
  fails(bad, "token_type_ids[0][1] = 2");
  bad = in;
  bad.mask[3] = 2;
  fails(bad, "attention_mask[0][3] = 2");
  bad = in;
  bad.mask[10] = 0;
  fails(bad, "attention_mask row 2 has no token");
  bad = in;
  bad.T = 17;
  bad.B = 1;
  bad.ids.assign(17, 1);
  bad.mask.assign(17, 1);
  bad.types.assign(17, 0);
  fails(bad, "length 17 exceeds max_position_embeddings 16");
  kp_bert_batch b = in.batch();
  EXPECT_NE(kp_bert_backward(&M.m, nullptr), KP_OK); /* no loss after a failed forward */
  KP_ASSERT_OK(kp_bert_forward(&M.m, &b, false));
  std::vector<int32_t> lab{0, 3, 1};
  EXPECT_NE(kp_bert_loss(&M.m, lab.data(), nullptr, nullptr), KP_OK);
  EXPECT_TRUE(has(kp_last_error(), "labels[1] = 3 is outside [0, 3)")) << kp_last_error();
  KP_ASSERT_OK(kp_bert_loss(&M.m, in.labels.data(), nullptr, nullptr));
  EXPECT_NE(kp_bert_backward(&M.m, nullptr), KP_OK);
  EXPECT_TRUE(has(kp_last_error(), "not a training forward")) << kp_last_error();
  kp_bert m2;
  kp_bert_config c = tiny_config();
  EXPECT_NE(kp_bert_init(&m2, &c, KP_BERT_CLASSIFIER, kp_cpu()), KP_OK);
  EXPECT_TRUE(has(kp_last_error(), "KP_BERT_POOLER")) << kp_last_error();
}
