/* Incident directories: labels.csv validation (paths, duplicates, labels, line numbers) and
 * reading one incident's records with its root-cause flags. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "data/strtab.h"
#include "kprca/csv.h"
#include "kprca/incident.h"

/* The first problem found (with its status) and how many more followed. */
typedef struct problems {
  kp_status first;
  char msg[1024];
  int more;
} problems;

static void problem(problems *p, kp_status s, const char *csv, int64_t line, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
static void problem(problems *p, kp_status s, const char *csv, int64_t line, const char *fmt, ...) {
  if (p->first != KP_OK) {
    p->more++;
    return;
  }
  p->first = s;
  int k = snprintf(p->msg, sizeof p->msg, "%s:%lld: ", csv, (long long)line);
  va_list ap;
  va_start(ap, fmt);
  if (k > 0 && (size_t)k < sizeof p->msg) vsnprintf(p->msg + k, sizeof p->msg - (size_t)k, fmt, ap);
  va_end(ap);
}

static void trim(const char **s, size_t *n) {
  while (*n && ((*s)[0] == ' ' || (*s)[0] == '\t')) (*s)++, (*n)--;
  while (*n && ((*s)[*n - 1] == ' ' || (*s)[*n - 1] == '\t')) (*n)--;
}

/* "a//./b" -> "a/b"; NULL with *why set when the path is absolute, leaves the directory or is empty. */
static char *normalize(const char *s, size_t n, const char **why) {
  if (n == 0) return *why = "empty file name", NULL;
  if (s[0] == '/') return *why = "is an absolute path (paths are relative to the directory)", NULL;
  char *o = malloc(n + 1);
  if (!o) return *why = "out of memory", NULL;
  size_t k = 0, i = 0;
  while (i < n) {
    size_t j = i;
    while (j < n && s[j] != '/') j++;
    size_t len = j - i;
    if (len == 2 && s[i] == '.' && s[i + 1] == '.') {
      free(o);
      return *why = "leaves the directory ('..' is not allowed)", NULL;
    }
    if (len && !(len == 1 && s[i] == '.')) {
      if (k) o[k++] = '/';
      memcpy(o + k, s + i, len);
      k += len;
    }
    i = j + 1;
  }
  o[k] = 0;
  if (!k) {
    free(o);
    return *why = "names the directory itself, not a file", NULL;
  }
  return o;
}

/* Lines as the line reader counts them: a last line without a newline counts. */
static int count_lines(const char *path, int64_t *n) {
  FILE *f = fopen(path, "rb");
  if (!f) return errno;
  char buf[1 << 16];
  int64_t c = 0;
  size_t k;
  char last = '\n';
  while ((k = fread(buf, 1, sizeof buf, f)) > 0) {
    for (char *p = buf, *e = buf + k; (p = memchr(p, '\n', (size_t)(e - p))); p++) c++;
    last = buf[k - 1];
  }
  int err = ferror(f) ? (errno ? errno : EIO) : 0;
  fclose(f);
  *n = c + (last != '\n');
  return err;
}

/* Parses a 1-based line number token; 0 when it is none. */
static int64_t line_number(const char *s, size_t n) {
  if (!n || n > 15) return 0;
  int64_t v = 0;
  for (size_t i = 0; i < n; i++) {
    if (s[i] < '0' || s[i] > '9') return 0;
    v = v * 10 + (s[i] - '0');
  }
  return v;
}

static int cmp_i64(const void *a, const void *b) {
  int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
  return (x > y) - (x < y);
}

/* Line numbers of root_cause_lines ("12 40 41", commas also accepted), checked against nlines. */
static void root_lines(problems *pb, const char *csv, int64_t row, const char *s, size_t n, const char *file,
                       int64_t nlines, kp_incident *inc) {
  size_t cap = 0;
  for (size_t i = 0; i < n;) {
    while (i < n && (s[i] == ' ' || s[i] == ',' || s[i] == '\t' || s[i] == ';')) i++;
    size_t j = i;
    while (j < n && s[j] != ' ' && s[j] != ',' && s[j] != '\t' && s[j] != ';') j++;
    if (j == i) break;
    int64_t v = line_number(s + i, j - i);
    if (v <= 0) {
      problem(pb, KP_ERR_FORMAT, csv, row, "root_cause_lines: '%.*s' is not a line number (1-based)", (int)(j - i), s + i);
      return;
    }
    if (nlines >= 0 && v > nlines) {
      problem(pb, KP_ERR_FORMAT, csv, row, "root_cause_lines: line %lld is beyond the end of '%s' (%lld lines)",
              (long long)v, file, (long long)nlines);
      return;
    }
    if ((size_t)inc->n_root == cap) {
      cap = cap ? 2 * cap : 8;
      int64_t *g = realloc(inc->root_lines, cap * sizeof *g);
      if (!g) {
        problem(pb, KP_ERR_NOMEM, csv, row, "out of memory");
        return;
      }
      inc->root_lines = g;
    }
    inc->root_lines[inc->n_root++] = v;
    i = j;
  }
  if (inc->n_root > 1) {
    qsort(inc->root_lines, (size_t)inc->n_root, sizeof(int64_t), cmp_i64);
    int32_t k = 1;
    for (int32_t i = 1; i < inc->n_root; i++)
      if (inc->root_lines[i] != inc->root_lines[k - 1]) inc->root_lines[k++] = inc->root_lines[i];
    inc->n_root = k;
  }
}

static void free_items(kp_incident *items, int64_t n) {
  for (int64_t i = 0; i < n; i++) {
    free(items[i].file);
    free(items[i].path);
    free(items[i].root_lines);
  }
  free(items);
}

void kp_incident_dir_free(kp_incident_dir *d) {
  if (!d) return;
  free_items(d->items, d->n);
  for (int32_t i = 0; i < d->nlabels; i++) free(d->labels[i]);
  free(d->labels);
  free(d->dir);
  free(d);
}

/* One labels.csv row into inc (fields validated; problems recorded). */
static void read_row(kp_csv_reader *r, const char *dir, const char *csv, int cols[4], kp_strtab *files,
                     int64_t **first_line, kp_strtab *labels, bool known, problems *pb, kp_incident *inc) {
  int64_t row = kp_csv_row_line(r);
  inc->csv_line = row;
  inc->label = -1;
  inc->nlines = -1;
  size_t n;
  const char *f = kp_csv_get(r, cols[0], &n), *why = NULL;
  trim(&f, &n);
  char *norm = normalize(f, n, &why);
  if (!norm) {
    problem(pb, KP_ERR_FORMAT, csv, row, "file '%.*s' %s", (int)n, f, why);
  } else {
    int32_t before = files->n, id = kp_strtab_intern(files, norm, strlen(norm));
    if (id < 0) {
      problem(pb, KP_ERR_NOMEM, csv, row, "out of memory");
    } else if (id < before) {
      problem(pb, KP_ERR_FORMAT, csv, row, "file '%s' is listed twice (first on line %lld)", norm,
              (long long)(*first_line)[id]);
    } else {
      int64_t *g = realloc(*first_line, (size_t)files->n * sizeof *g);
      if (g) *first_line = g, g[id] = row;
    }
    inc->file = norm;
    size_t pl = strlen(dir) + strlen(norm) + 2;
    inc->path = malloc(pl);
    if (inc->path) snprintf(inc->path, pl, "%s/%s", dir, norm);
  }
  struct stat st;
  bool file_ok = false;
  if (inc->path) {
    if (stat(inc->path, &st) != 0)
      problem(pb, KP_ERR_FORMAT, csv, row, "file '%s' does not exist (%s)", inc->file, inc->path);
    else if (!S_ISREG(st.st_mode))
      problem(pb, KP_ERR_FORMAT, csv, row, "file '%s' is not a regular file", inc->file);
    else if (access(inc->path, R_OK) != 0)
      problem(pb, KP_ERR_IO, csv, row, "file '%s' cannot be read: %s", inc->file, strerror(errno));
    else
      file_ok = true;
  }
  const char *lab = kp_csv_get(r, cols[1], &n);
  trim(&lab, &n);
  if (!n) {
    problem(pb, KP_ERR_FORMAT, csv, row, "empty label");
  } else if (known) {
    inc->label = kp_strtab_find(labels, lab, n);
    if (inc->label < 0) {
      char list[256];
      kp_labels_list(labels->s, labels->n, list, sizeof list);
      problem(pb, KP_ERR_FORMAT, csv, row, "unknown label '%.*s' (known: %s)", (int)n, lab, list);
    }
  } else if ((inc->label = kp_strtab_intern(labels, lab, n)) < 0) {
    problem(pb, KP_ERR_NOMEM, csv, row, "out of memory");
  }
  size_t rn = 0, pn = 0;
  const char *rl = cols[2] >= 0 ? kp_csv_get(r, cols[2], &rn) : "";
  const char *pl = cols[3] >= 0 ? kp_csv_get(r, cols[3], &pn) : "";
  trim(&rl, &rn);
  trim(&pl, &pn);
  if (!file_ok || (!rn && !pn)) return;
  int err = count_lines(inc->path, &inc->nlines);
  if (err) {
    problem(pb, KP_ERR_IO, csv, row, "file '%s' cannot be read: %s", inc->file, strerror(err));
    return;
  }
  root_lines(pb, csv, row, rl, rn, inc->file, inc->nlines, inc);
  if (pn) {
    inc->panic_line = line_number(pl, pn);
    if (inc->panic_line <= 0)
      problem(pb, KP_ERR_FORMAT, csv, row, "panic_line: '%.*s' is not a line number (1-based)", (int)pn, pl);
    else if (inc->panic_line > inc->nlines)
      problem(pb, KP_ERR_FORMAT, csv, row, "panic_line: line %lld is beyond the end of '%s' (%lld lines)",
              (long long)inc->panic_line, inc->file, (long long)inc->nlines);
  }
}

kp_status kp_incident_open(const char *dir_in, const kp_incident_options *opts, kp_incident_dir **out) {
  *out = NULL;
  if (!dir_in || !*dir_in) return kp_fail(KP_ERR_INVALID, "no incident directory given");
  struct stat st;
  if (stat(dir_in, &st) != 0) return kp_fail(KP_ERR_IO, "%s: cannot open: %s", dir_in, strerror(errno));
  if (!S_ISDIR(st.st_mode)) return kp_fail(KP_ERR_INVALID, "%s: not a directory (expected an incident directory with labels.csv)", dir_in);
  kp_incident_dir *d = calloc(1, sizeof *d);
  char *csv = NULL;
  if (!d || !(d->dir = strdup(dir_in))) {
    free(d);
    return kp_fail(KP_ERR_NOMEM, "%s: out of memory", dir_in);
  }
  size_t dl = strlen(d->dir);
  while (dl > 1 && d->dir[dl - 1] == '/') d->dir[--dl] = 0;
  if (opts) d->log = opts->log;
  csv = malloc(dl + 12);
  if (!csv) {
    kp_incident_dir_free(d);
    return kp_fail(KP_ERR_NOMEM, "%s: out of memory", dir_in);
  }
  snprintf(csv, dl + 12, "%s/labels.csv", d->dir);
  kp_strtab files = {0}, labels = {0};
  int64_t *first_line = NULL, cap = 0;
  problems pb = {KP_OK, "", 0};
  kp_csv_reader *r = NULL;
  bool known = opts && opts->known_labels;
  kp_status s = KP_OK;
  for (int32_t i = 0; known && i < opts->n_known && s == KP_OK; i++) {
    const char *k = opts->known_labels[i];
    if (!k || !*k) s = kp_fail(KP_ERR_INVALID, "%s: known label %d is empty", csv, i);
    else if (kp_strtab_intern(&labels, k, strlen(k)) < 0) s = kp_fail(KP_ERR_NOMEM, "%s: out of memory", csv);
  }
  if (s == KP_OK) s = kp_csv_open(csv, &r);
  if (s == KP_OK) s = kp_csv_read_header(r);
  int cols[4] = {-1, -1, -1, -1};
  if (s == KP_OK) {
    cols[0] = kp_csv_column(r, "file");
    cols[1] = kp_csv_column(r, "label");
    cols[2] = kp_csv_column(r, "root_cause_lines");
    cols[3] = kp_csv_column(r, "panic_line");
    if (cols[0] < 0 || cols[1] < 0) {
      char names[256];
      size_t o = 0;
      names[0] = 0;
      for (int i = 0; i < kp_csv_ncolumns(r) && o < sizeof names; i++)
        o += (size_t)snprintf(names + o, sizeof names - o, "%s%s", i ? ", " : "", kp_csv_column_name(r, i));
      s = kp_fail(KP_ERR_FORMAT, "%s:%lld: missing column '%s' (required: file, label; found: %s)", csv,
                  (long long)kp_csv_row_line(r), cols[0] < 0 ? "file" : "label", names);
    }
  }
  while (s == KP_OK) {
    bool eof;
    if ((s = kp_csv_next(r, &eof)) != KP_OK || eof) break;
    if (d->n == cap) {
      cap = cap ? 2 * cap : 64;
      kp_incident *g = realloc(d->items, (size_t)cap * sizeof *g);
      if (!g) {
        s = kp_fail(KP_ERR_NOMEM, "%s: out of memory", csv);
        break;
      }
      d->items = g;
    }
    kp_incident *inc = &d->items[d->n++];
    memset(inc, 0, sizeof *inc);
    read_row(r, d->dir, csv, cols, &files, &first_line, &labels, known, &pb, inc);
  }
  kp_csv_close(r);
  if (s == KP_OK && pb.first != KP_OK)
    s = pb.more ? kp_fail(pb.first, "%s (and %d more problem%s in labels.csv)", pb.msg, pb.more, pb.more == 1 ? "" : "s")
                : kp_fail(pb.first, "%s", pb.msg);
  if (s == KP_OK && d->n == 0) s = kp_fail(KP_ERR_FORMAT, "%s: no incidents listed (empty input)", csv);
  int32_t *perm = NULL;
  if (s == KP_OK && !(perm = malloc(((size_t)labels.n + 1) * sizeof *perm))) s = kp_fail(KP_ERR_NOMEM, "%s: out of memory", csv);
  free(csv);
  kp_strtab_free(&files);
  free(first_line);
  if (s != KP_OK) {
    kp_strtab_free(&labels);
    kp_incident_dir_free(d);
    return s;
  }
  for (int32_t i = 0; i < labels.n; i++) perm[i] = i;
  if (!known) kp_labels_sort(labels.s, labels.n, perm);
  for (int64_t i = 0; i < d->n; i++) d->items[i].label = perm[d->items[i].label];
  free(perm);
  d->nlabels = labels.n;
  d->labels = labels.s; /* ownership moves to d */
  free(labels.slot);
  *out = d;
  return KP_OK;
}

void kp_incident_log_clear(kp_incident_log *l) {
  if (!l) return;
  kp_klog_log_free(l->log);
  free(l->root);
  memset(l, 0, sizeof *l);
}

kp_status kp_incident_read(const kp_incident_dir *d, int64_t i, kp_incident_log *out) {
  memset(out, 0, sizeof *out);
  out->panic = -1;
  if (i < 0 || i >= d->n) return kp_fail(KP_ERR_INVALID, "%s: incident %lld outside [0, %lld)", d->dir, (long long)i, (long long)d->n);
  const kp_incident *inc = &d->items[i];
  out->inc = inc;
  KP_TRY(kp_klog_load(inc->path, &d->log, &out->log));
  int64_t n = out->log->n;
  out->root = calloc((size_t)(n ? n : 1), 1);
  if (!out->root) {
    kp_incident_log_clear(out);
    return kp_fail(KP_ERR_NOMEM, "%s: out of memory", inc->path);
  }
  for (int32_t k = 0; k < inc->n_root; k++) {
    int64_t L = inc->root_lines[k];
    if (L > n) {
      kp_status s = kp_fail(KP_ERR_FORMAT, "%s/labels.csv:%lld: root_cause_lines: line %lld is beyond the end of '%s' (%lld lines now; did the file change?)",
                            d->dir, (long long)inc->csv_line, (long long)L, inc->file, (long long)n);
      kp_incident_log_clear(out);
      return s;
    }
    out->root[L - 1] = 1;
  }
  if (inc->panic_line > 0) {
    if (inc->panic_line > n) {
      kp_status s = kp_fail(KP_ERR_FORMAT, "%s/labels.csv:%lld: panic_line: line %lld is beyond the end of '%s' (%lld lines now; did the file change?)",
                            d->dir, (long long)inc->csv_line, (long long)inc->panic_line, inc->file, (long long)n);
      kp_incident_log_clear(out);
      return s;
    }
    out->panic = inc->panic_line - 1;
  }
  return KP_OK;
}
