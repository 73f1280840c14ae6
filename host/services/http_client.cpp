#include "services/http_client.h"

#include <Poco/Exception.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/NetException.h>
#include <Poco/Net/NetSSL.h>
#include <Poco/Net/RejectCertificateHandler.h>
#include <Poco/Timespan.h>
#include <sys/stat.h>

#include <algorithm>
#include <cctype>
#include <cstring>
#include <string_view>
#include <vector>

#include <llmp/cpp/bytes.hpp>
#include <llmp/cpp/errors.hpp>

#include "log/log.h"
#include "services/clock.h"
#include "services/http_url.h"

namespace llmp::host::services {
namespace {

constexpr const char* kTag = "http-client";
constexpr size_t kReadBufferSize = 32 * 1024;
constexpr size_t kMaxLineLength = 8 * 1024;
constexpr const char* kSystemCaBundle = "/etc/ssl/certs/ca-certificates.crt";

enum class Phase { Connect, Send, Head, Body };

// A failure found by our own code rather than reported by Poco.
struct Failure {
  llmp_status status;
  std::string message;
};

// The total timeout ran out before a blocking step could start.
struct TotalTimeout {};

bool isTokenChar(char c) {
  if (std::isalnum(static_cast<unsigned char>(c))) {
    return true;
  }
  return std::strchr("!#$%&'*+-.^_`|~", c) != nullptr && c != '\0';
}

bool isToken(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), isTokenChar);
}

bool isValidHeaderValue(std::string_view s) {
  return std::none_of(s.begin(), s.end(), [](char c) { return c == '\r' || c == '\n' || c == '\0'; });
}

// Framing and connection management belong to the client, not to the caller.
bool isManagedHeader(std::string_view name) {
  return iequals(name, "content-length") || iequals(name, "transfer-encoding") ||
         iequals(name, "connection");
}

bool methodHasBody(std::string_view m) { return m == "POST" || m == "PUT" || m == "PATCH"; }

// Per-thread buffers reused across requests. A fetch nested inside a sink callback gets its own,
// so the outer call's borrowed pointers stay intact.
class Scratch {
 public:
  Scratch() {
    if (depth_++ == 0) {
      buffer_ = shared().buffer.data();
      headers_ = &shared().headers;
    } else {
      own_ = std::make_unique<Buffers>();
      buffer_ = own_->buffer.data();
      headers_ = &own_->headers;
    }
    headers_->clear();
  }
  ~Scratch() { --depth_; }
  Scratch(const Scratch&) = delete;
  Scratch& operator=(const Scratch&) = delete;

  char* buffer() { return buffer_; }
  std::vector<llmp_header>& headers() { return *headers_; }

 private:
  struct Buffers {
    std::vector<char> buffer = std::vector<char>(kReadBufferSize);
    std::vector<llmp_header> headers;
  };
  static Buffers& shared() {
    thread_local Buffers buffers;
    return buffers;
  }
  static thread_local int depth_;
  std::unique_ptr<Buffers> own_;
  char* buffer_ = nullptr;
  std::vector<llmp_header>* headers_ = nullptr;
};
thread_local int Scratch::depth_ = 0;

// Reads a response body in its framing: Content-Length, chunked, until close, or none.
class BodyReader {
 public:
  enum class Mode { None, Length, Chunked, UntilClose };

  BodyReader(Mode mode, uint64_t length) : mode_(mode), remaining_(length) {}

  // >0: bytes in buf; 0: the body is complete; -1: the peer closed before the end.
  // Throws Failure for broken chunked framing.
  int read(HttpConnection& c, char* buf, size_t cap, const std::string& where) {
    switch (mode_) {
      case Mode::None:
        return 0;
      case Mode::Length: {
        if (remaining_ == 0) {
          return 0;
        }
        int n = c.readSome(buf, static_cast<std::streamsize>(std::min<uint64_t>(cap, remaining_)));
        if (n <= 0) {
          return -1;
        }
        remaining_ -= static_cast<uint64_t>(n);
        return n;
      }
      case Mode::UntilClose: {
        int n = c.readSome(buf, static_cast<std::streamsize>(cap));
        return n <= 0 ? 0 : n;
      }
      case Mode::Chunked:
        return readChunked(c, buf, cap, where);
    }
    return 0;
  }

