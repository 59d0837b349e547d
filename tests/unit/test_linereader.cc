// The line reader: line endings, missing final newline, long lines, UTF-8 repair, I/O errors.
#include <cstdio>
#include <random>
#include <string>
#include "testutil.h"
#include "kprca/linereader.h"

namespace {
std::vector<std::string> read_all(const std::string &bytes, kp_line_stats *st = nullptr) {
  FILE *f = fmemopen((void *)bytes.data(), bytes.size(), "rb");
  if (bytes.empty()) f = fopen("/dev/null", "rb");
  kp_line_reader *r;
  EXPECT_EQ(kp_line_reader_stream(f, "mem", &r), KP_OK);
  std::vector<std::string> out;
  for (;;) {
    const char *line;
    size_t len;
    bool eof;
    EXPECT_EQ(kp_line_reader_next(r, &line, &len, &eof), KP_OK);
    if (eof) break;
    EXPECT_EQ(strlen(line), len);
    out.emplace_back(line, len);
    EXPECT_EQ(kp_line_reader_lineno(r), (int64_t)out.size());
  }
  if (st) *st = kp_line_reader_stats(r);
  kp_line_reader_close(r);
  fclose(f);
  return out;
}
}  // namespace

TEST(LineReader, LfCrlfAndMissingFinalNewline) {
  using V = std::vector<std::string>;
  EXPECT_EQ(read_all("a\nbb\n"), (V{"a", "bb"}));
  EXPECT_EQ(read_all("a\r\nbb\r\n"), (V{"a", "bb"}));
  EXPECT_EQ(read_all("a\r\nbb"), (V{"a", "bb"}));
  EXPECT_EQ(read_all("\n\nx"), (V{"", "", "x"}));
  EXPECT_EQ(read_all(""), V{});
  EXPECT_EQ(read_all("only"), V{"only"});
  kp_line_stats st;
  read_all("a\r\nb\nc\r\n", &st);
  EXPECT_EQ(st.crlf, 2);
  EXPECT_EQ(st.lines, 3);
}

TEST(LineReader, VeryLongLinesAcrossBufferBoundaries) {
  std::string big(3 * 1024 * 1024 + 17, 'x');
  big[12345] = 'y';
  auto v = read_all("head\n" + big + "\ntail");
  ASSERT_EQ(v.size(), 3u);
  EXPECT_EQ(v[1], big);
  EXPECT_EQ(v[2], "tail");
}

TEST(LineReader, InvalidUtf8AndNulAreRepaired) {
  kp_line_stats st;
  auto v = read_all(std::string("ok \xc3\xa9\n\xff\xfe bad\nnul\0byte\n\xe2\x82", 24), &st);
  ASSERT_EQ(v.size(), 4u);
  EXPECT_EQ(v[0], "ok \xc3\xa9");  // valid UTF-8 untouched
  EXPECT_EQ(v[1], "\xef\xbf\xbd\xef\xbf\xbd bad");
  EXPECT_EQ(v[2], "nul\xef\xbf\xbd" "byte");
  EXPECT_EQ(v[3], "\xef\xbf\xbd\xef\xbf\xbd");  // truncated sequence at end of file
  EXPECT_EQ(st.repaired, 3);
  EXPECT_EQ(st.with_nul, 1);
}

TEST(LineReader, MissingFileIsAnIoErrorNamingIt) {
  kp_line_reader *r = nullptr;
  EXPECT_EQ(kp_line_reader_open("/nonexistent/kern.log", &r), KP_ERR_IO);
  EXPECT_EQ(r, nullptr);
  EXPECT_NE(std::string(kp_last_error()).find("/nonexistent/kern.log: cannot open"), std::string::npos)
      << kp_last_error();
}

// Plain ASCII lines are handed out in place, the others copied and repaired: random mixes of both,
// with CR, NUL, non-ASCII and lines across the 64 KiB read buffer's boundaries, must read as a
// plain split + repair of each line says.
TEST(LineReader, InPlaceAndCopiedLinesAgreeWithSplitAndRepair) {
  const std::string P[] = {"a", "kernel: ", "0x1f", "\r", std::string("\0", 1), "\xc3\xa9", "\xff", "\xe2\x82",
                           "\x7f", "\x01", "\n", "\n", "\n", "\r\n"};
  std::mt19937 g(11);
  for (int it = 0; it < 20; it++) {
    std::string blob;
    while (blob.size() < 200000) {
      if (g() % 500 == 0) blob += std::string(70000 + g() % 1000, 'z');  // longer than the buffer
      blob += P[g() % (sizeof P / sizeof P[0])];
    }
    std::vector<std::string> want;
    int64_t crlf = 0, repaired = 0;
    size_t a = 0;
    while (a < blob.size()) {
      size_t e = blob.find('\n', a);
      if (e == std::string::npos) e = blob.size();
      std::string line = blob.substr(a, e - a);
      if (!line.empty() && line.back() == '\r') line.pop_back(), crlf++;
      std::string out(3 * line.size() + 1, '\0');
      size_t bad = 0;
      out.resize(kp_utf8_repair(line.data(), line.size(), &out[0], &bad));
      repaired += bad > 0;
      want.push_back(out);
      a = e + 1;
    }
    kp_line_stats st;
    ASSERT_EQ(read_all(blob, &st), want) << "blob " << it;
    EXPECT_EQ(st.crlf, crlf);
    EXPECT_EQ(st.repaired, repaired);
    EXPECT_EQ(st.lines, (int64_t)want.size());
  }
}
