// One client's TCP connection on the server side: the bytes read but not consumed yet, the head
// of the request being served, and reads and writes with timeouts on the raw socket.
//
// The socket is non-blocking: a read or write that finds nothing to do waits through
// fiber::waitFd, which on a fiber yields to its event loop (and polls elsewhere). A connection
// that stays idle is reported as such (it can then be parked, server/parking_lot.h); the peer's
// address is formatted once per connection, not once per request. Pipelined requests stay
// buffered until their turn.
#pragma once

#include <sys/types.h>
#include <sys/uio.h>

#include <cstddef>
#include <string>
#include <vector>

#include "server/request_head.h"

namespace llmp::host {

class ClientConnection {
 public:
  // fd stays owned by the caller and must be non-blocking. remoteAddress: "ip:port" of the client.
  ClientConnection(int fd, std::string remoteAddress);

  int fd() const { return fd_; }
  const std::string& remoteAddress() const { return remote_; }

  // How long a request's head may take once it has started, and how long the client may stay
  // silent while its body is read.
  void setReadTimeoutMs(int ms) { readTimeoutMs_ = ms > 0 ? ms : 1; }
  // How long readHead waits for the first byte of the next request before it reports Idle.
  void setIdleWaitMs(int ms) { idleWaitMs_ = ms > 0 ? ms : 1; }

  enum class ReadHead { Ok, Idle, Closed, Malformed, TooLarge };
  // Reads the next request's head. Idle: nothing of it arrived within the idle wait and nothing
  // is buffered (the connection can be parked). Closed: the client closed or failed before a
  // whole head arrived, or the head took longer than the read timeout from its first byte (a
  // client trickling bytes cannot hold the thread for longer). On Malformed or TooLarge *why says why.
  ReadHead readHead(const char** why);
  const RequestHead& head() const { return head_; }

  enum class ReadBody { Ok, TooLarge, Failed };
  // Reads the body the head announced (Content-Length or chunked) into *body, sending
  // 100 Continue first when the client waits for it. TooLarge: the body exceeds maxBytes (it is
  // left unread). Failed: the client closed, stalled for the read timeout, or broke the chunked
  // framing.
  ReadBody readBody(size_t maxBytes, std::string* body);
  // True while the current request's body is still unread: the connection cannot carry another
  // request.
  bool bodyPending() const { return bodyPending_; }

  // Buffers each request on this connection reuses, so a keep-alive request allocates nothing for
  // its body or its response head. releaseLargeBuffers() (after each request) gives back any
  // that grew past kKeptBufferBytes: an idle connection must not hold a large body's memory.
  std::string& bodyBuffer() { return body_; }
  std::string& responseHeadBuffer() { return responseHead_; }
  void releaseLargeBuffers();
  static constexpr size_t kKeptBufferBytes = 64 * 1024;

  // Sends every byte of iov, waiting at most timeoutMs for a client that reads nothing; with
  // timeoutMs < 0 makes one non-blocking attempt. Returns the bytes sent, or -1 once the client
  // is gone or the timeout ran out. iov is consumed.
  ssize_t send(iovec* iov, int count, int timeoutMs);

 private:
  enum class Fill { Data, Idle, Closed };
  static constexpr int64_t kMayIdle = -1;
  // Reads whatever the socket has (at least one byte) into the buffer. With kMayIdle: Idle when
  // nothing came within the idle wait. Otherwise waits until deadlineMs (monotonic): Closed when
  // nothing came by then. Closed also when the client closed or the read failed.
  // waitFirst: wait for the socket before the first recv (when nothing can be there yet).
  Fill fill(int64_t deadlineMs, bool waitFirst = false);
  size_t buffered() const { return end_ - begin_; }
  const char* data() const { return in_.data() + begin_; }
  void consume(size_t n);
  // Points the parsed head's views at headBytes_, which outlives the read buffer's changes.
  void keepHead(size_t headLength);

  int fd_;
  std::string remote_;
  int readTimeoutMs_ = 60000;
  int idleWaitMs_ = 1000;
  std::vector<char> in_;
  size_t begin_ = 0;
  size_t end_ = 0;
  std::string headBytes_;
  RequestHead head_;
  bool bodyPending_ = false;
  bool waitFirst_ = false;  // the next readHead follows a response (see readHead)
  std::string body_;
  std::string responseHead_;
};

}  // namespace llmp::host