  // A body that ends by closing the connection leaves nothing to reuse.
  bool leavesConnectionReusable() const { return mode_ != Mode::UntilClose; }

 private:
  enum class Chunk { Size, Data, DataEnd, Done };

  int readChunked(HttpConnection& c, char* buf, size_t cap, const std::string& where) {
    for (;;) {
      switch (state_) {
        case Chunk::Size: {
          if (!readLine(c, where)) {
            return -1;
          }
          uint64_t size = parseChunkSize(where);
          if (size == 0) {
            // Trailers up to the empty line. A peer that closes here has sent the whole body.
            while (readLine(c, where) && !line_.empty()) {
            }
            state_ = Chunk::Done;
            return 0;
          }
          remaining_ = size;
          state_ = Chunk::Data;
          break;
        }
        case Chunk::Data: {
          int n = c.readSome(buf, static_cast<std::streamsize>(std::min<uint64_t>(cap, remaining_)));
          if (n <= 0) {
            return -1;
          }
          remaining_ -= static_cast<uint64_t>(n);
          if (remaining_ == 0) {
            state_ = Chunk::DataEnd;
          }
          return n;
        }
        case Chunk::DataEnd:
          if (!readLine(c, where)) {
            return -1;
          }
          if (!line_.empty()) {
            throw Failure{LLMP_E_UNAVAILABLE, "malformed chunked body from " + where};
          }
          state_ = Chunk::Size;
          break;
        case Chunk::Done:
          return 0;
      }
    }
  }

  // One line without its CRLF into line_; false when the peer closed first.
  bool readLine(HttpConnection& c, const std::string& where) {
    line_.clear();
    for (;;) {
      int ch = c.nextByte();
      if (ch < 0) {
        return false;
      }
      if (ch == '\n') {
        if (!line_.empty() && line_.back() == '\r') {
          line_.pop_back();
        }
        return true;
      }
      if (line_.size() >= kMaxLineLength) {
        throw Failure{LLMP_E_UNAVAILABLE, "malformed chunked body from " + where + " (line too long)"};
      }
      line_.push_back(static_cast<char>(ch));
    }
  }

  uint64_t parseChunkSize(const std::string& where) const {
    uint64_t size = 0;
    size_t digits = 0;
    for (char ch : line_) {
      int v;
      if (ch >= '0' && ch <= '9') {
        v = ch - '0';
      } else if (ch >= 'a' && ch <= 'f') {
        v = ch - 'a' + 10;
      } else if (ch >= 'A' && ch <= 'F') {
        v = ch - 'A' + 10;
      } else if (ch == ';' || ch == ' ' || ch == '\t') {
        break;  // chunk extensions are ignored
      } else {
        throw Failure{LLMP_E_UNAVAILABLE, "malformed chunk size from " + where};
      }
      if (++digits > 15) {
        throw Failure{LLMP_E_UNAVAILABLE, "chunk size from " + where + " is too large"};
      }
      size = size * 16 + static_cast<uint64_t>(v);
    }
    if (digits == 0) {
      throw Failure{LLMP_E_UNAVAILABLE, "malformed chunk size from " + where};
    }
    return size;
  }

