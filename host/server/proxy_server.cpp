#include "server/proxy_server.h"

#include <chrono>
#include <thread>

#include <Poco/Net/TCPServerParams.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/SocketAddress.h>

#include "log/log.h"
#include "server/proxy_connection.h"

namespace llmp::host {

ProxyServer::ProxyServer(ServerContext& context) : context_(context) {}

ProxyServer::~ProxyServer() { stop(0); }

void ProxyServer::start(const std::string& host, uint16_t port) {
  Poco::Net::ServerSocket socket;
  try {
    socket.bind(Poco::Net::SocketAddress(host, port), true);
    socket.listen(1024);
  } catch (const Poco::Exception& e) {
    throw ConfigError("cannot listen on " + host + ":" + std::to_string(port) + ": " +
                      e.displayText());
  }
  port_ = socket.address().port();

  // Each connection holds a thread for its life (keep-alive, long streams), so the pool is sized
  // for many concurrent streams rather than Poco's default of 16; small stacks keep RSS low.
  const int maxThreads = std::max(16, context_.config->maxThreads);
  pool_ = std::make_unique<Poco::ThreadPool>("llmp-http", 8, maxThreads, 60, 256 * 1024);

  Poco::Net::TCPServerParams::Ptr params = new Poco::Net::TCPServerParams;
  params->setMaxThreads(maxThreads);
  params->setMaxQueued(maxThreads * 4);

  connections_ = new ProxyConnectionFactory(context_);
  server_ = std::make_unique<Poco::Net::TCPServer>(connections_, *pool_, socket, params);
  server_->start();
}

void ProxyServer::stop(int64_t graceMs) {
  if (!server_) {
    return;
  }
  server_->stop();  // no new connections
  auto end = std::chrono::steady_clock::now() + std::chrono::milliseconds(graceMs);
  while (context_.inFlight.load() > 0 && std::chrono::steady_clock::now() < end) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  if (context_.inFlight.load() > 0) {
    log::warn("server", std::to_string(context_.inFlight.load()) +
                            " request(s) still running after the grace period; aborting them");
  }
  connections_->abortAll();
  pool_->joinAll();
  server_.reset();
  connections_ = nullptr;
}

}  // namespace llmp::host
