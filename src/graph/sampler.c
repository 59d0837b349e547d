/* Neighbour sampling (PyG NeighborLoader semantics) and mini-batch orders of training nodes. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include "kprca/rng.h"
#include "kprca/sampler.h"

/* Key tweaks: the sampler's and the epoch shuffle's Philox streams never meet other streams of the same seed. */
#define SAMPLE_TWEAK 0x53414D50u /* "SAMP" */
#define SHUFFLE_TWEAK 0x53485546u /* "SHUF" */
#define SMALL_K 32 /* Floyd's algorithm scans its picks up to this many, marks bytes beyond */

static int64_t deg_of(const kp_sampler *s, int32_t v) { return (int64_t)s->indptr[v + 1] - s->indptr[v]; }

/* Edges a target of degree d gives under fan-out f. */
static int64_t take(int64_t f, int64_t d) { return (f < 0 || f >= d) ? d : f; }

kp_status kp_sampler_init(kp_sampler *s, int64_t num_nodes, const int32_t *indptr, const int32_t *indices,
                          const int64_t *fanouts, int num_layers) {
  if (!s) return kp_fail(KP_ERR_INVALID, "sampler_init: sampler is NULL");
  memset(s, 0, sizeof *s);
  if (num_nodes < 0 || num_nodes > INT32_MAX)
    return kp_fail(KP_ERR_INVALID, "sampler_init: %" PRId64 " nodes (0 .. 2^31-1 supported)", num_nodes);
  if (!indptr) return kp_fail(KP_ERR_INVALID, "sampler_init: indptr is NULL");
  if (num_layers < 1 || num_layers > KP_SAMPLER_MAX_LAYERS)
    return kp_fail(KP_ERR_INVALID, "sampler_init: %d layers (1 .. %d supported)", num_layers, KP_SAMPLER_MAX_LAYERS);
  if (!fanouts) return kp_fail(KP_ERR_INVALID, "sampler_init: fanouts is NULL");
  int64_t max_k = 0;
  for (int l = 0; l < num_layers; l++) {
    if (fanouts[l] < KP_SAMPLER_ALL || fanouts[l] > INT32_MAX)
      return kp_fail(KP_ERR_INVALID, "sampler_init: fanouts[%d] is %" PRId64 ", expected -1 (all) or 0 .. 2^31-1", l,
                     fanouts[l]);
    if (fanouts[l] > max_k) max_k = fanouts[l];
  }
  if (indptr[0] != 0) return kp_fail(KP_ERR_INVALID, "sampler_init: indptr[0] is %d, expected 0", indptr[0]);
  for (int64_t i = 0; i < num_nodes; i++)
    if (indptr[i + 1] < indptr[i])
      return kp_fail(KP_ERR_INVALID, "sampler_init: indptr decreases at row %" PRId64 " (%d then %d)", i, indptr[i],
                     indptr[i + 1]);
  int64_t nnz = indptr[num_nodes];
  if (nnz > 0 && !indices) return kp_fail(KP_ERR_INVALID, "sampler_init: indices is NULL with %" PRId64 " edges", nnz);
  for (int64_t e = 0; e < nnz; e++)
    if (indices[e] < 0 || indices[e] >= num_nodes)
      return kp_fail(KP_ERR_INVALID, "sampler_init: indices[%" PRId64 "] is %d, outside [0, %" PRId64 ")", e,
                     indices[e], num_nodes);

  s->num_nodes = num_nodes;
  s->indptr = indptr;
  s->indices = indices;
  s->num_layers = num_layers;
  memcpy(s->fanouts, fanouts, sizeof(int64_t) * (size_t)num_layers);
  s->local = malloc(sizeof(int32_t) * (size_t)(num_nodes ? num_nodes : 1));
  if (max_k > 0) {
    if (max_k > SMALL_K) s->picked = calloc((size_t)(nnz ? nnz : 1), 1);
    s->cap_scratch = max_k;
    s->scratch = malloc(sizeof(int32_t) * (size_t)max_k);
  }
  if (!s->local || (max_k > 0 && !s->scratch) || (max_k > SMALL_K && !s->picked)) {
    kp_sampler_free(s);
    return kp_fail(KP_ERR_NOMEM, "sampler_init: out of memory for %" PRId64 " nodes, %" PRId64 " edges", num_nodes,
                   nnz);
  }
  for (int64_t i = 0; i < num_nodes; i++) s->local[i] = -1;
  return KP_OK;
}

