/* Confusion-matrix heatmaps and horizontal bar charts as SVG. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include "eval/svg_internal.h"
#include "kprca/svg.h"

/* A class's display name: names[c], or its number. */
static const char *class_name(const char *const *names, int64_t c, char *buf, size_t n) {
  if (names && names[c]) return names[c];
  snprintf(buf, n, "%lld", (long long)c);
  return buf;
}

/* White to dark blue by t in [0, 1]. */
static void blue(double t, char *out, size_t n) {
  if (!(t >= 0)) t = 0;
  if (t > 1) t = 1;
  int r = (int)lround(255 + (8 - 255) * t), g = (int)lround(255 + (48 - 255) * t);
  int b = (int)lround(255 + (107 - 255) * t);
  snprintf(out, n, "#%02x%02x%02x", r, g, b);
}

char *kp_svg_heatmap(const char *title, const int64_t *counts, int64_t C, const char *const *names) {
  int cell = C <= 8 ? 56 : C <= 16 ? 40 : 26, font = C <= 16 ? 12 : 9;
  int longest = 1;
  for (int64_t c = 0; names && c < C; c++) {
    int k = 0;
    for (const char *q = names[c] ? names[c] : ""; *q; q++) k += ((unsigned char)*q & 0xC0) != 0x80;
    if (k > longest) longest = k;
  }
  if (longest > 18) longest = 18;
  int slant = (int)(longest * font * 0.45); /* room for the 45-degree column labels */
  int left = 170, top = 60 + slant, W = left + (int)C * cell + 24 + slant, H = top + (int)C * cell + 40;
  if (W < 480) W = 480; /* room for the subtitle */
  kp_sbuf b = {0};
  char nb[32], col[16];
  kp_sbuf_printf(&b,
                 "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"kp-plot kp-heatmap\" width=\"%d\" height=\"%d\" "
                 "viewBox=\"0 0 %d %d\" font-family=\"sans-serif\" font-size=\"%d\">\n"
                 "<rect x=\"0\" y=\"0\" width=\"%d\" height=\"%d\" fill=\"#ffffff\"/>\n",
                 W, H, W, H, font, W, H);
  kp_sbuf_printf(&b, "<text x=\"%d\" y=\"20\" text-anchor=\"middle\" font-size=\"14\" font-weight=\"bold\">", W / 2);
  kp_sbuf_esc(&b, title);
  kp_sbuf_printf(&b, "</text>\n<text x=\"%d\" y=\"38\" text-anchor=\"middle\" fill=\"#555555\">"
                 "rows: true class, columns: predicted class; colour: share of the row</text>\n", W / 2);
  for (int64_t c = 0; c < C; c++) {
    const char *nm = class_name(names, c, nb, sizeof nb);
    double cy = top + c * cell + cell / 2.0 + 4, cx = left + c * cell + cell / 2.0;
    kp_sbuf_printf(&b, "<text class=\"row-label\" x=\"%d\" y=\"%.1f\" text-anchor=\"end\"><title>", left - 6, cy);
    kp_sbuf_esc(&b, nm);
    kp_sbuf_put(&b, "</title>");
    kp_sbuf_esc_cut(&b, nm, 24);
    kp_sbuf_printf(&b,
                   "</text>\n<text class=\"col-label\" x=\"%.1f\" y=\"%d\" transform=\"rotate(-45 %.1f %d)\">"
                   "<title>",
                   cx, top - 6, cx, top - 6);
    kp_sbuf_esc(&b, nm);
    kp_sbuf_put(&b, "</title>");
    kp_sbuf_esc_cut(&b, nm, 18);
    kp_sbuf_put(&b, "</text>\n");
  }
  for (int64_t t = 0; t < C; t++) {
    int64_t row = 0;
    for (int64_t p = 0; p < C; p++) row += counts[t * C + p];
    for (int64_t p = 0; p < C; p++) {
      int64_t k = counts[t * C + p];
      double share = row > 0 ? (double)k / (double)row : 0;
      blue(share, col, sizeof col);
      int x = left + (int)p * cell, y = top + (int)t * cell;
      kp_sbuf_printf(&b, "<g class=\"cell\"><title>true ");
      kp_sbuf_esc(&b, class_name(names, t, nb, sizeof nb));
      kp_sbuf_put(&b, ", predicted ");
      kp_sbuf_esc(&b, class_name(names, p, nb, sizeof nb));
      kp_sbuf_printf(&b, ": %lld (%.1f%% of the row)</title>", (long long)k, 100 * share);
      kp_sbuf_printf(&b,
                     "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"%s\" stroke=\"#ffffff\"/>"
                     "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" fill=\"%s\">%lld</text></g>\n",
                     x, y, cell, cell, col, x + cell / 2.0, y + cell / 2.0 + 4, share > 0.5 ? "#ffffff" : "#222222",
                     (long long)k);
    }
  }
  kp_sbuf_printf(&b,
                 "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\" font-size=\"12\">predicted class</text>\n"
                 "<text x=\"12\" y=\"%.1f\" text-anchor=\"middle\" font-size=\"12\" transform=\"rotate(-90 12 %.1f)\">"
                 "true class</text>\n</svg>\n",
                 left + C * cell / 2.0, H - 12, top + C * cell / 2.0, top + C * cell / 2.0);
  return kp_sbuf_take(&b);
}

