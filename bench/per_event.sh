#!/usr/bin/env bash
# Thread wake-ups llm-proxy spends per streamed event: the voluntary and involuntary context
# switches of all its threads over one round of N concurrent Gemini streams (bench/sse_upstream,
# 50 events each, 20 ms apart), divided by the events delivered. Like per_request.sh, a count that
# does not depend on how busy the machine is.
#
#   ./bench/per_event.sh [streams]                                  # default 100
#   BENCH_PROXY_CONFIG="stream_io_threads: -1" ./bench/per_event.sh # streams read on request threads
#
# Same environment knobs as bench/run.sh (BENCH_SKIP_BUILD=1, BENCH_BUILD_DIR, ...).
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
streams="${1:-100}"
events=50
stamp="$(date -u +%Y%m%dT%H%M%SZ)"
out="$root/bench/results/per-event-$stamp"
tmp="$(mktemp -d /tmp/llmp-per-event.XXXXXX)"
mkdir -p "$out"
# shellcheck source=bench/lib.sh
source "$root/bench/lib.sh"
ensure_build

start_sse_upstream "$events" 20
start_proxy per-event "$upstream_port"

echo '{"contents":[{"role":"user","parts":[{"text":"Stream something."}]}]}' >"$tmp/body.json"
round() {
  "${pin_load[@]}" "$stream_bin" --port "$proxy_port" --path "$stream_path" \
    --body-file "$tmp/body.json" --header "x-goog-api-key: bench" --streams "$streams" \
    --ramp-ms "$streams" --expect-events "$events" --timeout-s 120 2>/dev/null
}
switches() { # voluntary and involuntary context switches of every thread of the proxy
  cat /proc/"$proxy_pid"/task/*/status 2>/dev/null |
    awk '/^voluntary_ctxt/ { v += $2 } /^nonvoluntary_ctxt/ { n += $2 } END { print v + 0, n + 0 }'
}

round >/dev/null # warm-up: threads, pooled upstream connections, the relay threads
read -r v0 n0 < <(switches)
line="$(round)"
read -r v1 n1 < <(switches)
delivered="$(sed -n 's/.*events=\([0-9]*\).*/\1/p' <<<"$line")"
[[ -n "$delivered" && "$delivered" -gt 0 ]] || die "no events arrived: $line"
stop_pid "$proxy_pid"

{
  echo "# llm-proxy per stream event: $streams streams x $events events${BENCH_PROXY_CONFIG:+ ($BENCH_PROXY_CONFIG)}"
  echo "$line"
  awk -v e="$delivered" -v v=$((v1 - v0)) -v n=$((n1 - n0)) 'BEGIN {
    printf "events: %d\ncontext switches per event: %.3f voluntary, %.3f involuntary\n", e, v / e, n / e }'
} | tee "$out/summary.txt"
