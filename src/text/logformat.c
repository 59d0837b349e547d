/* loghub log format strings -> one anchored, JIT-compiled PCRE2 regex with a named group per field. */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "kprca/logformat.h"
#include "text/logformat_fast.h"

#define KP_FIELD_MAX 64
#define KP_FIELD_NAME_MAX 32

struct kp_logformat {
  int nfields;
  char *names[KP_FIELD_MAX];
  int group[KP_FIELD_MAX]; /* capture group number of each field */
  char *regex;
  pcre2_code *code;
  pcre2_match_data *md;
  bool jit;
  kp_fmtfast *fast; /* NULL when the format is not plain enough */
};

/* A growing string for building the regex. */
typedef struct sbuf {
  char *p;
  size_t n, cap;
} sbuf;

static bool sb_put(sbuf *b, const char *s, size_t n) {
  if (b->n + n + 1 > b->cap) {
    size_t c = b->cap ? b->cap * 2 : 128;
    while (c < b->n + n + 1) c *= 2;
    char *q = realloc(b->p, c);
    if (!q) return false;
    b->p = q, b->cap = c;
  }
  memcpy(b->p + b->n, s, n);
  b->n += n;
  b->p[b->n] = 0;
  return true;
}

/* Literal text between fields: each run of spaces becomes \s+, the rest is copied as regex. */
static bool put_literal(sbuf *b, const char *s, size_t n) {
  for (size_t i = 0; i < n;) {
    if (s[i] == ' ') {
      while (i < n && s[i] == ' ') i++;
      if (!sb_put(b, "\\s+", 3)) return false;
    } else {
      if (!sb_put(b, s + i, 1)) return false;
      i++;
    }
  }
  return true;
}

static bool valid_name(const char *s, size_t n) {
  if (n == 0 || n > KP_FIELD_NAME_MAX || (s[0] >= '0' && s[0] <= '9')) return false;
  for (size_t i = 0; i < n; i++) {
    char c = s[i];
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_')) return false;
  }
  return true;
}

kp_status kp_logformat_compile(const char *fmt, kp_logformat **out) {
  *out = NULL;
  if (!fmt || !*fmt) return kp_fail(KP_ERR_INVALID, "log format: empty format string");
  kp_logformat *f = calloc(1, sizeof *f);
  if (!f) return kp_fail(KP_ERR_NOMEM, "log format: out of memory");
  sbuf b = {0};
  kp_status st = KP_OK;
  bool ok = sb_put(&b, "^", 1);
  size_t segoff[KP_FIELD_MAX + 1], segend[KP_FIELD_MAX + 1]; /* each segment's regex text in b */
  bool greedy[KP_FIELD_MAX];
  size_t lit = 0, n = strlen(fmt);
  for (size_t i = 0; ok && i < n; i++) {
    if (fmt[i] != '<') continue;
    size_t j = i + 1;
    while (j < n && fmt[j] != '<' && fmt[j] != '>') j++;
    if (j >= n || fmt[j] != '>' || j == i + 1) continue; /* not a <Name> field: plain regex text */
    const char *name = fmt + i + 1;
    size_t len = j - i - 1;
    if (!valid_name(name, len)) {
      st = kp_fail(KP_ERR_INVALID,
                   "log format, column %zu: field name '%.*s' must be 1-%d letters, digits or _ and not start with a digit",
                   i + 1, (int)len, name, KP_FIELD_NAME_MAX);
      goto fail;
    }
    for (int k = 0; k < f->nfields; k++)
      if (strlen(f->names[k]) == len && !memcmp(f->names[k], name, len)) {
        st = kp_fail(KP_ERR_INVALID, "log format, column %zu: field <%.*s> appears twice", i + 1, (int)len, name);
        goto fail;
      }
    if (f->nfields == KP_FIELD_MAX) {
      st = kp_fail(KP_ERR_INVALID, "log format, column %zu: more than %d fields", i + 1, KP_FIELD_MAX);
      goto fail;
    }
    f->names[f->nfields] = strndup(name, len);
    if (!f->names[f->nfields]) ok = false;
    f->nfields++;
    bool content = len == 7 && !memcmp(name, "Content", 7);
    greedy[f->nfields - 1] = content;
    segoff[f->nfields - 1] = b.n;
    ok = ok && put_literal(&b, fmt + lit, i - lit);
    segend[f->nfields - 1] = b.n;
    ok = ok && sb_put(&b, "(?P<", 4) && sb_put(&b, name, len) && sb_put(&b, content ? ">.*)" : ">.*?)", content ? 4 : 5);
    lit = j + 1;
    i = j;
  }
  segoff[f->nfields] = b.n;
  ok = ok && put_literal(&b, fmt + lit, n - lit);
  segend[f->nfields] = b.n;
  ok = ok && sb_put(&b, "$", 1);
  if (!ok) {
    st = kp_fail(KP_ERR_NOMEM, "log format: out of memory");
    goto fail;
  }
  if (f->nfields == 0) {
    st = kp_fail(KP_ERR_INVALID, "log format '%s' names no <Field>", fmt);
    goto fail;
  }
  f->regex = b.p;
  b.p = NULL;
  int err;
  PCRE2_SIZE eoff;
  f->code = pcre2_compile((PCRE2_SPTR)f->regex, PCRE2_ZERO_TERMINATED, PCRE2_UTF | PCRE2_UCP, &err, &eoff, NULL);
  if (!f->code) {
    PCRE2_UCHAR msg[256];
    pcre2_get_error_message(err, msg, sizeof msg);
    st = kp_fail(KP_ERR_INVALID, "log format '%s': invalid regular expression %s: %s at offset %zu", fmt, f->regex,
                 (char *)msg, (size_t)eoff);
    goto fail;
  }
  f->jit = pcre2_jit_compile(f->code, PCRE2_JIT_COMPLETE) == 0;
  f->md = pcre2_match_data_create_from_pattern(f->code, NULL);
  if (!f->md) {
    st = kp_fail(KP_ERR_NOMEM, "log format: out of memory");
    goto fail;
  }
  for (int k = 0; k < f->nfields; k++) f->group[k] = pcre2_substring_number_from_name(f->code, (PCRE2_SPTR)f->names[k]);
  {
    const char *seg[KP_FIELD_MAX + 1];
    size_t seglen[KP_FIELD_MAX + 1];
    for (int k = 0; k <= f->nfields; k++) seg[k] = f->regex + segoff[k], seglen[k] = segend[k] - segoff[k];
    f->fast = kp_fmtfast_build(seg, seglen, f->nfields, greedy);
  }
  *out = f;
  return KP_OK;
fail:
  free(b.p);
  kp_logformat_free(f);
  return st;
}

