/* Drain, as logparser's Drain.py: prefix tree by token count and leading tokens, leaf lists of
 * clusters. Tokens are hashed once per message; the tree's edges live in one open-addressing
 * table; similarity compares hashes and checks the winner's tokens byte for byte. */
#include <stdlib.h>
#include <string.h>
#include "text/drain_internal.h"

/* ---- arena for token text that lives as long as the miner ---- */
struct kp_arena_chunk {
  kp_arena_chunk *next;
  size_t used, cap;
  char data[];
};

static const char *arena_copy(kp_drain *d, const char *s, size_t n) {
  kp_arena_chunk *c = d->arena;
  if (!c || c->used + n + 1 > c->cap) {
    size_t cap = n + 1 > 65536 ? n + 1 : 65536;
    kp_arena_chunk *k = malloc(sizeof *k + cap);
    if (!k) return NULL;
    k->next = c, k->used = 0, k->cap = cap;
    d->arena = c = k;
  }
  char *p = c->data + c->used;
  memcpy(p, s, n);
  p[n] = 0;
  c->used += n + 1;
  return p;
}

/* ---- hashing ---- */
static inline uint64_t mix64(uint64_t x) {
  x ^= x >> 32;
  x *= 0xd6e8feb86659fd93ull;
  x ^= x >> 32;
  x *= 0xd6e8feb86659fd93ull;
  x ^= x >> 32;
  return x;
}

/* The last 1..7 bytes of a token as a word, with fixed-size loads only (no reads past the end). */
static inline uint64_t tail_word(const char *s, size_t k) {
  uint64_t w = 0;
  uint32_t a;
  uint16_t b;
  size_t i = 0;
  if (k & 4) memcpy(&a, s, 4), w = a, i = 4;
  if (k & 2) memcpy(&b, s + i, 2), w |= (uint64_t)b << (8 * i), i += 2;
  if (k & 1) w |= (uint64_t)(unsigned char)s[i] << (8 * i);
  return w;
}

/* Token hash: 8-byte chunks from the token's start, then the 1..7 byte tail, then the length. */
static inline uint64_t hash_step(uint64_t h, uint64_t w) {
  h = (h ^ w) * 0xbf58476d1ce4e5b9ull;
  return h ^ (h >> 29);
}
static inline uint64_t hash_end(uint64_t h, size_t n) {
  h = mix64(h ^ (n * 0xff51afd7ed558ccdull));
  return h ? h : 1;
}
#define HASH_SEED 0x9e3779b97f4a7c15ull

uint64_t kp_drain_hash(const char *s, size_t n) {
  uint64_t h = HASH_SEED;
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    uint64_t w;
    memcpy(&w, s + i, 8);
    h = hash_step(h, w);
  }
  if (i < n) h = hash_step(h, tail_word(s + i, n - i));
  return hash_end(h, n);
}

/* Token equality, inline: tokens are short, and a call to memcmp costs more than comparing them.
 * Fixed-size loads that overlap at the end, never past either token. */
static inline bool tok_eq(const char *a, uint32_t al, const char *b, uint32_t bl) {
  if (al != bl) return false;
  if (al >= 8) {
    uint64_t x, y;
    for (uint32_t i = 0; i + 8 < al; i += 8) {
      memcpy(&x, a + i, 8), memcpy(&y, b + i, 8);
      if (x != y) return false;
    }
    memcpy(&x, a + al - 8, 8), memcpy(&y, b + al - 8, 8);
    return x == y;
  }
  if (al >= 4) {
    uint32_t x, y, u, v;
    memcpy(&x, a, 4), memcpy(&y, b, 4), memcpy(&u, a + al - 4, 4), memcpy(&v, b + al - 4, 4);
    return x == y && u == v;
  }
  for (uint32_t i = 0; i < al; i++)
    if (a[i] != b[i]) return false;
  return true;
}
static inline bool is_wild(const char *s, uint32_t n) { return n == 3 && s[0] == '<' && s[1] == '*' && s[2] == '>'; }

