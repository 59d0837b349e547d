#!/usr/bin/env bash
# MiniLM fine-tuning and inference on CPU: kprca (scripts/bench/bert_bench.c) vs transformers
# (scripts/bench/bert_bench.py) on the same N lines, the same batches of 32 (kprca's length buckets), the
# same seed and the same thread count, one after the other in this run. transformers runs twice: (a)
# DataCollatorWithPadding padding each batch to its longest line (what kprca does) and (b) every line
# padded to 128 tokens (the CLX study's setting). Figures: samples/s and real tokens/s of the best of
# REPS passes (after one warm-up step), peak RSS of each process (/usr/bin/time -f %M), ratios.
# Usage: scripts/bench/bert_bench.sh BUILD_DIR PYTHON [N] [REPS]
#   BUILD_DIR: a kprca build (lib/libkprca.a, bin/kprca-prep); PYTHON: a python with torch + transformers.
#   N: lines (default 320); REPS: timed passes (default 1).
#   Environment: LINES (a kprca.lines file; default datasets/kernel-panic-3k/lines.h5), MODEL (default
#   models/all-MiniLM-L6-v2, from scripts/fetch-model.sh), THREADS (default 2), SEED (default 1).
set -euo pipefail
if [ $# -lt 2 ]; then
  echo "usage: $0 BUILD_DIR PYTHON [N] [REPS]" >&2
  exit 2
fi
build=$(cd "$1" && pwd); py=$2; n=${3:-320}; reps=${4:-1}
src=$(cd "$(dirname "$0")/../.." && pwd)
model=${MODEL:-$src/models/all-MiniLM-L6-v2}; lines=${LINES:-$src/datasets/kernel-panic-3k/lines.h5}
threads=${THREADS:-2}; seed=${SEED:-1}
[ -f "$model/model.safetensors" ] || { echo "bert_bench.sh: $model: no model (run scripts/fetch-model.sh)" >&2; exit 2; }
[ -f "$lines" ] || { echo "bert_bench.sh: $lines: no such lines file" >&2; exit 2; }
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
# the driver links as the tools do: take the libraries from kprca-prep's link line
link=$build/CMakeFiles/kprca-prep.dir/link.txt
[ -f "$link" ] || { echo "bert_bench.sh: $link: build kprca-prep first" >&2; exit 2; }
libs=$(sed 's/.* lib\/libkprca.a //' "$link"); rpath=$(grep -o -- '-Wl,-rpath,[^ ]*' "$link" || true)
cc -O2 -std=c11 -I"$src/include" -c "$src/scripts/bench/bert_bench.c" -o "$work/bert_bench.o"
# shellcheck disable=SC2086
c++ "$work/bert_bench.o" -o "$work/bert_bench" $rpath "$build/lib/libkprca.a" $libs -fopenmp
export OMP_NUM_THREADS=$threads BENCH_THREADS=$threads TOKENIZERS_PARALLELISM=false
export HF_HUB_OFFLINE=1 TRANSFORMERS_VERBOSITY=error
echo "machine: $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) cores, $threads threads each; $(uptime | sed 's/.*load/load/')"
echo "OMP_WAIT_POLICY=${OMP_WAIT_POLICY:-(unset)}"
"$work/bert_bench" plan "$model" "$lines" "$n" 32 "$seed" "$work/plan.txt"
run() { # NAME COMMAND...: the result line with rss_mb= appended
  local name=$1; shift
  /usr/bin/time -f "%M" -o "$work/rss" "$@" > "$work/out" 2> "$work/err" || { cat "$work/err" >&2; exit 1; }
  echo "$(grep -E '^(kprca|transformers) ' "$work/out") rss_mb=$(( $(cat "$work/rss") / 1024 ))" | tee "$work/$name"
}
run kp_train "$work/bert_bench" train "$model" "$lines" "$n" 32 "$seed" "$reps"
run hf_train_dyn "$py" "$src/scripts/bench/bert_bench.py" train "$model" "$work/plan.txt" dynamic "$reps"
run hf_train_128 "$py" "$src/scripts/bench/bert_bench.py" train "$model" "$work/plan.txt" max128 "$reps"
run kp_infer "$work/bert_bench" infer "$model" "$lines" "$n" 32 "$seed" "$reps"
run hf_infer_dyn "$py" "$src/scripts/bench/bert_bench.py" infer "$model" "$work/plan.txt" dynamic "$reps"
run hf_infer_128 "$py" "$src/scripts/bench/bert_bench.py" infer "$model" "$work/plan.txt" max128 "$reps"
echo "after: $(uptime | sed 's/.*load/load/')"
get() { sed -n "s/.* $2=\([0-9.]*\).*/\1/p" "$work/$1"; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2fx", a / b }'; }
echo "fine-tuning samples/s, kprca / transformers: dynamic padding $(ratio "$(get kp_train samples_per_s)" \
  "$(get hf_train_dyn samples_per_s)"), padded to 128 $(ratio "$(get kp_train samples_per_s)" "$(get hf_train_128 samples_per_s)")"
echo "fine-tuning peak RSS, kprca / transformers: dynamic $(ratio "$(get kp_train rss_mb)" "$(get hf_train_dyn rss_mb)"),"\
  "padded to 128 $(ratio "$(get kp_train rss_mb)" "$(get hf_train_128 rss_mb)")"
echo "inference lines/s, kprca / transformers: dynamic padding $(ratio "$(get kp_infer samples_per_s)" \
  "$(get hf_infer_dyn samples_per_s)"), padded to 128 $(ratio "$(get kp_infer samples_per_s)" "$(get hf_infer_128 samples_per_s)")"
