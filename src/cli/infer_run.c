/* kprca-infer's pipeline: every message line goes through the rules (first match decides), then the cache,
 * then a queue of distinct texts for the model; the queue is scored when it holds 8 batches of texts, when
 * the input pauses (follow mode, pipes) and at the end, and the lines are printed in input order with their
 * label, score and what decided them. --incident ranks root-cause labels per input file instead. */
#define _GNU_SOURCE
#include <cjson/cJSON.h>
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "cli/infer.h"
#include "cli/infer_print.h"
#include "kprca/incident_graph.h"
#include "kprca/mask.h"

volatile sig_atomic_t infer_stop = 0;

typedef struct item {
  int src, rule;      /* rule: index of the deciding rule, or -1 */
  int64_t lineno, pend; /* pend: index of the distinct text awaiting the model, or -1 */
  double time, uptime;
  size_t text;        /* offset into the text arena */
  int64_t row;        /* offset of its class probabilities in rows (model lines), or -1 */
} item;

typedef struct best { /* --incident: the strongest evidence for one label */
  double score;
  int64_t lineno;
  char *text, *by;
} best;

typedef struct run {
  const infer_opts *o;
  kp_rules *rules;
  infer_model *model;
  infer_cache *cache;
  kp_masker *masker;
  int C, neg;          /* model classes, ordinary class (-1: none) */
  int nlabels;         /* model labels, then rule labels the model lacks */
  const char **labels;
  int *rule_label;     /* rule -> label index */
  char **names;        /* source names */
  /* queue */
  item *q;
  int64_t nq, capq;
  char *arena;
  size_t alen, acap;
  float *rows;
  int64_t nrows, caprows;
  /* distinct texts awaiting the model: keys in the arena, a small open-addressing map */
  int64_t *pend_text;  /* arena offset of the key (the model text) */
  size_t *pend_key, *pend_klen;
  int64_t npend, cappend;
  int64_t *map;
  int64_t mapslots;
  int64_t window;
  /* incident state of each source */
  best **inc;
  int64_t *inc_lines, *inc_flagged;
  /* counters */
  int64_t lines, flagged, by_rule, by_model, ignored, scored;
} run;

int infer_exit_code(kp_status s) {
  return (s == KP_ERR_INVALID || s == KP_ERR_FORMAT || s == KP_ERR_IO || s == KP_ERR_UNSUPPORTED ||
          s == KP_ERR_NO_DEVICE)
             ? 2
             : 1;
}

static kp_status nomem(void) { return kp_fail(KP_ERR_NOMEM, "kprca-infer: out of memory"); }

static kp_status grow(void **p, int64_t *cap, int64_t need, size_t elem) {
  if (need <= *cap) return KP_OK;
  int64_t c = *cap ? *cap : 64;
  while (c < need) c *= 2;
  void *n = realloc(*p, (size_t)c * elem);
  if (!n) return nomem();
  *p = n, *cap = c;
  return KP_OK;
}

static kp_status arena_put(run *r, const char *s, size_t n, size_t *off) {
  if (r->alen + n + 1 > r->acap) {
    size_t c = r->acap ? r->acap : 1 << 16;
    while (c < r->alen + n + 1) c *= 2;
    char *a = realloc(r->arena, c);
    if (!a) return nomem();
    r->arena = a, r->acap = c;
  }
  memcpy(r->arena + r->alen, s, n);
  r->arena[r->alen + n] = 0;
  *off = r->alen;
  r->alen += n + 1;
  return KP_OK;
}

static uint64_t hash_bytes(const char *s, size_t n) {
  uint64_t h = 1469598103934665603ull;
  for (size_t i = 0; i < n; i++) h = (h ^ (unsigned char)s[i]) * 1099511628211ull;
  return h ^ (h >> 29);
}

