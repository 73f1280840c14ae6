#!/usr/bin/env bash
# llm-proxy benchmarks, side by side with a direct call and nginx, all on 127.0.0.1 against the
# fake Gemini upstream (tests/fakes). One command:
#
#   ./bench/run.sh
#
# Builds a Release tree in build-bench if needed, runs every scenario, writes raw results to
# bench/results/<timestamp>/ and the summary to stdout and bench/results/latest.md.
# Knobs (environment): BENCH_BUILD_DIR (default <repo>/build-bench), BENCH_SKIP_BUILD=1,
# BENCH_DURATION (s per measurement, 10), BENCH_WARMUP (s, 2), BENCH_CONNECTIONS ("1 64"),
# BENCH_STREAMS ("1 100 1000"), BENCH_STREAM_ROUNDS (3 measured rounds per stream row; the row
# shows the median one by p99), BENCH_EVENTS (50), BENCH_EVENT_DELAY_MS (20; at least
# streams/10 is used), BENCH_STREAM_CLIENTS ("gemini openai anthropic": the client APIs of the
# llm-proxy stream rows), BENCH_PROXY_CONFIG (extra YAML lines for the proxy's config),
# BENCH_PROXY_CPU / BENCH_LOAD_CPU (core for the server under test / for wrk + fake: 0 / 1),
# BENCH_NO_NGINX=1, BENCH_ONE_CORE=0 (skip the one-core latency rows), BENCH_PROXY_ENV (extra
# environment for llm-proxy only, e.g. LD_PRELOAD of another allocator), BENCH_PROXY_WRAP (a
# command prefix for llm-proxy only, e.g. "chrt -b 0"), LLMP_JOBS (build, 2).
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
stamp="$(date -u +%Y%m%dT%H%M%SZ)"
out="$root/bench/results/$stamp"
tmp="$(mktemp -d /tmp/llmp-bench.XXXXXX)"
mkdir -p "$out"
# shellcheck source=bench/lib.sh
source "$root/bench/lib.sh"

duration="${BENCH_DURATION:-10}"
warmup="${BENCH_WARMUP:-2}"
connections="${BENCH_CONNECTIONS-1 64}"  # set but empty: no wrk rows
stream_counts="${BENCH_STREAMS-1 100 1000}"  # set but empty: no stream rows
events="${BENCH_EVENTS:-50}"
stream_rounds="${BENCH_STREAM_ROUNDS:-3}"
event_delay_ms="${BENCH_EVENT_DELAY_MS:-20}"

for tool in wrk curl awk cmake; do
  command -v "$tool" >/dev/null || die "$tool is missing (scripts/install-deps.sh installs it)"
done
have_nginx=0
if [[ "${BENCH_NO_NGINX:-0}" != 1 ]] && command -v nginx >/dev/null; then
  have_nginx=1
else
  say "nginx not found or disabled: the nginx rows are skipped"
fi
say "open files limit: $(ulimit -n)"
ensure_build

results="$out/results.tsv"      # wrk rows, server on its own core
onecore="$out/results-1core.tsv" # wrk rows at 1 connection, every process on one core
header='scenario\tserver\tconns\treq_s\tp50_us\tp99_us\terrors\tsrv_cpu_us_req\tsrv_busy_pct\tsrv_rss_kb\tfake_cpu_us_req\tfake_busy_pct\tfake_rss_kb\n'
printf "%b" "$header" >"$results"
printf "%b" "$header" >"$onecore"
streams_tsv="$out/streams.tsv"
printf 'server\tstreams\tdelay_ms\tcompleted\tfailed\tttfb_p50_us\tttfb_p99_us\tgap_p50_us\tgap_p99_us\tgap_max_us\tlat_p50_us\tlat_p99_us\tlat_max_us\tsrv_cpu_ms\tsrv_cpu_us_event\tsrv_rss_kb\tup_cpu_ms\tup_rss_kb\twall_s\tsrv_core_steal_pct\tlat_p99_us_rounds\n' >"$streams_tsv"

