/* kprca-infer's parts (src/cli/infer_*.c): input sources with follow mode, the score cache, the line
 * model, and the pipeline that applies rules, batches model work and prints results. */
#ifndef KPRCA_CLI_INFER_H
#define KPRCA_CLI_INFER_H
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include "kprca/kernlog.h"
#include "kprca/rules.h"
#include "kprca/status.h"

typedef struct infer_opts {
  const char *rules_path, *model_path, *device, *negative;
  const char *graph_data; /* GNN incident model: the incident-graphs file (default: the checkpoint's data.path) */
  bool json, follow, incident, all, stats;
  int batch;            /* lines per model forward */
  int64_t cache_cap;    /* cached distinct texts (0: no cache) */
  bool cache_masked;    /* key = masked text (numbers, hex, ... as <*>) instead of the exact message */
  double threshold;     /* model lines flagged when the top non-ordinary class has p >= threshold */
  int top;              /* --incident: labels and lines shown per incident */
  int max_length;       /* tokens per line for BERT (0: the checkpoint's data.max_seq_len, else 128) */
  double interval_s;    /* follow: how long to wait when no input is there */
  kp_klog_format format;
} infer_opts;

extern volatile sig_atomic_t infer_stop; /* set by SIGINT / SIGTERM */

/* ---- input (infer_input.c) ---- */
typedef struct infer_src infer_src;
/* Called for every parsed record of a source, in order. */
typedef kp_status (*infer_line_fn)(void *ctx, int src, const char *name, const kp_klog_record *rec);

/** Opens path ("-": standard input); KP_ERR_IO naming it when it cannot be opened. */
kp_status infer_src_open(const char *path, kp_klog_format format, infer_src **out);
/** Reads what is there now (up to a chunk) and hands complete lines to fn; *progress tells whether bytes came,
 *  *done whether the source has ended (EOF when not following, or a closed pipe). Following a file, truncation
 *  rereads it from the start and a replaced file (rotation) is reopened after the old one is drained. */
kp_status infer_src_pump(infer_src *s, int idx, bool follow, infer_line_fn fn, void *ctx, bool *progress,
                         bool *done);
/** Hands over a final line without a newline and lines held back for format detection. */
kp_status infer_src_finish(infer_src *s, int idx, infer_line_fn fn, void *ctx);
/** True when the source is a pipe or terminal (waited on with poll). */
bool infer_src_is_stream(const infer_src *s);
/** The file descriptor (for poll). */
int infer_src_fd(const infer_src *s);
/** The name as given ("-" shows as "<stdin>"). */
const char *infer_src_name(const infer_src *s);
void infer_src_close(infer_src *s);

/* ---- cache (infer_cache.c): text -> C floats, two generations of at most cap/2 entries each ---- */
typedef struct infer_cache infer_cache;
kp_status infer_cache_new(int64_t cap, int C, infer_cache **out);
/** The cached row of key, or NULL (a hit in the old generation moves the entry to the new one). */
const float *infer_cache_get(infer_cache *c, const char *key, size_t len);
/** Stores row (C floats) for key. */
kp_status infer_cache_put(infer_cache *c, const char *key, size_t len, const float *row);
void infer_cache_stats(const infer_cache *c, int64_t *hits, int64_t *misses, int64_t *size);
void infer_cache_free(infer_cache *c);

/* ---- the line model (infer_model.c) ---- */
typedef struct infer_model infer_model;
/** Opens a kprca checkpoint (file, checkpoints/ folder or run directory) of a line classifier, or a Hugging
 *  Face BERT directory with a classification head; device "auto", "cpu", "cuda", "cuda:N". */
kp_status infer_model_open(const char *path, const char *device, int max_length, infer_model **out);
int infer_model_classes(const infer_model *m);
const char *infer_model_label(const infer_model *m, int c);
/** A line describing the model ("bert 6 layers, hidden 384, 2 classes on cpu, from ..."). */
const char *infer_model_describe(const infer_model *m);
/** Class probabilities of n texts into probs [n, C] (softmax of the logits); the texts run in length order,
 *  batch at a time, each batch padded to its longest line. */
kp_status infer_model_score(infer_model *m, int64_t n, const char *const *texts, int64_t batch, float *probs);
void infer_model_close(infer_model *m);

/* ---- GNN incident models (infer_gnn.c) ---- */
/** *is_gnn: path is a kprca-train checkpoint (or run) of a GNN (any other path: false, errors left to the line model). */
kp_status infer_gnn_probe(const char *model_path, bool *is_gnn);
/** --incident with a GNN checkpoint: each input file is one incident graph, ranked by the model; exit code. */
int infer_gnn_run(const infer_opts *o, int nin, char **inputs);

/* ---- the pipeline (infer_run.c) ---- */
/** Scores the inputs; returns the exit code (0 ok, 1 runtime failure, 2 bad input). */
int infer_run(const infer_opts *o, int nin, char **inputs);
/** Exit code of a status: 2 for bad input or usage, 1 for runtime failures. */
int infer_exit_code(kp_status s);

#endif
