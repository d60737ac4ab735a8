#!/usr/bin/env bash
# The README's main job: corpus -> tokenizer -> dataset -> pre-training -> fill-mask on the Korean
# LibreOffice help corpus. Re-running reuses what is already built.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
DEMO_DIR=${DEMO_DIR:-$ROOT/demo-output}
mkdir -p "$DEMO_DIR"

echo "== 1/3 install and build"
bash scripts/install-deps.sh
bash scripts/build.sh >/dev/null
BF="$ROOT/build/bertforge"

echo "== demo finished; outputs in $DEMO_DIR"
