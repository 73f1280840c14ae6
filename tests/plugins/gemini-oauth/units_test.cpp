// Unit tests of the gemini-oauth plugin's parts that need no network: account files (atomic
// writes, crash safety), account selection, configuration, the Gemini CLI credentials search,
// and the OAuth flow helpers.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <llmp/cpp/errors.hpp>
#include <llmp/cpp/google_oauth_flow.hpp>
#include <map>
#include <set>
#include <sstream>

#include "account_store.hpp"
#include "accounts_cli.hpp"
#include "config.hpp"
#include "creds_file.hpp"
#include "selection.hpp"

namespace go = llmp::plugins::gemini_oauth;

namespace {

std::string tempDir() {
  char tmpl[] = "/tmp/llmp-oauth-test-XXXXXX";
  return ::mkdtemp(tmpl);
}

std::string readFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

go::Account sample(const std::string& id) {
  go::Account a;
  a.id = id;
  a.email = id + "@example.com";
  a.accessToken = "ya29.secret-access-" + id;
  a.refreshToken = "1//secret-refresh-" + id;
  a.expiryMs = 1700000000000;
  a.updatedMs = 1;
  return a;
}

go::EnvFn envOf(std::map<std::string, std::string> vars) {
  auto shared = std::make_shared<std::map<std::string, std::string>>(std::move(vars));
  return [shared](const char* name) -> const char* {
    auto it = shared->find(name);
    return it == shared->end() ? nullptr : it->second.c_str();
  };
}

}  // namespace

TEST(AccountStore, SavesOneFilePerAccountWithMode0600AndLoadsThemBack) {
  go::AccountStore store(tempDir() + "/nested/accounts");
  store.save(sample("b"));
  store.save(sample("a"));
  struct stat st {};
  ASSERT_EQ(::stat(store.pathOf("a").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  auto all = store.loadAll();
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0].id, "a");  // sorted
  EXPECT_EQ(all[1].refreshToken, "1//secret-refresh-b");
  EXPECT_EQ(store.load("b").email, "b@example.com");
}

TEST(AccountStore, UnknownIdNamesTheKnownOnes) {
  go::AccountStore store(tempDir());
  store.save(sample("alice"));
  try {
    store.load("bob");
    FAIL();
  } catch (const llmp::Error& e) {
    EXPECT_EQ(e.code(), LLMP_E_NOT_FOUND);
    EXPECT_NE(std::string(e.what()).find("alice"), std::string::npos);
  }
  EXPECT_THROW(store.load("../etc/passwd"), llmp::Error);
  EXPECT_THROW(store.remove("bob"), llmp::Error);
}

TEST(AccountStore, LeftoverTemporaryFilesAndJunkAreIgnored) {
  std::string dir = tempDir();
  go::AccountStore store(dir);
  store.save(sample("a"));
  std::ofstream(dir + "/.a.json.tmp-123-456") << "{\"id\":\"a\",\"email\":\"half";
  std::ofstream(dir + "/broken.json") << "not json";
  std::vector<std::string> skipped;
  auto all = store.loadAll(&skipped);
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(all[0].email, "a@example.com");
  ASSERT_EQ(skipped.size(), 1u);
  EXPECT_NE(skipped[0].find("broken.json"), std::string::npos);
}

TEST(AccountStore, ACrashBetweenTheTemporaryWriteAndTheRenameKeepsThePreviousFile) {
  std::string dir = tempDir();
  go::AccountStore store(dir);
  go::Account a = sample("a");
  store.save(a);
  const std::string before = readFile(store.pathOf("a"));
  pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    ::setenv("LLMP_GEMINI_OAUTH_TEST_CRASH_BEFORE_RENAME", "1", 1);
    go::Account changed = a;
    changed.email = "changed@example.com";
    changed.accessToken = "new-token";
    try {
      store.save(changed);  // _exit(70) before the rename
    } catch (...) {
    }
    ::_exit(0);
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 70) << "the hook did not fire";
  EXPECT_EQ(readFile(store.pathOf("a")), before);
  auto all = store.loadAll();
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(all[0].email, "a@example.com");
}

TEST(AccountStore, IdsFromEmails) {
  EXPECT_EQ(go::accountIdFor("Ann.Lee@Example.com"), "ann.lee-example.com");
  EXPECT_NO_THROW(go::checkAccountId("ann.lee-example.com"));
  EXPECT_THROW(go::checkAccountId("a/b"), llmp::Error);
  EXPECT_THROW(go::checkAccountId(".hidden"), llmp::Error);
}

