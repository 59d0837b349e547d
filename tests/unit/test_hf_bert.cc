// Hugging Face BERT checkpoint directories: config.json parsing and its errors, the canonical parameter
// table, loading the committed tiny checkpoints (F16 with "bert." + classifier, BF16 without prefix with
// old gamma/beta names and a position_ids buffer) value for value, the one-message report of missing /
// unexpected / mis-shaped tensors, pytorch_model.bin-only directories, and the real all-MiniLM-L6-v2 when
// scripts/fetch-model.sh has put it in models/.
#include <sys/stat.h>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include "kprca/hf_bert.h"
#include "testutil.h"

namespace {
const std::string FIX = std::string(KPRCA_SOURCE_DIR) + "/tests/fixtures/safetensors/";
const std::string MINILM = std::string(KPRCA_SOURCE_DIR) + "/models/all-MiniLM-L6-v2";

/* A scratch folder that takes small text files. */
struct Dir : kpt::TmpDir {
  void put(const std::string &name, const std::string &text) const { std::ofstream(path + "/" + name) << text; }
};

/* The value scripts/golden/safetensors_fixture.py stores at element i of tensor `name`. */
float tiny_value(const std::string &name, int64_t i) {
  int64_t base = 3 * (int64_t)name.size();
  for (unsigned char c : name) base += c;
  return (float)((7 * i + base) % 61 - 30) / 32.0f;
}

struct Params {
  kp_params p;
  Params() { kp_params_init(&p, kp_cpu()); }
  ~Params() { kp_params_free(&p); }
  std::vector<float> get(int i) const {
    std::vector<float> v((size_t)p.items[i].numel);
    if (kp_params_get(&p, i, false, v.data(), (int64_t)v.size()) != KP_OK) throw std::runtime_error(kp_last_error());
    return v;
  }
};

struct Bert {
  kp_hf_bert *m = nullptr;
  explicit Bert(const std::string &dir) {
    if (kp_hf_bert_open(dir.c_str(), &m) != KP_OK) throw std::runtime_error(kp_last_error());
  }
  ~Bert() { kp_hf_bert_close(m); }
};

/* A tiny config.json; extra ("\"key\": value, ...") adds keys or replaces the tiny ones of the same name. */
std::string tiny_config(const std::string &extra = "") {
  std::vector<std::pair<std::string, std::string>> kv = {
      {"hidden_size", "8"},      {"num_hidden_layers", "2"},       {"num_attention_heads", "2"},
      {"intermediate_size", "16"}, {"max_position_embeddings", "16"}, {"type_vocab_size", "2"},
      {"vocab_size", "20"},      {"hidden_act", "\"gelu\""}};
  std::string out = "{";
  for (auto &e : kv)
    if (!kpt::has(extra, "\"" + e.first + "\":")) out += "\"" + e.first + "\": " + e.second + ",\n ";
  return out + (extra.empty() ? "\"pad_token_id\": 0" : extra) + "}\n";
}

/* Writes model.safetensors with every tensor of (cfg, parts), zero-valued, edited by edit(name, shape) which
 * may rename (return a new name), drop (return "") or reshape; extra tensors are appended. */
void write_model(const Dir &d, unsigned parts, const std::function<std::string(std::string, std::vector<int64_t> &)> &edit,
                 const std::vector<std::string> &extra = {}) {
  kp_bert_config c;
  std::string cfg = d / "config.json";
  if (kp_bert_config_load(cfg.c_str(), &c) != KP_OK) throw std::runtime_error(kp_last_error());
  if ((parts & KP_BERT_CLASSIFIER) && !c.num_labels) c.num_labels = 2;
  Params p;
  if (kp_bert_declare(&p.p, &c, parts) != KP_OK) throw std::runtime_error(kp_last_error());
  kp_bert_config_free(&c);
  std::vector<std::string> names;
  std::vector<std::vector<int64_t>> shapes;
  for (int i = 0; i < p.p.count; i++) {
    std::vector<int64_t> s(p.p.items[i].shape, p.p.items[i].shape + p.p.items[i].ndim);
    std::string n = edit(p.p.items[i].name, s);
    if (n.empty()) continue;
    names.push_back(n);
    shapes.push_back(s);
  }
  for (auto &x : extra) names.push_back(x), shapes.push_back({4});
  static std::vector<float> zeros(1 << 16);
  std::vector<kp_st_entry> e;
  for (size_t i = 0; i < names.size(); i++)
    e.push_back({names[i].c_str(), KP_ST_F32, (int)shapes[i].size(), shapes[i].data(), zeros.data()});
  if (kp_st_write((d / "model.safetensors").c_str(), e.data(), e.size(), nullptr, 0) != KP_OK)
    throw std::runtime_error(kp_last_error());
}

std::string open_error(const std::string &dir, kp_status want = KP_ERR_FORMAT) {
  kp_hf_bert *m = nullptr;
  kp_status s = kp_hf_bert_open(dir.c_str(), &m);
  EXPECT_EQ(s, want) << kp_last_error();
  EXPECT_EQ(m, nullptr);
  kp_hf_bert_close(m);
  return kp_last_error();
}
}  // namespace

