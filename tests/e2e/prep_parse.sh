#!/usr/bin/env bash
# End to end: kprca-prep parse and kprca-eval parsing (args: BIN_DIR SOURCE_DIR): outputs, stable
# ids through a state file, the loghub HDFS sample, and bad input (one line, exit 2, no output left).
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
FIX=$SRC/tests/fixtures/parse
FMT='<Month> <Day> <Time> <Host> kernel: \[\s*<Uptime>\] <Content>'
P="$BIN/kprca-prep"
E="$BIN/kprca-eval"

"$P" parse --help > "$tmp/h" 2>&1; rc=$?
check "parse --help exits 0" '[ $rc -eq 0 ] && grep -q -- "--log-format" "$tmp/h"'
"$E" parsing --help > "$tmp/h" 2>&1; rc=$?
check "eval parsing --help exits 0" '[ $rc -eq 0 ] && grep -q "FGA" "$tmp/h"'

# --- a kernel log: outputs, unmatched lines listed, summary on stderr ---
"$P" parse --input "$FIX/kern.log" --log-format "$FMT" --output "$tmp/out" > "$tmp/o" 2> "$tmp/e"; rc=$?
S=$tmp/out/kern.log_structured.csv
T=$tmp/out/kern.log_templates.csv
U=$tmp/out/kern.log_unmatched.csv
check "parse exits 0" '[ $rc -eq 0 ]'
check "structured header" '[ "$(head -1 "$S")" = "LineId,Month,Day,Time,Host,Uptime,Content,EventId,EventTemplate" ]'
check "one row per matched line (26 of 28)" '[ $(($(wc -l < "$S") - 1)) -eq 26 ]'
check "templates header" '[ "$(head -1 "$T")" = "EventId,EventTemplate,Occurrences" ]'
check "occurrences add up to 26" '[ $(tail -n +2 "$T" | awk -F, "{s+=\$NF} END {print s}") -eq 26 ]'
check "unmatched lines listed with their numbers" 'grep -q "^14,this line was written" "$U" && grep -q "^26,\"--- some separator" "$U"'
check "summary counts the unmatched lines" 'grep -q "28 lines, 26 parsed" "$tmp/e" && grep -q "2 unmatched" "$tmp/e"'
check "default masks: Xid template" 'grep -q "NVRM: Xid (PCI:<\*>): <\*>, pid=<\*>, GPU has fallen off the bus." "$T"'
check "fields are split out" 'grep -q "^18,Nov,14,14:05:40,gpu-node-17,2140.118800,INFO: task python3:48211 blocked" "$S"'
check "CSV quoting of commas and quotes" 'grep -q "^21,.*,\"\"\"echo 0 > /proc/sys/kernel/hung_task_timeout_secs\"\" disables this message.\"," "$S"'
check "no temporary files left" '[ -z "$(ls -A "$tmp/out" | grep -v "^kern.log_")" ]'

# --- CRLF and no final newline give the same result ---
sed 's/$/\r/' "$FIX/kern.log" | head -c -2 > "$tmp/crlf.log"
"$P" parse --input "$tmp/crlf.log" --log-format "$FMT" --output "$tmp/crlf" 2> /dev/null
check "CRLF, no final newline: same rows" 'cmp -s <(cut -d, -f2- "$S") <(cut -d, -f2- "$tmp/crlf/crlf.log_structured.csv")'

# --- stable ids through a state file ---
head -14 "$FIX/kern.log" > "$tmp/a.log"
tail -n +15 "$FIX/kern.log" > "$tmp/b.log"
"$P" parse --input "$tmp/a.log" --log-format "$FMT" --state "$tmp/st.json" --output "$tmp/s1" 2> /dev/null; rc1=$?
"$P" parse --input "$tmp/b.log" --log-format "$FMT" --state "$tmp/st.json" --output "$tmp/s2" 2> "$tmp/e2"; rc2=$?
check "two runs with a state file" '[ $rc1 -eq 0 ] && [ $rc2 -eq 0 ] && [ -s "$tmp/st.json" ]'
"$P" parse --input "$FIX/kern.log" --log-format "$FMT" --output "$tmp/s3" 2> /dev/null
# every (template, id) of the split runs is the one a single run over the whole log gives
sort -u <(tail -n +2 "$tmp/s1/a.log_templates.csv" | cut -d, -f1,2) <(tail -n +2 "$tmp/s2/b.log_templates.csv" | cut -d, -f1,2) > "$tmp/ids_split"
tail -n +2 "$tmp/s3/kern.log_templates.csv" | cut -d, -f1,2 | sort -u > "$tmp/ids_whole"
check "ids match an uninterrupted run" 'cmp -s "$tmp/ids_split" "$tmp/ids_whole"'
"$P" parse --input "$tmp/a.log" --log-format "$FMT" --state "$tmp/st.json" --output "$tmp/s4" 2> /dev/null
check "a re-run of known lines keeps their ids" 'cmp -s <(cut -d, -f1,2 "$tmp/s1/a.log_templates.csv") <(cut -d, -f1,2 "$tmp/s4/a.log_templates.csv")'
cp "$tmp/st.json" "$tmp/st.bak"
"$P" parse --input "$tmp/a.log" --log-format "$FMT" --state "$tmp/st.json" --depth 5 --output "$tmp/s5" > "$tmp/o" 2>&1; rc=$?
check "state with other parameters: exit 2, one line" '[ $rc -eq 2 ] && [ $(wc -l < "$tmp/o") -eq 1 ] && grep -q "keeps its parameters" "$tmp/o"'
"$P" parse --input "$tmp/a.log" --log-format "$FMT" --state "$tmp/st.json" --no-default-masks --output "$tmp/s5" > "$tmp/o" 2>&1; rc=$?
check "state with other masks: exit 2" '[ $rc -eq 2 ] && grep -q "other masks" "$tmp/o"'
check "a refused run leaves the state and writes nothing" 'cmp -s "$tmp/st.json" "$tmp/st.bak" && [ ! -e "$tmp/s5/a.log_structured.csv" ]'

