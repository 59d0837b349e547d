/* kprca-train for model.name: bert: fine-tune a BERT line classifier (line_trainer.h). The same
 * run directory, resume, Ctrl-C and exit-code rules as the GNN run (train_run.c), plus
 * candidates.csv and the fine-tuning figures (time per step, padding) in metrics.json. */
#include <cjson/cJSON.h>
#include <libgen.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli/train.h"
#include "kprca/report_html.h"
#include "kprca/checkpoint.h"
#include "kprca/line_trainer.h"
#include "kprca/progress.h"
#include "kprca/rundir.h"

static volatile sig_atomic_t lines_stop = 0;

static void on_sigint(int sig) {
  if (lines_stop) {
    signal(sig, SIG_DFL);
    raise(sig);
  }
  lines_stop = 1;
}

static double mib(int64_t b) { return (double)b / (1024.0 * 1024.0); }

static void dry_run(const kp_line_trainer *t, const kp_config *cfg) {
  kp_line_trainer_info in;
  kp_line_trainer_describe(t, &in);
  kp_line_pad_stats ps = {0};
  kp_line_trainer_pad_stats(t, 0, &ps);
  printf("config ok: %s\n", kp_config_string(cfg, "data.path"));
  printf("data: %lld lines, %lld classes, %.1f tokens per line on average, %lld truncated to %lld\n",
         (long long)in.num_lines, (long long)in.num_classes, in.mean_tokens, (long long)in.truncated,
         (long long)in.max_seq_len);
  printf("split: train %lld, val %lld, test %lld lines\n", (long long)in.split_counts[0],
         (long long)in.split_counts[1], (long long)in.split_counts[2]);
  printf("model: bert from %s, %lld layers, hidden %lld, %lld parameters\n", in.model_path, (long long)in.layers,
         (long long)in.hidden, (long long)in.num_params);
  printf("steps: %lld batches, %lld optimizer steps per epoch, %lld epochs\n", (long long)in.batches_per_epoch,
         (long long)in.steps_per_epoch, (long long)kp_config_int(cfg, "train.epochs"));
  printf("padding: %.1f%% of the batch cells are tokens (padding to %lld: %.1f%%)\n",
         ps.cells ? 100.0 * (double)ps.tokens / (double)ps.cells : 0.0, (long long)in.max_seq_len,
         ps.tokens ? 100.0 * (double)ps.tokens / (double)(in.split_counts[0] * in.max_seq_len) : 0.0);
  printf("device: %s\n", in.device);
  printf("memory: %.2f MiB of parameters, gradients and optimizer state\n", mib(in.param_bytes));
}

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

static char *extra_json(const kp_config *cfg, const kp_line_trainer *t, const kp_fit_result *r, const char *run) {
  kp_line_trainer_info in;
  kp_line_trainer_describe(t, &in);
  kp_line_pad_stats ps = {0};
  kp_line_trainer_pad_stats(t, 0, &ps);
  char *yaml = kp_config_to_yaml(cfg, 0);
  cJSON *o = cJSON_CreateObject();
  cJSON_AddNumberToObject(o, "best_epoch", r->best_epoch);
  cJSON_AddNumberToObject(o, "epochs_run", r->epochs_run);
  cJSON_AddBoolToObject(o, "early_stopped", r->early_stopped);
  cJSON_AddNumberToObject(o, "train_time_s", r->train_time_s);
  cJSON_AddNumberToObject(o, "step_time_s", kp_line_trainer_step_time(t));
  cJSON_AddNumberToObject(o, "steps_per_epoch", (double)in.steps_per_epoch);
  cJSON_AddNumberToObject(o, "mean_tokens", in.mean_tokens);
  cJSON_AddNumberToObject(o, "padding_efficiency", ps.cells ? (double)ps.tokens / (double)ps.cells : 0.0);
  cJSON_AddNumberToObject(o, "num_params", (double)in.num_params);
  cJSON_AddStringToObject(o, "model", "bert");
  cJSON_AddStringToObject(o, "model_path", in.model_path);
  cJSON_AddStringToObject(o, "task", "line");
  cJSON_AddStringToObject(o, "device", in.device);
  cJSON_AddStringToObject(o, "run_dir", run);
  cJSON_AddStringToObject(o, "config", yaml ? yaml : "");
  char *s = cJSON_PrintUnformatted(o);
  cJSON_Delete(o);
  free(yaml);
  return s;
}

