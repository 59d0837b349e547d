/* GA, PA and FGA of a template parse against loghub ground truth (structured CSV files). */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "kprca/csv.h"
#include "kprca/parsing_metrics.h"

/* ---- rows ---- */
kp_status kp_parse_rows_push(kp_parse_rows *r, int64_t line_id, const char *event_id, const char *event_template) {
  size_t n = r->n;
  if ((n & (n - 1)) == 0) { /* capacity doubles at powers of two */
    size_t c = n ? 2 * n : 1;
    int64_t *l = realloc(r->line_id, c * sizeof *l);
    if (l) r->line_id = l;
    char **e = realloc(r->event_id, c * sizeof *e);
    if (e) r->event_id = e;
    char **t = realloc(r->event_template, c * sizeof *t);
    if (t) r->event_template = t;
    if (!l || !e || !t) return kp_fail(KP_ERR_NOMEM, "parsing metrics: out of memory");
  }
  char *e = strdup(event_id ? event_id : ""), *t = strdup(event_template ? event_template : "");
  if (!e || !t) {
    free(e), free(t);
    return kp_fail(KP_ERR_NOMEM, "parsing metrics: out of memory");
  }
  r->line_id[n] = line_id, r->event_id[n] = e, r->event_template[n] = t;
  r->n = n + 1;
  return KP_OK;
}

void kp_parse_rows_free(kp_parse_rows *r) {
  if (!r) return;
  for (size_t i = 0; i < r->n; i++) free(r->event_id[i]), free(r->event_template[i]);
  free(r->line_id), free(r->event_id), free(r->event_template);
  memset(r, 0, sizeof *r);
}

/* ---- reading a structured CSV (kprca/csv.h) ---- */
kp_status kp_parse_rows_read(const char *path, kp_parse_rows *out) {
  memset(out, 0, sizeof *out);
  kp_csv_reader *r;
  KP_TRY(kp_csv_open(path, &r));
  kp_status s = kp_csv_read_header(r);
  int cl = kp_csv_column(r, "LineId"), ci = kp_csv_column(r, "EventId"), ct = kp_csv_column(r, "EventTemplate");
  if (s == KP_OK && (cl < 0 || ci < 0 || ct < 0))
    s = kp_fail(KP_ERR_FORMAT, "%s:1: header lacks the %s column (a loghub structured CSV has LineId, EventId, EventTemplate)",
                path, cl < 0 ? "LineId" : ci < 0 ? "EventId" : "EventTemplate");
  for (bool eof = false; s == KP_OK;) {
    if ((s = kp_csv_next(r, &eof)) != KP_OK || eof) break;
    const char *v = kp_csv_get(r, cl, NULL);
    char *e;
    errno = 0;
    long long id = strtoll(v, &e, 10);
    if (!*v || *e || errno) {
      s = kp_fail(KP_ERR_FORMAT, "%s:%lld: LineId '%.40s' is not an integer", path, (long long)kp_csv_row_line(r), v);
      break;
    }
    s = kp_parse_rows_push(out, id, kp_csv_get(r, ci, NULL), kp_csv_get(r, ct, NULL));
  }
  kp_csv_close(r);
  if (s != KP_OK) kp_parse_rows_free(out);
  return s;
}

/* ---- string interning and LineId lookup ---- */
typedef struct strmap {
  const char **key;
  int64_t *val;
  size_t n, cap;
} strmap;

static uint64_t str_hash(const char *s) {
  uint64_t h = 1469598103934665603ull;
  for (; *s; s++) h = (h ^ (unsigned char)*s) * 1099511628211ull;
  return h;
}

/* The id of s (new ids count up from 0); -1 on allocation failure. */
static int64_t intern(strmap *m, const char *s) {
  if ((m->n + 1) * 2 > m->cap) {
    size_t cap = m->cap ? 2 * m->cap : 1024;
    const char **k = calloc(cap, sizeof *k);
    int64_t *v = malloc(cap * sizeof *v);
    if (!k || !v) {
      free(k), free(v);
      return -1;
    }
    for (size_t j = 0; j < m->cap; j++) {
      if (!m->key[j]) continue;
      size_t i = str_hash(m->key[j]) & (cap - 1);
      while (k[i]) i = (i + 1) & (cap - 1);
      k[i] = m->key[j], v[i] = m->val[j];
    }
    free(m->key), free(m->val);
    m->key = k, m->val = v, m->cap = cap;
  }
  size_t i = str_hash(s) & (m->cap - 1);
  while (m->key[i]) {
    if (!strcmp(m->key[i], s)) return m->val[i];
    i = (i + 1) & (m->cap - 1);
  }
  m->key[i] = s, m->val[i] = (int64_t)m->n;
  return (int64_t)m->n++;
}

typedef struct idmap { /* LineId -> row index */
  int64_t *key;
  int64_t *row;
  size_t cap;
} idmap;

static kp_status idmap_build(idmap *m, const kp_parse_rows *r, const char *what) {
  m->cap = 16;
  while (m->cap < 2 * r->n + 2) m->cap *= 2;
  m->key = malloc(m->cap * sizeof *m->key);
  m->row = malloc(m->cap * sizeof *m->row);
  if (!m->key || !m->row) return kp_fail(KP_ERR_NOMEM, "parsing metrics: out of memory");
  for (size_t i = 0; i < m->cap; i++) m->row[i] = -1;
  for (size_t j = 0; j < r->n; j++) {
    size_t i = (size_t)(r->line_id[j] * 0x9e3779b97f4a7c15ull >> 7) & (m->cap - 1);
    while (m->row[i] >= 0) {
      if (m->key[i] == r->line_id[j])
        return kp_fail(KP_ERR_FORMAT, "%s: LineId %lld appears twice", what, (long long)r->line_id[j]);
      i = (i + 1) & (m->cap - 1);
    }
    m->key[i] = r->line_id[j], m->row[i] = (int64_t)j;
  }
  return KP_OK;
}

