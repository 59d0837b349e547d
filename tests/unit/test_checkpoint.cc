// Training checkpoints: bit-exact round trips of parameter tables (ranks 1..4), scalars and texts;
// one-line mismatch reports; atomic writes; corrupt, foreign and future files; the latest pointer,
// resolve and prune; and the HDF5 additions they rest on (rank 3-4, f64, scalars, texts, listing).
#include <sys/stat.h>
#include <unistd.h>
#include <cmath>
#include <cstring>
#include <fstream>
#include "h5util.h"
#include "kprca/checkpoint.h"
#include "h5_filters_util.h"

using kpt::filters_of;
using kpt::msg_has;
using kpt::slurp;
using kpt::TmpDir;

namespace {

struct Entry {
  std::string name;
  std::vector<int64_t> shape;
};

/* A CPU parameter table with the given entries, allocated, values and gradients set from seed. */
struct Table {
  kp_params p{};
  explicit Table(const std::vector<Entry> &es, uint32_t seed = 1, kp_device dev = kp_cpu()) {
    kp_params_init(&p, dev);
    for (auto &e : es)
      if (kp_params_add(&p, e.name.c_str(), (int)e.shape.size(), e.shape.data(), KP_INIT_ZEROS, 0, nullptr) != KP_OK)
        throw std::runtime_error(kp_last_error());
    if (kp_params_alloc(&p) != KP_OK) throw std::runtime_error(kp_last_error());
    for (int i = 0; i < p.count; i++) {
      std::vector<float> v((size_t)p.items[i].numel);
      for (size_t k = 0; k < v.size(); k++) {
        /* arbitrary bit patterns, special values included (NaN payloads, -0, denormals, inf) */
        uint32_t bits = (uint32_t)(seed * 2654435761u) ^ (uint32_t)((i + 1) * 40503u) ^ (uint32_t)(k * 2246822519u);
        if (k % 7 == 3) bits = 0x7fc01234u + (uint32_t)k;  // NaN with a payload
        if (k % 11 == 5) bits = 0x80000000u;                // -0
        if (k % 13 == 6) bits = 0x00000001u;                // smallest denormal
        if (k % 17 == 8) bits = 0xff800000u;                // -inf
        memcpy(&v[k], &bits, 4);
      }
      if (kp_params_set(&p, i, v.data(), (int64_t)v.size()) != KP_OK) throw std::runtime_error(kp_last_error());
    }
  }
  ~Table() { kp_params_free(&p); }
  std::vector<uint32_t> bits(const kp_tensor &t) const {
    std::vector<uint32_t> v((size_t)p.total);
    kp_tensor h = kp_tensor_wrap(v.data(), KP_F32, kp_cpu(), 1, &p.total);
    if (kp_tensor_copy(&h, &t) != KP_OK) throw std::runtime_error(kp_last_error());
    return v;
  }
};

const std::vector<Entry> kGat = {{"convs.0.lin.weight", {8, 5}},
                                 {"convs.0.att_src", {1, 2, 4}},
                                 {"convs.0.bias", {8}},
                                 {"head.0.weight", {2, 1, 3, 2}}};

void spit(const std::string &path, const std::string &s) {
  std::ofstream f(path, std::ios::binary);
  f << s;
}
bool exists(const std::string &p) {
  struct stat st;
  return stat(p.c_str(), &st) == 0;
}

/* Writes a complete checkpoint of t (values under params/, gradients under adam/m) plus scalars. */
void write_ckpt(const std::string &path, const Table &t) {
  kp_ckpt *c = nullptr;
  KP_ASSERT_OK(kp_ckpt_create(path.c_str(), &c));
  KP_ASSERT_OK(kp_ckpt_put_flat(c, "params", &t.p, &t.p.data));
  KP_ASSERT_OK(kp_ckpt_put_flat(c, "adam/m", &t.p, &t.p.grad));
  KP_ASSERT_OK(kp_ckpt_put_int(c, "epoch", 7));
  KP_ASSERT_OK(kp_ckpt_commit(c));
}

}  // namespace

