#!/usr/bin/env bash
# Installs every Debian 12 package the build, the tests and the benchmark need (as root, or
# through sudo). Packages already present are left alone, so a second run is quick.
set -euo pipefail

packages=(
  build-essential cmake pkg-config
  libpoco-dev libyaml-cpp-dev libboost-dev libboost-filesystem-dev libssl-dev
  nlohmann-json3-dev libsqlite3-dev
  googletest libgtest-dev libgmock-dev
  abigail-tools binutils
  ca-certificates curl
  wrk nginx-light strace
)
# Node.js and npm run the end-to-end tests with the official SDKs; keep a Node that is present.
command -v node >/dev/null 2>&1 || packages+=(nodejs)
command -v npm >/dev/null 2>&1 || packages+=(npm)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
echo "installing: ${missing[*]}"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
