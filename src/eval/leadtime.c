/* Failure prediction with lead time (definitions in docs/metrics.md). Each failing stream is one
 * positive: TP when its first alarm in the anomalous region comes before the failure, TP_LATE when
 * at or after it, FN when the region has no alarm. Each benign stretch (a benign stream, or the
 * windows of a failing stream before its region) is one negative: FP with an alarm, TN without. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "kprca/leadtime.h"

static double ratio(double a, double b) { return b != 0 ? a / b : 0.0; }

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

static int cmp_double_desc(const void *a, const void *b) { return cmp_double(b, a); }

/* Names stream i in messages: its name, or "stream <i>". */
static const char *stream_name(const kp_lt_stream *s, int64_t i, char *buf, size_t n) {
  if (s->name && *s->name) return s->name;
  snprintf(buf, n, "stream %lld", (long long)i);
  return buf;
}

static kp_status check_stream(const kp_lt_stream *s, int64_t i) {
  char nb[40];
  const char *name = stream_name(s, i, nb, sizeof nb);
  if (s->n < 0) return kp_fail(KP_ERR_INVALID, "leadtime: %s: negative window count %lld", name, (long long)s->n);
  if (s->n > 0 && (!s->time || !s->score)) return kp_fail(KP_ERR_INVALID, "leadtime: %s: times or scores are NULL", name);
  for (int64_t w = 0; w < s->n; w++) {
    if (!isfinite(s->time[w]))
      return kp_fail(KP_ERR_INVALID, "leadtime: %s: window %lld has a non-finite end time", name, (long long)w);
    if (w > 0 && s->time[w] < s->time[w - 1])
      return kp_fail(KP_ERR_INVALID, "leadtime: %s: window %lld ends at %.17g, before window %lld (%.17g): times must not decrease",
                     name, (long long)w, s->time[w], (long long)(w - 1), s->time[w - 1]);
    if (isnan(s->score[w])) return kp_fail(KP_ERR_INVALID, "leadtime: %s: window %lld has a NaN score", name, (long long)w);
  }
  if (isnan(s->failure_time)) return KP_OK; /* benign */
  if (!isfinite(s->failure_time)) return kp_fail(KP_ERR_INVALID, "leadtime: %s: failure time is infinite", name);
  if (!isfinite(s->region_start))
    return kp_fail(KP_ERR_INVALID, "leadtime: %s: a failing stream needs a finite anomalous region start", name);
  if (s->region_start > s->failure_time)
    return kp_fail(KP_ERR_INVALID, "leadtime: %s: anomalous region starts at %.17g, after the failure at %.17g", name,
                   s->region_start, s->failure_time);
  return KP_OK;
}

void kp_lt_result_free(kp_lt_result *r) {
  if (!r) return;
  free(r->lead);
  free(r->lead_stream);
  memset(r, 0, sizeof *r);
}

/* Counts one benign stretch: windows [a, b) of s. */
static void benign_stretch(const kp_lt_stream *s, int64_t a, int64_t b, double thr, kp_lt_result *r) {
  if (a >= b) return; /* no windows: no stretch */
  int64_t alarms = 0;
  for (int64_t w = a; w < b; w++) alarms += s->score[w] >= thr;
  r->benign_windows += b - a;
  r->false_alarm_windows += alarms;
  if (alarms) r->fp++;
  else r->tn++;
}

static void rates(kp_lt_result *r) {
  int64_t tp[2] = {r->tp + r->tp_late, r->tp}, fn[2] = {r->fn, r->fn + r->tp_late};
  for (int c = 0; c < 2; c++) {
    r->precision[c] = ratio((double)tp[c], (double)(tp[c] + r->fp));
    r->recall[c] = ratio((double)tp[c], (double)(tp[c] + fn[c]));
    r->f1[c] = ratio(2.0 * (double)tp[c], (double)(2 * tp[c] + r->fp + fn[c]));
  }
}

static kp_status lead_stats(kp_lt_result *r) {
  r->lead_min = r->lead_median = r->lead_mean = r->lead_max = NAN;
  if (r->n_lead == 0) return KP_OK;
  double *v = malloc((size_t)r->n_lead * sizeof *v);
  if (!v) return kp_fail(KP_ERR_NOMEM, "leadtime: out of memory");
  memcpy(v, r->lead, (size_t)r->n_lead * sizeof *v);
  qsort(v, (size_t)r->n_lead, sizeof *v, cmp_double);
  int64_t n = r->n_lead;
  double sum = 0;
  for (int64_t i = 0; i < n; i++) sum += v[i];
  r->lead_min = v[0], r->lead_max = v[n - 1], r->lead_mean = sum / (double)n;
  r->lead_median = n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
  free(v);
  return KP_OK;
}

