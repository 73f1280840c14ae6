#include "gemini_backend.hpp"

#include <chrono>
#include <cstdio>
#include <llmp/cpp/json.hpp>
#include <llmp/cpp/sinks.hpp>
#include <llmp/cpp/sse.hpp>
#include <set>

#include "request_body.hpp"

namespace llmp::plugins::gemini_api {

namespace {

constexpr std::string_view kService = "Gemini API";
constexpr size_t kMaxErrorBody = 1 << 20;        // upstream error bodies are small; cap anyway
constexpr size_t kMaxResponseBody = 256u << 20;  // a whole non-streamed answer
constexpr int kMaxModelPages = 100;

std::string urlEncode(std::string_view s) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(hex[c >> 4]);
      out.push_back(hex[c & 15]);
    }
  }
  return out;
}

std::string seconds(int64_t ms) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.1f s", static_cast<double>(ms) / 1000.0);
  return buf;
}

std::string timeoutText(uint32_t ms) {
  return ms == 0 ? std::string("the host default") : std::to_string(ms) + " ms";
}

// True when the payload is (probably) an error object rather than a response chunk; confirmed by
// parsing only when the cheap check hits.
bool isErrorEvent(std::string_view data, GoogleError* out) {
  if (data.find("\"error\"") == std::string_view::npos) {
    return false;
  }
  auto doc = parseJson(data);
  if (!doc || !doc->is_object() || !doc->contains("error") || !(*doc)["error"].is_object()) {
    return false;
  }
  *out = parseGoogleError(data);
  return true;
}

bool isBlank(std::string_view s) {
  for (char c : s) {
    if (!std::isspace(static_cast<unsigned char>(c))) {
      return false;
    }
  }
  return true;
}

int64_t steadyMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

}  // namespace

GeminiBackend::GeminiBackend(Host host, GeminiConfig config)
    : host_(host), config_(std::move(config)), keys_(host, config_.instance, config_.apiKeys) {}

// ---- plumbing ------------------------------------------------------------------------------

std::string GeminiBackend::apiUrl(std::string_view path, std::string_view suffix) const {
  // One allocation: this runs for every request.
  std::string url;
  url.reserve(config_.baseUrl.size() + config_.apiVersion.size() + path.size() + suffix.size() + 2);
  url.append(config_.baseUrl);
  if (!config_.apiVersion.empty()) {
    url.append("/").append(config_.apiVersion);
  }
  return url.append("/").append(path).append(suffix);
}

HttpRequest GeminiBackend::makeRequest(const std::string& method, const std::string& url,
                                       size_t key, std::string_view body) const {
  HttpRequest r;
  r.method = method;
  r.url = url;
  r.headers.reserve(2);
  r.headers.emplace_back("x-goog-api-key", keys_.key(key));
  if (!body.empty()) {
    r.headers.emplace_back("content-type", "application/json");
    r.bodyView = body;  // the caller's bytes outlive the fetch: no copy of the prompt
  }
  r.connectTimeoutMs = config_.timeouts.connectMs;
  r.firstByteTimeoutMs = config_.timeouts.firstByteMs;
  r.idleTimeoutMs = config_.timeouts.idleMs;
  return r;
}

void GeminiBackend::logExchange(const std::string& method, const std::string& url, size_t key,
                                int32_t status) const {
  if (!host_.logEnabled(LLMP_LOG_DEBUG)) {
    return;
  }
  host_.log(LLMP_LOG_DEBUG, method + " " + url + " (key #" + keys_.fingerprint(key).substr(0, 8) +
                                ") -> " + std::to_string(status));
}

Error GeminiBackend::transportError(llmp_status status, const ErrorRecord& detail, bool headSeen,
                                    bool streaming) const {
  std::string why = redactSecrets(detail.message, keys_.secrets());
  std::string suffix = why.empty() ? std::string() : " (" + why + ")";
  const auto& t = config_.timeouts;
  switch (status) {
    case LLMP_E_TIMEOUT:
      if (!headSeen) {
        return Error(LLMP_E_TIMEOUT, 504,
                     "timed out waiting for the Gemini API at " + config_.hostPort +
                         ": no answer within the connect timeout (" + timeoutText(t.connectMs) +
                         ") or the first-byte timeout (" + timeoutText(t.firstByteMs) + ")" +
                         suffix);
      }
      return Error(LLMP_E_TIMEOUT, 504,
                   "the Gemini API at " + config_.hostPort +
                       " went silent mid-response for longer than the idle timeout (" +
                       timeoutText(t.idleMs) + ")" + suffix);
    case LLMP_E_UNAVAILABLE:
      if (!headSeen) {
        return Error(LLMP_E_UNAVAILABLE, 502,
                     "cannot reach the Gemini API at " + config_.hostPort + suffix);
      }
      return Error(LLMP_E_UNAVAILABLE, 502,
                   streaming ? std::string("upstream closed the stream before it finished")
                             : "upstream closed the connection before the response was complete");
    case LLMP_E_CANCELLED:
      return Error(LLMP_E_CANCELLED, 499, "the request was cancelled");
    case LLMP_E_UNSUPPORTED:
      return Error(LLMP_E_INTERNAL, 500, "the host offers no HTTP client to the gemini backend");
    default:
      return Error(status == LLMP_E_INVALID ? LLMP_E_INTERNAL : status, 0,
                   "calling the Gemini API at " + config_.hostPort + " failed" + suffix);
  }
}

