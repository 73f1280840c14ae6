// Router behaviour with scripted in-process backends: failover, retry after a short
// Retry-After, rate-limit fallback model, no retry once output started, gates, parameters.
#include <gtest/gtest.h>

#include <deque>
#include <mutex>

#include <llmp/cpp/bytes.hpp>
#include <llmp/cpp/errors.hpp>
#include <llmp/cpp/sinks.hpp>
#include <nlohmann/json.hpp>

#include "testing/fake_host.hpp"
#include "router/router.h"

namespace llmp::host {
namespace {

struct Outcome {
  llmp_status status = LLMP_OK;
  int32_t http = 0;
  int64_t retryMs = -1;
  bool chunkFirst = false;  // emit a chunk before failing
};

struct Scripted {
  std::string chunk = R"({"candidates":[{"content":{"role":"model","parts":[{"text":"hi"}]},"finishReason":"STOP"}]})";
  std::deque<Outcome> outcomes;
  std::vector<std::string> models;  // model of each call
  std::vector<std::string> irs;     // IR of each call
};

llmp_status scriptedGenerate(llmp_backend* b, const llmp_generate_request* req,
                             const llmp_event_sink* sink, const llmp_error_sink* err) {
  auto* s = reinterpret_cast<Scripted*>(b);
  s->models.push_back(str(req->model));
  s->irs.push_back(str(req->ir));
  Outcome o = s->outcomes.empty() ? Outcome{} : s->outcomes.front();
  if (!s->outcomes.empty()) {
    s->outcomes.pop_front();
  }
  const std::string& chunk = s->chunk;
  if (o.status == LLMP_OK || o.chunkFirst) {
    llmp_status e = sink->emit(sink->ctx, LLMP_EVENT_CHUNK, toBytes(chunk));
    if (e != LLMP_OK) {
      return e;
    }
  }
  if (o.status != LLMP_OK) {
    setError(err, o.status, o.http, "scripted failure", "", o.retryMs);
  }
  return o.status;
}

const llmp_backend_factory* scriptedFactory() {
  static llmp_backend_factory f = [] {
    llmp_backend_factory x{};
    x.struct_size = sizeof(x);
    x.generate = scriptedGenerate;
    return x;
  }();
  return &f;
}

class RouterTest : public ::testing::Test {
 protected:
  Scripted a, b;
  BackendRegistry registry;
  Config config;

