#include "route.hpp"

#include <llmp/frontend.h>
#include <llmp/cpp/bytes.hpp>

namespace llmp::plugins::frontend_openai {
namespace {

bool startsWith(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() && s.compare(0, prefix.size(), prefix) == 0;
}

std::string_view trimSlash(std::string_view s) {
  while (s.size() > 1 && s.back() == '/') {
    s.remove_suffix(1);
  }
  return s;
}

int hexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string percentDecode(std::string_view text) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%' && i + 2 < text.size() && hexValue(text[i + 1]) >= 0 &&
        hexValue(text[i + 2]) >= 0) {
      out.push_back(static_cast<char>(hexValue(text[i + 1]) * 16 + hexValue(text[i + 2])));
      i += 2;
    } else {
      out.push_back(text[i]);
    }
  }
  return out;
}

// The Gemini API shares /v1/models/...: "models/x:generateContent" etc. belong to it.
bool isGeminiMethodPath(std::string_view rest) {
  size_t slash = rest.rfind('/');
  std::string_view last = slash == std::string_view::npos ? rest : rest.substr(slash + 1);
  for (std::string_view method :
       {"generateContent", "streamGenerateContent", "countTokens", "embedContent",
        "batchEmbedContents", "batchGenerateContent", "predict", "predictLongRunning"}) {
    for (std::string_view sep : {":", "%3A", "%3a"}) {
      std::string suffix = std::string(sep) + std::string(method);
      if (last.size() > suffix.size() &&
          last.compare(last.size() - suffix.size(), suffix.size(), suffix) == 0) {
        return true;
      }
    }
  }
  return false;
}

// The path below /v1 ("chat/completions", "models/x"), or nullopt-like empty + false.
bool splitV1(std::string_view path, std::string_view* rest) {
  path = trimSlash(path);
  if (startsWith(path, "/v1/")) {
    *rest = path.substr(4);
    return true;
  }
  if (path == "/chat/completions") {  // clients configured without the /v1 suffix
    *rest = path.substr(1);
    return true;
  }
  return false;
}

}  // namespace

Route parseRoute(std::string_view method, std::string_view path) {
  Route route;
  std::string_view rest;
  if (!splitV1(path, &rest)) {
    return route;
  }
  if (rest == "chat/completions") {
    route.action = method == "POST" ? Action::ChatCompletions : Action::WrongMethod;
  } else if (rest == "models") {
    route.action = method == "GET" ? Action::ListModels : Action::WrongMethod;
  } else if (startsWith(rest, "models/") && rest.size() > 7) {
    route.action = method == "GET" ? Action::GetModel : Action::WrongMethod;
    route.modelId = percentDecode(rest.substr(7));
  }
  return route;
}

int32_t matchScore(std::string_view /*method*/, std::string_view path, const llmp_header* headers,
                   size_t headerCount) {
  std::string_view rest;
  if (!splitV1(path, &rest)) {
    return LLMP_MATCH_NONE;
  }
  bool anthropic = !findHeader(headers, headerCount, "anthropic-version").empty();
  bool gemini = !findHeader(headers, headerCount, "x-goog-api-key").empty();
  if (rest == "chat/completions") {
    return LLMP_MATCH_YES;
  }
  if (rest == "models" || startsWith(rest, "models/")) {
    if (anthropic || gemini || isGeminiMethodPath(rest)) {
      return LLMP_MATCH_NONE;
    }
    return LLMP_MATCH_YES;
  }
  return anthropic || gemini ? LLMP_MATCH_NONE : LLMP_MATCH_FALLBACK;
}

}  // namespace llmp::plugins::frontend_openai