TEST(Checkpoint, RoundTripIsBitExact) {
  TmpDir dir;
  std::string path = dir / "epoch-000007.h5";
  Table a(kGat, 1);
  std::vector<float> g((size_t)a.p.total, 0.0f);
  for (int i = 0; i < a.p.count; i++)  // gradients: other values, gaps stay zero
    for (int64_t k = 0; k < a.p.items[i].numel; k++) g[(size_t)(a.p.items[i].offset + k)] = (float)k * 0.1f - 1.0f;
  kp_tensor gw = kp_tensor_wrap(g.data(), KP_F32, kp_cpu(), 1, &a.p.total);
  KP_ASSERT_OK(kp_tensor_copy(&a.p.grad, &gw));
  const uint64_t offset = 0xfedcba9876543210ull;  // above INT64_MAX
  const double best = 0.1 + 1e-17, nan_payload = std::nan("0x123");
  const char *labels[] = {"oom", "null-deref", "gpu:Xid 79", "überhitzt"};
  const std::string config = "model:\n  kind: gat\n  heads: 8\n# ünïcödé\n";
  float extra[3] = {1.5f, -0.0f, 3e-39f};

  kp_ckpt *c = nullptr;
  KP_ASSERT_OK(kp_ckpt_create(path.c_str(), &c));
  EXPECT_FALSE(exists(path)) << "nothing may appear at the path before commit";
  KP_ASSERT_OK(kp_ckpt_put_flat(c, "params", &a.p, &a.p.data));
  KP_ASSERT_OK(kp_ckpt_put_flat(c, "optim/m", &a.p, &a.p.grad));
  KP_ASSERT_OK(kp_ckpt_put_int(c, "epoch", 7));
  KP_ASSERT_OK(kp_ckpt_put_int(c, "rng/offset", (int64_t)offset));
  KP_ASSERT_OK(kp_ckpt_put_int(c, "rng/neg", INT64_MIN));
  KP_ASSERT_OK(kp_ckpt_put_double(c, "best/metric", best));
  KP_ASSERT_OK(kp_ckpt_put_double(c, "best/nan", nan_payload));
  KP_ASSERT_OK(kp_ckpt_put_text(c, "config", config.c_str()));
  KP_ASSERT_OK(kp_ckpt_put_text(c, "empty_text", ""));
  KP_ASSERT_OK(kp_ckpt_put_strings(c, "label_names", 4, labels));
  KP_ASSERT_OK(kp_ckpt_put_f32(c, "loss_history", extra, 3));
  EXPECT_NE(kp_ckpt_put_int(c, "epoch", 8), KP_OK) << "a name is written once";
  KP_ASSERT_OK(kp_ckpt_commit(c));
  EXPECT_EQ(dir.list(), std::vector<std::string>{"epoch-000007.h5"}) << "no temporary file left";

  Table b(kGat, 99);  // same layout, other values
  ASSERT_NE(a.bits(a.p.data), b.bits(b.p.data));
  KP_ASSERT_OK(kp_ckpt_open(path.c_str(), &c));
  KP_ASSERT_OK(kp_ckpt_get_flat(c, "params", &b.p, &b.p.data));
  KP_ASSERT_OK(kp_ckpt_get_flat(c, "optim/m", &b.p, &b.p.grad));
  EXPECT_EQ(a.bits(a.p.data), b.bits(b.p.data));
  EXPECT_EQ(a.bits(a.p.grad), b.bits(b.p.grad));
  int64_t v = 0;
  KP_EXPECT_OK(kp_ckpt_get_int(c, "epoch", &v));
  EXPECT_EQ(v, 7);
  KP_EXPECT_OK(kp_ckpt_get_int(c, "rng/offset", &v));
  EXPECT_EQ((uint64_t)v, offset);
  KP_EXPECT_OK(kp_ckpt_get_int(c, "rng/neg", &v));
  EXPECT_EQ(v, INT64_MIN);
  double d = 0, d2 = 0;
  KP_EXPECT_OK(kp_ckpt_get_double(c, "best/metric", &d));
  KP_EXPECT_OK(kp_ckpt_get_double(c, "best/nan", &d2));
  EXPECT_EQ(memcmp(&d, &best, 8), 0);
  EXPECT_EQ(memcmp(&d2, &nan_payload, 8), 0);
  char *text = nullptr;
  KP_EXPECT_OK(kp_ckpt_get_text(c, "config", &text));
  EXPECT_EQ(std::string(text ? text : "(null)"), config);
  free(text);
  KP_EXPECT_OK(kp_ckpt_get_text(c, "empty_text", &text));
  EXPECT_EQ(std::string(text ? text : "(null)"), "");
  free(text);
  kp_strings s{};
  KP_EXPECT_OK(kp_ckpt_get_strings(c, "label_names", &s));
  ASSERT_EQ(s.n, 4);
  for (int i = 0; i < 4; i++) EXPECT_STREQ(s.s[i], labels[i]);
  kp_strings_free(&s);
  float back[3];
  KP_EXPECT_OK(kp_ckpt_get_f32(c, "loss_history", back, 3));
  EXPECT_EQ(memcmp(back, extra, sizeof extra), 0);
  EXPECT_TRUE(kp_ckpt_has(c, "rng/offset"));
  EXPECT_TRUE(kp_ckpt_has(c, "params/convs.0.att_src"));
  EXPECT_FALSE(kp_ckpt_has(c, "rng/seed"));
  EXPECT_FALSE(kp_ckpt_has(c, "nope/deeper"));
  // wrong kinds and sizes
  EXPECT_EQ(kp_ckpt_get_f32(c, "loss_history", back, 2), KP_ERR_FORMAT);
  EXPECT_TRUE(msg_has({"'loss_history' has 3 elements, expected 2"}));
  EXPECT_EQ(kp_ckpt_get_int(c, "best/metric", &v), KP_ERR_FORMAT);
  EXPECT_TRUE(msg_has({path, "best/metric", "floating-point"}));
  EXPECT_EQ(kp_ckpt_get_int(c, "rng/seed", &v), KP_ERR_FORMAT);
  EXPECT_TRUE(msg_has({path, "'rng/seed' missing"}));
  EXPECT_EQ(kp_ckpt_get_text(c, "epoch", &text), KP_ERR_FORMAT);
  EXPECT_EQ(kp_ckpt_get_int(c, "label_names", &v), KP_ERR_FORMAT);
  EXPECT_NE(kp_ckpt_put_int(c, "x", 1), KP_OK) << "a checkpoint opened for reading takes no writes";
  kp_ckpt_close(c);
}

