#include "test_host.hpp"

#include <Poco/Exception.h>
#include <Poco/Net/NetException.h>
#include <Poco/Net/SocketAddress.h>
#include <Poco/Net/StreamSocket.h>
#include <Poco/String.h>
#include <Poco/URI.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <memory>

namespace llmp::plugins::gemini_api::testing {

namespace {

TestHost* self(const llmp_host_api* api) { return static_cast<TestHost*>(api->host_data); }

std::string str(llmp_bytes b) { return b.ptr ? std::string(b.ptr, b.len) : std::string(); }

void setErr(const llmp_error_sink* err, llmp_status code, const std::string& message) {
  if (err != nullptr && err->set != nullptr) {
    err->set(err->ctx, code, 0, -1, llmp_bytes{message.data(), message.size()}, llmp_bytes{});
  }
}

Poco::Timespan ms(uint32_t value, uint32_t fallback) {
  uint32_t v = value == 0 ? fallback : value;
  return Poco::Timespan(static_cast<Poco::Timespan::TimeDiff>(v) * 1000);
}

}  // namespace

TestHost::TestHost() {
  api_.struct_size = sizeof(api_);
  api_.abi_major = 1;
  api_.abi_minor = 0;
  api_.host_data = this;
  api_.host_name = "gemini-api-test-host";
  api_.host_version = "0";
  api_.log = [](const llmp_host_api* h, int32_t level, llmp_bytes m) {
    self(h)->log(level, str(m));
  };
  api_.log_enabled = [](const llmp_host_api*, int32_t) -> int32_t { return 1; };
  api_.monotonic_ms = [](const llmp_host_api*) -> int64_t {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::steady_clock::now().time_since_epoch())
        .count();
  };
  api_.wall_ms = [](const llmp_host_api* h) -> int64_t { return self(h)->wallMs(); };
  api_.http_fetch = [](const llmp_host_api* h, const llmp_http_request* r,
                       const llmp_http_response_sink* s,
                       const llmp_error_sink* e) { return self(h)->fetch(r, s, e); };
  api_.kv_get = [](const llmp_host_api* h, llmp_bytes key, const llmp_bytes_sink* out) {
    std::string value;
    llmp_status st = self(h)->kvLookup(str(key), &value);
    if (st == LLMP_OK) {
      out->write(out->ctx, llmp_bytes{value.data(), value.size()});
    }
    return st;
  };
  api_.kv_set = [](const llmp_host_api* h, llmp_bytes key, llmp_bytes value, int64_t ttl) {
    self(h)->kvSet(str(key), str(value), ttl);
    return LLMP_OK;
  };
  api_.kv_delete = [](const llmp_host_api* h, llmp_bytes key) {
    self(h)->kvDelete(str(key));
    return LLMP_OK;
  };
}

std::vector<std::string> TestHost::logLines() const {
  std::lock_guard<std::mutex> lock(mu_);
  return logs_;
}

llmp_status HostUnderTest::kvGet(const std::string& key, std::string* value) const {
  struct Ctx {
    std::string* out;
  } ctx{value};
  llmp_bytes_sink sink{sizeof(llmp_bytes_sink), &ctx, [](void* c, llmp_bytes data) {
                         static_cast<Ctx*>(c)->out->append(str(data));
                         return LLMP_OK;
                       }};
  value->clear();
  return api()->kv_get(api(), llmp_bytes{key.data(), key.size()}, &sink);
}

std::string TestHost::allLogText() {
  std::string all;
  for (const auto& line : logLines()) {
    all += line + "\n";
  }
  return all;
}

bool TestHost::advanceWallMs(int64_t delta) {
  std::lock_guard<std::mutex> lock(mu_);
  wallOffsetMs_ += delta;
  return true;
}

size_t TestHost::fetchCount() const {
  std::lock_guard<std::mutex> lock(mu_);
  return fetches_;
}

void TestHost::log(int32_t level, const std::string& message) {
  std::lock_guard<std::mutex> lock(mu_);
  logs_.push_back(std::to_string(level) + " " + message);
}

