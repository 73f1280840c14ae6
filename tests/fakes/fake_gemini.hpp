// A fake Gemini API (generativelanguage.googleapis.com, v1beta/v1 wire format) on 127.0.0.1 for
// tests and the benchmark. By default it answers like the real service (generateContent echoes
// "echo: <last user text>", streamGenerateContent with and without alt=sse, countTokens, models
// list/get) and requires an API key (x-goog-api-key header, ?key= or Authorization: Bearer). Tests
// script it to answer errors, custom bodies or chunk lists, to stream slowly, to break the stream,
// or to hold a chunk until released. It records every request.
//
// Scripting from another process (node tests): HTTP control endpoints under /__fake/ (documented in
// docs/backends/gemini.md, "Testing against the fake upstream"): POST /__fake/script, GET
// /__fake/requests, POST /__fake/reset, POST /__fake/release, POST /__fake/keys.
#pragma once

#include <cstdint>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "fake_http.hpp"  // RecordedRequest, HeaderPairs

namespace llmp::fakes {

// How SSE events are terminated.
enum class Framing { Lf, CrLf, Cr };

// One scripted answer. The first queued script whose match fields fit a request answers it.
struct ScriptedResponse {
  // --- matching (empty = any) ---
  std::string pathContains;  // e.g. ":countTokens", "/models"
  std::string apiKey;        // only requests carrying this key
  int times = 1;             // how many requests it answers; -1 = every matching request

  // --- the answer ---
  int status = 200;
  std::string contentType = "application/json";
  std::string body;                 // used when `chunks` is empty
  std::vector<std::string> chunks;  // streamed payloads (SSE events, or JSON array elements)
  HeaderPairs headers;              // extra response headers
  Framing framing = Framing::Lf;
  int firstByteDelayMs = 0;   // wait before the status line
  int chunkDelayMs = 0;       // wait before each chunk after the first
  int closeAfterChunks = -1;  // >= 0: close the connection after that many chunks, unfinished
  int holdAfterChunks = -1;   // >= 0: after that many chunks wait for release() (or stop)
  // A script with status 200, no body and no chunks answers like the fake's default (echo,
  // countTokens, models ...) but with this script's delays, framing, hold and close settings.

  // A Google error body {"error":{code,message,status,details}} with the given HTTP status.
  // retryDelay like "2s" adds google.rpc.RetryInfo; reason adds google.rpc.ErrorInfo.
  static ScriptedResponse error(int status, std::string message, std::string googleStatus = "",
                                std::string retryDelay = "", std::string reason = "");
  static ScriptedResponse json(std::string body, int status = 200);
  // A stream of GenerateContentResponse payloads (raw JSON text each).
  static ScriptedResponse stream(std::vector<std::string> chunks);
  // Helpers producing GenerateContentResponse JSON text.
  static std::string textChunk(std::string_view text, std::string_view finishReason = "",
                               std::string_view model = "gemini-2.5-flash");
};

struct FakeGeminiOptions {
  std::string host = "127.0.0.1";
  uint16_t port = 0;  // 0 = any free port
  int threads = 128;  // worker threads (one per open keep-alive connection)
  int latencyMs = 0;  // wait before answering each default request
  int chunks = 3;     // chunks of a default streamed answer
  int chunkDelayMs = 0;
  std::set<std::string> validKeys;  // empty = any non-empty key is valid
  size_t maxRecorded = 1000;        // oldest requests are forgotten beyond this (0 = record none)
};

class FakeGemini {
 public:
  explicit FakeGemini(FakeGeminiOptions options = {});
  ~FakeGemini();
  FakeGemini(const FakeGemini&) = delete;
  FakeGemini& operator=(const FakeGemini&) = delete;

  void start();
  void stop();  // aborts open connections and wakes every delayed or held answer
  uint16_t port() const;
  std::string baseUrl() const;  // http://127.0.0.1:<port>

  // Scripting.
  void push(ScriptedResponse response);
  void setValidKeys(std::set<std::string> keys);
  void setModels(std::vector<std::string> modelIds);  // replaces the models list
  void release(int count = 1);                        // lets `count` held answers continue
  void reset();  // forgets scripts and requests, releases held answers

  // Observation.
  std::vector<RecordedRequest> requests() const;
  size_t requestCount() const;
  int chunksSent() const;  // chunks written by streamed answers since the last reset
  // Waits until at least n requests were recorded; false on timeout.
  bool waitForRequests(size_t n, int timeoutMs) const;

  struct State;

 private:
  std::shared_ptr<State> state_;
};

// A loopback TCP port that accepts no connection: its listen backlog is full, so the kernel drops
// new SYNs and a connect() hangs until the client's connect timeout. For connect-timeout tests.
class Blackhole {
 public:
  Blackhole();
  ~Blackhole();
  Blackhole(const Blackhole&) = delete;
  Blackhole& operator=(const Blackhole&) = delete;
  uint16_t port() const { return port_; }

 private:
  int listenFd_ = -1;
  std::vector<int> fillers_;
  uint16_t port_ = 0;
};

// A loopback port on which nothing listens (connection refused).
uint16_t unusedLoopbackPort();

}  // namespace llmp::fakes
