/* kprca-prep synth: generate the synthetic kernel-panic corpus as an incident directory. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "cli/prep.h"
#include "kprca/synth.h"

static void usage(FILE *f) {
  fprintf(f,
          "usage: kprca-prep synth --incidents N --seed S --out DIR [--benign-fraction F] [--categories a,b,...] [--force] [--quiet]\n"
          "Writes N synthetic kern.log incidents to DIR (labels.csv + incidents/NNNNNN.log). The same N and S give\n"
          "byte-identical output on every machine; incident i depends only on (S, i).\n"
          "  --incidents N        number of incidents, 1..100000000\n"
          "  --seed S             random seed, 0..18446744073709551615\n"
          "  --out DIR            output directory; refused if it exists and is not empty\n"
          "  --benign-fraction F  share of benign incidents (label 'none', no panic), 0..1 (default 0.1)\n"
          "  --categories LIST    root causes to draw from (default: all), comma-separated\n"
          "  --force              replace a non-empty DIR (only after the new corpus is complete)\n"
          "  --quiet              no progress on stderr\n"
          "  --list-categories    print the categories and exit\n"
          "The threads used follow OMP_NUM_THREADS; the output does not depend on them.\n");
}

static int bad(const char *msg, const char *flag, const char *v) {
  fprintf(stderr, "kprca-prep synth: %s %s, got '%s'\n", flag, msg, v ? v : "");
  return 2;
}

static bool parse_u64(const char *v, uint64_t lo, uint64_t hi, uint64_t *out) {
  if (!v || !*v || *v == '-' || *v == '+') return false;
  char *end = NULL;
  errno = 0;
  unsigned long long x = strtoull(v, &end, 10);
  if (errno || *end || x < lo || x > hi) return false;
  *out = x;
  return true;
}

static void on_progress(int64_t done, int64_t total, void *user) {
  const double *t0 = user;
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  double t = (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec - *t0;
  fprintf(stderr, "kprca-prep synth: %lld/%lld incidents (%.0f s)\n", (long long)done, (long long)total, t);
}

int prep_synth_main(int argc, char **argv) {
  kp_synth_config cfg = kp_synth_config_default();
  const char *out = NULL;
  bool have_n = false, have_seed = false, force = false, quiet = false;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
    uint64_t x;
    if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
      usage(stdout);
      return 0;
    } else if (!strcmp(a, "--list-categories")) {
      for (int c = 0; c < kp_synth_category_count(); c++) printf("%-14s %s\n", kp_synth_category_name(c), kp_synth_category_about(c));
      return 0;
    } else if (!strcmp(a, "--incidents")) {
      if (!parse_u64(v, 1, 100000000, &x)) return bad("expects an integer in [1, 100000000]", a, v);
      cfg.incidents = (int64_t)x, have_n = true, i++;
    } else if (!strcmp(a, "--seed")) {
      if (!parse_u64(v, 0, UINT64_MAX, &x)) return bad("expects an integer in [0, 18446744073709551615]", a, v);
      cfg.seed = x, have_seed = true, i++;
    } else if (!strcmp(a, "--out")) {
      if (!v || !*v) return bad("expects a directory", a, v);
      out = v, i++;
    } else if (!strcmp(a, "--benign-fraction")) {
      char *end = NULL;
      double f = v ? strtod(v, &end) : -1;
      if (!v || !*v || *end || !(f >= 0 && f <= 1)) return bad("expects a number in [0, 1]", a, v);
      cfg.benign_fraction = f, i++;
    } else if (!strcmp(a, "--categories")) {
      if (!v || !*v) return bad("expects a comma-separated list of categories", a, v);
      if (kp_synth_parse_categories(v, &cfg.category_mask) != KP_OK) {
        fprintf(stderr, "kprca-prep synth: %s\n", kp_last_error());
        return 2;
      }
      i++;
    } else if (!strcmp(a, "--force")) {
      force = true;
    } else if (!strcmp(a, "--quiet")) {
      quiet = true;
    } else {
      fprintf(stderr, "kprca-prep synth: unknown or incomplete argument '%s' (see --help)\n", a);
      return 2;
    }
  }
  if (!have_n || !have_seed || !out) {
    fprintf(stderr, "kprca-prep synth: --incidents, --seed and --out are required (see --help)\n");
    return 2;
  }
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  double t0 = (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
  kp_synth_stats st;
  kp_status s = kp_synth_write_dir(&cfg, out, force, quiet ? NULL : on_progress, &t0, &st);
  if (s != KP_OK) {
    fprintf(stderr, "kprca-prep synth: %s\n", kp_last_error());
    return s == KP_ERR_INVALID ? 2 : 1;
  }
  clock_gettime(CLOCK_MONOTONIC, &ts);
  double secs = (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec - t0;
  printf("wrote %lld incidents to %s: %lld lines (%lld to %lld per incident), %.1f MB, %lld root-cause lines, %.2f s\n",
         (long long)st.incidents, out, (long long)st.lines, (long long)st.min_lines, (long long)st.max_lines, (double)st.bytes / 1e6,
         (long long)st.cause_lines, secs);
  for (int c = 0; c < kp_synth_category_count(); c++)
    if (st.per_category[c]) printf("  %-14s %lld\n", kp_synth_category_name(c), (long long)st.per_category[c]);
  return 0;
}
