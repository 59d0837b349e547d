#!/usr/bin/env bash
# Installs what is missing, builds, and runs every test (labels unit, gpu, mpi, e2e).
# GPU tests report "skipped" on machines without a GPU. Tests labelled slow run with --slow.
set -euo pipefail
cd "$(dirname "$0")/.."
SLOW=0
for a in "$@"; do
  case "$a" in
    --slow) SLOW=1 ;;
    -h|--help) echo "usage: scripts/test.sh [--slow]"; exit 0 ;;
    *) echo "test.sh: unknown argument '$a' (usage: scripts/test.sh [--slow])" >&2; exit 2 ;;
  esac
done
./scripts/setup.sh
./scripts/build.sh
cd "${KPRCA_BUILD_DIR:-build}"
EXCLUDE=()
[ "$SLOW" = 1 ] || EXCLUDE=(-LE slow)
ctest --output-on-failure -j "$(nproc)" "${EXCLUDE[@]}"
