/* Relative line times of an incident and its reference (panic) line. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "kprca/incident_window.h"

static double clock_of(const kp_klog_record *r, bool wall) { return wall ? r->time : r->uptime; }

kp_status kp_incident_times_get(const kp_incident_log *l, kp_incident_times *t) {
  memset(t, 0, sizeof *t);
  t->start = NAN;
  const kp_klog_log *log = l->log;
  int64_t n = log->n;
  t->n = n;
  t->rel = calloc((size_t)(n ? n : 1), sizeof *t->rel);
  if (!t->rel) return kp_fail(KP_ERR_NOMEM, "%s: out of memory", log->name);
  if (n == 0) return KP_OK;
  /* the reference: the panic line, else the last line with a wall-clock time or an uptime */
  int64_t ref = l->panic;
  if (ref < 0) {
    for (ref = n - 1; ref > 0; ref--)
      if (!isnan(log->rec[ref].time) || !isnan(log->rec[ref].uptime)) break;
  }
  t->ref = ref;
  const kp_klog_record *rr = &log->rec[ref];
  bool wall = !isnan(rr->time);
  if (!wall && isnan(rr->uptime)) { /* the reference has no time: take the clock most lines have */
    int64_t nw = 0, nu = 0;
    for (int64_t i = 0; i < n; i++) nw += !isnan(log->rec[i].time), nu += !isnan(log->rec[i].uptime);
    if (nw == 0 && nu == 0) return KP_OK; /* no times at all: every rel is 0 */
    wall = nw >= nu;
  }
  t->wall = wall;
  /* absolute clock per line, gaps filled forward, the head filled back from the first timed line */
  double last = NAN;
  int64_t first = -1;
  for (int64_t i = 0; i < n; i++) {
    double c = clock_of(&log->rec[i], wall);
    if (!isnan(c)) {
      last = c;
      if (first < 0) first = i;
    }
    t->rel[i] = last;
  }
  if (first < 0) { /* this clock is absent everywhere (cannot happen: chosen because present) */
    memset(t->rel, 0, sizeof *t->rel * (size_t)n);
    return KP_OK;
  }
  for (int64_t i = 0; i < first; i++) t->rel[i] = t->rel[first];
  t->start = t->rel[first];
  double r0 = t->rel[ref];
  for (int64_t i = 0; i < n; i++) t->rel[i] -= r0;
  return KP_OK;
}

void kp_incident_times_free(kp_incident_times *t) {
  if (!t) return;
  free(t->rel);
  memset(t, 0, sizeof *t);
}

kp_status kp_incident_load_timed(const kp_incident_dir *d, int64_t i, kp_incident_log *l, kp_incident_times *t) {
  memset(t, 0, sizeof *t);
  KP_TRY(kp_incident_read(d, i, l));
  int64_t events = 0;
  for (int64_t k = 0; k < l->log->n && !events; k++) events += kp_incident_is_event(&l->log->rec[k]);
  kp_status s = KP_OK;
  if (!events)
    s = kp_fail(KP_ERR_FORMAT, "%s: empty incident log (no lines with text; listed at %s/labels.csv:%lld)",
                d->items[i].path, d->dir, (long long)d->items[i].csv_line);
  if (s == KP_OK) s = kp_incident_times_get(l, t);
  if (s != KP_OK) kp_incident_log_clear(l);
  return s;
}
