// RFC 4180 CSV: quoted fields with commas, quotes and line breaks, CRLF, BOM, header lookup,
// writer round trips, and malformed input errors naming file:line:column.
#include <cstdio>
#include <random>
#include <string>
#include <vector>
#include "testutil.h"
#include "kprca/csv.h"

namespace {
const std::string kDir = std::string(KPRCA_SOURCE_DIR) + "/tests/fixtures/ingest/";
using Row = std::vector<std::string>;

// Reads every row of bytes (no header) or returns the failing status.
kp_status read_rows(const std::string &bytes, std::vector<Row> *rows, bool header = false, Row *hdr = nullptr) {
  FILE *f = bytes.empty() ? fopen("/dev/null", "rb") : fmemopen((void *)bytes.data(), bytes.size(), "rb");
  kp_csv_reader *r;
  EXPECT_EQ(kp_csv_open_stream(f, "mem.csv", &r), KP_OK);
  kp_status s = KP_OK;
  if (header) {
    s = kp_csv_read_header(r);
    for (int i = 0; s == KP_OK && i < kp_csv_ncolumns(r); i++) hdr->push_back(kp_csv_column_name(r, i));
  }
  while (s == KP_OK) {
    bool eof;
    s = kp_csv_next(r, &eof);
    if (s != KP_OK || eof) break;
    Row row;
    for (int i = 0; i < kp_csv_nfields(r); i++) {
      size_t len;
      const char *v = kp_csv_get(r, i, &len);
      row.emplace_back(v, len);
    }
    EXPECT_EQ(kp_csv_get(r, kp_csv_nfields(r), nullptr), nullptr);
    rows->push_back(row);
  }
  kp_csv_close(r);
  fclose(f);
  return s;
}

std::string write_rows(const std::vector<Row> &rows, bool crlf) {
  char *buf = nullptr;
  size_t size = 0;
  FILE *f = open_memstream(&buf, &size);
  kp_csv_writer *w;
  EXPECT_EQ(kp_csv_writer_new(f, "out.csv", crlf, &w), KP_OK);
  for (auto &row : rows) {
    kp_csv_row_begin(w);
    for (auto &v : row) kp_csv_field(w, v.data(), v.size());
    EXPECT_EQ(kp_csv_row_end(w), KP_OK);
  }
  EXPECT_EQ(kp_csv_writer_close(w), KP_OK);
  fclose(f);
  std::string out(buf, size);
  free(buf);
  return out;
}

std::string err() { return kp_last_error(); }
}  // namespace

TEST(Csv, QuotedFieldsCommasQuotesNewlinesCrlf) {
  std::vector<Row> rows;
  KP_ASSERT_OK(read_rows("a,b,c\r\n"
                         "\"x, y\",\"say \"\"hi\"\"\",\"two\r\nlines\"\r\n"
                         ",,\r\n"
                         "\r\n"  // blank lines between rows are skipped
                         "last,\"\",end",
                         &rows));
  ASSERT_EQ(rows.size(), 4u);
  EXPECT_EQ(rows[0], (Row{"a", "b", "c"}));
  EXPECT_EQ(rows[1], (Row{"x, y", "say \"hi\"", "two\nlines"}));
  EXPECT_EQ(rows[2], (Row{"", "", ""}));
  EXPECT_EQ(rows[3], (Row{"last", "", "end"}));
}

TEST(Csv, HeaderLookupBomAndRowLines) {
  std::string text = "\xEF\xBB\xBF" "file,label,root_cause_lines\nincidents/a.log,oom,\"3\n4\"\nincidents/b.log,xid,\n";
  FILE *f = fmemopen((void *)text.data(), text.size(), "rb");
  kp_csv_reader *r;
  KP_ASSERT_OK(kp_csv_open_stream(f, "labels.csv", &r));
  KP_ASSERT_OK(kp_csv_read_header(r));
  EXPECT_EQ(kp_csv_ncolumns(r), 3);
  EXPECT_EQ(kp_csv_column(r, "file"), 0);  // the BOM is not part of the first name
  EXPECT_EQ(kp_csv_column(r, "root_cause_lines"), 2);
  EXPECT_EQ(kp_csv_column(r, "panic_line"), -1);
  EXPECT_STREQ(kp_csv_name(r), "labels.csv");
  bool eof;
  KP_ASSERT_OK(kp_csv_next(r, &eof));
  EXPECT_EQ(kp_csv_row_line(r), 2);
  EXPECT_STREQ(kp_csv_get(r, 2, nullptr), "3\n4");
  KP_ASSERT_OK(kp_csv_next(r, &eof));
  EXPECT_EQ(kp_csv_row_line(r), 4);  // the quoted line break moved it down
  EXPECT_STREQ(kp_csv_get(r, 1, nullptr), "xid");
  EXPECT_STREQ(kp_csv_get(r, 2, nullptr), "");
  KP_ASSERT_OK(kp_csv_next(r, &eof));
  EXPECT_TRUE(eof);
  kp_csv_close(r);
  fclose(f);
}

TEST(Csv, WriterQuotesOnlyWhenNeeded) {
  std::string out = write_rows({{"LineId", "Content", "EventTemplate"},
                                {"1", "a,b", "say \"x\""},
                                {"2", "multi\nline", "cr\rhere"},
                                {""},
                                {"", ""}},
                               false);
  EXPECT_EQ(out,
            "LineId,Content,EventTemplate\n"
            "1,\"a,b\",\"say \"\"x\"\"\"\n"
            "2,\"multi\nline\",\"cr\rhere\"\n"
            "\"\"\n"
            ",\n");
  EXPECT_EQ(write_rows({{"a", "b"}}, true), "a,b\r\n");
}

