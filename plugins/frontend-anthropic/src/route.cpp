#include "route.hpp"

#include <llmp/frontend.h>

namespace llmp::plugins::anthropic {
namespace {

bool startsWith(std::string_view text, std::string_view prefix) {
  return text.substr(0, prefix.size()) == prefix;
}

// True for `base` itself and for `base/...`.
bool isUnder(std::string_view path, std::string_view base) {
  return path == base || (startsWith(path, base) && path[base.size()] == '/');
}

std::string_view stripPrefix(std::string_view path) {
  if (isUnder(path, "/anthropic")) {
    path.remove_prefix(std::string_view("/anthropic").size());
  }
  while (path.size() > 1 && path.back() == '/') {
    path.remove_suffix(1);
  }
  return path;
}

int hexValue(char c) {
  if (c >= '0' && c <= '9') {
    return c - '0';
  }
  if (c >= 'a' && c <= 'f') {
    return c - 'a' + 10;
  }
  if (c >= 'A' && c <= 'F') {
    return c - 'A' + 10;
  }
  return -1;
}

}  // namespace

int32_t matchScore(std::string_view path, bool hasAnthropicVersion) {
  if (isUnder(path, "/anthropic")) {
    return LLMP_MATCH_YES;
  }
  if (isUnder(path, "/v1/messages")) {
    return LLMP_MATCH_YES;
  }
  if (isUnder(path, "/v1/models")) {
    return hasAnthropicVersion ? LLMP_MATCH_STRONG : LLMP_MATCH_NONE;
  }
  return hasAnthropicVersion ? LLMP_MATCH_FALLBACK : LLMP_MATCH_NONE;
}

Route resolveRoute(std::string_view rawPath) {
  std::string_view path = stripPrefix(rawPath);
  Route route;
  if (path == "/v1/messages") {
    route.endpoint = Endpoint::Messages;
  } else if (path == "/v1/messages/count_tokens") {
    route.endpoint = Endpoint::CountTokens;
  } else if (path == "/v1/models") {
    route.endpoint = Endpoint::ListModels;
    route.method = "GET";
  } else if (startsWith(path, "/v1/models/")) {
    route.endpoint = Endpoint::GetModel;
    route.method = "GET";
    route.modelId = percentDecode(path.substr(std::string_view("/v1/models/").size()), false);
  }
  return route;
}

std::string percentDecode(std::string_view text, bool plusIsSpace) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%' && i + 2 < text.size()) {
      int high = hexValue(text[i + 1]);
      int low = hexValue(text[i + 2]);
      if (high >= 0 && low >= 0) {
        out += static_cast<char>(high * 16 + low);
        i += 2;
        continue;
      }
    }
    out += plusIsSpace && text[i] == '+' ? ' ' : text[i];
  }
  return out;
}

}  // namespace llmp::plugins::anthropic
