#!/usr/bin/env bash
# Throughput of `bertforge corpus prepare` on the demo corpus (Korean LibreOffice help, ~2,560 HTML pages),
# against a plain-Python reference doing the same job (bench/corpus_prepare_ref.py: stdlib html.parser).
# Prints the median wall and CPU time of RUNS runs each, MB/s of HTML input, and the ratios.
#   bash bench/corpus_prepare.sh [PAGES_DIR]     (default: fetch the demo corpus into build/demo-corpus)
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${RUNS:-3}
BF=${BF:-build/bertforge}
PAGES=${1:-$(bash scripts/fetch-demo-corpus.sh build/demo-corpus)}
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT
bytes=$(find "$PAGES" -name '*.html' -printf '%s\n' | awk '{s+=$1} END {print s}')

median() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
# time_runs CMD... : one line "WALL CPU" per run (CPU = user + system; on a shared machine the CPU time is
# the steadier figure, wall time includes waiting for a core).
time_runs() {
  for _ in $(seq "$RUNS"); do
    rm -f "$OUT/corpus.txt"
    /usr/bin/time -f '%e %U %S' -o "$OUT/time" "$@" >/dev/null 2>&1
    awk '{printf "%s %s\n", $1, $2 + $3}' "$OUT/time"
  done
}
ours=$(time_runs "$BF" -q corpus prepare --input "$PAGES" --output "$OUT/corpus.txt" --require-script hangul)
ours_docs=$(($(grep -c '^$' "$OUT/corpus.txt" || true) + 1))
ref=$(time_runs python3 bench/corpus_prepare_ref.py "$PAGES" "$OUT/corpus.txt")
ref_docs=$(($(grep -c '^$' "$OUT/corpus.txt" || true) + 1))
ours_wall=$(cut -d' ' -f1 <<<"$ours" | median); ours_cpu=$(cut -d' ' -f2 <<<"$ours" | median)
ref_wall=$(cut -d' ' -f1 <<<"$ref" | median); ref_cpu=$(cut -d' ' -f2 <<<"$ref" | median)
mb=$(echo "$bytes / 1000000" | bc -l)
printf 'input: %s (%.1f MB of HTML), %s runs each, medians\n' "$PAGES" "$mb" "$RUNS"
printf 'bertforge corpus prepare: wall %6.2f s (%5.1f MB/s)  cpu %6.2f s (%5.1f MB/s)  %d documents\n' \
  "$ours_wall" "$(echo "$mb / $ours_wall" | bc -l)" "$ours_cpu" "$(echo "$mb / $ours_cpu" | bc -l)" "$ours_docs"
printf 'python html.parser ref:   wall %6.2f s (%5.1f MB/s)  cpu %6.2f s (%5.1f MB/s)  %d documents\n' \
  "$ref_wall" "$(echo "$mb / $ref_wall" | bc -l)" "$ref_cpu" "$(echo "$mb / $ref_cpu" | bc -l)" "$ref_docs"
printf 'speed-up: wall %.1fx, cpu %.1fx\n' "$(echo "$ref_wall / $ours_wall" | bc -l)" "$(echo "$ref_cpu / $ours_cpu" | bc -l)"
