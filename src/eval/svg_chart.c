/* Line charts as SVG: a frame with "nice" ticks (1, 2, 5 x 10^k), grid lines, axis labels, a legend and
 * one polyline per series (NaN values break the line). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include "eval/svg_internal.h"
#include "kprca/svg.h"

static const char *const PALETTE[] = {"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b",
                                      "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"};
#define NPAL ((int)(sizeof PALETTE / sizeof PALETTE[0]))

/* A step of 1, 2 or 5 x 10^k giving about `want` intervals over span. */
static double nice_step(double span, int want) {
  double raw = span / want, p = pow(10.0, floor(log10(raw))), f = raw / p;
  return (f < 1.5 ? 1 : f < 3.5 ? 2 : f < 7.5 ? 5 : 10) * p;
}

/* Data limits of all finite points; false when there is none. */
static bool data_range(const kp_svg_series *s, int ns, bool want_y, double *lo, double *hi) {
  bool any = false;
  for (int k = 0; k < ns; k++)
    for (int64_t i = 0; i < s[k].n; i++) {
      double v = want_y ? s[k].y[i] : s[k].x[i];
      if (!isfinite(v) || !isfinite(want_y ? s[k].x[i] : s[k].y[i])) continue;
      if (!any || v < *lo) *lo = v;
      if (!any || v > *hi) *hi = v;
      any = true;
    }
  return any;
}

/* Fills in NaN limits from the data and rounds open ends out to the tick step. */
static void axis_limits(double *lo, double *hi, bool fixed_lo, bool fixed_hi, double dlo, double dhi, bool have,
                        double *step) {
  if (!fixed_lo) *lo = have ? dlo : 0;
  if (!fixed_hi) *hi = have ? dhi : 1;
  if (*hi <= *lo) {
    double pad = fabs(*lo) > 0 ? fabs(*lo) * 0.1 : 1;
    if (!fixed_lo) *lo -= pad;
    if (!fixed_hi || *hi <= *lo) *hi = *lo + 2 * pad;
  }
  *step = nice_step(*hi - *lo, 5);
  if (!fixed_lo) *lo = floor(*lo / *step) * *step;
  if (!fixed_hi) *hi = ceil(*hi / *step) * *step;
  *step = nice_step(*hi - *lo, 5);
}

