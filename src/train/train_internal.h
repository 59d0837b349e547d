/* The training skeleton both trainers share (not a public header): the part of a run's state that does
 * not depend on the model (config, device, split, optimizer and schedule, progress, early stopping, best
 * weights), its checkpoints, the epoch loop, the bookkeeping of scoring a split, and the end-of-run files.
 * The GNN trainer (trainer_internal.h) and the line trainer (lines_internal.h) each embed a kp_train_state
 * and keep only their model, data, batches and forward/backward. */
#ifndef KPRCA_TRAIN_TRAIN_INTERNAL_H
#define KPRCA_TRAIN_TRAIN_INTERNAL_H
#include <stdio.h>

#include "kprca/config.h"
#include "kprca/h5.h"
#include "kprca/optimizer.h"
#include "kprca/rng.h"
#include "kprca/schedule.h"
#include "kprca/trainer.h"

typedef enum { KP_MON_VAL_LOSS = 0, KP_MON_VAL_ACC = 1, KP_MON_VAL_F1 = 2 } kp_monitor;

typedef struct kp_train_state {
  const kp_config *cfg;
  kp_device dev;
  int32_t *ids[3]; /* dataset indices (nodes, graphs or lines) of each split, ascending */
  int64_t nids[3];
  /* the model as the checkpoints and the loop see it: set by the trainer before kp_train_state_start */
  kp_params *params;
  uint64_t *drop_seed, *drop_offset;   /* the model's dropout Philox stream */
  const char *model_name, *model_path; /* stored as model/name and model/path (NULL: not stored) */
  const kp_strings *labels;            /* class names, stored as labels/names */
  /* optimisation */
  kp_optimizer opt;
  kp_lr_schedule sched;
  int epochs, eval_every, patience;
  kp_monitor monitor;
  bool restore_best;
  bool eval_last; /* the last epoch is evaluated even off the eval_every beat */
  uint64_t seed;
  kp_rng data_rng;
  int64_t steps_per_epoch; /* optimizer steps */
  /* progress of training */
  int epoch;
  int64_t step;
  double best_metric;
  int best_epoch, bad_evals;
  bool have_best, finished, early_stopped;
  kp_tensor best; /* f32 [params total]: weights of the best epoch (restore_best) */
} kp_train_state;

/* What kp_train_fit asks of a trainer (its first argument is the trainer). */
typedef struct kp_train_hooks {
  /* One epoch of training: *loss the mean training loss, *items the items trained on, *lr the rate to log. */
  kp_status (*train_epoch)(void *trainer, const kp_fit_opts *o, double *loss, int64_t *items, double *lr);
  /* Scores a split with the current weights, as kp_trainer_evaluate. */
  kp_status (*evaluate)(void *trainer, int split, kp_split_eval *out);
} kp_train_hooks;

/* train_state.c */
/* splitmix64 of (seed, stream): independent Philox keys (1 initialisation, 2 dropout, 3 data order, 4 sampling). */
uint64_t kp_train_stream_seed(uint64_t seed, uint64_t stream);
/* st->cfg = cfg, and train.*: threads (set for OpenMP), seed, epochs, eval_every, patience, restore_best, monitor. */
void kp_train_state_config(kp_train_state *st, const kp_config *cfg);
/* Once the model is built (params and dropout stream set in st): dropout and data-order streams from the seed, the
 * optimizer (decay_prefix as in kp_optimizer_opts) and LR schedule over epochs * steps_per_epoch steps, the best
 * weights buffer and the initial best metric. */
kp_status kp_train_state_start(kp_train_state *st, const char *decay_prefix);
/* Bytes of weights, gradients, optimizer state and best weights. */
int64_t kp_train_state_param_bytes(const kp_train_state *st);
/* Frees the split, optimizer and best weights. */
void kp_train_state_free(kp_train_state *st);

/* train_ckpt.c: the checkpoint file of the state (checkpoint.h) */
kp_status kp_train_save_checkpoint(kp_train_state *st, const char *path, bool final);
kp_status kp_train_load_checkpoint(kp_train_state *st, const char *path, bool *finished);
kp_status kp_train_load_weights(kp_train_state *st, const char *path);
/* epoch-NNNNNN.h5 in run_dir/checkpoints (latest pointer set, old ones pruned); written gets its path. */
kp_status kp_train_checkpoint_run(kp_train_state *st, const char *run_dir, bool final, char *written, size_t n);
/* run_dir/checkpoints/best.h5: the best weights, as a finished run at the best epoch. */
kp_status kp_train_write_best(kp_train_state *st, const char *run_dir);

/* train_fit.c: kp_trainer_fit's contract, with the trainer's epoch and scoring as hooks */
kp_status kp_train_fit(kp_train_state *st, const kp_train_hooks *h, void *trainer, const kp_fit_opts *opts,
                       kp_fit_result *r);

/* split_eval.c */
/* Allocates e for the n = st->nids[split] items of split (ids copied, C classes); noun names them in the
 * out-of-memory message. On failure e is freed. */
kp_status kp_split_eval_begin(kp_split_eval *e, const kp_train_state *st, int split, int64_t num_classes,
                              const char *noun);
/* With s == KP_OK: predictions (highest probability, lower class on ties) and metrics; e is freed when the result is
 * not KP_OK. Returns that result. */
kp_status kp_split_eval_finish(kp_split_eval *e, kp_status s);

/* trainer_report.c: the end-of-run files */
/* The splits to report: split when >= 0, else eval.splits in order (at most 3; with skip_empty those with no
 * items are passed over). Returns how many went into want. */
int kp_train_report_splits(const kp_train_state *st, int split, bool skip_empty, int want[3]);
/* Prints the text report of ev to out (may be NULL) and, when dir is non-NULL, writes report.txt, metrics.json (json;
 * NULL means it could not be made) and predictions.csv there. */
kp_status kp_train_report_write(const kp_split_eval *ev, int n, const kp_strings *labels, const char *json,
                                const char *dir, FILE *out);

#endif
