#!/usr/bin/env bash
# CPU dropout micro-benchmark (scripts/bench/dropout_bench.c): ns/element of kp_dropout_fwd / kp_dropout_bwd on
# dense and 1%-dense inputs, n = 4096 and 2^20, one thread, thread CPU time (best of REPS passes).
# Usage: scripts/bench/dropout_bench.sh BUILD_DIR [REF] [P] [REPS]
#   BUILD_DIR: a kprca build (lib/libkprca.a, bin/kprca-prep): the "after" line of each case.
#   REF: a git revision; when given, src/cpu/dropout.c as of REF is compiled and linked ahead of the same
#        library (its kp_cpu_dropout_* replace the build's), giving the "before" lines next to "after".
#   P: dropout probability (default 0.1); REPS: timed passes (default 7).
set -euo pipefail
if [ $# -lt 1 ]; then
  echo "usage: $0 BUILD_DIR [REF] [P] [REPS]" >&2
  exit 2
fi
build=$(cd "$1" && pwd); ref=${2:-}; p=${3:-0.1}; reps=${4:-7}
src=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
# the driver links as the tools do: take the libraries from kprca-prep's link line (Makefile or Ninja build)
link=$work/link.txt
if [ -f "$build/CMakeFiles/kprca-prep.dir/link.txt" ]; then
  cp "$build/CMakeFiles/kprca-prep.dir/link.txt" "$link"
elif [ -f "$build/build.ninja" ]; then
  ninja -C "$build" -t commands bin/kprca-prep | tail -n 1 > "$link"
fi
grep -q 'lib/libkprca.a' "$link" 2>/dev/null || { echo "dropout_bench.sh: $build: no kprca-prep link line (build kprca-prep first)" >&2; exit 2; }
[ -f "$build/lib/libkprca.a" ] || { echo "dropout_bench.sh: $build/lib/libkprca.a: build kprca first" >&2; exit 2; }
libs=$(sed -e 's/.* lib\/libkprca.a //' -e 's/ && :$//' "$link"); rpath=$(grep -o -- '-Wl,-rpath,[^ ]*' "$link" || true)
cc -O2 -std=c11 -I"$src/include" -c "$src/scripts/bench/dropout_bench.c" -o "$work/bench.o"
# shellcheck disable=SC2086
c++ "$work/bench.o" -o "$work/after" $rpath "$build/lib/libkprca.a" $libs -fopenmp
if [ -n "$ref" ]; then
  git -C "$src" show "$ref:src/cpu/dropout.c" > "$work/dropout_ref.c"
  # the library's compile flags (CMAKE_BUILD_TYPE=Release)
  cc -O3 -DNDEBUG -std=c11 -D_GNU_SOURCE -fopenmp -I"$src/include" -I"$src/src" -c "$work/dropout_ref.c" -o "$work/dropout_ref.o"
  # shellcheck disable=SC2086
  c++ "$work/bench.o" "$work/dropout_ref.o" -o "$work/before" $rpath "$build/lib/libkprca.a" $libs -fopenmp
fi
export OMP_NUM_THREADS=1
echo "machine: $(lscpu | sed -n 's/^Model name: *//p'), $(nproc --all) cores, 1 thread; $(uptime | sed 's/.*load/load/')"
[ -n "$ref" ] && "$work/before" "before($ref)" "$p" "$reps"
"$work/after" after "$p" "$reps"
