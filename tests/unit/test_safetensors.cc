// safetensors: reading files written by the reference package (every dtype, f16/bf16 -> f32 exactly),
// one malformed file per problem with the message it must give, and the writer reproducing the reference
// package's bytes, round-tripping, refusing bad input and leaving nothing behind when it fails.
#include <sys/stat.h>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include "kprca/safetensors.h"
#include "testutil.h"

using kpt::slurp;
using kpt::TmpDir;

namespace {
const std::string FIX = std::string(KPRCA_SOURCE_DIR) + "/tests/fixtures/safetensors/";

struct St {
  kp_safetensors *st = nullptr;
  explicit St(const std::string &p) {
    if (kp_st_open(p.c_str(), &st) != KP_OK) throw std::runtime_error(kp_last_error());
  }
  ~St() { kp_st_close(st); }
  const kp_st_tensor *operator[](const char *n) const { return kp_st_find(st, n); }
};

std::vector<float> f32(const kp_st_tensor *t) {
  std::vector<float> v((size_t)t->numel);
  if (kp_st_to_f32(t, v.data(), t->numel) != KP_OK) throw std::runtime_error(kp_last_error());
  return v;
}
std::vector<int64_t> shape(const kp_st_tensor *t) { return std::vector<int64_t>(t->shape, t->shape + t->ndim); }
}  // namespace

