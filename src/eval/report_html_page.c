/* Pieces every kprca HTML page shares: the head with its inline style sheet, number cells. */
#include <math.h>
#include <stdio.h>
#include "eval/report_html_internal.h"

static const char CSS[] =
    "body{font-family:sans-serif;margin:24px auto;max-width:1180px;color:#222;background:#fff}"
    "h1{font-size:24px;margin-bottom:4px}h2{font-size:19px;border-bottom:1px solid #ccc;padding-bottom:4px;"
    "margin-top:28px}h3{font-size:15px}"
    "table{border-collapse:collapse;margin:8px 0}th,td{border:1px solid #d0d0d0;padding:3px 9px;text-align:right}"
    "th{background:#f2f4f7}td.l,th.l{text-align:left}"
    "figure{display:inline-block;margin:8px 12px 8px 0;vertical-align:top}"
    "figcaption{font-size:12px;color:#555}"
    "pre{background:#f6f8fa;border:1px solid #ddd;padding:10px;overflow-x:auto;font-size:12px}"
    ".dir{font-family:monospace;color:#555}.notes li{color:#8a4b00}";

void kp_html_head(kp_sbuf *b, const char *title) {
  kp_sbuf_put(b, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>");
  kp_sbuf_esc(b, title);
  kp_sbuf_printf(b, "</title>\n<style>%s</style>\n</head>\n<body>\n", CSS);
}

const char *kp_html_num(char *buf, size_t n, double v) {
  if (isnan(v)) snprintf(buf, n, "-");
  else snprintf(buf, n, "%.4f", v);
  return buf;
}
