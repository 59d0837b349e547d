#!/usr/bin/env bash
# End to end: kprca-train and kprca-eval --checkpoint on bad input: one line on stderr naming the
# problem, exit 2, no run directory left behind. Args: BIN_DIR SRC_DIR.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
export OMP_NUM_THREADS=1

gat=(--config "$SRC/configs/gat.yaml")
train_fails "missing data file" "$tmp/nope.h5" "${gat[@]}" data.path="$tmp/nope.h5"
printf 'not hdf5\n' > "$tmp/text.h5"
train_fails "not an HDF5 file" "text.h5" "${gat[@]}" data.path="$tmp/text.h5"
printf 'root\tOut of memory: Killed process 1 (a)\nnone\tusb 1-1: new device\n' > "$tmp/l.tsv"
"$BIN/kprca-prep" build --input "$tmp/l.tsv" --kind lines --out "$tmp/lines.h5" > /dev/null 2>&1
train_fails "a lines dataset for a GNN" 'format' "${gat[@]}" data.path="$tmp/lines.h5"
train_fails "node dataset, graph task" "model.task is 'graph'" "${gat[@]}" data.path="$NODE"
train_fails "graph dataset, node task" "model.task is 'node'" --config "$SRC/configs/cora-gcn.yaml" data.path="$GRAPH"
train_fails "unknown key" "did you mean 'optim.lr'" "${gat[@]}" data.path="$GRAPH" optim.lrr=0.1
train_fails "bad value" "optim.lr" "${gat[@]}" data.path="$GRAPH" optim.lr=-1
train_fails "mlp not supported" "mlp" "${gat[@]}" data.path="$GRAPH" model.name=mlp
train_fails "sampling for a graph task" "data.fanouts" "${gat[@]}" data.path="$GRAPH" data.fanouts=[5,5]
train_fails "class weights of another length" "class_weights" "${gat[@]}" data.path="$GRAPH" train.class_weights=[1,2]
train_fails "no GPU here" "cuda" "${gat[@]}" data.path="$GRAPH" device=cuda:7
train_fails "unknown flag" "--frobnicate" "${gat[@]}" data.path="$GRAPH" --frobnicate

# kprca-eval --checkpoint on bad input
"$BIN/kprca-train" "${gat[@]}" data.path="$GRAPH" output.dir="$tmp/ok" train.epochs=1 train.progress=none > /dev/null 2>&1
run=$(ls -d "$tmp"/ok/gat/*/)
"$BIN/kprca-eval" --checkpoint "$run" --data "$NODE" > /dev/null 2> "$tmp/err"; rc=$?
check "eval: a node dataset for a graph model exits 2, one line" '[ $rc -eq 2 ] && [ $(wc -l < "$tmp/err") -eq 1 ]'
"$BIN/kprca-eval" --checkpoint "$tmp/nowhere" --data "$GRAPH" > /dev/null 2> "$tmp/err"; rc=$?
check "eval: a missing checkpoint exits 2, one line" '[ $rc -eq 2 ] && [ $(wc -l < "$tmp/err") -eq 1 ] && grep -q nowhere "$tmp/err"'
"$BIN/kprca-eval" --checkpoint "$run" --data "$GRAPH" --split dev > /dev/null 2> "$tmp/err"; rc=$?
check "eval: a bad --split exits 2" '[ $rc -eq 2 ] && grep -q "expected train, val or test" "$tmp/err"'
exit $fail