TEST(Safetensors, ReadsEveryDtypeWrittenByTheReference) {
  St f(FIX + "dtypes.safetensors");
  EXPECT_EQ(kp_st_count(f.st), 10u);
  EXPECT_STREQ(kp_st_metadata(f.st, "format"), "pt");
  EXPECT_STREQ(kp_st_metadata(f.st, "note"), "kprca fixture");
  EXPECT_EQ(kp_st_metadata(f.st, "nope"), nullptr);
  EXPECT_EQ(f["nope"], nullptr);

  const kp_st_tensor *t = f["f32"];
  ASSERT_NE(t, nullptr);
  EXPECT_EQ(t->dtype, KP_ST_F32);
  EXPECT_EQ(shape(t), (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(f32(t), (std::vector<float>{1.5f, -2.25f, 0.0f, 3e-5f, 1e30f, -7.0f}));

  t = f["f16"];
  EXPECT_EQ(t->dtype, KP_ST_F16);
  std::vector<float> h = f32(t);
  std::vector<float> want = {1.0f, -2.5f, 65504.0f, std::ldexp(1.0f, -24), std::ldexp(1.0f, -14),
                             std::numeric_limits<float>::infinity(), -0.0f, 0.333251953125f};
  ASSERT_EQ(h.size(), want.size());
  for (size_t i = 0; i < h.size(); i++) EXPECT_EQ(h[i], want[i]) << "f16[" << i << "]";
  EXPECT_TRUE(std::signbit(h[6]));

  t = f["bf16"];
  EXPECT_EQ(t->dtype, KP_ST_BF16);
  EXPECT_EQ(f32(t), (std::vector<float>{1.0f, -3.0f, std::ldexp(1.0f, -133), 3.3895313892515355e38f}));

  EXPECT_EQ(f32(f["f64"]), (std::vector<float>{(float)0.1, (float)-1e-3, 2.5f}));
  EXPECT_EQ(f32(f["i64"]), (std::vector<float>{1.f, -2.f, 1099511627776.f}));
  EXPECT_EQ(shape(f["i32"]), (std::vector<int64_t>{2, 1}));
  EXPECT_EQ(f32(f["i32"]), (std::vector<float>{7.f, -8.f}));
  EXPECT_EQ(f32(f["u8"]), (std::vector<float>{0.f, 255.f}));
  EXPECT_EQ(f["flags"]->dtype, KP_ST_BOOL);
  EXPECT_EQ(f32(f["flags"]), (std::vector<float>{1.f, 0.f, 1.f}));
  EXPECT_EQ(f["scalar"]->ndim, 0);
  EXPECT_EQ(f32(f["scalar"]), (std::vector<float>{4.5f}));
  EXPECT_EQ(shape(f["empty"]), (std::vector<int64_t>{0, 3}));
  EXPECT_EQ(f["empty"]->numel, 0);

  // kp_st_at walks the data in order: each tensor starts where the previous one ended.
  uint64_t at = 0;
  for (size_t i = 0; i < kp_st_count(f.st); i++) {
    EXPECT_EQ(kp_st_at(f.st, i)->begin, at);
    at = kp_st_at(f.st, i)->end;
  }
  float one;
  EXPECT_EQ(kp_st_to_f32(f["f32"], &one, 1), KP_ERR_INVALID);
  EXPECT_TRUE(kpt::has(kp_last_error(), "'f32'")) << kp_last_error();
}

TEST(Safetensors, MalformedFilesFailWithTheirProblem) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"truncated", "too short for the 8-byte header length"},
      {"header_past_end", "header length 1000 runs past the end of the 66-byte file"},
      {"huge_header", "over the 100000000-byte limit"},
      {"not_json", "not valid JSON (near byte"},
      {"not_object", "does not start with '{'"},
      {"trailing_text", "text after the JSON header (byte 3 of 4)"},
      {"truncated_data", "tensor 'a': data_offsets [0, 24] run past the data section (12 bytes)"},
      {"overlap", "tensor 'b': data_offsets [8, 24] overlap tensor 'a' (ends at 16)"},
      {"gap", "tensor 'b': data_offsets begin at 20, leaving a gap after byte 16"},
      {"wrong_length", "tensor 'a': F32 of 6 elements needs 24 bytes, data_offsets give 20"},
      {"unknown_dtype", "tensor 'a': unknown dtype \"F31\""},
      {"negative_shape", "tensor 'a': shape[0] is not a non-negative integer"},
      {"leftover_bytes", "the tensors cover 16 bytes of a 20-byte data section"},
      {"duplicate", "tensor 'a' appears twice"},
      {"metadata_not_string", "__metadata__ \"format\" is not a string"},
      {"end_before_begin", "data_offsets [16, 0] end before they begin"},
      {"bad_offsets", "\"data_offsets\" is not [begin, end]"},
      {"too_many_dims", "9 dimensions, at most 8"},
      {"shape_overflow", "shape product overflows"},
  };
  for (auto &c : cases) {
    std::string p = FIX + "bad/" + c.first + ".safetensors";
    kp_safetensors *st = reinterpret_cast<kp_safetensors *>(1);
    kp_status s = kp_st_open(p.c_str(), &st);
    EXPECT_EQ(s, KP_ERR_FORMAT) << c.first;
    EXPECT_EQ(st, nullptr) << c.first;
    std::string m = kp_last_error();
    EXPECT_TRUE(kpt::has(m, c.second)) << c.first << ": " << m;
    EXPECT_TRUE(kpt::has(m, p)) << c.first << ": message does not name the file: " << m;
  }
  std::vector<std::string> files;
  for (auto &e : std::filesystem::directory_iterator(FIX + "bad")) files.push_back(e.path().stem().string());
  EXPECT_EQ(files.size(), cases.size()) << "every file under bad/ has a case";

  kp_safetensors *st = nullptr;
  EXPECT_EQ(kp_st_open((FIX + "missing.safetensors").c_str(), &st), KP_ERR_IO);
  EXPECT_TRUE(kpt::has(kp_last_error(), "cannot open")) << kp_last_error();
  EXPECT_EQ(kp_st_open(FIX.c_str(), &st), KP_ERR_IO);  // a directory
}

