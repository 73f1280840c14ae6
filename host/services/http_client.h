// The HTTP client behind http_fetch: HTTP/1.1 over Poco::Net (HTTPS through OpenSSL with the
// system CA store and verification on), a keep-alive pool per scheme/host/port, and a streaming
// body reader that hands each network read to the sink as it arrives.
//
// Threading: fetch() runs on the calling thread (no thread per request), except that the body of
// a request flagged LLMP_HTTP_BODY_ON_IO_THREAD is read on a StreamRelay I/O thread while the
// caller sleeps. The pool lock is held only to take or return a connection, never during I/O.
#pragma once

#include <llmp/host.h>

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include <Poco/Net/Context.h>

#include "services/body_decoder.h"
#include "services/connection_pool.h"
#include "services/response_head.h"
#include "services/stream_relay.h"

namespace llmp::host::services {

struct HttpClientOptions {
  uint32_t connectTimeoutMs = 10000;
  uint32_t firstByteTimeoutMs = 120000;
  uint32_t idleTimeoutMs = 120000;
  size_t maxIdleConnectionsPerEndpoint = 64;
  int64_t maxIdleMs = 55000;  // how long an unused keep-alive connection is kept
  std::string caFile;         // empty = the system store
  // I/O threads for bodies of requests flagged LLMP_HTTP_BODY_ON_IO_THREAD: 0 = one per CPU
  // this process may use (at most 4), started at the first such request; -1 = none (every body
  // is read on its request thread).
  int relayThreads = 0;
};

class HttpClient {
 public:
  explicit HttpClient(HttpClientOptions options);
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // The http_fetch contract of sdk/include/llmp/host.h. Never throws.
  llmp_status fetch(const llmp_http_request& request, const llmp_http_response_sink& sink,
                    const llmp_error_sink* err) noexcept;

  // Closes every idle connection (shutdown).
  void closeIdleConnections() { pool_.clear(); }
  size_t idleConnections() { return pool_.idleCount(); }

 private:
  struct Exchange;
  struct Outcome;

  llmp_status fetchImpl(const llmp_http_request& request, const llmp_http_response_sink& sink,
                        const llmp_error_sink* err);
  Outcome run(Exchange& ex, HttpConnection& conn, bool reused);
  void sendRequest(Exchange& ex, HttpConnection& conn);
  void readResponseHead(Exchange& ex, HttpConnection& conn, int64_t timeoutMs,
                        ResponseHead* response);
  void readBody(Exchange& ex, HttpConnection& conn, BodyDecoder& decoder, bool* peerClosed);
  std::optional<Outcome> relayBody(Exchange& ex, HttpConnection& conn, BodyDecoder& decoder,
                                   bool* peerClosed);
  StreamRelay& relay();
  Poco::Net::Context::Ptr tlsContext();

  const HttpClientOptions options_;
  ConnectionPool pool_;
  std::mutex tlsMutex_;
  Poco::Net::Context::Ptr tls_;
  std::once_flag relayOnce_;
  std::unique_ptr<StreamRelay> relay_;
};

}  // namespace llmp::host::services