/* ---- tokenizer: Python's str.split(): ASCII whitespace, \x1c-\x1f and the Unicode spaces ---- */
static inline size_t space_len(const unsigned char *s, size_t i, size_t n) {
  unsigned c = s[i];
  if (c == ' ' || (c >= '\t' && c <= '\r') || (c >= 0x1c && c <= 0x1f)) return 1;
  if (c < 0xC2) return 0;
  if (c == 0xC2 && i + 1 < n && (s[i + 1] == 0x85 || s[i + 1] == 0xA0)) return 2;
  if (i + 2 >= n) return 0;
  unsigned a = s[i + 1], b = s[i + 2];
  if (c == 0xE1 && a == 0x9A && b == 0x80) return 3;                             /* U+1680 */
  if (c == 0xE2 && a == 0x80 && (b <= 0x8A || b == 0xA8 || b == 0xA9 || b == 0xAF)) return 3; /* U+2000.., 2028/9, 202F */
  if (c == 0xE2 && a == 0x81 && b == 0x9F) return 3;                             /* U+205F */
  if (c == 0xE3 && a == 0x80 && b == 0x80) return 3;                             /* U+3000 */
  return 0;
}

/* Byte classes: TK_SP a one-byte space, TK_MAY a lead byte that may start a Unicode space. */
enum { TK_SP = 1, TK_MAY = 2, TK_DIGIT = 4 };
static const uint8_t TK[256] = {
    ['\t'] = TK_SP, ['\n'] = TK_SP, ['\v'] = TK_SP, ['\f'] = TK_SP, ['\r'] = TK_SP, [0x1c] = TK_SP, [0x1d] = TK_SP,
    [0x1e] = TK_SP, [0x1f] = TK_SP, [' '] = TK_SP, ['0'] = TK_DIGIT, ['1'] = TK_DIGIT, ['2'] = TK_DIGIT,
    ['3'] = TK_DIGIT, ['4'] = TK_DIGIT, ['5'] = TK_DIGIT, ['6'] = TK_DIGIT, ['7'] = TK_DIGIT, ['8'] = TK_DIGIT,
    ['9'] = TK_DIGIT, [0xC2] = TK_MAY, [0xE1] = TK_MAY, [0xE2] = TK_MAY, [0xE3] = TK_MAY};

#define ONES 0x0101010101010101ull
#define HIGH 0x8080808080808080ull
/* Bytes that may be whitespace: < 0x21, or >= 0x80 (a Unicode space's lead byte). */
static inline uint64_t maybe_space(uint64_t w) { return (((w - 0x21 * ONES) & ~w) | w) & HIGH; }
/* Bytes '0'..'9' (among ASCII bytes). */
static inline uint64_t digit_bytes(uint64_t w) {
  uint64_t x = w & ~HIGH;
  return ((0x3A + 127) * ONES - x) & ~w & (x + (127 - 0x2F) * ONES) & HIGH;
}

/* Splits as Python's str.split(), hashing and flagging digits on the way: eight bytes at a time
 * while no byte can be a space; byte by byte (and hashing afterwards) near non-ASCII text. */
