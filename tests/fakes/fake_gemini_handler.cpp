// Serves one request of the fake Gemini API: control endpoints, auth, scripts, default answers.
#include "fake_gemini_handler.hpp"

#include <Poco/Base64Decoder.h>
#include <Poco/Base64Encoder.h>
#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerRequestImpl.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/StreamCopier.h>
#include <Poco/URI.h>

#include <nlohmann/json.hpp>
#include <sstream>

#include "fake_gemini_state.hpp"

namespace llmp::fakes {

using OJson = nlohmann::ordered_json;

namespace {

// What to send back; built from a default route and/or a script.
struct Plan {
  int status = 200;
  std::string contentType = "application/json";
  HeaderPairs headers;
  std::string body;
  std::vector<std::string> chunks;
  bool streaming = false;  // send `chunks` incrementally
  bool sse = true;         // SSE events; otherwise a JSON array
  Framing framing = Framing::Lf;
  int firstByteDelayMs = 0;
  int chunkDelayMs = 0;
  int closeAfterChunks = -1;
  int holdAfterChunks = -1;
};

Plan errorPlan(int status, const std::string& message, const std::string& reason = "") {
  Plan p;
  p.status = status;
  p.body = googleErrorJson(status, googleStatusName(status), message, "", reason);
  return p;
}

Plan jsonPlan(const OJson& value, int status = 200) {
  Plan p;
  p.status = status;
  p.body = value.dump();
  return p;
}

size_t countWords(std::string_view text) {
  size_t words = 0;
  bool inWord = false;
  for (char c : text) {
    bool space = std::isspace(static_cast<unsigned char>(c)) != 0;
    if (!space && !inWord) {
      ++words;
    }
    inWord = !space;
  }
  return words;
}

void collectText(const nlohmann::json& content, std::string* out) {
  if (!content.is_object()) {
    return;
  }
  auto parts = content.find("parts");
  if (parts == content.end() || !parts->is_array()) {
    return;
  }
  for (const auto& part : *parts) {
    if (part.is_object()) {
      auto text = part.find("text");
      if (text != part.end() && text->is_string()) {
        out->append(text->get<std::string>());
        out->push_back(' ');
      }
    }
  }
}

size_t promptTokens(const nlohmann::json& request) {
  std::string all;
  if (auto c = request.find("contents"); c != request.end() && c->is_array()) {
    for (const auto& content : *c) {
      collectText(content, &all);
    }
  }
  if (auto s = request.find("systemInstruction"); s != request.end()) {
    collectText(*s, &all);
  }
  return std::max<size_t>(1, countWords(all));
}

// The text of the last user turn ("" when it has no text part).
std::string lastUserText(const nlohmann::json& contents) {
  for (auto it = contents.rbegin(); it != contents.rend(); ++it) {
    if (!it->is_object()) {
      continue;
    }
    auto role = it->find("role");
    if (role != it->end() && role->is_string() && role->get<std::string>() != "user") {
      continue;
    }
    std::string text;
    if (auto parts = it->find("parts"); parts != it->end() && parts->is_array()) {
      for (const auto& part : *parts) {
        if (part.is_object() && part.contains("text") && part["text"].is_string()) {
          text += part["text"].get<std::string>();
        }
      }
    }
    return text;
  }
  return {};
}

// Splits UTF-8 text into n pieces without cutting a character.
std::vector<std::string> splitText(const std::string& text, int n) {
  std::vector<std::string> pieces;
  n = std::max(1, n);
  size_t start = 0;
  for (int i = 0; i < n; ++i) {
    size_t end = (i == n - 1) ? text.size() : text.size() * (i + 1) / n;
    while (end < text.size() && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) {
      ++end;
    }
    end = std::max(end, start);
    pieces.push_back(text.substr(start, end - start));
    start = end;
  }
  return pieces;
}

OJson modelObject(const std::string& id) {
  bool thinking = id.find("2.5") != std::string::npos || id.find("gemini-3") != std::string::npos;
  bool old = id.rfind("gemini-1.", 0) == 0;
  return OJson{{"name", "models/" + id},
               {"version", "001"},
               {"displayName", id},
               {"description", "Fake model " + id},
               {"inputTokenLimit", 1048576},
               {"outputTokenLimit", 65536},
               {"supportedGenerationMethods", {"generateContent", "countTokens"}},
               {"temperature", 1.0},
               {"maxTemperature", old ? 1.0 : 2.0},
               {"topP", 0.95},
               {"topK", 64},
               {"thinking", thinking}};
}

std::string encodePageToken(size_t offset) {
  std::ostringstream out;
  Poco::Base64Encoder enc(out);
  enc << "offset=" << offset << "&fake+page/token";
  enc.close();
  return out.str();
}

bool decodePageToken(const std::string& token, size_t* offset) {
  try {
    std::istringstream in(token);
    Poco::Base64Decoder dec(in);
    std::string text;
    Poco::StreamCopier::copyToString(dec, text);
    if (text.rfind("offset=", 0) != 0) {
      return false;
    }
    *offset = std::stoul(text.substr(7));
    return true;
  } catch (...) {
    return false;
  }
}

std::string sseTerminator(Framing f) {
  switch (f) {
    case Framing::CrLf:
      return "\r\n\r\n";
    case Framing::Cr:
      return "\r\r";
    default:
      return "\n\n";
  }
}

Framing framingFromString(const std::string& s) {
  if (s == "crlf") {
    return Framing::CrLf;
  }
  if (s == "cr") {
    return Framing::Cr;
  }
  return Framing::Lf;
}

std::string asRawText(const nlohmann::json& v) {
  return v.is_string() ? v.get<std::string>() : v.dump();
}

int intField(const nlohmann::json& obj, const char* name, int fallback) {
  auto it = obj.find(name);
  return (it != obj.end() && it->is_number()) ? it->get<int>() : fallback;
}

std::string strField(const nlohmann::json& obj, const char* name) {
  auto it = obj.find(name);
  return (it != obj.end() && it->is_string()) ? it->get<std::string>() : std::string();
}

ScriptedResponse scriptFromJson(const nlohmann::json& j) {
  if (!j.is_object()) {
    throw std::invalid_argument("each script must be a JSON object");
  }
  ScriptedResponse r;
  if (auto m = j.find("match"); m != j.end() && m->is_object()) {
    r.pathContains = strField(*m, "path");
    r.apiKey = strField(*m, "key");
  }
  if (r.pathContains.empty()) {
    r.pathContains = strField(j, "pathContains");
  }
  if (r.apiKey.empty()) {
    r.apiKey = strField(j, "apiKey");
  }
  r.times = intField(j, "times", 1);
  r.status = intField(j, "status", 200);
  if (auto ct = strField(j, "contentType"); !ct.empty()) {
    r.contentType = ct;
  }
  if (auto b = j.find("body"); b != j.end()) {
    r.body = asRawText(*b);
  }
  if (auto e = j.find("error"); e != j.end() && e->is_object()) {
    if (r.status == 200) {
      r.status = intField(*e, "code", 500);
    }
    std::string status = strField(*e, "status");
    r.body = googleErrorJson(r.status, status.empty() ? googleStatusName(r.status) : status,
                             strField(*e, "message"), strField(*e, "retryDelay"),
                             strField(*e, "reason"));
  }
  if (auto c = j.find("chunks"); c != j.end() && c->is_array()) {
    for (const auto& chunk : *c) {
      r.chunks.push_back(asRawText(chunk));
    }
  }
  if (auto h = j.find("headers"); h != j.end() && h->is_object()) {
    for (auto it = h->begin(); it != h->end(); ++it) {
      r.headers.emplace_back(it.key(), asRawText(it.value()));
    }
  }
  r.framing = framingFromString(strField(j, "framing"));
  r.firstByteDelayMs = intField(j, "firstByteDelayMs", 0);
  r.chunkDelayMs = intField(j, "chunkDelayMs", 0);
  r.closeAfterChunks = intField(j, "closeAfterChunks", -1);
  r.holdAfterChunks = intField(j, "holdAfterChunks", -1);
  return r;
}

OJson requestToJson(const RecordedRequest& r) {
  OJson headers = OJson::object();
  for (const auto& [k, v] : r.headers) {
    headers[k] = v;
  }
  return OJson{{"method", r.method},
               {"path", r.path},
               {"query", r.query},
               {"headers", headers},
               {"body", r.body}};
}

class FakeGeminiHandler : public Poco::Net::HTTPRequestHandler {
 public:
  explicit FakeGeminiHandler(std::shared_ptr<FakeGemini::State> state) : state_(std::move(state)) {}

