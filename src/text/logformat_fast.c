/* A fast matcher for the common log formats: when the text between fields is plain (literal
 * characters, escaped punctuation, spaces and \s, \s+, \s*), the format regex is matched by a small
 * backtracking matcher that explores in PCRE2's order (lazy fields shortest first, greedy \s runs
 * and Content longest first), so it finds the same match. Lines with non-ASCII bytes or LF, and
 * matches that need too many steps, are left to PCRE2. */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include "text/logformat_fast.h"

enum { A_CHAR, A_WS, A_WS_PLUS, A_WS_STAR };

typedef struct atom {
  unsigned char kind, ch;
} atom;

struct kp_fmtfast {
  int nfields;
  bool greedy[KP_FMTFAST_MAX];
  int nat[KP_FMTFAST_MAX + 1]; /* atoms of literal segment i (before field i; the last one ends the line) */
  atom *at[KP_FMTFAST_MAX + 1];
};

typedef struct ctx {
  const kp_fmtfast *p;
  const unsigned char *s;
  size_t n;
  kp_span *sp;
  long steps;
} ctx;

#define STEP_LIMIT 200000

static inline bool is_ws(unsigned c) { return c == ' ' || (c >= '\t' && c <= '\r'); }

/* Parses one segment of the format (regex text) into atoms; false when it is not plain. */
static bool parse_segment(const char *s, size_t n, atom **out, int *nout) {
  atom *a = malloc((n + 1) * sizeof *a);
  if (!a) return false;
  int k = 0;
  for (size_t i = 0; i < n;) {
    unsigned char c = (unsigned char)s[i];
    if (c == ' ') { /* a run of spaces is \s+ (as logparser's generate_logformat_regex writes it) */
      while (i < n && s[i] == ' ') i++;
      a[k++] = (atom){A_WS_PLUS, 0};
      if (i < n && strchr("*+?{", s[i])) goto no; /* \s+ followed by a quantifier */
      continue;
    }
    if (c >= 128 || strchr(".^$|()[]{}*+?", c)) goto no;
    if (c == '\\') {
      if (i + 1 >= n) goto no;
      unsigned char x = (unsigned char)s[i + 1];
      i += 2;
      if (x == 's') {
        atom w = {A_WS, 0};
        if (i < n && s[i] == '+') w.kind = A_WS_PLUS, i++;
        else if (i < n && s[i] == '*') w.kind = A_WS_STAR, i++;
        if (i < n && strchr("*+?{", s[i])) goto no; /* lazy or possessive forms */
        a[k++] = w;
        continue;
      }
      if (x >= 128 || (x >= '0' && x <= '9') || (x >= 'a' && x <= 'z') || (x >= 'A' && x <= 'Z')) goto no;
      c = x; /* an escaped punctuation character stands for itself */
    } else {
      i++;
    }
    if (i < n && strchr("*+?{", s[i])) goto no;
    a[k++] = (atom){A_CHAR, c};
  }
  *out = a, *nout = k;
  return true;
no:
  free(a);
  return false;
}

kp_fmtfast *kp_fmtfast_build(const char *const *seg, const size_t *seglen, int nfields, const bool *greedy) {
  if (nfields < 1 || nfields > KP_FMTFAST_MAX) return NULL;
  kp_fmtfast *p = calloc(1, sizeof *p);
  if (!p) return NULL;
  p->nfields = nfields;
  for (int i = 0; i < nfields; i++) p->greedy[i] = greedy[i];
  for (int i = 0; i <= nfields; i++)
    if (!parse_segment(seg[i], seglen[i], &p->at[i], &p->nat[i])) {
      kp_fmtfast_free(p);
      return NULL;
    }
  return p;
}

void kp_fmtfast_free(kp_fmtfast *p) {
  if (!p) return;
  for (int i = 0; i <= p->nfields; i++) free(p->at[i]);
  free(p);
}

static int field(ctx *c, int f, size_t pos);

/* The first whitespace byte at or after i (n if none): eight bytes at a time past bytes above ' '. */
static inline size_t next_ws(const unsigned char *s, size_t i, size_t n) {
  const uint64_t ones = 0x0101010101010101ull, high = 0x8080808080808080ull;
  for (; i + 8 <= n; i += 8) {
    uint64_t w;
    memcpy(&w, s + i, 8);
    if (((w - 0x21 * ones) & ~w & high) == 0) continue; /* no byte below 0x21 (the line is ASCII) */
    break;
  }
  while (i < n && !is_ws(s[i])) i++;
  return i;
}