/* Index of the distinct pending text with this key, adding it (text: what the model reads). */
static kp_status pend_add(run *r, const char *key, size_t klen, const char *text, size_t tlen, int64_t *idx) {
  if (2 * (r->npend + 1) > r->mapslots) { /* rebuild the map twice as large */
    int64_t slots = r->mapslots ? 2 * r->mapslots : 1024;
    int64_t *m = malloc(sizeof *m * (size_t)slots);
    if (!m) return nomem();
    for (int64_t i = 0; i < slots; i++) m[i] = -1;
    for (int64_t p = 0; p < r->npend; p++) {
      int64_t i = (int64_t)(hash_bytes(r->arena + r->pend_key[p], r->pend_klen[p]) & (uint64_t)(slots - 1));
      while (m[i] >= 0) i = (i + 1) & (slots - 1);
      m[i] = p;
    }
    free(r->map);
    r->map = m, r->mapslots = slots;
  }
  int64_t i = (int64_t)(hash_bytes(key, klen) & (uint64_t)(r->mapslots - 1));
  for (; r->map[i] >= 0; i = (i + 1) & (r->mapslots - 1)) {
    int64_t p = r->map[i];
    if (r->pend_klen[p] == klen && !memcmp(r->arena + r->pend_key[p], key, klen)) return *idx = p, KP_OK;
  }
  int64_t cap = r->cappend;
  KP_TRY(grow((void **)&r->pend_text, &cap, r->npend + 1, sizeof *r->pend_text));
  cap = r->cappend;
  KP_TRY(grow((void **)&r->pend_key, &cap, r->npend + 1, sizeof *r->pend_key));
  cap = r->cappend;
  KP_TRY(grow((void **)&r->pend_klen, &cap, r->npend + 1, sizeof *r->pend_klen));
  r->cappend = cap;
  size_t ko, to;
  KP_TRY(arena_put(r, key, klen, &ko));
  KP_TRY(arena_put(r, text, tlen, &to));
  r->pend_key[r->npend] = ko, r->pend_klen[r->npend] = klen, r->pend_text[r->npend] = (int64_t)to;
  r->map[i] = r->npend;
  *idx = r->npend++;
  return KP_OK;
}

/* ---- output ---- */

/* Label and score of a line: a rule's, or the model's strongest class other than the ordinary one. */
static void decide(const run *r, const item *it, const char **label, double *score, char *by, size_t nby,
                   bool *flag) {
  *flag = false, *label = "", *score = 0;
  if (it->rule >= 0) {
    const kp_rule *ru = kp_rules_get(r->rules, it->rule);
    snprintf(by, nby, "rule:%s", ru->name);
    if (ru->action == KP_RULE_FLAG) *label = ru->label, *score = ru->score, *flag = true;
    else *label = r->neg >= 0 ? r->labels[r->neg] : "ordinary", *score = 1;
    return;
  }
  if (it->row < 0) {
    snprintf(by, nby, "none");
    return;
  }
  snprintf(by, nby, "model");
  const float *p = r->rows + it->row;
  int c = -1;
  for (int k = 0; k < r->C; k++)
    if (k != r->neg && (c < 0 || p[k] > p[c])) c = k;
  if (c < 0) c = r->neg;
  *label = r->labels[c], *score = p[c];
  *flag = c != r->neg && p[c] >= r->o->threshold;
}

static void print_line(run *r, const item *it, const char *label, double score, const char *by) {
  const char *text = r->arena + it->text, *src = r->names[it->src];
  if (!r->o->json) {
    printf("%s:%lld\t%s\t%.4f\t%s\t%s\n", src, (long long)it->lineno, label, score, by, text);
    return;
  }
  cJSON *j = cJSON_CreateObject();
  cJSON_AddStringToObject(j, "source", src);
  cJSON_AddNumberToObject(j, "lineno", (double)it->lineno);
  if (it->time == it->time) cJSON_AddNumberToObject(j, "time", infer_round6(it->time));
  else cJSON_AddNullToObject(j, "time");
  if (it->uptime == it->uptime) cJSON_AddNumberToObject(j, "uptime", infer_round6(it->uptime));
  else cJSON_AddNullToObject(j, "uptime");
  cJSON_AddStringToObject(j, "text", text);
  cJSON_AddStringToObject(j, "label", label);
  cJSON_AddNumberToObject(j, "score", infer_round6(score));
  cJSON_AddStringToObject(j, "by", by);
  infer_print_json(j);
}

static int label_index(const run *r, const char *name) {
  for (int i = 0; i < r->nlabels; i++)
    if (!strcmp(r->labels[i], name)) return i;
  return -1;
}

static kp_status note_best(run *r, int src, int lab, double score, const item *it, const char *by) {
  best *b = &r->inc[src][lab];
  if (b->text && score <= b->score) return KP_OK;
  free(b->text), free(b->by);
  b->score = score, b->lineno = it->lineno;
  b->text = strdup(r->arena + it->text), b->by = strdup(by);
  return b->text && b->by ? KP_OK : nomem();
}

/* --incident: every label's strongest evidence in the file. */
static kp_status incident_note(run *r, const item *it, bool flag, const char *by) {
  r->inc_lines[it->src]++;
  r->inc_flagged[it->src] += flag;
  if (it->rule >= 0) {
    const kp_rule *ru = kp_rules_get(r->rules, it->rule);
    return ru->action == KP_RULE_FLAG ? note_best(r, it->src, r->rule_label[it->rule], ru->score, it, by) : KP_OK;
  }
  if (it->row < 0) return KP_OK;
  for (int c = 0; c < r->C; c++)
    if (c != r->neg) KP_TRY(note_best(r, it->src, c, r->rows[it->row + c], it, by));
  return KP_OK;
}