static int64_t idmap_get(const idmap *m, int64_t id) {
  size_t i = (size_t)(id * 0x9e3779b97f4a7c15ull >> 7) & (m->cap - 1);
  while (m->row[i] >= 0) {
    if (m->key[i] == id) return m->row[i];
    i = (i + 1) & (m->cap - 1);
  }
  return -1;
}

size_t kp_template_normalize(char *s) {
  size_t o = 0;
  bool space = false;
  for (size_t i = 0; s[i]; i++) {
    unsigned char ch = (unsigned char)s[i];
    if (ch == ' ' || (ch >= '\t' && ch <= '\r')) {
      space = o > 0;
      continue;
    }
    if (space) s[o++] = ' ';
    space = false;
    s[o++] = (char)ch;
  }
  s[o] = 0;
  return o;
}

/* ---- scores ---- */
kp_status kp_parse_evaluate(const kp_parse_rows *truth, const kp_parse_rows *pred, kp_group_key key,
                            kp_parse_scores *out) {
  memset(out, 0, sizeof *out);
  kp_status s = KP_OK;
  idmap tm = {0}, pm = {0};
  strmap tk = {0}, pk = {0};
  int64_t *tg = NULL, *pg = NULL, *tsize = NULL, *psize = NULL, *pfirst = NULL;
  char *a = NULL, *b = NULL;
  size_t n = truth->n;
  if ((s = idmap_build(&tm, truth, "truth")) != KP_OK || (s = idmap_build(&pm, pred, "prediction")) != KP_OK) goto done;
  tg = malloc((n + 1) * sizeof *tg);
  pg = malloc((n + 1) * sizeof *pg);
  if (!tg || !pg) goto oom;
  int64_t lines = 0, pa_ok = 0;
  for (size_t i = 0; i < n; i++) {
    const char *k = key == KP_GROUP_BY_ID ? truth->event_id[i] : truth->event_template[i];
    tg[i] = pg[i] = -1;
    if (!*k) continue;
    if ((tg[i] = intern(&tk, k)) < 0) goto oom;
    lines++;
    int64_t j = idmap_get(&pm, truth->line_id[i]);
    if (j < 0) {
      out->missing++;
      continue;
    }
    const char *q = key == KP_GROUP_BY_ID ? pred->event_id[j] : pred->event_template[j];
    if (key == KP_GROUP_BY_ID && !*q) {
      out->missing++;
    } else if ((pg[i] = intern(&pk, q)) < 0) {
      goto oom;
    }
    free(a), free(b);
    a = strdup(truth->event_template[i]), b = strdup(pred->event_template[j]);
    if (!a || !b) goto oom;
    kp_template_normalize(a), kp_template_normalize(b);
    pa_ok += strcmp(a, b) == 0;
  }
  for (size_t j = 0; j < pred->n; j++) {
    int64_t i = idmap_get(&tm, pred->line_id[j]);
    if (i < 0 || tg[i] < 0) out->extra++;
  }
  if (lines == 0) {
    s = kp_fail(KP_ERR_INVALID, "truth: no rows with a %s to score", key == KP_GROUP_BY_ID ? "EventId" : "EventTemplate");
    goto done;
  }
  size_t nt = tk.n, np = pk.n;
  tsize = calloc(nt + 1, sizeof *tsize);
  psize = calloc(np + 1, sizeof *psize);
  pfirst = malloc((np + 1) * sizeof *pfirst); /* the truth group of a predicted group, -2 when mixed */
  if (!tsize || !psize || !pfirst) goto oom;
  for (size_t p = 0; p < np; p++) pfirst[p] = -1;
  for (size_t i = 0; i < n; i++) {
    if (tg[i] < 0) continue;
    tsize[tg[i]]++;
    if (pg[i] < 0) continue;
    int64_t p = pg[i];
    psize[p]++;
    if (pfirst[p] == -1) pfirst[p] = tg[i];
    else if (pfirst[p] != tg[i]) pfirst[p] = -2;
  }
  int64_t good_lines = 0, good_groups = 0;
  for (size_t p = 0; p < np; p++)
    if (pfirst[p] >= 0 && psize[p] == tsize[pfirst[p]]) good_lines += psize[p], good_groups++;
  out->lines = lines;
  out->truth_groups = (int64_t)nt;
  out->pred_groups = (int64_t)np;
  out->correct_groups = good_groups;
  out->ga = (double)good_lines / (double)lines;
  out->pa = (double)pa_ok / (double)lines;
  out->pga = np ? (double)good_groups / (double)np : 0.0;
  out->rga = nt ? (double)good_groups / (double)nt : 0.0;
  out->fga = out->pga + out->rga > 0 ? 2 * out->pga * out->rga / (out->pga + out->rga) : 0.0;
  goto done;
oom:
  s = kp_fail(KP_ERR_NOMEM, "parsing metrics: out of memory");
done:
  free(tm.key), free(tm.row), free(pm.key), free(pm.row);
  free(tk.key), free(tk.val), free(pk.key), free(pk.val);
  free(tg), free(pg), free(tsize), free(psize), free(pfirst), free(a), free(b);
  return s;
}