/* Literal segment li from atom ai at pos, then field li (or the end of the line). 1 match, 0 none, -1 too many steps. */
static int lit(ctx *c, int li, int ai, size_t pos) {
  if (++c->steps > STEP_LIMIT) return -1;
  const kp_fmtfast *p = c->p;
  for (;;) {
    if (ai == p->nat[li]) return li == p->nfields ? pos == c->n : field(c, li, pos);
    atom a = p->at[li][ai];
    if (a.kind == A_CHAR || a.kind == A_WS) {
      if (pos >= c->n || (a.kind == A_CHAR ? c->s[pos] != a.ch : !is_ws(c->s[pos]))) return 0;
      pos++, ai++;
      continue;
    }
    size_t r = 0;
    while (pos + r < c->n && is_ws(c->s[pos + r])) r++;
    size_t min = a.kind == A_WS_PLUS;
    if (r < min) return 0;
    if (ai + 1 < p->nat[li] && p->at[li][ai + 1].kind == A_CHAR && !is_ws(p->at[li][ai + 1].ch)) {
      pos += r, ai++; /* a shorter run would leave a space where that character must be */
      continue;
    }
    for (size_t j = r + 1; j-- > min;) { /* greedy: longest first */
      int rc = lit(c, li, ai + 1, pos + j);
      if (rc) return rc;
    }
    return 0;
  }
}

/* Field f from pos: lazy (shortest first) or greedy (longest first); then literal segment f + 1. */
static int field(ctx *c, int f, size_t pos) {
  size_t n = c->n;
  if (c->p->greedy[f]) {
    for (size_t e = n + 1; e-- > pos;) {
      int rc = lit(c, f + 1, 0, e);
      if (rc > 0) c->sp[f].off = pos, c->sp[f].len = e - pos;
      if (rc) return rc;
    }
    return 0;
  }
  const atom *next = c->p->nat[f + 1] ? &c->p->at[f + 1][0] : NULL;
  for (size_t e = pos; e <= n; e++) {
    /* skip ends where the next segment's first atom cannot match (lit would refuse them at once) */
    if (next && next->kind == A_CHAR) {
      const unsigned char *q = memchr(c->s + e, next->ch, n - e);
      if (!q) return 0;
      e = (size_t)(q - c->s);
    } else if (next && next->kind != A_WS_STAR) {
      e = next_ws(c->s, e, n);
      if (e == n) return 0;
    }
    int rc = lit(c, f + 1, 0, e);
    if (rc > 0) c->sp[f].off = pos, c->sp[f].len = e - pos;
    if (rc) return rc;
  }
  return 0;
}

/* The search's first path, without recursion: at each choice the first option (every whitespace
 * run whole, a greedy field to the end of the line, a lazy field to the first place where what
 * follows it can start). 1 when that path matches, so it is the match lit() would find first;
 * 0 when it fails somewhere (then lit() searches). Most lines match on the first path. */
static int first_path(ctx *c) {
  const kp_fmtfast *p = c->p;
  const unsigned char *s = c->s;
  size_t pos = 0, n = c->n;
  for (int li = 0;; li++) {
    for (int ai = 0; ai < p->nat[li]; ai++) {
      atom a = p->at[li][ai];
      if (a.kind == A_CHAR || a.kind == A_WS) {
        if (pos >= n || (a.kind == A_CHAR ? s[pos] != a.ch : !is_ws(s[pos]))) return 0;
        pos++;
        continue;
      }
      size_t r = 0;
      while (pos + r < n && is_ws(s[pos + r])) r++;
      if (r < (size_t)(a.kind == A_WS_PLUS)) return 0;
      pos += r;
    }
    if (li == p->nfields) return pos == n;
    size_t e = pos;
    if (p->greedy[li]) {
      e = n;
    } else if (p->nat[li + 1]) {
      const atom *next = &p->at[li + 1][0];
      if (next->kind == A_CHAR) {
        const unsigned char *q = memchr(s + pos, next->ch, n - pos);
        if (!q) return 0;
        e = (size_t)(q - s);
      } else if (next->kind != A_WS_STAR) {
        e = next_ws(s, pos, n);
        if (e == n) return 0;
      }
    }
    c->sp[li].off = pos, c->sp[li].len = e - pos;
    pos = e;
  }
}

int kp_fmtfast_match(const kp_fmtfast *p, const char *s, size_t n, kp_span *spans) {
  const unsigned char *u = (const unsigned char *)s;
  size_t i = 0;
  for (; i + 8 <= n; i += 8) { /* ASCII only, no LF: eight bytes at a time */
    uint64_t w;
    memcpy(&w, u + i, 8);
    uint64_t x = w ^ 0x0A0A0A0A0A0A0A0Aull;
    if ((w & 0x8080808080808080ull) || ((x - 0x0101010101010101ull) & ~x & 0x8080808080808080ull)) return -1;
  }
  for (; i < n; i++)
    if (u[i] >= 128 || u[i] == '\n') return -1;
  ctx c = {p, u, n, spans, 0};
  if (first_path(&c)) return 1;
  return lit(&c, 0, 0, 0);
}
