#!/usr/bin/env bash
# Configures and builds llm-proxy, its plugins and its tests.
#   scripts/build.sh [build-dir] [extra cmake arguments...]
set -euo pipefail
cd "$(dirname "$0")/.."
dir="${1:-build}"
shift || true
jobs="${LLMP_JOBS:-2}"
cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE="${LLMP_BUILD_TYPE:-Release}" "$@" >/dev/null
cmake --build "$dir" -j "$jobs"
