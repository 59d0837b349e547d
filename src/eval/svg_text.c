/* Text for SVG and HTML: a growing buffer, XML escaping, short number formatting. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "eval/svg_internal.h"
#include "kprca/svg.h"

static bool grow(kp_sbuf *b, size_t extra) {
  if (b->bad) return false;
  if (b->n + extra + 1 <= b->cap) return true;
  size_t cap = b->cap ? b->cap : 256;
  while (cap < b->n + extra + 1) cap *= 2;
  char *q = realloc(b->s, cap);
  if (!q) {
    b->bad = true;
    return false;
  }
  b->s = q;
  b->cap = cap;
  return true;
}

void kp_sbuf_printf(kp_sbuf *b, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int k = vsnprintf(NULL, 0, fmt, ap);
  va_end(ap);
  if (k < 0) {
    b->bad = true;
    return;
  }
  if (!grow(b, (size_t)k)) return;
  va_start(ap, fmt);
  vsnprintf(b->s + b->n, (size_t)k + 1, fmt, ap);
  va_end(ap);
  b->n += (size_t)k;
}

void kp_sbuf_put(kp_sbuf *b, const char *s) {
  if (!s) return;
  size_t k = strlen(s);
  if (!grow(b, k)) return;
  memcpy(b->s + b->n, s, k + 1);
  b->n += k;
}

/* Escapes bytes [s, e). */
static void esc_range(kp_sbuf *b, const char *s, const char *e) {
  for (const char *p = s; p < e; p++) {
    unsigned char c = (unsigned char)*p;
    switch (c) {
      case '&': kp_sbuf_put(b, "&amp;"); break;
      case '<': kp_sbuf_put(b, "&lt;"); break;
      case '>': kp_sbuf_put(b, "&gt;"); break;
      case '"': kp_sbuf_put(b, "&quot;"); break;
      case '\'': kp_sbuf_put(b, "&#39;"); break;
      default:
        if (c < 0x20 && c != '\t' && c != '\n') break; /* not allowed in XML 1.0 */
        if (grow(b, 1)) {
          b->s[b->n++] = (char)c;
          b->s[b->n] = 0;
        }
    }
  }
}

void kp_sbuf_esc(kp_sbuf *b, const char *s) {
  if (s) esc_range(b, s, s + strlen(s));
}

void kp_sbuf_esc_cut(kp_sbuf *b, const char *s, int max) {
  if (!s) return;
  const char *p = s;
  int cps = 0;
  while (*p && cps < max) { /* advance one UTF-8 code point */
    p++;
    while (((unsigned char)*p & 0xC0) == 0x80) p++;
    cps++;
  }
  if (!*p) {
    esc_range(b, s, p);
    return;
  }
  /* cut: keep max-1 code points and an ellipsis */
  const char *q = s;
  for (int i = 0; i < max - 1 && *q; i++) {
    q++;
    while (((unsigned char)*q & 0xC0) == 0x80) q++;
  }
  esc_range(b, s, q);
  kp_sbuf_put(b, "\xE2\x80\xA6");
}

char *kp_sbuf_take(kp_sbuf *b) {
  if (b->bad) {
    free(b->s);
    b->s = NULL;
    return NULL;
  }
  char *s = b->s ? b->s : calloc(1, 1);
  b->s = NULL;
  b->n = b->cap = 0;
  return s;
}

char *kp_xml_escape(const char *s) {
  kp_sbuf b = {0};
  kp_sbuf_put(&b, "");
  kp_sbuf_esc(&b, s);
  return kp_sbuf_take(&b);
}

const char *kp_fmt_num(char *buf, size_t n, double v, int sig) {
  if (isnan(v)) snprintf(buf, n, "-");
  else if (v == 0) snprintf(buf, n, "0");
  else snprintf(buf, n, "%.*g", sig, v);
  return buf;
}
