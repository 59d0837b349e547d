#!/usr/bin/env bash
# kprca vs PyTorch Geometric on the same machine, in the same run: same dataset, same resolved config
# (kprca-train --print-config feeds both), same epochs, same thread count. For each case it prints the
# seconds per epoch (mean over the epochs after the first; an epoch = one pass over the training data plus
# the validation evaluation), the peak RSS of each process, the final test accuracy, and the ratios.
#
# Cases: cora-gcn, cora-gat, cora-sage (configs/cora-*.yaml on datasets/cora.h5, 200 epochs, no early
# stopping) and incidents-20k (configs/gat.yaml, graph classification on incident graphs built from
# 20,000 synthetic incidents; a few epochs).
#
# usage: scripts/bench/gnn_bench.sh [--device cpu|cuda] [--threads N] [--cases "cora-gcn ..."]
#                                   [--epochs N] [--graph-epochs N] [--python PY] [--bin DIR]
# PY needs torch, torch_geometric, h5py and pyyaml (default: build/golden-venv/bin/python; h5py and
# pyyaml are pip-installed into it when missing).
set -euo pipefail
cd "$(dirname "$0")/../.."
DEVICE=cpu
THREADS=$(nproc)
CASES="cora-gcn cora-gat cora-sage incidents-20k"
EPOCHS=200
GEPOCHS=3
PY=build/golden-venv/bin/python
BIN=${KPRCA_BUILD_DIR:-build}/bin
while [ $# -gt 0 ]; do
  case "$1" in
    --device) DEVICE=$2; shift 2 ;;
    --threads) THREADS=$2; shift 2 ;;
    --cases) CASES=$2; shift 2 ;;
    --epochs) EPOCHS=$2; shift 2 ;;
    --graph-epochs) GEPOCHS=$2; shift 2 ;;
    --python) PY=$2; shift 2 ;;
    --bin) BIN=$2; shift 2 ;;
    -h|--help) sed -n 2,14p "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "gnn_bench.sh: unknown argument '$1'" >&2; exit 2 ;;
  esac
done
[ -x "$BIN/kprca-train" ] || { echo "gnn_bench.sh: $BIN/kprca-train not found (run scripts/build.sh)" >&2; exit 2; }
[ -x "$PY" ] || { echo "gnn_bench.sh: python '$PY' not found (a venv with torch and torch_geometric; --python PY)" >&2; exit 2; }
"$PY" -c 'import torch, torch_geometric' 2>/dev/null ||
  { echo "gnn_bench.sh: $PY lacks torch or torch_geometric (pip install torch torch_geometric)" >&2; exit 2; }
"$PY" -c 'import h5py, yaml' 2>/dev/null || "$PY" -m pip install -q h5py pyyaml
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT

echo "machine: $(nproc) CPUs, $(lscpu | sed -n 's/^Model name: *//p' | head -1), $(free -g | awk '/Mem:/{print $2}') GiB RAM;" \
  "threads: $THREADS; device: $DEVICE; load: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "kprca $(git rev-parse --short HEAD); $("$PY" -c 'import torch, torch_geometric as g; print("torch", torch.__version__, "torch_geometric", g.__version__)' 2>/dev/null)"

graph_data() { # the 20k-incident graph dataset, built once into BIN/../bench-data/
  local d; d=$(dirname "$BIN")/bench-data/kernel-panic-20k
  if [ ! -f "$d.incident-graphs.h5" ]; then
    mkdir -p "$(dirname "$d")"
    [ -f "$d/labels.csv" ] || "$BIN/kprca-prep" synth --incidents 20000 --seed 1 --out "$d" --quiet >&2
    "$BIN/kprca-prep" build --input "$d" --kind incident-graphs --out "$d.incident-graphs.h5" >&2
  fi
  echo "$d.incident-graphs.h5"
}

printf '\n| case | epochs | kprca s/epoch | PyG s/epoch | speed-up | kprca peak RSS MiB | PyG peak RSS MiB | memory ratio | kprca test acc | PyG test acc |\n'
printf '|---|---|---|---|---|---|---|---|---|---|\n'
for c in $CASES; do
  case "$c" in
    cora-gcn|cora-gat|cora-sage)
      [ -f datasets/cora.h5 ] || { echo "gnn_bench.sh: datasets/cora.h5 missing (scripts/make-datasets.sh)" >&2; exit 2; }
      cfg=configs/$c.yaml; ep=$EPOCHS; over=(data.path=datasets/cora.h5) ;;
    incidents-20k)
      cfg=configs/gat.yaml; ep=$GEPOCHS; over=(data.path="$(graph_data)") ;;
    *) echo "gnn_bench.sh: unknown case '$c'" >&2; exit 2 ;;
  esac
  over+=(train.epochs=$ep train.patience=0 train.eval_every=1 train.progress=none device=$DEVICE
         output.dir="$tmp/runs" output.name="$c" output.checkpoint_every=0)
  "$BIN/kprca-train" --config "$cfg" "${over[@]}" --print-config > "$tmp/$c.yaml"
  OMP_NUM_THREADS=$THREADS /usr/bin/time -f %M -o "$tmp/$c.rss" "$BIN/kprca-train" --config "$cfg" "${over[@]}" \
    > "$tmp/$c.log" 2>&1 || { cat "$tmp/$c.log" >&2; exit 1; }
  run=$(ls -d "$tmp/runs/$c"/*/ | head -1)
  OMP_NUM_THREADS=$THREADS "$PY" scripts/bench/pyg_gnn.py --config "$tmp/$c.yaml" --device "$DEVICE" \
    --threads "$THREADS" > "$tmp/$c.pyg" 2> "$tmp/$c.pygerr" || { cat "$tmp/$c.pygerr" >&2; exit 1; }
  python3 - "$c" "$ep" "$run" "$(cat "$tmp/$c.rss")" "$(tail -1 "$tmp/$c.pyg")" <<'EOF'
import json, sys
case, ep, run, rss_kb, pyg = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), json.loads(sys.argv[5])
lines = [json.loads(l) for l in open(run + "metrics.jsonl")]
t = [l["time_s"] for l in lines][1:] or [lines[0]["time_s"]]
k = sum(t) / len(t)
acc = json.load(open(run + "metrics.json"))["test"]["accuracy"]
kr = rss_kb / 1024
print(f"| {case} | {ep} | {k:.4f} | {pyg['epoch_s']:.4f} | {pyg['epoch_s'] / k:.1f}x | {kr:.0f} | {pyg['peak_rss_mib']:.0f} | "
      f"{kr / pyg['peak_rss_mib']:.2f} | {acc:.3f} | {pyg['test_accuracy']:.3f} |")
EOF
done
