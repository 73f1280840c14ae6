// Host logging: one line per message on stderr, "time level [tag] message". Thread-safe.
// Messages must never carry a credential; callers redact before logging.
#pragma once

#include <cstdint>
#include <string_view>

namespace llmp::host::log {

// Levels match LLMP_LOG_* in sdk/include/llmp/host.h.
enum Level : int32_t { kTrace = 0, kDebug = 1, kInfo = 2, kWarn = 3, kError = 4, kMisbehaving = 5 };

void setLevel(int32_t level);
bool enabled(int32_t level);
// Parses "trace|debug|info|warn|error"; returns false for anything else.
bool parseLevel(std::string_view name, int32_t* level);
void write(int32_t level, std::string_view tag, std::string_view message);

inline void info(std::string_view tag, std::string_view m) { write(kInfo, tag, m); }
inline void warn(std::string_view tag, std::string_view m) { write(kWarn, tag, m); }
inline void error(std::string_view tag, std::string_view m) { write(kError, tag, m); }
inline void debug(std::string_view tag, std::string_view m) {
  if (enabled(kDebug)) write(kDebug, tag, m);
}

}  // namespace llmp::host::log
