#include "server/proxy_connection.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <string>

#include <Poco/Exception.h>
#include <Poco/Net/SocketImpl.h>

#include "server/client_connection.h"
#include "server/request_handler.h"
#include "server/responder.h"
#include "services/clock.h"

namespace llmp::host {
namespace {

// The answer to bytes that are not an HTTP/1.x request: no front end can claim them, so the
// reason goes in a plain-text body, and the connection closes.
void sendBareError(ClientConnection& connection, int status, const char* why) {
  std::string text = std::string(why) + "\n";
  std::string head = "HTTP/1.1 " + std::to_string(status) +
                     (status == 431 ? " Request Header Fields Too Large" : " Bad Request") +
                     "\r\nConnection: close\r\nContent-Type: text/plain\r\nContent-Length: " +
                     std::to_string(text.size()) + "\r\n\r\n";
  iovec iov[2] = {{head.data(), head.size()}, {text.data(), text.size()}};
  connection.send(iov, 2, ClientResponder::kClientSendTimeoutMs);
}

}  // namespace

void ProxyConnectionFactory::serve(const Poco::Net::StreamSocket& socket) {
  ProxyConnection connection(socket, *this);
  connection.run();
}

void ProxyConnectionFactory::opened(ProxyConnection* c) {
  std::lock_guard<std::mutex> lock(mutex_);
  open_.insert(c);
}

void ProxyConnectionFactory::closed(ProxyConnection* c) {
  std::lock_guard<std::mutex> lock(mutex_);
  open_.erase(c);
}

void ProxyConnectionFactory::park(const Poco::Net::StreamSocket& socket, int64_t deadlineMs) {
  if (parking_ != nullptr && !stopped()) {
    parking_->park(socket, deadlineMs);
  }
  // Otherwise the socket closes with its last owner, the connection.
}

void ProxyConnectionFactory::abortAll() {
  stopped_.store(true);
  std::lock_guard<std::mutex> lock(mutex_);
  for (ProxyConnection* c : open_) {
    c->abort();
  }
}

ProxyConnection::ProxyConnection(const Poco::Net::StreamSocket& socket,
                                 ProxyConnectionFactory& factory)
    : socket_(socket), factory_(factory) {
  factory_.opened(this);
}

ProxyConnection::~ProxyConnection() { factory_.closed(this); }

void ProxyConnection::abort() {
  try {
    socket_.shutdown();
  } catch (...) {
    // already closed by the peer: nothing left to abort
  }
}

void ProxyConnection::run() {
  int fd = socket_.impl()->sockfd();
  // Each response goes out in one write; Nagle's algorithm would only hold back stream chunks.
  int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  socket_.setBlocking(false);  // waits go through the fiber's loop (server/client_connection.h)
  std::string remote;
  try {
    remote = socket_.peerAddress().toString();
  } catch (const Poco::Exception&) {
    return;  // the client is already gone
  }
  // client_timeout_seconds: idle between requests (parked or not), a head still arriving, a
  // body gone silent.
  const int64_t timeoutMs = factory_.context().config->clientTimeoutMs;
  ClientConnection connection(fd, std::move(remote));
  connection.setReadTimeoutMs(static_cast<int>(timeoutMs));
  connection.setIdleWaitMs(kParkAfterIdleMs);
  int64_t idleSince = services::monotonicMs();
  while (!factory_.stopped()) {
    const char* why = "";
    switch (connection.readHead(&why)) {
      case ClientConnection::ReadHead::Ok:
        break;
      case ClientConnection::ReadHead::Idle:
        // Nothing of a next request is here (nor buffered): the fiber ends.
        factory_.park(socket_, idleSince + timeoutMs);
        return;
      case ClientConnection::ReadHead::Closed:
        return;
      case ClientConnection::ReadHead::Malformed:
        sendBareError(connection, 400, why);
        return;
      case ClientConnection::ReadHead::TooLarge:
        sendBareError(connection, 431, why);
        return;
    }
    ClientResponder responder(connection);
    serveRequest(factory_.context(), connection, responder);
    if (!responder.finish() || connection.bodyPending()) {
      return;
    }
    connection.releaseLargeBuffers();
    idleSince = services::monotonicMs();
  }
}

}  // namespace llmp::host
