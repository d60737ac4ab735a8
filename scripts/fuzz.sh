#!/usr/bin/env bash
# Builds the libFuzzer targets (fuzz/, clang + ASan + UBSan) in build-fuzz/ and runs each for a bounded time
# from its committed seed corpus (fuzz/corpus/<target>/; read only: new inputs go to build-fuzz/fuzz-work/).
#   scripts/fuzz.sh [SECONDS_PER_TARGET=60] [TARGET ...]     e.g. scripts/fuzz.sh 300 safetensors encode
# Targets: safetensors tokenizer_json vocab_txt config corpus_reader dataset encode (default: all).
# Exit status 1 when a target found a crash, a leak, a hang (> 10 s on one input) or a single allocation
# over 512 MB; the reproducer is in build-fuzz/fuzz-artifacts/<target>/ (rerun: build-fuzz/fuzz/fuzz_<target>
# FILE). A summary line per target gives the executions done.
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_PER_TARGET=${1:-60}
shift || true
TARGETS=("$@")
[[ ${#TARGETS[@]} -gt 0 ]] || TARGETS=(safetensors tokenizer_json vocab_txt config corpus_reader dataset encode)
BUILD_DIR=${FUZZ_BUILD_DIR:-build-fuzz}
CC_=${FUZZ_CC:-clang}
CXX_=${FUZZ_CXX:-clang++}
command -v "$CXX_" >/dev/null || { echo "fuzz.sh: $CXX_ not found (apt-get install clang)" >&2; exit 2; }
if [[ ! -f "$BUILD_DIR/CMakeCache.txt" ]]; then
  GEN=()
  command -v ninja >/dev/null && GEN=(-G Ninja)
  CC=$CC_ CXX=$CXX_ cmake -S . -B "$BUILD_DIR" "${GEN[@]}" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DBERTFORGE_FUZZ=ON -DBERTFORGE_BUILD_TESTS=OFF -DBERTFORGE_BUILD_BENCH=OFF
fi
cmake --build "$BUILD_DIR" -j"${JOBS:-$(nproc)}" --target $(printf 'fuzz_%s ' "${TARGETS[@]}")

status=0
summary=()
for t in "${TARGETS[@]}"; do
  work="$BUILD_DIR/fuzz-work/$t"
  art="$BUILD_DIR/fuzz-artifacts/$t"
  mkdir -p "$work" "$art"
  log="$BUILD_DIR/fuzz-artifacts/$t.log"
  dict=()
  case $t in safetensors | tokenizer_json | config | dataset) dict=(-dict=fuzz/json.dict) ;; esac
  echo "== fuzz_$t for ${SECONDS_PER_TARGET}s (log: $log)"
  rc=0
  ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1} UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1} \
    "$BUILD_DIR/fuzz/fuzz_$t" "$work" "fuzz/corpus/$t" "${dict[@]}" -max_total_time="$SECONDS_PER_TARGET" \
    -timeout=10 -rss_limit_mb=2048 -malloc_limit_mb=512 -max_len=65536 -print_final_stats=1 \
    -artifact_prefix="$art/" >"$log" 2>&1 || rc=$?
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 || true)
  if [[ $rc -ne 0 ]]; then
    status=1
    summary+=("fuzz_$t: FAILED (exit $rc) after ${execs:-?} executions; see $log and $art/")
    tail -40 "$log"
  else
    summary+=("fuzz_$t: ok, ${execs:-?} executions in ${SECONDS_PER_TARGET}s, ${cov:-cov ?}, corpus $(ls "$work" | wc -l) inputs")
  fi
done
printf '%s\n' "${summary[@]}"
exit $status
