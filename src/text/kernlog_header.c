/* Line headers of syslog/journalctl-short and dmesg/console output, scanned by hand (no regex). */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "text/kernlog_int.h"

static inline bool dig(char c) { return c >= '0' && c <= '9'; }

char *klog_scratch_put(klog_scratch *s, const char *p, size_t n) {
  if (s->used + n + 1 > s->cap) {
    /* Strings handed out earlier for this record must stay valid: callers reserve up front. */
    return NULL;
  }
  char *d = s->buf + s->used;
  memcpy(d, p, n);
  d[n] = 0;
  s->used += n + 1;
  return d;
}

/* Year of a year-less stamp in month mon: see kp_klog_options.year for the rule. */
static int year_for(kp_klog_parser *p, int mon) {
  if (p->year == 0) {
    if (p->opt.year > 0) {
      p->year = p->opt.year;
    } else {
      time_t now = time(NULL);
      struct tm tm;
      gmtime_r(&now, &tm);
      p->year = tm.tm_year + 1900 - (mon > tm.tm_mon + 1);
    }
    p->prev_month = mon;
    return p->year;
  }
  if (mon + 6 < p->prev_month) { /* Dec -> Jan: a new year */
    p->year++;
    p->prev_month = mon;
    return p->year;
  }
  if (mon > p->prev_month + 6) return p->year - 1; /* a late line from the old year */
  p->prev_month = mon;
  return p->year;
}

/* "Mar  3 14:02:11[.123456]" (day space- or zero-padded); returns the byte after it or NULL. */
static const char *bsd_time(kp_klog_parser *p, const char *s, const char *e, double *t) {
  if (e - s < 15) return NULL;
  int mon = klog_month3(s);
  if (!mon || s[3] != ' ') return NULL;
  const char *q = s + 4;
  if (*q == ' ') q++;
  int day = 0, nd = 0;
  while (q < e && dig(*q) && nd < 2) day = day * 10 + (*q++ - '0'), nd++;
  if (!nd || day < 1 || day > 31 || q >= e || *q != ' ') return NULL;
  q++;
  if (e - q < 8) return NULL;
  int h = (q[0] - '0') * 10 + (q[1] - '0'), m = (q[3] - '0') * 10 + (q[4] - '0'),
      sec = (q[6] - '0') * 10 + (q[7] - '0');
  if (!dig(q[0]) || !dig(q[1]) || q[2] != ':' || !dig(q[3]) || !dig(q[4]) || q[5] != ':' ||
      !dig(q[6]) || !dig(q[7]) || h > 23 || m > 59 || sec > 60)
    return NULL;
  q += 8;
  double frac = 0, scale = 1;
  if (q + 1 < e && *q == '.' && dig(q[1])) {
    q++;
    while (q < e && dig(*q)) {
      if (scale > 1e-9) scale *= 0.1, frac += (*q - '0') * scale;
      q++;
    }
  }
  int y = year_for(p, mon);
  *t = (double)(klog_days_from_civil(y, mon, day) * 86400 + h * 3600 + m * 60 + sec -
                (int64_t)p->opt.utc_offset_min * 60) + frac;
  return q;
}

/* "kernel: [  12.345678] msg": the uptime stamp of a kernel message, when present. */
static const char *kernel_uptime(const char *m, const char *e, double *up) {
  const char *q = klog_uptime(m, e, up);
  if (!q) return m;
  if (q < e && *q == ' ') q++;
  return q;
}

static bool is_kernel(const char *id, size_t n) { return n == 6 && memcmp(id, "kernel", 6) == 0; }

bool klog_parse_syslog(kp_klog_parser *p, const char *s, size_t n, kp_klog_record *rec) {
  const char *e = s + n, *q;
  double t;
  if (n >= 15 && klog_month3(s)) {
    q = bsd_time(p, s, e, &t);
  } else if (n >= 20 && dig(s[0]) && s[19] != ',') { /* ',' before the fraction: dmesg --time-format iso */
    q = klog_iso_time(s, e, p->opt.utc_offset_min, &t);
  } else {
    return false;
  }
  if (!q || q >= e || *q != ' ') return false;
  while (q < e && *q == ' ') q++;
  const char *h = q;
  while (q < e && *q != ' ') q++;
  const char *he = q;
  if (he == h) return false;
  const char *tag = h;
  if (he[-1] == ':') { /* no host: the first word is the tag */
    h = he = "";
  } else {
    while (q < e && *q == ' ') q++;
    tag = q;
  }
  const char *te = tag;
  while (te < e && *te != ' ') te++;
  const char *id = "", *ide = id, *msg = tag;
  int32_t pid = -1;
  if (te - tag >= 2 && te[-1] == ':') {
    id = tag;
    ide = te - 1;
    msg = te < e ? te + 1 : te;
    if (ide[-1] == ']') { /* ident[pid] */
      const char *b = ide - 1;
      while (b > id && b[-1] != '[') b--;
      if (b > id + 1 && b < ide - 1) {
        long v = 0;
        bool ok = true;
        for (const char *c = b; c < ide - 1; c++) ok = ok && dig(*c), v = v * 10 + (*c - '0');
        if (ok && v < 1L << 30) pid = (int32_t)v, ide = b - 1;
      }
    }
  }
  rec->time = t;
  rec->pid = pid;
  if (is_kernel(id, (size_t)(ide - id))) msg = kernel_uptime(msg, e, &rec->uptime);
  rec->host = klog_scratch_put(&p->s, h, (size_t)(he - h));
  rec->ident = klog_scratch_put(&p->s, id, (size_t)(ide - id));
  rec->msg = klog_scratch_put(&p->s, msg, (size_t)(e - msg));
  rec->msg_len = (size_t)(e - msg);
  return true;
}