TEST(AccountsCli, TokensAreNeverShownInFull) {
  EXPECT_EQ(go::maskToken(""), "(none)");
  std::string masked = go::maskToken("ya29.a0AfB_verysecrettokenvalue");
  EXPECT_EQ(masked.find("verysecret"), std::string::npos);
  EXPECT_LT(masked.size(), 12u);
}

TEST(Selection, FirstAvailableKeepsTheOrder) {
  go::Selector s(
      "first-available", 10, 1000, [] { return 7; }, [](size_t) { return 1u; });
  EXPECT_EQ(s.order({"a", "b", "c"}, "", 0), (std::vector<std::string>{"a", "b", "c"}));
}

TEST(Selection, RoundRobinStartsAtTheSharedCounter) {
  int64_t n = 0;
  go::Selector s(
      "round-robin", 10, 1000, [&] { return n++; }, [](size_t) { return 0u; });
  std::vector<std::string> firsts;
  for (int i = 0; i < 4; ++i) {
    auto o = s.order({"a", "b", "c"}, "same-session", 0);
    EXPECT_EQ(o.size(), 3u);
    firsts.push_back(o.front());
  }
  EXPECT_EQ(firsts, (std::vector<std::string>{"a", "b", "c", "a"}));
}

TEST(Selection, RandomStartsWhereTheRandomSourceSays) {
  go::Selector s(
      "random", 10, 1000, [] { return 0; }, [](size_t n) { return n - 1; });
  EXPECT_EQ(s.order({"a", "b", "c"}, "", 0), (std::vector<std::string>{"c", "a", "b"}));
}

TEST(Selection, SessionAffinityKeepsASessionOnItsAccountUntilTheTtl) {
  int64_t n = 0;
  go::Selector s(
      "session-affinity", 10, 1000, [&] { return n++; }, [](size_t) { return 0u; });
  auto first = s.order({"a", "b", "c"}, "s1", 0);
  s.answered("s1", first.front(), 0);
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(s.order({"a", "b", "c"}, "s1", 100).front(), first.front());
  }
  // A new session spreads to another account.
  EXPECT_NE(s.order({"a", "b", "c"}, "s2", 100).front(), first.front());
  // Its account left the pool (resting): the session moves on.
  std::vector<std::string> without;
  for (const auto& id : std::vector<std::string>{"a", "b", "c"}) {
    if (id != first.front()) {
      without.push_back(id);
    }
  }
  EXPECT_NE(s.order(without, "s1", 100).front(), first.front());
  // After the TTL the binding is gone.
  s.answered("s1", "c", 200);
  EXPECT_EQ(s.order({"a", "b", "c"}, "s1", 1100).front(), "c");
  n = 0;
  EXPECT_EQ(s.order({"a", "b", "c"}, "s1", 1300).front(), "a");
}

TEST(Selection, AffinityCacheIsABoundedLru) {
  go::AffinityCache cache(2, 1000);
  cache.put("s1", "a", 0);
  cache.put("s2", "b", 0);
  EXPECT_EQ(cache.get("s1", 1), "a");  // s1 is now the most recent
  cache.put("s3", "c", 2);             // evicts s2
  EXPECT_EQ(cache.size(), 2u);
  EXPECT_EQ(cache.get("s2", 3), "");
  EXPECT_EQ(cache.get("s1", 3), "a");
  EXPECT_EQ(cache.get("s3", 3), "c");
}

TEST(Config, DefaultsEnvironmentAndExtra) {
  auto env = envOf({{"HOME", "/home/u"},
                    {"CODE_ASSIST_ENDPOINT", "http://127.0.0.1:9/"},
                    {"GEMINI_OAUTH_CLIENT_ID", "cid"},
                    {"GEMINI_OAUTH_CLIENT_SECRET", "csecret"}});
  auto cfg =
      go::parseConfig(go::kTypeAuto, "pool",
                      R"({"type":"gemini-oauth-auto","extra":{"selection_strategy":"round-robin",
                                 "refresh_buffer_seconds":"120"}})",
                      env);
  EXPECT_EQ(cfg.endpoint, "http://127.0.0.1:9");
  EXPECT_EQ(cfg.strategy, "round-robin");
  EXPECT_EQ(cfg.refreshBufferMs, 120000);
  EXPECT_EQ(cfg.clientId, "cid");
  EXPECT_EQ(cfg.clientSecret, "csecret");
  EXPECT_EQ(cfg.accountsDir, "/home/u/.config/llm-proxy/gemini-oauth-accounts");
  EXPECT_EQ(cfg.affinityTtlMs, 86400000);
  EXPECT_EQ(cfg.affinityMaxEntries, 10000u);
  EXPECT_EQ(cfg.models.front(), "gemini-2.5-pro");

  auto top = go::parseConfig(
      go::kTypePlan, "p",
      R"({"code_assist_endpoint":"http://a:1","extra":{"code_assist_endpoint":"http://b:2"},
                                 "client_id":"mine","models":["models/x-1","y"]})",
      env);
  EXPECT_EQ(top.endpoint, "http://a:1");
  EXPECT_EQ(top.clientId, "mine");
  EXPECT_EQ(top.models, (std::vector<std::string>{"x-1", "y"}));
}

