#!/usr/bin/env bash
# End to end: every GNN config in configs/ runs as it is (2 epochs, on the small fixtures), the run
# directory holds what DESIGN.md §5 lists, the CPU run is deterministic, --dry-run and
# --print-config, and kprca-eval --checkpoint gives the training report back. Args: BIN_DIR SRC_DIR.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
export OMP_NUM_THREADS=2

for cfg in "$SRC"/configs/*.yaml; do
  name=$(basename "$cfg" .yaml)
  grep -qE "^  name: (gcn|sage|gat)\b" "$cfg" || continue   # GNN configs (line models: train_lines.sh)
  data=$NODE
  grep -q "task: graph" "$cfg" && data=$GRAPH
  "$BIN/kprca-train" --config "$cfg" data.path="$data" output.dir="$tmp/exp" train.epochs=2 train.progress=none \
    > "$tmp/$name.out" 2> "$tmp/$name.err"; rc=$?
  check "$name runs (exit $rc)" '[ $rc -eq 0 ]' || sed 's/^/    /' "$tmp/$name.err"
  run=$(ls -d "$tmp/exp/$name"/*/ 2>/dev/null | head -1)
  check "$name: one run directory exp/$name/TIMESTAMP" '[ -n "$run" ] && [ $(ls -d "$tmp/exp/$name"/*/ | wc -l) -eq 1 ]'
  for f in config.yaml metrics.jsonl report.txt metrics.json predictions.csv checkpoints/latest checkpoints/epoch-000002.h5; do
    check "$name: $f" '[ -s "$run/$f" ]'
  done
  check "$name: metrics.jsonl has one line per epoch" '[ $(wc -l < "$run/metrics.jsonl") -eq 2 ] && grep -q "\"epoch\":2,\"step\":" "$run/metrics.jsonl"'
  for k in '"test":' '"val":' '"accuracy":' '"macro_f1":' '"weighted_f1":' '"per_class":' '"confusion_matrix":' '"best_epoch":' '"epochs_run":' '"train_time_s":' '"device":' '"config":'; do
    check "$name: metrics.json has $k" 'grep -q "$k" "$run/metrics.json"'
  done
  check "$name: metrics.json records the build's commit and threads" \
    'c=$("$BIN/kprca-info" | sed -n "1s/.*(commit \(.*\))$/\1/p"); [ -n "$c" ] && grep -q "\"kprca_commit\":[[:space:]]*\"$c\"" "$run/metrics.json" && grep -q "\"threads\":[[:space:]]*[1-9]" "$run/metrics.json" && head -1 "$run/config.yaml" | grep -qF "(commit $c)"'
  check "$name: report printed (classification report + confusion matrix)" \
    'grep -q "weighted avg" "$tmp/$name.out" && grep -q "confusion matrix" "$tmp/$name.out" && grep -q "== test:" "$tmp/$name.out"'
  check "$name: report.txt is the printed report" 'grep -q "== val:" "$run/report.txt" && grep -qF "$(grep -m1 "^accuracy" "$tmp/$name.out")" "$run/report.txt"'
  check "$name: predictions.csv header" 'head -1 "$run/predictions.csv" | grep -q "^id,split,true,pred,p_oom,p_gpu_xid,p_nfs$"'
  check "$name: config.yaml loads back" '"$BIN/kprca-train" --config "$run/config.yaml" --print-config > /dev/null'
done

# determinism through the CLI: the same config twice gives the same predictions
for k in 1 2; do
  "$BIN/kprca-train" --config "$SRC/configs/gat.yaml" data.path="$GRAPH" output.dir="$tmp/det$k" train.epochs=4 \
    train.progress=none > /dev/null 2>&1
done
check "same seed, same predictions (gat, shuffled batches)" \
  'cmp -s $(ls "$tmp"/det1/gat/*/predictions.csv) $(ls "$tmp"/det2/gat/*/predictions.csv)'
"$BIN/kprca-train" --config "$SRC/configs/gat.yaml" data.path="$GRAPH" output.dir="$tmp/det1" train.epochs=4 \
  train.progress=none train.seed=9 > /dev/null 2>&1
check "a second run gets its own directory" '[ $(ls -d "$tmp"/det1/gat/*/ | wc -l) -eq 2 ]'

# kprca-eval --checkpoint: the same test report as training
run=$(ls -d "$tmp"/det2/gat/*/ | head -1)
"$BIN/kprca-eval" --checkpoint "$run" --data "$GRAPH" --split test --out "$tmp/ev" > "$tmp/ev.out" 2> "$tmp/ev.err"; rc=$?
check "kprca-eval --checkpoint exits 0" '[ $rc -eq 0 ]' || cat "$tmp/ev.err"
check "kprca-eval reproduces the test section of report.txt" \
  'diff <(sed -n "/^== test/,\$p" "$run/report.txt") <(sed -n "/^== test/,\$p" "$tmp/ev.out") > /dev/null'
check "kprca-eval --out writes the files" '[ -s "$tmp/ev/metrics.json" ] && [ -s "$tmp/ev/predictions.csv" ] && [ -s "$tmp/ev/report.txt" ]'

# --dry-run and --print-config
"$BIN/kprca-train" --config "$SRC/configs/cora-gat.yaml" data.path="$NODE" output.dir="$tmp/dry" --dry-run > "$tmp/dry.out" 2>&1; rc=$?
check "--dry-run exits 0" '[ $rc -eq 0 ]'
check "--dry-run prints parameters and a memory estimate" 'grep -q "parameters" "$tmp/dry.out" && grep -q "memory estimate" "$tmp/dry.out"'
check "--dry-run writes no run directory" '[ ! -e "$tmp/dry" ]'
"$BIN/kprca-train" --config "$SRC/configs/cora-gat.yaml" --model.heads 4 --print-config > "$tmp/pc.out" 2>&1; rc=$?
check "--print-config shows the override and its source" '[ $rc -eq 0 ] && grep -q "heads: 4.*command line" "$tmp/pc.out"'
"$BIN/kprca-train" --help > "$tmp/help.out"; rc=$?
check "--help exits 0" '[ $rc -eq 0 ] && grep -q -- "--resume" "$tmp/help.out"'
exit $fail
