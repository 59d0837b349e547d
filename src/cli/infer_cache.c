/* kprca-infer's score cache: text -> class probabilities. Two generations of at most cap/2 entries: new
 * entries go to the young one; when it is full the old one is dropped and the young one becomes old. A hit
 * in the old generation copies the entry into the young one, so lines seen recently survive (an LRU
 * approximation with O(1) work and no per-entry list). Open addressing with linear probing. */
#include <stdlib.h>
#include <string.h>
#include "cli/infer.h"

typedef struct gen {
  int64_t n, slots;  /* entries, table size (a power of two >= 2 * half) */
  int32_t *slot;     /* entry index or -1 */
  uint64_t *hash;    /* per entry */
  char **key;
  size_t *klen;
  float *rows;       /* [half, C] */
} gen;

struct infer_cache {
  gen g[2];
  int young;
  int64_t half;
  int C;
  int64_t hits, misses;
};

static uint64_t hash_bytes(const char *s, size_t n) { /* FNV-1a, then a final mix */
  uint64_t h = 1469598103934665603ull;
  for (size_t i = 0; i < n; i++) h = (h ^ (unsigned char)s[i]) * 1099511628211ull;
  h ^= h >> 33, h *= 0xff51afd7ed558ccdull, h ^= h >> 33;
  return h;
}

static void gen_clear(gen *g) {
  for (int64_t i = 0; i < g->n; i++) free(g->key[i]);
  g->n = 0;
  for (int64_t i = 0; i < g->slots; i++) g->slot[i] = -1;
}

static kp_status gen_init(gen *g, int64_t half, int C) {
  int64_t slots = 16;
  while (slots < 2 * half) slots *= 2;
  g->slots = slots;
  g->slot = malloc(sizeof *g->slot * (size_t)slots);
  g->hash = malloc(sizeof *g->hash * (size_t)half);
  g->key = malloc(sizeof *g->key * (size_t)half);
  g->klen = malloc(sizeof *g->klen * (size_t)half);
  g->rows = malloc(sizeof *g->rows * (size_t)half * (size_t)C);
  if (!g->slot || !g->hash || !g->key || !g->klen || !g->rows)
    return kp_fail(KP_ERR_NOMEM, "score cache: out of memory for %lld entries", (long long)half);
  g->n = 0;
  gen_clear(g);
  return KP_OK;
}

static void gen_free(gen *g) {
  if (g->key) gen_clear(g);
  free(g->slot), free(g->hash), free(g->key), free(g->klen), free(g->rows);
}

kp_status infer_cache_new(int64_t cap, int C, infer_cache **out) {
  *out = NULL;
  infer_cache *c = calloc(1, sizeof *c);
  if (!c) return kp_fail(KP_ERR_NOMEM, "score cache: out of memory");
  c->half = cap / 2 > 0 ? cap / 2 : 1;
  c->C = C;
  kp_status s = gen_init(&c->g[0], c->half, C);
  if (s == KP_OK) s = gen_init(&c->g[1], c->half, C);
  if (s != KP_OK) {
    infer_cache_free(c);
    return s;
  }
  *out = c;
  return KP_OK;
}

/* Slot of key in g (its entry, or the empty slot where it would go). */
static int64_t find(const gen *g, uint64_t h, const char *key, size_t len, bool *found) {
  int64_t i = (int64_t)(h & (uint64_t)(g->slots - 1));
  for (;; i = (i + 1) & (g->slots - 1)) {
    int32_t e = g->slot[i];
    if (e < 0) return *found = false, i;
    if (g->hash[e] == h && g->klen[e] == len && !memcmp(g->key[e], key, len)) return *found = true, i;
  }
}

static float *insert(infer_cache *c, uint64_t h, const char *key, size_t len, const float *row) {
  gen *y = &c->g[c->young];
  if (y->n == c->half) { /* the young generation is full: it becomes the old one */
    c->young ^= 1;
    y = &c->g[c->young];
    gen_clear(y);
  }
  bool found;
  int64_t i = find(y, h, key, len, &found);
  int32_t e = found ? y->slot[i] : (int32_t)y->n;
  if (!found) {
    char *k = malloc(len + 1);
    if (!k) return NULL;
    memcpy(k, key, len), k[len] = 0;
    y->key[e] = k, y->klen[e] = len, y->hash[e] = h, y->slot[i] = e, y->n++;
  }
  float *dst = y->rows + (size_t)e * (size_t)c->C;
  memmove(dst, row, sizeof *dst * (size_t)c->C);
  return dst;
}

const float *infer_cache_get(infer_cache *c, const char *key, size_t len) {
  uint64_t h = hash_bytes(key, len);
  bool found;
  gen *y = &c->g[c->young], *o = &c->g[c->young ^ 1];
  int64_t i = find(y, h, key, len, &found);
  if (found) return c->hits++, y->rows + (size_t)y->slot[i] * (size_t)c->C;
  i = find(o, h, key, len, &found);
  if (!found) return c->misses++, NULL;
  c->hits++;
  const float *row = o->rows + (size_t)o->slot[i] * (size_t)c->C;
  float tmp[256], *copy = c->C <= 256 ? tmp : malloc(sizeof *copy * (size_t)c->C);
  if (!copy) return row;
  memcpy(copy, row, sizeof *copy * (size_t)c->C); /* insert may clear the old generation */
  const float *r = insert(c, h, key, len, copy); /* NULL when out of memory: the line is scored again */
  if (copy != tmp) free(copy);
  return r;
}

kp_status infer_cache_put(infer_cache *c, const char *key, size_t len, const float *row) {
  if (!insert(c, hash_bytes(key, len), key, len, row)) return kp_fail(KP_ERR_NOMEM, "score cache: out of memory");
  return KP_OK;
}

void infer_cache_stats(const infer_cache *c, int64_t *hits, int64_t *misses, int64_t *size) {
  *hits = c->hits, *misses = c->misses, *size = c->g[0].n + c->g[1].n;
}

void infer_cache_free(infer_cache *c) {
  if (!c) return;
  gen_free(&c->g[0]), gen_free(&c->g[1]);
  free(c);
}
