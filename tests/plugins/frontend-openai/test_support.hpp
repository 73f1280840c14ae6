// Fakes for the OpenAI front end tests: host services, a scripted router, a recording responder.
#pragma once

#include <llmp/frontend.h>
#include <llmp/cpp/json.hpp>

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "services.hpp"

namespace llmp::plugins::frontend_openai::testing {

constexpr int64_t kNow = 1767225600;

// Deterministic services: ids count up (000...001, 000...002), the clock stands still.
class FakeServices : public Services {
 public:
  std::optional<std::string> kvGet(std::string_view key) override;
  void kvSet(std::string_view key, std::string_view value, int64_t ttlMs) override;
  void log(int32_t level, std::string_view message) override;
  int64_t nowSeconds() override { return kNow; }
  std::string randomHex(size_t bytes) override;

  std::map<std::string, std::string> kv;
  std::map<std::string, int64_t> ttl;
  std::vector<std::pair<int32_t, std::string>> logs;
  int counter = 0;
};

// A router that replays scripted events, then returns a scripted status / error, and records
// the request it got.
class FakeRouter {
 public:
  struct Event {
    uint32_t kind;
    std::string data;
  };
  std::vector<Event> events;
  llmp_status result = LLMP_OK;
  int32_t errorHttpStatus = 0;
  int64_t retryAfterMs = -1;
  std::string errorMessage;
  std::string modelsJson = "[]";

  // recorded
  int calls = 0;
  std::string model;
  std::string ir;
  uint32_t flags = 0;
  std::string sessionId;
  std::string metadata;
  llmp_status lastEmitStatus = LLMP_OK;

  void chunk(const Json& irChunk) { events.push_back({LLMP_EVENT_CHUNK, irChunk.dump()}); }
  void fail(llmp_status code, int32_t http, std::string message, int64_t retryMs = -1) {
    result = code;
    errorHttpStatus = http;
    errorMessage = std::move(message);
    retryAfterMs = retryMs;
  }
  Json irJson() const { return Json::parse(ir); }
  const llmp_router* router();

 private:
  llmp_router router_{};
};

// Records what the front end answered. cancelAfterWrites >= 0 simulates a client that leaves.
class FakeResponder {
 public:
  int32_t status = 0;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;  // send() body, or the streamed bytes
  bool sent = false;
  bool begun = false;
  int writes = 0;
  int cancelAfterWrites = -1;

  std::string header(std::string_view name) const;
  Json json() const { return Json::parse(body); }
  const llmp_responder* responder();

 private:
  llmp_responder responder_{};
};

// Calls handleRequest with a request built from the arguments.
void run(FakeRouter& router, FakeResponder& responder, FakeServices& services,
         std::string method, std::string path, std::string body,
         std::vector<std::pair<std::string, std::string>> headers = {});

// The data of each SSE event ("[DONE]" included); comments come back as ": ..." lines.
std::vector<std::string> sseEvents(const std::string& text);

}  // namespace llmp::plugins::frontend_openai::testing
