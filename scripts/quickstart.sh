#!/usr/bin/env bash
# Installs what is missing, builds, makes the embedded datasets and runs the main job:
#   kprca-train --config configs/gat.yaml   (a GAT on the kernel-incident graphs)
# Extra arguments go to kprca-train, e.g. ./scripts/quickstart.sh train.epochs=10 device=cpu
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
./scripts/build.sh
BIN=${KPRCA_BUILD_DIR:-build}/bin
"$BIN/kprca-info"
echo
DATA=datasets/kernel-panic-3k/incident-graphs.h5
if [ ! -f "$DATA" ]; then
  if [ -x scripts/make-datasets.sh ]; then
    ./scripts/make-datasets.sh
  else
    echo "quickstart: $DATA is missing and scripts/make-datasets.sh is not there yet." >&2
    echo "quickstart: running kprca-demo (a GCN on a built-in synthetic incident graph) instead." >&2
    exec "$BIN/kprca-demo" --device "${KPRCA_DEVICE:-auto}"
  fi
fi
exec "$BIN/kprca-train" --config configs/gat.yaml "$@"
