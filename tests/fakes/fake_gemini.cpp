#include "fake_gemini.hpp"

#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/SocketAddress.h>
#include <Poco/URI.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <csignal>
#include <mutex>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <thread>

#include "fake_gemini_handler.hpp"
#include "fake_gemini_state.hpp"

namespace llmp::fakes {

namespace {

const std::vector<std::string>& defaultModels() {
  static const std::vector<std::string> models = {
      "gemini-2.5-flash", "gemini-2.5-pro", "gemini-2.5-flash-lite", "gemini-2.0-flash",
      "gemini-1.5-flash", "gemini-1.5-pro", "gemini-3-pro-preview",
  };
  return models;
}

}  // namespace

// ---- ScriptedResponse ---------------------------------------------------------------------

ScriptedResponse ScriptedResponse::error(int status, std::string message, std::string googleStatus,
                                         std::string retryDelay, std::string reason) {
  ScriptedResponse r;
  r.status = status;
  if (googleStatus.empty()) {
    googleStatus = googleStatusName(status);
  }
  r.body = googleErrorJson(status, googleStatus, message, retryDelay, reason);
  return r;
}

ScriptedResponse ScriptedResponse::json(std::string body, int status) {
  ScriptedResponse r;
  r.status = status;
  r.body = std::move(body);
  return r;
}

ScriptedResponse ScriptedResponse::stream(std::vector<std::string> chunks) {
  ScriptedResponse r;
  r.chunks = std::move(chunks);
  return r;
}

std::string ScriptedResponse::textChunk(std::string_view text, std::string_view finishReason,
                                        std::string_view model) {
  nlohmann::ordered_json candidate = {
      {"content", {{"role", "model"}, {"parts", {{{"text", std::string(text)}}}}}}};
  if (!finishReason.empty()) {
    candidate["finishReason"] = std::string(finishReason);
  }
  candidate["index"] = 0;
  nlohmann::ordered_json chunk = {{"candidates", {candidate}},
                                  {"modelVersion", std::string(model)}};
  return chunk.dump();
}

// ---- State --------------------------------------------------------------------------------

FakeGemini::State::State(FakeGeminiOptions opts)
    : options(std::move(opts)), validKeys(options.validKeys), models(defaultModels()) {}

void FakeGemini::State::record(RecordedRequest request) {
  std::lock_guard<std::mutex> lock(mu);
  if (options.maxRecorded > 0) {
    recorded.push_back(std::move(request));
  }
  ++recordedTotal;
  while (recorded.size() > options.maxRecorded) {
    recorded.pop_front();
  }
  cv.notify_all();
}

std::optional<ScriptedResponse> FakeGemini::State::takeScript(const RecordedRequest& request) {
  std::lock_guard<std::mutex> lock(mu);
  if (scripts.empty()) {
    return std::nullopt;
  }
  std::string key;
  std::string target = request.path + (request.query.empty() ? "" : "?" + request.query);
  for (auto it = scripts.begin(); it != scripts.end(); ++it) {
    if (!it->pathContains.empty() && target.find(it->pathContains) == std::string::npos) {
      continue;
    }
    if (!it->apiKey.empty()) {
      if (key.empty()) {
        key = request.apiKey();
      }
      if (key != it->apiKey) {
        continue;
      }
    }
    ScriptedResponse chosen = *it;
    if (it->times > 0 && --it->times == 0) {
      scripts.erase(it);
    }
    return chosen;
  }
  return std::nullopt;
}

bool FakeGemini::State::keyIsValid(const std::string& key) const {
  if (key.empty()) {
    return false;
  }
  std::lock_guard<std::mutex> lock(mu);
  return validKeys.empty() || validKeys.count(key) > 0;
}

std::vector<std::string> FakeGemini::State::modelList() const {
  std::lock_guard<std::mutex> lock(mu);
  return models;
}

bool FakeGemini::State::sleepMs(int ms) const {
  if (ms <= 0) {
    return true;
  }
  std::unique_lock<std::mutex> lock(mu);
  cv.wait_for(lock, std::chrono::milliseconds(ms), [this] { return stopping; });
  return !stopping;
}

bool FakeGemini::State::waitRelease() {
  std::unique_lock<std::mutex> lock(mu);
  uint64_t generation = resetGeneration;
  cv.wait(lock, [&] { return stopping || releasePermits > 0 || generation != resetGeneration; });
  if (stopping) {
    return false;
  }
  if (generation == resetGeneration) {
    --releasePermits;
  }
  return true;
}

// ---- FakeGemini ---------------------------------------------------------------------------

FakeGemini::FakeGemini(FakeGeminiOptions options)
    : state_(std::make_shared<State>(std::move(options))) {}

FakeGemini::~FakeGemini() { stop(); }

void FakeGemini::start() {
  if (state_->server) {
    return;
  }
  // A client that disconnects mid-answer must not kill the test process with SIGPIPE.
  std::signal(SIGPIPE, SIG_IGN);
  {
    std::lock_guard<std::mutex> lock(state_->mu);
    state_->stopping = false;
  }
  Poco::Net::ServerSocket socket;
  socket.bind(Poco::Net::SocketAddress(state_->options.host, state_->options.port), true);
  socket.listen(1024);
  state_->port = socket.address().port();

  int threads = std::max(4, state_->options.threads);
  state_->pool = std::make_unique<Poco::ThreadPool>(4, threads, 60);
  auto* params = new Poco::Net::HTTPServerParams;
  params->setMaxThreads(threads);
  params->setMaxQueued(4096);
  params->setKeepAlive(true);
  params->setMaxKeepAliveRequests(0);  // unlimited
  params->setKeepAliveTimeout(Poco::Timespan(30, 0));
  params->setTimeout(Poco::Timespan(60, 0));
  state_->server = std::make_unique<Poco::Net::HTTPServer>(new FakeGeminiHandlerFactory(state_),
                                                           *state_->pool, socket, params);
  state_->server->start();
}

void FakeGemini::stop() {
  if (!state_->server) {
    return;
  }
  {
    std::lock_guard<std::mutex> lock(state_->mu);
    state_->stopping = true;
  }
  state_->cv.notify_all();
  state_->server->stopAll(true);
  state_->pool->joinAll();
  state_->server.reset();
  state_->pool.reset();
}

uint16_t FakeGemini::port() const { return state_->port; }

std::string FakeGemini::baseUrl() const {
  return "http://127.0.0.1:" + std::to_string(state_->port);
}

void FakeGemini::push(ScriptedResponse response) {
  std::lock_guard<std::mutex> lock(state_->mu);
  state_->scripts.push_back(std::move(response));
}

void FakeGemini::setValidKeys(std::set<std::string> keys) {
  std::lock_guard<std::mutex> lock(state_->mu);
  state_->validKeys = std::move(keys);
}

void FakeGemini::setModels(std::vector<std::string> modelIds) {
  std::lock_guard<std::mutex> lock(state_->mu);
  state_->models = std::move(modelIds);
}

void FakeGemini::release(int count) {
  {
    std::lock_guard<std::mutex> lock(state_->mu);
    state_->releasePermits += count;
  }
  state_->cv.notify_all();
}

void FakeGemini::reset() {
  {
    std::lock_guard<std::mutex> lock(state_->mu);
    state_->scripts.clear();
    state_->recorded.clear();
    state_->recordedTotal = 0;
    state_->releasePermits = 0;
    // Anything still held continues, so no connection hangs past the reset.
    ++state_->resetGeneration;
  }
  state_->cv.notify_all();
  state_->chunksSent = 0;
}

std::vector<RecordedRequest> FakeGemini::requests() const {
  std::lock_guard<std::mutex> lock(state_->mu);
  return {state_->recorded.begin(), state_->recorded.end()};
}

size_t FakeGemini::requestCount() const {
  std::lock_guard<std::mutex> lock(state_->mu);
  return state_->recordedTotal;
}

int FakeGemini::chunksSent() const { return state_->chunksSent.load(); }

bool FakeGemini::waitForRequests(size_t n, int timeoutMs) const {
  std::unique_lock<std::mutex> lock(state_->mu);
  return state_->cv.wait_for(lock, std::chrono::milliseconds(timeoutMs),
                             [this, n] { return state_->recordedTotal >= n; });
}

// ---- Blackhole ----------------------------------------------------------------------------

namespace {

int loopbackSocket() {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    throw std::runtime_error("socket() failed");
  }
  return fd;
}

sockaddr_in loopback(uint16_t port) {
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(port);
  return addr;
}

}  // namespace

