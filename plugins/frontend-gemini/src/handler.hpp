// Serves one Gemini API request: the logic behind the front end's handle() and render_error(),
// written against the C structs only so tests can drive it with a fake router and responder.
#pragma once

#include <llmp/frontend.h>

#include <string>
#include <string_view>
#include <vector>

namespace llmp::plugins::frontend_gemini {

// Serves the request completely. Returns LLMP_OK, or LLMP_E_CANCELLED when the client went away
// (the host then closes the connection).
llmp_status handleRequest(const llmp_incoming_request& request, const llmp_responder& responder,
                          const llmp_router& router);

// An error the host raised before handle (401, 404, 413 ...) in Google's shape.
llmp_status renderHostError(const llmp_responder& responder, llmp_status code,
                            int32_t httpStatus, std::string_view message);

// {"frontend":"gemini","headers":{"user-agent":...,"x-goog-api-client":...}}: what the router
// may know about the client. Never carries credentials.
std::string requestMetadata(const llmp_header* headers, size_t headerCount);

// One GenerateContentResponse from several chunks (a backend that streamed although the client
// did not ask to): candidates' parts concatenated by index, the last value of every other field.
std::string mergeResponseChunks(const std::vector<std::string>& chunks);

}  // namespace llmp::plugins::frontend_gemini
