#include "services/http_connection.h"

#include <Poco/Net/HTTPSClientSession.h>
#include <Poco/Net/SecureStreamSocket.h>
#include <Poco/Net/SocketImpl.h>
#include <Poco/Timespan.h>

#include <algorithm>
#include <cstring>
#include <type_traits>

namespace llmp::host::services {
namespace {

// Poco's sessions keep read()/get()/refill() protected; this opens them up for the body reader.
template <class Session>
class ConnectionImpl final : public Session, public HttpConnection {
 public:
  template <class... Args>
  explicit ConnectionImpl(Args&&... args) : Session(std::forward<Args>(args)...) {
    // The pool decides when an idle connection is too old; Poco must not silently reconnect.
    this->setKeepAliveTimeout(Poco::Timespan(24 * 3600, 0));
  }

  Poco::Net::HTTPClientSession& session() override { return *this; }

  void open() override {
    forgetReceiveTimeout();
    forgetBlockingMode();
    this->reconnect();
    if constexpr (std::is_same_v<Session, Poco::Net::HTTPSClientSession>) {
      // Poco returns from a handshake that ran into the connect timeout as if it had finished,
      // and its host-name check passes when no certificate has arrived yet. Without the
      // server's certificate the connection is not established.
      Poco::Net::SecureStreamSocket secure(this->socket());
      if (!secure.havePeerCertificate()) {
        throw Poco::TimeoutException("TLS handshake did not finish");
      }
    }
  }

 protected:
  int readFromSession(char* buffer, std::streamsize length) override {
    return this->read(buffer, length);  // HTTPSClientSession::read maps an unclean TLS close to 0
  }

  int sessionBuffered() override { return this->buffered(); }
};

}  // namespace

int HttpConnection::readSome(char* buffer, std::streamsize length) {
  if (unreadPos_ < unread_.size()) {
    const size_t n = std::min(unread_.size() - unreadPos_, static_cast<size_t>(length));
    std::memcpy(buffer, unread_.data() + unreadPos_, n);
    unreadPos_ += n;
    return static_cast<int>(n);
  }
  return readFromSession(buffer, length);
}

int HttpConnection::bufferedBytes() {
  return static_cast<int>(unread_.size() - unreadPos_) + sessionBuffered();
}

void HttpConnection::setNonBlocking(bool on) {
  if (on != nonBlocking_) {
    session().socket().setBlocking(!on);
    nonBlocking_ = on;
  }
}

int HttpConnection::fd() { return session().socket().impl()->sockfd(); }

void HttpConnection::setReceiveTimeoutMs(int64_t ms) {
  if (ms == receiveTimeoutMs_) {
    return;
  }
  session().socket().setReceiveTimeout(Poco::Timespan(ms * 1000));
  receiveTimeoutMs_ = ms;
}

std::unique_ptr<HttpConnection> makeHttpConnection(const HttpUrl& url,
                                                   const Poco::Net::Context::Ptr& tls) {
  if (url.tls) {
    return std::make_unique<ConnectionImpl<Poco::Net::HTTPSClientSession>>(url.host, url.port, tls);
  }
  return std::make_unique<ConnectionImpl<Poco::Net::HTTPClientSession>>(url.host, url.port);
}

}  // namespace llmp::host::services
