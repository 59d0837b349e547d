/* safetensors writer, laid out as the reference implementation (the `safetensors` package) lays files out:
 * tensors ordered by dtype, widest first in the reference's dtype order, then by name; the header is compact
 * JSON with __metadata__ first, then tensors in data order, each as {"dtype","shape","data_offsets"}; the
 * header is padded with spaces to a multiple of 8 bytes. Written to a temporary file, synced, renamed. */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "kprca/safetensors.h"

typedef struct sbuf {
  char *p;
  size_t n, cap;
  bool oom;
} sbuf;

static void sb_add(sbuf *b, const char *s, size_t n) {
  if (b->oom) return;
  if (b->n + n + 1 > b->cap) {
    size_t cap = b->cap ? b->cap : 256;
    while (cap < b->n + n + 1) cap *= 2;
    char *q = realloc(b->p, cap);
    if (!q) {
      b->oom = true;
      return;
    }
    b->p = q, b->cap = cap;
  }
  memcpy(b->p + b->n, s, n);
  b->n += n;
  b->p[b->n] = 0;
}
static void sb_fmt(sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void sb_fmt(sbuf *b, const char *fmt, ...) {
  char tmp[64];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
  va_end(ap);
  sb_add(b, tmp, (size_t)n);
}
/* A JSON string as serde_json writes it: quotes, backslashes and control characters escaped, the rest as is. */
static void sb_str(sbuf *b, const char *s) {
  sb_add(b, "\"", 1);
  for (; *s; s++) {
    unsigned char c = (unsigned char)*s;
    if (c == '"') sb_add(b, "\\\"", 2);
    else if (c == '\\') sb_add(b, "\\\\", 2);
    else if (c == '\n') sb_add(b, "\\n", 2);
    else if (c == '\r') sb_add(b, "\\r", 2);
    else if (c == '\t') sb_add(b, "\\t", 2);
    else if (c == '\b') sb_add(b, "\\b", 2);
    else if (c == '\f') sb_add(b, "\\f", 2);
    else if (c < 0x20) sb_fmt(b, "\\u%04x", c);
    else sb_add(b, (const char *)&c, 1);
  }
  sb_add(b, "\"", 1);
}

static int entry_order(const void *a, const void *b) {
  const kp_st_entry *x = *(const kp_st_entry *const *)a, *y = *(const kp_st_entry *const *)b;
  if (x->dtype != y->dtype) return x->dtype > y->dtype ? -1 : 1; /* wider (later in the enum) first */
  return strcmp(x->name, y->name);
}
static int str_ptr_cmp(const void *a, const void *b) {
  return strcmp(**(const char *const *const *)a, **(const char *const *const *)b);
}

static kp_status check_entries(const char *path, const kp_st_entry *e, size_t n, uint64_t *bytes) {
  for (size_t i = 0; i < n; i++) {
    const char *nm = e[i].name;
    if (!nm || !*nm) return kp_fail(KP_ERR_INVALID, "%s: tensor %zu has no name", path, i);
    if (strcmp(nm, "__metadata__") == 0) return kp_fail(KP_ERR_INVALID, "%s: a tensor may not be called __metadata__", path);
    if ((unsigned)e[i].dtype >= KP_ST_NDTYPES) return kp_fail(KP_ERR_INVALID, "%s: tensor '%s': bad dtype", path, nm);
    if (e[i].ndim < 0 || e[i].ndim > KP_ST_MAX_DIMS || (e[i].ndim > 0 && !e[i].shape))
      return kp_fail(KP_ERR_INVALID, "%s: tensor '%s': %d dimensions (0..%d allowed)", path, nm, e[i].ndim,
                     KP_ST_MAX_DIMS);
    uint64_t numel = 1;
    for (int d = 0; d < e[i].ndim; d++) {
      if (e[i].shape[d] < 0) return kp_fail(KP_ERR_INVALID, "%s: tensor '%s': negative shape[%d]", path, nm, d);
      if (__builtin_mul_overflow(numel, (uint64_t)e[i].shape[d], &numel))
        return kp_fail(KP_ERR_INVALID, "%s: tensor '%s': shape product overflows", path, nm);
    }
    bytes[i] = numel * kp_st_dtype_size(e[i].dtype);
    if (bytes[i] && !e[i].data) return kp_fail(KP_ERR_INVALID, "%s: tensor '%s': no data", path, nm);
    for (size_t j = 0; j < i; j++)
      if (strcmp(e[j].name, nm) == 0) return kp_fail(KP_ERR_INVALID, "%s: tensor '%s' given twice", path, nm);
  }
  return KP_OK;
}

/* The padded header for entries in order ord. */
static kp_status build_header(const char *path, const kp_st_entry *e, const kp_st_entry **ord, const uint64_t *bytes,
                              size_t n, const char *const *meta, size_t nmeta, sbuf *h) {
  sb_add(h, "{", 1);
  if (nmeta) {
    const char *const **keys = malloc(nmeta * sizeof *keys);
    if (!keys) return kp_fail(KP_ERR_NOMEM, "%s: out of memory", path);
    for (size_t i = 0; i < nmeta; i++) keys[i] = &meta[2 * i];
    qsort(keys, nmeta, sizeof *keys, str_ptr_cmp);
    sb_add(h, "\"__metadata__\":{", 16);
    for (size_t i = 0; i < nmeta; i++) {
      if (!keys[i][0] || !keys[i][1] || (i && strcmp(keys[i][0], keys[i - 1][0]) == 0)) {
        kp_status s = kp_fail(KP_ERR_INVALID, "%s: metadata key %s missing, repeated or without a value", path,
                              keys[i][0] ? keys[i][0] : "(null)");
        free(keys);
        return s;
      }
      if (i) sb_add(h, ",", 1);
      sb_str(h, keys[i][0]);
      sb_add(h, ":", 1);
      sb_str(h, keys[i][1]);
    }
    free(keys);
    sb_add(h, "}", 1);
  }
  uint64_t at = 0;
  for (size_t k = 0; k < n; k++) {
    const kp_st_entry *x = ord[k];
    if (k || nmeta) sb_add(h, ",", 1);
    sb_str(h, x->name);
    sb_fmt(h, ":{\"dtype\":\"%s\",\"shape\":[", kp_st_dtype_name(x->dtype));
    for (int d = 0; d < x->ndim; d++) sb_fmt(h, d ? ",%lld" : "%lld", (long long)x->shape[d]);
    sb_fmt(h, "],\"data_offsets\":[%llu,", (unsigned long long)at);
    at += bytes[x - e];
    sb_fmt(h, "%llu]}", (unsigned long long)at);
  }
  sb_add(h, "}", 1);
  while (!h->oom && h->n % 8) sb_add(h, " ", 1);
  return h->oom ? kp_fail(KP_ERR_NOMEM, "%s: out of memory", path) : KP_OK;
}

static bool write_all(int fd, const void *p, uint64_t n) {
  const char *c = p;
  while (n > 0) {
    ssize_t w = write(fd, c, n > (1u << 30) ? (1u << 30) : (size_t)n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return false;
    c += w, n -= (uint64_t)w;
  }
  return true;
}

static void sync_dir(const char *path) {
  char *copy = strdup(path);
  if (!copy) return;
  int fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd >= 0) {
    fsync(fd); /* best effort: the rename is durable once the directory is */
    close(fd);
  }
  free(copy);
}

kp_status kp_st_write(const char *path, const kp_st_entry *e, size_t n, const char *const *meta, size_t nmeta) {
  const kp_st_entry **ord = malloc((n + 1) * sizeof *ord);
  uint64_t *bytes = malloc((n + 1) * sizeof *bytes);
  sbuf h = {0};
  char *tmp = malloc(strlen(path) + 12);
  kp_status s = (ord && bytes && tmp) ? KP_OK : kp_fail(KP_ERR_NOMEM, "%s: out of memory", path);
  if (s == KP_OK) s = check_entries(path, e, n, bytes);
  if (s == KP_OK) {
    for (size_t i = 0; i < n; i++) ord[i] = &e[i];
    qsort(ord, n, sizeof *ord, entry_order);
    s = build_header(path, e, ord, bytes, n, meta, nmeta, &h);
  }
  int fd = -1;
  if (s == KP_OK) {
    sprintf(tmp, "%s.tmpXXXXXX", path);
    fd = mkstemp(tmp);
    if (fd < 0) s = kp_fail(KP_ERR_IO, "%s: cannot create a temporary file next to it: %s", path, strerror(errno));
  }
  if (s == KP_OK) {
    uint8_t len[8];
    for (int i = 0; i < 8; i++) len[i] = (uint8_t)((uint64_t)h.n >> (8 * i));
    bool ok = write_all(fd, len, 8) && write_all(fd, h.p, h.n);
    for (size_t k = 0; ok && k < n; k++) ok = write_all(fd, ord[k]->data, bytes[ord[k] - e]);
    ok = ok && fchmod(fd, 0644) == 0 && fsync(fd) == 0;
    int err = errno;
    if (close(fd) != 0 && ok) ok = false, err = errno;
    if (ok && rename(tmp, path) != 0) ok = false, err = errno;
    if (!ok) {
      unlink(tmp);
      s = kp_fail(KP_ERR_IO, "%s: cannot write: %s", path, strerror(err));
    } else {
      sync_dir(path);
    }
  }
  free(ord);
  free(bytes);
  free(h.p);
  free(tmp);
  return s;
}
