/* Small helpers that every kprca tool links (src/cli/common_*.c). */
#ifndef KPRCA_CLI_COMMON_H
#define KPRCA_CLI_COMMON_H
#include <stddef.h>

/** The run directory a checkpoint file belongs to (RUN/checkpoints/FILE), or "" when it lies elsewhere. */
void cli_checkpoint_run_dir(const char *file, char *run, size_t n);

#endif
