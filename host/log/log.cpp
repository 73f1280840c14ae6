#include "log/log.h"

#include <atomic>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <mutex>
#include <string>

namespace llmp::host::log {
namespace {
std::atomic<int32_t> g_level{kInfo};
std::mutex g_mutex;  // keeps lines whole when threads log at once

const char* levelName(int32_t level) {
  switch (level) {
    case kTrace: return "TRACE";
    case kDebug: return "DEBUG";
    case kInfo: return "INFO";
    case kWarn: return "WARN";
    case kError: return "ERROR";
    default: return "PLUGIN-MISBEHAVING";
  }
}
}  // namespace

void setLevel(int32_t level) { g_level.store(level); }
bool enabled(int32_t level) { return level >= g_level.load(std::memory_order_relaxed); }

bool parseLevel(std::string_view name, int32_t* level) {
  static constexpr std::pair<std::string_view, int32_t> kNames[] = {
      {"trace", kTrace}, {"debug", kDebug}, {"info", kInfo}, {"warn", kWarn},
      {"warning", kWarn}, {"error", kError}};
  for (const auto& [n, l] : kNames) {
    if (n == name) {
      *level = l;
      return true;
    }
  }
  return false;
}

void write(int32_t level, std::string_view tag, std::string_view message) {
  if (!enabled(level)) {
    return;
  }
  auto now = std::chrono::system_clock::now();
  std::time_t t = std::chrono::system_clock::to_time_t(now);
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()) % 1000;
  std::tm tm{};
  gmtime_r(&t, &tm);
  char stamp[64];
  std::snprintf(stamp, sizeof stamp, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                static_cast<int>(ms.count()));
  std::string line;
  line.reserve(message.size() + tag.size() + 48);
  line.append(stamp).append(" ").append(levelName(level)).append(" [").append(tag).append("] ");
  line.append(message).push_back('\n');
  std::lock_guard<std::mutex> lock(g_mutex);
  std::fwrite(line.data(), 1, line.size(), stderr);
}

}  // namespace llmp::host::log
