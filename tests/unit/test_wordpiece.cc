// WordPiece: id-for-id parity with Hugging Face's BertTokenizerFast on the committed fixture
// (scripts/golden/wordpiece_fixture.py: >= 10,000 lines, four settings, every assigned code point),
// plus truncation, batch and padding, vocab and config errors.
#include <gtest/gtest.h>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <unistd.h>
#include <string>
#include <vector>
#include "kprca/h5.h"
#include "kprca/wordpiece.h"
#include "testutil.h"

namespace {

const std::string kDir = std::string(KPRCA_SOURCE_DIR) + "/tests/fixtures/wordpiece";
const std::string kVocab = kDir + "/vocab.txt";

struct Fixture {
  std::vector<std::string> lines;
  std::vector<int8_t> kind;
};

template <class T>
std::vector<T> read(kp_h5 *h, const char *name, kp_h5_type t) {
  int64_t shape[KP_H5_MAX_DIMS];
  void *data = nullptr;
  if (kp_h5_read(h, name, t, 1, shape, &data) != KP_OK) throw std::runtime_error(kp_last_error());
  std::vector<T> v((T *)data, (T *)data + shape[0]);
  free(data);
  return v;
}

kp_h5 *open_fixture() {
  kp_h5 *h = nullptr;
  if (kp_h5_open((kDir + "/fixture.h5").c_str(), &h) != KP_OK) throw std::runtime_error(kp_last_error());
  return h;
}

Fixture load_lines(kp_h5 *h) {
  Fixture f;
  auto bytes = read<int8_t>(h, "text_bytes", KP_H5_I8);
  auto offs = read<int64_t>(h, "text_offsets", KP_H5_I64);
  f.kind = read<int8_t>(h, "kind", KP_H5_I8);
  for (size_t i = 0; i + 1 < offs.size(); i++)
    f.lines.emplace_back((const char *)bytes.data() + offs[i], (size_t)(offs[i + 1] - offs[i]));
  return f;
}

kp_wordpiece *load(bool lower, kp_strip_accents strip) {
  kp_wordpiece_opts o = kp_wordpiece_default_opts();
  o.lowercase = lower;
  o.strip_accents = strip;
  kp_wordpiece *wp = nullptr;
  if (kp_wordpiece_load(kVocab.c_str(), &o, &wp) != KP_OK) throw std::runtime_error(kp_last_error());
  return wp;
}

std::vector<int32_t> tokenize(const kp_wordpiece *wp, const std::string &s) {
  kp_wp_buf b{};
  EXPECT_EQ(kp_wordpiece_tokenize(wp, s.data(), s.size(), &b), KP_OK) << kp_last_error();
  std::vector<int32_t> v(b.ids, b.ids + b.n);
  kp_wp_buf_free(&b);
  return v;
}

std::string show(const kp_wordpiece *wp, const std::vector<int32_t> &ids) {
  std::string s;
  for (int32_t id : ids) s += std::string(s.empty() ? "" : " ") + (kp_vocab_token(kp_wordpiece_vocab(wp), id) ?: "?");
  return s;
}

struct Mode {
  const char *name;
  bool lower;
  kp_strip_accents strip;
};

class Parity : public ::testing::TestWithParam<Mode> {};

TEST_P(Parity, SameIdsAsHuggingFace) {
  const Mode m = GetParam();
  kp_h5 *h = open_fixture();
  Fixture f = load_lines(h);
  auto ids = read<int32_t>(h, (std::string(m.name) + "/ids").c_str(), KP_H5_I32);
  auto offs = read<int64_t>(h, (std::string(m.name) + "/offsets").c_str(), KP_H5_I64);
  kp_h5_close(h);
  ASSERT_GE(f.lines.size(), 10000u);
  ASSERT_EQ(offs.size(), f.lines.size() + 1);
  kp_wordpiece *wp = load(m.lower, m.strip);
  int bad = 0;
  int per_kind[8] = {0};
  for (size_t i = 0; i < f.lines.size(); i++) {
    std::vector<int32_t> want(ids.begin() + offs[i], ids.begin() + offs[i + 1]);
    std::vector<int32_t> got = tokenize(wp, f.lines[i]);
    per_kind[f.kind[i] & 7]++;
    if (got != want && ++bad <= 5)
      ADD_FAILURE() << m.name << " line " << i << " (kind " << (int)f.kind[i] << "): " << f.lines[i].substr(0, 120)
                    << "\n  HF:    " << show(wp, want).substr(0, 300) << "\n  kprca: " << show(wp, got).substr(0, 300);
  }
  EXPECT_EQ(bad, 0) << "lines whose ids differ from Hugging Face";
  for (int k = 0; k < 5; k++) EXPECT_GT(per_kind[k], 0) << "the fixture lacks lines of kind " << k;
  kp_wordpiece_free(wp);
}

INSTANTIATE_TEST_SUITE_P(WordPiece, Parity,
                         ::testing::Values(Mode{"uncased", true, KP_STRIP_DEFAULT}, Mode{"cased", false, KP_STRIP_DEFAULT},
                                           Mode{"lower_nostrip", true, KP_STRIP_OFF},
                                           Mode{"cased_strip", false, KP_STRIP_ON}),
                         [](const ::testing::TestParamInfo<Mode> &i) { return std::string(i.param.name); });

TEST(WordPiece, KnownPieces) {
  kp_wordpiece *wp = load(true, KP_STRIP_DEFAULT);
  // greedy longest match: "una" beats "un"
  EXPECT_EQ(show(wp, tokenize(wp, "UNAFFABLE")), "una ##ffa ##ble");
  EXPECT_EQ(show(wp, tokenize(wp, "Héllo, wörld!")), "hello , world !");
  EXPECT_EQ(show(wp, tokenize(wp, "a[SEP]b [cls]")), "a [SEP] b [ cl ##s ]");
  EXPECT_EQ(show(wp, tokenize(wp, std::string("\xff\xfe" "ab\x00" "c", 6))), "abc");  // invalid UTF-8 and NUL vanish, no split
  EXPECT_EQ(show(wp, tokenize(wp, std::string(101, 'a'))), "[UNK]");
  EXPECT_EQ(tokenize(wp, std::string(100, 'a')).size() > 1, true);
  EXPECT_EQ(show(wp, tokenize(wp, "東京")), "東 京");
  kp_wordpiece_free(wp);
}

TEST(WordPiece, TruncationAndSpecials) {
  kp_wordpiece *wp = load(true, KP_STRIP_DEFAULT);
  const std::string s = "kernel: BUG: unable to handle page fault for address: ffffffffc0a1b2c3";
  std::vector<int32_t> full = tokenize(wp, s);
  ASSERT_GT(full.size(), 10u);
  kp_wp_buf b{};
  for (int32_t max_len : {0, 2, 3, 8, (int32_t)full.size() + 2, (int32_t)full.size() + 10}) {
    KP_ASSERT_OK(kp_wordpiece_encode(wp, s.data(), s.size(), max_len, &b));
    size_t keep = max_len > 0 ? std::min(full.size(), (size_t)max_len - 2) : full.size();
    ASSERT_EQ((size_t)b.n, keep + 2) << max_len;
    EXPECT_EQ(b.ids[0], 101);
    EXPECT_EQ(b.ids[b.n - 1], 102);
    for (size_t j = 0; j < keep; j++) EXPECT_EQ(b.ids[j + 1], full[j]);
  }
  EXPECT_EQ(kp_wordpiece_encode(wp, s.data(), s.size(), 1, &b), KP_ERR_INVALID);
  kp_wp_buf_free(&b);
  kp_wordpiece_free(wp);
}

TEST(WordPiece, BatchAndPadding) {
  kp_wordpiece *wp = load(true, KP_STRIP_DEFAULT);
  std::vector<std::string> src = {"", "Oops: 0000 [#1] SMP", "NVRM: Xid (PCI:0000:3b:00): 79, GPU has fallen off the bus.",
                                  "é", "a b c d e f g h i j k l m n o p"};
  for (int i = 0; i < 200; i++) src.push_back("line " + std::to_string(i * 7919) + " [MASK] x");
  std::vector<const char *> lines;
  for (auto &s : src) lines.push_back(s.c_str());
  kp_wp_batch one{}, many{};
  KP_ASSERT_OK(kp_wordpiece_encode_batch(wp, (int64_t)lines.size(), lines.data(), 12, 1, &one));
  KP_ASSERT_OK(kp_wordpiece_encode_batch(wp, (int64_t)lines.size(), lines.data(), 12, 3, &many));
  ASSERT_EQ(one.n, (int64_t)src.size());
  ASSERT_EQ(one.offsets[one.n], many.offsets[many.n]);
  EXPECT_EQ(0, memcmp(one.ids, many.ids, sizeof(int32_t) * one.offsets[one.n]));
  kp_wp_buf b{};
  int32_t longest = 0;
  for (size_t i = 0; i < src.size(); i++) {
    KP_ASSERT_OK(kp_wordpiece_encode(wp, src[i].data(), src[i].size(), 12, &b));
    ASSERT_EQ(one.lengths[i], b.n);
    EXPECT_EQ(0, memcmp(one.ids + one.offsets[i], b.ids, sizeof(int32_t) * b.n)) << i;
    longest = std::max(longest, (int32_t)b.n);
  }
  EXPECT_EQ(one.max_length, longest);
  int64_t rows[3] = {0, 2, 4};
  int32_t w = std::max({one.lengths[0], one.lengths[2], one.lengths[4]});
  std::vector<int32_t> ids(3 * w), mask(3 * w), types(3 * w, 7);
  KP_ASSERT_OK(kp_wp_batch_pad(wp, &one, 3, rows, w, ids.data(), mask.data(), types.data()));
  for (int r = 0; r < 3; r++)
    for (int j = 0; j < w; j++) {
      bool in = j < one.lengths[rows[r]];
      EXPECT_EQ(mask[r * w + j], in ? 1 : 0);
      EXPECT_EQ(ids[r * w + j], in ? one.ids[one.offsets[rows[r]] + j] : 0);
      EXPECT_EQ(types[r * w + j], 0);
    }
  EXPECT_EQ(kp_wp_batch_pad(wp, &one, 3, rows, w - 1, ids.data(), nullptr, nullptr), KP_ERR_INVALID);
  kp_wp_buf_free(&b);
  kp_wp_batch_free(&one);
  kp_wp_batch_free(&many);
  kp_wordpiece_free(wp);
}

std::string tmpdir() {
  char t[] = "/tmp/kprca-wp-XXXXXX";
  if (!mkdtemp(t)) throw std::runtime_error("mkdtemp");
  return t;
}

TEST(WordPiece, VocabAndConfigErrors) {
  kp_wordpiece *wp = nullptr;
  EXPECT_EQ(kp_wordpiece_load("/nonexistent/vocab.txt", nullptr, &wp), KP_ERR_IO);
  EXPECT_NE(std::string(kp_last_error()).find("/nonexistent/vocab.txt"), std::string::npos);
  std::string d = tmpdir();
  std::ofstream(d + "/vocab.txt") << "[PAD]\n[UNK]\n[CLS]\nhello\n##s\n";
  EXPECT_EQ(kp_wordpiece_load((d + "/vocab.txt").c_str(), nullptr, &wp), KP_ERR_FORMAT);
  EXPECT_NE(std::string(kp_last_error()).find("sep_token \"[SEP]\""), std::string::npos) << kp_last_error();
  std::ofstream(d + "/vocab.txt") << "[PAD]\r\n[UNK]\r\n[CLS]\r\n[SEP]\r\nhello\r\n##s\r\nHello\r\n";
  KP_ASSERT_OK(kp_wordpiece_load_dir(d.c_str(), &wp));  // no tokenizer_config.json: lowercase
  EXPECT_EQ(tokenize(wp, "Hellos"), (std::vector<int32_t>{4, 5}));
  kp_wordpiece_free(wp);
  std::ofstream(d + "/tokenizer_config.json") << "{\"do_lower_case\": false, \"strip_accents\": null}";
  KP_ASSERT_OK(kp_wordpiece_load_dir(d.c_str(), &wp));
  EXPECT_EQ(tokenize(wp, "Hellos"), (std::vector<int32_t>{6, 5}));
  EXPECT_FALSE(kp_wordpiece_get_opts(wp).lowercase);
  kp_wordpiece_free(wp);
  std::ofstream(d + "/tokenizer_config.json") << "{\"do_lower_case\": false,\n \"strip_accents\": nope}";
  EXPECT_EQ(kp_wordpiece_load_dir(d.c_str(), &wp), KP_ERR_FORMAT);
  EXPECT_NE(std::string(kp_last_error()).find("tokenizer_config.json:2: not valid JSON"), std::string::npos)
      << kp_last_error();
  std::ofstream(d + "/tokenizer_config.json") << "{\"do_lower_case\": \"yes\"}";
  EXPECT_EQ(kp_wordpiece_load_dir(d.c_str(), &wp), KP_ERR_FORMAT);
  std::ofstream(d + "/vocab.txt") << "";
  kp_vocab *v = nullptr;
  EXPECT_EQ(kp_vocab_load((d + "/vocab.txt").c_str(), &v), KP_ERR_FORMAT);
  EXPECT_EQ(v, nullptr);
  std::remove((d + "/vocab.txt").c_str());
  std::remove((d + "/tokenizer_config.json").c_str());
  rmdir(d.c_str());
}

TEST(WordPiece, ModelDirectoryConfig) {
  kp_wordpiece *wp = nullptr;  // the fixture directory has MiniLM's vocab; with MiniLM's tokenizer_config.json
  KP_ASSERT_OK(kp_wordpiece_load_dir(kDir.c_str(), &wp));
  EXPECT_TRUE(kp_wordpiece_get_opts(wp).lowercase);
  EXPECT_EQ(kp_vocab_size(kp_wordpiece_vocab(wp)), 30522);
  int32_t unk, cls, sep, pad, mask;
  kp_wordpiece_special_ids(wp, &unk, &cls, &sep, &pad, &mask);
  EXPECT_EQ(unk, 100);
  EXPECT_EQ(cls, 101);
  EXPECT_EQ(sep, 102);
  EXPECT_EQ(pad, 0);
  EXPECT_EQ(mask, 103);
  kp_wordpiece_free(wp);
}

}  // namespace
