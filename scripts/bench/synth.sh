#!/usr/bin/env bash
# Benchmark of kprca-prep synth: 20,000 incidents (the size of the production study) on one core
# and on all cores, into a temporary directory on the same disk as TMPDIR. Prints the machine.
# usage: scripts/bench/synth.sh [BIN_DIR] [INCIDENTS]
set -eu
BIN=${1:-build/bin}
N=${2:-20000}
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
echo "machine: $(nproc) CPUs, $(lscpu | sed -n 's/^Model name: *//p' | head -1), $(free -g | awk '/Mem:/{print $2}') GiB RAM"
for threads in 1 $(nproc); do
  rm -rf "$tmp/out"
  sync
  start=$(date +%s.%N)
  TIMEFORMAT="cpu: user %U s, system %S s"
  time OMP_NUM_THREADS=$threads "$BIN/kprca-prep" synth --incidents "$N" --seed 1 --out "$tmp/out" --quiet > "$tmp/log"
  end=$(date +%s.%N)
  head -1 "$tmp/log"
  awk -v s="$start" -v e="$end" -v n="$N" -v t="$threads" -v l="$(sed -n 's/.*: \([0-9]*\) lines.*/\1/p' "$tmp/log")" \
    'BEGIN { w = e - s; printf "threads=%d wall=%.2f s  %.0f incidents/s  %.2f M lines/s\n", t, w, n / w, l / w / 1e6 }'
done