TEST(HfBert, ConfigDefaultsAndFields) {
  Dir d;
  d.put("empty.json", "{}");
  kp_bert_config c;
  KP_ASSERT_OK(kp_bert_config_load((d / "empty.json").c_str(), &c));
  EXPECT_EQ(c.hidden_size, 768);
  EXPECT_EQ(c.num_hidden_layers, 12);
  EXPECT_EQ(c.vocab_size, 30522);
  EXPECT_EQ(c.num_labels, 0);
  EXPECT_FLOAT_EQ(c.layer_norm_eps, 1e-12f);
  kp_bert_config_free(&c);

  KP_ASSERT_OK(kp_bert_config_load((FIX + "tiny-bert/config.json").c_str(), &c));
  EXPECT_EQ(c.hidden_size, 8);
  EXPECT_EQ(c.num_hidden_layers, 2);
  EXPECT_EQ(c.num_attention_heads, 2);
  EXPECT_EQ(c.intermediate_size, 16);
  EXPECT_EQ(c.max_position_embeddings, 16);
  EXPECT_EQ(c.type_vocab_size, 2);
  EXPECT_EQ(c.vocab_size, 20);
  EXPECT_FLOAT_EQ(c.hidden_dropout_prob, 0.1f);
  EXPECT_FLOAT_EQ(c.attention_probs_dropout_prob, 0.1f);
  ASSERT_EQ(c.num_labels, 3);
  ASSERT_NE(c.id2label, nullptr);
  EXPECT_STREQ(c.id2label[0], "ordinary");
  EXPECT_STREQ(c.id2label[1], "oom");
  EXPECT_STREQ(c.id2label[2], "gpu_xid");
  kp_bert_config_free(&c);
  EXPECT_EQ(c.id2label, nullptr);
}

