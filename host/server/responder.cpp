#include "server/responder.h"

#include <cstdio>
#include <ctime>

#include <Poco/Net/HTTPResponse.h>
#include <llmp/cpp/bytes.hpp>

#include "log/log.h"

namespace llmp::host {
namespace {

constexpr char kCrLf[] = "\r\n";
constexpr char kLastChunk[] = "0\r\n\r\n";

// The Date header value (RFC 9110 IMF-fixdate), formatted once per second per thread.
const std::string& httpDate() {
  static const char* const kDays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static const char* const kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                        "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  thread_local time_t second = -1;
  thread_local std::string text;
  const time_t now = ::time(nullptr);
  if (now != second) {
    second = now;
    tm t{};
    gmtime_r(&now, &t);
    char buf[40];
    std::snprintf(buf, sizeof buf, "%s, %02d %s %04d %02d:%02d:%02d GMT", kDays[t.tm_wday % 7],
                  t.tm_mday, kMonths[t.tm_mon % 12], t.tm_year + 1900, t.tm_hour, t.tm_min,
                  t.tm_sec);
    text = buf;
  }
  return text;
}

// Framing and connection management belong to the host, whatever a front end says.
bool isFramingHeader(std::string_view name) {
  return iequals(name, "content-length") || iequals(name, "transfer-encoding") ||
         iequals(name, "connection");
}

}  // namespace

ClientResponder::ClientResponder(ClientConnection& connection)
    : connection_(connection),
      head_(connection.responseHeadBuffer()),
      keepAlive_(connection.head().keepAlive) {
  responder_.struct_size = sizeof(responder_);
  responder_.ctx = this;
  responder_.send = &ClientResponder::send;
  responder_.begin = &ClientResponder::begin;
  responder_.write = &ClientResponder::write;
}

void ClientResponder::formatHead(int32_t status, const llmp_header* headers, size_t count,
                                 int64_t bodyLength) {
  const bool http10 = connection_.head().minorVersion == 0;
  if (bodyLength < 0 && http10) {
    keepAlive_ = false;  // no chunked framing in HTTP/1.0: the close ends the body
  }
  chunked_ = bodyLength < 0 && !http10;
  std::string& h = head_;
  h.clear();
  h.append(http10 ? "HTTP/1.0 " : "HTTP/1.1 ").append(std::to_string(status)).append(" ");
  h.append(Poco::Net::HTTPResponse::getReasonForStatus(
      static_cast<Poco::Net::HTTPResponse::HTTPStatus>(status)));
  h.append(kCrLf).append("Date: ").append(httpDate()).append(kCrLf);
  if (!keepAlive_) {
    h.append("Connection: close\r\n");
  } else if (http10) {
    h.append("Connection: keep-alive\r\n");
  }
  for (size_t i = 0; i < count; ++i) {
    const std::string_view name = view(headers[i].name);
    const std::string_view value = view(headers[i].value);
    if (isFramingHeader(name) ||
        name.find_first_of(":\r\n") != std::string_view::npos ||
        value.find_first_of("\r\n") != std::string_view::npos) {
      continue;  // a line break would let a header value write the rest of the response
    }
    h.append(name).append(": ").append(value).append(kCrLf);
  }
  if (bodyLength >= 0) {
    h.append("Content-Length: ").append(std::to_string(bodyLength)).append(kCrLf);
  } else {
    if (chunked_) {
      h.append("Transfer-Encoding: chunked\r\n");
    }
    h.append("X-Accel-Buffering: no\r\n");  // tells a reverse proxy in front not to buffer
  }
  h.append(kCrLf);
}

llmp_status ClientResponder::emit(iovec* iov, int count) {
  if (services::RelayWrites* relay = services::RelayWrites::current()) {
    // On an I/O thread: never wait for this client.
    size_t total = 0;
    iovec original[4];
    for (int i = 0; i < count; ++i) {
      original[i] = iov[i];
      total += iov[i].iov_len;
    }
    size_t sent = 0;
    if (kept_.empty()) {
      const ssize_t n = connection_.send(iov, count, -1);
      if (n < 0) {
        broken_ = true;
        return LLMP_E_CANCELLED;
      }
      sent = static_cast<size_t>(n);
    }
    if (sent < total) {
      // Keep what did not go out, after whatever was kept before.
      for (int i = 0; i < count; ++i) {
        const size_t skip = std::min(sent, original[i].iov_len);
        kept_.append(static_cast<const char*>(original[i].iov_base) + skip,
                     original[i].iov_len - skip);
        sent -= skip;
      }
      relay->defer(this);
    }
    return LLMP_OK;
  }
  if (!flushDeferred() || connection_.send(iov, count, kClientSendTimeoutMs) < 0) {
    broken_ = true;
    return LLMP_E_CANCELLED;
  }
  return LLMP_OK;
}

llmp_status ClientResponder::send(void* ctx, int32_t status, const llmp_header* headers,
                                  size_t count, llmp_bytes body) {
  auto* self = static_cast<ClientResponder*>(ctx);
  if (self->started()) {
    log::write(log::kMisbehaving, "responder", "send() after the response was started");
    return LLMP_E_INVALID;
  }
  self->sent_ = true;
  self->formatHead(status, headers, count, static_cast<int64_t>(body.len));
  iovec iov[2] = {{self->head_.data(), self->head_.size()},
                  {const_cast<char*>(body.ptr), body.len}};
  const bool headOnly = self->connection_.head().method == "HEAD";
  return self->emit(iov, headOnly || body.len == 0 ? 1 : 2);
}

llmp_status ClientResponder::begin(void* ctx, int32_t status, const llmp_header* headers,
                                   size_t count) {
  auto* self = static_cast<ClientResponder*>(ctx);
  if (self->started()) {
    log::write(log::kMisbehaving, "responder", "begin() after the response was started");
    return LLMP_E_INVALID;
  }
  self->streaming_ = true;
  self->formatHead(status, headers, count, -1);
  iovec iov{self->head_.data(), self->head_.size()};
  return self->emit(&iov, 1);
}

llmp_status ClientResponder::write(void* ctx, llmp_bytes data) {
  auto* self = static_cast<ClientResponder*>(ctx);
  if (!self->streaming_) {
    log::write(log::kMisbehaving, "responder", "write() before begin()");
    return LLMP_E_INVALID;
  }
  if (self->broken_) {
    return LLMP_E_CANCELLED;
  }
  if (data.len == 0) {
    return LLMP_OK;  // an empty chunk would end the body
  }
  if (!self->chunked_) {
    iovec iov{const_cast<char*>(data.ptr), data.len};
    return self->emit(&iov, 1);
  }
  char size[24];
  const int sizeLen = std::snprintf(size, sizeof size, "%zx\r\n", data.len);
  iovec iov[3] = {{size, static_cast<size_t>(sizeLen)},
                  {const_cast<char*>(data.ptr), data.len},
                  {const_cast<char*>(kCrLf), 2}};
  return self->emit(iov, 3);
}

bool ClientResponder::flushDeferred() {
  if (kept_.empty() || broken_) {
    kept_.clear();
    return !broken_;
  }
  iovec iov{kept_.data(), kept_.size()};
  broken_ = connection_.send(&iov, 1, kClientSendTimeoutMs) < 0;
  kept_.clear();
  return !broken_;
}

bool ClientResponder::finish() {
  if (!flushDeferred()) {
    return false;
  }
  if (streaming_ && chunked_) {
    iovec iov{const_cast<char*>(kLastChunk), sizeof kLastChunk - 1};
    if (connection_.send(&iov, 1, kClientSendTimeoutMs) < 0) {
      broken_ = true;
      return false;
    }
  }
  return keepAlive_ && started() && !broken_;
}

void ClientResponder::sendFallback(int status, const std::string& json) {
  if (started()) {
    return;
  }
  llmp_header h{toBytes("content-type"), toBytes("application/json")};
  send(this, status, &h, 1, toBytes(json));
}

}  // namespace llmp::host
