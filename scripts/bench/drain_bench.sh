#!/usr/bin/env bash
# Drain benchmark: kprca vs Drain3 (PyPI) on the same synthetic 1,000,000-line kern.log, one core.
# usage: scripts/bench/drain_bench.sh [BUILD_DIR (default build)] [LINES (default 1000000)] [REPS (default 3)]
# CHECK=1 first checks the default masks against their PCRE2 reference on the log (drain_maskcheck.c).
# Needs a built kprca (scripts/build.sh), python3 with venv, and PyPI access for drain3 the first time.
# Reports lines/s for: mining (masks + Drain on the extracted messages), end to end, and Drain alone
# (kprca-prep parse: read, log format, masks, Drain, CSV outputs; Drain3: read, format regex, mining),
# by wall time and by CPU time (user + sys: on a shared machine, what other jobs take shows in wall time).
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
if [ "${CHECK:-0}" = 1 ]; then # the masks against one PCRE2 pass over each line (messages, then whole lines)
  cc -O2 -std=c11 -D_GNU_SOURCE -I"$ROOT/include" "$ROOT/scripts/bench/drain_maskcheck.c" "$BUILD/lib/libkprca.a" \
    -lpcre2-8 -lutf8proc -lcjson -lm -lpthread -o "$B/drain_maskcheck"
  "$B/drain_maskcheck" --format "$FMT" "$LOG" && "$B/drain_maskcheck" "$LOG"
fi

if [ ! -x "$B/venv/bin/python" ] || ! "$B/venv/bin/python" -c "import drain3" 2> /dev/null; then
  echo "installing drain3 into $B/venv" >&2
  python3 -m venv "$B/venv"
  "$B/venv/bin/pip" install -q drain3
fi
DRAIN3_VERSION=$("$B/venv/bin/python" -c "import importlib.metadata as m; print(m.version('drain3'))")

best() { sort -g | head -1; }
ratio() { echo "$1 / $2" | bc -l; }
row() { printf "%-52s %12.0f %12.0f %7.1fx\n" "$1" "$2" "$3" "$(ratio "$2" "$3")"; }
cpu=$(grep -m1 "model name" /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')
echo "machine: $cpu, $(nproc) cores visible, $(uname -sr); pinned: ${PIN:-no}; drain3 $DRAIN3_VERSION, $(python3 --version)"
printf "%-52s %12s %12s %8s\n" "lines/s, one thread" "kprca" "Drain3" "ratio"

# 1. mining with the default kernel masks (both: the same rules as one alternation), all lines
read -r _ n _ kc _ _ _ k_mine _ _ _ k_mine_cpu < <($PIN "$B/drain_mine" "$LOG" "$FMT" --reps "$REPS")
d_mine=0 d_e2e=0 d_mine_cpu=0 d_e2e_cpu=0
for i in $(seq "$REPS"); do # best of REPS, as for kprca
  read -r _ _ _ dc _ _ _ dm _ _ _ de _ _ _ dmc _ _ _ dec < <($PIN "$B/venv/bin/python" "$ROOT/scripts/bench/drain3_bench.py" "$LOG" \
    "$FMT" --masks "$B/masks.tsv" 2> /dev/null)
  d_mine=$(echo "if ($dm > $d_mine) $dm else $d_mine" | bc -l)
  d_e2e=$(echo "if ($de > $d_e2e) $de else $d_e2e" | bc -l)
  d_mine_cpu=$(echo "if ($dmc > $d_mine_cpu) $dmc else $d_mine_cpu" | bc -l)
  d_e2e_cpu=$(echo "if ($dec > $d_e2e_cpu) $dec else $d_e2e_cpu" | bc -l)
done
row "mining, kernel masks ($n lines; $kc / $dc templates)" "$k_mine" "$d_mine"
row "mining, kernel masks, CPU time" "$k_mine_cpu" "$d_mine_cpu"

# 2. end to end: kprca-prep parse (read, format, masks, Drain, CSV files written and synced)
for i in $(seq "$REPS"); do
  /usr/bin/time -f "%e %U %S" -o "$B/time.txt" $PIN "$BUILD/bin/kprca-prep" parse --input "$LOG" --log-format "$FMT" \
    --output "$B/out" 2> /dev/null
  read -r wall user sys < "$B/time.txt"
  echo "$wall $(echo "$user + $sys" | bc -l)"
done > "$B/k_e2e_times"
k_e2e=$(echo "$n / $(cut -d' ' -f1 "$B/k_e2e_times" | best)" | bc -l)
k_e2e_cpu=$(echo "$n / $(cut -d' ' -f2 "$B/k_e2e_times" | best)" | bc -l)
row "end to end, wall (Drain3: read, format regex, mining)" "$k_e2e" "$d_e2e"
row "end to end, CPU time (user + sys)" "$k_e2e_cpu" "$d_e2e_cpu"

# 3. Drain alone, no masks: every number makes a new template (~55,000 on the whole log) and
#    Drain's leaf scans grow with them; Drain3 slows to a few hundred lines/s, so the first 100,000 lines
SMALL=$B/kern_${LINES}_head100k.log
head -100000 "$LOG" > "$SMALL"
read -r _ ns _ kcs _ _ _ k_nm _ < <($PIN "$B/drain_mine" "$SMALL" "$FMT" --reps "$REPS" --no-default-masks)
read -r _ _ _ dcs _ _ _ d_nm _ < <($PIN "$B/venv/bin/python" "$ROOT/scripts/bench/drain3_bench.py" "$SMALL" "$FMT" 2> /dev/null)
row "mining, no masks (first $ns lines; $kcs / $dcs templates)" "$k_nm" "$d_nm"
