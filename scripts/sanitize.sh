#!/usr/bin/env bash
# Builds bertforge with AddressSanitizer + UndefinedBehaviorSanitizer (g++, -fno-sanitize-recover: the first
# report fails the test) in build-asan/ and runs unit tests under them.
#   scripts/sanitize.sh          the LibTorch-free unit test binaries (common, text, tokenizers, corpus, data,
#                                scrub), run directly
#   scripts/sanitize.sh --all    every unit test through ctest, the LibTorch ones too (LibTorch itself is not
#                                instrumented; the project's code that calls it is); extra arguments go to ctest
# SANITIZE_BUILD_DIR (default build-asan), JOBS (default nproc), SANITIZERS (default address,undefined).
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${SANITIZE_BUILD_DIR:-build-asan}
ALL=0
if [[ "${1:-}" == "--all" ]]; then
  ALL=1
  shift
fi
if [[ ! -f "$BUILD_DIR/CMakeCache.txt" ]]; then
  GEN=()
  command -v ninja >/dev/null && GEN=(-G Ninja)
  cmake -S . -B "$BUILD_DIR" "${GEN[@]}" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DBERTFORGE_SANITIZE="${SANITIZERS:-address,undefined}" -DBERTFORGE_BUILD_BENCH=OFF
fi
CORE_TESTS=(test_common test_text test_tokenizers test_corpus test_data test_scrub)
if [[ $ALL -eq 1 ]]; then
  cmake --build "$BUILD_DIR" -j"${JOBS:-$(nproc)}"
else
  cmake --build "$BUILD_DIR" -j"${JOBS:-$(nproc)}" --target "${CORE_TESTS[@]}"
fi
# halt_on_error: a report is a failure, not a log line. detect_leaks: leaks in our code fail too;
# scripts/lsan.supp silences LibTorch's own process-lifetime allocations.
export ASAN_OPTIONS=${ASAN_OPTIONS:-halt_on_error=1:detect_leaks=1:strict_string_checks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}
export LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$PWD/scripts/lsan.supp:print_suppressions=0}
cd "$BUILD_DIR"
if [[ $ALL -eq 1 ]]; then
  ctest --output-on-failure -j"$(nproc)" --timeout 1800 -L unit "$@"
  exit
fi
status=0
for t in "${CORE_TESTS[@]}"; do
  [[ -x tests/$t ]] || continue
  echo "== $t under ASan + UBSan"
  "tests/$t" --gtest_brief=1 || status=1
done
exit $status
