/* kprca-train's run: build the trainer, pick or create the run directory (or the one being
 * resumed), train with a progress display and Ctrl-C handling, then report. */
#include <cjson/cJSON.h>
#include <libgen.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/train.h"
#include "kprca/report_html.h"
#include "kprca/checkpoint.h"
#include "kprca/progress.h"
#include "kprca/rundir.h"
#include "kprca/train_report.h"

static volatile sig_atomic_t stop_requested = 0;

static void on_sigint(int sig) {
  if (stop_requested) { /* a second Ctrl-C: stop now */
    signal(sig, SIG_DFL);
    raise(sig);
  }
  stop_requested = 1;
}

int train_exit_code(kp_status s) {
  switch (s) {
    case KP_OK:
      return 0;
    case KP_ERR_INVALID:
    case KP_ERR_IO:
    case KP_ERR_FORMAT:
    case KP_ERR_UNSUPPORTED:
    case KP_ERR_NO_DEVICE:
      return 2;
    default:
      return 1;
  }
}

int train_fail(kp_status s) {
  fprintf(stderr, "kprca-train: %s\n", kp_last_error());
  return train_exit_code(s);
}

static double mib(int64_t b) { return (double)b / (1024.0 * 1024.0); }

void train_print_dry_run(const kp_trainer *t, const kp_config *cfg) {
  kp_trainer_info in;
  kp_trainer_describe(t, &in);
  printf("config ok: %s\n", kp_config_string(cfg, "data.path"));
  printf("data: task %s, %lld nodes, %lld edges", in.task, (long long)in.num_nodes, (long long)in.num_edges);
  if (in.num_graphs) printf(", %lld graphs", (long long)in.num_graphs);
  printf(", %lld features, %lld classes\n", (long long)in.num_features, (long long)in.num_classes);
  printf("split: train %lld, val %lld, test %lld %s\n", (long long)in.split_counts[0], (long long)in.split_counts[1],
         (long long)in.split_counts[2], in.num_graphs ? "graphs" : "nodes");
  printf("model: %s, %lld parameters\n", in.model, (long long)in.num_params);
  printf("steps: %lld per epoch, %lld epochs\n", (long long)in.batches_per_epoch,
         (long long)kp_config_int(cfg, "train.epochs"));
  printf("device: %s\n", in.device);
  double host =
      (double)in.num_nodes * (double)in.num_features * 4 + (double)in.num_edges * 8 + (double)in.num_nodes * 12;
  printf(
      "memory estimate: %.2f MiB on the device per step (parameters and optimizer state %.2f, data %.2f, "
      "activations %.2f); the dataset takes %.2f MiB of host memory\n",
      mib(in.param_bytes + in.data_bytes + in.activation_bytes), mib(in.param_bytes), mib(in.data_bytes),
      mib(in.activation_bytes), host / (1024.0 * 1024.0));
}

/* The run directory a checkpoint file belongs to (RUN/checkpoints/FILE), or "" when it is elsewhere. */
static void run_of_checkpoint(const char *file, char *run, size_t n) {
  char a[4096], b[4096];
  snprintf(a, sizeof a, "%s", file);
  char *dir = dirname(a);
  snprintf(b, sizeof b, "%s", dir);
  run[0] = 0;
  if (!strcmp(basename(b), "checkpoints")) {
    snprintf(b, sizeof b, "%s", dir);
    snprintf(run, n, "%s", dirname(b));
  }
}

