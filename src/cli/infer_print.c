/* kprca-infer's printing (infer_print.h): the one-line error, one JSON object per output line, and incident
 * rankings as JSON or as indented text lines. */
#include "cli/infer_print.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include "cli/infer.h"

int infer_print_status(kp_status s) {
  if (s == KP_OK) return 0;
  fprintf(stderr, "kprca-infer: %s\n", kp_last_error());
  return infer_exit_code(s);
}

double infer_round6(double x) { return round(x * 1e6) / 1e6; }

void infer_print_json(cJSON *j) {
  char *s = cJSON_PrintUnformatted(j);
  if (s) puts(s);
  free(s);
  cJSON_Delete(j);
}

void infer_print_ranking(bool json, cJSON *head, int n, const infer_rank *e) {
  if (!json) {
    for (int k = 0; k < n; k++) {
      printf("  %d. %-16s %.4f", k + 1, e[k].label, e[k].score);
      if (e[k].text) printf("  line %lld %s: %s", (long long)e[k].lineno, e[k].by, e[k].text);
      putchar('\n');
    }
    return;
  }
  cJSON *arr = cJSON_CreateArray();
  for (int k = 0; k < n; k++) {
    cJSON *x = cJSON_CreateObject();
    cJSON_AddNumberToObject(x, "rank", k + 1);
    cJSON_AddStringToObject(x, "label", e[k].label);
    cJSON_AddNumberToObject(x, "score", infer_round6(e[k].score));
    if (e[k].text) {
      cJSON_AddNumberToObject(x, "lineno", (double)e[k].lineno);
      cJSON_AddStringToObject(x, "text", e[k].text);
    }
    cJSON_AddStringToObject(x, "by", e[k].by);
    cJSON_AddItemToArray(arr, x);
  }
  cJSON_AddItemToObject(head, "ranking", arr);
  infer_print_json(head);
}
