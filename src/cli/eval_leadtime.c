/* kprca-eval leadtime: failure prediction with lead time from a scores CSV and a failures CSV. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli/eval.h"
#include "kprca/csv.h"
#include "kprca/leadtime.h"

#define TOOL "kprca-eval leadtime"

static void usage(FILE *f) {
  fprintf(f,
          "usage: kprca-eval leadtime --scores S.csv --failures F.csv (--threshold T | --sweep)\n"
          "Scores failure prediction per stream (host, incident): TP (alarm before the failure), TP_LATE\n"
          "(first alarm in the anomalous region at or after it), FN, FP and TN (benign stretches), under\n"
          "two criteria (any alarm in the region; only an alarm before the failure), and lead times.\n"
          "  --scores    CSV with header stream,time,score: one row per window (time = window end),\n"
          "              each stream's rows in time order; an alarm is score >= threshold\n"
          "  --failures  CSV with header stream,failure_time,region_start: one row per stream; empty\n"
          "              failure_time = a benign stream; every stream of --scores must be listed\n"
          "  --threshold T  one threshold: counts, precision/recall/F1, lead-time distribution\n"
          "  --sweep        a table over every threshold at which a count changes\n"
          "Definitions: docs/metrics.md, \"Failure prediction with lead time\".\n");
}

typedef struct {
  char *name;
  double *time, *score;
  int64_t n, cap;
  double failure, region;
  int listed; /* has a --failures row */
} stream_buf;

typedef struct {
  stream_buf *s;
  int64_t n, cap, last;
} streams;

static stream_buf *find(streams *ss, const char *name, int create) {
  if (ss->last >= 0 && ss->last < ss->n && !strcmp(ss->s[ss->last].name, name)) return &ss->s[ss->last];
  for (int64_t i = 0; i < ss->n; i++)
    if (!strcmp(ss->s[i].name, name)) return &ss->s[ss->last = i];
  if (!create) return NULL;
  if (ss->n == ss->cap) {
    int64_t cap = ss->cap ? 2 * ss->cap : 16;
    stream_buf *p = realloc(ss->s, (size_t)cap * sizeof *p);
    if (!p) return NULL;
    ss->s = p, ss->cap = cap;
  }
  stream_buf *b = &ss->s[ss->n];
  memset(b, 0, sizeof *b);
  size_t len = strlen(name) + 1;
  if (!(b->name = malloc(len))) return NULL;
  memcpy(b->name, name, len);
  b->failure = b->region = NAN;
  ss->last = ss->n++;
  return b;
}

static void streams_free(streams *ss) {
  for (int64_t i = 0; i < ss->n; i++) free(ss->s[i].name), free(ss->s[i].time), free(ss->s[i].score);
  free(ss->s);
}

/* Parses a finite number (allow_empty: "" gives NaN); prints the error line and returns 0 on failure. */
static int number(const kp_csv_reader *r, int col, const char *what, int allow_empty, double *out) {
  const char *v = kp_csv_get(r, col, NULL);
  if (allow_empty && (!v || !*v)) {
    *out = NAN;
    return 1;
  }
  char *end;
  errno = 0;
  double d = v ? strtod(v, &end) : 0;
  if (!v || !*v || *end || errno || !isfinite(d)) {
    fprintf(stderr, TOOL ": %s:%lld: %s '%s' is not a finite number\n", kp_csv_name(r), (long long)kp_csv_row_line(r),
            what, v ? v : "");
    return 0;
  }
  *out = d;
  return 1;
}

/* Opens path and finds the named columns; prints the error line and returns NULL on failure. */
static kp_csv_reader *open_csv(const char *path, const char *const *names, int *cols) {
  kp_csv_reader *r = NULL;
  if (kp_csv_open(path, &r) != KP_OK || kp_csv_read_header(r) != KP_OK) {
    fprintf(stderr, TOOL ": %s\n", kp_last_error());
    kp_csv_close(r);
    return NULL;
  }
  for (int i = 0; i < 3; i++)
    if ((cols[i] = kp_csv_column(r, names[i])) < 0) {
      fprintf(stderr, TOOL ": %s:1: no '%s' column (header needs %s,%s,%s)\n", path, names[i], names[0], names[1],
              names[2]);
      kp_csv_close(r);
      return NULL;
    }
  return r;
}