TEST(Config, BadValuesNameTheInstanceAndKey) {
  auto env = envOf({});
  try {
    go::parseConfig(go::kTypeAuto, "pool", R"({"selection_strategy":"fastest"})", env);
    FAIL();
  } catch (const llmp::Error& e) {
    std::string m = e.what();
    EXPECT_NE(m.find("pool"), std::string::npos);
    EXPECT_NE(m.find("selection_strategy"), std::string::npos);
  }
  EXPECT_THROW(go::parseConfig(go::kTypePlan, "p", R"({"token_uri":"ftp://x"})", env), llmp::Error);
  EXPECT_THROW(go::parseConfig(go::kTypePlan, "p", R"({"refresh_margin_seconds":-1})", env),
               llmp::Error);
}

TEST(CredsFile, SearchHonoursGeminiCliHomeThenTheConfigDirectory) {
  std::string home = tempDir();
  std::string cliHome = tempDir();
  auto env = envOf({{"HOME", home}, {"GEMINI_CLI_HOME", cliHome}});
  try {
    go::resolveCredsPath("", env);
    FAIL();
  } catch (const llmp::Error& e) {
    std::string m = e.what();
    EXPECT_NE(m.find(cliHome + "/.gemini/oauth_creds.json"), std::string::npos);
    EXPECT_NE(m.find(home + "/.config/gemini-cli/oauth_creds.json"), std::string::npos);
  }
  ::mkdir((home + "/.config").c_str(), 0700);
  ::mkdir((home + "/.config/gemini-cli").c_str(), 0700);
  std::ofstream(home + "/.config/gemini-cli/oauth_creds.json") << R"({"access_token":"t"})";
  EXPECT_EQ(go::resolveCredsPath("", env), home + "/.config/gemini-cli/oauth_creds.json");
  ::mkdir((cliHome + "/.gemini").c_str(), 0700);
  std::ofstream(cliHome + "/.gemini/oauth_creds.json")
      << R"({"access_token":"ya29.x","refresh_token":"1//r","expiry_date":1767225600000})";
  std::string path = go::resolveCredsPath("", env);
  EXPECT_EQ(path, cliHome + "/.gemini/oauth_creds.json");
  auto creds = go::readCreds(path);
  EXPECT_EQ(creds.accessToken, "ya29.x");
  EXPECT_EQ(creds.expiryMs, 1767225600000);
  EXPECT_EQ(go::resolveCredsPath("/x/y.json", env), "/x/y.json");
}

TEST(CredsFile, UnusableFilesGetAClearMessageWithoutTheirContent) {
  std::string dir = tempDir();
  std::ofstream(dir + "/empty.json") << R"({"scope":"x","secretish":"ya29.leak"})";
  try {
    go::readCreds(dir + "/empty.json");
    FAIL();
  } catch (const llmp::Error& e) {
    EXPECT_NE(std::string(e.what()).find("neither access_token nor refresh_token"),
              std::string::npos);
    EXPECT_EQ(std::string(e.what()).find("ya29.leak"), std::string::npos);
  }
  EXPECT_THROW(go::readCreds(dir + "/missing.json"), llmp::Error);
}

TEST(OAuthFlow, AuthorizationUrlAndQueryParsing) {
  std::string url = llmp::google::authorizationUrl(
      "http://127.0.0.1:1/auth", "cid", "http://127.0.0.1:5/oauth2callback", "st8", {"a b", "c"});
  EXPECT_EQ(url.rfind("http://127.0.0.1:1/auth?access_type=offline&prompt=consent&", 0), 0u);
  std::string query = url.substr(url.find('?') + 1);
  EXPECT_EQ(llmp::google::queryParam(query, "redirect_uri"), "http://127.0.0.1:5/oauth2callback");
  EXPECT_EQ(llmp::google::queryParam(query, "scope"), "a b c");
  EXPECT_EQ(llmp::google::queryParam(query, "state"), "st8");
  EXPECT_EQ(llmp::google::queryParam(query, "response_type"), "code");
  EXPECT_EQ(llmp::google::randomState().size(), 64u);
  EXPECT_NE(llmp::google::randomState(), llmp::google::randomState());
}
