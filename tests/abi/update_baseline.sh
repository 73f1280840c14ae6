#!/usr/bin/env bash
# Rewrites the committed ABI baseline from a fresh -g -Og build of the mock plugin, and records
# the ABI version it describes. Run through: cmake --build <build> --target abi_update_baseline
#   update_baseline.sh <plugin .so> <sdk include dir> <baseline.abi> <baseline.version>
set -euo pipefail
library=$1
headers=$2
baseline=$3
version_file=$4
abidw --headers-dir "$headers" --no-corpus-path --no-comp-dir-path --short-locs \
  --out-file "$baseline" "$library"
major=$(sed -n 's/^#define LLMP_ABI_MAJOR \([0-9][0-9]*\).*/\1/p' "$headers/llmp/version.h")
minor=$(sed -n 's/^#define LLMP_ABI_MINOR \([0-9][0-9]*\).*/\1/p' "$headers/llmp/version.h")
echo "$major.$minor" > "$version_file"
echo "wrote $baseline for llmp ABI $major.$minor; commit it with the version bump"