static kp_status tokenize(kp_drain *d, const char *msg, size_t len, uint32_t *ntok) {
  const unsigned char *s = (const unsigned char *)msg;
  size_t i = 0, n = 0;
  if (len / 2 + 1 > d->captok) { /* a token takes a byte and a space: at most len / 2 + 1 of them */
    size_t c = d->captok ? d->captok : 64;
    while (c < len / 2 + 1) c *= 2;
    kp_dtok *t = realloc(d->tok, c * sizeof *t);
    if (!t) return kp_fail(KP_ERR_NOMEM, "drain: out of memory");
    d->tok = t;
    uint64_t *hh = realloc(d->mh, c * sizeof *hh);
    if (!hh) return kp_fail(KP_ERR_NOMEM, "drain: out of memory");
    d->mh = hh;
    d->captok = c;
  }
  for (;;) {
    size_t k;
    while (i < len && s[i] == ' ') i++;
    while (i < len && (TK[s[i]] & (TK_SP | TK_MAY)) && (k = space_len(s, i, len))) i += k;
    if (i >= len) break;
    size_t a = i;
    uint64_t h = HASH_SEED, dig = 0;
    bool hashed = true; /* h covers s[a..i) in whole chunks */
    for (;;) {
      if (hashed && i + 8 <= len) {
        uint64_t w;
        memcpy(&w, s + i, 8);
        uint64_t sp = maybe_space(w);
        if (!sp) {
          dig |= digit_bytes(w);
          h = hash_step(h, w);
          i += 8;
          continue;
        }
        size_t j = (size_t)__builtin_ctzll(sp) >> 3; /* bytes before the first candidate */
        uint64_t keep = j ? (~0ull >> (64 - 8 * j)) : 0;
        if (TK[s[i + j]] & TK_SP || space_len(s, i + j, len)) { /* the token ends inside this chunk */
          dig |= digit_bytes(w) & keep;
          if (j) h = hash_step(h, w & keep);
          i += j;
          break;
        }
        hashed = false; /* a non-space high byte: go on byte by byte and hash at the end */
        dig |= digit_bytes(w) & keep;
        i += j + 1;
        continue;
      }
      if (i >= len) break;
      unsigned c = TK[s[i]];
      if ((c & (TK_SP | TK_MAY)) && ((c & TK_SP) || space_len(s, i, len))) break;
      dig |= c & TK_DIGIT;
      i++;
      hashed = false;
    }
    if (i - a > UINT32_MAX) return kp_fail(KP_ERR_INVALID, "drain: token longer than 4 GB");
    kp_dtok *t = &d->tok[n];
    t->s = msg + a, t->len = (uint32_t)(i - a), t->digit = dig != 0;
    t->h = hashed ? hash_end(h, i - a) : kp_drain_hash(t->s, t->len);
    d->mh[n] = t->h;
    n++;
  }
  if (n > UINT32_MAX / 2) return kp_fail(KP_ERR_INVALID, "drain: too many tokens");
  *ntok = (uint32_t)n;
  return KP_OK;
}

/* ---- tree ---- */
static kp_status new_node(kp_drain *d, int32_t *out) {
  if (d->nnodes == d->capnodes) {
    size_t c = d->capnodes ? 2 * d->capnodes : 256;
    kp_dnode *p = realloc(d->nodes, c * sizeof *p);
    if (!p) return kp_fail(KP_ERR_NOMEM, "drain: out of memory");
    d->nodes = p, d->capnodes = c;
  }
  kp_dnode *nd = &d->nodes[d->nnodes];
  memset(nd, 0, sizeof *nd);
  nd->wild = -1;
  *out = (int32_t)d->nnodes++;
  return KP_OK;
}

static inline size_t edge_slot(uint64_t h, int32_t parent, size_t mask) {
  return (size_t)mix64(h ^ ((uint64_t)(uint32_t)parent * 0x9e3779b97f4a7c15ull)) & mask;
}

/* The child of parent keyed by token (s, n, h); "<*>" is the wildcard child. -1 if none. */
static int32_t find_child(const kp_drain *d, int32_t parent, const char *s, uint32_t n, uint64_t h) {
  if (is_wild(s, n)) return d->nodes[parent].wild;
  if (!d->capedges) return -1;
  size_t mask = d->capedges - 1;
  for (size_t i = edge_slot(h, parent, mask);; i = (i + 1) & mask) {
    const kp_dedge *e = &d->edges[i];
    if (e->parent < 0) return -1;
    if (e->parent == parent && e->h == h && tok_eq(e->s, e->len, s, n)) return e->child;
  }
}

static kp_status grow_edges(kp_drain *d) {
  size_t cap = d->capedges ? 2 * d->capedges : 1024;
  kp_dedge *e = malloc(cap * sizeof *e);
  if (!e) return kp_fail(KP_ERR_NOMEM, "drain: out of memory");
  for (size_t i = 0; i < cap; i++) e[i].parent = -1;
  for (size_t j = 0; j < d->capedges; j++) {
    kp_dedge *o = &d->edges[j];
    if (o->parent < 0) continue;
    size_t i = edge_slot(o->h, o->parent, cap - 1);
    while (e[i].parent >= 0) i = (i + 1) & (cap - 1);
    e[i] = *o;
  }
  free(d->edges);
  d->edges = e, d->capedges = cap;
  return KP_OK;
}

