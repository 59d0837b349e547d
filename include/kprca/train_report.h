/* What a training run leaves for people and benchmark scripts: metrics.jsonl lines, the final
 * text report (accuracy, macro and weighted P/R/F1, scikit-learn's classification_report, the
 * confusion matrix with label names, per split), metrics.json and predictions.csv. */
#ifndef KPRCA_TRAIN_REPORT_H
#define KPRCA_TRAIN_REPORT_H
#include <stdio.h>

#include "kprca/config.h"
#include "kprca/h5.h"
#include "kprca/trainer.h"
#ifdef __cplusplus
extern "C" {
#endif

/** One metrics.jsonl object (no newline) for an epoch: epoch, step, lr, train_loss, time_s, items_per_s, and when
 *  evaluated val_loss, val_accuracy, val_macro_f1 plus val_<m> for each eval.metrics entry; malloc'd. */
char *kp_epoch_log_json(const kp_epoch_log *e, const kp_config *cfg);
/** The text report of the given splits (a section per split); malloc'd. */
char *kp_train_report_text(const kp_split_eval *evals, int n, const kp_strings *names);
/** metrics.json: {"<split>": {kp_metrics_json + "loss"}, ..., then extra (a JSON object text whose members are
 *  appended, or NULL)}; malloc'd, NULL on a bad extra. */
char *kp_train_metrics_json(const kp_split_eval *evals, int n, const kp_strings *names, const char *extra);
/** Writes predictions.csv to path atomically: id, split, true, pred, then p_<class> per class. */
kp_status kp_train_write_predictions(const char *path, const kp_split_eval *evals, int n, const kp_strings *names);
/** The end of a run: scores each split of eval.splits (or only `split` when >= 0), prints the report to out (may be
 *  NULL), and when dir is non-NULL writes dir/report.txt, dir/metrics.json (with extra's members, a JSON object text
 *  or NULL) and dir/predictions.csv. */
kp_status kp_trainer_report(kp_trainer *t, int split, const char *dir, const char *extra, FILE *out);
/** Writes text to path atomically (temporary file, fsync, rename). */
kp_status kp_write_file_atomic(const char *path, const char *text);

#ifdef __cplusplus
}
#endif
#endif
