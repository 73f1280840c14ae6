#include "json_rpc_peer.hpp"

#include <llmp/host.h>

#include <utility>
#include <vector>

namespace llmp::plugins::gemini_acp {
namespace {

constexpr int64_t kInvalidRequest = -32600;
constexpr int64_t kMethodNotFound = -32601;
constexpr int64_t kInternalError = -32603;

std::string preview(std::string_view line) {
  constexpr size_t kMax = 200;
  if (line.size() <= kMax) {
    return std::string(line);
  }
  return std::string(line.substr(0, kMax)) + "...";
}

// Ids we issue are integers; accept an agent echoing them back as strings too.
bool readId(const Json& id, int64_t* out) {
  if (id.is_number_integer() || id.is_number_unsigned()) {
    *out = id.get<int64_t>();
    return true;
  }
  if (id.is_string()) {
    try {
      size_t used = 0;
      const std::string& s = id.get_ref<const std::string&>();
      int64_t value = std::stoll(s, &used);
      if (used == s.size()) {
        *out = value;
        return true;
      }
    } catch (...) {
    }
  }
  return false;
}

}  // namespace

RpcOutcome RpcOutcome::transport(std::string message) {
  RpcOutcome outcome;
  outcome.kind = Kind::Transport;
  outcome.message = std::move(message);
  return outcome;
}

JsonRpcPeer::JsonRpcPeer(Writer writer) : writer_(std::move(writer)) {}

JsonRpcPeer::~JsonRpcPeer() { close("connection destroyed"); }

void JsonRpcPeer::log(int32_t level, const std::string& message) const {
  if (logger_) {
    logger_(level, message);
  }
}

bool JsonRpcPeer::writeMessage(const Json& message) {
  std::string line = dumpJson(message);  // dump() never emits raw newlines
  std::lock_guard<std::mutex> lock(writeMutex_);
  return writer_ && writer_(line);
}

int64_t JsonRpcPeer::callAsync(const std::string& method, Json params,
                               ResponseHandler onResponse) {
  int64_t id = 0;
  std::string closedReason;
  bool wasClosed = false;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    id = nextId_++;
    wasClosed = closed_;
    if (wasClosed) {
      closedReason = closeReason_;
    } else {
      pending_.emplace(id, std::move(onResponse));
    }
  }
  if (wasClosed) {
    // Outside the lock: the handler may call back into the peer.
    onResponse(RpcOutcome::transport(closedReason));
    return id;
  }
  Json message = {{"jsonrpc", "2.0"}, {"id", id}, {"method", method}};
  if (!params.is_null()) {
    message["params"] = std::move(params);
  }
  if (!writeMessage(message)) {
    ResponseHandler handler;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      auto it = pending_.find(id);
      if (it != pending_.end()) {
        handler = std::move(it->second);
        pending_.erase(it);
      }
    }
    if (handler) {
      handler(RpcOutcome::transport("could not write to the agent's stdin"));
    }
  }
  return id;
}

RpcOutcome JsonRpcPeer::call(const std::string& method, Json params,
                             std::chrono::milliseconds timeout) {
  struct Waiter {
    std::mutex mutex;
    std::condition_variable cv;
    bool done = false;
    RpcOutcome outcome;
  };
  auto waiter = std::make_shared<Waiter>();
  int64_t id = callAsync(method, std::move(params), [waiter](RpcOutcome outcome) {
    std::lock_guard<std::mutex> lock(waiter->mutex);
    waiter->outcome = std::move(outcome);
    waiter->done = true;
    waiter->cv.notify_all();
  });
  std::unique_lock<std::mutex> lock(waiter->mutex);
  if (!waiter->cv.wait_for(lock, timeout, [&] { return waiter->done; })) {
    lock.unlock();
    abandon(id);
    lock.lock();
    if (!waiter->done) {
      RpcOutcome outcome;
      outcome.kind = RpcOutcome::Kind::Timeout;
      outcome.message = method + " got no answer within " +
                        std::to_string(timeout.count()) + " ms";
      return outcome;
    }
  }
  return std::move(waiter->outcome);
}

void JsonRpcPeer::abandon(int64_t id) {
  std::lock_guard<std::mutex> lock(mutex_);
  pending_.erase(id);
}

bool JsonRpcPeer::notify(const std::string& method, Json params) {
  if (closed()) {
    return false;
  }
  Json message = {{"jsonrpc", "2.0"}, {"method", method}};
  if (!params.is_null()) {
    message["params"] = std::move(params);
  }
  return writeMessage(message);
}

