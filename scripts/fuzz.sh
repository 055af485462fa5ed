#!/usr/bin/env bash
# Builds the libFuzzer harnesses (clang, ASan+UBSan) and runs each for a bounded time.
#   scripts/fuzz.sh [SECONDS_PER_HARNESS] [HARNESS...]      (default: 60 s, all harnesses)
#   FUZZ_REPRODUCIBLE=1 scripts/fuzz.sh ...   (what CI does: fixed seed and a fixed number of
#     runs per harness, about SECONDS each on the CI machine, so a CI run does exactly what the
#     same run did here: a finding is never a coin toss between two runs of the same commit;
#     long exploratory runs are the plain, time-bounded mode)
# Seeds come from corpus/ (and ../shared/corpus/fuzz-seeds/ where present); the corpus each
# run grows is kept in fuzz/work/<harness> (git-ignored) so that later runs start from it.
# A crash makes the script fail and leaves the input as fuzz/work/crash-<harness>-*:
# minimise it, fix the bug, and keep it in fuzz/regressions/<harness>/ (ctest replays those).
# Long runs (hours, every core, crashes kept and the run going on): scripts/fuzz-long.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
shift || true
harnesses=("$@")
if [ ${#harnesses[@]} -eq 0 ]; then
  for h in fuzz_sip fuzz_sip_struct fuzz_uri fuzz_sdp fuzz_multipart fuzz_capture fuzz_tcp_stream fuzz_hep \
           fuzz_websocket fuzz_rtp fuzz_correlate fuzz_export; do
    [ -f "fuzz/$h.cpp" ] && harnesses+=("$h")
  done
fi

cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_COMPILER=clang++ \
  -DSIPSCOPE_FUZZ=ON -DSIPSCOPE_TESTS=OFF -DSIPSCOPE_BENCH=OFF -DSIPSCOPE_VIEWER=OFF >/dev/null
cmake --build build-fuzz --target "${harnesses[@]}"
[ "$seconds" = 0 ] && exit 0   # build only

# runs per harness in reproducible mode: about 60 s each at the rates measured on a 2-core
# machine of this kind (exec/s x 60), scaled by SECONDS/60
declare -A runs60=(
  [fuzz_sip]=150000 [fuzz_uri]=4000000 [fuzz_sdp]=450000 [fuzz_multipart]=1500000
  [fuzz_capture]=200000 [fuzz_tcp_stream]=130000 [fuzz_hep]=8000000 [fuzz_websocket]=1500000
  [fuzz_rtp]=600000 [fuzz_correlate]=24000 [fuzz_export]=3300 [fuzz_sip_struct]=37000
)
declare -A seeds=(
  [fuzz_sip]="corpus/sip corpus/bench"
  [fuzz_uri]="corpus/uri"
  [fuzz_sdp]="corpus/sdp"
  [fuzz_multipart]="corpus/multipart"
  [fuzz_capture]="corpus/pcap"
  [fuzz_tcp_stream]="corpus/tcp"
  [fuzz_hep]="corpus/hep"
  [fuzz_websocket]="corpus/websocket"
  [fuzz_rtp]="corpus/rtp"
  [fuzz_correlate]="corpus/correlate corpus/calls corpus/sip/rfc4475"
  [fuzz_export]="corpus/calls corpus/pcap"
  [fuzz_sip_struct]="corpus/sip corpus/bench"
)
# dictionaries: SDP tokens where SDP is parsed, SIP and SDP where SIP messages carry bodies
mkdir -p fuzz/work
cat fuzz/dict/sip.dict fuzz/dict/sdp.dict > fuzz/work/sip+sdp.dict
declare -A dicts=(
  [fuzz_uri]=fuzz/dict/sip.dict [fuzz_sdp]=fuzz/dict/sdp.dict [fuzz_rtp]=fuzz/dict/sip.dict
  [fuzz_hep]=fuzz/dict/sip.dict [fuzz_websocket]=fuzz/dict/sip.dict
)
shared=../shared/corpus/fuzz-seeds
status=0
for h in "${harnesses[@]}"; do
  work=fuzz/work/$h
  mkdir -p "$work"
  extra=()
  [ -d "$shared/$h" ] && extra+=("$shared/$h")
  echo "== $h: ${seconds}s${FUZZ_REPRODUCIBLE:+ (reproducible: seed 1, fixed runs)}"
  limit=(-max_total_time="$seconds")
  if [ "${FUZZ_LONG:-0}" = 1 ]; then
    # scripts/fuzz-long.sh: every core, crashes/timeouts/OOMs kept and the run goes on
    mkdir -p "fuzz/work/long/$h"
    limit+=(-fork="${FUZZ_JOBS:-$(nproc)}" -ignore_crashes=1 -ignore_timeouts=1 -ignore_ooms=1)
    prefix=fuzz/work/long/$h/
  else
    prefix=fuzz/work/crash-$h-
  fi
  if [ "${FUZZ_REPRODUCIBLE:-0}" = 1 ]; then
    # fixed seed, fixed run count; the time limit stays as a cap (3x) against a slow machine
    limit=(-seed=1 -runs=$(( ${runs60[$h]:-100000} * seconds / 60 )) -max_total_time=$(( seconds * 3 )))
  fi
  # -timeout: a single input taking over 10 s is a hang; -rss_limit_mb: memory stays bounded
  if ! build-fuzz/bin/$h -dict="${dicts[$h]:-fuzz/work/sip+sdp.dict}" "${limit[@]}" -timeout=10 -rss_limit_mb=2048 \
        -print_final_stats=1 -artifact_prefix="$prefix" "$work" ${seeds[$h]} "${extra[@]}" \
        > "fuzz/work/$h.log" 2>&1; then
    echo "!! $h failed: see fuzz/work/$h.log"
    tail -40 "fuzz/work/$h.log"
    status=1
  fi
  # fork mode (fuzz-long.sh) prints no stat:: lines, only its "#N: cov: ..." progress lines
  grep -E '^stat::(number_of_executed_units|average_exec_per_sec|new_units_added|peak_rss_mb)' "fuzz/work/$h.log" | sed 's/^/   /' ||
    grep -E '^#[0-9]+: cov:' "fuzz/work/$h.log" | tail -1 | sed 's/^/   /' || true
done
exit $status
