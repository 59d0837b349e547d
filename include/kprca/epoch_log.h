/* Where a training loop sends each epoch's figures: RUN/metrics.jsonl (one JSON object per line)
 * and TensorBoard event files in RUN/ (scalars loss/train, loss/val, accuracy/val, macro_f1/val,
 * lr, by epoch), both flushed after every epoch so a crash loses at most the epoch in flight. */
#ifndef KPRCA_EPOCH_LOG_H
#define KPRCA_EPOCH_LOG_H
#include <stdio.h>

#include "kprca/config.h"
#include "kprca/tfevents.h"
#include "kprca/trainer.h"
#ifdef __cplusplus
extern "C" {
#endif

typedef struct kp_epoch_sink {
  FILE *jsonl;      /* RUN/metrics.jsonl, appended to (a resumed run continues it) */
  kp_tb_writer *tb; /* RUN/events.out.tfevents.* */
} kp_epoch_sink;

/** Opens both outputs in run_dir; run_dir NULL gives a sink that writes nothing. */
kp_status kp_epoch_sink_open(kp_epoch_sink *s, const char *run_dir);
/** Appends one epoch to metrics.jsonl (kp_epoch_log_json) and its scalars to the TensorBoard file, then flushes. */
kp_status kp_epoch_sink_write(kp_epoch_sink *s, const kp_epoch_log *e, const kp_config *cfg);
/** Closes both (also after an error); a zeroed sink is fine. */
kp_status kp_epoch_sink_close(kp_epoch_sink *s);

#ifdef __cplusplus
}
#endif
#endif
