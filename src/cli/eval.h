/* kprca-eval's subcommands. */
#ifndef KPRCA_CLI_EVAL_H
#define KPRCA_CLI_EVAL_H

/** kprca-eval parsing: grouping accuracy, parsing accuracy and group F1 of a template parse. */
int eval_parsing_main(int argc, char **argv);
/** kprca-eval leadtime: failure prediction with lead time (docs/metrics.md). */
int eval_leadtime_main(int argc, char **argv);

/** kprca-eval --checkpoint: scores a kprca-train checkpoint on a dataset with the training report. */
int eval_checkpoint_main(int argc, char **argv);
/** kprca-eval --compare RUN...: runs side by side, as a table and compare.html. */
int eval_compare_main(int argc, char **argv);
/** kprca-eval report RUN: writes RUN/report.html and RUN/plots/. */
int eval_report_main(int argc, char **argv);

#endif
