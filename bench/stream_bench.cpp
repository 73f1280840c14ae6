// stream_bench: opens N concurrent HTTP/1.1 streaming requests against 127.0.0.1 (plain POSIX
// sockets, one epoll loop in one thread, so the client stays cheap next to the fake upstream),
// decodes the chunked Server-Sent Events and reports time to first event, the gaps between events
// (p50/p99/max over every stream) and how many streams completed.
//
//   stream_bench --port P --path /v1beta/models/m:streamGenerateContent?alt=sse
//                --body-file body.json [--streams N] [--expect-events N] [--header "k: v"]...
//                [--timeout-s S] [--ramp-ms MS] [--raw out.tsv]
//
// Prints one line `key=value ...` on stdout (for scripts) and a human summary on stderr.
// Events stamped by bench/sse_upstream ("ts=<steady_clock ns>" in their data) also give the
// per-event latency from the upstream's write to this client's read, which is what a proxy adds
// to each event (compare with a direct run). A stream "completes" when the response is 200, the chunked body ends with its last chunk and
// at least --expect-events `data:` events arrived. wrk cannot do this (it times whole responses).
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

struct Options {
  int port = 0;
  std::string path;
  std::string body;
  std::vector<std::string> headers;
  int streams = 1;
  int expectEvents = 1;
  int timeoutS = 120;
  int rampMs = 0;  // spread the request starts over this many milliseconds
  std::string rawPath;
  std::string windowsPath;  // per 100 ms of upstream send time: events and their latency
};

struct StreamResult {
  bool ok = false;
  int status = 0;
  int events = 0;
  std::string error;
  double connectUs = 0;  // connect() duration
  double ttfbUs = -1;    // request sent -> first complete event
  double totalUs = 0;    // request sent -> end of body
  std::vector<double> gapsUs;
  std::vector<double> latencyUs;  // per stamped event: upstream write -> received here
  std::vector<int64_t> sentNs;    // per stamped event: its upstream write (steady_clock ns)
};

double usSince(Clock::time_point from, Clock::time_point to) {
  return std::chrono::duration<double, std::micro>(to - from).count();
}

// Incremental decoder of a chunked HTTP body feeding an SSE event splitter. For each complete
// event that carries a data: field it appends the event's send stamp (the number after "ts=" in
// its data, written by bench/sse_upstream.cpp; -1 when absent) to `stamps`.
class ChunkedSse {
 public:
  void feed(const char* data, size_t n, std::vector<int64_t>& stamps) {
    buf_.append(data, n);
    size_t pos = 0;
    while (!done_) {
      if (remaining_ == 0) {
        size_t eol = buf_.find("\r\n", pos);
        if (eol == std::string::npos) {
          break;
        }
        if (afterChunk_) {  // the CRLF that closes a chunk's data
          pos = eol + 2;
          afterChunk_ = false;
          continue;
        }
        size_t size = std::strtoul(buf_.c_str() + pos, nullptr, 16);
        pos = eol + 2;
        if (size == 0) {
          done_ = true;
          break;
        }
        remaining_ = size;
      }
      size_t take = std::min(remaining_, buf_.size() - pos);
      if (take == 0) {
        break;
      }
      sse(buf_.data() + pos, take, stamps);
      pos += take;
      remaining_ -= take;
      if (remaining_ == 0) {
        afterChunk_ = true;
      }
    }
    buf_.erase(0, pos);
  }
  bool done() const { return done_; }

 private:
  // Splits blank-line-terminated events (LF or CRLF framing).
  void sse(const char* data, size_t n, std::vector<int64_t>& stamps) {
    for (size_t i = 0; i < n; ++i) {
      char c = data[i];
      if (c == '\r') {
        continue;
      }
      if (c != '\n') {
        line_.push_back(c);
        continue;
      }
      if (line_.empty()) {
        if (eventHasData_) {
          stamps.push_back(eventStamp_);
        }
        eventHasData_ = false;
        eventStamp_ = -1;
      } else if (line_.compare(0, 5, "data:") == 0) {
        eventHasData_ = true;
        size_t ts = line_.find("ts=");
        if (ts != std::string::npos && eventStamp_ < 0) {
          eventStamp_ = std::strtoll(line_.c_str() + ts + 3, nullptr, 10);
        }
      }
      line_.clear();
    }
  }

