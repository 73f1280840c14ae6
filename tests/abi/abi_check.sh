#!/usr/bin/env bash
# CTest script: compares the committed abidw baseline of the C reference plugin (the mock
# backend, built with -g -Og) with a fresh build, looking only at types declared in sdk/include.
#   abi_check.sh <baseline.abi> <baseline.version> <fresh plugin .so> <sdk include dir>
# abidiff's exit status is a bit mask: 1 error, 2 usage error, 4 ABI change, 8 incompatible
# ABI change. Fails on 8 always (a member moved, removed or retyped counts as 8 too), and on 4
# unless LLMP_ABI_MINOR (or MAJOR) moved since the
# baseline was written; then refresh the baseline: cmake --build <build> --target abi_update_baseline
# Exits 77 (CTest SKIP_RETURN_CODE) when abigail-tools is not installed.
set -u
baseline=$1
baseline_version_file=$2
library=$3
headers=$4

if ! command -v abidiff >/dev/null 2>&1 || ! command -v abidw >/dev/null 2>&1; then
  echo "SKIPPED: abidw/abidiff not installed (Debian package abigail-tools); ABI not compared"
  exit 77
fi
for f in "$baseline" "$baseline_version_file" "$library"; do
  if [ ! -f "$f" ]; then
    echo "FAIL: $f is missing"
    exit 1
  fi
done

version_of() {  # prints "<major>.<minor>" from version.h
  local major minor
  major=$(sed -n 's/^#define LLMP_ABI_MAJOR \([0-9][0-9]*\).*/\1/p' "$1")
  minor=$(sed -n 's/^#define LLMP_ABI_MINOR \([0-9][0-9]*\).*/\1/p' "$1")
  echo "$major.$minor"
}
current=$(version_of "$headers/llmp/version.h")
recorded=$(tr -d ' \n' < "$baseline_version_file")
echo "ABI now $current, baseline written at $recorded"

report=$(abidiff --headers-dir2 "$headers" "$baseline" "$library")
rc=$?
echo "$report"
echo "abidiff exit status: $rc"
# abidiff rates any layout change of a struct reached through pointers as a mere change (4).
# Appending members is the only change a minor may make; a moved, removed or retyped member
# breaks every plugin built before it, so treat those as incompatible.
if (( rc & 4 )) && grep -Eq "offset changed|deletion|type name changed from|name of .* changed" \
    <<< "$report"; then
  echo "the change moves, removes, renames or retypes an existing member"
  rc=$(( rc | 8 ))
fi

if (( rc & 3 )); then
  echo "FAIL: abidiff could not compare (status $rc)"
  exit 1
fi
if (( rc & 8 )); then
  echo "FAIL: incompatible ABI change against the baseline. Keep the old layout (append"
  echo "members only) or, if the break is intended, bump LLMP_ABI_MAJOR and refresh the baseline."
  exit 1
fi
if (( rc & 4 )); then
  if [ "$current" = "$recorded" ]; then
    echo "FAIL: the ABI changed compatibly but LLMP_ABI_MINOR did not move ($current)."
    echo "Bump LLMP_ABI_MINOR in sdk/include/llmp/version.h, then refresh the baseline:"
    echo "  cmake --build <build> --target abi_update_baseline"
    exit 1
  fi
  echo "OK: compatible ABI change with the version moved ($recorded -> $current);"
  echo "refresh the baseline: cmake --build <build> --target abi_update_baseline"
  exit 0
fi
if [ "$current" != "$recorded" ]; then
  echo "note: the version moved ($recorded -> $current) without an ABI change the mock can see"
fi
echo "OK: no ABI change"
exit 0
