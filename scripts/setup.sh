#!/usr/bin/env bash
# Installs the Debian packages kprca builds against. Idempotent: when everything is
# present it only checks (a few seconds). Uses apt-get as root, sudo otherwise; where
# neither can install, prints the exact packages to install and stops.
set -euo pipefail

PKGS=(
  build-essential cmake pkg-config ninja-build
  libopenblas-dev libopenblas-openmp-dev  # CPU GEMM (the OpenMP build shares our thread pool)
  libhdf5-dev                # tensors, datasets, checkpoints
  libyaml-dev                # experiment configs
  libutf8proc-dev            # Unicode for the tokenizer
  libpcre2-dev               # masking regexes
  libcjson-dev               # JSON (metrics, reports)
  libgtest-dev googletest    # tests
  libopenmpi-dev openmpi-bin # multi-rank CPU runs and tests
  chromium                   # headless browser for the report.html test (tests/e2e/report_chromium.sh)
)

missing=()
for p in "${PKGS[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "setup: all ${#PKGS[@]} packages present"
  exit 0
fi

echo "setup: installing ${missing[*]}"
if [ "$(id -u)" -eq 0 ]; then
  SUDO=()
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
  SUDO=(sudo)
else
  echo "setup: cannot install packages (not root, no passwordless sudo). Install them with:" >&2
  echo "  sudo apt-get update && sudo apt-get install -y ${missing[*]}" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
"${SUDO[@]}" apt-get update -qq
"${SUDO[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
echo "setup: done"
