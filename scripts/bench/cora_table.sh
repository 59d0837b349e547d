#!/usr/bin/env bash
# Reproduces the Cora results of the GCN and GAT papers (and GraphSAGE-mean on the same split): trains
# configs/cora-{gcn,gat,sage}.yaml once per seed, reads each run's metrics.json, and prints a table with
# the paper's figure, mean ± sample std over the seeds, min/max and the time per run. --write replaces the
# table in docs/results.md (between the cora-table markers).
# usage: scripts/bench/cora_table.sh [--seeds N] [--bin DIR] [--models "gcn gat sage"] [--write]
set -euo pipefail
cd "$(dirname "$0")/../.."
SEEDS=10
BIN=${KPRCA_BUILD_DIR:-build}/bin
MODELS="gcn gat sage"
WRITE=0
while [ $# -gt 0 ]; do
  case "$1" in
    --seeds) SEEDS=$2; shift 2 ;;
    --bin) BIN=$2; shift 2 ;;
    --models) MODELS=$2; shift 2 ;;
    --write) WRITE=1; shift ;;
    -h|--help) sed -n 2,6p "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "cora_table.sh: unknown argument '$1'" >&2; exit 2 ;;
  esac
done
[ -x "$BIN/kprca-train" ] || { echo "cora_table.sh: $BIN/kprca-train not found (run scripts/build.sh)" >&2; exit 2; }
[ -f datasets/cora.h5 ] || { echo "cora_table.sh: datasets/cora.h5 missing (run scripts/make-datasets.sh)" >&2; exit 2; }
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
rows="$tmp/rows.tsv"
: > "$rows"
for m in $MODELS; do
  cfg=configs/cora-$m.yaml
  for ((s = 0; s < SEEDS; s++)); do
    /usr/bin/time -f '%e %U %S' -o "$tmp/time" "$BIN/kprca-train" --config "$cfg" train.seed=$s \
      output.dir="$tmp/runs" output.name="$m-s$s" train.progress=none > "$tmp/log" 2>&1 || { cat "$tmp/log" >&2; exit 1; }
    read -r wall user sys < "$tmp/time"
    mj=$(ls -d "$tmp/runs/$m-s$s"/*/metrics.json | head -1)
    python3 - "$mj" "$m" "$s" "$wall" "$user" "$sys" >> "$rows" <<'EOF'
import json, sys
j = json.load(open(sys.argv[1]))
print("\t".join([sys.argv[2], sys.argv[3], "%.6f" % j["test"]["accuracy"], "%.2f" % float(sys.argv[4]),
                 "%.2f" % (float(sys.argv[5]) + float(sys.argv[6])),
                 str(j.get("best_epoch", "")), str(j.get("epochs_run", ""))]))
EOF
    printf '%s seed %d: test accuracy %s\n' "$m" "$s" "$(tail -1 "$rows" | cut -f3)" >&2
  done
done
machine="$(nproc) CPUs, $(lscpu | sed -n 's/^Model name: *//p' | head -1)"
python3 - "$rows" "$SEEDS" "$machine" "$(git rev-parse --short HEAD)" > "$tmp/table.md" <<'EOF'
import statistics as st, sys
rows = [l.rstrip("\n").split("\t") for l in open(sys.argv[1])]
paper = {"gcn": ("GCN", "81.5", "Kipf & Welling, ICLR 2017, Table 2"),
         "gat": ("GAT", "83.0 ± 0.7", "Velickovic et al., ICLR 2018, Table 2"),
         "sage": ("GraphSAGE (mean)", "—", "not reported on this split in the paper")}
print("| model | paper | seeds | test accuracy, mean ± std | min | max | epochs run (mean) | CPU s per run | wall s per run |")
print("|---|---|---|---|---|---|---|---|---|")
for m in dict.fromkeys(r[0] for r in rows):
    rs = [r for r in rows if r[0] == m]
    acc = [100 * float(r[2]) for r in rs]
    wall = st.mean(float(r[3]) for r in rs)
    cpu = st.mean(float(r[4]) for r in rs)
    ep = [float(r[6]) for r in rs if r[6]]
    sd = st.stdev(acc) if len(acc) > 1 else 0.0
    name, fig, _ = paper.get(m, (m, "—", ""))
    eps = f"{st.mean(ep):.0f}" if ep else "—"
    print(f"| {name} | {fig} | {len(acc)} | {st.mean(acc):.1f} ± {sd:.1f} | {min(acc):.1f} | {max(acc):.1f} | {eps} | "
          f"{cpu:.1f} | {wall:.1f} |")
print()
print(f"Seeds 0..{int(sys.argv[2]) - 1} (`train.seed`); std is the sample standard deviation; CPU and wall seconds per run are "
      f"those of the whole `kprca-train` process (load, train, evaluate, write the run directory) on {sys.argv[3]}, "
      f"commit {sys.argv[4]}. Regenerate with `scripts/bench/cora_table.sh --write`.")
EOF
cat "$tmp/table.md"
if [ "$WRITE" = 1 ]; then
  python3 - docs/results.md "$tmp/table.md" <<'EOF'
import sys
doc, table = open(sys.argv[1]).read(), open(sys.argv[2]).read()
b, e = "<!-- cora-table:begin -->", "<!-- cora-table:end -->"
if b not in doc or e not in doc:
    sys.exit("cora_table.sh: docs/results.md has no cora-table markers")
head, rest = doc.split(b, 1)
_, tail = rest.split(e, 1)
open(sys.argv[1], "w").write(head + b + "\n" + table + e + tail)
EOF
  echo "docs/results.md updated" >&2
fi