TEST(Safetensors, WriterReproducesTheReferenceBytes) {
  // Same tensors and metadata as writer_golden() in scripts/golden/safetensors_fixture.py.
  TmpDir d;
  std::vector<float> w = {0, 0.5f, 1, 1.5f, 2, 2.5f}, b = {1, -1, 0.25f}, odd = {2};
  std::vector<int64_t> ids = {3, -1, 1LL << 40, 0};
  std::vector<uint16_t> h = {0x3800, 0xc000, 0x6400, 0x0000, 0x3c00};  // 0.5 -2 1024 0 1 in f16
  std::vector<uint8_t> mask = {1, 0, 7};
  double s = 9.0;
  int64_t s23[] = {2, 3}, s3[] = {3}, s4[] = {4}, s5[] = {5}, s1[] = {1};
  std::vector<kp_st_entry> e = {
      {"w", KP_ST_F32, 2, s23, w.data()},     {"b", KP_ST_F32, 1, s3, b.data()},
      {"ids", KP_ST_I64, 1, s4, ids.data()},  {"h", KP_ST_F16, 1, s5, h.data()},
      {"mask", KP_ST_U8, 1, s3, mask.data()}, {"odd\"na\\me\xc3\xbc", KP_ST_F32, 1, s1, odd.data()},
      {"s", KP_ST_F64, 0, nullptr, &s},
  };
  const char *meta[] = {"format", "np"};
  std::string out = d / "w.safetensors";
  KP_ASSERT_OK(kp_st_write(out.c_str(), e.data(), e.size(), meta, 1));
  std::string got = slurp(out), ref = slurp(FIX + "writer_golden.safetensors");
  ASSERT_FALSE(ref.empty());
  EXPECT_EQ(got.size(), ref.size());
  EXPECT_TRUE(got == ref) << "header written:\n" << got.substr(8, 400) << "\nreference:\n" << ref.substr(8, 400);
  EXPECT_EQ(d.list().size(), 1u) << "no temporary file left";
  struct stat sb;
  ASSERT_EQ(stat(out.c_str(), &sb), 0);
  EXPECT_EQ(sb.st_mode & 0777, 0644u);
}

TEST(Safetensors, WriterRoundTripsAndSortsMetadata) {
  TmpDir d;
  std::vector<float> a(37 * 5);
  for (size_t i = 0; i < a.size(); i++) a[i] = (float)i * 0.37f - 11.0f;
  std::vector<uint16_t> bf = {0x3f80, 0xc040, 0x0001};  // 1, -3, the smallest bf16 subnormal
  int64_t sa[] = {37, 5}, sb[] = {3}, sz[] = {0, 4};
  kp_st_entry e[] = {{"z.weight", KP_ST_F32, 2, sa, a.data()},
                     {"a.bf", KP_ST_BF16, 1, sb, bf.data()},
                     {"empty", KP_ST_F32, 2, sz, nullptr}};
  const char *meta[] = {"zeta", "last", "format", "pt", "alpha", "a \"quoted\"\nvalue"};
  std::string out = d / "r.safetensors";
  KP_ASSERT_OK(kp_st_write(out.c_str(), e, 3, meta, 3));
  std::string bytes = slurp(out);
  uint64_t n = 0;
  memcpy(&n, bytes.data(), 8);
  EXPECT_EQ(n % 8, 0u) << "header padded to 8 bytes";
  EXPECT_EQ(bytes.substr(8, 40), "{\"__metadata__\":{\"alpha\":\"a \\\"quoted\\\"\\n");
  St f(out);
  ASSERT_EQ(kp_st_count(f.st), 3u);
  EXPECT_EQ(f32(f["z.weight"]), a);
  EXPECT_EQ(shape(f["z.weight"]), (std::vector<int64_t>{37, 5}));
  EXPECT_EQ(f32(f["a.bf"]), (std::vector<float>{1.f, -3.f, std::ldexp(1.0f, -133)}));
  EXPECT_EQ(f["empty"]->numel, 0);
  ASSERT_EQ(kp_st_metadata_count(f.st), 3u);
  const char *k, *v;
  kp_st_metadata_at(f.st, 0, &k, &v);
  EXPECT_STREQ(k, "alpha");
  EXPECT_STREQ(v, "a \"quoted\"\nvalue");
  kp_st_metadata_at(f.st, 2, &k, &v);
  EXPECT_STREQ(k, "zeta");
  // F32 before BF16 (wider first), then by name.
  EXPECT_STREQ(kp_st_at(f.st, 0)->name, "empty");
  EXPECT_STREQ(kp_st_at(f.st, 1)->name, "z.weight");
  EXPECT_STREQ(kp_st_at(f.st, 2)->name, "a.bf");
}

