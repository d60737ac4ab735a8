#!/usr/bin/env bash
# The README's main job, end to end on the Korean LibreOffice help pages (a Debian package, nothing else is
# fetched): corpus -> tokenizer -> dataset -> pre-training -> held-out check -> fill-mask.
# Re-running reuses every stage already built (delete demo-output/ to start over, or demo-output/model to
# train again). The time budget stops training early, so the schedule is constant after a short warmup (a
# linear decay would never get going).
#   --minutes N / DEMO_MINUTES=6   pre-training time budget in minutes
#   DEMO_DIR=...                   where outputs go (default: ./demo-output)
#   DEMO_THREADS=N                 threads (default: all cores)
#   DEMO_DOCS=N                    use only the first N documents of the corpus (CI's short mode)
#   DEMO_BIN=path/to/bertforge     use this CLI and skip installing/building (CI: the tree is built already)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
DEMO_DIR=${DEMO_DIR:-$ROOT/demo-output}
DEMO_MINUTES=${DEMO_MINUTES:-6}
DEMO_THREADS=${DEMO_THREADS:-$(nproc)}
DEMO_DOCS=${DEMO_DOCS:-0}
while [[ $# -gt 0 ]]; do
  case "$1" in
    --minutes) DEMO_MINUTES=$2; shift 2 ;;
    --minutes=*) DEMO_MINUTES=${1#*=}; shift ;;
    *) echo "usage: $0 [--minutes N]   (see the header of this script for the DEMO_* variables)" >&2; exit 2 ;;
  esac
done
# The demo's small model, its data and its vocab: sized so a few minutes on 2 cores visibly learn.
VOCAB=4000
BLOCK=64
mkdir -p "$DEMO_DIR"
# LibTorch's OpenMP threads spin while they wait; on a busy machine that burns the cores the other threads
# need (measured: 3x slower steps with 2 threads under load). Passive waiting costs nothing when idle.
export OMP_WAIT_POLICY=${OMP_WAIT_POLICY:-PASSIVE}
step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

step "1/7 install dependencies and build"
if [[ -n "${DEMO_BIN:-}" ]]; then
  BF=$DEMO_BIN
  echo "using $BF"
else
  bash scripts/install-deps.sh
  bash scripts/build.sh | grep -E "^\[[0-9]+/[0-9]+\] (Linking|Building)" | tail -n 3 || true
  BF="$ROOT/build/bertforge"
fi

step "2/7 corpus: Korean LibreOffice help pages (apt-get download libreoffice-help-ko)"
if [[ ! -s "$DEMO_DIR/corpus.txt" ]]; then
  # Pages that are still in English (untranslated help) and one-line pages are left out.
  HTML_DIR=$(bash scripts/fetch-demo-corpus.sh "$DEMO_DIR/corpus-src" | tail -n 1)
  "$BF" corpus prepare --input "$HTML_DIR" --output "$DEMO_DIR/corpus.txt" --require-script hangul \
    --min-sentences 2 --overwrite
else
  echo "reusing $DEMO_DIR/corpus.txt"
fi
# Hold out the last 5% of the documents: the model never sees them, the held-out check uses them.
split_key="docs=$DEMO_DOCS"
if [[ ! -s "$DEMO_DIR/train.txt" || "$DEMO_DIR/corpus.txt" -nt "$DEMO_DIR/train.txt" ||
  "$(cat "$DEMO_DIR/.split" 2>/dev/null)" != "$split_key" ]]; then
  docs=$(awk 'BEGIN{RS="";n=0} {n++} END{print n}' "$DEMO_DIR/corpus.txt")
  [[ "$DEMO_DOCS" -gt 0 && "$DEMO_DOCS" -lt "$docs" ]] && docs=$DEMO_DOCS
  keep=$((docs - docs / 20))
  awk -v keep="$keep" -v docs="$docs" -v train="$DEMO_DIR/train.txt" -v held="$DEMO_DIR/heldout.txt" \
    'BEGIN{RS="";ORS="\n\n"} NR<=keep {print > train; next} NR<=docs {print > held}' "$DEMO_DIR/corpus.txt"
  echo "$split_key" >"$DEMO_DIR/.split"
  echo "split $docs documents: $keep for training, $((docs - keep)) held out"
fi

