/* Texts of a kp_metrics: scikit-learn's classification_report layout (byte for byte), the
 * confusion matrix as an aligned table, and a JSON object (cJSON). Widths count Unicode code
 * points, as Python's str.format does, so UTF-8 class names line up as in sklearn. */
#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "kprca/metrics.h"

/* Code points in a UTF-8 string (bytes that are not continuation bytes). */
static size_t u8_len(const char *s) {
  size_t n = 0;
  for (; *s; s++) n += ((unsigned char)*s & 0xC0) != 0x80;
  return n;
}

/* Byte length of the first k code points of s. */
static size_t u8_prefix(const char *s, size_t k) {
  size_t b = 0;
  for (size_t cp = 0; s[b]; b++) {
    if (((unsigned char)s[b] & 0xC0) != 0x80 && cp++ == k) break;
  }
  return b;
}

/* Writes s right-aligned in width code points, cut to at most cap code points (the last one
 * becoming '~') when cap > 0 and s is longer. */
static void put_right(FILE *f, const char *s, size_t width, size_t cap) {
  size_t len = u8_len(s), shown = cap && len > cap ? cap : len;
  for (size_t i = shown; i < width; i++) fputc(' ', f);
  if (shown == len) {
    fputs(s, f);
  } else {
    fwrite(s, 1, u8_prefix(s, shown - 1), f);
    fputc('~', f);
  }
}

/* The name of class c: names[c], or its number when names (or the entry) is NULL. */
static const char *class_name(const char *const *names, int64_t c, char buf[24]) {
  if (names && names[c]) return names[c];
  snprintf(buf, 24, "%lld", (long long)c);
  return buf;
}

static int usable(const kp_metrics *m, const char *what) {
  if (!m || m->num_classes < 1 || !m->confusion || !m->per_class) {
    kp_fail(KP_ERR_INVALID, "%s: metrics are empty (kp_metrics_compute did not succeed)", what);
    return 0;
  }
  return 1;
}

/* Closes the memory stream f (which sets *text) and returns its text, or NULL (with a message)
 * if writing failed. */
static char *finish(FILE *f, char **text, const char *what) {
  int bad = ferror(f);
  if (fclose(f) != 0 || bad) {
    free(*text);
    kp_fail(KP_ERR_NOMEM, "%s: out of memory", what);
    return NULL;
  }
  return *text;
}

char *kp_metrics_report(const kp_metrics *m, const char *const *names, int digits) {
  if (!usable(m, "metrics report")) return NULL;
  if (digits < 0 || digits > 20) {
    kp_fail(KP_ERR_INVALID, "metrics report: digits %d is outside [0, 20]", digits);
    return NULL;
  }
  const int64_t C = m->num_classes;
  char buf[24], *text = NULL;
  size_t size = 0, width = strlen("weighted avg");
  for (int64_t c = 0; c < C; c++) {
    size_t l = u8_len(class_name(names, c, buf));
    if (l > width) width = l;
  }
  if ((size_t)digits > width) width = (size_t)digits;
  FILE *f = open_memstream(&text, &size);
  if (!f) {
    kp_fail(KP_ERR_NOMEM, "metrics report: out of memory");
    return NULL;
  }
  put_right(f, "", width, 0);
  fprintf(f, "  %9s %9s %9s %9s\n\n", "precision", "recall", "f1-score", "support");
  /* When no prediction is right, sklearn's counting takes a path that makes the supports
   * floats, and the report prints them as "8.0"; this copies that. */
  const char *count_fmt = m->accuracy == 0 ? "%lld.0" : "%lld";
  char count[32];
  for (int64_t c = 0; c < C; c++) {
    const kp_class_scores *s = &m->per_class[c];
    put_right(f, class_name(names, c, buf), width, 0);
    snprintf(count, sizeof count, count_fmt, (long long)s->support);
    fprintf(f, "  %9.*f %9.*f %9.*f %9s\n", digits, s->precision, digits, s->recall, digits, s->f1, count);
  }
  /* sklearn prints the micro average as "accuracy" (the F1 column only) when the labels cover
   * every class seen in y_true and y_pred; kp_metrics lists all classes, so that always holds. */
  snprintf(count, sizeof count, count_fmt, (long long)m->n);
  fputc('\n', f);
  put_right(f, "accuracy", width, 0);
  fprintf(f, "  %9s %9s %9.*f %9s\n", "", "", digits, m->micro_f1, count);
  put_right(f, "macro avg", width, 0);
  fprintf(f, "  %9.*f %9.*f %9.*f %9s\n", digits, m->macro_precision, digits, m->macro_recall, digits,
          m->macro_f1, count);
  put_right(f, "weighted avg", width, 0);
  fprintf(f, "  %9.*f %9.*f %9.*f %9s\n", digits, m->weighted_precision, digits, m->weighted_recall, digits,
          m->weighted_f1, count);
  return finish(f, &text, "metrics report");
}

