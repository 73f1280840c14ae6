// One Code Assist generation exchange (generateContent or streamGenerateContent?alt=sse) over
// the host's HTTP client: unwraps every {response, traceId} answer into an IR chunk for the
// sink, and reports what happened instead of deciding what to do about it, so a backend can
// retry with a new token, rotate to another account or give up. Wire facts:
// shared/protocols/code-assist.md §4, §5, §8.
#pragma once

#include <llmp/backend.h>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "errors.hpp"
#include "host.hpp"

namespace llmp::code_assist {

struct GenerateOutcome {
  llmp_status transport = LLMP_OK;   // the host fetch status (LLMP_OK: a response arrived)
  ErrorRecord transportError;        // details when transport != LLMP_OK
  int32_t httpStatus = 0;            // the upstream HTTP status when a response arrived
  std::string errorBody;             // the body of a non-200 answer (capped at 1 MiB), or of an
                                     // {"error":...} object a 200 answer held
  int emitted = 0;                   // chunks handed to the sink
  bool cancelled = false;            // the sink refused a chunk (client went away)
  std::optional<Error> streamError;  // an error event in the middle of a stream, mapped
  bool malformed = false;            // a 200 unary answer that is not a JSON object
  bool ok() const {
    return transport == LLMP_OK && httpStatus == 200 && !cancelled && !streamError && !malformed;
  }
};

// Sends `request` (whose body is a wrapped generate request) and streams the unwrapped chunks to
// `sink`: one per SSE event when `stream`, one for the whole answer otherwise. Malformed stream
// events are skipped (as gemini-cli does) and reported through `warn` (may be empty). Error events
// are mapped with mapGoogleHttpError("Code Assist", secrets). Never throws. A streamed request is
// sent with LLMP_HTTP_BODY_ON_IO_THREAD (the event parsing may run on a host I/O thread).
GenerateOutcome runGenerate(const Host& host, HttpRequest request, bool stream,
                            const llmp_event_sink* sink, const std::vector<std::string>& secrets,
                            const std::function<void(std::string_view)>& warn = {});

}  // namespace llmp::code_assist
