/* Run directories (DESIGN.md §5): OUT/NAME/TIMESTAMP/ for each run, never reusing one that
 * exists, and finding the latest run of a name for --resume auto. */
#ifndef KPRCA_RUNDIR_H
#define KPRCA_RUNDIR_H
#include <stddef.h>

#include "kprca/status.h"
#ifdef __cplusplus
extern "C" {
#endif

/** Creates out_dir/name/YYYYmmdd-HHMMSS/ (parents as needed; "-2", "-3"... appended when that exists) and writes
 *  its path into path. */
kp_status kp_rundir_create(const char *out_dir, const char *name, char *path, size_t n);
/** The newest run directory under out_dir/name (by its timestamp name) that holds checkpoints/latest; KP_ERR_IO
 *  naming what was searched when there is none. */
kp_status kp_rundir_latest(const char *out_dir, const char *name, char *path, size_t n);
/** mkdir -p. */
kp_status kp_mkdirs(const char *path);

#ifdef __cplusplus
}
#endif
#endif
