#!/usr/bin/env bash
# End to end: kprca-infer with a BERT line model (args: BIN_DIR SOURCE_DIR). The model is the tiny random
# BertForSequenceClassification fixture (tests/fixtures/bert/tiny, 3 classes) plus a vocab.txt written here,
# so the scores are arbitrary but fixed: the test checks the pipeline's properties. Every line is scored by
# the model; the cache, the batch size and the cache key change nothing in what is printed; repeated lines
# are scored once; rules take precedence; follow mode with a model; a kprca-train bert checkpoint when the
# trainer supports it; bad model input exits 2 with one line.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
I="$BIN/kprca-infer"
R="$SRC/configs/rules/kernel-panic.yaml"

M="$tmp/tiny"
mkdir -p "$M"
cp "$SRC/tests/fixtures/bert/tiny/config.json" "$SRC/tests/fixtures/bert/tiny/model.safetensors" "$M/"
{
  printf '%s\n' '[PAD]' '[UNK]' '[CLS]' '[SEP]' '[MASK]'
  for c in a b c d e f g h i j k l m n o p q r s t u v w x y z 0 1 2 3 4 5 6 7 8 9; do echo "$c"; done
  for c in a b c d e f g h i j k l m n o p q r s t u v w x y z; do echo "##$c"; done
  printf '%s\n' . , : '(' ')' '[' ']' - _ / '#' '!' "'" = '<' '>' '*' '?' '@' '%'
  printf '%s\n' kernel task blocked for more than seconds nvrm xid gpu usb session started
} > "$M/vocab.txt"
check "fixture vocabulary has the model's 100 tokens" '[ $(wc -l < "$M/vocab.txt") -eq 100 ]'

log="$tmp/k.log"
for i in 1 2 3; do
  printf 'Mar  3 14:0%d:00 n1 kernel: [ %d.0] INFO: task kworker/3:1:99 blocked for more than 120 seconds.\n' $i $i
  printf 'Mar  3 14:0%d:01 n1 kernel: [ %d.5] usb 1-1: new high-speed USB device number %d using xhci_hcd\n' $i $i $i
  printf 'Mar  3 14:0%d:02 n1 kernel: [ %d.7] systemd[1]: Started Session 42 of user root.\n' $i $i
done > "$log"
printf 'Mar  3 14:09:00 n1 kernel: [ 9.0] NVRM: Xid (PCI:0000:3b:00): 79, pid=1234, name=python, GPU has fallen off the bus.\n' >> "$log"

"$I" --model "$M" --all --json --stats "$log" > "$tmp/a" 2> "$tmp/ae"; rc=$?
check "model: exit 0" '[ $rc -eq 0 ]'
check "model: every line scored by the model (10)" '[ $(grep -c "\"by\":\"model\"" "$tmp/a") -eq 10 ]'
check "model: labels are the model's (LABEL_1 or LABEL_2, class 0 ordinary)" \
  '[ $(grep -Ec "\"label\":\"LABEL_[12]\"" "$tmp/a") -eq 10 ]'
check "model: scores are probabilities" \
  '! grep -o "\"score\":[^,]*" "$tmp/a" | cut -d: -f2 | awk "\$1 < 0 || \$1 > 1 {bad=1} END {exit !bad}"'
check "model: identical lines get identical scores" \
  '[ $(grep "\"text\":\"systemd" "$tmp/a" | grep -o "\"score\":[^,]*" | sort -u | wc -l) -eq 1 ]'
check "stats: 10 lines, 6 distinct texts scored (repeats scored once)" \
  'grep -q "10 lines in" "$tmp/ae" && grep -q "6 texts scored by the model" "$tmp/ae"'

"$I" --model "$M" --all --json --cache 0 "$log" > "$tmp/b"
check "no cache: the same output" 'cmp -s "$tmp/a" "$tmp/b"'
"$I" --model "$M" --all --json --cache-key masked --stats "$log" > "$tmp/c" 2> "$tmp/ce"
check "masked cache key: the usb lines share a score (4 texts scored)" 'grep -q "4 texts scored" "$tmp/ce" &&
  [ $(grep "\"text\":\"usb" "$tmp/c" | grep -o "\"score\":[^,]*" | sort -u | wc -l) -eq 1 ]'
