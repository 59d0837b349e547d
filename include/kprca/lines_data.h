/* Line datasets in HDF5 (format "kprca.lines", version 1; docs/datasets.md "HDF5 datasets"):
 * one row per log line with its text, class label, incident id and split, plus class names.
 * The line classifier trains on these. Validated on load and on save. */
#ifndef KPRCA_LINES_DATA_H
#define KPRCA_LINES_DATA_H
#include <stdint.h>
#include "kprca/h5.h"
#ifdef __cplusplus
extern "C" {
#endif

#define KP_LINES_FORMAT "kprca.lines"
#define KP_LINES_VERSION 1

/* A line dataset in host memory; all arrays hold n entries and are released by kp_lines_data_free. */
typedef struct kp_lines_data {
  int64_t n;
  kp_strings text;        /* the lines, UTF-8 (text.n == n) */
  int32_t *label;         /* class in [0, C) */
  int32_t *incident;      /* incident id >= 0, or -1 for a line from no incident (e.g. a TSV corpus) */
  int8_t *split;          /* 0 train, 1 val, 2 test */
  kp_strings label_names; /* C >= 1 class names, non-empty and distinct */
} kp_lines_data;

/** Checks sizes and value ranges; errors begin with where and name the field and the row. */
kp_status kp_lines_data_validate(const kp_lines_data *d, const char *where);
/** Loads and validates path; on failure *d is left empty. */
kp_status kp_lines_data_load(const char *path, kp_lines_data *d);
/** Validates d and writes it atomically to path. */
kp_status kp_lines_data_save(const char *path, const kp_lines_data *d);
/** Frees everything and clears d; NULL is fine. */
void kp_lines_data_free(kp_lines_data *d);

#ifdef __cplusplus
}
#endif
#endif
