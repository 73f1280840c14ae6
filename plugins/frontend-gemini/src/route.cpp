#include "route.hpp"

#include <llmp/frontend.h>
#include <llmp/cpp/bytes.hpp>

namespace llmp::plugins::frontend_gemini {
namespace {

constexpr std::string_view kV1Beta = "v1beta";
constexpr std::string_view kV1 = "v1";

bool startsWith(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() && s.compare(0, prefix.size(), prefix) == 0;
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

// Splits "/v1beta/rest" into version and rest; false for any other prefix.
bool splitVersion(std::string_view path, std::string_view* version, std::string_view* rest) {
  if (startsWith(path, "/v1beta/") || path == "/v1beta") {
    *version = kV1Beta;
    *rest = path.size() > 8 ? path.substr(8) : std::string_view();
    return true;
  }
  if (startsWith(path, "/v1/") || path == "/v1") {
    *version = kV1;
    *rest = path.size() > 4 ? path.substr(4) : std::string_view();
    return true;
  }
  return false;
}

// Gemini methods that exist on models/{model}; the first three are served.
Action methodAction(std::string_view method) {
  if (method == "generateContent") {
    return Action::Generate;
  }
  if (method == "streamGenerateContent") {
    return Action::StreamGenerate;
  }
  if (method == "countTokens") {
    return Action::CountTokens;
  }
  if (method == "embedContent" || method == "batchEmbedContents" ||
      method == "batchGenerateContent" || method == "asyncBatchEmbedContent" ||
      method == "predict" || method == "predictLongRunning" || method == "generateAnswer" ||
      method == "bidiGenerateContent") {
    return Action::Unsupported;
  }
  return Action::UnknownMethod;
}

// The raw method of "models/<x>:<method>" in a raw path remainder, handling an encoded ':'.
// Only used by match(), so it must not allocate: it looks for a literal ':' or "%3A".
std::string_view rawMethod(std::string_view rest) {
  size_t slash = rest.rfind('/');
  std::string_view last = slash == std::string_view::npos ? rest : rest.substr(slash + 1);
  size_t colon = last.rfind(':');
  size_t encoded = std::string_view::npos;
  for (size_t i = last.size(); i >= 3; --i) {
    if (last[i - 3] == '%' && last[i - 2] == '3' && (last[i - 1] == 'A' || last[i - 1] == 'a')) {
      encoded = i - 3;
      break;
    }
  }
  if (colon == std::string_view::npos && encoded == std::string_view::npos) {
    return {};
  }
  if (colon == std::string_view::npos || (encoded != std::string_view::npos && encoded > colon)) {
    return last.substr(encoded + 3);
  }
  return last.substr(colon + 1);
}

bool hasKeyParam(std::string_view query) {
  size_t pos = 0;
  while (pos <= query.size()) {
    size_t amp = query.find('&', pos);
    std::string_view part = query.substr(pos, amp == std::string_view::npos ? amp : amp - pos);
    if (startsWith(part, "key=")) {
      return true;
    }
    if (amp == std::string_view::npos) {
      break;
    }
    pos = amp + 1;
  }
  return false;
}

}  // namespace

std::optional<std::string> percentDecode(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c != '%') {
      out.push_back(c);
      continue;
    }
    if (i + 2 >= text.size()) {
      return std::nullopt;
    }
    int hi = hexValue(text[i + 1]);
    int lo = hexValue(text[i + 2]);
    if (hi < 0 || lo < 0) {
      return std::nullopt;
    }
    out.push_back(static_cast<char>(hi * 16 + lo));
    i += 2;
  }
  return out;
}

Route parseRoute(std::string_view httpMethod, std::string_view path) {
  Route route;
  std::string_view rest;
  if (!splitVersion(path, &route.version, &rest)) {
    return route;
  }
  if (rest == "models" || rest == "models/") {
    route.action = httpMethod == "GET" ? Action::List : Action::WrongHttpMethod;
    return route;
  }
  if (!startsWith(rest, "models/")) {
    return route;
  }
  std::optional<std::string> decoded = percentDecode(rest.substr(7));
  if (!decoded) {
    route.action = Action::BadEscape;
    return route;
  }
  std::string& name = *decoded;
  size_t slash = name.rfind('/');
  size_t colon = name.rfind(':');
  bool hasMethod = colon != std::string::npos && (slash == std::string::npos || colon > slash);
  Action action = Action::Get;
  if (hasMethod) {
    route.method = name.substr(colon + 1);
    action = methodAction(route.method);
    if (action == Action::UnknownMethod && httpMethod == "GET") {
      // GET models/gemini:gemini-2.5-pro names a model whose selector has a backend prefix.
      action = Action::Get;
      route.method.clear();
    } else {
      name.resize(colon);
    }
  }
  if (startsWith(name, "models/")) {
    name.erase(0, 7);
  }
  route.model = std::move(name);
  bool wantsGet = action == Action::Get;
  if (action != Action::UnknownMethod && (httpMethod == "GET") != wantsGet) {
    action = Action::WrongHttpMethod;
  }
  if (route.model.empty() && action != Action::UnknownMethod) {
    action = Action::NotFound;
  }
  route.action = action;
  return route;
}

int32_t matchScore(std::string_view httpMethod, std::string_view path, std::string_view query,
                   const llmp_header* headers, size_t headerCount) {
  std::string_view version;
  std::string_view rest;
  if (!splitVersion(path, &version, &rest)) {
    return LLMP_MATCH_NONE;
  }
  bool modelsPath = rest == "models" || startsWith(rest, "models/");
  bool keyed = !findHeader(headers, headerCount, "x-goog-api-key").empty() || hasKeyParam(query);
  if (version == kV1Beta) {
    if (!modelsPath) {
      return LLMP_MATCH_FALLBACK;
    }
    return keyed ? LLMP_MATCH_STRONG : LLMP_MATCH_YES;
  }
  // /v1/ is shared with the OpenAI API: claim only Gemini-shaped calls.
  if (!modelsPath) {
    return LLMP_MATCH_NONE;
  }
  if (keyed) {
    return LLMP_MATCH_STRONG;
  }
  std::string_view method = rawMethod(rest.substr(rest.size() > 6 ? 6 : rest.size()));
  if (!method.empty() && methodAction(method) != Action::UnknownMethod) {
    return LLMP_MATCH_YES;
  }
  (void)httpMethod;
  return LLMP_MATCH_NONE;
}

std::optional<std::string> queryParam(std::string_view query, std::string_view name) {
  size_t pos = 0;
  while (pos <= query.size()) {
    size_t amp = query.find('&', pos);
    std::string_view part = query.substr(pos, amp == std::string_view::npos ? amp : amp - pos);
    size_t eq = part.find('=');
    std::string_view key = part.substr(0, eq);
    if (key == name) {
      std::string value(eq == std::string_view::npos ? std::string_view() : part.substr(eq + 1));
      for (char& c : value) {
        if (c == '+') {
          c = ' ';
        }
      }
      std::optional<std::string> decoded = percentDecode(value);
      return decoded ? decoded : std::optional<std::string>(value);
    }
    if (amp == std::string_view::npos) {
      break;
    }
    pos = amp + 1;
  }
  return std::nullopt;
}

bool wantsSse(std::string_view query) {
  if (query.empty()) {
    return false;
  }
  std::optional<std::string> alt = queryParam(query, "alt");
  if (!alt) {
    alt = queryParam(query, "$alt");
  }
  return alt && *alt == "sse";
}

}  // namespace llmp::plugins::frontend_gemini
