#include "services/connection_pool.h"

#include <poll.h>

#include <Poco/Exception.h>
#include <Poco/Net/Socket.h>
#include <Poco/Timespan.h>

#include "services/clock.h"

namespace llmp::host::services {
namespace {

// A connection back in the pool for less than this is taken without asking the socket whether
// the server closed it meanwhile: servers keep idle connections for seconds to minutes, and the
// question is a system call per request. Should one have closed it in that time after all, the
// exchange fails before any byte of an answer and the client retries it once on a new connection
// (HttpFetchTest.ReusedConnectionClosedByTheServerIsRetriedOnce).
constexpr int64_t kTrustedIdleMs = 1000;

// An idle keep-alive connection has nothing to read; readable means the server closed it (or
// sent something unexpected), so it must not carry another request.
bool stillUsable(HttpConnection& conn, int64_t idleMs) {
  try {
    if (!conn.session().connected() || conn.bufferedBytes() != 0) {
      return false;
    }
    if (idleMs < kTrustedIdleMs) {
      return true;
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
    const int64_t idleMs = monotonicMs() - conn->idleSinceMs;
    if (idleMs <= maxIdleMs_ && stillUsable(*conn, idleMs)) {
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
