/* kprca-train's parts (src/cli/train_*.c). */
#ifndef KPRCA_CLI_TRAIN_H
#define KPRCA_CLI_TRAIN_H
#include <stdbool.h>

#include "kprca/kprca.h"
#include "kprca/trainer.h"

typedef struct train_cli {
  bool dry_run, print_config;
  const char *resume; /* NULL, "auto" or a path */
} train_cli;

/** Exit code for a failed library call: 2 for bad input or usage, 1 for runtime failures. */
int train_exit_code(kp_status s);
/** Prints "kprca-train: <last error>" and returns train_exit_code(s). */
int train_fail(kp_status s);
/** The training run itself (run directory, resume, fit, reports); returns the exit code. */
int train_run(const kp_config *cfg, const train_cli *cli);
/** The run for model.name bert (a line classifier; src/cli/train_lines.c). */
int train_lines_run(const kp_config *cfg, const train_cli *cli);
/** Cross-validation (eval.cv.folds set; src/cli/train_cv.c): a run per fold, then cv.json and cv.txt. */
int train_cv_run(const kp_config *cfg, const train_cli *cli);
/** --dry-run: what would be trained, parameter count and memory estimate. */
void train_print_dry_run(const kp_trainer *t, const kp_config *cfg);

#endif
