#!/usr/bin/env bash
# kprca-infer throughput on CPU (lines/s) over a synthetic kernel-log corpus: rules only, and
# all-MiniLM-L6-v2 with a (fresh, untrained) 2-class head, with and without the score cache.
# The head's weights do not change the work done, so an untrained head measures the same speed
# as a fine-tuned one. Then a GNN incident model (configs/gat.yaml trained 2 epochs on GNN_TRAIN
# synthetic incidents) ranking GNN_SCORE other incidents with --incident: incidents/s and lines/s
# (featurising from the dataset's builder state + the forward pass).
# Usage: scripts/bench/infer_bench.sh [BUILD_DIR] [INCIDENTS] [LINES] [GNN_TRAIN] [GNN_SCORE]
# (defaults: build, 20 incidents, their first 2000 lines, 300, 200). The MiniLM rows need
# models/all-MiniLM-L6-v2 (scripts/fetch-model.sh) and are skipped without it.
set -euo pipefail
SRC=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${1:-$SRC/build}
N=${2:-20}
LINES=${3:-2000}
GNN_TRAIN=${4:-300}
GNN_SCORE=${5:-200}
BIN=$BUILD/bin
MINILM=$SRC/models/all-MiniLM-L6-v2
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
for t in kprca-infer kprca-prep kprca-train; do
  [ -x "$BIN/$t" ] || { echo "infer_bench: build kprca-infer, kprca-prep and kprca-train in $BUILD" >&2; exit 2; }
done
have_minilm=0
[ -f "$MINILM/model.safetensors" ] && have_minilm=1

"$BIN/kprca-prep" synth --incidents "$N" --seed 7 --out "$tmp/syn" --quiet
awk -v n="$LINES" "NR <= n" "$tmp"/syn/incidents/*.log > "$tmp/all.log"
lines=$(wc -l < "$tmp/all.log")

# MiniLM with id2label in config.json: kprca-infer adds a fresh classifier head.
mkdir "$tmp/minilm"
[ $have_minilm = 1 ] && for f in model.safetensors vocab.txt tokenizer_config.json special_tokens_map.json; do
  [ -e "$MINILM/$f" ] && ln -s "$MINILM/$f" "$tmp/minilm/$f"
done
[ $have_minilm = 1 ] && sed 's/^{/{"id2label": {"0": "ordinary", "1": "root_cause"},/' "$MINILM/config.json" > "$tmp/minilm/config.json"

echo "machine: $(nproc --all) cores, load $(cut -d' ' -f1 /proc/loadavg), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), OMP_NUM_THREADS=${OMP_NUM_THREADS:-unset}"
echo "corpus: $N synthetic incidents, $lines lines"
run() { # name, args...
  local name=$1; shift
  "$BIN/kprca-infer" --stats "$@" "$tmp/all.log" > /dev/null 2> "$tmp/err"
  printf '%-34s %s\n' "$name" "$(grep -o '[0-9]* lines in [0-9.]* s ([0-9]* lines/s)' "$tmp/err" || cat "$tmp/err")"
  grep -o '[0-9]* texts scored by the model, cache [0-9]* hits / [0-9]* misses' "$tmp/err" | sed 's/^/    /' || true
}
run "rules only" --rules "$SRC/configs/rules/kernel-panic.yaml" --all
if [ $have_minilm = 1 ]; then
  run "MiniLM, cache (exact text)" --model "$tmp/minilm" --device cpu --all
  run "MiniLM, cache (masked text)" --model "$tmp/minilm" --device cpu --all --cache-key masked
  run "MiniLM + rules, cache (masked)" --model "$tmp/minilm" --rules "$SRC/configs/rules/kernel-panic.yaml" --device cpu --all --cache-key masked
  run "MiniLM, no cache" --model "$tmp/minilm" --device cpu --all --cache 0
else
  echo "MiniLM rows skipped: $MINILM missing (scripts/fetch-model.sh)"
fi

# GNN incident model: trained on one corpus, scoring incidents of another (seed), whole files.
"$BIN/kprca-prep" synth --incidents "$GNN_TRAIN" --seed 8 --out "$tmp/gtrain" --quiet > /dev/null
"$BIN/kprca-prep" build --input "$tmp/gtrain" --kind incident-graphs --out "$tmp/ig.h5" > /dev/null
"$BIN/kprca-train" --config "$SRC/configs/gat.yaml" data.path="$tmp/ig.h5" output.dir="$tmp/exp" train.epochs=2 \
  train.progress=none device=cpu > /dev/null 2>&1
"$BIN/kprca-prep" synth --incidents "$GNN_SCORE" --seed 9 --out "$tmp/gscore" --quiet > /dev/null
glines=$(cat "$tmp"/gscore/incidents/*.log | wc -l)
echo "GNN corpus: trained on $GNN_TRAIN incidents (seed 8), scoring $GNN_SCORE others (seed 9, $glines lines)"
grun() { # name, env...
  local name=$1; shift
  env "$@" "$BIN/kprca-infer" --model "$(ls -d "$tmp"/exp/gat/*/ | head -1)" --incident --device cpu --stats \
    "$tmp"/gscore/incidents/*.log > /dev/null 2> "$tmp/err"
  printf '%-34s %s\n' "$name" \
    "$(grep -o '[0-9]* incidents, [0-9]* lines in [0-9.]* s ([0-9.]* incidents/s, [0-9]* lines/s)' "$tmp/err" || cat "$tmp/err")"
}
grun "GAT incidents, OMP_NUM_THREADS=${OMP_NUM_THREADS:-unset}"
grun "GAT incidents, one thread" OMP_NUM_THREADS=1
