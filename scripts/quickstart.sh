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
./scripts/make-datasets.sh "$BIN"   # idempotent: rebuilds only what is missing or stale
echo
exec "$BIN/kprca-train" --config configs/gat.yaml "$@"
