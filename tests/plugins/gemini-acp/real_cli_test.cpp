// The real @google/gemini-cli (tests/e2e/node_modules) in ACP mode as the agent, talking to
// fake-gemini-upstream on 127.0.0.1 instead of Google. Skipped when node or the CLI is absent.
#include <gtest/gtest.h>

#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <string>

#include "backend_test_support.hpp"

namespace llmp::plugins::gemini_acp::testing {
namespace {

// Runs fake-gemini-upstream and reads its "PORT=<n>" line.
class FakeUpstream {
 public:
  FakeUpstream() {
    int fds[2];
    if (::pipe(fds) != 0) return;
    pid_ = ::fork();
    if (pid_ == 0) {
      ::dup2(fds[1], 1);
      ::close(fds[0]);
      ::close(fds[1]);
      ::execl(LLMP_FAKE_GEMINI_UPSTREAM, LLMP_FAKE_GEMINI_UPSTREAM, static_cast<char*>(nullptr));
      ::_exit(127);
    }
    ::close(fds[1]);
    std::string line;
    char c;
    while (::read(fds[0], &c, 1) == 1 && c != '\n') line.push_back(c);
    ::close(fds[0]);
    if (line.rfind("PORT=", 0) == 0) port_ = std::stoi(line.substr(5));
  }
  ~FakeUpstream() {
    if (pid_ > 0) {
      ::kill(pid_, SIGTERM);
      ::waitpid(pid_, nullptr, 0);
    }
  }
  int port() const { return port_; }

 private:
  pid_t pid_ = -1;
  int port_ = 0;
};

class RealGeminiCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!nodeAvailable() || ::access(LLMP_GEMINI_CLI_JS, R_OK) != 0) {
      GTEST_SKIP() << "node or tests/e2e/node_modules/@google/gemini-cli is not installed";
    }
    ASSERT_GT(upstream.port(), 0) << "fake-gemini-upstream did not start";
    // A throw-away HOME: the CLI writes settings and caches there (docs: clients.md).
    std::string dotGemini = home.file(".gemini");
    ::mkdir(dotGemini.c_str(), 0700);
    std::ofstream(dotGemini + "/settings.json")
        << R"({"security":{"auth":{"selectedType":"gemini-api-key"}},)"
        << R"("general":{"maxAttempts":1,"enableAutoUpdate":false,"enableAutoUpdateNotification":false},)"
        << R"("privacy":{"usageStatisticsEnabled":false},"telemetry":{"enabled":false}})";
  }

  Json config() {
    return {{"type", "gemini-cli-acp"},
            {"extra",
             {{"gemini_cli_executable", LLMP_GEMINI_CLI_JS},
              {"node_executable", LLMP_NODE_EXECUTABLE},
              {"project_dir", workspace.path()},
              {"initialize_timeout_seconds", 120},
              {"session_timeout_seconds", 120},
              {"turn_timeout_seconds", 120},
              {"env",
               {{"HOME", home.path()},
                {"GOOGLE_GEMINI_BASE_URL", "http://127.0.0.1:" + std::to_string(upstream.port())},
                {"GEMINI_API_KEY", "test-key-not-secret"},
                {"GEMINI_CLI_TRUST_WORKSPACE", "true"},
                {"NO_BROWSER", "true"}}}}}};
  }

  FakeUpstream upstream;
  TempDir home;
  TempDir workspace;
};

TEST_F(RealGeminiCliTest, AnswersATurnAndReusesTheSession) {
  BackendHarness h(config());
  ASSERT_EQ(h.createStatus(), LLMP_OK) << h.createError().message;
  GenerateOptions options;
  options.model = "google/gemini-2.5-flash";  // a fixed model skips the CLI's router call
  options.sessionId = "real-cli";
  options.stream = true;
  GenerateResult first = h.generate({userTurn("ping from the proxy")}, options);
  ASSERT_EQ(first.status, LLMP_OK) << first.error.message;
  EXPECT_NE(first.text().find("echo:"), std::string::npos) << first.text();
  EXPECT_EQ(first.lastChunk()["candidates"][0]["finishReason"], "STOP");

  GenerateResult second = h.generate(
      {userTurn("ping from the proxy"), modelTurn(first.text()), userTurn("second ping")}, options);
  ASSERT_EQ(second.status, LLMP_OK) << second.error.message;
  EXPECT_NE(second.text().find("second ping"), std::string::npos) << second.text();
  EXPECT_EQ(h.health()["acpFlag"], "--acp");
}

}  // namespace
}  // namespace llmp::plugins::gemini_acp::testing
