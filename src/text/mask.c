/* Masking passes: JIT-compiled PCRE2 global replace by "<*>", with a first-byte pre-check per pass.
 * The default kernel pass runs the rules' hand-written matcher (mask_scan.c), which gives what the
 * PCRE2 alternation of the rules gives (the tests compare them). */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "kprca/mask.h"
#include "text/mask_internal.h"

typedef struct pass {
  pcre2_code *code;
  bool jit;
  bool precheck;          /* first[] is usable: a match must start with one of these bytes */
  bool native;            /* the default kernel pass: kp_mask_scan */
  uint8_t first[256];
} pass;

struct kp_masker {
  pass *passes;
  size_t n, cap;
  pcre2_match_data *md;
  char *buf[3]; /* ping-pong output buffers; buf[2]: the padded input of the default pass */
  size_t bcap[3];
};

kp_status kp_masker_new(kp_masker **out) {
  *out = calloc(1, sizeof **out);
  if (!*out) return kp_fail(KP_ERR_NOMEM, "masker: out of memory");
  (*out)->md = pcre2_match_data_create(1, NULL);
  if (!(*out)->md) {
    free(*out);
    *out = NULL;
    return kp_fail(KP_ERR_NOMEM, "masker: out of memory");
  }
  return KP_OK;
}

/* Bytes a match can start with, from PCRE2's start-of-match analysis; false when unknown or when
 * the pattern can match the empty string. */
static bool first_bytes(const pcre2_code *code, uint8_t first[256]) {
  uint32_t minlen = 0, type = 0;
  pcre2_pattern_info(code, PCRE2_INFO_MINLENGTH, &minlen);
  if (minlen == 0) return false;
  pcre2_pattern_info(code, PCRE2_INFO_FIRSTCODETYPE, &type);
  memset(first, 0, 256);
  if (type == 1) {
    uint32_t u = 0;
    pcre2_pattern_info(code, PCRE2_INFO_FIRSTCODEUNIT, &u);
    if (u > 255) return false;
    first[u] = 1;
    if (u >= 'a' && u <= 'z') first[u - 32] = 1; /* the unit may be caseless: a superset is safe */
    if (u >= 'A' && u <= 'Z') first[u + 32] = 1;
    return true;
  }
  if (type != 0) return false;
  const uint8_t *bm = NULL;
  pcre2_pattern_info(code, PCRE2_INFO_FIRSTBITMAP, &bm);
  if (!bm) return false;
  for (int c = 0; c < 256; c++) first[c] = (bm[c / 8] >> (c % 8)) & 1;
  return true;
}

static kp_status add_pass(kp_masker *m, const char *pattern, uint32_t opts, const char *label) {
  int err;
  PCRE2_SIZE eoff;
  pcre2_code *code = pcre2_compile((PCRE2_SPTR)pattern, PCRE2_ZERO_TERMINATED, opts, &err, &eoff, NULL);
  if (!code) {
    PCRE2_UCHAR msg[256];
    pcre2_get_error_message(err, msg, sizeof msg);
    return kp_fail(KP_ERR_INVALID, "mask '%s': %s at offset %zu", label, (char *)msg, (size_t)eoff);
  }
  if (m->n == m->cap) {
    size_t c = m->cap ? 2 * m->cap : 8;
    pass *p = realloc(m->passes, c * sizeof *p);
    if (!p) {
      pcre2_code_free(code);
      return kp_fail(KP_ERR_NOMEM, "masker: out of memory");
    }
    m->passes = p, m->cap = c;
  }
  pass *p = &m->passes[m->n++];
  memset(p, 0, sizeof *p);
  p->code = code;
  p->jit = pcre2_jit_compile(code, PCRE2_JIT_COMPLETE) == 0;
  p->precheck = first_bytes(code, p->first);
  return KP_OK;
}

kp_status kp_masker_add(kp_masker *m, const char *pattern) {
  if (!pattern || !*pattern) return kp_fail(KP_ERR_INVALID, "mask: empty regular expression");
  return add_pass(m, pattern, PCRE2_UTF | PCRE2_UCP, pattern);
}

