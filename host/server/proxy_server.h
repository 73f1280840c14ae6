// The HTTP server: an accept thread feeding a Poco TCPServerDispatcher, whose pool threads run the
// host's own HTTP/1.1 connection loop (server/proxy_connection.h) and hand each request to the
// front end that claims it (server/request_handler.h). A connection idle for a second leaves its
// thread for the parking lot (server/parking_lot.h) and comes back through the same dispatcher.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <thread>

#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/TCPServerDispatcher.h>
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
  void acceptLoop();

  ServerContext& context_;
  std::unique_ptr<Poco::ThreadPool> pool_;
  Poco::Net::ServerSocket listener_;
  std::thread acceptor_;
  std::atomic<bool> accepting_{false};
  // New and revived connections wait here for a pool thread. Reference-counted by Poco.
  Poco::Net::TCPServerDispatcher* dispatcher_ = nullptr;
  Poco::SharedPtr<class ProxyConnectionFactory> connections_;  // shared with dispatcher_
  std::unique_ptr<class ParkingLot> parking_;
  uint16_t port_ = 0;
};

}  // namespace llmp::host