void kp_sampler_free(kp_sampler *s) {
  if (!s) return;
  free(s->local);
  free(s->picked);
  free(s->scratch);
  memset(s, 0, sizeof *s);
}

void kp_subgraph_free(kp_subgraph *g) {
  if (!g) return;
  free(g->n_id);
  free(g->indptr);
  free(g->indices);
  free(g->e_id);
  memset(g, 0, sizeof *g);
}

/* Grows g to hold at least nodes nodes and edges edges (geometrically; contents kept). */
static kp_status reserve(kp_subgraph *g, int64_t nodes, int64_t edges) {
  if (nodes > g->cap_nodes) {
    int64_t cap = g->cap_nodes * 2 > nodes ? g->cap_nodes * 2 : nodes;
    int32_t *a = realloc(g->n_id, sizeof(int32_t) * (size_t)cap);
    if (a) g->n_id = a;
    int32_t *b = a ? realloc(g->indptr, sizeof(int32_t) * (size_t)(cap + 1)) : NULL;
    if (b) g->indptr = b;
    if (!a || !b) return kp_fail(KP_ERR_NOMEM, "sampler_sample: out of memory for %" PRId64 " nodes", cap);
    g->cap_nodes = cap;
  }
  if (edges > g->cap_edges) {
    int64_t cap = g->cap_edges * 2 > edges ? g->cap_edges * 2 : edges;
    int32_t *a = realloc(g->indices, sizeof(int32_t) * (size_t)cap);
    if (a) g->indices = a;
    int32_t *b = a ? realloc(g->e_id, sizeof(int32_t) * (size_t)cap) : NULL;
    if (b) g->e_id = b;
    if (!a || !b) return kp_fail(KP_ERR_NOMEM, "sampler_sample: out of memory for %" PRId64 " edges", cap);
    g->cap_edges = cap;
  }
  return KP_OK;
}

/* The random draws of one target: word j%4 of Philox(key, {j/4, target, stream lo, stream hi}). */
typedef struct {
  kp_u32x4 ctr, block;
  uint32_t k0, k1;
  uint32_t j;
} draws;

static uint32_t next_u32(draws *d) {
  if ((d->j & 3) == 0) {
    d->ctr.v[0] = d->j >> 2;
    d->block = kp_philox4x32_10(d->ctr, d->k0, d->k1);
  }
  return d->block.v[d->j++ & 3];
}

/* Uniform integer in [0, n), 1 <= n <= 2^31, without bias (Lemire's multiply-and-reject). */
static uint32_t below(draws *d, uint32_t n) {
  uint64_t m = (uint64_t)next_u32(d) * n;
  uint32_t lo = (uint32_t)m;
  if (lo < n) {
    uint32_t t = (uint32_t)(-n) % n;
    while (lo < t) {
      m = (uint64_t)next_u32(d) * n;
      lo = (uint32_t)m;
    }
  }
  return (uint32_t)(m >> 32);
}

static int cmp_i32(const void *a, const void *b) {
  int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
  return (x > y) - (x < y);
}

/* Sorts a[0..k) ascending: insertion sort for the usual small fan-outs, qsort beyond. */
static void sort_offsets(int32_t *a, int32_t k) {
  if (k > 32) {
    qsort(a, (size_t)k, sizeof(int32_t), cmp_i32);
    return;
  }
  for (int32_t i = 1; i < k; i++) {
    int32_t v = a[i], j = i - 1;
    while (j >= 0 && a[j] > v) {
      a[j + 1] = a[j];
      j--;
    }
    a[j + 1] = v;
  }
}

