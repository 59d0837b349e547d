/* String interning with FNV-1a hashing and linear probing; label-set ordering. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "data/strtab.h"

static uint32_t hash(const char *s, size_t n) {
  uint32_t h = 2166136261u;
  for (size_t i = 0; i < n; i++) h = (h ^ (unsigned char)s[i]) * 16777619u;
  return h;
}

static bool same(const char *a, const char *s, size_t n) { return strncmp(a, s, n) == 0 && a[n] == 0; }

int32_t kp_strtab_find(const kp_strtab *t, const char *s, size_t n) {
  if (!t->nslot) return -1;
  for (uint32_t i = hash(s, n) & (t->nslot - 1);; i = (i + 1) & (t->nslot - 1)) {
    int32_t v = t->slot[i];
    if (!v) return -1;
    if (same(t->s[v - 1], s, n)) return v - 1;
  }
}

static bool rehash(kp_strtab *t, uint32_t nslot) {
  int32_t *slot = calloc(nslot, sizeof *slot);
  if (!slot) return false;
  for (int32_t id = 0; id < t->n; id++) {
    uint32_t i = hash(t->s[id], strlen(t->s[id])) & (nslot - 1);
    while (slot[i]) i = (i + 1) & (nslot - 1);
    slot[i] = id + 1;
  }
  free(t->slot);
  t->slot = slot;
  t->nslot = nslot;
  return true;
}

int32_t kp_strtab_intern(kp_strtab *t, const char *s, size_t n) {
  int32_t id = kp_strtab_find(t, s, n);
  if (id >= 0) return id;
  if (2 * (uint32_t)(t->n + 1) > t->nslot && !rehash(t, t->nslot ? 2 * t->nslot : 64)) return -1;
  if (t->n == t->cap) {
    int32_t c = t->cap ? 2 * t->cap : 16;
    char **g = realloc(t->s, (size_t)c * sizeof *g);
    if (!g) return -1;
    t->s = g;
    t->cap = c;
  }
  char *copy = malloc(n + 1);
  if (!copy) return -1;
  memcpy(copy, s, n);
  copy[n] = 0;
  id = t->n++;
  t->s[id] = copy;
  uint32_t i = hash(s, n) & (t->nslot - 1);
  while (t->slot[i]) i = (i + 1) & (t->nslot - 1);
  t->slot[i] = id + 1;
  return id;
}

void kp_strtab_free(kp_strtab *t) {
  for (int32_t i = 0; i < t->n; i++) free(t->s[i]);
  free(t->s);
  free(t->slot);
  memset(t, 0, sizeof *t);
}

static bool is_int(const char *s) {
  if (*s == '-' || *s == '+') s++;
  if (!*s) return false;
  for (; *s; s++)
    if (*s < '0' || *s > '9') return false;
  return true;
}

typedef struct item {
  char *name;
  int32_t old;
  long long v;
} item;

static int by_value(const void *a, const void *b) {
  const item *x = a, *y = b;
  if (x->v != y->v) return x->v < y->v ? -1 : 1;
  return strcmp(x->name, y->name); /* "01" and "1": still a fixed order */
}

static int by_bytes(const void *a, const void *b) { return strcmp(((const item *)a)->name, ((const item *)b)->name); }

void kp_labels_sort(char **names, int32_t n, int32_t *perm) {
  if (n <= 0) return;
  item *it = malloc((size_t)n * sizeof *it);
  if (!it) { /* out of memory: leave the order of first appearance */
    for (int32_t i = 0; perm && i < n; i++) perm[i] = i;
    return;
  }
  bool ints = true;
  for (int32_t i = 0; i < n; i++) {
    it[i].name = names[i];
    it[i].old = i;
    ints = ints && is_int(names[i]) && strlen(names[i]) < 18;
    it[i].v = ints ? strtoll(names[i], NULL, 10) : 0;
  }
  qsort(it, (size_t)n, sizeof *it, ints ? by_value : by_bytes);
  for (int32_t i = 0; i < n; i++) {
    names[i] = it[i].name;
    if (perm) perm[it[i].old] = i;
  }
  free(it);
}

const char *kp_labels_list(char *const *names, int32_t n, char *buf, size_t cap) {
  size_t o = 0;
  if (!cap) return buf;
  buf[0] = 0;
  for (int32_t i = 0; i < n; i++) {
    size_t k = strlen(names[i]) + (i ? 2 : 0);
    if (o + k + 6 > cap) {
      if (o + 6 <= cap) memcpy(buf + o, ", ...", 6);
      break;
    }
    o += (size_t)snprintf(buf + o, cap - o, "%s%s", i ? ", " : "", names[i]);
  }
  return buf;
}
