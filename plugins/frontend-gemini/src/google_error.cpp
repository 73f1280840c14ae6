#include "google_error.hpp"

#include <llmp/cpp/json.hpp>


namespace llmp::plugins::frontend_gemini {

const char* googleStatusName(int32_t httpStatus) {
  switch (httpStatus) {
    case 400: return "INVALID_ARGUMENT";
    case 401: return "UNAUTHENTICATED";
    case 403: return "PERMISSION_DENIED";
    case 404: return "NOT_FOUND";
    case 409: return "ABORTED";
    case 429: return "RESOURCE_EXHAUSTED";
    case 499: return "CANCELLED";
    case 501: return "UNIMPLEMENTED";
    case 502:
    case 503: return "UNAVAILABLE";
    case 504: return "DEADLINE_EXCEEDED";
    default:
      break;
  }
  if (httpStatus >= 400 && httpStatus < 500) {
    return httpStatus == 408 ? "DEADLINE_EXCEEDED" : "FAILED_PRECONDITION";
  }
  return "INTERNAL";
}

std::string retryDelayText(int64_t retryAfterMs) {
  if (retryAfterMs < 0) {
    retryAfterMs = 0;
  }
  std::string text = std::to_string(retryAfterMs / 1000);
  int64_t frac = retryAfterMs % 1000;
  if (frac != 0) {
    std::string digits = std::to_string(1000 + frac).substr(1);  // zero-padded to 3
    while (!digits.empty() && digits.back() == '0') {
      digits.pop_back();
    }
    text += "." + digits;
  }
  return text + "s";
}

std::string retryAfterSeconds(int64_t retryAfterMs) {
  if (retryAfterMs < 0) {
    retryAfterMs = 0;
  }
  return std::to_string((retryAfterMs + 999) / 1000);
}

std::string googleErrorJson(int32_t httpStatus, std::string_view message, int64_t retryAfterMs) {
  Json error = {{"code", httpStatus},
                {"message", std::string(message)},
                {"status", googleStatusName(httpStatus)}};
  if (httpStatus == 429 && retryAfterMs >= 0) {
    error["details"] = Json::array({{{"@type", "type.googleapis.com/google.rpc.RetryInfo"},
                                     {"retryDelay", retryDelayText(retryAfterMs)}}});
  }
  return dumpJson(Json{{"error", std::move(error)}});
}

namespace {

// A Google error object: {"error":{"code":<400..599>, ...}} (what @google/genai recognizes).
bool isGoogleError(const Json& value) {
  if (!value.is_object()) {
    return false;
  }
  auto it = value.find("error");
  if (it == value.end() || !it->is_object()) {
    return false;
  }
  auto code = it->find("code");
  return code != it->end() && code->is_number_integer() && code->get<int64_t>() >= 400 &&
         code->get<int64_t>() < 600;
}

}  // namespace

RenderedError renderRouterError(const ErrorRecord& err) {
  RenderedError out;
  out.httpStatus = err.effectiveHttpStatus();
  if (out.httpStatus < 400 || out.httpStatus > 599) {
    out.httpStatus = 500;
  }
  out.retryAfterMs = out.httpStatus == 429 ? err.retryAfterMs : -1;
  if (!err.body.empty()) {
    std::optional<Json> parsed = parseJson(err.body);
    if (parsed && isGoogleError(*parsed)) {
      out.body = err.body;
      out.passedThrough = true;
      return out;
    }
    // A non-SSE streamGenerateContent error arrives as a one-element JSON array.
    if (parsed && parsed->is_array() && parsed->size() == 1 && isGoogleError((*parsed)[0])) {
      out.body = dumpJson((*parsed)[0]);
      out.passedThrough = true;
      return out;
    }
  }
  std::string message = err.message.empty() ? std::string("The request failed.") : err.message;
  out.body = googleErrorJson(out.httpStatus, message, out.retryAfterMs);
  return out;
}

}  // namespace llmp::plugins::frontend_gemini
