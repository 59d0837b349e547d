/* report.html of a run directory: summary, training curves, per-split confusion heatmaps, per-class F1,
 * ROC and PR curves (binary tasks), config and environment; every plot inline and in plots/. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>
#include "eval/report_html_internal.h"
#include "kprca/metrics.h"
#include "kprca/rundir.h"
#include "kprca/svg.h"
#include "kprca/train_report.h"
#include "kprca/version.h"

typedef struct {
  kp_sbuf *page;
  const char *plot_dir;
  kp_status status; /* first failure writing a plot file */
  int nplots;
} page_ctx;

/* Puts a plot into the page as a figure and, with a plot directory, into plot_dir/name.svg. */
static void add_plot(page_ctx *p, const char *name, char *svg, const char *caption) {
  if (!svg) {
    p->page->bad = true;
    return;
  }
  kp_sbuf_printf(p->page, "<figure id=\"plot-%s\">\n", name);
  kp_sbuf_put(p->page, svg);
  kp_sbuf_put(p->page, "<figcaption>");
  kp_sbuf_esc(p->page, caption);
  kp_sbuf_printf(p->page, " (plots/%s.svg)</figcaption>\n</figure>\n", name);
  p->nplots++;
  if (p->plot_dir && p->status == KP_OK) {
    char path[4200];
    snprintf(path, sizeof path, "%s/%s.svg", p->plot_dir, name);
    kp_sbuf f = {0};
    kp_sbuf_put(&f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    kp_sbuf_put(&f, svg);
    char *text = kp_sbuf_take(&f);
    p->status = text ? kp_write_file_atomic(path, text) : kp_fail(KP_ERR_NOMEM, "%s: out of memory", path);
    free(text);
  }
  free(svg);
}

/* Up to 8 series from metrics.jsonl columns named in keys (those present), against the epoch column. */
static int gather(const kp_run *run, const char *const *keys, int nk, const double *x, kp_svg_series *s) {
  int ns = 0;
  for (int i = 0; i < nk && ns < 8; i++) {
    const double *y = kp_run_column(run, keys[i]);
    bool any = false;
    for (int64_t r = 0; y && r < run->n_log; r++) any |= !isnan(y[r]);
    if (any) s[ns++] = (kp_svg_series){.name = keys[i], .x = x, .y = y, .n = run->n_log, .markers = run->n_log <= 40};
  }
  return ns;
}

static void curves_section(page_ctx *p, const kp_run *run) {
  kp_sbuf *b = p->page;
  kp_sbuf_put(b, "<section id=\"curves\">\n<h2>Training curves</h2>\n");
  const double *epoch = kp_run_column(run, "epoch");
  if (!run->n_log || !epoch) {
    kp_sbuf_put(b, "<p>No per-epoch log (metrics.jsonl) to plot.</p>\n</section>\n");
    return;
  }
  kp_svg_series s[8];
  static const char *const LOSS[] = {"train_loss", "val_loss"};
  int ns = gather(run, LOSS, 2, epoch, s);
  kp_svg_chart c = {.title = "Loss", .xlabel = "epoch", .ylabel = "loss", .xmin = NAN, .xmax = NAN, .ymin = NAN,
                    .ymax = NAN};
  if (ns) add_plot(p, "loss", kp_svg_line_chart(&c, s, ns), "Training and validation loss per epoch");
  const char *mk[8];
  int nm = 0;
  for (int k = 0; k < run->n_keys && nm < 8; k++)
    if (!strncmp(run->keys[k], "val_", 4) && strcmp(run->keys[k], "val_loss")) mk[nm++] = run->keys[k];
  ns = gather(run, mk, nm, epoch, s);
  c = (kp_svg_chart){.title = "Validation metrics", .xlabel = "epoch", .ylabel = "score", .xmin = NAN, .xmax = NAN,
                     .ymin = NAN, .ymax = NAN};
  if (ns) add_plot(p, "metrics", kp_svg_line_chart(&c, s, ns), "Validation accuracy and F1 per epoch");
  static const char *const LR[] = {"lr"};
  const double *lr = kp_run_column(run, "lr");
  bool varies = false;
  for (int64_t r = 1; lr && r < run->n_log; r++) varies |= lr[r] != lr[0] && !isnan(lr[r]);
  if (varies && (ns = gather(run, LR, 1, epoch, s))) {
    c = (kp_svg_chart){.title = "Learning rate", .xlabel = "epoch", .ylabel = "lr", .xmin = NAN, .xmax = NAN,
                       .ymin = 0, .ymax = NAN};
    add_plot(p, "lr", kp_svg_line_chart(&c, s, ns), "Learning rate per epoch");
  }
  kp_sbuf_put(b, "</section>\n");
}

static void binary_plots(page_ctx *p, const kp_run_split *sp) {
  kp_curve roc, pr;
  if (!sp->n_scored || !kp_binary_curves(sp->pos_score, sp->pos_y, sp->n_scored, &roc, &pr)) {
    if (sp->n_scored) kp_sbuf_put(p->page, "<p>ROC and PR curves need both classes among the scored items.</p>\n");
    return;
  }
  double auc = NAN, ap = NAN;
  if (kp_roc_auc(sp->pos_score, sp->pos_y, sp->n_scored, &auc) != KP_OK) auc = NAN;
  if (kp_average_precision(sp->pos_score, sp->pos_y, sp->n_scored, &ap) != KP_OK) ap = NAN;
  char name[64], title[160], lname[64];
  snprintf(lname, sizeof lname, "ROC-AUC %.4f", auc);
  kp_svg_series s = {.name = lname, .x = roc.x, .y = roc.y, .n = roc.n};
  snprintf(title, sizeof title, "ROC curve (%s, positive class: %s)", sp->name, sp->labels[1]);
  kp_svg_chart c = {.title = title, .xlabel = "false positive rate", .ylabel = "true positive rate", .xmin = 0,
                    .xmax = 1, .ymin = 0, .ymax = 1, .width = 420, .height = 380, .diagonal = true};
  snprintf(name, sizeof name, "roc_%s", sp->name);
  add_plot(p, name, kp_svg_line_chart(&c, &s, 1), "ROC curve from predictions.csv");
  snprintf(lname, sizeof lname, "AP %.4f", ap);
  s = (kp_svg_series){.name = lname, .x = pr.x, .y = pr.y, .n = pr.n};
  snprintf(title, sizeof title, "Precision-recall (%s, positive class: %s)", sp->name, sp->labels[1]);
  c = (kp_svg_chart){.title = title, .xlabel = "recall", .ylabel = "precision", .xmin = 0, .xmax = 1, .ymin = 0,
                     .ymax = 1, .width = 420, .height = 380};
  snprintf(name, sizeof name, "pr_%s", sp->name);
  add_plot(p, name, kp_svg_line_chart(&c, &s, 1), "Precision-recall curve from predictions.csv");
  kp_curve_free(&roc);
  kp_curve_free(&pr);
}

static void split_section(page_ctx *p, const kp_run_split *sp) {
  kp_sbuf *b = p->page;
  char name[64], title[128], nb[32];
  kp_sbuf_printf(b, "<section id=\"split-%s\">\n<h2>Split: %s</h2>\n", sp->name, sp->name);
  if (sp->confusion) {
    snprintf(name, sizeof name, "confusion_%s", sp->name);
    snprintf(title, sizeof title, "Confusion matrix (%s)", sp->name);
    add_plot(p, name, kp_svg_heatmap(title, sp->confusion, sp->num_classes, (const char *const *)sp->labels),
             "Counts per (true, predicted) class; colour is the share of the true class's row");
  }
  if (sp->f1) {
    snprintf(name, sizeof name, "f1_%s", sp->name);
    snprintf(title, sizeof title, "F1 per class (%s)", sp->name);
    add_plot(p, name, kp_svg_bars(title, (const char *const *)sp->labels, sp->num_classes, sp->f1, 1, NULL, 1),
             "F1 score of each class");
    kp_sbuf_put(b, "<table class=\"per-class\">\n<tr><th class=\"l\">class</th><th>precision</th><th>recall</th>"
                   "<th>F1</th><th>support</th></tr>\n");
    for (int64_t c = 0; c < sp->num_classes; c++) {
      kp_sbuf_put(b, "<tr><td class=\"l\">");
      kp_sbuf_esc(b, sp->labels[c]);
      kp_sbuf_printf(b, "</td><td>%s</td>", kp_html_num(nb, sizeof nb, sp->precision[c]));
      kp_sbuf_printf(b, "<td>%s</td>", kp_html_num(nb, sizeof nb, sp->recall[c]));
      kp_sbuf_printf(b, "<td>%s</td><td>%lld</td></tr>\n", kp_html_num(nb, sizeof nb, sp->f1[c]),
                     (long long)sp->support[c]);
    }
    kp_sbuf_put(b, "</table>\n");
  }
  if (sp->num_classes == 2) binary_plots(p, sp);
  kp_sbuf_put(b, "</section>\n");
}

static void summary_section(kp_sbuf *b, const kp_run *run) {
  char nb[32];
  kp_sbuf_put(b, "<section id=\"summary\">\n<h2>Summary</h2>\n");
  if (run->nsplits) {
    kp_sbuf_put(b, "<table class=\"summary\">\n<tr><th class=\"l\">split</th><th>items</th><th>accuracy</th>"
                   "<th>balanced accuracy</th><th>macro F1</th><th>weighted F1</th><th>loss</th>"
                   "<th>ROC-AUC</th><th>average precision</th></tr>\n");
    for (int i = 0; i < run->nsplits; i++) {
      const kp_run_split *sp = &run->splits[i];
      double auc = NAN, ap = NAN;
      if (sp->n_scored && kp_roc_auc(sp->pos_score, sp->pos_y, sp->n_scored, &auc) != KP_OK) auc = NAN;
      if (sp->n_scored && kp_average_precision(sp->pos_score, sp->pos_y, sp->n_scored, &ap) != KP_OK) ap = NAN;
      kp_sbuf_printf(b, "<tr><td class=\"l\">%s</td><td>%lld</td>", sp->name, (long long)sp->n);
      double v[] = {sp->accuracy, sp->balanced_accuracy, sp->macro_f1, sp->weighted_f1, sp->loss, auc, ap};
      for (size_t k = 0; k < sizeof v / sizeof v[0]; k++)
        kp_sbuf_printf(b, "<td>%s</td>", kp_html_num(nb, sizeof nb, v[k]));
      kp_sbuf_put(b, "</tr>\n");
    }
    kp_sbuf_put(b, "</table>\n");
  }
  kp_sbuf_put(b, "<p>");
  if (run->model) {
    kp_sbuf_put(b, "Model <b>");
    kp_sbuf_esc(b, run->model);
    kp_sbuf_put(b, "</b>");
    if (run->task) {
      kp_sbuf_put(b, ", ");
      kp_sbuf_esc(b, run->task);
      kp_sbuf_put(b, " task");
    }
    if (!isnan(run->num_params)) kp_sbuf_printf(b, ", %.0f parameters", run->num_params);
    kp_sbuf_put(b, ". ");
  }
  if (!isnan(run->epochs_run))
    kp_sbuf_printf(b, "Best epoch %.0f of %.0f%s. ", run->best_epoch, run->epochs_run,
                   run->early_stopped == 1 ? " (early stop)" : "");
  else if (run->n_log)
    kp_sbuf_printf(b, "%lld epoch(s) logged; no final evaluation. ", (long long)run->n_log);
  if (!isnan(run->train_time_s)) kp_sbuf_printf(b, "Training time %.2f s.", run->train_time_s);
  kp_sbuf_put(b, "</p>\n</section>\n");
  if (run->nnotes) {
    kp_sbuf_put(b, "<section id=\"notes\">\n<h2>Missing or incomplete</h2>\n<ul class=\"notes\">\n");
    for (int i = 0; i < run->nnotes; i++) {
      kp_sbuf_put(b, "<li>");
      kp_sbuf_esc(b, run->notes[i]);
      kp_sbuf_put(b, "</li>\n");
    }
    kp_sbuf_put(b, "</ul>\n</section>\n");
  }
}

static void row(kp_sbuf *b, const char *key, const char *value) {
  kp_sbuf_put(b, "<tr><th class=\"l\">");
  kp_sbuf_esc(b, key);
  kp_sbuf_put(b, "</th><td class=\"l\">");
  kp_sbuf_esc(b, value ? value : "unknown");
  kp_sbuf_put(b, "</td></tr>\n");
}

static void env_section(kp_sbuf *b, const kp_run *run) {
  char buf[512];
  kp_sbuf_put(b, "<section id=\"environment\">\n<h2>Environment</h2>\n<table class=\"env\">\n");
  row(b, "run written by", run->written_by);
  snprintf(buf, sizeof buf, "kprca %s", kp_version());
  row(b, "report written by", buf);
  row(b, "device", run->device);
  if (run->seed >= 0) snprintf(buf, sizeof buf, "%lld", (long long)run->seed);
  row(b, "seed (train.seed)", run->seed >= 0 ? buf : NULL);
  struct utsname u;
  if (uname(&u) == 0) {
    snprintf(buf, sizeof buf, "%s (%s %s, %s)", u.nodename, u.sysname, u.release, u.machine);
    row(b, "report host", buf);
  }
  time_t now = time(NULL);
  struct tm tm;
  localtime_r(&now, &tm);
  strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S %z", &tm);
  row(b, "report time", buf);
  kp_sbuf_put(b, "</table>\n<h3>Build</h3>\n<pre>");
  kp_sbuf_esc(b, kp_build_info());
  kp_sbuf_put(b, "</pre>\n</section>\n<section id=\"config\">\n<h2>Config</h2>\n");
  if (run->config_text) {
    kp_sbuf_put(b, "<pre>");
    kp_sbuf_esc(b, run->config_text);
    kp_sbuf_put(b, "</pre>\n");
  } else {
    kp_sbuf_put(b, "<p>No config.yaml in the run directory.</p>\n");
  }
  kp_sbuf_put(b, "</section>\n");
}

kp_status kp_report_html_render(const kp_run *run, const char *plot_dir, char **html) {
  *html = NULL;
  kp_sbuf b = {0};
  page_ctx p = {.page = &b, .plot_dir = plot_dir};
  char title[4200];
  snprintf(title, sizeof title, "kprca report: %s", run->dir);
  kp_html_head(&b, title);
  kp_sbuf_put(&b, "<h1>kprca run report</h1>\n<p class=\"dir\">");
  kp_sbuf_esc(&b, run->dir);
  kp_sbuf_put(&b, "</p>\n");
  summary_section(&b, run);
  curves_section(&p, run);
  for (int i = 0; i < run->nsplits; i++) split_section(&p, &run->splits[i]);
  env_section(&b, run);
  kp_sbuf_put(&b, "</body>\n</html>\n");
  char *s = kp_sbuf_take(&b);
  if (p.status != KP_OK) {
    free(s);
    return p.status;
  }
  if (!s) return kp_fail(KP_ERR_NOMEM, "%s: report: out of memory", run->dir);
  *html = s;
  return KP_OK;
}

kp_status kp_report_html_write(const char *run_dir) {
  kp_run run;
  KP_TRY(kp_run_load(run_dir, &run));
  char plots[4200], path[4200];
  snprintf(plots, sizeof plots, "%s/plots", run_dir);
  snprintf(path, sizeof path, "%s/report.html", run_dir);
  char *html = NULL;
  kp_status s = kp_mkdirs(plots);
  if (s == KP_OK) s = kp_report_html_render(&run, plots, &html);
  if (s == KP_OK) s = kp_write_file_atomic(path, html);
  free(html);
  kp_run_free(&run);
  return s;
}