# ---------------------------------------------------------------- measurements
# check_once <name> <port> <path> <lua>: one request with curl, kept as a sample; fails loudly.
check_once() {
  local name="$1" port="$2" path="$3" lua="$4" body headers=() code h
  body="$(sed -n 's/^wrk.body = \[\[\(.*\)\]\]$/\1/p' "$bench/lua/$lua.lua")"
  while IFS= read -r h; do headers+=(-H "$h"); done < <(
    sed -n 's/^wrk.headers\["\([^"]*\)"\] = "\([^"]*\)"$/\1: \2/p' "$bench/lua/$lua.lua"
  )
  code="$(curl -sS -o "$out/$name.sample.json" -w '%{http_code}' "${headers[@]}" \
    --data-binary "$body" "http://127.0.0.1:$port$path")" || true
  [[ "$code" == 200 ]] ||
    die "$name: sample request answered $code: $(head -c 400 "$out/$name.sample.json")"
}

# load <tsv> <conns> <scenario> <server label> <port> <path> <lua> <server pids...>
# Warm-up, then wrk at each connection count with CPU and peak RSS of the server(s) and the fake.
load() {
  local tsv="$1" conns="$2" scenario="$3" server="$4" port="$5" path="$6" lua="$7"
  shift 7
  local spids=("$@") c log s0 s1 f0 f1 t0 t1 line p tag
  check_once "$scenario" "$port" "$path" "$lua"
  tag=""
  [[ "$tsv" == "$onecore" ]] && tag=".1core"
  for c in $conns; do
    log="$out/$scenario$tag.c$c.wrk.txt"
    "${pin_load[@]}" wrk -t1 -c"$c" -d"${warmup}s" -s "$bench/lua/$lua.lua" \
      "http://127.0.0.1:$port$path" >/dev/null 2>&1 || true
    for p in "${spids[@]}" "$fake_pid"; do reset_hwm "$p"; done
    s0="$(sum_ticks "${spids[@]}")"
    f0="$(cpu_ticks "$fake_pid")"
    t0="$(date +%s%N)"
    "${pin_load[@]}" wrk -t1 -c"$c" -d"${duration}s" --latency -s "$bench/lua/$lua.lua" \
      "http://127.0.0.1:$port$path" >"$log" 2>&1 || true
    t1="$(date +%s%N)"
    s1="$(sum_ticks "${spids[@]}")"
    f1="$(cpu_ticks "$fake_pid")"
    line="$(grep '^BENCH ' "$log" || true)"
    [[ -n "$line" ]] || die "$scenario: wrk produced no result (see $log)"
    awk -v line="$line" -v scen="$scenario" -v server="$server" -v c="$c" \
      -v ds="$((s1 - s0))" -v df="$((f1 - f0))" -v tck="$clk_tck" -v wall_ns="$((t1 - t0))" \
      -v srss="$(sum_hwm "${spids[@]}")" -v frss="$(status_kb "$fake_pid" VmHWM)" 'BEGIN {
        n = split(line, kv, /[ =]/)
        for (i = 2; i < n; i += 2) v[kv[i]] = kv[i + 1]
        req = v["requests"]; secs = v["duration_us"] / 1e6
        wall = wall_ns / 1e9
        scpu = ds / tck * 1e6; fcpu = df / tck * 1e6
        printf "%s\t%s\t%d\t%.0f\t%d\t%d\t%d\t%.1f\t%.0f\t%d\t%.1f\t%.0f\t%d\n", scen, server, c,
          req / secs, v["lat_p50_us"], v["lat_p99_us"], v["errors"],
          req ? scpu / req : 0, scpu / 1e6 / wall * 100, srss,
          req ? fcpu / req : 0, fcpu / 1e6 / wall * 100, frss
      }' >>"$tsv"
    say "$(tail -1 "$tsv" | awk -F'\t' -v tag="$tag" '{ printf "%-22s c=%-3s %7s req/s  p50 %6s us  p99 %6s us  errors %s  server %s us/req (%s%% core)", $1 tag, $3, $4, $5, $6, $7, $8, $9 }')"
  done
}

