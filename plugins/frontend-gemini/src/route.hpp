// Which Gemini API call a request path names, and how strongly this front end claims it.
#pragma once

#include <llmp/types.h>

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace llmp::plugins::frontend_gemini {

enum class Action {
  List,            // GET models
  Get,             // GET models/{model}
  Generate,        // POST models/{model}:generateContent
  StreamGenerate,  // POST models/{model}:streamGenerateContent
  CountTokens,     // POST models/{model}:countTokens
  Unsupported,     // a real Gemini method this proxy does not serve (embedContent ...)
  UnknownMethod,   // models/{model}:<something Gemini does not have>
  WrongHttpMethod, // e.g. GET on :generateContent
  BadEscape,       // a malformed percent escape in the model
  NotFound,        // any other path
};

struct Route {
  Action action = Action::NotFound;
  std::string_view version;  // "v1beta" or "v1" (views a static string)
  std::string model;         // percent-decoded, leading "models/" removed
  std::string method;        // the text after the last ':' (decoded), when there was one
};

// Parses a request path (not percent-decoded, without query). The method is the text after the
// last ':' of the last path segment, after percent-decoding, so selectors such as
// "gemini:gemini-2.5-pro" or "gemini-2.5-pro%3Ftemperature%3D0.2" survive.
Route parseRoute(std::string_view httpMethod, std::string_view path);

// LLMP_MATCH_* score for the request (cheap: no allocation).
int32_t matchScore(std::string_view httpMethod, std::string_view path, std::string_view query,
                   const llmp_header* headers, size_t headerCount);

// Decodes %XX escapes ('+' stays '+', as in a path). std::nullopt on a malformed escape.
std::optional<std::string> percentDecode(std::string_view text);

// The value of a query parameter (decoded, '+' as space), std::nullopt when absent.
std::optional<std::string> queryParam(std::string_view query, std::string_view name);

// True when the query asks for server-sent events (alt=sse, also spelled $alt=sse).
bool wantsSse(std::string_view query);

}  // namespace llmp::plugins::frontend_gemini
