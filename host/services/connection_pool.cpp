#include "services/connection_pool.h"

#include <poll.h>

#include <Poco/Exception.h>
#include <Poco/Net/Socket.h>
#include <Poco/Timespan.h>

#include "services/clock.h"

namespace llmp::host::services {
namespace {

// An idle keep-alive connection has nothing to read; readable means the server closed it (or
// sent something unexpected), so it must not carry another request.
bool stillUsable(HttpConnection& conn) {
  try {
    if (!conn.session().connected() || conn.bufferedBytes() != 0) {
      return false;
    }
    // One poll(2) call: Poco's Socket::poll costs an epoll instance (four syscalls) per reuse.
    // Readable means the server closed the idle connection (or sent something unexpected).
    pollfd pfd{};
    pfd.fd = conn.session().socket().impl()->sockfd();
    pfd.events = POLLIN;
    int ready = ::poll(&pfd, 1, 0);
    return ready == 0;
  } catch (const Poco::Exception&) {
    return false;
  }
}

}  // namespace

ConnectionPool::ConnectionPool(size_t maxIdlePerEndpoint, int64_t maxIdleMs)
    : maxIdlePerEndpoint_(maxIdlePerEndpoint), maxIdleMs_(maxIdleMs) {}

ConnectionPool::~ConnectionPool() { clear(); }

std::unique_ptr<HttpConnection> ConnectionPool::acquire(const std::string& key) {
  for (;;) {
    std::unique_ptr<HttpConnection> conn;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      auto it = idle_.find(key);
      if (it == idle_.end() || it->second.empty()) {
        return nullptr;
      }
      conn = std::move(it->second.back());
      it->second.pop_back();
    }
    if (monotonicMs() - conn->idleSinceMs <= maxIdleMs_ && stillUsable(*conn)) {
      return conn;
    }
    // conn is closed here, outside the lock; try the next one.
  }
}

void ConnectionPool::release(const std::string& key, std::unique_ptr<HttpConnection> conn) {
  int64_t now = monotonicMs();
  conn->idleSinceMs = now;
  std::vector<std::unique_ptr<HttpConnection>> doomed;  // closed after the lock is released
  {
    std::lock_guard<std::mutex> lock(mutex_);
    auto& list = idle_[key];
    // The oldest sit at the front; drop the ones that idled too long.
    size_t stale = 0;
    while (stale < list.size() && now - list[stale]->idleSinceMs > maxIdleMs_) {
      ++stale;
    }
    for (size_t i = 0; i < stale; ++i) {
      doomed.push_back(std::move(list[i]));
    }
    list.erase(list.begin(), list.begin() + static_cast<std::ptrdiff_t>(stale));
    if (list.size() < maxIdlePerEndpoint_) {
      list.push_back(std::move(conn));
    } else {
      doomed.push_back(std::move(conn));
    }
  }
}

void ConnectionPool::clear() {
  std::unordered_map<std::string, std::vector<std::unique_ptr<HttpConnection>>> doomed;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    doomed.swap(idle_);
  }
}

size_t ConnectionPool::idleCount() {
  std::lock_guard<std::mutex> lock(mutex_);
  size_t n = 0;
  for (auto& [key, list] : idle_) {
    n += list.size();
  }
  return n;
}

}  // namespace llmp::host::services
