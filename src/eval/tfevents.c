/* TensorBoard event files: TFRecord framing with masked CRC32C around hand-encoded Event
 * protobufs. Protobuf wire format used here: a key is (field << 3 | wire type) as a varint;
 * wire type 0 = varint, 1 = 8 little-endian bytes, 2 = length-delimited, 5 = 4 bytes.
 *   Event   { double wall_time = 1; int64 step = 2; string file_version = 3; Summary summary = 5; }
 *   Summary { repeated Value value = 1; }   Value { string tag = 1; float simple_value = 2; }
 * The file is written in place (not to a temporary name): TensorBoard reads it while it grows,
 * and each flushed record stays readable if the run dies. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "kprca/rundir.h"
#include "kprca/tfevents.h"

#define TB_MAX_TAG 4096

struct kp_tb_writer {
  FILE *f;
  char *path;
  int failed; /* errno of the first failed write, 0 when none */
};

/* ---- CRC-32C ---- */

static uint32_t crc_table[256];
static int crc_ready;

static void crc_init(void) {
  for (uint32_t i = 0; i < 256; i++) {
    uint32_t c = i;
    for (int k = 0; k < 8; k++) c = (c & 1) ? (c >> 1) ^ 0x82F63B78u : c >> 1;
    crc_table[i] = c;
  }
  crc_ready = 1;
}

uint32_t kp_crc32c(const void *data, size_t n) {
  if (!crc_ready) crc_init(); /* idempotent: a racing second init writes the same values */
  const uint8_t *p = data;
  uint32_t c = 0xFFFFFFFFu;
  for (size_t i = 0; i < n; i++) c = crc_table[(c ^ p[i]) & 0xFF] ^ (c >> 8);
  return c ^ 0xFFFFFFFFu;
}

uint32_t kp_crc32c_masked(const void *data, size_t n) {
  uint32_t c = kp_crc32c(data, n);
  return ((c >> 15) | (c << 17)) + 0xa282ead8u;
}

static void put_le(uint8_t *out, uint64_t v, int bytes) {
  for (int i = 0; i < bytes; i++) out[i] = (uint8_t)(v >> (8 * i));
}

size_t kp_tfrecord_frame(const uint8_t *data, size_t n, uint8_t *out) {
  put_le(out, (uint64_t)n, 8);
  put_le(out + 8, kp_crc32c_masked(out, 8), 4);
  memcpy(out + 12, data, n);
  put_le(out + 12 + n, kp_crc32c_masked(data, n), 4);
  return n + 16;
}

/* ---- Protobuf encoding into a bounded buffer ---- */

typedef struct {
  uint8_t *p;
  size_t n, cap;
  int overflow;
} pbuf;

static void pb_bytes(pbuf *b, const void *src, size_t n) {
  if (b->overflow || n > b->cap - b->n) {
    b->overflow = 1;
    return;
  }
  memcpy(b->p + b->n, src, n);
  b->n += n;
}

static void pb_varint(pbuf *b, uint64_t v) {
  uint8_t tmp[10];
  int k = 0;
  do {
    tmp[k] = (uint8_t)(v & 0x7F);
    v >>= 7;
    if (v) tmp[k] |= 0x80;
    k++;
  } while (v);
  pb_bytes(b, tmp, (size_t)k);
}

static size_t varint_len(uint64_t v) {
  size_t k = 1;
  while (v >>= 7) k++;
  return k;
}

static void pb_key(pbuf *b, int field, int wire) { pb_varint(b, (uint64_t)(field << 3 | wire)); }

static void pb_double(pbuf *b, int field, double v) {
  uint64_t u;
  uint8_t le[8];
  memcpy(&u, &v, 8);
  put_le(le, u, 8);
  pb_key(b, field, 1);
  pb_bytes(b, le, 8);
}

static void pb_string(pbuf *b, int field, const char *s, size_t n) {
  pb_key(b, field, 2);
  pb_varint(b, n);
  pb_bytes(b, s, n);
}

size_t kp_tb_encode_scalar(double wall_time, int64_t step, const char *tag, float value, uint8_t *buf, size_t cap) {
  if (!tag || !*tag || !buf) return 0;
  size_t tag_len = strlen(tag);
  /* Value = key(1) len tag, key(2) 4 bytes; Summary = key(1) len Value. */
  size_t value_len = 1 + varint_len(tag_len) + tag_len + 1 + 4;
  size_t summary_len = 1 + varint_len(value_len) + value_len;
  pbuf b = {buf, 0, cap, 0};
  pb_double(&b, 1, wall_time);
  pb_key(&b, 2, 0);
  pb_varint(&b, (uint64_t)step); /* int64: negatives as their 64-bit two's complement (10 bytes) */
  pb_key(&b, 5, 2);
  pb_varint(&b, summary_len);
  pb_key(&b, 1, 2);
  pb_varint(&b, value_len);
  pb_string(&b, 1, tag, tag_len);
  uint32_t u;
  uint8_t le[4];
  memcpy(&u, &value, 4);
  put_le(le, u, 4);
  pb_key(&b, 2, 5);
  pb_bytes(&b, le, 4);
  return b.overflow ? 0 : b.n;
}