step "3/7 tokenizer: WordPiece, vocab $VOCAB (sanity report below)"
if [[ ! -s "$DEMO_DIR/tokenizer/vocab.txt" || "$DEMO_DIR/train.txt" -nt "$DEMO_DIR/tokenizer/vocab.txt" ||
  $(wc -l <"$DEMO_DIR/tokenizer/vocab.txt") -ne $VOCAB ]]; then
  "$BF" tokenizer train --files "$DEMO_DIR/train.txt" --output "$DEMO_DIR/tokenizer" --vocab-size $VOCAB \
    --threads "$DEMO_THREADS" --overwrite
  # A new tokenizer invalidates what was built with the old one.
  rm -rf "$DEMO_DIR/dataset" "$DEMO_DIR/heldout-dataset" "$DEMO_DIR/model"
else
  echo "reusing $DEMO_DIR/tokenizer"
fi
vocab_size=$(wc -l <"$DEMO_DIR/tokenizer/vocab.txt")

step "4/7 pre-training data: NSP examples, block size $BLOCK (reused when already built)"
# Built from an older split or tokenizer: start these over (the cache would refuse to be overwritten).
if [[ "$DEMO_DIR/train.txt" -nt "$DEMO_DIR/dataset/dataset.bin" ||
  "$DEMO_DIR/tokenizer/vocab.txt" -nt "$DEMO_DIR/dataset/dataset.bin" ]]; then
  rm -rf "$DEMO_DIR/dataset" "$DEMO_DIR/heldout-dataset" "$DEMO_DIR/model"
fi
"$BF" dataset build --corpus "$DEMO_DIR/train.txt" --tokenizer "$DEMO_DIR/tokenizer" \
  --output "$DEMO_DIR/dataset" --block-size $BLOCK --threads "$DEMO_THREADS"
"$BF" dataset build --corpus "$DEMO_DIR/heldout.txt" --tokenizer "$DEMO_DIR/tokenizer" \
  --output "$DEMO_DIR/heldout-dataset" --block-size $BLOCK --threads "$DEMO_THREADS"

step "5/7 pre-training a small BERT (hidden 128, 2 layers) for at most $DEMO_MINUTES minutes"
# No dropout: a few minutes of training are far from overfitting, and dropout only slows early learning.
cat >"$DEMO_DIR/bert-config.json" <<JSON
{"vocab_size": $vocab_size, "hidden_size": 128, "num_hidden_layers": 2, "num_attention_heads": 4,
 "intermediate_size": 256, "max_position_embeddings": $BLOCK,
 "hidden_dropout_prob": 0.0, "attention_probs_dropout_prob": 0.0}
JSON
if [[ ! -s "$DEMO_DIR/model/model.safetensors" || "$DEMO_DIR/dataset" -nt "$DEMO_DIR/model/model.safetensors" ]]; then
  "$BF" pretrain --dataset "$DEMO_DIR/dataset" --tokenizer "$DEMO_DIR/tokenizer" \
    --model-config "$DEMO_DIR/bert-config.json" --output_dir "$DEMO_DIR/model" --overwrite_output_dir \
    --per_device_train_batch_size 16 --learning_rate 1e-3 --lr_scheduler_type constant_with_warmup \
    --warmup_steps 50 --num_train_epochs 100 --logging_steps 20 --save_steps 0 \
    --max-minutes "$DEMO_MINUTES" --threads "$DEMO_THREADS"
else
  echo "reusing the model in $DEMO_DIR/model (delete it to train again)"
fi
echo "loss curve: $DEMO_DIR/model/training_curves.svg   metrics: $DEMO_DIR/model/metrics.jsonl"

step "6/7 held-out check: documents the model never saw"
"$BF" evaluate --model "$DEMO_DIR/model" --dataset "$DEMO_DIR/heldout-dataset" --seed 1

step "7/7 fill-mask on sentences of this domain"
"$BF" fill-mask --model "$DEMO_DIR/model" --top-k 5 \
  "셀을 [MASK] 하면 계산 오류가 발생할 수 있습니다." \
  "[MASK] 메뉴에서 서식을 선택합니다." \
  "이 대화 상자에서 [MASK] 설정을 변경할 수 있습니다."

cat <<MSG

Done. Everything is in $DEMO_DIR:
  corpus.txt, train.txt, heldout.txt   the prepared corpus and its split
  tokenizer/                           HF tokenizer folder (BertTokenizerFast.from_pretrained loads it)
  dataset/, heldout-dataset/           memory-mapped NSP datasets
  model/                               HF model folder (BertForPreTraining), metrics.jsonl, training_curves.svg
Go further:
  $BF fill-mask --model $DEMO_DIR/model                      # interactive
  rm -r $DEMO_DIR/model && bash scripts/demo.sh --minutes 30     # train longer
  $BF pretrain --help                                        # bigger model, more steps, resume
  $BF corpus prepare --input YOUR_FILES --output corpus.txt  # your own corpus
MSG
