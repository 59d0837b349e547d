/* Log parsing accuracy as the loghub benchmarks define it: grouping accuracy (GA, Zhu et al. ICSE
 * 2019), parsing accuracy (PA) and group-level F1 (FGA, Jiang et al. loghub-2.0, ISSTA 2024),
 * computed from loghub "structured" CSV files (LineId, ..., EventId, EventTemplate). */
#ifndef KPRCA_PARSING_METRICS_H
#define KPRCA_PARSING_METRICS_H
#include <stddef.h>
#include <stdint.h>
#include "kprca/status.h"
#ifdef __cplusplus
extern "C" {
#endif

/** The rows of a structured CSV that scoring needs. */
typedef struct kp_parse_rows {
  size_t n;
  int64_t *line_id;
  char **event_id;       /* "" when the cell is empty */
  char **event_template; /* "" when the cell is empty */
} kp_parse_rows;

/** Reads a loghub structured CSV (RFC 4180 quoting, LF or CRLF, optional UTF-8 BOM); it must have
 * LineId, EventId and EventTemplate columns. Errors name the file and line (KP_ERR_IO, KP_ERR_FORMAT). */
kp_status kp_parse_rows_read(const char *path, kp_parse_rows *out);
/** Appends one row (copies the strings); for building rows in memory. */
kp_status kp_parse_rows_push(kp_parse_rows *r, int64_t line_id, const char *event_id, const char *event_template);
void kp_parse_rows_free(kp_parse_rows *r);

typedef enum kp_group_key {
  KP_GROUP_BY_ID = 0,       /* groups = equal EventId (logparser's evaluator) */
  KP_GROUP_BY_TEMPLATE = 1  /* groups = equal EventTemplate (loghub-2.0's evaluator) */
} kp_group_key;

typedef struct kp_parse_scores {
  double ga;  /* lines in correctly grouped predicted groups / lines scored */
  double pa;  /* lines whose predicted template equals the truth template / lines scored */
  double fga; /* F1 of pga and rga */
  double pga; /* correct groups / predicted groups */
  double rga; /* correct groups / truth groups */
  int64_t lines;          /* lines scored: truth rows with a non-empty key */
  int64_t missing;        /* of those, lines with no predicted row (scored as wrong) */
  int64_t extra;          /* predicted rows whose LineId has no scored truth row (ignored) */
  int64_t truth_groups, pred_groups, correct_groups;
} kp_parse_scores;

/** Scores pred against truth, rows matched by LineId. Truth rows whose key is empty are skipped
 * (logparser drops null EventIds). A predicted group is correct when its set of lines equals the
 * set of one truth group. PA compares templates after kp_template_normalize. Duplicate LineIds fail
 * with KP_ERR_FORMAT; no scorable truth rows fail with KP_ERR_INVALID. */
kp_status kp_parse_evaluate(const kp_parse_rows *truth, const kp_parse_rows *pred, kp_group_key key,
                            kp_parse_scores *out);
/** Trims a template and collapses each run of whitespace to one space, in place; returns the new length. */
size_t kp_template_normalize(char *s);

#ifdef __cplusplus
}
#endif
#endif
