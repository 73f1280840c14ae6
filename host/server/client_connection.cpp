#include "server/client_connection.h"

#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <utility>

#include "fiber/fiber_loop.h"
#include "http/iovec_advance.h"
#include "services/body_decoder.h"
#include "services/clock.h"

namespace llmp::host {
namespace {

constexpr size_t kInitialBufferSize = 16 * 1024;
constexpr size_t kMinReadSpace = 4 * 1024;
constexpr char kContinue[] = "HTTP/1.1 100 Continue\r\n\r\n";

// Moves a view that points into [from, ...) to the same offset in `to`.
const char* rebase(const char* p, const char* from, const char* to) {
  return p == nullptr ? nullptr : to + (p - from);
}

}  // namespace

ClientConnection::ClientConnection(int fd, std::string remoteAddress)
    : fd_(fd), remote_(std::move(remoteAddress)), in_(kInitialBufferSize) {}

void ClientConnection::consume(size_t n) {
  begin_ += n;
  if (begin_ == end_) {
    begin_ = end_ = 0;
  }
}

ClientConnection::Fill ClientConnection::fill(int64_t deadlineMs, bool waitFirst) {
  if (in_.size() - end_ < kMinReadSpace) {
    if (begin_ > 0) {
      std::memmove(in_.data(), in_.data() + begin_, end_ - begin_);
      end_ -= begin_;
      begin_ = 0;
    }
    if (in_.size() - end_ < kMinReadSpace) {
      in_.resize(in_.size() * 2);
    }
  }
  for (bool read = !waitFirst;; read = true) {
    if (read) {
      const ssize_t n = ::recv(fd_, in_.data() + end_, in_.size() - end_, 0);
      if (n > 0) {
        end_ += static_cast<size_t>(n);
        return Fill::Data;
      }
      if (n == 0) {
        return Fill::Closed;
      }
      if (errno == EINTR) {
        continue;
      }
      if (errno != EAGAIN && errno != EWOULDBLOCK) {
        return Fill::Closed;
      }
    }
    const int64_t until = deadlineMs == kMayIdle ? services::monotonicMs() + idleWaitMs_ : deadlineMs;
    if (fiber::waitFd(fd_, false, until) == fiber::Wait::TimedOut) {
      return deadlineMs == kMayIdle ? Fill::Idle : Fill::Closed;
    }
  }
}

void ClientConnection::keepHead(size_t headLength) {
  const char* from = data();
  headBytes_.assign(from, headLength);
  const char* to = headBytes_.data();
  head_.method = std::string_view(rebase(head_.method.data(), from, to), head_.method.size());
  head_.target = std::string_view(rebase(head_.target.data(), from, to), head_.target.size());
  for (llmp_header& h : head_.headers) {
    h.name.ptr = rebase(h.name.ptr, from, to);
    h.value.ptr = rebase(h.value.ptr, from, to);
  }
}

ClientConnection::ReadHead ClientConnection::readHead(const char** why) {
  bodyPending_ = false;
  // Right after a response the client's next request cannot be here yet (it has to read the
  // response first): a recv now would only find nothing, a system call per request.
  bool waitFirst = std::exchange(waitFirst_, false);
  int64_t headDeadline = -1;  // set once the head has started
  for (;;) {
    if (buffered() > 0) {
      size_t headLength = 0;
      switch (parseRequestHead(std::string_view(data(), buffered()), &head_, &headLength, why)) {
        case HeadParse::Complete:
          keepHead(headLength);
          consume(headLength);
          bodyPending_ = head_.hasBody();
          // The next readHead comes after this request's response: unless the client sent
          // more already, its first read waits before it tries.
          waitFirst_ = true;
          return ReadHead::Ok;
        case HeadParse::Malformed:
          return ReadHead::Malformed;
        case HeadParse::TooLarge:
          return ReadHead::TooLarge;
        case HeadParse::Incomplete:
          break;
      }
    }
    if (buffered() > 0) {
      // The head has started: all of it gets the read timeout, however much it trickles.
      const int64_t now = services::monotonicMs();
      if (headDeadline < 0) {
        headDeadline = now + readTimeoutMs_;
      } else if (now >= headDeadline) {
        return ReadHead::Closed;
      }
    }
    switch (fill(buffered() == 0 ? kMayIdle : headDeadline,
                 std::exchange(waitFirst, false) && buffered() == 0)) {
      case Fill::Data:
        break;
      case Fill::Idle:
        return ReadHead::Idle;
      case Fill::Closed:
        return ReadHead::Closed;
    }
  }
}

void ClientConnection::releaseLargeBuffers() {
  if (body_.capacity() > kKeptBufferBytes) {
    std::string().swap(body_);
  }
  if (responseHead_.capacity() > kKeptBufferBytes) {
    std::string().swap(responseHead_);
  }
}

ClientConnection::ReadBody ClientConnection::readBody(size_t maxBytes, std::string* body) {
  body->clear();
  if (!bodyPending_) {
    return ReadBody::Ok;
  }
  if (head_.contentLength >= 0 && static_cast<uint64_t>(head_.contentLength) > maxBytes) {
    return ReadBody::TooLarge;  // not even 100 Continue: the client need not send it
  }
  if (head_.expectContinue && buffered() == 0) {
    iovec iov{const_cast<char*>(kContinue), sizeof kContinue - 1};
    if (send(&iov, 1, readTimeoutMs_) < 0) {
      return ReadBody::Failed;
    }
  }
  if (!head_.chunked) {
    const auto length = static_cast<size_t>(head_.contentLength);
    body->resize(length);
    size_t got = std::min(buffered(), length);
    std::memcpy(body->data(), data(), got);
    consume(got);
    // The rest straight into the body: never past its end, so a pipelined request stays unread.
    while (got < length) {
      if (fill(services::monotonicMs() + readTimeoutMs_) != Fill::Data) {
        return ReadBody::Failed;
      }
      const size_t take = std::min(buffered(), length - got);
      std::memcpy(body->data() + got, data(), take);
      consume(take);
      got += take;
    }
    bodyPending_ = false;
    return ReadBody::Ok;
  }

  services::BodyDecoder decoder(services::BodyDecoder::Mode::Chunked, 0);
  bool tooLarge = false;
  auto onData = [&](std::string_view piece) {
    if (body->size() + piece.size() > maxBytes) {
      tooLarge = true;
      return false;
    }
    body->append(piece);
    return true;
  };
  for (;;) {
    if (buffered() > 0) {
      const size_t fed = buffered();
      services::BodyDecoder::Fed result;
      try {
        result = decoder.feed(data(), fed, onData);
      } catch (const services::BodyFramingError&) {
        return ReadBody::Failed;
      }
      if (result == services::BodyDecoder::Fed::Stopped) {
        return tooLarge ? ReadBody::TooLarge : ReadBody::Failed;
      }
      if (result == services::BodyDecoder::Fed::Complete) {
        consume(fed - decoder.leftover());  // what follows is the next request
        bodyPending_ = false;
        return ReadBody::Ok;
      }
      consume(fed);
    }
    if (fill(services::monotonicMs() + readTimeoutMs_) != Fill::Data) {
      return ReadBody::Failed;
    }
  }
}

ssize_t ClientConnection::send(iovec* iov, int count, int timeoutMs) {
  size_t total = 0;
  for (int i = 0; i < count; ++i) {
    total += iov[i].iov_len;
  }
  const int64_t deadline = services::monotonicMs() + (timeoutMs > 0 ? timeoutMs : 0);
  size_t done = 0;
  while (done < total) {
    msghdr msg{};
    msg.msg_iov = iov;
    msg.msg_iovlen = static_cast<size_t>(count);
    ssize_t n = ::sendmsg(fd_, &msg, MSG_DONTWAIT | MSG_NOSIGNAL);
    if (n > 0) {
      done += static_cast<size_t>(n);
      http::advanceIovec(iov, count, static_cast<size_t>(n));
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
    if (fiber::waitFd(fd_, true, deadline) == fiber::Wait::TimedOut) {
      return -1;  // the client has read nothing for the whole timeout
    }
  }
  return static_cast<ssize_t>(done);
}

}  // namespace llmp::host
