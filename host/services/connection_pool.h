// Idle keep-alive connections keyed by "scheme://host:port". The lock covers only the map; a
// connection is checked, closed or used outside it.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "services/http_connection.h"

namespace llmp::host::services {

class ConnectionPool {
 public:
  ConnectionPool(size_t maxIdlePerEndpoint, int64_t maxIdleMs);
  ~ConnectionPool();

  // The most recently returned live connection for key, or nullptr. Connections that idled too
  // long or that the server closed meanwhile are dropped on the way.
  std::unique_ptr<HttpConnection> acquire(const std::string& key);
  // Keeps conn for reuse (or closes it when the endpoint already has enough idle ones).
  void release(const std::string& key, std::unique_ptr<HttpConnection> conn);
  void clear();
  size_t idleCount();

 private:
  const size_t maxIdlePerEndpoint_;
  const int64_t maxIdleMs_;
  std::mutex mutex_;
  std::unordered_map<std::string, std::vector<std::unique_ptr<HttpConnection>>> idle_;
};

}  // namespace llmp::host::services
