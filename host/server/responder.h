// llmp_responder over a client connection: one-shot responses with Content-Length, or chunked
// streams. The host frames every response itself: a one-shot response (head and body) goes out
// in one sendmsg, a stream chunk (size line, data, CRLF) in one more.
//
// Writes never block an I/O thread: called from a relayed body callback
// (services::RelayWrites::current()), bytes the socket cannot take at once are kept and the relay
// hands the stream back to its request thread, which flushes them. On a request thread a write
// waits for the client, at most kClientSendTimeoutMs.
#pragma once

#include <string>

#include <llmp/frontend.h>

#include "server/client_connection.h"
#include "services/stream_relay.h"

namespace llmp::host {

class ClientResponder : public services::DeferredWriter {
 public:
  explicit ClientResponder(ClientConnection& connection);
  const llmp_responder* responder() const { return &responder_; }
  bool started() const { return sent_ || streaming_; }
  // Sends a JSON body if the front end answered nothing at all.
  void sendFallback(int status, const std::string& json);
  // Announces "Connection: close" in the head and ends the connection after this response.
  // Only effective before the head is sent.
  void closeAfterResponse() { keepAlive_ = false; }

  // Ends the response (flushes kept bytes, the last chunk of a stream). True when the
  // connection can carry another request.
  bool finish();

  bool flushDeferred() override;

  // How long a blocking write waits for a client that reads nothing.
  static constexpr int kClientSendTimeoutMs = 300000;

 private:
  static llmp_status send(void* ctx, int32_t status, const llmp_header* headers, size_t count,
                          llmp_bytes body);
  static llmp_status begin(void* ctx, int32_t status, const llmp_header* headers, size_t count);
  static llmp_status write(void* ctx, llmp_bytes data);
  // Formats the status line and header fields into head_; bodyLength < 0 frames a stream.
  void formatHead(int32_t status, const llmp_header* headers, size_t count, int64_t bodyLength);
  // Sends iov: blocking on a request thread, keeping what does not fit on an I/O thread.
  llmp_status emit(iovec* iov, int count);

  ClientConnection& connection_;
  std::string& head_;  // the connection's: its capacity stays for the next request
  std::string kept_;  // bytes not sent yet (only from an I/O thread's write)
  bool keepAlive_;
  bool chunked_ = false;  // HTTP/1.0 streams are sent unframed and end with the close
  bool sent_ = false;
  bool streaming_ = false;
  bool broken_ = false;
  llmp_responder responder_{};
};

}  // namespace llmp::host
