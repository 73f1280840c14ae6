#include "server/parking_lot.h"

#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <vector>

#include <Poco/Net/SocketImpl.h>

#include "log/log.h"
#include "services/clock.h"

namespace llmp::host {
namespace {

constexpr int kSweepIntervalMs = 1000;  // how late an expired connection may be closed

void closeQuietly(Poco::Net::StreamSocket& socket) {
  try {
    socket.close();
  } catch (...) {
    // already closed: nothing to release
  }
}

}  // namespace

ParkingLot::ParkingLot(Revive revive) : revive_(std::move(revive)) {
  epoll_ = ::epoll_create1(EPOLL_CLOEXEC);
  wake_ = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (epoll_ < 0 || wake_ < 0) {
    throw std::runtime_error("cannot create the parking lot's epoll instance");
  }
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.fd = wake_;
  ::epoll_ctl(epoll_, EPOLL_CTL_ADD, wake_, &ev);
  thread_ = std::thread([this] { loop(); });
}

ParkingLot::~ParkingLot() {
  stop();
  ::close(wake_);
  ::close(epoll_);
}

void ParkingLot::park(const Poco::Net::StreamSocket& socket, int64_t deadlineMs) {
  const int fd = socket.impl()->sockfd();
  std::unique_lock<std::mutex> lock(mutex_);
  if (stopped_ || fd < 0) {
    lock.unlock();
    Poco::Net::StreamSocket copy(socket);
    closeQuietly(copy);
    return;
  }
  parked_.insert_or_assign(fd, Entry{socket, deadlineMs});
  epoll_event ev{};
  // One-shot: the first sign of life takes the connection out of the lot.
  ev.events = EPOLLIN | EPOLLRDHUP | EPOLLONESHOT;
  ev.data.fd = fd;
  if (::epoll_ctl(epoll_, EPOLL_CTL_ADD, fd, &ev) != 0) {
    Entry entry = std::move(parked_.at(fd));
    parked_.erase(fd);
    lock.unlock();
    closeQuietly(entry.socket);
  }
}

size_t ParkingLot::parked() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return parked_.size();
}

void ParkingLot::stop() {
  std::unordered_map<int, Entry> closing;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (stopped_) {
      return;
    }
    stopped_ = true;
    closing.swap(parked_);
  }
  uint64_t one = 1;
  ssize_t rc = ::write(wake_, &one, sizeof one);
  (void)rc;
  if (thread_.joinable()) {
    thread_.join();
  }
  for (auto& [fd, entry] : closing) {
    ::epoll_ctl(epoll_, EPOLL_CTL_DEL, fd, nullptr);
    closeQuietly(entry.socket);
  }
}

void ParkingLot::closeExpired(int64_t nowMs) {
  std::vector<Poco::Net::StreamSocket> expired;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    for (auto it = parked_.begin(); it != parked_.end();) {
      if (it->second.deadlineMs <= nowMs) {
        ::epoll_ctl(epoll_, EPOLL_CTL_DEL, it->first, nullptr);
        expired.push_back(std::move(it->second.socket));
        it = parked_.erase(it);
      } else {
        ++it;
      }
    }
  }
  for (auto& socket : expired) {
    closeQuietly(socket);
  }
}

void ParkingLot::loop() {
  std::vector<epoll_event> events(64);
  int64_t nextSweep = services::monotonicMs() + kSweepIntervalMs;
  for (;;) {
    const int64_t now = services::monotonicMs();
    const int wait = static_cast<int>(nextSweep > now ? nextSweep - now : 0);
    const int n = ::epoll_wait(epoll_, events.data(), static_cast<int>(events.size()), wait);
    if (n < 0 && errno != EINTR) {
      log::error("server", "the parking lot's epoll_wait failed; idle connections stay parked");
      return;
    }
    for (int i = 0; i < n; ++i) {
      const int fd = events[i].data.fd;
      if (fd == wake_) {
        return;  // stop(): it closes what is left
      }
      Poco::Net::StreamSocket socket;
      {
        std::lock_guard<std::mutex> lock(mutex_);
        auto it = parked_.find(fd);
        if (it == parked_.end()) {
          continue;  // closed as expired in the meantime
        }
        ::epoll_ctl(epoll_, EPOLL_CTL_DEL, fd, nullptr);
        socket = std::move(it->second.socket);
        parked_.erase(it);
      }
      try {
        revive_(socket);  // a closed client is noticed by its first read there
      } catch (const std::exception& e) {
        log::warn("server", std::string("could not take a parked connection back: ") + e.what());
        closeQuietly(socket);
      }
    }
    if (services::monotonicMs() >= nextSweep) {
      closeExpired(services::monotonicMs());
      nextSweep = services::monotonicMs() + kSweepIntervalMs;
    }
  }
}

}  // namespace llmp::host
