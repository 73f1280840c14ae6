#include "services/http_client.h"

#include <Poco/Exception.h>
#include <Poco/Net/SocketImpl.h>
#include <Poco/Net/StreamSocket.h>
#include <Poco/Net/NetException.h>
#include <Poco/Net/NetSSL.h>
#include <Poco/Net/RejectCertificateHandler.h>
#include <Poco/Net/SecureStreamSocket.h>
#include <Poco/Timespan.h>
#include <openssl/err.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>

#include <cerrno>

#include <algorithm>
#include <cctype>
#include <cstring>
#include <string_view>
#include <vector>

#include <llmp/cpp/bytes.hpp>
#include <llmp/cpp/errors.hpp>

#include "fiber/blocking_pool.h"
#include "fiber/fiber_loop.h"
#include "log/log.h"
#include "services/body_decoder.h"
#include "http/head_syntax.h"
#include "http/iovec_advance.h"
#include "services/clock.h"
#include "services/http_url.h"
#include "services/response_head.h"
#include "services/stream_relay.h"

namespace llmp::host::services {
namespace {

constexpr const char* kTag = "http-client";
constexpr size_t kReadBufferSize = 32 * 1024;
constexpr const char* kSystemCaBundle = "/etc/ssl/certs/ca-certificates.crt";

enum class Phase { Connect, Send, Head, Body };

// A failure found by our own code rather than reported by Poco.
struct Failure {
  llmp_status status;
  std::string message;
};

// The total timeout ran out before a blocking step could start.
struct TotalTimeout {};

bool isValidHeaderValue(std::string_view s) {
  return std::none_of(s.begin(), s.end(), [](char c) { return c == '\r' || c == '\n' || c == '\0'; });
}

// Framing and connection management belong to the client, not to the caller.
bool isManagedHeader(std::string_view name) {
  return iequals(name, "content-length") || iequals(name, "transfer-encoding") ||
         iequals(name, "connection");
}

bool methodHasBody(std::string_view m) { return m == "POST" || m == "PUT" || m == "PATCH"; }

// Buffers reused across requests, from a per-thread free list. Every fetch in flight has its
// own: one nested inside a sink callback, or another fiber's on the same thread while this one
// waits, so no borrowed pointer of one exchange is overwritten by another.
class Scratch {
 public:
  Scratch() {
    std::vector<std::unique_ptr<Buffers>>& free = freeList();
    if (free.empty()) {
      buffers_ = std::make_unique<Buffers>();
    } else {
      buffers_ = std::move(free.back());
      free.pop_back();
    }
  }
  ~Scratch() {
    std::vector<std::unique_ptr<Buffers>>& free = freeList();
    if (free.size() < kMaxFree) {
      free.push_back(std::move(buffers_));
    }
  }
  Scratch(const Scratch&) = delete;
  Scratch& operator=(const Scratch&) = delete;

  char* buffer() { return buffers_->buffer.data(); }
  std::string& requestHead() { return buffers_->requestHead; }
  std::string& responseBytes() { return buffers_->responseBytes; }
  ResponseHead& response() { return buffers_->response; }

