/* Line reader: buffered reads, memchr for line ends, a growing line buffer, UTF-8 repair. Lines that
 * sit whole in the read buffer and are plain ASCII are handed out in place, without a copy. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>
#include "kprca/linereader.h"

#define KP_READ_CHUNK (1 << 16)

struct kp_line_reader {
  FILE *f;
  bool owned;
  char *name;
  char buf[KP_READ_CHUNK];
  size_t pos, end;
  bool at_eof;
  char *line; /* raw bytes of the current line */
  size_t line_cap;
  char *clean; /* repaired copy */
  size_t clean_cap;
  int64_t lineno;
  kp_line_stats st;
};

size_t kp_utf8_repair(const char *in, size_t n, char *out, size_t *bad) {
  size_t o = 0, i = 0, nbad = 0;
  while (i < n) {
    unsigned char c = (unsigned char)in[i];
    if (c >= 0x01 && c < 0x80) { /* ASCII fast path */
      out[o++] = (char)c;
      i++;
      continue;
    }
    utf8proc_int32_t cp;
    utf8proc_ssize_t k = c ? utf8proc_iterate((const utf8proc_uint8_t *)in + i, (utf8proc_ssize_t)(n - i), &cp) : -1;
    if (k > 0) {
      memcpy(out + o, in + i, (size_t)k);
      o += (size_t)k;
      i += (size_t)k;
    } else {
      out[o++] = (char)0xEF, out[o++] = (char)0xBF, out[o++] = (char)0xBD; /* U+FFFD */
      i++;
      nbad++;
    }
  }
  if (bad) *bad = nbad;
  return o;
}

static kp_status make(FILE *f, bool owned, const char *name, kp_line_reader **out) {
  kp_line_reader *r = calloc(1, sizeof *r);
  if (!r) return kp_fail(KP_ERR_NOMEM, "%s: out of memory", name);
  r->f = f;
  r->owned = owned;
  r->name = strdup(name);
  if (!r->name) {
    free(r);
    return kp_fail(KP_ERR_NOMEM, "%s: out of memory", name);
  }
  *out = r;
  return KP_OK;
}

kp_status kp_line_reader_open(const char *path, kp_line_reader **out) {
  *out = NULL;
  if (!path || !*path) return kp_fail(KP_ERR_INVALID, "no input file given");
  if (strcmp(path, "-") == 0) return make(stdin, false, "<stdin>", out);
  FILE *f = fopen(path, "rb");
  if (!f) return kp_fail(KP_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
  kp_status s = make(f, true, path, out);
  if (s != KP_OK) fclose(f);
  return s;
}

kp_status kp_line_reader_stream(FILE *f, const char *name, kp_line_reader **out) {
  *out = NULL;
  return make(f, false, name ? name : "<stream>", out);
}

static kp_status grow(char **p, size_t *cap, size_t need, const char *name) {
  if (need <= *cap) return KP_OK;
  size_t c = *cap ? *cap : 256;
  while (c < need) c *= 2;
  char *q = realloc(*p, c);
  if (!q) return kp_fail(KP_ERR_NOMEM, "%s: out of memory for a %zu-byte line", name, need);
  *p = q;
  *cap = c;
  return KP_OK;
}

/* Whether s[0..n) is ASCII without NUL (nothing to repair): eight bytes at a time. */
static bool plain_ascii(const char *s, size_t n) {
  const uint64_t ones = 0x0101010101010101ull, high = 0x8080808080808080ull;
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    uint64_t w;
    memcpy(&w, s + i, 8);
    if (((w - ones) | w) & high) return false; /* a byte >= 0x80, or a zero byte (its borrow) */
  }
  for (; i < n; i++)
    if ((unsigned char)s[i] - 1u >= 0x7Fu) return false;
  return true;
}

/* The common case: the whole line is in the buffer and needs no repair; it is handed out in place,
 * its terminator overwritten by NUL. false: take the general path. */
static bool next_in_place(kp_line_reader *r, const char **line, size_t *len) {
  char *a = r->buf + r->pos, *nl = memchr(a, '\n', r->end - r->pos);
  if (!nl) return false;
  size_t n = (size_t)(nl - a);
  if (!plain_ascii(a, n)) return false;
  r->pos += n + 1;
  if (n > 0 && a[n - 1] == '\r') {
    n--;
    r->st.crlf++;
  }
  a[n] = 0;
  r->lineno++;
  r->st.lines++;
  if ((int64_t)n > r->st.longest) r->st.longest = (int64_t)n;
  *line = a;
  *len = n;
  return true;
}

kp_status kp_line_reader_next(kp_line_reader *r, const char **line, size_t *len, bool *eof) {
  if (r->pos < r->end && next_in_place(r, line, len)) {
    *eof = false;
    return KP_OK;
  }
  size_t n = 0;
  bool got = false;
  *eof = false;
  for (;;) {
    if (r->pos == r->end) {
      if (r->at_eof) break;
      r->end = fread(r->buf, 1, sizeof r->buf, r->f);
      r->pos = 0;
      if (r->end == 0) {
        if (ferror(r->f)) return kp_fail(KP_ERR_IO, "%s: read error after line %lld: %s", r->name,
                                         (long long)r->lineno, strerror(errno));
        r->at_eof = true;
        break;
      }
    }
    got = true;
    char *nl = memchr(r->buf + r->pos, '\n', r->end - r->pos);
    size_t take = nl ? (size_t)(nl - (r->buf + r->pos)) : r->end - r->pos;
    KP_TRY(grow(&r->line, &r->line_cap, n + take + 1, r->name));
    memcpy(r->line + n, r->buf + r->pos, take);
    n += take;
    r->pos += take;
    if (nl) {
      r->pos++; /* the newline */
      break;
    }
  }
  if (!got) {
    *eof = true;
    *line = "";
    *len = 0;
    return KP_OK;
  }
  if (n > 0 && r->line[n - 1] == '\r') {
    n--;
    r->st.crlf++;
  }
  r->lineno++;
  r->st.lines++;
  if ((int64_t)n > r->st.longest) r->st.longest = (int64_t)n;
  if (memchr(r->line, 0, n)) r->st.with_nul++;
  KP_TRY(grow(&r->clean, &r->clean_cap, 3 * n + 1, r->name));
  size_t bad = 0;
  size_t m = kp_utf8_repair(r->line, n, r->clean, &bad);
  if (bad) r->st.repaired++;
  r->clean[m] = 0;
  *line = r->clean;
  *len = m;
  return KP_OK;
}

int64_t kp_line_reader_lineno(const kp_line_reader *r) { return r->lineno; }

const char *kp_line_reader_name(const kp_line_reader *r) { return r->name; }

kp_line_stats kp_line_reader_stats(const kp_line_reader *r) { return r->st; }

void kp_line_reader_close(kp_line_reader *r) {
  if (!r) return;
  if (r->owned && r->f) fclose(r->f);
  free(r->name);
  free(r->line);
  free(r->clean);
  free(r);
}
