/* Labelled lines from kernel.tsv (label<TAB>line) or a CSV with label and text columns. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include "data/strtab.h"
#include "kprca/csv.h"
#include "kprca/labelled.h"
#include "kprca/linereader.h"

typedef struct builder {
  const char *path;
  const kp_labelled_options *o;
  kp_strtab labels;
  int64_t n, cap;
  size_t *off;
  int32_t *label;
  int64_t *lineno;
  char *store;
  size_t used, scap;
} builder;

/* Label text without surrounding blanks. */
static void trim(const char **s, size_t *n) {
  while (*n && ((*s)[0] == ' ' || (*s)[0] == '\t')) (*s)++, (*n)--;
  while (*n && ((*s)[*n - 1] == ' ' || (*s)[*n - 1] == '\t')) (*n)--;
}

/* Longest label accepted: a longer one is log text in the label column (columns swapped). */
#define KP_LABEL_MAX 64
/* Most distinct labels accepted when none are given: more means the label column holds text. */
#define KP_LABELS_MAX 1024

static kp_status add(builder *b, int64_t line, const char *lab, size_t ln, const char *text, size_t tn) {
  trim(&lab, &ln);
  if (!ln) return kp_fail(KP_ERR_FORMAT, "%s:%lld: empty label", b->path, (long long)line);
  if (ln > KP_LABEL_MAX)
    return kp_fail(KP_ERR_FORMAT, "%s:%lld: the label '%.40s...' is %zu bytes long (at most %d): is the text in the "
                   "label column? expected label<TAB>line", b->path, (long long)line, lab, ln, KP_LABEL_MAX);
  int32_t id;
  if (b->o && b->o->known_labels) {
    id = kp_strtab_find(&b->labels, lab, ln);
    if (id < 0) {
      char list[256];
      kp_labels_list(b->labels.s, b->labels.n, list, sizeof list);
      return kp_fail(KP_ERR_FORMAT, "%s:%lld: unknown label '%.*s' (known: %s)", b->path, (long long)line, (int)ln, lab,
                     list);
    }
  } else {
    id = kp_strtab_intern(&b->labels, lab, ln);
    if (id < 0) return kp_fail(KP_ERR_NOMEM, "%s: out of memory", b->path);
    if (b->labels.n > KP_LABELS_MAX)
      return kp_fail(KP_ERR_FORMAT, "%s:%lld: more than %d distinct labels: is the text in the label column? "
                     "expected label<TAB>line", b->path, (long long)line, KP_LABELS_MAX);
  }
  if (b->n == b->cap) {
    int64_t c = b->cap ? 2 * b->cap : 1024;
    size_t *o = realloc(b->off, (size_t)c * sizeof *o);
    if (o) b->off = o;
    int32_t *l = realloc(b->label, (size_t)c * sizeof *l);
    if (l) b->label = l;
    int64_t *ln2 = realloc(b->lineno, (size_t)c * sizeof *ln2);
    if (ln2) b->lineno = ln2;
    if (!o || !l || !ln2) return kp_fail(KP_ERR_NOMEM, "%s: out of memory", b->path);
    b->cap = c;
  }
  if (b->used + tn + 1 > b->scap) {
    size_t c = b->scap ? b->scap : 1 << 16;
    while (c < b->used + tn + 1) c *= 2;
    char *s = realloc(b->store, c);
    if (!s) return kp_fail(KP_ERR_NOMEM, "%s: out of memory", b->path);
    b->store = s;
    b->scap = c;
  }
  memcpy(b->store + b->used, text, tn);
  b->store[b->used + tn] = 0;
  b->off[b->n] = b->used;
  b->used += tn + 1;
  b->label[b->n] = id;
  b->lineno[b->n] = line;
  b->n++;
  return KP_OK;
}

/* A first row whose label field reads "label" (any case) is a column header, not data. */
static bool is_header(const char *lab, size_t ln) {
  trim(&lab, &ln);
  if (ln != 5) return false;
  for (size_t i = 0; i < 5; i++)
    if (tolower((unsigned char)lab[i]) != "label"[i]) return false;
  return true;
}

static kp_status load_tsv(builder *b) {
  kp_line_reader *r;
  KP_TRY(kp_line_reader_open(b->path, &r));
  kp_status s = KP_OK;
  for (;;) {
    const char *l;
    size_t n;
    bool eof;
    if ((s = kp_line_reader_next(r, &l, &n, &eof)) != KP_OK || eof) break;
    if (!n) continue; /* blank line */
    const char *tab = memchr(l, '\t', n);
    if (tab && kp_line_reader_lineno(r) == 1 && is_header(l, (size_t)(tab - l))) continue;
    if (!tab) {
      s = kp_fail(KP_ERR_FORMAT, "%s:%lld: no TAB between the label and the line (expected label<TAB>line)", b->path,
                  (long long)kp_line_reader_lineno(r));
      break;
    }
    if ((s = add(b, kp_line_reader_lineno(r), l, (size_t)(tab - l), tab + 1, n - (size_t)(tab - l) - 1)) != KP_OK)
      break;
  }
  kp_line_reader_close(r);
  return s;
}

