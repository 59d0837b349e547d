#!/usr/bin/env bash
# End to end: Ctrl-C stops kprca-train after the current epoch with a checkpoint (exit 130);
# --resume auto continues that run and ends with the same predictions as an uninterrupted run;
# --resume PATH; periodic checkpoints are pruned to output.keep_checkpoints. Args: BIN_DIR SRC_DIR.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
export OMP_NUM_THREADS=1
# constant learning rate, no early stop, last weights: the trajectory does not depend on train.epochs
common=(--config "$SRC/configs/gat.yaml" data.path="$GRAPH" output.dir="$tmp/exp" train.progress=none
        train.patience=0 train.restore_best=false output.name=r)

"$BIN/kprca-train" "${common[@]}" train.epochs=100000 > "$tmp/a.out" 2> "$tmp/a.err" &
pid=$!
for _ in $(seq 600); do  # wait until three epochs are logged
  [ "$(cat "$tmp"/exp/r/*/metrics.jsonl 2>/dev/null | wc -l)" -ge 3 ] && break
  sleep 0.1
done
kill -INT $pid
wait $pid; rc=$?; pid=
check "Ctrl-C exits 130" '[ $rc -eq 130 ]'
k=$(sed -n 's/.*interrupted after epoch \([0-9]*\).*/\1/p' "$tmp/a.err")
check "it names the epoch it stopped after ($k) and how to resume" '[ -n "$k" ] && grep -q -- "--resume auto" "$tmp/a.err"'
run=$(ls -d "$tmp"/exp/r/*/ | head -1)
check "a checkpoint of that epoch is the latest" '[ "$(cat "$run/checkpoints/latest")" = "$(printf "epoch-%06d.h5" "${k:-0}")" ]'
check "no report for an interrupted run" '[ ! -e "$run/report.txt" ]'

n=$((k + 3))
"$BIN/kprca-train" "${common[@]}" train.epochs=$n --resume auto > "$tmp/b.out" 2> "$tmp/b.err"; rc=$?
check "--resume auto finishes (exit $rc)" '[ $rc -eq 0 ]' || cat "$tmp/b.err"
check "it notes that train.epochs changed" 'grep -q "config differs" "$tmp/b.err"'
check "it resumed the interrupted run in place" '[ $(ls -d "$tmp"/exp/r/*/ | wc -l) -eq 1 ] && grep -q "resuming from" "$tmp/b.err"'
check "metrics.jsonl continues: one line per epoch" '[ $(wc -l < "$run/metrics.jsonl") -eq $n ]'

"$BIN/kprca-train" "${common[@]}" train.epochs=$n output.dir="$tmp/ref" > /dev/null 2>&1
check "resumed predictions equal an uninterrupted run's" \
  'cmp -s "$run/predictions.csv" $(ls "$tmp"/ref/r/*/predictions.csv)'

# --resume PATH from a checkpoint file; a finished run has nothing left to train
"$BIN/kprca-train" "${common[@]}" train.epochs=$n --resume "$run/checkpoints/$(cat "$run/checkpoints/latest")" > /dev/null 2> "$tmp/c.err"; rc=$?
check "--resume of a finished run exits 0 without training" '[ $rc -eq 0 ] && grep -q "finished" "$tmp/c.err"'

# periodic checkpoints, pruned
"$BIN/kprca-train" "${common[@]}" train.epochs=7 output.checkpoint_every=1 output.keep_checkpoints=2 \
  output.dir="$tmp/keep" > /dev/null 2>&1
ck=$(ls -d "$tmp"/keep/r/*/checkpoints)
check "keep_checkpoints=2 keeps the newest two and best.h5" \
  '[ "$(ls "$ck" | grep -c "^epoch-")" -eq 2 ] && [ -e "$ck/epoch-000007.h5" ] && [ -e "$ck/epoch-000006.h5" ]'

# a checkpoint of another model shape
"$BIN/kprca-train" "${common[@]}" train.epochs=$n model.hidden=32 --resume "$run" > "$tmp/d.out" 2> "$tmp/d.err"; rc=$?
check "resuming with another model exits 2 with one line" \
  '[ $rc -eq 2 ] && [ $(wc -l < "$tmp/d.err") -eq 1 ] && grep -q "does not match the configured model" "$tmp/d.err"'
"$BIN/kprca-train" "${common[@]}" output.dir="$tmp/none" --resume auto > /dev/null 2> "$tmp/e.err"; rc=$?
check "--resume auto without runs exits 2" '[ $rc -eq 2 ] && grep -q "no runs" "$tmp/e.err"'
exit $fail
