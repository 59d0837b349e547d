/* The time window of an incident: every line's time relative to the reference line (the panic
 * line, else the last line that carries a time), so that builders can keep the lines of the last
 * N seconds before the failure, where its evidence is. */
#ifndef KPRCA_INCIDENT_WINDOW_H
#define KPRCA_INCIDENT_WINDOW_H
#include <stdbool.h>
#include <stdint.h>
#include "kprca/incident.h"
#ifdef __cplusplus
extern "C" {
#endif

typedef struct kp_incident_times {
  int64_t n;      /* records of the log */
  int64_t ref;    /* the reference record: the panic line, else the last record with a time, else n - 1 */
  double *rel;    /* [n] seconds relative to the reference (negative before it); a line without a time takes
                     the previous timed line's (the next one's before the first); all 0 when no line has one */
  double start;   /* absolute time of the first timed line (wall clock, else uptime); NaN when none */
  bool wall;      /* the times are wall-clock times (else uptimes, else none) */
} kp_incident_times;

/** Times of l's lines relative to its reference line. The clock is the wall clock when the reference
 *  line has one, else the uptime stamp; release with kp_incident_times_free. */
kp_status kp_incident_times_get(const kp_incident_log *l, kp_incident_times *t);
/** kp_incident_read of incident i, then its times; a log without an event line (only empty lines, or
 *  none) is an error naming the file. Release with kp_incident_log_clear and kp_incident_times_free. */
kp_status kp_incident_load_timed(const kp_incident_dir *d, int64_t i, kp_incident_log *l, kp_incident_times *t);
/** Frees t's array and zeroes it; NULL is fine. */
void kp_incident_times_free(kp_incident_times *t);

/** Whether record i lies in the window of the last window_s seconds before the reference line (lines
 *  after it included); window_s <= 0 keeps every line. */
static inline bool kp_incident_in_window(const kp_incident_times *t, int64_t i, double window_s) {
  return window_s <= 0 || t->rel[i] >= -window_s;
}

/** Whether a record is a log event for dataset building: not empty, not a journal marker. */
static inline bool kp_incident_is_event(const kp_klog_record *r) {
  return !(r->flags & (KP_KLOG_EMPTY | KP_KLOG_META));
}

#ifdef __cplusplus
}
#endif
#endif
