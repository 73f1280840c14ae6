// One client connection's request loop, run on a fiber (fiber/fiber_loop.h) until the connection
// closes or idles.
//
// The host parses requests and frames responses itself (server/request_head.h,
// server/client_connection.h, server/responder.h) instead of using Poco's HTTP server classes:
// a keep-alive request costs one recv, one sendmsg and no heap allocation for its head, where
// Poco's classes waited with epoll_create + epoll_ctl + epoll_wait + close, asked the kernel for
// both socket addresses, and copied every header into a map.
#pragma once

#include <atomic>
#include <cstdint>
#include <mutex>
#include <set>

#include <Poco/Net/StreamSocket.h>

#include "server/parking_lot.h"
#include "server/proxy_server.h"

namespace llmp::host {

class ProxyConnection;

// Creates the connections and keeps a list of the open ones so that a stop can abort them.
class ProxyConnectionFactory {
 public:
  explicit ProxyConnectionFactory(ServerContext& context) : context_(context) {}
  // Serves the connection until it closes or idles; call on a fiber.
  void serve(const Poco::Net::StreamSocket& socket);

  // Shuts down every open connection's socket: blocked reads and writes return at once.
  void abortAll();

  // Where idle connections wait without a thread; without one they are closed when idle.
  void setParkingLot(ParkingLot* parking) { parking_ = parking; }

  ServerContext& context() { return context_; }
  bool stopped() const { return stopped_.load(std::memory_order_relaxed); }

 private:
  friend class ProxyConnection;
  void opened(ProxyConnection* c);
  void closed(ProxyConnection* c);
  void park(const Poco::Net::StreamSocket& socket, int64_t deadlineMs);

  ServerContext& context_;
  ParkingLot* parking_ = nullptr;
  std::atomic<bool> stopped_{false};
  std::mutex mutex_;
  std::set<ProxyConnection*> open_;
};

class ProxyConnection {
 public:
  ProxyConnection(const Poco::Net::StreamSocket& socket, ProxyConnectionFactory& factory);
  ~ProxyConnection();
  ProxyConnection(const ProxyConnection&) = delete;
  ProxyConnection& operator=(const ProxyConnection&) = delete;
  void run();
  void abort();

  // How long a connection keeps its fiber while it waits for the next request; after that it is
  // parked (server/parking_lot.h) and the fiber's stack is freed.
  static constexpr int kParkAfterIdleMs = 1000;

 private:
  Poco::Net::StreamSocket socket_;
  ProxyConnectionFactory& factory_;
};

}  // namespace llmp::host