TEST(Checkpoint, MismatchIsOneLineNamingEverything) {
  TmpDir dir;
  std::string path = dir / "x.h5";
  Table saved({{"convs.0.lin.weight", {16, 1433}}, {"convs.0.bias", {16}}, {"head.0.weight", {7, 16}}});
  write_ckpt(path, saved);
  Table model({{"convs.0.lin.weight", {8, 1433}}, {"convs.0.bias", {16}}, {"convs.1.bias", {7}}}, 5);
  auto before = model.bits(model.p.data);
  kp_ckpt *c = nullptr;
  KP_ASSERT_OK(kp_ckpt_open(path.c_str(), &c));
  EXPECT_EQ(kp_ckpt_get_flat(c, "params", &model.p, &model.p.data), KP_ERR_FORMAT);
  EXPECT_EQ(std::string(kp_last_error()), "checkpoint " + path +
                                              ": params: missing convs.1.bias; unexpected head.0.weight; "
                                              "convs.0.lin.weight has shape [16, 1433], model expects [8, 1433]");
  EXPECT_EQ(before, model.bits(model.p.data)) << "a failed read leaves the buffer alone";
  // ranks differ too
  Table r3({{"convs.0.lin.weight", {16, 1433, 1}}, {"convs.0.bias", {16}}, {"head.0.weight", {7, 16}}});
  EXPECT_EQ(kp_ckpt_get_flat(c, "params", &r3.p, &r3.p.data), KP_ERR_FORMAT);
  EXPECT_EQ(std::string(kp_last_error()), "checkpoint " + path +
                                              ": params: convs.0.lin.weight has shape [16, 1433], model expects "
                                              "[16, 1433, 1]");
  // a group that is not there
  EXPECT_EQ(kp_ckpt_get_flat(c, "adam/v", &saved.p, &saved.p.grad), KP_ERR_FORMAT);
  EXPECT_TRUE(msg_has({path, "no group 'adam/v'"}));
  // a buffer of the wrong size
  kp_tensor small = model.p.data;
  small.shape[0] -= 1;
  EXPECT_EQ(kp_ckpt_get_flat(c, "params", &saved.p, &small), KP_ERR_INVALID);
  kp_ckpt_close(c);
}

TEST(Checkpoint, LongMismatchListsAreCut) {
  TmpDir dir;
  std::string path = dir / "x.h5";
  std::vector<Entry> a, b;
  for (int i = 0; i < 9; i++) a.push_back({"a." + std::to_string(i), {2}});
  for (int i = 0; i < 6; i++) b.push_back({"b." + std::to_string(i), {2}});
  Table ta(a), tb(b);
  write_ckpt(path, ta);
  kp_ckpt *c = nullptr;
  KP_ASSERT_OK(kp_ckpt_open(path.c_str(), &c));
  EXPECT_EQ(kp_ckpt_get_flat(c, "params", &tb.p, &tb.p.data), KP_ERR_FORMAT);
  EXPECT_EQ(std::string(kp_last_error()), "checkpoint " + path +
                                              ": params: missing b.0, b.1, b.2, b.3 and 2 more; unexpected a.0, a.1, "
                                              "a.2, a.3 and 5 more");
  kp_ckpt_close(c);
}

TEST(Checkpoint, AtomicReplaceAndAbort) {
  TmpDir dir;
  std::string path = dir / "c.h5";
  Table a(kGat, 1), b(kGat, 2);
  write_ckpt(path, a);
  std::string first = slurp(path);
  kp_ckpt *c = nullptr;
  KP_ASSERT_OK(kp_ckpt_create(path.c_str(), &c));
  KP_ASSERT_OK(kp_ckpt_put_flat(c, "params", &b.p, &b.p.data));
  EXPECT_EQ(slurp(path), first) << "the old file is untouched until commit";
  EXPECT_EQ(dir.list().size(), 2u) << "the new one is written next to it";
  kp_ckpt_abort(c);
  EXPECT_EQ(dir.list(), std::vector<std::string>{"c.h5"});
  EXPECT_EQ(slurp(path), first);
  write_ckpt(path, b);
  Table r(kGat, 3);
  KP_ASSERT_OK(kp_ckpt_open(path.c_str(), &c));
  KP_ASSERT_OK(kp_ckpt_get_flat(c, "params", &r.p, &r.p.data));
  EXPECT_EQ(r.bits(r.p.data), b.bits(b.p.data));
  kp_ckpt_close(c);
  kp_ckpt_abort(nullptr);
  kp_ckpt_close(nullptr);
  EXPECT_NE(kp_ckpt_create((dir.path + "/no/such/dir/c.h5").c_str(), &c), KP_OK);
  EXPECT_EQ(c, nullptr);
}

