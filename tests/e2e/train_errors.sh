#!/usr/bin/env bash
# End to end: kprca-train and kprca-eval --checkpoint on bad input: one line on stderr naming the
# problem, exit 2, no run directory left behind. Args: BIN_DIR SRC_DIR.
set -u
BIN=$1
SRC=$2
fail=0
check() { if eval "$2"; then echo "ok: $1"; else echo "FAIL: $1"; fail=1; fi; }
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
NODE=$SRC/tests/fixtures/train/node-small.h5
GRAPH=$SRC/tests/fixtures/train/graph-small.h5
export OMP_NUM_THREADS=1

# bad NAME EXPECTED_TEXT ARGS...: exit 2, one line, naming the problem, nothing under output.dir
bad() {
  local name=$1 want=$2
  shift 2
  "$BIN/kprca-train" "$@" output.dir="$tmp/exp" train.epochs=1 train.progress=none > "$tmp/out" 2> "$tmp/err"
  local rc=$?
  check "$name: exit 2 (got $rc)" '[ $rc -eq 2 ]'
  check "$name: one line naming '$want'" '[ $(wc -l < "$tmp/err") -eq 1 ] && grep -qF -- "$want" "$tmp/err" && grep -q "^kprca-train: " "$tmp/err"' \
    || sed 's/^/    /' "$tmp/err"
  check "$name: no run directory" '[ ! -e "$tmp/exp" ]'
}
gat=(--config "$SRC/configs/gat.yaml")
bad "missing data file" "$tmp/nope.h5" "${gat[@]}" data.path="$tmp/nope.h5"
printf 'not hdf5\n' > "$tmp/text.h5"
bad "not an HDF5 file" "text.h5" "${gat[@]}" data.path="$tmp/text.h5"
printf 'root\tOut of memory: Killed process 1 (a)\nnone\tusb 1-1: new device\n' > "$tmp/l.tsv"
"$BIN/kprca-prep" build --input "$tmp/l.tsv" --kind lines --out "$tmp/lines.h5" > /dev/null 2>&1
bad "a lines dataset for a GNN" 'format' "${gat[@]}" data.path="$tmp/lines.h5"
bad "node dataset, graph task" "model.task is 'graph'" "${gat[@]}" data.path="$NODE"
bad "graph dataset, node task" "model.task is 'node'" --config "$SRC/configs/cora-gcn.yaml" data.path="$GRAPH"
bad "unknown key" "did you mean 'optim.lr'" "${gat[@]}" data.path="$GRAPH" optim.lrr=0.1
bad "bad value" "optim.lr" "${gat[@]}" data.path="$GRAPH" optim.lr=-1
bad "mlp not supported" "mlp" "${gat[@]}" data.path="$GRAPH" model.name=mlp
bad "sampling for a graph task" "data.fanouts" "${gat[@]}" data.path="$GRAPH" data.fanouts=[5,5]
bad "class weights of another length" "class_weights" "${gat[@]}" data.path="$GRAPH" train.class_weights=[1,2]
bad "no GPU here" "cuda" "${gat[@]}" data.path="$GRAPH" device=cuda:7
bad "unknown flag" "--frobnicate" "${gat[@]}" data.path="$GRAPH" --frobnicate

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