TEST(HfBert, ConfigErrorsNameFileKeyAndProblem) {
  Dir d;
  const std::vector<std::tuple<std::string, kp_status, std::string>> cases = {
      {tiny_config("\"hidden_act\": \"gelu_new\""), KP_ERR_UNSUPPORTED, "hidden_act \"gelu_new\" is not supported"},
      {tiny_config("\"hidden_act\": \"relu\""), KP_ERR_UNSUPPORTED, "exact erf GELU"},
      {tiny_config("\"model_type\": \"roberta\""), KP_ERR_UNSUPPORTED, "model_type \"roberta\" is not supported"},
      {tiny_config("\"position_embedding_type\": \"relative_key\""), KP_ERR_UNSUPPORTED, "only absolute"},
      {tiny_config("\"is_decoder\": true"), KP_ERR_UNSUPPORTED, "is_decoder"},
      {tiny_config("\"num_attention_heads\": 3"), KP_ERR_FORMAT, "hidden_size 8 is not a multiple of num_attention_heads 3"},
      {tiny_config("\"vocab_size\": 0"), KP_ERR_FORMAT, "vocab_size is 0, must be at least 1"},
      {tiny_config("\"hidden_size\": 8.5"), KP_ERR_FORMAT, "\"hidden_size\" must be an integer"},
      {tiny_config("\"layer_norm_eps\": \"small\""), KP_ERR_FORMAT, "\"layer_norm_eps\" must be a number"},
      {tiny_config("\"layer_norm_eps\": 0"), KP_ERR_FORMAT, "layer_norm_eps must be positive"},
      {tiny_config("\"hidden_dropout_prob\": 1.0"), KP_ERR_FORMAT, "hidden_dropout_prob must be in [0, 1)"},
      {tiny_config("\"id2label\": {\"0\": \"a\", \"2\": \"b\"}"), KP_ERR_FORMAT, "id2label entry \"2\""},
      {tiny_config("\"id2label\": {\"0\": \"a\"}, \"num_labels\": 2"), KP_ERR_FORMAT, "num_labels is 2 but id2label has 1"},
      {tiny_config("\"pad_token_id\": 20"), KP_ERR_FORMAT, "pad_token_id 20 is outside the vocabulary"},
      {"{\"hidden_size\": 8,\n  \"vocab_size\": 20,,\n}", KP_ERR_FORMAT, "config.json:2:"},
      {"[1, 2]", KP_ERR_FORMAT, "not a JSON object"},
  };
  for (auto &c : cases) {
    d.put("config.json", std::get<0>(c));
    kp_bert_config cfg;
    std::string p = d / "config.json";
    EXPECT_EQ(kp_bert_config_load(p.c_str(), &cfg), std::get<1>(c)) << std::get<2>(c);
    std::string m = kp_last_error();
    EXPECT_TRUE(kpt::has(m, std::get<2>(c))) << m;
    EXPECT_TRUE(kpt::has(m, p)) << m;
  }
  d.put("config.json", tiny_config("\"pad_token_id\": null, \"label2id\": {}"));
  kp_bert_config cfg;
  KP_EXPECT_OK(kp_bert_config_load((d / "config.json").c_str(), &cfg));
  EXPECT_EQ(cfg.pad_token_id, 0);
  d.put("config.json", "{\"hidden_size\": 8, \"num_attention_heads\": 2, \"hidden_size\": 16}");
  EXPECT_EQ(kp_bert_config_load((d / "config.json").c_str(), &cfg), KP_ERR_FORMAT);
  EXPECT_TRUE(kpt::has(kp_last_error(), "\"hidden_size\" appears twice")) << kp_last_error();
}

TEST(HfBert, DeclareGivesHfNamesShapesAndInit) {
  kp_bert_config c;
  kp_bert_config_defaults(&c);
  c.num_labels = 4;
  Params p;
  KP_ASSERT_OK(kp_bert_declare(&p.p, &c, KP_BERT_POOLER | KP_BERT_CLASSIFIER));
  EXPECT_EQ(p.p.count, 5 + 12 * 16 + 2 + 2);
  EXPECT_EQ(kp_params_numel(&p.p), 109482240 + 4 * 768 + 4);  // bert-base-uncased's BertModel + a 4-class head
  int q = kp_params_find(&p.p, "encoder.layer.11.attention.self.query.weight");
  ASSERT_GE(q, 0);
  EXPECT_EQ(p.p.items[q].shape[0], 768);
  EXPECT_EQ(p.p.items[q].init, KP_INIT_UNIFORM);
  EXPECT_NEAR(p.p.items[q].bound / std::sqrt(3.0f), 0.02f, 1e-7);
  int i = kp_params_find(&p.p, "encoder.layer.0.intermediate.dense.weight");
  EXPECT_EQ(p.p.items[i].shape[0], 3072);
  EXPECT_EQ(p.p.items[i].shape[1], 768);
  EXPECT_EQ(p.p.items[kp_params_find(&p.p, "embeddings.LayerNorm.weight")].init, KP_INIT_ONES);
  EXPECT_EQ(p.p.items[kp_params_find(&p.p, "pooler.dense.bias")].init, KP_INIT_ZEROS);
  EXPECT_EQ(p.p.items[kp_params_find(&p.p, "classifier.weight")].shape[0], 4);
  EXPECT_STREQ(p.p.items[0].name, "embeddings.word_embeddings.weight");

  Params none;
  c.num_labels = 0;
  EXPECT_EQ(kp_bert_declare(&none.p, &c, KP_BERT_CLASSIFIER), KP_ERR_INVALID);
  KP_EXPECT_OK(kp_bert_declare(&none.p, &c, 0));
  EXPECT_EQ(kp_params_find(&none.p, "pooler.dense.weight"), -1);
}

