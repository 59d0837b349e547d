/* kprca-train: trains a GNN (GCN, GraphSAGE, GAT) or a BERT line classifier (model.name bert,
 * src/cli/train_lines.c) from YAML experiment configs and writes a run
 * directory with the resolved config, per-epoch metrics, checkpoints and the final report. */
#include <stdio.h>
#include <string.h>

#include "cli/train.h"

static void usage(FILE *f) {
  fprintf(f,
          "usage: kprca-train --config FILE [--config FILE2 ...] [KEY=VALUE | --KEY=VALUE | --KEY VALUE ...]\n"
          "                   [--print-config] [--dry-run] [--resume auto|PATH] [--help]\n"
          "Trains the model a config describes (docs/configs.md lists every key) and writes\n"
          "OUTPUT.DIR/NAME/TIMESTAMP/: config.yaml, metrics.jsonl, checkpoints/, report.txt,\n"
          "metrics.json, predictions.csv. The final report is also printed.\n"
          "  --config FILE      YAML config; repeat to merge (later files win)\n"
          "  KEY=VALUE          override one key, e.g. optim.lr=0.005 or --train.epochs=50\n"
          "  --print-config     print the resolved config and exit\n"
          "  --dry-run          check the config, load the data, build the model, print sizes and exit\n"
          "  --resume auto      continue the latest run of this config's name under output.dir\n"
          "  --resume PATH      continue from a checkpoint file, checkpoints/ folder or run directory\n"
          "Ctrl-C stops after the current epoch and writes a checkpoint (exit 130).\n"
          "Exit codes: 0 done, 1 runtime failure, 2 bad config, data or usage, 130 interrupted.\n");
}

int main(int argc, char **argv) {
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "--")) break;
    if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
      usage(stdout);
      return 0;
    }
  }
  if (argc < 2) {
    usage(stderr);
    return 2;
  }
  kp_config *cfg = NULL;
  kp_config_rest rest = {0};
  kp_status s = kp_config_from_args(argc, argv, &cfg, &rest);
  if (s != KP_OK) return train_fail(s);
  train_cli cli = {0};
  int rc = 0;
  for (int i = 1; i < rest.argc && rc == 0; i++) {
    const char *a = rest.argv[i];
    if (!strcmp(a, "--dry-run"))
      cli.dry_run = true;
    else if (!strcmp(a, "--print-config"))
      cli.print_config = true;
    else if (!strcmp(a, "--resume") && i + 1 < rest.argc)
      cli.resume = rest.argv[++i];
    else if (!strncmp(a, "--resume=", 9) && a[9])
      cli.resume = a + 9;
    else {
      fprintf(stderr, "kprca-train: unknown or incomplete argument '%s' (see --help)\n", a);
      rc = 2;
    }
  }
  if (rc == 0) {
    if (cli.print_config)
      rc = kp_config_print(cfg, stdout, KP_CFG_PRINT_SOURCES) == KP_OK ? 0 : train_fail(KP_ERR_IO);
    else if (kp_config_string(cfg, "eval.cv.folds"))
      rc = train_cv_run(cfg, &cli);
    else if (!strcmp(kp_config_string(cfg, "model.name"), "bert"))
      rc = train_lines_run(cfg, &cli);
    else
      rc = train_run(cfg, &cli);
  }
  kp_config_rest_free(&rest);
  kp_config_free(cfg);
  return rc;
}
