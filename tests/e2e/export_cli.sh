#!/usr/bin/env bash
# End to end: kprca-export (args: BIN_DIR SOURCE_DIR). Tiny GAT (graph task) and BERT (tests/fixtures/bert/tiny
# + the fixture vocabulary) runs are trained, exported and read back by kprca's own readers: kprca-infer scores
# lines from the Hugging Face export exactly as from the run, and --reference files hold logits of the right
# shape. Bad input gives one line and exit 2 with no directory left behind; an existing DIR is kept unless
# --force. (The transformers / torch_geometric round trip is scripts/golden/export_roundtrip.py.)
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
X="$BIN/kprca-export"
leftovers() { find "$tmp" -name '*.tmp-*' | grep -q .; }

# --- a GNN run -------------------------------------------------------------------------------------------
"$BIN/kprca-train" model.name=gat model.task=graph model.hidden=4 model.heads=2 model.head_layers=2 \
  data.path="$SRC/tests/fixtures/train/graph-small.h5" data.batch_size=32 train.epochs=2 train.progress=none \
  output.dir="$tmp/runs" output.name=gat > "$tmp/train.log" 2>&1
check "GNN run trained" '[ $? -eq 0 ]'
G=$(ls -d "$tmp"/runs/gat/*/ | head -1); G=${G%/}

"$X" "$G" --reference "$tmp/gref.safetensors" > "$tmp/o" 2> "$tmp/e"; rc=$?
check "pyg export exits 0 into RUN/export-pyg" '[ $rc -eq 0 ] && [ -f "$G/export-pyg/model.safetensors" ] && [ -f "$G/export-pyg/model.json" ]'
check "model.json describes the GAT" 'grep -q "\"class\":.*\"GATConv\"" "$G/export-pyg/model.json" && grep -q "\"pool\":.*\"global_mean_pool\"" "$G/export-pyg/model.json"'
check "safetensors header: PyG names, format pt" 'head -c 4096 "$G/export-pyg/model.safetensors" | grep -a -q "\"convs.0.att_src\"" &&
  head -c 4096 "$G/export-pyg/model.safetensors" | grep -a -q "\"head.1.weight\"" && head -c 4096 "$G/export-pyg/model.safetensors" | grep -a -q "\"format\":\"pt\""'
check "reference holds 90 graphs of logits" 'head -c 2048 "$tmp/gref.safetensors" | grep -a -q "\"logits\":{\"dtype\":\"F32\",\"shape\":\[90,3\]"'

"$X" "$G" > "$tmp/o" 2> "$tmp/e"; rc=$?
check "existing DIR: exit 2, one line" '[ $rc -eq 2 ] && [ $(wc -l < "$tmp/e") -eq 1 ] && grep -q "already exists" "$tmp/e"'
echo keep > "$G/export-pyg/marker"
"$X" "$G" --force 2> "$tmp/e"; rc=$?
check "--force replaces DIR" '[ $rc -eq 0 ] && [ ! -e "$G/export-pyg/marker" ] && [ -f "$G/export-pyg/model.json" ]'
"$X" "$G" --format hf --out "$tmp/wrong" 2> "$tmp/e"; rc=$?
check "hf format of a GNN: exit 2" '[ $rc -eq 2 ] && grep -q "format hf" "$tmp/e" && [ ! -e "$tmp/wrong" ]'
"$X" "$G" --which latest --out "$tmp/latest" 2> "$tmp/e"; rc=$?
check "--which latest uses the latest pointer" '[ $rc -eq 0 ] && grep -q "epoch-000002.h5" "$tmp/e"'

"$X" "$tmp/no-such-run" --out "$tmp/n" 2> "$tmp/e"; rc=$?
check "unknown run: exit 2, one line" '[ $rc -eq 2 ] && [ $(wc -l < "$tmp/e") -eq 1 ] && grep -q "^kprca-export: .*no-such-run" "$tmp/e"'
mkdir -p "$tmp/bad/checkpoints"
head -c 3000 "$G/checkpoints/best.h5" > "$tmp/bad/checkpoints/epoch-000001.h5"
echo epoch-000001.h5 > "$tmp/bad/checkpoints/latest"
"$X" "$tmp/bad" --out "$tmp/b" 2> "$tmp/e"; rc=$?
check "truncated checkpoint: exit 2, one line, no output" '[ $rc -eq 2 ] && [ $(wc -l < "$tmp/e") -eq 1 ] && [ ! -e "$tmp/b" ]'
echo "not hdf5" > "$tmp/bad/checkpoints/epoch-000001.h5"
"$X" "$tmp/bad" --out "$tmp/b" 2> "$tmp/e"; rc=$?
check "garbage checkpoint: exit 2" '[ $rc -eq 2 ] && [ ! -e "$tmp/b" ]'
"$X" "$G" --format onnx 2> "$tmp/e"; rc=$?
check "bad --format: exit 2" '[ $rc -eq 2 ] && grep -q "expected hf or pyg" "$tmp/e"'
"$X" "$G" --out "$tmp/r" --reference "$tmp/r.st" --data "$tmp/missing.h5" 2> "$tmp/e"; rc=$?
check "failed reference: exit 2, no DIR" '[ $rc -eq 2 ] && [ ! -e "$tmp/r" ]'

# --- a BERT run ------------------------------------------------------------------------------------------
M="$tmp/tiny"; mkdir -p "$M"
cp "$SRC/tests/fixtures/bert/tiny/config.json" "$SRC/tests/fixtures/bert/tiny/model.safetensors" \
   "$SRC/tests/fixtures/lines/vocab.txt" "$M/"
"$BIN/kprca-train" model.name=bert model.path="$M" data.path="$SRC/tests/fixtures/lines/kernel.tsv" \
  'data.split=[0.7,0.15,0.15]' data.batch_size=32 data.max_seq_len=24 train.epochs=1 train.progress=none \
  output.dir="$tmp/runs" output.name=bert > "$tmp/train.log" 2>&1
check "BERT run trained" '[ $? -eq 0 ]'
R=$(ls -d "$tmp"/runs/bert/*/ | head -1); R=${R%/}
cut -f2 "$SRC/tests/fixtures/lines/kernel.tsv" | head -40 > "$tmp/lines.txt"
"$X" "$R" --out "$tmp/hf" --reference "$tmp/bref.safetensors" --lines "$tmp/lines.txt" 2> "$tmp/e"; rc=$?
check "hf export exits 0" '[ $rc -eq 0 ] && [ -f "$tmp/hf/model.safetensors" ] && [ -f "$tmp/hf/vocab.txt" ]'
check "config.json: architecture, labels, problem type" 'grep -q "BertForSequenceClassification" "$tmp/hf/config.json" &&
  grep -q "\"label2id\"" "$tmp/hf/config.json" && grep -q "single_label_classification" "$tmp/hf/config.json" &&
  ! grep -q "\"num_labels\"" "$tmp/hf/config.json"'
