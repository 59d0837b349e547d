/* Time stamps of kernel logs, scanned by hand: "Mar  3 14:02:11", RFC 3339, "[ 12.345678]". */
#include <math.h>
#include <string.h>
#include "text/kernlog_int.h"

int64_t klog_days_from_civil(int y, int m, int d) {
  /* Shift the year so it starts in March; then leap days fall at the end of the shifted year. */
  int64_t yy = (int64_t)y - (m <= 2);
  int64_t era = (yy >= 0 ? yy : yy - 399) / 400;
  int64_t yoe = yy - era * 400;                            /* [0, 399] */
  int64_t mp = (m + 9) % 12;                               /* March = 0 */
  int64_t doy = (153 * mp + 2) / 5 + d - 1;                /* [0, 365] */
  int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;     /* [0, 146096] */
  return era * 146097 + doe - 719468;                      /* 719468: 0000-03-01 .. 1970-01-01 */
}

int klog_month3(const char *p) {
  switch (p[0]) {
    case 'J':
      if (p[1] == 'a' && p[2] == 'n') return 1;
      if (p[1] == 'u' && p[2] == 'n') return 6;
      if (p[1] == 'u' && p[2] == 'l') return 7;
      return 0;
    case 'F': return p[1] == 'e' && p[2] == 'b' ? 2 : 0;
    case 'M':
      if (p[1] == 'a' && p[2] == 'r') return 3;
      if (p[1] == 'a' && p[2] == 'y') return 5;
      return 0;
    case 'A':
      if (p[1] == 'p' && p[2] == 'r') return 4;
      if (p[1] == 'u' && p[2] == 'g') return 8;
      return 0;
    case 'S': return p[1] == 'e' && p[2] == 'p' ? 9 : 0;
    case 'O': return p[1] == 'c' && p[2] == 't' ? 10 : 0;
    case 'N': return p[1] == 'o' && p[2] == 'v' ? 11 : 0;
    case 'D': return p[1] == 'e' && p[2] == 'c' ? 12 : 0;
    default: return 0;
  }
}

static inline bool dig(char c) { return c >= '0' && c <= '9'; }

/* Exactly k digits at p (inside [p, e)); -1 when not. */
static int fixed(const char *p, const char *e, int k) {
  if (e - p < k) return -1;
  int v = 0;
  for (int i = 0; i < k; i++) {
    if (!dig(p[i])) return -1;
    v = v * 10 + (p[i] - '0');
  }
  return v;
}

/* Digits after a decimal point: their value as a fraction; *q moves past them. */
static double fraction(const char **q, const char *e) {
  const char *p = *q;
  double v = 0, scale = 1;
  while (p < e && dig(*p)) {
    if (scale > 1e-12) {
      scale *= 0.1;
      v += (*p - '0') * scale;
    }
    p++;
  }
  *q = p;
  return v;
}

const char *klog_uptime(const char *p, const char *e, double *up) {
  if (p >= e || *p != '[') return NULL;
  p++;
  while (p < e && *p == ' ') p++;
  if (p >= e || !dig(*p)) return NULL;
  double v = 0;
  int nd = 0;
  while (p < e && dig(*p)) {
    v = v * 10 + (*p++ - '0');
    if (++nd > 12) return NULL;
  }
  if (p >= e || *p != '.') return NULL;
  p++;
  if (p >= e || !dig(*p)) return NULL;
  v += fraction(&p, e);
  if (p >= e || *p != ']') return NULL;
  *up = v;
  return p + 1;
}

/* Clock "hh:mm:ss" at p; seconds of the day or -1. */
static int clock_hms(const char *p, const char *e) {
  int h = fixed(p, e, 2), m = fixed(p + 3, e, 2), s = fixed(p + 6, e, 2);
  if (h < 0 || m < 0 || s < 0 || p[2] != ':' || p[5] != ':' || h > 23 || m > 59 || s > 60) return -1;
  return h * 3600 + m * 60 + s;
}

const char *klog_iso_time(const char *p, const char *e, int utc_offset_min, double *t) {
  if (e - p < 19) return NULL;
  int y = fixed(p, e, 4), mo = fixed(p + 5, e, 2), d = fixed(p + 8, e, 2);
  if (y < 0 || mo < 1 || mo > 12 || d < 1 || d > 31 || p[4] != '-' || p[7] != '-') return NULL;
  if (p[10] != 'T' && p[10] != ' ') return NULL;
  int sec = clock_hms(p + 11, e);
  if (sec < 0) return NULL;
  const char *q = p + 19;
  double frac = 0;
  if (q < e && (*q == '.' || *q == ',') && q + 1 < e && dig(q[1])) {
    q++;
    frac = fraction(&q, e);
  }
  int off_min = utc_offset_min;
  if (q < e && *q == 'Z') {
    off_min = 0;
    q++;
  } else if (q < e && (*q == '+' || *q == '-')) {
    int sign = *q == '-' ? -1 : 1;
    int oh = fixed(q + 1, e, 2);
    if (oh < 0 || oh > 23) return NULL;
    const char *r = q + 3;
    int om = 0;
    if (r < e && *r == ':') r++;
    if (r < e && dig(*r)) {
      om = fixed(r, e, 2);
      if (om < 0 || om > 59) return NULL;
      r += 2;
    }
    off_min = sign * (oh * 60 + om);
    q = r;
  }
  *t = (double)(klog_days_from_civil(y, mo, d) * 86400 + sec - (int64_t)off_min * 60) + frac;
  return q;
}
