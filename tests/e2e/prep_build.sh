#!/usr/bin/env bash
# End to end: kprca-prep build (args: BIN_DIR SOURCE_DIR): the three kinds from a small synthetic corpus
# and a TSV, h5dump readability, same bytes from the same seed, and every bad input: exit 2, one line
# naming the file (and line) and the problem, no output file left.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
P="$BIN/kprca-prep"

"$P" synth --incidents 30 --seed 3 --out "$tmp/c" --quiet > /dev/null || { echo "FAIL: synth"; exit 1; }
"$P" build --help > "$tmp/help"; rc=$?
check "--help exits 0" '[ $rc -eq 0 ] && grep -q -- "--fault-lines" "$tmp/help"'

"$P" build --input "$tmp/c" --kind lines --out "$tmp/lines.h5" --window-s 900 --max-lines 8 > "$tmp/o1"; rc=$?
check "lines: exit 0, summary and class table" '[ $rc -eq 0 ] && grep -q "^wrote .*lines.h5" "$tmp/o1" && grep -q "^root_cause " "$tmp/o1" && grep -q "^total " "$tmp/o1"'
"$P" build --input "$tmp/c" --kind lines --labels category --out "$tmp/linesc.h5" > "$tmp/o2"; rc=$?
check "lines --labels category: ordinary + categories" '[ $rc -eq 0 ] && grep -q "^ordinary " "$tmp/o2" && ! grep -q "^none " "$tmp/o2"'
"$P" build --input "$tmp/c" --kind incident-graphs --out "$tmp/ig.h5" --features 16 > "$tmp/o3"; rc=$?
check "incident-graphs: exit 0" '[ $rc -eq 0 ] && grep -q "^wrote .*ig.h5: 30 graphs" "$tmp/o3"'
"$P" build --input "$tmp/c" --kind incident-graphs --out "$tmp/ig2.h5" --features 16 > /dev/null
if command -v h5dump > /dev/null; then  # the same content (HDF5 stamps object times into the bytes)
  check "incident-graphs: same options, same datasets" 'diff <(h5dump "$tmp/ig.h5" | tail -n +2) <(h5dump "$tmp/ig2.h5" | tail -n +2) > /dev/null'
  "$P" build --input "$tmp/c" --kind incident-graphs --out "$tmp/ig3.h5" --features 16 --seed 7 > /dev/null
  check "incident-graphs: another seed, another graph_split only" '[ "$(h5dump -d graph_split "$tmp/ig.h5" | tail -n +2)" != "$(h5dump -d graph_split "$tmp/ig3.h5" | tail -n +2)" ] && [ "$(h5dump -d x "$tmp/ig.h5" | tail -n +2)" = "$(h5dump -d x "$tmp/ig3.h5" | tail -n +2)" ]'
fi
"$P" build --input "$tmp/c" --kind case-graph --out "$tmp/cg.h5" --k 3 > "$tmp/o4"; rc=$?
check "case-graph: exit 0" '[ $rc -eq 0 ] && grep -q "^wrote .*cg.h5: 30 incidents" "$tmp/o4"'
printf 'ok\tkernel: eth0 link up\nbad\tkernel: BUG: unable to handle page fault\nok\tsystemd: started\nbad\tkernel: Oops\n' > "$tmp/l.tsv"
"$P" build --input "$tmp/l.tsv" --kind lines --out "$tmp/tsv.h5" --val 0.5 --test 0 > "$tmp/o5"; rc=$?
check "lines from a TSV: stratified" '[ $rc -eq 0 ] && grep -q "split by stratified label" "$tmp/o5"'
"$P" build --input "$tmp/l.tsv" --kind lines --out "$tmp/tsvt.h5" --split-by time --val 0 --test 0.5 > /dev/null; rc=$?
check "lines from a TSV: --split-by time" '[ $rc -eq 0 ]'
if command -v h5dump > /dev/null; then
  check "h5dump reads the incident graphs (format, templates)" 'h5dump -a format "$tmp/ig.h5" | grep -q kprca.graph && h5dump -d templates "$tmp/ig.h5" > /dev/null'
  check "h5dump reads the line text" 'h5dump -d text "$tmp/tsv.h5" | grep -q "eth0 link up"'
  check "h5dump reads the case graph masks" 'h5dump -d train_mask "$tmp/cg.h5" > /dev/null'
else
  echo "skip: h5dump not installed (hdf5-tools)"
fi

