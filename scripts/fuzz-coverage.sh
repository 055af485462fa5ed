#!/usr/bin/env bash
# Line coverage of each fuzz harness's corpus (issue 9, fuzz/README.md): the harnesses built
# with clang's source-based coverage (-fprofile-instr-generate -fcoverage-mapping) and linked
# with fuzz/replay_main.cpp instead of libFuzzer, each run once over its seeds and the corpus
# the fuzz runs grew (fuzz/work/<harness>), then llvm-profdata + llvm-cov (Debian llvm-14:
# bash scripts/install-deps.sh --fuzz).
#   scripts/fuzz-coverage.sh [HARNESS...]      (default: every harness)
# Prints, per harness, the line and function coverage of the library sources it exercises;
# reports land in build-fuzzcov/cov/<harness>.txt (llvm-cov report, per file).
set -euo pipefail
cd "$(dirname "$0")/.."
harnesses=("$@")
if [ ${#harnesses[@]} -eq 0 ]; then
  for f in fuzz/fuzz_*.cpp; do harnesses+=("$(basename "$f" .cpp)"); done
fi
profdata=$(command -v llvm-profdata-14 || command -v llvm-profdata)
cov=$(command -v llvm-cov-14 || command -v llvm-cov)
flags="-fprofile-instr-generate -fcoverage-mapping"
cmake -S . -B build-fuzzcov -G Ninja -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_COMPILER=clang++ \
  -DCMAKE_CXX_FLAGS="$flags" -DCMAKE_EXE_LINKER_FLAGS="$flags" -DSIPSCOPE_FUZZ=OFF -DSIPSCOPE_TESTS=OFF \
  -DSIPSCOPE_BENCH=OFF -DSIPSCOPE_VIEWER=OFF >/dev/null
targets=()
for h in "${harnesses[@]}"; do targets+=("$h-replay"); done
cmake --build build-fuzzcov -j"${FUZZ_JOBS:-2}" --target "${targets[@]}"
# the seeds of fuzz.sh (one table)
eval "$(sed -n '/^declare -A seeds=(/,/^)/p' scripts/fuzz.sh)"
mkdir -p build-fuzzcov/cov
printf '%-18s %8s %8s  %s\n' harness lines funcs "sources counted"
for h in "${harnesses[@]}"; do
  # the library code the harness is about (the rest it links is counted elsewhere)
  case $h in
    fuzz_sip|fuzz_sip_struct|fuzz_uri|fuzz_sdp|fuzz_multipart) src='parser/src' ;;
    fuzz_capture|fuzz_tcp_stream|fuzz_hep|fuzz_websocket) src='correlate/capture/src' ;;
    fuzz_rtp) src='correlate/media/src' ;;
    fuzz_correlate) src='correlate/(model|media|capture)/src' ;;
    fuzz_export) src='(store|correlate/model)/src' ;;
    *) src='(parser|correlate|store)/' ;;
  esac
  rm -f build-fuzzcov/cov/"$h".profraw
  # shellcheck disable=SC2086
  LLVM_PROFILE_FILE=build-fuzzcov/cov/$h.profraw build-fuzzcov/bin/$h-replay ${seeds[$h]:-} \
    "fuzz/work/$h" fuzz/regressions/"$h" > /dev/null 2>&1 || true
  "$profdata" merge -sparse build-fuzzcov/cov/"$h".profraw -o build-fuzzcov/cov/"$h".profdata
  "$cov" report build-fuzzcov/bin/"$h"-replay -instr-profile=build-fuzzcov/cov/"$h".profdata \
    > build-fuzzcov/cov/"$h".full.txt
  grep -E "^$PWD/$src|^$src" build-fuzzcov/cov/"$h".full.txt > build-fuzzcov/cov/"$h".txt || true
  # columns of llvm-cov report: Regions Missed Cover Functions Missed Executed Lines Missed Cover ...
  awk -v h="$h" -v src="$src" '{ fn += $5; fm += $6; ln += $8; lm += $9 }
    END { if (ln) printf "%-18s %7.1f%% %7.1f%%  %s\n", h, 100 * (ln - lm) / ln, 100 * (fn - fm) / fn, src }' \
    build-fuzzcov/cov/"$h".txt
done
