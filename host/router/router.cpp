#include "router/router.h"

#include <atomic>
#include <chrono>

#include <llmp/cpp/bytes.hpp>
#include <llmp/cpp/errors.hpp>
#include <llmp/cpp/host.hpp>
#include <llmp/cpp/json_writer.hpp>
#include <llmp/cpp/sinks.hpp>

#include "fiber/blocking_pool.h"
#include "log/log.h"
#include "router/generation_params.h"

namespace llmp::host {

using nlohmann::json;

struct HopError {
  ErrorRecord record;
};

namespace {

int64_t nowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

bool retryable(const ErrorRecord& e) {
  switch (e.code) {
    case LLMP_E_RATE_LIMITED:
    case LLMP_E_UNAVAILABLE:
    case LLMP_E_TIMEOUT:
      return true;
    case LLMP_E_UPSTREAM_HTTP:
      return e.httpStatus == 0 || e.httpStatus >= 500 || e.httpStatus == 429;
    default:
      return false;
  }
}

// Wraps the client's sink: announces the hop before its first event and notes real output.
struct HopSink {
  const llmp_event_sink* client;
  std::string routed;  // ROUTED event payload
  bool announced = false;
  bool output = false;
  llmp_event_sink sink{};

  HopSink(const llmp_event_sink* c, std::string routedJson) : client(c), routed(std::move(routedJson)) {
    sink.struct_size = sizeof(sink);
    sink.ctx = this;
    sink.emit = [](void* ctx, uint32_t kind, llmp_bytes data) -> llmp_status {
      auto* self = static_cast<HopSink*>(ctx);
      if (!self->announced && kind != LLMP_EVENT_KEEPALIVE) {
        self->announced = true;
        llmp_status s = self->client->emit(self->client->ctx, LLMP_EVENT_ROUTED, toBytes(self->routed));
        if (s != LLMP_OK) {
          return s;
        }
      }
      if (kind == LLMP_EVENT_CHUNK || kind == LLMP_EVENT_PROGRESS) {
        self->output = true;
      }
      return self->client->emit(self->client->ctx, kind, data);
    };
  }
};

void forward(const ErrorRecord& e, const llmp_error_sink* err) {
  setError(err, e.code, e.httpStatus, e.message, e.body, e.retryAfterMs);
}

}  // namespace

Router::Router(const Config& config, BackendRegistry& backends, const llmp_host_api* hostApi)
    : config_(config),
      backends_(backends),
      hostApi_(hostApi),
      selectors_(
          config, [&backends](const std::string& n) { return backends.find(n) != nullptr; },
          [&backends] { return backends.namesForMessage(); }),
      planning_(PlanningPhaseConfig::fromJson(config.session), hostApi) {}

bool Router::parseHybrid(std::string_view selector, std::string* reasoning, std::string* execution) {
  constexpr std::string_view kPrefix = "hybrid:[";
  if (selector.substr(0, kPrefix.size()) != kPrefix || selector.back() != ']') {
    return false;
  }
  std::string_view inner = selector.substr(kPrefix.size(), selector.size() - kPrefix.size() - 1);
  auto comma = inner.find(',');
  if (comma == std::string_view::npos) {
    return false;
  }
  *reasoning = std::string(inner.substr(0, comma));
  *execution = std::string(inner.substr(comma + 1));
  return !reasoning->empty() && !execution->empty();
}

llmp_status Router::generateHybrid(const std::string& reasoning, const std::string& execution,
                                   const llmp_generate_request& request,
                                   const llmp_event_sink* sink, const llmp_error_sink* err) {
  json ir = json::parse(view(request.ir).begin(), view(request.ir).end(), nullptr, false);
  if (!ir.is_object()) {
    setError(err, LLMP_E_INVALID, 400, "the request body is not a JSON object");
    return LLMP_E_INVALID;
  }
  // 1. The reasoning model thinks about the conversation (not streamed to the client).
  json reasoningIr = ir;
  reasoningIr["generationConfig"]["thinkingConfig"]["includeThoughts"] = true;
  std::string reasoningText = reasoningIr.dump();
  llmp_generate_request r = request;
  r.model = toBytes(reasoning);
  r.ir = toBytes(reasoningText);
  r.flags &= ~LLMP_GENERATE_STREAM;
  std::string thoughts;
  std::string answer;
  EventSinkFn collector([&](uint32_t kind, std::string_view data) -> llmp_status {
    if (kind == LLMP_EVENT_KEEPALIVE) {
      return sink->emit(sink->ctx, kind, toBytes(data));
    }
    if (kind != LLMP_EVENT_CHUNK) {
      return LLMP_OK;
    }
    json chunk = json::parse(data.begin(), data.end(), nullptr, false);
    if (!chunk.is_object() || !chunk.contains("candidates") || chunk["candidates"].empty()) {
      return LLMP_OK;
    }
    const json& parts = chunk["candidates"][0]["content"]["parts"];
    if (parts.is_array()) {
      for (const auto& part : parts) {
        if (part.contains("text") && part["text"].is_string()) {
          (part.value("thought", false) ? thoughts : answer) += part["text"].get<std::string>();
        }
      }
    }
    return LLMP_OK;
  });
  llmp_status s = generateRouted(r, collector.sink(), err);
  if (s != LLMP_OK) {
    return s;
  }
  // 2. The execution model answers with that reasoning in its instructions, streamed as usual.
  const std::string& captured = thoughts.empty() ? answer : thoughts;
  json& system = ir["systemInstruction"];
  if (!system.is_object()) {
    system = json{{"parts", json::array()}};
  }
  if (!system["parts"].is_array()) {
    system["parts"] = json::array();
  }
  system["parts"].push_back(
      {{"text", "Reasoning from a planning model about this conversation (use it to answer; do not "
                "repeat it verbatim):\n<reasoning>\n" + captured + "\n</reasoning>"}});
  std::string executionText = ir.dump();
  llmp_generate_request e = request;
  e.model = toBytes(execution);
  e.ir = toBytes(executionText);
  return generateRouted(e, sink, err);
}

llmp_status Router::gateCheck(const BackendInstance& backend, const llmp_error_sink* err) const {
  if (backend.enabled) {
    return LLMP_OK;
  }
  setError(err, LLMP_E_FORBIDDEN, 403,
           "backend '" + backend.name + "' (type " + backend.type +
               ") is disabled: it is for the project's own development and debugging only. "
               "Start llm-proxy with --enable-" + backend.type +
               "-backend-debugging-override to enable it.");
  return LLMP_E_FORBIDDEN;
}

const json* Router::defaultsFor(const RouteHop& hop) const {
  auto it = config_.modelDefaults.find(hop.backend + ":" + hop.model);
  if (it == config_.modelDefaults.end()) {
    it = config_.modelDefaults.find(hop.model);
  }
  return it == config_.modelDefaults.end() ? nullptr : &it->second;
}

namespace {
// When the last cooldown any router of this process started ends (wall ms). Until one is started
// no request needs to look in the kv store (a key to build and a locked lookup per hop). The kv
// store is in-process, so no cooldown can come from elsewhere; a store shared between processes
// would have to drop this shortcut.
std::atomic<int64_t> gCooldownHorizonMs{0};
}  // namespace

bool Router::inCooldown(const std::string& backend, const std::string& model,
                        int64_t* remainingMs) const {
  if (hostApi_ == nullptr) {
    return false;
  }
  Host host(hostApi_);
  if (host.wallMs() >= gCooldownHorizonMs.load(std::memory_order_acquire)) {
    return false;
  }
  auto until = host.kvGet("router:cooldown:" + backend + ":" + model);
  if (!until) {
    return false;
  }
  int64_t left = std::strtoll(until->c_str(), nullptr, 10) - host.wallMs();
  if (left <= 0) {
    return false;
  }
  *remainingMs = left;
  return true;
}

void Router::startCooldown(const std::string& backend, const std::string& model, int64_t ms) const {
  if (hostApi_ == nullptr || ms <= 0) {
    return;
  }
  Host host(hostApi_);
  const int64_t until = host.wallMs() + ms;
  // The horizon moves first: a request that finds the key must not have skipped the lookup.
  int64_t horizon = gCooldownHorizonMs.load(std::memory_order_relaxed);
  while (horizon < until &&
         !gCooldownHorizonMs.compare_exchange_weak(horizon, until, std::memory_order_release)) {
  }
  host.kvSet("router:cooldown:" + backend + ":" + model, std::to_string(until), ms);
}

bool Router::waitWithKeepalives(int64_t ms, bool streaming, const llmp_event_sink* sink) const {
  int64_t end = nowMs() + ms;
  while (true) {
    int64_t left = end - nowMs();
    if (left <= 0) {
      return true;
    }
    int64_t step = streaming ? std::min<int64_t>(left, config_.keepaliveIntervalMs) : left;
    fiber::sleepUntil(nowMs() + step);  // yields on a fiber
    if (streaming && nowMs() < end) {
      if (sink->emit(sink->ctx, LLMP_EVENT_KEEPALIVE, llmp_bytes{nullptr, 0}) != LLMP_OK) {
        return false;
      }
    }
  }
}

llmp_status Router::runHop(BackendInstance& backend, const RouteHop& hop,
                           const llmp_generate_request& request, const llmp_event_sink* sink,
                           bool* emittedOutput, HopError* error) {
  std::optional<std::string> ir;  // only when the hop changes parameters
  try {
    ir = applyGenerationParams(view(request.ir), hop.params, defaultsFor(hop));
  } catch (const SelectorError& e) {
    setError(error->record.sink(), LLMP_E_INVALID, e.httpStatus(), e.what());
    return LLMP_E_INVALID;
  }
  llmp_generate_request req = request;
  req.model = toBytes(hop.model);
  if (ir) {
    req.ir = toBytes(*ir);
  }
  JsonWriter routed;
  routed.beginObject().key("backend").string(backend.name).key("model").string(hop.model).endObject();
  HopSink hopSink(sink, routed.take());
  backend.inFlight.fetch_add(1);
  llmp_status status = LLMP_E_INTERNAL;
  try {
    auto generate = [&] {
      return backend.factory->generate(backend.instance, &req, &hopSink.sink, error->record.sink());
    };
    // A backend that is not cooperative gets a thread of its own while this fiber waits.
    status = backend.cooperative ? generate() : fiber::runBlocking(generate);
  } catch (...) {
    // A plugin must not throw across the ABI; keep serving.
    log::write(log::kMisbehaving, backend.name, "generate threw an exception across the C ABI");
    setError(error->record.sink(), LLMP_E_INTERNAL, 500, "backend '" + backend.name + "' failed");
    status = LLMP_E_INTERNAL;
  }
  backend.inFlight.fetch_sub(1);
  *emittedOutput = hopSink.output;
  if (status != LLMP_OK && !error->record.isSet()) {
    setError(error->record.sink(), status, 0,
             "backend '" + backend.name + "' failed without details (status " +
                 std::to_string(status) + ")");
    log::write(log::kMisbehaving, backend.name, "returned an error status without error details");
  }
  if (status == LLMP_OK && error->record.isSet()) {
    error->record = ErrorRecord{};
  }
  return status;
}

llmp_status Router::generate(const llmp_generate_request& request, const llmp_event_sink* sink,
                             const llmp_error_sink* err) {
  std::string selector = str(request.model);
  std::string reasoning;
  std::string execution;
  if (parseHybrid(selector, &reasoning, &execution)) {
    return generateHybrid(reasoning, execution, request, sink, err);
  }
  if (planning_.enabled()) {
    if (auto planned = planning_.overrideFor(view(request.ir), view(request.session_id))) {
      llmp_generate_request req = request;
      req.model = toBytes(*planned);
      return generateRouted(req, sink, err);
    }
  }
  return generateRouted(request, sink, err);
}

llmp_status Router::generateRouted(const llmp_generate_request& request,
                                   const llmp_event_sink* sink, const llmp_error_sink* err) {
  std::vector<RouteHop> hops;
  try {
    hops = selectors_.parse(str(request.model));
  } catch (const SelectorError& e) {
    llmp_status code = e.httpStatus() == 404 ? LLMP_E_NOT_FOUND : LLMP_E_INVALID;
    setError(err, code, e.httpStatus(), e.what());
    return code;
  }
  const bool streaming = (request.flags & LLMP_GENERATE_STREAM) != 0;
  const int64_t deadline = nowMs() + config_.failoverTotalTimeoutMs;
  ErrorRecord last;
  int attempts = 0;
  for (size_t i = 0; i < hops.size(); ++i) {
    RouteHop hop = hops[i];
    BackendInstance* backend = backends_.find(hop.backend);
    if (backend == nullptr) {  // parse() checked, but a route may name a removed backend
      setError(err, LLMP_E_NOT_FOUND, 404, "unknown backend '" + hop.backend + "'");
      return LLMP_E_NOT_FOUND;
    }
    if (gateCheck(*backend, err) != LLMP_OK) {
      return LLMP_E_FORBIDDEN;
    }
    int64_t resting = 0;
    bool lastHop = (i + 1 == hops.size());
    if (inCooldown(hop.backend, hop.model, &resting)) {
      if (!lastHop) {
        log::debug("router", hop.backend + ":" + hop.model + " is resting; trying the next hop");
        continue;
      }
      if (resting > config_.maxSilentWaitMs || nowMs() + resting > deadline) {
        setError(err, LLMP_E_RATE_LIMITED, 429,
                 "'" + hop.backend + ":" + hop.model + "' is rate limited; retry later", {},
                 resting);
        return LLMP_E_RATE_LIMITED;
      }
      if (!waitWithKeepalives(resting, streaming, sink)) {
        setError(err, LLMP_E_CANCELLED, 499, "client went away");
        return LLMP_E_CANCELLED;
      }
    }
    int sameHopRetries = 0;
    while (true) {
      if (++attempts > config_.maxFailoverHops) {
        forward(last, err);
        return last.code;
      }
      HopError error;
      bool output = false;
      llmp_status status = runHop(*backend, hop, request, sink, &output, &error);
      if (status == LLMP_OK) {
        return LLMP_OK;
      }
      last = error.record;
      if (output || status == LLMP_E_CANCELLED || !retryable(last)) {
        forward(last, err);
        return status;
      }
      log::info("router", hop.backend + ":" + hop.model + " failed (" + last.message +
                              "); failing over");
      if (last.code == LLMP_E_RATE_LIMITED || last.httpStatus == 429) {
        startCooldown(hop.backend, hop.model, last.retryAfterMs > 0 ? last.retryAfterMs : 1000);
        // Rate-limit fallback model (Gemini OAuth style): same backend, a cheaper model.
        if (!backend->rateLimitFallbackModel.empty() && hop.model != backend->rateLimitFallbackModel) {
          RouteHop fallback = hop;
          fallback.model = backend->rateLimitFallbackModel;
          hops.insert(hops.begin() + static_cast<long>(i) + 1, fallback);
          break;
        }
        bool wait = last.retryAfterMs >= 0 && last.retryAfterMs <= config_.maxSilentWaitMs &&
                    nowMs() + last.retryAfterMs < deadline && sameHopRetries < 1;
        if (wait) {
          ++sameHopRetries;
          if (!waitWithKeepalives(last.retryAfterMs, streaming, sink)) {
            setError(err, LLMP_E_CANCELLED, 499, "client went away");
            return LLMP_E_CANCELLED;
          }
          continue;
        }
      }
      break;
    }
    if (nowMs() > deadline) {
      break;
    }
  }
  forward(last, err);
  return last.code == LLMP_OK ? LLMP_E_INTERNAL : last.code;
}

llmp_status Router::countTokens(const llmp_generate_request& request, const llmp_bytes_sink* out,
                                const llmp_error_sink* err) {
  std::vector<RouteHop> hops;
  try {
    hops = selectors_.parse(str(request.model));
  } catch (const SelectorError& e) {
    llmp_status code = e.httpStatus() == 404 ? LLMP_E_NOT_FOUND : LLMP_E_INVALID;
    setError(err, code, e.httpStatus(), e.what());
    return code;
  }
  const RouteHop& hop = hops.front();
  BackendInstance* backend = backends_.find(hop.backend);
  if (gateCheck(*backend, err) != LLMP_OK) {
    return LLMP_E_FORBIDDEN;
  }
  if (backend->factory->count_tokens == nullptr) {
    setError(err, LLMP_E_UNSUPPORTED, 501,
             "backend '" + backend->name + "' (type " + backend->type + ") cannot count tokens");
    return LLMP_E_UNSUPPORTED;
  }
  llmp_generate_request req = request;
  req.model = toBytes(hop.model);
  backend->inFlight.fetch_add(1);
  llmp_status s = fiber::runBlocking(
      [&] { return backend->factory->count_tokens(backend->instance, &req, out, err); });
  backend->inFlight.fetch_sub(1);
  return s;
}

llmp_status Router::listModels(const llmp_bytes_sink* out, const llmp_error_sink* err) {
  (void)err;
  json all = json::array();
  for (BackendInstance* backend : backends_.ordered()) {
    if (!backend->enabled || backend->factory->list_models == nullptr) {
      continue;
    }
    StringSink models;
    ErrorRecord e;
    backend->inFlight.fetch_add(1);
    llmp_status s = fiber::runBlocking(
        [&] { return backend->factory->list_models(backend->instance, models.sink(), e.sink()); });
    backend->inFlight.fetch_sub(1);
    if (s != LLMP_OK) {
      log::warn("router", "cannot list the models of backend '" + backend->name + "': " + e.message);
      continue;
    }
    json list = json::parse(models.value(), nullptr, false);
    if (!list.is_array()) {
      log::write(log::kMisbehaving, backend->name, "list_models did not write a JSON array");
      continue;
    }
    for (auto& m : list) {
      if (!m.is_object()) {
        continue;
      }
      std::string id = m.value("name", "");
      if (id.rfind("models/", 0) == 0) {
        id = id.substr(7);
      }
      if (id.empty()) {
        continue;
      }
      m["model"] = id;
      m["id"] = backend->name + ":" + id;
      m["backend"] = backend->name;
      m["defaultBackend"] = backend->name == config_.defaultBackend;
      all.push_back(std::move(m));
    }
  }
  std::string text = all.dump();
  return out->write(out->ctx, toBytes(text));
}

}  // namespace llmp::host