static const char *const BAR_COLOURS[] = {"#1f77b4", "#ff7f0e", "#2ca02c", "#9467bd"};

char *kp_svg_bars(const char *title, const char *const *labels, int64_t n, const double *values, int ns,
                  const char *const *series_names, double vmax) {
  if (ns < 1) ns = 1;
  int bar = 16, gap = 10, left = 170, plotw = 340, top = 40 + (ns > 1 ? 18 : 0);
  int group = ns * bar + gap, W = left + plotw + 70, H = top + (int)n * group + 40;
  if (!(vmax > 0)) vmax = 1;
  kp_sbuf b = {0};
  char nb[32];
  kp_sbuf_printf(&b,
                 "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"kp-plot kp-bars\" width=\"%d\" height=\"%d\" "
                 "viewBox=\"0 0 %d %d\" font-family=\"sans-serif\" font-size=\"12\">\n"
                 "<rect x=\"0\" y=\"0\" width=\"%d\" height=\"%d\" fill=\"#ffffff\"/>\n",
                 W, H, W, H, W, H);
  kp_sbuf_printf(&b, "<text x=\"%d\" y=\"20\" text-anchor=\"middle\" font-size=\"14\" font-weight=\"bold\">", W / 2);
  kp_sbuf_esc(&b, title);
  kp_sbuf_put(&b, "</text>\n");
  for (int s = 0; ns > 1 && s < ns; s++) {
    int x = left + s * 110;
    kp_sbuf_printf(&b, "<rect x=\"%d\" y=\"30\" width=\"12\" height=\"12\" fill=\"%s\"/><text x=\"%d\" y=\"40\">", x,
                   BAR_COLOURS[s % 4], x + 16);
    kp_sbuf_esc_cut(&b, series_names ? series_names[s] : "", 14);
    kp_sbuf_put(&b, "</text>\n");
  }
  for (int k = 0; k <= 4; k++) {
    double x = left + plotw * k / 4.0;
    kp_sbuf_printf(&b,
                   "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"#e4e4e4\"/>"
                   "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\" fill=\"#333333\">%s</text>\n",
                   x, top - 4, x, top + (int)n * group, x, top + (int)n * group + 16,
                   kp_fmt_num(nb, sizeof nb, vmax * k / 4.0, 3));
  }
  for (int64_t i = 0; i < n; i++) {
    int y0 = top + (int)i * group;
    kp_sbuf_printf(&b, "<text class=\"bar-label\" x=\"%d\" y=\"%.1f\" text-anchor=\"end\"><title>", left - 6,
                   y0 + ns * bar / 2.0 + 4);
    kp_sbuf_esc(&b, labels ? labels[i] : "");
    kp_sbuf_put(&b, "</title>");
    kp_sbuf_esc_cut(&b, labels ? labels[i] : "", 24);
    kp_sbuf_put(&b, "</text>\n");
    for (int s = 0; s < ns; s++) {
      double v = values[(int64_t)s * n + i], w = isfinite(v) ? fmax(0, fmin(v, vmax)) / vmax * plotw : 0;
      int y = y0 + s * bar;
      kp_sbuf_printf(&b,
                     "<g class=\"bar\"><rect x=\"%d\" y=\"%d\" width=\"%.1f\" height=\"%d\" fill=\"%s\"/>"
                     "<text x=\"%.1f\" y=\"%d\" fill=\"#222222\">%s</text></g>\n",
                     left, y + 1, w, bar - 2, BAR_COLOURS[s % 4], left + w + 4, y + bar - 4,
                     isfinite(v) ? (snprintf(nb, sizeof nb, "%.3f", v), nb) : "-");
    }
  }
  kp_sbuf_printf(&b, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#555555\"/>\n</svg>\n", left,
                 top - 4, left, top + (int)n * group);
  return kp_sbuf_take(&b);
}