static kp_status load_csv(builder *b) {
  kp_csv_reader *r;
  KP_TRY(kp_csv_open(b->path, &r));
  kp_status s = kp_csv_read_header(r);
  const char *lname = b->o && b->o->label_column ? b->o->label_column : "label";
  const char *tname = b->o && b->o->text_column ? b->o->text_column : NULL;
  int lc = -1, tc = -1;
  if (s == KP_OK) {
    lc = kp_csv_column(r, lname);
    tc = tname ? kp_csv_column(r, tname) : kp_csv_column(r, "text");
    if (!tname && tc < 0) tc = kp_csv_column(r, "line");
    if (lc < 0 || tc < 0) {
      char cols[256];
      size_t o = 0;
      cols[0] = 0;
      for (int i = 0; i < kp_csv_ncolumns(r) && o < sizeof cols; i++)
        o += (size_t)snprintf(cols + o, sizeof cols - o, "%s%s", i ? ", " : "", kp_csv_column_name(r, i));
      s = kp_fail(KP_ERR_FORMAT, "%s:1: no '%s' column (columns: %s)", b->path,
                  lc < 0 ? lname : (tname ? tname : "text' or 'line"), cols);
    }
  }
  while (s == KP_OK) {
    bool eof;
    if ((s = kp_csv_next(r, &eof)) != KP_OK || eof) break;
    size_t ln, tn;
    const char *lab = kp_csv_get(r, lc, &ln), *text = kp_csv_get(r, tc, &tn);
    s = add(b, kp_csv_row_line(r), lab, ln, text, tn);
  }
  kp_csv_close(r);
  return s;
}

static bool is_csv(const char *p) {
  size_t n = strlen(p);
  return n >= 4 && (strcmp(p + n - 4, ".csv") == 0 || strcmp(p + n - 4, ".CSV") == 0);
}

kp_status kp_labelled_load(const char *path, const kp_labelled_options *opts, kp_labelled **out) {
  *out = NULL;
  if (!path || !*path) return kp_fail(KP_ERR_INVALID, "no labelled-lines file given");
  builder b = {.path = path, .o = opts};
  kp_status s = KP_OK;
  for (int32_t i = 0; opts && opts->known_labels && i < opts->n_known; i++) {
    const char *k = opts->known_labels[i];
    if (!k || !*k) {
      s = kp_fail(KP_ERR_INVALID, "%s: known label %d is empty", path, i);
      break;
    }
    if (kp_strtab_intern(&b.labels, k, strlen(k)) < 0) s = kp_fail(KP_ERR_NOMEM, "%s: out of memory", path);
  }
  kp_labelled_format f = opts ? opts->format : KP_LABELLED_AUTO;
  if (f == KP_LABELLED_AUTO) f = is_csv(path) ? KP_LABELLED_CSV : KP_LABELLED_TSV;
  if (s == KP_OK) s = f == KP_LABELLED_CSV ? load_csv(&b) : load_tsv(&b);
  if (s == KP_OK && b.n == 0) s = kp_fail(KP_ERR_FORMAT, "%s: no labelled lines (empty input)", path);
  kp_labelled *d = NULL;
  if (s == KP_OK && !(d = calloc(1, sizeof *d))) s = kp_fail(KP_ERR_NOMEM, "%s: out of memory", path);
  if (s == KP_OK && !(d->text = malloc((size_t)b.n * sizeof *d->text))) s = kp_fail(KP_ERR_NOMEM, "%s: out of memory", path);
  int32_t *perm = NULL;
  if (s == KP_OK && !(perm = malloc((size_t)b.labels.n * sizeof *perm))) s = kp_fail(KP_ERR_NOMEM, "%s: out of memory", path);
  if (s != KP_OK) {
    free(perm);
    kp_labelled_free(d);
    kp_strtab_free(&b.labels);
    free(b.off), free(b.label), free(b.lineno), free(b.store);
    return s;
  }
  for (int32_t i = 0; i < b.labels.n; i++) perm[i] = i;
  if (!(opts && opts->known_labels)) kp_labels_sort(b.labels.s, b.labels.n, perm);
  for (int64_t i = 0; i < b.n; i++) {
    d->text[i] = b.store + b.off[i];
    b.label[i] = perm[b.label[i]];
  }
  free(perm);
  free(b.off);
  d->n = b.n;
  d->label = b.label;
  d->lineno = b.lineno;
  d->store = b.store;
  d->nlabels = b.labels.n;
  d->names = b.labels.s; /* ownership moves to d */
  free(b.labels.slot);
  *out = d;
  return KP_OK;
}

int32_t kp_labelled_find(const kp_labelled *d, const char *name) {
  for (int32_t i = 0; i < d->nlabels; i++)
    if (strcmp(d->names[i], name) == 0) return i;
  return -1;
}

void kp_labelled_free(kp_labelled *d) {
  if (!d) return;
  for (int32_t i = 0; i < d->nlabels; i++) free(d->names[i]);
  free(d->names);
  free(d->text);
  free(d->label);
  free(d->lineno);
  free(d->store);
  free(d);
}
