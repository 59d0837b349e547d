#!/usr/bin/env bash
# Configures and builds kprca into build/ (or $KPRCA_BUILD_DIR). Extra arguments go to cmake,
# e.g. ./scripts/build.sh -DKPRCA_CUDA=OFF. Re-running only rebuilds what changed.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${KPRCA_BUILD_DIR:-build}
GEN=()
if command -v ninja >/dev/null 2>&1 && [ ! -f "$BUILD_DIR/Makefile" ]; then GEN=(-G Ninja); fi
cmake -S . -B "$BUILD_DIR" "${GEN[@]}" -DCMAKE_BUILD_TYPE=${CMAKE_BUILD_TYPE:-Release} "$@" \
  | grep -E '^-- (kprca features|  [✓✗])|Error|error' || true
cmake --build "$BUILD_DIR" -j "$(nproc)"
