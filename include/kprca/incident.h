/* Incident directories (docs/datasets.md): DIR/labels.csv lists one kernel log per incident with
 * its root-cause label and optional root-cause and panic line numbers. Opening validates all of
 * it; reading an incident gives its parsed records and per-line root-cause flags. */
#ifndef KPRCA_INCIDENT_H
#define KPRCA_INCIDENT_H
#include <stdint.h>
#include "kprca/kernlog.h"
#include "kprca/status.h"
#ifdef __cplusplus
extern "C" {
#endif

typedef struct kp_incident {
  char *file;          /* path relative to the directory, as written in labels.csv */
  char *path;          /* the directory joined with file */
  int32_t label;       /* index into kp_incident_dir.labels */
  int64_t *root_lines; /* sorted distinct 1-based root-cause line numbers (NULL when none) */
  int32_t n_root;
  int64_t panic_line;  /* 1-based panic line, 0 when none */
  int64_t nlines;      /* lines in the file, -1 when not counted (no line numbers given) */
  int64_t csv_line;    /* line of labels.csv that lists the incident */
} kp_incident;

typedef struct kp_incident_dir {
  char *dir;            /* as given */
  int64_t n;            /* incidents, in labels.csv order */
  kp_incident *items;
  int32_t nlabels;
  char **labels;        /* the label set: sorted (numerically when all are integers) unless known_labels */
  kp_klog_options log;  /* how incident logs are parsed */
} kp_incident_dir;

typedef struct kp_incident_options {
  const char *const *known_labels; /* when set, the label set is exactly these, in this order; others are errors */
  int32_t n_known;
  kp_klog_options log;             /* format etc. of the incident logs (zero: detect per file) */
} kp_incident_options;

/* One incident read from disk. */
typedef struct kp_incident_log {
  const kp_incident *inc;
  kp_klog_log *log;   /* log->rec[i] is line i + 1 */
  uint8_t *root;      /* root[i] = 1 when line i + 1 carries root-cause evidence */
  int64_t panic;      /* record index of the panic line, -1 when none */
} kp_incident_log;

/** Reads and validates DIR/labels.csv (opts may be NULL); errors read "DIR/labels.csv:LINE: problem" (plus a count of further problems). */
kp_status kp_incident_open(const char *dir, const kp_incident_options *opts, kp_incident_dir **out);
/** Parses incident i into out (release with kp_incident_log_clear). */
kp_status kp_incident_read(const kp_incident_dir *d, int64_t i, kp_incident_log *out);
/** Frees what kp_incident_read put in l and zeroes it. */
void kp_incident_log_clear(kp_incident_log *l);
/** Frees d; NULL is ignored. */
void kp_incident_dir_free(kp_incident_dir *d);

#ifdef __cplusplus
}
#endif
#endif
