// The HTTP server: an accept thread hands each new connection to one of a few event loops, where
// a fiber runs the host's own HTTP/1.1 connection loop (server/proxy_connection.h) and hands each
// request to the front end that claims it (server/request_handler.h). A connection idle for a
// second gives up its fiber for the parking lot (server/parking_lot.h) and gets a new one when
// its client speaks again. Calls that may block (plugins that are not cooperative, new upstream
// connections) run on the blocking pool (fiber/blocking_pool.h), whose size is max_threads.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <Poco/Net/ServerSocket.h>

#include "auth/proxy_auth.h"
#include "config/config.h"
#include "fiber/blocking_pool.h"
#include "fiber/fiber_loop.h"
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
  // Starts serving the connection on the next loop; false when stopping (the socket closes).
  bool dispatch(const Poco::Net::StreamSocket& socket);

  ServerContext& context_;
  Poco::Net::ServerSocket listener_;
  std::thread acceptor_;
  std::atomic<bool> accepting_{false};
  std::unique_ptr<fiber::BlockingPool> blocking_;
  std::vector<std::unique_ptr<fiber::Loop>> loops_;
  std::atomic<size_t> nextLoop_{0};
  std::unique_ptr<class ProxyConnectionFactory> connections_;
  std::unique_ptr<class ParkingLot> parking_;
  uint16_t port_ = 0;
};

}  // namespace llmp::host
