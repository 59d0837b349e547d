/* Plots as standalone SVG text, written natively (no plotting library): line charts with axes, ticks and a
 * legend, a confusion-matrix heatmap with class names and counts, and horizontal bar charts. Every piece of
 * text is XML-escaped; the SVG carries no ids, scripts or external references, so several can be inlined
 * into one HTML page. */
#ifndef KPRCA_SVG_H
#define KPRCA_SVG_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#ifdef __cplusplus
extern "C" {
#endif

/* One line of a chart: n points (x[i], y[i]); NaN y values leave a gap. */
typedef struct kp_svg_series {
  const char *name; /* legend text (NULL or "": not in the legend) */
  const double *x, *y;
  int64_t n;
  bool markers; /* draw a dot at each point */
  bool dashed;
} kp_svg_series;

/* A line chart's frame. NaN limits are taken from the data (with a margin). */
typedef struct kp_svg_chart {
  const char *title, *xlabel, *ylabel;
  double xmin, xmax, ymin, ymax;
  int width, height; /* pixels; 0 = 560 x 340 */
  bool diagonal;     /* draw the y = x reference line (ROC) */
} kp_svg_chart;

/** A line chart of ns series as SVG text; malloc'd (NULL without memory). */
char *kp_svg_line_chart(const kp_svg_chart *c, const kp_svg_series *s, int ns);
/** A C x C heatmap of counts (row = true class, column = predicted), each cell coloured by its share of its
 *  row and labelled with its count; names[c] label the rows and columns (NULL: class numbers). malloc'd. */
char *kp_svg_heatmap(const char *title, const int64_t *counts, int64_t C, const char *const *names);
/** Horizontal bars: one group per label, one bar per series (values[s * n + i], in [0, vmax]), value printed
 *  at the bar's end; series_names label the legend when ns > 1. malloc'd. */
char *kp_svg_bars(const char *title, const char *const *labels, int64_t n, const double *values, int ns,
                  const char *const *series_names, double vmax);
/** s with &, <, >, " and ' replaced by entities (and control characters other than tab/newline dropped, as
 *  XML 1.0 forbids them); malloc'd. */
char *kp_xml_escape(const char *s);

#ifdef __cplusplus
}
#endif
#endif