MappedError GeminiBackend::upstreamError(int32_t status, std::string_view body) const {
  MappedError m = mapGoogleHttpError(status, body, kService, keys_.secrets());
  // A rate limit, and with several keys a rejected key (400 API_KEY_INVALID, 401, 403: a
  // revoked key, or one whose project disabled the API), go back to withKeyRotation so that the
  // next key can serve the request.
  const bool keyRejected = m.code == LLMP_E_AUTH && keys_.size() > 1;
  if (m.code != LLMP_E_RATE_LIMITED && !keyRejected) {
    throw Error(m.code, m.httpStatus, m.message, m.body, m.retryAfterMs);
  }
  return m;
}

void GeminiBackend::withKeyRotation(const Attempt& attempt) {
  const size_t n = keys_.size();
  const size_t start = keys_.nextStart();
  std::optional<MappedError> limited;
  std::optional<MappedError> rejected;
  for (size_t i = 0; i < n; ++i) {
    const size_t k = (start + i) % n;
    if (keys_.restRemainingMs(k) > 0) {
      continue;
    }
    std::optional<MappedError> refused = attempt(k);
    if (!refused) {
      return;
    }
    if (refused->code == LLMP_E_AUTH) {
      // Not rested: the same answer comes back until the operator fixes the key, and a rest
      // would turn "this key is wrong" into a misleading 429 once every key is rejected.
      host_.log(LLMP_LOG_WARN, "backend '" + config_.instance + "': API key #" +
                                   keys_.fingerprint(k).substr(0, 8) + " was rejected (HTTP " +
                                   std::to_string(refused->httpStatus) +
                                   "); trying the next key");
      if (!rejected) {
        rejected = std::move(refused);
      }
      continue;
    }
    int64_t restMs =
        refused->retryAfterMs > 0 ? refused->retryAfterMs : config_.defaultRestMs;
    keys_.rest(k, restMs);
    host_.log(LLMP_LOG_WARN, "backend '" + config_.instance + "': API key #" +
                                 keys_.fingerprint(k).substr(0, 8) +
                                 " was rate limited; resting it for " + seconds(restMs));
    limited = std::move(refused);
  }
  if (rejected && !limited) {
    // Every key that could be asked was rejected: the client sees the first rejection as is.
    throw Error(rejected->code, rejected->httpStatus, rejected->message, rejected->body,
                rejected->retryAfterMs);
  }
  int64_t wait = keys_.shortestRestMs();
  std::string keysText = n == 1 ? std::string("its API key rests")
                                : "all " + std::to_string(n) + " of its API keys rest";
  std::string note = "backend '" + config_.instance + "' is rate limited: " + keysText +
                     " for at least " + seconds(wait);
  if (limited) {
    throw Error(LLMP_E_RATE_LIMITED, 429, limited->message + " (" + note + ")", limited->body,
                wait > 0 ? wait : limited->retryAfterMs);
  }
  throw Error(LLMP_E_RATE_LIMITED, 429, note,
              makeGoogleErrorBody(429, "RESOURCE_EXHAUSTED", note, wait), wait);
}

// ---- generate -------------------------------------------------------------------------------

void GeminiBackend::generate(std::string_view model, std::string_view ir, bool stream,
                             const llmp_event_sink* sink) {
  const std::string id = normalizeModel(model);
  if (isBlank(ir)) {
    throw Error(LLMP_E_INVALID, 400, "the request has no body");
  }
  std::optional<std::string> rewritten = prepareUpstreamBody(ir, id);
  std::string_view body = rewritten ? std::string_view(*rewritten) : ir;
  const std::string url =
      apiUrl(modelResource(id), stream ? ":streamGenerateContent?alt=sse" : ":generateContent");
  withKeyRotation([&](size_t key) {
    return stream ? streamOnce(key, url, body, sink) : generateOnce(key, url, body, sink);
  });
}