/* Resolves --resume to a checkpoint file and its run directory. */
static kp_status resolve_resume(const kp_config *cfg, const char *arg, char *file, size_t nf, char *run, size_t nr) {
  char name[256], where[4096];
  kp_config_run_name(cfg, name, sizeof name);
  if (!strcmp(arg, "auto")) {
    KP_TRY(kp_rundir_latest(kp_config_string(cfg, "output.dir"), name, where, sizeof where));
    arg = where;
  }
  KP_TRY(kp_ckpt_resolve(arg, file, nf));
  run_of_checkpoint(file, run, nr);
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

static char *extra_json(const kp_config *cfg, const kp_trainer *t, const kp_fit_result *r, const char *run) {
  kp_trainer_info in;
  kp_trainer_describe(t, &in);
  char *yaml = kp_config_to_yaml(cfg, 0);
  cJSON *o = cJSON_CreateObject();
  cJSON_AddNumberToObject(o, "best_epoch", r->best_epoch);
  cJSON_AddNumberToObject(o, "epochs_run", r->epochs_run);
  cJSON_AddBoolToObject(o, "early_stopped", r->early_stopped);
  cJSON_AddNumberToObject(o, "train_time_s", r->train_time_s);
  cJSON_AddNumberToObject(o, "num_params", (double)in.num_params);
  cJSON_AddStringToObject(o, "model", in.model);
  cJSON_AddStringToObject(o, "task", in.task);
  cJSON_AddStringToObject(o, "device", in.device);
  cJSON_AddStringToObject(o, "run_dir", run);
  cJSON_AddStringToObject(o, "config", yaml ? yaml : "");
  char *s = cJSON_PrintUnformatted(o);
  cJSON_Delete(o);
  free(yaml);
  return s;
}

int train_run(const kp_config *cfg, const train_cli *cli) {
  kp_trainer *t = NULL;
  kp_status s = kp_trainer_create(cfg, &t);
  if (s != KP_OK) return train_fail(s);
  if (cli->dry_run) {
    train_print_dry_run(t, cfg);
    kp_trainer_free(t);
    return 0;
  }
  char run[4096] = "", ckpt[4096] = "";
  int rc = 0;
  if (cli->resume) {
    bool finished = false;
    s = resolve_resume(cfg, cli->resume, ckpt, sizeof ckpt, run, sizeof run);
    if (s == KP_OK) s = kp_trainer_load_checkpoint(t, ckpt, &finished);
    if (s != KP_OK) {
      kp_trainer_free(t);
      return train_fail(s);
    }
    fprintf(stderr, "kprca-train: resuming from %s (epoch %d%s)\n", ckpt, kp_trainer_epoch(t),
            finished ? ", finished" : "");
    if (!same_config(cfg, ckpt))
      fprintf(stderr, "kprca-train: note: the config differs from the one saved in the checkpoint; this one is used\n");
  }
  if (!run[0]) {
    char name[256], path[4200];
    kp_config_run_name(cfg, name, sizeof name);
    s = kp_rundir_create(kp_config_string(cfg, "output.dir"), name, run, sizeof run);
    snprintf(path, sizeof path, "%s/config.yaml", run);
    if (s == KP_OK) s = kp_config_save(cfg, path);
    if (s != KP_OK) {
      kp_trainer_free(t);
      fprintf(stderr, "kprca-train: %s\n", kp_last_error());
      return 1;
    }
  }
  kp_trainer_info in;
  kp_trainer_describe(t, &in);
  fprintf(stderr, "kprca-train: %s on %s (%s task, %lld classes), %lld parameters, device %s, run %s\n", in.model,
          kp_config_string(cfg, "data.path"), in.task, (long long)in.num_classes, (long long)in.num_params, in.device,
          run);
  kp_progress prog;
  kp_progress_mode mode = kp_progress_mode_for(kp_config_string(cfg, "train.progress"), stderr);
  kp_progress_init(&prog, mode, stderr, (int)kp_config_int(cfg, "train.log_every"),
                   kp_config_string(cfg, "train.monitor"));
  struct sigaction sa = {0}, old;
  sa.sa_handler = on_sigint;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, &old);
  kp_fit_opts fo = {.run_dir = run, .progress = &prog, .stop = &stop_requested};
  kp_fit_result res;
  s = kp_trainer_fit(t, &fo, &res);
  sigaction(SIGINT, &old, NULL);
  if (s != KP_OK) {
    fprintf(stderr, "kprca-train: %s\n", kp_last_error());
    rc = 1;
  } else if (res.interrupted) {
    fprintf(stderr, "kprca-train: interrupted after epoch %d; checkpoint %s; continue with --resume auto\n",
            res.epochs_run, res.last_checkpoint);
    rc = 130;
  } else {
    if (res.early_stopped)
      fprintf(stderr, "kprca-train: early stop at epoch %d (best epoch %d)\n", res.epochs_run, res.best_epoch);
    char *extra = extra_json(cfg, t, &res, run);
    s = kp_trainer_report(t, -1, run, extra, stdout);
    free(extra);
    if (s != KP_OK) {
      fprintf(stderr, "kprca-train: %s\n", kp_last_error());
      rc = 1;
    } else {
      if (kp_report_html_write(run) != KP_OK) /* the run itself is complete: a warning */
        fprintf(stderr, "kprca-train: warning: report.html not written: %s\n", kp_last_error());
      printf("\nrun directory: %s (best epoch %d of %d, %.2fs training)\n", run, res.best_epoch, res.epochs_run,
             res.train_time_s);
    }
  }
  kp_trainer_free(t);
  return rc;
}
