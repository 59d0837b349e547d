#!/usr/bin/env bash
# End to end: kprca-info and kprca-demo (args: BIN_DIR SOURCE_DIR).
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

"$BIN/kprca-info" > "$tmp/info" 2>&1; rc=$?
check "kprca-info exits 0" '[ $rc -eq 0 ]'
check "kprca-info lists the cpu" 'grep -q "devices: cpu" "$tmp/info"'

"$BIN/kprca-demo" --device cpu --epochs 120 --seed 3 > "$tmp/a" 2>&1; rc=$?
check "demo trains on the cpu" '[ $rc -eq 0 ]'
acc=$(sed -n 's/^test accuracy \([0-9.]*\).*/\1/p' "$tmp/a")
check "demo test accuracy $acc >= 0.85 (chance is 0.25)" 'awk -v a="${acc:-0}" "BEGIN{exit !(a >= 0.85)}"'
check "demo prints a 4x4 confusion matrix" '[ $(grep -cE "^  cause[0-9]" "$tmp/a") -eq 4 ]'
"$BIN/kprca-demo" --device cpu --epochs 120 --seed 3 > "$tmp/b" 2>&1
check "same seed gives identical output" 'cmp -s "$tmp/a" "$tmp/b"'

if ! "$BIN/kprca-info" | grep -q "cuda:0"; then
  "$BIN/kprca-demo" --device cuda > "$tmp/c" 2>&1; rc=$?
  check "--device cuda without a GPU exits 2" '[ $rc -eq 2 ]'
  check "... with one clear line" '[ $(wc -l < "$tmp/c") -eq 1 ] && grep -q "no CUDA device is usable" "$tmp/c"'
fi
"$BIN/kprca-demo" --device tpu > "$tmp/d" 2>&1; rc=$?
check "unknown device exits 2" '[ $rc -eq 2 ] && grep -q "allowed values are auto, cpu, cuda, cuda:N" "$tmp/d"'
"$BIN/kprca-demo" --epochs 0 > "$tmp/e" 2>&1; rc=$?
check "bad --epochs exits 2" '[ $rc -eq 2 ]'
"$BIN/kprca-demo" --bogus > "$tmp/f" 2>&1; rc=$?
check "unknown flag exits 2" '[ $rc -eq 2 ]'
exit $fail
