#!/usr/bin/env bash
# End to end: kprca-train cross-validation (eval.cv.*): a 3-fold run on the small graph and node fixtures
# writes fold-1..3 with the usual outputs, cv.json whose per-fold rows equal each fold's metrics.json, cv.txt;
# every item is tested in exactly one fold; bad values exit 2 with one line and no run directory.
# Args: BIN_DIR SRC_DIR. Needs jq.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
export OMP_NUM_THREADS=1
gat=(--config "$SRC/configs/gat.yaml" data.path="$GRAPH" data.batch_size=16 train.epochs=2 train.progress=none)

# ---- graph task, incidents as groups ----
"$BIN/kprca-train" "${gat[@]}" output.dir="$tmp/g" eval.cv.folds=3 eval.cv.group_by=incident > "$tmp/out" 2> "$tmp/err"
rc=$?
check "graph cv: exit 0 (got $rc)" '[ $rc -eq 0 ]' || sed 's/^/    /' "$tmp/err"
run=$(ls -d "$tmp"/g/gat/*/ 2>/dev/null | head -1)
run=${run%/}
check "graph cv: run directory" '[ -n "$run" ] && [ -d "$run" ]'
for f in cv.json cv.txt config.yaml; do check "graph cv: $f" '[ -s "$run/$f" ]'; done
for k in 1 2 3; do
  for f in config.yaml data.h5 metrics.json metrics.jsonl report.txt predictions.csv checkpoints/best.h5; do
    check "fold-$k/$f" '[ -s "$run/fold-$k/$f" ]'
  done
  check "fold-$k: config reads its own split" 'grep -q "fold-$k/data.h5" "$run/fold-$k/config.yaml" && grep -q "split: file" "$run/fold-$k/config.yaml"'
  check "fold-$k: cv.json row equals metrics.json test" \
    '[ "$(jq -S ".rows[$((k - 1))].test" "$run/cv.json")" = "$(jq -S ".test | del(.loss)" "$run/fold-$k/metrics.json")" ]'
done
check "cv.txt printed" 'grep -q "^accuracy .* ± " "$tmp/out" && cmp -s <(grep "± " "$tmp/out") <(grep "± " "$run/cv.txt")'
check "cv.json: 3 rows, mean and std of every metric" \
  '[ "$(jq ".rows | length" "$run/cv.json")" = 3 ] && jq -e "[.mean, .std][] | .accuracy, .balanced_accuracy, .macro_f1, .micro_f1, .weighted_f1, .weighted_precision, .macro_recall, .per_class.oom.f1" "$run/cv.json" > /dev/null'
check "cv.json: mean accuracy is the mean of the rows" \
  'jq -e "(([.rows[].test.accuracy] | add / 3) - .mean.accuracy) | fabs < 1e-12" "$run/cv.json" > /dev/null'
check "cv.json: std is the sample std of the rows" \
  'jq -e "([.rows[].test.accuracy]) as \$a | (\$a | add / 3) as \$m | ((([\$a[] | (. - \$m) * (. - \$m)] | add) / 2 | sqrt) - .std.accuracy) | fabs < 1e-12" "$run/cv.json" > /dev/null'
# every graph in exactly one test fold, and never in train/val of the fold that tests it
cat "$run"/fold-*/predictions.csv | awk -F, '$2 == "test" {print $1}' | sort -n > "$tmp/test_ids"
check "every graph tested exactly once" '[ "$(wc -l < "$tmp/test_ids")" = 90 ] && [ "$(sort -nu "$tmp/test_ids" | wc -l)" = 90 ]'
check "test sizes 30 each" '[ "$(jq -c "[.rows[].n_test]" "$run/cv.json")" = "[30,30,30]" ]'

# ---- same seed, same folds and metrics ----
"$BIN/kprca-train" "${gat[@]}" output.dir="$tmp/g2" eval.cv.folds=3 eval.cv.group_by=incident > /dev/null 2>&1
run2=$(ls -d "$tmp"/g2/gat/*/ | head -1)
check "seeded: same rows" '[ "$(jq -S .rows "$run/cv.json")" = "$(jq -S .rows "$run2/cv.json")" ]'

# ---- node task, stratified over labelled nodes ----
"$BIN/kprca-train" --config "$SRC/configs/cora-gcn.yaml" data.path="$NODE" train.epochs=2 train.progress=none \
  output.dir="$tmp/n" eval.cv.folds=3 > "$tmp/out" 2> "$tmp/err"
rc=$?
check "node cv: exit 0 (got $rc)" '[ $rc -eq 0 ]' || sed 's/^/    /' "$tmp/err"
nrun=$(ls -d "$tmp"/n/*/*/ 2>/dev/null | head -1)
check "node cv: cv.json with 3 rows" '[ "$(jq ".rows | length" "$nrun/cv.json")" = 3 ]'
check "node cv: test sizes add up to the labelled nodes" '[ "$(jq "[.rows[].n_test] | add" "$nrun/cv.json")" = 200 ]'

# ---- BERT lines (tiny fixture model), a kprca.lines file, incidents as groups ----
M=$tmp/model
mkdir -p "$M"
cp "$SRC/tests/fixtures/bert/tiny/config.json" "$SRC/tests/fixtures/bert/tiny/model.safetensors" \
  "$SRC/tests/fixtures/lines/vocab.txt" "$M/"
"$BIN/kprca-prep" build --input "$SRC/tests/fixtures/lines/kernel.tsv" --kind lines --out "$tmp/lines.h5" > /dev/null 2>&1
"$BIN/kprca-train" model.name=bert model.path="$M" data.path="$tmp/lines.h5" data.batch_size=8 data.max_seq_len=48 \
  train.epochs=2 train.threads=1 train.progress=none device=cpu output.dir="$tmp/l" output.name=lines \
  eval.cv.folds=3 eval.cv.group_by=incident > "$tmp/out" 2> "$tmp/err"
rc=$?
check "lines cv: exit 0 (got $rc)" '[ $rc -eq 0 ]' || sed 's/^/    /' "$tmp/err"
lrun=$(ls -d "$tmp"/l/lines/*/ 2>/dev/null | head -1)
check "lines cv: every line tested once" '[ "$(jq "[.rows[].n_test] | add" "$lrun/cv.json")" = 128 ]'
for k in 1 2 3; do # the line trainer's metrics.json adds members (binary f1): compare the row's members
  check "lines fold-$k: cv.json row equals metrics.json test" \
    'jq -e --slurpfile m "$lrun/fold-$k/metrics.json" ".rows[$((k - 1))].test | to_entries | all(.value == \$m[0].test[.key])" "$lrun/cv.json" > /dev/null'
done

# ---- bad values: one line, exit 2, nothing left ----
train_fails "folds 1" "eval.cv.folds" "${gat[@]}" eval.cv.folds=1
train_fails "folds above the items" "only 90 labelled graphs" "${gat[@]}" eval.cv.folds=91
train_fails "day without times" "no 'time' array" "${gat[@]}" eval.cv.folds=3 eval.cv.group_by=day
train_fails "logo without groups" "group_by" "${gat[@]}" eval.cv.folds=logo
train_fails "incident groups on a node dataset" "'incident' array" --config "$SRC/configs/cora-gcn.yaml" data.path="$NODE" \
  eval.cv.folds=3 eval.cv.group_by=incident
train_fails "unsupported model in a fold" "mlp" "${gat[@]}" eval.cv.folds=3 model.name=mlp
train_fails "resume" "--resume" "${gat[@]}" eval.cv.folds=3 --resume auto
exit $fail