  std::string buf_;
  size_t remaining_ = 0;
  bool afterChunk_ = false;
  bool done_ = false;
  std::string line_;
  bool eventHasData_ = false;
  int64_t eventStamp_ = -1;
};

// steady_clock is CLOCK_MONOTONIC, shared by every process on the machine.
int64_t toNs(Clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
}

// One stream's connection state inside the event loop.
struct Conn {
  int fd = -1;
  bool connected = false;
  bool finished = false;
  bool begun = false;  // its request is due and (being) sent
  size_t sent = 0;
  std::string head;
  bool haveHead = false;
  ChunkedSse body;
  Clock::time_point start;
  Clock::time_point lastEvent;
  StreamResult result;
};

void finish(Conn& c, int epfd, std::string error, int& open) {
  if (c.finished) {
    return;
  }
  c.finished = true;
  if (!error.empty() && c.result.error.empty()) {
    c.result.error = std::move(error);
  }
  if (c.fd >= 0) {
    ::epoll_ctl(epfd, EPOLL_CTL_DEL, c.fd, nullptr);
    ::close(c.fd);
    c.fd = -1;
  }
  --open;
}

// Reads what is available; finishes the stream once its body is complete or broken.
void onReadable(Conn& c, const Options& o, int epfd, int& open) {
  char buf[16384];
  static std::vector<int64_t> stamps;
  while (!c.finished) {
    ssize_t n = ::recv(c.fd, buf, sizeof buf, 0);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      return;
    }
    if (n <= 0) {
      finish(c, epfd,
             n == 0 ? "connection closed before the end of the stream"
                    : std::string("recv: ") + std::strerror(errno),
             open);
      return;
    }
    auto at = Clock::now();
    StreamResult& r = c.result;
    const char* data = buf;
    size_t len = static_cast<size_t>(n);
    std::string rest;
    if (!c.haveHead) {
      c.head.append(buf, len);
      size_t end = c.head.find("\r\n\r\n");
      if (end == std::string::npos) {
        continue;
      }
      c.haveHead = true;
      if (c.head.size() > 12) {
        r.status = std::atoi(c.head.c_str() + 9);
      }
      std::string lower = c.head.substr(0, end);
      std::transform(lower.begin(), lower.end(), lower.begin(),
                     [](unsigned char ch) { return static_cast<char>(std::tolower(ch)); });
      bool chunked = lower.find("transfer-encoding: chunked") != std::string::npos;
      if (r.status != 200 || !chunked) {
        finish(c, epfd,
               "HTTP " + std::to_string(r.status) + (chunked ? "" : " (not chunked)") + ": " +
                   c.head.substr(end + 4, 200),
               open);
        return;
      }
      rest = c.head.substr(end + 4);  // the rest of this read is body
      data = rest.data();
      len = rest.size();
    }
    stamps.clear();
    c.body.feed(data, len, stamps);
    int64_t atNs = toNs(at);
    for (size_t i = 0; i < stamps.size(); ++i) {
      if (r.events == 0) {
        r.ttfbUs = usSince(c.start, at);
      } else if (i == 0) {
        r.gapsUs.push_back(usSince(c.lastEvent, at));
      } else {
        r.gapsUs.push_back(0);  // several events in one read
      }
      if (stamps[i] >= 0) {
        r.latencyUs.push_back(static_cast<double>(atNs - stamps[i]) / 1000.0);
        r.sentNs.push_back(stamps[i]);
      }
      ++r.events;
      c.lastEvent = at;
    }
    if (c.body.done()) {
      r.totalUs = usSince(c.start, at);
      if (r.events >= o.expectEvents) {
        r.ok = true;
        finish(c, epfd, "", open);
      } else {
        finish(c, epfd, "stream ended after " + std::to_string(r.events) + " events", open);
      }
      return;
    }
  }
}

// Sends the rest of the request; false when the socket refused it.
bool sendRest(Conn& c, const std::string& request) {
  while (c.sent < request.size()) {
    ssize_t w =
        ::send(c.fd, request.data() + c.sent, request.size() - c.sent, MSG_NOSIGNAL);
    if (w < 0 && errno == EINTR) {
      continue;
    }
    if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      return true;
    }
    if (w <= 0) {
      return false;
    }
    c.sent += static_cast<size_t>(w);
  }
  return true;
}