TEST(HfBert, LoadsPrefixedF16CheckpointWithClassifier) {
  Bert b(FIX + "tiny-bert");
  const kp_bert_config *c = kp_hf_bert_config(b.m);
  EXPECT_EQ(c->num_labels, 3);
  EXPECT_EQ(kp_hf_bert_parts(b.m), (unsigned)(KP_BERT_POOLER | KP_BERT_CLASSIFIER));
  EXPECT_EQ(kp_hf_bert_ignored(b.m), 0);
  const kp_st_tensor *t = kp_hf_bert_tensor(b.m, "encoder.layer.1.output.LayerNorm.bias");
  ASSERT_NE(t, nullptr);
  EXPECT_STREQ(t->name, "bert.encoder.layer.1.output.LayerNorm.bias");
  EXPECT_EQ(t->dtype, KP_ST_F16);
  EXPECT_STREQ(kp_hf_bert_tensor(b.m, "classifier.weight")->name, "classifier.weight");
  EXPECT_EQ(kp_hf_bert_tensor(b.m, "bert.pooler.dense.weight"), nullptr);

  Params p;
  KP_ASSERT_OK(kp_bert_declare(&p.p, c, KP_BERT_POOLER | KP_BERT_CLASSIFIER));
  KP_ASSERT_OK(kp_params_alloc(&p.p));
  int loaded = -1;
  KP_ASSERT_OK(kp_hf_bert_load_params(b.m, &p.p, 0, &loaded));
  EXPECT_EQ(loaded, p.p.count);
  EXPECT_EQ(loaded, 5 + 2 * 16 + 2 + 2);
  int bad = 0;
  for (int i = 0; i < p.p.count; i++) {
    auto v = p.get(i);
    for (size_t k = 0; k < v.size(); k++) bad += v[k] != tiny_value(p.p.items[i].name, (int64_t)k);
  }
  EXPECT_EQ(bad, 0);
  std::vector<float> x(16 * 8);
  KP_ASSERT_OK(kp_hf_bert_read(b.m, "embeddings.position_embeddings.weight", x.data(), (int64_t)x.size()));
  EXPECT_EQ(x[5], tiny_value("embeddings.position_embeddings.weight", 5));
  EXPECT_EQ(kp_hf_bert_read(b.m, "nope", x.data(), 1), KP_ERR_INVALID);
  EXPECT_EQ(kp_hf_bert_read(b.m, "embeddings.position_embeddings.weight", x.data(), 3), KP_ERR_INVALID);
}

TEST(HfBert, LoadsPlainBf16CheckpointWithOldNames) {
  Bert b(FIX + "tiny-bert-plain");
  EXPECT_EQ(kp_hf_bert_parts(b.m), (unsigned)KP_BERT_POOLER);
  EXPECT_EQ(kp_hf_bert_ignored(b.m), 1);  // embeddings.position_ids
  EXPECT_EQ(kp_hf_bert_config(b.m)->num_labels, 0);
  EXPECT_STREQ(kp_hf_bert_tensor(b.m, "embeddings.LayerNorm.weight")->name, "embeddings.LayerNorm.gamma");
  EXPECT_EQ(kp_hf_bert_tensor(b.m, "embeddings.LayerNorm.bias")->dtype, KP_ST_BF16);
  Params p;
  KP_ASSERT_OK(kp_bert_declare(&p.p, kp_hf_bert_config(b.m), KP_BERT_POOLER));
  KP_ASSERT_OK(kp_params_alloc(&p.p));
  int loaded = 0;
  KP_ASSERT_OK(kp_hf_bert_load_params(b.m, &p.p, 0, &loaded));
  EXPECT_EQ(loaded, 5 + 2 * 16 + 2);
  int bad = 0;
  for (int i = 0; i < p.p.count; i++) {
    auto v = p.get(i);
    for (size_t k = 0; k < v.size(); k++) bad += v[k] != tiny_value(p.p.items[i].name, (int64_t)k);
  }
  EXPECT_EQ(bad, 0);
}

