/* Training progress on the terminal: a one-line bar redrawn in place (epoch, loss, validation
 * metric, throughput, ETA) when the stream is a terminal, plain log lines every N epochs when it
 * is not (a log file, CI), or nothing. */
#ifndef KPRCA_PROGRESS_H
#define KPRCA_PROGRESS_H
#include <stdbool.h>
#include <stdio.h>

#include "kprca/status.h"
#include "kprca/trainer.h"
#ifdef __cplusplus
extern "C" {
#endif

typedef enum kp_progress_mode { KP_PROGRESS_NONE = 0, KP_PROGRESS_BAR = 1, KP_PROGRESS_LINES = 2 } kp_progress_mode;

typedef struct kp_progress {
  kp_progress_mode mode;
  FILE *out;
  int log_every;
  const char *monitor; /* train.monitor, shown next to the loss */
  bool bar_open;       /* a bar line is on screen without its newline */
  int first_epoch;     /* first epoch of this process (a resumed run starts later) */
  double elapsed;      /* seconds of the epochs shown so far */
} kp_progress;

/** The mode for a train.progress setting: "auto" gives a bar when out is a terminal, else lines. */
kp_progress_mode kp_progress_mode_for(const char *setting, FILE *out);
/** Sets up p to write to out (NULL: quiet). */
void kp_progress_init(kp_progress *p, kp_progress_mode mode, FILE *out, int log_every, const char *monitor);
/** Shows one finished epoch. */
void kp_progress_epoch(kp_progress *p, const kp_epoch_log *e);
/** Prints a message on its own line (ending a bar line first). */
void kp_progress_note(kp_progress *p, const char *msg);
/** Ends the bar line, if any. */
void kp_progress_end(kp_progress *p);

#ifdef __cplusplus
}
#endif
#endif
