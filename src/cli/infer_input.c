/* kprca-infer's input: files or standard input read with plain read(2), split into lines (LF, CRLF, a missing
 * final newline), repaired to valid UTF-8, format detected from the first non-empty lines (held back, then
 * replayed) and parsed into kernel-log records. Follow mode keeps reading as a file grows, like tail -F: a file
 * that shrinks was truncated (read again from the start), a path that now names another file was rotated (the
 * old file is drained, then the new one is read from the start). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "cli/infer.h"
#include "kprca/linereader.h"

#define CHUNK (1 << 16)
#define DETECT_LINES 32 /* non-empty lines used to detect the format */

struct infer_src {
  char *path;       /* as given */
  const char *name; /* shown: path or "<stdin>" */
  int fd;
  bool stream;      /* pipe, socket or terminal */
  dev_t dev;
  ino_t ino;
  off_t off;        /* bytes read from the current file */
  char *buf;        /* bytes not yet split into lines */
  size_t len, cap;
  char *rep;        /* repaired line */
  size_t repcap;
  int64_t lineno;
  kp_klog_format format;
  kp_klog_parser *parser;
  char **held;      /* lines held back until the format is known */
  size_t *heldlen;
  int nheld, capheld, nonempty;
};

static kp_status set_parser(infer_src *s) {
  if (s->parser) kp_klog_parser_free(s->parser), s->parser = NULL;
  return kp_klog_parser_new(s->format, NULL, &s->parser);
}

