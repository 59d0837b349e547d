// TensorBoard event files: CRC32C and masked CRC against known vectors, record bytes against
// the ones tensorboard's own Python writer produces (tensorboard 2.21.0, RecordWriter on
// event_pb2.Event), and a written file decoded record by record (framing, both CRCs, protobuf).
// With KPRCA_TB_OUT=DIR set, WritesForPythonCheck leaves its file in DIR for
// scripts/golden/tensorboard_check.py.
#include <gtest/gtest.h>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <dirent.h>
#include <fstream>
#include <iterator>
#include <string>
#include <unistd.h>
#include <vector>
#include "kprca/status.h"
#include "kprca/tfevents.h"

namespace {

std::vector<uint8_t> from_hex(const std::string &h) {
  std::vector<uint8_t> v;
  for (size_t i = 0; i + 1 < h.size(); i += 2) v.push_back((uint8_t)std::stoul(h.substr(i, 2), nullptr, 16));
  return v;
}

// CLOCK_REALTIME, as the writer reads it (time() may lag it by a tick: it reads the coarse clock).
double now_seconds() {
  timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

std::string temp_dir() {
  char tmpl[] = "/tmp/kprca_tb_XXXXXX";
  char *d = mkdtemp(tmpl);
  if (!d) throw std::runtime_error("mkdtemp failed");
  return d;
}

void remove_tree(const std::string &dir) {
  std::string cmd = "rm -rf '" + dir + "'";
  if (std::system(cmd.c_str()) != 0) std::fprintf(stderr, "could not remove %s\n", dir.c_str());
}

std::vector<std::string> list_dir(const std::string &dir) {
  std::vector<std::string> out;
  DIR *d = opendir(dir.c_str());
  if (!d) return out;
  while (dirent *e = readdir(d))
    if (e->d_name[0] != '.') out.push_back(e->d_name);
  closedir(d);
  return out;
}

uint64_t get_le(const uint8_t *p, int bytes) {
  uint64_t v = 0;
  for (int i = bytes - 1; i >= 0; i--) v = v << 8 | p[i];
  return v;
}

// One decoded Event (only the fields kprca writes).
struct Event {
  double wall_time = NAN;
  int64_t step = 0;
  std::string file_version, tag;
  float value = NAN;
  bool has_value = false;
};

uint64_t read_varint(const uint8_t *&p, const uint8_t *end) {
  uint64_t v = 0;
  for (int shift = 0; p < end && shift < 64; shift += 7) {
    uint8_t b = *p++;
    v |= (uint64_t)(b & 0x7F) << shift;
    if (!(b & 0x80)) return v;
  }
  throw std::runtime_error("bad varint");
}

// Decodes a message, calling f(field, wire, varint-or-fixed value, bytes pointer, length).
template <class F>
void decode(const uint8_t *p, const uint8_t *end, F f) {
  while (p < end) {
    uint64_t key = read_varint(p, end);
    int field = (int)(key >> 3), wire = (int)(key & 7);
    if (wire == 0) f(field, wire, read_varint(p, end), nullptr, 0);
    else if (wire == 1 || wire == 5) {
      int n = wire == 1 ? 8 : 4;
      if (end - p < n) throw std::runtime_error("truncated fixed field");
      f(field, wire, get_le(p, n), p, n), p += n;
    } else if (wire == 2) {
      uint64_t n = read_varint(p, end);
      if ((uint64_t)(end - p) < n) throw std::runtime_error("truncated bytes field");
      f(field, wire, 0, p, (size_t)n), p += n;
    } else throw std::runtime_error("unexpected wire type");
  }
}

Event decode_event(const uint8_t *p, size_t n) {
  Event e;
  decode(p, p + n, [&](int field, int wire, uint64_t v, const uint8_t *b, size_t len) {
    if (field == 1 && wire == 1) std::memcpy(&e.wall_time, &v, 8);
    else if (field == 2 && wire == 0) e.step = (int64_t)v;
    else if (field == 3 && wire == 2) e.file_version.assign((const char *)b, len);
    else if (field == 5 && wire == 2)
      decode(b, b + len, [&](int f2, int w2, uint64_t, const uint8_t *b2, size_t l2) {
        if (f2 != 1 || w2 != 2) throw std::runtime_error("unexpected Summary field");
        decode(b2, b2 + l2, [&](int f3, int w3, uint64_t v3, const uint8_t *b3, size_t l3) {
          if (f3 == 1 && w3 == 2) e.tag.assign((const char *)b3, l3);
          else if (f3 == 2 && w3 == 5) {
            uint32_t u = (uint32_t)v3;
            std::memcpy(&e.value, &u, 4), e.has_value = true;
          } else throw std::runtime_error("unexpected Value field");
        });
      });
    else throw std::runtime_error("unexpected Event field " + std::to_string(field));
  });
  return e;
}

// Splits a file into records, checking both masked CRCs of each.
std::vector<Event> read_events(const std::string &path) {
  std::ifstream in(path, std::ios::binary);
  std::vector<uint8_t> d((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::vector<Event> out;
  size_t off = 0;
  while (off < d.size()) {
    if (d.size() - off < 12) throw std::runtime_error("truncated record header");
    uint64_t n = get_le(&d[off], 8);
    if (get_le(&d[off + 8], 4) != kp_crc32c_masked(&d[off], 8)) throw std::runtime_error("bad length CRC");
    if (d.size() - off - 12 < n + 4) throw std::runtime_error("truncated record");
    const uint8_t *data = &d[off + 12];
    if (get_le(data + n, 4) != kp_crc32c_masked(data, n)) throw std::runtime_error("bad data CRC");
    out.push_back(decode_event(data, n));
    off += 12 + n + 4;
  }
  return out;
}

TEST(Crc32c, KnownVectors) {
  EXPECT_EQ(kp_crc32c("123456789", 9), 0xE3069283u);
  EXPECT_EQ(kp_crc32c("", 0), 0u);
  // RFC 3720 B.4: 32 zero bytes, 32 0xFF bytes, bytes 0..31.
  std::vector<uint8_t> z(32, 0), ff(32, 0xFF), inc(32);
  for (int i = 0; i < 32; i++) inc[i] = (uint8_t)i;
  EXPECT_EQ(kp_crc32c(z.data(), 32), 0x8A9136AAu);
  EXPECT_EQ(kp_crc32c(ff.data(), 32), 0x62A8AB43u);
  EXPECT_EQ(kp_crc32c(inc.data(), 32), 0x46DD794Eu);
  // tensorboard's masked_crc32c(b"123456789")
  EXPECT_EQ(kp_crc32c_masked("123456789", 9), 0xC78AB0E5u);
}

// Byte-for-byte the records tensorboard's RecordWriter wrote for the same Event messages.
TEST(TfEvents, RecordsMatchTensorboardWriter) {
  uint8_t ev[128], rec[160];
  size_t n = kp_tb_encode_scalar(1700000000.25, 7, "loss/train", 0.5f, ev, sizeof ev);
  ASSERT_GT(n, 0u);
  size_t m = kp_tfrecord_frame(ev, n, rec);
  EXPECT_EQ(std::vector<uint8_t>(rec, rec + m),
            from_hex("200000000000000029eda9500900001040fc54d94110072a130a110a0a6c6f73732f747261696e150000003fb3a98d8a"));

  n = kp_tb_encode_version(1700000000.25, ev, sizeof ev);
  m = kp_tfrecord_frame(ev, n, rec);
  EXPECT_EQ(std::vector<uint8_t>(rec, rec + m),
            from_hex("1800000000000000a37f4b220900001040fc54d9411a0d627261696e2e4576656e743a32338d2fe9"));

  // A negative step is a 10-byte varint (int64 two's complement), as protobuf writes it.
  n = kp_tb_encode_scalar(1.0, -3, "a", -1.5f, ev, sizeof ev);
  m = kp_tfrecord_frame(ev, n, rec);
  EXPECT_EQ(std::vector<uint8_t>(rec, rec + m),
            from_hex("200000000000000029eda95009000000000000f03f10fdffffffffffffffff012a0a0a080a0161150000c0bf1252c2b1"));
}

TEST(TfEvents, EncodeRefusesSmallBufferAndEmptyTag) {
  uint8_t ev[16];
  EXPECT_EQ(kp_tb_encode_scalar(1.0, 1, "loss/train", 1.0f, ev, sizeof ev), 0u);
  uint8_t big[64];
  EXPECT_EQ(kp_tb_encode_scalar(1.0, 1, "", 1.0f, big, sizeof big), 0u);
  EXPECT_EQ(kp_tb_encode_scalar(1.0, 1, nullptr, 1.0f, big, sizeof big), 0u);
}

TEST(TfEvents, WrittenFileDecodes) {
  std::string dir = temp_dir() + "/nested/tb";  // parents are created
  kp_tb_writer *w = nullptr;
  double before = now_seconds();
  ASSERT_EQ(kp_tb_open(dir.c_str(), &w), KP_OK) << kp_last_error();
  std::string path = kp_tb_path(w);
  for (int step = 0; step < 5; step++) {
    ASSERT_EQ(kp_tb_scalar(w, "loss/train", step, 1.0 / (step + 1)), KP_OK);
    ASSERT_EQ(kp_tb_scalar(w, "f1/val", step, 0.1 * step), KP_OK);
    ASSERT_EQ(kp_tb_flush(w), KP_OK);
    // After a flush the file holds every record so far (a crash here loses nothing).
    EXPECT_EQ(read_events(path).size(), (size_t)(1 + 2 * (step + 1)));
  }
  ASSERT_EQ(kp_tb_close(w), KP_OK);
  double after = now_seconds();

  std::vector<std::string> files = list_dir(dir);
  ASSERT_EQ(files.size(), 1u);
  char host[256] = {0};
  gethostname(host, sizeof host - 1);
  std::string name = files[0];
  EXPECT_EQ(name.rfind("events.out.tfevents.", 0), 0u) << name;
  EXPECT_EQ(name.substr(name.size() - std::strlen(host)), std::string(host)) << name;
  EXPECT_EQ(dir + "/" + name, path);

  std::vector<Event> ev = read_events(path);
  ASSERT_EQ(ev.size(), 11u);
  EXPECT_EQ(ev[0].file_version, "brain.Event:2");
  EXPECT_FALSE(ev[0].has_value);
  long long stamp = std::stoll(name.substr(std::strlen("events.out.tfevents."), 10));
  EXPECT_EQ(stamp, (long long)ev[0].wall_time);  // the name carries the first event's second
  for (int step = 0; step < 5; step++) {
    const Event &a = ev[1 + 2 * step], &b = ev[2 + 2 * step];
    EXPECT_EQ(a.tag, "loss/train");
    EXPECT_EQ(a.step, step);
    EXPECT_EQ(a.value, (float)(1.0 / (step + 1)));
    EXPECT_EQ(b.tag, "f1/val");
    EXPECT_EQ(b.step, step);
    EXPECT_EQ(b.value, (float)(0.1 * step));
    EXPECT_TRUE(a.file_version.empty());
  }
  for (const Event &e : ev) {
    EXPECT_GE(e.wall_time, before);
    EXPECT_LE(e.wall_time, after);
  }
  remove_tree(dir.substr(0, dir.size() - std::strlen("/nested/tb")));
}

TEST(TfEvents, SecondWriterGetsItsOwnFile) {
  std::string dir = temp_dir();
  kp_tb_writer *a = nullptr, *b = nullptr;
  ASSERT_EQ(kp_tb_open(dir.c_str(), &a), KP_OK) << kp_last_error();
  ASSERT_EQ(kp_tb_open(dir.c_str(), &b), KP_OK) << kp_last_error();
  EXPECT_NE(std::string(kp_tb_path(a)), std::string(kp_tb_path(b)));
  ASSERT_EQ(kp_tb_scalar(a, "x", 1, 1.0), KP_OK);
  ASSERT_EQ(kp_tb_scalar(b, "y", 2, 2.0), KP_OK);
  std::string pa = kp_tb_path(a), pb = kp_tb_path(b);
  ASSERT_EQ(kp_tb_close(a), KP_OK);
  ASSERT_EQ(kp_tb_close(b), KP_OK);
  EXPECT_EQ(list_dir(dir).size(), 2u);
  EXPECT_EQ(read_events(pa).at(1).tag, "x");
  EXPECT_EQ(read_events(pb).at(1).tag, "y");
  remove_tree(dir);
}

TEST(TfEvents, BadInputsAreErrors) {
  kp_tb_writer *w = nullptr;
  EXPECT_EQ(kp_tb_open("", &w), KP_ERR_INVALID);
  EXPECT_EQ(kp_tb_open("/tmp", nullptr), KP_ERR_INVALID);
  std::string dir = temp_dir();
  std::string file = dir + "/plain";
  std::ofstream(file) << "x";
  EXPECT_EQ(kp_tb_open((file + "/tb").c_str(), &w), KP_ERR_IO);  // a parent is a regular file
  EXPECT_NE(std::string(kp_last_error()).find("not a directory"), std::string::npos) << kp_last_error();
  EXPECT_EQ(w, nullptr);
  ASSERT_EQ(kp_tb_open(dir.c_str(), &w), KP_OK);
  EXPECT_EQ(kp_tb_scalar(w, "", 0, 1.0), KP_ERR_INVALID);
  EXPECT_EQ(kp_tb_scalar(w, std::string(5000, 't').c_str(), 0, 1.0), KP_ERR_INVALID);
  EXPECT_EQ(kp_tb_scalar(nullptr, "x", 0, 1.0), KP_ERR_INVALID);
  EXPECT_EQ(kp_tb_close(w), KP_OK);
  EXPECT_EQ(kp_tb_close(nullptr), KP_OK);
  remove_tree(dir);
}

// The sequence scripts/golden/tensorboard_check.py expects: tags loss/train and acc/val at steps 0..9,
// loss = 1 / (step + 1), acc = step / 10, plus one event at a large step.
TEST(TfEvents, WritesForPythonCheck) {
  const char *out = std::getenv("KPRCA_TB_OUT");
  std::string dir = out ? std::string(out) : temp_dir();
  kp_tb_writer *w = nullptr;
  ASSERT_EQ(kp_tb_open(dir.c_str(), &w), KP_OK) << kp_last_error();
  for (int step = 0; step < 10; step++) {
    ASSERT_EQ(kp_tb_scalar(w, "loss/train", step, 1.0 / (step + 1)), KP_OK);
    ASSERT_EQ(kp_tb_scalar(w, "acc/val", step, step / 10.0), KP_OK);
    ASSERT_EQ(kp_tb_flush(w), KP_OK);
  }
  ASSERT_EQ(kp_tb_scalar(w, "lr", (int64_t)1 << 40, 3e-4), KP_OK);
  std::string path = kp_tb_path(w);
  ASSERT_EQ(kp_tb_close(w), KP_OK);
  EXPECT_EQ(read_events(path).size(), 22u);
  if (!out) remove_tree(dir);
}

}  // namespace