  void handleRequest(Poco::Net::HTTPServerRequest& req,
                     Poco::Net::HTTPServerResponse& resp) override {
    try {
      handle(req, resp);
    } catch (const std::exception& e) {
      if (!resp.sent()) {
        send(req, resp, errorPlan(500, std::string("fake upstream failure: ") + e.what()));
      }
    } catch (...) {
    }
  }

 private:
  void handle(Poco::Net::HTTPServerRequest& req, Poco::Net::HTTPServerResponse& resp) {
    RecordedRequest rec;
    rec.method = req.getMethod();
    const std::string& uri = req.getURI();
    size_t q = uri.find('?');
    Poco::URI::decode(uri.substr(0, q), rec.path);
    if (q != std::string::npos) {
      rec.query = uri.substr(q + 1);
    }
    for (const auto& [k, v] : req) {
      rec.headers.emplace_back(k, v);
    }
    Poco::StreamCopier::copyToString(req.stream(), rec.body);

    if (rec.path.rfind("/__fake/", 0) == 0) {
      send(req, resp, control(rec));
      return;
    }
    state_->record(rec);

    std::string key = rec.apiKey();
    if (key.empty()) {
      send(req, resp,
           errorPlan(401,
                     "Method doesn't allow unregistered callers (callers without established "
                     "identity). Please use API Key or other form of API consumer identity to "
                     "call this API."));
      return;
    }
    if (!state_->keyIsValid(key)) {
      send(req, resp,
           errorPlan(400, "API key not valid. Please pass a valid API key.", "API_KEY_INVALID"));
      return;
    }

    std::optional<ScriptedResponse> script = state_->takeScript(rec);
    Plan plan;
    bool useDefault =
        !script || (script->status == 200 && script->body.empty() && script->chunks.empty());
    if (useDefault) {
      plan = route(rec);
      plan.firstByteDelayMs = state_->options.latencyMs;
      plan.chunkDelayMs = state_->options.chunkDelayMs;
    } else {
      plan.status = script->status;
      plan.contentType = script->contentType;
      plan.body = script->body;
      plan.chunks = script->chunks;
      plan.streaming = !script->chunks.empty();
      plan.sse = rec.path.find(":streamGenerateContent") == std::string::npos ||
                 rec.queryParam("alt") == "sse";
    }
    if (script) {
      plan.headers.insert(plan.headers.end(), script->headers.begin(), script->headers.end());
      plan.framing = script->framing;
      if (script->firstByteDelayMs > 0) {
        plan.firstByteDelayMs = script->firstByteDelayMs;
      }
      if (script->chunkDelayMs > 0) {
        plan.chunkDelayMs = script->chunkDelayMs;
      }
      plan.closeAfterChunks = script->closeAfterChunks;
      plan.holdAfterChunks = script->holdAfterChunks;
    }
    send(req, resp, plan);
  }

