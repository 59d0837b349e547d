#!/usr/bin/env bash
# kprca-infer throughput on CPU (lines/s) over a synthetic kernel-log corpus: rules only, and
# all-MiniLM-L6-v2 with a (fresh, untrained) 2-class head, with and without the score cache.
# The head's weights do not change the work done, so an untrained head measures the same speed
# as a fine-tuned one. Usage: scripts/bench/infer_bench.sh [BUILD_DIR] [INCIDENTS]
# [LINES] (defaults: build, 20 incidents, their first 2000 lines). Needs models/all-MiniLM-L6-v2 (scripts/fetch-model.sh).
set -euo pipefail
SRC=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${1:-$SRC/build}
N=${2:-20}
LINES=${3:-2000}
BIN=$BUILD/bin
MINILM=$SRC/models/all-MiniLM-L6-v2
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
[ -x "$BIN/kprca-infer" ] && [ -x "$BIN/kprca-prep" ] || { echo "infer_bench: build kprca-infer and kprca-prep in $BUILD" >&2; exit 2; }
[ -f "$MINILM/model.safetensors" ] || { echo "infer_bench: $MINILM missing (scripts/fetch-model.sh)" >&2; exit 2; }

"$BIN/kprca-prep" synth --incidents "$N" --seed 7 --out "$tmp/syn" --quiet
awk -v n="$LINES" "NR <= n" "$tmp"/syn/incidents/*.log > "$tmp/all.log"
lines=$(wc -l < "$tmp/all.log")

# MiniLM with id2label in config.json: kprca-infer adds a fresh classifier head.
mkdir "$tmp/minilm"
for f in model.safetensors vocab.txt tokenizer_config.json special_tokens_map.json; do
  [ -e "$MINILM/$f" ] && ln -s "$MINILM/$f" "$tmp/minilm/$f"
done
sed 's/^{/{"id2label": {"0": "ordinary", "1": "root_cause"},/' "$MINILM/config.json" > "$tmp/minilm/config.json"

echo "machine: $(nproc --all) cores, load $(cut -d' ' -f1 /proc/loadavg), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), OMP_NUM_THREADS=${OMP_NUM_THREADS:-unset}"
echo "corpus: $N synthetic incidents, $lines lines"
run() { # name, args...
  local name=$1; shift
  "$BIN/kprca-infer" --stats "$@" "$tmp/all.log" > /dev/null 2> "$tmp/err"
  printf '%-34s %s\n' "$name" "$(grep -o '[0-9]* lines in [0-9.]* s ([0-9]* lines/s)' "$tmp/err" || cat "$tmp/err")"
  grep -o '[0-9]* texts scored by the model, cache [0-9]* hits / [0-9]* misses' "$tmp/err" | sed 's/^/    /' || true
}
run "rules only" --rules "$SRC/configs/rules/kernel-panic.yaml" --all
run "MiniLM, cache (exact text)" --model "$tmp/minilm" --device cpu --all
run "MiniLM, cache (masked text)" --model "$tmp/minilm" --device cpu --all --cache-key masked
run "MiniLM + rules, cache (masked)" --model "$tmp/minilm" --rules "$SRC/configs/rules/kernel-panic.yaml" --device cpu --all --cache-key masked
run "MiniLM, no cache" --model "$tmp/minilm" --device cpu --all --cache 0
echo "GNN incident model: not supported by kprca-infer yet (docs/infer.md, 'Incident graphs')"