int64_t TestHost::wallMs() const {
  int64_t now = std::chrono::duration_cast<std::chrono::milliseconds>(
                    std::chrono::system_clock::now().time_since_epoch())
                    .count();
  std::lock_guard<std::mutex> lock(mu_);
  return now + wallOffsetMs_;
}

llmp_status TestHost::kvLookup(const std::string& key, std::string* value) {
  int64_t now = wallMs();
  std::lock_guard<std::mutex> lock(mu_);
  auto it = kv_.find(key);
  if (it == kv_.end() || (it->second.expiresAt != 0 && it->second.expiresAt <= now)) {
    return LLMP_E_NOT_FOUND;
  }
  *value = it->second.value;
  return LLMP_OK;
}

void TestHost::kvSet(const std::string& key, const std::string& value, int64_t ttlMs) {
  int64_t now = wallMs();
  std::lock_guard<std::mutex> lock(mu_);
  kv_[key] = Entry{value, ttlMs > 0 ? now + ttlMs : 0};
}

void TestHost::kvDelete(const std::string& key) {
  std::lock_guard<std::mutex> lock(mu_);
  kv_.erase(key);
}

namespace {

// A minimal HTTP/1.1 exchange over a plain socket (one connection per request). Written by hand
// rather than with Poco's HTTPClientSession because Poco's chunked reader treats a connection
// that closes before the last (zero-length) chunk as a normal end, which would hide exactly the
// failure some tests provoke.
class Exchange {
 public:
  Exchange(Poco::Net::StreamSocket& socket, const llmp_http_response_sink* sink)
      : socket_(socket), sink_(sink) {}

  // Reads at least one more byte into buf_; false on orderly close.
  bool fill() {
    char tmp[16384];
    int n = socket_.receiveBytes(tmp, sizeof(tmp));
    if (n <= 0) {
      return false;
    }
    buf_.append(tmp, static_cast<size_t>(n));
    return true;
  }

  // Reads a CRLF-terminated line.
  bool line(std::string* out) {
    size_t pos;
    while ((pos = buf_.find("\r\n")) == std::string::npos) {
      if (!fill()) {
        return false;
      }
    }
    *out = buf_.substr(0, pos);
    buf_.erase(0, pos + 2);
    return true;
  }

  // Delivers n body bytes (or everything until close when n < 0); false when the peer closed
  // early; cancelled is set when the sink stopped.
  bool body(int64_t n, bool* cancelled) {
    while (n != 0) {
      if (buf_.empty() && !fill()) {
        return n < 0;
      }
      size_t take = n < 0 ? buf_.size() : std::min<size_t>(buf_.size(), static_cast<size_t>(n));
      if (sink_->on_body(sink_->ctx, llmp_bytes{buf_.data(), take}) != LLMP_OK) {
        *cancelled = true;
        return true;
      }
      buf_.erase(0, take);
      if (n > 0) {
        n -= static_cast<int64_t>(take);
      }
    }
    return true;
  }

  std::string& buffer() { return buf_; }

 private:
  Poco::Net::StreamSocket& socket_;
  const llmp_http_response_sink* sink_;
  std::string buf_;
};

bool iequalsAscii(const std::string& a, const std::string& b) { return Poco::icompare(a, b) == 0; }

}  // namespace