  // ---- default answers ----

  Plan route(const RecordedRequest& rec) {
    // /<version>/<resource>
    if (rec.path.size() < 2 || rec.path[1] != 'v') {
      return errorPlan(404, "The requested URL " + rec.path + " was not found on this server.");
    }
    size_t slash = rec.path.find('/', 1);
    if (slash == std::string::npos) {
      return errorPlan(404, "The requested URL " + rec.path + " was not found on this server.");
    }
    std::string version = rec.path.substr(1, slash - 1);
    std::string rest = rec.path.substr(slash + 1);
    if (rest == "models") {
      return listModels(rec);
    }
    if (rest.rfind("models/", 0) != 0) {
      return errorPlan(404, "The requested URL " + rec.path + " was not found on this server.");
    }
    std::string name = rest.substr(7);
    size_t colon = name.find(':');
    if (colon == std::string::npos) {
      return getModel(name, version);
    }
    std::string model = name.substr(0, colon);
    std::string method = name.substr(colon + 1);
    if (rec.method != "POST") {
      return errorPlan(404, "Method " + method + " requires POST.");
    }
    auto body = nlohmann::json::parse(rec.body, nullptr, false);
    if (body.is_discarded() || !body.is_object()) {
      return errorPlan(400, "Invalid JSON payload received. Unexpected token.");
    }
    if (method == "generateContent" || method == "streamGenerateContent") {
      return generate(rec, model, body, method == "streamGenerateContent");
    }
    if (method == "countTokens") {
      return countTokens(body);
    }
    return errorPlan(404, "Method " + method + " not found for models/" + model + ".");
  }