int train_lines_run(const kp_config *cfg, const train_cli *cli) {
  kp_line_trainer *t = NULL;
  kp_status s = kp_line_trainer_create(cfg, &t);
  if (s != KP_OK) return train_fail(s);
  if (cli->dry_run) {
    dry_run(t, cfg);
    kp_line_trainer_free(t);
    return 0;
  }
  char run[4096] = "", ckpt[4096] = "";
  if (cli->resume) {
    bool finished = false;
    s = resolve_resume(cfg, cli->resume, ckpt, sizeof ckpt, run, sizeof run);
    if (s == KP_OK) s = kp_line_trainer_load_checkpoint(t, ckpt, &finished);
    if (s != KP_OK) {
      kp_line_trainer_free(t);
      return train_fail(s);
    }
    fprintf(stderr, "kprca-train: resuming from %s (epoch %d%s)\n", ckpt, kp_line_trainer_epoch(t),
            finished ? ", finished" : "");
  }
  if (!run[0]) {
    char name[256], path[4200];
    kp_config_run_name(cfg, name, sizeof name);
    s = kp_rundir_create(kp_config_string(cfg, "output.dir"), name, run, sizeof run);
    snprintf(path, sizeof path, "%s/config.yaml", run);
    if (s == KP_OK) s = kp_config_save(cfg, path);
    if (s != KP_OK) {
      kp_line_trainer_free(t);
      fprintf(stderr, "kprca-train: %s\n", kp_last_error());
      return 1;
    }
  }
  kp_line_trainer_info in;
  kp_line_trainer_describe(t, &in);
  fprintf(stderr,
          "kprca-train: bert (%s) on %s (%lld lines, %lld classes), %lld parameters, %lld steps per epoch, device %s, "
          "run %s\n",
          in.model_path, kp_config_string(cfg, "data.path"), (long long)in.num_lines, (long long)in.num_classes,
          (long long)in.num_params, (long long)in.steps_per_epoch, in.device, run);
  kp_progress prog;
  kp_progress_mode mode = kp_progress_mode_for(kp_config_string(cfg, "train.progress"), stderr);
  kp_progress_init(&prog, mode, stderr, (int)kp_config_int(cfg, "train.log_every"),
                   kp_config_string(cfg, "train.monitor"));
  struct sigaction sa = {0}, old;
  sa.sa_handler = on_sigint;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, &old);
  kp_fit_opts fo = {.run_dir = run, .progress = &prog, .stop = &lines_stop};
  kp_fit_result res;
  s = kp_line_trainer_fit(t, &fo, &res);
  sigaction(SIGINT, &old, NULL);
  int rc = 0;
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
    s = kp_line_trainer_report(t, run, extra, stdout);
    free(extra);
    if (s != KP_OK) {
      fprintf(stderr, "kprca-train: %s\n", kp_last_error());
      rc = 1;
    } else {
      if (kp_report_html_write(run) != KP_OK) /* the run itself is complete: a warning */
        fprintf(stderr, "kprca-train: warning: report.html not written: %s\n", kp_last_error());
      printf("\nrun directory: %s (best epoch %d of %d, %.2fs training, %.3f s per optimizer step)\n", run,
             res.best_epoch, res.epochs_run, res.train_time_s, kp_line_trainer_step_time(t));
    }
  }
  kp_line_trainer_free(t);
  return rc;
}