static int read_scores(const char *path, streams *ss) {
  static const char *const names[] = {"stream", "time", "score"};
  int c[3];
  kp_csv_reader *r = open_csv(path, names, c);
  if (!r) return 2;
  for (;;) {
    bool eof;
    if (kp_csv_next(r, &eof) != KP_OK) {
      fprintf(stderr, TOOL ": %s\n", kp_last_error());
      kp_csv_close(r);
      return 2;
    }
    if (eof) break;
    double t, s;
    if (!number(r, c[1], "time", 0, &t) || !number(r, c[2], "score", 0, &s)) return kp_csv_close(r), 2;
    stream_buf *b = find(ss, kp_csv_get(r, c[0], NULL), 1);
    if (!b) return kp_csv_close(r), fprintf(stderr, TOOL ": out of memory\n"), 1;
    if (b->n && t < b->time[b->n - 1]) {
      fprintf(stderr, TOOL ": %s:%lld: stream '%s' goes back in time (%.17g after %.17g); sort its rows by time\n", path,
              (long long)kp_csv_row_line(r), b->name, t, b->time[b->n - 1]);
      return kp_csv_close(r), 2;
    }
    if (b->n == b->cap) {
      int64_t cap = b->cap ? 2 * b->cap : 64;
      double *nt = realloc(b->time, (size_t)cap * sizeof *nt);
      if (nt) b->time = nt;
      double *ns = nt ? realloc(b->score, (size_t)cap * sizeof *ns) : NULL;
      if (!ns) return kp_csv_close(r), fprintf(stderr, TOOL ": out of memory\n"), 1;
      b->score = ns, b->cap = cap;
    }
    b->time[b->n] = t, b->score[b->n++] = s;
  }
  kp_csv_close(r);
  return 0;
}

static int read_failures(const char *path, streams *ss) {
  static const char *const names[] = {"stream", "failure_time", "region_start"};
  int c[3];
  kp_csv_reader *r = open_csv(path, names, c);
  if (!r) return 2;
  for (;;) {
    bool eof;
    if (kp_csv_next(r, &eof) != KP_OK) {
      fprintf(stderr, TOOL ": %s\n", kp_last_error());
      kp_csv_close(r);
      return 2;
    }
    if (eof) break;
    const char *name = kp_csv_get(r, c[0], NULL);
    long long line = (long long)kp_csv_row_line(r);
    double f, reg;
    if (!number(r, c[1], "failure_time", 1, &f)) return kp_csv_close(r), 2;
    if (!isnan(f) && !number(r, c[2], "region_start", 0, &reg)) return kp_csv_close(r), 2;
    stream_buf *b = find(ss, name, 1);
    if (!b) return kp_csv_close(r), fprintf(stderr, TOOL ": out of memory\n"), 1;
    if (b->listed) {
      fprintf(stderr, TOOL ": %s:%lld: stream '%s' is listed twice\n", path, line, name);
      return kp_csv_close(r), 2;
    }
    if (!isnan(f) && reg > f) {
      fprintf(stderr, TOOL ": %s:%lld: stream '%s': region_start %.17g is after failure_time %.17g\n", path, line, name,
              reg, f);
      return kp_csv_close(r), 2;
    }
    b->listed = 1, b->failure = f, b->region = isnan(f) ? NAN : reg;
  }
  kp_csv_close(r);
  for (int64_t i = 0; i < ss->n; i++)
    if (!ss->s[i].listed) {
      fprintf(stderr, TOOL ": %s: stream '%s' has scores but no row (use an empty failure_time for a benign stream)\n",
              path, ss->s[i].name);
      return 2;
    }
  return 0;
}

static void print_one(const kp_lt_result *r, const streams *ss) {
  printf("threshold %.6g (alarm: score >= threshold)\n", r->threshold);
  printf("TP %lld  TP_LATE %lld  FN %lld  FP %lld  TN %lld\n", (long long)r->tp, (long long)r->tp_late,
         (long long)r->fn, (long long)r->fp, (long long)r->tn);
  printf("false-alarm windows %lld of %lld benign windows\n", (long long)r->false_alarm_windows,
         (long long)r->benign_windows);
  printf("%-16s %9s %9s %9s\n", "criterion", "precision", "recall", "f1");
  static const char *const crit[2] = {"region", "before-failure"};
  for (int c = 0; c < 2; c++) printf("%-16s %9.4f %9.4f %9.4f\n", crit[c], r->precision[c], r->recall[c], r->f1[c]);
  if (!r->n_lead) {
    printf("lead time: no timely detection\n");
    return;
  }
  printf("lead time (%lld TP): min %.6g  median %.6g  mean %.6g  max %.6g\n", (long long)r->n_lead, r->lead_min,
         r->lead_median, r->lead_mean, r->lead_max);
  for (int64_t i = 0; i < r->n_lead; i++) printf("  %s %.6g\n", ss->s[r->lead_stream[i]].name, r->lead[i]);
}