  Plan generate(const RecordedRequest& rec, const std::string& model, const nlohmann::json& body,
                bool stream) {
    auto contents = body.find("contents");
    if (contents == body.end() || !contents->is_array() || contents->empty()) {
      return errorPlan(400, "* GenerateContentRequest.contents: contents is not specified\n");
    }
    std::string text = "echo: " + lastUserText(*contents);
    size_t prompt = promptTokens(body);
    size_t output = std::max<size_t>(1, countWords(text));
    std::string responseId = "fake-" + std::to_string(++state_->responseCounter);
    OJson fullUsage = {{"promptTokenCount", prompt},
                       {"candidatesTokenCount", output},
                       {"totalTokenCount", prompt + output}};
    auto makeChunk = [&](const std::string& piece, bool last) {
      OJson candidate = {{"content", {{"parts", {{{"text", piece}}}}, {"role", "model"}}}};
      if (last) {
        candidate["finishReason"] = "STOP";
      }
      candidate["index"] = 0;
      OJson usage =
          last ? fullUsage : OJson{{"promptTokenCount", prompt}, {"totalTokenCount", prompt}};
      return OJson{{"candidates", {candidate}},
                   {"usageMetadata", usage},
                   {"modelVersion", model},
                   {"responseId", responseId}};
    };
    if (!stream) {
      return jsonPlan(makeChunk(text, true));
    }
    Plan p;
    p.streaming = true;
    p.sse = rec.queryParam("alt") == "sse";
    auto pieces = splitText(text, state_->options.chunks);
    for (size_t i = 0; i < pieces.size(); ++i) {
      p.chunks.push_back(makeChunk(pieces[i], i + 1 == pieces.size()).dump());
    }
    return p;
  }

  Plan countTokens(const nlohmann::json& body) {
    const nlohmann::json* request = &body;
    if (auto g = body.find("generateContentRequest"); g != body.end() && g->is_object()) {
      request = &*g;
    } else if (auto c = body.find("contents"); c == body.end() || !c->is_array()) {
      return errorPlan(400,
                       "* CountTokensRequest: either contents or generateContentRequest "
                       "must be set\n");
    }
    size_t n = promptTokens(*request);
    return jsonPlan(OJson{{"totalTokens", n},
                          {"promptTokensDetails", {{{"modality", "TEXT"}, {"tokenCount", n}}}}});
  }

  Plan listModels(const RecordedRequest& rec) {
    auto models = state_->modelList();
    size_t pageSize = 50;
    std::string size = rec.queryParam("pageSize");
    if (!size.empty()) {
      try {
        pageSize = std::stoul(size);
      } catch (...) {
        return errorPlan(400, "Invalid value at 'page_size' (TYPE_INT32), \"" + size + "\"");
      }
    }
    pageSize = std::min<size_t>(std::max<size_t>(pageSize, 1), 1000);
    size_t offset = 0;
    std::string token = rec.queryParam("pageToken");
    if (!token.empty() && !decodePageToken(token, &offset)) {
      return errorPlan(400, "Invalid page token.");
    }
    OJson list = OJson::array();
    for (size_t i = offset; i < models.size() && i < offset + pageSize; ++i) {
      list.push_back(modelObject(models[i]));
    }
    OJson out = {{"models", list}};
    if (offset + pageSize < models.size()) {
      out["nextPageToken"] = encodePageToken(offset + pageSize);
    }
    return jsonPlan(out);
  }

