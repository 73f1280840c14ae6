-- Shared by the per-body scripts: prints one machine-readable line after the run so
-- bench/run.sh does not have to parse wrk's human output. Latencies are in microseconds.
local M = {}

function M.done(summary, latency, requests)
  local errors = summary.errors
  local bad = errors.connect + errors.read + errors.write + errors.timeout + errors.status
  io.write(string.format(
    "BENCH requests=%d duration_us=%d bytes=%d errors=%d non2xx=%d " ..
    "lat_p50_us=%d lat_p90_us=%d lat_p99_us=%d lat_max_us=%d lat_mean_us=%.1f\n",
    summary.requests, summary.duration, summary.bytes, bad, errors.status,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max,
    latency.mean))
end

return M