int eval_leadtime_main(int argc, char **argv) {
  const char *scores = NULL, *failures = NULL, *thr_s = NULL;
  int sweep = 0;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    if (!strcmp(a, "-h") || !strcmp(a, "--help")) return usage(stdout), 0;
    if (!strcmp(a, "--sweep")) {
      sweep = 1;
      continue;
    }
    if (strcmp(a, "--scores") && strcmp(a, "--failures") && strcmp(a, "--threshold")) {
      fprintf(stderr, TOOL ": unknown option '%s' (see --help)\n", a);
      return 2;
    }
    if (i + 1 >= argc) return fprintf(stderr, TOOL ": %s needs a value\n", a), 2;
    const char *v = argv[++i];
    if (!strcmp(a, "--scores")) scores = v;
    else if (!strcmp(a, "--failures")) failures = v;
    else thr_s = v;
  }
  if (!scores || !failures || (!thr_s == !sweep)) {
    fprintf(stderr, TOOL ": --scores, --failures and one of --threshold, --sweep are required (see --help)\n");
    return 2;
  }
  double thr = 0;
  if (thr_s) {
    char *end;
    thr = strtod(thr_s, &end);
    if (!*thr_s || *end || isnan(thr)) return fprintf(stderr, TOOL ": --threshold '%s' is not a number\n", thr_s), 2;
  }
  streams ss = {0};
  ss.last = -1;
  int rc = read_scores(scores, &ss);
  if (!rc) rc = read_failures(failures, &ss);
  kp_lt_stream *st = rc ? NULL : calloc((size_t)ss.n + 1, sizeof *st);
  if (!rc && !st) rc = 1, fprintf(stderr, TOOL ": out of memory\n");
  for (int64_t i = 0; !rc && i < ss.n; i++)
    st[i] = (kp_lt_stream){ss.s[i].name, ss.s[i].time, ss.s[i].score, ss.s[i].n, ss.s[i].failure, ss.s[i].region};
  if (!rc && !sweep) {
    kp_lt_result r;
    if (kp_leadtime_score(st, ss.n, thr, &r) != KP_OK) rc = 2, fprintf(stderr, TOOL ": %s\n", kp_last_error());
    else print_one(&r, &ss), kp_lt_result_free(&r);
  } else if (!rc) {
    double *t = NULL;
    int64_t nt = 0;
    kp_lt_result *rows = NULL;
    if (kp_leadtime_thresholds(st, ss.n, &t, &nt) != KP_OK ||
        !(rows = calloc((size_t)nt + 1, sizeof *rows)) || kp_leadtime_sweep(st, ss.n, t, nt, rows) != KP_OK) {
      rc = 2, fprintf(stderr, TOOL ": %s\n", rows ? kp_last_error() : "out of memory");
    } else {
      printf("%-12s %5s %7s %5s %5s %5s %8s %8s %9s %8s %8s %9s %12s\n", "threshold", "TP", "TP_LATE", "FN", "FP",
             "TN", "P_region", "R_region", "F1_region", "P_before", "R_before", "F1_before", "lead_median");
      for (int64_t j = 0; j < nt; j++) {
        const kp_lt_result *r = &rows[j];
        printf("%-12.6g %5lld %7lld %5lld %5lld %5lld %8.4f %8.4f %9.4f %8.4f %8.4f %9.4f %12.6g\n", r->threshold,
               (long long)r->tp, (long long)r->tp_late, (long long)r->fn, (long long)r->fp, (long long)r->tn,
               r->precision[0], r->recall[0], r->f1[0], r->precision[1], r->recall[1], r->f1[1], r->lead_median);
        kp_lt_result_free(&rows[j]);
      }
    }
    free(rows), free(t);
  }
  free(st);
  streams_free(&ss);
  return rc;
}
