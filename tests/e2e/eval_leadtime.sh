#!/usr/bin/env bash
# End to end: kprca-eval leadtime (args: BIN_DIR SOURCE_DIR) on the worked example of docs/metrics.md
# (counts, rates, lead times, the sweep table) and bad input (one line naming file:line, exit 2).
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
E="$BIN/kprca-eval"

printf 'stream,time,score\n' > "$tmp/s.csv"
for row in s0,10,0.1 s0,20,0.2 s0,50,0.3 s0,60,0.7 s0,70,0.9 s0,100,0.95 \
           s1,30,0.6 s1,80,0.2 s1,90,0.4 s1,100,0.8 s1,110,0.9 \
           s2,10,0.1 s2,20,0.3 s2,40,0.45 s2,50,0.2 s2,60,0.1 \
           s3,0,0.1 s3,1,0.2 s3,2,0.55 s3,3,0.1 s3,4,0.6 s4,0,0.1 s4,1,0.1 s4,2,0.1 s5,170,0.5; do
  echo "$row" >> "$tmp/s.csv"
done
printf 'stream,failure_time,region_start\ns0,100,60\ns1,100,80\ns2,50,20\ns3,,\ns4,,\ns5,200,150\ns6,300,250\n' > "$tmp/f.csv"

"$E" leadtime --help > "$tmp/h" 2>&1; rc=$?
check "--help exits 0" '[ $rc -eq 0 ] && grep -q "TP_LATE" "$tmp/h"'

"$E" leadtime --scores "$tmp/s.csv" --failures "$tmp/f.csv" --threshold 0.5 > "$tmp/o" 2> "$tmp/e"; rc=$?
check "threshold run exits 0" '[ $rc -eq 0 ] && [ ! -s "$tmp/e" ]'
check "counts" 'grep -q "^TP 2  TP_LATE 1  FN 2  FP 2  TN 3$" "$tmp/o"'
check "criterion 1 rates" 'grep -Eq "^region +0.6000 +0.6000 +0.6000$" "$tmp/o"'
check "criterion 2 rates" 'grep -Eq "^before-failure +0.5000 +0.4000 +0.4444$" "$tmp/o"'
check "lead-time distribution" 'grep -q "min 30  median 35  mean 35  max 40" "$tmp/o"'
check "lead per stream" 'grep -q "^  s0 40$" "$tmp/o" && grep -q "^  s5 30$" "$tmp/o"'

"$E" leadtime --scores "$tmp/s.csv" --failures "$tmp/f.csv" --sweep > "$tmp/o" 2> "$tmp/e"; rc=$?
check "sweep exits 0" '[ $rc -eq 0 ]'
check "sweep has one row per breakpoint (9)" '[ $(($(wc -l < "$tmp/o") - 1)) -eq 9 ]'
check "sweep row 0.5 equals the single run" 'grep -Eq "^0\.5 +2 +1 +2 +2 +3 " "$tmp/o"'
check "sweep row 0.95: only a late alarm" 'grep -Eq "^0\.95 +0 +1 +4 +0 +5 " "$tmp/o"'

bad() { # name, expected stderr pattern, args...
  local name=$1 pat=$2; shift 2
  expect_fail "$name" -E "$pat" "$E" leadtime "$@"
}
bad "no threshold" "one of --threshold, --sweep" --scores "$tmp/s.csv" --failures "$tmp/f.csv"
bad "threshold and sweep" "one of --threshold, --sweep" --scores "$tmp/s.csv" --failures "$tmp/f.csv" --threshold 1 --sweep
bad "missing file" "nope.csv" --scores "$tmp/nope.csv" --failures "$tmp/f.csv" --threshold 1
printf 'stream,time,score\na,1,0.5\na,x,0.5\n' > "$tmp/b1.csv"
bad "bad number names file:line" "b1.csv:3: time 'x' is not a finite number" --scores "$tmp/b1.csv" --failures "$tmp/f.csv" --threshold 1
printf 'stream,time,score\na,2,0.5\na,1,0.5\n' > "$tmp/b2.csv"
printf 'stream,failure_time,region_start\na,,\n' > "$tmp/f2.csv"
bad "time going back" "b2.csv:3: stream 'a' goes back in time" --scores "$tmp/b2.csv" --failures "$tmp/f2.csv" --threshold 1
bad "stream without a failures row" "stream 's0' has scores but no row" --scores "$tmp/s.csv" --failures "$tmp/f2.csv" --threshold 1
printf 'stream,failure_time,region_start\na,10,20\n' > "$tmp/f3.csv"; printf 'stream,time,score\na,1,0.5\n' > "$tmp/b3.csv"
bad "region after failure" "f3.csv:2: stream 'a': region_start 20 is after failure_time 10" --scores "$tmp/b3.csv" --failures "$tmp/f3.csv" --threshold 1
printf 'stream,time\na,1\n' > "$tmp/b4.csv"
bad "missing column" "b4.csv:1: no 'score' column" --scores "$tmp/b4.csv" --failures "$tmp/f.csv" --threshold 1
exit $fail