  Plan getModel(const std::string& id, const std::string& version) {
    for (const auto& m : state_->modelList()) {
      if (m == id) {
        return jsonPlan(modelObject(m));
      }
    }
    return errorPlan(404, "models/" + id + " is not found for API version " + version +
                              ", or is not supported for generateContent.");
  }

  // ---- control endpoints ----

  Plan control(const RecordedRequest& rec) {
    const std::string cmd = rec.path.substr(8);
    auto body = rec.body.empty() ? nlohmann::json::object()
                                 : nlohmann::json::parse(rec.body, nullptr, false);
    if (body.is_discarded()) {
      return errorPlan(400, "control body is not JSON");
    }
    if (cmd == "requests" && rec.method == "GET") {
      OJson list = OJson::array();
      std::lock_guard<std::mutex> lock(state_->mu);
      for (const auto& r : state_->recorded) {
        list.push_back(requestToJson(r));
      }
      return jsonPlan(list);
    }
    if (rec.method != "POST" && cmd != "stats") {
      return errorPlan(405, "control endpoints other than requests and stats need POST");
    }
    if (cmd == "script") {
      std::vector<ScriptedResponse> scripts;
      try {
        if (body.is_array()) {
          for (const auto& s : body) {
            scripts.push_back(scriptFromJson(s));
          }
        } else {
          scripts.push_back(scriptFromJson(body));
        }
      } catch (const std::exception& e) {
        return errorPlan(400, e.what());
      }
      std::lock_guard<std::mutex> lock(state_->mu);
      for (auto& s : scripts) {
        state_->scripts.push_back(std::move(s));
      }
      return jsonPlan(OJson{{"queued", scripts.size()}});
    }
    if (cmd == "reset") {
      {
        std::lock_guard<std::mutex> lock(state_->mu);
        state_->scripts.clear();
        state_->recorded.clear();
        state_->recordedTotal = 0;
        state_->releasePermits = 0;
        ++state_->resetGeneration;
      }
      state_->cv.notify_all();
      state_->chunksSent = 0;
      return jsonPlan(OJson{{"ok", true}});
    }
    if (cmd == "release") {
      int count = body.is_object() ? intField(body, "count", 1) : 1;
      {
        std::lock_guard<std::mutex> lock(state_->mu);
        state_->releasePermits += count;
      }
      state_->cv.notify_all();
      return jsonPlan(OJson{{"ok", true}});
    }
    if (cmd == "keys" || cmd == "models") {
      auto list = body.is_object() ? body.find(cmd) : body.end();
      if (list == body.end() || !list->is_array()) {
        return errorPlan(400, "expected {\"" + cmd + "\": [...]}");
      }
      std::lock_guard<std::mutex> lock(state_->mu);
      if (cmd == "keys") {
        state_->validKeys.clear();
        for (const auto& k : *list) {
          state_->validKeys.insert(asRawText(k));
        }
      } else {
        state_->models.clear();
        for (const auto& m : *list) {
          state_->models.push_back(asRawText(m));
        }
      }
      return jsonPlan(OJson{{"ok", true}});
    }
    if (cmd == "stats") {
      std::lock_guard<std::mutex> lock(state_->mu);
      return jsonPlan(
          OJson{{"requests", state_->recordedTotal}, {"chunksSent", state_->chunksSent.load()}});
    }
    return errorPlan(404, "unknown control endpoint " + rec.path);
  }

  // ---- writing ----

  void closeConnection(Poco::Net::HTTPServerRequest& req) {
    try {
      static_cast<Poco::Net::HTTPServerRequestImpl&>(req).socket().shutdown();
    } catch (...) {
    }
  }

