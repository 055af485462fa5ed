#!/usr/bin/env bash
# The test command of the README, and what CI runs (.ci/run): installs the dependencies, builds
# with warnings as errors, runs a bounded fuzzing pass of every harness under ASan+UBSan, then
# every test (ctest last, so that its summary closes the output). The fuzzing pass is
# reproducible (fixed seed and run counts): the same commit fuzzes the same inputs here and on CI.
#   FUZZ_SECONDS=60 (per harness; 0 skips fuzzing)
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
cmake -S . -B build -G Ninja -DSIPSCOPE_WERROR=ON
cmake --build build
if [ "${FUZZ_SECONDS:-60}" != 0 ]; then
  FUZZ_REPRODUCIBLE=1 bash scripts/fuzz.sh "${FUZZ_SECONDS:-60}"
fi
ctest --test-dir build --output-on-failure -j2
