// The gemini-cli-acp backend end to end through its factory, with fake_acp_agent.js (Node.js)
// playing the Gemini CLI and the host's real process and timer services.
#include <gtest/gtest.h>

#include <sys/stat.h>

#include <chrono>
#include <fstream>
#include <regex>
#include <thread>

#include "backend_test_support.hpp"

namespace llmp::plugins::gemini_acp::testing {
namespace {

class AcpBackendTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!nodeAvailable()) {
      GTEST_SKIP() << "node is not installed; the fake agent needs it";
    }
  }

  Json config(Json extra = Json::object()) {
    Json base = {{"gemini_cli_executable", LLMP_FAKE_ACP_AGENT},
                 {"node_executable", LLMP_NODE_EXECUTABLE},
                 {"project_dir", workspace.path()},
                 {"initialize_timeout_seconds", 20},
                 {"session_timeout_seconds", 20},
                 {"cancel_timeout_seconds", 5},
                 {"keepalive_seconds", 1},
                 {"env", {{"FAKE_ACP_LOG", logPath()}}}};
    for (auto it = extra.begin(); it != extra.end(); ++it) {
      if (it.key() == "env") {
        for (auto e = it->begin(); e != it->end(); ++e) base["env"][e.key()] = *e;
      } else {
        base[it.key()] = *it;
      }
    }
    return {{"type", "gemini-cli-acp"}, {"extra", base}};
  }
  std::string logPath() const { return scratch.file("agent.log"); }
  std::vector<Json> agentLog() const { return readAgentLog(logPath()); }

  TempDir workspace;
  TempDir scratch;
};

// "session=<id> turn=<n> replay=<yes|no> text=<text>" -> parts.
struct Echo {
  std::string session, turn, replay, text;
};
Echo parseEcho(const std::string& s) {
  std::smatch m;
  std::regex re("session=(\\S+) turn=(\\d+) replay=(yes|no) text=(.*)");
  Echo e;
  if (std::regex_match(s, m, re)) {
    e = {m[1], m[2], m[3], m[4]};
  }
  return e;
}

TEST_F(AcpBackendTest, TextTurnBecomesOneChunkWithFinishReasonAndUsage) {
  BackendHarness h(config());
  ASSERT_EQ(h.createStatus(), LLMP_OK) << h.createError().message;
  GenerateResult r = h.generate({userTurn("hello")});
  ASSERT_EQ(r.status, LLMP_OK) << r.error.message;
  ASSERT_EQ(r.chunkCount(), 1u) << "a non-streaming request gets exactly one chunk";
  Echo echo = parseEcho(r.text());
  EXPECT_EQ(echo.text, "hello");
  EXPECT_EQ(echo.turn, "1");
  EXPECT_EQ(echo.replay, "no");
  Json chunk = r.lastChunk();
  EXPECT_EQ(chunk["candidates"][0]["finishReason"], "STOP");
  EXPECT_EQ(chunk["candidates"][0]["content"]["role"], "model");
  EXPECT_EQ(chunk["usageMetadata"]["promptTokenCount"], 12);
  EXPECT_EQ(chunk["usageMetadata"]["candidatesTokenCount"], 7);
  // The agent's own tool use shows up as progress, never as a client tool call.
  ASSERT_FALSE(r.progress().empty());
  EXPECT_NE(r.progress()[0].find("Find files"), std::string::npos);

  // The process ran in the workspace with --acp and the model without its google/ prefix.
  std::vector<Json> started = starts(agentLog());
  ASSERT_EQ(started.size(), 1u);
  EXPECT_EQ(started[0]["cwd"], workspace.path());
  EXPECT_EQ(started[0]["started"], (Json{"--acp", "-m", "fake-pro"}));
  std::vector<Json> log = agentLog();
  for (const Json& entry : log) {
    if (entry.value("method", std::string()) == "initialize") {
      EXPECT_EQ(entry["params"]["clientCapabilities"]["fs"]["readTextFile"], false);
      EXPECT_EQ(entry["params"]["clientCapabilities"]["fs"]["writeTextFile"], false);
    }
    if (entry.value("method", std::string()) == "session/new") {
      EXPECT_EQ(entry["params"]["cwd"], workspace.path());
    }
  }
}

