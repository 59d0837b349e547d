/* Case-similarity graphs for node classification over incidents (LogSage-style): one node per
 * incident, its features the hashed TF-IDF of its fault-indicating lines, edges to its k nearest
 * neighbours by cosine similarity (symmetrised), y = the root-cause category, stratified masks. */
#ifndef KPRCA_CASE_GRAPH_H
#define KPRCA_CASE_GRAPH_H
#include <stdbool.h>
#include <stdint.h>
#include "kprca/graph_data.h"
#include "kprca/incident.h"
#include "kprca/text_encoder.h"
#ifdef __cplusplus
extern "C" {
#endif

typedef struct kp_case_graph_options {
  bool fault_window; /* false: the labelled root-cause lines; true: every line in the window */
  double window_s;   /* window before the panic line for fault_window; <= 0: the whole log */
  int32_t features;  /* hashed TF-IDF width; x has features + 1 columns (the last: 1 when no fault line) */
  kp_text_encoder *encoder; /* not NULL: x's text block is the L2-normalised mean of the encoder's embeddings of
                             * the incident's (masked) fault lines, kp_text_encoder_dim wide; features unused */
  bool fault_predicted;     /* fault lines = the window lines the encoder's classifier puts in a class other
                             * than 0 (needs encoder with a head); overrides fault_window */
  int32_t k;         /* neighbours per node before symmetrising */
  double val, test;  /* mask fractions, stratified by label */
  uint64_t seed;
} kp_case_graph_options;

/** labelled root-cause lines, window 1800 s, 128 features, k 10, val = test = 0.15, seed 0. */
kp_case_graph_options kp_case_graph_defaults(void);
/** Builds the graph over d's incidents into g (task node; release with kp_graph_data_free). Edges:
 *  i and j are linked (both directions) when j is among i's k most similar incidents or i among
 *  j's; edge_weight = their cosine similarity. */
kp_status kp_case_graph_build(const kp_incident_dir *d, const kp_case_graph_options *o, kp_graph_data *g);
/** The k nearest rows of each of the n unit rows of x (n x f, row-major) by dot product, self
 *  excluded, ties to the lower index, most similar first: nbr[i*k .. i*k+k); k < n. sgemm in blocks. */
kp_status kp_knn_cosine(const float *x, int64_t n, int64_t f, int32_t k, int32_t *nbr);

#ifdef __cplusplus
}
#endif
#endif
