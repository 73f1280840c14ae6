// One client connection's request loop, in place of Poco's HTTPServerConnection.
//
// Poco's loop waits for each keep-alive request with Socket::poll, which Poco 1.11 implements as
// epoll_create + epoll_ctl + epoll_wait + close: four syscalls and a kernel epoll instance per
// request. This loop waits with one poll(2), formats the Date header once per second instead of
// once per request, and otherwise keeps Poco's request/response classes and error behaviour
// (400 on a malformed request, 500 when a handler throws before answering).
#pragma once

#include <atomic>
#include <mutex>
#include <set>

#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/TCPServerConnection.h>
#include <Poco/Net/TCPServerConnectionFactory.h>

namespace llmp::host {

class ProxyConnection;

// Creates the connections and keeps a list of the open ones so that a stop can abort them.
class ProxyConnectionFactory : public Poco::Net::TCPServerConnectionFactory {
 public:
  ProxyConnectionFactory(Poco::Net::HTTPServerParams::Ptr params,
                         Poco::Net::HTTPRequestHandlerFactory::Ptr handlers);
  Poco::Net::TCPServerConnection* createConnection(const Poco::Net::StreamSocket& socket) override;

  // Shuts down every open connection's socket: blocked reads and writes return at once.
  void abortAll();

  const Poco::Net::HTTPServerParams& params() const { return *params_; }
  Poco::Net::HTTPServerParams::Ptr paramsPtr() const { return params_; }
  Poco::Net::HTTPRequestHandlerFactory& handlers() { return *handlers_; }
  bool stopped() const { return stopped_.load(std::memory_order_relaxed); }

 private:
  friend class ProxyConnection;
  void opened(ProxyConnection* c);
  void closed(ProxyConnection* c);

  Poco::Net::HTTPServerParams::Ptr params_;
  Poco::Net::HTTPRequestHandlerFactory::Ptr handlers_;
  std::atomic<bool> stopped_{false};
  std::mutex mutex_;
  std::set<ProxyConnection*> open_;
};

class ProxyConnection : public Poco::Net::TCPServerConnection {
 public:
  ProxyConnection(const Poco::Net::StreamSocket& socket, ProxyConnectionFactory& factory);
  ~ProxyConnection() override;
  void run() override;
  void abort();

 private:
  ProxyConnectionFactory& factory_;
};

}  // namespace llmp::host