TEST(HfBert, NewClassifierHeadKeepsItsInit) {
  Bert b(FIX + "tiny-bert");
  kp_bert_config c = *kp_hf_bert_config(b.m);
  c.id2label = nullptr;
  c.num_labels = 5;  // a new task
  Params p;
  KP_ASSERT_OK(kp_bert_declare(&p.p, &c, KP_BERT_POOLER | KP_BERT_CLASSIFIER));
  KP_ASSERT_OK(kp_params_alloc(&p.p));
  EXPECT_EQ(kp_hf_bert_load_params(b.m, &p.p, 0, nullptr), KP_ERR_INVALID);
  EXPECT_TRUE(kpt::has(kp_last_error(), "'classifier.weight' is [3,8] in the checkpoint but [5,8] in the model"))
      << kp_last_error();
  int loaded = 0;
  KP_ASSERT_OK(kp_hf_bert_load_params(b.m, &p.p, KP_BERT_CLASSIFIER, &loaded));
  EXPECT_EQ(loaded, p.p.count - 2);
  auto w = p.get(kp_params_find(&p.p, "classifier.weight"));
  EXPECT_TRUE(std::all_of(w.begin(), w.end(), [](float v) { return v == 0.0f; }));

  // A checkpoint without pooler loads into a model with one; the pooler keeps its values.
  Bert plain(FIX + "tiny-bert-plain");
  Params q;
  kp_bert_config pc = *kp_hf_bert_config(plain.m);
  pc.num_labels = 2;
  KP_ASSERT_OK(kp_bert_declare(&q.p, &pc, KP_BERT_POOLER | KP_BERT_CLASSIFIER));
  KP_ASSERT_OK(kp_params_alloc(&q.p));
  KP_ASSERT_OK(kp_hf_bert_load_params(plain.m, &q.p, 0, &loaded));
  EXPECT_EQ(loaded, q.p.count - 2);

  // A model with a layer the checkpoint lacks is an error that names it.
  Params r;
  pc.num_hidden_layers = 3;
  KP_ASSERT_OK(kp_bert_declare(&r.p, &pc, 0));
  KP_ASSERT_OK(kp_params_alloc(&r.p));
  EXPECT_EQ(kp_hf_bert_load_params(plain.m, &r.p, 0, nullptr), KP_ERR_INVALID);
  EXPECT_TRUE(kpt::has(kp_last_error(), "'encoder.layer.2.attention.self.query.weight' is not in the checkpoint"))
      << kp_last_error();
}

