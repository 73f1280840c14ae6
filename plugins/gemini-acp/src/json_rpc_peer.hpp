// A bidirectional JSON-RPC 2.0 peer over newline-delimited JSON (the ACP stdio transport).
// Both sides send requests, so the peer keeps its own id space for outgoing calls, matches
// responses by id in any order, answers the other side's requests through a handler and hands
// notifications to another. It owns no transport: bytes go out through a writer function and
// come in through feed(), which makes it testable without a process.
#pragma once

#include <llmp/cpp/json.hpp>

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

namespace llmp::plugins::gemini_acp {

// The outcome of an outgoing call.
struct RpcOutcome {
  enum class Kind {
    Result,     // the peer answered with `result`
    Error,      // the peer answered with `error` (code, message, data)
    Transport,  // the connection closed or a write failed before an answer came
    Timeout,    // no answer within the caller's bound (blocking call only)
  };
  Kind kind = Kind::Transport;
  Json result;
  int64_t code = 0;
  std::string message;
  Json data;

  bool ok() const { return kind == Kind::Result; }
  static RpcOutcome transport(std::string message);
};

// What a request handler answers: a result, or an error object.
struct RpcReply {
  bool isError = false;
  Json result;  // null is a valid result
  int64_t code = 0;
  std::string message;

  static RpcReply ok(Json result) { return RpcReply{false, std::move(result), 0, {}}; }
  static RpcReply error(int64_t code, std::string message) {
    return RpcReply{true, nullptr, code, std::move(message)};
  }
};

class JsonRpcPeer {
 public:
  // Writes one complete line (the peer appends '\n'); false when the transport is gone.
  using Writer = std::function<bool(std::string_view line)>;
  using RequestHandler = std::function<RpcReply(const std::string& method, const Json& params)>;
  using NotificationHandler = std::function<void(const std::string& method, const Json& params)>;
  using ResponseHandler = std::function<void(RpcOutcome outcome)>;
  // level: LLMP_LOG_* values.
  using Logger = std::function<void(int32_t level, const std::string& message)>;

  // Lines longer than this are dropped (a runaway child must not exhaust memory).
  static constexpr size_t kMaxLineBytes = 64u * 1024u * 1024u;

  explicit JsonRpcPeer(Writer writer);
  ~JsonRpcPeer();
  JsonRpcPeer(const JsonRpcPeer&) = delete;
  JsonRpcPeer& operator=(const JsonRpcPeer&) = delete;

  // Handlers must be set before the first feed(). They run on the thread that calls feed(),
  // outside the peer's locks. Without a request handler every request gets -32601.
  void setRequestHandler(RequestHandler handler) { requestHandler_ = std::move(handler); }
  void setNotificationHandler(NotificationHandler handler) {
    notificationHandler_ = std::move(handler);
  }
  void setLogger(Logger logger) { logger_ = std::move(logger); }

  // Sends a request; onResponse runs exactly once (on the feeding thread for answers, on the
  // calling thread when the peer is already closed or the write fails, on the closing thread
  // when close() fails it). Returns the request id.
  int64_t callAsync(const std::string& method, Json params, ResponseHandler onResponse);
  // Sends a request and waits up to `timeout` for its answer.
  RpcOutcome call(const std::string& method, Json params, std::chrono::milliseconds timeout);
  // Forgets a pending call without running its handler (e.g. after the caller gave up).
  void abandon(int64_t id);
  // Sends a notification; false when the transport is gone.
  bool notify(const std::string& method, Json params);

  // Feeds bytes read from the other side; complete lines are dispatched in order.
  void feed(std::string_view bytes);
  // Marks the connection closed and fails every pending call with a Transport outcome carrying
  // `reason`. Later calls fail at once. Idempotent.
  void close(const std::string& reason);
  bool closed() const;
  size_t pendingCount() const;

 private:
  void handleLine(std::string_view line);
  void handleResponse(const Json& message);
  void handleRequest(const Json& message);
  bool writeMessage(const Json& message);
  void log(int32_t level, const std::string& message) const;

  Writer writer_;
  RequestHandler requestHandler_;
  NotificationHandler notificationHandler_;
  Logger logger_;

  mutable std::mutex mutex_;
  std::map<int64_t, ResponseHandler> pending_;
  int64_t nextId_ = 0;
  bool closed_ = false;
  std::string closeReason_;

  std::mutex writeMutex_;  // keeps concurrent lines from interleaving on the pipe
  std::string buffer_;     // bytes of an unfinished line (feed() is never concurrent)
  bool discarding_ = false;  // inside an over-long line, skipping to its end
};

}  // namespace llmp::plugins::gemini_acp
