/* kprca-eval parsing: GA, PA and FGA of a predicted loghub structured CSV against the ground truth. */
#include <stdio.h>
#include <string.h>
#include "cli/eval.h"
#include "kprca/parsing_metrics.h"

static void usage(FILE *f) {
  fprintf(f,
          "usage: kprca-eval parsing --truth X_structured.csv --pred Y_structured.csv [--key id|template]\n"
          "Scores a template parse against ground truth; rows are matched by LineId.\n"
          "  GA   grouping accuracy: lines in predicted groups whose line set equals a truth group's\n"
          "  PA   parsing accuracy: lines whose predicted EventTemplate equals the truth's (whitespace\n"
          "       runs collapsed, ends trimmed)\n"
          "  FGA  F1 of group precision (correct groups / predicted groups) and recall (/ truth groups)\n"
          "  --key id        groups are equal EventIds (logparser's evaluator; default)\n"
          "  --key template  groups are equal EventTemplates (loghub-2.0's evaluator)\n"
          "Truth rows with an empty key are not scored; truth lines without a prediction count as wrong.\n");
}

int eval_parsing_main(int argc, char **argv) {
  const char *truth = NULL, *pred = NULL;
  kp_group_key key = KP_GROUP_BY_ID;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
      usage(stdout);
      return 0;
    }
    if (strcmp(a, "--truth") && strcmp(a, "--pred") && strcmp(a, "--key")) {
      fprintf(stderr, "kprca-eval parsing: unknown option '%s' (see --help)\n", a);
      return 2;
    }
    if (i + 1 >= argc) {
      fprintf(stderr, "kprca-eval parsing: %s needs a value\n", a);
      return 2;
    }
    const char *v = argv[++i];
    if (!strcmp(a, "--truth")) truth = v;
    else if (!strcmp(a, "--pred")) pred = v;
    else if (!strcmp(v, "id")) key = KP_GROUP_BY_ID;
    else if (!strcmp(v, "template")) key = KP_GROUP_BY_TEMPLATE;
    else {
      fprintf(stderr, "kprca-eval parsing: --key '%s': allowed values are id, template\n", v);
      return 2;
    }
  }
  if (!truth || !pred) {
    fprintf(stderr, "kprca-eval parsing: --truth and --pred are required (see --help)\n");
    return 2;
  }
  kp_parse_rows t = {0}, p = {0};
  kp_parse_scores s;
  if (kp_parse_rows_read(truth, &t) != KP_OK || kp_parse_rows_read(pred, &p) != KP_OK ||
      kp_parse_evaluate(&t, &p, key, &s) != KP_OK) {
    fprintf(stderr, "kprca-eval parsing: %s\n", kp_last_error());
    kp_parse_rows_free(&t), kp_parse_rows_free(&p);
    return 2;
  }
  kp_parse_rows_free(&t), kp_parse_rows_free(&p);
  printf("GA  %.4f\nPA  %.4f\nFGA %.4f\n", s.ga, s.pa, s.fga);
  printf("lines %lld, truth groups %lld, predicted groups %lld, correct groups %lld", (long long)s.lines,
         (long long)s.truth_groups, (long long)s.pred_groups, (long long)s.correct_groups);
  if (s.missing) printf(", %lld truth lines without a prediction", (long long)s.missing);
  if (s.extra) printf(", %lld predicted lines not in the truth", (long long)s.extra);
  printf("\n");
  return 0;
}