# streams <server label> <port> <count> <server pids...>: a warm-up round (so thread pools and
# upstream connections exist, as in a server that has been up a while), then $stream_rounds
# measured rounds. Requests start spread over <count> ms; every event carries its upstream send
# time. The row is the round with the median event-latency p99 (a round's p99 moves with a few
# multi-millisecond stalls of the VM's cores, see docs/performance.md); every round's p99 is in
# its last column and every round's own row in streams.rounds.tsv.
streams() {
  local server="$1" port="$2" n="$3"
  shift 3
  local spids=("$@") s0 s1 u0 u1 st0 st1 w0 w1 line p args round rows
  args=(--port "$port" --path "$s_path" --body-file "$s_body" --streams "$n" --ramp-ms "$n"
    --expect-events "$events" --timeout-s 300)
  for p in "${s_headers[@]}"; do args+=(--header "$p"); done
  "${pin_load[@]}" "$stream_bin" "${args[@]}" >/dev/null 2>&1 || true
  for p in "${spids[@]}" "$upstream_pid"; do reset_hwm "$p"; done
  rows="$tmp/rounds.$server.$n.tsv"
  : >"$rows"
  for ((round = 1; round <= stream_rounds; round++)); do
    s0="$(sum_ticks "${spids[@]}")"
    u0="$(cpu_ticks "$upstream_pid")"
    st0="$(steal_ticks "$proxy_cpu")"
    w0="$(date +%s%N)"
    line="$("${pin_load[@]}" "$stream_bin" "${args[@]}" --raw "$out/streams.$server.n$n.r$round.tsv" \
      --windows "$out/streams.$server.n$n.r$round.windows.tsv" \
      2>"$out/streams.$server.n$n.r$round.err")" || true
    s1="$(sum_ticks "${spids[@]}")"
    u1="$(cpu_ticks "$upstream_pid")"
    st1="$(steal_ticks "$proxy_cpu")"
    w1="$(date +%s%N)"
    [[ -n "$line" ]] || die "stream_bench failed: $(cat "$out/streams.$server.n$n.r$round.err")"
    awk -v line="$line" -v server="$server" -v ds="$((s1 - s0))" -v du="$((u1 - u0))" \
      -v tck="$clk_tck" -v delay="$upstream_delay" -v srss="$(sum_hwm "${spids[@]}")" \
      -v urss="$(status_kb "$upstream_pid" VmHWM)" -v steal="$((st1 - st0))" \
      -v wall_ns="$((w1 - w0))" 'BEGIN {
        n = split(line, kv, /[ =]/)
        for (i = 1; i < n; i += 2) v[kv[i]] = kv[i + 1]
        cpu_ms = ds / tck * 1000
        printf "%s\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%.0f\t%.1f\t%d\t%.0f\t%d\t%s\t%.1f\n",
          server, v["streams"], delay, v["completed"], v["failed"], v["ttfb_p50_us"],
          v["ttfb_p99_us"], v["gap_p50_us"], v["gap_p99_us"], v["gap_max_us"],
          v["event_lat_p50_us"], v["event_lat_p99_us"], v["event_lat_max_us"], cpu_ms,
          v["events"] ? cpu_ms * 1000 / v["events"] : 0, srss, du / tck * 1000, urss, v["wall_s"],
          (wall_ns > 0 ? steal / tck * 1e9 / wall_ns * 100 : 0)
      }' >>"$rows"
    say "$(tail -1 "$rows" | awk -F'\t' -v r="$round" '{ printf "streams %-19s n=%-5s round %s: completed %s failed %s  ttfb p50 %s us  gap p99 %s us  event latency p50 %s us p99 %s us  server %s us/event  steal %s%%", $1, $2, r, $4, $5, $6, $9, $11, $12, $15, $20 }')"
  done
  cat "$rows" >>"$out/streams.rounds.tsv"
  # The median round by p99 (a failed stream in any round is reported: the worst round's count),
  # with every round's p99 appended.
  sort -t$'\t' -k12,12n "$rows" | awk -F'\t' -v OFS='\t' -v want="$(((stream_rounds + 1) / 2))" '
    BEGIN { failed = 0 }
    { p99 = p99 (NR > 1 ? "/" : "") $12; if ($5 + 0 > failed) failed = $5 + 0; if (NR == want) row = $0 }
    END { split(row, f, "\t"); f[5] = failed; f[4] = f[2] - failed
      out = f[1]; for (i = 2; i <= 20; i++) out = out OFS f[i]; print out, p99 }' >>"$streams_tsv"
}

