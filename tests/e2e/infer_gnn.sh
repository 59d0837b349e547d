#!/usr/bin/env bash
# End to end: kprca-infer --incident with a GNN incident model (args: BIN_DIR SOURCE_DIR). A small synthetic
# corpus is built into incident graphs, GAT trains 3 epochs on it, and kprca-infer ranks the root causes of some
# incident files: every label listed once with probabilities summing to 1, and the top label and probabilities
# equal what kprca-eval --checkpoint predicts for those graphs (same model, same features). A node-task
# checkpoint, --graph-data without a GNN model or naming a file without builder state (a case graph, a lines
# dataset), standard input and a missing file exit 2 with one line.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
I="$BIN/kprca-infer"
cd "$tmp"

"$BIN/kprca-prep" synth --incidents 60 --seed 4 --out c --quiet > /dev/null || { echo "FAIL: synth"; exit 1; }
"$BIN/kprca-prep" build --input c --kind incident-graphs --out ig.h5 --features 32 > /dev/null || { echo "FAIL: build"; exit 1; }
"$BIN/kprca-train" --config "$SRC/configs/gat.yaml" data.path=ig.h5 output.dir=exp train.epochs=3 train.progress=none \
  > train.log 2>&1 || { echo "FAIL: train"; cat train.log; exit 1; }
run=$(ls -d exp/gat/*/ | head -1)
"$BIN/kprca-eval" --checkpoint "$run" --split test --out ev > /dev/null 2>&1
check "kprca-eval wrote the test predictions" '[ -s ev/predictions.csv ]'

# the test incidents: dataset index -> incident file (labels.csv row index + 2)
awk -F, 'NR>1 && $2=="test"{print $1}' ev/predictions.csv | head -6 > ids
files=()
while read -r id; do files+=("c/$(awk -F, -v r=$((id + 2)) 'NR==r{print $1}' c/labels.csv)"); done < ids
check "six test incidents" '[ ${#files[@]} -eq 6 ]'

"$I" --model "$run" --incident --json --top 100 --stats "${files[@]}" > out.jsonl 2> err; rc=$?
check "exit 0" '[ $rc -eq 0 ]'
check "one JSON line per incident" '[ $(wc -l < out.jsonl) -eq 6 ]'
check "--stats line: incidents/s and lines/s" 'grep -q "6 incidents, .* incidents/s, .* lines/s); gat incident model" err'
ncls=$(head -1 ev/predictions.csv | tr , '\n' | grep -c '^p_')
python3 - "$ncls" > py.out <<'EOF' || true
import json, sys
n = int(sys.argv[1])
ok = True
for line in open("out.jsonl"):
    o = json.loads(line)
    r = o["ranking"]
    labels = [x["label"] for x in r]
    s = sum(x["score"] for x in r)
    scores = [x["score"] for x in r]
    ok &= len(labels) == n and len(set(labels)) == n and abs(s - 1) < 1e-4 and scores == sorted(scores, reverse=True)
    ok &= o["unseen_lines"] == 0 and o["nodes"] > 0 and o["window_lines"] > 0
print("ok" if ok else "bad")
EOF
check "every label once, sorted, probabilities sum to 1, nothing unseen" 'grep -qx ok py.out'

# top-1 and probabilities against kprca-eval's predictions of the same graphs
hdr=$(head -1 ev/predictions.csv)
k=0
agree=0
close=0
while read -r id; do
  row=$(awk -F, -v id="$id" '$1==id' ev/predictions.csv)
  pred=$(echo "$row" | cut -d, -f4)
  line=$(sed -n "$((k + 1))p" out.jsonl)
  top=$(echo "$line" | python3 -c 'import json,sys; print(json.load(sys.stdin)["ranking"][0]["label"])')
  [ "$top" = "$pred" ] && agree=$((agree + 1))
  # each label's probability within 1e-5 of kprca-eval's
  python3 -c '
import json, sys
hdr, row, line = sys.argv[1].split(","), sys.argv[2].split(","), json.loads(sys.argv[3])
p = {h[2:]: float(v) for h, v in zip(hdr, row) if h.startswith("p_")}
sys.exit(0 if all(abs(p[x["label"]] - x["score"]) < 1e-5 for x in line["ranking"]) else 1)' "$hdr" "$row" "$line" \
    && close=$((close + 1))
  k=$((k + 1))
done < ids
check "top-1 equals kprca-eval's prediction (6 of 6)" '[ $agree -eq 6 ]'
check "probabilities equal kprca-eval's within 1e-5 (6 of 6)" '[ $close -eq 6 ]'

"$I" --model "$run" --incident --top 3 "${files[0]}" > txt; rc=$?
check "text: a header and 3 ranked labels" '[ $rc -eq 0 ] && [ $(wc -l < txt) -eq 4 ] && grep -q "^incident c/.*: .* nodes, .* edges, panic line" txt && grep -q "^  3\. " txt'
"$I" --model "$run" --incident --graph-data ig.h5 --top 3 "${files[0]}" > txt2
check "--graph-data FILE gives the same" 'cmp -s txt txt2'

# bad input: one line on stderr, exit 2
bad() { # name expect-in-message args...
  local name=$1 want=$2
  shift 2
  expect_fail --quiet-stdout "$name" -G "$want" "$I" "$@"
}
"$BIN/kprca-prep" build --input c --kind case-graph --out case.h5 --features 16 > /dev/null
"$BIN/kprca-train" --config "$SRC/configs/cora-gcn.yaml" data.path=case.h5 output.dir=node \
  train.epochs=1 train.progress=none > /dev/null 2>&1
noderun=$(ls -d node/*/*/ 2>/dev/null | head -1)
check "node-task run trained" '[ -n "$noderun" ]'
bad "node-task checkpoint" "of task node" --model "$noderun" --incident "${files[0]}"
bad "GNN model without --incident" "add --incident" --model "$run" "${files[0]}"
bad "standard input" "not standard input" --model "$run" --incident - < "${files[0]}"
bad "--graph-data: a case graph (no builder/ state)" "no builder/ group" --model "$run" --incident --graph-data case.h5 \
  "${files[0]}"
"$BIN/kprca-prep" build --input c --kind lines --out lines.h5 > /dev/null
bad "--graph-data: a lines dataset" "lines.h5" --model "$run" --incident --graph-data lines.h5 "${files[0]}"
bad "missing dataset" "is not here" --model "$run" --incident --graph-data nosuch.h5 "${files[0]}"
bad "--graph-data without a GNN model" "goes with a GNN" --rules "$SRC/configs/rules/kernel-panic.yaml" \
  --graph-data ig.h5 --incident "${files[0]}"
bad "missing incident file" "nosuch.log" --model "$run" --incident nosuch.log

exit $fail
