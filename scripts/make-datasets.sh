#!/usr/bin/env bash
# Makes the embedded default datasets (datasets/README.md): the synthetic corpus
# datasets/kernel-panic-3k/ and, from it, incident-graphs.h5, case-graph.h5, lines.h5 and
# lines-category.h5; plus datasets/cora.h5 from the shared Planetoid files when they are present.
# Idempotent: a file is rebuilt only when missing or older than what it is made from (the corpus,
# kprca-prep, this script). Usage: scripts/make-datasets.sh [BIN_DIR]  (default $KPRCA_BIN or build/bin)
# KPRCA_ENCODER_DATASETS=1 also builds case-graph-encoder.h5 and incident-graphs-encoder.h5 (encoder features
# from $KPRCA_ENCODER, default models/all-MiniLM-L6-v2; docs/pipeline.md).
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${1:-${KPRCA_BIN:-build/bin}}
PREP="$BIN/kprca-prep"
if [ ! -x "$PREP" ]; then
  echo "make-datasets: $PREP not found: build kprca first (scripts/build.sh) or pass the bin directory" >&2
  exit 2
fi
SELF=scripts/make-datasets.sh
DIR=datasets/kernel-panic-3k
# stale TARGET DEPS...: true when TARGET is missing or older than one of DEPS
stale() {
  local t=$1; shift
  [ -e "$t" ] || return 0
  for d in "$@"; do [ "$d" -nt "$t" ] && return 0; done
  return 1
}
timed() { # timed LABEL COMMAND...: runs it, prints its first output line and the wall time
  local label=$1; shift
  local t0=$EPOCHREALTIME
  "$@" > "$TMPOUT"
  printf '%s (%s s): %s\n' "$label" "$(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }')" \
    "$(head -1 "$TMPOUT")"
}
TMPOUT=$(mktemp); trap 'rm -f "$TMPOUT"' EXIT

if stale "$DIR/labels.csv" "$PREP" "$SELF"; then
  timed "corpus" "$PREP" synth --incidents 3000 --seed 1 --out "$DIR" --force --quiet
  touch "$DIR/labels.csv"
else
  echo "corpus: $DIR is up to date"
fi
build() { # build OUT.h5 ARGS...
  local out=$1; shift
  if stale "$out" "$DIR/labels.csv" "$PREP" "$SELF"; then
    timed "$(basename "$out")" "$PREP" build --input "$DIR" --out "$out" "$@"
  else
    echo "$(basename "$out"): up to date"
  fi
}
build "$DIR/incident-graphs.h5" --kind incident-graphs --window-s 1800 --features 128 --seed 0
build "$DIR/case-graph.h5" --kind case-graph --fault-lines labels --k 10 --features 128 --seed 0
build "$DIR/lines.h5" --kind lines --window-s 1800 --max-lines 16 --seed 0
build "$DIR/lines-category.h5" --kind lines --labels category --window-s 1800 --max-lines 16 --seed 0

# Optional (KPRCA_ENCODER_DATASETS=1): the same graphs with sentence-embedding node features from a BERT
# encoder (docs/pipeline.md). KPRCA_ENCODER: a HF BERT directory (default models/all-MiniLM-L6-v2, from
# scripts/fetch-model.sh) or a kprca-train run of a fine-tuned line classifier. Minutes of CPU each.
if [ "${KPRCA_ENCODER_DATASETS:-0}" = 1 ]; then
  ENC=${KPRCA_ENCODER:-models/all-MiniLM-L6-v2}
  if [ ! -e "$ENC" ]; then
    echo "make-datasets: KPRCA_ENCODER $ENC not found (run scripts/fetch-model.sh or name a kprca-train run)" >&2
    exit 2
  fi
  ENC_DEPS=("$ENC")
  [ -f "$ENC/model.safetensors" ] && ENC_DEPS=("$ENC/model.safetensors")
  [ -f "$ENC/checkpoints/latest" ] && ENC_DEPS=("$ENC/checkpoints/latest")
  build_enc() { # build_enc OUT.h5 ARGS...: also stale when the encoder is newer
    local out=$1; shift
    if stale "$out" "$DIR/labels.csv" "$PREP" "$SELF" "${ENC_DEPS[@]}"; then
      timed "$(basename "$out")" "$PREP" build --input "$DIR" --out "$out" "$@"
    else
      echo "$(basename "$out"): up to date"
    fi
  }
  build_enc "$DIR/case-graph-encoder.h5" --kind case-graph --fault-lines labels --k 10 --seed 0 --encoder "$ENC"
  build_enc "$DIR/incident-graphs-encoder.h5" --kind incident-graphs --window-s 1800 --seed 0 --encoder "$ENC"
fi

# Cora from the shared Planetoid release (../shared/data, or $KPRCA_DATA)
DATA=${KPRCA_DATA:-../shared/data}
PLANETOID="$DATA/planetoid"
if [ ! -f "$PLANETOID/ind.cora.graph" ]; then
  echo "make-datasets: warning: $PLANETOID/ind.cora.* not found (set KPRCA_DATA); datasets/cora.h5 skipped" >&2
elif stale datasets/cora.h5 scripts/planetoid_to_h5.py "$PLANETOID/ind.cora.graph"; then
  VENV=${KPRCA_VENV:-build/pyvenv}
  if ! "$VENV/bin/python" -c 'import numpy, scipy, h5py' 2> /dev/null; then
    echo "make-datasets: creating $VENV (numpy, scipy, h5py from PyPI)"
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install -q numpy scipy h5py
  fi
  timed "cora.h5" "$VENV/bin/python" scripts/planetoid_to_h5.py --name cora --dir "$PLANETOID" --out datasets/cora.h5
else
  echo "cora.h5: up to date"
fi
for f in "$DIR"/*.h5 datasets/cora.h5; do  # what exists (cora.h5 may have been skipped)
  [ -f "$f" ] && printf '  %-45s %6.1f MB\n' "$f" "$(awk -v b="$(stat -c %s "$f")" 'BEGIN { print b / 1e6 }')"
done
exit 0
