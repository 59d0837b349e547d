/* Where a checkpoint file sits: the run directory kprca-train made it in, if any (common.h). */
#include <libgen.h>
#include <stdio.h>
#include <string.h>

#include "cli/common.h"

void cli_checkpoint_run_dir(const char *file, char *run, size_t n) {
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