  void SetUp() override {
    config.defaultBackend = "a";
    config.maxSilentWaitMs = 2000;
    add("a", &a);
    add("b", &b);
  }
  void TearDown() override {
    for (auto* bi : registry.ordered()) {
      bi->instance = nullptr;  // owned by the test
    }
  }
  void add(const std::string& name, Scripted* s, bool enabled = true) {
    auto bi = std::make_unique<BackendInstance>();
    bi->name = name;
    bi->type = "scripted";
    bi->factory = scriptedFactory();
    bi->instance = reinterpret_cast<llmp_backend*>(s);
    bi->enabled = enabled;
    registry.add(std::move(bi));
  }
  struct Result {
    llmp_status status;
    ErrorRecord error;
    std::vector<std::pair<uint32_t, std::string>> events;
  };
  Result run(const std::string& model, bool stream = false, std::string ir = R"({"contents":[]})",
             const llmp_host_api* hostApi = nullptr) {
    Router router(config, registry, hostApi);
    Result r;
    EventSinkFn sink([&](uint32_t kind, std::string_view data) {
      r.events.emplace_back(kind, std::string(data));
      return LLMP_OK;
    });
    llmp_generate_request req{};
    req.struct_size = sizeof(req);
    req.model = toBytes(model);
    req.ir = toBytes(ir);
    req.flags = stream ? LLMP_GENERATE_STREAM : 0;
    r.status = router.generate(req, sink.sink(), r.error.sink());
    return r;
  }
};

TEST_F(RouterTest, SuccessAnnouncesTheRouteBeforeTheFirstChunk) {
  auto r = run("m1");
  ASSERT_EQ(r.status, LLMP_OK);
  ASSERT_EQ(r.events.size(), 2u);
  EXPECT_EQ(r.events[0].first, static_cast<uint32_t>(LLMP_EVENT_ROUTED));
  EXPECT_EQ(nlohmann::json::parse(r.events[0].second)["backend"], "a");
  EXPECT_EQ(r.events[1].first, static_cast<uint32_t>(LLMP_EVENT_CHUNK));
  EXPECT_EQ(a.models, std::vector<std::string>{"m1"});
}

TEST_F(RouterTest, FailsOverOn503ToTheNextHop) {
  a.outcomes.push_back({LLMP_E_UNAVAILABLE, 503});
  auto r = run("a:m1|b:m2");
  EXPECT_EQ(r.status, LLMP_OK);
  EXPECT_EQ(b.models, std::vector<std::string>{"m2"});
  EXPECT_EQ(nlohmann::json::parse(r.events[0].second)["backend"], "b");
}

TEST_F(RouterTest, DoesNotRetryClientErrors) {
  a.outcomes.push_back({LLMP_E_INVALID, 400});
  auto r = run("a:m1|b:m2");
  EXPECT_EQ(r.status, LLMP_E_INVALID);
  EXPECT_EQ(r.error.httpStatus, 400);
  EXPECT_TRUE(b.models.empty());
}

TEST_F(RouterTest, NeverRetriesOnceOutputStarted) {
  a.outcomes.push_back({LLMP_E_UNAVAILABLE, 503, -1, /*chunkFirst=*/true});
  auto r = run("a:m1|b:m2", true);
  EXPECT_EQ(r.status, LLMP_E_UNAVAILABLE);
  EXPECT_TRUE(b.models.empty());
}

TEST_F(RouterTest, RetriesTheSameHopAfterAShortRetryAfter) {
  a.outcomes.push_back({LLMP_E_RATE_LIMITED, 429, 50});
  auto r = run("a:m1|b:m2");
  EXPECT_EQ(r.status, LLMP_OK);
  EXPECT_EQ(a.models.size(), 2u);
  EXPECT_TRUE(b.models.empty());
}

TEST_F(RouterTest, MovesOnWhenRetryAfterExceedsMaxSilentWait) {
  a.outcomes.push_back({LLMP_E_RATE_LIMITED, 429, 60000});
  auto r = run("a:m1|b:m2");
  EXPECT_EQ(r.status, LLMP_OK);
  EXPECT_EQ(a.models.size(), 1u);
  EXPECT_EQ(b.models.size(), 1u);
}

TEST_F(RouterTest, LastHopRateLimitKeepsStatusAndDelay) {
  a.outcomes.push_back({LLMP_E_RATE_LIMITED, 429, 60000});
  auto r = run("m1");
  EXPECT_EQ(r.status, LLMP_E_RATE_LIMITED);
  EXPECT_EQ(r.error.httpStatus, 429);
  EXPECT_EQ(r.error.retryAfterMs, 60000);
}

TEST_F(RouterTest, ARateLimitedHopRestsForLaterRequestsUntilItsRetryAfterEnds) {
  testing::FakeHost host;  // its kv store keeps the cooldown; its clock decides when it ends
  const std::string ir = R"({"contents":[]})";
  a.outcomes.push_back({LLMP_E_RATE_LIMITED, 429, 60000});
  EXPECT_EQ(run("a:m1|b:m2", false, ir, host.api()).status, LLMP_OK);
  EXPECT_EQ(a.models.size(), 1u);
  EXPECT_EQ(b.models.size(), 1u);
  // The next request does not try a at all while it rests.
  EXPECT_EQ(run("a:m1|b:m2", false, ir, host.api()).status, LLMP_OK);
  EXPECT_EQ(a.models.size(), 1u);
  EXPECT_EQ(b.models.size(), 2u);
  // Another model of the same backend is not resting.
  EXPECT_EQ(run("a:m3|b:m2", false, ir, host.api()).status, LLMP_OK);
  EXPECT_EQ(a.models.back(), "m3");
  host.advanceMs(60001);
  EXPECT_EQ(run("a:m1|b:m2", false, ir, host.api()).status, LLMP_OK);
  EXPECT_EQ(a.models.back(), "m1");
  EXPECT_EQ(b.models.size(), 2u);
}

TEST_F(RouterTest, RateLimitFallsBackToTheFallbackModel) {
  registry.find("a")->rateLimitFallbackModel = "gemini-2.5-flash";
  a.outcomes.push_back({LLMP_E_RATE_LIMITED, 429, 60000});
  auto r = run("gemini-2.5-pro");
  EXPECT_EQ(r.status, LLMP_OK);
  EXPECT_EQ(a.models, (std::vector<std::string>{"gemini-2.5-pro", "gemini-2.5-flash"}));
  EXPECT_EQ(nlohmann::json::parse(r.events[0].second)["model"], "gemini-2.5-flash");
}

TEST_F(RouterTest, GatedBackendAnswers403NamingTheFlag) {
  Scripted gated;
  add("oauth", &gated, /*enabled=*/false);
  registry.find("oauth")->type = "gemini-oauth-plan";
  auto r = run("oauth:gemini-2.5-pro");
  EXPECT_EQ(r.status, LLMP_E_FORBIDDEN);
  EXPECT_EQ(r.error.httpStatus, 403);
  EXPECT_NE(r.error.message.find("--enable-gemini-oauth-plan-backend-debugging-override"),
            std::string::npos);
  EXPECT_TRUE(gated.models.empty());
}

TEST_F(RouterTest, UriParametersReachTheBackendIr) {
  auto r = run("a:m1?temperature=0.25", false, R"({"contents":[],"generationConfig":{"temperature":1}})");
  ASSERT_EQ(r.status, LLMP_OK);
  auto ir = nlohmann::json::parse(a.irs.at(0));
  EXPECT_DOUBLE_EQ(ir["generationConfig"]["temperature"].get<double>(), 0.25);
}

TEST_F(RouterTest, InvalidUriParameterIs400) {
  auto r = run("a:m1?temperature=warm");
  EXPECT_EQ(r.status, LLMP_E_INVALID);
  EXPECT_EQ(r.error.httpStatus, 400);
  EXPECT_NE(r.error.message.find("temperature"), std::string::npos);
}

TEST_F(RouterTest, StreamingWaitSendsKeepalives) {
  config.keepaliveIntervalMs = 20;
  a.outcomes.push_back({LLMP_E_RATE_LIMITED, 429, 120});
  auto r = run("m1", true);
  ASSERT_EQ(r.status, LLMP_OK);
  int keepalives = 0;
  for (const auto& e : r.events) {
    keepalives += e.first == static_cast<uint32_t>(LLMP_EVENT_KEEPALIVE);
  }
  EXPECT_GE(keepalives, 2);
}

TEST_F(RouterTest, PlanningPhaseSendsTheFirstTurnsToThePlanningModel) {
  config.session = nlohmann::json::parse(
      R"({"planning_phase":{"model":"b:planner","max_turns":2,"temperature":0.1}})");
  const std::string turn1 = R"({"contents":[{"role":"user","parts":[{"text":"plan it"}]}]})";
  auto r1 = run("a:m1", false, turn1);
  ASSERT_EQ(r1.status, LLMP_OK);
  ASSERT_EQ(b.models, std::vector<std::string>{"planner"});
  EXPECT_DOUBLE_EQ(nlohmann::json::parse(b.irs[0])["generationConfig"]["temperature"].get<double>(), 0.1);

  const std::string turn3 = R"({"contents":[{"role":"user","parts":[{"text":"1"}]},{"role":"model","parts":[{"text":"x"}]},
    {"role":"user","parts":[{"text":"2"}]},{"role":"model","parts":[{"text":"y"}]},{"role":"user","parts":[{"text":"3"}]}]})";
  run("a:m1", false, turn3);
  EXPECT_EQ(a.models, std::vector<std::string>{"m1"});
}