TEST_F(AcpBackendTest, StreamingSendsChunksThoughtsAndEndsWithFinishReason) {
  BackendHarness h(config());
  GenerateOptions options;
  options.stream = true;
  options.model = "google/fake-pro";
  GenerateResult r = h.generate({userTurn("think")}, options);
  ASSERT_EQ(r.status, LLMP_OK) << r.error.message;
  EXPECT_GE(r.chunkCount(), 2u);
  EXPECT_EQ(r.thoughts(), "**Plan**\nthinking");
  EXPECT_EQ(parseEcho(r.text()).text, "think");
  EXPECT_EQ(r.lastChunk()["candidates"][0]["finishReason"], "STOP");
  EXPECT_EQ(starts(agentLog())[0]["started"], (Json{"--acp", "-m", "fake-pro"}));
}

TEST_F(AcpBackendTest, SecondTurnReusesTheSessionAndSendsOnlyTheNewTurn) {
  BackendHarness h(config());
  GenerateOptions options;
  options.sessionId = "conv-1";
  GenerateResult first = h.generate({userTurn("hello")}, options);
  ASSERT_EQ(first.status, LLMP_OK) << first.error.message;
  Echo one = parseEcho(first.text());

  GenerateResult second =
      h.generate({userTurn("hello"), modelTurn(first.text()), userTurn("again")}, options);
  ASSERT_EQ(second.status, LLMP_OK) << second.error.message;
  Echo two = parseEcho(second.text());
  EXPECT_EQ(two.session, one.session);
  EXPECT_EQ(two.turn, "2");
  EXPECT_EQ(two.replay, "no");
  EXPECT_EQ(two.text, "again");
  std::vector<Json> log = agentLog();
  EXPECT_EQ(countMethod(log, "session/new"), 1u);
  EXPECT_EQ(starts(log).size(), 1u);
  // The second prompt carried only the new user turn.
  Json lastPrompt;
  for (const Json& entry : log) {
    if (entry.value("method", std::string()) == "session/prompt") lastPrompt = entry["params"]["prompt"];
  }
  EXPECT_EQ(lastPrompt, (Json{{{"type", "text"}, {"text", "again"}}}));
}

TEST_F(AcpBackendTest, WithoutSessionIdTheFirstTurnFingerprintKeepsTheSession) {
  BackendHarness h(config());
  GenerateResult first = h.generate({userTurn("fingerprint me")});
  ASSERT_EQ(first.status, LLMP_OK);
  GenerateResult second =
      h.generate({userTurn("fingerprint me"), modelTurn(first.text()), userTurn("next")});
  ASSERT_EQ(second.status, LLMP_OK);
  EXPECT_EQ(parseEcho(second.text()).session, parseEcho(first.text()).session);
  EXPECT_EQ(parseEcho(second.text()).replay, "no");
}

TEST_F(AcpBackendTest, UnknownConversationWithHistoryIsReplayedIntoANewSession) {
  BackendHarness h(config());
  GenerateOptions options;
  options.sessionId = "restored-after-restart";
  GenerateResult r =
      h.generate({userTurn("earlier question"), modelTurn("earlier answer"), userTurn("go on")}, options);
  ASSERT_EQ(r.status, LLMP_OK) << r.error.message;
  Echo echo = parseEcho(r.text());
  EXPECT_EQ(echo.replay, "yes");
  EXPECT_EQ(echo.turn, "1");
  EXPECT_EQ(echo.text, "go on");
}

TEST_F(AcpBackendTest, ReadOnlyToolIsAllowed) {
  BackendHarness h(config());
  GenerateResult r = h.generate({userTurn("read tool")});
  ASSERT_EQ(r.status, LLMP_OK) << r.error.message;
  EXPECT_EQ(r.text(), "permission: proceed_once");
}

TEST_F(AcpBackendTest, WriteIsDeniedByDefault) {
  BackendHarness h(config());
  GenerateResult r = h.generate({userTurn("write tool")});
  ASSERT_EQ(r.status, LLMP_OK) << r.error.message;
  EXPECT_EQ(r.text(), "permission: cancel");
  bool sawDenial = false;
  for (const std::string& p : r.progress()) {
    sawDenial = sawDenial || p.find("denied") != std::string::npos;
  }
  EXPECT_TRUE(sawDenial) << "the client learns the proxy refused a tool";
}

TEST_F(AcpBackendTest, WriteIsAllowedWithAllowAll) {
  BackendHarness h(config({{"permission_policy", "allow_all"}}));
  GenerateResult r = h.generate({userTurn("write tool")});
  ASSERT_EQ(r.status, LLMP_OK) << r.error.message;
  EXPECT_EQ(r.text(), "permission: proceed_once");
}

