/* kprca-prep build --kind lines: one row per log line (text, label, incident, split) from an
 * incident directory (every line or the panic window, optionally capped per incident) or from a
 * labelled TSV/CSV file. */
#define _GNU_SOURCE
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "cli/prep_build.h"
#include "kprca/incident_window.h"
#include "kprca/labelled.h"
#include "kprca/lines_data.h"
#include "kprca/rng.h"
#include "kprca/split.h"

/* Growing columns of the dataset; texts live in one buffer and are pointed to at the end. */
typedef struct rows {
  int64_t n, cap;
  int64_t *off;     /* text offsets into buf */
  int32_t *label, *incident, *strat;
  double *time;
  char *buf;
  size_t len, bcap;
} rows;

static void rows_free(rows *r) {
  free(r->off), free(r->label), free(r->incident), free(r->strat), free(r->time), free(r->buf);
  memset(r, 0, sizeof *r);
}

static kp_status rows_add(rows *r, const char *text, size_t len, int32_t label, int32_t incident, int32_t strat,
                          double time) {
  if (r->n == r->cap) {
    int64_t c = r->cap ? 2 * r->cap : 4096;
    void *p[5] = {realloc(r->off, sizeof(int64_t) * (size_t)c), NULL, NULL, NULL, NULL};
    if (p[0]) r->off = p[0];
    p[1] = realloc(r->label, sizeof(int32_t) * (size_t)c);
    if (p[1]) r->label = p[1];
    p[2] = realloc(r->incident, sizeof(int32_t) * (size_t)c);
    if (p[2]) r->incident = p[2];
    p[3] = realloc(r->strat, sizeof(int32_t) * (size_t)c);
    if (p[3]) r->strat = p[3];
    p[4] = realloc(r->time, sizeof(double) * (size_t)c);
    if (p[4]) r->time = p[4];
    if (!p[0] || !p[1] || !p[2] || !p[3] || !p[4]) return kp_fail(KP_ERR_NOMEM, "lines: out of memory");
    r->cap = c;
  }
  if (r->len + len + 1 > r->bcap) {
    size_t c = r->bcap ? r->bcap : 1 << 20;
    while (c < r->len + len + 1) c *= 2;
    char *b = realloc(r->buf, c);
    if (!b) return kp_fail(KP_ERR_NOMEM, "lines: out of memory for %zu bytes of text", c);
    r->buf = b, r->bcap = c;
  }
  memcpy(r->buf + r->len, text, len);
  r->buf[r->len + len] = 0;
  r->off[r->n] = (int64_t)r->len;
  r->len += len + 1;
  r->label[r->n] = label, r->incident[r->n] = incident, r->strat[r->n] = strat, r->time[r->n] = time;
  r->n++;
  return KP_OK;
}

/* Keeps every root-cause candidate and a seeded uniform sample of the others, up to max lines in all
 * (max 0: all); sel[0..*nsel) receives the kept record indices in line order. */
static void sample(const int64_t *cand, const uint8_t *is_root, int64_t ncand, int64_t max, uint64_t seed,
                   int64_t incident, int64_t *sel, int64_t *nsel, int64_t *others) {
  int64_t nroot = 0, no = 0;
  for (int64_t j = 0; j < ncand; j++) {
    if (is_root[j]) sel[nroot++] = cand[j];
    else others[no++] = cand[j];
  }
  int64_t want = max <= 0 ? no : (max > nroot ? max - nroot : 0);
  if (want < no) { /* partial Fisher-Yates on the incident's own stream */
    kp_rng r = {seed, (uint64_t)incident << 32};
    for (int64_t j = 0; j < want; j++) {
      int64_t k = j + (int64_t)kp_rng_below(&r, (uint64_t)(no - j));
      int64_t t = others[j];
      others[j] = others[k], others[k] = t;
    }
  } else {
    want = no;
  }
  memcpy(sel + nroot, others, sizeof *sel * (size_t)want);
  *nsel = nroot + want;
  /* back to line order (an insertion merge: both runs are short) */
  for (int64_t j = 1; j < *nsel; j++) {
    int64_t v = sel[j], k = j;
    while (k > 0 && sel[k - 1] > v) sel[k] = sel[k - 1], k--;
    sel[k] = v;
  }
}