llmp_status TestHost::fetch(const llmp_http_request* r, const llmp_http_response_sink* sink,
                            const llmp_error_sink* err) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    ++fetches_;
  }
  Poco::URI uri;
  try {
    uri = Poco::URI(str(r->url));
  } catch (const Poco::Exception&) {
    setErr(err, LLMP_E_INVALID, "malformed URL");
    return LLMP_E_INVALID;
  }
  if (uri.getScheme() != "http") {
    setErr(err, LLMP_E_INVALID, "the test host speaks plain http only");
    return LLMP_E_INVALID;
  }
  const std::string target = uri.getHost() + ":" + std::to_string(uri.getPort());
  Poco::Net::StreamSocket socket;
  try {
    socket.connect(Poco::Net::SocketAddress(uri.getHost(), uri.getPort()),
                   ms(r->connect_timeout_ms, 10000));
  } catch (const Poco::TimeoutException&) {
    setErr(err, LLMP_E_TIMEOUT, "connect timeout to " + target);
    return LLMP_E_TIMEOUT;
  } catch (const Poco::Exception& e) {
    setErr(err, LLMP_E_UNAVAILABLE, e.displayText() + " (" + target + ")");
    return LLMP_E_UNAVAILABLE;
  }

  bool headSent = false;
  try {
    std::string head = str(r->method) + " " + uri.getPathAndQuery() +
                       " HTTP/1.1\r\nHost: " + target + "\r\nConnection: close\r\n";
    for (size_t i = 0; i < r->header_count; ++i) {
      head += str(r->headers[i].name) + ": " + str(r->headers[i].value) + "\r\n";
    }
    head += "Content-Length: " + std::to_string(r->body.len) + "\r\n\r\n";
    head.append(r->body.ptr ? r->body.ptr : "", r->body.len);
    socket.sendBytes(head.data(), static_cast<int>(head.size()));
    socket.setReceiveTimeout(ms(r->first_byte_timeout_ms, 120000));

    Exchange ex(socket, sink);
    std::string statusLine;
    if (!ex.line(&statusLine)) {
      setErr(err, LLMP_E_UNAVAILABLE, "connection to " + target + " closed before a response");
      return LLMP_E_UNAVAILABLE;
    }
    socket.setReceiveTimeout(ms(r->idle_timeout_ms, 120000));
    int32_t status = std::atoi(statusLine.substr(statusLine.find(' ') + 1).c_str());
    std::vector<std::pair<std::string, std::string>> owned;
    int64_t contentLength = -1;
    bool chunked = false;
    for (std::string line; ex.line(&line) && !line.empty();) {
      size_t colon = line.find(':');
      std::string name = line.substr(0, colon);
      std::string value = colon == std::string::npos ? "" : Poco::trim(line.substr(colon + 1));
      if (iequalsAscii(name, "content-length")) {
        contentLength = std::stoll(value);
      } else if (iequalsAscii(name, "transfer-encoding")) {
        chunked = Poco::icompare(value, "chunked") == 0;
      }
      owned.emplace_back(name, value);
    }
    std::vector<llmp_header> headers;
    for (const auto& [k, v] : owned) {
      headers.push_back(llmp_header{{k.data(), k.size()}, {v.data(), v.size()}});
    }
    headSent = true;
    if (sink->on_head(sink->ctx, status, headers.data(), headers.size()) != LLMP_OK) {
      setErr(err, LLMP_E_CANCELLED, "cancelled by the response sink");
      return LLMP_E_CANCELLED;
    }
    bool cancelled = false;
    bool complete = true;
    if (chunked) {
      while (true) {
        std::string sizeLine;
        if (!ex.line(&sizeLine)) {
          complete = false;
          break;
        }
        int64_t size = std::stoll(sizeLine, nullptr, 16);
        if (size == 0) {
          break;
        }
        if (!ex.body(size, &cancelled) || cancelled) {
          complete = cancelled;
          break;
        }
        std::string crlf;
        if (!ex.line(&crlf)) {
          complete = false;
          break;
        }
      }
    } else {
      complete = ex.body(contentLength, &cancelled);
    }
    if (cancelled) {
      setErr(err, LLMP_E_CANCELLED, "cancelled by the response sink");
      return LLMP_E_CANCELLED;
    }
    if (!complete) {
      setErr(err, LLMP_E_UNAVAILABLE, "connection to " + target + " closed early");
      return LLMP_E_UNAVAILABLE;
    }
    return LLMP_OK;
  } catch (const Poco::TimeoutException&) {
    setErr(err, LLMP_E_TIMEOUT,
           headSent ? "idle timeout reading from " + target
                    : "first-byte timeout talking to " + target);
    return LLMP_E_TIMEOUT;
  } catch (const Poco::Exception& e) {
    setErr(err, LLMP_E_UNAVAILABLE, e.displayText() + " (" + target + ")");
    return LLMP_E_UNAVAILABLE;
  } catch (const std::exception& e) {
    setErr(err, LLMP_E_UNAVAILABLE, std::string(e.what()) + " (" + target + ")");
    return LLMP_E_UNAVAILABLE;
  }
}

}  // namespace llmp::plugins::gemini_api::testing
