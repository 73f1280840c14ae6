#include "acp_backend.hpp"

#include <llmp/cpp/bytes.hpp>
#include <llmp/cpp/errors.hpp>
#include <llmp/cpp/sinks.hpp>

#include <algorithm>
#include <chrono>
#include <cstdlib>

#include "turn_mapping.hpp"
#include "workspace.hpp"

namespace llmp::plugins::gemini_acp {
namespace {

constexpr int64_t kInvalidParams = -32602;
// While a streamed text chunk is held back (so the finish reason can ride on the last one),
// wait at most this long for the next event before sending it on its own.
constexpr int64_t kHoldBackMs = 150;

// session/prompt answered "Session not found" (-32602).
struct SessionNotFound : std::runtime_error {
  using std::runtime_error::runtime_error;
};

const char* const kBuiltinModels[] = {"gemini-2.5-pro", "gemini-2.5-flash", "gemini-2.5-flash-lite"};

std::chrono::steady_clock::time_point deadlineIn(int64_t ms) {
  return std::chrono::steady_clock::now() + std::chrono::milliseconds(ms);
}

Json modelObject(const std::string& id, const std::string& displayName,
                 const std::string& description) {
  return {{"name", "models/" + id},
          {"displayName", displayName.empty() ? id : displayName},
          {"description", description.empty() ? "Gemini CLI agent (ACP) with model " + id : description},
          {"supportedGenerationMethods", Json::array({"generateContent", "streamGenerateContent"})}};
}

void LLMP_ABI reaperTick(void* ctx) {
  try {
    static_cast<AcpBackend*>(ctx)->reapIdle();
  } catch (...) {
  }
}

}  // namespace

AcpBackend::AcpBackend(const llmp_host_api* host, std::string instanceName, BackendConfig config)
    : host_(host), name_(std::move(instanceName)), config_(std::move(config)) {
  // The CLI relaunches itself in a child node process to raise its heap limit; that grandchild
  // would outlive a kill of its parent, so ask for no relaunch unless the operator decided.
  config_.env.emplace("GEMINI_CLI_NO_RELAUNCH", "true");
  pool_ = std::make_unique<ProcessPool>(
      config_.maxProcesses, [this](const ProcessKey& key) { return launch(key); },
      [this] { return nowMs(); });

  std::string pathEnv;
  auto pathIt = config_.env.find("PATH");
  if (pathIt != config_.env.end()) {
    pathEnv = pathIt->second;
  } else if (const char* path = std::getenv("PATH")) {
    pathEnv = path;
  }
  executable_ = resolveExecutable(config_.executable, pathEnv);
  if (executable_.found) {
    log(LLMP_LOG_INFO, "gemini-cli-acp backend '" + name_ + "' uses " + executable_.path +
                           " (permission policy " + permissionPolicyName(config_.permissionPolicy) +
                           ", at most " + std::to_string(config_.maxProcesses) + " processes)");
  } else {
    log(LLMP_LOG_ERROR, "gemini-cli-acp backend '" + name_ + "': " + executable_.error +
                            ". Its requests fail with 503 until this is fixed.");
  }

  if (LLMP_HOST_HAS(host_, timer_start) && LLMP_HOST_HAS(host_, timer_cancel)) {
    uint64_t period = static_cast<uint64_t>(
        std::clamp<int64_t>(config_.idleTimeoutMs / 4, 100, 60 * 1000));
    if (host_->timer_start(host_, period, period, &reaperTick, this, &reaper_) != LLMP_OK) {
      reaper_ = nullptr;
      log(LLMP_LOG_WARN, "gemini-cli-acp: no timer; idle agent processes are not reaped");
    }
  }
}

AcpBackend::~AcpBackend() {
  if (reaper_ != nullptr) {
    host_->timer_cancel(host_, reaper_);
    reaper_ = nullptr;
  }
  pool_->clear();
}

void AcpBackend::log(int32_t level, const std::string& message) const {
  if (LLMP_HOST_HAS(host_, log)) {
    host_->log(host_, level, toBytes(message));
  }
}

int64_t AcpBackend::nowMs() const {
  if (LLMP_HOST_HAS(host_, monotonic_ms)) {
    return host_->monotonic_ms(host_);
  }
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

std::string AcpBackend::resolvedExecutable() {
  std::lock_guard<std::mutex> lock(mutex_);
  if (!executable_.found) {
    // The operator may have installed the CLI since; look again.
    std::string pathEnv;
    auto pathIt = config_.env.find("PATH");
    if (pathIt != config_.env.end()) {
      pathEnv = pathIt->second;
    } else if (const char* path = std::getenv("PATH")) {
      pathEnv = path;
    }
    executable_ = resolveExecutable(config_.executable, pathEnv);
    if (!executable_.found) {
      throw Error(LLMP_E_UNAVAILABLE, 503, executable_.error);
    }
    log(LLMP_LOG_INFO, "gemini-cli-acp backend '" + name_ + "' found " + executable_.path);
  }
  return executable_.path;
}

std::shared_ptr<AgentProcess> AcpBackend::launch(const ProcessKey& key) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (!lastStartFailure_.empty() && nowMs() - lastStartFailureMs_ < config_.startFailureBackoffMs) {
      throw Error(LLMP_E_UNAVAILABLE, 503, lastStartFailure_);
    }
  }
  std::string executable = resolvedExecutable();