kp_status infer_src_open(const char *path, kp_klog_format format, infer_src **out) {
  *out = NULL;
  bool in = !strcmp(path, "-");
  int fd = in ? STDIN_FILENO : open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return kp_fail(KP_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
  struct stat st;
  if (fstat(fd, &st) != 0 || S_ISDIR(st.st_mode)) {
    int e = errno;
    bool dir = S_ISDIR(st.st_mode);
    if (!in) close(fd);
    return kp_fail(KP_ERR_IO, "%s: %s", path, dir ? "is a directory, not a log file" : strerror(e));
  }
  infer_src *s = calloc(1, sizeof *s);
  if (!s || !(s->path = strdup(path))) {
    free(s);
    if (!in) close(fd);
    return kp_fail(KP_ERR_NOMEM, "%s: out of memory", path);
  }
  s->name = in ? "<stdin>" : s->path;
  s->fd = fd;
  s->stream = !S_ISREG(st.st_mode);
  s->dev = st.st_dev, s->ino = st.st_ino;
  s->format = format;
  if (format != KP_KLOG_AUTO) {
    kp_status r = set_parser(s);
    if (r != KP_OK) {
      infer_src_close(s);
      return r;
    }
  }
  *out = s;
  return KP_OK;
}

bool infer_src_is_stream(const infer_src *s) { return s->stream; }
int infer_src_fd(const infer_src *s) { return s->fd; }
const char *infer_src_name(const infer_src *s) { return s->name; }

static kp_status parse_one(infer_src *s, int idx, const char *line, size_t len, int64_t lineno, infer_line_fn fn,
                           void *ctx) {
  kp_klog_record rec;
  kp_klog_parser_line(s->parser, line, len, lineno, &rec);
  return fn(ctx, idx, s->name, &rec);
}

/* Detects the format from the held lines, then parses them. */
static kp_status flush_held(infer_src *s, int idx, infer_line_fn fn, void *ctx) {
  if (s->parser || s->nheld == 0) return KP_OK;
  const char *smp[DETECT_LINES];
  size_t lens[DETECT_LINES];
  int n = 0;
  for (int i = 0; i < s->nheld && n < DETECT_LINES; i++)
    if (s->heldlen[i]) smp[n] = s->held[i], lens[n++] = s->heldlen[i];
  s->format = n ? kp_klog_detect(smp, lens, n) : KP_KLOG_CONSOLE;
  KP_TRY(set_parser(s));
  kp_status r = KP_OK;
  int64_t first = s->lineno - s->nheld + 1;
  for (int i = 0; i < s->nheld && r == KP_OK; i++) r = parse_one(s, idx, s->held[i], s->heldlen[i], first + i, fn, ctx);
  for (int i = 0; i < s->nheld; i++) free(s->held[i]);
  s->nheld = 0;
  return r;
}

static kp_status hold(infer_src *s, const char *line, size_t len) {
  if (s->nheld == s->capheld) {
    int cap = s->capheld ? 2 * s->capheld : 64;
    char **h = realloc(s->held, sizeof *h * (size_t)cap);
    if (h) s->held = h;
    size_t *l = realloc(s->heldlen, sizeof *l * (size_t)cap);
    if (l) s->heldlen = l;
    if (!h || !l) return kp_fail(KP_ERR_NOMEM, "%s: out of memory", s->name);
    s->capheld = cap;
  }
  char *c = malloc(len + 1);
  if (!c) return kp_fail(KP_ERR_NOMEM, "%s: out of memory", s->name);
  memcpy(c, line, len), c[len] = 0;
  s->held[s->nheld] = c, s->heldlen[s->nheld++] = len;
  s->nonempty += len > 0;
  return KP_OK;
}

/* One raw line (no terminator). */
static kp_status deliver(infer_src *s, int idx, const char *raw, size_t n, infer_line_fn fn, void *ctx) {
  if (n && raw[n - 1] == '\r') n--;
  if (s->repcap < 3 * n + 1) {
    size_t cap = 3 * n + 64;
    char *r = realloc(s->rep, cap);
    if (!r) return kp_fail(KP_ERR_NOMEM, "%s:%lld: out of memory for a line of %zu bytes", s->name,
                           (long long)s->lineno + 1, n);
    s->rep = r, s->repcap = cap;
  }
  size_t bad;
  size_t len = kp_utf8_repair(raw, n, s->rep, &bad);
  s->rep[len] = 0;
  s->lineno++;
  if (!s->parser) {
    KP_TRY(hold(s, s->rep, len));
    return s->nonempty >= DETECT_LINES ? flush_held(s, idx, fn, ctx) : KP_OK;
  }
  return parse_one(s, idx, s->rep, len, s->lineno, fn, ctx);
}

/* Splits the buffer into complete lines; keeps the remainder. */
static kp_status split(infer_src *s, int idx, infer_line_fn fn, void *ctx) {
  size_t start = 0;
  kp_status r = KP_OK;
  while (r == KP_OK && start < s->len) {
    char *nl = memchr(s->buf + start, '\n', s->len - start);
    if (!nl) break;
    size_t end = (size_t)(nl - s->buf);
    r = deliver(s, idx, s->buf + start, end - start, fn, ctx);
    start = end + 1;
  }
  memmove(s->buf, s->buf + start, s->len - start);
  s->len -= start;
  return r;
}

/* Follow mode at the end of a regular file: truncated (*what 1) or rotated (*what 2)? */
static kp_status check_file(infer_src *s, int *what) {
  *what = 0;
  struct stat st;
  if (fstat(s->fd, &st) == 0 && st.st_size < s->off) {
    fprintf(stderr, "kprca-infer: %s: file truncated, reading it from the start\n", s->name);
    if (lseek(s->fd, 0, SEEK_SET) < 0) return kp_fail(KP_ERR_IO, "%s: cannot seek: %s", s->name, strerror(errno));
    s->off = 0, s->len = 0, s->lineno = 0;
    *what = 1;
    return KP_OK;
  }
  if (!strcmp(s->path, "-") || stat(s->path, &st) != 0) return KP_OK; /* gone for now: wait for it */
  if (st.st_dev == s->dev && st.st_ino == s->ino) return KP_OK;
  int fd = open(s->path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return KP_OK; /* not readable yet; try again later */
  fprintf(stderr, "kprca-infer: %s: file replaced (rotated), following the new one\n", s->name);
  close(s->fd);
  s->fd = fd, s->dev = st.st_dev, s->ino = st.st_ino, s->off = 0;
  *what = 2;
  return KP_OK;
}

kp_status infer_src_pump(infer_src *s, int idx, bool follow, infer_line_fn fn, void *ctx, bool *progress,
                         bool *done) {
  *progress = false, *done = false;
  if (s->stream) {
    struct pollfd p = {s->fd, POLLIN, 0};
    int r = poll(&p, 1, 0);
    if (r < 0 && errno != EINTR) return kp_fail(KP_ERR_IO, "%s: poll: %s", s->name, strerror(errno));
    if (r <= 0) return flush_held(s, idx, fn, ctx); /* nothing there now */
  }
  if (s->cap - s->len < CHUNK) {
    char *b = realloc(s->buf, s->len + CHUNK);
    if (!b) return kp_fail(KP_ERR_NOMEM, "%s: out of memory", s->name);
    s->buf = b, s->cap = s->len + CHUNK;
  }
  ssize_t n = read(s->fd, s->buf + s->len, CHUNK);
  if (n < 0) {
    if (errno == EINTR || errno == EAGAIN) return KP_OK;
    return kp_fail(KP_ERR_IO, "%s: read error: %s", s->name, strerror(errno));
  }
  if (n > 0) {
    s->off += n, s->len += (size_t)n;
    *progress = true;
    return split(s, idx, fn, ctx);
  }
  if (!follow || s->stream) {
    *done = true;
    return KP_OK;
  }
  int what;
  KP_TRY(check_file(s, &what));
  if (what == 2 && s->len) { /* the old file's last line had no newline */
    KP_TRY(deliver(s, idx, s->buf, s->len, fn, ctx));
    s->len = 0;
  }
  if (what == 2) s->lineno = 0;
  if (what) *progress = true;
  return flush_held(s, idx, fn, ctx);
}

kp_status infer_src_finish(infer_src *s, int idx, infer_line_fn fn, void *ctx) {
  if (s->len) {
    KP_TRY(deliver(s, idx, s->buf, s->len, fn, ctx));
    s->len = 0;
  }
  return flush_held(s, idx, fn, ctx);
}

void infer_src_close(infer_src *s) {
  if (!s) return;
  if (s->fd >= 0 && strcmp(s->path, "-")) close(s->fd);
  for (int i = 0; i < s->nheld; i++) free(s->held[i]);
  free(s->held), free(s->heldlen), free(s->buf), free(s->rep), free(s->path);
  kp_klog_parser_free(s->parser);
  free(s);
}