# bad input: exit 2, exactly one line that names the problem, no output file
bad() {
  local name=$1 want=$2; shift 2
  rm -f "$tmp/bad.h5"
  expect_fail "$name" -F "$want" "$P" build "$@"
  check "$name: no output" '[ ! -e "$tmp/bad.h5" ] && [ -z "$(ls "$tmp" | grep tmp-)" ]'
}
bad "missing input" "no/such: cannot read the input" --input "$tmp/no/such" --kind lines --out "$tmp/bad.h5"
mkdir -p "$tmp/nolabels"
bad "directory without labels.csv" "labels.csv" --input "$tmp/nolabels" --kind lines --out "$tmp/bad.h5"
mkdir -p "$tmp/empty" && echo "file,label" > "$tmp/empty/labels.csv"
bad "no incidents" "labels.csv" --input "$tmp/empty" --kind incident-graphs --out "$tmp/bad.h5"
: > "$tmp/empty.tsv"
bad "empty TSV" "empty.tsv" --input "$tmp/empty.tsv" --kind lines --out "$tmp/bad.h5"
head -c 4096 /dev/urandom > "$tmp/garbage.tsv"
bad "binary garbage TSV" "garbage.tsv:" --input "$tmp/garbage.tsv" --kind lines --out "$tmp/bad.h5"
cp -r "$tmp/c" "$tmp/bin" && head -c 20000 /dev/urandom | tr -d '\n' > "$tmp/bin/incidents/000002.log"
bad "binary garbage incident log" "000002.log" --input "$tmp/bin" --kind incident-graphs --out "$tmp/bad.h5"
cp -r "$tmp/c" "$tmp/e" && : > "$tmp/e/incidents/000003.log" && sed -i '4s/,[0-9 ]*,[0-9]*$/,,/' "$tmp/e/labels.csv"
bad "empty incident log" "000003.log: empty incident log" --input "$tmp/e" --kind lines --out "$tmp/bad.h5"
cp -r "$tmp/c" "$tmp/u" && echo "incidents/999999.log,oom,," >> "$tmp/u/labels.csv"
bad "labels.csv names an unknown file" "labels.csv:32" --input "$tmp/u" --kind case-graph --out "$tmp/bad.h5"
bad "label outside --classes" "labels.csv:" --input "$tmp/c" --kind lines --classes oom,nfs --out "$tmp/bad.h5"
cp -r "$tmp/c" "$tmp/r" && sed -i '2s/,[0-9 ]*,\([0-9]*\)$/,99999,\1/' "$tmp/r/labels.csv"
bad "root-cause line beyond the file" "labels.csv:2" --input "$tmp/r" --kind lines --out "$tmp/bad.h5"
bad "unknown --kind" "--kind 'tables'" --input "$tmp/c" --kind tables --out "$tmp/bad.h5"
bad "no --kind" "--kind is required" --input "$tmp/c" --out "$tmp/bad.h5"
bad "--val not a number" "--val 'abc'" --input "$tmp/c" --kind lines --val abc --out "$tmp/bad.h5"
bad "--val + --test > 1" "add up to more than 1" --input "$tmp/c" --kind lines --val 0.6 --test 0.6 --out "$tmp/bad.h5"
bad "--k 0" "--k '0'" --input "$tmp/c" --kind case-graph --k 0 --out "$tmp/bad.h5"
bad "--k as many as incidents" "--k 30" --input "$tmp/c" --kind case-graph --k 30 --out "$tmp/bad.h5"
bad "--features -3" "--features '-3'" --input "$tmp/c" --kind incident-graphs --features -3 --out "$tmp/bad.h5"
bad "--window-s -1" "--window-s '-1'" --input "$tmp/c" --kind lines --window-s -1 --out "$tmp/bad.h5"
bad "--max-lines 1.5" "--max-lines '1.5'" --input "$tmp/c" --kind lines --max-lines 1.5 --out "$tmp/bad.h5"
bad "--k with --kind lines" "--k does not apply" --input "$tmp/c" --kind lines --k 3 --out "$tmp/bad.h5"
bad "graphs from a TSV" "needs an incident directory" --input "$tmp/l.tsv" --kind incident-graphs --out "$tmp/bad.h5"
bad "missing output folder" "does not exist" --input "$tmp/c" --kind lines --out "$tmp/nodir/x.h5"
bad "unknown option" "unknown option '--frobnicate'" --input "$tmp/c" --kind lines --out "$tmp/bad.h5" --frobnicate 1
echo keep > "$tmp/keep.h5"
"$P" build --input "$tmp/e" --kind lines --out "$tmp/keep.h5" > /dev/null 2>&1
check "a failed build leaves an existing output untouched" '[ "$(cat "$tmp/keep.h5")" = keep ]'
exit $fail
