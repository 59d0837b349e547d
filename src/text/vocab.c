/* WordPiece vocabulary: vocab.txt lines into one string arena, two open-addressing hash tables
 * (whole tokens, and "##" continuations keyed without the prefix). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "kprca/vocab.h"

typedef struct vtable {
  uint32_t *slot; /* id + 1, 0 = empty */
  uint64_t mask;
} vtable;

struct kp_vocab {
  int32_t n;
  char *arena;      /* every token, NUL-terminated */
  size_t *off;      /* off[id]: start of token id in arena */
  uint32_t *len;    /* len[id]: bytes */
  vtable word, cont;
  size_t max_word, max_cont;
  char *path;
};

/* A hash of a short byte string: eight bytes at a time, multiply and fold. */
static uint64_t vhash(const char *s, size_t n) {
  uint64_t h = 0x9E3779B97F4A7C15ull ^ (n * 0xff51afd7ed558ccdull);
  while (n >= 8) {
    uint64_t w;
    memcpy(&w, s, 8);
    h = (h ^ w) * 0xc4ceb9fe1a85ec53ull;
    h ^= h >> 29;
    s += 8, n -= 8;
  }
  if (n) {
    uint64_t w = 0;
    memcpy(&w, s, n);
    h = (h ^ w) * 0xc4ceb9fe1a85ec53ull;
  }
  h ^= h >> 32;
  return h;
}

static int32_t vfind(const kp_vocab *v, const vtable *t, size_t skip, const char *s, size_t n) {
  uint64_t i = vhash(s, n) & t->mask;
  for (;;) {
    uint32_t e = t->slot[i];
    if (!e) return -1;
    uint32_t id = e - 1;
    if (v->len[id] == n + skip && memcmp(v->arena + v->off[id] + skip, s, n) == 0) return (int32_t)id;
    i = (i + 1) & t->mask;
  }
}

/* Inserts id under key s[0..n); a key already present takes the new id (the last line wins). */
static void vinsert(kp_vocab *v, vtable *t, size_t skip, const char *s, size_t n, int32_t id) {
  uint64_t i = vhash(s, n) & t->mask;
  for (;;) {
    uint32_t e = t->slot[i];
    if (!e) {
      t->slot[i] = (uint32_t)id + 1;
      return;
    }
    uint32_t old = e - 1;
    if (v->len[old] == n + skip && memcmp(v->arena + v->off[old] + skip, s, n) == 0) {
      t->slot[i] = (uint32_t)id + 1;
      return;
    }
    i = (i + 1) & t->mask;
  }
}

/* Takes ownership of arena (n tokens, NUL-separated, total bytes) and indexes it. */
static kp_status build(char *arena, size_t bytes, int32_t n, const char *path, kp_vocab **out) {
  kp_vocab *v = calloc(1, sizeof *v);
  if (!v) {
    free(arena);
    return kp_fail(KP_ERR_NOMEM, "%s: out of memory", path);
  }
  v->n = n;
  v->arena = arena;
  v->path = strdup(path);
  v->off = malloc(sizeof *v->off * (size_t)(n ? n : 1));
  v->len = malloc(sizeof *v->len * (size_t)(n ? n : 1));
  uint64_t cap = 16;
  while (cap < (uint64_t)n * 2) cap <<= 1;
  v->word.slot = calloc(cap, sizeof *v->word.slot);
  v->cont.slot = calloc(cap, sizeof *v->cont.slot);
  v->word.mask = v->cont.mask = cap - 1;
  if (!v->path || !v->off || !v->len || !v->word.slot || !v->cont.slot) {
    kp_vocab_free(v);
    return kp_fail(KP_ERR_NOMEM, "%s: out of memory", path);
  }
  size_t p = 0;
  for (int32_t id = 0; id < n; id++) {
    size_t l = strlen(arena + p);
    v->off[id] = p;
    v->len[id] = (uint32_t)l;
    p += l + 1;
  }
  (void)bytes;
  for (int32_t id = 0; id < n; id++) {
    const char *t = arena + v->off[id];
    size_t l = v->len[id];
    vinsert(v, &v->word, 0, t, l, id);
    if (l > v->max_word) v->max_word = l;
    if (l >= 2 && t[0] == '#' && t[1] == '#') {
      vinsert(v, &v->cont, 2, t + 2, l - 2, id);
      if (l - 2 > v->max_cont) v->max_cont = l - 2;
    }
  }
  *out = v;
  return KP_OK;
}

