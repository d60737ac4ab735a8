#!/usr/bin/env bash
# Installs every Debian package bertforge needs (build, tests, demo) and the npm reference tokenizer.
# Safe to re-run: installs only what is missing. Run as root (or with sudo available).
set -euo pipefail
cd "$(dirname "$0")/.."

PACKAGES=(
  build-essential cmake ninja-build pkg-config git ca-certificates
  libtorch-dev libgloo-dev libopenblas-dev
  nlohmann-json3-dev libcli11-dev libfmt-dev libre2-dev libgumbo-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  python3 python3-torch python3-numpy
  nodejs npm
  binutils xz-utils time
)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
SUDO=""
if [[ $(id -u) -ne 0 ]]; then SUDO="sudo"; fi
if ((${#missing[@]})); then
  echo "install-deps: installing ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
  echo "install-deps: all Debian packages present"
fi

# HF's real tokenizers (npm, native binary inside): the oracle of the reference tests and benchmarks.
if [[ ! -d tests/reference/node/node_modules/tokenizers ]]; then
  echo "install-deps: npm install tokenizers (reference oracle)"
  (cd tests/reference/node && npm install --no-audit --no-fund --silent >/dev/null)
fi
