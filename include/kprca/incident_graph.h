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

/* What the builder keeps so that a new incident is featurised as its own incidents were (the file's
 * builder/ group, docs/datasets.md). A line's template is the one its message (the masked line Drain
 * saw) became; a message the corpus never had goes to the Drain cluster it matches, else to a new
 * template mined from the incident's unseen messages. */
typedef struct kp_incident_builder_state {
  double window_s;            /* the window of the build */
  int32_t features;           /* width of x's template block */
  char *drain_json;           /* the final Drain state (kp_drain_to_json; its masks list the masking passes) */
  kp_strings messages;        /* every distinct message of the windows, in order of first appearance */
  int32_t *message_template;  /* [messages.n] the template index the message's lines got */
  int32_t *cluster_template;  /* [nclusters] the template of Drain cluster c's final text, -1 when no line has it */
  int64_t nclusters;
  float *idf;                 /* [features] the TF-IDF idf weights; NULL with encoder features */
} kp_incident_builder_state;

typedef struct kp_incident_graphs {
  kp_graph_data g;        /* task graph: graph g is incident g of labels.csv */
  kp_strings templates;   /* the templates used by some node, in order of first use */
  int32_t *node_template; /* [N] the node's template, an index into templates */
  int64_t lines;          /* log lines that went into the graphs */
  char *feature_source;   /* "encoder: <model>" when built with an encoder, else NULL (TF-IDF) */
  kp_incident_builder_state state; /* saved as builder/ */
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
/** Writes the graph dataset plus `templates` (vlen str), `node_template` (int32), the root attributes
 *  text_features (width of the template block) and node_features ("tfidf" or "encoder: <model>"), and the
 *  builder/ group (ig->state). */
kp_status kp_incident_graphs_save(const char *path, const kp_incident_graphs *ig);
/** Frees everything and clears ig; NULL is fine. */
void kp_incident_graphs_free(kp_incident_graphs *ig);

/* ---- New incidents, featurised as the builder featurised its corpus (incident_featurize.c) ---- */
typedef struct kp_incident_featurizer kp_incident_featurizer;

typedef struct kp_incident_featurize_info {
  int64_t lines;         /* window lines that went into the graph */
  int64_t unseen_lines;  /* of which the corpus never had the message */
  int64_t new_templates; /* nodes whose template the corpus does not have (unseen messages no cluster took) */
} kp_incident_featurize_info;

/** Reads the builder/ group, templates and label names of an incident-graphs file written by
 *  kp_incident_graphs_save; KP_ERR_FORMAT naming the file when it has none (built before builder/ existed:
 *  rebuild it) or when its node features came from an encoder (not supported). */
kp_status kp_incident_featurizer_open(const char *path, kp_incident_featurizer **out);
/** Frees f; NULL is fine. */
void kp_incident_featurizer_free(kp_incident_featurizer *f);
/** The dataset's class names. */
const kp_strings *kp_incident_featurizer_labels(const kp_incident_featurizer *f);
/** The file's window_s, feature width (x has features + KP_INCIDENT_GRAPH_EXTRA columns) and Drain parameters. */
void kp_incident_featurizer_describe(const kp_incident_featurizer *f, double *window_s, int32_t *features,
                                     kp_drain_params *drain);
/** One graph (task graph, num_graphs 1) of incident l with exactly the builder's window, templates, node order,
 *  features and edges: an incident of the corpus gives its row of the file bit for bit. graph_y is the
 *  incident's label when l came from an incident directory, else -1; node_flag from l->root. info may be NULL.
 *  Release g with kp_graph_data_free. */
kp_status kp_incident_featurize(kp_incident_featurizer *f, const kp_incident_log *l, kp_graph_data *g,
                                kp_incident_featurize_info *info);
/** Reads a raw log file as one incident (no labels.csv): no root-cause lines; the panic line is the last line
 *  whose message begins with "Kernel panic - not syncing", else none (the times then refer to the last line
 *  with a time, as for an incident without panic_line). Release with kp_incident_log_clear. */
kp_status kp_incident_log_from_file(const char *path, const kp_klog_options *opts, kp_incident_log *out);

#ifdef __cplusplus
}
#endif
#endif