/* Floyd's algorithm: k distinct offsets of [0, d), uniform over the k-subsets, into out in ascending order.
 * Membership: a scan of out for k <= SMALL_K, else mark (the row's bytes of s->picked), left all zero. */
static void floyd(draws *dr, int32_t d, int32_t k, uint8_t *mark, int32_t *out) {
  int32_t c = 0;
  for (int32_t i = d - k; i < d; i++) {
    int32_t r = (int32_t)below(dr, (uint32_t)i + 1);
    bool taken = false;
    if (k <= SMALL_K) {
      for (int32_t q = 0; q < c; q++) taken |= out[q] == r;
    } else {
      taken = mark[r];
    }
    if (taken) r = i; /* i was not a candidate before this step, so it is free */
    if (k > SMALL_K) mark[r] = 1;
    out[c++] = r;
  }
  if (k > SMALL_K)
    for (int32_t i = 0; i < k; i++) mark[out[i]] = 0;
  sort_offsets(out, k);
}

/* Appends the edge at original position p into the current row; discovers its source if new. */
static inline void add_edge(kp_sampler *s, kp_subgraph *g, int64_t p) {
  int32_t src = s->indices[p];
  int32_t l = s->local[src];
  if (l < 0) {
    l = (int32_t)g->num_nodes++;
    s->local[src] = l;
    g->n_id[l] = src;
  }
  g->indices[g->num_edges] = l;
  g->e_id[g->num_edges] = (int32_t)p;
  g->num_edges++;
}

/* One hop: samples the rows of local targets begin .. end-1 with fan-out f. */
static kp_status hop(kp_sampler *s, kp_subgraph *g, int64_t begin, int64_t end, int64_t f, uint64_t seed,
                     uint64_t stream) {
  int64_t need = 0;
  for (int64_t t = begin; t < end; t++) need += take(f, deg_of(s, g->n_id[t]));
  if (g->num_edges + need > INT32_MAX)
    return kp_fail(KP_ERR_INVALID, "sampler_sample: the subgraph would hold %" PRId64 " edges (2^31-1 supported)",
                   g->num_edges + need);
  KP_TRY(reserve(g, g->num_nodes + need, g->num_edges + need));
  draws dr = {.k0 = (uint32_t)seed, .k1 = (uint32_t)(seed >> 32) ^ SAMPLE_TWEAK};
  dr.ctr.v[2] = (uint32_t)stream;
  dr.ctr.v[3] = (uint32_t)(stream >> 32);
  for (int64_t t = begin; t < end; t++) {
    /* the rows ahead: their indptr entries (far) and their sources (near) are random reads of the big graph */
    if (t + 16 < end) __builtin_prefetch(s->indptr + g->n_id[t + 16]);
    if (t + 4 < end) __builtin_prefetch(s->indices + s->indptr[g->n_id[t + 4]]);
    int32_t v = g->n_id[t];
    int64_t a = s->indptr[v], d = deg_of(s, v), k = take(f, d);
    if (k == d) {
      for (int64_t p = a; p < a + d; p++) __builtin_prefetch(s->local + s->indices[p]);
      for (int64_t p = a; p < a + d; p++) add_edge(s, g, p);
    } else if (k > 0) {
      dr.ctr.v[1] = (uint32_t)t;
      dr.j = 0;
      floyd(&dr, (int32_t)d, (int32_t)k, s->picked ? s->picked + a : NULL, s->scratch);
      const int32_t *off = s->scratch;
      for (int64_t i = 0; i < k; i++) __builtin_prefetch(s->local + s->indices[a + off[i]]);
      for (int64_t i = 0; i < k; i++) add_edge(s, g, a + off[i]);
    }
    g->indptr[t + 1] = (int32_t)g->num_edges;
  }
  return KP_OK;
}

