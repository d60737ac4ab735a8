#!/usr/bin/env bash
# bench/bench_tokenizer_train.sh — training time and peak memory of `bertforge tokenizer train` against HF's
# `tokenizers` train() (npm binding via ../shared/reference/ref_tokenizer.js) on the same corpus with the
# same settings (the binding's: vocab_size 30000, min_frequency 0, no alphabet limit, 5 special tokens).
# Medians of RUNS runs each (default 3) of: the training itself (read + count + merge: our train_report.json
# "train_seconds" vs the binding's train() call timed by ref_tokenizer.js), and wall / CPU (user+sys) time
# and peak RSS of the whole process. The `bertforge` process also loads LibTorch at start-up (it is one
# binary for every command); that start-up cost is measured on its own (`bertforge --version`).
#
# Corpora: the demo corpus (demo-output/corpus.txt, made by scripts/demo.sh) or, when absent, a generated
# pseudo-Korean one; and a ~100 MB corpus made of shuffled copies of it (BIG_MB, default 100; 0 skips it).
#
#   bash bench/bench_tokenizer_train.sh            # build first: JOBS=2 bash scripts/build.sh
#   RUNS=5 BIG_MB=0 THREADS=2 bash bench/bench_tokenizer_train.sh
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
CLI=${CLI:-$ROOT/build/bertforge}
RUNS=${RUNS:-3}
BIG_MB=${BIG_MB:-100}
THREADS=${THREADS:-0}
NODE_DIR=$ROOT/tests/reference/node
REF=$ROOT/../shared/reference/ref_tokenizer.js
[[ -f $REF ]] || REF=$ROOT/../../shared/reference/ref_tokenizer.js
[[ -x $CLI ]] || { echo "bench: $CLI missing; build with scripts/build.sh" >&2; exit 1; }
[[ -d $NODE_DIR/node_modules/tokenizers ]] || { echo "bench: HF tokenizers missing; run scripts/install-deps.sh" >&2; exit 1; }
[[ -f $REF ]] || { echo "bench: ref_tokenizer.js not found beside the checkout" >&2; exit 1; }
[[ -x /usr/bin/time ]] || { echo "bench: /usr/bin/time missing (Debian package 'time'; scripts/install-deps.sh)" >&2; exit 1; }

export TOKENIZERS_NODE_DIR=$NODE_DIR
div() { awk -v a="$1" -v b="$2" 'BEGIN{printf "%.4f", a/b}'; }
WORK=$(mktemp -d /tmp/bench_tokenizer_train.XXXXXX)
trap 'rm -rf "$WORK"' EXIT

gen_corpus() {  # pseudo-Korean text, deterministic, ~5 MB
  python3 - "$1" <<'EOF'
import random, sys
rnd = random.Random(7)
syl = [chr(0xAC00 + (rnd.randrange(19) * rnd.randrange(3)) % 19 * 588 + rnd.randrange(21) * 28 +
           (rnd.randrange(28) if rnd.random() < 0.25 else 0)) for _ in range(420)]
words = [''.join(syl[int(rnd.random() ** 2 * 420)] for _ in range(1 + rnd.randrange(4))) for _ in range(20000)]
parts = ['은', '는', '이', '가', '을', '를', '의', '에서', '으로', '합니다', '했다', '']
latin = ['LibreOffice', 'Calc', 'cell', 'A1', 'Ctrl+C', 'file.txt', '2024', '3.5']
with open(sys.argv[1], 'w', encoding='utf-8') as f:
    size = 0
    while size < 5_000_000:
        if rnd.random() < 0.08:
            f.write('\n'); continue
        line = ' '.join(latin[rnd.randrange(len(latin))] if rnd.random() < 0.05 else
                        words[int(rnd.random() ** 3 * len(words))] + parts[rnd.randrange(len(parts))]
                        for _ in range(3 + rnd.randrange(12))) + '.\n'
        f.write(line); size += len(line.encode())
EOF
}

BASE=$ROOT/demo-output/corpus.txt
if [[ -f $BASE ]]; then
  BASE_NAME="demo corpus (demo-output/corpus.txt)"
else
  BASE=$WORK/generated.txt
  gen_corpus "$BASE"
  BASE_NAME="generated pseudo-Korean corpus (no demo-output/corpus.txt; run scripts/demo.sh for the real one)"
fi

median() { sort -g | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }

