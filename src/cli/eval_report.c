/* kprca-eval report RUN: (re)writes a run directory's report.html and plots/ from its files. */
#include <stdio.h>
#include <string.h>
#include "cli/eval.h"
#include "kprca/report_html.h"

int eval_report_main(int argc, char **argv) {
  if (argc == 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
    printf("usage: kprca-eval report RUN\n"
           "Writes RUN/report.html (self-contained: curves, confusion heatmaps, per-class F1, ROC and PR for\n"
           "binary tasks, config, environment) and RUN/plots/*.svg from the run's files; what a crashed run\n"
           "lacks is listed in the report.\n");
    return 0;
  }
  if (argc != 2 || argv[1][0] == '-') {
    fprintf(stderr, "kprca-eval report: give one run directory (usage: kprca-eval report RUN)\n");
    return 2;
  }
  kp_status s = kp_report_html_write(argv[1]);
  if (s != KP_OK) {
    fprintf(stderr, "kprca-eval report: %s\n", kp_last_error());
    return s == KP_ERR_IO || s == KP_ERR_FORMAT ? 2 : 1;
  }
  printf("%s/report.html\n", argv[1]);
  return 0;
}
