/* Training checkpoints in HDF5 (format "kprca.checkpoint", version 1): named f32 buffers laid out
 * like a kp_params table (weights, gradients' optimizer moments, best weights), integer and float
 * scalars (epoch, step, RNG offsets, best metric), and texts (the resolved config, label names).
 * Files are written atomically (temporary file, fsync, rename) and a run's checkpoints/ folder
 * keeps a `latest` pointer file naming the newest one. */
#ifndef KPRCA_CHECKPOINT_H
#define KPRCA_CHECKPOINT_H
#include <stdbool.h>
#include <stdint.h>
#include "kprca/config.h"
#include "kprca/h5.h"
#include "kprca/params.h"
#include "kprca/status.h"
#ifdef __cplusplus
extern "C" {
#endif

#define KP_CKPT_FORMAT "kprca.checkpoint"
#define KP_CKPT_VERSION 1

typedef struct kp_ckpt kp_ckpt; /* a checkpoint being written or read */

/** Starts writing path (nothing appears at path until kp_ckpt_commit). */
kp_status kp_ckpt_create(const char *path, kp_ckpt **out);
/** Writes a flat buffer laid out like p (p->data, p->grad or an optimizer moment of p->total floats, on any
 *  device) as one dataset per entry under group ("params/convs.0.lin.weight"), with the entry's shape. */
kp_status kp_ckpt_put_flat(kp_ckpt *c, const char *group, const kp_params *p, const kp_tensor *flat);
/** Writes a 1-D f32 array. */
kp_status kp_ckpt_put_f32(kp_ckpt *c, const char *name, const float *data, int64_t n);
/** Writes an integer scalar (uint64 values such as RNG offsets round-trip through int64 bit for bit). */
kp_status kp_ckpt_put_int(kp_ckpt *c, const char *name, int64_t v);
/** Writes a double scalar (bit for bit). */
kp_status kp_ckpt_put_double(kp_ckpt *c, const char *name, double v);
/** Writes a text (e.g. the resolved config YAML). */
kp_status kp_ckpt_put_text(kp_ckpt *c, const char *name, const char *text);
/** Writes a list of strings (e.g. label names). */
kp_status kp_ckpt_put_strings(kp_ckpt *c, const char *name, int64_t n, const char *const *s);
/** Closes, fsyncs and renames into place, then frees c (also on failure, removing the temporary file). */
kp_status kp_ckpt_commit(kp_ckpt *c);
/** Abandons a checkpoint being written (or closes one being read); NULL is fine. */
void kp_ckpt_abort(kp_ckpt *c);

/** Opens a checkpoint file for reading; checks the format and version attributes. */
kp_status kp_ckpt_open(const char *path, kp_ckpt **out);
/** Reads group into a flat buffer laid out like p: every entry of p must be present with its exact shape;
 *  the error names what is missing, unexpected or mis-shaped (each, up to a few). */
kp_status kp_ckpt_get_flat(kp_ckpt *c, const char *group, const kp_params *p, kp_tensor *flat);
/** True when name exists in the checkpoint. */
bool kp_ckpt_has(kp_ckpt *c, const char *name);
/** Reads a 1-D f32 array of exactly n elements. */
kp_status kp_ckpt_get_f32(kp_ckpt *c, const char *name, float *data, int64_t n);
kp_status kp_ckpt_get_int(kp_ckpt *c, const char *name, int64_t *v);
kp_status kp_ckpt_get_double(kp_ckpt *c, const char *name, double *v);
/** Reads a text into a new malloc'd string. */
kp_status kp_ckpt_get_text(kp_ckpt *c, const char *name, char **text);
kp_status kp_ckpt_get_strings(kp_ckpt *c, const char *name, kp_strings *out);
/** Closes a checkpoint opened for reading; NULL is fine. */
void kp_ckpt_close(kp_ckpt *c);

/** Atomically points dir/latest at file (a name inside dir). */
kp_status kp_ckpt_set_latest(const char *dir, const char *file);
/** Resolves what a user passes (a checkpoint file, a checkpoints/ folder, a run directory holding checkpoints/, or
 *  a folder of runs such as experiments/gat, meaning its newest run) to a checkpoint file path via the latest
 *  pointer; errors say what was looked for. */
kp_status kp_ckpt_resolve(const char *path, char *out, size_t n);

/* The config a kprca-train checkpoint file was trained with (a new config, located as FILE:config) and its label
 * names; a file without them is KP_ERR_FORMAT "FILE is not a kprca-train checkpoint". */
kp_status kp_ckpt_read_config(const char *file, kp_config **out, kp_strings *labels);
/** Removes the oldest files matching prefix*.h5 in dir so that at most keep remain (keep 0: remove none);
 *  files named in protect (NULL-terminated, may be NULL) and the latest target are never removed. */
kp_status kp_ckpt_prune(const char *dir, const char *prefix, int keep, const char *const *protect);

#ifdef __cplusplus
}
#endif
#endif