# ---------------------------------------------------------------- machine
{
  echo "date: $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
  echo "commit: $(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown)"
  echo "cpu: $(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo) x $ncpu online"
  echo "memory: $(awk '/^MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)"
  echo "kernel: $(uname -sr)"
  echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "pinning: ${pin_proxy[*]:-none} (server under test), ${pin_load[*]:-none} (wrk, fake, stream_bench)"
  echo "wrk: $(wrk --version 2>&1 | head -1 | cut -d' ' -f1-2)"
  if [[ "$have_nginx" == 1 ]]; then echo "nginx: $(nginx -v 2>&1 | sed 's/^nginx version: //')"; fi
  echo "build: $build ($(sed -n 's/^CMAKE_BUILD_TYPE:STRING=//p' "$build/CMakeCache.txt" 2>/dev/null), $(sed -n 's/^CMAKE_CXX_COMPILER:[A-Z]*=//p' "$build/CMakeCache.txt" 2>/dev/null))"
  if [[ -n "${BENCH_PROXY_ENV:-}" ]]; then echo "llm-proxy environment: $BENCH_PROXY_ENV"; fi
  if [[ -n "${BENCH_PROXY_WRAP:-}" ]]; then echo "llm-proxy started under: $BENCH_PROXY_WRAP"; fi
  echo "settings: ${duration}s per measurement after ${warmup}s warm-up; connections: $connections; streams: $stream_counts x $events events, max(${event_delay_ms}, streams/10) ms apart"
} >"$out/machine.txt"
cat "$out/machine.txt" >&2

# ---------------------------------------------------------------- idle RSS
start_proxy idle 9 # nothing is called; the upstream port does not matter
sleep 1.5
idle_rss="$(status_kb "$proxy_pid" VmRSS)"
idle_hwm="$(status_kb "$proxy_pid" VmHWM)"
idle_threads="$(awk '/^Threads:/ { print $2 }' "/proc/$proxy_pid/status")"
idle_plugins="$(find "$plugin_dir" -maxdepth 1 -name '*.so' | wc -l)"
idle_mapped="$(awk '/\.so/ { print $6 }' "/proc/$proxy_pid/maps" | sort -u | grep -c '/plugins/' || true)"
stop_pid "$proxy_pid"
say "idle llm-proxy: RSS $((idle_rss / 1024)) MB (peak $((idle_hwm / 1024)) MB), $idle_threads threads, $idle_mapped of $idle_plugins plugins mapped"
printf 'idle_rss_kb\t%s\nidle_hwm_kb\t%s\nthreads\t%s\nplugins_in_dir\t%s\nplugins_mapped\t%s\n' \
  "$idle_rss" "$idle_hwm" "$idle_threads" "$idle_plugins" "$idle_mapped" >"$out/idle.tsv"

# ---------------------------------------------------------------- non-streaming scenarios
start_generate_upstream
say "fake upstream on port $fake_port (pid $fake_pid)"

load "$results" "$connections" direct fake "$fake_port" "$gemini_path" gemini "$fake_pid"
if [[ "$have_nginx" == 1 ]]; then
  start_nginx "$fake_port"
  load "$results" "$connections" nginx nginx "$nginx_port" "$gemini_path" gemini \
    "$nginx_pid" "$nginx_worker"
  stop_pid "$nginx_pid"
fi
for api in gemini openai anthropic; do
  client_route "$api"
  name="proxy-$api"
  start_proxy "$name" "$fake_port"
  load "$results" "$connections" "$name" llm-proxy "$proxy_port" "$path" "$lua" "$proxy_pid"
  stop_pid "$proxy_pid"
done