static int trailing_space(char c) { return c == '\n' || c == '\r' || c == ' ' || c == '\t' || c == '\v' || c == '\f'; }

kp_status kp_vocab_load(const char *path, kp_vocab **out) {
  *out = NULL;
  FILE *f = fopen(path, "rb");
  if (!f) return kp_fail(KP_ERR_IO, "%s: cannot open vocabulary: %s", path, strerror(errno));
  size_t cap = 1 << 16, n = 0;
  char *buf = malloc(cap + 1);
  while (buf) {
    if (n == cap) {
      char *nb = realloc(buf, 2 * cap + 1);
      if (!nb) {
        free(buf);
        buf = NULL;
        break;
      }
      buf = nb, cap *= 2;
    }
    size_t k = fread(buf + n, 1, cap - n, f);
    n += k;
    if (k == 0) break;
  }
  int err = ferror(f);
  fclose(f);
  if (!buf) return kp_fail(KP_ERR_NOMEM, "%s: out of memory", path);
  if (err) {
    free(buf);
    return kp_fail(KP_ERR_IO, "%s: read error", path);
  }
  if (n == 0) {
    free(buf);
    return kp_fail(KP_ERR_FORMAT, "%s: empty vocabulary (expected one token per line)", path);
  }
  /* Lines in place: each line's trailing whitespace becomes the NUL that ends its token. */
  int32_t ntok = 0;
  size_t w = 0, line_start = 0;
  int64_t lineno = 1;
  for (size_t i = 0; i <= n; i++) {
    if (i < n && buf[i] == '\0') {
      free(buf);
      return kp_fail(KP_ERR_FORMAT, "%s:%lld: NUL byte in a token", path, (long long)lineno);
    }
    if (i == n || buf[i] == '\n') {
      if (i == n && i == line_start) break; /* no token after the final newline */
      size_t e = i;
      while (e > line_start && trailing_space(buf[e - 1])) e--;
      memmove(buf + w, buf + line_start, e - line_start);
      w += e - line_start;
      buf[w++] = '\0';
      if (ntok == INT32_MAX - 1) {
        free(buf);
        return kp_fail(KP_ERR_FORMAT, "%s: too many tokens", path);
      }
      ntok++;
      line_start = i + 1;
      lineno++;
    }
  }
  return build(buf, w, ntok, path, out);
}

kp_status kp_vocab_from_tokens(int32_t n, const char *const *tokens, kp_vocab **out) {
  *out = NULL;
  size_t bytes = 0;
  for (int32_t i = 0; i < n; i++) {
    if (!tokens[i]) return kp_fail(KP_ERR_INVALID, "vocab: token %d is NULL", i);
    bytes += strlen(tokens[i]) + 1;
  }
  char *arena = malloc(bytes ? bytes : 1);
  if (!arena) return kp_fail(KP_ERR_NOMEM, "vocab: out of memory");
  size_t p = 0;
  for (int32_t i = 0; i < n; i++) {
    size_t l = strlen(tokens[i]) + 1;
    memcpy(arena + p, tokens[i], l);
    p += l;
  }
  return build(arena, bytes, n, "", out);
}

void kp_vocab_free(kp_vocab *v) {
  if (!v) return;
  free(v->arena);
  free(v->off);
  free(v->len);
  free(v->word.slot);
  free(v->cont.slot);
  free(v->path);
  free(v);
}

int32_t kp_vocab_size(const kp_vocab *v) { return v->n; }
int32_t kp_vocab_id(const kp_vocab *v, const char *tok, size_t len) { return vfind(v, &v->word, 0, tok, len); }
int32_t kp_vocab_cont_id(const kp_vocab *v, const char *piece, size_t len) {
  return vfind(v, &v->cont, 2, piece, len);
}
const char *kp_vocab_token(const kp_vocab *v, int32_t id) {
  return id >= 0 && id < v->n ? v->arena + v->off[id] : NULL;
}
void kp_vocab_max_len(const kp_vocab *v, size_t *max_word, size_t *max_cont) {
  if (max_word) *max_word = v->max_word;
  if (max_cont) *max_cont = v->max_cont;
}
const char *kp_vocab_path(const kp_vocab *v) { return v->path; }
