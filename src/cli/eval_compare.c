/* kprca-eval --compare RUN1 RUN2 ... [--out DIR]: runs side by side, as a table on stdout and as
 * DIR/compare.html. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli/eval.h"
#include "kprca/report_html.h"
#include "kprca/rundir.h"

static void usage(FILE *f) {
  fprintf(f,
          "usage: kprca-eval --compare RUN1 RUN2 ... [--out DIR]\n"
          "Prints the runs side by side (rows: accuracy, balanced accuracy, macro and weighted F1, loss of\n"
          "each run's test split, else val; best epoch, epochs run, training time, model, device) and\n"
          "writes DIR/compare.html (default DIR: .) with the same table and the validation curves overlaid.\n"
          "A RUN is a kprca-train run directory; a crashed run shows what it has.\n");
}

int eval_compare_main(int argc, char **argv) {
  const char *out = ".";
  const char **dirs = calloc((size_t)argc, sizeof *dirs);
  int n = 0;
  if (!dirs) {
    fprintf(stderr, "kprca-eval --compare: out of memory\n");
    return 1;
  }
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
      usage(stdout);
      free(dirs);
      return 0;
    }
    if (!strcmp(a, "--out")) {
      if (i + 1 >= argc) {
        fprintf(stderr, "kprca-eval --compare: --out needs a directory\n");
        free(dirs);
        return 2;
      }
      out = argv[++i];
    } else if (a[0] == '-' && a[1]) {
      fprintf(stderr, "kprca-eval --compare: unknown option '%s' (see --help)\n", a);
      free(dirs);
      return 2;
    } else {
      dirs[n++] = a;
    }
  }
  if (n < 1) {
    fprintf(stderr, "kprca-eval --compare: give one or more run directories (see --help)\n");
    free(dirs);
    return 2;
  }
  kp_run *runs = calloc((size_t)n, sizeof *runs);
  int loaded = 0, rc = 0;
  for (; runs && loaded < n; loaded++)
    if (kp_run_load(dirs[loaded], &runs[loaded]) != KP_OK) {
      fprintf(stderr, "kprca-eval --compare: %s\n", kp_last_error());
      rc = 2;
      break;
    }
  if (!runs) {
    fprintf(stderr, "kprca-eval --compare: out of memory\n");
    rc = 1;
  }
  if (!rc) {
    char *table = kp_report_compare_text(runs, n), path[4200];
    snprintf(path, sizeof path, "%s/compare.html", out);
    if (kp_mkdirs(out) != KP_OK) {
      fprintf(stderr, "kprca-eval --compare: %s\n", kp_last_error());
      rc = 1;
    } else if (!table) {
      fprintf(stderr, "kprca-eval --compare: out of memory\n");
      rc = 1;
    } else if (kp_report_compare_html(runs, n, path) != KP_OK) {
      fprintf(stderr, "kprca-eval --compare: %s\n", kp_last_error());
      rc = 1;
    } else {
      fputs(table, stdout);
      printf("\ncomparison page: %s\n", path);
    }
    free(table);
  }
  for (int i = 0; runs && i < loaded; i++) kp_run_free(&runs[i]);
  free(runs);
  free(dirs);
  return rc;
}