/* Adds a child to parent keyed by the token (text must outlive d: arena). */
static kp_status add_child(kp_drain *d, int32_t parent, const char *s, uint32_t n, uint64_t h, int32_t *child) {
  KP_TRY(new_node(d, child));
  d->nodes[parent].nchild++;
  if (is_wild(s, n)) {
    d->nodes[parent].wild = *child;
    return KP_OK;
  }
  if ((d->nedges + 1) * 4 > d->capedges * 3) KP_TRY(grow_edges(d));
  size_t mask = d->capedges - 1, i = edge_slot(h, parent, mask);
  while (d->edges[i].parent >= 0) i = (i + 1) & mask;
  d->edges[i] = (kp_dedge){parent, *child, n, h, s};
  d->nedges++;
  return KP_OK;
}

static kp_status wild_child(kp_drain *d, int32_t parent, int32_t *child) {
  if (d->nodes[parent].wild >= 0) {
    *child = d->nodes[parent].wild;
    return KP_OK;
  }
  return add_child(d, parent, KP_WILD, 3, 0, child);
}

/* One step of Drain.py's addSeqToPrefixTree from node p with token t. */
static kp_status insert_step(kp_drain *d, int32_t p, const kp_dtok *t, int32_t *next) {
  int32_t c = find_child(d, p, t->s, t->len, t->h);
  if (c >= 0) {
    *next = c;
    return KP_OK;
  }
  if (t->digit) return wild_child(d, p, next);
  uint32_t nc = d->nodes[p].nchild, maxc = (uint32_t)d->p.max_children;
  if (d->nodes[p].wild >= 0) {
    if (nc < maxc) return add_child(d, p, t->s, t->len, t->h, next);
    *next = d->nodes[p].wild;
    return KP_OK;
  }
  if (nc + 1 < maxc) return add_child(d, p, t->s, t->len, t->h, next);
  return wild_child(d, p, next); /* nc + 1 == maxc: the node's last place goes to "<*>" */
}

static kp_status first_level(kp_drain *d, uint32_t n, bool create, int32_t *node) {
  if (n >= d->nbylen) {
    if (!create) {
      *node = -1;
      return KP_OK;
    }
    size_t c = d->nbylen ? d->nbylen : 64;
    while (c <= n) c *= 2;
    int32_t *b = realloc(d->bylen, c * sizeof *b);
    if (!b) return kp_fail(KP_ERR_NOMEM, "drain: out of memory");
    for (size_t i = d->nbylen; i < c; i++) b[i] = -1;
    d->bylen = b, d->nbylen = c;
  }
  if (d->bylen[n] < 0 && create) {
    int32_t x = -1;
    KP_TRY(new_node(d, &x));
    d->bylen[n] = x;
  }
  *node = d->bylen[n];
  return KP_OK;
}

/* ---- short messages (fewer than dep2 tokens): exact matches ---- */
static uint64_t seq_hash(const kp_dtok *t, uint32_t n) {
  uint64_t x = 0x51ed270b27c3a1f1ull ^ n;
  for (uint32_t i = 0; i < n; i++) x = mix64(x ^ t[i].h) + i;
  return x;
}

static int32_t short_find(const kp_drain *d, const kp_dtok *t, uint32_t n, uint64_t sh) {
  if (!d->capshort) return -1;
  size_t mask = d->capshort - 1;
  for (size_t i = (size_t)sh & mask;; i = (i + 1) & mask) {
    int32_t ci = d->shortmap[i];
    if (ci < 0) return -1;
    if (d->shorth[i] != sh) continue;
    const kp_cluster *c = &d->cl[ci];
    if (c->ntok != n) continue;
    uint32_t k = 0;
    while (k < n && tok_eq(c->ts[k], c->tl[k], t[k].s, t[k].len)) k++;
    if (k == n) return ci;
  }
}

static kp_status short_put(kp_drain *d, int32_t ci, uint64_t sh) {
  if ((d->nshort + 1) * 2 > d->capshort) {
    size_t cap = d->capshort ? 2 * d->capshort : 256;
    int32_t *m = malloc(cap * sizeof *m);
    uint64_t *h = malloc(cap * sizeof *h);
    if (!m || !h) {
      free(m), free(h);
      return kp_fail(KP_ERR_NOMEM, "drain: out of memory");
    }
    for (size_t i = 0; i < cap; i++) m[i] = -1;
    for (size_t j = 0; j < d->capshort; j++) {
      if (d->shortmap[j] < 0) continue;
      size_t i = (size_t)d->shorth[j] & (cap - 1);
      while (m[i] >= 0) i = (i + 1) & (cap - 1);
      m[i] = d->shortmap[j], h[i] = d->shorth[j];
    }
    free(d->shortmap), free(d->shorth);
    d->shortmap = m, d->shorth = h, d->capshort = cap;
  }
  size_t mask = d->capshort - 1, i = (size_t)sh & mask;
  while (d->shortmap[i] >= 0) i = (i + 1) & mask;
  d->shortmap[i] = ci, d->shorth[i] = sh;
  d->nshort++;
  return KP_OK;
}

