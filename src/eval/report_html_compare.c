/* Runs side by side: a text table (rows metrics, columns runs) and a comparison page with the same table
 * and the runs' validation curves overlaid. Metrics come from each run's main split (test, else val). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "eval/report_html_internal.h"
#include "kprca/svg.h"
#include "kprca/train_report.h"

enum { NROWS = 11 };
static const char *const ROWS[NROWS] = {"split",       "accuracy",   "balanced accuracy", "macro F1",
                                        "weighted F1", "loss",       "best epoch",        "epochs run",
                                        "train time (s)", "model",   "device"};

/* The short name of a run: its last two path components ("cora-gcn/20261125-204015"). */
static const char *short_name(const char *dir) {
  size_t n = strlen(dir);
  while (n > 1 && dir[n - 1] == '/') n--;
  int slashes = 0;
  for (size_t i = n; i > 0; i--)
    if (dir[i - 1] == '/' && ++slashes == 2) return dir + i;
  return dir;
}

/* Cell r of run's column into buf. */
static const char *cell(const kp_run *run, int r, char *buf, size_t n) {
  const kp_run_split *sp = kp_run_main_split(run);
  double v = NAN;
  switch (r) {
    case 0: return sp ? sp->name : "-";
    case 1: v = sp ? sp->accuracy : NAN; break;
    case 2: v = sp ? sp->balanced_accuracy : NAN; break;
    case 3: v = sp ? sp->macro_f1 : NAN; break;
    case 4: v = sp ? sp->weighted_f1 : NAN; break;
    case 5: v = sp ? sp->loss : NAN; break;
    case 6: return isnan(run->best_epoch) ? "-" : (snprintf(buf, n, "%.0f", run->best_epoch), buf);
    case 7:
      if (!isnan(run->epochs_run)) return snprintf(buf, n, "%.0f", run->epochs_run), buf;
      return run->n_log ? (snprintf(buf, n, "%lld (log)", (long long)run->n_log), buf) : "-";
    case 8: return isnan(run->train_time_s) ? "-" : (snprintf(buf, n, "%.2f", run->train_time_s), buf);
    case 9: return run->model ? run->model : "-";
    default: return run->device ? run->device : "-";
  }
  return kp_html_num(buf, n, v);
}

char *kp_report_compare_text(const kp_run *runs, int n) {
  kp_sbuf b = {0};
  char buf[64];
  int w0 = 18, *w = calloc((size_t)(n ? n : 1), sizeof *w);
  if (!w) return NULL;
  for (int j = 0; j < n; j++) {
    w[j] = (int)strlen(short_name(runs[j].dir));
    for (int r = 0; r < NROWS; r++) {
      int k = (int)strlen(cell(&runs[j], r, buf, sizeof buf));
      if (k > w[j]) w[j] = k;
    }
    if (w[j] > 40) w[j] = 40;
  }
  kp_sbuf_printf(&b, "%-*s", w0, "");
  for (int j = 0; j < n; j++) kp_sbuf_printf(&b, "  %*.*s", w[j], w[j], short_name(runs[j].dir));
  kp_sbuf_put(&b, "\n");
  for (int r = 0; r < NROWS; r++) {
    kp_sbuf_printf(&b, "%-*s", w0, ROWS[r]);
    for (int j = 0; j < n; j++) kp_sbuf_printf(&b, "  %*.*s", w[j], w[j], cell(&runs[j], r, buf, sizeof buf));
    kp_sbuf_put(&b, "\n");
  }
  free(w);
  return kp_sbuf_take(&b);
}

/* One overlay chart of column key across the runs (nothing when no run logged it). */
static void overlay(kp_sbuf *b, const kp_run *runs, int n, const char *key, const char *title, const char *ylabel) {
  kp_svg_series *s = calloc((size_t)n, sizeof *s);
  if (!s) {
    b->bad = true;
    return;
  }
  int ns = 0;
  for (int j = 0; j < n; j++) {
    const double *x = kp_run_column(&runs[j], "epoch"), *y = kp_run_column(&runs[j], key);
    if (x && y) s[ns++] = (kp_svg_series){.name = short_name(runs[j].dir), .x = x, .y = y, .n = runs[j].n_log};
  }
  if (ns) {
    kp_svg_chart c = {.title = title, .xlabel = "epoch", .ylabel = ylabel, .xmin = NAN, .xmax = NAN, .ymin = NAN,
                      .ymax = NAN, .width = 560, .height = 360};
    char *svg = kp_svg_line_chart(&c, s, ns);
    if (!svg) b->bad = true;
    kp_sbuf_printf(b, "<figure id=\"plot-%s\">\n", key);
    kp_sbuf_put(b, svg);
    kp_sbuf_put(b, "</figure>\n");
    free(svg);
  }
  free(s);
}

kp_status kp_report_compare_html(const kp_run *runs, int n, const char *path) {
  kp_sbuf b = {0};
  char buf[64];
  kp_html_head(&b, "kprca run comparison");
  kp_sbuf_printf(&b, "<h1>kprca run comparison</h1>\n<p>%d runs; metrics from each run's test split (val when it "
                     "has no test split).</p>\n<table class=\"compare\">\n<tr><th class=\"l\">metric</th>",
                 n);
  for (int j = 0; j < n; j++) {
    kp_sbuf_put(&b, "<th title=\"");
    kp_sbuf_esc(&b, runs[j].dir);
    kp_sbuf_put(&b, "\">");
    kp_sbuf_esc(&b, short_name(runs[j].dir));
    kp_sbuf_put(&b, "</th>");
  }
  kp_sbuf_put(&b, "</tr>\n");
  for (int r = 0; r < NROWS; r++) {
    kp_sbuf_printf(&b, "<tr><th class=\"l\">%s</th>", ROWS[r]);
    for (int j = 0; j < n; j++) {
      kp_sbuf_put(&b, r == 0 || r >= 9 ? "<td class=\"l\">" : "<td>");
      kp_sbuf_esc(&b, cell(&runs[j], r, buf, sizeof buf));
      kp_sbuf_put(&b, "</td>");
    }
    kp_sbuf_put(&b, "</tr>\n");
  }
  kp_sbuf_put(&b, "</table>\n<h2>Curves</h2>\n");
  overlay(&b, runs, n, "val_loss", "Validation loss", "loss");
  overlay(&b, runs, n, "val_macro_f1", "Validation macro F1", "macro F1");
  overlay(&b, runs, n, "val_accuracy", "Validation accuracy", "accuracy");
  overlay(&b, runs, n, "train_loss", "Training loss", "loss");
  int notes = 0;
  for (int j = 0; j < n; j++) notes += runs[j].nnotes;
  if (notes) {
    kp_sbuf_put(&b, "<h2>Missing or incomplete</h2>\n<ul class=\"notes\">\n");
    for (int j = 0; j < n; j++)
      for (int i = 0; i < runs[j].nnotes; i++) {
        kp_sbuf_put(&b, "<li>");
        kp_sbuf_esc(&b, short_name(runs[j].dir));
        kp_sbuf_put(&b, ": ");
        kp_sbuf_esc(&b, runs[j].notes[i]);
        kp_sbuf_put(&b, "</li>\n");
      }
    kp_sbuf_put(&b, "</ul>\n");
  }
  kp_sbuf_put(&b, "</body>\n</html>\n");
  char *html = kp_sbuf_take(&b);
  if (!html) return kp_fail(KP_ERR_NOMEM, "%s: out of memory", path);
  kp_status s = kp_write_file_atomic(path, html);
  free(html);
  return s;
}
