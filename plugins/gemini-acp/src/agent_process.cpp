#include "agent_process.hpp"

#include <llmp/cpp/bytes.hpp>
#include <llmp/cpp/errors.hpp>

#include <utility>

#include "permission_policy.hpp"

namespace llmp::plugins::gemini_acp {
namespace {

constexpr size_t kStderrTailBytes = 4096;
constexpr int64_t kMethodNotFound = -32601;

std::atomic<uint64_t> nextSerial{1};

std::string quoteArgv(const std::vector<std::string>& argv) {
  std::string out;
  for (const std::string& arg : argv) {
    if (!out.empty()) {
      out += ' ';
    }
    out += arg;
  }
  return out;
}

std::string trimmed(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ')) {
    s.pop_back();
  }
  size_t start = s.find_first_not_of("\n\r ");
  return start == std::string::npos ? std::string() : s.substr(start);
}

}  // namespace

void TurnQueue::push(Event event) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    events_.push_back(std::move(event));
  }
  cv_.notify_all();
}

bool TurnQueue::pop(Event* out, std::chrono::steady_clock::time_point deadline) {
  std::unique_lock<std::mutex> lock(mutex_);
  if (!cv_.wait_until(lock, deadline, [&] { return !events_.empty(); })) {
    return false;
  }
  *out = std::move(events_.front());
  events_.pop_front();
  return true;
}

AgentProcess::AgentProcess(Options options)
    : options_(std::move(options)),
      commandLine_(quoteArgv(options_.argv)),
      serial_(nextSerial.fetch_add(1)),
      peer_([this](std::string_view line) {
        llmp_process* process = process_.load();
        if (process == nullptr || !alive_.load()) {
          return false;
        }
        std::string framed;
        framed.reserve(line.size() + 1);
        framed.append(line);
        framed.push_back('\n');
        return options_.host->process_write(options_.host, process, toBytes(framed)) == LLMP_OK;
      }) {
  peer_.setLogger([this](int32_t level, const std::string& message) { log(level, message); });
  peer_.setRequestHandler(
      [this](const std::string& method, const Json& params) { return handleRequest(method, params); });
  peer_.setNotificationHandler([this](const std::string& method, const Json& params) {
    handleNotification(method, params);
  });
}

std::shared_ptr<AgentProcess> AgentProcess::spawn(Options options) {
  const llmp_host_api* host = options.host;
  if (!LLMP_HOST_HAS(host, process_spawn) || !LLMP_HOST_HAS(host, process_write) ||
      !LLMP_HOST_HAS(host, process_release)) {
    throw Error(LLMP_E_UNAVAILABLE, 503,
                "the host offers no process service; the Gemini CLI backend cannot run");
  }
  std::shared_ptr<AgentProcess> self(new AgentProcess(std::move(options)));
  const Options& opts = self->options_;

  std::vector<const char*> argv;
  for (const std::string& arg : opts.argv) {
    argv.push_back(arg.c_str());
  }
  std::vector<std::string> envStrings;
  for (const auto& entry : opts.env) {
    envStrings.push_back(entry.first + "=" + entry.second);
  }
  std::vector<const char*> env;
  for (const std::string& entry : envStrings) {
    env.push_back(entry.c_str());
  }

  llmp_process_options spawnOptions{};
  spawnOptions.struct_size = sizeof spawnOptions;
  spawnOptions.argv = argv.data();
  spawnOptions.argc = argv.size();
  spawnOptions.env = env.empty() ? nullptr : env.data();
  spawnOptions.envc = env.size();
  spawnOptions.cwd = opts.cwd.empty() ? nullptr : opts.cwd.c_str();
  spawnOptions.ctx = self.get();
  spawnOptions.on_stdout = &AgentProcess::onStdout;
  spawnOptions.on_stderr = &AgentProcess::onStderr;
  spawnOptions.on_exit = &AgentProcess::onExit;

  ErrorRecord err;
  llmp_process* process = nullptr;
  llmp_status status = host->process_spawn(host, &spawnOptions, &process, err.sink());
  if (status != LLMP_OK || process == nullptr) {
    self->alive_ = false;
    throw Error(LLMP_E_UNAVAILABLE, 503,
                "could not start the Gemini CLI (" + self->commandLine_ + "): " +
                    (err.message.empty() ? "process spawn failed" : err.message));
  }
  self->process_.store(process);
  self->log(LLMP_LOG_INFO, "started Gemini CLI agent (pid " +
                               std::to_string(host->process_pid(host, process)) + "): " +
                               self->commandLine_ + " in " + opts.cwd);
  return self;
}

AgentProcess::~AgentProcess() {
  llmp_process* process = process_.exchange(nullptr);
  alive_ = false;
  if (process != nullptr) {
    options_.host->process_release(options_.host, process);
  }
  peer_.close("the Gemini CLI agent was stopped");
}