 private:
  static constexpr size_t kMaxFree = 64;
  struct Buffers {
    std::vector<char> buffer = std::vector<char>(kReadBufferSize);
    std::string requestHead;    // the request's head as sent
    std::string responseBytes;  // the response head as received, and body bytes read with it
    ResponseHead response;      // views into responseBytes
  };
  static std::vector<std::unique_ptr<Buffers>>& freeList() {
    thread_local std::vector<std::unique_ptr<Buffers>> free;
    return free;
  }
  std::unique_ptr<Buffers> buffers_;
};

std::string truncatedBodyMessage(const std::string& where) {
  return "the connection to " + where + " closed before the full body was received";
}

// Sends every byte. Off a fiber the socket blocks and SO_SNDTIMEO bounds each wait; on a fiber
// it is non-blocking and each wait for room yields for at most stallMs.
void sendAllPlain(int fd, iovec* iov, int count, int64_t stallMs) {
  while (count > 0) {
    msghdr msg{};
    msg.msg_iov = iov;
    msg.msg_iovlen = static_cast<size_t>(count);
    const ssize_t n = ::sendmsg(fd, &msg, MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      if (errno == EAGAIN || errno == EWOULDBLOCK) {
        if (fiber::onFiber() &&
            fiber::waitFd(fd, true, monotonicMs() + stallMs) == fiber::Wait::Ready) {
          continue;
        }
        throw Poco::TimeoutException("send timed out");
      }
      throw Poco::Net::NetException(std::string("send failed: ") + std::strerror(errno));
    }
    http::advanceIovec(iov, count, static_cast<size_t>(n));
  }
}

// Waits on a fiber for what a non-blocking read or TLS call asked for (its negative result): a
// TLS read may need to write first (renegotiation, key update) and a TLS write may need to read;
// a plain socket's -1 reads as ERR_SSL_WANT_READ. False when time ran out.
bool waitForIo(int fd, int wanted, int64_t deadlineMs) {
  const bool write = wanted == Poco::Net::SecureStreamSocket::ERR_SSL_WANT_WRITE;
  return fiber::waitFd(fd, write, deadlineMs) == fiber::Wait::Ready;
}

// Writes every byte through TLS. Off a fiber the socket blocks; on a fiber it does not, and
// each wait yields for at most stallMs. A write that wants to wait is retried with the same
// bytes, as OpenSSL requires.
void sendAllTls(Poco::Net::StreamSocket& socket, std::string_view data, int64_t stallMs) {
  while (!data.empty()) {
    ERR_clear_error();  // SSL_get_error must find only this call's errors
    const int n = socket.sendBytes(data.data(), static_cast<int>(std::min<size_t>(data.size(), 1 << 30)));
    if (n < 0 && fiber::onFiber()) {
      if (!waitForIo(socket.impl()->sockfd(), n, monotonicMs() + stallMs)) {
        throw Poco::TimeoutException("send timed out");
      }
      continue;
    }
    if (n <= 0) {
      throw Poco::Net::NetException("the request could not be written");
    }
    data.remove_prefix(static_cast<size_t>(n));
  }
}

// One read into buffer (at most kReadBufferSize bytes), waiting at most timeoutMs for the first
// byte: 0 when the peer closed; Poco::TimeoutException when nothing came. waitFirst (right after
// the request went out, when the answer cannot be here yet) waits before the first read instead
// of making a read that finds nothing; only on a plain socket with nothing buffered, since TLS
// may hold decrypted bytes the socket no longer shows.
int receive(HttpConnection& conn, bool tls, char* buffer, int64_t timeoutMs,
            bool waitFirst = false) {
  if (!fiber::onFiber()) {
    conn.setReceiveTimeoutMs(timeoutMs);
    return conn.readSome(buffer, kReadBufferSize);
  }
  const int64_t deadline = monotonicMs() + timeoutMs;
  int n = -1;  // the last read's result; before any, -1: wait until readable
  for (bool read = !(waitFirst && !tls && conn.bufferedBytes() == 0);; read = true) {
    if (read) {
      // Non-blocking: < 0 when nothing is there yet, or when TLS must write first.
      if (tls) {
        ERR_clear_error();  // SSL_get_error must find only this read's errors
      }
      n = conn.readSome(buffer, kReadBufferSize);
      if (n >= 0) {
        return n;
      }
    }
    if (!waitForIo(conn.fd(), n, deadline)) {
      throw Poco::TimeoutException("receive timed out");
    }
  }
}

Poco::Timespan millis(int64_t ms) { return Poco::Timespan(static_cast<Poco::Timespan::TimeDiff>(ms) * 1000); }

}  // namespace

struct HttpClient::Exchange {
  std::string method;
  HttpUrl url;
  const llmp_header* headers = nullptr;
  size_t headerCount = 0;
  std::string_view body;
  uint32_t connectMs = 0;
  uint32_t firstByteMs = 0;
  uint32_t idleMs = 0;
  uint32_t totalMs = 0;
  int64_t deadlineMs = 0;  // 0 = no total timeout
  bool noReuse = false;
  bool bodyOnIoThread = false;  // LLMP_HTTP_BODY_ON_IO_THREAD
  bool cancelled = false;       // a sink callback asked to stop
  const llmp_http_response_sink* sink = nullptr;
  Scratch* scratch = nullptr;

