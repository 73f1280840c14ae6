#include <gtest/gtest.h>

#include <llmp/cpp/config_reader.hpp>
#include <llmp/cpp/errors.hpp>

#include <string>

#include "testing/fake_host.hpp"

namespace llmp::config {
namespace {

const Reader kReader = Reader::forBackend("work", "gemini");

// The message of the llmp::Error fn throws, or "" when it does not throw.
template <class Fn>
std::string failureOf(Fn&& fn) {
  try {
    fn();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), LLMP_E_INVALID);
    return e.what();
  }
  return "";
}

TEST(ConfigReader, MessagesNameTheInstanceTypeAndKey) {
  EXPECT_EQ(failureOf([] { kReader.readInt(Json("soon"), "timeouts.idle_ms", 10); }),
            "backend 'work' (type gemini): timeouts.idle_ms must be a number, got \"soon\"");
  EXPECT_EQ(failureOf([] { kReader.readString(Json(3), "base_url"); }),
            "backend 'work' (type gemini): base_url must be a string");
  EXPECT_EQ(failureOf([] { kReader.readBool(Json("maybe"), "enabled"); }),
            "backend 'work' (type gemini): enabled must be true or false");
}

TEST(ConfigReader, IntsAcceptNumericStringsWithinRange) {
  EXPECT_EQ(kReader.readInt(Json("300"), "ttl", 1000), 300);
  EXPECT_EQ(kReader.readInt(Json(7), "ttl", 1000), 7);
  EXPECT_NE(failureOf([] { kReader.readInt(Json(1001), "ttl", 1000); }).find("between 0 and 1000"),
            std::string::npos);
  EXPECT_NE(failureOf([] { kReader.readInt(Json(1.5), "ttl", 1000); }), "");
  EXPECT_NE(failureOf([] { kReader.readInt(Json(-1), "ttl", 1000); }), "");
}

TEST(ConfigReader, ScalarsAndListsAreTrimmed) {
  EXPECT_EQ(kReader.readScalar(Json("  my-project "), "project_id"), "my-project");
  EXPECT_EQ(kReader.readScalar(Json(12345), "project_id"), "12345");
  EXPECT_EQ(kReader.readString(Json(" as is "), "x"), " as is ");
  EXPECT_EQ(kReader.readStringList(Json::array({" a", "b ", "a", ""}), "hosts"),
            (std::vector<std::string>{"a", "b"}));
  EXPECT_TRUE(kReader.readBool(Json("Yes"), "enabled"));
  EXPECT_FALSE(kReader.readBool(Json("off"), "enabled"));
}

TEST(ConfigReader, TimeoutsReadKnownKeysAndRejectOthers) {
  Timeouts t = kReader.readTimeouts(Json{{"connect_ms", 100}, {"idle_ms", "2000"}});
  EXPECT_EQ(t.connectMs, 100u);
  EXPECT_EQ(t.firstByteMs, 0u);
  EXPECT_EQ(t.idleMs, 2000u);
  EXPECT_EQ(failureOf([] { kReader.readTimeouts(Json{{"total_ms", 1}}); }),
            "backend 'work' (type gemini): unknown key timeouts.total_ms (known: connect_ms, "
            "first_byte_ms, idle_ms)");
}

TEST(ConfigReader, ParseObjectAndExtraMergeWhereTopLevelWins) {
  EXPECT_TRUE(kReader.parseObject("  ").empty());
  EXPECT_TRUE(kReader.parseObject("null").empty());
  EXPECT_NE(failureOf([] { kReader.parseObject("[1]"); }).find("config must be a mapping"),
            std::string::npos);
  EXPECT_NE(failureOf([] { kReader.parseObject("{"); }).find("config is not valid JSON"),
            std::string::npos);
  Json merged = kReader.mergeExtra(
      kReader.parseObject(R"({"a":1,"extra":{"a":2,"b":3}})"));
  EXPECT_EQ(merged, (Json{{"a", 1}, {"b", 3}}));
  EXPECT_NE(
      failureOf([] { kReader.mergeExtra(Json{{"extra", 5}}); }).find("extra must be a mapping"),
      std::string::npos);
}

TEST(ConfigReader, EnvValuesAreTrimmedAndOptional) {
  EnvFn env = [](const char* name) -> const char* {
    return std::string(name) == "SET" ? "  value \n" : nullptr;
  };
  EXPECT_EQ(envValue(env, "SET"), "value");
  EXPECT_EQ(envValue(env, "UNSET"), "");
  EXPECT_EQ(envValue(EnvFn(), "SET"), "");
}

TEST(ConfigReader, UnknownSettingsAreWarnedThroughTheHostLog) {
  testing::FakeHost fake;
  warnUnknownSettings(Host(fake.api()), "backend 'work' (type gemini)", {"colour"},
                      " (see docs)");
  EXPECT_TRUE(
      fake.logged("backend 'work' (type gemini): unknown setting 'colour' ignored (see docs)"));
}

}  // namespace
}  // namespace llmp::config