kp_status kp_masker_add_defaults(kp_masker *m) {
  kp_mask_init();
  if (m->n == m->cap) {
    size_t c = m->cap ? 2 * m->cap : 8;
    pass *p = realloc(m->passes, c * sizeof *p);
    if (!p) return kp_fail(KP_ERR_NOMEM, "masker: out of memory");
    m->passes = p, m->cap = c;
  }
  pass *p = &m->passes[m->n++];
  memset(p, 0, sizeof *p);
  p->native = true;
  return KP_OK;
}

size_t kp_masker_npasses(const kp_masker *m) { return m->n; }

static kp_status reserve(kp_masker *m, int b, size_t need) {
  if (need <= m->bcap[b]) return KP_OK;
  size_t c = m->bcap[b] ? m->bcap[b] : 256;
  while (c < need) c *= 2;
  char *q = realloc(m->buf[b], c);
  if (!q) return kp_fail(KP_ERR_NOMEM, "masker: out of memory for a %zu-byte line", need);
  m->buf[b] = q, m->bcap[b] = c;
  return KP_OK;
}

static inline size_t utf8_len(unsigned char c) { return c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4; }

/* One pass of in[0..n) into buffer b. Each input byte yields at most 7 output bytes (an empty
 * match before it, then the byte itself or a 1-byte match as "<*>"), plus one final empty match. */
static kp_status run_pass(kp_masker *m, pass *p, const char *in, size_t n, int b, size_t *olen, bool *changed) {
  *changed = false;
  if (p->native) {
    KP_TRY(reserve(m, b, 3 * n + 8));
    if (in != m->buf[2]) { /* kp_masker_apply may have made the padded copy already */
      KP_TRY(reserve(m, 2, n + KP_MASK_PAD));
      memcpy(m->buf[2], in, n);
      memset(m->buf[2] + n, ' ', KP_MASK_PAD);
    }
    return kp_mask_scan(m->buf[2], n, m->buf[b], olen, changed, m->md);
  }
  if (p->precheck) {
    const uint8_t *s = (const uint8_t *)in;
    size_t i = 0;
    while (i < n && !p->first[s[i]]) i++;
    if (i == n) return KP_OK;
  }
  KP_TRY(reserve(m, b, 7 * n + 8));
  char *out = m->buf[b];
  size_t o = 0, pos = 0;
  uint32_t opts = 0;
  PCRE2_SIZE *ov = pcre2_get_ovector_pointer(m->md);
  while (pos <= n) {
    uint32_t o2 = opts | PCRE2_NO_UTF_CHECK; /* kp_masker_apply validated the input */
    int rc = p->jit ? pcre2_jit_match(p->code, (PCRE2_SPTR)in, n, pos, o2, m->md, NULL)
                    : pcre2_match(p->code, (PCRE2_SPTR)in, n, pos, o2, m->md, NULL);
    if (rc == PCRE2_ERROR_NOMATCH) {
      if (!opts) break;
      /* no non-empty match at an empty match's position: keep one character and go on */
      size_t k = pos < n ? utf8_len((unsigned char)in[pos]) : 1;
      if (pos + k > n) k = n - pos;
      memcpy(out + o, in + pos, k);
      o += k, pos += k, opts = 0;
      if (k == 0) break;
      continue;
    }
    if (rc < 0) {
      PCRE2_UCHAR msg[256];
      pcre2_get_error_message(rc, msg, sizeof msg);
      return kp_fail(KP_ERR_INVALID, "mask: %s", (char *)msg);
    }
    size_t s = ov[0], e = ov[1];
    if (s < pos || e < s) { /* \K tricks: treat as no further matches */
      break;
    }
    memcpy(out + o, in + pos, s - pos);
    o += s - pos;
    memcpy(out + o, "<*>", 3);
    o += 3;
    *changed = true;
    pos = e;
    opts = e == s ? PCRE2_NOTEMPTY_ATSTART | PCRE2_ANCHORED : 0;
  }
  if (pos < n) {
    memcpy(out + o, in + pos, n - pos);
    o += n - pos;
  }
  out[o] = 0;
  *olen = o;
  return KP_OK;
}