/* Reads the incidents' lines into r (label: 1 root cause / 0 ordinary, or the incident's label + 1 on
 * root-cause lines in category mode); *roots counts root-cause lines. */
static int read_incidents(const build_opts *o, const kp_incident_dir *d, rows *r, int64_t *roots) {
  int64_t cap = 0, *cand = NULL, *sel = NULL, *others = NULL;
  uint8_t *is_root = NULL;
  int rc = 0;
  for (int64_t i = 0; i < d->n && !rc; i++) {
    kp_incident_log l;
    kp_incident_times t;
    kp_status s = kp_incident_load_timed(d, i, &l, &t);
    if (s != KP_OK) {
      rc = build_fail(build_code(s), "%s", kp_last_error());
      break;
    }
    int64_t n = l.log->n, nc = 0, nsel = 0;
    if (n > cap) {
      cap = n;
      free(cand), free(sel), free(others), free(is_root);
      cand = malloc(sizeof *cand * (size_t)cap), sel = malloc(sizeof *sel * (size_t)cap);
      others = malloc(sizeof *others * (size_t)cap), is_root = malloc((size_t)cap);
      if (!cand || !sel || !others || !is_root) rc = build_fail(1, "out of memory");
    }
    for (int64_t k = 0; k < n && !rc; k++) {
      const kp_klog_record *rec = &l.log->rec[k];
      if (!kp_incident_is_event(rec) || rec->msg_len == 0 || !kp_incident_in_window(&t, k, o->window_s)) continue;
      is_root[nc] = l.root[k];
      cand[nc++] = k;
    }
    if (!rc) sample(cand, is_root, nc, o->max_lines, o->seed, i, sel, &nsel, others);
    int32_t lab = d->items[i].label;
    double start = isnan(t.start) ? (double)i : t.start;
    for (int64_t j = 0; j < nsel && !rc; j++) {
      const kp_klog_record *rec = &l.log->rec[sel[j]];
      bool root = l.root[sel[j]];
      int32_t y = !root ? 0 : o->labels_category ? lab + 1 : 1;
      *roots += root;
      s = rows_add(r, rec->msg, rec->msg_len, y, (int32_t)i, lab, start);
      if (s != KP_OK) rc = build_fail(1, "%s", kp_last_error());
    }
    kp_incident_times_free(&t);
    kp_incident_log_clear(&l);
  }
  free(cand), free(sel), free(others), free(is_root);
  return rc;
}

/* Category mode: names = "ordinary" + the labels that mark at least one line, labels renumbered. */
static int category_names(const kp_incident_dir *d, rows *r, const char ***names, int64_t *nnames) {
  int32_t *map = calloc((size_t)d->nlabels + 1, sizeof *map);
  *names = calloc((size_t)d->nlabels + 1, sizeof **names);
  if (!map || !*names) {
    free(map);
    return build_fail(1, "out of memory");
  }
  for (int64_t i = 0; i < r->n; i++)
    if (r->label[i]) map[r->label[i]] = 1;
  int64_t c = 0;
  (*names)[c++] = "ordinary";
  for (int32_t k = 0; k < d->nlabels; k++) {
    if (!strcmp(d->labels[k], "ordinary")) {
      free(map);
      return build_fail(2, "%s/labels.csv: the label 'ordinary' is reserved for lines that are not root-cause "
                        "evidence in --labels category", d->dir);
    }
    if (map[k + 1]) map[k + 1] = (int32_t)c, (*names)[c++] = d->labels[k];
  }
  for (int64_t i = 0; i < r->n; i++) r->label[i] = map[r->label[i]];
  free(map);
  *nnames = c;
  return 0;
}

