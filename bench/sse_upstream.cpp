// sse_upstream: a minimal Gemini upstream for the benchmark: streamGenerateContent?alt=sse, and
// generateContent with one fixed answer. One thread, one epoll loop, so it holds thousands of
// streams on a shared core with little jitter, and answers non-streaming requests at a fraction of
// the test fake's cost (tests/fakes runs one thread per connection: it falls behind at 1000
// streams x 20 ms on one core, and at 64 connections it took 85 % of the load core). Every
// event's text carries "ts=<steady_clock ns>" taken just before the write, so bench/stream_bench
// measures each event's latency from here to the client and the difference between a direct and
// a proxied run is the delay the proxy adds per event.
//
//   sse_upstream [--port N] [--events N] [--delay-ms N]
//
// Prints "PORT=<n>" first; serves 127.0.0.1 until SIGINT/SIGTERM. Any POST whose path holds
// ":streamGenerateContent" gets `events` SSE events `delay-ms` apart (the first at once), the
// last with finishReason STOP and usageMetadata, then the connection is kept alive for the next
// request. A POST whose path holds ":generateContent" gets one fixed generateContent answer.
// Other requests get 404 in Google's error shape.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <iostream>
#include <memory>
#include <queue>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

volatile sig_atomic_t stopRequested = 0;
void onSignal(int) { stopRequested = 1; }

int64_t nowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now().time_since_epoch())
      .count();
}

struct Conn {
  int fd = -1;
  uint64_t generation = 0;  // bumps with every stream so stale timer entries are ignored
  std::string in;
  std::string out;  // bytes the socket did not take yet
  bool streaming = false;
  int sent = 0;
};

struct Due {
  int64_t atNs;
  int fd;
  uint64_t generation;
  bool operator>(const Due& o) const { return atNs > o.atNs; }
};

class Server {
 public:
  Server(int events, int delayMs) : events_(events), delayNs_(int64_t{delayMs} * 1000000) {}

  int listen(uint16_t port) {
    lfd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    int one = 1;
    ::setsockopt(lfd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::bind(lfd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
        ::listen(lfd_, 4096) != 0) {
      std::perror("sse_upstream: bind/listen");
      std::exit(1);
    }
    socklen_t len = sizeof addr;
    ::getsockname(lfd_, reinterpret_cast<sockaddr*>(&addr), &len);
    epfd_ = ::epoll_create1(EPOLL_CLOEXEC);
    watch(lfd_, EPOLLIN, EPOLL_CTL_ADD);
    return ntohs(addr.sin_port);
  }

  void run() {
    std::vector<epoll_event> ready(1024);
    while (!stopRequested) {
      int timeoutMs = 100;
      if (!timers_.empty()) {
        int64_t wait = timers_.top().atNs - nowNs();
        timeoutMs = wait <= 0 ? 0 : static_cast<int>((wait + 999999) / 1000000);
      }
      int n = ::epoll_wait(epfd_, ready.data(), static_cast<int>(ready.size()), timeoutMs);
      for (int i = 0; i < n; ++i) {
        int fd = ready[i].data.fd;
        if (fd == lfd_) {
          acceptAll();
          continue;
        }
        auto it = conns_.find(fd);
        if (it == conns_.end()) {
          continue;
        }
        Conn& c = *it->second;
        if (ready[i].events & (EPOLLERR | EPOLLHUP)) {
          close(c);
          continue;
        }
        if ((ready[i].events & EPOLLOUT) && !flush(c)) {
          continue;
        }
        if (ready[i].events & EPOLLIN) {
          readRequest(c);
        }
      }
      fireTimers();
    }
  }

 private:
  void watch(int fd, uint32_t events, int op) {
    epoll_event ev{};
    ev.events = events;
    ev.data.fd = fd;
    ::epoll_ctl(epfd_, op, fd, &ev);
  }

  void acceptAll() {
    while (true) {
      int fd = ::accept4(lfd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
      if (fd < 0) {
        return;
      }
      int one = 1;
      ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
      auto c = std::make_unique<Conn>();
      c->fd = fd;
      conns_[fd] = std::move(c);
      watch(fd, EPOLLIN, EPOLL_CTL_ADD);
    }
  }

  void close(Conn& c) {
    int fd = c.fd;
    ::epoll_ctl(epfd_, EPOLL_CTL_DEL, fd, nullptr);
    ::close(fd);
    conns_.erase(fd);  // destroys c
  }

  // Writes what it can; false when the connection was closed.
  bool write(Conn& c, const std::string& bytes) {
    if (!c.out.empty()) {
      c.out += bytes;
      return true;
    }
    size_t off = 0;
    while (off < bytes.size()) {
      ssize_t w = ::send(c.fd, bytes.data() + off, bytes.size() - off, MSG_NOSIGNAL);
      if (w < 0 && errno == EINTR) {
        continue;
      }
      if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
        c.out.assign(bytes, off, std::string::npos);
        watch(c.fd, EPOLLIN | EPOLLOUT, EPOLL_CTL_MOD);
        return true;
      }
      if (w <= 0) {
        close(c);
        return false;
      }
      off += static_cast<size_t>(w);
    }
    return true;
  }

  bool flush(Conn& c) {
    std::string pending;
    pending.swap(c.out);
    watch(c.fd, EPOLLIN, EPOLL_CTL_MOD);
    return write(c, pending);
  }

  void readRequest(Conn& c) {
    char buf[16384];
    while (true) {
      ssize_t n = ::recv(c.fd, buf, sizeof buf, 0);
      if (n < 0 && errno == EINTR) {
        continue;
      }
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
        break;
      }
      if (n <= 0) {
        close(c);
        return;
      }
      c.in.append(buf, static_cast<size_t>(n));
    }
    while (!c.streaming) {
      size_t end = c.in.find("\r\n\r\n");
      if (end == std::string::npos) {
        return;
      }
      size_t length = 0;
      std::string head = c.in.substr(0, end);
      for (auto& ch : head) {
        ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
      }
      size_t cl = head.find("\r\ncontent-length:");
      if (cl != std::string::npos) {
        length = std::strtoul(head.c_str() + cl + 17, nullptr, 10);
      }
      if (c.in.size() < end + 4 + length) {
        return;  // the body is still coming
      }
      bool stream = head.find(":streamgeneratecontent") != std::string::npos;
      bool generate = !stream && head.find(":generatecontent") != std::string::npos;
      c.in.erase(0, end + 4 + length);
      if (generate) {
        // The shape of the test fake's answer (tests/fakes), prepared once.
        static const std::string answer = [] {
          const std::string body =
              R"({"candidates":[{"content":{"parts":[{"text":"echo: Say hello in one short sentence."}],)"
              R"("role":"model"},"finishReason":"STOP","index":0}],"usageMetadata":{"promptTokenCount":14,)"
              R"("candidatesTokenCount":7,"totalTokenCount":21},"modelVersion":"gemini-2.5-flash",)"
              R"("responseId":"bench-upstream"})";
          return "HTTP/1.1 200 OK\r\nContent-Type: application/json; charset=UTF-8\r\nContent-Length: " +
                 std::to_string(body.size()) + "\r\n\r\n" + body;
        }();
        if (!write(c, answer)) {
          return;
        }
        continue;
      }
      if (!stream) {
        static const std::string body =
            R"({"error":{"code":404,"message":"sse_upstream serves generateContent and streamGenerateContent only","status":"NOT_FOUND"}})";
        if (!write(c, "HTTP/1.1 404 Not Found\r\nContent-Type: application/json\r\nContent-Length: " +
                          std::to_string(body.size()) + "\r\n\r\n" + body)) {
          return;
        }
        continue;
      }
      c.streaming = true;
      c.sent = 0;
      ++c.generation;
      if (!write(c, "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n"
                    "Transfer-Encoding: chunked\r\n\r\n")) {
        return;
      }
      sendEvent(c, nowNs());
    }
  }

