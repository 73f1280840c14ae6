#include "llmp/cpp/sinks.hpp"

#include "llmp/cpp/bytes.hpp"

namespace llmp {

StringSink::StringSink() {
  sink_.struct_size = sizeof(llmp_bytes_sink);
  sink_.ctx = this;
  sink_.write = [](void* ctx, llmp_bytes data) -> llmp_status {
    static_cast<StringSink*>(ctx)->value_.append(view(data));
    return LLMP_OK;
  };
}

EventSinkFn::EventSinkFn(Fn fn) : fn_(std::move(fn)) {
  sink_.struct_size = sizeof(llmp_event_sink);
  sink_.ctx = this;
  sink_.emit = [](void* ctx, uint32_t kind, llmp_bytes data) -> llmp_status {
    try {
      return static_cast<EventSinkFn*>(ctx)->fn_(kind, view(data));
    } catch (...) {
      return LLMP_E_INTERNAL;
    }
  };
}

}  // namespace llmp