kp_status kp_sampler_sample(kp_sampler *s, const int32_t *seeds, int64_t num_seeds, uint64_t seed, uint64_t stream,
                            kp_subgraph *out) {
  if (!s || !s->local) return kp_fail(KP_ERR_INVALID, "sampler_sample: sampler is not initialised");
  if (!out) return kp_fail(KP_ERR_INVALID, "sampler_sample: out is NULL");
  if (num_seeds < 1 || num_seeds > INT32_MAX)
    return kp_fail(KP_ERR_INVALID, "sampler_sample: %" PRId64 " seeds (1 .. 2^31-1 supported)", num_seeds);
  if (!seeds) return kp_fail(KP_ERR_INVALID, "sampler_sample: seeds is NULL");
  out->num_nodes = out->num_edges = out->num_seeds = 0;
  out->num_hops = 0;
  KP_TRY(reserve(out, num_seeds, 0));
  kp_status st = KP_OK;
  for (int64_t i = 0; i < num_seeds; i++) {
    int32_t v = seeds[i];
    if (v < 0 || v >= s->num_nodes) {
      st = kp_fail(KP_ERR_INVALID, "sampler_sample: seeds[%" PRId64 "] is %d, outside [0, %" PRId64 ")", i, v,
                   s->num_nodes);
      goto done;
    }
    if (s->local[v] >= 0) {
      st = kp_fail(KP_ERR_INVALID, "sampler_sample: seeds[%" PRId64 "] repeats seeds[%d] (node %d); seeds must be distinct",
                   i, s->local[v], v);
      goto done;
    }
    s->local[v] = (int32_t)i;
    out->n_id[i] = v;
    out->num_nodes++;
  }
  out->num_seeds = num_seeds;
  out->indptr[0] = 0;
  out->hop_ptr[0] = 0;
  out->hop_ptr[1] = num_seeds;
  for (int h = 0; h < s->num_layers; h++) {
    st = hop(s, out, out->hop_ptr[h], out->hop_ptr[h + 1], s->fanouts[h], seed, stream);
    if (st != KP_OK) goto done;
    out->hop_ptr[h + 2] = out->num_nodes;
  }
  for (int64_t t = out->hop_ptr[s->num_layers]; t < out->num_nodes; t++) out->indptr[t + 1] = (int32_t)out->num_edges;
  out->num_hops = s->num_layers;
done:
  for (int64_t i = 0; i < out->num_nodes; i++) s->local[out->n_id[i]] = -1;
  if (st != KP_OK) out->num_nodes = out->num_edges = out->num_seeds = 0;
  return st;
}

int64_t kp_sampler_num_batches(int64_t n, int64_t batch_size, bool drop_last) {
  if (n <= 0 || batch_size <= 0) return 0;
  return drop_last ? n / batch_size : (n + batch_size - 1) / batch_size;
}

kp_status kp_sampler_epoch_order(const int32_t *nodes, int64_t n, bool shuffle, uint64_t seed, uint64_t epoch,
                                 int32_t *out) {
  if (n < 0 || n > INT32_MAX) return kp_fail(KP_ERR_INVALID, "sampler_epoch_order: %" PRId64 " nodes", n);
  if (n > 0 && (!nodes || !out)) return kp_fail(KP_ERR_INVALID, "sampler_epoch_order: nodes or out is NULL");
  if (epoch >= (1ull << 24)) return kp_fail(KP_ERR_INVALID, "sampler_epoch_order: epoch %" PRIu64 " >= 2^24", epoch);
  if (out != nodes && n > 0) memmove(out, nodes, sizeof(int32_t) * (size_t)n);
  if (shuffle) {
    kp_rng r = {seed ^ ((uint64_t)SHUFFLE_TWEAK << 32), epoch << 40};
    kp_rng_shuffle_i32(&r, out, n);
  }
  return KP_OK;
}

void kp_sampler_mask_nodes(const int8_t *mask, int64_t n, int32_t *out, int64_t *count) {
  int64_t c = 0;
  for (int64_t i = 0; i < n; i++)
    if (mask[i]) out[c++] = (int32_t)i;
  *count = c;
}