static int by_score_desc(const void *a, const void *b, void *ctx) {
  const best *v = ctx;
  int i = *(const int *)a, j = *(const int *)b;
  bool hi = v[i].text != NULL, hj = v[j].text != NULL;
  if (hi != hj) return hi ? -1 : 1;
  if (v[i].score != v[j].score) return v[i].score > v[j].score ? -1 : 1;
  if (v[i].lineno != v[j].lineno) return v[i].lineno < v[j].lineno ? -1 : 1; /* ties: the earlier evidence */
  return i - j;
}

static void incident_print(run *r, int src) {
  best *b = r->inc[src];
  int *ord = malloc(sizeof *ord * (size_t)(r->nlabels + 1)), n = 0;
  infer_rank *e = malloc(sizeof *e * (size_t)(r->nlabels + 1));
  if (!ord || !e) {
    free(ord), free(e);
    return;
  }
  for (int i = 0; i < r->nlabels; i++)
    if (i != r->neg) ord[n++] = i;
  qsort_r(ord, (size_t)n, sizeof *ord, by_score_desc, b);
  int shown = 0;
  while (shown < n && shown < r->o->top && b[ord[shown]].text) shown++;
  for (int k = 0; k < shown; k++) {
    const best *x = &b[ord[k]];
    e[k] = (infer_rank){r->labels[ord[k]], x->score, x->lineno, x->text, x->by};
  }
  const char *src_name = r->names[src];
  cJSON *j = NULL;
  if (r->o->json) {
    j = cJSON_CreateObject();
    cJSON_AddStringToObject(j, "source", src_name);
    cJSON_AddNumberToObject(j, "lines", (double)r->inc_lines[src]);
    cJSON_AddNumberToObject(j, "flagged", (double)r->inc_flagged[src]);
  } else {
    printf("incident %s: %lld lines, %lld flagged\n", src_name, (long long)r->inc_lines[src],
           (long long)r->inc_flagged[src]);
    if (!shown) printf("  no root-cause evidence\n");
  }
  infer_print_ranking(r->o->json, j, shown, e);
  free(ord), free(e);
}

/* Scores the distinct pending texts, then prints (or notes) the queued lines in order. */
static kp_status flush(run *r) {
  if (r->npend) {
    float *probs = malloc(sizeof *probs * (size_t)r->npend * (size_t)r->C);
    const char **texts = malloc(sizeof *texts * (size_t)r->npend);
    kp_status s = probs && texts ? KP_OK : nomem();
    for (int64_t p = 0; s == KP_OK && p < r->npend; p++) texts[p] = r->arena + r->pend_text[p];
    if (s == KP_OK) s = infer_model_score(r->model, r->npend, texts, r->o->batch, probs);
    for (int64_t p = 0; s == KP_OK && r->cache && p < r->npend; p++)
      s = infer_cache_put(r->cache, r->arena + r->pend_key[p], r->pend_klen[p], probs + p * r->C);
    for (int64_t i = 0; s == KP_OK && i < r->nq; i++)
      if (r->q[i].pend >= 0)
        memcpy(r->rows + r->q[i].row, probs + r->q[i].pend * r->C, sizeof *probs * (size_t)r->C);
    r->scored += r->npend;
    free(probs), free(texts);
    KP_TRY(s);
  }
  for (int64_t i = 0; i < r->nq; i++) {
    const item *it = &r->q[i];
    const char *label;
    double score;
    char by[300];
    bool flag;
    decide(r, it, &label, &score, by, sizeof by, &flag);
    r->flagged += flag;
    r->by_rule += flag && it->rule >= 0;
    r->by_model += flag && it->rule < 0;
    if (r->o->incident) KP_TRY(incident_note(r, it, flag, by));
    else if (flag || r->o->all) print_line(r, it, label, score, by);
  }
  r->nq = 0, r->alen = 0, r->nrows = 0, r->npend = 0;
  for (int64_t i = 0; i < r->mapslots; i++) r->map[i] = -1;
  fflush(stdout);
  return KP_OK;
}

