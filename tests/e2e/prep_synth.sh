#!/usr/bin/env bash
# End to end: kprca-prep synth (args: BIN_DIR SOURCE_DIR): reproducible bytes, independence from N
# and thread count, the incident directory, refusal to clobber, --force, and one-line usage errors.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
P="$BIN/kprca-prep"

"$P" synth --help > "$tmp/help" 2>&1; rc=$?
check "--help exits 0" '[ $rc -eq 0 ] && grep -q -- "--benign-fraction" "$tmp/help"'
"$P" synth --list-categories > "$tmp/cats"; rc=$?
check "--list-categories lists none + 13 root causes" '[ $rc -eq 0 ] && [ $(wc -l < "$tmp/cats") -ge 14 ] && grep -q "^gpu_xid " "$tmp/cats"'

OMP_NUM_THREADS=1 "$P" synth --incidents 40 --seed 3 --out "$tmp/a" --quiet > "$tmp/a.out" 2> "$tmp/a.err"; rc=$?
check "generates 40 incidents" '[ $rc -eq 0 ] && [ $(ls "$tmp/a/incidents" | wc -l) -eq 40 ]'
check "labels.csv: header + 40 rows" '[ "$(head -1 "$tmp/a/labels.csv")" = "file,label,root_cause_lines,panic_line" ] && [ $(wc -l < "$tmp/a/labels.csv") -eq 41 ]'
check "summary on stdout, nothing on stderr with --quiet" 'grep -q "^wrote 40 incidents" "$tmp/a.out" && [ ! -s "$tmp/a.err" ]'
check "files are named incidents/NNNNNN.log" '[ -f "$tmp/a/incidents/000001.log" ] && [ -f "$tmp/a/incidents/000040.log" ]'
check "every line is syslog kern.log" '! cat "$tmp"/a/incidents/*.log | grep -qvE "^[A-Z][a-z]{2} [ 0-9][0-9] [0-9:]{8} [a-z0-9.-]+ kernel: \[ *[0-9]+\.[0-9]{6}\]"'

OMP_NUM_THREADS=2 "$P" synth --incidents 40 --seed 3 --out "$tmp/b" --quiet > /dev/null 2>&1
check "same seed, other thread count: identical bytes" 'diff -r "$tmp/a" "$tmp/b" > /dev/null'
"$P" synth --incidents 40 --seed 4 --out "$tmp/c" --quiet > /dev/null 2>&1
check "other seed: different incidents" '! cmp -s "$tmp/a/incidents/000001.log" "$tmp/c/incidents/000001.log"'
"$P" synth --incidents 15 --seed 3 --out "$tmp/d" --quiet > /dev/null 2>&1
check "fewer incidents: the same first 15" 'for i in $(seq -w 1 15); do cmp -s "$tmp/a/incidents/0000$i.log" "$tmp/d/incidents/0000$i.log" || exit 1; done'
check "fewer incidents: labels.csv is a prefix" '[ "$(head -16 "$tmp/a/labels.csv")" = "$(cat "$tmp/d/labels.csv")" ]'

"$P" synth --incidents 10 --seed 3 --benign-fraction 1 --out "$tmp/e" --quiet > /dev/null 2>&1
check "--benign-fraction 1: all 'none', no panic line" '[ $(grep -c ",none,," "$tmp/e/labels.csv") -eq 10 ] && ! grep -q "Kernel panic" "$tmp"/e/incidents/*.log'
"$P" synth --incidents 20 --seed 3 --benign-fraction 0 --categories nfs,oom --out "$tmp/f" --quiet > /dev/null 2>&1
check "--categories nfs,oom" '[ "$(tail -n +2 "$tmp/f/labels.csv" | cut -d, -f2 | sort -u | tr "\n" " ")" = "nfs oom " ]'

# refusing to clobber a non-empty directory; --force replaces it only after success
mkdir -p "$tmp/keep" && echo precious > "$tmp/keep/notes.txt"
"$P" synth --incidents 5 --seed 1 --out "$tmp/keep" > "$tmp/g" 2>&1; rc=$?
check "non-empty --out: exit 2" '[ $rc -eq 2 ]'
check "... one line naming the directory" '[ $(wc -l < "$tmp/g") -eq 1 ] && grep -q "keep: exists and is not empty" "$tmp/g"'
check "... the directory is untouched and no temporary is left" '[ "$(cat "$tmp/keep/notes.txt")" = precious ] && [ -z "$(ls -d "$tmp"/keep.* 2>/dev/null)" ]'
"$P" synth --incidents 5 --seed 1 --out "$tmp/keep" --force --quiet > /dev/null 2>&1; rc=$?
check "--force replaces it" '[ $rc -eq 0 ] && [ ! -e "$tmp/keep/notes.txt" ] && [ $(wc -l < "$tmp/keep/labels.csv") -eq 6 ] && [ -z "$(ls -d "$tmp"/keep.* 2>/dev/null)" ]'

# usage errors: exit 2 and exactly one line
bad() {
  local name=$1; shift
  expect_fail --quiet-stdout "$name" -F "" "$P" synth "$@"
}
bad "--incidents 0" --incidents 0 --seed 1 --out "$tmp/x"
bad "--incidents abc" --incidents abc --seed 1 --out "$tmp/x"
bad "--incidents missing value" --seed 1 --out "$tmp/x" --incidents
bad "--seed -1" --incidents 3 --seed -1 --out "$tmp/x"
bad "--benign-fraction 1.5" --incidents 3 --seed 1 --benign-fraction 1.5 --out "$tmp/x"
bad "--benign-fraction nan" --incidents 3 --seed 1 --benign-fraction nan --out "$tmp/x"
bad "--categories bogus" --incidents 3 --seed 1 --categories oom,bogus --out "$tmp/x"
bad "--categories none" --incidents 3 --seed 1 --categories none --out "$tmp/x"
bad "no --out" --incidents 3 --seed 1
bad "unknown flag" --incidents 3 --seed 1 --out "$tmp/x" --frobnicate
bad "missing parent directory" --incidents 3 --seed 1 --out "$tmp/no/such/dir"
check "no output left by the failures" '[ ! -e "$tmp/x" ] && [ ! -e "$tmp/no" ]'
exit $fail
