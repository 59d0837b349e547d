// The HDF5 storage layer: round trips of every element type, compression filters really on,
// UTF-8 strings, attributes, type-checked reads, atomic create/commit/abort, error messages.
#include <fstream>
#include <sys/stat.h>
#include "h5util.h"
#include "h5_filters_util.h"

using kpt::filters_of;
using kpt::msg_has;
using kpt::slurp;
using kpt::TmpDir;

namespace {
kp_h5 *create(const std::string &path) {
  kp_h5 *h = nullptr;
  EXPECT_EQ(kp_h5_create(path.c_str(), &h), KP_OK) << kp_last_error();
  return h;
}
kp_h5 *open(const std::string &path) {
  kp_h5 *h = nullptr;
  EXPECT_EQ(kp_h5_open(path.c_str(), &h), KP_OK) << kp_last_error();
  return h;
}
}  // namespace

TEST(H5, NumericRoundTripEveryType) {
  TmpDir dir;
  std::string p = dir / "a.h5";
  std::vector<float> x(37 * 5);
  for (size_t i = 0; i < x.size(); i++) x[i] = (float)i * 0.25f - 7.0f;
  std::vector<int32_t> i32 = {0, -1, INT32_MAX, INT32_MIN, 42};
  std::vector<int64_t> i64 = {INT64_MAX, INT64_MIN, 5000000000LL, -3};
  std::vector<int8_t> i8 = {0, 1, -128, 127};
  kp_h5 *h = create(p);
  KP_ASSERT_OK(kpt::h5_put2(h, "x", 37, 5, x));
  KP_ASSERT_OK(kpt::h5_put(h, "deep/group/i32", i32));
  KP_ASSERT_OK(kpt::h5_put(h, "i64", i64));
  KP_ASSERT_OK(kpt::h5_put(h, "i8", i8));
  KP_ASSERT_OK(kpt::h5_put(h, "empty", std::vector<int32_t>{}));
  KP_ASSERT_OK(kpt::h5_put2(h, "empty2", 0, 4, std::vector<float>{}));
  KP_ASSERT_OK(kp_h5_commit(h));

  h = open(p);
  int64_t shape[2];
  void *d;
  KP_ASSERT_OK(kp_h5_read(h, "x", KP_H5_F32, 2, shape, &d));
  EXPECT_EQ(shape[0], 37);
  EXPECT_EQ(shape[1], 5);
  EXPECT_EQ(std::vector<float>((float *)d, (float *)d + x.size()), x);
  free(d);
  EXPECT_EQ(kpt::h5_get<int32_t>(h, "deep/group/i32"), i32);
  EXPECT_EQ(kpt::h5_get<int64_t>(h, "i64"), i64);
  EXPECT_EQ(kpt::h5_get<int8_t>(h, "i8"), i8);
  EXPECT_TRUE(kpt::h5_get<int32_t>(h, "empty").empty());
  KP_ASSERT_OK(kp_h5_read(h, "empty2", KP_H5_F32, 2, shape, &d));
  EXPECT_EQ(shape[0], 0);
  EXPECT_EQ(shape[1], 4);
  free(d);
  // widening reads: i8 -> i64, i32 -> f32
  EXPECT_EQ(kpt::h5_get<int64_t>(h, "i8"), (std::vector<int64_t>{0, 1, -128, 127}));
  EXPECT_EQ(kpt::h5_get<float>(h, "i8"), (std::vector<float>{0, 1, -128, 127}));
  // narrowing reads succeed when every value fits
  EXPECT_EQ(kpt::h5_get<int8_t>(h, "empty").size(), 0u);
  EXPECT_TRUE(kp_h5_exists(h, "deep/group/i32"));
  EXPECT_TRUE(kp_h5_exists(h, "deep"));
  EXPECT_FALSE(kp_h5_exists(h, "deep/nope/i32"));
  EXPECT_FALSE(kp_h5_exists(h, "nope"));
  int nd;
  KP_ASSERT_OK(kp_h5_shape(h, "x", &nd, shape));
  EXPECT_EQ(nd, 2);
  kp_h5_close(h);
}