void AgentProcess::log(int32_t level, const std::string& message) const {
  if (options_.log) {
    options_.log(level, message);
  }
}

void LLMP_ABI AgentProcess::onStdout(void* ctx, llmp_bytes data) {
  auto* self = static_cast<AgentProcess*>(ctx);
  try {
    self->peer_.feed(view(data));
  } catch (const std::exception& e) {
    self->log(LLMP_LOG_ERROR, std::string("ACP: error while reading the agent's output: ") + e.what());
  }
}

void LLMP_ABI AgentProcess::onStderr(void* ctx, llmp_bytes data) {
  auto* self = static_cast<AgentProcess*>(ctx);
  try {
    std::lock_guard<std::mutex> lock(self->mutex_);
    self->stderr_.append(view(data));
    if (self->stderr_.size() > kStderrTailBytes) {
      self->stderr_.erase(0, self->stderr_.size() - kStderrTailBytes);
    }
  } catch (...) {
  }
  if (LLMP_HOST_HAS(self->options_.host, log_enabled) &&
      self->options_.host->log_enabled(self->options_.host, LLMP_LOG_DEBUG)) {
    self->log(LLMP_LOG_DEBUG, "gemini stderr: " + trimmed(str(data)));
  }
}

void LLMP_ABI AgentProcess::onExit(void* ctx, int32_t exitCode, int32_t signal) {
  auto* self = static_cast<AgentProcess*>(ctx);
  try {
    std::string description = "Gemini CLI (" + self->commandLine_ + ") " +
                              (signal != 0 ? "was killed by signal " + std::to_string(signal)
                                           : "exited with code " + std::to_string(exitCode));
    std::string tail = trimmed(self->stderrTail());
    if (!tail.empty()) {
      description += ": " + tail;
    }
    {
      std::lock_guard<std::mutex> lock(self->mutex_);
      self->exitDescription_ = description;
    }
    self->exitCv_.notify_all();
    self->alive_ = false;
    self->log(signal == 15 || signal == 9 ? LLMP_LOG_INFO : LLMP_LOG_WARN, description);
    self->peer_.close(description);
  } catch (...) {
  }
}

std::string AgentProcess::stderrTail() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return stderr_;
}

std::string AgentProcess::exitDescription() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return exitDescription_;
}

std::string AgentProcess::waitForExitDescription(std::chrono::milliseconds timeout,
                                                 const std::string& fallback) {
  std::unique_lock<std::mutex> lock(mutex_);
  exitCv_.wait_for(lock, timeout, [&] { return !exitDescription_.empty(); });
  return exitDescription_.empty() ? fallback : exitDescription_;
}

void AgentProcess::terminate() {
  llmp_process* process = process_.load();
  // Not alive from now on, so the pool replaces it even before the exit is reported.
  bool wasAlive = alive_.exchange(false);
  if (process != nullptr && wasAlive && LLMP_HOST_HAS(options_.host, process_kill)) {
    options_.host->process_kill(options_.host, process, 15);
  }
}

void AgentProcess::initialize(std::chrono::milliseconds timeout, const std::string& authMethod) {
  Json params = {
      {"protocolVersion", 1},
      {"clientCapabilities",
       {{"fs", {{"readTextFile", false}, {"writeTextFile", false}}}, {"terminal", false}}},
      {"clientInfo", {{"name", "llm-proxy"}, {"title", "LLM Proxy"}, {"version", "0.1.0"}}}};
  RpcOutcome outcome = peer_.call("initialize", std::move(params), timeout);
  if (!outcome.ok()) {
    std::string why;
    if (outcome.kind == RpcOutcome::Kind::Error) {
      why = "answered initialize with error " + std::to_string(outcome.code) + ": " + outcome.message;
    } else if (outcome.kind == RpcOutcome::Kind::Timeout) {
      std::string tail = trimmed(stderrTail());
      why = "did not answer initialize within " + std::to_string(timeout.count()) + " ms" +
            (tail.empty() ? std::string() : " (stderr: " + tail + ")");
    } else {
      why = waitForExitDescription(std::chrono::seconds(2), outcome.message);
    }
    throw Error(LLMP_E_UNAVAILABLE, 503,
                outcome.kind == RpcOutcome::Kind::Transport ? why
                                                           : "Gemini CLI (" + commandLine_ + ") " + why);
  }
  const Json& result = outcome.result;
  if (result.is_object() && result.contains("agentCapabilities") &&
      result["agentCapabilities"].is_object()) {
    const Json& prompt = result["agentCapabilities"].value("promptCapabilities", Json());
    if (prompt.is_object()) {
      capabilities_.image = prompt.value("image", false);
      capabilities_.audio = prompt.value("audio", false);
      capabilities_.embeddedContext = prompt.value("embeddedContext", false);
    }
  }
  if (result.is_object() && result.contains("protocolVersion") &&
      result["protocolVersion"].is_number_integer() && result["protocolVersion"].get<int64_t>() != 1) {
    log(LLMP_LOG_WARN, "Gemini CLI speaks ACP protocol version " +
                           result["protocolVersion"].dump() + "; this proxy speaks 1");
  }
  if (!authMethod.empty()) {
    RpcOutcome auth = peer_.call("authenticate", {{"methodId", authMethod}}, timeout);
    if (!auth.ok()) {
      throw Error(LLMP_E_AUTH, 401,
                  "Gemini CLI refused authentication with method '" + authMethod + "': " +
                      (auth.message.empty() ? std::string("no answer") : auth.message));
    }
  }
}

