/* kprca-infer's printing shared by the line pipeline (infer_run.c) and the GNN incident path (infer_gnn.c): the
 * one-line error, JSON Lines records and the ranked root-cause labels of an incident. */
#ifndef KPRCA_CLI_INFER_PRINT_H
#define KPRCA_CLI_INFER_PRINT_H
#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stdint.h>
#include "kprca/status.h"

/* One ranked label of an incident: its score, and the line that gave it (text NULL: no line, as for a GNN). */
typedef struct infer_rank {
  const char *label;
  double score;
  int64_t lineno;
  const char *text, *by;
} infer_rank;

/** The exit code of s: 0 for KP_OK, else infer_exit_code(s) after the error as one line "kprca-infer: MESSAGE" on
 *  stderr. */
int infer_print_status(kp_status s);
/** x rounded to 6 decimals (scores and times in JSON). */
double infer_round6(double x);
/** Prints j as one line of JSON on standard output, then deletes it (NULL prints nothing). */
void infer_print_json(cJSON *j);
/** Prints n ranked labels of an incident. json: head (the incident's fields) gets "ranking", an array of {rank,
 *  label, score, lineno, text, by} (lineno and text only where text is set), and is printed as one line and
 *  deleted; else one line "  k. label score" (+ "  line N by: text") per label, under the caller's header. */
void infer_print_ranking(bool json, cJSON *head, int n, const infer_rank *e);

#endif