  std::vector<std::string> flags;
  switch (config_.acpFlag) {
    case AcpFlagMode::Acp:
      flags = {"--acp"};
      break;
    case AcpFlagMode::ExperimentalAcp:
      flags = {"--experimental-acp"};
      break;
    case AcpFlagMode::Auto: {
      std::lock_guard<std::mutex> lock(mutex_);
      if (!workingFlag_.empty()) {
        flags = {workingFlag_};
      } else {
        flags = {"--acp", "--experimental-acp"};
      }
      break;
    }
  }

  std::string failure;
  for (size_t i = 0; i < flags.size(); ++i) {
    AgentProcess::Options options;
    options.host = host_;
    options.argv = buildArgv(executable, config_.nodeExecutable, flags[i], key.model, config_.extraArgs);
    options.env = config_.env;
    options.cwd = key.workspace;
    options.policy = config_.permissionPolicy;
    options.log = [this](int32_t level, const std::string& message) { log(level, message); };
    try {
      std::shared_ptr<AgentProcess> process = AgentProcess::spawn(std::move(options));
      process->initialize(std::chrono::milliseconds(config_.initializeTimeoutMs), config_.authMethod);
      std::lock_guard<std::mutex> lock(mutex_);
      workingFlag_ = flags[i];
      lastStartFailure_.clear();
      return process;
    } catch (const Error& e) {
      failure = e.what();
      if (e.code() == LLMP_E_AUTH) {
        throw;  // ACP mode worked; retrying with another flag would not help
      }
      if (i + 1 < flags.size()) {
        log(LLMP_LOG_WARN, "Gemini CLI did not start in ACP mode with " + flags[i] + " (" + failure +
                               "); retrying with " + flags[i + 1] + " for older CLIs");
      }
    }
  }
  std::string message = "Gemini CLI could not be started in ACP mode: " + failure;
  log(LLMP_LOG_ERROR, message);
  std::lock_guard<std::mutex> lock(mutex_);
  lastStartFailure_ = message;
  lastStartFailureMs_ = nowMs();
  throw Error(LLMP_E_UNAVAILABLE, 503, message);
}

std::shared_ptr<AcpBackend::Conversation> AcpBackend::conversationFor(const std::string& key) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto& entry = conversations_[key];
  if (!entry) {
    entry = std::make_shared<Conversation>();
  }
  entry->lastUsedMs = nowMs();
  return entry;
}

void AcpBackend::rememberModels(const Json& models) {
  if (!models.is_object() || !models.contains("availableModels") ||
      !models["availableModels"].is_array() || models["availableModels"].empty()) {
    return;
  }
  std::lock_guard<std::mutex> lock(mutex_);
  reportedModels_ = models["availableModels"];
}

