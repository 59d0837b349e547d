/* Incident event graphs for graph classification (docs/datasets.md): per incident, the Drain
 * templates of the lines in the window before its panic line become nodes (hashed TF-IDF of the
 * template text plus count, first/last time, level and report flags), consecutive lines give
 * directed succession edges weighted by their counts, the graph's label is the incident's root-cause
 * category, and a node is flagged when one of its lines is a root-cause line. */
#ifndef KPRCA_INCIDENT_GRAPH_H
#define KPRCA_INCIDENT_GRAPH_H
#include <stdint.h>
#include "kprca/drain.h"
#include "kprca/graph_data.h"
#include "kprca/incident.h"
#include "kprca/mask.h"
#include "kprca/text_encoder.h"
#ifdef __cplusplus
extern "C" {
#endif

/* Columns after the TF-IDF block of x: log1p(lines), first and last time (signed log1p of minutes
 * relative to the panic), severity (8 - syslog level) / 8 of the most severe line (0: unknown),
 * share of lines that start a kernel report, share of lines inside one. */
#define KP_INCIDENT_GRAPH_EXTRA 6

typedef struct kp_incident_graph_options {
  double window_s;       /* keep the lines of the last window_s seconds before the panic line; <= 0: all */
  int32_t features;      /* hashed TF-IDF width (x has features + KP_INCIDENT_GRAPH_EXTRA columns) */
  kp_text_encoder *encoder; /* not NULL: the template columns are its sentence embeddings of the template
                             * texts (kp_text_encoder_dim wide) instead of TF-IDF; features is then unused */
  kp_drain_params drain; /* template mining, after kprca's default kernel-log masks */
  double val, test;      /* graph_split fractions, stratified by label */
  uint64_t seed;         /* graph_split seed */
} kp_incident_graph_options;

typedef struct kp_incident_graphs {
  kp_graph_data g;        /* task graph: graph g is incident g of labels.csv */
  kp_strings templates;   /* the templates used by some node, in order of first use */
  int32_t *node_template; /* [N] the node's template, an index into templates */
  int64_t lines;          /* log lines that went into the graphs */
  char *feature_source;   /* "encoder: <model>" when built with an encoder, else NULL (TF-IDF) */
} kp_incident_graphs;

/* Masked before the default kernel masks: a run of 8 or more hex byte tokens (the "Code:" line of an
 * oops, hex dumps, SCSI CDBs) becomes one "<*>", else every dump is a template of its own. */
#define KP_HEX_BYTES_MASK "(?<!\\S)<?[0-9a-fA-F]{2}>?(?:[ \\t]+<?[0-9a-fA-F]{2}>?){7,}(?!\\S)"

/** The masker of the dataset builders: KP_HEX_BYTES_MASK, then kp_masker_add_defaults. */
kp_status kp_build_masker_new(kp_masker **out);
/** window 1800 s, 128 features, Drain's default parameters, val = test = 0.15, seed 0. */
kp_incident_graph_options kp_incident_graph_defaults(void);
/** Builds one graph per incident of d; an incident log that cannot be read (or holds no lines) fails
 *  with its message. out is released with kp_incident_graphs_free. */
kp_status kp_incident_graphs_build(const kp_incident_dir *d, const kp_incident_graph_options *o,
                                   kp_incident_graphs *out);
/** Writes the graph dataset plus `templates` (vlen str), `node_template` (int32) and the root attributes
 *  text_features (width of the template block) and node_features ("tfidf" or "encoder: <model>"). */
kp_status kp_incident_graphs_save(const char *path, const kp_incident_graphs *ig);
/** Frees everything and clears ig; NULL is fine. */
void kp_incident_graphs_free(kp_incident_graphs *ig);

#ifdef __cplusplus
}
#endif
#endif