# The same rows at one connection with every process on the load core: on a VM, waking a
# process on the other (idle) core costs tens of µs per hop, which the split layout pays four
# times per request. Sharing one core shows the server's own added latency.
if [[ "${BENCH_ONE_CORE:-1}" == 1 && ${#pin_load[@]} -gt 0 ]]; then
  load "$onecore" 1 direct fake "$fake_port" "$gemini_path" gemini "$fake_pid"
  if [[ "$have_nginx" == 1 ]]; then
    start_nginx "$fake_port" "${pin_load[@]}"
    load "$onecore" 1 nginx nginx "$nginx_port" "$gemini_path" gemini "$nginx_pid" "$nginx_worker"
    stop_pid "$nginx_pid"
  fi
  for api in gemini openai anthropic; do
    client_route "$api"
    name="proxy-$api"
    start_proxy "$name.1core" "$fake_port" "${pin_load[@]}"
    load "$onecore" 1 "$name" llm-proxy "$proxy_port" "$path" "$lua" "$proxy_pid"
    stop_pid "$proxy_pid"
  done
fi
stop_pid "$fake_pid"

# ---------------------------------------------------------------- streams
# bench/sse_upstream (one epoll thread) stands in for the fake here: it holds 1000 streams on the
# shared load core without falling behind and stamps each event with its send time. Events are
# max(BENCH_EVENT_DELAY_MS, streams / 10) ms apart: 20 ms for 1 and 100 streams, 100 ms for 1000
# (10,000 events/s in all).
echo '{"contents":[{"role":"user","parts":[{"text":"Stream something."}]}]}' >"$tmp/stream_body.json"
echo '{"model":"gemini-2.5-flash","stream":true,"messages":[{"role":"user","content":"Stream something."}]}' \
  >"$tmp/stream_body.openai.json"
echo '{"model":"gemini-2.5-flash","max_tokens":1024,"stream":true,"messages":[{"role":"user","content":"Stream something."}]}' \
  >"$tmp/stream_body.anthropic.json"
# stream_client <gemini|openai|anthropic>: the request stream_bench sends (s_path, s_body,
# s_headers). The upstream answers Gemini SSE every time; the proxy translates for the others.
stream_client() {
  case "$1" in
    gemini) s_path="$stream_path" s_body="$tmp/stream_body.json" s_headers=("x-goog-api-key: bench") ;;
    openai) s_path=/v1/chat/completions s_body="$tmp/stream_body.openai.json"
      s_headers=("authorization: Bearer bench") ;;
    anthropic) s_path=/v1/messages s_body="$tmp/stream_body.anthropic.json"
      s_headers=("x-api-key: bench" "anthropic-version: 2023-06-01") ;;
    *) die "unknown stream client '$1' (gemini, openai, anthropic)" ;;
  esac
}
stream_clients="${BENCH_STREAM_CLIENTS-gemini openai anthropic}"
for n in $stream_counts; do
  upstream_delay=$((n / 10 > event_delay_ms ? n / 10 : event_delay_ms))
  start_sse_upstream "$events" "$upstream_delay"
  say "stream upstream on port $upstream_port: $events events, $upstream_delay ms apart"
  stream_client gemini
  streams direct "$upstream_port" "$n" "$upstream_pid"
  if [[ "$have_nginx" == 1 ]]; then
    start_nginx "$upstream_port"
    streams nginx "$nginx_port" "$n" "$nginx_pid" "$nginx_worker"
    stop_pid "$nginx_pid"
  fi
  for client in $stream_clients; do
    # A fresh proxy per client, so each row's CPU and peak RSS are its own.
    start_proxy "proxy-streams-$client-$n" "$upstream_port"
    stream_client "$client"
    label=llm-proxy
    [[ "$client" == gemini ]] || label="llm-proxy-$client"
    streams "$label" "$proxy_port" "$n" "$proxy_pid"
    stop_pid "$proxy_pid"
  done
  stop_pid "$upstream_pid"
done

# ---------------------------------------------------------------- summary
# table_load <tsv>: the two wrk tables, ratios to the direct and nginx rows at the same conns.
table_load() {
  awk -F'\t' '
    NR == 1 { next }
    { key = $1 SUBSEP $3; for (i = 1; i <= NF; i++) r[key, i] = $i; rows[++n] = key
      if ($1 == "direct") { d[$3] = key } if ($1 == "nginx") { g[$3] = key } }
    function ratio(a, b) { return (b + 0 > 0) ? sprintf("%.2f", a / b) : "-" }
    function cell(key, col, base) { return base == "" ? "-" : ratio(r[key, col], r[base, col]) }
    END {
      print "| scenario | conns | req/s | p50 µs | p99 µs | added p50 µs vs direct | req/s ÷ direct | req/s ÷ nginx | errors |"
      print "|---|---:|---:|---:|---:|---:|---:|---:|---:|"
      for (i = 1; i <= n; i++) { k = rows[i]; c = r[k, 3]
        added = (c in d) ? sprintf("%+d", r[k, 5] - r[d[c], 5]) : "-"
        printf "| %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", r[k, 1], c, r[k, 4], r[k, 5],
          r[k, 6], added, (c in d) ? cell(k, 4, d[c]) : "-", (c in g) ? cell(k, 4, g[c]) : "-", r[k, 7] }
      print ""
      print "| scenario | conns | server CPU µs/req | req/s per core | server core busy % | CPU/req ÷ direct | CPU/req ÷ nginx | server peak RSS MB | RSS ÷ direct | RSS ÷ nginx | fake CPU µs/req | fake core busy % | fake peak RSS MB |"
      print "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
      for (i = 1; i <= n; i++) { k = rows[i]; c = r[k, 3]
        printf "| %s | %s | %s | %s | %s | %s | %s | %.1f | %s | %s | %s | %s | %.1f |\n", r[k, 1], c,
          r[k, 8], (r[k, 8] > 0) ? sprintf("%.0f", 1e6 / r[k, 8]) : "-", r[k, 9],
          (c in d) ? cell(k, 8, d[c]) : "-", (c in g) ? cell(k, 8, g[c]) : "-", r[k, 10] / 1024,
          (c in d) ? cell(k, 10, d[c]) : "-", (c in g) ? cell(k, 10, g[c]) : "-",
          r[k, 11], r[k, 12], r[k, 13] / 1024 }
    }' "$1"
}