# A batch of 3 pads three lines of different lengths together: scores agree within 1e-4.
"$I" --model "$M" --all --batch 3 --cache 0 "$log" > "$tmp/d"
"$I" --model "$M" --all --batch 1 --cache 0 "$log" > "$tmp/e"
check "padding in a batch does not change the scores (1e-4)" \
  'paste "$tmp/d" "$tmp/e" | awk -F"\t" "{d=\$3-\$8; if (d<0) d=-d; if (d>1e-4 || \$2!=\$7) bad=1} END {exit bad}" && [ $(wc -l < "$tmp/d") -eq 10 ]'

"$I" --model "$M" --rules "$R" --all --json "$log" > "$tmp/r"
check "rules first: hung tasks and the Xid by rule, the rest by the model" \
  '[ $(grep -c "\"by\":\"rule:hung-task\"" "$tmp/r") -eq 3 ] && grep -q "\"by\":\"rule:gpu-fallen-off-bus\"" "$tmp/r" &&
   [ $(grep -c "\"by\":\"model\"" "$tmp/r") -eq 6 ]'
"$I" --model "$M" --threshold 0 "$log" > "$tmp/t0"
"$I" --model "$M" --threshold 1 "$log" > "$tmp/t1"
check "threshold 0 flags every line, 1 none" '[ $(wc -l < "$tmp/t0") -eq 10 ] && [ ! -s "$tmp/t1" ]'
"$I" --model "$M" --rules "$R" --incident --json "$log" > "$tmp/inc"
check "incident: rule and model labels ranked together, gpu_xid first" \
  'grep -q "\"ranking\":\[{\"rank\":1,\"label\":\"gpu_xid\",\"score\":1," "$tmp/inc" && grep -q "\"label\":\"LABEL_" "$tmp/inc"'

wait_for() { for _ in $(seq 150); do grep -q "$1" "$2" 2>/dev/null && return 0; sleep 0.1; done; return 1; }
: > "$tmp/f.log"
"$I" --model "$M" --all --json --follow --interval 0.05 "$tmp/f.log" > "$tmp/fo" &
pid=$!
sleep 0.3
head -2 "$log" >> "$tmp/f.log"
check "follow with a model: appended lines are scored and printed" 'wait_for "\"lineno\":2,.*\"by\":\"model\"" "$tmp/fo"'
kill -INT $pid; wait $pid; rc=$?; pid=
check "follow with a model: SIGINT ends with 0" '[ $rc -eq 0 ]'

# A kprca-train checkpoint of the line classifier; --model takes the folder of runs (its newest run).
for i in $(seq 8); do  # the CLX kernel.tsv form: label<TAB>line, no header
  printf 'root_cause\tINFO: task kworker/%d:1 blocked for more than 120 seconds.\n' $i
  printf 'ordinary\tusb 1-1: new high-speed USB device number %d using xhci_hcd\n' $i
done > "$tmp/lines.tsv"
cat > "$tmp/bert.yaml" <<EOC
model: {name: bert, path: $M}
data: {path: $tmp/lines.tsv, format: tsv, batch_size: 4, split: [0.5, 0.25, 0.25], max_seq_len: 32}
train: {epochs: 1, seed: 1, progress: none}
optim: {lr: 0.001}
output: {dir: $tmp/runs, name: tiny}
EOC
(cd "$tmp" && "$BIN/kprca-train" --config "$tmp/bert.yaml" > "$tmp/train.out" 2>&1); rc=$?
check "checkpoint: kprca-train trains the tiny bert line classifier" '[ $rc -eq 0 ] && grep -q "2 classes" "$tmp/train.out"'
"$I" --model "$tmp/runs/tiny" --all --json "$log" > "$tmp/ck" 2> "$tmp/cke"; rc=$?
check "checkpoint: a kprca-train run dir scores every line" '[ $rc -eq 0 ] && [ $(grep -c "\"by\":\"model\"" "$tmp/ck") -eq 10 ]'
check "checkpoint: the run's class names" 'grep -Eq "\"label\":\"(root_cause|ordinary)\"" "$tmp/ck"'

bad() { # name, expected stderr pattern, args...
  local name=$1 pat=$2; shift 2
  expect_fail --quiet-stdout "$name" -E "$pat" "$I" "$@"
}
mkdir -p "$tmp/empty"
bad "a directory that is no model" "empty" --model "$tmp/empty" "$log"
printf 'not hdf5' > "$tmp/x.h5"
bad "a file that is no checkpoint" "x.h5" --model "$tmp/x.h5" "$log"
bad "unknown negative class" "--negative foo: the model has no such class" --model "$M" --negative foo "$log"
exit $fail
