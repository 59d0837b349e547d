#!/usr/bin/env bash
# End to end: scripts/bench/suite.sh --quick --only loghub --write on a copy of docs/results.md
# (args: BIN_DIR SOURCE_DIR): the loghub table is regenerated between its markers with the nine systems,
# GA at least the published figure, the text outside the markers is unchanged; the settings file agrees
# with tests/unit/test_loghub_ga.cc; bad usage exits 2 with one line; a file without the markers is left
# as it was. Skips (passes) when ../shared/data/loghub is missing.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
if [ ! -d "$SRC/../shared/data/loghub" ]; then
  echo "skipped: no loghub samples at $SRC/../shared/data/loghub"
  exit 0
fi
S="$SRC/scripts/bench/suite.sh"
cp "$SRC/docs/results.md" "$tmp/results.md"
# outside(FILE): the file with every generated region emptied
outside() { sed '/<!-- [a-z-]*:begin -->/,/<!-- [a-z-]*:end -->/{/<!-- [a-z-]*:\(begin\|end\) -->/!d}' "$1"; }
outside "$tmp/results.md" > "$tmp/before"

bash "$S" --quick --only loghub --write --results "$tmp/results.md" --bin "$BIN" > "$tmp/out" 2> "$tmp/err"; rc=$?
check "suite.sh --quick --only loghub --write exits 0" '[ $rc -eq 0 ] || { cat "$tmp/err"; false; }'
sed -n '/<!-- loghub-table:begin -->/,/<!-- loghub-table:end -->/p' "$tmp/results.md" > "$tmp/region"
check "nine system rows in the region" '[ "$(grep -cE "^\| (HDFS|Apache|HPC|Linux|OpenSSH|Zookeeper|Proxifier|OpenStack|HealthApp) \|" "$tmp/region")" -eq 9 ]'
check "GA >= published on every row" 'awk -F" *\\| *" "/^\\| [A-Z]/ && \$2 != \"System\" { if (\$5 + 1e-9 < \$6) bad = 1; n++ } END { exit bad || n != 9 }" "$tmp/region"'
check "HDFS row: GA 0.9975, 14 truth and 16 kprca templates" 'grep -q "^| HDFS | 0.5 | 4 | 0.9975 | 0.9975 | = | .* | 14 | 16 | " "$tmp/region"'
check "region states machine, commit, date and command" 'grep -q "Measured [0-9-]* on .* CPUs, .*commit .*suite.sh --quick --only loghub" "$tmp/region"'
check "printed table equals the written one" 'grep -q "^| OpenStack | 0.5 | 5 | 0.7325" "$tmp/out"'
check "text outside the markers unchanged" 'outside "$tmp/results.md" | cmp -s - "$tmp/before"'
check "other generated regions untouched" 'diff <(sed -n "/cora-table:begin/,/kernel-panic-confusion:end/p" "$SRC/docs/results.md") <(sed -n "/cora-table:begin/,/kernel-panic-confusion:end/p" "$tmp/results.md") > /dev/null'
# the settings file and the unit test's table name the same settings
python3 - "$SRC/scripts/bench/loghub_settings.tsv" "$SRC/tests/unit/test_loghub_ga.cc" > "$tmp/cmp" 2>&1 <<'EOF'
import re, sys
tsv = [l.rstrip("\n").split("\t") for l in open(sys.argv[1]) if l.strip() and not l.startswith("#")]
src = open(sys.argv[2]).read()
unc = lambda s: s.encode().decode("unicode_escape")
block = src[src.index("SYSTEMS = {"):]
block = block[:block.index("};")]
test = []
for chunk in re.split(r'\n\s*\{(?="[A-Z]\w*", )', block)[1:]:
    strs = [unc(x) for x in re.findall(r'"((?:[^"\\]|\\.)*)"', chunk)]
    sim, depth, ga = re.search(r',\s*([\d.]+),\s*(\d+),\s*([\d.]+)\}', chunk).groups()
    test.append([strs[0], sim, depth, ga] + strs[1:])
norm = lambda r: [r[0], float(r[1]), int(r[2]), float(r[3])] + r[4:]
if len(tsv) != 9 or [norm(r) for r in tsv] != [norm(r) for r in test]:
    print("differ:", tsv, test); sys.exit(1)
EOF
check "loghub_settings.tsv equals test_loghub_ga.cc's settings" '[ $? -eq 0 ] || { cat "$tmp/cmp"; false; }'