TEST(HfBert, MismatchReportNamesMissingUnexpectedAndMisshaped) {
  Dir d;
  d.put("config.json", tiny_config());
  write_model(d, KP_BERT_POOLER, [](std::string n, std::vector<int64_t> &s) -> std::string {
    if (n.find("encoder.layer.1.") == 0 && n.find(".bias") != std::string::npos) return "";  // 8 missing
    if (n == "embeddings.word_embeddings.weight") s[0] = 21;
    if (n == "pooler.dense.weight") s = {8};
    return n;
  }, {"foo.bar", "encoder.layer.2.output.dense.bias"});
  std::string m = open_error(d.path);
  EXPECT_TRUE(kpt::has(m, "model.safetensors does not match its config.json (2 layers, hidden 8, intermediate 16, "
                          "vocab 20, 16 positions, 2 token types)")) << m;
  EXPECT_TRUE(kpt::has(m, "; 8 missing: encoder.layer.1.attention.self.query.bias, "
                          "encoder.layer.1.attention.self.key.bias, encoder.layer.1.attention.self.value.bias, ...")) << m;
  EXPECT_TRUE(kpt::has(m, "; 2 unexpected: encoder.layer.2.output.dense.bias, foo.bar")) << m;
  EXPECT_TRUE(kpt::has(m, "; 2 mis-shaped: embeddings.word_embeddings.weight is F32[21,8], expected [20,8], "
                          "pooler.dense.weight is F32[8], expected [8,8]")) << m;

  // Prefixed files: an unprefixed encoder tensor next to "bert." ones is unexpected, not merged.
  Dir e;
  e.put("config.json", tiny_config());
  write_model(e, 0, [](std::string n, std::vector<int64_t> &) {
    return n == "embeddings.LayerNorm.bias" ? n : "bert." + n;
  });
  m = open_error(e.path);
  EXPECT_TRUE(kpt::has(m, "1 missing: embeddings.LayerNorm.bias; 1 unexpected: embeddings.LayerNorm.bias")) << m;

  // gamma and weight for one parameter
  Dir g;
  g.put("config.json", tiny_config());
  write_model(g, 0, [](std::string n, std::vector<int64_t> &) { return n; }, {"embeddings.LayerNorm.gamma"});
  m = open_error(g.path);
  EXPECT_TRUE(kpt::has(m, "'embeddings.LayerNorm.gamma' and 'embeddings.LayerNorm.weight' are the same parameter") ||
              kpt::has(m, "'embeddings.LayerNorm.weight' and 'embeddings.LayerNorm.gamma' are the same parameter"))
      << m;

  // An integer tensor where a weight belongs
  Dir h;
  h.put("config.json", tiny_config());
  write_model(h, 0, [](std::string n, std::vector<int64_t> &) { return n == "embeddings.LayerNorm.bias" ? "" : n; });
  {
    kp_safetensors *st = nullptr;
    KP_ASSERT_OK(kp_st_open((h / "model.safetensors").c_str(), &st));
    std::vector<kp_st_entry> ent;
    std::vector<std::vector<float>> vals;
    int64_t s8[] = {8};
    std::vector<int32_t> ints(8);
    for (size_t i = 0; i < kp_st_count(st); i++) {
      const kp_st_tensor *t = kp_st_at(st, i);
      ent.push_back({t->name, t->dtype, t->ndim, t->shape, t->data});
    }
    ent.push_back({"embeddings.LayerNorm.bias", KP_ST_I32, 1, s8, ints.data()});
    std::string out = h / "model2.safetensors";
    KP_ASSERT_OK(kp_st_write(out.c_str(), ent.data(), ent.size(), nullptr, 0));
    kp_st_close(st);
    std::filesystem::rename(out, h / "model.safetensors");
  }
  m = open_error(h.path);
  EXPECT_TRUE(kpt::has(m, "1 mis-shaped: embeddings.LayerNorm.bias is I32[8], expected a float dtype [8]")) << m;

  // A classifier without num_labels in config.json takes its size from the tensor.
  Dir k;
  k.put("config.json", tiny_config());
  write_model(k, KP_BERT_CLASSIFIER, [](std::string n, std::vector<int64_t> &s) {
    if (n.rfind("classifier.", 0) == 0) s[0] = 7;
    return n;
  });
  Bert b(k.path);
  EXPECT_EQ(kp_hf_bert_config(b.m)->num_labels, 7);
  EXPECT_EQ(kp_hf_bert_parts(b.m), (unsigned)KP_BERT_CLASSIFIER);
}