  // Sends the next event now; schedules the one after `delay` past this one's due time (not past
  // now: streams whose events are sent late in one batch would otherwise fall into step with each
  // other and, over a run, arrive at the proxy in ever larger bursts that no real upstream sends);
  // or ends the stream.
  void sendEvent(Conn& c, int64_t dueNs) {
    bool last = c.sent + 1 >= events_;
    char text[64];
    std::snprintf(text, sizeof text, "ts=%lld ", static_cast<long long>(nowNs()));
    std::string json = R"({"candidates":[{"content":{"parts":[{"text":")" + std::string(text) +
                       R"("}],"role":"model"},)" +
                       (last ? R"("finishReason":"STOP",)" : "") + R"("index":0}],)" +
                       (last ? R"("usageMetadata":{"promptTokenCount":8,"candidatesTokenCount":)" +
                                   std::to_string(events_) +
                                   R"(,"totalTokenCount":)" + std::to_string(events_ + 8) + "},"
                             : "") +
                       R"("modelVersion":"gemini-2.5-flash","responseId":"sse-upstream"})";
    std::string event = "data: " + json + "\r\n\r\n";
    char size[16];
    std::snprintf(size, sizeof size, "%zx\r\n", event.size());
    std::string chunk = size + event + "\r\n";
    ++c.sent;
    if (last) {
      chunk += "0\r\n\r\n";
      c.streaming = false;
    }
    int fd = c.fd;
    uint64_t generation = c.generation;
    if (!write(c, chunk)) {
      return;
    }
    if (!last) {
      timers_.push(Due{dueNs + delayNs_, fd, generation});
    } else if (!c.in.empty()) {
      readRequest(c);  // a pipelined request
    }
  }

  void fireTimers() {
    int64_t now = nowNs();
    while (!timers_.empty() && timers_.top().atNs <= now) {
      Due d = timers_.top();
      timers_.pop();
      auto it = conns_.find(d.fd);
      if (it == conns_.end() || it->second->generation != d.generation || !it->second->streaming) {
        continue;
      }
      sendEvent(*it->second, d.atNs);
    }
  }

  int events_;
  int64_t delayNs_;
  int lfd_ = -1;
  int epfd_ = -1;
  std::unordered_map<int, std::unique_ptr<Conn>> conns_;
  std::priority_queue<Due, std::vector<Due>, std::greater<Due>> timers_;
};

}  // namespace

int main(int argc, char** argv) {
  int port = 0;
  int events = 50;
  int delayMs = 20;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string a = argv[i];
    int v = std::atoi(argv[i + 1]);
    if (a == "--port") {
      port = v;
    } else if (a == "--events") {
      events = std::max(1, v);
    } else if (a == "--delay-ms") {
      delayMs = std::max(0, v);
    } else {
      std::cerr << "usage: sse_upstream [--port N] [--events N] [--delay-ms N]\n";
      return 2;
    }
  }
  struct sigaction sa {};
  sa.sa_handler = onSignal;
  ::sigaction(SIGINT, &sa, nullptr);
  ::sigaction(SIGTERM, &sa, nullptr);
  ::signal(SIGPIPE, SIG_IGN);
  Server server(events, delayMs);
  std::printf("PORT=%d\n", server.listen(static_cast<uint16_t>(port)));
  std::fflush(stdout);
  server.run();
  return 0;
}