TEST_F(RouterTest, PlanningPhaseEndsAtTheFirstFileWrite) {
  config.session = nlohmann::json::parse(R"({"planning_phase":{"model":"b:planner"}})");
  const std::string wrote = R"({"contents":[{"role":"user","parts":[{"text":"go"}]},
    {"role":"model","parts":[{"functionCall":{"name":"write_file","args":{}}}]},
    {"role":"user","parts":[{"functionResponse":{"name":"write_file","response":{}}}]}]})";
  run("a:m1", false, wrote);
  EXPECT_EQ(a.models, std::vector<std::string>{"m1"});
  EXPECT_TRUE(b.models.empty());
}

TEST_F(RouterTest, HybridHandsTheReasoningToTheExecutionModel) {
  a.chunk = R"({"candidates":[{"content":{"role":"model","parts":[{"text":"step one, then two","thought":true},{"text":"answer A"}]}}]})";
  b.chunk = R"({"candidates":[{"content":{"role":"model","parts":[{"text":"final from B"}]},"finishReason":"STOP"}]})";
  auto r = run("hybrid:[a:thinker,b:doer]", true, R"({"contents":[{"role":"user","parts":[{"text":"q"}]}]})");
  ASSERT_EQ(r.status, LLMP_OK);
  EXPECT_EQ(a.models, std::vector<std::string>{"thinker"});
  EXPECT_EQ(b.models, std::vector<std::string>{"doer"});
  auto execIr = nlohmann::json::parse(b.irs[0]);
  std::string system = execIr["systemInstruction"]["parts"].back()["text"];
  EXPECT_NE(system.find("step one, then two"), std::string::npos);
  EXPECT_EQ(system.find("answer A"), std::string::npos);
  // The client sees only B's answer.
  std::string seen;
  for (const auto& e : r.events) {
    if (e.first == static_cast<uint32_t>(LLMP_EVENT_CHUNK)) seen += e.second;
  }
  EXPECT_NE(seen.find("final from B"), std::string::npos);
  EXPECT_EQ(seen.find("answer A"), std::string::npos);
}

}  // namespace
}  // namespace llmp::host