/* ---- clusters ---- */
kp_status kp_drain_create_cluster(kp_drain *d, const kp_dtok *t, uint32_t n, int64_t id, const kp_dtok *path,
                                  uint32_t npath, int32_t *index) {
  if (d->ncl >= INT32_MAX) return kp_fail(KP_ERR_INVALID, "drain: too many clusters");
  if (d->ncl == d->capcl) {
    size_t c = d->capcl ? 2 * d->capcl : 256;
    kp_cluster *p = realloc(d->cl, c * sizeof *p);
    if (!p) return kp_fail(KP_ERR_NOMEM, "drain: out of memory");
    d->cl = p, d->capcl = c;
  }
  size_t nn = n ? n : 1, np = npath ? npath : 1;
  kp_cluster c = {0};
  c.id = id, c.ntok = n, c.npath = npath, c.dirty = true;
  c.th = malloc(nn * sizeof *c.th);
  c.ts = malloc(nn * sizeof *c.ts);
  c.tl = malloc(nn * sizeof *c.tl);
  c.ps = malloc(np * sizeof *c.ps);
  c.pl = malloc(np * sizeof *c.pl);
  if (!c.th || !c.ts || !c.tl || !c.ps || !c.pl) goto oom;
  for (uint32_t i = 0; i < n; i++) {
    bool w = is_wild(t[i].s, t[i].len);
    c.ts[i] = w ? KP_WILD : arena_copy(d, t[i].s, t[i].len);
    if (!c.ts[i]) goto oom;
    c.tl[i] = t[i].len;
    c.th[i] = w ? 0 : t[i].h;
    c.npar += w;
  }
  for (uint32_t i = 0; i < npath; i++) {
    /* the path usually is the template's own first tokens: share their text */
    c.ps[i] = i < n && path[i].s == t[i].s ? c.ts[i] : arena_copy(d, path[i].s, path[i].len);
    if (!c.ps[i]) goto oom;
    c.pl[i] = path[i].len;
  }
  int32_t ci = (int32_t)d->ncl;
  d->cl[d->ncl++] = c;
  /* walk the tree as Drain.py's addSeqToPrefixTree does, creating nodes on the way */
  int32_t node;
  KP_TRY(first_level(d, n, true, &node));
  for (uint32_t i = 0; i < npath; i++) {
    kp_dtok pt = path[i];
    pt.s = c.ps[i];
    KP_TRY(insert_step(d, node, &pt, &node));
  }
  if (n < (uint32_t)d->dep2) {
    KP_TRY(short_put(d, ci, seq_hash(t, n)));
  } else {
    kp_dnode *nd = &d->nodes[node];
    if (nd->nleaf == nd->capleaf) {
      uint32_t cap = nd->capleaf ? 2 * nd->capleaf : 4;
      uint32_t *l = realloc(nd->leaf, cap * sizeof *l);
      if (!l) return kp_fail(KP_ERR_NOMEM, "drain: out of memory");
      nd->leaf = l, nd->capleaf = cap;
    }
    nd->leaf[nd->nleaf++] = (uint32_t)ci;
  }
  if (id >= d->next_id) d->next_id = id + 1;
  *index = ci;
  return KP_OK;
oom:
  free(c.th), free(c.ts), free(c.tl), free(c.ps), free(c.pl);
  return kp_fail(KP_ERR_NOMEM, "drain: out of memory");
}

/* ---- search ---- */

/* Number of positions where the template token is not "<*>" and equals the message token, by hash. */
static inline uint32_t hash_equal(const uint64_t *th, const uint64_t *mh, uint32_t n) {
  uint32_t eq = 0;
  for (uint32_t i = 0; i < n; i++) eq += th[i] == mh[i];
  return eq;
}