summary="$out/summary.md"
{
  echo "# llm-proxy benchmark $stamp"
  echo
  echo '```'
  cat "$out/machine.txt"
  echo '```'
  echo
  echo "## Non-streaming (wrk, Gemini generateContent upstream)"
  echo
  echo "\"server\" is the process between wrk and the fake (the fake itself in the direct row),"
  echo "pinned to its own core; wrk and the fake share the other. CPU µs/req = the server's"
  echo "utime+stime over the run ÷ requests; req/s per core = 1e6 ÷ CPU µs/req (what one fully"
  echo "busy core would serve). Ratios are to the direct and nginx rows at the same connection count."
  echo
  table_load "$results"
  if [[ "$(wc -l <"$onecore")" -gt 1 ]]; then
    echo
    echo "### One connection, every process on one core (added latency without cross-core wake-ups)"
    echo
    table_load "$onecore"
  fi
  echo
  echo "## Streams (stream_bench → bench/sse_upstream, Gemini streamGenerateContent?alt=sse upstream, $events events per stream; llm-proxy-openai / -anthropic: the same stream translated for an OpenAI / Anthropic client)"
  echo
  echo "Requests start spread over <streams> ms after a warm-up round; then $stream_rounds measured rounds, and"
  echo "each row is the round with the median event-latency p99 (every round's p99 in the last column)."
  echo "TTFB: request sent → first"
  echo "event. Gap: time between consecutive events of a stream. Event latency: upstream write →"
  echo "client read of each event (stamped); \"added\" = this row minus the direct row, i.e. the"
  echo "delay the server adds to every event. Server CPU covers the round shown, peak RSS all rounds."
  echo "Steal: share of the round during which the hypervisor ran something else on the server's"
  echo "core (/proc/stat); events that arrive then wait, so rows with steal have inflated p99s."
  echo
  awk -F'\t' '
    NR == 1 { next }
    { key = $1 SUBSEP $2; for (i = 1; i <= NF; i++) r[key, i] = $i; rows[++n] = key
      if ($1 == "direct") d[$2] = key }
    END {
      print "| server | streams | delay ms | completed | failed | TTFB p50 µs | added TTFB p50 µs | gap p50 µs | gap p99 µs | event latency p50 µs | p99 µs | added event latency p50 / p99 µs | server CPU µs/event | server peak RSS MB | upstream CPU ms | steal on server core % | event latency p99 of each round µs |"
      print "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
      for (i = 1; i <= n; i++) { k = rows[i]; s = r[k, 2]; b = (s in d) ? d[s] : ""
        printf "| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %.1f | %s | %s | %s |\n",
          r[k, 1], s, r[k, 3], r[k, 4], r[k, 5], r[k, 6],
          b == "" ? "-" : sprintf("%+d", r[k, 6] - r[b, 6]), r[k, 8], r[k, 9], r[k, 11], r[k, 12],
          b == "" ? "-" : sprintf("%+d / %+d", r[k, 11] - r[b, 11], r[k, 12] - r[b, 12]),
          r[k, 15], r[k, 16] / 1024, r[k, 17], r[k, 20], r[k, 21] }
    }' "$streams_tsv"
  echo
  echo "## Idle"
  echo
  printf 'llm-proxy idle with every plugin loaded (%s of %s in %s mapped): RSS %.1f MB, %s threads.\n' \
    "$idle_mapped" "$idle_plugins" "$(basename "$plugin_dir")" "$(awk -v k="$idle_rss" 'BEGIN { print k / 1024 }')" \
    "$idle_threads"
} >"$summary"
cp "$summary" "$root/bench/results/latest.md"
cat "$summary"
say "raw results: $out"