/* Strict UTF-8 check (no overlongs, surrogates or values past U+10FFFF), so PCRE2 can skip its own. */
static bool valid_utf8(const char *s, size_t n) {
  const unsigned char *u = (const unsigned char *)s;
  size_t i = 0;
  while (i < n) {
    if (i + 8 <= n) { /* eight ASCII bytes at a time */
      uint64_t w;
      memcpy(&w, u + i, 8);
      if (!(w & 0x8080808080808080ull)) {
        i += 8;
        continue;
      }
    }
    unsigned c = u[i];
    if (c < 0x80) {
      i++;
      continue;
    }
    unsigned lo = 0x80, hi = 0xBF;
    size_t k;
    if (c >= 0xC2 && c <= 0xDF) k = 2;
    else if (c >= 0xE0 && c <= 0xEF) k = 3, lo = c == 0xE0 ? 0xA0 : 0x80, hi = c == 0xED ? 0x9F : 0xBF;
    else if (c >= 0xF0 && c <= 0xF4) k = 4, lo = c == 0xF0 ? 0x90 : 0x80, hi = c == 0xF4 ? 0x8F : 0xBF;
    else return false;
    if (i + k > n || u[i + 1] < lo || u[i + 1] > hi) return false;
    for (size_t j = 2; j < k; j++)
      if ((u[i + j] & 0xC0) != 0x80) return false;
    i += k;
  }
  return true;
}

/* Copies s[0..n) to dst; true when it is all ASCII (eight bytes at a time). */
static bool copy_ascii(char *dst, const char *s, size_t n) {
  uint64_t hi = 0;
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    uint64_t w;
    memcpy(&w, s + i, 8);
    memcpy(dst + i, &w, 8);
    hi |= w;
  }
  for (; i < n; i++) dst[i] = s[i], hi |= (unsigned char)s[i];
  return !(hi & 0x8080808080808080ull);
}

kp_status kp_masker_apply(kp_masker *m, const char *in, size_t n, const char **out, size_t *out_len) {
  const char *cur = in;
  size_t len = n;
  int b = 0;
  bool copied = false;
  if (m->n && m->passes[0].native) { /* copy for the scanner (padded), checking for ASCII on the way */
    KP_TRY(reserve(m, 2, n + KP_MASK_PAD));
    if (!copy_ascii(m->buf[2], in, n) && !valid_utf8(in, n))
      return kp_fail(KP_ERR_INVALID, "mask: input is not valid UTF-8");
    memset(m->buf[2] + n, ' ', KP_MASK_PAD);
    cur = m->buf[2];
  } else if (m->n && !valid_utf8(in, n)) {
    return kp_fail(KP_ERR_INVALID, "mask: input is not valid UTF-8");
  }
  for (size_t i = 0; i < m->n; i++) {
    size_t olen;
    bool changed;
    KP_TRY(run_pass(m, &m->passes[i], cur, len, b, &olen, &changed));
    if (!changed) continue;
    cur = m->buf[b], len = olen, b ^= 1, copied = true;
  }
  if (!copied && cur == m->buf[2]) { /* nothing matched: the scanner's copy, NUL-terminated */
    m->buf[2][n] = 0;
  } else if (!copied) { /* nothing matched: hand back a NUL-terminated copy */
    KP_TRY(reserve(m, b, n + 1));
    memcpy(m->buf[b], in, n);
    m->buf[b][n] = 0;
    cur = m->buf[b];
  }
  *out = cur;
  *out_len = len;
  return KP_OK;
}

void kp_masker_free(kp_masker *m) {
  if (!m) return;
  for (size_t i = 0; i < m->n; i++) pcre2_code_free(m->passes[i].code);
  free(m->passes);
  if (m->md) pcre2_match_data_free(m->md);
  free(m->buf[0]);
  free(m->buf[1]);
  free(m->buf[2]);
  free(m);
}
