#!/usr/bin/env bash
# Runs the benchmark set of docs/results.md and prints its tables; --write rewrites the generated tables
# there (each between its <!-- NAME:begin/end --> markers; the text around them is left alone).
#   cora        Cora GCN/GAT/GraphSAGE over N seeds, by scripts/bench/cora_table.sh (table cora-table)
#   loghub      Drain on the nine loghub samples: kprca-prep parse + kprca-eval parsing with the benchmark
#               settings of scripts/bench/loghub_settings.tsv (table loghub-table)
#   gat gcn sage case-graph lines rootcause
#               the synthetic kernel-panic tasks on datasets/kernel-panic-3k/ (configs/gat.yaml, gcn.yaml,
#               sage.yaml, case-graph.yaml, minilm-lines.yaml, minilm-rootcause.yaml): accuracy, macro F1,
#               binary F1, time, test confusion matrix (tables kernel-panic-table, kernel-panic-confusion;
#               rows of tasks not run this time are kept). Groups: gnn = gat gcn sage case-graph,
#               bert = lines rootcause, kp = both.
# usage: scripts/bench/suite.sh [--quick] [--only NAMES] [--write] [--results FILE] [--bin DIR] [--seeds N]
#                               [--from-run TASK=RUN_DIR ...] [--parallel] [--threads N]
#                               [--keep DIR]
#   --quick       Cora with 2 seeds, GNN tasks with 5 epochs (case graph 20), BERT tasks skipped unless
#                 named in --only (then one epoch of 256 lines); rows are marked "quick"
#   --only NAMES  comma- or space-separated names or groups (default: all)
#   --seeds N     Cora seeds (default 10; 2 with --quick)
#   --from-run TASK=RUN_DIR  take a kernel-panic task's figures from a finished kprca-train run instead of
#                 training (e.g. a long BERT run made earlier; the task is then selected even if --only
#                 leaves it out); its time is the run's training time
#   --parallel    run the Cora models and the selected kernel-panic tasks at the same time (wall times
#                 then include the competition for cores; the CPU seconds do not)
#   --threads N   OpenMP threads per run (OMP_NUM_THREADS; on a loaded machine 1 wastes less time spinning)
#   --results FILE  the file --write rewrites (default docs/results.md)
#   --keep DIR    keep the run directories and parse outputs in DIR (default: a temporary directory)
# The BERT tasks need models/all-MiniLM-L6-v2 (scripts/fetch-model.sh) and take long on a CPU (15 to 35
# minutes each on 2 cores, by load); without the model they are skipped with a note. Datasets: scripts/make-datasets.sh.
# loghub needs ../shared/data/loghub (or $KPRCA_DATA/loghub). Exit 2: bad usage or missing inputs; 1: a run
# failed (then nothing is written).
set -euo pipefail
ORIG=$PWD
cd "$(dirname "$0")/../.."
abs() { case "$1" in /*) echo "$1" ;; *) echo "$ORIG/$1" ;; esac; }  # paths given by the user: from their cwd
ME=suite.sh
ARGS="$*"
QUICK=0
ONLY=""
WRITE=0
RESULTS=docs/results.md
BIN=${KPRCA_BUILD_DIR:-build}/bin
SEEDS=""
KEEP=""
PARALLEL=0
declare -A FROM=()
usage() { echo "$ME: $1" >&2; exit 2; }
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) QUICK=1; shift ;;
    --only) [ $# -ge 2 ] || usage "--only needs NAMES"; ONLY="$ONLY ${2//,/ }"; shift 2 ;;
    --write) WRITE=1; shift ;;
    --results) [ $# -ge 2 ] || usage "--results needs FILE"; RESULTS=$(abs "$2"); shift 2 ;;
    --bin) [ $# -ge 2 ] || usage "--bin needs DIR"; BIN=$(abs "$2"); shift 2 ;;
    --seeds) [[ ${2:-} =~ ^[1-9][0-9]*$ ]] || usage "--seeds needs a positive integer"; SEEDS=$2; shift 2 ;;
    --from-run)
      [[ ${2:-} == *=* ]] || usage "--from-run needs TASK=RUN_DIR"
      FROM[${2%%=*}]=$(abs "${2#*=}"); shift 2 ;;
    --parallel) PARALLEL=1; shift ;;
    --threads) [[ ${2:-} =~ ^[1-9][0-9]*$ ]] || usage "--threads needs a positive integer"; export OMP_NUM_THREADS=$2; shift 2 ;;
    --keep) [ $# -ge 2 ] || usage "--keep needs DIR"; KEEP=$(abs "$2"); shift 2 ;;
    -h|--help) sed -n 2,31p "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) usage "unknown argument '$1' (--help lists them)" ;;
  esac
done
ALL_KP="gat gcn sage case-graph lines rootcause"
SEL=""
for n in ${ONLY:-cora loghub $ALL_KP}; do
  case "$n" in
    cora|loghub|gat|gcn|sage|case-graph|lines|rootcause) SEL="$SEL $n" ;;
    gnn) SEL="$SEL gat gcn sage case-graph" ;;
    bert) SEL="$SEL lines rootcause" ;;
    kp) SEL="$SEL $ALL_KP" ;;
    *) usage "unknown name '$n' in --only (cora, loghub, gat, gcn, sage, case-graph, lines, rootcause, gnn, bert, kp)" ;;
  esac
done
selected() { [[ " $SEL " == *" $1 "* ]]; }
named() { [[ " $ONLY " == *" $1 "* || " $ONLY " == *" bert "* || " $ONLY " == *" kp "* ]]; }
for t in "${!FROM[@]}"; do
  [[ " $ALL_KP " == *" $t "* ]] || usage "--from-run: unknown task '$t' ($ALL_KP)"
  [ -f "${FROM[$t]}/metrics.json" ] || usage "--from-run $t: ${FROM[$t]}/metrics.json not found"
  selected "$t" || SEL="$SEL $t"
done
if [ -z "$SEEDS" ]; then if [ "$QUICK" = 1 ]; then SEEDS=2; else SEEDS=10; fi; fi
[ -x "$BIN/kprca-train" ] && [ -x "$BIN/kprca-prep" ] && [ -x "$BIN/kprca-eval" ] ||
  usage "$BIN/kprca-train, kprca-prep or kprca-eval not found (scripts/build.sh, or --bin DIR)"
if [ "$WRITE" = 1 ]; then
  [ -f "$RESULTS" ] && [ -w "$RESULTS" ] || usage "$RESULTS: not a writable file"
  # fail before the runs, not after them, when a region to rewrite has no markers
  need=""
  selected cora && need="cora-table"
  selected loghub && need="$need loghub-table"
  for t in $ALL_KP; do selected "$t" && need="$need kernel-panic-table kernel-panic-confusion" && break; done
  for n in $need; do
    grep -qF "<!-- $n:begin -->" "$RESULTS" && grep -qF "<!-- $n:end -->" "$RESULTS" ||
      { echo "$ME: $RESULTS: no '<!-- $n:begin -->' ... '<!-- $n:end -->' markers" >&2; exit 1; }
  done
fi
PY=python3
TABLES=scripts/bench/suite/tables.py
if [ -n "$KEEP" ]; then mkdir -p "$KEEP"; WORK=$(cd "$KEEP" && pwd); else WORK=""; fi
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
[ -n "$WORK" ] || WORK=$tmp/work
mkdir -p "$WORK"

# nproc --all: plain nproc follows OMP_NUM_THREADS (--threads)
base_machine="$(nproc --all) CPUs, $(lscpu | sed -n 's/^Model name: *//p' | head -1)"
machine=$base_machine
[ -z "${OMP_NUM_THREADS:-}" ] || machine="$machine, $OMP_NUM_THREADS OpenMP thread(s) per run"
commit=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
git diff --quiet HEAD -- src include cuda 2>/dev/null || commit="$commit (+ uncommitted changes)"
# the binaries may be older than HEAD: say when they were built
commit="$commit, binaries built $(date -u -r "$BIN/kprca-train" '+%Y-%m-%d %H:%M UTC' 2>/dev/null || echo '?')"
meta() { # meta FILE COMMAND [COMMIT [DATE]]
  "$PY" -c 'import json, sys; json.dump(dict(machine=sys.argv[2], commit=sys.argv[3], date=sys.argv[4],
command=sys.argv[5], quick=sys.argv[6] == "1"), open(sys.argv[1], "w"))' "$1" "$machine" "${3:-$commit}" \
    "${4:-$(date -u +%Y-%m-%d)}" "$2" "$QUICK"
}
meta "$tmp/meta.json" "scripts/bench/suite.sh${ARGS:+ $ARGS}"
note() { echo "$ME: $*" >&2; }
secs() { awk -v a="$1" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.2f", b - a }'; }
WROTE=()

# ---- Cora ---------------------------------------------------------------------------------------------
if selected cora; then
  if [ ! -f datasets/cora.h5 ]; then
    note "cora skipped: datasets/cora.h5 missing (scripts/make-datasets.sh)"
  else
    note "cora: $SEEDS seeds per model (scripts/bench/cora_table.sh)"
    if [ "$PARALLEL" = 1 ]; then
      # one cora_table.sh per model at the same time; their tables are joined under one header
      cpids=()
      for m in gcn gat sage; do
        bash scripts/bench/cora_table.sh --seeds "$SEEDS" --bin "$BIN" --models "$m" > "$tmp/cora-$m.md" & cpids+=($!)
      done
      for p in "${cpids[@]}"; do wait "$p" || { note "cora_table.sh failed"; exit 1; }; done
      { head -2 "$tmp/cora-gcn.md"; for m in gcn gat sage; do sed -n '3,/^$/p' "$tmp/cora-$m.md" | grep '^|'; done
        echo; sed -n '/^Seeds /p' "$tmp/cora-gcn.md"
        echo; echo "The three models ran at the same time."; } > "$tmp/cora.md"
    else
      bash scripts/bench/cora_table.sh --seeds "$SEEDS" --bin "$BIN" > "$tmp/cora.md" || { note "cora_table.sh failed"; exit 1; }
    fi
    # cora_table.sh names the machine with nproc, which follows OMP_NUM_THREADS
    [ -z "${OMP_NUM_THREADS:-}" ] || sed -i "s/ on $(nproc) CPUs, / on $(nproc --all) CPUs (runs limited to $OMP_NUM_THREADS OpenMP thread(s)), /" "$tmp/cora.md"
    printf '\nRun by `scripts/bench/suite.sh%s` (%s).\n' "${ARGS:+ $ARGS}" "${commit#*, }" >> "$tmp/cora.md"
    if [ "$QUICK" = 1 ]; then printf '\nQuick run: %s seeds only.\n' "$SEEDS" >> "$tmp/cora.md"; fi
    echo; echo "## Cora"; cat "$tmp/cora.md"
    WROTE+=("cora-table:$tmp/cora.md")
  fi
fi

# ---- loghub parsing GA --------------------------------------------------------------------------------
if selected loghub; then
  LOGHUB=${KPRCA_DATA:-../shared/data}/loghub
  if [ ! -d "$LOGHUB" ]; then
    note "loghub skipped: $LOGHUB not found (set KPRCA_DATA)"
  else
    : > "$tmp/loghub.tsv"
    while IFS=$'\t' read -r -a f; do
      [[ ${#f[@]} -eq 0 || ${f[0]} == \#* ]] && continue
      [ "${#f[@]}" -ge 5 ] || { note "scripts/bench/loghub_settings.tsv: '${f[0]}': fewer than 5 fields"; exit 2; }
      sys=${f[0]}; sim=${f[1]}; depth=${f[2]}; pub=${f[3]}; fmt=${f[4]}
      masks=()
      for m in "${f[@]:5}"; do masks+=(--mask "$m"); done
      log=$LOGHUB/$sys/${sys}_2k.log
      out=$WORK/loghub/$sys
      t0=$EPOCHREALTIME
      "$BIN/kprca-prep" parse --input "$log" --output "$out" --log-format "$fmt" "${masks[@]}" --no-default-masks \
        --sim "$sim" --depth "$depth" --max-children 100 2> "$tmp/parse.err" || { cat "$tmp/parse.err" >&2; exit 1; }
      dt=$(secs "$t0")
      "$BIN/kprca-eval" parsing --truth "$log"_structured.csv --pred "$out/${sys}_2k.log_structured.csv" > "$tmp/eval" ||
        exit 1
      ga=$(awk '$1 == "GA" { print $2 }' "$tmp/eval")
      pa=$(awk '$1 == "PA" { print $2 }' "$tmp/eval")
      fga=$(awk '$1 == "FGA" { print $2 }' "$tmp/eval")
      tg=$(sed -n 's/.*truth groups \([0-9]*\).*/\1/p' "$tmp/eval")
      pt=$(($(wc -l < "$out/${sys}_2k.log_templates.csv") - 1))
      [ -n "$ga" ] && [ -n "$tg" ] || { note "$sys: cannot read kprca-eval parsing's output"; cat "$tmp/eval" >&2; exit 1; }
      printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$sys" "$sim" "$depth" "$ga" "$pub" "$pa" "$fga" "$tg" "$pt" \
        "$dt" >> "$tmp/loghub.tsv"
      note "loghub $sys: GA $ga (published $pub)"
    done < scripts/bench/loghub_settings.tsv
    "$PY" "$TABLES" loghub "$tmp/loghub.tsv" "$tmp/meta.json" > "$tmp/loghub.md"
    echo; echo "## loghub parsing"; cat "$tmp/loghub.md"
    WROTE+=("loghub-table:$tmp/loghub.md")
  fi
fi

# ---- synthetic kernel-panic tasks ---------------------------------------------------------------------
declare -A CFG=([gat]=configs/gat.yaml [gcn]=configs/gcn.yaml [sage]=configs/sage.yaml
  [case-graph]=configs/case-graph.yaml [lines]=configs/minilm-lines.yaml [rootcause]=configs/minilm-rootcause.yaml)
: > "$tmp/kp.jsonl"
run_task() { # run_task TASK: trains it (or imports --from-run) and writes its row to $tmp/kp-TASK.jsonl
  local t=$1 rd cfg data cmd over=()
  if [ -n "${FROM[$t]:-}" ]; then
    rd=${FROM[$t]}
    # an imported run: its date is the run directory's timestamp; its commit and threads come from its
    # metrics.json (kprca_commit, threads), written by runs since 2026-11-26, else "not recorded"
    local d; d=$(basename "$rd" | sed -n 's/^\([0-9]\{4\}\)\([0-9]\{2\}\)\([0-9]\{2\}\)-.*/\1-\2-\3/p')
    local rc rth; read -r rc rth < <("$PY" -c 'import json, sys; m = json.load(open(sys.argv[1]))
print(m.get("kprca_commit", "not-recorded"), m.get("threads", 0))' "$rd/metrics.json" 2>/dev/null || echo "not-recorded 0")
    local rthreads="this machine; its thread count is not recorded" made="the program and commit that made it are not recorded"
    [ "${rth:-0}" -gt 0 ] && rthreads="$rth OpenMP thread(s)"
    [ "$rc" != not-recorded ] && made="made by kprca $rc"
    machine="$base_machine ($rthreads)" meta "$tmp/meta-$t.json" "run $rd of ${CFG[$t]}, imported by scripts/bench/suite.sh --from-run; $made" \
      "${rc/not-recorded/not recorded}" "${d:-unknown date}"
    "$PY" "$TABLES" kp-row "$t" "$rd" - "$tmp/meta-$t.json" > "$tmp/kp-$t.jsonl" || return 1
    note "$t: figures from $rd"
    return 0
  fi
  cfg=${CFG[$t]}
  case "$t" in
    lines|rootcause) if [ "$QUICK" = 1 ]; then over=(data.lines_per_epoch=256 train.epochs=1); fi ;;
    case-graph) if [ "$QUICK" = 1 ]; then over=(train.epochs=20); fi ;;
    *) if [ "$QUICK" = 1 ]; then over=(train.epochs=5); fi ;;
  esac
  note "$t: kprca-train --config $cfg ${over[*]}"
  /usr/bin/time -f '%e %U %S' -o "$tmp/time-$t" "$BIN/kprca-train" --config "$cfg" "${over[@]}" \
    output.dir="$WORK/runs" output.name="$t" train.progress=none > "$tmp/train-$t.log" 2>&1 ||
    { note "$t: kprca-train failed:"; tail -5 "$tmp/train-$t.log" >&2; return 1; }
  rd=$(ls -d "$WORK/runs/$t"/*/ | tail -1)
  cmd="kprca-train --config $cfg${over:+ ${over[*]}} (scripts/bench/suite.sh${ARGS:+ $ARGS})"
  meta "$tmp/meta-$t.json" "$cmd"
  "$PY" "$TABLES" kp-row "$t" "${rd%/}" "$(awk '{ printf "%s/%.2f", $1, $2 + $3 }' "$tmp/time-$t")" \
    "$tmp/meta-$t.json" > "$tmp/kp-$t.jsonl" || return 1
  note "$t: done ($(cut -d' ' -f1 "$tmp/time-$t") s)"
}
TASKS_RUN=()
declare -A PID=()
for t in $ALL_KP; do
  selected "$t" || continue
  if [ -z "${FROM[$t]:-}" ]; then
    data=$(sed -n 's/^  path: \(datasets\/.*\.h5\).*/\1/p' "${CFG[$t]}" | head -1)
    case "$t" in
      lines|rootcause)
        if [ "$QUICK" = 1 ] && ! named "$t"; then note "$t skipped: --quick (name it in --only to run it)"; continue; fi
        if [ ! -f models/all-MiniLM-L6-v2/model.safetensors ]; then
          note "$t skipped: models/all-MiniLM-L6-v2 not found (scripts/fetch-model.sh)"; continue
        fi ;;
    esac
    if [ -n "$data" ] && [ ! -f "$data" ]; then note "$t skipped: $data missing (scripts/make-datasets.sh)"; continue; fi
  fi
  TASKS_RUN+=("$t")
  if [ "$PARALLEL" = 1 ]; then run_task "$t" & PID[$t]=$!; else run_task "$t" || exit 1; fi
done
for t in "${!PID[@]}"; do wait "${PID[$t]}" || { note "$t failed"; exit 1; }; done
KP_RUN=0
for t in "${TASKS_RUN[@]}"; do cat "$tmp/kp-$t.jsonl" >> "$tmp/kp.jsonl"; KP_RUN=1; done
if [ "$KP_RUN" = 1 ]; then
  echo; echo "## Synthetic kernel-panic tasks"
  "$PY" -c 'import json, sys
for l in open(sys.argv[1]):
    r = json.loads(l); print(r["row"]); print(r["block"])' "$tmp/kp.jsonl"
fi

# ---- write --------------------------------------------------------------------------------------------
if [ "$WRITE" = 1 ]; then
  cp "$RESULTS" "$tmp/results.md"
  for w in "${WROTE[@]}"; do "$PY" "$TABLES" splice "$tmp/results.md" "${w%%:*}" "${w#*:}" || exit 1; done
  if [ "$KP_RUN" = 1 ]; then "$PY" "$TABLES" kp-write "$tmp/results.md" "$tmp/kp.jsonl" "$tmp/meta.json" || exit 1; fi
  cat "$tmp/results.md" > "$RESULTS.tmp.$$" && mv "$RESULTS.tmp.$$" "$RESULTS"
  note "$RESULTS updated"
fi
