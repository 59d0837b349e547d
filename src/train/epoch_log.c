/* Per-epoch outputs of a training run: metrics.jsonl and TensorBoard scalars (epoch_log.h). */
#include "kprca/epoch_log.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "kprca/train_report.h"

kp_status kp_epoch_sink_open(kp_epoch_sink *s, const char *run_dir) {
  memset(s, 0, sizeof *s);
  if (!run_dir) return KP_OK;
  char path[4200];
  snprintf(path, sizeof path, "%s/metrics.jsonl", run_dir);
  s->jsonl = fopen(path, "a");
  if (!s->jsonl) return kp_fail(KP_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
  kp_status st = kp_tb_open(run_dir, &s->tb);
  if (st != KP_OK) {
    fclose(s->jsonl);
    s->jsonl = NULL;
  }
  return st;
}

kp_status kp_epoch_sink_write(kp_epoch_sink *s, const kp_epoch_log *e, const kp_config *cfg) {
  if (s->jsonl) {
    char *line = kp_epoch_log_json(e, cfg);
    if (!line) return kp_fail(KP_ERR_NOMEM, "metrics.jsonl: out of memory");
    int bad = fprintf(s->jsonl, "%s\n", line) < 0 || fflush(s->jsonl) != 0;
    free(line);
    if (bad) return kp_fail(KP_ERR_IO, "metrics.jsonl: write failed: %s", strerror(errno));
  }
  if (s->tb) {
    KP_TRY(kp_tb_scalar(s->tb, "loss/train", e->epoch, e->train_loss));
    KP_TRY(kp_tb_scalar(s->tb, "lr", e->epoch, e->lr));
    if (e->evaluated) {
      KP_TRY(kp_tb_scalar(s->tb, "loss/val", e->epoch, e->val_loss));
      KP_TRY(kp_tb_scalar(s->tb, "accuracy/val", e->epoch, e->val_accuracy));
      KP_TRY(kp_tb_scalar(s->tb, "macro_f1/val", e->epoch, e->val_macro_f1));
    }
    KP_TRY(kp_tb_flush(s->tb));
  }
  return KP_OK;
}

kp_status kp_epoch_sink_close(kp_epoch_sink *s) {
  kp_status st = KP_OK;
  if (s->jsonl && fclose(s->jsonl) != 0) st = kp_fail(KP_ERR_IO, "metrics.jsonl: close failed: %s", strerror(errno));
  if (s->tb) {
    kp_status t = kp_tb_close(s->tb);
    if (st == KP_OK) st = t;
  }
  memset(s, 0, sizeof *s);
  return st;
}
