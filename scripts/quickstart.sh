#!/usr/bin/env bash
# Installs what is missing, builds, and runs the main job on the embedded data.
# Until the GNN trainer (kprca-train --config configs/gat.yaml) lands, the main job is
# kprca-demo: a real 2-layer GCN trained on a built-in synthetic incident graph.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
./scripts/build.sh
BIN=${KPRCA_BUILD_DIR:-build}/bin
"$BIN/kprca-info"
echo
"$BIN/kprca-demo" --device "${KPRCA_DEVICE:-auto}" "$@"
