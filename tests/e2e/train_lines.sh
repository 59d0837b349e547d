#!/usr/bin/env bash
# End to end: kprca-train with model.name bert (args: BIN_DIR SOURCE_DIR) on the tiny random BERT
# (tests/fixtures/bert/tiny + the vocabulary of tests/fixtures/lines) and the toy kernel.tsv: --dry-run,
# a full run (run directory files, metrics.json with f1, predictions, candidates), --resume auto of a
# finished run, and bad inputs (one line, exit 2, no run directory left behind).
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
T="$BIN/kprca-train"
M=$tmp/model
mkdir -p "$M"
cp "$SRC/tests/fixtures/bert/tiny/config.json" "$SRC/tests/fixtures/bert/tiny/model.safetensors" \
  "$SRC/tests/fixtures/lines/vocab.txt" "$M/"
TSV=$SRC/tests/fixtures/lines/kernel.tsv
cat > "$tmp/toy.yaml" << EOF
model: {name: bert, path: $M}
data: {path: $TSV, split: [0.75, 0, 0.25], batch_size: 8, max_seq_len: 48}
optim: {name: adamw, lr: 0.002, schedule: linear, warmup_steps: 4}
train: {epochs: 12, seed: 0, progress: lines, threads: 1}
output: {dir: $tmp/runs}
device: cpu
EOF

# --- dry run ---
"$T" --config "$tmp/toy.yaml" --dry-run > "$tmp/o" 2> "$tmp/e"; rc=$?
check "dry run exits 0" '[ $rc -eq 0 ]'
check "dry run: lines, split, model, padding" 'grep -q "128 lines, 2 classes" "$tmp/o" && grep -q "train 96, val 0, test 32" "$tmp/o" && grep -q "padding:" "$tmp/o"'
check "dry run writes no run" '[ ! -e "$tmp/runs" ]'

# --- a full run ---
"$T" --config "$tmp/toy.yaml" > "$tmp/o" 2> "$tmp/e"; rc=$?
check "run exits 0" '[ $rc -eq 0 ]'
RUN=$(ls -d "$tmp"/runs/toy/*/ 2> /dev/null | head -1)
check "run directory files" '[ -n "$RUN" ] && for f in config.yaml metrics.jsonl report.txt metrics.json predictions.csv candidates.csv checkpoints/latest; do [ -s "$RUN/$f" ] || exit 1; done'
check "metrics.json records the build's commit" 'c=$("$BIN/kprca-info" | sed -n "1s/.*(commit \(.*\))$/\1/p"); [ -n "$c" ] && grep -q "\"kprca_commit\":[[:space:]]*\"$c\"" "$RUN/metrics.json"'
check "one metrics.jsonl line per epoch" '[ $(wc -l < "$RUN/metrics.jsonl") -eq 12 ]'
check "test f1 and accuracy are 1" 'grep -A30 "\"test\"" "$RUN/metrics.json" | grep -q "\"f1\":[[:space:]]*1[,}]*$" && grep -q "\"accuracy\":[[:space:]]*1," "$RUN/metrics.json"'
check "report printed with the classification report" 'grep -q "precision" "$tmp/o" && grep -q "run directory:" "$tmp/o"'
check "predictions: header + 32 test lines" '[ $(wc -l < "$RUN/predictions.csv") -eq 33 ] && head -1 "$RUN/predictions.csv" | grep -q "^id,split,true,pred"'
check "candidates: header only (nothing mislabelled)" '[ "$(cat "$RUN/candidates.csv")" = "split,id,incident,score,pred,text" ]'

# --- resume of a finished run: nothing to train, report again ---
"$T" --config "$tmp/toy.yaml" --resume auto > "$tmp/o" 2> "$tmp/e"; rc=$?
check "resume auto of a finished run exits 0" '[ $rc -eq 0 ] && grep -q "finished" "$tmp/e"'

# --- bad inputs: one line, exit 2, no run directory ---
bad() { # bad NAME NEEDLE ARGS...
  local name=$1 needle=$2; shift 2
  rm -rf "$tmp/runs"
  expect_fail "$name" -G "^kprca-train: .*$needle" "$T" --config "$tmp/toy.yaml" "$@"
  check "$name: no run directory" '[ ! -e "$tmp/runs" ]'
}
bad "missing model directory" "nope" model.path="$tmp/nope"
printf '0\teth0: link is up\n1 no tab on this line\n' > "$tmp/bad.tsv"
bad "TSV with a bad line" "bad.tsv:2" data.path="$tmp/bad.tsv"
bad "max_seq_len beyond the model" "max_position_embeddings" data.max_seq_len=100
bad "TSV without a split" "data.split" data.split=file
bad "bert without a batch size" "data.batch_size" data.batch_size=0

exit $fail