kp_status kp_leadtime_score(const kp_lt_stream *s, int64_t ns, double threshold, kp_lt_result *r) {
  if (!r) return kp_fail(KP_ERR_INVALID, "leadtime: output is NULL");
  memset(r, 0, sizeof *r);
  if (ns < 0 || (ns > 0 && !s)) return kp_fail(KP_ERR_INVALID, "leadtime: %lld streams at %p", (long long)ns, (const void *)s);
  if (isnan(threshold)) return kp_fail(KP_ERR_INVALID, "leadtime: the threshold is NaN");
  int64_t failing = 0;
  for (int64_t i = 0; i < ns; i++) {
    KP_TRY(check_stream(&s[i], i));
    failing += !isnan(s[i].failure_time);
  }
  r->threshold = threshold;
  if (failing) {
    r->lead = malloc((size_t)failing * sizeof *r->lead);
    r->lead_stream = malloc((size_t)failing * sizeof *r->lead_stream);
    if (!r->lead || !r->lead_stream) {
      kp_lt_result_free(r);
      return kp_fail(KP_ERR_NOMEM, "leadtime: out of memory for %lld failing streams", (long long)failing);
    }
  }
  for (int64_t i = 0; i < ns; i++) {
    const kp_lt_stream *st = &s[i];
    if (isnan(st->failure_time)) {
      benign_stretch(st, 0, st->n, threshold, r);
      continue;
    }
    int64_t w = 0;
    while (w < st->n && st->time[w] < st->region_start) w++;
    benign_stretch(st, 0, w, threshold, r);
    while (w < st->n && st->score[w] < threshold) w++; /* first alarm in the region */
    if (w == st->n) r->fn++;
    else if (st->time[w] < st->failure_time) {
      r->tp++;
      r->lead[r->n_lead] = st->failure_time - st->time[w];
      r->lead_stream[r->n_lead++] = i;
    } else r->tp_late++;
  }
  rates(r);
  kp_status st = lead_stats(r);
  if (st != KP_OK) kp_lt_result_free(r);
  return st;
}

kp_status kp_leadtime_thresholds(const kp_lt_stream *s, int64_t ns, double **thr, int64_t *nt) {
  if (!thr || !nt) return kp_fail(KP_ERR_INVALID, "leadtime: output is NULL");
  *thr = NULL, *nt = 0;
  if (ns < 0 || (ns > 0 && !s)) return kp_fail(KP_ERR_INVALID, "leadtime: %lld streams at %p", (long long)ns, (const void *)s);
  for (int64_t i = 0; i < ns; i++) KP_TRY(check_stream(&s[i], i));
  /* At most three stretches per stream: benign/pre-region, region before the failure, region after. */
  double *v = malloc((size_t)(3 * ns + 1) * sizeof *v);
  if (!v) return kp_fail(KP_ERR_NOMEM, "leadtime: out of memory");
  int64_t k = 0;
  for (int64_t i = 0; i < ns; i++) {
    const kp_lt_stream *st = &s[i];
    int failing = !isnan(st->failure_time);
    double mx[3] = {-INFINITY, -INFINITY, -INFINITY};
    int seen[3] = {0, 0, 0};
    for (int64_t w = 0; w < st->n; w++) {
      int part = !failing || st->time[w] < st->region_start ? 0 : st->time[w] < st->failure_time ? 1 : 2;
      if (!seen[part] || st->score[w] > mx[part]) mx[part] = st->score[w];
      seen[part] = 1;
    }
    for (int p = 0; p < 3; p++)
      if (seen[p]) v[k++] = mx[p];
  }
  qsort(v, (size_t)k, sizeof *v, cmp_double_desc);
  int64_t m = 0;
  for (int64_t j = 0; j < k; j++) /* distinct, in place (m <= j) */
    if (m == 0 || v[j] != v[m - 1]) v[m++] = v[j];
  if (m == 0) {
    free(v);
    return KP_OK;
  }
  *thr = v, *nt = m;
  return KP_OK;
}

kp_status kp_leadtime_sweep(const kp_lt_stream *s, int64_t ns, const double *thr, int64_t nt, kp_lt_result *rows) {
  if (nt < 0 || (nt > 0 && (!thr || !rows))) return kp_fail(KP_ERR_INVALID, "leadtime: sweep over %lld thresholds", (long long)nt);
  for (int64_t j = 0; j < nt; j++) {
    kp_status st = kp_leadtime_score(s, ns, thr[j], &rows[j]);
    if (st != KP_OK) {
      for (int64_t q = 0; q < j; q++) kp_lt_result_free(&rows[q]);
      return kp_fail_context(st, "threshold %lld (%.17g)", (long long)j, thr[j]);
    }
  }
  return KP_OK;
}
