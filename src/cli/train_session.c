/* The run-level steps both kprca-train runs share (train_session.h): resume, run directory, Ctrl-C,
 * the outcome of fit, report.html and metrics.json's run members. */
#include <cjson/cJSON.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/common.h"
#include "cli/train.h"
#include "cli/train_session.h"
#include "kprca/checkpoint.h"
#include "kprca/report_html.h"
#include "kprca/rundir.h"
#include "kprca/version.h"

static volatile sig_atomic_t stop_requested = 0;

static void on_sigint(int sig) {
  if (stop_requested) { /* a second Ctrl-C: stop now */
    signal(sig, SIG_DFL);
    raise(sig);
  }
  stop_requested = 1;
}

/* Resolves --resume to a checkpoint file (ss->ckpt) and its run directory (ss->run, "" when it lies elsewhere). */
static kp_status resolve_resume(train_session *ss, const kp_config *cfg, const char *arg) {
  char name[256], where[4096];
  kp_config_run_name(cfg, name, sizeof name);
  if (!strcmp(arg, "auto")) {
    KP_TRY(kp_rundir_latest(kp_config_string(cfg, "output.dir"), name, where, sizeof where));
    arg = where;
  }
  KP_TRY(kp_ckpt_resolve(arg, ss->ckpt, sizeof ss->ckpt));
  cli_checkpoint_run_dir(ss->ckpt, ss->run, sizeof ss->run);
  return KP_OK;
}

/* True when the checkpoint was written with this very config (resolved YAML text). */
static bool same_config(const kp_config *cfg, const char *ckpt) {
  kp_ckpt *c = NULL;
  char *saved = NULL, *now = kp_config_to_yaml(cfg, 0);
  bool same = true;
  if (now && kp_ckpt_open(ckpt, &c) == KP_OK && kp_ckpt_get_text(c, "config", &saved) == KP_OK)
    same = !strcmp(saved, now);
  kp_ckpt_close(c);
  free(saved);
  free(now);
  kp_clear_error();
  return same;
}

/* A new run directory with config.yaml; 0 or the exit code after printing the error. */
static int new_run_dir(train_session *ss, const kp_config *cfg) {
  char name[256], path[4200];
  kp_config_run_name(cfg, name, sizeof name);
  kp_status s = kp_rundir_create(kp_config_string(cfg, "output.dir"), name, ss->run, sizeof ss->run);
  snprintf(path, sizeof path, "%s/config.yaml", ss->run);
  if (s == KP_OK) s = kp_config_save(cfg, path);
  if (s == KP_OK) return 0;
  fprintf(stderr, "kprca-train: %s\n", kp_last_error());
  return 1;
}

int train_session_open(train_session *ss, const kp_config *cfg, const char *resume, train_load_fn load, void *trainer,
                       bool note_config) {
  memset(ss, 0, sizeof *ss);
  if (resume) {
    bool finished = false;
    int epoch = 0;
    kp_status s = resolve_resume(ss, cfg, resume);
    if (s == KP_OK) s = load(trainer, ss->ckpt, &epoch, &finished);
    if (s != KP_OK) return train_fail(s);
    fprintf(stderr, "kprca-train: resuming from %s (epoch %d%s)\n", ss->ckpt, epoch, finished ? ", finished" : "");
    if (note_config && !same_config(cfg, ss->ckpt))
      fprintf(stderr, "kprca-train: note: the config differs from the one saved in the checkpoint; this one is used\n");
  }
  return ss->run[0] ? 0 : new_run_dir(ss, cfg);
}

void train_session_start(train_session *ss, const kp_config *cfg) {
  kp_progress_mode mode = kp_progress_mode_for(kp_config_string(cfg, "train.progress"), stderr);
  kp_progress_init(&ss->progress, mode, stderr, (int)kp_config_int(cfg, "train.log_every"),
                   kp_config_string(cfg, "train.monitor"));
  struct sigaction sa = {0};
  sa.sa_handler = on_sigint;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, &ss->old_sigint);
  ss->fit = (kp_fit_opts){.run_dir = ss->run, .progress = &ss->progress, .stop = &stop_requested};
}

int train_session_fitted(train_session *ss, kp_status s, const kp_fit_result *r) {
  sigaction(SIGINT, &ss->old_sigint, NULL);
  if (s != KP_OK) {
    fprintf(stderr, "kprca-train: %s\n", kp_last_error());
    return 1;
  }
  if (r->interrupted) {
    fprintf(stderr, "kprca-train: interrupted after epoch %d; checkpoint %s; continue with --resume auto\n",
            r->epochs_run, r->last_checkpoint);
    return 130;
  }
  if (r->early_stopped)
    fprintf(stderr, "kprca-train: early stop at epoch %d (best epoch %d)\n", r->epochs_run, r->best_epoch);
  return -1;
}

int train_session_reported(const train_session *ss, kp_status s) {
  if (s != KP_OK) {
    fprintf(stderr, "kprca-train: %s\n", kp_last_error());
    return 1;
  }
  if (kp_report_html_write(ss->run) != KP_OK) /* the run itself is complete: a warning */
    fprintf(stderr, "kprca-train: warning: report.html not written: %s\n", kp_last_error());
  return 0;
}

cJSON *train_extra_begin(const kp_fit_result *r) {
  cJSON *o = cJSON_CreateObject();
  cJSON_AddNumberToObject(o, "best_epoch", r->best_epoch);
  cJSON_AddNumberToObject(o, "epochs_run", r->epochs_run);
  cJSON_AddBoolToObject(o, "early_stopped", r->early_stopped);
  cJSON_AddNumberToObject(o, "train_time_s", r->train_time_s);
  return o;
}

char *train_extra_end(cJSON *o, const char *device, const char *run, const kp_config *cfg) {
  char *yaml = kp_config_to_yaml(cfg, 0);
  cJSON_AddStringToObject(o, "device", device);
  cJSON_AddNumberToObject(o, "threads", omp_get_max_threads()); /* CPU threads the run used */
  cJSON_AddStringToObject(o, "kprca_version", kp_version());
  cJSON_AddStringToObject(o, "kprca_commit", kp_commit());
  cJSON_AddStringToObject(o, "run_dir", run);
  cJSON_AddStringToObject(o, "config", yaml ? yaml : "");
  char *s = cJSON_PrintUnformatted(o);
  cJSON_Delete(o);
  free(yaml);
  return s;
}