int kp_logformat_nfields(const kp_logformat *f) { return f->nfields; }
const char *kp_logformat_field(const kp_logformat *f, int i) { return i >= 0 && i < f->nfields ? f->names[i] : NULL; }
const char *kp_logformat_regex(const kp_logformat *f) { return f->regex; }

int kp_logformat_find(const kp_logformat *f, const char *name) {
  for (int k = 0; k < f->nfields; k++)
    if (!strcmp(f->names[k], name)) return k;
  return -1;
}

/* ASCII whitespace plus the separators \x1c-\x1f, which Python's str.strip() also removes. */
static inline bool is_ws(unsigned char c) { return c == ' ' || (c >= '\t' && c <= '\r') || (c >= 0x1c && c <= 0x1f); }

kp_status kp_logformat_match(kp_logformat *f, const char *line, size_t len, kp_span *spans, bool *matched) {
  *matched = false;
  size_t a = 0, e = len;
  while (a < e && is_ws((unsigned char)line[a])) a++;
  while (e > a && is_ws((unsigned char)line[e - 1])) e--;
  if (f->fast) {
    int r = kp_fmtfast_match(f->fast, line + a, e - a, spans);
    if (r >= 0) {
      for (int k = 0; r && k < f->nfields; k++) spans[k].off += a;
      *matched = r == 1;
      return KP_OK;
    }
  }
  int rc = f->jit ? pcre2_jit_match(f->code, (PCRE2_SPTR)(line + a), e - a, 0, 0, f->md, NULL)
                  : pcre2_match(f->code, (PCRE2_SPTR)(line + a), e - a, 0, 0, f->md, NULL);
  if (rc == PCRE2_ERROR_NOMATCH) return KP_OK;
  if (rc < 0) {
    PCRE2_UCHAR msg[256];
    pcre2_get_error_message(rc, msg, sizeof msg);
    return kp_fail(KP_ERR_INVALID, "log format match: %s", (char *)msg);
  }
  PCRE2_SIZE *ov = pcre2_get_ovector_pointer(f->md);
  for (int k = 0; k < f->nfields; k++) {
    int g = f->group[k];
    if (g < rc && ov[2 * g] != PCRE2_UNSET) {
      spans[k].off = a + ov[2 * g];
      spans[k].len = ov[2 * g + 1] - ov[2 * g];
    } else {
      spans[k].off = a, spans[k].len = 0;
    }
  }
  *matched = true;
  return KP_OK;
}

void kp_logformat_disable_fast(kp_logformat *f) {
  kp_fmtfast_free(f->fast);
  f->fast = NULL;
}
bool kp_logformat_has_fast(const kp_logformat *f) { return f->fast != NULL; }

void kp_logformat_free(kp_logformat *f) {
  if (!f) return;
  for (int k = 0; k < f->nfields; k++) free(f->names[k]);
  free(f->regex);
  kp_fmtfast_free(f->fast);
  if (f->md) pcre2_match_data_free(f->md);
  if (f->code) pcre2_code_free(f->code);
  free(f);
}