Json AcpBackend::adaptPrompt(Json prompt, const AgentCapabilities& caps) const {
  for (Json& block : prompt) {
    std::string type = block.value("type", std::string());
    if ((type == "image" && !caps.image) || (type == "audio" && !caps.audio)) {
      block = {{"type", "text"},
               {"text", "[" + type + " attachment (" + block.value("mimeType", std::string()) +
                            ") omitted: this Gemini CLI does not accept " + type + " input]"}};
    } else if (type == "resource" && !caps.embeddedContext) {
      const Json& resource = block["resource"];
      std::string uri = resource.value("uri", std::string());
      if (resource.contains("text")) {
        block = {{"type", "text"},
                 {"text", "Contents of " + uri + ":\n" + resource["text"].get<std::string>()}};
      } else {
        block = {{"type", "text"}, {"text", "[attachment " + uri + " omitted: binary content]"}};
      }
    }
  }
  return prompt;
}

void AcpBackend::generate(const llmp_generate_request& request, const llmp_event_sink* sink) {
  std::string parseError;
  std::optional<Json> parsedIr = parseJson(view(request.ir), &parseError);
  if (!parsedIr) {
    throw Error(LLMP_E_INVALID, 400, "request IR is not valid JSON: " + parseError);
  }
  const Json& ir = *parsedIr;
  validateConversation(ir);
  Json metadata = Json::object();
  if (request.metadata.len > 0) {
    if (auto parsed = parseJson(view(request.metadata))) {
      metadata = *parsed;
    }
  }

  ProcessKey key;
  key.workspace = resolveWorkspace(metadata, config_.projectDir);
  key.model = normalizeModel(str(request.model));
  if (key.model.empty()) {
    key.model = config_.defaultModel;
  }
  std::string conversationId = str(request.session_id);
  if (conversationId.empty()) {
    conversationId = conversationFingerprint(ir);
  }
  bool streaming = (request.flags & LLMP_GENERATE_STREAM) != 0;
  const Json& contents = ir["contents"];

  std::shared_ptr<Conversation> conversation = conversationFor(key.str() + '\n' + conversationId);
  std::lock_guard<std::mutex> turnLock(conversation->turnMutex);

  ProcessPool::Lease lease = pool_->acquire(key);
  bool reuse = !conversation->sessionId.empty() &&
               conversation->processSerial == lease->serial() &&
               contents.size() == conversation->contentCount + 2 &&
               digest(Json(contents.begin(), contents.begin() + static_cast<std::ptrdiff_t>(
                                                                  conversation->contentCount))) ==
                   conversation->contentsDigest;

  for (int attempt = 0;; ++attempt) {
    std::string sessionId;
    Json prompt;
    if (reuse) {
      sessionId = conversation->sessionId;
      prompt = buildPrompt(ir, false);
      log(LLMP_LOG_DEBUG, "gemini-cli-acp: turn " + std::to_string(contents.size()) +
                              " on session " + sessionId);
    } else {
      Json models;
      sessionId = lease->newSession(key.workspace, std::chrono::milliseconds(config_.sessionTimeoutMs),
                                    &models);
      rememberModels(models);
      prompt = buildPrompt(ir, true);
      log(LLMP_LOG_INFO, "gemini-cli-acp: new ACP session " + sessionId + " in " + key.workspace +
                             (contents.size() > 1 ? " (replaying " + std::to_string(contents.size() - 1) +
                                                        " earlier turns)"
                                                  : std::string()));
    }
    prompt = adaptPrompt(std::move(prompt), lease->capabilities());

    try {
      runTurn(*lease.process(), sessionId, std::move(prompt), streaming, sink);
    } catch (const SessionNotFound& e) {
      conversation->sessionId.clear();
      if (!reuse || attempt > 0) {
        throw Error(LLMP_E_UNAVAILABLE, 503, std::string("Gemini CLI lost its session: ") + e.what());
      }
      // The agent forgot the session: start over with the history replayed.
      log(LLMP_LOG_INFO, "gemini-cli-acp: session " + sessionId + " is gone; recreating it");
      reuse = false;
      continue;
    } catch (const Error& e) {
      if (e.code() != LLMP_E_CANCELLED) {
        // The turn failed: the agent's view of the conversation is uncertain from here on.
        conversation->sessionId.clear();
      }
      throw;
    }
    conversation->sessionId = sessionId;
    conversation->processSerial = lease->serial();
    conversation->contentCount = contents.size();
    conversation->contentsDigest = digest(contents);
    return;
  }
}

