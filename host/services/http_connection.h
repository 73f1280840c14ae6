// One upstream HTTP/1.1 connection: a Poco client session plus the low-level reads the body
// reader needs (Poco keeps them protected). Used by one thread at a time; pooled between uses.
#pragma once

#include <Poco/Net/Context.h>
#include <Poco/Net/HTTPClientSession.h>

#include <cstdint>
#include <ios>
#include <memory>
#include <string>
#include <string_view>

#include "services/http_url.h"

namespace llmp::host::services {

class HttpConnection {
 public:
  virtual ~HttpConnection() = default;

  virtual Poco::Net::HTTPClientSession& session() = 0;
  // Connects now (TCP connect with the session's connection timeout, then the TLS handshake).
  virtual void open() = 0;
  // Bytes given back with unread() first, then bytes already buffered by the session, else at
  // most one socket read. 0 when the peer closed the connection; on a non-blocking socket, a
  // negative value when nothing is there yet (Poco::Net::SecureStreamSocket::ERR_SSL_WANT_WRITE:
  // TLS must write first).
  int readSome(char* buffer, std::streamsize length);
  // Bytes received but not consumed yet.
  int bufferedBytes();
  // Gives back bytes read past the response head: the body reader (or the relay) gets them
  // first, and a connection that still holds any is not reused.
  void unread(std::string_view bytes) { unread_.assign(bytes); unreadPos_ = 0; }

  // Sets SO_RCVTIMEO unless it already has this value (saves a syscall per request).
  void setReceiveTimeoutMs(int64_t ms);
  void forgetReceiveTimeout() { receiveTimeoutMs_ = -1; }
  // Non-blocking on a fiber (whose waits go through its loop), blocking elsewhere; an ioctl only
  // when the mode changes.
  void setNonBlocking(bool on);
  bool nonBlocking() const { return nonBlocking_; }
  void forgetBlockingMode() { nonBlocking_ = false; }  // a new socket starts blocking
  int fd();

  int64_t idleSinceMs = 0;  // when it went back into the pool

 protected:
  virtual int readFromSession(char* buffer, std::streamsize length) = 0;
  virtual int sessionBuffered() = 0;

 private:
  int64_t receiveTimeoutMs_ = -1;
  bool nonBlocking_ = false;
  std::string unread_;
  size_t unreadPos_ = 0;
};

// A fresh, unconnected connection for url; tls must be set for https URLs.
std::unique_ptr<HttpConnection> makeHttpConnection(const HttpUrl& url,
                                                   const Poco::Net::Context::Ptr& tls);

}  // namespace llmp::host::services
