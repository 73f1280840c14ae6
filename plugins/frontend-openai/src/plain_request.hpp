// Translates a plain chat request (text messages and sampling parameters) from its body's text
// straight to IR text: nlohmann's SAX parser walks the body once and a JsonWriter writes the IR,
// where parsing into a DOM, building the IR's DOM and dumping it cost a heap node per value and
// per key (about 100 allocations for a two-message request).
//
// The shape covered is narrow on purpose: the members model, messages (role system, developer,
// user or assistant, string content), stream, stream_options.include_usage, temperature, top_p,
// top_k, max_tokens, max_completion_tokens, n, seed, presence_penalty and frequency_penalty,
// with values translateRequest accepts. Anything else gives up (another member, a null, a
// repeated key, a content array, a value out of range, invalid JSON): the caller then parses
// into a DOM and calls translateRequest, which stays the reference for every case, errors
// included.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace llmp::plugins::frontend_openai {

struct PlainRequest {
  std::string model;
  bool stream = false;
  bool includeUsage = false;  // stream_options.include_usage
  std::string ir;             // dumpJson(translateRequest(body).ir), byte for byte
};

// The translation of `body`, or nullopt when it is not a plain chat request.
std::optional<PlainRequest> translatePlainRequest(std::string_view body);

}  // namespace llmp::plugins::frontend_openai