// Connects every stream first (not timed), then sends the requests and reads every stream from
// one epoll loop.
double runAll(const Options& o, const std::string& request, std::vector<Conn>& conns) {
  int epfd = ::epoll_create1(EPOLL_CLOEXEC);
  if (epfd < 0) {
    std::perror("epoll_create1");
    std::exit(1);
  }
  int open = 0;
  int pending = 0;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(o.port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  for (size_t i = 0; i < conns.size(); ++i) {
    Conn& c = conns[i];
    c.fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (c.fd < 0) {
      c.finished = true;
      c.result.error = std::string("socket: ") + std::strerror(errno);
      continue;
    }
    ++open;
    int one = 1;
    ::setsockopt(c.fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    auto c0 = Clock::now();
    int rc = ::connect(c.fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    c.result.connectUs = usSince(c0, Clock::now());
    if (rc != 0 && errno != EINPROGRESS) {
      finish(c, epfd, std::string("connect: ") + std::strerror(errno), open);
      continue;
    }
    c.connected = rc == 0;
    epoll_event ev{};
    ev.events = EPOLLOUT;
    ev.data.u64 = i;
    ::epoll_ctl(epfd, EPOLL_CTL_ADD, c.fd, &ev);
    if (!c.connected) {
      ++pending;
    }
  }
  std::vector<epoll_event> ready(1024);
  auto connectDeadline = Clock::now() + std::chrono::seconds(30);
  while (pending > 0 && Clock::now() < connectDeadline) {
    int n = ::epoll_wait(epfd, ready.data(), static_cast<int>(ready.size()), 100);
    for (int k = 0; k < n; ++k) {
      Conn& c = conns[ready[k].data.u64];
      if (c.finished || c.connected) {
        continue;
      }
      int err = 0;
      socklen_t len = sizeof err;
      ::getsockopt(c.fd, SOL_SOCKET, SO_ERROR, &err, &len);
      --pending;
      if (err != 0) {
        finish(c, epfd, std::string("connect: ") + std::strerror(err), open);
      } else {
        c.connected = true;
      }
    }
  }
  for (auto& c : conns) {
    if (!c.finished && !c.connected) {
      finish(c, epfd, "connect timed out", open);
    } else if (!c.finished) {
      epoll_event quiet{};  // nothing to watch until its request is due
      quiet.data.u64 = static_cast<uint64_t>(&c - conns.data());
      ::epoll_ctl(epfd, EPOLL_CTL_MOD, c.fd, &quiet);
    }
  }

  // Requests go out back to back, or spread evenly over --ramp-ms; reads are served meanwhile.
  auto t0 = Clock::now();
  size_t next = 0;
  auto sendDue = [&](Clock::time_point now) {
    for (; next < conns.size(); ++next) {
      auto due = t0 + std::chrono::microseconds(static_cast<int64_t>(o.rampMs) * 1000 *
                                                static_cast<int64_t>(next) /
                                                static_cast<int64_t>(conns.size()));
      if (due > now) {
        return due;
      }
      Conn& c = conns[next];
      if (c.finished) {
        continue;
      }
      c.begun = true;
      c.start = Clock::now();
      if (!sendRest(c, request)) {
        finish(c, epfd, std::string("send: ") + std::strerror(errno), open);
        continue;
      }
      epoll_event ev{};
      ev.events = EPOLLIN | (c.sent < request.size() ? static_cast<uint32_t>(EPOLLOUT) : 0U);
      ev.data.u64 = next;
      ::epoll_ctl(epfd, EPOLL_CTL_MOD, c.fd, &ev);
      now = Clock::now();
    }
    return Clock::time_point::max();
  };
  auto deadline = t0 + std::chrono::milliseconds(o.rampMs) + std::chrono::seconds(o.timeoutS);
  while (open > 0) {
    auto now = Clock::now();
    if (now >= deadline) {
      break;
    }
    auto wake = std::min(deadline, sendDue(now));
    int waitMs = static_cast<int>(
        (std::chrono::duration_cast<std::chrono::microseconds>(wake - now).count() + 999) / 1000);
    int n = ::epoll_wait(epfd, ready.data(), static_cast<int>(ready.size()), waitMs);
    if (n < 0 && errno != EINTR) {
      std::perror("epoll_wait");
      break;
    }
    for (int k = 0; k < n; ++k) {
      Conn& c = conns[ready[k].data.u64];
      if (c.finished) {
        continue;
      }
      if (!c.begun) {
        continue;
      }
      if ((ready[k].events & EPOLLOUT) && c.sent < request.size()) {
        if (!sendRest(c, request)) {
          finish(c, epfd, std::string("send: ") + std::strerror(errno), open);
          continue;
        }
        if (c.sent == request.size()) {
          epoll_event ev{};
          ev.events = EPOLLIN;
          ev.data.u64 = ready[k].data.u64;
          ::epoll_ctl(epfd, EPOLL_CTL_MOD, c.fd, &ev);
        }
      }
      if (ready[k].events & (EPOLLIN | EPOLLHUP | EPOLLERR)) {
        onReadable(c, o, epfd, open);
      }
    }
  }
  for (auto& c : conns) {
    if (!c.finished) {
      finish(c, epfd, "timeout", open);
    }
  }
  ::close(epfd);
  return usSince(t0, Clock::now()) / 1e6;
}

double percentile(std::vector<double> v, double p) {
  if (v.empty()) {
    return 0;
  }
  std::sort(v.begin(), v.end());
  size_t idx = static_cast<size_t>(p / 100.0 * static_cast<double>(v.size() - 1) + 0.5);
  return v[std::min(idx, v.size() - 1)];
}

// Event latency per 100 ms of upstream send time, so a tail can be told apart by when it
// happened (while streams were still starting, or in the steady state).
void writeWindows(const std::string& path, const std::vector<Conn>& tasks) {
  int64_t first = INT64_MAX;
  for (const auto& t : tasks) {
    for (int64_t ns : t.result.sentNs) {
      first = std::min(first, ns);
    }
  }
  std::map<int64_t, std::vector<double>> windows;
  for (const auto& t : tasks) {
    const auto& r = t.result;
    for (size_t i = 0; i < r.sentNs.size(); ++i) {
      windows[(r.sentNs[i] - first) / 100000000].push_back(r.latencyUs[i]);
    }
  }
  std::ofstream out(path);
  // at_s: the window's start on CLOCK_MONOTONIC (steady_clock), to line it up with a trace.
  out << "from_ms\tevents\tlat_p50_us\tlat_p99_us\tlat_max_us\tat_s\n";
  for (auto& [w, lat] : windows) {
    out << w * 100 << '\t' << lat.size() << '\t' << percentile(lat, 50) << '\t'
        << percentile(lat, 99) << '\t' << *std::max_element(lat.begin(), lat.end()) << '\t'
        << std::fixed << static_cast<double>(first + w * 100000000) / 1e9 << std::defaultfloat
        << '\n';
  }
}

void usage() {
  std::cerr << "usage: stream_bench --port P --path PATH (--body S | --body-file F)\n"
               "                    [--streams N] [--expect-events N] [--header 'k: v']...\n"
               "                    [--timeout-s S] [--ramp-ms MS] [--raw out.tsv]\n"
               "                    [--windows out.tsv]\n";
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "-h" || a == "--help") {
      usage();
      return 0;
    }
    if (i + 1 >= argc) {
      usage();
      return 2;
    }
    std::string v = argv[++i];
    if (a == "--port") {
      o.port = std::atoi(v.c_str());
    } else if (a == "--path") {
      o.path = v;
    } else if (a == "--body") {
      o.body = v;
    } else if (a == "--body-file") {
      std::ifstream in(v, std::ios::binary);
      if (!in) {
        std::cerr << "stream_bench: cannot read " << v << "\n";
        return 2;
      }
      std::stringstream ss;
      ss << in.rdbuf();
      o.body = ss.str();
    } else if (a == "--header") {
      o.headers.push_back(v);
    } else if (a == "--streams") {
      o.streams = std::max(1, std::atoi(v.c_str()));
    } else if (a == "--expect-events") {
      o.expectEvents = std::max(1, std::atoi(v.c_str()));
    } else if (a == "--timeout-s") {
      o.timeoutS = std::max(1, std::atoi(v.c_str()));
    } else if (a == "--ramp-ms") {
      o.rampMs = std::max(0, std::atoi(v.c_str()));
    } else if (a == "--raw") {
      o.rawPath = v;
    } else if (a == "--windows") {
      o.windowsPath = v;
    } else {
      std::cerr << "stream_bench: unknown option " << a << "\n";
      usage();
      return 2;
    }
  }
  if (o.port <= 0 || o.path.empty()) {
    usage();
    return 2;
  }

  std::ostringstream req;
  req << "POST " << o.path << " HTTP/1.1\r\nHost: 127.0.0.1:" << o.port
      << "\r\nContent-Type: application/json\r\nAccept: text/event-stream\r\n";
  for (const auto& h : o.headers) {
    req << h << "\r\n";
  }
  req << "Content-Length: " << o.body.size() << "\r\n\r\n" << o.body;

  std::vector<Conn> tasks(static_cast<size_t>(o.streams));
  double wallS = runAll(o, req.str(), tasks);

  int completed = 0;
  long events = 0;
  std::vector<double> ttfb;
  std::vector<double> gaps;
  std::vector<double> latency;
  std::vector<std::string> errors;
  for (const auto& t : tasks) {
    const auto& r = t.result;
    events += r.events;
    if (r.ok) {
      ++completed;
    } else if (errors.size() < 5) {
      errors.push_back(r.error);
    }
    if (r.ttfbUs >= 0) {
      ttfb.push_back(r.ttfbUs);
    }
    gaps.insert(gaps.end(), r.gapsUs.begin(), r.gapsUs.end());
    latency.insert(latency.end(), r.latencyUs.begin(), r.latencyUs.end());
  }
  if (!o.rawPath.empty()) {
    std::ofstream raw(o.rawPath);
    raw << "stream\tok\tstatus\tevents\tconnect_us\tttfb_us\ttotal_us\tgap_p50_us\tgap_max_us\terror\n";
    for (size_t i = 0; i < tasks.size(); ++i) {
      const auto& r = tasks[i].result;
      raw << i << '\t' << r.ok << '\t' << r.status << '\t' << r.events << '\t' << r.connectUs << '\t'
          << r.ttfbUs << '\t' << r.totalUs << '\t' << percentile(r.gapsUs, 50) << '\t'
          << (r.gapsUs.empty() ? 0 : *std::max_element(r.gapsUs.begin(), r.gapsUs.end())) << '\t'
          << r.error << '\n';
    }
  }
  if (!o.windowsPath.empty()) {
    writeWindows(o.windowsPath, tasks);
  }
  int failed = o.streams - completed;
  std::printf(
      "streams=%d completed=%d failed=%d events=%ld wall_s=%.3f ttfb_p50_us=%.0f ttfb_p99_us=%.0f "
      "ttfb_max_us=%.0f gap_p50_us=%.0f gap_p99_us=%.0f gap_max_us=%.0f stamped=%zu "
      "event_lat_p50_us=%.0f event_lat_p99_us=%.0f event_lat_max_us=%.0f\n",
      o.streams, completed, failed, events, wallS, percentile(ttfb, 50), percentile(ttfb, 99),
      ttfb.empty() ? 0.0 : *std::max_element(ttfb.begin(), ttfb.end()), percentile(gaps, 50),
      percentile(gaps, 99), gaps.empty() ? 0.0 : *std::max_element(gaps.begin(), gaps.end()),
      latency.size(), percentile(latency, 50), percentile(latency, 99),
      latency.empty() ? 0.0 : *std::max_element(latency.begin(), latency.end()));
  std::fflush(stdout);
  std::cerr << "stream_bench: " << completed << "/" << o.streams << " streams completed, " << events
            << " events, ttfb p50 " << percentile(ttfb, 50) / 1000.0 << " ms p99 "
            << percentile(ttfb, 99) / 1000.0 << " ms, gap p50 " << percentile(gaps, 50) / 1000.0
            << " ms p99 " << percentile(gaps, 99) / 1000.0 << " ms";
  if (!latency.empty()) {
    std::cerr << ", event latency p50 " << percentile(latency, 50) << " us p99 "
              << percentile(latency, 99) << " us";
  }
  std::cerr << "\n";
  for (const auto& e : errors) {
    std::cerr << "  failure: " << e << "\n";
  }
  return failed == 0 ? 0 : 1;
}
