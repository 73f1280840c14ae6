// Idle keep-alive client connections, held by one epoll thread instead of a pool thread each.
//
// A connection that has waited kParkAfterIdleMs for its next request is parked here; when the
// client sends something (or closes), it goes back to a pool thread through `revive`. A parked
// connection that stays silent past its deadline (the keep-alive timeout) is closed. So the
// pool's threads (max_threads) bound the requests in flight, not the connections open: SDK
// clients that keep sockets open between calls no longer hold a thread each.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <mutex>
#include <thread>
#include <unordered_map>

#include <Poco/Net/StreamSocket.h>

namespace llmp::host {

class ParkingLot {
 public:
  // Called on the parking thread with a connection whose client sent bytes or closed.
  using Revive = std::function<void(const Poco::Net::StreamSocket& socket)>;

  explicit ParkingLot(Revive revive);
  ~ParkingLot();
  ParkingLot(const ParkingLot&) = delete;
  ParkingLot& operator=(const ParkingLot&) = delete;

  // Holds the connection until its client sends something, or closes it at deadlineMs
  // (monotonic). After stop() the connection is closed at once.
  void park(const Poco::Net::StreamSocket& socket, int64_t deadlineMs);
  // Closes every parked connection and ends the thread; park() closes from then on.
  void stop();
  size_t parked() const;

 private:
  struct Entry {
    Poco::Net::StreamSocket socket;
    int64_t deadlineMs;
  };
  void loop();
  void closeExpired(int64_t nowMs);

  Revive revive_;
  int epoll_ = -1;
  int wake_ = -1;  // eventfd: stop
  mutable std::mutex mutex_;
  std::unordered_map<int, Entry> parked_;  // by fd
  bool stopped_ = false;
  std::thread thread_;
};

}  // namespace llmp::host