TEST(H5, ChunkedWithShuffleAndGzip) {
  TmpDir dir;
  std::string p = dir / "c.h5";
  kp_h5 *h = create(p);
  std::vector<float> zeros(1 << 20, 0.0f);  // 4 MiB of zeros
  KP_ASSERT_OK(kpt::h5_put2(h, "x", 1024, 1024, zeros));
  KP_ASSERT_OK(kpt::h5_put(h, "y", std::vector<int32_t>(100000, 3)));
  KP_ASSERT_OK(kpt::h5_put_strings(h, "s", std::vector<std::string>(1000, "same line")));
  KP_ASSERT_OK(kp_h5_commit(h));
  for (const char *name : {"x", "y", "s"}) {
    H5D_layout_t layout;
    unsigned level = 0;
    auto f = filters_of(p, name, &layout, &level);
    EXPECT_EQ(layout, H5D_CHUNKED) << name;
    ASSERT_EQ(f.size(), 2u) << name;
    EXPECT_EQ(f[0], H5Z_FILTER_SHUFFLE) << name;
    EXPECT_EQ(f[1], H5Z_FILTER_DEFLATE) << name;
    EXPECT_EQ(level, (unsigned)KP_H5_GZIP_LEVEL) << name;
  }
  struct stat st;
  ASSERT_EQ(stat(p.c_str(), &st), 0);
  EXPECT_LT(st.st_size, 200 * 1024) << "4.4 MB of constant data should compress far below this";
}