# --- loghub HDFS with the benchmark settings, scored by kprca-eval ---
LH=$SRC/../shared/data/loghub/HDFS
if [ -f "$LH/HDFS_2k.log" ]; then
  "$P" parse --input "$LH/HDFS_2k.log" --log-format '<Date> <Time> <Pid> <Level> <Component>: <Content>' \
    --mask 'blk_-?\d+' --mask '(\d+\.){3}\d+(:\d+)?' --no-default-masks --sim 0.5 --depth 4 --output "$tmp/hdfs" 2> /dev/null
  "$E" parsing --truth "$LH/HDFS_2k.log_structured.csv" --pred "$tmp/hdfs/HDFS_2k.log_structured.csv" > "$tmp/ga"; rc=$?
  check "HDFS: GA 0.9975 as published" '[ $rc -eq 0 ] && grep -q "^GA  0.9975" "$tmp/ga"'
  check "eval prints PA and FGA" 'grep -q "^PA  " "$tmp/ga" && grep -q "^FGA " "$tmp/ga"'
else
  echo "skip: no loghub samples at $LH"
fi
"$E" parsing --truth "$S" --pred "$S" > "$tmp/self"; rc=$?
check "a parse scored against itself: all 1" '[ $rc -eq 0 ] && grep -q "^GA  1.0000" "$tmp/self" && grep -q "^PA  1.0000" "$tmp/self" && grep -q "^FGA 1.0000" "$tmp/self"'

# --- bad input: one line on stderr, exit 2, nothing written, existing outputs untouched ---
mkdir -p "$tmp/keep"
echo "precious" > "$tmp/keep/kern.log_structured.csv"
bad() { # name, expected text, command...
  local name=$1 want=$2
  shift 2
  expect_fail --quiet-stdout "$name" -G "$want" "$@"
}
bad "missing input" "nope.log: cannot open" "$P" parse --input "$tmp/nope.log" --output "$tmp/keep"
bad "format that matches nothing" "matched none of the 28 lines" "$P" parse --input "$FIX/kern.log" --log-format '<Date> sshd\[<Pid>\]: <Content>' --output "$tmp/keep"
: > "$tmp/kern.log"
bad "empty input" "empty input" "$P" parse --input "$tmp/kern.log" --output "$tmp/keep"
for i in $(seq 0 255); do printf "\\$(printf %o "$i")"; done > "$tmp/bytes"
for i in 1 2 3 4 5 6 7 8; do cat "$tmp/bytes"; done > "$tmp/kern.log"
bad "binary garbage" "binary data, not a text log" "$P" parse --input "$tmp/kern.log" --output "$tmp/keep"
bad "format without Content" "has no <Content> field" "$P" parse --input "$FIX/kern.log" --log-format '<A> <B>' --output "$tmp/keep"
bad "bad format field" "field name '1x'" "$P" parse --input "$FIX/kern.log" --log-format '<1x> <Content>' --output "$tmp/keep"
bad "bad mask" "mask '(oops'" "$P" parse --input "$FIX/kern.log" --mask '(oops' --output "$tmp/keep"
bad "bad --sim" "expected a number in \[0, 1\]" "$P" parse --input "$FIX/kern.log" --sim 2 --output "$tmp/keep"
bad "bad --depth" "expected an integer in \[3, 64\]" "$P" parse --input "$FIX/kern.log" --depth 2 --output "$tmp/keep"
bad "unknown option" "unknown option '--bogus'" "$P" parse --input "$FIX/kern.log" --bogus --output "$tmp/keep"
bad "no --output" "--output is required" "$P" parse --input "$FIX/kern.log"
echo "{ not json" > "$tmp/bad.json"
bad "bad state file" "bad.json:1: not valid JSON" "$P" parse --input "$FIX/kern.log" --state "$tmp/bad.json" --output "$tmp/keep"
check "failed runs left the existing output alone and nothing else" '[ "$(cat "$tmp/keep/kern.log_structured.csv")" = precious ] && [ $(ls -A "$tmp/keep" | wc -l) -eq 1 ]'
bad "eval: missing truth" "nope.csv: cannot open" "$E" parsing --truth "$tmp/nope.csv" --pred "$S"
printf 'LineId,Content\n1,x\n' > "$tmp/nocol.csv"
bad "eval: no EventId column" "lacks the EventId column" "$E" parsing --truth "$tmp/nocol.csv" --pred "$S"
bad "eval: bad --key" "allowed values are id, template" "$E" parsing --truth "$S" --pred "$S" --key nope
exit $fail
