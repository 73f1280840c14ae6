#!/usr/bin/env bash
# Installs dependencies, builds, and runs llm-proxy on the offline default configuration at
# http://127.0.0.1:8000 (mock backend). Extra arguments go to llm-proxy.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh build -DLLMP_BUILD_TESTS=OFF
exec build/llm-proxy --config config/default.yaml "$@"
