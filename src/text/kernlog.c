/* Kernel-log parser: per-line dispatch to the format's header scanner, report flags, format
 * detection from sample lines, and format names. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "text/kernlog_int.h"

static const char *const kNames[] = {"auto", "syslog", "journal-short", "journal-json", "dmesg", "console"};

const char *kp_klog_format_name(kp_klog_format f) {
  return (unsigned)f < sizeof kNames / sizeof *kNames ? kNames[f] : "?";
}

kp_status kp_klog_format_parse(const char *name, kp_klog_format *out) {
  for (unsigned i = 0; i < sizeof kNames / sizeof *kNames; i++)
    if (name && strcmp(name, kNames[i]) == 0) {
      *out = (kp_klog_format)i;
      return KP_OK;
    }
  return kp_fail(KP_ERR_INVALID,
                 "unknown log format '%s' (known: auto, syslog, journal-short, journal-json, dmesg, console)",
                 name ? name : "");
}

kp_status kp_klog_parser_new(kp_klog_format format, const kp_klog_options *opts, kp_klog_parser **out) {
  *out = NULL;
  if (format <= KP_KLOG_AUTO || format > KP_KLOG_CONSOLE)
    return kp_fail(KP_ERR_INVALID, "kp_klog_parser_new: format must be a concrete format, not %s",
                   kp_klog_format_name(format));
  kp_klog_parser *p = calloc(1, sizeof *p);
  if (!p) return kp_fail(KP_ERR_NOMEM, "kp_klog_parser_new: out of memory");
  p->format = format;
  if (opts) p->opt = *opts;
  *out = p;
  return KP_OK;
}

void kp_klog_parser_free(kp_klog_parser *p) {
  if (!p) return;
  free(p->s.buf);
  free(p);
}

/* journalctl markers: "-- Logs begin at ... --", "-- Boot 0123abcd... --", "-- Reboot --", "-- No entries --" */
static bool journal_meta(const char *s, size_t n) {
  return n >= 6 && s[0] == '-' && s[1] == '-' && s[2] == ' ' && s[n - 1] == '-' && s[n - 2] == '-' && s[n - 3] == ' ';
}

/* Makes room for one record's strings (host, ident, message; JSON byte arrays may triple). */
static bool reserve(klog_scratch *s, size_t len) {
  size_t need = 4 * len + 64;
  s->used = 0;
  if (need <= s->cap) return true;
  char *b = realloc(s->buf, need);
  if (!b) return false;
  s->buf = b;
  s->cap = need;
  return true;
}

static void rec_init(kp_klog_record *rec, const char *line, size_t len, int64_t lineno) {
  rec->lineno = lineno;
  rec->time = NAN;
  rec->uptime = NAN;
  rec->host = rec->ident = "";
  rec->pid = -1;
  rec->level = rec->facility = -1;
  rec->flags = 0;
  rec->msg = line;
  rec->msg_len = len;
  rec->line = line;
  rec->line_len = len;
}

void kp_klog_parser_line(kp_klog_parser *p, const char *line, size_t len, int64_t lineno, kp_klog_record *rec) {
  rec_init(rec, line, len, lineno);
  size_t i = 0;
  while (i < len && (line[i] == ' ' || line[i] == '\t')) i++;
  if (i == len) {
    rec->flags = KP_KLOG_EMPTY;
    rec->msg = "";
    rec->msg_len = 0;
    return;
  }
  if (!reserve(&p->s, len)) { /* out of memory: keep the line unparsed rather than fail */
    rec->flags = KP_KLOG_UNMATCHED;
    rec->msg = "";
    rec->msg_len = 0;
    return;
  }
  bool ok = false;
  switch (p->format) {
    case KP_KLOG_SYSLOG:
    case KP_KLOG_JOURNAL_SHORT:
      if (journal_meta(line, len)) {
        rec->flags = KP_KLOG_META;
        rec->msg = klog_scratch_put(&p->s, line, len);
        return;
      }
      ok = klog_parse_syslog(p, line, len, rec);
      break;
    case KP_KLOG_JOURNAL_JSON: ok = klog_parse_json(p, line, len, rec); break;
    case KP_KLOG_DMESG: ok = klog_parse_dmesg(p, line, len, rec); break;
    case KP_KLOG_CONSOLE:
      klog_parse_dmesg(p, line, len, rec);
      ok = true;
      break;
    default: break;
  }
  if (!ok) {
    rec->time = rec->uptime = NAN;
    rec->host = rec->ident = "";
    rec->pid = -1;
    rec->level = rec->facility = -1;
    p->s.used = 0; /* whatever the header scanner copied is not needed */
    rec->msg = klog_scratch_put(&p->s, line, len);
    rec->msg_len = len;
    rec->flags = KP_KLOG_UNMATCHED;
    /* A header-less line still continues a report when its shape says so (a trace pasted raw). */
    bool probe = p->in_report;
    uint32_t f = klog_report_step(&probe, line, len);
    if (f == KP_KLOG_CONT) rec->flags |= KP_KLOG_CONT;
    return;
  }
  if (rec->ident[0] == 0 || strcmp(rec->ident, "kernel") == 0)
    rec->flags |= klog_report_step(&p->in_report, rec->msg, rec->msg_len);
}

