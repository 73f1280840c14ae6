#include "llmp/cpp/code_assist_call.hpp"

#include "llmp/cpp/code_assist.hpp"
#include "llmp/cpp/google_errors.hpp"
#include "llmp/cpp/sinks.hpp"
#include "llmp/cpp/sse.hpp"

namespace llmp::code_assist {

namespace {
constexpr size_t kMaxErrorBody = 1 << 20;
}

GenerateOutcome runGenerate(const Host& host, HttpRequest request, bool stream,
                            const llmp_event_sink* sink, const std::vector<std::string>& secrets,
                            const std::function<void(std::string_view)>& warn) {
  GenerateOutcome out;
  std::string buffered;
  SseParser parser;
  auto onEvent = [&](std::string_view, std::string_view data) -> bool {
    Unwrapped u = unwrapResponse(data);
    if (u.kind == Unwrapped::Response) {
      if (emit(sink, LLMP_EVENT_CHUNK, u.json) != LLMP_OK) {
        out.cancelled = true;
        return false;
      }
      ++out.emitted;
      return true;
    }
    if (u.kind == Unwrapped::Error) {
      GoogleError ge = parseGoogleError(u.json);
      int32_t code = ge.code >= 400 && ge.code <= 599 ? ge.code : 500;
      MappedError m = mapGoogleHttpError(code, u.json, "Code Assist", secrets);
      out.errorBody = u.json;
      out.streamError.emplace(m.code, m.httpStatus, m.message + " (mid-stream)", m.body,
                              m.retryAfterMs);
      return false;
    }
    if (warn) {
      warn("Code Assist sent a stream event that is not a JSON object; skipped");
    }
    return true;
  };
  if (stream) {
    // on_body below only parses and emits, so the host may run it on an I/O thread.
    request.flags |= LLMP_HTTP_BODY_ON_IO_THREAD;
  }
  out.transport = host.fetch(
      request,
      [&](int32_t s, const llmp_header*, size_t) {
        out.httpStatus = s;
        return true;
      },
      [&](std::string_view chunk) {
        if (out.httpStatus != 200 || !stream) {
          if (buffered.size() < kMaxErrorBody || out.httpStatus == 200) {
            buffered.append(chunk);
          }
          return true;
        }
        return parser.feed(chunk, onEvent);
      },
      &out.transportError);
  if (out.cancelled || out.streamError) {
    return out;
  }
  if (out.transport != LLMP_OK) {
    return out;
  }
  if (out.httpStatus != 200) {
    out.errorBody = std::move(buffered);
    return out;
  }
  if (stream) {
    parser.finish(onEvent);
    return out;
  }
  Unwrapped u = unwrapResponse(buffered);
  if (u.kind == Unwrapped::Error) {
    GoogleError ge = parseGoogleError(u.json);
    out.httpStatus = ge.code >= 400 && ge.code <= 599 ? ge.code : 500;
    out.errorBody = u.json;
    return out;
  }
  if (u.kind != Unwrapped::Response) {
    out.malformed = true;
    return out;
  }
  if (emit(sink, LLMP_EVENT_CHUNK, u.json) != LLMP_OK) {
    out.cancelled = true;
  } else {
    ++out.emitted;
  }
  return out;
}

}  // namespace llmp::code_assist
