/* GraphSAGE-style neighbour sampling with the semantics of PyTorch Geometric's NeighborLoader
 * (replace=False, directed, disjoint=False): for a mini-batch of seed (target) nodes, hop 1 draws
 * up to fanouts[0] incoming neighbours of every seed without replacement, hop 2 draws fanouts[1]
 * of every node first reached in hop 1, and so on; the result is one subgraph whose nodes are the
 * seeds (in batch order) followed by newly reached nodes in order of discovery. Graphs are CSR
 * adjacencies whose row i lists the SOURCES of the edges into node i, as in gnn.h.
 *
 * Randomness: draw j made for local target t in a call with (seed, stream) is word j%4 of
 * Philox4x32-10 under key seed (high word XOR "SAMP") at counter {j/4, t, stream lo, stream hi}, so a subgraph depends
 * only on (graph, fanouts, seeds, seed, stream), on any machine. docs/sampling.md has the details. */
#ifndef KPRCA_SAMPLER_H
#define KPRCA_SAMPLER_H
#include <stdbool.h>
#include <stdint.h>
#include "kprca/status.h"
#ifdef __cplusplus
extern "C" {
#endif

#define KP_SAMPLER_MAX_LAYERS 16
#define KP_SAMPLER_ALL (-1) /* fan-out: take every incoming neighbour */

/* A sampled subgraph. Buffers belong to the struct and are reused (grown, never shrunk) by the next
 * kp_sampler_sample into it; zero-initialise it before the first use. */
typedef struct kp_subgraph {
  int64_t num_nodes; /* local nodes */
  int64_t num_seeds; /* local nodes 0 .. num_seeds-1 are the seeds, in batch order */
  int64_t num_edges; /* sampled edges */
  int num_hops;      /* the sampler's num_layers */
  int64_t hop_ptr[KP_SAMPLER_MAX_LAYERS + 2]; /* local nodes first reached at hop h: hop_ptr[h] .. hop_ptr[h+1]-1
                                                (hop 0: the seeds); the edges sampled at hop h+1 are the rows of
                                                hop h's nodes, indptr[hop_ptr[h]] .. indptr[hop_ptr[h+1]]-1 */
  int32_t *n_id;     /* [num_nodes] global id of each local node */
  int32_t *indptr;   /* [num_nodes+1] CSR: row i = local sources of the sampled edges into local node i */
  int32_t *indices;  /* [num_edges] local source of each sampled edge */
  int32_t *e_id;     /* [num_edges] position of each sampled edge in the original indices (for edge weights) */
  int64_t cap_nodes, cap_edges; /* allocated sizes */
} kp_subgraph;

/* A sampler over one graph; the graph's arrays are borrowed and must outlive it. */
typedef struct kp_sampler {
  int64_t num_nodes;
  const int32_t *indptr;  /* [num_nodes+1] */
  const int32_t *indices; /* [indptr[num_nodes]] */
  int num_layers;
  int64_t fanouts[KP_SAMPLER_MAX_LAYERS]; /* per hop: >= 0, or KP_SAMPLER_ALL */
  int32_t *local;   /* [num_nodes] local id of a global node during a call, -1 otherwise (reset in O(touched)) */
  uint8_t *picked;  /* [nnz] marks of Floyd's algorithm for fan-outs above 32 (else NULL), cleared after each row */
  int32_t *scratch; /* [cap_scratch] the chosen offsets of one row */
  int64_t cap_scratch;
} kp_sampler;

/** Validates the CSR (indptr[0] = 0, non-decreasing, sources in [0, num_nodes)) and the fan-outs (num_layers in
 *  1 .. KP_SAMPLER_MAX_LAYERS, each >= 0 or -1) and prepares s; indptr/indices are borrowed, fanouts copied. */
kp_status kp_sampler_init(kp_sampler *s, int64_t num_nodes, const int32_t *indptr, const int32_t *indices,
                          const int64_t *fanouts, int num_layers);
/** Frees what s allocated (not the borrowed graph); NULL or a zeroed s is fine. */
void kp_sampler_free(kp_sampler *s);
/** Samples the subgraph of the num_seeds distinct nodes seeds (>= 1) into out, drawing from Philox (seed, stream);
 *  use a distinct stream per mini-batch (a global step counter, say). A repeated or out-of-range seed is an error
 *  naming its positions. O(sampled edges) time; no allocation once out and s have grown to the batch's size. */
kp_status kp_sampler_sample(kp_sampler *s, const int32_t *seeds, int64_t num_seeds, uint64_t seed, uint64_t stream,
                            kp_subgraph *out);
/** Frees out's buffers and zeroes it; NULL is fine. */
void kp_subgraph_free(kp_subgraph *g);

/** Number of mini-batches of batch_size (>= 1) in n items: ceil(n / batch_size), or floor with drop_last. */
int64_t kp_sampler_num_batches(int64_t n, int64_t batch_size, bool drop_last);
/** One epoch's order of the n training nodes: out = nodes (n int32, out may equal nodes), shuffled with Philox
 *  (seed, epoch) when shuffle is true; batch b is then out[b*batch_size .. min(n, (b+1)*batch_size)). */
kp_status kp_sampler_epoch_order(const int32_t *nodes, int64_t n, bool shuffle, uint64_t seed, uint64_t epoch,
                                 int32_t *out);
/** The ids of the nodes whose mask byte is nonzero, ascending, into out (room for n); *count = how many. */
void kp_sampler_mask_nodes(const int8_t *mask, int64_t n, int32_t *out, int64_t *count);

#ifdef __cplusplus
}
#endif
#endif
