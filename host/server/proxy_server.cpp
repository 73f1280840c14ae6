#include "server/proxy_server.h"

#include <poll.h>

#include <algorithm>
#include <chrono>
#include <thread>

#include <Poco/Net/TCPServerDispatcher.h>
#include <Poco/Net/TCPServerParams.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/SocketAddress.h>
#include <Poco/Net/SocketImpl.h>

#include "log/log.h"
#include "server/proxy_connection.h"

namespace llmp::host {

ProxyServer::ProxyServer(ServerContext& context) : context_(context) {}

ProxyServer::~ProxyServer() { stop(0); }

void ProxyServer::start(const std::string& host, uint16_t port) {
  try {
    listener_.bind(Poco::Net::SocketAddress(host, port), true);
    listener_.listen(1024);
  } catch (const Poco::Exception& e) {
    throw ConfigError("cannot listen on " + host + ":" + std::to_string(port) + ": " +
                      e.displayText());
  }
  port_ = listener_.address().port();

  // A thread per request in flight (a stream holds its thread for its life), so the pool is sized
  // for many concurrent streams rather than Poco's default of 16; small stacks keep RSS low.
  // Idle connections hold no thread: they wait in the parking lot.
  const int maxThreads = std::max(16, context_.config->maxThreads);
  pool_ = std::make_unique<Poco::ThreadPool>("llmp-http", 8, maxThreads, 60, 256 * 1024);

  Poco::Net::TCPServerParams::Ptr params = new Poco::Net::TCPServerParams;
  params->setMaxThreads(maxThreads);
  params->setMaxQueued(maxThreads * 4);

  connections_ = new ProxyConnectionFactory(context_);
  dispatcher_ = new Poco::Net::TCPServerDispatcher(connections_, *pool_, params);
  parking_ = std::make_unique<ParkingLot>(
      [dispatcher = dispatcher_](const Poco::Net::StreamSocket& s) { dispatcher->enqueue(s); });
  connections_->setParkingLot(parking_.get());
  accepting_.store(true);
  acceptor_ = std::thread([this] { acceptLoop(); });
}

void ProxyServer::acceptLoop() {
  const int fd = listener_.impl()->sockfd();
  while (accepting_.load()) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 250) <= 0) {
      continue;  // checks accepting_ four times a second
    }
    try {
      Poco::Net::StreamSocket socket = listener_.acceptConnection();
      dispatcher_->enqueue(socket);  // refused (closed) when the queue is full
    } catch (const Poco::Exception& e) {
      // EMFILE and the like: keep serving the connections already open.
      log::warn("server", "accept failed: " + e.displayText());
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  }
}

void ProxyServer::stop(int64_t graceMs) {
  if (!acceptor_.joinable()) {
    return;
  }
  accepting_.store(false);  // no new connections
  acceptor_.join();
  listener_.close();
  auto end = std::chrono::steady_clock::now() + std::chrono::milliseconds(graceMs);
  while (context_.inFlight.load() > 0 && std::chrono::steady_clock::now() < end) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  if (context_.inFlight.load() > 0) {
    log::warn("server", std::to_string(context_.inFlight.load()) +
                            " request(s) still running after the grace period; aborting them");
  }
  parking_->stop();      // closes the idle connections; none comes back from now on
  dispatcher_->stop();   // drops connections still waiting for a thread
  connections_->abortAll();
  pool_->joinAll();
  connections_->setParkingLot(nullptr);
  parking_.reset();
  dispatcher_->release();
  dispatcher_ = nullptr;
  connections_ = nullptr;
}

}  // namespace llmp::host