size_t kp_tb_encode_version(double wall_time, uint8_t *buf, size_t cap) {
  static const char version[] = "brain.Event:2";
  pbuf b = {buf, 0, cap, 0};
  pb_double(&b, 1, wall_time);
  pb_string(&b, 3, version, sizeof version - 1);
  return b.overflow ? 0 : b.n;
}

/* ---- Writer ---- */

static double now_seconds(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void write_record(kp_tb_writer *w, const uint8_t *data, size_t n) {
  uint8_t head[12], tail[4];
  put_le(head, (uint64_t)n, 8);
  put_le(head + 8, kp_crc32c_masked(head, 8), 4);
  put_le(tail, kp_crc32c_masked(data, n), 4);
  if (w->failed) return;
  errno = 0;
  if (fwrite(head, 1, 12, w->f) != 12 || fwrite(data, 1, n, w->f) != n || fwrite(tail, 1, 4, w->f) != 4)
    w->failed = errno ? errno : EIO;
}

kp_status kp_tb_open(const char *dir, kp_tb_writer **out) {
  if (!out) return kp_fail(KP_ERR_INVALID, "tfevents: output is NULL");
  *out = NULL;
  if (!dir || !*dir) return kp_fail(KP_ERR_INVALID, "tfevents: no directory given");
  KP_TRY(kp_mkdirs(dir));
  char host[256] = "localhost";
  if (gethostname(host, sizeof host) != 0 || !host[0]) snprintf(host, sizeof host, "localhost");
  host[sizeof host - 1] = 0;
  for (char *c = host; *c; c++)
    if (*c == '/') *c = '_';
  double t0 = now_seconds();
  size_t cap = strlen(dir) + strlen(host) + 64;
  char *path = malloc(cap);
  kp_tb_writer *w = calloc(1, sizeof *w);
  if (!path || !w) {
    free(path), free(w);
    return kp_fail(KP_ERR_NOMEM, "tfevents: out of memory");
  }
  /* TensorBoard's name; a second writer in the same second and directory gets a ".N" suffix. */
  FILE *f = NULL;
  for (int k = 0; k < 1000 && !f; k++) {
    int len = snprintf(path, cap, "%s/events.out.tfevents.%010lld.%s", dir, (long long)t0, host);
    if (k) snprintf(path + len, cap - (size_t)len, ".%d", k);
    f = fopen(path, "wbx"); /* C11 exclusive create: never clobber another writer's file */
    if (!f && errno != EEXIST) {
      kp_status s = kp_fail(KP_ERR_IO, "%s: cannot create: %s", path, strerror(errno));
      free(path), free(w);
      return s;
    }
  }
  if (!f) {
    kp_status s = kp_fail(KP_ERR_IO, "%s: 1000 event files of this second already exist", dir);
    free(path), free(w);
    return s;
  }
  w->f = f, w->path = path;
  uint8_t buf[64];
  size_t n = kp_tb_encode_version(t0, buf, sizeof buf);
  write_record(w, buf, n);
  kp_status s = kp_tb_flush(w);
  if (s != KP_OK) {
    kp_tb_close(w);
    return s;
  }
  *out = w;
  return KP_OK;
}

kp_status kp_tb_scalar(kp_tb_writer *w, const char *tag, int64_t step, double value) {
  if (!w) return kp_fail(KP_ERR_INVALID, "tfevents: writer is NULL");
  if (!tag || !*tag) return kp_fail(KP_ERR_INVALID, "tfevents: %s: scalar without a tag", w->path);
  if (strlen(tag) > TB_MAX_TAG)
    return kp_fail(KP_ERR_INVALID, "tfevents: %s: tag longer than %d bytes", w->path, TB_MAX_TAG);
  uint8_t buf[TB_MAX_TAG + 64];
  size_t n = kp_tb_encode_scalar(now_seconds(), step, tag, (float)value, buf, sizeof buf);
  if (!n) return kp_fail(KP_ERR_INTERNAL, "tfevents: %s: event for tag '%s' did not fit", w->path, tag);
  write_record(w, buf, n);
  if (w->failed) return kp_fail(KP_ERR_IO, "%s: write failed: %s", w->path, strerror(w->failed));
  return KP_OK;
}

kp_status kp_tb_flush(kp_tb_writer *w) {
  if (!w) return kp_fail(KP_ERR_INVALID, "tfevents: writer is NULL");
  errno = 0;
  if (!w->failed && fflush(w->f) != 0) w->failed = errno ? errno : EIO;
  if (w->failed) return kp_fail(KP_ERR_IO, "%s: write failed: %s", w->path, strerror(w->failed));
  return KP_OK;
}

kp_status kp_tb_close(kp_tb_writer *w) {
  if (!w) return KP_OK;
  kp_status s = kp_tb_flush(w);
  if (fclose(w->f) != 0 && s == KP_OK) s = kp_fail(KP_ERR_IO, "%s: close failed: %s", w->path, strerror(errno));
  free(w->path);
  free(w);
  return s;
}

const char *kp_tb_path(const kp_tb_writer *w) { return w ? w->path : NULL; }
