#include "server/proxy_connection.h"

#include <poll.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstdio>
#include <ctime>
#include <memory>
#include <string>

#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPServerRequestImpl.h>
#include <Poco/Net/HTTPServerResponseImpl.h>
#include <Poco/Net/HTTPServerSession.h>
#include <Poco/Net/NetException.h>
#include <Poco/Net/SocketImpl.h>

namespace llmp::host {
namespace {

using Poco::Net::HTTPResponse;

// Poco's server session, plus a wait for the next request that costs one poll(2).
class KeepAliveSession : public Poco::Net::HTTPServerSession {
 public:
  KeepAliveSession(const Poco::Net::StreamSocket& socket, Poco::Net::HTTPServerParams::Ptr params)
      : HTTPServerSession(socket, params) {}

  // True when the next request has started to arrive (or is already buffered) within timeout.
  bool awaitRequest(const Poco::Timespan& timeout) {
    if (!socket().impl()->initialized()) {
      return false;
    }
    if (buffered() > 0) {
      return true;  // a pipelined request is already in the session's buffer
    }
    pollfd p{socket().impl()->sockfd(), POLLIN, 0};
    const int ms = static_cast<int>(std::min<Poco::Timespan::TimeDiff>(
        timeout.totalMilliseconds(), static_cast<Poco::Timespan::TimeDiff>(INT_MAX)));
    int ready = 0;
    do {
      ready = ::poll(&p, 1, ms);
    } while (ready < 0 && errno == EINTR);
    return ready > 0;
  }
};

// The Date header (RFC 9110 IMF-fixdate), formatted once per second per thread.
const std::string& httpDate() {
  static const char* const kDays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static const char* const kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                        "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  thread_local time_t second = -1;
  thread_local std::string text;
  const time_t now = ::time(nullptr);
  if (now != second) {
    second = now;
    tm t{};
    gmtime_r(&now, &t);
    char buf[40];
    std::snprintf(buf, sizeof buf, "%s, %02d %s %04d %02d:%02d:%02d GMT", kDays[t.tm_wday % 7],
                  t.tm_mday, kMonths[t.tm_mon % 12], t.tm_year + 1900, t.tm_hour, t.tm_min,
                  t.tm_sec);
    text = buf;
  }
  return text;
}

void sendErrorResponse(Poco::Net::HTTPServerSession& session, HTTPResponse::HTTPStatus status) {
  Poco::Net::HTTPServerResponseImpl response(session);
  response.setVersion(Poco::Net::HTTPMessage::HTTP_1_1);
  response.setStatusAndReason(status);
  response.setKeepAlive(false);
  response.send();
  session.setKeepAlive(false);
}

}  // namespace

ProxyConnectionFactory::ProxyConnectionFactory(Poco::Net::HTTPServerParams::Ptr params,
                                               Poco::Net::HTTPRequestHandlerFactory::Ptr handlers)
    : params_(std::move(params)), handlers_(std::move(handlers)) {}

Poco::Net::TCPServerConnection* ProxyConnectionFactory::createConnection(
    const Poco::Net::StreamSocket& socket) {
  return new ProxyConnection(socket, *this);
}

void ProxyConnectionFactory::opened(ProxyConnection* c) {
  std::lock_guard<std::mutex> lock(mutex_);
  open_.insert(c);
}

void ProxyConnectionFactory::closed(ProxyConnection* c) {
  std::lock_guard<std::mutex> lock(mutex_);
  open_.erase(c);
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
    : TCPServerConnection(socket), factory_(factory) {
  factory_.opened(this);
}

ProxyConnection::~ProxyConnection() { factory_.closed(this); }

void ProxyConnection::abort() {
  try {
    socket().shutdown();
  } catch (...) {
    // already closed by the peer: nothing left to abort
  }
}

void ProxyConnection::run() {
  const Poco::Net::HTTPServerParams& params = factory_.params();
  const std::string server = params.getSoftwareVersion();
  KeepAliveSession session(socket(), factory_.paramsPtr());
  bool first = true;
  while (!factory_.stopped()) {
    if (!session.awaitRequest(first ? params.getTimeout() : params.getKeepAliveTimeout())) {
      break;
    }
    first = false;
    try {
      Poco::Net::HTTPServerResponseImpl response(session);
      Poco::Net::HTTPServerRequestImpl request(response, session, factory_.paramsPtr());
      if (request.getVersion() != Poco::Net::HTTPMessage::HTTP_1_0 &&
          request.getVersion() != Poco::Net::HTTPMessage::HTTP_1_1) {
        // Poco reads "THIS IS NOT HTTP" as method, target and version; it is not a request.
        throw Poco::Net::MessageException("not an HTTP/1.x request line");
      }
      response.set("Date", httpDate());
      response.setVersion(request.getVersion());
      // No per-connection request limit (Poco's canKeepAlive() only counts down a limit, and
      // only inside its own loop).
      response.setKeepAlive(params.getKeepAlive() && request.getKeepAlive());
      if (!server.empty()) {
        response.set("Server", server);
      }
      try {
        std::unique_ptr<Poco::Net::HTTPRequestHandler> handler(
            factory_.handlers().createRequestHandler(request));
        if (request.getExpectContinue() && response.getStatus() == HTTPResponse::HTTP_OK) {
          response.sendContinue();
        }
        handler->handleRequest(request, response);
        session.setKeepAlive(params.getKeepAlive() && response.getKeepAlive());
      } catch (const Poco::Exception&) {
        if (!response.sent()) {
          try {
            sendErrorResponse(session, HTTPResponse::HTTP_INTERNAL_SERVER_ERROR);
          } catch (...) {
            // the client is gone; nothing to tell it
          }
        }
        throw;
      }
    } catch (const Poco::Net::NoMessageException&) {
      break;  // the client closed the connection between requests
    } catch (const Poco::Net::MessageException&) {
      try {
        sendErrorResponse(session, HTTPResponse::HTTP_BAD_REQUEST);
      } catch (...) {
        // the client is gone; nothing to tell it
      }
      break;
    } catch (const Poco::Exception&) {
      break;  // network error or timeout: the connection is unusable
    }
    if (!session.getKeepAlive()) {
      break;
    }
  }
}

}  // namespace llmp::host
