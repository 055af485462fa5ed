#!/usr/bin/env bash
# Installs every Debian 12 package sipscope needs to build, test, fuzz and benchmark.
# Safe to run again: apt-get skips what is already there. Needs root (or sudo).
#   bash scripts/install-deps.sh [--bench | --fuzz]
set -euo pipefail

pkgs=(
  # toolchain
  build-essential cmake ninja-build pkg-config git
  clang libclang-rt-14-dev            # libFuzzer + ASan/UBSan runtimes (fuzz/)
  # libraries
  libboost-dev                        # Boost.Spirit X3 (header-only, Boost 1.74)
  libpcap-dev zlib1g-dev libsqlite3-dev libpq-dev libxxhash-dev   # xxhash: capture identity (store/)
  # tests
  libgtest-dev googletest nlohmann-json3-dev python3   # python3: tests/cli check JSON output
  postgresql sqlite3                  # tests/store: a throwaway PostgreSQL cluster; sqlite3 to query exports
  # benchmark peers (sipscope-bench parse)
  libosip2-dev libsofia-sip-ua-dev
  # viewer (optional: the build turns it off when these are missing)
  libimgui-dev libglfw3-dev libgl-dev
  xvfb xauth libgl1-mesa-dri fonts-dejavu-core   # viewer screenshot tests: Xvfb + Mesa's software GL
)

# --bench: also the peer tools the benchmarks run side by side (sipscope-bench ingest):
# tshark and sngrep. Not needed to build or test.
if [ "${1:-}" = "--bench" ]; then
  pkgs+=(tshark sngrep)
fi
# --fuzz: llvm-profdata and llvm-cov for the coverage of the fuzz corpora
# (scripts/fuzz-coverage.sh, fuzz/README.md). Not needed to fuzz: clang above has libFuzzer.
if [ "${1:-}" = "--fuzz" ]; then
  pkgs+=(llvm-14)
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#pkgs[@]} packages already installed"
  exit 0
fi

echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
$SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