TEST(Checkpoint, CorruptForeignAndFutureFiles) {
  TmpDir dir;
  std::string good = dir / "good.h5";
  Table a(kGat);
  write_ckpt(good, a);
  std::string bytes = slurp(good);
  kp_ckpt *c = nullptr;
  // missing
  EXPECT_EQ(kp_ckpt_open((dir / "none.h5").c_str(), &c), KP_ERR_IO);
  EXPECT_TRUE(msg_has({"cannot read checkpoint", "none.h5"}));
  // not HDF5 at all
  spit(dir / "text.h5", "model: gat\n");
  EXPECT_EQ(kp_ckpt_open((dir / "text.h5").c_str(), &c), KP_ERR_FORMAT);
  EXPECT_TRUE(msg_has({"text.h5", "not an HDF5 file"}));
  // truncated at several places: open or the reads must fail cleanly, never return garbage as OK
  for (size_t cut : {size_t(0), size_t(64), size_t(600), bytes.size() / 2, bytes.size() - 8}) {
    std::string p = dir / ("cut" + std::to_string(cut) + ".h5");
    spit(p, bytes.substr(0, cut));
    kp_status s = kp_ckpt_open(p.c_str(), &c);
    if (s == KP_OK) {
      Table r(kGat, 5);
      s = kp_ckpt_get_flat(c, "params", &r.p, &r.p.data);
      if (s == KP_OK) s = kp_ckpt_get_flat(c, "adam/m", &r.p, &r.p.grad);
      int64_t e;
      if (s == KP_OK) s = kp_ckpt_get_int(c, "epoch", &e);
      kp_ckpt_close(c);
    }
    EXPECT_NE(s, KP_OK) << "cut at " << cut << " of " << bytes.size();
    EXPECT_TRUE(msg_has({p})) << "cut at " << cut;
  }
  // a damaged byte inside a weight: the checksum catches it, naming the dataset
  {
    auto bits = a.bits(a.p.data);
    int i = kp_params_find(&a.p, "convs.0.lin.weight");
    std::string needle((const char *)&bits[(size_t)a.p.items[i].offset], 32);
    size_t at = bytes.find(needle);
    ASSERT_NE(at, std::string::npos);
    std::string bad = bytes;
    bad[at + 20] ^= 0x10;
    std::string p = dir / "flipped.h5";
    spit(p, bad);
    KP_ASSERT_OK(kp_ckpt_open(p.c_str(), &c));
    Table r(kGat, 5);
    EXPECT_EQ(kp_ckpt_get_flat(c, "params", &r.p, &r.p.data), KP_ERR_FORMAT);
    EXPECT_TRUE(msg_has({p, "params/convs.0.lin.weight", "read failed"}));
    KP_EXPECT_OK(kp_ckpt_get_flat(c, "adam/m", &r.p, &r.p.grad));  // the rest still reads
    kp_ckpt_close(c);
  }
  // a kprca dataset file, and an HDF5 file without attributes
  kp_h5 *h = nullptr;
  KP_ASSERT_OK(kp_h5_create((dir / "data.h5").c_str(), &h));
  KP_ASSERT_OK(kp_h5_set_attr_str(h, "/", "format", "kprca.graphs"));
  KP_ASSERT_OK(kp_h5_set_attr_int(h, "/", "version", 1));
  KP_ASSERT_OK(kp_h5_commit(h));
  EXPECT_EQ(kp_ckpt_open((dir / "data.h5").c_str(), &c), KP_ERR_FORMAT);
  EXPECT_TRUE(msg_has({"cannot read checkpoint", "data.h5", "\"kprca.graphs\"", "\"kprca.checkpoint\""}));
  KP_ASSERT_OK(kp_h5_create((dir / "bare.h5").c_str(), &h));
  KP_ASSERT_OK(kp_h5_commit(h));
  EXPECT_EQ(kp_ckpt_open((dir / "bare.h5").c_str(), &c), KP_ERR_FORMAT);
  EXPECT_TRUE(msg_has({"bare.h5", "format", "kprca.checkpoint"}));
  // a future version
  KP_ASSERT_OK(kp_h5_create((dir / "v2.h5").c_str(), &h));
  KP_ASSERT_OK(kp_h5_set_attr_str(h, "/", "format", KP_CKPT_FORMAT));
  KP_ASSERT_OK(kp_h5_set_attr_int(h, "/", "version", KP_CKPT_VERSION + 1));
  KP_ASSERT_OK(kp_h5_commit(h));
  EXPECT_EQ(kp_ckpt_open((dir / "v2.h5").c_str(), &c), KP_ERR_FORMAT);
  EXPECT_TRUE(msg_has({"v2.h5", "version 2 is newer than this kprca reads (up to 1)"}));
  EXPECT_EQ(c, nullptr);
}