void JsonRpcPeer::feed(std::string_view bytes) {
  while (!bytes.empty()) {
    size_t newline = bytes.find('\n');
    std::string_view piece = bytes.substr(0, newline);
    if (!discarding_) {
      if (buffer_.size() + piece.size() > kMaxLineBytes) {
        log(LLMP_LOG_WARN, "ACP: dropped a line longer than " + std::to_string(kMaxLineBytes) +
                               " bytes from the agent");
        buffer_.clear();
        discarding_ = true;
      } else {
        buffer_.append(piece);
      }
    }
    if (newline == std::string_view::npos) {
      return;
    }
    bytes.remove_prefix(newline + 1);
    if (discarding_) {
      discarding_ = false;
      continue;
    }
    std::string line;
    line.swap(buffer_);
    if (!line.empty() && line.back() == '\r') {
      line.pop_back();
    }
    handleLine(line);
  }
}

void JsonRpcPeer::handleLine(std::string_view line) {
  if (line.find_first_not_of(" \t") == std::string_view::npos) {
    return;
  }
  std::string parseError;
  std::optional<Json> parsed = parseJson(line, &parseError);
  if (!parsed || !parsed->is_object()) {
    log(LLMP_LOG_WARN, "ACP: skipped a line from the agent that is not a JSON-RPC message: " +
                           preview(line));
    return;
  }
  const Json& message = *parsed;
  auto method = message.find("method");
  bool hasId = message.contains("id") && !message["id"].is_null();
  if (method != message.end() && method->is_string()) {
    if (hasId) {
      handleRequest(message);
    } else if (notificationHandler_) {
      static const Json kNoParams = Json::object();
      auto params = message.find("params");
      notificationHandler_(method->get<std::string>(),
                           params != message.end() ? *params : kNoParams);
    }
    return;
  }
  if (message.contains("result") || message.contains("error")) {
    handleResponse(message);
    return;
  }
  log(LLMP_LOG_WARN, "ACP: skipped a JSON-RPC message without method, result or error: " +
                         preview(line));
}

void JsonRpcPeer::handleResponse(const Json& message) {
  int64_t id = 0;
  if (!message.contains("id") || !readId(message["id"], &id)) {
    // An error with id null answers a message the agent could not parse.
    log(LLMP_LOG_WARN, "ACP: agent sent a response without a usable id: " +
                           preview(dumpJson(message)));
    return;
  }
  ResponseHandler handler;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = pending_.find(id);
    if (it == pending_.end()) {
      log(LLMP_LOG_DEBUG, "ACP: response for unknown or abandoned request id " +
                              std::to_string(id));
      return;
    }
    handler = std::move(it->second);
    pending_.erase(it);
  }
  RpcOutcome outcome;
  auto error = message.find("error");
  if (error != message.end() && !error->is_null()) {
    outcome.kind = RpcOutcome::Kind::Error;
    if (error->is_object()) {
      outcome.code = error->value("code", static_cast<int64_t>(kInternalError));
      if (error->contains("message") && (*error)["message"].is_string()) {
        outcome.message = (*error)["message"].get<std::string>();
      }
      outcome.data = error->value("data", Json());
    } else {
      outcome.code = kInternalError;
      outcome.message = "malformed error object";
    }
  } else {
    outcome.kind = RpcOutcome::Kind::Result;
    outcome.result = message.value("result", Json());
  }
  handler(std::move(outcome));
}

void JsonRpcPeer::handleRequest(const Json& message) {
  const Json& id = message["id"];
  std::string method = message["method"].get<std::string>();
  static const Json kNoParams = Json::object();
  auto paramsIt = message.find("params");
  const Json& params = paramsIt != message.end() ? *paramsIt : kNoParams;

  RpcReply reply;
  if (!id.is_number() && !id.is_string()) {
    reply = RpcReply::error(kInvalidRequest, "invalid request id");
  } else if (!requestHandler_) {
    reply = RpcReply::error(kMethodNotFound, "Method not found: " + method);
  } else {
    try {
      reply = requestHandler_(method, params);
    } catch (const std::exception& e) {
      reply = RpcReply::error(kInternalError, std::string("internal error: ") + e.what());
    }
  }
  Json response = {{"jsonrpc", "2.0"}, {"id", id}};
  if (reply.isError) {
    response["error"] = {{"code", reply.code}, {"message", reply.message}};
  } else {
    response["result"] = reply.result;
  }
  if (!writeMessage(response)) {
    log(LLMP_LOG_DEBUG, "ACP: could not answer agent request " + method);
  }
}

void JsonRpcPeer::close(const std::string& reason) {
  std::map<int64_t, ResponseHandler> failed;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (closed_) {
      return;
    }
    closed_ = true;
    closeReason_ = reason;
    failed.swap(pending_);
  }
  for (auto& entry : failed) {
    entry.second(RpcOutcome::transport(reason));
  }
}

bool JsonRpcPeer::closed() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return closed_;
}

size_t JsonRpcPeer::pendingCount() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return pending_.size();
}

}  // namespace llmp::plugins::gemini_acp