static const char *const kFacilities[] = {"kern", "user", "mail", "daemon", "auth", "syslog", "lpr", "news",
                                          "uucp", "cron", "authpriv", "ftp", NULL};
static const char *const kLevels[] = {"emerg", "alert", "crit", "err", "warn", "notice", "info", "debug", NULL};

/* Index of the word [p, q) in a NULL-terminated list, or -1. */
static int word_index(const char *const *list, const char *p, const char *q) {
  for (int i = 0; list[i]; i++)
    if (strlen(list[i]) == (size_t)(q - p) && memcmp(list[i], p, (size_t)(q - p)) == 0) return i;
  return -1;
}

/* dmesg -x decoration "kern  :info  : ": sets facility and level, returns the byte after it. */
static const char *dmesg_x(const char *p, const char *e, int *fac, int *lvl) {
  const char *q = p;
  while (q < e && *q >= 'a' && *q <= 'z') q++;
  if (q == p || q - p > 8) return NULL;
  int f = word_index(kFacilities, p, q);
  if (f < 0 && q - p == 6 && memcmp(p, "local", 5) == 0 && p[5] >= '0' && p[5] <= '7') f = 16 + p[5] - '0';
  if (f < 0) return NULL;
  while (q < e && *q == ' ') q++;
  if (q >= e || *q != ':') return NULL;
  const char *l = ++q;
  while (q < e && *q >= 'a' && *q <= 'z') q++;
  int v = word_index(kLevels, l, q);
  if (v < 0) return NULL;
  while (q < e && *q == ' ') q++;
  if (q + 1 >= e || q[0] != ':' || q[1] != ' ') return NULL;
  *fac = f;
  *lvl = v;
  return q + 2;
}

/* dmesg -T "[Sun Mar  3 14:02:11 2024]": local time at the configured offset. */
static const char *human_stamp(const kp_klog_parser *p, const char *s, const char *e, double *t) {
  if (e - s < 26 || s[0] != '[' || s[4] != ' ') return NULL;
  int mon = klog_month3(s + 5);
  if (!mon || s[8] != ' ') return NULL;
  const char *q = s + 9;
  if (*q == ' ') q++;
  int day = 0, nd = 0;
  while (q < e && dig(*q) && nd < 2) day = day * 10 + (*q++ - '0'), nd++;
  if (!nd || day < 1 || day > 31 || e - q < 15 || *q != ' ') return NULL;
  q++;
  int h = (q[0] - '0') * 10 + (q[1] - '0'), m = (q[3] - '0') * 10 + (q[4] - '0'),
      sec = (q[6] - '0') * 10 + (q[7] - '0');
  if (!dig(q[0]) || !dig(q[1]) || q[2] != ':' || !dig(q[3]) || !dig(q[4]) || q[5] != ':' ||
      !dig(q[6]) || !dig(q[7]) || q[8] != ' ' || h > 23 || m > 59 || sec > 60)
    return NULL;
  q += 9;
  int y = 0, ny = 0;
  while (q < e && dig(*q) && ny < 4) y = y * 10 + (*q++ - '0'), ny++;
  if (ny != 4 || q >= e || *q != ']') return NULL;
  *t = (double)(klog_days_from_civil(y, mon, day) * 86400 + h * 3600 + m * 60 + sec -
                (int64_t)p->opt.utc_offset_min * 60);
  return q + 1;
}

bool klog_parse_dmesg(kp_klog_parser *p, const char *s, size_t n, kp_klog_record *rec) {
  const char *q = s, *e = s + n, *r;
  bool any = false;
  int fac = -1, lvl = -1;
  if (q < e && *q == '<') { /* "<6>" or "<14>": facility * 8 + level */
    int v = 0, nd = 0;
    r = q + 1;
    while (r < e && dig(*r) && nd < 3) v = v * 10 + (*r++ - '0'), nd++;
    if (nd && r < e && *r == '>' && v < 192) fac = v >> 3, lvl = v & 7, q = r + 1, any = true;
  } else if (q < e && *q >= 'a' && *q <= 'z' && (r = dmesg_x(q, e, &fac, &lvl))) {
    q = r;
    any = true;
  }
  double v;
  if (q < e && *q == '[') {
    if ((r = klog_uptime(q, e, &v))) {
      rec->uptime = v;
      q = r;
      any = true;
      /* CONFIG_PRINTK_CALLER: "[    T123]" or "[     C3]" right after the stamp */
      if (q < e && *q == '[') {
        r = q + 1;
        while (r < e && *r == ' ') r++;
        if (r < e && (*r == 'T' || *r == 'C') && r + 1 < e && dig(r[1])) {
          r++;
          while (r < e && dig(*r)) r++;
          if (r < e && *r == ']') q = r + 1;
        }
      }
    } else if ((r = human_stamp(p, q, e, &v))) {
      rec->time = v;
      q = r;
      any = true;
    }
  } else if (e - q >= 20 && dig(*q) && (r = klog_iso_time(q, e, p->opt.utc_offset_min, &v)) && r < e &&
             *r == ' ') { /* dmesg --time-format iso */
    rec->time = v;
    q = r;
    any = true;
  }
  if (any && q < e && *q == ' ') q++;
  rec->level = (int8_t)lvl;
  rec->facility = (int8_t)fac;
  rec->host = "";
  rec->ident = klog_scratch_put(&p->s, "kernel", 6);
  rec->msg = klog_scratch_put(&p->s, q, (size_t)(e - q));
  rec->msg_len = (size_t)(e - q);
  return any;
}