TEST(HfBert, DirectoryErrors) {
  Dir d;
  std::string m = open_error(d / "nope", KP_ERR_IO);
  EXPECT_TRUE(kpt::has(m, "nope: cannot open")) << m;
  m = open_error(d.path, KP_ERR_IO);
  EXPECT_TRUE(kpt::has(m, "no model.safetensors")) << m;
  d.put("pytorch_model.bin", "x");
  m = open_error(d.path, KP_ERR_UNSUPPORTED);
  EXPECT_TRUE(kpt::has(m, "has pytorch_model.bin but no model.safetensors: convert it to safetensors")) << m;
  d.put("model.safetensors.index.json", "{}");
  m = open_error(d.path, KP_ERR_UNSUPPORTED);
  EXPECT_TRUE(kpt::has(m, "sharded checkpoints are not supported")) << m;
  d.put("config.json", "{}");
  m = open_error(d / "config.json", KP_ERR_INVALID);
  EXPECT_TRUE(kpt::has(m, "not a directory")) << m;

  Dir e;  // weights but no config.json
  std::filesystem::copy_file(FIX + "tiny-bert/model.safetensors", e / "model.safetensors");
  m = open_error(e.path, KP_ERR_IO);
  EXPECT_TRUE(kpt::has(m, "config.json: cannot open")) << m;
  // a config that does not fit the weights
  e.put("config.json", tiny_config("\"hidden_size\": 16"));
  m = open_error(e.path);
  EXPECT_TRUE(kpt::has(m, "mis-shaped: bert.embeddings.word_embeddings.weight is F16[20,8], expected [20,16]")) << m;
  // a damaged weights file
  std::filesystem::resize_file(e / "model.safetensors", 5000);
  m = open_error(e.path);
  EXPECT_TRUE(kpt::has(m, "run past the data section")) << m;
}

TEST(HfBert, RealMiniLM) {
  struct stat sb;
  if (stat((MINILM + "/model.safetensors").c_str(), &sb) != 0)
    GTEST_SKIP() << "models/all-MiniLM-L6-v2 is absent: run scripts/fetch-model.sh to test the real checkpoint";
  Bert b(MINILM);
  const kp_bert_config *c = kp_hf_bert_config(b.m);
  EXPECT_EQ(c->num_hidden_layers, 6);
  EXPECT_EQ(c->hidden_size, 384);
  EXPECT_EQ(c->num_attention_heads, 12);
  EXPECT_EQ(c->intermediate_size, 1536);
  EXPECT_EQ(c->vocab_size, 30522);
  EXPECT_EQ(c->max_position_embeddings, 512);
  EXPECT_FLOAT_EQ(c->layer_norm_eps, 1e-12f);
  EXPECT_EQ(kp_hf_bert_parts(b.m), (unsigned)KP_BERT_POOLER);
  EXPECT_EQ(kp_hf_bert_ignored(b.m), 1);  // embeddings.position_ids
  Params p;
  KP_ASSERT_OK(kp_bert_declare(&p.p, c, KP_BERT_POOLER));
  EXPECT_EQ(kp_params_numel(&p.p), 22713216);  // all-MiniLM-L6-v2's parameter count
  KP_ASSERT_OK(kp_params_alloc(&p.p));
  int loaded = 0;
  KP_ASSERT_OK(kp_hf_bert_load_params(b.m, &p.p, 0, &loaded));
  EXPECT_EQ(loaded, 103);
  // Values read with numpy from the same file.
  auto w = p.get(kp_params_find(&p.p, "embeddings.word_embeddings.weight"));
  EXPECT_EQ(w[101 * 384 + 0], -0.01761939749121666f);
  EXPECT_EQ(w[101 * 384 + 3], -0.08691827207803726f);
  double sum = 0;
  for (float v : w) sum += v;
  EXPECT_NEAR(sum, 138.05072214923618, 1e-6);
  auto q = p.get(kp_params_find(&p.p, "encoder.layer.5.attention.self.query.weight"));
  EXPECT_EQ(q[3 * 384 + 2], -0.09489095211029053f);
  sum = 0;
  for (float v : q) sum += v;
  EXPECT_NEAR(sum, 69.45548136291313, 1e-6);
  EXPECT_EQ(p.get(kp_params_find(&p.p, "embeddings.LayerNorm.weight"))[1], 0.583594799041748f);
}
