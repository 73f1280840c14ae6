#include "server/proxy_server.h"

#include <poll.h>
#include <sched.h>

#include <algorithm>
#include <chrono>
#include <thread>

#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/SocketAddress.h>
#include <Poco/Net/SocketImpl.h>

#include "log/log.h"
#include "server/parking_lot.h"
#include "server/proxy_connection.h"

namespace llmp::host {
namespace {

// One loop per CPU this process may run on: a loop never sleeps while it has work, so more
// loops than cores would only take turns.
size_t loopCount() {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (::sched_getaffinity(0, sizeof set, &set) != 0) {
    return 1;
  }
  return std::clamp<size_t>(static_cast<size_t>(CPU_COUNT(&set)), 1, 16);
}

// Fibers and pool threads run the same plugin code, so they get the same stack size.
constexpr size_t kStackBytes = 256 * 1024;

}  // namespace

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

  // max_threads bounds the calls that block a thread of their own: a request to a backend that
  // is not cooperative (a stream holds its thread for its life), a new upstream connection.
  blocking_ = std::make_unique<fiber::BlockingPool>(
      static_cast<size_t>(std::max(16, context_.config->maxThreads)), kStackBytes);
  fiber::BlockingPool::install(blocking_.get());
  const size_t loops = context_.config->eventLoops > 0
                           ? static_cast<size_t>(context_.config->eventLoops)
                           : loopCount();
  for (size_t i = 0; i < loops; ++i) {
    loops_.push_back(std::make_unique<fiber::Loop>("llmp-loop", kStackBytes));
  }
  connections_ = std::make_unique<ProxyConnectionFactory>(context_);
  parking_ = std::make_unique<ParkingLot>(
      [this](const Poco::Net::StreamSocket& s) { dispatch(s); });
  connections_->setParkingLot(parking_.get());
  accepting_.store(true);
  acceptor_ = std::thread([this] { acceptLoop(); });
}

bool ProxyServer::dispatch(const Poco::Net::StreamSocket& socket) {
  fiber::Loop& loop = *loops_[nextLoop_.fetch_add(1, std::memory_order_relaxed) % loops_.size()];
  ProxyConnectionFactory* connections = connections_.get();
  return loop.spawn([connections, socket] { connections->serve(socket); });
}

void ProxyServer::acceptLoop() {
  const int fd = listener_.impl()->sockfd();
  while (accepting_.load()) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 250) <= 0) {
      continue;  // checks accepting_ four times a second
    }
    try {
      dispatch(listener_.acceptConnection());
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
  parking_->stop();  // closes the idle connections; none comes back from now on
  connections_->abortAll();
  for (auto& loop : loops_) {
    loop->stop();  // waits for its fibers, which the aborted sockets end
  }
  loops_.clear();
  fiber::BlockingPool::install(nullptr);
  blocking_.reset();  // joins its threads
  connections_->setParkingLot(nullptr);
  parking_.reset();
  connections_.reset();
}

}  // namespace llmp::host