std::optional<MappedError> GeminiBackend::generateOnce(size_t key, const std::string& url,
                                                       std::string_view body,
                                                       const llmp_event_sink* sink) {
  std::string out;
  std::optional<MappedError> limited = fetchJson(key, "POST", url, body, &out);
  if (limited) {
    return limited;
  }
  if (!isValidJson(out)) {
    throw Error(LLMP_E_UPSTREAM_HTTP, 502, "the Gemini API sent a response that is not valid JSON");
  }
  if (emit(sink, LLMP_EVENT_CHUNK, out) != LLMP_OK) {
    throw Error(LLMP_E_CANCELLED, 499, "the client went away");
  }
  return std::nullopt;
}

std::optional<MappedError> GeminiBackend::streamOnce(size_t key, const std::string& url,
                                                     std::string_view body,
                                                     const llmp_event_sink* sink) {
  int32_t status = 0;
  bool headSeen = false;
  bool emitted = false;
  bool clientGone = false;
  std::string errorBody;
  std::optional<MappedError> rateLimited;
  std::optional<Error> failure;
  SseParser parser;

  auto onEvent = [&](std::string_view, std::string_view data) -> bool {
    if (isBlank(data)) {
      return true;
    }
    GoogleError ge;
    if (isErrorEvent(data, &ge)) {
      int32_t code = ge.code >= 400 && ge.code <= 599 ? ge.code : 500;
      MappedError m = mapGoogleHttpError(code, data, kService, keys_.secrets());
      if (m.code == LLMP_E_RATE_LIMITED && !emitted) {
        rateLimited = std::move(m);  // nothing reached the client yet: another key may serve
      } else {
        failure.emplace(m.code, m.httpStatus, m.message, m.body, m.retryAfterMs);
      }
      return false;
    }
    if (!isValidJson(data)) {
      failure.emplace(LLMP_E_UPSTREAM_HTTP, 502,
                      "the Gemini API sent a stream chunk that is not valid JSON");
      return false;
    }
    if (emit(sink, LLMP_EVENT_CHUNK, data) != LLMP_OK) {
      clientGone = true;
      return false;
    }
    emitted = true;
    return true;
  };

  ErrorRecord detail;
  // A gateway that ignores alt=sse answers with a JSON array (or one object) instead of SSE:
  // collect it and hand its elements on at the end rather than finding no events in it.
  bool jsonBody = false;
  std::string json;
  HttpRequest request = makeRequest("POST", url, key, body);
  // The callbacks below only parse and emit: the host may run them on an I/O thread, so a stream
  // costs no thread wake-up per event.
  request.flags |= LLMP_HTTP_BODY_ON_IO_THREAD;
  llmp_status st = host_.fetch(
      request,
      [&](int32_t s, const llmp_header* headers, size_t count) {
        status = s;
        headSeen = true;
        std::string_view type = findHeader(headers, count, "content-type");
        jsonBody = type.find("application/json") != std::string_view::npos;
        return true;
      },
      [&](std::string_view chunk) {
        if (status < 200 || status > 299) {
          errorBody.append(
              chunk.substr(0, kMaxErrorBody - std::min(kMaxErrorBody, errorBody.size())));
          return true;
        }
        if (jsonBody) {
          if (json.size() + chunk.size() > kMaxResponseBody) {
            failure.emplace(LLMP_E_UPSTREAM_HTTP, 502,
                            "the Gemini API sent a response larger than 256 MiB");
            return false;
          }
          json.append(chunk);
          return true;
        }
        return parser.feed(chunk, onEvent);
      },
      &detail);
  logExchange("POST", url, key, status);

  if (clientGone) {
    throw Error(LLMP_E_CANCELLED, 499, "the client went away");
  }
  if (failure) {
    throw *failure;
  }
  if (rateLimited) {
    return rateLimited;
  }
  if (st != LLMP_OK) {
    throw transportError(st, detail, headSeen, true);
  }
  if (status < 200 || status > 299) {
    return upstreamError(status, errorBody);
  }
  if (jsonBody) {
    // ordered_json keeps each element's member order as the upstream wrote it.
    auto doc = nlohmann::ordered_json::parse(json, nullptr, false);
    if (doc.is_discarded()) {
      throw Error(LLMP_E_UPSTREAM_HTTP, 502,
                  "the Gemini API sent a streamed answer that is not valid JSON");
    }
    if (!doc.is_array()) {
      doc = nlohmann::ordered_json::array({std::move(doc)});
    }
    for (const auto& item : doc) {
      auto text = item.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
      if (!onEvent({}, text)) {
        break;
      }
    }
  } else {
    parser.finish(onEvent);
  }
  if (!emitted && !clientGone && !failure && !rateLimited) {
    throw Error(LLMP_E_UPSTREAM_HTTP, 502, "the Gemini API ended the stream without any chunk");
  }
  if (clientGone) {
    throw Error(LLMP_E_CANCELLED, 499, "the client went away");
  }
  if (failure) {
    throw *failure;
  }
  return rateLimited;
}

