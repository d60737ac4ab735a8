#!/usr/bin/env bash
# bench/scale.sh — the scale run behind docs/performance.md "Scale": a large corpus made from the demo corpus
# (bench/gen_scale_corpus.cpp: shuffled, recombined and perturbed documents), then tokenizer training,
# dataset build and a few pre-training steps, each stage under /usr/bin/time -v (wall, CPU, peak RSS).
#
#   SIZE_MB=5120 WORK=/tmp/bertforge-scale SOURCE=demo-output/corpus.txt nice -n 19 bash bench/scale.sh
#
# Environment: SIZE_MB (corpus size, default 5120), WORK (scratch folder, needs ~3x SIZE_MB free), SOURCE
# (corpus.txt files, space-separated, default demo-output/corpus.txt), THREADS (default 2), STEPS (pretrain
# steps, default 20), VOCAB (default 30000), KEEP=0 deletes the corpus at the end, STAGES (default
# "gen tok ds train"). Prints one line per stage and writes WORK/scale-<SIZE_MB>.json.
set -euo pipefail
cd "$(dirname "$0")/.."
SIZE_MB=${SIZE_MB:-5120}
WORK=${WORK:-/tmp/bertforge-scale}
SOURCE=${SOURCE:-demo-output/corpus.txt}
THREADS=${THREADS:-2}
STEPS=${STEPS:-20}
VOCAB=${VOCAB:-30000}
STAGES=${STAGES:-gen tok ds train}
BIN=${BIN:-$PWD/build/bertforge}
GEN=${GENBIN:-$PWD/build/bench/gen_scale_corpus}
mkdir -p "$WORK"
D="$WORK/$SIZE_MB"
mkdir -p "$D"
RESULT="$WORK/scale-$SIZE_MB.json"
[[ -f "$RESULT" ]] || echo '{}' >"$RESULT"

# Runs one stage under /usr/bin/time -v and records wall, CPU and peak RSS.
stage() {
  local name=$1
  shift
  echo "scale: $name: $*" >&2
  local t0
  t0=$(date +%s.%N)
  /usr/bin/time -v -o "$D/$name.time" "$@" >"$D/$name.out" 2>"$D/$name.err" || {
    echo "scale: $name failed; see $D/$name.err" >&2
    tail -5 "$D/$name.err" >&2
    exit 1
  }
  local wall user sys rss
  wall=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN {print b - a}')
  user=$(awk -F': ' '/User time/ {print $2}' "$D/$name.time")
  sys=$(awk -F': ' '/System time/ {print $2}' "$D/$name.time")
  rss=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$D/$name.time")
  /usr/bin/python3 - "$RESULT" "$name" "$wall" "$user" "$sys" "$rss" <<'EOF'
import json, sys
path, name, wall, user, sys_, rss = sys.argv[1:]
r = json.load(open(path))
r[name] = {"wall_s": round(float(wall), 1), "cpu_s": round(float(user) + float(sys_), 1),
           "peak_rss_mb": round(int(rss) / 1024)}
json.dump(r, open(path, "w"), indent=1)
print(f"{name}: wall {float(wall):.1f} s, CPU {float(user) + float(sys_):.1f} s, peak RSS {int(rss) / 1024:.0f} MB")
EOF
}

corpus="$D/corpus.txt"
sources=()
for s in $SOURCE; do sources+=(--source "$s"); done

for st in $STAGES; do
  case $st in
    gen)
      stage gen "$GEN" "${sources[@]}" --size-mb "$SIZE_MB" --output "$corpus" --seed 1
      ;;
    tok)
      stage tok "$BIN" tokenizer train --files "$corpus" --output "$D/tokenizer" --vocab-size "$VOCAB" \
        --threads "$THREADS" --overwrite
      ;;
    ds)
      stage ds "$BIN" dataset build --corpus "$corpus" --tokenizer "$D/tokenizer" --output "$D/dataset" \
        --block-size 128 --threads "$THREADS" --overwrite-cache
      ;;
    train)
      vocab=$(wc -l <"$D/tokenizer/vocab.txt")
      cat >"$D/bert.json" <<EOF
{"vocab_size": $vocab, "hidden_size": 256, "num_hidden_layers": 4, "num_attention_heads": 4,
 "intermediate_size": 1024, "max_position_embeddings": 128}
EOF
      stage train "$BIN" pretrain --dataset "$D/dataset" --tokenizer "$D/tokenizer" --model-config "$D/bert.json" \
        --output-dir "$D/run" --overwrite-output-dir --per-device-train-batch-size 16 --max-steps "$STEPS" \
        --logging-steps 5 --save-steps 0 --threads "$THREADS" --learning-rate 1e-4
      ;;
    *)
      echo "scale: unknown stage $st" >&2
      exit 2
      ;;
  esac
done
du -sb "$corpus" "$D/dataset" 2>/dev/null | awk '{printf "%s: %.1f MB\n", $2, $1 / 1048576}'
if [[ "${KEEP:-1}" == 0 ]]; then rm -f "$corpus"; fi
