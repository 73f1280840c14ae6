// The HTTP server: a Poco TCPServer (accepting, one pool thread per open connection) running the
// host's own HTTP/1.1 connection loop (server/proxy_connection.h), which hands each request to the
// front end that claims it (server/request_handler.h).
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <string>

#include <Poco/Net/TCPServer.h>
#include <Poco/SharedPtr.h>
#include <Poco/ThreadPool.h>

#include "auth/proxy_auth.h"
#include "config/config.h"
#include "router/router.h"
#include "server/frontend_set.h"

namespace llmp::host {

struct ServerContext {
  const Config* config = nullptr;
  FrontendSet* frontends = nullptr;
  Router* router = nullptr;
  const ProxyAuth* auth = nullptr;
  std::function<std::string()> healthJson;  // body of GET /healthz
  std::atomic<int64_t> inFlight{0};
};

class ProxyServer {
 public:
  explicit ProxyServer(ServerContext& context);
  ~ProxyServer();
  // Binds and starts serving; throws ConfigError when the address cannot be bound.
  void start(const std::string& host, uint16_t port);
  uint16_t port() const { return port_; }
  // Stops accepting, lets in-flight requests finish for up to graceMs, then stops.
  void stop(int64_t graceMs);

 private:
  ServerContext& context_;
  std::unique_ptr<Poco::ThreadPool> pool_;
  std::unique_ptr<Poco::Net::TCPServer> server_;
  Poco::SharedPtr<class ProxyConnectionFactory> connections_;  // shared with server_
  uint16_t port_ = 0;
};

}  // namespace llmp::host