TEST(Safetensors, WriterRefusesBadInputAndLeavesNothing) {
  TmpDir d;
  float x[4] = {1, 2, 3, 4};
  int64_t s4[] = {4}, sneg[] = {-1};
  std::string out = d / "bad.safetensors";
  auto refuse = [&](std::vector<kp_st_entry> e, const char *msg, const char *const *meta = nullptr, size_t nm = 0) {
    EXPECT_EQ(kp_st_write(out.c_str(), e.data(), e.size(), meta, nm), KP_ERR_INVALID) << msg;
    EXPECT_TRUE(kpt::has(kp_last_error(), msg)) << kp_last_error();
    EXPECT_EQ(d.list().size(), 0u) << msg;
  };
  refuse({{"a", KP_ST_F32, 1, s4, x}, {"a", KP_ST_F32, 1, s4, x}}, "tensor 'a' given twice");
  refuse({{"", KP_ST_F32, 1, s4, x}}, "has no name");
  refuse({{"__metadata__", KP_ST_F32, 1, s4, x}}, "may not be called __metadata__");
  refuse({{"a", KP_ST_F32, 1, sneg, x}}, "negative shape[0]");
  refuse({{"a", KP_ST_F32, 1, s4, nullptr}}, "tensor 'a': no data");
  refuse({{"a", KP_ST_F32, 9, s4, x}}, "9 dimensions");
  const char *dup[] = {"k", "1", "k", "2"};
  refuse({{"a", KP_ST_F32, 1, s4, x}}, "metadata key k", dup, 2);

  kp_st_entry ok = {"a", KP_ST_F32, 1, s4, x};
  std::string nodir = d / "no/such/dir/x.safetensors";
  EXPECT_EQ(kp_st_write(nodir.c_str(), &ok, 1, nullptr, 0), KP_ERR_IO);
  EXPECT_TRUE(kpt::has(kp_last_error(), nodir)) << kp_last_error();

  // Replacing an existing file is atomic: the old one stays readable until the rename.
  KP_ASSERT_OK(kp_st_write(out.c_str(), &ok, 1, nullptr, 0));
  x[0] = 9;
  KP_ASSERT_OK(kp_st_write(out.c_str(), &ok, 1, nullptr, 0));
  St f(out);
  EXPECT_EQ(f32(f["a"])[0], 9.f);
  EXPECT_EQ(d.list().size(), 1u);
}

TEST(Safetensors, DtypeNames) {
  for (int i = 0; i < KP_ST_NDTYPES; i++) {
    kp_st_dtype dt;
    KP_EXPECT_OK(kp_st_dtype_parse(kp_st_dtype_name((kp_st_dtype)i), &dt));
    EXPECT_EQ(dt, (kp_st_dtype)i);
    EXPECT_GT(kp_st_dtype_size(dt), 0u);
  }
  kp_st_dtype dt;
  EXPECT_EQ(kp_st_dtype_parse("F4", &dt), KP_ERR_FORMAT);
  EXPECT_TRUE(kpt::has(kp_last_error(), "sub-byte")) << kp_last_error();
  EXPECT_EQ(kp_st_dtype_parse("f32", &dt), KP_ERR_FORMAT);  // names are case-sensitive, as in the format
}
