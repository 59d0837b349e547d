#!/usr/bin/env bash
# End to end: kprca-prep build --features encoder (args: BIN_DIR SOURCE_DIR) with the tiny random BERT
# (tests/fixtures/bert/tiny + the vocabulary of tests/fixtures/lines) on a 12-incident synthetic corpus:
# incident graphs and the case graph get hidden-size text columns and a node_features attribute, the
# summary counts distinct texts encoded once, a kprca-train bert run works as the encoder (--fault-lines
# predicted), kprca-train runs configs/pipeline-logsage.yaml and a graph config on the encoder-featured
# files, and bad encoder options give one line, exit 2 and no output file.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
P="$BIN/kprca-prep"
export OMP_NUM_THREADS=2
M=$tmp/model
mkdir -p "$M"
cp "$SRC/tests/fixtures/bert/tiny/config.json" "$SRC/tests/fixtures/bert/tiny/model.safetensors" \
  "$SRC/tests/fixtures/lines/vocab.txt" "$M/"
C=$tmp/corpus
"$P" synth --incidents 12 --seed 4 --out "$C" --quiet > /dev/null
attr() { h5dump -a "/$2" "$1" 2> /dev/null | grep -o '"[^"]*"$' | tail -1 | tr -d '"'; }
dims() { h5dump -H -d "/$2" "$1" 2> /dev/null | grep -o 'DATASPACE  SIMPLE { ( [0-9, ]* )' | grep -o '( .* )'; }

# --- incident graphs: 32 embedding columns + 6 others ---
"$P" build --input "$C" --kind incident-graphs --out "$tmp/ig.h5" --features encoder --encoder "$M" > "$tmp/o" 2> "$tmp/e"; rc=$?
check "incident graphs with the encoder: exit 0" '[ $rc -eq 0 ] && [ ! -s "$tmp/e" ]'
check "incident graphs: x has 32 + 6 columns" 'dims "$tmp/ig.h5" x | grep -q ", 38 )"'
check "incident graphs: text_features 32" '[ "$(h5dump -a /text_features "$tmp/ig.h5" | grep -o "(0): [0-9]*" | cut -d" " -f2)" = 32 ]'
check "incident graphs: node_features names the encoder" 'h5dump -a /node_features "$tmp/ig.h5" | grep -q "encoder: bert 2 layers, hidden 32"'
ntpl=$(dims "$tmp/ig.h5" templates | tr -d '( )')
check "summary: every template encoded once ($ntpl)" 'grep -q "^encoder: $ntpl texts, $ntpl distinct encoded" "$tmp/o"'
"$P" build --input "$C" --kind incident-graphs --out "$tmp/ig2.h5" --encoder "$M" > /dev/null 2>&1
check "--encoder alone implies --features encoder; same x twice" \
  '[ "$(h5dump -d /x "$tmp/ig.h5" | sed 1d | md5sum)" = "$(h5dump -d /x "$tmp/ig2.h5" | sed 1d | md5sum)" ]'
"$P" build --input "$C" --kind incident-graphs --out "$tmp/igt.h5" > /dev/null 2>&1
check "TF-IDF build still says tfidf" 'h5dump -a /node_features "$tmp/igt.h5" | grep -q "\"tfidf\""'

# --- case graph: 32 + 1 columns, repeated fault lines encoded once ---
"$P" build --input "$C" --kind case-graph --k 4 --out "$tmp/cg.h5" --encoder "$M" > "$tmp/o" 2> "$tmp/e"; rc=$?
check "case graph with the encoder: exit 0" '[ $rc -eq 0 ] && grep -q "33 encoder features from the labelled root-cause lines" "$tmp/o"'
check "case graph: x is 12 x 33" 'dims "$tmp/cg.h5" x | grep -q "( 12, 33 )"'
check "case graph: fewer distinct texts than lines" \
  'grep "^encoder: [0-9]* texts" "$tmp/o" | awk "{ exit !(\$4 < \$2) }"'