AcpBackend::TurnResult AcpBackend::runTurn(AgentProcess& process, const std::string& sessionId,
                                           Json prompt, bool streaming,
                                           const llmp_event_sink* sink) {
  auto queue = std::make_shared<TurnQueue>();
  process.attachTurn(sessionId, queue);
  struct Detach {
    AgentProcess& process;
    const std::string& sessionId;
    ~Detach() { process.detachTurn(sessionId); }
  } detach{process, sessionId};

  process.peer().callAsync("session/prompt", {{"sessionId", sessionId}, {"prompt", std::move(prompt)}},
                           [queue](RpcOutcome outcome) {
                             TurnQueue::Event event;
                             event.kind = TurnQueue::Event::Kind::Done;
                             event.outcome = std::move(outcome);
                             queue->push(std::move(event));
                           });

  const auto turnDeadline = config_.turnTimeoutMs > 0
                                ? deadlineIn(config_.turnTimeoutMs)
                                : std::chrono::steady_clock::time_point::max();
  UpdateMapper mapper;
  Json parts = Json::array();  // non-streaming: the whole answer
  Json held;                   // streaming: the last chunk's part, not yet sent
  auto emitOrCancel = [&](uint32_t kind, const std::string& data) {
    if (emit(sink, kind, data) == LLMP_E_CANCELLED) {
      log(LLMP_LOG_INFO, "gemini-cli-acp: client went away; cancelling the turn on session " + sessionId);
      cancelTurn(process, sessionId, *queue);
      throw Error(LLMP_E_CANCELLED, 499, "the client went away; the Gemini CLI turn was cancelled");
    }
  };
  auto flushHeld = [&] {
    if (!held.is_null()) {
      Json part = std::move(held);
      held = nullptr;
      emitOrCancel(LLMP_EVENT_CHUNK, dumpJson(makeChunk(Json::array({part}), "", nullptr)));
    }
  };

  RpcOutcome outcome;
  for (;;) {
    auto wait = deadlineIn(held.is_null() ? config_.keepaliveMs : kHoldBackMs);
    TurnQueue::Event event;
    if (!queue->pop(&event, std::min(wait, turnDeadline))) {
      if (std::chrono::steady_clock::now() >= turnDeadline) {
        log(LLMP_LOG_WARN, "gemini-cli-acp: turn on session " + sessionId + " exceeded " +
                               std::to_string(config_.turnTimeoutMs / 1000) + " s; cancelling it");
        cancelTurn(process, sessionId, *queue);
        throw Error(LLMP_E_TIMEOUT, 504,
                    "the Gemini CLI turn took longer than turn_timeout_seconds (" +
                        std::to_string(config_.turnTimeoutMs / 1000) + ")");
      }
      if (!held.is_null()) {
        flushHeld();
      } else {
        emitOrCancel(LLMP_EVENT_KEEPALIVE, "");
      }
      continue;
    }
    if (event.kind == TurnQueue::Event::Kind::Done) {
      outcome = std::move(event.outcome);
      break;
    }
    std::string progress;
    if (event.kind == TurnQueue::Event::Kind::Progress) {
      progress = event.text;
    } else {
      MappedUpdate mapped = mapper.map(event.update);
      if (mapped.kind == MappedUpdate::Kind::Progress) {
        progress = mapped.text;
      } else if (mapped.kind == MappedUpdate::Kind::Text ||
                 mapped.kind == MappedUpdate::Kind::Thought) {
        bool thought = mapped.kind == MappedUpdate::Kind::Thought;
        if (!streaming) {
          appendPart(parts, mapped.text, thought);
        } else {
          flushHeld();
          held = {{"text", mapped.text}};
          if (thought) {
            held["thought"] = true;
          }
        }
      }
    }
    if (!progress.empty()) {
      flushHeld();
      emitOrCancel(LLMP_EVENT_PROGRESS, dumpJson(Json{{"text", progress}}));
    }
  }

  if (!outcome.ok()) {
    if (outcome.kind == RpcOutcome::Kind::Error) {
      if (outcome.code == kInvalidParams && outcome.message.find("not found") != std::string::npos) {
        throw SessionNotFound(outcome.message);
      }
      throw errorFromRpc(outcome, "turn");
    }
    std::string exit = process.waitForExitDescription(std::chrono::seconds(2), outcome.message);
    throw Error(LLMP_E_UNAVAILABLE, 503, "the Gemini CLI agent stopped during the turn: " + exit);
  }
  TurnResult result;
  result.stopReason = outcome.result.is_object() ? outcome.result.value("stopReason", std::string("end_turn"))
                                                 : std::string("end_turn");
  result.usage = usageFromPromptResult(outcome.result);
  std::string finish = finishReasonFor(result.stopReason);
  Json finalParts = Json::array();
  if (!streaming) {
    finalParts = std::move(parts);
  } else if (!held.is_null()) {
    finalParts.push_back(std::move(held));
    held = nullptr;
  }
  if (finalParts.empty()) {
    finalParts.push_back({{"text", ""}});
  }
  emitOrCancel(LLMP_EVENT_CHUNK, dumpJson(makeChunk(finalParts, finish, result.usage)));
  return result;
}

