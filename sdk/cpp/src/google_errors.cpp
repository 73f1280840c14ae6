#include "llmp/cpp/google_errors.hpp"

#include <cctype>
#include <cmath>
#include <cstdio>
#include <cstdlib>

#include "llmp/cpp/json.hpp"

namespace llmp {

namespace {

constexpr std::string_view kRetryInfoType = "type.googleapis.com/google.rpc.RetryInfo";
constexpr std::string_view kErrorInfoType = "type.googleapis.com/google.rpc.ErrorInfo";
constexpr int64_t kMaxDelayMs = int64_t{1} << 40;  // ~34 years: anything above is nonsense

char lower(char c) { return static_cast<char>(std::tolower(static_cast<unsigned char>(c))); }

// Reads a decimal number ("34", "0.539") at the start of text; returns its length or 0.
size_t readNumber(std::string_view text, double* out) {
  size_t i = 0;
  bool digits = false;
  while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) {
    ++i;
    digits = true;
  }
  if (i < text.size() && text[i] == '.') {
    ++i;
    while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) {
      ++i;
      digits = true;
    }
  }
  if (!digits) {
    return 0;
  }
  *out = std::strtod(std::string(text.substr(0, i)).c_str(), nullptr);
  return i;
}

int64_t toMs(double value, double unitMs) {
  double ms = std::ceil(value * unitMs - 1e-9);
  if (!(ms >= 0)) {
    return -1;
  }
  return ms > static_cast<double>(kMaxDelayMs) ? kMaxDelayMs : static_cast<int64_t>(ms);
}

std::string describe(int32_t upstreamStatus, const GoogleError& e, std::string_view service) {
  std::string msg = std::string(service) + " returned HTTP " + std::to_string(upstreamStatus);
  if (!e.status.empty()) {
    msg += " " + e.status;
  }
  if (!e.message.empty()) {
    msg += ": " + e.message;
  }
  return msg;
}

}  // namespace

int64_t parseGoogleDurationMs(std::string_view text) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front()))) {
    text.remove_prefix(1);
  }
  double value = 0;
  size_t n = readNumber(text, &value);
  if (n == 0) {
    return -1;
  }
  std::string_view unit = text.substr(n);
  while (!unit.empty() && std::isspace(static_cast<unsigned char>(unit.back()))) {
    unit.remove_suffix(1);
  }
  if (unit.empty() || unit == "s") {
    return toMs(value, 1000.0);
  }
  if (unit == "ms") {
    return toMs(value, 1.0);
  }
  return -1;
}

int64_t parseRetryHintMs(std::string_view message) {
  static constexpr std::string_view kNeedle = "retry in ";
  for (size_t pos = 0; pos + kNeedle.size() <= message.size(); ++pos) {
    size_t k = 0;
    while (k < kNeedle.size() && lower(message[pos + k]) == kNeedle[k]) {
      ++k;
    }
    if (k != kNeedle.size()) {
      continue;
    }
    std::string_view rest = message.substr(pos + kNeedle.size());
    double value = 0;
    size_t n = readNumber(rest, &value);
    if (n == 0) {
      continue;
    }
    std::string_view unit = rest.substr(n);
    if (unit.size() >= 2 && lower(unit[0]) == 'm' && lower(unit[1]) == 's') {
      return toMs(value, 1.0);
    }
    if (!unit.empty() && lower(unit[0]) == 's') {
      return toMs(value, 1000.0);
    }
  }
  return -1;
}

GoogleError parseGoogleError(std::string_view body) {
  GoogleError out;
  auto doc = parseJson(body);
  if (!doc) {
    return out;
  }
  // A streamed JSON array (streamGenerateContent without alt=sse) wraps the error in an array.
  const Json* root = &*doc;
  if (root->is_array() && !root->empty()) {
    root = &(*root)[0];
  }
  if (!root->is_object()) {
    return out;
  }
  auto it = root->find("error");
  if (it == root->end() || !it->is_object()) {
    return out;
  }
  const Json& err = *it;
  out.parsed = true;
  if (auto c = err.find("code"); c != err.end() && c->is_number_integer()) {
    out.code = c->get<int32_t>();
  }
  if (auto s = err.find("status"); s != err.end() && s->is_string()) {
    out.status = s->get<std::string>();
  }
  if (auto m = err.find("message"); m != err.end() && m->is_string()) {
    out.message = m->get<std::string>();
  }
  if (auto d = err.find("details"); d != err.end() && d->is_array()) {
    for (const auto& detail : *d) {
      if (!detail.is_object()) {
        continue;
      }
      auto type = detail.find("@type");
      if (type == detail.end() || !type->is_string()) {
        continue;
      }
      const auto& t = type->get_ref<const std::string&>();
      if (t == kRetryInfoType && out.retryDelayMs < 0) {
        auto delay = detail.find("retryDelay");
        if (delay != detail.end() && delay->is_string()) {
          out.retryDelayMs = parseGoogleDurationMs(delay->get<std::string>());
        }
      } else if (t == kErrorInfoType && out.reason.empty()) {
        auto reason = detail.find("reason");
        if (reason != detail.end() && reason->is_string()) {
          out.reason = reason->get<std::string>();
        }
      }
    }
  }
  if (out.retryDelayMs < 0) {
    out.retryDelayMs = parseRetryHintMs(out.message);
  }
  return out;
}

