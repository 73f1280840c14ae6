// The JSON-RPC peer against a scripted in-memory agent: the agent sees each line the peer writes
// and its replies are fed back from another thread, the way a process reader thread would.
#include <gtest/gtest.h>

#include <condition_variable>
#include <deque>
#include <functional>
#include <future>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "json_rpc_peer.hpp"

namespace llmp::plugins::gemini_acp {
namespace {

using namespace std::chrono_literals;

// Collects the lines the peer writes; lets the test answer them by hand.
class ScriptedAgent {
 public:
  JsonRpcPeer::Writer writer() {
    return [this](std::string_view line) {
      std::lock_guard<std::mutex> lock(mutex_);
      if (broken_) {
        return false;
      }
      lines_.emplace_back(line);
      cv_.notify_all();
      return true;
    };
  }
  // Waits for the next line the peer wrote and parses it.
  Json next() {
    std::unique_lock<std::mutex> lock(mutex_);
    if (!cv_.wait_for(lock, 5s, [&] { return !lines_.empty(); })) {
      ADD_FAILURE() << "the peer wrote nothing";
      return Json();
    }
    std::string line = std::move(lines_.front());
    lines_.pop_front();
    EXPECT_EQ(line.find('\n'), std::string::npos) << "a message must be one line";
    return Json::parse(line);
  }
  size_t written() {
    std::lock_guard<std::mutex> lock(mutex_);
    return lines_.size();
  }
  void breakPipe() {
    std::lock_guard<std::mutex> lock(mutex_);
    broken_ = true;
  }

 private:
  std::mutex mutex_;
  std::condition_variable cv_;
  std::deque<std::string> lines_;
  bool broken_ = false;
};

std::string line(const Json& message) { return message.dump() + "\n"; }

struct Fixture : ::testing::Test {
  ScriptedAgent agent;
  JsonRpcPeer peer{agent.writer()};
  std::vector<std::string> warnings;
  std::mutex warningsMutex;

  void SetUp() override {
    peer.setLogger([this](int32_t level, const std::string& message) {
      if (level >= 3) {
        std::lock_guard<std::mutex> lock(warningsMutex);
        warnings.push_back(message);
      }
    });
  }
};

TEST_F(Fixture, CallReceivesItsResult) {
  auto result = std::async(std::launch::async, [&] {
    return peer.call("initialize", {{"protocolVersion", 1}}, 5000ms);
  });
  Json request = agent.next();
  EXPECT_EQ(request["jsonrpc"], "2.0");
  EXPECT_EQ(request["method"], "initialize");
  EXPECT_EQ(request["params"]["protocolVersion"], 1);
  peer.feed(line({{"jsonrpc", "2.0"}, {"id", request["id"]}, {"result", {{"protocolVersion", 1}}}}));
  RpcOutcome outcome = result.get();
  ASSERT_TRUE(outcome.ok());
  EXPECT_EQ(outcome.result["protocolVersion"], 1);
  EXPECT_EQ(peer.pendingCount(), 0u);
}

TEST_F(Fixture, ResponsesAreMatchedByIdInAnyOrder) {
  std::vector<std::pair<std::string, Json>> got;
  std::mutex gotMutex;
  auto handler = [&](std::string name) {
    return [&, name](RpcOutcome outcome) {
      std::lock_guard<std::mutex> lock(gotMutex);
      got.emplace_back(name, outcome.result);
    };
  };
  peer.callAsync("session/new", {{"cwd", "/a"}}, handler("first"));
  peer.callAsync("session/new", {{"cwd", "/b"}}, handler("second"));
  Json first = agent.next();
  Json second = agent.next();
  EXPECT_NE(first["id"], second["id"]);
  // The agent answers the second request first, with its id echoed as a string.
  peer.feed(line({{"jsonrpc", "2.0"}, {"id", std::to_string(second["id"].get<int64_t>())},
                  {"result", {{"sessionId", "B"}}}}));
  peer.feed(line({{"jsonrpc", "2.0"}, {"id", first["id"]}, {"result", {{"sessionId", "A"}}}}));
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].first, "second");
  EXPECT_EQ(got[0].second["sessionId"], "B");
  EXPECT_EQ(got[1].first, "first");
  EXPECT_EQ(got[1].second["sessionId"], "A");
}

TEST_F(Fixture, ErrorAnswersCarryCodeAndMessage) {
  RpcOutcome got;
  peer.callAsync("session/prompt", Json::object(), [&](RpcOutcome outcome) { got = outcome; });
  Json request = agent.next();
  peer.feed(line({{"jsonrpc", "2.0"}, {"id", request["id"]},
                  {"error", {{"code", 429}, {"message", "Rate limit exceeded."}}}}));
  EXPECT_EQ(got.kind, RpcOutcome::Kind::Error);
  EXPECT_EQ(got.code, 429);
  EXPECT_EQ(got.message, "Rate limit exceeded.");
}

TEST_F(Fixture, MalformedLinesAreLoggedAndSkipped) {
  std::vector<std::string> methods;
  peer.setNotificationHandler(
      [&](const std::string& method, const Json&) { methods.push_back(method); });
  peer.feed("not json at all\n");
  peer.feed("[1,2,3]\n");
  peer.feed("{\"jsonrpc\":\"2.0\",\"id\":77}\n");  // neither method nor result
  peer.feed("\n   \n");                            // blank lines are not errors
  // A valid notification split across reads, with a CRLF ending.
  peer.feed("{\"jsonrpc\":\"2.0\",\"method\":\"session/up");
  peer.feed("date\",\"params\":{\"sessionId\":\"s\"}}\r\n");
  EXPECT_EQ(methods, std::vector<std::string>{"session/update"});
  EXPECT_EQ(warnings.size(), 3u);
  EXPECT_FALSE(peer.closed());
}