std::optional<MappedError> GeminiBackend::fetchJson(size_t key, const std::string& method,
                                                    const std::string& url, std::string_view body,
                                                    std::string* out) {
  int32_t status = 0;
  bool headSeen = false;
  bool tooLarge = false;
  ErrorRecord detail;
  llmp_status st = host_.fetch(
      makeRequest(method, url, key, body),
      [&](int32_t s, const llmp_header*, size_t) {
        status = s;
        headSeen = true;
        return true;
      },
      [&](std::string_view chunk) {
        size_t cap = (status >= 200 && status <= 299) ? kMaxResponseBody : kMaxErrorBody;
        if (out->size() + chunk.size() > cap) {
          tooLarge = status >= 200 && status <= 299;
          if (tooLarge) {
            return false;
          }
          out->append(chunk.substr(0, cap - std::min(cap, out->size())));
          return true;
        }
        out->append(chunk);
        return true;
      },
      &detail);
  logExchange(method, url, key, status);
  if (tooLarge) {
    throw Error(LLMP_E_UPSTREAM_HTTP, 502, "the Gemini API sent a response larger than 256 MiB");
  }
  if (st != LLMP_OK) {
    throw transportError(st, detail, headSeen, false);
  }
  if (status < 200 || status > 299) {
    return upstreamError(status, *out);
  }
  return std::nullopt;
}

// ---- countTokens / models -------------------------------------------------------------------

std::string GeminiBackend::countTokens(std::string_view model, std::string_view ir) {
  const std::string id = normalizeModel(model);
  const std::string body = countTokensBody(ir, id);
  const std::string url = apiUrl(modelResource(id), ":countTokens");
  std::string out;
  withKeyRotation([&](size_t key) {
    out.clear();
    return fetchJson(key, "POST", url, body, &out);
  });
  if (!isValidJson(out)) {
    throw Error(LLMP_E_UPSTREAM_HTTP, 502,
                "the Gemini API sent a countTokens answer that is not "
                "valid JSON");
  }
  return out;
}

std::string GeminiBackend::listModels() {
  auto now = [this] {
    const llmp_host_api* api = host_.api();
    return (api != nullptr && LLMP_HOST_HAS(api, monotonic_ms)) ? host_.monotonicMs() : steadyMs();
  };
  {
    std::lock_guard<std::mutex> lock(modelsMu_);
    if (!modelsCache_.empty() && now() < modelsExpiresAt_) {
      return modelsCache_;
    }
  }
  // One fetch at a time: requests arriving meanwhile wait and take its result.
  std::lock_guard<std::mutex> fetchLock(modelsFetchMu_);
  {
    std::lock_guard<std::mutex> lock(modelsMu_);
    if (!modelsCache_.empty() && now() < modelsExpiresAt_) {
      return modelsCache_;
    }
  }
  std::string models = fetchAllModels();
  if (config_.modelsCacheTtlMs > 0) {
    std::lock_guard<std::mutex> lock(modelsMu_);
    modelsCache_ = models;
    modelsExpiresAt_ = now() + config_.modelsCacheTtlMs;
  }
  return models;
}

std::string GeminiBackend::fetchAllModels() {
  Json all = Json::array();
  std::string token;
  std::set<std::string> seenTokens;
  for (int page = 0; page < kMaxModelPages; ++page) {
    std::string url = apiUrl("models?pageSize=1000");
    if (!token.empty()) {
      url += "&pageToken=" + urlEncode(token);
    }
    std::string out;
    withKeyRotation([&](size_t key) {
      out.clear();
      return fetchJson(key, "GET", url, {}, &out);
    });
    auto doc = parseJson(out);
    if (!doc || !doc->is_object()) {
      throw Error(LLMP_E_UPSTREAM_HTTP, 502,
                  "the Gemini API sent a models list that is not a JSON object");
    }
    if (auto models = doc->find("models"); models != doc->end() && models->is_array()) {
      for (auto& m : *models) {
        all.push_back(std::move(m));
      }
    }
    auto next = doc->find("nextPageToken");
    if (next == doc->end() || !next->is_string() || next->get<std::string>().empty()) {
      return dumpJson(all);
    }
    token = next->get<std::string>();
    if (!seenTokens.insert(token).second) {
      break;  // the upstream repeats itself; what we have is all we will get
    }
  }
  host_.log(LLMP_LOG_WARN, "backend '" + config_.instance +
                               "': the models list did not end after " +
                               std::to_string(kMaxModelPages) + " pages; using what arrived");
  return dumpJson(all);
}

std::string GeminiBackend::health() const {
  Json out = {{"type", "gemini"},
              {"baseUrl", config_.baseUrl},
              {"keys", keys_.size()},
              {"restingKeys", keys_.restingCount()}};
  return dumpJson(out);
}

}  // namespace llmp::plugins::gemini_api
