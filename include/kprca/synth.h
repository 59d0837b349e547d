/* The synthetic kernel-panic corpus: raw kern.log incidents with root-cause labels, generated
 * from a seed. Incident i depends only on (seed, i), never on how many are generated or on
 * the thread that generates it, so any run reproduces the same bytes on any machine. */
#ifndef KPRCA_SYNTH_H
#define KPRCA_SYNTH_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "kprca/status.h"
#ifdef __cplusplus
extern "C" {
#endif

/* Category 0 is the benign class ("none": no failure, no panic); 1.. are root causes. */
#define KP_SYNTH_NONE 0
#define KP_SYNTH_MAX_CATEGORIES 32

typedef struct kp_synth_config {
  uint64_t seed;
  int64_t incidents;       /* how many incidents kp_synth_write_dir writes */
  double benign_fraction;  /* probability that an incident is benign, in [0, 1] */
  uint32_t category_mask;  /* bit c set: root cause c may be drawn (bit 0 is ignored); 0 = all */
} kp_synth_config;

/** Defaults: seed 1, 1000 incidents, benign fraction 0.1, every root cause. */
kp_synth_config kp_synth_config_default(void);

/** Number of categories, the benign "none" (0) included. */
int kp_synth_category_count(void);
/** Label of category c ("none", "oom", "gpu_xid", ...); NULL outside [0, count). */
const char *kp_synth_category_name(int c);
/** One-line description of category c. */
const char *kp_synth_category_about(int c);
/** Category whose label is name[0..len), or -1. */
int kp_synth_category_find(const char *name, size_t len);
/** Parses a comma-separated list of root-cause labels into a mask; fails (KP_ERR_INVALID, naming the bad item) on unknown or "none". */
kp_status kp_synth_parse_categories(const char *list, uint32_t *mask);

typedef struct kp_synth_incident {
  char *text;           /* the raw kern.log text, every line ending in '\n' */
  size_t len;           /* bytes in text */
  int category;         /* the label */
  int32_t lines;        /* lines in text */
  int32_t *cause_lines; /* sorted 1-based numbers of the lines carrying root-cause evidence */
  int32_t n_cause;
  int32_t panic_line;   /* 1-based number of the "Kernel panic - not syncing" line, 0 when none */
} kp_synth_incident;

/** Generates incident index (0-based) of cfg's corpus (cfg->incidents is not used). Free with kp_synth_incident_free. */
kp_status kp_synth_incident_make(const kp_synth_config *cfg, int64_t index, kp_synth_incident *out);
/** Frees what kp_synth_incident_make allocated; zeroes *inc. */
void kp_synth_incident_free(kp_synth_incident *inc);

typedef struct kp_synth_stats {
  int64_t incidents, lines, bytes, min_lines, max_lines, cause_lines;
  int64_t per_category[KP_SYNTH_MAX_CATEGORIES];
} kp_synth_stats;

/** Progress callback: called from one thread at a time with the incidents written so far. */
typedef void (*kp_synth_progress_fn)(int64_t done, int64_t total, void *user);

/** Writes cfg->incidents incidents as an incident directory (labels.csv, incidents/NNNNNN.log) at dir,
 *  in parallel (OpenMP), built under dir.tmp-XXXXXX and renamed into place. Refuses (KP_ERR_INVALID)
 *  when dir exists and is not empty unless force, which replaces it only after success.
 *  progress may be NULL; stats may be NULL. */
kp_status kp_synth_write_dir(const kp_synth_config *cfg, const char *dir, bool force,
                             kp_synth_progress_fn progress, void *user, kp_synth_stats *stats);

#ifdef __cplusplus
}
#endif
#endif
