#include "services/stream_relay.h"

#include <sched.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <Poco/Exception.h>
#include <Poco/Net/SecureStreamSocket.h>
#include <Poco/Net/SocketImpl.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <system_error>

#include "fiber/fiber_loop.h"
#include "log/log.h"
#include "services/clock.h"

namespace llmp::host::services {
namespace {

constexpr size_t kReadBufferSize = 32 * 1024;
constexpr int kMaxEvents = 64;
// Timeouts are checked this often; an idle or total timeout fires at most this much late.
constexpr int64_t kSweepMs = 50;

thread_local RelayWrites* tCurrentWrites = nullptr;
thread_local bool tRelayThread = false;

// Marks the current thread as running a relayed callback for the scope's life.
class WritesScope {
 public:
  explicit WritesScope(RelayWrites* w) { tCurrentWrites = w; }
  ~WritesScope() { tCurrentWrites = nullptr; }
  WritesScope(const WritesScope&) = delete;
  WritesScope& operator=(const WritesScope&) = delete;
};

unsigned defaultThreadCount() {
  cpu_set_t set;
  CPU_ZERO(&set);
  unsigned cpus = 1;
  if (sched_getaffinity(0, sizeof(set), &set) == 0) {
    cpus = static_cast<unsigned>(std::max(1, CPU_COUNT(&set)));
  }
  return std::min(cpus, 4u);
}

}  // namespace

RelayWrites* RelayWrites::current() { return tCurrentWrites; }

bool deliverBodyPiece(const llmp_http_response_sink& sink, std::string_view piece) {
  if (sink.on_body == nullptr || piece.empty()) {
    return true;
  }
  try {
    return sink.on_body(sink.ctx, llmp_bytes{piece.data(), piece.size()}) == LLMP_OK;
  } catch (...) {
    return false;  // a plugin must not throw across the ABI: treat it as a cancel
  }
}

bool StreamRelay::onRelayThread() { return tRelayThread; }

struct StreamRelay::Stream {
  RelayedBody* body = nullptr;
  int fd = -1;
  int64_t idleDeadlineMs = 0;
  size_t slot = 0;  // index in Loop::active_

  fiber::Signal done;  // the request's thread or fiber waits on it
  RelayOutcome outcome;
};

struct StreamRelay::Loop {
  Loop() {
    epoll_ = ::epoll_create1(EPOLL_CLOEXEC);
    wake_ = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (epoll_ < 0 || wake_ < 0) {
      const int error = errno;
      if (epoll_ >= 0) {
        ::close(epoll_);
      }
      if (wake_ >= 0) {
        ::close(wake_);
      }
      throw std::system_error(error, std::generic_category(), "cannot create the stream relay loop");
    }
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.ptr = nullptr;  // the wake-up eventfd
    ::epoll_ctl(epoll_, EPOLL_CTL_ADD, wake_, &ev);
    thread_ = std::thread([this] { run(); });
  }

