/* Private pieces of the kernel-log parser shared by src/text/kernlog*.c. */
#ifndef KPRCA_TEXT_KERNLOG_INT_H
#define KPRCA_TEXT_KERNLOG_INT_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "kprca/kernlog.h"
#ifdef __cplusplus
extern "C" {
#endif

/* Scratch strings of one record: host, ident and message copied with their NULs. */
typedef struct klog_scratch {
  char *buf;
  size_t cap, used;
} klog_scratch;

struct kp_klog_parser {
  kp_klog_format format;
  kp_klog_options opt;
  klog_scratch s;
  int year;          /* current year for year-less stamps; 0 until the first stamp */
  int prev_month;    /* month of the previous year-less stamp (1..12), 0 when none yet */
  bool in_report;    /* inside a multi-line report */
};

/* Appends n bytes plus a NUL to the scratch; returns the copy (NULL when out of memory). */
char *klog_scratch_put(klog_scratch *s, const char *p, size_t n);

/* Days since 1970-01-01 of a proleptic Gregorian date. */
int64_t klog_days_from_civil(int y, int m, int d);
/* Month number 1..12 of a three-letter English abbreviation ("Mar"), 0 when it is none. */
int klog_month3(const char *p);
/* Parses "[  12.345678]" at p (end e): sets *up and returns the byte after ']', NULL if no stamp. */
const char *klog_uptime(const char *p, const char *e, double *up);
/* Parses an RFC 3339 / ISO 8601 stamp ("2024-03-03T14:02:11.123456+00:00", ',' or ' ' allowed as
 * separators, zone optional: then local at utc_offset_min); returns the byte after it or NULL. */
const char *klog_iso_time(const char *p, const char *e, int utc_offset_min, double *t);

/* Header parsers: fill rec (host, ident, pid, level, stamps, msg) and return true when the line
 * has the shape of the format; on false rec is left for the caller to fill as unmatched. */
bool klog_parse_syslog(kp_klog_parser *p, const char *s, size_t n, kp_klog_record *rec);
bool klog_parse_dmesg(kp_klog_parser *p, const char *s, size_t n, kp_klog_record *rec);
bool klog_parse_json(kp_klog_parser *p, const char *s, size_t n, kp_klog_record *rec);

/* Report state machine: returns KP_KLOG_HEAD, KP_KLOG_CONT or 0 for a kernel message. */
uint32_t klog_report_step(bool *in_report, const char *msg, size_t len);

#ifdef __cplusplus
}
#endif
#endif
