// Media references in OpenAI content parts: data: URIs and http(s) URLs.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace llmp::plugins::frontend_openai {

struct DataUri {
  std::string mimeType;  // empty when the URI names none
  std::string base64;    // payload as base64 (re-encoded when the URI was not base64)
};

// Parses "data:<mime>[;params][;base64],<payload>"; nullopt when `uri` is not a data URI or is
// malformed.
std::optional<DataUri> parseDataUri(std::string_view uri);

// True for http:// and https:// URLs (case-insensitive scheme).
bool isHttpUrl(std::string_view url);

// MIME type from a URL's or file name's extension (query and fragment ignored); empty if unknown.
std::string mimeFromName(std::string_view nameOrUrl);

std::string base64Encode(std::string_view bytes);

}  // namespace llmp::plugins::frontend_openai
