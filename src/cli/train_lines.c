/* kprca-train for model.name: bert: fine-tune a BERT line classifier (line_trainer.h). The same
 * run directory, resume, Ctrl-C and exit-code rules as the GNN run (train_session.c), plus
 * candidates.csv and the fine-tuning figures (time per step, padding) in metrics.json. */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include "cli/train.h"
#include "cli/train_session.h"
#include "kprca/line_trainer.h"

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

static kp_status load(void *t, const char *path, int *epoch, bool *finished) {
  KP_TRY(kp_line_trainer_load_checkpoint(t, path, finished));
  *epoch = kp_line_trainer_epoch(t);
  return KP_OK;
}

static char *extra_json(const kp_line_trainer *t, const kp_fit_result *r, const char *run, const kp_config *cfg) {
  kp_line_trainer_info in;
  kp_line_trainer_describe(t, &in);
  kp_line_pad_stats ps = {0};
  kp_line_trainer_pad_stats(t, 0, &ps);
  cJSON *o = train_extra_begin(r);
  cJSON_AddNumberToObject(o, "step_time_s", kp_line_trainer_step_time(t));
  cJSON_AddNumberToObject(o, "steps_per_epoch", (double)in.steps_per_epoch);
  cJSON_AddNumberToObject(o, "mean_tokens", in.mean_tokens);
  cJSON_AddNumberToObject(o, "padding_efficiency", ps.cells ? (double)ps.tokens / (double)ps.cells : 0.0);
  cJSON_AddNumberToObject(o, "num_params", (double)in.num_params);
  cJSON_AddStringToObject(o, "model", "bert");
  cJSON_AddStringToObject(o, "model_path", in.model_path);
  cJSON_AddStringToObject(o, "task", "line");
  return train_extra_end(o, in.device, run, cfg);
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
  train_session ss;
  int rc = train_session_open(&ss, cfg, cli->resume, load, t, false);
  if (rc != 0) {
    kp_line_trainer_free(t);
    return rc;
  }
  kp_line_trainer_info in;
  kp_line_trainer_describe(t, &in);
  fprintf(stderr,
          "kprca-train: bert (%s) on %s (%lld lines, %lld classes), %lld parameters, %lld steps per epoch, device %s, "
          "run %s\n",
          in.model_path, kp_config_string(cfg, "data.path"), (long long)in.num_lines, (long long)in.num_classes,
          (long long)in.num_params, (long long)in.steps_per_epoch, in.device, ss.run);
  train_session_start(&ss, cfg);
  kp_fit_result res;
  s = kp_line_trainer_fit(t, &ss.fit, &res);
  rc = train_session_fitted(&ss, s, &res);
  if (rc < 0) {
    char *extra = extra_json(t, &res, ss.run, cfg);
    rc = train_session_reported(&ss, kp_line_trainer_report(t, ss.run, extra, stdout));
    free(extra);
    if (rc == 0)
      printf("\nrun directory: %s (best epoch %d of %d, %.2fs training, %.3f s per optimizer step)\n", ss.run,
             res.best_epoch, res.epochs_run, res.train_time_s, kp_line_trainer_step_time(t));
  }
  kp_line_trainer_free(t);
  return rc;
}