enum { ROW_NAME_CAP = 32, COL_NAME_CAP = 12, WIDE = 120 };

/* Columns are headed by class names cut to COL_NAME_CAP; when that makes the table wider than
 * WIDE characters, columns are headed by class numbers instead and each row shows its number
 * after the name. */
char *kp_metrics_confusion_text(const kp_metrics *m, const char *const *names, int normalized) {
  if (!usable(m, "confusion matrix")) return NULL;
  const int64_t C = m->num_classes;
  const int64_t *cm = m->confusion;
  size_t *cellw = calloc((size_t)C, sizeof *cellw), *colw = calloc((size_t)C, sizeof *colw);
  if (!cellw || !colw) {
    free(cellw), free(colw);
    kp_fail(KP_ERR_NOMEM, "confusion matrix: out of memory");
    return NULL;
  }
  char buf[24], cell[32], *text = NULL;
  size_t size = 0, roww = 0, total = 0;
  for (int64_t c = 0; c < C; c++) {
    size_t l = u8_len(class_name(names, c, buf));
    roww = l > roww ? l : roww;
    cellw[c] = normalized ? 4 : 1; /* "0.67" or "-"; counts: the widest in the column */
    for (int64_t r = 0; !normalized && r < C; r++) {
      size_t w = (size_t)snprintf(cell, sizeof cell, "%lld", (long long)cm[r * C + c]);
      if (w > cellw[c]) cellw[c] = w;
    }
    colw[c] = l < COL_NAME_CAP ? l : COL_NAME_CAP;
    colw[c] = colw[c] > cellw[c] ? colw[c] : cellw[c];
    total += 2 + colw[c];
  }
  if (roww > ROW_NAME_CAP) roww = ROW_NAME_CAP;
  const int numbered = names && roww + total > WIDE;
  const size_t idxw = (size_t)snprintf(cell, sizeof cell, "%lld", (long long)(C - 1));
  for (int64_t c = 0; numbered && c < C; c++) colw[c] = cellw[c] > idxw ? cellw[c] : idxw;
  FILE *f = open_memstream(&text, &size);
  if (!f) {
    free(cellw), free(colw);
    kp_fail(KP_ERR_NOMEM, "confusion matrix: out of memory");
    return NULL;
  }
  fprintf(f, "confusion matrix%s (rows: true class, columns: predicted class%s)\n",
          normalized ? ", each row divided by its sum" : "", numbered ? " by the rows' numbers" : "");
  put_right(f, "", roww + (numbered ? 2 + idxw : 0), 0);
  for (int64_t c = 0; c < C; c++) {
    fputs("  ", f);
    snprintf(cell, sizeof cell, "%lld", (long long)c);
    put_right(f, numbered ? cell : class_name(names, c, buf), colw[c], COL_NAME_CAP);
  }
  fputc('\n', f);
  for (int64_t r = 0; r < C; r++) {
    int64_t sum = 0;
    for (int64_t c = 0; c < C; c++) sum += cm[r * C + c];
    put_right(f, class_name(names, r, buf), roww, ROW_NAME_CAP);
    if (numbered) {
      snprintf(cell, sizeof cell, "%lld", (long long)r);
      fputs("  ", f);
      put_right(f, cell, idxw, 0);
    }
    for (int64_t c = 0; c < C; c++) {
      if (!normalized)
        snprintf(cell, sizeof cell, "%lld", (long long)cm[r * C + c]);
      else if (sum == 0)
        snprintf(cell, sizeof cell, "-"); /* no true items in this row */
      else
        snprintf(cell, sizeof cell, "%.2f", (double)cm[r * C + c] / (double)sum);
      fputs("  ", f);
      put_right(f, cell, colw[c], 0);
    }
    fputc('\n', f);
  }
  free(cellw), free(colw);
  return finish(f, &text, "confusion matrix");
}

