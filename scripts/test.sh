#!/usr/bin/env bash
# Installs dependencies, builds everything and runs every test: the unit, ABI and end-to-end
# tests (official SDKs from the npm registry against the running proxy), then the unit and ABI
# tests again under AddressSanitizer + UndefinedBehaviorSanitizer.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh

echo "== npm ci (pinned client SDKs and Gemini CLI for end-to-end tests)"
(cd tests/e2e && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error)

echo "== build"
# A tree configured by run-proxy.sh has the tests switched off: switch them on.
scripts/build.sh build -DLLMP_BUILD_TESTS=ON
echo "== tests"
(cd build && ctest --output-on-failure --timeout 600 -j2)

if [ "${LLMP_SKIP_SANITIZERS:-0}" != "1" ]; then
  echo "== sanitizer build (ASan + UBSan)"
  LLMP_BUILD_TYPE=Debug scripts/build.sh build-asan -DLLMP_SANITIZE=ON
  echo "== tests under ASan + UBSan"
  (cd build-asan && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
     UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
     ctest --output-on-failure --timeout 900 -j2 -LE no-sanitizer)
fi