TEST(Checkpoint, LatestPointerAndResolve) {
  TmpDir dir;
  std::string run = dir.path, ck = dir / "checkpoints";
  ASSERT_EQ(mkdir(ck.c_str(), 0777), 0);
  char out[4096];
  // nothing yet
  EXPECT_EQ(kp_ckpt_resolve(run.c_str(), out, sizeof out), KP_ERR_IO);
  EXPECT_TRUE(msg_has({run + "/checkpoints has no 'latest' pointer file"}));
  EXPECT_EQ(kp_ckpt_resolve(ck.c_str(), out, sizeof out), KP_ERR_IO);
  EXPECT_TRUE(msg_has({ck + "/latest", ck + "/checkpoints/latest"}));
  EXPECT_EQ(kp_ckpt_resolve((dir / "missing").c_str(), out, sizeof out), KP_ERR_IO);
  EXPECT_TRUE(msg_has({"missing", "expected a checkpoint file, a checkpoints folder or a run directory"}));
  // pointing at a file that is not there, or at something outside the folder, fails
  EXPECT_NE(kp_ckpt_set_latest(ck.c_str(), "epoch-000001.h5"), KP_OK);
  EXPECT_TRUE(msg_has({"epoch-000001.h5"}));
  EXPECT_EQ(kp_ckpt_set_latest(ck.c_str(), "../x.h5"), KP_ERR_INVALID);
  EXPECT_FALSE(exists(ck + "/latest"));

  Table a(kGat);
  write_ckpt(ck + "/epoch-000001.h5", a);
  write_ckpt(ck + "/epoch-000002.h5", a);
  KP_ASSERT_OK(kp_ckpt_set_latest(ck.c_str(), "epoch-000001.h5"));
  KP_ASSERT_OK(kp_ckpt_set_latest(ck.c_str(), "epoch-000002.h5"));
  EXPECT_EQ(slurp(ck + "/latest"), "epoch-000002.h5\n");
  struct stat st;
  ASSERT_EQ(stat((ck + "/latest").c_str(), &st), 0);
  EXPECT_NE(st.st_mode & 0044, 0u) << "the pointer is readable like any output";
  // the three ways in
  KP_ASSERT_OK(kp_ckpt_resolve(run.c_str(), out, sizeof out));
  EXPECT_EQ(std::string(out), ck + "/epoch-000002.h5");
  KP_ASSERT_OK(kp_ckpt_resolve(ck.c_str(), out, sizeof out));
  EXPECT_EQ(std::string(out), ck + "/epoch-000002.h5");
  KP_ASSERT_OK(kp_ckpt_resolve((ck + "/epoch-000001.h5").c_str(), out, sizeof out));
  EXPECT_EQ(std::string(out), ck + "/epoch-000001.h5");
  EXPECT_EQ(kp_ckpt_resolve(run.c_str(), out, 8), KP_ERR_INVALID) << "too small a buffer";
  // no temporary files left by the pointer writes
  std::vector<std::string> want = {"epoch-000001.h5", "epoch-000002.h5", "latest"};
  std::vector<std::string> got;
  for (auto &e : std::filesystem::directory_iterator(ck)) got.push_back(e.path().filename().string());
  std::sort(got.begin(), got.end());
  EXPECT_EQ(got, want);
  // a pointer to a removed file, and a damaged pointer
  unlink((ck + "/epoch-000002.h5").c_str());
  EXPECT_EQ(kp_ckpt_resolve(run.c_str(), out, sizeof out), KP_ERR_IO);
  EXPECT_TRUE(msg_has({ck + "/latest names epoch-000002.h5, which does not exist"}));
  spit(ck + "/latest", "../../etc/passwd\n");
  EXPECT_EQ(kp_ckpt_resolve(run.c_str(), out, sizeof out), KP_ERR_FORMAT);
  EXPECT_TRUE(msg_has({ck + "/latest:1", "expected the name of a checkpoint file"}));
  spit(ck + "/latest", "");
  EXPECT_EQ(kp_ckpt_resolve(ck.c_str(), out, sizeof out), KP_ERR_FORMAT);
  spit(ck + "/latest", "epoch-000001.h5\r\n");  // tolerant of an edited pointer
  KP_ASSERT_OK(kp_ckpt_resolve(run.c_str(), out, sizeof out));
  EXPECT_EQ(std::string(out), ck + "/epoch-000001.h5");
}

