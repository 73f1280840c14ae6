// Internal state of FakeGemini shared by the server's handlers (not part of the public API).
#pragma once

#include <Poco/Net/HTTPServer.h>
#include <Poco/ThreadPool.h>

#include <atomic>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "fake_gemini.hpp"

namespace llmp::fakes {

struct FakeGemini::State {
  explicit State(FakeGeminiOptions opts);

  FakeGeminiOptions options;

  mutable std::mutex mu;
  mutable std::condition_variable cv;  // recorded requests, releases and stop
  std::deque<RecordedRequest> recorded;
  size_t recordedTotal = 0;
  std::deque<ScriptedResponse> scripts;
  std::set<std::string> validKeys;
  std::vector<std::string> models;
  int releasePermits = 0;
  uint64_t resetGeneration = 0;  // bumped by reset(): frees held answers
  bool stopping = false;

  std::atomic<int> chunksSent{0};
  std::atomic<uint64_t> responseCounter{0};

  std::unique_ptr<Poco::ThreadPool> pool;
  std::unique_ptr<Poco::Net::HTTPServer> server;
  uint16_t port = 0;

  void record(RecordedRequest request);
  std::optional<ScriptedResponse> takeScript(const RecordedRequest& request);
  bool keyIsValid(const std::string& key) const;
  std::vector<std::string> modelList() const;
  // Sleeps up to ms; false when the server is stopping.
  bool sleepMs(int ms) const;
  // Waits for a release permit; false when the server is stopping.
  bool waitRelease();
};

// Builds Google-style JSON bodies (independent of the SDK code under test).
std::string googleErrorJson(int code, const std::string& status, const std::string& message,
                            const std::string& retryDelay = "", const std::string& reason = "");
std::string googleStatusName(int httpStatus);

}  // namespace llmp::fakes