/* One parsed record. */
static kp_status on_line(void *ctx, int src, const char *name, const kp_klog_record *rec) {
  (void)name;
  run *r = ctx;
  if ((rec->flags & (KP_KLOG_EMPTY | KP_KLOG_META)) || rec->msg_len == 0) return KP_OK;
  r->lines++;
  KP_TRY(grow((void **)&r->q, &r->capq, r->nq + 1, sizeof *r->q));
  item *it = &r->q[r->nq];
  *it = (item){src, -1, rec->lineno, -1, rec->time, rec->uptime, 0, -1};
  if (r->rules) {
    kp_status s = kp_rules_match(r->rules, rec->msg, rec->msg_len, &it->rule);
    if (s != KP_OK) return kp_fail_context(s, "%s:%lld", r->names[src], (long long)rec->lineno);
  }
  KP_TRY(arena_put(r, rec->msg, rec->msg_len, &it->text));
  r->ignored += it->rule >= 0 && kp_rules_get(r->rules, it->rule)->action == KP_RULE_IGNORE;
  if (it->rule < 0 && r->model) {
    const char *key = rec->msg;
    size_t klen = rec->msg_len;
    if (r->masker) KP_TRY(kp_masker_apply(r->masker, rec->msg, rec->msg_len, &key, &klen));
    KP_TRY(grow((void **)&r->rows, &r->caprows, r->nrows + r->C, sizeof *r->rows));
    it->row = r->nrows;
    r->nrows += r->C;
    const float *hit = r->cache ? infer_cache_get(r->cache, key, klen) : NULL;
    if (hit) memcpy(r->rows + it->row, hit, sizeof *hit * (size_t)r->C);
    else KP_TRY(pend_add(r, key, klen, rec->msg, rec->msg_len, &it->pend));
  }
  r->nq++;
  if (r->npend >= r->window || r->nq >= 64 * r->window) return flush(r);
  return KP_OK;
}

static void on_signal(int sig) {
  (void)sig;
  infer_stop = 1;
}

static kp_status setup(run *r, int nin, char **inputs) {
  const infer_opts *o = r->o;
  if (o->rules_path) KP_TRY(kp_rules_load(o->rules_path, &r->rules));
  if (o->model_path) {
    KP_TRY(infer_model_open(o->model_path, o->device, o->max_length, &r->model));
    r->C = infer_model_classes(r->model);
    r->neg = 0;
    if (o->negative && !strcmp(o->negative, "none")) r->neg = -1;
    else if (o->negative) {
      r->neg = -1;
      for (int c = 0; c < r->C; c++)
        if (!strcmp(infer_model_label(r->model, c), o->negative)) r->neg = c;
      if (r->neg < 0) return kp_fail(KP_ERR_INVALID, "--negative %s: the model has no such class", o->negative);
    }
    if (o->cache_cap > 0) KP_TRY(infer_cache_new(o->cache_cap, r->C, &r->cache));
    if (o->cache_masked) KP_TRY(kp_build_masker_new(&r->masker));
  } else {
    r->neg = -1;
  }
  int nr = kp_rules_count(r->rules);
  r->labels = calloc((size_t)(r->C + nr + 1), sizeof *r->labels);
  r->rule_label = calloc((size_t)nr + 1, sizeof *r->rule_label);
  r->names = calloc((size_t)nin, sizeof *r->names);
  r->inc = calloc((size_t)nin, sizeof *r->inc);
  r->inc_lines = calloc((size_t)nin, sizeof *r->inc_lines);
  r->inc_flagged = calloc((size_t)nin, sizeof *r->inc_flagged);
  if (!r->labels || !r->rule_label || !r->names || !r->inc || !r->inc_lines || !r->inc_flagged) return nomem();
  for (int c = 0; c < r->C; c++) r->labels[r->nlabels++] = infer_model_label(r->model, c);
  for (int i = 0; i < nr; i++) {
    const kp_rule *ru = kp_rules_get(r->rules, i);
    if (ru->action != KP_RULE_FLAG) continue;
    int k = label_index(r, ru->label);
    if (k < 0) r->labels[k = r->nlabels++] = ru->label;
    r->rule_label[i] = k;
  }
  for (int i = 0; i < nin; i++) {
    r->names[i] = strdup(strcmp(inputs[i], "-") ? inputs[i] : "<stdin>");
    r->inc[i] = calloc((size_t)r->nlabels + 1, sizeof **r->inc);
    if (!r->names[i] || !r->inc[i]) return nomem();
  }
  r->window = 8 * (int64_t)o->batch;
  return KP_OK;
}