TEST_F(AcpBackendTest, ClientDisconnectCancelsTheTurnAndTheNextTurnWorks) {
  BackendHarness h(config());
  GenerateOptions options;
  options.stream = true;
  options.sessionId = "conv-cancel";
  int chunks = 0;
  options.onEvent = [&](const Event& e) -> llmp_status {
    if (e.kind == LLMP_EVENT_CHUNK && ++chunks == 2) return LLMP_E_CANCELLED;
    return LLMP_OK;
  };
  GenerateResult cancelled = h.generate({userTurn("slow")}, options);
  EXPECT_EQ(cancelled.status, LLMP_E_CANCELLED);
  EXPECT_EQ(countMethod(agentLog(), "session/cancel"), 1u);

  GenerateOptions next;
  next.sessionId = "conv-cancel";
  GenerateResult r = h.generate({userTurn("slow"), modelTurn("tick 0"), userTurn("hello")}, next);
  ASSERT_EQ(r.status, LLMP_OK) << r.error.message;
  EXPECT_EQ(parseEcho(r.text()).text, "hello");
  EXPECT_EQ(starts(agentLog()).size(), 1u) << "the process stayed healthy";
}

TEST_F(AcpBackendTest, AgentIgnoringCancelIsStoppedAndReplaced) {
  BackendHarness h(config({{"cancel_timeout_seconds", 1}, {"env", {{"FAKE_ACP_IGNORE_CANCEL", "1"}}}}));
  GenerateOptions options;
  options.stream = true;
  options.onEvent = [](const Event& e) -> llmp_status {
    return e.kind == LLMP_EVENT_CHUNK ? LLMP_E_CANCELLED : LLMP_OK;
  };
  EXPECT_EQ(h.generate({userTurn("slow")}, options).status, LLMP_E_CANCELLED);
  GenerateResult r = h.generate({userTurn("hello")});
  ASSERT_EQ(r.status, LLMP_OK) << r.error.message;
  EXPECT_EQ(starts(agentLog()).size(), 2u);
}

TEST_F(AcpBackendTest, CrashedCliFailsTheTurnClearlyAndIsRestarted) {
  BackendHarness h(config());
  GenerateOptions options;
  options.sessionId = "conv-crash";
  GenerateResult crashed = h.generate({userTurn("crash")}, options);
  EXPECT_EQ(crashed.status, LLMP_E_UNAVAILABLE);
  EXPECT_EQ(crashed.error.effectiveHttpStatus(), 503);
  EXPECT_NE(crashed.error.message.find("exited with code 3"), std::string::npos) << crashed.error.message;
  EXPECT_NE(crashed.error.message.find("crashing on purpose"), std::string::npos) << crashed.error.message;

  GenerateResult r = h.generate({userTurn("crash"), modelTurn("about to crash"), userTurn("hello")}, options);
  ASSERT_EQ(r.status, LLMP_OK) << r.error.message;
  Echo echo = parseEcho(r.text());
  EXPECT_EQ(echo.text, "hello");
  EXPECT_EQ(echo.replay, "yes") << "the new process got the conversation replayed";
  EXPECT_EQ(starts(agentLog()).size(), 2u);
}

TEST_F(AcpBackendTest, NonexistentExecutableGivesAClear503) {
  Json c = config();
  c["extra"]["gemini_cli_executable"] = "/nonexistent/bin/gemini";
  BackendHarness h(c);
  ASSERT_EQ(h.createStatus(), LLMP_OK) << "create succeeds so the proxy still starts";
  GenerateResult r = h.generate({userTurn("hello")});
  EXPECT_EQ(r.status, LLMP_E_UNAVAILABLE);
  EXPECT_EQ(r.error.effectiveHttpStatus(), 503);
  EXPECT_NE(r.error.message.find("/nonexistent/bin/gemini"), std::string::npos) << r.error.message;
  EXPECT_TRUE(r.events.empty());
  EXPECT_FALSE(h.health()["available"].get<bool>());
  EXPECT_FALSE(h.listModels().empty()) << "models are still listed from the static list";
}

TEST_F(AcpBackendTest, BrokenExecutableGivesA503WithItsOutput) {
  std::string script = scratch.file("broken-gemini");
  {
    std::ofstream out(script);
    out << "#!/bin/sh\necho 'gemini: cannot load settings' >&2\nexit 2\n";
  }
  ::chmod(script.c_str(), 0755);
  Json c = config();
  c["extra"]["gemini_cli_executable"] = script;
  BackendHarness h(c);
  GenerateResult r = h.generate({userTurn("hello")});
  EXPECT_EQ(r.status, LLMP_E_UNAVAILABLE);
  EXPECT_EQ(r.error.effectiveHttpStatus(), 503);
  EXPECT_NE(r.error.message.find("cannot load settings"), std::string::npos) << r.error.message;
}