void AcpBackend::cancelTurn(AgentProcess& process, const std::string& sessionId, TurnQueue& queue) {
  process.peer().notify("session/cancel", {{"sessionId", sessionId}});
  auto deadline = deadlineIn(config_.cancelTimeoutMs);
  TurnQueue::Event event;
  while (queue.pop(&event, deadline)) {
    if (event.kind == TurnQueue::Event::Kind::Done) {
      log(LLMP_LOG_INFO, "gemini-cli-acp: turn on session " + sessionId + " cancelled");
      return;
    }
  }
  // An agent that ignores session/cancel cannot be trusted with the next turn.
  log(LLMP_LOG_WARN, "gemini-cli-acp: the agent did not finish the cancelled turn within " +
                         std::to_string(config_.cancelTimeoutMs) + " ms; stopping it");
  process.terminate();
}

Json AcpBackend::listModels() const {
  Json out = Json::array();
  std::lock_guard<std::mutex> lock(mutex_);
  if (reportedModels_.is_array() && !reportedModels_.empty()) {
    for (const Json& model : reportedModels_) {
      if (model.is_object() && model.contains("modelId") && model["modelId"].is_string()) {
        out.push_back(modelObject(model["modelId"].get<std::string>(), model.value("name", std::string()),
                                  model.value("description", std::string())));
      }
    }
    if (!out.empty()) {
      return out;
    }
  }
  if (!config_.staticModels.empty()) {
    for (const std::string& id : config_.staticModels) {
      out.push_back(modelObject(normalizeModel(id), "", ""));
    }
    return out;
  }
  for (const char* id : kBuiltinModels) {
    out.push_back(modelObject(id, "", ""));
  }
  return out;
}

Json AcpBackend::health() const {
  std::lock_guard<std::mutex> lock(mutex_);
  Json out = {{"executable", executable_.found ? executable_.path : std::string()},
              {"available", executable_.found && lastStartFailure_.empty()},
              {"processes", pool_->liveCount()},
              {"maxProcesses", config_.maxProcesses},
              {"permissionPolicy", permissionPolicyName(config_.permissionPolicy)}};
  if (!executable_.found) {
    out["error"] = executable_.error;
  } else if (!lastStartFailure_.empty()) {
    out["error"] = lastStartFailure_;
  }
  if (!workingFlag_.empty()) {
    out["acpFlag"] = workingFlag_;
  }
  return out;
}

void AcpBackend::reapIdle() {
  size_t stopped = pool_->reap(config_.idleTimeoutMs);
  if (stopped > 0) {
    log(LLMP_LOG_INFO, "gemini-cli-acp: stopped " + std::to_string(stopped) +
                           " idle Gemini CLI process(es) after " +
                           std::to_string(config_.idleTimeoutMs / 1000) + " s without use");
  }
  std::lock_guard<std::mutex> lock(mutex_);
  int64_t now = nowMs();
  for (auto it = conversations_.begin(); it != conversations_.end();) {
    if (now - it->second->lastUsedMs >= config_.idleTimeoutMs && it->second.use_count() == 1) {
      it = conversations_.erase(it);
    } else {
      ++it;
    }
  }
}

}  // namespace llmp::plugins::gemini_acp
