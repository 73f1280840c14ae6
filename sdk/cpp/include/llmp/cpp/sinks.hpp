// C++ adapters for the SDK's sink structs.
#pragma once

#include <llmp/backend.h>
#include <llmp/types.h>

#include <functional>
#include <string>

namespace llmp {

// Collects everything written to an llmp_bytes_sink.
class StringSink {
 public:
  StringSink();
  const llmp_bytes_sink* sink() const { return &sink_; }
  std::string& value() { return value_; }

 private:
  std::string value_;
  llmp_bytes_sink sink_;
};

// Wraps a callable as an llmp_event_sink.
class EventSinkFn {
 public:
  using Fn = std::function<llmp_status(uint32_t kind, std::string_view data)>;
  explicit EventSinkFn(Fn fn);
  const llmp_event_sink* sink() const { return &sink_; }

 private:
  Fn fn_;
  llmp_event_sink sink_;
};

// Emits through an llmp_event_sink from C++.
inline llmp_status emit(const llmp_event_sink* sink, uint32_t kind, std::string_view data) {
  return sink->emit(sink->ctx, kind, llmp_bytes{data.data(), data.size()});
}

}  // namespace llmp