char *kp_svg_line_chart(const kp_svg_chart *c, const kp_svg_series *s, int ns) {
  int W = c->width > 0 ? c->width : 560, H = c->height > 0 ? c->height : 340;
  double L = 64, R = 16, T = 34, B = 48, pw = W - L - R, ph = H - T - B;
  double xlo = c->xmin, xhi = c->xmax, ylo = c->ymin, yhi = c->ymax, dxlo = 0, dxhi = 0, dylo = 0, dyhi = 0, xs, ys;
  bool hx = data_range(s, ns, false, &dxlo, &dxhi), hy = data_range(s, ns, true, &dylo, &dyhi);
  axis_limits(&xlo, &xhi, !isnan(c->xmin), !isnan(c->xmax), dxlo, dxhi, hx, &xs);
  axis_limits(&ylo, &yhi, !isnan(c->ymin), !isnan(c->ymax), dylo, dyhi, hy, &ys);
#define PX(v) (L + ((v) - xlo) / (xhi - xlo) * pw)
#define PY(v) (T + ph - ((v) - ylo) / (yhi - ylo) * ph)
  kp_sbuf b = {0};
  char nb[64];
  kp_sbuf_printf(&b,
                 "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"kp-plot\" width=\"%d\" height=\"%d\" "
                 "viewBox=\"0 0 %d %d\" font-family=\"sans-serif\" font-size=\"12\">\n"
                 "<rect x=\"0\" y=\"0\" width=\"%d\" height=\"%d\" fill=\"#ffffff\"/>\n",
                 W, H, W, H, W, H);
  kp_sbuf_printf(&b, "<text x=\"%d\" y=\"20\" text-anchor=\"middle\" font-size=\"14\" font-weight=\"bold\">", W / 2);
  kp_sbuf_esc(&b, c->title);
  kp_sbuf_put(&b, "</text>\n<g class=\"grid\" stroke=\"#e4e4e4\" stroke-width=\"1\">\n");
  for (double v = ceil(xlo / xs - 1e-9) * xs; v <= xhi + xs * 1e-9; v += xs)
    kp_sbuf_printf(&b, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>\n", PX(v), T, PX(v), T + ph);
  for (double v = ceil(ylo / ys - 1e-9) * ys; v <= yhi + ys * 1e-9; v += ys)
    kp_sbuf_printf(&b, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>\n", L, PY(v), L + pw, PY(v));
  kp_sbuf_put(&b, "</g>\n<g class=\"ticks\" fill=\"#333333\">\n");
  for (double v = ceil(xlo / xs - 1e-9) * xs; v <= xhi + xs * 1e-9; v += xs)
    kp_sbuf_printf(&b, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%s</text>\n", PX(v), T + ph + 16,
                   kp_fmt_num(nb, sizeof nb, fabs(v) < xs * 1e-6 ? 0 : v, 6));
  for (double v = ceil(ylo / ys - 1e-9) * ys; v <= yhi + ys * 1e-9; v += ys)
    kp_sbuf_printf(&b, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">%s</text>\n", L - 6, PY(v) + 4,
                   kp_fmt_num(nb, sizeof nb, fabs(v) < ys * 1e-6 ? 0 : v, 6));
  kp_sbuf_printf(&b,
                 "</g>\n<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"none\" "
                 "stroke=\"#555555\"/>\n",
                 L, T, pw, ph);
  kp_sbuf_printf(&b, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">", L + pw / 2, H - 10);
  kp_sbuf_esc(&b, c->xlabel);
  kp_sbuf_printf(&b, "</text>\n<text x=\"14\" y=\"%.1f\" text-anchor=\"middle\" transform=\"rotate(-90 14 %.1f)\">",
                 T + ph / 2, T + ph / 2);
  kp_sbuf_esc(&b, c->ylabel);
  kp_sbuf_put(&b, "</text>\n");
  if (c->diagonal)
    kp_sbuf_printf(&b,
                   "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#999999\" "
                   "stroke-dasharray=\"4 4\"/>\n",
                   PX(xlo), PY(ylo), PX(xhi), PY(yhi));
  for (int k = 0; k < ns; k++) {
    const char *col = PALETTE[k % NPAL];
    kp_sbuf_printf(&b, "<g class=\"series\" stroke=\"%s\" fill=\"%s\"><title>", col, col);
    kp_sbuf_esc(&b, s[k].name);
    kp_sbuf_put(&b, "</title>\n");
    bool open = false;
    for (int64_t i = 0; i < s[k].n; i++) {
      double x = s[k].x[i], y = s[k].y[i];
      if (!isfinite(x) || !isfinite(y)) {
        if (open) kp_sbuf_put(&b, "\"/>\n");
        open = false;
        continue;
      }
      if (!open)
        kp_sbuf_printf(&b, "<polyline fill=\"none\" stroke-width=\"2\"%s points=\"",
                       s[k].dashed ? " stroke-dasharray=\"6 3\"" : "");
      kp_sbuf_printf(&b, "%s%.2f,%.2f", open ? " " : "", PX(x), PY(y));
      open = true;
    }
    if (open) kp_sbuf_put(&b, "\"/>\n");
    for (int64_t i = 0; s[k].markers && i < s[k].n; i++)
      if (isfinite(s[k].x[i]) && isfinite(s[k].y[i]))
        kp_sbuf_printf(&b, "<circle cx=\"%.2f\" cy=\"%.2f\" r=\"2.5\" stroke=\"none\"/>\n", PX(s[k].x[i]),
                       PY(s[k].y[i]));
    kp_sbuf_put(&b, "</g>\n");
  }
  /* legend, top right inside the frame */
  int nl = 0;
  for (int k = 0; k < ns; k++) nl += s[k].name && s[k].name[0];
  if (nl) {
    /* top right, unless the data crowd that corner more than the bottom right one */
    int top = 0, bottom = 0;
    for (int k = 0; k < ns; k++)
      for (int64_t i = 0; i < s[k].n; i++) {
        double x = s[k].x[i], y = s[k].y[i];
        if (!isfinite(x) || !isfinite(y) || PX(x) < L + pw - 200) continue;
        top += PY(y) < T + 16 + 16 * nl;
        bottom += PY(y) > T + ph - 16 - 16 * nl;
      }
    double lx = L + pw - 190, ly = bottom < top ? T + ph - 16 - 16 * nl : T + 8;
    kp_sbuf_printf(&b,
                   "<g class=\"legend\"><rect x=\"%.1f\" y=\"%.1f\" width=\"182\" height=\"%d\" fill=\"#ffffff\" "
                   "fill-opacity=\"0.85\" stroke=\"#cccccc\"/>\n",
                   lx, ly, 8 + 16 * nl);
    int j = 0;
    for (int k = 0; k < ns; k++) {
      if (!s[k].name || !s[k].name[0]) continue;
      double y = ly + 14 + 16 * j++;
      kp_sbuf_printf(&b,
                     "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\" stroke-width=\"2\"%s/>"
                     "<text x=\"%.1f\" y=\"%.1f\">",
                     lx + 6, y - 4, lx + 26, y - 4, PALETTE[k % NPAL], s[k].dashed ? " stroke-dasharray=\"6 3\"" : "",
                     lx + 32, y);
      kp_sbuf_esc_cut(&b, s[k].name, 24);
      kp_sbuf_put(&b, "</text>\n");
    }
    kp_sbuf_put(&b, "</g>\n");
  }
  kp_sbuf_put(&b, "</svg>\n");
#undef PX
#undef PY
  return kp_sbuf_take(&b);
}
