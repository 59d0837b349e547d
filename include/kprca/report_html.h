/* The HTML report of a run directory (DESIGN.md §5): report.html, self-contained (inline SVG and CSS, no
 * script, no network), with loss and metric curves, confusion heatmaps, per-class F1 bars, ROC and PR
 * curves for binary tasks, the config and the environment; each plot also as plots/<name>.svg. The run is
 * read back from its files (metrics.jsonl, metrics.json, predictions.csv, config.yaml), so a crashed run's
 * report shows what it has and names what is missing. Also the side-by-side comparison of runs. */
#ifndef KPRCA_REPORT_HTML_H
#define KPRCA_REPORT_HTML_H
#include <stdbool.h>
#include <stdint.h>
#include "kprca/status.h"
#ifdef __cplusplus
extern "C" {
#endif

/* One split ("train", "val", "test") of metrics.json; NaN / NULL for what the file lacks. */
typedef struct kp_run_split {
  char name[16];
  int64_t n, num_classes;
  double accuracy, balanced_accuracy, macro_f1, weighted_f1, loss;
  char **labels;                   /* [num_classes] */
  int64_t *confusion;              /* [C*C] row = true, or NULL */
  double *precision, *recall, *f1; /* [C] or NULL */
  int64_t *support;                /* [C] or NULL */
  /* binary tasks, from predictions.csv: positive-class probability and 1/0 truth per item */
  float *pos_score;
  int32_t *pos_y;
  int64_t n_scored;
} kp_run_split;

/* What a run directory holds, read leniently. */
typedef struct kp_run {
  char *dir;
  bool has_config, has_log, has_metrics, has_predictions;
  char *config_text;    /* config.yaml as written, or NULL */
  int64_t seed;         /* train.seed, -1 when unknown */
  char *written_by;     /* "kprca 0.1.0" from config.yaml's header comment, or NULL */
  int64_t n_log;        /* metrics.jsonl rows */
  int n_keys;           /* numeric keys seen in metrics.jsonl, in first-seen order */
  char **keys;
  double **cols;        /* cols[k][row], NaN where a row lacks the key */
  int nsplits;
  kp_run_split splits[3];
  double best_epoch, epochs_run, train_time_s, num_params; /* NaN when absent */
  int early_stopped;                                       /* -1 unknown */
  char *model, *task, *device;                             /* NULL when absent */
  int nnotes;
  char **notes; /* what is missing or unreadable, one sentence each */
} kp_run;

/** Reads the run directory dir into run (zeroed first); missing or damaged files become notes. KP_ERR_IO
 *  when dir is not a readable directory; KP_ERR_FORMAT when it has none of the run files. */
kp_status kp_run_load(const char *dir, kp_run *run);
/** Frees what run holds and zeroes it; NULL is fine. */
void kp_run_free(kp_run *run);
/** The metrics.jsonl column called key ([n_log] values, NaN where absent), or NULL. */
const double *kp_run_column(const kp_run *run, const char *key);
/** The split called name ("test", "val", "train"), or NULL. */
const kp_run_split *kp_run_split_named(const kp_run *run, const char *name);
/** The split a summary quotes: test when present, else val, else the first; NULL when there is none. */
const kp_run_split *kp_run_main_split(const kp_run *run);

/** Writes run_dir/report.html and run_dir/plots/<name>.svg (all atomically) from the run's files. */
kp_status kp_report_html_write(const char *run_dir);
/** The report page of a loaded run as HTML text; plot_dir non-NULL also writes each plot there. malloc'd in *html. */
kp_status kp_report_html_render(const kp_run *run, const char *plot_dir, char **html);

/** A side-by-side text table of runs (rows: metrics, columns: runs); malloc'd. */
char *kp_report_compare_text(const kp_run *runs, int n);
/** Writes the comparison page (the table and overlaid validation curves) to path atomically. */
kp_status kp_report_compare_html(const kp_run *runs, int n, const char *path);

#ifdef __cplusplus
}
#endif
#endif