std::string AgentProcess::newSession(const std::string& cwd, std::chrono::milliseconds timeout,
                                     Json* models) {
  RpcOutcome outcome =
      peer_.call("session/new", {{"cwd", cwd}, {"mcpServers", Json::array()}}, timeout);
  if (outcome.kind == RpcOutcome::Kind::Error) {
    if (outcome.code == -32000) {
      throw Error(LLMP_E_AUTH, 401,
                  "Gemini CLI is not authenticated (" + outcome.message +
                      "): log in once by running `gemini`, or set GEMINI_API_KEY in the backend's env");
    }
    throw Error(LLMP_E_UNAVAILABLE, 503,
                "Gemini CLI could not create a session (error " + std::to_string(outcome.code) +
                    "): " + outcome.message);
  }
  if (outcome.kind == RpcOutcome::Kind::Timeout) {
    throw Error(LLMP_E_UNAVAILABLE, 503, "Gemini CLI " + outcome.message);
  }
  if (outcome.kind == RpcOutcome::Kind::Transport) {
    throw Error(LLMP_E_UNAVAILABLE, 503,
                waitForExitDescription(std::chrono::seconds(2), outcome.message));
  }
  const Json& result = outcome.result;
  if (!result.is_object() || !result.contains("sessionId") || !result["sessionId"].is_string()) {
    throw Error(LLMP_E_UNAVAILABLE, 503, "Gemini CLI answered session/new without a sessionId");
  }
  if (models != nullptr) {
    *models = result.value("models", Json());
  }
  return result["sessionId"].get<std::string>();
}

void AgentProcess::attachTurn(const std::string& sessionId, std::shared_ptr<TurnQueue> queue) {
  std::lock_guard<std::mutex> lock(mutex_);
  turns_[sessionId] = std::move(queue);
}

void AgentProcess::detachTurn(const std::string& sessionId) {
  std::lock_guard<std::mutex> lock(mutex_);
  turns_.erase(sessionId);
}

std::shared_ptr<TurnQueue> AgentProcess::turnFor(const Json& params) {
  if (!params.is_object() || !params.contains("sessionId") || !params["sessionId"].is_string()) {
    return nullptr;
  }
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = turns_.find(params["sessionId"].get<std::string>());
  return it == turns_.end() ? nullptr : it->second;
}

RpcReply AgentProcess::handleRequest(const std::string& method, const Json& params) {
  if (method == "session/request_permission") {
    PermissionDecision decision = decidePermission(params, options_.policy);
    std::string sessionId = params.is_object() ? params.value("sessionId", std::string()) : std::string();
    log(LLMP_LOG_INFO, std::string("permission ") + (decision.allow ? "granted" : "denied") +
                           " (policy " + permissionPolicyName(options_.policy) + ") for tool '" +
                           decision.title + "' of kind " + decision.kind + " in session " +
                           sessionId + (decision.optionId.empty() ? std::string(" (no matching option: cancelled)")
                                                                  : " -> option " + decision.optionId));
    if (auto turn = turnFor(params)) {
      TurnQueue::Event event;
      event.kind = TurnQueue::Event::Kind::Progress;
      event.text = std::string("Gemini CLI tool (") + decision.kind + "): " + decision.title +
                   (decision.allow ? " [allowed]" : " [denied by the proxy's permission policy]");
      turn->push(std::move(event));
    }
    return RpcReply::ok(decision.result);
  }
  // fs/* and terminal/* are not advertised in clientCapabilities, so the agent should not ask.
  log(LLMP_LOG_DEBUG, "ACP: refused agent request " + method + " (not supported by the proxy)");
  return RpcReply::error(kMethodNotFound, "Method not found: " + method);
}

void AgentProcess::handleNotification(const std::string& method, const Json& params) {
  if (method != "session/update") {
    log(LLMP_LOG_DEBUG, "ACP: ignored notification " + method);
    return;
  }
  auto turn = turnFor(params);
  if (!turn || !params.contains("update")) {
    return;  // e.g. available_commands_update right after session/new
  }
  TurnQueue::Event event;
  event.kind = TurnQueue::Event::Kind::Update;
  event.update = params["update"];
  turn->push(std::move(event));
}

}  // namespace llmp::plugins::gemini_acp
