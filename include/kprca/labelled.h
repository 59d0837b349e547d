/* Labelled log lines: the CLX kernel.tsv form ("label<TAB>line", no header) or CSV with a
 * header (label and text columns), read into (label, text) arrays with their label set. */
#ifndef KPRCA_LABELLED_H
#define KPRCA_LABELLED_H
#include <stdint.h>
#include "kprca/status.h"
#ifdef __cplusplus
extern "C" {
#endif

typedef enum kp_labelled_format {
  KP_LABELLED_AUTO = 0, /* by extension: ".csv" is CSV, anything else TSV */
  KP_LABELLED_TSV,      /* label<TAB>line per line; the line is everything after the first TAB */
  KP_LABELLED_CSV       /* RFC 4180 CSV with a header row */
} kp_labelled_format;

typedef struct kp_labelled_options {
  kp_labelled_format format;
  const char *label_column;        /* CSV: label column name; NULL: "label" */
  const char *text_column;         /* CSV: text column name; NULL: "text", else "line" */
  const char *const *known_labels; /* when set, the label set is exactly these, in this order; others are errors */
  int32_t n_known;
} kp_labelled_options;

typedef struct kp_labelled {
  int64_t n;         /* items */
  char **text;       /* text[i]: the log line */
  int32_t *label;    /* label[i]: index into names */
  int64_t *lineno;   /* lineno[i]: line of the file where item i starts */
  int32_t nlabels;
  char **names;      /* the label set: sorted (numerically when all labels are integers) unless known_labels */
  char *store;       /* private: the texts */
} kp_labelled;

/** Reads path (opts may be NULL); errors name file:line and the problem (no TAB, empty or unknown label, missing column, no items). */
kp_status kp_labelled_load(const char *path, const kp_labelled_options *opts, kp_labelled **out);
/** Index of a label name in d->names, -1 when absent. */
int32_t kp_labelled_find(const kp_labelled *d, const char *name);
/** Frees d; NULL is ignored. */
void kp_labelled_free(kp_labelled *d);

#ifdef __cplusplus
}
#endif
#endif
