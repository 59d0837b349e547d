#!/usr/bin/env bash
# WordPiece throughput, one thread: kprca (scripts/bench/tokenizer_bench.c) vs Hugging Face's
# BertTokenizerFast (batch encode, RAYON_NUM_THREADS=1) on the same lines, best of 5, as a ratio.
# Usage: scripts/bench/tokenizer_bench.sh BUILD_DIR PYTHON [TEXT_FILE...]
#   BUILD_DIR: a kprca build (lib/libkprca.a); PYTHON: a python with transformers + tokenizers.
#   TEXT_FILE: one line per record; default: the synthetic corpus (kprca-prep synth --incidents 30
#   --seed 5) and the nine loghub samples.
set -euo pipefail
build=$(cd "$1" && pwd); py=$2; shift 2
src=$(cd "$(dirname "$0")/../.." && pwd)
vocab=$src/tests/fixtures/wordpiece/vocab.txt
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
cc -O2 -I"$src/include" "$src/scripts/bench/tokenizer_bench.c" "$build/lib/libkprca.a" -lutf8proc -lcjson -fopenmp -lm \
  -o "$work/tokbench"
if [ $# -eq 0 ]; then
  "$build/bin/kprca-prep" synth --incidents 30 --seed 5 --out "$work/synth" > /dev/null
  cat "$work"/synth/incidents/*.log > "$work/synth.txt"
  cat /work/shared/data/loghub/*/*_2k.log > "$work/loghub.txt"
  set -- "$work/synth.txt" "$work/loghub.txt"
fi
echo "machine: $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) cores; one thread each"
export RAYON_NUM_THREADS=1 TOKENIZERS_PARALLELISM=false OMP_NUM_THREADS=1
for f in "$@"; do
  "$py" "$src/scripts/bench/tokenizer_bench.py" records "$f" "$work/rec"
  hf=$("$py" "$src/scripts/bench/tokenizer_bench.py" bench "$vocab" "$work/rec" 5 2>/dev/null | grep '^hf_fast')
  kp=$("$work/tokbench" --bench "$vocab" uncased "$work/rec" 5)
  echo "$(basename "$f"): $hf"
  echo "$(basename "$f"): $kp"
  awk -v a="$hf" -v b="$kp" 'BEGIN { split(a, x, "lines_per_s="); split(b, y, "lines_per_s=");
    printf "ratio kprca/hf_fast = %.2fx\n", y[2] / x[2] }'
done
