#!/usr/bin/env bash
# Work llm-proxy does per request: syscalls by kind (perf stat on the syscall tracepoints, which
# does not slow them down; strace -c where perf cannot), context switches (voluntary /
# involuntary, summed over its threads from /proc) and heap allocations (bench/alloc_count.c,
# preloaded). These counts do not depend on how busy the machine is, unlike CPU time.
#
#   ./bench/per_request.sh [gemini|openai|anthropic] [seconds] [connections]
#
# Same environment knobs as bench/run.sh (BENCH_SKIP_BUILD=1, BENCH_BUILD_DIR, BENCH_PROXY_WRAP...).
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
scenario="${1:-gemini}"
seconds="${2:-3}"
conns="${3:-1}"
stamp="$(date -u +%Y%m%dT%H%M%SZ)"
out="$root/bench/results/per-request-$stamp"
tmp="$(mktemp -d /tmp/llmp-per-request.XXXXXX)"
mkdir -p "$out"
# shellcheck source=bench/lib.sh
source "$root/bench/lib.sh"
ensure_build
# Counting syscall tracepoints costs next to nothing, so the counts come from a normal run; strace
# slows every syscall down enough to change how often a fiber finds its socket empty.
syscall_list="recvfrom sendmsg sendto recvmsg epoll_ctl epoll_wait poll read write readv writev futex rt_sigprocmask ioctl"
use_perf=0
if command -v perf >/dev/null && perf stat -e raw_syscalls:sys_enter -- true >/dev/null 2>&1; then
  use_perf=1
else
  command -v strace >/dev/null || die "neither perf nor strace can count syscalls (apt-get install linux-perf strace)"
fi

client_route "$scenario" || die "unknown scenario '$scenario' (gemini, openai, anthropic)"

# Heap allocations are counted by an LD_PRELOAD shim (bench/alloc_count.c) in the same run.
shim="$build/bench/libllmp_alloc_count.so"
[[ -f "$shim" ]] || die "$shim is missing (build the llmp_alloc_count target)"
counts="$tmp/allocations"
BENCH_PROXY_ENV="${BENCH_PROXY_ENV:-} LD_PRELOAD=$shim LLMP_ALLOC_COUNT_FILE=$counts"
start_generate_upstream
start_proxy "per-request-$scenario" "$fake_port"
drive() {
  "${pin_load[@]}" wrk -t1 -c"$conns" -d"$1s" -s "$bench/lua/$lua.lua" \
    "http://127.0.0.1:$proxy_port$path" | grep '^BENCH' || true
}
switches() { # voluntary and involuntary context switches of every thread of the proxy
  cat /proc/"$proxy_pid"/task/*/status 2>/dev/null |
    awk '/^voluntary_ctxt/ { v += $2 } /^nonvoluntary_ctxt/ { n += $2 } END { print v + 0, n + 0 }'
}
requests_of() { sed -n 's/.*requests=\([0-9]*\).*/\1/p' <<<"$1"; }

allocations() { # "<allocations> <bytes>" so far, from the shim
  rm -f "$counts"
  kill -USR2 "$proxy_pid"
  for _ in $(seq 1 100); do
    [[ -s "$counts" ]] && break
    sleep 0.02
  done
  cat "$counts"
}

drive 1 >/dev/null # warm-up: threads, pooled upstream connections
read -r v0 n0 < <(switches)
read -r a0 b0 < <(allocations)
line="$(drive "$seconds")"
read -r a1 b1 < <(allocations)
read -r v1 n1 < <(switches)
req="$(requests_of "$line")"

# The syscall counts come from a second, separate run.
if [[ "$use_perf" == 1 ]]; then
  events="raw_syscalls:sys_enter"
  for s in $syscall_list; do events+=",syscalls:sys_enter_$s"; done
  perf stat -x, -e "$events" -p "$proxy_pid" -o "$out/perf-stat.txt" 2>/dev/null &
else
  strace -f -c -p "$proxy_pid" -o "$out/strace.txt" 2>/dev/null &
fi
counter_pid=$!
pids+=("$counter_pid")
sleep 0.5
traced="$(requests_of "$(drive "$seconds")")"
kill -INT "$counter_pid" 2>/dev/null || true
wait "$counter_pid" 2>/dev/null || true
stop_pid "$proxy_pid"

{
  echo "# llm-proxy per request: $scenario, $conns connection(s), ${seconds}s"
  awk -v r="$req" -v v=$((v1 - v0)) -v n=$((n1 - n0)) 'BEGIN {
    printf "requests: %d\ncontext switches per request: %.2f voluntary, %.2f involuntary\n", r, v / r, n / r }'
  awk -v r="$req" -v a=$((a1 - a0)) -v b=$((b1 - b0)) 'BEGIN {
    printf "heap allocations per request: %.1f (%.0f bytes)\n", a / r, b / r }'
  if [[ "$use_perf" == 1 ]]; then
    echo "syscalls per request (perf stat over $traced requests):"
    awk -F, -v r="$traced" '$3 ~ /^syscalls:sys_enter_/ && $1 ~ /^[0-9]+$/ {
        name = substr($3, 20); per = $1 / r; if (per >= 0.05) printf "  %-16s %6.2f\n", name, per }
      $3 == "raw_syscalls:sys_enter" { total = $1 }
      END { printf "  %-16s %6.2f\n", "all", total / r }' "$out/perf-stat.txt"
  else
    echo "syscalls per request (strace -c over $traced requests):"
    awk -v r="$traced" '$NF ~ /^[a-z_0-9]+$/ && $4 ~ /^[0-9]+$/ && $NF != "total" {
        per = $4 / r; if (per >= 0.05) printf "  %-16s %6.2f\n", $NF, per; total += $4 }
      END { printf "  %-16s %6.2f\n", "all", total / r }' "$out/strace.txt"
  fi
} | tee "$out/summary.txt"
say "raw counts: $out"