TEST_F(AcpBackendTest, OldCliFallsBackToExperimentalAcpOnce) {
  BackendHarness h(config({{"env", {{"FAKE_ACP_REJECT_ACP", "1"}}}}));
  GenerateResult r = h.generate({userTurn("hello")});
  ASSERT_EQ(r.status, LLMP_OK) << r.error.message;
  // Another model needs another process: it starts with the remembered flag directly.
  GenerateOptions other;
  other.model = "fake-flash";
  ASSERT_EQ(h.generate({userTurn("hello")}, other).status, LLMP_OK);
  std::vector<Json> started = starts(agentLog());
  ASSERT_EQ(started.size(), 3u);
  EXPECT_EQ(started[0]["started"][0], "--acp");
  EXPECT_EQ(started[1]["started"][0], "--experimental-acp");
  EXPECT_EQ(started[2]["started"], (Json{"--experimental-acp", "-m", "fake-flash"}));
}

TEST_F(AcpBackendTest, AgentHttpErrorKeepsItsStatus) {
  BackendHarness h(config());
  GenerateResult r = h.generate({userTurn("error 429")});
  EXPECT_EQ(r.status, LLMP_E_RATE_LIMITED);
  EXPECT_EQ(r.error.effectiveHttpStatus(), 429);
  EXPECT_NE(r.error.message.find("Rate limit"), std::string::npos) << r.error.message;
}

TEST_F(AcpBackendTest, WorkspaceFromHeaderAndBadWorkspaceRejected) {
  TempDir other;
  BackendHarness h(config());
  GenerateOptions options;
  options.metadata = {{"frontend", "openai"}, {"headers", {{"x-llmp-workspace", other.path()}}}};
  ASSERT_EQ(h.generate({userTurn("hello")}, options).status, LLMP_OK);
  EXPECT_EQ(starts(agentLog())[0]["cwd"], other.path());

  GenerateOptions bad;
  bad.metadata = {{"workspace", "/no/such/workspace"}};
  GenerateResult r = h.generate({userTurn("hello")}, bad);
  EXPECT_EQ(r.status, LLMP_E_INVALID);
  EXPECT_EQ(r.error.effectiveHttpStatus(), 400);
}

TEST_F(AcpBackendTest, ListModelsOffersWhatTheCliReported) {
  BackendHarness h(config());
  Json before = h.listModels();
  ASSERT_FALSE(before.empty());
  EXPECT_EQ(before[0]["name"], "models/gemini-2.5-pro");
  ASSERT_EQ(h.generate({userTurn("hello")}).status, LLMP_OK);
  Json after = h.listModels();
  ASSERT_EQ(after.size(), 2u);
  EXPECT_EQ(after[0]["name"], "models/fake-pro");
  EXPECT_EQ(after[0]["displayName"], "Fake Pro");
}

TEST_F(AcpBackendTest, IdleProcessesAreStoppedByTheTimer) {
  BackendHarness h(config({{"idle_timeout_seconds", 0.3}}));
  ASSERT_EQ(h.generate({userTurn("hello")}).status, LLMP_OK);
  // Poll (no timing assertion): the host timer must reap the process eventually.
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (h.health()["processes"].get<int>() != 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_EQ(h.health()["processes"], 0);
  // The next request simply starts a new one.
  ASSERT_EQ(h.generate({userTurn("hello")}).status, LLMP_OK);
  EXPECT_EQ(starts(agentLog()).size(), 2u);
}

TEST_F(AcpBackendTest, MaxProcessesEvictsTheIdleOne) {
  BackendHarness h(config({{"max_processes", 1}}));
  ASSERT_EQ(h.generate({userTurn("hello")}).status, LLMP_OK);
  GenerateOptions other;
  other.model = "fake-flash";
  ASSERT_EQ(h.generate({userTurn("hello")}, other).status, LLMP_OK);
  EXPECT_EQ(h.health()["processes"], 1);
  EXPECT_EQ(starts(agentLog()).size(), 2u);
}

TEST_F(AcpBackendTest, NoisyStdoutIsSkipped) {
  BackendHarness h(config({{"env", {{"FAKE_ACP_NOISE", "1"}}}}));
  GenerateResult r = h.generate({userTurn("hello")});
  ASSERT_EQ(r.status, LLMP_OK) << r.error.message;
  EXPECT_EQ(parseEcho(r.text()).text, "hello");
}

}  // namespace
}  // namespace llmp::plugins::gemini_acp::testing