TEST(Checkpoint, ResolveAFolderOfRunsTakesItsNewestRun) {
  TmpDir dir;  // output.dir/NAME holding timestamped runs
  char out[4096];
  EXPECT_EQ(kp_ckpt_resolve(dir.path.c_str(), out, sizeof out), KP_ERR_IO);
  EXPECT_TRUE(msg_has({"RUN/checkpoints/latest in its subfolders"}));
  Table a(kGat);
  for (const char *run : {"20261125-100000", "20261125-120000", "20261125-110000"}) {
    std::string ck = dir / run;
    ASSERT_EQ(mkdir(ck.c_str(), 0777), 0);
    ck += "/checkpoints";
    ASSERT_EQ(mkdir(ck.c_str(), 0777), 0);
    write_ckpt(ck + "/epoch-000001.h5", a);
    KP_ASSERT_OK(kp_ckpt_set_latest(ck.c_str(), "epoch-000001.h5"));
  }
  std::string newest = dir / "20261125-130000";  // newer, but without a checkpoint: skipped
  ASSERT_EQ(mkdir(newest.c_str(), 0777), 0);
  KP_ASSERT_OK(kp_ckpt_resolve(dir.path.c_str(), out, sizeof out));
  EXPECT_EQ(std::string(out), dir / "20261125-120000/checkpoints/epoch-000001.h5");
}

TEST(Checkpoint, PruneKeepsNewestProtectedAndLatest) {
  TmpDir dir;
  std::string ck = dir.path;
  auto name = [](int e) {
    char b[32];
    snprintf(b, sizeof b, "epoch-%06d.h5", e);
    return std::string(b);
  };
  for (int e = 1; e <= 10; e++) spit(ck + "/" + name(e), "x");
  spit(ck + "/best.h5", "x");
  spit(ck + "/notes.txt", "x");
  spit(ck + "/epoch-000011.h5.tmp-abcdef", "x");  // an unfinished write: not ours to touch
  ASSERT_EQ(mkdir((ck + "/epoch-000000.h5").c_str(), 0777), 0);  // not a file
  KP_ASSERT_OK(kp_ckpt_set_latest(ck.c_str(), name(4).c_str()));  // e.g. resumed from an old one
  const char *protect[] = {"/elsewhere/epoch-000002.h5", nullptr};
  KP_ASSERT_OK(kp_ckpt_prune(ck.c_str(), "epoch-", 0, protect));
  EXPECT_EQ(dir.list().size(), 15u) << "keep 0 removes nothing";
  KP_ASSERT_OK(kp_ckpt_prune(ck.c_str(), "epoch-", 4, protect));
  // the newest four, plus the protected and the latest target
  std::vector<std::string> want = {"best.h5", "epoch-000000.h5", name(2),  name(4),   name(7),   name(8),
                                   name(9),   name(10),          "epoch-000011.h5.tmp-abcdef", "latest", "notes.txt"};
  std::sort(want.begin(), want.end());
  EXPECT_EQ(dir.list(), want);
  KP_ASSERT_OK(kp_ckpt_prune(ck.c_str(), "epoch-", 4, protect));
  EXPECT_EQ(dir.list(), want) << "pruning again changes nothing";
  KP_ASSERT_OK(kp_ckpt_prune(ck.c_str(), "epoch-", 1, nullptr));
  want = {"best.h5", "epoch-000000.h5", name(4), name(10), "epoch-000011.h5.tmp-abcdef", "latest", "notes.txt"};
  EXPECT_EQ(dir.list(), want) << "the newest stays, and so does latest's target (epoch 4)";
  EXPECT_EQ(kp_ckpt_prune(ck.c_str(), "epoch-", -1, nullptr), KP_ERR_INVALID);
  EXPECT_EQ(kp_ckpt_prune((dir / "none").c_str(), "epoch-", 2, nullptr), KP_ERR_IO);
  // a damaged pointer stops pruning (it might have named any file)
  spit(ck + "/latest", "../x\n");
  EXPECT_NE(kp_ckpt_prune(ck.c_str(), "epoch-", 1, nullptr), KP_OK);
  EXPECT_EQ(dir.list(), want);
}

TEST(Checkpoint, DeviceBuffers) {
  if (kp_cuda_device_count() == 0) GTEST_SKIP() << "no CUDA device";
  TmpDir dir;
  std::string path = dir / "g.h5";
  Table a(kGat, 1, kp_cuda(0)), b(kGat, 2, kp_cuda(0));
  write_ckpt(path, a);
  kp_ckpt *c = nullptr;
  KP_ASSERT_OK(kp_ckpt_open(path.c_str(), &c));
  KP_ASSERT_OK(kp_ckpt_get_flat(c, "params", &b.p, &b.p.data));
  kp_ckpt_close(c);
  EXPECT_EQ(a.bits(a.p.data), b.bits(b.p.data));
}

// ---- the HDF5 additions ----------------------------------------------------------------------