static uint32_t exact_equal(const kp_cluster *c, const kp_dtok *t, uint32_t n) {
  uint32_t eq = 0;
  for (uint32_t i = 0; i < n; i++) eq += c->th[i] && tok_eq(c->ts[i], c->tl[i], t[i].s, t[i].len);
  return eq;
}

/* Drain.py's fastMatch over a leaf: the best cluster, or -1 below the threshold. Hash counts are
 * upper bounds of the exact counts; when the winner's count is exact, it is the exact winner. */
static int32_t fast_match(kp_drain *d, const kp_dnode *nd, const kp_dtok *t, uint32_t n) {
  int32_t best = -1;
  int64_t beq = -1, bpar = -1;
  for (uint32_t k = 0; k < nd->nleaf; k++) {
    const kp_cluster *c = &d->cl[nd->leaf[k]];
    int64_t eq = hash_equal(c->th, d->mh, n);
    if (eq > beq || (eq == beq && (int64_t)c->npar > bpar)) best = (int32_t)nd->leaf[k], beq = eq, bpar = c->npar;
  }
  if (best < 0) return -1;
  if ((int64_t)exact_equal(&d->cl[best], t, n) != beq) { /* a hash collision: redo it exactly */
    d->collided = true;
    best = -1, beq = -1, bpar = -1;
    for (uint32_t k = 0; k < nd->nleaf; k++) {
      const kp_cluster *c = &d->cl[nd->leaf[k]];
      int64_t eq = exact_equal(c, t, n);
      if (eq > beq || (eq == beq && (int64_t)c->npar > bpar)) best = (int32_t)nd->leaf[k], beq = eq, bpar = c->npar;
    }
  }
  return (double)beq / (double)n >= d->p.sim ? best : -1;
}

/* Drain.py's treeSearch for a message of n >= dep2 tokens. */
static int32_t tree_search(kp_drain *d, const kp_dtok *t, uint32_t n) {
  int32_t node = n < d->nbylen ? d->bylen[n] : -1;
  if (node < 0) return -1;
  for (int i = 0; i < d->dep2 - 1; i++) {
    int32_t c = find_child(d, node, t[i].s, t[i].len, t[i].h);
    if (c < 0) c = d->nodes[node].wild;
    if (c < 0) return -1;
    node = c;
  }
  return fast_match(d, &d->nodes[node], t, n);
}

static int32_t search(kp_drain *d, const kp_dtok *t, uint32_t n) {
  if (n < (uint32_t)d->dep2) return short_find(d, t, n, seq_hash(t, n));
  return tree_search(d, t, n);
}

kp_status kp_drain_match(kp_drain *d, const char *msg, size_t len, int32_t *cluster) {
  uint32_t n;
  KP_TRY(tokenize(d, msg, len, &n));
  *cluster = search(d, d->tok, n);
  return KP_OK;
}

kp_status kp_drain_add(kp_drain *d, const char *msg, size_t len, int32_t *cluster, bool *created) {
  uint32_t n;
  KP_TRY(tokenize(d, msg, len, &n));
  const kp_dtok *t = d->tok;
  d->collided = false;
  int32_t ci = search(d, t, n);
  *created = ci < 0;
  if (ci < 0) {
    uint32_t npath = n < (uint32_t)d->dep2 ? n : (uint32_t)d->dep2 - 1;
    KP_TRY(kp_drain_create_cluster(d, t, n, d->next_id, t, npath, &ci));
  } else {
    /* the search checked byte by byte that the tokens whose hashes are equal are equal (unless it
     * met a collision), so the hashes tell which tokens differ */
    kp_cluster *c = &d->cl[ci];
    bool exact = d->collided;
    for (uint32_t i = 0; i < n; i++) {
      if (c->th[i] && !(c->th[i] == t[i].h && (!exact || tok_eq(c->ts[i], c->tl[i], t[i].s, t[i].len)))) {
        c->th[i] = 0, c->ts[i] = KP_WILD, c->tl[i] = 3;
        c->npar++;
        c->dirty = true;
      }
    }
  }
  d->cl[ci].size++;
  *cluster = ci;
  return KP_OK;
}