# kernel-panic rows from finished runs (--from-run: no training): a row and a confusion block per task,
# binary F1 for a binary task, rows of tasks not rerun kept, in the fixed task order
mkrun() { # mkrun DIR ACC F1|none: a run directory with a 2-class metrics.json
  mkdir -p "$1"
  python3 -c 'import json, sys
t = {"n": 10, "labels": ["ordinary", "root_cause"], "accuracy": float(sys.argv[2]), "macro_f1": 0.5,
     "confusion_matrix": [[6, 1], [2, 1]]}
if sys.argv[3] != "none": t["f1"] = float(sys.argv[3])
json.dump({"test": t, "best_epoch": 3, "epochs_run": 4, "train_time_s": 12.3}, open(sys.argv[1] + "/metrics.json", "w"))' "$1" "$2" "$3"
}
mkrun "$tmp/runs/20261101-120000" 0.7 0.4
mkrun "$tmp/runs/20261102-120000" 0.9 none
# start from empty kernel-panic regions (docs/results.md holds real rows)
sed '/<!-- kernel-panic-[a-z]*:begin -->/,/<!-- kernel-panic-[a-z]*:end -->/{/<!-- kernel-panic-[a-z]*:\(begin\|end\) -->/!d}' \
  "$SRC/docs/results.md" > "$tmp/kp.md"
bash "$S" --only lines --from-run lines="$tmp/runs/20261101-120000" --write --results "$tmp/kp.md" --bin "$BIN" > /dev/null 2> "$tmp/e"; rc=$?
check "--from-run lines: exit 0" '[ $rc -eq 0 ] || { cat "$tmp/e"; false; }'
check "lines row: accuracy, macro F1, binary F1, epochs, training time, date of the run" 'grep -q "^| \`lines\` | .* | 10 | 0.7000 | 0.5000 | 0.4000 | 3 / 4 | 12 (train) | 2026-11-01, not recorded |" "$tmp/kp.md"'
check "lines confusion block" 'grep -A8 "^<!-- kp:lines -->" "$tmp/kp.md" | grep -q "root_cause  1    2  1"'
bash "$S" --only gat --from-run gat="$tmp/runs/20261102-120000" --write --results "$tmp/kp.md" --bin "$BIN" > /dev/null 2>&1
check "gat row added without binary F1, lines row kept, gat first" 'sed -n "/kernel-panic-table:begin/,/kernel-panic-table:end/p" "$tmp/kp.md" | grep "^| \`" | grep -v "not measured yet" | cut -d"|" -f2,6,8 | tr -d " " | tr "\n" ";" | grep -qx "\`gat\`|0.9000|—;\`lines\`|0.7000|0.4000;"'
check "the four tasks not run have a placeholder row" '[ $(grep -c "^| \`[a-z-]*\` | .* | not measured yet: \`scripts/bench/suite.sh --only" "$tmp/kp.md") -eq 4 ]'
check "both confusion blocks" '[ $(grep -c "^<!-- kp:" "$tmp/kp.md") -eq 2 ]'
check "kernel-panic write leaves the rest unchanged" 'outside "$tmp/kp.md" | cmp -s - "$tmp/before"'

# bad usage: one line, exit 2, file untouched
cp "$tmp/results.md" "$tmp/keep.md"
bash "$S" --only bogus --bin "$BIN" > /dev/null 2> "$tmp/e"; rc=$?
check "unknown --only name exits 2 with one line" '[ $rc -eq 2 ] && [ $(wc -l < "$tmp/e") -eq 1 ] && grep -q "suite.sh: unknown name .bogus." "$tmp/e"'
bash "$S" --quick --only loghub --bin "$tmp/nobin" > /dev/null 2> "$tmp/e"; rc=$?
check "missing binaries exit 2 with one line" '[ $rc -eq 2 ] && [ $(wc -l < "$tmp/e") -eq 1 ]'
grep -v "loghub-table:" "$tmp/results.md" > "$tmp/nomark.md"
cp "$tmp/nomark.md" "$tmp/nomark.orig"
bash "$S" --quick --only loghub --write --results "$tmp/nomark.md" --bin "$BIN" > /dev/null 2> "$tmp/e"; rc=$?
check "file without the markers: exit 1, names the markers, file unchanged" '[ $rc -eq 1 ] && grep -q "no .<!-- loghub-table:begin -->" "$tmp/e" && cmp -s "$tmp/nomark.md" "$tmp/nomark.orig"'
check "no temporary files left beside the results" '[ -z "$(ls "$tmp" | grep "\.tmp")" ]'
exit $fail
