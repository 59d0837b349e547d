/* Checks the default kernel masks against their reference: one PCRE2 pass of the alternation of
 * the rules over each whole line (what kp_masker_add_defaults promises). Reads each FILE line by
 * line (the line reader's UTF-8 repair), optionally takes the Content field of a log format, and
 * prints the first lines that differ. Exit 0 when all agree.
 * usage: drain_maskcheck [--format FMT] FILE...
 * Built by scripts/bench/drain_bench.sh CHECK=1 against the kprca library. */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "kprca/linereader.h"
#include "kprca/logformat.h"
#include "kprca/mask.h"

static char *reference(pcre2_code *re, pcre2_match_data *md, const char *s, size_t n, size_t *olen) {
  char *out = malloc(3 * n + 1);
  size_t o = 0, pos = 0;
  PCRE2_SIZE *ov = pcre2_get_ovector_pointer(md);
  while (pos <= n && pcre2_match(re, (PCRE2_SPTR)s, n, pos, 0, md, NULL) >= 0) {
    memcpy(out + o, s + pos, ov[0] - pos);
    o += ov[0] - pos;
    memcpy(out + o, "<*>", 3);
    o += 3;
    pos = ov[1];
  }
  if (pos < n) memcpy(out + o, s + pos, n - pos), o += n - pos;
  *olen = o;
  return out;
}

int main(int argc, char **argv) {
  const char *fmt_s = NULL;
  int first = 1;
  if (argc > 2 && !strcmp(argv[1], "--format")) fmt_s = argv[2], first = 3;
  if (first >= argc) {
    fprintf(stderr, "usage: drain_maskcheck [--format FMT] FILE...\n");
    return 2;
  }
  size_t len = 64;
  for (size_t i = 0; i < kp_mask_default_count(); i++) len += strlen(kp_mask_default_pattern(i)) + 8;
  char *alt = malloc(len);
  strcpy(alt, "(?<![A-Za-z0-9_])(?:");
  for (size_t i = 0; i < kp_mask_default_count(); i++) {
    if (i) strcat(alt, "|");
    strcat(alt, "(?:");
    strcat(alt, kp_mask_default_pattern(i));
    strcat(alt, ")");
  }
  strcat(alt, ")");
  int err;
  PCRE2_SIZE eoff;
  pcre2_code *re = pcre2_compile((PCRE2_SPTR)alt, PCRE2_ZERO_TERMINATED, PCRE2_UTF, &err, &eoff, NULL);
  if (!re) return fprintf(stderr, "drain_maskcheck: the reference does not compile\n"), 1;
  pcre2_jit_compile(re, PCRE2_JIT_COMPLETE);
  pcre2_match_data *md = pcre2_match_data_create(1, NULL);
  kp_masker *m;
  kp_logformat *fmt = NULL;
  if (kp_masker_new(&m) != KP_OK || kp_masker_add_defaults(m) != KP_OK) return 1;
  if (fmt_s && kp_logformat_compile(fmt_s, &fmt) != KP_OK) return fprintf(stderr, "%s\n", kp_last_error()), 2;
  int ci = fmt ? kp_logformat_find(fmt, "Content") : -1;
  long long lines = 0, masked = 0, bad = 0;
  kp_span sp[64];
  for (int a = first; a < argc; a++) {
    kp_line_reader *r;
    if (kp_line_reader_open(argv[a], &r) != KP_OK) return fprintf(stderr, "%s\n", kp_last_error()), 2;
    for (;;) {
      const char *line, *o;
      size_t l, ol, rl;
      bool eof, ok = true;
      if (kp_line_reader_next(r, &line, &l, &eof) != KP_OK) return fprintf(stderr, "%s\n", kp_last_error()), 1;
      if (eof) break;
      if (fmt) {
        if (kp_logformat_match(fmt, line, l, sp, &ok) != KP_OK) return 1;
        if (!ok) continue;
        line += sp[ci].off, l = sp[ci].len;
      }
      lines++;
      if (kp_masker_apply(m, line, l, &o, &ol) != KP_OK) return fprintf(stderr, "%s\n", kp_last_error()), 1;
      char *ref = reference(re, md, line, l, &rl);
      masked += ol != l || memcmp(o, line, l);
      if (rl != ol || memcmp(ref, o, ol)) {
        if (bad++ < 10) printf("%s:%lld: differs\n  line: %.*s\n  ref:  %.*s\n  got:  %.*s\n", argv[a],
                               (long long)kp_line_reader_lineno(r), (int)l, line, (int)rl, ref, (int)ol, o);
      }
      free(ref);
    }
    kp_line_reader_close(r);
  }
  printf("%lld lines, %lld changed by the masks, %lld differ from the PCRE2 reference\n", lines, masked, bad);
  kp_masker_free(m);
  kp_logformat_free(fmt);
  pcre2_match_data_free(md);
  pcre2_code_free(re);
  free(alt);
  return bad ? 1 : 0;
}
