#!/usr/bin/env bash
# Drain benchmark: kprca vs Drain3 (PyPI) on the same synthetic 1,000,000-line kern.log, one core.
# usage: scripts/bench/drain_bench.sh [BUILD_DIR (default build)] [LINES (default 1000000)] [REPS (default 3)]
# Needs a built kprca (scripts/build.sh), python3 with venv, and PyPI access for drain3 the first time.
# Reports lines/s for: mining alone (masks + Drain on the extracted messages) and end to end
# (kprca-prep parse: read, log format, masks, Drain, CSV outputs; Drain3: read, format regex, mining).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=$(cd "${1:-$ROOT/build}" && pwd)
LINES=${2:-1000000}
REPS=${3:-3}
B=$BUILD/bench
mkdir -p "$B"
FMT='<Month> <Day> <Time> <Host> kernel: \[\s*<Uptime>\] <Content>'

# Pinning to one core (PIN=1) only helps on a quiet machine; on a shared one the pinned core may be busy.
[ "${PIN:-0}" = 1 ] && command -v taskset > /dev/null && PIN="taskset -c 0" || PIN=""

LOG=$B/kern_$LINES.log
if [ ! -f "$LOG" ]; then
  echo "generating $LOG" >&2
  python3 "$ROOT/scripts/bench/gen_kernlog.py" --lines "$LINES" --seed 1 --out "$LOG.tmp" && mv "$LOG.tmp" "$LOG"
fi
[ -x "$BUILD/bin/kprca-prep" ] && [ -f "$BUILD/lib/libkprca.a" ] || { echo "build kprca first (scripts/build.sh)" >&2; exit 2; }
cc -O2 -std=c11 -D_GNU_SOURCE -I"$ROOT/include" "$ROOT/scripts/bench/drain_mine.c" "$BUILD/lib/libkprca.a" \
  -lpcre2-8 -lutf8proc -lcjson -lm -lpthread -o "$B/drain_mine"
"$BUILD/bin/kprca-prep" parse --list-masks > "$B/masks.tsv"

if [ ! -x "$B/venv/bin/python" ] || ! "$B/venv/bin/python" -c "import drain3" 2> /dev/null; then
  echo "installing drain3 into $B/venv" >&2
  python3 -m venv "$B/venv"
  "$B/venv/bin/pip" install -q drain3
fi
DRAIN3_VERSION=$("$B/venv/bin/python" -c "import importlib.metadata as m; print(m.version('drain3'))")

best() { sort -g | head -1; }
# kprca: mining alone (best of REPS inside the program)
read -r _ n _ kc _ _ _ k_mine < <($PIN "$B/drain_mine" "$LOG" "$FMT" --reps "$REPS")
read -r _ _ _ _ _ _ _ k_mine_nm < <($PIN "$B/drain_mine" "$LOG" "$FMT" --reps "$REPS" --no-default-masks)
# kprca: end to end through the CLI (best wall time of REPS)
for i in $(seq "$REPS"); do
  s=$(date +%s.%N)
  $PIN "$BUILD/bin/kprca-prep" parse --input "$LOG" --log-format "$FMT" --output "$B/out" 2> /dev/null
  e=$(date +%s.%N)
  echo "$e - $s" | bc -l
done | best > "$B/k_e2e_seconds"
k_e2e=$(echo "$n / $(cat "$B/k_e2e_seconds")" | bc -l)
# Drain3 (one run each: it is slow)
read -r _ _ _ dc _ _ _ d_mine _ _ _ d_e2e < <($PIN "$B/venv/bin/python" "$ROOT/scripts/bench/drain3_bench.py" "$LOG" "$FMT" --masks "$B/masks.tsv")
read -r _ _ _ _ _ _ _ d_mine_nm _ _ _ _ < <($PIN "$B/venv/bin/python" "$ROOT/scripts/bench/drain3_bench.py" "$LOG" "$FMT")

cpu=$(grep -m1 "model name" /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')
echo "machine: $cpu, $(nproc) cores visible, $(uname -sr); pinned: ${PIN:-no}; drain3 $DRAIN3_VERSION, $(python3 --version)"
echo "log: $LOG ($n lines matched the format); clusters: kprca $kc, Drain3 $dc (default kernel masks)"
printf "%-44s %14s %14s %8s\n" "lines/s (one core)" "kprca" "Drain3" "ratio"
printf "%-44s %14.0f %14.0f %7.1fx\n" "mining: default kernel masks + Drain" "$k_mine" "$d_mine" "$(echo "$k_mine / $d_mine" | bc -l)"
printf "%-44s %14.0f %14.0f %7.1fx\n" "mining: Drain alone (no masks)" "$k_mine_nm" "$d_mine_nm" "$(echo "$k_mine_nm / $d_mine_nm" | bc -l)"
printf "%-44s %14.0f %14.0f %7.1fx\n" "end to end (kprca: CSV outputs too)" "$k_e2e" "$d_e2e" "$(echo "$k_e2e / $d_e2e" | bc -l)"
