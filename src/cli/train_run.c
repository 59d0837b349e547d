/* kprca-train's GNN run: build the trainer, pick or create the run directory (or the one being
 * resumed), train with a progress display and Ctrl-C handling, then report (the steps it shares
 * with the line run are in train_session.c). */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>

#include "cli/train.h"
#include "cli/train_session.h"
#include "kprca/train_report.h"

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

static kp_status load(void *t, const char *path, int *epoch, bool *finished) {
  KP_TRY(kp_trainer_load_checkpoint(t, path, finished));
  *epoch = kp_trainer_epoch(t);
  return KP_OK;
}

static char *extra_json(const kp_trainer *t, const kp_fit_result *r, const char *run) {
  kp_trainer_info in;
  kp_trainer_describe(t, &in);
  cJSON *o = train_extra_begin(r);
  cJSON_AddNumberToObject(o, "num_params", (double)in.num_params);
  cJSON_AddStringToObject(o, "model", in.model);
  cJSON_AddStringToObject(o, "task", in.task);
  return train_extra_end(o, in.device, run, kp_trainer_config(t));
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
  train_session ss;
  int rc = train_session_open(&ss, cfg, cli->resume, load, t, true);
  if (rc != 0) {
    kp_trainer_free(t);
    return rc;
  }
  kp_trainer_info in;
  kp_trainer_describe(t, &in);
  fprintf(stderr, "kprca-train: %s on %s (%s task, %lld classes), %lld parameters, device %s, run %s\n", in.model,
          kp_config_string(cfg, "data.path"), in.task, (long long)in.num_classes, (long long)in.num_params, in.device,
          ss.run);
  train_session_start(&ss, cfg);
  kp_fit_result res;
  s = kp_trainer_fit(t, &ss.fit, &res);
  rc = train_session_fitted(&ss, s, &res);
  if (rc < 0) {
    char *extra = extra_json(t, &res, ss.run);
    rc = train_session_reported(&ss, kp_trainer_report(t, -1, ss.run, extra, stdout));
    free(extra);
    if (rc == 0)
      printf("\nrun directory: %s (best epoch %d of %d, %.2fs training)\n", ss.run, res.best_epoch, res.epochs_run,
             res.train_time_s);
  }
  kp_trainer_free(t);
  return rc;
}