TEST(Csv, WriterRoundTripsRandomFields) {
  std::mt19937 g(42);
  const std::string alphabet = std::string("ab ,\"\n\r\t") + "\xc3\xa9" + "x1";
  std::vector<Row> rows;
  for (int r = 0; r < 300; r++) {
    Row row;
    int nf = 1 + (int)(g() % 6);
    for (int i = 0; i < nf; i++) {
      std::string v;
      int len = (int)(g() % 12);
      for (int k = 0; k < len; k++) v += alphabet[g() % alphabet.size()];
      // a CR right before LF inside a field reads back as a plain line break (CRLF = one break)
      for (size_t p; (p = v.find("\r\n")) != std::string::npos;) v.erase(p, 1);
      if (!v.empty() && v.back() == '\r') v.pop_back();
      row.push_back(v);
    }
    rows.push_back(row);
  }
  // invalid UTF-8 is avoided above: the reader repairs it (é stays whole only when both bytes are kept)
  for (auto &row : rows)
    for (auto &v : row)
      for (size_t p = 0; p < v.size(); p++)
        if ((unsigned char)v[p] == 0xc3 && (p + 1 >= v.size() || (unsigned char)v[p + 1] != 0xa9)) v[p] = 'z';
        else if ((unsigned char)v[p] == 0xa9 && (p == 0 || (unsigned char)v[p - 1] != 0xc3)) v[p] = 'z';
  for (bool crlf : {false, true}) {
    std::string text = write_rows(rows, crlf);
    std::vector<Row> back;
    KP_ASSERT_OK(read_rows(text, &back));
    ASSERT_EQ(back.size(), rows.size());
    for (size_t i = 0; i < rows.size(); i++) EXPECT_EQ(back[i], rows[i]) << "row " << i << " crlf " << crlf;
  }
}

TEST(Csv, WriteFailureIsAnIoError) {
  FILE *f = fopen("/dev/full", "wb");
  if (!f) GTEST_SKIP() << "no /dev/full here";
  kp_csv_writer *w;
  KP_ASSERT_OK(kp_csv_writer_new(f, "/dev/full", false, &w));
  kp_status s = KP_OK;
  std::string big(1 << 16, 'x');
  for (int i = 0; i < 8 && s == KP_OK; i++) {
    kp_csv_row_begin(w);
    kp_csv_field_str(w, big.c_str());
    kp_csv_field_i64(w, -42);
    s = kp_csv_row_end(w);
  }
  kp_status c = kp_csv_writer_close(w);
  EXPECT_TRUE(s == KP_ERR_IO || c == KP_ERR_IO);
  EXPECT_NE(err().find("/dev/full: write failed"), std::string::npos) << err();
  fclose(f);
}

TEST(CsvBadInput, MalformedFilesNameFileLineColumn) {
  struct {
    const char *file;
    const char *msg;
  } cases[] = {
      {"csv_unterminated.csv", "csv_unterminated.csv:3:17: unterminated quoted field"},
      {"csv_after_quote.csv", "csv_after_quote.csv:2:22: unexpected character after a closing quote"},
      {"csv_bare_quote.csv", "csv_bare_quote.csv:2:18: quote inside an unquoted field"},
      {"csv_short_row.csv", "csv_short_row.csv:2: 2 fields, but the header has 3 columns"},
  };
  for (auto &c : cases) {
    kp_csv_reader *r;
    KP_ASSERT_OK(kp_csv_open((kDir + c.file).c_str(), &r));
    kp_status s = kp_csv_read_header(r);
    bool eof = false;
    while (s == KP_OK && !eof) s = kp_csv_next(r, &eof);
    EXPECT_EQ(s, KP_ERR_FORMAT) << c.file;
    EXPECT_NE(err().find(c.msg), std::string::npos) << err();
    kp_csv_close(r);
  }
}

TEST(CsvBadInput, MissingAndEmptyFiles) {
  kp_csv_reader *r = nullptr;
  EXPECT_EQ(kp_csv_open("/nonexistent/labels.csv", &r), KP_ERR_IO);
  EXPECT_EQ(r, nullptr);
  EXPECT_NE(err().find("/nonexistent/labels.csv: cannot open"), std::string::npos);
  std::vector<Row> rows;
  Row hdr;
  EXPECT_EQ(read_rows("", &rows, true, &hdr), KP_ERR_FORMAT);
  EXPECT_NE(err().find("mem.csv: empty file"), std::string::npos) << err();
  EXPECT_EQ(read_rows("\n\r\n\n", &rows, true, &hdr), KP_ERR_FORMAT);
}

TEST(Csv, ReadsLoghubStructuredCsv) {
  std::string path = std::string(KPRCA_SOURCE_DIR) + "/../shared/data/loghub/Linux/Linux_2k.log_structured.csv";
  FILE *probe = fopen(path.c_str(), "rb");
  if (!probe) GTEST_SKIP() << "loghub sample not found at " << path;
  fclose(probe);
  kp_csv_reader *r;
  KP_ASSERT_OK(kp_csv_open(path.c_str(), &r));
  KP_ASSERT_OK(kp_csv_read_header(r));
  int id = kp_csv_column(r, "LineId"), tpl = kp_csv_column(r, "EventTemplate");
  ASSERT_EQ(id, 0);
  ASSERT_GE(tpl, 0);
  int64_t n = 0;
  for (;;) {
    bool eof;
    KP_ASSERT_OK(kp_csv_next(r, &eof));
    if (eof) break;
    n++;
    EXPECT_EQ(std::stoll(kp_csv_get(r, id, nullptr)), n);
  }
  EXPECT_EQ(n, 2000);
  kp_csv_close(r);
}
