/* kprca-train's engine for GNNs: from a resolved experiment config (config.h) it loads the
 * kprca.graph dataset, applies the split and feature normalisation, builds the GCN / SAGE / GAT
 * model, and trains it (full batch for node tasks, shuffled mini-batches of graphs for graph
 * tasks) with Adam/AdamW/SGD, LR schedules, clipping, class weights, periodic evaluation, early
 * stopping and restore of the best weights. A seed fixes everything: two CPU runs give the same
 * weights bit for bit, and a run resumed from a checkpoint ends with the same weights as an
 * uninterrupted one. Files (run directory, reports, checkpoints) are written only where asked. */
#ifndef KPRCA_TRAINER_H
#define KPRCA_TRAINER_H
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

#include "kprca/config.h"
#include "kprca/gnn.h"
#include "kprca/graph_data.h"
#include "kprca/metrics.h"
#include "kprca/params.h"
#ifdef __cplusplus
extern "C" {
#endif

typedef struct kp_trainer kp_trainer;
struct kp_progress;

/* What --dry-run prints: the data and the model. */
typedef struct kp_trainer_info {
  const char *task;  /* "node" or "graph" */
  const char *model; /* "gcn", "sage", "gat" */
  char device[32];
  int64_t num_nodes, num_edges, num_graphs, num_features, num_classes;
  int64_t split_counts[3]; /* items (nodes or graphs) in train / val / test */
  int64_t batches_per_epoch;
  int64_t num_params;       /* parameters (alignment gaps excluded) */
  int64_t param_bytes;      /* weights + gradients + optimizer state + best weights */
  int64_t data_bytes;       /* the dataset on the device (node task) or the largest batch */
  int64_t activation_bytes; /* estimate of the saved activations of one step */
} kp_trainer_info;

/* One epoch, as metrics.jsonl and the progress display see it. */
typedef struct kp_epoch_log {
  int epoch, epochs;
  int64_t step;      /* optimizer steps so far */
  double lr;         /* learning rate of the epoch's last step */
  double train_loss; /* mean over the epoch's steps (weighted by items) */
  bool evaluated;    /* val metrics below are valid */
  double val_loss, val_accuracy, val_macro_f1;
  const kp_metrics *val; /* every val metric when evaluated (eval.metrics picks what is logged) */
  bool improved;         /* train.monitor improved at this evaluation */
  int best_epoch;
  double time_s;      /* wall time of the epoch (training + evaluation) */
  double items_per_s; /* training items (nodes in the loss or graphs) per second */
} kp_epoch_log;

/* How kp_trainer_fit runs. */
typedef struct kp_fit_opts {
  const char *run_dir;          /* NULL: no files; else metrics.jsonl and checkpoints/ go here */
  struct kp_progress *progress; /* NULL: quiet */
  volatile sig_atomic_t *stop;  /* set (e.g. by SIGINT): stop after the current epoch, checkpoint */
  int stop_after_epoch;         /* > 0: behave as if stopped after this epoch (tests) */
} kp_fit_opts;

typedef struct kp_fit_result {
  int epochs_run; /* last epoch trained (counting epochs before a resume) */
  int best_epoch; /* 0 when no evaluation happened */
  double best_metric;
  bool early_stopped, interrupted;
  double train_time_s;        /* this process's training time */
  char last_checkpoint[4096]; /* "" when none was written */
} kp_fit_result;

/* One split scored by the current model. */
typedef struct kp_split_eval {
  int split; /* KP_SPLIT_TRAIN / VAL / TEST */
  int64_t n, num_classes;
  double loss;  /* mean cross-entropy, unweighted */
  int32_t *ids; /* [n] node or graph index in the dataset */
  int32_t *y_true, *y_pred;
  float *probs; /* [n * C] softmax */
  kp_metrics metrics;
} kp_split_eval;

/** Loads the data, applies the split and normalisation, builds and initialises the model and optimizer from cfg
 *  (borrowed: it must outlive the trainer). Bad config values or data give KP_ERR_INVALID / KP_ERR_FORMAT /
 *  KP_ERR_IO / KP_ERR_UNSUPPORTED with one line naming the key or file. */
kp_status kp_trainer_create(const kp_config *cfg, kp_trainer **out);
/** Frees everything; NULL is fine. */
void kp_trainer_free(kp_trainer *t);
/** Sizes of the data and the model, and a memory estimate. */
void kp_trainer_describe(const kp_trainer *t, kp_trainer_info *info);
/** Trains from the current state (epoch 0, or a loaded checkpoint's epoch) to train.epochs, early stop or a stop
 *  request; at the end restores the best weights when train.restore_best (not when stopped, so a resume continues
 *  from the last weights), and with a run dir writes the last checkpoint and best.h5. */
kp_status kp_trainer_fit(kp_trainer *t, const kp_fit_opts *opts, kp_fit_result *res);
/** Scores split (KP_SPLIT_*) with the current weights, in evaluation mode. */
kp_status kp_trainer_evaluate(kp_trainer *t, int split, kp_split_eval *out);
/** Frees the arrays of e; NULL is fine. */
void kp_split_eval_free(kp_split_eval *e);
/** The model's parameters (flat buffers; values are the current weights). */
const kp_params *kp_trainer_params(const kp_trainer *t);
/** The model. */
const kp_gnn *kp_trainer_model(const kp_trainer *t);
/** The loaded dataset (split applied: graph_split or masks reflect data.split). */
const kp_graph_data *kp_trainer_data(const kp_trainer *t);
/** The split of every item (node or graph): KP_SPLIT_* or -1. */
const int8_t *kp_trainer_split(const kp_trainer *t, int64_t *n);
/** Epochs completed so far (0 before training; a resumed run's count after kp_trainer_load_checkpoint). */
int kp_trainer_epoch(const kp_trainer *t);
/** The config the trainer was made from. */
const kp_config *kp_trainer_config(const kp_trainer *t);
/** The device the trainer runs on. */
kp_device kp_trainer_device(const kp_trainer *t);

/** Writes the full training state to path (atomically): weights, optimizer state, RNG streams, epoch/step,
 *  early-stopping state and best weights, the resolved config and label names; final marks a finished run (the
 *  weights are then the final, restored ones). */
kp_status kp_trainer_save_checkpoint(kp_trainer *t, const char *path, bool final);
/** Restores the state written by kp_trainer_save_checkpoint; the model must match (names and shapes), else
 *  KP_ERR_INVALID naming what differs. *finished (may be NULL) tells whether that run had ended. */
kp_status kp_trainer_load_checkpoint(kp_trainer *t, const char *path, bool *finished);
/** Loads only the weights of a checkpoint (for evaluation). */
kp_status kp_trainer_load_weights(kp_trainer *t, const char *path);

/** Class probabilities probs [G, C] of every graph of d, a graph-classification dataset of the model's feature width
 *  that need not be the trainer's (new incidents), with the current weights in evaluation mode (no dropout). */
kp_status kp_trainer_predict_graphs(kp_trainer *t, const kp_graph_data *d, float *probs);

/** Names of the splits: "train", "val", "test". */
const char *kp_split_name(int split);

#ifdef __cplusplus
}
#endif
#endif
