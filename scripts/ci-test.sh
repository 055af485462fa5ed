#!/usr/bin/env bash
# The test command of the README, and what CI runs (.ci/run): installs the dependencies, builds
# with warnings as errors, runs a bounded fuzzing pass of every harness under ASan+UBSan, then
# every test; then the whole test suite again in a second build under ASan+UBSan
# (-DSIPSCOPE_SANITIZE=ON; issue 9). The fuzzing pass is reproducible (fixed seed and run
# counts): the same commit fuzzes the same inputs here and on CI.
#   FUZZ_SECONDS=50 (per harness, 12 harnesses: 10 minutes; 0 skips fuzzing)
#   SANITIZE=0      skips the sanitizer build and its ctest (about 25 min of CPU on 2 cores)
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
cmake -S . -B build -G Ninja -DSIPSCOPE_WERROR=ON
cmake --build build
if [ "${FUZZ_SECONDS:-50}" != 0 ]; then
  FUZZ_REPRODUCIBLE=1 bash scripts/fuzz.sh "${FUZZ_SECONDS:-50}"
fi
ctest --test-dir build --output-on-failure -j2
if [ "${SANITIZE:-1}" != 0 ]; then
  # GCC's ASan+UBSan: every test, the CLI scripts, the fuzz replays and tests/hostile (whose
  # RSS bounds scale by 4 there, and whose million-call flood is left to the build above). Any
  # UBSan report aborts the test (-fno-sanitize-recover); leaks fail it too. -O1: the usual
  # optimisation for ASan, faster to compile than -O3 (the X3 grammars). Warnings are the first build's job: under ASan,
  # GCC 12 reports -Wmaybe-uninitialized false positives inside libstdc++'s <regex>. Benchmarks
  # and the viewer are not built here: they have no test the first build does not run.
  cmake -S . -B build-asan -G Ninja -DSIPSCOPE_WERROR=OFF -DSIPSCOPE_SANITIZE=ON -DSIPSCOPE_BENCH=OFF \
    -DSIPSCOPE_VIEWER=OFF -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_FLAGS_RELEASE="-O1 -DNDEBUG"
  cmake --build build-asan
  ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
    ctest --test-dir build-asan --output-on-failure -j2
fi
