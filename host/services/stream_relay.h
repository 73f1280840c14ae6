// Moves upstream response bodies to their sinks on a few event-loop (epoll) threads, so a
// streamed answer costs no thread wake-up per event: the request thread (or fiber) that called
// http_fetch sleeps until the body has ended, and one I/O thread serves every stream that has
// data. On a fiber this still pays: the relay reads each event with no epoll registration and no
// stack switch per event.
//
// Only for requests that opted in with LLMP_HTTP_BODY_ON_IO_THREAD (their on_body may run on a
// host thread). Client writes made from such a callback must not block the loop: the responder
// asks RelayWrites::current() and, when the client cannot take the bytes at once, keeps them and
// calls defer(); the relay then hands the stream back to its request thread, which flushes the
// kept bytes and reads the rest of the body itself.
#pragma once

#include <llmp/host.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "services/body_decoder.h"
#include "services/http_connection.h"

namespace llmp::host::services {

// A writer that kept bytes it could not send without blocking.
class DeferredWriter {
 public:
  virtual ~DeferredWriter() = default;
  // Sends the kept bytes, blocking; false when the client is gone.
  virtual bool flushDeferred() = 0;
};

// Set while a relayed on_body callback runs on an I/O thread.
class RelayWrites {
 public:
  // Non-null only inside a callback on an I/O thread: writes to a client must not block.
  static RelayWrites* current();
  void defer(DeferredWriter* writer) { deferred_ = writer; }
  DeferredWriter* deferred() const { return deferred_; }

 private:
  friend class StreamRelay;
  DeferredWriter* deferred_ = nullptr;
};

// One body to relay. Owned by the request thread, which waits in StreamRelay::relay().
struct RelayedBody {
  HttpConnection* conn = nullptr;
  BodyDecoder* decoder = nullptr;
  const llmp_http_response_sink* sink = nullptr;
  uint32_t idleMs = 0;
  int64_t deadlineMs = 0;  // monotonic; 0 = no total timeout
  bool tls = false;
};

// Hands one decoded piece of body to the sink's on_body (an empty piece or a NULL on_body is a
// no-op). False when the sink asked to stop, or threw across the C ABI.
bool deliverBodyPiece(const llmp_http_response_sink& sink, std::string_view piece);

struct RelayOutcome {
  // Truncated: the peer closed before the body's end.
  enum class Kind { Complete, HandedBack, Cancelled, TimedOutIdle, TimedOutTotal, Truncated, Failed };
  Kind kind = Kind::Complete;
  std::string message;             // for Failed: what went wrong (no peer name)
  // Bytes a client write kept (any kind): the request thread flushes them before anything else.
  DeferredWriter* deferred = nullptr;
};

class StreamRelay {
 public:
  // threads == 0: one per CPU this process may run on, at most 4.
  explicit StreamRelay(unsigned threads = 0);
  ~StreamRelay();  // ends every body still relayed as Failed ("shutting down")
  StreamRelay(const StreamRelay&) = delete;
  StreamRelay& operator=(const StreamRelay&) = delete;

  // True on a relay thread (inside a relayed callback): a fetch made from there must read its own
  // body, since waiting for a relay thread could be waiting for itself.
  static bool onRelayThread();

  // Blocks until the body ended, failed, timed out, was cancelled by the sink, or is handed back
  // to the caller (a client write would have blocked, or TLS needs to write while reading).
  // The connection's socket is non-blocking meanwhile and back in the caller's mode on return.
  RelayOutcome relay(RelayedBody& body);

 private:
  struct Stream;
  struct Loop;

  Loop& nextLoop();

  std::vector<std::unique_ptr<Loop>> loops_;
  std::atomic<size_t> next_{0};
};

}  // namespace llmp::host::services
