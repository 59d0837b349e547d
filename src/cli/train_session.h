/* The steps of a kprca-train run that the GNN run (train_run.c) and the line run (train_lines.c)
 * share: --resume located, the run directory made, progress and Ctrl-C set up around fit, the
 * outcome told on stderr, report.html, and metrics.json's run members. */
#ifndef KPRCA_CLI_TRAIN_SESSION_H
#define KPRCA_CLI_TRAIN_SESSION_H
#include <signal.h>
#include <stdbool.h>

#include "kprca/config.h"
#include "kprca/progress.h"
#include "kprca/trainer.h"

struct cJSON;

typedef struct train_session {
  char run[4096];  /* the run directory */
  char ckpt[4096]; /* the checkpoint resumed from, or "" */
  kp_progress progress;
  kp_fit_opts fit; /* run directory, progress and the Ctrl-C flag, for kp_*_fit */
  struct sigaction old_sigint;
} train_session;

/* Loads the checkpoint at path into trainer; *epoch and *finished tell where that run stands. */
typedef kp_status (*train_load_fn)(void *trainer, const char *path, int *epoch, bool *finished);

/** The run directory. With resume (--resume: "auto" for the latest run of this config under output.dir, or a path)
 *  the checkpoint is loaded into trainer by load and the run continues in its directory (said on stderr, with a note
 *  when note_config and the checkpoint's config differs); else, or when the checkpoint lies outside a run, a new
 *  run directory with config.yaml. Returns 0, or the exit code after printing the error. */
int train_session_open(train_session *ss, const kp_config *cfg, const char *resume, train_load_fn load, void *trainer,
                       bool note_config);
/** The progress display (train.progress, train.log_every) and Ctrl-C handling, until train_session_fitted. */
void train_session_start(train_session *ss, const kp_config *cfg);
/** After fit: restores Ctrl-C and tells a failure, an interruption or an early stop. Returns -1 when the run ended
 *  and its report comes next, else the exit code. */
int train_session_fitted(train_session *ss, kp_status s, const kp_fit_result *r);
/** After the report: its failure (exit code 1), else report.html (a warning if it fails) and 0. */
int train_session_reported(const train_session *ss, kp_status s);
/** metrics.json's extra members that come first: best_epoch, epochs_run, early_stopped, train_time_s. */
struct cJSON *train_extra_begin(const kp_fit_result *r);
/** Adds the closing members (device, run_dir, config) to o, frees it and returns its text (malloc'd). */
char *train_extra_end(struct cJSON *o, const char *device, const char *run, const kp_config *cfg);

#endif
