// BERT against transformers' BertForSequenceClassification (fixtures from scripts/golden/bert_parity.py):
// a small random model loaded from an HF directory, a padded batch, logits, losses (plain and class-weighted),
// hidden states, pooled and mean-pooled embeddings, and the gradient of every parameter, within 1e-4 of each
// tensor's scale; the real all-MiniLM-L6-v2 when models/ has it (skipped otherwise).
#include <cstdio>
#include <map>
#include <sys/stat.h>
#include "kprca/bert.h"
#include "testutil.h"

using namespace kpt;

namespace {

const std::string kDir = std::string(KPRCA_SOURCE_DIR) + "/tests/fixtures/bert/";

struct Fixture {
  kp_safetensors *st = nullptr;
  explicit Fixture(const std::string &path) {
    if (kp_st_open(path.c_str(), &st) != KP_OK) throw std::runtime_error(kp_last_error());
  }
  ~Fixture() { kp_st_close(st); }
  bool has(const std::string &n) const { return kp_st_find(st, n.c_str()) != nullptr; }
  std::vector<float> f(const std::string &n) const {
    const kp_st_tensor *t = kp_st_find(st, n.c_str());
    if (!t) throw std::runtime_error("fixture has no " + n);
    std::vector<float> v((size_t)t->numel);
    if (kp_st_to_f32(t, v.data(), t->numel) != KP_OK) throw std::runtime_error(kp_last_error());
    return v;
  }
  std::vector<int32_t> i(const std::string &n) const {
    auto v = f(n);
    return std::vector<int32_t>(v.begin(), v.end());
  }
  int64_t dim(const std::string &n, int d) const { return kp_st_find(st, n.c_str())->shape[d]; }
};

/* max |a - e| / max(max |e|, floor): the error relative to the tensor's scale. The floor matters only for
 * attention.self.key.bias, whose gradient is exactly 0 in exact arithmetic (softmax ignores a per-row constant,
 * and q . b_k is one) so both sides hold rounding noise of ~1e-8. */
double scaled_err(const std::vector<float> &a, const std::vector<float> &e, double floor = 1e-30) {
  double num = 0, den = floor;
  for (size_t k = 0; k < a.size(); k++) {
    num = std::max(num, (double)std::fabs(a[k] - e[k]));
    den = std::max(den, (double)std::fabs(e[k]));
  }
  return num / den;
}

struct Worst { /* the largest error seen, apart from key.bias gradients (rounding noise around 0) */
  double err = 0;
  std::string what;
  void add(const std::string &w, double e) {
    if (e > err && !has(w, "key.bias")) err = e, what = w;
  }
};

void expect_close(Worst &worst, const std::string &what, const std::vector<float> &a, const std::vector<float> &e,
                  double floor = 1e-30, double tol = 1e-4) {
  ASSERT_EQ(a.size(), e.size()) << what;
  double err = scaled_err(a, e, floor);
  worst.add(what, err);
  EXPECT_LE(err, tol) << what << ": max |kprca - transformers| / max |transformers| = " << err;
}

std::vector<float> host(const kp_tensor *t) {
  std::vector<float> v((size_t)kp_tensor_numel(t));
  kp_tensor h = kp_tensor_wrap(v.data(), KP_F32, kp_cpu(), t->ndim, t->shape);
  if (kp_tensor_copy(&h, t) != KP_OK) throw std::runtime_error(kp_last_error());
  return v;
}

std::vector<float> param(const kp_bert &m, int i, bool grad) {
  std::vector<float> v((size_t)m.params.items[i].numel);
  if (kp_params_get(&m.params, i, grad, v.data(), (int64_t)v.size()) != KP_OK) throw std::runtime_error(kp_last_error());
  return v;
}

/* The largest gradient magnitude the fixture holds over the model's parameters. */
double grad_scale(const Fixture &fx, const kp_bert &m) {
  double s = 0;
  for (int i = 0; i < m.params.count; i++)
    for (const char *kind : {"grad.", "grad_sample."}) {
      std::string n = kind + std::string(m.params.items[i].name);
      if (fx.has(n))
        for (float x : fx.f(n)) s = std::max(s, (double)std::fabs(x));
    }
  return s;
}

struct Batch {
  std::vector<int32_t> ids, mask, types, labels;
  kp_bert_batch b{};
  explicit Batch(const Fixture &fx) : ids(fx.i("input_ids")), mask(fx.i("attention_mask")),
                                      types(fx.i("token_type_ids")), labels(fx.i("labels")) {
    b = {fx.dim("input_ids", 0), fx.dim("input_ids", 1), ids.data(), mask.data(), types.data()};
  }
};

}  // namespace

