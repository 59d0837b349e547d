/* Failure prediction with lead time: per-window scores of one or more streams (hosts, incidents)
 * against each stream's failure time. Counts TP, TP_LATE, FN over failing streams and FP, TN over
 * benign stretches, under two criteria (an alarm anywhere in the anomalous region counts, or only
 * one before the failure), the lead times of timely detections, and a threshold sweep.
 * Definitions: docs/metrics.md, "Failure prediction with lead time". */
#ifndef KPRCA_LEADTIME_H
#define KPRCA_LEADTIME_H
#include <stdint.h>
#include "kprca/status.h"
#ifdef __cplusplus
extern "C" {
#endif

/* One stream: windows in time order, each with its end time and score. */
typedef struct kp_lt_stream {
  const char *name;     /* for messages (NULL: the stream's index) */
  const double *time;   /* [n] window end times, finite, non-decreasing */
  const double *score;  /* [n] window scores, not NaN; a window with score >= threshold is an alarm */
  int64_t n;
  double failure_time;  /* NaN: a benign stream (no failure) */
  double region_start;  /* failing streams: where the anomalous region begins, <= failure_time */
} kp_lt_stream;

/* Criterion 1 counts an alarm anywhere in the anomalous region; criterion 2 only one before the failure. */
enum { KP_LT_REGION = 0, KP_LT_BEFORE = 1 };

typedef struct kp_lt_result {
  double threshold;
  int64_t tp;       /* failing streams with an alarm in [region_start, failure_time) */
  int64_t tp_late;  /* failing streams whose first alarm in the region is at or after failure_time */
  int64_t fn;       /* failing streams with no alarm in the region */
  int64_t fp;       /* benign stretches (benign streams, pre-region parts of failing streams) with an alarm */
  int64_t tn;       /* benign stretches without an alarm */
  int64_t benign_windows, false_alarm_windows; /* windows in benign stretches, and those of them that alarm */
  double precision[2], recall[2], f1[2];       /* [KP_LT_REGION], [KP_LT_BEFORE]; 0/0 gives 0 */
  /* Lead time (failure_time - first alarm time in the region) of each TP stream, in stream order. */
  int64_t n_lead;
  double *lead;         /* [n_lead] */
  int64_t *lead_stream; /* [n_lead] stream index */
  double lead_min, lead_median, lead_mean, lead_max; /* NaN when n_lead is 0 */
} kp_lt_result;

/** Scores ns streams at one threshold into r (which kp_lt_result_free releases); a bad stream (unsorted or
 *  non-finite times, a NaN score, region_start after failure_time or not finite) is an error naming it. */
kp_status kp_leadtime_score(const kp_lt_stream *s, int64_t ns, double threshold, kp_lt_result *r);
/** Frees r's arrays and zeroes it; NULL is fine. */
void kp_lt_result_free(kp_lt_result *r);
/** The thresholds at which some count changes (each stretch's highest score), descending, distinct;
 *  malloc'd into *thr (NULL when *nt is 0). */
kp_status kp_leadtime_thresholds(const kp_lt_stream *s, int64_t ns, double **thr, int64_t *nt);
/** kp_leadtime_score at each of nt thresholds into rows[nt] (free each with kp_lt_result_free). */
kp_status kp_leadtime_sweep(const kp_lt_stream *s, int64_t ns, const double *thr, int64_t nt, kp_lt_result *rows);

#ifdef __cplusplus
}
#endif
#endif