  // A phase timeout cut down to what is left of the total timeout.
  int64_t bounded(uint32_t phaseMs) const {
    if (deadlineMs == 0) {
      return phaseMs;
    }
    int64_t left = deadlineMs - monotonicMs();
    if (left <= 0) {
      throw TotalTimeout{};
    }
    return std::min<int64_t>(phaseMs, left);
  }
};

struct HttpClient::Outcome {
  llmp_status status = LLMP_OK;
  std::string message;
  bool retry = false;     // a reused connection failed before any response: try a fresh one
  bool poolable = false;  // the connection may carry another request
};

HttpClient::HttpClient(HttpClientOptions options)
    : options_(std::move(options)),
      pool_(options_.maxIdleConnectionsPerEndpoint, options_.maxIdleMs) {}

HttpClient::~HttpClient() = default;

Poco::Net::Context::Ptr HttpClient::tlsContext() {
  std::lock_guard<std::mutex> lock(tlsMutex_);
  if (tls_) {
    return tls_;
  }
  static std::once_flag sslInit;
  std::call_once(sslInit, [] { Poco::Net::initializeSSL(); });
  Poco::Net::Context::Params params;
  // STRICT, not RELAXED: Poco skips the host-name check for loopback peers unless strict.
  params.verificationMode = Poco::Net::Context::VERIFY_STRICT;
  // Poco's default list ("ALL:!ADH:...") still allows anonymous ECDH, which has no certificate
  // to verify at all.
  params.cipherList = "HIGH:!aNULL:!eNULL:!MD5:!RC4:!3DES:!PSK:!SRP:!DSS";
  if (!options_.caFile.empty()) {
    params.caLocation = options_.caFile;
    params.loadDefaultCAs = false;
  } else {
    struct stat st {};
    if (::stat(kSystemCaBundle, &st) == 0) {
      params.caLocation = kSystemCaBundle;
    }
    params.loadDefaultCAs = true;
  }
  try {
    Poco::Net::Context::Ptr context = new Poco::Net::Context(Poco::Net::Context::TLS_CLIENT_USE, params);
    context->requireMinimumProtocol(Poco::Net::Context::PROTO_TLSV1_2);
    // Explicit, so no global SSLManager handler can ever accept a bad certificate.
    context->setInvalidCertificateHandler(
        Poco::Net::Context::InvalidCertificateHandlerPtr(new Poco::Net::RejectCertificateHandler(false)));
    tls_ = context;
    // Poco's context setup leaves errors it ignores on this thread's OpenSSL error queue (its
    // default DH group is too small for OpenSSL 3, "dh key too small"). SSL_get_error reads that
    // queue, so a later non-blocking TLS call on this thread would report the stale error.
    ERR_clear_error();
  } catch (const Poco::Exception& e) {
    throw Failure{LLMP_E_UNAVAILABLE, "cannot set up TLS: " + e.displayText()};
  }
  return tls_;
}

llmp_status HttpClient::fetch(const llmp_http_request& request, const llmp_http_response_sink& sink,
                              const llmp_error_sink* err) noexcept {
  try {
    return fetchImpl(request, sink, err);
  } catch (const Failure& f) {
    setError(err, f.status, 0, f.message);
    return f.status;
  } catch (const std::exception& e) {
    setError(err, LLMP_E_INTERNAL, 0, std::string("HTTP client error: ") + e.what());
    return LLMP_E_INTERNAL;
  } catch (...) {
    setError(err, LLMP_E_INTERNAL, 0, "HTTP client error");
    return LLMP_E_INTERNAL;
  }
}

llmp_status HttpClient::fetchImpl(const llmp_http_request& r, const llmp_http_response_sink& sink,
                                  const llmp_error_sink* err) {
  auto invalid = [err](const std::string& message) {
    setError(err, LLMP_E_INVALID, 0, message);
    return LLMP_E_INVALID;
  };
  Exchange ex;
  std::string_view method = view(r.method);
  if (!http::isToken(method)) {
    return invalid("invalid HTTP method");
  }
  ex.method.assign(method);
  std::string urlError;
  if (!parseHttpUrl(view(r.url), &ex.url, &urlError)) {
    return invalid(urlError);
  }
  if (r.header_count > 0 && r.headers == nullptr) {
    return invalid("request headers missing (header_count > 0, headers NULL)");
  }
  for (size_t i = 0; i < r.header_count; ++i) {
    std::string_view name = view(r.headers[i].name);
    if (!http::isToken(name)) {
      return invalid("invalid request header name");
    }
    if (!isValidHeaderValue(view(r.headers[i].value))) {
      // The value may be a credential: name the header only.
      return invalid("request header '" + std::string(name) + "' contains a line break");
    }
  }
  ex.headers = r.headers;
  ex.headerCount = r.header_count;
  ex.body = view(r.body);
  ex.connectMs = r.connect_timeout_ms != 0 ? r.connect_timeout_ms : options_.connectTimeoutMs;
  ex.firstByteMs = r.first_byte_timeout_ms != 0 ? r.first_byte_timeout_ms : options_.firstByteTimeoutMs;
  ex.idleMs = r.idle_timeout_ms != 0 ? r.idle_timeout_ms : options_.idleTimeoutMs;
  ex.totalMs = r.total_timeout_ms;
  ex.deadlineMs = ex.totalMs != 0 ? monotonicMs() + ex.totalMs : 0;
  ex.noReuse = (r.flags & LLMP_HTTP_NO_REUSE) != 0;
  ex.bodyOnIoThread = (r.flags & LLMP_HTTP_BODY_ON_IO_THREAD) != 0 && options_.relayThreads >= 0 &&
                      !StreamRelay::onRelayThread();
  ex.sink = &sink;
  Scratch scratch;
  ex.scratch = &scratch;

  Poco::Net::Context::Ptr tls;
  if (ex.url.tls) {
    tls = tlsContext();
  }
  for (int attempt = 0;; ++attempt) {
    std::unique_ptr<HttpConnection> conn;
    bool reused = false;
    if (!ex.noReuse && attempt == 0) {
      conn = pool_.acquire(ex.url.poolKey);
      reused = conn != nullptr;
    }
    if (!conn) {
      conn = makeHttpConnection(ex.url, tls);
    }
    Outcome out = run(ex, *conn, reused);
    if (out.retry && attempt == 0) {
      if (log::enabled(log::kDebug)) {
        log::debug(kTag, "reused connection to " + ex.url.endpoint + " failed (" + out.message +
                             "); retrying on a fresh one");
      }
      continue;
    }
    if (out.status == LLMP_OK) {
      if (out.poolable) {
        pool_.release(ex.url.poolKey, std::move(conn));
      }
      return LLMP_OK;
    }
    setError(err, out.status, 0, out.message);
    return out.status;
  }
}

StreamRelay& HttpClient::relay() {
  std::call_once(relayOnce_, [this] {
    relay_ = std::make_unique<StreamRelay>(static_cast<unsigned>(options_.relayThreads));
  });
  return *relay_;
}

// Reads the rest of the body on the calling thread, blocking.
void HttpClient::readBody(Exchange& ex, HttpConnection& conn, BodyDecoder& decoder,
                          bool* peerClosed) {
  const std::string& where = ex.url.endpoint;
  const llmp_http_response_sink& sink = *ex.sink;
  auto onData = [&sink](std::string_view piece) { return deliverBodyPiece(sink, piece); };
  char* buf = ex.scratch->buffer();
  while (!decoder.complete() && !*peerClosed) {
    int n = receive(conn, ex.url.tls, buf, ex.bounded(ex.idleMs));
    if (n <= 0) {
      if (!decoder.closeEndsBody()) {
        throw Failure{LLMP_E_UNAVAILABLE, truncatedBodyMessage(where)};
      }
      *peerClosed = true;
      break;
    }
    try {
      if (decoder.feed(buf, static_cast<size_t>(n), onData) == BodyDecoder::Fed::Stopped) {
        ex.cancelled = true;
        return;
      }
    } catch (const BodyFramingError& e) {
      throw Failure{LLMP_E_UNAVAILABLE, std::string(e.what()) + " from " + where};
    }
  }
}

// Hands the body to an I/O thread and waits. Returns the exchange's outcome when the relay
// finished it, or nothing when the rest of the body is this thread's to read.
std::optional<HttpClient::Outcome> HttpClient::relayBody(Exchange& ex, HttpConnection& conn,
                                                         BodyDecoder& decoder, bool* peerClosed) {
  const std::string& where = ex.url.endpoint;
  RelayedBody body;
  body.conn = &conn;
  body.decoder = &decoder;
  body.sink = ex.sink;
  body.idleMs = ex.idleMs;
  body.deadlineMs = ex.deadlineMs;
  body.tls = ex.url.tls;
  RelayOutcome r = relay().relay(body);
  if (r.deferred != nullptr) {
    // A client could not take a write at once: its bytes go out first, from this thread, which
    // may block on it. A client that is gone shows up at the sink's next write.
    r.deferred->flushDeferred();
  }
  Outcome out;
  switch (r.kind) {
    case RelayOutcome::Kind::Complete:
      *peerClosed = !decoder.complete();  // a body framed by the close
      return std::nullopt;
    case RelayOutcome::Kind::HandedBack:
      if (log::enabled(log::kDebug)) {
        log::debug(kTag, "the body from " + where +
                             " goes on on its request thread (a client write would have blocked)");
      }
      return std::nullopt;
    case RelayOutcome::Kind::Cancelled:
      out.status = LLMP_E_CANCELLED;
      out.message = "the response sink cancelled the request to " + where;
      break;
    case RelayOutcome::Kind::TimedOutIdle:
      out.status = LLMP_E_TIMEOUT;
      out.message = "no data from " + where + " for " + std::to_string(ex.idleMs) +
                    " ms (idle timeout)";
      break;
    case RelayOutcome::Kind::TimedOutTotal:
      out.status = LLMP_E_TIMEOUT;
      out.message = "the request to " + where + " exceeded the total timeout of " +
                    std::to_string(ex.totalMs) + " ms";
      break;
    case RelayOutcome::Kind::Truncated:
      out.status = LLMP_E_UNAVAILABLE;
      out.message = truncatedBodyMessage(where);
      break;
    case RelayOutcome::Kind::Failed:
      out.status = LLMP_E_UNAVAILABLE;
      out.message = r.message + " (" + where + ")";
      break;
  }
  return out;
}

// Writes the request head and body: one sendmsg on a plain connection, one TLS write for a
// small request over TLS.
void HttpClient::sendRequest(Exchange& ex, HttpConnection& conn) {
  std::string& head = ex.scratch->requestHead();
  head.clear();
  head.append(ex.method).append(" ").append(ex.url.target).append(" HTTP/1.1\r\n");
  bool hasHost = false;
  for (size_t i = 0; i < ex.headerCount; ++i) {
    const std::string_view name = view(ex.headers[i].name);
    if (isManagedHeader(name)) {
      continue;
    }
    hasHost = hasHost || iequals(name, "host");
    head.append(name).append(": ").append(view(ex.headers[i].value)).append("\r\n");
  }
  if (!hasHost) {
    head.append("Host: ").append(ex.url.hostHeader).append("\r\n");
  }
  if (ex.noReuse) {
    head.append("Connection: close\r\n");
  }
  if (!ex.body.empty() || methodHasBody(ex.method)) {
    head.append("Content-Length: ").append(std::to_string(ex.body.size())).append("\r\n");
  }
  head.append("\r\n");

  Poco::Net::StreamSocket& socket = conn.session().socket();
  if (ex.url.tls) {
    constexpr size_t kCoalesceLimit = 64 * 1024;  // copy a small body rather than write twice
    if (!ex.body.empty() && ex.body.size() <= kCoalesceLimit) {
      head.append(ex.body);
      sendAllTls(socket, head, ex.bounded(ex.idleMs));
    } else {
      sendAllTls(socket, head, ex.bounded(ex.idleMs));
      sendAllTls(socket, ex.body, ex.bounded(ex.idleMs));
    }
    return;
  }
  iovec iov[2] = {{head.data(), head.size()}, {const_cast<char*>(ex.body.data()), ex.body.size()}};
  sendAllPlain(socket.impl()->sockfd(), iov, ex.body.empty() ? 1 : 2, ex.bounded(ex.idleMs));
}

// Reads until the response head is complete (skipping interim 1xx heads) and parses it into
// *response. Body bytes that arrived with the head go back into the connection.
void HttpClient::readResponseHead(Exchange& ex, HttpConnection& conn, int64_t timeoutMs,
                                  ResponseHead* response) {
  std::string& bytes = ex.scratch->responseBytes();
  bytes.clear();
  size_t start = 0;  // where the current head begins (after interim responses)
  char* buf = ex.scratch->buffer();
  for (;;) {
    if (bytes.size() > start) {
      size_t headLength = 0;
      const char* why = "";
      const std::string_view rest(bytes.data() + start, bytes.size() - start);
      switch (parseResponseHead(rest, response, &headLength, &why)) {
        case ResponseParse::Complete:
          if (response->status >= 100 && response->status < 200 && response->status != 101) {
            start += headLength;  // 100 Continue, 103 Early Hints: the answer follows
            continue;
          }
          conn.unread(rest.substr(headLength));
          return;
        case ResponseParse::Malformed:
          throw Poco::Net::MessageException(why);
        case ResponseParse::Incomplete:
          break;
      }
    }
    const int n = receive(conn, ex.url.tls, buf, timeoutMs, /*waitFirst=*/bytes.empty());
    if (n <= 0) {
      if (bytes.empty()) {
        throw Poco::Net::NoMessageException();
      }
      throw Poco::Net::MessageException("the connection closed in the middle of the response head");
    }
    bytes.append(buf, static_cast<size_t>(n));
  }
}

HttpClient::Outcome HttpClient::run(Exchange& ex, HttpConnection& conn, bool reused) {
  Outcome out;
  Phase phase = Phase::Connect;
  const std::string& where = ex.url.endpoint;
  try {
    Poco::Net::HTTPClientSession& session = conn.session();
    if (!session.connected()) {
      session.setTimeout(millis(ex.bounded(ex.connectMs)), millis(ex.idleMs), millis(ex.firstByteMs));
      fiber::runBlocking([&conn] { conn.open(); });  // connecting may take a round trip or more
    }
    conn.setNonBlocking(fiber::onFiber());

    phase = Phase::Send;
    sendRequest(ex, conn);

    phase = Phase::Head;
    ResponseHead& response = ex.scratch->response();
    readResponseHead(ex, conn, ex.bounded(ex.firstByteMs), &response);

    phase = Phase::Body;
    const int32_t status = response.status;
    if (ex.sink->on_head != nullptr) {
      llmp_status rc;
      try {
        rc = ex.sink->on_head(ex.sink->ctx, status, response.headers.data(),
                              response.headers.size());
      } catch (...) {
        rc = LLMP_E_INTERNAL;
      }
      if (rc != LLMP_OK) {
        out.status = LLMP_E_CANCELLED;
        out.message = "the response sink cancelled the request to " + where;
        return out;
      }
    }

    BodyDecoder::Mode mode = BodyDecoder::Mode::UntilClose;
    uint64_t length = 0;
    if (ex.method == "HEAD" || status < 200 || status == 204 || status == 304) {
      mode = BodyDecoder::Mode::None;
    } else if (response.chunked) {
      mode = BodyDecoder::Mode::Chunked;
    } else if (response.contentLength >= 0 && !response.closeDelimited) {
      mode = BodyDecoder::Mode::Length;
      length = static_cast<uint64_t>(response.contentLength);
    }
    BodyDecoder decoder(mode, length);
    bool peerClosed = false;
    if (ex.bodyOnIoThread && !decoder.complete()) {
      std::optional<Outcome> relayed = relayBody(ex, conn, decoder, &peerClosed);
      if (relayed) {
        return *relayed;
      }
    }
    readBody(ex, conn, decoder, &peerClosed);
    if (ex.cancelled) {
      out.status = LLMP_E_CANCELLED;
      out.message = "the response sink cancelled the request to " + where;
      return out;
    }
    // Bytes left over (more than the head announced) leave the connection unusable.
    out.poolable = !ex.noReuse && !peerClosed && response.keepAlive &&
                   decoder.leavesConnectionReusable() && conn.bufferedBytes() == 0;
    return out;
  } catch (const Failure& f) {
    out.status = f.status;
    out.message = f.message;
  } catch (const TotalTimeout&) {
    out.status = LLMP_E_TIMEOUT;
    out.message = "the request to " + where + " exceeded the total timeout of " +
                  std::to_string(ex.totalMs) + " ms";
  } catch (const Poco::TimeoutException&) {
    out.status = LLMP_E_TIMEOUT;
    if (ex.deadlineMs != 0 && monotonicMs() >= ex.deadlineMs) {
      out.message = "the request to " + where + " exceeded the total timeout of " +
                    std::to_string(ex.totalMs) + " ms";
    } else {
      switch (phase) {
        case Phase::Connect:
          out.message = "could not connect to " + where + " within " + std::to_string(ex.connectMs) + " ms";
          break;
        case Phase::Send:
          out.message = "sending the request to " + where + " stalled for " + std::to_string(ex.idleMs) + " ms";
          break;
        case Phase::Head:
          out.message = "no first byte from " + where + " within " + std::to_string(ex.firstByteMs) + " ms";
          break;
        case Phase::Body:
          out.message = "no data from " + where + " for " + std::to_string(ex.idleMs) + " ms (idle timeout)";
          break;
      }
    }
  } catch (const Poco::Net::MessageException& e) {
    out.status = LLMP_E_UNAVAILABLE;
    out.message = "malformed HTTP response from " + where + ": " + e.displayText();
  } catch (const Poco::Exception& e) {
    out.status = LLMP_E_UNAVAILABLE;
    switch (phase) {
      case Phase::Connect:
        out.message = "cannot connect to " + where + ": " + e.displayText();
        break;
      case Phase::Send:
      case Phase::Head:
        if (dynamic_cast<const Poco::Net::NoMessageException*>(&e) != nullptr) {
          out.message = where + " closed the connection without a response";
        } else {
          out.message = "the connection to " + where + " failed before the response: " + e.displayText();
        }
        out.retry = reused;
        break;
      case Phase::Body:
        out.message = "the connection to " + where + " failed while reading the body: " + e.displayText();
        break;
    }
  }
  return out;
}

}  // namespace llmp::host::services