TEST(BertParity, TinyModelMatchesTransformers) {
  Fixture fx(kDir + "tiny_expected.safetensors");
  kp_hf_bert *h = nullptr;
  KP_ASSERT_OK(kp_hf_bert_open((kDir + "tiny").c_str(), &h));
  kp_bert m;
  kp_status s = kp_bert_from_hf(&m, h, 0, kp_cpu(), 1);
  kp_hf_bert_close(h);
  KP_ASSERT_OK(s);
  ASSERT_EQ(m.cfg.num_labels, 3);
  m.hidden_dropout = m.attn_dropout = m.classifier_dropout = 0.0f; /* transformers ran in eval mode */
  Batch bt(fx);
  T w = T::f32({3}, fx.f("class_weights"));
  Worst worst;

  KP_ASSERT_OK(kp_bert_forward(&m, &bt.b, true));
  float loss = 0, loss_w = 0;
  KP_ASSERT_OK(kp_bert_loss(&m, bt.labels.data(), nullptr, &loss));
  expect_close(worst, "loss", {loss}, fx.f("loss"));
  KP_ASSERT_OK(kp_bert_loss(&m, bt.labels.data(), &w, &loss_w));
  expect_close(worst, "loss_weighted", {loss_w}, fx.f("loss_weighted"));
  expect_close(worst, "logits", host(&m.logits), fx.f("logits"));
  expect_close(worst, "last_hidden", host(&m.layers[m.cfg.num_hidden_layers - 1].out), fx.f("last_hidden"));
  expect_close(worst, "pooled", host(&m.pooled), fx.f("pooled"));
  KP_ASSERT_OK(kp_params_zero_grad(&m.params));
  KP_ASSERT_OK(kp_bert_backward(&m, &w));
  int checked = 0;
  double floor = 1e-3 * grad_scale(fx, m);
  for (int i = 0; i < m.params.count; i++) {
    std::string g = std::string("grad.") + m.params.items[i].name;
    ASSERT_TRUE(fx.has(g)) << g;
    expect_close(worst, g, param(m, i, true), fx.f(g), floor);
    checked++;
  }
  EXPECT_EQ(checked, 41); /* 5 embedding + 2 x 16 layer + 2 pooler + 2 classifier tensors */

  /* the inference path (shared layer buffers) and the embeddings */
  KP_ASSERT_OK(kp_bert_forward(&m, &bt.b, false));
  expect_close(worst, "logits (inference)", host(&m.logits), fx.f("logits"));
  std::vector<float> e((size_t)(3 * m.cfg.hidden_size));
  KP_ASSERT_OK(kp_bert_embed(&m, &bt.b, KP_BERT_POOL_MEAN, false, e.data()));
  expect_close(worst, "mean_pooled", e, fx.f("mean_pooled"));
  KP_ASSERT_OK(kp_bert_embed(&m, &bt.b, KP_BERT_POOL_POOLER, false, e.data()));
  expect_close(worst, "pooled (embed)", e, fx.f("pooled"));
  std::printf("[ tiny BERT vs transformers: worst scaled error %.3g (%s) ]\n", worst.err, worst.what.c_str());
  RecordProperty("worst_scaled_error", std::to_string(worst.err));
  kp_bert_free(&m);
}

TEST(BertParity, MiniLMMatchesTransformers) {
  std::string dir = std::string(KPRCA_SOURCE_DIR) + "/models/all-MiniLM-L6-v2";
  struct stat sb;
  if (stat((dir + "/model.safetensors").c_str(), &sb) != 0) GTEST_SKIP() << dir << " absent (scripts/fetch-model.sh)";
  Fixture fx(kDir + "minilm_expected.safetensors");
  kp_hf_bert *h = nullptr;
  KP_ASSERT_OK(kp_hf_bert_open(dir.c_str(), &h));
  kp_bert m;
  kp_status s = kp_bert_from_hf(&m, h, 2, kp_cpu(), 1);
  kp_hf_bert_close(h);
  KP_ASSERT_OK(s);
  m.hidden_dropout = m.attn_dropout = m.classifier_dropout = 0.0f;
  for (const char *n : {"classifier.weight", "classifier.bias"}) {
    auto v = fx.f(n);
    KP_ASSERT_OK(kp_params_set(&m.params, kp_params_find(&m.params, n), v.data(), (int64_t)v.size()));
  }
  Batch bt(fx);
  Worst worst;
  KP_ASSERT_OK(kp_bert_forward(&m, &bt.b, true));
  float loss = 0;
  KP_ASSERT_OK(kp_bert_loss(&m, bt.labels.data(), nullptr, &loss));
  expect_close(worst, "loss", {loss}, fx.f("loss"));
  expect_close(worst, "logits", host(&m.logits), fx.f("logits"));
  expect_close(worst, "pooled", host(&m.pooled), fx.f("pooled"));
  KP_ASSERT_OK(kp_params_zero_grad(&m.params));
  KP_ASSERT_OK(kp_bert_backward(&m, nullptr));
  double floor = 1e-3 * grad_scale(fx, m);
  for (int i = 0; i < m.params.count; i++) {
    std::string n = m.params.items[i].name;
    auto g = param(m, i, true);
    if (fx.has("grad." + n)) {
      expect_close(worst, "grad." + n, g, fx.f("grad." + n), floor);
      continue;
    }
    ASSERT_TRUE(fx.has("grad_sample." + n)) << n;
    std::vector<float> sample;
    for (size_t k = 0; k < 256; k++) sample.push_back(g[(k * 7919) % g.size()]);
    expect_close(worst, "grad_sample." + n, sample, fx.f("grad_sample." + n), floor);
    double ss = 0;
    for (float x : g) ss += (double)x * x;
    expect_close(worst, "grad_sumsq." + n, {(float)ss}, fx.f("grad_sumsq." + n));
  }
  std::vector<float> e((size_t)(bt.b.B * m.cfg.hidden_size));
  KP_ASSERT_OK(kp_bert_embed(&m, &bt.b, KP_BERT_POOL_MEAN, true, e.data()));
  expect_close(worst, "mean_pooled (normalised)", e, fx.f("mean_pooled"));
  std::printf("[ MiniLM vs transformers: worst scaled error %.3g (%s) ]\n", worst.err, worst.what.c_str());
  RecordProperty("worst_scaled_error", std::to_string(worst.err));
  kp_bert_free(&m);
}