  Mode mode_;
  uint64_t remaining_;
  Chunk state_ = Chunk::Size;
  std::string line_;
};

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
  if (!isToken(method)) {
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
    if (!isToken(name)) {
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

HttpClient::Outcome HttpClient::run(Exchange& ex, HttpConnection& conn, bool reused) {
  Outcome out;
  Phase phase = Phase::Connect;
  const std::string& where = ex.url.endpoint;
  try {
    Poco::Net::HTTPClientSession& session = conn.session();
    if (!session.connected()) {
      session.setTimeout(millis(ex.bounded(ex.connectMs)), millis(ex.idleMs), millis(ex.firstByteMs));
      conn.open();
    }

    phase = Phase::Send;
    session.setKeepAlive(!ex.noReuse);
    Poco::Net::HTTPRequest request(ex.method, ex.url.target, Poco::Net::HTTPMessage::HTTP_1_1);
    for (size_t i = 0; i < ex.headerCount; ++i) {
      std::string_view name = view(ex.headers[i].name);
      if (!isManagedHeader(name)) {
        request.add(std::string(name), str(ex.headers[i].value));
      }
    }
    if (!ex.body.empty() || methodHasBody(ex.method)) {
      request.setContentLength64(static_cast<Poco::Int64>(ex.body.size()));
    }
    std::ostream& os = session.sendRequest(request);
    if (!ex.body.empty()) {
      os.write(ex.body.data(), static_cast<std::streamsize>(ex.body.size()));
    }
    os.flush();
    if (session.networkException() != nullptr) {
      session.networkException()->rethrow();
    }
    if (!os.good()) {
      throw Poco::Net::NetException("the request could not be written");
    }

    phase = Phase::Head;
    conn.setReceiveTimeoutMs(ex.bounded(ex.firstByteMs));
    Poco::Net::HTTPResponse response;
    session.receiveResponse(response);

    phase = Phase::Body;
    int32_t status = static_cast<int32_t>(response.getStatus());
    if (ex.sink->on_head != nullptr) {
      std::vector<llmp_header>& heads = ex.scratch->headers();
      for (const auto& [name, value] : response) {
        heads.push_back(llmp_header{toBytes(name), toBytes(value)});
      }
      llmp_status rc;
      try {
        rc = ex.sink->on_head(ex.sink->ctx, status, heads.data(), heads.size());
      } catch (...) {
        rc = LLMP_E_INTERNAL;
      }
      if (rc != LLMP_OK) {
        out.status = LLMP_E_CANCELLED;
        out.message = "the response sink cancelled the request to " + where;
        return out;
      }
    }

    BodyReader::Mode mode = BodyReader::Mode::UntilClose;
    uint64_t length = 0;
    if (ex.method == "HEAD" || status < 200 || status == 204 || status == 304) {
      mode = BodyReader::Mode::None;
    } else if (response.getChunkedTransferEncoding()) {
      mode = BodyReader::Mode::Chunked;
    } else if (response.hasContentLength()) {
      mode = BodyReader::Mode::Length;
      length = static_cast<uint64_t>(std::max<Poco::Int64>(0, response.getContentLength64()));
    }
    BodyReader reader(mode, length);
    char* buf = ex.scratch->buffer();
    for (;;) {
      conn.setReceiveTimeoutMs(ex.bounded(ex.idleMs));
      int n = reader.read(conn, buf, kReadBufferSize, where);
      if (n == 0) {
        break;
      }
      if (n < 0) {
        throw Failure{LLMP_E_UNAVAILABLE,
                      "the connection to " + where + " closed before the full body was received"};
      }
      if (ex.sink->on_body != nullptr) {
        llmp_status rc;
        try {
          rc = ex.sink->on_body(ex.sink->ctx, llmp_bytes{buf, static_cast<size_t>(n)});
        } catch (...) {
          rc = LLMP_E_INTERNAL;
        }
        if (rc != LLMP_OK) {
          out.status = LLMP_E_CANCELLED;
          out.message = "the response sink cancelled the request to " + where;
          return out;
        }
      }
    }
    out.poolable = !ex.noReuse && response.getKeepAlive() && reader.leavesConnectionReusable() &&
                   conn.bufferedBytes() == 0;
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