kp_klog_format kp_klog_detect(const char *const *lines, const size_t *lens, int n) {
  kp_klog_options o = {0};
  o.year = 2000; /* detection must not depend on the clock */
  kp_klog_parser p = {.format = KP_KLOG_SYSLOG, .opt = o};
  int votes[KP_KLOG_CONSOLE + 1] = {0}, journal_hint = 0, total = 0;
  kp_klog_record rec;
  for (int i = 0; i < n; i++) {
    const char *s = lines[i];
    size_t len = lens[i];
    while (len && (*s == ' ' || *s == '\t')) s++, len--;
    if (!len) continue;
    total++;
    if (!reserve(&p.s, len)) break;
    rec_init(&rec, s, len, i + 1);
    if (journal_meta(s, len)) {
      journal_hint++;
      votes[KP_KLOG_SYSLOG]++;
      continue;
    }
    if (s[0] == '{' && klog_parse_json(&p, s, len, &rec)) {
      votes[KP_KLOG_JOURNAL_JSON]++;
      continue;
    }
    p.s.used = 0;
    if (klog_parse_syslog(&p, s, len, &rec) && rec.ident[0]) {
      votes[KP_KLOG_SYSLOG]++;
      /* journalctl pads the day with a zero ("Mar 03") and writes "+0000" zones in short-iso */
      if ((klog_month3(s) && s[4] == '0') || (len > 24 && s[4] == '-' && (s[19] == '+' || s[19] == '-') && s[22] != ':'))
        journal_hint++;
      continue;
    }
    p.s.used = 0;
    if (klog_parse_dmesg(&p, s, len, &rec)) votes[KP_KLOG_DMESG]++;
  }
  free(p.s.buf);
  if (total == 0) return KP_KLOG_CONSOLE;
  kp_klog_format best = KP_KLOG_CONSOLE;
  int bv = 0;
  for (int f = KP_KLOG_SYSLOG; f <= KP_KLOG_DMESG; f++)
    if (votes[f] > bv) bv = votes[f], best = (kp_klog_format)f;
  if (2 * bv < total) return KP_KLOG_CONSOLE; /* no header shape on most lines */
  if (best == KP_KLOG_SYSLOG && journal_hint) return KP_KLOG_JOURNAL_SHORT;
  return best;
}

const char *kp_klog_stats_summary(const char *name, kp_klog_format f, const kp_klog_stats *s, char *buf, size_t cap) {
  size_t o = 0;
#define KP_APPEND(...)                                                   \
  do {                                                                   \
    int k_ = snprintf(buf + o, o < cap ? cap - o : 0, __VA_ARGS__);      \
    if (k_ > 0) o += (size_t)k_;                                         \
  } while (0)
  if (!cap) return buf;
  KP_APPEND("%s: %s, %lld lines", name, kp_klog_format_name(f), (long long)s->lines);
  if (s->unmatched)
    KP_APPEND(", %lld unmatched (first at line %lld)", (long long)s->unmatched, (long long)s->first_unmatched);
  if (s->binary) KP_APPEND(", %lld binary", (long long)s->binary);
  if (s->repaired) KP_APPEND(", %lld with invalid UTF-8 or NUL bytes", (long long)s->repaired);
  if (s->empty) KP_APPEND(", %lld empty", (long long)s->empty);
  if (s->heads) KP_APPEND(", %lld reports (%lld continuation lines)", (long long)s->heads, (long long)s->cont);
#undef KP_APPEND
  return buf;
}