# --- a kprca-train bert run as the encoder: --fault-lines predicted ---
cat > "$tmp/lines.yaml" << EOF
model: {name: bert, path: $M}
data: {path: $SRC/tests/fixtures/lines/kernel.tsv, split: [0.75, 0, 0.25], batch_size: 16, max_seq_len: 48}
optim: {name: adamw, lr: 0.002}
train: {epochs: 1, seed: 0, progress: none, threads: 2}
output: {dir: $tmp/runs}
device: cpu
EOF
"$BIN/kprca-train" --config "$tmp/lines.yaml" > "$tmp/to" 2> "$tmp/te"; rc=$?
RUN=$(ls -d "$tmp"/runs/lines/*/ 2> /dev/null | head -1)
check "line classifier run for the encoder (exit $rc)" '[ $rc -eq 0 ] && [ -n "$RUN" ]' || sed 's/^/    /' "$tmp/te"
"$P" build --input "$C" --kind case-graph --k 4 --window-s 300 --fault-lines predicted --out "$tmp/cgp.h5" --encoder "$RUN" \
  > "$tmp/o" 2> "$tmp/e"; rc=$?
check "case graph from predicted fault lines (exit $rc)" \
  '[ $rc -eq 0 ] && grep -q "2 classes, max 48 tokens" "$tmp/o" && grep -q "from the predicted root-cause lines" "$tmp/o"' ||
  sed 's/^/    /' "$tmp/e"
check "case graph (predicted): x is 12 x 33" 'dims "$tmp/cgp.h5" x | grep -q "( 12, 33 )"'

# --- GNN training on the encoder-featured files ---
"$BIN/kprca-train" --config "$SRC/configs/pipeline-logsage.yaml" data.path="$tmp/cg.h5" output.dir="$tmp/exp" \
  train.epochs=2 train.progress=none > "$tmp/o" 2> "$tmp/e"; rc=$?
check "configs/pipeline-logsage.yaml trains on the encoder case graph (exit $rc)" \
  '[ $rc -eq 0 ] && ls "$tmp"/exp/pipeline-logsage/*/metrics.json > /dev/null 2>&1' || sed 's/^/    /' "$tmp/e"
"$BIN/kprca-train" --config "$SRC/configs/gat.yaml" data.path="$tmp/ig.h5" output.dir="$tmp/exp" \
  train.epochs=2 train.progress=none > "$tmp/o" 2> "$tmp/e"; rc=$?
check "configs/gat.yaml trains on the encoder incident graphs (exit $rc)" '[ $rc -eq 0 ]' || sed 's/^/    /' "$tmp/e"

# --- bad input: one line, exit 2, no output ---
bad() { # bad NAME NEEDLE ARGS...
  local name=$1 needle=$2; shift 2
  rm -f "$tmp/bad.h5"
  expect_fail "$name" -G "^kprca-prep build: .*$needle" "$P" build --input "$C" --out "$tmp/bad.h5" "$@"
  check "$name: no output file" '[ ! -e "$tmp/bad.h5" ] && [ -z "$(ls "$tmp" | grep "bad.h5.")" ]'
}
bad "missing encoder path" "$tmp/nope" --kind incident-graphs --encoder "$tmp/nope"
mkdir -p "$tmp/empty"
bad "encoder folder that is no model or run" "$tmp/empty" --kind case-graph --k 4 --encoder "$tmp/empty"
bad "--features encoder without --encoder" "needs --encoder" --kind incident-graphs --features encoder
bad "--encoder with a TF-IDF width" "does not go with --features" --kind incident-graphs --features 64 --encoder "$M"
bad "--encoder for --kind lines" "does not apply" --kind lines --encoder "$M"
bad "--fault-lines predicted without an encoder" "needs --encoder" --kind case-graph --fault-lines predicted
bad "--features with an unknown name" "expected tfidf, encoder" --kind case-graph --features bert
exit $fail
