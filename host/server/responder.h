// llmp_responder over a Poco HTTPServerResponse: one-shot responses with Content-Length, or
// chunked streams whose chunks the responder writes straight to the client's socket.
//
// Stream writes never block an I/O thread: called from a relayed body callback
// (services::RelayWrites::current()), a write the socket cannot take at once is kept and the
// relay hands the stream back to its request thread, which flushes it. On a request thread a
// write waits for the client, at most kClientSendTimeoutMs. The head (send, begin) goes out through
// Poco, blocking, onto the connection's still empty send buffer.
#pragma once

#include <ostream>
#include <string>

#include <Poco/Net/HTTPServerResponse.h>
#include <llmp/frontend.h>

#include "services/stream_relay.h"

namespace llmp::host {

class PocoResponder : public services::DeferredWriter {
 public:
  // socketFd: the client's socket, for chunk writes; -1 writes through Poco's stream instead.
  explicit PocoResponder(Poco::Net::HTTPServerResponse& response, int socketFd = -1);
  ~PocoResponder() override;  // flushes kept bytes before Poco ends the chunked body
  const llmp_responder* responder() const { return &responder_; }
  bool started() const { return sent_ || stream_ != nullptr; }
  // Sends a JSON body if the front end answered nothing at all.
  void sendFallback(int status, const std::string& json);

  bool flushDeferred() override;

  // How long a blocking chunk write waits for a client that reads nothing.
  static constexpr int kClientSendTimeoutMs = 300000;

 private:
  static llmp_status send(void* ctx, int32_t status, const llmp_header* headers, size_t count,
                          llmp_bytes body);
  static llmp_status begin(void* ctx, int32_t status, const llmp_header* headers, size_t count);
  static llmp_status write(void* ctx, llmp_bytes data);
  void applyHead(int32_t status, const llmp_header* headers, size_t count);
  llmp_status writeChunk(llmp_bytes data);

  Poco::Net::HTTPServerResponse& response_;
  const int fd_;
  std::ostream* stream_ = nullptr;
  std::string kept_;  // framed chunk bytes not sent yet (only from an I/O thread's write)
  bool sent_ = false;
  bool broken_ = false;
  llmp_responder responder_{};
};

}  // namespace llmp::host
