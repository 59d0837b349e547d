/* kprca-prep build: options shared by the three dataset kinds, and the builders. */
#ifndef KPRCA_CLI_PREP_BUILD_H
#define KPRCA_CLI_PREP_BUILD_H
#include <stdbool.h>
#include <stdint.h>
#include "kprca/incident.h"
#include "kprca/status.h"
#include "kprca/text_encoder.h"

typedef enum build_kind { KIND_LINES, KIND_INCIDENT_GRAPHS, KIND_CASE_GRAPH } build_kind;
typedef enum build_split { SPLIT_DEFAULT, SPLIT_GROUP, SPLIT_STRATIFIED, SPLIT_TIME } build_split;

typedef struct build_opts {
  const char *input, *out;
  build_kind kind;
  bool input_is_dir;
  double val, test;
  uint64_t seed;
  double window_s;       /* < 0: the kind's default */
  int64_t max_lines;     /* lines: per incident, 0 = no cap */
  bool labels_category;  /* lines: --labels category */
  build_split split_by;
  int32_t features;      /* hashed TF-IDF width */
  int32_t k;             /* case graph: neighbours */
  bool fault_window;     /* case graph: --fault-lines window */
  bool fault_predicted;  /* case graph: --fault-lines predicted (the encoder's classifier picks them) */
  const char *encoder;   /* --features encoder: --encoder DIR_OR_RUN (NULL: TF-IDF) */
  char **classes;        /* --classes: the known label set, in order (NULL: from the data) */
  int32_t nclasses;
  kp_klog_options log;   /* --log-type */
} build_opts;

/** Prints "kprca-prep build: <message>" on one line and returns code. */
int build_fail(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/** The exit code for a failed library call: 1 for runtime failures (memory, internal), else 2 (bad input). */
int build_code(kp_status s);
/** Opens o->encoder into *e (NULL when o has none); returns an exit code (0: ok). */
int build_open_encoder(const build_opts *o, kp_text_encoder **e);
/** Prints the encoder's description and counters (texts asked for, distinct texts encoded, batches, padding) on stdout. */
void build_encoder_summary(const kp_text_encoder *e, double seconds);
/** Opens the incident directory of o (validating labels.csv). */
kp_status build_open_dir(const build_opts *o, kp_incident_dir **d);

/** --kind lines; returns the exit code. */
int build_lines(const build_opts *o);
/** --kind incident-graphs; returns the exit code. */
int build_incident_graphs(const build_opts *o);
/** --kind case-graph; returns the exit code. */
int build_case_graph(const build_opts *o);

#endif