check "weights named bert.* and classifier.*" 'head -c 8192 "$tmp/hf/model.safetensors" | grep -a -q "\"bert.encoder.layer.1.output.dense.weight\"" &&
  head -c 8192 "$tmp/hf/model.safetensors" | grep -a -q "\"classifier.weight\":{\"dtype\":\"F32\",\"shape\":\[2,32\]" &&
  ! head -c 8192 "$tmp/hf/model.safetensors" | grep -a -q "\"embeddings.word_embeddings.weight\""'
check "reference logits [40, 2]" 'head -c 2048 "$tmp/bref.safetensors" | grep -a -q "\"logits\":{\"dtype\":\"F32\",\"shape\":\[40,2\]"'
"$BIN/kprca-infer" --model "$R" --all --json --negative none --max-length 24 "$tmp/lines.txt" > "$tmp/run.jsonl" 2> "$tmp/e1"
"$BIN/kprca-infer" --model "$tmp/hf" --all --json --negative none --max-length 24 "$tmp/lines.txt" > "$tmp/hf.jsonl" 2> "$tmp/e2"
check "kprca-infer reads the export and scores as the run does" '[ -s "$tmp/run.jsonl" ] && cmp -s "$tmp/run.jsonl" "$tmp/hf.jsonl"'
"$X" "$R" --format pyg --out "$tmp/p" 2> "$tmp/e"; rc=$?
check "pyg format of a BERT run: exit 2" '[ $rc -eq 2 ] && [ ! -e "$tmp/p" ]'
"$X" "$R" --out "$tmp/h2" --reference "$tmp/x.st" 2> "$tmp/e"; rc=$?
check "BERT reference without --lines: exit 2" '[ $rc -eq 2 ] && grep -q -- "--lines" "$tmp/e" && [ ! -e "$tmp/h2" ]'
"$X" "$tmp/hf" --out "$tmp/hf2" 2> "$tmp/e"; rc=$?
check "an exported HF dir exports again, byte for byte" '[ $rc -eq 0 ] && cmp -s "$tmp/hf/model.safetensors" "$tmp/hf2/model.safetensors"'

check "no temporary directories left" '! leftovers'
exit $fail