TEST(H5Ext, RankFourF64ScalarsTextsAndListing) {
  TmpDir dir;
  std::string path = dir / "h.h5";
  std::vector<float> x(2 * 3 * 4 * 5);
  for (size_t i = 0; i < x.size(); i++) x[i] = (float)i - 60.5f;
  std::vector<double> y = {0.1, -1e300, 5e-324};
  int64_t s4[] = {2, 3, 4, 5}, s3[] = {1, 3, 1}, s1[] = {3};
  kp_h5 *h = nullptr;
  KP_ASSERT_OK(kp_h5_create(path.c_str(), &h));
  KP_ASSERT_OK(kp_h5_write(h, "g/x4", KP_H5_F32, 4, s4, x.data()));
  KP_ASSERT_OK(kp_h5_set_gzip(h, 0));
  KP_ASSERT_OK(kp_h5_write(h, "g/x3", KP_H5_F32, 3, s3, x.data()));
  KP_ASSERT_OK(kp_h5_write(h, "y", KP_H5_F64, 1, s1, y.data()));
  int64_t big = INT64_MAX;
  int32_t i32 = -5;
  double pi = 3.141592653589793;
  KP_ASSERT_OK(kp_h5_write_scalar(h, "s/big", KP_H5_I64, &big));
  KP_ASSERT_OK(kp_h5_write_scalar(h, "s/i32", KP_H5_I32, &i32));
  KP_ASSERT_OK(kp_h5_write_scalar(h, "s/pi", KP_H5_F64, &pi));
  KP_ASSERT_OK(kp_h5_write_text(h, "t", "bad \xff utf-8"));
  EXPECT_EQ(kp_h5_write_scalar(h, "s/pi", KP_H5_F64, &pi), KP_ERR_INVALID);
  EXPECT_EQ(kp_h5_set_gzip(h, 10), KP_ERR_INVALID);
  int64_t s5[] = {1, 1, 1, 1, 1};
  EXPECT_EQ(kp_h5_write(h, "x5", KP_H5_F32, 5, s5, x.data()), KP_ERR_INVALID);
  KP_ASSERT_OK(kp_h5_commit(h));

  H5D_layout_t layout;
  unsigned level = 0;
  EXPECT_EQ(filters_of(path, "g/x4", &layout, &level).size(), 2u);
  EXPECT_EQ(level, (unsigned)KP_H5_GZIP_LEVEL);
  EXPECT_TRUE(filters_of(path, "g/x3", &layout).empty());
  EXPECT_EQ(layout, H5D_CONTIGUOUS);

  KP_ASSERT_OK(kp_h5_open(path.c_str(), &h));
  int nd = -1;
  int64_t sh[KP_H5_MAX_RANK] = {0};
  KP_ASSERT_OK(kp_h5_shape_nd(h, "g/x4", &nd, sh));
  EXPECT_EQ(nd, 4);
  EXPECT_EQ(std::vector<int64_t>(sh, sh + 4), std::vector<int64_t>(s4, s4 + 4));
  KP_ASSERT_OK(kp_h5_shape_nd(h, "s/pi", &nd, sh));
  EXPECT_EQ(nd, 0);
  int64_t sh2[KP_H5_MAX_DIMS];
  EXPECT_EQ(kp_h5_shape(h, "g/x3", &nd, sh2), KP_ERR_FORMAT) << "the old call keeps its 2-D limit";
  void *d = nullptr;
  KP_ASSERT_OK(kp_h5_read(h, "g/x4", KP_H5_F32, 4, sh, &d));
  EXPECT_EQ(memcmp(d, x.data(), x.size() * 4), 0);
  free(d);
  KP_ASSERT_OK(kp_h5_read(h, "g/x3", KP_H5_F32, 3, sh, &d));
  EXPECT_EQ(memcmp(d, x.data(), 3 * 4), 0);
  free(d);
  KP_ASSERT_OK(kp_h5_read(h, "y", KP_H5_F64, 1, sh, &d));
  EXPECT_EQ(memcmp(d, y.data(), 3 * 8), 0);
  free(d);
  EXPECT_EQ(kp_h5_read(h, "y", KP_H5_I64, 1, sh, &d), KP_ERR_FORMAT);
  int64_t v = 0;
  KP_EXPECT_OK(kp_h5_read_scalar(h, "s/big", KP_H5_I64, &v));
  EXPECT_EQ(v, INT64_MAX);
  EXPECT_EQ(kp_h5_read_scalar(h, "s/big", KP_H5_I32, &i32), KP_ERR_FORMAT);
  EXPECT_TRUE(msg_has({"'s/big' = 9223372036854775807 does not fit in i32"}));
  int8_t i8 = 0;
  KP_EXPECT_OK(kp_h5_read_scalar(h, "s/i32", KP_H5_I8, &i8));
  EXPECT_EQ(i8, -5);
  double dv = 0;
  KP_EXPECT_OK(kp_h5_read_scalar(h, "s/i32", KP_H5_F64, &dv));
  EXPECT_EQ(dv, -5.0);
  KP_EXPECT_OK(kp_h5_read_scalar(h, "s/pi", KP_H5_F64, &dv));
  EXPECT_EQ(dv, pi);
  EXPECT_EQ(kp_h5_read_scalar(h, "s/pi", KP_H5_I64, &v), KP_ERR_FORMAT);
  EXPECT_EQ(kp_h5_read_scalar(h, "y", KP_H5_F64, &dv), KP_ERR_FORMAT);
  EXPECT_TRUE(msg_has({"'y' has 1 dimension(s), expected a scalar"}));
  EXPECT_EQ(kp_h5_read_scalar(h, "t", KP_H5_F64, &dv), KP_ERR_FORMAT);
  char *t = nullptr;
  KP_EXPECT_OK(kp_h5_read_text(h, "t", &t));
  EXPECT_STREQ(t, "bad \xef\xbf\xbd utf-8");
  free(t);
  EXPECT_EQ(kp_h5_read_text(h, "s/pi", &t), KP_ERR_FORMAT);
  kp_strings names{};
  KP_ASSERT_OK(kp_h5_list(h, "/", &names));
  ASSERT_EQ(names.n, 4);
  EXPECT_STREQ(names.s[0], "g");
  EXPECT_STREQ(names.s[3], "y");
  kp_strings_free(&names);
  KP_ASSERT_OK(kp_h5_list(h, "s", &names));
  ASSERT_EQ(names.n, 3);
  EXPECT_STREQ(names.s[0], "big");
  kp_strings_free(&names);
  EXPECT_EQ(kp_h5_list(h, "y", &names), KP_ERR_FORMAT);
  EXPECT_EQ(kp_h5_list(h, "nope", &names), KP_ERR_FORMAT);
  EXPECT_EQ(kp_h5_set_gzip(h, 0), KP_ERR_INVALID);
  kp_h5_close(h);
}