  void send(Poco::Net::HTTPServerRequest& req, Poco::Net::HTTPServerResponse& resp,
            const Plan& plan) {
    if (!state_->sleepMs(plan.firstByteDelayMs)) {
      closeConnection(req);
      return;
    }
    resp.setStatusAndReason(static_cast<Poco::Net::HTTPResponse::HTTPStatus>(plan.status));
    for (const auto& [k, v] : plan.headers) {
      resp.set(k, v);
    }
    if (!plan.streaming) {
      resp.setContentType(plan.contentType);
      resp.setContentLength(static_cast<std::streamsize>(plan.body.size()));
      if (plan.closeAfterChunks >= 0) {
        // Promise the whole body, deliver half of it, hang up.
        std::ostream& out = resp.send();
        out.write(plan.body.data(), static_cast<std::streamsize>(plan.body.size() / 2));
        out.flush();
        closeConnection(req);
        return;
      }
      resp.sendBuffer(plan.body.data(), plan.body.size());
      return;
    }
    resp.setChunkedTransferEncoding(true);
    resp.setContentType(plan.sse ? "text/event-stream" : "application/json");
    std::ostream& out = resp.send();
    out.flush();
    const std::string terminator = sseTerminator(plan.framing);
    if (!plan.sse) {
      out << '[';
    }
    for (size_t i = 0; i < plan.chunks.size(); ++i) {
      if (static_cast<int>(i) == plan.closeAfterChunks) {
        out.flush();
        closeConnection(req);
        return;
      }
      if (static_cast<int>(i) == plan.holdAfterChunks && !state_->waitRelease()) {
        closeConnection(req);
        return;
      }
      if (i > 0 && plan.chunkDelayMs > 0 && !state_->sleepMs(plan.chunkDelayMs)) {
        closeConnection(req);
        return;
      }
      // Counted before the bytes leave, so a client that sees chunk i finds chunksSent > i.
      ++state_->chunksSent;
      if (plan.sse) {
        out << "data: " << plan.chunks[i] << terminator;
      } else {
        out << (i > 0 ? ",\r\n" : "") << plan.chunks[i];
      }
      out.flush();
      if (!out) {
        return;  // the client went away
      }
    }
    if (static_cast<int>(plan.chunks.size()) == plan.closeAfterChunks) {
      out.flush();
      closeConnection(req);
      return;
    }
    if (!plan.sse) {
      out << ']';
    }
    out.flush();
  }

  std::shared_ptr<FakeGemini::State> state_;
};

}  // namespace

Poco::Net::HTTPRequestHandler* FakeGeminiHandlerFactory::createRequestHandler(
    const Poco::Net::HTTPServerRequest&) {
  return new FakeGeminiHandler(state_);
}

std::string googleStatusName(int httpStatus) {
  switch (httpStatus) {
    case 400:
      return "INVALID_ARGUMENT";
    case 401:
      return "UNAUTHENTICATED";
    case 403:
      return "PERMISSION_DENIED";
    case 404:
      return "NOT_FOUND";
    case 405:
      return "UNIMPLEMENTED";
    case 409:
      return "ABORTED";
    case 429:
      return "RESOURCE_EXHAUSTED";
    case 500:
      return "INTERNAL";
    case 503:
      return "UNAVAILABLE";
    case 504:
      return "DEADLINE_EXCEEDED";
    default:
      return httpStatus >= 500 ? "INTERNAL" : "FAILED_PRECONDITION";
  }
}

std::string googleErrorJson(int code, const std::string& status, const std::string& message,
                            const std::string& retryDelay, const std::string& reason) {
  OJson error = {{"code", code}, {"message", message}, {"status", status}};
  OJson details = OJson::array();
  if (!reason.empty()) {
    details.push_back({{"@type", "type.googleapis.com/google.rpc.ErrorInfo"},
                       {"reason", reason},
                       {"domain", "googleapis.com"},
                       {"metadata", {{"service", "generativelanguage.googleapis.com"}}}});
  }
  if (code == 429) {
    details.push_back({{"@type", "type.googleapis.com/google.rpc.QuotaFailure"},
                       {"violations",
                        {{{"quotaMetric",
                           "generativelanguage.googleapis.com/generate_content_free_tier_requests"},
                          {"quotaId", "GenerateRequestsPerMinutePerProjectPerModel-FreeTier"},
                          {"quotaValue", "10"}}}}});
  }
  if (!retryDelay.empty()) {
    details.push_back(
        {{"@type", "type.googleapis.com/google.rpc.RetryInfo"}, {"retryDelay", retryDelay}});
  }
  if (!details.empty()) {
    error["details"] = details;
  }
  return OJson{{"error", error}}.dump();
}

}  // namespace llmp::fakes
