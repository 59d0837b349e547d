// Experiment configs: schema sanity, defaults, merging files, overrides, argv parsing, every bad input
// (tests/fixtures/configs/bad_*.yaml, expected message in each file's first line), print/save round
// trips, and docs/configs.md kept equal to what the schema generates.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <vector>
extern "C" {
#include "io/config_internal.h"
#include "kprca/config.h"
}

namespace fs = std::filesystem;

namespace {

struct Cfg {  // owns a kp_config
  kp_config *c = nullptr;
  ~Cfg() { kp_config_free(c); }
  kp_config *operator->() { return c; }
  operator kp_config *() { return c; }
};

std::string tmpdir() {
  static std::string dir = [] {
    std::string d = testing::TempDir() + "kprca_config_" + std::to_string(getpid());
    fs::create_directories(d);
    return d;
  }();
  return dir;
}

std::string write_file(const std::string &name, const std::string &text) {
  std::string path = tmpdir() + "/" + name;
  std::ofstream(path, std::ios::binary) << text;
  return path;
}

std::string read_file(const std::string &path) {
  std::ifstream f(path, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

const char kMinimal[] = "data:\n  path: data/cora.h5\noutput:\n  dir: experiments\n";

// Loads files then overrides; returns the status and leaves the config (or null) in out.
kp_status load(std::vector<std::string> files, std::vector<std::string> sets, Cfg &out) {
  std::vector<const char *> f, s;
  for (auto &x : files) f.push_back(x.c_str());
  for (auto &x : sets) s.push_back(x.c_str());
  return kp_config_load(f.data(), f.size(), s.data(), s.size(), &out.c);
}

std::string src(kp_config *c, const char *path) {
  char buf[512];
  return kp_config_source(c, path, buf, sizeof buf);
}

std::string yaml(kp_config *c, unsigned flags = 0) {
  char *t = kp_config_to_yaml(c, flags);
  std::string s = t ? t : "";
  free(t);
  return s;
}

}  // namespace

// ---- Schema ----

TEST(ConfigSchema, KeysAreUniqueGroupedDocumentedAndDefaultsValid) {
  size_t n = kp_config_schema_count();
  ASSERT_GT(n, 40u);
  std::set<std::string> paths, closed_sections;
  std::string section_prev = "(start)";
  for (size_t i = 0; i < n; i++) {
    const kp_cfg_key *k = kp_config_schema(i);
    std::string p = k->path;
    EXPECT_TRUE(paths.insert(p).second) << "duplicate " << p;
    ASSERT_NE(k->doc, nullptr) << p;
    EXPECT_GT(strlen(k->doc), 10u) << p;
    EXPECT_EQ(strchr(k->doc, '|'), nullptr) << p << ": '|' would break the docs table";
    std::string section = p.find('.') == std::string::npos ? "" : p.substr(0, p.find('.'));
    if (section != section_prev) {  // sections are contiguous: once left, never seen again
      EXPECT_EQ(closed_sections.count(section), 0u) << p << " is apart from the rest of its section";
      closed_sections.insert(section_prev);
      section_prev = section;
    }
    EXPECT_EQ(kp_config_key(k->path), k);
    bool names = k->type == KP_CFG_ENUM || k->type == KP_CFG_NAME_OR_FLOATS;
    if (names) EXPECT_NE(k->allowed, nullptr) << p;
  }
  for (const char *s : {"model", "data", "optim", "train", "eval", "output"})
    EXPECT_EQ(closed_sections.count(s) + (section_prev == s), 1u) << s;
  EXPECT_EQ(kp_config_key("device")->type, KP_CFG_ENUM);
  EXPECT_EQ(kp_config_key("optim.lrr"), nullptr);
  EXPECT_EQ(kp_config_key("optim"), nullptr);
  Cfg c;  // every default passes its own key's checks
  ASSERT_EQ(kp_config_new(&c.c), KP_OK) << kp_last_error();
}

TEST(ConfigSchema, CoversTheTrainerKeys) {
  for (const char *p : {"model.name",
                        "model.task",
                        "model.hidden",
                        "model.layers",
                        "model.heads",
                        "model.concat",
                        "model.dropout",
                        "model.attn_dropout",
                        "model.negative_slope",
                        "model.aggr",
                        "model.readout",
                        "model.self_loops",
                        "model.bias",
                        "model.normalize",
                        "model.head_layers",
                        "data.path",
                        "data.format",
                        "data.batch_size",
                        "data.fanouts",
                        "data.split",
                        "data.num_workers",
                        "optim.name",
                        "optim.lr",
                        "optim.weight_decay",
                        "optim.weight_decay_scope",
                        "optim.betas",
                        "optim.eps",
                        "optim.momentum",
                        "optim.clip_norm",
                        "optim.schedule",
                        "optim.warmup_steps",
                        "train.epochs",
                        "train.seed",
                        "train.patience",
                        "train.monitor",
                        "train.class_weights",
                        "train.log_every",
                        "eval.splits",
                        "eval.metrics",
                        "output.dir",
                        "output.name",
                        "output.checkpoint_every",
                        "output.keep_checkpoints",
                        "device"})
    EXPECT_NE(kp_config_key(p), nullptr) << p;
  EXPECT_EQ(kp_config_key("data.path")->def, nullptr);  // required
  EXPECT_EQ(kp_config_key("output.dir")->def, nullptr);
}

TEST(ConfigSchema, SuggestsTheClosestKey) {
  auto sug = [](const char *s) {
    const char *r = kp_config_suggest(s);
    return std::string(r ? r : "(none)");
  };
  EXPECT_EQ(sug("optim.lrr"), "optim.lr");
  EXPECT_EQ(sug("optim.weight_decy"), "optim.weight_decay");
  EXPECT_EQ(sug("modle.hidden"), "model.hidden");
  EXPECT_EQ(sug("model.lr"), "optim.lr");  // right key, wrong section
  EXPECT_EQ(sug("lr"), "optim.lr");
  EXPECT_EQ(sug("model.hidden_channels"), "model.hidden");  // PyG's name
  EXPECT_EQ(sug("train.max_epochs"), "train.epochs");
  EXPECT_EQ(sug("modle"), "model");
  EXPECT_EQ(sug("optimizer"), "optim");
  EXPECT_EQ(sug("devic"), "device");
  EXPECT_EQ(sug("train.zzz"), "(none)");
  EXPECT_EQ(sug("qqqqqqq"), "(none)");
}

// ---- Defaults and getters ----

TEST(Config, DefaultsAndTypedGetters) {
  Cfg c;
  ASSERT_EQ(kp_config_new(&c.c), KP_OK);
  EXPECT_STREQ(kp_config_string(c, "model.name"), "gcn");
  EXPECT_EQ(kp_config_int(c, "model.layers"), 2);
  EXPECT_EQ(kp_config_float(c, "optim.lr"), 0.01);
  EXPECT_EQ(kp_config_float(c, "optim.eps"), 1e-8);
  EXPECT_TRUE(kp_config_bool(c, "model.bias"));
  size_t n;
  const double *betas = kp_config_floats(c, "optim.betas", &n);
  ASSERT_EQ(n, 2u);
  EXPECT_EQ(betas[0], 0.9);
  EXPECT_EQ(betas[1], 0.999);
  kp_config_ints(c, "data.fanouts", &n);
  EXPECT_EQ(n, 0u);
  const char *const *splits = kp_config_strings(c, "eval.splits", &n);
  ASSERT_EQ(n, 2u);
  EXPECT_STREQ(splits[0], "val");
  EXPECT_STREQ(splits[1], "test");
  EXPECT_FALSE(kp_config_has(c, "output.name"));
  EXPECT_EQ(kp_config_string(c, "output.name"), nullptr);
  EXPECT_FALSE(kp_config_has(c, "data.path"));  // required, unset
  EXPECT_STREQ(kp_config_string(c, "data.split"), "file");
  EXPECT_FALSE(kp_config_is_list(c, "data.split"));
  EXPECT_EQ(kp_config_floats(c, "data.split", &n), nullptr);
  EXPECT_EQ(n, 0u);
  EXPECT_STREQ(kp_config_string(c, "device"), "auto");
  EXPECT_EQ(src(c, "optim.lr"), "default");
  EXPECT_EQ(kp_config_finish(c), KP_ERR_INVALID);  // data.path missing
  EXPECT_EQ(std::string(kp_last_error()),
            "missing required key 'data.path' (no --config file given); set it in a config file or pass data.path=...");
}

TEST(ConfigDeathTest, GettersAssertKeyAndType) {
  Cfg c;
  ASSERT_EQ(kp_config_new(&c.c), KP_OK);
  EXPECT_DEATH(kp_config_int(c, "optim.lr"), "kp_config_int\\(\"optim.lr\"\\): the key has another type");
  EXPECT_DEATH(kp_config_float(c, "optim.lrr"), "no such key in the config schema");
  EXPECT_DEATH(kp_config_string(c, "model.layers"), "another type");
  size_t n;
  EXPECT_DEATH(kp_config_ints(c, "optim.betas", &n), "another type");
}

// ---- Files ----

TEST(Config, LoadsAFileWithSourcesAndValuesTypedBySchema) {
  std::string f = write_file("full.yaml",
                             "# a GAT run\n"
                             "model:\n"
                             "  name: gat\n"
                             "  hidden: 8\n"
                             "  heads: 8\n"
                             "  dropout: 0.6\n"
                             "  concat: false\n"
                             "data:\n"
                             "  path: 2024\n"  // a string key: the scalar is taken as text
                             "  split: [0.6, 0.2, 0.2]\n"
                             "optim:\n"
                             "  lr: 5e-3\n"  // YAML 1.1 would read a string; the schema says float
                             "  weight_decay: 0\n"
                             "  betas:\n"
                             "    - 0.8\n"
                             "    - 0.99\n"
                             "train:\n"
                             "  class_weights: balanced\n"
                             "eval: {splits: [test], metrics: []}\n"
                             "output.dir: runs\n"  // dotted key at the top
                             "output:\n"
                             "  name: ~\n"
                             "device: cuda:1\n");
  Cfg c;
  ASSERT_EQ(load({f}, {}, c), KP_OK) << kp_last_error();
  EXPECT_STREQ(kp_config_string(c, "model.name"), "gat");
  EXPECT_EQ(kp_config_int(c, "model.heads"), 8);
  EXPECT_EQ(kp_config_float(c, "model.dropout"), 0.6);
  EXPECT_FALSE(kp_config_bool(c, "model.concat"));
  EXPECT_STREQ(kp_config_string(c, "data.path"), "2024");
  ASSERT_TRUE(kp_config_is_list(c, "data.split"));
  size_t n;
  const double *sp = kp_config_floats(c, "data.split", &n);
  ASSERT_EQ(n, 3u);
  EXPECT_EQ(sp[0], 0.6);
  EXPECT_EQ(kp_config_string(c, "data.split"), nullptr);
  EXPECT_EQ(kp_config_float(c, "optim.lr"), 0.005);
  EXPECT_EQ(kp_config_float(c, "optim.weight_decay"), 0.0);
  EXPECT_EQ(kp_config_floats(c, "optim.betas", &n)[1], 0.99);
  EXPECT_STREQ(kp_config_string(c, "train.class_weights"), "balanced");
  EXPECT_EQ(kp_config_strings(c, "eval.metrics", &n), kp_config_strings(c, "eval.metrics", &n));
  EXPECT_EQ(n, 0u);
  EXPECT_STREQ(kp_config_string(c, "output.dir"), "runs");
  EXPECT_FALSE(kp_config_has(c, "output.name"));
  EXPECT_STREQ(kp_config_string(c, "device"), "cuda:1");
  EXPECT_EQ(src(c, "model.heads"), f + ":5:3");
  EXPECT_EQ(src(c, "output.dir"), f + ":20:1");
  EXPECT_EQ(src(c, "optim.eps"), "default");
  size_t nf;
  const char *const *files = kp_config_files(c, &nf);
  ASSERT_EQ(nf, 1u);
  EXPECT_EQ(std::string(files[0]), f);
}

TEST(Config, LaterFilesOverrideKeyByKeyAndListsAreReplaced) {
  std::string a = write_file("base.yaml",
                             "output: {dir: runs}\n"
                             "data: {path: g.h5, fanouts: [25, 10], batch_size: 512}\n"
                             "model: {name: sage, hidden: 128, layers: 2}\n");
  std::string b = write_file("over.yaml", "model:\n  hidden: 32\ndata:\n  fanouts: [5, 5]\n");
  std::string c3 = write_file("empty_section.yaml", "model:\noptim:\n  # all commented out\n");
  std::string d = write_file("braces.yaml", "{}\n");
  Cfg c;
  ASSERT_EQ(load({a, b, c3, d}, {}, c), KP_OK) << kp_last_error();
  EXPECT_STREQ(kp_config_string(c, "model.name"), "sage");  // from a
  EXPECT_EQ(kp_config_int(c, "model.hidden"), 32);          // b wins
  EXPECT_EQ(kp_config_int(c, "data.batch_size"), 512);
  size_t n;
  const int64_t *fo = kp_config_ints(c, "data.fanouts", &n);
  ASSERT_EQ(n, 2u);
  EXPECT_EQ(fo[0], 5);
  EXPECT_EQ(fo[1], 5);
  EXPECT_EQ(src(c, "model.hidden"), b + ":2:3");
  EXPECT_EQ(src(c, "model.name"), a + ":3:9");
  const char *const *files = kp_config_files(c, &n);
  ASSERT_EQ(n, 4u);
  EXPECT_EQ(std::string(files[3]), d);
}

TEST(Config, AFailedMergeLeavesTheConfigUnchanged) {
  Cfg c;
  ASSERT_EQ(kp_config_new(&c.c), KP_OK);
  std::string f = write_file("half.yaml", "optim:\n  lr: 0.5\n  eps: -1\n");
  EXPECT_EQ(kp_config_merge_file(c, f.c_str()), KP_ERR_INVALID);
  EXPECT_EQ(std::string(kp_last_error()), f + ":3:8: optim.eps = -1: must be > 0");
  EXPECT_EQ(kp_config_float(c, "optim.lr"), 0.01);
  size_t n;
  kp_config_files(c, &n);
  EXPECT_EQ(n, 0u);
  EXPECT_EQ(kp_config_set(c, "optim.lr", "-2", nullptr), KP_ERR_INVALID);
  EXPECT_EQ(kp_config_float(c, "optim.lr"), 0.01);
}

TEST(Config, FileErrorsNameTheFile) {
  Cfg c;
  ASSERT_EQ(kp_config_new(&c.c), KP_OK);
  std::string missing = tmpdir() + "/no_such.yaml";
  EXPECT_EQ(kp_config_merge_file(c, missing.c_str()), KP_ERR_IO);
  EXPECT_EQ(std::string(kp_last_error()), missing + ": cannot open the config: No such file or directory");
  std::string empty = write_file("zero.yaml", "");
  EXPECT_EQ(kp_config_merge_file(c, empty.c_str()), KP_ERR_FORMAT);
  EXPECT_EQ(std::string(kp_last_error()),
            empty + ":1:1: empty config (no YAML mapping); write {} for an intentionally empty one");
  EXPECT_EQ(kp_config_merge_file(c, tmpdir().c_str()), KP_ERR_IO);
  EXPECT_EQ(std::string(kp_last_error()), tmpdir() + ": cannot read the config: Is a directory");
  std::string dashes = write_file("dashes.yaml", "---\n");
  EXPECT_EQ(kp_config_merge_file(c, dashes.c_str()), KP_ERR_FORMAT);
  EXPECT_NE(std::string(kp_last_error()).find("empty config"), std::string::npos);
}

// Every tests/fixtures/configs/bad_*.yaml: line 1 is "# expect: MESSAGE" with {file} for its path. The file
// is merged into a fresh config and finished; the first failure must be exactly MESSAGE.
TEST(ConfigBadInputs, EachFixtureGivesItsMessage) {
  std::string dir = std::string(KPRCA_SOURCE_DIR) + "/tests/fixtures/configs";
  int count = 0;
  for (auto &e : fs::directory_iterator(dir)) {
    std::string name = e.path().filename().string();
    if (name.rfind("bad_", 0) != 0 || e.path().extension() != ".yaml") continue;
    count++;
    std::string path = e.path().string(), text = read_file(path);
    ASSERT_EQ(text.rfind("# expect: ", 0), 0u) << name << ": first line must be '# expect: MESSAGE'";
    std::string expect = text.substr(10, text.find('\n') - 10);
    for (size_t at; (at = expect.find("{file}")) != std::string::npos;) expect.replace(at, 6, path);
    Cfg c;
    ASSERT_EQ(kp_config_new(&c.c), KP_OK);
    kp_status s = kp_config_merge_file(c, path.c_str());
    if (s == KP_OK) s = kp_config_finish(c);
    EXPECT_NE(s, KP_OK) << name << " was accepted";
    EXPECT_EQ(std::string(kp_last_error()), expect) << name;
  }
  EXPECT_GE(count, 45);
}

// Every prefix of a config (cut anywhere, mid-token included) either merges or fails with a positioned message.
TEST(ConfigBadInputs, EveryPrefixOfAFileLoadsOrFailsCleanly) {
  const std::string text =
      "model:\n  name: gat  # comment\n  heads: 8\ndata: {path: \"a b.h5\", fanouts: [25, 10]}\n"
      "optim:\n  betas:\n    - 0.9\n    - 0.99\n  lr: 5.0e-3\neval.splits: [val, 'test']\ndevice: cuda:0\n";
  int ok = 0;
  for (size_t n = 0; n <= text.size(); n++) {
    Cfg c;
    ASSERT_EQ(kp_config_new(&c.c), KP_OK);
    kp_status s = kp_config_merge_yaml(c, text.data(), n, "cut.yaml");
    if (s == KP_OK) {
      ok++;
      continue;
    }
    std::string msg = kp_last_error();
    EXPECT_EQ(msg.rfind("cut.yaml:", 0), 0u) << n << ": " << msg;
    EXPECT_TRUE(isdigit((unsigned char)msg[9])) << n << ": " << msg;
  }
  EXPECT_GT(ok, 10);
}

// Whatever configs/ holds must load as it is (data files are not opened here).
TEST(ConfigBadInputs, ShippedConfigsAreValid) {
  std::string dir = std::string(KPRCA_SOURCE_DIR) + "/configs";
  int count = 0;
  if (fs::is_directory(dir))
    for (auto &e : fs::directory_iterator(dir)) {
      if (e.path().extension() != ".yaml") continue;
      count++;
      Cfg c;
      EXPECT_EQ(load({e.path().string()}, {}, c), KP_OK) << kp_last_error();
    }
  std::printf("%d config(s) in configs/ checked\n", count);
}

// ---- Command line ----

TEST(ConfigOverrides, TypedByTheSchemaWithTheSameChecks) {
  std::string f = write_file("min.yaml", kMinimal);
  Cfg c;
  ASSERT_EQ(load({f},
                 {"optim.lr=0.005", "--model.name=gat", "data.fanouts=25,10", "model.layers=2",
                  "optim.betas=[0.8, 0.9]", "eval.splits=[test]", "output.name=null", "data.path=123",
                  "train.class_weights=[1, 2.5]", "device=cuda", "data.batch_size=64"},
                 c),
            KP_OK)
      << kp_last_error();
  EXPECT_EQ(kp_config_float(c, "optim.lr"), 0.005);
  EXPECT_STREQ(kp_config_string(c, "model.name"), "gat");
  size_t n;
  const int64_t *fo = kp_config_ints(c, "data.fanouts", &n);
  ASSERT_EQ(n, 2u);
  EXPECT_EQ(fo[1], 10);
  EXPECT_EQ(kp_config_floats(c, "optim.betas", &n)[1], 0.9);
  EXPECT_STREQ(kp_config_strings(c, "eval.splits", &n)[0], "test");
  EXPECT_EQ(n, 1u);
  EXPECT_FALSE(kp_config_has(c, "output.name"));
  EXPECT_STREQ(kp_config_string(c, "data.path"), "123");
  EXPECT_EQ(kp_config_floats(c, "train.class_weights", &n)[1], 2.5);
  EXPECT_EQ(src(c, "optim.lr"), "<command line>");
  EXPECT_EQ(src(c, "output.dir"), f + ":4:3");
}

TEST(ConfigOverrides, ErrorsNameTheCommandLine) {
  struct Case {
    const char *arg, *msg;
  } cases[] = {
      {"optim.lr=-1", "<command line>: optim.lr = -1: must be > 0"},
      {"--optim.lrr=1", "<command line>: unknown key 'optim.lrr' (did you mean 'optim.lr'?)"},
      {"model.name=gatt",
       "<command line>: model.name = 'gatt': allowed values are gcn, sage, gat, mlp, bert (did you mean 'gat'?)"},
      {"train.epochs=abc", "<command line>: train.epochs = abc: expected an integer"},
      {"model.bias=1", "<command line>: model.bias = 1: expected true or false"},
      {"data.fanouts=[25,10", "<command line>: data.fanouts = [25,10: unterminated list: expected ']' at the end"},
      {"data.fanouts=25,,10", "<command line>: data.fanouts = 25,,10: empty list element (two commas in a row?)"},
      {"optim.betas=0.9", "<command line>: optim.betas = [0.9]: expected 2 values, got 1"},
      {"optim.lr=[0.1]", "<command line>: optim.lr = [0.1]: expected a number, got a list"},
      {"data.path=", "<command line>: data.path = null: a value is required (a string)"},
      {"optim=1",
       "<command line>: 'optim' is a section; set one of its keys (name, lr, weight_decay, "
       "weight_decay_scope, betas, eps, ...), e.g. optim.name=..."},
      {"lr", "<command line>: 'lr': expected KEY=VALUE, e.g. optim.lr=0.005"},
      {"=3", "<command line>: '=3': expected KEY=VALUE, e.g. optim.lr=0.005"},
  };
  for (auto &k : cases) {
    Cfg c;
    ASSERT_EQ(kp_config_new(&c.c), KP_OK);
    EXPECT_EQ(kp_config_override(c, k.arg, nullptr), KP_ERR_INVALID) << k.arg;
    EXPECT_EQ(std::string(kp_last_error()), k.msg) << k.arg;
  }
}

TEST(ConfigArgs, SplitsConfigArgumentsFromTheRest) {
  std::string a = write_file("args_a.yaml", std::string(kMinimal) + "optim:\n  lr: 0.1\nmodel:\n  heads: 2\n");
  std::string b = write_file("args_b.yaml", "optim:\n  lr: 0.2\n");
  std::vector<std::string> args = {
      "kprca-train", "optim.lr=0.3", "--config",     a,    "--print-config", "--model.heads", "4",
      "--resume",    "auto",         "-c",           b,    "--device",       "cpu",           "--config=" + b,
      "pos.txt",     "--",           "--optim.lr=9", "x=y"};
  std::vector<char *> argv;
  for (auto &s : args) argv.push_back(s.data());
  Cfg c;
  kp_config_rest rest;
  ASSERT_EQ(kp_config_from_args((int)argv.size(), argv.data(), &c.c, &rest), KP_OK) << kp_last_error();
  EXPECT_EQ(kp_config_float(c, "optim.lr"), 0.3);  // overrides come after every file
  EXPECT_EQ(kp_config_int(c, "model.heads"), 4);
  EXPECT_STREQ(kp_config_string(c, "device"), "cpu");
  size_t n;
  kp_config_files(c, &n);
  EXPECT_EQ(n, 3u);
  std::vector<std::string> got(rest.argv, rest.argv + rest.argc);
  EXPECT_EQ(got, (std::vector<std::string>{"kprca-train", "--print-config", "--resume", "auto", "pos.txt",
                                           "--optim.lr=9", "x=y"}));
  EXPECT_EQ(rest.argv[rest.argc], nullptr);
  kp_config_rest_free(&rest);
}

TEST(ConfigArgs, Errors) {
  std::string a = write_file("args_err.yaml", kMinimal);
  struct Case {
    std::vector<std::string> args;
    std::string msg;
  } cases[] = {
      {{"t", "--config"}, "--config needs a file name"},
      {{"t", "--config", a, "--optim.lr"},
       "<command line>: --optim.lr needs a value (--optim.lr VALUE or optim.lr=VALUE)"},
      {{"t", "--config", a, "--optim.lr", "-1"}, "<command line>: optim.lr = -1: must be > 0"},
      {{"t", "--config", a, "--model.hiden=3"},
       "<command line>: unknown key 'model.hiden' (did you mean 'model.hidden'?)"},
      {{"t", "model.name=gat"},
       "missing required key 'data.path' (no --config file given); set it in a config file or pass data.path=..."},
      {{"t", "--config", a, "--config", tmpdir() + "/nope.yaml"},
       tmpdir() + "/nope.yaml: cannot open the config: No such file or directory"},
  };
  for (auto &k : cases) {
    std::vector<char *> argv;
    for (auto &s : k.args) argv.push_back(s.data());
    Cfg c;
    kp_config_rest rest;
    EXPECT_NE(kp_config_from_args((int)argv.size(), argv.data(), &c.c, &rest), KP_OK) << k.args.back();
    EXPECT_EQ(std::string(kp_last_error()), k.msg);
    EXPECT_EQ(c.c, nullptr);
    EXPECT_EQ(rest.argv, nullptr);
  }
}

TEST(Config, RunNameFromOutputNameElseFirstFileElseModel) {
  std::string a = write_file("cora gat.yaml", kMinimal), b = write_file("b.yml", "model: {name: sage}\n");
  char buf[64];
  Cfg c1, c2, c3;
  ASSERT_EQ(load({a, b}, {}, c1), KP_OK) << kp_last_error();
  EXPECT_STREQ(kp_config_run_name(c1, buf, sizeof buf), "cora_gat");
  ASSERT_EQ(load({b, a}, {"output.name=x-1"}, c2), KP_OK);
  EXPECT_STREQ(kp_config_run_name(c2, buf, sizeof buf), "x-1");
  ASSERT_EQ(load({}, {"data.path=a", "output.dir=o", "model.name=gat"}, c3), KP_OK);
  EXPECT_STREQ(kp_config_run_name(c3, buf, sizeof buf), "gat");
}

// ---- Printing and saving ----

TEST(ConfigPrint, FloatsReadBackExactlyAndLookLikeFloats) {
  auto fmt = [](double x) {
    char buf[48];
    kp_cfg_format_float(x, buf, sizeof buf);
    return std::string(buf);
  };
  EXPECT_EQ(fmt(0.1), "0.1");
  EXPECT_EQ(fmt(1.0), "1.0");
  EXPECT_EQ(fmt(-3.0), "-3.0");
  EXPECT_EQ(fmt(0.0), "0.0");
  EXPECT_EQ(fmt(5e-4), "0.0005");
  EXPECT_EQ(fmt(1e-8), "1.0e-08");  // PyYAML reads 1e-08 as a string, 1.0e-08 as a float
  EXPECT_EQ(fmt(2.5e20), "2.5e+20");
  EXPECT_EQ(fmt(0.30000000000000004), "0.30000000000000004");
  std::mt19937_64 rng(7);
  for (int i = 0; i < 2000; i++) {
    uint64_t bits = rng();
    double x;
    memcpy(&x, &bits, sizeof x);
    if (!std::isfinite(x)) continue;
    std::string t = fmt(x);
    EXPECT_EQ(strtod(t.c_str(), nullptr), x) << t;
    EXPECT_TRUE(t.find('.') != std::string::npos) << t;
  }
}

TEST(ConfigPrint, EveryKeyPrintedGroupedBySection) {
  std::string f = write_file("print.yaml", std::string(kMinimal) + "optim:\n  lr: 0.005\n");
  Cfg c;
  ASSERT_EQ(load({f}, {"model.name=gat"}, c), KP_OK);
  std::string y = yaml(c);
  for (size_t i = 0; i < kp_config_schema_count(); i++) {
    std::string p = kp_config_schema(i)->path;
    std::string leaf = p.substr(p.rfind('.') == std::string::npos ? 0 : p.rfind('.') + 1);
    EXPECT_NE(y.find(leaf + ": "), std::string::npos) << p;
  }
  EXPECT_EQ(y.rfind("model:\n  name: gat\n  task: node\n", 0), 0u) << y;
  EXPECT_NE(y.find("\noptim:\n  name: adam\n  lr: 0.005\n"), std::string::npos) << y;
  EXPECT_NE(y.find("\n  betas: [0.9, 0.999]\n  eps: 1.0e-08\n"), std::string::npos) << y;
  EXPECT_NE(y.find("\n  name: null\n"), std::string::npos) << y;
  EXPECT_NE(y.find("\ndevice: auto\n"), std::string::npos) << y;
  std::string ys = yaml(c, KP_CFG_PRINT_SOURCES);
  EXPECT_NE(ys.find("  lr: 0.005  # " + f + ":6:3\n"), std::string::npos) << ys;
  EXPECT_NE(ys.find("  name: gat  # <command line>\n"), std::string::npos) << ys;
  EXPECT_NE(ys.find("  task: node\n"), std::string::npos) << ys;  // defaults carry no comment
}

TEST(ConfigPrint, SavedConfigLoadsBackToTheSameConfig) {
  std::string f = write_file("rt.yaml",
                             "model: {name: sage, dropout: 0.1, negative_slope: 0.30000000000000004, head_layers: 2}\n"
                             "data:\n  path: \"my data/x: y #1.h5\"\n  split: [0.7, 0.2, 0.1]\n  fanouts: [-1, 10]\n"
                             "  batch_size: 128\n"
                             "optim: {lr: 1e-20, weight_decay: 5e-4, betas: [0.5, 0.75], clip_norm: 1e300}\n"
                             "train: {class_weights: [1, 2, 3.5], seed: 9007199254740993}\n"
                             "eval: {metrics: [macro_f1]}\n"
                             "output: {dir: \"true\", name: run-1.b}\n"
                             "device: cuda:3\n");
  Cfg c;
  ASSERT_EQ(load({f}, {"data.format=graph"}, c), KP_OK) << kp_last_error();
  std::string out = tmpdir() + "/saved.yaml";
  ASSERT_EQ(kp_config_save(c, out.c_str()), KP_OK) << kp_last_error();
  std::string text = read_file(out);
  EXPECT_EQ(text.rfind("# Resolved config written by kprca ", 0), 0u);
  EXPECT_NE(text.find("Read from: " + f + ", then command-line overrides.\n"), std::string::npos) << text;
  EXPECT_NE(text.find("  path: \"my data/x: y #1.h5\"\n"), std::string::npos) << text;
  EXPECT_NE(text.find("  dir: \"true\"\n"), std::string::npos) << text;
  EXPECT_NE(text.find("  lr: 1.0e-20\n"), std::string::npos) << text;
  EXPECT_NE(text.find("  weight_decay: 0.0005\n"), std::string::npos) << text;
  EXPECT_NE(text.find("  class_weights: [1.0, 2.0, 3.5]\n"), std::string::npos) << text;
  Cfg back;
  ASSERT_EQ(load({out}, {}, back), KP_OK) << kp_last_error();
  EXPECT_EQ(yaml(back), yaml(c));
  EXPECT_EQ(kp_config_float(back, "model.negative_slope"), 0.30000000000000004);
  EXPECT_EQ(kp_config_float(back, "optim.clip_norm"), 1e300);
  EXPECT_EQ(kp_config_int(back, "train.seed"), 9007199254740993LL);
  EXPECT_STREQ(kp_config_string(back, "data.path"), "my data/x: y #1.h5");
  EXPECT_STREQ(kp_config_string(back, "output.dir"), "true");
  // Defaults alone round-trip too (with the required keys set).
  Cfg d, d2;
  ASSERT_EQ(load({}, {"data.path=a.h5", "output.dir=o"}, d), KP_OK);
  std::string out2 = tmpdir() + "/saved_defaults.yaml";
  ASSERT_EQ(kp_config_save(d, out2.c_str()), KP_OK);
  ASSERT_EQ(load({out2}, {}, d2), KP_OK) << kp_last_error();
  EXPECT_EQ(yaml(d2), yaml(d));
  // No temporary file is left next to the saved one.
  for (auto &e : fs::directory_iterator(tmpdir()))
    EXPECT_EQ(e.path().filename().string().find(".tmp"), std::string::npos) << e.path();
}

TEST(ConfigPrint, StringsThatLookLikeOtherTypesAreQuoted) {
  const char *values[] = {"null",
                          "True",
                          "yes",
                          "1.5",
                          "1_000",
                          "12:30",
                          "",
                          " lead",
                          "a: b",
                          "#x",
                          "-x",
                          "tab\there",
                          "quote\"back\\slash",
                          "utf8-é",
                          ".inf",
                          "~"};
  for (const char *v : values) {
    Cfg c, back;
    ASSERT_EQ(kp_config_new(&c.c), KP_OK);
    ASSERT_EQ(kp_config_merge_yaml(c, kMinimal, strlen(kMinimal), "min"), KP_OK);
    std::string y = std::string("data:\n  path: \"");
    for (const char *p = v; *p; p++) {
      if (*p == '"' || *p == '\\') y += '\\';
      if (*p == '\t') {
        y += "\\t";
        continue;
      }
      y += *p;
    }
    y += "\"\n";
    ASSERT_EQ(kp_config_merge_yaml(c, y.c_str(), y.size(), "q"), KP_OK) << v << ": " << kp_last_error();
    ASSERT_STREQ(kp_config_string(c, "data.path"), v);
    std::string text = yaml(c);
    ASSERT_EQ(kp_config_new(&back.c), KP_OK);
    ASSERT_EQ(kp_config_merge_yaml(back, text.c_str(), text.size(), "printed"), KP_OK) << v << "\n" << text;
    EXPECT_STREQ(kp_config_string(back, "data.path"), v) << text;
  }
}

// ---- docs/configs.md ----

TEST(ConfigDocs, CommittedDocsMatchTheSchema) {
  char *md = kp_config_docs_markdown();
  ASSERT_NE(md, nullptr);
  std::string want = md;
  free(md);
  for (size_t i = 0; i < kp_config_schema_count(); i++)
    EXPECT_NE(want.find(std::string("| `") + kp_config_schema(i)->path + "` |"), std::string::npos);
  std::string path = std::string(KPRCA_SOURCE_DIR) + "/docs/configs.md";
  if (getenv("KPRCA_UPDATE_DOCS")) {
    std::ofstream(path, std::ios::binary) << want;
    std::printf("wrote %s\n", path.c_str());
  }
  EXPECT_TRUE(read_file(path) == want) << "docs/configs.md differs from what src/io/config_schema.c generates. "
                                          "Regenerate it with:\n  KPRCA_UPDATE_DOCS=1 "
                                       << KPRCA_BINARY_DIR << "/tests/unit_test_config --gtest_filter='ConfigDocs.*'";
}