# Runs "$@" under /usr/bin/time; appends "wall cpu peak_kb" to $WORK/times.
timed() {
  /usr/bin/time -f "%e %U %S %M" -o "$WORK/t1" "$@" >"$WORK/log" 2>&1 || { cat "$WORK/log" >&2; exit 1; }
  read -r wall user sys peak <"$WORK/t1"
  echo "$wall $(awk -v u="$user" -v s="$sys" 'BEGIN{print u+s}') $peak" >>"$WORK/times"
}

bench_one() {  # corpus label
  local corpus=$1 label=$2 bytes
  bytes=$(stat -c %s "$corpus")
  echo "== $label: $(awk -v b="$bytes" 'BEGIN{printf "%.1f MB", b/1e6}'), $(wc -l <"$corpus") lines; $RUNS runs each; nproc=$(nproc)"
  : >"$WORK/times"
  : >"$WORK/our_train"
  for _ in $(seq "$RUNS"); do
    timed "$CLI" -q tokenizer train --files "$corpus" --output "$WORK/ours" --overwrite --min-frequency 0 \
      --limit-alphabet 0 --vocab-size 30000 --threads "$THREADS"
    python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["train_seconds"])' "$WORK/ours/train_report.json" >>"$WORK/our_train"
  done
  local ot
  ot=$(median <"$WORK/our_train")
  local ow oc om
  ow=$(cut -d' ' -f1 "$WORK/times" | median); oc=$(cut -d' ' -f2 "$WORK/times" | median)
  om=$(cut -d' ' -f3 "$WORK/times" | sort -g | tail -1)
  : >"$WORK/times"
  : >"$WORK/hf_train"
  for _ in $(seq "$RUNS"); do
    rm -rf "$WORK/hf"
    (cd "$NODE_DIR" && timed node "$REF" train "$corpus" "$WORK/hf")
    python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["train_seconds"])' "$WORK/hf/train_info.json" >>"$WORK/hf_train"
  done
  local hw hc hm ht
  hw=$(cut -d' ' -f1 "$WORK/times" | median); hc=$(cut -d' ' -f2 "$WORK/times" | median)
  hm=$(cut -d' ' -f3 "$WORK/times" | sort -g | tail -1); ht=$(median <"$WORK/hf_train")
  local same="no"
  cmp -s <(head -n 5 "$WORK/ours/vocab.txt") <(head -n 5 "$WORK/hf/vocab.txt") && [[ $(wc -l <"$WORK/ours/vocab.txt") == $(wc -l <"$WORK/hf/vocab.txt") ]] && same="yes"
  printf '  %-30s %10s %13s %12s %12s\n' "" "training s" "process wall" "process cpu" "peak RSS MB"
  printf '  %-30s %10.2f %13.2f %12.2f %12.0f\n' "bertforge tokenizer train" "$ot" "$ow" "$oc" "$(div "$om" 1024)"
  printf '  %-30s %10.2f %13.2f %12.2f %12.0f\n' "HF tokenizers train() (node)" "$ht" "$hw" "$hc" "$(div "$hm" 1024)"
  printf '  ratio bertforge/HF: training %.2f (goal <= 0.5), process wall %.2f, process cpu %.2f; same vocab size and specials: %s\n' \
    "$(div "$ot" "$ht")" "$(div "$ow" "$hw")" "$(div "$oc" "$hc")" "$same"
}

: >"$WORK/times"
for _ in $(seq "$RUNS"); do timed "$CLI" --version; done
echo "bertforge start-up alone (--version, LibTorch loading): wall $(cut -d' ' -f1 "$WORK/times" | median) s," \
  "cpu $(cut -d' ' -f2 "$WORK/times" | median) s, peak RSS $(awk -v k="$(cut -d' ' -f3 "$WORK/times" | sort -g | tail -1)" 'BEGIN{printf "%.0f", k/1024}') MB"

bench_one "$BASE" "$BASE_NAME"

if [[ $BIG_MB -gt 0 ]]; then
  BIG=$WORK/big.txt
  target=$((BIG_MB * 1000000))
  i=0
  while [[ ! -f $BIG || $(stat -c %s "$BIG") -lt $target ]]; do
    shuf --random-source=<(yes $i) "$BASE" >>"$BIG"
    i=$((i + 1))
  done
  bench_one "$BIG" "~${BIG_MB} MB corpus ($i shuffled copies of the first)"
fi
