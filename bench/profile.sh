#!/usr/bin/env bash
# Profiles llm-proxy under load and writes the hot functions to bench/results/profile-<ts>/.
#
#   ./bench/profile.sh [gemini|openai|anthropic|stream] [seconds]
#
# gemini/openai/anthropic: wrk at 64 connections against the matching front end, gemini backend
# -> fake upstream. stream: 100 concurrent Gemini SSE streams through bench/sse_upstream.
# Uses perf (cpu-clock sampling, flat profile by function) when it works, otherwise valgrind
# --tool=callgrind on a shorter, lighter run. Same environment knobs as bench/run.sh.
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
scenario="${1:-openai}"
seconds="${2:-10}"
stamp="$(date -u +%Y%m%dT%H%M%SZ)"
out="$root/bench/results/profile-$stamp"
tmp="$(mktemp -d /tmp/llmp-profile.XXXXXX)"
mkdir -p "$out"
# shellcheck source=bench/lib.sh
source "$root/bench/lib.sh"
ensure_build

if [[ "$scenario" == stream ]]; then
  path="$stream_path" lua=""
else
  client_route "$scenario" || die "unknown scenario '$scenario' (gemini, openai, anthropic, stream)"
fi

if [[ "$scenario" == stream ]]; then
  start_sse_upstream 50 20
  fake_port="$upstream_port"
  echo '{"contents":[{"role":"user","parts":[{"text":"Stream something."}]}]}' >"$tmp/body.json"
else
  start_generate_upstream
fi

# drive <seconds>: the load for one scenario.
drive() {
  if [[ "$scenario" == stream ]]; then
    local end=$((SECONDS + $1))
    while [[ $SECONDS -lt $end ]]; do
      "${pin_load[@]}" "$build/bench/stream_bench" --port "$proxy_port" --path "$path" \
        --body-file "$tmp/body.json" --streams 100 --ramp-ms 100 --expect-events 50 >/dev/null 2>&1 || true
    done
  else
    "${pin_load[@]}" wrk -t1 -c"${PROFILE_CONNECTIONS:-64}" -d"$1s" -s "$bench/lua/$lua.lua" \
      "http://127.0.0.1:$proxy_port$path" | grep '^BENCH' || true
  fi
}

# shorten: nlohmann's full basic_json<...> spelling -> "json", trailing blanks dropped.
shorten() {
  awk '{
    long = "basic_json<std::map, std::vector, std::__cxx11::basic_string<char, std::char_traits<char>, std::allocator<char> >, bool, long, unsigned long, double, std::allocator, nlohmann::json_abi_v3_11_2::adl_serializer, std::vector<unsigned char, std::allocator<unsigned char> > >"
    while ((i = index($0, long)) > 0) $0 = substr($0, 1, i - 1) "json" substr($0, i + length(long))
    sub(/ +$/, ""); print
  }'
}

report="$out/$scenario.txt"
if command -v perf >/dev/null && perf record -e cpu-clock -o "$tmp/probe.data" -- true >/dev/null 2>&1; then
  start_proxy "profile-$scenario" "$fake_port"
  drive 2 >/dev/null
  perf record -F 1999 -e cpu-clock -g -p "$proxy_pid" -o "$tmp/perf.data" >"$tmp/perf.log" 2>&1 &
  perf_pid=$!
  pids+=("$perf_pid")
  drive "$seconds" >"$out/$scenario.load.txt"
  kill -INT "$perf_pid" 2>/dev/null || true
  wait "$perf_pid" 2>/dev/null || true
  {
    echo "# perf, cpu-clock samples of llm-proxy ($scenario, ${seconds}s); self time"
    echo "## by library"
    perf report -i "$tmp/perf.data" --no-children --sort dso --stdio -g none 2>/dev/null |
      grep -v '^#' | grep '%' | sed -E 's/ +$//' | head -15 || true
    echo "## by function"
    perf report -i "$tmp/perf.data" --no-children --sort dso,symbol --stdio -g none 2>/dev/null |
      grep -v '^#' | grep '%' | shorten | cut -c1-200 | head -70 || true
  } >"$report"
else
  say "perf unavailable: using valgrind --tool=callgrind (slow; light load)"
  command -v valgrind >/dev/null || die "neither perf nor valgrind is available"
  proxy_bin_orig="$proxy_bin"
  proxy_bin="$tmp/callgrind-proxy.sh"
  printf '#!/bin/sh\nexec valgrind --tool=callgrind --callgrind-out-file=%s/callgrind.out "%s" "$@"\n' \
    "$tmp" "$proxy_bin_orig" >"$proxy_bin"
  chmod +x "$proxy_bin"
  start_proxy "profile-$scenario" "$fake_port"
  PROFILE_CONNECTIONS=4 drive "$seconds" >"$out/$scenario.load.txt"
  stop_pid "$proxy_pid"
  { callgrind_annotate --inclusive=no "$tmp/callgrind.out" 2>/dev/null | shorten | head -70 || true; } >"$report"
fi
stop_pid "$proxy_pid"
cat "$report"
say "profile: $report"