Blackhole::Blackhole() {
  listenFd_ = loopbackSocket();
  sockaddr_in addr = loopback(0);
  if (::bind(listenFd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
      ::listen(listenFd_, 0) != 0) {
    ::close(listenFd_);
    throw std::runtime_error("blackhole: bind/listen failed");
  }
  socklen_t len = sizeof(addr);
  ::getsockname(listenFd_, reinterpret_cast<sockaddr*>(&addr), &len);
  port_ = ntohs(addr.sin_port);
  // Fill the accept queue (backlog 0 still admits one or two) with non-blocking connects that
  // nobody accepts; once it is full the kernel drops further SYNs.
  for (int i = 0; i < 4; ++i) {
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) {
      break;
    }
    sockaddr_in target = loopback(port_);
    ::connect(fd, reinterpret_cast<sockaddr*>(&target), sizeof(target));
    fillers_.push_back(fd);
  }
  // Give the handshakes a moment to land in the queue.
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
}

Blackhole::~Blackhole() {
  for (int fd : fillers_) {
    ::close(fd);
  }
  if (listenFd_ >= 0) {
    ::close(listenFd_);
  }
}

uint16_t unusedLoopbackPort() {
  int fd = loopbackSocket();
  sockaddr_in addr = loopback(0);
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
  socklen_t len = sizeof(addr);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  uint16_t port = ntohs(addr.sin_port);
  // Bound but never listening: connects are refused while we hold it; closing it frees the port
  // for reuse, so keep it bound for the life of the process.
  static std::vector<int> held;
  static std::mutex heldMu;
  std::lock_guard<std::mutex> lock(heldMu);
  held.push_back(fd);
  return port;
}

}  // namespace llmp::fakes