TEST_F(Fixture, AgentRequestsAreAnswered) {
  peer.setRequestHandler([](const std::string& method, const Json& params) {
    if (method == "session/request_permission") {
      return RpcReply::ok({{"outcome", {{"outcome", "selected"}, {"optionId", params["options"][0]["optionId"]}}}});
    }
    return RpcReply::error(-32601, "Method not found: " + method);
  });
  peer.feed(line({{"jsonrpc", "2.0"}, {"id", 17}, {"method", "session/request_permission"},
                  {"params", {{"options", {{{"optionId", "proceed_once"}, {"kind", "allow_once"}}}}}}}));
  Json answer = agent.next();
  EXPECT_EQ(answer["id"], 17);
  EXPECT_EQ(answer["result"]["outcome"]["optionId"], "proceed_once");

  peer.feed(line({{"jsonrpc", "2.0"}, {"id", "str-id"}, {"method", "fs/read_text_file"},
                  {"params", {{"path", "/etc/passwd"}}}}));
  Json refused = agent.next();
  EXPECT_EQ(refused["id"], "str-id");
  EXPECT_EQ(refused["error"]["code"], -32601);
  EXPECT_FALSE(refused.contains("result"));
}

TEST_F(Fixture, RequestsWithoutHandlerGetMethodNotFound) {
  peer.feed(line({{"jsonrpc", "2.0"}, {"id", 5}, {"method", "terminal/create"}}));
  Json answer = agent.next();
  EXPECT_EQ(answer["id"], 5);
  EXPECT_EQ(answer["error"]["code"], -32601);
}

TEST_F(Fixture, CloseFailsEveryPendingCallAndLaterCalls) {
  std::vector<RpcOutcome> outcomes;
  peer.callAsync("a", nullptr, [&](RpcOutcome o) { outcomes.push_back(o); });
  peer.callAsync("b", nullptr, [&](RpcOutcome o) { outcomes.push_back(o); });
  auto blocked = std::async(std::launch::async, [&] { return peer.call("c", nullptr, 30000ms); });
  agent.next();
  agent.next();
  agent.next();
  peer.close("Gemini CLI exited with code 3");
  RpcOutcome blockedOutcome = blocked.get();  // returns at once, not after 30 s
  EXPECT_EQ(blockedOutcome.kind, RpcOutcome::Kind::Transport);
  EXPECT_EQ(blockedOutcome.message, "Gemini CLI exited with code 3");
  ASSERT_EQ(outcomes.size(), 2u);
  for (const RpcOutcome& o : outcomes) {
    EXPECT_EQ(o.kind, RpcOutcome::Kind::Transport);
  }
  RpcOutcome late = peer.call("d", nullptr, 30000ms);
  EXPECT_EQ(late.kind, RpcOutcome::Kind::Transport);
  EXPECT_FALSE(peer.notify("session/cancel", {{"sessionId", "s"}}));
  EXPECT_EQ(peer.pendingCount(), 0u);
}

TEST_F(Fixture, TimedOutCallIgnoresItsLateAnswer) {
  RpcOutcome outcome = peer.call("initialize", nullptr, 50ms);
  EXPECT_EQ(outcome.kind, RpcOutcome::Kind::Timeout);
  Json request = agent.next();
  EXPECT_EQ(peer.pendingCount(), 0u);
  peer.feed(line({{"jsonrpc", "2.0"}, {"id", request["id"]}, {"result", nullptr}}));  // no crash
  EXPECT_FALSE(peer.closed());
}

TEST_F(Fixture, FailedWriteFailsTheCall) {
  agent.breakPipe();
  RpcOutcome outcome = peer.call("initialize", nullptr, 30000ms);
  EXPECT_EQ(outcome.kind, RpcOutcome::Kind::Transport);
  EXPECT_EQ(peer.pendingCount(), 0u);
}

TEST_F(Fixture, NotificationsHaveNoId) {
  EXPECT_TRUE(peer.notify("session/cancel", {{"sessionId", "s1"}}));
  Json message = agent.next();
  EXPECT_EQ(message["method"], "session/cancel");
  EXPECT_FALSE(message.contains("id"));
  EXPECT_EQ(message["params"]["sessionId"], "s1");
}

TEST_F(Fixture, ConcurrentCallsFromManyThreadsAllComplete) {
  constexpr int kThreads = 8;
  std::atomic<bool> stop{false};
  // The "agent" answers every request it sees, from its own thread.
  std::thread responder([&] {
    int answered = 0;
    while (answered < kThreads) {
      Json request = agent.next();
      if (request.is_null()) {
        break;
      }
      peer.feed(line({{"jsonrpc", "2.0"}, {"id", request["id"]}, {"result", request["params"]}}));
      ++answered;
    }
  });
  std::vector<std::future<RpcOutcome>> calls;
  for (int i = 0; i < kThreads; ++i) {
    calls.push_back(std::async(std::launch::async, [&, i] {
      return peer.call("echo", {{"n", i}}, 5000ms);
    }));
  }
  for (int i = 0; i < kThreads; ++i) {
    RpcOutcome outcome = calls[i].get();
    ASSERT_TRUE(outcome.ok());
    EXPECT_EQ(outcome.result["n"], i);
  }
  responder.join();
  stop = true;
}

}  // namespace
}  // namespace llmp::plugins::gemini_acp