// Optional: the files read naturally in h5py (needs a python with h5py: $KPRCA_H5PY_PYTHON or python3).
TEST(Checkpoint, ReadableByH5py) {
  const char *env = getenv("KPRCA_H5PY_PYTHON");
  std::string py = env && *env ? env : "python3";
  if (system((py + " -c 'import h5py' >/dev/null 2>&1").c_str()) != 0)
    GTEST_SKIP() << "no h5py (set KPRCA_H5PY_PYTHON to a python that has it)";
  TmpDir dir;
  std::string path = dir / "c.h5";
  Table a(kGat);
  kp_ckpt *c = nullptr;
  KP_ASSERT_OK(kp_ckpt_create(path.c_str(), &c));
  KP_ASSERT_OK(kp_ckpt_put_flat(c, "params", &a.p, &a.p.data));
  KP_ASSERT_OK(kp_ckpt_put_int(c, "rng/offset", -2));
  KP_ASSERT_OK(kp_ckpt_put_double(c, "best", 0.25));
  KP_ASSERT_OK(kp_ckpt_put_text(c, "config", "a: 1\n"));
  const char *labels[] = {"oom", "über"};
  KP_ASSERT_OK(kp_ckpt_put_strings(c, "label_names", 2, labels));
  KP_ASSERT_OK(kp_ckpt_commit(c));
  std::string script = dir / "check.py";
  spit(script,
       "import sys, h5py, numpy as np\n"
       "f = h5py.File(sys.argv[1], 'r')\n"
       "assert f.attrs['format'] == 'kprca.checkpoint' and f.attrs['version'] == 1\n"
       "assert f['params/convs.0.att_src'].shape == (1, 2, 4) and f['params/convs.0.att_src'].dtype == np.float32\n"
       "assert f['params/head.0.weight'].shape == (2, 1, 3, 2)\n"
       "assert f['rng/offset'][()] == -2 and np.uint64(f['rng/offset'][()].astype(np.uint64)) == 2**64 - 2\n"
       "assert f['best'][()] == 0.25\n"
       "assert f['config'].asstr()[()] == 'a: 1\\n'\n"
       "assert list(f['label_names'].asstr()[:]) == ['oom', 'über']\n"
       "print(np.asarray(f['params/convs.0.bias']).view(np.uint32).tolist())\n");
  std::string outp = dir / "out.txt";
  ASSERT_EQ(system((py + " " + script + " " + path + " > " + outp).c_str()), 0) << slurp(outp);
  std::vector<uint32_t> want;
  auto bits = a.bits(a.p.data);
  int i = kp_params_find(&a.p, "convs.0.bias");
  for (int64_t k = 0; k < a.p.items[i].numel; k++) want.push_back(bits[(size_t)(a.p.items[i].offset + k)]);
  std::string s = "[";
  for (size_t k = 0; k < want.size(); k++) s += (k ? ", " : "") + std::to_string(want[k]);
  EXPECT_EQ(slurp(outp), s + "]\n");
}