TEST(H5, Utf8StringsRoundTrip) {
  TmpDir dir;
  std::string p = dir / "s.h5";
  std::string big(100000, 'k');
  big += "\xc3\xa9";
  std::vector<std::string> v = {"", "plain ascii", "caf\xc3\xa9 \xc3\xbc \xe6\x97\xa5\xe6\x9c\xac \xf0\x9f\x9a\x80",
                                "tab\there", big};
  kp_h5 *h = create(p);
  KP_ASSERT_OK(kpt::h5_put_strings(h, "text", v));
  KP_ASSERT_OK(kpt::h5_put_strings(h, "bad", {"\xff\xfe x", "ok"}));
  KP_ASSERT_OK(kpt::h5_put_strings(h, "none", {}));
  KP_ASSERT_OK(kp_h5_commit(h));
  h = open(p);
  EXPECT_EQ(kpt::h5_get_strings(h, "text"), v);
  // invalid UTF-8 is written repaired, so strict decoders (h5py) can read it
  EXPECT_EQ(kpt::h5_get_strings(h, "bad"), (std::vector<std::string>{"\xef\xbf\xbd\xef\xbf\xbd x", "ok"}));
  EXPECT_TRUE(kpt::h5_get_strings(h, "none").empty());
  kp_h5_close(h);
  // on disk: variable-length strings declared UTF-8 (what h5py decodes to str)
  hid_t f = H5Fopen(p.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
  hid_t d = H5Dopen2(f, "text", H5P_DEFAULT);
  hid_t t = H5Dget_type(d);
  EXPECT_EQ(H5Tget_class(t), H5T_STRING);
  EXPECT_GT(H5Tis_variable_str(t), 0);
  EXPECT_EQ(H5Tget_cset(t), H5T_CSET_UTF8);
  H5Tclose(t);
  H5Dclose(d);
  H5Fclose(f);
}

TEST(H5, FixedLengthStringsReadToo) {
  // numpy bytes arrays become fixed-length, NUL-padded strings in h5py
  TmpDir dir;
  std::string p = dir / "f.h5";
  hid_t f = H5Fcreate(p.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  hid_t t = H5Tcopy(H5T_C_S1);
  H5Tset_size(t, 6);
  H5Tset_strpad(t, H5T_STR_NULLPAD);
  hsize_t n = 3;
  hid_t sp = H5Screate_simple(1, &n, nullptr);
  hid_t d = H5Dcreate2(f, "names", t, sp, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  const char buf[18] = {'o', 'o', 'm', 0, 0, 0, 'x', 'i', 'd', '7', '9', '!', 0, 0, 0, 0, 0, 0};
  ASSERT_GE(H5Dwrite(d, t, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf), 0);
  H5Dclose(d);
  H5Sclose(sp);
  H5Tclose(t);
  H5Fclose(f);
  kp_h5 *h = open(p);
  EXPECT_EQ(kpt::h5_get_strings(h, "names"), (std::vector<std::string>{"oom", "xid79!", ""}));
  kp_h5_close(h);
}

TEST(H5, Attributes) {
  TmpDir dir;
  std::string p = dir / "a.h5";
  kp_h5 *h = create(p);
  KP_ASSERT_OK(kpt::h5_put(h, "y", std::vector<int32_t>{1, 2}));
  KP_ASSERT_OK(kp_h5_set_attr_str(h, "/", "format", "kprca.test"));
  KP_ASSERT_OK(kp_h5_set_attr_int(h, "/", "version", 3));
  KP_ASSERT_OK(kp_h5_set_attr_int(h, "/", "version", 1));  // overwrite
  KP_ASSERT_OK(kp_h5_set_attr_str(h, "y", "unit", "\xc2\xb5s \xe2\x86\x92 ok"));
  EXPECT_EQ(kp_h5_set_attr_str(h, "missing", "k", "v"), KP_ERR_INVALID);
  EXPECT_TRUE(msg_has({"a.h5", "missing"}));
  KP_ASSERT_OK(kp_h5_commit(h));
  h = open(p);
  char *s = nullptr;
  KP_ASSERT_OK(kp_h5_get_attr_str(h, "/", "format", &s));
  EXPECT_STREQ(s, "kprca.test");
  free(s);
  KP_ASSERT_OK(kp_h5_get_attr_str(h, "y", "unit", &s));
  EXPECT_STREQ(s, "\xc2\xb5s \xe2\x86\x92 ok");
  free(s);
  int64_t v = 0;
  KP_ASSERT_OK(kp_h5_get_attr_int(h, "/", "version", &v));
  EXPECT_EQ(v, 1);
  EXPECT_EQ(kp_h5_get_attr_int(h, "/", "nope", &v), KP_ERR_FORMAT);
  EXPECT_TRUE(msg_has({"a.h5", "attribute 'nope' missing"}));
  EXPECT_EQ(kp_h5_get_attr_str(h, "/", "version", &s), KP_ERR_FORMAT);  // an integer, not a string
  EXPECT_TRUE(msg_has({"'version'", "not a single string"}));
  EXPECT_EQ(kp_h5_get_attr_int(h, "/", "format", &v), KP_ERR_FORMAT);
  // format checks
  KP_EXPECT_OK(kp_h5_check_format(h, "kprca.test", 1, &v));
  EXPECT_EQ(kp_h5_check_format(h, "kprca.graph", 1, nullptr), KP_ERR_FORMAT);
  EXPECT_TRUE(msg_has({"a.h5", "\"kprca.test\"", "expected \"kprca.graph\""}));
  kp_h5_close(h);
  // a newer version than the reader knows
  h = create(p);
  KP_ASSERT_OK(kp_h5_set_attr_str(h, "/", "format", "kprca.test"));
  KP_ASSERT_OK(kp_h5_set_attr_int(h, "/", "version", 2));
  KP_ASSERT_OK(kp_h5_commit(h));
  h = open(p);
  EXPECT_EQ(kp_h5_check_format(h, "kprca.test", 1, nullptr), KP_ERR_FORMAT);
  EXPECT_TRUE(msg_has({"a.h5", "version 2 is newer"}));
  kp_h5_close(h);
  // no format attribute at all
  h = create(p);
  KP_ASSERT_OK(kp_h5_commit(h));
  h = open(p);
  EXPECT_EQ(kp_h5_check_format(h, "kprca.test", 1, nullptr), KP_ERR_FORMAT);
  EXPECT_TRUE(msg_has({"a.h5", "'format' missing"}));
  kp_h5_close(h);
}

TEST(H5, TypeCheckedReads) {
  TmpDir dir;
  std::string p = dir / "t.h5";
  kp_h5 *h = create(p);
  KP_ASSERT_OK(kpt::h5_put(h, "f", std::vector<float>{1.5f, 2}));
  KP_ASSERT_OK(kpt::h5_put(h, "big", std::vector<int64_t>{1, 2, 3000000000LL}));
  KP_ASSERT_OK(kpt::h5_put(h, "neg", std::vector<int32_t>{5, -200}));
  KP_ASSERT_OK(kpt::h5_put2(h, "m", 2, 3, std::vector<int32_t>{0, 0, 0, 0, 0, 300}));
  KP_ASSERT_OK(kpt::h5_put_strings(h, "s", {"a"}));
  KP_ASSERT_OK(kp_h5_commit(h));
  h = open(p);
  int64_t shape[2];
  void *d = nullptr;
  EXPECT_EQ(kp_h5_read(h, "f", KP_H5_I32, 1, shape, &d), KP_ERR_FORMAT);
  EXPECT_TRUE(msg_has({"t.h5", "dataset 'f'", "floating-point"}));
  EXPECT_EQ(d, nullptr);
  EXPECT_EQ(kp_h5_read(h, "big", KP_H5_I32, 1, shape, &d), KP_ERR_FORMAT);
  EXPECT_TRUE(msg_has({"dataset 'big' [2] = 3000000000 does not fit in i32"}));
  EXPECT_EQ(kpt::h5_get<int64_t>(h, "big")[2], 3000000000LL);
  EXPECT_EQ(kp_h5_read(h, "neg", KP_H5_I8, 1, shape, &d), KP_ERR_FORMAT);
  EXPECT_TRUE(msg_has({"dataset 'neg' [1] = -200 does not fit in i8"}));
  EXPECT_EQ(kp_h5_read(h, "m", KP_H5_I8, 2, shape, &d), KP_ERR_FORMAT);
  EXPECT_TRUE(msg_has({"dataset 'm' [1, 2] = 300"}));
  EXPECT_EQ(kp_h5_read(h, "m", KP_H5_I32, 1, shape, &d), KP_ERR_FORMAT);
  EXPECT_TRUE(msg_has({"dataset 'm' has 2 dimension(s), expected 1"}));
  EXPECT_EQ(kp_h5_read(h, "s", KP_H5_F32, 1, shape, &d), KP_ERR_FORMAT);
  EXPECT_TRUE(msg_has({"dataset 's' holds strings"}));
  EXPECT_EQ(kp_h5_read(h, "absent", KP_H5_F32, 1, shape, &d), KP_ERR_FORMAT);
  EXPECT_TRUE(msg_has({"t.h5", "dataset 'absent' missing"}));
  kp_strings s{};
  EXPECT_EQ(kp_h5_read_strings(h, "neg", &s), KP_ERR_FORMAT);
  EXPECT_TRUE(msg_has({"dataset 'neg' holds integers, expected strings"}));
  kp_h5_close(h);
}

TEST(H5, ForeignTypesFromOtherWriters) {
  // what h5py writes by default: float64 arrays, uint8, and numpy bool as an int8 enum
  TmpDir dir;
  std::string p = dir / "h5py_like.h5";
  hid_t f = H5Fcreate(p.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  hsize_t n = 3;
  hid_t sp = H5Screate_simple(1, &n, nullptr);
  double dv[3] = {0.5, -1, 1e10};
  hid_t d = H5Dcreate2(f, "f64", H5T_IEEE_F64LE, sp, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  H5Dwrite(d, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, dv);
  H5Dclose(d);
  uint8_t uv[3] = {1, 200, 7};
  d = H5Dcreate2(f, "u8", H5T_STD_U8LE, sp, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  H5Dwrite(d, H5T_NATIVE_UINT8, H5S_ALL, H5S_ALL, H5P_DEFAULT, uv);
  H5Dclose(d);
  hid_t e = H5Tenum_create(H5T_NATIVE_INT8);
  int8_t fv = 0, tv = 1;
  H5Tenum_insert(e, "FALSE", &fv);
  H5Tenum_insert(e, "TRUE", &tv);
  int8_t bv[3] = {1, 0, 1};
  d = H5Dcreate2(f, "bool", e, sp, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  H5Dwrite(d, e, H5S_ALL, H5S_ALL, H5P_DEFAULT, bv);
  H5Dclose(d);
  H5Tclose(e);
  H5Sclose(sp);
  H5Fclose(f);

  kp_h5 *h = open(p);
  EXPECT_EQ(kpt::h5_get<float>(h, "f64"), (std::vector<float>{0.5f, -1.0f, 1e10f}));
  EXPECT_EQ(kpt::h5_get<int32_t>(h, "u8"), (std::vector<int32_t>{1, 200, 7}));
  int64_t shape[1];
  void *out = nullptr;
  EXPECT_EQ(kp_h5_read(h, "u8", KP_H5_I8, 1, shape, &out), KP_ERR_FORMAT);
  EXPECT_TRUE(msg_has({"dataset 'u8' [1] = 200 does not fit in i8"}));
  EXPECT_EQ(kpt::h5_get<int8_t>(h, "bool"), (std::vector<int8_t>{1, 0, 1}));
  EXPECT_EQ(kpt::h5_get<int32_t>(h, "bool"), (std::vector<int32_t>{1, 0, 1}));
  kp_h5_close(h);
}

TEST(H5, CommitIsAtomicAndAbortLeavesNothing) {
  TmpDir dir;
  std::string p = dir / "out.h5";
  // abort: no file, no temporary left behind
  kp_h5 *h = create(p);
  KP_ASSERT_OK(kpt::h5_put(h, "y", std::vector<int32_t>{1}));
  EXPECT_EQ(dir.list().size(), 1u) << "the data goes to a temporary file until the commit";
  EXPECT_NE(dir.list()[0].find("out.h5.tmp-"), std::string::npos);
  kp_h5_abort(h);
  EXPECT_TRUE(dir.list().empty());

  // an existing file is untouched by an aborted or failed write
  { std::ofstream(p) << "OLD CONTENT"; }
  h = create(p);
  KP_ASSERT_OK(kpt::h5_put(h, "y", std::vector<int32_t>{1}));
  EXPECT_EQ(kpt::h5_put(h, "y", std::vector<int32_t>{2}), KP_ERR_INVALID);  // a failed write
  EXPECT_TRUE(msg_has({"out.h5", "dataset 'y' already exists"}));
  EXPECT_EQ(slurp(p), "OLD CONTENT");
  kp_h5_abort(h);
  EXPECT_EQ(slurp(p), "OLD CONTENT");
  EXPECT_EQ(dir.list(), std::vector<std::string>{"out.h5"});

  // a commit replaces it whole
  h = create(p);
  KP_ASSERT_OK(kpt::h5_put(h, "y", std::vector<int32_t>{7, 8}));
  KP_ASSERT_OK(kp_h5_commit(h));
  EXPECT_EQ(dir.list(), std::vector<std::string>{"out.h5"});
  h = open(p);
  EXPECT_EQ(kpt::h5_get<int32_t>(h, "y"), (std::vector<int32_t>{7, 8}));
  kp_h5_close(h);

  // the committed file gets ordinary permissions (umask applied), not mkstemp's 0600
  struct stat st;
  ASSERT_EQ(stat(p.c_str(), &st), 0);
  mode_t um = umask(0);
  umask(um);
  EXPECT_EQ(st.st_mode & 0777, 0666 & ~um);
  // writes to a read-only handle are refused
  h = open(p);
  EXPECT_EQ(kpt::h5_put(h, "z", std::vector<int32_t>{1}), KP_ERR_INVALID);
  EXPECT_EQ(kp_h5_commit(h), KP_ERR_INVALID);  // also closes h
}

TEST(H5, OpenAndCreateErrorsNameTheFile) {
  TmpDir dir;
  kp_h5 *h = nullptr;
  std::string missing = dir / "missing.h5";
  EXPECT_EQ(kp_h5_open(missing.c_str(), &h), KP_ERR_IO);
  EXPECT_TRUE(msg_has({missing, "No such file"}));
  EXPECT_EQ(h, nullptr);
  std::string text = dir / "text.h5";
  { std::ofstream(text) << "label\tline\n"; }
  EXPECT_EQ(kp_h5_open(text.c_str(), &h), KP_ERR_FORMAT);
  EXPECT_TRUE(msg_has({text, "not an HDF5 file"}));
  EXPECT_EQ(kp_h5_open(dir.path.c_str(), &h), KP_ERR_IO);
  EXPECT_TRUE(msg_has({"is a directory"}));
  std::string nodir = dir / "no/such/dir/x.h5";
  EXPECT_EQ(kp_h5_create(nodir.c_str(), &h), KP_ERR_IO);
  EXPECT_TRUE(msg_has({nodir, "No such file or directory"}));
  EXPECT_EQ(kp_h5_create(dir.path.c_str(), &h), KP_ERR_IO);
  EXPECT_TRUE(msg_has({"is a directory"}));
  // a truncated HDF5 file
  std::string good = dir / "good.h5", cut = dir / "cut.h5";
  h = create(good);
  KP_ASSERT_OK(kpt::h5_put(h, "y", std::vector<int32_t>(5000, 1)));
  KP_ASSERT_OK(kp_h5_commit(h));
  std::string bytes = slurp(good);
  { std::ofstream(cut, std::ios::binary) << bytes.substr(0, bytes.size() / 2); }
  kp_status s = kp_h5_open(cut.c_str(), &h);
  if (s == KP_OK) {  // HDF5 may open the superblock and fail on the data instead
    int64_t n;
    void *d = nullptr;
    s = kp_h5_read(h, "y", KP_H5_I32, 1, &n, &d);
    free(d);
    kp_h5_close(h);
  }
  EXPECT_EQ(s, KP_ERR_FORMAT);
  EXPECT_TRUE(msg_has({cut}));
  // HDF5's own reason is carried over (read before any other HDF5 call clears its error stack)
  EXPECT_EQ(std::string(kp_last_error()).find("HDF5 call failed"), std::string::npos) << kp_last_error();
  EXPECT_EQ(dir.list(), (std::vector<std::string>{"cut.h5", "good.h5", "text.h5"}));
}

TEST(H5, StringsHelpers) {
  const char *src[] = {"a", "", "\xc3\xa9t\xc3\xa9"};
  kp_strings s{};
  KP_ASSERT_OK(kp_strings_copy(&s, 3, src));
  ASSERT_EQ(s.n, 3);
  EXPECT_STREQ(s.s[2], src[2]);
  EXPECT_NE((const void *)s.s[0], (const void *)src[0]);
  kp_strings_free(&s);
  EXPECT_EQ(s.n, 0);
  kp_strings_free(&s);  // twice is fine
  const char *bad[] = {"a", nullptr};
  EXPECT_EQ(kp_strings_copy(&s, 2, bad), KP_ERR_INVALID);
  EXPECT_EQ(kp_h5_type_size(KP_H5_I64), 8);
  EXPECT_STREQ(kp_h5_type_name(KP_H5_I8), "i8");
}
