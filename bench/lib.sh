# Shared by bench/run.sh and bench/profile.sh (sourced, not run). Expects `root`, `out` and `tmp`
# to be set; starts every process itself, records its pid and stops only those pids on exit.
# shellcheck shell=bash
# Variables set here are used by the scripts that source it, and root/out/tmp come from them:
# shellcheck disable=SC2034,SC2154

bench="$root/bench"
build="${BENCH_BUILD_DIR:-$root/build-bench}"
model="gemini-2.5-flash"
gemini_path="/v1beta/models/$model:generateContent"
stream_path="/v1beta/models/$model:streamGenerateContent?alt=sse"

# client_route <gemini|openai|anthropic>: sets `path` and `lua` to that client API's request path
# and wrk script (bench/lua/<lua>.lua), all answered by the gemini backend; fails for other names.
client_route() {
  case "$1" in
    gemini) path="$gemini_path" lua=gemini ;;
    openai) path=/v1/chat/completions lua=openai ;;
    anthropic) path=/v1/messages lua=anthropic ;;
    *) return 1 ;;
  esac
}

say() { printf '[bench] %s\n' "$*" >&2; }
die() {
  say "error: $*"
  exit 1
}

# ---------------------------------------------------------------- processes and cleanup
pids=()
cleanup() {
  local pid
  for pid in "${pids[@]:-}"; do
    if [[ -n "$pid" ]]; then kill -TERM "$pid" 2>/dev/null || true; fi
  done
  sleep 0.3
  for pid in "${pids[@]:-}"; do
    if [[ -n "$pid" ]]; then kill -KILL "$pid" 2>/dev/null || true; fi
  done
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

stop_pid() { # TERM, up to 5 s grace, then KILL; only pids this script started
  local pid="$1" i kept=() q
  if kill -TERM "$pid" 2>/dev/null; then
    for i in $(seq 1 50); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
    kill -KILL "$pid" 2>/dev/null || true
  fi
  wait "$pid" 2>/dev/null || true
  for q in "${pids[@]:-}"; do
    if [[ -n "$q" && "$q" != "$pid" ]]; then kept+=("$q"); fi
  done
  pids=("${kept[@]:-}")
}

# ---------------------------------------------------------------- machine
ncpu="$(getconf _NPROCESSORS_ONLN)"
clk_tck="$(getconf CLK_TCK)"
proxy_cpu="${BENCH_PROXY_CPU:-0}"
load_cpu="${BENCH_LOAD_CPU:-1}"
pin_proxy=()
pin_load=()
if command -v taskset >/dev/null && [[ "$ncpu" -ge 2 ]]; then
  pin_proxy=(taskset -c "$proxy_cpu")
  pin_load=(taskset -c "$load_cpu")
else
  say "taskset unavailable or one core only: processes are not pinned"
fi
# 1000 streams need ~2 descriptors each in the proxy, more in the client and the fake.
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

# ---------------------------------------------------------------- build
ensure_build() {
  if [[ "${BENCH_SKIP_BUILD:-0}" != 1 ]]; then
    local plugin_targets
    say "configuring a Release tree in $build"
    cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release -DLLMP_BUILD_TESTS=ON \
      >"$tmp/configure.log" 2>&1 || {
      tail -30 "$tmp/configure.log" >&2
      die "configure failed"
    }
    plugin_targets=$(sed -n 's/.*llmp_add_plugin(\([A-Za-z0-9_]*\).*/\1/p' \
      "$root"/plugins/*/CMakeLists.txt | sort -u)
    say "building llm-proxy, fake-gemini-upstream, stream_bench, sse_upstream, the allocation counter and every plugin in $build"
    # shellcheck disable=SC2086
    cmake --build "$build" -j "${LLMP_JOBS:-2}" --target llm-proxy fake-gemini-upstream \
      stream_bench sse_upstream llmp_alloc_count $plugin_targets >"$tmp/build.log" 2>&1 ||
      {
        tail -30 "$tmp/build.log" >&2
        die "build failed"
      }
  fi
  proxy_bin="$build/llm-proxy"
  fake_bin="$build/fake-gemini-upstream"
  stream_bin="$build/bench/stream_bench"
  plugin_dir="$build/plugins"
  local f
  for f in "$proxy_bin" "$fake_bin" "$stream_bin" "$build/bench/sse_upstream"; do
    [[ -x "$f" ]] || die "$f is missing; build it (or unset BENCH_SKIP_BUILD)"
  done
}

# ---------------------------------------------------------------- /proc helpers
cpu_ticks() { # utime + stime of a pid (fields 14 and 15; the name in () may hold spaces)
  awk '{ sub(/^.*\) /, ""); print $12 + $13 }' "/proc/$1/stat" 2>/dev/null || echo 0
}
status_kb() { # VmHWM / VmRSS of a pid in kB
  awk -v k="$2:" '$1 == k { print $2 }' "/proc/$1/status" 2>/dev/null || echo 0
}
steal_ticks() { # steal time of one core (/proc/stat field 9): time the hypervisor ran others
  awk -v c="cpu$1" '$1 == c { print $9 }' /proc/stat 2>/dev/null || echo 0
}
reset_hwm() { # restart the peak-RSS counter (Linux >= 4.0); harmless when refused
  echo 5 >"/proc/$1/clear_refs" 2>/dev/null || true
}
sum_ticks() {
  local t=0 p
  for p in "$@"; do t=$((t + $(cpu_ticks "$p"))); done
  echo "$t"
}
sum_hwm() {
  local t=0 p
  for p in "$@"; do t=$((t + $(status_kb "$p" VmHWM))); done
  echo "$t"
}

# ---------------------------------------------------------------- servers
fake_pid=""
fake_port=""
start_fake() { # start_fake <name> <args...>: the fake Gemini upstream on the load core
  local name="$1" i
  shift
  "${pin_load[@]}" "$fake_bin" --port 0 --max-recorded 0 "$@" >"$tmp/$name.out" 2>"$out/$name.err" &
  fake_pid=$!
  pids+=("$fake_pid")
  # The background job may not have created its output file yet: read failures mean "not yet"
  # (under set -e and pipefail they would otherwise end the run).
  for i in $(seq 1 100); do
    fake_port="$(sed -n 's/^PORT=//p' "$tmp/$name.out" 2>/dev/null | head -1 || true)"
    [[ -n "$fake_port" ]] && return 0
    kill -0 "$fake_pid" 2>/dev/null || die "$name did not start: $(cat "$out/$name.err")"
    sleep 0.05
  done
  die "$name did not print its port"
}

upstream_pid=""
upstream_port=""
start_sse_upstream() { # start_sse_upstream <events> <delay ms>: bench/sse_upstream on the load core
  "${pin_load[@]}" "$build/bench/sse_upstream" --events "$1" --delay-ms "$2" \
    >"$tmp/sse_upstream.out" 2>"$out/sse_upstream.err" &
  upstream_pid=$!
  pids+=("$upstream_pid")
  upstream_port=""
  for _ in $(seq 1 100); do
    upstream_port="$(sed -n 's/^PORT=//p' "$tmp/sse_upstream.out" 2>/dev/null | head -1 || true)"
    [[ -n "$upstream_port" ]] && return 0
    sleep 0.05
  done
  die "sse_upstream did not start: $(cat "$out/sse_upstream.err")"
}

# start_generate_upstream: the upstream for the non-streaming rows, as fake_pid/fake_port.
# BENCH_UPSTREAM=epoll (default): bench/sse_upstream, one epoll thread with a fixed answer;
# BENCH_UPSTREAM=fake: the test fake (tests/fakes, a thread per connection), as in runs 1-6.
start_generate_upstream() {
  if [[ "${BENCH_UPSTREAM:-epoll}" == fake ]]; then
    start_fake fake --threads 512
  else
    start_sse_upstream 1 0
    fake_pid="$upstream_pid"
    fake_port="$upstream_port"
  fi
}

proxy_pid=""
proxy_port=""
start_proxy() { # start_proxy <name> <upstream port> [pin...]: llm-proxy, gemini backend -> fake
  local name="$1" upstream="$2" i
  shift 2
  local pin=("${pin_proxy[@]}")
  if [[ $# -gt 0 ]]; then pin=("$@"); fi
  cat >"$out/$name.yaml" <<EOF
host: 127.0.0.1
port: 0
default_backend: gemini
max_threads: 4096
backends:
  gemini:
    type: gemini
    base_url: http://127.0.0.1:$upstream
    api_key: bench
  mock:
    type: mock
${BENCH_PROXY_CONFIG:-}
EOF
  # BENCH_PROXY_CONFIG: extra top-level YAML lines, e.g. "stream_io_threads: -1".
  # BENCH_PROXY_ENV: extra environment for the proxy only, e.g. an allocator experiment:
  # BENCH_PROXY_ENV="LD_PRELOAD=/usr/lib/x86_64-linux-gnu/libjemalloc.so.2"
  # BENCH_PROXY_WRAP: a command prefix for the proxy only, e.g. a scheduling experiment:
  # BENCH_PROXY_WRAP="chrt -b 0" (SCHED_BATCH: no wake-up preemption)
  # shellcheck disable=SC2086
  env ${BENCH_PROXY_ENV:-} ${BENCH_PROXY_WRAP:-} "${pin[@]}" "$proxy_bin" --config "$out/$name.yaml" --port 0 \
    --plugin-dir "$plugin_dir" >"$out/$name.out" 2>"$out/$name.err" &
  proxy_pid=$!
  pids+=("$proxy_pid")
  for i in $(seq 1 200); do
    proxy_port="$(sed -n 's#^llm-proxy listening on http://127\.0\.0\.1:\([0-9]*\).*#\1#p' \
      "$out/$name.out" 2>/dev/null | head -1 || true)"
    [[ -n "$proxy_port" ]] && return 0
    kill -0 "$proxy_pid" 2>/dev/null || die "llm-proxy did not start: $(tail -5 "$out/$name.err")"
    sleep 0.05
  done
  die "llm-proxy did not print its port"
}

free_port() { # a loopback port nothing listens on (nginx needs a fixed one)
  # Below the kernel's ephemeral range: there wrk's and the proxies' own outgoing connections
  # take local ports, and nginx's bind() to one of those fails with "Address already in use".
  local p low
  low="$(awk '{ print $1 }' /proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || echo 32768)"
  if [[ "$low" -le 11000 ]]; then low=61000; fi
  while true; do
    p=$((10000 + RANDOM % (low - 10000)))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
      echo "$p"
      return
    fi
  done
}

nginx_pid=""
nginx_worker=""
nginx_port=""
start_nginx() { # start_nginx <upstream port> [pin...]: Debian nginx(-light), foreground, 1 worker
  local upstream="$1" dir="$tmp/nginx" i
  shift
  local pin=("${pin_proxy[@]}")
  if [[ $# -gt 0 ]]; then pin=("$@"); fi
  nginx_port="$(free_port)"
  rm -rf "$dir"
  mkdir -p "$dir/logs" "$dir/temp"
  cat >"$dir/nginx.conf" <<EOF
# Generated by bench/run.sh: one worker, upstream keep-alive, no response buffering.
daemon off;
worker_processes 1;
pid $dir/nginx.pid;
error_log $dir/logs/error.log warn;
worker_rlimit_nofile $(ulimit -n);
events {
  worker_connections 8192;
}
http {
  access_log off;
  client_body_temp_path $dir/temp/body;
  proxy_temp_path $dir/temp/proxy;
  fastcgi_temp_path $dir/temp/fastcgi;
  uwsgi_temp_path $dir/temp/uwsgi;
  scgi_temp_path $dir/temp/scgi;
  keepalive_requests 10000000;
  keepalive_timeout 120s;
  upstream fake {
    server 127.0.0.1:$upstream;
    keepalive 1024;
    keepalive_requests 10000000;
  }
  server {
    listen 127.0.0.1:$nginx_port;
    location / {
      proxy_pass http://fake;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_buffering off;
      proxy_read_timeout 300s;
    }
  }
}
EOF
  cp "$dir/nginx.conf" "$out/nginx.conf"
  "${pin[@]}" nginx -e "$dir/logs/error.log" -p "$dir" -c "$dir/nginx.conf" \
    >>"$out/nginx.out" 2>&1 &
  nginx_pid=$!
  pids+=("$nginx_pid")
  for i in $(seq 1 100); do
    nginx_worker="$(pgrep -P "$nginx_pid" | head -1 || true)"
    if [[ -n "$nginx_worker" ]] && (exec 3<>"/dev/tcp/127.0.0.1/$nginx_port") 2>/dev/null; then
      return 0
    fi
    kill -0 "$nginx_pid" 2>/dev/null || die "nginx did not start: $(cat "$out/nginx.out")"
    sleep 0.05
  done
  die "nginx did not start listening"
}