/* ---- lifetime and accessors ---- */
kp_drain_params kp_drain_default_params(void) { return (kp_drain_params){0.5, 4, 100}; }

kp_status kp_drain_new(const kp_drain_params *p, kp_drain **out) {
  *out = NULL;
  kp_drain_params q = p ? *p : kp_drain_default_params();
  if (!(q.sim >= 0.0 && q.sim <= 1.0)) return kp_fail(KP_ERR_INVALID, "drain: sim = %g outside [0, 1]", q.sim);
  if (q.depth < 3 || q.depth > 64) return kp_fail(KP_ERR_INVALID, "drain: depth = %d outside [3, 64]", q.depth);
  if (q.max_children < 1) return kp_fail(KP_ERR_INVALID, "drain: max_children = %d must be >= 1", q.max_children);
  kp_drain *d = calloc(1, sizeof *d);
  if (!d) return kp_fail(KP_ERR_NOMEM, "drain: out of memory");
  d->p = q;
  d->dep2 = q.depth - 2;
  d->next_id = 1;
  *out = d;
  return KP_OK;
}

void kp_drain_free(kp_drain *d) {
  if (!d) return;
  for (size_t i = 0; i < d->ncl; i++) {
    kp_cluster *c = &d->cl[i];
    free(c->th), free(c->ts), free(c->tl), free(c->ps), free(c->pl), free(c->text);
  }
  free(d->cl);
  for (size_t i = 0; i < d->nnodes; i++) free(d->nodes[i].leaf);
  free(d->nodes);
  free(d->bylen);
  free(d->edges);
  free(d->shortmap), free(d->shorth);
  while (d->arena) {
    kp_arena_chunk *n = d->arena->next;
    free(d->arena);
    d->arena = n;
  }
  free(d->tok), free(d->mh);
  free(d);
}

kp_drain_params kp_drain_get_params(const kp_drain *d) { return d->p; }
size_t kp_drain_count(const kp_drain *d) { return d->ncl; }
int64_t kp_drain_cluster_id(const kp_drain *d, size_t i) { return i < d->ncl ? d->cl[i].id : -1; }
uint64_t kp_drain_cluster_size(const kp_drain *d, size_t i) { return i < d->ncl ? d->cl[i].size : 0; }

const char *kp_drain_template(kp_drain *d, size_t i) {
  if (i >= d->ncl) return NULL;
  kp_cluster *c = &d->cl[i];
  if (c->dirty || !c->text) {
    size_t len = 1;
    for (uint32_t k = 0; k < c->ntok; k++) len += c->tl[k] + 1;
    char *p = realloc(c->text, len);
    if (!p) return NULL;
    c->text = p;
    for (uint32_t k = 0; k < c->ntok; k++) {
      if (k) *p++ = ' ';
      memcpy(p, c->ts[k], c->tl[k]);
      p += c->tl[k];
    }
    *p = 0;
    c->dirty = false;
  }
  return c->text;
}

kp_status kp_drain_event_of(kp_drain *d, int32_t *ev) {
  size_t cap = 16;
  while (cap < 2 * d->ncl + 2) cap *= 2;
  int32_t *slot = malloc(cap * sizeof *slot);
  uint64_t *sh = malloc(cap * sizeof *sh);
  if (!slot || !sh) {
    free(slot), free(sh);
    return kp_fail(KP_ERR_NOMEM, "drain: out of memory");
  }
  for (size_t i = 0; i < cap; i++) slot[i] = -1;
  kp_status s = KP_OK;
  for (size_t i = 0; i < d->ncl; i++) {
    const char *t = kp_drain_template(d, i);
    if (!t) {
      s = kp_fail(KP_ERR_NOMEM, "drain: out of memory");
      break;
    }
    uint64_t h = kp_drain_hash(t, strlen(t));
    size_t k = (size_t)h & (cap - 1);
    ev[i] = (int32_t)i;
    for (; slot[k] >= 0; k = (k + 1) & (cap - 1))
      if (sh[k] == h && !strcmp(d->cl[slot[k]].text, t)) {
        ev[i] = slot[k];
        break;
      }
    if (slot[k] < 0) slot[k] = (int32_t)i, sh[k] = h;
  }
  free(slot), free(sh);
  return s;
}