static double now_s(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

int build_lines(const build_opts *o) {
  double t0 = now_s();
  rows r;
  memset(&r, 0, sizeof r);
  kp_incident_dir *d = NULL;
  kp_labelled *lab = NULL;
  const char **names = NULL;
  int64_t nnames = 0, roots = 0;
  int rc = 0;
  kp_status s;
  if (o->input_is_dir) {
    s = build_open_dir(o, &d);
    if (s != KP_OK) rc = build_fail(build_code(s), "%s", kp_last_error());
    if (!rc && d->n == 0) rc = build_fail(2, "%s/labels.csv: no incidents listed", o->input);
    if (!rc) rc = read_incidents(o, d, &r, &roots);
    if (!rc && r.n == 0) rc = build_fail(2, "%s: no lines in the window (--window-s %g)", o->input, o->window_s);
    if (!rc && o->labels_category) rc = category_names(d, &r, &names, &nnames);
    static const char *binary[2] = {"ordinary", "root_cause"};
    if (!rc && !o->labels_category) names = NULL, nnames = 2;
    if (!rc && !names) names = binary;
  } else {
    kp_labelled_options lo;
    memset(&lo, 0, sizeof lo);
    lo.known_labels = (const char *const *)o->classes;
    lo.n_known = o->nclasses;
    s = kp_labelled_load(o->input, &lo, &lab);
    if (s != KP_OK) rc = build_fail(build_code(s), "%s", kp_last_error());
    for (int64_t i = 0; !rc && i < lab->n; i++) {
      s = rows_add(&r, lab->text[i], strlen(lab->text[i]), lab->label[i], -1, lab->label[i], (double)i);
      if (s != KP_OK) rc = build_fail(1, "%s", kp_last_error());
    }
    if (lab) names = (const char **)lab->names, nnames = lab->nlabels;
  }
  int8_t *split = NULL;
  char **text = NULL;
  if (!rc) {
    split = malloc((size_t)(r.n ? r.n : 1));
    text = malloc(sizeof *text * (size_t)(r.n ? r.n : 1));
    if (!split || !text) rc = build_fail(1, "out of memory");
  }
  if (!rc) {
    if (o->split_by == SPLIT_GROUP) s = kp_split_group(r.incident, r.strat, r.n, o->val, o->test, o->seed, split);
    else if (o->split_by == SPLIT_TIME) s = kp_split_time(r.time, o->input_is_dir ? r.incident : NULL, r.n, o->val, o->test, split);
    else s = kp_split_stratified(r.label, r.n, o->val, o->test, o->seed, split);
    if (s != KP_OK) rc = build_fail(build_code(s), "%s", kp_last_error());
  }
  if (!rc) {
    for (int64_t i = 0; i < r.n; i++) text[i] = r.buf + r.off[i];
    kp_lines_data ld;
    memset(&ld, 0, sizeof ld);
    ld.n = r.n;
    ld.text.n = r.n, ld.text.s = text;
    ld.label = r.label, ld.incident = r.incident, ld.split = split;
    ld.label_names.n = nnames, ld.label_names.s = (char **)names;
    s = kp_lines_data_save(o->out, &ld);
    if (s != KP_OK) rc = build_fail(build_code(s), "%s", kp_last_error());
  }
  if (!rc) {
    printf("wrote %s: %lld lines", o->out, (long long)r.n);
    if (d) printf(" from %lld incidents (%lld root-cause lines), window %g s, max %lld lines per incident",
                  (long long)d->n, (long long)roots, o->window_s, (long long)o->max_lines);
    printf(", %lld classes, split by %s; %.2f s\n", (long long)nnames,
           o->split_by == SPLIT_GROUP ? "incident" : o->split_by == SPLIT_TIME ? "time" : "stratified label",
           now_s() - t0);
    kp_split_print_counts(stdout, r.label, split, r.n, names, nnames);
  }
  if (o->labels_category && d) free(names);
  free(split), free(text);
  rows_free(&r);
  kp_labelled_free(lab);
  kp_incident_dir_free(d);
  return rc;
}
