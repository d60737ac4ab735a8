#!/usr/bin/env bash
# The README's main job, end to end on the Korean LibreOffice help pages (a Debian package, nothing else is
# fetched): corpus -> tokenizer -> dataset -> pre-training -> held-out check -> fill-mask.
# Re-running reuses every stage already built (delete demo-output/ to start over). The time budget stops
# training early, so the schedule is constant after a short warmup (a linear decay would never get going).
#   DEMO_DIR=...       where outputs go (default: ./demo-output)
#   DEMO_MINUTES=4     pre-training time budget in minutes
#   DEMO_THREADS=N     threads (default: all cores)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
DEMO_DIR=${DEMO_DIR:-$ROOT/demo-output}
DEMO_MINUTES=${DEMO_MINUTES:-4}
DEMO_THREADS=${DEMO_THREADS:-$(nproc)}
mkdir -p "$DEMO_DIR"
step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

step "1/7 install dependencies and build"
bash scripts/install-deps.sh
bash scripts/build.sh | grep -E "^\[[0-9]+/[0-9]+\] (Linking|Building)" | tail -n 3 || true
BF="$ROOT/build/bertforge"

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
if [[ ! -s "$DEMO_DIR/train.txt" || "$DEMO_DIR/corpus.txt" -nt "$DEMO_DIR/train.txt" ]]; then
  docs=$(awk 'BEGIN{RS="";n=0} {n++} END{print n}' "$DEMO_DIR/corpus.txt")
  keep=$((docs - docs / 20))
  awk -v keep="$keep" -v train="$DEMO_DIR/train.txt" -v held="$DEMO_DIR/heldout.txt" \
    'BEGIN{RS="";ORS="\n\n"} {if (NR<=keep) print > train; else print > held}' "$DEMO_DIR/corpus.txt"
  echo "split $docs documents: $keep for training, $((docs - keep)) held out"
fi

step "3/7 tokenizer: WordPiece, vocab 8000 (sanity report below)"
if [[ ! -s "$DEMO_DIR/tokenizer/vocab.txt" ]]; then
  "$BF" tokenizer train --files "$DEMO_DIR/train.txt" --output "$DEMO_DIR/tokenizer" --vocab-size 8000 \
    --threads "$DEMO_THREADS" --overwrite
else
  echo "reusing $DEMO_DIR/tokenizer"
fi

step "4/7 pre-training data: NSP examples, block size 128"
"$BF" dataset build --corpus "$DEMO_DIR/train.txt" --tokenizer "$DEMO_DIR/tokenizer" \
  --output "$DEMO_DIR/dataset" --block-size 128 --threads "$DEMO_THREADS"
"$BF" dataset build --corpus "$DEMO_DIR/heldout.txt" --tokenizer "$DEMO_DIR/tokenizer" \
  --output "$DEMO_DIR/heldout-dataset" --block-size 128 --threads "$DEMO_THREADS"

step "5/7 pre-training a small BERT (hidden 128, 2 layers) for at most $DEMO_MINUTES minutes"
cat > "$DEMO_DIR/bert-config.json" <<JSON
{"vocab_size": 8000, "hidden_size": 128, "num_hidden_layers": 2, "num_attention_heads": 2,
 "intermediate_size": 512, "max_position_embeddings": 128}
JSON
if [[ ! -s "$DEMO_DIR/model/model.safetensors" ]]; then
  "$BF" pretrain --dataset "$DEMO_DIR/dataset" --tokenizer "$DEMO_DIR/tokenizer" \
    --model-config "$DEMO_DIR/bert-config.json" --output_dir "$DEMO_DIR/model" --overwrite_output_dir \
    --per_device_train_batch_size 32 --learning_rate 1e-3 --lr_scheduler_type constant_with_warmup --warmup_steps 30 --num_train_epochs 40 \
    --logging_steps 20 --save_steps 0 --max-minutes "$DEMO_MINUTES" --threads "$DEMO_THREADS"
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
  DEMO_MINUTES=30 bash scripts/demo.sh   (after rm -r $DEMO_DIR/model)   # train longer
  $BF pretrain --help                                        # bigger model, more steps, resume
  $BF corpus prepare --input YOUR_FILES --output corpus.txt  # your own corpus
MSG
