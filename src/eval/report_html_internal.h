/* Shared between the report writer's files (src/eval/report_html*.c). */
#ifndef KPRCA_EVAL_REPORT_HTML_INTERNAL_H
#define KPRCA_EVAL_REPORT_HTML_INTERNAL_H
#include <stddef.h>
#include "eval/svg_internal.h"
#include "kprca/report_html.h"
#ifdef __cplusplus
extern "C" {
#endif

/** Adds a note (printf-style) to run->notes. */
void kp_run_note(kp_run *run, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/** dir/name read whole and NUL-terminated (malloc'd), or NULL with *err = errno. */
char *kp_run_read_file(const char *dir, const char *name, size_t *len, int *err);
/** Reads predictions.csv's positive-class scores into the binary splits of run (notes for what is missing). */
void kp_run_load_predictions(kp_run *run);

/* A curve through the distinct score thresholds, highest first: ROC (x = false positive rate, y = true positive
 * rate, from (0, 0)) or PR (x = recall, y = precision, from (0, 1)). */
typedef struct kp_curve {
  double *x, *y;
  int64_t n;
} kp_curve;
/** Fills roc and pr from n scores and 1/0 labels; false when a class is absent or memory ran out. */
bool kp_binary_curves(const float *score, const int32_t *y, int64_t n, kp_curve *roc, kp_curve *pr);
/** Frees a curve's arrays. */
void kp_curve_free(kp_curve *c);

/** The page head (title escaped, inline CSS) and the opening <body>. */
void kp_html_head(kp_sbuf *b, const char *title);
/** A number cell's text: v with 4 decimals, "-" when NaN. */
const char *kp_html_num(char *buf, size_t n, double v);

#ifdef __cplusplus
}
#endif
#endif