std::string_view googleStatusForHttp(int32_t httpStatus) {
  switch (httpStatus) {
    case 400:
      return "INVALID_ARGUMENT";
    case 401:
      return "UNAUTHENTICATED";
    case 403:
      return "PERMISSION_DENIED";
    case 404:
      return "NOT_FOUND";
    case 409:
      return "ABORTED";
    case 429:
      return "RESOURCE_EXHAUSTED";
    case 499:
      return "CANCELLED";
    case 500:
      return "INTERNAL";
    case 501:
      return "UNIMPLEMENTED";
    case 503:
      return "UNAVAILABLE";
    case 504:
      return "DEADLINE_EXCEEDED";
    default:
      return httpStatus >= 500 ? "INTERNAL" : "UNKNOWN";
  }
}

std::string redactSecrets(std::string text, const std::vector<std::string>& secrets) {
  for (const auto& secret : secrets) {
    if (secret.empty()) {
      continue;
    }
    for (size_t pos = text.find(secret); pos != std::string::npos; pos = text.find(secret, pos)) {
      text.replace(pos, secret.size(), "[redacted]");
      pos += 10;
    }
  }
  return text;
}

MappedError mapGoogleHttpError(int32_t upstreamStatus, std::string_view body,
                               std::string_view service, const std::vector<std::string>& secrets) {
  GoogleError e = parseGoogleError(body);
  MappedError out;
  out.body = redactSecrets(std::string(body), secrets);
  out.retryAfterMs = e.retryDelayMs;
  if (!e.parsed) {
    // Not a Google error body (an HTML page from a load balancer, plain text ...): keep a short
    // excerpt in the message so the operator sees what came back.
    std::string excerpt(body.substr(0, 200));
    for (char& c : excerpt) {
      if (c == '\n' || c == '\r' || c == '\t') {
        c = ' ';
      }
    }
    e.message = excerpt;
  }
  out.message = redactSecrets(describe(upstreamStatus, e, service), secrets);

  switch (upstreamStatus) {
    case 400:
      out.code = e.reason == "API_KEY_INVALID" ? LLMP_E_AUTH : LLMP_E_INVALID;
      out.httpStatus = 400;
      break;
    case 401:
      out.code = LLMP_E_AUTH;
      out.httpStatus = 401;
      break;
    case 403:
      out.code = LLMP_E_AUTH;
      out.httpStatus = 403;
      break;
    case 404:
      out.code = LLMP_E_NOT_FOUND;
      out.httpStatus = 404;
      break;
    case 429:
      out.code = LLMP_E_RATE_LIMITED;
      out.httpStatus = 429;
      break;
    case 503:
      out.code = LLMP_E_UNAVAILABLE;
      out.httpStatus = 503;
      break;
    case 504:
      out.code = LLMP_E_TIMEOUT;
      out.httpStatus = 504;
      break;
    default:
      out.code = LLMP_E_UPSTREAM_HTTP;
      if (upstreamStatus >= 500 || upstreamStatus < 400) {
        out.httpStatus = 502;
      } else {
        out.httpStatus = upstreamStatus;
      }
      break;
  }
  return out;
}

std::string makeGoogleErrorBody(int32_t code, std::string_view status, std::string_view message,
                                int64_t retryDelayMs) {
  Json err = {{"code", code}, {"message", std::string(message)}, {"status", std::string(status)}};
  if (retryDelayMs >= 0) {
    char delay[64];
    std::snprintf(delay, sizeof(delay), "%.3fs", static_cast<double>(retryDelayMs) / 1000.0);
    err["details"] =
        Json::array({{{"@type", std::string(kRetryInfoType)}, {"retryDelay", std::string(delay)}}});
  }
  return dumpJson(Json{{"error", err}});
}

}  // namespace llmp
