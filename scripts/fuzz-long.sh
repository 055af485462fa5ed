#!/usr/bin/env bash
# Long fuzzing runs (issue 9): hours, every core, crashes kept while the run goes on.
#   scripts/fuzz-long.sh [HOURS] [HARNESS...]     (default: 4 hours shared by all harnesses)
#   FUZZ_JOBS=N   parallel workers (default: every core, nproc)
# The hours are shared out between the harnesses, one after the other. Each runs in libFuzzer's
# fork mode (-fork=N worker processes; a crash, timeout or OOM in one is kept and the others go
# on: -ignore_crashes, -ignore_timeouts, -ignore_ooms), with the seeds, dictionaries and
# growing corpus (fuzz/work/<harness>) of scripts/fuzz.sh. Inputs kept:
# fuzz/work/long/<harness>/crash-*, timeout-*, oom-*. For each: reproduce with
# build-fuzz/bin/<harness> FILE, minimise with -minimize_crash=1 -runs=100000 FILE, fix the
# bug, keep the minimised input in fuzz/regressions/<harness>/ (ctest replays it on every
# build) and write it up in fuzz/README.md.
set -euo pipefail
cd "$(dirname "$0")/.."
hours=${1:-4}
shift || true
harnesses=("$@")
if [ ${#harnesses[@]} -eq 0 ]; then
  for f in fuzz/fuzz_*.cpp; do harnesses+=("$(basename "$f" .cpp)"); done
fi
per=$(awk -v h="$hours" -v n="${#harnesses[@]}" 'BEGIN { s = int(h * 3600 / n); print (s < 1 ? 1 : s) }')
echo "fuzz-long: ${#harnesses[@]} harnesses, ${per}s each, ${FUZZ_JOBS:-$(nproc)} workers (from $(date -u +%H:%M) UTC)"
FUZZ_LONG=1 bash scripts/fuzz.sh "$per" "${harnesses[@]}" || true
for h in "${harnesses[@]}"; do
  n=0
  [ -d "fuzz/work/long/$h" ] &&
    n=$(find "fuzz/work/long/$h" -maxdepth 1 \( -name 'crash-*' -o -name 'timeout-*' -o -name 'oom-*' \) | wc -l)
  echo "$h: $n inputs kept in fuzz/work/long/$h"
done