/* A JSON number that reads back as exactly v: the shortest of 15, 16 or 17 significant digits
 * that round-trips (cJSON's own printing accepts 15 digits when they come within an epsilon). */
static cJSON *exact_number(double v) {
  if (!isfinite(v)) return cJSON_CreateNull(); /* JSON has no NaN or infinity */
  char buf[40];
  for (int digits = 15; digits <= 17; digits++) {
    snprintf(buf, sizeof buf, "%.*g", digits, v);
    if (strtod(buf, NULL) == v) break;
  }
  return cJSON_CreateRaw(buf);
}

/* Adds key: v (exactly) to obj; 0 on allocation failure. */
static int add_number(cJSON *obj, const char *key, double v) {
  cJSON *n = exact_number(v);
  if (n && cJSON_AddItemToObject(obj, key, n)) return 1;
  cJSON_Delete(n);
  return 0;
}

/* Adds name: {precision, recall, f1, support} to obj; 0 on allocation failure. */
static int add_class(cJSON *obj, const char *name, const kp_class_scores *s) {
  cJSON *o = cJSON_AddObjectToObject(obj, name);
  return o && add_number(o, "precision", s->precision) && add_number(o, "recall", s->recall) &&
         add_number(o, "f1", s->f1) && add_number(o, "support", (double)s->support);
}

char *kp_metrics_json(const kp_metrics *m, const char *const *names) {
  if (!usable(m, "metrics JSON")) return NULL;
  const int64_t C = m->num_classes;
  char buf[24];
  cJSON *root = cJSON_CreateObject();
  int ok = root && add_number(root, "n", (double)m->n);
  cJSON *labels = ok ? cJSON_AddArrayToObject(root, "labels") : NULL;
  ok = ok && labels;
  for (int64_t c = 0; ok && c < C; c++) {
    cJSON *s = cJSON_CreateString(class_name(names, c, buf));
    ok = s && cJSON_AddItemToArray(labels, s);
  }
  const struct {
    const char *key;
    double v;
  } scalars[] = {{"accuracy", m->accuracy},
                 {"balanced_accuracy", m->balanced_accuracy},
                 {"macro_precision", m->macro_precision},
                 {"macro_recall", m->macro_recall},
                 {"macro_f1", m->macro_f1},
                 {"micro_precision", m->micro_precision},
                 {"micro_recall", m->micro_recall},
                 {"micro_f1", m->micro_f1},
                 {"weighted_precision", m->weighted_precision},
                 {"weighted_recall", m->weighted_recall},
                 {"weighted_f1", m->weighted_f1}};
  for (size_t i = 0; ok && i < sizeof scalars / sizeof scalars[0]; i++)
    ok = add_number(root, scalars[i].key, scalars[i].v);
  cJSON *per = ok ? cJSON_AddObjectToObject(root, "per_class") : NULL;
  ok = ok && per;
  for (int64_t c = 0; ok && c < C; c++) ok = add_class(per, class_name(names, c, buf), &m->per_class[c]);
  cJSON *cm = ok ? cJSON_AddArrayToObject(root, "confusion_matrix") : NULL;
  ok = ok && cm;
  for (int64_t r = 0; ok && r < C; r++) {
    cJSON *row = cJSON_CreateArray();
    ok = row && cJSON_AddItemToArray(cm, row);
    for (int64_t c = 0; ok && c < C; c++) {
      cJSON *v = exact_number((double)m->confusion[r * C + c]);
      ok = v && cJSON_AddItemToArray(row, v);
    }
  }
  char *printed = ok ? cJSON_Print(root) : NULL, *text = printed ? strdup(printed) : NULL;
  cJSON_free(printed);
  cJSON_Delete(root);
  if (!text) kp_fail(KP_ERR_NOMEM, "metrics JSON: out of memory");
  return text;
}
