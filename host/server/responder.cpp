#include "server/responder.h"

#include <poll.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include <cerrno>
#include <chrono>
#include <cstdio>

#include <llmp/cpp/bytes.hpp>

#include "log/log.h"

namespace llmp::host {
namespace {

// Sends every byte of iov; with timeoutMs < 0 returns after one non-blocking attempt.
// Returns the bytes sent, or -1 when the client is gone or the timeout ran out.
ssize_t sendFramed(int fd, iovec* iov, int count, int timeoutMs) {
  size_t total = 0;
  for (int i = 0; i < count; ++i) {
    total += iov[i].iov_len;
  }
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeoutMs);
  size_t done = 0;
  while (done < total) {
    msghdr msg{};
    msg.msg_iov = iov;
    msg.msg_iovlen = static_cast<size_t>(count);
    ssize_t n = ::sendmsg(fd, &msg, MSG_DONTWAIT | MSG_NOSIGNAL);
    if (n > 0) {
      done += static_cast<size_t>(n);
      size_t skip = static_cast<size_t>(n);
      while (count > 0 && skip >= iov->iov_len) {
        skip -= iov->iov_len;
        ++iov;
        --count;
      }
      if (count > 0) {
        iov->iov_base = static_cast<char*>(iov->iov_base) + skip;
        iov->iov_len -= skip;
      }
      continue;
    }
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK) {
      return -1;
    }
    if (timeoutMs < 0) {
      return static_cast<ssize_t>(done);
    }
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                          deadline - std::chrono::steady_clock::now())
                          .count();
    pollfd p{fd, POLLOUT, 0};
    if (left <= 0 || ::poll(&p, 1, static_cast<int>(left)) == 0) {
      return -1;  // the client has read nothing for the whole timeout
    }
  }
  return static_cast<ssize_t>(done);
}

}  // namespace

PocoResponder::PocoResponder(Poco::Net::HTTPServerResponse& response, int socketFd)
    : response_(response), fd_(socketFd) {
  responder_.struct_size = sizeof(responder_);
  responder_.ctx = this;
  responder_.send = &PocoResponder::send;
  responder_.begin = &PocoResponder::begin;
  responder_.write = &PocoResponder::write;
}

void PocoResponder::applyHead(int32_t status, const llmp_header* headers, size_t count) {
  response_.setStatusAndReason(static_cast<Poco::Net::HTTPResponse::HTTPStatus>(status));
  for (size_t i = 0; i < count; ++i) {
    std::string name = str(headers[i].name);
    if (iequals(name, "content-length") || iequals(name, "transfer-encoding")) {
      continue;  // the host frames the body itself
    }
    if (iequals(name, "content-type")) {
      response_.setContentType(str(headers[i].value));
    } else {
      response_.add(name, str(headers[i].value));
    }
  }
}

llmp_status PocoResponder::send(void* ctx, int32_t status, const llmp_header* headers,
                                size_t count, llmp_bytes body) {
  auto* self = static_cast<PocoResponder*>(ctx);
  if (self->sent_ || self->stream_ != nullptr) {
    log::write(log::kMisbehaving, "responder", "send() after the response was started");
    return LLMP_E_INVALID;
  }
  self->sent_ = true;
  try {
    self->applyHead(status, headers, count);
    self->response_.setContentLength(static_cast<std::streamsize>(body.len));
    self->response_.sendBuffer(body.ptr != nullptr ? body.ptr : "", body.len);
    return LLMP_OK;
  } catch (...) {
    self->broken_ = true;
    return LLMP_E_CANCELLED;
  }
}

llmp_status PocoResponder::begin(void* ctx, int32_t status, const llmp_header* headers,
                                 size_t count) {
  auto* self = static_cast<PocoResponder*>(ctx);
  if (self->sent_ || self->stream_ != nullptr) {
    log::write(log::kMisbehaving, "responder", "begin() after the response was started");
    return LLMP_E_INVALID;
  }
  try {
    self->applyHead(status, headers, count);
    self->response_.setChunkedTransferEncoding(true);
    self->response_.set("X-Accel-Buffering", "no");
    self->stream_ = &self->response_.send();
    self->stream_->flush();
    return self->stream_->good() ? LLMP_OK : LLMP_E_CANCELLED;
  } catch (...) {
    self->broken_ = true;
    return LLMP_E_CANCELLED;
  }
}

PocoResponder::~PocoResponder() { flushDeferred(); }

bool PocoResponder::flushDeferred() {
  if (kept_.empty() || broken_) {
    kept_.clear();
    return !broken_;
  }
  iovec iov{kept_.data(), kept_.size()};
  broken_ = sendFramed(fd_, &iov, 1, kClientSendTimeoutMs) < 0;
  kept_.clear();
  return !broken_;
}

llmp_status PocoResponder::writeChunk(llmp_bytes data) {
  if (data.len == 0) {
    return LLMP_OK;  // an empty chunk would end the body
  }
  char size[24];
  const int sizeLen = std::snprintf(size, sizeof size, "%zx\r\n", data.len);
  static const char kCrLf[] = "\r\n";
  iovec iov[3] = {{size, static_cast<size_t>(sizeLen)},
                  {const_cast<char*>(data.ptr), data.len},
                  {const_cast<char*>(kCrLf), 2}};
  const size_t total = static_cast<size_t>(sizeLen) + data.len + 2;
  if (services::RelayWrites* relay = services::RelayWrites::current()) {
    // On an I/O thread: never wait for this client.
    size_t sent = 0;
    if (kept_.empty()) {
      ssize_t n = sendFramed(fd_, iov, 3, -1);
      if (n < 0) {
        broken_ = true;
        return LLMP_E_CANCELLED;
      }
      sent = static_cast<size_t>(n);
    }
    if (sent < total) {
      // Keep what did not go out, after whatever was kept before.
      std::string frame;
      frame.reserve(total);
      frame.append(size, static_cast<size_t>(sizeLen)).append(data.ptr, data.len).append(kCrLf, 2);
      kept_.append(frame, sent, std::string::npos);
      relay->defer(this);
    }
    return LLMP_OK;
  }
  if (!flushDeferred() || sendFramed(fd_, iov, 3, kClientSendTimeoutMs) < 0) {
    broken_ = true;
    return LLMP_E_CANCELLED;
  }
  return LLMP_OK;
}

llmp_status PocoResponder::write(void* ctx, llmp_bytes data) {
  auto* self = static_cast<PocoResponder*>(ctx);
  if (self->stream_ == nullptr) {
    log::write(log::kMisbehaving, "responder", "write() before begin()");
    return LLMP_E_INVALID;
  }
  if (self->broken_) {
    return LLMP_E_CANCELLED;
  }
  if (self->fd_ >= 0) {
    return self->writeChunk(data);
  }
  try {
    self->stream_->write(data.ptr, static_cast<std::streamsize>(data.len));
    self->stream_->flush();
    if (!self->stream_->good()) {
      self->broken_ = true;
      return LLMP_E_CANCELLED;
    }
    return LLMP_OK;
  } catch (...) {
    self->broken_ = true;
    return LLMP_E_CANCELLED;
  }
}

void PocoResponder::sendFallback(int status, const std::string& json) {
  if (started()) {
    return;
  }
  llmp_header h{toBytes("content-type"), toBytes("application/json")};
  send(this, status, &h, 1, toBytes(json));
}

}  // namespace llmp::host