  ~Loop() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stopping_ = true;
    }
    wake();
    thread_.join();
    ::close(wake_);
    ::close(epoll_);
  }

  // From a request thread. False when the loop is shutting down.
  bool submit(Stream* s) {
    bool first;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (stopping_) {
        return false;
      }
      first = incoming_.empty();
      incoming_.push_back(s);
    }
    if (first) {
      wake();  // a wake-up already pending will pick this one up too
    }
    return true;
  }

 private:
  void wake() {
    uint64_t one = 1;
    ssize_t rc = ::write(wake_, &one, sizeof one);
    (void)rc;  // EAGAIN: the counter is already non-zero, the loop will wake anyway
  }

  void run() {
    tRelayThread = true;
    epoll_event events[kMaxEvents];
    int64_t nextSweep = monotonicMs() + kSweepMs;
    for (;;) {
      const int timeout = active_.empty() ? -1 : static_cast<int>(kSweepMs);
      int n = ::epoll_wait(epoll_, events, kMaxEvents, timeout);
      if (n < 0 && errno != EINTR) {
        log::error("stream-relay", std::string("epoll_wait failed: ") + std::strerror(errno));
        n = 0;
      }
      bool woken = false;
      for (int i = 0; i < n; ++i) {
        if (events[i].data.ptr == nullptr) {
          woken = true;
        } else {
          serve(static_cast<Stream*>(events[i].data.ptr));
        }
      }
      if (woken && !takeIncoming()) {
        failAll("the proxy is shutting down");
        return;
      }
      const int64_t now = monotonicMs();
      if (now >= nextSweep) {
        sweep(now);
        nextSweep = now + kSweepMs;
      }
    }
  }

  // False once stopping.
  bool takeIncoming() {
    uint64_t count;
    ssize_t rc = ::read(wake_, &count, sizeof count);
    (void)rc;
    std::vector<Stream*> fresh;
    bool stopping;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      fresh.swap(incoming_);
      stopping = stopping_;
    }
    for (Stream* s : fresh) {
      s->slot = active_.size();
      active_.push_back(s);
      epoll_event ev{};
      ev.events = EPOLLIN | EPOLLRDHUP;
      ev.data.ptr = s;
      if (::epoll_ctl(epoll_, EPOLL_CTL_ADD, s->fd, &ev) != 0) {
        finish(s, {RelayOutcome::Kind::Failed,
                   std::string("cannot watch the connection: ") + std::strerror(errno)});
        continue;
      }
      // Bytes that arrived with the response head sit in the connection (given back by the
      // head reader, or in TLS's buffer), where epoll cannot see them: read them now.
      serve(s);
    }
    return !stopping;
  }

  // Reads what the connection has, decodes it and hands it to the sink; ends or hands back the
  // stream when the body is over or the sink's client write would block.
  void serve(Stream* s) {
    RelayedBody& b = *s->body;
    RelayWrites writes;
    WritesScope scope(&writes);
    // Whatever ends the relay, bytes a client write kept must still go out, before anything else.
    auto finish = [this, &writes](Stream* st, RelayOutcome outcome) {
      outcome.deferred = writes.deferred();
      this->finish(st, std::move(outcome));
    };
    const llmp_http_response_sink& sink = *b.sink;
    auto onData = [&sink](std::string_view piece) { return deliverBodyPiece(sink, piece); };
    for (;;) {
      int n;
      try {
        n = b.conn->readSome(buffer_.data(), static_cast<std::streamsize>(buffer_.size()));
      } catch (const Poco::Exception& e) {
        finish(s, {RelayOutcome::Kind::Failed,
                   "the connection failed while reading the body: " + e.displayText()});
        return;
      }
      if (n == Poco::Net::SecureStreamSocket::ERR_SSL_WANT_WRITE) {
        finish(s, {RelayOutcome::Kind::HandedBack, {}});  // TLS must write: the blocking path can
        return;
      }
      if (n < 0) {
        return;  // nothing more for now
      }
      if (n == 0) {
        if (b.decoder->closeEndsBody()) {
          finish(s, {RelayOutcome::Kind::Complete, {}});
        } else {
          finish(s, {RelayOutcome::Kind::Truncated, {}});
        }
        return;
      }
      s->idleDeadlineMs = monotonicMs() + b.idleMs;
      BodyDecoder::Fed fed;
      try {
        fed = b.decoder->feed(buffer_.data(), static_cast<size_t>(n), onData);
      } catch (const BodyFramingError& e) {
        finish(s, {RelayOutcome::Kind::Failed, e.what()});
        return;
      }
      if (fed == BodyDecoder::Fed::Stopped) {
        finish(s, {RelayOutcome::Kind::Cancelled, {}});
        return;
      }
      if (fed == BodyDecoder::Fed::Complete) {
        finish(s, {RelayOutcome::Kind::Complete, {}});
        return;
      }
      if (writes.deferred() != nullptr) {
        finish(s, {RelayOutcome::Kind::HandedBack, {}});
        return;
      }
      if (!b.tls && static_cast<size_t>(n) < buffer_.size()) {
        return;  // level-triggered: anything left is reported again
      }
    }
  }

  void sweep(int64_t now) {
    // Walk backwards: finish() moves the last stream into the finished one's slot.
    for (size_t i = active_.size(); i-- > 0;) {
      Stream* s = active_[i];
      if (s->body->deadlineMs != 0 && now >= s->body->deadlineMs) {
        finish(s, {RelayOutcome::Kind::TimedOutTotal, {}});
      } else if (now >= s->idleDeadlineMs) {
        finish(s, {RelayOutcome::Kind::TimedOutIdle, {}});
      }
    }
  }

  void failAll(const std::string& why) {
    std::vector<Stream*> rest;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      rest.swap(incoming_);
    }
    for (Stream* s : rest) {
      s->slot = active_.size();
      active_.push_back(s);
    }
    while (!active_.empty()) {
      finish(active_.back(), {RelayOutcome::Kind::Failed, why});
    }
  }

  // Stops watching the stream and wakes its request thread. The stream is not touched after.
  void finish(Stream* s, RelayOutcome outcome) {
    ::epoll_ctl(epoll_, EPOLL_CTL_DEL, s->fd, nullptr);
    Stream* last = active_.back();
    active_[s->slot] = last;
    last->slot = s->slot;
    active_.pop_back();
    s->outcome = std::move(outcome);
    s->done.notify();  // the waiter may free s once this returns
  }

  int epoll_ = -1;
  int wake_ = -1;
  std::thread thread_;
  std::mutex mutex_;
  std::vector<Stream*> incoming_;  // guarded by mutex_
  bool stopping_ = false;          // guarded by mutex_
  std::vector<Stream*> active_;    // loop thread only
  std::vector<char> buffer_ = std::vector<char>(kReadBufferSize);
};

StreamRelay::StreamRelay(unsigned threads) {
  const unsigned count = threads == 0 ? defaultThreadCount() : threads;
  for (unsigned i = 0; i < count; ++i) {
    loops_.push_back(std::make_unique<Loop>());
  }
}

StreamRelay::~StreamRelay() = default;

StreamRelay::Loop& StreamRelay::nextLoop() {
  return *loops_[next_.fetch_add(1, std::memory_order_relaxed) % loops_.size()];
}

RelayOutcome StreamRelay::relay(RelayedBody& body) {
  Stream s;
  s.body = &body;
  s.fd = body.conn->fd();
  s.idleDeadlineMs = monotonicMs() + body.idleMs;
  // The caller's mode comes back afterwards: blocking on a thread, non-blocking on a fiber.
  const bool wasNonBlocking = body.conn->nonBlocking();
  body.conn->setNonBlocking(true);
  if (!nextLoop().submit(&s)) {
    body.conn->setNonBlocking(wasNonBlocking);
    return {RelayOutcome::Kind::Failed, "the proxy is shutting down"};
  }
  s.done.wait();  // a fiber yields meanwhile
  body.conn->setNonBlocking(wasNonBlocking);
  return std::move(s.outcome);
}

}  // namespace llmp::host::services