static void teardown(run *r, int nin) {
  kp_rules_free(r->rules);
  infer_model_close(r->model);
  infer_cache_free(r->cache);
  kp_masker_free(r->masker);
  for (int i = 0; i < nin && r->names; i++) free(r->names[i]);
  for (int i = 0; i < nin && r->inc; i++) {
    for (int k = 0; r->inc[i] && k < r->nlabels; k++) free(r->inc[i][k].text), free(r->inc[i][k].by);
    free(r->inc[i]);
  }
  free(r->names), free(r->inc), free(r->inc_lines), free(r->inc_flagged), free(r->labels), free(r->rule_label);
  free(r->q), free(r->arena), free(r->rows), free(r->pend_text), free(r->pend_key), free(r->pend_klen), free(r->map);
}

/* Waits up to interval for input on the streams among the active sources (or just sleeps). */
static void wait_input(infer_src **src, const bool *done, int nin, bool follow, int first, double interval) {
  struct pollfd p[64];
  int n = 0;
  for (int i = 0; i < nin && n < 64; i++)
    if (!done[i] && (follow || i == first) && infer_src_is_stream(src[i])) p[n++] = (struct pollfd){infer_src_fd(src[i]), POLLIN, 0};
  int ms = (int)(interval * 1000);
  if (n) poll(p, (nfds_t)n, ms);
  else {
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
  }
}

static kp_status loop(run *r, infer_src **src, int nin) {
  const infer_opts *o = r->o;
  bool *done = calloc((size_t)nin, sizeof *done);
  if (!done) return nomem();
  kp_status s = KP_OK;
  int first = 0; /* without --follow, the sources are read one after the other */
  while (s == KP_OK && !infer_stop) {
    while (first < nin && done[first]) first++;
    if (first == nin) break;
    bool any = false;
    for (int i = first; i < nin && s == KP_OK; i++) {
      if (done[i] || (!o->follow && i != first)) continue;
      bool progress, end;
      s = infer_src_pump(src[i], i, o->follow, on_line, r, &progress, &end);
      any |= progress;
      if (s == KP_OK && end) {
        done[i] = true;
        s = infer_src_finish(src[i], i, on_line, r);
        if (s == KP_OK) s = flush(r);
        if (s == KP_OK && o->incident) incident_print(r, i), fflush(stdout);
      }
    }
    if (s == KP_OK && !any) {
      s = flush(r); /* the input paused: score and print what is queued */
      bool waiting = false;
      for (int i = first; i < nin; i++) waiting |= !done[i];
      if (s == KP_OK && waiting) wait_input(src, done, nin, o->follow, first, o->interval_s);
    }
  }
  if (s == KP_OK && infer_stop) { /* interrupted: finish what was read */
    for (int i = 0; i < nin && s == KP_OK; i++)
      if (!done[i]) s = infer_src_finish(src[i], i, on_line, r);
    if (s == KP_OK) s = flush(r);
    for (int i = 0; i < nin && s == KP_OK && o->incident; i++)
      if (!done[i]) incident_print(r, i);
    fflush(stdout);
  }
  free(done);
  return s;
}

static double now_s(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

int infer_run(const infer_opts *o, int nin, char **inputs) {
  run r;
  memset(&r, 0, sizeof r);
  r.o = o;
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_signal; /* no SA_RESTART: a blocked read or poll returns */
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, NULL);
  sigaction(SIGTERM, &sa, NULL);
  infer_src **src = calloc((size_t)nin, sizeof *src);
  kp_status s = src ? KP_OK : nomem();
  for (int i = 0; i < nin && s == KP_OK; i++) s = infer_src_open(inputs[i], o->format, &src[i]);
  if (s == KP_OK) s = setup(&r, nin, inputs);
  double t0 = now_s();
  if (s == KP_OK) s = loop(&r, src, nin);
  double dt = now_s() - t0;
  int rc = infer_print_status(s);
  if (rc == 0 && o->stats) {
    int64_t hits = 0, misses = 0, size = 0;
    if (r.cache) infer_cache_stats(r.cache, &hits, &misses, &size);
    fprintf(stderr,
            "kprca-infer: %lld lines in %.3f s (%.0f lines/s), %lld flagged (%lld by rules, %lld by the model), "
            "%lld ignored by rules, %lld texts scored by the model, cache %lld hits / %lld misses%s%s\n",
            (long long)r.lines, dt, dt > 0 ? (double)r.lines / dt : 0.0, (long long)r.flagged, (long long)r.by_rule,
            (long long)r.by_model, (long long)r.ignored, (long long)r.scored, (long long)hits, (long long)misses,
            r.model ? "; " : "", r.model ? infer_model_describe(r.model) : "");
  }
  for (int i = 0; i < nin && src; i++) infer_src_close(src[i]);
  free(src);
  teardown(&r, nin);
  return rc;
}
